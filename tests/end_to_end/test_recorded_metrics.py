"""The recorded metrics in metrics/ are what `geoverify verify` produces on sample_rasters/.

Any change of a metric shows as a failing test and, once regenerated with
``python -m geoverify.testing.samples``, as a diff of metrics/*.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geoverify.testing import RTOL, assert_reports_equal, report_differences
from geoverify.testing.samples import build_all, record_metrics

from ..conftest import ROOT


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    manifests = sorted((ROOT / "sample_rasters").glob("*/submission.toml"))
    assert manifests, "sample_rasters/ holds no sample submission"
    out = tmp_path_factory.mktemp("metrics")
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)  # reports show paths relative to the working directory
    try:
        written = record_metrics([m.relative_to(ROOT) for m in manifests], out)
    finally:
        os.chdir(cwd)
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in written}


def test_every_sample_has_a_recorded_report(regenerated: dict[str, dict]) -> None:
    recorded = {p.stem for p in (ROOT / "metrics").glob("*.json")}
    assert recorded == set(regenerated), (
        "run `python -m geoverify.testing.samples` and commit metrics/"
    )


def test_recorded_metrics_match(regenerated: dict[str, dict]) -> None:
    """Verdicts, strings, counts and checksums exactly; floats to a relative 1e-9.

    The last digits of a geodesic area move with numpy/PROJ releases (issue 9:
    14695557.200024499 vs …497); the run record (time, versions) is ignored.
    """
    for name, report in regenerated.items():
        recorded = json.loads((ROOT / "metrics" / f"{name}.json").read_text(encoding="utf-8"))
        assert_reports_equal(
            report,
            recorded,
            name=f"metrics/{name}.json (regenerate with `python -m geoverify.testing.samples`)",
        )


def test_comparison_tolerates_last_digits_only() -> None:
    """The comparison of recorded metrics fails on what a reviewer would call a change."""
    base = {
        "results": [
            {"indicator": "night_light.application_area", "verdict": "pass",
             "value": 14695557.200024497, "details": {"n": 12, "sha": "ab"}}
        ],
        "run": {"versions": {"numpy": "2.0"}},
    }
    last_digit = json.loads(json.dumps(base))
    last_digit["results"][0]["value"] = 14695557.200024499
    last_digit["run"]["versions"]["numpy"] = "2.4"
    assert report_differences(last_digit, base) == []

    for path, changed in [
        (("value",), 14695557.2 * (1 + 10 * RTOL)),
        (("verdict",), "fail"),
        (("details", "n"), 13),
        (("details", "sha"), "ac"),
    ]:
        other = json.loads(json.dumps(base))
        target = other["results"][0]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = changed
        diffs = report_differences(other, base)
        assert len(diffs) == 1, diffs
        assert diffs[0].startswith("night_light.application_area: " + ".".join(path))
        assert repr(changed) in diffs[0]
    with pytest.raises(AssertionError, match=r"night_light\.application_area: verdict"):
        other = json.loads(json.dumps(base))
        other["results"][0]["verdict"] = "fail"
        assert_reports_equal(other, base)


def test_samples_are_reproducible(tmp_path: Path) -> None:
    """The generator writes byte-identical files: samples are data, not accidents."""
    import hashlib

    build_all(tmp_path)
    for manifest in sorted(tmp_path.glob("*/submission.toml")):
        for path in sorted(manifest.parent.rglob("*")):
            if path.is_file():
                committed = ROOT / "sample_rasters" / path.relative_to(tmp_path)
                assert committed.exists(), f"{committed} not committed"
                assert (
                    hashlib.sha256(path.read_bytes()).hexdigest()
                    == hashlib.sha256(committed.read_bytes()).hexdigest()
                ), f"{committed} differs from the generator's output"


def test_sample_verdicts_are_varied(regenerated: dict[str, dict]) -> None:
    """Some samples pass, some fail, some carry errors and missing evidence, on purpose."""
    verdicts = {v for r in regenerated.values() for v, n in r["summary"].items() if n}
    assert {"pass", "fail", "error", "missing"} <= verdicts


def test_samples_exercise_every_indicator_and_every_check_both_ways(
    regenerated: dict[str, dict],
) -> None:
    """Issue 12 item 6: every indicator of the catalogue gets a computed verdict in some
    sample, and every check kind of the catalogue at least one pass and one fail.

    The expected sets come from the catalogue itself, so a new indicator or check kind
    without a sample that decides it fails here.
    """
    from geoverify.config.catalogue import load_catalogue

    catalogue = load_catalogue()
    computed: set[str] = set()
    verdicts_by_kind: dict[str, set[str]] = {ind.check: set() for ind in catalogue}
    for report in regenerated.values():
        for result in report["results"]:
            indicator = catalogue[result["indicator"]]
            verdicts_by_kind[indicator.check].add(result["verdict"])
            if result["verdict"] != "missing":
                computed.add(indicator.id)
    never = sorted(set(catalogue.indicators) - computed)
    assert not never, f"{len(never)} indicators never get a computed verdict: {never}"
    one_sided = {
        kind: sorted(seen)
        for kind, seen in verdicts_by_kind.items()
        if not {"pass", "fail"} <= seen
    }
    assert not one_sided, f"check kinds without both a pass and a fail: {one_sided}"


def _readme_exit_codes() -> dict[str, int]:
    """Sample name → exit code, from the README's sample table (`a` / `b` → `0 / 1`)."""
    import re

    table: dict[str, int] = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([a-z0-9_]+)`", cells[0])
        codes = [int(c) for c in re.findall(r"\d+", cells[3])]
        if len(codes) == 1:
            codes *= len(names)
        assert len(codes) == len(names), f"README row {line!r}: one exit code per sample"
        table.update(zip(names, codes, strict=True))
    return table


def test_samples_exit_as_the_readme_says(regenerated: dict[str, dict]) -> None:
    """Each sample's exit code (geoverify.run.exit_code's contract applied to its
    verdicts) is the one the README's table states, and the table lists every sample."""
    from types import SimpleNamespace

    from geoverify.model.results import Verdict
    from geoverify.run import exit_code

    table = _readme_exit_codes()
    assert set(table) == set(regenerated), "README sample table and sample_rasters/ differ"
    for name, report in regenerated.items():
        results = [SimpleNamespace(verdict=Verdict(r["verdict"])) for r in report["results"]]
        code = exit_code(results)  # type: ignore[arg-type]
        seen = {v for v, n in report["summary"].items() if n}
        assert code == table[name], f"{name}: exit {code}, README says {table[name]} ({seen})"
