"""Confidence intervals with documented small-sample behaviour, and the sample sizes that decide.

Every interval a verdict is held against comes from here:

- :func:`score_interval` — the Wilson (1927) score interval of a binomial
  proportion with Yates' continuity correction (Newcombe 1998, method 4), the
  interval of every simple-random verdict.  Unlike the Wald interval
  ``p ± 1.96 SE`` it never collapses to a point at ``p = 0`` or ``1``.  The
  plain Wilson interval (:func:`wilson_interval`) is kept for reference: its
  coverage oscillates below the nominal level (92.4% at n = 20, p = 0.95; 92.1%
  at n = 100, p = 0.99: Brown, Cai & DasGupta 2001, Fig. 4), while the
  continuity-corrected one stays at or above 95% at those points (Newcombe 1998,
  Table II; Agresti & Coull 1998 discuss both);
- :func:`effective_interval` — the same score interval on the *design-effective*
  sample size of Korn & Graubard (1998) for proportions estimated under a
  complex design (stratified estimates of overall, user's and producer's
  accuracy, Olofsson et al. 2014, Stehman 2014):
  ``n_eff = p (1 − p) / SE²``, with their degrees-of-freedom adjustment
  ``n*_eff = n_eff (t_{n−1} / t_df)²`` (``df = n − H``, H strata), truncated at
  the actual sample size ``n`` (as the NCHS standards for proportions do,
  Parker et al. 2017): a stratum whose sample happens to be all correct has an
  estimated variance of 0 and would otherwise inflate ``n_eff`` far beyond the
  information in the sample.  When the estimated SE is ``0`` (every stratum all
  correct or all wrong) ``n_eff = n`` is used (then adjusted alike), so a
  perfect small sample never claims certainty;
- :func:`smallest_deciding_size` — the smallest total sample size at which a
  monotone decision rule decides (search both ways from a start, then bisect);
- :func:`median_ci` — the distribution-free interval of a median from order
  statistics (Conover 1999, §3.2);
- :func:`agreement_bounds` — what agreement with an imperfect reference product
  says about the map's accuracy: the Fréchet (1951) bounds.

No interval here is a Wald interval clipped to [0, 1].

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. *JASA*, 22(158), 209–212.
.. [2] Agresti, A., & Coull, B. A. (1998). Approximate is better than "exact" for
   interval estimation of binomial proportions. *The American Statistician*,
   52(2), 119–126.
.. [3] Brown, L. D., Cai, T. T., & DasGupta, A. (2001). Interval estimation for a
   binomial proportion. *Statistical Science*, 16(2), 101–133.
.. [7] Newcombe, R. G. (1998). Two-sided confidence intervals for the single
   proportion: comparison of seven methods. *Statistics in Medicine*, 17(8),
   857–872.
.. [8] Parker, J. D., Talih, M., Malec, D. J., et al. (2017). National Center for
   Health Statistics data presentation standards for proportions. *Vital and
   Health Statistics*, 2(175).
.. [9] Conover, W. J. (1999). *Practical Nonparametric Statistics* (3rd ed.). Wiley,
   §3.2 (confidence interval for a quantile).
.. [10] Fréchet, M. (1951). Sur les tableaux de corrélation dont les marges sont
   données. *Annales de l'Université de Lyon, Section A*, 14, 53–77.
.. [11] Foody, G. M. (2010). Assessing the accuracy of land cover change with
   imperfect ground reference data. *Remote Sensing of Environment*, 114(10),
   2271–2285.
.. [4] Korn, E. L., & Graubard, B. I. (1998). Confidence intervals for proportions
   with small expected number of positive counts estimated from survey data.
   *Survey Methodology*, 24(2), 193–201.
.. [5] Olofsson, P., Foody, G. M., Herold, M., Stehman, S. V., Woodcock, C. E., &
   Wulder, M. A. (2014). Good practices for estimating area and assessing accuracy
   of land change. *Remote Sensing of Environment*, 148, 42–57.
.. [6] Stehman, S. V. (2014). Estimating area and map accuracy for stratified random
   sampling when the strata are different from the map classes. *International
   Journal of Remote Sensing*, 35(13), 4923–4939.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError

__all__ = [
    "EFFECTIVE_INTERVAL",
    "MIN_MEDIAN_ORDER_STATISTICS",
    "SCORE_INTERVAL",
    "Z95",
    "agreement_bounds",
    "effective_interval",
    "effective_n",
    "median_ci",
    "score_bounds",
    "score_interval",
    "smallest_deciding_size",
    "t_quantile",
    "wilson_bounds",
    "wilson_interval",
]

#: Two-sided 95% normal quantile.
Z95 = 1.959963984540054

#: How the simple-random intervals are computed (written into reports).
SCORE_INTERVAL = (
    "Wilson score 95% interval with continuity correction (Wilson 1927; Newcombe 1998, "
    "method 4)"
)

#: How the stratified intervals are computed (written into reports).
EFFECTIVE_INTERVAL = (
    "continuity-corrected Wilson 95% interval on the design-effective sample size "
    "n_eff = p(1-p)/SE^2 with the degrees-of-freedom adjustment n_eff (t_{n-1}/t_{n-H})^2 "
    "(Korn & Graubard 1998), at most n (Parker et al. 2017); n_eff = n when SE = 0"
)


def wilson_bounds(p: Any, n: Any, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Wilson score bounds of a proportion ``p`` observed on ``n`` (> 0) units [1]_.

    ``n`` may be fractional (an effective sample size).  The bounds are clamped to
    contain ``p`` against rounding; they lie in [0, 1] by construction.
    """
    p_a = np.asarray(p, dtype=float)
    n_a = np.asarray(n, dtype=float)
    z2 = z * z
    denom = 1.0 + z2 / n_a
    centre = (p_a + z2 / (2.0 * n_a)) / denom
    half = z * np.sqrt(np.maximum(p_a * (1.0 - p_a), 0.0) / n_a + z2 / (4.0 * n_a * n_a)) / denom
    low = np.clip(np.minimum(centre - half, p_a), 0.0, 1.0)
    high = np.clip(np.maximum(centre + half, p_a), 0.0, 1.0)
    return low, high


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``successes / n`` [1]_ [2]_ [3]_.

    Unlike the Wald interval it keeps a non-zero width when every sample is correct
    (or wrong), so a perfect small sample does not claim certainty.
    """
    if not n > 0:
        raise EvidenceError("a proportion needs at least one sample")
    low, high = wilson_bounds(successes / n, n, z)
    return float(low), float(high)


def score_bounds(p: Any, n: Any, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised continuity-corrected Wilson bounds (Newcombe 1998, method 4) [7]_.

    ``L = (2np + z² − 1 − z √(z² − 2 − 1/n + 4p(nq + 1))) / (2(n + z²))`` (0 at
    ``p = 0``) and ``U = (2np + z² + 1 + z √(z² + 2 − 1/n + 4p(nq − 1))) / (2(n + z²))``
    (1 at ``p = 1``), ``q = 1 − p``.  ``n`` may be fractional (an effective sample
    size); the bounds contain ``p`` and lie in [0, 1].
    """
    p_a = np.asarray(p, dtype=float)
    n_a = np.asarray(n, dtype=float)
    q_a = 1.0 - p_a
    z2 = z * z
    centre = 2.0 * n_a * p_a + z2
    denom = 2.0 * (n_a + z2)
    root_lo = np.sqrt(np.maximum(z2 - 2.0 - 1.0 / n_a + 4.0 * p_a * (n_a * q_a + 1.0), 0.0))
    root_hi = np.sqrt(np.maximum(z2 + 2.0 - 1.0 / n_a + 4.0 * p_a * (n_a * q_a - 1.0), 0.0))
    low = np.where(p_a <= 0.0, 0.0, (centre - 1.0 - z * root_lo) / denom)
    high = np.where(p_a >= 1.0, 1.0, (centre + 1.0 + z * root_hi) / denom)
    low = np.clip(np.minimum(low, p_a), 0.0, 1.0)
    high = np.clip(np.maximum(high, p_a), 0.0, 1.0)
    return low, high


def score_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Continuity-corrected Wilson interval of ``successes / n`` [1]_ [7]_: the verdicts' interval.

    Agrees with ``scipy.stats.binomtest(k, n).proportion_ci(method="wilsoncc")``.
    """
    if not n > 0:
        raise EvidenceError("a proportion needs at least one sample")
    low, high = score_bounds(successes / n, n, z)
    return float(low), float(high)


def t_quantile(df: Any, level: float = 0.95) -> np.ndarray:
    """Two-sided Student-t quantile ``t_{df, 1-(1-level)/2}``; the normal one for ``df = inf``."""
    from scipy.stats import t

    return np.asarray(t.ppf(1.0 - (1.0 - level) / 2.0, np.asarray(df, dtype=float)))


def effective_n(p: Any, se: Any, n: Any, df: Any | None = None) -> np.ndarray:
    """Design-effective sample size of Korn & Graubard (1998) [4]_, vectorised.

    ``n_eff = p (1 − p) / SE²``; ``n`` (the nominal sample size) where ``SE = 0`` or
    ``p`` is 0 or 1 (no information on the variance).  With ``df`` (the design's
    degrees of freedom, ``n − H`` for H strata) the adjustment
    ``n*_eff = n_eff (t_{n−1} / t_df)²`` is applied; ``df < 1`` gives ``nan``
    (no interval).
    """
    p_a = np.asarray(p, dtype=float)
    se_a = np.asarray(se, dtype=float)
    n_a = np.asarray(n, dtype=float)
    informative = (se_a > 0) & (p_a > 0) & (p_a < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(informative, p_a * (1.0 - p_a) / np.where(se_a > 0, se_a, 1.0) ** 2, n_a)
    if df is None:
        return np.asarray(raw, dtype=float)
    df_a = np.asarray(df, dtype=float)
    ok = (df_a >= 1) & (n_a >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = t_quantile(np.where(ok, n_a - 1.0, 1.0)) / t_quantile(np.where(ok, df_a, 1.0))
    return np.asarray(np.where(ok, raw * ratio**2, np.nan), dtype=float)


def effective_interval(
    p: float, se: float, n: float, df: float | None
) -> tuple[tuple[float, float] | None, float | None]:
    """Score 95% interval on the design-effective sample size (Korn & Graubard 1998) [4]_.

    :func:`score_bounds` at ``min(n*_eff, n)`` (:func:`effective_n`, truncated at
    ``n`` as in Parker et al. 2017 [8]_).

    Parameters
    ----------
    p : float
        The design-based estimate of a proportion (stratified OA, UA or PA [5]_ [6]_).
    se : float
        Its estimated standard error.
    n : float
        The number of sample units behind it.
    df : float or None
        Degrees of freedom of the variance estimate (``n − H``); ``None`` skips the
        adjustment.

    Returns
    -------
    (interval or None, n_eff or None)
        ``None`` when no interval exists (``df < 1``, no sample, or a non-finite
        estimate).
    """
    if not (math.isfinite(p) and math.isfinite(se) and n > 0):
        return None, None
    m = min(float(effective_n(p, se, n, df)), float(n))
    if not (math.isfinite(m) and m > 0):
        return None, None
    low, high = score_bounds(p, m)
    return (float(low), float(high)), m


def smallest_deciding_size(
    decides: Callable[[int], bool], start: int, floor: int, max_n: int = 10_000_000
) -> int | None:
    """Smallest size ``N >= floor`` with ``decides(N)``, for a rule monotone in ``N``.

    The search starts at ``start`` (a normal-approximation guess), walks down by
    halving the step while the rule still decides and up by doubling while it
    does not, then bisects between the last size that does not decide and the
    first that does.  ``None`` when no size up to ``max_n`` decides.
    """
    floor = max(int(floor), 1)
    if decides(floor):
        return floor
    hi = min(max(int(start), floor + 1), max_n)
    lo = floor  # known not to decide
    while not decides(hi):  # search upward
        lo = hi
        if hi >= max_n:
            return None
        hi = min(max(2 * hi, hi + 1), max_n)
    # search downward between lo (does not decide) and hi (decides)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if decides(mid):
            hi = mid
        else:
            lo = mid
    return hi


#: Fewest order statistics with a distribution-free 95% interval of a median:
#: ``P(x_(1) <= median <= x_(n)) = 1 - 2^(1-n)`` reaches 0.95 at n = 6 (Conover 1999).
MIN_MEDIAN_ORDER_STATISTICS = 6


def median_ci(values: Any, level: float = 0.95) -> tuple[float, float] | None:
    """Distribution-free interval of the median from order statistics.

    The interval ``[x_(r), x_(n-r+1)]`` with the largest ``r`` such that
    ``P(B <= r - 1) <= (1 - level) / 2`` for ``B ~ Binomial(n, 1/2)``: its coverage
    is at least ``level`` for any continuous distribution.

    Parameters
    ----------
    values : array_like
        The sample.
    level : float
        Confidence level (0.95).

    Returns
    -------
    (low, high) or None
        ``None`` when the sample is too small for the level (n < 6 at 95%).

    References
    ----------
    .. [1] Conover, W. J. (1999). *Practical Nonparametric Statistics* (3rd ed.).
       Wiley, §3.2.
    """
    from scipy.stats import binom

    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    alpha = 1 - level
    r = int(binom.ppf(alpha / 2, n, 0.5))
    while r > 0 and binom.cdf(r - 1, n, 0.5) > alpha / 2:
        r -= 1
    if r < 1:
        return None
    return float(x[r - 1]), float(x[n - r])


def agreement_bounds(
    agreement: tuple[float, float], reference_accuracy: float
) -> tuple[float, float]:
    """Bounds (%) on a map's accuracy from its agreement with an imperfect reference.

    Let ``A`` be the share of units where map and reference agree and ``R`` the
    reference's own accuracy.  Where the two agree and the reference is right,
    the map is right, so the map's accuracy ``M >= P(agree and reference right)
    >= A + R - 100`` (the Fréchet lower bound of an intersection).  Where the map
    and the reference are both right they agree, and where the map is right but
    they disagree the reference is wrong, so ``M <= min(A, R) + min(100 - A,
    100 - R) = 100 - |A - R|``.  Both bounds are sharp: nothing more can be said
    without knowing where the reference errs (Foody 2010 shows how far apparent
    accuracy can move with reference error).  With an interval ``[A_lo, A_hi]``
    of agreement the bounds are taken over the interval.

    Parameters
    ----------
    agreement : (float, float)
        Agreement interval in % (``(A, A)`` for a census).
    reference_accuracy : float
        The reference's declared overall accuracy in %.

    Returns
    -------
    (low, high)
        The interval the map's accuracy lies in, in %.

    References
    ----------
    .. [1] Fréchet, M. (1951). Sur les tableaux de corrélation dont les marges sont
       données. *Annales de l'Université de Lyon, Section A*, 14, 53–77.
    .. [2] Foody, G. M. (2010). Assessing the accuracy of land cover change with
       imperfect ground reference data. *Remote Sensing of Environment*, 114(10),
       2271–2285.
    """
    lo_a, hi_a = (float(v) for v in agreement)
    r = float(reference_accuracy)
    if not (0.0 <= lo_a <= hi_a <= 100.0 and 0.0 <= r <= 100.0):
        raise ValueError(f"agreement {agreement!r} and accuracy {r!r} must be % in [0, 100]")
    low = max(0.0, lo_a + r - 100.0)
    nearest = min(max(r, lo_a), hi_a)  # the agreement in the interval closest to R
    high = 100.0 - abs(nearest - r)
    return low, high
