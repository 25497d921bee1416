"""geoverify — verify earth-observation deliverables against the GEO indicators of the 2026 call.

The data flow is one-way::

    catalogue ──► submission (evidence) ──► check (Measurement) ──► decide (Result) ──► report

>>> import geoverify
>>> catalogue = geoverify.load_catalogue()
>>> submission = geoverify.load_submission("sample_rasters/spine_pass/submission.toml", catalogue)
>>> results = geoverify.verify(submission, catalogue)
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from geoverify._version import __version__

if TYPE_CHECKING:  # the names below are imported on first use (PEP 562): `import geoverify`
    # stays light, so `geoverify --help` and single commands start fast
    from geoverify.checks import Context
    from geoverify.config.catalogue import load_catalogue
    from geoverify.config.submission import load_submission
    from geoverify.decide import decide
    from geoverify.errors import (
        CatalogueError,
        EvidenceError,
        EvidenceReadError,
        GeoverifyError,
        SubmissionError,
        UnitError,
    )
    from geoverify.model import EvidenceRecord, Measurement, Result, Verdict
    from geoverify.model.catalogue import Catalogue, Indicator
    from geoverify.model.evidence import Evidence, Submission
    from geoverify.run import evaluate, exit_code, verify

#: Where each public name lives.
_LAZY = {
    "Context": "geoverify.checks",
    "load_catalogue": "geoverify.config.catalogue",
    "load_submission": "geoverify.config.submission",
    "CatalogueError": "geoverify.errors",
    "EvidenceError": "geoverify.errors",
    "EvidenceReadError": "geoverify.errors",
    "GeoverifyError": "geoverify.errors",
    "SubmissionError": "geoverify.errors",
    "UnitError": "geoverify.errors",
    "EvidenceRecord": "geoverify.model",
    "Measurement": "geoverify.model",
    "Result": "geoverify.model",
    "Verdict": "geoverify.model",
    "Catalogue": "geoverify.model.catalogue",
    "Indicator": "geoverify.model.catalogue",
    "Evidence": "geoverify.model.evidence",
    "Submission": "geoverify.model.evidence",
    "evaluate": "geoverify.run",
    "exit_code": "geoverify.run",
    "verify": "geoverify.run",
}


#: Subpackages reachable as attributes (``geoverify.stats``) after ``import geoverify``.
_SUBPACKAGES = frozenset(
    {"checks", "cli", "config", "decide", "errors", "geo", "io", "model", "report", "run",
     "stats", "testing", "units", "versions"}
)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        if name in _SUBPACKAGES:
            return importlib.import_module(f"geoverify.{name}")
        raise AttributeError(f"module 'geoverify' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """The ``geoverify`` module: ``geoverify.decide`` is the function, loaded on first use.

    The name is also a subpackage's: the import system binds ``geoverify.decide`` to the
    subpackage when anything imports it; the setter below keeps the function instead.
    """

    @property
    def decide(self) -> Any:
        return importlib.import_module("geoverify.decide").decide

    @decide.setter
    def decide(self, value: Any) -> None:  # the subpackage, bound by the import system
        pass


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"decide"})


__all__ = [
    "Catalogue",
    "CatalogueError",
    "Context",
    "Evidence",
    "EvidenceError",
    "EvidenceReadError",
    "EvidenceRecord",
    "GeoverifyError",
    "Indicator",
    "Measurement",
    "Result",
    "Submission",
    "SubmissionError",
    "UnitError",
    "Verdict",
    "__version__",
    "decide",
    "evaluate",
    "exit_code",
    "load_catalogue",
    "load_submission",
    "verify",
]
