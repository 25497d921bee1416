"""What a check kind declares about itself: one :class:`CheckSpec` per kind.

The spec is the single source of everything the rest of geoverify needs to know
about a kind before measuring: the catalogue's ``check`` values and ``params``
(:mod:`geoverify.config.catalogue`), the manifest's evidence keys and which of
them are files (:mod:`geoverify.config.submission`), the key a STAC asset fills
(:mod:`geoverify.io.stac`), the function that measures and the report's tables.

Specs are plain data and cheap to import: ``measure`` and ``tables`` are
``"module:function"`` strings, imported on first use, so that loading the
catalogue does not import rasterio or geopandas.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from geoverify.io.confine import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from geoverify.io.shared import ScanRequest, SharedScans
    from geoverify.model import Measurement
    from geoverify.model.evidence import Evidence
    from geoverify.model.results import Table

__all__ = [
    "ANY",
    "DATE",
    "NUMBER",
    "PATH",
    "PATHS",
    "Check",
    "CheckSpec",
    "Context",
    "Param",
]

#: Evidence value types (TOML types), for :attr:`CheckSpec.evidence`.
NUMBER: tuple[type, ...] = (int, float)
DATE: tuple[type, ...] = (dt.date, dt.datetime, str)
ANY: tuple[type, ...] = (str, int, float, bool, list, dict, dt.date, dt.datetime)


class _PathKind(str):
    """Marks an evidence key whose value names a file or URL (or a list of them)."""

    __slots__ = ()


#: A key holding one path or URL (relative to the manifest, confined to its folder).
PATH = _PathKind("path")
#: A key holding a list of paths or URLs.
PATHS = _PathKind("paths")


@dataclass(frozen=True)
class Param:
    """A catalogue ``params`` entry of a check kind: its TOML type and allowed values."""

    types: type | tuple[type, ...]
    choices: tuple[Any, ...] | None = None
    doc: str = ""

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed, or ``None``."""
        types = self.types if isinstance(self.types, tuple) else (self.types,)
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            names = " or ".join(t.__name__ for t in types)
            return f"must be {names}, not {type(value).__name__}"
        if self.choices is not None:
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if v not in self.choices]
            if bad:
                return f"{bad[0]!r} is not one of {', '.join(map(str, self.choices))}"
        return None


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
    timeout : float, optional
        Time budget of one indicator in seconds (default
        :data:`geoverify.io.confine.DEFAULT_TIMEOUT`, 300 s; ``None``: unbounded).
        The run evaluates each indicator in a worker thread with this deadline,
        which HTTP and GDAL reads and raster scans honour; an indicator still
        running at the deadline is ``error: timed out after N s``.
    shared : SharedScans, optional
        The run's planned scans (:mod:`geoverify.io.shared`): checks that scan the
        same raster share one pass.  :func:`geoverify.run.verify` sets it.
    """

    workers: int = max(1, os.cpu_count() or 1)
    scheduler: str | None = None
    progress: bool = False
    timeout: float | None = DEFAULT_TIMEOUT
    shared: SharedScans | None = None

    def run_scan(self, request: ScanRequest) -> Any:
        """The result of a check's scan: from the run's shared pass when planned, else its own."""
        from geoverify.io.shared import SharedScans

        shared = self.shared if self.shared is not None else SharedScans()
        return shared.run(
            request, workers=self.workers, scheduler=self.scheduler, progress=self.progress
        )


class Check(Protocol):
    """``check(evidence, params, context) -> Measurement``: measures, never decides."""

    def __call__(
        self, evidence: Evidence, params: Mapping[str, Any], context: Context
    ) -> Measurement: ...


def _import(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class CheckSpec:
    """Everything geoverify knows about one check kind before it measures.

    Parameters
    ----------
    kind : str
        The catalogue's ``check`` value (``"resolution"``).
    summary : str
        One line: what the kind computes.
    measure : str
        ``"module:function"`` of the :class:`Check`.
    evidence : mapping
        Evidence keys of the manifest and their TOML types; :data:`PATH` and
        :data:`PATHS` mark files (confined to the submission folder, checksummed).
    params : mapping
        The catalogue's ``params`` keys for this kind (:class:`Param`).
    stac_key : str, optional
        The evidence key that a single STAC item's asset fills (``"raster"``,
        ``"map"``); several items fill ``stac_many_key`` and become listed items.
    stac_many_key : str, optional
        The key several STAC items' assets fill (``"rasters"``).
    stac_datetimes : bool
        STAC items give ``datetimes`` from their metadata (the period check).
    tables : str, optional
        ``"module:function"`` turning a result's ``details`` into report
        :class:`~geoverify.model.results.Table` objects.
    scans : str, optional
        ``"module:function"`` returning the :class:`~geoverify.io.shared.ScanRequest`
        list the check will make for ``(evidence, params, context)``: planned before
        the run's indicators are evaluated, so that checks scanning the same raster
        share one pass.
    """

    kind: str
    summary: str
    measure: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Param] = field(default_factory=dict)
    stac_key: str | None = None
    stac_many_key: str | None = None
    stac_datetimes: bool = False
    tables: str | None = None
    scans: str | None = None

    @property
    def path_keys(self) -> frozenset[str]:
        """Evidence keys whose values are files or URLs."""
        return frozenset(k for k, t in self.evidence.items() if isinstance(t, _PathKind))

    def evidence_types(self) -> dict[str, type | tuple[type, ...]]:
        """The TOML type of every evidence key (paths are ``str``, path lists ``list``)."""
        out: dict[str, type | tuple[type, ...]] = {}
        for key, kind in self.evidence.items():
            if kind is PATH:
                out[key] = str
            elif kind is PATHS:
                out[key] = list
            else:
                out[key] = kind
        return out

    def stac_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`geoverify.io.stac.prepare_stac` for this kind."""
        return {
            "key": self.stac_key,
            "many_key": self.stac_many_key,
            "datetimes": self.stac_datetimes,
        }

    def check(self) -> Callable[..., Measurement]:
        """The measuring function (imported on first use)."""
        return _import(self.measure)  # type: ignore[no-any-return]

    def plan_scans(
        self, evidence: Evidence, params: Mapping[str, Any], context: Context
    ) -> list[ScanRequest]:
        """The scans the check will make on ``evidence`` (none when the kind plans none)."""
        if self.scans is None:
            return []
        return list(_import(self.scans)(evidence, params, context))

    def report_tables(self, details: Mapping[str, Any]) -> list[Table]:
        """The report tables of a result of this kind (none by default)."""
        if self.tables is None:
            return []
        return list(_import(self.tables)(details))
