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
  column of the reference file): Stehman (2014);
- ``design = "unequal_probability"`` (each unit's ``inclusion_probability``) or
  ``"cluster"`` (and each unit's ``cluster``): Horvitz–Thompson / Hájek ratio
  estimators with the with-replacement (between-cluster) variance, per stratum
  with ``strata_field`` (Stehman & Foody 2019; Cochran 1977 ch. 6;
  :func:`geoverify.stats.estimators.unequal_probability`).

Where the design comes from is reported (``design_source``): a sample drawn by
``geoverify sample draw`` and sealed by its ``design.json`` (evidence
``design_file``, or a ``design.json`` beside the sample sealing a file of the
sample's name) is verified against its seal — another map, added, removed or
moved units, an edited design file or a seed that does not reproduce the units
are an ``error`` — and analysed with the design, strata sizes and allocation of
the seal, whatever the manifest declares (``design_source = "sealed"``, the
message says "design sealed by …, verified (seal sha256 …)");
any other sample is analysed as declared and labelled "design declared by the
submitter, not verified" (:mod:`geoverify.checks.accuracy.sealed`).  Several
interpreters' label columns (``reference_1``, ``reference_2``, … or
``reference_columns``) give a majority label; ties and "cannot tell" labels are
excluded and counted, and the interpreters' agreement reported
(``response_design``).

A reference raster is a census of the map (every pixel pair counted), so every
figure is exact (:func:`geoverify.stats.estimators.census`): overall, user's and
producer's accuracies carry a standard error of ``0`` (``None`` only where the
accuracy itself is undefined), ``overall_accuracy_ci`` is the degenerate
``[OA, OA]`` and the measurement has no confidence interval.  A reference raster
is another product, not ground truth: the figure is reported as *agreement with
a reference product* (``reference_kind = "raster product"``), and agreement by
itself never passes an accuracy indicator (:data:`REFERENCE_PRODUCT_RULE`).
Without a declared accuracy of the reference product the measurement carries the
``inconclusive_reason`` :data:`REFERENCE_PRODUCT_REASON`, so its verdict is at
most ``inconclusive``: a map that differs from the reference on a few pixels, or
that merges a class, agrees highly and proves nothing.  With the product's
declared accuracy ``R`` (``reference_accuracy``, %) the map's accuracy is known to
lie in the Fréchet bounds ``[A + R − 100, 100 − |A − R|]`` of the agreement ``A``
(:func:`geoverify.stats.intervals.agreement_bounds`), and the verdict is held
against that interval: it passes only when its lower bound meets the rule.

Rules that keep the verdict honest (each stated in the report's details):

- independence: a reference raster with the map's SHA-256 checksum, or whose
  pixel pairs agree on at least :data:`SELF_REFERENCE_AGREEMENT` of the pixels
  with the same set of classes on both sides, is the map itself — an error;
- distinct locations: reference samples repeating the geometry, label (and
  stratum) of an earlier one count once (``duplicate_samples``);
- labels must match: when fewer than :data:`MIN_LABEL_OVERLAP` of the reference
  samples carry a label the map uses (``"01"`` against code ``1``), the check
  stops with both label sets and the legend that would map them;
- dropped samples: the message says ``n used / n given`` and why;
- design detection: a sample analysed as ``simple`` whose map-class shares differ
  from the map's beyond chance (Pearson's chi-square goodness-of-fit test,
  p < :data:`DESIGN_P_VALUE`; Conover 1999, §4.5) is flagged
  (``design_warning``): the simple estimator is biased for it;
- a stratum with fewer than
  :data:`~geoverify.stats.estimators.MIN_SAMPLES_PER_STRATUM` samples leaves no
  stratified interval: the verdict is ``inconclusive`` (``inconclusive_reason``).

A map made of tiles (``maps``: a list or a glob of files, each in its own CRS)
is one map: each reference sample is read from the first tile by path whose grid
holds it, samples in no tile count as outside the map, and the map-class pixel
counts and areas (stratum weights) are summed over the tiles with the overlap
rule of :mod:`geoverify.io.mosaic` (:data:`TILE_SAMPLE_RULE`); a reference raster
or a sealed sample needs one map file.

Evidence keys (``[evidence.DIRECTION.NAME]``): ``map`` (or ``maps``), ``reference``, ``field``,
``design``, ``strata``, ``strata_field``, ``legend`` (table code -> label),
``resample`` (``nearest``/``mode``), ``band``, ``reference_band``, ``polygons``
(``centroid`` or ``majority``), ``reference_accuracy`` (declared accuracy of the
reference, %), ``design_file`` (a sealed sample's ``design.json``),
``reference_columns`` (interpreters' label columns), ``inclusion_field`` and
``cluster_field`` (default ``inclusion_probability`` and ``cluster``).  With
``items`` (one map/reference per item) and no ``map``, every item is assessed and
the weakest one is reported.

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
.. [5] Conover, W. J. (1999). *Practical Nonparametric Statistics*, 3rd ed. Wiley,
   §4.5 (the chi-squared goodness-of-fit test).
.. [6] Korn, E. L., & Graubard, B. I. (1998). Confidence intervals for proportions
   with small expected number of positive counts estimated from survey data.
   *Survey Methodology*, 24(2), 193–201.
.. [7] Stehman, S. V., & Foody, G. M. (2019). Key issues in rigorous accuracy
   assessment of land cover products. *Remote Sensing of Environment*, 231, 111199.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from geoverify.checks.accuracy import DESIGNS, MEASURES
from geoverify.errors import CatalogueError, EvidenceError, GeoverifyError
from geoverify.io.checksums import sha256_file
from geoverify.io.formats import is_vector
from geoverify.io.mosaic import (
    first_tile_of_points,
    open_tiles,
    raster_locations,
    tile_class_areas_ha,
    tile_class_counts,
)
from geoverify.io.vector import read_vector
from geoverify.model import Measurement
from geoverify.stats import estimators as est
from geoverify.stats.confusion import (
    POLYGON_RULES,
    PointSample,
    class_areas_ha,
    pair_counts,
    pixel_area_ha,
    sample_map,
)
from geoverify.stats.intervals import agreement_bounds
from geoverify.stats.tallies import class_counts

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = [
    "DESIGNS",
    "DESIGN_P_VALUE",
    "MEASURES",
    "MIN_LABEL_OVERLAP",
    "REFERENCE_PRODUCT_REASON",
    "REFERENCE_PRODUCT_RULE",
    "SELF_REFERENCE_AGREEMENT",
    "accuracy_report",
    "assess_evidence",
    "measure_accuracy",
    "reference_product_measurement",
]



#: A reference raster agreeing with the map on at least this share of pixel pairs,
#: with the same classes on both sides, is taken for a copy of the map.
SELF_REFERENCE_AGREEMENT = 0.999

#: Why agreement with a reference raster cannot decide an accuracy indicator by itself.
REFERENCE_PRODUCT_REASON = "agreement with a reference product, not accuracy against ground truth"

#: The rule for a reference raster, stated in the report.
REFERENCE_PRODUCT_RULE = (
    "agreement with a reference raster never passes an accuracy indicator by itself: without "
    "the reference product's declared accuracy (reference_accuracy, %) the verdict is at most "
    "inconclusive; with it, the map's accuracy lies in the Fréchet bounds [A + R - 100, "
    "100 - |A - R|] of agreement A and reference accuracy R (Fréchet 1951), and that interval "
    "is held against the rule"
)

#: Fewest reference samples (share) whose label the map uses: below it the labels
#: of the two sides do not match (a missing legend) and the check stops.
MIN_LABEL_OVERLAP = 0.5

#: Significance level of the chi-square test of the sample's map-class shares
#: against the map's, for a sample analysed as simple random.
DESIGN_P_VALUE = 0.001

#: The rule by which repeated reference samples count once.
DISTINCT_RULE = (
    "distinct locations: samples repeating the geometry and reference label (and stratum) "
    "of an earlier sample count once"
)
DEFAULT_FIELDS = ("reference", "ref", "class", "label", "truth", "code")

#: How a hand-made sample's design is labelled in the report.
DECLARED = "design declared by the submitter, not verified"

#: Default columns of the per-unit inclusion probability and of the cluster id.
INCLUSION_FIELD = "inclusion_probability"
CLUSTER_FIELD = "cluster"

#: Column holding each unit's consensus reference label (internal).
CONSENSUS = "__reference_label__"

#: A map: one raster, or the tiles of one map (a tuple of paths, :mod:`geoverify.io.mosaic`).
MapSource = str | tuple[str, ...]

#: How reference samples are read from a map made of tiles, as results state it.
TILE_SAMPLE_RULE = (
    "each reference sample is read from the first tile (sorted by path) whose grid holds its "
    "point (a polygon's centroid), so a sample on the overlap of tiles counts once; samples "
    "in no tile are counted outside the map; class pixel counts and areas of the map are "
    "summed over the tiles with the overlap rule"
)


def _map_name(src: MapSource) -> str:
    if isinstance(src, str):
        return os.path.basename(src)
    return f"{len(src)} map tiles"


def _map_counts(src: MapSource, band: int, scan_opts: dict[str, Any]) -> dict[Any, int]:
    """Pixel count of every map value: one raster, or tiles with the overlap rule."""
    if isinstance(src, str):
        return class_counts(src, band=band, **scan_opts)

    def count_one(path: str) -> dict[Any, int]:
        return class_counts(path, band=band, **scan_opts)

    counts, _ = tile_class_counts(
        src, band=band, workers=int(scan_opts["workers"]), count_one=count_one
    )
    return counts


def _map_areas(src: MapSource, band: int, scan_opts: dict[str, Any]) -> dict[Any, float] | None:
    """Ground area (ha) of every map value: one raster, or tiles with the overlap rule."""
    if isinstance(src, str):
        return class_areas_ha(src, band=band, **scan_opts)
    return tile_class_areas_ha(src, band=band, workers=int(scan_opts["workers"]))[0]


def _map_pixel_area(src: MapSource) -> tuple[float, str | None]:
    """Mean ground area (ha) of a pixel: of one raster, or of the tiles' counted pixels."""
    if isinstance(src, str):
        return pixel_area_ha(src)
    _, details = tile_class_areas_ha(src, band=1, workers=1)
    pixels = int(details["valid_pixels"])
    if pixels == 0:
        return pixel_area_ha(src[0])
    return float(details["area_ha"]) / pixels, (
        "the map is made of tiles: pixel_area_ha is the mean ground area of the tiles' "
        "counted pixels and class areas are summed from each pixel's ground area"
    )


def _sample_map(
    src: MapSource, frame: Any, *, band: int, workers: int, polygons: str
) -> PointSample:
    """The map values at the samples: one raster, or tiles by the first-tile rule.

    With tiles, each sample is read from the first tile (sorted by path) whose grid
    holds its point, or its polygon's centroid (:func:`first_tile_of_points`,
    :data:`TILE_SAMPLE_RULE`); a polygon read by majority takes the majority of
    that tile's pixels.  Samples in no tile count as outside the map.
    """
    if isinstance(src, str):
        return sample_map(src, frame, band=band, workers=workers, polygons=polygons)
    import shapely

    tiles = open_tiles(sorted(src))
    n = len(frame)
    if n and frame.crs is None:
        raise EvidenceError(
            "reference samples have no CRS",
            hint="Write the reference file with its CRS (or lon/lat columns in a CSV).",
        )
    data = np.asarray(frame.geometry.array)
    points = shapely.centroid(data) if n else data
    xs = shapely.get_x(points) if n else np.zeros(0)
    ys = shapely.get_y(points) if n else np.zeros(0)
    which = first_tile_of_points(tiles, xs, ys, frame.crs)
    parts: list[tuple[np.ndarray, PointSample]] = []
    for k, tile in enumerate(tiles):
        rows = np.flatnonzero(which == k)
        if rows.size:
            part = sample_map(
                tile.location, frame.iloc[rows], band=band, workers=workers, polygons=polygons
            )
            parts.append((rows, part))
    dtype = np.result_type(*[p.values.dtype for _, p in parts]) if parts else np.float64
    values = np.zeros(n, dtype=dtype)
    valid = np.zeros(n, dtype=bool)
    inside = np.zeros(n, dtype=bool)
    outside, nodata = int((which < 0).sum()), 0
    geometry = sample_map(tiles[0].location, frame.iloc[:0], band=band).geometry
    for rows, part in parts:
        values[rows] = part.values
        valid[rows] = part.valid
        inside[rows] = part.inside if part.inside is not None else part.valid
        outside += part.outside
        nodata += part.nodata
        geometry = part.geometry
    return PointSample(values, valid, outside, nodata, geometry, inside)


def map_source(evidence: Evidence) -> MapSource:
    """The map of an evidence: ``map`` (one file) or ``maps`` (a list or a glob of tiles).

    Files are listed once each (:func:`geoverify.io.mosaic.raster_locations`): a
    single file is read as one raster, several as the tiles of one map.
    """
    if "maps" not in evidence:
        return str(evidence.location("map"))
    listed = raster_locations(
        evidence,
        keys=("map", "maps"),
        hint=f'Add `maps = ["tiles/*.tif"]` or `map = "map.tif"` to the evidence of '
        f"{evidence.indicator}.",
    )
    return listed.paths[0] if len(listed.paths) == 1 else tuple(sorted(listed.paths))


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
    map: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
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
    reference_accuracy: float | None = None,
    design_file: str | os.PathLike[str] | None = None,
    reference_columns: Sequence[str] | None = None,
    inclusion_field: str | None = None,
    cluster_field: str | None = None,
) -> dict[str, Any]:
    """Assess a classified map against reference data; a JSON-able dictionary.

    Parameters
    ----------
    map : path or URL, or a sequence of them
        The classified map (integer class codes), or the tiles of one map (each in
        its own CRS): samples are read from the first tile by path that holds them
        and the map's class counts and areas summed with the overlap rule
        (:data:`TILE_SAMPLE_RULE`; a reference raster needs one map file).
    reference : path or URL
        Reference samples (GeoPackage, GeoJSON, Shapefile, GeoParquet, CSV lon/lat)
        or a reference raster.
    field : str, optional
        Column of the reference class (default: the first of ``reference``, ``ref``,
        ``class``, ``label``, ``truth``, ``code`` present).
    design : {"simple", "stratified", "unequal_probability", "cluster"}
        The declared design: simple random, stratified random (Olofsson et al.
        2014; Stehman 2014), unequal inclusion probabilities or a cluster sample
        (Horvitz–Thompson / Hájek ratio estimators,
        :func:`geoverify.stats.estimators.unequal_probability`).
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
    reference_accuracy : float, optional
        The reference's own declared overall accuracy in percent, carried into the
        report (the figure is agreement with that reference, not ground truth).
    design_file : path, optional
        The design file (``design.json``) of a sample drawn by ``geoverify sample
        draw``; default: a ``design.json`` beside the sample that seals a file of
        the sample's name (:func:`geoverify.checks.accuracy.sealed.find_seal`).  A
        sealed sample is verified (a mismatch raises
        :class:`~geoverify.errors.EvidenceError`) and analysed with the sealed
        design (``design_source = "sealed"``, ``seal``); any other with
        ``design`` (``design_source = "declared"``).
    reference_columns : sequence of str, optional
        Several interpreters' label columns: the majority label is used, ties and
        "cannot tell" excluded and counted, the agreement reported
        (``response_design``).
    inclusion_field, cluster_field : str, optional
        Columns of each unit's inclusion probability and cluster id
        (``design = "unequal_probability"`` or ``"cluster"``; defaults
        ``inclusion_probability`` and ``cluster``).

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
        reference_accuracy=reference_accuracy,
        design_file=design_file,
        reference_columns=reference_columns,
        inclusion_field=inclusion_field,
        cluster_field=cluster_field,
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
    map: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
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
    reference_accuracy: float | None = None,
    keep: dict[str, Any] | None = None,
    design_file: str | os.PathLike[str] | None = None,
    reference_columns: Sequence[str] | None = None,
    inclusion_field: str | None = None,
    cluster_field: str | None = None,
) -> tuple[dict[str, Any], Callable[[float], int | None] | None, bool]:
    """The report, a planner ``planner(threshold as a proportion)`` and whether OA is exact.

    ``keep`` (a dict), when given, receives the sample behind the estimate:
    ``map_labels``, ``ref_labels``, ``strata`` (``None`` for a simple random
    sample) and ``sizes`` (stratum -> size), or ``census = True`` for a reference
    raster — what the class-specific figures (F1 interval) need.

    A sealed sample (``design_file``, or a ``design.json`` beside the sample:
    :func:`geoverify.checks.accuracy.sealed.find_seal`) is verified and analysed
    with the design of its seal; any other sample with the declared ``design``.
    """
    if keep is None:
        keep = {}
    _validate(design, band, reference_band, workers, polygons)
    map_path: MapSource = (
        os.fspath(map)
        if isinstance(map, str | os.PathLike)
        else tuple(sorted(os.fspath(m) for m in map))
    )
    if isinstance(map_path, tuple) and len(map_path) == 1:
        map_path = map_path[0]
    ref_path = os.fspath(reference)
    leg = _legend(legend)
    declared = _reference_accuracy(reference_accuracy, ref_path)
    scan_opts = dict(workers=int(workers), scheduler=scheduler, progress=progress)
    if not is_vector(ref_path) and not isinstance(map_path, str):
        raise EvidenceError(
            f"a reference raster against a map made of {len(map_path)} tiles is not supported: "
            "a census of every pixel pair across tiles in several CRSs is too much to compute",
            source=ref_path,
            hint="Give reference samples (points or polygons), or mosaic the tiles onto the "
            "reference's grid (gdalwarp) and give that one map.",
        )
    if not is_vector(ref_path):
        assert isinstance(map_path, str)
        report, _, exact = _wall_to_wall(
            map_path, ref_path, leg, resample, band, reference_band, design, scan_opts
        )
        keep["census"] = True
        if declared is not None:
            report["reference_accuracy"] = declared
        return report, None, exact
    from geoverify.checks.accuracy import sealed

    seal_path = sealed.find_seal(ref_path, design_file)
    if seal_path is not None:
        if not isinstance(map_path, str):
            raise EvidenceError(
                "a sealed sample is bound to one map file: it cannot be verified against "
                f"{len(map_path)} map tiles",
                source=seal_path,
                hint="Give the sealed map (`map = …`), or draw the sample on the tiles' mosaic.",
            )
        return sealed.assess_sealed(
            map_path,
            ref_path,
            seal_path,
            declared_design=design,
            strata=os.fspath(strata) if strata is not None else None,
            field=field,
            reference_columns=reference_columns,
            legend=leg,
            band=band,
            scan_opts=scan_opts,
            reference_accuracy=declared,
            keep=keep,
        )
    frame = read_vector(ref_path)
    columns = sealed.label_columns(frame, field, reference_columns, ref_path)
    column = columns[0] if len(columns) == 1 else CONSENSUS
    labels_all, response, status_all = sealed.resolve_labels(frame, columns, ref_path)
    frame = frame.assign(
        **{CONSENSUS: np.array(labels_all, dtype=object), "__status__": status_all}
    )
    given = len(frame)
    frame, duplicates = _distinct(frame, CONSENSUS, strata_field)
    sample = _sample_map(map_path, frame, band=band, workers=int(workers), polygons=polygons)
    ref_values = frame[CONSENSUS].to_numpy()
    has_ref = ~_isnull(ref_values)
    status = frame["__status__"].to_numpy(dtype=object)
    use = sample.valid & has_ref
    if given and not use.any():  # say which file and why, before any estimator runs
        raise EvidenceError(
            f"none of its {given} reference samples can be used: {sample.outside} outside "
            f"the map {_map_name(map_path)}, {sample.nodata} on its nodata, "
            f"{int((sample.valid & ~has_ref).sum())} without a usable reference label",
            source=ref_path,
            hint="Check that the samples overlap the map (same area, CRS declared) and lie "
            "on mapped pixels.",
        )
    extras: dict[str, Any] = {
        "reference_kind": "samples",
        "design_source": "declared",
        "design_statement": DECLARED,
        "reference_field": column,
        "samples_total": given,
        "samples_given": given,
        "duplicate_samples": duplicates,
        "distinct_rule": DISTINCT_RULE,
        "samples_outside_map": sample.outside,
        "samples_on_nodata": sample.nodata,
        "samples_without_reference": int((sample.valid & (status == "unlabelled")).sum()),
        "sample_geometry": sample.geometry,
    }
    if not isinstance(map_path, str):
        extras["map_tiles"] = len(map_path)
        extras["tile_sample_rule"] = TILE_SAMPLE_RULE
    for key, why in (("samples_cannot_tell", "cannot_tell"), ("samples_tied", "tie")):
        if (sample.valid & (status == why)).any():
            extras[key] = int((sample.valid & (status == why)).sum())
    if len(columns) > 1:
        extras["reference_columns"] = list(columns)
    if len(columns) > 1 or extras.get("samples_cannot_tell"):
        extras["response_design"] = response
    if declared is not None:
        extras["reference_accuracy"] = declared
    map_labels = _apply(sample.values[use], leg)
    ref_labels = _apply(ref_values[use], leg)
    _check_labels(map_labels, ref_labels, ref_path, "reference samples")
    notes: list[str] = []
    planner: Callable[[float], int | None] | None
    try:
        if design == "simple":
            labels = _order(set(map_labels) | set(ref_labels), leg)
            e = est.simple_random(_matrix(map_labels, ref_labels, labels), labels)
            oa, n = e.overall_accuracy, e.n
            keep.update(map_labels=map_labels, ref_labels=ref_labels, strata=None, sizes=None)

            def planner(threshold: float) -> int | None:
                return est.additional_samples(oa, threshold, n, interval="score")

            extras.update(_design_check(map_path, map_labels, leg, band, scan_opts))
        elif design in ("unequal_probability", "cluster"):
            e, planner, more = _unequal(
                map_path,
                frame,
                use,
                map_labels,
                ref_labels,
                leg,
                design,
                strata_field,
                inclusion_field or INCLUSION_FIELD,
                cluster_field or CLUSTER_FIELD,
                band,
                scan_opts,
                ref_path,
            )
            keep.update(more.pop("_sample"))
            extras.update(more)
        elif strata is None and strata_field is None:
            e, planner = _olofsson(map_path, map_labels, ref_labels, leg, band, scan_opts)
            keep.update(
                map_labels=map_labels,
                ref_labels=ref_labels,
                strata=map_labels,
                sizes=dict(zip(e.labels, e.weights or [], strict=False)),
            )
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
            sample_units = more.pop("_sample")
            keep.update(sample_units)
            extras.update(more)
    except est.SmallStrataError as exc:
        return _too_small(exc, design, map_labels, map_path, ref_path, leg, extras), None, False
    report = e.to_dict()
    report.update(extras)
    if design != "simple":
        area, note = _map_pixel_area(map_path)
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
    report["map"] = map_path if isinstance(map_path, str) else list(map_path)
    report["reference"] = ref_path
    report["legend"] = leg or None
    report["proportions_scale"] = "accuracies and area proportions are proportions in [0, 1]"
    return report, planner, False


def _olofsson(
    map_path: MapSource,
    map_labels: np.ndarray,
    ref_labels: np.ndarray,
    leg: dict[str, str],
    band: int,
    scan_opts: dict[str, Any],
) -> tuple[est.Estimate, Callable[[float], int | None]]:
    counts = _map_counts(map_path, band, scan_opts)
    mapped: dict[str, int] = {}
    for code, c in counts.items():
        lab = leg.get(_label(code), _label(code))
        mapped[lab] = mapped.get(lab, 0) + int(c)
    # a geographic map: W_i and the class areas are shares of the mapped AREA
    mapped_ha = _areas_by_label(map_path, band, leg, scan_opts)
    labels = _order(set(map_labels) | set(ref_labels) | set(mapped), leg)
    pixels = [mapped.get(lab, 0) for lab in labels]
    area, _ = _map_pixel_area(map_path)
    e = est.stratified_map_classes(
        _matrix(map_labels, ref_labels, labels),
        pixels,
        labels,
        pixel_area_ha=area,
        mapped_areas_ha=None if mapped_ha is None else [mapped_ha.get(lab, 0.0) for lab in labels],
    )
    weights = [w for w in e.weights or []]
    uas = [0.5 if u is None else u for u in e.users_accuracy]
    return e, est.stratified_planner(e, weights, uas)


def _areas_by_label(
    path: MapSource, band: int, leg: dict[str, str] | None, scan_opts: dict[str, Any]
) -> dict[str, float] | None:
    """Area (ha) of each class label of a geographic raster; ``None`` for equal pixels.

    Pixels of a geographic grid shrink with latitude, so stratum weights and class
    areas are sums of each row's geodesic cell area, not pixel counts
    (:func:`geoverify.stats.confusion.class_areas_ha`).  ``leg`` maps codes to labels
    (``None``: the codes themselves).
    """
    areas = _map_areas(path, band, scan_opts)
    if areas is None:
        return None
    out: dict[str, float] = {}
    for code, a in areas.items():
        lab = _label(code) if leg is None else leg.get(_label(code), _label(code))
        out[lab] = out.get(lab, 0.0) + float(a)
    return out


def _unequal(
    map_path: MapSource,
    frame: Any,
    use: np.ndarray,
    map_labels: np.ndarray,
    ref_labels: np.ndarray,
    leg: dict[str, str],
    design: str,
    strata_field: str | None,
    inclusion_field: str,
    cluster_field: str,
    band: int,
    scan_opts: dict[str, Any],
    ref_path: str,
) -> tuple[est.Estimate, Callable[[float], int | None], dict[str, Any]]:
    """Unequal-probability or cluster sample: Horvitz–Thompson / Hájek ratio estimators.

    Each unit's inclusion probability is read from ``inclusion_field``, its cluster
    (``design = "cluster"``) from ``cluster_field`` and its stratum, if any, from
    ``strata_field`` (:func:`geoverify.stats.estimators.unequal_probability`).
    Class areas are shares of the map's mapped area.
    """
    columns = [
        c for c in frame.columns if c not in (frame.geometry.name, CONSENSUS, "__status__")
    ]
    needed = [(inclusion_field, "inclusion_field", "each unit's inclusion probability")]
    if design == "cluster":
        needed.append((cluster_field, "cluster_field", "each unit's cluster id"))
    if strata_field is not None:
        needed.append((strata_field, "strata_field", "each unit's stratum"))
    for name, key, what in needed:
        if name not in frame.columns:
            raise EvidenceError(
                f"a {design.replace('_', ' ')} sample needs {what}: no column {name!r} "
                f"(columns: {columns})",
                source=ref_path,
                hint=f"Name the column with `{key} = ` in the submission "
                f"(--{key.replace('_', '-')} on the command line).",
            )
    sub = frame.loc[use]
    import pandas as pd

    pi = pd.to_numeric(sub[inclusion_field], errors="coerce").to_numpy(dtype=float)
    if np.isnan(pi).any():
        raise EvidenceError(
            f"{int(np.isnan(pi).sum())} unit(s) have no numeric {inclusion_field!r}",
            source=ref_path,
            hint="Give every unit its inclusion probability π in (0, 1].",
        )
    clusters = sub[cluster_field].astype(str).to_numpy() if design == "cluster" else None
    if clusters is not None and _isnull(sub[cluster_field].to_numpy()).any():
        raise EvidenceError(
            f"units without a cluster id in {cluster_field!r}",
            source=ref_path,
            hint="Give every unit the id of the cluster it was drawn with.",
        )
    strata_values = (
        np.array([_label(v) for v in sub[strata_field].to_numpy()], dtype=object)
        if strata_field is not None
        else None
    )
    mapped_ha = _areas_by_label(map_path, band, leg, scan_opts)
    if mapped_ha is not None:
        total_ha = float(sum(mapped_ha.values()))
    else:
        pixels = sum(int(c) for c in _map_counts(map_path, band, scan_opts).values())
        total_ha = float(pixels) * _map_pixel_area(map_path)[0]
    labels = _order(set(map_labels) | set(ref_labels), leg)
    e = est.unequal_probability(
        map_labels,
        ref_labels,
        pi,
        labels,
        strata=strata_values,
        clusters=clusters,
        total_area_ha=total_ha if total_ha > 0 else None,
    )
    extras: dict[str, Any] = {
        "inclusion_field": inclusion_field,
        "variance": est.WITH_REPLACEMENT_VARIANCE,
        "estimated_population_pixels": float(np.sum(1.0 / pi)),
        "mapped_area_ha": total_ha,
    }
    if clusters is not None:
        extras["cluster_field"] = cluster_field
        extras["clusters"] = len(set(clusters.tolist()))
    extras["_sample"] = {
        "map_labels": map_labels,
        "ref_labels": ref_labels,
        "strata": None,
        "sizes": None,
        "inclusion_probabilities": pi,
    }
    planner = est.stratified_planner(e)

    return e, planner, extras


def _stehman(
    map_path: MapSource,
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
        for code, c in _map_counts(map_path, band, scan_opts).items():
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
    area, _ = _map_pixel_area(os.fspath(strata) if strata is not None else map_path)
    extras["pixel_area_ha"] = area
    e = est.stratified_general(
        s_use, m_use, r_use, sizes, labels, pixel_area_ha=area, stratum_areas_ha=areas
    )
    extras["stratum_sizes"] = sizes
    if areas is not None:
        extras["stratum_areas_ha"] = areas
    extras["_sample"] = {
        "map_labels": m_use,
        "ref_labels": r_use,
        "strata": s_use,
        "sizes": dict(areas if areas is not None else sizes),
    }
    shares = areas if areas is not None else sizes
    total = sum(shares.values())
    names = sorted(shares)
    weights = [shares[h] / total for h in names]
    rates = []
    for h in names:
        sel = s_use == h
        rates.append(float((m_use[sel] == r_use[sel]).mean()) if sel.any() else 0.5)
    planner = est.stratified_planner(e, weights, rates)

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
    if _same_file(map_path, ref_path):
        raise EvidenceError(
            "the reference is a copy of the map: both files have the same SHA-256 checksum, "
            "so their agreement says nothing about the map's accuracy",
            source=ref_path,
            hint="Give independent reference data (field or photo-interpreted samples, or "
            "another product) for the accuracy assessment.",
        )
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
    _check_labels_counts(m, labels, ref_path)
    total = int(m.sum())
    present_map = {lab for lab, c in zip(labels, m.sum(axis=1), strict=True) if c > 0}
    present_ref = {lab for lab, c in zip(labels, m.sum(axis=0), strict=True) if c > 0}
    if total and np.trace(m) / total >= SELF_REFERENCE_AGREEMENT and present_map == present_ref:
        raise EvidenceError(
            f"the reference is a copy of the map: {100 * np.trace(m) / total:.3f}% of "
            f"{total:,} pixel pairs agree and both hold the same classes "
            f"({', '.join(sorted(present_map, key=est._label_key)[:10])}); the rule: at least "
            f"{100 * SELF_REFERENCE_AGREEMENT:g}% agreement with identical class sets is "
            "the map itself, not an independent reference",
            source=ref_path,
            hint="Give independent reference data (field or photo-interpreted samples, or "
            "another product) for the accuracy assessment.",
        )
    e = est.census(m, labels)  # exact: every SE 0, OA interval [OA, OA]
    e.estimator = (
        "agreement with a reference product: every valid pixel pair counted (a census of "
        "agreement, no sampling error; not accuracy against ground truth)"
    )
    report = e.to_dict()
    report.update(
        reference_kind="raster product",
        self_reference_rule=f"a reference with the map's checksum, or agreeing on at least "
        f"{100 * SELF_REFERENCE_AGREEMENT:g}% of pixel pairs with the same classes, is refused "
        "as a copy of the map",
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


def _check_labels(
    map_labels: np.ndarray, ref_labels: np.ndarray, source: str, what: str
) -> None:
    """Refuse reference labels that the map does not use (a legend is missing).

    When fewer than :data:`MIN_LABEL_OVERLAP` of the reference units carry a label
    that the map uses at the sampled units, the two sides are coded differently
    (``"01"`` against ``1``, names against codes): an :class:`EvidenceError` shows
    both label sets and the legend that would map them.
    """
    if not len(map_labels):
        return
    map_set = set(map_labels.tolist())
    ref_list = ref_labels.tolist()
    shared = sum(1 for v in ref_list if v in map_set) / len(ref_list)
    if shared >= MIN_LABEL_OVERLAP:
        return
    _label_mismatch(
        sorted(map_set, key=est._label_key),
        sorted(set(ref_list), key=est._label_key),
        shared,
        source,
        what,
    )


def _check_labels_counts(m: np.ndarray, labels: list[str], source: str) -> None:
    """:func:`_check_labels` on a pixel-pair matrix (rows map, columns reference)."""
    rows, cols = m.sum(axis=1), m.sum(axis=0)
    total = int(cols.sum())
    if not total:
        return
    map_set = [lab for lab, c in zip(labels, rows, strict=True) if c > 0]
    ref_set = [lab for lab, c in zip(labels, cols, strict=True) if c > 0]
    shared = sum(int(c) for lab, c in zip(labels, cols, strict=True) if lab in map_set) / total
    if shared < MIN_LABEL_OVERLAP:
        _label_mismatch(map_set, ref_set, shared, source, "reference pixels")


def _label_mismatch(
    map_set: list[str], ref_set: list[str], shared: float, source: str, what: str
) -> None:
    def show(values: list[str]) -> str:
        text = ", ".join(repr(v) for v in values[:12])
        return text + (f" … ({len(values)} labels)" if len(values) > 12 else "")

    def numeric(v: str) -> bool:
        return est._label_key(v)[0] == 0

    pairs = [  # the same number written differently ("01" and "1")
        f'{c} = "{r}"'
        for r in ref_set
        for c in map_set
        if r != c and numeric(r) and numeric(c) and float(r) == float(c)
    ]
    example = ", ".join(pairs[:6]) if pairs else f'{map_set[0]} = "{ref_set[0]}"'
    raise EvidenceError(
        f"the reference labels do not match the map codes: only {100 * shared:.0f}% of the "
        f"{what} carry a label the map uses (at least {100 * MIN_LABEL_OVERLAP:g}% needed); "
        f"map codes: {show(map_set)}; reference labels: {show(ref_set)}",
        source=source,
        hint="Map the codes onto the reference labels with a legend: "
        f"legend = {{{example}}} in the submission (or --legend on the command line).",
    )


def _reference_accuracy(value: Any, source: str) -> float | None:
    """The reference's declared accuracy in %, checked; ``None`` when not declared."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvidenceError(
            f"reference_accuracy must be a number (percent), got {value!r}",
            source=source,
            hint="reference_accuracy = 92.5",
        )
    v = float(value)
    if not 1.0 < v <= 100.0:
        raise EvidenceError(
            f"reference_accuracy = {value!r} is not a percentage in (1, 100]",
            source=source,
            hint="Give the reference's declared overall accuracy in percent, e.g. "
            "reference_accuracy = 92.5 (not 0.925).",
        )
    return v


def _same_file(a: str, b: str) -> bool:
    """Whether two local files have the same SHA-256 checksum (remote files: not compared)."""
    if not (os.path.isfile(a) and os.path.isfile(b)):
        return False
    if os.path.getsize(a) != os.path.getsize(b):
        return False
    return sha256_file(a) == sha256_file(b)


def _distinct(frame: Any, column: str, strata_field: str | None) -> tuple[Any, int]:
    """Drop samples repeating the geometry, label (and stratum) of an earlier one."""
    if not len(frame):
        return frame, 0
    import pandas as pd

    keys = pd.DataFrame(
        {
            "geometry": frame.geometry.to_wkb().to_numpy(),
            "label": frame[column].astype(str).to_numpy(),
        }
    )
    if strata_field is not None and strata_field in frame.columns:
        keys["stratum"] = frame[strata_field].astype(str).to_numpy()
    repeated = keys.duplicated().to_numpy() & frame.geometry.notna().to_numpy()
    return frame.loc[~repeated], int(repeated.sum())


def _design_check(
    map_path: MapSource,
    map_labels: np.ndarray,
    leg: dict[str, str],
    band: int,
    scan_opts: dict[str, Any],
) -> dict[str, Any]:
    """Test a "simple" sample's map-class shares against the map's (Pearson chi-square).

    Under simple random sampling the map classes at the samples are a multinomial
    draw with the map's class shares; Pearson's goodness-of-fit statistic
    ``Σ (O − E)² / E`` is referred to chi-square with ``k − 1`` degrees of freedom
    (Conover 1999, §4.5).  Classes expected fewer than 5 times are pooled into one
    cell (Cochran's rule).  p < :data:`DESIGN_P_VALUE`: ``design_warning``.
    """
    from scipy.stats import chisquare

    counts = _map_counts(map_path, band, scan_opts)
    mapped: dict[str, float] = {}
    for code, c in counts.items():
        lab = leg.get(_label(code), _label(code))
        mapped[lab] = mapped.get(lab, 0.0) + float(c)
    total, n = sum(mapped.values()), len(map_labels)
    if total <= 0 or n < 2 or len(mapped) < 2:
        return {}
    observed_by = dict.fromkeys(mapped, 0)
    for v in map_labels.tolist():
        observed_by[v] = observed_by.get(v, 0) + 1
    labels = sorted(observed_by, key=est._label_key)
    expected = np.array([n * mapped.get(lab, 0.0) / total for lab in labels])
    observed = np.array([observed_by[lab] for lab in labels], dtype=float)
    small = expected < 5
    if small.any():
        cells_o = [*observed[~small], observed[small].sum()]
        cells_e = [*expected[~small], expected[small].sum()]
    else:
        cells_o, cells_e = list(observed), list(expected)
    if len(cells_o) < 2 or min(cells_e) <= 0:
        return {}
    stat, p_value = chisquare(cells_o, cells_e)
    out: dict[str, Any] = {
        "design_test": {
            "test": "Pearson chi-square goodness-of-fit of the sample's map-class shares "
            "against the map's class shares (Conover 1999, §4.5), classes expected fewer "
            "than 5 times pooled",
            "statistic": float(stat),
            "df": len(cells_o) - 1,
            "p_value": float(p_value),
            "alpha": DESIGN_P_VALUE,
            "sample_shares": {lab: float(o / n) for lab, o in zip(labels, observed, strict=True)},
            "map_shares": {lab: mapped.get(lab, 0.0) / total for lab in labels},
        }
    }
    if p_value < DESIGN_P_VALUE:
        shares = ", ".join(
            f"{lab} {100 * o / n:.1f}% vs {100 * mapped.get(lab, 0.0) / total:.1f}%"
            for lab, o in list(zip(labels, observed, strict=True))[:8]
        )
        out["design_warning"] = (
            "the sample is not a simple random sample of the map: its map-class shares "
            f"differ from the map's beyond chance (sample vs map: {shares}; chi-square = "
            f"{stat:.1f}, df = {len(cells_o) - 1}, p = {p_value:.2g} < {DESIGN_P_VALUE:g}), "
            "so the simple estimator is biased for it; if the sample was stratified by map "
            'class, declare design = "stratified" for the estimators of Olofsson et al. '
            "(2014)"
        )
    return out


def _too_small(
    exc: est.SmallStrataError,
    design: str,
    map_labels: np.ndarray,
    map_path: MapSource,
    ref_path: str,
    leg: dict[str, str],
    extras: dict[str, Any],
) -> dict[str, Any]:
    """The report of a stratified sample with strata too small for an interval."""
    listing = ", ".join(f"{h} ({c} sample{'s' if c != 1 else ''})" for h, c in exc.strata.items())
    report: dict[str, Any] = {
        "design": design,
        "estimator": "stratified estimators (Olofsson et al. 2014; Stehman 2014): no "
        "interval, strata below the minimum sample",
        "n": len(map_labels),
        "overall_accuracy": exc.estimate,
        "overall_accuracy_se": None,
        "overall_accuracy_ci": None,
        "min_samples_per_stratum": est.MIN_SAMPLES_PER_STRATUM,
        "small_strata": dict(exc.strata),
        "inconclusive_reason": f"strata with fewer than {est.MIN_SAMPLES_PER_STRATUM} "
        f"reference samples: {listing}; a stratified variance, and so a 95% interval, needs "
        f"at least {est.MIN_SAMPLES_PER_STRATUM} per stratum (Cochran 1977, eq. 5.6)",
        "notes": [],
        "map": map_path if isinstance(map_path, str) else list(map_path),
        "reference": ref_path,
        "legend": leg or None,
    }
    report.update(extras)
    return report


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


def sample_options(evidence: Evidence) -> dict[str, Any]:
    """The evidence keys of a reference sample's design beyond ``design``, for :func:`_assess`.

    ``design_file`` (a sealed sample's ``design.json``), ``reference_columns``
    (several interpreters' label columns), ``inclusion_field`` and
    ``cluster_field`` (unequal-probability and cluster samples).
    """
    return {
        "design_file": evidence.location("design_file", required=False),
        "reference_columns": evidence.get("reference_columns"),
        "inclusion_field": evidence.get("inclusion_field"),
        "cluster_field": evidence.get("cluster_field"),
    }


def design_sentence(report: Mapping[str, Any]) -> str:
    """Where the design came from, and the interpreters' agreement, for a message."""
    statement = str(report.get("design_statement") or "")
    if not statement:
        return ""
    response = report.get("response_design") or {}
    parts = [statement]
    agreement = response.get("agreement") or {}
    pairs = [p for p in agreement.get("pairs", []) if p.get("percent_agreement") is not None]
    if pairs:
        shown = "; ".join(
            f"{' vs '.join(p['interpreters'])} {100 * p['percent_agreement']:.1f}% agree"
            + ("" if p.get("cohen_kappa") is None else f" (Cohen's kappa {p['cohen_kappa']:.2f})")
            for p in pairs[:3]
        )
        parts.append(f"{len(agreement.get('interpreters', []))} interpreters: {shown}")
    excluded = response.get("excluded") or {}
    dropped = [f"{v} {k.replace('_', ' ')}" for k, v in excluded.items() if v]
    if dropped and response:
        parts.append("labels excluded: " + ", ".join(dropped))
    return "; ".join(parts)


def assess_evidence(
    evidence: Evidence, context: Context, *, keep: dict[str, Any] | None = None
) -> tuple[dict[str, Any], Callable[[float], int | None] | None, bool, str, str, str | None]:
    """:func:`_assess` on an evidence's keys: the report, planner, exactness and the paths.

    Returns the report, the planner, whether the figure is exact (a reference
    raster), and the map, reference and strata locations (for display).
    """
    source = map_source(evidence)
    ref_path = str(evidence.location("reference"))
    strata = evidence.location("strata", required=False)
    report, planner, exact = _assess(
        list(source) if isinstance(source, tuple) else source,
        ref_path,
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
        reference_accuracy=evidence.get("reference_accuracy"),
        keep=keep,
        **sample_options(evidence),
    )
    if isinstance(report.get("seal"), dict):
        report["seal"]["design_file"] = evidence.display(report["seal"]["design_file"])
    if isinstance(source, str):
        map_path = source
        report["map"] = evidence.display(source)
    else:
        map_path = ", ".join(evidence.display(p) for p in source)
        report["map"] = [evidence.display(p) for p in source]
    report["reference"] = evidence.display(ref_path)
    if strata:
        report["strata"] = evidence.display(strata)
    return report, planner, exact, map_path, ref_path, strata


def _measure_one(evidence: Evidence, context: Context) -> Measurement:
    report, planner, exact, _, _, _ = assess_evidence(evidence, context)
    design_text = design_sentence(report)
    design_note = f"; {design_text}" if design_text else ""
    declared = report.get("reference_accuracy")
    declared_note = (
        f"; the reference's own declared accuracy is {declared:g}%, so this is agreement "
        "with an imperfect reference, not accuracy against ground truth"
        if declared is not None
        else ""
    )
    if exact:
        oa = 100.0 * float(report["overall_accuracy"])
        excluded = int(report.get("pixels_excluded_nodata") or 0)
        message = (
            f"agreement with a reference product {oa:.2f}% over {report['n']:,} pixel pairs "
            f"(n used {report['n']:,} / {report['n'] + excluded:,} pixel pairs; {excluded:,} "
            f"excluded as nodata); a reference raster is another product, not ground truth "
            f"({report['estimator']})"
        )
        return reference_product_measurement(oa, int(report["n"]), report, message, declared)
    used = _used_sentence(report)
    warning = f"; WARNING: {report['design_warning']}" if report.get("design_warning") else ""
    if report.get("inconclusive_reason"):
        point = report.get("overall_accuracy")
        shown = "no point estimate" if point is None else f"point estimate {100 * point:.2f}%"
        message = (
            f"overall accuracy: {shown}, no 95% interval; {used}{design_note}{declared_note}"
        )
        return Measurement(
            value=None if point is None else 100.0 * float(point),
            unit="%",
            n=int(report["n"]),
            details=report,
            message=message,
        )
    oa = 100.0 * float(report["overall_accuracy"])
    lo, hi = (100.0 * float(v) for v in report["overall_accuracy_ci"])
    se = 100.0 * float(report["overall_accuracy_se"])
    if report.get("design") == "stratified":
        report["min_samples_per_stratum"] = est.MIN_SAMPLES_PER_STRATUM
    message = (
        f"overall accuracy {oa:.2f}% (95% CI {lo:.2f}–{hi:.2f}%, SE {se:.2f}), "
        f"{used}; {report['estimator']}; interval: {report['interval']}{design_note}"
        f"{warning}{declared_note}"
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


def reference_product_measurement(
    agreement: float,
    n: int,
    report: dict[str, Any],
    message: str,
    reference_accuracy: float | None,
    *,
    bounded: bool = True,
) -> Measurement:
    """The measurement of an agreement (%) with a reference raster (:data:`REFERENCE_PRODUCT_RULE`).

    Without a declared ``reference_accuracy`` (or when the declared overall accuracy
    of the product does not bound the figure, ``bounded = False``: a class's
    accuracy, a share within a tolerance) the measurement carries the
    ``inconclusive_reason`` :data:`REFERENCE_PRODUCT_REASON`.  With it, the
    interval is the Fréchet bounds of the map's accuracy
    (:func:`geoverify.stats.intervals.agreement_bounds`), and the verdict is held
    against them.

    References
    ----------
    .. [1] Fréchet, M. (1951). Sur les tableaux de corrélation dont les marges sont
       données. *Annales de l'Université de Lyon, Section A*, 14, 53–77.
    """
    report["reference_product_rule"] = REFERENCE_PRODUCT_RULE
    if reference_accuracy is None or not bounded:
        why = REFERENCE_PRODUCT_REASON
        if reference_accuracy is not None:
            why += (
                f" (the reference's declared accuracy, {reference_accuracy:g}%, is an overall "
                "figure: it does not bound this one)"
            )
        else:
            why += " (the evidence declares no reference_accuracy of the reference product)"
        report["inconclusive_reason"] = why
        return Measurement(
            value=agreement, unit="%", n=n, details=report, message=f"{message}; {why}"
        )
    low, high = agreement_bounds((agreement, agreement), reference_accuracy)
    report["accuracy_bounds"] = {
        "low": low,
        "high": high,
        "agreement": agreement,
        "reference_accuracy": reference_accuracy,
        "rule": "Fréchet bounds of the map's accuracy M from agreement A and reference "
        "accuracy R: A + R - 100 <= M <= 100 - |A - R| (Fréchet 1951)",
    }
    report["interval_label"] = "bounds from the reference's declared accuracy"
    text = (
        f"{message}; the reference's declared accuracy is {reference_accuracy:g}%, so the map's "
        f"accuracy lies in {low:.2f}–{high:.2f}% (Fréchet bounds A + R − 100 to "
        "100 − |A − R|; the reference's accuracy is declared, not verified)"
    )
    return Measurement(value=agreement, unit="%", ci=(low, high), n=n, details=report, message=text)


def _used_sentence(report: Mapping[str, Any]) -> str:
    """``n used / n given`` and the count of each reason a sample was dropped."""
    given = int(report.get("samples_given", report.get("n", 0)))
    reasons = [
        (report.get("duplicate_samples", 0), "repeating an earlier sample's location and label"),
        (report.get("samples_outside_map", 0), "outside the map"),
        (report.get("samples_on_nodata", 0), "on map nodata"),
        (report.get("samples_without_reference", 0), "without a reference label"),
        (report.get("samples_cannot_tell", 0), 'labelled "cannot tell"'),
        (report.get("samples_tied", 0), "with tied interpreters' labels"),
        (report.get("samples_without_stratum", 0), "without a stratum"),
    ]
    dropped = [f"{int(c)} {why}" for c, why in reasons if c]
    text = f"n used {int(report['n'])} / {given} samples given"
    if dropped:
        text += " (dropped: " + ", ".join(dropped) + ")"
    if report.get("duplicate_samples"):
        text += f"; rule: {DISTINCT_RULE}"
    return text


def measure_accuracy(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> Measurement:
    """Overall accuracy (%) of a classified map against reference data, with its 95% CI.

    Parameters
    ----------
    evidence : Evidence
        ``map`` (or ``maps``, the tiles of one map) and ``reference`` (and optionally
        ``field``, ``design``, ``strata``,
        ``strata_field``, ``legend``, ``resample``, ``band``, ``reference_band``,
        ``polygons``); or ``items``, each with its own ``map`` and ``reference``.
    params : mapping
        The indicator's catalogue params: ``measure`` (``"overall"`` by default,
        ``"class"`` with ``class``, ``"continuous"`` with ``tolerance`` and
        ``tolerance_kind``, or ``"declared"`` by each model's ``model_kind``).
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
    if _is_single(evidence) or not evidence.items:
        return _measure_mode(evidence, params, context)
    parts: list[tuple[str, Measurement]] = []
    for k, item in enumerate(evidence.items):
        title = str(item.get("title", f"item {k + 1}"))
        try:
            parts.append((title, _measure_mode(item, params, context)))
        except GeoverifyError as exc:
            raise type(exc)(
                f"item {title!r}: {exc.problem}", source=exc.source, hint=exc.hint
            ) from None
    return _combine_items(parts)


def _is_single(evidence: Evidence) -> bool:
    return "map" in evidence or "maps" in evidence or "map_objects" in evidence


def measure_mode(params: Mapping[str, Any], evidence: Evidence) -> str:
    """The mode the catalogue declares: ``overall``, ``class`` or ``continuous``.

    ``measure = "declared"`` (interpretation models of several kinds) takes it from
    each item's ``model_kind``: ``"land_cover"`` → overall accuracy,
    ``"target_features"`` → the accuracy of its ``target_class``; the mode is never
    guessed from the data.
    """
    mode = str(params.get("measure", "overall"))
    if mode != "declared":
        if mode not in MEASURES:
            raise CatalogueError(
                f"accuracy measure {mode!r} is not one of {', '.join(MEASURES)}"
            )
        return mode
    kind = evidence.get("model_kind")
    if kind == "land_cover":
        return "overall"
    if kind == "target_features":
        if not evidence.get("target_class"):
            raise EvidenceError(
                'a model with model_kind = "target_features" must name its target class',
                hint='target_class = "building" (the label the map and the reference use).',
            )
        return "class"
    raise EvidenceError(
        f"model_kind = {kind!r}: each interpretation model must declare what it maps, so that "
        "a target-feature model is not judged by overall accuracy (dominated by background)",
        hint='model_kind = "land_cover" (overall accuracy) or model_kind = "target_features" '
        'with target_class = "<label>" (user\'s and producer\'s accuracy of that class).',
    )


def _measure_mode(evidence: Evidence, params: Mapping[str, Any], context: Context) -> Measurement:
    mode = measure_mode(params, evidence)
    if mode == "class":
        from geoverify.checks.accuracy.classes import measure_class

        return measure_class(evidence, params, context)
    if mode == "continuous":
        from geoverify.checks.accuracy.continuous import measure_continuous

        return measure_continuous(evidence, params, context)
    if "map_objects" in evidence:
        raise EvidenceError(
            "map_objects are matched to reference_objects only for a class-specific "
            'indicator (measure = "class"); overall accuracy needs map and reference',
            hint="Give map and reference for overall accuracy.",
        )
    return _measure_one(evidence, context)


def _combine_items(parts: list[tuple[str, Measurement]]) -> Measurement:
    # an item without a point estimate (strata too small) is inconclusive by reason
    values = [math.inf if m.value is None else m.value for _, m in parts]
    known = [m for _, m in parts if m.value is not None]
    lows = [m.ci[0] if m.ci else m.value for m in known] or [math.nan]
    highs = [m.ci[1] if m.ci else m.value for m in known] or [math.nan]
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

    reasons = [
        f"item {t!r}: {m.details['inconclusive_reason']}"
        for t, m in parts
        if m.details.get("inconclusive_reason")
    ]
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
    if not known:
        return Measurement(
            value=None,
            unit="%",
            n=sum(int(m.n or 0) for _, m in parts),
            details={"items": items, "inconclusive_reason": "; ".join(reasons)},
            message=f"{len(parts)} items; none has a point estimate",
        )
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
        details={
            "items": items,
            "weakest_item": parts[worst][0],
            **({"inconclusive_reason": "; ".join(reasons)} if reasons else {}),
        },
        message=message,
        planner=planner,
    )
