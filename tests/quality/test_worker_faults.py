"""A worker killed in the middle of an import (issue 16): nothing is written, the run
does not stay "running" for ever, it is queued again exactly once, and the next worker
imports every row once.

The kill is made deterministic with a lock: the test holds the values table, so the
real worker process (`manage.py db_worker`, started as a subprocess) waits inside its
write transaction; the test then kills it with SIGKILL. Needs a database that a second
process can reach, so it runs on PostgreSQL (CI's first run)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from klynge.core.models import AuditEntry
from klynge.quality import services
from klynge.quality.models import ImportRun, ImportStatus, IndicatorValue
from tests.quality.conftest import csv_bytes
from tests.world import build_world

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
on_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="a second process must reach the test database (PostgreSQL)",
)
ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    (provider, "nsaid_elderly", f"{year}-{month:02d}", 5, 40)
    for provider in ("100001", "100003")
    for year in (2023, 2024)
    for month in range(1, 13)
]


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def start_worker() -> subprocess.Popen:
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": url, "KLYNGE_MEDIA_ROOT": str(django_settings.MEDIA_ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-startup-delay",
            "--no-reload",
            "--interval",
            "0.2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@on_postgresql
def test_a_worker_killed_mid_import_loses_nothing_and_the_run_is_retried_once(settings):
    world = build_world()
    settings.KLYNGE_IMPORT_INLINE_MAX_BYTES = 10  # through the worker
    coordinator = world.users["coordinator_a"]
    before = IndicatorValue.objects.count()
    run = services.import_start(
        actor=coordinator, data=csv_bytes(ROWS), filename="v.csv", source="web"
    )
    assert run.status == ImportStatus.QUEUED

    import psycopg

    from klynge.core.backup import _pg_conninfo

    with psycopg.connect(_pg_conninfo(connection.settings_dict)) as blocker:
        blocker.execute(f'LOCK TABLE "{IndicatorValue._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
        worker = start_worker()
        try:
            wait_for(lambda: ImportRun.objects.get(pk=run.pk).progress >= 60)  # writing
            time.sleep(0.5)
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
        blocker.rollback()

    run.refresh_from_db()
    assert run.status == ImportStatus.RUNNING and run.attempts == 1
    assert IndicatorValue.objects.count() == before  # the dead worker's write rolled back
    assert run.upload  # the file is kept for the retry

    # Within the lease nothing happens; past it the run is queued again, once.
    assert services.import_runs_recover() == (0, 0)
    later = timezone.now() + dt.timedelta(seconds=settings.KLYNGE_TASK_LEASE_SECONDS + 1)
    assert services.import_runs_recover(now=later) == (1, 0)
    assert services.import_runs_recover(now=later) == (0, 0)
    run.refresh_from_db()
    assert run.status == ImportStatus.QUEUED

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED and run.attempts == 2
    assert run.rows_written == len(ROWS)
    assert IndicatorValue.objects.count() == before + len(ROWS)  # each row once
    assert AuditEntry.objects.filter(action="quality.import.recovered").count() == 1


def test_a_run_out_of_attempts_is_marked_interrupted_for_a_person_to_retry(settings):
    build_world()
    data = csv_bytes(ROWS[:2])
    run = services.import_run_create(
        actor=None, data=data, filename="v.csv", source="cli", keep_file=True
    )
    stale = timezone.now() - dt.timedelta(seconds=settings.KLYNGE_TASK_LEASE_SECONDS + 5)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.RUNNING, heartbeat=stale, attempts=settings.KLYNGE_TASK_MAX_ATTEMPTS
    )
    run.refresh_from_db()
    assert run.lost_its_worker
    assert services.import_runs_recover() == (0, 1)
    run.refresh_from_db()
    assert run.status == ImportStatus.ERROR and run.upload
    services.import_retry(actor=None, run=run)
    run.refresh_from_db()
    assert run.status == ImportStatus.QUEUED
