"""Fused counting kernels: the C extension and numpy give the same counts as independent tallies.

Expected values come from ``sklearn.metrics.confusion_matrix``, ``np.unique`` and
``np.count_nonzero`` on the whole arrays (another library, another algorithm),
on random rasters with nodata written by rasterio, tiled and striped, larger
than one scan window so several windows (and threads) are combined.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from geoverify.io.masks import valid_mask
from geoverify.stats import kernels
from geoverify.stats.confusion import pair_counts
from geoverify.stats.tallies import class_counts, valid_pixels

SIDE = 2304  # 5.3 Mi pixels: more than one 4 Mi-pixel window


@pytest.fixture(params=["c", "numpy"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with the compiled kernels, then with the numpy fallback."""
    monkeypatch.setenv(kernels.MODE_ENV, request.param)
    if request.param == "c":
        # the package's build compiles it (pyproject: ext-modules); CI has a C compiler
        assert kernels.ready(), "the C extension geoverify.stats._ckernels was not built"
    assert kernels.backend() == request.param
    return str(request.param)


def _write(path: Path, data: np.ndarray, nodata: float | None, layout: str) -> str:
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": "EPSG:32650",
        "transform": from_origin(400_000, 3_000_000, 10, 10),
        "nodata": nodata,
        "compress": "deflate",
    }
    if layout == "tiled":
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    else:
        profile.update(tiled=False, blockysize=64)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return str(path)


def _classes(rng: np.random.Generator, dtype: str, low: int, high: int) -> np.ndarray:
    return rng.integers(low, high, (SIDE, SIDE)).astype(dtype)


CASES = [
    # dtype, value range, nodata of map, nodata of reference
    ("uint8", (0, 12), 0, 0),
    ("uint8", (0, 12), 255, None),
    ("uint16", (990, 1010), 1000, 0),
    ("int16", (-6, 6), -1, -32768),
]


@pytest.mark.parametrize("layout", ["tiled", "striped"])
@pytest.mark.parametrize(("dtype", "span", "nd_map", "nd_ref"), CASES)
def test_pair_counts_match_sklearn(
    tmp_path: Path,
    mode: str,
    layout: str,
    dtype: str,
    span: tuple[int, int],
    nd_map: int | None,
    nd_ref: int | None,
) -> None:
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(abs(hash((dtype, layout, span))) % 2**32)
    m = _classes(rng, dtype, *span)
    r = m.copy()
    flip = rng.random(m.shape) < 0.2
    r[flip] = _classes(rng, dtype, *span)[flip]
    if nd_ref is not None:
        r[rng.random(m.shape) < 0.01] = nd_ref
    a = _write(tmp_path / "map.tif", m, nd_map, layout)
    b = _write(tmp_path / "ref.tif", r, nd_ref, layout)

    pc = pair_counts(a, b, workers=2)

    ok = valid_mask(m, nd_map) & valid_mask(r, nd_ref)
    labels = np.union1d(np.unique(m[ok]), np.unique(r[ok]))
    full = confusion_matrix(m[ok].astype(np.int64), r[ok].astype(np.int64), labels=labels)
    rows = np.searchsorted(labels, pc.map_values)
    cols = np.searchsorted(labels, pc.ref_values)
    expected = full[np.ix_(rows, cols)]
    assert np.array_equal(pc.map_values, np.unique(m[ok]))
    assert np.array_equal(pc.ref_values, np.unique(r[ok]))
    assert np.array_equal(pc.counts, expected)
    assert pc.total == int(ok.sum())
    assert pc.excluded == int(ok.size - ok.sum())


@pytest.mark.parametrize("layout", ["tiled", "striped"])
@pytest.mark.parametrize(
    ("dtype", "span", "nodata"),
    [
        ("uint8", (0, 40), 0),
        ("uint16", (0, 3000), 2999),
        ("int16", (-300, 300), -300),
        ("int8", (-5, 5), None),
    ],
)
def test_class_counts_and_valid_pixels_match_unique(
    tmp_path: Path,
    mode: str,
    layout: str,
    dtype: str,
    span: tuple[int, int],
    nodata: int | None,
) -> None:
    rng = np.random.default_rng(11)
    data = _classes(rng, dtype, *span)
    path = _write(tmp_path / "c.tif", data, nodata, layout)

    counts = class_counts(path, workers=2)
    n_valid = valid_pixels(path, workers=2)

    ok = valid_mask(data, nodata)
    values, expected = np.unique(data[ok], return_counts=True)
    assert list(counts) == values.tolist()
    assert list(counts.values()) == expected.tolist()
    assert n_valid == int(np.count_nonzero(ok)) == sum(counts.values())


def test_valid_pixels_of_a_float_raster(tmp_path: Path, mode: str) -> None:
    rng = np.random.default_rng(5)
    data = rng.normal(size=(SIDE, 1000)).astype(np.float32)
    data[rng.random(data.shape) < 0.05] = np.nan
    data[rng.random(data.shape) < 0.01] = np.inf
    data[rng.random(data.shape) < 0.03] = -9999.0
    path = _write(tmp_path / "f.tif", data, -9999.0, "tiled")
    expected = int(np.count_nonzero(np.isfinite(data) & (data != np.float32(-9999.0))))
    assert valid_pixels(path, workers=2) == expected


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int8", "int16"])
def test_kernels_agree_on_arrays(dtype: str) -> None:
    """Compiled and numpy kernels, called directly, on odd shapes and nodata outside the range."""
    assert kernels.ready()
    info = np.iinfo(dtype)
    rng = np.random.default_rng(3)
    for shape in [(1, 1), (3, 517), (129, 7)]:
        a = rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
        b = rng.integers(info.min, min(info.max, info.min + 40), shape, endpoint=True).astype(dtype)
        for nd_a, nd_b in [(None, None), (int(a.flat[0]), int(b.flat[-1])), (1e6, -0.5)]:
            got = kernels.pair_counts_small(a, b, nd_a, nd_b, "c")
            want = kernels.pair_counts_small(a, b, nd_a, nd_b, "numpy")
            assert got == want
            assert sum(got.values()) == a.size
            assert kernels.valid_count(a, nd_a, "c") == kernels.valid_count(a, nd_a, "numpy")
        assert np.array_equal(kernels.class_histogram(a, "c"), kernels.class_histogram(a, "numpy"))
        if dtype == "uint8":
            got_h = kernels.pair_histogram_u8(a, b, "c")
            want_h = kernels.pair_histogram_u8(a, b, "numpy")
            assert np.array_equal(got_h, want_h) and got_h.sum() == a.size


def test_invalid_table_follows_valid_mask() -> None:
    table = kernels.invalid_table("int16", -32768)
    assert table.size == 65536 and table[0] and int(table.sum()) == 1
    assert not kernels.invalid_table("uint8", 300).any()  # outside the range: marks nothing
    assert not kernels.invalid_table("uint8", 2.5).any()  # not an integer: marks nothing


def test_mode_is_chosen_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kernels.MODE_ENV, "numpy")
    assert kernels.backend(10**12) == "numpy"
    monkeypatch.setenv(kernels.MODE_ENV, "auto")
    assert kernels.backend(16) == "c"  # no start-up cost: small scans too


def test_views_and_byte_orders_count_like_numpy() -> None:
    """Strided views, big-endian and float32 windows reach the extension as the same values."""
    rng = np.random.default_rng(11)
    a = rng.integers(0, 7, (300, 301)).astype(np.uint8)
    b = rng.integers(0, 7, (300, 301)).astype(np.uint8)
    view_a, view_b = a[::2, 1::3], b[::2, 1::3]
    got = kernels.pair_histogram_u8(view_a, view_b, "c")
    codes = view_a.astype(np.int64) * 256 + view_b
    assert np.array_equal(got, np.bincount(codes.ravel(), minlength=65536))
    big = rng.integers(-500, 500, (64, 65)).astype(">i2")
    assert np.array_equal(
        kernels.class_histogram(big, "c"), kernels.class_histogram(big.astype("<i2"), "numpy")
    )
    f = rng.normal(size=(50, 40)).astype(np.float32)
    f[::3, ::5] = np.float32(0.1)  # a nodata with no exact float64 twin
    f[1, :4] = np.nan
    assert kernels.valid_count(f, 0.1, "c") == int(np.count_nonzero(valid_mask(f, 0.1)))


def test_extension_refuses_what_would_read_out_of_bounds() -> None:
    """Mismatched sizes and tables are errors, never a read beyond the buffers."""
    from geoverify.stats import _ckernels

    a = np.zeros(10, np.uint8)
    with pytest.raises(ValueError, match="same size"):
        _ckernels.pair_hist_u8(a, np.zeros(9, np.uint8), np.zeros(65536, np.int64))
    with pytest.raises(ValueError, match="65536 int64"):
        _ckernels.pair_hist_u8(a, a, np.zeros(100, np.int64))
    with pytest.raises(ValueError, match="2\\*\\*bits"):
        _ckernels.valid_lut(np.zeros(4, np.uint16), np.zeros(256, np.bool_))
    table = np.zeros((1, 1), np.int64)
    lut = np.zeros(256, np.bool_)
    with pytest.raises(ValueError, match="outside the table"):
        _ckernels.pair_dense(
            np.array([0, 5], np.uint8), np.array([0, 0], np.uint8), lut, lut, 0, 0, table
        )


@pytest.mark.parametrize("land_rule", ["none", "array", "index"])
def test_tally_of_codes_by_row_area(land_rule: str) -> None:
    """The fused tally equals a hand-written per-pixel loop over a small window."""
    rng = np.random.default_rng(21)
    h, w = 7, 13
    a = rng.integers(-3, 5, (h, w)).astype(np.int16)
    b = rng.integers(0, 3, (h, w)).astype(np.uint8)
    # rows of one value in every array (counted without a per-pixel pass), in one only
    a[2, :], b[2, :] = -3, 1
    a[4, :], b[4, :] = 0, 0
    a[5, :] = 2
    code_a = kernels.code_table(np.int16, lambda v: v >= 0, 1) | kernels.code_table(
        np.int16, lambda v: v > 0, 2
    )
    code_b = kernels.code_table(np.uint8, lambda v: v == 1, 4)
    row_area = rng.random(h) + 0.5
    mask = rng.integers(0, 2, (4, 5)).astype(np.uint8)
    rows = np.array([0, -1, 1, 1, 3, 3, 2])  # consecutive rows sharing a mask row
    cols = rng.integers(-1, 5, w)
    land_array = rng.integers(0, 2, (h, w)).astype(bool)
    options: dict[str, Any] = {"land_bit": 128}
    if land_rule == "array":
        options["land"] = land_array
    elif land_rule == "index":
        options["land_index"] = (mask, rows, cols)
    want_area, want_count = np.zeros(256), np.zeros(256, np.int64)
    for i in range(h):
        for j in range(w):
            code = 0
            code |= 1 if a[i, j] >= 0 else 0
            code |= 2 if a[i, j] > 0 else 0
            code |= 4 if b[i, j] == 1 else 0
            if land_rule == "array" and land_array[i, j]:
                code |= 128
            if land_rule == "index" and rows[i] >= 0 and cols[j] >= 0 and mask[rows[i], cols[j]]:
                code |= 128
            want_count[code] += 1
            want_area[code] += row_area[i]
    for kind in ("c", "numpy"):
        area, count = kernels.tally([a, b], [code_a, code_b], row_area, kind=kind, **options)
        assert np.array_equal(count, want_count), kind
        assert np.allclose(area, want_area, rtol=1e-12, atol=0), kind


def test_tally_refuses_indexes_beyond_the_mask() -> None:
    a = np.zeros((2, 3), np.uint8)
    table = np.zeros(256, np.uint8)
    mask = np.ones((2, 2), np.uint8)
    with pytest.raises(ValueError, match="land_cols index beyond the mask"):
        kernels.tally(
            [a],
            [table],
            np.ones(2),
            land_index=(mask, np.array([0, 1]), np.array([0, 1, 2])),
            kind="c",
        )


def test_tally_of_many_arrays_and_of_empty_windows() -> None:
    """More arrays than one C call combines go through numpy; a window of no columns counts
    nothing (and reads nothing)."""
    rng = np.random.default_rng(8)
    arrays = [rng.integers(0, 3, (5, 6)).astype(np.uint8) for _ in range(kernels.MAX_TALLY + 6)]
    table = kernels.code_table(np.uint8, lambda v: v == 2, 1)
    area, count = kernels.tally(arrays, [table] * len(arrays), np.ones(5), kind="c")
    any_two = np.any(np.stack(arrays) == 2, axis=0)
    assert count[1] == int(any_two.sum()) and count[0] == int((~any_two).sum())
    empty = np.zeros((3, 0), np.int16)
    area, count = kernels.tally(
        [empty], [kernels.code_table(np.int16, lambda v: v > 0, 1)], np.ones(3), kind="c"
    )
    assert count.sum() == 0 and area.sum() == 0


def test_an_unknown_kernel_mode_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kernels.MODE_ENV, "numba")  # the value before the C extension
    kernels._warn_once.cache_clear()
    with pytest.warns(RuntimeWarning, match="not one of auto, c, numpy"):
        assert kernels.backend() == "c"
