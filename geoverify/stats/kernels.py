"""Fused counting kernels over decoded windows: pair counts, class counts, valid pixels.

Each kernel has two implementations that give the same counts to the last pixel:

- a compiled one (the C extension :mod:`geoverify.stats._ckernels`, built by
  the package's own build from ``_ckernels.c``): one pass over the window, no
  temporaries, the GIL released, so the threads of :func:`geoverify.io.scan.scan`
  count in parallel while GDAL decodes.  It imports in well under a
  millisecond, so it is used for every scan, small or large;
- a numpy one (``np.bincount`` / ``np.unique``), used when the extension was not
  built (an install without a C compiler: the build treats it as optional) or
  when ``GEOVERIFY_KERNELS=numpy``.

Counting rules (identical in both implementations):

- *pair histogram* of two uint8 windows: ``out[map << 8 | ref] += 1`` over every
  pixel (nodata rows and columns are removed from the 256 × 256 table later);
- *pair counts* of two integer windows of at most 16 bits: the pairs where
  neither side is nodata (a lookup table per side, built from
  :func:`geoverify.io.masks.valid_mask` over every value of the dtype), and the
  number of excluded pixels;
- *class histogram* of a uint8/uint16/int8/int16 window: ``out[value + offset] += 1``;
- *valid count*: pixels that :func:`geoverify.io.masks.valid_mask` calls valid.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from geoverify.io.masks import valid_mask

__all__ = [
    "MODE_ENV",
    "backend",
    "class_histogram",
    "code_table",
    "extension",
    "invalid_table",
    "pair_counts_small",
    "pair_histogram_u8",
    "prepare",
    "ready",
    "small_int",
    "tally",
    "valid_count",
]

#: Environment variable choosing the implementation: ``auto`` (default), ``c`` or ``numpy``.
MODE_ENV = "GEOVERIFY_KERNELS"

#: Dense pair tables of integer windows are used up to this many cells; wider
#: value ranges go through ``np.unique``.
MAX_DENSE_PAIRS = 1 << 22

#: Most arrays one call of the C ``tally`` combines (more go through numpy).
MAX_TALLY = 64

_SMALL_INTS = ("uint8", "uint16", "int8", "int16")


# --------------------------------------------------------------------------- choice


def extension() -> ModuleType | None:
    """The C extension module, or ``None`` when it was not built."""
    try:
        from geoverify.stats import _ckernels
    except ImportError:  # built without a C compiler: the numpy implementation counts
        return None
    return _ckernels


def _mode() -> str:
    mode = os.environ.get(MODE_ENV, "auto").strip().lower()
    if mode in ("auto", "c", "numpy"):
        return mode
    _warn_once(f"{MODE_ENV}={mode!r} is not one of auto, c, numpy: auto is used")
    return "auto"


@functools.cache
def _warn_once(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def backend(pixels: int | None = None) -> str:
    """``"c"`` or ``"numpy"``: the implementation a scan should use.

    ``"c"`` whenever the extension is built, unless ``GEOVERIFY_KERNELS=numpy``
    (``pixels`` is accepted for compatibility; the choice no longer depends on it).
    """
    mode = _mode()
    if mode == "numpy":
        return "numpy"
    if extension() is None:
        if mode == "c":
            _warn_once(
                f"{MODE_ENV}=c but the C extension geoverify.stats._ckernels was not built "
                "(no C compiler at install time): the numpy implementation counts"
            )
        return "numpy"
    return "c"


def prepare(pixels: int | None = None, dtypes: Sequence[Any] = (), uses: Sequence[str] = ()) -> str:
    """The implementation to pass to the kernels for a scan (see :func:`backend`)."""
    return backend(pixels)


def ready(timeout: float | None = None) -> bool:
    """True when the compiled kernels are available (nothing to wait for: no JIT)."""
    return backend() == "c"


def small_int(dtype: Any) -> bool:
    """True for the integer dtypes of at most 16 bits that the dense kernels handle."""
    return np.dtype(dtype).name in _SMALL_INTS


def _compiled(kind: str) -> Any:
    return extension() if kind == "c" else None


# --------------------------------------------------------------------------- public kernels


def _offset(dtype: Any) -> int:
    dt = np.dtype(dtype)
    return -int(np.iinfo(dt).min) if dt.kind == "i" else 0


def _flat(a: np.ndarray) -> np.ndarray:
    """A C-contiguous native-order view (or copy) the extension can read."""
    a = np.ascontiguousarray(a)
    return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))


def invalid_table(dtype: Any, nodata: float | None) -> np.ndarray:
    """Lookup table of a ≤ 16-bit integer dtype: ``table[value + offset]`` is True on nodata.

    Built by :func:`geoverify.io.masks.valid_mask` over every value of the dtype,
    so the kernels exclude exactly the pixels it excludes.
    """
    dt = np.dtype(dtype)
    info = np.iinfo(dt)
    values = np.arange(int(info.min), int(info.max) + 1).astype(dt)
    return ~valid_mask(values, nodata)


def pair_histogram_u8(a: np.ndarray, b: np.ndarray, kind: str = "numpy") -> np.ndarray:
    """Histogram (65,536 int64 bins) of the codes ``a << 8 | b`` of two uint8 windows.

    Parameters
    ----------
    a, b : numpy.ndarray
        uint8 arrays of the same shape (map and reference).
    kind : {"c", "numpy"}
        Implementation (from :func:`prepare`).
    """
    out = np.zeros(65536, np.int64)
    ext = _compiled(kind)
    if ext is not None:
        ext.pair_hist_u8(_flat(a), _flat(b), out)
        return out
    a2 = a if a.ndim == 2 else a.reshape(1, -1)
    b2 = b if b.ndim == 2 else b.reshape(1, -1)
    # np.bincount converts to intp (8 bytes a pixel): slices bound that temporary
    step = max(1, (1 << 20) // max(1, a2.shape[1]))
    for r in range(0, a2.shape[0], step):
        codes = np.left_shift(a2[r : r + step], 8, dtype=np.uint16)
        codes |= b2[r : r + step]
        out += np.bincount(codes.ravel(), minlength=65536)
    return out


def pair_counts_small(
    a: np.ndarray,
    b: np.ndarray,
    nodata_a: float | None,
    nodata_b: float | None,
    kind: str = "numpy",
    tables: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[tuple[Any, Any], int]:
    """Counts of valid ``(a, b)`` pairs of two ≤ 16-bit integer windows, and the excluded.

    Returns the partial result of a pair-count scan: ``{(x, y): count}`` with
    Python ``int`` keys, and ``("__excluded__", None)``: the pixels where either
    side is nodata.

    Parameters
    ----------
    a, b : numpy.ndarray
        Integer arrays of at most 16 bits, same shape.
    nodata_a, nodata_b : float or None
        The nodata values (as for :func:`geoverify.io.masks.valid_mask`).
    kind : {"c", "numpy"}
        Implementation.
    tables : tuple of numpy.ndarray, optional
        The :func:`invalid_table` of each side (computed when absent).
    """
    ext = _compiled(kind)
    if ext is not None and small_int(a.dtype) and small_int(b.dtype):
        lut_a, lut_b = tables or (
            invalid_table(a.dtype, nodata_a),
            invalid_table(b.dtype, nodata_b),
        )
        off_a, off_b = _offset(a.dtype), _offset(b.dtype)
        a2, b2 = _flat(a), _flat(b)
        lo_a, hi_a, lo_b, hi_b, excluded = ext.pair_range(a2, b2, lut_a, lut_b)
        out: dict[tuple[Any, Any], int] = {("__excluded__", None): int(excluded)}
        if hi_a < 0:  # nothing valid
            return out
        na, nb = int(hi_a - lo_a + 1), int(hi_b - lo_b + 1)
        if na * nb <= MAX_DENSE_PAIRS:
            table = np.zeros((na, nb), np.int64)
            ext.pair_dense(a2, b2, lut_a, lut_b, lo_a, lo_b, table)
            xs, ys = np.nonzero(table)
            base_a, base_b = int(lo_a) - off_a, int(lo_b) - off_b
            for x, y, c in zip(xs.tolist(), ys.tolist(), table[xs, ys].tolist(), strict=True):
                out[(x + base_a, y + base_b)] = c
            return out
    return _pairs_numpy(a, b, nodata_a, nodata_b)


def _pairs_numpy(
    a: np.ndarray, b: np.ndarray, nodata_a: float | None, nodata_b: float | None
) -> dict[tuple[Any, Any], int]:
    a, b = a.ravel(), b.ravel()
    ok = valid_mask(a, nodata_a) & valid_mask(b, nodata_b)
    out: dict[tuple[Any, Any], int] = {("__excluded__", None): int(ok.size - ok.sum())}
    if ok.any():
        pairs, counts = np.unique(np.stack([a[ok], b[ok]]), axis=1, return_counts=True)
        for (x, y), c in zip(pairs.T.tolist(), counts.tolist(), strict=True):
            out[(x, y)] = out.get((x, y), 0) + c
    return out


def class_histogram(a: np.ndarray, kind: str = "numpy") -> np.ndarray:
    """Histogram of a uint8/uint16/int8/int16 window: ``2**bits`` int64 bins of ``value + offset``.

    The offset is ``-min`` of a signed dtype (128 or 32768), 0 otherwise.
    """
    size = 1 << (8 * a.dtype.itemsize)
    off = _offset(a.dtype)
    ext = _compiled(kind)
    if ext is not None:
        out = np.zeros(size, np.int64)
        ext.class_hist(_flat(a), out)
        return out
    data = a.ravel()
    return np.bincount(data.astype(np.int32) + off if off else data, minlength=size)


def valid_count(
    a: np.ndarray,
    nodata: float | None,
    kind: str = "numpy",
    table: np.ndarray | None = None,
) -> int:
    """Number of pixels :func:`geoverify.io.masks.valid_mask` calls valid (no mask band).

    Parameters
    ----------
    a : numpy.ndarray
        A window of any integer or float dtype.
    nodata : float or None
        The band's nodata value.
    kind : {"c", "numpy"}
        Implementation.
    table : numpy.ndarray, optional
        :func:`invalid_table` of a ≤ 16-bit integer dtype (computed when absent).
    """
    ext = _compiled(kind)
    if ext is not None:
        if small_int(a.dtype):
            lut = table if table is not None else invalid_table(a.dtype, nodata)
            return int(ext.valid_lut(_flat(a), lut))
        if a.dtype in (np.float32, np.float64):
            from geoverify.io.masks import nodata_values

            values = np.array(nodata_values(nodata, a.dtype), dtype=np.float64)
            return int(ext.valid_float(_flat(a), values))
    return int(np.count_nonzero(valid_mask(a, nodata)))


def code_table(dtype: Any, values: Any, code: int) -> np.ndarray:
    """A uint8 code table of a ≤ 16-bit integer dtype: ``code`` where ``values`` is True.

    ``values`` is a function of an array of every value of the dtype (in order,
    from the dtype's minimum) returning a boolean array: e.g. the product values
    that are an observation.  The table is indexed by ``value + offset``, as the
    kernels read it.
    """
    dt = np.dtype(dtype)
    info = np.iinfo(dt)
    every = np.arange(int(info.min), int(info.max) + 1).astype(dt)
    return np.where(np.asarray(values(every), bool), np.uint8(code), np.uint8(0)).astype(np.uint8)


def tally(
    arrays: Sequence[np.ndarray],
    codes: Sequence[np.ndarray],
    row_area: np.ndarray,
    *,
    land: np.ndarray | None = None,
    land_index: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    land_bit: int = 0,
    kind: str = "numpy",
) -> tuple[np.ndarray, np.ndarray]:
    """Area-weighted histogram of per-pixel codes over a window (256 codes).

    The code of a pixel is the OR of ``codes[k][value of arrays[k] + offset]``
    over the arrays (:func:`code_table`), OR ``land_bit`` on land.  Land is either
    a window-sized array (nonzero = land) or, for grids whose longitude depends on
    the column only and latitude on the row only, ``land_index = (mask, rows,
    cols)``: the pixel ``(i, j)`` is land when ``rows[i] >= 0``, ``cols[j] >= 0``
    and ``mask[rows[i], cols[j]]``.  Counts are multiplied by the area of their
    row (``row_area``, one value per row of the window) and summed per row first,
    so a row's area is applied once, not per pixel.

    Parameters
    ----------
    arrays : sequence of numpy.ndarray
        Windows of ≤ 16-bit integers, all of the same shape ``(H, W)``.
    codes : sequence of numpy.ndarray
        One uint8 code table per array.
    row_area : numpy.ndarray
        ``H`` float64 areas, one per row.
    land, land_index, land_bit
        The land rule (see above); none = no land bit.
    kind : {"c", "numpy"}
        Implementation.

    Returns
    -------
    (area, count) : numpy.ndarray
        ``area[code]`` (float64, same unit as ``row_area``) and ``count[code]`` (int64).
    """
    shape = arrays[0].shape
    height = shape[0] if len(shape) == 2 else 1
    row_area = np.ascontiguousarray(row_area, dtype=np.float64).reshape(-1)
    if row_area.size == 1 and height != 1:
        row_area = np.full(height, float(row_area[0]))
    if row_area.size != height:
        raise ValueError(f"row_area has {row_area.size} values for {height} rows")
    area = np.zeros(256, np.float64)
    count = np.zeros(256, np.int64)
    ext = _compiled(kind)
    if ext is not None and len(arrays) <= MAX_TALLY and all(small_int(a.dtype) for a in arrays):
        land_u8 = None if land is None else _flat((np.asarray(land) != 0).view(np.uint8))
        mask = rows = cols = None
        if land_index is not None:
            mask = np.ascontiguousarray(land_index[0], dtype=np.uint8)
            rows = np.ascontiguousarray(land_index[1], dtype=np.int64)
            cols = np.ascontiguousarray(land_index[2], dtype=np.int64)
        ext.tally(
            tuple(_flat(a) for a in arrays),
            tuple(np.ascontiguousarray(c, dtype=np.uint8) for c in codes),
            land_u8,
            mask,
            rows,
            cols,
            int(land_bit),
            row_area,
            area,
            count,
        )
        return area, count
    code = np.zeros((height, arrays[0].size // max(1, height)), np.uint8)
    for a, table in zip(arrays, codes, strict=True):
        code |= table[a.astype(np.int64) + _offset(a.dtype)].reshape(code.shape)
    if land is not None:
        on_land = np.asarray(land).reshape(code.shape) != 0
        code |= np.where(on_land, np.uint8(land_bit), np.uint8(0))
    elif land_index is not None:
        mask, rows, cols = land_index
        on = mask[np.clip(rows, 0, None)[:, None], np.clip(cols, 0, None)[None, :]] != 0
        on &= (rows >= 0)[:, None] & (cols >= 0)[None, :]
        code |= np.where(on, np.uint8(land_bit), np.uint8(0))
    for i in range(height):
        hist = np.bincount(code[i], minlength=256)
        count += hist
        area += hist * row_area[i]
    return area, count
