"""Ground pixel size in metres, from a raster's transform and CRS.

Rules (shown in every result):

- projected CRS: the grid spacing converted to metres with the CRS's linear
  unit.  When the projection's scale factor at the data's centre departs from 1
  by more than 1% (Web Mercator away from the equator, for instance) the grid
  spacing is not a ground distance: the ground size at the centre decides and
  the factor is reported;
- geographic CRS: each axis is converted to metres on the WGS 84 ellipsoid
  (geodesic distance of one pixel step, ``pyproj.Geod``) at the latitude of the
  data's centre; the range over the data's latitudes is reported too;
- the coarser axis decides (``axis = "coarser"``), and both axes are reported;
- rotated grids: the pixel size along each grid axis (the norms of the
  transform's columns), with the rotation angle;
- a raster without CRS has no ground size: it is an error, not a guess.  A
  NetCDF variable whose CRS GDAL does not find but which the file states in its
  attributes (a ``crs`` attribute, a CF ``grid_mapping``, CF latitude/longitude
  coordinates) is read with xarray (:func:`geoverify.sources.georeference`, the
  fallback the area and country checks share) and ``crs_source`` says so.

In a file holding several variables (NetCDF, HDF5), the evidence key
``variable`` (``--variable`` on the command line) names the one measured.

References
----------
Karney, C. F. F. (2013). Algorithms for geodesics. Journal of Geodesy 87, 43–55
(the geodesic solver behind ``pyproj.Geod``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import EvidenceError
from .measurement import Measurement
from .sources import crs_fix_hint, georeference, open_raster, probe_pixels, raster_source

if TYPE_CHECKING:
    from .checks import Context
    from .submission import Evidence

__all__ = ["grid_resolution", "measure_resolution", "nominal_resolution"]

_SCALE_TOLERANCE = 0.01


def nominal_resolution(location: str, variable: str | None = None) -> dict[str, Any]:
    """Pixel size of the raster at ``location`` in metres, both axes, with the rule used.

    Parameters
    ----------
    location : str
        Path, URL or GDAL subdataset name (``NETCDF:"path":var``).
    variable : str, optional
        The variable of a file holding several (NetCDF, HDF5).

    Returns
    -------
    dict
        ``x_m``, ``y_m`` (ground size along the grid's columns and rows),
        ``pixel_size_m`` (the coarser axis), ``axis`` (which axis decided),
        ``crs``, ``units`` (the CRS's linear unit), ``latitude`` (where a
        geographic size was evaluated), ``method`` and, as relevant,
        ``rotation_deg``, ``scale_factor``, ``x_range_m``/``y_range_m``,
        ``variable``, ``crs_source`` (when the CRS came from the file's
        attributes, read with xarray).

    Raises
    ------
    EvidenceError
        When the raster is not georeferenced, or holds several variables and
        none is named.
    """
    source = raster_source(location, variable)
    with open_raster(source) as ds:
        crs, transform, crs_source, transform_source = georeference(ds, source)
        width, height = ds.width, ds.height
        driver = ds.driver
        probe_pixels(ds, source)
    notes: dict[str, str] = {}
    if crs_source is not None:
        notes["crs_source"] = crs_source
    if transform_source is not None:
        notes["transform_source"] = transform_source
    info = grid_resolution(
        transform, crs, width, height, source=source, no_crs_hint=crs_fix_hint(source, driver)
    )
    if variable is not None:
        info["variable"] = variable
    info.update(notes)
    return info


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
    return out


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


def measure_resolution(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> Measurement:
    """The ground pixel size of the evidence raster (key ``raster``), coarser axis deciding.

    A declared ``tolerance`` (metres) is shown in the result but never applied:
    the call's threshold is the rule.
    """
    location = evidence.location("raster")
    assert location is not None
    variable = evidence.get("variable")
    source = raster_source(location, variable)
    info = nominal_resolution(source)
    info["file"] = evidence.display(location)
    if variable is not None:
        info["variable"] = variable
    axis = params.get("axis", "coarser")
    if axis != "coarser":
        raise EvidenceError(f"unknown axis rule {axis!r}", source=evidence.where)
    value = info["pixel_size_m"]
    message = (
        f"pixel {info['x_m']:.6g} m (x) × {info['y_m']:.6g} m (y); the coarser axis, "
        f"{info['axis']}, decides; {info['method']}"
    )
    tolerance = evidence.get("tolerance")
    if "crs_source" in info:
        message += f"; CRS from {info['crs_source']}"
    if "transform_source" in info:
        message += f"; grid from {info['transform_source']}"
    if tolerance is not None:
        info["declared_tolerance_m"] = tolerance
        message += f"; a tolerance of {tolerance} m is declared by the submission but not applied"
    item = _stac_item(evidence)
    if item is not None:
        from .stac import compare_metadata_to_data

        disagreement = compare_metadata_to_data(item, value)
        if disagreement:
            info["metadata_disagreement"] = disagreement
            message += f"; STAC metadata disagree with the data: {disagreement}"
    screen = _upsampling_screen(source, evidence, context)
    if screen is not None:
        info["effective_resolution"] = screen
        factor = screen.get("factor")
        if not screen.get("screened", True):
            message += "; upsampling screen not applied (constant or empty data)"
        if screen.get("upsampled") and factor:
            effective = value * factor
            info["nominal_pixel_size_m"] = value
            message = (
                f"nominal {value:.4g} m, but the data look upsampled about {factor}× "
                f"({screen.get('method')}): effective resolution ≈ {effective:.4g} m decides. "
                + message
            )
            value = effective
    return Measurement(value, "m", details=info, message=message)


def _stac_item(evidence: Evidence) -> Any:
    """The STAC item the raster came from, when the evidence was discovered through STAC."""
    item = evidence.get("stac_item")
    resolved = evidence.get("stac_resolved")
    if item is None and resolved is not None and len(resolved.items) == 1:
        item = resolved.items[0]
    return item


def _upsampling_screen(
    location: str, evidence: Evidence, context: Context
) -> dict[str, Any] | None:
    """The effective-resolution screen of :mod:`geoverify.sharpness`, where available."""
    import importlib.util

    if importlib.util.find_spec("geoverify.sharpness") is None:
        return None
    from . import sharpness

    return sharpness.screen_upsampling(location, band=int(evidence.get("band", 1)))
