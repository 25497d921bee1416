"""Legend aliases: codes whose names are the same name are one class (review finding 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.classes.measure import LEGEND_RULE, legend_name, measure_classes
from geoverify.model.evidence import Evidence
from geoverify.testing.samples.common import write_raster

CTX = Context(workers=1)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("maize", "Maize"),
        ("maize", "maize "),
        ("maize", "  MAIZE"),
        ("winter wheat", "winter\twheat"),
        ("maize", "\uff4d\uff41\uff49\uff5a\uff45"),  # full-width letters: NFKC
        ("Straße", "STRASSE"),  # full case folding
    ],
)
def test_legend_names_equal_under_the_rule(a: str, b: str) -> None:
    assert legend_name(a) == legend_name(b)


def test_distinct_names_stay_distinct() -> None:
    assert legend_name("maize") != legend_name("maize 2")
    assert legend_name("winter wheat") != legend_name("winterwheat")


def test_twelve_codes_of_three_names_are_three_classes(tmp_path: Path) -> None:
    # codes 1..12, 100 pixels each (a 12 × 100 raster, one row per code)
    codes = np.repeat(np.arange(1, 13, dtype="uint8")[:, None], 100, axis=1)
    write_raster(
        tmp_path / "map.tif",
        codes,
        crs="EPSG:32650",
        transform=from_origin(500_000, 3_000_000, 10, 10),
        nodata=0,
    )
    names = ["maize", "maize", "Maize", "maize ", "wheat", "wheat", "wheat"]
    names += ["rice"] * 5
    legend = {str(k): name for k, name in enumerate(names, start=1)}
    options = {"raster": "map.tif", "legend": legend}
    ev = Evidence("geoglam.croptype_classes", tmp_path, options, "s")
    m = measure_classes(ev, {}, CTX)
    assert m.value == 3  # maize, wheat, rice
    assert m.details["class_names"] == ["maize", "rice", "wheat"]
    assert m.details["merged_codes"] == {
        "maize": ["1", "2", "3", "4"],
        "wheat": ["5", "6", "7"],
        "rice": ["8", "9", "10", "11", "12"],
    }
    assert m.details["legend_rule"] == LEGEND_RULE
    assert LEGEND_RULE in m.message and "merged by name" in m.message
    assert "case folding" in m.details["rule"]
