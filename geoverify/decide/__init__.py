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
from collections.abc import Sequence
from typing import Any

from geoverify.model import Measurement, Result, Verdict
from geoverify.model.catalogue import OPERATORS, Condition
from geoverify.units import convert, format_quantity

__all__ = ["compare", "decide", "decide_condition"]

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
    if op in ("covers", "includes"):
        value, ci = measurement.value, None
    else:
        value, ci = _in_unit(measurement, unit)
    rule = condition.describe()
    if value is None:
        return Verdict.ERROR, "no value could be measured", None, None
    if op == "report":
        return Verdict.PASS, "measured and reported (the call sets no threshold)", value, ci
    if op == "covers":
        return (*_covers(value, threshold, measurement), value, None)
    if op == "includes":
        return (*_includes(value, threshold), value, None)
    shown = format_quantity(value, unit)
    if ci is None:
        ok = compare(float(value), op, threshold)
        verdict = Verdict.PASS if ok else Verdict.FAIL
        relation = "meets" if ok else "does not meet"
        return verdict, f"{shown} {relation} the rule {rule}", value, None
    low, high = ci
    interval = f"{shown} (95% CI {format_quantity(low, unit)} to {format_quantity(high, unit)})"
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
        try:
            more = measurement.planner(convert(threshold, unit, measurement.unit))
        except (ValueError, ZeroDivisionError, ArithmeticError):
            more = None
        if more is not None:
            sentence += f"; about {more} more reference samples would be expected to decide it"
        else:
            sentence += (
                "; the number of further samples that would decide it cannot be estimated "
                "from this sample"
            )
    return Verdict.INCONCLUSIVE, sentence, value, ci


def _covers(
    value: Sequence[Any], threshold: Sequence[float], measurement: Measurement
) -> tuple[Verdict, str]:
    first, last = value[0], value[-1]
    low, high = threshold
    missing = [m for m in measurement.details.get("missing", []) if _within(m, low, high)]
    problems = []
    if first > low:
        problems.append(f"starts at {first}, after {low}")
    if last < high:
        problems.append(f"ends at {last}, before {high}")
    if missing:
        problems.append(f"missing {', '.join(map(str, missing))}")
    if problems:
        return Verdict.FAIL, f"covers {first}–{last} but " + "; ".join(problems)
    return Verdict.PASS, f"covers {first}–{last} without gaps, which includes {low}–{high}"


def _within(step: Any, low: float, high: float) -> bool:
    try:
        year = int(str(step)[:4])
    except ValueError:
        return True
    return low <= year <= high


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


def _converted_se(measurement: Measurement, unit: str) -> float | None:
    if measurement.se is None:
        return None
    try:
        return convert(measurement.se, measurement.unit, unit)
    except ValueError:
        return measurement.se
