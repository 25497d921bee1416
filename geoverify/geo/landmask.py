"""The land mask shipped with geoverify: where the world's land is, independent of any product.

``geoverify/data/land_mask_0p1deg.tif`` is a global 0.1° WGS 84 grid (3600 x
1800 cells, 1 = land), the union of the bundled admin-0 boundaries
(``country_boundaries.geojson``: countryinfo 1.0.1, MIT, and Natural Earth
1:110m, public domain) rasterised by cell centre; ``data/_build_landmask.py``
regenerates it and ``data/README.md`` records its origin.  Its sha256 is checked
when it is first read, so a result that quotes :data:`LAND_MASK_SHA256` was
computed with this very file.

Land south of :data:`ANTARCTIC_LATITUDE` (Antarctica) is left out of the land
the burned-area coverage is measured against: it holds no burnable land, and
global burned-area products (FireCCI51, MCD64A1) leave it out or flag it.

A product's pixel is on land when its centre, transformed to longitude/latitude
(longitudes wrapped to [−180°, 180°), so 0–360° grids work), falls in a land
cell of the mask.  The world's land area is the geodesic area of the mask's land
cells (:func:`geoverify.geo.cellarea.cell_areas_km2`).

References
----------
Natural Earth, *1:110m Cultural Vectors, Admin 0 – Countries* (public domain).
Karney, C. F. F. (2013). Algorithms for geodesics. *Journal of Geodesy* 87, 43–55.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError

__all__ = [
    "ANTARCTIC_LATITUDE",
    "LAND_MASK_FILE",
    "LAND_MASK_SHA256",
    "LAND_MASK_STEP",
    "land_at",
    "land_index_of_window",
    "land_mask",
    "land_mask_details",
    "land_of_window",
    "world_land_km2",
]

#: File name of the mask in ``geoverify/data``.
LAND_MASK_FILE = "land_mask_0p1deg.tif"
#: sha256 of the file (printed by ``data/_build_landmask.py``).
LAND_MASK_SHA256 = "f33e9c9c65b2bcc8c51be645b6bfa6fc1500131cb646a361364f365c8e97a6a3"
#: Cell size of the mask (degrees).
LAND_MASK_STEP = 0.1
#: Land south of this latitude (Antarctica) is left out of the burnable land.
ANTARCTIC_LATITUDE = -60.0

_ORIGIN = (
    "union of geoverify/data/country_boundaries.geojson (countryinfo 1.0.1, MIT; Natural "
    "Earth 1:110m admin-0, public domain) rasterised on a global 0.1 deg WGS 84 grid by "
    "cell centre (geoverify/data/_build_landmask.py)"
)


def _path() -> Path:
    return Path(str(resources.files("geoverify").joinpath("data", LAND_MASK_FILE)))


@functools.cache
def land_mask() -> np.ndarray:
    """The mask as a boolean array (1800 rows from 90°N, 3600 columns from 180°W).

    Raises
    ------
    EvidenceError
        When the bundled file is missing or its sha256 differs from
        :data:`LAND_MASK_SHA256` (a damaged installation).
    """
    import rasterio

    path = _path()
    if not path.exists():
        raise EvidenceError(
            "the land mask shipped with geoverify is missing",
            source=str(path),
            hint="Reinstall geoverify (the file is package data).",
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != LAND_MASK_SHA256:
        raise EvidenceError(
            f"the land mask shipped with geoverify has sha256 {digest}, not {LAND_MASK_SHA256}",
            source=str(path),
            hint="Reinstall geoverify, or rebuild with geoverify/data/_build_landmask.py and "
            "update LAND_MASK_SHA256.",
        )
    with rasterio.open(path) as ds:
        return np.asarray(ds.read(1) == 1)


def land_at(lon: Any, lat: Any) -> np.ndarray:
    """True where the point (WGS 84 degrees) falls in a land cell; False for NaN."""
    mask = land_mask()
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y) & (np.abs(y) <= 90.0)
    xw = np.where(ok, (x + 180.0) % 360.0 - 180.0, 0.0)
    col = np.clip(np.floor((xw + 180.0) / LAND_MASK_STEP).astype("int64"), 0, mask.shape[1] - 1)
    row = np.clip(
        np.floor((90.0 - np.where(ok, y, 0.0)) / LAND_MASK_STEP).astype("int64"),
        0,
        mask.shape[0] - 1,
    )
    return np.asarray(ok & mask[row, col])


def land_index_of_window(
    transform: Any,
    crs: Any,
    row_off: int,
    col_off: int,
    height: int,
    width: int,
    *,
    antarctica: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The land of a window as ``(mask, rows, cols)``, for grids where that is exact.

    On a geographic grid that is not rotated, a pixel's longitude depends on its
    column only and its latitude on its row only: the window's land is
    ``mask[rows[i], cols[j]]`` (``mask`` as uint8), with ``rows[i] = -1`` for rows
    that hold no land (beyond a pole, or south of :data:`ANTARCTIC_LATITUDE`
    without ``antarctica``).  Computed per row and per column, not per pixel; the
    same cells as :func:`land_at` gives for every pixel centre.  ``None`` for
    other grids (projected or rotated: :func:`land_of_window` transforms centres).
    """
    if transform.b != 0 or transform.d != 0:
        return None
    if not _is_geographic(crs.to_wkt() if hasattr(crs, "to_wkt") else str(crs)):
        return None
    mask = land_mask()
    # as affine computes them: (a * col + b * row) + c with b = 0 (and the same for rows)
    lon = transform.a * (np.arange(col_off, col_off + width) + 0.5) + transform.c
    lat = transform.e * (np.arange(row_off, row_off + height) + 0.5) + transform.f
    lon_ok = np.isfinite(lon)
    lat_ok = np.isfinite(lat) & (np.abs(lat) <= 90.0)
    xw = np.where(lon_ok, (lon + 180.0) % 360.0 - 180.0, 0.0)
    cols = np.clip(np.floor((xw + 180.0) / LAND_MASK_STEP).astype("int64"), 0, mask.shape[1] - 1)
    rows = np.clip(
        np.floor((90.0 - np.where(lat_ok, lat, 0.0)) / LAND_MASK_STEP).astype("int64"),
        0,
        mask.shape[0] - 1,
    )
    if not antarctica:
        lat_ok &= ~(lat < ANTARCTIC_LATITUDE)
    rows = np.where(lat_ok, rows, -1)
    cols = np.where(lon_ok, cols, -1)
    return _mask_u8(), rows, cols


@functools.lru_cache(maxsize=64)
def _is_geographic(crs: str) -> bool:
    """Whether a CRS (WKT or user input) is geographic; parsed once per CRS, not per window."""
    from pyproj import CRS

    return bool(CRS.from_user_input(crs).is_geographic)


@functools.cache
def _mask_u8() -> np.ndarray:
    return np.ascontiguousarray(land_mask(), dtype=np.uint8)


def land_of_window(
    transform: Any,
    crs: Any,
    row_off: int,
    col_off: int,
    height: int,
    width: int,
    *,
    antarctica: bool = False,
) -> np.ndarray:
    """Land (bool, ``(height, width)``) of a window of a product's grid, by pixel centre.

    Centres are transformed to longitude/latitude with PROJ (geographic grids
    are read as longitude/latitude directly, 0–360° included; unrotated ones per
    row and column, :func:`land_index_of_window`); land south of
    :data:`ANTARCTIC_LATITUDE` counts only with ``antarctica``.
    """
    from pyproj import CRS, Transformer

    index = land_index_of_window(
        transform, crs, row_off, col_off, height, width, antarctica=antarctica
    )
    if index is not None:
        mask, rows, cols = index
        land = mask[np.clip(rows, 0, None)[:, None], np.clip(cols, 0, None)[None, :]] != 0
        return np.asarray(land & (rows >= 0)[:, None] & (cols >= 0)[None, :])
    rows_, cols_ = np.mgrid[row_off : row_off + height, col_off : col_off + width]
    xs, ys = transform * (cols_ + 0.5, rows_ + 0.5)
    source = CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    if source.is_geographic:
        lon, lat = np.asarray(xs, dtype="float64"), np.asarray(ys, dtype="float64")
    else:
        to_lonlat = Transformer.from_crs(source, "EPSG:4326", always_xy=True)
        lon, lat = to_lonlat.transform(xs, ys, errcheck=False)
        lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    land = land_at(lon, lat)
    if not antarctica:
        land &= ~(lat < ANTARCTIC_LATITUDE)
    return land


@functools.cache
def world_land_km2(*, antarctica: bool = False) -> float:
    """Geodesic area (km², WGS 84) of the mask's land cells, Antarctica left out by default."""
    from pyproj import CRS
    from rasterio.transform import from_origin

    from geoverify.geo.cellarea import cell_areas_km2

    mask = land_mask()
    rows = cell_areas_km2(
        from_origin(-180.0, 90.0, LAND_MASK_STEP, LAND_MASK_STEP),
        mask.shape[0],
        CRS.from_epsg(4326),
    )[0]
    per_row = mask.sum(axis=1) * np.asarray(rows, dtype="float64")
    if not antarctica:
        centre_lat = 90.0 - (np.arange(mask.shape[0]) + 0.5) * LAND_MASK_STEP
        per_row = np.where(centre_lat < ANTARCTIC_LATITUDE, 0.0, per_row)
    return float(per_row.sum())


def land_mask_details() -> dict[str, Any]:
    """What a result records about the mask (``details["land_mask"]``)."""
    return {
        "file": f"geoverify/data/{LAND_MASK_FILE}",
        "sha256": LAND_MASK_SHA256,
        "origin": _ORIGIN,
        "licence": "MIT (countryinfo) and public domain (Natural Earth)",
        "grid": f"{LAND_MASK_STEP} deg, WGS 84, global",
        "world_land_km2": world_land_km2(),
        "antarctica": f"land south of {ANTARCTIC_LATITUDE:g} deg is left out",
        "rule": "a pixel is land when its centre falls in a land cell of the mask",
    }
