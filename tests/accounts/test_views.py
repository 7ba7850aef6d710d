"""The people page (status and "send again"), the staff invitation page and the
invitation page, through the web."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from klynge.accounts import services
from klynge.accounts.models import Invitation
from klynge.core.models import AuditEntry
from klynge.registry.models import Doctor, Region
from klynge.registry.services import doctor_email_set
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def login(client, email: str) -> None:
    assert client.login(email=email, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_the_people_page_shows_each_status_and_sends_again(world, client):
    cluster = world.cluster_a
    invited, failed, silent = Doctor.objects.filter(
        clinic__in=world.clinics_a, user__isnull=True
    ).order_by("id")[:3]
    doctor_email_set(actor=None, doctor=invited, email="inviteret@a.test")
    doctor_email_set(actor=None, doctor=failed, email="fejl@a.test")
    services.doctor_invite(actor=None, doctor=invited, cluster=cluster)
    bad = services.doctor_invite(actor=None, doctor=failed, cluster=cluster)
    Invitation.objects.filter(pk=bad.pk).update(mail_status="failed", last_error="550 no such user")

    login(client, "koordinator@a.test")
    page = client.get(reverse("accounts:people", args=[cluster.slug]))
    statuses = {p.doctor: p.status for p in page.context["people"]}
    assert statuses[invited] == "invited"
    assert statuses[failed] == "failed"
    assert statuses[silent] == "none"
    assert statuses[Doctor.objects.get(user=world.users["member_a"])] == "active"
    html = page.content.decode()
    assert "Invitation not delivered" in html and "Send again" in html

    response = client.post(reverse("accounts:invitation.resend", args=[cluster.slug, bad.pk]))
    assert response.status_code == 302
    bad.refresh_from_db()
    assert bad.superseded is not None
    fresh = Invitation.objects.get(doctor=failed, superseded__isnull=True)
    assert fresh.mail_status == "queued"
    entry = AuditEntry.objects.get(action="accounts.invitation.resent")
    assert entry.actor == world.users["coordinator_a"]

    # A doctor without an e-mail gets one and an invitation.
    response = client.post(
        reverse("accounts:doctor.invite", args=[cluster.slug, silent.pk]),
        {"email": "tavs@a.test"},
    )
    assert response.status_code == 302
    assert Invitation.objects.get(doctor=silent).email == "tavs@a.test"


def test_another_clusters_invitation_cannot_be_sent_again_from_here(world, client):
    other = Doctor.objects.filter(clinic__in=world.clinics_a, user__isnull=True).first()
    doctor_email_set(actor=None, doctor=other, email="x@a.test")
    invitation = services.doctor_invite(actor=None, doctor=other, cluster=world.cluster_a)
    login(client, "laege@b.test")  # a member of cluster B only
    url = reverse("accounts:invitation.resend", args=[world.cluster_b.slug, invitation.pk])
    assert client.post(url).status_code == 404
    assert Invitation.objects.filter(doctor=other).count() == 1


def test_the_secretariat_invites_regional_staff_from_the_site(world, client):
    login(client, "sekretariat@kiap.test")
    page = client.get(reverse("accounts:staff"))
    assert page.status_code == 200
    response = client.post(
        reverse("accounts:staff.invite"),
        {"email": "ny@region.test", "name": "Ny i regionen", "region": 1085},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="ny@region.test")
    assert (invitation.kind, invitation.region_id) == ("region", 1085)
    response = client.post(reverse("accounts:staff.invite"), {"email": "kollega@kiap.test"})
    assert Invitation.objects.get(email="kollega@kiap.test").kind == "secretariat"


def test_a_regional_unit_can_only_choose_its_own_region(world, client):
    login(client, "region@sjaelland.test")
    form = client.get(reverse("accounts:staff")).context["form"]
    assert [r.pk for r in form.fields["region"].queryset] == [1085]
    refused = client.post(
        reverse("accounts:staff.invite"), {"email": "z@region.test", "region": 1084}
    )
    assert refused.status_code == 400
    refused = client.post(reverse("accounts:staff.invite"), {"email": "z@region.test"})
    assert refused.status_code == 400
    assert not Invitation.objects.filter(email="z@region.test").exists()
    ok = client.post(reverse("accounts:staff.invite"), {"email": "z@region.test", "region": 1085})
    assert ok.status_code == 302
    assert Invitation.objects.get(email="z@region.test").region == Region.objects.get(code=1085)


def test_a_weak_or_mismatched_password_keeps_the_invitation_open(world, client):
    doctor = Doctor.objects.filter(clinic__in=world.clinics_a, user__isnull=True).first()
    doctor_email_set(actor=None, doctor=doctor, email="svag@a.test")
    invitation = services.doctor_invite(actor=None, doctor=doctor, cluster=world.cluster_a)
    url = reverse("accounts:invitation.accept", args=[services.invitation_token(invitation)])
    assert client.post(url, {"password1": "1234", "password2": "1234"}).status_code == 400
    mismatch = client.post(url, {"password1": "Kvalitet-i-klyngen-7", "password2": "andet"})
    assert mismatch.status_code == 400
    invitation.refresh_from_db()
    assert invitation.accepted is None
