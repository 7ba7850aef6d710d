"""Two people take the last seat at once: one gets it (the session row is locked)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections
from django.utils import timezone

from klynge.accounts.models import User
from klynge.core.errors import DomainError
from klynge.support import services
from klynge.support.models import Booking


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_taking_the_last_seat_at_once_get_one_seat(monkeypatch):
    course = services.course_create(actor=None, title="Facilitering")
    starts = timezone.now() + dt.timedelta(days=10)
    session = services.session_add(
        actor=None,
        course=course,
        starts=starts,
        ends=starts + dt.timedelta(hours=6),
        place="Kolding",
        seats=1,
    )
    users = [User.objects.create_user(f"d{n}@kursus.test", "pw") for n in (1, 2)]
    # Widen the window between counting the seats and taking one: without the lock on
    # the session row both would count a free seat and both would book.
    counted = services._taken

    def slow_count(s, now):
        result = counted(s, now)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(services, "_taken", slow_count)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def take(user):
        try:
            barrier.wait()
            services.seat_book(user=user, session=session)
            outcomes.append("seat")
        except DomainError as error:
            outcomes.append(error.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes)[1] == "seat" and outcomes.count("seat") == 1, outcomes
    assert "fuldt" in next(o for o in outcomes if o != "seat")
    assert Booking.objects.filter(session=session, cancelled__isnull=True).count() == 1
