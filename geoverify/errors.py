"""Exceptions raised by geoverify.

Every error is a :class:`GeoverifyError` and also inherits the built-in it
resembles, so ``except ValueError`` keeps working for callers who do not know
geoverify (the rasterio convention).  Messages say which file, what is wrong
and what to do: ``str(err)`` is meant to be shown to a user as it is.
"""

from __future__ import annotations

__all__ = [
    "CatalogueError",
    "CheckUnavailableError",
    "EvidenceError",
    "EvidenceReadError",
    "GeoverifyError",
    "SubmissionError",
    "UnitError",
]


class GeoverifyError(Exception):
    """Root of all geoverify errors.

    Parameters
    ----------
    problem : str
        What is wrong, in one sentence.
    source : str, optional
        The file, URL or key the problem is about.
    hint : str, optional
        What the user can do about it.
    """

    def __init__(self, problem: str, *, source: str | None = None, hint: str | None = None):
        self.problem = problem
        self.source = source
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        text = f"{self.source}: {self.problem}" if self.source else self.problem
        if self.hint:
            text = f"{text.rstrip('.')}. {self.hint}"
        return text


class CatalogueError(GeoverifyError, ValueError):
    """The indicator catalogue is unreadable or invalid."""


class SubmissionError(GeoverifyError, ValueError):
    """The submission manifest is unreadable or invalid."""


class EvidenceError(GeoverifyError, ValueError):
    """A piece of evidence was given but cannot be used (wrong CRS, empty sample, ...)."""


class EvidenceReadError(GeoverifyError, OSError):
    """A piece of evidence could not be read (missing, corrupt, unreachable)."""


class UnitError(GeoverifyError, ValueError):
    """Two quantities have units that cannot be compared or converted."""


class CheckUnavailableError(GeoverifyError, LookupError):
    """The check kind an indicator needs is not part of this geoverify version."""


class MissingDependencyError(GeoverifyError, ImportError):
    """An optional part of geoverify is used without its extra installed."""


def require(module: str, extra: str, what: str) -> None:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install.

    >>> require("json", "stac", "STAC evidence")
    """
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"{what} needs the Python package {module!r}, which is not installed",
            hint=f"Install it with: pip install 'geoverify[{extra}]'",
        ) from None
