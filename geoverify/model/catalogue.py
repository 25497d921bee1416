"""The indicator catalogue as data: directions, indicators, their conditions.

Plain, immutable objects; loading and validating the TOML is
:mod:`geoverify.config.catalogue`'s job.  The catalogue knows nothing of
rasters or submissions.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoverify.errors import CatalogueError
from geoverify.units import format_quantity

#: Operators and their reading in reports.
OPERATORS: dict[str, str] = {
    ">=": "at least",
    ">": "more than",
    "<=": "at most",
    "<": "less than",
    "==": "exactly",
    "between": "between (inclusive)",
    "covers": "covers the whole span",
    "spans": "spans from the first to the last (gaps allowed)",
    "includes": "includes every one of",
    "report": "reported (no threshold)",
}



@dataclass(frozen=True)
class Condition:
    """A comparison: ``op threshold unit`` (``threshold`` is a number, a pair or a list)."""

    op: str
    threshold: Any
    unit: str

    def describe(self) -> str:
        """``"≥ 90%"``-like text for reports."""

        symbol = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}.get(self.op)
        quantity = format_quantity(self.threshold, self.unit)
        if symbol:
            return f"{symbol} {quantity}"
        if self.op == "report":
            return "reported, no threshold"
        return f"{OPERATORS[self.op]} {quantity}"



@dataclass(frozen=True)
class ItemCondition(Condition):
    """A condition every counted item must pass (``each``): a check or an item field."""

    check: str | None = None
    field: str | None = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)



@dataclass(frozen=True)
class AggregateCondition(Condition):
    """A further condition on the counted items together (``also``).

    ``measure``:

    ``distinct``
        number of distinct values of ``field`` (countries in ``region``, see below);
    ``sum``
        sum of a numeric ``field``;
    ``categories``
        the values of ``field`` present (``op = "includes"``);
    ``subset``
        number of counted values of ``field`` that are *not* among those of the
        indicator ``of`` (``field = "identity"``: counted items that are not items
        of ``of``, by :data:`geoverify.io.items.IDENTITY_RULE`); ``<= 0`` by default;
    ``years_covered``
        number of calendar years of the project (its ``[project]`` start and end)
        without an item whose ``field`` is that year; ``<= 0`` by default.

    ``region`` is one region name or several (a tuple): a country must belong to
    every one of them (their intersection).
    """

    measure: str = "distinct"
    field: str = ""
    region: str | tuple[str, ...] | None = None
    #: for ``measure = "subset"``: the indicator whose counted values bound these
    of: str | None = None

    @property
    def regions(self) -> tuple[str, ...]:
        """The region names, ``"any"`` left out (``()``: no restriction)."""
        names = (self.region,) if isinstance(self.region, str) else (self.region or ())
        return tuple(r for r in names if r != "any")



@dataclass(frozen=True)
class Reading:
    """An alternative reading of an indicator's wording, shown beside the primary one.

    The primary reading (the indicator's own condition and ``reading``) decides
    the verdict and the exit code; every alternative is evaluated on the same
    measurement and its verdict is reported beside it when they differ, so that
    a disputed reading is visible instead of a silent choice.

    Parameters
    ----------
    id : str
        Short name (``"nominal_grid"``).
    title : str
        What the reading is, in a few words (``"nominal grid class"``).
    reading : str
        The reading in one sentence, as the report shows it.
    condition : Condition
        The rule under this reading.
    value : str, optional
        The measurement's ``details`` key holding the value this reading decides
        on (``"rmse"``); the measured value itself when ``None``.
    ci : str, optional
        The ``details`` key holding that value's 95% interval (``"rmse_ci"``).
    """

    id: str
    title: str
    reading: str
    condition: Condition
    value: str | None = None
    ci: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "reading": self.reading,
            "op": self.condition.op,
            "threshold": self.condition.threshold,
            "unit": self.condition.unit,
            "rule": self.condition.describe(),
        }
        if self.value:
            out["value"] = self.value
        return out


@dataclass(frozen=True)
class Direction:
    """A direction of the call (``geoglam``, ``wildfire``, ...)."""

    name: str
    title: str
    title_zh: str
    section: str
    common: bool = False



@dataclass(frozen=True)
class Indicator:
    """One assessment indicator of the call."""

    id: str
    title: str
    title_zh: str
    section: str
    quote: str
    check: str
    condition: Condition
    wording: str
    reading: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    each: tuple[ItemCondition, ...] = ()
    also: tuple[AggregateCondition, ...] = ()
    #: disputed readings of the wording, evaluated beside the primary one
    alternatives: tuple[Reading, ...] = ()

    @property
    def direction(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def quote_display(self) -> str:
        """The quote as a reader sees it: the seed's TeX leftovers (``$\\geq 90\\%$``,
        ``10^{15}``) rendered as text (``≥ 90%``, ``10¹⁵``).  ``quote`` stays verbatim."""
        return display_text(self.quote)

    @property
    def op(self) -> str:
        return self.condition.op

    @property
    def threshold(self) -> Any:
        return self.condition.threshold

    @property
    def unit(self) -> str:
        return self.condition.unit

    def rule(self) -> str:
        """The whole rule in one line, as shown in reports."""
        text = self.condition.describe()
        if self.each:
            text += "; each counted item: " + ", ".join(_describe_item(c) for c in self.each)
        if self.also:
            text += "; and " + ", ".join(_describe_aggregate(c) for c in self.also)
        return text

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "direction": self.direction,
            "title": self.title,
            "title_zh": self.title_zh,
            "section": self.section,
            "quote": self.quote,
            "quote_display": self.quote_display,
            "check": self.check,
            "op": self.op,
            "threshold": self.threshold,
            "unit": self.unit,
            "wording": self.wording,
            "reading": self.reading,
            "rule": self.rule(),
        }
        if self.params:
            out["params"] = dict(self.params)
        if self.each:
            out["each"] = [_condition_dict(c) for c in self.each]
        if self.also:
            out["also"] = [_condition_dict(c) for c in self.also]
        if self.alternatives:
            out["alternatives"] = [r.to_dict() for r in self.alternatives]
        return out



def _condition_dict(condition: Condition) -> dict[str, Any]:
    """The non-empty fields of a per-item or aggregate condition, as in the TOML."""
    out = {
        k: (dict(v) if isinstance(v, Mapping) else list(v) if isinstance(v, tuple) else v)
        for k, v in dataclasses.asdict(condition).items()
        if v not in (None, {}, "")
    }
    return out



_TEX = {r"\geq": "≥", r"\leq": "≤", r"\times": "×", r"\%": "%", "$": ""}



_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")



def display_text(text: str) -> str:
    """Render the TeX fragments of the call's text (``$\\geq 90\\%$`` → ``≥ 90%``)."""
    for tex, plain in _TEX.items():
        text = text.replace(tex, plain)
    text = re.sub(r"\^\{?(-?\d+)\}?", lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    return re.sub(r" {2,}", " ", text).strip()



def _describe_item(c: ItemCondition) -> str:
    what = c.check or c.field or ""
    return f"{what} {c.describe()}"



def describe_regions(c: AggregateCondition) -> str:
    """``" in asia_oceania ∩ geo_members"``-like text, or ``""`` for no region."""
    return f" in {' ∩ '.join(c.regions)}" if c.regions else ""


def _describe_aggregate(c: AggregateCondition) -> str:
    region = describe_regions(c)
    if c.measure == "categories":
        return f"{c.field} includes {', '.join(map(str, c.threshold))}"
    if c.measure == "subset":
        what = "counted items" if c.field == "identity" else f"{c.field} values"
        return f"{what} not among those of {c.of} {c.describe()}"
    if c.measure == "years_covered":
        return f"project years without an item ({c.field}) {c.describe()}"
    return f"{c.measure} {c.field}{region} {c.describe()}"



@dataclass(frozen=True)
class Catalogue:
    """The validated catalogue, with its source path."""

    path: Path
    title: str
    source: str
    directions: Mapping[str, Direction]
    indicators: Mapping[str, Indicator]

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators.values())

    def __len__(self) -> int:
        return len(self.indicators)

    def __getitem__(self, indicator_id: str) -> Indicator:
        try:
            return self.indicators[indicator_id]
        except KeyError:
            raise CatalogueError(
                f"no indicator {indicator_id!r}",
                source=str(self.path),
                hint="`geoverify indicators` lists the ids.",
            ) from None

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self.indicators

    def for_direction(self, direction: str) -> list[Indicator]:
        return [i for i in self if i.direction == direction]

    def common_directions(self) -> list[str]:
        return [d.name for d in self.directions.values() if d.common]
