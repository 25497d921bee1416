"""The submission manifest: what loads, what is refused (with file:line and key), paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.errors import SubmissionError
from geoverify.model import Verdict
from geoverify.run import verify

PROJECT = """\
[project]
title = "Burned area test"
directions = ["wildfire"]
start = 2026-07-01
end = 2029-06-30
"""


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def write(folder: Path, text: str, name: str = "submission.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_number(text: str, startswith: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(startswith):
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"no line {startswith!r}")


def refused(path: Path, catalogue) -> str:
    with pytest.raises(SubmissionError) as info:
        load_submission(path, catalogue)
    assert isinstance(info.value, ValueError)
    return str(info.value)


# ---------------------------------------------------------------------------- valid


def test_valid_manifest_loads_with_dotted_and_quoted_ids(tmp_path, catalogue):
    text = (
        PROJECT
        + """
[evidence.wildfire.burned_area_resolution]
raster = "data/ba.tif"
tolerance = 0.5

[evidence."wildfire.emission_models"]
note = "quoted id form"

[[evidence."wildfire.emission_models".items]]
title = "Model A"
doi = "10.5281/zenodo.1"

[[evidence.wildfire.fire_events.items]]
title = "Fire 1"
date = 2026-03-14
doi = "10.5281/zenodo.2"

[[evidence.wildfire.fire_events.items]]
title = "Fire 2"
url = "https://example.org/fire2"
"""
    )
    path = write(tmp_path / "sub", text)
    sub = load_submission(path, catalogue)
    assert sub.path == path.resolve()
    assert sub.base == path.resolve().parent
    assert sub.title == "Burned area test"
    assert sub.directions == ("wildfire",)
    assert set(sub.evidence) == {
        "wildfire.burned_area_resolution",
        "wildfire.emission_models",
        "wildfire.fire_events",
    }
    res = sub.evidence["wildfire.burned_area_resolution"]
    assert res.get("tolerance") == 0.5
    assert res.location("raster") == str(path.resolve().parent / "data" / "ba.tif")
    models = sub.evidence["wildfire.emission_models"]
    assert [i.get("title") for i in models.items] == ["Model A"]
    events = sub.evidence["wildfire.fire_events"]
    assert [i.get("title") for i in events.items] == ["Fire 1", "Fire 2"]
    assert events.items[0].get("doi") == "10.5281/zenodo.2"
    # the evidence knows where it was written
    header = line_number(text, "[evidence.wildfire.burned_area_resolution]")
    assert f"{path.resolve()}:{header}" in res.where


def test_indicators_to_evaluate_include_the_common_directions(tmp_path, catalogue):
    path = write(tmp_path, PROJECT)
    sub = load_submission(path, catalogue)
    ids = sub.indicators(catalogue)
    raw_ids = list(catalogue.indicators)
    common = ("wildfire", "geo_common", "geo_rules", "programme")
    expected = [i for i in raw_ids if i.split(".")[0] in common]
    assert sorted(ids) == sorted(expected)
    assert ids[0].startswith("wildfire.")


def test_urls_are_allowed(tmp_path, catalogue):
    text = PROJECT + (
        "\n[evidence.wildfire.burned_area_resolution]\n"
        'raster = "https://example.org/cogs/burned_area.tif"\n'
    )
    sub = load_submission(write(tmp_path, text), catalogue)
    evidence = sub.evidence["wildfire.burned_area_resolution"]
    assert evidence.location("raster") == "https://example.org/cogs/burned_area.tif"


def test_missing_file_is_not_a_load_error_but_an_error_verdict(tmp_path, catalogue):
    text = PROJECT + '\n[evidence.wildfire.burned_area_resolution]\nraster = "absent.tif"\n'
    sub = load_submission(write(tmp_path, text), catalogue)
    results = verify(sub, catalogue, indicators=["wildfire.burned_area_resolution"])
    assert len(results) == 1
    result = results[0]
    assert result.verdict is Verdict.ERROR
    assert "absent.tif" in result.message
    assert "not found" in result.message
    assert result.evidence and result.evidence[0].sha256 is None


# -------------------------------------------------------------------------- refused


def test_unknown_top_level_key(tmp_path, catalogue):
    text = PROJECT + '\n[extras]\nfoo = "bar"\n'
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, '[extras]')}: ")
    assert "unknown top-level key 'extras'" in message


def test_unknown_project_key(tmp_path, catalogue):
    text = PROJECT.replace('title = "Burned area test"\n', 'title = "x"\nbudget = 3\n')
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'budget =')}: ")
    assert "unknown key 'budget'" in message


def test_unknown_direction(tmp_path, catalogue):
    text = PROJECT.replace('["wildfire"]', '["wildfire", "volcanoes"]')
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'directions =')}: ")
    assert "unknown direction 'volcanoes'" in message
    assert "Known directions:" in message and "wildfire" in message


def test_unknown_indicator_id(tmp_path, catalogue):
    text = PROJECT + '\n[evidence.wildfire.burned_area_pixels]\nraster = "x.tif"\n'
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    line = line_number(text, "[evidence.wildfire.burned_area_pixels]")
    assert message.startswith(f"{path.resolve()}:{line}: ")
    assert "unknown indicator id 'wildfire.burned_area_pixels'" in message
    assert "geoverify indicators" in message


def test_unknown_indicator_id_in_quoted_form(tmp_path, catalogue):
    text = PROJECT + '\n[evidence."wildfire.nope"]\nraster = "x.tif"\n'
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, '[evidence.')}: ")
    assert "'wildfire.nope'" in message


def test_evidence_for_an_unclaimed_direction(tmp_path, catalogue):
    text = PROJECT + '\n[evidence.geoglam.basemap_resolution]\nraster = "x.tif"\n'
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    line = line_number(text, "[evidence.geoglam.basemap_resolution]")
    assert message.startswith(f"{path.resolve()}:{line}: ")
    assert "direction 'geoglam' is not claimed" in message
    assert "project.directions" in message


def test_evidence_for_common_directions_needs_no_claim(tmp_path, catalogue):
    text = (
        PROJECT + '\n[[evidence.geo_common.geo_news.items]]\ntitle = "n"\nurl = "https://x.org"\n'
    )
    sub = load_submission(write(tmp_path, text), catalogue)
    assert "geo_common.geo_news" in sub.evidence


def test_unknown_evidence_key_for_the_check_kind(tmp_path, catalogue):
    # 'map' is an accuracy key, not a resolution key
    text = (
        PROJECT + '\n[evidence.wildfire.burned_area_resolution]\nraster = "x.tif"\nmap = "y.tif"\n'
    )
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'map =')}: ")
    assert "unknown key 'map'" in message
    assert "wildfire.burned_area_resolution" in message
    assert "raster" in message  # the allowed keys are listed


def test_unknown_key_for_a_count_lists_only_items(tmp_path, catalogue):
    text = PROJECT + '\n[evidence.wildfire.fire_events]\nraster = "x.tif"\n'
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'raster =')}: ")
    assert "unknown key 'raster'" in message


@pytest.mark.parametrize(
    ("line", "type_name"),
    [('band = "1"', "str"), ("band = true", "bool"), ("band = 1.5", "float")],
)
def test_wrong_type(tmp_path, catalogue, line, type_name):
    text = PROJECT + f'\n[evidence.wildfire.burned_area_resolution]\nraster = "x.tif"\n{line}\n'
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'band =')}: ")
    assert "'band' must be int" in message
    assert f"not {type_name}" in message


def test_wrong_project_type(tmp_path, catalogue):
    text = PROJECT.replace("start = 2026-07-01", 'start = "July 2026"')
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'start =')}: ")
    assert "'start' must be date" in message


def test_item_without_title(tmp_path, catalogue):
    text = (
        PROJECT
        + """
[[evidence.wildfire.fire_events.items]]
title = "Fire 1"
doi = "10.5281/zenodo.1"

[[evidence.wildfire.fire_events.items]]
doi = "10.5281/zenodo.2"
"""
    )
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    line = line_number(text, "[[evidence.wildfire.fire_events.items]]", 2)
    assert message.startswith(f"{path.resolve()}:{line}: "), message
    assert "item 2 of 'wildfire.fire_events' has no title" in message


def test_blank_title_is_no_title(tmp_path, catalogue):
    text = PROJECT + '\n[[evidence.wildfire.fire_events.items]]\ntitle = "  "\n'
    message = refused(write(tmp_path, text), catalogue)
    assert "has no title" in message


@pytest.mark.parametrize("value", ["../x.tif", "data/../../x.tif", "/etc/passwd"])
def test_paths_may_not_escape_the_folder(tmp_path, catalogue, value):
    text = PROJECT + f'\n[evidence.wildfire.burned_area_resolution]\nraster = "{value}"\n'
    path = write(tmp_path / "sub", text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'raster =')}: ")
    assert "'raster'" in message
    assert "leaves the submission folder" in message


def test_item_proof_file_may_not_escape(tmp_path, catalogue):
    text = PROJECT + '\n[[evidence.wildfire.fire_events.items]]\ntitle = "F"\nfile = "../p.pdf"\n'
    path = write(tmp_path / "sub", text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'file =')}: ")
    assert "leaves the submission folder" in message


def test_symlink_pointing_outside_is_refused(tmp_path, catalogue):
    outside = tmp_path / "outside.tif"
    outside.write_bytes(b"not a raster")
    folder = tmp_path / "sub"
    folder.mkdir()
    os.symlink(outside, folder / "link.tif")
    text = PROJECT + '\n[evidence.wildfire.burned_area_resolution]\nraster = "link.tif"\n'
    path = write(folder, text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'raster =')}: ")
    assert "leaves the submission folder" in message


def test_symlink_inside_the_folder_is_allowed(tmp_path, catalogue):
    folder = tmp_path / "sub"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "real.tif").write_bytes(b"x")
    os.symlink(folder / "data" / "real.tif", folder / "link.tif")
    text = PROJECT + '\n[evidence.wildfire.burned_area_resolution]\nraster = "link.tif"\n'
    sub = load_submission(write(folder, text), catalogue)
    located = sub.evidence["wildfire.burned_area_resolution"].location("raster")
    assert located == str((folder / "data" / "real.tif").resolve())


def test_unsupported_url_scheme_is_refused(tmp_path, catalogue):
    text = PROJECT + '\n[evidence.wildfire.burned_area_resolution]\nraster = "s3://b/x.tif"\n'
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'raster =')}: ")
    assert "unsupported URL scheme" in message


def test_missing_project_and_empty_directions(tmp_path, catalogue):
    path = write(tmp_path / "a", "[evidence]\n")
    assert "missing [project] table" in refused(path, catalogue)
    text = '[project]\ntitle = "x"\ndirections = []\n'
    path = write(tmp_path / "b", text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'directions =')}: ")
    assert "non-empty list" in message


def test_end_before_start(tmp_path, catalogue):
    text = PROJECT.replace("end = 2029-06-30", "end = 2025-06-30")
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert message.startswith(f"{path.resolve()}:{line_number(text, 'end =')}: ")
    assert "end is before its start" in message


def test_malformed_toml_names_the_line(tmp_path, catalogue):
    text = PROJECT + '\n[evidence.wildfire.burned_area_resolution]\nraster = "x.tif\n'
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert f":{line_number(text, 'raster =')}: " in message
    assert "not valid TOML" in message


def test_same_evidence_given_twice_is_refused(tmp_path, catalogue):
    text = (
        PROJECT
        + """
[[evidence.wildfire.fire_events.items]]
title = "Fire 1"
doi = "10.5281/zenodo.1"

[[evidence."wildfire.fire_events".items]]
title = "Fire 2"
doi = "10.5281/zenodo.2"
"""
    )
    path = write(tmp_path, text)
    message = refused(path, catalogue)
    assert "wildfire.fire_events" in message


def test_a_typo_in_an_item_key_is_a_load_error_with_its_line(tmp_path, catalogue):
    """A misspelt proof (`dio`) must not silently leave an item without proof."""
    text = PROJECT + (
        "\n[[evidence.wildfire.fire_events.items]]\n"
        'title = "2027 Yunnan forest fire"\n'
        'dio = "10.5281/zenodo.1234567"\n'
    )
    path = write(tmp_path, text)
    with pytest.raises(SubmissionError) as info:
        load_submission(path, catalogue)
    message = str(info.value)
    line = text.splitlines().index('dio = "10.5281/zenodo.1234567"') + 1
    assert message.startswith(f"{path}:{line}: "), message
    assert "unknown key 'dio'" in message and "did you mean 'doi'?" in message


def test_item_keys_include_the_fields_the_indicator_reads(catalogue):
    from geoverify.config.submission import item_keys

    keys = item_keys(catalogue["geo_common.workshops"])
    assert {"participants", "foreign_participants", "filed_with_china_secretariat"} <= keys
    assert {"event", "observed_by"} <= item_keys(catalogue["wildfire.fire_events"])
    assert {"map", "reference", "model_kind"} <= item_keys(catalogue["sat_interp.models"])
