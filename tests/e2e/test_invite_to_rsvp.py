"""Issue 11's definition of done, end to end in a real browser, in Danish: the
coordinator adds a doctor by e-mail; the invitation goes through the task worker and a
real SMTP server on loopback; the doctor sets up a login on their phone and lands on
their start page, which shows the date poll waiting for their answer and the next
meeting; they answer the poll through its form and say "Jeg kommer" with the start
page's button; the coordinator sees both answers on the meeting pages and on their own
start page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from klynge.core.dates import today
from klynge.meetings import selectors, services
from klynge.meetings.models import Dispatch, Meeting, PollAnswer, Rsvp
from klynge.registry.models import Doctor
from tests.e2e.conftest import log_in
from tests.e2e.test_people_flow import run_worker, the_link  # the worker, the mail's link
from tests.smtp import Inbox
from tests.world import PASSWORD, build_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_NAME = "Nina Nyborg"
NEW_EMAIL = "nina.nyborg@koege.test"
NEW_PASSWORD = "Kvalitet-i-klyngen-11"
POLL_TITLE = "Klyngemøde om diabetes"
DATED_TITLE = "Klyngemøde om antibiotika"


def at(days: int, hour: int) -> dt.datetime:
    """`days` from today at `hour` o'clock, local time."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def mails_to(inbox: Inbox, address: str) -> list:
    return [m for m in inbox.messages if address in str(m["To"])]


def test_an_invited_doctor_answers_the_poll_and_says_they_will_come(
    live_server,
    browser,
    page,
    smtp,
    settings,
    shoot,
):
    settings.KLYNGE_SITE_URL = live_server.url
    world = build_world()
    cluster, slug = world.cluster_a, world.cluster_a.slug
    coordinator = world.users["coordinator_a"]

    # 1. The coordinator adds a new doctor with an e-mail address, in the browser.
    log_in(page, live_server, "koordinator@a.test", PASSWORD)
    page.goto(f"{live_server.url}/klynger/{slug}/laeger/tilfoej/")
    page.fill("input[name=new_name]", NEW_NAME)
    page.fill("input[name=new_email]", NEW_EMAIL)
    page.locator("select[name=new_clinic]").select_option(index=1)
    page.fill("input[name=start]", today().strftime("%d-%m-%Y"))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    doctor = Doctor.objects.get(email=NEW_EMAIL)
    assert doctor.user is None

    # 2. The worker sends the invitation through SMTP.
    run_worker()
    link = the_link(smtp, NEW_EMAIL)
    assert link.startswith(live_server.url)

    # 3. Meanwhile the coordinator plans two meetings (through the services): one with
    #    an open date poll of two dates, and one with its date set and invitations sent.
    #    The new doctor is invited to both.
    polled = services.meeting_create(actor=coordinator, cluster=cluster, title=POLL_TITLE)
    services.poll_open(
        actor=coordinator,
        meeting=polled,
        slots=[(at(30, 17), at(30, 19)), (at(37, 17), at(37, 19))],
        notify=False,
    )
    services.poll_send(actor=coordinator, meeting=polled)
    dated = services.meeting_create(
        actor=coordinator,
        cluster=cluster,
        title=DATED_TITLE,
        starts=at(14, 17),
        ends=at(14, 19),
        place="Køge Lægehus",
    )
    services.meeting_invite(actor=coordinator, meeting=dated)
    for meeting in (polled, dated):
        assert doctor.pk in {d.pk for d in selectors.invited_doctors(meeting)}
    assert doctor.pk in {d.pk for d in selectors.poll_nonresponders(polled)}
    first_slot, second_slot = polled.slots.order_by("starts")

    # The doctor gets the date poll and the invitation to the meeting by e-mail too.
    run_worker()
    kinds = set(
        Dispatch.objects.filter(recipient=NEW_EMAIL, status=Dispatch.Status.SENT).values_list(
            "kind", flat=True
        )
    )
    assert {Dispatch.Kind.POLL, Dispatch.Kind.INVITATION} <= kinds, kinds
    assert len(mails_to(smtp, NEW_EMAIL)) == 3  # the login, the poll, the meeting

    # 4. The doctor opens the link on their phone, chooses a password, and lands on
    #    their start page.
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="da-DK"
    )
    doctor_page = context.new_page()
    errors: list[str] = []
    doctor_page.on("pageerror", lambda e: errors.append(str(e)))
    doctor_page.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.url}"))
    doctor_page.goto(link)
    assert doctor_page.get_by_role("heading", name="Opret dit login").is_visible()
    doctor_page.get_by_label("Vælg en adgangskode").fill(NEW_PASSWORD)
    doctor_page.get_by_label("Adgangskoden igen").fill(NEW_PASSWORD)
    doctor_page.get_by_role("button", name="Gem adgangskoden og log ind").click()
    doctor_page.wait_for_load_state("networkidle")
    assert doctor_page.url == f"{live_server.url}/"
    assert doctor_page.get_by_role("heading", name="Mit overblik").is_visible()

    # The poll waits for their answer; the dated meeting is their next meeting.
    polls = doctor_page.locator("#overblik-meetingspolls")
    assert polls.get_by_role("heading", name="Datoafstemninger").is_visible()
    poll_link = polls.get_by_role("link", name=f"Svar på datoafstemningen: {POLL_TITLE}")
    assert poll_link.is_visible()
    assert "2 foreslåede datoer" in polls.inner_text()
    next_meeting = doctor_page.locator("#overblik-meetingsnext")
    assert next_meeting.get_by_role("heading", name="Næste møde").is_visible()
    assert next_meeting.get_by_role("link", name=DATED_TITLE).is_visible()
    assert "Køge Lægehus" in next_meeting.inner_text()
    assert next_meeting.get_by_text("Kommer du?").is_visible()
    overflow = doctor_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    shoot(doctor_page, "dod11-overblik-ny-laege-mobil")
    assert overflow <= 0, f"the start page is {overflow}px wider than a phone"

    # 5. They follow the link and answer the poll: yes to the first date, no to the second.
    poll_link.click()
    doctor_page.wait_for_load_state("networkidle")
    assert doctor_page.url.rstrip("/").endswith(f"/klynger/{slug}/moeder/{polled.pk}")
    assert doctor_page.get_by_role("heading", name="Datoafstemning").is_visible()
    slots = doctor_page.locator("#poll li.poll-slot")
    assert slots.count() == 2
    slots.nth(0).get_by_role("radio", name="Ja", exact=True).check()
    slots.nth(1).get_by_role("radio", name="Nej", exact=True).check()
    doctor_page.get_by_role("button", name="Gem mit svar").click()
    doctor_page.wait_for_load_state("networkidle")
    assert doctor_page.get_by_text("Tak, dit svar er gemt.").is_visible()
    slots = doctor_page.locator("#poll li.poll-slot")
    assert slots.nth(0).get_by_role("radio", name="Ja", exact=True).is_checked()
    assert slots.nth(1).get_by_role("radio", name="Nej", exact=True).is_checked()
    assert doctor_page.get_by_text("1 medlem har svaret.").is_visible()
    assert dict(
        PollAnswer.objects.filter(doctor=doctor, slot__meeting=polled).values_list(
            "slot_id", "answer"
        )
    ) == {first_slot.pk: "yes", second_slot.pk: "no"}

    # 6. Back on the start page: the poll is answered; "Jeg kommer" to the next meeting.
    doctor_page.goto(f"{live_server.url}/")
    polls = doctor_page.locator("#overblik-meetingspolls")
    assert polls.get_by_text("Ingen datoafstemninger at svare på").is_visible()
    next_meeting = doctor_page.locator("#overblik-meetingsnext")
    next_meeting.get_by_role("button", name="Jeg kommer", exact=True).click()
    doctor_page.wait_for_load_state("networkidle")
    assert doctor_page.url == f"{live_server.url}/"
    assert doctor_page.get_by_text("Tak. Koordinatoren kan se, at du kommer.").is_visible()
    coming = doctor_page.locator("#overblik-meetingsnext").get_by_role(
        "button", name="Jeg kommer", exact=True
    )
    assert coming.get_attribute("aria-pressed") == "true"
    shoot(doctor_page, "dod11-overblik-kommer-mobil")
    rsvp = Rsvp.objects.get(meeting=dated, doctor=doctor)
    assert rsvp.coming is True
    assert not Rsvp.objects.filter(meeting=polled).exists()
    context.close()
    assert not errors, errors

    # 7. The coordinator sees the answers: the poll's counts, and the doctor no longer
    #    among those who have not answered ...
    page.goto(f"{live_server.url}/klynger/{slug}/moeder/{polled.pk}/")
    counts = page.locator("#poll li.poll-slot .count").all_inner_texts()
    assert counts == ["1", "0", "0", "0", "0", "1"], counts  # yes / if need be / no per date
    assert page.get_by_text("1 medlem har svaret.").is_visible()
    waiting = page.locator("#poll-nonresponders")
    assert waiting.get_by_role("heading", name="Har ikke svaret endnu").is_visible()
    assert NEW_NAME not in waiting.inner_text()
    assert doctor.pk not in {d.pk for d in selectors.poll_nonresponders(polled)}

    # ... the meeting page lists them as coming ...
    page.goto(f"{live_server.url}/klynger/{slug}/moeder/{dated.pk}/")
    # (The coordinator is a member too: they are asked "Kommer du?" themselves.)
    assert page.get_by_role("heading", name="Kommer du?").is_visible()
    invited = len(selectors.invited_doctors(dated))
    counts_text = page.locator("#rsvp-counts").inner_text()
    assert counts_text.startswith(f"1 kommer · 0 kommer ikke · {invited - 1} har ikke svaret"), (
        counts_text
    )
    lists = page.locator("#rsvp article")
    assert lists.nth(0).inner_text().startswith("Kommer"), lists.nth(0).inner_text()
    assert NEW_NAME in lists.nth(0).inner_text()
    assert lists.nth(2).inner_text().startswith("Har ikke svaret"), lists.nth(2).inner_text()
    assert NEW_NAME not in lists.nth(2).inner_text()
    shoot(page, "dod11-koordinator-hvem-kommer")

    # ... and their own start page counts both answers.
    page.goto(f"{live_server.url}/")
    preparation = page.locator("#overblik-meetingspreparation").inner_text()
    assert "1 kommer" in preparation, preparation
    assert f"Datoafstemning: 1 af {invited} medlemmer har svaret" in preparation, preparation
    assert Meeting.objects.filter(cluster=cluster).count() == 2
