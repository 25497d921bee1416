"""Assertion helpers for tests of geoverify reports (as ``xarray.testing`` for datasets).

Reports are compared as a reviewer would: verdicts, units, counts, strings and
checksums exactly; floats to a stated relative tolerance, because the last
digits of a geodesic area or an estimate move with numpy, PROJ and GDAL
releases while the verdict does not.  The run record (time, command line,
library versions) legitimately differs between runs and is ignored; whether a
run was partial is not: ``summary.partial`` and ``summary.left_out`` are always
compared (:data:`ALWAYS_COMPARED`), even when ``summary`` is in ``ignore``.

>>> from geoverify.testing import assert_reports_equal
>>> assert_reports_equal({"value": 1.0 + 1e-12}, {"value": 1.0})
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ALWAYS_COMPARED", "IGNORED", "RTOL", "assert_reports_equal", "report_differences"]

#: Relative tolerance for floats: ample for geodesic areas and estimates, far
#: below any figure a report shows.
RTOL = 1e-9

#: Top-level report keys that differ between runs by design.
IGNORED = ("run",)

#: Key paths compared whatever ``ignore`` says: a partial run never equals a whole one.
ALWAYS_COMPARED = (("summary", "partial"), ("summary", "left_out"))


_ABSENT = object()


def _where(path: tuple[Any, ...], root: Mapping[str, Any]) -> str:
    """``indicator id`` + key path, e.g. ``night_light.application_area: value``."""
    shown = []
    indicator = None
    if len(path) >= 2 and path[0] == "results" and isinstance(path[1], int):
        results = root.get("results") or []
        if path[1] < len(results) and isinstance(results[path[1]], Mapping):
            indicator = results[path[1]].get("indicator")
        path = path[2:]
    for key in path:
        shown.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    keys = "".join(shown).lstrip(".") or "(top)"
    return f"{indicator}: {keys}" if indicator else keys


def report_differences(
    actual: Any,
    expected: Any,
    *,
    rtol: float = RTOL,
    atol: float = 0.0,
    ignore: Iterable[str] = IGNORED,
) -> list[str]:
    """Every difference between two reports (or any JSON values), one line each.

    Floats (and an int beside a float) are equal within ``rtol`` relative or
    ``atol`` absolute tolerance; everything else — verdicts, strings, integers,
    booleans, checksums, keys, list lengths — must be identical.

    Parameters
    ----------
    actual, expected : JSON values
        Typically two ``report.json`` documents.
    rtol, atol : float
        Tolerances for floats.
    ignore : iterable of str
        Top-level keys left out of the comparison (the run record by default);
        the keys of :data:`ALWAYS_COMPARED` are compared even under an ignored key.

    Returns
    -------
    list of str
        ``"<indicator>: <key path>: <actual> != <expected>"`` lines; empty when equal.
    """
    ignored = set(ignore)
    root = expected if isinstance(expected, Mapping) else {}
    out: list[str] = []

    def walk(a: Any, e: Any, path: tuple[Any, ...]) -> None:
        if isinstance(a, bool) or isinstance(e, bool):
            if a is not e:
                out.append(f"{_where(path, root)}: {a!r} != {e!r}")
            return
        if isinstance(a, int | float) and isinstance(e, int | float):
            if isinstance(a, int) and isinstance(e, int):
                if a != e:
                    out.append(f"{_where(path, root)}: {a!r} != {e!r}")
                return
            if not math.isclose(float(a), float(e), rel_tol=rtol, abs_tol=atol):
                out.append(f"{_where(path, root)}: {a!r} != {e!r} (rtol {rtol:g})")
            return
        if isinstance(a, Mapping) and isinstance(e, Mapping):
            skip = ignored if not path else set()
            keys_a, keys_e = set(a) - skip, set(e) - skip
            for key in sorted(keys_a - keys_e, key=str):
                out.append(f"{_where((*path, key), root)}: unexpected key")
            for key in sorted(keys_e - keys_a, key=str):
                out.append(f"{_where((*path, key), root)}: key missing")
            for key in sorted(keys_a & keys_e, key=str):
                walk(a[key], e[key], (*path, key))
            return
        if isinstance(a, list) and isinstance(e, list):
            if len(a) != len(e):
                out.append(f"{_where(path, root)}: {len(a)} entries != {len(e)}")
                return
            for i, (x, y) in enumerate(zip(a, e, strict=True)):
                walk(x, y, (*path, i))
            return
        if a != e or type(a) is not type(e):
            out.append(f"{_where(path, root)}: {a!r} != {e!r}")

    walk(actual, expected, ())
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        for top, key in ALWAYS_COMPARED:
            if top not in ignored:
                continue  # compared by the walk above
            a = (actual.get(top) or {}).get(key, _ABSENT)
            e = (expected.get(top) or {}).get(key, _ABSENT)
            if a is _ABSENT and e is _ABSENT:
                continue
            if a is _ABSENT or e is _ABSENT:
                out.append(f"{top}.{key}: {'key missing' if a is _ABSENT else 'unexpected key'}")
            else:
                walk(a, e, (top, key))
    return out


def assert_reports_equal(
    actual: Any,
    expected: Any,
    *,
    rtol: float = RTOL,
    atol: float = 0.0,
    ignore: Iterable[str] = IGNORED,
    name: str = "report",
) -> None:
    """Assert two reports are equal as :func:`report_differences` defines it.

    Raises
    ------
    AssertionError
        Naming every difference: the indicator, the key path and both values.
    """
    diffs = report_differences(actual, expected, rtol=rtol, atol=atol, ignore=ignore)
    if diffs:
        shown = "\n  ".join(diffs[:30])
        more = f"\n  … and {len(diffs) - 30} more" if len(diffs) > 30 else ""
        raise AssertionError(f"{name} differs in {len(diffs)} place(s):\n  {shown}{more}")
