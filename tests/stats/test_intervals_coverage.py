"""Coverage of the verdicts' 95% intervals, by simulation (issue 11, route 2).

2,000 seeded draws at n = 4, 20, 100 and true accuracy 0.80, 0.95, 0.99: the
interval must cover the true value at least 93% of the time, for simple random
sampling (continuity-corrected Wilson, Newcombe 1998) and for stratified samples
with unequal weights (the estimators of Olofsson et al. 2014 with the interval
on the design-effective sample size of Korn & Graubard 1998).  The stratified
intervals come from :func:`geoverify.stats.estimators.stratified_map_classes`
itself, once per distinct outcome of the draws.  Plain Wilson is shown to miss
the bar at two of these points (exact coverage, Brown, Cai & DasGupta 2001), which
is why the verdicts use the corrected one.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from geoverify.stats import estimators as est
from geoverify.stats.intervals import score_bounds, wilson_bounds

DRAWS = 2000
TRUTHS = (0.80, 0.95, 0.99)
SIZES = (4, 20, 100)
# (weights, allocation) per total sample size: two and three strata, unequal weights
DESIGNS = {
    4: [((0.8, 0.2), (2, 2)), ((0.3, 0.7), (2, 2))],
    20: [((0.8, 0.2), (10, 10)), ((0.6, 0.3, 0.1), (8, 6, 6))],
    100: [((0.8, 0.2), (50, 50)), ((0.05, 0.15, 0.8), (40, 30, 30))],
}


@pytest.mark.parametrize("truth", TRUTHS)
@pytest.mark.parametrize("n", SIZES)
def test_simple_random_interval_covers(truth: float, n: int) -> None:
    rng = np.random.default_rng(20260 + n + int(1000 * truth))
    k = rng.binomial(n, truth, DRAWS)
    low, high = score_bounds(k / n, n)
    covered = float(((low <= truth) & (truth <= high)).mean())
    assert covered >= 0.93, f"n = {n}, p = {truth}: coverage {covered:.3f}"
    # it is scipy's "wilsoncc" interval
    ci = stats.binomtest(int(k[0]), n).proportion_ci(method="wilsoncc")
    assert (low[0], high[0]) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_plain_wilson_falls_short_where_the_corrected_one_does_not() -> None:
    # exact coverage sum_k b(k; n, p) 1[p in CI(k)] (Brown, Cai & DasGupta 2001)
    def coverage(bounds: object, n: int, p: float) -> float:
        k = np.arange(n + 1)
        low, high = bounds(k / n, n)  # type: ignore[operator]
        return float((stats.binom.pmf(k, n, p) * ((low <= p) & (p <= high))).sum())

    assert coverage(wilson_bounds, 20, 0.95) < 0.93
    assert coverage(wilson_bounds, 100, 0.99) < 0.93
    for n in SIZES:
        for p in TRUTHS:
            assert coverage(score_bounds, n, p) >= 0.95


@pytest.mark.parametrize("truth", TRUTHS)
@pytest.mark.parametrize("n", SIZES)
def test_stratified_interval_covers(truth: float, n: int) -> None:
    rng = np.random.default_rng(31 * n + int(1000 * truth))
    for weights, alloc in DESIGNS[n]:
        w, nh = np.array(weights), np.array(alloc)
        k = len(w)
        # unequal accuracies across strata with the weighted mean at the truth
        ph = np.full(k, truth)
        ph[0] += min(0.1, (1 - truth) * 0.5)
        ph = np.clip(ph - float((w * ph).sum()) + truth, 0, 1)
        true_oa = float((w * ph).sum())
        correct = rng.binomial(nh, ph, size=(DRAWS, k))
        outcomes, counts = np.unique(correct, axis=0, return_counts=True)
        hits = 0
        for row, c in zip(outcomes, counts, strict=True):
            m = np.zeros((k, k), dtype=int)
            for h in range(k):  # map class h: correct on the diagonal, errors next door
                m[h, h] = row[h]
                m[h, (h + 1) % k] = nh[h] - row[h]
            e = est.stratified_map_classes(m, w * 1e6, [str(i) for i in range(k)])
            low, high = e.overall_accuracy_ci
            hits += int(c) * (low <= true_oa <= high)
        covered = hits / DRAWS
        assert covered >= 0.93, f"n = {n}, OA = {truth}, W = {weights}: coverage {covered:.3f}"
