"""Klynge benchmark, meetings (issue 4): invitations through the task worker and a real
SMTP server, approved minutes and the meeting pack as PDF, the yearly attendance and
activity report, and the meeting pages as the coordinator of the largest cluster, on a
dedicated PostgreSQL database with the Denmark-scale demo data (two years of meetings
for 114 clusters).

    .venv/bin/python bench/meetings.py

Environment:
    BENCH_MEETINGS_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/klynge_bench_meetings
                                 (dropped and recreated, dropped again at the end; must be
                                 on 127.0.0.1/localhost and its name must contain "bench")
    BENCH_KEEP=1                 keep the database and the temporary data directory

Appends (or replaces) the "Meetings (issue 4)" section at the end of bench/RESULTS.md and
prints the same text. Files the run writes (PDFs, the archive) go to a temporary
KLYNGE_DATA_DIR, removed at the end. Every subprocess has a timeout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from common import (
    check_db_url,
    commit,
    drop_database,
    free_port,
    machine,
    ms,
    percentile,
    recreate_database,
)

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "RESULTS.md"
PYTHON = str(Path(sys.executable))
MANAGE = str(REPO / "manage.py")
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/klynge_bench_meetings"
VARIABLE = "BENCH_MEETINGS_DATABASE_URL"
SECTION = "## Meetings (issue 4)"

COMMAND_TIMEOUT = 600.0
WORKER_TIMEOUT = 180.0
APPROVALS = 5
PACK_RUNS = 3  # after the first call
SELECTOR_RUNS = 5
PAGE_REQUESTS = 20
PAGE_FLAG_SECONDS = 0.300
MESSAGE_BUILDS = 20


def log(message: str) -> None:
    # UTC: django.setup() changes the process's local time zone (TIME_ZONE sets TZ).
    print(f"[bench-meetings {time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)


# --- Database ---------------------------------------------------------------------------


def vacuum_analyze(url: str) -> None:
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


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
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc, seconds


# --- SMTP sink --------------------------------------------------------------------------


class Sink:
    """aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()
        self.first: float | None = None
        self.last: float | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        now = time.perf_counter()
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
            self.first = self.first if self.first is not None else now
            self.last = now
        return "250 Message accepted for delivery"


def ics_check(content: bytes, uid: str) -> tuple[bool, str]:
    """Whether a message carries invitation.ics, a REQUEST for the meeting's UID."""
    message = email.message_from_bytes(content, policy=email.policy.default)
    for part in message.walk():
        if part.get_content_type() != "text/calendar":
            continue
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", "replace").replace("\r\n ", "")
        ok = (
            part.get_filename() == "invitation.ics"
            and "BEGIN:VCALENDAR" in text
            and "METHOD:REQUEST" in text
            and f"UID:{uid}@klynge" in text
        )
        return ok, str(message["To"])
    return False, str(message["To"])


# --- Measurements -----------------------------------------------------------------------


@dataclass
class Timed:
    seconds: list[float] = field(default_factory=list)
    queries: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def sql_shape(statement: str) -> str:
    """A query with its literals blanked, to spot the same query run once per row."""
    shape = re.sub(r"'(?:[^']|'')*'", "?", statement)
    shape = re.sub(r"\b\d+(\.\d+)?\b", "?", shape)
    shape = re.sub(r"\((\?,\s*)+\?\)", "(…)", shape)
    return shape


def repeated(captured: list[dict[str, Any]], least: int = 3) -> list[tuple[int, str]]:
    shapes = Counter(sql_shape(q["sql"]) for q in captured)
    return [(n, s) for s, n in shapes.most_common() if n >= least]


def count_queries(fn: Callable[[], Any]) -> tuple[Any, list[dict[str, Any]], float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings: list[float] = []  # perf_counter per query (the captured "time" is in whole ms)

    def timer(execute, statement, params, many, context):
        begin = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            timings.append(time.perf_counter() - begin)

    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timer):
        start = time.perf_counter()
        value = fn()
        seconds = time.perf_counter() - start
    captured = [dict(q) for q in ctx.captured_queries]
    if len(timings) == len(captured):
        for q, t in zip(captured, timings, strict=True):
            q["seconds"] = t
    return value, captured, seconds


def timed_runs(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


@dataclass
class PageResult:
    label: str
    cluster: str
    path: str
    status: set[int]
    queries: int
    latencies: list[float]
    body_bytes: int
    repeats: list[tuple[int, str]]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)


def pages_pair(label: str, targets: list[tuple[str, Any, str]]) -> list[PageResult]:
    """One page for each cluster, (cluster label, logged-in client, path): a warm-up
    request, one with query capture, then the timed requests alternating between the
    clusters, so that a burst of load on the machine hits both alike."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = []
    for cluster, client, path in targets:
        client.get(path)  # warm caches (templates, content types, the session)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        captured = list(ctx.captured_queries)  # a view of the log: read it before the next request
        results.append(
            PageResult(
                label,
                cluster,
                path,
                {response.status_code},
                len(captured),
                [],
                len(response.content),
                repeated(captured),
            )
        )
    for _ in range(PAGE_REQUESTS):
        for result, (_, client, path) in zip(results, targets, strict=True):
            start = time.perf_counter()
            r = client.get(path)
            result.latencies.append(time.perf_counter() - start)
            result.status.add(r.status_code)
    return results


def bench(tmp: Path, env: dict[str, str]) -> dict[str, Any]:
    """Everything measured inside one Django process on the bench database."""
    import django

    os.environ.update(env)
    sys.path.insert(0, str(REPO / "src"))
    django.setup()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from klynge.core.dates import today
    from klynge.meetings import documents, mail, pack, selectors, services
    from klynge.meetings.models import Dispatch, Meeting, MeetingKind, MinutesVersion
    from klynge.quality.models import Indicator
    from klynge.registry.models import Cluster, Doctor, Participation, RoleAssignment, RoleKind

    out: dict[str, Any] = {"settings_email": settings.EMAIL_BACKEND}
    on = today()
    now = timezone.now()
    User = get_user_model()

    # --- The clusters: the largest and a small one, each with its coordinator --------
    sizes = Counter(Participation.objects.active_on(on).values_list("cluster_id", flat=True))
    coordinators = {
        r.cluster_id: r
        for r in RoleAssignment.objects.active_on(on)
        .filter(role=RoleKind.COORDINATOR)
        .select_related("doctor__user")
    }
    ranked = sorted((n, cid) for cid, n in sizes.items() if cid in coordinators)
    small_n, small_id = next((n, c) for n, c in ranked if n >= 5)
    large_n, large_id = ranked[-1]
    large = Cluster.objects.select_related("municipality").get(pk=large_id)
    small = Cluster.objects.select_related("municipality").get(pk=small_id)
    out["clusters"] = {
        "count": Cluster.objects.count(),
        "meetings": Meeting.objects.count(),
        "large": (large.name, large.slug, large_n),
        "small": (small.name, small.slug, small_n),
    }
    log(f"largest cluster {large.name} ({large_n} doctors), small {small.name} ({small_n})")

    def coordinator_user(cluster: Cluster):
        doctor = coordinators[cluster.pk].doctor
        if doctor.user is None:
            doctor.user = User.objects.create_user(
                f"bench-koordinator-{doctor.pk}@bench.klynge.test", password=None, name=doctor.name
            )
            doctor.save(update_fields=["user"])
        return doctor.user

    def give_emails(cluster: Cluster, days: list[dt.date]) -> int:
        ids = set()
        for day in days:
            ids |= set(
                Participation.objects.active_on(day)
                .filter(cluster=cluster)
                .values_list("doctor_id", flat=True)
            )
        missing = list(Doctor.objects.filter(pk__in=ids, email=""))
        for d in missing:
            d.email = f"laege-{d.pk}@bench.klynge.test"
        Doctor.objects.bulk_update(missing, ["email"])
        return len(ids)

    indicators = list(Indicator.objects.order_by("code")[:2])
    starts = timezone.localtime(now).replace(hour=17, minute=0, second=0, microsecond=0)
    starts += dt.timedelta(days=21)

    def plan(cluster: Cluster, actor) -> Meeting:
        return services.meeting_create(
            actor=actor,
            cluster=cluster,
            title="Benchmark: KOL og spirometri",
            template="ordinary",
            starts=starts,
            ends=starts + dt.timedelta(hours=2),
            place=f"{cluster.municipality.name}, mødelokalet",
            indicators=indicators,
        )

    large_user = coordinator_user(large)
    small_user = coordinator_user(small)

    # --- 1. Invitation and the worker through SMTP ----------------------------------
    out["emails_given"] = give_emails(large, [on, starts.date()])
    meeting = plan(large, large_user)
    ready_before = DBTaskResult.objects.ready().count()
    invited = len(selectors.invited_doctors(meeting))

    controller_sink = Sink()
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(controller_sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        worker_env = {
            **env,
            "KLYNGE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "KLYNGE_EMAIL_HOST": "127.0.0.1",
            "KLYNGE_EMAIL_PORT": str(port),
        }
        worker_cmd = [PYTHON, MANAGE, "db_worker", "--batch", "--no-startup-delay"]
        # The worker's fixed cost: start, Django setup, one empty poll, exit.
        _, empty_worker = run_manage(worker_cmd[2:], worker_env, timeout=WORKER_TIMEOUT)

        dispatches, invite_queries, invite_seconds = count_queries(
            lambda: services.meeting_invite(actor=large_user, meeting=meeting)
        )
        tasks = DBTaskResult.objects.filter(task_path__endswith="send_dispatch").count()
        log(f"meeting_invite: {len(dispatches)} dispatches in {ms(invite_seconds)} ms")

        _, worker_seconds = run_manage(worker_cmd[2:], worker_env, timeout=WORKER_TIMEOUT)
        deadline = time.monotonic() + 5
        while len(controller_sink.messages) < len(dispatches) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        controller.stop()
    log(f"worker: {len(controller_sink.messages)} messages in {worker_seconds:.2f} s")

    sent = Dispatch.objects.filter(meeting=meeting)
    statuses = Counter(sent.values_list("status", flat=True))
    runs = DBTaskResult.objects.filter(task_path__endswith="send_dispatch")
    span = [
        r
        for r in runs.values_list("started_at", "finished_at", "status")
        if r[0] is not None and r[1] is not None
    ]
    task_span = (
        (max(f for _, f, _ in span) - min(s for s, _, _ in span)).total_seconds() if span else None
    )
    task_each = [(f - s).total_seconds() for s, f, _ in span]
    recipients = set(sent.values_list("recipient", flat=True))
    checks = [ics_check(content, str(meeting.uid)) for _, content in controller_sink.messages]
    arrived_to = Counter(r for tos, _ in controller_sink.messages for r in tos)
    out["invite"] = {
        "invited": invited,
        "dispatches": len(dispatches),
        "seconds": invite_seconds,
        "queries": len(invite_queries),
        "repeats": repeated(invite_queries, least=10),
        "task_inserts": [
            q.get("seconds", float(q["time"]))
            for q in invite_queries
            if q["sql"].startswith('INSERT INTO "django_tasks_database_dbtaskresult"')
        ],
        "sql_seconds": sum(q.get("seconds", float(q["time"])) for q in invite_queries),
        "tasks": tasks,
        "ready_before": ready_before,
        "empty_worker": empty_worker,
        "worker_seconds": worker_seconds,
        "arrived": len(controller_sink.messages),
        "with_ics": sum(ok for ok, _ in checks),
        "all_recipients": set(arrived_to) == recipients
        and all(n == 1 for n in arrived_to.values()),
        "statuses": dict(statuses),
        "task_span": task_span,
        "task_median": statistics.median(task_each) if task_each else None,
        "smtp_span": (
            controller_sink.last - controller_sink.first
            if controller_sink.first is not None and controller_sink.last is not None
            else None
        ),
        "sizes": [len(c) for _, c in controller_sink.messages],
    }

    # Where a message's time goes: building it (queries, templates, .ics) in-process.
    one = Dispatch.objects.select_related("meeting__cluster", "announcement", "cluster").filter(
        meeting=meeting
    )[0]
    _, build_queries, _ = count_queries(lambda: mail.build_message(one))
    out["build"] = {
        "median": statistics.median(timed_runs(lambda: mail.build_message(one), MESSAGE_BUILDS)),
        "queries": len(build_queries),
        "ics_median": statistics.median(
            timed_runs(lambda: mail.calendar_file(meeting, sequence=0), MESSAGE_BUILDS)
        ),
    }

    # --- 2. Approving minutes (WeasyPrint), with a correction between -----------------
    past = (
        Meeting.objects.filter(cluster=large, kind=MeetingKind.CLUSTER, starts__lt=now)
        .select_related("cluster__municipality")
        .order_by("-starts")
        .first()
    )
    assert past is not None
    approvals: list[float] = []
    corrections: list[float] = []
    approve_queries: list[dict[str, Any]] = []
    pdf_bytes = 0
    for i in range(APPROVALS):
        if i:
            start = time.perf_counter()
            services.minutes_correct(actor=large_user, meeting=past, reason=f"Rettelse {i}")
            corrections.append(time.perf_counter() - start)
        if i == 1:
            version, approve_queries, seconds = count_queries(
                lambda: services.minutes_approve(actor=large_user, meeting=past)
            )
        else:
            start = time.perf_counter()
            version = services.minutes_approve(actor=large_user, meeting=past)
            seconds = time.perf_counter() - start
        approvals.append(seconds)
        pdf_bytes = version.pdf.size
    ctx = documents.minutes_context(past)
    out["minutes"] = {
        "meeting": (past.title, timezone.localtime(past.starts).date()),
        "seconds": approvals,
        "corrections": corrections,
        "queries": len(approve_queries),
        "pdf_bytes": pdf_bytes,
        "versions": MinutesVersion.objects.filter(meeting=past).count(),
        "present": len(ctx["present"]),
        "absent": len(ctx["absent"]) + len(ctx["excused"]),
        "minutes_pdf": statistics.median(
            timed_runs(lambda: documents.minutes_pdf(past, version), 3)
        ),
    }
    log(f"minutes_approve: median {ms(statistics.median(approvals))} ms")

    # --- 3. The meeting pack (vl-convert charts + WeasyPrint) ---------------------------
    pack_meeting = Meeting.objects.select_related("cluster__municipality").get(pk=meeting.pk)
    start = time.perf_counter()
    first_pdf = pack.pack_pdf(pack_meeting)
    first = time.perf_counter() - start
    _, pack_queries, _ = count_queries(lambda: pack.pack_pdf(pack_meeting))
    out["pack"] = {
        "first": first,
        "seconds": timed_runs(lambda: pack.pack_pdf(pack_meeting), PACK_RUNS),
        "queries": len(pack_queries),
        "pdf_bytes": len(first_pdf),
        "indicators": [i.code for i in pack_meeting.indicators.order_by("code")],
        "context": statistics.median(
            timed_runs(lambda: pack.pack_context(pack_meeting, layout="page"), PACK_RUNS)
        ),
    }
    log(f"pack_pdf: first {ms(first)} ms, median {ms(statistics.median(out['pack']['seconds']))}")

    # --- 4. Yearly attendance and the activity report -----------------------------------
    years = {y: len(selectors.held_meetings(cluster=large, year=y)) for y in (on.year - 1, on.year)}
    year = max(years, key=lambda y: (years[y], y))
    out["year"] = year
    out["held"] = years
    selectors_out = {}
    for label, cluster in (("large", large), ("small", small)):
        for name, fn in (
            ("attendance_year", lambda c=cluster: selectors.attendance_year(cluster=c, year=year)),
            ("activity_report", lambda c=cluster: documents.activity_report(cluster=c, year=year)),
        ):
            value, captured, _ = count_queries(fn)
            rows = (
                len(value.doctors) if name == "attendance_year" else len(value.attendance.doctors)
            )
            meetings = len(value.meetings)
            selectors_out[(label, name)] = Timed(
                seconds=timed_runs(fn, SELECTOR_RUNS),
                queries=len(captured),
                extra={"rows": rows, "meetings": meetings, "repeats": repeated(captured)},
            )
    out["selectors"] = selectors_out

    # --- 5. Pages as the coordinator ----------------------------------------------------
    give_emails(small, [on, starts.date()])
    small_meeting = plan(small, small_user)
    services.meeting_invite(actor=small_user, meeting=small_meeting)  # left queued
    small_past = (
        Meeting.objects.filter(cluster=small, kind=MeetingKind.CLUSTER, starts__lt=now)
        .order_by("-starts")
        .first()
    )
    assert small_past is not None
    services.minutes_approve(actor=small_user, meeting=small_past)

    clients = {}
    for label, user in (("large", large_user), ("small", small_user)):
        clients[label] = Client()
        clients[label].force_login(user)
    L, S = large.slug, small.slug
    targets = [
        ("Meetings list", reverse("meetings:list", args=[L]), reverse("meetings:list", args=[S])),
        (
            "Meeting detail (invited, 1 dispatch per member)",
            reverse("meetings:detail", args=[L, meeting.pk]),
            reverse("meetings:detail", args=[S, small_meeting.pk]),
        ),
        (
            "Meeting detail (held)",
            reverse("meetings:detail", args=[L, past.pk]),
            reverse("meetings:detail", args=[S, small_past.pk]),
        ),
        (
            "Minutes (held, approved)",
            reverse("meetings:minutes", args=[L, past.pk]),
            reverse("meetings:minutes", args=[S, small_past.pk]),
        ),
        (
            "Yearly attendance",
            reverse("meetings:attendance_year", args=[L]) + f"?aar={year}",
            reverse("meetings:attendance_year", args=[S]) + f"?aar={year}",
        ),
        (
            "Activity report",
            reverse("meetings:activity_report", args=[L]) + f"?aar={year}",
            reverse("meetings:activity_report", args=[S]) + f"?aar={year}",
        ),
    ]
    pages: list[PageResult] = []
    for name, large_path, small_path in targets:
        pages += pages_pair(
            name, [("large", clients["large"], large_path), ("small", clients["small"], small_path)]
        )
    pages.sort(key=lambda p: p.cluster)  # the large cluster's rows first, in page order
    log("pages as the coordinators done")
    out["pages"] = pages
    out["small_meeting_dispatches"] = small_meeting.dispatches.count()
    connection.close()
    return out


# --- Report -----------------------------------------------------------------------------


def short(sqltext: str, n: int = 150) -> str:
    text = " ".join(sqltext.split())
    return (text[: n - 1] + "…" if len(text) > n else text).replace("|", "\\|")


def report(r: dict[str, Any], meta: dict[str, Any]) -> str:
    inv = r["invite"]
    large_name, large_slug, large_n = r["clusters"]["large"]
    small_name, small_slug, small_n = r["clusters"]["small"]
    rate_wall = inv["arrived"] / inv["worker_seconds"] if inv["worker_seconds"] else 0
    net = inv["worker_seconds"] - inv["empty_worker"]
    rate_net = inv["arrived"] / net if net > 0 else 0
    rate_tasks = inv["arrived"] / inv["task_span"] if inv["task_span"] else 0
    mins = r["minutes"]
    pk = r["pack"]
    L: list[str] = []
    add = L.append
    add(SECTION)
    add("")
    add(
        f"Generated by `bench/meetings.py` (not part of `bench/run.py`, which rewrites this file: "
        f"re-run `.venv/bin/python bench/meetings.py` after it). Date {meta['date']}; machine "
        f"{meta['machine']}, commit {meta['commit']}, load average {meta['load_before']} at the start; PostgreSQL "
        f"{meta['pg']}; Python {platform.python_version()}; total {meta['total']:.0f} s."
    )
    add("")
    add(
        f"Database `{meta['db']}` (created, migrated, dropped at the end); "
        f"`generate_dataset --scale denmark --seed 1` in {meta['generate']:.1f} s "
        f"({r['clusters']['count']} clusters, {r['clusters']['meetings']} meetings), then "
        "`VACUUM ANALYZE`. Measured in one Django process (`KLYNGE_DEBUG=0`, files under a "
        "temporary `KLYNGE_DATA_DIR`); query counts from `CaptureQueriesContext`. Largest "
        f"cluster: **{large_name}** (`{large_slug}`, {large_n} doctors taking part today); "
        f"small cluster for comparison: **{small_name}** (`{small_slug}`, {small_n} doctors, "
        "the smallest with at least 5 and a coordinator). The coordinators got a user each."
    )
    add("")
    add("### 1. Invitation of the largest cluster through the worker and SMTP")
    add("")
    add(
        f"Every participating doctor got an e-mail address ({r['emails_given']} doctors). A "
        f"meeting 21 days ahead (`meeting_create`, template `ordinary`, 2 indicators), then "
        f"`services.meeting_invite` (one transaction; the tasks are enqueued on commit, "
        f"inside the timing). Then `manage.py db_worker --batch --no-startup-delay` as a "
        f"subprocess with `KLYNGE_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend`, "
        f"`KLYNGE_EMAIL_HOST=127.0.0.1`, `KLYNGE_EMAIL_PORT=<free port>`, an aiosmtpd "
        f"`Controller` in the bench process. Ready tasks before the invite: {inv['ready_before']} "
        "(the reminder task is scheduled 48 h before the meeting, so the batch worker skips it)."
    )
    add("")
    add("| Step | Figure |")
    add("|---|---|")
    add(f"| Invited doctors (`invited_doctors`) | {inv['invited']} |")
    add(
        f"| `services.meeting_invite` | **{ms(inv['seconds'])} ms**, {inv['queries']} queries, "
        f"{inv['dispatches']} dispatches, {inv['tasks']} `send_dispatch` tasks |"
    )
    add(
        f"| &nbsp;&nbsp;SQL time in the invite | {ms(inv['sql_seconds'])} ms, of which "
        f"{len(inv['task_inserts'])} task INSERTs (one per e-mail + the reminder, written after "
        f"the commit) {ms(sum(inv['task_inserts']))} ms |"
    )
    for n, shape in inv["repeats"]:
        add(f"| &nbsp;&nbsp;repeated {n}× in the invite | `{short(shape)}` |")
    add(f"| Worker with an empty queue (start, setup, exit) | {inv['empty_worker']:.2f} s |")
    add(
        f"| Worker sending all invitations (subprocess wall time) | **{inv['worker_seconds']:.2f} s** |"
    )
    add(
        f"| Messages per second | **{rate_wall:.1f}/s** wall; {rate_net:.1f}/s without the "
        f"empty-worker cost; {rate_tasks:.1f}/s over the tasks' own span "
        f"({inv['task_span']:.2f} s, first start → last finish); median task "
        f"{ms(inv['task_median'] or 0)} ms |"
    )
    add(
        f"| SMTP server: first → last message | {inv['smtp_span']:.2f} s |"
        if inv["smtp_span"] is not None
        else "| SMTP server: first → last message | n/a |"
    )
    add(
        f"| Arrived / with `invitation.ics` (REQUEST, the meeting's UID) | "
        f"**{inv['arrived']} / {inv['with_ics']}** of {inv['dispatches']}; every recipient "
        f"exactly once: {'yes' if inv['all_recipients'] else '**NO**'} |"
    )
    add(f"| Dispatch statuses after the worker | {inv['statuses']} |")
    if inv["sizes"]:
        add(f"| Message size | {statistics.median(inv['sizes']) / 1024:.1f} KiB (median) |")
    add(
        f"| One message built in-process (`mail.build_message`) | {ms(r['build']['median'])} ms "
        f"median of {MESSAGE_BUILDS}, {r['build']['queries']} queries; of which "
        f"`calendar_file` {ms(r['build']['ics_median'])} ms |"
    )
    add("")
    add("### 2. `minutes_approve` (WeasyPrint) for a held meeting of the largest cluster")
    add("")
    title, day = mins["meeting"]
    add(
        f"Meeting «{title}», {day} ({mins['present']} present, {mins['absent']} absent or "
        f"excused). {APPROVALS} approvals, each after a `minutes_correct` that opens the next "
        f"draft; each renders the PDF, hashes it, stores it and files it in the archive."
    )
    add("")
    add("| | Figure |")
    add("|---|---|")
    add(f"| Approvals (ms) | {', '.join(ms(s) for s in mins['seconds'])} |")
    add(f"| **Median of {APPROVALS}** | **{ms(statistics.median(mins['seconds']))} ms** |")
    add(f"| First approval (cold WeasyPrint) | {ms(mins['seconds'][0])} ms |")
    add(f"| Queries per approval | {mins['queries']} |")
    add(f"| `documents.minutes_pdf` alone (median of 3) | {ms(mins['minutes_pdf'])} ms |")
    add(f"| `minutes_correct` (median) | {ms(statistics.median(mins['corrections']))} ms |")
    add(f"| PDF size | {mins['pdf_bytes'] / 1024:.0f} KiB; versions now {mins['versions']} |")
    add("")
    add("### 3. `pack.pack_pdf(meeting)` with 2 indicators")
    add("")
    add(
        f"The invited meeting of section 1, indicators {', '.join(f'`{c}`' for c in pk['indicators'])} "
        "(funnel plot and run chart each, SVG by vl-convert, PDF by WeasyPrint)."
    )
    add("")
    add("| | Figure |")
    add("|---|---|")
    add(f"| First call in the process (vl-convert start) | **{ms(pk['first'])} ms** |")
    add(f"| Then (ms) | {', '.join(ms(s) for s in pk['seconds'])} |")
    add(f"| **Median of {PACK_RUNS}** | **{ms(statistics.median(pk['seconds']))} ms** |")
    add(f"| of which `pack_context` (queries + SVG, median) | {ms(pk['context'])} ms |")
    add(f"| Queries | {pk['queries']} |")
    add(f"| PDF size | {pk['pdf_bytes'] / 1024:.0f} KiB |")
    add("")
    add(f"### 4. Yearly attendance and activity report ({r['year']})")
    add("")
    add(
        f"Year {r['year']} (held meetings with attendance in the largest cluster: "
        + ", ".join(f"{y}: {n}" for y, n in sorted(r["held"].items()))
        + f"). Median of {SELECTOR_RUNS} calls; queries of one call."
    )
    add("")
    add(
        "| Function | Cluster | Meetings | Doctor rows | Median (ms) | Queries | Repeated queries |"
    )
    add("|---|---|---:|---:|---:|---:|---|")
    for (label, name), t in r["selectors"].items():
        reps = "<br>".join(f"{n}× `{short(s, 110)}`" for n, s in t.extra["repeats"]) or "none"
        add(
            f"| `{name}` | {label} ({large_n if label == 'large' else small_n}) | "
            f"{t.extra['meetings']} | {t.extra['rows']} | **{ms(t.median)}** | {t.queries} | {reps} |"
        )
    add("")
    add("### 5. Pages as the coordinator (Django test client)")
    add("")
    add(
        f"`force_login` as the coordinator; per page and cluster one warm-up request, one with "
        f"query capture, then {PAGE_REQUESTS} timed requests, alternating between the two "
        f"clusters (in-process, no HTTP server; nearest-rank p95). "
        f"Flag: p95 over {PAGE_FLAG_SECONDS * 1000:.0f} ms, or more queries for the large "
        f"cluster than for the small one (queries that grow with the members)."
    )
    add("")
    add("| Page | Cluster | Status | Queries | p50 (ms) | p95 (ms) | max (ms) | Body | Flag |")
    add("|---|---|---|---:|---:|---:|---:|---:|---|")
    by = {(p.label, p.cluster): p for p in r["pages"]}
    flags: list[str] = []
    for p in r["pages"]:
        marks = []
        if p.p95 > PAGE_FLAG_SECONDS:
            marks.append("**slow**")
        other = by.get((p.label, "small"))
        if p.cluster == "large" and other and p.queries > other.queries:
            marks.append(f"**+{p.queries - other.queries} queries vs small**")
        if marks:
            flags.append(f"{p.label}: {', '.join(marks)}")
        add(
            f"| {p.label} | {p.cluster} ({large_n if p.cluster == 'large' else small_n}) | "
            f"{','.join(map(str, sorted(p.status)))} | {p.queries} | {ms(p.p50)} | "
            f"**{ms(p.p95)}** | {ms(max(p.latencies))} | {p.body_bytes / 1024:.0f} KiB | "
            f"{' '.join(marks)} |"
        )
    add("")
    reps = [(p, n, s) for p in r["pages"] if p.cluster == "large" for n, s in p.repeats]
    if reps:
        add("Queries run 3 or more times in one request (large cluster; literals blanked):")
        add("")
        for p, n, s in reps:
            add(f"- {p.label}: {n}× `{short(s, 160)}`")
        add("")
    r["flags"] = flags
    add("### Interpretation")
    add("")
    inserts = inv["task_inserts"]
    slowest = max(r["pages"], key=lambda p: p.p95)
    sel = r["selectors"]
    report_q = sel[("large", "activity_report")].queries
    meetings_n = sel[("large", "activity_report")].extra["meetings"]
    grows = [f for f in flags if "queries vs small" in f]
    add(
        f"- **Invitation.** `meeting_invite` for {inv['dispatches']} members takes "
        f"{ms(inv['seconds'])} ms; {ms(sum(inserts))} ms of it are the {len(inserts)} "
        "task rows, written after the commit in one transaction (`mail.enqueue_all`), so "
        "one flush to disk whatever the number of recipients."
    )
    add(
        f"- **Worker.** All {inv['arrived']} invitations arrived with their `.ics`. One worker "
        f"delivers {rate_wall:.0f} messages/s counting its {inv['empty_worker']:.1f} s start, "
        f"{rate_tasks:.0f}/s once running (median task {ms(inv['task_median'] or 0)} ms). "
        f"Building a message costs {ms(r['build']['median'])} ms in-process "
        f"({r['build']['queries']} queries and the templates, re-read for every recipient of "
        f"the same meeting in `mail.build_message`, `meetings/mail.py:72-97`; the `.ics` "
        f"{ms(r['build']['ics_median'])} ms); the rest is the task's own transactions and a new "
        "SMTP connection per message (`build_message(dispatch).send()`, `meetings/mail.py:116`, "
        "uses no shared connection). Fast enough for a cluster; at this rate an e-mail to "
        f"every doctor of the register (3,370) would keep one worker busy "
        f"≈{3370 / rate_tasks / 60 if rate_tasks else 0:.0f} min."
    )
    add(
        f"- **Approved minutes.** {ms(statistics.median(mins['seconds']))} ms per approval "
        f"(median), {mins['queries']} queries; the PDF is nearly all of it "
        f"(`minutes_pdf` alone, a separate series of 3: {ms(mins['minutes_pdf'])} ms). The first approval in a process takes "
        f"{ms(mins['seconds'][0])} ms (WeasyPrint's first layout: fonts, CSS): the first "
        "approval after a web worker starts pays that once."
    )
    add(
        f"- **Meeting pack.** **{ms(statistics.median(pk['seconds']))} ms** warm and "
        f"**{ms(pk['first'])} ms** on the first call in a process (vl-convert starts its "
        f"JavaScript engine), of which the charts (`pack_context`) take {ms(pk['context'])} ms "
        "and WeasyPrint's layout of the SVG charts the rest. `MeetingPackView.get` "
        "(`meetings/pack_views.py:19-21`) renders it inside the request on every download, "
        "with nothing cached, so each download holds a web worker for well over 300 ms "
        "(the slowest request measured here)."
    )
    add(
        f"- **Year views.** `attendance_year` runs {sel[('large', 'attendance_year')].queries} "
        f"queries whatever the size ({ms(sel[('large', 'attendance_year')].median)} ms for "
        f"{large_n} doctors). `activity_report` runs {report_q} queries for {meetings_n} "
        "meetings. The year's meetings are read once with their indicators and decisions "
        "prefetched, and the evaluations in one grouped query, so neither grows with the "
        "members; the repeated-query list above shows what is still read more than twice."
    )
    add(
        f"- **Pages.** The slowest p95 is {ms(slowest.p95)} ms ({slowest.label}, "
        f"{slowest.cluster}); "
        + (
            "none is above 300 ms"
            if not any(p.p95 > PAGE_FLAG_SECONDS for p in r["pages"])
            else "**some are above 300 ms** (see the flags)"
        )
        + ". "
        + (
            "Query counts are the same for 73 and for 10 members on every page: no N+1 that "
            "grows with the members. "
            if not grows
            else f"**Query counts grow with the members**: {'; '.join(grows)}. "
        )
        + "The large cluster's pages are bigger (the yearly attendance page has a row per "
        "doctor), which costs some template time, not queries. The machine was shared "
        f"(load average {meta['load_before']} at the start on 2 cores), so single requests "
        "can spike: compare p50s between runs, and the p95s only roughly."
    )
    add("")
    return "\n".join(L)


def write_section(text: str) -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    index = current.find("\n" + SECTION + "\n")
    if index >= 0:  # replace our own section (always the last one), keep the rest
        current = current[:index].rstrip("\n") + "\n"
    RESULTS.write_text(current.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> int:
    started = time.perf_counter()
    db_url = os.environ.get("BENCH_MEETINGS_DATABASE_URL", DEFAULT_DB_URL)
    name, _ = check_db_url(db_url, VARIABLE)
    keep = os.environ.get("BENCH_KEEP") == "1"
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    tmp = Path(tempfile.mkdtemp(prefix="klynge-bench-meetings-"))
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
        KLYNGE_SECRET_KEY="bench",
        KLYNGE_ALLOWED_HOSTS="127.0.0.1,testserver",
        KLYNGE_SECURE_COOKIES="0",
        KLYNGE_FAST_PASSWORD_HASHER="1",
    )
    try:
        log(f"recreating {name}")
        pg = recreate_database(db_url, VARIABLE)
        run_manage(["migrate", "--no-input", "-v", "0"], env)
        log("generate_dataset --scale denmark --seed 1")
        _, generate = run_manage(["generate_dataset", "--scale", "denmark", "--seed", "1"], env)
        vacuum_analyze(db_url)
        results = bench(tmp, env)
        meta = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "load_before": load_before,
            "pg": pg,
            "db": name,
            "generate": generate,
            "total": time.perf_counter() - started,
            "commit": commit(),
        }
        text = report(results, meta)
    finally:
        if not keep:
            with contextlib.suppress(Exception):
                drop_database(db_url, VARIABLE)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"kept database {name} and {tmp}")
    write_section(text)
    print(text)
    inv = results["invite"]
    failures = []
    if inv["arrived"] != inv["dispatches"] or inv["with_ics"] != inv["dispatches"]:
        failures.append(f"{inv['arrived']} messages arrived, {inv['with_ics']} with .ics")
    if any(p.status != {200} for p in results["pages"]):
        failures.append("a page did not answer 200")
    for flag in results["flags"]:
        print("FLAG", flag)
    for failure in failures:
        print("FAILED", failure)
    log(f"done in {time.perf_counter() - started:.0f} s; wrote {RESULTS.relative_to(REPO)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
