"""What a regional unit's system reads through the API: filters and pages on the cluster
list, one cluster, its members on a date, grants, payouts and coverage, each as the web
pages compute it (the same selectors), and the one error body."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from klynge.finance import selectors as finance_selectors
from klynge.registry import selectors
from tests.api.conftest import HOVEDSTADEN, ON, OSTDANMARK, SJAELLAND, token

pytestmark = pytest.mark.django_db


def get(client, name, world, role="secretariat", kwargs=None, **params):
    return client.get(reverse(name, kwargs=kwargs), params, headers=token(world, role))


# --- Cluster list ------------------------------------------------------------------------------


def test_the_list_is_paged_with_limit_and_offset(world, client):
    first = get(client, "api:clusters", world, limit=1, on=ON).json()
    assert first["count"] == 2
    assert [c["name"] for c in first["results"]] == ["Hillerødklyngen"]
    assert "offset=1" in first["next"] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert [c["name"] for c in second["results"]] == ["Køgeklyngen"]
    assert second["next"] is None
    everything = get(client, "api:clusters", world, on=ON).json()
    assert [c["slug"] for c in everything["results"]] == [
        world.cluster_b.slug,
        world.cluster_a.slug,
    ]


def test_the_list_filters_by_region_and_municipality_on_the_date(world, client):
    def names(**params):
        response = get(client, "api:clusters", world, **params)
        assert response.status_code == 200, response.content
        return [c["name"] for c in response.json()["results"]]

    assert names(on=ON, region=SJAELLAND) == ["Køgeklyngen"]
    assert names(on=ON, region=HOVEDSTADEN) == ["Hillerødklyngen"]
    assert names(on=ON, municipality=259) == ["Køgeklyngen"]
    assert names(on=ON, region=HOVEDSTADEN, municipality=219) == ["Hillerødklyngen"]
    # After the reform both lie in Region Østdanmark.
    assert names(on="2027-01-15", region=OSTDANMARK) == ["Hillerødklyngen", "Køgeklyngen"]
    # Before the clusters were founded there are none.
    assert names(on="2018-01-01") == []


def test_the_list_answers_as_the_overview_selector(world, client):
    rows = selectors.cluster_overview(on=dt.date(2026, 6, 1))
    data = get(client, "api:clusters", world, on=ON).json()["results"]
    assert [(c["id"], c["clinics"], c["doctors"], c["listed_patients"]) for c in data] == [
        (r.cluster.pk, r.clinics, r.doctors, r.listed_patients) for r in rows
    ]
    koege = data[1]
    assert koege["region_code"] == SJAELLAND and koege["municipality_code"] == 259
    assert koege["capacities"] == 6


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"on": "15-01-2027"}, "on"),
        ({"date": "i morgen"}, "date"),
        ({"on": "2027-01-15", "region": str(SJAELLAND)}, "region"),  # merged by then
        ({"on": ON, "region": "9999"}, "region"),
        ({"on": ON, "region": str(SJAELLAND), "municipality": "219"}, "municipality"),
        ({"on": ON, "municipality": "1"}, "municipality"),
        ({"on": ON, "region": "-3"}, "region"),
        ({"on": "2006-12-31"}, "on"),  # before the regions
    ],
)
def test_a_filter_that_cannot_be_answered_is_a_400_saying_why(world, client, params, field):
    response = client.get(reverse("api:clusters"), params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["detail"]
    assert list(body["errors"]) == [field] and body["errors"][field][0]


def test_the_former_date_parameter_still_works(world, client):
    before = client.get(reverse("api:clusters"), {"date": "2026-12-01"}).json()["results"]
    after = client.get(reverse("api:clusters"), {"date": "2027-01-15"}).json()["results"]
    assert {c["region_code"] for c in before} == {SJAELLAND, HOVEDSTADEN}
    assert {c["region_code"] for c in after} == {OSTDANMARK}


# --- Cluster detail ----------------------------------------------------------------------------


def test_a_cluster_by_id_or_slug(world, client):
    a = world.cluster_a
    by_slug = client.get(reverse("api:cluster", args=[a.slug]), {"on": ON}).json()
    by_id = client.get(reverse("api:cluster", args=[a.pk]), {"on": ON}).json()
    assert by_slug == by_id
    assert by_id["id"] == a.pk and by_id["name"] == "Køgeklyngen"
    assert by_id["region_code"] == SJAELLAND and by_id["active"] is True
    assert (by_id["clinics"], by_id["doctors"], by_id["capacities"]) == (3, 6, 6)
    assert by_id["coordinator"] == {"name": "Køge Lægehus 1 læge 1", "clinic": "Køge Lægehus 1"}
    assert by_id["cvr"] == "13585628" and by_id["dissolved"] is None
    later = client.get(reverse("api:cluster", args=[a.pk]), {"on": "2027-02-01"}).json()
    assert later["region_code"] == OSTDANMARK
    early = client.get(reverse("api:cluster", args=[a.pk]), {"on": "2018-01-01"}).json()
    assert early["active"] is False and early["clinics"] == 0


def test_a_former_slug_still_finds_the_cluster(world, client):
    from django.utils import timezone

    from klynge.registry.models import FormerSlug

    FormerSlug.objects.create(cluster=world.cluster_a, slug="koege-gamle", until=timezone.now())
    response = client.get(reverse("api:cluster", args=["koege-gamle"]))
    assert response.status_code == 200
    assert response.json()["slug"] == world.cluster_a.slug
    members = client.get(
        reverse("api:cluster.members", args=["koege-gamle"]), headers=token(world, "region_a")
    )
    assert members.json()["cluster"]["id"] == world.cluster_a.pk


@pytest.mark.parametrize("ref", ["no-such-cluster", "999999", str(2**63), "0"])
def test_an_unknown_cluster_is_404_with_the_error_body(world, client, ref):
    response = client.get(reverse("api:cluster", args=[ref]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and response.json()["detail"]


# --- Members on a date ---------------------------------------------------------------------------


def test_members_on_a_date_with_sizes_for_the_region(world, client):
    from klynge.registry import services
    from klynge.registry.models import Membership

    leaving = Membership.objects.get(cluster=world.cluster_a, clinic=world.clinics_a[2])
    services.membership_end(actor=None, membership=leaving, end=dt.date(2025, 1, 1))
    url = reverse("api:cluster.members", args=[world.cluster_a.slug])
    now = client.get(url, {"on": ON}, headers=token(world, "region_a")).json()
    assert now["cluster"] == {
        "id": world.cluster_a.pk,
        "slug": world.cluster_a.slug,
        "name": "Køgeklyngen",
    }
    assert [c["provider_number"] for c in now["clinics"]] == ["100001", "100002"]
    assert now["clinics"][0]["capacities"] == 2
    assert now["clinics"][0]["listed_patients"] == 3200
    assert {r["role"] for r in now["roles"]} == {"coordinator", "treasurer"}
    before = client.get(url, {"on": "2024-06-01"}, headers=token(world, "region_a")).json()
    assert [c["provider_number"] for c in before["clinics"]] == ["100001", "100002", "100003"]
    assert before["clinics"][2]["end"] == "2025-01-01"
    expected = [
        p.doctor.name
        for p in selectors.cluster_participations_on(
            cluster=world.cluster_a, on=dt.date(2024, 6, 1)
        )
    ]
    assert [d["name"] for d in before["doctors"]] == expected


def test_a_member_sees_the_members_but_not_the_clinic_sizes(world, client):
    url = reverse("api:cluster.members", args=[world.cluster_a.pk])
    body = client.get(url, {"on": ON}, headers=token(world, "member_a")).json()
    assert len(body["clinics"]) == 3
    assert all(c["capacities"] is None and c["listed_patients"] is None for c in body["clinics"])


# --- Grants and payouts ---------------------------------------------------------------------------


def test_grants_as_the_grants_page_computes_them(world, client):
    body = get(client, "api:grants", world, "region_a", year=2024, on=ON).json()
    rows = finance_selectors.grant_rows(year=2024, region=SJAELLAND, on=dt.date(2026, 6, 1))
    assert body["count"] == len(rows) == 1
    row, got = rows[0], body["results"][0]
    assert got["cluster"]["slug"] == world.cluster_a.slug
    assert got["total"] == str(row.grant.total) and got["paid"] == "9000.00"
    assert got["due"] == str(row.due) and got["region_code"] == SJAELLAND
    assert got["first_payout"] == "2019-04-01" and got["due_on"] == "2024-01-01"
    nation = get(client, "api:grants", world, year=2024, on=ON).json()
    assert [r["cluster"]["name"] for r in nation["results"]] == ["Hillerødklyngen", "Køgeklyngen"]
    only_b = get(client, "api:grants", world, year=2024, on=ON, cluster=world.cluster_b.pk)
    assert [r["cluster"]["name"] for r in only_b.json()["results"]] == ["Hillerødklyngen"]
    outside = get(
        client, "api:grants", world, "region_a", year=2024, on=ON, cluster=world.cluster_b.pk
    )
    assert outside.json()["results"] == []


def test_payouts_with_their_reversals_scoped_to_the_region_on_the_date(world, client):
    body = get(client, "api:payouts", world, "region_a", on=ON).json()
    assert [(p["amount"], p["reverses"] is not None) for p in body["results"]] == [
        ("10000.50", False),
        ("-10000.50", True),
        ("9000.00", False),
    ]
    original, reversal = body["results"][0], body["results"][1]
    assert original["reversed_by"] == reversal["id"] and reversal["reverses"] == original["id"]
    assert reversal["reason"] == "Fejl" and original["payer_code"] == SJAELLAND
    other = get(client, "api:payouts", world, "region_other", on=ON).json()
    assert [p["amount"] for p in other["results"]] == ["5000.00"]
    # From 2027 Region Østdanmark's unit reads both former regions' clusters.
    merged = get(client, "api:payouts", world, "region_a", on="2027-02-01").json()
    assert merged["count"] == 4
    assert get(client, "api:payouts", world, year=2023, on=ON).json()["count"] == 0


# --- Coverage ---------------------------------------------------------------------------------------


def test_coverage_as_the_coverage_page(world, client):
    body = get(client, "api:coverage", world, "region_a", on=ON).json()
    expected = selectors.coverage(on=dt.date(2026, 6, 1), region=SJAELLAND)
    assert body["region_code"] == SJAELLAND
    assert body["national"]["clinics"] == expected.national.clinics == 6
    assert body["national"]["clinics_in_cluster"] == 5
    assert body["national"]["doctor_share"] == pytest.approx(expected.national.doctor_share)
    assert {r["code"] for r in body["regions"]} == {1081, 1082, 1083, HOVEDSTADEN, SJAELLAND}
    koege = next(m for m in body["municipalities"] if m["code"] == 259)
    assert (koege["clinics"], koege["clinics_in_cluster"]) == (4, 3)
    assert koege["clinic_share"] == pytest.approx(0.75)
    assert body["unclustered_clinics"] == 1
    assert all(m["code"] != 219 for m in body["municipalities"])  # Hillerød: another region
    one = get(client, "api:coverage", world, on=ON, municipality=219).json()
    assert [m["name"] for m in one["municipalities"]] == ["Hillerød"]
    assert one["unclustered_clinics"] == 0


def test_a_regional_unit_asking_for_another_region_is_refused(world, client):
    for name in ("api:coverage", "api:grants", "api:payouts"):
        response = get(client, name, world, "region_a", on=ON, region=HOVEDSTADEN)
        assert response.status_code == 403, name
        assert response.json()["code"] == "permission_denied"
        assert get(client, name, world, "region_a", on=ON, region=SJAELLAND).status_code == 200


def test_grants_for_a_year_out_of_range_is_a_400(world, client):
    response = get(client, "api:grants", world, year=1999)
    assert response.status_code == 400 and list(response.json()["errors"]) == ["year"]


# --- Errors and the import's body --------------------------------------------------------------------


def test_every_error_has_the_documented_body(world, client):
    bodies = [
        client.get(reverse("api:coverage")),  # 401
        client.get(reverse("api:coverage"), headers={"Authorization": "Token nope"}),  # 401
        get(client, "api:coverage", world, "member_a"),  # 403
        client.post(reverse("api:clusters")),  # 405
        get(client, "api:cluster.members", world, "member_b", kwargs={"ref": "x"}),  # 404
    ]
    assert [b.status_code for b in bodies] == [401, 401, 403, 405, 404]
    for response in bodies:
        body = response.json()
        assert set(body) == {"detail", "code"}, body
        assert isinstance(body["detail"], str) and body["detail"]
    assert [b.json()["code"] for b in bodies] == [
        "not_authenticated",
        "authentication_failed",
        "permission_denied",
        "method_not_allowed",
        "not_found",
    ]


def test_an_import_without_a_file_is_a_400_with_the_error_body(world, client):
    response = client.post(reverse("api:imports"), {}, headers=token(world, "secretariat"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == ["file"]


def test_a_domain_error_keeps_its_field(rf):
    from klynge.api.exceptions import exception_handler
    from klynge.core.errors import DomainError

    response = exception_handler(DomainError("Nej.", field="year"), {})
    assert response.status_code == 400
    assert response.data == {"detail": "Nej.", "code": "domain_error", "field": "year"}


def test_the_import_is_documented_as_a_multipart_binary_file():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    body = schema["paths"]["/api/v1/imports/"]["post"]["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][ref]["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": "The CSV or XLSX file.",
    }
    rejected = schema["paths"]["/api/v1/imports/"]["post"]["responses"]["400"]
    ref = rejected["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {s["$ref"].rsplit("/", 1)[1] for s in schema["components"]["schemas"][ref]["oneOf"]} == {
        "ImportRunOutput",
        "Error",
    }


def test_the_import_accepts_a_real_multipart_upload(world, client):
    from tests.quality.conftest import csv_bytes

    data = csv_bytes([("100001", "nsaid_elderly", "2024-03", 12, 40)])
    response = client.post(
        reverse("api:imports"),
        {"file": SimpleUploadedFile("data.csv", data)},
        headers=token(world, "coordinator_a"),
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("pk", [str(2**64), "0", "abc", "1.5"])
def test_an_import_run_that_cannot_exist_is_a_404_not_a_server_error(world, client, pk):
    response = client.get(f"/api/v1/imports/{pk}/", headers=token(world, "secretariat"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_unknown_api_address_answers_with_the_error_body(client):
    response = client.get("/api/v1/no/such/endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_a_nul_in_an_api_query_is_a_400_with_the_error_body(client):
    response = client.get("/api/v1/clusters/", {"on": "2026-06-01\x00"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "params", [{"limit": "abc"}, {"limit": "0"}, {"limit": "1001"}, {"offset": "-1"}, {"on": ""}]
)
def test_paging_and_dates_out_of_bounds_are_refused_not_ignored(world, client, params):
    response = client.get(reverse("api:clusters"), params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(params)
