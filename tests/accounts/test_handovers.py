"""Safe hand-overs (issue 11): a cluster is never without a coordinator who can log in.
Handing the coordinator's or treasurer's role to a doctor without a login invites them
and keeps the outgoing holder until they accept (or until the set date); the
secretariat steps in for clusters nobody can run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from klynge.accounts import selectors, services
from klynge.accounts.models import Handover, Invitation
from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.registry import services as registry
from klynge.registry.models import Doctor, RoleAssignment, RoleKind
from klynge.registry.selectors import cluster_roles_on
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def doctors(world) -> list[Doctor]:
    return list(Doctor.objects.filter(clinic__in=world.clinics_a).order_by("id"))


def holders(cluster, role=RoleKind.COORDINATOR) -> list[Doctor]:
    return [t.doctor for t in cluster_roles_on(cluster=cluster, on=today()).filter(role=role)]


def assert_runnable(cluster, role=RoleKind.COORDINATOR) -> Doctor:
    """Exactly one holder of the role today, and they can log in."""
    (holder,) = holders(cluster, role)
    assert services.has_login(holder.user), f"{holder} cannot log in"
    return holder


def test_handing_over_to_a_doctor_without_a_login_never_leaves_the_cluster_without_one(
    world, client
):
    cluster = world.cluster_a
    old, newcomer = doctors(world)[0], doctors(world)[1]
    registry.doctor_email_set(actor=None, doctor=newcomer, email="ny.koordinator@a.test")
    assert assert_runnable(cluster) == old

    # Step 1: the coordinator hands over on the members' form (today).
    assert client.login(email="koordinator@a.test", password=PASSWORD)
    response = client.post(
        reverse("registry:role.add", args=[cluster.slug]),
        {"role": "coordinator", "doctor": newcomer.pk, "start": today().strftime("%d-%m-%Y")},
    )
    assert response.status_code == 302
    handover = Handover.objects.get(cluster=cluster, completed__isnull=True)
    assert (handover.doctor, handover.role) == (newcomer, "coordinator")
    assert handover.hand_over_by == today() + dt.timedelta(days=14)
    assert assert_runnable(cluster) == old  # the outgoing coordinator keeps the role
    assert client.get(reverse("accounts:people", args=[cluster.slug])).status_code == 200
    invitation = Invitation.objects.get(doctor=newcomer)

    # Step 2: the coordinator moves the date; still the old coordinator.
    later = today() + dt.timedelta(days=30)
    client.post(
        reverse("accounts:handover.date", args=[cluster.slug, handover.pk]),
        {"hand_over_by": later.strftime("%d-%m-%Y")},
    )
    handover.refresh_from_db()
    assert handover.hand_over_by == later
    assert assert_runnable(cluster) == old

    # Step 3: the new coordinator accepts: the role passes the same day, no gap.
    services.invitation_accept(invitation=invitation, password="Kvalitet-i-klyngen-7")
    assert assert_runnable(cluster) == newcomer
    old_term = RoleAssignment.objects.get(cluster=cluster, role="coordinator", doctor=old)
    new_term = RoleAssignment.objects.get(cluster=cluster, role="coordinator", doctor=newcomer)
    assert old_term.end == new_term.start == today()
    handover.refresh_from_db()
    assert handover.completed is not None and handover.assignment == new_term
    codes = list(
        AuditEntry.objects.filter(scope=f"cluster:{cluster.pk}", action__startswith="accounts.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert codes == [
        "accounts.handover.requested",
        "accounts.invitation.created",
        "accounts.handover.date_set",
        "accounts.invitation.accepted",
        "accounts.handover.completed",
    ]


def test_the_hand_over_happens_anyway_on_the_set_date(world, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    cluster = world.cluster_a
    old, newcomer = doctors(world)[0], doctors(world)[3]
    registry.doctor_email_set(actor=None, doctor=newcomer, email="sen@a.test")
    by = today() + dt.timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            registry.role_assign(
                actor=None,
                cluster=cluster,
                doctor=newcomer,
                role="coordinator",
                start=today(),
                hand_over_by=by,
            )
            is None
        )
    task = DBTaskResult.objects.filter(task_path__endswith="apply_handovers").get()
    assert timezone.localtime(task.run_after).date() == by  # the worker applies it that day

    assert services.handovers_apply_due(on=by - dt.timedelta(days=1)) == 0
    assert holders(cluster) == [old]
    assert services.handovers_apply_due(on=by) == 1
    assert holders(cluster) == [old]  # the new term starts on the date, not before
    term = RoleAssignment.objects.get(cluster=cluster, role="coordinator", doctor=newcomer)
    assert term.start == by
    assert RoleAssignment.objects.get(cluster=cluster, role="coordinator", doctor=old).end == by
    assert services.handovers_apply_due(on=by) == 0  # idempotent
    call_command("handovers_apply", verbosity=0)


def test_a_doctor_without_an_email_cannot_be_handed_the_role_silently(world):
    cluster = world.cluster_a
    nobody = doctors(world)[1]
    with pytest.raises(DomainError, match="no login and no e-mail"):
        registry.role_assign(
            actor=None, cluster=cluster, doctor=nobody, role="coordinator", start=today()
        )
    assert not Handover.objects.exists()
    assert_runnable(cluster)


def test_the_treasurer_hands_over_the_same_way(world):
    cluster = world.cluster_a
    treasurer = holders(cluster, RoleKind.TREASURER)[0]
    newcomer = doctors(world)[5]
    registry.doctor_email_set(actor=None, doctor=newcomer, email="ny.kasserer@a.test")
    registry.role_assign(
        actor=None, cluster=cluster, doctor=newcomer, role="treasurer", start=today()
    )
    assert assert_runnable(cluster, RoleKind.TREASURER) == treasurer
    services.invitation_accept(
        invitation=Invitation.objects.get(doctor=newcomer), password="Kvalitet-i-klyngen-7"
    )
    assert assert_runnable(cluster, RoleKind.TREASURER) == newcomer


def test_logging_in_by_code_also_completes_the_hand_over(world, client):
    from klynge.accounts.models import User

    cluster = world.cluster_a
    newcomer = doctors(world)[1]
    # A doctor with an account but no password (and no login yet).
    user = User.objects.create_user("kode@a.test", None)
    newcomer.user = user
    newcomer.save()
    registry.role_assign(
        actor=None, cluster=cluster, doctor=newcomer, role="coordinator", start=today()
    )
    assert Handover.objects.filter(completed__isnull=True).count() == 1
    client.force_login(user)  # the same signal as allauth's login by code
    assert assert_runnable(cluster) == newcomer


def test_the_secretariat_steps_in_for_a_cluster_nobody_can_run(world, client):
    orphan = world.cluster_b  # its coordinator has no login
    _total, orphans = selectors.orphaned_clusters(on=today())
    assert [o.cluster for o in orphans] == [orphan]
    sitting = orphans[0].coordinator
    candidate = next(d for d in orphans[0].candidates if d.user is None and d != sitting)

    assert client.login(email="sekretariat@kiap.test", password=PASSWORD)
    page = client.get(reverse("accounts:orphans"))
    assert page.status_code == 200 and orphan.name in page.content.decode()
    prefix = f"c{orphan.pk}"
    refused = client.post(
        reverse("accounts:orphan.appoint", args=[orphan.slug]),
        {f"{prefix}-doctor": candidate.pk, f"{prefix}-email": ""},
    )
    assert refused.status_code == 400  # no e-mail to invite them by
    response = client.post(
        reverse("accounts:orphan.appoint", args=[orphan.slug]),
        {f"{prefix}-doctor": candidate.pk, f"{prefix}-email": "redning@b.test"},
    )
    assert response.status_code == 302
    assert holders(orphan) == [candidate]  # no one to keep: appointed at once
    invitation = Invitation.objects.get(doctor=candidate)
    assert AuditEntry.objects.filter(action="accounts.orphan.coordinator_appointed").exists()
    services.invitation_accept(invitation=invitation, password="Kvalitet-i-klyngen-7")
    assert assert_runnable(orphan) == candidate
    assert selectors.orphaned_clusters(on=today()) == (0, [])
    assert RoleAssignment.objects.get(doctor=sitting, role="coordinator").end == today()


def test_re_appointing_a_sitting_coordinator_without_a_login_invites_them(world):
    orphan = world.cluster_b
    (_total, (entry,)) = selectors.orphaned_clusters(on=today())
    sitting = entry.coordinator
    services.orphan_appoint(actor=None, cluster=orphan, doctor=sitting, email="gammel@b.test")
    assert holders(orphan) == [sitting]
    assert RoleAssignment.objects.filter(cluster=orphan, role="coordinator").count() == 1
    assert Invitation.objects.filter(doctor=sitting, email="gammel@b.test").exists()


def test_a_hand_over_lapses_if_the_doctor_left_before_accepting(world):
    from klynge.registry.models import Participation

    cluster = world.cluster_a
    old, newcomer = doctors(world)[0], doctors(world)[1]
    registry.doctor_email_set(actor=None, doctor=newcomer, email="gik@a.test")
    registry.role_assign(
        actor=None, cluster=cluster, doctor=newcomer, role="coordinator", start=today()
    )
    registry.participation_end(
        actor=None,
        participation=Participation.objects.get(doctor=newcomer, cluster=cluster),
        end=today(),
    )
    # Accepting still gives them their login; the role stays with the old coordinator.
    user = services.invitation_accept(
        invitation=Invitation.objects.get(doctor=newcomer), password="Kvalitet-i-klyngen-7"
    )
    assert services.has_login(user)
    assert not Handover.objects.exists()
    assert assert_runnable(cluster) == old
