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
  coordinates) is read with xarray (:func:`geoverify.io.raster.georeference`, the
  fallback the area and country checks share) and ``crs_source`` says so.

In a file holding several variables (NetCDF, HDF5), the evidence key
``variable`` (``--variable`` on the command line) names the one measured.

References
----------
Karney, C. F. F. (2013). Algorithms for geodesics. Journal of Geodesy 87, 43–55
(the geodesic solver behind ``pyproj.Geod``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError
from geoverify.geo.grid import grid_resolution
from geoverify.io.mosaic import raster_locations
from geoverify.io.raster import crs_fix_hint, georeference, open_raster, probe_pixels, raster_source
from geoverify.io.swath import find_swath, ground_pixel_size, open_swath
from geoverify.model import Measurement

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = ["grid_resolution", "measure_resolution", "nominal_resolution"]


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


def measure_resolution(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> Measurement:
    """The ground pixel size of the evidence rasters, coarser axis and coarsest file deciding.

    ``raster`` (one file) and/or ``rasters`` (several: tiles, epochs, the items of
    a STAC search, or globs confined to the submission's folder) are each measured,
    a file listed twice once (:data:`geoverify.io.mosaic.DUPLICATE_RULE`); with
    several files the value is the coarsest file's pixel size (every file must
    meet the promise) and the details list each file.  A declared ``tolerance``
    (metres) is shown in the result but never applied: the call's threshold is
    the rule.
    """
    axis = params.get("axis", "coarser")
    if axis != "coarser":
        raise EvidenceError(f"unknown axis rule {axis!r}", source=evidence.where)
    listed = raster_locations(
        evidence,
        hint='Add `raster = "map.tif"` or `rasters = ["tile_1.tif", …]` (or a `stac` '
        f"search) to the evidence of {evidence.indicator}.",
    )
    locations = listed.paths
    items = _stac_items(evidence)
    results = [
        _measure_one(
            evidence, location, items[k] if len(items) == len(locations) else None, context
        )
        for k, location in enumerate(locations)
    ]
    if len(results) == 1:
        if not listed.repeats:
            return results[0]
        one = results[0]
        return replace(
            one,
            details={**one.details, **listed.details()},
            message=f"{one.message}; {listed.note()}",
        )
    coarsest = max(results, key=lambda m: float(m.value))
    details = dict(coarsest.details)
    details["files"] = [
        {
            "file": m.details.get("file"),
            "pixel_size_m": float(m.value),
            "x_m": m.details.get("x_m"),
            "y_m": m.details.get("y_m"),
            "crs": m.details.get("crs"),
        }
        for m in results
    ]
    details["rule"] = "each file measured; the coarsest file decides"
    details.update(listed.details())
    sizes = [float(m.value) for m in results]
    message = (
        f"{len(results)} files measured, pixel {min(sizes):.6g}–{max(sizes):.6g} m; the "
        f"coarsest, {details.get('file')}, decides: {coarsest.message}"
    )
    if listed.repeats:
        message += f"; {listed.note()}"
    return Measurement(coarsest.value, "m", details=details, message=message)


def _measure_one(evidence: Evidence, location: str, item: Any, context: Context) -> Measurement:
    variable = evidence.get("variable")
    if find_swath(location, variable):  # an L2 swath: the geolocation gives the pixel size
        size = ground_pixel_size(open_swath(location, str(variable)))
        if size["pixel_size_m"] is None:
            raise EvidenceError(
                "no two neighbouring valid pixels: the swath's ground-pixel size is unknown",
                source=evidence.display(location),
            )
        size.update(file=evidence.display(location), variable=variable, axis="coarser")
        return Measurement(
            size["pixel_size_m"],
            "m",
            details=size,
            message=f"swath ground pixel {size['pixel_size_m']:.6g} m: {size['rule']}",
        )
    source = raster_source(location, variable)
    info = nominal_resolution(source)
    info["file"] = evidence.display(location)
    if variable is not None:
        info["variable"] = variable
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
    if item is not None:
        from geoverify.io.stac import compare_metadata_to_data

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
            if info.get("nominal_class_m") is not None:  # the class of what the data resolve
                info["nominal_class_m"] = info["nominal_class_m"] * factor
    return Measurement(value, "m", details=info, message=message)


def _stac_items(evidence: Evidence) -> list[Any]:
    """The STAC items the rasters came from, in order, when discovered through STAC."""
    item = evidence.get("stac_item")
    if item is not None:
        return [item]
    resolved = evidence.get("stac_resolved")
    return list(resolved.items) if resolved is not None else []


def _upsampling_screen(
    location: str, evidence: Evidence, context: Context
) -> dict[str, Any] | None:
    """The effective-resolution screen of :mod:`geoverify.stats.sharpness`."""
    from geoverify.stats import sharpness

    return sharpness.screen_upsampling(location, band=int(evidence.get("band", 1)))
