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
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from geoverify.errors import EvidenceError, EvidenceReadError, require
from geoverify.io.confine import (
    BudgetExceeded,
    check_location,
    check_scan_size,
    confined,
    current,
    deadline_checker,
    gdal_http_options,
    remaining,
)
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


class _InForce(threading.local):
    """Which reader's GDAL options this thread holds (options are per thread in rasterio)."""

    reader: object = None


_in_force = _InForce()


class _Opening(threading.local):
    """Seconds this thread spent opening datasets (left out of the budget's estimate)."""

    seconds: float = 0.0


_opening = _Opening()


def window_reader(
    paths: Sequence[str], bands: Sequence[int], options: Mapping[str, Any] | None = None
) -> Callable[[Window], list[np.ndarray]]:
    """A function reading one window from every path, with per-thread dataset handles.

    The GDAL options (default: :data:`~geoverify.io.raster.GDAL_OPTIONS` and the
    HTTP limits of the indicator's remaining time budget,
    :func:`geoverify.io.confine.gdal_http_options`) are taken where the reader is
    made: the scan's pool threads do not inherit the indicator's budget.
    """
    import rasterio

    options = dict(options) if options is not None else {**GDAL_OPTIONS, **gdal_http_options()}
    local = _Handles()
    token = object()

    def read(window: Window) -> list[np.ndarray]:
        if local.env is None:
            local.env = rasterio.Env(**options)
            local.env.__enter__()
            _in_force.reader = token
        elif _in_force.reader is not token:
            # another reader set its options on this thread since (a worker thread serves
            # many scans, each with its budget's HTTP limits): this reader's again
            rasterio.env.setenv(**options)
            _in_force.reader = token
        out = []
        for path, band in zip(paths, bands, strict=True):
            ds = local.open.get(path)
            if ds is None:
                opening = time.monotonic()
                ds = local.open[path] = rasterio.open(to_gdal_path(path))
                _opening.seconds += time.monotonic() - opening
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
    # sized before it runs: the first windows (one per thread, read at once), timed, say
    # whether the budget suffices
    threads = max(1, workers)
    n_head = threads if threads > 1 else 3
    head, windows = windows[:n_head], windows[n_head:]
    def timed(window: Window) -> tuple[T, float]:
        """The window's result and the seconds it took, opening the datasets left out."""
        started, opened = time.monotonic(), _opening.seconds
        part = task(window)
        return part, time.monotonic() - started - (_opening.seconds - opened)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        busy = 0.0
        for part, seconds in pool.map(timed, head) if threads > 1 else map(timed, head):
            busy += seconds
            result = part if result is None else combine(result, part)
            if meter:
                meter.step()
        check_scan_size(
            paths[0],
            pixels=grids[0].width * grids[0].height,
            windows=len(head) + len(windows),
            seconds_first=busy,  # the head's windows, one thread's time each
            done=len(head),
            workers=threads,
        )
        if threads <= 1:
            for window in windows:
                part = task(window)
                result = part if result is None else combine(result, part)
                if meter:
                    meter.step()
        else:
            # bounded in-flight work: at most 2 windows per worker are decoded at once
            pending: list[Any] = []
            for window in windows:
                pending.append(pool.submit(task, window))
                if len(pending) >= 2 * threads:
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


@dataclass(frozen=True)
class _Reach:
    """What a cluster worker's reads may reach, and how: the client's scope, sent with each batch.

    The scope of a run (:func:`geoverify.io.confine.confined`: submission folder,
    named hosts, time budget) is a context variable of the client's thread, and
    :data:`~geoverify.io.raster.GDAL_OPTIONS` a module variable of the client's
    process; neither reaches a ``dask worker`` process by itself.  The deadline
    travels as wall-clock time (``time.time``): monotonic clocks are per machine.
    """

    root: str | None = None
    hosts: tuple[str, ...] | None = None
    deadline: float | None = None
    budget: float | None = None
    gdal: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def here(cls) -> _Reach:
        """The reach of reads made in this thread now."""
        scope, left = current(), remaining()
        if scope is None:
            return cls(gdal=tuple(sorted(GDAL_OPTIONS.items())))
        return cls(
            root=None if scope.root is None else str(scope.root),
            hosts=None if scope.hosts is None else tuple(sorted(scope.hosts)),
            deadline=None if left is None else time.time() + left,
            budget=scope.budget,
            gdal=tuple(sorted(GDAL_OPTIONS.items())),
        )

    def check(self, what: str | None = None, *, where: str = "on a dask worker") -> None:
        """Raise :class:`~geoverify.io.confine.BudgetExceeded` once the client's budget is spent."""
        if self.deadline is not None and time.time() >= self.deadline:
            raise BudgetExceeded(
                f"timed out after {self.budget or 0:g} s ({where})",
                source=what,
                hint="Give the indicator more time with --timeout SECONDS, or deliver smaller "
                "files.",
            )

    @contextmanager
    def entered(self, what: str | None = None) -> Iterator[None]:
        """This thread confined as the client was: folder, hosts, what is left of the budget."""
        self.check(what)
        left = None if self.deadline is None else max(0.05, self.deadline - time.time())
        with confined(self.root, self.hosts, left):
            yield


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

    Workers need no shared disk when the evidence is URLs (or object-store
    paths GDAL reads): each worker reads its windows itself by range requests.
    They read as the client would: inside the client's confinement (submission
    folder, named hosts, each location checked again on the worker), with the
    client's GDAL options and HTTP limits bounded by what is left of the time
    budget, which they check before every window (:class:`_Reach`).  The client
    waits no longer than the budget either.
    """
    require("distributed", "distributed", "A dask.distributed scheduler (--scheduler)")
    from distributed import Client

    reach = _Reach.here()
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
            reach=reach,
        )
        futures = client.map(task, batches, pure=False)
        while len(futures) > 1:
            futures = [
                client.submit(
                    _combine_parts, *futures[i : i + REDUCE_FANIN], combine=combine, pure=False
                )
                for i in range(0, len(futures), REDUCE_FANIN)
            ]
        if not futures:
            return None
        left = remaining()
        try:
            result: T | None = futures[0].result(timeout=None if left is None else left + 1.0)
        except TimeoutError:
            if reach.deadline is None or time.time() < reach.deadline:
                raise  # a worker's own timeout, not the budget's
            reach.check(paths[0], where="waiting for the dask cluster")  # raises
            raise
        return result
    finally:
        client.close()


#: Partial results combined per reduction task on the cluster.
REDUCE_FANIN = 8

_ReaderKey = tuple[tuple[str, ...], tuple[int, ...], _Reach]
_readers: dict[_ReaderKey, Callable[[Window], list[np.ndarray]]] = {}
_readers_lock = threading.Lock()
#: Windows read by :func:`_run_batch` in this process, and the locations they came from.
_reads_here: dict[str, Any] = {"windows": 0, "locations": set()}


def _cached_reader(
    paths: list[str], bands: list[int], reach: _Reach | None = None
) -> Callable[[Window], list[np.ndarray]]:
    """One :func:`window_reader` per (paths, bands, reach) in this process.

    Dataset handles are kept across the batches of a scan.  Made inside the
    client's confinement (:meth:`_Reach.entered`): each location is checked on
    the worker as the client checked it (folder, named hosts, special files, the
    files a file refers to), and the reader gets the client's GDAL options with
    the HTTP limits of the budget left.
    """
    reach = reach if reach is not None else _Reach(gdal=tuple(sorted(GDAL_OPTIONS.items())))
    key = (tuple(paths), tuple(bands), reach)
    with _readers_lock:
        read = _readers.get(key)
    if read is not None:
        return read
    for path in paths:
        check_location(split_subdataset(path)[0], source=path)
    made = window_reader(paths, bands, options={**dict(reach.gdal), **gdal_http_options()})
    with _readers_lock:
        if key not in _readers and len(_readers) >= 16:
            _readers.clear()
        return _readers.setdefault(key, made)


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
    reach: _Reach | None = None,
) -> T | None:
    """Read and reduce a batch of windows on a worker, within the client's reach."""
    reach = reach if reach is not None else _Reach(gdal=tuple(sorted(GDAL_OPTIONS.items())))
    result: T | None = None
    with reach.entered(paths[0]):
        read = _cached_reader(paths, bands, reach)
        for window in batch:
            reach.check(paths[0])
            part = func(read(window), window)
            result = part if result is None else combine(result, part)
    with _readers_lock:
        _reads_here["windows"] += len(batch)
        _reads_here["locations"].update(paths)
    return result


def _worker_reads() -> dict[str, Any]:
    """Windows read by cluster batches in this process and their locations (``Client.run``)."""
    with _readers_lock:
        return {"windows": _reads_here["windows"], "locations": sorted(_reads_here["locations"])}


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
