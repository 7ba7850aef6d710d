"""Shared fixtures. The header and summary name the database the suite ran on, so a
CI log shows at a glance that PostgreSQL was used."""

from __future__ import annotations

import pytest
from django.conf import settings


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
