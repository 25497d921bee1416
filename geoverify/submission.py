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
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import Catalogue
from .errors import EvidenceError, SubmissionError
from .sources import is_remote
from .tomlsource import TomlSource, load_toml

__all__ = ["EVIDENCE_KEYS", "ITEM_PROOF_KEYS", "Evidence", "Submission", "load_submission"]

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

#: Keys whose values are files (or lists of files) relative to the manifest.
PATH_KEYS = frozenset(
    {
        "raster",
        "rasters",
        "vector",
        "map",
        "reference",
        "strata",
        "file",
        "files",
        "sites",
        "boundaries",
        "collocations",
        "detections",
        "timings",
        "warnings",
        "outbreaks",
        "land_mask",
    }
)

#: Keys in a listed item that can prove it.
ITEM_PROOF_KEYS = ("file", "url", "doi")

_ANY: tuple[type, ...] = (str, int, float, bool, list, dict, dt.date, dt.datetime)
_STR_OR_LIST = (str, list)
_COMMON: dict[str, type | tuple[type, ...]] = {"note": str, "items": list, "stac": dict}

#: Evidence keys accepted per check kind, with their TOML types.
EVIDENCE_KEYS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "resolution": {
        "raster": str,
        "rasters": list,
        "variable": str,
        "band": int,
        "tolerance": (int, float),
    },
    "classes": {
        "raster": str,
        "variable": str,
        "band": int,
        "legend": dict,
        "nodata": (int, float),
    },
    "accuracy": {
        "map": str,
        "reference": str,
        "field": str,
        "design": str,
        "strata": str,
        "strata_field": str,
        "legend": dict,
        "resample": str,
        "band": int,
        "reference_band": int,
        "polygons": str,
    },
    "area": {"raster": str, "rasters": list, "variable": str, "vector": str, "band": int},
    "countries": {
        "raster": str,
        "vector": str,
        "sites": str,
        "countries": list,
        "boundaries": str,
        "boundaries_field": str,
        "band": int,
        "variable": str,
    },
    "period": {
        "file": str,
        "files": list,
        "rasters": list,
        "variable": str,
        "time_dim": str,
        "years": list,
        "datetimes": list,
        "start": (dt.date, dt.datetime, str),
        "end": (dt.date, dt.datetime, str),
        "step": str,
    },
    "burned_area": {
        "raster": str,
        "rasters": list,
        "file": str,
        "variable": str,
        "reference": str,
        "field": str,
        "design": str,
        "strata": str,
        "land_mask": str,
        "unburnable": (int, list),
        "unobserved": (int, list),
        "band": int,
    },
    "retrieval": {
        "collocations": str,
        "gas": str,
        "unit": str,
        "budget": (str, dict, list),
        "outliers": (str, int, float),
        "dry_air_column": (int, float),
    },
    "detections": {"detections": str},
    "latency": {"timings": str},
    "warning": {"warnings": str, "outbreaks": str, "window_days": (int, float)},
    "count": {},
    "share": {},
}


@dataclass(frozen=True)
class Evidence:
    """The evidence a submission gives for one indicator (or one listed item).

    Checks read their inputs from here: :meth:`location` resolves a path key
    to an absolute local path (inside the submission folder) or a URL.
    """

    indicator: str
    base: Path
    options: Mapping[str, Any]
    where: str
    items: tuple[Evidence, ...] = ()

    def __contains__(self, key: object) -> bool:
        return key in self.options

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)

    def require(self, key: str) -> Any:
        """The value of ``key``, or an :class:`EvidenceError` saying it is needed."""
        if key not in self.options:
            raise EvidenceError(
                f"the evidence has no {key!r}",
                source=self.where,
                hint=f"Add `{key} = ...` to the evidence of {self.indicator}.",
            )
        return self.options[key]

    def location(self, key: str, *, required: bool = True) -> str | None:
        """The resolved path or URL given under ``key``."""
        value = self.options.get(key)
        if value is None:
            if required:
                self.require(key)
            return None
        if not isinstance(value, str):
            raise EvidenceError(
                f"{key!r} must be a single path, got {type(value).__name__}",
                source=self.where,
                hint=f"Use `{key}s = [...]` for several files.",
            )
        return resolve_location(self.base, value)

    def locations(self, key: str) -> list[str]:
        """The resolved paths given under ``key`` (a string or a list of strings)."""
        value = self.options.get(key)
        if value is None:
            return []
        values = [value] if isinstance(value, str) else list(value)
        return [resolve_location(self.base, v) for v in values]

    def files(self) -> list[tuple[str, str]]:
        """Every file or URL this evidence names, as ``(shown, resolved)`` pairs.

        Used for the report's provenance (checksums of what was verified).
        """
        out: list[tuple[str, str]] = []
        for key, value in self.options.items():
            if key not in PATH_KEYS:
                continue
            for shown in [value] if isinstance(value, str) else list(value):
                if isinstance(shown, str):
                    out.append((shown, resolve_location(self.base, shown)))
        budget = self.options.get("budget")  # a budget table given as a file
        budget_file = budget.get("file") if isinstance(budget, dict) else budget
        if isinstance(budget_file, str):
            out.append((budget_file, resolve_location(self.base, budget_file)))
        for item in self.items:
            out.extend(item.files())
        return out

    def display(self, location: str) -> str:
        """``location`` relative to the submission folder where possible."""
        if is_remote(location):
            return location
        try:
            return Path(location).relative_to(self.base).as_posix()
        except ValueError:
            return location


def resolve_location(base: Path, value: str) -> str:
    """Resolve a manifest path against ``base``; URLs pass through.

    Raises
    ------
    EvidenceError
        If the path leaves the submission folder.
    """
    if is_remote(value):
        return value
    if re.match(r"^[a-z][a-z0-9+.-]*://", value):
        raise EvidenceError(
            f"unsupported URL scheme in {value!r}",
            hint="Use a path relative to the submission, or an http(s) URL.",
        )
    candidate = Path(value)
    full = candidate if candidate.is_absolute() else base / candidate
    resolved = Path(os.path.realpath(full))
    base_real = Path(os.path.realpath(base))
    if resolved != base_real and base_real not in resolved.parents:
        raise EvidenceError(
            f"path {value!r} leaves the submission folder",
            hint="Put the evidence inside the submission's folder and refer to it relatively.",
        )
    return str(resolved)


@dataclass(frozen=True)
class Submission:
    """A validated submission manifest."""

    path: Path
    project: Mapping[str, Any]
    directions: tuple[str, ...]
    evidence: Mapping[str, Evidence] = field(default_factory=dict)

    @property
    def base(self) -> Path:
        return self.path.parent

    @property
    def title(self) -> str:
        return str(self.project.get("title", ""))

    def __iter__(self) -> Iterator[Evidence]:
        return iter(self.evidence.values())

    def indicators(self, catalogue: Catalogue) -> list[str]:
        """Ids to evaluate: every indicator of the claimed and the common directions."""
        wanted = list(self.directions) + [
            d for d in catalogue.common_directions() if d not in self.directions
        ]
        return [i.id for d in wanted for i in catalogue.for_direction(d)]


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
        evidence[ident] = _build_evidence(ident, indicator.check, table, keys, source, fail)
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


def _build_evidence(
    ident: str,
    kind: str,
    table: Any,
    keys: list[str | int],
    source: TomlSource,
    fail: Any,
) -> Evidence:
    if not isinstance(table, dict):
        raise fail(keys, f"evidence for {ident!r} must be a table", "Write [evidence.X.Y].")
    allowed = {**_COMMON, **EVIDENCE_KEYS[kind]}
    _check_types(table, allowed, keys, fail, f"evidence {ident}")
    base = source.path.parent
    where = source.where(keys)
    _check_paths(table, base, keys, fail)
    items = []
    for n, item in enumerate(table.get("items", [])):
        item_keys = [*keys, "items", n]
        if not isinstance(item, dict):
            raise fail(item_keys, f"item {n + 1} of {ident!r} must be a table", "Fix it.")
        title = item.get("title")
        if not isinstance(title, str) or not title.strip():
            raise fail(item_keys, f"item {n + 1} of {ident!r} has no title", 'Add title = "...".')
        _check_paths(item, base, item_keys, fail)
        items.append(
            Evidence(
                indicator=ident,
                base=base,
                options={k: v for k, v in item.items()},
                where=source.where(item_keys),
            )
        )
    options = {k: v for k, v in table.items() if k != "items"}
    return Evidence(ident, base, options, where, tuple(items))


def _check_paths(table: Mapping[str, Any], base: Path, keys: list[str | int], fail: Any) -> None:
    for key, value in table.items():
        if key not in PATH_KEYS:
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise fail([*keys, key], f"{key!r} must be a path or a list of paths", "Fix it.")
        for v in values:
            try:
                resolve_location(base, v)
            except EvidenceError as exc:
                raise fail([*keys, key], f"{key!r}: {exc.problem}", exc.hint or "") from None
