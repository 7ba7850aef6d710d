"""Production-safe by default (issue 16): a Content Security Policy without inline
script or eval on every response, no inline script or event handler in any template
(so the policy breaks nothing), HTTPS settings behind KLYNGE_HTTPS, and `check
--deploy` clean in the production settings."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "src" / "klynge").rglob("templates/**/*.html"))
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I
)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["core:home", "registry:cluster.list", "account_login"])
def test_every_page_carries_a_policy_without_inline_script_or_eval(client, url):
    response = client.get(reverse(url))
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "src")))
def test_no_template_has_inline_script_or_event_handlers(template):
    text = template.read_text(encoding="utf-8")
    assert not INLINE_HANDLER.search(text), "use data-autosubmit / data-confirm (core/forms.js)"
    assert not INLINE_SCRIPT.search(text), "scripts come from static files"


def production(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KLYNGE_")
        and key not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set for tests
    }
    env.update(
        KLYNGE_SECRET_KEY=secrets.token_urlsafe(50),
        KLYNGE_ALLOWED_HOSTS="klynge.example.org",
        KLYNGE_HTTPS="1",
        KLYNGE_REDIS_URL="redis://127.0.0.1:6379/0",
        **extra,
    )
    return env


def test_check_deploy_is_clean_in_the_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    without_redis = production()
    without_redis.pop("KLYNGE_REDIS_URL")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=without_redis,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "klynge.W002" in result.stderr + result.stdout


def test_https_settings_follow_klynge_https():
    script = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.DEBUG)"
    )
    env = {**production(), "DJANGO_SETTINGS_MODULE": "klynge.config.settings"}
    on = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert on.stdout.split() == ["True", "31536000", "True", "False"], on.stderr
    env.pop("KLYNGE_HTTPS")
    off = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert off.stdout.split()[:2] == ["False", "0"], off.stderr


@pytest.mark.django_db
def test_a_nul_character_in_a_search_or_a_form_is_a_clear_400(client):
    from tests.world import build_world

    world = build_world()
    client.force_login(world.users["secretariat"])
    search = client.get(reverse("registry:clinic.search"), {"q": "Læge\x00hus"})
    assert search.status_code == 400 and b"NUL" in search.content
    form = client.post(reverse("registry:cluster.register"), {"name": "Klynge\x00"})
    assert form.status_code == 400
    assert client.get(reverse("registry:clinic.search"), {"q": "Lægehus"}).status_code == 200


@pytest.mark.django_db
def test_a_municipality_that_is_not_a_number_is_no_server_error(client):
    from tests.world import build_world

    world = build_world()
    client.force_login(world.users["secretariat"])
    response = client.get(
        reverse("registry:cluster.name_check"), {"name": "Klyngen", "municipality": "abc"}
    )
    assert response.status_code == 200
