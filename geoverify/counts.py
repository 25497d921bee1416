"""Counted evidence: listed items with their proof, and shares between groups of items.

A counted indicator ("≥ 30 fire events", "≥ 2 workshops") is measured from the
items a submission lists, each with a title and its proof: a file inside the
submission, an http(s) URL or a DOI.  Only items with a usable proof count;
the others are reported with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import EvidenceError
from .measurement import Measurement
from .sources import is_remote
from .submission import resolve_location

if TYPE_CHECKING:
    from .checks import Context
    from .submission import Evidence

__all__ = [
    "ProvenItem",
    "categories",
    "distinct_values",
    "field_sum",
    "measure_count",
    "measure_share",
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


def _number(item: Evidence, field: str) -> float:
    value = item.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvidenceError(
            f"item {item.get('title')!r} has no numeric {field!r}",
            source=item.where,
            hint=f"Add `{field} = <number>` to the item.",
        )
    return float(value)


def measure_count(evidence: Evidence, params: Mapping[str, Any], context: Context) -> Measurement:
    """Number of listed items that carry a usable proof.

    With ``params["field"]`` (e.g. ``capacity`` for the UAV network) the value is
    the largest figure of that field among the proven items instead: a tested
    capacity is a number with its evidence, not a count of items.
    """
    items = proven_items(evidence)
    if not evidence.items:
        raise EvidenceError(
            "the evidence lists no items",
            source=evidence.where,
            hint=f"List them as [[evidence.{evidence.indicator}.items]] with title and a proof.",
        )
    counted = [p for p in items if p.counted]
    details: dict[str, Any] = {
        "listed": len(items),
        "counted": len(counted),
        "items": [p.summary() for p in items],
    }
    rejected = len(items) - len(counted)
    message = f"{len(counted)} of {len(items)} listed items carry a usable proof"
    if rejected:
        message += f"; {rejected} not counted (see details)"
    field = params.get("field")
    if field:
        figures = [(_number(p.item, field), p.title) for p in counted]
        if not figures:
            raise EvidenceError(
                f"no proven item gives {field!r}", source=evidence.where, hint="Add one with proof."
            )
        best, title = max(figures)
        details[field] = best
        return Measurement(best, "count", details=details, message=f"{field} {best:g} ({title})")
    return Measurement(len(counted), "count", details=details, message=message)


def measure_share(evidence: Evidence, params: Mapping[str, Any], context: Context) -> Measurement:
    """Ratio of two groups of proven items (counted, or summed over ``params["sum"]``).

    ``params["numerator"]`` and ``params["denominator"]`` list the ``group`` values
    of the items on each side (e.g. papers in Chinese journals over all papers;
    local matching funds over central funds, summed over ``amount``).
    """
    numerator = set(params.get("numerator", []))
    denominator = set(params.get("denominator", []))
    if not numerator or not denominator:
        raise EvidenceError(
            "the indicator's params need numerator and denominator groups",
            source=evidence.where,
        )
    amount = params.get("sum")
    items = proven_items(evidence)
    if not items:
        raise EvidenceError(
            "the evidence lists no items",
            source=evidence.where,
            hint=f"List them with a `group` ({', '.join(sorted(numerator | denominator))}).",
        )
    top = bottom = 0.0
    unknown = []
    for p in items:
        if not p.counted:
            continue
        group = p.item.get("group")
        if group not in numerator | denominator:
            unknown.append(p.title)
            continue
        weight = _number(p.item, amount) if amount else 1.0
        if group in numerator:
            top += weight
        if group in denominator:
            bottom += weight
    if unknown:
        raise EvidenceError(
            f"items without a known group: {', '.join(unknown[:5])}",
            source=evidence.where,
            hint=f"Give each item group = one of {', '.join(sorted(numerator | denominator))}.",
        )
    if bottom == 0:
        raise EvidenceError(
            f"the denominator is zero (no proven item in {', '.join(sorted(denominator))})",
            source=evidence.where,
            hint="List the items of the denominator with their proof.",
        )
    ratio = top / bottom
    what = f"sum of {amount}" if amount else "count"
    return Measurement(
        ratio,
        "1",
        details={
            "numerator": top,
            "denominator": bottom,
            "numerator_groups": sorted(numerator),
            "denominator_groups": sorted(denominator),
            "aggregated": what,
            "items": [p.summary() for p in items],
        },
        message=f"{what}: {top:g} / {bottom:g}",
    )


# ------------------------------------------------------------ aggregates of counted items


def distinct_values(items: Iterable[Evidence], field: str, region: str | None = None) -> list[str]:
    """Distinct values of ``field`` among ``items``; countries normalised to ISO3.

    With ``region``, only countries in that region (see :mod:`geoverify.regions`).
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
        from .regions import country_code, in_region

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
    from .countries import country_of_point
    from .regions import country_code

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
    return sum(_number(item, field) for item in items)


def categories(items: Iterable[Evidence], field: str) -> list[str]:
    """The categories (values of ``field``) present among ``items``."""
    return distinct_values(items, field)
