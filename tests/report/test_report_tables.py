"""report.md and report.html show the same tables: confusion matrix, per-class accuracy, items,
``also`` conditions and the summary reasons (expected values written by hand)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from geoverify.config.catalogue import load_catalogue
from geoverify.report import render_html, render_markdown

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = load_catalogue(REPO / "configs" / "geo_indicators.toml")

MATRIX = [[43, 3, 4], [2, 48, 0], [5, 1, 44]]
LABELS = ["wheat", "maize", "rice"]
LONG = (
    "host_no_crs.tif: the raster has no CRS: its pixel size is 250 × 250 in unknown units and "
    "nothing about it can be said without the coordinate reference system of the grid "
    "(declare it). Declare the CRS in the file."
)


def _report() -> dict:
    accuracy = {
        "indicator": "geoglam.croptype_accuracy",
        "verdict": "fail",
        "value": 90.0,
        "unit": "%",
        "op": ">=",
        "threshold": 95.0,
        "ci": [86.1, 93.0],
        "message": "90% (95% CI 86.1% to 93%): the whole interval misses ≥ 95%. n = 150 samples",
        "details": {
            "rule": "≥ 95%",
            "reason": {
                "code": "misses",
                "text": "90% (95% CI 86.1% to 93%): the whole interval misses ≥ 95%",
            },
            "confusion_matrix": MATRIX,
            "labels": LABELS,
            "users_accuracy": {"wheat": 0.86, "maize": 0.96, "rice": 0.88},
            "users_accuracy_se": {"wheat": 0.0496, "maize": 0.028, "rice": None},
            "producers_accuracy": {"wheat": 0.86, "maize": 0.923, "rice": 0.917},
            "producers_accuracy_se": {"wheat": 0.0, "maize": 0.0, "rice": 0.0},
        },
        "evidence": [],
    }
    items = {
        "indicator": "geoglam.methods",
        "verdict": "fail",
        "value": 2,
        "unit": "count",
        "op": ">=",
        "threshold": 2,
        "ci": None,
        "message": "2 meets the rule ≥ 2. 2 of 3 listed items count; but values of 'category': "
        "has a; missing b",
        "details": {
            "rule": "≥ 2",
            "reason": {
                "code": "condition_failed",
                "text": "2 meets the rule ≥ 2; but values of 'category': has a; missing b",
            },
            "items": [
                {"title": "Method <A> | pipe", "counted": True, "proof": "doi:10.5281/z.1"},
                {"title": "Method B", "counted": False, "proof": None, "reason": "no proof"},
                {"title": "Method C", "verdict": "pass", "proof": "doi:10.5281/z.3"},
            ],
            "also": [
                {"condition": "values of 'category': has a; missing b", "verdict": "fail"},
                {"condition": "distinct country: 2 meets the rule ≥ 1", "verdict": "pass"},
            ],
        },
        "evidence": [],
    }
    error = {
        "indicator": "geoglam.croptype_resolution",
        "verdict": "error",
        "value": None,
        "unit": "m",
        "op": "<=",
        "threshold": 10.0,
        "ci": None,
        "message": LONG,
        "details": {"rule": "≤ 10 m", "reason": {"code": "error", "text": LONG}},
        "evidence": [],
    }
    passing = {**error, "indicator": "geoglam.platform", "verdict": "pass", "message": "ok. x"}
    return {
        "geoverify_version": "0",
        "catalogue": {"path": "c.toml", "sha256": "0" * 64},
        "submission": {"path": "s.toml", "sha256": "1" * 64, "project": "P <&>",
                       "directions": ["geoglam"]},
        "results": [accuracy, items, error, passing],
        "summary": {"pass": 1, "fail": 2, "inconclusive": 0, "missing": 0, "error": 1},
    }


class Tables(HTMLParser):
    """Every <table> as rows of cell texts, and the open/close tag balance."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.stack: list[str] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag not in {"meta", "br", "img"}:
            self.stack.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in {"td", "th"}:
            self.cell = []

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (self.stack[-5:], tag)
        self.stack.pop()
        if tag in {"td", "th"}:
            assert self.cell is not None
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _html_tables(text: str) -> list[list[list[str]]]:
    parser = Tables()
    parser.feed(text)
    parser.close()
    assert parser.stack == []
    return parser.tables


def _md_tables(text: str) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    previous = False
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous:
                tables.append([])
            if not re.fullmatch(r"(\|---)+\|", line):
                cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
                tables[-1].append(cells)
        previous = line.startswith("|")
    return tables


def _plain_md(cell: str) -> str:
    """Markdown cell text without link, icon and bold markup."""
    cell = re.sub(r"^\[(.*)\]\(#[^)]*\)$", r"\1", cell)
    cell = re.sub(r"^\S+ \*\*(\w+)\*\*$", r"\1", cell)
    return cell


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[list[list[str]]]]:
    report = _report()
    md = render_markdown(report, CATALOGUE)
    html = render_html(report, CATALOGUE)
    return {
        "md": [[[_plain_md(c) for c in row] for row in t] for t in _md_tables(md)],
        "html": _html_tables(html),
        "md_text": md,  # type: ignore[dict-item]
        "html_text": html,  # type: ignore[dict-item]
    }


def test_markdown_and_html_show_the_same_tables(rendered) -> None:
    assert rendered["md"] == rendered["html"]
    # summary, matrix, per-class, items, also
    assert len(rendered["html"]) == 5


def test_confusion_matrix_in_both(rendered) -> None:
    for kind in ("md", "html"):
        matrix = rendered[kind][1]
        assert matrix[0] == ["map \\ reference", "wheat", "maize", "rice"]
        assert matrix[1:] == [
            ["wheat", "43", "3", "4"],
            ["maize", "2", "48", "0"],
            ["rice", "5", "1", "44"],
        ]


def test_per_class_accuracy_with_se(rendered) -> None:
    for kind in ("md", "html"):
        table = rendered[kind][2]
        assert table[0] == ["class", "user's accuracy", "SE", "producer's accuracy", "SE"]
        assert table[1:] == [
            ["wheat", "86.0", "5.0", "86.0", "0.0"],
            ["maize", "96.0", "2.8", "92.3", "0.0"],
            ["rice", "88.0", "—", "91.7", "0.0"],
        ]


def test_items_and_also_in_both(rendered) -> None:
    for kind in ("md", "html"):
        items, also = rendered[kind][3], rendered[kind][4]
        assert items == [
            ["item", "counted / verdict", "proof / reason"],
            ["Method <A> | pipe", "yes", "doi:10.5281/z.1"],
            ["Method B", "no", "no proof"],
            ["Method C", "pass", "doi:10.5281/z.3"],
        ]
        assert also == [
            ["condition", "verdict"],
            ["values of 'category': has a; missing b", "fail"],
            ["distinct country: 2 meets the rule ≥ 1", "pass"],
        ]


def test_summary_reasons(rendered) -> None:
    for kind in ("md", "html"):
        summary = rendered[kind][0]
        assert summary[0] == ["indicator", "what", "rule", "value [95% CI]", "verdict", "reason"]
        reasons = {row[0]: (row[4], row[5]) for row in summary[1:]}
        assert reasons["geoglam.croptype_accuracy"] == (
            "fail",
            "90% (95% CI 86.1% to 93%): the whole interval misses ≥ 95%",
        )
        # the value meets the rule but another condition fails: the reason says which
        assert reasons["geoglam.methods"] == (
            "fail",
            "2 meets the rule ≥ 2; but values of 'category': has a; missing b",
        )
        verdict, reason = reasons["geoglam.croptype_resolution"]
        assert verdict == "error"
        assert len(reason) == 120 and reason.endswith("…")
        assert LONG.startswith(reason[:-1])
        assert reasons["geoglam.platform"] == ("pass", "")


def test_html_is_escaped_and_self_contained(rendered) -> None:
    html = rendered["html_text"]
    assert "Method &lt;A&gt; | pipe" in html and "<A>" not in html
    assert "P &lt;&amp;&gt;" in html
    assert "<script" not in html and "<link " not in html
    # the raw JSON stays, collapsed, at the end of every section
    for section in html.split("<section")[1:]:
        assert section.rstrip().endswith("</pre></details></section>") or section.rstrip(
        ).endswith("</pre></details></section></body></html>")


def test_summary_reason_reads_the_structured_reason_not_the_message() -> None:
    """issue 10: the report reads reason codes, never decide's prose."""
    from geoverify.report import summary_reason

    result = {
        "verdict": "fail",
        "message": "3 meets the rule ≥ 2. Something else entirely",
        "details": {"reason": {"code": "condition_failed", "text": "why it fails"}},
    }
    assert summary_reason(result) == "why it fails"


def test_every_verify_result_carries_a_known_reason_code(tmp_path) -> None:
    from geoverify.config.catalogue import load_catalogue
    from geoverify.config.submission import load_submission
    from geoverify.decide import REASON_CODES
    from geoverify.run import verify

    from ..conftest import ROOT

    catalogue = load_catalogue()
    for sample in ("spine_errors", "spine_fail", "landcover_inconclusive"):
        sub = load_submission(ROOT / "sample_rasters" / sample / "submission.toml", catalogue)
        for result in verify(sub, catalogue):
            found = result.details["reason"]
            assert found["code"] in REASON_CODES, (result.indicator, found)
            assert found["text"], result.indicator
