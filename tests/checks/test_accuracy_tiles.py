"""Accuracy of a map delivered as tiles in two UTM zones (issue 14, item 3).

Expected values are computed here independently of geoverify: the pixels of the
later tile covered by the earlier one by transforming pixel centres with pyproj,
pixel ground areas from ``pyproj.Geod`` areas of each tile's outline, and the
Olofsson et al. (2014) overall accuracy ``Σ W_i n_ii / n_i.`` by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from pyproj import Geod, Transformer
from rasterio.transform import from_origin
from shapely.geometry import Point

from geoverify.checks import Context
from geoverify.checks.accuracy.measure import accuracy_report, measure_accuracy
from geoverify.errors import EvidenceError
from geoverify.model.evidence import Evidence

CTX = Context(workers=2)
SIZE = 40  # pixels a side, 1 km pixels
# tile A in UTM 32N reaches 740 km east (about 12.05° E at 45° N); tile B in UTM 33N
# starts at 262 km east (about 11.98° E): a strip a few kilometres wide overlaps.
A = ("a_utm32.tif", "EPSG:32632", 700_000.0, 5_020_000.0)
B = ("b_utm33.tif", "EPSG:32633", 262_000.0, 5_020_000.0)


def _classes(first: int, second: int, *, by_columns: bool = False) -> np.ndarray:
    data = np.full((SIZE, SIZE), first, dtype=np.uint8)
    if by_columns:  # tile B: its western strip (the overlap) is all `first`
        data[:, SIZE // 2 :] = second
    else:
        data[SIZE // 2 :, :] = second
    data[0, 0] = 255  # one nodata pixel per tile
    return data


def _write_tiles(folder: Path) -> dict[str, np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {A[0]: _classes(1, 2), B[0]: _classes(2, 1, by_columns=True)}
    for name, crs, west, north in (A, B):
        with rasterio.open(
            folder / name, "w", driver="GTiff", width=SIZE, height=SIZE, count=1,
            dtype="uint8", crs=crs, transform=from_origin(west, north, 1000, 1000), nodata=255,
        ) as ds:
            ds.write(arrays[name], 1)
    return arrays


def _covered_by_a() -> np.ndarray:
    """Pixels of tile B whose centre lies in tile A's extent (pyproj, by hand)."""
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]
    xs = B[2] + (cols + 0.5) * 1000.0
    ys = B[3] - (rows + 0.5) * 1000.0
    x, y = Transformer.from_crs(B[1], A[1], always_xy=True).transform(xs, ys)
    return (x >= A[2]) & (x < A[2] + SIZE * 1000) & (y <= A[3]) & (y > A[3] - SIZE * 1000)


def _pixel_ha(tile: tuple[str, str, float, float], n: int = 50) -> float:
    """Mean ground area (ha) of a pixel: Geod area of the tile's densified outline."""
    _, crs, west, north = tile
    f = np.linspace(0.0, 1.0, n, endpoint=False) * SIZE * 1000
    side = np.full(n, SIZE * 1000.0)
    xs = west + np.concatenate([f, side, side[::-1] - f, np.zeros(n)])
    ys = north - np.concatenate([np.zeros(n), f, side, side[::-1] - f])
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    area, _ = Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)
    return abs(area) / SIZE**2 / 1e4


def _samples(arrays: dict[str, np.ndarray]) -> tuple[gpd.GeoDataFrame, list[int], list[int]]:
    """Points at pixel centres of both tiles (in lon/lat), reference labels, map labels."""
    rng = np.random.default_rng(7)
    covered = _covered_by_a()
    points, refs, maps = [], [], []
    for name, crs, west, north in (A, B):
        to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        for _ in range(30):
            r, c = (int(v) for v in rng.integers(1, SIZE, 2))
            if name == B[0] and covered[r, c]:
                continue  # overlap samples are added below, once
            value = int(arrays[name][r, c])
            lon, lat = to_ll.transform(west + (c + 0.5) * 1000, north - (r + 0.5) * 1000)
            points.append(Point(lon, lat))
            maps.append(value)
            refs.append(value if rng.random() < 0.8 else 3 - value)
    return gpd.GeoDataFrame({"reference": refs}, geometry=points, crs="EPSG:4326"), refs, maps


def test_stratified_estimate_from_tiles_matches_hand_computation(tmp_path: Path) -> None:
    arrays = _write_tiles(tmp_path / "tiles")
    frame, refs, maps = _samples(arrays)
    frame.to_file(tmp_path / "ref.gpkg")
    covered = _covered_by_a()
    assert 0 < covered.sum() < SIZE * SIZE  # the tiles do overlap
    valid_a = arrays[A[0]] != 255
    keep_b = (arrays[B[0]] != 255) & ~covered
    pixels = {
        k: int((arrays[A[0]][valid_a] == k).sum()) + int((arrays[B[0]][keep_b] == k).sum())
        for k in (1, 2)
    }
    areas = {
        k: (arrays[A[0]][valid_a] == k).sum() * _pixel_ha(A)
        + (arrays[B[0]][keep_b] == k).sum() * _pixel_ha(B)
        for k in (1, 2)
    }
    weights = {k: areas[k] / sum(areas.values()) for k in (1, 2)}
    m, r = np.array(maps), np.array(refs)
    oa = sum(weights[k] * float((r[m == k] == k).mean()) for k in (1, 2))

    report = accuracy_report(
        [tmp_path / "tiles" / A[0], tmp_path / "tiles" / B[0]],
        tmp_path / "ref.gpkg",
        design="stratified",
        workers=2,
    )
    assert report["n"] == len(frame)
    assert report["samples_outside_map"] == 0
    assert report["map_tiles"] == 2
    # weights: areas from each tile's Geod outline (scale factor varies < 1e-4 in a tile)
    assert report["weights"] == pytest.approx({"1": weights[1], "2": weights[2]}, abs=1e-4)
    assert report["overall_accuracy"] == pytest.approx(oa, abs=1e-4)
    # the overlap strip of B is all class 2: counting it twice would shift the weights
    overlap = int((covered & (arrays[B[0]] != 255)).sum())
    assert overlap >= SIZE and sum(pixels.values()) == SIZE * SIZE * 2 - 2 - overlap
    twice = (areas[2] + overlap * _pixel_ha(B)) / (sum(areas.values()) + overlap * _pixel_ha(B))
    assert abs(twice - weights[2]) > 10 * 1e-4


def test_sample_on_overlap_counted_once_and_outside_dropped(tmp_path: Path) -> None:
    arrays = _write_tiles(tmp_path / "tiles")
    frame, refs, maps = _samples(arrays)
    covered = _covered_by_a()
    # an overlap point of the upper half: class 1 in tile A, class 2 in tile B
    upper = covered & (arrays[B[0]] != 255)
    upper[SIZE // 4 :, :] = False
    r, c = (int(v) for v in np.argwhere(upper)[-1])
    lon, lat = Transformer.from_crs(B[1], "EPSG:4326", always_xy=True).transform(
        B[2] + (c + 0.5) * 1000, B[3] - (r + 0.5) * 1000
    )
    # the overlap point read from tile A (first by path): its class there, not B's
    x, y = Transformer.from_crs("EPSG:4326", A[1], always_xy=True).transform(lon, lat)
    a_value = int(arrays[A[0]][int((A[3] - y) // 1000), int((x - A[2]) // 1000)])
    assert a_value != int(arrays[B[0]][r, c])
    extra = gpd.GeoDataFrame(
        {"reference": [a_value, 1]}, geometry=[Point(lon, lat), Point(40.0, 10.0)],
        crs="EPSG:4326",
    )
    both = gpd.GeoDataFrame(
        {"reference": refs + extra["reference"].tolist()},
        geometry=list(frame.geometry) + list(extra.geometry), crs="EPSG:4326",
    )
    both.to_file(tmp_path / "ref.gpkg")
    options = {"maps": "tiles/*.tif", "reference": "ref.gpkg"}
    evidence = Evidence("test.accuracy", tmp_path, options, "test")
    m = measure_accuracy(evidence, {}, CTX)
    details: dict[str, Any] = m.details
    assert m.n == len(frame) + 1  # the overlap sample once, the far one dropped
    assert details["samples_outside_map"] == 1
    assert details["map"] == [f"tiles/{A[0]}", f"tiles/{B[0]}"]
    agree = sum(int(a == b) for a, b in zip([*maps, a_value], [*refs, a_value], strict=True))
    assert m.value == pytest.approx(100.0 * agree / (len(frame) + 1), abs=1e-9)
    assert "1 outside the map" in m.message


def test_reference_raster_with_tiles_refused(tmp_path: Path) -> None:
    _write_tiles(tmp_path / "tiles")
    with pytest.raises(EvidenceError, match="reference raster against a map made of 2 tiles"):
        accuracy_report(
            [tmp_path / "tiles" / A[0], tmp_path / "tiles" / B[0]], tmp_path / "tiles" / A[0]
        )
