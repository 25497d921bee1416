"""Thematic classes present in a classified raster, streamed block by block.

The count is of distinct class values that occur in valid pixels (nodata
excluded).  With a legend (the submission's ``legend`` table, code → name, or
the raster's own category names), the count is of classes that are both
present and declared, and codes whose legend names are the same name
(:func:`legend_name`: NFKC, case-folded, whitespace collapsed — "maize",
"Maize", "maize ") are one class; present but undeclared values are reported.  Without a
legend the classes are codes without names, and the entries of the raster's
colour table for the present codes are reported (``details["colours"]``).  In a file
holding several variables (NetCDF, HDF5), the evidence key ``variable`` names
the one counted.

Rule (``details["rule"]``, :func:`counting_rule`): a class counts when it is
declared in the legend (when a legend is given; entries named as no class,
such as "nodata" or "unclassified", never count) **and** covers at least
``max(min_pixels, min_share × valid pixels)`` pixels — catalogue params
``min_share`` (default :data:`MIN_SHARE`) and ``min_pixels`` (default
:data:`MIN_PIXELS`).  Stray pixels of extra codes therefore do not add
classes.  A floating-point raster with non-integer values, or a raster with
more than :data:`MAX_CLASSES` distinct values, is a continuous field, not a
classified map, and is refused with an :class:`~geoverify.errors.EvidenceError`.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError
from geoverify.io.mosaic import raster_locations, tile_class_counts
from geoverify.io.raster import open_raster, raster_source
from geoverify.model import Measurement
from geoverify.stats.tallies import class_counts, class_counts_request

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.io.shared import ScanRequest
    from geoverify.model.evidence import Evidence

__all__ = [
    "LEGEND_RULE",
    "MAX_CLASSES",
    "MIN_PIXELS",
    "MIN_SHARE",
    "NO_CLASS_NAMES",
    "colour_table",
    "counting_rule",
    "legend_name",
    "measure_classes",
]

#: Default least share of the valid pixels a class must cover to count.
MIN_SHARE = 1e-4
#: Default least number of pixels a class must cover to count (the catalogue's classes
#: indicators set 10, so that stray pixels do not count in small maps either).
MIN_PIXELS = 1
#: More distinct values than this: a continuous field, refused.
MAX_CLASSES = 1000
#: Legend names that declare the absence of a class (compared case-folded).
NO_CLASS_NAMES = frozenset(
    {
        "",
        "nodata",
        "no data",
        "no-data",
        "none",
        "unclassified",
        "not classified",
        "background",
        "fill",
        "fill value",
        "masked",
        "invalid",
    }
)


#: How legend names are compared: codes whose names are equal under this rule are one class.
LEGEND_RULE = (
    "codes whose legend names are equal after Unicode NFKC normalisation, case folding and "
    "collapsing whitespace are one class"
)


def legend_name(name: str) -> str:
    """A legend name as compared (:data:`LEGEND_RULE`): NFKC, case-folded, whitespace collapsed.

    ``"maize"``, ``"Maize"``, ``"maize "`` and ``"ｍａｉｚｅ"`` (full-width) are one name.

    References
    ----------
    .. [1] Unicode Standard Annex #15, Unicode Normalization Forms (NFKC);
       Unicode Standard, section 3.13 (default case folding).
    """
    return " ".join(unicodedata.normalize("NFKC", str(name)).casefold().split())


def counting_rule(min_share: float, min_pixels: int) -> str:
    """The classes check's counting rule, as the report states it."""
    return (
        f"a class counts when it covers at least max({min_pixels}, {min_share:g} x valid pixels) "
        "pixels and, when a legend is given, is declared in it (legend entries named as no "
        "class, such as 'nodata' or 'unclassified', do not count), codes whose legend names are "
        "equal after NFKC normalisation, case folding and collapsing whitespace counting as one "
        "class; floating-point rasters with "
        f"non-integer values and rasters with more than {MAX_CLASSES} distinct values are "
        "refused as continuous fields"
    )


def _legend(evidence: Evidence) -> dict[str, str]:
    legend = evidence.get("legend")
    if legend is None:
        return {}
    out = {}
    for code, name in legend.items():
        try:
            key = str(int(code))
        except ValueError:
            raise EvidenceError(
                f"legend key {code!r} is not an integer class code",
                source=evidence.where,
                hint='Write the legend as { 1 = "wheat", 2 = "maize" }.',
            ) from None
        out[key] = str(name)
    return out


def plan_classes(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> list[ScanRequest]:
    """The scan :func:`measure_classes` will make on one raster, for a shared pass of the run
    (:mod:`geoverify.io.shared`); a map of several files plans nothing."""
    listed = raster_locations(evidence)
    if len(listed.paths) != 1:
        return []
    request, _finish = class_counts_request(
        raster_source(listed.paths[0], evidence.get("variable")),
        band=int(evidence.get("band", 1)),
        nodata=evidence.get("nodata"),
        max_values=MAX_CLASSES,
        integers_only=True,
        key=(evidence.indicator, "classes"),
    )
    return [request]


def measure_classes(evidence: Evidence, params: Mapping[str, Any], context: Context) -> Measurement:
    """Number of distinct classes present in the raster (and declared in its legend)."""
    listed = raster_locations(evidence)
    location = listed.paths[0]
    variable = evidence.get("variable")
    band = int(evidence.get("band", 1))
    min_share = float(params.get("min_share", MIN_SHARE))
    min_pixels = int(params.get("min_pixels", MIN_PIXELS))

    def count_one(path: str) -> dict[Any, int]:
        return class_counts(
            raster_source(path, variable),
            band=band,
            nodata=evidence.get("nodata"),
            workers=context.workers,
            scheduler=context.scheduler,
            progress=context.progress,
            max_values=MAX_CLASSES,
            integers_only=True,
            # one file: its scan may be shared with other checks of the run
            run=context.run_scan if len(listed.paths) == 1 else None,
            key=(evidence.indicator, "classes"),
        )

    mosaic: dict[str, Any] | None = None
    if len(listed.paths) > 1:
        paths = listed.paths
        counts, mosaic = tile_class_counts(
            paths,
            band=band,
            nodata=evidence.get("nodata"),
            workers=context.workers,
            count_one=count_one,
            max_values=MAX_CLASSES,
        )
        mosaic["files"] = [evidence.display(p) for p in sorted(paths)]
    else:
        counts = count_one(location)
    if not counts:
        raise EvidenceError(
            "the raster has no valid pixel (everything is nodata)",
            source=evidence.display(location),
            hint="Check the nodata value and the data.",
        )
    legend = _legend(evidence)
    tallied = {str(int(k)): n for k, n in counts.items()}  # integer codes (checked above)
    valid = sum(tallied.values())
    need = max(min_pixels, math.ceil(min_share * valid))
    present = {k: n for k, n in tallied.items() if n >= need}
    below = {k: n for k, n in tallied.items() if n < need}
    details: dict[str, Any] = {
        "file": evidence.display(location),
        **({"variable": variable} if variable is not None else {}),
        "pixels_per_class": tallied,
        "valid_pixels": valid,
        "min_share": min_share,
        "min_pixels": min_pixels,
        "pixels_needed": need,
        "below_minimum": below,
        "rule": counting_rule(min_share, min_pixels),
        **({"mosaic": mosaic} if mosaic is not None else {}),
        **listed.details(),
    }
    if legend:
        no_class = sorted(k for k, name in legend.items() if legend_name(name) in NO_CLASS_NAMES)
        declared_present = {k: legend[k] for k in present if k in legend and k not in no_class}
        undeclared = sorted((k for k in present if k not in legend), key=int)
        absent = sorted((k for k in legend if k not in tallied), key=int)
        details.update(
            classes=declared_present,
            undeclared=undeclared,
            declared_absent=absent,
            declared_no_class=no_class,
        )
        by_name: dict[str, list[str]] = {}
        for code in sorted(declared_present, key=int):
            by_name.setdefault(legend_name(legend[code]), []).append(code)
        merged = {name: codes for name, codes in by_name.items() if len(codes) > 1}
        details.update(
            class_names=sorted(by_name),
            merged_codes=merged,
            legend_rule=LEGEND_RULE,
        )
        value = len(by_name)
        message = (
            f"{value} distinct declared classes present ({len(legend)} codes in the legend; "
            f"{LEGEND_RULE})"
        )
        if merged:
            aliases = "; ".join(f"{codes} as {name!r}" for name, codes in list(merged.items())[:10])
            message += (
                f"; {len(declared_present)} declared codes present, merged by name: {aliases}"
            )
        if undeclared:
            message += f"; {len(undeclared)} present values not in the legend: {undeclared[:10]}"
        if absent:
            message += f"; {len(absent)} legend classes absent from the data"
    else:
        value = len(present)
        details["classes"] = sorted(present, key=float)
        colours = colour_table(raster_source(location, variable), present, band=band)
        message = (
            f"{value} distinct class values present (no legend given, so the classes are "
            "codes without names"
        )
        if colours:
            details["colours"] = colours
            message += f"; the raster's colour table gives colours for {len(colours)} of them"
        message += ")"
    if listed.repeats:
        message += f"; {listed.note()}"
    if below:
        shown = sorted(below, key=int)
        message += (
            f"; {len(below)} values below the minimum mapped share not counted (a class needs "
            f">= max({min_pixels}, {min_share:g} x {valid} valid pixels) = {need} pixels): "
            f"{shown[:10]}"
        )
    return Measurement(value, "count", details=details, message=message)


def colour_table(location: str, codes: Iterable[str], *, band: int = 1) -> dict[str, str]:
    """The entries of the raster's colour table for ``codes``, as ``"#rrggbb"``.

    Entries that are not opaque are ``"#rrggbbaa"``.  Empty when the band has
    no colour table; codes that are not integers, or have no entry, are left out.
    """
    with open_raster(location) as ds:
        try:
            table = ds.colormap(band)
        except ValueError:  # no colour table on this band
            return {}
    out = {}
    for code in codes:
        try:
            entry = table.get(int(code))
        except ValueError:
            continue
        if entry is None:
            continue
        red, green, blue, *alpha = entry
        text = f"#{red:02x}{green:02x}{blue:02x}"
        if alpha and alpha[0] != 255:
            text += f"{alpha[0]:02x}"
        out[code] = text
    return out
