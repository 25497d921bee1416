"""Early warnings scored against observed outbreaks: lead time and warning accuracy.

Evidence: two tables (CSV or Parquet), ``warnings`` (one row per warning issued:
``hazard``, ``region``, ``issued`` date) and ``outbreaks`` (one row per observed
outbreak: ``hazard``, ``region``, ``onset`` date).  Rows repeating the hazard,
region and calendar day (UTC) of an earlier row of the same table are one warning
(one outbreak) and count once (:data:`DISTINCT_RULE`; the dropped rows are
reported as ``duplicate_warnings`` and ``duplicate_outbreaks``), so that copies of
one row cannot manufacture an interval.  A warning is *verified* (a
hit) when an outbreak of the same hazard in the same region begins within
``window_days`` after it was issued (default 60); each outbreak verifies at
most one warning (the earliest unmatched one before it).  Outbreaks that no
warning preceded are misses.

Measures (``params["measure"]``):

- ``lead_time`` — the median lead time (outbreak onset − issue date, days) of
  the verified warnings, with the distribution-free 95% confidence interval of
  a median from binomial order statistics (Conover 1999, §3.2).  Fewer than 6
  verified warnings admit no 95% interval (the widest, ``[x_(1), x_(n)]``, covers
  the median with probability ``1 − 2^(1−n)`` < 0.95): the verdict is then
  ``inconclusive`` (``inconclusive_reason``), never a pass on the point value;
- ``accuracy`` — the share of warnings that verified (the success ratio,
  1 − false-alarm ratio) with the continuity-corrected Wilson score interval
  (Newcombe 1998); probability of detection, false-alarm ratio and critical
  success index are reported beside it (Wilks 2011, §8.2).

Both carry a planner: how many more warnings (success ratio: under the same
interval, :func:`geoverify.stats.estimators.additional_samples`) or verified
warnings (lead time: the smallest number at which the order-statistic interval,
read off the observed lead times as a plug-in estimate of their distribution,
lies on one side of the threshold) would be expected to decide.

References
----------
Conover, W. J. (1999). Practical Nonparametric Statistics, 3rd ed. Wiley.
Wilks, D. S. (2011). Statistical Methods in the Atmospheric Sciences, 3rd ed.
Academic Press, chapter 8 (forecast verification, 2×2 contingency tables).
Wilson, E. B. (1927). Probable inference, the law of succession, and
statistical inference. JASA 22, 209–212.
Newcombe, R. G. (1998). Two-sided confidence intervals for the single
proportion: comparison of seven methods. Statistics in Medicine 17, 857–872.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.model import Measurement
from geoverify.stats.estimators import additional_samples, wilson_interval
from geoverify.stats.intervals import (
    MIN_MEDIAN_ORDER_STATISTICS,
    SCORE_INTERVAL,
    median_ci,
    score_interval,
)

if TYPE_CHECKING:
    import pandas as pd

    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = [
    "DISTINCT_RULE",
    "MIN_LEAD_TIMES",
    "distinct_events",
    "match_warnings",
    "measure_warning",
    "more_lead_times",
    "wilson_interval",
]

#: Fewest order statistics with a distribution-free 95% interval of a median
#: (:data:`geoverify.stats.intervals.MIN_MEDIAN_ORDER_STATISTICS`).
MIN_LEAD_TIMES = MIN_MEDIAN_ORDER_STATISTICS


#: The rule by which repeated warning (outbreak) rows count once.
DISTINCT_RULE = (
    "distinct events: a row repeating the hazard, region (both compared without case and "
    "surrounding spaces) and calendar day (UTC) of an earlier row of the same table is the "
    "same warning (outbreak) and counts once"
)


def distinct_events(frame: pd.DataFrame, date_column: str) -> tuple[pd.DataFrame, int]:
    """The rows of ``frame`` that are distinct events, and how many repeats were dropped.

    Hazard and region are normalised in place (stripped, case-folded) so that the
    matching uses the same identity as the de-duplication; the first row of each
    (hazard, region, day) is kept (:data:`DISTINCT_RULE`).
    """
    frame = frame.copy()
    for column in ("hazard", "region"):
        frame[column] = frame[column].astype(str).str.strip().str.casefold()
    day = frame[date_column].dt.floor("D")
    repeated = frame.assign(__day__=day).duplicated(["hazard", "region", "__day__"])
    return frame.loc[~repeated.to_numpy()], int(repeated.sum())


def _read_table(location: str, required: tuple[str, ...], date_column: str) -> pd.DataFrame:
    import pandas as pd

    from geoverify.io.table import read_table

    frame = read_table(location)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    absent = [c for c in required if c not in frame.columns]
    if absent:
        raise EvidenceError(
            f"missing column(s) {', '.join(absent)} (has {', '.join(frame.columns)})",
            source=location,
            hint=f"The table needs the columns {', '.join(required)}.",
        )
    try:
        frame[date_column] = pd.to_datetime(frame[date_column], utc=True, errors="raise")
    except (ValueError, TypeError) as exc:
        raise EvidenceError(
            f"column {date_column!r} holds values that are not dates ({exc})",
            source=location,
            hint="Write ISO dates (2027-05-14).",
        ) from None
    if frame.empty:
        raise EvidenceError("the table has no rows", source=location)
    return frame


def match_warnings(
    warnings: pd.DataFrame, outbreaks: pd.DataFrame, window_days: float = 60.0
) -> tuple[list[float], int, int]:
    """Match warnings to outbreaks.

    Returns
    -------
    lead_times : list of float
        Lead time in days of each verified warning.
    false_alarms : int
        Warnings no outbreak verified.
    misses : int
        Outbreaks no warning preceded.
    """
    lead_times: list[float] = []
    used: set[int] = set()
    misses = 0
    key = ["hazard", "region"]
    by_key = {k: g.sort_values("issued") for k, g in warnings.groupby(key)}
    for _, outbreak in outbreaks.sort_values("onset").iterrows():
        group = by_key.get((outbreak["hazard"], outbreak["region"]))
        matched = False
        if group is not None:
            for index, warning in group.iterrows():
                if index in used:
                    continue
                lead = (outbreak["onset"] - warning["issued"]).total_seconds() / 86400.0
                if 0 <= lead <= window_days:
                    used.add(index)
                    lead_times.append(lead)
                    matched = True
                    break
        if not matched:
            misses += 1
    false_alarms = len(warnings) - len(used)
    return lead_times, false_alarms, misses


def measure_warning(evidence: Evidence, params: Mapping[str, Any], context: Context) -> Measurement:
    """Lead time (days) or accuracy (%) of early warnings against observed outbreaks."""
    measure = params.get("measure", "accuracy")
    if measure not in ("lead_time", "accuracy"):
        raise EvidenceError(f"unknown warning measure {measure!r}", source=evidence.where)
    warnings_path = evidence.location("warnings")
    outbreaks_path = evidence.location("outbreaks")
    assert warnings_path is not None and outbreaks_path is not None
    window = float(evidence.get("window_days", 60))
    if window <= 0:
        raise EvidenceError("window_days must be positive", source=evidence.where)
    warnings = _read_table(warnings_path, ("hazard", "region", "issued"), "issued")
    outbreaks = _read_table(outbreaks_path, ("hazard", "region", "onset"), "onset")
    warnings, repeated_warnings = distinct_events(warnings, "issued")
    outbreaks, repeated_outbreaks = distinct_events(outbreaks, "onset")
    leads, false_alarms, misses = match_warnings(warnings, outbreaks, window)
    hits = len(leads)
    n = len(warnings)
    details: dict[str, Any] = {
        "warnings": n,
        "outbreaks": len(outbreaks),
        "hits": hits,
        "false_alarms": false_alarms,
        "misses": misses,
        "window_days": window,
        "probability_of_detection": hits / (hits + misses) if hits + misses else None,
        "false_alarm_ratio": false_alarms / n,
        "critical_success_index": hits / (hits + misses + false_alarms),
        "matching": "same hazard and region, onset within window_days after issue; "
        "each outbreak verifies at most one warning",
        "duplicate_warnings": repeated_warnings,
        "duplicate_outbreaks": repeated_outbreaks,
        "distinct_rule": DISTINCT_RULE,
    }
    repeats = ""
    if repeated_warnings or repeated_outbreaks:
        repeats = (
            f"; {repeated_warnings} repeated warning row(s) and {repeated_outbreaks} repeated "
            f"outbreak row(s) dropped ({DISTINCT_RULE})"
        )
    if measure == "accuracy":
        low, high = score_interval(hits, n)
        p = hits / n
        se = math.sqrt(p * (1 - p) / n)
        details.update(interval=SCORE_INTERVAL, planner_unit="warnings")
        return Measurement(
            100.0 * p,
            "%",
            ci=(100.0 * low, 100.0 * high),
            se=100.0 * se,
            n=n,
            details=details,
            message=f"{hits} of {n} warnings verified by an outbreak (success ratio; "
            f"{SCORE_INTERVAL}){repeats}",
            planner=lambda t: _more_warnings(p, n, t / 100.0),
        )
    if not leads:
        raise EvidenceError(
            "no warning was verified by an outbreak: no lead time can be measured",
            source=warnings_path,
            hint="Check that hazard and region names agree between the two tables.",
        )
    values = np.asarray(leads)
    ci = median_ci(values)
    details.update(
        lead_times_days=sorted(values.round(3).tolist()),
        minimum_days=float(values.min()),
        median_days=float(np.median(values)),
        statistic="median lead time of verified warnings",
        interval="distribution-free 95% interval of the median from binomial order "
        "statistics (Conover 1999, §3.2)",
        min_lead_times=MIN_LEAD_TIMES,
        planner_unit="verified warnings",
    )
    message = f"median lead time of {hits} verified warnings"
    if ci is None:
        details["inconclusive_reason"] = (
            f"{hits} verified warning{'s' if hits != 1 else ''} are too few order statistics "
            f"for a 95% interval of the median (at least {MIN_LEAD_TIMES} needed: "
            f"P(x_(1) <= median <= x_(n)) = 1 - 2^(1-n) < 0.95, Conover 1999); the verdict "
            "is held on the whole interval, never on the point value"
        )
        message += " (too few verified warnings for a 95% interval of the median)"
    message += repeats
    return Measurement(
        float(np.median(values)),
        "days",
        ci=ci,
        n=hits,
        details=details,
        message=message,
        planner=lambda t: more_lead_times(values, t),
    )


def _more_warnings(p: float, n: int, threshold: float) -> int | None:
    """Additional warnings for the reported interval at ``p`` to exclude ``threshold``.

    The smallest size at which the continuity-corrected Wilson interval (the one
    reported) excludes the threshold, searched both ways from Cochran's size
    (:func:`geoverify.stats.estimators.additional_samples`); with every warning
    verified (``p = 1``) the interval still narrows with ``n``, so a size exists.
    ``None`` when ``p`` equals the threshold.
    """
    return additional_samples(p, threshold, n, interval="score")


def more_lead_times(values: np.ndarray, threshold: float, most: int = 20_000) -> int | None:
    """Additional verified warnings expected to decide the median lead time vs ``threshold``.

    At a total of ``N`` lead times the 95% interval of the median is
    ``[x_(r), x_(N−r+1)]`` (Conover 1999, §3.2, ``r`` from Binomial(N, 1/2)).  The
    observed lead times stand in for their distribution: ``x_(r)`` is read as their
    ``r/(N+1)`` quantile.  The answer is the smallest ``N`` (at least
    :data:`MIN_LEAD_TIMES`) whose interval lies wholly above or below the threshold,
    minus the number observed; ``None`` when no ``N`` up to ``most`` decides (the
    observed median at the threshold).  The rank ratio is not monotone in ``N``, so
    every size is tried (vectorised).
    """
    from scipy.stats import binom

    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    if n == 0:
        return None
    sizes = np.arange(max(n, MIN_LEAD_TIMES), most + 1)
    r = binom.ppf(0.025, sizes, 0.5).astype(np.int64)
    r = np.where(binom.cdf(r - 1, sizes, 0.5) > 0.025, r - 1, r)
    r = np.where(binom.cdf(r, sizes, 0.5) <= 0.025, r + 1, r)
    # largest r with P(B <= r - 1) <= 0.025 (as median_ci); r >= 1 from N = 6
    ok = r >= 1
    low = np.quantile(x, np.clip(r / (sizes + 1.0), 0, 1), method="inverted_cdf")
    high = np.quantile(x, np.clip((sizes - r + 1) / (sizes + 1.0), 0, 1), method="inverted_cdf")
    decides = ok & ((low > threshold) | (high < threshold))
    if not decides.any():
        return None
    return int(sizes[int(np.argmax(decides))]) - n
