"""A consistent backup of the database and the uploaded files, and its restore into a
fresh database, checked against the backup's own manifest (issue 16).

A backup is a folder:

- `database.dump`: `pg_dump --format=custom` of one snapshot (PostgreSQL), or
  `database.sqlite3`: SQLite's online backup of one transaction;
- `media.tar.gz`: every uploaded file (statutes, minutes, receipts, documents ...);
- `manifest.json`: for every table its row count and a checksum of its rows *taken in
  the same snapshot as the dump*, and the SHA-256 of every file in the archive.

`restore` loads the dump into an empty database, unpacks the files and recomputes the
manifest there: a restore is only reported good when every count, table checksum and
file checksum is identical. Commands: `manage.py backup DIR`, `manage.py restore DIR
--database-url URL --media-root DIR` (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Mapping
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
MEDIA = "media.tar.gz"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why."""


@dataclass
class Manifest:
    engine: str
    created: str
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, str] = field(default_factory=dict)

    def differences(self, other: Manifest) -> list[str]:
        """What differs from `other`, one line per table or file; empty when identical."""
        found = []
        for name in sorted(set(self.tables) | set(other.tables)):
            if self.tables.get(name) != other.tables.get(name):
                found.append(f"table {name}: {self.tables.get(name)} != {other.tables.get(name)}")
        for path in sorted(set(self.media) | set(other.media)):
            if self.media.get(path) != other.media.get(path):
                found.append(f"file {path}: {self.media.get(path)} != {other.media.get(path)}")
        return found


# --- The database's side ------------------------------------------------------------------------


def _pg_tables(cursor) -> dict[str, dict[str, Any]]:
    """Row count and an MD5 over the sorted MD5s of every row's text, per table."""
    cursor.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    tables = {}
    for (name,) in cursor.fetchall():
        cursor.execute(
            "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), ''))"
            f' FROM (SELECT md5(t::text) AS h FROM "{name}" t) rows'
        )
        rows, digest = cursor.fetchone()
        tables[name] = {"rows": rows, "md5": digest}
    return tables


def _sqlite_tables(connection: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    tables = {}
    for name in names:
        digest = hashlib.md5()
        rows = sorted(repr(row) for row in connection.execute(f'SELECT * FROM "{name}"'))
        for row in rows:
            digest.update(row.encode() + b"\n")
        tables[name] = {"rows": len(rows), "md5": digest.hexdigest()}
    return tables


def _pg_conninfo(database: Mapping[str, Any]) -> str:
    parts = {
        "dbname": database["NAME"],
        "user": database.get("USER") or "",
        "password": database.get("PASSWORD") or "",
        "host": database.get("HOST") or "",
        "port": str(database.get("PORT") or ""),
    }
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)


def _one(connection, sql: str) -> Any:
    row = connection.execute(sql).fetchone()
    assert row is not None, sql  # an aggregate or a function always returns a row
    return row[0]


def _run(command: list[str], *, conninfo: str) -> None:
    result = subprocess.run([*command, f"--dbname={conninfo}"], capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-500:]}")


# --- Files -------------------------------------------------------------------------------------


def _media_checksums(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _pack_media(root: Path, target: Path) -> dict[str, str]:
    checksums = _media_checksums(root)
    with tarfile.open(target, "w:gz") as archive:
        for relative in checksums:
            archive.add(root / relative, arcname=relative, recursive=False)
    return checksums


def _unpack_media(source: Path, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise BackupError(f"{root} is not empty; restore the files into an empty folder")
    with tarfile.open(source, "r:gz") as archive:
        archive.extractall(root, filter="data")  # no absolute paths, links or devices


# --- Backup and restore -------------------------------------------------------------------------


def backup(target: Path, *, database: Mapping[str, Any], media_root: Path) -> Manifest:
    """Write a backup of `database` (Django's settings dict) and `media_root` into the
    empty folder `target`."""
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise BackupError(f"{target} is not empty")
    engine = database["ENGINE"].rsplit(".", 1)[-1]
    manifest = Manifest(engine=engine, created=dt.datetime.now(dt.UTC).isoformat())
    if engine == "postgresql":
        import psycopg

        conninfo = _pg_conninfo(database)
        # The manifest and the dump read one exported snapshot: what the manifest
        # counts is exactly what the dump holds, however busy the site is.
        with psycopg.connect(conninfo) as connection:
            connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = _one(connection, "SELECT pg_export_snapshot()")
            with connection.cursor() as cursor:
                manifest.tables = _pg_tables(cursor)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target / PG_DUMP}",
                ],
                conninfo=conninfo,
            )
            connection.rollback()
    elif engine == "sqlite3":
        with (
            closing(sqlite3.connect(database["NAME"])) as source,
            closing(sqlite3.connect(target / SQLITE_COPY)) as copy,
        ):
            source.backup(copy)  # one consistent copy, even while the site writes
            manifest.tables = _sqlite_tables(copy)
    else:
        raise BackupError(f"no backup for the database engine {engine}")
    manifest.media = _pack_media(media_root, target / MEDIA)
    (target / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1), encoding="utf-8")
    return manifest


def read_manifest(source: Path) -> Manifest:
    try:
        return Manifest(**json.loads((source / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"{source} holds no readable {MANIFEST}") from exc


def restore(source: Path, *, database: Mapping[str, Any], media_root: Path) -> list[str]:
    """Load the backup in `source` into the empty `database` and the empty folder
    `media_root`; return the differences from the backup's manifest (empty = identical)."""
    expected = read_manifest(source)
    engine = database["ENGINE"].rsplit(".", 1)[-1]
    if engine != expected.engine:
        raise BackupError(f"the backup is of {expected.engine}, the target is {engine}")
    restored = Manifest(engine=engine, created=expected.created)
    if engine == "postgresql":
        import psycopg

        conninfo = _pg_conninfo(database)
        with psycopg.connect(conninfo) as connection:
            tables = _one(
                connection,
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            )
        if tables:
            raise BackupError(f"the database {database['NAME']} is not empty")
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                str(source / PG_DUMP),
            ],
            conninfo=conninfo,
        )
        with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
            restored.tables = _pg_tables(cursor)
    else:
        path = Path(database["NAME"])
        if path.exists() and path.stat().st_size:
            raise BackupError(f"the database {path} is not empty")
        shutil.copyfile(source / SQLITE_COPY, path)
        with closing(sqlite3.connect(path)) as copy:
            restored.tables = _sqlite_tables(copy)
    _unpack_media(source / MEDIA, media_root)
    restored.media = _media_checksums(media_root)
    return expected.differences(restored)
