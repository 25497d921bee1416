"""The indicator catalogue: what the call promises, as data.

``configs/geo_indicators.toml`` holds one ``[[indicator]]`` per assessment
indicator of the call, with the call's own Chinese wording (``quote``), the
operator and how it was read from the Chinese, the threshold and its unit, and
the kind of check that measures it.  :func:`load_catalogue` validates it
strictly: unknown keys, wrong types, duplicate ids, unknown check kinds or
operators fail with the file, the line, the id and the fix.

The catalogue knows nothing of rasters or submissions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from geoverify.checks.registry import specs
from geoverify.checks.spec import CheckSpec
from geoverify.config.toml import TomlSource, load_toml
from geoverify.errors import CatalogueError, UnitError
from geoverify.geo.regions import REGIONS
from geoverify.model.catalogue import (
    OPERATORS,
    AggregateCondition,
    Catalogue,
    Condition,
    Direction,
    Indicator,
    ItemCondition,
    Reading,
)
from geoverify.units import UNITS, dimension

__all__ = ["DEFAULT_CATALOGUE", "load_catalogue"]

_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_MEASURES = ("distinct", "sum", "categories", "subset", "years_covered")
#: Measures that count what is wrong (values outside, years without an item): ``<= 0``
#: unless the row states another rule.
_ZERO_MEASURES = ("subset", "years_covered")


def _default_catalogue() -> Path:
    """``configs/geo_indicators.toml`` of the source tree, or the copy in the installed package."""
    here = Path(__file__).resolve().parents[1]  # the geoverify package
    in_repo = here.parent / "configs" / "geo_indicators.toml"
    return in_repo if in_repo.exists() else here / "data" / "geo_indicators.toml"


DEFAULT_CATALOGUE = _default_catalogue()
























# --------------------------------------------------------------------------- loading

_TOP_KEYS = {"schema": int, "title": str, "source": str, "directions": dict, "indicator": list}
_DIRECTION_KEYS: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "title_zh": str,
    "section": str,
    "common": bool,
}
_INDICATOR_REQUIRED = (
    "id",
    "title",
    "title_zh",
    "section",
    "quote",
    "check",
    "op",
    "unit",
    "wording",
    "reading",
)
_INDICATOR_KEYS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "title": str,
    "title_zh": str,
    "section": str,
    "quote": str,
    "check": str,
    "op": str,
    "threshold": (int, float, list),
    "unit": str,
    "wording": str,
    "reading": str,
    "params": dict,
    "each": list,
    "also": list,
    "alternatives": list,
}
_ALTERNATIVE_KEYS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "title": str,
    "reading": str,
    "op": str,
    "threshold": (int, float, list),
    "unit": str,
    "value": str,
    "ci": str,
}
_EACH_KEYS: dict[str, type | tuple[type, ...]] = {
    "check": str,
    "field": str,
    "op": str,
    "threshold": (int, float, list),
    "unit": str,
    "params": dict,
}
_ALSO_KEYS: dict[str, type | tuple[type, ...]] = {
    "measure": str,
    "field": str,
    "op": str,
    "threshold": (int, float, list),
    "unit": str,
    "region": (str, list),
    "of": str,
}


class _Validator:
    def __init__(self, source: TomlSource):
        self.source = source

    def fail(self, keys: Sequence[str | int], problem: str, hint: str) -> CatalogueError:
        return CatalogueError(problem, source=self.source.where(keys), hint=hint)

    def check_keys(
        self,
        table: Mapping[str, Any],
        allowed: Mapping[str, type | tuple[type, ...]],
        keys: Sequence[str | int],
        label: str,
    ) -> None:
        for key, value in table.items():
            if key not in allowed:
                raise self.fail(
                    [*keys, key],
                    f"{label}: unknown key {key!r}",
                    f"Allowed keys: {', '.join(allowed)}.",
                )
            expected = allowed[key]
            if isinstance(value, bool) and expected is not bool and bool not in _as_tuple(expected):
                ok = False
            else:
                ok = isinstance(value, expected)
            if not ok:
                names = " or ".join(t.__name__ for t in _as_tuple(expected))
                raise self.fail(
                    [*keys, key],
                    f"{label}: {key!r} must be {names}, not {type(value).__name__}",
                    "Fix the value's type.",
                )

    def condition(
        self, table: Mapping[str, Any], keys: Sequence[str | int], label: str
    ) -> tuple[str, Any, str]:
        op = table.get("op")
        if op not in OPERATORS:
            raise self.fail(
                [*keys, "op"],
                f"{label}: unknown operator {op!r}",
                f"Use one of: {', '.join(OPERATORS)}.",
            )
        unit = table.get("unit", "count")
        try:
            dimension(unit)
        except UnitError:
            raise self.fail(
                [*keys, "unit"],
                f"{label}: unknown unit {unit!r}",
                f"Use one of: {', '.join(UNITS)}.",
            ) from None
        threshold = table.get("threshold")
        if op == "report":
            if threshold is not None:
                raise self.fail(
                    [*keys, "threshold"],
                    f"{label}: operator 'report' takes no threshold",
                    "Remove the threshold.",
                )
        elif op in ("between", "covers", "spans"):
            if not (
                isinstance(threshold, list)
                and len(threshold) == 2
                and all(_is_number(v) for v in threshold)
                and threshold[0] <= threshold[1]
            ):
                raise self.fail(
                    [*keys, "threshold"],
                    f"{label}: operator {op!r} needs threshold = [low, high] with low <= high",
                    "Write e.g. threshold = [2, 5].",
                )
        elif op == "includes":
            if not (isinstance(threshold, list) and threshold):
                raise self.fail(
                    [*keys, "threshold"],
                    f"{label}: operator 'includes' needs a non-empty list",
                    "Write e.g. threshold = [2015, 2020, 2025].",
                )
        elif not _is_number(threshold):
            raise self.fail(
                [*keys, "threshold"],
                f"{label}: operator {op!r} needs a numeric threshold",
                "Write e.g. threshold = 90.",
            )
        return op, threshold, unit


def _as_tuple(t: type | tuple[type, ...]) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load and strictly validate the indicator catalogue.

    Parameters
    ----------
    path : path, optional
        The TOML file; the bundled ``configs/geo_indicators.toml`` by default.

    Raises
    ------
    CatalogueError
        With ``file:line``, the indicator id and the fix.
    """
    source = load_toml(path or DEFAULT_CATALOGUE, CatalogueError)
    v = _Validator(source)
    data = source.data
    v.check_keys(data, _TOP_KEYS, [], "catalogue")
    if data.get("schema") != 1:
        raise v.fail(["schema"], "schema must be 1", "Set `schema = 1` at the top of the file.")

    directions: dict[str, Direction] = {}
    for name, table in data.get("directions", {}).items():
        where: list[str | int] = ["directions", name]
        if not isinstance(table, dict):
            raise v.fail(where, f"direction {name!r} must be a table", "Write [directions.NAME].")
        v.check_keys(table, _DIRECTION_KEYS, where, f"direction {name!r}")
        for required in ("title", "title_zh", "section"):
            if required not in table:
                raise v.fail(where, f"direction {name!r}: missing {required!r}", "Add it.")
        directions[name] = Direction(name=name, **table)

    indicators: dict[str, Indicator] = {}
    for position, table in enumerate(data.get("indicator", [])):
        keys: list[str | int] = ["indicator", position]
        label = f"indicator #{position + 1}"
        if not isinstance(table, dict):
            raise v.fail(keys, f"{label} must be a table", "Write [[indicator]].")
        if isinstance(table.get("id"), str):
            label = f"indicator {table['id']!r}"
        v.check_keys(table, _INDICATOR_KEYS, keys, label)
        for required in _INDICATOR_REQUIRED:
            if required not in table:
                raise v.fail(keys, f"{label}: missing {required!r}", f"Add `{required} = ...`.")
        ident: str = table["id"]
        if not _ID.match(ident):
            raise v.fail(
                [*keys, "id"],
                f"{label}: id must be 'direction.indicator' in lowercase with underscores",
                "Rename it, e.g. 'wildfire.burned_area_resolution'.",
            )
        if ident in indicators:
            raise v.fail([*keys, "id"], f"duplicate id {ident!r}", "Ids must be unique.")
        kinds = specs()
        if table["check"] not in kinds:
            raise v.fail(
                [*keys, "check"],
                f"{label}: unknown check kind {table['check']!r}",
                f"Use one of: {', '.join(kinds)}.",
            )
        direction = ident.split(".", 1)[0]
        if direction not in directions:
            raise v.fail(
                [*keys, "id"],
                f"{label}: direction {direction!r} has no [directions.{direction}] table",
                "Declare the direction.",
            )
        if table["wording"] not in table["quote"]:
            raise v.fail(
                [*keys, "wording"],
                f"{label}: wording {table['wording']!r} does not occur in the quote",
                "The wording must be the operator words exactly as the quote writes them.",
            )
        op, threshold, unit = v.condition(table, keys, label)
        each = tuple(_item_condition(v, table, keys, label, c) for c in table.get("each", []))
        also = tuple(_aggregate(v, table, keys, label, c) for c in table.get("also", []))
        for c in also:
            if c.measure == "subset" and c.of not in indicators:
                raise v.fail(
                    [*keys, "also"],
                    f"{label}: 'subset' of {c.of!r}, which is not an indicator listed before "
                    "this one",
                    "Name the id of an indicator above this one (the run evaluates indicators "
                    "in catalogue order, so the other one's values are known when this one is "
                    "decided).",
                )
        subset_of_countries = all(
            c.measure == "subset" and c.field == "country" for c in also
        )
        if (each or also) and table["check"] != "count" and (
            each or not (table["check"] == "countries" and subset_of_countries)
        ):
            raise v.fail(
                [*keys, "each" if each else "also"],
                f"{label}: 'each' and 'also' apply only to check = 'count' (one exception: "
                "'also' with measure = 'subset' and field = 'country' on a 'countries' check)",
                "Remove them, or make the indicator a count.",
            )
        _check_params(v, kinds[table["check"]], table.get("params", {}), [*keys, "params"], label)
        indicators[ident] = Indicator(
            id=ident,
            title=table["title"],
            title_zh=table["title_zh"],
            section=table["section"],
            quote=table["quote"],
            check=table["check"],
            condition=Condition(op, threshold, unit),
            wording=table["wording"],
            reading=table["reading"],
            params=dict(table.get("params", {})),
            each=each,
            also=also,
            alternatives=tuple(
                _alternative(v, keys, label, n, c, unit)
                for n, c in enumerate(table.get("alternatives", []))
            ),
        )
    if not indicators:
        raise v.fail(["indicator"], "the catalogue has no [[indicator]]", "Add indicators.")
    return Catalogue(
        path=source.path,
        title=data.get("title", ""),
        source=data.get("source", ""),
        directions=directions,
        indicators=indicators,
    )


def _alternative(
    v: Any, keys: list[str | int], label: str, n: int, c: Any, unit: str
) -> Reading:
    """An alternative reading: ``{ id, title, reading, op, threshold, unit, value?, ci? }``."""
    where = [*keys, "alternatives", n]
    if not isinstance(c, dict):
        raise v.fail(where, f"{label}: an alternative reading must be a table", "Write { ... }.")
    v.check_keys(c, _ALTERNATIVE_KEYS, where, f"{label} alternative")
    for required in ("id", "title", "reading", "op"):
        if required not in c:
            raise v.fail(
                where,
                f"{label}: alternative reading {n + 1} has no {required!r}",
                f"Add `{required} = ...` to it.",
            )
    c = {"unit": unit, **c}  # the indicator's unit unless the reading names another
    op, threshold, unit = v.condition(c, where, f"{label} alternative {c['id']!r}")
    return Reading(
        id=c["id"],
        title=c["title"],
        reading=c["reading"],
        condition=Condition(op, threshold, unit),
        value=c.get("value"),
        ci=c.get("ci"),
    )


def _item_condition(
    v: _Validator, table: Mapping[str, Any], keys: list[str | int], label: str, c: Any
) -> ItemCondition:
    where = [*keys, "each"]
    if not isinstance(c, dict):
        raise v.fail(where, f"{label}: each entry of 'each' must be an inline table", "Fix it.")
    v.check_keys(c, _EACH_KEYS, where, f"{label} each")
    if ("check" in c) == ("field" in c):
        raise v.fail(
            where,
            f"{label}: an 'each' condition needs exactly one of 'check' or 'field'",
            'Write { check = "accuracy", ... } or { field = "participants", ... }.',
        )
    if "check" in c:
        if c["check"] not in specs():
            raise v.fail(
                where,
                f"{label}: unknown check kind {c['check']!r} in 'each'",
                f"Use one of: {', '.join(specs())}.",
            )
        _check_params(v, specs()[c["check"]], c.get("params", {}), [*where, "params"], label)
    op, threshold, unit = v.condition(c, where, f"{label} each")
    return ItemCondition(
        op, threshold, unit, check=c.get("check"), field=c.get("field"), params=c.get("params", {})
    )


def _aggregate(
    v: _Validator, table: Mapping[str, Any], keys: list[str | int], label: str, c: Any
) -> AggregateCondition:
    where = [*keys, "also"]
    if not isinstance(c, dict):
        raise v.fail(where, f"{label}: each entry of 'also' must be an inline table", "Fix it.")
    v.check_keys(c, _ALSO_KEYS, where, f"{label} also")
    if c.get("measure") not in _MEASURES or "field" not in c:
        raise v.fail(
            where,
            f"{label}: 'also' needs measure (one of {', '.join(_MEASURES)}) and field",
            'Write { measure = "distinct", field = "country", op = ">=", threshold = 4 }.',
        )
    raw = c.get("region")
    names = [raw] if isinstance(raw, str) else raw
    if names is not None and (
        not names or not all(isinstance(n, str) and n in REGIONS for n in names)
    ):
        raise v.fail(
            where,
            f"{label}: unknown region {raw!r}",
            f"Use one of: {', '.join(REGIONS)}, or a non-empty list of them (a country must "
            "belong to every region of the list).",
        )
    region = raw if isinstance(raw, str) or raw is None else tuple(raw)
    measure = c["measure"]
    if (measure == "subset") != ("of" in c):
        raise v.fail(
            where,
            f"{label}: 'of' goes with measure = 'subset', and only with it",
            'Write { measure = "subset", field = "identity", of = "night_light.products" }.',
        )
    if measure in _ZERO_MEASURES:
        # they count what is wrong (values outside, years without an item): none by default
        c = {"op": "<=", "threshold": 0, "unit": "count", **c}
    op, threshold, unit = v.condition(c, where, f"{label} also")
    return AggregateCondition(
        op, threshold, unit, measure=measure, field=c["field"], region=region, of=c.get("of")
    )


def _check_params(
    v: Any, spec: CheckSpec, params: Any, where: list[str | int], label: str
) -> None:
    """The ``params`` of an indicator against its check kind's spec (keys, types, values)."""
    if not isinstance(params, dict):
        raise v.fail(where, f"{label}: params must be a table", "Write params = { ... }.")
    for key, value in params.items():
        declared = spec.params.get(key)
        if declared is None:
            allowed = ", ".join(spec.params) or "none"
            raise v.fail(
                [*where, key],
                f"{label}: the {spec.kind!r} check takes no param {key!r}",
                f"Params of {spec.kind!r}: {allowed}.",
            )
        problem = declared.problem(value)
        if problem:
            raise v.fail([*where, key], f"{label}: param {key!r} {problem}", "Fix the value.")
