"""Klynge benchmark: dataset generation, export and the public overview under load,
all on a dedicated PostgreSQL database (never the demo SQLite file).

    make bench                      # or: .venv/bin/python bench/run.py

Environment:
    BENCH_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/klynge_bench
                        (dropped and recreated; must be on 127.0.0.1/localhost and its
                        name must contain "bench")

Writes bench/RESULTS.md and prints the same summary. Standard library only, plus
psycopg and gunicorn from the project's virtualenv. Every subprocess and request has
a timeout, so the script always stops by itself.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "bench"
RESULTS = BENCH_DIR / "RESULTS.md"
VENV_BIN = Path(sys.executable).parent
PYTHON = str(Path(sys.executable))
MANAGE = str(REPO / "manage.py")
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/klynge_bench"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

GENERATE_RUNS = 3  # denmark: 1 on the empty database + 2 with --replace
CONCURRENCY = 4
PAGE_REQUESTS = 300  # per overview URL
EXPORT_REQUESTS = 50
API_REQUESTS = 100
WARMUP_REQUESTS = 10
EXPECTED_EXPORT_LINES = 115  # header + 114 clusters (denmark)
REQUEST_TIMEOUT = 30.0
COMMAND_TIMEOUT = 900.0

LOAD_TARGETS = [
    # (label, path, requests)
    ("Overview, all clusters", "/klynger/", PAGE_REQUESTS),
    ("Overview, Region Hovedstaden", "/klynger/?region=1084", PAGE_REQUESTS),
    ("CSV export", "/klynger/eksport.csv", EXPORT_REQUESTS),
    ("API cluster list", "/api/v1/clusters/", API_REQUESTS),
]

GENERATED = re.compile(
    r"Generated '(?P<scale>\w+)' \(seed (?P<seed>\d+)\): (?P<regions>\d+) regions, "
    r"(?P<municipalities>\d+) municipalities, (?P<clinics>\d+) clinics "
    r"\((?P<unclustered>\d+) in no cluster\), (?P<doctors>\d+) doctors, (?P<clusters>\d+) clusters\."
)


# --- Helpers ------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class CommandRun:
    argv: list[str]
    seconds: float
    max_rss_kib: int | None
    rss_source: str
    stdout: str
    stderr: str


def django_env(db_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="klynge.config.settings",
        PYTHONPATH=str(REPO / "src"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def run_manage(
    args: list[str], env: dict[str, str], *, timeout: float = COMMAND_TIMEOUT
) -> CommandRun:
    """Run `manage.py args`, timing wall clock and measuring the child's peak RSS."""
    argv = [PYTHON, MANAGE, *args]
    gnu_time = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as tf:
        time_file = tf.name
    try:
        if gnu_time.exists():
            full = [str(gnu_time), "-v", "-o", time_file, *argv]
            source = "/usr/bin/time -v"
        else:
            full = argv
            source = "getrusage(RUSAGE_CHILDREN) (high-water mark of all children so far)"
        start = time.perf_counter()
        proc = subprocess.run(
            full, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        rss: int | None = None
        if gnu_time.exists():
            text = Path(time_file).read_text()
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
            rss = int(match.group(1)) if match else None
        else:
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
        return CommandRun(argv, seconds, rss, source, proc.stdout, proc.stderr)
    finally:
        Path(time_file).unlink(missing_ok=True)


def parse_generated(output: str) -> dict[str, str]:
    match = GENERATED.search(output)
    if not match:
        raise RuntimeError(f"generate_dataset printed no summary line:\n{output}")
    return match.groupdict()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.0f}"


# --- Database -------------------------------------------------------------------------------


def check_db_url(url: str) -> tuple[str, str]:
    """Return (database name, maintenance URL); refuse anything not local or not a bench db."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"BENCH_DATABASE_URL must be a PostgreSQL URL, not {url!r}")
    if (parts.hostname or "") not in LOCAL_HOSTS:
        raise SystemExit(f"The benchmark only talks to 127.0.0.1; refusing host {parts.hostname!r}")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"Refusing to drop database {name!r}: its name must contain 'bench'")
    return name, urllib.parse.urlunsplit(parts._replace(path="/postgres"))


def recreate_database(url: str) -> str:
    name, maintenance = check_db_url(url)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = conn.execute("SHOW server_version").fetchone()
    return str(version[0]) if version else "unknown"


def vacuum_analyze(url: str) -> float:
    """VACUUM ANALYZE after the deletes of --replace, so the page test does not race
    autovacuum and the planner sees fresh statistics."""
    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - start


def table_counts(url: str) -> dict[str, int]:
    tables = {
        "clusters": "registry_cluster",
        "clinics": "registry_clinic",
        "doctors": "registry_doctor",
        "memberships": "registry_membership",
        "participations": "registry_participation",
        "clinic counts": "registry_cliniccount",
    }
    out = {}
    with psycopg.connect(url, connect_timeout=10) as conn:
        for label, table in tables.items():
            try:
                row = conn.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
                ).fetchone()
                out[label] = int(row[0]) if row else 0
            except psycopg.Error:
                conn.rollback()
    return out


# --- HTTP load ------------------------------------------------------------------------------


@dataclass
class LoadResult:
    label: str
    path: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    body_bytes: int = 0
    check: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and set(self.statuses) == {200}


def fetch(port: int, path: str) -> tuple[int, float, bytes]:
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Language": "da"})
        response = conn.getresponse()
        body = response.read()
        return response.status, time.perf_counter() - start, body
    finally:
        conn.close()


def load(port: int, label: str, path: str, count: int) -> LoadResult:
    result = LoadResult(label, path)
    last_body = b""
    with concurrent.futures.ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        start = time.perf_counter()
        futures = [pool.submit(fetch, port, path) for _ in range(count)]
        for future in concurrent.futures.as_completed(futures):
            try:
                status, seconds, body = future.result()
            except Exception as exc:  # a refused or timed-out request is a result, not a crash
                result.errors.append(repr(exc))
                continue
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.latencies.append(seconds)
            last_body = body
        result.wall = time.perf_counter() - start
    result.body_bytes = len(last_body)
    if path.startswith("/klynger/eksport.csv"):
        lines = len(last_body.decode("utf-8").splitlines())
        result.check = (
            f"{lines} CSV lines ({'ok' if lines == EXPECTED_EXPORT_LINES else 'UNEXPECTED'})"
        )
    elif path.startswith("/api/"):
        try:
            result.check = f"{len(json.loads(last_body))} clusters in JSON"
        except ValueError:
            result.check = "response is not JSON"
    elif last_body:
        rows = last_body.count(b"<tr")
        result.check = f"{rows} <tr> elements"
    return result


def wait_until_up(port: int, proc: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode} before answering")
        try:
            status, _, _ = fetch(port, "/klynger/")
            if status == 200:
                return
            raise RuntimeError(f"/klynger/ answered HTTP {status} in production mode")
        except (ConnectionError, OSError):
            time.sleep(0.25)
    raise RuntimeError("gunicorn did not answer within 30 s")


def worker_peak_rss(master_pid: int) -> list[int]:
    """VmHWM (KiB) of gunicorn's worker processes, read from /proc."""
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s+(\d+)", text, re.M)
        hwm = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
        if ppid and hwm and int(ppid.group(1)) == master_pid:
            peaks.append(int(hwm.group(1)))
    return sorted(peaks)


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def run_load(
    db_url: str, workdir: Path
) -> tuple[list[LoadResult], list[int], str, tuple[str, str]]:
    port = free_port()
    gunicorn = str(VENV_BIN / "gunicorn")
    argv = [
        gunicorn,
        "klynge.config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--chdir",
        str(REPO),
    ]
    env = django_env(
        db_url, KLYNGE_DEBUG="0", KLYNGE_SECRET_KEY="bench", KLYNGE_ALLOWED_HOSTS="127.0.0.1"
    )
    log_path = workdir / "gunicorn.log"
    results: list[LoadResult] = []
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_up(port, proc, time.monotonic() + 30)
            load_before = load_average()
            for path in (
                "/klynger/",
                "/klynger/?region=1084",
                "/klynger/eksport.csv",
                "/api/v1/clusters/",
            ):
                for _ in range(WARMUP_REQUESTS // 2 if path != "/klynger/" else WARMUP_REQUESTS):
                    fetch(port, path)
            for label, path, count in LOAD_TARGETS:
                log(f"load: {count} x GET {path} (concurrency {CONCURRENCY})")
                results.append(load(port, label, path, count))
            peaks = worker_peak_rss(proc.pid)
            load_after = load_average()
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # graceful stop of the master and its workers
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
    command = " ".join([".venv/bin/gunicorn", *argv[1:]]).replace(str(REPO), "<repo>")
    return results, peaks, command, (load_before, load_after)


# --- Query count (Django test client inside the bench database) -------------------------------

QUERY_PROBE = r"""
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
out = {}
client = Client()
for path in ["/klynger/", "/klynger/?region=1084", "/klynger/eksport.csv", "/api/v1/clusters/"]:
    client.get(path)  # warm caches (content types, templates)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    queries = [(float(q["time"]), q["sql"]) for q in ctx.captured_queries]
    out[path] = {
        "status": response.status_code,
        "queries": len(queries),
        "sql_ms": round(sum(t for t, _ in queries) * 1000, 1),
        "slowest": [[round(t * 1000, 1), s[:160]] for t, s in sorted(queries, reverse=True)[:3]],
    }
print("QUERY_PROBE " + json.dumps(out))
"""


def query_probe(db_url: str) -> dict:
    env = django_env(
        db_url,
        KLYNGE_DEBUG="0",
        KLYNGE_SECRET_KEY="bench",
        KLYNGE_ALLOWED_HOSTS="127.0.0.1,testserver",
        KLYNGE_SECURE_COOKIES="0",
    )
    run = run_manage(["shell", "-c", QUERY_PROBE], env, timeout=120)
    line = next(x for x in run.stdout.splitlines() if x.startswith("QUERY_PROBE "))
    return json.loads(line.removeprefix("QUERY_PROBE "))


# --- Machine --------------------------------------------------------------------------------


def machine_info(pg_version: str) -> dict[str, str]:
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    django_version = subprocess.run(
        [PYTHON, "-c", "import django; print(django.get_version())"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.strip()
    gunicorn_version = subprocess.run(
        [PYTHON, "-c", "import gunicorn; print(gunicorn.__version__)"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.strip()
    commit = "unknown"
    if shutil.which("git"):
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if head.returncode == 0:
            commit = head.stdout.strip() + (
                " (with uncommitted changes)" if dirty.stdout.strip() else ""
            )
    return {
        "Date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "Commit": commit,
        "CPU": f"{os.cpu_count()} (nproc) × {cpu}",
        "Memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Django": django_version,
        "PostgreSQL": pg_version,
        "gunicorn": gunicorn_version,
    }


# --- Report ---------------------------------------------------------------------------------


def report(
    *,
    machine: dict[str, str],
    db_url: str,
    migrate: CommandRun,
    denmark: list[tuple[CommandRun, dict[str, str]]],
    england: tuple[CommandRun, dict[str, str]],
    england_rows: dict[str, int],
    regenerate: CommandRun,
    vacuum_seconds: float,
    loadavg: tuple[str, str],
    export: CommandRun,
    export_lines: int,
    loads: list[LoadResult],
    worker_peaks: list[int],
    gunicorn_cmd: str,
    queries: dict,
    total: float,
) -> str:
    parts = urllib.parse.urlsplit(db_url)
    safe_url = db_url.replace(f":{parts.password}@", ":***@") if parts.password else db_url
    out: list[str] = []
    w = out.append
    w("# Klynge benchmark results\n")
    w("Generated by `bench/run.py` (see `bench/README.md`). Re-run with `make bench`.\n")
    w("## Machine\n")
    w("| | |\n|---|---|")
    for key, value in machine.items():
        w(f"| {key} | {value} |")
    w(f"| Database | `{safe_url}` (dropped, recreated and migrated by the script) |")
    w(f"| Total bench time | {total:.0f} s |\n")

    w("## 1. Dataset generation (`generate_dataset`)\n")
    w(
        "Wall time of the whole `manage.py` process (interpreter start, Django setup, "
        "generation in one transaction, demo users), peak RSS from "
        f"{denmark[0][0].rss_source}.\n"
    )
    w("| Run | Command | Wall time (s) | Peak RSS (MiB) | Clinics | Doctors | Clusters |")
    w("|---|---|---:|---:|---:|---:|---:|")
    for i, (run, summary) in enumerate(denmark, 1):
        cmd = "generate_dataset --scale denmark --seed 1" + (" --replace" if i > 1 else "")
        note = "empty db" if i == 1 else "--replace"
        w(
            f"| denmark #{i} ({note}) | `{cmd}` | {run.seconds:.2f} | {mib(run.max_rss_kib)} "
            f"| {summary['clinics']} | {summary['doctors']} | {summary['clusters']} |"
        )
    med = statistics.median(r.seconds for r, _ in denmark)
    peak = max((r.max_rss_kib or 0) for r, _ in denmark)
    w(f"| **denmark median / max RSS** | | **{med:.2f}** | **{mib(peak)}** | | | |")
    run, summary = england
    w(
        f"| england | `generate_dataset --scale england --seed 1 --replace` | {run.seconds:.2f} "
        f"| {mib(run.max_rss_kib)} | {summary['clinics']} | {summary['doctors']} | {summary['clusters']} |"
    )
    w("")
    if england_rows:
        w(
            "England-scale row counts: "
            + ", ".join(f"{v:,} {k}" for k, v in england_rows.items())
            + ".\n"
        )
    w(
        f"Regenerating denmark with `--replace` after the england run (for the page test) took "
        f"**{regenerate.seconds:.2f} s** (peak RSS {mib(regenerate.max_rss_kib)} MiB): almost "
        "all of it is `--replace` deleting the england-sized register. "
        f"`migrate` on the empty database took {migrate.seconds:.1f} s and `VACUUM ANALYZE` "
        f"before the page test {vacuum_seconds:.1f} s (neither is part of the figures above).\n"
    )

    w("## 2. Register export (`export_register`)\n")
    w("| Command | Wall time (s) | Peak RSS (MiB) | Lines |")
    w("|---|---:|---:|---:|")
    status = "ok" if export_lines == EXPECTED_EXPORT_LINES else f"expected {EXPECTED_EXPORT_LINES}"
    w(
        f"| `export_register --format csv --output <tmp>` | {export.seconds:.2f} | "
        f"{mib(export.max_rss_kib)} | {export_lines} ({status}) |\n"
    )

    w("## 3. Pages under load (gunicorn, production settings, PostgreSQL)\n")
    w(
        f"Denmark-scale register (114 clusters). `{gunicorn_cmd}` with `KLYNGE_DEBUG=0`; "
        f"the client is a thread pool of **{CONCURRENCY}** on the same machine, one new "
        "HTTP/1.1 connection per request (gunicorn's sync workers close it anyway), "
        f"after {WARMUP_REQUESTS} warm-up requests to `/klynger/` and "
        f"{WARMUP_REQUESTS // 2} to each other URL. Latency is client-side, request sent to "
        "body read. The client shares the CPUs with the server and PostgreSQL. "
        f"Load average (1/5/15 min) when the load started: {loadavg[0]}; at the end: "
        f"{loadavg[1]} (anything above the CPU count means other processes competed).\n"
    )
    w(
        "| URL | Requests | Status | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | req/s | Body | Check |"
    )
    w("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for r in loads:
        lat = r.latencies or [0.0]
        statuses = ", ".join(f"{k}×{v}" for k, v in sorted(r.statuses.items()))
        if r.errors:
            statuses += f", {len(r.errors)} errors"
        rps = len(r.latencies) / r.wall if r.wall else 0
        w(
            f"| `{r.path}` | {len(r.latencies) + len(r.errors)} | {statuses} "
            f"| {ms(percentile(lat, 50))} | **{ms(percentile(lat, 95))}** | {ms(percentile(lat, 99))} "
            f"| {ms(max(lat))} | {rps:.1f} | {r.body_bytes / 1024:.0f} KiB | {r.check} |"
        )
    w("")
    all_ok = all(r.ok for r in loads)
    w(f"All responses HTTP 200: **{'yes' if all_ok else 'NO'}**.")
    if worker_peaks:
        w(
            f"gunicorn worker peak RSS (VmHWM) after the load: {', '.join(mib(p) for p in worker_peaks)} MiB."
        )
    w("")
    w(
        'Target: the issue asks to time generation and "the overview page under load on '
        'PostgreSQL"; it sets no numeric target, so the p95 column (bold) is the figure to '
        "compare between runs.\n"
    )

    w("## 4. Queries per request (Django test client, `CaptureQueriesContext`)\n")
    w("Second request to each URL in one process, against the same bench database.\n")
    w("| URL | Status | Queries | SQL time (ms) | Slowest query (ms) |")
    w("|---|---|---:|---:|---|")
    for path, q in queries.items():
        slowest = q["slowest"][0] if q["slowest"] else [0, ""]
        text = slowest[1].replace("|", "\\|")
        w(
            f"| `{path}` | {q['status']} | {q['queries']} | {q['sql_ms']} | {slowest[0]}: `{text}…` |"
        )
    w("")

    w("## Exact commands\n")
    w("```sh")
    w(f"export DATABASE_URL={safe_url}")
    w("python manage.py migrate --no-input -v 0")
    w("python manage.py generate_dataset --scale denmark --seed 1            # run 1")
    w("python manage.py generate_dataset --scale denmark --seed 1 --replace  # runs 2, 3")
    w("python manage.py generate_dataset --scale england --seed 1 --replace")
    w("python manage.py generate_dataset --scale denmark --seed 1 --replace  # for the pages")
    w("psql -c 'VACUUM ANALYZE'")
    w("python manage.py export_register --format csv --output <tmp>/klynger.csv")
    w(
        "KLYNGE_DEBUG=0 KLYNGE_SECRET_KEY=bench KLYNGE_ALLOWED_HOSTS=127.0.0.1 PYTHONPATH=src \\\n  "
        + gunicorn_cmd.replace("<port>", "PORT")
    )
    for _, path, count in LOAD_TARGETS:
        w(f"# {count} × GET {path}, concurrency {CONCURRENCY}")
    w("```")
    w("Each `manage.py` command runs under `/usr/bin/time -v` when it exists.")
    return "\n".join(out) + "\n"


# --- Main -----------------------------------------------------------------------------------


def main() -> int:
    started = time.perf_counter()
    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB_URL)
    log(f"recreating {db_url}")
    pg_version = recreate_database(db_url)
    env = django_env(db_url)

    log("migrate")
    migrate = run_manage(["migrate", "--no-input", "-v", "0"], env)

    denmark: list[tuple[CommandRun, dict[str, str]]] = []
    for i in range(GENERATE_RUNS):
        args = ["generate_dataset", "--scale", "denmark", "--seed", "1"]
        if i:
            args.append("--replace")
        run = run_manage(args, env)
        denmark.append((run, parse_generated(run.stdout)))
        log(f"denmark #{i + 1}: {run.seconds:.2f} s, peak RSS {mib(run.max_rss_kib)} MiB")

    run = run_manage(["generate_dataset", "--scale", "england", "--seed", "1", "--replace"], env)
    england = (run, parse_generated(run.stdout))
    england_rows = table_counts(db_url)
    log(
        f"england: {run.seconds:.2f} s, {england[1]['clinics']} clinics, "
        f"{england[1]['clusters']} clusters"
    )

    regenerate = run_manage(
        ["generate_dataset", "--scale", "denmark", "--seed", "1", "--replace"], env
    )
    log(f"denmark regenerated for the page test: {regenerate.seconds:.2f} s")
    vacuum_seconds = vacuum_analyze(db_url)

    with tempfile.TemporaryDirectory(prefix="klynge-bench-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "klynger.csv"
        export = run_manage(["export_register", "--format", "csv", "--output", str(csv_path)], env)
        export_lines = len(csv_path.read_text(encoding="utf-8").splitlines())
        log(f"export: {export.seconds:.2f} s, {export_lines} lines")

        loads, worker_peaks, gunicorn_cmd, loadavg = run_load(db_url, workdir)
        gunicorn_log = (workdir / "gunicorn.log").read_text()

    log("query probe")
    queries = query_probe(db_url)

    text = report(
        machine=machine_info(pg_version),
        db_url=db_url,
        migrate=migrate,
        denmark=denmark,
        england=england,
        england_rows=england_rows,
        regenerate=regenerate,
        vacuum_seconds=vacuum_seconds,
        loadavg=loadavg,
        export=export,
        export_lines=export_lines,
        loads=loads,
        worker_peaks=worker_peaks,
        gunicorn_cmd=re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", gunicorn_cmd),
        queries=queries,
        total=time.perf_counter() - started,
    )
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    log(f"wrote {RESULTS.relative_to(REPO)}")

    problems = [r for r in loads if not r.ok]
    if export_lines != EXPECTED_EXPORT_LINES:
        print(f"export_register wrote {export_lines} lines, expected {EXPECTED_EXPORT_LINES}")
    for r in problems:
        print(f"{r.path}: statuses {r.statuses}, errors {r.errors[:3]}")
    if problems:
        print("gunicorn log (tail):\n" + "\n".join(gunicorn_log.splitlines()[-40:]))
    return 1 if problems or export_lines != EXPECTED_EXPORT_LINES else 0


if __name__ == "__main__":
    sys.exit(main())
