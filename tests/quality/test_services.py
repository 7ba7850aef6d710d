"""Imports end to end through the services (create, execute, undo, retry, start with
the uploader's scope, background runs), plus the consent, presentation, goal and
intervention services. Everything runs against the world of tests/world.py."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import signal

import pytest
from django.core.management import call_command
from django.utils import translation

from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.quality import selectors, services
from klynge.quality.models import (
    ClusterDataSettings,
    Consent,
    Goal,
    ImportRun,
    ImportStatus,
    Indicator,
    IndicatorValue,
    Presentation,
    ReplacedValue,
)
from klynge.registry.models import Clinic
from tests.factories import ClinicFactory
from tests.quality.conftest import DA_HEADER, csv_bytes, stored_values, xlsx_bytes
from tests.world import build_world

pytestmark = pytest.mark.django_db

MARCH, APRIL = dt.date(2024, 3, 1), dt.date(2024, 4, 1)


def run_file(data: bytes, filename: str = "values.csv", **execute) -> ImportRun:
    run = services.import_run_create(actor=None, data=data, filename=filename, source="cli")
    return services.import_run_execute(run=run, data=data, **execute)


def value(provider: str, code: str = "nsaid_elderly", period=MARCH, kind: str = "M"):
    return (
        IndicatorValue.objects.filter(
            clinic__provider_number=provider, indicator__code=code, period_kind=kind, period=period
        )
        .values_list("numerator", "denominator", "import_run_id")
        .first()
    )


def leaks(cpr: str, text: str) -> bool:
    return cpr in text or re.sub(r"\D", "", cpr) in re.sub(r"\D", "", text)


# --- Good files end to end --------------------------------------------------------------------


def good_files() -> dict[str, tuple[bytes, str]]:
    rows = [
        ("100001", "nsaid_elderly", "2024-03", 12, 40),
        ("34835", "nsaid_elderly", "2024-Q1", 3, 9),
    ]
    return {
        "comma-utf8": (csv_bytes(rows), "v.csv"),
        "semicolon-cp1252-decimal-comma": (
            csv_bytes(
                [(p, i, per, f"{n},0", f"{d},0") for p, i, per, n, d in rows],
                header=DA_HEADER,
                sep=";",
                encoding="cp1252",
            ),
            "v.csv",
        ),
        "utf8-bom": (csv_bytes(rows, header=DA_HEADER, sep=";", bom=True), "v.csv"),
        "xlsx": (
            xlsx_bytes(
                [
                    (100001, "nsaid_elderly", dt.date(2024, 3, 1), 12.0, 40.0),
                    (34835, "nsaid_elderly", "2024-Q1", 3.0, 9.0),
                ]
            ),
            "v.xlsx",
        ),
    }


@pytest.mark.parametrize("name", list(good_files()))
def test_a_good_file_is_written_in_full_and_audited(world, name):
    ClinicFactory(provider_number="034835")
    data, filename = good_files()[name]
    before = IndicatorValue.objects.count()
    run = run_file(data, filename)
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert (run.rows_total, run.rows_written, run.rows_replaced, run.error_count) == (2, 2, 0, 0)
    assert run.progress == 100 and run.finished is not None and not run.upload
    assert IndicatorValue.objects.count() == before + 2
    assert value("100001") == (12, 40, run.pk)
    assert value("034835", period=dt.date(2024, 1, 1), kind="Q") == (3, 9, run.pk)
    entry = AuditEntry.objects.get(action="quality.import.succeeded", object_id=str(run.pk))
    assert entry.data == {"rows": 2, "replaced": 0, "file": filename}


# --- Bad files end to end: nothing is written ----------------------------------------------------

BAD_FILES = {
    # name: (bytes, [(line, column)])
    "mixed errors": (
        csv_bytes(
            [
                ("100001", "nsaid_elderly", "2024-03", 12, 40),
                ("999999", "nsaid_elderly", "2024-03", 12, 40),
                ("100002", "unknown_code", "2024-13", "12,5", 40),
                ("100002", "nsaid_elderly", "2024-Q5", -1, "x"),
                ("100001", "nsaid_elderly", "2024-03", 1, 40),
                ("100003", "nsaid_elderly", "2024-03", 41, 40),
            ],
            header=DA_HEADER,
            sep=";",
        ),
        [
            (3, "ydernummer"),
            (4, "indikator"),
            (4, "periode"),
            (4, "tæller"),
            (5, "nævner"),
            (5, "periode"),
            (5, "tæller"),
            (6, "periode"),
            (7, "tæller"),
        ],
    ),
    "missing column": (
        b"ydernummer;indikator;periode;t\xe6ller\n100001;opioids;2024-03;12\n",
        [(1, "nævner")],
    ),
    "header only": (csv_bytes([]), [(2, "")]),
    "empty": (b"", [(0, "")]),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", None),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_rejected_with_every_error_and_writes_nothing(world, name):
    data, expected = BAD_FILES[name]
    before = stored_values()
    run = run_file(data)
    assert run.status == ImportStatus.FAILED
    assert stored_values() == before
    assert run.rows_written == 0
    if expected is not None:
        assert sorted((e["line"], e["column"]) for e in run.errors) == expected
        assert run.error_count == len(expected)
    assert run.error_count == len(run.errors) >= 1
    assert all(set(e) == {"line", "column", "message"} and e["message"] for e in run.errors)
    run.refresh_from_db()  # what was stored, not just returned
    assert run.status == ImportStatus.FAILED and run.error_count >= 1
    entry = AuditEntry.objects.get(action="quality.import.rejected", object_id=str(run.pk))
    assert entry.data["errors"] == run.error_count and entry.data["cpr"] is False


def test_a_ragged_line_is_rejected_naming_the_line(world):
    data = csv_bytes(
        [("100001", "opioids", "2024-03", 12, 40), ("100001", "opioids", "2024-04", 12, 40, 7)]
    )
    before = stored_values()
    with translation.override("en"):
        run = run_file(data)
    assert run.status == ImportStatus.FAILED
    assert run.error_count == 1
    assert run.errors[0]["line"] == 3
    assert "5 fields" in run.errors[0]["message"]
    assert stored_values() == before


def test_a_ragged_lines_error_carries_its_line_number(world):
    data = csv_bytes(
        [("100001", "opioids", "2024-03", 12, 40), ("100001", "opioids", "2024-04", 12, 40, 7)]
    )
    run = run_file(data)
    assert run.errors[0]["line"] == 3


def test_a_garbage_file_is_rejected_not_crashed(world):
    data = bytes(range(256)) * 3
    before = stored_values()
    try:
        run = run_file(data, "garbage.csv")
    except Exception:
        run = ImportRun.objects.latest("pk")
    assert stored_values() == before
    assert run.status == ImportStatus.FAILED


def test_a_file_with_a_cpr_number_is_refused_and_the_number_is_kept_nowhere(world, caplog):
    caplog.set_level(logging.DEBUG)
    cprs = ["0101901234", "010190-1234"]
    data = csv_bytes(
        [
            ("100001", "nsaid_elderly", "2024-03", 12, 40, "ok"),
            ("100002", "nsaid_elderly", "2024-03", 12, 40, cprs[1]),
            ("100003", "nsaid_elderly", "2024-03", cprs[0], 40, ""),
        ],
        header=(*DA_HEADER, "bemærkning"),
    )
    before = stored_values()
    run = run_file(data, "udtræk.csv")
    assert run.status == ImportStatus.FAILED
    assert stored_values() == before
    assert sorted((e["line"], e["column"]) for e in run.errors) == [
        (3, "bemærkning"),
        (4, "tæller"),
    ]
    assert run.error_count == 2
    run.refresh_from_db()
    stored = json.dumps(run.errors, ensure_ascii=False) + run.phase + str(run)
    assert "CPR" in run.phase
    entries = AuditEntry.objects.filter(object_id=str(run.pk), object_type="quality.importrun")
    assert entries.get().data["cpr"] is True
    audit = json.dumps([(e.data, e.object_repr, e.action) for e in entries], ensure_ascii=False)
    for cpr in cprs:
        assert not leaks(cpr, stored)
        assert not leaks(cpr, audit)
        assert cpr not in caplog.text and re.sub(r"\D", "", cpr) not in caplog.text


def test_a_cpr_header_is_refused(world):
    data = csv_bytes(
        [("100001", "nsaid_elderly", "2024-03", 12, 40, "x")], header=(*DA_HEADER, "CPR-nr")
    )
    run = run_file(data)
    assert run.status == ImportStatus.FAILED
    assert [(e["line"], e["column"]) for e in run.errors] == [(1, "CPR-nr")]


# --- Replacing and undoing ---------------------------------------------------------------------


def test_a_reimport_replaces_values_and_undo_restores_them(world):
    first = run_file(
        csv_bytes(
            [
                ("100001", "nsaid_elderly", "2024-03", 10, 50),
                ("100002", "nsaid_elderly", "2024-03", 20, 60),
            ]
        )
    )
    assert (first.rows_written, first.rows_replaced) == (2, 0)
    second = run_file(
        csv_bytes(
            [
                ("100001", "nsaid_elderly", "2024-03", 11, 55),
                ("100001", "nsaid_elderly", "2024-04", 5, 50),
            ]
        )
    )
    assert (second.rows_written, second.rows_replaced) == (2, 1)
    assert value("100001") == (11, 55, second.pk)
    assert value("100001", period=APRIL) == (5, 50, second.pk)
    assert value("100002") == (20, 60, first.pk)
    assert ReplacedValue.objects.filter(import_run=second).count() == 1

    user = world.users["secretariat"]
    services.import_run_undo(actor=user, run=second)
    second.refresh_from_db()
    assert second.status == ImportStatus.UNDONE
    assert second.undone is not None and second.undone_by == user
    assert value("100001") == (10, 50, first.pk)
    assert value("100001", period=APRIL) is None
    assert value("100002") == (20, 60, first.pk)
    assert not ReplacedValue.objects.filter(import_run=second).exists()
    assert AuditEntry.objects.filter(
        action="quality.import.undone", object_id=str(second.pk)
    ).exists()

    services.import_run_undo(actor=user, run=first)
    assert value("100001") is None and value("100002") is None
    assert not IndicatorValue.objects.filter(indicator__code="nsaid_elderly").exists()


def test_undoing_a_reimport_of_untracked_values_puts_them_back(world):
    """The world's values were written without an import run; replacing and undoing
    brings back exactly the old numbers."""
    before = stored_values()
    old = value("100001", code="opioids")
    run = run_file(csv_bytes([("100001", "opioids", "2024-03", 99, 300)]))
    assert run.rows_replaced == 1
    assert value("100001", code="opioids") == (99, 300, run.pk)
    services.import_run_undo(actor=None, run=run)
    assert value("100001", code="opioids") == old
    assert stored_values() == before


def test_importing_the_same_file_twice_replaces_every_row(world):
    data = csv_bytes([("100001", "nsaid_elderly", f"2024-{m:02d}", m, 50) for m in range(1, 13)])
    assert run_file(data).rows_replaced == 0
    again = run_file(data)
    assert (again.rows_written, again.rows_replaced) == (12, 12)
    assert IndicatorValue.objects.filter(indicator__code="nsaid_elderly").count() == 12


def test_only_a_completed_import_can_be_undone(world):
    rejected = run_file(csv_bytes([("999999", "nsaid_elderly", "2024-03", 1, 2)]))
    with pytest.raises(DomainError):
        services.import_run_undo(actor=None, run=rejected)
    done = run_file(csv_bytes([("100001", "nsaid_elderly", "2024-03", 1, 2)]))
    services.import_run_undo(actor=None, run=done)
    with pytest.raises(DomainError):
        services.import_run_undo(actor=None, run=done)


def test_undoing_two_imports_in_either_order_leaves_neither(world):
    first = run_file(csv_bytes([("100001", "nsaid_elderly", "2024-03", 10, 50)]))
    second = run_file(csv_bytes([("100001", "nsaid_elderly", "2024-03", 11, 50)]))
    services.import_run_undo(actor=None, run=first)  # nothing of first's is left to remove
    services.import_run_undo(actor=None, run=second)  # puts back first's value
    assert value("100001") is None


# --- A crash, and a retry ---------------------------------------------------------------------------


def test_a_crash_writes_nothing_keeps_the_file_and_can_be_retried(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    data = csv_bytes([("100001", "nsaid_elderly", "2024-03", 10, 50)])
    run = services.import_run_create(
        actor=world.users["secretariat"], data=data, filename="v.csv", source="web", keep_file=True
    )

    def boom(frame, run):
        IndicatorValue.objects.create(
            clinic=Clinic.objects.get(provider_number="100002"),
            indicator=Indicator.objects.get(code="nsaid_elderly"),
            period=MARCH,
            numerator=1,
            denominator=1,
        )
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_write_values", boom)
    before = stored_values()
    with pytest.raises(RuntimeError):
        services.import_run_execute(run=run)
    run.refresh_from_db()
    assert run.status == ImportStatus.ERROR
    assert stored_values() == before  # the partial write was rolled back
    assert run.upload and run.upload.storage.exists(run.upload.name)

    monkeypatch.undo()
    with django_capture_on_commit_callbacks() as callbacks:
        services.import_retry(actor=world.users["secretariat"], run=run)
    assert len(callbacks) == 1
    assert run.status == ImportStatus.QUEUED
    name = run.upload.name
    run = services.import_run_execute(run=run)
    assert run.status == ImportStatus.SUCCEEDED
    assert not run.upload and not run.upload.storage.exists(name)
    with pytest.raises(DomainError):
        services.import_retry(actor=None, run=run)


# --- Who may import what ------------------------------------------------------------------------

ALL = ["100001", "100002", "100003", "200001", "200002", "300001"]


@pytest.mark.parametrize(
    ("user", "scope_kind", "allowed"),
    [
        ("member_a", "clinic", {"100003"}),
        ("member_b", "clinic", {"200002"}),
        ("doctor_free", "clinic", {"300001"}),
        ("coordinator_a", "cluster", {"100001", "100002", "100003"}),
        ("board_a", "clinic", {"100002"}),  # importing a cluster is a data role
        ("region_a", "region", {"100001", "100002", "100003", "300001"}),
        ("region_other", "region", {"200001", "200002"}),
        ("secretariat", "", set(ALL)),
    ],
)
def test_each_role_may_import_only_its_own_clinics(world, user, scope_kind, allowed):
    actor = world.users[user]
    data = csv_bytes([(p, "nsaid_elderly", "2024-03", 10, 50) for p in ALL])
    before = stored_values()
    with translation.override("en"):
        run = services.import_start(actor=actor, data=data, filename="all.csv", source="web")
    assert run.scope.partition(":")[0] == scope_kind
    assert run.actor == actor
    refused = {ALL[e["line"] - 2] for e in run.errors}
    assert refused == set(ALL) - allowed
    assert all(e["column"] == "ydernummer" for e in run.errors)
    assert all(
        "cannot import" in e["message"] and ALL[e["line"] - 2] in e["message"] for e in run.errors
    )
    if refused:
        assert run.status == ImportStatus.FAILED
        assert stored_values() == before
    else:
        assert run.status == ImportStatus.SUCCEEDED

    own = csv_bytes([(p, "nsaid_elderly", "2024-04", 10, 50) for p in sorted(allowed)])
    run = services.import_start(actor=actor, data=own, filename="own.csv", source="web")
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    assert run.rows_written == len(allowed)


def test_a_coordinators_scope_is_the_clusters_members_today(world):
    scope, ids, _text = services.import_scope(user=world.users["coordinator_a"])
    assert scope == f"cluster:{world.cluster_a.pk}"
    assert ids == {c.pk for c in world.clinics_a}


def test_a_user_who_is_no_doctor_and_no_staff_may_import_nothing(world):
    from tests.factories import UserFactory

    scope, ids, _text = services.import_scope(user=UserFactory())
    assert (scope, ids) == ("none", set())


def test_a_file_larger_than_the_limit_is_refused_before_anything_is_recorded(world, settings):
    settings.KLYNGE_IMPORT_MAX_BYTES = 10
    runs = ImportRun.objects.count()
    with pytest.raises(DomainError):
        services.import_start(
            actor=world.users["secretariat"], data=b"x" * 11, filename="big.csv", source="web"
        )
    assert ImportRun.objects.count() == runs


# --- Large files go to the background worker ----------------------------------------------------


def test_a_large_file_is_queued_with_its_file_kept_until_commit(
    world, settings, django_capture_on_commit_callbacks
):
    settings.KLYNGE_IMPORT_INLINE_MAX_BYTES = 10
    data = csv_bytes([("100001", "nsaid_elderly", "2024-03", 10, 50)])
    before = stored_values()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.import_start(
            actor=world.users["coordinator_a"], data=data, filename="big.csv", source="web"
        )
    assert run.status == ImportStatus.QUEUED
    assert len(callbacks) == 1  # the task is enqueued only when the request commits
    assert run.upload and run.upload.storage.open(run.upload.name).read() == data
    assert run.size_bytes == len(data)
    assert stored_values() == before


@pytest.fixture
def restore_signals():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_imports_a_queued_file_and_deletes_it(settings, restore_signals):
    world = build_world()
    settings.KLYNGE_IMPORT_INLINE_MAX_BYTES = 10
    coordinator = world.users["coordinator_a"]
    good = csv_bytes(
        [
            ("100001", "nsaid_elderly", "2024-03", 10, 50),
            ("100003", "nsaid_elderly", "2024-03", 7, 40),
        ]
    )
    out_of_scope = csv_bytes([("200001", "nsaid_elderly", "2024-03", 10, 50)])
    runs = [
        services.import_start(actor=coordinator, data=data, filename=name, source="web")
        for name, data in (("good.csv", good), ("other-cluster.csv", out_of_scope))
    ]
    names = [run.upload.name for run in runs]
    storage = runs[0].upload.storage
    assert all(
        run.status == ImportStatus.QUEUED and storage.exists(n)
        for run, n in zip(runs, names, strict=True)
    )

    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.count() == 2  # enqueued when the request committed

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    for run in runs:
        run.refresh_from_db()
    good_run, refused_run = runs
    assert good_run.status == ImportStatus.SUCCEEDED, good_run.errors
    assert good_run.rows_written == 2 and good_run.progress == 100
    assert value("100001")[:2] == (10, 50) and value("100003")[:2] == (7, 40)
    assert refused_run.status == ImportStatus.FAILED  # the scope travels with the task
    assert [(e["line"], e["column"]) for e in refused_run.errors] == [(2, "ydernummer")]
    assert value("200001") is None
    for run, name in zip(runs, names, strict=True):
        assert not run.upload
        assert not storage.exists(name)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


# --- Consent, presentation, goals, interventions ---------------------------------------------------


def test_consent_is_dated_given_to_a_cluster_and_cannot_be_given_twice(world):
    clinic, cluster = world.clinics_a[0], world.cluster_a
    Consent.objects.filter(clinic=clinic).delete()
    consent = services.consent_give(
        actor=None, clinic=clinic, cluster=cluster, start=dt.date(2024, 1, 1)
    )
    assert consent.is_active_on(dt.date(2024, 6, 1)) and consent.cluster == cluster
    with pytest.raises(DomainError):
        services.consent_give(actor=None, clinic=clinic, cluster=cluster, start=dt.date(2024, 6, 1))
    services.consent_revoke(actor=None, clinic=clinic, cluster=cluster, end=dt.date(2024, 7, 1))
    consent.refresh_from_db()
    assert consent.end == consent.revoked == dt.date(2024, 7, 1)
    assert not Consent.objects.active_on(dt.date(2024, 7, 1)).filter(clinic=clinic).exists()
    with pytest.raises(DomainError):
        services.consent_revoke(actor=None, clinic=clinic, cluster=cluster, end=dt.date(2024, 8, 1))


def test_consent_does_not_travel_with_a_clinic_to_another_cluster(world):
    clinic = world.clinics_a[0]
    assert Consent.objects.active_on(dt.date(2024, 6, 1)).filter(clinic=clinic).exists()
    assert not selectors.consenting_clinic_ids(
        cluster=world.cluster_b, clinic_ids=[clinic.pk], on=dt.date(2024, 6, 1)
    )


def test_open_presentation_needs_every_members_consent(world):
    cluster, today = world.cluster_a, dt.date.today()
    coordinator = world.users["coordinator_a"]
    services.consent_revoke(actor=None, clinic=world.clinics_a[1], cluster=cluster, end=today)
    with pytest.raises(DomainError):
        services.presentation_set(
            actor=coordinator, cluster=cluster, presentation=Presentation.OPEN, on=today
        )
    assert not ClusterDataSettings.objects.filter(cluster=cluster).exists()
    services.consent_give(actor=None, clinic=world.clinics_a[1], cluster=cluster, start=today)
    settings_ = services.presentation_set(
        actor=coordinator, cluster=cluster, presentation=Presentation.OPEN, on=today
    )
    assert settings_.presentation == Presentation.OPEN
    # Revoking a consent later falls back to anonymised: open needs everyone.
    services.consent_revoke(
        actor=None, clinic=world.clinics_a[0], cluster=cluster, end=today + dt.timedelta(days=1)
    )
    settings_.refresh_from_db()
    assert settings_.presentation == Presentation.ANONYMISED


def test_goals_are_checked_against_the_indicators_unit(world):
    cluster = world.cluster_a
    share = Indicator.objects.get(code="opioids")
    rate = Indicator.objects.get(code="crp_tests")
    with pytest.raises(DomainError):
        services.goal_set(actor=None, cluster=cluster, indicator=share, target=1.5)
    with pytest.raises(DomainError):
        services.goal_set(actor=None, cluster=cluster, indicator=rate, target=-0.1)
    assert not Goal.objects.exists()
    goal = services.goal_set(actor=None, cluster=cluster, indicator=rate, target=2.5, note="x")
    assert goal.target == 2.5
    assert AuditEntry.objects.filter(
        action="quality.goal.set", scope=f"cluster:{cluster.pk}"
    ).exists()


def test_an_intervention_needs_a_text(world):
    opioids = Indicator.objects.get(code="opioids")
    with pytest.raises(DomainError):
        services.intervention_add(
            actor=None, cluster=world.cluster_a, indicator=opioids, date=MARCH, text="   "
        )
    made = services.intervention_add(
        actor=None, cluster=world.cluster_a, indicator=opioids, date=MARCH, text="  Fælles liste  "
    )
    assert made.text == "Fælles liste"
