"""One pass over a raster for every check of a run that scans it.

A global product is large: the wildfire direction's coverage (product + land)
and agreement (product + reference) both scan the same 8·10⁹-pixel product.
Before the indicators of a run are evaluated, each check kind that scans
rasters may *plan* its scans (:attr:`geoverify.checks.spec.CheckSpec.scans`): a
:class:`ScanRequest` says which rasters, which per-window function and how
partial results combine.  When the first of the planned checks reaches its
scan, :meth:`SharedScans.run` reads the union of the rasters of every planned
request that starts from the same raster (same file, band and grid) window by
window, once, hands each request its own arrays, and keeps the results of the
others until their checks ask for them.

The results are those of separate scans: each request's function sees the
same windows' pixels, only the window layout differs (its partial sums are
added in another order, to the last bits of a float).  When the shared pass
cannot run (grids differ, a file fails to read, a deadline), every request
falls back to its own scan, so each error is reported by the indicator whose
file caused it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from geoverify.errors import GeoverifyError
from geoverify.io.confine import BudgetExceeded
from geoverify.io.scan import WINDOW_PIXELS, Window, absolute_location, scan

__all__ = ["ScanRequest", "SharedScans"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanRequest:
    """A scan a check will make: rasters, bands, per-window function and combine.

    ``key`` identifies the request across the plan and the measurement
    (``(indicator id, purpose)``); ``paths`` and ``bands`` must be equal at both
    times for a planned result to be used.
    """

    key: tuple[str, str]
    paths: tuple[str, ...]
    bands: tuple[int, ...]
    func: Callable[[list[np.ndarray], Window], Any]
    combine: Callable[[Any, Any], Any]
    label: str = "scanning"
    window_pixels: int = WINDOW_PIXELS

    def scan(
        self, *, workers: int = 2, scheduler: str | None = None, progress: bool = False
    ) -> Any:
        """Run this scan alone (:func:`geoverify.io.scan.scan`)."""
        return scan(
            list(self.paths),
            self.func,
            self.combine,
            bands=list(self.bands),
            label=self.label,
            window_pixels=self.window_pixels,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
        )

    def result(
        self,
        run: Callable[[ScanRequest], Any] | None = None,
        *,
        workers: int = 2,
        scheduler: str | None = None,
        progress: bool = False,
    ) -> Any:
        """The scan's result: through ``run`` (a run's shared passes) when given, else alone."""
        if run is not None:
            return run(self)
        return self.scan(workers=workers, scheduler=scheduler, progress=progress)

    @property
    def inputs(self) -> tuple[tuple[str, int], ...]:
        """``(absolute location, band)`` of every raster, in order."""
        return tuple((absolute_location(p), b) for p, b in zip(self.paths, self.bands, strict=True))


class SharedScans:
    """The planned scans of one run, and the results of shared passes not yet taken.

    Thread-safe: indicators are evaluated in their own threads, one after
    another; a shared pass runs in the thread of the first indicator that needs
    it, under that indicator's confinement and time budget.
    """

    def __init__(self) -> None:
        self._planned: dict[tuple[str, str], ScanRequest] = {}
        self._results: dict[tuple[str, str], tuple[tuple[tuple[str, int], ...], Any]] = {}
        self._done: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        #: What the shared passes did, for the run record: one entry per pass.
        self.passes: list[dict[str, Any]] = []

    def begin_run(self) -> None:
        """Forget the plans and kept results of an earlier run (files may have changed)."""
        with self._lock:
            self._planned.clear()
            self._results.clear()
            self._done.clear()
            self.passes.clear()

    def finish(self, indicator: str) -> None:
        """An indicator is evaluated: its requests are done, and no result is kept for it."""
        with self._lock:
            for key in [k for k in self._planned if k[0] == indicator]:
                self._done.add(key)
                self._results.pop(key, None)

    def plan(self, request: ScanRequest) -> None:
        """Register a scan a check of this run will make."""
        with self._lock:
            self._planned[request.key] = request

    def planned(self) -> list[tuple[str, str]]:
        """The keys of the planned requests, in planning order."""
        with self._lock:
            return list(self._planned)

    def _partners(self, request: ScanRequest) -> list[ScanRequest]:
        first = request.inputs[0]
        return [
            r
            for k, r in self._planned.items()
            if k != request.key and k not in self._done and r.inputs[0] == first
        ]

    def run(
        self,
        request: ScanRequest,
        *,
        workers: int = 2,
        scheduler: str | None = None,
        progress: bool = False,
    ) -> Any:
        """The result of ``request``: from a shared pass when planned with others, else its own.

        Parameters
        ----------
        request : ScanRequest
            The scan, built by the check as it measures (its ``paths`` and ``bands``
            must equal the planned ones for a shared result to be used).
        workers, scheduler, progress
            As for :func:`geoverify.io.scan.scan`.
        """
        options: dict[str, Any] = dict(workers=workers, scheduler=scheduler, progress=progress)
        with self._lock:
            kept = self._results.pop(request.key, None)
            self._done.add(request.key)
            partners = self._partners(request) if request.key in self._planned else []
        if kept is not None:
            inputs, result = kept
            if inputs == request.inputs:
                return result
        if partners:
            try:
                results = self._shared_pass([request, *partners], options)
            except BudgetExceeded:
                raise  # the indicator's own budget is spent: no time left for a scan of its own
            except Exception:  # a partner's file or function: each request scans on its own
                log.debug("shared pass for %s failed; scanning alone", request.key, exc_info=True)
                results = None
            if results is not None:
                with self._lock:
                    for partner, result in zip(partners, results[1:], strict=True):
                        if partner.key not in self._done:
                            self._results[partner.key] = (partner.inputs, result)
                return results[0]
        return request.scan(**options)

    def _shared_pass(self, requests: Sequence[ScanRequest], options: dict[str, Any]) -> list[Any]:
        """One scan over the union of the requests' rasters; a result per request."""
        union: list[tuple[str, int]] = []
        where: dict[tuple[str, int], int] = {}
        paths: list[str] = []
        for r in requests:
            for (location, band), path in zip(r.inputs, r.paths, strict=True):
                if (location, band) not in where:
                    where[(location, band)] = len(union)
                    union.append((location, band))
                    paths.append(path)
        picks = [[where[i] for i in r.inputs] for r in requests]

        def func(arrays: list[np.ndarray], window: Window) -> list[Any]:
            return [
                r.func([arrays[i] for i in pick], window)
                for r, pick in zip(requests, picks, strict=True)
            ]

        def combine(a: list[Any], b: list[Any]) -> list[Any]:
            return [r.combine(x, y) for r, x, y in zip(requests, a, b, strict=True)]

        label = " + ".join(dict.fromkeys(r.label for r in requests))
        result = scan(
            paths,
            func,
            combine,
            bands=[b for _, b in union],
            label=label,
            window_pixels=max(1 << 16, WINDOW_PIXELS // len(union)),
            **options,
        )
        if result is None:
            raise GeoverifyError("the shared pass found no windows")
        self.passes.append(
            {
                "rasters": len(union),
                "requests": [list(r.key) for r in requests],
                "label": label,
            }
        )
        return list(result)
