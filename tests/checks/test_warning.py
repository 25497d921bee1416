"""Early-warning lead time and accuracy against hand-matched outbreaks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geoverify.checks import Context
from geoverify.checks.warning.measure import measure_warning, median_ci, wilson_interval
from geoverify.config.catalogue import load_catalogue
from geoverify.errors import EvidenceError
from geoverify.model import Verdict
from geoverify.model.evidence import Evidence
from geoverify.run import evaluate
from geoverify.stats.intervals import score_interval

WARNINGS = """hazard,region,issued
locust,KEN-01,2027-01-01
locust,KEN-01,2027-02-01
locust,ETH-03,2027-01-10
pine_wilt,CHN-35,2027-05-01
pine_wilt,CHN-35,2027-06-01
"""
OUTBREAKS = """hazard,region,onset
locust,KEN-01,2027-01-20
locust,KEN-01,2027-02-25
locust,ETH-03,2027-04-30
pine_wilt,CHN-35,2027-05-16
fall_armyworm,THA-02,2027-03-03
"""


@pytest.fixture
def evidence(tmp_path: Path) -> Evidence:
    (tmp_path / "w.csv").write_text(WARNINGS)
    (tmp_path / "o.csv").write_text(OUTBREAKS)
    return Evidence(
        "pest.warning_accuracy",
        tmp_path,
        {"warnings": "w.csv", "outbreaks": "o.csv", "window_days": 60},
        "test",
    )


def test_hand_matched_contingency(evidence: Evidence) -> None:
    # By hand: KEN 01-01 → 01-20 (19 d); KEN 02-01 → 02-25 (24 d); ETH 01-10 → 04-30 is 110 d,
    # outside the 60-day window: false alarm and a miss; CHN 05-01 → 05-16 (15 d);
    # CHN 06-01 false alarm; THA outbreak has no warning: miss.
    m = measure_warning(evidence, {"measure": "accuracy"}, Context())
    d = m.details
    assert (d["hits"], d["false_alarms"], d["misses"]) == (3, 2, 2)
    assert m.value == pytest.approx(60.0)
    # the verdict's interval: Wilson with continuity correction (Newcombe 1998, method 4)
    assert m.ci == pytest.approx(tuple(100 * v for v in score_interval(3, 5)))
    assert d["critical_success_index"] == pytest.approx(3 / 7)
    assert d["probability_of_detection"] == pytest.approx(3 / 5)


def test_lead_time_median(evidence: Evidence) -> None:
    m = measure_warning(evidence, {"measure": "lead_time"}, Context())
    assert m.value == pytest.approx(19.0)
    assert m.details["minimum_days"] == pytest.approx(15.0)
    assert m.ci is None  # three hits are too few for a 95% interval of a median
    assert "too few order statistics" in m.details["inconclusive_reason"]


def test_wilson_published_value() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857, Table I: 81/263 → 0.2553 to 0.3662
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


def test_continuity_corrected_wilson_published_values() -> None:
    # Newcombe (1998), Table I, method 4 (score interval with continuity correction)
    for (k, n), expected in {
        (81, 263): (0.2535, 0.3682),
        (15, 148): (0.0598, 0.1644),
        (0, 20): (0.0, 0.2005),
        (1, 29): (0.0018, 0.1963),
    }.items():
        low, high = score_interval(k, n)
        assert (round(low, 4), round(high, 4)) == expected


def test_median_interval_order_statistics() -> None:
    # Conover (1999) Table A3: n = 20 at 95% uses the 6th and 15th order statistics
    assert median_ci(np.arange(1.0, 21.0)) == (6.0, 15.0)
    assert median_ci(np.arange(5.0)) is None


def test_verdict_through_the_catalogue(evidence: Evidence) -> None:
    catalogue = load_catalogue()
    result = evaluate(catalogue["pest.warning_accuracy"], evidence)
    # 60% with Wilson interval (23%, 88%) straddles 80% → inconclusive, with a sample size
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "more warnings would be expected to decide it" in result.message


def test_bad_tables(tmp_path: Path) -> None:
    (tmp_path / "w.csv").write_text("hazard,issued\nlocust,2027-01-01\n")
    (tmp_path / "o.csv").write_text(OUTBREAKS)
    ev = Evidence("x", tmp_path, {"warnings": "w.csv", "outbreaks": "o.csv"}, "test")
    with pytest.raises(EvidenceError, match="region"):
        measure_warning(ev, {"measure": "accuracy"}, Context())
    (tmp_path / "w.csv").write_text("hazard,region,issued\nlocust,KEN,not a date\n")
    with pytest.raises(EvidenceError, match="not dates"):
        measure_warning(ev, {"measure": "accuracy"}, Context())
