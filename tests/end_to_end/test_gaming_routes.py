"""Routes to a pass that should not be one (issue 11), each closed by a rule the report states.

Duplicated items, padded classes, declarations without data, partial runs that
look whole, and the defence record (reading, bundled data checksums).  Every
expected count below is worked out by hand from the items or pixels written in
the test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin

from geoverify.cli.main import main
from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.errors import CatalogueError
from geoverify.io.items import normalise_doi, normalise_title, normalise_url, proven_items
from geoverify.model import Result, Verdict
from geoverify.model.evidence import Evidence
from geoverify.report import build_report, render_html, render_markdown, run_record
from geoverify.run import evaluate, exit_code

from ..conftest import ROOT

DATA = ROOT / "geoverify" / "data"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def items_evidence(ident: str, folder: Path, items: list[dict]) -> Evidence:
    listed = tuple(Evidence(ident, folder, item, f"item {k + 1}") for k, item in enumerate(items))
    return Evidence(ident, folder, {}, "test", items=listed)


def write_tif(path: Path, array: np.ndarray, *, nodata: float | None = None) -> Path:
    profile = {
        "driver": "GTiff",
        "height": array.shape[0],
        "width": array.shape[1],
        "count": 1,
        "dtype": array.dtype,
        "crs": "EPSG:32648",
        "transform": from_origin(500_000, 1_500_000, 30, 30),
        "nodata": nodata,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------ duplicates


def test_normalised_identities():
    # DOIs are case-insensitive (DOI Handbook 2.4); a doi.org URL or doi: prefix is the same DOI
    assert normalise_doi("https://doi.org/10.5281/ZENODO.1") == "10.5281/zenodo.1"
    assert normalise_doi("doi:10.5281/zenodo.1") == normalise_doi("10.5281/Zenodo.1")
    assert normalise_doi("not a doi") is None
    # host case, default port, fragment, trailing slash and http/https do not tell URLs apart
    same = {
        normalise_url("https://Example.org/model/"),
        normalise_url("http://example.org:80/model#v1"),
        normalise_url("https://example.org:443/model"),
    }
    assert len(same) == 1
    assert normalise_url("https://example.org/model?v=2") != normalise_url(
        "https://example.org/model?v=3"
    )
    assert normalise_title("  GFED  Emission-Model, v4.1s ") == normalise_title(
        "gfed emission model v4 1s"
    )


def test_the_same_doi_three_times_is_one_fire_event(tmp_path, catalogue):
    indicator = catalogue["wildfire.fire_events"]
    assert (indicator.op, indicator.threshold) == (">=", 30)
    items = [{"title": f"Fire process {k}", "doi": f"10.5281/zenodo.70{k:02d}"} for k in range(28)]
    # the DOI of "Fire process 0", written three more ways under other titles
    items += [
        {"title": "Fire process 0 (repeat)", "doi": "https://doi.org/10.5281/ZENODO.7000"},
        {"title": "Fire process 0, again", "doi": "doi:10.5281/zenodo.7000"},
    ]
    result = evaluate(indicator, items_evidence(indicator.id, tmp_path, items))
    # 30 listed (today's count, a pass), 28 distinct: a fail
    assert result.value == 28
    assert result.verdict is Verdict.FAIL
    assert [d["item"] for d in result.details["duplicates"]] == [29, 30]
    assert {d["duplicate_of"] for d in result.details["duplicates"]} == {1}
    assert "same DOI '10.5281/zenodo.7000'" in result.details["duplicates"][0]["reason"]
    assert "2 duplicates not counted" in result.message
    assert "distinct by identity" in result.details["measurement_rule"]


def test_a_paper_listed_twice_does_not_raise_the_chinese_journal_share(tmp_path, catalogue):
    indicator = catalogue["programme.chinese_journal_share"]
    assert (indicator.op, indicator.threshold, indicator.unit) == (">=", 50, "%")
    items = [
        {"title": "Paper A", "group": "chinese_journal", "doi": "10.1000/a"},
        {"title": "Paper B", "group": "other_journal", "doi": "10.1000/b"},
        {"title": "Paper C", "group": "other_journal", "doi": "10.1000/c"},
        # Paper A again, by its title (casing and punctuation differ) and its URL
        {"title": "paper  a.", "group": "chinese_journal", "url": "https://example.org/a"},
    ]
    result = evaluate(indicator, items_evidence(indicator.id, tmp_path, items))
    # 1/3 = 33.3%, not 2/4 = 50%
    assert result.value == pytest.approx(100 / 3, rel=1e-12)
    assert result.verdict is Verdict.FAIL
    assert result.details["numerator"] == 1 and result.details["denominator"] == 3
    assert result.details["duplicates"][0]["duplicate_of"] == 1
    assert "1 duplicates not counted" in result.message


def test_25_copies_of_one_emission_model_are_one_model(tmp_path, catalogue):
    indicator = catalogue["wildfire.emission_models"]
    assert (indicator.op, indicator.threshold) == (">=", 20)
    proof = tmp_path / "model_0.pdf"
    proof.write_bytes(b"%PDF-1.4 one emission dataset\n")
    for k in range(1, 25):
        shutil.copyfile(proof, tmp_path / f"model_{k}.pdf")
    items = [{"title": f"Emission model {k}", "file": f"model_{k}.pdf"} for k in range(25)]
    result = evaluate(indicator, items_evidence(indicator.id, tmp_path, items))
    assert result.value == 1
    assert result.verdict is Verdict.FAIL
    assert len(result.details["duplicates"]) == 24
    assert "same proof-file checksum" in result.details["duplicates"][0]["reason"]


def test_a_corrected_listing_counts(tmp_path):
    items = [
        {"title": "Workshop report", "doi": "not-a-doi"},  # no usable proof: claims nothing
        {"title": "Workshop report", "doi": "10.1000/w"},  # the corrected listing
    ]
    proven = proven_items(items_evidence("x.y", tmp_path, items))
    assert [p.counted for p in proven] == [False, True]
    assert proven[1].duplicate_of is None


# ---------------------------------------------------------------------- padded classes


def _map_21_classes_plus_9_stray(tmp_path: Path) -> Path:
    """200 x 200 pixels: codes 1..21 in bands of 1,904/1,905 pixels, then codes 22..30 once each."""
    array = (np.arange(200 * 200) % 21 + 1).astype(np.uint8).reshape(200, 200)
    array.flat[:9] = np.arange(22, 31, dtype=np.uint8)
    return write_tif(tmp_path / "ecosystems.tif", array)


def test_nine_stray_pixels_do_not_make_30_types(tmp_path, catalogue):
    indicator = catalogue["asean_eco.types"]
    _map_21_classes_plus_9_stray(tmp_path)
    result = evaluate(
        indicator, Evidence(indicator.id, tmp_path, {"raster": "ecosystems.tif"}, "t")
    )
    # 40,000 valid pixels: a class needs max(10, 1e-4 x 40,000 = 4) = 10 pixels
    assert result.details["pixels_needed"] == 10
    assert result.value == 21
    assert result.verdict is Verdict.FAIL
    assert sorted(result.details["below_minimum"], key=int) == [str(c) for c in range(22, 31)]
    assert "below the minimum mapped share" in result.message
    assert "max(10, 0.0001 x valid pixels)" in result.details["measurement_rule"]

    legend = {str(c): f"type {c}" for c in range(1, 31)}  # declaring them changes nothing
    with_legend = evaluate(
        indicator,
        Evidence(indicator.id, tmp_path, {"raster": "ecosystems.tif", "legend": legend}, "t"),
    )
    assert with_legend.value == 21 and with_legend.verdict is Verdict.FAIL

    # the minimum is a catalogue parameter: without it the stray pixels would count
    lax = dataclasses.replace(indicator, params={"min_share": 0.0, "min_pixels": 1})
    padded = evaluate(lax, Evidence(indicator.id, tmp_path, {"raster": "ecosystems.tif"}, "t"))
    assert padded.value == 30


def test_catalogue_states_the_minimum(catalogue):
    for ident in ("asean_eco.types", "geoglam.croptype_classes"):
        assert catalogue[ident].params == {"min_share": 1e-4, "min_pixels": 10}


def test_a_legend_entry_for_nodata_is_not_a_class(tmp_path, catalogue):
    indicator = catalogue["asean_eco.types"]
    array = (np.arange(100 * 310) % 31).astype(np.uint8).reshape(100, 310)  # codes 0..30
    write_tif(tmp_path / "m.tif", array)  # no nodata value: code 0 is a valid pixel
    legend = {"0": "No data", **{str(c): f"type {c}" for c in range(1, 30)}}  # 30 entries
    result = evaluate(
        indicator, Evidence(indicator.id, tmp_path, {"raster": "m.tif", "legend": legend}, "t")
    )
    assert result.value == 29  # 1..29 declared and present; "No data" does not count
    assert result.verdict is Verdict.FAIL
    assert result.details["declared_no_class"] == ["0"]


def test_a_continuous_float_raster_is_refused(tmp_path, catalogue):
    indicator = catalogue["asean_eco.types"]
    g = np.random.default_rng(7)
    write_tif(tmp_path / "ndvi.tif", g.random((120, 120)).astype(np.float32))
    result = evaluate(indicator, Evidence(indicator.id, tmp_path, {"raster": "ndvi.tif"}, "t"))
    assert result.verdict is Verdict.ERROR
    assert "non-integer values" in result.message
    assert "ndvi.tif" in result.message and "classified map" in result.message


def test_a_float_raster_of_integer_codes_is_counted(tmp_path, catalogue):
    indicator = catalogue["asean_eco.types"]
    array = (np.arange(100 * 300) % 30 + 1).astype(np.float32).reshape(100, 300)
    write_tif(tmp_path / "codes.tif", array)
    result = evaluate(indicator, Evidence(indicator.id, tmp_path, {"raster": "codes.tif"}, "t"))
    assert result.value == 30 and result.verdict is Verdict.PASS


def test_more_than_1000_distinct_values_is_refused(tmp_path, catalogue):
    indicator = catalogue["asean_eco.types"]
    array = (np.arange(120 * 100) % 1200).astype(np.int16).reshape(120, 100)  # 10 pixels each
    write_tif(tmp_path / "dem.tif", array)
    result = evaluate(indicator, Evidence(indicator.id, tmp_path, {"raster": "dem.tif"}, "t"))
    assert result.verdict is Verdict.ERROR
    assert "more than 1000 distinct values" in result.message


# -------------------------------------------------------------- declarations without data


def test_a_declared_country_list_does_not_pass_realtime_countries(tmp_path, catalogue):
    indicator = catalogue["karst.realtime_countries"]
    assert indicator.params["from_data"] is True
    declared = ["CHN", "VNM", "LAO", "THA", "MYS", "IDN", "SVN", "USA", "MEX"]
    result = evaluate(indicator, Evidence(indicator.id, tmp_path, {"countries": declared}, "t"))
    assert result.value == 9  # would meet >= 8
    assert result.verdict is Verdict.INCONCLUSIVE
    assert result.message.startswith("declared, not measured")
    assert result.details["declared_only"] is True
    assert "never passed on declared values" in result.details["declared_rule"]

    short = evaluate(indicator, Evidence(indicator.id, tmp_path, {"countries": ["CHN"]}, "t"))
    assert short.verdict is Verdict.FAIL  # a declaration that misses the rule still fails
    assert short.message.startswith("declared, not measured")


def test_declared_years_do_not_pass_the_epochs(tmp_path, catalogue):
    indicator = catalogue["asean_eco.epochs"]
    result = evaluate(
        indicator, Evidence(indicator.id, tmp_path, {"years": [2015, 2020, 2025]}, "t")
    )
    assert result.value == [2015, 2020, 2025]
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "declared, not measured" in result.message


def test_declared_countries_do_not_top_up_measured_ones(tmp_path, catalogue):
    indicator = catalogue["karst.realtime_countries"]
    (tmp_path / "stations.csv").write_text(
        "station,lon,lat\nK1,110.29,25.27\nK2,105.85,21.03\n", encoding="utf-8"
    )  # Guilin (CHN), Hanoi (VNM)
    declared = ["LAO", "THA", "MYS", "IDN", "SVN", "USA", "MEX"]
    options = {"sites": "stations.csv", "countries": declared}
    result = evaluate(indicator, Evidence(indicator.id, tmp_path, options, "t"))
    assert result.details["iso3"] == ["CHN", "VNM"]
    assert result.verdict is Verdict.FAIL
    assert result.details["declared_ignored"] == {"countries": declared}
    assert "declared_only" not in result.details


def test_the_loader_validates_from_data(tmp_path):
    text = (ROOT / "configs" / "geo_indicators.toml").read_text(encoding="utf-8")
    bad = tmp_path / "catalogue.toml"
    bad.write_text(text.replace("from_data = true", 'from_data = "yes"', 1), encoding="utf-8")
    with pytest.raises(CatalogueError, match="from_data"):
        load_catalogue(bad)


# --------------------------------------------------------------------------- partial runs


def test_a_partial_run_is_labelled_and_exits_3(tmp_path, catalogue):
    submission = ROOT / "sample_rasters" / "karst_pass" / "submission.toml"
    if not submission.exists():
        pytest.skip("sample submission not generated")
    total = len(load_submission(submission, catalogue).indicators(catalogue))
    out = tmp_path / "out"
    chosen = ["karst.demo_countries", "karst.models"]
    args = ["verify", str(submission), "--out", str(out), "-q"]
    result = CliRunner().invoke(main, [*args, *(a for i in chosen for a in ("--indicator", i))])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {r["verdict"] for r in report["results"]} == {"pass"}  # nothing failed ...
    assert result.exit_code == 3, result.output  # ... but the run is partial
    assert f"partial run: 2 of {total} indicators" in result.output
    run = report["run"]
    assert run["partial"] is True
    assert run["indicators_evaluated"] == chosen
    assert len(run["left_out"]) == total - 2 and "karst.realtime_countries" in run["left_out"]
    md = (out / "report.md").read_text(encoding="utf-8")
    assert f"partial run: 2 of {total} indicators evaluated" in md.split("**Summary:**")[0]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"partial run: 2 of {total} indicators evaluated" in html.split("<b>Summary:</b>")[0]


def test_a_whole_run_is_not_partial_and_a_partial_failure_exits_1():
    record = run_record(["geoverify", "verify"], evaluated=["a.b", "a.c"], left_out=[])
    assert record["partial"] is False and record["left_out"] == []
    failed = [Result("a.b", Verdict.FAIL)]
    assert exit_code(failed, partial=True) == 1
    assert exit_code([Result("a.b", Verdict.PASS)], partial=True) == 3
    assert exit_code([Result("a.b", Verdict.PASS)]) == 0


# ------------------------------------------------------------------------ defence record


def test_results_carry_their_reading_and_bundled_data_checksums(tmp_path, catalogue):
    indicator = catalogue["geoglam.basemap_countries"]
    (tmp_path / "sites.csv").write_text("site,lon,lat\nS1,36.82,-1.29\n", encoding="utf-8")
    result = evaluate(indicator, Evidence(indicator.id, tmp_path, {"sites": "sites.csv"}, "t"))
    assert result.details["reading"] == indicator.reading
    used = {b["path"]: b["sha256"] for b in result.details["bundled_data"]}
    assert used == {
        "geoverify/data/countries.json": sha256(DATA / "countries.json"),
        "geoverify/data/country_boundaries.geojson": sha256(DATA / "country_boundaries.geojson"),
    }

    members = catalogue["uav.member_countries"]  # also: distinct countries among GEO members
    items = [
        {"title": f"Network {c}", "country": c, "doi": f"10.1000/{c}"}
        for c in ("CHN", "KEN", "BRA")
    ]
    counted = evaluate(members, items_evidence(members.id, tmp_path, items))
    paths = {b["path"]: b["sha256"] for b in counted.details["bundled_data"]}
    assert paths["geoverify/data/geo_members.txt"] == sha256(DATA / "geo_members.txt")
    assert "geoverify/data/countries.json" in paths
    assert counted.details["reading"] == members.reading


def test_the_report_shows_the_rules_and_bundled_data(tmp_path, catalogue):
    submission = ROOT / "sample_rasters" / "karst_pass" / "submission.toml"
    if not submission.exists():
        pytest.skip("sample submission not generated")
    sub = load_submission(submission, catalogue)
    indicator = catalogue["karst.realtime_countries"]
    result = evaluate(indicator, sub.evidence[indicator.id])
    report = build_report(sub, catalogue, [result])
    md = render_markdown(report, catalogue)
    assert "Declarations: an indicator the catalogue marks as measured from data" in md
    assert "geoverify/data/countries.json (sha256 " + sha256(DATA / "countries.json") in md
    assert "Declarations:" in render_html(report, catalogue)
