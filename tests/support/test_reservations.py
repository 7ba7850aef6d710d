"""Seats reserved per region (★): the secretariat holds seats of a session for one
region until a time; until then people from other regions cannot take them, and a freed
seat is offered to the next in line who may take it; afterwards they are anyone's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from klynge.core.errors import DomainError
from klynge.registry.models import Region
from klynge.support import selectors, services
from klynge.support.models import SeatReservation, WaitingEntry
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db
SJAELLAND, HOVEDSTADEN = 1085, 1084


@pytest.fixture
def world(db):
    return build_world()


def _session(seats: int, days: int = 20):
    course = services.course_create(actor=None, title="Facilitering af klyngemøder")
    starts = timezone.now() + dt.timedelta(days=days)
    return services.session_add(
        actor=None,
        course=course,
        starts=starts,
        ends=starts + dt.timedelta(hours=7),
        place="Kolding",
        seats=seats,
    )


def test_users_region_comes_from_the_clinic_or_the_unit(world):
    u = world.users
    regions = services.user_regions(
        user_ids={u["member_a"].pk, u["member_b"].pk, u["region_other"].pk, u["secretariat"].pk},
        on=timezone.localdate(),
    )
    assert regions == {
        u["member_a"].pk: SJAELLAND,
        u["member_b"].pk: HOVEDSTADEN,
        u["region_other"].pk: HOVEDSTADEN,
    }


def test_reserved_seats_are_held_for_the_region_until_the_time(world):
    session = _session(seats=3)
    sjaelland = Region.objects.get(code=SJAELLAND)
    until = timezone.now() + dt.timedelta(days=5)
    services.seats_reserve(
        actor=world.users["secretariat"], session=session, region=sjaelland, seats=2, until=until
    )
    u = world.users
    services.seat_book(user=u["member_b"], session=session)  # the one free seat (Hovedstaden)
    with pytest.raises(DomainError, match="reserveret"):
        services.seat_book(user=u["region_other"], session=session)
    # The page shows the session full to Hovedstaden, with a seat free to Sjælland.
    [theirs] = selectors.session_states(sessions=[session], user=u["region_other"])
    [ours] = selectors.session_states(sessions=[session], user=u["member_a"])
    assert (theirs.full, ours.free) == (True, 2)
    services.waiting_join(user=u["region_other"], session=session)  # may wait instead
    services.seat_book(user=u["member_a"], session=session)
    services.seat_book(user=u["coordinator_a"], session=session)
    with pytest.raises(DomainError):
        services.seat_book(user=u["board_a"], session=session)  # now simply full

    # Sjælland's coordinator cancels: the seat is still reserved, so Hovedstaden's
    # person in line gets no offer, and Sjælland's treasurer can take it.
    assert services.seat_cancel(user=u["coordinator_a"], session=session) == []
    assert not WaitingEntry.objects.filter(status=WaitingEntry.Status.OFFERED).exists()
    services.seat_book(user=u["board_a"], session=session)


def test_a_freed_reserved_seat_is_offered_to_the_first_in_line_who_may_take_it(world):
    session = _session(seats=2)
    sjaelland = Region.objects.get(code=SJAELLAND)
    until = timezone.now() + dt.timedelta(days=5)
    services.seats_reserve(actor=None, session=session, region=sjaelland, seats=1, until=until)
    u = world.users
    services.seat_book(user=u["member_a"], session=session)  # Sjælland: the reserved seat
    services.seat_book(user=u["member_b"], session=session)  # the open seat
    services.waiting_join(user=u["region_other"], session=session)  # Hovedstaden, first
    services.waiting_join(user=u["coordinator_a"], session=session)  # Sjælland, second
    (offer,) = services.seat_cancel(user=u["member_a"], session=session)
    assert offer.user == u["coordinator_a"]


def test_after_the_time_the_seats_are_anyones(world):
    session = _session(seats=2)
    sjaelland = Region.objects.get(code=SJAELLAND)
    until = timezone.now() + dt.timedelta(days=5)
    services.seats_reserve(actor=None, session=session, region=sjaelland, seats=2, until=until)
    with pytest.raises(DomainError):
        services.seat_book(user=world.users["member_b"], session=session)
    services.seat_book(
        user=world.users["member_b"], session=session, now=until + dt.timedelta(minutes=1)
    )


def test_reservations_never_exceed_the_seats_nor_outlast_the_session(world):
    session = _session(seats=3)
    sjaelland, hovedstaden = (Region.objects.get(code=c) for c in (SJAELLAND, HOVEDSTADEN))
    until = timezone.now() + dt.timedelta(days=5)
    services.seats_reserve(actor=None, session=session, region=sjaelland, seats=2, until=until)
    with pytest.raises(DomainError):
        services.seats_reserve(
            actor=None, session=session, region=hovedstaden, seats=2, until=until
        )
    services.seats_reserve(actor=None, session=session, region=sjaelland, seats=1, until=until)
    services.seats_reserve(actor=None, session=session, region=hovedstaden, seats=2, until=until)
    with pytest.raises(DomainError):
        services.seats_reserve(
            actor=None,
            session=session,
            region=hovedstaden,
            seats=1,
            until=session.starts + dt.timedelta(hours=1),
        )
    assert SeatReservation.objects.count() == 2


def test_the_secretariat_reserves_from_the_course_page(world, client):
    session = _session(seats=10)
    assert client.login(email="sekretariat@kiap.test", password=PASSWORD)
    page = client.get(reverse("support:course.list")).content.decode()
    assert f'id="id_reserve_{session.pk}_region"' in page
    until = timezone.localtime(timezone.now() + dt.timedelta(days=3))
    response = client.post(
        reverse("support:seats.reserve", args=[session.pk]),
        {"region": SJAELLAND, "seats": 4, "until": until.strftime("%d-%m-%Y %H:%M")},
    )
    assert response.status_code == 302
    assert SeatReservation.objects.get().seats == 4
    assert (
        'data-testid="reservations"' in client.get(reverse("support:course.list")).content.decode()
    )
