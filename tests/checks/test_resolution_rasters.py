"""Resolution of a deliverable made of several files: each measured, the coarsest decides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.resolution.measure import measure_resolution
from geoverify.errors import EvidenceError
from geoverify.model.evidence import Evidence
from geoverify.testing.samples.common import write_raster


def _tile(path: Path, pixel: float, crs: str, x0: float, y0: float) -> str:
    rng = np.random.default_rng(int(pixel))
    write_raster(
        path,
        rng.integers(1, 200, (64, 64)).astype("uint8"),
        crs=crs,
        transform=from_origin(x0, y0, pixel, pixel),
        nodata=0,
    )
    return path.name


def test_tiles_in_two_utm_zones_the_coarsest_decides(tmp_path: Path) -> None:
    names = [
        _tile(tmp_path / "t50.tif", 10.0, "EPSG:32650", 500_000, 4_000_000),
        _tile(tmp_path / "t51.tif", 20.0, "EPSG:32651", 300_000, 4_000_000),
    ]
    ev = Evidence("x.res", tmp_path, {"rasters": names}, "s.toml:3")
    m = measure_resolution(ev, {}, Context(workers=1))
    assert m.value == pytest.approx(20.0)  # hand: the 20 m tile is the coarsest
    files = {f["file"]: f["pixel_size_m"] for f in m.details["files"]}
    assert files == {"t50.tif": pytest.approx(10.0), "t51.tif": pytest.approx(20.0)}
    assert "2 files measured" in m.message and "t51.tif" in m.message


def test_raster_and_rasters_together_and_none(tmp_path: Path) -> None:
    one = _tile(tmp_path / "a.tif", 30.0, "EPSG:32650", 500_000, 4_000_000)
    two = _tile(tmp_path / "b.tif", 10.0, "EPSG:32650", 500_640, 4_000_000)
    ev = Evidence("x.res", tmp_path, {"raster": one, "rasters": [two]}, "s.toml:3")
    assert measure_resolution(ev, {}, Context(workers=1)).value == pytest.approx(30.0)
    with pytest.raises(EvidenceError, match="no raster to measure"):
        measure_resolution(Evidence("x.res", tmp_path, {}, "s.toml:3"), {}, Context())
