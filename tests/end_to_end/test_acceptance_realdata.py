"""Acceptance tests on real third-party data, end to end through ``geoverify verify``.

Every submission is built in a temporary folder from *copies* of the files in
``../shared/realdata`` (never written into the repository); ``geoverify verify`` runs in a
subprocess exactly as a user runs it, and the assertions read ``report.json``. Expected
figures come from independent computations (rasterio + numpy, geopandas) on the same files.
The whole module skips cleanly when ``../shared/realdata`` is absent.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..conftest import realdata_path

pytestmark = pytest.mark.realdata

WORLDCOVER = ("esa-worldcover", "ESA_WorldCover_10m_2020_v100_N00E006_Map.tif")
NATURAL_EARTH = ("naturalearth", "geopandas-0.14.4", "naturalearth_lowres.shp")
#: a 3072² window over São Tomé island (land, coast and sea), read at full resolution
WORLDCOVER_WINDOW = (5400, 31800, 3072, 3072)  # col_off, row_off, width, height
#: 16 Asian countries, all present in the Natural Earth 1:110m layer
ASIA16 = (
    "BGD", "CHN", "IDN", "IND", "JPN", "KHM", "KOR", "LAO",
    "LKA", "MMR", "MNG", "MYS", "NPL", "PHL", "THA", "VNM",
)  # fmt: skip

PROJECT = """\
[project]
title = "Real-data acceptance submission"
id = "ACCEPT-REALDATA"
directions = {directions}
start = 2026-07-01
end = 2029-06-30
"""

EVIDENCE = """
# Landsat 7 scene (rasterio test data): 300.038 m x 300.042 m pixels
[evidence.wildfire.burned_area_resolution]
raster = "data/RGB.byte.tif"

# CORINE 2006 map against CORINE 2012 as a reference raster on the same grid
[evidence.geoglam.croptype_accuracy]
map = "data/ls250_06.tif"
reference = "data/ls250_12.tif"

# a window of the real ESA WorldCover 2020 tile
[evidence.asean_eco.types]
raster = "data/worldcover_window.tif"

# damaged full-resolution tiles: this indicator alone must be an error
[evidence.asean_eco.resolution]
raster = "data/corrupt.tif"

# Natural Earth polygons of 16 Asian countries
[evidence.karst.data_countries]
vector = "data/asia16.gpkg"
"""

DIRECTIONS = ["wildfire", "geoglam", "asean_eco", "karst"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_verify(submission: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "geoverify", "verify", str(submission), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["indicator"]: r for r in report["results"]}


def write_worldcover_window(dst: Path) -> np.ndarray:
    """Write a full-resolution window of the real WorldCover tile with rasterio."""
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(realdata_path(*WORLDCOVER)) as src:
        window = Window(*WORLDCOVER_WINDOW)
        data = src.read(1, window=window)
        profile = src.profile.copy()
        profile.update(
            width=window.width,
            height=window.height,
            transform=src.window_transform(window),
            tiled=True,
            blockxsize=512,
            blockysize=512,
            compress="deflate",
        )
    with rasterio.open(dst, "w", **profile) as out:
        out.write(data, 1)
    return data


def write_asia16(folder: Path) -> Path:
    """Copy the Natural Earth shapefile, then keep the polygons of 16 Asian countries."""
    import geopandas as gpd

    shp = realdata_path(*NATURAL_EARTH)
    copy = folder / "ne_copy"
    copy.mkdir()
    for part in shp.parent.glob(shp.stem + ".*"):
        shutil.copy2(part, copy / part.name)
    world = gpd.read_file(copy / shp.name)
    asia = world[world["iso_a3"].isin(ASIA16)]
    assert sorted(asia["iso_a3"]) == sorted(ASIA16)
    assert set(asia["continent"]) == {"Asia"}
    out = folder / "asia16.gpkg"
    asia.to_file(out, driver="GPKG")
    shutil.rmtree(copy)
    return out


@pytest.fixture(scope="module")
def accepted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One submission of real files, verified once; the report and the inputs."""
    sources = {
        "RGB.byte.tif": realdata_path("rasterio", "RGB.byte.tif"),
        "corrupt.tif": realdata_path("rasterio", "corrupt.tif"),
        "ls250_06.tif": realdata_path("pylandstats-corine", "ls250_06.tif"),
        "ls250_12.tif": realdata_path("pylandstats-corine", "ls250_12.tif"),
    }
    root = tmp_path_factory.mktemp("accept")
    data = root / "data"
    data.mkdir()
    for name, src in sources.items():
        shutil.copy2(src, data / name)
    worldcover = write_worldcover_window(data / "worldcover_window.tif")
    write_asia16(data)
    submission = root / "submission.toml"
    submission.write_text(
        PROJECT.format(directions=json.dumps(DIRECTIONS)) + EVIDENCE, encoding="utf-8"
    )
    out = root / "out"
    proc = run_verify(submission, "--out", str(out))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {
        "proc": proc,
        "report": report,
        "results": by_id(report),
        "root": root,
        "data": data,
        "out": out,
        "submission": submission,
        "sources": sources,
        "worldcover": worldcover,
    }


# --- the run as a whole ------------------------------------------------------------------------


def test_exit_code_is_1_with_a_fail_and_an_error(accepted: dict[str, Any]) -> None:
    proc = accepted["proc"]
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Traceback" not in proc.stdout


def test_report_has_exactly_the_contract_keys(accepted: dict[str, Any]) -> None:
    report = accepted["report"]
    assert set(report) == {
        "geoverify_version",
        "catalogue",
        "submission",
        "results",
        "summary",
        "run",
    }
    assert report["submission"]["sha256"] == sha256(accepted["submission"])
    assert report["submission"]["directions"] == DIRECTIONS
    result_keys = {
        "indicator", "verdict", "value", "unit", "op", "threshold",
        "ci", "message", "details", "evidence",
    }  # fmt: skip
    for result in report["results"]:
        assert set(result) == result_keys, result["indicator"]
        for entry in result["evidence"]:
            assert set(entry) == {"path", "sha256"}


def test_summary_counts_the_verdicts(accepted: dict[str, Any]) -> None:
    report = accepted["report"]
    verdicts = [r["verdict"] for r in report["results"]]
    assert report["summary"] == {
        **{v: verdicts.count(v) for v in ("pass", "fail", "inconclusive", "missing", "error")},
        "partial": False,
        "left_out": 0,
    }
    # the directions' and the common indicators, each exactly once
    ids = [r["indicator"] for r in report["results"]]
    assert len(ids) == len(set(ids))
    assert {i.split(".")[0] for i in ids} == {*DIRECTIONS, "geo_common", "geo_rules", "programme"}


def test_evidence_checksums_are_those_of_the_real_files(accepted: dict[str, Any]) -> None:
    results = accepted["results"]
    sources = accepted["sources"]
    evidence = {
        e["path"]: e["sha256"] for r in results.values() for e in r["evidence"]
    }
    for name, src in sources.items():
        assert evidence[f"data/{name}"] == sha256(src), name


def test_indicators_without_evidence_are_missing(accepted: dict[str, Any]) -> None:
    given = {
        "wildfire.burned_area_resolution",
        "geoglam.croptype_accuracy",
        "asean_eco.types",
        "asean_eco.resolution",
        "karst.data_countries",
        "programme.duration",  # decided by the project's dates
    }
    for ident, result in accepted["results"].items():
        if ident not in given:
            assert result["verdict"] == "missing", ident


# --- one indicator per real file ---------------------------------------------------------------


def test_landsat_scene_fails_burned_area_resolution(accepted: dict[str, Any]) -> None:
    import rasterio

    with rasterio.open(accepted["sources"]["RGB.byte.tif"]) as src:
        assert src.crs.is_projected
        x_m, y_m = abs(src.transform.a), abs(src.transform.e)
    result = accepted["results"]["wildfire.burned_area_resolution"]
    assert result["verdict"] == "fail"
    assert result["value"] == pytest.approx(max(x_m, y_m), rel=1e-9)
    assert result["value"] == pytest.approx(300.0418, abs=1e-4)
    assert result["unit"] == "m"
    assert (result["op"], result["threshold"]) == ("<=", 300)
    assert result["details"]["rule"] == "≤ 300 m"
    assert result["details"]["x_m"] == pytest.approx(x_m, rel=1e-9)
    assert result["details"]["y_m"] == pytest.approx(y_m, rel=1e-9)
    assert result["ci"] is None
    assert "300.04" in result["message"]
    assert "≤ 300 m" in result["message"]


def test_corine_census_accuracy_equals_numpy(accepted: dict[str, Any]) -> None:
    import rasterio

    with rasterio.open(accepted["sources"]["ls250_06.tif"]) as m:
        mapped = m.read(1)
        assert m.nodata == 255
    with rasterio.open(accepted["sources"]["ls250_12.tif"]) as r:
        reference = r.read(1)
        assert r.nodata == 255
    valid = (mapped != 255) & (reference != 255)
    n = int(valid.sum())
    oa = float((mapped[valid] == reference[valid]).mean())
    labels = np.union1d(np.unique(mapped[valid]), np.unique(reference[valid]))
    index = {int(v): i for i, v in enumerate(labels)}
    matrix = np.zeros((labels.size, labels.size), dtype=np.int64)
    for a, b in zip(mapped[valid].tolist(), reference[valid].tolist(), strict=True):
        matrix[index[a], index[b]] += 1  # rows = map, columns = reference

    result = accepted["results"]["geoglam.croptype_accuracy"]
    details = result["details"]
    # agreement with another CORINE release is a reference product, not ground truth:
    # without the product's declared accuracy it never passes (review finding 1)
    assert result["verdict"] == "inconclusive"
    assert "agreement with a reference product, not accuracy against ground truth" in (
        details["inconclusive_reason"]
    )
    assert result["unit"] == "%"
    assert result["value"] == pytest.approx(100 * oa, rel=1e-12)
    assert details["overall_accuracy"] == pytest.approx(oa, rel=1e-12)
    assert details["design"] == "census"
    assert details["n"] == n == 12298
    assert details["pixels_excluded_nodata"] == mapped.size - n
    assert details["labels"] == [str(int(v)) for v in labels]
    assert np.array_equal(np.asarray(details["confusion_matrix"]), matrix)
    assert result["ci"] is None  # a census has no sampling error
    assert details["overall_accuracy_se"] == 0


def test_worldcover_window_class_count_equals_numpy(accepted: dict[str, Any]) -> None:
    import rasterio

    with rasterio.open(accepted["data"] / "worldcover_window.tif") as src:
        written = src.read(1)
        nodata = src.nodata
    assert nodata == 0
    assert np.array_equal(written, accepted["worldcover"])
    values, counts = np.unique(written[written != nodata], return_counts=True)

    result = accepted["results"]["asean_eco.types"]
    # issue 11: a class counts with >= max(10, 1e-4 x valid pixels) pixels (catalogue params)
    need = max(10, int(np.ceil(1e-4 * counts.sum())))
    kept = values[counts >= need]
    assert result["details"]["pixels_needed"] == need
    assert result["value"] == len(kept)
    assert result["verdict"] == ("pass" if len(kept) >= 30 else "fail")
    assert result["details"]["rule"] == "≥ 30"
    assert result["details"]["pixels_per_class"] == {
        str(int(v)): int(c) for v, c in zip(values, counts, strict=True)
    }


def test_natural_earth_polygons_of_16_asian_countries(accepted: dict[str, Any]) -> None:
    import geopandas as gpd

    layer = gpd.read_file(accepted["data"] / "asia16.gpkg")
    expected = sorted(set(layer["iso_a3"]))
    assert len(expected) == 16

    result = accepted["results"]["karst.data_countries"]
    assert result["value"] == 16
    assert result["verdict"] == "pass"  # ≥ 15
    assert (result["op"], result["threshold"]) == (">=", 15)
    assert sorted(result["details"]["iso3"]) == expected


def test_corrupt_tiff_is_an_error_naming_the_file(accepted: dict[str, Any]) -> None:
    result = accepted["results"]["asean_eco.resolution"]
    assert result["verdict"] == "error"
    assert result["value"] is None
    assert "corrupt.tif" in result["message"]
    # the other evidence of the same run still got real verdicts
    for ident in (
        "wildfire.burned_area_resolution",
        "asean_eco.types",
        "karst.data_countries",
    ):
        assert accepted["results"][ident]["verdict"] in {"pass", "fail"}, ident
    # a reference raster is agreement with a product: at most inconclusive, not an error
    assert accepted["results"]["geoglam.croptype_accuracy"]["verdict"] == "inconclusive"


def test_markdown_and_html_reports_carry_rule_quote_and_checksums(
    accepted: dict[str, Any],
) -> None:
    md = (accepted["out"] / "report.md").read_text(encoding="utf-8")
    html = (accepted["out"] / "report.html").read_text(encoding="utf-8")
    landsat = sha256(accepted["sources"]["RGB.byte.tif"])
    for text in (md, html):
        assert "wildfire.burned_area_resolution" in text
        assert "不低于 300 米" in text  # the call's own wording
        assert landsat in text
        assert "corrupt.tif" in text
    assert "<script src=" not in html and "<link " not in html  # self-contained


# --- exit codes (DESIGN.md) --------------------------------------------------------------------


def _small_submission(folder: Path, evidence: str) -> Path:
    data = folder / "data"
    data.mkdir()
    shutil.copy2(realdata_path("rasterio", "RGB.byte.tif"), data / "RGB.byte.tif")
    submission = folder / "submission.toml"
    submission.write_text(
        PROJECT.format(directions='["wildfire"]') + evidence, encoding="utf-8"
    )
    return submission


def test_exit_3_when_a_partial_run_passes(tmp_path: Path) -> None:
    # issue 11: a pass on one indicator, the others left out, is a partial run (exit 3)
    submission = _small_submission(tmp_path, "")
    proc = run_verify(submission, "--indicator", "programme.duration")
    assert proc.returncode == 3, proc.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["pass"] == 1
    assert report["run"]["partial"] is True
    assert report["run"]["indicators_evaluated"] == ["programme.duration"]


def test_exit_3_when_only_missing_evidence(tmp_path: Path) -> None:
    submission = _small_submission(tmp_path, "")
    proc = run_verify(submission, "--indicator", "wildfire.burned_area_resolution")
    assert proc.returncode == 3, proc.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["results"][0]["verdict"] == "missing"


def test_exit_1_when_the_landsat_scene_fails(tmp_path: Path) -> None:
    evidence = '\n[evidence.wildfire.burned_area_resolution]\nraster = "data/RGB.byte.tif"\n'
    submission = _small_submission(tmp_path, evidence)
    proc = run_verify(submission, "--indicator", "wildfire.burned_area_resolution")
    assert proc.returncode == 1, proc.stderr


def test_exit_2_with_one_line_for_a_typo_in_a_key(tmp_path: Path) -> None:
    evidence = '\n[evidence.wildfire.burned_area_resolution]\nrastr = "data/RGB.byte.tif"\n'
    submission = _small_submission(tmp_path, evidence)
    proc = run_verify(submission)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "submission.toml:" in lines[0] and "rastr" in lines[0]
    assert not (tmp_path / "report").exists()  # nothing written


def test_exit_2_for_a_binary_file_as_submission(tmp_path: Path) -> None:
    binary = tmp_path / "submission.toml"
    shutil.copy2(realdata_path("rasterio", "byte.tif"), binary)
    proc = run_verify(binary)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "submission.toml" in proc.stderr
    assert "Traceback" not in proc.stderr
