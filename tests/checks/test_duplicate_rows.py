"""Repeated warning, outbreak and collocation rows count once (review finding 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoverify.checks import Context
from geoverify.checks.warning.measure import measure_warning
from geoverify.decide import decide_condition
from geoverify.io.collocations import read_collocations
from geoverify.model import Verdict
from geoverify.model.catalogue import Condition
from geoverify.model.evidence import Evidence


def test_copies_of_one_warning_do_not_manufacture_an_interval(tmp_path: Path) -> None:
    # one warning (01-01) verified by one outbreak (01-25): 24 days; 8 copies of each row,
    # one with other case and spaces
    warnings = ["locust,KEN-01,2027-01-01"] * 7 + [" Locust ,ken-01,2027-01-01"]
    outbreaks = ["locust,KEN-01,2027-01-25"] * 8
    (tmp_path / "w.csv").write_text("hazard,region,issued\n" + "\n".join(warnings) + "\n")
    (tmp_path / "o.csv").write_text("hazard,region,onset\n" + "\n".join(outbreaks) + "\n")
    ev = Evidence("pest.warning_lead", tmp_path, {"warnings": "w.csv", "outbreaks": "o.csv"}, "t")
    m = measure_warning(ev, {"measure": "lead_time"}, Context())
    assert (m.details["warnings"], m.details["outbreaks"], m.details["hits"]) == (1, 1, 1)
    assert (m.details["duplicate_warnings"], m.details["duplicate_outbreaks"]) == (7, 7)
    assert m.value == pytest.approx(24.0)
    assert decide_condition(Condition(">=", 15, "days"), m)[0] is Verdict.INCONCLUSIVE
    acc = measure_warning(ev, {"measure": "accuracy"}, Context())
    assert acc.n == 1 and "7 repeated warning row(s)" in acc.message


def test_same_day_in_another_region_is_another_warning(tmp_path: Path) -> None:
    (tmp_path / "w.csv").write_text(
        "hazard,region,issued\nlocust,A,2027-01-01\nlocust,B,2027-01-01\n"
    )
    (tmp_path / "o.csv").write_text("hazard,region,onset\nlocust,A,2027-01-10\n")
    options = {"warnings": "w.csv", "outbreaks": "o.csv"}
    ev = Evidence("pest.warning_accuracy", tmp_path, options, "t")
    m = measure_warning(ev, {"measure": "accuracy"}, Context())
    assert m.details["warnings"] == 2 and m.details["duplicate_warnings"] == 0
    assert m.value == pytest.approx(50.0)


def test_repeated_collocations_count_once(tmp_path: Path) -> None:
    rows = [
        "XCO2,ppm,Hefei,2026-07-01T03:00Z,410.2,410.0",
        "XCO2,ppm,Hefei,2026-07-01T03:00Z,410.2,410.0",  # a copy
        "XCO2,ppm,Hefei,2026-07-01T04:00Z,410.2,410.0",  # another time: kept
        "XCO2,ppm,Xianghe,2026-07-01T03:00Z,410.2,410.0",  # another station: kept
    ]
    path = tmp_path / "c.csv"
    path.write_text("gas,unit,station,time,retrieved,reference\n" + "\n".join(rows) + "\n")
    frame = read_collocations(str(path), gas="XCO2")
    assert len(frame) == 3 and frame.attrs["duplicate_rows"] == 1
    assert frame.attrs["rows_other_gases"] == 0


def test_repeated_sounding_ids_count_once(tmp_path: Path) -> None:
    rows = ["s1,410.2,410.0", "s1,410.3,410.0", "s2,410.2,410.0", ",409.0,410.0", ",408.0,410.0"]
    path = tmp_path / "c.csv"
    path.write_text("sounding_id,retrieved,reference\n" + "\n".join(rows) + "\n")
    frame = read_collocations(str(path), gas="XCO2", unit="ppm", declared_gas="XCO2")
    # s1 twice -> once; s2 has s1's values but its own id: kept; rows without an id are
    # compared by their values (distinct here)
    assert len(frame) == 4 and frame.attrs["duplicate_rows"] == 1
    assert frame["retrieved"].tolist() == pytest.approx([410.2, 410.2, 409.0, 408.0])
