"""Coordinator networks (★): a network per region kept current from the register —
today's coordinators, and board members who opt in — with messages mailed to everyone
through the worker and kept on the network's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from klynge.core.errors import DomainError
from klynge.registry import services as registry
from klynge.registry.models import Doctor, Region, RoleKind
from klynge.support import networks
from klynge.support.models import NetworkMail, NetworkMessage
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db
SJAELLAND = 1085


@pytest.fixture
def world(db):
    return build_world()


def names(region_code: int) -> list[str]:
    region = Region.objects.get(code=region_code)
    return [m.doctor.name for m in networks.members(region=region, on=timezone.localdate())]


def test_the_network_follows_the_register(world):
    coordinator = Doctor.objects.get(user=world.users["coordinator_a"])
    treasurer = Doctor.objects.get(user=world.users["board_a"])
    assert names(SJAELLAND) == [coordinator.name]
    assert len(names(1084)) == 1  # Hillerødklyngen's coordinator
    # The treasurer opts in; a new coordinator replaces the old one: no list to edit.
    networks.opt_in(user=world.users["board_a"])
    assert names(SJAELLAND) == [coordinator.name, treasurer.name]
    newcomer = Doctor.objects.get(user=world.users["member_a"])
    registry.role_assign(
        actor=None,
        cluster=world.cluster_a,
        doctor=newcomer,
        role=RoleKind.COORDINATOR,
        start=timezone.localdate(),
    )
    assert names(SJAELLAND) == [newcomer.name, treasurer.name]
    networks.opt_out(user=world.users["board_a"])
    assert names(SJAELLAND) == [newcomer.name]


def test_only_board_members_opt_in(world):
    with pytest.raises(DomainError):
        networks.opt_in(user=world.users["member_a"])


def test_a_coordinator_on_a_board_is_not_asked_to_opt_in(world, client):
    """The demo's coordinator also sits on her cluster's board: the networks page asked
    her to join the network she is in."""
    coordinator = Doctor.objects.get(user=world.users["coordinator_a"])
    registry.role_assign(
        actor=None,
        cluster=world.cluster_a,
        doctor=coordinator,
        role=RoleKind.BOARD_MEMBER,
        start=timezone.localdate(),
    )
    assert not networks.may_opt_in(user=world.users["coordinator_a"], on=timezone.localdate())
    assert networks.may_opt_in(user=world.users["board_a"], on=timezone.localdate())
    assert client.login(email=world.users["coordinator_a"].email, password=PASSWORD)
    page = client.get(reverse("support:networks")).content.decode()
    assert reverse("support:network.opt_in") not in page


def test_a_message_reaches_everyone_by_mail_once_and_stays_on_the_page(
    world, client, django_capture_on_commit_callbacks
):
    networks.opt_in(user=world.users["board_a"])
    assert client.login(email="region@sjaelland.test", password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("support:network.post", args=[SJAELLAND]),
            {"subject": "Netværksmøde", "body": "Vi mødes i Ringsted den 3. marts."},
        )
    assert response.status_code == 302
    message = NetworkMessage.objects.get()
    assert sorted(NetworkMail.objects.values_list("email", flat=True)) == [
        "kasserer@a.test",
        "koordinator@a.test",
    ]
    tasks = [t for t in DBTaskResult.objects.all() if t.task_path.endswith("send_network_mail")]
    assert len(tasks) == 2
    for t in tasks:
        assert networks.network_mail_send(*t.args_kwargs["args"]) == "sent"
        assert networks.network_mail_send(*t.args_kwargs["args"]) == "skipped"
    assert sorted(m.to[0] for m in mail.outbox) == ["kasserer@a.test", "koordinator@a.test"]
    assert "Netværksmøde" in mail.outbox[0].subject and "Ringsted" in mail.outbox[0].body
    page = client.get(reverse("support:network", args=[SJAELLAND])).content.decode()
    assert "Vi mødes i Ringsted" in page and message.subject in page


def test_outsiders_neither_see_nor_write(world, client):
    assert client.login(email="laege@b.test", password=PASSWORD)
    assert client.get(reverse("support:network", args=[SJAELLAND])).status_code == 404
    response = client.post(
        reverse("support:network.post", args=[SJAELLAND]), {"subject": "Hej", "body": "Hej"}
    )
    assert response.status_code == 404
    assert not NetworkMessage.objects.exists()
    with pytest.raises(DomainError):
        networks.message_post(
            actor=world.users["member_b"],
            region=Region.objects.get(code=SJAELLAND),
            subject="Hej",
            body="Hej",
            on=dt.date.today(),
        )
