"""Decisions: the only place where thresholds meet measurements.

- :mod:`geoverify.decide.rules` — one measurement against one condition (operators,
  intervals, readings, reasons);
- :mod:`geoverify.decide.aggregate` — many at once: listed items, ``each`` and ``also``
  conditions, the severity order of verdicts.
"""

from geoverify.decide.aggregate import (
    SEVERITY,
    decide_aggregate,
    decide_count,
    describe_aggregate,
    worst,
)
from geoverify.decide.rules import (
    REASON_CODES,
    compare,
    decide,
    decide_condition,
    decide_readings,
    reason,
)

__all__ = [
    "REASON_CODES",
    "SEVERITY",
    "compare",
    "decide",
    "decide_aggregate",
    "decide_condition",
    "decide_count",
    "decide_readings",
    "describe_aggregate",
    "reason",
    "worst",
]
