"""The API's documentation page renders in a real browser under the site's Content
Security Policy, from this server alone (Swagger UI is vendored: no CDN)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_docs_page_renders_offline_under_the_csp(page, live_server, shoot):
    requests: list[str] = []
    violations: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and ("Content Security Policy" in m.text or "Refused to" in m.text)
            and violations.append(m.text)
        ),
    )
    # Offline: anything not served by this server is refused.
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
        ),
    )
    response = page.goto(f"{live_server.url}/api/docs/")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Klynge API")
    operations = page.locator(".swagger-ui .opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = set(operations.all_inner_texts())
    assert {
        "/api/v1/clusters/",
        "/api/v1/clusters/{ref}/members/",
        "/api/v1/coverage/",
        "/api/v1/grants/",
        "/api/v1/payouts/",
        "/api/v1/imports/",
    } <= {p.replace("\u200b", "") for p in paths}
    # The import's file is an upload, not a URL.
    page.locator(".opblock-summary-path", has_text="/api/v1/imports/").first.click()
    expect(page.locator(".opblock-body").first).to_contain_text("binary")
    shoot(page, "api-docs")
    assert not violations, violations
    assert all(url.startswith(live_server.url) for url in requests), [
        u for u in requests if not u.startswith(live_server.url)
    ]
