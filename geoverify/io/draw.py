"""Draw a reference sample from a map of any size: seeded, streamed, memory bounded.

Algorithm ("two-pass per-stratum ranks", :data:`ALGORITHM`):

1. **Count** (one streamed pass, :func:`geoverify.io.scan.scan`): the number of
   valid pixels of every stratum in every window of the grid (windows of
   :func:`geoverify.io.scan.iter_windows` with ``window_pixels``), kept as a small
   ``windows × strata`` table.  A pixel is valid when the map holds data there
   (not nodata, not NaN) and, with a strata raster, so does the strata raster.
2. **Choose ranks**: for stratum ``h`` with ``N_h`` valid pixels and ``n_h`` units
   to draw, ``n_h`` distinct ranks in ``[0, N_h)`` by Floyd's algorithm (Bentley &
   Floyd 1987) driven by ``numpy.random.default_rng(seed)`` (PCG64), strata in
   ascending code order — a simple random sample without replacement of the
   stratum's pixels, so every pixel of the stratum has inclusion probability
   ``π = n_h / N_h`` (Cochran 1977, §5.1).  Memory is ``O(n)``, not ``O(N)``.
3. **Locate** (second pass, only the windows holding a chosen rank): rank ``r`` is
   the ``r``-th valid pixel of stratum ``h`` counting window by window in the
   order of ``iter_windows`` and row-major inside a window.

A systematic sample (Cochran 1977, ch. 8) takes every ``step``-th row and column
from a random start ``(r0, c0) ∈ [0, step)²``, valid pixels only: every pixel has
``π = 1 / step²``; the realised size is random around ``V / step²`` (``V`` valid
pixels), ``step = round(sqrt(V / n))``.

The result depends only on the map, the strata, the design, the allocation, the
seed and ``window_pixels`` — not on the number of threads — so a design file that
records them lets anyone draw the same sample again.

References
----------
.. [1] Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley.
.. [2] Bentley, J., & Floyd, B. (1987). Programming pearls: a sample of brilliance.
   *Communications of the ACM*, 30(9), 754–757.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.io.masks import mask_band_only, nodata_values, valid_mask
from geoverify.io.raster import open_raster
from geoverify.io.scan import WINDOW_PIXELS, Window, grid_of, iter_windows, scan, window_reader

__all__ = [
    "ALGORITHM",
    "KEY_COLUMNS",
    "DrawnSample",
    "StratumCounts",
    "count_strata",
    "draw_sample",
    "floyd_sample",
    "sample_table",
    "units_sha256",
    "write_sample",
]

#: Identifier of the drawing algorithm, recorded in the design file.
ALGORITHM = "geoverify-two-pass-ranks/1"
#: The columns that identify the drawn units (what the seal's checksum covers).
KEY_COLUMNS = ("id", "row", "col", "stratum", "map_class")
#: Stratum name of an unstratified (simple, systematic) design.
ALL = "all"
#: Timestamp GDAL writes into GeoPackages (fixed, so the same draw gives the same bytes).
GPKG_DATE = "2000-01-01T00:00:00.000Z"
#: Values counted per ``np.bincount`` call (bounds its intp temporary).
_CHUNK = 1 << 18


@dataclass
class StratumCounts:
    """Valid pixels per stratum and per window (pass 1 of the draw)."""

    windows: list[Window]
    codes: list[int]  # stratum codes, ascending (map classes, or strata raster codes)
    counts: np.ndarray  # (windows, codes) int64
    window_pixels: int
    width: int
    height: int
    transform: Any
    crs: Any

    @property
    def totals(self) -> dict[int, int]:
        """Stratum code -> valid pixels ``N_h``."""
        return {c: int(v) for c, v in zip(self.codes, self.counts.sum(axis=0), strict=True)}


def _layers(
    map_path: str, band: int, nodata: float | None, strata_path: str | None, strata_band: int
) -> tuple[list[str], list[int], list[float | None], Any]:
    paths, bands, nodatas = [map_path], [band], [nodata]
    grid = None
    for i, (path, b) in enumerate([(map_path, band), (strata_path, strata_band)]):
        if path is None:
            continue
        with open_raster(path) as ds:
            if not 1 <= b <= ds.count:
                raise EvidenceError(
                    f"band {b} does not exist (the raster has {ds.count})", source=path
                )
            mask_band_only(ds, b, path)
            kind = np.dtype(ds.dtypes[b - 1]).kind
            if kind not in "iuf":
                raise EvidenceError(
                    f"a {ds.dtypes[b - 1]} raster cannot hold class codes", source=path
                )
            if i == 0:
                grid = grid_of(ds)
                if nodata is None:
                    nodatas[0] = ds.nodatavals[b - 1]
            else:
                paths.append(path)
                bands.append(b)
                nodatas.append(ds.nodatavals[b - 1])
    return paths, bands, nodatas, grid


def _codes(values: np.ndarray, source: str) -> np.ndarray:
    """Integer class codes of valid pixel values (a float raster must hold integers)."""
    if values.dtype.kind == "f":
        if values.size and np.any(values != np.floor(values)):
            bad = values[values != np.floor(values)][0]
            raise EvidenceError(
                f"the raster holds non-integer values (e.g. {float(bad):.6g}): strata and "
                "map classes must be integer codes",
                source=source,
                hint="Deliver the classified map (integer class codes, one per class).",
            )
        return values.astype(np.int64)
    return values.astype(np.int64, copy=False)


def _window_strata(
    arrays: list[np.ndarray],
    nodatas: Sequence[float | None],
    paths: Sequence[str],
    stratified: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Valid mask and stratum code of every pixel of a window (codes meaningful where valid).

    The codes keep the raster's dtype (no int64 copy of a 4 Mi-pixel window); a
    float strata raster (or map) must hold integers at its valid pixels.
    """
    valid = valid_mask(arrays[0], nodatas[0])
    if len(arrays) > 1:
        valid &= valid_mask(arrays[1], nodatas[1])
    if not stratified:
        return valid, np.zeros(1, dtype=np.uint8)
    src = arrays[-1]
    if src.dtype.kind == "f":
        _codes(src[valid], paths[-1])
    return valid, src


def _tally(codes: np.ndarray, valid: np.ndarray | None) -> dict[int, int]:
    """Valid pixels per code: ``np.bincount`` for integers of up to 16 bits, else ``np.unique``."""
    values = codes.ravel() if valid is None else codes[valid]
    if values.dtype.kind in "iu" and values.dtype.itemsize <= 2:
        # np.bincount works on intp: count 256 Ki values at a time (2 MiB, not 32)
        offset = -int(np.iinfo(values.dtype).min) if values.dtype.kind == "i" else 0
        hist = np.zeros(1 << (8 * values.dtype.itemsize), dtype=np.int64)
        for start in range(0, values.size, _CHUNK):
            part = values[start : start + _CHUNK]
            hist += np.bincount(
                part.astype(np.int32) + offset if offset else part, minlength=hist.size
            )
        present = np.flatnonzero(hist)
        return {int(c) - offset: int(hist[c]) for c in present}
    uniq, n = np.unique(values, return_counts=True)
    return {int(v): int(k) for v, k in zip(uniq.tolist(), n.tolist(), strict=True)}


def count_strata(
    map_path: str,
    *,
    band: int = 1,
    nodata: float | None = None,
    strata_path: str | None = None,
    strata_band: int = 1,
    stratified: bool = True,
    workers: int = 2,
    progress: bool = False,
    window_pixels: int = WINDOW_PIXELS,
) -> StratumCounts:
    """Pass 1: valid pixels of every stratum in every window (streamed, bounded memory).

    Strata are the map classes, or the codes of ``strata_path`` (a raster on the
    map's grid); with ``stratified=False`` there is one stratum (code ``0``).

    Raises
    ------
    EvidenceError
        Missing band, a mask band without nodata, non-integer codes, strata raster
        on another grid, or no valid pixel.
    """
    paths, bands, nodatas, grid = _layers(map_path, band, nodata, strata_path, strata_band)
    windows = list(iter_windows(grid, window_pixels))
    index = {(w.row_off, w.col_off): i for i, w in enumerate(windows)}

    with open_raster(map_path) as ds:
        kind = np.dtype(ds.dtypes[band - 1])
    fast = stratified and len(paths) == 1 and kind.kind in "iu" and kind.itemsize <= 2

    def per_window(arrays: list[np.ndarray], window: Window) -> dict[int, dict[int, int]]:
        key = index[(window.row_off, window.col_off)]
        if fast:  # the map classes of a ≤16-bit integer map: count all, drop the nodata
            tally = _tally(arrays[0], None)
            for value in nodata_values(nodatas[0], arrays[0].dtype):
                tally.pop(int(value), None)
            return {key: tally}
        valid, codes = _window_strata(arrays, nodatas, paths, stratified)
        if not stratified:
            return {key: {0: int(valid.sum())}}
        return {key: _tally(codes, valid)}

    def combine(a: dict[int, Any], b: dict[int, Any]) -> dict[int, Any]:
        a.update(b)
        return a

    raw = scan(
        paths,
        per_window,
        combine,
        bands=bands,
        workers=workers,
        progress=progress,
        label=f"counting strata of {map_path}",
        window_pixels=window_pixels,
    )
    raw = raw or {}
    codes = sorted({c for part in raw.values() for c in part})
    col = {c: j for j, c in enumerate(codes)}
    counts = np.zeros((len(windows), len(codes)), dtype=np.int64)
    for w, part in raw.items():
        for c, v in part.items():
            counts[w, col[c]] = v
    if counts.sum() == 0:
        raise EvidenceError(
            "the map has no valid pixel to sample",
            source=map_path,
            hint="Check the map's nodata value (--nodata), its band and the strata raster.",
        )
    return StratumCounts(
        windows=windows,
        codes=codes,
        counts=counts,
        window_pixels=window_pixels,
        width=grid.width,
        height=grid.height,
        transform=grid.transform,
        crs=grid.crs,
    )


def floyd_sample(rng: np.random.Generator, population: int, size: int) -> np.ndarray:
    """``size`` distinct integers of ``[0, population)``, uniformly (Floyd's algorithm).

    Every subset of ``size`` is equally likely (Bentley & Floyd 1987); memory
    ``O(size)`` whatever ``population``.  Returned sorted.
    """
    if size > population:
        raise EvidenceError(f"cannot draw {size} distinct units from {population}")
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    highs = np.arange(population - size, population, dtype=np.int64)
    draws = rng.integers(0, highs + 1)
    chosen: set[int] = set()
    for j, t in zip(highs.tolist(), draws.tolist(), strict=True):
        chosen.add(j if t in chosen else t)
    return np.array(sorted(chosen), dtype=np.int64)


@dataclass
class DrawnSample:
    """The drawn units and what the design file records about the draw.

    ``units`` columns: ``id`` (1…n, row-major order), ``row``, ``col``,
    ``stratum`` (code as a string, ``"all"`` without strata), ``map_class``,
    ``stratum_n`` (n_h), ``stratum_pixels`` (N_h), ``inclusion_probability``
    (π = n_h / N_h; 1/step² for a systematic sample, with ``stratum_n = 1`` and
    ``stratum_pixels = step²``) and ``design_weight`` (1/π).
    """

    design: str
    seed: int
    units: dict[str, np.ndarray]
    strata_sizes: dict[str, int]
    allocation: dict[str, int]
    window_pixels: int
    width: int
    height: int
    transform: Any
    crs: Any
    systematic: dict[str, int] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.units["id"].size)


def draw_sample(
    map_path: str,
    *,
    design: str,
    seed: int,
    allocation: Mapping[Any, int] | None = None,
    n: int | None = None,
    band: int = 1,
    nodata: float | None = None,
    strata_path: str | None = None,
    strata_band: int = 1,
    workers: int = 2,
    progress: bool = False,
    window_pixels: int = WINDOW_PIXELS,
    counts: StratumCounts | None = None,
) -> DrawnSample:
    """Draw a simple random, stratified random or systematic sample of pixels.

    Parameters
    ----------
    map_path : str
        The classified map.
    design : {"simple", "stratified", "systematic"}
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same sample.
    allocation : mapping, optional
        ``stratified``: stratum code -> units to draw (every stratum with valid
        pixels must be named; ``0`` is allowed).
    n : int, optional
        ``simple``/``systematic``: the (target) sample size.
    strata_path : str, optional
        Strata raster on the map's grid (default: the map classes are the strata).
    counts : StratumCounts, optional
        A pass 1 already made with the same arguments (saves one pass).

    Raises
    ------
    EvidenceError
        Unknown design, allocation naming an unknown stratum or missing one, more
        units than pixels in a stratum, no valid pixel.

    References
    ----------
    .. [1] Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley, ch. 4, 5, 8.
    """
    if design not in ("simple", "stratified", "systematic"):
        raise EvidenceError(
            f"unknown design {design!r}", hint="Use one of: simple, stratified, systematic."
        )
    if seed < 0:
        raise EvidenceError(f"the seed must be a non-negative integer, got {seed}")
    stratified = design == "stratified"
    if counts is None:
        counts = count_strata(
            map_path,
            band=band,
            nodata=nodata,
            strata_path=strata_path if stratified else None,
            strata_band=strata_band,
            stratified=stratified,
            workers=workers,
            progress=progress,
            window_pixels=window_pixels,
        )
    paths, bands, nodatas, _ = _layers(
        map_path, band, nodata, strata_path if stratified else None, strata_band
    )
    rng = np.random.default_rng(seed)
    totals = counts.totals
    notes: list[str] = []
    systematic = None
    if stratified:
        if not allocation:
            raise EvidenceError("a stratified draw needs an allocation (stratum -> units)")
        wanted = {_code(k, map_path): int(v) for k, v in allocation.items()}
        unknown = sorted(set(wanted) - set(totals))
        if unknown:
            raise EvidenceError(
                f"the allocation names strata {unknown} that have no valid pixel in the map "
                f"(strata: {sorted(totals)})",
                source=strata_path or map_path,
                hint="Make the plan on this map (geoverify sample design).",
            )
        missing = sorted(c for c in totals if c not in wanted)
        if missing:
            raise EvidenceError(
                f"the allocation gives no number of units for strata {missing}",
                source=strata_path or map_path,
                hint="Name every stratum (0 units is allowed) or make the plan on this map.",
            )
        for code, k in wanted.items():
            if k < 0 or k > totals[code]:
                raise EvidenceError(
                    f"stratum {code}: {k} units asked, {totals[code]} valid pixels",
                    source=strata_path or map_path,
                )
        picks = {code: floyd_sample(rng, totals[code], wanted[code]) for code in counts.codes}
        alloc = {str(c): wanted[c] for c in counts.codes}
    else:
        if n is None or n < 1:
            raise EvidenceError(f"a {design} draw needs a sample size n >= 1, got {n}")
        total = totals[0]
        if n > total:
            raise EvidenceError(
                f"{n} units asked, the map has {total} valid pixels", source=map_path
            )
        if design == "simple":
            picks = {0: floyd_sample(rng, total, n)}
            alloc = {ALL: n}
        else:
            step = max(1, round(math.sqrt(total / n)))
            r0, c0 = (int(v) for v in rng.integers(0, step, size=2))
            systematic = {"step": step, "row_offset": r0, "col_offset": c0, "requested_n": n}
            picks = {}
            alloc = {}
    located = _locate(
        paths, bands, nodatas, counts, picks, stratified, systematic, workers, map_path
    )
    rows, cols, strata_codes, classes = located
    order = np.lexsort((cols, rows))
    rows, cols, strata_codes, classes = (
        rows[order],
        cols[order],
        strata_codes[order],
        classes[order],
    )
    k = rows.size
    if stratified:
        stratum = np.array([str(int(c)) for c in strata_codes], dtype=object)
        n_h = np.array([alloc[s] for s in stratum], dtype=np.int64)
        big_n = np.array([totals[int(s)] for s in stratum], dtype=np.int64)
        sizes = {str(c): totals[c] for c in counts.codes}
    else:
        stratum = np.array([ALL] * k, dtype=object)
        sizes = {ALL: totals[0]}
        if systematic is None:
            n_h = np.full(k, n, dtype=np.int64)
            big_n = np.full(k, totals[0], dtype=np.int64)
        else:
            alloc = {ALL: k}
            step = systematic["step"]
            n_h = np.full(k, 1, dtype=np.int64)
            big_n = np.full(k, step * step, dtype=np.int64)
            notes.append(
                f"systematic: every {step}th row and column from ({systematic['row_offset']}, "
                f"{systematic['col_offset']}); π = 1/{step * step}; {k} units fall on valid "
                f"pixels (expected {totals[0] / step**2:.1f})"
            )
    pi = n_h / big_n
    units = {
        "id": np.arange(1, k + 1, dtype=np.int64),
        "row": rows.astype(np.int64),
        "col": cols.astype(np.int64),
        "stratum": stratum,
        "map_class": classes.astype(np.int64),
        "stratum_n": n_h,
        "stratum_pixels": big_n,
        "inclusion_probability": pi.astype(float),
        "design_weight": (1.0 / pi).astype(float),
    }
    return DrawnSample(
        design=design,
        seed=seed,
        units=units,
        strata_sizes=sizes,
        allocation=alloc,
        window_pixels=counts.window_pixels,
        width=counts.width,
        height=counts.height,
        transform=counts.transform,
        crs=counts.crs,
        systematic=systematic,
        notes=notes,
    )


def _code(key: Any, source: str) -> int:
    try:
        value = float(key)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value.is_integer()):
        raise EvidenceError(
            f"stratum {key!r} is not an integer pixel code",
            source=source,
            hint="Strata are named by their pixel values.",
        )
    return int(value)


def _locate(
    paths: list[str],
    bands: list[int],
    nodatas: list[float | None],
    counts: StratumCounts,
    picks: dict[int, np.ndarray],
    stratified: bool,
    systematic: dict[str, int] | None,
    workers: int,
    source: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pass 2: rows, columns, strata and map classes of the chosen ranks."""
    per_window: dict[int, dict[int, np.ndarray]] = {}
    if systematic is None:
        for j, code in enumerate(counts.codes):
            ranks = picks.get(code)
            if ranks is None or ranks.size == 0:
                continue
            cum = np.cumsum(counts.counts[:, j])
            where = np.searchsorted(cum, ranks, side="right")
            starts = cum - counts.counts[:, j]
            for w in np.unique(where).tolist():
                sel = ranks[where == w]
                per_window.setdefault(w, {})[code] = sel - starts[w]
        needed = sorted(per_window)
    else:
        needed = list(range(len(counts.windows)))
    read = window_reader(paths, bands)

    def task(w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        window = counts.windows[w]
        arrays = read(window)
        valid, codes = _window_strata(arrays, nodatas, paths, stratified)
        out_r: list[np.ndarray] = []
        out_c: list[np.ndarray] = []
        if systematic is not None:
            step = systematic["step"]
            first_r = (systematic["row_offset"] - window.row_off) % step
            first_c = (systematic["col_offset"] - window.col_off) % step
            rr = np.arange(first_r, window.height, step)
            cc = np.arange(first_c, window.width, step)
            grid_r, grid_c = np.meshgrid(rr, cc, indexing="ij")
            ok = valid[grid_r, grid_c]
            out_r.append(grid_r[ok])
            out_c.append(grid_c[ok])
        else:
            for code, local in per_window[w].items():
                mask = valid & (codes == code) if stratified else valid
                per_row = np.count_nonzero(mask, axis=1)
                cum = np.cumsum(per_row)
                row_of = np.searchsorted(cum, local, side="right")
                within = local - (cum[row_of] - per_row[row_of])
                for r in np.unique(row_of).tolist():
                    cols = np.flatnonzero(mask[r])
                    out_c.append(cols[within[row_of == r]])
                    out_r.append(np.full(int((row_of == r).sum()), r, dtype=np.int64))
        lr = np.concatenate(out_r) if out_r else np.zeros(0, dtype=np.int64)
        lc = np.concatenate(out_c) if out_c else np.zeros(0, dtype=np.int64)
        cls = _codes(arrays[0][lr, lc], source)
        strat = _codes(codes[lr, lc], source) if stratified else np.zeros(lr.size, np.int64)
        return lr + window.row_off, lc + window.col_off, strat, cls

    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    if workers <= 1:
        parts = [task(w) for w in needed]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(task, needed))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]),
    )


# --------------------------------------------------------------------------- output


def units_sha256(rows: Any) -> str:
    """SHA-256 of the units' identity: ``id, row, col, stratum, map_class`` per unit.

    ``rows`` is a mapping of column -> sequence (or a DataFrame) holding
    :data:`KEY_COLUMNS`.  Canonical text: one line per unit sorted by ``id``, the
    five values as decimal integers (``stratum`` as its text) joined by tabs, lines
    ended by ``\\n``, UTF-8.  Label columns, coordinates and formats do not enter
    it: a sample keeps its checksum when interpreters fill in their labels or when
    it is converted from GeoPackage to CSV.
    """
    import hashlib

    cols = {c: [rows[c][i] for i in range(len(rows[c]))] for c in KEY_COLUMNS}
    for c in ("id", "row", "col", "map_class"):
        cols[c] = [int(float(v)) for v in cols[c]]
    cols["stratum"] = [_stratum_text(v) for v in cols["stratum"]]
    order = sorted(range(len(cols["id"])), key=lambda i: cols["id"][i])
    digest = hashlib.sha256()
    for i in order:
        line = "\t".join(str(cols[c][i]) for c in KEY_COLUMNS) + "\n"
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def _stratum_text(value: Any) -> str:
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if math.isfinite(number) and number.is_integer() else text


def _lonlat(xs: np.ndarray, ys: np.ndarray, crs: Any) -> tuple[np.ndarray, np.ndarray] | None:
    if crs is None:
        return None
    from pyproj import CRS, Transformer

    src = CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    if src.is_geographic and src.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return xs, ys
    tr = Transformer.from_crs(src, CRS.from_epsg(4326), always_xy=True)
    lon, lat = tr.transform(xs, ys)
    return np.asarray(lon), np.asarray(lat)


def reference_names(interpreters: int) -> list[str]:
    """Label columns for ``interpreters`` interpreters: ``reference`` or ``reference_1…k``."""
    if interpreters < 1:
        raise EvidenceError(f"at least one interpreter is needed, got {interpreters}")
    if interpreters == 1:
        return ["reference"]
    return [f"reference_{i + 1}" for i in range(interpreters)]


def sample_table(sample: DrawnSample, *, shape: str = "point", interpreters: int = 1) -> Any:
    """The drawn units as a GeoDataFrame (map CRS) with empty label columns.

    Columns: :data:`KEY_COLUMNS`, ``x``, ``y`` (pixel centre, map CRS), ``lon``,
    ``lat`` (WGS 84, when the map has a CRS), ``stratum_n``, ``stratum_pixels``,
    ``inclusion_probability``, ``design_weight`` and the label column(s)
    (``reference``, or ``reference_1``… with several interpreters), empty.
    Geometry: the pixel centre (``shape="point"``) or the pixel's footprint
    (``shape="pixel"``).
    """
    import geopandas as gpd
    import shapely

    if shape not in ("point", "pixel"):
        raise EvidenceError(f"unknown shape {shape!r}", hint="Use point or pixel.")
    u = sample.units
    t = sample.transform
    rows = u["row"].astype(float)
    cols = u["col"].astype(float)
    xs = t.c + (cols + 0.5) * t.a + (rows + 0.5) * t.b
    ys = t.f + (cols + 0.5) * t.d + (rows + 0.5) * t.e
    data: dict[str, Any] = {c: u[c] for c in KEY_COLUMNS}
    data["x"], data["y"] = xs, ys
    lonlat = _lonlat(xs, ys, sample.crs)
    if lonlat is not None:
        data["lon"], data["lat"] = lonlat
    for c in ("stratum_n", "stratum_pixels", "inclusion_probability", "design_weight"):
        data[c] = u[c]
    for name in reference_names(interpreters):
        data[name] = np.array([""] * rows.size, dtype=object)
    if shape == "point":
        geom = shapely.points(xs, ys)
    else:
        corners = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]
        ring = np.stack(
            [
                np.stack(
                    [
                        t.c + (cols + dc) * t.a + (rows + dr) * t.b,
                        t.f + (cols + dc) * t.d + (rows + dr) * t.e,
                    ],
                    axis=-1,
                )
                for dc, dr in corners
            ],
            axis=1,
        )
        geom = shapely.polygons(ring)
    crs = sample.crs.to_wkt() if sample.crs is not None else None
    return gpd.GeoDataFrame(data, geometry=geom, crs=crs)


def write_sample(
    table: Any, out_dir: str | os.PathLike[str], *, formats: Sequence[str] = ("gpkg", "csv", "kml")
) -> dict[str, Path]:
    """Write the sample as ``sample.gpkg`` (layer ``sample``), ``sample.csv`` and ``sample.kml``.

    Byte-for-byte reproducible: the GeoPackage timestamp is fixed (GDAL's
    ``OGR_CURRENT_DATE``), the CSV is written with ``repr`` floats, and the KML
    (WGS 84, one placemark per unit with its id, stratum and empty label fields)
    is written by hand.  KML needs a map CRS; without one it is skipped.

    Returns
    -------
    dict
        Format -> path written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        if fmt == "gpkg":
            path = out / "sample.gpkg"
            if path.exists():
                path.unlink()
            import pyogrio

            previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_DATE})
            try:
                table.to_file(path, layer="sample", driver="GPKG", engine="pyogrio")
            finally:
                pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
            written[fmt] = path
        elif fmt == "csv":
            path = out / "sample.csv"
            columns = [c for c in table.columns if c != "geometry"]
            with open(path, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(columns)
                for rec in table[columns].itertuples(index=False):
                    writer.writerow([_cell(v) for v in rec])
            written[fmt] = path
        elif fmt == "kml":
            if table.crs is None:
                continue
            path = out / "sample.kml"
            _write_kml(table, path)
            written[fmt] = path
        else:
            raise EvidenceError(f"unknown sample format {fmt!r}", hint="Use gpkg, csv or kml.")
    return written


def _cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _write_kml(table: Any, path: Path) -> None:
    wgs = table.to_crs(4326)
    labels = [c for c in table.columns if c == "reference" or c.startswith("reference_")]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2">',
        "<Document>",
        "<name>geoverify reference sample</name>",
    ]
    for (_, rec), geom in zip(table.iterrows(), wgs.geometry, strict=True):
        fields = [("id", rec["id"]), ("stratum", rec["stratum"]), ("map_class", rec["map_class"])]
        fields += [(c, "") for c in labels]
        data = "".join(
            f'<Data name="{escape(str(k))}"><value>{escape(_cell(v))}</value></Data>'
            for k, v in fields
        )
        if geom.geom_type == "Point":
            shape = f"<Point><coordinates>{geom.x!r},{geom.y!r}</coordinates></Point>"
        else:
            coords = " ".join(f"{x!r},{y!r}" for x, y in geom.exterior.coords)
            shape = (
                "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
                f"{coords}</coordinates></LinearRing></outerBoundaryIs></Polygon>"
            )
        lines.append(
            f"<Placemark><name>{int(rec['id'])}</name><ExtendedData>{data}</ExtendedData>"
            f"{shape}</Placemark>"
        )
    lines += ["</Document>", "</kml>", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
