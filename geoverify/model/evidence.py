"""A submission and its evidence, as data: what each indicator is given to be checked on.

Plain objects; loading and validating the manifest is
:mod:`geoverify.config.submission`'s job.  Every local path is confined to the
submission folder (:func:`resolve_location`).
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError

if TYPE_CHECKING:
    from geoverify.model.catalogue import Catalogue


#: Keys in a listed item that can prove it.
ITEM_PROOF_KEYS = ("file", "url", "doi")


@dataclass(frozen=True)
class Evidence:
    """The evidence a submission gives for one indicator (or one listed item).

    Checks read their inputs from here: :meth:`location` resolves a path key
    to an absolute local path (inside the submission folder) or a URL.
    """

    indicator: str
    base: Path
    options: Mapping[str, Any]
    where: str
    items: tuple[Evidence, ...] = ()
    #: which option keys name files or URLs (from the check kinds' specs); they
    #: are confined to the submission folder and checksummed
    path_keys: frozenset[str] = frozenset()

    def __contains__(self, key: object) -> bool:
        return key in self.options

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)

    def require(self, key: str) -> Any:
        """The value of ``key``, or an :class:`EvidenceError` saying it is needed."""
        if key not in self.options:
            raise EvidenceError(
                f"the evidence has no {key!r}",
                source=self.where,
                hint=f"Add `{key} = ...` to the evidence of {self.indicator}.",
            )
        return self.options[key]

    def location(self, key: str, *, required: bool = True) -> str | None:
        """The resolved path or URL given under ``key``."""
        value = self.options.get(key)
        if value is None:
            if required:
                self.require(key)
            return None
        if not isinstance(value, str):
            raise EvidenceError(
                f"{key!r} must be a single path, got {type(value).__name__}",
                source=self.where,
                hint=f"Use `{key}s = [...]` for several files.",
            )
        return resolve_location(self.base, value)

    def locations(self, key: str) -> list[str]:
        """The resolved paths given under ``key`` (a string or a list of strings)."""
        value = self.options.get(key)
        if value is None:
            return []
        values = [value] if isinstance(value, str) else list(value)
        return [resolve_location(self.base, v) for v in values]

    def files(self) -> list[tuple[str, str]]:
        """Every file or URL this evidence names, as ``(shown, resolved)`` pairs.

        Used for the report's provenance (checksums of what was verified).
        """
        out: list[tuple[str, str]] = []
        for key, value in self.options.items():
            if key not in self.path_keys:
                continue
            for shown in [value] if isinstance(value, str) else list(value):
                if isinstance(shown, str):
                    out.append((shown, resolve_location(self.base, shown)))
        budget = self.options.get("budget")  # a budget table given as a file
        budget_file = budget.get("file") if isinstance(budget, dict) else budget
        if isinstance(budget_file, str):
            out.append((budget_file, resolve_location(self.base, budget_file)))
        for item in self.items:
            out.extend(item.files())
        return out

    def display(self, location: str) -> str:
        """``location`` relative to the submission folder where possible."""
        if is_remote(location) or self.base == Path(self.base.anchor):
            return location  # ad-hoc commands use the filesystem root as their "folder"
        try:
            return Path(location).relative_to(self.base).as_posix()
        except ValueError:
            return location


def resolve_location(base: Path, value: str) -> str:
    """Resolve a manifest path against ``base``; URLs pass through.

    Symbolic links are resolved before the confinement test, so a link inside
    the folder that points outside is refused like a ``../`` path.

    Raises
    ------
    EvidenceError
        If the path holds a NUL byte, uses an unsupported URL scheme, runs into
        a symbolic-link loop, or leaves the submission folder.
    """
    if is_remote(value):
        if "\x00" in value:
            raise EvidenceError(
                f"the URL {value!r} contains a NUL byte", hint="Remove it from the manifest."
            )
        return value
    if "\x00" in value:
        raise EvidenceError(
            f"the path {value!r} contains a NUL byte",
            hint="Remove the control character from the path in the manifest.",
        )
    if re.match(r"^[a-z][a-z0-9+.-]*://", value):
        raise EvidenceError(
            f"unsupported URL scheme in {value!r}",
            hint="Use a path relative to the submission, or an http(s) URL.",
        )
    if value.startswith("/vsi"):
        raise EvidenceError(
            f"GDAL virtual file system paths ({value!r}) are not read",
            hint="Use a path relative to the submission, or an http(s) URL.",
        )
    candidate = Path(value)
    full = candidate if candidate.is_absolute() else base / candidate
    try:
        resolved = Path(os.path.realpath(full, strict=False))
        base_real = Path(os.path.realpath(base))
    except (OSError, ValueError) as exc:
        raise EvidenceError(
            f"path {value!r} cannot be resolved ({exc})",
            hint="Fix the path in the manifest.",
        ) from None
    if resolved != base_real and base_real not in resolved.parents:
        if _loops(full):
            raise EvidenceError(
                f"path {value!r} is a symlink loop",
                hint="Replace the symbolic links by the file itself.",
            )
        raise EvidenceError(
            f"path {value!r} leaves the submission folder",
            hint="Put the evidence inside the submission's folder and refer to it relatively.",
        )
    return str(resolved)


def _loops(path: Path) -> bool:
    """True when resolving ``path`` runs into a symbolic-link loop."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    except ValueError:
        return False
    return False


@dataclass(frozen=True)
class Submission:
    """A validated submission manifest."""

    path: Path
    project: Mapping[str, Any]
    directions: tuple[str, ...]
    evidence: Mapping[str, Evidence] = field(default_factory=dict)

    @property
    def base(self) -> Path:
        return self.path.parent

    @property
    def title(self) -> str:
        return str(self.project.get("title", ""))

    def __iter__(self) -> Iterator[Evidence]:
        return iter(self.evidence.values())

    def indicators(self, catalogue: Catalogue) -> list[str]:
        """Ids to evaluate: every indicator of the claimed and the common directions."""
        wanted = list(self.directions) + [
            d for d in catalogue.common_directions() if d not in self.directions
        ]
        return [i.id for d in wanted for i in catalogue.for_direction(d)]


def is_remote(location: str | os.PathLike[str]) -> bool:
    """True for http(s) URLs."""
    text = os.fspath(location)
    return text.startswith(("http://", "https://"))
