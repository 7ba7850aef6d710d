"""The quality pages as the world's users see them: a member's view of their cluster
names nobody else (in the page, the chart JSON and the CSV files), hidden cells are
marked, coordinators set goals and interventions that the run chart shows, web
uploads report line-numbered errors, and an import can be undone."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from klynge.quality.models import (
    Goal,
    ImportRun,
    ImportStatus,
    Indicator,
    IndicatorValue,
    Intervention,
)
from klynge.quality.release import protect
from tests.quality.conftest import DA_HEADER, csv_bytes, login, stored_values

pytestmark = pytest.mark.django_db

WINDOW = {"slut": "2024-12", "vindue": "3"}
DATA_VIEWS = [
    "quality:cluster.indicator",
    "quality:cluster.funnel_json",
    "quality:cluster.run_json",
    "quality:cluster.csv",
    "quality:cluster.run_csv",
]


def url(name: str, world, code: str = "opioids") -> str:
    return reverse(name, args=[world.cluster_a.slug, code])


def forms_of(text: str) -> set[bytes]:
    """How a text can appear in a response: UTF-8, HTML-escaped, JSON-escaped."""
    return {
        text.encode(),
        html.escape(text).encode(),
        json.dumps(text)[1:-1].encode(),
        json.dumps(text, ensure_ascii=False)[1:-1].encode(),
    }


def walk(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)
    else:
        yield node


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize("name", DATA_VIEWS)
def test_a_members_data_names_no_other_clinic(world, client, name):
    login(client, world.users["member_a"])
    response = client.get(url(name, world), WINDOW)
    assert response.status_code == 200
    body = response.content
    own = world.clinics_a[2]  # member_a's clinic
    others = [c for c in world.clinics_a if c != own]
    for clinic in others:
        for text in (clinic.name, clinic.provider_number):
            for form in forms_of(text):
                assert form not in body, (clinic, form)
    if name in ("quality:cluster.indicator", "quality:cluster.funnel_json", "quality:cluster.csv"):
        assert any(form in body for form in forms_of("Din klinik"))


def test_in_open_presentation_the_same_responses_do_name_the_clinics(world, client):
    """The control for the test above: the check finds names when they are there."""
    from klynge.quality import services

    services.presentation_set(
        actor=None, cluster=world.cluster_a, presentation="open", on=dt.date.today()
    )
    login(client, world.users["member_a"])
    for name in ("quality:cluster.indicator", "quality:cluster.funnel_json", "quality:cluster.csv"):
        body = client.get(url(name, world), WINDOW).content
        for clinic in world.clinics_a[:2]:
            assert any(form in body for form in forms_of(clinic.name)), (name, clinic)


def test_the_funnel_json_holds_the_own_clinic_and_two_pseudonyms(world, client, settings):
    settings.KLYNGE_MIN_CLINICS = 2  # the world's cluster has three clinics
    login(client, world.users["member_a"])
    spec = client.get(url("quality:cluster.funnel_json", world), WINDOW).json()
    points = [
        row
        for layer in spec["layer"]
        for row in layer.get("data", {}).get("values", [])
        if "label" in row
    ]
    labels = {p["label"] for p in points}
    assert "Din klinik" in labels
    assert len(labels) == 3
    # Own clinic exact (69 of 660); the others' values from sums of protected monthly
    # cells, with no count of their own: both stand at their size class's mean.
    own = next(p for p in points if p["own"])
    assert (own["n"], own["value"]) == (660, pytest.approx(69 / 660 * 100))
    others = [p for p in points if not p["own"]]
    assert all("numerator" not in p for p in others)
    sums = [
        (sum(protect(10 + i + m) for m in (10, 11, 12)), 3 * protect(200 + 10 * i)) for i in (0, 1)
    ]
    assert sorted(p["value"] for p in others) == pytest.approx(
        sorted(float(f"{n / d:.2g}") * 100 for n, d in sums)
    )
    assert {p["n"] for p in others} == {round(sum(d for _n, d in sums) / 2)}
    assert all(p["own"] == (p["label"] == "Din klinik") for p in points)


def test_the_benchmark_csv_marks_hidden_cells(world, client, settings):
    settings.KLYNGE_MIN_CLINICS = 2  # the world's cluster has three clinics
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    june = dt.date(2024, 6, 1)
    for clinic, (n, d) in zip(world.clinics_a, [(2, 100), (30, 200), (20, 300)], strict=True):
        IndicatorValue.objects.create(
            clinic=clinic, indicator=nsaid, period=june, numerator=n, denominator=d
        )
    login(client, world.users["member_a"])
    query = {"slut": "2024-06", "vindue": "1"}
    rows = read_csv(client.get(url("quality:cluster.csv", world, "nsaid_elderly"), query))
    header, *body = rows
    assert len(header) == 4 and "størrelsesklasse" in header[2]
    clinics, levels = body[:3], body[3:]
    assert clinics[0][:3] == ["Din klinik", "20", "300"]
    hidden = [r for r in clinics if r[1] == r[2] == ""]
    # 2/100 is published as 3/99: small; 30/200 would stand alone in its size class.
    assert len(hidden) == 2
    assert "5" in hidden[0][3]  # "skjult (færre end 5)"
    assert levels[0] == [world.cluster_a.name, "51", "597", "8,54"]
    shown_counts = {(r[1], r[2]) for r in body}
    assert ("2", "100") not in shown_counts and ("30", "200") not in shown_counts


def _may_and_a_thin_june(world) -> None:
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    for clinic, june in zip(world.clinics_a, (2, 0, 0), strict=True):
        for month, n in ((5, 20), (6, june)):
            IndicatorValue.objects.create(
                clinic=clinic,
                indicator=nsaid,
                period=dt.date(2024, month, 1),
                numerator=n,
                denominator=40,
            )


def test_the_run_chart_csv_leaves_a_small_month_empty(world, client):
    _may_and_a_thin_june(world)
    login(client, world.users["member_a"])
    rows = read_csv(
        client.get(url("quality:cluster.run_csv", world, "nsaid_elderly"), {"slut": "2024-06"})
    )
    by_month = {r[0]: r[1:] for r in rows[1:]}
    assert len(by_month) == 48
    assert by_month["2024-05"][:2] == ["63", "117"]  # three protected cells of 20/40
    june = by_month["2024-06"]
    assert june[:2] == ["", ""] and "5" in june[2]  # published 3/117: small
    assert by_month["2024-04"][:2] == ["", ""]  # nobody reported: no month to show


def test_the_run_chart_json_hides_a_small_month(world, client):
    _may_and_a_thin_june(world)
    login(client, world.users["member_a"])
    spec = client.get(
        url("quality:cluster.run_json", world, "nsaid_elderly"), {"slut": "2024-06"}
    ).json()
    series = {
        row["month"]: row["value"]
        for layer in spec["layer"]
        for row in layer.get("data", {}).get("values", [])
        if "month" in row and row.get("series") == world.cluster_a.name
    }
    assert series["2024-05-01"] == pytest.approx(100 * 63 / 117)
    assert series["2024-06-01"] is None


def test_goals_and_interventions_by_the_coordinator_appear_in_the_run_chart(world, client):
    login(client, world.users["coordinator_a"])
    run_json = url("quality:cluster.run_json", world)
    before = client.get(run_json, WINDOW).json()
    numbers = {v for v in walk(before) if isinstance(v, float | int)}
    strings = {v for v in walk(before) if isinstance(v, str)}
    assert 12.5 not in numbers

    response = client.post(
        url("quality:cluster.goal", world), {"target": "12,5", "note": "Under 12,5 %"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("quality:cluster.indicator", world)
    goal = Goal.objects.get(cluster=world.cluster_a)
    assert goal.target == pytest.approx(0.125) and goal.set_by == world.users["coordinator_a"]

    response = client.post(
        url("quality:cluster.intervention", world),
        {"date": "01-06-2024", "text": "Fælles seponeringsplan", "meeting_ref": "Møde 3"},
    )
    assert response.status_code == 302
    intervention = Intervention.objects.get(cluster=world.cluster_a)
    assert intervention.date == dt.date(2024, 6, 1)

    after = client.get(run_json, WINDOW).json()
    new_numbers = {v for v in walk(after) if isinstance(v, float | int)} - numbers
    new_strings = {v for v in walk(after) if isinstance(v, str)} - strings
    assert any(v == pytest.approx(12.5) for v in new_numbers)
    assert "Fælles seponeringsplan" in new_strings
    marks = [
        row
        for layer in after["layer"]
        for row in layer.get("data", {}).get("values", [])
        if row.get("text") == "Fælles seponeringsplan"
    ]
    assert [m["date"] for m in marks] == ["2024-06-01"]
    page = client.get(url("quality:cluster.indicator", world), WINDOW)
    assert "Fælles seponeringsplan" in page.content.decode()


@pytest.mark.parametrize("user", ["member_a", "member_b", "region_other"])
def test_others_cannot_set_goals_or_interventions(world, client, user):
    login(client, world.users[user])
    goal = client.post(url("quality:cluster.goal", world), {"target": "10"})
    intervention = client.post(
        url("quality:cluster.intervention", world), {"date": "01-06-2024", "text": "x"}
    )
    assert goal.status_code == 404 and intervention.status_code == 404
    assert not Goal.objects.exists() and not Intervention.objects.exists()


def test_a_bad_goal_is_refused_with_a_message(world, client):
    login(client, world.users["coordinator_a"])
    response = client.post(url("quality:cluster.goal", world), {"target": "150"})
    assert response.status_code == 400  # the page again, with the form and its error
    assert not Goal.objects.exists()
    assert response.context["goal_form"].errors
    assert response.context["goal_form"]["target"].value() == "150"  # the input is kept


@pytest.mark.parametrize("name", DATA_VIEWS)
def test_another_clusters_member_gets_404_and_anonymous_must_log_in(world, client, name):
    assert client.get(url(name, world), WINDOW).status_code == 302
    login(client, world.users["member_b"])
    assert client.get(url(name, world), WINDOW).status_code == 404


# --- Web upload ---------------------------------------------------------------------------------


def upload(client, data: bytes, name: str = "data.csv"):
    return client.post(reverse("quality:import.upload"), {"file": SimpleUploadedFile(name, data)})


def test_a_bad_upload_shows_line_numbered_errors_and_writes_nothing(world, client):
    login(client, world.users["member_a"])
    data = csv_bytes(
        [
            ("100003", "opioids", "2024-03", 12, 40),
            ("100003", "opioids", "2024-13", 12, 40),
            ("100001", "opioids", "2024-04", 12, 40),  # another clinic: out of scope
            ("100003", "opioids", "2024-05", "x", 40),
        ],
        header=DA_HEADER,
        sep=";",
        encoding="cp1252",
    )
    before = stored_values()
    response = upload(client, data)
    assert response.status_code == 302
    run = ImportRun.objects.get(filename="data.csv", actor=world.users["member_a"])
    assert response["Location"] == reverse("quality:import.detail", args=[run.pk])
    assert run.status == ImportStatus.FAILED and run.source == "web"
    assert stored_values() == before

    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-testid="import-errors"' in content
    cells = [(e["line"], e["column"]) for e in run.errors]
    assert cells == [(3, "periode"), (4, "ydernummer"), (5, "tæller")]
    for line, column in cells:
        assert f"<td>{line}</td><td>{column}</td>" in content
    partial = client.get(response["Location"], headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="import-status"')


def test_an_unreadable_upload_is_explained_in_danish(world, client):
    """Found in the Danish copy review: "Filen kan ikke læses: the line holds a NUL
    byte; …" mixed the languages on the Danish page."""
    login(client, world.users["member_a"])
    client.get(reverse("quality:import.upload"))  # the interface is Danish from here
    response = upload(client, b"ydernummer;indikator;periode;taeller;naevner\n1\x00;x;y;1;2\n")
    run = ImportRun.objects.get(filename="data.csv", actor=world.users["member_a"])
    assert run.status == ImportStatus.FAILED
    page = client.get(response["Location"]).content.decode()
    assert "Filen kan ikke læses: linjen indeholder en NUL-byte; det er ikke en tekstfil." in page


def test_a_good_upload_is_written_and_can_be_undone_on_the_web(world, client):
    login(client, world.users["coordinator_a"])
    before = stored_values()
    data = csv_bytes(
        [
            ("100002", "nsaid_elderly", "2024-03", 12, 40),
            ("100003", "nsaid_elderly", "2024-03", 7, 40),
        ]
    )
    response = upload(client, data, "good.csv")
    run = ImportRun.objects.get(filename="good.csv")
    assert run.status == ImportStatus.SUCCEEDED and run.rows_written == 2
    assert len(stored_values()) == len(before) + 2
    page = client.get(response["Location"]).content.decode()
    assert reverse("quality:import.undo", args=[run.pk]) in page

    # Neither another cluster's member nor a plain member of the same cluster may undo it.
    for outsider in ("member_b", "member_a"):
        other = client_for(world, outsider)
        assert other.post(reverse("quality:import.undo", args=[run.pk])).status_code == 404
        assert other.get(reverse("quality:import.detail", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED

    response = client.post(reverse("quality:import.undo", args=[run.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("quality:import.detail", args=[run.pk])
    run.refresh_from_db()
    assert run.status == ImportStatus.UNDONE and run.undone_by == world.users["coordinator_a"]
    assert stored_values() == before

    # A second undo is refused on the run's page with a message, not an error page.
    again = client.post(reverse("quality:import.undo", args=[run.pk]))
    assert again.status_code == 400 and list(again.context["messages"])
    assert again.context["run"] == run


def client_for(world, user):
    from django.test import Client

    other = Client()
    login(other, world.users[user])
    return other


def test_an_upload_larger_than_the_limit_is_refused_on_the_form(world, client, settings):
    settings.KLYNGE_IMPORT_MAX_BYTES = 20
    login(client, world.users["member_a"])
    runs = ImportRun.objects.count()
    response = upload(client, b"x" * 21)
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert ImportRun.objects.count() == runs


def test_the_upload_page_states_the_scope(world, client):
    login(client, world.users["coordinator_a"])
    response = client.get(reverse("quality:import.upload"))
    assert response.status_code == 200
    assert world.cluster_a.name in response.content.decode()


def test_a_member_cannot_recover_other_clinics_small_counts_from_the_run_chart(world, client):
    """Whatever the member downloads, two worlds that differ only in the other clinics'
    small counts give the same bytes: nothing can tell them apart, so nothing can
    recover them."""
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    june = dt.date(2024, 6, 1)
    c1, c2, own = world.clinics_a

    def put(n1, n2):
        IndicatorValue.objects.filter(indicator=nsaid).delete()
        for clinic, n in ((c1, n1), (c2, n2), (own, 40)):
            IndicatorValue.objects.create(
                clinic=clinic, indicator=nsaid, period=june, numerator=n, denominator=100
            )

    def published():
        login(client, world.users["member_a"])
        out = []
        for months in ("1", "3", "12"):
            window = {"slut": "2024-06", "vindue": months}
            for name in DATA_VIEWS:
                body = client.get(url(name, world, "nsaid_elderly"), window).content
                out.append(re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", body))
        return out

    put(2, 1)
    first = published()
    put(5, 6)  # the same protected cells (3), other true counts
    assert published() == first
    put(7, 6)  # a different protected cell: the check can see a difference
    assert published() != first
