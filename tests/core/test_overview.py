"""'Mit overblik' (issue 11, PLAT-7): each role's sections, computed from data; empty
states; another cluster's member sees nothing of this cluster; a bounded page."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from klynge.core.dates import today
from klynge.core.overview import overview_for, registered_sections
from klynge.finance.models import FeeContract
from klynge.meetings.models import (
    Action,
    Announcement,
    EvaluationReceipt,
    Meeting,
    MeetingKind,
    PollAnswer,
    PollSlot,
)
from klynge.registry.models import Cluster, Doctor
from tests.world import build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def w():
    return build_world()


def evening(days: int) -> dt.datetime:
    return dt.datetime.combine(today() + dt.timedelta(days=days), dt.time(17, 0), tzinfo=CPH)


def fresh(user):
    """The user as a new request sees it (the overview memoises on the user object)."""
    return type(user).objects.get(pk=user.pk)


def sections(user) -> dict:
    with translation.override("en"):  # a client request before may have activated Danish
        rendered = overview_for(user=fresh(user), on=today()).sections
    keys = [s.key for s in rendered]
    assert len(keys) == len(set(keys))  # each section once
    return {s.key: s for s in rendered if s.key in MINE}


def texts(user, key: str) -> list[str]:
    found = sections(user).get(key)
    return [item.text for block in found.blocks for item in block.items] if found else []


def page(user) -> str:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def doctor_of(user) -> Doctor:
    return Doctor.objects.get(user=user)


MEMBER = {
    "meetings.next",
    "meetings.polls",
    "meetings.evaluation",
    "meetings.own_actions",
    "meetings.announcements",
    "quality.own_clinic",
}
COORDINATOR = {
    "registry.registration",
    "meetings.preparation",
    "quality.freshness",
    "meetings.cluster_actions",
    "finance.grant",
}
TREASURER = {"finance.books", "finance.to_book"}
REGION = {"overviews.payouts_due", "overviews.incomplete_registrations"}
# The sections of this piece; other domains add their own (news, data orders, …).
MINE = MEMBER | COORDINATOR | TREASURER | REGION


def test_every_section_is_collected_from_the_domains_once():
    keys = [s.key for s in registered_sections()]
    assert len(keys) == len(set(keys))
    assert set(keys) >= MINE


def test_each_role_sees_its_sections(w):
    u = w.users
    assert set(sections(u["member_a"])) == MEMBER
    assert set(sections(u["member_b"])) == MEMBER
    # The coordinator is a member too: both sets, each section once.
    assert set(sections(u["coordinator_a"])) == MEMBER | COORDINATOR
    assert set(sections(u["board_a"])) == MEMBER | TREASURER
    assert set(sections(u["region_a"])) == REGION
    assert set(sections(u["secretariat"])) == REGION
    assert set(sections(u["doctor_free"])) == set()


def test_anonymous_visitors_keep_the_public_home(w):
    html = page(None)
    assert "Quality clusters in general practice" in html
    assert "My overview" not in html


def test_a_logged_in_user_lands_on_the_overview(w):
    html = page(w.users["member_a"])
    assert "My overview" in html
    assert 'id="overblik-meetingsnext"' in html


def test_empty_states_are_danish(w):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"
    client.force_login(w.users["member_a"])
    html = client.get("/").content.decode()
    assert "Mit overblik" in html
    assert "Ingen møder planlagt" in html
    assert "Du har ingen åbne aktioner" in html


def test_an_overdue_action_is_its_owners_and_the_coordinators_not_another_clusters(w):
    meeting = Meeting.objects.create(cluster=w.cluster_a, title="Oktobermødet", starts=evening(-40))
    owner = doctor_of(w.users["member_a"])
    Action.objects.create(
        meeting=meeting, text="Ring til kommunen", owner=owner, due=today() - dt.timedelta(days=3)
    )
    Action.objects.create(
        meeting=meeting, text="Skriv til regionen", owner=doctor_of(w.users["coordinator_a"])
    )
    own = sections(w.users["member_a"])["meetings.own_actions"].blocks[0].items
    assert [(i.text, i.tone) for i in own] == [("Ring til kommunen", "overdue")]
    assert "Ring til kommunen" not in texts(w.users["board_a"], "meetings.own_actions")
    overdue = texts(w.users["coordinator_a"], "meetings.cluster_actions")
    assert overdue == ["Ring til kommunen"]  # the one without a due date is not overdue
    for name in ("member_b", "region_other", "doctor_free"):
        assert "Ring til kommunen" not in page(w.users[name])
    # Done: gone.
    Action.objects.filter(text="Ring til kommunen").update(status=Action.Status.DONE)
    assert texts(w.users["member_a"], "meetings.own_actions") == []
    assert texts(w.users["coordinator_a"], "meetings.cluster_actions") == []


def test_next_meeting_and_its_empty_state(w):
    assert texts(w.users["member_a"], "meetings.next") == []
    blocks = sections(w.users["member_a"])["meetings.next"].blocks
    assert blocks[0].empty == "No meetings planned"
    Meeting.objects.create(cluster=w.cluster_a, title="Før", starts=evening(-2))
    later = Meeting.objects.create(cluster=w.cluster_a, title="Senere", starts=evening(30))
    Meeting.objects.create(cluster=w.cluster_a, title="Snart", starts=evening(7))
    Meeting.objects.create(
        cluster=w.cluster_a, title="Bestyrelsen", kind=MeetingKind.BOARD, starts=evening(3)
    )
    assert texts(w.users["member_a"], "meetings.next") == ["Snart"]
    # Board meetings are the board's.
    assert texts(w.users["board_a"], "meetings.next") == ["Bestyrelsen"]
    Meeting.objects.filter(title="Snart").update(cancelled_at=timezone.now())
    assert texts(w.users["member_a"], "meetings.next") == [later.title]
    assert "Senere" not in texts(w.users["member_b"], "meetings.next")


def test_an_open_poll_asks_until_every_date_is_answered(w):
    meeting = Meeting.objects.create(cluster=w.cluster_a, title="Forårsmødet")
    slots = [
        PollSlot.objects.create(
            meeting=meeting, starts=evening(d), ends=evening(d) + dt.timedelta(hours=2)
        )
        for d in (20, 21)
    ]
    member = w.users["member_a"]
    assert texts(member, "meetings.polls") == ["Answer the date poll: Forårsmødet"]
    assert texts(w.users["member_b"], "meetings.polls") == []
    # The coordinator sees who has not answered.
    prep = sections(w.users["coordinator_a"])["meetings.preparation"].blocks[0].items[0]
    assert prep.tone == "due"
    assert any(doctor_of(member).name in line for line in prep.lines)
    PollAnswer.objects.create(slot=slots[0], doctor=doctor_of(member), answer="yes")
    assert texts(member, "meetings.polls") == ["Answer the date poll: Forårsmødet"]
    PollAnswer.objects.create(slot=slots[1], doctor=doctor_of(member), answer="no")
    assert texts(member, "meetings.polls") == []
    prep = sections(w.users["coordinator_a"])["meetings.preparation"].blocks[0].items[0]
    assert not any(doctor_of(member).name in line for line in prep.lines)


def test_meeting_preparation_says_what_is_missing(w):
    meeting = Meeting.objects.create(cluster=w.cluster_a, title="Decembermødet", starts=evening(9))
    item = sections(w.users["coordinator_a"])["meetings.preparation"].blocks[0].items[0]
    assert item.tone == "due"
    assert item.lines == ("No agenda yet", "Invitations not sent")
    meeting.items.create(title="Velkomst", position=1)
    Meeting.objects.filter(pk=meeting.pk).update(invited_at=timezone.now())
    item = sections(w.users["coordinator_a"])["meetings.preparation"].blocks[0].items[0]
    assert item.tone == "done"
    assert item.lines[0] == "Agenda: 1 item"


def test_the_last_meeting_waits_for_its_evaluation(w):
    meeting = Meeting.objects.create(cluster=w.cluster_a, title="Novembermødet", starts=evening(-5))
    member = w.users["member_a"]
    assert texts(member, "meetings.evaluation") == ["Evaluate the meeting: Novembermødet"]
    assert texts(w.users["member_b"], "meetings.evaluation") == []
    EvaluationReceipt.objects.create(meeting=meeting, user=member)
    assert texts(member, "meetings.evaluation") == []


def test_announcements_of_the_own_cluster(w):
    Announcement.objects.create(cluster=w.cluster_a, title="Ny dato for mødet", body="…")
    assert texts(w.users["member_a"], "meetings.announcements") == ["Ny dato for mødet"]
    assert texts(w.users["member_b"], "meetings.announcements") == []


def test_the_registration_checklist_while_incomplete(w):
    items = texts(w.users["coordinator_a"], "registry.registration")
    assert items == ["Statutes (uploaded)"]
    Cluster.objects.filter(pk=w.cluster_a.pk).update(registration_completed=dt.date(2020, 1, 1))
    assert "registry.registration" not in sections(w.users["coordinator_a"])


def test_grant_and_payouts_due_for_the_region_of_the_cluster(w):
    coordinator = sections(w.users["coordinator_a"])["finance.grant"].blocks[0].items
    assert coordinator[1].text == "The grant is paid once the registration is complete."
    Cluster.objects.filter(pk=w.cluster_a.pk).update(registration_completed=dt.date(2020, 1, 1))
    coordinator = sections(w.users["coordinator_a"])["finance.grant"].blocks[0].items
    assert coordinator[0].text.startswith(f"Expected grant {today().year}")
    assert coordinator[1].text.startswith("Next payout")
    assert [t.split(":")[0] for t in texts(w.users["region_a"], "overviews.payouts_due")] == [
        "Køgeklyngen"
    ]
    assert texts(w.users["region_other"], "overviews.payouts_due") == []
    assert [t.split(":")[0] for t in texts(w.users["secretariat"], "overviews.payouts_due")] == [
        "Køgeklyngen"
    ]
    incomplete = texts(w.users["secretariat"], "overviews.incomplete_registrations")
    assert incomplete == ["Hillerødklyngen"]
    missing = sections(w.users["region_other"])["overviews.incomplete_registrations"]
    assert missing.blocks[0].items[0].lines == (
        "Statutes (uploaded)",
        "Minutes of the founding general assembly (uploaded)",
    )


def test_the_treasurer_sees_fees_due_and_no_budget(w):
    FeeContract.objects.create(
        cluster=w.cluster_a,
        recipient="Karen Koordinator",
        role="Koordinator",
        tasks=[{"task": "Møder", "hours": 40}],
        hourly_basis=Decimal("500"),
        frequency="yearly",
        start=dt.date(2020, 1, 1),
    )
    books = texts(w.users["board_a"], "finance.books")
    assert books[0].startswith("Bank balance")
    assert f"No budget adopted for {today().year}" in books
    assert any(t.startswith("Fee to Karen Koordinator (Koordinator)") for t in books)
    # Not the member's, not another cluster's treasurer's.
    assert "finance.books" not in sections(w.users["member_a"])
    assert "Karen Koordinator" not in page(w.users["member_b"])


def test_own_clinic_data_and_the_clusters_freshness(w):
    own = sections(w.users["member_a"])["quality.own_clinic"].blocks[0]
    assert own.summary == "Newest data: December 2024"
    # The signals are those of the clinic's own run charts on "Din klinik".
    from klynge.quality.selectors import clinic_dashboard

    clinic_id = doctor_of(w.users["member_a"]).clinic_id
    with translation.override("en"):
        rows = clinic_dashboard(clinic_id=clinic_id, last=dt.date(2024, 12, 1))
    expected = [str(r.indicator.title) for r in rows if r.trend.analysis.signal]
    assert expected
    assert [i.text for i in own.items] == expected
    fresh_blocks = sections(w.users["coordinator_a"])["quality.freshness"].blocks[0]
    assert fresh_blocks.items[0].text == "Complete through December 2024"
    assert fresh_blocks.items[0].tone == "due"  # months behind today


@pytest.mark.parametrize(("name", "base"), [("coordinator_a", 61), ("member_a", 40)])
def test_the_page_costs_a_bounded_number_of_queries(
    w, name, base, django_assert_max_num_queries, monkeypatch
):
    """A fixed number of queries plus one per active indicator (the own clinic's run
    charts), whatever the number of meetings, polls, actions or members."""
    # Work to show: a poll, an upcoming meeting, actions, an announcement.
    poll = Meeting.objects.create(cluster=w.cluster_a, title="Forårsmødet")
    for d in (20, 21, 22):
        PollSlot.objects.create(
            meeting=poll, starts=evening(d), ends=evening(d) + dt.timedelta(hours=2)
        )
    meeting = Meeting.objects.create(cluster=w.cluster_a, title="Decembermødet", starts=evening(9))
    for doctor in Doctor.objects.filter(clinic__in=w.clinics_a):
        Action.objects.create(meeting=meeting, text="Opgave", owner=doctor, due=today())
    Announcement.objects.create(cluster=w.cluster_a, title="Nyt", body="…")
    client = Client()
    client.force_login(w.users[name])
    from klynge.quality.models import Indicator

    with django_assert_max_num_queries(base + Indicator.objects.filter(active=True).count()):
        assert client.get("/").status_code == 200


def test_jeg_kommer_from_the_start_page_and_the_coordinator_sees_it(w):
    meeting = Meeting.objects.create(
        cluster=w.cluster_a, title="Decembermødet", starts=evening(9), invited_at=timezone.now()
    )
    member = w.users["member_a"]
    item = sections(member)["meetings.next"].blocks[0].items[0]
    assert item.form is not None
    assert item.form.action == f"/klynger/{w.cluster_a.slug}/moeder/{meeting.pk}/kommer/"
    assert [(b.value, b.pressed) for b in item.form.buttons] == [("yes", False), ("no", False)]
    client = Client()
    client.force_login(member)
    response = client.post(item.form.action, {"coming": "yes", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    item = sections(member)["meetings.next"].blocks[0].items[0]
    assert [(b.value, b.pressed) for b in item.form.buttons] == [("yes", True), ("no", False)]
    assert 'aria-pressed="true"' in page(member)
    prep = sections(w.users["coordinator_a"])["meetings.preparation"].blocks[0].items[0]
    assert "1 is coming" in " ".join(prep.lines), prep.lines
    # Another cluster's member has no such form, and cannot post it.
    assert texts(w.users["member_b"], "meetings.next") == []


def test_the_treasurer_sees_budget_against_actual(w):
    from klynge.finance import ledger
    from klynge.finance.models import Budget, BudgetLine

    accounts = ledger.chart_of_accounts(cluster=w.cluster_a)
    budget = Budget.objects.create(cluster=w.cluster_a, year=today().year)
    BudgetLine.objects.create(budget=budget, account=accounts["4001"], amount=Decimal("1000"))
    ledger.expense_record(
        actor=None,
        cluster=w.cluster_a,
        date=today(),
        category=accounts["4001"].category,
        amount=Decimal("250"),
        text="Forplejning",
    )
    books = sections(w.users["board_a"])["finance.books"].blocks[0].items
    expenses = next(i for i in books if i.text.startswith(f"Expenses {today().year}"))
    assert expenses.text.replace("\xa0", " ") == (
        f"Expenses {today().year}: 250 kr. of 1,000 kr. budgeted"
    )
    income = next(i for i in books if i.text.startswith(f"Income {today().year}"))
    # Income the budget does not plan is not "of 0 kr. budgeted".
    assert income.text.endswith("not in the budget")
