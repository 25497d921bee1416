"""Small helpers the readers of :mod:`geoverify.io` share: messages and the missing-file check."""

from __future__ import annotations

from pathlib import Path

from geoverify.errors import EvidenceReadError
from geoverify.model.evidence import is_remote

__all__ = ["NOT_FOUND_HINT", "check_local", "first_line"]

#: Hint for a local file that does not exist (read right in a submission and ad hoc).
NOT_FOUND_HINT = "Check the path (in a submission, paths are relative to the submission file)."


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type when the message is empty)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def check_local(path: str) -> None:
    """Raise :class:`EvidenceReadError` ``file not found`` for a local path that does not exist."""
    if not is_remote(path) and not Path(path).exists():
        raise EvidenceReadError("file not found", source=path, hint=NOT_FOUND_HINT)
