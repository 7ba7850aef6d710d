"""Backup and restore (issue 16): a backup taken from a database with real data and
uploaded files, restored into a *fresh* database and an empty folder, has every
table's count and checksum, every file's checksum and every account's balance
identical; a changed restore is caught; a non-empty target is refused."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path

import dj_database_url
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from klynge.core import backup
from klynge.finance import ledger
from klynge.quality import services as quality
from tests.quality.conftest import csv_bytes
from tests.world import build_world

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def fill(world) -> None:
    """Indicator values, a booked receipt (a file) and a statutes-like upload."""
    data = csv_bytes([("100001", "nsaid_elderly", "2024-03", 12, 40)])
    run = quality.import_run_create(actor=None, data=data, filename="v.csv", source="cli")
    quality.import_run_execute(run=run, data=data)
    from django.core.files.uploadedfile import SimpleUploadedFile

    accounts = ledger.chart_of_accounts(cluster=world.cluster_a)
    bank, expense = accounts["1000"], accounts["3000"]
    ledger.transaction_post(
        actor=None,
        cluster=world.cluster_a,
        date=dt.date(2026, 3, 1),
        text="Forplejning",
        lines=[(expense, Decimal("950")), (bank, Decimal("-950"))],
        receipt=SimpleUploadedFile("bon.pdf", b"%PDF-1.4 bon"),
    )


@pytest.fixture
def media(tmp_path, settings) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return settings.MEDIA_ROOT


@pytest.fixture
def fresh_database(tmp_path):
    """An empty database of the engine under test, dropped afterwards."""
    settings_dict = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        import psycopg

        name = f"klynge_restore_{uuid.uuid4().hex[:8]}"
        conninfo = backup._pg_conninfo({**settings_dict, "NAME": "postgres"})
        with psycopg.connect(conninfo, autocommit=True) as admin:
            # template0: template1 may be in use by another test process's connection
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        yield {**settings_dict, "NAME": name}
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield {**settings_dict, "NAME": str(tmp_path / "restored.sqlite3")}


def balances(database: dict) -> dict:
    """Each account's balance, read from `database` with SQL of its own."""
    sql = (
        "SELECT a.code, a.cluster_id, SUM(e.amount) FROM finance_entry e"
        " JOIN finance_account a ON a.id = e.account_id GROUP BY a.code, a.cluster_id"
    )
    if database["ENGINE"].endswith("postgresql"):
        import psycopg

        with psycopg.connect(backup._pg_conninfo(database)) as c:
            rows = c.execute(sql).fetchall()
    else:
        import sqlite3

        name = str(database["NAME"])
        with sqlite3.connect(name, uri=name.startswith("file:")) as c:
            rows = c.execute(sql).fetchall()
    return {(number, cluster): Decimal(str(total)) for number, cluster, total in rows}


def test_a_restore_into_a_fresh_database_is_identical(media, fresh_database, tmp_path):
    world = build_world()
    fill(world)
    stored = backup._media_checksums(media)
    assert stored, "the receipt is on disk"
    target = tmp_path / "backup"

    made = backup.backup(target, database=connection.settings_dict, media_root=media)
    assert made.tables["quality_indicatorvalue"]["rows"] >= 1
    assert made.media == stored

    restored_media = tmp_path / "restored-media"
    differences = backup.restore(target, database=fresh_database, media_root=restored_media)
    assert differences == []
    assert backup._media_checksums(restored_media) == stored
    assert balances(fresh_database) == balances(connection.settings_dict) != {}


def test_a_restore_that_differs_is_reported(media, fresh_database, tmp_path):
    build_world()
    target = tmp_path / "backup"
    backup.backup(target, database=connection.settings_dict, media_root=media)
    manifest = json.loads((target / backup.MANIFEST).read_text())
    manifest["tables"]["registry_clinic"]["rows"] += 1  # as if a row had been lost
    (target / backup.MANIFEST).write_text(json.dumps(manifest))
    differences = backup.restore(target, database=fresh_database, media_root=tmp_path / "m")
    assert [d.split(":")[0] for d in differences] == ["table registry_clinic"]


def test_the_commands_refuse_a_non_empty_target_and_restore_the_same(
    media, fresh_database, tmp_path, capsys
):
    build_world()
    media.mkdir(parents=True, exist_ok=True)
    (media / "x.txt").write_text("x")
    target = tmp_path / "backup"
    call_command("backup", str(target))
    assert "Backed up" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(target))
    url = (
        f"postgres://{fresh_database['USER']}@{fresh_database['HOST']}:{fresh_database['PORT']}/"
        f"{fresh_database['NAME']}"
        if connection.vendor == "postgresql"
        else f"sqlite:///{fresh_database['NAME']}"
    )
    assert dj_database_url.parse(url)["NAME"] == fresh_database["NAME"]
    call_command("restore", str(target), database_url=url, media_root=str(tmp_path / "m"))
    assert "identical" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(target), database_url=url, media_root=str(tmp_path / "m2"))
