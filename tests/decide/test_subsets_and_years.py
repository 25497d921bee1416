"""Conditions of issue 12 item 5: subsets of another indicator, per project year,
several regions at once, outside China.

Every case runs a real manifest through :func:`geoverify.run.verify` (or one
indicator through :func:`geoverify.run.evaluate`); the expected verdicts and the
values outside the subset are worked out by hand from the listed items.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.errors import CatalogueError
from geoverify.io.items import identities, same_item
from geoverify.model import Verdict
from geoverify.model.evidence import Evidence
from geoverify.run import evaluate, verify

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_TEXT = (ROOT / "configs" / "geo_indicators.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _doi(n: int) -> str:
    return f"10.5281/zenodo.{7_700_000 + n}"


def _project(directions: list[str], *, dates: bool = True) -> str:
    text = (
        "[project]\n"
        'title = "Test project"\n'
        'id = "T-1"\n'
        'lead = "Test institute"\n'
        f"directions = {json.dumps(directions)}\n"
    )
    if dates:
        text += "start = 2026-07-01\nend = 2029-06-30\n"
    return text + "\n"


def _items(indicator: str, rows: list[dict[str, Any]]) -> str:
    out = []
    for row in rows:
        out.append(f"[[evidence.{indicator}.items]]")
        out += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in row.items()]
        out.append("")
    return "\n".join(out) + "\n"


def _run(tmp_path: Path, catalogue, text: str, indicators: list[str]) -> dict[str, Any]:
    path = tmp_path / "submission.toml"
    path.write_text(text, encoding="utf-8")
    submission = load_submission(path, catalogue)
    return {r.indicator: r for r in verify(submission, catalogue, indicators=indicators)}


def _also(result, measure_text: str) -> dict[str, Any]:
    rows = [row for row in result.details["also"] if measure_text in row["condition"]]
    assert len(rows) == 1, result.details["also"]
    return rows[0]


# ------------------------------------------------------------------------------ loader


def _catalogue_with(tmp_path: Path, old: str, new: str) -> Path:
    assert old in CATALOGUE_TEXT
    path = tmp_path / "catalogue.toml"
    path.write_text(CATALOGUE_TEXT.replace(old, new, 1), encoding="utf-8")
    return path


_HUMANITARIAN_SUBSET = '{ measure = "subset", field = "identity", of = "night_light.products" }'


def test_the_catalogue_rows_state_the_new_conditions(catalogue) -> None:
    for ident in (
        "night_light.humanitarian_products",
        "night_light.light_pollution_towns",
        "night_light.development_countries",
    ):
        subset = [c for c in catalogue[ident].also if c.measure == "subset"]
        assert [(c.field, c.of, c.op, c.threshold) for c in subset] == [
            ("identity", "night_light.products", "<=", 0)
        ]
        assert "night_light.products" in catalogue[ident].reading
    realtime = catalogue["karst.realtime_countries"]
    assert [(c.measure, c.field, c.of) for c in realtime.also] == [
        ("subset", "country", "karst.data_countries")
    ]
    for ident in ("ghg.annual_reports", "geo_common.progress_to_secretariat"):
        assert [(c.measure, c.field) for c in catalogue[ident].also] == [("years_covered", "year")]
        assert "every calendar year" in catalogue[ident].reading
    demo = catalogue["geo_common.developing_country_demo"]
    assert [c.regions for c in demo.also] == [("asia_oceania", "geo_members", "developing")]
    assert "World Bank" in demo.reading
    fengyun = catalogue["fengyun.countries"]
    assert [c.regions for c in fengyun.also] == [("south_southeast_asia", "geo_members")]
    assert "outside_china" in catalogue["urban_heat.foreign_cities"].also[0].regions
    assert "Taiwan" in catalogue["heritage.countries"].reading


def test_the_loader_rejects_a_subset_of_an_unknown_or_later_indicator(tmp_path) -> None:
    for other in ("night_light.nothing", "night_light.sharing_website"):  # unknown; listed later
        path = _catalogue_with(
            tmp_path,
            _HUMANITARIAN_SUBSET,
            _HUMANITARIAN_SUBSET.replace("night_light.products", other),
        )
        with pytest.raises(CatalogueError, match="not an indicator listed before"):
            load_catalogue(path)


def test_the_loader_wants_of_with_subset_only(tmp_path) -> None:
    path = _catalogue_with(
        tmp_path, _HUMANITARIAN_SUBSET, '{ measure = "subset", field = "identity" }'
    )
    with pytest.raises(CatalogueError, match="'of' goes with measure = 'subset'"):
        load_catalogue(path)
    path = _catalogue_with(
        tmp_path,
        '{ measure = "distinct", field = "town", op = ">=", threshold = 5, unit = "count" }',
        '{ measure = "distinct", field = "town", of = "night_light.products", op = ">=", '
        'threshold = 5, unit = "count" }',
    )
    with pytest.raises(CatalogueError, match="'of' goes with measure = 'subset'"):
        load_catalogue(path)


def test_the_loader_checks_every_region_of_a_list(tmp_path) -> None:
    old = 'region = ["asia_oceania", "geo_members", "developing"]'
    with pytest.raises(CatalogueError, match="unknown region"):
        load_catalogue(_catalogue_with(tmp_path, old, 'region = ["asia_oceania", "poor"]'))
    with pytest.raises(CatalogueError, match="unknown region"):
        load_catalogue(_catalogue_with(tmp_path, old, "region = []"))


def test_also_on_a_non_count_check_is_only_a_subset_of_countries(tmp_path) -> None:
    old = '{ measure = "subset", field = "country", of = "karst.data_countries" }'
    new = '{ measure = "distinct", field = "country", op = ">=", threshold = 1, unit = "count" }'
    with pytest.raises(CatalogueError, match="'each' and 'also' apply only to check = 'count'"):
        load_catalogue(_catalogue_with(tmp_path, old, new))


# ------------------------------------------------------------------ subsets of items


def test_same_item_follows_the_identity_rule(tmp_path) -> None:
    def keys(**item: Any) -> list[str]:
        return identities(Evidence("x.y", tmp_path, item, "t"))

    product = keys(title="Night-light map of Kabul", doi=_doi(1))
    assert same_item(keys(title="Another title", doi=_doi(1).upper()), product)  # same DOI
    assert same_item(keys(title="night-light map of KABUL!"), product)  # same title, no DOI
    # same title, different DOIs: two registered objects, two items
    assert not same_item(keys(title="Night-light map of Kabul", doi=_doi(2)), product)
    assert not same_item(keys(title="Something else", doi=_doi(3)), product)


def _night_light(products: int, assessments: list[dict[str, Any]]) -> str:
    return (
        _project(["night_light"])
        + _items(
            "night_light.products",
            [{"title": f"Product {k + 1}", "doi": _doi(k)} for k in range(products)],
        )
        + _items("night_light.humanitarian_products", assessments)
    )


NL = ["night_light.products", "night_light.humanitarian_products"]


def test_assessments_among_the_products_pass(tmp_path, catalogue) -> None:
    among = [{"title": f"Humanitarian assessment {k + 1}", "doi": _doi(k)} for k in range(5)]
    results = _run(tmp_path, catalogue, _night_light(20, among), NL)
    result = results["night_light.humanitarian_products"]
    assert result.verdict is Verdict.PASS, result.message
    row = _also(result, "not among those of night_light.products")
    assert row["observed"] == [] and row["verdict"] == "pass"
    # the products' identities were kept for the subset: 20 items, each with DOI and title keys
    kept = results["night_light.products"].details["counted_values"]["identity"]
    assert len(kept) == 20 and all(f"doi:{_doi(k)}" in kept[k] for k in range(20))


def test_an_assessment_outside_the_products_fails_and_is_named(tmp_path, catalogue) -> None:
    among = [{"title": f"Humanitarian assessment {k + 1}", "doi": _doi(k)} for k in range(4)]
    stray = {"title": "Assessment published elsewhere", "doi": _doi(999)}
    results = _run(tmp_path, catalogue, _night_light(20, [*among, stray]), NL)
    result = results["night_light.humanitarian_products"]
    assert result.value == 5  # 5 assessments with proofs: the count alone would pass
    assert result.verdict is Verdict.FAIL
    row = _also(result, "not among those of night_light.products")
    assert row["observed"] == ["Assessment published elsewhere"]
    assert result.details["reason"]["code"] == "condition_failed"
    assert "Assessment published elsewhere" in result.message


def test_a_subset_of_missing_products_is_inconclusive_with_the_reason(tmp_path, catalogue) -> None:
    among = [{"title": f"Humanitarian assessment {k + 1}", "doi": _doi(k)} for k in range(5)]
    results = _run(tmp_path, catalogue, _night_light(0, among), NL)
    assert results["night_light.products"].verdict is Verdict.MISSING
    result = results["night_light.humanitarian_products"]
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "night_light.products is missing" in result.message
    assert result.details["reason"]["code"] == "inconclusive"
    # and when the products are left out of the run
    alone = _run(tmp_path, catalogue, _night_light(20, among), NL[1:])
    only = alone["night_light.humanitarian_products"]
    assert only.verdict is Verdict.INCONCLUSIVE
    assert "night_light.products was not evaluated in this run" in only.message


# ------------------------------------------------------- subsets of measured countries

#: Monitoring stations (ISO3, lon, lat), well inside their countries.
STATIONS = [
    ("CHN", 110.29, 25.27),
    ("VNM", 105.98, 20.25),
    ("LAO", 102.45, 19.88),
    ("THA", 98.98, 18.79),
    ("MYS", 101.69, 3.14),
    ("IDN", 110.37, -7.8),
    ("PHL", 121.0, 14.6),
    ("SVN", 14.2, 45.9),
    ("HRV", 15.98, 45.81),
    ("ITA", 12.5, 41.9),
    ("FRA", 1.44, 43.6),
    ("ESP", -3.7, 40.42),
    ("USA", -86.1, 37.19),
    ("MEX", -89.62, 20.97),
    ("BRA", -44.0, -19.9),
    ("AUS", 115.86, -31.95),
]
REALTIME = ["CHN", "VNM", "LAO", "THA", "MYS", "IDN", "SVN", "USA"]


def _karst(tmp_path: Path, data: list[str], realtime: list[str]) -> str:
    for name, chosen in (("data", data), ("realtime", realtime)):
        rows = ["station,lon,lat"] + [f"{c},{lon},{lat}" for c, lon, lat in STATIONS if c in chosen]
        (tmp_path / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return (
        _project(["karst"])
        + '[evidence.karst.data_countries]\nsites = "data.csv"\n\n'
        + '[evidence.karst.realtime_countries]\nsites = "realtime.csv"\n'
    )


KARST = ["karst.data_countries", "karst.realtime_countries"]


def test_realtime_countries_within_the_data_countries_pass(tmp_path, catalogue) -> None:
    every = [c for c, _, _ in STATIONS]
    results = _run(tmp_path, catalogue, _karst(tmp_path, every, REALTIME), KARST)
    assert results["karst.data_countries"].value == 16
    result = results["karst.realtime_countries"]
    assert result.value == 8
    assert result.verdict is Verdict.PASS, result.message
    assert _also(result, "karst.data_countries")["observed"] == []


def test_a_realtime_country_without_data_fails(tmp_path, catalogue) -> None:
    data = [c for c, _, _ in STATIONS if c != "USA"]  # 15 countries: data_countries passes
    results = _run(tmp_path, catalogue, _karst(tmp_path, data, REALTIME), KARST)
    assert results["karst.data_countries"].verdict is Verdict.PASS
    result = results["karst.realtime_countries"]
    assert result.value == 8  # >= 8 alone would pass
    assert result.verdict is Verdict.FAIL
    assert _also(result, "karst.data_countries")["observed"] == ["USA"]


def test_realtime_countries_alone_are_inconclusive_on_the_subset(tmp_path, catalogue) -> None:
    text = _karst(tmp_path, [], REALTIME).replace(
        '[evidence.karst.data_countries]\nsites = "data.csv"\n\n', ""
    )
    results = _run(tmp_path, catalogue, text, KARST)
    assert results["karst.data_countries"].verdict is Verdict.MISSING
    result = results["karst.realtime_countries"]
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "karst.data_countries is missing" in result.message


# ------------------------------------------------------------------- per project year


def _reports(years: list[Any], *, dates: bool = True) -> str:
    return _project(["ghg"], dates=dates) + _items(
        "ghg.annual_reports",
        [
            {"title": f"Annual report {y}", "year": y, "doi": _doi(100 + k)}
            for k, y in enumerate(years)
        ],
    )


def test_a_report_for_every_project_year_passes(tmp_path, catalogue) -> None:
    # 2026-07-01 to 2029-06-30: the calendar years 2026, 2027, 2028 and 2029
    results = _run(tmp_path, catalogue, _reports([2026, 2027, 2028, 2029]), ["ghg.annual_reports"])
    result = results["ghg.annual_reports"]
    assert result.verdict is Verdict.PASS, result.message
    assert _also(result, "project years without an item")["observed"] == []


def test_a_project_year_without_a_report_fails(tmp_path, catalogue) -> None:
    results = _run(tmp_path, catalogue, _reports([2027, 2028, 2030]), ["ghg.annual_reports"])
    result = results["ghg.annual_reports"]
    assert result.verdict is Verdict.FAIL
    assert _also(result, "project years without an item")["observed"] == [2026, 2029]
    assert "2026, 2029" in result.message


def test_years_without_project_dates_are_inconclusive(tmp_path, catalogue) -> None:
    text = _reports([2026, 2027, 2028, 2029], dates=False)
    result = _run(tmp_path, catalogue, text, ["ghg.annual_reports"])["ghg.annual_reports"]
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "gives no start and end" in result.message


def test_a_year_that_is_not_a_year_is_an_error_naming_the_item(tmp_path, catalogue) -> None:
    result = _run(tmp_path, catalogue, _reports([2026, "last year"]), ["ghg.annual_reports"])[
        "ghg.annual_reports"
    ]
    assert result.verdict is Verdict.ERROR
    assert "'Annual report last year'" in result.message
    assert "is not a calendar year" in result.message


# ------------------------------------------------------- several regions, outside China


def _countries(tmp_path: Path, catalogue, ident: str, rows: list[dict[str, Any]]):
    listed = tuple(
        Evidence(ident, tmp_path, {**row, "doi": _doi(200 + k)}, f"item {k + 1}")
        for k, row in enumerate(rows)
    )
    return evaluate(catalogue[ident], Evidence(ident, tmp_path, {}, "t", items=listed))


def test_a_developing_demo_needs_all_three_regions_at_once(tmp_path, catalogue) -> None:
    ident = "geo_common.developing_country_demo"
    lao = _countries(
        tmp_path,
        catalogue,
        ident,
        [{"title": "Demo, Laos", "country": "LAO", "principal_confirmed": 1}],
    )
    assert lao.verdict is Verdict.PASS, lao.message
    # Korea: Asia and a GEO member, but a high-income economy: not developing
    kor = _countries(
        tmp_path,
        catalogue,
        ident,
        [{"title": "Demo, Korea", "country": "KOR", "principal_confirmed": 1}],
    )
    assert kor.verdict is Verdict.FAIL
    assert "asia_oceania ∩ geo_members ∩ developing" in kor.message
    paths = {b["path"] for b in kor.details["bundled_data"]}
    assert "geoverify/data/developing.txt" in paths and "geoverify/data/geo_members.txt" in paths


def test_fengyun_countries_must_be_south_asian_members_each(tmp_path, catalogue) -> None:
    ident = "fengyun.countries"
    # Afghanistan: South Asia, not on the GEO list; France: a member, not in Asia.
    # Two separate conditions counted 3 each; the intersection holds THA and IND only.
    mixed = [{"title": f"Service in {c}", "country": c} for c in ("AFG", "THA", "IND", "FRA")]
    result = _countries(tmp_path, catalogue, ident, mixed)
    assert result.verdict is Verdict.FAIL
    assert result.details["also"][0]["observed"] == ["IND", "THA"]
    members = [{"title": f"Service in {c}", "country": c} for c in ("THA", "PAK", "BGD")]
    assert _countries(tmp_path, catalogue, ident, members).verdict is Verdict.PASS


def test_foreign_cities_must_lie_outside_china(tmp_path, catalogue) -> None:
    ident = "urban_heat.foreign_cities"
    rows = [
        {"title": "Demo, Beijing", "city": "Beijing", "country": "CHN"},
        {"title": "Demo, Hong Kong", "city": "Hong Kong", "country": "HKG"},
        {"title": "Demo, Bangkok", "city": "Bangkok", "country": "THA"},
    ]
    result = _countries(tmp_path, catalogue, ident, rows)
    assert result.value == 3
    assert result.verdict is Verdict.FAIL  # Hong Kong counts with China: 1 foreign city
    assert result.details["also"][0]["observed"] == ["Bangkok"]
    rows[1] = {"title": "Demo, Karachi", "city": "Karachi", "lon": 67.01, "lat": 24.86}
    assert _countries(tmp_path, catalogue, ident, rows).verdict is Verdict.PASS
    rows[1] = {"title": "Demo, somewhere", "city": "Somewhere"}
    error = _countries(tmp_path, catalogue, ident, rows)
    assert error.verdict is Verdict.ERROR
    assert "'Demo, somewhere' gives no country" in error.message


def test_heritage_countries_count_china_with_hong_kong_and_taiwan(tmp_path, catalogue) -> None:
    ident = "heritage.countries"
    greater_china = [{"title": f"Corridor data, {c}", "country": c} for c in ("CHN", "HKG", "TWN")]
    result = _countries(tmp_path, catalogue, ident, greater_china)
    assert result.verdict is Verdict.FAIL
    assert _also(result, "outside_china")["observed"] == []
    silk_road = [{"title": f"Corridor data, {c}", "country": c} for c in ("CHN", "KAZ", "UZB")]
    assert _countries(tmp_path, catalogue, ident, silk_road).verdict is Verdict.PASS
