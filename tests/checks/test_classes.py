"""Class counts streamed block by block, against an independent ``np.unique`` on the whole array."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

import geoverify.io.scan as blocks
from geoverify.config.catalogue import load_catalogue
from geoverify.model import Verdict
from geoverify.model.evidence import Evidence
from geoverify.run import evaluate
from geoverify.stats.tallies import class_counts

WORLDCOVER = ("esa-worldcover", "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif")
# a 1024 × 1024 window of the tile holding 9 classes, some rare (95: 30 px, 90: 1 px)
WORLDCOVER_WINDOW = Window(col_off=6656, row_off=30720, width=1024, height=1024)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture
def small_windows(monkeypatch):
    """Make ``class_counts`` stream in many small windows, and record them."""
    import geoverify.io.shared as shared_module

    seen: list[object] = []
    real_scan = blocks.scan

    def scan(paths, func, combine, **kwargs):
        def recording(arrays, window):
            seen.append(window)
            return func(arrays, window)

        kwargs["window_pixels"] = 64 * 64
        return real_scan(paths, recording, combine, **kwargs)

    # class_counts runs its scan request alone through io/shared.py
    monkeypatch.setattr(shared_module, "scan", functools.partial(scan))
    return seen


def reference_counts(array: np.ndarray, nodata: float | None) -> dict[int, int]:
    values = array.ravel()
    if nodata is not None:
        values = values[values != nodata]
    v, c = np.unique(values, return_counts=True)
    return dict(zip(v.tolist(), c.tolist(), strict=True))


def write_tif(path: Path, array: np.ndarray, *, nodata=None, tiled=False, crs="EPSG:32650"):
    profile = {
        "driver": "GTiff",
        "height": array.shape[0],
        "width": array.shape[1],
        "count": 1,
        "dtype": array.dtype,
        "crs": crs,
        "transform": from_origin(500_000, 3_000_000, 10, 10),
        "nodata": nodata,
    }
    if tiled:
        profile.update(tiled=True, blockxsize=128, blockysize=128)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
    return path


# ------------------------------------------------------------------------- real data


def test_corine_counts_match_np_unique(realdata, small_windows):
    path = realdata("pylandstats-corine", "ls250_06.tif")
    with rasterio.open(path) as ds:
        assert ds.nodata == 255
        array = ds.read(1)
    expected = reference_counts(array, 255)
    assert len(expected) == 21
    got = class_counts(str(path), workers=2)
    assert got == expected
    assert 255 not in got
    assert len(small_windows) > 1  # streamed, not read whole


def test_worldcover_window_counts_match_np_unique(tmp_path, realdata, small_windows):
    source = realdata(*WORLDCOVER)
    with rasterio.open(source) as ds:
        array = ds.read(1, window=WORLDCOVER_WINDOW)
        nodata = ds.nodata
        transform = ds.window_transform(WORLDCOVER_WINDOW)
        crs = ds.crs
    assert nodata == 0
    path = tmp_path / "worldcover_window.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=array.shape[0],
        width=array.shape[1],
        count=1,
        dtype=array.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    ) as dst:
        dst.write(array, 1)
    expected = reference_counts(array, 0)
    assert len(expected) >= 5
    got = class_counts(str(path), workers=2)
    assert got == expected
    assert sum(got.values()) == int((array != 0).sum())
    assert len(small_windows) > 1
    assert sum(w.height * w.width for w in small_windows) == 1024 * 1024  # each pixel once


def test_all_nodata_is_an_error(tmp_path, realdata, catalogue):
    source = realdata("rasterio", "all-nodata.tif")
    assert class_counts(str(source), workers=1) == {}
    indicator = catalogue["asean_eco.types"]
    evidence = Evidence(indicator.id, source.parent, {"raster": source.name}, "test")
    result = evaluate(indicator, evidence)
    assert result.verdict is Verdict.ERROR
    assert "no valid pixel" in result.message


# ------------------------------------------------------------------- generated rasters


def test_signed_and_float_rasters(tmp_path):
    g = np.random.default_rng(3)
    signed = g.integers(-5, 5, (100, 90)).astype(np.int16)
    path = write_tif(tmp_path / "signed.tif", signed, nodata=-5)
    assert class_counts(str(path), workers=1) == reference_counts(signed, -5)
    floats = g.integers(0, 4, (50, 40)).astype(np.float32)
    floats[0, :10] = np.nan
    path = write_tif(tmp_path / "float.tif", floats, nodata=3.0)
    expected = reference_counts(floats[~np.isnan(floats)], 3.0)
    got = class_counts(str(path), workers=1)
    assert {float(k): v for k, v in got.items()} == {float(k): v for k, v in expected.items()}


def test_explicit_nodata_overrides_the_band(tmp_path):
    array = np.repeat(np.arange(6, dtype=np.uint8), 100).reshape(20, 30)
    path = write_tif(tmp_path / "x.tif", array, nodata=None)
    got = class_counts(str(path), nodata=2, workers=1)
    assert got == reference_counts(array, 2)


def test_nodata_outside_the_dtype_range_drops_nothing(tmp_path):
    # regression: nodata = -1 on a uint8 raster once zeroed hist[-1], dropping class 255
    array = np.repeat(np.array([1, 2, 255], dtype=np.uint8), 100).reshape(30, 10)
    path = write_tif(tmp_path / "x.tif", array, nodata=None)
    assert class_counts(str(path), nodata=-1, workers=1) == {1: 100, 2: 100, 255: 100}


def classes_raster(tmp_path: Path, n_classes: int, *, name: str = "classes.tif") -> Path:
    """A 256 × 256 raster holding class codes 1..n_classes (and nodata 0 in a corner)."""
    g = np.random.default_rng(n_classes)
    array = g.integers(1, n_classes + 1, (256, 256)).astype(np.uint8)
    array[:, :n_classes] = np.arange(1, n_classes + 1, dtype=np.uint8)  # every class present
    array[:8, :8] = 0
    return write_tif(tmp_path / name, array, nodata=0, tiled=True)


def _types_result(catalogue, folder: Path, options: dict):
    indicator = catalogue["asean_eco.types"]
    assert indicator.op == ">=" and indicator.threshold == 30
    return evaluate(indicator, Evidence(indicator.id, folder, options, "test"))


@pytest.mark.parametrize(("n", "expected"), [(30, Verdict.PASS), (29, Verdict.FAIL)])
def test_at_least_30_types(tmp_path, catalogue, n, expected):
    path = classes_raster(tmp_path, n)
    result = _types_result(catalogue, tmp_path, {"raster": path.name})
    assert result.verdict is expected, result.message
    assert result.value == n
    assert result.details["classes"] == [str(c) for c in range(1, n + 1)]
    assert result.details["valid_pixels"] == 256 * 256 - 64


def test_legend_declared_present_undeclared_and_absent(tmp_path, catalogue):
    path = classes_raster(tmp_path, 32)
    # legend: codes 1..30 and 40, 41 (absent); 31 and 32 are present but undeclared
    legend = {str(c): f"type {c}" for c in [*range(1, 31), 40, 41]}
    result = _types_result(catalogue, tmp_path, {"raster": path.name, "legend": legend})
    assert result.verdict is Verdict.PASS
    assert result.value == 30
    assert set(result.details["classes"]) == {str(c) for c in range(1, 31)}
    assert result.details["classes"]["7"] == "type 7"
    assert result.details["undeclared"] == ["31", "32"]
    assert result.details["declared_absent"] == ["40", "41"]
    assert "2 present values not in the legend" in result.message
    assert "2 legend classes absent" in result.message


def test_legend_with_too_few_declared_classes_fails(tmp_path, catalogue):
    path = classes_raster(tmp_path, 35)
    legend = {str(c): f"type {c}" for c in range(1, 30)}  # 29 declared
    result = _types_result(catalogue, tmp_path, {"raster": path.name, "legend": legend})
    assert result.verdict is Verdict.FAIL
    assert result.value == 29
    assert len(result.details["undeclared"]) == 6


def test_legend_with_non_integer_code_is_an_error(tmp_path, catalogue):
    path = classes_raster(tmp_path, 30)
    result = _types_result(catalogue, tmp_path, {"raster": path.name, "legend": {"a": "x"}})
    assert result.verdict is Verdict.ERROR
    assert "not an integer class code" in result.message


def test_missing_band_is_an_error(tmp_path, catalogue):
    path = classes_raster(tmp_path, 30)
    result = _types_result(catalogue, tmp_path, {"raster": path.name, "band": 2})
    assert result.verdict is Verdict.ERROR
    assert "band 2 does not exist" in result.message
