"""Area of raster cells, per row: geodesic on the ellipsoid for geographic grids.

For a geographic (longitude/latitude) grid every cell of a row has the same
area, the area of an ellipsoidal quadrangle between two parallels and two
meridians, which has a closed form (the integral of the authalic latitude).
For a projected grid the cell area is the constant ``|a · e|`` of the affine
transform in square metres: exact on the map, and a true area only in an
equal-area projection (the result says which).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError

__all__ = ["cell_areas_km2", "quadrangle_area_km2"]


def _zone(phi: np.ndarray, e: float) -> np.ndarray:
    """``q(φ) / 2``: the area from the equator to latitude φ is ``b² Δλ q(φ) / 2``."""
    s = np.sin(phi)
    if e == 0.0:
        return s
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


def cell_areas_km2(transform: Any, height: int, crs: Any) -> tuple[np.ndarray, str]:
    """Area of one cell of every row of a grid, km².

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
        ``"geodesic"`` (geographic grid, on the CRS's ellipsoid),
        ``"planar, equal-area"`` or ``"planar"`` (projected grid, constant per cell).

    Raises
    ------
    EvidenceError
        No CRS, a rotated transform, or cell edges more than half a cell beyond ±90°
        (edges within half a cell, as in grids with cell centres on the poles, are
        clipped to the poles).

    References
    ----------
    Snyder, J. P. (1987). Map Projections — A Working Manual. USGS Professional Paper 1395.
    """
    from pyproj import CRS

    if height < 0:
        raise ValueError(f"height must be >= 0, got {height}")
    if crs is None:
        raise EvidenceError("the grid has no CRS: cell areas are unknown", hint="Set a CRS.")
    if transform.b != 0 or transform.d != 0:
        raise EvidenceError(
            "rotated grid: cell areas per row assume a north-up transform",
            hint="Warp the raster to a north-up grid.",
        )
    pcrs = CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    if pcrs.is_geographic:
        ellipsoid = pcrs.ellipsoid
        a = ellipsoid.semi_major_metre if ellipsoid else 6378137.0
        rf = ellipsoid.inverse_flattening if ellipsoid else 298.257223563
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
        areas = quadrangle_area_km2(edges[:-1], edges[1:], transform.a, a=a, rf=rf or 0.0)
        return areas, "geodesic"
    unit = pcrs.axis_info[0].unit_conversion_factor if pcrs.axis_info else 1.0
    cell = abs(transform.a * transform.e) * unit * unit / 1e6
    equal_area = _is_equal_area(pcrs)
    return np.full(height, cell), "planar, equal-area" if equal_area else "planar"


def _is_equal_area(crs: Any) -> bool:
    name = (crs.coordinate_operation.method_name if crs.coordinate_operation else "").lower()
    return any(
        word in name
        for word in ("equal area", "equal-area", "sinusoidal", "mollweide", "eckert iv")
    )
