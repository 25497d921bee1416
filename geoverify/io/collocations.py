"""Collocation tables of retrieved against reference greenhouse-gas columns.

A collocation table pairs each retrieved sounding (or averaged retrieval) with a
reference value at the same place and time: a ground-based column (TCCON,
COCCON, Pandora), an aircraft profile or a reference retrieval.  It is read from
CSV, Parquet or NetCDF with these columns (case-insensitive):

=============  ========  =================================================
column         needed    meaning
=============  ========  =================================================
gas            yes [1]_  ``XCO2``, ``XCH4`` or ``NO2`` (``CO2``/``CH4`` accepted)
retrieved      yes       the retrieved value
reference      yes       the reference value
unit           yes [2]_  the unit of retrieved, reference and uncertainty
uncertainty    no        the uncertainty reported with the retrieval (1 sigma)
station        no        reference station or site (``site`` accepted)
sounding_id    no        id of the retrieved sounding (``sounding`` accepted)
orbit          no        orbit number or id
time           no        ISO 8601 time of the sounding
lon, lat       no        position (degrees)
reference_unit no        the reference's unit when it differs from ``unit``
dry_air_column no        column of dry air (molecules/cm2), per row
=============  ========  =================================================

.. [1] or the evidence key ``gas`` when the whole table is one gas.
.. [2] or the evidence key ``unit`` when the table has no unit column; when
   both are given they must agree.

Values are converted to the gas's reporting unit (:data:`GAS_UNITS`).  Scale
changes (ppm ↔ ppb, mol/m2 ↔ molecules/cm2) are unit conversions.  A dry-air
mole fraction and a column density are different quantities: converting one
into the other needs the column of dry air, ``N_col = x · N_dry`` (Wunch et
al. 2011), and is refused unless the submission gives it (evidence key
``dry_air_column`` or a ``dry_air_column`` column, molecules/cm2).

Repeated rows count once (:data:`DISTINCT_RULE`): with a ``sounding_id``
column, a row repeating the sounding id of an earlier row; a row without a
sounding id, one repeating the station, orbit, time, position and values of an
earlier row.  Copies of one collocation would otherwise inflate ``n`` and
narrow every interval.  The dropped rows are counted (``frame.attrs
["duplicate_rows"]``, reported by :func:`describe_units`).

References
----------
.. [W11] Wunch, D. et al. (2011). The Total Carbon Column Observing Network.
   Phil. Trans. R. Soc. A 369, 2087–2112. doi:10.1098/rsta.2010.0240
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from geoverify.errors import EvidenceError, UnitError
from geoverify.io.table import read_table
from geoverify.units import UNITS, dimension

__all__ = [
    "DISTINCT_RULE",
    "GAS_UNITS",
    "convert_values",
    "describe_units",
    "normalise_gas",
    "read_collocations",
    "read_table",
]

#: The unit each gas is verified in (the unit of the call's indicator).
GAS_UNITS: dict[str, str] = {"XCO2": "ppm", "XCH4": "ppb", "NO2": "molecules/cm2"}

_GAS_ALIASES: dict[str, str] = {
    "XCO2": "XCO2",
    "CO2": "XCO2",
    "XCH4": "XCH4",
    "CH4": "XCH4",
    "NO2": "NO2",
    "XNO2": "NO2",
}

#: The rule by which repeated collocation rows count once.
DISTINCT_RULE = (
    "distinct collocations: a row repeating the sounding_id of an earlier row or, when it "
    "has no sounding_id, the station, orbit, time, lon, lat, retrieved, reference and "
    "uncertainty (the columns the table has) of an earlier row, is the same collocation "
    "and counts once"
)

#: Columns compared for a repeated collocation (those the table has).
_IDENTITY = ("station", "orbit", "time", "lon", "lat", "retrieved", "reference", "uncertainty")

#: Plausible range of a dry-air column in molecules/cm2 (sea level: about 2.1e25).
DRY_AIR_RANGE: tuple[float, float] = (1e24, 1e26)

_GAS_UNIT_NAMES = tuple(
    u for u, (dim, _) in UNITS.items() if dim in ("mole_fraction", "column_density")
)


def normalise_gas(name: object, *, source: str | None = None) -> str:
    """The canonical gas name (``XCO2``, ``XCH4``, ``NO2``) of ``name``.

    Raises
    ------
    EvidenceError
        For a gas geoverify does not verify.
    """
    key = str(name).strip().upper().replace("₂", "2").replace("₄", "4")
    try:
        return _GAS_ALIASES[key]
    except KeyError:
        raise EvidenceError(
            f"unknown gas {name!r}",
            source=source,
            hint=f"Use one of {', '.join(GAS_UNITS)}.",
        ) from None


def _check_dry_air(value: Any, *, source: str | None) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    low, high = DRY_AIR_RANGE
    if not (math.isfinite(number) and low <= number <= high):
        raise EvidenceError(
            f"dry_air_column {value!r} is not a plausible column of dry air in molecules/cm2",
            source=source,
            hint=f"Give it in molecules/cm2, between {low:.0e} and {high:.0e} "
            "(about 2.1e25 at sea level).",
        )
    return number


def convert_values(
    values: np.ndarray | float,
    from_unit: str,
    to_unit: str,
    *,
    dry_air_column: np.ndarray | float | None = None,
    source: str | None = None,
) -> np.ndarray:
    """Convert ``values`` between units of mole fraction or column density.

    Scale changes within one dimension use :data:`geoverify.units.UNITS`.
    Between a dry-air mole fraction ``x`` and a column density ``N`` the
    relation ``N = x · N_dry`` needs the dry-air column ``N_dry``
    (molecules/cm2, scalar or per value); without it the conversion is refused.

    Parameters
    ----------
    values : array_like
        The values, in ``from_unit``.
    from_unit, to_unit : str
        Units of :data:`~geoverify.units.UNITS`.
    dry_air_column : float or array_like, optional
        Column of dry air in molecules/cm2.
    source : str, optional
        File or key named in error messages.

    Returns
    -------
    numpy.ndarray
        The values in ``to_unit`` (float64).

    Raises
    ------
    UnitError
        For unknown units, different dimensions, or a mole fraction ↔ column
        density conversion without a dry-air column.

    References
    ----------
    Wunch, D. et al. (2011), Phil. Trans. R. Soc. A 369, 2087–2112 (column-average
    dry-air mole fraction X_gas = column of gas / column of dry air).
    """
    data = np.asarray(values, dtype="float64")
    dim_from, dim_to = dimension(from_unit), dimension(to_unit)
    to_base = UNITS[from_unit][1]
    from_base = UNITS[to_unit][1]
    if dim_from == dim_to:
        return data * (to_base / from_base)
    if {dim_from, dim_to} == {"mole_fraction", "column_density"}:
        if dry_air_column is None:
            raise UnitError(
                f"{from_unit!r} (a dry-air mole fraction) and {to_unit!r} (a column density) "
                "are different quantities: this is not a unit conversion",
                source=source,
                hint="Give the column of dry air (evidence key `dry_air_column`, "
                "molecules/cm2, or a `dry_air_column` column), or give the values in "
                f"{to_unit!r}.",
            )
        dry = np.asarray(dry_air_column, dtype="float64")
        if dim_from == "mole_fraction":
            return data * to_base * dry / from_base
        return data * to_base / dry / from_base
    raise UnitError(
        f"cannot convert {from_unit!r} ({dim_from}) to {to_unit!r} ({dim_to})",
        source=source,
        hint=f"Give the values in a unit of the same kind as {to_unit!r}.",
    )


def _unit_column(frame: pd.DataFrame, column: str, declared: str | None, shown: str) -> pd.Series:
    """The per-row unit: the table's column, the declared unit, or an error."""
    if column in frame:
        units = frame[column].astype("string").str.strip()
        if units.isna().any() or (units == "").any():
            rows = _row_numbers(units.isna() | (units == ""))
            raise EvidenceError(
                f"the {column!r} column is empty in rows {rows}",
                source=shown,
                hint="Give every row its unit.",
            )
        for unit in sorted(set(units)):
            if unit not in UNITS:
                raise UnitError(
                    f"unknown unit {unit!r} in column {column!r}",
                    source=shown,
                    hint=f"Use one of: {', '.join(_GAS_UNIT_NAMES)}.",
                )
        if declared is not None and set(units) != {declared}:
            found = ", ".join(sorted(set(units)))
            raise EvidenceError(
                f"the table's {column!r} column says {found} but the evidence declares "
                f"unit = {declared!r}",
                source=shown,
                hint="A unit mismatch is not guessed away: fix the table or the declared unit.",
            )
        return units.astype(object)
    if declared is None:
        raise EvidenceError(
            "the collocation table has no unit",
            source=shown,
            hint='Add a `unit` column, or declare `unit = "ppm"` (etc.) in the evidence.',
        )
    if declared not in _GAS_UNIT_NAMES:
        raise UnitError(
            f"declared unit {declared!r} is not a unit of a gas amount",
            source=shown,
            hint=f"Use one of: {', '.join(_GAS_UNIT_NAMES)}.",
        )
    return pd.Series([declared] * len(frame), index=frame.index, dtype=object)


def _row_numbers(mask: pd.Series | np.ndarray, limit: int = 8) -> str:
    """1-based data-row numbers of ``mask`` (as in a spreadsheet without the header)."""
    rows = [int(i) + 1 for i in np.flatnonzero(np.asarray(mask))]
    text = ", ".join(map(str, rows[:limit]))
    return f"{text} … ({len(rows)} in all)" if len(rows) > limit else text


def read_collocations(
    location: str,
    *,
    gas: str,
    unit: str | None = None,
    declared_gas: str | None = None,
    dry_air_column: float | None = None,
    display: str | None = None,
) -> pd.DataFrame:
    """Read a collocation table and return the rows of ``gas`` in its reporting unit.

    Parameters
    ----------
    location : str
        Path or URL of the CSV, Parquet or NetCDF table.
    gas : str
        The gas verified (``XCO2``, ``XCH4``, ``NO2``), from the indicator.
    unit : str, optional
        Declared unit of the table (evidence key ``unit``), required when the
        table has no ``unit`` column and checked against it when it has one.
    declared_gas : str, optional
        The gas of a table without a ``gas`` column (evidence key ``gas``).
    dry_air_column : float, optional
        Column of dry air (molecules/cm2) allowing mole fraction ↔ column density.
    display : str, optional
        How to name the file in messages.

    Returns
    -------
    pandas.DataFrame
        Columns ``gas, station, orbit, time, lon, lat, retrieved, reference,
        uncertainty, difference`` (``difference = retrieved − reference``), values
        in ``GAS_UNITS[gas]``; ``frame.attrs`` holds ``gas``, ``unit``,
        ``source_units`` (units found in the file), ``rows_in_file`` and
        ``rows_other_gases``.

    Raises
    ------
    EvidenceError
        For missing columns, no rows of ``gas``, NaN or non-numeric values,
        coordinates out of range, or a declared unit that contradicts the table.
    UnitError
        For a unit that cannot be converted to the gas's unit.
    """
    shown = display or location
    target_gas = normalise_gas(gas)
    target_unit = GAS_UNITS[target_gas]
    frame = read_table(location, display=shown)
    if "site" in frame and "station" not in frame:
        frame = frame.rename(columns={"site": "station"})
    if "sounding" in frame and "sounding_id" not in frame:
        frame = frame.rename(columns={"sounding": "sounding_id"})
    missing = [c for c in ("retrieved", "reference") if c not in frame]
    if missing:
        raise EvidenceError(
            f"the collocation table has no {' and no '.join(repr(c) for c in missing)} column",
            source=shown,
            hint="Columns needed: gas, retrieved, reference, unit (plus uncertainty, station, "
            f"orbit, time, lon, lat). Found: {', '.join(frame.columns)}.",
        )
    rows_in_file = len(frame)
    if "gas" in frame:
        gases = frame["gas"].map(lambda g: normalise_gas(g, source=shown))
        if declared_gas is not None and normalise_gas(declared_gas, source=shown) not in set(gases):
            raise EvidenceError(
                f"the evidence declares gas = {declared_gas!r} but the table has no such rows",
                source=shown,
                hint="Fix the declared gas or the table's gas column.",
            )
        keep = gases == target_gas
        frame = frame.loc[keep].copy()
        frame["gas"] = target_gas
        if frame.empty:
            found = ", ".join(sorted(set(gases)))
            raise EvidenceError(
                f"the collocation table has no {target_gas} rows (gases found: {found})",
                source=shown,
                hint=f"Give {target_gas} collocations for this indicator.",
            )
    else:
        if declared_gas is None:
            raise EvidenceError(
                "the collocation table has no 'gas' column",
                source=shown,
                hint=f'Add a gas column, or declare `gas = "{target_gas}"` in the evidence.',
            )
        if normalise_gas(declared_gas, source=shown) != target_gas:
            raise EvidenceError(
                f"the evidence declares gas = {declared_gas!r} but the indicator verifies "
                f"{target_gas}",
                source=shown,
                hint="Give this indicator a table of its own gas.",
            )
        frame = frame.copy()
        frame["gas"] = target_gas
    frame = frame.reset_index(drop=True)

    numeric: dict[str, np.ndarray] = {}
    for column in ("retrieved", "reference", "uncertainty", "lon", "lat", "dry_air_column"):
        if column not in frame:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64")
        bad_text = np.isnan(values) & frame[column].notna().to_numpy()
        if bad_text.any():
            raise EvidenceError(
                f"non-numeric values in column {column!r} (rows {_row_numbers(bad_text)})",
                source=shown,
                hint="Give plain numbers (no units or text in the cells).",
            )
        if column in ("retrieved", "reference") and np.isnan(values).any():
            raise EvidenceError(
                f"{int(np.isnan(values).sum())} {target_gas} rows have no {column!r} value "
                f"(NaN in rows {_row_numbers(np.isnan(values))})",
                source=shown,
                hint="Remove collocations without a value: geoverify does not drop them silently.",
            )
        numeric[column] = values
    if "lon" in numeric and np.nanmax(np.abs(numeric["lon"])) > 360:
        raise EvidenceError("longitudes beyond ±360°", source=shown, hint="Give degrees.")
    if "lat" in numeric and np.nanmax(np.abs(numeric["lat"])) > 90:
        raise EvidenceError("latitudes beyond ±90°", source=shown, hint="Give degrees.")
    if "uncertainty" in numeric and (numeric["uncertainty"] < 0).any():
        raise EvidenceError(
            "negative reported uncertainties",
            source=shown,
            hint="Uncertainties are 1-sigma magnitudes (≥ 0).",
        )

    units = _unit_column(frame, "unit", unit, shown)
    ref_units = (
        _unit_column(frame, "reference_unit", None, shown) if "reference_unit" in frame else units
    )
    dry: np.ndarray | float | None = None
    if "dry_air_column" in numeric:
        dry = numeric["dry_air_column"]
        bad = ~np.isfinite(dry) | (dry < DRY_AIR_RANGE[0]) | (dry > DRY_AIR_RANGE[1])
        if bad.any():
            raise EvidenceError(
                f"implausible dry_air_column in rows {_row_numbers(bad)}",
                source=shown,
                hint="Give the column of dry air in molecules/cm2 (about 2.1e25 at sea level).",
            )
    elif dry_air_column is not None:
        dry = _check_dry_air(dry_air_column, source=shown)

    out = pd.DataFrame({"gas": frame["gas"].astype(str)})
    out["station"] = (
        frame["station"].astype("string").fillna("unknown").astype(str)
        if "station" in frame
        else "unknown"
    )
    out["orbit"] = frame["orbit"].astype(str) if "orbit" in frame else None
    if "time" in frame:
        try:
            out["time"] = pd.to_datetime(frame["time"], utc=True, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise EvidenceError(
                f"unreadable times in column 'time' ({exc})",
                source=shown,
                hint="Give ISO 8601 times (2026-07-01T03:12:00Z).",
            ) from None
    for column in ("lon", "lat"):
        out[column] = numeric.get(column, np.full(len(frame), np.nan))
    columns = {"retrieved": units, "reference": ref_units, "uncertainty": units}
    for column, column_units in columns.items():
        values = numeric.get(column, np.full(len(frame), np.nan))
        converted = np.empty_like(values)
        for from_unit in sorted(set(column_units)):
            rows = (column_units == from_unit).to_numpy()
            row_dry = dry[rows] if isinstance(dry, np.ndarray) else dry
            converted[rows] = convert_values(
                values[rows], from_unit, target_unit, dry_air_column=row_dry, source=shown
            )
        out[column] = converted
    out["difference"] = out["retrieved"] - out["reference"]
    rows_of_gas = len(out)
    ids = frame.get("sounding_id")
    out, duplicates = _distinct_rows(out, ids)
    out.attrs.update(
        duplicate_rows=duplicates,
        distinct_rule=DISTINCT_RULE,
        gas=target_gas,
        unit=target_unit,
        source_units=sorted(set(units) | set(ref_units)),
        rows_in_file=rows_in_file,
        rows_other_gases=rows_in_file - rows_of_gas,
        source=shown,
    )
    return out


def _distinct_rows(out: pd.DataFrame, ids: pd.Series | None) -> tuple[pd.DataFrame, int]:
    """Drop repeated collocations (:data:`DISTINCT_RULE`); the kept rows and the count dropped."""
    if out.empty:
        return out, 0
    columns = [c for c in _IDENTITY if c in out and out[c].notna().any()]
    repeated = np.array(out[columns].astype(str).duplicated().to_numpy())
    if ids is not None:  # a row with a sounding id is identified by it, not by its values
        known = ids.notna().to_numpy()
        same_id = ids.astype(str).str.strip().duplicated().to_numpy() & known
        repeated = np.where(known, same_id, repeated)
    kept = out.loc[~repeated].reset_index(drop=True)
    kept.attrs.update(out.attrs)
    return kept, int(repeated.sum())


def describe_units(frame: pd.DataFrame) -> Mapping[str, Any]:
    """What the unit handling did (and how many repeated rows were dropped), for a report."""
    attrs = frame.attrs
    return {
        "unit": attrs.get("unit"),
        "source_units": list(attrs.get("source_units", [])),
        "converted": attrs.get("source_units", []) != [attrs.get("unit")],
        "duplicate_rows": int(attrs.get("duplicate_rows", 0)),
        "distinct_rule": attrs.get("distinct_rule", DISTINCT_RULE),
    }
