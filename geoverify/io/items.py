"""Listed items of a submission: their proofs, their fields, their countries.

A counted indicator ("≥ 30 fire events", "≥ 2 workshops") is measured from the
items a submission lists, each with a title and its proof: a file inside the
submission, an http(s) URL or a DOI.  Only items with a usable proof count;
the others are reported with the reason.  The count and share checks and the
per-item and aggregate conditions (``each``, ``also``) all read items here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoverify.errors import EvidenceError
from geoverify.model.evidence import Evidence, is_remote, resolve_location

__all__ = [
    "ProvenItem",
    "categories",
    "distinct_values",
    "field_sum",
    "item_number",
    "proven_items",
]


# DOI syntax as recommended by Crossref: 10.NNNN/suffix (https://www.crossref.org/blog/dois-and-matching-regular-expressions/)
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)



_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)



@dataclass(frozen=True)
class ProvenItem:
    """A listed item and the proof that makes it count (or why it does not)."""

    item: Evidence
    proof: str | None
    reason: str | None = None

    @property
    def title(self) -> str:
        return str(self.item.get("title", ""))

    @property
    def counted(self) -> bool:
        return self.proof is not None

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "counted": self.counted, "proof": self.proof}
        if self.reason:
            out["reason"] = self.reason
        return out



def _proof_of(item: Evidence) -> tuple[str | None, str | None]:
    problems = []
    doi = item.get("doi")
    if doi is not None:
        match = _DOI.match(str(doi).strip())
        if match:
            return f"doi:{match.group(1)}", None
        problems.append(f"doi {doi!r} is not a DOI (10.NNNN/suffix)")
    url = item.get("url")
    if url is not None:
        if _URL.match(str(url).strip()):
            return str(url).strip(), None
        problems.append(f"url {url!r} is not an http(s) URL")
    file = item.get("file")
    if file is not None:
        try:
            resolved = resolve_location(item.base, str(file))
        except EvidenceError as exc:
            problems.append(f"file {file!r}: {exc.problem}")
        else:
            if is_remote(resolved) or Path(resolved).is_file():
                return str(file), None
            problems.append(f"file {file!r} not found")
    if not problems:
        problems.append("no proof given (file, url or doi)")
    return None, "; ".join(problems)



def proven_items(evidence: Evidence) -> list[ProvenItem]:
    """Every listed item of ``evidence`` with its proof or the reason it has none."""
    out = []
    for item in evidence.items:
        proof, reason = _proof_of(item)
        out.append(ProvenItem(item, proof, reason))
    return out



def item_number(item: Evidence, field: str) -> float:
    value = item.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvidenceError(
            f"item {item.get('title')!r} has no numeric {field!r}",
            source=item.where,
            hint=f"Add `{field} = <number>` to the item.",
        )
    return float(value)



def distinct_values(items: Iterable[Evidence], field: str, region: str | None = None) -> list[str]:
    """Distinct values of ``field`` among ``items``; countries normalised to ISO3.

    With ``region``, only countries in that region (see :mod:`geoverify.geo.regions`).
    """
    values: set[str] = set()
    for item in items:
        raw = item.get(field)
        if field == "country":
            raw = _country_of_item(item, raw)
        for value in raw if isinstance(raw, list) else [raw]:
            if value is None or value == "":
                continue
            values.add(str(value))
    if "country" in field or region not in (None, "any"):
        from geoverify.geo.regions import country_code, in_region

        codes = {country_code(v) for v in values}
        if region not in (None, "any"):
            codes = {c for c in codes if in_region(c, region)}
        return sorted(codes)
    return sorted(values)



def _country_of_item(item: Evidence, declared: Any) -> Any:
    """The item's country: declared, or found from its ``lon``/``lat``; both must agree."""
    lon, lat = item.get("lon"), item.get("lat")
    if not (isinstance(lon, int | float) and isinstance(lat, int | float)):
        return declared
    from geoverify.geo.regions import country_code, country_of_point

    located = country_of_point(lon, lat)
    if declared in (None, ""):
        return located
    if isinstance(declared, str) and located and country_code(declared) != located:
        raise EvidenceError(
            f"item {item.get('title')!r} declares country {declared!r} but its coordinates "
            f"({lon}, {lat}) lie in {located}",
            source=item.where,
            hint="Correct the country or the coordinates.",
        )
    return declared



def field_sum(items: Sequence[Evidence], field: str) -> float:
    """Sum of a numeric ``field`` over ``items``."""
    return sum(item_number(item, field) for item in items)



def categories(items: Iterable[Evidence], field: str) -> list[str]:
    """The categories (values of ``field``) present among ``items``."""
    return distinct_values(items, field)
