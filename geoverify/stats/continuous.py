"""Accuracy of a continuous product (LAI, biomass, water indices …) against reference values.

Pure statistics, no I/O.  With ``m`` the map value and ``r`` the reference value at
each of ``n`` validation units, and the error ``e = m − r``:

- **bias** (mean error, MBE) ``ē = Σe / n`` with the Student-t 95% interval
  ``ē ± t_{n−1} s_e / √n`` (exact for normal errors, robust for moderate ``n``
  by the central limit theorem);
- **RMSE** ``√(Σe² / n)`` and **MAE** ``Σ|e| / n`` (Willmott 1982; Willmott &
  Matsuura 2005);
- **relative RMSE** ``RMSE / r̄`` (undefined when ``r̄ ≤ 0``);
- **R²**, the coefficient of determination of the map as a predictor of the
  reference on the 1:1 line, ``1 − Σe² / Σ(r − r̄)²`` (``sklearn.metrics.r2_score``
  with ``y_true = r``) — not the squared Pearson correlation, which ignores bias
  and scale errors (Willmott 1981);
- the **share within tolerance** ``|e| ≤ τ`` (absolute) or ``|e| ≤ τ |r|``
  (relative), a binomial proportion with the continuity-corrected Wilson
  interval (:func:`geoverify.stats.intervals.score_interval`) — the CEOS LPV
  practice of reporting the fraction of validation samples meeting an
  uncertainty requirement (Fernandes et al. 2014).

Intervals of RMSE, relative RMSE and R²: the **BCa bootstrap** (Efron 1987;
``scipy.stats.bootstrap``, paired resampling of the ``(m, r)`` units,
:data:`N_BOOTSTRAP` resamples, fixed seed so reports are reproducible).  Why not
the chi-square interval of RMSE: ``n·RMSE²/σ² ~ χ²_n`` holds only for errors that
are normal *and* centred, while validation errors of biophysical products carry
a bias and are heavy-tailed and heteroscedastic (Richter et al. 2012 on LAI
products; Fernandes et al. 2014) — the chi-square interval then under-covers.
Why not Fisher's z for R²: Fisher's transform is the sampling distribution of a
Pearson correlation, while R² on the 1:1 line is a different statistic (it can
be negative).  Above :data:`BCA_MAX_N` units the BCa jackknife (``n`` statistics
of ``n − 1`` units) is too costly and the percentile bootstrap is used (said in
``interval``).

A wall-to-wall comparison with a reference raster (:func:`census_accuracy`, from
:class:`Moments` streamed by blocks) is a census of agreement with that product:
exact figures, no interval.

References
----------
.. [1] Willmott, C. J. (1981). On the validation of models. *Physical Geography*,
   2(2), 184–194.
.. [2] Willmott, C. J. (1982). Some comments on the evaluation of model
   performance. *Bulletin of the American Meteorological Society*, 63(11),
   1309–1313.
.. [3] Willmott, C. J., & Matsuura, K. (2005). Advantages of the mean absolute
   error (MAE) over the root mean square error (RMSE) in assessing average model
   performance. *Climate Research*, 30, 79–82.
.. [4] Richter, K., Atzberger, C., Hank, T. B., & Mauser, W. (2012). Derivation of
   biophysical variables from Earth observation data: validation and statistical
   measures. *Journal of Applied Remote Sensing*, 6(1), 063557.
.. [5] Fernandes, R., Plummer, S., Nightingale, J., et al. (2014). *Global Leaf Area
   Index Product Validation Good Practices*, version 2.0. CEOS Working Group on
   Calibration and Validation, Land Product Validation Subgroup.
.. [6] Efron, B. (1987). Better bootstrap confidence intervals. *JASA*, 82(397),
   171–185.
.. [7] Newcombe, R. G. (1998). Two-sided confidence intervals for the single
   proportion: comparison of seven methods. *Statistics in Medicine*, 17(8), 857–872.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.stats.intervals import SCORE_INTERVAL, score_interval, t_quantile

__all__ = [
    "BCA_MAX_N",
    "MIN_UNITS",
    "N_BOOTSTRAP",
    "TOLERANCE_KINDS",
    "Moments",
    "census_accuracy",
    "continuous_accuracy",
    "within_tolerance",
]

#: Resamples of the bootstrap intervals.
N_BOOTSTRAP = 2000
#: Seed of the bootstrap (reports are reproducible).
SEED = 20260701
#: Above this many units the percentile bootstrap replaces BCa (jackknife cost).
BCA_MAX_N = 5000
#: Fewest validation units for any interval.
MIN_UNITS = 3
#: How a tolerance is stated.
TOLERANCE_KINDS = ("absolute", "relative")

BIAS_INTERVAL = "Student-t 95% interval of the mean error (t with n − 1 df)"


def _check_tolerance(tolerance: float, kind: str) -> None:
    if kind not in TOLERANCE_KINDS:
        raise EvidenceError(
            f"tolerance_kind {kind!r} is not one of {', '.join(TOLERANCE_KINDS)}",
            hint='tolerance_kind = "relative" (τ × |reference|) or "absolute" (map units).',
        )
    if isinstance(tolerance, bool) or not (
        isinstance(tolerance, int | float) and math.isfinite(tolerance) and tolerance > 0
    ):
        raise EvidenceError(
            f"tolerance must be a positive number, got {tolerance!r}",
            hint="tolerance = 0.15 with tolerance_kind = \"relative\" is ±15% of the reference.",
        )


def within_tolerance(
    predicted: Any, reference: Any, tolerance: float, kind: str = "relative"
) -> np.ndarray:
    """Whether each map value lies within the tolerance of its reference value.

    ``|m − r| ≤ τ`` (``kind = "absolute"``) or ``|m − r| ≤ τ |r|`` (``"relative"``:
    a reference of 0 is met only by an exact 0).  A relative tolerance of
    ``τ = 0.15`` is ±15%.
    """
    _check_tolerance(tolerance, kind)
    m = np.asarray(predicted, dtype=float)
    r = np.asarray(reference, dtype=float)
    err = np.abs(m - r)
    bound = tolerance if kind == "absolute" else tolerance * np.abs(r)
    # a relative epsilon keeps values exactly on the bound inside despite rounding
    return np.asarray(err <= bound * (1.0 + 1e-12) + 1e-300, dtype=bool)


def _r2(m: np.ndarray, r: np.ndarray, axis: int = -1) -> np.ndarray:
    ss_res = ((m - r) ** 2).sum(axis=axis)
    ss_tot = ((r - r.mean(axis=axis, keepdims=True)) ** 2).sum(axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), np.nan)


def _rmse(m: np.ndarray, r: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.sqrt(((m - r) ** 2).mean(axis=axis))


def _rrmse(m: np.ndarray, r: np.ndarray, axis: int = -1) -> np.ndarray:
    mean = r.mean(axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean > 0, _rmse(m, r, axis) / np.where(mean > 0, mean, 1.0), np.nan)


def _bootstrap(
    stat: Any, m: np.ndarray, r: np.ndarray, n_boot: int, seed: int
) -> tuple[tuple[float, float] | None, str]:
    """Paired bootstrap 95% interval of ``stat(m, r)``: BCa, or percentile above BCA_MAX_N."""
    from scipy.stats import bootstrap

    method = "BCa" if len(m) <= BCA_MAX_N else "percentile"

    def run(how: str) -> tuple[float, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = bootstrap(
                (m, r),
                lambda a, b, axis=-1: stat(a, b, axis=axis),
                paired=True,
                vectorized=True,
                n_resamples=n_boot,
                method=how,
                confidence_level=0.95,
                random_state=np.random.default_rng(seed),
            )
        return float(res.confidence_interval.low), float(res.confidence_interval.high)

    low, high = run(method)
    if not (math.isfinite(low) and math.isfinite(high)) and method == "BCa":
        method = "percentile"  # BCa degenerates when every resample gives one value
        low, high = run(method)
    if not (math.isfinite(low) and math.isfinite(high)):
        return None, method
    text = (
        f"{'BCa' if method == 'BCa' else 'percentile'} bootstrap 95% interval "
        f"({n_boot} paired resamples, seed {seed}; Efron 1987)"
    )
    return (low, high), text


def continuous_accuracy(
    predicted: Any,
    reference: Any,
    *,
    tolerance: float,
    tolerance_kind: str = "relative",
    n_boot: int = N_BOOTSTRAP,
    seed: int = SEED,
) -> dict[str, Any]:
    """Accuracy statistics of map values against reference values, each with its 95% CI.

    Parameters
    ----------
    predicted, reference : array-like (n,)
        Map and reference values at the same validation units (a simple random
        sample: every unit has the same inclusion probability).
    tolerance : float
        ``τ`` of the share within tolerance (map units, or a fraction of the
        reference value with ``tolerance_kind = "relative"``).
    tolerance_kind : {"relative", "absolute"}
    n_boot, seed : int
        Bootstrap resamples and seed.

    Returns
    -------
    dict
        ``n``, ``bias`` (+ ``bias_ci``), ``rmse`` (+ ``rmse_ci``), ``mae``,
        ``rrmse`` (+ ``rrmse_ci``), ``r2`` (+ ``r2_ci``), ``within_tolerance``
        (proportion, + ``within_tolerance_ci``), ``reference_mean``,
        ``map_mean``, ``error_sd`` and ``intervals`` (how each interval was
        computed).  Undefined values are ``None`` and named in ``undefined``.

    Raises
    ------
    EvidenceError
        Arrays of different lengths, non-finite values, no unit.

    References
    ----------
    Willmott (1981, 1982); Richter et al. (2012); Fernandes et al. (2014);
    Efron (1987); Newcombe (1998) — see the module docstring.
    """
    m = np.asarray(predicted, dtype=float).ravel()
    r = np.asarray(reference, dtype=float).ravel()
    if m.shape != r.shape:
        raise EvidenceError(f"{m.size} map values for {r.size} reference values")
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(r))):
        raise EvidenceError("map and reference values must be finite numbers")
    n = int(m.size)
    if n == 0:
        raise EvidenceError(
            "no validation unit: no reference value falls on a valid map pixel",
            hint="Check that the reference data overlap the map and are not all on nodata.",
        )
    _check_tolerance(tolerance, tolerance_kind)
    e = m - r
    undefined: dict[str, str] = {}
    bias = float(e.mean())
    sd = float(e.std(ddof=1)) if n > 1 else math.nan
    rmse = float(_rmse(m, r))
    r_mean = float(r.mean())
    rrmse = float(_rrmse(m, r))
    r2 = float(_r2(m, r))
    inside = within_tolerance(m, r, tolerance, tolerance_kind)
    k = int(inside.sum())
    out: dict[str, Any] = {
        "n": n,
        "bias": bias,
        "rmse": rmse,
        "mae": float(np.abs(e).mean()),
        "rrmse": None if not math.isfinite(rrmse) else rrmse,
        "r2": None if not math.isfinite(r2) else r2,
        "within_tolerance": k / n,
        "within_tolerance_count": k,
        "within_tolerance_ci": list(score_interval(k, n)),
        "tolerance": float(tolerance),
        "tolerance_kind": tolerance_kind,
        "reference_mean": r_mean,
        "map_mean": float(m.mean()),
        "error_sd": None if not math.isfinite(sd) else sd,
        "bias_ci": None,
        "rmse_ci": None,
        "rrmse_ci": None,
        "r2_ci": None,
    }
    if not math.isfinite(rrmse):
        undefined["rrmse"] = "the mean reference value is not positive"
    if not math.isfinite(r2):
        undefined["r2"] = "every reference value is the same (no variance to explain)"
    intervals = {"within_tolerance": SCORE_INTERVAL, "bias": BIAS_INTERVAL}
    if n >= MIN_UNITS:
        half = float(t_quantile(n - 1)) * sd / math.sqrt(n)
        out["bias_ci"] = [bias - half, bias + half]
        for key, stat in (("rmse", _rmse), ("rrmse", _rrmse), ("r2", _r2)):
            if out[key] is None:
                continue
            ci, how = _bootstrap(stat, m, r, n_boot, seed)
            out[f"{key}_ci"] = None if ci is None else list(ci)
            intervals[key] = how
    else:
        undefined["intervals"] = (
            f"{n} validation unit{'s' if n != 1 else ''}: bias, RMSE and R² intervals need "
            f"at least {MIN_UNITS}"
        )
    out["intervals"] = intervals
    if undefined:
        out["undefined"] = undefined
    return out


@dataclass
class Moments:
    """Streaming sums of a wall-to-wall comparison (combine blocks with ``+``)."""

    n: int = 0
    sum_m: float = 0.0
    sum_r: float = 0.0
    sum_e: float = 0.0
    sum_e2: float = 0.0
    sum_abs_e: float = 0.0
    sum_r2: float = 0.0
    within: int = 0

    @classmethod
    def of(
        cls, predicted: np.ndarray, reference: np.ndarray, tolerance: float, kind: str
    ) -> Moments:
        """The sums of one block of valid pixel pairs."""
        m = np.asarray(predicted, dtype=float)
        r = np.asarray(reference, dtype=float)
        e = m - r
        return cls(
            n=int(m.size),
            sum_m=float(m.sum()),
            sum_r=float(r.sum()),
            sum_e=float(e.sum()),
            sum_e2=float((e * e).sum()),
            sum_abs_e=float(np.abs(e).sum()),
            sum_r2=float((r * r).sum()),
            within=int(within_tolerance(m, r, tolerance, kind).sum()),
        )

    def __add__(self, other: Moments) -> Moments:
        return Moments(
            n=self.n + other.n,
            sum_m=self.sum_m + other.sum_m,
            sum_r=self.sum_r + other.sum_r,
            sum_e=self.sum_e + other.sum_e,
            sum_e2=self.sum_e2 + other.sum_e2,
            sum_abs_e=self.sum_abs_e + other.sum_abs_e,
            sum_r2=self.sum_r2 + other.sum_r2,
            within=self.within + other.within,
        )


def census_accuracy(
    moments: Moments, *, tolerance: float, tolerance_kind: str = "relative"
) -> dict[str, Any]:
    """The statistics of :func:`continuous_accuracy` from a census of pixel pairs (no interval).

    Every valid pixel pair of the map and a reference raster is counted, so the
    figures are exact (agreement with that reference product); every ``_ci`` is
    the degenerate ``[value, value]``.
    """
    _check_tolerance(tolerance, tolerance_kind)
    n = moments.n
    if n == 0:
        raise EvidenceError(
            "no valid pixel pair: the map and the reference raster share no valid pixel",
            hint="Check that the reference raster overlaps the map and is not all nodata.",
        )
    r_mean = moments.sum_r / n
    rmse = math.sqrt(moments.sum_e2 / n)
    ss_tot = moments.sum_r2 - n * r_mean * r_mean
    r2 = 1.0 - moments.sum_e2 / ss_tot if ss_tot > 1e-12 * max(moments.sum_r2, 1e-300) else None
    rrmse = rmse / r_mean if r_mean > 0 else None
    undefined: dict[str, str] = {}
    if rrmse is None:
        undefined["rrmse"] = "the mean reference value is not positive"
    if r2 is None:
        undefined["r2"] = "every reference value is the same (no variance to explain)"
    share = moments.within / n

    def exact(v: float | None) -> list[float] | None:
        return None if v is None else [v, v]

    bias = moments.sum_e / n
    out: dict[str, Any] = {
        "n": n,
        "bias": bias,
        "rmse": rmse,
        "mae": moments.sum_abs_e / n,
        "rrmse": rrmse,
        "r2": r2,
        "within_tolerance": share,
        "within_tolerance_count": moments.within,
        "within_tolerance_ci": [share, share],
        "tolerance": float(tolerance),
        "tolerance_kind": tolerance_kind,
        "reference_mean": r_mean,
        "map_mean": moments.sum_m / n,
        "error_sd": None,
        "bias_ci": exact(bias),
        "rmse_ci": exact(rmse),
        "rrmse_ci": exact(rrmse),
        "r2_ci": exact(r2),
        "intervals": {"all": "none: a census of pixel pairs has no sampling error"},
    }
    if undefined:
        out["undefined"] = undefined
    return out
