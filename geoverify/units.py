"""Units of the catalogue and their conversions.

Only conversions that are pure scale factors live here.  Converting a dry-air
mole fraction (ppm) into a column density (molecules/cm²) is *not* a unit
conversion (it needs the dry-air column) and is refused.
"""

from __future__ import annotations

from geoverify.errors import UnitError

__all__ = ["UNITS", "convert", "dimension", "format_quantity"]

# unit -> (dimension, factor to the dimension's base unit)
UNITS: dict[str, tuple[str, float]] = {
    "%": ("fraction", 0.01),
    "1": ("fraction", 1.0),
    "ratio": ("fraction", 1.0),
    "m": ("length", 1.0),
    "km": ("length", 1000.0),
    "km2": ("area", 1.0),
    "ha": ("area", 0.01),
    "m2": ("area", 1e-6),
    "count": ("count", 1.0),
    "s": ("time", 1.0),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
    "days": ("time", 86400.0),
    "years": ("duration_years", 1.0),
    "year": ("calendar_year", 1.0),
    "ppm": ("mole_fraction", 1e-6),
    "ppb": ("mole_fraction", 1e-9),
    "molecules/cm2": ("column_density", 1.0),
    "mol/m2": ("column_density", 6.02214076e23 / 1e4),
}


def dimension(unit: str) -> str:
    """Return the physical dimension of ``unit`` (``UnitError`` if unknown)."""
    try:
        return UNITS[unit][0]
    except KeyError:
        known = ", ".join(sorted(UNITS))
        raise UnitError(f"unknown unit {unit!r}", hint=f"Use one of: {known}.") from None


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` from ``from_unit`` to ``to_unit``.

    Raises
    ------
    UnitError
        When the units are unknown or measure different things.
    """
    if from_unit == to_unit:
        return value
    dim_from, dim_to = dimension(from_unit), dimension(to_unit)
    if dim_from != dim_to:
        raise UnitError(
            f"cannot convert {from_unit!r} ({dim_from}) to {to_unit!r} ({dim_to})",
            hint="The quantities measure different things; give the evidence in a unit "
            f"of the same kind as {to_unit!r}.",
        )
    return value * UNITS[from_unit][1] / UNITS[to_unit][1]


#: How units are written for readers (the catalogue keeps ASCII names).
_SHOWN_UNITS = {"km2": "km²", "molecules/cm2": "molecules/cm²", "m2": "m²"}


def _number(value: float, digits: int = 2) -> str:
    """A float as people read it: thousands separators, no trailing zeros, scientific if huge."""
    if value and (abs(value) >= 1e9 or abs(value) < 1e-3):
        return f"{value:.{max(digits + 2, 4)}g}"
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_quantity(value: object, unit: str, *, against: object = None) -> str:
    """Human-readable ``value unit`` for reports (``"300.04 m"``, ``"87.3%"``, ``"2,000,000 km²"``).

    Calendar years (unit ``"year"``) are written bare (``"1992–2020"``,
    ``"2015, 2020, 2025"``); a duration in ``"years"`` keeps its unit.  With
    ``against`` (the threshold the value is held against), a value that differs
    from it is never rounded onto it: 300.004 m against 300 m is written
    "300.004 m", not "300 m" (a report must not read "300 m does not meet ≤ 300 m").
    """
    if value is None:
        return "—"
    if isinstance(value, float):
        text = _number(value)
        if isinstance(against, int | float) and not isinstance(against, bool):
            digits = 2
            while value != against and text == _number(float(against), digits) and digits < 12:
                digits += 1
                text = _number(value, digits)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        text = f"{value:,}"
    elif isinstance(value, list | tuple):
        text = "–".join(str(v) for v in value) if len(value) == 2 else ", ".join(map(str, value))
    else:
        text = str(value)
    if unit == "%":
        return f"{text}%"
    if unit in ("count", "1", "", "year"):
        return text
    return f"{text} {_SHOWN_UNITS.get(unit, unit)}"
