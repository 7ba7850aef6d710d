"""`make demo PORT=8123` serves on that port, says so, and the demo's e-mails link to it:
the one setting mails build absolute links from (`KLYNGE_SITE_URL`) is set from PORT."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from klynge.demo.dataset import DEMO_DOMAIN

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_port_sets_the_site_url_and_prints_the_address():
    # --just-print shows the recipe without running it; -p prints the target's variables.
    out = subprocess.run(
        ["make", "--just-print", "-p", "demo", "PORT=8123"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "Klynge runs at http://127.0.0.1:8123/" in out
    assert "runserver 127.0.0.1:8123" in out
    assert "demo: KLYNGE_SITE_URL := http://127.0.0.1:8123" in out  # exported to the server


@pytest.mark.django_db
def test_demo_logins_print_the_site_url():
    from klynge.accounts.models import User

    User.objects.create(email=f"sekretariat@{DEMO_DOMAIN}", name="S", is_secretariat=True)
    out = io.StringIO()
    with override_settings(KLYNGE_SITE_URL="http://127.0.0.1:8123"):
        call_command("demo_logins", stdout=out)
    assert "Open http://127.0.0.1:8123/ and log in" in out.getvalue()
