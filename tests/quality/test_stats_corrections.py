"""Statistics corrections (issue 9, item 7) for klynge.quality.stats.

1. Funnel classification by exact tail probabilities (`funnel_outside`): a clinic is
   above only when P(X ≥ r) < (1 − level)/2, below only when P(X ≤ r) < (1 − level)/2.
   The false-alarm rate of each side is computed exactly (Σ P(r) over the counts that
   are flagged) and must not exceed the nominal (1 − level)/2.
2. Laney P′/U′: moving ranges are taken between consecutive months, so a missing month
   is not bridged by a range across the gap.

Expected values are computed independently here (pmf sums, the incomplete beta and
gamma functions, scipy's binomtest, plain Python loops), never with the module's helpers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special
from scipy import stats as sps

from klynge.quality import stats

LEVELS = (0.95, 0.998)

# --- independent references ---------------------------------------------------------------


def ref_p_at_least(r: int, n: float, target: float, kind: str) -> float:
    """P(X ≥ r) by the incomplete beta (binomial) or gamma (Poisson) function."""
    if r <= 0:
        return 1.0
    if kind == "proportion":
        if r > n:
            return 0.0
        return float(special.betainc(r, n - r + 1, target))
    return float(special.gammainc(r, n * target))


def ref_p_at_most(r: int, n: float, target: float, kind: str) -> float:
    """P(X ≤ r), likewise."""
    if r < 0:
        return 0.0
    if kind == "proportion":
        if r >= n:
            return 1.0
        return float(special.betainc(n - r, r + 1, 1 - target))
    return float(special.gammaincc(r + 1, n * target))


def support(n: float, target: float, kind: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Every count r with its probability, and the probability mass left beyond the last
    one (0 for a binomial; a negligible Poisson tail, counted against us)."""
    if kind == "proportion":
        r = np.arange(int(n) + 1)
        return r, sps.binom.pmf(r, int(n), target), 0.0
    mean = n * target
    top = int(mean + 40 * math.sqrt(mean) + 40)
    r = np.arange(top + 1)
    pmf = sps.poisson.pmf(r, mean)
    return r, pmf, max(0.0, 1.0 - float(pmf.sum()))


def exact_false_alarms(n: float, target: float, level: float, kind: str) -> tuple[float, float]:
    """The exact probability that an in-control clinic is flagged below / above."""
    r, pmf, beyond = support(n, target, kind)
    side = stats.funnel_outside(r, np.full(r.shape, float(n)), target, level, kind)
    below = float(pmf[side == -1].sum())
    above = float(pmf[side == 1].sum()) + beyond
    return below, above


def old_rule(r: float, n: float, target: float, level: float, kind: str) -> int:
    """The classification this replaces: the ratio against the interpolated limits."""
    lo, hi = stats.funnel_limits(target, n, level, kind)
    y = r / n
    return 1 if y > hi[0] else -1 if y < lo[0] else 0


# --- 1. the reported bug and its mirror -----------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_twenty_of_twenty_at_95_percent_is_not_an_outlier(level):
    # About a third of in-control clinics with 20 patients score 20/20 at a 95 % target.
    assert sps.binom.pmf(20, 20, 0.95) == pytest.approx(0.3585, abs=1e-4)
    assert stats.funnel_outside([20], [20], 0.95, level).tolist() == [0]


def test_twenty_of_twenty_was_flagged_by_the_interpolated_limits():
    # The test above bites: the old comparison with the drawn limit flagged 20/20.
    assert old_rule(20, 20, 0.95, 0.998, "proportion") == 1
    assert old_rule(20, 20, 0.95, 0.95, "proportion") == 1


@pytest.mark.parametrize("level", LEVELS)
def test_mirror_case_zero_of_twenty_at_5_percent_is_not_an_outlier(level):
    assert sps.binom.pmf(0, 20, 0.05) == pytest.approx(0.3585, abs=1e-4)
    assert stats.funnel_outside([0], [20], 0.05, level).tolist() == [0]
    assert old_rule(0, 20, 0.05, level, "proportion") == 0


@pytest.mark.parametrize("level", LEVELS)
def test_the_two_mirror_cases_are_treated_alike(level):
    # r/n at target θ and (n − r)/n at target 1 − θ: the same event seen from the other side.
    for n in (5, 20, 37, 100):
        for target in (0.02, 0.05, 0.2, 0.5):
            r = np.arange(n + 1)
            up = stats.funnel_outside(r, np.full(n + 1, n), target, level)
            down = stats.funnel_outside(n - r, np.full(n + 1, n), 1 - target, level)
            assert up.tolist() == (-down).tolist()


def test_simulated_clinics_at_twenty_of_twenty():
    rng = np.random.default_rng(2024)
    r = rng.binomial(20, 0.95, size=100_000)
    n = np.full(r.shape, 20)
    assert np.mean(r == 20) == pytest.approx(0.3585, abs=0.01)
    for level in LEVELS:
        side = stats.funnel_outside(r, n, 0.95, level)
        assert np.mean(side == 1) == 0.0  # 20/20 is the most common score
        assert np.mean(side == -1) <= (1 - level) / 2


# --- 1. exact false-alarm rates -----------------------------------------------------------------

PROPORTION_TARGETS = (0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999)
RATE_TARGETS = (0.001, 0.01, 0.1, 0.5, 1.0, 2.5, 10.0)
SIZES = (1, 2, 3, 5, 8, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000)
GRID = [
    *[("proportion", t, n) for t in PROPORTION_TARGETS for n in SIZES],
    *[("rate", t, n) for t in RATE_TARGETS for n in SIZES],
]


@pytest.mark.parametrize("level", LEVELS)
def test_false_alarm_rate_at_most_nominal_over_a_grid(level):
    tail = (1 - level) / 2
    assert len(GRID) >= 300
    worst = 0.0
    for kind, target, n in GRID:
        below, above = exact_false_alarms(n, target, level, kind)
        assert below <= tail * (1 + 1e-9), (kind, target, n, "below", below)
        assert above <= tail * (1 + 1e-9), (kind, target, n, "above", above)
        worst = max(worst, below, above)
    # The limits are used, not thrown away: somewhere the rate comes close to nominal.
    assert worst > 0.5 * tail


@pytest.mark.parametrize("level", LEVELS)
def test_false_alarm_rate_at_most_nominal_random_cases(level):
    """Several hundred seeded in-control cases, n and target drawn at random."""
    rng = np.random.default_rng(7)
    tail = (1 - level) / 2
    for _ in range(300):
        kind = "proportion" if rng.random() < 0.7 else "rate"
        if kind == "proportion":
            target = float(rng.uniform(0.005, 0.995))
            n = int(rng.integers(1, 600))
        else:
            target = float(rng.uniform(0.001, 5.0))
            n = float(np.round(rng.uniform(0.5, 400.0), 1))  # exposure need not be whole
        below, above = exact_false_alarms(n, target, level, kind)
        assert below <= tail * (1 + 1e-9), (kind, target, n)
        assert above <= tail * (1 + 1e-9), (kind, target, n)


def test_old_rule_exceeded_nominal_where_the_new_one_does_not():
    """Exactly how far off the interpolated-limit classification was at 20/20."""
    r, pmf, _ = support(20, 0.95, "proportion")
    old_above = sum(
        p for k, p in zip(r, pmf, strict=True) if old_rule(k, 20, 0.95, 0.998, "proportion") == 1
    )
    assert old_above == pytest.approx(0.95**20)  # ≈ 0.358 against a nominal 0.001
    _, new_above = exact_false_alarms(20, 0.95, 0.998, "proportion")
    assert new_above == 0.0


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("kind", ["proportion", "rate"])
def test_classification_is_the_sharpest_that_keeps_nominal(level, kind):
    """Flagged exactly when the tail is below nominal: the first unflagged count beyond
    the flagged ones has a tail at or above nominal (nothing is given away)."""
    tail = (1 - level) / 2
    for target in (0.05, 0.3, 0.9) if kind == "proportion" else (0.02, 0.4, 3.0):
        for n in (10, 40, 250):
            r, _, _ = support(n, target, kind)
            side = stats.funnel_outside(r, np.full(r.shape, float(n)), target, level, kind)
            inside = r[side == 0]
            assert inside.size  # the expected count itself is never an outlier
            lo, hi = int(inside.min()), int(inside.max())
            assert np.all(side[r < lo] == -1) and np.all(side[r > hi] == 1)
            assert ref_p_at_most(lo, n, target, kind) >= tail * (1 - 1e-9)
            assert ref_p_at_least(hi, n, target, kind) >= tail * (1 - 1e-9)


# --- 1. cross-checks against independently computed tails ------------------------------------


@pytest.mark.parametrize(
    ("r", "n", "target"),
    [(20, 20, 0.95), (0, 20, 0.05), (19, 20, 0.5), (1, 20, 0.5), (30, 50, 0.3), (4, 50, 0.3),
     (27, 50, 0.3), (25, 50, 0.3), (100, 1000, 0.07), (45, 1000, 0.07)],
)  # fmt: skip
@pytest.mark.parametrize("level", LEVELS)
def test_proportion_against_binomtest(r, n, target, level):
    tail = (1 - level) / 2
    p_above = sps.binomtest(r, n, target, alternative="greater").pvalue  # P(X >= r)
    p_below = sps.binomtest(r, n, target, alternative="less").pvalue  # P(X <= r)
    expected = 1 if p_above < tail else -1 if p_below < tail else 0
    assert stats.funnel_outside([r], [n], target, level).tolist() == [expected]
    assert p_above == pytest.approx(ref_p_at_least(r, n, target, "proportion"), rel=1e-9)


@pytest.mark.parametrize(
    ("r", "exposure", "target"),
    [(0, 100, 0.03), (9, 100, 0.03), (10, 100, 0.03), (12, 100, 0.03), (0, 300, 0.03),
     (160, 50, 2.5), (95, 50, 2.5), (100, 50, 2.5), (170, 50, 2.5), (0, 2.5, 0.4)],
)  # fmt: skip
@pytest.mark.parametrize("level", LEVELS)
def test_rate_against_pmf_sums(r, exposure, target, level):
    tail = (1 - level) / 2
    mean = exposure * target
    pmf = [math.exp(k * math.log(mean) - mean - math.lgamma(k + 1)) for k in range(r + 1)]
    p_below, p_above = sum(pmf), 1.0 - sum(pmf[:-1])
    expected = 1 if p_above < tail else -1 if p_below < tail else 0
    got = stats.funnel_outside([r], [exposure], target, level, kind="rate")
    assert got.tolist() == [expected]


def test_hand_checked_values():
    # Binomial(20, 0.5): P(X >= 14) = 0.0577, P(X >= 15) = 0.0207, P(X >= 17) = 0.00129,
    # P(X >= 18) = 0.000201; by symmetry P(X <= 6) = 0.0577, P(X <= 5) = 0.0207, ...
    assert stats.funnel_outside([14, 15, 17, 18], [20] * 4, 0.5, 0.95).tolist() == [0, 1, 1, 1]
    assert stats.funnel_outside([14, 15, 17, 18], [20] * 4, 0.5, 0.998).tolist() == [0, 0, 0, 1]
    assert stats.funnel_outside([2, 3, 5, 6], [20] * 4, 0.5, 0.998).tolist() == [-1, 0, 0, 0]
    assert stats.funnel_outside([2, 3, 5, 6], [20] * 4, 0.5, 0.95).tolist() == [-1, -1, -1, 0]
    # Poisson(3): P(X >= 7) = 0.0335, P(X >= 8) = 0.0119, P(X >= 10) = 0.00110,
    # P(X >= 11) = 0.000292.
    assert stats.funnel_outside([10, 11], [100] * 2, 0.03, 0.998, "rate").tolist() == [0, 1]
    assert stats.funnel_outside([7, 8], [100] * 2, 0.03, 0.95, "rate").tolist() == [0, 1]


@settings(max_examples=300, deadline=None)
@given(
    target=st.floats(0.01, 0.99),
    n=st.integers(1, 400),
    level=st.sampled_from(LEVELS),
    data=st.data(),
)
def test_property_proportion_matches_incomplete_beta(target, n, level, data):
    r = data.draw(st.integers(0, n))
    tail = (1 - level) / 2
    p_above, p_below = (
        ref_p_at_least(r, n, target, "proportion"),
        ref_p_at_most(r, n, target, "proportion"),
    )
    got = int(stats.funnel_outside([r], [n], target, level)[0])
    # Away from a floating-point tie with the tail, the verdict is fixed by the contract.
    if p_above < tail * (1 - 1e-9):
        assert got == 1
    elif p_below < tail * (1 - 1e-9):
        assert got == -1
    elif p_above > tail * (1 + 1e-9) and p_below > tail * (1 + 1e-9):
        assert got == 0


@settings(max_examples=200, deadline=None)
@given(
    target=st.floats(0.001, 5.0),
    exposure=st.floats(0.5, 500.0),
    level=st.sampled_from(LEVELS),
    data=st.data(),
)
def test_property_rate_matches_incomplete_gamma(target, exposure, level, data):
    mean = target * exposure
    r = data.draw(st.integers(0, int(mean + 10 * math.sqrt(mean) + 10)))
    tail = (1 - level) / 2
    p_above, p_below = (
        ref_p_at_least(r, exposure, target, "rate"),
        ref_p_at_most(r, exposure, target, "rate"),
    )
    got = int(stats.funnel_outside([r], [exposure], target, level, "rate")[0])
    if p_above < tail * (1 - 1e-9):
        assert got == 1
    elif p_below < tail * (1 - 1e-9):
        assert got == -1
    elif p_above > tail * (1 + 1e-9) and p_below > tail * (1 + 1e-9):
        assert got == 0


def test_lower_side_agrees_with_the_interpolated_limits():
    """The old comparison was right below the funnel; only the upper side moves, and there
    it only becomes stricter."""
    for level in LEVELS:
        for target in (0.05, 0.3, 0.5, 0.8, 0.95):
            for n in (10, 20, 60, 200):
                r = np.arange(n + 1)
                new = stats.funnel_outside(r, np.full(r.shape, n), target, level)
                lo, hi = stats.funnel_limits(target, n, level)
                y = r / n
                assert np.array_equal(new == -1, y < lo[0]), (level, target, n)
                assert np.all(y[new == 1] > hi[0])  # stricter, never looser


def test_tail_exactly_at_nominal_is_inside():
    # Binomial(3, 0.1): P(X >= 3) = 0.1³ = 0.001 = (1 − 0.998)/2, not strictly below it.
    assert stats.funnel_outside([3], [3], 0.1, 0.998).tolist() == [0]
    assert stats.funnel_outside([0], [3], 0.9, 0.998).tolist() == [0]
    # Binomial(10, 0.5): P(X >= 10) = 1/1024 < 0.001.
    assert stats.funnel_outside([10, 0], [10, 10], 0.5, 0.998).tolist() == [1, -1]


def test_clearly_extreme_points_are_flagged():
    for level in LEVELS:
        r = [60, 5, 30, 0, 100]
        n = [100, 100, 100, 100, 100]
        assert stats.funnel_outside(r, n, 0.3, level).tolist() == [1, -1, 0, -1, 1]
        assert stats.funnel_outside([200, 40, 100], [50] * 3, 2.0, level, "rate").tolist() == [
            1,
            -1,
            0,
        ]


# --- 1. overdispersed (additive random effects) classification -------------------------------


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("kind", ["proportion", "rate"])
def test_overdispersed_matches_z_beyond_quantile(level, kind):
    rng = np.random.default_rng(31)
    target, tau2 = (0.3, 0.004) if kind == "proportion" else (1.5, 0.05)
    n = rng.integers(5, 800, size=2000).astype(float)
    theta = np.clip(target + rng.normal(0, 2.5 * math.sqrt(tau2), size=n.size), 0.001, None)
    if kind == "proportion":
        r = rng.binomial(n.astype(int), np.minimum(theta, 0.999)).astype(float)
    else:
        r = rng.poisson(n * theta).astype(float)
    got = stats.funnel_outside(r, n, target, level, kind, tau2=tau2)
    zq = sps.norm.ppf(1 - (1 - level) / 2)
    for ri, ni, g in zip(r, n, got, strict=True):
        var = target * (1 - target) / ni if kind == "proportion" else target / ni
        z = (ri / ni - target) / math.sqrt(var + tau2)
        assert g == (1 if z > zq else -1 if z < -zq else 0)
    assert (got == 1).any() and (got == -1).any() and (got == 0).any()
    lo, hi = stats.funnel_limits_overdispersed(target, n, level, tau2, kind)
    assert np.array_equal(got == 1, r / n > hi) and np.array_equal(got == -1, r / n < lo)


def test_overdispersed_points_on_a_clipped_limit_are_inside():
    # Wide limits: the upper one is clipped to 1, the lower one to 0. 0/5 and 5/5 sit on
    # them and are inside (strictly beyond is outside), as with the drawn funnel.
    lo, hi = stats.funnel_limits_overdispersed(0.5, 5, 0.998, 0.5)
    assert lo[0] == 0.0 and hi[0] == 1.0
    assert stats.funnel_outside([0, 5], [5, 5], 0.5, 0.998, tau2=0.5).tolist() == [0, 0]


def test_overdispersed_widens_the_funnel():
    # 60/200 at a 20 % target: far out of the binomial funnel, inside with τ² = 0.01.
    assert stats.funnel_outside([60], [200], 0.2, 0.998).tolist() == [1]
    assert stats.funnel_outside([60], [200], 0.2, 0.998, tau2=0.01).tolist() == [0]
    z = (0.3 - 0.2) / math.sqrt(0.2 * 0.8 / 200 + 0.01)
    assert z < 3.090232


# --- 1. input handling ---------------------------------------------------------------------------


@pytest.mark.parametrize("tau2", [0.0, 0.01])
def test_zero_denominator_and_missing_values_are_inside(tau2):
    got = stats.funnel_outside([0, 3, math.nan, 5], [0, 0, 20, math.nan], 0.5, 0.95, tau2=tau2)
    assert got.tolist() == [0, 0, 0, 0]
    assert got.dtype.kind == "i"


def test_scalars_and_float_noise():
    assert stats.funnel_outside(20, 20, 0.95, 0.998).tolist() == [0]
    # 20 that float arithmetic turned into 20.000000000004 is still 20 of 20.
    assert stats.funnel_outside([0.1 * 200 + 4e-12], [20.0], 0.95, 0.998).tolist() == [0]
    assert stats.funnel_outside([2.0000000000001], [20.0 - 1e-12], 0.5, 0.998).tolist() == [-1]


def test_non_integer_count_is_taken_literally():
    # P(X >= 16.5) = P(X >= 17) and P(X <= 4.5) = P(X <= 4) for Binomial(20, 0.5).
    assert stats.funnel_outside([16.5], [20], 0.5, 0.998).tolist() == [0]
    assert stats.funnel_outside([17.5], [20], 0.5, 0.998).tolist() == [1]
    assert stats.funnel_outside([2.5], [20], 0.5, 0.998).tolist() == [-1]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (([1], [10], 0.5, 1.0), {}),
        (([1], [10], 0.5, 0.0), {}),
        (([1], [10], 0.5, 0.95), {"kind": "ratio"}),
        (([1], [10], 0.5, 0.95), {"tau2": -0.1}),
        (([1], [10], 0.5, 0.95), {"tau2": math.nan}),
        (([1, 2], [10], 0.5, 0.95), {}),
        (([1], [10.5], 0.5, 0.95), {}),  # a proportion needs a whole denominator
    ],
)
def test_invalid_arguments_raise(args, kwargs):
    with pytest.raises(ValueError):
        stats.funnel_outside(*args, **kwargs)


def test_rate_exposure_need_not_be_whole():
    assert stats.funnel_outside([0], [2.5], 0.4, 0.95, "rate").tolist() == [0]  # P = e^-1


# --- 2. Laney P′/U′: no moving range across a missing month -------------------------------------


def ref_sigma_z_with_gaps(y, n, centre, kind="proportion"):
    """σ_z from ranges between consecutive months that both have data, screened at
    3.267 × mean and divided by 1.128. Plain Python."""
    z = []
    for yi, ni in zip(y, n, strict=True):
        if not ni or ni != ni or yi != yi:  # n = 0 or NaN, or y missing
            z.append(None)
            continue
        var = centre * (1 - centre) / ni if kind == "proportion" else centre / ni
        z.append((yi / ni - centre) / math.sqrt(var))
    mr = [
        abs(z[i] - z[i - 1]) for i in range(1, len(z)) if z[i] is not None and z[i - 1] is not None
    ]
    if not mr:
        return 1.0
    mean = sum(mr) / len(mr)
    kept = [m for m in mr if m <= 3.267 * mean]
    return sum(kept) / len(kept) / 1.128


GAP_Y = [120, 135, 128, 0, 140, 118, 131, 125]
GAP_N = [400, 420, 410, 0, 430, 395, 415, 405]


def test_p_prime_missing_month_is_not_bridged():
    p = (sum(GAP_Y)) / sum(GAP_N)
    expected = ref_sigma_z_with_gaps(GAP_Y, GAP_N, p)
    res = stats.control_limits(GAP_Y, GAP_N)
    assert res.centre == pytest.approx(p, rel=1e-12)
    assert res.sigma_z == pytest.approx(expected, rel=1e-12)
    # By hand: the five ranges 0-1, 1-2, 4-5, 5-6 and 6-7; none spans the missing month 3.
    z = [
        (yi / ni - p) / math.sqrt(p * (1 - p) / ni)
        for yi, ni in zip(GAP_Y, GAP_N, strict=True)
        if ni
    ]
    by_hand = [
        abs(z[1] - z[0]),
        abs(z[2] - z[1]),
        abs(z[4] - z[3]),
        abs(z[5] - z[4]),
        abs(z[6] - z[5]),
    ]
    assert max(by_hand) <= 3.267 * sum(by_hand) / 5  # nothing screened in this example
    assert res.sigma_z == pytest.approx(sum(by_hand) / 5 / 1.128, rel=1e-12)
    # The bridging range z[3] − z[2] (months 2 and 4) would have given another value.
    bridged = [*by_hand, abs(z[3] - z[2])]
    assert res.sigma_z != pytest.approx(sum(bridged) / 6 / 1.128, rel=1e-3)
    assert res.sigma_z == pytest.approx(0.63077132563527, rel=1e-12)  # was 0.6141973453412017
    assert math.isnan(res.lower[3]) and math.isnan(res.upper[3])


def test_p_prime_missing_month_as_nan():
    y = [*GAP_Y[:3], math.nan, *GAP_Y[4:]]
    n = [*GAP_N[:3], math.nan, *GAP_N[4:]]
    res_nan = stats.control_limits(y, n)
    res_zero = stats.control_limits(GAP_Y, GAP_N)
    assert res_nan.sigma_z == pytest.approx(res_zero.sigma_z, rel=1e-12)


def test_u_prime_two_missing_months_and_screening():
    n = [5000, 5200, 0, 0, 5100, 5000, 4950, 5050, 5000, 5100, 4900]
    c = [12100, 13500, 0, 0, 12900, 12400, 12000, 12800, 18000, 12300, 12500]
    u = sum(c) / sum(n)
    expected = ref_sigma_z_with_gaps(c, n, u, kind="rate")
    res = stats.control_limits(c, n, kind="rate")
    assert res.sigma_z == pytest.approx(expected, rel=1e-12)


def test_p_prime_gap_at_the_edges_and_baseline():
    y = [0, *GAP_Y[:3], *GAP_Y[4:], 0]
    n = [0, *GAP_N[:3], *GAP_N[4:], 0]
    p = sum(y) / sum(n)
    assert stats.control_limits(y, n).sigma_z == pytest.approx(
        ref_sigma_z_with_gaps(y, n, p), rel=1e-12
    )
    # Baseline of the first 6 subgroups (gap at index 3): centre and σ_z from those only.
    res = stats.control_limits([*GAP_Y, 300], [*GAP_N, 400], baseline=6)
    p6 = sum(GAP_Y[:6]) / sum(GAP_N[:6])
    assert res.centre == pytest.approx(p6, rel=1e-12)
    assert res.sigma_z == pytest.approx(ref_sigma_z_with_gaps(GAP_Y[:6], GAP_N[:6], p6), rel=1e-12)


def test_p_prime_no_two_consecutive_months_gives_sigma_z_one():
    res = stats.control_limits([30, 0, 32, 0, 29], [100, 0, 100, 0, 100])
    assert res.sigma_z == 1.0


PP_N = [1000, 1200, 900, 1100, 1000, 950, 1050, 1000, 1000, 1150, 980, 1020]
PP_Y = [300, 365, 268, 335, 302, 283, 318, 297, 420, 345, 292, 310]


def test_p_prime_without_gaps_unchanged():
    p = sum(PP_Y) / sum(PP_N)
    z = np.array(
        [(yi / ni - p) / math.sqrt(p * (1 - p) / ni) for yi, ni in zip(PP_Y, PP_N, strict=True)]
    )
    mr = np.abs(np.diff(z))
    kept = mr[mr <= 3.267 * mr.mean()]
    assert kept.size < mr.size  # screening is exercised
    res = stats.control_limits(PP_Y, PP_N)
    assert res.sigma_z == pytest.approx(kept.mean() / 1.128, rel=1e-12)
    assert res.sigma_z == pytest.approx(0.253065461957982, rel=1e-12)  # as before the fix


def test_u_prime_without_gaps_unchanged():
    n = [5000, 5200, 4800, 5100, 5000, 4950, 5050, 5000]
    c = [12100, 13500, 11200, 12900, 12400, 12000, 12800, 12300]
    res = stats.control_limits(c, n, kind="rate")
    assert res.sigma_z == pytest.approx(5.270493483047429, rel=1e-12)  # as before the fix
