"""geoverify — verify earth-observation deliverables against the GEO indicators of the 2026 call.

The data flow is one-way::

    catalogue ──► submission (evidence) ──► check (Measurement) ──► decide (Result) ──► report

>>> import geoverify
>>> catalogue = geoverify.load_catalogue()
>>> submission = geoverify.load_submission("sample_rasters/spine_pass/submission.toml", catalogue)
>>> results = geoverify.run(submission, catalogue)
"""

from __future__ import annotations

from geoverify._version import __version__
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
