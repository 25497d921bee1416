"""The wildfire samples: deterministic, small, and each verdict-deciding figure as designed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from geoverify.checks import Context
from geoverify.checks.burned_area.measure import measure_burned_area
from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.stats.sharpness import screen_upsampling
from geoverify.testing.samples.wildfire import build

CATALOGUE = Path(__file__).resolve().parents[2] / "configs" / "geo_indicators.toml"


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("samples")
    build(root)
    return root


def test_build_is_deterministic_and_small(samples: Path, tmp_path: Path):
    build(tmp_path)
    assert _digest(samples) == _digest(tmp_path)
    total = sum(p.stat().st_size for p in samples.rglob("*") if p.is_file())
    assert total < 500_000


def _evidence(samples: Path, name: str, ident: str):
    catalogue = load_catalogue(CATALOGUE)
    sub = load_submission(samples / name / "submission.toml", catalogue)
    return sub.evidence[ident], catalogue[ident].params


def test_coverage_pass_and_fail(samples: Path):
    ev, params = _evidence(samples, "wildfire_pass", "wildfire.burned_area_coverage")
    assert measure_burned_area(ev, params, Context()).value >= 99.0
    ev, params = _evidence(samples, "wildfire_fail", "wildfire.burned_area_coverage")
    assert measure_burned_area(ev, params, Context()).value < 99.0


def test_item_counts(samples: Path):
    ev, _ = _evidence(samples, "wildfire_pass", "wildfire.fire_events")
    assert len(ev.items) >= 30
    ev, _ = _evidence(samples, "wildfire_pass", "wildfire.emission_models")
    assert len(ev.items) >= 20
    ev, _ = _evidence(samples, "wildfire_pass", "wildfire.service_deployments")
    assert {item.get("category") for item in ev.items} == {"domestic", "foreign"}


def test_upsampled_sample_is_caught_and_native_tile_is_not(samples: Path):
    ev, _ = _evidence(samples, "upsampled_10m", "geoglam.croptype_resolution")
    result = screen_upsampling(ev.location("raster"))
    assert (result["upsampled"], result["factor"]) == (True, 3)
    ev, _ = _evidence(samples, "wildfire_pass", "wildfire.burned_area_resolution")
    assert screen_upsampling(ev.location("raster"))["upsampled"] is False
