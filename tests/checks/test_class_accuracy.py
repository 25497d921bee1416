"""Class-specific accuracy (measure = "class"): UA, PA, F1 of one class; IoU object matching.

Expected values from scikit-learn (precision_recall_fscore_support, f1_score),
scipy's Wilson-CC (binomtest), shapely IoU and hand computation, on real GeoTIFFs
and GeoPackages written in tmp_path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from scipy import stats
from shapely.geometry import box
from sklearn.metrics import f1_score, precision_recall_fscore_support

from geoverify.checks import Context
from geoverify.checks.accuracy.measure import measure_accuracy
from geoverify.checks.accuracy.objects import match_objects
from geoverify.config.catalogue import load_catalogue
from geoverify.decide import decide, decide_condition
from geoverify.errors import CatalogueError, EvidenceError
from geoverify.model.evidence import Evidence
from geoverify.stats.estimators import class_f1_interval

CRS = "EPSG:32650"
CTX = Context(workers=2)
T = from_origin(440_000, 4_080_000, 10, 10)
LEGEND = {1: "healthy", 2: "hotspot"}
HOTSPOT = {"measure": "class", "class": "hotspot"}


def _write(path: Path, data: np.ndarray) -> None:
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
        dtype=data.dtype, crs=CRS, transform=T, nodata=0,
    ) as dst:
        dst.write(data, 1)


def _evidence(base: Path, **options: Any) -> Evidence:
    return Evidence("pest.hotspot_accuracy", base, options, "test", ())


def _wilsoncc(k: int, n: int) -> list[float]:
    ci = stats.binomtest(k, n).proportion_ci(method="wilsoncc")
    return [ci.low, ci.high]


@pytest.fixture(scope="module")
def hotspots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("hot")
    rng = np.random.default_rng(21)
    truth = np.ones((200, 200), np.uint8)
    truth[40:60, 30:90] = 2
    truth[120:150, 120:150] = 2  # hotspots: 5.25% of the area
    good = truth.copy()
    good[40:44, 30:90] = 1  # a few omitted rows
    good[100:104, 10:60] = 2  # a few false alarms
    _write(base / "good.tif", good)
    _write(base / "none.tif", np.ones_like(truth))  # no hotspot at all
    _write(base / "truth.tif", truth)
    rows = rng.integers(0, 200, 500)
    cols = rng.integers(0, 200, 500)
    xs, ys = T * (cols + 0.5, rows + 0.5)
    ref = np.where(truth[rows, cols] == 2, "hotspot", "healthy")
    gpd.GeoDataFrame({"reference": ref}, geometry=gpd.points_from_xy(xs, ys), crs=CRS).to_file(
        base / "ref.gpkg"
    )
    healthy_only = rows[truth[rows, cols] == 1], cols[truth[rows, cols] == 1]
    hx, hy = T * (healthy_only[1] + 0.5, healthy_only[0] + 0.5)
    gpd.GeoDataFrame(
        {"reference": ["healthy"] * len(hx)}, geometry=gpd.points_from_xy(hx, hy), crs=CRS
    ).to_file(base / "ref_healthy.gpkg")
    return {"base": base, "good": good, "truth": truth, "rows": rows, "cols": cols, "ref": ref}


def test_users_producers_f1_match_sklearn(hotspots: dict[str, Any]) -> None:
    base = hotspots["base"]
    ev = _evidence(base, map="good.tif", reference="ref.gpkg", legend=LEGEND)
    meas = measure_accuracy(ev, HOTSPOT, CTX)
    mapped = np.where(hotspots["good"][hotspots["rows"], hotspots["cols"]] == 2, "hotspot",
                      "healthy")
    ref = hotspots["ref"]
    p, r, f, _ = precision_recall_fscore_support(
        ref, mapped, labels=["hotspot"], average=None, zero_division=0
    )
    s = meas.details["class_accuracy"]
    assert s["users_accuracy"] == pytest.approx(p[0], rel=1e-12)
    assert s["producers_accuracy"] == pytest.approx(r[0], rel=1e-12)
    assert s["f1"] == pytest.approx(f[0], rel=1e-12)
    assert s["f1"] == pytest.approx(f1_score(ref, mapped, pos_label="hotspot"), rel=1e-12)
    tp = int(np.sum((mapped == "hotspot") & (ref == "hotspot")))
    ua_ci = _wilsoncc(tp, int(np.sum(mapped == "hotspot")))
    pa_ci = _wilsoncc(tp, int(np.sum(ref == "hotspot")))
    assert s["users_accuracy_ci"] == pytest.approx(ua_ci, abs=1e-12)
    assert s["producers_accuracy_ci"] == pytest.approx(pa_ci, abs=1e-12)
    assert meas.value == pytest.approx(100 * min(p[0], r[0]), rel=1e-12)
    assert meas.ci == pytest.approx(
        (100 * min(ua_ci[0], pa_ci[0]), 100 * min(ua_ci[1], pa_ci[1])), abs=1e-9
    )
    low, high = s["f1_ci"]
    assert low < s["f1"] < high


def test_map_without_hotspot_fails_although_overall_accuracy_passes(
    hotspots: dict[str, Any],
) -> None:
    """Issue 12: a hotspot map with no hotspot must not pass "热点发生区监测精度 ≥ 85%"."""
    ind = load_catalogue()["pest.hotspot_accuracy"]
    base = hotspots["base"]
    ev = _evidence(base, map="none.tif", reference="ref.gpkg", legend=LEGEND)
    overall = measure_accuracy(ev, {}, CTX)
    assert str(decide_condition(ind.condition, overall)[0]) == "pass"  # ~90% OA
    result = decide(ind, measure_accuracy(ev, ind.params, CTX))
    assert str(result.verdict) == "fail"
    assert result.value == 0.0
    assert "never mapped" in result.message


def test_reference_without_the_class_or_unknown_label_is_an_error(
    hotspots: dict[str, Any],
) -> None:
    base = hotspots["base"]
    with pytest.raises(EvidenceError, match="no unit of class 'hotspot'") as info:
        measure_accuracy(
            _evidence(base, map="good.tif", reference="ref_healthy.gpkg", legend=LEGEND),
            HOTSPOT, CTX,
        )
    assert "ref_healthy.gpkg" in str(info.value)
    with pytest.raises(EvidenceError, match="neither on the map"):
        measure_accuracy(
            _evidence(base, map="good.tif", reference="ref.gpkg", legend=LEGEND),
            {"measure": "class", "class": "locust swarm"}, CTX,
        )
    with pytest.raises(CatalogueError, match="class label"):
        measure_accuracy(_evidence(base, map="good.tif", reference="ref.gpkg"),
                         {"measure": "class"}, CTX)


def test_reference_raster_gives_exact_class_figures(hotspots: dict[str, Any]) -> None:
    base = hotspots["base"]
    meas = measure_accuracy(
        _evidence(base, map="good.tif", reference="truth.tif", legend=LEGEND), HOTSPOT, CTX
    )
    good, truth = hotspots["good"].ravel(), hotspots["truth"].ravel()
    p, r, f, _ = precision_recall_fscore_support(truth, good, labels=[2], average=None)
    s = meas.details["class_accuracy"]
    assert (s["users_accuracy"], s["producers_accuracy"], s["f1"]) == pytest.approx(
        (p[0], r[0], f[0]), rel=1e-12
    )
    assert meas.ci is None


def test_stratified_class_figures_by_hand(tmp_path: Path) -> None:
    """Olofsson et al. (2014): PA weights each map stratum by its mapped area share."""
    classes = np.ones((100, 100), np.uint8)
    classes[:, :20] = 2  # hotspot stratum: 20% of the map
    _write(tmp_path / "map.tif", classes)
    rng = np.random.default_rng(4)
    pts = []
    # 50 samples per stratum; hotspot stratum: 40 hotspot, 10 healthy;
    # healthy stratum: 45 healthy, 5 hotspot
    for code, labels in ((2, ["hotspot"] * 40 + ["healthy"] * 10),
                         (1, ["healthy"] * 45 + ["hotspot"] * 5)):
        rr, cc = np.nonzero(classes == code)
        pick = rng.choice(rr.size, 50, replace=False)
        for k, lab in zip(pick, labels, strict=True):
            x, y = T * (cc[k] + 0.5, rr[k] + 0.5)
            pts.append((x, y, lab))
    frame = gpd.GeoDataFrame({"reference": [p[2] for p in pts]},
                             geometry=gpd.points_from_xy([p[0] for p in pts],
                                                         [p[1] for p in pts]), crs=CRS)
    frame.to_file(tmp_path / "strat.gpkg")
    meas = measure_accuracy(
        _evidence(tmp_path, map="map.tif", reference="strat.gpkg", legend=LEGEND,
                  design="stratified"),
        HOTSPOT, CTX,
    )
    s = meas.details["class_accuracy"]
    w_hot, w_healthy = 0.2, 0.8
    ua = 40 / 50
    pa = (w_hot * 40 / 50) / (w_hot * 40 / 50 + w_healthy * 5 / 50)
    # the weights are geodesic area shares (UTM scale varies across the map by ~1e-6)
    assert s["users_accuracy"] == pytest.approx(ua, rel=1e-9)
    assert s["producers_accuracy"] == pytest.approx(pa, rel=1e-5)
    assert s["f1"] == pytest.approx(2 * ua * pa / (ua + pa), rel=1e-5)
    assert s["deciding"] == "producers_accuracy"  # PA 0.16 / 0.24 = 0.667 < UA 0.8
    assert s["f1_ci"][0] < s["f1"] < s["f1_ci"][1]
    assert meas.ci is not None and meas.ci[0] < meas.value < meas.ci[1]


def test_f1_bootstrap_agrees_with_an_index_bootstrap() -> None:
    """The multinomial resampling equals resampling sample indices (percentile bootstrap)."""
    rng = np.random.default_rng(8)
    ref = rng.random(400) < 0.3
    mapped = np.where(rng.random(400) < 0.85, ref, ~ref)
    f1, ci = class_f1_interval(mapped, ref)
    assert f1 == pytest.approx(f1_score(ref, mapped), rel=1e-12)
    idx = np.random.default_rng(99).integers(0, 400, size=(3000, 400))
    m_b, r_b = mapped[idx], ref[idx]
    tp = (m_b & r_b).sum(axis=1)
    boot = 2 * tp / (m_b.sum(axis=1) + r_b.sum(axis=1))
    low, high = np.quantile(boot, [0.025, 0.975])
    assert ci is not None
    assert ci[0] == pytest.approx(low, abs=0.015)
    assert ci[1] == pytest.approx(high, abs=0.015)


# ------------------------------------------------------------------------------- objects


def _lakes(tmp_path: Path) -> dict[str, Any]:
    refs = [box(1000 * k, 0, 1000 * k + 400, 400) for k in range(10)]
    maps = []
    for k in range(7):  # 7 good detections, shifted by 40 m: IoU = 360*400/(2*160000-144000)
        maps.append(box(1000 * k + 40, 0, 1000 * k + 440, 400))
    maps.append(box(7000 + 300, 0, 7000 + 700, 400))  # IoU 100/700 < 0.5 on lake 7
    maps.append(box(20, 0, 420, 400))  # duplicate on lake 0 (a false positive)
    maps.append(box(50_000, 0, 50_400, 400))  # spurious
    maps.append(box(8000, 0, 8400, 400))  # exact on lake 8
    gpd.GeoDataFrame({"id": range(len(refs))}, geometry=refs, crs=CRS).to_file(
        tmp_path / "ref_lakes.gpkg")
    gpd.GeoDataFrame({"id": range(len(maps))}, geometry=maps, crs=CRS).to_file(
        tmp_path / "map_lakes.gpkg")
    return {"refs": refs, "maps": maps}


def test_object_matching_iou_and_wilson(tmp_path: Path) -> None:
    lakes = _lakes(tmp_path)
    glof = {"measure": "class", "class": "hazardous_lake"}
    ev = Evidence("glof.identification_accuracy", tmp_path,
                  {"map_objects": "map_lakes.gpkg", "reference_objects": "ref_lakes.gpkg"},
                  "test", ())
    meas = measure_accuracy(ev, glof, CTX)
    d = meas.details
    # shapely IoU, by hand: the 40 m shift and the duplicate
    a, b = lakes["maps"][0], lakes["refs"][0]
    iou0 = a.intersection(b).area / a.union(b).area
    assert iou0 == pytest.approx(360 * 400 / (2 * 160_000 - 360 * 400))
    dup = lakes["maps"][8]
    assert dup.intersection(b).area / dup.union(b).area > iou0  # the duplicate is closer
    tp, n_map, n_ref = 8, 11, 10  # lakes 0-6 and 8; lake 0 matched to the closer duplicate
    assert (d["true_positives"], d["map_objects"], d["reference_objects"]) == (tp, n_map, n_ref)
    assert d["precision"] == pytest.approx(tp / n_map)
    assert d["recall"] == pytest.approx(tp / n_ref)
    assert d["precision_ci"] == pytest.approx(_wilsoncc(tp, n_map), abs=1e-12)
    assert d["recall_ci"] == pytest.approx(_wilsoncc(tp, n_ref), abs=1e-12)
    assert d["f1"] == pytest.approx(2 * tp / (2 * tp + (n_map - tp) + (n_ref - tp)))
    assert meas.value == pytest.approx(100 * tp / n_map)  # precision 72.7% < recall 80%
    matched = {(i, j) for i, j, _ in d["matches"]}
    assert (8, 0) in matched and (0, 0) not in matched and (10, 8) in matched


def test_greedy_one_to_one_matching() -> None:
    ref = [box(0, 0, 10, 10), box(3, 0, 13, 10)]
    mp = [box(0, 0, 10, 10), box(2, 0, 12, 10)]
    # map 0: IoU 1.0 with ref 0, 0.538 with ref 1; map 1: 0.667 with ref 0, 0.818 with ref 1
    out = match_objects(np.array(mp, dtype=object), np.array(ref, dtype=object))
    assert [(i, j) for i, j, _ in out] == [(0, 0), (1, 1)]
    expected = mp[1].intersection(ref[1]).area / mp[1].union(ref[1]).area
    assert out[1][2] == pytest.approx(expected)


def test_map_without_objects_fails_and_reference_without_objects_errs(tmp_path: Path) -> None:
    _lakes(tmp_path)
    far = gpd.GeoDataFrame({"id": [0]}, geometry=[box(0, 0, 1, 1)], crs=CRS)
    empty = far.iloc[0:0]
    empty.to_file(tmp_path / "empty.gpkg")
    ind = load_catalogue()["glof.identification_accuracy"]
    ev = Evidence("glof.identification_accuracy", tmp_path,
                  {"map_objects": "empty.gpkg", "reference_objects": "ref_lakes.gpkg"}, "test", ())
    result = decide(ind, measure_accuracy(ev, ind.params, CTX))
    assert str(result.verdict) == "fail" and result.value == 0.0
    ev = Evidence("glof.identification_accuracy", tmp_path,
                  {"map_objects": "map_lakes.gpkg", "reference_objects": "empty.gpkg"}, "test", ())
    with pytest.raises(EvidenceError, match="reference holds no object"):
        measure_accuracy(ev, ind.params, CTX)


def test_models_declare_their_kind(hotspots: dict[str, Any]) -> None:
    """sat_interp.models: target-feature models are judged on their class, never guessed."""
    cond = load_catalogue()["sat_interp.models"].each[0]
    base = hotspots["base"]
    undeclared = Evidence("m", base, {"map": "none.tif", "reference": "ref.gpkg",
                                      "legend": LEGEND}, "test", ())
    with pytest.raises(EvidenceError, match="model_kind"):
        measure_accuracy(undeclared, cond.params, CTX)
    target = Evidence("m", base, {"map": "none.tif", "reference": "ref.gpkg", "legend": LEGEND,
                                  "model_kind": "target_features",
                                  "target_class": "hotspot"}, "test", ())
    meas = measure_accuracy(target, cond.params, CTX)
    assert str(decide_condition(cond, meas)[0]) == "fail"
    land = Evidence("m", base, {"map": "good.tif", "reference": "ref.gpkg", "legend": LEGEND,
                                "model_kind": "land_cover"}, "test", ())
    meas = measure_accuracy(land, cond.params, CTX)
    assert "class_accuracy" not in meas.details and meas.value is not None and meas.value > 90
