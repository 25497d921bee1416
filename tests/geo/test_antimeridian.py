"""Countries across the antimeridian, near the poles and on 0–360° grids.

Each raster's expected countries come from an independent count: every valid
pixel centre is transformed to longitude/latitude with pyproj and located by a
geopandas spatial join on Natural Earth 1:110m (../shared/realdata; skipped when
absent), with the same counting rule as the check (at least max(3, 0.01% of the
valid cells)).  The rasters are small enough (< 2048 cells a side) that the check
screens every pixel.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Transformer
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.countries.measure import MIN_CELLS, MIN_SHARE, measure_countries
from geoverify.model.evidence import Evidence
from geoverify.testing.samples.common import write_raster

from ..conftest import realdata_path

CTX = Context(workers=1)


def _natural_earth() -> Any:
    import geopandas as gpd

    frame = gpd.read_file(
        realdata_path("naturalearth", "geopandas-0.14.4", "naturalearth_lowres.shp")
    )
    return frame[frame["iso_a3"] != "-99"]


def _independent(path: Path) -> set[str]:
    """Countries of the valid pixel centres of ``path`` by a spatial join on Natural Earth."""
    import geopandas as gpd
    import rasterio

    with rasterio.open(path) as ds:
        data = ds.read(1)
        rows, cols = np.nonzero(data != ds.nodata)
        xs, ys = ds.transform * (cols + 0.5, rows + 0.5)
        crs = ds.crs
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    lon = (np.asarray(lon) + 180.0) % 360.0 - 180.0
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    joined = gpd.sjoin(points, _natural_earth()[["iso_a3", "geometry"]], predicate="within")
    counts = joined.drop_duplicates(subset=None).groupby("iso_a3").size()
    need = max(MIN_CELLS, math.ceil(MIN_SHARE * len(rows)))
    return {str(k) for k, n in counts.items() if n >= need}


def _projected_raster(
    path: Path, crs: str, west: float, south: float, east: float, north: float, size: int = 400
) -> Path:
    """A raster in ``crs`` covering the lon/lat box (east may exceed 180), every pixel valid."""
    lons, lats = np.meshgrid(np.linspace(west, east, 60), np.linspace(south, north, 60))
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        ((lons + 180.0) % 360.0) - 180.0, lats
    )
    x0, x1, y0, y1 = float(np.min(x)), float(np.max(x)), float(np.min(y)), float(np.max(y))
    step = max(x1 - x0, y1 - y0) / size
    width, height = math.ceil((x1 - x0) / step), math.ceil((y1 - y0) / step)
    write_raster(
        path,
        np.ones((height, width), dtype="uint8"),
        crs=crs,
        transform=from_origin(x0, y1, step, step),
        nodata=0,
    )
    return path


def _measured(base: Path, name: str) -> set[str]:
    ev = Evidence("test.countries", base, {"raster": name}, "test")
    return set(measure_countries(ev, {"region": "any"}, CTX).details["iso3"])


@pytest.mark.parametrize(
    ("crs", "name"),
    [("EPSG:3832", "bering_3832.tif"), ("EPSG:3338", "bering_3338.tif")],
)
def test_bering_strait_in_projected_crs_gives_russia_and_usa(
    tmp_path: Path, crs: str, name: str
) -> None:
    path = _projected_raster(tmp_path / name, crs, 172.0, 62.0, 195.0, 68.0)
    expected = _independent(path)
    assert {"RUS", "USA"} <= expected  # the independent count itself sees both shores
    assert _measured(tmp_path, name) == expected


def test_bering_strait_with_longitudes_beyond_180(tmp_path: Path) -> None:
    write_raster(
        tmp_path / "bering_360.tif",
        np.ones((120, 460), dtype="uint8"),
        crs="EPSG:4326",
        transform=from_origin(172.0, 68.0, 0.05, 0.05),  # 172°E … 195°E (= 165°W)
        nodata=0,
    )
    expected = _independent(tmp_path / "bering_360.tif")
    assert expected == {"RUS", "USA"}
    assert _measured(tmp_path, "bering_360.tif") == expected


def test_fiji_in_pdc_mercator(tmp_path: Path) -> None:
    path = _projected_raster(tmp_path / "fiji.tif", "EPSG:3832", 176.5, -19.5, 181.0, -15.5)
    expected = _independent(path)
    assert "FJI" in expected
    assert _measured(tmp_path, "fiji.tif") == expected


def test_polar_stereographic_arctic(tmp_path: Path) -> None:
    path = _projected_raster(
        tmp_path / "arctic.tif", "EPSG:3413", -180.0, 66.0, 180.0, 84.0, size=500
    )
    expected = _independent(path)
    assert {"RUS", "CAN", "GRL", "USA", "NOR"} <= expected
    measured = _measured(tmp_path, "arctic.tif")
    # 1:110m countryinfo vs Natural Earth: the same polygons, except countries
    # at the counting threshold
    assert len(measured ^ expected) <= 1, measured ^ expected


def test_global_netcdf_on_0_360_longitudes_keeps_the_americas(tmp_path: Path) -> None:
    import xarray as xr

    lon = np.arange(0.25, 360.0, 0.5)
    lat = np.arange(89.75, -90.0, -0.5)
    data = np.ones((lat.size, lon.size), dtype="int16")
    ds = xr.Dataset(
        {"burned": (("lat", "lon"), data, {"_FillValue": np.int16(-1)})},
        coords={
            "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
        },
    )
    ds.to_netcdf(tmp_path / "global360.nc")
    write_raster(
        tmp_path / "ref.tif",
        data.astype("uint8"),
        crs="EPSG:4326",
        transform=from_origin(0.0, 90.0, 0.5, 0.5),
        nodata=0,
    )
    expected = _independent(tmp_path / "ref.tif")
    measured = _measured(tmp_path, "global360.nc")
    americas = {"USA", "CAN", "MEX", "BRA", "ARG", "CHL", "PER", "COL", "CUB"}
    assert americas <= expected
    assert americas <= measured
    assert len(expected) > 120
    assert len(measured ^ expected) <= 0.03 * len(expected), sorted(measured ^ expected)
