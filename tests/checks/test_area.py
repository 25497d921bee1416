"""Valid-data area: geographic cells vs pyproj.Geod, the ellipsoid total, projections, polygons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.area.measure import measure_area, raster_area
from geoverify.errors import EvidenceError
from geoverify.geo.cellarea import quadrangle_area_km2
from geoverify.model.evidence import Evidence
from geoverify.testing.samples.common import write_raster

from ..conftest import realdata_path

CTX = Context(workers=2)
GEOD = Geod(ellps="WGS84")


def _geod_cell(lon0: float, lat0: float, dlon: float, dlat: float, n: int = 2000) -> float:
    """Geodesic area (m²) of a lat/lon cell whose parallels are densified (edges follow them)."""
    lons = np.concatenate([np.linspace(lon0, lon0 + dlon, n), np.linspace(lon0 + dlon, lon0, n)])
    lats = np.concatenate([np.full(n, lat0), np.full(n, lat0 + dlat)])
    area, _ = GEOD.polygon_area_perimeter(lons, lats)
    return abs(area)


@pytest.mark.parametrize("lat", [-75.0, -30.0, 0.0, 23.5, 45.0, 60.0, 89.0])
def test_cell_area_matches_geodesic_polygon(lat: float) -> None:
    cell = quadrangle_area_km2(lat + 1.0, lat, 1.0) * 1e6
    assert cell == pytest.approx(_geod_cell(10.0, lat, 1.0, 1.0), rel=1e-6)
    fine = quadrangle_area_km2(lat + 0.01, lat, 0.01) * 1e6
    assert fine == pytest.approx(_geod_cell(10.0, lat, 0.01, 0.01, n=50), rel=1e-6)


def test_global_grid_totals_the_ellipsoid_area(tmp_path: Path) -> None:
    write_raster(
        tmp_path / "global.tif",
        np.ones((180, 360), dtype="uint8"),
        crs="EPSG:4326",
        transform=from_origin(-180, 90, 1, 1),
        nodata=0,
    )
    result = raster_area(str(tmp_path / "global.tif"), workers=2)
    # surface of the WGS 84 ellipsoid: 510,065,621.7 km² (e.g. Karney 2013, table 1)
    assert result["area_km2"] == pytest.approx(510_065_621.7, rel=1e-9)
    assert result["valid_pixels"] == 180 * 360


def test_nodata_and_nan_are_not_counted(tmp_path: Path) -> None:
    data = np.ones((10, 20), dtype="float32")
    data[:, :5] = -9999
    data[0, :] = np.nan
    write_raster(
        tmp_path / "f.tif",
        data,
        crs="EPSG:4326",
        transform=from_origin(30, 1, 0.1, 0.1),
        nodata=-9999,
    )
    m = measure_area(Evidence("t", tmp_path, {"raster": "f.tif"}, "t"), {}, CTX)
    expected = sum(
        _geod_cell(30.5, 1 - 0.1 * (r + 1), 1.5, 0.1, n=200) for r in range(1, 10)
    )  # 9 valid rows of 15 valid cells (1.5° wide)
    assert m.value == pytest.approx(expected / 1e6, rel=1e-6)
    assert m.unit == "km2"
    assert m.details["valid_pixels"] == 9 * 15


def test_equal_area_projection_is_exact(tmp_path: Path) -> None:
    data = np.zeros((300, 400), dtype="uint8")
    data[50:250, 100:300] = 7  # 200 x 200 cells of 30 m
    write_raster(
        tmp_path / "laea.tif",
        data,
        crs="EPSG:3035",
        transform=from_origin(4_000_000, 3_000_000, 30, 30),
        nodata=0,
    )
    m = measure_area(Evidence("t", tmp_path, {"raster": "laea.tif"}, "t"), {}, CTX)
    assert m.value == pytest.approx(200 * 200 * 900 / 1e6, rel=1e-12)
    assert "equal-area" in m.details["method"]


def test_utm_and_web_mercator_use_true_ground_area(tmp_path: Path) -> None:
    # 3 km x 3 km square in Web Mercator at 60°N: map area is ~4x the ground area
    res = 10.0
    x0, y0 = 1_113_194.9, 8_399_737.9  # ~ (10°E, 60°N)
    write_raster(
        tmp_path / "merc.tif",
        np.ones((300, 300), dtype="uint8"),
        crs="EPSG:3857",
        transform=from_origin(x0, y0, res, res),
        nodata=0,
    )
    from pyproj import Transformer

    to_ll = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    n = 400  # densified outline of the square
    xs = np.concatenate(
        [
            np.linspace(x0, x0 + 3000, n),
            np.full(n, x0 + 3000),
            np.linspace(x0 + 3000, x0, n),
            np.full(n, x0),
        ]
    )
    ys = np.concatenate(
        [
            np.full(n, y0),
            np.linspace(y0, y0 - 3000, n),
            np.full(n, y0 - 3000),
            np.linspace(y0 - 3000, y0, n),
        ]
    )
    lon, lat = to_ll.transform(xs, ys)
    truth = abs(GEOD.polygon_area_perimeter(lon, lat)[0]) / 1e6
    m = measure_area(Evidence("t", tmp_path, {"raster": "merc.tif"}, "t"), {}, CTX)
    assert m.value == pytest.approx(truth, rel=1e-4)
    assert m.value < 0.3 * 9.0  # far from the 9 km² map area


def test_tiles_agree_with_exact_albers_on_real_cog() -> None:
    """rioxarray cog.tif (Albers, equal-area): |det| exact; a UTM scene checked vs Geod."""
    path = realdata_path("rioxarray", "cog.tif")
    import rasterio

    with rasterio.open(path) as ds:
        n_valid = int((ds.read(1) != ds.nodata).sum())
        cell = abs(ds.transform.a * ds.transform.e)
    result = raster_area(str(path))
    assert result["valid_pixels"] == n_valid
    assert result["area_km2"] == pytest.approx(n_valid * cell / 1e6, rel=1e-12)


def test_rasters_are_summed(tmp_path: Path) -> None:
    for name, x0 in (("a.tif", 4_000_000), ("b.tif", 4_001_000)):  # side by side
        write_raster(
            tmp_path / name,
            np.ones((10, 10), dtype="uint8"),
            crs="EPSG:3035",
            transform=from_origin(x0, 3_000_000, 100, 100),
            nodata=0,
        )
    m = measure_area(Evidence("t", tmp_path, {"rasters": ["a.tif", "b.tif"]}, "t"), {}, CTX)
    assert m.value == pytest.approx(2.0)
    assert len(m.details["rasters"]) == 2


def test_polygon_area_with_overlaps_dissolved(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    frame = gpd.GeoDataFrame(
        geometry=[box(100.0, 10.0, 101.0, 11.0), box(100.0, 10.5, 101.0, 11.5)], crs="EPSG:4326"
    )
    frame.to_file(tmp_path / "demo.gpkg")
    m = measure_area(Evidence("t", tmp_path, {"vector": "demo.gpkg"}, "t"), {}, CTX)
    # the union is one box; extra vertices can only lie on meridians (geodesics)
    lons = [100.0, 101.0, 101.0, 100.0]
    lats = [10.0, 10.0, 11.5, 11.5]
    truth = abs(GEOD.polygon_area_perimeter(lons, lats)[0]) / 1e6
    assert m.value == pytest.approx(truth, rel=1e-9)
    # projected input gives the same answer
    frame.to_crs("EPSG:32647").to_file(tmp_path / "utm.gpkg")
    m2 = measure_area(Evidence("t", tmp_path, {"vector": "utm.gpkg"}, "t"), {}, CTX)
    assert m2.value == pytest.approx(truth, rel=1e-3)


def test_errors(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    gpd.GeoDataFrame(geometry=[Point(1, 1)], crs="EPSG:4326").to_file(tmp_path / "p.gpkg")
    with pytest.raises(EvidenceError, match="no polygons"):
        measure_area(Evidence("t", tmp_path, {"vector": "p.gpkg"}, "t"), {}, CTX)
    with pytest.raises(EvidenceError, match="no raster"):
        measure_area(Evidence("t", tmp_path, {}, "t"), {}, CTX)
    write_raster(
        tmp_path / "nocrs.tif",
        np.ones((4, 4), "uint8"),
        crs=None,
        transform=from_origin(0, 4, 1, 1),
    )
    with pytest.raises(EvidenceError, match="no CRS"):
        measure_area(Evidence("t", tmp_path, {"raster": "nocrs.tif"}, "t"), {}, CTX)


def test_all_nodata_real_file_is_an_error() -> None:
    path = realdata_path("rasterio", "all-nodata.tif")
    with pytest.raises(EvidenceError, match="no valid data"):
        measure_area(Evidence("t", path.parent, {"raster": path.name}, "t"), {}, CTX)


@pytest.mark.parametrize("dtype", ["uint8", "int16", "float32"])
def test_fused_and_numpy_valid_area_agree(
    tmp_path: Path, dtype: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: the fused kernel (valid pixels per row × the row's area) and the numpy
    masks give the same count and the same area to 1e-12, on a grid of 2.6 Mi pixels."""
    rng = np.random.default_rng(4)
    data = rng.integers(0, 5, (1300, 2000)).astype(dtype)
    write_raster(
        tmp_path / "g.tif",
        data,
        crs="EPSG:4326",
        transform=from_origin(-10, 60, 0.01, 0.01),
        nodata=3,
    )
    got = {}
    for kind in ("c", "numpy"):
        monkeypatch.setenv("GEOVERIFY_KERNELS", kind)
        got[kind] = raster_area(str(tmp_path / "g.tif"), workers=2)
    assert got["c"]["valid_pixels"] == got["numpy"]["valid_pixels"] == int((data != 3).sum())
    assert got["c"]["area_km2"] == pytest.approx(got["numpy"]["area_km2"], rel=1e-12)
