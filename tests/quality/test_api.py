"""Data submission through the REST API with a token: the same checks as the web and
the command line, answered as 201 (written), 400 (every error, nothing written), 202
(queued) and the run's state for those allowed to see it."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from klynge.accounts.services import api_token_create
from klynge.quality.models import ImportRun, ImportStatus
from tests.factories import UserFactory
from tests.quality.conftest import DA_HEADER, EN_HEADER, csv_bytes, stored_values, xlsx_bytes

pytestmark = pytest.mark.django_db

IMPORTS = "/api/v1/imports/"


def auth(user) -> dict[str, str]:
    _token, key = api_token_create(actor=None, user=user)
    return {"Authorization": f"Token {key}"}


def post(client, data: bytes, name: str = "data.csv", headers=None):
    return client.post(IMPORTS, {"file": SimpleUploadedFile(name, data)}, headers=headers or {})


GOOD = csv_bytes(
    [
        ("100001", "nsaid_elderly", "2024-03", 12, 40),
        ("100002", "nsaid_elderly", "2024-Q1", 30, 120),
    ]
)


def test_a_good_file_answers_201_with_the_rows_written(world, client):
    coordinator = world.users["coordinator_a"]
    before = len(stored_values())
    response = post(client, GOOD, headers=auth(coordinator))
    assert response.status_code == 201, response.content
    body = response.json()
    run = ImportRun.objects.get(pk=body["id"])
    assert body == {
        "id": run.pk,
        "status": "succeeded",
        "filename": "data.csv",
        "rows_total": 2,
        "rows_written": 2,
        "rows_replaced": 0,
        "error_count": 0,
        "errors": [],
        "progress": 100,
    }
    assert run.source == "api" and run.actor == coordinator
    assert run.scope == f"cluster:{world.cluster_a.pk}"
    assert len(stored_values()) == before + 2


def test_an_xlsx_file_is_accepted(world, client):
    data = xlsx_bytes([(100003, "nsaid_elderly", "2024-03", 1.0, 2.0)])
    response = post(client, data, "v.xlsx", headers=auth(world.users["member_a"]))
    assert response.status_code == 201
    assert response.json()["rows_written"] == 1


def test_a_bad_file_answers_400_with_every_error_and_writes_nothing(world, client):
    data = csv_bytes(
        [
            ("100001", "nsaid_elderly", "2024-03", 12, 40),
            ("100001", "nsaid_elderly", "2024-Q5", 12, 40),
            ("999999", "nsaid_elderly", "2024-03", "12,5", 40),
            ("100001", "nsaid_elderly", "2024-03", 50, 40),
        ],
        header=DA_HEADER,
        sep=";",
    )
    before = stored_values()
    response = post(client, data, headers=auth(world.users["secretariat"]))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "failed" and body["rows_written"] == 0
    assert body["error_count"] == 5 == len(body["errors"])
    assert [(e["line"], e["column"]) for e in body["errors"]] == [
        (3, "periode"),
        (4, "tæller"),
        (4, "ydernummer"),
        (5, "periode"),
        (5, "tæller"),
    ]
    assert all(isinstance(e["message"], str) and e["message"] for e in body["errors"])
    assert "999999" in body["errors"][2]["message"]
    assert stored_values() == before


def test_a_member_importing_another_clinic_gets_400(world, client):
    response = post(client, GOOD, headers=auth(world.users["member_a"]))
    assert response.status_code == 400
    assert {(e["line"], e["column"]) for e in response.json()["errors"]} == {
        (2, "ydernummer"),
        (3, "ydernummer"),
    }


def test_a_cpr_file_answers_400_without_the_number(world, client):
    data = csv_bytes(
        [("100001", "nsaid_elderly", "2024-03", 12, 40, "pt 010190-1234")],
        header=(*EN_HEADER, "note"),
    )
    before = stored_values()
    response = post(client, data, headers=auth(world.users["secretariat"]))
    assert response.status_code == 400
    assert [(e["line"], e["column"]) for e in response.json()["errors"]] == [(2, "note")]
    assert b"010190" not in response.content and b"1234" not in response.content
    assert b"0101901234" not in re.sub(rb"\D", b"", response.content)
    assert stored_values() == before


def test_a_large_file_answers_202_while_queued(
    world, client, settings, django_capture_on_commit_callbacks
):
    settings.KLYNGE_IMPORT_INLINE_MAX_BYTES = 10
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, GOOD, headers=auth(world.users["secretariat"]))
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert len(callbacks) == 1


def test_without_a_valid_token_nothing_is_imported(world, client):
    before = stored_values()
    runs = ImportRun.objects.count()
    assert post(client, GOOD).status_code in (401, 403)
    assert post(client, GOOD, headers={"Authorization": "Token not-a-key"}).status_code in (
        401,
        403,
    )
    assert stored_values() == before and ImportRun.objects.count() == runs


def test_a_user_who_may_not_import_gets_403(db, client):
    response = post(client, GOOD, headers=auth(UserFactory()))
    assert response.status_code == 403
    assert not ImportRun.objects.exists()


def test_a_request_without_a_file_is_400(world, client):
    response = client.post(IMPORTS, {}, headers=auth(world.users["secretariat"]))
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_an_import_run_is_shown_to_its_owner_and_hidden_from_other_clusters(world, client):
    coordinator = world.users["coordinator_a"]
    run_id = post(client, GOOD, headers=auth(coordinator)).json()["id"]
    url = f"{IMPORTS}{run_id}/"

    owner = client.get(url, headers=auth(coordinator))
    assert owner.status_code == 200
    assert owner.json()["id"] == run_id and owner.json()["status"] == "succeeded"

    assert client.get(url, headers=auth(world.users["board_a"])).status_code == 200
    assert client.get(url, headers=auth(world.users["secretariat"])).status_code == 200
    assert client.get(url, headers=auth(world.users["region_a"])).status_code == 200
    for outsider in ("member_b", "member_a", "region_other", "doctor_free"):
        response = client.get(url, headers=auth(world.users[outsider]))
        assert response.status_code == 404, outsider
        assert b"data.csv" not in response.content
    assert client.get(url).status_code in (401, 403)
    missing = client.get(f"{IMPORTS}{run_id + 1000}/", headers=auth(coordinator))
    assert missing.status_code == 404


def test_a_rejected_run_can_be_polled_with_its_errors(world, client):
    member = world.users["member_a"]
    response = post(client, csv_bytes([("100003", "nope", "2024-03", 1, 2)]), headers=auth(member))
    run = ImportRun.objects.get(pk=response.json()["id"])
    assert run.status == ImportStatus.FAILED
    polled = client.get(f"{IMPORTS}{run.pk}/", headers=auth(member)).json()
    assert polled["errors"] == response.json()["errors"] == run.errors
