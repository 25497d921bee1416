"""Read TOML files and point at the line of a key, for error messages.

``tomllib`` reports syntax errors with a line number but forgets positions once
parsed; :class:`TomlSource` keeps the text and finds the line where a table or a
key is written, so validation errors can say ``file:line: key: problem``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
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
    """A parsed TOML file with its text, to locate keys for error messages."""

    path: Path
    text: str
    data: dict[str, Any]

    def line_of(self, keys: Sequence[str | int]) -> int | None:
        """1-based line where ``keys`` (a path into the document) is written, if found.

        The deepest written prefix of ``keys`` wins: a missing key points at its
        table's header.  An integer in ``keys`` selects the n-th ``[[array]]`` table.
        """
        want = [k for k in keys if isinstance(k, str)]
        index = next((k for k in keys if isinstance(k, int)), None)
        best_len, best_line = 0, None
        table: list[str] = []
        usable = True
        counts: dict[tuple[str, ...], int] = {}
        for number, line in enumerate(self.text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                table = _split_dotted(header.group(2))
                usable = True
                if header.group(1) == "[[":
                    counts[tuple(table)] = counts.get(tuple(table), -1) + 1
                    usable = index is None or counts[tuple(table)] == index
                candidate = table
            else:
                key = _KEY.match(line)
                if key is None:
                    continue
                candidate = [*table, *_split_dotted(key.group(1))]
            if not usable or candidate != want[: len(candidate)]:
                continue
            if len(candidate) > best_len:
                best_len, best_line = len(candidate), number
                if candidate == want:
                    return number
        return best_line

    def where(self, keys: Sequence[str | int]) -> str:
        """``path:line`` (or just ``path``) for a key path."""
        line = self.line_of(keys)
        return f"{self.path}:{line}" if line else str(self.path)


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
