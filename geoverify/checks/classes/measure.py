"""Thematic classes present in a classified raster, streamed block by block.

The count is of distinct class values that occur in valid pixels (nodata
excluded).  With a legend (the submission's ``legend`` table, code → name, or
the raster's own category names), the count is of classes that are both
present and declared; present but undeclared values are reported.  Without a
legend the classes are codes without names, and the entries of the raster's
colour table for the present codes are reported (``details["colours"]``).  In a file
holding several variables (NetCDF, HDF5), the evidence key ``variable`` names
the one counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError
from geoverify.io.sources import open_raster, raster_source
from geoverify.model import Measurement
from geoverify.stats.tallies import class_counts

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = ["colour_table", "measure_classes"]





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


def measure_classes(evidence: Evidence, params: Mapping[str, Any], context: Context) -> Measurement:
    """Number of distinct classes present in the raster (and declared in its legend)."""
    location = evidence.location("raster")
    assert location is not None
    variable = evidence.get("variable")
    band = int(evidence.get("band", 1))
    counts = class_counts(
        raster_source(location, variable),
        band=band,
        nodata=evidence.get("nodata"),
        workers=context.workers,
        scheduler=context.scheduler,
        progress=context.progress,
    )
    if not counts:
        raise EvidenceError(
            "the raster has no valid pixel (everything is nodata)",
            source=evidence.display(location),
            hint="Check the nodata value and the data.",
        )
    legend = _legend(evidence)
    present = {str(int(k)) if float(k).is_integer() else str(k): n for k, n in counts.items()}
    details: dict[str, Any] = {
        "file": evidence.display(location),
        **({"variable": variable} if variable is not None else {}),
        "pixels_per_class": present,
        "valid_pixels": sum(present.values()),
    }
    if legend:
        declared_present = {k: legend[k] for k in present if k in legend}
        undeclared = sorted(k for k in present if k not in legend)
        absent = sorted(k for k in legend if k not in present)
        details.update(classes=declared_present, undeclared=undeclared, declared_absent=absent)
        value = len(declared_present)
        message = f"{value} declared classes present ({len(legend)} in the legend)"
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
