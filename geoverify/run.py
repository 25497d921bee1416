"""Evaluate a submission: every indicator of its directions, one verdict each.

For each indicator of the claimed directions (plus the common ones) this
module finds the evidence, runs the check that measures it, and has
:mod:`geoverify.decide` hold the measurement against the threshold.  A broken
piece of evidence makes *that* indicator ``error`` with a specific message; it
never stops the run.  Counted indicators get their per-item (``each``) and
aggregate (``also``) conditions here, since they combine several checks.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from geoverify.checks import Context, get_check, get_spec
from geoverify.decide import decide, decide_condition
from geoverify.errors import CheckUnavailableError, GeoverifyError
from geoverify.io.items import categories, distinct_values, field_sum, proven_items
from geoverify.io.sources import record
from geoverify.io.stac import prepare_stac
from geoverify.model import EvidenceRecord, Measurement, Result, Verdict
from geoverify.model.catalogue import AggregateCondition, Catalogue, Indicator, ItemCondition
from geoverify.model.evidence import Evidence, Submission

__all__ = ["EvidencePreparer", "evaluate", "verify"]

log = logging.getLogger(__name__)

#: A hook that rewrites evidence before a check runs (e.g. STAC discovery).
EvidencePreparer = Callable[[Evidence], Evidence]

_SEVERITY = {
    Verdict.ERROR: 4,
    Verdict.FAIL: 3,
    Verdict.MISSING: 2,
    Verdict.INCONCLUSIVE: 1,
    Verdict.PASS: 0,
}


class _Hasher:
    """Checksums of evidence files, each file hashed once per run."""

    def __init__(self) -> None:
        self.cache: dict[str, EvidenceRecord] = {}

    def records(self, evidence: Evidence) -> list[EvidenceRecord]:
        out = []
        seen: set[str] = set()
        for shown, resolved in evidence.files():
            if resolved in seen:
                continue
            seen.add(resolved)
            if resolved not in self.cache:
                self.cache[resolved] = record(resolved, display=shown)
            out.append(self.cache[resolved])
        return out


def verify(
    submission: Submission,
    catalogue: Catalogue,
    *,
    context: Context | None = None,
    indicators: Sequence[str] | None = None,
    prepare: EvidencePreparer | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Evaluate every indicator of ``submission``'s directions (and the common ones).

    Parameters
    ----------
    submission, catalogue
        The validated manifest and catalogue.
    context : Context, optional
        How checks run (threads, dask scheduler, progress).
    indicators : sequence of str, optional
        Restrict to these ids.
    prepare : callable, optional
        Applied to each piece of evidence before its check (e.g. STAC resolution).
    on_result : callable, optional
        Called with each result as soon as it is known (progress display).

    Returns
    -------
    list of Result
        In catalogue order; never raises for bad evidence.
    """
    context = context or Context()
    hasher = _Hasher()
    ids = submission.indicators(catalogue)
    if indicators is not None:
        wanted = set(indicators)
        ids = [i for i in ids if i in wanted]
    results = []
    for ident in ids:
        indicator = catalogue[ident]
        evidence = submission.evidence.get(ident) or _implied_evidence(indicator, submission)
        result = evaluate(indicator, evidence, context=context, hasher=hasher, prepare=prepare)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def _implied_evidence(indicator: Indicator, submission: Submission) -> Evidence | None:
    """Evidence the manifest gives implicitly: the project's dates for its duration."""
    project = submission.project
    if (
        indicator.check == "period"
        and indicator.params.get("measure") == "duration"
        and "start" in project
        and "end" in project
    ):
        return Evidence(
            indicator.id,
            submission.base,
            {"start": project["start"], "end": project["end"]},
            f"{submission.path} [project] start/end",
        )
    return None


def evaluate(
    indicator: Indicator,
    evidence: Evidence | None,
    *,
    context: Context | None = None,
    hasher: _Hasher | None = None,
    prepare: EvidencePreparer | None = None,
) -> Result:
    """The result of one indicator on its evidence (``missing`` when there is none)."""
    context = context or Context()
    hasher = hasher or _Hasher()
    base = Result(
        indicator=indicator.id,
        verdict=Verdict.MISSING,
        unit=indicator.unit,
        op=indicator.op,
        threshold=indicator.threshold,
        details={"rule": indicator.rule()},
    )
    if evidence is None:
        return replace(base, message="no evidence given")
    records: list[EvidenceRecord] = []
    try:
        records = hasher.records(evidence)
        if "stac" in evidence.options:
            evidence = prepare_stac(evidence, **get_spec(indicator.check).stac_options())
            records = hasher.records(evidence)
        if prepare is not None:
            evidence = prepare(evidence)
        if indicator.check == "count":
            result = _evaluate_count(indicator, evidence, context)
        elif indicator.check != "share" and evidence.items and not _has_own_data(evidence):
            result = _evaluate_each_item(indicator, evidence, context)
        else:
            measurement = get_check(indicator.check)(evidence, indicator.params, context)
            result = decide(indicator, measurement)
    except CheckUnavailableError as exc:
        return replace(base, message=str(exc), evidence=records)
    except GeoverifyError as exc:
        return replace(
            base, verdict=Verdict.ERROR, message=shown(exc, evidence.base), evidence=records
        )
    except Exception as exc:  # a bug must not hide the other indicators
        log.debug("internal error while evaluating %s", indicator.id, exc_info=True)
        return replace(
            base,
            verdict=Verdict.ERROR,
            message=f"internal error ({type(exc).__name__}: {exc}); please report it",
            evidence=records,
        )
    result.evidence = records
    return result


def shown(exc: GeoverifyError, base: Path) -> str:
    """The error's text with its file shown relative to the submission folder.

    Reports then read ``data/map.tif: file not found`` wherever the submission
    lies, and recorded metrics do not depend on the machine's folders.
    """
    source = exc.source
    if source:
        with contextlib.suppress(ValueError):
            source = Path(source).relative_to(base).as_posix()
    return str(GeoverifyError(exc.problem, source=source, hint=exc.hint))


def _has_own_data(evidence: Evidence) -> bool:
    return any(k not in ("note", "items", "stac", "stac_resolved") for k in evidence.options)


# ----------------------------------------------------------------- non-count, per item


def _evaluate_each_item(indicator: Indicator, evidence: Evidence, context: Context) -> Result:
    """Every listed item must meet the indicator (e.g. "each product better than 500 m")."""
    check = get_check(indicator.check)
    rows = []
    worst: Result | None = None
    for item in evidence.items:
        title = str(item.get("title"))
        try:
            result = decide(indicator, check(item, indicator.params, context))
        except CheckUnavailableError:
            raise
        except GeoverifyError as exc:
            result = Result(indicator.id, Verdict.ERROR, message=shown(exc, item.base))
        rows.append(
            {
                "title": title,
                "verdict": str(result.verdict),
                "value": result.value,
                "ci": result.ci,
                "message": result.message,
            }
        )
        if worst is None or _SEVERITY[result.verdict] > _SEVERITY[worst.verdict]:
            worst = replace(result, message=f"{title}: {result.message}")
    assert worst is not None  # items is not empty here
    counts = {v: sum(r["verdict"] == v for r in rows) for v in ("pass", "fail", "error")}
    summary = f"{counts['pass']} of {len(rows)} items pass; every item must pass. Deciding item: "
    return replace(
        worst,
        message=summary + worst.message,
        details={**worst.details, "rule": indicator.rule() + " (each)", "items": rows},
    )


# ---------------------------------------------------------------------------- counts


def _evaluate_count(indicator: Indicator, evidence: Evidence, context: Context) -> Result:
    measurement = get_check("count")(evidence, indicator.params, context)
    if indicator.params.get("field") or not (indicator.each or indicator.also):
        return decide(indicator, measurement)

    everything = proven_items(evidence)
    rows = [p.summary() for p in everything]
    passing = []
    for p, row in zip(everything, rows, strict=True):
        if not p.counted:
            continue
        outcomes = [_item_condition(c, p.item, context) for c in indicator.each]
        failed = [text for verdict, text in outcomes if verdict is not Verdict.PASS]
        row["conditions"] = [text for _, text in outcomes]
        if failed:
            row["counted"] = False
            row["reason"] = "; ".join(failed)
        else:
            passing.append(p.item)
    counted = Measurement(
        len(passing),
        "count",
        details={**measurement.details, "counted": len(passing), "items": rows},
        message=f"{len(passing)} of {len(evidence.items)} listed items count"
        + (
            " (each must carry a proof and pass every per-item condition)" if indicator.each else ""
        ),
    )
    result = decide(indicator, counted)
    aggregates = []
    verdict = result.verdict
    for condition in indicator.also:
        agg_verdict, text, observed = _aggregate_condition(condition, passing)
        aggregates.append({"condition": text, "observed": observed, "verdict": str(agg_verdict)})
        if _SEVERITY[agg_verdict] > _SEVERITY[verdict]:
            verdict = agg_verdict
    if aggregates:
        result.details["also"] = aggregates
        failed = [a["condition"] for a in aggregates if a["verdict"] != "pass"]
        if failed:
            result.message += "; but " + "; ".join(failed)
        result.verdict = verdict
    return result


def _item_condition(
    condition: ItemCondition, item: Evidence, context: Context
) -> tuple[Verdict, str]:
    label = condition.check or condition.field
    try:
        if condition.field:
            value = item.get(condition.field)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return Verdict.ERROR, f"{condition.field}: no numeric value given"
            measurement = Measurement(value, condition.unit)
        else:
            params = {**condition.params}
            measurement = get_check(str(condition.check))(item, params, context)
        verdict, sentence, _, _ = decide_condition(condition, measurement)
    except CheckUnavailableError as exc:
        return Verdict.MISSING, f"{label}: {exc}"
    except GeoverifyError as exc:
        return Verdict.ERROR, f"{label}: {shown(exc, item.base)}"
    return verdict, f"{label}: {sentence}"


def _aggregate_condition(
    condition: AggregateCondition, items: Iterable[Evidence]
) -> tuple[Verdict, str, Any]:
    items = list(items)
    described = _describe(condition)
    try:
        if condition.measure == "sum":
            observed: Any = field_sum(items, condition.field)
            measurement = Measurement(observed, condition.unit)
        elif condition.measure == "categories":
            observed = categories(items, condition.field)
            measurement = Measurement(observed, "count")
        else:
            observed = distinct_values(items, condition.field, condition.region)
            measurement = Measurement(len(observed), "count")
        verdict, sentence, _, _ = decide_condition(condition, measurement)
    except GeoverifyError as exc:
        text = shown(exc, items[0].base) if items else str(exc)
        return Verdict.ERROR, f"{described}: {text}", None
    return verdict, f"{described}: {sentence}", observed


def _describe(condition: AggregateCondition) -> str:
    region = f" in {condition.region}" if condition.region not in (None, "any") else ""
    if condition.measure == "categories":
        return f"values of {condition.field!r}"
    return f"{condition.measure} {condition.field}{region}"


def exit_code(results: Iterable[Result]) -> int:
    """Exit status of ``geoverify verify`` (contract).

    0 all pass · 1 some fail or error · 3 none fail but some inconclusive or missing.
    """
    verdicts = {r.verdict for r in results}
    if verdicts & {Verdict.FAIL, Verdict.ERROR}:
        return 1
    if verdicts & {Verdict.INCONCLUSIVE, Verdict.MISSING}:
        return 3
    return 0
