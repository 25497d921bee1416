"""Retrieval statistics against hand computation and numpy/scipy, and the retrieval check."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geoverify.checks import Context
from geoverify.checks.retrieval.measure import (
    bias,
    chi2_interval,
    collocations_to_decide,
    mad_screen,
    measure_retrieval,
    parse_outliers,
    precision,
    rmse,
    station_variability,
)
from geoverify.errors import EvidenceError, UnitError
from geoverify.model.evidence import Evidence

D = [1.0, 2.0, 3.0, 4.0, 5.0]


def test_bias_by_hand() -> None:
    est = bias(D)
    # mean 3; s = sqrt(10/4) = 1.5811; t(0.975, 4) = 2.7764 (tables)
    half = 2.7764 * math.sqrt(2.5) / math.sqrt(5)
    assert est.value == 3.0
    assert est.low == pytest.approx(3 - half, abs=1e-3)
    assert est.high == pytest.approx(3 + half, abs=1e-3)


def test_precision_by_hand_and_scipy() -> None:
    est = precision(D)
    s = math.sqrt(2.5)
    assert est.value == pytest.approx(s)
    # chi2(0.975, 4) = 11.1433, chi2(0.025, 4) = 0.4844 (tables)
    assert est.low == pytest.approx(s * math.sqrt(4 / 11.1433), rel=1e-4)
    assert est.high == pytest.approx(s * math.sqrt(4 / 0.4844), rel=1e-3)
    g = np.random.default_rng(3)
    d = g.normal(0.3, 1.0, 250)
    est = precision(d)
    n, var = d.size, np.var(d, ddof=1)
    assert est.value == pytest.approx(np.std(d, ddof=1))
    assert est.low**2 == pytest.approx((n - 1) * var / stats.chi2.ppf(0.975, n - 1))
    assert est.high**2 == pytest.approx((n - 1) * var / stats.chi2.ppf(0.025, n - 1))


def test_rmse_by_hand() -> None:
    est = rmse(D)
    assert est.value == pytest.approx(math.sqrt(11.0))  # mean of 1,4,9,16,25
    squares = np.square(D)
    half = stats.t.ppf(0.975, 4) * np.std(squares, ddof=1) / math.sqrt(5)
    assert est.high == pytest.approx(math.sqrt(11 + half))
    assert est.low == pytest.approx(math.sqrt(max(11 - half, 0.0)))


def test_station_variability_by_hand() -> None:
    est, per = station_variability([1, 3, 4, 6, 7], ["A", "A", "B", "B", "C"])
    # station means 2, 5, 7: std (ddof=1) = sqrt(((-8/3)^2 + (1/3)^2 + (7/3)^2) / 2)
    assert est is not None
    assert est.value == pytest.approx(math.sqrt(19 / 3))
    assert est.n == 3
    assert per == {
        "A": {"n": 2, "bias": 2.0},
        "B": {"n": 2, "bias": 5.0},
        "C": {"n": 1, "bias": 7.0},
    }
    single, _ = station_variability([1, 2], ["A", "A"])
    assert single is None


def test_chi2_interval_matches_scipy() -> None:
    low, high = chi2_interval(2.0, 31)
    assert low == pytest.approx(2.0 * math.sqrt(30 / stats.chi2.ppf(0.975, 30)))
    assert high == pytest.approx(2.0 * math.sqrt(30 / stats.chi2.ppf(0.025, 30)))


def test_planner_finds_the_smallest_sample() -> None:
    s, n, threshold = 3.5, 20, 4.0

    def upper(size: int) -> float:
        return s * math.sqrt((size - 1) / stats.chi2.ppf(0.025, size - 1))

    more = collocations_to_decide(s, n, threshold)
    assert more is not None and more > 0
    assert upper(n + more) < threshold <= upper(n + more - 1)
    # above the threshold: the lower bound must clear it
    more = collocations_to_decide(4.5, 20, 4.0)
    lower = 4.5 * math.sqrt((20 + more - 1) / stats.chi2.ppf(0.975, 20 + more - 1))
    assert lower > 4.0
    assert collocations_to_decide(4.0, 20, 4.0) is None
    assert collocations_to_decide(1.0, 400, 4.0) == 0


def test_mad_screen_by_hand() -> None:
    d = np.array([0.0, 1.0, -1.0, 0.5, -0.5, 10.0])
    # median 0.25; |d - m| = .25 .75 1.25 .25 .75 9.75 -> MAD 0.75; 3*1.4826*0.75 = 3.336
    keep = mad_screen(d, 3)
    assert keep.tolist() == [True, True, True, True, True, False]
    with pytest.raises(EvidenceError, match="MAD"):
        mad_screen(np.array([1.0, 1.0, 1.0, 2.0]), 3)
    assert parse_outliers("none") is None
    assert parse_outliers(3.5) == 3.5
    with pytest.raises(EvidenceError):
        parse_outliers("sometimes")


def _evidence(tmp_path: Path, **options: object) -> Evidence:
    return Evidence("ghg.xco2_precision", tmp_path, options, "submission.toml:3")


def _collocations(tmp_path: Path, d: list[float], stations: list[str], **extra: object) -> None:
    n = len(d)
    frame = pd.DataFrame(
        {
            "gas": ["XCO2"] * n,
            "station": stations,
            "time": pd.date_range("2027-01-01", periods=n, freq="h").strftime("%Y-%m-%dT%H:%MZ"),
            "retrieved": 420.0 + np.asarray(d),
            "reference": [420.0] * n,
            "uncertainty": [1.0] * n,
            "unit": ["ppm"] * n,
        }
    )
    for key, value in extra.items():
        frame[key] = value
    frame.to_csv(tmp_path / "c.csv", index=False)


PARAMS = {"gas": "XCO2", "statistic": "precision"}


def test_measure_retrieval_statistics(tmp_path: Path) -> None:
    g = np.random.default_rng(7)
    d = np.round(g.normal(0.3, 1.0, 120), 4)
    stations = [f"s{i % 4}" for i in range(120)]
    _collocations(tmp_path, d.tolist(), stations)
    m = measure_retrieval(_evidence(tmp_path, collocations="c.csv"), PARAMS, Context(workers=1))
    n = d.size
    s = np.std(d, ddof=1)
    assert m.unit == "ppm" and m.n == n
    assert m.value == pytest.approx(s, rel=1e-9)
    assert m.ci[0] == pytest.approx(s * math.sqrt((n - 1) / stats.chi2.ppf(0.975, n - 1)))
    assert m.ci[1] == pytest.approx(s * math.sqrt((n - 1) / stats.chi2.ppf(0.025, n - 1)))
    assert m.details["bias"]["value"] == pytest.approx(d.mean())
    assert m.details["rmse"]["value"] == pytest.approx(np.sqrt(np.mean(d**2)))
    means = pd.Series(d).groupby(stations).mean()
    assert m.details["station_variability"]["value"] == pytest.approx(np.std(means, ddof=1))
    assert m.details["outliers"]["n_excluded"] == 0
    assert m.planner is not None and m.planner(4.0) == 0
    assert "precision" in m.message and "no outlier screen" in m.message


def test_outliers_are_reported_not_silent(tmp_path: Path) -> None:
    d = [0.1, -0.2, 0.3, 0.0, -0.1, 0.2, 25.0, -0.3]
    _collocations(tmp_path, d, ["a"] * 8)
    m = measure_retrieval(
        _evidence(tmp_path, collocations="c.csv", outliers=4), PARAMS, Context(workers=1)
    )
    kept = np.array(d[:6] + d[7:])
    assert m.n == 7
    assert m.value == pytest.approx(np.std(kept, ddof=1))
    excluded = m.details["outliers"]["excluded"]
    assert len(excluded) == 1 and excluded[0]["row"] == 7
    assert excluded[0]["difference"] == pytest.approx(25.0)
    assert "1 outlier excluded" in m.message
    unscreened = measure_retrieval(
        _evidence(tmp_path, collocations="c.csv"), PARAMS, Context(workers=1)
    )
    assert unscreened.n == 8


def test_bias_statistic(tmp_path: Path) -> None:
    _collocations(tmp_path, D, ["a"] * 5)
    m = measure_retrieval(
        _evidence(tmp_path, collocations="c.csv"),
        {"gas": "XCO2", "statistic": "bias"},
        Context(workers=1),
    )
    assert m.value == pytest.approx(3.0)
    assert m.planner is None


@pytest.mark.parametrize(
    ("d", "match"),
    [([0.4], "at least 2"), ([0.5, 0.5, 0.5, 0.5], "identical")],
)
def test_degenerate_collocations(tmp_path: Path, d: list[float], match: str) -> None:
    _collocations(tmp_path, d, ["a"] * len(d))
    with pytest.raises(EvidenceError, match=match) as info:
        measure_retrieval(_evidence(tmp_path, collocations="c.csv"), PARAMS, Context(workers=1))
    assert "c.csv" in str(info.value)


def test_nan_reference_is_a_clear_error(tmp_path: Path) -> None:
    _collocations(tmp_path, [0.1, 0.2, 0.3], ["a"] * 3, reference=[420.0, np.nan, 420.0])
    with pytest.raises(EvidenceError, match=r"no 'reference' value \(NaN in rows 2\)"):
        measure_retrieval(_evidence(tmp_path, collocations="c.csv"), PARAMS, Context(workers=1))


def test_mismatched_units_are_an_error(tmp_path: Path) -> None:
    _collocations(tmp_path, [0.1, 0.2, 0.3], ["a"] * 3)
    with pytest.raises(EvidenceError, match="mismatch"):
        measure_retrieval(
            _evidence(tmp_path, collocations="c.csv", unit="ppb"), PARAMS, Context(workers=1)
        )
    _collocations(tmp_path, [0.1, 0.2, 0.3], ["a"] * 3, unit=["ppm", "molecules/cm2", "ppm"])
    with pytest.raises(UnitError, match="dry_air_column"):
        measure_retrieval(_evidence(tmp_path, collocations="c.csv"), PARAMS, Context(workers=1))


def test_missing_file_and_columns(tmp_path: Path) -> None:
    from geoverify.errors import EvidenceReadError

    with pytest.raises(EvidenceReadError, match="not found"):
        measure_retrieval(_evidence(tmp_path, collocations="nope.csv"), PARAMS, Context())
    pd.DataFrame({"gas": ["XCO2"], "retrieved": [1.0]}).to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(EvidenceError, match="'reference'"):
        measure_retrieval(_evidence(tmp_path, collocations="c.csv"), PARAMS, Context())


def test_figures_drawn_by_the_report_from_the_check_data(tmp_path: Path) -> None:
    """The check returns data; the report draws (issue 10: no PNGs from checks)."""
    from geoverify.model import Result, Verdict
    from geoverify.report.figures import draw_figures

    g = np.random.default_rng(5)
    _collocations(tmp_path, np.round(g.normal(0, 1, 40), 3).tolist(), ["a", "b"] * 20)
    budget = [{"component": "noise", "value": 0.9, "kind": "random"}]
    evidence = _evidence(tmp_path, collocations="c.csv", budget=budget)
    m = measure_retrieval(evidence, PARAMS, Context(workers=1))
    assert "figures" not in m.details
    assert len(m.plots["retrieval"]["collocations"]) == 40
    result = Result("ghg.xco2_precision", Verdict.PASS, plots=m.plots)
    draw_figures([result], tmp_path / "out")
    names = [Path(p).name for p in result.details["figures"]]
    assert names == [
        "ghg_xco2_precision_scatter.png",
        "ghg_xco2_precision_differences.png",
        "ghg_xco2_precision_budget.png",
    ]
    assert all(
        (tmp_path / "out" / p).read_bytes()[:4] == b"\x89PNG" for p in result.details["figures"]
    )
