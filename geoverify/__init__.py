"""geoverify — verify earth-observation deliverables against the GEO indicators of the 2026 call.

The data flow is one-way::

    catalogue ──► submission (evidence) ──► check (Measurement) ──► decide (Result) ──► report

>>> import geoverify
>>> catalogue = geoverify.load_catalogue()
>>> submission = geoverify.load_submission("sample_rasters/spine_pass/submission.toml", catalogue)
>>> results = geoverify.verify(submission, catalogue)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .catalogue import Catalogue, Indicator, load_catalogue
from .checks import Context
from .decide import decide
from .errors import (
    CatalogueError,
    EvidenceError,
    EvidenceReadError,
    GeoverifyError,
    SubmissionError,
    UnitError,
)
from .measurement import EvidenceRecord, Measurement, Result, Verdict
from .submission import Evidence, Submission, load_submission
from .verify import evaluate, exit_code, verify

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
