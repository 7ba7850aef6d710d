"""An agenda item can be changed after it was made (title, description, owner, time,
follow-up), as its own write, while the minutes are not approved."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.meetings import services
from klynge.meetings.models import AgendaItem, Meeting
from klynge.registry.models import Doctor
from tests.world import PASSWORD, build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
LOCKED = "The minutes are approved and locked. Start a correction to change them."

pytestmark = pytest.mark.django_db


def evening(days: int, hour: int = 17) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=CPH)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def w():
    return build_world()


@pytest.fixture
def doctors(w) -> list[Doctor]:
    return list(Doctor.objects.filter(clinic__in=w.clinics_a).order_by("id"))


@pytest.fixture
def as_user(w):
    def login(role: str) -> Client:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        user = w.users[role]
        if user is not None:
            assert client.login(email=user.email, password=PASSWORD)
        return client

    return login


def meeting(w, days: int = 20) -> Meeting:
    return services.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Antibiotika",
        template="ordinary",
        starts=evening(days),
    )


def item_url(m: Meeting, item: AgendaItem) -> str:
    return reverse("meetings:agenda.item.update", args=[m.cluster.slug, m.pk, item.pk])


def test_an_item_is_changed_and_the_change_audited(w, doctors):
    m = meeting(w)
    item = m.items.first()
    position = item.position
    services.item_update(
        actor=w.users["coordinator_a"],
        item=item,
        title="  Antibiotika til   børn ",
        description="Tal fra 2026",
        owner=doctors[4],
        duration=25,
        follow_up=False,
    )
    item.refresh_from_db()
    assert (item.title, item.description, item.owner, item.duration, item.follow_up) == (
        "Antibiotika til børn",
        "Tal fra 2026",
        doctors[4],
        25,
        False,
    )
    assert item.position == position
    entry = AuditEntry.objects.get(action="meetings.agenda.item.changed")
    assert entry.actor == w.users["coordinator_a"]
    assert set(entry.data["changed"]) >= {"title", "owner", "duration"}
    # Saving it unchanged writes no entry.
    services.item_update(
        actor=None,
        item=item,
        title=item.title,
        description=item.description,
        owner=item.owner,
        duration=item.duration,
        follow_up=item.follow_up,
    )
    assert AuditEntry.objects.filter(action="meetings.agenda.item.changed").count() == 1


def test_an_item_is_refused_without_a_title_or_with_an_owner_from_elsewhere(w):
    m = meeting(w)
    item = m.items.first()
    with pytest.raises(DomainError) as refused:
        services.item_update(actor=None, item=item, title="   ")
    assert refused.value.field == "title"
    outsider = Doctor.objects.filter(participations__cluster=w.cluster_b).first()
    with pytest.raises(DomainError) as refused:
        services.item_update(actor=None, item=item, title="Ny", owner=outsider)
    assert refused.value.field == "owner"
    item.refresh_from_db()
    assert item.title != "Ny"


def test_an_item_of_approved_minutes_cannot_be_changed(w):
    m = meeting(w, days=-3)
    item = m.items.first()
    services.minutes_approve(actor=None, meeting=m)
    with pytest.raises(DomainError) as refused:
        services.item_update(actor=None, item=item, title="Efter godkendelsen")
    assert refused.value.message == LOCKED
    item.refresh_from_db()
    assert item.title != "Efter godkendelsen"


def test_the_coordinator_edits_an_item_on_the_agenda_page(w, doctors, as_user):
    m = meeting(w)
    first, second = list(m.items.all())[:2]
    client = as_user("coordinator_a")
    page = client.get(reverse("meetings:agenda", args=[m.cluster.slug, m.pk])).content.decode()
    assert page.count("Edit the item") == m.items.count()
    assert f'action="{item_url(m, second)}"' in page
    assert f'id="id_item{second.pk}_title"' in page and f'value="{second.title}"' in page

    response = client.post(
        item_url(m, second),
        {"title": "Nyt punkt", "description": "", "owner": doctors[2].pk, "duration": "15"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.title, second.owner, second.duration) == ("Nyt punkt", doctors[2], 15)
    assert first.title != "Nyt punkt"

    # A refusal shows the page again with this item's form open, the input kept.
    response = client.post(item_url(m, second), {"title": "", "duration": "15"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give the item a title." in body or "This field is required." in body
    assert 'class="item-edit" open' in body
    second.refresh_from_db()
    assert second.title == "Nyt punkt"


def test_an_item_of_another_meeting_or_cluster_is_404(w, as_user):
    m = meeting(w)
    other = meeting(w, days=30)
    foreign = other.items.first()
    client = as_user("coordinator_a")
    response = client.post(
        reverse("meetings:agenda.item.update", args=[m.cluster.slug, m.pk, foreign.pk]),
        {"title": "Kapret"},
    )
    assert response.status_code == 404
    assert as_user("member_a").post(item_url(m, m.items.first()), {"title": "X"}).status_code == 404
    assert as_user("member_b").post(item_url(m, m.items.first()), {"title": "X"}).status_code == 404
    assert not AgendaItem.objects.filter(title__in=["Kapret", "X"]).exists()


def test_the_time_of_an_item_is_not_called_minutes_of_a_meeting_in_danish(w, as_user):
    """ "Minutes" is both "referat" and "minutter": the item's time had the label
    "Referat" on the Danish agenda page."""
    m = meeting(w)
    client = as_user("coordinator_a")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"
    with translation.override("da"):
        page = client.get(reverse("meetings:agenda", args=[m.cluster.slug, m.pk])).content.decode()
    add = reverse("meetings:agenda.item.add", args=[m.cluster.slug, m.pk])
    form = page.split(f'action="{add}"')[1]
    assert "Tid (minutter)" in form and "Referat" not in form.split("</form>")[0]
    header = page.split("<thead>")[1].split("</thead>")[0]
    assert "Tid (minutter)" in header and "Referat" not in header
