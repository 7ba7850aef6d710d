"""Shared fixtures. The header and summary name the database the suite ran on, so a
CI log shows at a glance that PostgreSQL was used."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

# Debug is off by default and the secret key then comes only from KLYNGE_SECRET_KEY
# (settings.py). pytest-django has loaded the settings before this file, so the test
# run's own defaults are set here: a throwaway key, and cookies over plain HTTP for
# the browser tests' live server.
# Processes the tests start (workers, commands) inherit the key through the environment.
os.environ.setdefault("KLYNGE_SECRET_KEY", "klynge-tests-only-not-secret")
if not settings._wrapped.SECRET_KEY:  # type: ignore[attr-defined]
    settings.SECRET_KEY = os.environ["KLYNGE_SECRET_KEY"]
settings.SESSION_COOKIE_SECURE = False
settings.CSRF_COOKIE_SECURE = False


def _database_label() -> str:
    db = settings.DATABASES["default"]
    vendor = (
        "postgresql"
        if "postgresql" in db["ENGINE"]
        else "sqlite"
        if "sqlite" in db["ENGINE"]
        else db["ENGINE"]
    )
    where = (
        f"{db.get('HOST') or 'socket'}:{db.get('PORT') or ''}"
        if vendor == "postgresql"
        else "test database"
    )
    return f"{vendor} ({where})"


def pytest_report_header(config):
    return f"Klynge test database: {_database_label()}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    terminalreporter.write_line(f"Klynge test suite ran on: {_database_label()}")


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test gets a fresh cache: cached aggregates must never leak between tests.
    from django.core.cache import cache

    cache.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback that keeps what it receives (`tests/smtp.py`); a
    module may define its own `smtp` (one that refuses, or is killed)."""
    from tests.smtp import serve

    yield from serve(settings)
