"""Fused counting kernels over decoded windows: pair counts, class counts, valid pixels.

Each kernel has two implementations that give the same counts to the last pixel:

- a compiled one (numba, ``@njit(nogil=True, cache=True)``): one pass over the
  window, no temporaries, the GIL released, so the threads of
  :func:`geoverify.io.scan.scan` count in parallel while GDAL decodes;
- a numpy one (``np.bincount`` / ``np.unique``), used when numba is not
  installed, when ``GEOVERIFY_KERNELS=numpy``, for small scans (importing numba
  costs about 0.2 s, more than counting a small raster), and for the first
  windows of a large scan while numba is still being imported in the background
  (:func:`prepare`).

numba is imported lazily, only when a large scan starts.  Its compiled
machine code is cached on disk under ``NUMBA_CACHE_DIR`` when set, otherwise
under the user cache directory (``$XDG_CACHE_HOME/geoverify/numba`` or
``~/.cache/geoverify/numba``), so the compilation happens once per machine.

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

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from geoverify.io.masks import valid_mask

__all__ = [
    "MODE_ENV",
    "NUMBA_MIN_PIXELS",
    "backend",
    "class_histogram",
    "invalid_table",
    "pair_counts_small",
    "pair_histogram_u8",
    "prepare",
    "ready",
    "small_int",
    "valid_count",
]

#: Environment variable choosing the implementation: ``auto`` (default), ``numba`` or ``numpy``.
MODE_ENV = "GEOVERIFY_KERNELS"

#: In ``auto`` mode, scans of fewer pixels than this use numpy: numba's import and the
#: loading of its cached code cost ≈ 0.8 s in a fresh process, which the fused kernel wins
#: back only on large scans (measured on the 2-core machine, whole `geoverify accuracy`
#: command: 16384² pair 1.0 s numpy vs 1.4 s numba; 32768² pair 2.9 s numpy vs 2.3 s numba).
NUMBA_MIN_PIXELS = 1 << 29

#: Dense pair tables of integer windows are used up to this many cells; wider
#: value ranges go through ``np.unique``.
MAX_DENSE_PAIRS = 1 << 22

_SMALL_INTS = ("uint8", "uint16", "int8", "int16")

_lock = threading.Lock()
_state: dict[str, Any] = {"compiled": None, "thread": None, "failed": False}


# --------------------------------------------------------------------------- choice


def _mode() -> str:
    mode = os.environ.get(MODE_ENV, "auto").strip().lower()
    return mode if mode in ("auto", "numba", "numpy") else "auto"


def numba_available() -> bool:
    """True when numba can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("numba") is not None


def backend(pixels: int | None = None) -> str:
    """``"numba"`` or ``"numpy"``: the implementation a scan of ``pixels`` pixels should use."""
    mode = _mode()
    if mode == "numpy" or _state["failed"] or not numba_available():
        return "numpy"
    if mode == "numba":
        return "numba"
    return "numba" if pixels is None or pixels >= NUMBA_MIN_PIXELS else "numpy"


def small_int(dtype: Any) -> bool:
    """True for the integer dtypes of at most 16 bits that the dense kernels handle."""
    return np.dtype(dtype).name in _SMALL_INTS


def _cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "geoverify" / "numba")


def _compile() -> Any:
    """Import numba and wrap the kernels (machine code loaded from the on-disk cache)."""
    with _lock:
        if _state["compiled"] is not None:
            return _state["compiled"]
        os.environ.setdefault("NUMBA_CACHE_DIR", _cache_dir())
        import numba

        jit = numba.njit(nogil=True, cache=True)
        compiled = {
            "pair_hist_u8": jit(_nb_pair_hist_u8),
            "pair_range": jit(_nb_pair_range),
            "pair_dense": jit(_nb_pair_dense),
            "class_hist": jit(_nb_class_hist),
            "valid_int": jit(_nb_valid_int),
            "valid_float": jit(_nb_valid_float),
        }
        _state["compiled"] = compiled
        return compiled


def _compiled_or_none(wanted: str) -> Any:
    """The compiled kernels when ``wanted`` is numba and they are ready, else ``None``.

    While :func:`prepare` is still importing numba in the background, the numpy
    implementation counts the window instead of waiting (same counts).
    """
    if wanted != "numba" or _state["failed"]:
        return None
    compiled = _state["compiled"]
    if compiled is not None:
        return compiled
    thread = _state["thread"]
    if thread is not None and thread.is_alive():
        return None
    try:
        return _compile()
    except Exception:  # numba missing or broken: the numpy implementation counts
        _state["failed"] = True
        return None


def prepare(pixels: int | None = None, dtypes: Sequence[Any] = (), uses: Sequence[str] = ()) -> str:
    """Choose the implementation for a scan and, for numba, import it in the background.

    Returns the backend (``"numba"`` or ``"numpy"``) to pass to the kernels.  The
    compiled kernels named in ``uses`` (``pair_hist_u8``, ``class_hist``,
    ``valid_int``; all when empty) for ``dtypes`` are loaded (from the on-disk cache, or
    compiled) by a background thread while the first windows decode.
    """
    choice = backend(pixels)
    if choice != "numba" or _state["compiled"] is not None:
        return choice
    with _lock:
        if _state["thread"] is None:

            def warm() -> None:
                try:
                    compiled = _compile()
                    for name in dtypes:
                        small = np.zeros((1, 1), np.dtype(name))
                        _warm_one(compiled, small, uses)
                except Exception:
                    _state["failed"] = True

            thread = threading.Thread(target=warm, name="geoverify-numba", daemon=True)
            _state["thread"] = thread
            thread.start()
    return choice


def ready(timeout: float | None = None) -> bool:
    """Wait for the background load of :func:`prepare`; True when the compiled kernels run.

    Loads them now when no background load was started (numba mode only).
    """
    thread = _state["thread"]
    if thread is not None:
        thread.join(timeout)
    if _state["compiled"] is None and not _state["failed"] and backend() == "numba":
        _compiled_or_none("numba")
    return _state["compiled"] is not None and not _state["failed"]


def _warm_one(compiled: Any, a: np.ndarray, uses: Sequence[str]) -> None:
    """Load (or compile) the kernels of ``uses`` for ``a``'s dtype (all when empty)."""
    everything = not uses
    if a.dtype == np.uint8 and (everything or "pair_hist_u8" in uses):
        compiled["pair_hist_u8"](a, a, np.zeros(65536, np.int64))
    if small_int(a.dtype):
        lut = np.zeros(1 << (8 * a.dtype.itemsize), np.bool_)
        off = _offset(a.dtype)
        if everything or "class_hist" in uses:
            compiled["class_hist"](a, off, np.zeros(lut.size, np.int64))
        if everything or "valid_int" in uses:
            compiled["valid_int"](a, lut, off)


# --------------------------------------------------------------------------- kernels (numba)
# Plain Python functions; _compile() wraps them with numba.njit.  They are never
# run uncompiled (far too slow): the numpy functions below are the fallback.


def _nb_pair_hist_u8(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    rows, cols = a.shape
    for i in range(rows):
        for j in range(cols):
            out[(np.int64(a[i, j]) << 8) | np.int64(b[i, j])] += 1


def _nb_pair_range(
    a: np.ndarray, b: np.ndarray, lut_a: np.ndarray, lut_b: np.ndarray, off_a: int, off_b: int
) -> tuple[Any, Any, Any, Any, int]:  # pragma: no cover
    rows, cols = a.shape
    lo_a, hi_a, lo_b, hi_b = np.int64(1 << 30), np.int64(-1), np.int64(1 << 30), np.int64(-1)
    excluded = 0
    for i in range(rows):
        for j in range(cols):
            x = np.int64(a[i, j]) + off_a
            y = np.int64(b[i, j]) + off_b
            if lut_a[x] or lut_b[y]:
                excluded += 1
                continue
            if x < lo_a:
                lo_a = x
            if x > hi_a:
                hi_a = x
            if y < lo_b:
                lo_b = y
            if y > hi_b:
                hi_b = y
    return lo_a, hi_a, lo_b, hi_b, excluded


def _nb_pair_dense(
    a: np.ndarray,
    b: np.ndarray,
    lut_a: np.ndarray,
    lut_b: np.ndarray,
    off_a: int,
    off_b: int,
    lo_a: int,
    lo_b: int,
    out: np.ndarray,
) -> None:  # pragma: no cover
    rows, cols = a.shape
    for i in range(rows):
        for j in range(cols):
            x = np.int64(a[i, j]) + off_a
            y = np.int64(b[i, j]) + off_b
            if lut_a[x] or lut_b[y]:
                continue
            out[x - lo_a, y - lo_b] += 1


def _nb_class_hist(a: np.ndarray, off: int, out: np.ndarray) -> None:  # pragma: no cover
    rows, cols = a.shape
    for i in range(rows):
        for j in range(cols):
            out[np.int64(a[i, j]) + off] += 1


def _nb_valid_int(a: np.ndarray, lut: np.ndarray, off: int) -> int:  # pragma: no cover
    rows, cols = a.shape
    n = 0
    for i in range(rows):
        for j in range(cols):
            if not lut[np.int64(a[i, j]) + off]:
                n += 1
    return n


def _nb_valid_float(a: np.ndarray, nodata: np.ndarray) -> int:  # pragma: no cover
    rows, cols = a.shape
    n = 0
    for i in range(rows):
        for j in range(cols):
            v = a[i, j]
            if not np.isfinite(v):
                continue
            ok = True
            for k in range(nodata.size):
                if v == nodata[k]:
                    ok = False
                    break
            if ok:
                n += 1
    return n


# --------------------------------------------------------------------------- public kernels


def _offset(dtype: Any) -> int:
    dt = np.dtype(dtype)
    return -int(np.iinfo(dt).min) if dt.kind == "i" else 0


def _as2d(a: np.ndarray) -> np.ndarray:
    return a if a.ndim == 2 else a.reshape(1, -1)


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
    kind : {"numba", "numpy"}
        Implementation (from :func:`prepare`); numba falls back to numpy while loading.
    """
    out = np.zeros(65536, np.int64)
    compiled = _compiled_or_none(kind)
    if compiled is not None:
        compiled["pair_hist_u8"](_as2d(a), _as2d(b), out)
        return out
    a2, b2 = _as2d(a), _as2d(b)
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
    kind : {"numba", "numpy"}
        Implementation.
    tables : tuple of numpy.ndarray, optional
        The :func:`invalid_table` of each side (computed when absent).
    """
    compiled = _compiled_or_none(kind)
    if compiled is not None and small_int(a.dtype) and small_int(b.dtype):
        lut_a, lut_b = tables or (
            invalid_table(a.dtype, nodata_a),
            invalid_table(b.dtype, nodata_b),
        )
        off_a, off_b = _offset(a.dtype), _offset(b.dtype)
        a2, b2 = _as2d(a), _as2d(b)
        lo_a, hi_a, lo_b, hi_b, excluded = compiled["pair_range"](
            a2, b2, lut_a, lut_b, off_a, off_b
        )
        out: dict[tuple[Any, Any], int] = {("__excluded__", None): int(excluded)}
        if hi_a < 0:  # nothing valid
            return out
        na, nb = int(hi_a - lo_a + 1), int(hi_b - lo_b + 1)
        if na * nb <= MAX_DENSE_PAIRS:
            table = np.zeros((na, nb), np.int64)
            compiled["pair_dense"](a2, b2, lut_a, lut_b, off_a, off_b, lo_a, lo_b, table)
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
    compiled = _compiled_or_none(kind)
    if compiled is not None:
        out = np.zeros(size, np.int64)
        compiled["class_hist"](_as2d(a), off, out)
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
    kind : {"numba", "numpy"}
        Implementation.
    table : numpy.ndarray, optional
        :func:`invalid_table` of a ≤ 16-bit integer dtype (computed when absent).
    """
    compiled = _compiled_or_none(kind)
    if compiled is not None:
        if small_int(a.dtype):
            lut = table if table is not None else invalid_table(a.dtype, nodata)
            return int(compiled["valid_int"](_as2d(a), lut, _offset(a.dtype)))
        if a.dtype.kind == "f":
            from geoverify.io.masks import nodata_values

            values = np.array(nodata_values(nodata, a.dtype), dtype=a.dtype)
            return int(compiled["valid_float"](_as2d(a), values))
    return int(np.count_nonzero(valid_mask(a, nodata)))
