"""Decisions over many things at once: listed items, per-item and aggregate conditions.

A counted indicator ("≥ 10 models, each > 90%", "≥ 4 sources in ≥ 4 countries") is decided
here from what ``run`` measured: which items carry a proof, each item's verdict under the
``each`` conditions, and the observed value of every ``also`` condition.  The severity order
of verdicts also lives here, so that "the worst verdict decides" means the same everywhere.

Items whose per-item condition is *inconclusive* (the 10th model's accuracy interval
straddles "> 90%") are neither counted nor dropped: when the count meets the rule only with
them, the indicator is ``inconclusive``, not ``fail`` (issue 12: an inconclusive item makes
the aggregate inconclusive).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from geoverify.decide.rules import decide, decide_condition, reason
from geoverify.model import AggregateCondition, Indicator, Measurement, Result, Verdict

__all__ = [
    "SEVERITY",
    "apply_aggregates",
    "decide_aggregate",
    "decide_count",
    "describe_aggregate",
    "undecided_aggregate",
    "worst",
]

#: The order of verdicts when several combine: the worst decides.
SEVERITY: dict[Verdict, int] = {
    Verdict.PASS: 0,
    Verdict.INCONCLUSIVE: 1,
    Verdict.MISSING: 2,
    Verdict.FAIL: 3,
    Verdict.ERROR: 4,
}


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The most severe of ``verdicts`` (:data:`SEVERITY`); ``pass`` for none."""
    return max(verdicts, key=SEVERITY.__getitem__, default=Verdict.PASS)


def describe_aggregate(condition: AggregateCondition) -> str:
    """``"distinct country in asia_oceania ∩ geo_members"``-like text for reports."""
    regions = condition.regions
    region = f" in {' ∩ '.join(regions)}" if regions else ""
    if condition.measure == "categories":
        return f"values of {condition.field!r}"
    if condition.measure == "subset":
        what = "counted items" if condition.field == "identity" else f"{condition.field} values"
        return f"{what} not among those of {condition.of}"
    if condition.measure == "years_covered":
        return f"project years without an item ({condition.field})"
    return f"{condition.measure} {condition.field}{region}"


def undecided_aggregate(condition: AggregateCondition, why: str) -> tuple[Verdict, str, Any]:
    """An ``also`` condition that cannot be measured for a stated reason: ``inconclusive``.

    Used when a subset's other indicator is missing or in error, or when the
    project states no start and end for ``years_covered``.
    """
    return Verdict.INCONCLUSIVE, f"{describe_aggregate(condition)}: undecided, {why}", None


def decide_aggregate(
    condition: AggregateCondition, observed: Any
) -> tuple[Verdict, str, Any]:
    """Verdict of one ``also`` condition on its observed value.

    ``observed``: the sum (``measure = "sum"``), the list of values present
    (``"categories"``), the list of distinct values (``"distinct"``), or the
    list of what is wrong: counted values outside the other indicator's
    (``"subset"``), project years without an item (``"years_covered"``).
    """
    if condition.measure == "sum":
        measurement = Measurement(observed, condition.unit)
    elif condition.measure == "categories":
        measurement = Measurement(observed, "count")
    else:
        measurement = Measurement(len(observed), "count")
    verdict, sentence, _, _ = decide_condition(condition, measurement)
    if condition.measure in ("subset", "years_covered"):
        shown = ", ".join(map(str, observed)) if observed else "none"
        sentence = f"{shown} ({sentence})"
    return verdict, f"{describe_aggregate(condition)}: {sentence}", observed


def decide_count(
    indicator: Indicator,
    measurement: Measurement,
    *,
    counted: int,
    uncertain: int,
    aggregates: Sequence[tuple[Verdict, str, Any]],
    aggregates_with_uncertain: Sequence[tuple[Verdict, str, Any]] | None = None,
) -> Result:
    """The result of a counted indicator with ``each`` and ``also`` conditions.

    Every condition is decided twice: on the items that count, and on those plus
    the items whose per-item verdict is inconclusive.  A condition met on the
    counted items is met; one met only with the inconclusive items is
    ``inconclusive`` (they may or may not count); one missed either way decides
    as measured.  The worst of the count's verdict and the conditions' verdicts
    (:data:`SEVERITY`) is the indicator's: when the rule and all conditions are
    met only with the inconclusive items, the verdict is ``inconclusive``, never
    ``fail``.

    Parameters
    ----------
    measurement : Measurement
        ``value`` = ``counted``: the items with a proof that pass every ``each``
        condition (its details list every item and why it counts or not).
    counted, uncertain : int
        Items that count, and items whose per-item verdict is inconclusive.
    aggregates : sequence
        ``(verdict, sentence, observed)`` of every ``also`` condition on the counted
        items (:func:`decide_aggregate`).
    aggregates_with_uncertain : sequence, optional
        The same conditions on the counted and the inconclusive items (in the same
        order); ``None`` when no item is inconclusive.
    """
    result = decide(indicator, measurement)
    if result.verdict is Verdict.FAIL and uncertain:
        with_them = decide(indicator, Measurement(counted + uncertain, measurement.unit))
        if with_them.verdict is Verdict.PASS:
            text = (
                f"{counted} items count and {uncertain} more are inconclusive: the rule "
                f"{indicator.rule()} is met only if they count"
            )
            result.verdict = Verdict.INCONCLUSIVE
            result.message = f"{text}. {result.message}"
            result.details["reason"] = reason("inconclusive", text)
    return apply_aggregates(
        result,
        aggregates,
        uncertain=uncertain,
        aggregates_with_uncertain=aggregates_with_uncertain,
    )


def apply_aggregates(
    result: Result,
    aggregates: Sequence[tuple[Verdict, str, Any]],
    *,
    uncertain: int = 0,
    aggregates_with_uncertain: Sequence[tuple[Verdict, str, Any]] | None = None,
) -> Result:
    """Combine the verdicts of the ``also`` conditions with ``result``'s (the worst decides).

    Each condition is listed in ``details["also"]``; a failed one is named in the
    message and the reason, an inconclusive one ("undecided") too.  See
    :func:`decide_count` for ``uncertain`` and ``aggregates_with_uncertain``.
    """
    if not aggregates:
        return result
    if aggregates_with_uncertain is not None and len(aggregates_with_uncertain) != len(aggregates):
        raise ValueError("aggregates_with_uncertain must list the same conditions as aggregates")
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    open_: list[str] = []
    verdicts: list[Verdict] = []
    for k, (verdict, text, observed) in enumerate(aggregates):
        row: dict[str, Any] = {"condition": text, "observed": observed, "verdict": str(verdict)}
        effective = verdict
        only_with = ""
        if verdict is not Verdict.PASS and uncertain and aggregates_with_uncertain is not None:
            v_with, text_with, observed_with = aggregates_with_uncertain[k]
            row["with_inconclusive_items"] = {
                "condition": text_with,
                "observed": observed_with,
                "verdict": str(v_with),
            }
            if v_with is Verdict.PASS:
                effective = Verdict.INCONCLUSIVE
                only_with = f" — met only if the {uncertain} inconclusive item(s) count"
        if effective is Verdict.INCONCLUSIVE:
            open_.append(text + only_with)
        elif effective is not Verdict.PASS:
            failed.append(text)
        row["verdict"] = str(effective)
        rows.append(row)
        verdicts.append(effective)
    result.details["also"] = rows
    first = result.details.get("reason", {}).get("text", "")
    if failed:
        result.message += "; but " + "; ".join(failed)
        result.details["reason"] = reason(
            "condition_failed", f"{first}; but {'; '.join(failed)}".lstrip("; ")
        )
    if open_:
        result.message += "; undecided: " + "; ".join(open_)
        if not failed and result.verdict is not Verdict.FAIL:
            result.details["reason"] = reason(
                "inconclusive", f"{first}; undecided: {'; '.join(open_)}".lstrip("; ")
            )
    result.verdict = worst([result.verdict, *verdicts])
    return result
