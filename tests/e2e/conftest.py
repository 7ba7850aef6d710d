"""End-to-end tests: Playwright (Python) drives Debian's Chromium against a live
server. Marked `e2e` (run alone with `pytest -m e2e`); CI runs them too. Screenshots
go to `test-results/` for a human to look at."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package.")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.url}"))
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def shoot():
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return save


def log_in(page, live_server, email: str, password: str) -> None:
    page.goto(f"{live_server.url}/konto/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
