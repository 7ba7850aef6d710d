"""bench/load.py's report parsing, on a canned locust stats CSV, so the load test (issue
16, point 6; run by `make bench-load`, not by the suite) cannot rot silently. Importing
it loads no locust (locust patches the standard library with gevent on import)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

STATS = """\
"Type","Name","Request Count","Failure Count","Median Response Time","Average Response Time","Min Response Time","Max Response Time","Average Content Size","Requests/s","Failures/s","50%","66%","75%","80%","90%","95%","98%","99%","99.9%","99.99%","100%"
"GET","/ (start page)","120","0","180","210.5","40","900.3","25000","2.0","0.0","180","220","260","280","400","520","700","880","900","900","900"
"GET","/klynger/[slug]/data/ (quality dashboard)","90","2","640","700.1","300","3100.2","81000","1.5","0.03","640","700","800","900","1200","1700","2500","3100","3100","3100","3100"
"POST","login (POST)","50","0","900","950.0","500","2000.0","0","0.8","0.0","900","1000","1100","1200","1500","1800","2000","2000","2000","2000","2000"
"","Aggregated","260","2","300","420.7","40","3100.2","40000","4.3","0.03","300","400","500","600","900","1500","2000","2800","3100","3100","3100"
"""

FAILURES = """\
"Method","Name","Error","Occurrences"
"GET","/klynger/[slug]/data/ (quality dashboard)","HTTP 500","2"
"""


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("bench_load", BENCH / "load.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("bench_load", None)


def test_importing_the_script_loads_no_locust(load):
    assert load.LOCUSTFILE.name == "locustfile.py"
    assert "locust" not in sys.modules


def test_parse_stats_csv_reads_pages_and_the_aggregated_row(load):
    summary = load.parse_stats_csv(STATS)

    assert [p.name for p in summary.pages] == [
        "/ (start page)",
        "/klynger/[slug]/data/ (quality dashboard)",
        "login (POST)",
    ]
    dashboard = summary.pages[1]
    assert (dashboard.method, dashboard.requests, dashboard.failures) == ("GET", 90, 2)
    assert (dashboard.p50_ms, dashboard.p95_ms, dashboard.p99_ms) == (640, 1700, 3100)
    assert dashboard.max_ms == pytest.approx(3100.2)
    assert summary.total.requests == 260
    assert summary.total.failures == 2
    assert summary.total.rps == pytest.approx(4.3)
    assert not summary.ok


def test_summary_is_ok_only_with_requests_and_no_failures(load):
    clean = STATS.replace('"90","2"', '"90","0"').replace('"260","2"', '"260","0"')
    assert load.parse_stats_csv(clean).ok
    summary = load.parse_stats_csv(clean)
    summary.failures = load.parse_failures_csv(FAILURES)
    assert summary.failures == [
        {
            "Method": "GET",
            "Name": "/klynger/[slug]/data/ (quality dashboard)",
            "Error": "HTTP 500",
            "Occurrences": "2",
        }
    ]
    assert not summary.ok
    empty = (
        clean.split("\n")[0]
        + '\n"","Aggregated","0","0","0","0","0","0","0","0","0",'
        + ",".join(['"N/A"'] * 11)
    )
    assert not load.parse_stats_csv(empty).ok


def test_stats_table_has_a_row_per_page_and_a_total(load):
    table = load.stats_table(load.parse_stats_csv(STATS))

    assert table[0].startswith("| Page | Requests | Failures | p50 (ms) | p95 (ms) | p99 (ms)")
    assert len(table) == 2 + 3 + 1
    assert "| GET `/ (start page)` | 120 | 0 | 180 | **520** | 880 | 900 | 2.0 |" in table
    assert table[-1] == "| **All requests** | 260 | 2 | 300 | **1500** | 2800 | 3100 | 4.3 |"


def test_not_a_locust_csv_is_refused(load):
    with pytest.raises(ValueError, match="missing columns"):
        load.parse_stats_csv("a,b\n1,2\n")
    with pytest.raises(ValueError, match="Aggregated"):
        load.parse_stats_csv(STATS.rsplit('"","Aggregated"', 1)[0])


def test_server_errors_are_found_in_the_gunicorn_log(load):
    log = "[INFO] Booting worker\n[CRITICAL] WORKER TIMEOUT (pid:12)\nTraceback (most recent call last):\n"
    assert load.server_errors(log) == [
        "[CRITICAL] WORKER TIMEOUT (pid:12)",
        "Traceback (most recent call last):",
    ]
    assert load.server_errors("[INFO] Listening at: http://127.0.0.1:1\n") == []
