"""``geoverify sample design|draw``: plan and draw a reference sample, sealed by a design file.

``design`` prints the sample-size plan (:func:`geoverify.stats.sampling.plan_sample`);
``draw`` draws it (:func:`geoverify.io.draw.draw_sample`), writes ``sample.gpkg``,
``sample.csv`` and ``sample.kml`` with empty label columns, and the design file
``design.json`` (:mod:`geoverify.io.seal`).  Errors are one line on stderr, exit 2.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from geoverify.cli.options import (
    emit_json,
    fail,
    format_option,
    progress_option,
    want_progress,
    workers_option,
)
from geoverify.errors import GeoverifyError

__all__ = ["sample"]


def _pairs(values: tuple[str, ...], option: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for value in values:
        key, sep, number = value.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            out[key.strip()] = float(number)
        except ValueError:
            raise click.BadParameter(
                f"{value!r}: expected CLASS=NUMBER", param_hint=option
            ) from None
    return out


def _workers(workers: int | None) -> int:
    return workers or max(1, os.cpu_count() or 1)


def _plan_table(plan: dict[str, Any]) -> str:
    methods = list(plan["alternatives"]) or [plan["design"]]
    lines = [
        f"design: {plan['design']}; target SE of overall accuracy {plan['target_se']:g}; "
        f"n = {plan['n']:,}"
        + (f" ({plan['allocation']} allocation)" if plan["allocation"] else ""),
        "",
    ]
    head = "stratum".ljust(10) + "pixels".rjust(14) + "W_h".rjust(9) + "U_h".rjust(7)
    if plan["alternatives"]:
        head += "".join(m.rjust(14) for m in methods)
    else:
        head += "expected n".rjust(12)
    lines.append(head)
    for row in plan["strata"]:
        line = (
            str(row["stratum"]).ljust(10)
            + f"{row['pixels']:14,}"
            + f"{row['weight']:9.4f}"
            + f"{row['users_accuracy']:7.2f}"
        )
        if plan["alternatives"]:
            line += "".join(f"{plan['alternatives'][m][row['stratum']]:14,}" for m in methods)
        else:
            line += f"{row['n']:12,}"
        lines.append(line)
    if plan["alternatives"]:
        se = plan["expected_oa_se"]
        lines.append(
            "SE(OA)".ljust(40)
            + "".join(("—" if se[m] is None else f"{se[m]:.4f}").rjust(14) for m in methods)
        )
    else:
        lines.append(f"expected SE(OA) {plan['expected_oa_se'][plan['design']]:.4f}")
    lines += [f"note: {note}" for note in plan["notes"]]
    return "\n".join(lines)


@click.group("sample")
def sample() -> None:
    """Design and draw a reference sample for an accuracy assessment.

    \b
    geoverify sample design map.tif --target-se 0.01 --users-accuracy 1=0.7 --out plan.json
    geoverify sample draw map.tif --plan plan.json --seed 42 --out sample/
    """


_common = [
    click.option("--band", type=click.IntRange(min=1), default=1, show_default=True),
    click.option("--nodata", type=float, default=None, help="Map nodata [default: the band's]."),
    click.option(
        "--strata",
        default=None,
        metavar="RASTER",
        help="Strata raster on the map's grid [default: the map classes are the strata].",
    ),
    click.option("--strata-band", type=click.IntRange(min=1), default=1, show_default=True),
    click.option(
        "--design",
        type=click.Choice(("simple", "stratified", "systematic")),
        default=None,
        help="Sampling design [design: stratified; draw: the plan's, else stratified].",
    ),
    click.option(
        "--allocation",
        type=click.Choice(("proportional", "equal", "neyman", "olofsson")),
        default="olofsson",
        show_default=True,
        help="Split between strata (olofsson: --min-per-stratum each, rest proportional).",
    ),
    click.option("--min-per-stratum", type=click.IntRange(min=0), default=50, show_default=True),
    click.option(
        "--users-accuracy",
        "users_accuracy",
        multiple=True,
        metavar="CLASS=U",
        help="Conjectured user's accuracy of a class (stratum) (repeatable).",
    ),
    click.option(
        "--default-users-accuracy",
        type=click.FloatRange(0, 1),
        default=0.8,
        show_default=True,
        help="Conjectured user's accuracy of the classes not named.",
    ),
]


def _with_common(func: Any) -> Any:
    for option in reversed(_common):
        func = option(func)
    return func


def _make_plan(
    map_path: str,
    *,
    band: int,
    nodata: float | None,
    strata: str | None,
    strata_band: int,
    design: str,
    allocation: str,
    min_per_stratum: int,
    users_accuracy: tuple[str, ...],
    default_users_accuracy: float,
    target_se: float,
    target_se_ua: tuple[str, ...],
    workers: int,
    progress: bool,
) -> Any:
    from geoverify.stats.sampling import plan_sample

    if strata:
        from geoverify.io.draw import count_strata

        sizes: dict[Any, int] = dict(
            count_strata(
                map_path,
                band=band,
                nodata=nodata,
                strata_path=strata,
                strata_band=strata_band,
                workers=workers,
                progress=progress,
            ).totals
        )
    else:
        from geoverify.stats.tallies import class_counts

        sizes = {
            k: v
            for k, v in class_counts(
                map_path,
                band=band,
                nodata=nodata,
                workers=workers,
                progress=progress,
                max_values=1000,
                integers_only=True,
            ).items()
        }
    return plan_sample(
        sizes,
        _pairs(users_accuracy, "--users-accuracy"),
        target_se=target_se,
        design=design,
        allocation=allocation,
        min_per_stratum=min_per_stratum,
        users_accuracy_targets=_pairs(target_se_ua, "--target-se-ua"),
        default_users_accuracy=default_users_accuracy,
        strata_source="raster" if strata else "map",
    )


@sample.command("design")
@click.argument("map_path", metavar="MAP")
@click.option(
    "--target-se",
    type=click.FloatRange(min=0, max=0.5, min_open=True),
    default=0.01,
    show_default=True,
    help="Target standard error of overall accuracy, as a proportion (1% is 0.01).",
)
@click.option(
    "--target-se-ua",
    multiple=True,
    metavar="CLASS=SE",
    help="Target standard error of a class's user's accuracy (repeatable).",
)
@_with_common
@click.option("--out", "out_file", default=None, metavar="FILE", help="Also write the plan JSON.")
@format_option()
@workers_option
@progress_option
def design_command(
    map_path: str,
    target_se: float,
    target_se_ua: tuple[str, ...],
    band: int,
    nodata: float | None,
    strata: str | None,
    strata_band: int,
    design: str | None,
    allocation: str,
    min_per_stratum: int,
    users_accuracy: tuple[str, ...],
    default_users_accuracy: float,
    out_file: str | None,
    fmt: str,
    workers: int | None,
    progress: bool | None,
) -> None:
    """Sample size and allocation for a target standard error of overall accuracy.

    Olofsson et al. (2014, eq. 13) for stratified designs, Cochran (1977) for
    simple random and systematic ones; the split under every allocation is shown.
    """
    try:
        plan = _make_plan(
            map_path,
            band=band,
            nodata=nodata,
            strata=strata,
            strata_band=strata_band,
            design=design or "stratified",
            allocation=allocation,
            min_per_stratum=min_per_stratum,
            users_accuracy=users_accuracy,
            default_users_accuracy=default_users_accuracy,
            target_se=target_se,
            target_se_ua=target_se_ua,
            workers=_workers(workers),
            progress=want_progress(progress),
        )
    except GeoverifyError as exc:
        fail(exc)
    data = plan.to_dict()
    data["map"] = Path(map_path).name
    data["band"] = band
    data["strata_file"] = Path(strata).name if strata else None
    if out_file:
        Path(out_file).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if fmt == "json":
        emit_json(data)
    else:
        click.echo(_plan_table(data))


@sample.command("draw")
@click.argument("map_path", metavar="MAP")
@click.option("--plan", "plan_file", default=None, metavar="PLAN.json", help="A design plan.")
@click.option("--n", "n", type=click.IntRange(min=1), default=None, help="Sample size (no plan).")
@click.option("--seed", type=click.IntRange(min=0), required=True, help="Random seed.")
@click.option("--out", "out_dir", required=True, metavar="DIR", help="Output folder.")
@click.option(
    "--shape",
    type=click.Choice(("point", "pixel")),
    default="point",
    show_default=True,
    help="Units as pixel-centre points or pixel polygons.",
)
@click.option(
    "--interpreters",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Label columns to create (reference, or reference_1…k).",
)
@click.option(
    "--formats",
    default="gpkg,csv,kml",
    show_default=True,
    help="Sample files to write (comma-separated: gpkg, csv, kml).",
)
@click.option("--force", is_flag=True, help="Overwrite a sample already drawn in DIR.")
@_with_common
@format_option()
@workers_option
@progress_option
def draw_command(
    map_path: str,
    plan_file: str | None,
    n: int | None,
    seed: int,
    out_dir: str,
    shape: str,
    interpreters: int,
    formats: str,
    force: bool,
    band: int,
    nodata: float | None,
    strata: str | None,
    strata_band: int,
    design: str | None,
    allocation: str,
    min_per_stratum: int,
    users_accuracy: tuple[str, ...],
    default_users_accuracy: float,
    fmt: str,
    workers: int | None,
    progress: bool | None,
) -> None:
    """Draw a seeded sample of MAP, write it for labelling and seal it (DIR/design.json).

    Stratified draws take one simple random sample per stratum (π = n_h/N_h);
    the same seed on the same map always gives the same sample.
    """
    from geoverify.io.draw import (
        count_strata,
        draw_sample,
        reference_names,
        sample_table,
        write_sample,
    )
    from geoverify.io.seal import seal_record, write_seal

    if (plan_file is None) == (n is None):
        raise click.UsageError("give either --plan PLAN.json or --n N")
    out = Path(out_dir)
    seal_path = out / "design.json"
    if seal_path.exists() and not force:
        raise click.UsageError(
            f"{seal_path} exists: a sample was drawn there (--force replaces it)"
        )
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    try:
        plan: dict[str, Any] | None = None
        work = _workers(workers)
        prog = want_progress(progress)
        if plan_file is not None:
            try:
                plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise click.BadParameter(f"{plan_file}: {exc}", param_hint="--plan") from None
            if not isinstance(plan, dict) or plan.get("format") != "geoverify-sample-plan":
                raise click.BadParameter(
                    f"{plan_file}: not a plan of `geoverify sample design --format json`",
                    param_hint="--plan",
                )
            chosen = plan["design"] if design is None else design
            if design is not None and design != plan["design"]:
                raise click.UsageError(f"--design {design} contradicts the plan's {plan['design']}")
            method = plan.get("allocation")
            min_h = plan.get("min_per_stratum")
            alloc = plan["per_stratum"]
            n_total = int(plan["n"])
        else:
            chosen = design or "stratified"
            method, min_h, alloc, n_total = allocation, min_per_stratum, None, int(n or 0)
        stratified = chosen == "stratified"
        counts = count_strata(
            map_path,
            band=band,
            nodata=nodata,
            strata_path=strata if stratified else None,
            strata_band=strata_band,
            stratified=stratified,
            workers=work,
            progress=prog,
        )
        if stratified and plan is not None:
            sealed_sizes = {str(r["stratum"]): int(r["pixels"]) for r in plan["strata"]}
            here = {str(k): v for k, v in counts.totals.items()}
            if sealed_sizes != here:
                from geoverify.errors import EvidenceError

                raise EvidenceError(
                    f"the plan's strata sizes {sealed_sizes} are not this map's {here}",
                    source=plan_file,
                    hint="Make the plan on this map (and strata raster) with "
                    "`geoverify sample design`.",
                )
        if stratified and alloc is None:
            from geoverify.stats.sampling import allocate

            sizes = counts.totals
            u = _pairs(users_accuracy, "--users-accuracy")
            s_h = [
                (lambda x: (x * (1 - x)) ** 0.5)(u.get(str(c), default_users_accuracy))
                for c in sizes
            ]
            split = allocate(
                n_total,
                list(sizes.values()),
                method or "proportional",
                std=s_h,
                min_per_stratum=min_per_stratum,
            )
            alloc = {str(c): k for c, k in zip(sizes, split, strict=True)}
        drawn = draw_sample(
            map_path,
            design=chosen,
            seed=seed,
            allocation=alloc if stratified else None,
            n=None if stratified else n_total,
            band=band,
            nodata=nodata,
            strata_path=strata if stratified else None,
            strata_band=strata_band,
            workers=work,
            counts=counts,
        )
        table = sample_table(drawn, shape=shape, interpreters=interpreters)
        files = write_sample(table, out, formats=wanted)
        record = seal_record(
            drawn,
            map_path=map_path,
            band=band,
            nodata=nodata if nodata is not None else _band_nodata(map_path, band),
            strata_path=strata if stratified else None,
            strata_band=strata_band,
            shape=shape,
            allocation_method=method if stratified else None,
            min_per_stratum=min_h if stratified else None,
            files=files,
            reference_columns=reference_names(interpreters),
            plan=plan,
        )
        sealed = write_seal(seal_path, record)
    except GeoverifyError as exc:
        fail(exc)
    summary = {
        "design": drawn.design,
        "n": drawn.n,
        "seed": seed,
        "per_stratum": drawn.allocation,
        "strata_sizes": drawn.strata_sizes,
        "files": {k: str(v) for k, v in files.items()},
        "design_file": str(seal_path),
        "design_sha256": sealed["design_sha256"],
        "units_sha256": sealed["sample"]["units_sha256"],
        "notes": drawn.notes,
    }
    if fmt == "json":
        emit_json(summary)
        return
    click.echo(f"drew {drawn.n:,} units ({drawn.design}, seed {seed}) from {map_path}")
    for s, k in drawn.allocation.items():
        click.echo(f"  stratum {s}: {k:,} of {drawn.strata_sizes.get(s, 0):,} pixels")
    for kind, path in files.items():
        click.echo(f"wrote {path} ({kind})")
    click.echo(f"sealed by {seal_path} (design_sha256 {sealed['design_sha256'][:16]}…)")
    for note in drawn.notes:
        click.echo(f"note: {note}")


def _band_nodata(map_path: str, band: int) -> float | None:
    from geoverify.io.raster import open_raster

    with open_raster(map_path) as ds:
        value = ds.nodatavals[band - 1]
    return None if value is None else float(value)
