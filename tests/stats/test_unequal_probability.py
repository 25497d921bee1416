"""Unequal-probability and cluster samples: Horvitz–Thompson / Hájek ratio estimators.

Expected values are hand computations (written out below), Cochran's (1977, ch. 6)
ratio-estimator variance for a cluster sample, and the stratified estimators
(Olofsson et al. 2014; Stehman 2014) when every π_i is n_h / N_h.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import Point

from geoverify.checks.accuracy.measure import accuracy_report
from geoverify.errors import EvidenceError
from geoverify.stats import estimators as est
from geoverify.stats.intervals import score_interval


def test_hand_computed_horvitz_thompson_example() -> None:
    # five units: map, reference, π (weights 10, 5, 10, 20, 5)
    maps = ["a", "a", "b", "b", "a"]
    refs = ["a", "b", "b", "b", "a"]
    pi = [0.1, 0.2, 0.1, 0.05, 0.2]
    e = est.unequal_probability(maps, refs, pi, ["a", "b"])
    # N̂ = 50; correct units 1, 3, 4, 5: t̂ = 10 + 10 + 20 + 5 = 45; OA = 45/50
    assert e.overall_accuracy == pytest.approx(0.9, abs=1e-15)
    # linearised w_i (y_i - 0.9)/50: 0.02, -0.09, 0.02, 0.04, 0.01 (sum 0);
    # v = 5/4 (0.02² + 0.09² + 0.02² + 0.04² + 0.01²) = 5/4 × 0.0106 = 0.01325
    assert e.overall_accuracy_se == pytest.approx(math.sqrt(0.01325), rel=1e-12)
    # UA(a) = t̂(correct, map a) / t̂(map a) = (10 + 5)/(10 + 5 + 5) = 0.75
    assert e.users_accuracy[0] == pytest.approx(0.75, rel=1e-12)
    # linearised w_i (y_i - 0.75 x_i)/20 on units 1, 2, 5 (x = 1), 0 on 3, 4:
    # 0.125, -0.1875, 0, 0, 0.0625; mean 0; v = 5/4 × 0.0546875
    assert e.users_accuracy_se[0] == pytest.approx(math.sqrt(1.25 * 0.0546875), rel=1e-12)
    # PA(b) = (10 + 20)/(5 + 10 + 20) = 6/7; area share of b = 35/50
    assert e.producers_accuracy[1] == pytest.approx(6 / 7, rel=1e-12)
    assert e.area_proportions[1] == pytest.approx(0.7, rel=1e-12)
    assert e.area_proportions[0] == pytest.approx(0.3, rel=1e-12)
    # error-matrix proportions p_ij = t̂_ij / N̂: (a,a) 15/50, (a,b) 5/50, (b,b) 30/50
    np.testing.assert_allclose(e.proportions, [[0.3, 0.1], [0.0, 0.6]], rtol=0, atol=1e-15)
    assert e.matrix.tolist() == [[2, 1], [0, 2]]
    assert e.design == "unequal_probability"
    assert e.df == 4
    # the interval is the stratified one (effective n, df = n - 1), containing OA
    assert e.overall_accuracy_ci[0] < 0.9 < e.overall_accuracy_ci[1]


def test_equal_weights_reduce_to_simple_random_sampling() -> None:
    # π constant: OA is the sample proportion and the with-replacement variance
    # is p(1-p)/(n-1), Cochran (1977) eq. 3.11 without fpc
    rng = np.random.default_rng(3)
    maps = rng.choice(["a", "b", "c"], 120).tolist()
    refs = [m if rng.random() < 0.8 else "a" for m in maps]
    e = est.unequal_probability(maps, refs, [0.01] * 120)
    p = sum(m == r for m, r in zip(maps, refs, strict=True)) / 120
    assert e.overall_accuracy == pytest.approx(p, rel=1e-12)
    assert e.overall_accuracy_se == pytest.approx(math.sqrt(p * (1 - p) / 119), rel=1e-12)


def _cochran_cluster(y: list[float], x: list[float]) -> tuple[float, float]:
    """Ratio of cluster totals and Cochran's sample variance estimate (no fpc)."""
    m = len(y)
    r = sum(y) / sum(x)
    xbar = sum(x) / m
    v = sum((yc - r * xc) ** 2 for yc, xc in zip(y, x, strict=True)) / (m * (m - 1) * xbar**2)
    return r, math.sqrt(v)


def test_cluster_sample_matches_cochran_ratio_variance() -> None:
    # 4 clusters of 3, 2, 4, 1 pixels drawn at random from 40 clusters (π = 0.1);
    # clusters wholly right or wholly wrong: correct pixels 3, 0, 4, 0
    sizes, correct = [3, 2, 4, 1], [3, 0, 4, 0]
    maps, refs, clusters = [], [], []
    for c, (size, ok) in enumerate(zip(sizes, correct, strict=True)):
        for i in range(size):
            maps.append("a")
            refs.append("a" if i < ok else "b")
            clusters.append(f"c{c}")
    e = est.unequal_probability(maps, refs, [0.1] * len(maps), clusters=clusters)
    r, se = _cochran_cluster([float(v) for v in correct], [float(v) for v in sizes])
    assert r == pytest.approx(0.7)
    # Σ (y_c − 0.7 x_c)² = 0.81 + 1.96 + 1.44 + 0.49 = 4.70; / (4·3·2.5²) = 0.062667
    assert se == pytest.approx(math.sqrt(4.7 / 75), rel=1e-12)
    assert e.overall_accuracy == pytest.approx(r, rel=1e-12)
    assert e.overall_accuracy_se == pytest.approx(se, rel=1e-12)
    assert e.design == "cluster"
    assert e.df == 3  # 4 clusters, 1 stratum
    # the pixel-level (simple random) SE would be far smaller: sqrt(0.21/9) = 0.153
    assert e.overall_accuracy_se > 1.6 * math.sqrt(0.7 * 0.3 / 9)


def test_pps_clusters_hand_computed() -> None:
    # three clusters drawn with probabilities 0.5, 0.25, 0.1 (all their pixels observed)
    pis = {"k1": 0.5, "k2": 0.25, "k3": 0.1}
    units = [("k1", 1), ("k1", 0), ("k2", 1), ("k2", 1), ("k2", 0), ("k3", 1)]
    maps = ["a"] * len(units)
    refs = ["a" if ok else "b" for _, ok in units]
    e = est.unequal_probability(
        maps, refs, [pis[c] for c, _ in units], clusters=[c for c, _ in units]
    )
    # weighted cluster totals: x = (2·2, 3·4, 1·10) = (4, 12, 10), y = (2, 8, 10)
    x, y = [4.0, 12.0, 10.0], [2.0, 8.0, 10.0]
    r = sum(y) / sum(x)  # 20/26
    u = [(yc - r * xc) / sum(x) for yc, xc in zip(y, x, strict=True)]
    ubar = sum(u) / 3
    v = 3 / 2 * sum((uc - ubar) ** 2 for uc in u)
    assert e.overall_accuracy == pytest.approx(20 / 26, rel=1e-12)
    assert e.overall_accuracy_se == pytest.approx(math.sqrt(v), rel=1e-12)


def _stratified_sample(seed: int) -> tuple[list[str], list[str], list[str], dict[str, int]]:
    rng = np.random.default_rng(seed)
    sizes = {"a": 5000, "b": 1200, "c": 300}
    n_h = {"a": 40, "b": 30, "c": 25}
    rates = {"a": 0.9, "b": 0.7, "c": 0.6}
    strata, maps, refs = [], [], []
    for h, k in n_h.items():
        for _ in range(k):
            strata.append(h)
            maps.append(h)
            refs.append(h if rng.random() < rates[h] else str(rng.choice(["a", "b", "c"])))
    return strata, maps, refs, sizes


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_stratified_estimators_when_pi_is_nh_over_Nh(seed: int) -> None:
    strata, maps, refs, sizes = _stratified_sample(seed)
    n_h = {h: strata.count(h) for h in sizes}
    pi = [n_h[h] / sizes[h] for h in strata]
    labels = ["a", "b", "c"]
    u = est.unequal_probability(maps, refs, pi, labels, strata=strata)
    g = est.stratified_general(strata, maps, refs, sizes, labels, fpc=False)
    matrix = np.zeros((3, 3), dtype=int)
    for m_, r_ in zip(maps, refs, strict=True):
        matrix[labels.index(m_), labels.index(r_)] += 1
    o = est.stratified_map_classes(matrix, [sizes[h] for h in labels], labels)
    for other in (g, o):
        assert u.overall_accuracy == pytest.approx(other.overall_accuracy, rel=1e-12)
        assert u.overall_accuracy_se == pytest.approx(other.overall_accuracy_se, rel=1e-10)
        assert u.overall_accuracy_ci == pytest.approx(other.overall_accuracy_ci, rel=1e-10)
        for key in ("users_accuracy", "users_accuracy_se", "producers_accuracy",
                    "producers_accuracy_se", "area_proportions", "area_proportions_se"):
            assert getattr(u, key) == pytest.approx(getattr(other, key), rel=1e-10), key
    assert u.df == g.df == o.df
    np.testing.assert_allclose(u.proportions, o.proportions, rtol=1e-12)
    # the with-replacement variance drops only the fpc: Stehman's with it is smaller
    with_fpc = est.stratified_general(strata, maps, refs, sizes, labels, fpc=True)
    assert with_fpc.overall_accuracy_se < u.overall_accuracy_se


def test_cluster_variance_covers_where_the_pixel_variance_does_not() -> None:
    """Monte Carlo: 400 cluster samples of a map whose errors come in patches.

    Errors occur in whole 4 x 4 blocks; 30 blocks are drawn at random.  The
    between-cluster interval covers the population OA at about its nominal level;
    treating the 480 pixels as a simple random sample does not.
    """
    rng = np.random.default_rng(11)
    blocks = 400
    wrong = rng.random(blocks) < 0.2  # a block is all wrong or all right
    noise = rng.random((blocks, 16)) < 0.05  # plus scattered pixel errors
    correct = ~(wrong[:, None] ^ noise)
    truth = float(correct.mean())
    covered = naive = 0
    for _ in range(400):
        pick = rng.choice(blocks, 30, replace=False)
        ok = correct[pick].ravel()
        refs = np.where(ok, "a", "b").tolist()
        clusters = np.repeat(pick, 16).tolist()
        e = est.unequal_probability(["a"] * ok.size, refs, [30 / blocks] * ok.size,
                                    clusters=clusters)
        covered += e.overall_accuracy_ci[0] <= truth <= e.overall_accuracy_ci[1]
        low, high = score_interval(float(ok.sum()), float(ok.size))
        naive += low <= truth <= high
    assert covered / 400 >= 0.90
    assert naive / 400 < 0.85


def test_bad_inputs() -> None:
    with pytest.raises(EvidenceError, match=r"outside \(0, 1\]"):
        est.unequal_probability(["a", "b"], ["a", "a"], [0.5, 0.0])
    with pytest.raises(EvidenceError, match=r"outside \(0, 1\]"):
        est.unequal_probability(["a", "b"], ["a", "a"], [0.5, 1.5])
    with pytest.raises(EvidenceError, match="one of each"):
        est.unequal_probability(["a", "b"], ["a"], [0.5, 0.5])
    with pytest.raises(EvidenceError, match="has units in strata"):
        est.unequal_probability(
            ["a"] * 4, ["a"] * 4, [0.5] * 4, strata=["s", "s", "t", "t"],
            clusters=["k1", "k1", "k1", "k2"],
        )
    with pytest.raises(est.SmallStrataError, match="fewer than 2"):
        est.unequal_probability(
            ["a"] * 4, ["a", "b", "a", "a"], [0.5] * 4, strata=["s", "s", "s", "t"]
        )


# --------------------------------------------------------------------------- through the check


@pytest.fixture
def mapped(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    m = rng.choice([1, 2, 3], size=(60, 60), p=[0.6, 0.3, 0.1]).astype(np.uint8)
    ref = m.copy()
    ref[rng.random(m.shape) < 0.2] = 2
    profile = {"driver": "GTiff", "width": 60, "height": 60, "count": 1, "dtype": "uint8",
               "nodata": 0, "crs": "EPSG:6933",
               "transform": from_origin(1_000_000, 4_000_000, 100, 100)}
    with rasterio.open(tmp_path / "map.tif", "w", **profile) as ds:
        ds.write(m, 1)
    return tmp_path / "map.tif", m, ref


def _points(rows: list[int], cols: list[int], **columns: list[object]) -> gpd.GeoDataFrame:
    geom = [Point(1_000_000 + 100 * (c + 0.5), 4_000_000 - 100 * (r + 0.5))
            for r, c in zip(rows, cols, strict=True)]
    return gpd.GeoDataFrame(dict(columns), geometry=geom, crs="EPSG:6933")


def test_check_unequal_probability_equals_declared_stratified(
    mapped: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    map_path, m, ref = mapped
    rng = np.random.default_rng(8)
    n_h = {1: 30, 2: 25, 3: 20}
    rows, cols, pis, strata = [], [], [], []
    for k, n in n_h.items():
        where = np.argwhere(m == k)
        for r, c in where[rng.choice(len(where), n, replace=False)]:
            rows.append(int(r))
            cols.append(int(c))
            pis.append(n / len(where))
            strata.append(k)
    frame = _points(rows, cols, reference=[int(ref[r, c]) for r, c in zip(rows, cols,
                                                                           strict=True)],
                    inclusion_probability=pis, stratum=strata)
    frame.to_file(tmp_path / "units.gpkg", driver="GPKG")
    ht = accuracy_report(map_path, tmp_path / "units.gpkg", design="unequal_probability",
                         strata_field="stratum", workers=1)
    olofsson = accuracy_report(map_path, tmp_path / "units.gpkg", design="stratified", workers=1)
    assert ht["design"] == "unequal_probability"
    assert ht["design_source"] == "declared"
    for key in ("overall_accuracy", "overall_accuracy_se"):
        assert ht[key] == pytest.approx(olofsson[key], rel=1e-10)
    assert ht["overall_accuracy_ci"] == pytest.approx(olofsson["overall_accuracy_ci"], rel=1e-10)
    for key in ("users_accuracy", "producers_accuracy", "area_proportions", "area_ha"):
        assert ht[key] == pytest.approx(olofsson[key], rel=1e-10), key
    # without strata the with-replacement variance ignores the stratification
    unstratified = accuracy_report(map_path, tmp_path / "units.gpkg",
                                   design="unequal_probability", workers=1)
    assert unstratified["overall_accuracy"] == pytest.approx(ht["overall_accuracy"], rel=1e-12)
    assert unstratified["overall_accuracy_se"] != pytest.approx(ht["overall_accuracy_se"])


def test_check_cluster_design(
    mapped: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    map_path, m, ref = mapped
    # 3 x 3 blocks of the 60 x 60 map: 400 clusters, 12 drawn at random
    rng = np.random.default_rng(9)
    picks = rng.choice(400, 12, replace=False)
    rows, cols, ids = [], [], []
    for b in picks:
        r0, c0 = 3 * (int(b) // 20), 3 * (int(b) % 20)
        for dr in range(3):
            for dc in range(3):
                rows.append(r0 + dr)
                cols.append(c0 + dc)
                ids.append(f"block{b}")
    frame = _points(rows, cols, reference=[int(ref[r, c]) for r, c in zip(rows, cols,
                                                                           strict=True)],
                    pi=[12 / 400] * len(rows), block=ids)
    frame.to_file(tmp_path / "clusters.gpkg", driver="GPKG")
    report = accuracy_report(map_path, tmp_path / "clusters.gpkg", design="cluster",
                             inclusion_field="pi", cluster_field="block", workers=1)
    # Cochran's ratio of cluster totals, by hand
    y = [sum(int(m[r, c] == ref[r, c]) for r, c, i in zip(rows, cols, ids, strict=True)
             if i == f"block{b}") for b in picks]
    r, se = _cochran_cluster([float(v) for v in y], [9.0] * 12)
    assert report["design"] == "cluster"
    assert report["clusters"] == 12
    assert report["overall_accuracy"] == pytest.approx(r, rel=1e-12)
    assert report["overall_accuracy_se"] == pytest.approx(se, rel=1e-10)
    assert report["degrees_of_freedom"] == 11
    with pytest.raises(EvidenceError, match="no column 'cluster'"):
        accuracy_report(map_path, tmp_path / "clusters.gpkg", design="cluster",
                        inclusion_field="pi", workers=1)
    with pytest.raises(EvidenceError, match="no column 'inclusion_probability'"):
        accuracy_report(map_path, tmp_path / "clusters.gpkg", design="unequal_probability",
                        workers=1)
