"""A reference raster is a reference product, not ground truth (review finding 1).

Agreement with it never passes an accuracy indicator by itself; with the product's
declared accuracy the map's accuracy is bounded by the Fréchet bounds
``[A + R - 100, 100 - |A - R|]``, and that interval decides.  Real GeoTIFFs
written with rasterio; expected figures computed by hand in each test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.accuracy.measure import REFERENCE_PRODUCT_REASON, measure_accuracy
from geoverify.decide import decide_condition
from geoverify.model import Verdict
from geoverify.model.catalogue import Condition
from geoverify.model.evidence import Evidence
from geoverify.stats.intervals import agreement_bounds
from geoverify.testing.samples.common import write_raster

CRS = "EPSG:32650"
T = from_origin(500_000, 3_000_000, 10, 10)
CTX = Context(workers=1)
AT_LEAST_85 = Condition(">=", 85, "%")


def _evidence(base: Path, **options: Any) -> Evidence:
    return Evidence("test.accuracy", base, options, "test")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 200 x 200 crop map of 4 classes, a copy with 0.5% of pixels changed at random,
    and a copy with the rare class 4 merged into class 1."""
    base = tmp_path_factory.mktemp("refproduct")
    rng = np.random.default_rng(7)
    classes = np.ones((200, 200), dtype=np.uint8)
    classes[:, 80:140] = 2
    classes[:, 140:190] = 3
    classes[:, 190:] = 4  # rare class: 5% of the pixels
    write_raster(base / "map.tif", classes, crs=CRS, transform=T, nodata=0)
    perturbed = classes.copy()
    flat = perturbed.ravel()
    picks = rng.choice(flat.size, size=flat.size // 200, replace=False)  # 0.5%
    flat[picks] = (flat[picks] % 4) + 1  # a different class at each
    write_raster(base / "perturbed.tif", perturbed, crs=CRS, transform=T, nodata=0)
    merged = classes.copy()
    merged[merged == 4] = 1
    write_raster(base / "merged.tif", merged, crs=CRS, transform=T, nodata=0)
    return base


@pytest.mark.parametrize(
    ("reference", "agreement"), [("perturbed.tif", 99.5), ("merged.tif", 95.0)]
)
def test_agreement_with_a_reference_raster_never_passes(
    site: Path, reference: str, agreement: float
) -> None:
    m = measure_accuracy(_evidence(site, map="map.tif", reference=reference), {}, CTX)
    assert m.value == pytest.approx(agreement)  # 200 of 40,000 changed; 2,000 merged
    verdict, sentence, _, _ = decide_condition(AT_LEAST_85, m)
    assert verdict is Verdict.INCONCLUSIVE
    assert REFERENCE_PRODUCT_REASON in sentence
    assert m.details["reference_kind"] == "raster product"


def test_declared_reference_accuracy_bounds_the_verdict(site: Path) -> None:
    # merged: A = 95%; R = 95% -> bounds [90, 100]: the whole interval meets >= 85%
    m = measure_accuracy(
        _evidence(site, map="map.tif", reference="merged.tif", reference_accuracy=95), {}, CTX
    )
    assert m.ci == pytest.approx((90.0, 100.0))
    assert decide_condition(AT_LEAST_85, m)[0] is Verdict.PASS
    # R = 85%: bounds [80, 90] straddle 85%
    m = measure_accuracy(
        _evidence(site, map="map.tif", reference="merged.tif", reference_accuracy=85), {}, CTX
    )
    assert m.ci == pytest.approx((80.0, 90.0))
    verdict, sentence, _, _ = decide_condition(AT_LEAST_85, m)
    assert verdict is Verdict.INCONCLUSIVE
    assert "bounds from the reference's declared accuracy 80% to 90%" in sentence


def test_class_accuracy_against_a_reference_raster_is_at_most_inconclusive(site: Path) -> None:
    # the product's overall accuracy does not bound one class's accuracy
    m = measure_accuracy(
        _evidence(site, map="map.tif", reference="merged.tif", reference_accuracy=99),
        {"measure": "class", "class": "2"},
        CTX,
    )
    assert m.value == pytest.approx(100.0)
    assert decide_condition(AT_LEAST_85, m)[0] is Verdict.INCONCLUSIVE
    assert "does not bound this one" in m.details["inconclusive_reason"]


@pytest.mark.parametrize(
    ("agreement", "reference", "expected"),
    [
        ((95.0, 95.0), 95.0, (90.0, 100.0)),  # both right where they agree: up to 100
        ((90.0, 90.0), 100.0, (90.0, 90.0)),  # a perfect reference: agreement is accuracy
        ((60.0, 60.0), 30.0, (0.0, 70.0)),  # lower bound clipped at 0
        ((80.0, 90.0), 85.0, (65.0, 100.0)),  # an interval of agreement containing R
        ((80.0, 82.0), 95.0, (75.0, 87.0)),  # nearest agreement to R is 82
    ],
)
def test_frechet_bounds_by_hand(
    agreement: tuple[float, float], reference: float, expected: tuple[float, float]
) -> None:
    assert agreement_bounds(agreement, reference) == pytest.approx(expected)


def test_frechet_bounds_are_attained() -> None:
    """Both bounds are reached by some labelling (a brute-force check on 10 units)."""
    rng = np.random.default_rng(3)
    truth = np.zeros(10, dtype=int)
    reached = set()
    for _ in range(20000):
        ref = np.where(rng.random(10) < 0.3, rng.integers(1, 3, 10), 0)  # some wrong
        mp = np.where(rng.random(10) < 0.3, rng.integers(1, 3, 10), 0)
        a, r = (mp == ref).mean() * 100, (ref == truth).mean() * 100
        acc = (mp == truth).mean() * 100
        low, high = agreement_bounds((a, a), r)
        assert low - 1e-9 <= acc <= high + 1e-9
        if (a, r) == (80.0, 80.0):
            reached.add(acc)
    assert {60.0, 100.0} <= reached  # the bounds of A = R = 80%
