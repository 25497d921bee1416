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
  coordinates) is read with xarray (:func:`geoverify.io.sources.georeference`, the
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
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError
from geoverify.geo.grid import grid_resolution
from geoverify.io.sources import (
    crs_fix_hint,
    georeference,
    open_raster,
    probe_pixels,
    raster_source,
)
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
    """The effective-resolution screen of :mod:`geoverify.stats.sharpness`."""
    from geoverify.stats import sharpness

    return sharpness.screen_upsampling(location, band=int(evidence.get("band", 1)))
