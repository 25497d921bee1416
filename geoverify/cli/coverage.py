"""``geoverify coverage RASTER|VECTOR`` — area, countries and time period of one deliverable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from geoverify.checks import Context
from geoverify.cli.options import emit_json, fail, format_option, workers_option
from geoverify.errors import EvidenceError, GeoverifyError
from geoverify.geo.regions import REGIONS
from geoverify.io.formats import is_cube, is_vector
from geoverify.model.evidence import Evidence


def _kind(path: Path) -> str:
    if is_cube(path):
        return "cube"
    if is_vector(path):
        return "vector"
    return "raster"


def _coverage(
    paths: list[str],
    region: str,
    boundaries: str | None,
    workers: int,
    variable: str | None = None,
) -> dict[str, Any]:
    from geoverify.checks.area.measure import measure_area
    from geoverify.checks.countries.measure import measure_countries
    from geoverify.checks.period.measure import measure_period

    files = [Path(p).resolve() for p in paths]
    for given, f in zip(paths, files, strict=True):
        if not f.exists():  # named as on the command line, like the other subcommands
            raise EvidenceError("file not found", source=given, hint="Check the path.")
    base = Path("/")
    context = Context(workers=workers)
    kinds = {_kind(f) for f in files}
    first = files[0]
    if variable is not None and kinds == {"vector"}:
        raise click.UsageError("--variable applies to rasters (NetCDF, HDF5), not to vector files")
    out: dict[str, Any] = {"inputs": [str(p) for p in paths], "region": region}
    if variable is not None:
        out["variable"] = variable
    extra: dict[str, Any] = {"boundaries": str(Path(boundaries).resolve())} if boundaries else {}
    picked: dict[str, Any] = {"variable": variable} if variable is not None else {}
    if kinds == {"cube"} or (len(files) > 1 and kinds == {"raster"}):
        key = "files" if kinds == {"cube"} else "rasters"
        ev = Evidence("coverage", base, {key: [str(f) for f in files], **picked}, paths[0])
        try:
            period = measure_period(ev, {"measure": "span"}, context)
            out["period"] = {
                "first": period.details["first"],
                "last": period.details["last"],
                "steps": period.details["n_times"],
                "step": period.details.get("step"),
                "missing": period.details.get("missing", []),
            }
        except GeoverifyError as exc:
            out["period"] = {"error": str(exc)}
    if kinds == {"vector"}:
        ev = Evidence("coverage", base, {"vector": str(first), **extra}, paths[0])
        key_countries = "vector"
    elif "cube" in kinds:
        # a NetCDF/Zarr: area and countries of the variable named (or the only one) through GDAL
        ev = Evidence("coverage", base, {"raster": str(first), **extra, **picked}, paths[0])
        key_countries = "raster"
    else:
        ev = Evidence(
            "coverage", base, {"rasters": [str(f) for f in files], **extra, **picked}, paths[0]
        )
        key_countries = "raster"
    points = kinds == {"vector"} and first.suffix.lower() in (".csv", ".txt")
    try:
        if points:
            raise EvidenceError("a table of sites (points) covers no area", source=paths[0])
        area = measure_area(ev, {"measure": "valid_area"}, context)
        out["area_km2"] = area.value
        out["area_method"] = area.details.get("method")
    except GeoverifyError as exc:
        if "cube" not in kinds and "vector" not in kinds:
            raise
        out["area_km2"] = None  # points, or a cube GDAL cannot georeference: countries still
        out["area_error"] = str(exc)
    options = {key_countries: str(first), **extra}
    if key_countries == "raster":
        options.update(picked)
    if key_countries == "vector" and first.suffix.lower() == ".csv":
        options = {"sites": str(first), **extra}
    try:
        countries = measure_countries(
            Evidence("coverage", base, options, paths[0]), {"region": region}, context
        )
        out["countries"] = countries.details["countries"]
        out["n_countries"] = countries.value
        out["outside_region"] = countries.details["outside_region"]
        out["screen"] = countries.details.get("screen")
        out["rule"] = countries.details["counting_rule"]
    except GeoverifyError as exc:
        if "cube" not in kinds:
            raise
        out["countries_error"] = str(exc)
    return out


@click.command("coverage")
@click.argument("paths", nargs=-1, required=True, metavar="RASTER|VECTOR...")
@click.option(
    "--region",
    type=click.Choice(list(REGIONS)),
    default="any",
    show_default=True,
    help="Count only countries of this region.",
)
@click.option(
    "--boundaries",
    type=click.Path(dir_okay=False),
    default=None,
    help="Country boundaries file with ISO3 codes in a field iso3/ISO_A3/ADM0_A3/GID_0 "
    "[default: the bundled 1:110m boundaries].",
)
@click.option(
    "--variable",
    default=None,
    metavar="NAME",
    help="Variable to read in a file holding several (NetCDF, HDF5).",
)
@workers_option
@format_option()
def coverage(
    paths: tuple[str, ...],
    region: str,
    boundaries: str | None,
    variable: str | None,
    workers: int | None,
    fmt: str,
) -> None:
    """Area (km²) of valid data, countries covered and, for NetCDF/Zarr or several files,
    the time period.

    \b
    geoverify coverage map.tif --region africa_asia
    geoverify coverage sites.gpkg --format json
    geoverify coverage host_1992.nc host_1993.nc
    geoverify coverage RGB.nc --variable Band1
    """
    import os

    try:
        result = _coverage(
            list(paths), region, boundaries, workers or os.cpu_count() or 1, variable
        )
    except GeoverifyError as exc:
        fail(exc)
    if fmt == "json":
        emit_json(result)
        return
    click.echo(", ".join(paths))
    if variable is not None:
        click.echo(f"  variable       {variable}")
    if result.get("area_km2") is not None:
        click.echo(f"  area           {result['area_km2']:,.2f} km²")
    elif "area_error" in result:
        click.echo(f"  area           - ({result['area_error']})")
    if "n_countries" in result:
        codes = ", ".join(c["iso3"] for c in result["countries"])
        click.echo(f"  countries      {result['n_countries']} in {region!r}: {codes or '-'}")
        if result["outside_region"]:
            click.echo(f"  outside region {', '.join(result['outside_region'])}")
        if result.get("screen"):
            s = result["screen"]
            click.echo(
                f"  screened at    {s['shape'][1]}x{s['shape'][0]} cells "
                f"(1/{s['decimation']} of the full grid)"
            )
    elif "countries_error" in result:
        click.echo(f"  countries      - ({result['countries_error']})")
    period = result.get("period")
    if period:
        if "error" in period:
            click.echo(f"  period         - ({period['error']})")
        else:
            missing = period["missing"]
            gaps = f"missing {', '.join(map(str, missing))}" if missing else "no gaps"
            click.echo(
                f"  period         {period['first']} … {period['last']}, "
                f"{period['steps']} steps at {period['step']}, {gaps}"
            )
