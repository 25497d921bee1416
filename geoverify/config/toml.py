"""Read TOML files and point at the line of a key, for error messages.

``tomllib`` reports syntax errors with a line number but forgets positions once
parsed; :class:`TomlSource` keeps the text and finds the line where a table or a
key is written, so validation errors can say ``file:line: key: problem``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoverify.errors import GeoverifyError

__all__ = ["TomlSource", "load_toml"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]+"|'[^']+'|[A-Za-z0-9_\-]+)\s*=""")


def _split_dotted(text: str) -> list[str]:
    parts: list[str] = []
    for match in re.finditer(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', text):
        parts.append(next(g for g in match.groups() if g is not None))
    return parts


@dataclass(frozen=True)
class TomlSource:
    """A parsed TOML file with its text, to locate keys for error messages.

    The text is indexed once, on the first lookup (every table header and key
    line with the key path it writes), so each :meth:`line_of` costs a few
    dictionary lookups: locating every item of a manifest of thousands of
    listed items stays linear in the file's size.
    """

    path: Path
    text: str
    data: dict[str, Any]
    _index: dict[tuple[str, ...], list[tuple[int, int | None]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _firsts: dict[tuple[str, ...], dict[int | None, int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def _lines(self) -> dict[tuple[str, ...], list[tuple[int, int | None]]]:
        """``key path -> [(line, n-th [[array]] table or None), ...]`` in file order."""
        if self._index:
            return self._index
        index = self._index
        table: list[str] = []
        ordinal: int | None = None
        counts: dict[tuple[str, ...], int] = {}
        for number, line in enumerate(self.text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                table = _split_dotted(header.group(2))
                ordinal = None
                if header.group(1) == "[[":
                    counts[tuple(table)] = counts.get(tuple(table), -1) + 1
                    ordinal = counts[tuple(table)]
                candidate = table
            else:
                key = _KEY.match(line)
                if key is None:
                    continue
                candidate = [*table, *_split_dotted(key.group(1))]
            index.setdefault(tuple(candidate), []).append((number, ordinal))
        index.setdefault((), [])
        return index

    def line_of(self, keys: Sequence[str | int]) -> int | None:
        """1-based line where ``keys`` (a path into the document) is written, if found.

        The deepest written prefix of ``keys`` wins: a missing key points at its
        table's header.  An integer in ``keys`` selects the n-th ``[[array]]`` table.
        """
        want = tuple(k for k in keys if isinstance(k, str))
        index = next((k for k in keys if isinstance(k, int)), None)
        lines = self._lines()
        for length in range(len(want), 0, -1):
            entries = lines.get(want[:length])
            if not entries:
                continue
            if index is None:
                return entries[0][0]
            usable = [
                line
                for line in (self._first(want[:length], None), self._first(want[:length], index))
                if line is not None
            ]
            if usable:
                return min(usable)
        return None

    def _first(self, keys: tuple[str, ...], ordinal: int | None) -> int | None:
        """First line writing ``keys`` in the ``ordinal``-th array table (None: outside one)."""
        first = self._firsts.get(keys)
        if first is None:  # built once per key path: {ordinal: first line}
            first = self._firsts[keys] = {}
            for number, found in self._index.get(keys, ()):
                first.setdefault(found, number)
        return first.get(ordinal)

    def where(self, keys: Sequence[str | int]) -> str:
        """``path:line`` (or just ``path``) for a key path."""
        line = self.line_of(keys)
        return f"{self.path}:{line}" if line else str(self.path)


def _deep_line(text: str, depth: int = 100) -> int | None:
    """The line where brackets first nest ``depth`` levels deep (strings skipped roughly)."""
    level, line, quote = 0, 1, ""
    for char in text:
        if char == "\n":
            line += 1
        elif quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            level += 1
            if level >= depth:
                return line
        elif char in "]}":
            level -= 1
    return None


def load_toml(path: str | Path, error: type[GeoverifyError]) -> TomlSource:
    """Read and parse a TOML file, raising ``error`` with the file and line on failure."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error("file not found", source=str(path), hint="Check the path.") from None
    except OSError as exc:
        raise error(f"cannot be read ({exc.strerror})", source=str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"is not UTF-8 text (byte {exc.start})",
            source=str(path),
            hint="Save the file as UTF-8.",
        ) from None
    try:
        data = tomllib.loads(text)
    except RecursionError:
        line = _deep_line(text)
        raise error(
            "is not usable TOML: its arrays or inline tables are nested too deeply to read",
            source=f"{path}:{line}" if line else str(path),
            hint="Flatten the nesting (a manifest needs a few levels, not thousands).",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{match.group(1)}" if match else str(path)
        reason = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        raise error(
            f"is not valid TOML: {reason}",
            source=where,
            hint="Fix the syntax at that line (see https://toml.io).",
        ) from None
    return TomlSource(path, text, data)
