"""Burned-area products: global land coverage and agreement with reference burned area.

``measure_burned_area`` is the check of kind ``burned_area``; ``params["measure"]``
chooses what it measures:

``land_coverage``
    Share (%) of the world's land covered by valid observations of the product.
    The product is a binary (0 unburned / 1 burned) or burn-date (day of year)
    raster, monthly rasters (``rasters``), or a NetCDF ``file`` with a time
    dimension (``variable``).  FireCCI-style flags are honoured: ``unobserved``
    (default −1: no valid observation in that step) and ``unburnable``
    (default −2: not burnable — water, bare, urban, snow —, a valid statement about
    the pixel).  A land pixel is *covered* when at least one time step holds a
    valid observation (a value ≥ 0 or an unburnable flag); the per-step shares
    are reported too.  Land is never the product's own extent: by default it is
    the land mask shipped with geoverify (:mod:`geoverify.geo.landmask`, 0.1°,
    Antarctica left out; a pixel is land when its centre is), and the share is
    the covered land area over the *world's* land area, so a product over one
    continent covers that continent's share of the world; the mask's file and
    sha256 are recorded in ``details["land_mask"]``.  A ``land_mask`` of the
    evidence (on the product's grid, 1 = land) replaces it only when the grid is
    global (−180…180° × −60…80° at least).  Areas are geodesic per row for
    geographic grids.

``agreement``
    Agreement with reference burned area (Padilla et al. 2015 conventions: ``p_ij``
    is the proportion of area with map class ``i`` and reference class ``j``,
    1 = burned, 2 = unburned): commission error ``Ce = p12 / p1+``, omission error
    ``Oe = p21 / p+1``, Dice coefficient ``DC = 2 p11 / (2 p11 + p12 + p21)`` and
    relative bias ``relB = (p12 − p21) / p+1``.  The reference is a raster on the
    product's grid (wall-to-wall, area-weighted census, no sampling error) or
    reference samples (points with a 0/1 ``field``) under simple random
    (``design = "simple"``) or stratified random sampling (``design =
    "stratified"`` with a ``strata`` raster: each metric is then a combined ratio
    estimator, area-weighted by stratum, with its standard error).  The value is
    the Dice coefficient in %.  The product may be GeoTIFF ``raster``/``rasters``
    or a NetCDF ``file`` + ``variable`` (FireCCI layout: ``JD`` day of burn,
    −1 unobserved, −2 unburnable, CF latitude/longitude grid), opened and
    georeferenced by :mod:`geoverify.io.cube` as for land coverage; a pixel is
    burned when burned in any time step, observed when observed in any.

References
----------
Padilla, M., Stehman, S. V., Ramo, R., Corti, D., Hantson, S., Oliva, P., …
Chuvieco, E. (2015). Comparing the accuracies of remote sensing global burned
area products using stratified random sampling and estimation. Remote Sensing of
Environment 160, 114–121.
Boschetti, L., Roy, D. P., & Justice, C. O. (2009). International Global Burned
Area Satellite Product Validation Protocol, Part I. CEOS Land Product Validation
subgroup.
Chuvieco, E., Lizundia-Loiola, J., Pettinari, M. L., et al. (2018). Generation and
analysis of a new global burned area product based on MODIS 250 m reflectance
bands and thermal anomalies (FireCCI51). Earth System Science Data 10, 2015–2031.
Stehman, S. V. (2014). Estimating area and map accuracy for stratified random
sampling when the strata are different from the map classes. International
Journal of Remote Sensing 35, 4923–4939.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.geo.cellarea import CellAreas
from geoverify.geo.landmask import (
    ANTARCTIC_LATITUDE,
    land_index_of_window,
    land_mask_details,
    land_of_window,
    world_land_km2,
)
from geoverify.io.cube import cube_grid, open_variable
from geoverify.io.formats import is_raster
from geoverify.io.masks import valid_mask
from geoverify.io.raster import open_raster, read_failure
from geoverify.io.scan import WINDOW_PIXELS, Window, scan
from geoverify.io.shared import ScanRequest
from geoverify.io.vector import read_vector
from geoverify.model import Measurement
from geoverify.stats import kernels
from geoverify.stats.confusion import sample_map, wrap_longitudes

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = [
    "DEFAULT_UNBURNABLE",
    "DEFAULT_UNOBSERVED",
    "agreement_metrics",
    "measure_burned_area",
    "ratio_estimate",
]

#: FireCCI51 flag: no valid observation in the period (cloud, no acquisition).
DEFAULT_UNOBSERVED: tuple[int, ...] = (-1,)
#: FireCCI51 flag: not burnable (water, bare areas, urban, permanent snow and ice).
DEFAULT_UNBURNABLE: tuple[int, ...] = (-2,)

_MEASURES = ("land_coverage", "agreement")
_Z95 = 1.959963984540054


# --------------------------------------------------------------------------- entry point


def measure_burned_area(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> Measurement:
    """Measure a burned-area product: land coverage (%) or agreement (Dice, %).

    Parameters
    ----------
    evidence : Evidence
        ``raster`` | ``rasters`` | ``file`` + ``variable`` (the product), ``band``,
        ``unobserved``, ``unburnable`` (int or list of ints), ``land_mask``;
        for agreement ``reference`` (raster on the product's grid, or points with
        ``field``), ``design`` (``simple`` | ``stratified``), ``strata`` (raster).
    params : mapping
        ``measure``: ``"land_coverage"`` or ``"agreement"``.
    context : Context
        Workers and optional dask scheduler for the streamed scans.

    Returns
    -------
    Measurement
        ``land_coverage``: value in %, details with land and covered areas (km²),
        per-step shares and how land was defined.  ``agreement``: Dice coefficient
        in %, details with the error matrix, Ce, Oe, DC, relB (and their standard
        errors for samples).

    References
    ----------
    Padilla et al. (2015) RSE 160, 114–121; Boschetti, Roy & Justice (2009) CEOS LPV
    burned-area validation protocol; Chuvieco et al. (2018) ESSD 10, 2015–2031 (FireCCI51
    flags −1 unobserved, −2 unburnable).
    """
    measure = params.get("measure")
    if measure not in _MEASURES:
        raise EvidenceError(
            f"unknown burned-area measure {measure!r}",
            source=evidence.indicator,
            hint=f"The catalogue's params.measure must be one of {', '.join(_MEASURES)}.",
        )
    flags = _Flags(
        unobserved=_int_list(evidence, "unobserved", DEFAULT_UNOBSERVED),
        unburnable=_int_list(evidence, "unburnable", DEFAULT_UNBURNABLE),
    )
    if measure == "land_coverage":
        return _land_coverage(evidence, flags, context)
    return _agreement(evidence, flags, context)


def plan_burned_area(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> list[ScanRequest]:
    """The scans :func:`measure_burned_area` will make, for a shared pass of the run.

    Products given as rasters: the coverage scan (product and land mask) and the
    wall-to-wall agreement scan (product and reference raster).  NetCDF products
    and sample references are read otherwise and plan nothing.
    """
    measure = params.get("measure")
    flags = _Flags(
        unobserved=_int_list(evidence, "unobserved", DEFAULT_UNOBSERVED),
        unburnable=_int_list(evidence, "unburnable", DEFAULT_UNBURNABLE),
    )
    product = _product(evidence)
    if product.netcdf:
        return []
    if measure == "land_coverage":
        land_mask = evidence.location("land_mask", required=False)
        return [_coverage_request(evidence, product, flags, land_mask)[0]]
    if measure == "agreement":
        reference = evidence.location("reference", required=False)
        if reference and is_raster(reference):
            return [_agreement_request(evidence, product, reference, flags)[0]]
    return []


@dataclass(frozen=True)
class _Flags:
    unobserved: tuple[int, ...]
    unburnable: tuple[int, ...]

    def classify(
        self, a: np.ndarray, nodata: float | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(observed, unburnable, burned)`` masks of a product array.

        ``observed`` = a valid statement about the pixel: a value ≥ 0 or an
        unburnable flag.  Nodata, NaN, unobserved flags and any other negative
        value are not observed.
        """
        valid = valid_mask(a, nodata)
        unburnable = valid & np.isin(a, self.unburnable) if self.unburnable else valid & False
        unobserved = np.isin(a, self.unobserved) if self.unobserved else valid & False
        value_ok = valid & ~unobserved & (a >= 0)
        observed = value_ok | unburnable
        burned = value_ok & (a > 0)
        return observed, unburnable, burned

    def codes(
        self, dtype: Any, nodata: float | None, observed: int, burned: int
    ) -> np.ndarray | None:
        """Code table of a ≤ 16-bit integer dtype: ``observed`` | ``burned`` bits per value.

        The same classification as :meth:`classify`, applied once to every value
        the dtype can hold, for the fused kernel (:func:`geoverify.stats.kernels.tally`);
        ``None`` for other dtypes (float products take the numpy path).
        """
        if not kernels.small_int(dtype):
            return None

        def bits(values: np.ndarray) -> np.ndarray:
            obs, _unburnable, brn = self.classify(values, nodata)
            return np.where(obs, observed, 0) | np.where(brn, burned, 0)

        every = np.arange(*_value_range(dtype)).astype(dtype)
        return np.asarray(bits(every), dtype=np.uint8)


def _value_range(dtype: Any) -> tuple[int, int]:
    info = np.iinfo(np.dtype(dtype))
    return int(info.min), int(info.max) + 1


def _row_area_km2(areas: CellAreas, window: Window) -> np.ndarray | None:
    """Cell area (km²) of each row of the window, or ``None`` when it varies along rows."""
    cells = areas.window(window.row_off, window.col_off, window.height, window.width)
    if cells.shape[1] != 1:
        return None
    return np.broadcast_to(cells[:, 0] / 1e6, (window.height,))


def _int_list(evidence: Evidence, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
    value = evidence.get(key)
    if value is None:
        return default
    values = [value] if isinstance(value, int) else list(value)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise EvidenceError(
            f"{key!r} must be an integer flag or a list of integer flags, got {value!r}",
            source=evidence.where,
            hint=f"Write e.g. {key} = {list(default)}.",
        )
    if any(v >= 0 for v in values):
        raise EvidenceError(
            f"{key!r} flags must be negative (values ≥ 0 are observations), got {values}",
            source=evidence.where,
            hint="Burned-area products use negative flags (FireCCI: −1 unobserved, −2 unburnable).",
        )
    return tuple(values)


# --------------------------------------------------------------------------- product access


@dataclass(frozen=True)
class _Product:
    """The product's layers: GDAL rasters (one per time step) or one NetCDF variable."""

    paths: tuple[str, ...]
    bands: tuple[int, ...]
    netcdf: str | None = None
    variable: str | None = None


def _product(evidence: Evidence) -> _Product:
    band = int(evidence.get("band", 1))
    given = [k for k in ("raster", "rasters", "file") if k in evidence]
    if len(given) != 1:
        raise EvidenceError(
            "give the burned-area product as exactly one of raster, rasters or file "
            f"(got {', '.join(given) or 'none'})",
            source=evidence.where,
            hint='Write raster = "ba.tif", rasters = ["ba_2026_01.tif", …] or '
            'file = "ba.nc" with variable = "JD".',
        )
    if "file" in evidence:
        variable = evidence.get("variable")
        if not isinstance(variable, str):
            raise EvidenceError(
                "a NetCDF product needs its variable",
                source=evidence.where,
                hint='Add variable = "JD" (the burn-date or burned/unburned variable).',
            )
        return _Product((), (), netcdf=evidence.location("file"), variable=variable)
    paths = evidence.locations("raster") or evidence.locations("rasters")
    if not paths:
        raise EvidenceError("rasters is empty", source=evidence.where, hint="List the files.")
    return _Product(tuple(paths), tuple([band] * len(paths)))


def _grid(path: str) -> tuple[Any, int, int, Any, float | None]:
    with open_raster(path) as ds:
        return ds.transform, ds.height, ds.width, ds.crs, ds.nodata


def _nodatas(paths: Sequence[str]) -> list[float | None]:
    return [_grid(p)[4] for p in paths]


# --------------------------------------------------------------------------- land coverage


def _land_coverage(evidence: Evidence, flags: _Flags, context: Context) -> Measurement:
    product = _product(evidence)
    land_mask = evidence.location("land_mask", required=False)
    if product.netcdf:
        partial, grid = _coverage_netcdf(product, flags, land_mask)
    else:
        partial, grid = _coverage_rasters(evidence, product, flags, land_mask, context)
    _transform, height, width, crs, area_method = grid
    steps = len(partial["step_observed"])
    bundled = not land_mask
    land = world_land_km2() if bundled else float(partial["land"])
    if land <= 0:
        raise EvidenceError(
            "no land in the grid: the land mask is empty or every pixel is flagged unburnable",
            source=evidence.where,
            hint="Give land_mask = a raster on the product's grid with 1 = land.",
        )
    covered = float(partial["covered"])
    # by pixel centre, the product's land can exceed the mask's own area by a
    # fraction of a per cent on a global grid: the share is capped at 100%
    share = min(100.0, 100.0 * covered / land)
    per_step = [min(100.0, 100.0 * float(v) / land) for v in partial["step_observed"]]
    land_source = (
        "land_mask of the submission (1 = land; a global grid)"
        if land_mask
        else "the world's land: land mask shipped with geoverify (0.1 deg, Antarctica "
        f"south of {ANTARCTIC_LATITUDE:g} deg left out)"
    )
    details: dict[str, Any] = {
        "measure": "land_coverage",
        "land_mask": ({"file": evidence.display(land_mask)} if land_mask else land_mask_details()),
        "land_km2": land,
        "covered_km2": covered,
        "uncovered_km2": land - covered,
        "steps": steps,
        "coverage_per_step_percent": per_step,
        "mean_step_coverage_percent": float(np.mean(per_step)) if per_step else None,
        "min_step_coverage_percent": float(np.min(per_step)) if per_step else None,
        "land_source": land_source,
        "product_land_km2": float(partial["land"]),
        "covered_rule": "a land pixel is covered when at least one step holds a valid "
        "observation (value >= 0) or an unburnable flag",
        "flags": {"unobserved": list(flags.unobserved), "unburnable": list(flags.unburnable)},
        "area_method": area_method,
        "grid": {"width": width, "height": height, "crs": str(crs) if crs else None},
    }
    message = (
        f"{share:.2f}% of the land ({land:,.0f} km², {land_source.split(':')[0]}) is covered by "
        f"valid observations in at least one of {steps} step(s); per step "
        f"{min(per_step):.2f}–{max(per_step):.2f}%."
    )
    return Measurement(value=share, unit="%", details=details, message=message)


def _coverage_partial(
    layers: Sequence[np.ndarray],
    nodatas: Sequence[float | None],
    land: np.ndarray,
    flags: _Flags,
    cell_areas: np.ndarray,
) -> dict[str, Any]:
    """Areas (km²) of land, covered land and observed land per step, for one window.

    ``cell_areas`` holds the ground area (km²) of the window's pixels, broadcastable
    to the window's shape (:meth:`geoverify.geo.cellarea.CellAreas.window`).
    """
    covered = np.zeros(layers[0].shape, bool)
    observed_steps = []
    for layer, nodata in zip(layers, nodatas, strict=True):
        observed, _unburnable, _ = flags.classify(layer, nodata)
        covered |= observed
        observed_steps.append(observed)
    weights = cell_areas
    return {
        "land": float((land * weights).sum()),
        "covered": float(((covered & land) * weights).sum()),
        "step_observed": np.array([float(((o & land) * weights).sum()) for o in observed_steps]),
    }


_CODES = np.arange(256)
_ON_LAND = (_CODES & 1) == 1


class _CoverageTally:
    """Land coverage of one window by the fused kernel (:func:`geoverify.stats.kernels.tally`).

    Codes: bit 0 = land (the submission's land mask raster, or the bundled mask
    per row and column), bit ``k + 1`` = step ``k`` observed; up to
    :data:`STEPS_PER_CALL` steps are told apart in one call, more take one call
    for "covered" and one per step.  Same areas as :func:`_coverage_partial`
    (counts exact; areas summed per row, so to the last bits of a float).
    """

    STEPS_PER_CALL = 6

    def __init__(
        self,
        n: int,
        nodatas: Sequence[float | None],
        flags: _Flags,
        land_mask: str | None,
        mask_nodata: float | None,
        transform: Any,
        crs: Any,
    ):
        self.n = n
        self.nodatas, self.flags = list(nodatas), flags
        self.land_mask, self.mask_nodata = land_mask, mask_nodata
        self.transform, self.crs = transform, crs
        self.kind = kernels.backend()
        self._tables: dict[tuple[str, ...], Any] = {}

    def applies(self, arrays: Sequence[np.ndarray]) -> bool:
        return all(kernels.small_int(a.dtype) for a in arrays)

    def _codes(self, arrays: Sequence[np.ndarray]) -> Any:
        key = tuple(a.dtype.name for a in arrays)
        tables = self._tables.get(key)
        if tables is None:
            # step k observed -> bit k + 1 (up to STEPS_PER_CALL steps); beyond, bit 1 for all
            bit = (lambda k: 1 << (k + 1)) if self.n <= self.STEPS_PER_CALL else (lambda k: 2)
            per_step = [
                self.flags.codes(a.dtype, nd, observed=bit(k), burned=0)
                for k, (a, nd) in enumerate(zip(arrays[: self.n], self.nodatas, strict=True))
            ]
            mask = None
            if self.land_mask:
                dt, nd = arrays[self.n].dtype, self.mask_nodata
                every = np.arange(*_value_range(dt)).astype(dt)
                mask = np.where(_land_from_mask(every, nd), 1, 0).astype(np.uint8)
            tables = self._tables[key] = (per_step, mask)
        return tables

    def __call__(
        self, arrays: list[np.ndarray], window: Window, rows_km2: np.ndarray
    ) -> dict[str, Any]:
        per_step, mask_codes = self._codes(arrays)
        layers = arrays[: self.n]
        land: dict[str, Any] = {}
        extra: list[np.ndarray] = []
        extra_codes: list[np.ndarray] = []
        if mask_codes is not None:
            extra, extra_codes = [arrays[self.n]], [mask_codes]
        else:
            where = (window.row_off, window.col_off, window.height, window.width)
            index = land_index_of_window(self.transform, self.crs, *where)
            if index is not None:
                land = {"land_index": index, "land_bit": 1}
            else:
                land = {"land": land_of_window(self.transform, self.crs, *where), "land_bit": 1}

        def run(arrs: list[np.ndarray], codes: list[np.ndarray]) -> np.ndarray:
            area, _count = kernels.tally(
                [*arrs, *extra], [*codes, *extra_codes], rows_km2, kind=self.kind, **land
            )
            return area

        steps = np.zeros(self.n)
        if self.n <= self.STEPS_PER_CALL:
            area = run(layers, per_step)
            covered = float(area[_ON_LAND & (_CODES > 1)].sum())
            for k in range(self.n):
                steps[k] = float(area[_ON_LAND & ((_CODES >> (k + 1)) & 1 == 1)].sum())
        else:
            area = run(layers, per_step)
            covered = float(area[_ON_LAND & (_CODES & 2 == 2)].sum())
            for k in range(self.n):
                one = run([layers[k]], [per_step[k]])
                steps[k] = float(one[_ON_LAND & (_CODES & 2 == 2)].sum())
        return {"land": float(area[_ON_LAND].sum()), "covered": covered, "step_observed": steps}


def _add(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {k: a[k] + b[k] for k in a}


def _land_from_mask(mask: np.ndarray, nodata: float | None) -> np.ndarray:
    return (mask == 1) & valid_mask(mask, nodata)


def _coverage_request(
    evidence: Evidence, product: _Product, flags: _Flags, land_mask: str | None
) -> tuple[ScanRequest, tuple[Any, int, int, Any, str]]:
    """The coverage scan of a product given as rasters, and its grid."""
    transform, height, width, crs, _ = _grid(product.paths[0])
    areas = CellAreas(transform, crs, width, height)
    method = areas.label
    nodatas = _nodatas(product.paths)
    paths = list(product.paths) + ([land_mask] if land_mask else [])
    bands = list(product.bands) + ([1] if land_mask else [])
    mask_nodata = _grid(land_mask)[4] if land_mask else None
    n = len(product.paths)

    if land_mask:
        _global_grid(transform, crs, width, height, land_mask)

    fused = _CoverageTally(n, nodatas, flags, land_mask, mask_nodata, transform, crs)

    def func(arrays: list[np.ndarray], window: Window) -> dict[str, Any]:
        rows_km2 = _row_area_km2(areas, window)
        if rows_km2 is not None and fused.applies(arrays):
            return fused(arrays, window, rows_km2)
        land = (
            _land_from_mask(arrays[n], mask_nodata)
            if land_mask
            else land_of_window(
                transform, crs, window.row_off, window.col_off, window.height, window.width
            )
        )
        cells = areas.window(window.row_off, window.col_off, window.height, window.width) / 1e6
        return _coverage_partial(arrays[:n], nodatas, land, flags, cells)

    request = ScanRequest(
        key=(evidence.indicator, "land_coverage"),
        paths=tuple(paths),
        bands=tuple(bands),
        func=func,
        combine=_add,
        label="burned-area coverage",
        window_pixels=max(1 << 16, WINDOW_PIXELS // len(paths)),
    )
    return request, (transform, height, width, crs, method)


def _coverage_rasters(
    evidence: Evidence, product: _Product, flags: _Flags, land_mask: str | None, context: Context
) -> tuple[dict[str, Any], tuple[Any, int, int, Any, str]]:
    request, grid = _coverage_request(evidence, product, flags, land_mask)
    result = context.run_scan(request)
    if result is None:
        raise EvidenceError("the product has no pixels", source=product.paths[0])
    return result, grid


def _coverage_netcdf(
    product: _Product, flags: _Flags, land_mask: str | None
) -> tuple[dict[str, Any], tuple[Any, int, int, Any, str]]:
    """Stream a NetCDF variable ``(time, y, x)`` by bands of rows (bounded memory)."""
    assert product.netcdf is not None and product.variable is not None
    var, ds = open_variable(product.netcdf, product.variable, min_ndim=2)
    try:
        transform, crs = _netcdf_grid(var, ds, product.netcdf)
        ydim, xdim = var.dims[-2], var.dims[-1]
        tdims = [d for d in var.dims[:-2]]
        height, width = var.sizes[ydim], var.sizes[xdim]
        steps = int(np.prod([var.sizes[d] for d in tdims])) if tdims else 1
        areas = CellAreas(transform, crs, width, height)
        method = areas.label
        nodata = _netcdf_nodata(var)
        mask_ds = None
        mask_nodata: float | None = None
        if land_mask:
            mt, mh, mw, _mcrs, mask_nodata = _grid(land_mask)
            if (mh, mw) != (height, width) or not mt.almost_equals(transform, precision=1e-6):
                raise EvidenceError(
                    f"land_mask grid ({mw}x{mh}, {tuple(mt)[:6]}) differs from the product's "
                    f"({width}x{height}, {tuple(transform)[:6]})",
                    source=land_mask,
                    hint="Deliver the land mask on the product's grid.",
                )
            _global_grid(transform, crs, width, height, land_mask)
            mask_ds = open_raster(land_mask)
        rows_per = max(1, WINDOW_PIXELS // max(1, width * steps))
        total: dict[str, Any] | None = None
        fused = _CoverageTally(
            steps, [nodata] * steps, flags, land_mask, mask_nodata, transform, crs
        )
        ctx = mask_ds.__enter__() if mask_ds is not None else None
        try:
            for r0 in range(0, height, rows_per):
                r1 = min(height, r0 + rows_per)
                try:
                    block = np.asarray(var.isel({ydim: slice(r0, r1)}).values)
                except Exception as exc:  # netCDF4/h5netcdf/scipy raise unrelated types
                    raise read_failure(product.netcdf, exc) from None
                layers = list(block.reshape(steps, r1 - r0, width))
                mask = None
                if ctx is not None:
                    from rasterio.windows import Window as RioWindow

                    mask = ctx.read(1, window=RioWindow(0, r0, width, r1 - r0))
                window = Window(r0, 0, r1 - r0, width)
                rows_km2 = _row_area_km2(areas, window)
                arrays = layers + ([mask] if mask is not None else [])
                if rows_km2 is not None and fused.applies(arrays):
                    part = fused(arrays, window, rows_km2)
                else:
                    land = (
                        _land_from_mask(mask, mask_nodata)
                        if mask is not None
                        else land_of_window(transform, crs, r0, 0, r1 - r0, width)
                    )
                    cells = areas.window(r0, 0, r1 - r0, width) / 1e6
                    part = _coverage_partial(layers, [nodata] * steps, land, flags, cells)
                total = part if total is None else _add(total, part)
        finally:
            if mask_ds is not None:
                mask_ds.__exit__(None, None, None)
    finally:
        ds.close()
    if total is None:
        raise EvidenceError("the NetCDF variable has no pixels", source=product.netcdf)
    return total, (transform, height, width, crs, method)


def _global_grid(transform: Any, crs: Any, width: int, height: int, land_mask: str) -> None:
    """Refuse a submitted land mask on a grid that does not span the world's land."""
    from rasterio.transform import array_bounds
    from rasterio.warp import transform_bounds

    west, south, east, north = array_bounds(height, width, transform)
    try:
        west, south, east, north = transform_bounds(crs, "EPSG:4326", west, south, east, north)
    except Exception:  # PROJ cannot transform the bounds: not a world grid either
        west = south = east = north = 0.0
    if east - west < 359.0 or south > ANTARCTIC_LATITUDE or north < 80.0:
        raise EvidenceError(
            f"land_mask is on a grid spanning {west:.1f}..{east:.1f} deg E, "
            f"{south:.1f}..{north:.1f} deg N, not the world: the coverage of the world's land "
            "cannot be measured against it",
            source=land_mask,
            hint="Remove land_mask: geoverify then uses the land mask it ships with "
            "(the world's land, independent of the product).",
        )


def _netcdf_nodata(var: Any) -> float | None:
    for key in ("_FillValue", "missing_value", "nodata"):
        value = var.attrs.get(key, var.encoding.get(key))
        if value is not None:
            return float(np.asarray(value).ravel()[0])
    return None


def _netcdf_grid(var: Any, ds: Any, path: str) -> tuple[Any, Any]:
    """Transform and CRS of a cube variable (:func:`geoverify.io.cube.cube_grid`)."""
    grid = cube_grid(var, ds, lonlat_names=True)
    if grid.transform is None:
        raise EvidenceError(
            f"{var.name!r} has no regular 1-D coordinates on {grid.ydim!r}/{grid.xdim!r}",
            source=path,
            hint="Deliver regular 1-D coordinate variables (lat/lon or y/x).",
        )
    if grid.crs is None:
        raise EvidenceError(
            "the NetCDF variable has no CRS (no grid_mapping, no lat/lon coordinates)",
            source=path,
            hint="Add a CF grid_mapping or CF latitude/longitude coordinates.",
        )
    return grid.transform, grid.crs


# --------------------------------------------------------------------------- agreement


def agreement_metrics(p: np.ndarray) -> dict[str, float | None]:
    """Ce, Oe, DC and relB from a 2 × 2 error matrix (rows map, columns reference; 1 = burned).

    ``p`` may hold proportions, areas or counts.  A metric whose denominator is 0
    is ``None`` (e.g. omission when the reference has no burned area).

    References
    ----------
    Padilla et al. (2015) RSE 160, 114–121, eqs. 1–4.
    """
    p = np.asarray(p, dtype=np.float64)
    if p.shape != (2, 2) or np.any(p < 0):
        raise ValueError(f"expected a non-negative 2x2 matrix, got {p!r}")
    p11, p12, p21 = p[0, 0], p[0, 1], p[1, 0]
    map_b, ref_b = p11 + p12, p11 + p21

    def ratio(num: float, den: float) -> float | None:
        return float(num / den) if den > 0 else None

    return {
        "commission_error": ratio(p12, map_b),
        "omission_error": ratio(p21, ref_b),
        "dice": ratio(2 * p11, 2 * p11 + p12 + p21),
        "relative_bias": ratio(p12 - p21, ref_b),
    }


def ratio_estimate(
    y: np.ndarray, x: np.ndarray, strata: np.ndarray, weights: Mapping[Any, float]
) -> tuple[float | None, float | None]:
    """Combined ratio estimator ``R = Σ W_h ȳ_h / Σ W_h x̄_h`` and its standard error.

    Parameters
    ----------
    y, x : numpy.ndarray
        Per-sample values of the numerator and denominator indicators.
    strata : numpy.ndarray
        Stratum of each sample (one stratum for simple random sampling).
    weights : mapping
        ``W_h``: the share of the population's area in stratum ``h`` (sums to 1).

    Returns
    -------
    (estimate, standard error)
        ``(None, None)`` when the estimated denominator is 0.  The variance is the
        linearised one, ``V(R) = X⁻² Σ W_h² s²_{d,h} / n_h`` with
        ``d = y − R x`` (finite-population correction neglected).

    Raises
    ------
    EvidenceError
        A stratum with area (``W_h > 0``) and fewer than two samples (its mean, or
        its variance, would be unknown: dropping it would bias the estimate, keeping
        a single sample would understate the standard error), samples in a stratum
        without a weight, arrays of different lengths.

    References
    ----------
    Stehman (2014) IJRS 35, 4923–4939, eqs. 23–28; Padilla et al. (2015).
    """
    y, x, strata = np.asarray(y, float), np.asarray(x, float), np.asarray(strata)
    if not (y.shape == x.shape == strata.shape) or y.ndim != 1:
        raise EvidenceError("y, x and strata must be 1-D arrays of one length")
    unweighted = sorted(set(strata.tolist()) - set(weights), key=str)
    if unweighted:
        raise EvidenceError(
            f"samples in strata {unweighted} that have no weight",
            hint="Give the weight (area share) of every sampled stratum.",
        )
    for h, w in weights.items():
        n_h = int(np.sum(strata == h))
        if not (math.isfinite(w) and w >= 0):
            raise EvidenceError(f"stratum {h!r} has an invalid weight {w!r}")
        if w > 0 and n_h < 2:
            raise EvidenceError(
                f"stratum {h!r} covers {100 * w:.3g}% of the area but has {n_h} sample(s); "
                "stratified estimates need at least 2 per stratum",
                hint="Add reference samples in that stratum or merge it with another.",
            )
    ybar = {h: float(y[strata == h].mean()) for h in weights if np.any(strata == h)}
    xbar = {h: float(x[strata == h].mean()) for h in ybar}
    total_x = sum(weights[h] * xbar[h] for h in ybar)
    if total_x <= 0:
        return None, None
    r = sum(weights[h] * ybar[h] for h in ybar) / total_x
    var = 0.0
    for h in ybar:
        sel = strata == h
        d = y[sel] - r * x[sel]
        var += weights[h] ** 2 * float(d.var(ddof=1)) / int(sel.sum())
    return float(r), math.sqrt(var) / total_x


def _agreement(evidence: Evidence, flags: _Flags, context: Context) -> Measurement:
    product = _product(evidence)
    reference = evidence.location("reference")
    assert reference is not None
    if is_raster(reference):
        if product.netcdf:
            return _agreement_raster_netcdf(product, reference, flags)
        return _agreement_raster(evidence, product, reference, flags, context)
    return _agreement_samples(evidence, product, reference, flags, context)


def _north_up(transform: Any, height: int) -> Any:
    """The north-up (negative ``e``) transform of a grid whose rows may run south to north."""
    from affine import Affine

    if transform.e <= 0:
        return transform
    t = transform
    return Affine(t.a, t.b, t.c, t.d, -t.e, t.f + t.e * height)


def _netcdf_rows(
    var: Any,
    ydim: str,
    r0: int,
    r1: int,
    height: int,
    south_up: bool,
    steps: int,
    width: int,
    path: str,
) -> np.ndarray:
    """Rows ``r0:r1`` of the north-up grid, as ``(steps, r1 - r0, width)``."""
    lo, hi = (height - r1, height - r0) if south_up else (r0, r1)
    try:
        block = np.asarray(var.isel({ydim: slice(lo, hi)}).values)
    except Exception as exc:  # netCDF4/h5netcdf/scipy raise unrelated types
        raise read_failure(path, exc) from None
    block = block.reshape(steps, hi - lo, width)
    return block[:, ::-1, :] if south_up else block


def _agreement_raster_netcdf(product: _Product, reference: str, flags: _Flags) -> Measurement:
    """Wall-to-wall agreement of a NetCDF product (``(time, y, x)``) with a reference raster.

    The variable is opened and georeferenced by :mod:`geoverify.io.cube` (CF
    grid mapping or latitude/longitude coordinates), as for land coverage, and
    streamed by bands of rows; south-up rows are read in north-up order.  The
    flags and the error matrix are those of GeoTIFF products.
    """
    from rasterio.windows import Window as RioWindow

    assert product.netcdf is not None and product.variable is not None
    var, ds = open_variable(product.netcdf, product.variable, min_ndim=2)
    try:
        transform, crs = _netcdf_grid(var, ds, product.netcdf)
        ydim, xdim = var.dims[-2], var.dims[-1]
        tdims = list(var.dims[:-2])
        height, width = var.sizes[ydim], var.sizes[xdim]
        steps = int(np.prod([var.sizes[d] for d in tdims])) if tdims else 1
        south_up = transform.e > 0
        transform = _north_up(transform, height)
        areas = CellAreas(transform, crs, width, height)
        method = areas.label
        nodata = _netcdf_nodata(var)
        rt, rh, rw, rcrs, ref_nodata = _grid(reference)
        same_crs = rcrs is not None and crs is not None and rcrs == crs
        if (
            (rh, rw) != (height, width)
            or not rt.almost_equals(transform, precision=1e-6)
            or (not same_crs and not _same_crs(rcrs, crs))
        ):
            raise EvidenceError(
                f"reference grid ({rw}x{rh}, {tuple(rt)[:6]}, {rcrs}) differs from the "
                f"product's ({width}x{height}, {tuple(transform)[:6]}, {crs})",
                source=reference,
                hint="Deliver the reference raster on the product's grid.",
            )
        rows_per = max(1, WINDOW_PIXELS // max(1, width * (steps + 1)))
        result = np.zeros((2, 2, 2))  # [area|count, map, reference]
        with open_raster(reference) as ref_ds:
            for r0 in range(0, height, rows_per):
                r1 = min(height, r0 + rows_per)
                layers = _netcdf_rows(
                    var, ydim, r0, r1, height, south_up, steps, width, product.netcdf
                )
                observed = np.zeros((r1 - r0, width), bool)
                burned = np.zeros((r1 - r0, width), bool)
                for layer in layers:
                    obs, _unb, brn = flags.classify(layer, nodata)
                    observed |= obs
                    burned |= brn
                try:
                    ref = ref_ds.read(1, window=RioWindow(0, r0, width, r1 - r0))
                except Exception as exc:  # rasterio raises several types
                    raise read_failure(reference, exc) from None
                ref_obs, _ref_unb, ref_burned = flags.classify(ref, ref_nodata)
                both = observed & ref_obs
                cells = areas.window(r0, 0, r1 - r0, width) / 1e6
                for i, m in enumerate((burned, ~burned)):
                    for j, rf in enumerate((ref_burned, ~ref_burned)):
                        sel = both & m & rf
                        result[0, i, j] += float((sel * cells).sum())
                        result[1, i, j] += float(sel.sum())
    finally:
        ds.close()
    return _agreement_census(result, reference, method)


def _same_crs(a: Any, b: Any) -> bool:
    """Two CRSs describe the same system (a CF lat/lon grid and EPSG:4326 alike)."""
    if a is None or b is None:
        return a is None and b is None
    try:
        from pyproj import CRS

        ca, cb = CRS.from_user_input(a), CRS.from_user_input(b)
    except Exception:  # unparsable CRS: not the same
        return False
    if ca.is_geographic and cb.is_geographic:
        ea, eb = ca.ellipsoid, cb.ellipsoid
        return (
            ea is not None
            and eb is not None
            and (
                abs(ea.semi_major_metre - eb.semi_major_metre) < 1e-3
                and abs(ea.inverse_flattening - eb.inverse_flattening) < 1e-6
            )
        )
    return bool(ca.equals(cb, ignore_axis_order=True))


def _agreement_cells() -> list[tuple[tuple[int, int], np.ndarray]]:
    """The codes of each cell of the 2 × 2 error matrix (bits 1/2 map observed/burned, 4/8
    reference): both observed; rows map burned/unburned, columns reference burned/unburned."""
    c = np.arange(256)
    both = (c & 1 == 1) & (c & 4 == 4)
    cells = []
    for i, m in enumerate((c & 2 == 2, c & 2 == 0)):
        for j, rf in enumerate((c & 8 == 8, c & 8 == 0)):
            cells.append(((i, j), both & m & rf))
    return cells


_AGREEMENT_CELLS = _agreement_cells()


def _agreement_raster(
    evidence: Evidence, product: _Product, reference: str, flags: _Flags, context: Context
) -> Measurement:
    request, method = _agreement_request(evidence, product, reference, flags)
    return _agreement_census(context.run_scan(request), reference, method)


def _agreement_request(
    evidence: Evidence, product: _Product, reference: str, flags: _Flags
) -> tuple[ScanRequest, str]:
    """The wall-to-wall agreement scan of a product given as rasters, and the area rule."""
    transform, height, width, crs, _ = _grid(product.paths[0])
    areas = CellAreas(transform, crs, width, height)
    method = areas.label
    nodatas = _nodatas(product.paths)
    ref_nodata = _grid(reference)[4]
    n = len(product.paths)

    kind = kernels.backend()
    tables: dict[tuple[str, ...], list[np.ndarray | None]] = {}

    def fused(arrays: list[np.ndarray], rows_km2: np.ndarray) -> np.ndarray | None:
        """The error matrix by the fused kernel: bits 1/2 map observed/burned, 4/8 reference."""
        key = tuple(a.dtype.name for a in arrays)
        codes = tables.get(key)
        if codes is None:
            codes = tables[key] = [
                flags.codes(a.dtype, nd, observed=1, burned=2)
                for a, nd in zip(arrays[:n], nodatas, strict=True)
            ] + [flags.codes(arrays[n].dtype, ref_nodata, observed=4, burned=8)]
        if any(c is None for c in codes):
            return None
        area, count = kernels.tally(
            arrays, [c for c in codes if c is not None], rows_km2, kind=kind
        )
        out = np.zeros((2, 2, 2))
        for (i, j), sel in _AGREEMENT_CELLS:
            out[0, i, j] = float(area[sel].sum())
            out[1, i, j] = float(count[sel].sum())
        return out

    def func(arrays: list[np.ndarray], window: Window) -> np.ndarray:
        rows_km2 = _row_area_km2(areas, window)
        if rows_km2 is not None:
            done = fused(arrays, rows_km2)
            if done is not None:
                return done
        observed = np.zeros(arrays[0].shape, bool)
        burned = np.zeros(arrays[0].shape, bool)
        for layer, nodata in zip(arrays[:n], nodatas, strict=True):
            obs, _unb, brn = flags.classify(layer, nodata)
            observed |= obs
            burned |= brn
        ref_obs, _ref_unb, ref_burned = flags.classify(arrays[n], ref_nodata)
        both = observed & ref_obs
        rows = areas.window(window.row_off, window.col_off, window.height, window.width) / 1e6
        out = np.zeros((2, 2, 2))  # [area|count, map, reference]
        for i, m in enumerate((burned, ~burned)):
            for j, rf in enumerate((ref_burned, ~ref_burned)):
                sel = both & m & rf
                out[0, i, j] = float((sel * rows).sum())
                out[1, i, j] = float(sel.sum())
        return out

    request = ScanRequest(
        key=(evidence.indicator, "agreement"),
        paths=(*product.paths, reference),
        bands=(*product.bands, 1),
        func=func,
        combine=np.add,
        label="burned-area agreement",
        window_pixels=max(1 << 16, WINDOW_PIXELS // (n + 1)),
    )
    return request, method


def _agreement_census(result: np.ndarray | None, reference: str, method: str) -> Measurement:
    """The agreement measurement of a wall-to-wall error matrix ``[area|count, map, ref]``."""
    if result is None or result[1].sum() == 0:
        raise EvidenceError(
            "no pixel is observed in both the product and the reference",
            source=reference,
            hint="Check the reference's grid, nodata and flags.",
        )
    areas, counts = result[0], result[1]
    proportions = areas / areas.sum()
    metrics = agreement_metrics(proportions)
    if metrics["dice"] is None:
        raise EvidenceError(
            "neither the product nor the reference has burned area: the Dice coefficient "
            "is undefined",
            source=reference,
            hint="Validate over a region and period with fires.",
        )
    details = _agreement_details(metrics, proportions, counts, None)
    details.update(
        {
            "reference": "raster, wall-to-wall on the product's grid (census, no sampling error)",
            "error_matrix_km2": areas.tolist(),
            "area_method": method,
        }
    )
    return Measurement(
        value=100.0 * metrics["dice"],
        unit="%",
        n=int(counts.sum()),
        details=details,
        message=_agreement_message(metrics, "wall-to-wall reference raster"),
    )


def _agreement_details(
    metrics: Mapping[str, float | None],
    proportions: np.ndarray,
    counts: np.ndarray,
    ses: Mapping[str, float | None] | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "measure": "agreement",
        "labels": ["burned", "unburned"],
        "convention": "rows = map, columns = reference; p_ij map i, reference j "
        "(Padilla et al. 2015)",
        "error_matrix": proportions.tolist(),
        "error_matrix_counts": counts.astype(int).tolist(),
        **{k: v for k, v in metrics.items()},
    }
    if ses is not None:
        out["standard_errors"] = dict(ses)
    return out


def _agreement_message(metrics: Mapping[str, float | None], source: str) -> str:
    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{100 * v:.1f}%"

    return (
        f"Dice {pct(metrics['dice'])}, commission {pct(metrics['commission_error'])}, "
        f"omission {pct(metrics['omission_error'])}, relative bias "
        f"{pct(metrics['relative_bias'])} against the {source}."
    )


def _agreement_samples(
    evidence: Evidence, product: _Product, reference: str, flags: _Flags, context: Context
) -> Measurement:
    field = evidence.get("field")
    if not isinstance(field, str):
        raise EvidenceError(
            "reference samples need the column of the reference label",
            source=evidence.where,
            hint='Add field = "burned" (1 = burned, 0 = unburned).',
        )
    design = evidence.get("design", "simple")
    if design not in ("simple", "stratified"):
        raise EvidenceError(
            f"unknown sampling design {design!r}",
            source=evidence.where,
            hint='Use design = "simple" or "stratified" (with strata = "strata.tif").',
        )
    frame = read_vector(reference)
    if field not in frame.columns:
        raise EvidenceError(
            f"no column {field!r} (columns: {', '.join(map(str, frame.columns))})",
            source=reference,
        )
    if len(frame) == 0:
        raise EvidenceError("the reference sample is empty", source=reference)
    ref = frame[field].to_numpy()
    if not np.all(np.isin(ref, (0, 1))):
        raise EvidenceError(
            f"reference labels in {field!r} must be 0 (unburned) or 1 (burned)",
            source=reference,
        )
    observed = np.zeros(len(frame), bool)
    burned = np.zeros(len(frame), bool)
    if product.netcdf:
        layers, nodata_nc = _sample_netcdf(product, frame, reference)
        for values in layers:
            obs, _unb, brn = flags.classify(values, nodata_nc)
            observed |= obs
            burned |= brn
    for path, band, nodata in zip(
        product.paths, product.bands, _nodatas(product.paths), strict=True
    ):
        sample = sample_map(path, frame, band=band, workers=context.workers)
        if sample.outside:
            raise EvidenceError(
                f"{sample.outside} reference sample(s) fall outside the product's grid",
                source=reference,
                hint="Drop them or check the samples' CRS.",
            )
        obs, _unb, brn = flags.classify(sample.values, nodata)
        observed |= obs & sample.valid
        burned |= brn & sample.valid
    if not observed.any():
        raise EvidenceError("no reference sample falls on an observed pixel", source=reference)
    map_b, ref_b = burned[observed], ref[observed] == 1
    strata_path = evidence.location("strata", required=False)
    if design == "stratified":
        if not strata_path:
            raise EvidenceError(
                "a stratified design needs the strata raster",
                source=evidence.where,
                hint='Add strata = "strata.tif" (same grid as the product).',
            )
        strata_sample = sample_map(strata_path, frame, workers=context.workers)
        unmapped = int((observed & ~strata_sample.valid).sum())
        if unmapped:
            raise EvidenceError(
                f"{unmapped} observed reference sample(s) fall outside the strata raster or "
                "on its nodata",
                source=strata_path,
                hint="Deliver the strata raster on the product's grid, every sample mapped.",
            )
        strata = strata_sample.values[observed]
        weights = _stratum_weights(strata_path, context)
        missing = sorted(set(strata.tolist()) - set(weights))
        if missing:
            raise EvidenceError(
                f"samples in strata {missing} that the strata raster does not map",
                source=strata_path,
            )
    else:
        strata = np.zeros(int(observed.sum()), dtype=np.int64)
        weights = {0: 1.0}
    i11 = (map_b & ref_b).astype(float)
    i12 = (map_b & ~ref_b).astype(float)
    i21 = (~map_b & ref_b).astype(float)
    i22 = (~map_b & ~ref_b).astype(float)
    proportions = np.array(
        [
            [
                ratio_estimate(i11, np.ones_like(i11), strata, weights)[0] or 0.0,
                ratio_estimate(i12, np.ones_like(i11), strata, weights)[0] or 0.0,
            ],
            [
                ratio_estimate(i21, np.ones_like(i11), strata, weights)[0] or 0.0,
                ratio_estimate(i22, np.ones_like(i11), strata, weights)[0] or 0.0,
            ],
        ]
    )
    estimates = {
        "commission_error": ratio_estimate(i12, i11 + i12, strata, weights),
        "omission_error": ratio_estimate(i21, i11 + i21, strata, weights),
        "dice": ratio_estimate(2 * i11, 2 * i11 + i12 + i21, strata, weights),
        "relative_bias": ratio_estimate(i12 - i21, i11 + i21, strata, weights),
    }
    metrics = {k: v[0] for k, v in estimates.items()}
    ses = {k: v[1] for k, v in estimates.items()}
    if metrics["dice"] is None:
        raise EvidenceError(
            "no sample is burned in the map or the reference: the Dice coefficient is undefined",
            source=reference,
            hint="Sample burned areas (stratify by the map's burned class).",
        )
    counts = np.array([[i11.sum(), i12.sum()], [i21.sum(), i22.sum()]])
    details = _agreement_details(metrics, proportions, counts, ses)
    details.update(
        {
            "reference": f"{int(observed.sum())} samples ({design} random sampling)",
            "design": design,
            "estimator": "combined ratio estimator, area-weighted by stratum (Stehman 2014)"
            if design == "stratified"
            else "simple random sampling (sample proportions)",
            "stratum_weights": {str(k): v for k, v in weights.items()},
            "samples_unobserved": int((~observed).sum()),
        }
    )
    dice, se = 100.0 * metrics["dice"], 100.0 * (ses["dice"] or 0.0)
    return Measurement(
        value=dice,
        unit="%",
        ci=(max(0.0, dice - _Z95 * se), min(100.0, dice + _Z95 * se)),
        se=se,
        n=int(observed.sum()),
        details=details,
        message=_agreement_message(metrics, f"{int(observed.sum())} reference samples"),
    )


def _sample_netcdf(
    product: _Product, frame: Any, reference: str
) -> tuple[list[np.ndarray], float | None]:
    """Values of a NetCDF product (every time step) at the reference samples, and its fill.

    The variable and its grid come from :mod:`geoverify.io.cube`; points (polygons
    at their centroid) are brought to the grid's CRS, longitudes wrapped into the
    grid's 360° span, and each falls in the cell holding it (an edge belongs to
    the cell to its lower right, GDAL's convention, as for GeoTIFF products).
    """
    import shapely

    assert product.netcdf is not None and product.variable is not None
    var, ds = open_variable(product.netcdf, product.variable, min_ndim=2)
    try:
        transform, crs = _netcdf_grid(var, ds, product.netcdf)
        ydim, xdim = var.dims[-2], var.dims[-1]
        height, width = var.sizes[ydim], var.sizes[xdim]
        south_up = transform.e > 0
        transform = _north_up(transform, height)
        geoms = frame.geometry
        if len(geoms):
            if frame.crs is None:
                raise EvidenceError(
                    "reference samples have no CRS",
                    source=reference,
                    hint="Write the reference file with its CRS (or lon/lat columns in a CSV).",
                )
            if frame.crs != crs:
                geoms = geoms.to_crs(crs)
        data = np.asarray(geoms.array)
        types = shapely.get_type_id(data)
        if len(types) and np.all(np.isin(types, (-1, 3, 6))):
            data = shapely.centroid(data)
        elif len(types) and not np.all((types == 0) | (types == -1)):
            raise EvidenceError(
                "reference geometries must be points or polygons",
                source=reference,
                hint="Deliver one point (or polygon) per reference sample.",
            )
        xs = wrap_longitudes(shapely.get_x(data), transform, crs)
        ys = shapely.get_y(data)
        inv = ~transform
        cols_f = inv.a * xs + inv.b * ys + inv.c
        rows_f = inv.d * xs + inv.e * ys + inv.f
        inside = (
            np.isfinite(cols_f)
            & np.isfinite(rows_f)
            & (cols_f >= 0)
            & (rows_f >= 0)
            & (cols_f < width)
            & (rows_f < height)
        )
        if not inside.all():
            raise EvidenceError(
                f"{int((~inside).sum())} reference sample(s) fall outside the product's grid",
                source=reference,
                hint="Drop them or check the samples' CRS.",
            )
        rows = np.floor(rows_f).astype(np.int64)
        cols = np.floor(cols_f).astype(np.int64)
        if south_up:
            rows = height - 1 - rows
        import xarray as xr

        try:
            picked = var.isel(
                {ydim: xr.DataArray(rows, dims="sample"), xdim: xr.DataArray(cols, dims="sample")}
            ).values
        except Exception as exc:  # netCDF4/h5netcdf/scipy raise unrelated types
            raise read_failure(product.netcdf, exc) from None
        nodata = _netcdf_nodata(var)
    finally:
        ds.close()
    values = np.asarray(picked).reshape(-1, len(rows))
    return list(values), nodata


def _stratum_weights(path: str, context: Context) -> dict[Any, float]:
    """Share of the area of each stratum value of the strata raster (nodata excluded)."""
    transform, height, width, crs, nodata = _grid(path)
    cells = CellAreas(transform, crs, width, height)

    def func(arrays: list[np.ndarray], window: Window) -> dict[Any, float]:
        a = arrays[0]
        rows = np.broadcast_to(
            cells.window(window.row_off, window.col_off, window.height, window.width), a.shape
        )
        ok = valid_mask(a, nodata)
        values, inverse = np.unique(a[ok], return_inverse=True)
        sums = np.bincount(inverse, weights=rows[ok], minlength=values.size)
        return {v.item(): float(s) for v, s in zip(values, sums, strict=True)}

    def combine(a: dict[Any, float], b: dict[Any, float]) -> dict[Any, float]:
        out = dict(a)
        for k, v in b.items():
            out[k] = out.get(k, 0.0) + v
        return out

    areas = scan([path], func, combine, workers=context.workers, scheduler=context.scheduler)
    total = sum((areas or {}).values())
    if not areas or total <= 0:
        raise EvidenceError("the strata raster has no valid pixel", source=path)
    return {k: v / total for k, v in areas.items()}
