"""Settings of the site `bench/speed.py` serves: the project's settings unchanged but for
the URL configuration, which adds one bare response (`speed_urls.py`). Bench only: used
as `DJANGO_SETTINGS_MODULE=speed_settings` with `bench/` on the path."""

from klynge.config.settings import *  # noqa: F403 (the project's settings, unchanged)

ROOT_URLCONF = "speed_urls"
