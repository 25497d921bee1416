"""The registry of check kinds: which function measures which kind of indicator.

A check is a function ``check(evidence, params, context) -> Measurement``:

- ``evidence`` (:class:`~geoverify.submission.Evidence`) gives the inputs;
- ``params`` are the indicator's ``params`` from the catalogue: *what* to
  measure (a region, a gas, a statistic), never the threshold;
- ``context`` (:class:`Context`) says how to run (workers, dask scheduler,
  progress output).

A check raises :class:`~geoverify.errors.GeoverifyError` subclasses for
unusable evidence; the caller turns them into ``error`` verdicts.  Checks are
looked up lazily so that importing geoverify stays cheap.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import CheckUnavailableError

if TYPE_CHECKING:
    from .measurement import Measurement
    from .submission import Evidence

__all__ = ["CHECKS", "Check", "Context", "get_check"]


@dataclass(frozen=True)
class Context:
    """How checks run: parallelism, optional dask scheduler, progress output.

    Parameters
    ----------
    workers : int
        Threads used to decode raster blocks (default: every core).
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler (``tcp://host:8786``); raster
        scans are then distributed over its workers.
    progress : bool
        Print progress of long scans on stderr.
    figures_dir : Path, optional
        Where checks that draw figures (retrieval scatter, budget) write PNG
        files; no figures are drawn without it.
    """

    workers: int = max(1, os.cpu_count() or 1)
    scheduler: str | None = None
    progress: bool = False
    figures_dir: Path | None = None


class Check(Protocol):
    def __call__(
        self, evidence: Evidence, params: Mapping[str, Any], context: Context
    ) -> Measurement: ...


#: kind -> "module:function" (imported on first use).
CHECKS: dict[str, str] = {
    "count": "geoverify.counts:measure_count",
    "share": "geoverify.counts:measure_share",
    "resolution": "geoverify.resolution:measure_resolution",
    "classes": "geoverify.classes:measure_classes",
    "accuracy": "geoverify.accuracy:measure_accuracy",
    "area": "geoverify.area:measure_area",
    "countries": "geoverify.countries:measure_countries",
    "period": "geoverify.period:measure_period",
    "burned_area": "geoverify.burned_area:measure_burned_area",
    "retrieval": "geoverify.retrieval:measure_retrieval",
    "detections": "geoverify.detections:measure_detections",
    "latency": "geoverify.latency:measure_latency",
    "warning": "geoverify.warning:measure_warning",
}


def get_check(kind: str) -> Callable[..., Measurement]:
    """The check function for ``kind``.

    Raises
    ------
    CheckUnavailableError
        When this version of geoverify has no check for ``kind`` yet.
    """
    target = CHECKS.get(kind)
    if target is None:
        raise CheckUnavailableError(f"check not available yet: no check of kind {kind!r}")
    module_name, _, function = target.partition(":")
    if importlib.util.find_spec(module_name) is None:
        raise CheckUnavailableError(
            f"check not available yet: the {kind!r} check is not part of this geoverify version"
        )
    module = importlib.import_module(module_name)
    return getattr(module, function)
