"""The land mask shipped with geoverify and the burned-area land coverage measured against it.

Independent figures: Natural Earth 1:110m admin-0 (../shared/realdata, skipped
when absent) by a geopandas point-in-polygon and geodesic polygon areas
(pyproj.Geod); the world's land area, 148.9 million km² (CIA World Factbook,
"Geography – world: land 148.94 million sq km", 29.2% of the surface).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.burned_area.measure import measure_burned_area
from geoverify.errors import EvidenceError
from geoverify.geo import landmask
from geoverify.model.evidence import Evidence
from geoverify.testing.samples.common import write_raster

from ..conftest import realdata_path

CTX = Context(workers=1)


def _natural_earth() -> Any:
    import geopandas as gpd

    return gpd.read_file(
        realdata_path("naturalearth", "geopandas-0.14.4", "naturalearth_lowres.shp")
    )


def _geodesic_km2(geometry: Any) -> float:
    from pyproj import Geod

    return abs(Geod(ellps="WGS84").geometry_area_perimeter(geometry)[0]) / 1e6


def _ev(base: Path, **options: object) -> Evidence:
    return Evidence("test.burned_area", base, options, "test")


def test_the_file_is_the_one_recorded() -> None:
    path = Path(landmask.__file__).parent.parent / "data" / landmask.LAND_MASK_FILE
    assert hashlib.sha256(path.read_bytes()).hexdigest() == landmask.LAND_MASK_SHA256
    assert path.stat().st_size < 100_000
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert landmask.LAND_MASK_SHA256 in readme


def test_world_land_area_matches_the_published_figure() -> None:
    total = landmask.world_land_km2(antarctica=True)
    assert total == pytest.approx(148.94e6, rel=0.03)
    # Antarctica (14.2 million km², less the 1:110m polygon's gaps) is what the default
    # leaves out
    assert 10e6 < total - landmask.world_land_km2() < 14.2e6


def test_mask_agrees_with_natural_earth_point_in_polygon() -> None:
    import geopandas as gpd

    ne = _natural_earth()
    rng = np.random.default_rng(14)
    # uniform on the sphere
    lon = rng.uniform(-180.0, 180.0, 20_000)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, 20_000)))
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    inside = gpd.sjoin(points, ne[["geometry"]], predicate="within").index.unique()
    truth = np.zeros(lon.size, bool)
    truth[inside] = True
    ours = landmask.land_at(lon, lat)
    assert np.mean(ours == truth) > 0.985
    assert ours.mean() == pytest.approx(0.286, abs=0.02)  # 29% of the surface is land
    # 0–360° longitudes give the same answer
    assert np.array_equal(landmask.land_at(lon % 360.0, lat), ours)


def test_africa_only_raster_covers_africas_share_of_the_world(tmp_path: Path) -> None:
    from shapely.geometry import box

    west, south, east, north = -20.0, -36.0, 55.0, 38.0
    write_raster(
        tmp_path / "africa.tif",
        np.zeros((740, 750), dtype="int16"),
        crs="EPSG:4326",
        transform=from_origin(west, north, 0.1, 0.1),
        nodata=-9999,
    )
    m = measure_burned_area(_ev(tmp_path, raster="africa.tif"), {"measure": "land_coverage"}, CTX)
    ne = _natural_earth()
    land = ne[ne["continent"] != "Antarctica"].geometry.union_all()
    share = _geodesic_km2(land.intersection(box(west, south, east, north))) / _geodesic_km2(land)
    assert m.value < 50.0  # not "100% of the land"
    assert m.value == pytest.approx(100.0 * share, abs=1.5)
    assert m.details["land_mask"]["sha256"] == landmask.LAND_MASK_SHA256
    assert m.details["land_km2"] == pytest.approx(landmask.world_land_km2())


def _firecci_netcdf(path: Path, step: float = 0.25) -> Path:
    """A FireCCI51-like global CF NetCDF: nothing burned, south of 60°S "not burnable" (−2)."""
    from geoverify.testing.samples.products import firecci_netcdf

    lat = 90.0 - (np.arange(round(180 / step)) + 0.5) * step
    jd = np.zeros((1, lat.size, round(360 / step)), dtype="int16")
    jd[0, lat < -60.0, :] = -2
    return firecci_netcdf(path, jd, west=-180.0, north=90.0, step=step)


def test_firecci_style_global_grid_does_not_count_the_globe_as_land(tmp_path: Path) -> None:
    _firecci_netcdf(tmp_path / "fire_cci.nc")
    m = measure_burned_area(
        _ev(tmp_path, file="fire_cci.nc", variable="JD"), {"measure": "land_coverage"}, CTX
    )
    assert m.value == pytest.approx(100.0, abs=0.01)
    # land is the world's land (135 million km² without Antarctica), not the grid (510)
    assert m.details["land_km2"] == pytest.approx(134.9e6, rel=0.01)
    assert m.details["product_land_km2"] == pytest.approx(m.details["land_km2"], rel=0.01)


def test_submitted_land_mask_must_be_global(tmp_path: Path) -> None:
    write_raster(
        tmp_path / "africa.tif",
        np.zeros((74, 75), dtype="int16"),
        crs="EPSG:4326",
        transform=from_origin(-20.0, 38.0, 1.0, 1.0),
        nodata=-9999,
    )
    write_raster(
        tmp_path / "land.tif",
        np.ones((74, 75), dtype="uint8"),
        crs="EPSG:4326",
        transform=from_origin(-20.0, 38.0, 1.0, 1.0),
        nodata=255,
    )
    with pytest.raises(EvidenceError, match="not the world"):
        measure_burned_area(
            _ev(tmp_path, raster="africa.tif", land_mask="land.tif"),
            {"measure": "land_coverage"},
            CTX,
        )
