"""A new coordinator goes first on a course's waiting list (★): a freed seat is offered
to the coordinator who took office within the last year before those who joined the
list earlier; everyone else keeps the order they joined in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from klynge.registry import services as registry
from klynge.registry.models import Doctor, RoleKind
from klynge.support import services
from klynge.support.models import WaitingEntry
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def _session(seats: int):
    course = services.course_create(actor=None, title="Facilitering af klyngemøder")
    starts = timezone.now() + dt.timedelta(days=20)
    return services.session_add(
        actor=None,
        course=course,
        starts=starts,
        ends=starts + dt.timedelta(hours=7),
        place="Kolding",
        seats=seats,
    )


def test_a_freed_seat_goes_to_the_new_coordinator_first(world):
    today = timezone.localdate()
    newcomer = world.users["member_b"]
    registry.role_assign(
        actor=None,
        cluster=world.cluster_b,
        doctor=Doctor.objects.get(user=newcomer),
        role=RoleKind.COORDINATOR,
        start=today - dt.timedelta(days=30),
    )
    # The coordinator of Køgeklyngen has held office since 2019: not new.
    veteran, member = world.users["coordinator_a"], world.users["member_a"]
    assert services.new_coordinators(user_ids={newcomer.pk, veteran.pk, member.pk}, on=today) == {
        newcomer.pk
    }

    session = _session(seats=1)
    holder = world.users["board_a"]
    services.seat_book(user=holder, session=session)
    for user in (member, veteran, newcomer):  # the newcomer joins the list last
        services.waiting_join(user=user, session=session)
    (offer,) = services.seat_cancel(user=holder, session=session)
    assert offer.user == newcomer
    # Then the others in the order they joined.
    services.waiting_leave(user=newcomer, session=session)
    nxt = WaitingEntry.objects.get(session=session, status=WaitingEntry.Status.OFFERED)
    assert nxt.user == member


def test_a_coordinator_of_more_than_a_year_waits_in_line(world):
    today = timezone.localdate()
    doctor = Doctor.objects.get(user=world.users["member_b"])
    registry.role_assign(
        actor=None,
        cluster=world.cluster_b,
        doctor=doctor,
        role=RoleKind.COORDINATOR,
        start=today - dt.timedelta(days=400),
    )
    assert services.new_coordinators(user_ids={world.users["member_b"].pk}, on=today) == set()
