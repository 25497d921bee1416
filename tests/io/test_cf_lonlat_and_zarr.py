"""Zarr time series for the period check; CF lat/lon NetCDF without grid_mapping for area,
countries and pixel size (one shared CRS/grid fallback).

Expected values are independent of geoverify: the years written, pyproj.Geod areas of
densified latitude/longitude boxes, and places whose country is known.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio

from geoverify.checks import Context
from geoverify.checks.area.measure import measure_area, raster_area
from geoverify.checks.countries.measure import countries_of_raster, measure_countries
from geoverify.checks.period.measure import measure_period, read_times
from geoverify.checks.resolution.measure import nominal_resolution
from geoverify.errors import EvidenceError
from geoverify.geo.regions import country_boundaries
from geoverify.io.raster import georeference, open_raster
from geoverify.model.evidence import Evidence

CTX = Context(workers=1)

# ------------------------------------------------------------------ Zarr time series
# zarr is in the `test` extra: these tests run, they do not skip.


def _zarr_series(path: Path, years: list[int], **to_zarr: object) -> Path:
    """A (time, y, x) Zarr store written by xarray, one time stamp on 1 January a year."""
    import pandas as pd
    import xarray as xr

    times = pd.to_datetime([f"{y}-01-01" for y in years])
    data = np.arange(len(years) * 4, dtype="float32").reshape(len(years), 2, 2)
    ds = xr.Dataset({"host": (("time", "y", "x"), data)}, coords={"time": times})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr v3: consolidated metadata not in the spec
        ds.to_zarr(path, **to_zarr)  # type: ignore[call-overload]
    return path


def _span(base: Path, **options: object) -> object:
    return measure_period(Evidence("t.period", base, options, "t"), {"measure": "span"}, CTX)


def test_zarr_annual_series_with_one_year_missing(tmp_path):
    years = [y for y in range(1992, 2021) if y != 2005]
    _zarr_series(tmp_path / "x.zarr", years)
    result = _span(tmp_path, file="x.zarr", variable="host")
    assert result.value == [1992, 2020]
    assert result.unit == "year"
    assert result.details["missing"] == [2005]
    assert result.details["expected_steps"] == 29
    assert result.details["present_steps"] == 28
    assert result.details["step"].startswith("1Y")
    assert "Zarr" not in result.message and "missing 2005" in result.message


def test_zarr_complete_annual_series_has_no_gap(tmp_path):
    _zarr_series(tmp_path / "x.zarr", list(range(1992, 2021)))
    result = _span(tmp_path, file="x.zarr")
    assert result.value == [1992, 2020]
    assert result.details["missing"] == []
    assert result.details["n_times"] == 29
    assert "no gaps" in result.message


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("v2.zarr", {"zarr_format": 2}),
        ("plain.zarr", {"consolidated": False}),
        ("store_without_suffix", {}),
    ],
)
def test_zarr_stores_of_every_kind_are_read_quietly(tmp_path, name, options):
    years = [1992, 1993, 1995]
    _zarr_series(tmp_path / name, years, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no console noise for a valid store
        stamps = read_times([str(tmp_path / name)])
    assert [s.year for s in stamps] == years
    assert _span(tmp_path, file=name).details["missing"] == [1994]


# ------------------------------------------- CF lat/lon NetCDF without grid_mapping


def _cf_grid(
    path: Path,
    box: tuple[float, float, float, float],
    *,
    step: float = 1.0,
    south_up: bool = False,
    cf: bool = True,
) -> Path:
    """A global lat/lon grid (cell centres), valid inside ``box`` (W, S, E, N), NaN elsewhere.

    The coordinates carry CF units (degrees_north/east) and the variable names no
    grid_mapping; the file has no CRS attribute of any kind.
    """
    import xarray as xr

    west, south, east, north = box
    lat = np.arange(90 - step / 2, -90, -step)
    if south_up:
        lat = lat[::-1]
    lon = np.arange(-180 + step / 2, 180, step)
    inside = (lat[:, None] > south) & (lat[:, None] < north) & (lon > west) & (lon < east)
    data = np.where(inside, np.float32(1.0), np.float32(np.nan)).astype("float32")
    lat_attrs = {"units": "degrees_north", "standard_name": "latitude"} if cf else {}
    lon_attrs = {"units": "degrees_east", "standard_name": "longitude"} if cf else {}
    ds = xr.Dataset(
        {"cover": (("lat", "lon"), data), "other": (("lat", "lon"), 2 * data)},
        coords={"lat": ("lat", lat, lat_attrs), "lon": ("lon", lon, lon_attrs)},
    )
    ds.to_netcdf(path)
    return path


def _geod_box_km2(west: float, south: float, east: float, north: float, k: int = 2001) -> float:
    """Area of a latitude/longitude box on WGS 84: pyproj.Geod along densified edges.

    Parallels are not geodesics, so each edge is cut into ``k - 1`` pieces (the
    remaining error is below 1e-8 relative for a 10° box).
    """
    from pyproj import Geod

    lon = np.concatenate(
        [np.linspace(west, east, k), np.full(k, east), np.linspace(east, west, k), np.full(k, west)]
    )
    lat = np.concatenate(
        [
            np.full(k, south),
            np.linspace(south, north, k),
            np.full(k, north),
            np.linspace(north, south, k),
        ]
    )
    area, _ = Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)
    return abs(area) / 1e6


def test_gdal_sees_the_cf_grid_but_no_crs(tmp_path):
    path = _cf_grid(tmp_path / "cf.nc", (30, -5, 40, 5))
    with rasterio.open(f'NETCDF:"{path}":cover') as ds:
        assert ds.crs is None  # the premise: GDAL finds no CRS ...
        assert not ds.transform.is_identity  # ... but does see the lat/lon grid


def test_cf_latlon_area_is_the_geodesic_area_of_the_box(tmp_path):
    _cf_grid(tmp_path / "cf.nc", (30, -5, 40, 5))
    expected = _geod_box_km2(30, -5, 40, 5)
    assert expected == pytest.approx(1.2294e6, rel=1e-3)  # ~1111 km x ~1106 km
    evidence = Evidence("t.area", tmp_path, {"raster": "cf.nc", "variable": "cover"}, "t")
    result = measure_area(evidence, {"measure": "valid_area"}, CTX)
    assert result.value == pytest.approx(expected, rel=1e-6)
    assert result.details["valid_pixels"] == 100
    part = result.details["rasters"][0]
    assert part["crs"] == "EPSG:4326"
    assert "CF latitude/longitude" in part["crs_source"] and "WGS 84" in part["crs_source"]
    assert "CRS from" in result.message


def test_cf_latlon_south_up_file_has_the_same_area(tmp_path):
    _cf_grid(tmp_path / "up.nc", (30, -5, 35, 0), south_up=True)
    info = raster_area(f'NETCDF:"{tmp_path / "up.nc"}":cover', workers=1)
    assert info["area_km2"] == pytest.approx(_geod_box_km2(30, -5, 35, 0), rel=1e-6)


def test_cf_latlon_countries_of_a_box_inside_kenya(tmp_path):
    # 36–38 °E, 1 °S–1 °N (Nairobi at 36.8 °E 1.3 °S lies just south): Kenya only
    _cf_grid(tmp_path / "ke.nc", (36, -1, 38, 1), step=0.25)
    evidence = Evidence("t.countries", tmp_path, {"raster": "ke.nc", "variable": "cover"}, "t")
    result = measure_countries(evidence, {"region": "any"}, CTX)
    assert result.details["iso3"] == ["KEN"]
    assert result.value == 1
    assert result.details["screen"]["valid_cells"] == 64
    assert result.details["screen"]["cells_in_no_country"] == 0
    assert "CF latitude/longitude" in result.details["screen"]["crs_source"]


def test_cf_latlon_countries_south_up_file(tmp_path):
    # GDAL turns a south-up CF grid north-up: the rows and the transform must agree.
    # 38–40 °E, 7–9 °N lies in central Ethiopia (Addis Ababa: 38.7 °E, 9.0 °N); the
    # same box mirrored about the equator (7–9 °S) is in Tanzania.
    _cf_grid(tmp_path / "et.nc", (38, 7, 40, 9), step=0.25, south_up=True)
    screened = countries_of_raster(
        str(tmp_path / "et.nc"), country_boundaries(None), variable="cover"
    )
    assert screened["cells"] == {"ETH": 64}


def test_cf_latlon_countries_of_the_east_african_box(tmp_path):
    # 30–40 °E, 5 °S–5 °N holds the whole of Uganda and parts of Kenya and Tanzania
    _cf_grid(tmp_path / "ea.nc", (30, -5, 40, 5))
    evidence = Evidence("t.countries", tmp_path, {"raster": "ea.nc", "variable": "other"}, "t")
    found = set(measure_countries(evidence, {"region": "any"}, CTX).details["iso3"])
    assert {"KEN", "UGA", "TZA"} <= found
    assert not found & {"CHN", "BRA", "NGA", "EGY"}  # far from the box


def test_resolution_area_countries_share_one_fallback(tmp_path):
    path = _cf_grid(tmp_path / "cf.nc", (30, -5, 40, 5))
    name = f'NETCDF:"{path}":cover'
    with open_raster(name) as ds:
        crs, transform, crs_source, transform_source = georeference(ds, name)
    assert crs.to_epsg() == 4326
    assert tuple(transform)[:6] == (1.0, 0.0, -180.0, 0.0, -1.0, 90.0)
    assert transform_source is None  # GDAL's own grid is kept
    info = nominal_resolution(str(path), "cover")
    assert info["crs"] == "EPSG:4326" and info["crs_source"] == crs_source
    # 1° of latitude at the equator is 110.574 km on WGS 84, 1° of longitude 111.319 km
    assert info["y_m"] == pytest.approx(110_574.3, abs=1)
    assert info["x_m"] == pytest.approx(111_319.5, abs=1)
    area = raster_area(name, workers=1)
    assert area["crs_source"] == crs_source


def test_latlon_without_cf_attributes_still_has_no_crs(tmp_path):
    # names alone (lat/lon) without CF units or standard_name are not taken as CF
    # latitude/longitude: GDAL sees the grid, but no CRS is guessed
    path = _cf_grid(tmp_path / "bare.nc", (30, -5, 40, 5), cf=False)
    with pytest.raises(EvidenceError, match="no CRS"):
        nominal_resolution(str(path), "cover")
    evidence = Evidence("t.area", tmp_path, {"raster": "bare.nc", "variable": "cover"}, "t")
    with pytest.raises(EvidenceError, match="no CRS, so its area is unknown"):
        measure_area(evidence, {"measure": "valid_area"}, CTX)
    with pytest.raises(EvidenceError, match="no CRS, so its countries are unknown"):
        countries_of_raster(str(path), country_boundaries(None), variable="cover")


def test_grid_gdal_does_not_see_is_refused_by_area_and_countries(tmp_path):
    # plain y/x coordinates: GDAL sees no grid and reads the rows bottom-up, so the
    # coordinates xarray reads would not describe GDAL's rows; the pixel size, which
    # needs the spacing only, still uses them (with the CRS from the global attribute)
    import xarray as xr

    lat, lon = np.array([2.5, 1.5, 0.5]), np.array([36.5, 37.5])
    ds = xr.Dataset(
        {"cover": (("y", "x"), np.ones((3, 2), "float32"))},
        coords={"y": lat, "x": lon},
        attrs={"crs": "EPSG:4326"},
    )
    path = tmp_path / "plain.nc"
    ds.to_netcdf(path)
    info = nominal_resolution(str(path))
    assert info["crs"] == "EPSG:4326" and "transform_source" in info
    with pytest.raises(EvidenceError, match="no geotransform"):
        raster_area(str(path), workers=1)
    with pytest.raises(EvidenceError, match="no geotransform"):
        countries_of_raster(str(path), country_boundaries(None))
