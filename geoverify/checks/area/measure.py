"""Area of valid data (rasters) or of polygons (vector files), in km².

Rasters are streamed by windows (:func:`geoverify.io.scan.scan`); only the
valid pixels (:func:`geoverify.io.masks.valid_mask`) count.  The area of a pixel
is its true ground area by the one area rule of geoverify,
:class:`geoverify.geo.cellarea.CellAreas`: exact per-row cell areas on the
ellipsoid for geographic grids (Snyder 1987), ``|det(transform)|`` for
equal-area projections, and the geodesic area of tiles of
:data:`~geoverify.geo.cellarea.TILE` × ``TILE`` pixels for every other grid
(Karney 2013).

Polygons are dissolved (overlaps counted once) and their area is the geodesic
area on the WGS 84 ellipsoid (:meth:`pyproj.Geod.geometry_area_perimeter`).

References
----------
Snyder, J. P. (1987). *Map Projections — A Working Manual*. USGS Professional
Paper 1395, pp. 16–17 (authalic latitude).
Karney, C. F. F. (2013). Algorithms for geodesics. *Journal of Geodesy* 87, 43–55.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.geo.cellarea import CellAreas
from geoverify.io.masks import valid_mask
from geoverify.io.mosaic import (
    OVERLAP_RULE,
    earlier_cover,
    open_tiles,
    overlapping_earlier,
    raster_locations,
)
from geoverify.io.shared import ScanRequest
from geoverify.io.swath import find_swath, footprint_km2, open_swath
from geoverify.model import Measurement
from geoverify.stats import kernels

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = ["measure_area", "plan_area", "polygon_area_km2", "raster_area", "raster_area_request"]


def polygon_area_km2(frame: Any, *, source: str = "vector") -> tuple[float, dict[str, Any]]:
    """Geodesic area (km², WGS 84) of the dissolved polygons of a GeoDataFrame.

    Raises
    ------
    EvidenceError
        Without CRS, without polygons, or with only points or lines.
    """
    if frame.crs is None:
        raise EvidenceError(
            "the vector file has no CRS",
            source=source,
            hint="Save the polygons with their CRS (e.g. EPSG:4326).",
        )
    geoms = frame.geometry
    geoms = geoms[geoms.notna() & ~geoms.is_empty]
    polys = geoms[geoms.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        kinds = sorted(set(geoms.geom_type)) or ["nothing"]
        raise EvidenceError(
            f"no polygons to measure (found {', '.join(kinds)})",
            source=source,
            hint="Deliver the areas as polygons (GeoPackage/GeoJSON) or as a raster.",
        )
    from pyproj import Geod

    polys = polys.to_crs("EPSG:4326").make_valid()
    union = polys.union_all()
    geod = Geod(ellps="WGS84")
    area, _ = geod.geometry_area_perimeter(union)
    details = {
        "method": "geodesic area on the WGS 84 ellipsoid of the dissolved polygons "
        "(pyproj.Geod, Karney 2013); overlaps counted once",
        "polygons": len(polys),
        "ignored_non_polygons": int(len(geoms) - len(polys)),
    }
    return abs(area) / 1e6, details


def raster_area(
    location: str,
    *,
    band: int = 1,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = False,
    earlier: Sequence[Any] = (),
    run: Callable[[ScanRequest], Any] | None = None,
    key: tuple[str, str] = ("", "valid_area"),
) -> dict[str, Any]:
    """Area of the valid pixels of one raster, streamed by windows.

    ``earlier`` holds the tiles (:class:`geoverify.io.mosaic.Tile`) listed before
    this one in a deliverable of several: pixels whose centre lies in one of
    their extents are not counted (:data:`geoverify.io.mosaic.OVERLAP_RULE`).

    A NetCDF variable whose CRS GDAL does not find but which the file states in
    its attributes (a ``crs`` attribute, a CF ``grid_mapping``, CF
    latitude/longitude coordinates) gets it from
    :func:`geoverify.io.raster.georeference`, as for the pixel size.  Pixel areas
    come from :class:`geoverify.geo.cellarea.CellAreas`.

    Returns
    -------
    dict
        ``area_km2``, ``valid_pixels``, ``pixels``, ``method``, ``crs``, ``nodata``;
        ``crs_source`` when the CRS came from the file's attributes.

    Raises
    ------
    EvidenceError
        Without CRS, for a NetCDF grid GDAL does not see, for a rotated
        geographic grid, or for a missing band.
    """
    request, finish = raster_area_request(location, band=band, earlier=earlier, key=key)
    return finish(request.result(run, workers=workers, scheduler=scheduler, progress=progress))


def raster_area_request(
    location: str,
    *,
    band: int = 1,
    earlier: Sequence[Any] = (),
    key: tuple[str, str] = ("", "valid_area"),
) -> tuple[ScanRequest, Callable[[Any], dict[str, Any]]]:
    """The scan of :func:`raster_area` and the function turning its total into the result."""
    from geoverify.io.raster import georeference, open_raster

    with open_raster(location) as ds:
        if band < 1 or band > ds.count:
            raise EvidenceError(
                f"band {band} does not exist (the raster has {ds.count})",
                source=location,
                hint="Set `band` to an existing band.",
            )
        crs, transform, crs_source, _ = georeference(ds, location, unknown="its area is unknown")
        nodata = ds.nodatavals[band - 1]
        width, height = ds.width, ds.height
    if crs.is_geographic and (transform.b or transform.d):
        raise EvidenceError(
            "rotated geographic grid: per-row cell areas do not apply",
            source=location,
            hint="Deliver a north-up grid (gdalwarp) for the area check.",
        )
    areas = CellAreas(transform, crs, width, height)
    method = areas.method

    tile = open_tiles([location])[0] if earlier else None

    kind = kernels.backend()
    codes: dict[str, np.ndarray] = {}

    def func(arrays: list[np.ndarray], window: Any) -> tuple[float, int]:
        cells = areas.window(window.row_off, window.col_off, window.height, window.width)
        a = arrays[0]
        if tile is None and cells.shape[1] == 1 and kernels.small_int(a.dtype):
            # fused: valid pixels counted per row and multiplied by the row's area once
            table = codes.get(a.dtype.name)
            if table is None:
                table = codes[a.dtype.name] = kernels.code_table(
                    a.dtype, lambda v: valid_mask(v, nodata), 1
                )
            row_area = np.broadcast_to(cells[:, 0], (window.height,))
            area, count = kernels.tally([a], [table], row_area, kind=kind)
            return float(area[1]), int(count[1])
        valid = valid_mask(arrays[0], nodata)
        if tile is not None:
            valid &= ~earlier_cover(
                tile, earlier, window.row_off, window.col_off, window.height, window.width
            )
        return float((valid * cells).sum()), int(valid.sum())

    def finish(result: Any) -> dict[str, Any]:
        area_m2, n_valid = result if result is not None else (0.0, 0)
        out = {
            "area_km2": float(area_m2) / 1e6,
            "valid_pixels": n_valid,
            "pixels": width * height,
            "method": method,
            "crs": crs.to_string(),
            "nodata": nodata,
        }
        if crs_source is not None:
            out["crs_source"] = crs_source
        return out

    request = ScanRequest(
        key=key,
        paths=(location,),
        bands=(band,),
        func=func,
        combine=_add_pair,
        label="valid area",
    )
    return request, finish


def _add_pair(x: tuple[float, int], y: tuple[float, int]) -> tuple[float, int]:
    return (x[0] + y[0], x[1] + y[1])


def plan_area(evidence: Evidence, params: Mapping[str, Any], context: Context) -> list[ScanRequest]:
    """The scan :func:`measure_area` will make: one gridded raster (not a swath, a mosaic or
    polygons), for a shared pass of the run (:mod:`geoverify.io.shared`)."""
    if "vector" in evidence or params.get("measure", "valid_area") != "valid_area":
        return []
    from geoverify.io.raster import raster_source

    listed = raster_locations(evidence)
    variable = evidence.get("variable")
    if len(listed.paths) != 1 or find_swath(listed.paths[0], variable):
        return []
    location = raster_source(listed.paths[0], variable)
    band = int(evidence.get("band", 1))
    return [raster_area_request(location, band=band, key=(evidence.indicator, "valid_area"))[0]]


def measure_area(evidence: Evidence, params: Mapping[str, Any], context: Context) -> Measurement:
    """Area (km²) of the valid data of rasters, or of polygons.

    Parameters
    ----------
    evidence : Evidence
        ``raster`` (one file) and/or ``rasters`` (several, or globs confined to the
        submission's folder; areas summed, overlaps counted once by
        :data:`geoverify.io.mosaic.OVERLAP_RULE`, and a file listed twice counted
        once, :data:`geoverify.io.mosaic.DUPLICATE_RULE`), with optional ``band`` and ``variable``
        (the variable of a NetCDF/HDF5 file holding several); or ``vector``
        (polygons, dissolved).  A swath (L2) variable, located by latitude/longitude
        arrays, has the footprint of :func:`geoverify.io.swath.footprint_km2`: its
        pixels' corners, or the equal-area cells at ``footprint_resolution_m``
        (metres; default its ground-pixel size) holding a valid pixel.
    params : mapping
        ``measure``: ``"valid_area"`` (the default and only measure).
    context : Context
        Workers, dask scheduler, progress.

    Returns
    -------
    Measurement
        ``value`` in ``"km2"``, exact (no CI); ``details`` hold the method, pixel
        counts and per-file areas.

    Raises
    ------
    EvidenceError
        Without usable evidence (see :func:`raster_area`, :func:`polygon_area_km2`).
    """
    measure = params.get("measure", "valid_area")
    if measure != "valid_area":
        raise EvidenceError(
            f"unknown area measure {measure!r}",
            source=evidence.indicator,
            hint='The area check measures "valid_area".',
        )
    if "vector" in evidence:
        from geoverify.io.vector import read_vector

        location = evidence.location("vector")
        assert location is not None
        km2, shape_details = polygon_area_km2(
            read_vector(location), source=evidence.display(location)
        )
        shape_details["source"] = evidence.display(location)
        return Measurement(
            value=km2,
            unit="km2",
            details=shape_details,
            message=f"{km2:,.2f} km² of polygons (geodesic, overlaps dissolved)",
        )
    from geoverify.io.raster import raster_source

    listed = raster_locations(
        evidence,
        hint=f"Add `raster = ...`, `rasters = [...]` or `vector = ...` to the evidence of "
        f"{evidence.indicator}.",
    )
    band = int(evidence.get("band", 1))
    variable = evidence.get("variable")
    parts = []
    resolution = evidence.get("footprint_resolution_m")
    locations = sorted(listed.paths)
    swaths = [find_swath(loc, variable) for loc in locations]
    if len(locations) > 1 and any(swaths):
        raise EvidenceError(
            "several files including a swath: the overlap rule between swath footprints "
            "and tiles is not applied, so their areas cannot be summed without counting "
            "overlaps twice",
            source=", ".join(evidence.display(loc) for loc in locations),
            hint="Give one swath per indicator, or the gridded tiles only.",
        )
    gridded = [raster_source(loc, variable) for loc, s in zip(locations, swaths, strict=True)]
    # the overlap rule needs every tile's grid: a tile without one is an error, never a
    # silent sum of overlapping tiles
    tiles = open_tiles(gridded) if len(locations) > 1 else []
    earlier_of = overlapping_earlier(tiles) if tiles else [[] for _ in locations]
    for k, location in enumerate(locations):
        if swaths[k]:
            swath = open_swath(location, str(variable), display=evidence.display(location))
            part = footprint_km2(
                swath, resolution_m=None if resolution is None else float(resolution)
            )
            part["pixels"] = int(swath.values.size)
            part["swath"] = swath.sources
        else:
            part = raster_area(
                gridded[k],
                band=band,
                workers=context.workers,
                scheduler=context.scheduler,
                progress=context.progress,
                earlier=earlier_of[k],
                # one file: its scan may be shared with other checks of the run
                run=context.run_scan if len(locations) == 1 else None,
                key=(evidence.indicator, "valid_area"),
            )
        part["source"] = evidence.display(location)
        if variable is not None:
            part["variable"] = variable
        parts.append(part)
    total = math.fsum(p["area_km2"] for p in parts)
    if sum(p["valid_pixels"] for p in parts) == 0:
        raise EvidenceError(
            "the raster holds no valid data (every pixel is nodata)",
            source=", ".join(p["source"] for p in parts),
            hint="Check the nodata value and that the file is the intended deliverable.",
        )
    details: dict[str, Any] = {
        "method": parts[0]["method"] if len(parts) == 1 else "sum over rasters",
        "rasters": parts,
        "valid_pixels": sum(p["valid_pixels"] for p in parts),
    }
    details.update(listed.details())
    if len(parts) > 1:
        details["note"] = f"areas of several rasters are summed; overlap rule: {OVERLAP_RULE}"
    message = f"{total:,.2f} km² of valid data in {len(parts)} raster(s)"
    if listed.repeats:
        message += f"; {listed.note()}"
    recovered = list(dict.fromkeys(p["crs_source"] for p in parts if "crs_source" in p))
    if recovered:
        message += f"; CRS from {'; '.join(recovered)}"
    return Measurement(value=total, unit="km2", details=details, message=message)
