"""Error budgets of a retrieval: components combined in quadrature.

A budget lists the error sources of a single sounding (instrument noise,
smoothing, interference, spectroscopy, meteorology, aerosol, …), each
``random`` (varies from sounding to sounding, averages down) or
``systematic`` (common to many soundings, does not average down).  For
uncorrelated components the standard uncertainties add in quadrature (GUM,
JCGM 100:2008, eq. 10 with zero covariances)::

    u_random     = sqrt(sum of random u_i²)
    u_systematic = sqrt(sum of systematic u_i²)
    u_total      = sqrt(u_random² + u_systematic²)

The budget is given in the submission as the evidence key ``budget``:

- an inline list: ``budget = [{ component = "instrument noise", value = 1.2,
  kind = "random" }, …]`` (optional ``unit`` per component);
- a table ``{ unit = "ppm", components = [...] }`` or ``{ file = "b.csv" }``;
- a path to a CSV/Parquet table with columns ``component, value, kind`` (and
  optionally ``unit``).

Values without a unit are in the gas's reporting unit (XCO2 ppm, XCH4 ppb,
NO2 molecules/cm2); the report says so.

Consistency with the collocations: the random total is the predicted
single-sounding precision, which the standard deviation of the differences
against a reference estimates (plus the reference's own error and the
collocation mismatch, e.g. Wunch et al. 2017).  The budget is flagged
*inconsistent* when even the lower bound of the observed precision's 95%
chi-square interval exceeds :data:`INCONSISTENCY_FACTOR` (1.5) times the
budget's random total: the scatter is then significantly more than half as
large again as the budget allows, beyond what reference error and collocation
mismatch typically add (a few tenths of a ppm for XCO2 against TCCON,
Wunch et al. 2011), so components are missing or underestimated.  Using the
interval's lower bound keeps the flag from firing on sampling noise alone.

References
----------
JCGM 100:2008, Evaluation of measurement data — Guide to the expression of
uncertainty in measurement (GUM), §5.1.2 (law of propagation of uncertainty).

Wunch, D. et al. (2011). The Total Carbon Column Observing Network. Phil.
Trans. R. Soc. A 369, 2087–2112.

Wunch, D. et al. (2017). Comparisons of the Orbiting Carbon Observatory-2
(OCO-2) XCO2 measurements with TCCON. Atmos. Meas. Tech. 10, 2209–2238.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.io.collocations import convert_values
from geoverify.io.table import read_table
from geoverify.model.evidence import resolve_location

__all__ = [
    "INCONSISTENCY_FACTOR",
    "BudgetComponent",
    "BudgetTotals",
    "combine",
    "consistency",
    "parse_budget",
]

#: Observed precision (lower 95% bound) above this multiple of the budget's
#: random total flags the budget as inconsistent with the collocations.
INCONSISTENCY_FACTOR: float = 1.5

_KINDS = ("random", "systematic")


@dataclass(frozen=True)
class BudgetComponent:
    """One error source of a budget, converted to the gas's unit."""

    name: str
    value: float
    kind: str
    unit: str
    declared_unit: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.name,
            "value": self.value,
            "kind": self.kind,
            "unit": self.unit,
            "declared_unit": self.declared_unit,
        }


@dataclass(frozen=True)
class BudgetTotals:
    """A budget's components and their quadrature sums (GUM)."""

    random: float
    systematic: float
    total: float
    unit: str
    components: tuple[BudgetComponent, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "random": self.random,
            "systematic": self.systematic,
            "total": self.total,
            "unit": self.unit,
            "rule": "components combined in quadrature (GUM, JCGM 100:2008 §5.1.2)",
            "components": [c.to_dict() for c in self.components],
        }


def parse_budget(
    spec: Any,
    *,
    unit: str,
    base: Path | None = None,
    where: str | None = None,
    dry_air_column: float | None = None,
) -> tuple[BudgetComponent, ...]:
    """Read a declared budget (inline list, table or file) into components in ``unit``.

    Parameters
    ----------
    spec : list of dict, dict or str
        The evidence key ``budget`` (see the module docstring).
    unit : str
        The gas's reporting unit; also the default unit of the values.
    base : Path, optional
        The submission folder, against which a file path is resolved.
    where : str, optional
        Where the budget was given (``file:line``), for messages.
    dry_air_column : float, optional
        Allows components in a mole fraction for a column gas and vice versa.

    Raises
    ------
    EvidenceError
        For an empty budget, a component without name, value or a valid kind,
        a negative or non-finite value, or duplicate component names.
    UnitError
        For a unit that cannot be converted to ``unit``.
    """
    default_unit = unit
    rows: list[Mapping[str, Any]]
    if isinstance(spec, Mapping):
        default_unit = str(spec.get("unit", unit))
        if "file" in spec:
            spec = str(spec["file"])
        else:
            rows = list(spec.get("components", []))
            spec = rows
    if isinstance(spec, str):
        if base is None:
            raise EvidenceError(
                "a budget file needs the submission folder", source=where, hint="Pass base."
            )
        location = resolve_location(base, spec)
        table = read_table(location, display=spec)
        if "name" in table and "component" not in table:
            table = table.rename(columns={"name": "component"})
        rows = [
            {k: v for k, v in r.items() if not (isinstance(v, float) and math.isnan(v))}
            for r in table.to_dict("records")
        ]
        where = spec
    elif isinstance(spec, Sequence):
        rows = list(spec)
    else:
        raise EvidenceError(
            f"budget must be a list of components, a table or a path, not {type(spec).__name__}",
            source=where,
            hint='Write budget = [{ component = "instrument noise", value = 1.2, '
            'kind = "random" }, ...].',
        )
    if not rows:
        raise EvidenceError("the error budget lists no components", source=where, hint="Add them.")
    components: list[BudgetComponent] = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise EvidenceError(
                f"budget component {n} is not a table", source=where, hint="Give key = value pairs."
            )
        name = str(row.get("component", row.get("name", ""))).strip()
        if not name:
            raise EvidenceError(
                f"budget component {n} has no name", source=where, hint='Add component = "...".'
            )
        kind = str(row.get("kind", "")).strip().lower()
        if kind not in _KINDS:
            raise EvidenceError(
                f"budget component {name!r}: kind {row.get('kind')!r} is not random or systematic",
                source=where,
                hint='Write kind = "random" or kind = "systematic".',
            )
        try:
            value = float(row["value"])
        except (KeyError, TypeError, ValueError):
            raise EvidenceError(
                f"budget component {name!r} has no numeric value",
                source=where,
                hint="Add value = <1-sigma uncertainty>.",
            ) from None
        if not math.isfinite(value) or value < 0:
            raise EvidenceError(
                f"budget component {name!r}: value {value} is not a finite non-negative number",
                source=where,
                hint="Give the 1-sigma uncertainty (≥ 0).",
            )
        declared = str(row.get("unit", default_unit))
        converted = float(
            convert_values(value, declared, unit, dry_air_column=dry_air_column, source=where)
        )
        components.append(BudgetComponent(name, converted, kind, unit, declared))
    names = [c.name.lower() for c in components]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise EvidenceError(
            f"budget components listed twice: {', '.join(duplicates)}",
            source=where,
            hint="List each error source once (counting it twice inflates the budget).",
        )
    return tuple(components)


def combine(components: Sequence[BudgetComponent]) -> BudgetTotals:
    """Combine components in quadrature into random, systematic and total (GUM).

    The components are taken as uncorrelated (JCGM 100:2008 eq. 10).

    Raises
    ------
    EvidenceError
        For an empty budget or components in different units.
    """
    if not components:
        raise EvidenceError("the error budget lists no components", hint="Add them.")
    units = {c.unit for c in components}
    if len(units) != 1:
        raise EvidenceError(
            f"budget components in different units ({', '.join(sorted(units))})",
            hint="Convert them with parse_budget first.",
        )

    def quad(kind: str) -> float:
        values = np.array([c.value for c in components if c.kind == kind], dtype="float64")
        return float(np.sqrt(np.sum(values**2)))

    random, systematic = quad("random"), quad("systematic")
    return BudgetTotals(
        random=random,
        systematic=systematic,
        total=math.hypot(random, systematic),
        unit=units.pop(),
        components=tuple(components),
    )


def consistency(
    totals: BudgetTotals,
    precision: float,
    precision_low: float,
    *,
    factor: float = INCONSISTENCY_FACTOR,
) -> dict[str, Any]:
    """Compare a budget's random total with the precision observed in collocations.

    Parameters
    ----------
    totals : BudgetTotals
        The combined budget.
    precision, precision_low : float
        Observed single-sounding precision and the lower bound of its 95%
        chi-square interval, in ``totals.unit``.
    factor : float
        The inconsistency factor (default :data:`INCONSISTENCY_FACTOR`).

    Returns
    -------
    dict
        ``consistent`` (bool), ``ratio`` (observed / budget random; ``None`` when
        the random total is 0), ``rule`` and ``sentence``.

    Raises
    ------
    EvidenceError
        A non-positive or non-finite factor, a non-finite precision or bound.
    """
    if not (
        math.isfinite(factor)
        and factor > 0
        and math.isfinite(precision)
        and math.isfinite(precision_low)
    ):
        raise EvidenceError(
            f"cannot compare the budget with the collocations: factor {factor!r}, observed "
            f"precision {precision!r} (lower bound {precision_low!r})",
            hint="The factor must be positive and the observed precision finite: check the "
            "collocations (too few pairs, or non-finite differences).",
        )
    limit = factor * totals.random
    inconsistent = precision_low > limit
    ratio = precision / totals.random if totals.random > 0 else None
    unit = totals.unit
    rule = (
        f"inconsistent when the observed precision's lower 95% bound exceeds {factor:g} × "
        "the budget's random total"
    )
    if inconsistent:
        sentence = (
            f"the error budget is inconsistent with the collocations: its random total "
            f"{totals.random:.4g} {unit} is far below the observed scatter {precision:.4g} {unit} "
            f"(lower 95% bound {precision_low:.4g} > {factor:g} × {totals.random:.4g})"
        )
    else:
        sentence = (
            f"the error budget's random total {totals.random:.4g} {unit} is consistent with the "
            f"observed scatter {precision:.4g} {unit}"
        )
    return {
        "consistent": not inconsistent,
        "ratio": ratio,
        "factor": factor,
        "limit": limit,
        "rule": rule,
        "sentence": sentence,
    }
