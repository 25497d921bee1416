"""Sealed reference samples: design → draw → label → verify (issue 15, items 3 and 5).

The round trip draws a seeded stratified sample from a small synthetic map, labels
every unit from a reference raster whose wall-to-wall agreement with the map is
known exactly (counted over every valid pixel), verifies it through the accuracy
check — seal verified, design taken from the seal — and counts how often the 95%
interval contains the wall-to-wall overall accuracy.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin
from shapely.geometry import Point

from geoverify.checks import Context
from geoverify.checks.accuracy.measure import DECLARED, accuracy_report, measure_accuracy
from geoverify.checks.accuracy.sealed import find_seal
from geoverify.cli.main import main
from geoverify.errors import EvidenceError
from geoverify.io.draw import count_strata, draw_sample, sample_table, write_sample
from geoverify.io.seal import design_checksum, seal_record, write_seal
from geoverify.model.evidence import Evidence

CTX = Context(workers=1)
#: An equal-area grid (EASE-Grid 2.0), so that pixel areas are exact and cheap.
CRS = "EPSG:6933"
ALLOCATION = {"1": 40, "2": 35, "3": 25}
#: The consensus labels of the two-interpreter test (see ``test_two_interpreters``).
CANNOT = "cannot tell"


def _write(path: Path, array: np.ndarray) -> Path:
    profile = {
        "driver": "GTiff",
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": "uint8",
        "nodata": 0,
        "crs": CRS,
        "transform": from_origin(1_000_000, 4_000_000, 100, 100),
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(array, 1)
    return path


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 60 x 80 map (classes 1-3, a nodata corner) and a reference raster.

    The reference confuses classes at rates that differ by class (8%, 25%, 40%),
    so the strata differ in accuracy, as in a real map.
    """
    base = tmp_path_factory.mktemp("sealed")
    rng = np.random.default_rng(7)
    m = rng.choice([1, 2, 3], size=(60, 80), p=[0.6, 0.3, 0.1]).astype(np.uint8)
    m[:5, :10] = 0
    ref = m.copy()
    u = rng.random(m.shape)
    ref[(m == 1) & (u < 0.08)] = 2
    ref[(m == 2) & (u < 0.25)] = 1
    ref[(m == 3) & (u < 0.40)] = 2
    valid = m > 0
    # the truth, exactly: every valid pixel pair counted
    oa = float(np.count_nonzero(m[valid] == ref[valid])) / float(np.count_nonzero(valid))
    _write(base / "map.tif", m)
    _write(base / "reference.tif", ref)
    other = m.copy()
    other[10, 10] = 3 if other[10, 10] != 3 else 1
    _write(base / "other_map.tif", other)
    return {"base": base, "map": m, "ref": ref, "oa": oa}


def _read_reference(path: Path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read(1)


def _draw_labelled(
    base: Path,
    out: Path,
    seed: int,
    *,
    formats: tuple[str, ...] = ("csv",),
    counts: Any = None,
    interpreters: int = 1,
) -> Path:
    """Draw, label every unit from the reference raster, write and seal; the seal's path."""
    map_path = str(base / "map.tif")
    drawn = draw_sample(
        map_path, design="stratified", seed=seed, allocation=ALLOCATION, workers=1, counts=counts
    )
    table = sample_table(drawn, interpreters=interpreters)
    reference = _read_reference(base / "reference.tif")  # read at each drawn unit
    labels = [str(int(reference[r, c])) for r, c in zip(drawn.units["row"], drawn.units["col"],
                                                         strict=True)]
    names = ["reference"] if interpreters == 1 else [f"reference_{i + 1}" for i in
                                                     range(interpreters)]
    for name in names:
        table[name] = labels
    files = write_sample(table, out, formats=formats)
    record = seal_record(
        drawn,
        map_path=map_path,
        band=1,
        nodata=0.0,
        strata_path=None,
        strata_band=1,
        shape="point",
        allocation_method=None,
        min_per_stratum=None,
        files=files,
        reference_columns=names,
    )
    write_seal(out / "design.json", record)
    return out / "design.json"


def test_round_trip_intervals_cover_the_wall_to_wall_truth(
    pair: dict[str, Any], tmp_path: Path
) -> None:
    """200 seeded repetitions: the 95% interval contains the exact OA in >= 93% of them."""
    base, truth = pair["base"], pair["oa"]
    counts = count_strata(str(base / "map.tif"), workers=1)
    assert counts.totals == {
        k: int(np.count_nonzero(pair["map"] == k)) for k in (1, 2, 3)
    }
    start = time.perf_counter()
    covered, estimates = 0, []
    for seed in range(200):
        out = tmp_path / "sample"
        seal = _draw_labelled(base, out, seed, counts=counts)
        report = accuracy_report(base / "map.tif", out / "sample.csv", design_file=seal,
                                 workers=1)
        assert report["design_source"] == "sealed"
        assert report["seal"]["seed"] == seed
        assert report["n"] == sum(ALLOCATION.values())
        low, high = report["overall_accuracy_ci"]
        covered += low <= truth <= high
        estimates.append(report["overall_accuracy"])
    elapsed = time.perf_counter() - start
    assert covered / 200 >= 0.93, f"coverage {covered / 200:.3f} (truth {truth:.4f})"
    # the stratified estimator is unbiased: the mean of 200 estimates is near the truth
    # (its SE is about 0.03 / sqrt(200) = 0.002: 4 SE)
    assert abs(float(np.mean(estimates)) - truth) < 0.01
    assert elapsed < 60, f"{elapsed:.1f} s"


def test_sealed_report_names_the_seal_and_takes_the_design_from_it(
    pair: dict[str, Any], tmp_path: Path
) -> None:
    base = pair["base"]
    seal = _draw_labelled(base, tmp_path / "s", 11, formats=("gpkg", "csv"))
    record = json.loads(seal.read_text())
    (tmp_path / "map.tif").write_bytes((base / "map.tif").read_bytes())
    # the manifest declares a simple random sample: the seal overrides it
    evidence = Evidence(
        "test.accuracy",
        tmp_path,
        {"map": "map.tif", "reference": "s/sample.gpkg", "design_file": "s/design.json"},
        "test",
        (),
    )
    m = measure_accuracy(evidence, {}, CTX)
    d = m.details
    assert d["design_source"] == "sealed"
    assert d["design"] == "stratified"
    assert "Olofsson" in d["estimator"]
    sha = hashlib.sha256((base / "map.tif").read_bytes()).hexdigest()
    assert d["seal"]["map_sha256"] == sha
    assert d["seal"]["design_sha256"] == record["design_sha256"]
    assert d["seal"]["allocation"] == ALLOCATION
    assert d["seal"]["redrawn"] is True
    assert "design sealed by design.json" in m.message
    assert f"verified (seal sha256 {record['design_sha256'][:16]}" in m.message
    assert f"sha256 {sha[:16]}" in m.message
    # the strata sizes N_h are the seal's: the weights are N_h / N
    sizes = {k: int(np.count_nonzero(pair["map"] == int(k))) for k in ALLOCATION}
    total = sum(sizes.values())
    for k, n_h in sizes.items():
        assert d["weights"][k] == pytest.approx(n_h / total, rel=1e-12)
    # the same sample found by the rule "design.json beside the sample, sealing its stem"
    assert find_seal(str(tmp_path / "s" / "sample.gpkg")) == str(tmp_path / "s" / "design.json")
    auto = accuracy_report(base / "map.tif", tmp_path / "s" / "sample.gpkg", workers=1)
    assert auto["design_source"] == "sealed"
    assert auto["overall_accuracy"] == pytest.approx(d["overall_accuracy"], rel=1e-12)
    # a sample of another name beside it is not sealed by it
    (tmp_path / "s" / "mine.gpkg").write_bytes((tmp_path / "s" / "sample.gpkg").read_bytes())
    assert find_seal(str(tmp_path / "s" / "mine.gpkg")) is None


def test_declared_sample_is_labelled_not_verified(pair: dict[str, Any], tmp_path: Path) -> None:
    base = pair["base"]
    seal = _draw_labelled(base, tmp_path / "s", 12, formats=("gpkg",))
    seal.unlink()  # the same units, handed in without their seal
    (tmp_path / "map.tif").write_bytes((base / "map.tif").read_bytes())
    evidence = Evidence(
        "test.accuracy",
        tmp_path,
        {"map": "map.tif", "reference": "s/sample.gpkg", "design": "stratified"},
        "test",
        (),
    )
    m = measure_accuracy(evidence, {}, CTX)
    assert m.details["design_source"] == "declared"
    assert "seal" not in m.details
    assert DECLARED == "design declared by the submitter, not verified"
    assert DECLARED in m.message


@pytest.mark.parametrize("tamper", ["seed", "seed_resealed", "moved", "other_map", "units"])
def test_tampered_seal_is_refused(pair: dict[str, Any], tmp_path: Path, tamper: str) -> None:
    base = pair["base"]
    out = tmp_path / "s"
    seal = _draw_labelled(base, out, 21, formats=("gpkg",))
    map_path = base / "map.tif"
    sample = out / "sample.gpkg"
    record = json.loads(seal.read_text())
    if tamper == "seed":  # an edited seed: the design file's own checksum fails
        record["seed"] = 22
        seal.write_text(json.dumps(record))
        match = "design file was altered"
    elif tamper == "seed_resealed":  # edited and re-checksummed: the redraw differs
        record["seed"] = 22
        record["design_sha256"] = design_checksum(record)
        seal.write_text(json.dumps(record))
        match = "sealed seed 22"
    elif tamper == "moved":  # one point moved to a neighbouring pixel
        frame = gpd.read_file(sample)
        point = frame.geometry.iloc[3]
        frame.loc[3, "geometry"] = Point(point.x + 100.0, point.y)  # one pixel east
        frame.to_file(sample, driver="GPKG")
        match = "outside their sealed pixel"
    elif tamper == "other_map":
        map_path = base / "other_map.tif"
        match = "differs from the sealed map"
    else:  # a unit's row edited in the table
        frame = gpd.read_file(sample)
        frame.loc[0, "row"] = int(frame.loc[0, "row"]) + 1
        frame.to_file(sample, driver="GPKG")
        match = "units differ from the sealed ones"
    with pytest.raises(EvidenceError, match=match):
        accuracy_report(map_path, sample, design_file=seal, workers=1)


def test_verify_gives_error_for_a_tampered_sample(pair: dict[str, Any], tmp_path: Path) -> None:
    """Through `geoverify verify`: a sealed sample passes its seal, a moved unit is an error."""
    base = pair["base"]
    sub = tmp_path / "sub"
    (sub / "data").mkdir(parents=True)
    (sub / "data" / "map.tif").write_bytes((base / "map.tif").read_bytes())
    _draw_labelled(base, sub / "data" / "sample", 31, formats=("gpkg",))
    (sub / "submission.toml").write_text(
        '[project]\ntitle = "sealed sample"\nid = "T-SEAL"\nlead = "test"\n'
        'directions = ["eco_env"]\nstart = 2026-07-01\nend = 2029-06-30\n\n'
        "[evidence.eco_env.landcover_accuracy]\n"
        'map = "data/map.tif"\nreference = "data/sample/sample.gpkg"\n'
        'design_file = "data/sample/design.json"\n',
        encoding="utf-8",
    )

    def result() -> dict[str, Any]:
        out = tmp_path / f"out{time.perf_counter_ns()}"
        CliRunner().invoke(
            main,
            ["verify", str(sub / "submission.toml"), "--out", str(out), "-q", "--indicator",
             "eco_env.landcover_accuracy"],
        )
        report = json.loads((out / "report.json").read_text())
        found = [r for r in report["results"] if r["indicator"] == "eco_env.landcover_accuracy"]
        assert len(found) == 1, report
        return dict(found[0])

    good = result()
    assert good["verdict"] in ("pass", "fail", "inconclusive")
    assert "design sealed by design.json" in good["message"]
    frame = gpd.read_file(sub / "data" / "sample" / "sample.gpkg")
    frame.loc[0, "id"] = 999
    frame.to_file(sub / "data" / "sample" / "sample.gpkg", driver="GPKG")
    bad = result()
    assert bad["verdict"] == "error"
    assert "units differ from the sealed ones" in bad["message"]


def test_two_interpreters_consensus_exclusions_and_agreement(
    pair: dict[str, Any], tmp_path: Path
) -> None:
    base = pair["base"]
    out = tmp_path / "s"
    _draw_labelled(base, out, 41, formats=("csv",), interpreters=2)
    frame = pd.read_csv(out / "sample.csv", dtype=str, keep_default_na=False)
    # unit 1: the second interpreter cannot tell; unit 2: they disagree (a tie, excluded);
    # unit 3: both cannot tell (excluded); unit 4: blank for both (excluded, unlabelled)
    frame.loc[0, "reference_2"] = CANNOT
    frame.loc[1, "reference_2"] = "3" if frame.loc[1, "reference_1"] != "3" else "1"
    frame.loc[2, ["reference_1", "reference_2"]] = ["?", "Cannot tell"]
    frame.loc[3, ["reference_1", "reference_2"]] = ["", ""]
    frame.to_csv(out / "sample.csv", index=False)
    report = accuracy_report(base / "map.tif", out / "sample.csv", workers=1)
    assert report["design_source"] == "sealed"
    assert report["reference_columns"] == ["reference_1", "reference_2"]
    assert report["samples_cannot_tell"] == 1
    assert report["samples_tied"] == 1
    assert report["samples_without_reference"] == 1
    assert report["n"] == 100 - 3  # unit 1 keeps the first interpreter's label
    response = report["response_design"]
    assert response["excluded"] == {"tie": 1, "cannot_tell": 1, "unlabelled": 1}
    pairs = response["agreement"]["pairs"]
    # both labelled usably: 97 units (units 1, 3 and 4 lack a usable pair); 96 agree
    assert pairs[0]["units"] == 97
    assert pairs[0]["percent_agreement"] == pytest.approx(96 / 97, rel=1e-12)


def test_cli_accuracy_design_file(pair: dict[str, Any], tmp_path: Path) -> None:
    base = pair["base"]
    seal = _draw_labelled(base, tmp_path / "s", 51, formats=("csv",))
    result = CliRunner().invoke(
        main,
        ["accuracy", str(base / "map.tif"), str(tmp_path / "s" / "sample.csv"),
         "--design-file", str(seal), "--format", "json", "--workers", "1"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["design_source"] == "sealed"
    assert report["seal"]["seed"] == 51
    table = CliRunner().invoke(
        main,
        ["accuracy", str(base / "map.tif"), str(tmp_path / "s" / "sample.csv"),
         "--design-file", str(seal), "--workers", "1"],
    )
    assert table.exit_code == 0, table.output
    assert "design sealed by design.json" in table.output
    # another map: one line on stderr, exit status 2
    bad = CliRunner().invoke(
        main,
        ["accuracy", str(base / "other_map.tif"), str(tmp_path / "s" / "sample.csv"),
         "--design-file", str(seal)],
    )
    assert bad.exit_code == 2
    assert "differs from the sealed map" in bad.output
