"""report.json / report.md / report.html: the contract keys, provenance, rendering, atomicity."""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import re
import stat
import tomllib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin

import geoverify.report as report_module
from geoverify.cli.main import main
from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.model import EvidenceRecord, Result, Verdict
from geoverify.report import build_report, write_atomic, write_reports

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "configs" / "geo_indicators.toml"

TOP_KEYS = {"geoverify_version", "catalogue", "submission", "results", "summary", "run"}
RESULT_KEYS = {
    "indicator",
    "verdict",
    "value",
    "unit",
    "op",
    "threshold",
    "ci",
    "message",
    "details",
    "evidence",
}
VERDICTS = {"pass", "fail", "inconclusive", "missing", "error"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def no_constants(name: str):
    raise AssertionError(f"non-standard JSON constant {name} in the report")


@pytest.fixture(scope="module")
def raw_catalogue() -> dict:
    with CATALOGUE.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A submission with pass, fail, error and missing results, verified through the CLI."""
    folder = tmp_path_factory.mktemp("report") / "sub"
    (folder / "data").mkdir(parents=True)
    (folder / "proofs").mkdir()
    (folder / "proofs" / "dataset.pdf").write_bytes(b"%PDF-1.4 dataset description\n")
    array = np.random.default_rng(5).integers(1, 255, (128, 128), dtype=np.uint8)
    with rasterio.open(
        folder / "data" / "map_10m.tif",
        "w",
        driver="GTiff",
        height=128,
        width=128,
        count=1,
        dtype="uint8",
        crs="EPSG:32648",
        transform=from_origin(500_000, 2_000_000, 10, 10),
    ) as dst:
        dst.write(array, 1)
    manifest = folder / "submission.toml"
    manifest.write_text(
        """[project]
title = "Ecosystem map and disaster risk (report test)"
directions = ["disaster", "asean_eco"]

[evidence.asean_eco.resolution]
raster = "data/map_10m.tif"

[evidence.asean_eco.types]
raster = "data/absent.tif"

[[evidence.disaster.platform.items]]
title = "Platform | with a pipe"
url = "https://example.org/platform"

[[evidence.disaster.datasets.items]]
title = "Dataset with a file proof"
file = "proofs/dataset.pdf"
""",
        encoding="utf-8",
    )
    out = folder.parent / "out"
    result = CliRunner().invoke(main, ["verify", str(manifest), "--out", str(out), "-q"])
    assert result.exit_code == 1, result.output
    text = (out / "report.json").read_text(encoding="utf-8")
    return {
        "folder": folder,
        "manifest": manifest,
        "out": out,
        "json_text": text,
        "report": json.loads(text, parse_constant=no_constants),
        "md": (out / "report.md").read_text(encoding="utf-8"),
        "html": (out / "report.html").read_text(encoding="utf-8"),
    }


# ------------------------------------------------------------------------------- JSON


def test_top_level_keys_exactly(run):
    report = run["report"]
    assert set(report) == TOP_KEYS
    assert set(report["catalogue"]) == {"path", "sha256"}
    assert set(report["submission"]) == {"path", "sha256", "project", "directions"}
    assert set(report["summary"]) == VERDICTS | {"partial", "left_out"}
    assert report["geoverify_version"] == importlib.metadata.version("geoverify")
    assert report["submission"]["project"] == "Ecosystem map and disaster risk (report test)"
    assert set(report["run"]) == {
        "time_utc",
        "command",
        "versions",
        "indicators_evaluated",  # issue 11: what the run evaluated and left out
        "left_out",
        "partial",
    }
    assert report["run"]["partial"] is False and report["run"]["left_out"] == []
    assert report["submission"]["directions"] == ["disaster", "asean_eco"]


def test_result_keys_exactly(run):
    for result in run["report"]["results"]:
        assert set(result) == RESULT_KEYS, result["indicator"]
        assert result["verdict"] in VERDICTS
        assert isinstance(result["details"], dict)
        assert result["ci"] is None or len(result["ci"]) == 2
        for evidence in result["evidence"]:
            assert set(evidence) == {"path", "sha256"}


def test_expected_verdicts(run, raw_catalogue):
    verdicts = {r["indicator"]: r["verdict"] for r in run["report"]["results"]}
    expected_ids = [
        t["id"]
        for t in raw_catalogue["indicator"]
        if t["id"].split(".")[0]
        in ("disaster", "asean_eco", "geo_common", "geo_rules", "programme")
    ]
    assert sorted(verdicts) == sorted(expected_ids)
    assert verdicts["asean_eco.resolution"] == "pass"
    assert verdicts["asean_eco.types"] == "error"
    assert verdicts["disaster.platform"] == "pass"
    assert verdicts["disaster.datasets"] == "fail"
    assert verdicts["disaster.guide"] == "missing"


def test_summary_counts_equal_verdict_counts(run):
    report = run["report"]
    counts = Counter(r["verdict"] for r in report["results"])
    assert report["summary"] == {
        **{v: counts.get(v, 0) for v in VERDICTS},
        "partial": False,
        "left_out": 0,
    }
    assert sum(report["summary"][v] for v in VERDICTS) == len(report["results"])


def test_partial_run_is_in_the_summary_and_compared(run, tmp_path):
    """--indicator: summary.partial and summary.left_out say so, and a comparison sees it."""
    from geoverify.testing import assert_reports_equal, report_differences

    whole = run["report"]
    out = tmp_path / "partial"
    result = CliRunner().invoke(
        main,
        [
            "verify",
            str(run["manifest"]),
            "--out",
            str(out),
            "-q",
            "--indicator",
            "asean_eco.resolution",
        ],
    )
    assert result.exit_code in (0, 3), result.output
    partial = json.loads((out / "report.json").read_text(encoding="utf-8"))
    n_whole = len(whole["results"])
    assert partial["summary"]["partial"] is True
    assert partial["summary"]["left_out"] == n_whole - 1 == len(partial["run"]["left_out"])
    assert sum(partial["summary"][v] for v in VERDICTS) == 1
    # the md and html summaries show verdict counts only
    md = (out / "report.md").read_text(encoding="utf-8")
    summary_line = next(line for line in md.splitlines() if line.startswith("**Summary:**"))
    assert "partial" not in summary_line and "left_out" not in summary_line
    # same results, but one run was partial: never equal, even when `summary` is ignored
    same_results = {
        **whole,
        "submission": partial["submission"],
        "results": partial["results"],
        "summary": {**whole["summary"], **{v: partial["summary"][v] for v in VERDICTS}},
    }
    diffs = report_differences(same_results, partial)
    assert any("summary.partial" in d for d in diffs), diffs
    assert any("summary.left_out" in d for d in diffs), diffs
    ignoring = report_differences(same_results, partial, ignore=("run", "summary"))
    assert {d.split(":")[0] for d in ignoring} == {"summary.partial", "summary.left_out"}
    with pytest.raises(AssertionError, match=r"summary\.partial"):
        assert_reports_equal(same_results, partial)


def test_sha256_of_catalogue_submission_and_evidence(run):
    report = run["report"]
    assert report["catalogue"]["sha256"] == sha256(CATALOGUE)
    assert report["submission"]["sha256"] == sha256(run["manifest"])
    by_id = {r["indicator"]: r for r in report["results"]}
    (raster,) = by_id["asean_eco.resolution"]["evidence"]
    assert raster["path"] == "data/map_10m.tif"
    assert raster["sha256"] == sha256(run["folder"] / "data" / "map_10m.tif")
    (proof,) = by_id["disaster.datasets"]["evidence"]
    assert proof["path"] == "proofs/dataset.pdf"
    assert proof["sha256"] == sha256(run["folder"] / "proofs" / "dataset.pdf")
    (absent,) = by_id["asean_eco.types"]["evidence"]
    assert absent["sha256"] is None
    (note,) = by_id["asean_eco.types"]["details"]["evidence_notes"]
    assert note["path"] == absent["path"] and "not found" in note["note"]


def test_paths_point_at_the_inputs(run):
    # the submission relative to the report folder; the bundled catalogue by its name
    report = run["report"]
    assert report["catalogue"]["path"] == "configs/geo_indicators.toml"
    assert (run["out"] / report["submission"]["path"]).resolve() == run["manifest"].resolve()


def test_no_nan_in_the_json(run):
    assert "NaN" not in run["json_text"] and "Infinity" not in run["json_text"]
    json.loads(run["json_text"], parse_constant=no_constants)


def test_non_finite_numbers_become_null(tmp_path):
    catalogue = load_catalogue()
    manifest = tmp_path / "submission.toml"
    manifest.write_text('[project]\ntitle = "nan"\ndirections = ["disaster"]\n', encoding="utf-8")
    submission = load_submission(manifest, catalogue)
    results = [
        Result(
            "disaster.platform",
            Verdict.ERROR,
            value=float("nan"),
            unit="count",
            op=">=",
            threshold=1,
            ci=(float("-inf"), float("inf")),
            message="nan everywhere",
            details={"x": float("nan"), "arr": np.array([1.0, np.nan]), "n": np.int64(3)},
            evidence=[EvidenceRecord("a.tif", None, "file not found")],
        )
    ]
    report = build_report(submission, catalogue, results)
    written = write_reports(report, catalogue, tmp_path / "out", ["json"])
    data = json.loads(written[0].read_text(encoding="utf-8"), parse_constant=no_constants)
    (row,) = data["results"]
    assert row["value"] is None
    assert row["ci"] == [None, None]
    assert row["details"]["x"] is None
    assert row["details"]["arr"] == [1.0, None]
    assert row["details"]["n"] == 3
    assert data["summary"]["error"] == 1
    assert not any(isinstance(v, float) and math.isnan(v) for v in row["details"].values())


# --------------------------------------------------------------------------- Markdown


def _sections(md: str) -> dict[str, str]:
    parts = md.split("\n## ")[1:]
    return {part.split("\n", 1)[0].strip(): part for part in parts}


def test_markdown_summary_table_comes_first(run):
    md = run["md"]
    table = md.index("| indicator | what | rule | value [95% CI] | verdict | reason |")
    assert table < md.index("\n## ")
    head = md[: md.index("\n## ")]
    for result in run["report"]["results"]:
        assert f"[{result['indicator']}]" in head
    assert "Summary:" in head
    rows = [line for line in head.splitlines() if line.startswith("| [")]
    assert len(rows) == len(run["report"]["results"])
    assert all(len(cells(row)) == 6 for row in rows)  # + the reason of a non-pass


def cells(row: str) -> list[str]:
    """Cells of a Markdown table row (escaped pipes stay inside their cell)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


def test_markdown_item_table_escapes_pipes(run):
    section = _sections(run["md"])["disaster.platform"]
    (row,) = [line for line in section.splitlines() if "with a pipe" in line]
    assert len(cells(row)) == 3
    assert cells(row)[1] == "yes"


def test_markdown_sections_show_quote_rule_value_verdict(run, raw_catalogue):
    quotes = {t["id"]: t["quote"] for t in raw_catalogue["indicator"]}
    sections = _sections(run["md"])
    assert set(sections) == {r["indicator"] for r in run["report"]["results"]}
    for result in run["report"]["results"]:
        section = sections[result["indicator"]]
        assert quotes[result["indicator"]] in section
        assert f"Rule: {result['details']['rule']}" in section
        assert "Value: " in section
        assert f"**{result['verdict']}**" in section
    resolution = sections["asean_eco.resolution"]
    assert "Rule: ≤ 16 m" in resolution
    assert "Value: 10 m" in resolution
    assert "data/map_10m.tif" in resolution
    assert sha256(run["folder"] / "data" / "map_10m.tif") in resolution
    datasets = sections["disaster.datasets"]
    assert "Rule: ≥ 2" in datasets and "**fail**" in datasets


# ------------------------------------------------------------------------------- HTML

VOID = {"br", "meta", "img", "hr", "link", "input", "col", "area", "base", "wbr", "source"}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids.add(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_well_formed_and_lists_every_indicator(run):
    checker = _Checker()
    checker.feed(run["html"])
    checker.close()
    assert checker.problems == []
    assert checker.stack == []
    ids = {r["indicator"] for r in run["report"]["results"]}
    assert ids <= checker.ids
    text = "".join(checker.text)
    for ident in ids:
        assert ident in text
    assert run["html"].lstrip().lower().startswith("<!doctype html>")


def test_html_escapes_markup(tmp_path):
    catalogue = load_catalogue()
    manifest = tmp_path / "submission.toml"
    manifest.write_text(
        '[project]\ntitle = "<script>alert(1)</script>"\ndirections = ["disaster"]\n',
        encoding="utf-8",
    )
    submission = load_submission(manifest, catalogue)
    results = [Result("disaster.platform", Verdict.FAIL, message="<b>bold</b> & more")]
    report = build_report(submission, catalogue, results)
    text = report_module.render_html(report, catalogue)
    assert "<script>" not in text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in text


# ---------------------------------------------------------------------------- atomic


def test_only_the_reports_are_left_in_out(run):
    assert sorted(p.name for p in run["out"].iterdir()) == [
        "report.html",
        "report.json",
        "report.md",
    ]


def test_atomic_write_keeps_the_old_file_when_it_fails(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_report_records_the_versions_behind_its_figures(run):
    """Issue 9: a verdict must be reproducible by someone else."""
    import rasterio

    versions = run["report"]["run"]["versions"]
    for name in ("geoverify", "python", "numpy", "GDAL", "PROJ", "rasterio", "pyproj",
                 "xarray", "shapely"):
        assert versions.get(name), name
    assert versions["GDAL"] == rasterio.__gdal_version__
    assert versions["numpy"] == importlib.metadata.version("numpy")
    assert versions["python"] == platform.python_version()
    assert versions["geoverify"] == run["report"]["geoverify_version"]


def test_report_records_time_and_command(run):
    record = run["report"]["run"]
    when = datetime.datetime.fromisoformat(record["time_utc"])
    assert when.utcoffset() == datetime.timedelta(0)
    assert abs((datetime.datetime.now(datetime.UTC) - when).total_seconds()) < 3600
    assert record["command"][:2] == ["geoverify", "verify"]


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_reports_honour_the_umask(tmp_path, umask):
    """Issue 9: mkstemp's 0600 made reports unreadable for colleagues."""
    old = os.umask(umask)
    try:
        target = tmp_path / "report.json"
        write_atomic(target, "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_markdown_and_html_say_when_how_and_with_which_versions(run):
    """A defence needs the run record in the reports people read, not only in the JSON."""
    import rasterio

    md, html = run["md"], run["html"]
    stamp = run["report"]["run"]["time_utc"]
    for text in (md, html):
        assert stamp in text
        assert f"GDAL {rasterio.__gdal_version__}" in text
        assert "geoverify verify" in text
