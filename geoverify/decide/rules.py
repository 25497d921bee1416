"""Hold a measurement against an indicator's condition: the verdict.

This is the only place where thresholds meet measured values.

Rules (DESIGN.md, contract):

- an estimate with a 95% confidence interval passes when the *whole* interval
  meets the threshold, fails when the whole interval misses it, and is
  inconclusive when the interval straddles it — the result then says how many
  more reference samples would be expected to decide it;
- exact quantities (pixel sizes, counts, areas) pass or fail on the value;
- ``covers`` needs the whole span without gaps, ``includes`` every listed value;
- ``report`` passes when a value could be measured (the call sets no threshold).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from geoverify.model import Measurement, Result, Verdict
from geoverify.model.catalogue import OPERATORS, Condition
from geoverify.units import convert, format_quantity

__all__ = ["REASON_CODES", "compare", "decide", "decide_condition", "decide_readings", "reason"]

_REL_TOL = 1e-9


def compare(value: float, op: str, threshold: Any) -> bool:
    """``value op threshold`` for the scalar operators (``==`` with a relative tolerance)."""
    if op == ">=":
        return value >= threshold
    if op == ">":
        return value > threshold
    if op == "<=":
        return value <= threshold
    if op == "<":
        return value < threshold
    if op == "==":
        return math.isclose(value, threshold, rel_tol=_REL_TOL, abs_tol=0.0)
    if op == "between":
        low, high = threshold
        return low <= value <= high
    raise ValueError(f"not a scalar operator: {op!r}")


def _in_unit(measurement: Measurement, unit: str) -> tuple[Any, tuple[float, float] | None]:
    value, ci = measurement.value, measurement.ci
    if measurement.unit == unit or value is None:
        return value, ci
    if isinstance(value, list | tuple):
        value = [convert(float(v), measurement.unit, unit) for v in value]
    else:
        value = convert(float(value), measurement.unit, unit)
    if ci is not None:
        ci = (convert(ci[0], measurement.unit, unit), convert(ci[1], measurement.unit, unit))
    return value, ci


def decide_condition(
    condition: Condition, measurement: Measurement
) -> tuple[Verdict, str, Any, tuple[float, float] | None]:
    """Verdict of ``measurement`` against ``condition``.

    Returns
    -------
    verdict, sentence, value (in the condition's unit), ci (in the condition's unit)
    """
    op, threshold, unit = condition.op, condition.threshold, condition.unit
    if op in ("covers", "includes", "spans"):
        value, ci = measurement.value, None
    else:
        value, ci = _in_unit(measurement, unit)
    rule = condition.describe()
    why = measurement.details.get("inconclusive_reason")
    if why and op not in ("report", "covers", "includes"):
        shown = "no estimate" if value is None else format_quantity(value, unit)
        sentence = f"{shown}: no 95% interval to hold against {rule}, inconclusive: {why}"
        more = _planned(measurement, threshold, unit) if value is not None else None
        if more is not None:
            sentence += (
                f"; about {more} more {_planner_unit(measurement)} would be expected to decide it"
            )
        return Verdict.INCONCLUSIVE, sentence, value, None
    if value is None:
        return Verdict.ERROR, "no value could be measured", None, None
    if op == "report":
        return Verdict.PASS, "measured and reported (the call sets no threshold)", value, ci
    if op == "covers":
        return (*_covers(value, threshold, measurement), value, None)
    if op == "spans":
        return (*_spans(value, threshold), value, None)
    if op == "includes":
        return (*_includes(value, threshold), value, None)
    scalar = threshold if isinstance(threshold, int | float) else None
    shown = format_quantity(value, unit, against=scalar)
    if ci is None:
        ok = compare(float(value), op, threshold)
        verdict = Verdict.PASS if ok else Verdict.FAIL
        relation = "meets" if ok else "does not meet"
        return verdict, f"{shown} {relation} the rule {rule}", value, None
    low, high = ci
    label = str(measurement.details.get("interval_label", "95% CI"))
    low_shown = format_quantity(low, unit, against=scalar)
    high_shown = format_quantity(high, unit, against=scalar)
    interval = f"{shown} ({label} {low_shown} to {high_shown})"
    if op == "between":
        lo_t, hi_t = threshold
        passes = low >= lo_t and high <= hi_t
        fails = high < lo_t or low > hi_t
    elif op == "==":
        passes = compare(low, op, threshold) and compare(high, op, threshold)
        fails = not low <= threshold <= high
    else:
        favourable = low if op in (">=", ">") else high
        unfavourable = high if op in (">=", ">") else low
        passes = compare(favourable, op, threshold)
        fails = not compare(unfavourable, op, threshold)
    if passes:
        return Verdict.PASS, f"{interval}: the whole interval meets {rule}", value, ci
    if fails:
        return Verdict.FAIL, f"{interval}: the whole interval misses {rule}", value, ci
    sentence = f"{interval}: the interval straddles the threshold ({rule})"
    if measurement.planner is not None and op != "between":
        more = _planned(measurement, threshold, unit)
        if more is not None:
            sentence += (
                f"; about {more} more {_planner_unit(measurement)} would be expected to "
                "decide it under the same interval"
            )
        else:
            sentence += (
                "; the number of further samples that would decide it cannot be estimated "
                "from this sample"
            )
    return Verdict.INCONCLUSIVE, sentence, value, ci


def _planned(measurement: Measurement, threshold: Any, unit: str) -> int | None:
    """The measurement's planner at ``threshold``; ``None`` when it has none or cannot tell."""
    if measurement.planner is None or isinstance(threshold, list | tuple):
        return None
    try:
        return measurement.planner(convert(threshold, unit, measurement.unit))
    except (ValueError, ZeroDivisionError, ArithmeticError):
        return None


def _planner_unit(measurement: Measurement) -> str:
    """What the planner counts (``details["planner_unit"]``; reference samples by default)."""
    return str(measurement.details.get("planner_unit", "reference samples"))


def _covers(
    value: Sequence[Any], threshold: Sequence[float], measurement: Measurement
) -> tuple[Verdict, str]:
    first, last = value[0], value[-1]
    low, high = threshold
    bad = _unparseable([first, last, *(m for m in measurement.missing if not _more(m))])
    if bad:
        return Verdict.ERROR, _unparseable_sentence(bad)
    missing = [m for m in measurement.missing if _more(m) or _within(m, low, high)]
    problems = []
    if _year(first) > low:  # type: ignore[operator]
        problems.append(f"starts at {first}, after {low}")
    if _year(last) < high:  # type: ignore[operator]
        problems.append(f"ends at {last}, before {high}")
    if missing:
        problems.append(f"missing {', '.join(map(str, missing))}")
    if problems:
        return Verdict.FAIL, f"covers {first}–{last} but " + "; ".join(problems)
    return Verdict.PASS, f"covers {first}–{last} without gaps, which includes {low}–{high}"


def _detail(details: Any, path: str) -> Any:
    """``details["a"]["b"]`` for ``"a.b"``; ``None`` where absent."""
    for key in path.split("."):
        if not isinstance(details, dict) or key not in details:
            return None
        details = details[key]
    return details


def _spans(value: Sequence[Any], threshold: Sequence[float]) -> tuple[Verdict, str]:
    """First and last present (gaps allowed): ``value`` = [first, …, last]."""
    first, last = value[0], value[-1]
    low, high = threshold
    bad = _unparseable([first, last])
    if bad:
        return Verdict.ERROR, _unparseable_sentence(bad)
    problems = []
    if _year(first) > low:  # type: ignore[operator]
        problems.append(f"starts at {first}, after {low}")
    if _year(last) < high:  # type: ignore[operator]
        problems.append(f"ends at {last}, before {high}")
    if problems:
        return Verdict.FAIL, f"spans {first}–{last} but " + "; ".join(problems)
    return Verdict.PASS, f"spans {first}–{last}, which reaches from {low} to {high}"


_YEAR = re.compile(r"^\s*(\d{4})(?:$|[-/.T ])")
_MORE = re.compile(r"^\.\.\. \d+ more$")


def _year(step: Any) -> int | None:
    """The year of a period step (``2020``, ``2020.0``, ``"2020-07"``); ``None`` if none.

    A step is read only when it starts with a four-digit year followed by nothing
    or a date separator: ``"20x5"``, ``"n/a"``, ``5`` or ``"202"`` are unparseable.
    """
    if isinstance(step, bool):
        return None
    if isinstance(step, float):
        if not math.isfinite(step) or not step.is_integer():
            return None
        step = int(step)
    match = _YEAR.match(str(step))
    return int(match.group(1)) if match else None


def _more(step: Any) -> bool:
    """The period check's ``"... N more"`` marker of a truncated list of missing steps."""
    return isinstance(step, str) and bool(_MORE.match(step))


def _unparseable(steps: Sequence[Any]) -> list[Any]:
    return [s for s in steps if _year(s) is None]


def _unparseable_sentence(bad: Sequence[Any]) -> str:
    shown = ", ".join(repr(b) for b in bad[:5])
    return (
        f"cannot read a year from the period step(s) {shown}: a step must start with a "
        "four-digit year (2020, 2020-07, 2020-07-01), so the period cannot be decided"
    )


def _within(step: Any, low: float, high: float) -> bool:
    year = _year(step)
    return year is not None and low <= year <= high


def _includes(value: Sequence[Any], threshold: Sequence[Any]) -> tuple[Verdict, str]:
    present = {str(v) for v in value}
    absent = [t for t in threshold if str(t) not in present]
    if absent:
        return (
            Verdict.FAIL,
            f"has {', '.join(map(str, value))}; missing {', '.join(map(str, absent))}",
        )
    return Verdict.PASS, f"has every required value ({', '.join(map(str, threshold))})"


def decide(indicator: Any, measurement: Measurement) -> Result:
    """The :class:`Result` of ``measurement`` for ``indicator`` (an :class:`Indicator`)."""
    verdict, sentence, value, ci = decide_condition(indicator.condition, measurement)
    message = sentence if not measurement.message else f"{sentence}. {measurement.message}"
    details = dict(measurement.details)
    if "rule" in details:  # how the check measured; "rule" is the decision rule
        details["measurement_rule"] = details.pop("rule")
    details["rule"] = indicator.rule()
    details.setdefault("operator", OPERATORS[indicator.op])
    if measurement.se is not None:
        details.setdefault("se", _converted_se(measurement, indicator.unit))
    if measurement.n is not None:
        details.setdefault("n", measurement.n)
    if measurement.companions and indicator.op in (">=", ">", "<=", "<"):
        details["also_against_threshold"] = [
            {
                "quantity": name,
                "value": convert(value, measurement.unit, indicator.unit),
                "meets": compare(
                    convert(value, measurement.unit, indicator.unit),
                    indicator.op,
                    indicator.threshold,
                ),
                "deciding": False,
            }
            for name, value in measurement.companions.items()
        ]
    details["reading"] = indicator.reading
    code = _code(verdict, indicator.op)
    if verdict is Verdict.ERROR and value is not None:  # a value the rule cannot read
        code = "error"
    if verdict is Verdict.INCONCLUSIVE and measurement.details.get("inconclusive_reason"):
        code = "inconclusive"
    details["reason"] = reason(code, sentence)
    alternatives = getattr(indicator, "alternatives", ())
    if alternatives:
        readings = decide_readings(indicator, measurement, verdict)
        details["readings"] = readings
        differing = [
            r for r in readings[1:] if r["verdict"] not in (str(verdict), NOT_APPLICABLE)
        ]
        if differing:
            message = (
                f"{verdict} under the primary reading; "
                + "; ".join(
                    f"{r['verdict']} under the {r['title']} reading ({r['sentence']})"
                    for r in differing
                )
                + f". {message}"
            )
    return Result(
        indicator=indicator.id,
        verdict=verdict,
        value=value,
        unit=indicator.unit,
        op=indicator.op,
        threshold=indicator.threshold,
        ci=ci,
        message=message,
        details=details,
        plots=measurement.plots,
    )


#: Reason codes: why a result has its verdict (``details["reason"]["code"]``).
REASON_CODES = {
    "meets": "the value (or the whole interval) meets the rule",
    "misses": "the value (or the whole interval) misses the rule",
    "straddles": "the interval straddles the threshold",
    "measured": "measured and reported; the call sets no threshold",
    "no_value": "no value could be measured",
    "condition_failed": "the value meets the rule, a further condition does not",
    "items": "listed items decide (each must pass)",
    "missing": "no evidence given",
    "error": "the evidence is unusable",
    "timed_out": "the indicator ran out of its time budget",
    "declared_only": "declared, not measured",
    "inconclusive": "the measurement cannot decide",
}


def reason(code: str, text: str) -> dict[str, str]:
    """The structured reason of a verdict: a code of :data:`REASON_CODES` and one sentence.

    Reports read it (the summary's "reason" column) instead of parsing messages.
    """
    if code not in REASON_CODES:
        raise ValueError(f"unknown reason code {code!r}")
    return {"code": code, "text": text}


def _code(verdict: Verdict, op: str) -> str:
    if op == "report" and verdict is Verdict.PASS:
        return "measured"
    return {
        Verdict.PASS: "meets",
        Verdict.FAIL: "misses",
        Verdict.INCONCLUSIVE: "straddles",
        Verdict.ERROR: "no_value",
        Verdict.MISSING: "missing",
    }[verdict]


#: The "verdict" of an alternative reading whose quantity the measurement does not give
#: (a grid with no conventional nominal class): shown, never a verdict of the indicator.
NOT_APPLICABLE = "not applicable"


def decide_readings(
    indicator: Any, measurement: Measurement, primary: Verdict
) -> list[dict[str, Any]]:
    """The verdict under the primary reading and under every alternative one.

    An alternative may change the operator, the threshold, and the quantity
    decided on (``value``: a key of the measurement's details, with ``ci``, the
    key of its interval).  Only the primary reading decides the verdict and the
    exit code; the others are reported beside it.
    """
    out: list[dict[str, Any]] = [
        {
            "id": "primary",
            "title": "primary",
            "reading": indicator.reading,
            "rule": indicator.condition.describe(),
            "verdict": str(primary),
            "primary": True,
        }
    ]
    for alt in indicator.alternatives:
        row: dict[str, Any] = {
            "id": alt.id,
            "title": alt.title,
            "reading": alt.reading,
            "rule": alt.condition.describe(),
            "primary": False,
        }
        shown = measurement
        if alt.value is not None:
            quantity = _detail(measurement.details, alt.value)
            if quantity is None:
                row.update(
                    verdict=NOT_APPLICABLE,
                    sentence=f"the measurement gives no {alt.value!r}: this reading does not "
                    "apply to it",
                )
                out.append(row)
                continue
            ci = _detail(measurement.details, alt.ci) if alt.ci else None
            shown = Measurement(
                value=quantity,
                unit=measurement.unit,
                ci=None if ci is None else (float(ci[0]), float(ci[1])),
                details=measurement.details,
                planner=None,
            )
        verdict, sentence, value, _ = decide_condition(alt.condition, shown)
        row.update(verdict=str(verdict), sentence=sentence, value=value)
        out.append(row)
    return out


def _converted_se(measurement: Measurement, unit: str) -> float | None:
    if measurement.se is None:
        return None
    try:
        return convert(measurement.se, measurement.unit, unit)
    except ValueError:
        return measurement.se
