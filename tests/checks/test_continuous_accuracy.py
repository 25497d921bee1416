"""Accuracy of continuous products (measure = "continuous"): RMSE, bias, rRMSE, R², tolerance share.

Expected values from scikit-learn (mean_squared_error, r2_score), scipy (Student-t,
chi-square, binomtest's Wilson-CC) and hand computation, on real GeoTIFFs and
GeoPackages written in tmp_path.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from scipy import stats
from sklearn.metrics import mean_squared_error, r2_score

from geoverify.checks import Context
from geoverify.checks.accuracy.measure import measure_accuracy
from geoverify.config.catalogue import load_catalogue
from geoverify.decide import decide
from geoverify.errors import CatalogueError, EvidenceError
from geoverify.model import Measurement
from geoverify.model.evidence import Evidence
from geoverify.stats.continuous import (
    Moments,
    census_accuracy,
    continuous_accuracy,
    within_tolerance,
)

CRS = "EPSG:32650"
CTX = Context(workers=2)
T = from_origin(440_000, 4_080_000, 10, 10)
PARAMS = {"measure": "continuous", "tolerance": 0.15, "tolerance_kind": "relative"}


def _write(path: Path, data: np.ndarray, nodata: float | None = -1.0) -> None:
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
        dtype=data.dtype, crs=CRS, transform=T, nodata=nodata, tiled=True,
        blockxsize=64, blockysize=64,
    ) as dst:
        dst.write(data, 1)


def _evidence(base: Path, **options: Any) -> Evidence:
    return Evidence("eco_env.variable_accuracy", base, options, "test", ())


@pytest.fixture(scope="module")
def lai(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An LAI map (float32), reference points at pixel centres, and a reference raster."""
    base = tmp_path_factory.mktemp("lai")
    rng = np.random.default_rng(11)
    truth = rng.gamma(4.0, 0.8, size=(200, 240)).astype(np.float32)  # LAI ~ 3.2 ± 1.6
    noise = rng.normal(0.1, 0.25, size=truth.shape).astype(np.float32)
    lai_map = np.clip(truth + noise, 0.0, None).astype(np.float32)
    lai_map[:10, :10] = -1.0  # nodata corner
    _write(base / "lai.tif", lai_map)
    ref_raster = truth.copy()
    ref_raster[-5:, -5:] = -1.0  # reference nodata
    _write(base / "lai_ref.tif", ref_raster)
    rows = rng.integers(0, 200, 400)
    cols = rng.integers(0, 240, 400)
    keep = ~((rows < 10) & (cols < 10))
    rows, cols = rows[keep], cols[keep]
    xs, ys = T * (cols + 0.5, rows + 0.5)
    ref_values = truth[rows, cols].astype(float) + rng.normal(0, 0.05, rows.size)
    frame = gpd.GeoDataFrame(
        {"lai": ref_values}, geometry=gpd.points_from_xy(xs, ys), crs=CRS
    )
    frame.to_file(base / "lai_points.gpkg")
    return {
        "base": base,
        "map": lai_map,
        "truth": truth,
        "ref_raster": ref_raster,
        "rows": rows,
        "cols": cols,
        "ref_values": ref_values,
    }


def test_statistics_match_sklearn_and_hand() -> None:
    rng = np.random.default_rng(3)
    r = rng.uniform(0.5, 6.0, 250)
    m = r * 1.05 + rng.normal(0.0, 0.3, 250)
    out = continuous_accuracy(m, r, tolerance=0.15, tolerance_kind="relative")
    assert out["rmse"] == pytest.approx(math.sqrt(mean_squared_error(r, m)), rel=1e-12)
    assert out["r2"] == pytest.approx(r2_score(r, m), rel=1e-12)
    assert out["bias"] == pytest.approx(float(np.mean(m - r)), rel=1e-12)
    assert out["rrmse"] == pytest.approx(math.sqrt(mean_squared_error(r, m)) / r.mean())
    k = int(np.sum(np.abs(m - r) <= 0.15 * r))
    assert out["within_tolerance_count"] == k
    expected = stats.binomtest(k, 250).proportion_ci(method="wilsoncc")
    assert out["within_tolerance_ci"] == pytest.approx([expected.low, expected.high], abs=1e-12)
    t_ci = stats.t.interval(0.95, 249, loc=np.mean(m - r), scale=stats.sem(m - r))
    assert out["bias_ci"] == pytest.approx(list(t_ci), rel=1e-10)
    for key in ("rmse", "rrmse", "r2"):
        low, high = out[f"{key}_ci"]
        assert low < out[key] < high, key
    assert "BCa" in out["intervals"]["rmse"]


def test_rmse_bootstrap_close_to_chi_square_for_normal_centred_errors() -> None:
    """Where the chi-square interval is exact (normal, centred errors), BCa agrees with it."""
    rng = np.random.default_rng(5)
    n = 800
    r = rng.uniform(1.0, 5.0, n)
    m = r + rng.normal(0.0, 0.4, n)
    out = continuous_accuracy(m, r, tolerance=0.5, tolerance_kind="absolute")
    ss = float(np.sum((m - r) ** 2))
    chi_low = math.sqrt(ss / stats.chi2.ppf(0.975, n))
    chi_high = math.sqrt(ss / stats.chi2.ppf(0.025, n))
    low, high = out["rmse_ci"]
    assert low == pytest.approx(chi_low, rel=0.02)
    assert high == pytest.approx(chi_high, rel=0.02)


def test_tolerance_kinds_by_hand() -> None:
    m = np.array([1.0, 2.2, 3.0, 0.0, 10.0])
    r = np.array([1.1, 2.0, 4.0, 0.0, 8.5])
    # relative 15%: |e| <= 0.15 r
    # 0.1 <= 0.165 yes, 0.2 <= 0.3 yes, 1 <= 0.6 no, 0 <= 0 yes, 1.5 <= 1.275 no
    assert within_tolerance(m, r, 0.15, "relative").tolist() == [True, True, False, True, False]
    # absolute 0.5: yes, yes, no, yes, no
    assert within_tolerance(m, r, 0.5, "absolute").tolist() == [True, True, False, True, False]
    assert within_tolerance(m, r, 1.5, "absolute").tolist() == [True, True, True, True, True]
    with pytest.raises(EvidenceError, match="tolerance_kind"):
        within_tolerance(m, r, 0.1, "percent")


def test_check_on_points_gpkg(lai: dict[str, Any]) -> None:
    base = lai["base"]
    ev = _evidence(base, map="lai.tif", reference="lai_points.gpkg", field="lai")
    meas = measure_accuracy(ev, PARAMS, CTX)
    mapped = lai["map"][lai["rows"], lai["cols"]].astype(float)
    ref = lai["ref_values"]
    assert meas.n == ref.size
    d = meas.details
    assert d["rmse"] == pytest.approx(math.sqrt(mean_squared_error(ref, mapped)), rel=1e-9)
    assert d["r2"] == pytest.approx(r2_score(ref, mapped), rel=1e-9)
    assert d["bias"] == pytest.approx(float(np.mean(mapped - ref)), rel=1e-9)
    share = float(np.mean(np.abs(mapped - ref) <= 0.15 * np.abs(ref)))
    assert meas.value == pytest.approx(100 * share, rel=1e-12)
    assert meas.ci is not None and meas.ci[0] < meas.value < meas.ci[1]
    rr = math.sqrt(mean_squared_error(ref, mapped)) / ref.mean()
    assert d["rrmse_accuracy"]["value"] == pytest.approx(100 * (1 - rr), rel=1e-9)
    lo, hi = d["rrmse_accuracy"]["ci"]
    assert lo < d["rrmse_accuracy"]["value"] < hi
    assert meas.planner is not None and meas.planner(meas.ci[0] - 1.0) == 0


def test_check_on_reference_raster_is_a_census(lai: dict[str, Any]) -> None:
    base = lai["base"]
    ev = _evidence(base, map="lai.tif", reference="lai_ref.tif")
    meas = measure_accuracy(ev, PARAMS, CTX)
    valid = (lai["map"] != -1.0) & (lai["ref_raster"] != -1.0)
    m = lai["map"][valid].astype(float)
    r = lai["ref_raster"][valid].astype(float)
    assert meas.n == int(valid.sum())
    assert meas.ci is None  # exact: no sampling error
    assert meas.details["rmse"] == pytest.approx(math.sqrt(mean_squared_error(r, m)), rel=1e-9)
    assert meas.details["r2"] == pytest.approx(r2_score(r, m), rel=1e-9)
    assert meas.value == pytest.approx(100 * np.mean(np.abs(m - r) <= 0.15 * r), rel=1e-9)


def test_census_moments_combine_like_one_block() -> None:
    rng = np.random.default_rng(9)
    r = rng.uniform(0, 4, 1000)
    m = r + rng.normal(0, 0.2, 1000)
    whole = census_accuracy(Moments.of(m, r, 0.1, "absolute"), tolerance=0.1,
                            tolerance_kind="absolute")
    parts = Moments.of(m[:300], r[:300], 0.1, "absolute") + Moments.of(
        m[300:], r[300:], 0.1, "absolute")
    split = census_accuracy(parts, tolerance=0.1, tolerance_kind="absolute")
    for key in ("rmse", "bias", "r2", "rrmse", "within_tolerance"):
        assert split[key] == pytest.approx(whole[key], rel=1e-9)
    assert whole["r2"] == pytest.approx(r2_score(r, m), rel=1e-9)


def test_reference_copy_and_bad_values_are_refused(lai: dict[str, Any], tmp_path: Path) -> None:
    base = lai["base"]
    with pytest.raises(EvidenceError, match="copy of the map"):
        measure_accuracy(_evidence(base, map="lai.tif", reference="lai.tif"), PARAMS, CTX)
    frame = gpd.GeoDataFrame({"lai": ["high", "2.5", "low"]},
                             geometry=gpd.points_from_xy([440_005] * 3, [4_079_995] * 3), crs=CRS)
    frame.to_file(base / "bad.gpkg")
    with pytest.raises(EvidenceError, match="not numbers") as info:
        measure_accuracy(_evidence(base, map="lai.tif", reference="bad.gpkg", field="lai"),
                         PARAMS, CTX)
    assert "bad.gpkg" in str(info.value)
    with pytest.raises(EvidenceError, match="simple random"):
        measure_accuracy(
            _evidence(base, map="lai.tif", reference="lai_points.gpkg", design="stratified"),
            PARAMS, CTX,
        )
    with pytest.raises(CatalogueError, match="tolerance"):
        measure_accuracy(_evidence(base, map="lai.tif", reference="lai_points.gpkg"),
                         {"measure": "continuous"}, CTX)


def test_catalogue_reading_of_variable_accuracy(lai: dict[str, Any]) -> None:
    """The primary reading decides on the tolerance share; 1 − rRMSE is shown beside it."""
    cat = load_catalogue()
    ind = cat["eco_env.variable_accuracy"]
    assert ind.params["measure"] == "continuous"
    assert ind.params["tolerance_kind"] in ("relative", "absolute")
    assert "within" in ind.reading and "85%" in ind.reading
    alt = {a.id: a for a in ind.alternatives}["rrmse"]
    assert alt.value == "rrmse_accuracy.value" and alt.ci == "rrmse_accuracy.ci"
    # an LAI map within ~5% of its reference: every sample within ±15%, rRMSE ≈ 5%
    rng = np.random.default_rng(2)
    r = rng.uniform(1.0, 6.0, 300)
    m = r * (1 + rng.normal(0, 0.05, 300))
    m = np.where(np.abs(m - r) > 0.149 * r, r, m)
    details = continuous_accuracy(m, r, tolerance=0.15, tolerance_kind="relative")
    rr_ci = details["rrmse_ci"]
    details["rrmse_accuracy"] = {
        "value": 100 * (1 - details["rrmse"]),
        "ci": [100 * (1 - rr_ci[1]), 100 * (1 - rr_ci[0])],
    }
    ci = details["within_tolerance_ci"]
    meas = Measurement(value=100.0, unit="%", ci=(100 * ci[0], 100 * ci[1]), n=300,
                       details=details)
    result = decide(ind, meas)
    assert str(result.verdict) == "pass"  # Wilson-CC lower bound at n=300, p=1: 98.4% > 85%
    rows = {row["id"]: row for row in result.details["readings"]}
    assert rows["rrmse"]["verdict"] == "pass"
    assert rows["rrmse"]["value"] == pytest.approx(100 * (1 - details["rrmse"]))
