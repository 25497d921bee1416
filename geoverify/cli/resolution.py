"""``geoverify resolution RASTER...`` — the ground pixel size of rasters, ad hoc."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from geoverify.checks import Context
from geoverify.cli.options import emit_json, error_line, format_option
from geoverify.errors import EvidenceReadError, GeoverifyError
from geoverify.io.raster import split_subdataset
from geoverify.model import Measurement
from geoverify.model.evidence import Evidence, is_remote


def _measure(raster: str, band: int, variable: str | None) -> Measurement:
    """The resolution measurement of one raster named on the command line."""
    from geoverify.checks.resolution.measure import measure_resolution

    path, named = split_subdataset(raster)  # NETCDF:"file.nc":var names the variable itself
    if named is not None:
        if variable is not None and variable.lstrip("/") != named:
            raise click.UsageError(f"{raster} names variable {named!r}, --variable {variable!r}")
        variable = named
    if not is_remote(path) and not Path(path).exists():  # named as given, like other commands
        raise EvidenceReadError("file not found", source=path, hint="Check the path.")
    location = path if is_remote(path) else str(Path(path).resolve())
    base = Path(location).parent if not is_remote(path) else Path.cwd()
    options: dict[str, Any] = {"raster": location, "band": band}
    if variable is not None:
        options["variable"] = variable
    evidence = Evidence("resolution", base, options, raster)
    return measure_resolution(evidence, {"axis": "coarser"}, Context())


def _as_json(raster: str, measurement: Measurement) -> dict[str, Any]:
    return {
        "input": raster,
        "value": measurement.value,
        "unit": "m",
        **measurement.details,
        "message": measurement.message,
    }


def _echo_table(raster: str, measurement: Measurement) -> None:
    d = measurement.details
    click.echo(f"{raster}")
    if "variable" in d:
        click.echo(f"  variable       {d['variable']}")
    custom = "; no EPSG code, WKT in --format json" if "crs_wkt" in d else ""
    click.echo(f"  CRS            {d['crs']} ({d.get('units', '')}{custom})")
    if "crs_source" in d:
        click.echo(f"  CRS from       {d['crs_source']}")
    click.echo(f"  pixel x        {d['x_m']:.6g} m")
    click.echo(f"  pixel y        {d['y_m']:.6g} m")
    click.echo(f"  decides        {d['axis']}: {measurement.value:.6g} m")
    click.echo(f"  method         {d['method']}")
    if "rotation_deg" in d:
        click.echo(f"  rotation       {d['rotation_deg']:.4g}°")
    screen = d.get("effective_resolution")
    if screen:
        click.echo(f"  screen         {_screen_line(screen, measurement.value)}")


def _screen_line(screen: dict[str, Any], decided_m: float) -> str:
    """The upsampling screen in plain words (its method is in the JSON output)."""
    if not screen.get("screened", True):
        return "not applied (constant or empty data)"
    factor = screen.get("factor")
    if screen.get("upsampled") and factor:
        return f"upsampled about {factor}× (effective ≈ {decided_m:.4g} m)"
    return "native: no sign of upsampling"


@click.command("resolution")
@click.argument("rasters", nargs=-1, required=True, metavar="RASTER...")
@click.option("--band", type=int, default=1, show_default=True, help="Band to screen.")
@click.option(
    "--variable",
    default=None,
    metavar="NAME",
    help="Variable to measure in a file holding several (NetCDF, HDF5).",
)
@format_option()
def resolution(rasters: tuple[str, ...], band: int, variable: str | None, fmt: str) -> None:
    """Ground pixel size of each RASTER in metres (both axes, the rule used, upsampling screen).

    RASTER is a local file, an http(s) URL of a (cloud-optimised) GeoTIFF, or a
    GDAL subdataset name such as NETCDF:"file.nc":Band1.  With several rasters,
    each gets its own block (JSON: a list); a raster in error is reported on
    stderr, the others are still measured, and the exit status is 2.

    \b
    geoverify resolution map.tif
    geoverify resolution RGB.nc --variable Band1
    geoverify resolution a.nc b.tif --format json
    """
    if len(rasters) == 1:  # one raster: its error is the command's error (one line, exit 2)
        measurement = _measure(rasters[0], band, variable)
        if fmt == "json":
            emit_json(_as_json(rasters[0], measurement))
        else:
            _echo_table(rasters[0], measurement)
        return
    results: list[dict[str, Any]] = []
    failed = False
    for n, raster in enumerate(rasters):
        if n and fmt != "json":
            click.echo("")
        try:
            measurement = _measure(raster, band, variable)
        except GeoverifyError as exc:
            failed = True
            click.echo(error_line(exc), err=True)
            results.append({"input": raster, "error": str(exc)})
            if fmt != "json":
                click.echo(f"{raster}\n  error          {exc}")
            continue
        if fmt == "json":
            results.append(_as_json(raster, measurement))
        else:
            _echo_table(raster, measurement)
    if fmt == "json":
        emit_json(results)
    if failed:
        raise SystemExit(2)
