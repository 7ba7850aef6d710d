"""A cluster meeting in a real browser, in Danish: the coordinator plans it without a
date, offers a date in the poll and sends the poll (one e-mail per member), a member
answers yes, the coordinator settles on that date (the invitations are queued for the
mail worker), the member says "Jeg kommer" on their phone and the coordinator sees it,
and the slide show moves on with the arrow keys. The meeting page is also looked at on
a phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from klynge.meetings import selectors
from klynge.meetings.models import Dispatch, Meeting
from tests.e2e.conftest import log_in
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Klyngemøde om antibiotika"


def test_coordinator_plans_polls_and_invites(live_server, browser, page, shoot):
    world = build_world()
    slug = world.cluster_a.slug

    # 1. Plan a meeting without a date, with the ordinary agenda.
    log_in(page, live_server, "koordinator@a.test", PASSWORD)
    page.goto(f"{live_server.url}/klynger/{slug}/moeder/")
    assert page.get_by_text("Ingen møder er planlagt.").is_visible()
    page.get_by_role("button", name="Planlæg et møde").click()  # a link styled as a button
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Planlæg et møde").is_visible()
    page.fill("input[name=title]", TITLE)
    assert page.input_value("input[name=day]") == ""
    page.locator("select[name=template]").select_option(label="Ordinært klyngemøde")
    shoot(page, "moede-planlaeg")
    page.get_by_role("button", name="Planlæg mødet").click()
    page.wait_for_load_state("networkidle")
    meeting = Meeting.objects.get(title=TITLE)
    assert page.url.rstrip("/").endswith(f"/klynger/{slug}/moeder/{meeting.pk}")
    assert page.get_by_role("heading", name=TITLE).is_visible()
    assert page.get_by_text("Mødet er planlagt.").is_visible()
    assert page.get_by_role("heading", name="Datoafstemning").is_visible()
    assert page.get_by_text("Ingen datoer foreslået endnu.").is_visible()
    assert page.get_by_text("Velkomst og godkendelse af dagsorden").is_visible()
    assert meeting.starts is None and meeting.items.count() == 7

    # 2. Offer a date 30 days ahead, 17:00–19:30.
    day = timezone.localdate() + dt.timedelta(days=30)
    page.get_by_text("Foreslå en dato", exact=True).click()
    offer = page.locator('form[action$="/datoer/ny/"]')
    offer.locator("input[name=day]").fill(day.strftime("%d-%m-%Y"))
    offer.locator("input[name=start_time]").fill("17:00")
    offer.locator("input[name=end_time]").fill("19:30")
    offer.get_by_role("button", name="Foreslå datoen").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text(
        "Datoen er foreslået. Send afstemningen, når alle datoerne er med."
    ).is_visible()
    assert not Dispatch.objects.filter(meeting=meeting).exists()  # nothing mailed per date
    slot = meeting.slots.get()
    assert timezone.localtime(slot.starts).time() == dt.time(17, 0)
    assert timezone.localtime(slot.ends).time() == dt.time(19, 30)
    assert timezone.localtime(slot.starts).date() == day
    row = page.locator("#poll li.poll-slot")
    assert row.count() == 1
    assert f"{day.day}." in row.inner_text() and "17:00–19:30" in row.inner_text()
    assert page.get_by_text("0 medlemmer har svaret.").is_visible()
    assert page.get_by_text("ikke sendt endnu").is_visible()
    shoot(page, "moede-dato-foreslaaet")
    page.get_by_role("button", name="Send datoafstemningen til medlemmerne").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text(
        "Datoafstemningen er på vej til 3 medlemmer: én e-mail til hver med alle datoerne."
    ).is_visible()
    assert Dispatch.objects.filter(meeting=meeting, kind=Dispatch.Kind.POLL).count() == 3
    assert page.get_by_role("heading", name="Har ikke svaret endnu").is_visible()
    assert page.get_by_role(
        "button", name="Send påmindelse til dem, der ikke har svaret"
    ).is_visible()

    # 3. A member answers yes on their phone.
    member_context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="da-DK"
    )
    member = member_context.new_page()
    member_errors: list[str] = []
    member.on("pageerror", lambda e: member_errors.append(str(e)))
    member.on("response", lambda r: r.status >= 500 and member_errors.append(f"{r.status} {r.url}"))
    log_in(member, live_server, "laege@a.test", PASSWORD)
    member.goto(f"{live_server.url}/klynger/{slug}/moeder/{meeting.pk}/")
    assert member.get_by_role("heading", name="Datoafstemning").is_visible()
    assert member.get_by_role("button", name="Vælg denne dato").count() == 0  # not theirs to close
    yes = member.get_by_role("radio", name="Ja", exact=True)
    box = yes.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390, box  # reachable on the phone
    yes.check()
    member.get_by_role("button", name="Gem mit svar").click()
    member.wait_for_load_state("networkidle")
    assert member.get_by_text("Tak, dit svar er gemt.").is_visible()
    assert member.get_by_role("radio", name="Ja", exact=True).is_checked()
    assert member.get_by_text("1 medlem har svaret.").is_visible()
    overflow = member.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    shoot(member, "moede-medlem-svarer-mobil")
    assert overflow <= 0, f"the date poll is {overflow}px wider than a phone"
    member_context.close()
    assert not member_errors, member_errors

    # 4. The coordinator sees the yes and settles on the date.
    page.reload()
    cells = page.locator("#poll li.poll-slot .count").all_inner_texts()
    assert cells == ["1", "0", "0"], cells  # yes, if need be, no
    assert page.get_by_text("bedst indtil videre").is_visible()
    assert page.get_by_text("1 medlem har svaret.").is_visible()
    page.get_by_role("button", name="Vælg denne dato").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Datoen er fastsat, og indkaldelserne er på vej.").is_visible()
    assert page.get_by_role("heading", name="Datoafstemning").count() == 0
    assert page.get_by_role("heading", name="Indkaldelser").is_visible()
    meeting.refresh_from_db()
    assert meeting.starts == slot.starts and meeting.invited_at is not None
    invited = [d for d in selectors.invited_doctors(meeting) if selectors.doctor_email(d)]
    invitations = Dispatch.objects.filter(meeting=meeting, kind=Dispatch.Kind.INVITATION)
    assert invitations.count() == len(invited) == 3
    assert set(invitations.values_list("status", flat=True)) == {Dispatch.Status.QUEUED}
    invitations_text = page.locator("#invitations").inner_text()
    assert "Indkaldt " in invitations_text
    # The count covers every e-mail about the meeting still waiting, the date poll's too.
    waiting = re.search(r"0 sendt, (\d+) venter på afsendelse", invitations_text)
    assert waiting, invitations_text
    assert int(waiting.group(1)) >= len(invited)
    assert page.get_by_role("button", name="Send indkaldelsen igen som en opdatering").is_visible()
    assert page.get_by_role("button", name="Aflys mødet").is_visible()
    shoot(page, "moede-indkaldt")

    # The member says they are coming, on the phone; the coordinator sees it.
    member_context = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, locale="da-DK"
    )
    member = member_context.new_page()
    log_in(member, live_server, "laege@a.test", PASSWORD)
    member.goto(f"{live_server.url}/klynger/{slug}/moeder/{meeting.pk}/")
    assert member.get_by_role("heading", name="Kommer du?").is_visible()
    member.get_by_role("button", name="Jeg kommer", exact=True).click()
    member.wait_for_load_state("networkidle")
    assert member.get_by_text("Tak. Koordinatoren kan se, at du kommer.").is_visible()
    assert member.get_by_text("Du har svaret, at du kommer").is_visible()
    overflow = member.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    shoot(member, "moede-medlem-kommer-mobil")
    assert overflow <= 0, f"the answer is {overflow}px wider than a phone"
    member_context.close()
    page.reload()
    counts = page.locator("#rsvp-counts").inner_text()
    assert counts.startswith("1 kommer · 0 kommer ikke · 5 har ikke svaret"), counts
    assert "Køge Lægehus 3 læge 1" in page.locator("#rsvp article").first.inner_text()
    shoot(page, "moede-hvem-kommer")

    # An agenda item is changed after it was made.
    page.goto(f"{live_server.url}/klynger/{slug}/moeder/{meeting.pk}/dagsorden/")
    first_item = meeting.items.first()
    edit = page.locator("details.item-edit").first
    edit.locator("summary").click()
    edit.get_by_label("Punkt", exact=True).fill("Velkomst og dagsorden")
    edit.get_by_label("Tid (minutter)", exact=True).fill("10")
    edit.get_by_role("button", name="Gem punktet").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Punktet er gemt.").is_visible()
    first_item.refresh_from_db()
    assert (first_item.title, first_item.duration) == ("Velkomst og dagsorden", 10)
    shoot(page, "moede-dagsorden-rettet")

    # The settled meeting on the coordinator's phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.get_by_role("heading", name=TITLE).is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    shoot(page, "moede-mobil")
    assert overflow <= 0, f"the meeting page is {overflow}px wider than a phone"
    page.set_viewport_size({"width": 1280, "height": 900})

    # 5. The slide show: two steps to the right.
    page.goto(f"{live_server.url}/klynger/{slug}/moeder/{meeting.pk}/praesentation/")
    page.wait_for_selector("html.js .slide.current")
    counter = page.locator(".counter")
    first = counter.inner_text()
    match = re.fullmatch(r"1 / (\d+)", first.strip())
    assert match, first
    total = int(match.group(1))
    assert total >= 3
    assert page.locator(".slide.current h1").inner_text() == TITLE
    shoot(page, "moede-praesentation-1")
    page.keyboard.press("ArrowRight")
    assert page.locator(".slide.current h2").inner_text() == "Dagsorden"
    page.keyboard.press("ArrowRight")
    assert counter.inner_text().strip() == f"3 / {total}"
    assert page.url.endswith("#3")
    assert page.locator(".slide.current").is_visible()
    shoot(page, "moede-praesentation-3")
