"""report.html in a real browser: headless Chromium renders it, self-contained, every table there.

Chromium comes from Debian (`.ci/run` installs it); where it is absent the tests skip.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoverify.cli.main import main

from ..conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

#: Flags for a headless run on a machine without a network (as the Debian package is used).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.tables = 0
        self.images: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and a.get("id"):
            self.sections.append(str(a["id"]))
        if tag == "table":
            self.tables += 1
        if tag == "img":
            self.images.append(str(a.get("src", "")))
        for key in ("src", "href"):
            value = str(a.get(key) or "")
            if value.startswith(("http://", "https://", "//")):
                self.external.append(value)


def _png_colours(path: Path) -> int:
    """Distinct colours in the first rows of an 8-bit RGB(A) PNG (a blank page has one)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, channels = 8, b"", 0, 4
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width = struct.unpack(">I", chunk[:4])[0]
            channels = {2: 3, 6: 4}[chunk[9]]
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    colours = set()
    for row in range(min(200, len(raw) // stride)):
        line = raw[row * stride + 1 : (row + 1) * stride]  # filter byte dropped: enough to count
        colours.update(line[i : i + 3] for i in range(0, len(line), channels * 7))
    return len(colours)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("browser")
    out = tmp / "report"
    manifest = ROOT / "sample_rasters" / "ghg_pass" / "submission.toml"
    CliRunner().invoke(main, ["verify", str(manifest), "--out", str(out), "-q"])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    html = out / "report.html"
    dom = _chromium(tmp, "--dump-dom", html.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = tmp / "page.png"
    snap = _chromium(tmp, f"--screenshot={shot}", "--window-size=1200,2000", html.as_uri())
    assert snap.returncode == 0, snap.stderr[-2000:]
    return {"report": report, "dom": dom.stdout, "shot": shot}


def test_every_result_has_its_section_in_the_rendered_page(rendered) -> None:
    parser = _Dom()
    parser.feed(rendered["dom"])
    ids = [r["indicator"] for r in rendered["report"]["results"]]
    assert len(parser.sections) >= len(ids)
    assert parser.tables >= 1 + len([r for r in rendered["report"]["results"] if r["details"]])


def test_the_page_is_self_contained_and_its_figures_are_embedded(rendered) -> None:
    parser = _Dom()
    parser.feed(rendered["dom"])
    assert parser.external == []  # nothing fetched from elsewhere
    figures = [src for src in parser.images if src.startswith("data:image/png;base64,")]
    assert figures, "the retrieval figures are embedded as data URIs"


def test_the_browser_draws_the_page(rendered) -> None:
    assert _png_colours(rendered["shot"]) > 3  # text, tables and figures, not a blank page
