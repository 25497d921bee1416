"""``geoverify accuracy MAP REFERENCE``: thematic accuracy of one map, ad hoc.

The JSON output is :func:`geoverify.checks.accuracy.measure.accuracy_report`; errors are one
line on stderr and exit status 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from geoverify.checks.accuracy import DESIGNS
from geoverify.cli.options import (
    emit_json,
    fail,
    format_option,
    progress_option,
    scheduler_option,
    want_progress,
    workers_option,
)
from geoverify.errors import GeoverifyError
from geoverify.stats.options import POLYGON_RULES, RESAMPLING

__all__ = ["accuracy"]


def _parse_legend(values: tuple[str, ...]) -> dict[str, str] | None:
    """``--legend 3=maize`` (repeatable) or ``--legend legend.json`` (an object code -> label)."""
    if not values:
        return None
    legend: dict[str, str] = {}
    for value in values:
        if "=" in value:
            # `--legend 1=maize --legend 2=wheat`, or `--legend '1=maize,2=winter wheat'`
            for pair in value.split(","):
                code, sep, label = pair.partition("=")
                if not sep or not code.strip() or not label.strip():
                    raise click.BadParameter(
                        f"{pair.strip()!r} is not CODE=LABEL (write --legend 1=maize "
                        "--legend 2=wheat, or '1=maize,2=wheat')",
                        param_hint="--legend",
                    )
                legend[code.strip()] = label.strip()
            continue
        path = Path(value)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise click.BadParameter(f"{value}: not CODE=LABEL nor a JSON file ({exc})") from None
        if not isinstance(data, dict):
            raise click.BadParameter(f"{value}: the JSON must be an object code -> label")
        legend.update({str(k): str(v) for k, v in data.items()})
    return legend


def _table(report: dict[str, Any]) -> str:
    labels = report["labels"]
    width = max([8, *(len(lab) for lab in labels)]) + 2
    lines = [
        f"design: {report['design']} — {report['estimator']}",
        *([str(report["design_statement"])] if report.get("design_statement") else []),
        f"n = {report['n']:,}",
        "",
        "confusion matrix (rows = map, columns = reference)",
        "".ljust(width) + "".join(lab.rjust(width) for lab in labels),
    ]
    for lab, row in zip(labels, report["confusion_matrix"], strict=True):
        lines.append(lab.ljust(width) + "".join(str(v).rjust(width) for v in row))
    lo, hi = report["overall_accuracy_ci"]
    lines += [
        "",
        f"overall accuracy {100 * report['overall_accuracy']:.2f}% "
        f"(SE {100 * report['overall_accuracy_se']:.2f}, 95% CI {100 * lo:.2f}–{100 * hi:.2f}%)",
        "",
        "class".ljust(width)
        + "UA %".rjust(9)
        + "SE".rjust(7)
        + "PA %".rjust(9)
        + "SE".rjust(7)
        + ("area ha".rjust(14) + "SE ha".rjust(12) if "area_ha" in report else ""),
    ]

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{100 * v:.1f}"

    for lab in labels:
        row = (
            lab.ljust(width)
            + pct(report["users_accuracy"][lab]).rjust(9)
            + pct(report["users_accuracy_se"][lab]).rjust(7)
            + pct(report["producers_accuracy"][lab]).rjust(9)
            + pct(report["producers_accuracy_se"][lab]).rjust(7)
        )
        if "area_ha" in report:
            row += f"{report['area_ha'][lab]:14,.1f}{report['area_ha_se'][lab]:12,.1f}"
        lines.append(row)
    kappa = report["kappa"]
    lines += [
        "",
        f"kappa (reported only) {'—' if kappa is None else f'{kappa:.4f}'}; "
        f"quantity disagreement {report['quantity_disagreement']:.4f}, "
        f"allocation disagreement {report['allocation_disagreement']:.4f}",
    ]
    excluded = {
        k: report[k]
        for k in ("samples_outside_map", "samples_on_nodata", "pixels_excluded_nodata")
        if report.get(k)
    }
    if excluded:
        lines.append("excluded: " + ", ".join(f"{k} = {v:,}" for k, v in excluded.items()))
    lines += [f"note: {note}" for note in report.get("notes", [])]
    return "\n".join(lines)


@click.command("accuracy")
@click.argument("map_path", metavar="MAP")
@click.argument("reference", metavar="REFERENCE")
@click.option("--field", default=None, help="Column of the reference class (vector REFERENCE).")
@click.option(
    "--design",
    type=click.Choice(DESIGNS),
    default="simple",
    show_default=True,
    help="Sampling design of the reference sample.",
)
@click.option(
    "--strata",
    default=None,
    metavar="PATH",
    help="Raster of the sampling strata when they are not the map classes.",
)
@click.option("--strata-field", default=None, help="Column giving each sample's stratum.")
@click.option(
    "--design-file",
    default=None,
    metavar="DESIGN.json",
    help="The design file sealing a sample drawn by `geoverify sample draw` (default: a "
    "design.json beside REFERENCE that seals a file of its name). The seal is verified and "
    "its design used; --design is then ignored.",
)
@click.option(
    "--reference-column",
    "reference_columns",
    multiple=True,
    metavar="COLUMN",
    help="An interpreter's label column (repeatable): the majority label is used, ties and "
    '"cannot tell" are excluded and counted, the agreement reported.',
)
@click.option(
    "--inclusion-field",
    default=None,
    help="Column of each unit's inclusion probability (design unequal_probability or "
    "cluster; default inclusion_probability).",
)
@click.option(
    "--cluster-field",
    default=None,
    help="Column of each unit's cluster id (design cluster; default cluster).",
)
@click.option(
    "--legend",
    multiple=True,
    metavar="CODE=LABEL|FILE.json",
    help="Map code -> reference label (repeatable), or a JSON object file.",
)
@click.option(
    "--resample",
    type=click.Choice(RESAMPLING),
    default=None,
    help="Resample a reference raster on another grid onto the map grid.",
)
@click.option(
    "--polygons",
    type=click.Choice(POLYGON_RULES),
    default="centroid",
    show_default=True,
    help="How polygon samples are read.",
)
@click.option("--band", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--reference-band", type=click.IntRange(min=1), default=1, show_default=True)
@format_option()
@workers_option
@scheduler_option
@progress_option
def accuracy(
    map_path: str,
    reference: str,
    field: str | None,
    design: str,
    strata: str | None,
    strata_field: str | None,
    design_file: str | None,
    reference_columns: tuple[str, ...],
    inclusion_field: str | None,
    cluster_field: str | None,
    legend: tuple[str, ...],
    resample: str | None,
    polygons: str,
    band: int,
    reference_band: int,
    fmt: str,
    workers: int | None,
    scheduler: str | None,
    progress: bool | None,
) -> None:
    """Thematic accuracy of MAP against REFERENCE (samples or a raster), with 95% CIs.

    Rows of the confusion matrix are map classes, columns reference classes.
    Accuracies are proportions in [0, 1] in the JSON output.
    """
    import os

    try:
        from geoverify.checks.accuracy.measure import accuracy_report

        report = accuracy_report(
            map_path,
            reference,
            field=field,
            design=design,
            strata=strata,
            strata_field=strata_field,
            legend=_parse_legend(legend),
            resample=resample,
            polygons=polygons,
            band=band,
            reference_band=reference_band,
            workers=workers or max(1, os.cpu_count() or 1),
            scheduler=scheduler,
            progress=want_progress(progress),
            design_file=design_file,
            reference_columns=list(reference_columns) or None,
            inclusion_field=inclusion_field,
            cluster_field=cluster_field,
        )
    except GeoverifyError as exc:
        fail(exc)
    if fmt == "json":
        emit_json(report)
    else:
        click.echo(_table(report))
