"""The GHG samples: deterministic, realistic, and judged as intended end to end."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from geoverify.checks import Context
from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.io.collocations import read_collocations
from geoverify.report.figures import retrieval_figures
from geoverify.run import verify
from geoverify.stats.budget import parse_budget
from geoverify.testing.samples.ghg import build

EXPECTED = {
    "ghg_pass": {
        "ghg.sources_per_orbit": "pass",
        "ghg.xco2_precision": "pass",
        "ghg.xch4_precision": "pass",
        "ghg.no2_precision": "pass",
        "ghg.onboard_latency": "pass",
        "ghg.demo_sources": "pass",
    },
    "ghg_fail": {
        "ghg.sources_per_orbit": "fail",
        "ghg.xco2_precision": "fail",
        "ghg.xch4_precision": "inconclusive",
        "ghg.no2_precision": "missing",
        "ghg.onboard_latency": "fail",
        "ghg.demo_sources": "fail",
    },
}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ghg")
    build(root)
    return root


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_samples_are_deterministic(samples: Path, tmp_path: Path) -> None:
    build(tmp_path)
    assert _digest(samples) == _digest(tmp_path)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_verdicts(samples: Path, name: str) -> None:
    catalogue = load_catalogue()
    submission = load_submission(samples / name / "submission.toml", catalogue)
    ids = list(EXPECTED[name])
    results = {
        r.indicator: r
        for r in verify(submission, catalogue, indicators=ids, context=Context(workers=1))
    }
    got = {i: str(results[i].verdict) for i in ids}
    assert got == EXPECTED[name], {i: results[i].message for i in ids}


def test_sample_magnitudes(samples: Path) -> None:
    data = samples / "ghg_pass" / "ghg"
    xco2 = read_collocations(str(data / "collocations.csv"), gas="XCO2")
    d = xco2["difference"].to_numpy()
    assert 0.8 < np.std(d, ddof=1) < 1.2 and 0.2 < d.mean() < 0.4
    no2 = read_collocations(
        str(data / "no2_collocations.nc"), gas="NO2", declared_gas="NO2", unit="mol/m2"
    )
    assert 1.0e15 < np.std(no2["difference"], ddof=1) < 2.0e15
    fail = read_collocations(str(samples / "ghg_fail" / "ghg" / "collocations.csv"), gas="XCO2")
    assert 4.0 < np.std(fail["difference"], ddof=1) < 6.0


def test_retrieval_figures(samples: Path, tmp_path: Path) -> None:
    data = samples / "ghg_pass" / "ghg"
    frame = read_collocations(str(data / "collocations.csv"), gas="XCH4")
    budget = parse_budget("xch4_budget.csv", unit="ppb", base=data)
    paths = retrieval_figures(frame, budget, tmp_path / "fig", threshold=18.0)
    assert [p.name for p in paths] == [
        "xch4_scatter.png",
        "xch4_differences.png",
        "xch4_budget.png",
    ]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 5_000
    assert len(retrieval_figures(frame, None, tmp_path / "nobudget")) == 2
