"""The registry of check kinds: one line per built-in kind, plus plug-ins.

A check kind is a package ``geoverify/checks/<kind>/`` whose ``__init__``
declares ``SPEC`` (:class:`~geoverify.checks.spec.CheckSpec`).  Adding a kind is
its own package plus one line in :data:`BUILTIN`.  Other distributions add
kinds through the ``geoverify.checks`` entry-point group (as rasterio's ``rio``
commands and xarray's backends do): the entry point names a ``CheckSpec``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from geoverify.checks.spec import CheckSpec
from geoverify.errors import CheckUnavailableError

if TYPE_CHECKING:
    from geoverify.model import Measurement

__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "get_check", "get_spec", "path_keys", "specs"]

#: The built-in check kinds, each a package of :mod:`geoverify.checks`.
BUILTIN = (
    "accuracy",
    "resolution",
    "classes",
    "area",
    "countries",
    "period",
    "burned_area",
    "retrieval",
    "detections",
    "latency",
    "warning",
    "count",
    "share",
)

#: Entry-point group through which other distributions add check kinds.
ENTRY_POINT_GROUP = "geoverify.checks"


@lru_cache(maxsize=1)
def specs() -> Mapping[str, CheckSpec]:
    """Every check kind: the built-in ones, then plug-ins (which cannot replace them)."""
    found: dict[str, CheckSpec] = {}
    for name in BUILTIN:
        spec = importlib.import_module(f"geoverify.checks.{name}").SPEC
        found[spec.kind] = spec
    from importlib.metadata import entry_points  # only when the specs are first needed

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        spec = entry.load()
        if isinstance(spec, CheckSpec) and spec.kind not in found:
            found[spec.kind] = spec
    return found


def get_spec(kind: str) -> CheckSpec:
    """The spec of ``kind``.

    Raises
    ------
    CheckUnavailableError
        When no check of that kind is installed.
    """
    try:
        return specs()[kind]
    except KeyError:
        raise CheckUnavailableError(
            f"check not available: no check of kind {kind!r} "
            f"(known: {', '.join(specs())})"
        ) from None


def get_check(kind: str) -> Callable[..., Measurement]:
    """The measuring function of ``kind`` (imported on first use)."""
    return get_spec(kind).check()


def path_keys() -> frozenset[str]:
    """Every evidence key, of any kind, that names files (items may be checked by any kind)."""
    keys: set[str] = {"file"}  # a listed item's proof file
    for spec in specs().values():
        keys |= spec.path_keys
    return frozenset(keys)
