"""Deployment checks (`manage.py check --deploy`): production needs its own secret key.

Settings leave the key empty when debug is off and KLYNGE_SECRET_KEY is unset, so the
server refuses to sign anything; this check says so by name before the first request.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_set(app_configs: Any, **kwargs: Any) -> list[Error]:
    # `settings.SECRET_KEY` itself raises when empty; read the configured value.
    if settings.DEBUG or settings._wrapped.SECRET_KEY:  # type: ignore[misc]
        return []
    return [
        Error(
            "KLYNGE_SECRET_KEY is not set.",
            hint="Set KLYNGE_SECRET_KEY to a long random value (or KLYNGE_DEBUG=1 for a demo).",
            id="klynge.E001",
        )
    ]


@register(Tags.security, deploy=True)
def shared_cache(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Login throttling counts failures in the cache: a per-process cache lets an
    attacker spread guesses over the server's processes."""
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or not backend.endswith("LocMemCache"):
        return []
    return [
        Warning(
            "The cache is per process, so login throttling is too.",
            hint="Set KLYNGE_REDIS_URL (e.g. redis://127.0.0.1:6379/0) in production.",
            id="klynge.W002",
        )
    ]
