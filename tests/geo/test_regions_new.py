"""The regions of issue 12 item 5: outside China, developing countries, intersections.

Expected memberships come from the sources the lists cite: the World Bank's FY2026
classification (published counts: 26 low-income, 50 lower-middle-income and 54
upper-middle-income economies; Costa Rica high income from FY2026; Namibia lower-middle,
Cabo Verde and Samoa upper-middle) and ISO 3166-1 (Hong Kong, Macao and Taiwan coded
apart from China).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geoverify.errors import EvidenceError
from geoverify.geo.regions import (
    CHINA,
    REGIONS,
    in_region,
    in_regions,
    load_region_list,
    region_members,
    regions_members,
)

DATA = Path(__file__).resolve().parents[2] / "geoverify" / "data"


def test_outside_china_is_every_country_but_china_hong_kong_macao_and_taiwan() -> None:
    outside = region_members("outside_china")
    assert {"CHN", "HKG", "MAC", "TWN"} == CHINA
    assert outside == region_members("any") - CHINA
    for code in ("CHN", "HKG", "MAC", "TWN"):
        assert not in_region(code, "outside_china")
    for name in ("Thailand", "MNG", "Kazakhstan", "USA"):
        assert in_region(name, "outside_china")
    assert "Hong Kong" in REGIONS["outside_china"]


def test_developing_is_the_world_bank_fy2026_low_and_middle_income_list() -> None:
    developing = region_members("developing")
    assert len(developing) == 26 + 50 + 54  # the published FY2026 counts
    text = (DATA / "developing.txt").read_text(encoding="utf-8")
    low = [line for line in text.splitlines() if line.strip().endswith("(low)")]
    assert len(low) == 26
    # FY2026 moves: Costa Rica to high income; Namibia down, Cabo Verde and Samoa up,
    # all three still low- or middle-income
    assert "CRI" not in developing
    assert {"NAM", "CPV", "WSM"} <= developing
    # China (upper-middle income) is on the list; high-income economies are not
    assert {"CHN", "LAO", "IND", "IDN", "NPL", "PNG", "TUR", "KEN"} <= developing
    assert not developing & {"KOR", "JPN", "SGP", "AUS", "RUS", "SYC", "TWN", "HKG", "MAC"}
    # Seychelles is the only high-income African economy: the rest of Africa is listed
    africa = {c for c in region_members("africa_asia") if not in_region(c, "asia_oceania")}
    sovereign_africa = africa - {"ATF", "ESH", "IOT", "MYT", "REU", "SHN"}
    assert sovereign_africa - developing == {"SYC"}


def test_developing_list_states_its_source_date_and_caveat() -> None:
    header = (DATA / "developing.txt").read_text(encoding="utf-8").split("\n# --- ")[0]
    for phrase in ("World Bank", "FY2026", "2025-07-01", "CLASS.xlsx", "CHECK THIS FILE"):
        assert phrase in header
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `developing.txt`"))
    assert "FY2026" in row and "Check it against the official" in row
    assert load_region_list(DATA / "developing.txt") == region_members("developing")


def test_several_regions_mean_their_intersection() -> None:
    both = regions_members(["asia_oceania", "geo_members", "developing"])
    assert both == (
        region_members("asia_oceania")
        & region_members("geo_members")
        & region_members("developing")
    )
    assert in_regions("LAO", ("asia_oceania", "geo_members", "developing"))
    assert not in_regions("KOR", ("asia_oceania", "geo_members", "developing"))  # high income
    assert not in_regions("KEN", ("asia_oceania", "geo_members", "developing"))  # Africa
    assert regions_members("any") == regions_members(None) == region_members("any")
    assert regions_members("geo_members") == region_members("geo_members")
    with pytest.raises(EvidenceError, match="unknown region"):
        regions_members(["asia_oceania", "nowhere"])
