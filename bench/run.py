"""Klynge benchmark: dataset generation, export, the public overview under load, the
indicator import against a raw COPY, and the quality charts at national data volume,
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
import contextlib
import datetime as dt
import http.client
import http.cookies
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from common import free_port, ms, percentile, recreate_database
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "bench"
RESULTS = BENCH_DIR / "RESULTS.md"
VENV_BIN = Path(sys.executable).parent
PYTHON = str(Path(sys.executable))
MANAGE = str(REPO / "manage.py")
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/klynge_bench"

GENERATE_RUNS = 3  # denmark: 1 on the empty database + 2 with --replace
CONCURRENCY = 4
PAGE_REQUESTS = 300  # per overview URL
EXPORT_REQUESTS = 50
API_REQUESTS = 100
WARMUP_REQUESTS = 10
EXPECTED_EXPORT_LINES = 115  # header + 114 clusters (denmark)
REQUEST_TIMEOUT = 30.0
COMMAND_TIMEOUT = 900.0

# Indicator import (section 5): targets from the issue.
IMPORT_RATIO_TARGET = 3.0  # import wall time / raw COPY wall time
IMPORT_RSS_TARGET_KIB = 1024 * 1024  # 1 GiB
RAW_COPY_RUNS = 3  # the median is used for the ratio
IMPORT_PHASES = os.environ.get("BENCH_IMPORT_PHASES", "1") != "0"

# Quality charts (section 6), as the demo member of a cluster.
DEMO_MEMBER = "laege@demo.klynge.test"
DEMO_PASSWORD = "klynge-demo"
CHART_INDICATOR = "ab_broad_spectrum"
CHART_P95_TARGET = 0.100  # seconds, for the two JSON endpoints
CHART_CONCURRENCY = (1, 4)
CHART_WARMUP = 5
CHART_TARGETS = [
    # (label, path template, requests per concurrency level, p95 target in seconds or None)
    ("Funnel JSON", "/klynger/{slug}/data/{code}/tragt.json", 200, CHART_P95_TARGET),
    ("Run chart JSON", "/klynger/{slug}/data/{code}/forloeb.json", 200, CHART_P95_TARGET),
    ("Indicator page", "/klynger/{slug}/data/{code}/", 100, None),
    ("Data dashboard", "/klynger/{slug}/data/", 50, None),
]

LOAD_TARGETS = [
    # (label, path, requests)
    ("Overview, all clusters", "/klynger/", PAGE_REQUESTS),
    ("Overview, Region Hovedstaden", "/klynger/?region=1084", PAGE_REQUESTS),
    ("CSV export", "/klynger/eksport.csv", EXPORT_REQUESTS),
    ("API cluster list", "/api/v1/clusters/", API_REQUESTS),
]

IMPORTED = re.compile(
    r"Imported (?P<rows>\d+) rows from .* \((?P<replaced>\d+) replaced earlier values\); "
    r"import #(?P<run>\d+)\."
)
EXPORTED = re.compile(r"Wrote (?P<rows>\d+) rows to ")

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
    return run_timed([PYTHON, MANAGE, *args], env, timeout=timeout, label=" ".join(args[:2]))


def run_timed(
    argv: list[str], env: dict[str, str], *, timeout: float = COMMAND_TIMEOUT, label: str = ""
) -> CommandRun:
    """Run `argv` in the repository, timing wall clock and measuring the child's peak RSS."""
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
                f"{label or argv[0]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
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


def mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.0f}"


# --- Database -------------------------------------------------------------------------------


def vacuum_analyze(url: str) -> float:
    """VACUUM ANALYZE after the deletes of --replace, so the page test does not race
    autovacuum and the planner sees fresh statistics; then CHECKPOINT, so the dirty
    pages of the generation runs are not flushed during the measurements."""
    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - start


def table_counts(url: str) -> dict[str, int]:
    tables = {
        "clusters": "registry_cluster",
        "clinics": "registry_clinic",
        "doctors": "registry_doctor",
        "memberships": "registry_membership",
        "participations": "registry_participation",
        "clinic counts": "registry_cliniccount",
        "indicator values": "quality_indicatorvalue",
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


def request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[http.client.HTTPResponse, float, bytes]:
    """One request on a new connection to 127.0.0.1; returns (response, seconds, body)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(
            method,
            path,
            body=body,
            headers={"Host": "127.0.0.1", "Accept-Language": "da", **(headers or {})},
        )
        response = conn.getresponse()
        data = response.read()
        return response, time.perf_counter() - start, data
    finally:
        conn.close()


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, float, bytes]:
    response, seconds, body = request(port, path, headers=headers)
    return response.status, seconds, body


def response_cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
    for value in response.headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def login(port: int, email: str, password: str) -> dict[str, str]:
    """Log in through allauth's form like a browser; returns the session cookies."""
    response, _, body = request(port, "/konto/login/")
    if response.status != 200:
        raise RuntimeError(f"GET /konto/login/ answered HTTP {response.status}")
    cookies = response_cookies(response)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not match or "csrftoken" not in cookies:
        raise RuntimeError("the login page has no CSRF token")
    form = urllib.parse.urlencode(
        {"login": email, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
    ).encode()
    response, _, _ = request(
        port,
        "/konto/login/",
        method="POST",
        body=form,
        headers={
            **cookie_header(cookies),
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{port}/konto/login/",
        },
    )
    cookies.update(response_cookies(response))
    if response.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"logging in as {email} failed (HTTP {response.status}, no session)")
    return cookies


def load(
    port: int,
    label: str,
    path: str,
    count: int,
    *,
    concurrency: int = CONCURRENCY,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    result = LoadResult(label, path)
    last_body = b""
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        start = time.perf_counter()
        futures = [pool.submit(fetch, port, path, headers) for _ in range(count)]
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
    elif path.endswith(".json"):
        result.check = vega_check(last_body)
    elif "/data/" in path:
        specs = last_body.count(b'type="application/json"')
        result.check = f"{specs} embedded chart specs"
    elif last_body:
        rows = last_body.count(b"<tr")
        result.check = f"{rows} <tr> elements"
    return result


def vega_check(body: bytes) -> str:
    """What a chart endpoint answered: a Vega-Lite spec, and how many data points."""
    try:
        spec = json.loads(body)
    except ValueError:
        return "response is not JSON"
    if "$schema" not in spec or "vega-lite" not in str(spec["$schema"]):
        return "JSON, but not a Vega-Lite spec"
    points = 0

    def walk(node) -> None:
        nonlocal points
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and isinstance(data.get("values"), list):
                points += len(data["values"])
            for key in ("layer", "concat", "vconcat", "hconcat"):
                for child in node.get(key) or []:
                    walk(child)
            for child in (node.get("datasets") or {}).values():
                points += len(child) if isinstance(child, list) else 0

    walk(spec)
    return f"Vega-Lite spec, {points} data rows"


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


@dataclass
class Server:
    port: int
    proc: subprocess.Popen
    command: str


@contextlib.contextmanager
def gunicorn_server(db_url: str, workdir: Path, *, settings: str = "") -> Iterator[Server]:
    """gunicorn with production settings on a free local port; stopped on exit.
    `settings` names a settings module in `bench/` that extends the project's (as
    `speed_settings` adds a bare response); empty for the project's own."""
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
    if settings:
        env.update(
            DJANGO_SETTINGS_MODULE=settings,
            PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO / "bench")]),
        )
    command = " ".join([".venv/bin/gunicorn", *argv[1:]]).replace(str(REPO), "<repo>")
    with open(workdir / "gunicorn.log", "w") as log_file:
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
            yield Server(port, proc, command)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # graceful stop of the master and its workers
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)


def run_load(server: Server) -> tuple[list[LoadResult], list[int], tuple[str, str]]:
    """Section 3: the public overview, export and API under load (anonymous)."""
    port = server.port
    load_before = load_average()
    for path in (
        "/klynger/",
        "/klynger/?region=1084",
        "/klynger/eksport.csv",
        "/api/v1/clusters/",
    ):
        for _ in range(WARMUP_REQUESTS // 2 if path != "/klynger/" else WARMUP_REQUESTS):
            fetch(port, path)
    results = []
    for label, path, count in LOAD_TARGETS:
        log(f"load: {count} x GET {path} (concurrency {CONCURRENCY})")
        results.append(load(port, label, path, count))
    peaks = worker_peak_rss(server.proc.pid)
    return results, peaks, (load_before, load_average())


@dataclass
class ChartLoad:
    slug: str
    home_links_cluster: bool
    login_seconds: float
    results: dict[int, list[LoadResult]]  # concurrency -> results, in CHART_TARGETS order
    loadavg: dict[int, tuple[str, str]]
    worker_peaks: list[int]


def chart_paths(slug: str) -> list[tuple[str, str, int, float | None]]:
    return [
        (label, template.format(slug=slug, code=CHART_INDICATOR), count, target)
        for label, template, count, target in CHART_TARGETS
    ]


def run_chart_load(server: Server, slug: str) -> ChartLoad:
    """Section 6: the quality charts of the member's cluster, logged in as the member."""
    port = server.port
    start = time.perf_counter()
    cookies = login(port, DEMO_MEMBER, DEMO_PASSWORD)
    login_seconds = time.perf_counter() - start
    headers = cookie_header(cookies)
    status, _, home = fetch(port, "/", headers)
    home_links = status == 200 and f'href="/klynger/{slug}/"'.encode() in home
    paths = chart_paths(slug)
    for _, path, _, _ in paths:
        for _ in range(CHART_WARMUP):
            fetch(port, path, headers)
    results: dict[int, list[LoadResult]] = {}
    loadavg: dict[int, tuple[str, str]] = {}
    for concurrency in CHART_CONCURRENCY:
        before = load_average()
        results[concurrency] = []
        for label, path, count, _ in paths:
            log(f"charts: {count} x GET {path} (concurrency {concurrency})")
            results[concurrency].append(
                load(port, label, path, count, concurrency=concurrency, headers=headers)
            )
        loadavg[concurrency] = (before, load_average())
    return ChartLoad(
        slug=slug,
        home_links_cluster=home_links,
        login_seconds=login_seconds,
        results=results,
        loadavg=loadavg,
        worker_peaks=worker_peak_rss(server.proc.pid),
    )


# --- Query count (Django test client inside the bench database) -------------------------------

QUERY_PROBE = r"""
import json, os, statistics, time
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from klynge.registry.models import Doctor, Membership
from klynge.registry.selectors import cluster_memberships_on
from klynge.core.dates import today

config = json.loads(os.environ["BENCH_PROBE"])


def probe(client, paths, timed):
    out = {}
    for path in paths:
        client.get(path)  # warm caches (content types, templates)
        timings = []  # perf_counter per query (CaptureQueriesContext rounds to 1 ms)

        def timer(execute, sql, params, many, context):
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - start, sql))

        with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timer):
            response = client.get(path)
        queries = timings if len(timings) == len(ctx.captured_queries) else [
            (float(q["time"]), q["sql"]) for q in ctx.captured_queries
        ]
        seconds = []
        for _ in range(timed):  # in-process time, no HTTP, no query capture
            start = time.perf_counter()
            client.get(path)
            seconds.append(time.perf_counter() - start)
        out[path] = {
            "status": response.status_code,
            "queries": len(queries),
            "sql_ms": round(sum(t for t, _ in queries) * 1000, 2),
            "median_ms": round(statistics.median(seconds) * 1000, 1) if seconds else None,
            "slowest": [[round(t * 1000, 2), s[:300]] for t, s in sorted(queries, reverse=True)[:3]],
        }
    return out


result = {"anonymous": probe(Client(), config["anonymous"], 0)}
user = get_user_model().objects.filter(email=config["member"]).first()
doctor = Doctor.objects.filter(user=user).select_related("clinic").first() if user else None
membership = (
    Membership.objects.active_on(today()).filter(clinic_id=doctor.clinic_id)
    .select_related("cluster").first()
    if doctor else None
)
if membership is not None:
    cluster = membership.cluster
    client = Client()
    client.force_login(user)
    paths = [p.format(slug=cluster.slug, code=config["code"]) for p in config["member_paths"]]
    result["member"] = probe(client, paths, config["timed"])
    result["cluster"] = {
        "slug": cluster.slug,
        "name": cluster.name,
        "members": cluster_memberships_on(cluster=cluster, on=today()).count(),
        "clinic": doctor.clinic.name,
    }
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM quality_indicatorvalue")
    result["values"] = cursor.fetchone()[0]
print("QUERY_PROBE " + json.dumps(result))
"""
PROBE_TIMED_REQUESTS = 5


def query_probe(db_url: str) -> dict:
    """Queries per request for the anonymous URLs (section 4) and, as the demo member,
    the chart URLs (section 6); also finds the member's cluster."""
    config = {
        "anonymous": [
            "/klynger/",
            "/klynger/?region=1084",
            "/klynger/eksport.csv",
            "/api/v1/clusters/",
        ],
        "member": DEMO_MEMBER,
        "member_paths": [template for _, template, _, _ in CHART_TARGETS],
        "code": CHART_INDICATOR,
        "timed": PROBE_TIMED_REQUESTS,
    }
    env = django_env(
        db_url,
        KLYNGE_DEBUG="0",
        KLYNGE_SECRET_KEY="bench",
        KLYNGE_ALLOWED_HOSTS="127.0.0.1,testserver",
        KLYNGE_SECURE_COOKIES="0",
        BENCH_PROBE=json.dumps(config),
    )
    run = run_manage(["shell", "-v", "0", "-c", QUERY_PROBE], env, timeout=180)
    line = next(x for x in run.stdout.splitlines() if x.startswith("QUERY_PROBE "))
    return json.loads(line.removeprefix("QUERY_PROBE "))


# --- Indicator import vs raw COPY (section 5) ------------------------------------------------

RAW_COPY = r"""
import json, sys, time
import psycopg

url, path = sys.argv[1], sys.argv[2]
started = time.perf_counter()
with psycopg.connect(url, connect_timeout=10) as conn:
    connected = time.perf_counter()
    conn.execute(
        "CREATE TABLE bench_raw (provider_number text, indicator text, period text, "
        "numerator text, denominator text)"
    )
    conn.commit()
    start = time.perf_counter()
    with conn.cursor() as cursor:
        with cursor.copy("COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
        rows = cursor.rowcount
    copied = time.perf_counter()
    conn.commit()
    committed = time.perf_counter()
print("RAW_COPY " + json.dumps({
    "rows": rows, "connect": connected - started, "copy": copied - start,
    "commit": committed - copied,
}))
"""

UNDO = r"""
import json, time
from django.db import connection
from klynge.quality.models import ImportRun
from klynge.quality.services import import_run_undo

run = ImportRun.objects.latest("pk")
statements = []


def timed(execute, sql, params, many, context):
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        statements.append([time.perf_counter() - start, " ".join(sql.split())[:120]])


start = time.perf_counter()
with connection.execute_wrapper(timed):
    run = import_run_undo(actor=None, run=run)
seconds = time.perf_counter() - start
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM quality_indicatorvalue")
    values = cursor.fetchone()[0]
    cursor.execute("SELECT count(*) FROM quality_replacedvalue")
    replaced = cursor.fetchone()[0]
print("UNDO " + json.dumps({
    "run": run.pk, "status": run.status, "seconds": seconds, "values": values,
    "replaced": replaced, "slowest": sorted(statements, reverse=True)[:4],
}))
"""

# The import once more in one process, with every step of services.import_run_execute
# timed (and the peak RSS so far after it): first into the emptied table (new data), then
# the same file again (every row replaces a stored value). Wrappers only; no src change.
PHASE_PROBE = r"""
import json, os, resource, time
from pathlib import Path
from django.db import connection, connections
from klynge.quality import imports, services

phases = []
state = {"depth": 0, "label": ""}


def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def timed(module, name, phase):
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        entry = [state["label"], state["depth"], phase, time.perf_counter(), 0.0, 0]
        phases.append(entry)
        state["depth"] += 1
        try:
            return original(*args, **kwargs)
        finally:
            state["depth"] -= 1
            entry[4], entry[5] = time.perf_counter() - entry[3], rss()

    setattr(module, name, wrapper)


def sql_wrapper(execute, sql, params, many, context):
    entry = [state["label"], state["depth"], "SQL " + " ".join(sql.split())[:90], time.perf_counter(), 0.0, 0]
    try:
        return execute(sql, params, many, context)
    finally:
        entry[4], entry[5] = time.perf_counter() - entry[3], rss()
        if entry[4] >= 0.02:
            phases.append(entry)


for module, name, phase in [
    (services, "import_run_create", "import_run_create (sha256, INSERT import run)"),
    (services, "import_run_execute", "import_run_execute"),
    (imports, "read_table", "read_table (polars read_csv, UTF-8 check)"),
    (services, "lookup_tables", "lookup_tables (clinics, indicators)"),
    (imports, "check_table", "check_table"),
    (imports, "find_cpr", "find_cpr (CPR scan of every cell)"),
    (services, "_write_values", "_write_values (incl. sort by key)"),
    (services, "_overlaps_existing", "_overlaps_existing"),
    (services, "_insert_new", "_insert_new (CSV buffer + COPY)"),
    (services, "_stage", "_stage (CSV buffer + COPY into temp table)"),
    (services, "_csv_buffer", "_csv_buffer (polars write_csv)"),
    (services, "audit_log", "audit_log"),
]:
    timed(module, name, phase)
default = connections["default"]
original_commit = default.commit


def commit():
    entry = [state["label"], state["depth"], "COMMIT", time.perf_counter(), 0.0, 0]
    phases.append(entry)
    try:
        return original_commit()
    finally:
        entry[4], entry[5] = time.perf_counter() - entry[3], rss()


default.commit = commit
path = Path(os.environ["BENCH_VALUES_CSV"])
with connection.cursor() as cursor:
    cursor.execute("TRUNCATE quality_indicatorvalue, quality_replacedvalue")
totals = {"baseline_rss": rss()}
for label in ("new", "replace"):
    state["label"] = label
    start = time.perf_counter()
    entry = [label, 0, "read the file (Path.read_bytes)", start, 0.0, 0]
    phases.append(entry)
    data = path.read_bytes()
    entry[4], entry[5] = time.perf_counter() - start, rss()
    with connection.execute_wrapper(sql_wrapper):
        run = services.import_run_create(actor=None, data=data, filename=path.name, source="cli")
        run = services.import_run_execute(run=run, data=data)
    del data
    totals[label] = {
        "seconds": time.perf_counter() - start, "status": run.status, "rows": run.rows_written,
        "replaced": run.rows_replaced, "rss": rss(),
    }
origin = min(p[3] for p in phases)
print("PHASES " + json.dumps({"totals": totals, "phases": [
    [label, depth, name, start - origin, seconds, peak]
    for label, depth, name, start, seconds, peak in phases
]}))
"""


@dataclass
class RawCopy:
    run: CommandRun
    rows: int
    connect: float
    copy: float
    commit: float


@dataclass
class ImportBench:
    export: CommandRun
    rows: int
    size_bytes: int
    truncate_seconds: float
    import_new: CommandRun
    new_summary: dict[str, str]
    raw: list[RawCopy]
    import_replace: CommandRun
    replace_summary: dict[str, str]
    undo: CommandRun
    undo_summary: dict
    startup: CommandRun
    phases: dict | None = None

    @property
    def raw_copy_median(self) -> float:
        return statistics.median(r.copy for r in self.raw)

    @property
    def raw_process_median(self) -> float:
        return statistics.median(r.run.seconds for r in self.raw)


def execute_sql(db_url: str, statement: str) -> float:
    start = time.perf_counter()
    with psycopg.connect(db_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(statement)
    return time.perf_counter() - start


def parse_line(output: str, prefix: str) -> dict:
    line = next((x for x in output.splitlines() if x.startswith(prefix + " ")), None)
    if line is None:
        raise RuntimeError(f"no {prefix} line in the output:\n{output[-2000:]}")
    return json.loads(line.removeprefix(prefix + " "))


def raw_copy(db_url: str, csv_path: Path) -> RawCopy:
    """COPY the file's bytes into a bare all-text table: the floor for the import."""
    execute_sql(db_url, "DROP TABLE IF EXISTS bench_raw")
    execute_sql(db_url, "CHECKPOINT")
    try:
        run = run_timed(
            [PYTHON, "-c", RAW_COPY, db_url, str(csv_path)],
            dict(os.environ),
            timeout=300,
            label="raw COPY",
        )
    finally:
        execute_sql(db_url, "DROP TABLE IF EXISTS bench_raw")
    data = parse_line(run.stdout, "RAW_COPY")
    return RawCopy(run, int(data["rows"]), data["connect"], data["copy"], data["commit"])


def import_summary(run: CommandRun) -> dict[str, str]:
    match = IMPORTED.search(run.stdout)
    if not match:
        raise RuntimeError(f"import_indicators printed no summary:\n{run.stdout}\n{run.stderr}")
    return match.groupdict()


def run_import_bench(db_url: str, workdir: Path) -> ImportBench:
    env = django_env(db_url)
    csv_path = workdir / "values.csv"
    export = run_manage(["export_indicators", "--output", str(csv_path)], env)
    match = EXPORTED.search(export.stderr + export.stdout)
    rows = int(match.group("rows")) if match else -1
    size = csv_path.stat().st_size
    log(f"export_indicators: {rows:,} rows, {size / 1e6:.1f} MB in {export.seconds:.2f} s")

    truncate_seconds = execute_sql(db_url, "TRUNCATE quality_indicatorvalue, quality_replacedvalue")
    # Every timed write starts after a CHECKPOINT, so none pays for flushing the last one's
    # dirty pages (the raw COPY and the import are treated alike).
    execute_sql(db_url, "CHECKPOINT")
    import_new = run_manage(["import_indicators", str(csv_path)], env)
    new_summary = import_summary(import_new)
    log(
        f"import (new data): {import_new.seconds:.2f} s, peak RSS {mib(import_new.max_rss_kib)} MiB"
    )

    raw = [raw_copy(db_url, csv_path) for _ in range(RAW_COPY_RUNS)]
    log("raw COPY: " + ", ".join(f"{r.copy:.2f} s ({r.run.seconds:.2f} s process)" for r in raw))

    execute_sql(db_url, "CHECKPOINT")
    import_replace = run_manage(["import_indicators", str(csv_path)], env)
    replace_summary = import_summary(import_replace)
    log(f"import (replacing every value): {import_replace.seconds:.2f} s")

    execute_sql(db_url, "CHECKPOINT")
    undo = run_manage(["shell", "-v", "0", "-c", UNDO], env)
    undo_summary = parse_line(undo.stdout, "UNDO")
    log(f"undo: {undo_summary['seconds']:.2f} s in process, {undo.seconds:.2f} s wall")

    startup = run_manage(["check"], env)  # the fixed cost every manage.py command pays
    phases = None
    if IMPORT_PHASES:
        execute_sql(db_url, "CHECKPOINT")
        log("import phases (in-process, both paths)")
        probe = run_manage(
            ["shell", "-v", "0", "-c", PHASE_PROBE],
            django_env(db_url, BENCH_VALUES_CSV=str(csv_path)),
        )
        phases = parse_line(probe.stdout, "PHASES")
    return ImportBench(
        export=export,
        rows=rows,
        size_bytes=size,
        truncate_seconds=truncate_seconds,
        import_new=import_new,
        new_summary=new_summary,
        raw=raw,
        import_replace=import_replace,
        replace_summary=replace_summary,
        undo=undo,
        undo_summary=undo_summary,
        startup=startup,
        phases=phases,
    )


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


def latency_row(r: LoadResult, prefix: str = "") -> str:
    lat = r.latencies or [0.0]
    statuses = ", ".join(f"{k}×{v}" for k, v in sorted(r.statuses.items()))
    if r.errors:
        statuses += f", {len(r.errors)} errors"
    rps = len(r.latencies) / r.wall if r.wall else 0
    return (
        f"| {prefix}`{r.path}` | {len(r.latencies) + len(r.errors)} | {statuses} "
        f"| {ms(percentile(lat, 50))} | **{ms(percentile(lat, 95))}** | {ms(percentile(lat, 99))} "
        f"| {ms(max(lat))} | {rps:.1f} | {r.body_bytes / 1024:.0f} KiB | {r.check} |"
    )


def p95(r: LoadResult) -> float:
    return percentile(r.latencies, 95) if r.latencies else float("inf")


def yes(flag: bool) -> str:
    return "**met**" if flag else "**missed**"


def md_sql(text: str, limit: int = 160) -> str:
    return text[:limit].replace("|", "\\|").replace("`", "'")


@dataclass
class Targets:
    """The issue's targets and whether this run met them."""

    rows: list[tuple[str, str, str, bool | None]] = field(default_factory=list)

    def add(self, target: str, figure: str, where: str, met: bool | None) -> None:
        self.rows.append((target, figure, where, met))


def targets_of(imports: ImportBench | None, charts: ChartLoad | None) -> Targets:
    t = Targets()
    if imports is not None:
        ratio = imports.import_new.seconds / imports.raw_copy_median
        ratio_process = imports.import_new.seconds / imports.raw_process_median
        t.add(
            f"import of the national file ≤ {IMPORT_RATIO_TARGET:g}× a raw COPY",
            f"{ratio:.1f}× the COPY statement, {ratio_process:.1f}× the whole raw-COPY process "
            f"({imports.import_new.seconds:.2f} s vs {imports.raw_copy_median:.2f} s / "
            f"{imports.raw_process_median:.2f} s)",
            "section 5",
            ratio <= IMPORT_RATIO_TARGET,
        )
        peak = max(imports.import_new.max_rss_kib or 0, imports.import_replace.max_rss_kib or 0)
        t.add(
            "import peak memory < 1 GiB",
            f"{mib(imports.import_new.max_rss_kib)} MiB (new data), "
            f"{mib(imports.import_replace.max_rss_kib)} MiB (replacing every value)",
            "section 5",
            0 < peak < IMPORT_RSS_TARGET_KIB,
        )
    if charts is not None:
        for concurrency, results in charts.results.items():
            for r, (_, _, _, target) in zip(results, CHART_TARGETS, strict=True):
                if target is None:
                    continue
                t.add(
                    f"{r.label} p95 < {target * 1000:.0f} ms (concurrency {concurrency})",
                    f"{ms(p95(r))} ms",
                    "section 6",
                    r.ok and p95(r) < target,
                )
    return t


def report(
    *,
    machine: dict[str, str],
    db_url: str,
    migrate: CommandRun,
    denmark: list[tuple[CommandRun, dict[str, str]]],
    register_only: CommandRun,
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
    charts: ChartLoad | None,
    charts_error: str,
    imports: ImportBench | None,
    imports_error: str,
    load_at_start: str,
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
    w(f"| Load average (1/5/15 min) at the start | {load_at_start} |")
    w(f"| Total bench time | {total:.0f} s |\n")

    w("## Targets\n")
    targets = targets_of(imports, charts)
    w("| Target (from the issue) | This run | Where | Met? |")
    w("|---|---|---|---|")
    for target, figure, where, met in targets.rows:
        w(f"| {target} | {figure} | {where} | {yes(bool(met))} |")
    if imports_error:
        w(f"| import targets | not measured: {imports_error} | section 5 | **missed** |")
    if charts_error:
        w(f"| chart targets | not measured: {charts_error} | section 6 | **missed** |")
    w("")

    w("## 1. Dataset generation (`generate_dataset`)\n")
    w(
        "Wall time of the whole `manage.py` process (interpreter start, Django setup, "
        "generation in one transaction, demo users and, unless `--no-indicators`, 60 months "
        "of the 13 indicators for every clinic, written by the import's writer), peak RSS from "
        f"{denmark[0][0].rss_source}. Since the quality app, `generate_dataset` writes the "
        "indicator values by default, so these figures are not comparable with runs before "
        "it; the register-only row is.\n"
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
    w(
        "| denmark, register only | `generate_dataset --scale denmark --seed 1 --replace "
        f"--no-indicators` | {register_only.seconds:.2f} | {mib(register_only.max_rss_kib)} | | | |"
    )
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
        f"Regenerating denmark with `--replace` after the england run (for the page test and "
        f"step 1 of section 5) took **{regenerate.seconds:.2f} s** (peak RSS "
        f"{mib(regenerate.max_rss_kib)} MiB), including deleting the england-sized register "
        f"and its values. `migrate` on the empty database took {migrate.seconds:.1f} s and "
        f"`VACUUM ANALYZE` + `CHECKPOINT` before the page test {vacuum_seconds:.1f} s (neither "
        "is part of the figures above).\n"
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
        w(latency_row(r))
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
    w(
        "Second request to each URL in one process, against the same bench database. SQL "
        "time is the sum of the queries' times as the database cursor sees them "
        "(`perf_counter` around each `execute`, which includes the round trip).\n"
    )
    w("| URL | Status | Queries | SQL time (ms) | Slowest query (ms) |")
    w("|---|---|---:|---:|---|")
    for path, q in queries.get("anonymous", {}).items():
        slowest = q["slowest"][0] if q["slowest"] else [0, ""]
        w(
            f"| `{path}` | {q['status']} | {q['queries']} | {q['sql_ms']} | {slowest[0]}: `{md_sql(slowest[1])}…` |"
        )
    w("")

    report_imports(w, imports, imports_error)
    report_charts(w, charts, charts_error, queries, gunicorn_cmd)

    w("## Exact commands\n")
    w("```sh")
    w(f"export DATABASE_URL={safe_url}")
    w("python manage.py migrate --no-input -v 0")
    w("python manage.py generate_dataset --scale denmark --seed 1            # run 1")
    w("python manage.py generate_dataset --scale denmark --seed 1 --replace  # runs 2, 3")
    w("python manage.py generate_dataset --scale denmark --seed 1 --replace --no-indicators")
    w("python manage.py generate_dataset --scale england --seed 1 --replace")
    w(
        "python manage.py generate_dataset --scale denmark --seed 1 --replace  # pages, charts, import"
    )
    w("psql -c 'VACUUM ANALYZE' -c 'CHECKPOINT'")
    w("python manage.py export_register --format csv --output <tmp>/klynger.csv")
    w("python manage.py shell -c '<test client + CaptureQueriesContext>'     # sections 4 and 6")
    w(
        "KLYNGE_DEBUG=0 KLYNGE_SECRET_KEY=bench KLYNGE_ALLOWED_HOSTS=127.0.0.1 PYTHONPATH=src \\\n  "
        + gunicorn_cmd.replace("<port>", "PORT")
    )
    for _, path, count in LOAD_TARGETS:
        w(f"# {count} × GET {path}, concurrency {CONCURRENCY}")
    w(f"# log in as {DEMO_MEMBER} (POST /konto/login/), then for concurrency 1 and 4:")
    for _, template, count, _ in CHART_TARGETS:
        w(f"# {count} × GET {template.format(slug='<slug>', code=CHART_INDICATOR)}")
    w("python manage.py export_indicators --output <tmp>/values.csv")
    w("psql -c 'TRUNCATE quality_indicatorvalue, quality_replacedvalue'")
    w(
        "psql -c CHECKPOINT                                                   # before each timed write"
    )
    w("python manage.py import_indicators <tmp>/values.csv                  # new data")
    w(
        "psql -c 'CREATE TABLE bench_raw (provider_number text, indicator text, period text, "
        "numerator text, denominator text)'"
    )
    w(
        f"psql -c '\\copy bench_raw FROM <tmp>/values.csv WITH (FORMAT csv, HEADER true)'  # via psycopg, × {RAW_COPY_RUNS}"
    )
    w("python manage.py import_indicators <tmp>/values.csv                  # replaces every value")
    w(
        "python manage.py shell -c 'import_run_undo(actor=None, run=ImportRun.objects.latest(\"pk\"))'"
    )
    w("python manage.py check                                               # startup cost")
    w("```")
    w("Each `manage.py` command runs under `/usr/bin/time -v` when it exists.")
    return "\n".join(out) + "\n"


def report_imports(w, imports: ImportBench | None, error: str) -> None:
    w("## 5. Indicator import vs a raw COPY (national demo data)\n")
    if imports is None:
        w(f"Not measured: {error}\n")
        return
    ratio = imports.import_new.seconds / imports.raw_copy_median
    ratio_process = imports.import_new.seconds / imports.raw_process_median
    w(
        f"Target (issue): the import within **{IMPORT_RATIO_TARGET:g}×** the time of a raw "
        "`COPY` of the same file, and peak memory under **1 GiB**.\n"
    )
    w(
        f"The file: `export_indicators --output <tmp>/values.csv` of the freshly generated "
        f"denmark data wrote **{imports.rows:,} rows, {imports.size_bytes / 1e6:.1f} MB** "
        f"({imports.size_bytes / 2**20:.1f} MiB) in {imports.export.seconds:.2f} s (peak RSS "
        f"{mib(imports.export.max_rss_kib)} MiB). Then `TRUNCATE quality_indicatorvalue, "
        f"quality_replacedvalue` ({imports.truncate_seconds:.2f} s; the register stays). Each "
        "timed write below starts after a `CHECKPOINT`, so none pays for flushing the "
        "previous one's pages.\n"
    )
    w("| Step | Wall time (s) | Peak RSS (MiB) | Result |")
    w("|---|---:|---:|---|")
    n, r = imports.new_summary, imports.replace_summary
    w(
        f"| `import_indicators values.csv`, new data (COPY path) | **{imports.import_new.seconds:.2f}** "
        f"| **{mib(imports.import_new.max_rss_kib)}** | {int(n['rows']):,} rows, "
        f"{int(n['replaced']):,} replaced (import #{n['run']}) |"
    )
    for i, raw in enumerate(imports.raw, 1):
        w(
            f"| raw COPY #{i}: the `COPY` statement | {raw.copy:.2f} | | {raw.rows:,} rows into "
            "`bench_raw` (5 text columns, no index) |"
        )
        w(
            f"| raw COPY #{i}: whole `python -c` process | {raw.run.seconds:.2f} "
            f"| {mib(raw.run.max_rss_kib)} | connect {raw.connect * 1000:.0f} ms, "
            f"commit {raw.commit * 1000:.0f} ms |"
        )
    w(
        f"| **raw COPY, median** (statement / process) | **{imports.raw_copy_median:.2f}** / "
        f"**{imports.raw_process_median:.2f}** | | |"
    )
    w(
        f"| `import_indicators values.csv` again: every row replaces a value (upsert + undo backup) "
        f"| **{imports.import_replace.seconds:.2f}** | {mib(imports.import_replace.max_rss_kib)} "
        f"| {int(r['rows']):,} rows, {int(r['replaced']):,} replaced (import #{r['run']}) |"
    )
    u = imports.undo_summary
    w(
        f"| undo that import (`import_run_undo` in `manage.py shell -c`) | {imports.undo.seconds:.2f} "
        f"(in process **{u['seconds']:.2f}**) | {mib(imports.undo.max_rss_kib)} | run #{u['run']} "
        f"{u['status']}; {u['values']:,} values, {u['replaced']:,} backups left |"
    )
    w(
        f"| `manage.py check` (startup every command pays) | {imports.startup.seconds:.2f} "
        f"| {mib(imports.startup.max_rss_kib)} | interpreter, Django setup, system checks |"
    )
    w("")
    w(
        f"Ratio import / raw COPY: **{ratio:.1f}×** against the bare `COPY` statement, "
        f"**{ratio_process:.1f}×** against the whole raw-COPY process (interpreter, psycopg, "
        f"connect, COPY, commit). Target ≤ {IMPORT_RATIO_TARGET:g}×: "
        f"{yes(ratio <= IMPORT_RATIO_TARGET)} (statement), "
        f"{yes(ratio_process <= IMPORT_RATIO_TARGET)} (process). "
        f"Peak RSS < 1 GiB: {yes(0 < (imports.import_new.max_rss_kib or 0) < IMPORT_RSS_TARGET_KIB)} "
        f"(new data), {yes(0 < (imports.import_replace.max_rss_kib or 0) < IMPORT_RSS_TARGET_KIB)} "
        "(replacing).\n"
    )
    w(
        "The raw COPY is a floor, not the same work: the import also starts Django, checks "
        "every cell (CPR scan, formats, lookups, duplicates), converts to typed columns, sorts, "
        "and writes typed rows into `quality_indicatorvalue`, whose key index is maintained row "
        "by row; the raw table has no index. The undo's slowest statements: "
        + "; ".join(f"{t:.2f} s `{md_sql(sql, 90)}`" for t, sql in u["slowest"][:3])
        + ".\n"
    )
    if imports.phases:
        report_phases(w, imports.phases)


def report_phases(w, data: dict) -> None:
    w("### Where the import's time and memory go (in-process phases)\n")
    w(
        "`services.import_run_create` and `import_run_execute` once more in one `manage.py "
        "shell` process, with its steps wrapped by timers (no change to `src/`): first into "
        "the emptied table, then the same file again. Peak RSS is the process's high-water "
        "mark so far (`ru_maxrss`), so a jump shows the step that set it. SQL statements of "
        "20 ms or more are listed; `COPY` goes through psycopg's copy API and is inside the "
        f"`_insert_new` / `_stage` lines. Baseline RSS after Django setup: "
        f"{mib(data['totals']['baseline_rss'])} MiB.\n"
    )
    labels = {"new": "new data", "replace": "replacing every value"}
    for label in ("new", "replace"):
        total = data["totals"].get(label)
        if not total:
            continue
        w(
            f"**{labels[label]}**: {total['seconds']:.2f} s in process, {total['rows']:,} rows, "
            f"{total['replaced']:,} replaced, status {total['status']}.\n"
        )
        w("| Step | Starts at (s) | Time (s) | Peak RSS so far (MiB) |")
        w("|---|---:|---:|---:|")
        rows = sorted((p for p in data["phases"] if p[0] == label), key=lambda p: p[3])
        origin = rows[0][3] if rows else 0.0
        for _, depth, name, start, seconds, peak in rows:
            indent = "&nbsp;&nbsp;&nbsp;&nbsp;" * depth
            shown = f"`{md_sql(name[4:], 90)}…`" if name.startswith("SQL ") else name
            prefix = "SQL " if name.startswith("SQL ") else ""
            w(f"| {indent}{prefix}{shown} | {start - origin:.2f} | {seconds:.2f} | {mib(peak)} |")
        w("")


def report_charts(
    w, charts: ChartLoad | None, error: str, queries: dict, gunicorn_cmd: str
) -> None:
    w("## 6. Quality charts at national data volume (logged in, gunicorn, PostgreSQL)\n")
    w(
        f"Target (issue): p95 under **{CHART_P95_TARGET * 1000:.0f} ms** for the funnel "
        "(`tragt.json`) and run-chart (`forloeb.json`) endpoints. The HTML indicator page and "
        "the cluster's data dashboard have no target and are measured for comparison.\n"
    )
    cluster = queries.get("cluster")
    if cluster:
        w(
            f"Data: the generated denmark set ({queries.get('values', 0):,} indicator values: 60 "
            f"months × 13 indicators × every clinic). Viewer: the demo member `{DEMO_MEMBER}` "
            f"({cluster['clinic']}), whose cluster is **{cluster['name']}** (`{cluster['slug']}`, "
            f"{cluster['members']} member clinics); indicator `{CHART_INDICATOR}`, default window "
            "(latest month, 3 months).\n"
        )
    if charts is None:
        w(f"Not measured: {error}\n")
        return
    w(
        f"Same gunicorn as section 3 (`{gunicorn_cmd}`, `KLYNGE_DEBUG=0`). The client logs in "
        f"through allauth's form (GET `/konto/login/` for the CSRF cookie, POST `login`, "
        f"`password`, `csrfmiddlewaretoken` with a Referer; {charts.login_seconds * 1000:.0f} ms "
        "including the password hash) and sends the session cookie with every request. The home "
        f"page links to the cluster: {'yes' if charts.home_links_cluster else 'NO'}. "
        f"{CHART_WARMUP} warm-up requests per URL (they also fill each worker's caches, so "
        "these are warm-cache figures; the first request after an import pays more), then "
        "each URL in turn with a thread pool of "
        f"{' and then '.join(str(c) for c in CHART_CONCURRENCY)}; one new connection per "
        "request; latency is client-side. The indicator page and the dashboard get fewer "
        "requests because each takes several times longer (the bench stays under 6 minutes).\n"
    )
    w(
        "| URL | Requests | Status | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | req/s | Body | Check |"
    )
    w("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for concurrency, results in charts.results.items():
        before, after = charts.loadavg[concurrency]
        w(
            f"| ***concurrency {concurrency}*** (load average {before} → {after}) | | | | | | | | | |"
        )
        for r in results:
            w(latency_row(r))
    w("")
    all_ok = all(r.ok for results in charts.results.values() for r in results)
    w(f"All responses HTTP 200: **{'yes' if all_ok else 'NO'}**.")
    if charts.worker_peaks:
        w(
            "gunicorn worker peak RSS (VmHWM) after sections 3 and 6: "
            f"{', '.join(mib(p) for p in charts.worker_peaks)} MiB."
        )
    w("")
    for concurrency, results in charts.results.items():
        verdicts = [
            f"{r.label} p95 {ms(p95(r))} ms {yes(r.ok and p95(r) < target)}"
            for r, (_, _, _, target) in zip(results, CHART_TARGETS, strict=True)
            if target is not None
        ]
        w(f"- Concurrency {concurrency}: " + "; ".join(verdicts) + ".")
    w("")
    member = queries.get("member", {})
    if member:
        w("### Queries per request (Django test client as the member)\n")
        w(
            "Second request to each URL in one process (`force_login`), queries from "
            "`CaptureQueriesContext`, timed with `perf_counter` around each `execute` "
            "(round trip included); *in-process* is the median of "
            f"{PROBE_TIMED_REQUESTS} further requests through the test client (no HTTP, no "
            "gunicorn, no query capture).\n"
        )
        w("| URL | Status | Queries | SQL time (ms) | In-process (ms) | Slowest queries (ms) |")
        w("|---|---|---:|---:|---:|---|")
        for path, q in member.items():
            slowest = "<br>".join(f"{t}: `{md_sql(sql, 200)}…`" for t, sql in q["slowest"])
            w(
                f"| `{path}` | {q['status']} | {q['queries']} | {q['sql_ms']} "
                f"| {q['median_ms']} | {slowest} |"
            )
        w("")


# --- Main -----------------------------------------------------------------------------------


def main() -> int:
    started = time.perf_counter()
    load_at_start = load_average()
    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB_URL)
    log(f"recreating {db_url} (load average {load_at_start})")
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

    register_only = run_manage(
        ["generate_dataset", "--scale", "denmark", "--seed", "1", "--replace", "--no-indicators"],
        env,
    )
    log(f"denmark, register only: {register_only.seconds:.2f} s")

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
    log(f"denmark regenerated for the pages, charts and import: {regenerate.seconds:.2f} s")
    vacuum_seconds = vacuum_analyze(db_url)

    charts: ChartLoad | None = None
    imports: ImportBench | None = None
    charts_error = imports_error = ""
    with tempfile.TemporaryDirectory(prefix="klynge-bench-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "klynger.csv"
        export = run_manage(["export_register", "--format", "csv", "--output", str(csv_path)], env)
        export_lines = len(csv_path.read_text(encoding="utf-8").splitlines())
        log(f"export: {export.seconds:.2f} s, {export_lines} lines")

        log("query probe (anonymous pages, and the charts as the demo member)")
        queries = query_probe(db_url)
        slug = queries.get("cluster", {}).get("slug")

        with gunicorn_server(db_url, workdir) as server:
            loads, worker_peaks, loadavg = run_load(server)
            gunicorn_cmd = server.command
            if slug:
                try:
                    charts = run_chart_load(server, slug)
                except Exception as exc:  # report it with the other figures
                    charts_error = f"{type(exc).__name__}: {exc}"
            else:
                charts_error = f"no cluster found for {DEMO_MEMBER}"
        gunicorn_log = (workdir / "gunicorn.log").read_text()

        try:
            imports = run_import_bench(db_url, workdir)
        except Exception as exc:
            imports_error = f"{type(exc).__name__}: {str(exc)[:2000]}"
            log(f"import bench failed: {imports_error}")

    text = report(
        machine=machine_info(pg_version),
        db_url=db_url,
        migrate=migrate,
        denmark=denmark,
        register_only=register_only,
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
        charts=charts,
        charts_error=charts_error,
        imports=imports,
        imports_error=imports_error,
        load_at_start=load_at_start,
        total=time.perf_counter() - started,
    )
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    log(f"wrote {RESULTS.relative_to(REPO)}")

    problems = [r for r in loads if not r.ok]
    if charts is not None:
        problems += [r for results in charts.results.values() for r in results if not r.ok]
    failures = [f"{r.path}: statuses {r.statuses}, errors {r.errors[:3]}" for r in problems]
    if export_lines != EXPECTED_EXPORT_LINES:
        failures.append(
            f"export_register wrote {export_lines} lines, expected {EXPECTED_EXPORT_LINES}"
        )
    if charts_error:
        failures.append(f"charts: {charts_error}")
    if imports_error:
        failures.append(f"import: {imports_error}")
    if imports is not None:
        restored = imports.undo_summary["values"]
        if int(imports.new_summary["rows"]) != imports.rows or restored != imports.rows:
            failures.append(
                f"import: exported {imports.rows} rows, imported {imports.new_summary['rows']}, "
                f"{restored} values after the undo"
            )
    for failure in failures:
        print(failure)
    if problems or charts_error:
        print("gunicorn log (tail):\n" + "\n".join(gunicorn_log.splitlines()[-40:]))
    summary = targets_of(imports, charts)
    print("Targets:")
    for target, figure, _, met in summary.rows:
        print(f"  {'met   ' if met else 'MISSED'}  {target}: {figure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
