"""Routes to an undeserved accuracy or warning verdict, each closed (issue 11).

Real files throughout: GeoTIFF maps written with rasterio, reference samples as
GeoPackage/CSV read by geopandas, warning tables as CSV.  Each test failed on
the code before the issue was fixed.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.accuracy.measure import accuracy_report, measure_accuracy
from geoverify.checks.warning.measure import measure_warning, more_lead_times
from geoverify.decide import decide_condition
from geoverify.errors import EvidenceError
from geoverify.model import Verdict
from geoverify.model.catalogue import Condition
from geoverify.model.evidence import Evidence
from geoverify.stats import estimators as est
from geoverify.stats.intervals import effective_interval, score_interval, wilson_interval
from geoverify.testing.samples.common import write_raster

CRS = "EPSG:32650"
T = from_origin(500_000, 3_000_000, 10, 10)
CTX = Context(workers=1)
AT_LEAST_85 = Condition(">=", 85, "%")


def _evidence(base: Path, **options: Any) -> Evidence:
    return Evidence("test.accuracy", base, options, "test")


def _centre(row: int, col: int) -> tuple[float, float]:
    x, y = T * (col + 0.5, row + 0.5)
    return float(x), float(y)


def _points(path: Path, cells: list[tuple[int, int]], labels: list[Any], **cols: Any) -> Path:
    xy = [_centre(r, c) for r, c in cells]
    frame = gpd.GeoDataFrame(
        {"reference": labels, **cols},
        geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]),
        crs=CRS,
    )
    frame.to_file(path)
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 100 x 100 map: class 1 on 90 columns, class 2 on 10; row 0 is nodata."""
    base = tmp_path_factory.mktemp("gaming")
    classes = np.ones((100, 100), dtype=np.uint8)
    classes[:, 90:] = 2
    classes[0, :] = 0
    write_raster(base / "map.tif", classes, crs=CRS, transform=T, nodata=0)
    return base


# --------------------------------------------------------------------------- route 1


def test_two_plus_two_correct_stratified_does_not_pass(site: Path) -> None:
    _points(site / "four.gpkg", [(10, 10), (20, 20), (10, 95), (20, 95)], [1, 1, 2, 2])
    m = measure_accuracy(_evidence(site, map="map.tif", reference="four.gpkg",
                                   design="stratified"), {}, CTX)
    assert m.value == 100.0
    # no clipped Wald "100% to 100%": the interval on the effective sample size is wide
    assert m.ci is not None and m.ci[0] < 60.0 and m.ci[1] == 100.0
    verdict, sentence, _, _ = decide_condition(AT_LEAST_85, m)
    assert verdict is Verdict.INCONCLUSIVE, sentence
    assert "Korn & Graubard" in m.details["interval"]


def test_stratum_below_the_minimum_is_inconclusive_with_the_strata_named(site: Path) -> None:
    cells = [(r, 5) for r in range(10, 40)] + [(10, 95)]
    _points(site / "thin.gpkg", cells, [1] * 30 + [2])
    m = measure_accuracy(_evidence(site, map="map.tif", reference="thin.gpkg",
                                   design="stratified"), {}, CTX)
    assert m.details["small_strata"] == {"2": 1}
    assert m.details["min_samples_per_stratum"] == est.MIN_SAMPLES_PER_STRATUM == 2
    verdict, sentence, _, _ = decide_condition(AT_LEAST_85, m)
    assert verdict is Verdict.INCONCLUSIVE
    assert "2 (1 sample)" in sentence and "at least 2 per stratum" in sentence


def test_stratified_interval_on_the_effective_sample_size_by_hand() -> None:
    # W = (.9, .1); stratum 1: 18/20, stratum 2: 10/10.  OA = .9*.9 + .1 = .91;
    # V = .81 * .09 / 19; n_eff = .91 * .09 / V = 21.35, times (t_29 / t_28)^2, at most n = 30
    e = est.stratified_map_classes([[18, 2], [0, 10]], [900, 100], ["1", "2"])
    v = 0.81 * 0.9 * 0.1 / 19
    from scipy.stats import t

    n_eff = 0.91 * 0.09 / v * (t.ppf(0.975, 29) / t.ppf(0.975, 28)) ** 2
    assert e.n_effective == pytest.approx(n_eff, rel=1e-9)
    lo, hi = score_interval(0.91 * n_eff, n_eff)
    assert e.overall_accuracy_ci == (pytest.approx(lo), pytest.approx(hi))
    assert e.users_accuracy_ci is not None and e.users_accuracy_ci[0] == score_interval(18, 20)


# --------------------------------------------------------------------------- route 3


def _warning_tables(base: Path, leads: list[int]) -> Evidence:
    issued = [f"2027-01-{d:02d}" for d in range(1, len(leads) + 1)]
    onsets = [np.datetime64(f"2027-01-{d:02d}") + np.timedelta64(lead, "D")
              for d, lead in zip(range(1, len(leads) + 1), leads, strict=True)]
    (base / "w.csv").write_text("hazard,region,issued\n"
                                + "".join(f"locust,R{i},{d}\n" for i, d in enumerate(issued)))
    (base / "o.csv").write_text("hazard,region,onset\n"
                                + "".join(f"locust,R{i},{o}\n" for i, o in enumerate(onsets)))
    return Evidence("test.warning", base, {"warnings": "w.csv", "outbreaks": "o.csv"}, "t")


def test_three_warnings_do_not_pass_a_median_lead_time(tmp_path: Path) -> None:
    m = measure_warning(_warning_tables(tmp_path, [20, 25, 30]), {"measure": "lead_time"}, CTX)
    assert m.value == 25.0 and m.ci is None
    verdict, sentence, _, _ = decide_condition(Condition(">=", 15, "days"), m)
    assert verdict is Verdict.INCONCLUSIVE
    assert "too few order statistics" in sentence
    # three more verified warnings like these give [x_(1), x_(6)], all above 15 days
    assert "about 3 more verified warnings" in sentence


def test_lead_time_planner_by_hand() -> None:
    # 10 lead times 1..10 days vs "≥ 3": at N the interval is [x_(r), x_(N-r+1)] with the
    # observed values as quantiles; r/(N+1) must exceed the share at or below 3 (0.3)
    extra = more_lead_times(np.arange(1.0, 11.0), 3.0)
    from scipy.stats import binom

    n_total = 10 + extra
    r = next(k for k in range(n_total, 0, -1) if binom.cdf(k - 1, n_total, 0.5) <= 0.025)
    assert np.quantile(np.arange(1.0, 11.0), r / (n_total + 1), method="inverted_cdf") > 3
    assert more_lead_times(np.array([14.0, 16.0]), 15.0) is None


# --------------------------------------------------------------------------- route 4


def test_a_stratified_sample_analysed_as_simple_is_flagged(site: Path) -> None:
    # 30 + 30 samples while the map is 90% / 10%: not a simple random sample
    cells = [(r, 5) for r in range(10, 40)] + [(r, 95) for r in range(10, 40)]
    _points(site / "strat.gpkg", cells, [1] * 30 + [2] * 29 + [1])
    m = measure_accuracy(_evidence(site, map="map.tif", reference="strat.gpkg"), {}, CTX)
    test = m.details["design_test"]
    assert test["p_value"] < 1e-6 and test["df"] == 1
    # Pearson's statistic by hand: E = (54, 6), O = (30, 30)
    assert test["statistic"] == pytest.approx((30 - 54) ** 2 / 54 + (30 - 6) ** 2 / 6, rel=1e-6)
    assert "not a simple random sample" in m.details["design_warning"]
    assert "not a simple random sample" in m.message
    assert 'design = "stratified"' in m.message
    # a proportional sample raises no warning
    cells = [(r, 5) for r in range(10, 37)] + [(r, 95) for r in range(10, 13)]
    _points(site / "prop.gpkg", cells, [1] * 30)
    m = measure_accuracy(_evidence(site, map="map.tif", reference="prop.gpkg"), {}, CTX)
    assert "design_warning" not in m.details and m.details["design_test"]["p_value"] > 0.5


def test_stratified_error_never_suggests_the_simple_design() -> None:
    with pytest.raises(est.SmallStrataError) as info:
        est.stratified_map_classes([[5, 0], [0, 1]], [10, 10], ["a", "b"])
    text = f"{info.value.problem} {info.value.hint}"
    assert "simple" not in text and info.value.strata == {"b": 1}


# --------------------------------------------------------------------------- route 5


def test_planner_finds_the_smallest_deciding_size_both_ways() -> None:
    # 285/344 vs ">= 85%": Cochran's start (1,180) already decides; plain Wilson decides at
    # 1,059 (715 more), found by searching downward
    assert est.additional_samples(285 / 344, 0.85, 344, interval="wilson") == 715
    assert wilson_interval(285 / 344 * 1059, 1059)[1] < 0.85
    assert wilson_interval(285 / 344 * 1058, 1058)[1] >= 0.85
    # under the verdicts' interval (continuity-corrected) the same search gives 761
    more = est.additional_samples(285 / 344, 0.85, 344, interval="score")
    p = 285 / 344
    assert score_interval(p * (344 + more), 344 + more)[1] < 0.85
    assert score_interval(p * (343 + more), 343 + more)[1] >= 0.85
    assert more == 761


def test_stratified_planner_uses_the_stratified_interval(site: Path) -> None:
    cells = [(r, c) for r in range(10, 40) for c in (5, 6)] + [(r, 95) for r in range(10, 30)]
    labels = [1] * 52 + [2] * 8 + [2] * 17 + [1] * 3  # UA1 = 52/60, UA2 = 17/20
    _points(site / "strat2.gpkg", cells, labels)
    m = measure_accuracy(_evidence(site, map="map.tif", reference="strat2.gpkg",
                                   design="stratified"), {}, CTX)
    assert m.ci is not None and m.ci[0] < 85.0 < m.ci[1]
    extra = m.planner(85.0) if m.planner else None
    assert extra is not None and extra > 0
    p, se, n = m.value / 100, m.se / 100, m.n

    def lower(size: int) -> float:
        # the verdict's interval with every stratum grown alike: SE * sqrt(n / N), df N - 2
        ci, _ = effective_interval(p, se * math.sqrt(n / size), size, size - 2)
        assert ci is not None
        return ci[0]

    assert p > 0.85 and lower(n + extra) > 0.85 >= lower(n + extra - 1)


# --------------------------------------------------------------------------- route 6


def test_labels_that_never_match_are_an_error(site: Path) -> None:
    cells = [(r, 5) for r in range(10, 37)] + [(r, 95) for r in range(10, 13)]
    _points(site / "zero.gpkg", cells, ["01"] * 27 + ["02"] * 3)
    with pytest.raises(EvidenceError) as info:
        accuracy_report(site / "map.tif", site / "zero.gpkg")
    text = f"{info.value.problem} {info.value.hint}"
    assert "map codes: '1', '2'" in text and "reference labels: '01', '02'" in text
    assert 'legend = {1 = "01", 2 = "02"}' in text
    # with that legend the samples match
    rep = accuracy_report(site / "map.tif", site / "zero.gpkg", legend={1: "01", 2: "02"})
    assert rep["overall_accuracy"] == 1.0


def test_labels_matching_for_a_minority_are_an_error(site: Path) -> None:
    cells = [(r, 5) for r in range(10, 37)] + [(r, 95) for r in range(10, 13)]
    _points(site / "part.gpkg", cells, [1] * 10 + ["forest"] * 17 + [2] * 3)
    with pytest.raises(EvidenceError, match=r"only 43% .* map codes: '1', '2'; reference labels"):
        accuracy_report(site / "map.tif", site / "part.gpkg")


# --------------------------------------------------------------------------- route 7


def test_dropped_samples_are_counted_in_the_message(site: Path, tmp_path: Path) -> None:
    cells = [(r, 5) for r in range(10, 37)] + [(r, 95) for r in range(10, 13)]
    cells += [(0, 5), (0, 6)]  # nodata row
    frame_path = _points(tmp_path / "drop.gpkg", cells, [1] * 27 + [2] * 3 + [1, 1])
    frame = gpd.read_file(frame_path)
    outside = gpd.GeoDataFrame({"reference": [1]}, geometry=gpd.points_from_xy([0.0], [0.0]),
                               crs=CRS)
    nolabel = frame.iloc[:1].copy()
    nolabel["reference"] = None
    nolabel.geometry = gpd.points_from_xy(*zip(_centre(50, 50), strict=True), crs=CRS)
    gpd.GeoDataFrame(
        [*frame.to_dict("records"), *outside.to_dict("records"), *nolabel.to_dict("records")],
        crs=CRS,
    ).to_file(tmp_path / "drop2.gpkg")
    shutil.copy(site / "map.tif", tmp_path / "map.tif")
    m = measure_accuracy(_evidence(tmp_path, map="map.tif", reference="drop2.gpkg"), {}, CTX)
    assert m.n == 30
    assert "n used 30 / 34 samples given" in m.message
    assert "1 outside the map" in m.message and "2 on map nodata" in m.message
    assert "1 without a reference label" in m.message
    d = m.details
    assert (d["samples_given"], d["samples_outside_map"], d["samples_on_nodata"],
            d["samples_without_reference"]) == (34, 1, 2, 1)


# --------------------------------------------------------------------------- route 8


def test_the_map_as_its_own_reference_is_an_error(site: Path, tmp_path: Path) -> None:
    shutil.copy(site / "map.tif", tmp_path / "copy.tif")
    with pytest.raises(EvidenceError, match="copy of the map: both files have the same SHA-256"):
        accuracy_report(site / "map.tif", tmp_path / "copy.tif")
    # re-encoded (another compression), same pixels: near-identical agreement
    classes = np.ones((100, 100), dtype=np.uint8)
    classes[:, 90:] = 2
    classes[0, :] = 0
    write_raster(tmp_path / "recoded.tif", classes, crs=CRS, transform=T, nodata=0,
                 compress="lzw")
    with pytest.raises(EvidenceError, match=r"100\.000% of 9,900 pixel pairs agree"):
        accuracy_report(site / "map.tif", tmp_path / "recoded.tif")


def test_a_reference_raster_is_agreement_with_a_product(site: Path, tmp_path: Path) -> None:
    classes = np.ones((100, 100), dtype=np.uint8)
    classes[:, 80:] = 2  # 10 columns disagree: 90% agreement
    classes[0, :] = 0
    write_raster(tmp_path / "product.tif", classes, crs=CRS, transform=T, nodata=0)
    shutil.copy(site / "map.tif", tmp_path / "map.tif")
    m = measure_accuracy(_evidence(tmp_path, map="map.tif", reference="product.tif",
                                   reference_accuracy=88.5), {}, CTX)
    assert m.value == pytest.approx(90.0)
    assert m.details["reference_kind"] == "raster product"
    assert m.details["reference_accuracy"] == 88.5
    assert "agreement with a reference product" in m.message
    assert "declared accuracy is 88.5%" in m.message
    with pytest.raises(EvidenceError, match="percentage"):
        accuracy_report(site / "map.tif", tmp_path / "product.tif", reference_accuracy=0.885)


def test_copies_of_one_reference_point_count_once(site: Path) -> None:
    cells = [(10, 5)] * 500 + [(20, 95)] * 2 + [(30, 95)]
    _points(site / "dups.gpkg", cells, [1] * 500 + [2, 2, 2])
    m = measure_accuracy(_evidence(site, map="map.tif", reference="dups.gpkg"), {}, CTX)
    assert m.n == 3 and m.details["duplicate_samples"] == 500
    assert "distinct locations" in m.details["distinct_rule"]
    assert "n used 3 / 503 samples given" in m.message and "distinct locations" in m.message
    verdict, _, _, _ = decide_condition(AT_LEAST_85, m)
    assert verdict is Verdict.INCONCLUSIVE
