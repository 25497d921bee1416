"""``geoverify resolution RASTER`` — the ground pixel size of one raster, ad hoc."""

from __future__ import annotations

import click

from ..checks import Context
from ..resolution import measure_resolution
from ..submission import Evidence
from .options import emit_json, format_option


@click.command("resolution")
@click.argument("raster")
@click.option("--band", type=int, default=1, show_default=True, help="Band to screen.")
@format_option()
def resolution(raster: str, band: int, fmt: str) -> None:
    """Ground pixel size of RASTER in metres (both axes, the rule used, upsampling screen).

    RASTER is a local file or an http(s) URL of a (cloud-optimised) GeoTIFF.
    """
    from pathlib import Path

    from ..sources import is_remote

    location = raster if is_remote(raster) else str(Path(raster).resolve())
    base = Path(location).parent if not is_remote(raster) else Path.cwd()
    evidence = Evidence("resolution", base, {"raster": location, "band": band}, raster)
    measurement = measure_resolution(evidence, {"axis": "coarser"}, Context())
    if fmt == "json":
        emit_json(
            {
                "value": measurement.value,
                "unit": "m",
                **measurement.details,
                "message": measurement.message,
            }
        )
        return
    d = measurement.details
    click.echo(f"{raster}")
    click.echo(f"  CRS            {d['crs']} ({d.get('units', '')})")
    click.echo(f"  pixel x        {d['x_m']:.6g} m")
    click.echo(f"  pixel y        {d['y_m']:.6g} m")
    click.echo(f"  decides        {d['axis']}: {measurement.value:.6g} m")
    click.echo(f"  method         {d['method']}")
    if "rotation_deg" in d:
        click.echo(f"  rotation       {d['rotation_deg']:.4g}°")
    screen = d.get("effective_resolution")
    if screen:
        state = f"upsampled ~{screen.get('factor')}×" if screen.get("upsampled") else "native"
        click.echo(f"  screen         {state} ({screen.get('method')})")
