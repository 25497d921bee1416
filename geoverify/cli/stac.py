"""``geoverify stac URL --collection C`` — what a submission pointing at a STAC API would verify."""

from __future__ import annotations

from typing import Any

import click

from geoverify.cli.options import emit_json, format_option


def _bbox(ctx: click.Context, param: click.Parameter, value: str | None) -> list[float] | None:
    if value is None:
        return None
    try:
        numbers = [float(v) for v in value.replace(" ", "").split(",")]
    except ValueError:
        raise click.BadParameter("give four numbers: west,south,east,north") from None
    if len(numbers) != 4:
        raise click.BadParameter("give four numbers: west,south,east,north")
    return numbers


@click.command("stac")
@click.argument("url")
@click.option("--collection", "collections", multiple=True, help="Collection id (repeatable).")
@click.option("--id", "ids", multiple=True, help="Item id (repeatable).")
@click.option("--bbox", callback=_bbox, help="west,south,east,north in WGS 84 degrees.")
@click.option("--datetime", "datetime_", help="Instant or interval, e.g. 2015/2025.")
@click.option("--asset", help="Asset key to verify [default: the asset with role 'data'].")
@click.option("--role", help="Asset role to verify (instead of --asset).")
@click.option("--max-items", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="Page size asked of the API.")
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=20.0, show_default=True, help="Seconds."
)
@format_option()
def stac(
    url: str,
    collections: tuple[str, ...],
    ids: tuple[str, ...],
    bbox: list[float] | None,
    datetime_: str | None,
    asset: str | None,
    role: str | None,
    max_items: int,
    limit: int | None,
    timeout: float,
    fmt: str,
) -> None:
    """List the items and assets a STAC search gives, with resolution and period from metadata.

    URL is the API's landing page or its /search endpoint.  Nothing is downloaded:
    resolution comes from proj:transform + CRS (or gsd), the period from
    datetime / start_datetime / end_datetime.

    \b
    geoverify stac http://127.0.0.1:7822 --collection landcover --datetime 2015/2025
    """
    from geoverify.io.stac import resolve_stac

    spec: dict[str, Any] = {"api": url, "max_items": max_items}
    if collections:
        spec["collections"] = list(collections)
    if ids:
        spec["ids"] = list(ids)
    if bbox is not None:
        spec["bbox"] = bbox
    if datetime_:
        spec["datetime"] = datetime_
    if asset:
        spec["asset"] = asset
    if role:
        spec["role"] = role
    if limit:
        spec["limit"] = limit
    found = resolve_stac(spec, where="command line", timeout=timeout)
    summary = found.to_dict()
    if fmt == "json":
        emit_json(summary)
        return
    click.echo(f"{url}: {len(found.items)} item(s)")
    for row in summary["items"]:
        res = row["resolution"]
        size = f"{res['pixel_size_m']:.4g} m ({res['source']})" if res else "not declared"
        when = row["datetime"] or f"{row['start_datetime']} – {row['end_datetime']}"
        click.echo(f"  {row['id']}")
        click.echo(f"    asset       {row['asset']}: {row['href']}")
        click.echo(f"    resolution  {size}")
        click.echo(f"    time        {when}")
    period = summary["period"]
    if period:
        years = period["years"]
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
        click.echo(
            f"period {period['first']} – {period['last']} (years {span}, {len(years)} in all)"
        )
