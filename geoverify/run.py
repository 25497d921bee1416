"""Evaluate a submission: every indicator of its directions, one verdict each.

For each indicator of the claimed directions (plus the common ones) this
module finds the evidence, runs the check that measures it, and has
:mod:`geoverify.decide` hold the measurement against the threshold.  A broken
piece of evidence makes *that* indicator ``error`` with a specific message; it
never stops the run.  Counted indicators get their per-item (``each``) and
aggregate (``also``) conditions here, since they combine several checks.

Every result also carries what a defence of it needs: the reading of the call
under which it was reached (``details["reading"]``) and the sha256 of every
bundled data file it used (``details["bundled_data"]``, see
:func:`bundled_data_used`).  An indicator the catalogue says is measured from
data (``params.from_data = true``) is never passed on declarations alone
(:data:`DECLARED_RULE`).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from geoverify.checks import Context, get_check, get_spec
from geoverify.decide import (
    SEVERITY,
    decide,
    decide_aggregate,
    decide_condition,
    decide_count,
    describe_aggregate,
    reason,
    worst,
)
from geoverify.decide.aggregate import apply_aggregates, undecided_aggregate
from geoverify.errors import CheckUnavailableError, EvidenceError, GeoverifyError
from geoverify.io.checksums import record, sha256_file
from geoverify.io.confine import confined, named_hosts
from geoverify.io.items import (
    categories,
    distinct_values,
    duplicates,
    field_sum,
    identities,
    proven_items,
    same_item,
)
from geoverify.io.shared import SharedScans
from geoverify.io.stac import prepare_stac
from geoverify.model import EvidenceRecord, Measurement, Result, Verdict
from geoverify.model.catalogue import AggregateCondition, Catalogue, Indicator, ItemCondition
from geoverify.model.evidence import Evidence, Submission

__all__ = [
    "DECLARED_RULE",
    "EvidencePreparer",
    "RunFacts",
    "bundled_data_used",
    "declared_only",
    "evaluate",
    "exit_code",
    "manifest_hosts",
    "verify",
]

log = logging.getLogger(__name__)

#: A hook that rewrites evidence before a check runs (e.g. STAC discovery).
EvidencePreparer = Callable[[Evidence], Evidence]

#: The evidence keys that hold data, per check kind, for indicators measured from data
#: (``params.from_data``); other kinds: the kind's file keys.
DATA_KEYS: dict[str, tuple[str, ...]] = {
    "countries": ("raster", "vector", "sites"),
    "period": ("file", "files", "rasters"),
}

#: Evidence keys that only declare values, per check kind: ignored beside data for an
#: indicator measured from data (a declared list must not top up a measured one).
DECLARED_KEYS: dict[str, tuple[str, ...]] = {"countries": ("countries",)}

#: The rule that keeps declarations from passing an indicator measured from data.
DECLARED_RULE = (
    "an indicator the catalogue marks as measured from data (params.from_data) is never "
    "passed on declared values: evidence without a data file ({keys}) or STAC item gives "
    "'inconclusive' (declared, not measured) when the declared values meet the rule and "
    "'fail' when they miss it; beside data, declared values ({declared}) are ignored"
)


@dataclass(frozen=True)
class RunFacts:
    """What the decision of one indicator may read from the rest of its run.

    Attributes
    ----------
    earlier : mapping of str to Result
        The results of the indicators evaluated before this one (catalogue
        order): ``measure = "subset"`` conditions read the other indicator's
        counted values there (``details["counted_values"]``, or the measured
        countries ``details["iso3"]`` of a countries check).
    project : (date, date), optional
        The submission's ``[project]`` start and end, for ``years_covered``.
    record : frozenset of str
        The fields (``"identity"``, ``"country"`` …) whose counted values this
        indicator's result must keep in ``details["counted_values"]``, because a
        later subset condition reads them.
    """

    earlier: Mapping[str, Result] = field(default_factory=dict)
    project: tuple[dt.date, dt.date] | None = None
    record: frozenset[str] = frozenset()


def subset_fields(catalogue: Catalogue) -> dict[str, frozenset[str]]:
    """For each indicator that a ``subset`` condition names (``of``), the fields it reads."""
    wanted: dict[str, set[str]] = {}
    for indicator in catalogue:
        for c in indicator.also:
            if c.measure == "subset" and c.of:
                wanted.setdefault(c.of, set()).add(c.field)
    return {k: frozenset(v) for k, v in wanted.items()}


def project_span(submission: Submission) -> tuple[dt.date, dt.date] | None:
    """The ``[project]`` start and end dates, or ``None`` when either is not given."""
    start, end = submission.project.get("start"), submission.project.get("end")
    if isinstance(start, dt.date) and isinstance(end, dt.date):
        return start, end
    return None


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
    if context.shared is None:
        context = replace(context, shared=SharedScans())
    assert context.shared is not None
    context.shared.begin_run()
    hasher = _Hasher()
    ids = submission.indicators(catalogue)
    if indicators is not None:
        wanted = set(indicators)
        ids = [i for i in ids if i in wanted]
    results = []
    hosts = manifest_hosts(submission)
    if prepare is None:
        plan_scans([catalogue[i] for i in ids], submission, context, hosts)
    read_later = subset_fields(catalogue)
    span = project_span(submission)
    earlier: dict[str, Result] = {}
    for ident in ids:
        indicator = catalogue[ident]
        evidence = submission.evidence.get(ident) or _implied_evidence(indicator, submission)
        facts = RunFacts(
            earlier=dict(earlier), project=span, record=read_later.get(ident, frozenset())
        )
        result = evaluate(
            indicator,
            evidence,
            context=context,
            hasher=hasher,
            prepare=prepare,
            hosts=hosts,
            facts=facts,
        )
        context.shared.finish(ident)
        earlier[ident] = result
        results.append(result)
        if on_result:
            on_result(result)
    return results


def plan_scans(
    indicators: Sequence[Indicator],
    submission: Submission,
    context: Context,
    hosts: frozenset[str] = frozenset(),
) -> None:
    """Plan the raster scans of ``indicators`` in ``context.shared`` (one pass per raster).

    Each check kind with a ``scans`` hook (:class:`geoverify.checks.spec.CheckSpec`)
    says which scans it will make; :mod:`geoverify.io.shared` then reads a raster
    that several of them scan once.  Planning reads headers only, confined like
    the evaluation; a problem here plans nothing for that indicator, whose own
    evaluation then reports it.
    """
    shared = context.shared
    if shared is None:
        return
    for indicator in indicators:
        evidence = submission.evidence.get(indicator.id)
        if (
            evidence is None
            or "stac" in evidence.options
            or indicator.check == "count"
            or indicator.params.get("from_data")
            or (evidence.items and not _has_own_data(evidence))
        ):
            continue
        try:
            spec = get_spec(indicator.check)
            if spec.scans is None:
                continue
            allowed = named_hosts([dict(evidence.options)]) | hosts
            with confined(evidence.base, allowed, context.timeout):
                for request in spec.plan_scans(evidence, indicator.params, context):
                    shared.plan(request)
        except Exception:  # the indicator's own evaluation reports what is wrong
            log.debug("no scan planned for %s", indicator.id, exc_info=True)


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


def manifest_hosts(submission: Submission) -> frozenset[str]:
    """The ``host:port`` of every http(s) URL the manifest names (evidence and project).

    Network reads of a run go only there (:mod:`geoverify.io.confine`).
    """
    values: list[Any] = [dict(submission.project)]
    for evidence in submission.evidence.values():
        values.append(dict(evidence.options))
        values.extend(dict(item.options) for item in evidence.items)
    return named_hosts(values)


def evaluate(
    indicator: Indicator,
    evidence: Evidence | None,
    *,
    context: Context | None = None,
    hasher: _Hasher | None = None,
    prepare: EvidencePreparer | None = None,
    hosts: frozenset[str] | None = None,
    facts: RunFacts | None = None,
) -> Result:
    """The result of one indicator on its evidence (``missing`` when there is none).

    See :func:`_evaluate_in_budget`; every result leaves with a structured
    ``details["reason"]`` (:func:`geoverify.decide.reason`), which reports read.
    ``facts`` (:class:`RunFacts`) carries what the rest of the run knows: the
    earlier results that ``subset`` conditions read and the project's dates for
    ``years_covered``; without it, such conditions are ``inconclusive``.
    """
    result = _evaluate_in_budget(
        indicator,
        evidence,
        context=context,
        hasher=hasher,
        prepare=prepare,
        hosts=hosts,
        facts=facts,
    )
    if "reason" not in result.details:
        if result.verdict is Verdict.ERROR:
            code = "timed_out" if "timeout_s" in result.details else "error"
        elif result.verdict is Verdict.MISSING:
            code = "missing"
        elif result.message.startswith("declared, not measured"):
            code = "declared_only"
        elif result.verdict is Verdict.INCONCLUSIVE:
            code = "inconclusive"
        else:
            code = "items"
        result.details["reason"] = reason(code, result.message)
    return result


def _evaluate_in_budget(
    indicator: Indicator,
    evidence: Evidence | None,
    *,
    context: Context | None = None,
    hasher: _Hasher | None = None,
    prepare: EvidencePreparer | None = None,
    hosts: frozenset[str] | None = None,
    facts: RunFacts | None = None,
) -> Result:
    """One indicator, in its own thread, confined and within its time budget.

    The indicator is evaluated in a worker thread, confined
    (:func:`geoverify.io.confine.confined`) to the submission folder
    (``evidence.base``) and to ``hosts`` (default: the hosts ``evidence`` names),
    with the time budget ``context.timeout``: reads inside honour the deadline,
    and an indicator still running when it has passed is ``error: timed out
    after N s`` while the run goes on (the abandoned thread ends at its next
    deadline check).
    """
    context = context or Context()
    hasher = hasher or _Hasher()
    facts = facts or RunFacts()
    if evidence is None:
        return _evaluate(
            indicator, evidence, context=context, hasher=hasher, prepare=prepare, facts=facts
        )
    allowed = named_hosts([dict(evidence.options), *(dict(i.options) for i in evidence.items)])
    allowed = allowed | (hosts or frozenset())
    timeout = context.timeout

    def work() -> Result:
        with confined(evidence.base, allowed, timeout):
            return _evaluate(
                indicator, evidence, context=context, hasher=hasher, prepare=prepare, facts=facts
            )

    if timeout is None:
        return work()
    box: list[Result] = []
    runner = contextvars.copy_context()
    thread = threading.Thread(
        target=lambda: box.append(runner.run(work)),
        name=f"geoverify {indicator.id}",
        daemon=True,  # an abandoned read must not keep the process alive
    )
    thread.start()
    thread.join(timeout + _GRACE)
    if box:
        return box[0]
    return Result(
        indicator=indicator.id,
        verdict=Verdict.ERROR,
        unit=indicator.unit,
        op=indicator.op,
        threshold=indicator.threshold,
        message=f"timed out after {timeout:g} s (the time budget of one indicator; "
        "raise it with --timeout SECONDS)",
        details={"rule": indicator.rule(), "reading": indicator.reading, "timeout_s": timeout},
    )


#: Seconds a worker is given past its deadline to report its own timeout.
_GRACE = 1.0


def _evaluate(
    indicator: Indicator,
    evidence: Evidence | None,
    *,
    context: Context,
    hasher: _Hasher,
    prepare: EvidencePreparer | None,
    facts: RunFacts,
) -> Result:
    base = Result(
        indicator=indicator.id,
        verdict=Verdict.MISSING,
        unit=indicator.unit,
        op=indicator.op,
        threshold=indicator.threshold,
        details={"rule": indicator.rule(), "reading": indicator.reading},
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
            result = _evaluate_count(indicator, evidence, context, facts)
        elif indicator.check != "share" and evidence.items and not _has_own_data(evidence):
            result = _evaluate_each_item(indicator, evidence, context)
        elif indicator.params.get("from_data"):
            result = _evaluate_from_data(indicator, evidence, context)
        else:
            measurement = get_check(indicator.check)(evidence, indicator.params, context)
            result = decide(indicator, measurement)
        if indicator.check != "count" and indicator.also:
            result = _measured_subsets(indicator, result, facts)
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
    result.details["reading"] = indicator.reading
    used = bundled_data_used(indicator, evidence, result)
    if used:
        result.details["bundled_data"] = used
    return result


def declared_only(kind: str, evidence: Evidence) -> bool:
    """True when ``evidence`` gives no data file of check ``kind`` and no STAC item.

    The data keys are :data:`DATA_KEYS` for the kind, else its file keys
    (:attr:`~geoverify.checks.spec.CheckSpec.path_keys`).
    """
    keys = DATA_KEYS.get(kind) or tuple(get_spec(kind).path_keys)
    if any(evidence.options.get(k) for k in ("stac", "stac_resolved")):
        return False
    return not any(evidence.options.get(k) for k in keys)


def _declared_rule(kind: str) -> str:
    keys = DATA_KEYS.get(kind) or tuple(sorted(get_spec(kind).path_keys))
    declared = DECLARED_KEYS.get(kind, ())
    return DECLARED_RULE.format(keys=", ".join(keys), declared=", ".join(declared) or "none")


def _evaluate_from_data(indicator: Indicator, evidence: Evidence, context: Context) -> Result:
    """An indicator measured from data: declarations never pass it (:data:`DECLARED_RULE`)."""
    rule = _declared_rule(indicator.check)
    only_declared = declared_only(indicator.check, evidence)
    ignored = {}
    if not only_declared:
        ignored = {
            k: evidence.options[k]
            for k in DECLARED_KEYS.get(indicator.check, ())
            if k in evidence.options
        }
        if ignored:
            evidence = replace(
                evidence, options={k: v for k, v in evidence.options.items() if k not in ignored}
            )
    measurement = get_check(indicator.check)(evidence, indicator.params, context)
    result = decide(indicator, measurement)
    result.details["declared_rule"] = rule
    if ignored:
        result.details["declared_ignored"] = ignored
        result.message += (
            f"; declared {', '.join(ignored)} ignored beside the data (measured from data)"
        )
    if not only_declared:
        return result
    result.details["declared_only"] = True
    keys = ", ".join(DATA_KEYS.get(indicator.check) or sorted(get_spec(indicator.check).path_keys))
    if result.verdict is Verdict.PASS:
        return replace(
            result,
            verdict=Verdict.INCONCLUSIVE,
            message=f"declared, not measured: the evidence declares values but gives no data "
            f"file ({keys}) or STAC item, and this indicator is measured from data, so a "
            f"declaration cannot pass it; the declared values would meet {indicator.rule()}. "
            + result.message,
        )
    return replace(
        result,
        message=f"declared, not measured (no data file: {keys}); the declared values alone "
        "already miss the rule. " + result.message,
    )


# -------------------------------------------------------------- bundled data files

#: The bundled data files, by what they hold.
_DATA_DIR = Path(__file__).parent / "data"
_COUNTRY_TABLE = "countries.json"
_BOUNDARIES = "country_boundaries.geojson"
_REGION_LISTS = {
    "geo_members": "geo_members.txt",
    "belt_and_road": "belt_and_road.txt",
    "developing": "developing.txt",
}


@functools.cache
def _bundled_record(name: str) -> dict[str, Any]:
    path = _DATA_DIR / name
    return {
        "path": f"geoverify/data/{name}",
        "sha256": sha256_file(path) if path.is_file() else None,
    }


def bundled_data_used(
    indicator: Indicator, evidence: Evidence | None, result: Result
) -> list[dict[str, Any]]:
    """The bundled data files (``geoverify/data/``) behind ``result``, with their sha256.

    Rules (they follow what the checks read):

    - the country table ``countries.json`` (ISO codes, names, M49 regions) for a
      ``countries`` check and for any ``also`` condition on a country field;
    - the boundaries ``country_boundaries.geojson`` for a ``countries`` check
      whose evidence names no ``boundaries`` file, and for listed items whose
      country is found from their ``lon``/``lat``;
    - the lists ``geo_members.txt``, ``belt_and_road.txt`` and ``developing.txt``
      when the region of the check or of an ``also`` condition is (or, for several
      regions, includes) one of them.
    """
    names: list[str] = []
    regions: list[str | None] = []
    if indicator.check == "countries":
        names.append(_COUNTRY_TABLE)
        if evidence is None or "boundaries" not in evidence.options:
            names.append(_BOUNDARIES)
        regions.append(indicator.params.get("region"))
    country_fields = [c for c in indicator.also if "country" in c.field or c.regions]
    if country_fields and evidence is not None:
        names.append(_COUNTRY_TABLE)
        regions += [r for c in country_fields for r in c.regions]
        if any(
            isinstance(item.get("lon"), int | float) and isinstance(item.get("lat"), int | float)
            for item in evidence.items
        ):
            names.append(_BOUNDARIES)
    names += [_REGION_LISTS[r] for r in regions if r in _REGION_LISTS]
    if evidence is None or result.verdict is Verdict.MISSING:
        return []
    return [_bundled_record(n) for n in dict.fromkeys(names)]


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
    deciding: Result | None = None
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
        if deciding is None or SEVERITY[result.verdict] > SEVERITY[deciding.verdict]:
            deciding = replace(result, message=f"{title}: {result.message}")
    assert deciding is not None  # items is not empty here
    counts = {v: sum(r["verdict"] == v for r in rows) for v in ("pass", "fail", "error")}
    summary = f"{counts['pass']} of {len(rows)} items pass; every item must pass. Deciding item: "
    return replace(
        deciding,
        message=summary + deciding.message,
        details={**deciding.details, "rule": indicator.rule() + " (each)", "items": rows},
    )


# ---------------------------------------------------------------------------- counts


def _evaluate_count(
    indicator: Indicator, evidence: Evidence, context: Context, facts: RunFacts | None = None
) -> Result:
    """Measure the listed items and their conditions; :mod:`geoverify.decide.aggregate` decides."""
    facts = facts or RunFacts()
    measurement = get_check("count")(evidence, indicator.params, context)
    if indicator.params.get("field") or not (indicator.each or indicator.also):
        result = decide(indicator, measurement)
        if facts.record:
            counted_items = [p.item for p in proven_items(evidence) if p.counted]
            result.details["counted_values"] = _counted_values(counted_items, facts.record)
        return result

    everything = proven_items(evidence)
    repeats = duplicates(everything)
    rows = [p.summary() for p in everything]
    passing = []
    undecided = []
    for p, row in zip(everything, rows, strict=True):
        if not p.counted:
            continue
        outcomes = [_item_condition(c, p.item, context) for c in indicator.each]
        row["conditions"] = [text for _, text in outcomes]
        verdict = worst(v for v, _ in outcomes)
        if verdict is Verdict.PASS:
            passing.append(p.item)
            continue
        row["counted"] = False
        row["reason"] = "; ".join(text for v, text in outcomes if v is not Verdict.PASS)
        if verdict is Verdict.INCONCLUSIVE:
            row["inconclusive"] = True
            undecided.append(p.item)
    counted = Measurement(
        len(passing),
        "count",
        details={**measurement.details, "counted": len(passing), "items": rows},
        message=f"{len(passing)} of {len(evidence.items)} listed items count"
        + (" (each must carry a proof and pass every per-item condition)" if indicator.each else "")
        + (
            f"; {len(repeats)} duplicates not counted (items are distinct by DOI, URL, "
            "proof-file checksum and normalised title)"
            if repeats
            else ""
        ),
    )
    # every `also` condition on the counted items, and on those plus the inconclusive ones
    aggregates = [_aggregate_condition(c, passing, facts) for c in indicator.also]
    with_undecided = (
        [_aggregate_condition(c, passing + undecided, facts) for c in indicator.also]
        if undecided
        else None
    )
    result = decide_count(
        indicator,
        counted,
        counted=len(passing),
        uncertain=len(undecided),
        aggregates=aggregates,
        aggregates_with_uncertain=with_undecided,
    )
    if facts.record:
        result.details["counted_values"] = _counted_values(passing, facts.record)
    measures = {c.measure for c in indicator.also}
    if "subset" in measures:
        result.details["subset_rule"] = SUBSET_RULE
    if "years_covered" in measures:
        result.details["years_rule"] = YEARS_RULE
    return result


def _counted_values(items: Sequence[Evidence], fields: Iterable[str]) -> dict[str, Any]:
    """What later subset conditions read of the counted ``items``: per field, the values.

    ``"identity"``: the identity keys of every item (a list per item,
    :func:`geoverify.io.items.identities`); any other field: its distinct values
    (countries as ISO3).  A field that cannot be read is left out (the subset
    condition that needs it is then inconclusive, with the reason).
    """
    out: dict[str, Any] = {}
    for name in sorted(fields):
        if name == "identity":
            out[name] = [identities(item) for item in items]
            continue
        with contextlib.suppress(GeoverifyError):
            out[name] = distinct_values(items, name)
    return out


#: The rule of ``measure = "subset"``, shown with every subset condition.
SUBSET_RULE = (
    "a subset condition reads the other indicator's result in the same run (the run "
    "evaluates indicators in catalogue order): its counted items' identities or values, or "
    "for a countries check the countries it measured; when the other indicator was not "
    "evaluated, is missing or in error, or its countries are declared rather than "
    "measured, the condition is inconclusive with that reason"
)


#: The rule of ``measure = "years_covered"``, shown with every such condition.
YEARS_RULE = (
    "every calendar year from the year of the project's start to the year of its end "
    "([project] start and end; a project of 2026-07-01 to 2029-06-30 has the years 2026, "
    "2027, 2028 and 2029) must have at least one counted item whose year field is that "
    "year; without a project start and end the condition is inconclusive"
)


def _other_values(condition: AggregateCondition, facts: RunFacts) -> tuple[Any, str | None]:
    """The other indicator's values for a subset condition, or ``(None, why not)``."""
    other_id = str(condition.of)
    other = facts.earlier.get(other_id)
    if other is None:
        return None, (
            f"{other_id} was not evaluated in this run (not among the submission's "
            "indicators, or left out with --indicator)"
        )
    if other.verdict in (Verdict.MISSING, Verdict.ERROR):
        return None, f"{other_id} is {other.verdict}: {other.message}"
    if other.details.get("declared_only"):
        return None, f"the countries of {other_id} are declared, not measured"
    recorded = other.details.get("counted_values", {})
    if condition.field in recorded:
        return recorded[condition.field], None
    if "country" in condition.field and isinstance(other.details.get("iso3"), list):
        return other.details["iso3"], None
    return None, f"{other_id} recorded no {condition.field!r} values"


def _subset(
    condition: AggregateCondition, items: Sequence[Evidence], facts: RunFacts
) -> tuple[Verdict, str, Any]:
    """``measure = "subset"``: the counted values (or items) not among the other's."""
    others, why = _other_values(condition, facts)
    if why is not None:
        return undecided_aggregate(condition, why)
    if condition.field == "identity":
        outside: list[str] = [
            str(item.get("title", ""))
            for item in items
            if not any(same_item(identities(item), keys) for keys in others)
        ]
    else:
        values = distinct_values(items, condition.field, condition.region)
        outside = sorted(set(values) - {str(v) for v in others})
    return decide_aggregate(condition, outside)


def _measured_subsets(indicator: Indicator, result: Result, facts: RunFacts) -> Result:
    """The subset conditions of a countries check: its measured countries among the other's."""
    if result.verdict in (Verdict.MISSING, Verdict.ERROR):
        return result
    measured = [str(c) for c in result.details.get("iso3", [])]
    aggregates = []
    for condition in indicator.also:
        others, why = _other_values(condition, facts)
        if why is not None:
            aggregates.append(undecided_aggregate(condition, why))
            continue
        outside = sorted(set(measured) - {str(v) for v in others})
        aggregates.append(decide_aggregate(condition, outside))
    result.details["subset_rule"] = SUBSET_RULE
    return apply_aggregates(result, aggregates)


def _years_covered(
    condition: AggregateCondition, items: Sequence[Evidence], facts: RunFacts
) -> tuple[Verdict, str, Any]:
    """``measure = "years_covered"``: the project's calendar years without an item."""
    if facts.project is None:
        return undecided_aggregate(
            condition,
            "the submission's [project] gives no start and end, so its years are unknown "
            "(add start = YYYY-MM-DD and end = YYYY-MM-DD to [project])",
        )
    start, end = facts.project
    years = set()
    for item in items:
        value = item.get(condition.field)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            continue
        try:
            year = float(value)
        except ValueError:
            year = float("nan")
        if not year.is_integer():
            raise EvidenceError(
                f"item {item.get('title')!r}: {condition.field} = {value!r} is not a calendar year",
                source=item.where,
                hint=f"Write {condition.field} = YYYY (e.g. {start.year}).",
            )
        years.add(int(year))
    missing = [y for y in range(start.year, end.year + 1) if y not in years]
    return decide_aggregate(condition, missing)


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
    condition: AggregateCondition, items: Iterable[Evidence], facts: RunFacts | None = None
) -> tuple[Verdict, str, Any]:
    """Measure one ``also`` condition over the counted items; decide compares."""
    items = list(items)
    facts = facts or RunFacts()
    try:
        if condition.measure == "subset":
            return _subset(condition, items, facts)
        if condition.measure == "years_covered":
            return _years_covered(condition, items, facts)
        if condition.measure == "sum":
            observed: Any = field_sum(items, condition.field)
        elif condition.measure == "categories":
            observed = categories(items, condition.field)
        else:
            observed = distinct_values(items, condition.field, condition.region)
    except GeoverifyError as exc:
        text = shown(exc, items[0].base) if items else str(exc)
        return Verdict.ERROR, f"{describe_aggregate(condition)}: {text}", None
    return decide_aggregate(condition, observed)


def exit_code(results: Iterable[Result], *, partial: bool = False) -> int:
    """Exit status of ``geoverify verify`` (contract).

    0 all pass · 1 some fail or error · 3 none fail but some inconclusive or
    missing, or ``partial``: indicators of the submission were left out of the run
    (``--indicator``), so its passes do not speak for the whole submission.
    """
    verdicts = {r.verdict for r in results}
    if verdicts & {Verdict.FAIL, Verdict.ERROR}:
        return 1
    if partial or verdicts & {Verdict.INCONCLUSIVE, Verdict.MISSING}:
        return 3
    return 0
