"""Package pages: a draft is hidden from everyone but its publisher; the publisher sees
overlaps before publishing; adopting for a meeting too soon is refused with the earliest
feasible date, in Danish, and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from klynge.dataorders.models import DataOrder
from klynge.meetings import services as meetings
from klynge.packages import services
from klynge.registry.models import Region
from tests.world import PASSWORD, build_world


@pytest.fixture
def world(db):
    return build_world()


def _login(client, world, role):
    assert client.login(email=world.users[role].email, password=PASSWORD)


def _publish(actor, publisher, **fields):
    version = services.package_create(
        actor=actor,
        publisher=publisher,
        reviewer="R",
        revision_date=dt.date(2027, 12, 1),
        **fields,
    )
    services.version_review(actor=actor, version=version)
    return services.version_publish(actor=actor, version=version)


def test_drafts_are_the_publishers_and_overlaps_show_before_publishing(world, client):
    national = _publish(
        world.users["secretariat"], None, theme="crp", title="CRP nationalt", lead_time_days=45
    )
    draft = services.package_create(
        actor=world.users["region_a"],
        theme="crp",
        publisher=Region.objects.get(code=1085),
        title="CRP i Sjælland",
        lead_time_days=60,
    )
    url = reverse("packages:detail", args=[draft.pk])
    assert client.get(url).status_code == 404  # anonymous
    _login(client, world, "region_other")
    assert client.get(url).status_code == 404
    assert client.get(reverse("packages:edit", args=[draft.pk])).status_code == 404
    client.logout()
    _login(client, world, "region_a")
    page = client.get(reverse("packages:edit", args=[draft.pk])).content.decode()
    assert "Overlappende pakker fra andre udgivere" in page
    assert "CRP nationalt" in page and "45" in page and "60" in page
    client.logout()
    public = client.get(reverse("packages:detail", args=[national.pk]))
    assert public.status_code == 200 and "CRP i Sjælland" not in public.content.decode()


def test_adopting_too_late_names_the_earliest_date_in_danish(world, client):
    version = _publish(
        world.users["secretariat"],
        None,
        theme="nsaid",
        title="NSAID til ældre",
        lead_time_days=60,
        agenda=[{"title": "Vores data", "duration": 30}],
    )
    today = timezone.localdate()
    meeting = meetings.meeting_create(
        actor=None,
        cluster=world.cluster_a,
        title="Snart",
        starts=timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=20), dt.time(17))),
    )
    _login(client, world, "coordinator_a")
    adopt = reverse("packages:adopt", args=[world.cluster_a.slug, version.pk])
    earliest = today + dt.timedelta(days=60)
    months = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
              "september", "oktober", "november", "december"]  # fmt: skip
    said = f"{earliest.day}. {months[earliest.month - 1]} {earliest.year}"
    page = client.get(adopt).content.decode()
    assert "For sent til data" in page and said in page
    response = client.post(
        reverse("packages:package.adopt", args=[world.cluster_a.slug, version.pk]),
        {"meeting": meeting.pk, "period_start": "2026-01-01", "period_end": "2026-10-31"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "For sent til data: udgiveren skal bruge 60 dage før mødet" in body and said in body
    assert not DataOrder.objects.exists() and not meeting.items.exists()
