"""Precision and bias of retrieved greenhouse-gas columns against reference collocations.

The differences ``d = retrieved − reference`` of ``n`` collocations give:

- **bias**: the mean of ``d``, with the Student-t 95% interval
  ``mean ± t(0.975, n−1) · s / √n``;
- **precision** (single-sounding precision): the standard deviation ``s`` of
  ``d`` (``ddof = 1``), with the chi-square 95% interval
  ``[s·√((n−1)/χ²(0.975, n−1)), s·√((n−1)/χ²(0.025, n−1))]``;
- **RMSE**: ``√(mean d²)``; its interval comes from the Student-t interval of
  the mean of ``d²`` (large-sample, delta method), clipped at 0, then square-rooted;
- **station-to-station variability**: the standard deviation of the per-station
  mean biases (ddof = 1, at least 2 stations) with the chi-square interval on
  ``k − 1`` degrees of freedom (Wunch et al. 2017, "station-to-station
  variability"); it includes the sampling noise of each station mean.

Outliers are only removed on request (evidence key ``outliers = k``): rows with
``|d − median(d)| > k · 1.4826 · MAD(d)`` are excluded and listed in the
details; the default ``"none"`` keeps every row.

References
----------
Wunch, D. et al. (2011). The Total Carbon Column Observing Network. Phil.
Trans. R. Soc. A 369, 2087–2112.

Wunch, D. et al. (2017). Comparisons of the Orbiting Carbon Observatory-2
(OCO-2) XCO2 measurements with TCCON. Atmos. Meas. Tech. 10, 2209–2238.

Sheskin, D. J. (2011). Handbook of Parametric and Nonparametric Statistical
Procedures, 5th ed.: the chi-square confidence interval of a variance
(``(n−1)s²/σ² ~ χ²(n−1)`` for normal data).

Leys, C. et al. (2013). Detecting outliers: do not use standard deviation around
the mean, use absolute deviation around the median. J. Exp. Soc. Psychol. 49,
764–766 (the k·MAD rule; 1.4826 makes the MAD consistent with σ for normal data).

JCGM 100:2008 (GUM) for the error budget (:mod:`geoverify.stats.budget`).
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from geoverify.errors import EvidenceError
from geoverify.io.collocations import GAS_UNITS, describe_units, normalise_gas, read_collocations
from geoverify.io.confine import confined
from geoverify.io.swath import collocate, open_swath
from geoverify.io.table import read_table
from geoverify.model import Measurement
from geoverify.stats.budget import combine, consistency, parse_budget

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = [
    "MAD_SCALE",
    "Estimate",
    "bias",
    "chi2_interval",
    "collocations_to_decide",
    "mad_screen",
    "measure_retrieval",
    "parse_outliers",
    "precision",
    "rmse",
    "station_variability",
]

#: Consistency constant of the MAD for a normal distribution (1 / Φ⁻¹(3/4)).
MAD_SCALE: float = 1.482602218505602

_STATISTICS = ("precision", "bias", "rmse")


@dataclass(frozen=True)
class Estimate:
    """A statistic with its 95% confidence interval."""

    value: float
    low: float
    high: float
    n: int
    se: float | None = None
    method: str = ""

    @property
    def ci(self) -> tuple[float, float]:
        return (self.low, self.high)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "ci": [self.low, self.high],
            "se": self.se,
            "n": self.n,
            "method": self.method,
        }


def _differences(values: Any, minimum: int = 2) -> np.ndarray:
    data = np.asarray(values, dtype="float64").ravel()
    if not np.isfinite(data).all():
        raise EvidenceError(
            f"{int((~np.isfinite(data)).sum())} differences are NaN or infinite",
            hint="Remove collocations without values before computing statistics.",
        )
    if data.size < minimum:
        raise EvidenceError(
            f"{data.size} collocation{'s' if data.size != 1 else ''}: a spread needs at least "
            f"{minimum}",
            hint="Give more collocations (a few tens per gas at least).",
        )
    return data


def chi2_interval(s: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Chi-square confidence interval of a standard deviation ``s`` from ``n`` values.

    ``(n−1) s² / σ² ~ χ²(n−1)`` for normal data, so ``σ`` lies in
    ``[s √((n−1)/χ²_{1−α/2}), s √((n−1)/χ²_{α/2})]``.
    """
    if n < 2:
        raise ValueError("a standard deviation needs n >= 2")
    alpha = 1.0 - confidence
    dof = n - 1
    low = s * math.sqrt(dof / stats.chi2.ppf(1 - alpha / 2, dof))
    high = s * math.sqrt(dof / stats.chi2.ppf(alpha / 2, dof))
    return low, high


def bias(differences: Any, confidence: float = 0.95) -> Estimate:
    """Mean difference with its Student-t interval."""
    d = _differences(differences)
    n = d.size
    mean = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se
    return Estimate(mean, mean - half, mean + half, n, se, "mean, Student-t interval")


def precision(differences: Any, confidence: float = 0.95) -> Estimate:
    """Standard deviation of the differences (ddof=1) with its chi-square interval."""
    d = _differences(differences)
    n = d.size
    s = float(d.std(ddof=1))
    low, high = chi2_interval(s, n, confidence)
    se = s / math.sqrt(2 * (n - 1))
    return Estimate(s, low, high, n, se, "standard deviation (ddof=1), chi-square interval")


def rmse(differences: Any, confidence: float = 0.95) -> Estimate:
    """Root-mean-square difference; interval from the t-interval of mean(d²)."""
    d = _differences(differences)
    n = d.size
    squares = d**2
    mse = float(squares.mean())
    se_mse = float(squares.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se_mse
    value = math.sqrt(mse)
    se = se_mse / (2 * value) if value > 0 else None
    return Estimate(
        value,
        math.sqrt(max(mse - half, 0.0)),
        math.sqrt(mse + half),
        n,
        se,
        "sqrt(mean d²), interval from the t-interval of mean d² (delta method)",
    )


def station_variability(
    differences: Any, stations: Any, confidence: float = 0.95
) -> tuple[Estimate | None, dict[str, dict[str, float | int]]]:
    """Standard deviation of the per-station mean biases, with its chi-square interval.

    Returns
    -------
    estimate, per_station
        ``estimate`` is ``None`` with fewer than 2 stations; ``per_station`` maps
        each station to ``{"n": count, "bias": mean difference}``.
    """
    d = np.asarray(differences, dtype="float64")
    labels = np.asarray(stations).astype(str)
    if labels.shape != d.shape:
        raise ValueError("differences and stations differ in length")
    frame = pd.DataFrame({"d": d, "station": labels})
    grouped = frame.groupby("station", sort=True)["d"].agg(["count", "mean"])
    per_station = {
        str(k): {"n": int(r["count"]), "bias": float(r["mean"])} for k, r in grouped.iterrows()
    }
    k = len(grouped)
    if k < 2:
        return None, per_station
    means = grouped["mean"].to_numpy()
    s = float(means.std(ddof=1))
    low, high = chi2_interval(s, k, confidence)
    estimate = Estimate(
        s,
        low,
        high,
        k,
        s / math.sqrt(2 * (k - 1)),
        "standard deviation of per-station mean biases (ddof=1), chi-square interval",
    )
    return estimate, per_station


def parse_outliers(value: Any, *, source: str | None = None) -> float | None:
    """The outlier rule of the evidence: ``None`` for "none", else the k of a k·MAD screen."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("none", "no", "off", ""):
            return None
        try:
            value = float(text.removeprefix("mad:").removesuffix("mad").strip())
        except ValueError:
            raise EvidenceError(
                f"outliers = {value!r} is not understood",
                source=source,
                hint='Write outliers = "none" or outliers = k (a number, e.g. 3.5) for a '
                "k·MAD screen.",
            ) from None
    k = float(value)
    if not (math.isfinite(k) and k >= 2):
        raise EvidenceError(
            f"outliers = {value!r}: k must be a finite number ≥ 2",
            source=source,
            hint="Common choices are 3 to 5 (Leys et al. 2013); 'none' keeps every row.",
        )
    return k


def mad_screen(differences: Any, k: float) -> np.ndarray:
    """Boolean mask of the rows a k·MAD screen keeps.

    A row is excluded when ``|d − median(d)| > k · 1.4826 · MAD(d)``.

    Raises
    ------
    EvidenceError
        When the MAD is 0 (more than half the differences equal): the screen is
        undefined.
    """
    d = np.asarray(differences, dtype="float64")
    median = float(np.median(d))
    mad = float(np.median(np.abs(d - median)))
    if mad == 0:
        raise EvidenceError(
            "the k·MAD outlier screen is undefined: more than half of the differences are equal",
            hint='Use outliers = "none", or check the collocations (is the reference a copy of '
            "the retrieval?).",
        )
    return np.abs(d - median) <= k * MAD_SCALE * mad


def collocations_to_decide(
    s: float, n: int, threshold: float, *, confidence: float = 0.95, limit: int = 10_000_000
) -> int | None:
    """Additional collocations expected to put the chi-square interval on one side of ``threshold``.

    Assumes the standard deviation stays at ``s``: the smallest ``N ≥ n`` whose
    interval ``chi2_interval(s, N)`` lies wholly below ``threshold`` (when
    ``s < threshold``) or wholly above it (``s > threshold``); returns ``N − n``,
    or ``None`` when ``s == threshold`` or ``N`` would exceed ``limit``.
    """
    if not (math.isfinite(s) and math.isfinite(threshold)) or s <= 0 or threshold <= 0:
        return None
    if s == threshold or n < 2:
        return None

    def decided(size: int) -> bool:
        low, high = chi2_interval(s, size, confidence)
        return high < threshold if s < threshold else low > threshold

    if decided(n):
        return 0
    hi = max(n, 2)
    while not decided(hi):
        if hi > limit:
            return None
        hi *= 2
    lo = hi // 2 if hi // 2 >= n else n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if decided(mid):
            hi = mid
        else:
            lo = mid
    return hi - n


def _excluded_rows(frame: pd.DataFrame, keep: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    for index in np.flatnonzero(~keep):
        row = frame.iloc[int(index)]
        entry: dict[str, Any] = {
            "row": int(index) + 1,
            "station": row["station"],
            "retrieved": float(row["retrieved"]),
            "reference": float(row["reference"]),
            "difference": float(row["difference"]),
        }
        if "time" in frame:
            entry["time"] = row["time"].isoformat()
        rows.append(entry)
    return rows


def _fmt(value: float, unit: str) -> str:
    return f"{value:.3g} {unit}" if abs(value) >= 1e5 else f"{value:.3f} {unit}"


def _collocations_from_swaths(
    evidence: Evidence, gas: str, scratch: Path
) -> tuple[str, str, dict[str, Any]]:
    """Build the collocation table from swath files and reference measurements.

    Evidence: ``swath``/``swaths`` (L2 files), ``variable`` (the retrieved
    variable, ``"group/name"``), ``references`` (a table with ``station``,
    ``lon``, ``lat``, ``time``, ``reference``), ``radius_km`` and
    ``window_minutes`` (both required: the coincidence criteria are the
    submitter's statement, recorded in the result).  See
    :func:`geoverify.io.swath.collocate`.
    """
    missing = [
        k for k in ("variable", "references", "radius_km", "window_minutes") if k not in evidence
    ]
    if missing:
        raise EvidenceError(
            f"collocating a swath needs {', '.join(missing)}",
            source=evidence.where,
            hint='Write variable = "PRODUCT/…", references = "tccon.csv", radius_km = 100, '
            "window_minutes = 60 (state the coincidence criteria you validate with).",
        )
    swaths = evidence.locations("swaths") if "swaths" in evidence else []
    if "swath" in evidence:
        one = evidence.location("swath")
        assert one is not None
        swaths = [one, *swaths]
    variable = str(evidence.get("variable"))
    references_at = evidence.location("references")
    assert references_at is not None
    references = read_table(references_at, display=evidence.display(references_at))
    needed = [c for c in ("lon", "lat", "time", "reference") if c not in references]
    if needed:
        raise EvidenceError(
            f"the reference table has no {', '.join(needed)} column",
            source=evidence.display(references_at),
            hint="Columns: station, lon, lat, time (ISO 8601 UTC), reference (and "
            "reference_unit when it differs from the retrieval's unit).",
        )
    radius, window = float(evidence.get("radius_km")), float(evidence.get("window_minutes"))
    opened = [open_swath(s, variable, display=evidence.display(s)) for s in swaths]
    table = collocate(
        opened,
        references,
        radius_km=radius,
        window_minutes=window,
        gas=str(evidence.get("gas") or gas),
        unit=evidence.get("unit"),
    )
    shown = f"collocations of {', '.join(evidence.display(s) for s in swaths)}"
    if table.empty:
        raise EvidenceError(
            f"no valid pixel of {variable!r} lies within {radius:g} km and "
            f"{window:g} min of a reference measurement",
            source=shown,
            hint="Check the stations' positions and times against the orbits, or the stated "
            "coincidence criteria.",
        )
    path = scratch / "collocations.csv"
    table.to_csv(path, index=False)
    built = {
        "built_from": [evidence.display(s) for s in swaths],
        "variable": variable,
        "references": evidence.display(references_at),
        "radius_km": radius,
        "window_minutes": window,
        "rule": "per reference measurement and swath file: mean of the valid pixels whose "
        f"centre lies within {radius:g} km (geodesic, WGS 84) of the station and within "
        f"{window:g} min of the reference time",
        "rows": len(table),
        "pixels": int(table["n_pixels"].sum()),
    }
    return str(path), shown, built


def measure_retrieval(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> Measurement:
    """Precision (or bias, RMSE) of a gas's retrievals against reference collocations.

    Parameters
    ----------
    evidence : Evidence
        Keys: ``collocations`` (table, required), ``unit`` and ``gas`` (for tables
        without those columns), ``budget`` (declared error budget),
        ``outliers`` (``"none"`` or k of a k·MAD screen), ``dry_air_column``
        (molecules/cm2).
    params : Mapping
        ``gas`` (XCO2, XCH4, NO2) and ``statistic`` (``precision`` — default —,
        ``bias`` or ``rmse``).
    context : Context
        How to run (unused: the table is small).  The collocations and budget are
        returned as ``plots["retrieval"]``; the report draws the scatter,
        histogram and budget figures from them (:mod:`geoverify.report.figures`).

    Returns
    -------
    Measurement
        ``value`` = the statistic in the gas's unit, ``ci`` its 95% interval,
        ``n`` the collocations used, ``planner`` (precision only) the
        additional collocations expected to decide; ``details`` hold bias,
        precision, RMSE, station variability, outliers, units and the budget.

    Raises
    ------
    EvidenceError, EvidenceReadError, UnitError
        For unusable evidence (see :func:`geoverify.io.collocations.read_collocations`),
        fewer than 2 collocations, or differences that are all equal.

    References
    ----------
    Wunch et al. 2017, AMT 10, 2209–2238 (bias, single-sounding precision and
    station-to-station variability against TCCON); chi-square interval of a
    standard deviation; JCGM 100:2008 for the budget.
    """
    if "gas" not in params:
        raise EvidenceError(
            "the indicator names no gas", hint="The catalogue must give params.gas."
        )
    gas = normalise_gas(params["gas"])
    unit = GAS_UNITS[gas]
    statistic = str(params.get("statistic", "precision")).lower()
    if statistic not in _STATISTICS:
        raise EvidenceError(
            f"unknown retrieval statistic {statistic!r}",
            hint=f"The catalogue's params.statistic must be one of {', '.join(_STATISTICS)}.",
        )
    dry = evidence.get("dry_air_column")
    built: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="geoverify-collocations-") as scratch:
        if "collocations" not in evidence and ("swath" in evidence or "swaths" in evidence):
            location, shown, built = _collocations_from_swaths(evidence, gas, Path(scratch))
        else:
            found = evidence.location("collocations")
            if found is None:
                raise EvidenceError(
                    "no collocations and no swath to build them from",
                    source=evidence.where,
                    hint='Add collocations = "table.csv", or swath = "L2.nc" with variable, '
                    "references, radius_km and window_minutes.",
                )
            location, shown = found, evidence.display(found)
        # the table built from swaths is geoverify's own scratch file, outside the
        # submission's folder: it is read confined to the scratch folder instead
        scope = confined(root=scratch) if built is not None else contextlib.nullcontext()
        with scope:
            frame = read_collocations(
                location,
                gas=gas,
                unit=evidence.get("unit"),
                declared_gas=evidence.get("gas"),
                dry_air_column=None if dry is None else float(dry),
                display=shown,
            )
    k = parse_outliers(evidence.get("outliers"), source=evidence.where)
    d_all = frame["difference"].to_numpy()
    if d_all.size < 2:
        raise EvidenceError(
            f"only {d_all.size} {gas} collocation: a precision needs at least 2",
            source=shown,
            hint="Give more collocations (a few tens per gas at least).",
        )
    if float(np.ptp(d_all)) == 0.0:
        raise EvidenceError(
            f"all {d_all.size} {gas} differences retrieved − reference are identical "
            f"({d_all[0]:.6g} {unit}): a zero spread is not a credible precision",
            source=shown,
            hint="Check that the reference is independent of the retrieval.",
        )
    if k is None:
        keep = np.ones(d_all.size, dtype=bool)
        rule = "none: every collocation is used"
    else:
        keep = mad_screen(d_all, k)
        rule = f"rows with |d − median(d)| > {k:g} × 1.4826 × MAD(d) excluded"
    used = frame.loc[keep].reset_index(drop=True)
    d = used["difference"].to_numpy()
    if d.size < 2:
        raise EvidenceError(
            f"only {d.size} {gas} collocation left after the outlier screen",
            source=shown,
            hint="Give more collocations or relax the outlier screen.",
        )
    est_bias, est_prec, est_rmse = bias(d), precision(d), rmse(d)
    variability, per_station = station_variability(d, used["station"].to_numpy())
    excluded = _excluded_rows(frame, keep)
    reported = used["uncertainty"].to_numpy()
    details: dict[str, Any] = {
        "gas": gas,
        "statistic": statistic,
        "n": int(d.size),
        "rows_in_file": frame.attrs.get("rows_in_file"),
        "rows_other_gases": frame.attrs.get("rows_other_gases"),
        "units": dict(describe_units(frame)),
        "difference": "retrieved − reference",
        "bias": est_bias.to_dict(),
        "precision": est_prec.to_dict(),
        "rmse": est_rmse.to_dict(),
        "station_variability": None if variability is None else variability.to_dict(),
        "stations": per_station,
        "n_stations": len(per_station),
        "outliers": {"rule": rule, "k": k, "n_excluded": len(excluded), "excluded": excluded},
    }
    if built is not None:
        details["collocation"] = built
    if "orbit" in used and used["orbit"].notna().any():
        details["n_orbits"] = int(used["orbit"].nunique())
    if np.isfinite(reported).any():
        finite = reported[np.isfinite(reported)]
        details["reported_uncertainty_rms"] = float(np.sqrt(np.mean(finite**2)))
    if "time" in used:
        details["time_range"] = [used["time"].min().isoformat(), used["time"].max().isoformat()]

    budget_sentence = ""
    components = None
    companions: dict[str, float] = {}
    if evidence.get("budget") is not None:
        components = parse_budget(
            evidence.get("budget"),
            unit=unit,
            base=evidence.base,
            where=evidence.where,
            dry_air_column=None if dry is None else float(dry),
        )
        totals = combine(components)
        check = consistency(totals, est_prec.value, est_prec.low)
        details["budget"] = {**totals.to_dict(), "consistency": check}
        budget_sentence = f"; {check['sentence']}"
        companions = {
            "declared error budget, random": totals.random,
            "declared error budget, total": totals.total,
        }

    chosen = {"precision": est_prec, "bias": est_bias, "rmse": est_rmse}[statistic]
    planner: Callable[[float], int | None] | None = None
    if statistic == "precision":
        planner = partial(collocations_to_decide, est_prec.value, est_prec.n)

    outlier_sentence = (
        "no outlier screen"
        if k is None
        else f"{len(excluded)} outlier{'s' if len(excluded) != 1 else ''} excluded "
        f"(k·MAD, k = {k:g}; listed in details)"
    )
    station_sentence = (
        f", station-to-station variability {_fmt(variability.value, unit)} "
        f"over {variability.n} stations"
        if variability is not None
        else ""
    )
    message = (
        f"{gas} single-sounding precision (std of retrieved − reference, n = {d.size}) "
        f"{_fmt(est_prec.value, unit)}, 95% chi-square CI {_fmt(est_prec.low, unit)} to "
        f"{_fmt(est_prec.high, unit)}; bias {_fmt(est_bias.value, unit)}, "
        f"RMSE {_fmt(est_rmse.value, unit)}{station_sentence}; {outlier_sentence}"
        f"{budget_sentence}"
    )
    if statistic != "precision":
        message = f"verdict on the {statistic}: " + message
    return Measurement(
        value=chosen.value,
        unit=unit,
        ci=chosen.ci,
        se=chosen.se,
        n=int(d.size),
        details=details,
        message=message,
        planner=planner,
        companions=companions,
        plots={"retrieval": {"collocations": used, "budget": components}},
    )
