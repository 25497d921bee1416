"""Many files as one map: lists, globs and VRTs of tiles for the classes check.

Expected counts are computed by hand from the arrays written (numpy), with the
overlap rule of geoverify.io.mosaic applied by hand on an aligned grid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.classes.measure import measure_classes
from geoverify.errors import EvidenceError
from geoverify.io.mosaic import OVERLAP_RULE, expand_tiles
from geoverify.model.evidence import Evidence
from geoverify.testing.samples.common import write_raster

CTX = Context(workers=2)


def _ev(base: Path, **options: object) -> Evidence:
    return Evidence("test.classes", base, options, "test")


def _classes(rng: np.random.Generator, shape: tuple[int, int], codes: list[int]) -> np.ndarray:
    return rng.choice(np.array(codes, dtype="uint8"), size=shape)


def _hist(*arrays: np.ndarray) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in arrays:
        values, counts = np.unique(a[a != 0], return_counts=True)
        for v, n in zip(values.tolist(), counts.tolist(), strict=True):
            out[str(v)] = out.get(str(v), 0) + n
    return out


def test_tiles_in_two_utm_zones_are_one_map(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    west = _classes(rng, (200, 200), [1, 2, 3])
    east = _classes(rng, (200, 200), [3, 4])
    # either side of the 6°E zone border, 20 km apart: no overlap
    write_raster(
        tmp_path / "tiles" / "a_31N.tif",
        west,
        crs="EPSG:32631",
        transform=from_origin(700_000, 5_000_000, 100, 100),
        nodata=0,
    )
    write_raster(
        tmp_path / "tiles" / "b_32N.tif",
        east,
        crs="EPSG:32632",
        transform=from_origin(320_000, 5_000_000, 100, 100),
        nodata=0,
    )
    for given in (["tiles/a_31N.tif", "tiles/b_32N.tif"], "tiles/*.tif"):
        m = measure_classes(_ev(tmp_path, rasters=given), {}, CTX)
        assert m.value == 4
        assert m.details["pixels_per_class"] == _hist(west, east)
        assert m.details["mosaic"]["tiles"] == 2
        assert m.details["mosaic"]["pixels_counted_in_an_earlier_tile"] == 0
        assert len(m.details["mosaic"]["crs"]) == 2


def test_overlapping_tiles_are_counted_once(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    a = _classes(rng, (100, 100), [1, 2])
    b = _classes(rng, (100, 100), [2, 5])
    b[:10, :10] = 0  # nodata in the overlap does not matter
    t = from_origin(500_000, 4_000_000, 30, 30)
    write_raster(tmp_path / "t1.tif", a, crs="EPSG:32650", transform=t, nodata=0)
    # the second tile starts 60 columns east: its first 40 columns lie in the first tile
    write_raster(
        tmp_path / "t2.tif",
        b,
        crs="EPSG:32650",
        transform=from_origin(500_000 + 60 * 30, 4_000_000, 30, 30),
        nodata=0,
    )
    m = measure_classes(_ev(tmp_path, rasters=["t2.tif", "t1.tif"]), {}, CTX)
    assert m.details["pixels_per_class"] == _hist(a, b[:, 40:])
    assert m.details["mosaic"]["pixels_counted_in_an_earlier_tile"] == int((b[:, :40] != 0).sum())
    assert m.details["mosaic"]["overlap_rule"] == OVERLAP_RULE


def test_a_vrt_of_tiles_is_one_raster(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    a = _classes(rng, (50, 40), [1, 2])
    b = _classes(rng, (50, 40), [3])
    write_raster(
        tmp_path / "a.tif",
        a,
        crs="EPSG:4326",
        transform=from_origin(10.0, 50.0, 0.01, 0.01),
        nodata=0,
        tiled=False,
    )
    write_raster(
        tmp_path / "b.tif",
        b,
        crs="EPSG:4326",
        transform=from_origin(10.4, 50.0, 0.01, 0.01),
        nodata=0,
        tiled=False,
    )
    import rasterio

    with rasterio.open(tmp_path / "a.tif") as ds:
        wkt = ds.crs.to_wkt()

    def source(name: str, x: int) -> str:
        return (
            f'<SimpleSource><SourceFilename relativeToVRT="1">{name}</SourceFilename>'
            "<SourceBand>1</SourceBand>"
            f'<SrcRect xOff="0" yOff="0" xSize="40" ySize="50"/>'
            f'<DstRect xOff="{x}" yOff="0" xSize="40" ySize="50"/></SimpleSource>'
        )

    (tmp_path / "map.vrt").write_text(
        '<VRTDataset rasterXSize="80" rasterYSize="50">'
        f"<SRS>{wkt}</SRS><GeoTransform>10.0, 0.01, 0, 50.0, 0, -0.01</GeoTransform>"
        '<VRTRasterBand dataType="Byte" band="1"><NoDataValue>0</NoDataValue>'
        f"{source('a.tif', 0)}{source('b.tif', 40)}</VRTRasterBand></VRTDataset>",
        encoding="utf-8",
    )
    m = measure_classes(_ev(tmp_path, raster="map.vrt"), {}, CTX)
    assert m.value == 3
    assert m.details["pixels_per_class"] == _hist(a, b)


def test_a_glob_is_confined_to_the_submission(tmp_path: Path) -> None:
    inside = tmp_path / "sub"
    inside.mkdir()
    write_raster(
        tmp_path / "outside.tif",
        np.ones((4, 4), "uint8"),
        crs="EPSG:4326",
        transform=from_origin(0, 1, 0.25, 0.25),
        nodata=0,
    )
    with pytest.raises(EvidenceError):
        expand_tiles([str(inside / ".." / "*.tif")], inside)
    with pytest.raises(EvidenceError, match="matches no file"):
        expand_tiles([str(inside / "*.tif")], inside)


def test_area_of_overlapping_tiles_counts_the_overlap_once(tmp_path: Path) -> None:
    from geoverify.checks.area.measure import measure_area

    ones = np.ones((100, 100), dtype="uint8")
    write_raster(
        tmp_path / "t1.tif",
        ones,
        crs="EPSG:6933",
        transform=from_origin(0, 1_000_000, 100, 100),
        nodata=0,
    )
    write_raster(
        tmp_path / "t2.tif",
        ones,
        crs="EPSG:6933",
        transform=from_origin(5_000, 1_000_000, 100, 100),
        nodata=0,
    )
    m = measure_area(_ev(tmp_path, rasters=["t1.tif", "t2.tif"]), {}, CTX)
    # equal-area grid: 150 columns x 100 rows of 0.01 km2
    assert m.value == pytest.approx(150 * 100 * 0.01, rel=1e-9)


def test_cover_by_earlier_tiles_per_row_and_column_equals_per_pixel() -> None:
    """The overlap rule's fast path (north-up tiles in one CRS) marks the same pixels as
    transforming every pixel centre (random tiles, windows, pixel sizes)."""
    from affine import Affine
    from rasterio.crs import CRS

    from geoverify.io.mosaic import Tile, earlier_cover

    rng = np.random.default_rng(3)
    crs = CRS.from_epsg(32650)

    def tile() -> Tile:
        a = float(rng.choice([10, 30, 7.5, 0.1]))
        origin = (float(rng.uniform(0, 3000)), float(rng.uniform(0, 3000)))
        size = (int(rng.integers(5, 400)), int(rng.integers(5, 400)))
        return Tile(
            "t", crs, Affine(a, 0, origin[0], 0, -a, origin[1]), *size, None, (-180, -90, 180, 90)
        )

    for _ in range(100):
        t, others = tile(), [tile() for _ in range(int(rng.integers(1, 4)))]
        r0, c0 = int(rng.integers(0, 50)), int(rng.integers(0, 50))
        rows, cols = np.mgrid[r0 : r0 + 60, c0 : c0 + 70]
        xs, ys = t.transform * (cols + 0.5, rows + 0.5)
        want = np.zeros((60, 70), bool)
        for o in others:
            col, row = ~o.transform * (np.asarray(xs), np.asarray(ys))
            want |= (col >= 0) & (col < o.width) & (row >= 0) & (row < o.height)
        assert np.array_equal(earlier_cover(t, others, r0, c0, 60, 70), want)
