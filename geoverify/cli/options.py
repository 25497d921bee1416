"""Options shared by several subcommands."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from geoverify.errors import GeoverifyError
from geoverify.model import jsonable

__all__ = [
    "EXIT_USAGE",
    "emit_json",
    "error_line",
    "fail",
    "format_option",
    "progress_option",
    "scheduler_option",
    "workers_option",
]

#: Exit status when a command cannot run (bad arguments, unusable input).
EXIT_USAGE = 2


def error_line(exc: BaseException | str) -> str:
    """The one-line ``geoverify: error: …`` every subcommand prints on stderr."""
    return "geoverify: error: " + " ".join(str(exc).split("\n"))


def fail(exc: GeoverifyError) -> NoReturn:
    """Print ``exc`` as :func:`error_line` and exit 2 (re-raise it under ``--debug``).

    For subcommands that must print an error themselves (the group prints the
    errors that escape a subcommand the same way).
    """
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    if isinstance(obj, dict) and obj.get("debug"):
        raise exc
    click.echo(error_line(exc), err=True)
    raise SystemExit(EXIT_USAGE)


def format_option(*choices: str, default: str = "table") -> Any:
    """``--format`` with the given choices (``table``/``json`` by default)."""
    choices = choices or ("table", "json")
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format.",
    )


workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Threads used to decode raster blocks [default: every core].",
)

scheduler_option = click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="dask.distributed scheduler address (tcp://host:8786) to distribute raster scans.",
)

progress_option = click.option(
    "--progress/--no-progress",
    default=None,
    help="Show progress of long scans on stderr [default: when stderr is a terminal].",
)


def emit_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout."""
    click.echo(json.dumps(jsonable(obj), indent=2, ensure_ascii=False))


def want_progress(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag
