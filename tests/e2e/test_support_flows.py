"""The support desk in a real browser, in Danish: a full course with a waiting list; a
cancellation offers the seat to the next in line (by e-mail through the worker and a
real SMTP server on loopback), who takes it within the time limit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from klynge.support import services
from klynge.support.models import Booking, WaitingEntry
from tests.e2e.conftest import log_in
from tests.e2e.test_people_flow import run_worker, smtp  # noqa: F401  (SMTP fixture)
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cancellation_offers_the_seat_to_the_next_who_takes_it(
    live_server,
    browser,
    page,
    shoot,
    smtp,
    settings,  # noqa: F811
):
    settings.KLYNGE_SITE_URL = live_server.url
    settings.KLYNGE_COURSE_OFFER_HOURS = 48
    w = build_world()
    course = services.course_create(
        actor=None, title="Facilitering af klyngemøder", audience="klyngekoordinatorer"
    )
    starts = timezone.now() + dt.timedelta(days=21)
    session = services.session_add(
        actor=None,
        course=course,
        starts=starts,
        ends=starts + dt.timedelta(hours=7),
        place="Comwell, Kolding",
        seats=1,
    )

    # The first doctor takes the only seat.
    log_in(page, live_server, "laege@a.test", PASSWORD)
    page.goto(f"{live_server.url}/kurser/")
    page.get_by_role("button", name="Tilmeld mig").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Du har en plads på Facilitering af klyngemøder").is_visible()

    # The second finds it full and joins the waiting list.
    other = browser.new_context(viewport={"width": 390, "height": 844}, locale="da-DK")
    second = other.new_page()
    log_in(second, live_server, "laege@b.test", PASSWORD)
    second.goto(f"{live_server.url}/kurser/")
    assert second.get_by_text("Fuldt").is_visible()
    second.get_by_role("button", name="Skriv mig på ventelisten").click()
    second.wait_for_load_state("networkidle")
    assert second.get_by_text("Du står på ventelisten.", exact=True).is_visible()
    shoot(second, "support-waiting-list-phone")

    # The first cancels; the seat is offered to the second, by e-mail.
    page.goto(f"{live_server.url}/kurser/")
    page.get_by_role("button", name="Afmeld min plads").click()
    page.wait_for_load_state("networkidle")
    entry = WaitingEntry.objects.get(session=session, user=w.users["member_b"])
    assert entry.status == "offered"
    assert entry.offer_expires is not None
    assert abs(entry.offer_expires - (timezone.now() + dt.timedelta(hours=48))) < dt.timedelta(
        minutes=5
    )
    run_worker()
    [mail] = [m for m in smtp.messages if str(m["To"]) == "laege@b.test"]
    assert "Der er en ledig plads til dig" in str(mail["Subject"])
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "du er den næste på ventelisten" in body and f"{live_server.url}/kurser/" in body

    # The second takes the seat in time, from the start page's link.
    second.goto(f"{live_server.url}/")
    second.get_by_role(
        "link", name="Der er en ledig plads til dig: Facilitering af klyngemøder"
    ).click()
    second.wait_for_load_state("networkidle")
    assert second.get_by_text("Der holdes en plads til dig indtil").is_visible()
    second.get_by_role("button", name="Tag pladsen").click()
    second.wait_for_load_state("networkidle")
    assert second.get_by_text("Du har en plads på Facilitering af klyngemøder").is_visible()
    shoot(second, "support-seat-taken-phone")
    other.close()
    live = Booking.objects.filter(session=session, cancelled__isnull=True)
    assert [b.user for b in live] == [w.users["member_b"]]
    entry.refresh_from_db()
    assert entry.status == "accepted"
