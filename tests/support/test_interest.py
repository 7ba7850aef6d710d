"""The interest list of a course with no session yet (★): people say they would come,
the secretariat sees how many and from which regions, and when a session is planned
everyone on the list hears it by e-mail through the worker, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from klynge.core.errors import DomainError
from klynge.support import mail as support_mail
from klynge.support import selectors, services
from klynge.support.models import CourseInterest
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def course(db):
    return services.course_create(actor=None, title="Supervision af koordinatorer")


def login(client, email):
    assert client.login(email=email, password=PASSWORD)


def test_people_say_they_would_come_and_the_secretariat_sees_how_many(world, course, client):
    for email in ("koordinator@a.test", "laege@b.test", "region@sjaelland.test"):
        login(client, email)
        response = client.post(reverse("support:interest.register", args=[course.pk]))
        assert response.status_code == 302
        client.post(reverse("support:interest.register", args=[course.pk]))  # twice: once
    assert CourseInterest.objects.count() == 3
    interest = selectors.course_interests(user=world.users["coordinator_a"])[course.pk]
    # Hand count: a doctor in Køge (Sjælland), one in Hillerød (Hovedstaden), and the
    # unit's staff member, who is no doctor.
    assert interest.count == 3 and interest.mine
    assert interest.by_region == [("Region Hovedstaden", 1), ("Region Sjælland", 1), ("", 1)]
    login(client, "sekretariat@kiap.test")
    html = client.get(reverse("support:course.list")).content.decode()
    assert 'data-testid="interest-count"' in html
    assert not selectors.course_interests(user=world.users["secretariat"])[course.pk].mine


def test_withdrawing_and_no_list_once_a_session_is_open(world, course, client):
    login(client, "laege@a.test")
    client.post(reverse("support:interest.register", args=[course.pk]))
    assert client.post(reverse("support:interest.withdraw", args=[course.pk])).status_code == 302
    assert not CourseInterest.objects.exists()
    starts = timezone.now() + dt.timedelta(days=10)
    services.session_add(
        actor=None,
        course=course,
        starts=starts,
        ends=starts + dt.timedelta(hours=3),
        place="Odense",
        seats=10,
    )
    with pytest.raises(DomainError):
        services.interest_register(user=world.users["member_a"], course=course)


def test_a_planned_session_is_mailed_to_the_list_once(
    world, course, django_capture_on_commit_callbacks
):
    for key in ("coordinator_a", "member_b"):
        services.interest_register(user=world.users[key], course=course)
    starts = timezone.now() + dt.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_add(
            actor=None,
            course=course,
            starts=starts,
            ends=starts + dt.timedelta(hours=3),
            place="Odense",
            seats=10,
        )
    tasks = [t for t in DBTaskResult.objects.all() if t.task_path.endswith("send_session_planned")]
    assert len(tasks) == 2
    for t in tasks:
        assert support_mail.send_session_planned(*t.args_kwargs["args"]) == "sent"
        assert support_mail.send_session_planned(*t.args_kwargs["args"]) == "skipped"
    assert sorted(m.to[0] for m in mail.outbox) == ["koordinator@a.test", "laege@b.test"]
    assert "Odense" in mail.outbox[0].body and session.course.title in mail.outbox[0].subject
    assert not CourseInterest.objects.filter(notified__isnull=True).exists()
