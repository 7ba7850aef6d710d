"""Honest statistics for quality data (DATA-5). Pure numpy/scipy: no Django imports,
so the contract is tested directly against independently computed values.

Sources (formulas only; no code copied — qicharts2 is GPL-3):
* Funnel plots: Spiegelhalter, Stat Med 2005;24:1185 (exact limits with interpolation)
  and Qual Saf Health Care 2005;14:347 (overdispersion, additive random effects).
* Run charts: Anhøj & Olesen, PLoS ONE 2014;9:e113825; Anhøj, PLoS ONE 2015;10:e0121349.
* P′/U′ charts: Laney, Qual Eng 2002;14:531.
* Disclosure control: Sundhedsdatastyrelsen's "fewer than 5" rule, with complement and
  secondary suppression (METHODS.md part B).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def _sps():
    """scipy.stats, imported on first use: it costs half a second at start-up, which
    every command and worker would otherwise pay."""
    from scipy import stats

    return stats


ArrayLike = Sequence[float] | np.ndarray

PROPORTION = "proportion"
RATE = "rate"


def _as_array(values: ArrayLike | float) -> np.ndarray:
    return np.atleast_1d(np.asarray(values, dtype=float))


# --- Funnel plots (Spiegelhalter 2005) -----------------------------------------------------


def _exact_quantile(p: float, n: np.ndarray, target: float, kind: str) -> np.ndarray:
    """(r_p − α)/n: the interpolated exact quantile of the count, as a ratio."""
    if kind == PROPORTION:
        dist = _sps().binom(n, target)
    elif kind == RATE:
        dist = _sps().poisson(n * target)
    else:
        raise ValueError(f"kind must be {PROPORTION!r} or {RATE!r}")
    r = dist.ppf(p)  # smallest r with F(r) >= p
    f_r = dist.cdf(r)
    f_below = dist.cdf(r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(f_r > f_below, (f_r - p) / (f_r - f_below), 0.0)
        limit = (r - alpha) / n
    return np.where(n > 0, limit, np.nan)


def funnel_limits(
    target: float, n: ArrayLike | float, level: float, kind: str = PROPORTION
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits at each denominator in `n`.

    `target` is θ₀ (a proportion, or events per unit of exposure for `kind="rate"`),
    `level` the coverage (0.95 or 0.998). Exact binomial (Poisson for rates) limits
    with Spiegelhalter's interpolation, so they are smooth in n. Proportion limits are
    clipped to [0, 1]; rate limits to [0, ∞). n = 0 gives NaN.
    """
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1, e.g. 0.95 or 0.998")
    n = _as_array(n)
    tail = (1 - level) / 2
    lower = _exact_quantile(tail, n, target, kind)
    upper = _exact_quantile(1 - tail, n, target, kind)
    lower, upper = np.maximum(lower, 0.0), np.maximum(upper, 0.0)
    if kind == PROPORTION:
        upper = np.minimum(upper, 1.0)
    return lower, upper


@dataclass(frozen=True)
class Overdispersion:
    phi: float  # φ̂: 1 means pure binomial/Poisson noise
    tau2: float  # τ̂²: between-clinic variance (additive random effect), ≥ 0
    clinics: int  # I: clinics the estimate rests on


def overdispersion(
    numerators: ArrayLike,
    denominators: ArrayLike,
    target: float,
    kind: str = PROPORTION,
    winsorise: float = 0.10,
) -> Overdispersion:
    """Estimate φ̂ and τ̂² (DerSimonian–Laird) from winsorised z-scores.

    Estimate it once over many clinics (the nation) and reuse it for a cluster's funnel:
    a cluster's 5-15 clinics are too few. Clinics with n = 0 are ignored.
    """
    r, n = _as_array(numerators), _as_array(denominators)
    keep = n > 0
    r, n = r[keep], n[keep]
    clinics = int(n.size)
    if clinics < 2:
        return Overdispersion(phi=1.0, tau2=0.0, clinics=clinics)
    variance = target * (1 - target) / n if kind == PROPORTION else target / n
    s = np.sqrt(variance)
    z = (r / n - target) / s
    low, high = np.quantile(z, [winsorise, 1 - winsorise])
    z = np.clip(z, low, high)
    phi = float(np.mean(z**2))
    w = 1 / s**2
    denominator = float(w.sum() - (w**2).sum() / w.sum())
    tau2 = max(0.0, (clinics * phi - (clinics - 1)) / denominator) if denominator > 0 else 0.0
    return Overdispersion(phi=phi, tau2=tau2, clinics=clinics)


def funnel_limits_overdispersed(
    target: float, n: ArrayLike | float, level: float, tau2: float, kind: str = PROPORTION
) -> tuple[np.ndarray, np.ndarray]:
    """Additive random-effects limits θ₀ ± z·√(s²(n) + τ̂²) (Spiegelhalter 2005b)."""
    n = _as_array(n)
    z = _sps().norm.ppf(1 - (1 - level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = target * (1 - target) / n if kind == PROPORTION else target / n
        half = z * np.sqrt(variance + tau2)
    lower = np.where(n > 0, np.maximum(target - half, 0.0), np.nan)
    upper = target + half
    if kind == PROPORTION:
        upper = np.minimum(upper, 1.0)
    return lower, np.where(n > 0, upper, np.nan)


BELOW, INSIDE, ABOVE = -1, 0, 1


def _snap_to_counts(x: np.ndarray) -> np.ndarray:
    """Whole numbers that float arithmetic has nudged (19.999999999) back onto the count."""
    nearest = np.rint(x)
    close = np.abs(x - nearest) <= 1e-9 * np.maximum(1.0, np.abs(x))
    return np.where(close, nearest, x)


def funnel_outside(
    numerators: ArrayLike,
    denominators: ArrayLike,
    target: float,
    level: float,
    kind: str = PROPORTION,
    tau2: float = 0.0,
) -> np.ndarray:
    """Classify each clinic against the `level` funnel: −1 below, 0 inside, +1 above.

    Contract, with tail = (1 − level)/2 and X the count expected from an in-control
    clinic, Binomial(n, target) (Poisson(n·target) for `kind="rate"`):

    * +1 (above) only when P(X ≥ r) < tail, i.e. `sf(r − 1)`;
    * −1 (below) only when P(X ≤ r) < tail, i.e. `cdf(r)`;
    * 0 otherwise. A tail exactly equal to (1 − level)/2 is not below it (within 1e-9
      relative, so floating-point rounding cannot tip a tie either way).

    So an in-control clinic is flagged above with probability at most `tail`, and below
    with probability at most `tail`, for every n and target: the classification uses
    the exact tail probabilities of the observed count, not the interpolated limits of
    `funnel_limits` (those are for drawing). A count that is common (20/20 at a target of
    95 %, which about a third of in-control clinics score) is never an outlier, on either
    side alike.

    With `tau2` > 0 (additive random effects, Spiegelhalter 2005b) the classification is
    the normal approximation that `funnel_limits_overdispersed` draws: outside when
    z = (r/n − target)/√(s²(n) + τ̂²) is strictly beyond ±z₁₋tail, which is the same as the
    ratio lying strictly beyond the drawn (clipped) limit. A point on a limit is inside.

    Numerators are counts (a non-integer r is taken literally: P(X ≥ r) = P(X ≥ ⌈r⌉));
    proportion denominators must be whole counts. n ≤ 0 or a missing value (NaN) gives 0:
    such a clinic cannot be classified.
    """
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1, e.g. 0.95 or 0.998")
    if kind not in (PROPORTION, RATE):
        raise ValueError(f"kind must be {PROPORTION!r} or {RATE!r}")
    if not tau2 >= 0:
        raise ValueError("tau2 must be 0 or positive")
    r, n = _as_array(numerators), _as_array(denominators)
    if r.shape != n.shape:
        raise ValueError("numerators and denominators differ in length")
    usable = np.isfinite(r) & np.isfinite(n) & (n > 0)
    out = np.zeros(r.shape, dtype=int)
    if not usable.any():
        return out
    r, n = _snap_to_counts(r[usable]), n[usable]
    tail = (1 - level) / 2
    if tau2 > 0:
        lower, upper = funnel_limits_overdispersed(target, n, level, tau2, kind)
        y = r / n
        above, below = y > upper, y < lower
    else:
        if kind == PROPORTION:
            n = _snap_to_counts(n)
            if np.any(n != np.rint(n)):
                raise ValueError("proportion denominators must be whole counts")
            dist = _sps().binom(n, target)
        else:
            dist = _sps().poisson(n * target)
        p_at_least = dist.sf(np.ceil(r) - 1)  # P(X >= r)
        p_at_most = dist.cdf(np.floor(r))  # P(X <= r)
        # A tie with the tail (0.1³ = 0.001 at 99.8 %) is not beyond it, whichever way
        # the last bit of floating point falls.
        beyond = tail * (1 - 1e-9)
        above, below = p_at_least < beyond, p_at_most < beyond
    out[usable] = np.where(above, ABOVE, np.where(below, BELOW, INSIDE))
    return out


# --- Run charts (Anhøj rules) -------------------------------------------------------------------


def longest_run_limit(n_useful: int) -> int:
    """Signal when the longest run exceeds round(log2(n)) + 3 (Schilling 2012)."""
    return round(math.log2(n_useful)) + 3


def crossings_limit(n_useful: int) -> int:
    """Signal when crossings are fewer than qbinom(0.05, n − 1, 0.5)."""
    return int(_sps().binom.ppf(0.05, n_useful - 1, 0.5))


@dataclass(frozen=True)
class RunsAnalysis:
    median: float
    n_useful: int  # points not on the median (and not missing)
    longest_run: int
    longest_run_max: int
    crossings: int
    crossings_min: int
    signal: bool | None  # None: fewer than 10 useful points, no verdict
    longest_run_side: int = 0  # +1 above, -1 below the median
    longest_run_start: int | None = None  # index in the input of the run's first point
    longest_run_end: int | None = None  # index of its last point

    @property
    def runs_signal(self) -> bool:
        return bool(self.signal) and self.longest_run > self.longest_run_max

    @property
    def crossings_signal(self) -> bool:
        return bool(self.signal) and self.crossings < self.crossings_min


MIN_USEFUL = 10


def runs_analysis(values: ArrayLike, baseline: int | None = None) -> RunsAnalysis:
    """Anhøj's runs analysis of a series (NaN = missing point).

    The centre line is the median of the first `baseline` points (a frozen baseline) or
    of all points; the analysis runs over the whole series against it. Points exactly
    on the median neither break nor contribute to a run.
    """
    x = _as_array(values)
    base = x[:baseline] if baseline else x
    base = base[~np.isnan(base)]
    if base.size == 0:
        return RunsAnalysis(math.nan, 0, 0, 0, 0, 0, None)
    median = float(np.median(base))
    index = np.flatnonzero(~np.isnan(x) & (x != median))
    signs = np.sign(x[index] - median).astype(int)
    n = int(signs.size)
    longest = crossings = 0
    side = 0
    start = end = None
    if n:
        changes = np.flatnonzero(np.diff(signs) != 0)
        crossings = int(changes.size)
        bounds = np.concatenate(([0], changes + 1, [n]))
        lengths = np.diff(bounds)
        k = int(np.argmax(lengths))  # the first of the longest runs
        longest = int(lengths[k])
        side = int(signs[bounds[k]])
        start, end = int(index[bounds[k]]), int(index[bounds[k + 1] - 1])
    if n < MIN_USEFUL:
        return RunsAnalysis(median, n, longest, 0, crossings, 0, None, side, start, end)
    run_max, cross_min = longest_run_limit(n), crossings_limit(n)
    signal = longest > run_max or crossings < cross_min
    return RunsAnalysis(median, n, longest, run_max, crossings, cross_min, signal, side, start, end)


# --- P and P′ (Laney) control charts --------------------------------------------------------------


@dataclass(frozen=True)
class ControlLimits:
    centre: float
    lower: np.ndarray
    upper: np.ndarray
    sigma_z: float  # Laney's σ_z; 1.0 for a plain P/U chart


def control_limits(
    numerators: ArrayLike,
    denominators: ArrayLike,
    *,
    kind: str = PROPORTION,
    baseline: int | None = None,
    prime: bool = True,
    sigmas: float = 3.0,
) -> ControlLimits:
    """P (U for rates) chart limits, or Laney's P′ (U′) with `prime=True`.

    The centre line is Σy/Σn over the baseline subgroups. For P′, zᵢ = (pᵢ − p̄)/σᵢ and
    σ_z = mean moving range of z / 1.128, after screening moving ranges above
    3.267 × their mean (Nelson); limits are p̄ ± 3·σᵢ·σ_z. Moving ranges are taken
    between consecutive subgroups only: a missing month (n = 0 or NaN) breaks the chain
    rather than being bridged by a range across the gap. Laney's charts reduce to
    P/U charts when there is no overdispersion, so they suit large regional series.
    """
    y, n = _as_array(numerators), _as_array(denominators)
    b = slice(0, baseline) if baseline else slice(None)
    ok = n[b] > 0
    centre = float(y[b][ok].sum() / n[b][ok].sum()) if ok.any() else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = centre * (1 - centre) / n if kind == PROPORTION else centre / n
        sigma = np.sqrt(variance)
        sigma_z = 1.0
        if prime:
            z = (y / n - centre) / sigma
            # Ranges between consecutive months; a missing month (n = 0, NaN) leaves
            # its two ranges non-finite, and they are dropped: no range bridges a gap.
            moving = np.abs(np.diff(z[b]))
            moving = moving[np.isfinite(moving)]
            if moving.size:
                moving = moving[moving <= 3.267 * moving.mean()]
                sigma_z = float(moving.mean() / 1.128) if moving.size else 1.0
        half = sigmas * sigma * sigma_z
    lower = np.where(n > 0, np.maximum(centre - half, 0.0), np.nan)
    upper = np.where(n > 0, centre + half, np.nan)
    if kind == PROPORTION:
        upper = np.minimum(upper, 1.0)
    return ControlLimits(centre, lower, upper, sigma_z)
