"""io/shared.py: one pass for several scans of a raster, and every way it must not go wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from geoverify.io.scan import Window, add_counts
from geoverify.io.shared import ScanRequest, SharedScans


def _write(path: Path, data: np.ndarray) -> str:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype=data.dtype.name,
        crs="EPSG:32650",
        transform=from_origin(0, 1000, 1, 1),
        tiled=True,
        blockxsize=256,
        blockysize=256,
    ) as dst:
        dst.write(data, 1)
    return str(path)


def _hist(arrays: list[np.ndarray], window: Window) -> np.ndarray:
    return np.bincount(arrays[0].ravel(), minlength=256)


def _pairs(arrays: list[np.ndarray], window: Window) -> dict[Any, int]:
    codes = arrays[0].astype(np.int64) * 256 + arrays[1]
    values, counts = np.unique(codes, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts, strict=True)}


@pytest.fixture
def rasters(tmp_path: Path) -> tuple[str, str, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    a = rng.integers(0, 9, (700, 900)).astype(np.uint8)
    b = rng.integers(0, 4, (700, 900)).astype(np.uint8)
    return _write(tmp_path / "a.tif", a), _write(tmp_path / "b.tif", b), a, b


def test_planned_requests_share_one_pass_with_the_same_results(rasters) -> None:
    pa, pb, a, b = rasters
    hist = ScanRequest(("x.classes", "hist"), (pa,), (1,), _hist, np.add)
    pairs = ScanRequest(("x.agreement", "pairs"), (pa, pb), (1, 1), _pairs, add_counts)
    shared = SharedScans()
    shared.plan(hist)
    shared.plan(pairs)
    got_hist = shared.run(hist)
    assert len(shared.passes) == 1 and shared.passes[0]["rasters"] == 2
    got_pairs = shared.run(pairs)  # taken from the pass, no second one
    assert len(shared.passes) == 1
    assert np.array_equal(got_hist, np.bincount(a.ravel(), minlength=256))
    codes, counts = np.unique(a.astype(np.int64) * 256 + b, return_counts=True)
    assert got_pairs == dict(zip(codes.tolist(), counts.tolist(), strict=True))


def test_a_failing_partner_never_fails_the_first_request(rasters) -> None:
    """Any exception of the partner's function (not only geoverify's errors) falls back."""
    pa, pb, a, _ = rasters

    def broken(arrays: list[np.ndarray], window: Window) -> Any:
        raise ValueError("a bug in the partner")

    hist = ScanRequest(("x.classes", "hist"), (pa,), (1,), _hist, np.add)
    shared = SharedScans()
    shared.plan(hist)
    shared.plan(ScanRequest(("x.other", "broken"), (pa, pb), (1, 1), broken, np.add))
    assert np.array_equal(shared.run(hist), np.bincount(a.ravel(), minlength=256))
    assert shared.passes == []


def test_results_are_not_kept_across_runs_or_inputs(rasters, tmp_path: Path) -> None:
    """A result planned in one run is never served in the next (the file may have changed),
    nor to a request whose rasters differ from the planned ones."""
    pa, pb, a, b = rasters
    shared = SharedScans()
    hist = ScanRequest(("x.classes", "hist"), (pa,), (1,), _hist, np.add)
    pairs = ScanRequest(("x.agreement", "pairs"), (pa, pb), (1, 1), _pairs, add_counts)
    shared.plan(hist)
    shared.plan(pairs)
    shared.run(hist)  # the pass keeps the pairs' result for later
    shared.begin_run()
    _write(Path(pb), np.zeros_like(b))  # the reference changes between runs
    again = shared.run(pairs)
    values, counts = np.unique(a, return_counts=True)
    assert again == {int(v) * 256: int(c) for v, c in zip(values, counts, strict=True)}
    # planned with one reference, asked with another: its own scan
    shared.begin_run()
    other = _write(tmp_path / "c.tif", np.full_like(b, 3))
    shared.plan(hist)
    shared.plan(pairs)
    shared.run(hist)
    asked = ScanRequest(("x.agreement", "pairs"), (pa, other), (1, 1), _pairs, add_counts)
    got = shared.run(asked)
    assert got == {int(v) * 256 + 3: int(c) for v, c in zip(values, counts, strict=True)}


def test_an_evaluated_indicator_leaves_nothing_behind(rasters) -> None:
    pa, pb, _, _ = rasters
    shared = SharedScans()
    hist = ScanRequest(("x.classes", "hist"), (pa,), (1,), _hist, np.add)
    pairs = ScanRequest(("x.agreement", "pairs"), (pa, pb), (1, 1), _pairs, add_counts)
    shared.plan(hist)
    shared.plan(pairs)
    shared.finish("x.agreement")  # evaluated without reaching its scan (an error, say)
    shared.run(hist)
    assert shared.passes == []  # no pass for a partner that will never ask
