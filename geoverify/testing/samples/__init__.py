"""Deterministic generator of the sample deliverables in ``sample_rasters/``.

Each topic module has ``build(root)`` writing one folder per sample submission
(``submission.toml`` + data).  ``python -m geoverify.testing.samples`` rebuilds every
sample and the recorded metrics in ``metrics/`` (the reports ``geoverify
verify`` produces on them); tests use the same builders for larger cases.
"""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

__all__ = ["TOPICS", "build_all", "record_metrics"]

#: Modules of :mod:`geoverify.testing.samples` that build samples, in order.
TOPICS: tuple[str, ...] = (
    "spine",
    "accuracy",
    "data_checks",
    "wildfire",
    "ghg",
    "coverage",
    "formats",
)


def build_all(root: Path) -> list[Path]:
    """(Re)build every sample under ``root``; returns the manifests written."""
    root = Path(root)
    for topic in TOPICS:
        importlib.import_module(f"geoverify.testing.samples.{topic}").build(root)
    return sorted(root.glob("*/submission.toml"))


def record_metrics(manifests: list[Path], out_dir: Path) -> list[Path]:
    """Run ``verify`` on each manifest and write its report JSON to ``out_dir/<sample>.json``.

    Paths in the reports are relative to the working directory: run this from
    the repository's root so the records are stable.  The run record (time,
    command, library versions) is left out: it changes with every run and
    machine, and the comparison of recorded metrics ignores it
    (:func:`geoverify.testing.assert_reports_equal`).
    """
    from geoverify.checks import Context
    from geoverify.config.catalogue import load_catalogue
    from geoverify.config.submission import load_submission
    from geoverify.report import build_report
    from geoverify.run import verify

    catalogue = load_catalogue()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for manifest in manifests:
        submission = load_submission(manifest, catalogue)
        results = verify(submission, catalogue, context=Context(workers=2))
        report = build_report(submission, catalogue, results)
        report.pop("run")
        path = out_dir / f"{manifest.parent.name}.json"
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def clean(root: Path) -> None:
    """Remove generated sample folders (those holding a submission.toml)."""
    for manifest in Path(root).glob("*/submission.toml"):
        shutil.rmtree(manifest.parent)
