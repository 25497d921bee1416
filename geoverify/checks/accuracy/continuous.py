"""Accuracy of a continuous product (``params.measure = "continuous"``) against reference values.

The catalogue decides the mode (``measure = "continuous"``, with ``tolerance``
and ``tolerance_kind``), never the map's dtype.  Reference values come from a
vector file with a numeric column (points, or polygons read at their centroid or
majority) or from a reference raster of values (a census of agreement with
that product).  The statistics and their intervals are those of
:mod:`geoverify.stats.continuous`: bias (Student-t), RMSE, relative RMSE and R²
(BCa bootstrap), and the share of samples within the tolerance
(continuity-corrected Wilson) — the measured value that decides the verdict,
in %.  ``details["rrmse_accuracy"]`` holds ``1 − relative RMSE`` in % with its
interval, for the alternative reading of "精度优于 85%".

References
----------
.. [1] Willmott, C. J. (1982). Some comments on the evaluation of model
   performance. *Bulletin of the American Meteorological Society*, 63(11),
   1309–1313.
.. [2] Richter, K., Atzberger, C., Hank, T. B., & Mauser, W. (2012). Derivation of
   biophysical variables from Earth observation data: validation and statistical
   measures. *Journal of Applied Remote Sensing*, 6(1), 063557.
.. [3] Fernandes, R., Plummer, S., Nightingale, J., et al. (2014). *Global Leaf Area
   Index Product Validation Good Practices*, version 2.0. CEOS WGCV Land Product
   Validation Subgroup.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from geoverify.errors import CatalogueError, EvidenceError
from geoverify.io.checksums import sha256_file
from geoverify.io.formats import is_vector
from geoverify.io.masks import valid_mask
from geoverify.io.raster import open_raster
from geoverify.io.scan import Window, grid_of, scan
from geoverify.io.vector import read_vector
from geoverify.model import Measurement
from geoverify.stats import estimators as est
from geoverify.stats.confusion import POLYGON_RULES, _WarpedPairs, sample_map
from geoverify.stats.continuous import (
    TOLERANCE_KINDS,
    Moments,
    census_accuracy,
    continuous_accuracy,
)

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = ["CONTINUOUS_RESAMPLING", "continuous_report", "measure_continuous"]

#: Resampling of a reference raster of values on another grid.
CONTINUOUS_RESAMPLING = ("nearest", "bilinear", "average")
VALUE_FIELDS = ("reference", "ref", "value", "truth", "measured", "observed")


def tolerance_params(params: Mapping[str, Any]) -> tuple[float, str]:
    """``tolerance`` and ``tolerance_kind`` of the catalogue params (both required)."""
    tol = params.get("tolerance")
    kind = params.get("tolerance_kind")
    if tol is None or kind is None:
        raise CatalogueError(
            'measure = "continuous" needs tolerance and tolerance_kind in the params',
            hint='params = { measure = "continuous", tolerance = 0.15, '
            'tolerance_kind = "relative" }',
        )
    if kind not in TOLERANCE_KINDS:
        raise CatalogueError(f"tolerance_kind {kind!r} is not one of {TOLERANCE_KINDS}")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not tol > 0:
        raise CatalogueError(f"tolerance must be a positive number, got {tol!r}")
    return float(tol), str(kind)


def _value_field(frame: Any, field: str | None, source: str) -> str:
    cols = [c for c in frame.columns if c != frame.geometry.name]
    if field is not None:
        if field not in frame.columns:
            raise EvidenceError(
                f"no column {field!r} in the reference values (columns: {cols})",
                source=source,
                hint="Name the column holding the reference value with `field = `.",
            )
        return field
    for name in VALUE_FIELDS:
        if name in frame.columns:
            return name
    raise EvidenceError(
        f"no reference value column among {cols}",
        source=source,
        hint=f"Name the column with `field = `, or call it one of {', '.join(VALUE_FIELDS)}.",
    )


def _numeric(values: Any, column: str, source: str) -> np.ndarray:
    import pandas as pd

    raw = pd.Series(values)
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = raw[numbers.isna() & raw.notna()]
    if len(bad):
        shown = ", ".join(repr(v) for v in bad.astype(str).unique()[:5])
        raise EvidenceError(
            f"column {column!r} holds values that are not numbers ({shown}): a continuous "
            "product is assessed against numeric reference values",
            source=source,
            hint="Give the measured reference value of each sample as a number; if the "
            'product is a classification, the indicator\'s measure is not "continuous".',
        )
    return np.asarray(numbers, dtype=float)


def continuous_report(
    map_path: str,
    ref_path: str,
    *,
    tolerance: float,
    tolerance_kind: str,
    field: str | None = None,
    design: str = "simple",
    band: int = 1,
    reference_band: int = 1,
    polygons: str = "centroid",
    resample: str | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Continuous-accuracy report of a map against reference values (JSON-able).

    Raises
    ------
    EvidenceError
        A stratified design (its weighted estimators of RMSE and R² are not
        implemented: the figures would be those of a simple random sample), a
        non-numeric reference column, a reference raster that is the map, grids
        that differ without ``resample``, no valid unit.
    """
    if design != "simple":
        raise EvidenceError(
            f"design = {design!r}: continuous accuracy is estimated for simple random (or "
            "systematic) samples only; unweighted RMSE, bias and R² of a stratified sample "
            "are biased when strata are sampled at different rates",
            source=ref_path,
            hint='Declare design = "simple" for a simple random sample, or deliver one.',
        )
    if polygons not in POLYGON_RULES:
        raise EvidenceError(f"polygons = {polygons!r}", hint=f"Use one of {POLYGON_RULES}.")
    if not is_vector(ref_path):
        return _census(
            map_path, ref_path, tolerance, tolerance_kind, band, reference_band, resample,
            workers, scheduler, progress,
        )
    frame = read_vector(ref_path)
    column = _value_field(frame, field, ref_path)
    given = len(frame)
    from geoverify.checks.accuracy.measure import _distinct

    frame, duplicates = _distinct(frame, column, None)
    values = _numeric(frame[column].to_numpy(), column, ref_path)
    sample = sample_map(map_path, frame, band=band, workers=workers, polygons=polygons)
    mapped = sample.values.astype(float)
    has_ref = np.isfinite(values)
    use = sample.valid & has_ref & np.isfinite(mapped)
    stats = continuous_accuracy(
        mapped[use], values[use], tolerance=tolerance, tolerance_kind=tolerance_kind
    )
    notes: list[str] = []
    both = np.concatenate([mapped[use], values[use]])
    if both.size and np.all(both == np.round(both)) and np.unique(both).size <= 20:
        notes.append(
            f"every map and reference value is one of {np.unique(both).size} whole numbers: if "
            "they are class codes, the product is a classification and its accuracy is not a "
            'continuous one (measure = "overall" or "class")'
        )
    stats.update(
        notes=notes,
        measure="continuous",
        design="simple",
        reference_kind="samples",
        reference_field=column,
        samples_given=given,
        duplicate_samples=duplicates,
        samples_outside_map=sample.outside,
        samples_on_nodata=sample.nodata,
        samples_without_reference=int((sample.valid & ~has_ref).sum()),
        sample_geometry=sample.geometry,
    )
    return stats


class _Sums:
    """Block function: the :class:`Moments` of the valid pixel pairs of a window."""

    def __init__(self, nd_map: float | None, nd_ref: float | None, tol: float, kind: str):
        self.nd_map, self.nd_ref, self.tol, self.kind = nd_map, nd_ref, tol, kind

    def __call__(self, arrays: list[np.ndarray], window: Window) -> Moments:
        m, r = arrays
        ok = valid_mask(m, self.nd_map) & valid_mask(r, self.nd_ref)
        return Moments.of(m[ok], r[ok], self.tol, self.kind)


def _add(a: Moments, b: Moments) -> Moments:
    return a + b


def _census(
    map_path: str,
    ref_path: str,
    tolerance: float,
    tolerance_kind: str,
    band: int,
    reference_band: int,
    resample: str | None,
    workers: int,
    scheduler: str | None,
    progress: bool,
) -> dict[str, Any]:
    if os.path.isfile(map_path) and os.path.isfile(ref_path) and (
        sha256_file(map_path) == sha256_file(ref_path)
    ):
        raise EvidenceError(
            "the reference is a copy of the map: both files have the same SHA-256 checksum",
            source=ref_path,
            hint="Give independent reference values (field measurements or another product).",
        )
    infos = []
    for path, b in ((map_path, band), (ref_path, reference_band)):
        with open_raster(path) as ds:
            if not 1 <= b <= ds.count:
                raise EvidenceError(f"band {b} does not exist ({ds.count} bands)", source=path)
            infos.append((grid_of(ds), ds.nodatavals[b - 1], np.dtype(ds.dtypes[b - 1])))
    (g_map, nd_map, _), (g_ref, nd_ref, _) = infos
    sums = _Sums(nd_map, nd_ref, tolerance, tolerance_kind)
    common: dict[str, Any] = dict(
        workers=workers, scheduler=scheduler, progress=progress, label="continuous"
    )
    notes: list[str] = []
    if g_map.same_as(g_ref):
        total = scan([map_path, ref_path], sums, _add, bands=[band, reference_band], **common)
    else:
        if resample not in CONTINUOUS_RESAMPLING:
            raise EvidenceError(
                f"the reference grid ({g_ref.width}x{g_ref.height}, {g_ref.crs}) differs from "
                f"the map grid ({g_map.width}x{g_map.height}, {g_map.crs})",
                source=ref_path,
                hint="Deliver the reference on the map grid, or declare resample = "
                f"one of {', '.join(CONTINUOUS_RESAMPLING)} in the submission.",
            )
        warped = cast(
            "Callable[[list[np.ndarray], Window], Moments]",
            _WarpedPairs(ref_path, reference_band, g_map, resample, sums),
        )
        total = scan([map_path], warped, _add, bands=[band], **common)
        notes.append(
            f"reference resampled onto the map grid ({resample}); map pixels outside the "
            "reference are excluded"
        )
    stats = census_accuracy(
        total or Moments(), tolerance=tolerance, tolerance_kind=tolerance_kind
    )
    stats.update(
        measure="continuous",
        design="census",
        reference_kind="raster product",
        estimator="agreement with a reference product: every valid pixel pair counted (a "
        "census of agreement, no sampling error; not accuracy against ground truth)",
        notes=notes,
    )
    return stats


def measure_continuous(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> Measurement:
    """Share (%) of reference units within the tolerance, with RMSE, bias, rRMSE and R².

    ``value`` is the share within tolerance in % with its continuity-corrected
    Wilson interval (none for a census); ``details`` the full report, with
    ``rrmse_accuracy = {value, ci}`` (``1 − relative RMSE`` in %) for the
    alternative reading.
    """
    tol, kind = tolerance_params(params)
    map_path = str(evidence.location("map"))
    ref_path = str(evidence.location("reference"))
    report = continuous_report(
        map_path,
        ref_path,
        tolerance=tol,
        tolerance_kind=kind,
        field=evidence.get("field"),
        design=str(evidence.get("design", "simple")),
        band=int(evidence.get("band", 1)),
        reference_band=int(evidence.get("reference_band", 1)),
        polygons=str(evidence.get("polygons", "centroid")),
        resample=evidence.get("resample"),
        workers=context.workers,
        scheduler=context.scheduler,
        progress=context.progress,
    )
    report["map"] = evidence.display(map_path)
    report["reference"] = evidence.display(ref_path)
    n = int(report["n"])
    share = float(report["within_tolerance"])
    rr, rr_ci = report.get("rrmse"), report.get("rrmse_ci")
    report["rrmse_accuracy"] = {
        "value": None if rr is None else 100.0 * (1.0 - rr),
        "ci": None if rr_ci is None else [100.0 * (1.0 - rr_ci[1]), 100.0 * (1.0 - rr_ci[0])],
        "definition": "1 − relative RMSE (RMSE / mean reference value), in %",
    }
    report["deciding_statistic"] = (
        f"share of reference {'pixels' if report['design'] == 'census' else 'samples'} whose "
        f"map value lies within {_tolerance_text(tol, kind)} of the reference value"
    )
    tol_text = _tolerance_text(tol, kind)
    figures = _figures(report)
    if report["design"] == "census":
        message = (
            f"{100 * share:.2f}% of {n:,} pixel pairs within {tol_text} of a reference "
            f"product ({figures}); a census of agreement with another product, no sampling "
            "error"
        )
        from geoverify.checks.accuracy.measure import reference_product_measurement

        # a share within tolerance of a product: its declared accuracy does not bound it
        return reference_product_measurement(
            100 * share, n, report, message, evidence.get("reference_accuracy"), bounded=False
        )
    low, high = (100.0 * float(v) for v in report["within_tolerance_ci"])
    se = 100.0 * math.sqrt(share * (1 - share) / max(n - 1, 1))
    message = (
        f"{100 * share:.2f}% of reference samples within {tol_text} (95% CI {low:.2f}–"
        f"{high:.2f}%, continuity-corrected Wilson), n used {n} / "
        f"{report['samples_given']} samples given; {figures}"
    )

    def planner(threshold: float) -> int | None:
        return est.additional_samples(share, float(threshold) / 100.0, n, interval="score")

    return Measurement(
        value=100.0 * share,
        unit="%",
        ci=(low, high),
        se=se,
        n=n,
        details=report,
        message=message,
        planner=planner,
    )


def _tolerance_text(tol: float, kind: str) -> str:
    return f"±{100 * tol:g}%" if kind == "relative" else f"±{tol:g} (map units)"


def _figures(report: Mapping[str, Any]) -> str:
    def one(key: str, name: str, scale: float = 1.0, unit: str = "") -> str:
        v = report.get(key)
        if v is None:
            return f"{name} undefined"
        ci = report.get(f"{key}_ci")
        text = f"{name} {scale * v:.4g}{unit}"
        if ci is not None and report.get("design") != "census":
            text += f" [{scale * ci[0]:.4g}, {scale * ci[1]:.4g}]"
        return text

    return "; ".join(
        [
            one("rmse", "RMSE"),
            one("bias", "bias"),
            one("rrmse", "relative RMSE", 100.0, "%"),
            one("r2", "R²"),
        ]
    )
