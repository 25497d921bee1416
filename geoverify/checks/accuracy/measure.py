"""The ``accuracy`` check: thematic accuracy of a classified map, with its uncertainty.

A map is compared with reference data — a sample of points/polygons (vector
file) or a reference raster (wall-to-wall) — and the overall accuracy is
estimated with the estimator of the declared sampling design:

- ``design = "simple"`` (default): simple random sampling, binomial proportions
  and a Wilson 95% interval (:func:`geoverify.stats.estimators.simple_random`);
- ``design = "stratified"`` with the map classes as strata: Olofsson et al.
  (2014), the stratum weights from a streamed pixel count of the map (on a
  geographic map, a streamed sum of each row's geodesic cell area: pixels shrink
  with latitude, so the weights are area shares);
- ``design = "stratified"`` with ``strata`` (a raster) or ``strata_field`` (a
  column of the reference file): Stehman (2014).

A reference raster is a census of the map (every pixel pair counted), so every
accuracy is exact (:func:`geoverify.stats.estimators.census`): overall, user's and
producer's accuracies carry a standard error of ``0`` (``None`` only where the
accuracy itself is undefined), ``overall_accuracy_ci`` is the degenerate
``[OA, OA]`` and the measurement has no confidence interval.

Evidence keys (``[evidence.DIRECTION.NAME]``): ``map``, ``reference``, ``field``,
``design``, ``strata``, ``strata_field``, ``legend`` (table code -> label),
``resample`` (``nearest``/``mode``), ``band``, ``reference_band``, ``polygons``
(``centroid`` or ``majority``).  With ``items`` (one map/reference per item) and no ``map``,
every item is assessed and the weakest one is reported.

References
----------
.. [1] Olofsson, P., Foody, G. M., Herold, M., Stehman, S. V., Woodcock, C. E., &
   Wulder, M. A. (2014). Good practices for estimating area and assessing accuracy
   of land change. *Remote Sensing of Environment*, 148, 42–57.
.. [2] Stehman, S. V. (2014). Estimating area and map accuracy for stratified random
   sampling when the strata are different from the map classes. *International
   Journal of Remote Sensing*, 35(13), 4923–4939.
.. [3] Pontius, R. G., Jr., & Millones, M. (2011). Death to Kappa. *International
   Journal of Remote Sensing*, 32(15), 4407–4429.
.. [4] Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geoverify.errors import EvidenceError, GeoverifyError
from geoverify.io.sources import read_vector
from geoverify.model import Measurement
from geoverify.stats import estimators as est
from geoverify.stats.confusion import (
    POLYGON_RULES,
    class_areas_ha,
    pair_counts,
    pixel_area_ha,
    sample_map,
)
from geoverify.stats.tallies import class_counts

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = ["DESIGNS", "accuracy_report", "measure_accuracy"]

DESIGNS = ("simple", "stratified")
VECTOR_SUFFIXES = (
    ".gpkg",
    ".geojson",
    ".json",
    ".shp",
    ".parquet",
    ".geoparquet",
    ".csv",
    ".txt",
    ".fgb",
    ".gml",
    ".kml",
)
DEFAULT_FIELDS = ("reference", "ref", "class", "label", "truth", "code")


def _label(value: Any) -> str:
    """A class value as a label string: ``3``, ``3.0`` and ``"3"`` all give ``"3"``."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value).strip()


def _legend(legend: Mapping[Any, Any] | None) -> dict[str, str]:
    if legend is None:
        return {}
    if not isinstance(legend, Mapping):
        raise EvidenceError("legend must be a table code -> label", hint='legend = {3 = "maize"}')
    return {_label(k): str(v) for k, v in legend.items()}


def _apply(values: Any, legend: dict[str, str]) -> np.ndarray:
    out = [_label(v) for v in values]
    return np.array([legend.get(v, v) for v in out], dtype=object)


def _is_vector(path: str) -> bool:
    return Path(path.split("?")[0]).suffix.lower() in VECTOR_SUFFIXES


def _order(labels: set[str], legend: dict[str, str]) -> list[str]:
    """Legend order first (codes ascending), then the others sorted naturally."""
    legend_order = []
    for code in sorted(legend, key=est._label_key):
        lab = legend[code]
        if lab in labels and lab not in legend_order:
            legend_order.append(lab)
    rest = sorted(labels - set(legend_order), key=est._label_key)
    return legend_order + rest


def _matrix(map_labels: np.ndarray, ref_labels: np.ndarray, labels: list[str]) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=np.int64)
    if len(map_labels):
        np.add.at(m, ([index[v] for v in map_labels], [index[v] for v in ref_labels]), 1)
    return m


def accuracy_report(
    map: str | os.PathLike[str],
    reference: str | os.PathLike[str],
    *,
    field: str | None = None,
    design: str = "simple",
    strata: str | os.PathLike[str] | None = None,
    strata_field: str | None = None,
    legend: Mapping[Any, Any] | None = None,
    resample: str | None = None,
    band: int = 1,
    reference_band: int = 1,
    polygons: str = "centroid",
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Assess a classified map against reference data; a JSON-able dictionary.

    Parameters
    ----------
    map : path or URL
        The classified map (integer class codes).
    reference : path or URL
        Reference samples (GeoPackage, GeoJSON, Shapefile, GeoParquet, CSV lon/lat)
        or a reference raster.
    field : str, optional
        Column of the reference class (default: the first of ``reference``, ``ref``,
        ``class``, ``label``, ``truth``, ``code`` present).
    design : {"simple", "stratified"}
    strata : path, optional
        Raster of the sampling strata (stratified design, Stehman 2014).
    strata_field : str, optional
        Column giving each sample's stratum; without ``strata`` its values are map
        classes whose sizes are counted on the map.
    legend : mapping, optional
        Map code -> reference label (e.g. ``{3: "maize"}``); applied to every value
        whose code it lists.
    resample : {"nearest", "mode"}, optional
        Resample a reference raster on a different grid onto the map grid.
    band, reference_band : int
    polygons : {"centroid", "majority"}
        How polygon samples are read: the map class at the centroid, or the majority
        class of the pixels whose centre lies in the polygon.
    workers : int
        Threads decoding raster blocks.
    scheduler : str, optional
        ``dask.distributed`` scheduler address for the raster scans.
    progress : bool

    Returns
    -------
    dict
        ``n``, ``labels``, ``confusion_matrix`` (rows map, columns reference),
        ``design``, ``estimator``, ``overall_accuracy`` (proportion 0–1) with ``_se``
        and ``_ci``, ``users_accuracy``/``producers_accuracy`` (+ ``_se``), ``f1``,
        ``kappa``, ``quantity_disagreement``, ``allocation_disagreement``; for
        stratified designs ``area_proportions``, ``area_proportions_se``,
        ``area_ha``, ``area_ha_se``; the excluded samples and notes.
    """
    return _assess(
        map,
        reference,
        field=field,
        design=design,
        strata=strata,
        strata_field=strata_field,
        legend=legend,
        resample=resample,
        band=band,
        reference_band=reference_band,
        polygons=polygons,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
    )[0]


def _validate(design: str, band: int, reference_band: int, workers: int, polygons: str) -> None:
    if design not in DESIGNS:
        raise EvidenceError(
            f"unknown sampling design {design!r}", hint=f"Use one of: {', '.join(DESIGNS)}."
        )
    for name, value in (("band", band), ("reference_band", reference_band)):
        if not isinstance(value, int | np.integer) or value < 1:
            raise EvidenceError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(workers, int | np.integer) or workers < 1:
        raise EvidenceError(f"workers must be a positive integer, got {workers!r}")
    if polygons not in POLYGON_RULES:
        raise EvidenceError(
            f"polygons = {polygons!r} is not supported",
            hint=f"Use one of: {', '.join(POLYGON_RULES)}.",
        )


def _assess(
    map: str | os.PathLike[str],
    reference: str | os.PathLike[str],
    *,
    field: str | None,
    design: str,
    strata: str | os.PathLike[str] | None,
    strata_field: str | None,
    legend: Mapping[Any, Any] | None,
    resample: str | None,
    band: int,
    reference_band: int,
    polygons: str,
    workers: int,
    scheduler: str | None,
    progress: bool,
) -> tuple[dict[str, Any], Callable[[float], int | None] | None, bool]:
    """The report, a planner ``planner(threshold as a proportion)`` and whether OA is exact."""
    _validate(design, band, reference_band, workers, polygons)
    map_path, ref_path = os.fspath(map), os.fspath(reference)
    leg = _legend(legend)
    scan_opts = dict(workers=int(workers), scheduler=scheduler, progress=progress)
    if not _is_vector(ref_path):
        return _wall_to_wall(
            map_path, ref_path, leg, resample, band, reference_band, design, scan_opts
        )
    frame = read_vector(ref_path)
    column = _field(frame, field, ref_path)
    sample = sample_map(map_path, frame, band=band, workers=int(workers), polygons=polygons)
    ref_values = frame[column].to_numpy()
    has_ref = ~_isnull(ref_values)
    use = sample.valid & has_ref
    extras: dict[str, Any] = {
        "reference_kind": "samples",
        "reference_field": column,
        "samples_total": len(frame),
        "samples_outside_map": sample.outside,
        "samples_on_nodata": sample.nodata,
        "samples_without_reference": int((sample.valid & ~has_ref).sum()),
        "sample_geometry": sample.geometry,
    }
    map_labels = _apply(sample.values[use], leg)
    ref_labels = _apply(ref_values[use], leg)
    _check_label_kinds(map_labels, ref_labels, ref_path)
    notes: list[str] = []
    planner: Callable[[float], int | None] | None
    if design == "simple":
        labels = _order(set(map_labels) | set(ref_labels), leg)
        e = est.simple_random(_matrix(map_labels, ref_labels, labels), labels)
        oa, n = e.overall_accuracy, e.n

        def planner(threshold: float) -> int | None:
            return est.additional_samples(oa, threshold, n, interval="wilson")

    elif strata is None and strata_field is None:
        e, planner = _olofsson(map_path, map_labels, ref_labels, leg, band, scan_opts)
    else:
        e, planner, more = _stehman(
            map_path,
            frame,
            use,
            map_labels,
            ref_labels,
            leg,
            strata,
            strata_field,
            band,
            scan_opts,
            ref_path,
        )
        extras.update(more)
    report = e.to_dict()
    report.update(extras)
    if design == "stratified":
        area, note = pixel_area_ha(map_path)
        report.setdefault("pixel_area_ha", area)
        if note:
            notes.append(note)
    only_map, only_ref = set(map_labels) - set(ref_labels), set(ref_labels) - set(map_labels)
    if only_map and only_ref:
        notes.append(
            f"classes only on the map: {', '.join(sorted(only_map)[:8])}; only in the "
            f"reference: {', '.join(sorted(only_ref)[:8])} — check the legend"
        )
    report["notes"] = notes
    report["map"] = map_path
    report["reference"] = ref_path
    report["legend"] = leg or None
    report["proportions_scale"] = "accuracies and area proportions are proportions in [0, 1]"
    return report, planner, False


def _olofsson(
    map_path: str,
    map_labels: np.ndarray,
    ref_labels: np.ndarray,
    leg: dict[str, str],
    band: int,
    scan_opts: dict[str, Any],
) -> tuple[est.Estimate, Callable[[float], int | None]]:
    counts = class_counts(map_path, band=band, **scan_opts)
    mapped: dict[str, int] = {}
    for code, c in counts.items():
        lab = leg.get(_label(code), _label(code))
        mapped[lab] = mapped.get(lab, 0) + int(c)
    # a geographic map: W_i and the class areas are shares of the mapped AREA
    mapped_ha = _areas_by_label(map_path, band, leg, scan_opts)
    labels = _order(set(map_labels) | set(ref_labels) | set(mapped), leg)
    pixels = [mapped.get(lab, 0) for lab in labels]
    area, _ = pixel_area_ha(map_path)
    e = est.stratified_map_classes(
        _matrix(map_labels, ref_labels, labels),
        pixels,
        labels,
        pixel_area_ha=area,
        mapped_areas_ha=None if mapped_ha is None else [mapped_ha.get(lab, 0.0) for lab in labels],
    )
    weights = [w for w in e.weights or []]
    uas = [0.5 if u is None else u for u in e.users_accuracy]
    oa, n, se = e.overall_accuracy, e.n, e.overall_accuracy_se

    def planner(threshold: float) -> int | None:
        return est.additional_samples(
            oa, threshold, n, se=se, weights=weights, users_accuracies=uas
        )

    return e, planner


def _areas_by_label(
    path: str, band: int, leg: dict[str, str] | None, scan_opts: dict[str, Any]
) -> dict[str, float] | None:
    """Area (ha) of each class label of a geographic raster; ``None`` for equal pixels.

    Pixels of a geographic grid shrink with latitude, so stratum weights and class
    areas are sums of each row's geodesic cell area, not pixel counts
    (:func:`geoverify.stats.confusion.class_areas_ha`).  ``leg`` maps codes to labels
    (``None``: the codes themselves).
    """
    areas = class_areas_ha(path, band=band, **scan_opts)
    if areas is None:
        return None
    out: dict[str, float] = {}
    for code, a in areas.items():
        lab = _label(code) if leg is None else leg.get(_label(code), _label(code))
        out[lab] = out.get(lab, 0.0) + float(a)
    return out


def _stehman(
    map_path: str,
    frame: Any,
    use: np.ndarray,
    map_labels: np.ndarray,
    ref_labels: np.ndarray,
    leg: dict[str, str],
    strata: str | os.PathLike[str] | None,
    strata_field: str | None,
    band: int,
    scan_opts: dict[str, Any],
    ref_path: str,
) -> tuple[est.Estimate, Callable[[float], int | None], dict[str, Any]]:
    extras: dict[str, Any] = {}
    if strata_field is not None:
        if strata_field not in frame.columns:
            raise EvidenceError(
                f"no column {strata_field!r} (columns: {list(frame.columns)})",
                source=ref_path,
                hint="Name the column holding each sample's stratum with --strata-field "
                "(or `strata_field = ` in the submission).",
            )
        raw = frame[strata_field].to_numpy()
        s_valid = ~_isnull(raw)
        s_values = np.array([_label(v) for v in raw], dtype=object)
    else:
        ps = sample_map(os.fspath(strata), frame, workers=scan_opts["workers"])  # type: ignore[arg-type]
        s_valid = ps.valid
        s_values = np.array([_label(v) for v in ps.values], dtype=object)
    if strata is not None:
        sizes = {
            _label(k): float(v) for k, v in class_counts(os.fspath(strata), **scan_opts).items()
        }
        areas = _areas_by_label(os.fspath(strata), 1, None, scan_opts)
        extras["strata"] = os.fspath(strata)
    else:  # the column holds map classes: sizes counted on the map
        sizes = {}
        for code, c in class_counts(map_path, band=band, **scan_opts).items():
            lab = leg.get(_label(code), _label(code))
            sizes[lab] = sizes.get(lab, 0.0) + float(c)
        areas = _areas_by_label(map_path, band, leg, scan_opts)
        s_values = np.array([leg.get(v, v) for v in s_values], dtype=object)
    keep = s_valid[use]
    extras["samples_without_stratum"] = int((~keep).sum())
    s_use = s_values[use][keep]
    m_use, r_use = map_labels[keep], ref_labels[keep]
    labels = _order(set(m_use) | set(r_use), leg)
    # stratum sizes are pixels of the strata raster (or of the map): areas from its pixel
    area, _ = pixel_area_ha(os.fspath(strata) if strata is not None else map_path)
    extras["pixel_area_ha"] = area
    e = est.stratified_general(
        s_use, m_use, r_use, sizes, labels, pixel_area_ha=area, stratum_areas_ha=areas
    )
    extras["stratum_sizes"] = sizes
    if areas is not None:
        extras["stratum_areas_ha"] = areas
    shares = areas if areas is not None else sizes
    total = sum(shares.values())
    names = sorted(shares)
    weights = [shares[h] / total for h in names]
    rates = []
    for h in names:
        sel = s_use == h
        rates.append(float((m_use[sel] == r_use[sel]).mean()) if sel.any() else 0.5)
    oa, n, se = e.overall_accuracy, e.n, e.overall_accuracy_se

    def planner(threshold: float) -> int | None:
        return est.additional_samples(
            oa, threshold, n, se=se, weights=weights, users_accuracies=rates
        )

    return e, planner, extras


def _wall_to_wall(
    map_path: str,
    ref_path: str,
    leg: dict[str, str],
    resample: str | None,
    band: int,
    reference_band: int,
    design: str,
    scan_opts: dict[str, Any],
) -> tuple[dict[str, Any], None, bool]:
    pc = pair_counts(
        map_path, ref_path, band=band, reference_band=reference_band, resample=resample, **scan_opts
    )
    mlab = [leg.get(_label(v), _label(v)) for v in pc.map_values.tolist()]
    rlab = [leg.get(_label(v), _label(v)) for v in pc.ref_values.tolist()]
    labels = _order(set(mlab) | set(rlab), leg)
    index = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for i, a in enumerate(mlab):
        for j, b in enumerate(rlab):
            m[index[a], index[b]] += pc.counts[i, j]
    report = est.census(m, labels).to_dict()  # exact: every SE 0, OA interval [OA, OA]
    report.update(
        reference_kind="raster",
        pixels_excluded_nodata=pc.excluded,
        resampling=pc.resampling,
        notes=list(pc.notes)
        + (
            [f"design {design!r} ignored: a reference raster is a census"]
            if design != "simple"
            else []
        ),
        map=map_path,
        reference=ref_path,
        legend=leg or None,
        proportions_scale="accuracies and area proportions are proportions in [0, 1]",
    )
    return report, None, True


def _check_label_kinds(map_labels: np.ndarray, ref_labels: np.ndarray, source: str) -> None:
    """Refuse map codes compared with reference names that share no class (no legend)."""
    if not len(map_labels) or set(map_labels) & set(ref_labels):
        return

    def numeric(v: str) -> bool:
        return est._label_key(v)[0] == 0

    if all(numeric(v) for v in set(map_labels)) and not any(numeric(v) for v in set(ref_labels)):
        raise EvidenceError(
            f"map codes ({', '.join(sorted(set(map_labels))[:5])}...) and reference names "
            f"({', '.join(sorted(set(ref_labels))[:5])}...) share no class",
            source=source,
            hint="Give a legend mapping map codes to reference names: --legend 3=maize "
            '(or legend = {3 = "maize"} in the submission).',
        )


def _field(frame: Any, field: str | None, source: str) -> str:
    cols = [c for c in frame.columns if c != frame.geometry.name]
    if field is not None:
        if field not in frame.columns:
            raise EvidenceError(
                f"no column {field!r} in the reference samples (columns: {cols})",
                source=source,
                hint="Name the column holding the reference class with --field "
                "(or `field = ` in the submission).",
            )
        return field
    for name in DEFAULT_FIELDS:
        if name in frame.columns:
            return name
    raise EvidenceError(
        f"no reference class column among {cols}",
        source=source,
        hint="Name the column with --field (or `field = ` in the submission), or call it one "
        f"of {', '.join(DEFAULT_FIELDS)}.",
    )


def _isnull(values: np.ndarray) -> np.ndarray:
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool)


# --------------------------------------------------------------------------- the check


def _measure_one(evidence: Evidence, context: Context) -> Measurement:
    map_path = evidence.location("map")
    ref_path = evidence.location("reference")
    strata = evidence.location("strata", required=False)
    report, planner, exact = _assess(
        map_path,  # type: ignore[arg-type]
        ref_path,  # type: ignore[arg-type]
        field=evidence.get("field"),
        design=str(evidence.get("design", "simple")),
        strata=strata,
        strata_field=evidence.get("strata_field"),
        legend=evidence.get("legend"),
        resample=evidence.get("resample"),
        band=evidence.get("band", 1),
        reference_band=evidence.get("reference_band", 1),
        polygons=str(evidence.get("polygons", "centroid")),
        workers=context.workers,
        scheduler=context.scheduler,
        progress=context.progress,
    )
    report["map"] = evidence.display(map_path)  # type: ignore[arg-type]
    report["reference"] = evidence.display(ref_path)  # type: ignore[arg-type]
    if strata:
        report["strata"] = evidence.display(strata)
    oa = 100.0 * float(report["overall_accuracy"])
    if exact:
        message = (
            f"overall accuracy {oa:.2f}% over {report['n']:,} pixel pairs ({report['estimator']})"
        )
        return Measurement(value=oa, unit="%", n=int(report["n"]), details=report, message=message)
    lo, hi = (100.0 * float(v) for v in report["overall_accuracy_ci"])
    se = 100.0 * float(report["overall_accuracy_se"])
    message = (
        f"overall accuracy {oa:.2f}% (95% CI {lo:.2f}–{hi:.2f}%, SE {se:.2f}), "
        f"n = {report['n']} samples; {report['estimator']}"
    )
    assert planner is not None

    def planner_pct(threshold: float) -> int | None:
        return planner(float(threshold) / 100.0)

    return Measurement(
        value=oa,
        unit="%",
        ci=(lo, hi),
        se=se,
        n=int(report["n"]),
        details=report,
        message=message,
        planner=planner_pct,
    )


def measure_accuracy(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> Measurement:
    """Overall accuracy (%) of a classified map against reference data, with its 95% CI.

    Parameters
    ----------
    evidence : Evidence
        ``map`` and ``reference`` (and optionally ``field``, ``design``, ``strata``,
        ``strata_field``, ``legend``, ``resample``, ``band``, ``reference_band``,
        ``polygons``); or ``items``, each with its own ``map`` and ``reference``.
    params : mapping
        The indicator's catalogue params (none are needed).
    context : Context
        Workers, dask scheduler, progress.

    Returns
    -------
    Measurement
        ``value`` = overall accuracy in %, ``ci``/``se`` in %, ``n`` = sample size,
        ``planner(threshold %)`` = additional reference samples expected to decide;
        ``details`` = the :func:`accuracy_report` dictionary.  With several items,
        the value is the lowest item accuracy and the interval runs from the lowest
        lower bound to the lowest upper bound, so that every item must meet a
        "≥"/">" threshold for a pass and one failing item fails.

    Raises
    ------
    EvidenceError, EvidenceReadError
        Unusable or unreadable evidence.
    """
    if "map" in evidence or not evidence.items:
        return _measure_one(evidence, context)
    parts: list[tuple[str, Measurement]] = []
    for k, item in enumerate(evidence.items):
        title = str(item.get("title", f"item {k + 1}"))
        try:
            parts.append((title, _measure_one(item, context)))
        except GeoverifyError as exc:
            raise type(exc)(
                f"item {title!r}: {exc.problem}", source=exc.source, hint=exc.hint
            ) from None
    return _combine_items(parts)


def _combine_items(parts: list[tuple[str, Measurement]]) -> Measurement:
    values = [m.value for _, m in parts]
    lows = [m.ci[0] if m.ci else m.value for _, m in parts]
    highs = [m.ci[1] if m.ci else m.value for _, m in parts]
    worst = int(np.argmin(values))
    planners = [m.planner for _, m in parts]
    ci = (min(lows), min(highs))

    def planner(threshold: float) -> int | None:
        total = 0
        for (_, m), p in zip(parts, planners, strict=True):
            if p is None or m.ci is None or not (m.ci[0] <= threshold <= m.ci[1]):
                continue
            extra = p(threshold)
            if extra is None:
                return None
            total += extra
        return total

    items = [
        {
            "title": t,
            "value": m.value,
            "ci": list(m.ci) if m.ci else None,
            "n": m.n,
            "message": m.message,
            "details": m.details,
        }
        for t, m in parts
    ]
    message = (
        f"{len(parts)} items; lowest overall accuracy {values[worst]:.2f}% "
        f"({parts[worst][0]}); every item is assessed on its own"
    )
    se = parts[worst][1].se
    return Measurement(
        value=float(values[worst]),
        unit="%",
        ci=None if all(m.ci is None for _, m in parts) else ci,
        se=se,
        n=sum(int(m.n or 0) for _, m in parts),
        details={"items": items, "weakest_item": parts[worst][0]},
        message=message,
        planner=planner,
    )
