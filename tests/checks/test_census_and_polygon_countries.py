"""UX review: a census is exact (per-class SE 0, no interval); small countries count in large
polygon evidence, and one country's polygon counts only that country.

Expected values come from numpy (accuracies) and geopandas / Natural Earth (countries)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.accuracy.measure import accuracy_report, measure_accuracy
from geoverify.checks.countries.measure import countries_of_polygons, measure_countries
from geoverify.cli.accuracy import accuracy
from geoverify.geo.regions import country_boundaries
from geoverify.model.evidence import Evidence
from geoverify.testing.samples.common import write_raster

from ..conftest import realdata_path

CTX = Context(workers=1)

# --------------------------------------------------------------------------- census


@pytest.fixture(scope="module")
def census_pair(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    mapped = rng.integers(1, 5, (60, 80)).astype("uint8")
    reference = mapped.copy()
    flip = rng.random(mapped.shape) < 0.25
    reference[flip] = rng.integers(1, 6, int(flip.sum()))  # class 5 only in the reference
    mapped[:3, :3] = 0  # nodata
    base = tmp_path_factory.mktemp("census")
    t = from_origin(500_000, 2_000_000, 30, 30)
    write_raster(base / "map.tif", mapped, crs="EPSG:32650", transform=t, nodata=0)
    write_raster(base / "ref.tif", reference, crs="EPSG:32650", transform=t, nodata=0)
    valid = mapped != 0
    m, r = mapped[valid].astype(int), reference[valid].astype(int)
    ua = {str(c): float((r[m == c] == c).mean()) for c in range(1, 5)}
    pa = {str(c): float((m[r == c] == c).mean()) for c in range(1, 6)}
    pa["5"] = 0.0  # never mapped, so never right
    return {"base": base, "oa": float((m == r).mean()), "n": int(valid.sum()), "ua": ua,
            "pa": pa}


def _check_census(report: dict[str, Any], pair: dict[str, Any]) -> None:
    assert report["design"] == "census"
    assert report["n"] == pair["n"]
    assert report["overall_accuracy"] == pytest.approx(pair["oa"], rel=1e-12)
    assert report["overall_accuracy_se"] == 0
    assert report["overall_accuracy_ci"] == [pytest.approx(pair["oa"])] * 2  # degenerate
    assert report["labels"] == ["1", "2", "3", "4", "5"]
    for lab, value in pair["ua"].items():
        assert report["users_accuracy"][lab] == pytest.approx(value, rel=1e-12)
        assert report["users_accuracy_se"][lab] == 0
    for lab, value in pair["pa"].items():
        assert report["producers_accuracy"][lab] == pytest.approx(value, rel=1e-12)
        assert report["producers_accuracy_se"][lab] == 0
    # class 5 is never mapped: its user's accuracy (and so its SE) is undefined
    assert report["users_accuracy"]["5"] is None and report["users_accuracy_se"]["5"] is None
    assert "users_accuracy.5" in report["undefined"]
    assert not any(k.endswith("_se." + lab) for k in report.get("undefined", {})
                   for lab in report["labels"])


def test_census_per_class_se_are_zero(census_pair: dict[str, Any]) -> None:
    base = census_pair["base"]
    _check_census(accuracy_report(base / "map.tif", base / "ref.tif"), census_pair)


def test_census_in_verify_details_has_no_interval(census_pair: dict[str, Any]) -> None:
    base = census_pair["base"]
    ev = Evidence("test.accuracy", base, {"map": "map.tif", "reference": "ref.tif"}, "test")
    m = measure_accuracy(ev, {}, CTX)
    assert m.ci is None and m.planner is None
    assert m.value == pytest.approx(100 * census_pair["oa"])
    _check_census(m.details, census_pair)


def test_census_cli_json(census_pair: dict[str, Any]) -> None:
    base = census_pair["base"]
    result = CliRunner().invoke(
        accuracy, [str(base / "map.tif"), str(base / "ref.tif"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    _check_census(json.loads(result.output), census_pair)
    table = CliRunner().invoke(accuracy, [str(base / "map.tif"), str(base / "ref.tif")])
    assert table.exit_code == 0 and "SE 0.00" in table.output


def test_corine_census_per_class_se_zero() -> None:
    import rasterio

    a = realdata_path("pylandstats-corine", "ls250_06.tif")
    b = realdata_path("pylandstats-corine", "ls250_12.tif")
    report = accuracy_report(a, b)
    with rasterio.open(a) as m, rasterio.open(b) as r:
        x, y = m.read(1), r.read(1)
    valid = (x != 255) & (y != 255)
    pa7 = float((x[valid & (y == 7)] == 7).mean())
    assert report["producers_accuracy"]["7"] == pytest.approx(pa7, rel=1e-12)
    assert set(v for v in report["users_accuracy_se"].values() if v is not None) == {0.0}
    assert set(v for v in report["producers_accuracy_se"].values() if v is not None) == {0.0}


# --------------------------------------------------------------------------- countries

#: Natural Earth's "-99" (no ISO code) by name, and its non-ISO codes (territories that the
#: bundled boundaries keep inside another country).
NE_NO_ISO = {"Kosovo": "XKX", "France": "FRA", "Norway": "NOR"}
#: Countries whose Natural Earth polygon legitimately covers a neighbour that Natural Earth
#: does not draw separately or draws differently (not slivers): France holds French Guiana
#: and Andorra, Spain part of Andorra, Israel and Jordan parts of the West Bank, Malaysia the
#: whole capital disc of Singapore (384 km², 0.1% of Malaysia).
NE_COVERS = {
    "FRA": {"GUF", "AND"},
    "ESP": {"AND"},
    "ISR": {"PSE"},
    "JOR": {"PSE"},
    "MYS": {"SGP"},
}
SMALL = ("LUX", "CYP", "LBN", "BRN", "QAT", "JAM", "GMB", "MNE", "TLS", "TTO", "VUT", "PRI")


@pytest.fixture(scope="module")
def natural_earth() -> Any:
    import geopandas as gpd

    ne = gpd.read_file(realdata_path("naturalearth", "geopandas-0.14.4",
                                     "naturalearth_lowres.shp"))
    codes = [NE_NO_ISO.get(n, c) if c == "-99" else c
             for n, c in zip(ne["name"], ne["iso_a3"], strict=True)]
    return ne.assign(iso3=codes)


def test_every_natural_earth_country_counts(natural_earth: Any, tmp_path: Path) -> None:
    bundled = set(country_boundaries()["iso3"])
    expected = set(natural_earth["iso3"]) & bundled
    assert len(expected) >= 170 and set(SMALL) <= expected
    natural_earth.to_file(tmp_path / "world.gpkg", driver="GPKG")
    m = measure_countries(Evidence("t.c", tmp_path, {"vector": "world.gpkg"}, "t"), {}, CTX)
    found = set(m.details["iso3"])
    assert expected <= found, sorted(expected - found)
    # anything more is a territory Natural Earth does not draw on its own, lying in its polygons
    assert found - expected <= set().union(*NE_COVERS.values())
    assert "country's own area" in m.details["counting_rule"]


@pytest.mark.parametrize("iso3", [*SMALL, "DEU", "KEN", "CHE", "RWA"])
def test_one_country_polygon_counts_only_that_country(
    natural_earth: Any, tmp_path: Path, iso3: str
) -> None:
    natural_earth[natural_earth["iso3"] == iso3].to_file(tmp_path / "one.gpkg", driver="GPKG")
    m = measure_countries(Evidence("t.c", tmp_path, {"vector": "one.gpkg"}, "t"), {}, CTX)
    assert m.details["iso3"] == [iso3]
    assert m.value == 1


def test_no_neighbour_slivers_for_any_country(natural_earth: Any) -> None:
    bounds = country_boundaries()
    bundled = set(bounds["iso3"])
    for _, row in natural_earth.iterrows():
        one = natural_earth[natural_earth["iso3"] == row["iso3"]]
        counted = set(countries_of_polygons(one, bounds)["counted"])
        own = {row["iso3"]} & bundled
        assert own <= counted, row["name"]
        assert counted - own <= NE_COVERS.get(row["iso3"], set()), (row["name"], counted)
