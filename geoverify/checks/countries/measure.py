"""Which countries the data cover: rasters (screened), polygons, points or listed codes.

Rules (shown in every measurement's ``details["counting_rule"]``):

- **Raster.** The valid-data mask is read at reduced resolution — at most
  :data:`SCREEN_EDGE` cells along each axis, through the file's overviews when
  it has them (rasterio ``out_shape=`` reads, nearest neighbour) — and country
  boundaries are burnt onto that screened grid (a cell belongs to the country
  holding its centre).  A country counts when at least
  ``max(MIN_CELLS, MIN_SHARE × valid screened cells)`` valid cells fall in it,
  so slivers along coastlines and borders (a generalised 1:110m boundary is off
  by kilometres) do not add countries.
- **Polygons.** The overlap of the dissolved polygons with each country is
  measured in km² (equal-area EPSG:6933).  A country counts when the overlap is
  at least :data:`MIN_OVERLAP_KM2` **and** either at least
  :data:`MIN_COUNTRY_SHARE` of the **country's own** area or at least
  :data:`MIN_EVIDENCE_SHARE` of the polygons' area.  The country share lets small
  countries count in large evidence (Luxembourg is 2 600 km², far below
  ``1e-4`` of a continental footprint); the evidence share lets a small site
  count the large country it lies in.  Slivers along borders and coastlines
  between neighbours (the bundled 1:110m boundaries are off by up to a few
  kilometres) stay below both: with each Natural Earth country as evidence,
  the slivers it leaves in its neighbours are at most 0.08% of the neighbour's
  area and 0.05% of the evidence (Suriname's 68 km² strip of French Guiana),
  against 5% and 0.1% needed.  The country share does not apply to the
  countries the bundled data represent by a capital disc (``approx``): a disc
  is a location, not the country's area, and the generalised polygon of a
  neighbour swallows it whole (Natural Earth's China covers Hong Kong's disc,
  its Malaysia Singapore's); they count by the evidence share only.
- **Points / sites.** A country counts with one point inside it; a point in no
  country (generalised coastlines) goes to the nearest country within
  :data:`NEAREST_DEG` degrees, else it is reported as unassigned.
- **Listed codes** (``countries = ["KEN", ...]``) count as given (names are
  converted to ISO 3166-1 alpha-3).

Countries represented in the bundled data only by a disc at their capital
(micro-states, small islands: ``approx``) take precedence over the polygons
they overlap.  Sources are combined (union), then the region filter applies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.geo.regions import (
    NEAREST_DEG,
    REGIONS,
    countries_of_lonlat,
    countries_of_points,
    country_boundaries,
    country_code,
    country_name,
    region_members,
)
from geoverify.io.mosaic import (
    OVERLAP_RULE,
    Tile,
    earlier_cover,
    open_tiles,
    overlapping_earlier,
    raster_locations,
)
from geoverify.io.swath import find_swath, open_swath
from geoverify.io.vector import read_vector
from geoverify.model import Measurement

if TYPE_CHECKING:
    import geopandas as gpd

    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = [
    "MIN_CELLS",
    "MIN_COUNTRY_SHARE",
    "MIN_EVIDENCE_SHARE",
    "MIN_OVERLAP_KM2",
    "MIN_SHARE",
    "SCREEN_EDGE",
    "cell_centres_lonlat",
    "count_countries",
    "countries_of_polygons",
    "countries_of_raster",
    "countries_of_swath",
    "measure_countries",
]

#: Longest edge (cells) of the screened grid of a raster.
SCREEN_EDGE = 2048
#: A country needs at least this many valid screened cells ...
MIN_CELLS = 3
#: ... and at least this share of the valid screened cells.
MIN_SHARE = 1e-4
#: A polygon overlap below this area (km²) does not count a country.
MIN_OVERLAP_KM2 = 1.0
#: ... above it, a country counts when the overlap is this share of the country's own
#: area ...
MIN_COUNTRY_SHARE = 0.05
#: ... or this share of the (dissolved) polygon area.
MIN_EVIDENCE_SHARE = 1e-3

_EQUAL_AREA = "EPSG:6933"


def countries_of_raster(
    location: str,
    boundaries: gpd.GeoDataFrame,
    *,
    band: int = 1,
    variable: str | None = None,
    earlier: Sequence[Tile] = (),
) -> dict[str, Any]:
    """Screen a raster's valid data at reduced resolution and count cells per country.

    ``variable`` names the variable read in a file holding several (NetCDF,
    HDF5): see :func:`geoverify.io.raster.raster_source`.  A NetCDF variable whose
    CRS GDAL does not find but which the file states in its attributes (a ``crs``
    attribute, a CF ``grid_mapping``, CF latitude/longitude coordinates) gets it
    from :func:`geoverify.io.raster.georeference`, as for the pixel size and area.

    ``earlier`` holds the tiles listed before this one in a deliverable of
    several (:func:`geoverify.io.mosaic.overlapping_earlier`): screened cells whose
    centre lies in one of their extents are not counted again
    (:data:`geoverify.io.mosaic.OVERLAP_RULE`); a tile wholly covered by earlier
    ones then counts no cell.

    Returns
    -------
    dict
        ``cells`` (ISO3 -> valid screened cells), ``valid_cells``, ``screen`` (shape,
        cell size, decimation, overviews used), ``outside`` (valid cells in no country).

    Raises
    ------
    EvidenceError
        Without CRS or without valid data.
    """
    import rasterio
    from rasterio.enums import Resampling

    from geoverify.io.masks import valid_mask
    from geoverify.io.raster import georeference, open_raster, raster_source, read_failure

    name = raster_source(location, variable)
    with open_raster(name) as ds:
        if band < 1 or band > ds.count:
            raise EvidenceError(
                f"band {band} does not exist (the raster has {ds.count})",
                source=location,
                hint="Set `band` to an existing band.",
            )
        crs, full, crs_source, _ = georeference(ds, name, unknown="its countries are unknown")
        factor = max(1, math.ceil(max(ds.width, ds.height) / SCREEN_EDGE))
        shape = (max(1, ds.height // factor), max(1, ds.width // factor))
        try:
            # a decimated read takes a few rows of every block of a block row: with a cache
            # smaller than a block row, GDAL decodes each block once per sampled row (25 s
            # instead of 3.4 s for a global 1/360° int16 product)
            with rasterio.Env(GDAL_CACHEMAX=screen_cache_bytes(ds)):
                data = ds.read(band, out_shape=shape, resampling=Resampling.nearest)
        except Exception as exc:  # rasterio raises RasterioIOError / CPLE_* types
            raise read_failure(location, exc) from None
        nodata = ds.nodatavals[band - 1]
        transform = full @ full.scale(ds.width / shape[1], ds.height / shape[0])
        overviews = ds.overviews(band)
    valid = valid_mask(data, nodata)
    if earlier:
        screened = Tile(name, crs, transform, shape[1], shape[0], nodata, (-180, -90, 180, 90))
        valid &= ~earlier_cover(screened, earlier, 0, 0, shape[0], shape[1])
    n_valid = int(valid.sum())
    if n_valid == 0 and not earlier:
        raise EvidenceError(
            "the raster holds no valid data at the screening resolution",
            source=location,
            hint="Check the nodata value and that the file is the intended deliverable.",
        )
    lon, lat = cell_centres_lonlat(transform, crs, valid)
    counts = count_countries(lon, lat, boundaries)
    cell_x, cell_y = abs(transform.a), abs(transform.e)
    screen: dict[str, Any] = {
        "shape": list(shape),
        "decimation": factor,
        "cell_size": [cell_x, cell_y],
        "cell_units": "degree" if crs.is_geographic else "metre",
        "overviews": overviews,
        "resampling": "nearest",
        "assignment": "valid cell centres transformed to WGS 84 longitude/latitude (PROJ), "
        "longitudes wrapped to [-180, 180), point-in-polygon",
    }
    if crs_source is not None:
        screen["crs_source"] = crs_source
    cells = counts["cells"]
    return {"cells": cells, "valid_cells": n_valid, "outside": counts["outside"], "screen": screen}


#: Bounds of the GDAL block cache during the decimated screening read (bytes).
SCREEN_CACHE_MIN, SCREEN_CACHE_MAX = 64 * 2**20, 1 << 30


def screen_cache_bytes(ds: Any) -> int:
    """A GDAL block cache holding two block rows of the band (within 64 MiB – 1 GiB)."""
    block_h, _block_w = ds.block_shapes[0]
    itemsize = max(np.dtype(t).itemsize for t in ds.dtypes)
    need = 2 * int(block_h) * int(ds.width) * itemsize
    return int(min(SCREEN_CACHE_MAX, max(SCREEN_CACHE_MIN, need)))


def cell_centres_lonlat(transform: Any, crs: Any, valid: np.ndarray) -> tuple[Any, Any]:
    """WGS 84 longitude/latitude of the centres of the ``valid`` cells of a grid.

    Centres are transformed point by point with PROJ (never the grid's bounds,
    which fold across the antimeridian and the poles); cells PROJ cannot
    transform come back as NaN and belong to no country.
    """
    from pyproj import Transformer

    rows, cols = np.nonzero(valid)
    xs, ys = transform * (cols + 0.5, rows + 0.5)
    xs, ys = np.asarray(xs, dtype="float64"), np.asarray(ys, dtype="float64")
    if crs.is_geographic and crs.to_epsg() == 4326:
        return xs, ys
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(xs, ys, errcheck=False)
    lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    bad = ~(np.isfinite(lon) & np.isfinite(lat)) | (np.abs(lat) > 90.0)
    return np.where(bad, np.nan, lon), np.where(bad, np.nan, lat)


def count_countries(lon: Any, lat: Any, boundaries: gpd.GeoDataFrame) -> dict[str, Any]:
    """``cells`` (ISO3 -> number of points inside) and ``outside`` (points in no country)."""
    index, codes = countries_of_lonlat(lon, lat, boundaries)
    counts = np.bincount(index.ravel(), minlength=len(codes) + 1)
    cells: dict[str, int] = {}
    for i in np.nonzero(counts)[0]:
        if i > 0:
            cells[codes[i - 1]] = cells.get(codes[i - 1], 0) + int(counts[i])
    return {"cells": cells, "outside": int(counts[0])}


def _screen_rasters(
    locations: Sequence[str], boundaries: gpd.GeoDataFrame, evidence: Evidence
) -> dict[str, Any]:
    """Screened cells per country of one raster, or of tiles with overlaps counted once."""
    from geoverify.io.raster import raster_source

    variable = evidence.get("variable")
    band = int(evidence.get("band", 1))
    if len(locations) == 1:
        location = locations[0]
        if find_swath(location, variable):
            return countries_of_swath(location, str(variable), boundaries)
        return countries_of_raster(location, boundaries, band=band, variable=variable)
    ordered = sorted(locations)
    if any(find_swath(loc, variable) for loc in ordered):
        raise EvidenceError(
            "several files including a swath: the overlap rule is not applied to swaths, so "
            "their pixels cannot be combined without counting overlaps twice",
            source=", ".join(evidence.display(loc) for loc in ordered),
            hint="Give one swath per indicator, or the gridded tiles only.",
        )
    tiles = open_tiles([raster_source(loc, variable) for loc in ordered])
    earlier_of = overlapping_earlier(tiles)
    cells: dict[str, int] = {}
    valid = outside = 0
    per_tile = []
    for location, earlier in zip(ordered, earlier_of, strict=True):
        one = countries_of_raster(
            location, boundaries, band=band, variable=variable, earlier=earlier
        )
        for iso3, n in one["cells"].items():
            cells[iso3] = cells.get(iso3, 0) + n
        valid += one["valid_cells"]
        outside += one["outside"]
        per_tile.append({"file": evidence.display(location), **one["screen"]})
    if valid == 0:
        raise EvidenceError(
            "the rasters hold no valid data at the screening resolution",
            source=", ".join(evidence.display(loc) for loc in ordered),
            hint="Check the nodata value and that the files are the intended deliverable.",
        )
    screen = {"tiles": per_tile, "overlap_rule": OVERLAP_RULE}
    return {"cells": cells, "valid_cells": valid, "outside": outside, "screen": screen}


def countries_of_swath(
    location: str, variable: str, boundaries: gpd.GeoDataFrame
) -> dict[str, Any]:
    """Count the valid pixels of a swath (L2) variable per country, by their centres.

    Every valid pixel (finite value and position) counts, located by its
    latitude/longitude arrays (:func:`geoverify.io.swath.open_swath`); the
    counting rule is the raster's, pixels standing for screened cells.
    """
    swath = open_swath(location, variable)
    valid = swath.valid
    n_valid = int(valid.sum())
    if n_valid == 0:
        raise EvidenceError(
            f"the swath variable {variable!r} holds no valid pixel",
            source=location,
            hint="Check the fill value and that the file is the intended deliverable.",
        )
    counts = count_countries(swath.lon[valid], swath.lat[valid], boundaries)
    screen = {
        "swath": {"variable": variable, **swath.sources},
        "assignment": "valid pixel centres (latitude/longitude arrays of the swath), "
        "longitudes wrapped to [-180, 180), point-in-polygon",
    }
    return {
        "cells": counts["cells"],
        "valid_cells": n_valid,
        "outside": counts["outside"],
        "screen": screen,
    }


def countries_of_polygons(
    polygons: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame
) -> dict[str, Any]:
    """Overlap (km², equal-area EPSG:6933) of dissolved polygons with each country.

    Returns
    -------
    dict
        ``overlap_km2`` (ISO3 -> km²), ``country_km2`` (ISO3 -> the country's own
        area, for the countries overlapped), ``area_km2`` (total polygon area),
        ``counted`` (ISO3 -> the reason it counts) and ``marginal`` (ISO3 -> why
        not), by the polygon rule of the module docstring.
    """
    if polygons.crs is None:
        raise EvidenceError(
            "the polygons have no CRS",
            hint="Save the polygons with their CRS (e.g. EPSG:4326).",
        )
    union = polygons.to_crs("EPSG:4326").make_valid().union_all()
    bounds = boundaries[boundaries.intersects(union)]
    pieces = bounds.assign(geometry=bounds.geometry.intersection(union)).to_crs(_EQUAL_AREA)
    whole = bounds.to_crs(_EQUAL_AREA)
    overlap: dict[str, float] = {}
    country: dict[str, float] = {}
    disc: set[str] = set()
    approx = bounds["approx"] if "approx" in bounds else [False] * len(bounds)
    for iso3, area, own, is_disc in zip(
        pieces["iso3"], pieces.geometry.area / 1e6, whole.geometry.area / 1e6, approx, strict=True
    ):
        overlap[iso3] = overlap.get(iso3, 0.0) + float(area)
        country[iso3] = country.get(iso3, 0.0) + float(own)
        if is_disc:
            disc.add(iso3)
    import geopandas as gpd

    total = float(gpd.GeoSeries([union], crs="EPSG:4326").to_crs(_EQUAL_AREA).area.iloc[0] / 1e6)
    counted: dict[str, str] = {}
    marginal: dict[str, str] = {}
    for iso3, km2 in sorted(overlap.items()):
        share = km2 / country[iso3] if country[iso3] > 0 else 0.0
        text = f"{km2:,.1f} km2 overlap ({100 * share:.3g}% of the country)"
        enough = (share >= MIN_COUNTRY_SHARE and iso3 not in disc) or (
            km2 >= MIN_EVIDENCE_SHARE * total
        )
        if km2 >= MIN_OVERLAP_KM2 and enough:
            counted[iso3] = text
        elif km2 < MIN_OVERLAP_KM2:
            marginal[iso3] = f"{km2:,.3f} km2 overlap < {MIN_OVERLAP_KM2:g} km2"
        else:
            below = f"< {MIN_EVIDENCE_SHARE * total:,.3f} km2 ({MIN_EVIDENCE_SHARE:g} x area)"
            marginal[iso3] = (
                f"{km2:,.3f} km2 overlap of a capital disc {below}"
                if iso3 in disc
                else f"{km2:,.3f} km2 overlap, {100 * share:.3g}% of the country "
                f"< {100 * MIN_COUNTRY_SHARE:g}%, and {below}"
            )
    return {
        "overlap_km2": overlap,
        "country_km2": country,
        "area_km2": total,
        "counted": counted,
        "marginal": marginal,
    }


def measure_countries(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> Measurement:
    """Number of countries covered by the data, filtered by region.

    Parameters
    ----------
    evidence : Evidence
        Any of ``raster`` (valid data, screened at reduced resolution), ``vector``
        (polygons, or points), ``sites`` (points: vector file or CSV with lon/lat),
        ``countries`` (a list of ISO3 codes or names); optional ``boundaries`` (a user
        file with ISO3 codes in a field named iso3, ISO_A3, ADM0_A3 or GID_0),
        ``band`` and ``variable`` (the raster's variable in a NetCDF/HDF5 file holding
        several).  Several sources are combined.
    params : mapping
        ``region``: one of :data:`geoverify.geo.regions.REGIONS` (default ``"any"``).
    context : Context
        Unused (screening is a single decimated read).

    Returns
    -------
    Measurement
        ``value`` = number of countries in the region (unit ``"count"``); ``details``
        list the countries with their names and evidence, those outside the region,
        the boundaries used, the screening resolution and the counting rule.
    """
    region = str(params.get("region", "any"))
    if region not in REGIONS:
        raise EvidenceError(f"unknown region {region!r}", hint=f"Use one of: {', '.join(REGIONS)}.")
    sources = [k for k in ("raster", "rasters", "vector", "sites", "countries") if k in evidence]
    if not sources:
        raise EvidenceError(
            "no raster, vector, sites or countries to count countries from",
            source=evidence.where,
            hint=f'Add `raster = ...`, `sites = ...` or `countries = ["KEN", ...]` to the '
            f"evidence of {evidence.indicator}.",
        )
    boundaries_location = evidence.location("boundaries", required=False)
    boundaries = country_boundaries(
        None if boundaries_location is None else read_vector(boundaries_location),
        field=evidence.get("boundaries_field"),
        source=str(boundaries_location),
    )
    found: dict[str, list[str]] = {}
    details: dict[str, Any] = {
        "region": region,
        "region_definition": REGIONS[region],
        "boundaries": evidence.display(boundaries_location)
        if boundaries_location
        else "bundled (countryinfo 1:110m + Natural Earth patches; geoverify/data/README.md)",
        "counting_rule": (
            f"raster: a country counts with >= max({MIN_CELLS}, {MIN_SHARE:g} x valid) valid "
            f"screened cells (grid of at most {SCREEN_EDGE} cells a side, cell centre in "
            f"country); polygons: overlap >= {MIN_OVERLAP_KM2:g} km2 and >= "
            f"{100 * MIN_COUNTRY_SHARE:g}% of the country's own area or >= "
            f"{MIN_EVIDENCE_SHARE:g} x the polygons' area (equal-area EPSG:6933; countries "
            "bundled as a capital disc by the area share only); "
            f"points: one point inside (or nearest country within {NEAREST_DEG} deg); "
            "listed codes count as given"
        ),
    }
    marginal: dict[str, Any] = {}

    def add(iso3: str, how: str) -> None:
        found.setdefault(iso3, []).append(how)

    if "raster" in evidence or "rasters" in evidence:
        listed = raster_locations(evidence)
        variable = evidence.get("variable")
        screened = _screen_rasters(listed.paths, boundaries, evidence)
        details.update(listed.details())
        if variable is not None:
            details["variable"] = variable
        need = max(MIN_CELLS, math.ceil(MIN_SHARE * screened["valid_cells"]))
        for iso3, n in sorted(screened["cells"].items()):
            if n >= need:
                add(iso3, f"raster: {n} screened cells")
            else:
                marginal[iso3] = f"raster: {n} screened cells < {need}"
        details["screen"] = {
            **screened["screen"],
            "valid_cells": screened["valid_cells"],
            "cells_in_no_country": screened["outside"],
            "cells_needed": need,
        }
    for key in ("vector", "sites"):
        if key not in evidence:
            continue

        location = evidence.location(key)
        assert location is not None
        frame = read_vector(location)
        kinds = set(frame.geometry.geom_type.dropna())
        if key == "vector" and kinds & {"Polygon", "MultiPolygon"}:
            result = countries_of_polygons(frame, boundaries)
            for iso3, why in result["counted"].items():
                add(iso3, f"{key}: {why}")
            for iso3, why in result["marginal"].items():
                marginal[iso3] = f"{key}: {why}"
            details[f"{key}_area_km2"] = result["area_km2"]
        else:
            result = countries_of_points(frame, boundaries)
            for iso3, n in sorted(result["points"].items()):
                add(iso3, f"{key}: {n} point(s)")
            details[f"{key}_points_unassigned"] = result["unassigned"]
            details[f"{key}_points_by_nearest"] = result["nearest"]
    if "countries" in evidence:
        listed = evidence.get("countries")
        if not isinstance(listed, list):
            raise EvidenceError(
                "`countries` must be a list of ISO3 codes or names",
                source=evidence.where,
                hint='Write countries = ["KEN", "TZA"].',
            )
        for entry in listed:
            try:
                add(country_code(str(entry)), "listed")
            except EvidenceError as exc:
                raise EvidenceError(exc.problem, source=evidence.where, hint=exc.hint) from None
    members = region_members(region)
    inside = sorted(c for c in found if c in members)
    outside = sorted(c for c in found if c not in members)
    details["countries"] = [
        {"iso3": c, "name": country_name(c), "evidence": found[c]} for c in inside
    ]
    details["iso3"] = inside
    details["outside_region"] = outside
    details["marginal"] = marginal
    details["sources"] = sources
    names = ", ".join(inside[:12]) + (" …" if len(inside) > 12 else "")
    message = f"{len(inside)} countries in region {region!r} ({names or 'none'})"
    if "crs_source" in details.get("screen", {}):
        message += f"; raster CRS from {details['screen']['crs_source']}"
    return Measurement(value=len(inside), unit="count", details=details, message=message)
