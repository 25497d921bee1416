"""Estimators of thematic accuracy: published worked examples, scikit-learn, hand formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)

from geoverify.errors import EvidenceError
from geoverify.stats import estimators as est

Z = 1.959963984540054

# --------------------------------------------------------------------------- Olofsson 2014

# Olofsson et al. (2014), RSE 148, Table 8 (section 5): sample counts, rows = map
# (deforestation, forest gain, stable forest, stable non-forest), columns = reference;
# mapped areas in 30 m Landsat pixels (Table 8, column "A_m,i").
OLOFSSON_COUNTS = [[66, 0, 5, 4], [0, 55, 8, 12], [1, 0, 153, 11], [2, 1, 9, 313]]
OLOFSSON_PIXELS = [200_000, 150_000, 3_200_000, 6_450_000]
OLOFSSON_LABELS = ["deforestation", "forest gain", "stable forest", "stable non-forest"]


@pytest.fixture(scope="module")
def olofsson() -> est.Estimate:
    return est.stratified_map_classes(
        OLOFSSON_COUNTS, OLOFSSON_PIXELS, OLOFSSON_LABELS, pixel_area_ha=0.09
    )


def test_olofsson_2014_areas_published(olofsson: est.Estimate) -> None:
    # Olofsson et al. 2014, section 5 (p. 54, right column): stratified area estimates
    # in ha with their 95% CI half-widths.
    published = [(21_158, 6_158), (11_686, 3_756), (285_770, 15_510), (581_386, 16_282)]
    for (area, half), got, se in zip(published, olofsson.area_ha, olofsson.area_ha_se,
                                     strict=True):
        assert got == pytest.approx(area, abs=1.0)
        assert Z * se == pytest.approx(half, abs=1.0)


def test_olofsson_2014_accuracies_published(olofsson: est.Estimate) -> None:
    # Olofsson et al. 2014, section 5 (p. 54, left column): UA and OA with 95% CI
    # half-widths, rounded to two decimals in the paper.
    ua = [(0.88, 0.07), (0.73, 0.10), (0.93, 0.04), (0.96, 0.02)]
    for (u, half), got, se in zip(ua, olofsson.users_accuracy, olofsson.users_accuracy_se,
                                  strict=True):
        assert round(got, 2) == u
        assert round(Z * se, 2) == half
    pa = [0.75, 0.85, 0.93, 0.96]
    assert [round(v, 2) for v in olofsson.producers_accuracy] == pa
    assert round(olofsson.overall_accuracy, 2) == 0.95
    assert round(Z * olofsson.overall_accuracy_se, 2) == 0.02


def test_olofsson_producers_se_by_hand(olofsson: est.Estimate) -> None:
    # PA standard errors: Olofsson et al. 2014 eq. 7, written out here independently
    # for "deforestation" (j = 0) and "forest gain" (j = 1) from Table 8.
    n = np.array(OLOFSSON_COUNTS, float)
    big_n = np.array(OLOFSSON_PIXELS, float)
    ni = n.sum(axis=1)
    for j in (0, 1):
        n_hat_j = sum(big_n[i] * n[i, j] / ni[i] for i in range(4))
        u_j = n[j, j] / ni[j]
        p_j = big_n[j] * u_j / n_hat_j
        term1 = big_n[j] ** 2 * (1 - p_j) ** 2 * u_j * (1 - u_j) / (ni[j] - 1)
        term2 = p_j**2 * sum(
            big_n[i] ** 2 * n[i, j] / ni[i] * (1 - n[i, j] / ni[i]) / (ni[i] - 1)
            for i in range(4) if i != j
        )
        assert olofsson.producers_accuracy[j] == pytest.approx(p_j, rel=1e-12)
        assert olofsson.producers_accuracy_se[j] == pytest.approx(
            math.sqrt(term1 + term2) / n_hat_j, rel=1e-9
        )
    # deforestation's published half-width (p. 54): ±0.21
    assert round(Z * olofsson.producers_accuracy_se[0], 2) == 0.21


def test_olofsson_2014_sample_size_eq13() -> None:
    # Olofsson et al. 2014 section 5.1.1: W = (0.02, 0.015, 0.32, 0.645), conjectured
    # UA = (0.7, 0.6, 0.9, 0.95), target S(O) = 0.01 -> n = 641.
    n = est.olofsson_sample_size([0.02, 0.015, 0.32, 0.645], [0.7, 0.6, 0.9, 0.95], 0.01)
    assert n == 641


def test_cochran_textbook_value() -> None:
    # Cochran (1977): p = 0.5, margin 0.05 at 95% -> 1.96^2 * 0.25 / 0.05^2 = 384.16 -> 385
    assert est.cochran_sample_size(0.5, 0.05 / Z) == 385
    # with a finite population of 1000: 384.16 / (1 + 0.38416) = 277.5 -> 278
    assert est.cochran_sample_size(0.5, 0.05 / Z, population=1000) == 278


# --------------------------------------------------------------------------- Stehman 2014

# Stehman (2014), IJRS 35, Table 2 (numerical example): 40 sample pixels, 10 in each
# of 4 strata with N_h = 40,000, 30,000, 20,000, 10,000; map and reference classes A-D.
ST_STRATA = ["A"] * 10 + ["B"] * 10 + ["C"] * 10 + ["D"] * 10
ST_MAP = list("AAAAAAABBB") + ["A"] + ["B"] * 11 + ["C"] * 6 + ["B", "B"] + ["D"] * 10
ST_REF = (list("AAAAACBABC") + ["A"] + ["B"] * 5 + list("AABB") + ["C"] * 5
          + list("DDBBA") + ["D"] * 7 + list("CCB"))
ST_SIZES = {"A": 40_000, "B": 30_000, "C": 20_000, "D": 10_000}


@pytest.fixture(scope="module")
def stehman() -> est.Estimate:
    return est.stratified_general(ST_STRATA, ST_MAP, ST_REF, ST_SIZES, ["A", "B", "C", "D"])


def test_stehman_2014_published_estimates(stehman: est.Estimate) -> None:
    # Stehman 2014, section 4 (pp. 4932-4936): published estimates (3 decimals).
    assert stehman.area_proportions[0] == pytest.approx(0.35, abs=5e-4)  # p_A, p. 4932
    assert stehman.area_proportions[2] == pytest.approx(0.20, abs=5e-4)  # p_C, p. 4932
    assert stehman.overall_accuracy == pytest.approx(0.63, abs=5e-4)  # O, p. 4932
    assert stehman.users_accuracy[1] == pytest.approx(0.574, abs=5e-4)  # U_B, p. 4934
    assert stehman.producers_accuracy[1] == pytest.approx(0.794, abs=5e-4)  # P_B, p. 4934
    assert stehman.proportions[1, 2] == pytest.approx(0.08, abs=5e-4)  # p_23, p. 4935
    assert stehman.area_proportions_se[0] == pytest.approx(0.082, abs=5e-4)  # p. 4935
    assert stehman.area_proportions_se[2] == pytest.approx(0.064, abs=5e-4)  # p. 4935
    assert stehman.overall_accuracy_se == pytest.approx(0.085, abs=5e-4)  # p. 4936
    assert stehman.users_accuracy_se[1] == pytest.approx(0.125, abs=5e-4)  # p. 4936


def test_stehman_producers_se_by_hand(stehman: est.Estimate) -> None:
    # SE of P_B: combined ratio estimator variance (Stehman 2014 eq. 28), written out
    # independently: y = correct & reference B, x = reference B.
    s, m, r = (np.array(v) for v in (ST_STRATA, ST_MAP, ST_REF))
    y = ((m == r) & (r == "B")).astype(float)
    x = (r == "B").astype(float)
    big_y = sum(ST_SIZES[h] * y[s == h].mean() for h in ST_SIZES)
    big_x = sum(ST_SIZES[h] * x[s == h].mean() for h in ST_SIZES)
    ratio = big_y / big_x
    v = 0.0
    for h, size in ST_SIZES.items():
        yh, xh = y[s == h], x[s == h]
        nh = len(yh)
        syy, sxx = yh.var(ddof=1), xh.var(ddof=1)
        sxy = ((yh - yh.mean()) * (xh - xh.mean())).sum() / (nh - 1)
        v += size**2 * (1 - nh / size) * (syy + ratio**2 * sxx - 2 * ratio * sxy) / nh
    assert stehman.producers_accuracy_se[1] == pytest.approx(math.sqrt(v) / big_x, rel=1e-9)


def test_stehman_reduces_to_olofsson_when_strata_are_map_classes(olofsson: est.Estimate) -> None:
    # Stehman (2014, section 2) notes that with strata = map classes the general
    # estimators are those of Olofsson et al.; expand Table 8 into sample units.
    strata, maps, refs = [], [], []
    for i, row in enumerate(OLOFSSON_COUNTS):
        for j, c in enumerate(row):
            strata += [OLOFSSON_LABELS[i]] * c
            maps += [OLOFSSON_LABELS[i]] * c
            refs += [OLOFSSON_LABELS[j]] * c
    sizes = dict(zip(OLOFSSON_LABELS, OLOFSSON_PIXELS, strict=True))
    g = est.stratified_general(strata, maps, refs, sizes, OLOFSSON_LABELS, fpc=False,
                               pixel_area_ha=0.09)
    assert g.overall_accuracy == pytest.approx(olofsson.overall_accuracy, rel=1e-12)
    assert g.overall_accuracy_se == pytest.approx(olofsson.overall_accuracy_se, rel=1e-9)
    np.testing.assert_allclose(g.area_ha, olofsson.area_ha, rtol=1e-12)
    np.testing.assert_allclose(g.area_ha_se, olofsson.area_ha_se, rtol=1e-9)
    np.testing.assert_allclose(g.users_accuracy_se, olofsson.users_accuracy_se, rtol=1e-9)
    np.testing.assert_allclose(g.producers_accuracy_se, olofsson.producers_accuracy_se,
                               rtol=1e-9)


# --------------------------------------------------------------------------- Pontius & Millones


def test_pontius_millones_hand_example() -> None:
    # Worked by hand with Pontius & Millones (2011) eqs. 2-5 (their Figure 2 style
    # two-category example): p = [[.3, .2], [.1, .4]] (rows map, columns reference).
    # Row totals .5 .5, column totals .4 .6 -> Q = (|.5-.4| + |.5-.6|)/2 = 0.1;
    # a_1 = 2 min(.5-.3, .4-.3) = .2, a_2 = 2 min(.5-.4, .6-.4) = .2 -> A = 0.2;
    # Q + A = 0.3 = 1 - (.3 + .4).
    q, a = est.disagreement([[0.3, 0.2], [0.1, 0.4]])
    assert q == pytest.approx(0.1)
    assert a == pytest.approx(0.2)
    # a pure swap of labels between two classes: no quantity, all allocation
    q, a = est.disagreement([[0, 10], [10, 0]])
    assert (q, a) == (pytest.approx(0.0), pytest.approx(1.0))


# --------------------------------------------------------------------------- scikit-learn


labels_arrays = st.integers(min_value=2, max_value=6).flatmap(
    lambda k: st.tuples(
        st.lists(st.integers(0, k - 1), min_size=2, max_size=200),
        st.randoms(use_true_random=False),
        st.just(k),
    )
)


@settings(max_examples=60, deadline=None)
@given(labels_arrays)
def test_simple_random_agrees_with_sklearn(data: tuple[list[int], object, int]) -> None:
    ref, rnd, k = data
    rng = np.random.default_rng(rnd.randint(0, 2**31))  # type: ignore[attr-defined]
    ref_a = np.array(ref)
    map_a = np.where(rng.random(len(ref)) < 0.7, ref_a, rng.integers(0, k, len(ref)))
    labels = list(range(k))
    # sklearn: confusion_matrix(y_true, y_pred) has rows = true; ours rows = map
    cm = confusion_matrix(ref_a, map_a, labels=labels).T
    e = est.simple_random(cm, [str(v) for v in labels])
    assert e.overall_accuracy == pytest.approx(accuracy_score(ref_a, map_a))
    ua = precision_score(ref_a, map_a, labels=labels, average=None, zero_division=0)
    pa = recall_score(ref_a, map_a, labels=labels, average=None, zero_division=0)
    f1 = f1_score(ref_a, map_a, labels=labels, average=None, zero_division=0)
    for i in range(k):
        if cm[i].sum():
            assert e.users_accuracy[i] == pytest.approx(ua[i])
        else:
            assert e.users_accuracy[i] is None and f"users_accuracy.{i}" in e.undefined
        if cm[:, i].sum():
            assert e.producers_accuracy[i] == pytest.approx(pa[i])
        if e.f1[i] is not None:
            assert e.f1[i] == pytest.approx(f1[i])
    kappa = e.kappa
    if kappa is not None:
        assert kappa == pytest.approx(cohen_kappa_score(ref_a, map_a, labels=labels))
    # Pontius & Millones: Q + A = 1 - OA (their eq. 6)
    assert e.quantity_disagreement + e.allocation_disagreement == pytest.approx(
        1 - e.overall_accuracy
    )
    lo, hi = e.overall_accuracy_ci
    assert lo <= e.overall_accuracy <= hi


def test_wilson_interval_agrees_with_scipy() -> None:
    for k, n in [(0, 10), (10, 10), (87, 100), (388, 400)]:
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        lo, hi = est.wilson_interval(k, n)
        assert lo == pytest.approx(ci.low, abs=1e-9)
        assert hi == pytest.approx(ci.high, abs=1e-9)


# --------------------------------------------------------------------------- planning


def test_additional_samples_hand_computed() -> None:
    # estimate .90 vs threshold .85: target SE = .05/1.96; Cochran n = .09 / SE^2
    # = 138.3 -> 139; 100 already taken -> 39 more.
    assert est.additional_samples(0.90, 0.85, 100) == 39
    assert est.additional_samples(0.90, 0.85, 200) == 0
    assert est.additional_samples(0.85, 0.85, 100) is None
    # Wilson: the returned size really decides at the same proportion
    extra = est.additional_samples(0.87, 0.85, 150, interval="wilson")
    assert extra is not None and extra > 0
    lo, _ = est.wilson_interval(0.87 * (150 + extra), 150 + extra)
    assert lo > 0.85
    # stratified (eq. 13) with the Olofsson example: S(O) target = (0.95 - 0.93)/1.96
    w = [0.02, 0.015, 0.32, 0.645]
    u = [0.7, 0.6, 0.9, 0.95]
    target = 0.02 / Z
    expected = math.ceil((sum(a * math.sqrt(b * (1 - b)) for a, b in zip(w, u, strict=True))
                          / target) ** 2) - 300
    assert est.additional_samples(0.95, 0.93, 300, weights=w, users_accuracies=u) == expected
    # an inconclusive estimate (SE 0.012 > target 0.0102) never gets 0: scaled allocation
    more = est.additional_samples(0.95, 0.93, 300, se=0.012, weights=w, users_accuracies=u)
    assert more == max(expected + 300, math.ceil(300 * (0.012 / target) ** 2)) - 300 > 0


# --------------------------------------------------------------------------- degenerate cases


def test_class_never_mapped_gives_defined_values() -> None:
    e = est.simple_random([[5, 1, 0], [0, 4, 1], [0, 0, 0]], ["a", "b", "c"])
    assert e.users_accuracy[2] is None
    assert e.producers_accuracy[2] == 0.0
    assert "users_accuracy.c" in e.undefined
    d = e.to_dict()
    assert d["users_accuracy"]["c"] is None
    assert _no_nan(d)


def test_all_correct_has_nonzero_interval() -> None:
    e = est.simple_random(np.diag([20, 30]), ["x", "y"])
    assert e.overall_accuracy == 1.0
    lo, hi = e.overall_accuracy_ci
    assert hi == 1.0 and lo < 0.95  # 50/50 correct -> continuity-corrected lower bound 0.911
    ci = stats.binomtest(50, 50).proportion_ci(method="wilsoncc")
    assert lo == pytest.approx(ci.low, abs=1e-9)
    assert _no_nan(e.to_dict())


def test_empty_sample_is_an_evidence_error() -> None:
    with pytest.raises(EvidenceError, match="empty"):
        est.simple_random(np.zeros((2, 2)), ["a", "b"])
    with pytest.raises(EvidenceError, match="empty"):
        est.stratified_general([], [], [], {"a": 10})


def test_stratum_with_one_sample_is_an_evidence_error() -> None:
    with pytest.raises(EvidenceError, match="at least 2"):
        est.stratified_map_classes([[1, 0], [2, 10]], [100, 900], ["a", "b"])
    with pytest.raises(EvidenceError, match="at least 2"):
        est.stratified_general(["s1", "s2", "s2"], ["a", "a", "b"], ["a", "b", "b"],
                               {"s1": 10, "s2": 20})


def test_mapped_class_without_sample_is_refused() -> None:
    with pytest.raises(EvidenceError, match=r"no mapped pixel|at least 2"):
        est.stratified_map_classes([[5, 0], [0, 0]], [100, 50], ["a", "b"])


def test_invalid_matrices() -> None:
    with pytest.raises(EvidenceError):
        est.simple_random([[1, 2, 3]])
    with pytest.raises(EvidenceError):
        est.simple_random([[1, -2], [0, 3]])
    with pytest.raises(EvidenceError):
        est.simple_random([[1.5, 2], [0, 3]])


def _no_nan(obj: object) -> bool:
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(_no_nan(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return all(_no_nan(v) for v in obj)
    return True
