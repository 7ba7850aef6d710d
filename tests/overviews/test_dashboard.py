"""The programme dashboard (KNOW-5): every figure against a hand count on a small
dataset, nationally and for Region Sjælland, as of 30 June 2024; records dated after
that day do not count.

The world: Køgeklyngen (Køge, Region Sjælland: 3 clinics × 2 doctors) and
Hillerødklyngen (Hillerød, Region Hovedstaden: 2 clinics × 2 doctors), and Fri Klinik
(Køge, 1 doctor) in no cluster."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from klynge.dataorders.models import DataOrder, OrderStatus
from klynge.finance import selectors as finance_selectors
from klynge.finance import services as finance
from klynge.meetings.models import Attendance, Meeting, MeetingKind
from klynge.overviews import dashboard
from klynge.packages.models import Package, PackageVersion
from klynge.quality.models import Indicator
from klynge.registry.models import Cluster, Doctor, Region
from klynge.support.models import Booking, Course, CourseSession, Inquiry, ReportSubmission
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db
ON = dt.date(2024, 6, 30)
SJAELLAND = 1085


def at(y, m, d, h=12):
    return timezone.make_aware(dt.datetime(y, m, d, h))


@pytest.fixture
def world(db):
    w = build_world()
    a, b = w.cluster_a, w.cluster_b
    Cluster.objects.filter(pk=a.pk).update(registration_completed=dt.date(2019, 3, 15))
    Cluster.objects.filter(pk=b.pk).update(registration_completed=None)
    a.refresh_from_db()
    b.refresh_from_db()
    # Grants: 1.000 kr. paid to A in February; 500 kr. in August is after the day.
    for amount, day in (
        (Decimal("1000"), dt.date(2024, 2, 1)),
        (Decimal("500"), dt.date(2024, 8, 1)),
    ):
        finance.payout_record(actor=None, cluster=a, year=2024, amount=amount, paid_on=day)

    # Meetings: A in Q1 (4 present of 6) and Q2 (3 of 4, one indicator); B in Q1 (2 of 4).
    # Not counted: A's cancelled meeting, A's board meeting, A's meeting in July.
    doctors_a = list(Doctor.objects.filter(clinic__in=w.clinics_a).order_by("id"))
    doctors_b = list(Doctor.objects.filter(clinic__memberships__cluster=b).order_by("id"))
    indicator = Indicator.objects.order_by("code").first()

    def meeting(cluster, when, marks, **extra):
        m = Meeting.objects.create(
            cluster=cluster, title=f"Møde {when:%d-%m}", starts=when, **extra
        )
        doctors = doctors_a if cluster == a else doctors_b
        for doctor, status in zip(doctors, marks, strict=False):
            Attendance.objects.create(meeting=m, doctor=doctor, status=status)
        return m

    P, A, E = Attendance.Status.PRESENT, Attendance.Status.ABSENT, Attendance.Status.EXCUSED
    meeting(a, at(2024, 2, 10), [P, P, P, P, A, A])
    meeting(a, at(2024, 5, 5), [P, P, P, E]).indicators.add(indicator)
    meeting(b, at(2024, 3, 3), [P, P, A, A])
    meeting(a, at(2024, 4, 1), [P, P], cancelled_at=at(2024, 3, 30))
    meeting(a, at(2024, 4, 20), [P, P], kind=MeetingKind.BOARD)
    meeting(a, at(2024, 7, 10), [P, P])

    # Data orders: A's overdue (due 1 May, not delivered); A's delivered on 1 June;
    # B's open, due after the day; A's declined; B's ordered after the day. A's first
    # order is with a package, adopted this year.
    version = PackageVersion.objects.create(
        package=Package.objects.create(theme="Diabetes"), number=1, title="Diabetes"
    )

    def order(cluster, ordered, due, **extra):
        return DataOrder.objects.create(
            cluster=cluster,
            period_start=dt.date(2023, 1, 1),
            period_end=dt.date(2023, 12, 31),
            ordered_on=ordered,
            due=due,
            **extra,
        )

    order(a, dt.date(2024, 3, 1), dt.date(2024, 5, 1), package=version)
    order(
        a,
        dt.date(2024, 4, 1),
        dt.date(2024, 8, 1),
        status=OrderStatus.DELIVERED,
        delivered_at=at(2024, 6, 1),
    )
    order(b, dt.date(2024, 6, 1), dt.date(2024, 7, 1))
    order(a, dt.date(2024, 2, 1), dt.date(2024, 3, 1), status=OrderStatus.DECLINED)
    order(b, dt.date(2024, 7, 1), dt.date(2024, 8, 1))

    # Inquiries: Sjælland's waiting since May; one decided 15 June; Hovedstaden's
    # received 1 June and decided 5 July (still in the queue on the day); one from July.
    sjaelland, hovedstaden = Region.objects.get(code=SJAELLAND), Region.objects.get(code=1084)

    def inquiry(name, created, decided=None, region=None):
        i = Inquiry.objects.create(
            token=name,
            organisation=name,
            kind="research",
            contact_name="K",
            email="k@example.test",
            proposal="P",
            group=2,
            region=region,
            decided=decided,
        )
        Inquiry.objects.filter(pk=i.pk).update(created=created)

    inquiry("Venter", at(2024, 5, 1), region=sjaelland)
    inquiry("Afgjort", at(2024, 4, 1), decided=at(2024, 6, 15), region=sjaelland)
    inquiry("Juli-afgjort", at(2024, 6, 1), decided=at(2024, 7, 5), region=hovedstaden)
    inquiry("Fra juli", at(2024, 7, 2), region=sjaelland)

    # Courses: 10 seats in September with 3 booked, one cancelled before the day and
    # one after it (still taken on the day); 5 seats in March, all taken; a cancelled
    # session of 20 seats does not count.
    users = [u for u in w.users.values() if u is not None]
    course = Course.objects.create(title="Facilitering")

    def session(starts, seats, **extra):
        return CourseSession.objects.create(
            course=course,
            starts=starts,
            ends=starts + dt.timedelta(hours=6),
            place="Kolding",
            seats=seats,
            **extra,
        )

    def book(s, user, created, cancelled=None):
        booking = Booking.objects.create(session=s, user=user, cancelled=cancelled)
        Booking.objects.filter(pk=booking.pk).update(created=created)

    september = session(at(2024, 9, 1), 10)
    for user in users[:3]:
        book(september, user, at(2024, 5, 1))
    book(september, users[3], at(2024, 5, 1), cancelled=at(2024, 6, 10))
    book(september, users[4], at(2024, 5, 1), cancelled=at(2024, 7, 10))
    march = session(at(2024, 3, 1), 5)
    for user in users[:5]:
        book(march, user, at(2024, 2, 1))
    session(at(2024, 10, 1), 20, cancelled=True)

    # Activity reports for 2023: A's in February 2024; B's in August (after the day).
    ReportSubmission.objects.create(cluster=a, year=2023, submitted=at(2024, 2, 1))
    ReportSubmission.objects.create(cluster=b, year=2023, submitted=at(2024, 8, 1))
    return w


def values(board) -> dict:
    return {key: f.value for key, f in board.figures.items()}


def test_every_national_figure_against_a_hand_count(world):
    board = dashboard.build(on=ON, region=None)
    grant_a = finance_selectors.grant_rows(year=2024, only=world.cluster_a)[0].grant.total
    grant_b = finance_selectors.grant_rows(year=2024, only=world.cluster_b)[0].grant.total
    assert values(board) == {
        "clusters": 2,
        "doctor_share": 10 / 11,
        "clinic_share": 5 / 6,
        "incomplete": 1,  # Hillerødklyngen
        "grants_total": grant_a + grant_b,
        "grants_paid": Decimal("1000"),
        "grants_due": grant_a - Decimal("1000"),  # B's registration is not complete
        "meetings_held": 3,
        "attendance": 9 / 14,
        "indicators": 1,
        "packages_adopted": 1,
        "orders_open": 2,
        "orders_overdue": 1,
        "inquiries_queue": 2,
        "courses_filled": 9 / 15,
        "reports_received": 1,
    }
    assert board.quarters == [(1, 2, 6, 10), (2, 1, 3, 4)]
    assert board["reports_received"].detail == "1 / 2"
    assert board["incomplete"].rows[0][0] == "Hillerødklyngen"


def test_every_regional_figure_against_a_hand_count(world):
    board = dashboard.build(on=ON, region=Region.objects.get(code=SJAELLAND))
    grant_a = finance_selectors.grant_rows(year=2024, only=world.cluster_a)[0].grant.total
    got = values(board)
    assert got == {
        "clusters": 1,
        "doctor_share": 6 / 7,  # Fri Klinik's doctor is outside
        "clinic_share": 3 / 4,
        "incomplete": 0,
        "grants_total": grant_a,
        "grants_paid": Decimal("1000"),
        "grants_due": grant_a - Decimal("1000"),
        "meetings_held": 2,
        "attendance": 7 / 10,
        "indicators": 1,
        "packages_adopted": 1,
        "orders_open": 1,
        "orders_overdue": 1,
        "inquiries_queue": 1,
        "courses_filled": 9 / 15,  # courses are national
        "reports_received": 1,
    }
    assert board["reports_received"].detail == "1 / 1"


def test_a_later_date_moves_the_figures(world):
    board = dashboard.build(on=dt.date(2024, 8, 2), region=None)
    assert board["grants_paid"].value == Decimal("1500")
    assert board["meetings_held"].value == 4  # July's meeting
    assert board["orders_open"].value == 3  # A's overdue one and B's two
    assert board["orders_overdue"].value == 3  # due 1 May, 1 July and 1 August
    assert board["reports_received"].value == 2
    assert board["inquiries_queue"].value == 2  # "Venter" and "Fra juli"


def test_the_page_and_a_figures_csv(world, client):
    assert client.login(email="region@sjaelland.test", password=PASSWORD)
    page = client.get(reverse("overviews:dashboard"), {"dato": ON.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="figure-meetings_held">2<' in html
    csv = client.get(
        reverse("overviews:dashboard.csv", args=["orders_open"]), {"dato": ON.isoformat()}
    )
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and ";Køgeklyngen;2024-03-01;2024-05-01;1" in lines[1]
    assert client.get(reverse("overviews:dashboard.csv", args=["nothing"])).status_code == 404


def test_the_key_figures_open_the_start_page_of_staff_and_no_one_else(world):
    from django.utils import translation

    from klynge.core.dates import today
    from klynge.core.overview import overview_for

    def programme(user):
        user = type(user).objects.get(pk=user.pk)
        with translation.override("en"):
            found = {s.key: s for s in overview_for(user=user, on=today()).sections}
        section = found.get("overviews.programme")
        return [i.text for b in section.blocks for i in b.items] if section else None

    national = programme(world.users["secretariat"])
    assert national[0] == "Clusters: 2"
    assert "Activity reports received: 0" in national  # last year's: none in this world
    assert programme(world.users["region_a"])[0] == "Clusters: 1"
    assert programme(world.users["coordinator_a"]) is None


def test_figures_read_as_danish_text(world, client, monkeypatch):
    """Every label starts with a capital, and counts beside a share carry the Danish
    thousands separator (the demo's "3306 / 3379" read as a code)."""
    from klynge.overviews import dashboard

    real = dashboard.format_number
    monkeypatch.setattr(dashboard, "format_number", lambda n: real(n * 1000))
    assert client.login(email="sekretariat@kiap.test", password=PASSWORD)
    html = client.get(reverse("overviews:dashboard"), {"dato": ON.isoformat()}).content.decode()
    labels = re.findall(r'<tr data-figure="[^"]+"><th scope="row">([^<]+)</th>', html)
    assert labels and all(label[0].isupper() for label in labels), labels
    assert re.search(r">\d{1,3}\.000 / \d{1,3}\.000<", html)
