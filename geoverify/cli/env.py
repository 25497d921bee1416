"""``geoverify env`` — the versions behind every figure (as ``xr.show_versions()``)."""

from __future__ import annotations

import click

from geoverify.cli.options import emit_json, format_option
from geoverify.stats import kernels
from geoverify.versions import show_versions, versions


def kernels_line() -> str:
    """Which counting kernels run: the C extension, or numpy (same counts, slower)."""
    if kernels.backend() == "c":
        return "counting kernels: C extension (geoverify.stats._ckernels, GIL released)"
    if kernels.extension() is None:
        return (
            "counting kernels: numpy (the C extension was not built: install a C compiler "
            "and Python's headers, then reinstall geoverify)"
        )
    return f"counting kernels: numpy ({kernels.MODE_ENV}=numpy)"


@click.command("env")
@format_option()
def env(fmt: str) -> None:
    """Print geoverify's, Python's, GDAL's, PROJ's and the numeric libraries' versions.

    These are the versions every report records under ``run.versions``: the ones
    that can change a figure.
    """
    if fmt == "json":
        emit_json({**versions(), "kernels": kernels.backend()})
        return
    show_versions()
    click.echo(kernels_line())
