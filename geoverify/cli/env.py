"""``geoverify env`` — the versions behind every figure (as ``xr.show_versions()``)."""

from __future__ import annotations

import click

from geoverify.cli.options import emit_json, format_option
from geoverify.versions import show_versions, versions


@click.command("env")
@format_option()
def env(fmt: str) -> None:
    """Print geoverify's, Python's, GDAL's, PROJ's and the numeric libraries' versions.

    These are the versions every report records under ``run.versions``: the ones
    that can change a figure.
    """
    if fmt == "json":
        emit_json(versions())
        return
    show_versions()
