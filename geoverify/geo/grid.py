"""Ground pixel size of a grid: the pixel-size rules shared by files and STAC metadata.

For geographic grids the size is geodesic, at the data's centre latitude; for
projected grids it is the grid spacing, unless the projection's scale at the
data's centre departs from 1 by more than :data:`_SCALE_TOLERANCE` (Web
Mercator, sinusoidal far from its central meridian) — then the geodesic spacing
between grid lines on the ground decides, and the grid spacing is reported.
"""

from __future__ import annotations

import math
from typing import Any

from geoverify.errors import EvidenceError

_SCALE_TOLERANCE = 0.01



def grid_resolution(
    transform: Any,
    crs: Any,
    width: int,
    height: int,
    *,
    source: str | None = None,
    no_crs_hint: str | None = None,
) -> dict[str, Any]:
    """Pixel size in metres of a grid given by its transform, CRS and shape (no I/O).

    The rules of :func:`nominal_resolution`; used as well for grids described
    only by metadata (STAC ``proj:transform`` and ``proj:shape``).  ``no_crs_hint``
    replaces the default advice for a grid without CRS (``gdal_edit.py``, which
    suits GeoTIFF only).
    """
    if transform.is_identity and crs is None:
        raise EvidenceError(
            "the raster is not georeferenced (identity transform, no CRS)",
            source=source,
            hint=no_crs_hint
            or "Deliver the raster with its geotransform and CRS (a GeoTIFF with an EPSG code).",
        )
    step_x = math.hypot(transform.a, transform.d)
    step_y = math.hypot(transform.b, transform.e)
    rotation = math.degrees(math.atan2(transform.d, transform.a))
    if crs is None:
        raise EvidenceError(
            f"the raster has no CRS: its pixel size is {step_x:g} × {step_y:g} in unknown units",
            source=source,
            hint=no_crs_hint
            or "Declare the CRS in the file (e.g. `gdal_edit.py -a_srs EPSG:32650`).",
        )
    out: dict[str, Any] = {**_crs_keys(crs), "grid_step": [step_x, step_y]}
    if abs(rotation) > 1e-9 or transform.b != 0:
        out["rotation_deg"] = rotation
    cx, cy = transform @ (width / 2.0, height / 2.0)
    if crs.is_geographic:
        out.update(_geographic(transform, width, height, cx, cy, step_x, step_y))
    else:
        out.update(_projected(crs, cx, cy, step_x, step_y))
    x_m, y_m = out["x_m"], out["y_m"]
    out["pixel_size_m"] = max(x_m, y_m)
    out["axis"] = "x (columns, east–west)" if x_m >= y_m else "y (rows, north–south)"
    out["square"] = math.isclose(x_m, y_m, rel_tol=1e-3)
    nominal = nominal_class_m(
        max(step_x, step_y),
        geographic=crs.is_geographic,
        factor=1.0 if crs.is_geographic else float(crs.linear_units_factor[1]),
    )
    if nominal is not None:
        out["nominal_class_m"] = nominal
    return out


#: Conventional names of geographic grid spacings (arc-seconds → the product class in
#: metres): SRTM/Copernicus DEM 1″ (30 m) and 3″ (90 m); MODIS 7.5″ (250 m), 15″
#: (500 m) and 30″ (1 km) climate-modelling grids; ESA CCI / C3S 1/360° = 10″ (300 m);
#: 0.05° = 180″ (5 km CMG).  A spacing within 1% of one of these is that class.
ARCSEC_CLASSES_M: dict[float, float] = {
    1.0: 30.0,
    3.0: 90.0,
    7.5: 250.0,
    10.0: 300.0,
    15.0: 500.0,
    30.0: 1000.0,
    180.0: 5000.0,
}


def nominal_class_m(step: float, *, geographic: bool, factor: float = 1.0) -> float | None:
    """The grid's nominal class in metres, as products name it (the "300 m" 1/360° grid).

    Geographic grids: the conventional class of :data:`ARCSEC_CLASSES_M` when the
    spacing (degrees) is within 1% of one, else ``None`` (no conventional name).
    Projected grids: the coarser grid step itself, in metres (``factor``: metres
    per CRS unit), rounded to 0.1 mm.
    This is the alternative, "nominal grid class" reading of a resolution rule;
    the primary reading is the geodesic size (:func:`grid_resolution`).
    """
    if not geographic:
        return round(step * factor, 4)
    arcsec = step * 3600.0
    for seconds, class_m in ARCSEC_CLASSES_M.items():
        if math.isclose(arcsec, seconds, rel_tol=0.01):
            return class_m
    return None



def _crs_keys(crs: Any) -> dict[str, str]:
    """``crs``: the authority code (``EPSG:32650``), else the CRS's name; ``crs_wkt`` then.

    A CRS without an authority code (a custom Albers, MODIS sinusoidal) is
    named by pyproj's ``CRS.name`` (``"unnamed Sinusoidal"`` when the file calls
    it "unknown"), and its full definition is kept under ``crs_wkt``.
    """
    import pyproj

    authority = crs.to_authority()
    if authority:
        return {"crs": f"{authority[0]}:{authority[1]}"}
    wkt = crs.to_wkt()
    try:
        definition = pyproj.CRS.from_wkt(wkt)
    except pyproj.exceptions.CRSError:
        return {"crs": "custom CRS", "crs_wkt": wkt}
    name = (definition.name or "").strip()
    if name.lower() in ("", "unknown", "unnamed", "undefined"):
        operation = definition.coordinate_operation
        kind = operation.method_name if operation is not None else definition.type_name
        name = f"unnamed {kind}"
    return {"crs": name, "crs_wkt": wkt}



def _projected(crs: Any, cx: float, cy: float, step_x: float, step_y: float) -> dict[str, Any]:
    unit, factor = crs.linear_units_factor
    x_m, y_m = step_x * factor, step_y * factor
    out: dict[str, Any] = {"units": unit, "method": "projected grid spacing"}
    try:
        import pyproj

        to_lonlat = pyproj.Transformer.from_crs(crs.to_wkt(), "EPSG:4326", always_xy=True)
        geod = pyproj.Geod(ellps="WGS84")
        _, lat = to_lonlat.transform(cx, cy)
        west = to_lonlat.transform(cx - step_x / 2, cy)
        east = to_lonlat.transform(cx + step_x / 2, cy)
        south = to_lonlat.transform(cx, cy - step_y / 2)
        north = to_lonlat.transform(cx, cy + step_y / 2)
        az_x, _, along_x = geod.inv(*west, *east)
        az_y, _, along_y = geod.inv(*south, *north)
    except Exception:  # a CRS PROJ cannot invert: keep the grid spacing
        return {**out, "x_m": x_m, "y_m": y_m}
    if not (math.isfinite(along_x) and math.isfinite(along_y)) or min(along_x, along_y) <= 0:
        return {**out, "x_m": x_m, "y_m": y_m}
    # On the ground one pixel is a parallelogram with sides along_x, along_y at an angle;
    # the spacing between successive grid lines is its area over the other side.
    sine = abs(math.sin(math.radians(az_y - az_x)))
    ground_x, ground_y = along_x * sine, along_y * sine
    kx, ky = x_m / ground_x, y_m / ground_y
    out["latitude"] = lat
    out["scale_factor"] = [kx, ky]
    if max(abs(kx - 1), abs(ky - 1)) > _SCALE_TOLERANCE:
        out["method"] = (
            f"geodesic ground spacing of the grid lines at the data's centre (lat {lat:.4f}°): "
            f"the projection's scale factor ({kx:.4f}, {ky:.4f}) departs from 1 by more than "
            f"{_SCALE_TOLERANCE:.0%}"
        )
        out["grid_m"] = [x_m, y_m]
        if abs(sine - 1) > 1e-6:
            out["shear_deg"] = 90.0 - math.degrees(math.asin(min(1.0, sine)))
            out["ground_step_m"] = [along_x, along_y]
        x_m, y_m = ground_x, ground_y
    return {**out, "x_m": x_m, "y_m": y_m}



def _geographic(
    transform: Any, width: int, height: int, cx: float, cy: float, step_x: float, step_y: float
) -> dict[str, Any]:
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")

    def sizes(lat: float) -> tuple[float, float]:
        lat = max(-89.999999, min(89.999999, lat))
        _, _, dx = geod.inv(cx - step_x / 2, lat, cx + step_x / 2, lat)
        lat0, lat1 = max(-90.0, lat - step_y / 2), min(90.0, lat + step_y / 2)
        _, _, dy = geod.inv(cx, lat0, cx, lat1)
        return abs(dx), abs(dy)

    x_m, y_m = sizes(cy)
    lats = [transform @ (0, 0), transform @ (width, height), transform @ (0, height)]
    lat_min = max(-90.0, min(p[1] for p in lats))
    lat_max = min(90.0, max(p[1] for p in lats))
    equatorward = 0.0 if lat_min <= 0.0 <= lat_max else min(lat_min, lat_max, key=abs)
    poleward = max(lat_min, lat_max, key=abs)
    x_hi, y_lo = sizes(equatorward)
    x_lo, y_hi = sizes(poleward)
    return {
        "units": "degree",
        "method": (
            f"geodesic size of one pixel step on the WGS 84 ellipsoid at the data's centre "
            f"latitude {cy:.4f}°"
        ),
        "latitude": cy,
        "x_m": x_m,
        "y_m": y_m,
        "x_range_m": [x_lo, x_hi],
        "y_range_m": [min(y_lo, y_hi), max(y_lo, y_hi)],
        "latitude_range": [lat_min, lat_max],
    }
