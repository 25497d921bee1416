"""``geoverify indicators`` — the catalogue, as a table or JSON."""

from __future__ import annotations

from pathlib import Path

import click

from geoverify.cli.options import emit_json, format_option
from geoverify.config.catalogue import load_catalogue


@click.command("indicators")
@click.option("--direction", "-d", default=None, help="Only this direction (e.g. wildfire).")
@click.option(
    "--catalogue",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Indicator catalogue [default: the bundled one].",
)
@format_option()
def indicators(direction: str | None, catalogue: Path | None, fmt: str) -> None:
    """List the indicators of the call: id, check, rule, and the call's own words."""
    cat = load_catalogue(catalogue)
    if direction is not None and direction not in cat.directions:
        raise click.BadParameter(
            f"unknown direction {direction!r}; known: {', '.join(cat.directions)}",
            param_hint="--direction",
        )
    selected = [i for i in cat if direction is None or i.direction == direction]
    if fmt == "json":
        emit_json([i.to_dict() for i in selected])
        return
    width = max(len(i.id) for i in selected)
    current = None
    for ind in selected:
        if ind.direction != current:
            current = ind.direction
            d = cat.directions[current]
            click.echo(click.style(f"\n{current} — {d.title} · {d.title_zh}", bold=True))
        click.echo(f"  {ind.id:<{width}}  {ind.check:<11}  {ind.rule()}")
        click.echo(f"  {'':<{width}}  {'':<11}  「{ind.quote_display}」")
        for alt in ind.alternatives:
            click.echo(
                f"  {'':<{width}}  {'':<11}  disputed — {alt.title}: {alt.condition.describe()}"
                + (f" on {alt.value}" if alt.value else "")
            )
