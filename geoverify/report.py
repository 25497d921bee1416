"""Render results: ``report.json`` (contract keys), ``report.md`` and ``report.html``.

Reports only render; they compute nothing but the summary counts.  Files are
written atomically (a temporary file in the same folder, flushed, then
renamed), so a reader never sees half a report, and never over an input.
"""

from __future__ import annotations

import base64
import html
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .catalogue import Catalogue
from .errors import GeoverifyError
from .measurement import Result, Verdict, jsonable
from .sources import sha256_file
from .submission import Submission
from .units import format_quantity

__all__ = [
    "FORMATS",
    "build_report",
    "render_html",
    "render_markdown",
    "write_atomic",
    "write_reports",
]

FORMATS = ("json", "md", "html")

_ICON = {"pass": "✅", "fail": "❌", "inconclusive": "❔", "missing": "⬜", "error": "⚠️"}


def _shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (stable reports)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else Path(relative).as_posix()


def build_report(
    submission: Submission, catalogue: Catalogue, results: Sequence[Result]
) -> dict[str, Any]:
    """The report as a JSON-ready dict with exactly the keys of DESIGN.md."""
    summary = {str(v): 0 for v in Verdict}
    for result in results:
        summary[str(result.verdict)] += 1
    return {
        "geoverify_version": __version__,
        "catalogue": {"path": _shown_path(catalogue.path), "sha256": sha256_file(catalogue.path)},
        "submission": {
            "path": _shown_path(submission.path),
            "sha256": sha256_file(submission.path),
            "project": submission.title,
            "directions": list(submission.directions),
        },
        "results": [r.to_dict() for r in results],
        "summary": summary,
    }


def _value(result: dict[str, Any]) -> str:
    value = result["value"]
    if value is None:
        return "—"
    text = format_quantity(value, result["unit"] or "")
    if result.get("ci"):
        low, high = result["ci"]
        text += (
            f" [{format_quantity(low, result['unit'])}, {format_quantity(high, result['unit'])}]"
        )
    return text


def _note(result: dict[str, Any], path: str) -> str:
    """Why the evidence at ``path`` has no checksum."""
    for note in result["details"].get("evidence_notes", []):
        if note["path"] == path:
            return str(note["note"])
    return "no checksum"


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any], catalogue: Catalogue) -> str:
    """A report a secretariat officer can read: summary table first, then each indicator."""
    sub = report["submission"]
    lines = [
        f"# geoverify report — {sub['project'] or sub['path']}",
        "",
        f"- Submission: `{sub['path']}` (sha256 `{sub['sha256']}`)",
        f"- Directions: {', '.join(sub['directions'])}",
        f"- Catalogue: `{report['catalogue']['path']}` (sha256 `{report['catalogue']['sha256']}`)",
        f"- geoverify {report['geoverify_version']}",
        "",
        "**Summary:** " + " · ".join(f"{_ICON[k]} {k} {v}" for k, v in report["summary"].items()),
        "",
        "| indicator | what | rule | value [95% CI] | verdict |",
        "|---|---|---|---|---|",
    ]
    for r in report["results"]:
        ind = catalogue.indicators.get(r["indicator"])
        title = ind.title if ind else ""
        rule = r["details"].get("rule", "")
        lines.append(
            f"| [{r['indicator']}](#{r['indicator'].replace('.', '')}) | {_md_escape(title)} | "
            f"{_md_escape(rule)} | {_md_escape(_value(r))} | {_ICON[r['verdict']]} "
            f"**{r['verdict']}** |"
        )
    lines.append("")
    for r in report["results"]:
        ind = catalogue.indicators.get(r["indicator"])
        lines += [f"## {r['indicator']}", ""]
        if ind:
            lines += [
                f"**{ind.title}** — {ind.title_zh}  ",
                f"Call ({ind.section}): 「{ind.quote_display}」  ",
                f"Reading of 「{ind.wording}」: {ind.reading}  ",
            ]
        lines += [
            f"Rule: {r['details'].get('rule', '')}  ",
            f"Value: {_value(r)}  ",
            f"Verdict: {_ICON[r['verdict']]} **{r['verdict']}** — {r['message']}",
            "",
        ]
        lines += _md_details(r["details"])
        if r["evidence"]:
            lines.append("Evidence:")
            lines.append("")
            for e in r["evidence"]:
                digest = f"sha256 `{e['sha256']}`" if e["sha256"] else _note(r, e["path"])
                lines.append(f"- `{e['path']}` — {digest}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md_details(details: dict[str, Any]) -> list[str]:
    out: list[str] = []
    matrix, labels = details.get("confusion_matrix"), details.get("labels")
    if matrix and labels:
        out += [
            "Confusion matrix (rows = map, columns = reference):",
            "",
            "| map \\ reference | " + " | ".join(map(str, labels)) + " |",
            "|---" * (len(labels) + 1) + "|",
        ]
        out += [
            f"| {label} | " + " | ".join(str(v) for v in row) + " |"
            for label, row in zip(labels, matrix, strict=False)
        ]
        out.append("")
    items = details.get("items")
    if isinstance(items, list) and items and isinstance(items[0], dict):
        out += ["| item | counted / verdict | note |", "|---|---|---|"]
        for item in items[:200]:
            state = item.get("verdict") or ("yes" if item.get("counted") else "no")
            note = item.get("reason") or item.get("message") or item.get("proof") or ""
            out.append(f"| {_md_escape(item.get('title', ''))} | {state} | {_md_escape(note)} |")
        out.append("")
    for agg in details.get("also", []):
        out.append(f"- {agg['verdict']}: {agg['condition']}")
    if details.get("also"):
        out.append("")
    return out


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:2rem;
max-width:72rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}
.pass{color:#17692f}.fail{color:#b00020}.error{color:#b35c00}.inconclusive{color:#5a4fa0}
.missing{color:#666}.quote{background:#fafafa;border-left:3px solid #999;padding:.3rem .8rem}
code{font-size:.9em}section{border-top:1px solid #ddd;margin-top:1.5rem}
"""


def render_html(report: dict[str, Any], catalogue: Catalogue, base: Path | None = None) -> str:
    """A self-contained HTML report (figures, relative to ``base``, embedded as data URIs)."""
    esc = html.escape
    sub = report["submission"]
    rows = []
    for r in report["results"]:
        ind = catalogue.indicators.get(r["indicator"])
        rows.append(
            f"<tr><td><a href='#{esc(r['indicator'])}'>{esc(r['indicator'])}</a></td>"
            f"<td>{esc(ind.title if ind else '')}</td><td>{esc(r['details'].get('rule', ''))}</td>"
            f"<td>{esc(_value(r))}</td><td class='{r['verdict']}'><b>{r['verdict']}</b></td></tr>"
        )
    sections = []
    for r in report["results"]:
        ind = catalogue.indicators.get(r["indicator"])
        parts = [f"<section id='{esc(r['indicator'])}'><h2>{esc(r['indicator'])}</h2>"]
        if ind:
            parts.append(
                f"<p><b>{esc(ind.title)}</b> — {esc(ind.title_zh)}</p>"
                f"<p class='quote'>{esc(ind.section)}: 「{esc(ind.quote_display)}」</p>"
                f"<p>Reading of 「{esc(ind.wording)}」: {esc(ind.reading)}</p>"
            )
        parts.append(
            f"<p>Rule: {esc(r['details'].get('rule', ''))}<br>Value: {esc(_value(r))}<br>"
            f"Verdict: <b class='{r['verdict']}'>{r['verdict']}</b> — {esc(r['message'])}</p>"
        )
        for fig in r["details"].get("figures", []):
            parts.append(_embed_png(Path(base or ".") / fig))
        if r["evidence"]:
            parts.append("<ul>")
            for e in r["evidence"]:
                digest = f"sha256 {e['sha256']}" if e["sha256"] else _note(r, e["path"])
                parts.append(f"<li><code>{esc(e['path'])}</code> — {esc(digest)}</li>")
            parts.append("</ul>")
        parts.append(
            "<details><summary>details</summary><pre>"
            + esc(json.dumps(r["details"], indent=1, ensure_ascii=False)[:20000])
            + "</pre></details></section>"
        )
        sections.append("".join(parts))
    summary = " · ".join(f"<span class='{k}'>{k} {v}</span>" for k, v in report["summary"].items())
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>geoverify report — {esc(sub['project'])}</title><style>{_CSS}</style></head><body>"
        f"<h1>geoverify report — {esc(sub['project'] or sub['path'])}</h1>"
        f"<p>Submission <code>{esc(sub['path'])}</code> (sha256 <code>{sub['sha256']}</code>)<br>"
        f"Catalogue <code>{esc(report['catalogue']['path'])}</code> (sha256 "
        f"<code>{report['catalogue']['sha256']}</code>)<br>"
        f"geoverify {report['geoverify_version']}</p>"
        f"<p><b>Summary:</b> {summary}</p>"
        "<table><tr><th>indicator</th><th>what</th><th>rule</th><th>value [95% CI]</th>"
        f"<th>verdict</th></tr>{''.join(rows)}</table>{''.join(sections)}</body></html>\n"
    )


def _embed_png(path: Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ""
    encoded = base64.b64encode(data).decode("ascii")
    return f"<p><img alt='figure' style='max-width:100%' src='data:image/png;base64,{encoded}'></p>"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file + ``os.replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(
    report: dict[str, Any],
    catalogue: Catalogue,
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    *,
    protected: Iterable[Path] = (),
) -> list[Path]:
    """Write the report in each format into ``out_dir``; returns the paths written.

    Raises
    ------
    GeoverifyError
        If a report would overwrite one of the ``protected`` input files.
    """
    out_dir = Path(out_dir)
    protected_real = {Path(os.path.realpath(p)) for p in protected}
    written = []
    renderers = {
        "json": lambda: json.dumps(jsonable(report), indent=2, ensure_ascii=False) + "\n",
        "md": lambda: render_markdown(report, catalogue),
        "html": lambda: render_html(report, catalogue, out_dir),
    }
    paths = [out_dir / f"report.{fmt}" for fmt in formats]
    for path in paths:  # refuse before writing anything
        if Path(os.path.realpath(path)) in protected_real:
            raise GeoverifyError(
                "the report would overwrite an input file",
                source=str(path),
                hint="Choose another --out folder.",
            )
    for fmt, path in zip(formats, paths, strict=True):
        try:
            write_atomic(path, renderers[fmt]())
        except OSError as exc:
            raise GeoverifyError(
                f"cannot write the report ({exc.strerror or type(exc).__name__})",
                source=str(path),
                hint="Choose a writable folder with --out DIR.",
            ) from None
        written.append(path)
    return written
