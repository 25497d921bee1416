"""The catalogue loader: the bundled catalogue loads, and invalid catalogues fail precisely.

Expectations come from the TOML text itself (read with ``tomllib``) and from the line numbers of
the small catalogues written here, never from the loader under test.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from geoverify.config.catalogue import DEFAULT_CATALOGUE, load_catalogue
from geoverify.errors import CatalogueError

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "configs" / "geo_indicators.toml"

KINDS = {
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


@pytest.fixture(scope="module")
def raw() -> dict:
    with BUNDLED.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def bundled():
    return load_catalogue()


# ------------------------------------------------------------------------------ bundled


def test_default_catalogue_is_the_repository_file():
    assert Path(DEFAULT_CATALOGUE).resolve() == BUNDLED.resolve()


def test_bundled_catalogue_has_127_indicators(raw, bundled):
    assert len(raw["indicator"]) == 127
    assert len(bundled) == 127
    assert list(bundled.indicators) == [t["id"] for t in raw["indicator"]]
    assert set(bundled.directions) == set(raw["directions"])


def test_common_directions_are_those_marked_common(raw, bundled):
    expected = {name for name, table in raw["directions"].items() if table.get("common")}
    assert expected == {"geo_common", "geo_rules", "programme"}
    assert set(bundled.common_directions()) == expected


def test_every_check_kind_is_present(raw):
    assert {t["check"] for t in raw["indicator"]} == KINDS


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_indicator_of_each_kind_round_trips_to_dict(raw, bundled, kind):
    tables = [t for t in raw["indicator"] if t["check"] == kind]
    assert tables
    for table in tables:
        out = bundled[table["id"]].to_dict()
        for key in (
            "id",
            "title",
            "title_zh",
            "section",
            "quote",
            "check",
            "op",
            "unit",
            "wording",
            "reading",
        ):
            assert out[key] == table[key], (table["id"], key)
        assert out["threshold"] == table.get("threshold"), table["id"]
        assert out["direction"] == table["id"].split(".")[0]
        assert out.get("params", {}) == table.get("params", {}), table["id"]
        assert isinstance(out["rule"], str) and out["rule"]
        # JSON round trip: to_dict holds only JSON types
        assert json.loads(json.dumps(out, ensure_ascii=False)) == out


def test_to_dict_keeps_each_and_also(raw, bundled):
    tables = [t for t in raw["indicator"] if "each" in t or "also" in t]
    assert len(tables) == 36
    for table in tables:
        out = bundled[table["id"]].to_dict()
        for key in ("each", "also"):
            given = table.get(key, [])
            got = out.get(key, [])
            assert len(got) == len(given), (table["id"], key)
            for want, have in zip(given, got, strict=True):
                assert {k: have.get(k) for k in want} == want, (table["id"], key)


def test_rules_express_per_item_and_aggregate_conditions(bundled):
    workshops = bundled["geo_common.workshops"].rule()
    assert workshops.startswith("≥ 2")
    assert "participants ≥ 30" in workshops
    assert "foreign_participants ≥ 10" in workshops
    partners = bundled["geo_common.visiting_partners"].rule()
    assert "days" in partners and "30" in partners
    assert bundled["wildfire.burned_area_resolution"].rule() == "≤ 300 m"
    assert bundled["geoglam.basemap_resolution"].rule() == "between (inclusive) 2–5 m"


def test_unknown_indicator_lookup_is_a_catalogue_error(bundled):
    with pytest.raises(CatalogueError, match=r"no indicator 'wildfire\.nope'"):
        bundled["wildfire.nope"]


# ------------------------------------------------------------------ strict validation

HEADER = """\
schema = 1
title = "test catalogue"
source = "test"

[directions.wildfire]
title = "Wildfire"
title_zh = "野火"
section = "1"
common = false
"""

INDICATOR = """
[[indicator]]
id = "wildfire.{name}"
title = "Events"
title_zh = "事件"
section = "1"
quote = "构建不少于 30 个林火过程"
check = "count"
op = ">="
threshold = 30
unit = "count"
wording = "不少于"
reading = "at least 30"
"""


def catalogue_text(*, second: dict[str, str | None] | None = None, extra: str = "") -> str:
    """Two indicators; ``second`` replaces (or with None removes, or adds) lines of the 2nd."""
    first = INDICATOR.format(name="first")
    body = INDICATOR.format(name="second")
    for key, value in (second or {}).items():
        lines = body.splitlines()
        index = next((i for i, line in enumerate(lines) if line.startswith(f"{key} =")), None)
        if index is None:
            if value is not None:
                lines.append(f"{key} = {value}")
        elif value is None:
            del lines[index]
        else:
            lines[index] = f"{key} = {value}"
        body = "\n".join(lines) + "\n"
    return HEADER + first + body + extra


def line_number(text: str, startswith: str, occurrence: int = 1) -> int:
    """1-based number of the ``occurrence``-th line that starts with ``startswith``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(startswith):
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"no line {startswith!r} in the test text")


def second_indicator_line(text: str, startswith: str) -> int:
    """Line number of the first line of the 2nd ``[[indicator]]`` starting with ``startswith``."""
    header = line_number(text, "[[indicator]]", 2)
    if startswith == "[[indicator]]":
        return header
    lines = text.splitlines()
    for number in range(header + 1, len(lines) + 1):
        if lines[number - 1].startswith(startswith):
            return number
    raise AssertionError(f"no line {startswith!r} in the 2nd indicator")


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path, lambda: load_catalogue(path)


def test_small_valid_catalogue_loads(tmp_path):
    _, load = load_text(tmp_path, catalogue_text())
    cat = load()
    assert list(cat.indicators) == ["wildfire.first", "wildfire.second"]
    assert cat["wildfire.second"].threshold == 30


# (case, replacement of the 2nd indicator's lines, line that must be named, message parts)
CASES = [
    (
        "unknown key",
        {"colour": '"red"'},
        "colour =",
        ["wildfire.second", "unknown key 'colour'", "Allowed keys:"],
    ),
    (
        "string threshold",
        {"threshold": '"30"'},
        "threshold =",
        ["wildfire.second", "'threshold' must be", "not str", "Fix the value's type"],
    ),
    (
        "bool threshold",
        {"threshold": "true"},
        "threshold =",
        ["wildfire.second", "'threshold' must be", "not bool", "Fix the value's type"],
    ),
    (
        "number title",
        {"title": "3"},
        "title =",
        ["wildfire.second", "'title' must be str", "not int"],
    ),
    (
        "unknown check kind",
        {"check": '"vibes"'},
        "check =",
        ["wildfire.second", "unknown check kind 'vibes'", "Use one of:", "resolution"],
    ),
    (
        "bad operator",
        {"op": '"=>"'},
        "op =",
        ["wildfire.second", "unknown operator '=>'", "Use one of:", "between"],
    ),
    (
        "between with a number",
        {"op": '"between"', "threshold": "5"},
        "threshold =",
        ["wildfire.second", "'between' needs threshold = [low, high]", "threshold = [2, 5]"],
    ),
    (
        "between with three values",
        {"op": '"between"', "threshold": "[1, 2, 3]"},
        "threshold =",
        ["wildfire.second", "[low, high]"],
    ),
    (
        "between reversed",
        {"op": '"between"', "threshold": "[5, 2]"},
        "threshold =",
        ["wildfire.second", "low <= high"],
    ),
    (
        "includes without a list",
        {"op": '"includes"', "threshold": "2015"},
        "threshold =",
        ["wildfire.second", "'includes' needs a non-empty list", "threshold = [2015"],
    ),
    (
        "includes with an empty list",
        {"op": '"includes"', "threshold": "[]"},
        "threshold =",
        ["wildfire.second", "non-empty list"],
    ),
    (
        "report with a threshold",
        {"op": '"report"'},
        "threshold =",
        ["wildfire.second", "'report' takes no threshold", "Remove the threshold"],
    ),
    (
        ">= without threshold",
        {"threshold": None},
        "[[indicator]]",
        ["wildfire.second", "needs a numeric threshold", "threshold = 90"],
    ),
    (
        "unknown unit",
        {"unit": '"furlong"'},
        "unit =",
        ["wildfire.second", "unknown unit 'furlong'", "Use one of:", "km2"],
    ),
    (
        "undeclared direction",
        {"id": '"geoglam.second"'},
        "id =",
        ["geoglam.second", "[directions.geoglam]", "Declare the direction"],
    ),
    (
        "wording not in quote",
        {"wording": '"以上"'},
        "wording =",
        ["wildfire.second", "'以上' does not occur in the quote", "exactly as the quote"],
    ),
    (
        "each on a non-count",
        {
            "check": '"resolution"',
            "unit": '"m"',
            "each": '[{ field = "x", op = ">=", threshold = 1, unit = "count" }]',
        },
        "each =",
        ["wildfire.second", "'each' and 'also' apply only to check = 'count'", "Remove them"],
    ),
    (
        "also on a non-count",
        {
            "check": '"share"',
            "unit": '"%"',
            "also": '[{ measure = "sum", field = "days", op = ">=", threshold = 1 }]',
        },
        "also =",
        ["wildfire.second", "apply only to check = 'count'"],
    ),
    (
        "each without check or field",
        {"each": '[{ op = ">=", threshold = 1 }]'},
        "each =",
        ["wildfire.second", "exactly one of 'check' or 'field'"],
    ),
    (
        "also with an unknown measure",
        {"also": '[{ measure = "mean", field = "days", op = ">=", threshold = 1 }]'},
        "also =",
        ["wildfire.second", "'also' needs measure"],
    ),
    (
        "param the check kind does not take",
        {"params": '{ region = "mars" }'},
        "params =",
        ["wildfire.second", "the 'count' check takes no param 'region'", "Params of 'count'"],
    ),
    (
        "unknown region in params",
        {"check": '"countries"', "params": '{ region = "mars" }'},
        "params =",
        ["wildfire.second", "param 'region'", "'mars' is not one of", "asia_oceania"],
    ),
    (
        "unknown region in also",
        {
            "also": '[{ measure = "distinct", field = "country", region = "mars", '
            'op = ">=", threshold = 1 }]'
        },
        "also =",
        ["wildfire.second", "unknown region 'mars'", "geo_members"],
    ),
    (
        "bad id",
        {"id": '"Wildfire-Second"'},
        "id =",
        ["Wildfire-Second", "'direction.indicator'", "Rename it"],
    ),
    (
        "missing quote",
        {"quote": None},
        "[[indicator]]",
        ["wildfire.second", "missing 'quote'", "Add `quote = ...`"],
    ),
]


@pytest.mark.parametrize(
    ("second", "line_start", "parts"),
    [pytest.param(c[1], c[2], c[3], id=c[0]) for c in CASES],
)
def test_invalid_indicator_names_file_line_id_and_fix(tmp_path, second, line_start, parts):
    text = catalogue_text(second=second)
    path, load = load_text(tmp_path, text)
    expected_line = second_indicator_line(text, line_start)
    with pytest.raises(CatalogueError) as info:
        load()
    err = info.value
    assert isinstance(err, ValueError)
    message = str(err)
    assert message.startswith(f"{path}:{expected_line}: "), message
    for part in parts:
        assert part in message, (part, message)
    assert err.hint, "every catalogue error carries a fix"


def test_duplicate_id_names_the_second_occurrence(tmp_path):
    text = catalogue_text(second={"id": '"wildfire.first"'})
    path, load = load_text(tmp_path, text)
    expected_line = line_number(text, "id =", 2)
    with pytest.raises(CatalogueError) as info:
        load()
    message = str(info.value)
    assert message.startswith(f"{path}:{expected_line}: ")
    assert "duplicate id 'wildfire.first'" in message
    assert "unique" in message


def test_unknown_key_in_a_direction_names_its_line(tmp_path):
    text = catalogue_text().replace("common = false\n", "common = false\ncolor = 1\n", 1)
    path, load = load_text(tmp_path, text)
    with pytest.raises(CatalogueError) as info:
        load()
    message = str(info.value)
    assert message.startswith(f"{path}:{line_number(text, 'color =')}: ")
    assert "unknown key 'color'" in message and "wildfire" in message


def test_unknown_top_level_key_names_its_line(tmp_path):
    text = catalogue_text().replace('source = "test"\n', 'source = "test"\nversion = 2\n')
    path, load = load_text(tmp_path, text)
    with pytest.raises(CatalogueError) as info:
        load()
    assert str(info.value).startswith(f"{path}:{line_number(text, 'version =')}: ")
    assert "unknown key 'version'" in str(info.value)


def test_wrong_schema_is_refused(tmp_path):
    text = catalogue_text().replace("schema = 1", "schema = 2")
    path, load = load_text(tmp_path, text)
    with pytest.raises(CatalogueError) as info:
        load()
    assert str(info.value).startswith(f"{path}:1: ")
    assert "schema = 1" in str(info.value)


def test_malformed_toml_gives_the_line(tmp_path):
    text = catalogue_text()
    bad_line = line_number(text, "op =", 2)
    lines = text.splitlines()
    lines[bad_line - 1] = 'op = ">='  # unterminated string
    text = "\n".join(lines) + "\n"
    path, load = load_text(tmp_path, text)
    with pytest.raises(CatalogueError) as info:
        load()
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert message.startswith(f"{path}:{bad_line}: "), message
    assert "not valid TOML" in message
    assert "toml.io" in message


def test_not_utf8_and_missing_file(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(catalogue_text().encode("utf-8").replace("野火".encode(), b"\xe9\xe9"))
    with pytest.raises(CatalogueError, match="not UTF-8"):
        load_catalogue(path)
    with pytest.raises(CatalogueError, match="file not found"):
        load_catalogue(tmp_path / "absent.toml")


def test_catalogue_without_indicators_is_refused(tmp_path):
    _, load = load_text(tmp_path, HEADER)
    with pytest.raises(CatalogueError, match=r"no \[\[indicator\]\]"):
        load()
