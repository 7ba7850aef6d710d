"""Helpers shared by the benchmark scripts (`run.py`, `meetings.py`, `load.py`):
percentiles and formatting, a free loopback port, the commit and machine a report names,
and the dedicated PostgreSQL database each script creates and drops (only on this
machine, only with "bench" in its name)."""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import subprocess
import urllib.parse
from pathlib import Path

import psycopg
from psycopg import sql

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
REPO = Path(__file__).resolve().parents[1]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_db_url(url: str, variable: str = "BENCH_DATABASE_URL") -> tuple[str, str]:
    """Return (database name, maintenance URL); refuse anything not local or not a bench db."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"{variable} must be a PostgreSQL URL, not {url!r}")
    if (parts.hostname or "") not in LOCAL_HOSTS:
        raise SystemExit(f"The benchmark only talks to 127.0.0.1; refusing host {parts.hostname!r}")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"Refusing to drop database {name!r}: its name must contain 'bench'")
    return name, urllib.parse.urlunsplit(parts._replace(path="/postgres"))


def recreate_database(url: str, variable: str = "BENCH_DATABASE_URL") -> str:
    """Drop and create the bench database; returns the server's version."""
    name, maintenance = check_db_url(url, variable)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = conn.execute("SHOW server_version").fetchone()
    return str(version[0]) if version else "unknown"


def drop_database(url: str, variable: str = "BENCH_DATABASE_URL") -> None:
    name, maintenance = check_db_url(url, variable)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def commit() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        proc = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if proc.returncode == 0:
            return proc.stdout.strip() + " (working tree may differ)"
    return "unknown"


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({cpu or platform.processor() or 'unknown CPU'})"
