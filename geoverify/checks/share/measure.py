"""Shares between groups of listed items: papers in Chinese journals over all papers, local
matching funds over central funds.

Items are distinct by identity (:data:`geoverify.io.items.IDENTITY_RULE`): a paper
listed twice is one paper, on either side of the ratio.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError
from geoverify.io.items import IDENTITY_RULE, duplicates, item_number, proven_items
from geoverify.model import Measurement

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = ["measure_share"]


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
        weight = item_number(p.item, amount) if amount else 1.0
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
    repeats = duplicates(items)
    message = f"{what}: {top:g} / {bottom:g}"
    if repeats:
        message += (
            f"; {len(repeats)} duplicates not counted (items are distinct by DOI, URL, "
            "proof-file checksum and normalised title)"
        )
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
            "duplicates": repeats,
            "rule": IDENTITY_RULE,
        },
        message=message,
    )
