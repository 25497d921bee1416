"""The submission manifest: a project's claims and the evidence for each indicator.

A submission is a TOML file (``submission.toml``) beside the delivered data::

    [project]
    title = "Global burned area 2026-2029"
    directions = ["wildfire"]
    start = 2026-07-01
    end = 2029-06-30

    [evidence.wildfire.burned_area_resolution]
    raster = "data/burned_area.tif"

    [[evidence.wildfire.fire_events.items]]
    title = "2026 Yunnan forest fire"
    date = 2026-03-14
    doi = "10.5281/zenodo.000000"

Paths are relative to the manifest and may not leave its folder; http(s) URLs
are allowed.  Validation is strict and errors name ``file:line`` and the key.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from geoverify.checks.registry import get_spec, path_keys
from geoverify.config.toml import TomlSource, load_toml
from geoverify.errors import EvidenceError, SubmissionError
from geoverify.model.catalogue import Catalogue, Indicator
from geoverify.model.evidence import Evidence, Submission, resolve_location

__all__ = ["evidence_keys", "item_keys", "load_submission"]

_PROJECT_KEYS: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "id": str,
    "lead": str,
    "contact": str,
    "directions": list,
    "start": dt.date,
    "end": dt.date,
    "note": str,
}



_ANY: tuple[type, ...] = (str, int, float, bool, list, dict, dt.date, dt.datetime)
_STR_OR_LIST = (str, list)
_COMMON: dict[str, type | tuple[type, ...]] = {"note": str, "items": list, "stac": dict}

def load_submission(path: str | Path, catalogue: Catalogue) -> Submission:
    """Load and validate a submission manifest against ``catalogue``.

    Raises
    ------
    SubmissionError
        With ``file:line`` and the key, for malformed TOML, unknown directions
        or indicator ids, unknown evidence keys, wrong types, or paths that
        leave the submission folder.
    """
    source = load_toml(path, SubmissionError)
    source = TomlSource(source.path.resolve(), source.text, source.data)
    data = source.data

    def fail(keys: Sequence[str | int], problem: str, hint: str) -> SubmissionError:
        return SubmissionError(problem, source=source.where(keys), hint=hint)

    for key in data:
        if key not in ("project", "evidence"):
            raise fail([key], f"unknown top-level key {key!r}", "Use [project] and [evidence.*].")
    project = data.get("project")
    if not isinstance(project, dict):
        raise fail(["project"], "missing [project] table", "Add [project] with title, directions.")
    _check_types(project, _PROJECT_KEYS, ["project"], fail, "[project]")
    directions = project.get("directions")
    if not directions or not all(isinstance(d, str) for d in directions):
        raise fail(
            ["project", "directions"],
            "project.directions must be a non-empty list of direction names",
            'Write e.g. directions = ["wildfire"].',
        )
    for name in directions:
        if name not in catalogue.directions:
            raise fail(
                ["project", "directions"],
                f"unknown direction {name!r}",
                f"Known directions: {', '.join(catalogue.directions)}.",
            )
    if "start" in project and "end" in project and project["end"] < project["start"]:
        raise fail(["project", "end"], "project end is before its start", "Fix the dates.")

    evidence_tables = data.get("evidence", {})
    if not isinstance(evidence_tables, dict):
        raise fail(["evidence"], "evidence must be a table", "Write [evidence.DIRECTION.NAME].")
    claimed = set(directions) | set(catalogue.common_directions())
    evidence: dict[str, Evidence] = {}
    for ident, table, keys in _evidence_entries(evidence_tables):
        if ident not in catalogue:
            raise fail(
                keys,
                f"unknown indicator id {ident!r}",
                "`geoverify indicators` lists the ids.",
            )
        indicator = catalogue[ident]
        if indicator.direction not in claimed:
            raise fail(
                keys,
                f"evidence for {ident!r}, but direction {indicator.direction!r} is not claimed",
                f"Add {indicator.direction!r} to project.directions or remove the evidence.",
            )
        if ident in evidence:
            raise fail(
                keys,
                f"evidence for {ident!r} is given twice",
                'Merge the two tables ([evidence.X.Y] and [evidence."X.Y"]) into one.',
            )
        evidence[ident] = _build_evidence(
            ident, indicator.check, table, keys, source, fail, item_keys(indicator)
        )
    return Submission(
        path=source.path,
        project=project,
        directions=tuple(directions),
        evidence=evidence,
    )


def _evidence_entries(
    tables: Mapping[str, Any],
) -> Iterator[tuple[str, dict[str, Any], list[str | int]]]:
    for key, value in tables.items():
        if "." in key:
            yield key, value, ["evidence", key]
        elif isinstance(value, dict):
            for name, table in value.items():
                yield f"{key}.{name}", table, ["evidence", key, name]
        else:
            yield key, value, ["evidence", key]


def _check_types(
    table: Mapping[str, Any],
    allowed: Mapping[str, type | tuple[type, ...]],
    keys: list[str | int],
    fail: Any,
    label: str,
) -> None:
    for key, value in table.items():
        if key not in allowed:
            raise fail(
                [*keys, key],
                f"{label}: unknown key {key!r}",
                f"Allowed here: {', '.join(allowed) or '(only items)'}.",
            )
        expected = allowed[key]
        expected_t = expected if isinstance(expected, tuple) else (expected,)
        bad_bool = isinstance(value, bool) and bool not in expected_t
        if bad_bool or not isinstance(value, expected_t):
            names = " or ".join(t.__name__ for t in expected_t)
            raise fail(
                [*keys, key],
                f"{label}: {key!r} must be {names}, not {type(value).__name__}",
                "Fix the value.",
            )


def evidence_keys(kind: str) -> dict[str, type | tuple[type, ...]]:
    """Evidence keys accepted for an indicator of check ``kind``, with their TOML types.

    The common keys (``note``, ``items``, ``stac``) and the kind's own, from its
    :class:`~geoverify.checks.spec.CheckSpec`.
    """
    return {**_COMMON, **get_spec(kind).evidence_types()}


#: Keys every listed item may carry: its title and date, a note, its proof, where it is.
_ITEM_KEYS = frozenset(
    {
        "title",
        "date",
        "note",
        "description",
        "file",
        "url",
        "doi",
        "country",
        "city",
        "site",
        "region",
        "organisation",
        "lon",
        "lat",
    }
)


def item_keys(indicator: Indicator) -> frozenset[str]:
    """The keys a listed item of ``indicator`` may carry.

    The common ones (:data:`_ITEM_KEYS`), every field the indicator's ``each``,
    ``also`` and ``params`` read (``participants``, ``event``, ``group``,
    ``amount`` …), and the evidence keys of the check kinds that measure an item
    (a product's ``raster``, a model's ``map`` and ``reference``).  A typo
    (``dio = …``) is then a load error with ``file:line``, not an item silently
    without proof.
    """
    keys = set(_ITEM_KEYS)
    keys |= {c.field for c in indicator.each if c.field}
    keys |= {c.field for c in indicator.also if c.field}
    for name in ("field", "sum"):
        value = indicator.params.get(name)
        if isinstance(value, str):
            keys.add(value)
    if indicator.check == "share":
        keys.add("group")
    kinds = {indicator.check} | {c.check for c in indicator.each if c.check}
    for kind in kinds:
        keys |= set(get_spec(str(kind)).evidence)
    return frozenset(keys)


def _build_evidence(
    ident: str,
    kind: str,
    table: Any,
    keys: list[str | int],
    source: TomlSource,
    fail: Any,
    known_item_keys: frozenset[str] = frozenset(),
) -> Evidence:
    if not isinstance(table, dict):
        raise fail(keys, f"evidence for {ident!r} must be a table", "Write [evidence.X.Y].")
    allowed = evidence_keys(kind)
    _check_types(table, allowed, keys, fail, f"evidence {ident}")
    base = source.path.parent
    where = source.where(keys)
    files = path_keys()
    _check_paths(table, base, keys, fail, files)
    items = []
    for n, item in enumerate(table.get("items", [])):
        item_keys = [*keys, "items", n]
        if not isinstance(item, dict):
            raise fail(item_keys, f"item {n + 1} of {ident!r} must be a table", "Fix it.")
        title = item.get("title")
        if not isinstance(title, str) or not title.strip():
            raise fail(item_keys, f"item {n + 1} of {ident!r} has no title", 'Add title = "...".')
        _check_paths(item, base, item_keys, fail, files)
        for key in item:
            if key not in known_item_keys:
                close = difflib.get_close_matches(key, sorted(known_item_keys), n=1)
                raise fail(
                    [*item_keys, key],
                    f"item {n + 1} of {ident!r}: unknown key {key!r}"
                    + (f" (did you mean {close[0]!r}?)" if close else ""),
                    "Item keys: title, date, note, a proof (file, url or doi) and the fields the "
                    f"indicator reads ({', '.join(sorted(known_item_keys - _ITEM_KEYS))}).",
                )
        items.append(
            Evidence(
                indicator=ident,
                base=base,
                options={k: v for k, v in item.items()},
                where=source.where(item_keys),
                path_keys=files,
            )
        )
    options = {k: v for k, v in table.items() if k != "items"}
    return Evidence(ident, base, options, where, tuple(items), path_keys=files)


def _check_paths(
    table: Mapping[str, Any],
    base: Path,
    keys: list[str | int],
    fail: Any,
    files: frozenset[str],
) -> None:
    for key, value in table.items():
        if key not in files:
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise fail([*keys, key], f"{key!r} must be a path or a list of paths", "Fix it.")
        for v in values:
            try:
                resolve_location(base, v)
            except EvidenceError as exc:
                raise fail([*keys, key], f"{key!r}: {exc.problem}", exc.hint or "") from None


