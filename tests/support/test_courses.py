"""Course seats and the waiting list: sign-up, cancellation, the offer of a freed seat
with a time limit (pretix's waiting list as the model), and the last seat."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from klynge.accounts.models import User
from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.support import selectors, services
from klynge.support.models import Booking, WaitingEntry


def _user(n: int) -> User:
    return User.objects.create_user(f"deltager{n}@kursus.test", "pw", name=f"Deltager {n}")


@pytest.fixture
def session(db):
    course = services.course_create(actor=None, title="Facilitering af klyngemøder")
    starts = timezone.now() + dt.timedelta(days=20)
    return services.session_add(
        actor=None,
        course=course,
        starts=starts,
        ends=starts + dt.timedelta(hours=7),
        place="Kolding",
        seats=2,
    )


def test_sign_up_until_full_then_the_waiting_list(session):
    a, b, c = _user(1), _user(2), _user(3)
    services.seat_book(user=a, session=session)
    services.seat_book(user=b, session=session)
    with pytest.raises(DomainError, match="fuldt"):
        services.seat_book(user=c, session=session)
    with pytest.raises(DomainError, match="allerede en plads"):
        services.waiting_join(user=a, session=session)
    entry = services.waiting_join(user=c, session=session)
    assert entry.status == WaitingEntry.Status.WAITING
    with pytest.raises(DomainError, match="allerede på ventelisten"):
        services.waiting_join(user=c, session=session)
    [state] = selectors.session_states(sessions=[session], user=c)
    assert (state.booked, state.free, state.waiting, state.mine) == (2, 0, 1, "waiting")


def test_waiting_list_refused_while_seats_are_free(session):
    with pytest.raises(DomainError, match="ledige pladser"):
        services.waiting_join(user=_user(1), session=session)


def test_a_cancellation_offers_the_seat_to_the_first_in_line_and_holds_it(session, settings):
    settings.KLYNGE_COURSE_OFFER_HOURS = 24
    a, b, first, second, latecomer = (_user(n) for n in range(1, 6))
    services.seat_book(user=a, session=session)
    services.seat_book(user=b, session=session)
    services.waiting_join(user=first, session=session)
    services.waiting_join(user=second, session=session)
    now = timezone.now()
    offers = services.seat_cancel(user=a, session=session, now=now)
    assert [o.user for o in offers] == [first]
    assert offers[0].offer_expires == now + dt.timedelta(hours=24)
    # The seat is held: nobody else can take it, the second keeps waiting.
    with pytest.raises(DomainError, match="fuldt"):
        services.seat_book(user=latecomer, session=session, now=now)
    assert WaitingEntry.objects.get(user=second).status == WaitingEntry.Status.WAITING
    booking = services.offer_accept(user=first, session=session, now=now + dt.timedelta(hours=23))
    assert booking.session == session
    assert Booking.objects.filter(session=session, cancelled__isnull=True).count() == 2
    assert AuditEntry.objects.filter(action="support.waiting.accept").count() == 1


def test_an_expired_offer_cannot_be_taken_and_passes_to_the_next(session, settings):
    settings.KLYNGE_COURSE_OFFER_HOURS = 24
    a, b, first, second = (_user(n) for n in range(1, 5))
    services.seat_book(user=a, session=session)
    services.seat_book(user=b, session=session)
    services.waiting_join(user=first, session=session)
    services.waiting_join(user=second, session=session)
    now = timezone.now()
    services.seat_cancel(user=a, session=session, now=now)
    late = now + dt.timedelta(hours=24, seconds=1)
    with pytest.raises(DomainError, match="udløbet"):
        services.offer_accept(user=first, session=session, now=late)
    assert WaitingEntry.objects.get(user=first).status == WaitingEntry.Status.EXPIRED
    nxt = WaitingEntry.objects.get(user=second)
    assert nxt.status == WaitingEntry.Status.OFFERED
    assert nxt.offer_expires == late + dt.timedelta(hours=24)
    services.offer_accept(user=second, session=session, now=late + dt.timedelta(hours=1))


def test_the_worker_passes_on_a_lapsed_offer_without_anyone_asking(session):
    a, b, first, second = (_user(n) for n in range(1, 5))
    services.seat_book(user=a, session=session)
    services.seat_book(user=b, session=session)
    services.waiting_join(user=first, session=session)
    services.waiting_join(user=second, session=session)
    now = timezone.now()
    services.seat_cancel(user=a, session=session, now=now)
    assert services.session_refresh(session_id=session.pk, now=now) == 0  # not yet
    assert services.session_refresh(session_id=session.pk, now=now + dt.timedelta(days=3)) == 1
    assert WaitingEntry.objects.get(user=second).status == WaitingEntry.Status.OFFERED


def test_an_offer_never_outlives_the_session_start(session, settings):
    settings.KLYNGE_COURSE_OFFER_HOURS = 24 * 60
    a, b, first = (_user(n) for n in range(1, 4))
    services.seat_book(user=a, session=session)
    services.seat_book(user=b, session=session)
    services.waiting_join(user=first, session=session)
    [offer] = services.seat_cancel(user=a, session=session)
    assert offer.offer_expires == session.starts


def test_declining_an_offer_passes_it_on(session):
    a, b, first, second = (_user(n) for n in range(1, 5))
    services.seat_book(user=a, session=session)
    services.seat_book(user=b, session=session)
    services.waiting_join(user=first, session=session)
    services.waiting_join(user=second, session=session)
    services.seat_cancel(user=a, session=session)
    services.waiting_leave(user=first, session=session)
    assert WaitingEntry.objects.get(user=first).status == WaitingEntry.Status.WITHDRAWN
    assert WaitingEntry.objects.get(user=second).status == WaitingEntry.Status.OFFERED


def test_cancel_without_a_seat_and_after_the_start_is_refused(session):
    a = _user(1)
    with pytest.raises(DomainError, match="ingen plads"):
        services.seat_cancel(user=a, session=session)
    services.seat_book(user=a, session=session)
    with pytest.raises(DomainError, match="begyndt"):
        services.seat_cancel(user=a, session=session, now=session.starts)


def test_a_session_must_end_after_it_starts(db):
    course = services.course_create(actor=None, title="Kursus")
    starts = timezone.now()
    with pytest.raises(DomainError):
        services.session_add(
            actor=None, course=course, starts=starts, ends=starts, place="X", seats=3
        )


def test_calendar_file_and_attendance_list(session, client):
    a = _user(1)
    services.seat_book(user=a, session=session)
    response = client.get(reverse("support:session.ics", args=[session.pk]))
    assert response.status_code == 200
    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == session.starts.replace(microsecond=0)
    assert str(event["uid"]) == f"{session.uid}@klynge"
    assert str(event["summary"]) == "Facilitering af klyngemøder"
    staff = User.objects.create_user("s@kiap.test", "pw", is_secretariat=True)
    client.force_login(staff)
    page = client.get(reverse("support:session.attendance", args=[session.pk]))
    assert "deltager1@kursus.test" in page.content.decode()


def test_sign_up_through_the_page(session, client):
    a = _user(1)
    client.force_login(a)
    response = client.post(reverse("support:seat.book", args=[session.pk]))
    assert response.status_code == 302
    assert Booking.objects.filter(user=a, session=session).exists()
    page = client.get(reverse("support:course.list")).content.decode()
    assert "Afmeld min plads" in page or "Cancel my seat" in page
