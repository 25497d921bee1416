"""Content of configs/geo_indicators.toml, checked against the call and the indicator table.

Reads the TOML with ``tomllib`` directly (not through any geoverify loader), so these tests
check the catalogue itself: that it lists every indicator of ``shared/docs/indicators.md``, that
every quote is copied verbatim from the seed call, and that a few thresholds match the numbers
of the call.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "configs" / "geo_indicators.toml"
SHARED = REPO.parent / "shared"
INDICATORS_MD = SHARED / "docs" / "indicators.md"
SEED = SHARED / "seed" / "geo_call_2026_draft.txt"

CHECKS = {
    "accuracy",
    "resolution",
    "classes",
    "area",
    "countries",
    "period",
    "burned_area",
    "retrieval",
    "detections",
    "latency",
    "warning",
    "count",
    "share",
}
OPS = {">=", ">", "<=", "<", "==", "between", "covers", "includes", "report"}
UNITS = {
    "%",
    "m",
    "km2",
    "ha",
    "count",
    "ratio",
    "days",
    "s",
    "min",
    "year",
    "years",
    "ppm",
    "ppb",
    "molecules/cm2",
}
REGIONS = {
    "africa_asia",
    "south_southeast_asia",
    "asia_oceania",
    "geo_members",
    "belt_and_road",
    "outside_china",
    "developing",
}
INDICATOR_KEYS = {
    "id",
    "title",
    "title_zh",
    "section",
    "quote",
    "check",
    "op",
    "threshold",
    "unit",
    "wording",
    "reading",
    "params",
    "each",
    "also",
    "alternatives",
}
INDICATOR_REQUIRED = INDICATOR_KEYS - {"threshold", "params", "each", "also", "alternatives"}
DIRECTION_KEYS = {"title", "title_zh", "section", "common"}
ID_RE = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")


def _squash(text: str) -> str:
    """Remove all whitespace."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Any]:
    with CATALOGUE.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def indicators(catalogue: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {ind["id"]: ind for ind in catalogue["indicator"]}


@pytest.fixture(scope="module")
def markdown_rows() -> dict[str, str]:
    """id -> first word of the check cell, for every row of the indicator tables of indicators.md.

    An indicator table is one whose header row's first cell is ``id``; other tables (the check
    kinds, the "Readings that a reviewer may dispute") are skipped, even where a first cell
    looks like an id.
    """
    if not INDICATORS_MD.is_file():
        pytest.skip(f"{INDICATORS_MD} not available (no ../shared folder)")
    rows: dict[str, str] = {}
    in_table = False  # inside a markdown table (consecutive lines starting with "|")
    indicator_table = False  # ... whose header's first cell is "id"
    for line in INDICATORS_MD.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not in_table:  # the header row of a new table
            in_table = True
            indicator_table = cells[0] == "id"
            continue
        if not indicator_table or re.fullmatch(r":?-+:?", cells[0]):
            continue
        if len(cells) < 2 or not ID_RE.match(cells[0]):
            continue
        assert cells[0] not in rows, f"duplicate id in indicators.md: {cells[0]}"
        rows[cells[0]] = cells[-1].split()[0]
    assert rows, "no indicator rows parsed from indicators.md"
    return rows


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"{SEED} not available (no ../shared folder)")
    return _squash(SEED.read_text(encoding="utf-8"))


# --- (a) completeness ---------------------------------------------------------------------


def test_ids_unique(catalogue: dict[str, Any]) -> None:
    ids = [ind["id"] for ind in catalogue["indicator"]]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_ids_match_markdown(
    indicators: dict[str, dict[str, Any]], markdown_rows: dict[str, str]
) -> None:
    missing = sorted(set(markdown_rows) - set(indicators))
    extra = sorted(set(indicators) - set(markdown_rows))
    assert not missing and not extra, f"missing: {missing}; not in indicators.md: {extra}"


def test_check_kinds_match_markdown(
    indicators: dict[str, dict[str, Any]], markdown_rows: dict[str, str]
) -> None:
    wrong = {
        iid: (indicators[iid]["check"], kind)
        for iid, kind in markdown_rows.items()
        if iid in indicators and indicators[iid]["check"] != kind
    }
    assert not wrong, f"check kind differs from indicators.md (toml, md): {wrong}"


# --- (b) quotes are verbatim ----------------------------------------------------------------


def test_quotes_verbatim(indicators: dict[str, dict[str, Any]], seed_text: str) -> None:
    bad = [iid for iid, ind in indicators.items() if _squash(ind["quote"]) not in seed_text]
    assert not bad, f"quote not found verbatim in the seed text: {bad}"


# --- (c) wording inside quote ---------------------------------------------------------------


def test_wording_in_quote(indicators: dict[str, dict[str, Any]]) -> None:
    bad = {
        iid: ind["wording"]
        for iid, ind in indicators.items()
        if not _squash(ind["wording"]) or _squash(ind["wording"]) not in _squash(ind["quote"])
    }
    assert not bad, f"wording not inside its quote: {bad}"


# --- (d) directions -------------------------------------------------------------------------


def test_every_direction_has_a_table(
    catalogue: dict[str, Any], indicators: dict[str, dict[str, Any]]
) -> None:
    directions = catalogue.get("directions", {})
    missing = sorted({iid.split(".", 1)[0] for iid in indicators} - set(directions))
    assert not missing, f"directions without a [directions.X] table: {missing}"


def test_direction_tables(catalogue: dict[str, Any], indicators: dict[str, dict[str, Any]]) -> None:
    used = {iid.split(".", 1)[0] for iid in indicators}
    for name, table in catalogue["directions"].items():
        assert name in used, f"direction {name} has no indicator"
        assert set(table) == DIRECTION_KEYS, (name, sorted(table))
        assert isinstance(table["common"], bool)
        assert table["common"] == (name in {"geo_common", "geo_rules", "programme"}), name
        for key in ("title", "title_zh", "section"):
            assert isinstance(table[key], str) and table[key].strip(), (name, key)


# --- schema shape (what a strict loader will insist on) -------------------------------------


def test_top_level(catalogue: dict[str, Any]) -> None:
    assert catalogue["schema"] == 1
    assert catalogue["source"] == "geo_call_2026_draft.txt"
    assert set(catalogue) == {"schema", "title", "source", "directions", "indicator"}


def _check_condition_op(where: str, cond: dict[str, Any]) -> None:
    op, thr = cond["op"], cond.get("threshold")
    assert op in OPS and op != "report", where
    if op in {"between", "covers"}:
        assert isinstance(thr, list) and len(thr) == 2 and thr[0] <= thr[1], where
    elif op == "includes":
        assert isinstance(thr, list) and thr, where
    else:
        assert isinstance(thr, int | float) and not isinstance(thr, bool), where
    if "unit" in cond:
        assert cond["unit"] in UNITS, where


def test_indicator_shape(indicators: dict[str, dict[str, Any]]) -> None:
    for iid, ind in indicators.items():
        assert ID_RE.match(iid), iid
        assert set(ind) <= INDICATOR_KEYS, (iid, sorted(set(ind) - INDICATOR_KEYS))
        assert set(ind) >= INDICATOR_REQUIRED, (iid, sorted(INDICATOR_REQUIRED - set(ind)))
        for key in ("title", "title_zh", "section", "quote", "wording", "reading"):
            assert isinstance(ind[key], str) and ind[key].strip(), (iid, key)
        assert ind["check"] in CHECKS, iid
        assert ind["unit"] in UNITS, iid
        if ind["op"] == "report":
            assert "threshold" not in ind, iid
        else:
            _check_condition_op(iid, ind)
        assert isinstance(ind.get("params", {}), dict), iid
        country_subsets = all(
            c.get("measure") == "subset" and c.get("field") == "country"
            for c in ind.get("also", [])
        )
        # the one exception: a countries check's countries within another's (subset)
        if (
            ("each" in ind or "also" in ind)
            and ind["check"] != "count"
            and ("each" in ind or not (ind["check"] == "countries" and country_subsets))
        ):
            pytest.fail(f"{iid}: each/also only allowed with check = 'count'")
        for cond in ind.get("each", []):
            assert ("check" in cond) != ("field" in cond), (iid, cond)
            if "check" in cond:
                assert set(cond) <= {"check", "op", "threshold", "unit", "params"}, (iid, cond)
                assert cond["check"] in CHECKS and "unit" in cond, (iid, cond)
            else:
                assert set(cond) <= {"field", "op", "threshold", "unit"}, (iid, cond)
            _check_condition_op(iid, cond)
        for cond in ind.get("also", []):
            measures = {"distinct", "sum", "categories", "subset", "years_covered"}
            assert cond["measure"] in measures, (iid, cond)
            assert set(cond) <= {"measure", "field", "op", "threshold", "unit", "region", "of"}
            if "region" in cond:
                regions = cond["region"] if isinstance(cond["region"], list) else [cond["region"]]
                assert regions and set(regions) <= set(REGIONS), (iid, cond)
            if cond["measure"] == "categories":
                assert cond["op"] == "includes", (iid, cond)
            if cond["measure"] == "subset":  # of an indicator listed earlier
                earlier = list(indicators)[: list(indicators).index(iid)]
                assert cond["of"] in earlier, (iid, cond)
            if "op" in cond or cond["measure"] not in ("subset", "years_covered"):
                _check_condition_op(iid, cond)


def test_grouped_by_direction(catalogue: dict[str, Any]) -> None:
    """Indicators of one direction are contiguous, in the order of the directions tables."""
    order: list[str] = []
    for ind in catalogue["indicator"]:
        direction = ind["id"].split(".", 1)[0]
        if not order or order[-1] != direction:
            assert direction not in order, f"{direction} indicators are not contiguous"
            order.append(direction)
    assert order == list(catalogue["directions"])


# --- (e) spot checks of thresholds against the call -----------------------------------------

SPOT_CHECKS = [
    # id, op, threshold, unit — each read off the call text by hand
    ("geoglam.basemap_accuracy", ">=", 90, "%"),  # 总体精度 ≥ 90%
    ("geoglam.basemap_countries", ">=", 6, "count"),  # 至少 6 个典型非洲和亚洲国家
    ("geoglam.basemap_resolution", "between", [2, 5], "m"),  # 2—5 米分辨率
    ("geoglam.croptype_classes", ">=", 10, "count"),  # 作物类型 ≥ 10 种
    ("pest.hotspot_resolution", "<", 10, "m"),  # 空间分辨率优于10米
    ("pest.warning_lead", ">=", 15, "days"),  # 提前15天前哨预警
    ("eco_env.landcover_accuracy", ">", 85, "%"),  # 精度优于 85%
    ("eco_env.global_variable_resolution", "<", 500, "m"),  # 优于 500 米
    ("wildfire.burned_area_resolution", "<=", 300, "m"),  # 分辨率不低于 300 米
    ("wildfire.emission_models", ">=", 20, "count"),  # 不少于 20 个模式
    ("karst.data_countries", ">=", 15, "count"),  # 不少于 15 国
    ("night_light.application_area", ">=", 2_000_000, "km2"),  # 不低于 200 万平方公里
    ("uav.network_capacity", ">=", 10_000, "count"),  # 10000 架无人机入网能力
    ("urban_heat.local_matching", ">=", 2, "ratio"),  # 不低于 1:2
    ("zoonosis.host_resolution", "<=", 300, "m"),  # ≤ 300 米
    ("zoonosis.host_period", "covers", [1992, 2020], "year"),  # 1992—2020 年
    ("sat_interp.demo_area", ">=", 300_000, "km2"),  # 不少于30万平方公里
    ("ghg.xco2_precision", "<", 4, "ppm"),  # XCO₂优于4 ppm
    ("ghg.xch4_precision", "<", 18, "ppb"),  # XCH₄优于18 ppb
    ("ghg.no2_precision", "<", 4.0e15, "molecules/cm2"),  # 优于 4.0×10^15 molecules/cm²
    ("ghg.onboard_latency", "<", 10, "s"),  # 时效性优于10s
    ("fengyun.resolution", "<", 1000, "m"),  # 百米级
    ("asean_eco.types", ">=", 30, "count"),  # 不少于30种类型
    ("asean_eco.epochs", "includes", [2015, 2020, 2025], "year"),  # 2015—2025年, 每5年
    ("heritage.resolution", "<", 1, "m"),  # 优于 1 米
    ("glof.identification_accuracy", ">=", 90, "%"),  # 识别精度不低于 90%
    ("biomass.ground_survey_area", ">=", 1000, "ha"),  # 1000 公顷
    ("geo_common.member_country_events", ">=", 2, "count"),  # 2~3 场活动 (primary reading)
    ("programme.chinese_journal_share", ">=", 50, "%"),  # 不低于 50%
    ("programme.duration", "<=", 3, "years"),  # 不超过 3 年
]


@pytest.mark.parametrize(
    ("iid", "op", "threshold", "unit"), SPOT_CHECKS, ids=[s[0] for s in SPOT_CHECKS]
)
def test_threshold_spot_checks(
    indicators: dict[str, dict[str, Any]], iid: str, op: str, threshold: Any, unit: str
) -> None:
    ind = indicators[iid]
    assert ind["op"] == op
    assert ind["unit"] == unit
    if isinstance(threshold, list):
        assert list(ind["threshold"]) == threshold
    else:
        assert ind["threshold"] == pytest.approx(threshold, rel=1e-12)


def test_spot_check_semantics(indicators: dict[str, dict[str, Any]]) -> None:
    """The readings of the few non-obvious operators, as decided."""
    lo, hi = indicators["zoonosis.host_period"]["threshold"]
    assert lo <= 1992 and hi >= 2020
    assert {2015, 2020, 2025} <= set(indicators["asean_eco.epochs"]["threshold"])
    assert indicators["wildfire.burned_area_agreement"]["op"] == "report"
    assert "threshold" not in indicators["wildfire.burned_area_agreement"]
    each = indicators["sat_interp.models"]["each"][0]
    assert {k: each[k] for k in ("check", "op", "threshold", "unit")} == {
        "check": "accuracy",
        "op": ">",
        "threshold": 90,
        "unit": "%",
    }
    # disputed readings: the alternatives of indicators.md's readings table
    alternative = indicators["geo_common.member_country_events"]["alternatives"][0]
    assert (alternative["op"], alternative["threshold"]) == ("between", [2, 3])
    assert indicators["glof.demo_areas"]["each"][0]["threshold"] == 100
    assert indicators["glof.demo_areas"]["each"][0]["unit"] == "km2"
