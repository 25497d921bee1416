"""Point sources detected per orbit, from a detection catalogue.

The catalogue (evidence key ``detections``; CSV, Parquet or NetCDF) has one row
per candidate source in an orbit, with columns ``orbit``, ``source_id``,
``lon``, ``lat``, ``detected`` (true/false, 1/0, yes/no) and optionally
``emission`` (quantified emission rate, e.g. t/h).  The count of an orbit is
the number of *distinct* ``source_id`` detected in it: a source detected twice
in one orbit (two overlapping scenes, two plumes of one stack) counts once.

The call asks for "不少于10个点源" detected in a single orbit: the verdict uses the
best single orbit (its count is the measured value); the distribution over
orbits is reported alongside so a reviewer can see how typical that orbit is.
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

__all__ = ["count_per_orbit", "measure_detections", "parse_detected"]

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def parse_detected(values: pd.Series, *, source: str | None = None) -> np.ndarray:
    """The ``detected`` column as booleans (true/false, 1/0, yes/no).

    Raises
    ------
    EvidenceError
        For empty or other values (a detection flag is not guessed).
    """
    if values.dtype == bool:
        return values.to_numpy(dtype=bool)
    text = values.astype("string").str.strip().str.lower()
    truth = text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)
    false = text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)
    bad = ~(truth | false)
    if bad.any():
        rows = ", ".join(str(int(i) + 1) for i in np.flatnonzero(bad)[:8])
        raise EvidenceError(
            f"unreadable 'detected' values in rows {rows} ({int(bad.sum())} in all)",
            source=source,
            hint="Write true/false (or 1/0) for every candidate source.",
        )
    return truth


def count_per_orbit(frame: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """Distinct detected sources per orbit.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``orbit``, ``source_id``, ``detected`` (and optionally ``emission``).

    Returns
    -------
    pandas.DataFrame
        Indexed by orbit (as text, sorted), columns ``detected`` (distinct sources
        detected), ``rows`` (rows of that orbit), ``duplicates`` (repeated
        detections of one source, not counted) and ``quantified`` (distinct
        detected sources with a finite emission).  Orbits listed with no
        detection count 0.
    """
    missing = [c for c in ("orbit", "source_id", "detected") if c not in frame]
    if missing:
        raise EvidenceError(
            f"the detection catalogue has no {', '.join(repr(c) for c in missing)} column",
            source=source,
            hint="Columns needed: orbit, source_id, lon, lat, detected (emission optional). "
            f"Found: {', '.join(map(str, frame.columns))}.",
        )
    for column in ("orbit", "source_id"):
        empty = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if empty.any():
            rows = ", ".join(str(int(i) + 1) for i in np.flatnonzero(empty.to_numpy())[:8])
            raise EvidenceError(
                f"empty {column!r} in rows {rows}",
                source=source,
                hint=f"Give every row its {column}.",
            )
    data = pd.DataFrame(
        {
            "orbit": frame["orbit"].astype(str).str.strip(),
            "source_id": frame["source_id"].astype(str).str.strip(),
            "detected": parse_detected(frame["detected"], source=source),
        }
    )
    if "emission" in frame:
        data["emission"] = pd.to_numeric(frame["emission"], errors="coerce")
    else:
        data["emission"] = np.nan
    hits = data[data["detected"]]
    distinct = hits.drop_duplicates(["orbit", "source_id"])
    quantified = hits[np.isfinite(hits["emission"])].drop_duplicates(["orbit", "source_id"])
    orbits = sorted(data["orbit"].unique())
    out = pd.DataFrame(index=pd.Index(orbits, name="orbit"))
    out["detected"] = distinct.groupby("orbit").size().reindex(orbits, fill_value=0)
    out["rows"] = data.groupby("orbit").size().reindex(orbits, fill_value=0)
    out["duplicates"] = hits.groupby("orbit").size().reindex(orbits, fill_value=0) - out["detected"]
    out["quantified"] = quantified.groupby("orbit").size().reindex(orbits, fill_value=0)
    return out.astype("int64")


def measure_detections(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> Measurement:
    """Number of point sources detected in the best single orbit.

    Parameters
    ----------
    evidence : Evidence
        Key ``detections``: the detection catalogue (CSV, Parquet or NetCDF).
    params : Mapping
        Unused (the catalogue gives none for this kind).
    context : Context
        Unused.

    Returns
    -------
    Measurement
        ``value`` = distinct sources detected in the best orbit (unit ``count``);
        ``details``: ``best_orbit`` (ties: every orbit with the best count in
        ``best_orbits``), ``per_orbit`` counts, ``min``/``median``/``max`` over
        orbits, duplicates removed, distinct sources over all orbits.

    Raises
    ------
    EvidenceError, EvidenceReadError
        For a missing/unreadable catalogue, missing columns, empty ids or
        unreadable detection flags.
    """
    del params, context
    location = evidence.location("detections")
    assert location is not None
    shown = evidence.display(location)
    frame = read_table(location, display=shown)
    table = count_per_orbit(frame, source=shown)
    counts = table["detected"]
    best = int(counts.max())
    best_orbits = [str(o) for o in counts.index[counts == best]]
    hits = parse_detected(frame["detected"], source=shown)
    n_sources = int(frame.loc[hits, "source_id"].astype(str).str.strip().nunique())
    duplicates = int(table["duplicates"].sum())
    details: dict[str, Any] = {
        "rule": "the verdict uses the best single orbit (distinct sources detected in it); "
        "duplicate detections of one source in one orbit count once",
        "best_orbit": best_orbits[0],
        "best_orbits": best_orbits,
        "n_orbits": len(table),
        "min": int(counts.min()),
        "median": float(np.median(counts.to_numpy())),
        "max": best,
        "per_orbit": {str(k): int(v) for k, v in counts.items()},
        "duplicates_removed": duplicates,
        "distinct_sources_detected": n_sources,
        "quantified_in_best_orbit": int(table.loc[best_orbits[0], "quantified"]),
    }
    message = (
        f"{best} distinct point sources detected in the best orbit ({best_orbits[0]}); "
        f"over {len(table)} orbits the count ranges {details['min']}–{best} "
        f"(median {details['median']:g}); the verdict uses the best single orbit"
    )
    if duplicates:
        message += f"; {duplicates} duplicate detections of a source within an orbit counted once"
    return Measurement(value=best, unit="count", n=len(table), details=details, message=message)
