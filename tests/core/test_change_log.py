"""The change log reads as Danish sentences, one small template per action code with a
generic fallback, and entries find their cluster from the object they are about."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from klynge.core.models import AuditEntry, audit_log, audit_scope
from klynge.registry.models import Membership
from tests.world import World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world()


def sentence(entry: AuditEntry) -> str:
    with translation.override("da"):
        return Template("{% load klynge %}{% log_entry e %}").render(Context({"e": entry}))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "data", "expected"),
    [
        (
            "registry.membership.started",
            {"clinic": "100002", "start": "2019-03-01"},
            "Klinik 100002 blev medlem fra 1. marts 2019.",
        ),
        (
            "registry.membership.ended",
            {"clinic": "100002", "end": "2021-01-01"},
            "Klinik 100002 blev udmeldt pr. 1. januar 2021.",
        ),
        (
            "registry.role.assigned",
            {"role": "treasurer", "doctor": "Anne Berg", "start": "2019-03-01"},
            "Kasserer: Anne Berg fra 1. marts 2019.",
        ),
        (
            "finance.payout.recorded",
            {"year": 2020, "amount": "12500.00", "paid_on": "2020-02-03"},
            "Udbetaling af tilskud på 12.500\xa0kr. for 2020 registreret, betalt 3. februar 2020.",
        ),
        ("registry.cluster.registration_completed", {}, "Registreringen er fuldført."),
        ("no.such.code", {}, "Ændring registreret (no.such.code): Køgeklyngen."),
        ("../../secret", {}, "Ændring registreret (../../secret): Køgeklyngen."),
    ],
)
def test_each_code_is_a_danish_sentence(action, data, expected):
    entry = AuditEntry(action=action, data=data, object_repr="Køgeklyngen")
    assert sentence(entry) == expected


def test_scope_is_taken_from_the_object(world):
    membership = Membership.objects.filter(cluster=world.cluster_a).first()
    entry = audit_log(actor=None, action="registry.membership.started", target=membership)
    assert entry.scope == audit_scope(world.cluster_a) == f"cluster:{world.cluster_a.pk}"
    entry = audit_log(actor=None, action="registry.cluster.changed", target=world.cluster_b)
    assert entry.scope == f"cluster:{world.cluster_b.pk}"
    entry = audit_log(actor=None, action="x.y", target=membership.clinic, scope=world.cluster_b)
    assert entry.scope == f"cluster:{world.cluster_b.pk}"
    assert entry in AuditEntry.objects.for_scope(world.cluster_b)
    assert entry not in AuditEntry.objects.for_scope(world.cluster_a)
    assert audit_log(actor=None, action="x.y", target=membership.clinic).scope == ""


def test_history_page_shows_sentences(world, client):
    client.force_login(world.users["coordinator_a"])
    response = client.get(reverse("registry:cluster.history", args=[world.cluster_a.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "blev medlem fra 1. marts 2019." in html
    assert "Kasserer: " in html
    assert "Hillerødklyngen" not in html  # another cluster's entries stay out
