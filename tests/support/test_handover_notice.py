"""The hand-over pack goes out by itself (★): when the register records a new
coordinator who takes over from someone else, they get one e-mail through the worker
with a link to their pack — once per hand-over, on the day their term starts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from klynge.registry import services as registry
from klynge.registry.models import Doctor, RoleKind
from klynge.support import handover
from klynge.support.models import HandoverNotice
from tests.world import PASSWORD, build_world

TASK = "klynge.support.tasks.send_handover_notice"


def _hand_over(world, key: str = "member_a", start: dt.date | None = None):
    doctor = Doctor.objects.get(user=world.users[key])
    return registry.role_assign(
        actor=world.users["coordinator_a"],
        cluster=world.cluster_a,
        doctor=doctor,
        role=RoleKind.COORDINATOR,
        start=start or timezone.localdate(),
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_new_coordinator_gets_the_pack_once_through_a_real_smtp_server(smtp, client):
    world = build_world()
    assert not HandoverNotice.objects.exists()  # the founding coordinator took over nobody
    assignment = _hand_over(world)
    notice = HandoverNotice.objects.get()
    assert notice.assignment == assignment and notice.recipient == "laege@a.test"

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    (message,) = smtp.messages
    assert message["To"] == "laege@a.test"
    body = message.get_body(preferencelist=("plain",)).get_content()
    pack = reverse("support:handover", args=[world.cluster_a.slug])
    assert f"{django_settings.KLYNGE_SITE_URL}{pack}" in body
    assert "Køgeklyngen" in str(message["Subject"]) and "Køgeklyngen" in body
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{django_settings.KLYNGE_SITE_URL}{pack}"' in html
    notice.refresh_from_db()
    assert notice.sent_at is not None and notice.last_error == ""

    # Once: sending again, or the worker once more, sends nothing.
    assert handover.handover_notice_send(notice.pk) == "skipped"
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert len(smtp.messages) == 1
    # The link works for the new coordinator.
    assert client.login(email="laege@a.test", password=PASSWORD)
    assert client.get(pack).status_code == 200


@pytest.mark.django_db
def test_once_per_hand_over_and_only_for_a_hand_over(django_capture_on_commit_callbacks):
    world = build_world()
    with django_capture_on_commit_callbacks(execute=True):
        first = _hand_over(world)
        # Re-electing the sitting coordinator continues the term: no new hand-over.
        _hand_over(world)
        # The hook asked again for the same term makes no second notice.
        handover.handover_notice_register(assignment=first)
    assert HandoverNotice.objects.count() == 1
    assert [t.args_kwargs["args"] for t in DBTaskResult.objects.filter(task_path=TASK)] == [
        [HandoverNotice.objects.get().pk]
    ]
    # Another role is no hand-over of the coordinator's.
    registry.role_assign(
        actor=None,
        cluster=world.cluster_a,
        doctor=Doctor.objects.get(user=world.users["coordinator_a"]),
        role=RoleKind.CHAIR,
        start=timezone.localdate(),
    )
    assert HandoverNotice.objects.count() == 1


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_notice(django_capture_on_commit_callbacks):
    world = build_world()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _hand_over(world)
        raise RuntimeError
    assert not HandoverNotice.objects.exists()
    assert not DBTaskResult.objects.filter(task_path=TASK).exists()


@pytest.mark.django_db
def test_a_later_hand_over_is_announced_on_its_first_morning(django_capture_on_commit_callbacks):
    world = build_world()
    start = timezone.localdate() + dt.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        _hand_over(world, start=start)
    (task,) = DBTaskResult.objects.filter(task_path=TASK)
    assert timezone.localtime(task.run_after).date() == start
    assert timezone.localtime(task.run_after).hour == handover.HANDOVER_MAIL_HOUR
    # Corrected before it began (the term struck from the register): nothing is sent.
    notice = HandoverNotice.objects.get()
    notice.assignment.delete()
    assert handover.handover_notice_send(notice.pk) == "skipped"


@pytest.mark.django_db
def test_a_term_over_before_its_notice_went_out_is_not_announced(monkeypatch):
    world = build_world()
    assignment = _hand_over(world)
    registry.role_end(actor=None, assignment=assignment, end=assignment.start + dt.timedelta(5))
    notice = HandoverNotice.objects.get()
    later = assignment.start + dt.timedelta(days=6)
    monkeypatch.setattr("klynge.core.dates.today", lambda: later)
    assert handover.handover_notice_send(notice.pk) == "skipped"
    monkeypatch.setattr("klynge.core.dates.today", lambda: assignment.start)
    assert handover.handover_notice_send(notice.pk) == "sent"
