"""Pixel pairs behind a confusion matrix: map classes at reference samples, or every pixel.

- :func:`sample_map` reads the map class at reference points (polygons by their
  centroid), vectorised: points are reprojected to the map CRS, grouped by the
  map's internal blocks and each block touched is read once, in parallel;
  points outside the map or on nodata are excluded and counted.
- :func:`pair_counts` counts every (map, reference) pixel pair of two rasters,
  streamed by blocks on every core (:func:`geoverify.io.scan.scan`), nodata of
  either side excluded.  Different grids are refused unless resampling
  (``nearest`` or ``mode``) of the reference onto the map grid is asked for.
- :func:`class_counts` counts the pixels of each class of a raster (the mapped
  areas that weight a stratified estimate).

References
----------
.. [1] Stehman, S. V., & Czaplewski, R. L. (1998). Design and analysis for thematic
   map accuracy assessment: fundamental principles. *Remote Sensing of
   Environment*, 64(3), 331–344.
.. [2] Olofsson, P., et al. (2014). Good practices for estimating area and assessing
   accuracy of land change. *Remote Sensing of Environment*, 148, 42–57.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.geo.cellarea import CellAreas
from geoverify.io.masks import nodata_values, valid_mask
from geoverify.io.raster import GDAL_OPTIONS, open_raster, read_failure, to_gdal_path
from geoverify.io.scan import Window, add_counts, grid_of, iter_windows, scan, window_reader
from geoverify.stats import kernels
from geoverify.stats.options import POLYGON_RULES, RESAMPLING
from geoverify.stats.tallies import band_info

__all__ = [
    "PairCounts",
    "PointSample",
    "class_areas_ha",
    "pair_counts",
    "pixel_area_ha",
    "sample_map",
    "wrap_longitudes",
]



# --------------------------------------------------------------------------- points


@dataclass
class PointSample:
    """Map values at reference samples.

    ``values[i]`` is the map value at the i-th row of the reference table, valid
    where ``valid[i]`` (inside the grid and :func:`geoverify.io.masks.valid_mask`);
    ``inside[i]`` says the sample falls on the grid; ``outside``/``nodata`` count
    the excluded samples.
    """

    values: np.ndarray
    valid: np.ndarray
    outside: int
    nodata: int
    geometry: str  # "points", "polygon centroids" or "polygon majority"
    inside: np.ndarray | None = None  # on the map's grid (nodata or not)

    @property
    def n_valid(self) -> int:
        return int(self.valid.sum())


def sample_map(
    raster: str,
    samples: Any,
    *,
    band: int = 1,
    workers: int = 2,
    polygons: str = "centroid",
) -> PointSample:
    """Read the value of ``raster`` at every sample of a GeoDataFrame, by blocks.

    Parameters
    ----------
    raster : str
        Path or URL of the map.
    samples : geopandas.GeoDataFrame
        Reference samples (points, or polygons read at their centroid), any CRS.
    band : int
        Band of the map.
    workers : int
        Threads decoding blocks.
    polygons : {"centroid", "majority"}
        Polygon samples: the map value at the centroid, or the most frequent valid
        map value among the pixels whose centre lies in the polygon (ties go to the
        smallest value; a polygon holding no pixel centre falls back to its
        centroid's pixel).

    Returns
    -------
    PointSample

    Raises
    ------
    EvidenceError
        Samples without a CRS while the map has one, empty or non-point geometries.
    EvidenceReadError
        The map cannot be read.

    Notes
    -----
    Each block of the map that holds at least one sample is decoded once (a
    ``DatasetReader.sample`` call per point decodes a block per point when the
    block cache cannot hold the raster).  A point exactly on a pixel edge belongs
    to the pixel to its lower right (GDAL's convention).  On a geographic map the
    longitudes are wrapped into the map's 360° span (:func:`wrap_longitudes`): a
    point at −10° falls in the column of 350° of a 0–360° grid.
    """
    import geopandas as gpd

    if not isinstance(samples, gpd.GeoDataFrame):
        raise EvidenceError("reference samples must be a GeoDataFrame")
    if workers < 1:
        raise EvidenceError(f"workers must be at least 1, got {workers}")
    if polygons not in POLYGON_RULES:
        raise EvidenceError(
            f"unknown polygon rule {polygons!r}", hint=f"Use one of: {', '.join(POLYGON_RULES)}."
        )
    with open_raster(raster) as ds:
        if not 1 <= band <= ds.count:
            raise EvidenceError(f"band {band} does not exist ({ds.count} bands)", source=raster)
        grid = grid_of(ds)
        nodata = ds.nodatavals[band - 1]
        dtype = np.dtype(ds.dtypes[band - 1])
    import shapely

    geoms = samples.geometry
    if grid.crs is not None and len(geoms):
        if samples.crs is None:
            raise EvidenceError(
                "reference samples have no CRS",
                hint="Write the reference file with its CRS (or lon/lat columns in a CSV).",
            )
        if samples.crs != grid.crs:
            geoms = geoms.to_crs(grid.crs)
    data = np.asarray(geoms.array)
    types = shapely.get_type_id(data)  # -1 missing, 0 point, 3 polygon, 6 multipolygon
    kind = "points"
    if len(types) and not np.all((types == 0) | (types == -1)):
        if np.all(np.isin(types, (-1, 3, 6))):
            if polygons == "majority":
                return _majority(raster, band, grid, data, nodata, dtype, workers)
            kind = "polygon centroids"
            data = shapely.centroid(data)
        else:
            names = sorted(set(geoms.geom_type.dropna()))
            raise EvidenceError(
                f"reference geometries must be points or polygons, got {names}",
                hint="Deliver one point (or polygon) per reference sample.",
            )
    n = len(data)
    values = np.zeros(n, dtype=dtype)
    valid = np.zeros(n, dtype=bool)
    xs = shapely.get_x(data) if n else np.zeros(0)  # NaN for missing or empty geometries
    ys = shapely.get_y(data) if n else np.zeros(0)
    xs = wrap_longitudes(xs, grid.transform, grid.crs)
    inv = ~grid.transform
    cols_f = inv.a * xs + inv.b * ys + inv.c
    rows_f = inv.d * xs + inv.e * ys + inv.f
    inside = (
        np.isfinite(cols_f)
        & np.isfinite(rows_f)
        & (cols_f >= 0)
        & (rows_f >= 0)
        & (cols_f < grid.width)
        & (rows_f < grid.height)
    )
    idx = np.flatnonzero(inside)
    rows = np.floor(rows_f[idx]).astype(np.int64)
    cols = np.floor(cols_f[idx]).astype(np.int64)
    tasks = _group_reads(grid, rows, cols)
    read = window_reader([raster], [band])

    def task(t: tuple[Window, np.ndarray]) -> None:
        win, sel = t
        block = read(win)[0]
        values[idx[sel]] = block[rows[sel] - win.row_off, cols[sel] - win.col_off]

    if workers == 1 or len(tasks) <= 1:
        for t in tasks:
            task(t)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for fut in [pool.submit(task, t) for t in tasks]:
                fut.result()
    valid[idx] = True
    on_nodata = np.zeros(n, dtype=bool)
    on_nodata[idx] = ~valid_mask(values[idx], nodata)
    valid &= ~on_nodata
    return PointSample(
        values=values,
        valid=valid,
        outside=int(n - idx.size),
        nodata=int(on_nodata.sum()),
        geometry=kind,
        inside=valid | on_nodata,
    )


def _majority(
    raster: str,
    band: int,
    grid: Any,
    data: np.ndarray,
    nodata: float | None,
    dtype: np.dtype,
    workers: int,
) -> PointSample:
    """Majority map value inside each polygon (one windowed read per polygon)."""
    import shapely
    from rasterio.features import geometry_mask
    from rasterio.windows import from_bounds
    from rasterio.windows import transform as window_transform

    n = len(data)
    values = np.zeros(n, dtype=dtype)
    valid = np.zeros(n, dtype=bool)
    status = np.zeros(n, dtype=np.int8)  # 0 ok, 1 outside, 2 nodata
    read = window_reader([raster], [band])
    centroids = shapely.centroid(data)
    inv = ~grid.transform

    def task(i: int) -> None:
        geom = data[i]
        if geom is None or shapely.is_empty(geom):
            status[i] = 1
            return
        win = (
            from_bounds(*shapely.bounds(geom), transform=grid.transform)
            .round_offsets(op="floor")
            .round_lengths(op="ceil")
        )
        r0, c0 = max(0, int(win.row_off)), max(0, int(win.col_off))
        r1 = min(grid.height, int(win.row_off + win.height) + 1)
        c1 = min(grid.width, int(win.col_off + win.width) + 1)
        if r1 <= r0 or c1 <= c0:
            status[i] = 1
            return
        w = Window(r0, c0, r1 - r0, c1 - c0)
        block = read(w)[0]
        inside = ~geometry_mask(
            [geom],
            out_shape=block.shape,
            transform=window_transform(w.to_rasterio(), grid.transform),
        )
        if not inside.any():  # smaller than a pixel: the centroid's pixel
            cx, cy = shapely.get_x(centroids[i]), shapely.get_y(centroids[i])
            col = int(np.floor(inv.a * cx + inv.b * cy + inv.c)) - c0
            row = int(np.floor(inv.d * cx + inv.e * cy + inv.f)) - r0
            if not (0 <= row < block.shape[0] and 0 <= col < block.shape[1]):
                status[i] = 1
                return
            inside = np.zeros(block.shape, bool)
            inside[row, col] = True
        vals = block[inside]
        vals = vals[valid_mask(vals, nodata)]
        if vals.size == 0:
            status[i] = 2
            return
        uniq, counts = np.unique(vals, return_counts=True)
        values[i] = uniq[int(np.argmax(counts))]  # first maximum: the smallest value
        valid[i] = True

    if workers == 1 or n <= 1:
        for i in range(n):
            task(i)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for fut in [pool.submit(task, i) for i in range(n)]:
                fut.result()
    return PointSample(
        values=values,
        valid=valid,
        outside=int((status == 1).sum()),
        nodata=int((status == 2).sum()),
        geometry="polygon majority",
        inside=status != 1,
    )


def _group_reads(
    grid: Any, rows: np.ndarray, cols: np.ndarray, dense: float = 0.5
) -> list[tuple[Window, np.ndarray]]:
    """Reads covering the pixels ``(rows, cols)``: ``(window, indices of the pixels in it)``.

    Pixels are grouped by the windows of :func:`geoverify.io.scan.iter_windows`
    (whole blocks, about 4 Mi pixels); a window where points touch at least
    ``dense`` of the blocks is read in one call, otherwise each touched block is
    read on its own.  Every touched block is decoded exactly once.
    """
    if rows.size == 0:
        return []
    bh, bw = max(1, grid.block_height), max(1, grid.block_width)
    nbx = (grid.width + bw - 1) // bw
    first = next(iter_windows(grid))
    wh, ww = first.height, first.width
    nsx = (grid.width + ww - 1) // ww
    nsuper = nsx * ((grid.height + wh - 1) // wh)
    super_id = (rows // wh) * nsx + cols // ww
    # small integer keys sort by radix (kind="stable" on 16-bit integers): O(n)
    key = super_id.astype(np.uint16) if nsuper < 65_536 else super_id
    order = np.argsort(key, kind="stable")
    s_sorted = super_id[order]
    s_starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    s_ends = np.r_[s_starts[1:], order.size]
    out: list[tuple[Window, np.ndarray]] = []
    for a, z in zip(s_starts.tolist(), s_ends.tolist(), strict=True):
        sid = int(s_sorted[a])
        r0, c0 = (sid // nsx) * wh, (sid % nsx) * ww
        win = Window(r0, c0, min(wh, grid.height - r0), min(ww, grid.width - c0))
        blocks_in = ((win.height + bh - 1) // bh) * ((win.width + bw - 1) // bw)
        sel = order[a:z]
        block_id = (rows[sel] // bh) * nbx + cols[sel] // bw
        touched, inverse = np.unique(block_id, return_inverse=True)
        if touched.size >= dense * blocks_in:
            out.append((win, sel))
            continue
        by_block = np.argsort(inverse, kind="stable")
        starts = np.searchsorted(inverse[by_block], np.arange(touched.size))
        ends = np.r_[starts[1:], sel.size]
        for bid, p, q in zip(touched.tolist(), starts.tolist(), ends.tolist(), strict=True):
            br, bc = (bid // nbx) * bh, (bid % nbx) * bw
            out.append(
                (
                    Window(br, bc, min(bh, grid.height - br), min(bw, grid.width - bc)),
                    sel[by_block[p:q]],
                )
            )
    return out


def wrap_longitudes(xs: np.ndarray, transform: Any, crs: Any) -> np.ndarray:
    """Longitudes wrapped into ``[left, left + 360)`` of a geographic, north-up grid.

    A grid stored on 0–360° (or on any 360° span) holds a point at −10° in the
    column of 350°.  Projected grids, grids without a CRS and rotated transforms
    are returned unchanged, and so are non-finite values.

    Parameters
    ----------
    xs : numpy.ndarray
        Longitudes (x coordinates in the grid's CRS, degrees).
    transform : affine.Affine
        The grid's transform; ``transform.c`` is its west edge.
    crs : rasterio CRS or None
        The grid's CRS.

    Returns
    -------
    numpy.ndarray
    """
    if crs is None or not getattr(crs, "is_geographic", False):
        return xs
    if transform.b != 0 or transform.d != 0 or transform.a <= 0:
        return xs
    left = float(transform.c)
    x = np.asarray(xs, dtype=np.float64)
    return np.where(np.isfinite(x), left + np.mod(x - left, 360.0), x)


# --------------------------------------------------------------------------- wall to wall


@dataclass
class PairCounts:
    """Counts of (map value, reference value) pixel pairs.

    ``counts[i, j]`` pixels have map value ``map_values[i]`` and reference value
    ``ref_values[j]``; pixels where either side is nodata are excluded and counted
    in ``excluded``.
    """

    map_values: np.ndarray
    ref_values: np.ndarray
    counts: np.ndarray
    excluded: int
    resampling: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return int(self.counts.sum())


class _U8Pairs:
    """Histogram of ``map << 8 | ref`` codes of two uint8 windows (65,536 bins).

    Counted by :func:`geoverify.stats.kernels.pair_histogram_u8`: fused and
    without the GIL when the C extension is built, otherwise ``np.bincount`` by slices.
    """

    def __init__(self, kind: str = "numpy"):
        self.kind = kind

    def __call__(self, arrays: list[np.ndarray], window: Window) -> np.ndarray:
        a, b = arrays
        return kernels.pair_histogram_u8(a, b, self.kind)


class _GenericPairs:
    """Pair counter for any integer or float dtypes (masking nodata and NaN).

    Two integer windows of at most 16 bits are counted by
    :func:`geoverify.stats.kernels.pair_counts_small` (a dense table when their
    value ranges allow, ``np.unique`` otherwise); other dtypes by ``np.unique``.
    """

    def __init__(self, nodata_map: float | None, nodata_ref: float | None, kind: str = "numpy"):
        self.nodata_map, self.nodata_ref, self.kind = nodata_map, nodata_ref, kind
        self._tables: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, arrays: list[np.ndarray], window: Window) -> dict[tuple[Any, Any], int]:
        a, b = arrays
        if kernels.small_int(a.dtype) and kernels.small_int(b.dtype):
            key = (a.dtype.name, b.dtype.name)
            tables = self._tables.get(key)
            if tables is None and self.kind == "c":
                tables = self._tables[key] = (
                    kernels.invalid_table(a.dtype, self.nodata_map),
                    kernels.invalid_table(b.dtype, self.nodata_ref),
                )
            return kernels.pair_counts_small(
                a, b, self.nodata_map, self.nodata_ref, self.kind, tables
            )
        return kernels.pair_counts_small(a, b, self.nodata_map, self.nodata_ref, "numpy")


class _WarpedPairs:
    """Reads the reference warped onto the map grid, per thread, and counts pairs."""

    def __init__(self, reference: str, band: int, grid: Any, resampling: str, counter: Any):
        self.reference, self.band, self.grid = reference, band, grid
        self.resampling, self.counter = resampling, counter
        self._local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_local"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def _vrt(self) -> Any:
        vrt = getattr(self._local, "vrt", None)
        if vrt is None:
            import rasterio
            from rasterio.enums import ColorInterp, Resampling
            from rasterio.vrt import WarpedVRT

            env = rasterio.Env(**GDAL_OPTIONS)
            env.__enter__()
            src = rasterio.open(to_gdal_path(self.reference))
            # an alpha band marks the map pixels the reference does not cover: without
            # it (a reference without nodata) they would be filled with 0, a class
            has_alpha = any(ci == ColorInterp.alpha for ci in src.colorinterp)
            vrt = WarpedVRT(
                src,
                crs=self.grid.crs,
                transform=self.grid.transform,
                width=self.grid.width,
                height=self.grid.height,
                resampling=Resampling[self.resampling],
                add_alpha=not has_alpha,
            )
            self._local.env, self._local.src, self._local.vrt = env, src, vrt
        return vrt

    def __call__(self, arrays: list[np.ndarray], window: Window) -> dict[tuple[Any, Any], int]:
        try:
            vrt = self._vrt()
            data = vrt.read(self.band, window=window.to_rasterio())
            # the dataset mask: 0 outside the reference (alpha) or on its nodata
            mask = vrt.read_masks(self.band, window=window.to_rasterio()) == 0
        except Exception as exc:
            raise read_failure(self.reference, exc) from None
        if mask.any():
            # mark pixels outside the reference (or on its nodata) with NaN
            data = data.astype(np.float64)
            data[mask] = np.nan
        return self.counter([arrays[0], data], window)


def pair_counts(
    map_path: str,
    reference_path: str,
    *,
    band: int = 1,
    reference_band: int = 1,
    resample: str | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = False,
) -> PairCounts:
    """Count every (map, reference) pixel pair of two rasters, streamed by blocks.

    Parameters
    ----------
    map_path, reference_path : str
        The classified map and the reference raster (paths or URLs).
    band, reference_band : int
        Bands to compare.
    resample : {"nearest", "mode"}, optional
        When the grids differ, warp the reference onto the map grid with this
        resampling (a ``WarpedVRT`` read window by window); without it, different
        grids are refused.
    workers : int
        Threads decoding blocks.
    scheduler : str, optional
        ``dask.distributed`` scheduler address: the windows run on the cluster.
    progress : bool
        Progress on stderr.

    Returns
    -------
    PairCounts

    Raises
    ------
    EvidenceError
        Different grids without ``resample``, unknown resampling, missing bands.
    EvidenceReadError
        A file cannot be read.

    Notes
    -----
    For two uint8 rasters each window is reduced to a 65,536-bin histogram of
    ``map << 8 | ref`` codes (no masking: nodata rows and columns are dropped from
    the histogram at the end), so the count costs less than the DEFLATE decoding.
    Other integer dtypes of at most 16 bits are counted in a dense table of the
    window's valid value ranges; floats and wider ranges with ``numpy.unique`` on
    the valid pixels.  On large rasters the counting runs in compiled kernels
    that release the GIL (:mod:`geoverify.stats.kernels`), with the same counts.
    """
    if resample is not None and resample not in RESAMPLING:
        raise EvidenceError(
            f"unknown resampling {resample!r}", hint=f"Use one of: {', '.join(RESAMPLING)}."
        )
    infos = []
    for path, b in ((map_path, band), (reference_path, reference_band)):
        with open_raster(path) as ds:
            if not 1 <= b <= ds.count:
                raise EvidenceError(f"band {b} does not exist ({ds.count} bands)", source=path)
            infos.append((grid_of(ds), ds.nodatavals[b - 1], np.dtype(ds.dtypes[b - 1])))
    (g_map, nd_map, dt_map), (g_ref, nd_ref, dt_ref) = infos
    nodata_map, nodata_ref = nodata_values(nd_map, dt_map), nodata_values(nd_ref, dt_ref)
    notes: list[str] = []
    same = g_map.same_as(g_ref)
    if not same and resample is None:
        raise EvidenceError(
            f"the reference grid ({g_ref.width}x{g_ref.height}, {g_ref.crs}, pixel "
            f"{abs(g_ref.transform.a):g}) differs from the map grid ({g_map.width}x"
            f"{g_map.height}, {g_map.crs}, pixel {abs(g_map.transform.a):g})",
            source=reference_path,
            hint="Deliver the reference on the map grid, or ask for resampling "
            "(--resample nearest|mode, or resample = 'nearest' in the submission).",
        )
    u8 = same and dt_map == np.uint8 and dt_ref == np.uint8
    kind = kernels.prepare(
        g_map.width * g_map.height, (dt_map,) if u8 else (), ("pair_hist_u8",) if u8 else ()
    )
    common: dict[str, Any] = dict(
        workers=workers, scheduler=scheduler, progress=progress, label="confusion"
    )
    if not same:
        counter = _WarpedPairs(
            reference_path,
            reference_band,
            g_map,
            resample or "nearest",
            _GenericPairs(nd_map, nd_ref, kind),
        )
        notes.append(
            f"reference resampled onto the map grid ({resample}); pixels of the map "
            "outside the reference are excluded"
        )
        raw = scan([map_path], counter, add_counts, bands=[band], **common) or {}
        result = _from_dict(raw)
        result.resampling = resample
        result.notes = notes
        return result
    if dt_map == np.uint8 and dt_ref == np.uint8:
        hist = scan(
            [map_path, reference_path],
            _U8Pairs(kind),
            np.add,
            bands=[band, reference_band],
            **common,
        )
        grid = np.zeros((256, 256), np.int64) if hist is None else hist.reshape(256, 256)
        keep_r = np.ones(256, bool)
        keep_c = np.ones(256, bool)
        keep_r[[int(v) for v in nodata_map]] = False
        keep_c[[int(v) for v in nodata_ref]] = False
        excluded = int(grid.sum() - grid[np.ix_(keep_r, keep_c)].sum())
        grid[~keep_r, :] = 0
        grid[:, ~keep_c] = 0
        rows = np.flatnonzero(grid.sum(axis=1))
        cols = np.flatnonzero(grid.sum(axis=0))
        return PairCounts(rows, cols, grid[np.ix_(rows, cols)], excluded, None, notes)
    pairs = scan(
        [map_path, reference_path],
        _GenericPairs(nd_map, nd_ref, kind),
        add_counts,
        bands=[band, reference_band],
        **common,
    )
    return _from_dict(pairs or {})


def _from_dict(raw: dict[tuple[Any, Any], int]) -> PairCounts:
    excluded = int(raw.pop(("__excluded__", None), 0))
    pairs = [(k, v) for k, v in raw.items() if v]
    mv = np.array(sorted({k[0] for k, _ in pairs}))
    rv = np.array(sorted({k[1] for k, _ in pairs}))
    counts = np.zeros((len(mv), len(rv)), dtype=np.int64)
    mi = {v: i for i, v in enumerate(mv.tolist())}
    ri = {v: i for i, v in enumerate(rv.tolist())}
    for (a, b), c in pairs:
        counts[mi[a], ri[b]] += c
    return PairCounts(mv, rv, counts, excluded)


# --------------------------------------------------------------------------- class counts


def pixel_area_ha(path: str) -> tuple[float, str | None]:
    """Mean true ground area of one pixel of a raster in hectares, and a note.

    The area is the grid's ground area by the one area rule of geoverify
    (:class:`geoverify.geo.cellarea.CellAreas`) divided by its pixel count: a
    100 m Web-Mercator pixel at 45° N is about 0.5 ha, its true area, not the
    1 ha of its map area.  Where pixels differ in area (geographic grids,
    projections that do not preserve area) the note says so; class areas are then
    summed pixel by pixel (:func:`class_areas_ha`).  A raster without a CRS has
    its pixel units taken as metres, as the note says.
    """
    with open_raster(path) as ds:
        t, crs, h, w = ds.transform, ds.crs, ds.height, ds.width
    if crs is None:
        det = abs(t.a * t.e - t.b * t.d)
        return det / 10_000.0, "the map has no CRS: pixel units taken as metres"
    areas = CellAreas(t, crs, w, h)
    mean = areas.mean_m2() / 10_000.0
    if areas.kind == "equal-area":
        return mean, None
    return (
        mean,
        f"pixels differ in ground area ({areas.method}); pixel_area_ha is the grid's mean "
        "pixel area and class areas are summed from each pixel's ground area",
    )


def class_areas_ha(
    location: str,
    *,
    band: int = 1,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = False,
) -> dict[int | float, float] | None:
    """Mapped ground area (ha) of every value in the valid pixels of a raster.

    Each pixel is weighted by its true ground area
    (:class:`geoverify.geo.cellarea.CellAreas`: per row on geographic grids,
    constant on equal-area projections, per tile on every other grid), streamed by
    windows (:func:`geoverify.io.scan.scan`): per window, a ``np.bincount`` of the
    values weighted by their pixels' areas.  Valid pixels are those of
    :func:`geoverify.io.masks.valid_mask`.

    Parameters
    ----------
    location : str
        Path or URL of the raster.
    band : int
        Band to read.
    workers, scheduler, progress
        As for :func:`geoverify.io.scan.scan`.

    Returns
    -------
    dict or None
        Value -> area in hectares; ``None`` for a raster without a CRS (its
        ground area is unknown: pixel counts times :func:`pixel_area_ha` are then
        the areas).

    Raises
    ------
    EvidenceError
        A missing band, invalid pixels marked by a mask band only, latitudes beyond
        the poles.
    """
    dtype, _, nodata = band_info(location, band)
    with open_raster(location) as ds:
        t, crs, h, width = ds.transform, ds.crs, ds.height, ds.width
    if crs is None:
        return None
    areas = CellAreas(t, crs, width, h)
    small = dtype.kind in "iu" and dtype.itemsize <= 2  # one bincount bin per value
    offset = -int(np.iinfo(dtype).min) if small and dtype.kind == "i" else 0

    def per_window(arrays: list[np.ndarray], window: Window) -> dict[Any, float]:
        a = arrays[0]
        cells = areas.window(window.row_off, window.col_off, window.height, window.width) / 1e4
        ok = valid_mask(a, nodata)
        weights = np.broadcast_to(cells, a.shape)[ok]
        if small:
            codes = a[ok].astype(np.int32) + offset
            sums = np.bincount(codes, weights=weights, minlength=1 << (8 * dtype.itemsize))
            present = np.flatnonzero(np.bincount(codes, minlength=sums.size))
            return {int(c) - offset: float(sums[c]) for c in present}
        values, inverse = np.unique(a[ok], return_inverse=True)
        sums = np.bincount(inverse.ravel(), weights=weights, minlength=values.size)
        return dict(zip(values.tolist(), sums.tolist(), strict=True))

    total = scan(
        [location],
        per_window,
        add_counts,
        bands=[band],
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label=f"class areas of {location}",
    )
    return {k: float(v) for k, v in sorted((total or {}).items())}
