"""Disputed readings as data: the primary reading decides, every alternative is shown beside it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geoverify.config.catalogue import load_catalogue
from geoverify.decide import decide
from geoverify.errors import CatalogueError
from geoverify.model import Measurement, Verdict

REPO = Path(__file__).resolve().parents[2]
INDICATORS_MD = REPO.parent / "shared" / "docs" / "indicators.md"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _disputed_ids() -> set[str]:
    """Every id named in the first column of indicators.md's readings table."""
    text = INDICATORS_MD.read_text(encoding="utf-8")
    section = text[text.index("## Readings that a reviewer may dispute") :]
    ids: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("| indicators") and "---" not in line:
            ids |= set(re.findall(r"[a-z_]+\.[a-z0-9_]+", line.split("|")[1]))
    return ids


def test_every_disputed_row_of_indicators_md_has_an_alternative(catalogue) -> None:
    if not INDICATORS_MD.is_file():
        pytest.skip(f"{INDICATORS_MD} not available (no ../shared folder)")
    disputed = _disputed_ids()
    assert len(disputed) >= 15, disputed
    without = sorted(i for i in disputed if not catalogue[i].alternatives)
    assert not without, without


def _result(catalogue, ident: str, measurement: Measurement):
    return decide(catalogue[ident], measurement)


def test_1_360_degree_grid_fails_primary_passes_nominal(catalogue) -> None:
    m = Measurement(309.2, "m", details={"nominal_class_m": 300.0})
    r = _result(catalogue, "wildfire.burned_area_resolution", m)
    assert r.verdict is Verdict.FAIL  # the primary reading decides
    rows = {row["id"]: row for row in r.details["readings"]}
    assert rows["primary"]["verdict"] == "fail"
    assert rows["nominal_grid"]["verdict"] == "pass"
    assert r.message.startswith("fail under the primary reading; pass under the nominal grid")


def test_readings_that_agree_are_not_announced(catalogue) -> None:
    m = Measurement(250.0, "m", details={"nominal_class_m": 250.0})
    r = _result(catalogue, "wildfire.burned_area_resolution", m)
    assert r.verdict is Verdict.PASS
    assert {row["verdict"] for row in r.details["readings"]} == {"pass"}
    assert "reading" not in r.message.split(".")[0]


def test_period_with_gaps_fails_covers_but_passes_span(catalogue) -> None:
    years = list(range(1992, 2021))
    m = Measurement([1992, 2020], "year", missing=tuple(years[1:-1]))
    r = _result(catalogue, "zoonosis.host_period", m)
    assert r.verdict is Verdict.FAIL
    assert {row["id"]: row["verdict"] for row in r.details["readings"]}["span"] == "pass"


def test_precision_passes_but_rmse_with_bias_fails(catalogue) -> None:
    """issue 12: "优于 4 ppm" ignored a 6 ppm bias (RMSE 6.09 ppm passed)."""
    m = Measurement(
        1.1,
        "ppm",
        ci=(1.0, 1.2),
        details={"rmse": {"value": 6.09, "ci": [5.9, 6.3]}, "bias": {"value": 6.0}},
    )
    r = _result(catalogue, "ghg.xco2_precision", m)
    assert r.verdict is Verdict.PASS
    rows = {row["id"]: row for row in r.details["readings"]}
    assert rows["rmse"]["verdict"] == "fail"
    assert rows["rmse"]["value"] == pytest.approx(6.09)
    assert "fail under the accuracy (RMSE, bias included) reading" in r.message


def test_an_alternative_without_its_quantity_does_not_apply(catalogue) -> None:
    r = _result(catalogue, "ghg.xco2_precision", Measurement(1.1, "ppm", ci=(1.0, 1.2)))
    assert r.verdict is Verdict.PASS
    rows = {row["id"]: row for row in r.details["readings"]}
    assert rows["rmse"]["verdict"] == "not applicable"
    assert "rmse.value" in rows["rmse"]["sentence"]
    assert "reading" not in r.message.split(".")[0]  # not announced as a dispute


@pytest.mark.parametrize(
    ("ident", "value", "primary", "alternative"),
    [
        ("heritage.resolution", 1.0, "fail", "pass"),  # 优于 1 米: strict vs 1 m accepted
        ("geoglam.basemap_resolution", 1.0, "fail", "pass"),  # 2—5 米: a 1 m map
        ("urban_heat.local_matching", 1.0, "fail", "pass"),  # 1:2 read both ways
        ("wildfire.burned_area_coverage", 97.0, "fail", "pass"),  # 99% vs 95% of the land
        ("geo_common.member_country_events", 4, "pass", "fail"),  # four events, "2~3 场"
        ("programme.chinese_journal_share", 40.0, "fail", "pass"),  # 原则上: a guideline
    ],
)
def test_primary_and_alternative_verdicts(catalogue, ident, value, primary, alternative) -> None:
    ind = catalogue[ident]
    r = _result(catalogue, ident, Measurement(value, ind.unit))
    assert str(r.verdict) == primary
    rows = r.details["readings"]
    assert rows[0]["primary"] and rows[0]["verdict"] == primary
    assert rows[1]["verdict"] == alternative
    assert r.details["reading"] == ind.reading


def test_indicators_command_lists_the_alternatives() -> None:
    from click.testing import CliRunner

    from geoverify.cli.main import main

    out = CliRunner().invoke(main, ["indicators", "--direction", "wildfire"]).output
    assert "disputed — nominal grid class: ≤ 300 m on nominal_class_m" in out
    js = CliRunner().invoke(main, ["indicators", "--format", "json"]).output
    assert '"alternatives"' in js


def test_loader_rejects_a_malformed_alternative(tmp_path: Path) -> None:
    source = (REPO / "configs" / "geo_indicators.toml").read_text(encoding="utf-8")
    bad = source.replace('id = "land_95"', 'id = "land_95", colour = "red"', 1)
    path = tmp_path / "catalogue.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    message = str(info.value)
    before = bad[: bad.index('colour = "red"')]
    line = before[: before.rindex("alternatives = [")].count("\n") + 1  # the key's line
    assert message.startswith(f"{path}:{line}: "), message
    assert "wildfire.burned_area_coverage" in message
    assert "unknown key 'colour'" in message


def test_reports_show_the_dispute_in_json_markdown_and_html(tmp_path: Path) -> None:
    """A 1/360° grid (≈ 309 m at the equator) against "≤ 300 m", end to end."""
    import json

    import numpy as np
    import rasterio
    from click.testing import CliRunner
    from rasterio.transform import from_origin

    from geoverify.cli.main import main

    folder = tmp_path / "sub"
    (folder / "data").mkdir(parents=True)
    data = np.random.default_rng(3).integers(0, 2, (64, 64), dtype=np.uint8)
    with rasterio.open(
        folder / "data" / "ba.tif", "w", driver="GTiff", width=64, height=64, count=1,
        dtype="uint8", crs="EPSG:4326", transform=from_origin(10.0, 0.1, 1 / 360, 1 / 360),
    ) as dst:
        dst.write(data, 1)
    (folder / "submission.toml").write_text(
        '[project]\ntitle = "readings"\ndirections = ["wildfire"]\n\n'
        '[evidence.wildfire.burned_area_resolution]\nraster = "data/ba.tif"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    CliRunner().invoke(
        main,
        ["verify", str(folder / "submission.toml"), "--out", str(out),
         "--indicator", "wildfire.burned_area_resolution"],
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (result,) = report["results"]
    assert result["verdict"] == "fail"
    assert result["value"] == pytest.approx(309.2, abs=0.1)  # geodesic, near the equator
    rows = {r["id"]: r for r in result["details"]["readings"]}
    assert rows["nominal_grid"]["verdict"] == "pass"
    assert result["details"]["nominal_class_m"] == 300.0
    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    for text in (md, html):
        assert "nominal grid class" in text
        assert "Readings (the primary decides" in text
