"""On-board processing time per point source, from timing records.

The timing table (evidence key ``timings``; CSV, Parquet or NetCDF) has one row
per processed point source with either ``start`` and ``end`` timestamps (ISO
8601, sub-second precision allowed) or a ``duration_s`` column (seconds); with
both, they must agree within 1 ms.  ``source_id`` is optional.

The call asks for "单个点源在轨处理时效性优于10s": per point source, so the
verdict uses the maximum by default (every source must be processed in time);
the 95th percentile and the median are reported.  ``params["statistic"]`` may
choose ``max`` (default), ``p95`` or ``median``; the message names the rule.
Percentiles use linear interpolation between order statistics (Hyndman & Fan
1996, definition 7; numpy's default).

References
----------
Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. The
American Statistician 50(4), 361–365.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geoverify.errors import EvidenceError
from geoverify.io.table import read_table
from geoverify.model import Measurement

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = ["STATISTICS", "durations", "measure_latency", "summarise"]

#: statistic name -> description used in messages.
STATISTICS: dict[str, str] = {
    "max": "the maximum (slowest point source)",
    "p95": "the 95th percentile",
    "median": "the median",
}

_AGREEMENT_S = 1e-3


def _rows(mask: np.ndarray) -> str:
    return ", ".join(str(int(i) + 1) for i in np.flatnonzero(mask)[:8])


def durations(frame: pd.DataFrame, *, source: str | None = None) -> np.ndarray:
    """Processing time in seconds of every row of a timing table.

    Raises
    ------
    EvidenceError
        Without ``duration_s`` nor ``start``/``end``; for missing, unreadable or
        negative durations; when both forms disagree by more than 1 ms.
    """
    has_duration = "duration_s" in frame
    has_stamps = "start" in frame and "end" in frame
    if not (has_duration or has_stamps):
        raise EvidenceError(
            "the timing table has neither a 'duration_s' column nor 'start' and 'end'",
            source=source,
            hint="Give start/end timestamps (ISO 8601) or duration_s (seconds) per point source. "
            f"Found: {', '.join(map(str, frame.columns))}.",
        )
    from_stamps: np.ndarray | None = None
    if has_stamps:
        try:
            start = pd.to_datetime(frame["start"], utc=True, format="ISO8601")
            end = pd.to_datetime(frame["end"], utc=True, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise EvidenceError(
                f"unreadable start/end timestamps ({exc})",
                source=source,
                hint="Use ISO 8601 (2027-05-01T03:12:04.250Z).",
            ) from None
        from_stamps = ((end - start).dt.total_seconds()).to_numpy(dtype="float64")
    if has_duration:
        values = pd.to_numeric(frame["duration_s"], errors="coerce").to_numpy(dtype="float64")
    else:
        assert from_stamps is not None
        values = from_stamps
    missing = ~np.isfinite(values)
    if missing.any():
        raise EvidenceError(
            f"{int(missing.sum())} timing rows have no duration (rows {_rows(missing)})",
            source=source,
            hint="Every processed point source needs its timing; none is dropped silently.",
        )
    if (values < 0).any():
        raise EvidenceError(
            f"negative processing times in rows {_rows(values < 0)}",
            source=source,
            hint="Check that end is after start.",
        )
    if has_duration and from_stamps is not None:
        off = np.abs(values - from_stamps) > _AGREEMENT_S
        if off.any():
            raise EvidenceError(
                f"duration_s disagrees with end − start in rows {_rows(off)}",
                source=source,
                hint="Give one or make them agree (within 1 ms).",
            )
    return values


def summarise(values: Any) -> dict[str, float]:
    """Maximum, 95th percentile (linear), median, mean and count of durations."""
    data = np.asarray(values, dtype="float64")
    if data.size == 0:
        raise EvidenceError("no timing records", hint="Give one row per processed point source.")
    return {
        "max": float(data.max()),
        "p95": float(np.percentile(data, 95)),
        "median": float(np.median(data)),
        "mean": float(data.mean()),
        "n": int(data.size),
    }


def measure_latency(evidence: Evidence, params: Mapping[str, Any], context: Context) -> Measurement:
    """Processing time per point source: the maximum (or p95, median) in seconds.

    Parameters
    ----------
    evidence : Evidence
        Key ``timings``: the timing table.
    params : Mapping
        ``statistic``: ``max`` (default), ``p95`` or ``median``.
    context : Context
        Unused.

    Returns
    -------
    Measurement
        ``value`` in ``s``; ``details`` hold max, p95, median, mean, n, the rule
        and the five slowest point sources.

    Raises
    ------
    EvidenceError, EvidenceReadError
        For a missing or unusable timing table.
    """
    del context
    statistic = str(params.get("statistic", "max")).lower()
    if statistic not in STATISTICS:
        raise EvidenceError(
            f"unknown latency statistic {statistic!r}",
            hint=f"The catalogue's params.statistic must be one of {', '.join(STATISTICS)}.",
        )
    location = evidence.location("timings")
    assert location is not None
    shown = evidence.display(location)
    frame = read_table(location, display=shown)
    values = durations(frame, source=shown)
    summary = summarise(values)
    ids = (
        frame["source_id"].astype(str).to_numpy()
        if "source_id" in frame
        else np.array([f"row {i + 1}" for i in range(len(frame))])
    )
    order = np.argsort(-values, kind="stable")[:5]
    rule = f"the verdict uses {STATISTICS[statistic]} of the per-source processing times"
    details: dict[str, Any] = {
        **summary,
        "statistic": statistic,
        "rule": rule,
        "percentile_method": "linear interpolation (Hyndman & Fan 1996, def. 7)",
        "slowest": [{"source_id": str(ids[i]), "seconds": float(values[i])} for i in order],
    }
    message = (
        f"{summary['n']} point sources: max {summary['max']:.3g} s, "
        f"95th percentile {summary['p95']:.3g} s, median {summary['median']:.3g} s; {rule}"
    )
    return Measurement(
        value=summary[statistic], unit="s", n=int(summary["n"]), details=details, message=message
    )
