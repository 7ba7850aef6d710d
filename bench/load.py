"""Klynge load test (issue 16, point 6): 50 concurrent members, coordinators and regional
staff on the main pages for a minute at national volume, with zero errors, on a
dedicated PostgreSQL database with the Denmark-scale demo data.

    make bench-load              # or: .venv/bin/python bench/load.py

Each simulated user logs in once through the real login form (`/konto/login/`, CSRF)
with an account of its own, then browses: the start page, the cluster overview, their
cluster's page, its quality dashboard and an indicator page, its meetings, and (a
coordinator) its books or (regional staff) the coverage page. The load generator is
locust, headless, as a separate process (`bench/locustfile.py`); the server is gunicorn
with production settings (debug off) on 127.0.0.1.

Environment:
    BENCH_LOAD_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/klynge_bench_load
                             (dropped and recreated, dropped again at the end; must be
                             on 127.0.0.1/localhost and its name must contain "bench")
    BENCH_KEEP=1             keep the database (and reuse it on the next run with
                             BENCH_LOAD_REUSE=1, which skips migrate and generation)
    BENCH_LOAD_USERS         simulated users (default 50)
    BENCH_LOAD_SECONDS       seconds with every user logged in and browsing (default 60)
    BENCH_LOAD_WAIT          think time between pages, "min,max" seconds (default "1,5")

Appends (or replaces) the "Load" section of bench/RESULTS.md and prints the same text.
The exit status is 1 if any request failed (anything but the expected status), if no
request was made, or if the server logged an error.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "RESULTS.md"
LOCUSTFILE = REPO / "bench" / "locustfile.py"
PYTHON = str(Path(sys.executable))
VENV_BIN = Path(sys.executable).parent
MANAGE = str(REPO / "manage.py")
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/klynge_bench_load"
VARIABLE = "BENCH_LOAD_DATABASE_URL"
SECTION = "## Load: members and coordinators at national volume (issue 16)"

PASSWORD = "klynge-demo"  # the demo dataset's password (registry.dataset.DEMO_PASSWORD)
INDICATOR = "ab_broad_spectrum"
USERS = int(os.environ.get("BENCH_LOAD_USERS", "50"))
STEADY_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
WAIT = os.environ.get("BENCH_LOAD_WAIT", "1,5")
SPAWN_RATE = 2.0  # users a second: each login is a deliberately slow password hash
REGIONAL_USERS = 5  # the demo's regional quality units (coverage page)
COORDINATOR_SHARE = 0.4  # of the doctors: coordinators (books), the rest members
GUNICORN_WORKERS = 5  # (2 × cores) + 1, gunicorn's rule of thumb, on 2 cores
SAMPLE_SECONDS = 5.0
COMMAND_TIMEOUT = 900.0


def log(message: str) -> None:
    print(f"[bench-load {time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)


# --- Locust's stats CSV -------------------------------------------------------------------


@dataclass
class PageStats:
    """One row of locust's `<prefix>_stats.csv` (times in ms; locust rounds stored
    response times to two significant figures above 100 ms, so the percentiles are too)."""

    method: str
    name: str
    requests: int
    failures: int
    median_ms: float
    average_ms: float
    max_ms: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass
class Summary:
    pages: list[PageStats]
    total: PageStats
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.total.requests > 0 and self.total.failures == 0 and not self.failures


def _number(value: str) -> float:
    value = (value or "").strip()
    return 0.0 if value in {"", "N/A"} else float(value)


def parse_stats_csv(text: str) -> Summary:
    """Parse locust's stats CSV: one row per named request and an "Aggregated" row.
    Raises ValueError if the columns this report needs are missing or there is no
    aggregated row."""
    reader = csv.DictReader(io.StringIO(text))
    needed = {"Type", "Name", "Request Count", "Failure Count", "Requests/s", "50%", "95%", "99%"}
    missing = needed - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"not a locust stats CSV; missing columns: {sorted(missing)}")
    pages: list[PageStats] = []
    total: PageStats | None = None
    for row in reader:
        stats = PageStats(
            method=row["Type"],
            name=row["Name"],
            requests=int(_number(row["Request Count"])),
            failures=int(_number(row["Failure Count"])),
            median_ms=_number(row.get("Median Response Time", "")),
            average_ms=_number(row.get("Average Response Time", "")),
            max_ms=_number(row.get("Max Response Time", "")),
            rps=_number(row["Requests/s"]),
            p50_ms=_number(row["50%"]),
            p95_ms=_number(row["95%"]),
            p99_ms=_number(row["99%"]),
        )
        if row["Name"] == "Aggregated":
            total = stats
        else:
            pages.append(stats)
    if total is None:
        raise ValueError("the locust stats CSV has no Aggregated row")
    return Summary(pages=pages, total=total)


def parse_failures_csv(text: str) -> list[dict[str, str]]:
    """locust's `<prefix>_failures.csv`: Method, Name, Error, Occurrences."""
    return [dict(row) for row in csv.DictReader(io.StringIO(text)) if row.get("Name")]


def stats_table(summary: Summary) -> list[str]:
    """The per-page Markdown table of the report."""
    lines = [
        "| Page | Requests | Failures | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in [*sorted(summary.pages, key=lambda p: p.name), summary.total]:
        name = "**All requests**" if p is summary.total else f"{p.method} `{p.name}`"
        lines.append(
            f"| {name} | {p.requests} | {p.failures} | {p.p50_ms:.0f} | **{p.p95_ms:.0f}** "
            f"| {p.p99_ms:.0f} | {p.max_ms:.0f} | {p.rps:.1f} |"
        )
    return lines


# --- Load average -------------------------------------------------------------------------


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def fmt_load(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in values)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (from /proc), None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def server_processes(master: int, db_name: str) -> dict[int, str]:
    """gunicorn's workers (children of `master`) and the PostgreSQL backends serving
    `db_name`, by pid: "gunicorn" or "postgres"."""
    found: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            pid = int(stat.parent.name)
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                found[pid] = "gunicorn"
                continue
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if cmdline.startswith("postgres: ") and f" {db_name} " in cmdline:
                found[pid] = "postgres"
    return found


class Sampler(threading.Thread):
    """Samples the load average, the database's connections and the CPU time of the
    server's processes (gunicorn workers, PostgreSQL backends) every few seconds."""

    def __init__(self, db_url: str, name: str, master: int) -> None:
        super().__init__(daemon=True)
        self.db_url, self.db_name, self.master = db_url, name, master
        self.samples: list[tuple[float, tuple[float, float, float], int | None]] = []
        self.stop = threading.Event()
        self.started = time.monotonic()
        self.cpu_start: dict[int, float] = {}
        self.cpu_last: dict[int, float] = {}
        self.kind: dict[int, str] = {}
        self.sample_cpu(first=True)

    def sample_cpu(self, first: bool = False) -> None:
        for pid, kind in server_processes(self.master, self.db_name).items():
            cpu = process_cpu(pid)
            if cpu is None:
                continue
            self.kind[pid] = kind
            if first:
                self.cpu_start[pid] = cpu
            else:
                self.cpu_start.setdefault(pid, 0.0)  # a process started during the run
            self.cpu_last[pid] = cpu

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used during the run by kind (a backend that ended between two
        samples loses at most its last few seconds)."""
        totals = {"gunicorn": 0.0, "postgres": 0.0}
        for pid, last in self.cpu_last.items():
            totals[self.kind[pid]] += last - self.cpu_start.get(pid, 0.0)
        return totals

    def connections(self) -> int | None:
        import psycopg

        with (
            contextlib.suppress(Exception),
            psycopg.connect(self.db_url, connect_timeout=5, autocommit=True) as conn,
        ):
            row = conn.execute(
                "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = %s",
                [self.db_name],
            ).fetchone()
            return int(row[0]) if row else None
        return None

    def run(self) -> None:
        while not self.stop.wait(SAMPLE_SECONDS):
            self.samples.append(
                (time.monotonic() - self.started, load_average(), self.connections())
            )
            self.sample_cpu()

    def finish(self) -> None:
        self.stop.set()
        self.join(timeout=15)
        self.sample_cpu()


# --- Database and accounts ----------------------------------------------------------------

ACCOUNTS = r"""
import json, os
from django.contrib.auth.hashers import make_password
from django.db import transaction
from klynge.accounts.models import User
from klynge.registry.models import Cluster, Participation, RoleAssignment, RoleKind
from klynge.registry.selectors import region_of, staff_region
from klynge.core.dates import today

cfg = json.loads(os.environ["BENCH_LOAD_SETUP"])
on = today()
domain = "demo.klynge.test"
accounts = []

# The demo's own logins: the demo cluster's coordinator and treasurer (books), a member
# there and a member of another cluster.
demo_kinds = {"koordinator": "coordinator", "kasserer": "coordinator", "laege": "member",
              "laege2": "member"}
for local, kind in demo_kinds.items():
    user = User.objects.get(email=f"{local}@{domain}")
    cluster = (RoleAssignment.objects.active_on(on).filter(doctor__user=user).first()
               or Participation.objects.active_on(on).filter(doctor__user=user).first()).cluster
    accounts.append({"email": user.email, "kind": kind, "slug": cluster.slug})

# The regional quality units serving a region today; each looks at a cluster there.
clusters = list(Cluster.objects.select_related("municipality").order_by("name"))
regional = []
for user in User.objects.filter(email__startswith="region.", email__endswith="@" + domain).order_by("email"):
    post = staff_region(user, on)
    if post is None:
        continue
    cluster = next((c for c in clusters if getattr(region_of(c.municipality_id, on), "pk", None) == post.pk), None)
    if cluster is not None:
        regional.append({"email": user.email, "kind": "region", "slug": cluster.slug})
accounts += regional[: cfg["regional"]]

# More doctors get a login, one per cluster: coordinators from one end of the clusters
# by name, members (no role) from the other, so the users spread over the country.
password = make_password(cfg["password"])
remaining = max(0, cfg["users"] - len(accounts))
n_coordinators = round(remaining * cfg["coordinator_share"])
used = {a["slug"] for a in accounts}
with transaction.atomic():
    for ra in (RoleAssignment.objects.active_on(on)
               .filter(role=RoleKind.COORDINATOR, doctor__user__isnull=True)
               .select_related("doctor", "cluster").order_by("cluster__name")):
        if n_coordinators <= 0:
            break
        if ra.cluster.slug in used:
            continue
        used.add(ra.cluster.slug)
        email = f"load.koordinator.{ra.cluster.slug}@bench.klynge.test"
        ra.doctor.user = User.objects.create(email=email, name=ra.doctor.name, password=password)
        ra.doctor.save(update_fields=["user"])
        accounts.append({"email": email, "kind": "coordinator", "slug": ra.cluster.slug})
        n_coordinators -= 1
    holders = set(RoleAssignment.objects.active_on(on).values_list("doctor_id", flat=True))
    for p in (Participation.objects.active_on(on).filter(doctor__user__isnull=True)
              .exclude(doctor_id__in=holders).select_related("doctor", "cluster")
              .order_by("-cluster__name", "doctor_id")):
        if len(accounts) >= cfg["users"]:
            break
        if p.cluster.slug in used:
            continue
        used.add(p.cluster.slug)
        email = f"load.medlem.{p.cluster.slug}@bench.klynge.test"
        p.doctor.user = User.objects.create(email=email, name=p.doctor.name, password=password)
        p.doctor.save(update_fields=["user"])
        accounts.append({"email": email, "kind": "member", "slug": p.cluster.slug})
import time
from django.contrib.auth.hashers import check_password
started = time.process_time()
for _ in range(3):
    check_password(cfg["password"], password)
hash_ms = (time.process_time() - started) / 3 * 1000
print("LOAD_ACCOUNTS " + json.dumps({"accounts": accounts, "hash_ms": hash_ms}))
"""


def run_manage(args: list[str], env: dict[str, str], *, timeout: float = COMMAND_TIMEOUT):
    start = time.perf_counter()
    proc = subprocess.run(
        [PYTHON, MANAGE, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args[:2])} failed ({proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc, time.perf_counter() - start


def make_accounts(env: dict[str, str]) -> dict:
    """Logins for doctors in the bench database; returns {"accounts", "hash_ms"} (the CPU
    time of one password check)."""
    setup = {
        "users": USERS,
        "regional": REGIONAL_USERS,
        "coordinator_share": COORDINATOR_SHARE,
        "password": PASSWORD,
    }
    proc, _ = run_manage(
        ["shell", "-v", "0", "-c", ACCOUNTS], {**env, "BENCH_LOAD_SETUP": json.dumps(setup)}
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith("LOAD_ACCOUNTS "))
    return json.loads(line.removeprefix("LOAD_ACCOUNTS "))


def database_has_accounts(env: dict[str, str]) -> bool:
    code = (
        "from klynge.accounts.models import User;"
        "print('LOAD_USERS', User.objects.filter(email__endswith='@bench.klynge.test').count())"
    )
    with contextlib.suppress(RuntimeError):
        proc, _ = run_manage(["shell", "-v", "0", "-c", code], env, timeout=120)
        for line in proc.stdout.splitlines():
            if line.startswith("LOAD_USERS "):
                return int(line.split()[1]) > 0
    return False


# --- Server and load ----------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int, log_path: Path):
    argv = [
        str(VENV_BIN / "gunicorn"),
        "klynge.config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(GUNICORN_WORKERS),
        "--timeout",
        "30",
        "--chdir",
        str(REPO),
    ]
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
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {log_path}")
                try:
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}/konto/login/",
                        headers={"X-Forwarded-Proto": "https"},
                    )
                    with urllib.request.urlopen(request, timeout=10) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer within 60 s")
                time.sleep(0.5)
            yield " ".join([".venv/bin/gunicorn", *argv[1:]]).replace(str(REPO), "<repo>"), proc.pid
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)


def locust_argv(host: str, csv_prefix: Path, run_seconds: int) -> list[str]:
    return [
        str(VENV_BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        str(SPAWN_RATE),
        "--run-time",
        f"{run_seconds}s",
        "--stop-timeout",
        "15",
        "--host",
        host,
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]


SERVER_ERRORS = ("Traceback", "WORKER TIMEOUT", "[ERROR]", "Internal Server Error")


def server_errors(log_text: str) -> list[str]:
    return [line for line in log_text.splitlines() if any(m in line for m in SERVER_ERRORS)]


# --- Report -------------------------------------------------------------------------------


def report(summary: Summary, meta: dict) -> str:
    kinds: dict[str, int] = {}
    for account in meta["accounts"]:
        kinds[account["kind"]] = kinds.get(account["kind"], 0) + 1
    L: list[str] = []
    add = L.append
    add(SECTION)
    add("")
    add(
        f"Generated by `bench/load.py` (`make bench-load`) on {meta['date']}, commit "
        f"{meta['commit']}; {meta['machine']}, Python {platform.python_version()}. "
        f"Database `{meta['db']}`: `generate_dataset --scale denmark --seed 1` "
        f"({meta['generate']}), then one login each for {len(meta['accounts'])} accounts."
    )
    add("")
    add(
        f"**{USERS} simulated users** ({kinds.get('member', 0)} members, "
        f"{kinds.get('coordinator', 0)} coordinators or treasurers, "
        f"{kinds.get('region', 0)} regional quality units; {meta['clusters']} different "
        f"clusters), each with its own account, log in once through `/konto/login/` "
        f"(GET the form, POST with the CSRF token) and then browse with "
        f"{WAIT.replace(',', '–')} s of think time between pages: the start page, the overview, "
        f"their cluster's page, its quality dashboard and indicator page "
        f"(`{INDICATOR}`), its meetings, and the books (coordinators) or coverage "
        f"(regional staff). locust {meta['locust']} (`bench/locustfile.py`), headless, "
        f"{SPAWN_RATE:g} users a second, so the first {meta['ramp']} s are the ramp and "
        f"the logins; then **{STEADY_SECONDS} s with all {USERS} users** "
        f"(run time {meta['run_seconds']} s in all; the figures cover all of it). "
        "A page fails unless it answers 200 (redirects are not followed, so a lost "
        "session would show as a failure); a login fails unless it answers 302 with a "
        "session."
    )
    add("")
    add(
        f"Server: `{meta['gunicorn']}` (sync workers) with `KLYNGE_DEBUG=0`, "
        "`KLYNGE_HTTPS=1` behind one trusted proxy: the client plays the TLS proxy and "
        "sends `X-Forwarded-Proto: https` and an address of its own per user in "
        "`X-Forwarded-For`, so allauth's per-address login limit (30 a minute) applies "
        "per user as in production, not to all 50 on 127.0.0.1; `KLYNGE_SECURE_COOKIES=0` "
        "because the client speaks plain HTTP. PostgreSQL "
        f"{meta['pg']}, `CONN_MAX_AGE=60`. The load generator, the server and "
        "PostgreSQL share the same 2 cores, and other jobs ran on the machine."
    )
    add("")
    add(
        f"Result: **{summary.total.requests} requests, {summary.total.failures} failures**"
        f"{' (zero errors: target met)' if summary.ok else ' (**target missed**)'}; "
        f"{summary.total.rps:.1f} requests/s overall; server log errors: "
        f"{len(meta['server_errors'])}; database connections at most "
        f"{meta['max_connections']} (of max_connections {meta['pg_max_connections']})."
    )
    cpu = meta["cpu"]
    cpu_total = cpu["gunicorn"] + cpu["postgres"]
    logins = sum(p.requests for p in summary.pages if p.name == "login (POST)")
    pages = max(1, summary.total.requests - 2 * logins)
    hashing = logins * meta["hash_ms"] / 1000
    per_page = max(0.0, cpu_total - hashing) / pages
    add(
        f"Server CPU during the run (from /proc): gunicorn workers {cpu['gunicorn']:.1f} s, "
        f"PostgreSQL backends {cpu['postgres']:.1f} s. One password check costs "
        f"{meta['hash_ms']:.0f} ms of CPU (Django's PBKDF2), so the {logins} logins took "
        f"about {hashing:.0f} s; the rest is about **{per_page * 1000:.0f} ms of server CPU "
        f"per page**, i.e. 2 free cores could serve about {2 / per_page if per_page else 0:.0f} "
        f"pages a second, while {USERS} users with a mean think time of "
        f"{sum(float(x) for x in WAIT.split(',')) / 2:g} s ask for up to "
        f"{USERS / (sum(float(x) for x in WAIT.split(',')) / 2):.0f}."
    )
    add("")
    L.extend(stats_table(summary))
    add("")
    if summary.failures:
        add("Failures (locust's `_failures.csv`):")
        add("")
        for f in summary.failures:
            add(
                f"- {f.get('Method', '')} `{f.get('Name', '')}`: {f.get('Error', '')} × {f.get('Occurrences', '')}"
            )
        add("")
    if meta["server_errors"]:
        add("Server log lines with errors (first 10):")
        add("")
        add("```")
        L.extend(meta["server_errors"][:10])
        add("```")
        add("")
    add("Load average (1 / 5 / 15 min) on 2 cores:")
    add("")
    add("| When | Load average | DB connections |")
    add("|---|---|---:|")
    add(f"| before (script start, before migrate and generation) | {meta['load_start']} | |")
    add(f"| before the load (server up, idle) | {meta['load_before']} | |")
    for seconds, values, connections in meta["samples"]:
        add(
            f"| during, {seconds:.0f} s | {fmt_load(values)} | "
            f"{'' if connections is None else connections} |"
        )
    add(f"| after the load | {meta['load_after']} | |")
    add("")
    add(
        "Percentiles are locust's (response times rounded to two significant figures "
        "above 100 ms), measured by the client from request sent to body read, so they "
        "include queueing for one of the workers. With the load average above the core "
        "count, the server, the client and other jobs competed for the CPUs: compare p95s "
        "between runs only at a similar load average."
    )
    add("")
    add("```sh")
    add("export DATABASE_URL=postgres://postgres@127.0.0.1:5432/" + meta["db"])
    add("python manage.py migrate && python manage.py generate_dataset --scale denmark --seed 1")
    add("python manage.py shell -c '<bench/load.py ACCOUNTS: logins for doctors>'")
    add(
        "KLYNGE_DEBUG=0 KLYNGE_HTTPS=1 KLYNGE_SECURE_COOKIES=0 KLYNGE_SECRET_KEY=bench-load "
        f"{meta['gunicorn']}"
    )
    add(" ".join(["locust", *meta["locust_argv"][1:]]))
    add("```")
    return "\n".join(L)


def write_section(text: str) -> None:
    """Replace this script's section of RESULTS.md (up to the next "## " heading or the
    end), or append it at the end; the rest of the file is kept."""
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    start = current.find("\n" + SECTION + "\n")
    if start >= 0:
        end = current.find("\n## ", start + len(SECTION) + 2)
        rest = current[end:] if end >= 0 else ""
        current = current[:start].rstrip("\n") + "\n" + rest
    RESULTS.write_text(current.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n", encoding="utf-8")


# --- Main ---------------------------------------------------------------------------------


def locust_version() -> str:
    with contextlib.suppress(Exception):
        from importlib.metadata import version

        return version("locust")
    return "unknown"


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import psycopg
    from common import (
        check_db_url,
        commit,
        drop_database,
        free_port,
        machine,
        recreate_database,
    )

    started = time.perf_counter()
    load_start = fmt_load(load_average())
    db_url = os.environ.get(VARIABLE, DEFAULT_DB_URL)
    name, _ = check_db_url(db_url, VARIABLE)
    keep = os.environ.get("BENCH_KEEP") == "1"
    reuse = os.environ.get("BENCH_LOAD_REUSE") == "1"
    tmp = Path(tempfile.mkdtemp(prefix="klynge-bench-load-"))
    (tmp / "static").mkdir()  # STATIC_ROOT under KLYNGE_DATA_DIR: keeps WhiteNoise quiet
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="klynge.config.settings",
        PYTHONPATH=str(REPO / "src"),
        PYTHONDONTWRITEBYTECODE="1",
        KLYNGE_DATA_DIR=str(tmp),
        KLYNGE_MEDIA_ROOT=str(tmp / "media"),
        KLYNGE_DEBUG="0",
        KLYNGE_SECRET_KEY="bench-load",
        KLYNGE_ALLOWED_HOSTS="127.0.0.1,testserver",
        KLYNGE_HTTPS="1",
        KLYNGE_TRUSTED_PROXY_COUNT="1",
        KLYNGE_SECURE_COOKIES="0",
    )
    ramp = int(-(-USERS // SPAWN_RATE))
    run_seconds = ramp + STEADY_SECONDS
    try:
        generate = "reused"
        if reuse and database_has_accounts(env):
            log(f"reusing {name}")
            with psycopg.connect(db_url, connect_timeout=10) as conn:
                row = conn.execute("SHOW server_version").fetchone()
                pg = str(row[0]) if row else "unknown"
            made = json.loads((REPO / "data" / "bench-load-accounts.json").read_text())
        else:
            log(f"recreating {name}")
            pg = recreate_database(db_url, VARIABLE)
            run_manage(["migrate", "--no-input", "-v", "0"], env)
            log("generate_dataset --scale denmark --seed 1")
            _, seconds = run_manage(["generate_dataset", "--scale", "denmark", "--seed", "1"], env)
            generate = f"{seconds:.0f} s"
            made = make_accounts(env)
            if keep:
                (REPO / "data").mkdir(exist_ok=True)
                (REPO / "data" / "bench-load-accounts.json").write_text(json.dumps(made))
            with psycopg.connect(db_url, autocommit=True, connect_timeout=10) as conn:
                conn.execute("VACUUM ANALYZE")
                conn.execute("CHECKPOINT")
        with psycopg.connect(db_url, connect_timeout=10) as conn:
            row = conn.execute("SHOW max_connections").fetchone()
            pg_max_connections = str(row[0]) if row else "?"
        accounts, hash_ms = made["accounts"], made["hash_ms"]
        if len(accounts) < USERS:
            raise RuntimeError(f"only {len(accounts)} accounts for {USERS} users")
        accounts_file = tmp / "accounts.json"
        accounts_file.write_text(json.dumps(accounts))
        log(f"{len(accounts)} accounts over {len({a['slug'] for a in accounts})} clusters")
        port = free_port()
        host = f"http://127.0.0.1:{port}"
        csv_prefix = tmp / "load"
        locust_env = {
            **env,
            "BENCH_LOAD_ACCOUNTS": str(accounts_file),
            "BENCH_LOAD_PASSWORD": PASSWORD,
            "BENCH_LOAD_INDICATOR": INDICATOR,
            "BENCH_LOAD_WAIT": WAIT,
        }
        argv = locust_argv(host, csv_prefix, run_seconds)
        server_log = tmp / "gunicorn.log"
        with gunicorn(env, port, server_log) as (gunicorn_cmd, master):
            time.sleep(2)
            load_before = fmt_load(load_average())
            sampler = Sampler(db_url, name, master)
            sampler.start()
            log(f"locust: {USERS} users, {run_seconds} s against {host}")
            proc = subprocess.run(
                argv,
                cwd=REPO,
                env=locust_env,
                capture_output=True,
                text=True,
                timeout=run_seconds + 120,
                check=False,
            )
            sampler.finish()
            load_after = fmt_load(load_average())
        stats_path = Path(f"{csv_prefix}_stats.csv")
        if not stats_path.exists():
            raise RuntimeError(f"locust wrote no stats ({proc.returncode}):\n{proc.stderr[-3000:]}")
        summary = parse_stats_csv(stats_path.read_text(encoding="utf-8"))
        failures_path = Path(f"{csv_prefix}_failures.csv")
        if failures_path.exists():
            summary.failures = parse_failures_csv(failures_path.read_text(encoding="utf-8"))
        errors = server_errors(server_log.read_text(encoding="utf-8", errors="replace"))
        meta = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit(),
            "machine": machine(),
            "db": name,
            "pg": pg,
            "pg_max_connections": pg_max_connections,
            "generate": generate,
            "accounts": accounts[:USERS],
            "clusters": len({a["slug"] for a in accounts[:USERS]}),
            "locust": locust_version(),
            "locust_argv": [
                a.replace(str(tmp), "<tmp>").replace(str(REPO) + "/", "") for a in argv
            ],
            "gunicorn": gunicorn_cmd,
            "ramp": ramp,
            "run_seconds": run_seconds,
            "load_start": load_start,
            "load_before": load_before,
            "load_after": load_after,
            "samples": sampler.samples,
            "max_connections": max(
                (c for _, _, c in sampler.samples if c is not None), default="n/a"
            ),
            "server_errors": errors,
            "cpu": sampler.cpu_seconds(),
            "hash_ms": hash_ms,
        }
        text = report(summary, meta)
    finally:
        if not keep:
            with contextlib.suppress(Exception):
                drop_database(db_url, VARIABLE)
        else:
            log(f"kept database {name}")
        shutil.rmtree(tmp, ignore_errors=True)
    write_section(text)
    print(text)
    if proc.returncode not in (0, 1):  # 1: locust saw failures, reported above
        print(f"FAILED locust exited with {proc.returncode}:\n{proc.stderr[-2000:]}")
        return 1
    if not summary.ok or errors:
        print("FAILED", f"{summary.total.failures} failed requests, {len(errors)} server errors")
        return 1
    log(f"done in {time.perf_counter() - started:.0f} s; wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
