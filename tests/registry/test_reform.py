"""Dated geography and the 2027 region reform (issue 12): regions with validity and
successor, municipalities in regions as dated rows, everything region-scoped asked "on
which date?" (export, coverage, grants, the role resolver), regional staff as dated
posts, filters that cannot contradict."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from klynge.accounts.models import User
from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.core.permissions import Role, roles_for
from klynge.finance import services as finance_services
from klynge.registry import exports, selectors, staff
from klynge.registry.forms import OverviewFilterForm
from klynge.registry.models import AreaMember, Cluster, Municipality, Region, RegionalPost
from tests.factories import (
    KOEBENHAVN,
    KOEGE,
    ClinicFactory,
    DoctorFactory,
    UserFactory,
    build_cluster,
    municipality,
)

pytestmark = pytest.mark.django_db

D = dt.date
BEFORE, AFTER = D(2026, 12, 1), D(2027, 1, 15)
NORDJYLLAND, MIDTJYLLAND, SYDDANMARK, HOVEDSTADEN, SJAELLAND, OSTDANMARK = (
    1081,
    1082,
    1083,
    1084,
    1085,
    1086,
)
AALBORG, AARHUS_, ODENSE, HILLEROED, BORNHOLM = 851, 751, 461, 219, 400


def at(monkeypatch, day: dt.date) -> None:
    """Make `day` today for every `timezone.localdate()` caller."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)


@pytest.fixture
def nation():
    """One cluster in a municipality of each of the five regions, one more in Bornholm
    (Hovedstaden) and an unclustered clinic with a doctor in Hillerød (Hovedstaden)."""
    clusters = {
        code: build_cluster(name=f"Klynge {code}", mun=municipality(code), founded=D(2020, 1, 1))
        for code in (AALBORG, AARHUS_, ODENSE, KOEBENHAVN, KOEGE, BORNHOLM)
    }
    DoctorFactory(clinic=ClinicFactory(municipality=municipality(HILLEROED)))
    return clusters


# --- Areas with validity ---------------------------------------------------------------------


def test_five_regions_until_2026_and_four_from_2027():
    assert [r.code for r in selectors.regions_on(D(2026, 12, 31))] == [
        NORDJYLLAND,
        MIDTJYLLAND,
        SYDDANMARK,
        HOVEDSTADEN,
        SJAELLAND,
    ]
    assert [r.code for r in selectors.regions_on(D(2027, 1, 1))] == [
        NORDJYLLAND,
        MIDTJYLLAND,
        SYDDANMARK,
        OSTDANMARK,
    ]
    east = Region.objects.get(code=OSTDANMARK)
    assert (east.name, east.start, east.end, east.seat) == (
        "Region Østdanmark",
        D(2027, 1, 1),
        None,
        "Sorø",
    )
    for code in (HOVEDSTADEN, SJAELLAND):
        merged = Region.objects.get(code=code)
        assert (merged.end, merged.successor) == (D(2027, 1, 1), east)
        assert merged.is_valid_on(D(2026, 12, 31)) and not merged.is_valid_on(D(2027, 1, 1))


def test_every_municipality_is_in_one_region_on_each_side_of_the_reform():
    for day in (D(2007, 1, 1), D(2026, 12, 31), D(2027, 1, 1), D(2040, 6, 1)):
        regions = selectors.region_map(day)
        assert len(regions) == Municipality.objects.count() == 98
        assert AreaMember.objects.active_on(day).count() == 98
    east = selectors.municipalities_in(OSTDANMARK, D(2027, 1, 1))
    assert east.count() == 46
    before = set(selectors.municipalities_in(HOVEDSTADEN, D(2026, 12, 31))) | set(
        selectors.municipalities_in(SJAELLAND, D(2026, 12, 31))
    )
    assert set(east) == before
    assert selectors.municipalities_in(SJAELLAND, D(2027, 1, 1)).count() == 0
    koege = municipality(KOEGE)
    assert selectors.region_of(koege, D(2026, 12, 31)).code == SJAELLAND
    assert selectors.region_of(koege, D(2027, 1, 1)).code == OSTDANMARK
    assert koege.region_on(D(2027, 1, 1)).code == OSTDANMARK
    assert selectors.region_of(AALBORG, D(2027, 1, 1)).code == NORDJYLLAND


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints exist on PostgreSQL only"
)
def test_the_database_keeps_a_municipality_in_one_region_at_a_time():
    """Issue 12: the rule lived in the loaders only; a second region for Køge in 2026
    was accepted, and a member row could claim another layer than its area's."""
    koege = municipality(KOEGE)
    with pytest.raises(IntegrityError), transaction.atomic():
        AreaMember.objects.create(
            area_id=HOVEDSTADEN, municipality=koege, start=D(2026, 6, 1), end=D(2026, 7, 1)
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # the layer is the area's
        AreaMember.objects.create(
            area_id=HOVEDSTADEN, municipality=koege, layer="health_council", start=D(2026, 6, 1)
        )
        connection.check_constraints()
    # A region that starts the day the old one ends shares no day with it.
    AreaMember.objects.filter(municipality=koege, area_id=OSTDANMARK).delete()
    AreaMember.objects.create(area_id=OSTDANMARK, municipality=koege, start=D(2027, 1, 1))


# --- The export, the coverage page and the grants list on both dates ---------------------------


def _export(on: dt.date, *extra: str) -> list[dict]:
    out = io.StringIO()
    call_command("export_register", "--format", "csv", "--date", on.isoformat(), *extra, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_export_lists_five_regions_before_and_four_after_the_reform(nation):
    before = {r["region"] for r in _export(BEFORE)}
    assert before == {
        "Region Nordjylland",
        "Region Midtjylland",
        "Region Syddanmark",
        "Region Hovedstaden",
        "Region Sjælland",
    }
    after = {r["region"] for r in _export(AFTER)}
    assert after == {
        "Region Nordjylland",
        "Region Midtjylland",
        "Region Syddanmark",
        "Region Østdanmark",
    }
    rows = {r["cluster"]: r["region"] for r in _export(AFTER)}
    assert rows[f"Klynge {KOEGE}"] == rows[f"Klynge {KOEBENHAVN}"] == "Region Østdanmark"
    assert {r["cluster"] for r in _export(AFTER, "--region", str(OSTDANMARK))} == {
        f"Klynge {KOEGE}",
        f"Klynge {KOEBENHAVN}",
        f"Klynge {BORNHOLM}",
    }


@pytest.mark.parametrize("on", [BEFORE, AFTER])
def test_coverage_page_and_grants_list_agree_with_the_export(nation, client, on):
    client.force_login(UserFactory(is_secretariat=True))
    exported = _export(on)
    clinics_per_region: dict[str, int] = {}
    for row in exported:
        clinics_per_region[row["region"]] = clinics_per_region.get(row["region"], 0) + int(
            row["provider_numbers"]
        )

    page = client.get(reverse("overviews:coverage"), {"dato": on.isoformat()})
    assert page.status_code == 200
    assert page.context["on"] == on
    coverage = page.context["coverage"]
    assert {r.name: r.clinics_in_cluster for r in coverage.regions} == clinics_per_region

    grants = client.get(reverse("finance:grants"), {"aar": 2026, "dato": on.isoformat()})
    assert grants.status_code == 200
    by_cluster = {row.cluster.name: row.region.name for row, _due in grants.context["rows"]}
    assert by_cluster == {r["cluster"]: r["region"] for r in exported}
    grants_csv = client.get(reverse("finance:grants.csv"), {"aar": 2026, "dato": on.isoformat()})
    lines = list(csv.DictReader(io.StringIO(grants_csv.content.decode("utf-8-sig")), delimiter=";"))
    assert {line["Klynge"]: line["Region"] for line in lines} == by_cluster


def test_national_figures_do_not_change_at_the_merger_and_regions_add_up(nation):
    eve = selectors.coverage(on=D(2026, 12, 31))
    day = selectors.coverage(on=D(2027, 1, 1))
    fields = ("clinics", "clinics_in_cluster", "doctors", "doctors_in_cluster")
    national = [getattr(eve.national, f) for f in fields]
    assert national == [getattr(day.national, f) for f in fields]
    assert national[0] > 0 and national[1] < national[0]  # the unclustered Hillerød clinic
    for cov in (eve, day):
        for f in fields:
            assert sum(getattr(r, f) for r in cov.regions) == getattr(cov.national, f)
    old = {r.code: r for r in eve.regions}
    new = {r.code: r for r in day.regions}
    assert len(old) == 5 and len(new) == 4
    for f in fields:
        assert getattr(new[OSTDANMARK], f) == getattr(old[HOVEDSTADEN], f) + getattr(
            old[SJAELLAND], f
        )
        for code in (NORDJYLLAND, MIDTJYLLAND, SYDDANMARK):
            assert getattr(new[code], f) == getattr(old[code], f)
    assert len(selectors.cluster_overview(on=D(2026, 12, 31))) == len(
        selectors.cluster_overview(on=D(2027, 1, 1))
    )


# --- Regional staff: dated posts ---------------------------------------------------------------


def _region_clusters(user_pk: int) -> set[str]:
    user = User.objects.get(pk=user_pk)  # a fresh object: no roles memoised
    return {c.name for c in Cluster.objects.all() if Role.REGION in roles_for(user, c)}


def test_a_regional_user_of_sjaelland_sees_their_clusters_then_all_of_ostdanmark(
    nation, monkeypatch, client
):
    user = UserFactory()
    at(monkeypatch, D(2026, 6, 1))
    staff.staff_post_start(
        actor=None, user=user, region=Region.objects.get(code=SJAELLAND), start=D(2026, 6, 1)
    )
    at(monkeypatch, D(2026, 12, 31))
    assert _region_clusters(user.pk) == {f"Klynge {KOEGE}"}
    assert Role.REGION in roles_for(User.objects.get(pk=user.pk))
    at(monkeypatch, D(2027, 1, 1))
    assert _region_clusters(user.pk) == {
        f"Klynge {KOEGE}",
        f"Klynge {KOEBENHAVN}",
        f"Klynge {BORNHOLM}",
    }
    # The pages follow: the grants list of the region as of today is Østdanmark's.
    client.force_login(user)
    grants = client.get(reverse("finance:grants"), {"aar": 2027})
    assert {row.cluster.name for row, _ in grants.context["rows"]} == {
        f"Klynge {KOEGE}",
        f"Klynge {KOEBENHAVN}",
        f"Klynge {BORNHOLM}",
    }
    page = client.get(reverse("overviews:coverage"))
    assert page.context["region"].code == OSTDANMARK
    # ... and as of a day before the merger, the region of that day.
    page = client.get(reverse("overviews:coverage"), {"dato": "2026-12-01"})
    assert page.context["region"].code == SJAELLAND


def test_a_post_in_a_merging_region_continues_in_the_successor_and_is_audited():
    user = UserFactory()
    sjaelland = Region.objects.get(code=SJAELLAND)
    staff.staff_post_start(actor=None, user=user, region=sjaelland, start=D(2025, 3, 1))
    posts = list(RegionalPost.objects.filter(user=user).order_by("start"))
    assert [(p.region_id, p.start, p.end) for p in posts] == [
        (SJAELLAND, D(2025, 3, 1), D(2027, 1, 1)),
        (OSTDANMARK, D(2027, 1, 1), None),
    ]
    actions = set(AuditEntry.objects.values_list("action", "scope"))
    assert ("registry.staff_post.started", f"region:{SJAELLAND}") in actions
    assert ("registry.staff_post.moved", f"region:{OSTDANMARK}") in actions
    assert selectors.staff_region(user, D(2026, 12, 31)) == sjaelland
    assert selectors.staff_region(user, D(2027, 1, 1)).code == OSTDANMARK


def test_posts_never_overlap_and_end_on_a_date():
    user = UserFactory()
    north = Region.objects.get(code=NORDJYLLAND)
    staff.staff_post_start(actor=None, user=user, region=north, start=D(2024, 1, 1))
    with pytest.raises(DomainError):
        staff.staff_post_start(
            actor=None, user=user, region=Region.objects.get(code=SYDDANMARK), start=D(2025, 1, 1)
        )
    with pytest.raises(DomainError):  # Østdanmark is not in force yet in 2026
        staff.staff_post_start(
            actor=None,
            user=UserFactory(),
            region=Region.objects.get(code=OSTDANMARK),
            start=D(2026, 5, 1),
        )
    staff.staff_post_end(actor=None, user=user, region=north, end=D(2025, 1, 1))
    assert selectors.staff_region(user, D(2024, 12, 31)) == north
    assert selectors.staff_region(User.objects.get(pk=user.pk), D(2025, 1, 1)) is None
    staff.staff_post_start(
        actor=None, user=user, region=Region.objects.get(code=SYDDANMARK), start=D(2025, 1, 1)
    )
    with pytest.raises(DomainError):
        staff.staff_post_end(actor=None, user=user, region=north, end=D(2026, 1, 1))
    assert AuditEntry.objects.filter(action="registry.staff_post.ended").count() == 1


def test_the_merger_command_moves_staff_added_without_continuation_once():
    user = UserFactory()
    # A post written directly (as the admin would), with no continuation.
    RegionalPost.objects.create(
        user=user, region=Region.objects.get(code=HOVEDSTADEN), start=D(2020, 1, 1)
    )
    out = io.StringIO()
    call_command("move_regional_staff", "--to", str(OSTDANMARK), stdout=out)
    assert "1 staff" in out.getvalue()
    posts = list(RegionalPost.objects.filter(user=user).order_by("start"))
    assert [(p.region_id, p.end) for p in posts] == [
        (HOVEDSTADEN, D(2027, 1, 1)),
        (OSTDANMARK, None),
    ]
    call_command("move_regional_staff", "--to", str(OSTDANMARK), stdout=io.StringIO())
    assert RegionalPost.objects.filter(user=user).count() == 2  # idempotent


def test_the_data_migration_turns_user_region_into_dated_posts():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("klynge.registry.migrations.0004_region_reform_2027")
    east_staff = UserFactory(region=Region.objects.get(code=SJAELLAND))
    west_staff = UserFactory(region=Region.objects.get(code=SYDDANMARK))
    migration.forward(apps, None)
    migration.forward(apps, None)  # idempotent
    assert [
        (p.region_id, p.end) for p in RegionalPost.objects.filter(user=east_staff).order_by("start")
    ] == [(SJAELLAND, D(2027, 1, 1)), (OSTDANMARK, None)]
    assert [(p.region_id, p.end) for p in RegionalPost.objects.filter(user=west_staff)] == [
        (SYDDANMARK, None)
    ]
    assert AreaMember.objects.count() == 98 + 46


# --- Payouts: the payer is the region in force on the payout date ---------------------------------


def test_the_payer_is_the_region_on_the_payout_date_and_history_keeps_it(monkeypatch):
    setup = build_cluster(mun=municipality(KOEGE), founded=D(2020, 1, 1))
    cluster = setup.cluster
    cluster.registration_completed = D(2020, 2, 1)
    cluster.save(update_fields=["registration_completed"])
    at(monkeypatch, D(2027, 2, 1))
    before = finance_services.payout_record(
        actor=None, cluster=cluster, year=2026, amount=Decimal("100"), paid_on=D(2026, 12, 30)
    )
    after = finance_services.payout_record(
        actor=None, cluster=cluster, year=2027, amount=Decimal("100"), paid_on=D(2027, 1, 5)
    )
    assert before.payer_id == SJAELLAND and after.payer_id == OSTDANMARK
    reversal = finance_services.payout_reverse(
        actor=None, payout=before, on=D(2027, 2, 1), reason="Forkert beløb"
    )
    assert reversal.payer_id == SJAELLAND  # the reversal undoes Sjælland's payment
    before.refresh_from_db()
    assert before.payer_id == SJAELLAND


# --- Filters that cannot contradict ----------------------------------------------------------------


def test_the_municipality_list_follows_the_chosen_region_on_the_date():
    form = OverviewFilterForm({"region": str(SJAELLAND), "dato": "2026-12-01"})
    offered = {code for code, _ in form.fields["municipality"].widget.choices if code}
    assert offered == set(
        selectors.municipalities_in(SJAELLAND, BEFORE).values_list("pk", flat=True)
    )
    assert len(offered) == 17
    form = OverviewFilterForm({"region": str(OSTDANMARK), "dato": "2027-01-15"})
    assert len([c for c, _ in form.fields["municipality"].widget.choices if c]) == 46


def test_an_impossible_combination_says_so_in_danish_and_exports_nothing(nation, client):
    query = {"region": NORDJYLLAND, "municipality": KOEGE}
    with translation.override("da"):
        page = client.get(reverse("registry:cluster.list"), query, HTTP_ACCEPT_LANGUAGE="da")
    assert page.status_code == 200
    assert page.context["rows"] == []
    text = page.content.decode()
    assert "Køge ligger ikke i Region Nordjylland" in text
    export = client.get(
        reverse("registry:cluster.export", args=["csv"]), query, HTTP_ACCEPT_LANGUAGE="da"
    )
    assert export.status_code == 400
    assert "Køge ligger ikke i Region Nordjylland" in export.content.decode()
    assert "Klynge" not in export.content.decode()
    with pytest.raises(CommandError):
        _export(BEFORE, "--region", str(NORDJYLLAND), "--municipality", str(KOEGE))
    with pytest.raises(DomainError):
        exports.register_rows(on=BEFORE, region=NORDJYLLAND, municipality=KOEGE)


def test_a_merged_region_after_the_merger_points_to_its_successor(nation, client):
    query = {"region": SJAELLAND, "dato": "2027-01-15"}
    page = client.get(reverse("registry:cluster.list"), query, HTTP_ACCEPT_LANGUAGE="da")
    assert page.context["rows"] == []
    assert "Region Østdanmark" in page.context["impossible"]
    # The same region on a day it was in force is fine.
    page = client.get(reverse("registry:cluster.list"), {"region": SJAELLAND, "dato": "2026-12-01"})
    assert [r.cluster.name for r in page.context["rows"]] == [f"Klynge {KOEGE}"]
    assert page.context["impossible"] == ""


def test_the_overview_as_of_a_date_and_its_htmx_answer_swaps_the_municipality_list(nation, client):
    page = client.get(
        reverse("registry:cluster.list"),
        {"region": OSTDANMARK, "dato": "2027-01-15"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="overview",
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="municipality-field" hx-swap-oob="true"' in text
    assert "Bornholm" in text and "Aalborg" not in text.split("</label>")[0]
    assert {r.cluster.name for r in page.context["rows"]} == {
        f"Klynge {KOEGE}",
        f"Klynge {KOEBENHAVN}",
        f"Klynge {BORNHOLM}",
    }
    spec = page.context["map_spec"]
    assert "dk_regioner_2027_forenklet" in spec["layer"][1]["data"]["url"]


def test_the_api_answers_as_of_a_date(nation, client):
    url = reverse("api:clusters")
    before = client.get(url, {"date": "2026-12-01"}).json()["results"]
    after = client.get(url, {"date": "2027-01-15"}).json()["results"]
    assert {c["region_code"] for c in before} == {
        NORDJYLLAND,
        MIDTJYLLAND,
        SYDDANMARK,
        HOVEDSTADEN,
        SJAELLAND,
    }
    assert {c["region_code"] for c in after} == {NORDJYLLAND, MIDTJYLLAND, SYDDANMARK, OSTDANMARK}
    assert client.get(url, {"date": "15-01-2027"}).status_code == 400


# --- Map geometry ------------------------------------------------------------------------------------


def test_merge_polygons_drops_the_shared_border_and_keeps_the_area():
    from klynge.registry.geography import _ring_area, merge_polygons

    # Two unit squares side by side, clockwise (d3-geo's winding), sharing x = 1.
    left = [[[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]]
    right = [[[[1, 0], [1, 1], [2, 1], [2, 0], [1, 0]]]]
    island = [[[[5, 5], [5, 6], [6, 6], [6, 5], [5, 5]]]]
    merged = merge_polygons([left, right + island])
    assert len(merged) == 2  # the joined rectangle and the island
    rings = sorted(merged, key=lambda p: -abs(_ring_area([tuple(x) for x in p[0]])))
    rectangle = rings[0][0]
    assert abs(_ring_area([tuple(p) for p in rectangle])) == 2
    assert _ring_area([tuple(p) for p in rectangle]) < 0  # winding kept
    assert all(not (x == 1 and 0 < y < 1) for x, y in rectangle)
    assert sum(1 for p in rectangle if p[0] == 1) == 2  # (1, 0) and (1, 1) stay on the outline


def test_the_shipped_2027_map_has_four_regions_and_ostdanmark_is_the_union():
    import json

    from klynge.registry.geography import STATIC, _ring_area, region_map_file

    assert region_map_file(D(2026, 12, 31)).endswith("dk_regioner_forenklet.geojson")
    assert region_map_file(D(2027, 1, 1)).endswith("dk_regioner_2027_forenklet.geojson")

    def areas(name):
        with open(STATIC / name, encoding="utf-8") as fh:
            features = json.load(fh)["features"]
        return {
            f["properties"]["regionskode"]: sum(
                _ring_area([tuple(p) for p in ring])
                for polygon in f["geometry"]["coordinates"]
                for ring in polygon
            )
            for f in features
        }

    old, new = areas("dk_regioner_forenklet.geojson"), areas("dk_regioner_2027_forenklet.geojson")
    assert sorted(new) == ["1081", "1082", "1083", "1086"]
    assert new["1086"] == pytest.approx(old["1084"] + old["1085"])
    assert new["1081"] == pytest.approx(old["1081"])


def test_loading_the_geography_again_restores_the_dated_regions():
    """A flushed test database (browser tests) reloads the geography with the reform."""
    from klynge.registry.geography import load_geography
    from klynge.registry.models import PostalCode

    AreaMember.objects.all().delete()
    Region.objects.filter(code__in=(HOVEDSTADEN, SJAELLAND)).update(end=None, successor=None)
    assert selectors.region_map(D(2027, 1, 1)) == {}
    load_geography(Region, Municipality, PostalCode)
    assert len(selectors.region_map(D(2027, 1, 1))) == 98
    assert [r.code for r in selectors.regions_on(D(2027, 1, 1))][-1] == OSTDANMARK
    assert len(selectors.regions_on(D(2027, 1, 1))) == 4
