"""Time coverage of a deliverable: span and gaps, epochs, finest step, duration, step count.

Time stamps come from, in this order of preference:

- NetCDF / HDF5 / Zarr time coordinates (``file`` or ``files``; ``variable``,
  by name or ``group/name``, ``time_dim``), opened lazily by
  :func:`geoverify.io.cube.open_cube` (dask chunks; only the time coordinate is
  read) and decoded by the CF conventions with ``cftime`` so that every CF
  calendar (``standard``, ``noleap``, ``360_day`` ...) is handled;
- per-epoch files (``rasters``): the year in each file name, or a ``years`` list
  of the same length;
- declared ``years`` or ``datetimes`` (ISO 8601 strings or TOML dates, e.g.
  STAC item datetimes);
- ``start`` / ``end`` (the project's duration).

Measures (``params["measure"]``):

``span``
    value ``[first_year, last_year]`` (unit ``year``); ``details["missing"]`` lists
    the steps (years for step ``1Y``, ``YYYY-MM`` for ``1M``, ISO date-times for fixed
    steps) absent between the first and the last time stamp, at ``params["step"]``
    (else the evidence's ``step``, else the most common interval).
``epochs``
    value = sorted list of the distinct years present (unit ``year``).
``step``
    the finest interval between consecutive distinct time stamps, in minutes
    (unit ``min``); a declared ``step`` is used only when fewer than two time
    stamps are available, and the details say so.
``duration``
    ``end − start`` in calendar years, the end date inclusive: whole calendar
    years from ``start`` to the day after ``end``, plus the remaining days as a
    fraction of the following year's length (2026-07-01 … 2029-06-30 is exactly
    3 years); ``details`` also give the days and ``days / 365.25``.
``steps``
    number of distinct time stamps (unit ``count``).

References
----------
Eaton, B. et al. *NetCDF Climate and Forecast (CF) Metadata Conventions*, version
1.11, section 4.4 (time coordinate) and 4.4.1 (calendars).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io.cube import open_cube, open_variable, time_values
from geoverify.io.swath import find_swath, open_swath, swath_times
from geoverify.model import Measurement
from geoverify.model.evidence import is_remote

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = [
    "MEASURES",
    "calendar_years",
    "measure_period",
    "parse_step",
    "read_times",
    "year_from_name",
]

MEASURES = ("span", "epochs", "step", "duration", "steps")

#: Longest list of missing steps written to the details (the count is always given).
MAX_LISTED = 500

_STEP = re.compile(
    r"^\s*(\d+)?\s*(min|minutes?|t|h|hours?|d|days?|w|weeks?|m|ms|months?|y|ys|a|as|years?)\s*$",
    re.I,
)
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")


def parse_step(text: str) -> tuple[int, str]:
    """Parse a step such as ``"1Y"``, ``"1M"``, ``"10min"``, ``"6h"``, ``"1D"``.

    Returns
    -------
    (int, str)
        Multiple and unit, the unit one of ``"Y"``, ``"M"`` (calendar) or ``"min"``
        (fixed length: days, hours and weeks are given in minutes).

    Raises
    ------
    EvidenceError
        For text that is not a step.
    """
    match = _STEP.match(str(text))
    if not match:
        raise EvidenceError(
            f"not a time step: {text!r}",
            hint='Write the step as "1Y", "1M", "1D", "6h" or "10min".',
        )
    n = int(match.group(1) or 1)
    unit = match.group(2).lower()
    if n <= 0:
        raise EvidenceError(f"time step must be positive: {text!r}", hint='Write e.g. "1Y".')
    if unit in ("y", "ys", "a", "as") or unit.startswith("year"):
        return n, "Y"
    if unit in ("m", "ms") or unit.startswith("month"):
        return n, "M"
    if unit in ("min", "t") or unit.startswith("minute"):
        return n, "min"
    if unit == "h" or unit.startswith("hour"):
        return n * 60, "min"
    if unit == "d" or unit.startswith("day"):
        return n * 1440, "min"
    return n * 10080, "min"  # weeks


def year_from_name(name: str) -> int | None:
    """The year (1800–2199) written in a file name: the last 4-digit group, or None."""
    found = _YEAR.findall(Path(name).name)
    return int(found[-1]) if found else None


def calendar_years(start: dt.date, end: dt.date) -> float:
    """Calendar years from ``start`` to ``end``, the end date inclusive.

    Whole years are counted from ``start`` (same month and day, 29 February
    taken as 28 February in common years) up to the day after ``end``; the
    remaining days are divided by the length of the next (partial) year.
    """
    stop = end + dt.timedelta(days=1)
    if stop <= start:
        raise EvidenceError(
            f"the end ({end.isoformat()}) is before the start ({start.isoformat()})",
            hint="Fix the dates.",
        )

    def shifted(years: int) -> dt.date:
        year = start.year + years
        day = min(start.day, 28) if (start.month, start.day) == (2, 29) else start.day
        if (start.month, start.day) == (2, 29) and _is_leap(year):
            day = 29
        return dt.date(year, start.month, day)

    whole = stop.year - start.year
    while whole > 0 and shifted(whole) > stop:
        whole -= 1
    anchor = shifted(whole)
    following = shifted(whole + 1)
    return whole + (stop - anchor).days / (following - anchor).days


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _as_date(value: Any, key: str, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise EvidenceError(
            f"{key!r} is not a date: {value!r}",
            source=where,
            hint=f"Write `{key} = 2026-07-01` (a TOML date).",
        ) from None


def read_times(
    locations: Sequence[str], *, variable: str | None = None, time_dim: str | None = None
) -> list[Any]:
    """Decoded time stamps (cftime objects) of NetCDF/HDF5/Zarr files, all files together.

    Each file is opened lazily by :func:`geoverify.io.cube.open_cube` (dask
    chunks: only the time coordinate is read); ``variable`` may name a variable
    inside a group (``"PRODUCT/methane_mixing_ratio"``), whose group's time
    coordinate is then read.  A swath (L2) variable located by latitude/longitude
    arrays gives the first and last time of its valid pixels instead
    (:func:`geoverify.io.swath.swath_times`: TROPOMI ``delta_time``, OCO-2 ``time``).
    """
    import cftime

    times: list[Any] = []
    for location in locations:
        if variable is not None and time_dim is None and find_swath(location, variable):
            span = swath_times(open_swath(location, variable))
            if span is None:
                raise EvidenceError(
                    f"the swath variable {variable!r} has no time of its valid pixels",
                    source=location,
                    hint="Deliver the pixels' time (e.g. PRODUCT/delta_time, or a time per "
                    "sounding), or give `datetimes = [...]`.",
                )
            times.extend(
                cftime.datetime(
                    t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond,
                    calendar="standard",
                )
                for t in span
            )
            continue
        if variable is not None:
            da, ds = open_variable(location, variable, decode_times=True, chunks={})
            name: str | None = str(da.name)
        else:
            ds, name = open_cube(location, decode_times=True, chunks={}), None
        try:
            times.extend(time_values(ds, location, name, time_dim))
        finally:
            ds.close()
    return times


class _Stamp:
    """A calendar-aware time stamp reduced to what the measures need."""

    __slots__ = ("calendar", "day", "key", "month", "raw", "year")

    def __init__(self, raw: Any):
        self.raw = raw
        self.year, self.month, self.day = int(raw.year), int(raw.month), int(raw.day)
        self.calendar = getattr(raw, "calendar", "") or "standard"
        self.key = (
            self.year,
            self.month,
            self.day,
            int(getattr(raw, "hour", 0)),
            int(getattr(raw, "minute", 0)),
            int(getattr(raw, "second", 0)),
            int(getattr(raw, "microsecond", 0)),
        )

    def label(self) -> str:
        y, m, d, hh, mm, ss, _ = self.key
        if (hh, mm, ss) == (0, 0, 0):
            return f"{y:04d}-{m:02d}-{d:02d}"
        return f"{y:04d}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}"


#: CF calendar aliases (CF conventions, section 4.4.1)
_CALENDAR_ALIASES = {"gregorian": "standard", "365_day": "noleap", "366_day": "all_leap"}


def _calendar_name(raw: Any) -> str:
    name = str(getattr(raw, "calendar", "") or "standard").lower()
    return _CALENDAR_ALIASES.get(name, name)


def _minutes_between(a: _Stamp, b: _Stamp) -> float:
    try:
        delta = b.raw - a.raw
    except TypeError:  # cftime refuses differences across calendars
        raise EvidenceError(
            f"time stamps in different calendars ({_calendar_name(a.raw)} and "
            f"{_calendar_name(b.raw)}) cannot be compared",
            hint="Deliver every file in the same CF calendar.",
        ) from None
    return delta.total_seconds() / 60.0


def _check_calendars(per_file: Sequence[tuple[str, list[Any]]]) -> None:
    """Refuse files whose time coordinates are in different CF calendars.

    A day of a ``noleap`` calendar is not a day of the ``standard`` one (no 29
    February), so intervals across them are undefined; no conversion is exact in
    general, so the files are refused, each named with its calendar.
    """
    calendars: dict[str, list[str]] = {}
    for shown, values in per_file:
        for name in sorted({_calendar_name(v) for v in values}):
            calendars.setdefault(name, []).append(shown)
    if len(calendars) > 1:
        listing = "; ".join(f"{name}: {', '.join(files)}" for name, files in calendars.items())
        raise EvidenceError(
            f"the files use different CF calendars ({listing})",
            source=", ".join(shown for shown, _ in per_file),
            hint="Deliver every file in the same calendar (e.g. convert with "
            "xarray's Dataset.convert_calendar).",
        )


def _stamps_from_years(years: Sequence[Any], where: str) -> list[_Stamp]:
    out = []
    for value in years:
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            raise EvidenceError(
                f"not a year: {value!r}", source=where, hint="Write years = [2015, 2020, 2025]."
            )
        out.append(_Stamp(dt.datetime(int(value), 1, 1)))
    return out


def _stamps_from_datetimes(values: Sequence[Any], where: str) -> list[_Stamp]:
    out = []
    for value in values:
        if isinstance(value, dt.datetime):
            stamp = value.replace(tzinfo=None)
        elif isinstance(value, dt.date):
            stamp = dt.datetime(value.year, value.month, value.day)
        else:
            text = str(value).strip().replace("Z", "+00:00")
            try:
                parsed = dt.datetime.fromisoformat(text)
            except ValueError:
                raise EvidenceError(
                    f"not an ISO 8601 date-time: {value!r}",
                    source=where,
                    hint='Write datetimes = ["2026-07-01T10:00:00Z", ...].',
                ) from None
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
            stamp = parsed
        out.append(_Stamp(stamp))
    return out


def _collect(evidence: Evidence) -> tuple[list[_Stamp], str]:
    """Time stamps of the evidence and a description of where they came from."""
    files = []
    if "file" in evidence:
        location = evidence.location("file")
        assert location is not None
        files.append(location)
    files.extend(evidence.locations("files"))
    if files:
        per_file = [
            (
                evidence.display(f),
                read_times(
                    [f], variable=evidence.get("variable"), time_dim=evidence.get("time_dim")
                ),
            )
            for f in files
        ]
        _check_calendars(per_file)
        raw = [v for _, values in per_file for v in values]
        shown = ", ".join(evidence.display(f) for f in files)
        return [_Stamp(v) for v in raw], f"CF time coordinate of {shown}"
    rasters = evidence.locations("rasters")
    if rasters:
        years = evidence.get("years")
        if years is not None:
            if len(years) != len(rasters):
                raise EvidenceError(
                    f"{len(rasters)} rasters but {len(years)} years",
                    source=evidence.where,
                    hint="Give one year per raster, in the same order.",
                )
        else:
            years = []
            for location in rasters:
                year = year_from_name(location)
                if year is None:
                    raise EvidenceError(
                        "no year in the file name of a per-epoch raster",
                        source=evidence.display(location),
                        hint="Put the year in each file name (map_2015.tif) or give "
                        "`years = [...]` in the same order.",
                    )
                years.append(year)
        for location in rasters:
            if not is_remote(location) and not Path(location).exists():
                raise EvidenceReadError(
                    "file not found",
                    source=evidence.display(location),
                    hint="Check the path in the submission.",
                )
        return _stamps_from_years(years, evidence.where), "years of the per-epoch rasters"
    if "datetimes" in evidence:
        return _stamps_from_datetimes(evidence.get("datetimes"), evidence.where), "datetimes"
    if "years" in evidence:
        return _stamps_from_years(evidence.get("years"), evidence.where), "declared years"
    return [], ""


def _no_times(evidence: Evidence) -> EvidenceError:
    return EvidenceError(
        "no time stamps in the evidence",
        source=evidence.where,
        hint="Give `file`/`files` (NetCDF/Zarr with a time coordinate), `rasters` with years "
        "in their names, `years = [...]` or `datetimes = [...]`.",
    )


def _distinct(stamps: list[_Stamp]) -> list[_Stamp]:
    seen: dict[tuple[int, ...], _Stamp] = {}
    for s in stamps:
        seen.setdefault(s.key, s)
    return [seen[k] for k in sorted(seen)]


def _span(stamps: list[_Stamp], step: tuple[int, str]) -> tuple[list[str], int]:
    """Missing steps between the first and the last stamp, and the number expected."""
    n, unit = step
    if unit == "Y":
        present = {s.year for s in stamps}
        first, last = min(present), max(present)
        expected = list(range(first, last + 1, n))
        return [str(y) for y in expected if y not in present], len(expected)
    if unit == "M":
        present_m = {s.year * 12 + s.month - 1 for s in stamps}
        first, last = min(present_m), max(present_m)
        expected = list(range(first, last + 1, n))
        missing = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in expected if m not in present_m]
        return missing, len(expected)
    first_s = stamps[0]
    offsets = {round(_minutes_between(first_s, s) / n) for s in stamps}
    total = max(offsets)
    missing_idx = [k for k in range(total + 1) if k not in offsets]
    labels = []
    for k in missing_idx[:MAX_LISTED]:
        when = first_s.raw + dt.timedelta(minutes=k * n)
        labels.append(_Stamp(when).label())
    if len(missing_idx) > MAX_LISTED:
        labels.append(f"... {len(missing_idx) - MAX_LISTED} more")
    return labels, total + 1


def _infer_step(stamps: list[_Stamp]) -> tuple[int, str]:
    if len(stamps) < 2:
        return 1, "Y"
    years = [s.year for s in stamps]
    if len(set(years)) == len(years) and all(
        (s.month, s.day) == (stamps[0].month, stamps[0].day) for s in stamps
    ):
        diffs = Counter(b - a for a, b in itertools.pairwise(years))
        return diffs.most_common(1)[0][0], "Y"
    if all(s.day == stamps[0].day and s.key[3:] == stamps[0].key[3:] for s in stamps):
        months = [s.year * 12 + s.month for s in stamps]
        diffs = Counter(b - a for a, b in itertools.pairwise(months))
        return diffs.most_common(1)[0][0], "M"
    diffs = Counter(round(_minutes_between(a, b)) for a, b in itertools.pairwise(stamps))
    return max(1, diffs.most_common(1)[0][0]), "min"


def measure_period(evidence: Evidence, params: Mapping[str, Any], context: Context) -> Measurement:
    """Measure the time coverage of the evidence (see the module's measures).

    Parameters
    ----------
    evidence : Evidence
        ``file``/``files`` (+ ``variable``, ``time_dim``), ``rasters`` (+ ``years``),
        ``years``, ``datetimes``, ``start``/``end``, ``step``.
    params : mapping
        ``measure`` (one of :data:`MEASURES`); ``step`` for ``span`` (e.g. ``"1Y"``).
    context : Context
        Unused (only time coordinates are read).

    Raises
    ------
    EvidenceError
        Unknown measure, no time stamps, undecodable time coordinate.
    """
    measure = params.get("measure")
    if measure not in MEASURES:
        raise EvidenceError(
            f"unknown period measure {measure!r}",
            source=evidence.indicator,
            hint=f"Use one of: {', '.join(MEASURES)}.",
        )
    if measure == "duration":
        return _duration(evidence)
    raw, origin = _collect(evidence)
    if not raw:
        raise _no_times(evidence)
    stamps = _distinct(raw)
    calendars = sorted({s.calendar for s in stamps})
    details: dict[str, Any] = {
        "source": origin,
        "first": stamps[0].label(),
        "last": stamps[-1].label(),
        "n_times": len(stamps),
        "calendar": calendars[0] if len(calendars) == 1 else calendars,
    }
    if len(raw) != len(stamps):
        details["duplicates_ignored"] = len(raw) - len(stamps)
    if measure == "steps":
        return Measurement(
            value=len(stamps),
            unit="count",
            details=details,
            message=f"{len(stamps)} time steps ({details['first']} … {details['last']})",
        )
    if measure == "epochs":
        years = sorted({s.year for s in stamps})
        details["epochs"] = years
        return Measurement(
            value=years,
            unit="year",
            details=details,
            message=f"epochs: {', '.join(map(str, years))}",
        )
    if measure == "step":
        return _finest_step(evidence, stamps, details)
    # span
    declared = params.get("step") or evidence.get("step")
    step = parse_step(declared) if declared else _infer_step(stamps)
    missing, expected = _span(stamps, step)
    first, last = stamps[0].year, stamps[-1].year
    details.update(
        {
            "step": f"{step[0]}{step[1]}" + ("" if declared else " (inferred)"),
            "missing": [int(m) if step[1] == "Y" else m for m in missing],
            "expected_steps": expected,
            "present_steps": expected - len(missing),
            "steps": sorted({s.year for s in stamps})
            if step[1] == "Y"
            else [s.label() for s in stamps[:MAX_LISTED]],
        }
    )
    gap = f", missing {', '.join(map(str, missing[:10]))}" if missing else ", no gaps"
    return Measurement(
        value=[first, last],
        unit="year",
        details=details,
        message=f"{first}–{last} at step {details['step']}{gap}",
        missing=tuple(details["missing"]),
    )


def _finest_step(evidence: Evidence, stamps: list[_Stamp], details: dict[str, Any]) -> Measurement:
    if len(stamps) >= 2:
        diffs = [_minutes_between(a, b) for a, b in itertools.pairwise(stamps)]
        finest = min(diffs)
        details["finest_between"] = [
            stamps[diffs.index(finest)].label(),
            stamps[diffs.index(finest) + 1].label(),
        ]
        details["median_step_min"] = sorted(diffs)[len(diffs) // 2]
        details["method"] = "smallest interval between consecutive distinct time stamps"
        return Measurement(
            value=finest,
            unit="min",
            details=details,
            message=f"finest time step {finest:g} min",
        )
    declared = evidence.get("step")
    if not declared:
        raise EvidenceError(
            "a time step needs at least two time stamps",
            source=evidence.where,
            hint="Deliver the time series (or a sample of consecutive time stamps), or "
            'declare `step = "10min"`.',
        )
    n, unit = parse_step(declared)
    if unit != "min":
        n = n * (525960 if unit == "Y" else 43830)  # 365.25 d, 30.4375 d
    details["method"] = f"declared step {declared!r} (fewer than two time stamps delivered)"
    return Measurement(
        value=float(n), unit="min", details=details, message=f"declared time step {n:g} min"
    )


def _duration(evidence: Evidence) -> Measurement:
    if "start" in evidence and "end" in evidence:
        start = _as_date(evidence.get("start"), "start", evidence.where)
        end = _as_date(evidence.get("end"), "end", evidence.where)
        origin = "declared start/end"
    else:
        raw, origin = _collect(evidence)
        if not raw:
            raise EvidenceError(
                "a duration needs `start` and `end` dates",
                source=evidence.where,
                hint="Write `start = 2026-07-01` and `end = 2029-06-30`.",
            )
        stamps = _distinct(raw)
        start = dt.date(stamps[0].year, stamps[0].month, min(stamps[0].day, 28))
        end = dt.date(stamps[-1].year, stamps[-1].month, min(stamps[-1].day, 28))
    years = calendar_years(start, end)
    days = (end - start).days + 1
    details = {
        "source": origin,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days_inclusive": days,
        "years_365_25": days / 365.25,
        "method": "calendar years, end date inclusive (start to the day after end)",
    }
    return Measurement(
        value=years,
        unit="years",
        details=details,
        message=f"{start.isoformat()} … {end.isoformat()}: {years:.4g} years",
    )
