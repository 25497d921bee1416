"""``geoverify verify SUBMISSION`` — every indicator of a submission, with reports."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from geoverify.checks import Context
from geoverify.cli.options import progress_option, scheduler_option, want_progress, workers_option
from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.errors import GeoverifyError, MissingDependencyError, require
from geoverify.io.confine import DEFAULT_TIMEOUT
from geoverify.io.shared import SharedScans
from geoverify.model import Result
from geoverify.report import (
    FORMATS,
    build_report,
    check_out_tree,
    refuse_symlinked_out,
    run_record,
    verdict_counts,
    write_reports,
)
from geoverify.run import exit_code
from geoverify.run import verify as run_verify

_COLOURS = {"pass": "green", "fail": "red", "error": "yellow", "inconclusive": "magenta"}


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    formats = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise click.BadParameter(f"choose among {', '.join(FORMATS)} (comma-separated)")
    return formats


@click.command("verify")
@click.argument("submission", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--catalogue",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Indicator catalogue [default: the bundled configs/geo_indicators.toml].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the reports [default: a 'report' folder beside the submission].",
)
@click.option(
    "--format",
    "formats",
    default="json,md,html",
    show_default=True,
    callback=_formats,
    help="Report formats, comma-separated: json, md, html.",
)
@click.option("--indicator", "only", multiple=True, help="Evaluate only these ids (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Time budget of each indicator in seconds (downloads, STAC searches and scans "
    "included); an indicator still running then is 'error: timed out after N s' and the "
    "run goes on.",
)
@workers_option
@scheduler_option
@progress_option
def verify(
    submission: Path,
    catalogue: Path | None,
    out: Path | None,
    formats: list[str],
    only: tuple[str, ...],
    quiet: bool,
    workers: int | None,
    scheduler: str | None,
    progress: bool | None,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Evaluate every indicator of SUBMISSION's directions and write the reports.

    Exit status: 0 all pass · 1 some fail or error · 3 none fail but some
    inconclusive or missing, or a partial run (--indicator left out indicators
    of the submission) · 2 the command could not run.
    """
    cat = load_catalogue(catalogue)
    sub = load_submission(submission, cat)
    claimed = set(sub.indicators(cat))
    for ident in only:
        cat[ident]  # unknown ids are a usage error (exit 2)
        if ident not in claimed:
            raise click.BadParameter(
                f"{ident!r} is not an indicator of the submission's directions "
                f"({', '.join(sub.directions)} and the common ones)",
                param_hint="--indicator",
            )
    out_dir = out if out is not None else sub.base / "report"
    if out is None:
        refuse_symlinked_out(out_dir, sub.base)
    _writable(out_dir)
    context = Context(
        timeout=timeout,
        workers=workers or Context().workers,
        scheduler=scheduler,
        progress=want_progress(progress),
        shared=SharedScans(),
    )

    def show(result: Result) -> None:
        if quiet:
            return
        verdict = str(result.verdict)
        click.echo(
            click.style(f"{verdict:>12}", fg=_COLOURS.get(verdict), bold=True)
            + f"  {result.indicator}: {result.message}"
        )

    results = run_verify(
        sub,
        cat,
        context=context,
        indicators=list(only) or None,
        on_result=show,
    )
    if any(r.plots for r in results):
        try:
            require("matplotlib", "plots", "Drawing the report's figures")
        except MissingDependencyError as exc:  # the verdicts stand without figures
            click.echo(f"geoverify: figures not drawn: {exc}", err=True)
        else:
            from geoverify.report.figures import draw_figures  # matplotlib: only when drawing

            check_out_tree(out_dir)  # figures never follow a symbolic link out of --out
            draw_figures(results, out_dir)
    root = click.get_current_context().find_root().obj or {}
    command = root.get("argv") or ["geoverify", *sys.argv[1:]]
    evaluated = [r.indicator for r in results]
    left_out = [i for i in sub.indicators(cat) if i not in set(evaluated)]
    run = run_record(
        command,
        evaluated=evaluated,
        left_out=left_out,
        shared_passes=context.shared.passes if context.shared else (),
    )
    report = build_report(sub, cat, results, report_dir=out_dir, run=run)
    inputs = [sub.path, cat.path, *(Path(r) for _, r in _all_files(sub))]
    written = write_reports(report, cat, out_dir, formats, protected=inputs)
    summary = ", ".join(f"{v} {k}" for k, v in verdict_counts(report).items() if v)
    if left_out:
        total = len(evaluated) + len(left_out)
        click.echo(
            f"partial run: {len(evaluated)} of {total} indicators: {summary} "
            f"({len(left_out)} left out: not a verdict on the whole submission)"
        )
    else:
        click.echo(f"{len(results)} indicators: {summary}")
    for path in written:
        click.echo(f"wrote {path}", err=True)
    sys.exit(exit_code(results, partial=bool(left_out)))


def _all_files(sub: object) -> list[tuple[str, str]]:
    files: list[tuple[str, str]] = []
    for evidence in getattr(sub, "evidence", {}).values():
        files.extend(evidence.files())
    return files


def _writable(folder: Path) -> None:
    """Fail before the run, in one line, when the report folder cannot be written."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".geoverify-probe-"):
            pass
    except OSError as exc:
        raise GeoverifyError(
            f"cannot write the reports here ({exc.strerror or type(exc).__name__})",
            source=str(folder),
            hint="Choose a writable folder with --out DIR.",
        ) from None
