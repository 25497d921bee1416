"""What a check produces (:class:`Measurement`) and what a decision produces (:class:`Result`).

A check measures and knows nothing of thresholds; :func:`geoverify.decide.decide`
holds a measurement against an indicator's threshold and gives a :class:`Result`.
Both are plain data, serialisable to the report's JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["EvidenceRecord", "Measurement", "Result", "Table", "Verdict", "jsonable"]


class Verdict(StrEnum):
    """The five verdicts of the report contract."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    MISSING = "missing"
    ERROR = "error"


@dataclass(frozen=True)
class EvidenceRecord:
    """A file or URL that was verified, with its checksum (``None`` when not computed)."""

    path: str
    sha256: str | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"path", "sha256"}`` (contract); why a checksum is absent goes in the details."""
        return {"path": self.path, "sha256": self.sha256}


@dataclass
class Measurement:
    """The observed value of one check on one piece of evidence.

    Parameters
    ----------
    value : float, int, list or None
        The measured quantity, in ``unit``.
    unit : str
        A unit of :data:`geoverify.units.UNITS`.
    ci : (float, float), optional
        95% confidence interval of ``value`` when it is an estimate.
    se : float, optional
        Standard error of ``value`` when it is an estimate.
    n : int, optional
        Sample size behind an estimate.
    details : dict
        Everything else worth reporting (confusion matrix, per-axis sizes, ...).
        Must be JSON-serialisable (see :func:`jsonable`).
    message : str
        One sentence for the report.
    planner : callable, optional
        ``planner(threshold) -> int``: how many more reference samples would be
        expected to decide an inconclusive estimate against ``threshold``
        (given in ``unit``).  Not serialised.
    companions : dict, optional
        Other quantities, in ``unit``, that the report should also hold against
        the indicator's threshold without deciding on them (e.g. a declared
        error budget beside the measured precision).
    missing : tuple, optional
        Steps absent between the first and the last of a time series (years or
        labels): what the ``covers`` operator holds against the span it needs.
    plots : dict, optional
        Data the report draws figures from (``{"retrieval": {...}}``): checks
        return data, the report draws (:mod:`geoverify.report.figures`).  Not
        serialised.
    """

    value: Any
    unit: str
    ci: tuple[float, float] | None = None
    se: float | None = None
    n: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    planner: Callable[[float], int | None] | None = field(default=None, repr=False)
    companions: dict[str, float] = field(default_factory=dict)
    missing: tuple[Any, ...] = ()
    plots: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Result:
    """One indicator's verdict, as written in ``report.json``'s ``results``."""

    indicator: str
    verdict: Verdict
    value: Any = None
    unit: str | None = None
    op: str | None = None
    threshold: Any = None
    ci: tuple[float, float] | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    evidence: list[EvidenceRecord] = field(default_factory=list)
    #: what the report draws figures from (:attr:`Measurement.plots`); not serialised
    plots: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The report's result object (contract: exactly these keys)."""
        return {
            "indicator": self.indicator,
            "verdict": str(self.verdict),
            "value": jsonable(self.value),
            "unit": self.unit,
            "op": self.op,
            "threshold": jsonable(self.threshold),
            "ci": None if self.ci is None else [jsonable(self.ci[0]), jsonable(self.ci[1])],
            "message": self.message,
            "details": jsonable(self._details_with_notes()),
            "evidence": [e.to_dict() for e in self.evidence],
        }

    def _details_with_notes(self) -> dict[str, Any]:
        notes = [{"path": e.path, "note": e.note} for e in self.evidence if e.note]
        return {**self.details, "evidence_notes": notes} if notes else self.details


def jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples, paths and non-finite floats to JSON types.

    NaN and infinities become ``None``: JSON has no NaN, and a silent NaN in a
    report is worse than an explicit null.
    """
    if obj is None or isinstance(obj, bool | str | int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        seq = sorted(obj, key=str) if isinstance(obj, set | frozenset) else obj
        return [jsonable(v) for v in seq]
    if hasattr(obj, "tolist"):  # numpy scalar or array
        return jsonable(obj.tolist())
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "__fspath__"):
        return str(obj)
    return str(obj)


@dataclass
class Table:
    """A table as plain text, rendered alike in Markdown and in HTML.

    ``link`` names the column holding indicator ids (rendered as links to their
    section) and ``verdict`` the column holding verdicts (rendered with their
    icon or colour); ``None`` for neither.
    """

    caption: str
    headers: list[str]
    rows: list[list[str]]
    link: int | None = None
    verdict: int | None = None
    notes: list[str] = field(default_factory=list)
    kind: str = "details"  # the HTML table's class
