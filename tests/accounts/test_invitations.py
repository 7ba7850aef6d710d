"""Invitations to set up a login (issue 11): who is invited, expiry, single use, "send
again", delivery failures, the audit trail, staff invitations, and what allauth says
about unknown addresses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from klynge.accounts import selectors, services
from klynge.accounts.models import Invitation, User
from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.registry import services as registry
from klynge.registry.models import Region
from tests.factories import DoctorFactory, UserFactory, build_cluster

pytestmark = pytest.mark.django_db


def _link(invitation: Invitation) -> str:
    return reverse("accounts:invitation", args=[services.invitation_token(invitation)])


def _newcomer(setup, email: str = "ny.laege@example.test"):
    doctor = DoctorFactory(clinic=setup.clinics[0], email=email, name="Ny Læge")
    registry.participation_start(
        actor=None, cluster=setup.cluster, doctor=doctor, start=dt.date(2024, 1, 1)
    )
    return doctor


def test_adding_a_doctor_with_an_email_invites_them_once():
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    doctor = _newcomer(setup)
    invitation = Invitation.objects.get(doctor=doctor)
    assert (invitation.email, invitation.cluster, invitation.kind) == (
        "ny.laege@example.test",
        setup.cluster,
        "doctor",
    )
    assert invitation.expires - invitation.created == dt.timedelta(days=14)
    # A role for the same doctor does not send a second invitation while one is live.
    registry.role_assign(
        actor=None, cluster=setup.cluster, doctor=doctor, role="chair", start=dt.date(2024, 2, 1)
    )
    assert Invitation.objects.filter(doctor=doctor).count() == 1
    # A doctor without an e-mail, or with a login, is not invited.
    quiet = DoctorFactory(clinic=setup.clinics[0], email="")
    registry.participation_start(
        actor=None, cluster=setup.cluster, doctor=quiet, start=dt.date(2024, 1, 1)
    )
    active = DoctorFactory(clinic=setup.clinics[0], user=UserFactory())
    registry.participation_start(
        actor=None, cluster=setup.cluster, doctor=active, start=dt.date(2024, 1, 1)
    )
    assert not Invitation.objects.filter(doctor__in=[quiet, active]).exists()


def test_the_invitation_mail_has_a_working_link(django_capture_on_commit_callbacks):
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        doctor = _newcomer(setup)
    assert callbacks  # handed to the worker on commit
    invitation = Invitation.objects.get(doctor=doctor)
    assert services.invitation_send(invitation.pk) == "sent"
    (message,) = [m for m in mail.outbox if m.to == ["ny.laege@example.test"]]
    assert setup.cluster.name in message.subject
    assert _link(invitation) in message.body
    assert "14" not in message.subject and "Ukendt" not in message.body
    invitation.refresh_from_db()
    assert invitation.mail_status == "sent" and invitation.attempts == 1


def test_accepting_sets_up_the_login_links_the_doctor_and_is_audited(client):
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    doctor = _newcomer(setup)
    invitation = Invitation.objects.get(doctor=doctor)
    page = client.get(_link(invitation))
    assert page.status_code == 200 and "ny.laege@example.test" in page.content.decode()

    response = client.post(
        reverse("accounts:invitation.accept", args=[services.invitation_token(invitation)]),
        {"password1": "Kvalitet-i-klyngen-7", "password2": "Kvalitet-i-klyngen-7"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    doctor.refresh_from_db()
    assert doctor.user is not None and doctor.user.check_password("Kvalitet-i-klyngen-7")
    assert client.get("/").context["user"] == doctor.user  # logged in
    entry = AuditEntry.objects.get(action="accounts.invitation.accepted")
    assert entry.actor == doctor.user
    assert entry.scope == f"cluster:{setup.cluster.pk}"
    people = selectors.cluster_people(
        cluster=setup.cluster, on=dt.date(2024, 6, 1), now=timezone.now()
    )
    assert {p.doctor: p.status for p in people}[doctor] == "active"


def test_a_link_works_once():
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    invitation = Invitation.objects.get(doctor=_newcomer(setup))
    services.invitation_accept(invitation=invitation, password="Kvalitet-i-klyngen-7")
    with pytest.raises(DomainError, match="already been used"):
        services.invitation_accept(invitation=invitation, password="Noget-helt-andet-9")
    assert User.objects.get(email="ny.laege@example.test").check_password("Kvalitet-i-klyngen-7")
    assert AuditEntry.objects.filter(action="accounts.invitation.accepted").count() == 1


def test_an_expired_link_is_refused_and_says_so(client):
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    invitation = Invitation.objects.get(doctor=_newcomer(setup))
    Invitation.objects.filter(pk=invitation.pk).update(
        expires=timezone.now() - dt.timedelta(minutes=1)
    )
    invitation.refresh_from_db()
    with pytest.raises(DomainError, match="expired"):
        services.invitation_accept(invitation=invitation, password="Kvalitet-i-klyngen-7")
    post = client.post(
        reverse("accounts:invitation.accept", args=[services.invitation_token(invitation)]),
        {"password1": "Kvalitet-i-klyngen-7", "password2": "Kvalitet-i-klyngen-7"},
    )
    assert post.status_code == 400
    assert not User.objects.filter(email="ny.laege@example.test").exists()
    people = selectors.cluster_people(
        cluster=setup.cluster, on=dt.date(2024, 6, 1), now=timezone.now()
    )
    assert "expired" in {p.status for p in people}


def test_a_forged_or_mangled_link_is_not_found(client):
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    invitation = Invitation.objects.get(doctor=_newcomer(setup))
    token = services.invitation_token(invitation)
    assert selectors.invitation_from_token(token) == invitation
    assert selectors.invitation_from_token(token[:-2] + "xx") is None
    assert client.get(reverse("accounts:invitation", args=[token[:-2] + "xx"])).status_code == 404
    invitation.nonce = "0" * 32
    invitation.save()
    assert selectors.invitation_from_token(token) is None


def test_send_again_replaces_the_link_and_is_audited():
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    first = Invitation.objects.get(doctor=_newcomer(setup))
    actor = UserFactory()
    second = services.invitation_resend(actor=actor, invitation=first)
    first.refresh_from_db()
    assert first.superseded is not None and second.superseded is None
    with pytest.raises(DomainError, match="newer invitation"):
        services.invitation_accept(invitation=first, password="Kvalitet-i-klyngen-7")
    services.invitation_accept(invitation=second, password="Kvalitet-i-klyngen-7")
    entry = AuditEntry.objects.get(action="accounts.invitation.resent")
    assert entry.actor == actor and entry.data["previous"] == first.pk
    with pytest.raises(DomainError, match="already has a login"):
        services.invitation_resend(actor=actor, invitation=second)


def test_an_undeliverable_invitation_shows_as_failed_and_is_retried(
    settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # nothing listens: connection refused
    settings.EMAIL_TIMEOUT = 2
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    invitation = Invitation.objects.get(doctor=_newcomer(setup))
    before = DBTaskResult.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invitation_send(invitation.pk) == "failed"
    invitation.refresh_from_db()
    assert invitation.attempts == 1 and "Connection" in invitation.last_error
    people = selectors.cluster_people(
        cluster=setup.cluster, on=dt.date(2024, 6, 1), now=timezone.now()
    )
    person = next(p for p in people if p.invitation == invitation)
    assert person.status == "failed"
    # The retry is queued for a minute later.
    (retry,) = DBTaskResult.objects.order_by("-id")[: DBTaskResult.objects.count() - before]
    assert retry.args_kwargs["args"] == [invitation.pk]
    assert retry.run_after > timezone.now() + dt.timedelta(seconds=50)


def test_secretariat_invites_regional_staff_who_get_their_region():
    secretariat = UserFactory(is_secretariat=True)
    region = Region.objects.get(code=1085)
    invitation = services.staff_invite(
        actor=secretariat, email="Ny@Region.test", name="Ny Medarbejder", region=region
    )
    assert invitation.email == "ny@region.test" and invitation.kind == "region"
    user = services.invitation_accept(invitation=invitation, password="Kvalitet-i-klyngen-7")
    assert services.staff_region(user) == region
    assert not user.is_secretariat
    colleague = services.staff_invite(
        actor=secretariat, email="kollega@kiap.test", name="", secretariat=True
    )
    assert services.invitation_accept(
        invitation=colleague, password="Kvalitet-i-klyngen-7"
    ).is_secretariat
    assert AuditEntry.objects.filter(action="accounts.invitation.accepted").count() == 2


def test_a_regional_unit_invites_only_its_own_colleagues():
    secretariat = UserFactory(is_secretariat=True)
    zealand, capital = Region.objects.get(code=1085), Region.objects.get(code=1084)
    staff = services.invitation_accept(
        invitation=services.staff_invite(
            actor=secretariat, email="a@region.test", name="A", region=zealand
        ),
        password="Kvalitet-i-klyngen-7",
    )
    services.staff_invite(actor=staff, email="b@region.test", name="B", region=zealand)
    with pytest.raises(DomainError):
        services.staff_invite(actor=staff, email="c@region.test", name="C", region=capital)
    with pytest.raises(DomainError):
        services.staff_invite(actor=staff, email="d@kiap.test", name="D", secretariat=True)
    with pytest.raises(DomainError, match="already has a login"):
        services.staff_invite(actor=secretariat, email="a@region.test", name="", region=zealand)
    assert not Invitation.objects.filter(email__in=["c@region.test", "d@kiap.test"]).exists()


def test_password_reset_for_an_unknown_address_reveals_nothing(client):
    UserFactory(email="kendt@example.test")
    unknown = client.post(reverse("account_reset_password"), {"email": "ukendt@example.test"})
    known = client.post(reverse("account_reset_password"), {"email": "kendt@example.test"})
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert [m.to for m in mail.outbox] == [["kendt@example.test"]]  # no "Ukendt konto" mail
    assert "Ukendt" not in client.get(unknown["Location"]).content.decode()


def test_login_by_code_is_offered_beside_the_password(client):
    user = UserFactory(email="sjaelden@example.test")
    page = client.get(reverse("account_login")).content.decode()
    assert reverse("account_request_login_code") in page
    client.post(reverse("account_request_login_code"), {"email": user.email})
    (message,) = mail.outbox
    assert message.to == [user.email]
