"""The ``geoverify`` click group; each subcommand lives in its own module.

Exit codes (contract): ``verify`` exits 0 when every indicator passes, 1 when
some fail or are in error, 3 when none fail but some are inconclusive or
missing, and 2 when the command itself cannot run (bad arguments, unreadable
or invalid submission or catalogue).  Errors are one line on stderr, never a
traceback (``--debug`` shows it).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from geoverify._version import __version__
from geoverify.cli.options import EXIT_USAGE, error_line
from geoverify.errors import GeoverifyError

#: The subcommands, each in its own module, imported only when it runs: a command pays
#: only for the libraries it uses (``geoverify --help`` imports none of them).  The one-line
#: help shown by ``geoverify --help`` is each command's own (held equal by a test).
COMMANDS: dict[str, str] = {
    "verify": "Evaluate every indicator of SUBMISSION's directions and write the reports.",
    "indicators": "List the indicators of the call: id, check, rule, and the call's own words.",
    "resolution": "Ground pixel size of each RASTER in metres (both axes, the rule used, "
    "upsampling screen).",
    "accuracy": "Thematic accuracy of MAP against REFERENCE (samples or a raster), with 95% CIs.",
    "coverage": "Area (km²) of valid data, countries covered and, for NetCDF/Zarr or several "
    "files, the time period.",
    "stac": "List the items and assets a STAC search gives, with resolution and period from "
    "metadata.",
    "env": "Print geoverify's, Python's, GDAL's, PROJ's and the numeric libraries' versions.",
    "sample": "Design and draw a reference sample for an accuracy assessment.",
}


class GeoverifyGroup(click.Group):
    """A group that turns geoverify and usage errors into one line on stderr and exit 2.

    Subcommands are loaded on first use from :data:`COMMANDS` (click's lazy-group pattern).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            import importlib

            module = importlib.import_module(f"geoverify.cli.{cmd_name}")
            command = getattr(module, cmd_name)
            self.add_command(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name]) for name in self.list_commands(ctx) if name in COMMANDS]
        rows += [
            (name, cmd.get_short_help_str(formatter.width - 6 - len(name)))
            for name, cmd in sorted(self.commands.items())
            if name not in COMMANDS and not cmd.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        argv = kwargs.get("args", args[0] if args else None)
        argv = list(sys.argv[1:] if argv is None else argv)
        # the command line, as typed, for the report's run record
        kwargs.setdefault("obj", {})["argv"] = ["geoverify", *argv]
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        except click.UsageError as exc:
            where = f" {exc.ctx.command_path}" if exc.ctx else ""
            click.echo(
                error_line(f"{exc.format_message()} (see `{where.strip() or 'geoverify'} --help`)"),
                err=True,
            )
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            click.echo(error_line(exc.format_message()), err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("geoverify: aborted", err=True)
            sys.exit(1)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except GeoverifyError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(error_line(exc), err=True)
            ctx.exit(EXIT_USAGE)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from geoverify.versions import show_versions

    click.echo(f"geoverify, version {__version__}")
    show_versions()
    ctx.exit(0)


@click.group(cls=GeoverifyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show geoverify's version and the versions behind its figures, then exit.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Verify earth-observation deliverables against the GEO indicators of the 2026 call.

    \b
    geoverify verify sample_rasters/spine_pass/submission.toml
    geoverify indicators --direction wildfire
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not debug:  # GDAL's warnings (CRS definitions, TIFF tags) are noise for users
        logging.getLogger("rasterio").setLevel(logging.ERROR)
