"""The registry pages as a user drives them: register, fix what is missing, change
the composition on a date, look back in time; coverage and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from klynge.core.models import AuditEntry
from klynge.registry.models import Clinic, Cluster, Membership, Municipality
from tests.world import FOUNDED, PASSWORD, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def login(client, email):
    assert client.login(email=email, password=PASSWORD)


def register_payload(**overrides):
    data = {
        "name": "Fri Klynge",
        "municipality": 259,
        "founded": "24-10-2019",
        "cvr": "25313011",
        "bank_registration": "1234",
        "bank_account": "12345678",
        "fiscal_year_start_month": "1",
    }
    return {**data, **overrides}


def test_registering_with_a_bad_cvr_says_why_and_writes_nothing(world, client):
    login(client, "fri@c.test")
    before = Cluster.objects.count()
    response = client.post(reverse("registry:cluster.register"), register_payload(cvr="13585627"))
    assert response.status_code == 200
    assert "modulus 11" in response.content.decode()
    assert Cluster.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("cvr", "1234", "8"),
        ("bank_registration", "12", "4"),
        ("bank_account", "12345678901", "10"),
        ("founded", "2019/31/12", "24-10-2019"),
    ],
)
def test_registration_validation_messages(world, client, field, value, fragment):
    login(client, "fri@c.test")
    response = client.post(reverse("registry:cluster.register"), register_payload(**{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(fragment in e for e in errors), errors


@pytest.mark.parametrize("founded", ["24-10-2019", "24.10.2019", "2019-10-24"])
def test_registration_by_a_doctor_makes_them_coordinator(world, client, founded):
    login(client, "fri@c.test")
    response = client.post(reverse("registry:cluster.register"), register_payload(founded=founded))
    cluster = Cluster.objects.get(name="Fri Klynge")
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:cluster.registration", args=[cluster.slug])
    assert cluster.founded == dt.date(2019, 10, 24)
    assert cluster.memberships.get().clinic == world.free_clinic
    page = client.get(response["Location"])
    missing = {item.code for item in page.context["missing"]}
    assert missing == {"statutes", "founding_minutes"}
    assert page.context["size_warnings"], "a one-doctor cluster is far below the advised size"
    assert AuditEntry.objects.filter(
        action="registry.cluster.registered", scope=f"cluster:{cluster.pk}"
    ).exists()


def test_a_cvr_number_already_registered_is_refused_on_the_form(world, client):
    login(client, "fri@c.test")
    before = Cluster.objects.count()
    response = client.post(reverse("registry:cluster.register"), register_payload(cvr="13585628"))
    assert Cluster.objects.count() == before
    assert any("Køgeklyngen" in e for e in response.context["form"].errors["cvr"])


def test_a_doctor_in_another_cluster_is_told_why_and_no_orphan_is_left(world, client):
    login(client, "laege@a.test")  # member of Køgeklyngen
    before = Cluster.objects.count()
    response = client.post(reverse("registry:cluster.register"), register_payload())
    assert response.status_code == 200  # the form again, not a 404 on an orphan's page
    assert Cluster.objects.count() == before
    assert any("Køgeklyngen" in e for e in response.context["form"].errors["founded"])


def test_name_check_warns_about_a_similar_name_and_suggests_a_suffix(world, client):
    login(client, "fri@c.test")
    response = client.get(
        reverse("registry:cluster.name_check"), {"name": "Køgeklyngen", "municipality": 259}
    )
    text = response.content.decode()
    assert "Køgeklyngen" in text and "Køgeklyngen – nord" in text
    other = client.get(
        reverse("registry:cluster.name_check"), {"name": "Stevnsklyngen", "municipality": 259}
    )
    assert "Køgeklyngen" not in other.content.decode()


def test_a_clinic_in_another_cluster_cannot_join_and_nothing_is_written(world, client):
    login(client, "koordinator@a.test")
    hillerod = Clinic.objects.get(provider_number="200001")
    before = Membership.objects.count()
    response = client.post(
        reverse("registry:membership.join", args=[world.cluster_a.slug]),
        {"provider_number": "200001", "start": "01-02-2024", "with_doctors": "on"},
    )
    assert response.status_code == 400  # the page again, with the form and why
    assert "Hillerødklyngen" in response.content.decode()
    assert Membership.objects.count() == before
    assert not hillerod.memberships.filter(cluster=world.cluster_a).exists()


def test_composition_change_is_dated_and_history_answers_who_was_member(world, client):
    login(client, "koordinator@a.test")
    free = world.free_clinic
    response = client.post(
        reverse("registry:membership.join", args=[world.cluster_a.slug]),
        {"provider_number": "300001", "start": "01.02.2024", "with_doctors": "on"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(clinic=free, cluster=world.cluster_a)
    assert membership.start == dt.date(2024, 2, 1)
    assert free.doctors.first().participations.get().start == dt.date(2024, 2, 1)

    response = client.post(
        reverse("registry:membership.end", args=[world.cluster_a.slug, membership.pk]),
        {"date": "01-07-2025"},
    )
    assert response.status_code == 302
    members = reverse("registry:cluster.members", args=[world.cluster_a.slug])
    on_date = client.get(members, {"dato": "30-06-2025"})
    assert "Fri Klinik" in {m.clinic.name for m, _count in on_date.context["memberships"]}
    after = client.get(members, {"dato": "01-07-2025"})
    assert "Fri Klinik" not in {m.clinic.name for m, _count in after.context["memberships"]}
    before = client.get(members, {"dato": "31-01-2024"})
    assert "Fri Klinik" not in {m.clinic.name for m, _count in before.context["memberships"]}
    bad = client.get(members, {"dato": "31-31-2024"})
    assert bad.context["date_error"]


def test_new_coordinator_ends_the_previous_term(world, client):
    login(client, "koordinator@a.test")
    from klynge.registry.models import Doctor, RoleAssignment

    new = Doctor.objects.get(user__email="laege@a.test")
    response = client.post(
        reverse("registry:role.add", args=[world.cluster_a.slug]),
        {"role": "coordinator", "doctor": new.pk, "start": "01-01-2025"},
    )
    assert response.status_code == 302
    terms = RoleAssignment.objects.filter(cluster=world.cluster_a, role="coordinator").order_by(
        "start"
    )
    assert [(t.start, t.end) for t in terms] == [
        (FOUNDED, dt.date(2025, 1, 1)),
        (dt.date(2025, 1, 1), None),
    ]


def test_document_upload_rejects_a_fake_pdf(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from klynge.governance.services import statutes_adopt

    login(client, "koordinator@a.test")
    url = reverse("registry:document.upload", args=[world.cluster_a.slug, "founding_minutes"])
    before = world.cluster_a.founding_minutes.read()
    response = client.post(
        url, {"file": SimpleUploadedFile("referat.pdf", b"MZ\x90\x00 not a pdf")}
    )
    assert response.status_code == 200
    assert ".pdf" in response.content.decode()
    world.cluster_a.refresh_from_db()
    assert world.cluster_a.founding_minutes.read() == before
    # With the statutes registered (governance's), the minutes complete the registration.
    statutes_adopt(
        actor=None,
        cluster=world.cluster_a,
        adopted=world.cluster_a.founded,
        file=SimpleUploadedFile("v.pdf", b"%PDF-1.4 test"),
    )
    ok = client.post(url, {"file": SimpleUploadedFile("referat.pdf", b"%PDF-1.7 ...")})
    assert ok.status_code == 302
    world.cluster_a.refresh_from_db()
    assert world.cluster_a.founding_minutes.read() == b"%PDF-1.7 ..."
    assert world.cluster_a.registration_completed is not None


def test_coverage_counts_clinics_and_doctors(world, client):
    login(client, "sekretariat@kiap.test")
    response = client.get(reverse("overviews:coverage"))
    national = response.context["coverage"].national
    # 3 + 2 member clinics of 6; 10 of 11 doctors take part
    assert (national.clinics, national.clinics_in_cluster) == (6, 5)
    assert (national.doctors, national.doctors_in_cluster) == (11, 10)
    assert [c.provider_number for c in response.context["coverage"].unclustered] == ["300001"]
    assert "90,9" in response.content.decode()  # 10/11 as a Danish percentage


def test_regional_staff_see_their_region_in_detail(world, client):
    login(client, "region@hovedstaden.test")
    response = client.get(reverse("overviews:coverage"))
    coverage = response.context["coverage"]
    assert coverage.unclustered == []  # the free clinic is in Køge, Region Sjælland
    assert {row.name for row in coverage.municipalities} == set(
        Municipality.objects.filter(region_id=1084).values_list("name", flat=True)
    )


def test_register_export_from_the_page_respects_the_filter(world, client):
    response = client.get(reverse("registry:cluster.export", args=["csv"]), {"region": 1085})
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [r["Klynge"] for r in rows] == ["Køgeklyngen"]
    assert rows[0]["Ydernumre"] == "3" and rows[0]["Læger"] == "6"
    xlsx = client.get(reverse("registry:cluster.export", args=["xlsx"]))
    assert xlsx.content[:2] == b"PK"


def test_pages_are_danish_first_and_english_on_request(world, client):
    page = client.get(reverse("registry:cluster.list"), HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert page["Content-Language"] == "da"
    assert "Klyngeoversigt" in page.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("registry:cluster.list"))
    assert english["Content-Language"] == "en"
    assert "Cluster overview" in english.content.decode()


def test_overview_filters_by_municipality(world, client):
    response = client.get(
        reverse("registry:cluster.list"),
        {"municipality": 219},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="overview",
    )
    assert [r.cluster.name for r in response.context["rows"]] == ["Hillerødklyngen"]
    assert "<html" not in response.content.decode()  # the htmx partial


def test_overview_query_count_does_not_grow_with_clusters(
    world, client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = client.get(reverse("registry:cluster.list"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == 2


def test_overview_at_national_scale_uses_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    from django.core.management import call_command

    call_command("generate_dataset", "--seed", "1", "--no-users", "--no-indicators", verbosity=0)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("registry:cluster.list"))
    assert len(response.context["rows"]) == 114
