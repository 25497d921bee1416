"""The one area rule of geoverify: the true ground area of raster cells.

The area check, the accuracy area estimates (class areas, stratum weights, the
reported pixel area) and the burned-area weights all take their cell areas from
:class:`CellAreas`:

- **geographic** (longitude/latitude), north-up grids: every cell of a row has
  the same area, the area of an ellipsoidal quadrangle between two parallels and
  two meridians, in closed form (the integral of the authalic latitude, Snyder
  1987) on the CRS's ellipsoid;
- **equal-area** projections (Albers, Lambert azimuthal/cylindrical equal area,
  EASE-Grid, Mollweide, sinusoidal, Equal Earth …): ``|det(transform)|`` times
  the square of the CRS's linear unit, exact;
- **every other grid** (UTM, Web Mercator, rotated grids): the map area of a
  pixel is not its ground area (a 100 m Web-Mercator pixel at 45° N covers
  about 0.5 ha, not 1 ha), so the grid is cut into tiles of :data:`TILE` ×
  :data:`TILE` pixels and each tile's true area is the geodesic area (Karney
  2013, :class:`pyproj.Geod`) of its outline taken to the CRS's own geographic
  coordinates; a pixel counts for its tile's area over the tile's pixel count.

References
----------
Snyder, J. P. (1987). *Map Projections — A Working Manual*. USGS Professional
Paper 1395, pp. 16–17 and eqs. 3-11 to 3-13 (authalic latitude, ``q``).
Karney, C. F. F. (2013). Algorithms for geodesics. *Journal of Geodesy* 87, 43–55.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError

__all__ = ["TILE", "CellAreas", "cell_areas_km2", "is_equal_area", "quadrangle_area_km2"]

#: Tile edge (pixels) over which the true pixel area of a non-equal-area
#: projected grid is taken as constant.
TILE = 64

#: Projection methods (PROJ names, lower-case substrings) that preserve area.
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


def _zone(phi: np.ndarray, e: float) -> np.ndarray:
    """``q(φ) / (1 − e²)``: the area from the equator to latitude φ is ``b² Δλ`` times half of it.

    For a sphere (``e = 0``) the limit is ``2 sin φ``.
    """
    s = np.sin(phi)
    if e == 0.0:
        return 2.0 * s
    es = e * s
    return s / (1.0 - es * es) + np.log((1.0 + es) / (1.0 - es)) / (2.0 * e)


def quadrangle_area_km2(
    lat1: Any, lat2: Any, dlon_deg: float, *, a: float = 6378137.0, rf: float = 298.257223563
) -> np.ndarray:
    """Area (km²) of ellipsoidal quadrangles between latitudes ``lat1``, ``lat2`` (degrees).

    Parameters
    ----------
    lat1, lat2 : array_like
        Bounding parallels in degrees (any order).
    dlon_deg : float
        Width in longitude, degrees.
    a, rf : float
        Semi-major axis (m) and inverse flattening of the ellipsoid (WGS 84 by default;
        ``rf = 0`` for a sphere of radius ``a``).

    Notes
    -----
    ``A = b² Δλ / 2 · [q(φ₂) − q(φ₁)]`` with
    ``q(φ) = sin φ / (1 − e² sin² φ) + ln((1 + e sin φ) / (1 − e sin φ)) / (2e)``.

    References
    ----------
    Snyder, J. P. (1987). Map Projections — A Working Manual. USGS Professional
    Paper 1395, p. 16 and eq. 3-12 (authalic latitude, ``q``).
    """
    f = 0.0 if not rf else 1.0 / rf
    b = a * (1.0 - f)
    e = math.sqrt(max(0.0, 2 * f - f * f))
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dlon = math.radians(abs(dlon_deg))
    zone = np.abs(_zone(p2, e) - _zone(p1, e))
    return (b * b * dlon / 2.0) * zone / 1e6


def _pyproj_crs(crs: Any) -> Any:
    from pyproj import CRS

    return CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)


def _ellipsoid(pcrs: Any) -> tuple[float, float]:
    """``(a, 1/f)`` of a CRS's ellipsoid (WGS 84 when unknown; ``1/f = 0`` for a sphere)."""
    ell = pcrs.ellipsoid
    if ell is None:
        return 6378137.0, 298.257223563
    rf = ell.inverse_flattening
    return float(ell.semi_major_metre), float(rf) if rf and math.isfinite(rf) else 0.0


def _method(pcrs: Any) -> str:
    op = pcrs.coordinate_operation
    return op.method_name if op is not None else "unknown"


def is_equal_area(crs: Any) -> bool:
    """True when the projected ``crs`` preserves area (by its projection method's name)."""
    pcrs = _pyproj_crs(crs)
    if pcrs.is_geographic:
        return False
    name = _method(pcrs).lower()
    return any(token in name for token in _EQUAL_AREA_METHODS)


def cell_areas_km2(transform: Any, height: int, crs: Any) -> tuple[np.ndarray, str]:
    """Area of one cell of every row of a grid whose cells are equal along a row, km².

    Parameters
    ----------
    transform : affine.Affine
        The grid's north-up transform (no rotation).
    height : int
        Number of rows.
    crs : rasterio CRS, pyproj CRS, or anything ``pyproj.CRS.from_user_input`` takes
        ``None`` is refused: an area needs a CRS.

    Returns
    -------
    areas : numpy.ndarray
        ``(height,)`` float64: the area of a cell of each row in km².
    method : str
        ``"geodesic"`` (geographic grid, on the CRS's ellipsoid) or
        ``"planar, equal-area"`` (equal-area projection, constant per cell).

    Raises
    ------
    EvidenceError
        No CRS, a rotated transform, a projection that does not preserve area
        (its cells differ along a row: use :class:`CellAreas`), or cell edges more
        than half a cell beyond ±90° (edges within half a cell, as in grids with
        cell centres on the poles, are clipped to the poles).

    References
    ----------
    Snyder, J. P. (1987). Map Projections — A Working Manual. USGS Professional Paper 1395.
    """
    if height < 0:
        raise ValueError(f"height must be >= 0, got {height}")
    if crs is None:
        raise EvidenceError("the grid has no CRS: cell areas are unknown", hint="Set a CRS.")
    if transform.b != 0 or transform.d != 0:
        raise EvidenceError(
            "rotated grid: cell areas per row assume a north-up transform",
            hint="Warp the raster to a north-up grid.",
        )
    pcrs = _pyproj_crs(crs)
    if pcrs.is_geographic:
        a, rf = _ellipsoid(pcrs)
        edges = transform.f + transform.e * np.arange(height + 1, dtype=np.float64)
        # a grid with cell centres on the poles (ERA5: 721 rows of 0.25°) has outer
        # edges half a cell beyond ±90°: its polar cells are half cells, clipped
        slack = abs(transform.e) / 2.0 + 1e-9
        if np.any(np.abs(edges) > 90.0 + slack):
            raise EvidenceError(
                f"latitudes beyond ±90° ({edges.min():.6g} … {edges.max():.6g}), more than "
                "half a cell past a pole",
                hint="The grid's transform is not a valid geographic grid.",
            )
        edges = np.clip(edges, -90.0, 90.0)
        areas = quadrangle_area_km2(edges[:-1], edges[1:], transform.a, a=a, rf=rf)
        return areas, "geodesic"
    if not is_equal_area(pcrs):
        raise EvidenceError(
            f"the projection ({_method(pcrs)}) does not preserve area: cells of a row differ "
            "in ground area",
            hint="Use geoverify.geo.cellarea.CellAreas (geodesic area per tile).",
        )
    unit = pcrs.axis_info[0].unit_conversion_factor if pcrs.axis_info else 1.0
    cell = abs(transform.a * transform.e) * unit * unit / 1e6
    return np.full(height, cell), "planar, equal-area"


class CellAreas:
    """True ground area (m²) of the pixels of a grid, window by window.

    Parameters
    ----------
    transform : affine.Affine
        The grid's transform.
    crs : CRS
        The grid's CRS (``None`` is refused: an area needs a CRS).
    width, height : int
        The grid's size in pixels.

    Attributes
    ----------
    kind : {"geographic", "equal-area", "tiles"}
        Which rule applies (see the module's docstring).
    label : str
        Short name of the rule: ``"geodesic"`` (per row), ``"planar, equal-area"``
        or ``"geodesic per tile"``.
    method : str
        The rule in words, with its parameters, for reports.

    Raises
    ------
    EvidenceError
        No CRS, or (geographic grids) latitudes more than half a cell past a pole.
    """

    def __init__(self, transform: Any, crs: Any, width: int, height: int):
        if crs is None:
            raise EvidenceError("the grid has no CRS: cell areas are unknown", hint="Set a CRS.")
        self.transform, self.width, self.height = transform, int(width), int(height)
        self.crs = _pyproj_crs(crs)
        a, rf = _ellipsoid(self.crs)
        rotated = transform.b != 0 or transform.d != 0
        self._rows: np.ndarray | None = None
        self._cell = 0.0
        if self.crs.is_geographic and not rotated:
            self.kind, self.label = "geographic", "geodesic"
            self._rows = cell_areas_km2(transform, self.height, self.crs)[0] * 1e6
            self.method = (
                "geographic grid: exact per-row cell area on the ellipsoid "
                f"(a={a:.3f} m, 1/f={rf:.9g}; authalic q(φ), Snyder 1987)"
            )
        elif not self.crs.is_geographic and is_equal_area(self.crs):
            self.kind, self.label = "equal-area", "planar, equal-area"
            unit = self.crs.axis_info[0].unit_conversion_factor if self.crs.axis_info else 1.0
            self._cell = abs(transform.a * transform.e - transform.b * transform.d) * unit * unit
            self.method = (
                f"equal-area projection ({_method(self.crs)}): |det(transform)| = "
                f"{self._cell:.6g} m²"
            )
        else:
            from pyproj import Geod, Transformer

            self.kind, self.label = "tiles", "geodesic per tile"
            self._to_lonlat = Transformer.from_crs(self.crs, self.crs.geodetic_crs, always_xy=True)
            self._geod = Geod(a=a, rf=rf) if rf else Geod(a=a, b=a)
            what = (
                "rotated geographic grid"
                if self.crs.is_geographic
                else (f"projection not equal-area ({_method(self.crs)})")
            )
            self.method = (
                f"{what}: true pixel area per {TILE}x{TILE}-pixel tile from the geodesic "
                f"area of the tile's corners (pyproj.Geod, a={a:.3f} m, 1/f={rf:.9g})"
            )

    def window(self, row_off: int, col_off: int, height: int, width: int) -> np.ndarray:
        """Area (m²) of each pixel of a window, broadcastable to ``(height, width)``.

        Geographic grids give a ``(height, 1)`` column, equal-area grids a
        ``(1, 1)`` array, other grids a ``(height, width)`` array (tiles of
        :data:`TILE` pixels from the window's origin).
        """
        if self._rows is not None:
            return self._rows[row_off : row_off + height][:, None]
        if self.kind == "equal-area":
            return np.full((1, 1), self._cell)
        out = np.empty((height, width), dtype=np.float64)
        for r in range(0, height, TILE):
            for c in range(0, width, TILE):
                h, w = min(TILE, height - r), min(TILE, width - c)
                area = self._tile_area(row_off + r, col_off + c, row_off + r + h, col_off + c + w)
                out[r : r + h, c : c + w] = area / (h * w)
        return out

    def _tile_area(self, r0: float, c0: float, r1: float, c1: float, k: int = 1) -> float:
        """Geodesic area (m²) of the pixel rectangle, ``k`` segments per edge."""
        steps = np.linspace(0.0, 1.0, k + 1)[:-1]
        cols = np.concatenate(
            [c0 + (c1 - c0) * steps, np.full(k, c1), c1 - (c1 - c0) * steps, np.full(k, c0)]
        )
        rows = np.concatenate(
            [np.full(k, r0), r0 + (r1 - r0) * steps, np.full(k, r1), r1 - (r1 - r0) * steps]
        )
        t = self.transform
        xs = t.a * cols + t.b * rows + t.c
        ys = t.d * cols + t.e * rows + t.f
        lon, lat = self._to_lonlat.transform(xs, ys)
        return abs(float(self._geod.polygon_area_perimeter(lon, lat)[0]))

    def total_m2(self) -> float:
        """Ground area (m²) of the whole grid.

        Per-row and equal-area grids are summed exactly; other grids over at most
        64 × 64 tiles whose outlines follow the grid's edges (8 points a side).
        """
        if self._rows is not None:
            return float(self._rows.sum()) * self.width
        if self.kind == "equal-area":
            return self._cell * self.width * self.height
        rows = np.unique(np.linspace(0, self.height, min(64, self.height) + 1).round())
        cols = np.unique(np.linspace(0, self.width, min(64, self.width) + 1).round())
        return math.fsum(
            self._tile_area(r0, c0, r1, c1, k=8)
            for r0, r1 in itertools.pairwise(rows)
            for c0, c1 in itertools.pairwise(cols)
        )

    def mean_m2(self) -> float:
        """Mean ground area (m²) of a pixel of the grid."""
        pixels = self.width * self.height
        return self.total_m2() / pixels if pixels else 0.0
