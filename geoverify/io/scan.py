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
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io.sources import GDAL_OPTIONS, open_raster, read_failure, to_gdal_path

__all__ = ["Grid", "Window", "add_counts", "grid_of", "iter_windows", "scan", "window_reader"]

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
    """A function reading one window from every path, with per-thread dataset handles."""
    import rasterio

    local = _Handles()

    def read(window: Window) -> list[np.ndarray]:
        if local.env is None:
            local.env = rasterio.Env(**GDAL_OPTIONS)
            local.env.__enter__()
        out = []
        for path, band in zip(paths, bands, strict=True):
            ds = local.open.get(path)
            if ds is None:
                ds = local.open[path] = rasterio.open(to_gdal_path(path))
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

    def task(window: Window) -> T:
        arrays = read(window)
        return func(arrays, window)

    result: T | None = None
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


def _scan_distributed(
    paths: Sequence[str],
    bands: Sequence[int],
    func: Callable[[list[np.ndarray], Window], T],
    combine: Callable[[T, T], T],
    windows: list[Window],
    scheduler: str,
    workers: int,
) -> T | None:
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise EvidenceError("dask.distributed is not installed") from None
    try:
        client = Client(scheduler, timeout=10, set_as_default=False)
    except OSError as exc:
        raise EvidenceReadError(
            f"cannot reach the dask scheduler ({exc})",
            source=scheduler,
            hint="Start the scheduler or drop --scheduler to run locally.",
        ) from None
    try:
        batches = [windows[i : i + 8] for i in range(0, len(windows), 8)]
        task = functools.partial(
            _run_batch, paths=list(paths), bands=list(bands), func=func, combine=combine
        )
        futures = client.map(task, batches, pure=False)
        result: T | None = None
        for part in client.gather(futures):
            if part is not None:
                result = part if result is None else combine(result, part)
        return result
    finally:
        client.close()


def _run_batch(
    batch: list[Window],
    *,
    paths: list[str],
    bands: list[int],
    func: Callable[[list[np.ndarray], Window], T],
    combine: Callable[[T, T], T],
) -> T | None:
    read = window_reader(paths, bands)
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
