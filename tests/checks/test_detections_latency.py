"""Point sources detected per orbit, and processing time per point source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoverify.checks import Context
from geoverify.checks.detections.measure import measure_detections
from geoverify.checks.latency.measure import measure_latency
from geoverify.errors import EvidenceError
from geoverify.model.evidence import Evidence

ROWS = [
    # orbit 101: A, B, C detected (A twice), D not detected -> 3
    (101, "A", 110.0, 40.0, True, 1200.0),
    (101, "A", 110.0, 40.0, True, None),
    (101, "B", 111.0, 41.0, True, None),
    (101, "C", 112.0, 42.0, True, 800.0),
    (101, "D", 113.0, 43.0, False, None),
    # orbit 102: A detected, B not -> 1
    (102, "A", 110.0, 40.0, True, None),
    (102, "B", 111.0, 41.0, False, None),
    # orbit 103: nothing detected -> 0
    (103, "C", 112.0, 42.0, False, None),
]


def _evidence(tmp_path: Path, indicator: str, **options: object) -> Evidence:
    return Evidence(indicator, tmp_path, options, "submission.toml:9")


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_detections_by_hand(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame(ROWS, columns=["orbit", "source_id", "lon", "lat", "detected", "emission"])
    path = tmp_path / f"d.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)
    m = measure_detections(
        _evidence(tmp_path, "ghg.sources_per_orbit", detections=path.name), {}, Context()
    )
    assert m.value == 3 and m.unit == "count"
    d = m.details
    assert d["per_orbit"] == {"101": 3, "102": 1, "103": 0}
    assert d["best_orbit"] == "101"
    assert (d["min"], d["median"], d["max"]) == (0, 1.0, 3)
    assert d["duplicates_removed"] == 1
    assert d["distinct_sources_detected"] == 3
    assert d["quantified_in_best_orbit"] == 2
    assert "best single orbit" in m.message


def test_detections_flag_values(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"orbit": [1, 1, 2], "source_id": ["a", "b", "a"], "detected": ["yes", "1", "maybe"]}
    )
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(EvidenceError, match="unreadable 'detected' values in rows 3"):
        measure_detections(
            _evidence(tmp_path, "ghg.sources_per_orbit", detections="d.csv"), {}, Context()
        )
    frame.drop(columns="orbit").to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(EvidenceError, match="'orbit'"):
        measure_detections(
            _evidence(tmp_path, "ghg.sources_per_orbit", detections="d.csv"), {}, Context()
        )


SECONDS = [1.5, 2.0, 9.0, 3.25]


def _timings(tmp_path: Path) -> None:
    start = pd.Timestamp("2027-05-01T03:00:00Z") + pd.to_timedelta([0, 30, 60, 90], unit="s")
    end = start + pd.to_timedelta(SECONDS, unit="s")
    pd.DataFrame(
        {
            "source_id": ["a", "b", "c", "d"],
            "start": start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "end": end.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
    ).to_csv(tmp_path / "t.csv", index=False)


def test_latency_by_hand(tmp_path: Path) -> None:
    _timings(tmp_path)
    ev = _evidence(tmp_path, "ghg.onboard_latency", timings="t.csv")
    m = measure_latency(ev, {"statistic": "max"}, Context())
    assert m.value == pytest.approx(9.0) and m.unit == "s" and m.n == 4
    # sorted 1.5 2 3.25 9: median (2 + 3.25)/2; p95 at rank 0.95*3 = 2.85 -> 3.25 + .85*5.75
    assert m.details["median"] == pytest.approx(2.625)
    assert m.details["p95"] == pytest.approx(8.1375)
    assert m.details["p95"] == pytest.approx(np.percentile(SECONDS, 95))
    assert m.details["slowest"][0] == {"source_id": "c", "seconds": pytest.approx(9.0)}
    assert "maximum" in m.message
    p95 = measure_latency(ev, {"statistic": "p95"}, Context())
    assert p95.value == pytest.approx(8.1375) and "95th percentile of" in p95.message
    assert measure_latency(ev, {"statistic": "median"}, Context()).value == pytest.approx(2.625)


def test_latency_duration_column_and_errors(tmp_path: Path) -> None:
    ev = _evidence(tmp_path, "ghg.onboard_latency", timings="t.csv")
    pd.DataFrame({"duration_s": SECONDS}).to_csv(tmp_path / "t.csv", index=False)
    assert measure_latency(ev, {}, Context()).value == pytest.approx(9.0)
    pd.DataFrame({"duration_s": [1.0, np.nan]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(EvidenceError, match=r"no duration \(rows 2\)"):
        measure_latency(ev, {}, Context())
    pd.DataFrame({"duration_s": [1.0, -2.0]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(EvidenceError, match="negative"):
        measure_latency(ev, {}, Context())
    _timings(tmp_path)
    frame = pd.read_csv(tmp_path / "t.csv")
    frame["duration_s"] = [1.5, 2.0, 9.5, 3.25]
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(EvidenceError, match=r"disagrees.*rows 3"):
        measure_latency(ev, {}, Context())
    pd.DataFrame({"source_id": ["a"]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(EvidenceError, match="duration_s"):
        measure_latency(ev, {}, Context())
    with pytest.raises(EvidenceError, match="statistic"):
        measure_latency(ev, {"statistic": "mean"}, Context())
