"""Counted evidence: listed items with their proof (:mod:`geoverify.io.items`).

A counted indicator ("≥ 30 fire events", "≥ 2 workshops") is measured from the
items a submission lists, each with a title and its proof: a file inside the
submission, an http(s) URL or a DOI.  Only items with a usable proof count;
the others are reported with the reason.  Items are distinct by identity
(:data:`geoverify.io.items.IDENTITY_RULE`): a repeated DOI, URL, proof file or
title is one item, and the repeats are listed in ``details["duplicates"]``.
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

__all__ = ["measure_count"]


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
    repeats = duplicates(items)
    details: dict[str, Any] = {
        "listed": len(items),
        "counted": len(counted),
        "items": [p.summary() for p in items],
        "duplicates": repeats,
        "rule": IDENTITY_RULE,
    }
    rejected = len(items) - len(counted) - len(repeats)
    message = f"{len(counted)} of {len(items)} listed items carry a usable proof"
    if repeats:
        message += (
            f"; {len(repeats)} duplicates not counted (items are distinct by DOI, URL, "
            "proof-file checksum and normalised title)"
        )
    if rejected:
        message += f"; {rejected} not counted (see details)"
    field = params.get("field")
    if field:
        figures = [(item_number(p.item, field), p.title) for p in counted]
        if not figures:
            raise EvidenceError(
                f"no proven item gives {field!r}", source=evidence.where, hint="Add one with proof."
            )
        best, title = max(figures)
        details[field] = best
        return Measurement(best, "count", details=details, message=f"{field} {best:g} ({title})")
    return Measurement(len(counted), "count", details=details, message=message)


# ------------------------------------------------------------ aggregates of counted items
