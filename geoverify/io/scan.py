"""Stream rasters by windows, in parallel, with bounded memory.

:func:`scan` is the one way geoverify reads whole rasters: it splits the grid
into windows aligned with the file's internal blocks, reads each window from
every input (same grid) in a pool of threads — each thread keeps its own
dataset handles, GDAL releases the GIL while decoding — applies a function that
reduces the window to a small partial result (counts, sums), and combines the
partial results.  Peak memory is ``workers × window size``, whatever the
raster's size.  With a ``dask.distributed`` scheduler address, the windows are
sent to the cluster's workers instead.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from geoverify.errors import EvidenceError, EvidenceReadError, require
from geoverify.io.confine import check_scan_size, deadline_checker, gdal_http_options
from geoverify.io.raster import (
    GDAL_OPTIONS,
    open_raster,
    read_failure,
    split_subdataset,
    to_gdal_path,
)
from geoverify.model.evidence import is_remote

__all__ = [
    "Grid",
    "Window",
    "absolute_location",
    "add_counts",
    "grid_of",
    "iter_windows",
    "scan",
    "window_reader",
]

T = TypeVar("T")

#: Target number of pixels per window (4 Mi pixels: 4 MiB per uint8 band).
WINDOW_PIXELS = 1 << 22


@dataclass(frozen=True)
class Window:
    """A window of the grid: ``row_off, col_off, height, width`` in pixels."""

    row_off: int
    col_off: int
    height: int
    width: int

    def to_rasterio(self) -> Any:
        from rasterio.windows import Window as RioWindow

        return RioWindow(self.col_off, self.row_off, self.width, self.height)


@dataclass(frozen=True)
class Grid:
    """Shape, transform and CRS of a raster, and its internal block size."""

    width: int
    height: int
    transform: Any
    crs: Any
    block_height: int
    block_width: int

    def same_as(self, other: Grid, *, tolerance: float = 1e-9) -> bool:
        """True when both grids have the same shape, CRS and (nearly) the same transform."""
        if (self.width, self.height) != (other.width, other.height):
            return False
        if (self.crs is None) != (other.crs is None):
            return False
        if self.crs is not None and self.crs != other.crs:
            return False
        a, b = self.transform, other.transform
        scale = max(abs(a.a), abs(a.e), 1e-12)
        return all(
            abs(x - y) <= tolerance * max(1.0, abs(x), scale) for x, y in zip(a, b, strict=False)
        )


def grid_of(dataset: Any) -> Grid:
    """The :class:`Grid` of an open rasterio dataset."""
    block_h, block_w = dataset.block_shapes[0]
    return Grid(
        width=dataset.width,
        height=dataset.height,
        transform=dataset.transform,
        crs=dataset.crs,
        block_height=block_h,
        block_width=block_w,
    )


def iter_windows(grid: Grid, window_pixels: int = WINDOW_PIXELS) -> Iterator[Window]:
    """Windows covering ``grid``, aligned with its blocks, about ``window_pixels`` each.

    Tiled files get rectangles of whole tiles; striped files get bands of whole
    strips spanning the full width.
    """
    bh, bw = max(1, grid.block_height), max(1, grid.block_width)
    if bw >= grid.width:  # strips
        rows = max(bh, (window_pixels // max(1, grid.width)) // bh * bh)
        for r in range(0, grid.height, rows):
            yield Window(r, 0, min(rows, grid.height - r), grid.width)
        return
    tiles = max(1, window_pixels // (bh * bw))
    across = max(1, min(grid.width // bw + 1, int(np.sqrt(tiles)) * 2))
    down = max(1, tiles // across)
    wh, ww = down * bh, across * bw
    for r in range(0, grid.height, wh):
        for c in range(0, grid.width, ww):
            yield Window(r, c, min(wh, grid.height - r), min(ww, grid.width - c))


class _Handles(threading.local):
    def __init__(self) -> None:
        self.open: dict[str, Any] = {}
        self.env: Any = None


def window_reader(
    paths: Sequence[str], bands: Sequence[int]
) -> Callable[[Window], list[np.ndarray]]:
    """A function reading one window from every path, with per-thread dataset handles.

    The GDAL options, the HTTP limits of the indicator's remaining time budget
    included (:func:`geoverify.io.confine.gdal_http_options`), are taken where the
    reader is made: the scan's pool threads do not inherit the indicator's budget.
    """
    import rasterio

    options = {**GDAL_OPTIONS, **gdal_http_options()}
    local = _Handles()

    def read(window: Window) -> list[np.ndarray]:
        if local.env is None:
            local.env = rasterio.Env(**options)
            local.env.__enter__()
        out = []
        for path, band in zip(paths, bands, strict=True):
            ds = local.open.get(path)
            if ds is None:
                ds = local.open[path] = rasterio.open(to_gdal_path(path))
                if not 1 <= band <= ds.count:
                    raise EvidenceError(
                        f"band {band} does not exist (the raster has {ds.count})",
                        source=path,
                        hint="Name an existing band (`band = 1`).",
                    )
            try:
                out.append(ds.read(band, window=window.to_rasterio()))
            except Exception as exc:  # rasterio raises RasterioIOError / CPLE_* types
                raise read_failure(path, exc) from None
        return out

    return read


def add_counts(a: Any, b: Any) -> Any:
    """Combine two partial tallies of :func:`scan`: arrays are added, dicts merged by key.

    The usual ``combine`` of a scan that counts (histograms, pixel pairs, areas).
    """
    if isinstance(a, np.ndarray):
        return a + b
    for key, value in b.items():
        a[key] = a.get(key, 0) + value
    return a


def scan(
    paths: Sequence[str],
    func: Callable[[list[np.ndarray], Window], T],
    combine: Callable[[T, T], T],
    *,
    bands: Sequence[int] | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = False,
    label: str = "scanning",
    window_pixels: int = WINDOW_PIXELS,
) -> T | None:
    """Apply ``func`` to every window of the rasters at ``paths`` and combine the results.

    Parameters
    ----------
    paths : sequence of str
        Rasters on the same grid (checked); local paths or URLs.
    func : callable
        ``func(arrays, window) -> partial``; ``arrays`` holds one 2-D array per path.
    combine : callable
        Associative ``combine(a, b) -> partial``.
    bands : sequence of int, optional
        Band to read from each path (1 by default).
    workers : int
        Threads (or, with ``scheduler``, windows in flight per worker).
    scheduler : str, optional
        ``dask.distributed`` scheduler address; the scan then runs on the cluster.
    progress : bool
        Report progress on stderr.

    Returns
    -------
    The combined result, or ``None`` for a raster with no windows.
    """
    bands = list(bands) if bands is not None else [1] * len(paths)
    grids = []
    for path in paths:
        with open_raster(path) as ds:
            grids.append(grid_of(ds))
    for path, grid in zip(paths[1:], grids[1:], strict=True):
        if not grid.same_as(grids[0]):
            raise EvidenceError(
                f"grid differs from {paths[0]} ({grid.width}x{grid.height} vs "
                f"{grids[0].width}x{grids[0].height}, or transform/CRS)",
                source=path,
                hint="Deliver both rasters on the same grid, or ask for resampling.",
            )
    windows = list(iter_windows(grids[0], window_pixels))
    if not windows:
        return None
    if scheduler:
        return _scan_distributed(paths, bands, func, combine, windows, scheduler, workers)
    read = window_reader(paths, bands)
    meter = _Progress(len(windows), label) if progress else None

    check_deadline = deadline_checker(paths[0])  # the indicator's budget, in every thread

    def task(window: Window) -> T:
        check_deadline()
        arrays = read(window)
        return func(arrays, window)

    result: T | None = None
    # sized before it runs: the first windows, timed, say whether the budget suffices
    started, head, windows = time.monotonic(), windows[:3], windows[3:]
    for window in head:
        part = task(window)
        result = part if result is None else combine(result, part)
        if meter:
            meter.step()
    check_scan_size(
        paths[0],
        pixels=grids[0].width * grids[0].height,
        windows=len(head) + len(windows),
        seconds_first=time.monotonic() - started,
        done=len(head),
        workers=max(1, workers),
    )
    if workers <= 1:
        for window in windows:
            part = task(window)
            result = part if result is None else combine(result, part)
            if meter:
                meter.step()
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # bounded in-flight work: at most 2 windows per worker are decoded at once
            pending: list[Any] = []
            it = iter(windows)
            for window in it:
                pending.append(pool.submit(task, window))
                if len(pending) >= 2 * workers:
                    part = pending.pop(0).result()
                    result = part if result is None else combine(result, part)
                    if meter:
                        meter.step()
            for fut in pending:
                part = fut.result()
                result = part if result is None else combine(result, part)
                if meter:
                    meter.step()
    if meter:
        meter.done()
    return result


def absolute_location(location: str) -> str:
    """``location`` with a relative local path made absolute (URLs and ``/vsi`` paths unchanged).

    Workers of a cluster run in their own directory: a relative path sent to them
    would name another file, or none.  GDAL subdataset names
    (``NETCDF:"data/ba.nc":JD``) get their file part made absolute.
    """
    text = os.fspath(location)
    if is_remote(text) or text.startswith("/vsi"):
        return text
    if os.path.exists(text):
        return os.path.abspath(text)
    file, variable = split_subdataset(text)
    if variable is not None and os.path.exists(file) and not os.path.isabs(file):
        return text.replace(file, os.path.abspath(file), 1)
    return text


def _scan_distributed(
    paths: Sequence[str],
    bands: Sequence[int],
    func: Callable[[list[np.ndarray], Window], T],
    combine: Callable[[T, T], T],
    windows: list[Window],
    scheduler: str,
    workers: int,
) -> T | None:
    """Run the windows on a ``dask.distributed`` cluster; reduce on the workers.

    Windows go in contiguous batches (each worker keeps its dataset handles
    between batches); the partial results are combined on the workers in a tree
    of fan-in :data:`REDUCE_FANIN`, so only the final result reaches the client.
    """
    require("distributed", "distributed", "A dask.distributed scheduler (--scheduler)")
    from distributed import Client

    try:
        client = Client(scheduler, timeout=10, set_as_default=False)
    except OSError as exc:
        raise EvidenceReadError(
            f"cannot reach the dask scheduler ({exc})",
            source=scheduler,
            hint="Start the scheduler or drop --scheduler to run locally.",
        ) from None
    try:
        threads = sum(client.nthreads().values()) or 1
        # about 4 batches per worker thread (load balance), at least 4 windows each
        size = max(4, -(-len(windows) // (4 * threads)))
        batches = [windows[i : i + size] for i in range(0, len(windows), size)]
        task = functools.partial(
            _run_batch,
            paths=[absolute_location(p) for p in paths],
            bands=list(bands),
            func=func,
            combine=combine,
        )
        futures = client.map(task, batches, pure=False)
        while len(futures) > 1:
            futures = [
                client.submit(
                    _combine_parts, *futures[i : i + REDUCE_FANIN], combine=combine, pure=False
                )
                for i in range(0, len(futures), REDUCE_FANIN)
            ]
        result: T | None = futures[0].result() if futures else None
        return result
    finally:
        client.close()


#: Partial results combined per reduction task on the cluster.
REDUCE_FANIN = 8

_readers: dict[tuple[tuple[str, ...], tuple[int, ...]], Callable[[Window], list[np.ndarray]]] = {}
_readers_lock = threading.Lock()


def _cached_reader(paths: list[str], bands: list[int]) -> Callable[[Window], list[np.ndarray]]:
    """One :func:`window_reader` per (paths, bands) in this process: handles kept across batches."""
    key = (tuple(paths), tuple(bands))
    with _readers_lock:
        read = _readers.get(key)
        if read is None:
            if len(_readers) >= 16:
                _readers.clear()
            read = _readers[key] = window_reader(paths, bands)
        return read


def _combine_parts(*parts: T | None, combine: Callable[[T, T], T]) -> T | None:
    result: T | None = None
    for part in parts:
        if part is not None:
            result = part if result is None else combine(result, part)
    return result


def _run_batch(
    batch: list[Window],
    *,
    paths: list[str],
    bands: list[int],
    func: Callable[[list[np.ndarray], Window], T],
    combine: Callable[[T, T], T],
) -> T | None:
    read = _cached_reader(paths, bands)
    result: T | None = None
    for window in batch:
        part = func(read(window), window)
        result = part if result is None else combine(result, part)
    return result


class _Progress:
    """A small stderr progress line (no dependency): windows done, percent, rate."""

    def __init__(self, total: int, label: str):
        self.total, self.label, self.done_count = total, label, 0
        self.start = self.last = time.monotonic()

    def step(self) -> None:
        self.done_count += 1
        now = time.monotonic()
        if now - self.last >= 0.5 or self.done_count == self.total:
            self.last = now
            pct = 100.0 * self.done_count / self.total
            sys.stderr.write(
                f"\r{self.label}: {self.done_count}/{self.total} windows ({pct:5.1f}%), "
                f"{now - self.start:6.1f} s"
            )
            sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
