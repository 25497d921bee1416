"""The call's TeX leftovers are rendered for readers; the catalogue keeps them verbatim."""

from __future__ import annotations

import pytest

from geoverify.config.catalogue import load_catalogue
from geoverify.model.catalogue import display_text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("总体精度 $\\geq 90\\%$", "总体精度 ≥ 90%"),
        ("NO₂精度优于 4.0×10^{15} molecules/cm²", "NO₂精度优于 4.0×10¹⁵ molecules/cm²"),
        ("分辨率 ≤ 300 米", "分辨率 ≤ 300 米"),
    ],
)
def test_display_text(raw: str, shown: str) -> None:
    assert display_text(raw) == shown


def test_quotes_stay_verbatim_and_display_has_no_tex() -> None:
    catalogue = load_catalogue()
    ind = catalogue["geoglam.basemap_accuracy"]
    assert "$\\geq 90\\%$" in ind.quote
    for indicator in catalogue:
        assert "$" not in indicator.quote_display and "\\" not in indicator.quote_display
