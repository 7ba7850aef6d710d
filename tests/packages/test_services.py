"""Packages: draft → reviewed → published, versions with what changed, overlaps between
publishers, and adopting a package for a meeting (agenda, indicators, data order, lead
time)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from klynge.core.errors import DomainError
from klynge.dataorders.models import DataOrder, OrderStatus
from klynge.meetings import services as meetings
from klynge.packages import selectors, services
from klynge.packages.models import EhrSystem, PackageVersion, VersionStatus
from klynge.quality.models import Indicator
from klynge.registry.models import Region
from tests.world import build_world

TODAY = dt.date(2026, 12, 1)

AGENDA = [
    {"title": "Velkommen", "duration": 5},
    {"title": "Vores data om NSAID", "duration": 40, "description": "Tragtdiagram"},
    {"title": "Hvad gør vi nu?", "duration": 30},
]


@pytest.fixture
def world(db):
    return build_world()


def _published(actor, region, *, theme="nsaid", lead=56, title="NSAID til ældre", **extra):
    version = services.package_create(
        actor=actor,
        theme=theme,
        publisher=region,
        title=title,
        why="Mange ældre får NSAID.",
        agenda=AGENDA,
        lead_time_days=lead,
        reviewer="Anne Andersen",
        revision_date=dt.date(2027, 12, 1),
        indicators=list(Indicator.objects.filter(code="opioids")),
        **extra,
    )
    services.version_review(actor=actor, version=version)
    return services.version_publish(actor=actor, version=version)


def test_draft_reviewed_published_and_a_new_version_shows_what_changed(world):
    region_user = world.users["region_a"]
    sjaelland = Region.objects.get(code=1085)
    system = EhrSystem.objects.create(name="XMO")
    version = services.package_create(
        actor=region_user,
        theme="NSAID ",
        publisher=sjaelland,
        title="NSAID til ældre",
        lead_time_days=56,
        guides={system: "Udtræk via rapportmodulet"},
    )
    assert version.status == VersionStatus.DRAFT
    assert version.package.theme == "nsaid"
    with pytest.raises(DomainError, match="reviewed before"):
        services.version_publish(actor=region_user, version=version)
    with pytest.raises(DomainError, match="reviewer"):
        services.version_review(actor=region_user, version=version)
    services.version_update(
        actor=region_user, version=version, reviewer="Anne Andersen", revision_date=TODAY
    )
    services.version_review(actor=region_user, version=version)
    published = services.version_publish(actor=region_user, version=version)
    assert published.status == VersionStatus.PUBLISHED
    with pytest.raises(DomainError, match="published version is not changed"):
        services.version_update(actor=region_user, version=published, title="x")

    second = services.version_new(actor=region_user, package=published.package)
    assert second.number == 2 and second.guides.get().text == "Udtræk via rapportmodulet"
    second = services.version_update(
        actor=region_user, version=second, lead_time_days=60, agenda=AGENDA
    )
    changes = {c.field: c for c in selectors.changes_since_previous(second)}
    assert set(changes) == {"lead_time_days", "agenda"}
    assert (changes["lead_time_days"].before, changes["lead_time_days"].after) == ("56", "60")
    services.version_review(actor=region_user, version=second)
    services.version_publish(actor=region_user, version=second)
    published.refresh_from_db()
    assert published.status == VersionStatus.SUPERSEDED
    assert selectors.published_version(published.package).number == 2


def test_only_the_publishers_staff_change_a_package(world):
    sjaelland = Region.objects.get(code=1085)
    version = services.package_create(
        actor=world.users["region_a"], theme="crp", publisher=sjaelland, title="CRP"
    )
    with pytest.raises(DomainError, match="publisher's own staff"):
        services.version_update(actor=world.users["region_other"], version=version, title="Nej")
    with pytest.raises(DomainError, match="publisher's own staff"):
        services.package_create(
            actor=world.users["region_other"], theme="crp", publisher=sjaelland, title="CRP"
        )
    with pytest.raises(DomainError, match="secretariat"):
        services.package_create(
            actor=world.users["region_a"], theme="crp", publisher=None, title="CRP"
        )
    # The secretariat may help any publisher.
    services.version_update(actor=world.users["secretariat"], version=version, title="CRP-test")


def test_overlaps_show_other_publishers_on_the_theme_with_their_differences(world):
    national = _published(world.users["secretariat"], None, lead=60)
    draft = services.package_create(
        actor=world.users["region_a"],
        theme="nsaid",
        publisher=Region.objects.get(code=1085),
        title="NSAID til ældre",
        lead_time_days=56,
    )
    found = selectors.overlaps(draft)
    assert [o.other.pk for o in found] == [national.pk]
    fields = {c.field for c in found[0].differences}
    assert "lead_time_days" in fields and "title" not in fields
    # Another theme, or the publisher's own package, is no overlap.
    _published(world.users["region_a"], Region.objects.get(code=1085), theme="crp", title="CRP")
    assert len(selectors.overlaps(draft)) == 1
    services.version_update(
        actor=world.users["region_a"], version=draft, reviewer="B", revision_date=TODAY
    )
    services.version_review(actor=world.users["region_a"], version=draft)
    services.version_publish(actor=world.users["region_a"], version=draft)
    assert selectors.overlapping_themes() == ["nsaid"]
    table = selectors.side_by_side("nsaid")
    assert len(table.versions) == 2
    lead_row = next(r for r in table.rows if r[0] == str(selectors.DIFF_FIELDS[6][1]))
    assert sorted(lead_row[1]) == ["56", "60"] and lead_row[2] is True


def _meeting(world, days_ahead: int):
    return meetings.meeting_create(
        actor=None,
        cluster=world.cluster_a,
        title="Klyngemøde om NSAID",
        starts=timezone.make_aware(
            dt.datetime.combine(TODAY + dt.timedelta(days=days_ahead), dt.time(17))
        ),
    )


def test_adopt_builds_the_agenda_adds_indicators_and_orders_from_the_publisher(world):
    sjaelland = Region.objects.get(code=1085)
    version = _published(world.users["region_a"], sjaelland, lead=56)
    meeting = _meeting(world, 8 * 7)
    adoption = services.package_adopt(
        actor=world.users["coordinator_a"],
        version=version,
        meeting=meeting,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 11, 30),
        on=TODAY,
    )
    assert [i.title for i in meeting.items.order_by("position")] == [a["title"] for a in AGENDA]
    assert list(meeting.indicators.values_list("code", flat=True)) == ["opioids"]
    order = adoption.order
    assert order.recipient == sjaelland and order.package == version and order.meeting == meeting
    assert order.status == OrderStatus.ORDERED
    # Due 5 working days before the meeting on Tuesday 26 January 2027.
    assert order.due == dt.date(2027, 1, 19)


def test_adopt_too_late_names_the_earliest_feasible_date_and_writes_nothing(world):
    version = _published(world.users["secretariat"], None, lead=60)
    meeting = _meeting(world, 30)
    with pytest.raises(DomainError) as error:
        services.package_adopt(
            actor=world.users["coordinator_a"],
            version=version,
            meeting=meeting,
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 11, 30),
            on=TODAY,
        )
    assert "30. januar 2027" in error.value.message or "30 January 2027" in error.value.message
    assert meeting.items.count() == 0
    assert DataOrder.objects.count() == 0


def test_a_draft_cannot_be_adopted(world):
    version = services.package_create(
        actor=world.users["secretariat"], theme="crp", publisher=None, title="CRP"
    )
    with pytest.raises(DomainError, match="published"):
        services.package_adopt(
            actor=None,
            version=version,
            meeting=_meeting(world, 90),
            period_start=TODAY,
            period_end=TODAY,
            on=TODAY,
        )
    assert PackageVersion.objects.count() == 1


def test_files_on_a_draft_are_checked_carried_to_the_next_version_and_downloaded(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from klynge.packages.models import PackageFile
    from tests.world import PASSWORD

    region = world.users["region_a"]
    sjaelland = Region.objects.get(code=1085)
    draft = services.package_create(
        actor=region,
        theme="crp",
        publisher=sjaelland,
        title="CRP",
        reviewer="R",
        revision_date=dt.date(2027, 12, 1),
    )
    with pytest.raises(DomainError, match="content does not match"):
        services.file_add(
            actor=region, version=draft, upload=SimpleUploadedFile("v.pdf", b"not a pdf")
        )
    with pytest.raises(DomainError, match="Only the publisher"):
        services.file_add(
            actor=world.users["region_other"],
            version=draft,
            upload=SimpleUploadedFile("v.pdf", b"%PDF-1.4 x"),
        )
    services.version_review(actor=region, version=draft)
    services.file_add(
        actor=region, version=draft, upload=SimpleUploadedFile("vejledning.pdf", b"%PDF-1.4 x")
    )
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT  # a changed draft is reviewed again
    services.version_review(actor=region, version=draft)
    published = services.version_publish(actor=region, version=draft)
    with pytest.raises(DomainError, match="published version"):
        services.file_add(
            actor=region, version=published, upload=SimpleUploadedFile("b.pdf", b"%PDF-1.4 y")
        )
    nxt = services.version_new(actor=region, package=published.package)
    (carried,) = nxt.files.all()
    assert carried.name == "vejledning.pdf"
    services.file_remove(actor=region, package_file=carried)
    assert {c.field for c in selectors.changes_since_previous(nxt)} >= {"files"}
    # The page links a download through the package's visibility (media is not served).
    (package_file,) = PackageFile.objects.filter(version=published)
    url = reverse("packages:file.download", args=[published.pk, package_file.pk])
    page = client.get(reverse("packages:detail", args=[published.pk])).content.decode()
    assert url in page and "/media/" not in page
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 x"
    # The next version's draft is the publisher's: its file address is 404 to others.
    other = services.file_add(
        actor=region, version=nxt, upload=SimpleUploadedFile("ny.pdf", b"%PDF-1.4 z")
    )
    draft_url = reverse("packages:file.download", args=[nxt.pk, other.pk])
    assert client.get(draft_url).status_code == 404
    client.login(email=region.email, password=PASSWORD)
    assert client.get(draft_url).status_code == 200
