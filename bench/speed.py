"""Speed as ratios (issue 16.7), each side measured in the same run, alternated, with
the load average recorded at every measurement:

1. the import of the national indicator file against a `COPY` of the same file into a
   bare table, both as whole processes: five pairs, import and COPY in turn, the
   median of the five ratios (target ≤ 3×);
2. the main pages and the chart JSON against a bare response through the same
   middleware with the same session cookie, under 4 clients: three rounds of bare, bare
   with the session, then the page, p95 of each side over the rounds (target ≤ 10×).
   Two bare responses: `/bench/session/` (`speed_urls.py`, served only by the bench)
   loads the session and the user as every logged-in page does, and is the baseline
   the ratio is taken against; `/sundhed/`, the health probe, reads neither (Django
   loads both lazily) and is reported beside it;
3. the England-scale overview and coverage against Denmark's, the same way (≤ 2×).

    make bench-speed        # or: .venv/bin/python bench/speed.py

Environment: BENCH_SPEED_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/klynge_bench_speed (dropped and recreated; its name
must contain "bench"). Writes the section "## Speed ratios (issue 16.7)" of
bench/RESULTS.md, leaving the other sections as they are.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import run
from common import commit, machine, percentile, recreate_database

VARIABLE = "BENCH_SPEED_DATABASE_URL"
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/klynge_bench_speed"
SECTION = "## Speed ratios (issue 16.7)"
PAIRS = 5
ROUNDS = 3
REQUESTS = 30  # per side and round
CLIENTS = 4
COORDINATOR = "koordinator@demo.klynge.test"
SECRETARIAT = "sekretariat@demo.klynge.test"
INDICATOR = "ab_broad_spectrum"
BARE = "/sundhed/"  # the health probe: no session read, no user loaded
SESSION_BARE = "/bench/session/"  # session and user loaded (speed_urls.py)
SETTINGS = "speed_settings"  # the project's settings with /bench/session/ added


def log(message: str) -> None:
    print(f"[speed {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- 1. Import against COPY ----------------------------------------------------------------------


@dataclass
class Pair:
    load_before: str
    import_seconds: float
    import_rss_kib: int | None
    copy_seconds: float

    @property
    def ratio(self) -> float:
        return self.import_seconds / self.copy_seconds


def import_pairs(db_url: str, env: dict[str, str], values: Path) -> list[Pair]:
    pairs = []
    for i in range(PAIRS):
        load = run.load_average()
        run.execute_sql(db_url, "TRUNCATE quality_indicatorvalue, quality_replacedvalue")
        run.execute_sql(db_url, "CHECKPOINT")
        imported = run.run_manage(["import_indicators", str(values)], env)
        copied = run.raw_copy(db_url, values)
        pairs.append(Pair(load, imported.seconds, imported.max_rss_kib, copied.run.seconds))
        log(
            f"pair {i + 1}: import {imported.seconds:.2f} s, COPY {copied.run.seconds:.2f} s, "
            f"ratio {pairs[-1].ratio:.2f} (load {load})"
        )
    return pairs


# --- 2. and 3. Pages against the bare response -----------------------------------------------------


@dataclass
class Ratio:
    label: str
    path: str
    page: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    session: list[float] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)
    errors: int = 0

    @property
    def page_p95(self) -> float:
        return percentile(self.page, 95) if self.page else float("nan")

    @property
    def bare_p95(self) -> float:
        return percentile(self.bare, 95) if self.bare else float("nan")

    @property
    def session_p95(self) -> float:
        return percentile(self.session, 95) if self.session else float("nan")

    @property
    def ratio(self) -> float:
        """Against the bare response with the session and user loaded (the issue's)."""
        return self.page_p95 / self.session_p95

    @property
    def health_ratio(self) -> float:
        """Against `/sundhed/`, which loads neither."""
        return self.page_p95 / self.bare_p95


def measure(port: int, label: str, path: str, headers: dict[str, str]) -> Ratio:
    result = Ratio(label, path)
    for _ in range(3):  # warm: each worker's caches, the session
        run.fetch(port, path, headers)
    for _ in range(ROUNDS):
        result.loads.append(run.load_average())
        for side, target in (
            (result.bare, BARE),
            (result.session, SESSION_BARE),
            (result.page, path),
        ):
            done = run.load(port, label, target, REQUESTS, concurrency=CLIENTS, headers=headers)
            side.extend(done.latencies)
            result.errors += len(done.errors) + sum(
                n for status, n in done.statuses.items() if status != 200
            )
    log(
        f"{label}: p95 {result.page_p95 * 1000:.1f} ms, bare with session "
        f"{result.session_p95 * 1000:.1f} ms, /sundhed/ {result.bare_p95 * 1000:.1f} ms"
    )
    return result


def cluster_slug(db_url: str) -> str:
    """The demo coordinator's cluster."""
    with psycopg.connect(db_url, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT c.slug FROM registry_cluster c "
            "JOIN registry_roleassignment r ON r.cluster_id = c.id AND r.role = 'coordinator' "
            'AND r."end" IS NULL JOIN registry_doctor d ON d.id = r.doctor_id '
            "JOIN accounts_user u ON u.id = d.user_id WHERE u.email = %s",
            [COORDINATOR],
        ).fetchone()
    if row is None:
        raise RuntimeError(f"{COORDINATOR} coordinates no cluster")
    return str(row[0])


def denmark_pages(port: int, slug: str) -> list[Ratio]:
    secretariat = run.cookie_header(run.login(port, SECRETARIAT, run.DEMO_PASSWORD))
    coordinator = run.cookie_header(run.login(port, COORDINATOR, run.DEMO_PASSWORD))
    data = f"/klynger/{slug}/data/"
    pages = [
        ("overview (secretariat)", "/klynger/", secretariat),
        ("coverage (secretariat)", "/daekning/", secretariat),
        ("start page (coordinator)", "/", coordinator),
        ("cluster page", f"/klynger/{slug}/", coordinator),
        ("dashboard", data, coordinator),
        ("indicator page", f"{data}{INDICATOR}/", coordinator),
        ("funnel JSON", f"{data}{INDICATOR}/tragt.json", coordinator),
        ("run chart JSON", f"{data}{INDICATOR}/forloeb.json", coordinator),
        ("meetings", f"/klynger/{slug}/moeder/", coordinator),
        ("books", f"/klynger/{slug}/regnskab/", coordinator),
    ]
    return [measure(port, label, path, headers) for label, path, headers in pages]


def national_pages(port: int) -> list[Ratio]:
    secretariat = run.cookie_header(run.login(port, SECRETARIAT, run.DEMO_PASSWORD))
    return [
        measure(port, label, path, secretariat)
        for label, path in (("overview", "/klynger/"), ("coverage", "/daekning/"))
    ]


# --- Report ----------------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def report(
    pairs: list[Pair], denmark: list[Ratio], england: list[Ratio], england_note: str, meta: dict
) -> str:
    lines = [
        SECTION,
        "",
        f"Run {meta['when']} on commit `{meta['commit']}`, {meta['machine']}; "
        f"{meta['seconds']:.0f} s in all. Load average at the start: {meta['load']}.",
        "",
        "### Import of the national file against a raw COPY (whole processes)",
        "",
        f"`import_indicators` of the {meta['rows']:,}-row national file into the emptied "
        "value table, then a `python -c` process that `COPY`s the same file into a bare "
        "all-text table, in turn, five times.",
        "",
        "| Pair | Load average before | Import (s) | Import peak RSS (MiB) | COPY (s) | Ratio |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for i, p in enumerate(pairs, 1):
        lines.append(
            f"| {i} | {p.load_before} | {p.import_seconds:.2f} | {run.mib(p.import_rss_kib)} "
            f"| {p.copy_seconds:.2f} | {p.ratio:.2f}× |"
        )
    median = statistics.median(p.ratio for p in pairs)
    lines += [
        "",
        f"Median ratio **{median:.2f}×**; target ≤ 3×: {verdict(median <= 3)}. Peak RSS under "
        f"1 GiB: {verdict(all((p.import_rss_kib or 0) < 1024 * 1024 for p in pairs))}.",
        "",
        "### Main pages against the bare response, 4 clients",
        "",
        f"gunicorn (2 workers, production settings, `{SETTINGS}`: the project's with one "
        f"bare URL added), logged in; per page {ROUNDS} rounds of {REQUESTS} requests to "
        f"`{BARE}`, {REQUESTS} to `{SESSION_BARE}` and {REQUESTS} to the page, all with the "
        "same session cookie; p95 over the rounds. The ratio is taken against "
        f"`{SESSION_BARE}`, which reads the session and loads the user as every logged-in "
        f"page does; `{BARE}` reads neither (Django loads both lazily), so the ratio against "
        "it is shown beside.",
        "",
        "| Page | Path | p95 (ms) | Bare with session p95 (ms) | Ratio | ≤ 10× "
        f"| `{BARE}` p95 (ms) | Ratio to `{BARE}` | Errors | Load average per round |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for r in denmark:
        lines.append(
            f"| {r.label} | `{r.path}` | {r.page_p95 * 1000:.1f} | {r.session_p95 * 1000:.1f} "
            f"| {r.ratio:.1f}× | {'**errors**' if r.errors else verdict(r.ratio <= 10)} "
            f"| {r.bare_p95 * 1000:.1f} | {r.health_ratio:.1f}× "
            f"| {r.errors} | {' → '.join(r.loads)} |"
        )
    lines += ["", "### England-scale overview and coverage against Denmark's", ""]
    if england:
        by_label = {r.label.split(" ")[0]: r for r in denmark}
        lines += [
            england_note,
            "",
            "| Page | England p95 (ms) | Denmark p95 (ms) | Ratio | ≤ 2× | Errors |",
            "|---|---:|---:|---:|---|---:|",
        ]
        for r in england:
            dk = by_label[r.label]
            ratio = r.page_p95 / dk.page_p95
            lines.append(
                f"| {r.label} | {r.page_p95 * 1000:.1f} | {dk.page_p95 * 1000:.1f} "
                f"| {ratio:.2f}× | {verdict(ratio <= 2)} | {r.errors} |"
            )
    else:
        lines.append(f"Not measured: {england_note}")
    return "\n".join(lines) + "\n"


def previous_figures() -> dict[str, tuple[str, str]]:
    """What the section of RESULTS.md said before this run: per page (and "import"),
    its p95 (or median import seconds) and its ratio, as written then, for a before and
    after beside the new figures. Read from the tables by their column names."""
    current = run.RESULTS.read_text(encoding="utf-8") if run.RESULTS.exists() else ""
    start = current.find("\n" + SECTION + "\n")
    if start < 0:
        return {}
    end = current.find("\n## ", start + len(SECTION) + 2)
    section = current[start : end if end >= 0 else len(current)]
    found: dict[str, tuple[str, str]] = {}
    median = re.search(r"Median ratio \*\*([0-9.]+)×\*\*", section)
    if median:
        found["import"] = ("", median.group(1) + "×")
    header: list[str] = []
    for line in section.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not header:
            header = cells
            continue
        if set(cells[0]) <= {"-", ":"} or "Page" not in header or "Ratio" not in header:
            continue
        p95 = next((h for h in header if h.endswith("p95 (ms)")), None)
        if p95 is None:
            continue
        where = "England " if p95.startswith("England") else ""
        found[where + cells[0]] = (cells[header.index(p95)], cells[header.index("Ratio")])
    return found


def comparison(previous: dict[str, tuple[str, str]], pairs, denmark, england) -> list[str]:
    if not previous:
        return []
    lines = [
        "",
        "### Against the previous run of this section",
        "",
        "As that run wrote them (its page ratios were taken against `/sundhed/`; the "
        "figures here against both).",
        "",
        "| Measure | Before: p95 (ms) | Before: ratio | Now: p95 (ms) | Now: ratio "
        f"(to `{SESSION_BARE}`) | Now: ratio to `{BARE}` |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    if "import" in previous:
        median = statistics.median(p.ratio for p in pairs)
        lines.append(f"| import / COPY | | {previous['import'][1]} | | {median:.2f}× | |")
    for r in denmark:
        before = previous.get(r.label, ("", ""))
        lines.append(
            f"| {r.label} | {before[0]} | {before[1]} | {r.page_p95 * 1000:.1f} "
            f"| {r.ratio:.1f}× | {r.health_ratio:.1f}× |"
        )
    by_label = {r.label.split(" ")[0]: r for r in denmark}
    for r in england:
        before = previous.get("England " + r.label, ("", ""))
        dk = by_label[r.label]
        lines.append(
            f"| England {r.label} / Denmark | {before[0]} | {before[1]} "
            f"| {r.page_p95 * 1000:.1f} | {r.page_p95 / dk.page_p95:.2f}× | |"
        )
    return lines


def write_section(text: str) -> None:
    """Replace this script's own section of RESULTS.md (up to the next `## `), or add it."""
    current = run.RESULTS.read_text(encoding="utf-8") if run.RESULTS.exists() else ""
    start = current.find("\n" + SECTION + "\n")
    if start < 0:
        current = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(SECTION) + 2)
        rest = current[end:] if end >= 0 else "\n"
        current = current[:start] + "\n" + text.rstrip("\n") + "\n" + rest
    run.RESULTS.write_text(current.rstrip("\n") + "\n", encoding="utf-8")


def main() -> int:
    started = time.perf_counter()
    load_at_start = run.load_average()
    db_url = os.environ.get(VARIABLE, DEFAULT_DB_URL)
    log(f"recreating {db_url}")
    recreate_database(db_url, VARIABLE)
    env = run.django_env(db_url)
    run.run_manage(["migrate", "--no-input", "-v", "0"], env)
    log("generating denmark")
    run.run_manage(["generate_dataset", "--scale", "denmark", "--seed", "1"], env)
    run.vacuum_analyze(db_url)
    with tempfile.TemporaryDirectory(prefix="klynge-speed-") as tmp:
        workdir = Path(tmp)
        values = workdir / "values.csv"
        run.run_manage(["export_indicators", "--output", str(values)], env)
        rows = len(values.read_text(encoding="utf-8").splitlines()) - 1
        log("pages, Denmark")
        with run.gunicorn_server(db_url, workdir, settings=SETTINGS) as server:
            denmark = denmark_pages(server.port, cluster_slug(db_url))
        log("import against COPY")
        pairs = import_pairs(db_url, env, values)
        england: list[Ratio] = []
        try:
            log("generating england")
            generated = run.run_manage(
                ["generate_dataset", "--scale", "england", "--seed", "1", "--replace"], env
            )
            counts = run.parse_generated(generated.stdout)
            run.vacuum_analyze(db_url)
            note = (
                f"England: {counts.get('clinics', '?')} practices in "
                f"{counts.get('clusters', '?')} networks (generated in {generated.seconds:.0f} s, "
                f"peak RSS {run.mib(generated.max_rss_kib)} MiB), as the secretariat."
            )
            with run.gunicorn_server(db_url, workdir, settings=SETTINGS) as server:
                england = national_pages(server.port)
        except Exception as exc:  # report it with the other figures
            note = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    meta = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "commit": commit(),
        "machine": machine(),
        "load": load_at_start,
        "rows": rows,
        "seconds": time.perf_counter() - started,
    }
    text = report(pairs, denmark, england, note, meta)
    text = (
        text.rstrip("\n")
        + "\n"
        + "\n".join(comparison(previous_figures(), pairs, denmark, england))
    )
    write_section(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
