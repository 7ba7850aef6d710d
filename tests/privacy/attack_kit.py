"""The attacker's toolkit for `tests/privacy/test_attacks.py`: what a determined member
does with nothing but a logged-in browser (here Django's test client) — download every
figure the pages offer, parse it, and solve the published figures as a linear system.

Where the attack needs to know something a real member could only guess (which pseudonym
in one download is which in another, which months a clinic counted in), the kit asks the
database: an *oracle*. That makes the attacker stronger than any real member, so a
result of "nothing recovered" is conservative.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np
from django.test import Client
from django.urls import reverse
from django.utils import translation

from klynge.quality import release, selectors
from klynge.quality.periods import add_months

LANGUAGE = "da"  # the site's language: labels in downloads are Danish


def month(text: str) -> dt.date:
    year, mon = text[:7].split("-")
    return dt.date(int(year), int(mon), 1)


def ym(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def gettext_da(text: str) -> str:
    with translation.override(LANGUAGE):
        return translation.gettext(text)


# --- Downloads ----------------------------------------------------------------------------------


def fetch(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


_CSRF = [
    re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")'),
    re.compile(rb'(name="csrf-token" content=")[^"]*(")'),
    re.compile(rb'("csrfToken":\s*")[^"]*(")'),
]


def normalised(body: bytes) -> bytes:
    """The response without what differs between two identical requests (CSRF tokens;
    the PDF's creation stamps)."""
    for pattern in _CSRF:
        body = pattern.sub(rb"\1-\2", body)
    body = re.sub(rb"/(CreationDate|ModDate) \(D:[^)]*\)", rb"/\1 ()", body)
    return re.sub(rb"/ID \[<[0-9a-fA-F]*> ?<[0-9a-fA-F]*>\]", rb"/ID []", body)


def urls(slug: str, code: str) -> dict[str, str]:
    return {
        "csv": reverse("quality:cluster.csv", args=[slug, code]),
        "run_csv": reverse("quality:cluster.run_csv", args=[slug, code]),
        "run_json": reverse("quality:cluster.run_json", args=[slug, code]),
        "funnel_json": reverse("quality:cluster.funnel_json", args=[slug, code]),
        "page": reverse("quality:cluster.indicator", args=[slug, code]),
    }


def offered_end_months(client: Client, slug: str, code: str) -> list[dt.date]:
    """The end months the indicator page offers in its drop-down, oldest first."""
    html = fetch(client, urls(slug, code)["page"]).decode()
    select = re.search(r'<select name="slut">(.*?)</select>', html, re.S)
    assert select, "the indicator page offers no end months"
    return sorted(month(v) for v in re.findall(r'value="(\d{4}-\d{2})"', select.group(1)))


# --- Parsing ---------------------------------------------------------------------------------------


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text else None


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


Pair = tuple[int, int]


@dataclass
class BenchmarkCsv:
    points: dict[str, Pair | None]  # pseudonym -> (numerator, denominator); None: hidden
    own: Pair | None
    cluster: Pair | None
    region: Pair | None
    nation: Pair | None
    # pseudonym -> whatever size stands beside it: its denominator, or its size class's
    sizes: dict[str, int] = field(default_factory=dict)


def parse_benchmark_csv(body: bytes) -> BenchmarkCsv:
    rows = csv_rows(body)[1:]
    own_label = gettext_da("Your clinic")

    def pair(row: list[str]) -> Pair | None:
        n, d = _int(row[1]), _int(row[2])
        return None if n is None or d is None else (n, d)

    *clinics, cluster, region, nation = rows
    points: dict[str, Pair | None] = {}
    sizes: dict[str, int] = {}
    own = None
    for row in clinics:
        if row[0] == own_label:
            own = pair(row)
        else:
            points[row[0]] = pair(row)
            if (size := _int(row[2])) is not None:
                sizes[row[0]] = size
    return BenchmarkCsv(points, own, pair(cluster), pair(region), pair(nation), sizes)


@dataclass
class RunCsvRow:
    month: dt.date
    cluster: Pair | None
    comparators: list[tuple[str, int | None]]  # (formatted value or "", clinics reported)


def parse_run_csv(body: bytes) -> list[RunCsvRow]:
    out = []
    for row in csv_rows(body)[1:]:
        n, d = _int(row[1]), _int(row[2])
        others = [(row[i], _int(row[i + 1])) for i in range(4, len(row), 2)]
        out.append(RunCsvRow(month(row[0]), None if n is None else (n, d or 0), others))
    return out


def parse_run_json(body: bytes) -> dict[str, dict[dt.date, float | None]]:
    """series label -> month -> plotted value (on the indicator's scale)."""
    spec = json.loads(body)
    series: dict[str, dict[dt.date, float | None]] = defaultdict(dict)
    for value in spec["layer"][0]["data"]["values"]:
        series[value["series"]][month(value["month"])] = value["value"]
    return dict(series)


def presentation_points(html: str) -> list[str]:
    """The clinic points of the rendered funnel plots (their SVG aria-labels)."""
    clinic = gettext_da("Clinic")
    return re.findall(rf'aria-label="([^"]*; {clinic}: [^"]*)"', html)


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def table_rows(html: str) -> list[list[str]]:
    """Every table row of a page as its cells' visible text."""
    rows = []
    for row in re.findall(r"<tr\b.*?</tr>", html, flags=re.S):
        cells = re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", row, flags=re.S)
        rows.append([visible_text(c).strip() for c in cells])
    return rows


def numbers_in(text: str) -> set[int]:
    """Every whole number in a text, read as a Danish page writes it (1.234 or 1234)."""
    return {int(n.replace(".", "")) for n in re.findall(r"(?<![\d,])\d{1,3}(?:\.\d{3})+|\d+", text)}


# --- The oracle: who is behind a pseudonym, which months a clinic counted in -------------------------


@dataclass
class Oracle:
    cluster: object
    indicator: object
    own: int | None
    on: dt.date

    def contributors(self, first: dt.date, last: dt.date) -> release.Contributors:
        return release.cluster_contributors(cluster=self.cluster, first=first, last=last)

    def labels(self, first: dt.date, last: dt.date) -> dict[str, int]:
        """pseudonym -> clinic id for a window, as the server draws them today."""
        from klynge.registry.models import Membership

        shown = sorted(self.contributors(first, last).shown_in_window(first, last) - {self.own})
        # Members without a point (no consent, withdrawn) are hidden rows of their own.
        members = set(
            Membership.objects.filter(cluster=self.cluster)
            .active_on(release.month_end(last))
            .values_list("clinic_id", flat=True)
        )
        placeholders = sorted(members - set(shown) - {self.own})
        with translation.override(LANGUAGE):
            names = selectors.pseudonyms(
                clinic_ids=shown + placeholders,
                salt=f"{self.cluster.pk}:{self.indicator.pk}:{self.on.isoformat()}",
            )
        return {label: clinic_id for clinic_id, label in names.items()}


# --- The linear system ----------------------------------------------------------------------------------


@dataclass
class LinearSystem:
    """Equations Σ coefficient·unknown = value over named unknowns."""

    rows: list[tuple[dict[Hashable, float], float]] = field(default_factory=list)

    def add(self, coefficients: dict[Hashable, float], value: float) -> None:
        coefficients = {k: c for k, c in coefficients.items() if c}
        if coefficients:
            self.rows.append((coefficients, float(value)))

    def solve(self, method=None) -> Solution:
        """Least squares per connected block of unknowns, and which unknowns the
        equations determine (the unit vector lies in the row space: its projection onto
        the null space is zero)."""
        parent: dict[Hashable, Hashable] = {}

        def find(k):
            parent.setdefault(k, k)
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for coefficients, _value in self.rows:
            keys = list(coefficients)
            for k in keys[1:]:
                parent[find(k)] = find(keys[0])
            find(keys[0])
        blocks: dict[Hashable, list[int]] = defaultdict(list)
        for i, (coefficients, _value) in enumerate(self.rows):
            blocks[find(next(iter(coefficients)))].append(i)
        solution: dict[Hashable, float] = {}
        determined: set[Hashable] = set()
        residual = 0.0
        for row_ids in blocks.values():
            unique = {}
            for i in row_ids:
                coefficients, value = self.rows[i]
                unique[(tuple(sorted(coefficients.items(), key=repr)), value)] = i
            keys = sorted({k for i in unique.values() for k in self.rows[i][0]}, key=repr)
            index = {k: j for j, k in enumerate(keys)}
            a = np.zeros((len(unique), len(keys)))
            b = np.zeros(len(unique))
            for r, i in enumerate(unique.values()):
                coefficients, value = self.rows[i]
                for k, c in coefficients.items():
                    a[r, index[k]] = c
                b[r] = value
            x, free = (method or _determinacy)(a, b)
            residual = max(residual, float(np.max(np.abs(a @ x - b))))
            for k, j in index.items():
                solution[k] = float(x[j])
                if not free[j]:
                    determined.add(k)
        return Solution(solution, determined, residual)


def _determinacy(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A least-squares solution of a·x = b and, per unknown, whether it is free (not
    determined by the equations): the null space of a, from a pivoted Cholesky
    factorisation of aᵀa (LAPACK dpstrf: fast on BLAS, unlike an SVD)."""
    from scipy.linalg import lapack, solve_triangular

    n = a.shape[1]
    gram = a.T @ a
    factor, piv, rank, _info = lapack.dpstrf(gram, lower=1, tol=1e-9)
    piv = piv - 1
    l11 = np.tril(factor[:rank, :rank])
    l21 = np.tril(factor)[rank:, :rank]
    x = np.zeros(n)
    rhs = (a.T @ b)[piv[:rank]]
    x[piv[:rank]] = solve_triangular(l11.T, solve_triangular(l11, rhs, lower=True), lower=False)
    free = np.ones(n, dtype=bool)
    # Null vectors in pivoted order: [-L11⁻ᵀ L21ᵀ; I]. A pivot unknown is determined when
    # every null vector leaves it at zero.
    null = solve_triangular(l11.T, l21.T, lower=False) if rank < n else np.zeros((rank, 0))
    scale = max(1.0, float(np.max(np.abs(null)))) if null.size else 1.0
    free[piv[:rank]] = np.max(np.abs(null), axis=1) > 1e-7 * scale if null.size else False
    return x, free


def _determinacy_svd(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same by SVD (slow; to check `_determinacy`)."""
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    rank = int(np.sum(s > s.max() * max(a.shape) * np.finfo(float).eps * 10))
    x = vt[:rank].T @ ((u[:, :rank].T @ b) / s[:rank])
    return x, np.sum(vt[:rank] ** 2, axis=0) < 1 - 1e-7


@dataclass
class Solution:
    values: dict[Hashable, float]
    determined: set[Hashable]
    residual: float


def window_system(
    corpus: dict[str, bytes],
    *,
    oracle: Oracle,
    scale: float,
    own_cells: dict[tuple[dt.date, str], int],
    in_region: set[int],
    region_label: str,
    nation_label: str,
) -> tuple[LinearSystem, set[int]]:
    """The published figures of a window corpus as equations in the one-month cells.

    Unknowns: ("cell", clinic, month, q) for q in n/d and every clinic that counted in the
    cluster's month (`in_region`: the clinics in its region); ("rest-region", month, q)
    for the rest of the region (clinics without consent included), ("rest-nation",
    month, q) for the nation outside the region. The viewer's own clinic is known to them exactly (its
    own CSV), and the rounding rule is public, so its protected cells are given."""
    system = LinearSystem()
    clinics: set[int] = set()
    u = {k: v.split("?")[0] for k, v in urls(oracle.cluster.slug, oracle.indicator.code).items()}
    parsed_windows = []
    run_months: set[dt.date] = set()
    for url, body in corpus.items():
        path, _sep, query = url.partition("?")
        params = dict(p.split("=") for p in query.split("&") if p)
        last = month(params["slut"])
        if path == u["csv"]:
            first = add_months(last, -(int(params["vindue"]) - 1))
            parsed_windows.append((first, last, parse_benchmark_csv(body)))
        elif path == u["run_csv"]:
            for row in parse_run_csv(body):
                run_months.add(row.month)
                if row.cluster is not None:
                    parsed_windows.append((row.month, row.month, ("cluster", row.cluster)))
        elif path == u["run_json"]:
            for label, values in parse_run_json(body).items():
                for m, v in values.items():
                    run_months.add(m)
                    if v is not None:
                        parsed_windows.append((m, m, ("ratio", label, v / scale)))
    every = sorted({m for first, last, _ in parsed_windows for m in release.months_in(first, last)})
    contributors = oracle.contributors(every[0], every[-1])
    by_month = contributors.by_month

    def cells(ms, q, who=None) -> dict:
        out = {}
        for m in ms:
            for c in by_month[m] if who is None else who:
                out[("cell", c, m, q)] = out.get(("cell", c, m, q), 0) + 1
        return out

    def area(ms, q, nation: bool) -> dict:
        """A region's (or the nation's) sum: the cluster's contributing cells, and the
        rest of the area (every other clinic's cell is folded into it: it appears
        nowhere else, so it can be told apart from it by no equation)."""
        out = {}
        for m in ms:
            for c in by_month[m]:
                if nation or c in in_region:
                    out[("cell", c, m, q)] = out.get(("cell", c, m, q), 0) + 1
            out[("rest-region", m, q)] = 1
            if nation:
                out[("rest-nation", m, q)] = 1
        return out

    for first, last, item in parsed_windows:
        ms = release.months_in(first, last)
        if isinstance(item, BenchmarkCsv):
            labels = oracle.labels(first, last)
            for label, pair in item.points.items():
                clinic_id = labels[label]
                clinics.add(clinic_id)
                if pair is not None:
                    for q, value in zip("nd", pair, strict=True):
                        system.add(
                            {("cell", clinic_id, m, q): 1 for m in ms if clinic_id in by_month[m]},
                            value,
                        )
            for level, nation in ((item.region, False), (item.nation, True)):
                if level is not None:
                    for q, value in zip("nd", level, strict=True):
                        system.add(area(ms, q, nation), value)
            if item.cluster is not None:
                for q, value in zip("nd", item.cluster, strict=True):
                    system.add(cells(ms, q), value)
        elif item[0] == "cluster":
            for q, value in zip("nd", item[1], strict=True):
                system.add(cells(ms, q), value)
        else:
            _kind, label, ratio = item
            if label in (region_label, nation_label):
                num, den = (
                    area(ms, "n", label == nation_label),
                    area(ms, "d", label == nation_label),
                )
            else:
                num, den = cells(ms, "n"), cells(ms, "d")
            eq = dict(num)
            for k, c in den.items():
                eq[k] = eq.get(k, 0) - ratio * c
            system.add(eq, 0.0)
    if oracle.own is not None:
        for m in every:
            for q in "nd":
                system.add({("cell", oracle.own, m, q): 1}, own_cells.get((m, q), 0))
    return system, clinics


def band_partner(x: int, *, at_most: int | None = None, at_least: int = 0) -> int | None:
    """Another count with the same protected value, within the given limits."""
    if x <= 0:
        return None
    top = 6 * ((x + 5) // 6)
    for candidate in (x + 1, x - 1, x + 2, x - 2, x + 3, x - 3, x + 4, x - 4, x + 5, x - 5):
        if (
            top - 5 <= candidate <= top
            and candidate >= at_least
            and (at_most is None or candidate <= at_most)
        ):
            assert release.protect(candidate) == release.protect(x)
            return candidate
    return None
