"""External inquiries (KNOW-4): group by inquirer type, who decides, the steering
committee's meeting, forwarding only to matching clusters within the quarterly cap."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from klynge.core.errors import DomainError
from klynge.registry.models import Municipality, Region
from klynge.support import inquiries, selectors
from klynge.support.models import Forwarding, Inquiry, SteeringPost
from tests.world import build_world


@pytest.mark.parametrize(
    ("kind", "group"),
    [
        ("hospital", 1),
        ("municipality", 1),
        ("public", 1),
        ("dsam", 1),
        ("research", 2),
        ("patients", 2),
        ("company", 2),
    ],
)
def test_group_follows_the_inquirer_type(kind, group):
    assert inquiries.group_for(kind) == group


def test_quarter_start():
    assert inquiries.quarter_start(dt.date(2026, 12, 1)) == dt.date(2026, 10, 1)
    assert inquiries.quarter_start(dt.date(2026, 3, 31)) == dt.date(2026, 1, 1)
    assert inquiries.quarter_start(dt.date(2026, 4, 1)) == dt.date(2026, 4, 1)


@pytest.fixture
def w(db):
    return build_world()


def _submit(kind: str, **extra) -> Inquiry:
    return inquiries.inquiry_submit(
        organisation="Forskningsenheden for Almen Praksis",
        kind=kind,
        contact_name="Karin Forsker",
        email="karin@forskning.test",
        proposal="Vi vil gerne afprøve et værktøj til opfølgning på KOL i klyngerne.",
        **extra,
    )


def test_group_2_goes_to_the_committee_which_decides_with_its_meeting(w):
    sec = w.users["secretariat"]
    inquiry = _submit("research")
    assert inquiry.group == 2 and len(inquiry.token) >= 40
    inquiry = inquiries.inquiry_triage(actor=sec, inquiry=inquiry)
    assert inquiry.status == Inquiry.Status.COMMITTEE
    with pytest.raises(DomainError):  # the secretariat does not decide group 2
        inquiries.inquiry_decide(actor=sec, inquiry=inquiry, approve=True, meeting=dt.date.today())
    member = w.users["region_other"]
    SteeringPost.objects.create(user=member, start=dt.date(2025, 1, 1))
    with pytest.raises(DomainError):  # the meeting must be recorded
        inquiries.inquiry_decide(actor=member, inquiry=inquiry, approve=True)
    meeting = dt.date(2026, 11, 26)
    inquiry = inquiries.inquiry_decide(actor=member, inquiry=inquiry, approve=True, meeting=meeting)
    assert inquiry.status == Inquiry.Status.APPROVED and inquiry.committee_meeting == meeting


def test_a_lapsed_committee_seat_does_not_decide(w):
    inquiry = inquiries.inquiry_triage(actor=w.users["secretariat"], inquiry=_submit("patients"))
    former = w.users["region_a"]
    SteeringPost.objects.create(user=former, start=dt.date(2020, 1, 1), end=dt.date(2024, 1, 1))
    with pytest.raises(DomainError):
        inquiries.inquiry_decide(
            actor=former, inquiry=inquiry, approve=True, meeting=dt.date(2026, 11, 26)
        )


def test_group_1_is_decided_by_the_secretariat_and_a_decline_needs_a_reason(w):
    sec = w.users["secretariat"]
    inquiry = inquiries.inquiry_triage(actor=sec, inquiry=_submit("municipality"))
    assert inquiry.status == Inquiry.Status.RECEIVED and inquiry.group == 1
    with pytest.raises(DomainError):
        inquiries.inquiry_decide(actor=sec, inquiry=inquiry, approve=False)
    with pytest.raises(DomainError):
        inquiries.inquiry_decide(actor=w.users["region_a"], inquiry=inquiry, approve=True)
    inquiry = inquiries.inquiry_decide(
        actor=sec,
        inquiry=inquiry,
        approve=False,
        reason="Ligger uden for klyngernes kvalitetsarbejde.",
    )
    assert inquiry.status == Inquiry.Status.DECLINED
    assert inquiry.reason == "Ligger uden for klyngernes kvalitetsarbejde."


def _approved(w, **extra) -> Inquiry:
    sec = w.users["secretariat"]
    inquiry = inquiries.inquiry_triage(actor=sec, inquiry=_submit("hospital", **extra))
    return inquiries.inquiry_decide(actor=sec, inquiry=inquiry, approve=True)


def test_forwarded_only_to_matching_clusters(w):
    sec = w.users["secretariat"]
    sjaelland = Region.objects.get(code=1085)
    inquiry = _approved(w, region=sjaelland)
    result = inquiries.inquiry_forward(actor=sec, inquiry=inquiry)
    assert [f.cluster for f in result.sent] == [w.cluster_a]
    inquiry = _approved(w, municipality=Municipality.objects.get(code=219))
    assert [f.cluster for f in inquiries.inquiry_forward(actor=sec, inquiry=inquiry).sent] == [
        w.cluster_b
    ]
    big = _approved(w, min_doctors=5)  # A has 6 doctors, B has 4
    assert [f.cluster for f in inquiries.inquiry_forward(actor=sec, inquiry=big).sent] == [
        w.cluster_a
    ]
    nobody = _approved(w, min_doctors=50)
    with pytest.raises(DomainError):
        inquiries.inquiry_forward(actor=sec, inquiry=nobody)


def test_no_cluster_gets_more_than_the_cap_a_quarter(w, settings):
    settings.KLYNGE_INQUIRIES_PER_QUARTER = 2
    sec = w.users["secretariat"]
    for _n in range(2):
        inquiries.inquiry_forward(actor=sec, inquiry=_approved(w))
    third = _approved(w)
    with pytest.raises(DomainError):
        inquiries.inquiry_forward(actor=sec, inquiry=third)
    assert Forwarding.objects.filter(cluster=w.cluster_a).count() == 2
    # Last quarter's forwardings do not count in this one.
    Forwarding.objects.update(sent=timezone.now() - dt.timedelta(days=120))
    result = inquiries.inquiry_forward(actor=sec, inquiry=third)
    assert {f.cluster for f in result.sent} == {w.cluster_a, w.cluster_b}


def test_over_cap_clusters_are_skipped_and_reported(w, settings):
    settings.KLYNGE_INQUIRIES_PER_QUARTER = 1
    sec = w.users["secretariat"]
    inquiries.inquiry_forward(actor=sec, inquiry=_approved(w, region=Region.objects.get(code=1085)))
    result = inquiries.inquiry_forward(actor=sec, inquiry=_approved(w))
    assert [f.cluster for f in result.sent] == [w.cluster_b]
    assert result.over_cap == [w.cluster_a]


def test_opt_in_lists_the_collaboration_publicly(w):
    sec = w.users["secretariat"]
    inquiry = _approved(w)
    result = inquiries.inquiry_forward(actor=sec, inquiry=inquiry)
    assert selectors.public_collaborations() == []
    inquiries.forwarding_opt_in(actor=w.users["coordinator_a"], forwarding=result.sent[0])
    assert selectors.public_collaborations() == [Inquiry.objects.get(pk=inquiry.pk)]
    with pytest.raises(DomainError):
        inquiries.forwarding_opt_in(actor=w.users["coordinator_a"], forwarding=result.sent[0])


def test_the_public_form_refuses_a_robot_and_gives_a_private_link(w, client):
    from django.urls import reverse

    data = {
        "organisation": "Patientforeningen for KOL",
        "kind": "patients",
        "contact_name": "Per",
        "email": "per@kol.test",
        "proposal": "Fælles patientmateriale.",
    }
    robot = client.post(reverse("support:inquiry.submit"), {**data, "website": "http://spam"})
    assert robot.status_code == 400 and Inquiry.objects.count() == 0
    response = client.post(reverse("support:inquiry.submit"), data)
    inquiry = Inquiry.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{inquiry.token}/")
    assert client.get(response["Location"]).status_code == 200
    assert client.get(reverse("support:inquiry.status", args=["gaet-et-token"])).status_code == 404
