"""The README's two commands stay true: CI runs its test command verbatim."""

from __future__ import annotations

import re

from ..conftest import ROOT


def _bash_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_first_screen_has_the_two_commands() -> None:
    blocks = _bash_blocks()
    assert "geoverify verify sample_rasters/" in blocks[0]
    assert "pip install" in blocks[0] and "pip install" in blocks[1]
    assert "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _bash_blocks()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_readme_sample_exists() -> None:
    match = re.search(r"geoverify verify (\S+)", _bash_blocks()[0])
    assert match and (ROOT / match.group(1)).is_file()
