"""Error budgets: quadrature sums (GUM) and the consistency flag."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoverify.checks import Context
from geoverify.checks.retrieval.measure import measure_retrieval
from geoverify.errors import EvidenceError
from geoverify.model.evidence import Evidence
from geoverify.stats.budget import combine, consistency, parse_budget

INLINE = [
    {"component": "instrument noise", "value": 0.7, "kind": "random"},
    {"component": "smoothing", "value": 0.3, "kind": "random"},
    {"component": "aerosol", "value": 0.4, "kind": "random"},
    {"component": "meteorology", "value": 0.2, "kind": "random"},
    {"component": "spectroscopy", "value": 0.3, "kind": "systematic"},
    {"component": "calibration", "value": 0.2, "kind": "systematic"},
]


def test_quadrature_by_hand() -> None:
    totals = combine(parse_budget(INLINE, unit="ppm"))
    # random: 0.49 + 0.09 + 0.16 + 0.04 = 0.78; systematic: 0.09 + 0.04 = 0.13
    assert totals.random == pytest.approx(math.sqrt(0.78))
    assert totals.systematic == pytest.approx(math.sqrt(0.13))
    assert totals.total == pytest.approx(math.sqrt(0.91))
    assert totals.unit == "ppm"


def test_budget_file_and_unit_conversion(tmp_path: Path) -> None:
    pd.DataFrame(
        {
            "component": ["noise", "spectroscopy"],
            "value": [600.0, 800.0],
            "kind": ["random", "systematic"],
            "unit": ["ppb", "ppb"],
        }
    ).to_csv(tmp_path / "b.csv", index=False)
    totals = combine(parse_budget("b.csv", unit="ppm", base=tmp_path))
    assert totals.random == pytest.approx(0.6)
    assert totals.systematic == pytest.approx(0.8)
    assert totals.total == pytest.approx(1.0)  # 3-4-5
    table = {"unit": "mol/m2", "components": [{"component": "n", "value": 1e-5, "kind": "random"}]}
    no2 = combine(parse_budget(table, unit="molecules/cm2"))
    assert no2.random == pytest.approx(1e-5 * 6.02214076e23 / 1e4)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([], "no components"),
        ([{"component": "x", "value": 1.0, "kind": "bias"}], "random or systematic"),
        ([{"component": "x", "value": -1.0, "kind": "random"}], "non-negative"),
        ([{"component": "x", "kind": "random"}], "no numeric value"),
        ([{"value": 1.0, "kind": "random"}], "no name"),
        (
            [
                {"component": "Noise", "value": 1.0, "kind": "random"},
                {"component": "noise", "value": 1.0, "kind": "random"},
            ],
            "listed twice",
        ),
    ],
)
def test_bad_budgets(rows: list[dict[str, object]], match: str) -> None:
    with pytest.raises(EvidenceError, match=match):
        parse_budget(rows, unit="ppm")


def test_inconsistency_flag() -> None:
    totals = combine(parse_budget(INLINE, unit="ppm"))  # random 0.8832
    ok = consistency(totals, precision=1.0, precision_low=0.93)
    assert ok["consistent"] is True
    assert ok["ratio"] == pytest.approx(1.0 / math.sqrt(0.78))
    bad = consistency(totals, precision=4.6, precision_low=4.19)
    assert bad["consistent"] is False
    assert "inconsistent" in bad["sentence"]
    limit = 1.5 * math.sqrt(0.78)
    assert consistency(totals, 2.0, limit - 1e-9)["consistent"] is True
    assert consistency(totals, 2.0, limit + 1e-9)["consistent"] is False



def test_retrieval_flags_an_inconsistent_budget(tmp_path: Path) -> None:
    g = np.random.default_rng(11)
    d = g.normal(0.0, 5.0, 200)
    pd.DataFrame({"retrieved": 420 + d, "reference": 420.0, "station": "x", "unit": "ppm"}).to_csv(
        tmp_path / "c.csv", index=False
    )
    evidence = Evidence(
        "ghg.xco2_precision",
        tmp_path,
        {"collocations": "c.csv", "gas": "XCO2", "budget": INLINE},
        "submission.toml:4",
    )
    m = measure_retrieval(evidence, {"gas": "XCO2"}, Context(workers=1))
    budget = m.details["budget"]
    assert budget["random"] == pytest.approx(math.sqrt(0.78))
    assert budget["consistency"]["consistent"] is False
    assert "inconsistent" in m.message
