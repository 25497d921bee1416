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
from typing import TYPE_CHECKING, Any

from geoverify._version import __version__

# imported now, not on first use: the name is also a subpackage's, and the import system would
# otherwise leave `geoverify.decide` bound to the subpackage once anything imports it (≈ 30 ms)
from geoverify.decide import decide

if TYPE_CHECKING:  # the names below are imported on first use (PEP 562): `import geoverify`
    # stays light, so `geoverify --help` and single commands start fast
    from geoverify.checks import Context
    from geoverify.config.catalogue import load_catalogue
    from geoverify.config.submission import load_submission
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


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
