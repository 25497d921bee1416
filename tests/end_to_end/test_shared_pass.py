"""Issue 16: checks of a run that scan the same raster share one pass.

The wildfire sample is rewritten so that the coverage and the agreement both
scan the native 250 m tile: the run reads it once (``SharedScans.passes``),
and the figures equal those of each indicator evaluated on its own (counts
exactly, areas to 1e-12).  When the shared pass cannot run (the reference on
another grid), each indicator scans on its own and reports its own error.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from geoverify.checks import Context
from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.io.shared import SharedScans
from geoverify.model import Verdict
from geoverify.run import evaluate, verify
from geoverify.testing import assert_reports_equal

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_rasters" / "wildfire_pass"
COVERAGE, AGREEMENT = "wildfire.burned_area_coverage", "wildfire.burned_area_agreement"


def _submission(tmp_path: Path, reference: str) -> Path:
    if not SAMPLE.exists():
        pytest.skip("sample_rasters/wildfire_pass not generated")
    folder = tmp_path / "wildfire"
    shutil.copytree(SAMPLE, folder)
    toml = folder / "submission.toml"
    text = toml.read_text(encoding="utf-8")
    text = re.sub(
        r"\[evidence\.wildfire\.burned_area_coverage\]\n(?:[^\[]*\n)*?(?=\n\[)",
        '[evidence.wildfire.burned_area_coverage]\nraster = "data/ba_tile_250m.tif"\n',
        text,
    )
    text = text.replace('reference = "data/ref_tile_250m.tif"', f'reference = "{reference}"')
    toml.write_text(text, encoding="utf-8")
    return toml


def _verify_both(tmp_path: Path, reference: str) -> tuple[Any, Any, SharedScans, dict[str, Any]]:
    """Catalogue, submission, the run's shared scans and the results of coverage + agreement."""
    catalogue = load_catalogue()
    submission = load_submission(_submission(tmp_path, reference), catalogue)
    shared = SharedScans()
    context = Context(workers=2, shared=shared)
    results = verify(submission, catalogue, context=context, indicators=[COVERAGE, AGREEMENT])
    return catalogue, submission, shared, {r.indicator: r for r in results}


def test_coverage_and_agreement_share_one_pass(tmp_path: Path):
    catalogue, submission, shared_scans, shared_results = _verify_both(
        tmp_path, "data/ref_tile_250m.tif"
    )
    assert len(shared_scans.passes) == 1
    one = shared_scans.passes[0]
    assert one["rasters"] == 2  # product and reference, read together
    assert sorted(tuple(k) for k in one["requests"]) == [
        (AGREEMENT, "agreement"),
        (COVERAGE, "land_coverage"),
    ]
    for ident in (COVERAGE, AGREEMENT):
        alone = evaluate(catalogue[ident], submission.evidence[ident], context=Context(workers=2))
        shared = shared_results[ident]
        assert shared.verdict == alone.verdict != Verdict.ERROR, shared.message
        # every figure, count and string of the result (floats to a relative 1e-12)
        assert_reports_equal(shared.to_dict(), alone.to_dict(), rtol=1e-12, name=ident)


def test_a_reference_on_another_grid_falls_back_to_separate_scans(tmp_path: Path):
    _, _, shared_scans, results = _verify_both(tmp_path, "data/ba_global_1deg_2027.tif")
    assert shared_scans.passes == []
    assert results[COVERAGE].verdict is not Verdict.ERROR, results[COVERAGE].message
    assert results[AGREEMENT].verdict is Verdict.ERROR
    assert "grid differs" in results[AGREEMENT].message
    assert "ba_global_1deg_2027.tif" in results[AGREEMENT].message


def test_classes_and_area_of_one_map_share_one_pass(tmp_path: Path):
    """The classes and the valid area of the same map: one pass, the same measurements."""
    import numpy as np
    from rasterio.transform import from_origin

    from geoverify.checks.area.measure import measure_area, plan_area
    from geoverify.checks.classes.measure import measure_classes, plan_classes
    from geoverify.model.evidence import Evidence
    from geoverify.testing.samples.common import write_raster

    rng = np.random.default_rng(6)
    data = rng.integers(0, 12, (1500, 1800)).astype("uint8")
    write_raster(
        tmp_path / "map.tif",
        data,
        crs="EPSG:4326",
        transform=from_origin(100, 30, 0.001, 0.001),
        nodata=0,
    )
    classes_ev = Evidence("x.classes", tmp_path, {"raster": "map.tif"}, "t.toml")
    area_ev = Evidence("x.area", tmp_path, {"raster": "map.tif"}, "t.toml")
    params = {"min_pixels": 10}
    shared = SharedScans()
    context = Context(workers=2, shared=shared)
    for request in plan_classes(classes_ev, params, context) + plan_area(area_ev, {}, context):
        shared.plan(request)
    got_classes = measure_classes(classes_ev, params, context)
    got_area = measure_area(area_ev, {}, context)
    assert len(shared.passes) == 1 and shared.passes[0]["rasters"] == 1
    alone = Context(workers=2)
    want_classes = measure_classes(classes_ev, params, alone)
    want_area = measure_area(area_ev, {}, alone)
    assert got_classes.value == want_classes.value == 11
    assert got_classes.details == want_classes.details
    assert got_area.details["valid_pixels"] == want_area.details["valid_pixels"]
    assert got_area.details["valid_pixels"] == int((data != 0).sum())
    assert got_area.value == pytest.approx(want_area.value, rel=1e-12)


def test_the_reports_say_which_indicators_shared_a_pass(tmp_path: Path):
    """report.json's run record lists the shared pass; report.md and report.html show it."""
    import json
    import subprocess
    import sys

    toml = _submission(tmp_path, "data/ref_tile_250m.tif")
    out = tmp_path / "report"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from geoverify.cli.main import main; main()",
            "verify",
            str(toml),
            "--out",
            str(out),
            "-q",
            "--indicator",
            COVERAGE,
            "--indicator",
            AGREEMENT,
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode in (0, 1, 3), proc.stderr
    run = json.loads((out / "report.json").read_text(encoding="utf-8"))["run"]
    (shared,) = run["shared_passes"]
    assert [k[0] for k in shared["requests"]] == [COVERAGE, AGREEMENT]
    line = f"Shared pass: {COVERAGE}, {AGREEMENT}: one read of 2 raster(s)"
    assert line in (out / "report.md").read_text(encoding="utf-8")
    assert line in (out / "report.html").read_text(encoding="utf-8")
