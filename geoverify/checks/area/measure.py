"""Area of valid data (rasters) or of polygons (vector files), in km².

Rasters are streamed by windows (:func:`geoverify.io.scan.scan`); only the
valid pixels (not nodata, not NaN) count.  The area of a pixel depends on the
grid's CRS:

- **geographic** (lon/lat) grids: every pixel of a row has the same area, the
  exact area of a latitude–longitude cell on the CRS's ellipsoid, computed once
  per row from the authalic function *q(φ)* (Snyder 1987, eqs. 3-12 and 3-13):
  ``A = a²/2 · Δλ · (q(φ₁) − q(φ₂))``;
- **equal-area** projected grids: ``|det(transform)|``, exact;
- **other projected** grids (UTM, Web Mercator, oblique Mercator …), where the
  map area of a pixel is not its ground area: each window is cut into tiles of
  :data:`TILE` × :data:`TILE` pixels and every tile's true area is the geodesic
  area (Karney 2013, via :class:`pyproj.Geod`) of its four corners taken to
  longitude/latitude; a pixel counts for its tile's area divided by the tile's
  pixel count.

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
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.io.masks import valid_mask
from geoverify.model import Measurement

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = [
    "TILE",
    "cell_area_rows",
    "is_equal_area",
    "measure_area",
    "polygon_area_km2",
    "raster_area",

]

#: Tile edge (pixels) over which the true pixel area of a non-equal-area
#: projected grid is taken as constant.
TILE = 64

_EQUAL_AREA_METHODS = (
    "equal area",
    "equal-area",
    "albers",
    "mollweide",
    "sinusoidal",
    "equal earth",
    "eckert iv",
    "eckert vi",
    "goode",
    "hammer",
    "ease",
)




def _q(phi: np.ndarray, e: float) -> np.ndarray:
    """Snyder's authalic function q(φ) (eq. 3-12), for eccentricity ``e`` > 0."""
    s = np.sin(phi)
    es = e * s
    return (1 - e * e) * (s / (1 - es * es) - (1 / (2 * e)) * np.log((1 - es) / (1 + es)))


def cell_area_rows(
    top: float, dlat: float, dlon: float, rows: int, *, a: float, inv_f: float
) -> np.ndarray:
    """Exact area (m²) of one lat/lon cell in each of ``rows`` rows, on an ellipsoid.

    Parameters
    ----------
    top : float
        Latitude (degrees) of the top edge of the first row.
    dlat : float
        Row height in degrees, signed as in the transform (negative for north-up).
    dlon : float
        Column width in degrees.
    rows : int
        Number of rows.
    a, inv_f : float
        Semi-major axis (m) and inverse flattening (0 or inf for a sphere).

    Returns
    -------
    ndarray
        Area in m² of a cell of each row; latitudes beyond ±90° are clipped.
    """
    edges = top + dlat * np.arange(rows + 1, dtype=np.float64)
    phi = np.radians(np.clip(edges, -90.0, 90.0))
    lam = abs(math.radians(dlon))
    if not inv_f or math.isinf(inv_f):
        band = np.abs(np.diff(np.sin(phi)))
        return a * a * lam * band
    f = 1.0 / inv_f
    e = math.sqrt(f * (2 - f))
    q = _q(phi, e)
    return 0.5 * a * a * lam * np.abs(np.diff(q))


def is_equal_area(crs: Any) -> bool:
    """True when the projected ``crs`` preserves area (by its projection method)."""
    name = _method(crs)
    return any(token in name.lower() for token in _EQUAL_AREA_METHODS)


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
) -> dict[str, Any]:
    """Area of the valid pixels of one raster, streamed by windows.

    A NetCDF variable whose CRS GDAL does not find but which the file states in
    its attributes (a ``crs`` attribute, a CF ``grid_mapping``, CF
    latitude/longitude coordinates) gets it from
    :func:`geoverify.io.sources.georeference`, as for the pixel size.

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
    from geoverify.io.scan import scan
    from geoverify.io.sources import georeference, open_raster

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
    if crs.is_geographic:
        if transform.b or transform.d:
            raise EvidenceError(
                "rotated geographic grid: per-row cell areas do not apply",
                source=location,
                hint="Deliver a north-up grid (gdalwarp) for the area check.",
            )
        ell = _ellipsoid(crs)
        rows = cell_area_rows(transform.f, transform.e, transform.a, height, a=ell[0], inv_f=ell[1])
        method = (
            "geographic grid: exact per-row cell area on the ellipsoid "
            f"(a={ell[0]:.3f} m, 1/f={ell[1]:.9g}; authalic q(φ), Snyder 1987)"
        )

        def func(arrays: list[np.ndarray], window: Any) -> tuple[float, int]:
            valid = valid_mask(arrays[0], nodata)
            per_row = valid.sum(axis=1)
            area = rows[window.row_off : window.row_off + window.height]
            return float(per_row @ area), int(per_row.sum())

    elif is_equal_area(crs):
        cell = abs(transform.a * transform.e - transform.b * transform.d)
        method = f"equal-area projection ({_method(crs)}): |det(transform)| = {cell:.6g} m²"

        def func(arrays: list[np.ndarray], window: Any) -> tuple[float, int]:
            n = int(valid_mask(arrays[0], nodata).sum())
            return n * cell, n

    else:
        tiler = _TileAreas(crs, transform)
        method = (
            f"projection not equal-area ({_method(crs)}): true pixel area per "
            f"{TILE}x{TILE}-pixel tile from the geodesic area of the tile's corners "
            "(pyproj.Geod on WGS 84)"
        )

        def func(arrays: list[np.ndarray], window: Any) -> tuple[float, int]:
            valid = valid_mask(arrays[0], nodata)
            return tiler.area(valid, window.row_off, window.col_off), int(valid.sum())

    result = scan(
        [location],
        func,
        lambda x, y: (x[0] + y[0], x[1] + y[1]),
        bands=[band],
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label="valid area",
    )
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


class _TileAreas:
    """True ground area of the pixels of a non-equal-area projected grid, per tile."""

    def __init__(self, crs: Any, transform: Any):
        from pyproj import Geod, Transformer

        self.transform = transform
        self.to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        ell = _ellipsoid(crs)
        self.geod = Geod(a=ell[0], rf=ell[1]) if ell[1] else Geod(a=ell[0], b=ell[0])

    def area(self, valid: np.ndarray, row_off: int, col_off: int) -> float:
        h, w = valid.shape
        th, tw = -(-h // TILE), -(-w // TILE)
        padded = np.zeros((th * TILE, tw * TILE), dtype=np.int64)
        padded[:h, :w] = valid
        counts = padded.reshape(th, TILE, tw, TILE).sum(axis=(1, 3))
        total = 0.0
        for i, j in zip(*np.nonzero(counts), strict=True):
            r0, c0 = row_off + i * TILE, col_off + j * TILE
            r1, c1 = row_off + min(h, (i + 1) * TILE), col_off + min(w, (j + 1) * TILE)
            cols = np.array([c0, c1, c1, c0], dtype=float)
            rows = np.array([r0, r0, r1, r1], dtype=float)
            t = self.transform
            xs = t.a * cols + t.b * rows + t.c
            ys = t.d * cols + t.e * rows + t.f
            lon, lat = self.to_lonlat.transform(xs, ys)
            tile_area = abs(self.geod.polygon_area_perimeter(lon, lat)[0])
            total += tile_area * counts[i, j] / ((r1 - r0) * (c1 - c0))
        return total


def _ellipsoid(crs: Any) -> tuple[float, float]:
    from pyproj import CRS

    ell = CRS.from_user_input(crs).ellipsoid
    if ell is None:
        return 6378137.0, 298.257223563
    inv_f = ell.inverse_flattening
    return float(ell.semi_major_metre), float(inv_f) if inv_f and math.isfinite(inv_f) else 0.0


def _method(crs: Any) -> str:
    from pyproj import CRS

    op = CRS.from_user_input(crs).coordinate_operation
    return op.method_name if op is not None else "unknown"


def measure_area(evidence: Evidence, params: Mapping[str, Any], context: Context) -> Measurement:
    """Area (km²) of the valid data of rasters, or of polygons.

    Parameters
    ----------
    evidence : Evidence
        ``raster`` (one file) or ``rasters`` (several, areas summed; overlaps
        between rasters are not removed), with optional ``band`` and ``variable``
        (the variable of a NetCDF/HDF5 file holding several); or ``vector``
        (polygons, dissolved).
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
        from geoverify.io.sources import read_vector

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
    from geoverify.io.sources import raster_source

    locations = _raster_locations(evidence)
    band = int(evidence.get("band", 1))
    variable = evidence.get("variable")
    parts = []
    for location in locations:
        part = raster_area(
            raster_source(location, variable),
            band=band,
            workers=context.workers,
            scheduler=context.scheduler,
            progress=context.progress,
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
    if len(parts) > 1:
        details["note"] = "areas of several rasters are summed; overlaps between them count twice"
    message = f"{total:,.2f} km² of valid data in {len(parts)} raster(s)"
    recovered = list(dict.fromkeys(p["crs_source"] for p in parts if "crs_source" in p))
    if recovered:
        message += f"; CRS from {'; '.join(recovered)}"
    return Measurement(value=total, unit="km2", details=details, message=message)


def _raster_locations(evidence: Evidence) -> Sequence[str]:
    locations = []
    if "raster" in evidence:
        location = evidence.location("raster")
        assert location is not None
        locations.append(location)
    locations.extend(evidence.locations("rasters"))
    if not locations:
        raise EvidenceError(
            "no raster or vector to measure",
            source=evidence.where,
            hint=f"Add `raster = ...`, `rasters = [...]` or `vector = ...` to the evidence of "
            f"{evidence.indicator}.",
        )
    return locations
