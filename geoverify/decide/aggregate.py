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
    "decide_aggregate",
    "decide_count",
    "describe_aggregate",
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
    """``"distinct country in asia_oceania"``-like text for reports."""
    region = f" in {condition.region}" if condition.region not in (None, "any") else ""
    if condition.measure == "categories":
        return f"values of {condition.field!r}"
    return f"{condition.measure} {condition.field}{region}"


def decide_aggregate(
    condition: AggregateCondition, observed: Any
) -> tuple[Verdict, str, Any]:
    """Verdict of one ``also`` condition on its observed value.

    ``observed``: the sum (``measure = "sum"``), the list of values present
    (``"categories"``) or the list of distinct values (``"distinct"``).
    """
    if condition.measure == "sum":
        measurement = Measurement(observed, condition.unit)
    elif condition.measure == "categories":
        measurement = Measurement(observed, "count")
    else:
        measurement = Measurement(len(observed), "count")
    verdict, sentence, _, _ = decide_condition(condition, measurement)
    return verdict, f"{describe_aggregate(condition)}: {sentence}", observed


def decide_count(
    indicator: Indicator,
    measurement: Measurement,
    *,
    counted: int,
    uncertain: int,
    aggregates: Sequence[tuple[Verdict, str, Any]],
) -> Result:
    """The result of a counted indicator with ``each`` and ``also`` conditions.

    Parameters
    ----------
    measurement : Measurement
        ``value`` = ``counted``: the items with a proof that pass every ``each``
        condition (its details list every item and why it counts or not).
    counted, uncertain : int
        Items that count, and items whose per-item verdict is inconclusive.
    aggregates : sequence
        ``(verdict, sentence, observed)`` of every ``also`` condition
        (:func:`decide_aggregate`).
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
    if not aggregates:
        return result
    result.details["also"] = [
        {"condition": text, "observed": observed, "verdict": str(verdict)}
        for verdict, text, observed in aggregates
    ]
    failed = [text for verdict, text, _ in aggregates if verdict is not Verdict.PASS]
    if failed:
        result.message += "; but " + "; ".join(failed)
        first = result.details.get("reason", {}).get("text", "")
        result.details["reason"] = reason(
            "condition_failed", f"{first}; but {'; '.join(failed)}".lstrip("; ")
        )
    result.verdict = worst([result.verdict, *(v for v, _, _ in aggregates)])
    return result
