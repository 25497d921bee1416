"""Effective resolution from the data itself: a screen for upsampled rasters.

A product resampled onto a grid finer than its own (a 30 m map delivered on a
10 m grid) keeps the trace of the interpolation: every interpolation by an
integer factor ``k`` with a fixed kernel makes the local statistics of the
image *periodic with period k* along each axis (the image is cyclostationary).

- nearest neighbour replicates each pixel in ``k × k`` blocks: pixel values
  change only across the block lattice, so the rate of change between
  neighbours is (near) zero at ``k − 1`` of the ``k`` lattice phases;
- bilinear / cubic interpolation makes the signal piecewise polynomial between
  the original samples: the magnitude of the first and second differences
  varies with the phase of the lattice (Gallagher 2005; Mahdian & Saic 2008).

The screen reads a few windows spread over the valid part of the raster
(never the whole raster), computes, for every column (and every row), the mean
over the window of three statistics of neighbouring pixels — the change rate
``P(x[i+1] ≠ x[i])`` (categorical maps), ``|Δx|`` and ``|Δ²x|`` (continuous
fields) —, and measures for each candidate factor ``k`` how much of the
column-to-column variation of these profiles the lattice phase ``i mod k``
explains (the coefficient of determination ``R²`` of a one-way analysis of
variance with the phase as factor).  Native data has no preferred phase
(``R² ≈ (k − 1) / n``, whatever the size of homogeneous areas: a flat area
contributes equally to every phase), upsampled data has ``R²`` close to 1.
The raster is flagged when both axes show the same period; the factor is the
smallest period that explains nearly as much as the best one (a period of 4
also explains the multiples 8, 12 … but not the divisor 2).

Kirchner (2008) shows that interpolation leaves an exact linear dependency
between neighbours at some lattice phases: the third difference of a 2×
bilinear upsampling (half-pixel aligned, GDAL's convention) is zero at every
other phase, which is why ``|Δ³|`` is among the statistics.

References
----------
Gallagher, A. C. (2005). Detection of linear and cubic interpolation in JPEG
compressed images. Proc. 2nd Canadian Conference on Computer and Robot Vision,
65–72. doi:10.1109/CRV.2005.33
Popescu, A. C., & Farid, H. (2005). Exposing digital forgeries by detecting
traces of resampling. IEEE Transactions on Signal Processing 53(2), 758–767.
Mahdian, B., & Saic, S. (2008). Blind authentication using periodic properties
of interpolation. IEEE Transactions on Information Forensics and Security
3(3), 529–538.
Kirchner, M. (2008). Fast and reliable resampling detection by spectral
analysis of fixed linear predictor residue. Proc. 10th ACM Workshop on
Multimedia and Security, 11–20.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.io.masks import valid_mask
from geoverify.io.raster import open_raster, read_failure

__all__ = ["MAX_FACTOR", "R2_THRESHOLD", "screen_array", "screen_upsampling"]

#: Largest integer upsampling factor tested.  Period 8 is left out on purpose:
#: JPEG's 8 × 8 DCT blocks leave the same lattice trace in real imagery
#: (rasterio's ``cogeo.tif`` and ``world.rgb.tif`` reach R² ≈ 0.4 at period 8),
#: so an 8× upsampling is reported as its divisor 4 — still flagged.
MAX_FACTOR = 7

#: ``R²`` both axes must reach for the raster to be flagged.  Measured: native real
#: data stays at or below 0.03 (Landsat RGB.byte 0.001, Sentinel-2 bands ≤ 0.027,
#: WorldCover 0.0003, CORINE ≤ 0.025; JPEG-compressed cogeo.tif 0.076); synthetic
#: 2×–4× upsampling of power-law fields by nearest, bilinear, cubic convolution,
#: cubic B-spline (scipy zoom) and Lanczos, with 1% noise, reaches 0.45–1.0.  Known
#: limit: GDAL's ``cubicspline`` 2× of a very smooth field stays below the threshold.
R2_THRESHOLD = 0.25

#: A smaller period is preferred when it explains this share of the best R².
_PREFER_SMALLER = 0.85

#: Windows with fewer valid pixels than this share are skipped.
_MIN_VALID = 0.5

_STATS = ("change", "abs_d1", "abs_d2", "abs_d3")


@dataclass
class _Profiles:
    """Per-axis profiles: absolute index along the axis and normalised value, per statistic."""

    index: dict[str, list[np.ndarray]] = field(default_factory=lambda: {s: [] for s in _STATS})
    value: dict[str, list[np.ndarray]] = field(default_factory=lambda: {s: [] for s in _STATS})

    def add(self, stat: str, index: np.ndarray, value: np.ndarray) -> None:
        ok = np.isfinite(value)
        if ok.sum() < 2 * MAX_FACTOR:
            return
        mean = value[ok].mean()
        if not mean > 0:
            return  # a flat window says nothing about the lattice
        self.index[stat].append(index[ok])
        self.value[stat].append(value[ok] / mean)


def _column_profiles(a: np.ndarray, valid: np.ndarray) -> dict[str, np.ndarray]:
    """Mean over rows of the neighbour statistics between column ``c`` and ``c + 1`` (``c ± 1``).

    ``a`` is float64 with arbitrary values where ``valid`` is False.
    """
    out: dict[str, np.ndarray] = {}
    both = valid[:, 1:] & valid[:, :-1]
    d1 = a[:, 1:] - a[:, :-1]
    n1 = both.sum(axis=0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        n1 = np.where(n1 >= 8, n1, np.nan)
        out["change"] = np.where(both, d1 != 0, False).sum(axis=0) / n1
        out["abs_d1"] = np.where(both, np.abs(d1), 0.0).sum(axis=0) / n1
        three = both[:, 1:] & both[:, :-1]
        d2 = d1[:, 1:] - d1[:, :-1]
        n2 = three.sum(axis=0).astype(np.float64)
        n2 = np.where(n2 >= 8, n2, np.nan)
        prof2 = np.where(three, np.abs(d2), 0.0).sum(axis=0) / n2
        four = three[:, 1:] & three[:, :-1]
        d3 = d2[:, 1:] - d2[:, :-1]
        n3 = four.sum(axis=0).astype(np.float64)
        n3 = np.where(n3 >= 8, n3, np.nan)
        prof3 = np.where(four, np.abs(d3), 0.0).sum(axis=0) / n3
    # d2 between c-1..c+1 and d3 between c-1..c+2 are indexed by c - 1: every profile has
    # the length of d1's, one phase convention per statistic (phases are compared within one)
    out["abs_d2"] = np.concatenate([prof2, [np.nan]])
    out["abs_d3"] = np.concatenate([prof3, [np.nan, np.nan]])
    return out


def _r2(index: np.ndarray, value: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """Share of the variance of ``value`` explained by ``index mod k``, and the phase means."""
    phase = index % k
    counts = np.bincount(phase, minlength=k).astype(np.float64)
    sums = np.bincount(phase, weights=value, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    grand = value.mean()
    total = float(((value - grand) ** 2).sum())
    if total <= 1e-12 * max(1.0, value.size) or np.any(counts == 0):
        return 0.0, means
    between = float((counts * (means - grand) ** 2).sum())
    return between / total, means


def _axis_r2(prof: _Profiles, kmax: int) -> dict[str, dict[int, tuple[float, np.ndarray]]]:
    """R² and phase means per statistic and candidate factor, for one axis."""
    out: dict[str, dict[int, tuple[float, np.ndarray]]] = {}
    for stat in _STATS:
        if not prof.index[stat]:
            continue
        index = np.concatenate(prof.index[stat]).astype(np.int64)
        value = np.concatenate(prof.value[stat])
        if value.size < 4 * kmax:
            continue
        out[stat] = {k: _r2(index, value, k) for k in range(2, kmax + 1)}
    return out


def _choose(
    rows: dict[str, dict[int, tuple[float, np.ndarray]]],
    cols: dict[str, dict[int, tuple[float, np.ndarray]]],
) -> tuple[int | None, float, str | None, dict[str, dict[int, float]]]:
    """The factor both axes agree on, its score, and the statistic that decided.

    For each statistic, the joint score of a factor is the weaker axis' R²; the
    statistic's factor is the smallest whose score reaches :data:`_PREFER_SMALLER`
    of its best (a true period ``k`` also explains ``2k``); the statistic with the
    highest score decides.
    """
    joint: dict[str, dict[int, float]] = {}
    for stat in sorted(set(rows) & set(cols)):
        joint[stat] = {k: min(rows[stat][k][0], cols[stat][k][0]) for k in rows[stat]}
    best: tuple[int | None, float, str | None] = (None, 0.0, None)
    for stat, scores in sorted(joint.items()):
        top = max(scores.values())
        if top <= best[1]:
            continue
        factor = min(k for k, v in scores.items() if v >= _PREFER_SMALLER * top)
        best = (factor, top, stat)
    chosen, score, deciding = best
    return (chosen if score >= R2_THRESHOLD else None), score, deciding, joint


def _rounded(r2: dict[str, dict[int, tuple[float, np.ndarray]]]) -> dict[str, dict[int, float]]:
    return {stat: {k: round(v[0], 4) for k, v in ks.items()} for stat, ks in r2.items()}


def _add_window(
    rows: _Profiles, cols: _Profiles, a: np.ndarray, valid: np.ndarray, row_off: int, col_off: int
) -> None:
    for stat, value in _column_profiles(a, valid).items():
        cols.add(stat, col_off + np.arange(value.size), value)
    for stat, value in _column_profiles(a.T, valid.T).items():
        rows.add(stat, row_off + np.arange(value.size), value)


def _result(rows: _Profiles, cols: _Profiles, windows: int, method_note: str) -> dict[str, Any]:
    if windows == 0:
        return {
            "upsampled": False,
            "factor": None,
            "effective_pixel_size_factor": 1.0,
            "method": "not screened: no window has enough valid, non-constant pixels "
            f"(the raster is empty, all nodata or constant); {method_note}",
            "windows": 0,
            "screened": False,
            "evidence": {},
        }
    kmax = MAX_FACTOR
    r2_rows, r2_cols = _axis_r2(rows, kmax), _axis_r2(cols, kmax)
    factor, score, stat, joint = _choose(r2_rows, r2_cols)
    phases: dict[str, list[float] | None] = {"rows": None, "cols": None}
    if factor is not None and stat is not None:
        for axis, r2 in (("rows", r2_rows), ("cols", r2_cols)):
            phases[axis] = [round(float(m), 4) for m in r2[stat][factor][1]]
    return {
        "upsampled": factor is not None,
        "factor": factor,
        "effective_pixel_size_factor": float(factor) if factor else 1.0,
        "method": (
            "lattice-phase periodicity (cyclostationarity) of neighbour change rates and "
            f"|Δ|, |Δ²|, |Δ³| profiles: R² of the phase for factors 2..{kmax} on both axes; "
            f"{method_note}"
        ),
        "windows": windows,
        "screened": True,
        "evidence": {
            "score": round(float(score), 4),
            "threshold": R2_THRESHOLD,
            "statistic": stat,
            "joint_r2": {s_: {k: round(v, 4) for k, v in ks.items()} for s_, ks in joint.items()},
            "r2_rows": _rounded(r2_rows),
            "r2_cols": _rounded(r2_cols),
            "phase_means_rows": phases["rows"],
            "phase_means_cols": phases["cols"],
        },
    }


def _validate(max_windows: int, window: int) -> None:
    if max_windows < 1:
        raise ValueError(f"max_windows must be >= 1, got {max_windows}")
    if window < 4 * MAX_FACTOR:
        raise ValueError(f"window must be >= {4 * MAX_FACTOR} pixels, got {window}")


def screen_array(
    array: Any,
    *,
    nodata: float | None = None,
    max_windows: int = 16,
    window: int = 512,
    seed: int = 0,
) -> dict[str, Any]:
    """Screen an in-memory 2-D array (numpy, masked or xarray) for upsampling.

    Same result as :func:`screen_upsampling`; NaN and ``nodata`` are invalid.

    References
    ----------
    Gallagher (2005); Popescu & Farid (2005); Mahdian & Saic (2008): see the module.
    """
    _validate(max_windows, window)
    data = np.ma.getdata(getattr(array, "values", array))
    if data.ndim != 2:
        data = np.squeeze(data)
    if data.ndim != 2:
        raise EvidenceError(f"expected a 2-D array, got shape {np.shape(array)}")
    mask = np.ma.getmaskarray(array) if np.ma.isMaskedArray(array) else np.zeros(data.shape, bool)
    valid = valid_mask(data, nodata, mask=~mask)
    a = data.astype(np.float64)
    rows, cols = _Profiles(), _Profiles()
    used = 0
    for r, c in _positions(a.shape[0], a.shape[1], window, max_windows * 4, seed):
        if used >= max_windows:
            break
        sub, ok = a[r : r + window, c : c + window], valid[r : r + window, c : c + window]
        if ok.mean() < _MIN_VALID or np.ptp(sub[ok]) == 0:
            continue
        _add_window(rows, cols, np.where(ok, sub, 0.0), ok, r, c)
        used += 1
    return _result(rows, cols, used, "in-memory array")


def screen_upsampling(
    location: str | os.PathLike[str],
    *,
    band: int = 1,
    max_windows: int = 16,
    window: int = 512,
    seed: int = 0,
) -> dict[str, Any]:
    """Estimate from the data whether a raster was upsampled from a coarser grid.

    Reads at most ``4 × max_windows`` windows of ``window × window`` pixels at
    positions spread deterministically over the raster (a jittered lattice,
    shuffled by ``seed``), keeps the first ``max_windows`` that are at least
    half valid and not constant, and tests the lattice periodicity of
    neighbour statistics for factors 2 … :data:`MAX_FACTOR` (see the module).

    Parameters
    ----------
    location : path or URL
        A raster GDAL opens (read by windows only).
    band : int
        Band to screen (1-based).
    max_windows : int
        Windows used at most.
    window : int
        Window side in pixels (clipped to the raster).
    seed : int
        Seed of the window positions (the result is deterministic for a seed).

    Returns
    -------
    dict
        ``upsampled`` (bool), ``factor`` (int or None: the estimated integer
        upsampling factor), ``effective_pixel_size_factor`` (effective pixel
        size / nominal pixel size: the factor, or 1.0), ``method`` (str),
        ``windows`` (windows used) and ``evidence`` (the R² per factor and
        axis, the statistic that decided, the phase means at the factor).

        ``screened`` is False (and ``upsampled`` False) when no window had
        enough valid, varying pixels: a constant or empty raster cannot be screened.

    Raises
    ------
    EvidenceReadError
        The raster cannot be opened or read.
    EvidenceError
        ``band`` does not exist.

    References
    ----------
    Gallagher, A. C. (2005). Detection of linear and cubic interpolation in JPEG
    compressed images. Proc. CRV 2005, 65–72.
    Popescu, A. C., & Farid, H. (2005). IEEE Trans. Signal Processing 53(2), 758–767.
    Mahdian, B., & Saic, S. (2008). IEEE Trans. Information Forensics and Security
    3(3), 529–538.
    """
    _validate(max_windows, window)
    from rasterio.windows import Window

    text = os.fspath(location)
    rows, cols = _Profiles(), _Profiles()
    used = 0
    with open_raster(text) as ds:
        if not 1 <= band <= ds.count:
            raise EvidenceError(
                f"band {band} does not exist (the raster has {ds.count})",
                source=text,
                hint="Give band = 1 … count in the evidence.",
            )
        for r, c in _raster_positions(ds, band, window, max_windows * 4, seed):
            if used >= max_windows:
                break
            h, w = min(window, ds.height - r), min(window, ds.width - c)
            try:
                data = ds.read(band, window=Window(c, r, w, h), masked=True)
            except Exception as exc:  # rasterio raises RasterioIOError / CPLE_* types
                raise read_failure(text, exc) from None
            ok = valid_mask(np.ma.getdata(data), None, mask=~np.ma.getmaskarray(data))
            a = np.ma.getdata(data).astype(np.float64)
            if ok.mean() < _MIN_VALID or np.ptp(a[ok]) == 0:
                continue
            _add_window(rows, cols, np.where(ok, a, 0.0), ok, r, c)
            used += 1
    return _result(rows, cols, used, f"band {band}, windows of {window} px")


#: Largest raster (pixels) whose validity is previewed by a decimated read when it has no
#: overviews (a decimated read of a raster without overviews decodes all of it).
_PREVIEW_WITHOUT_OVERVIEWS = 64_000_000

#: Long side of the validity preview, pixels.
_PREVIEW_SIDE = 1024


def _raster_positions(
    ds: Any, band: int, window: int, count: int, seed: int
) -> list[tuple[int, int]]:
    """Window origins over the *valid, varying* part of an open raster.

    A preview read at reduced resolution (from the overviews when the file has
    them) tells which windows hold valid, non-constant data; the windows are
    then spread evenly over those, in raster order, from a seeded offset.  A big
    raster without overviews falls back to :func:`_positions` (checked window by
    window when read).
    """
    height, width = ds.height, ds.width
    if height <= window and width <= window:
        return [(0, 0)]
    if not ds.overviews(band) and height * width > _PREVIEW_WITHOUT_OVERVIEWS:
        return list(_positions(height, width, window, count, seed))
    scale = max(1, int(np.ceil(max(height, width) / _PREVIEW_SIDE)))
    out_shape = (max(1, height // scale), max(1, width // scale))
    try:
        preview = ds.read(band, out_shape=out_shape, masked=True)
    except Exception as exc:  # rasterio raises RasterioIOError / CPLE_* types
        raise read_failure(ds.name, exc) from None
    sy, sx = out_shape[0] / height, out_shape[1] / width
    ok = valid_mask(np.ma.getdata(preview), None, mask=~np.ma.getmaskarray(preview))
    data = np.ma.getdata(preview).astype(np.float64)
    good: list[tuple[int, int]] = []
    for r in _starts(height, window):
        for c in _starts(width, window):
            r0, r1 = int(r * sy), max(int(r * sy) + 1, int((r + window) * sy))
            c0, c1 = int(c * sx), max(int(c * sx) + 1, int((c + window) * sx))
            cell, valid = data[r0:r1, c0:c1], ok[r0:r1, c0:c1]
            if valid.size and valid.mean() >= _MIN_VALID and np.ptp(cell[valid]) > 0:
                good.append((r, c))
    if not good:
        return []
    if len(good) <= count:
        return good
    offset = float(np.random.default_rng(seed).random())
    picks = ((np.arange(count) + offset) * len(good) / count).astype(int)
    return [good[i] for i in picks]


def _starts(size: int, window: int) -> list[int]:
    """Window origins along one axis: tiling it, at least 4 (overlapping) when it is short."""
    if size <= window:
        return [0]
    n = max(4, int(np.ceil(size / window)))
    return sorted({int(x) for x in np.rint(np.linspace(0, size - window, n))})


def _positions(
    height: int, width: int, window: int, count: int, seed: int
) -> Sequence[tuple[int, int]]:
    """Up to ``count`` window origins on a jittered lattice over the raster, in seeded order.

    Origins are whole pixels; the lattice spans the raster so windows sample it
    evenly (first the lattice cells in a shuffled order, so any prefix is spread).
    """
    if height <= window and width <= window:
        return [(0, 0)]
    n_r = max(1, min(int(np.ceil(np.sqrt(count))), int(np.ceil(height / window))))
    n_c = max(1, min(int(np.ceil(np.sqrt(count))), int(np.ceil(width / window))))
    rng = np.random.default_rng(seed)
    span_r, span_c = max(0, height - window), max(0, width - window)
    out = []
    for i in range(n_r):
        for j in range(n_c):
            lo_r, hi_r = span_r * i // n_r, span_r * (i + 1) // n_r
            lo_c, hi_c = span_c * j // n_c, span_c * (j + 1) // n_c
            r = int(rng.integers(lo_r, hi_r + 1)) if hi_r > lo_r else lo_r
            c = int(rng.integers(lo_c, hi_c + 1)) if hi_c > lo_c else lo_c
            out.append((r, c))
    order = rng.permutation(len(out))
    return [out[i] for i in order[:count]]
