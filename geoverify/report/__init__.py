"""Render results: ``report.json`` (contract keys), ``report.md`` and ``report.html``.

Reports only render; they compute nothing but the summary counts.  Files are
written atomically (a temporary file in the same folder, flushed, then
renamed), so a reader never sees half a report, and never over an input.

``report.md`` and ``report.html`` show the same content: the tables of both —
the summary (with a short reason for every result that is not a pass), the
confusion matrix, the per-class user's and producer's accuracies (with their
standard errors), the listed items and the ``also`` conditions — are built once
as :class:`Table` (headers and rows of plain text) by :func:`summary_table` and
:func:`detail_tables`, then rendered as Markdown or as escaped HTML.  The HTML
report also keeps the raw ``details`` JSON, collapsed, at the end of each
section.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geoverify._version import __version__
from geoverify.config.catalogue import DEFAULT_CATALOGUE
from geoverify.errors import GeoverifyError
from geoverify.io.checksums import sha256_file
from geoverify.model import Result, Verdict, jsonable
from geoverify.model.catalogue import Catalogue
from geoverify.model.evidence import Submission
from geoverify.model.results import Table
from geoverify.units import format_quantity
from geoverify.versions import versions

__all__ = [
    "BUNDLED_CATALOGUE",
    "FORMATS",
    "MAX_ITEMS",
    "REASON_CHARS",
    "Table",
    "build_report",
    "check_out_tree",
    "detail_tables",
    "partial_note",
    "refuse_symlinked_out",
    "render_html",
    "render_markdown",
    "run_lines",
    "run_record",
    "summary_reason",
    "summary_table",
    "sweep_temporary",
    "verdict_counts",
    "write_atomic",
    "write_reports",
]

FORMATS = ("json", "md", "html")

_ICON = {"pass": "✅", "fail": "❌", "inconclusive": "❔", "missing": "⬜", "error": "⚠️"}


#: How the catalogue bundled with geoverify is recorded, wherever it is installed.
BUNDLED_CATALOGUE = "configs/geo_indicators.toml"

#: The bundled catalogue: the source tree's and the installed package's copy.
_BUNDLED_COPIES = {
    Path(os.path.realpath(p))
    for p in (DEFAULT_CATALOGUE, Path(__file__).parents[1] / "data" / "geo_indicators.toml")
}


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` (POSIX separators); absolute when none exists."""
    try:
        return Path(os.path.relpath(path, start)).as_posix()
    except ValueError:  # another drive on Windows
        return str(path)


def _shown_path(path: Path, report_dir: Path | None = None) -> str:
    """How a submission or catalogue path is recorded in the report.

    With the report folder known (``geoverify verify``): relative to it when the
    report folder lies beside or inside the submission's folder (the default
    ``report/``), so the record does not depend on the working directory and
    stays true when the folder is archived with its report; absolute when the
    report is written elsewhere.  Without it
    (library callers such as :func:`geoverify.testing.samples.record_metrics`): relative
    to the working directory when below it, else absolute.
    """
    path = Path(os.path.realpath(path))
    if report_dir is not None:
        folder = Path(os.path.realpath(report_dir))
        if folder.parent == path.parent or folder.parent in path.parents or folder in path.parents:
            return _relative(path, folder)  # archived together: ``../submission.toml``
        return str(path)  # a report written elsewhere names its inputs absolutely
    relative = _relative(path, Path.cwd())
    return str(path) if relative.startswith("..") or Path(relative).is_absolute() else relative


def _shown_catalogue(path: Path, report_dir: Path | None = None) -> str:
    """The bundled catalogue by its name in geoverify's source tree; others by :func:`_shown_path`.

    The bundled catalogue is identified by ``geoverify_version`` and its sha256,
    not by where geoverify happens to be installed.
    """
    if Path(os.path.realpath(path)) in _BUNDLED_COPIES:
        return BUNDLED_CATALOGUE
    return _shown_path(path, report_dir)


def run_record(
    command: Sequence[str] | None = None,
    *,
    evaluated: Sequence[str] | None = None,
    left_out: Sequence[str] = (),
    shared_passes: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """What a defence of the verdicts needs about the run itself.

    ``time_utc`` (ISO 8601, seconds), the ``command`` line when the run came from
    the command line (``None`` for a library call), and the ``versions`` of
    geoverify, Python, GDAL, PROJ and every library that can change a figure
    (:func:`geoverify.versions.versions`).  With ``evaluated`` (the indicator
    ids the run evaluated), also ``indicators_evaluated``, ``left_out`` (the
    submission's indicators not evaluated, e.g. under ``--indicator``) and
    ``partial`` (true when any was left out): a partial run must not read as
    a verdict on the whole submission.  ``shared_passes`` lists the scans that
    served several indicators in one pass over their rasters
    (:mod:`geoverify.io.shared`).
    """
    out: dict[str, Any] = {
        "time_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": None if command is None else list(command),
        "versions": versions(),
    }
    if evaluated is not None:
        out["indicators_evaluated"] = list(evaluated)
        out["left_out"] = list(left_out)
        out["partial"] = bool(left_out)
    if shared_passes:
        out["shared_passes"] = [dict(p) for p in shared_passes]
    return out


def partial_note(report: dict[str, Any]) -> str:
    """``"partial run: 2 of 21 indicators …"`` for a partial run, else ``""``."""
    run = report.get("run") or {}
    if not run.get("partial"):
        return ""
    evaluated = list(run.get("indicators_evaluated") or [])
    left_out = list(run.get("left_out") or [])
    total = len(evaluated) + len(left_out)
    shown = ", ".join(left_out[:10]) + (", …" if len(left_out) > 10 else "")
    return (
        f"partial run: {len(evaluated)} of {total} indicators evaluated, "
        f"{len(left_out)} left out ({shown}); these verdicts do not speak for the whole "
        "submission."
    )


def build_report(
    submission: Submission,
    catalogue: Catalogue,
    results: Sequence[Result],
    *,
    report_dir: Path | None = None,
    run: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report as a JSON-ready dict with the keys of DESIGN.md, plus ``run``.

    ``report_dir`` is the folder the report is written to: the submission and a
    catalogue other than the bundled one are recorded relative to it (see
    :func:`_shown_path`).  ``run`` is :func:`run_record` (made here when not
    given): the time, command line and library versions behind the verdicts.

    ``summary`` counts the results of each verdict and carries ``partial`` (true
    when indicators of the submission were left out of the run, e.g. under
    ``--indicator``) and ``left_out`` (how many), so that a partial run never
    reads as a verdict on the whole submission even where ``run`` is ignored
    (:func:`geoverify.testing.report_differences`, the recorded metrics).
    """
    run = run if run is not None else run_record()
    summary: dict[str, Any] = {str(v): 0 for v in Verdict}
    for result in results:
        summary[str(result.verdict)] += 1
    summary["partial"] = bool(run.get("partial", False))
    summary["left_out"] = len(run.get("left_out") or [])
    return {
        "geoverify_version": __version__,
        "catalogue": {
            "path": _shown_catalogue(catalogue.path, report_dir),
            "sha256": sha256_file(catalogue.path),
        },
        "submission": {
            "path": _shown_path(submission.path, report_dir),
            "sha256": sha256_file(submission.path),
            "project": submission.title,
            "directions": list(submission.directions),
        },
        "results": [r.to_dict() for r in results],
        "summary": summary,
        "run": run,
    }


def verdict_counts(report: Mapping[str, Any]) -> dict[str, int]:
    """The number of results of each verdict in ``report["summary"]`` (without ``partial``)."""
    summary = report.get("summary") or {}
    return {str(v): int(summary.get(str(v), 0)) for v in Verdict}


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


#: Longest summary reason (characters) before it is cut with "…".
REASON_CHARS = 120
#: Most items listed in an item table (the raw JSON keeps them all).
MAX_ITEMS = 200


_ABBREVIATIONS = {"e.g", "i.e", "cf", "etc", "approx", "vs", "no", "al"}


def summary_reason(result: dict[str, Any]) -> str:
    """Why a non-pass result has its verdict: ``details.reason.text``, cut at :data:`REASON_CHARS`.

    The reason is structured data that ``decide`` and ``run`` record (a code and
    one sentence); the report never parses messages to recover a decision.  A
    result without one (an older report) shows its whole message.
    """
    if result["verdict"] == "pass":
        return ""
    found = (result.get("details") or {}).get("reason")
    text = found.get("text", "") if isinstance(found, dict) else ""
    text = " ".join(str(text or result.get("message") or "").split())
    if len(text) > REASON_CHARS:
        text = text[: REASON_CHARS - 1].rstrip() + "…"
    return text


def summary_table(report: dict[str, Any], catalogue: Catalogue) -> Table:
    """One row per result: indicator, what, rule, value [95% CI], verdict, reason."""
    rows = []
    for r in report["results"]:
        ind = catalogue.indicators.get(r["indicator"])
        rows.append(
            [
                r["indicator"],
                ind.title if ind else "",
                str(r["details"].get("rule", "")),
                _value(r),
                r["verdict"],
                summary_reason(r),
            ]
        )
    return Table(
        caption="",
        headers=["indicator", "what", "rule", "value [95% CI]", "verdict", "reason"],
        rows=rows,
        link=0,
        verdict=4,
        kind="summary",
    )


def _item_state(item: dict[str, Any]) -> str:
    if item.get("verdict"):
        return str(item["verdict"])
    if "counted" in item:
        return "yes" if item["counted"] else "no"
    if isinstance(item.get("value"), int | float):
        return f"{float(item['value']):.2f}"
    return "—"


def _item_note(item: dict[str, Any]) -> str:
    note = str(item.get("reason") or item.get("message") or item.get("proof") or "")
    conditions = [str(c) for c in item.get("conditions") or [] if isinstance(c, str)]
    if conditions:
        note = (note + " — " if note else "") + "; ".join(conditions)
    return note


def detail_tables(details: dict[str, Any], kind: str | None = None) -> list[Table]:
    """The tables of one result's ``details``, shared by the Markdown and HTML reports.

    First the tables of the result's check kind (its spec's ``tables``: the
    confusion matrix and per-class accuracies of an accuracy result), then the
    listed items (title, counted or verdict, proof or reason) and the ``also``
    conditions.
    """
    tables: list[Table] = []
    if kind is not None:
        from geoverify.checks.registry import get_spec
        from geoverify.errors import CheckUnavailableError

        with contextlib.suppress(CheckUnavailableError):  # a plug-in no longer installed
            tables += get_spec(kind).report_tables(details)
    readings = [r for r in details.get("readings") or [] if isinstance(r, dict)]
    if readings:
        tables.append(
            Table(
                caption="Readings (the primary decides; the others are shown for the dispute):",
                headers=["reading", "rule", "verdict", "how the wording is read"],
                rows=[
                    [
                        ("primary" if r.get("primary") else str(r.get("title", ""))),
                        str(r.get("rule", "")),
                        str(r.get("verdict", "")),
                        str(r.get("reading", "")),
                    ]
                    for r in readings
                ],
                verdict=2,
            )
        )
    items = details.get("items")
    if isinstance(items, list) and items and isinstance(items[0], dict):
        shown = [i for i in items[:MAX_ITEMS] if isinstance(i, dict)]
        tables.append(
            Table(
                caption="Items:",
                headers=["item", "counted / verdict", "proof / reason"],
                rows=[[str(i.get("title", "")), _item_state(i), _item_note(i)] for i in shown],
                notes=[f"… and {len(items) - MAX_ITEMS} more items (see the JSON report)"]
                if len(items) > MAX_ITEMS
                else [],
            )
        )
    also = [a for a in details.get("also") or [] if isinstance(a, dict)]
    if also:
        tables.append(
            Table(
                caption="Also required:",
                headers=["condition", "verdict"],
                rows=[[str(a.get("condition", "")), str(a.get("verdict", ""))] for a in also],
                verdict=1,
            )
        )
    return tables


def _defence_lines(result: dict[str, Any]) -> list[tuple[str, str]]:
    """How the value was measured and counted, and the bundled data used, as labelled lines."""
    details = result["details"]
    out = []
    for key, label in (
        ("measurement_rule", "Measured by"),
        ("declared_rule", "Declarations"),
    ):
        if isinstance(details.get(key), str):
            out.append((label, details[key]))
    bundled = [b for b in details.get("bundled_data") or [] if isinstance(b, dict)]
    if bundled:
        out.append(
            (
                "Bundled data",
                "; ".join(f"{b.get('path')} (sha256 {b.get('sha256')})" for b in bundled),
            )
        )
    return out


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table) -> list[str]:
    out = [table.caption, ""] if table.caption else []
    out += [
        "| " + " | ".join(_md_escape(h) for h in table.headers) + " |",
        "|---" * len(table.headers) + "|",
    ]
    for row in table.rows:
        shown = []
        for k, text in enumerate(row):
            if k == table.link:
                shown.append(f"[{text}](#{text.replace('.', '')})")
            elif k == table.verdict and text in _ICON:
                shown.append(f"{_ICON[text]} **{text}**")
            else:
                shown.append(_md_escape(text))
        out.append("| " + " | ".join(shown) + " |")
    out.append("")
    for note in table.notes:
        out += [_md_escape(note), ""]
    return out


def _html_table(table: Table) -> str:
    esc = html.escape
    parts = [f"<p>{esc(table.caption)}</p>"] if table.caption else []
    parts.append(
        f"<table class='{esc(table.kind)}'><tr>"
        + "".join(f"<th>{esc(h)}</th>" for h in table.headers)
        + "</tr>"
    )
    for row in table.rows:
        cells = []
        for k, text in enumerate(row):
            if k == table.link:
                cells.append(f"<td><a href='#{esc(text)}'>{esc(text)}</a></td>")
            elif k == table.verdict and text in _ICON:
                cells.append(f"<td class='{esc(text)}'><b>{esc(text)}</b></td>")
            else:
                cells.append(f"<td>{esc(text)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    parts += [f"<p>{esc(note)}</p>" for note in table.notes]
    return "".join(parts)


def run_lines(report: dict[str, Any]) -> list[tuple[str, str]]:
    """What the run record says, for readers: when, how, and with which versions."""
    run = report.get("run") or {}
    out: list[tuple[str, str]] = []
    if run.get("time_utc"):
        out.append(("Run", f"{run['time_utc']} (UTC)"))
    if run.get("command"):
        out.append(("Command", " ".join(str(a) for a in run["command"])))
    versions = run.get("versions") or {}
    if versions:
        out.append(
            ("Versions", ", ".join(f"{k} {v}" for k, v in versions.items() if v is not None))
        )
    for shared in run.get("shared_passes") or []:
        ids = ", ".join(dict.fromkeys(str(k[0]) for k in shared.get("requests") or []))
        out.append(
            (
                "Shared pass",
                f"{ids}: one read of {shared.get('rasters')} raster(s) for "
                f"{shared.get('label', 'their scans')}",
            )
        )
    return out


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
        *(f"- {label}: {_md_escape(text)}" for label, text in run_lines(report)),
        "",
    ]
    if partial_note(report):
        lines += [f"> **⚠️ {partial_note(report)}**", ""]
    lines += [
        "**Summary:** "
        + " · ".join(f"{_ICON[k]} {k} {v}" for k, v in verdict_counts(report).items()),
        "",
    ]
    lines += _md_table(summary_table(report, catalogue))
    for r in report["results"]:
        ind = catalogue.indicators.get(r["indicator"])
        lines += [f"## {r['indicator']}", ""]
        if ind:
            lines += [
                f"**{ind.title}** — {ind.title_zh}  ",
                f"Call ({ind.section}): 「{ind.quote_display}」  ",
                f"Reading of 「{ind.wording}」: {ind.reading}  ",
            ]
        lines += [f"Rule: {r['details'].get('rule', '')}  "]
        lines += [f"{label}: {_md_escape(text)}  " for label, text in _defence_lines(r)]
        lines += [
            f"Value: {_value(r)}  ",
            f"Verdict: {_ICON[r['verdict']]} **{r['verdict']}** — {r['message']}",
            "",
        ]
        for table in detail_tables(r["details"], ind.check if ind else None):
            lines += _md_table(table)
        if r["evidence"]:
            lines.append("Evidence:")
            lines.append("")
            for e in r["evidence"]:
                digest = f"sha256 `{e['sha256']}`" if e["sha256"] else _note(r, e["path"])
                lines.append(f"- `{e['path']}` — {digest}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:2rem;
max-width:72rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}
.pass{color:#17692f}.fail{color:#b00020}.error{color:#b35c00}.inconclusive{color:#5a4fa0}
.missing{color:#666}.quote{background:#fafafa;border-left:3px solid #999;padding:.3rem .8rem}
code{font-size:.9em}section{border-top:1px solid #ddd;margin-top:1.5rem}
table.summary td:last-child{min-width:16rem}
.partial{background:#fff4e0;border:2px solid #b35c00;padding:.5rem .8rem}
"""


def render_html(report: dict[str, Any], catalogue: Catalogue, base: Path | None = None) -> str:
    """A self-contained HTML report (figures, relative to ``base``, embedded as data URIs)."""
    esc = html.escape
    sub = report["submission"]
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
        defence = "".join(f"{esc(label)}: {esc(text)}<br>" for label, text in _defence_lines(r))
        parts.append(
            f"<p>Rule: {esc(str(r['details'].get('rule', '')))}<br>{defence}"
            f"Value: {esc(_value(r))}<br>"
            f"Verdict: <b class='{esc(r['verdict'])}'>{esc(r['verdict'])}</b> — "
            f"{esc(r['message'])}</p>"
        )
        parts += [
            _html_table(table) for table in detail_tables(r["details"], ind.check if ind else None)
        ]
        for fig in r["details"].get("figures", []):
            parts.append(_embed_png(Path(base or ".") / fig))
        if r["evidence"]:
            parts.append("<p>Evidence:</p><ul>")
            for e in r["evidence"]:
                digest = f"sha256 {e['sha256']}" if e["sha256"] else _note(r, e["path"])
                parts.append(f"<li><code>{esc(e['path'])}</code> — {esc(digest)}</li>")
            parts.append("</ul>")
        parts.append(
            "<details><summary>details (raw JSON)</summary><pre>"
            + esc(json.dumps(r["details"], indent=1, ensure_ascii=False)[:20000])
            + "</pre></details></section>"
        )
        sections.append("".join(parts))
    summary = " · ".join(
        f"<span class='{esc(k)}'>{esc(k)} {v}</span>" for k, v in verdict_counts(report).items()
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>geoverify report — {esc(sub['project'] or sub['path'])}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>geoverify report — {esc(sub['project'] or sub['path'])}</h1>"
        + (
            f"<p class='partial'><b>⚠️ {esc(partial_note(report))}</b></p>"
            if partial_note(report)
            else ""
        )
        + f"<p>Submission <code>{esc(sub['path'])}</code> (sha256 <code>{sub['sha256']}</code>)<br>"
        f"Directions: {esc(', '.join(sub['directions']))}<br>"
        f"Catalogue <code>{esc(report['catalogue']['path'])}</code> (sha256 "
        f"<code>{report['catalogue']['sha256']}</code>)<br>"
        f"geoverify {esc(report['geoverify_version'])}"
        + "".join(f"<br>{esc(label)}: {esc(text)}" for label, text in run_lines(report))
        + "</p>"
        f"<p><b>Summary:</b> {summary}</p>"
        f"{_html_table(summary_table(report, catalogue))}{''.join(sections)}</body></html>\n"
    )


def _embed_png(path: Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ""
    encoded = base64.b64encode(data).decode("ascii")
    return f"<p><img alt='figure' style='max-width:100%' src='data:image/png;base64,{encoded}'></p>"


def _current_umask() -> int:
    """The process's umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def refuse_symlinked_out(out_dir: Path, base: Path) -> None:
    """Refuse the default report folder when the submission ships it as a symbolic link.

    A submission folder is written by others: ``report -> ../elsewhere`` would
    make a default run write (and overwrite) files outside it.  An ``--out``
    the user names is taken as given; only what lies inside it is checked
    (:func:`check_out_tree`).

    Raises
    ------
    GeoverifyError
        ``out_dir`` or a folder between ``base`` and it is a symbolic link.
    """
    out_dir, base = Path(out_dir), Path(base)
    try:
        parts = out_dir.relative_to(base).parts
    except ValueError:
        parts = (out_dir.name,)
        base = out_dir.parent
    current = base
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise GeoverifyError(
                f"the submission ships the report folder as a symbolic link (to "
                f"{os.readlink(current)!r}); reports are not written through it",
                source=str(current),
                hint="Remove the link, or choose the report folder with --out DIR.",
            )


def check_out_tree(out_dir: Path, names: Iterable[str] = ()) -> None:
    """Refuse to write when a report or figure path inside ``out_dir`` is a symbolic link out.

    ``names`` are the files about to be written (relative to ``out_dir``); the
    ``figures`` folder and its files are always checked.

    Raises
    ------
    GeoverifyError
        Naming the link and where it points.
    """
    out_dir = Path(out_dir)
    root = Path(os.path.realpath(out_dir))
    candidates = [out_dir / n for n in names] + [out_dir / "figures"]
    figures = out_dir / "figures"
    if figures.is_dir() and not figures.is_symlink():
        candidates += sorted(figures.iterdir())
    for path in candidates:
        if not path.is_symlink():
            continue
        real = Path(os.path.realpath(path))
        if real != root and root not in real.parents:
            raise GeoverifyError(
                f"is a symbolic link to {real}, outside the report folder; "
                "reports and figures are not written through it",
                source=str(path),
                hint="Remove the link, or choose another folder with --out DIR.",
            )


def sweep_temporary(out_dir: Path) -> list[Path]:
    """Remove ``.report.*.tmp`` files left by runs killed while writing; returns them.

    Two runs must not write the same report folder at the same time.
    """
    removed = []
    with contextlib.suppress(OSError):
        for tmp in Path(out_dir).glob(".report.*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file + ``os.replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; a report is for colleagues too: honour the umask
        # as ``open()`` would (0644 under the usual 022).
        os.fchmod(fd, 0o666 & ~_current_umask())
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
    check_out_tree(out_dir, [p.name for p in paths])
    sweep_temporary(out_dir)
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
