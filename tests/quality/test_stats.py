"""Tests for klynge.quality.stats against METHODS.md parts A1, A2, A3 and B.

Every expected value is computed independently here (plain Python loops, scipy
distributions, hand-written formulas), never with the module's own helpers.
No database and no Django: the module under test is pure numpy/scipy.
"""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from klynge.quality import stats

Z95 = 1.959964
Z998 = 3.090232

# --- independent reference implementations --------------------------------------------------


def ref_exact_limit(p: float, n: float, target: float, kind: str) -> float:
    """METHODS A3: smallest r with F(r) >= p, α = (F(r) − p)/(F(r) − F(r − 1)), (r − α)/n.

    The CDF is evaluated for r = 0, 1, 2, ... upwards (vectorised in one scipy call for
    speed) and the first r reaching p is taken.
    """
    if kind == "proportion":
        top = int(n)
        cdf = sps.binom.cdf(np.arange(top + 1), int(n), target)
    else:
        mean = n * target
        top = int(mean + 40 * math.sqrt(mean) + 40)
        cdf = sps.poisson.cdf(np.arange(top + 1), mean)
    r = None
    for k in range(top + 1):  # loop from 0 upward
        if cdf[k] >= p:
            r = k
            break
    assert r is not None
    f_r = float(cdf[r])
    f_below = float(cdf[r - 1]) if r > 0 else 0.0
    alpha = (f_r - p) / (f_r - f_below)
    return (r - alpha) / n


def ref_funnel(target: float, n: float, level: float, kind: str) -> tuple[float, float]:
    """Reference limits, clipped to [0, 1] (proportions) or [0, ∞) (rates) as documented."""
    tail = (1 - level) / 2
    lo = ref_exact_limit(tail, n, target, kind)
    hi = ref_exact_limit(1 - tail, n, target, kind)
    lo, hi = max(lo, 0.0), max(hi, 0.0)
    if kind == "proportion":
        lo, hi = min(lo, 1.0), min(hi, 1.0)
    return lo, hi


def ref_percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolation percentile (R type 7), written out."""
    h = (len(sorted_values) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


def ref_dersimonian_laird(r, n, target, winsorise=0.10):
    """METHODS A3 overdispersion steps 1, 2, 3 and 5, in plain Python."""
    s = [math.sqrt(target * (1 - target) / ni) for ni in n]
    z = [(ri / ni - target) / si for ri, ni, si in zip(r, n, s, strict=True)]
    ordered = sorted(z)
    low = ref_percentile(ordered, winsorise)
    high = ref_percentile(ordered, 1 - winsorise)
    zw = []
    for zi in z:
        if zi < low:
            zi = low
        elif zi > high:
            zi = high
        zw.append(zi)
    count = len(zw)
    phi = sum(zi * zi for zi in zw) / count
    w = [1 / (si * si) for si in s]
    sw = sum(w)
    sw2 = sum(wi * wi for wi in w)
    tau2 = max(0.0, (count * phi - (count - 1)) / (sw - sw2 / sw))
    return phi, tau2, zw


def ref_runs(values, baseline=None):
    """METHODS A1 in plain Python loops: (median, n_useful, longest, crossings, side, start,
    end) where start/end are input indices of the first of the longest runs."""
    base = values[:baseline] if baseline else values
    base = [v for v in base if not math.isnan(v)]
    if not base:
        return math.nan, 0, 0, 0, 0, None, None
    median = statistics.median(sorted(base))
    useful = []  # (index, side)
    for i, v in enumerate(values):
        if math.isnan(v) or v == median:
            continue
        useful.append((i, 1 if v > median else -1))
    crossings = 0
    for a, b in itertools.pairwise(useful):
        if a[1] != b[1]:
            crossings += 1
    longest, side, start, end = 0, 0, None, None
    j = 0
    while j < len(useful):
        k = j
        while k + 1 < len(useful) and useful[k + 1][1] == useful[j][1]:
            k += 1
        length = k - j + 1
        if length > longest:
            longest, side, start, end = length, useful[j][1], useful[j][0], useful[k][0]
        j = k + 1
    return median, len(useful), longest, crossings, side, start, end


def ref_sigma_z(y, n, centre, kind="proportion"):
    """Laney's σ_z (METHODS A2): moving ranges of z, screened at 3.267 × mean, / 1.128.
    Also returns how many moving ranges were screened out."""
    z = []
    for yi, ni in zip(y, n, strict=True):
        var = centre * (1 - centre) / ni if kind == "proportion" else centre / ni
        z.append((yi / ni - centre) / math.sqrt(var))
    mr = [abs(b - a) for a, b in itertools.pairwise(z)]
    mean_mr = sum(mr) / len(mr)
    kept = [m for m in mr if m <= 3.267 * mean_mr]
    return sum(kept) / len(kept) / 1.128, len(mr) - len(kept)


# --- A3: funnel limits --------------------------------------------------------------------------


def test_funnel_worked_example_from_methods():
    lo95, hi95 = stats.funnel_limits(0.30, 50, 0.95)
    lo998, hi998 = stats.funnel_limits(0.30, 50, 0.998)
    assert (round(lo95[0], 3), round(hi95[0], 3)) == (0.166, 0.420)
    assert (round(lo998[0], 3), round(hi998[0], 3)) == (0.103, 0.499)


def test_funnel_worked_example_normal_approximation_differs():
    # METHODS: the normal approximation gives 0.173–0.427 and 0.100–0.500 instead.
    half95 = Z95 * math.sqrt(0.3 * 0.7 / 50)
    half998 = Z998 * math.sqrt(0.3 * 0.7 / 50)
    assert (round(0.3 - half95, 3), round(0.3 + half95, 3)) == (0.173, 0.427)
    assert (round(0.3 - half998, 3), round(0.3 + half998, 3)) == (0.100, 0.500)
    lo, hi = stats.funnel_limits(0.30, 50, 0.95)
    assert abs(lo[0] - (0.3 - half95)) > 0.005
    assert abs(hi[0] - (0.3 + half95)) > 0.005


GRID_TARGETS = (0.02, 0.3, 0.7, 0.97)
GRID_N = (1, 5, 20, 137, 1000, 20000)


def _grid_cases():
    for kind in ("proportion", "rate"):
        for level in (0.95, 0.998):
            for target in GRID_TARGETS:
                for n in GRID_N:
                    yield pytest.param(target, n, level, kind, id=f"{kind}-{level}-{target}-{n}")


@pytest.mark.parametrize("target,n,level,kind", list(_grid_cases()))
def test_funnel_matches_brute_force(target, n, level, kind):
    lo, hi = stats.funnel_limits(target, n, level, kind=kind)
    ref_lo, ref_hi = ref_funnel(target, n, level, kind)
    assert lo.shape == hi.shape == (1,)
    assert lo[0] == pytest.approx(ref_lo, abs=1e-9)
    assert hi[0] == pytest.approx(ref_hi, abs=1e-9)


def test_funnel_vectorised_over_n_matches_scalar_calls():
    n = np.array(GRID_N, dtype=float)
    lo, hi = stats.funnel_limits(0.3, n, 0.998)
    for i, ni in enumerate(GRID_N):
        ref_lo, ref_hi = ref_funnel(0.3, ni, 0.998, "proportion")
        assert lo[i] == pytest.approx(ref_lo, abs=1e-9)
        assert hi[i] == pytest.approx(ref_hi, abs=1e-9)


def test_funnel_rate_limits_can_exceed_one():
    # A rate (e.g. 2.5 contacts per patient) is not clipped at 1.
    lo, hi = stats.funnel_limits(2.5, 40, 0.998, kind="rate")
    ref_lo, ref_hi = ref_funnel(2.5, 40, 0.998, "rate")
    assert hi[0] > 2.5 > lo[0] > 1.0
    assert (lo[0], hi[0]) == pytest.approx((ref_lo, ref_hi), abs=1e-9)


@pytest.mark.parametrize("kind", ["proportion", "rate"])
@pytest.mark.parametrize("level,z", [(0.95, Z95), (0.998, Z998)])
@pytest.mark.parametrize("target", [0.02, 0.3, 0.7, 0.97])
def test_funnel_converges_to_normal_for_large_n(target, level, z, kind):
    n = 10**6
    var = target * (1 - target) / n if kind == "proportion" else target / n
    lo, hi = stats.funnel_limits(target, n, level, kind=kind)
    assert lo[0] == pytest.approx(target - z * math.sqrt(var), abs=1e-4)
    assert hi[0] == pytest.approx(target + z * math.sqrt(var), abs=1e-4)


@pytest.mark.parametrize("kind", ["proportion", "rate"])
@pytest.mark.parametrize("level", [0.95, 0.998])
@pytest.mark.parametrize("target", GRID_TARGETS)
def test_funnel_brackets_target(target, level, kind):
    # Once the expected count is not tiny, the limits bracket the target.
    n = np.array([n for n in GRID_N if n * min(target, 1 - target) >= 1], dtype=float)
    lo, hi = stats.funnel_limits(target, n, level, kind=kind)
    assert np.all(lo <= target)
    assert np.all(target <= hi)
    assert np.all(lo < hi)


@pytest.mark.parametrize("kind", ["proportion", "rate"])
def test_funnel_lower_never_above_upper_for_tiny_expected_count(kind):
    lo, hi = stats.funnel_limits(0.02, 1, 0.95, kind=kind)
    assert 0.0 <= lo[0] <= hi[0]


@pytest.mark.parametrize("kind", ["proportion", "rate"])
@pytest.mark.parametrize("level", [0.95, 0.998])
@pytest.mark.parametrize("target", GRID_TARGETS)
def test_funnel_narrows_as_n_grows(target, level, kind):
    n = np.array([5, 20, 137, 1000, 20000, 10**6], dtype=float)
    lo, hi = stats.funnel_limits(target, n, level, kind=kind)
    assert np.all(np.diff(hi - lo) < 0)
    # Away from the discreteness at small expected counts, each limit moves inwards.
    big = n * min(target, 1 - target) >= 20
    assert np.all(np.diff(lo[big]) > 0)
    assert np.all(np.diff(hi[big]) < 0)


@pytest.mark.parametrize("kind", ["proportion", "rate"])
def test_funnel_n_zero_is_nan(kind):
    lo, hi = stats.funnel_limits(0.3, [0, 50], 0.95, kind=kind)
    assert math.isnan(lo[0]) and math.isnan(hi[0])
    assert not math.isnan(lo[1]) and not math.isnan(hi[1])


@pytest.mark.parametrize("level", [0, 1, -0.5, 1.5, 95])
def test_funnel_level_outside_unit_interval_raises(level):
    with pytest.raises(ValueError):
        stats.funnel_limits(0.3, 50, level)


def test_funnel_unknown_kind_raises():
    with pytest.raises(ValueError):
        stats.funnel_limits(0.3, 50, 0.95, kind="ratio")


# --- A3: overdispersion --------------------------------------------------------------------------


def _winsorised_chi2_mean(q: float) -> float:
    """E[z²] for z ~ N(0, 1) winsorised at the q and 1 − q quantiles."""
    a = sps.norm.ppf(1 - q)
    inside = (2 * sps.norm.cdf(a) - 1) - 2 * a * sps.norm.pdf(a)
    return inside + 2 * (1 - sps.norm.cdf(a)) * a * a


@pytest.fixture(scope="module")
def binomial_clinics():
    rng = np.random.default_rng(20240611)
    n = rng.integers(50, 2000, size=500)
    r = rng.binomial(n, 0.3)
    return r, n


@pytest.fixture(scope="module")
def beta_binomial_clinics():
    rng = np.random.default_rng(20240612)
    n = rng.integers(50, 2000, size=500)
    m, sd = 0.3, 0.05
    size = m * (1 - m) / sd**2 - 1
    p = rng.beta(m * size, (1 - m) * size, size=500)
    r = rng.binomial(n, p)
    return r, n


def test_overdispersion_absent_unwinsorised_phi_near_one(binomial_clinics):
    r, n = binomial_clinics
    od = stats.overdispersion(r, n, 0.3, winsorise=0.0)
    assert 0.8 <= od.phi <= 1.2
    assert od.tau2 < 1e-4  # vs. a binomial variance 0.21/n of 1e-4 .. 4e-3
    assert od.clinics == 500


def test_overdispersion_absent_winsorised_phi_is_winsorised_chi2_mean(binomial_clinics):
    # With the 10 % winsorisation of METHODS A3 step 2, φ̂ estimates E[winsorised z²]
    # ≈ 0.68 (not 1) under pure binomial noise; then I·φ̂ < I − 1 so τ̂² = 0.
    r, n = binomial_clinics
    od = stats.overdispersion(r, n, 0.3)
    assert od.phi == pytest.approx(_winsorised_chi2_mean(0.10), abs=0.08)
    assert od.phi < 1
    assert od.tau2 == 0.0


def test_overdispersion_present_detected(beta_binomial_clinics):
    r, n = beta_binomial_clinics
    od = stats.overdispersion(r, n, 0.3)
    assert od.phi > 1.5
    assert od.tau2 > 0.0005  # true between-clinic variance 0.05² = 0.0025
    full = stats.overdispersion(r, n, 0.3, winsorise=0.0)
    assert full.tau2 == pytest.approx(0.0025, rel=0.35)


SMALL_R = [3, 12, 30, 8, 45, 19, 2, 60, 25, 14, 40]
SMALL_N = [20, 50, 80, 40, 120, 70, 30, 150, 90, 35, 100]


def test_overdispersion_matches_hand_coded_dersimonian_laird():
    phi, tau2, _ = ref_dersimonian_laird(SMALL_R, SMALL_N, 0.3)
    od = stats.overdispersion(SMALL_R, SMALL_N, 0.3)
    assert tau2 > 0  # the example is overdispersed, so the max(0, ·) is not hit
    assert od.phi == pytest.approx(phi, rel=1e-12)
    assert od.tau2 == pytest.approx(tau2, rel=1e-12)
    assert od.clinics == len(SMALL_R)


def test_overdispersion_winsorisation_changes_the_estimate():
    # Guard that the fixed example exercises step 2 (clipping both tails).
    _, _, zw = ref_dersimonian_laird(SMALL_R, SMALL_N, 0.3)
    phi0, tau0, z0 = ref_dersimonian_laird(SMALL_R, SMALL_N, 0.3, winsorise=0.0)
    assert zw != z0
    od = stats.overdispersion(SMALL_R, SMALL_N, 0.3, winsorise=0.0)
    assert od.phi == pytest.approx(phi0, rel=1e-12)
    assert od.tau2 == pytest.approx(tau0, rel=1e-12)
    assert od.phi != pytest.approx(stats.overdispersion(SMALL_R, SMALL_N, 0.3).phi)


def test_overdispersion_ignores_clinics_with_zero_denominator():
    od = stats.overdispersion([*SMALL_R, 0], [*SMALL_N, 0], 0.3)
    phi, tau2, _ = ref_dersimonian_laird(SMALL_R, SMALL_N, 0.3)
    assert od.clinics == len(SMALL_R)
    assert od.phi == pytest.approx(phi, rel=1e-12)
    assert od.tau2 == pytest.approx(tau2, rel=1e-12)


def test_overdispersion_too_few_clinics():
    od = stats.overdispersion([5], [20], 0.3)
    assert (od.phi, od.tau2, od.clinics) == (1.0, 0.0, 1)


@pytest.mark.parametrize("level,z", [(0.95, Z95), (0.998, Z998)])
def test_overdispersed_limits_with_zero_tau2_are_normal_limits(level, z):
    n = np.array([10, 50, 200, 1000, 5000], dtype=float)
    lo, hi = stats.funnel_limits_overdispersed(0.3, n, level, 0.0)
    for i, ni in enumerate(n):
        half = z * math.sqrt(0.3 * 0.7 / ni)
        assert lo[i] == pytest.approx(max(0.3 - half, 0.0), abs=1e-6)
        assert hi[i] == pytest.approx(min(0.3 + half, 1.0), abs=1e-6)


def test_overdispersed_limits_formula_and_floor():
    tau2 = 0.0025
    n = np.array([0, 10, 100, 10**6], dtype=float)
    lo, hi = stats.funnel_limits_overdispersed(0.3, n, 0.998, tau2)
    assert math.isnan(lo[0]) and math.isnan(hi[0])
    for i in range(1, 4):
        half = Z998 * math.sqrt(0.21 / n[i] + tau2)
        assert lo[i] == pytest.approx(max(0.3 - half, 0.0), abs=1e-6)
        assert hi[i] == pytest.approx(min(0.3 + half, 1.0), abs=1e-6)
    # For huge n the limits stay ±z·τ wide instead of collapsing onto the target.
    assert hi[3] - lo[3] == pytest.approx(2 * Z998 * 0.05, abs=1e-4)


def test_overdispersed_limits_rate():
    lo, hi = stats.funnel_limits_overdispersed(2.0, [50], 0.95, 0.1, kind="rate")
    half = Z95 * math.sqrt(2.0 / 50 + 0.1)
    assert (lo[0], hi[0]) == pytest.approx((2.0 - half, 2.0 + half), abs=1e-6)


# --- A1: runs analysis ------------------------------------------------------------------------


CRITICAL = {
    10: (6, 2),
    12: (7, 3),
    14: (7, 4),
    16: (7, 4),
    18: (7, 5),
    20: (7, 6),
    22: (7, 7),
    24: (8, 8),
    26: (8, 8),
    28: (8, 9),
    30: (8, 10),
    36: (8, 13),
    40: (8, 14),
    48: (9, 18),
    60: (9, 23),
    100: (10, 41),
}


@pytest.mark.parametrize("n", sorted(CRITICAL))
def test_runs_critical_values_table(n):
    # n useful points alternating around 0, plus points exactly on the median (0) that
    # must not be counted.
    values = []
    for i in range(n):
        values.append(1.0 if i % 2 == 0 else -1.0)
        if i % 7 == 3:
            values.append(0.0)
    res = stats.runs_analysis(values)
    assert res.median == 0.0
    assert res.n_useful == n
    assert (res.longest_run_max, res.crossings_min) == CRITICAL[n]
    assert res.longest_run == 1
    assert res.crossings == n - 1
    assert res.signal is False


@pytest.mark.parametrize("n", sorted(CRITICAL))
def test_runs_signal_thresholds_match_table(n):
    run_max, cross_min = CRITICAL[n]
    # A run of exactly run_max (no signal) vs run_max + 1 (signal), then alternating
    # points; zeros appended so the median is exactly 0 (they are not useful points).
    for length, expected in ((run_max, False), (run_max + 1, True)):
        values = [1.0] * length + [(-1.0 if i % 2 == 0 else 1.0) for i in range(n - length)]
        above, below = values.count(1.0), values.count(-1.0)
        values += [0.0] * (abs(above - below) + 1)
        res = stats.runs_analysis(values)
        assert res.median == 0.0
        assert res.n_useful == n
        assert res.longest_run == length
        assert res.crossings == n - length >= cross_min  # crossings rule stays quiet
        assert res.runs_signal == expected
        assert res.signal is expected


def test_runs_crossings_threshold_exact():
    # n = 24: crossings_min = 8. 8 crossings → no signal; 7 → signal (runs ≤ 8 long).
    def series(runs):
        values, side = [], 1.0
        for length in runs:
            values += [side] * length
            side = -side
        return values

    ok = series([3, 3, 3, 3, 2, 3, 2, 3, 2])  # 9 runs, 8 crossings, 12 above, 12 below
    bad = series([3, 3, 3, 3, 3, 3, 3, 3])  # 8 runs, 7 crossings
    assert len(ok) == len(bad) == 24
    r_ok, r_bad = stats.runs_analysis(ok), stats.runs_analysis(bad)
    assert (r_ok.median, r_ok.n_useful, r_ok.crossings) == (0.0, 24, 8)
    assert (r_bad.median, r_bad.n_useful, r_bad.crossings) == (0.0, 24, 7)
    assert r_ok.signal is False
    assert r_bad.signal is True
    assert r_bad.crossings_signal and not r_bad.runs_signal


def test_runs_points_on_median_neither_break_nor_contribute():
    #          0    1    2    3    4    5    6    7    8    9   10   11   12
    values = [5.0, 6.0, 5.0, 6.0, 6.0, 5.5, 6.0, 5.0, 6.0, 5.0, 5.0, 6.0, 5.0]
    res = stats.runs_analysis(values)
    assert res.median == 5.5
    assert res.n_useful == 12
    # 6.0 at 3, 4, 6: one run of 3 across the median point at index 5.
    assert res.longest_run == 3
    assert (res.longest_run_side, res.longest_run_start, res.longest_run_end) == (1, 3, 6)
    assert res.crossings == 8


def test_runs_nan_points_are_ignored():
    values = [1.0, -1.0] * 6
    with_gaps = [
        math.nan,
        1.0,
        math.nan,
        -1.0,
        1.0,
        -1.0,
        1.0,
        math.nan,
        -1.0,
        1.0,
        -1.0,
        1.0,
        -1.0,
        1.0,
        -1.0,
        math.nan,
    ]
    a, b = stats.runs_analysis(values), stats.runs_analysis(with_gaps)
    assert b.n_useful == a.n_useful == 12
    assert b.crossings == a.crossings == 11
    assert b.median == a.median == 0.0


@pytest.mark.parametrize("n", [0, 1, 5, 9])
def test_runs_too_few_points_no_verdict(n):
    values = [float(i % 2) + (10 if i > 4 else 0) for i in range(n)]
    res = stats.runs_analysis(values)
    assert res.signal is None
    assert res.runs_signal is False and res.crossings_signal is False


def test_runs_nine_useful_points_no_verdict_even_with_a_long_run():
    values = [1.0] * 9 + [0.0] * 9 + [-1.0]  # median 0: 9 above, 1 below → 10 useful
    assert stats.runs_analysis(values).signal is True
    res = stats.runs_analysis([*values[:-1], 0.0])  # 9 useful: too few
    assert res.n_useful == 9 and res.longest_run == 9 and res.signal is None


def test_runs_frozen_baseline():
    values = [9.5, 10.5] * 6 + [7.6, 8.4, 8.0, 7.9, 8.2, 8.1, 7.7, 8.3, 7.8, 8.0, 8.1, 7.9]
    assert len(values) == 24
    res = stats.runs_analysis(values, baseline=12)
    assert res.median == 10.0
    assert res.n_useful == 24
    assert res.longest_run == 12
    assert res.signal is True and res.runs_signal
    assert res.longest_run_side == -1
    assert res.longest_run_start == 12
    assert res.longest_run_end == 23
    whole = stats.runs_analysis(values)
    assert whole.median != 10.0  # without freezing the median uses all 24 points


def test_runs_independent_noise_fixed_seed_no_signal():
    values = np.random.default_rng(2024).normal(size=24)
    res = stats.runs_analysis(values)
    assert res.n_useful == 24
    assert res.signal is False


def test_runs_false_alarm_rate_is_low():
    alarms = sum(
        bool(stats.runs_analysis(np.random.default_rng(seed).normal(size=24)).signal)
        for seed in range(400)
    )
    assert alarms / 400 < 0.10


def test_runs_detects_shift():
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.normal(0, 1, 12), rng.normal(4, 1, 12)])
    assert stats.runs_analysis(values).signal is True


_float_series = st.lists(
    st.one_of(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
        st.just(math.nan),
    ),
    max_size=80,
)
_int_series = st.lists(
    st.one_of(st.integers(min_value=-3, max_value=3).map(float), st.just(math.nan)),
    max_size=80,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.one_of(_int_series, _float_series), data=st.data())
def test_runs_property_against_reference(values, data):
    baseline = data.draw(
        st.one_of(st.none(), st.integers(min_value=1, max_value=max(len(values), 1)))
    )
    med, n, longest, crossings, side, start, end = ref_runs(values, baseline)
    res = stats.runs_analysis(values, baseline=baseline)
    if math.isnan(med):
        assert math.isnan(res.median)
    else:
        assert res.median == med
    assert res.n_useful == n
    assert res.longest_run == longest
    assert res.crossings == crossings
    if n:
        assert (res.longest_run_side, res.longest_run_start, res.longest_run_end) == (
            side,
            start,
            end,
        )
    if n >= 10:
        expected = bool(
            longest > round(math.log2(n)) + 3 or crossings < sps.binom.ppf(0.05, n - 1, 0.5)
        )
        assert res.signal is expected
        assert res.runs_signal == (longest > round(math.log2(n)) + 3)
    else:
        assert res.signal is None


# --- A2: P, U, P′, U′ control charts --------------------------------------------------------------


def test_p_chart_centre_and_limits():
    y = [4, 10, 0, 30, 18, 45]
    n = [10, 40, 5, 100, 60, 90]
    res = stats.control_limits(y, n, prime=False)
    p = sum(y) / sum(n)
    assert res.centre == pytest.approx(p, rel=1e-12)
    assert res.sigma_z == 1.0
    for i, ni in enumerate(n):
        half = 3 * math.sqrt(p * (1 - p) / ni)
        assert res.lower[i] == pytest.approx(max(p - half, 0.0), rel=1e-12, abs=1e-15)
        assert res.upper[i] == pytest.approx(min(p + half, 1.0), rel=1e-12)
    assert res.lower[2] == 0.0  # clipped at 0 for n = 5
    assert res.lower[3] > 0.0


def test_p_chart_upper_clipped_at_one():
    res = stats.control_limits([9, 18], [10, 20], prime=False)
    assert res.centre == pytest.approx(0.9)
    assert np.all(res.upper == 1.0)


def test_p_chart_two_sigma():
    res = stats.control_limits([20, 30], [100, 100], prime=False, sigmas=2.0)
    half = 2 * math.sqrt(0.25 * 0.75 / 100)
    assert res.lower == pytest.approx([0.25 - half] * 2)
    assert res.upper == pytest.approx([0.25 + half] * 2)


def test_u_chart_centre_and_limits():
    c = [350, 410, 20, 300]
    n = [100, 120, 4, 90]
    res = stats.control_limits(c, n, kind="rate", prime=False)
    u = sum(c) / sum(n)
    assert u > 1
    assert res.centre == pytest.approx(u, rel=1e-12)
    for i, ni in enumerate(n):
        half = 3 * math.sqrt(u / ni)
        assert res.lower[i] == pytest.approx(max(u - half, 0.0), rel=1e-12)
        assert res.upper[i] == pytest.approx(u + half, rel=1e-12)
    assert np.all(res.upper > 1)  # rates are not clipped at 1


def test_u_chart_lower_floored_at_zero():
    res = stats.control_limits([1, 0, 2], [5, 4, 6], kind="rate", prime=False)
    assert res.lower.tolist() == [0.0, 0.0, 0.0]


# A fixed P′ example in which one moving range is screened out (z spike at index 8).
PP_N = [1000, 1200, 900, 1100, 1000, 950, 1050, 1000, 1000, 1150, 980, 1020]
PP_Y = [300, 365, 268, 335, 302, 283, 318, 297, 420, 345, 292, 310]


def test_p_prime_sigma_z_against_reference():
    p = sum(PP_Y) / sum(PP_N)
    sigma_z, screened = ref_sigma_z(PP_Y, PP_N, p)
    assert screened >= 1  # the example exercises the 3.267 × MR̄ screening
    res = stats.control_limits(PP_Y, PP_N)
    assert res.centre == pytest.approx(p, rel=1e-12)
    assert res.sigma_z == pytest.approx(sigma_z, rel=1e-10)
    for i, ni in enumerate(PP_N):
        half = 3 * math.sqrt(p * (1 - p) / ni) * sigma_z
        assert res.lower[i] == pytest.approx(max(p - half, 0.0), rel=1e-10)
        assert res.upper[i] == pytest.approx(min(p + half, 1.0), rel=1e-10)


def test_u_prime_sigma_z_against_reference():
    n = [5000, 5200, 4800, 5100, 5000, 4950, 5050, 5000]
    c = [12100, 13500, 11200, 12900, 12400, 12000, 12800, 12300]
    u = sum(c) / sum(n)
    sigma_z, _ = ref_sigma_z(c, n, u, kind="rate")
    res = stats.control_limits(c, n, kind="rate")
    assert res.sigma_z == pytest.approx(sigma_z, rel=1e-10)
    for i, ni in enumerate(n):
        half = 3 * math.sqrt(u / ni) * sigma_z
        assert res.lower[i] == pytest.approx(u - half, rel=1e-10)
        assert res.upper[i] == pytest.approx(u + half, rel=1e-10)


def test_p_prime_without_overdispersion_sigma_z_near_one():
    rng = np.random.default_rng(11)
    n = rng.integers(5000, 50000, size=60)
    y = rng.binomial(n, 0.2)
    res = stats.control_limits(y, n)
    assert 0.8 <= res.sigma_z <= 1.25


def test_p_prime_with_overdispersion_sigma_z_large():
    rng = np.random.default_rng(12)
    n = rng.integers(5000, 50000, size=60)
    p = np.clip(rng.normal(0.2, 0.02, size=60), 0.01, 0.99)
    y = rng.binomial(n, p)
    res = stats.control_limits(y, n)
    assert res.sigma_z > 2
    plain = stats.control_limits(y, n, prime=False)
    assert np.all(res.upper - res.lower > plain.upper - plain.lower)


def test_control_limits_baseline_restricts_centre():
    y = [10, 12, 11, 9, 30, 32, 31]
    n = [100] * 7
    res = stats.control_limits(y, n, baseline=4, prime=False)
    assert res.centre == pytest.approx(42 / 400)
    assert len(res.lower) == len(res.upper) == 7  # limits still for every subgroup
    half = 3 * math.sqrt(0.105 * 0.895 / 100)
    assert res.upper[6] == pytest.approx(0.105 + half)
    assert stats.control_limits(y, n, prime=False).centre == pytest.approx(sum(y) / 700)


def test_p_prime_baseline_sigma_z_from_baseline_only():
    y = [*PP_Y, 600, 100, 650]
    n = [*PP_N, 1000, 1000, 1000]
    k = len(PP_Y)
    p = sum(PP_Y) / sum(PP_N)
    sigma_z, _ = ref_sigma_z(PP_Y, PP_N, p)
    res = stats.control_limits(y, n, baseline=k)
    assert res.centre == pytest.approx(p, rel=1e-12)
    assert res.sigma_z == pytest.approx(sigma_z, rel=1e-10)
