"""Pages people can read when refused: Danish 403 and 404 pages in the site's layout,
with a way home, never Django's URL list; debug is off unless turned on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from klynge.core.checks import secret_key_set
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_404_is_danish_in_the_site_layout(client):
    response = client.get("/findes-ikke/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Siden blev ikke fundet" in html
    assert 'href="/"' in html and "Gå til forsiden" in html
    assert "Kly<span>nge</span>" in html  # the site header
    assert "URLconf" not in html and "api/v1/" not in html  # no list of every URL


@pytest.mark.django_db
def test_404_for_a_logged_in_user_in_an_unknown_cluster(client):
    client.force_login(UserFactory())
    response = client.get("/klynger/findes-ikke/")
    assert response.status_code == 404
    assert "Siden blev ikke fundet" in response.content.decode()


@pytest.mark.django_db
def test_403_is_danish_with_a_link_home(client):
    client.force_login(UserFactory())  # no region, no secretariat
    response = client.get("/daekning/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Du har ikke adgang til denne side" in html
    assert "Gå til forsiden" in html
    assert "403 Forbidden" not in html


def _settings_in_a_fresh_process(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KLYNGE_")}
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='klynge.config.settings';"
        "from django.conf import settings as s; print(s.DEBUG);"
        "print(s._wrapped.SECRET_KEY or '<empty>')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_debug_is_off_by_default_and_production_has_no_demo_key():
    assert _settings_in_a_fresh_process() == "False\n<empty>\n"


def test_the_demo_turns_debug_on_with_its_key():
    out = _settings_in_a_fresh_process(KLYNGE_DEBUG="1")
    assert out.startswith("True\ninsecure-demo-key")


def test_a_configured_key_is_used():
    assert _settings_in_a_fresh_process(KLYNGE_SECRET_KEY="s3cret") == "False\ns3cret\n"


def test_deploy_check_names_the_missing_key():
    with override_settings(DEBUG=False, SECRET_KEY=""):
        assert [e.id for e in secret_key_set(None)] == ["klynge.E001"]
    with override_settings(DEBUG=False, SECRET_KEY="s3cret"):
        assert secret_key_set(None) == []
