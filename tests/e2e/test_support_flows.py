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
from tests.e2e.test_people_flow import run_worker
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cancellation_offers_the_seat_to_the_next_who_takes_it(
    live_server,
    browser,
    page,
    shoot,
    smtp,
    settings,
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
    assert second.get_by_text("Fuldt", exact=True).is_visible()
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


def test_an_inquiry_from_the_public_form_through_the_committee_to_two_clusters(
    live_server, browser, page, shoot
):
    import datetime as dt

    from klynge.accounts.models import User
    from klynge.support.models import Forwarding, Inquiry, SteeringPost

    w = build_world()
    chair = User.objects.create_user(
        "formand@styregruppe.test", PASSWORD, name="Styregruppens formand"
    )
    SteeringPost.objects.create(user=chair, start=dt.date(2025, 1, 1))

    # A research institution proposes a collaboration, without logging in (on a phone).
    public = browser.new_context(viewport={"width": 390, "height": 844}, locale="da-DK")
    inquirer = public.new_page()
    inquirer.goto(f"{live_server.url}/henvendelser/ny/")
    inquirer.locator("#id_organisation").fill("Forskningsenheden for Almen Praksis")
    inquirer.get_by_label("Type af organisation").select_option("research")
    inquirer.get_by_label("Kontaktperson").fill("Karin Forsker")
    inquirer.get_by_label("E-mail").fill("karin@forskning.test")
    inquirer.get_by_label("Hvad foreslår I?").fill("Et værktøj til opfølgning på KOL i klyngerne.")
    inquirer.get_by_label("Tidsramme").fill("Forår 2027")
    shoot(inquirer, "support-inquiry-form-phone")
    inquirer.get_by_role("button", name="Send henvendelsen").click()
    inquirer.wait_for_load_state("networkidle")
    status_url = inquirer.url
    assert "/henvendelser/status/" in status_url
    assert inquirer.locator("#status").inner_text() == "Modtaget"
    inquiry = Inquiry.objects.get()
    assert inquiry.group == 2

    # The secretariat triages it: group 2 goes to the steering committee.
    log_in(page, live_server, "sekretariat@kiap.test", PASSWORD)
    page.goto(f"{live_server.url}/henvendelser/")
    page.get_by_role("button", name="Sortér").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Venter på styregruppen.").is_visible()

    # The committee decides at its meeting.
    committee = browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    member = committee.new_page()
    log_in(member, live_server, "formand@styregruppe.test", PASSWORD)
    member.goto(f"{live_server.url}/styregruppen/")
    member.get_by_label("Godkend").check()
    member.get_by_label("Dato for styregruppemødet").fill("26-11-2026")
    member.get_by_role("button", name="Registrér styregruppens beslutning").click()
    member.wait_for_load_state("networkidle")
    inquiry.refresh_from_db()
    assert inquiry.status == "approved" and inquiry.committee_meeting == dt.date(2026, 11, 26)
    committee.close()

    # The secretariat forwards it to the matching clusters: both.
    page.goto(f"{live_server.url}/henvendelser/")
    page.get_by_role("button", name="Send til de relevante klynger").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Sendt til 2 klynger.").is_visible()
    assert set(Forwarding.objects.values_list("cluster_id", flat=True)) == {
        w.cluster_a.pk,
        w.cluster_b.pk,
    }

    # Cluster A's coordinator says yes.
    coordinators = browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    coordinator = coordinators.new_page()
    log_in(coordinator, live_server, "koordinator@a.test", PASSWORD)
    coordinator.goto(f"{live_server.url}/klynger/{w.cluster_a.slug}/henvendelser/")
    coordinator.get_by_role("button", name="Ja, klyngen vil gerne være med").click()
    coordinator.wait_for_load_state("networkidle")
    assert coordinator.get_by_text("Klyngen sagde ja den").is_visible()
    coordinators.close()

    # The inquirer follows it through the private link; the collaboration is public.
    inquirer.goto(status_url)
    assert inquirer.locator("#status").inner_text() == "Sendt videre til klynger"
    assert inquirer.get_by_text("Sendt til 2 klynger; 1 sagde ja.").is_visible()
    assert inquirer.get_by_text("26. november 2026").is_visible()
    inquirer.goto(f"{live_server.url}/samarbejder/")
    assert inquirer.get_by_role("heading", name="Forskningsenheden for Almen Praksis").is_visible()
    public.close()
