"""The recorded metrics in metrics/ are what `geoverify verify` produces on sample_rasters/.

Any change of a metric shows as a failing test and, once regenerated with
``python -m geoverify.samples``, as a diff of metrics/*.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geoverify.samples import build_all, record_metrics

from .conftest import ROOT


def _strip(report: dict) -> dict:
    """Drop what legitimately differs between runs: nothing but timestamps (there are none)."""
    return report


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    manifests = sorted((ROOT / "sample_rasters").glob("*/submission.toml"))
    assert manifests, "sample_rasters/ holds no sample submission"
    out = tmp_path_factory.mktemp("metrics")
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)  # reports show paths relative to the working directory
    try:
        written = record_metrics([m.relative_to(ROOT) for m in manifests], out)
    finally:
        os.chdir(cwd)
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in written}


def test_every_sample_has_a_recorded_report(regenerated: dict[str, dict]) -> None:
    recorded = {p.stem for p in (ROOT / "metrics").glob("*.json")}
    assert recorded == set(regenerated), "run `python -m geoverify.samples` and commit metrics/"


def test_recorded_metrics_match(regenerated: dict[str, dict]) -> None:
    for name, report in regenerated.items():
        recorded = json.loads((ROOT / "metrics" / f"{name}.json").read_text(encoding="utf-8"))
        assert _strip(report) == _strip(recorded), (
            f"metrics/{name}.json differs from what verify produces now: "
            "run `python -m geoverify.samples` and review the diff"
        )


def test_samples_are_reproducible(tmp_path: Path) -> None:
    """The generator writes byte-identical files: samples are data, not accidents."""
    import hashlib

    build_all(tmp_path)
    for manifest in sorted(tmp_path.glob("*/submission.toml")):
        for path in sorted(manifest.parent.rglob("*")):
            if path.is_file():
                committed = ROOT / "sample_rasters" / path.relative_to(tmp_path)
                assert committed.exists(), f"{committed} not committed"
                assert (
                    hashlib.sha256(path.read_bytes()).hexdigest()
                    == hashlib.sha256(committed.read_bytes()).hexdigest()
                ), f"{committed} differs from the generator's output"


def test_sample_verdicts_are_varied(regenerated: dict[str, dict]) -> None:
    """Some samples pass, some fail, some carry errors and missing evidence, on purpose."""
    verdicts = {v for r in regenerated.values() for v, n in r["summary"].items() if n}
    assert {"pass", "fail", "error", "missing"} <= verdicts
