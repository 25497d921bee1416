"""The one area rule: true ground areas, checked against pyproj.Geod polygon areas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod, Transformer
from rasterio.transform import from_origin

from geoverify.geo.cellarea import TILE, CellAreas, quadrangle_area_km2
from geoverify.stats.confusion import class_areas_ha, pixel_area_ha
from geoverify.testing.samples.common import write_raster

GEOD = Geod(ellps="WGS84")


def _geod_area_m2(crs: str, xs: list[float], ys: list[float], n: int = 200) -> float:
    """pyproj.Geod area of a polygon given in ``crs``, its edges densified."""
    px, py = [], []
    for i in range(len(xs)):
        j = (i + 1) % len(xs)
        f = np.linspace(0, 1, n, endpoint=False)
        px.extend(xs[i] + f * (xs[j] - xs[i]))
        py.extend(ys[i] + f * (ys[j] - ys[i]))
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(px, py)
    return abs(GEOD.polygon_area_perimeter(lon, lat)[0])


def _mercator_at_45n(tmp_path: Path, size: int = 10) -> tuple[Path, float, float]:
    x0, y0 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(10.0, 45.0)
    write_raster(
        tmp_path / "merc.tif",
        np.ones((size, size), "uint8"),
        crs="EPSG:3857",
        transform=from_origin(x0, y0, 100, 100),
        nodata=0,
    )
    return tmp_path / "merc.tif", x0, y0


def test_web_mercator_100m_pixel_at_45n_is_half_a_hectare(tmp_path: Path) -> None:
    path, x0, y0 = _mercator_at_45n(tmp_path)
    truth = _geod_area_m2(
        "EPSG:3857", [x0, x0 + 1000, x0 + 1000, x0], [y0, y0, y0 - 1000, y0 - 1000]
    )
    area, note = pixel_area_ha(str(path))
    assert area == pytest.approx(truth / 100 / 1e4, rel=1e-5)
    assert area == pytest.approx(0.5, abs=0.01)  # cos²(45°) = 0.5, not the map's 1 ha
    assert note is not None and "differ" in note
    classes = class_areas_ha(str(path))
    assert classes is not None
    assert classes[1] == pytest.approx(truth / 1e4, rel=1e-5)


def test_tiles_sum_to_the_geodesic_area_of_a_utm_grid() -> None:
    t = from_origin(300_000, 5_000_000, 30, 30)
    areas = CellAreas(t, "EPSG:32633", 3 * TILE, 2 * TILE)
    assert areas.kind == "tiles"
    cells = areas.window(0, 0, 2 * TILE, 3 * TILE)
    w, h = 3 * TILE * 30, 2 * TILE * 30
    truth = _geod_area_m2(
        "EPSG:32633",
        [300_000, 300_000 + w, 300_000 + w, 300_000],
        [5_000_000, 5_000_000, 5_000_000 - h, 5_000_000 - h],
    )
    assert cells.sum() == pytest.approx(truth, rel=1e-7)
    assert areas.total_m2() == pytest.approx(truth, rel=1e-7)


def test_equal_area_is_the_determinant_in_square_metres() -> None:
    areas = CellAreas(from_origin(0, 0, 250, 250), "EPSG:6933", 4, 3)
    assert areas.kind == "equal-area"
    assert areas.window(0, 0, 3, 4).item() == 62_500.0
    assert areas.mean_m2() == 62_500.0


@pytest.mark.parametrize("lat", [-60.0, 0.0, 45.0, 89.0])
def test_sphere_quadrangle_is_r2_dlon_dsin(lat: float) -> None:
    # a sphere (1/f = 0): R² Δλ (sin φ2 − sin φ1), against pyproj.Geod on the same sphere
    r = 6_371_007.0
    got = quadrangle_area_km2(lat, lat + 1.0, 1.0, a=r, rf=0.0) * 1e6
    hand = r * r * np.radians(1.0) * (np.sin(np.radians(lat + 1)) - np.sin(np.radians(lat)))
    assert got == pytest.approx(hand, rel=1e-12)
    sphere = Geod(a=r, b=r)
    lons = list(np.linspace(0, 1, 400)) + list(np.linspace(1, 0, 400))
    lats = [lat] * 400 + [lat + 1.0] * 400
    # geodesic edges along parallels bow poleward: densified, within 1e-5
    assert got == pytest.approx(abs(sphere.polygon_area_perimeter(lons, lats)[0]), rel=1e-5)


def test_geographic_rows_match_geod_and_rotated_grids_use_tiles() -> None:
    t = from_origin(10.0, 46.0, 0.5, 0.5)
    rows = CellAreas(t, "EPSG:4326", 2, 4).window(0, 0, 4, 2)
    assert rows.shape == (4, 1)
    lons = list(np.linspace(10, 11, 300)) + list(np.linspace(11, 10, 300))
    lats = [46.0] * 300 + [44.0] * 300
    assert rows.sum() * 2 == pytest.approx(
        abs(GEOD.polygon_area_perimeter(lons, lats)[0]), rel=1e-5
    )
    rotated = CellAreas(t * t.rotation(10), "EPSG:4326", 2, 4)
    assert rotated.kind == "tiles"
