"""WCAG 2.1 AA on the key pages (issue 15): axe-core in Chromium over the pages as the
people who use them see them, and the W3C Nu HTML checker over the same pages' HTML.
The test fails on any critical or serious axe finding and on any checker error.

One browser, one demo world (the synthetic dataset at its small `sample` scale, with
every extension: meetings, books, packages, support), one context per role. The tools
are pinned and installed by `make a11y-tools` (see tests/e2e/a11y.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

import pytest
from django.core.management import call_command

from klynge.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from tests.e2e import a11y
from tests.e2e.conftest import log_in
from tests.world import restore_migration_rows

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = {
    "anonymous": None,
    "member": f"laege@{DEMO_DOMAIN}",
    "coordinator": f"koordinator@{DEMO_DOMAIN}",
    "treasurer": f"kasserer@{DEMO_DOMAIN}",
    "region": f"region.nordjylland@{DEMO_DOMAIN}",
    "secretariat": f"sekretariat@{DEMO_DOMAIN}",
}


@dataclass
class Ids:
    """The demo objects the pages are about: the demo cluster and its meetings."""

    slug: str
    poll: int  # a meeting whose date is still being polled
    upcoming: int  # the next meeting with a date
    held: int  # a meeting held, with attendance and evaluations
    minuted: int  # a meeting with approved minutes
    indicator: str
    order: int


def demo_ids() -> Ids:
    from klynge.core.dates import today
    from klynge.dataorders.models import DataOrder
    from klynge.meetings.models import Meeting
    from klynge.quality.models import Indicator
    from klynge.registry.models import Doctor, Membership
    from klynge.support.inquiries import inquiry_submit

    member = Doctor.objects.get(user__email=ROLES["member"])
    cluster = Membership.objects.active_on(today()).get(clinic=member.clinic).cluster
    meetings = Meeting.objects.filter(cluster=cluster, cancelled_at__isnull=True)
    now = dt.datetime.now(dt.UTC)
    held = meetings.filter(starts__lt=now, attendance__isnull=False).distinct()
    # An inquiry from outside, so the secretariat's queue has one (the dataset makes none).
    inquiry_submit(
        organisation="Patientforeningen",
        kind="patients",
        contact_name="Inger Holm",
        email="inger@example.test",
        proposal="Et samarbejde om information til patienter.",
    )
    return Ids(
        slug=cluster.slug,
        poll=meetings.filter(starts__isnull=True, slots__isnull=False).first().pk,
        upcoming=meetings.filter(starts__gte=now).order_by("starts").first().pk,
        held=held.filter(minutes__isnull=True).order_by("-starts").first().pk,
        minuted=held.filter(minutes__isnull=False).order_by("-starts").first().pk,
        indicator=Indicator.objects.filter(values__clinic=member.clinic)
        .order_by("code")
        .first()
        .code,
        order=DataOrder.objects.filter(cluster=cluster).first().pk,
    )


# (name, role, path): at least one page of every kind, as the role that uses it.
KeyPage = tuple[str, str, Callable[[Ids], str]]
PAGES: list[KeyPage] = [
    ("login", "anonymous", lambda i: "/konto/login/"),
    ("start (public)", "anonymous", lambda i: "/"),
    ("cluster list and map", "anonymous", lambda i: "/klynger/"),
    ("news", "anonymous", lambda i: "/nyheder/"),
    ("courses", "anonymous", lambda i: "/kurser/"),
    ("inquiry form", "anonymous", lambda i: "/henvendelser/ny/"),
    ("packages", "anonymous", lambda i: "/pakker/"),
    ("idea bank", "anonymous", lambda i: "/ideer/"),
    ("indicators", "anonymous", lambda i: "/indikatorer/"),
    ("overview", "member", lambda i: "/"),
    ("cluster", "member", lambda i: f"/klynger/{i.slug}/"),
    ("meetings", "member", lambda i: f"/klynger/{i.slug}/moeder/"),
    ("date poll answer", "member", lambda i: f"/klynger/{i.slug}/moeder/{i.poll}/"),
    ("meeting invitation", "member", lambda i: f"/klynger/{i.slug}/moeder/{i.upcoming}/"),
    ("evaluation", "member", lambda i: f"/klynger/{i.slug}/moeder/{i.held}/evaluering/"),
    ("quality dashboard", "member", lambda i: f"/klynger/{i.slug}/data/"),
    ("indicator charts", "member", lambda i: f"/klynger/{i.slug}/data/{i.indicator}/"),
    ("own clinic's data", "member", lambda i: "/data/min-klinik/"),
    ("documents", "member", lambda i: f"/klynger/{i.slug}/dokumenter/"),
    ("submit an idea", "member", lambda i: "/ideer/ny/"),
    ("register a cluster", "member", lambda i: "/klynger/ny/"),
    ("people", "coordinator", lambda i: f"/klynger/{i.slug}/personer/"),
    ("members", "coordinator", lambda i: f"/klynger/{i.slug}/medlemmer/"),
    ("meeting (coordinator)", "coordinator", lambda i: f"/klynger/{i.slug}/moeder/{i.upcoming}/"),
    ("agenda", "coordinator", lambda i: f"/klynger/{i.slug}/moeder/{i.upcoming}/dagsorden/"),
    ("attendance", "coordinator", lambda i: f"/klynger/{i.slug}/moeder/{i.held}/fremmoede/"),
    ("minutes", "coordinator", lambda i: f"/klynger/{i.slug}/moeder/{i.minuted}/referat/"),
    ("plan a meeting", "coordinator", lambda i: f"/klynger/{i.slug}/moeder/nyt/"),
    ("activity report", "coordinator", lambda i: f"/klynger/{i.slug}/aktivitetsrapport/"),
    (
        "presentation",
        "coordinator",
        lambda i: f"/klynger/{i.slug}/moeder/{i.upcoming}/praesentation/",
    ),
    ("statutes", "coordinator", lambda i: f"/klynger/{i.slug}/vedtaegter/"),
    ("consent", "coordinator", lambda i: f"/klynger/{i.slug}/samtykke/"),
    ("data orders", "coordinator", lambda i: f"/klynger/{i.slug}/dataordrer/"),
    ("data order", "coordinator", lambda i: f"/dataordrer/{i.order}/"),
    ("books", "treasurer", lambda i: f"/klynger/{i.slug}/regnskab/"),
    ("fees", "treasurer", lambda i: f"/klynger/{i.slug}/regnskab/honorarer/"),
    ("grants", "region", lambda i: "/oekonomi/tilskud/"),
    ("coverage", "region", lambda i: "/daekning/"),
    ("data order queue", "region", lambda i: "/dataordrer/"),
    ("inquiry queue", "secretariat", lambda i: "/henvendelser/"),
    ("import data", "secretariat", lambda i: "/data/import/"),
    ("new package", "secretariat", lambda i: "/pakker/ny/"),
]

# Forms sent empty or wrong, as the role that uses them: the page that comes back with
# the errors (status 400) must be as accessible as the empty form, its error messages
# tied to their fields (aria-describedby to ids that exist).
INVALID: list[tuple[str, str, Callable[[Ids], str], str, dict[str, str]]] = [
    (
        "plan a meeting, sent empty",
        "coordinator",
        lambda i: f"/klynger/{i.slug}/moeder/nyt/",
        "main form[method=post]",
        {},
    ),
    (
        "register a cluster, bad CVR",
        "member",
        lambda i: "/klynger/ny/",
        "main form[method=post]",
        {"input[name=name]": "Prøveklyngen", "input[name=cvr]": "12345678"},
    ),
]

CHART = "[data-vega-spec]"


def visit(page, url: str) -> str:
    """Open the page, wait until its charts are drawn, and return the HTML the server
    sent (what the Nu checker reads)."""
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    charts = page.locator(CHART)
    for k in range(charts.count()):
        charts.nth(k).locator("svg").first.wait_for(state="attached", timeout=15_000)
    return response.text()


def send_invalid(page, url: str, form: str, fields: dict[str, str]) -> str:
    """Fill some fields, send the form without the browser's own checks, and return
    the HTML of the page that comes back."""
    page.goto(url)
    for selector, value in fields.items():
        page.fill(selector, value)
    target = page.locator(form).first
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        target.evaluate("f => { f.noValidate = true; f.requestSubmit(); }")
    response = answer.value
    page.wait_for_load_state()
    html = response.text()
    assert response.status in (200, 400) and 'aria-invalid="true"' in html, (url, response.status)
    return html


# aria-describedby, aria-labelledby and <label for> that name an id not on the page
# (axe only objects when none of several ids exists; the Nu checker not at all).
DANGLING = """() => {
  const missing = [];
  for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby], label[for]")) {
    for (const attr of ["aria-describedby", "aria-labelledby", "for"]) {
      for (const id of (el.getAttribute(attr) || "").split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) missing.push(attr + "=" + id);
      }
    }
  }
  return missing;
}"""


def check_page_basics(page, name: str) -> list[str]:
    """What neither tool checks: a short, real <title>, Danish `lang`, and charts named
    in Danish (vega-embed otherwise says "Vega visualization")."""
    problems = []
    title = page.title()
    if not title or len(title) > 120 or "csrf" in title.lower() or "<" in title:
        problems.append(f"{name}: the title is {title!r}")
    if page.get_attribute("html", "lang") != "da":
        problems.append(f"{name}: <html lang> is not da")
    dangling = page.evaluate(DANGLING)
    if dangling:
        problems.append(f"{name}: references to ids that do not exist: {dangling}")
    charts = page.locator(CHART)
    for k in range(charts.count()):
        chart = charts.nth(k)
        label = chart.get_attribute("aria-label") or ""
        if not label or "Vega" in label:
            problems.append(f"{name}: chart {k + 1} is named {label!r}")
        if chart.get_attribute("tabindex") != "0":
            problems.append(f"{name}: chart {k + 1} cannot be reached with the keyboard")
    return problems


def test_key_pages_meet_wcag_21_aa(live_server, browser, tmp_path):
    if reason := a11y.missing_tools():
        pytest.fail(reason)
    restore_migration_rows()  # an earlier transactional test may have flushed them
    call_command("generate_dataset", "--scale", "sample", "--seed", "1", verbosity=0)
    ids = demo_ids()
    findings: list[a11y.Finding] = []
    problems: list[str] = []
    documents: dict[str, str] = {}
    for role, pages in groupby(PAGES, key=lambda p: p[1]):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        if ROLES[role]:
            log_in(page, live_server, ROLES[role], DEMO_PASSWORD)
        for name, _role, path in pages:
            label = f"{name} ({role})"
            documents[label] = visit(page, live_server.url + path(ids))
            findings += a11y.axe(page, label)
            problems += check_page_basics(page, label)
        for name, _role, path, form, fields in (f for f in INVALID if f[1] == role):
            label = f"{name} ({role})"
            documents[label] = send_invalid(page, live_server.url + path(ids), form, fields)
            findings += a11y.axe(page, label)
            problems += check_page_basics(page, label)
        context.close()
        problems += errors
    checked = a11y.vnu(documents, tmp_path)
    blocking = [f for f in findings if f.impact in a11y.BLOCKING]
    report = "\n".join(map(str, blocking)) + "\n" + "\n".join(checked + problems)
    assert not blocking and not checked and not problems, report
    assert len(documents) >= 20


def test_the_checkers_catch_what_they_should(browser, tmp_path):
    """The two tools, on a page made to fail: an unlabelled input and nested labels."""
    if reason := a11y.missing_tools():
        pytest.fail(reason)
    bad = (
        '<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Prøve</title></head>'
        '<body><main><label>A <label>B <input name="b"></label></label>'
        '<input name="unlabelled" aria-describedby="nowhere"></main></body></html>'
    )
    context = browser.new_context()
    page = context.new_page()
    page.set_content(bad)
    rules = {f.rule for f in a11y.axe(page, "bad") if f.impact in a11y.BLOCKING}
    basics = check_page_basics(page, "bad")
    context.close()
    assert "label" in rules
    assert any("aria-describedby=nowhere" in p for p in basics), basics
    errors = a11y.vnu({"bad": bad}, tmp_path)
    assert any(re.search(r"label.*descendant", e) for e in errors), errors


def test_the_keyboard_reaches_the_content_and_the_map(live_server, page):
    """The first Tab stop is the skip link, which moves focus to the main content; the map
    is a Tab stop named in Danish, and the table under it links every cluster."""
    page.goto(f"{live_server.url}/klynger/")
    page.locator(".map svg").first.wait_for(state="attached")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.get_attribute("class") == "skip-link"
    assert skip.is_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    the_map = page.locator(".map[data-vega-spec]")
    the_map.focus()
    assert page.evaluate("document.activeElement.dataset.vegaSpec") == "map-spec"
    spec = json.loads(page.locator("#map-spec").text_content() or "{}")
    assert spec["description"] and the_map.get_attribute("aria-label") == spec["description"]
    assert the_map.get_attribute("aria-describedby") in (None, "clusters-caption")
