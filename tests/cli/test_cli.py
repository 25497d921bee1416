"""The command line: exit codes, one-line errors, indicators, resolution, where reports go.

Both the real process (``python -m geoverify``) and click's ``CliRunner`` are exercised.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoverify.cli.main import main
from geoverify.model import Measurement
from geoverify.testing.samples.common import COMMON_EVIDENCE

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "configs" / "geo_indicators.toml"

# Indicators of a "disaster" submission whose checks belong to the spine (count, share, no
# region lookups): geo_common.member_country_events / developing_country_demo need
# geoverify.geo.regions and programme.duration needs the period check, written by others.
PASSING = [
    "disaster.platform",
    "disaster.datasets",
    "disaster.guide",
    "disaster.nature_based_cases",
    "geo_common.geo_secretariat_events",
    "geo_common.china_secretariat_events",
    "geo_common.visiting_partners",
    "geo_common.workshops",
    "geo_common.geo_news",
    "geo_common.data_deposits",
    "programme.chinese_journal_share",
]

DISASTER_EVIDENCE = """
[[evidence.disaster.platform.items]]
title = "Climate-disaster monitoring platform"
url = "https://example.org/platform"

[[evidence.disaster.datasets.items]]
title = "Flood extent dataset"
doi = "10.5281/zenodo.8100001"

[[evidence.disaster.datasets.items]]
title = "Drought index dataset"
doi = "10.5281/zenodo.8100002"

[[evidence.disaster.guide.items]]
title = "GEO risk-response guide"
doi = "10.5281/zenodo.8100003"

[[evidence.disaster.nature_based_cases.items]]
title = "Mangrove case"
doi = "10.5281/zenodo.8100004"

[[evidence.disaster.nature_based_cases.items]]
title = "Sponge city case"
doi = "10.5281/zenodo.8100005"
"""

HEADER = '[project]\ntitle = "Disaster risk (test)"\ndirections = ["disaster"]\n'


@pytest.fixture(scope="module")
def raw_catalogue() -> dict:
    with CATALOGUE.open("rb") as fh:
        return tomllib.load(fh)


def write_submission(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "submission.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def passing(tmp_path) -> Path:
    return write_submission(tmp_path / "pass", HEADER + DISASTER_EVIDENCE + COMMON_EVIDENCE)


@pytest.fixture
def failing(tmp_path) -> Path:
    text = HEADER + (
        '\n[[evidence.disaster.datasets.items]]\ntitle = "Only one"\n'
        'doi = "10.5281/zenodo.8100001"\n'
    )
    return write_submission(tmp_path / "fail", text)


@pytest.fixture
def empty(tmp_path) -> Path:
    return write_submission(tmp_path / "empty", HEADER)


def only(ids: list[str]) -> list[str]:
    return [arg for ident in ids for arg in ("--indicator", ident)]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "geoverify", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def assert_one_line_error(stderr: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("geoverify: error:"), stderr


# ----------------------------------------------------------------------------- version


def test_version_subprocess():
    proc = run("--version")
    assert proc.returncode == 0
    version = importlib.metadata.version("geoverify")
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == f"geoverify, version {version}"
    # issue 9: the versions that can change a figure, as `geoverify env` prints them
    import rasterio

    shown = dict(line.split(None, 1) for line in lines[2:])
    assert shown["GDAL"] == rasterio.__gdal_version__
    assert shown["numpy"] == importlib.metadata.version("numpy")
    for name in ("python", "PROJ", "pyproj", "xarray", "shapely"):
        assert shown[name] and shown[name] != "not installed", name


def test_env_command_json():
    proc = run("env", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert shown["geoverify"] == importlib.metadata.version("geoverify")
    assert shown["pyproj"] == importlib.metadata.version("pyproj")
    assert shown["kernels"] == "c"  # the package's build compiles the counting kernels
    text = run("env").stdout
    assert "counting kernels: C extension" in text


def test_help_lists_every_command_with_its_own_summary():
    """The lazy group's one-line summaries are the commands' own first paragraphs."""
    from geoverify.cli.main import COMMANDS

    shown = invoke("--help").stdout
    for name, summary in COMMANDS.items():
        module = importlib.import_module(f"geoverify.cli.{name}")
        command = getattr(module, name)
        assert command.name == name
        assert summary == " ".join((command.help or "").strip().split("\n\n")[0].split())
        assert name in shown
    folder = Path(importlib.import_module("geoverify.cli").__file__ or "").parent
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__", "main", "options"}
    assert set(COMMANDS) == modules


def test_package_names_stay_what_they_are():
    """`geoverify.decide` is the function even once the subpackage is imported; subpackages are
    reachable as attributes after a plain `import geoverify`."""
    code = (
        "import geoverify\n"
        "geoverify.verify  # imports run.py, which imports the decide subpackage\n"
        "from geoverify import decide\n"
        "import geoverify.decide.rules\n"
        "print(callable(geoverify.decide) and callable(decide), geoverify.errors.__name__, "
        "geoverify.stats.__name__)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "geoverify.errors", "geoverify.stats"]


def test_help_imports_no_geospatial_library():
    """`geoverify --help` and `import geoverify` load their parts on first use (issue 16)."""
    code = (
        "import sys\n"
        "from geoverify.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "import geoverify\n"
        "print(sorted(m for m in ('rasterio', 'numpy', 'geopandas', 'xarray', 'dask', "
        "'pyproj', 'geoverify.run') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_version_clirunner():
    result = invoke("--version")
    assert result.exit_code == 0
    assert importlib.metadata.version("geoverify") in result.stdout


# -------------------------------------------------------------------------- exit codes


def test_exit_3_when_every_evaluated_indicator_passes_in_a_partial_run_subprocess(
    passing, tmp_path
):
    # issue 11: indicators of the submission left out by --indicator make the run partial
    out = tmp_path / "out"
    proc = run("verify", str(passing), "--out", str(out), *only(PASSING))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [r["indicator"] for r in report["results"]] == PASSING
    assert {r["verdict"] for r in report["results"]} == {"pass"}
    assert report["summary"]["pass"] == len(PASSING)
    total = len(PASSING) + len(report["run"]["left_out"])
    assert report["run"]["left_out"] and report["run"]["partial"] is True
    assert f"partial run: {len(PASSING)} of {total} indicators: {len(PASSING)} pass" in proc.stdout


def test_exit_3_for_a_partial_run_clirunner(passing, tmp_path):
    result = invoke("verify", str(passing), "--out", str(tmp_path / "o"), "-q", *only(PASSING))
    assert result.exit_code == 3, result.output
    assert "partial run" in result.output


def test_exit_1_on_a_failing_count(failing):
    proc = run("verify", str(failing))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    result = invoke("verify", str(failing), "--out", str(failing.parent / "o2"))
    assert result.exit_code == 1
    assert "fail" in result.stdout and "disaster.datasets" in result.stdout


def test_exit_3_when_evidence_is_missing(empty, raw_catalogue):
    proc = run("verify", str(empty))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    report = json.loads((empty.parent / "report" / "report.json").read_text(encoding="utf-8"))
    expected = [
        t["id"]
        for t in raw_catalogue["indicator"]
        if t["id"].split(".")[0] in ("disaster", "geo_common", "geo_rules", "programme")
    ]
    assert sorted(r["indicator"] for r in report["results"]) == sorted(expected)
    assert report["summary"]["missing"] == len(expected)
    assert {r["message"] for r in report["results"]} == {"no evidence given"}


def test_exit_3_when_inconclusive(passing, tmp_path, monkeypatch):
    def straddling(evidence, params, context):
        return Measurement(1.0, "count", ci=(0.5, 1.5))

    monkeypatch.setattr(
        importlib.import_module("geoverify.run"), "get_check", lambda k: straddling
    )
    result = invoke("verify", str(passing), "--out", str(tmp_path / "o"), *only(["disaster.guide"]))
    assert result.exit_code == 3, result.output
    assert "inconclusive" in result.stdout


# ------------------------------------------------------------------------------ exit 2


def _exit_2_cases(tmp_path: Path) -> dict[str, list[str]]:
    bad_toml = write_submission(tmp_path / "bad", '[project\ntitle = "x"\n')
    unknown_id = write_submission(
        tmp_path / "unknown", HEADER + '\n[evidence.disaster.rockets]\nnote = "x"\n'
    )
    ok = write_submission(tmp_path / "ok", HEADER)
    bad_catalogue = tmp_path / "catalogue.toml"
    bad_catalogue.write_text("schema = 1\n[[indicator]]\nid = 3\n", encoding="utf-8")
    return {
        "malformed TOML": ["verify", str(bad_toml)],
        "unknown indicator id": ["verify", str(unknown_id)],
        "unknown --indicator": ["verify", str(ok), "--indicator", "disaster.rockets"],
        "missing submission file": ["verify", str(tmp_path / "absent" / "submission.toml")],
        "invalid catalogue": ["verify", str(ok), "--catalogue", str(bad_catalogue)],
    }


EXIT_2 = [
    ("malformed TOML", ["is not valid TOML", "bad/submission.toml:1:"]),
    ("unknown indicator id", ["unknown indicator id 'disaster.rockets'", "submission.toml:5:"]),
    ("unknown --indicator", ["no indicator 'disaster.rockets'"]),
    ("missing submission file", ["file not found", "absent/submission.toml"]),
    ("invalid catalogue", ["catalogue.toml:3:", "'id' must be str"]),
]


@pytest.mark.parametrize(("case", "fragments"), EXIT_2, ids=[c for c, _ in EXIT_2])
def test_exit_2_one_line_subprocess(tmp_path, case, fragments):
    proc = run(*_exit_2_cases(tmp_path)[case])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line_error(proc.stderr)
    for fragment in fragments:
        assert fragment in proc.stderr
    assert not (tmp_path / "ok" / "report").exists()


@pytest.mark.parametrize(("case", "fragments"), EXIT_2, ids=[c for c, _ in EXIT_2])
def test_exit_2_one_line_clirunner(tmp_path, case, fragments):
    result = invoke(*_exit_2_cases(tmp_path)[case])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert_one_line_error(result.stderr)
    assert result.stdout == ""


def test_bad_format_exits_2(empty):
    proc = run("verify", str(empty), "--format", "xml")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "xml" not in [p.name for p in empty.parent.iterdir()]
    assert not (empty.parent / "report").exists()


@pytest.mark.parametrize(
    "args",
    [["verify", "{sub}", "--format", "xml"], ["indicators", "--direction", "volcanoes"]],
    ids=["bad --format", "unknown --direction"],
)
def test_usage_errors_are_one_line(empty, args):
    proc = run(*[a.format(sub=empty) for a in args])
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr)


# -------------------------------------------------------------------------- indicators


def test_indicators_json_lists_the_whole_catalogue(raw_catalogue):
    proc = run("indicators", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert len(listed) == 127
    assert [i["id"] for i in listed] == [t["id"] for t in raw_catalogue["indicator"]]
    assert all(i["quote"] and i["rule"] for i in listed)


def test_indicators_direction_filter(raw_catalogue):
    result = invoke("indicators", "--direction", "wildfire", "--format", "json")
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    expected = [t["id"] for t in raw_catalogue["indicator"] if t["id"].startswith("wildfire.")]
    assert [i["id"] for i in listed] == expected
    assert {i["direction"] for i in listed} == {"wildfire"}


def test_indicators_table_shows_rule_and_quote():
    result = invoke("indicators", "--direction", "wildfire")
    assert result.exit_code == 0
    assert "wildfire.burned_area_resolution" in result.stdout
    assert "≤ 300 m" in result.stdout
    assert "生成分辨率不低于 300 米全球火烧迹地数据集" in result.stdout


def test_indicators_unknown_direction_exits_2():
    proc = run("indicators", "--direction", "volcanoes")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "volcanoes" in proc.stderr


# -------------------------------------------------------------------------- resolution


def test_resolution_json(realdata):
    path = realdata("rasterio", "RGB.byte.tif")
    proc = run("resolution", str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["unit"] == "m"
    assert data["value"] == pytest.approx(300.0418, abs=1e-4)
    assert data["x_m"] == pytest.approx(300.0379, abs=1e-4)
    assert data["y_m"] == pytest.approx(300.0418, abs=1e-4)
    assert data["crs"] == "EPSG:32618"


def test_resolution_table_and_error(realdata):
    result = invoke("resolution", str(realdata("rasterio", "RGB.byte.tif")))
    assert result.exit_code == 0
    assert "EPSG:32618" in result.stdout and "pixel x" in result.stdout
    result = invoke("resolution", str(realdata("rasterio", "float.tif")))
    assert result.exit_code == 2
    assert_one_line_error(result.stderr)
    assert "no CRS" in result.stderr


# ------------------------------------------------------------------------ report files


def test_reports_written_into_out(failing, tmp_path):
    out = tmp_path / "reports" / "nested"
    result = invoke("verify", str(failing), "--out", str(out), "--format", "json,md")
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md"]
    assert not (failing.parent / "report").exists()


def test_default_out_is_report_beside_the_submission(failing, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = run("verify", str(failing), cwd=elsewhere)
    assert proc.returncode == 1
    folder = failing.parent / "report"
    assert sorted(p.name for p in folder.iterdir()) == ["report.html", "report.json", "report.md"]
    assert list(elsewhere.iterdir()) == []
    assert str(folder / "report.json") in proc.stderr


def _self_reporting(tmp_path: Path) -> tuple[Path, bytes]:
    """A submission whose own evidence is a file called report.json."""
    folder = tmp_path / "selfref"
    folder.mkdir()
    original = b'{"this": "is the team\'s own evidence"}\n'
    (folder / "report.json").write_bytes(original)
    text = HEADER + ('\n[[evidence.disaster.guide.items]]\ntitle = "Guide"\nfile = "report.json"\n')
    return write_submission(folder, text), original


def test_out_over_an_input_is_refused(tmp_path):
    sub, original = _self_reporting(tmp_path)
    proc = run("verify", str(sub), "--out", str(sub.parent))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line_error(proc.stderr)
    assert "overwrite an input" in proc.stderr
    assert (sub.parent / "report.json").read_bytes() == original
    assert sub.read_text(encoding="utf-8").startswith("[project]")


def test_refused_run_writes_no_report(tmp_path):
    sub, original = _self_reporting(tmp_path)
    proc = run("verify", str(sub), "--out", str(sub.parent), "--format", "md,json")
    assert proc.returncode == 2
    assert (sub.parent / "report.json").read_bytes() == original
    assert not (sub.parent / "report.md").exists()


def test_indicator_outside_the_submissions_directions_is_not_a_pass(empty, tmp_path):
    proc = run(
        "verify", str(empty), "--out", str(tmp_path / "o"), "--indicator", "wildfire.fire_events"
    )
    assert proc.returncode != 0, proc.stdout
