"""Checksums of evidence files: what a report records about each file it read."""

from __future__ import annotations

import errno
import hashlib
import os
import stat

from geoverify.io.confine import BudgetExceeded, check_deadline, special_kind
from geoverify.model import EvidenceRecord
from geoverify.model.evidence import is_remote

__all__ = ["record", "sha256_file"]

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a local file, streamed in 1 MiB chunks (bounded memory).

    The time budget of the run (:func:`geoverify.io.confine.check_deadline`) is
    checked between chunks, and a special file is refused before it is opened:
    ``open()`` of a FIFO blocks until a writer appears.

    Raises
    ------
    geoverify.errors.EvidenceError
        ``path`` is a FIFO, a device or a socket.
    geoverify.io.confine.BudgetExceeded
        The budget ran out while hashing.
    """
    from geoverify.errors import EvidenceError

    kind = special_kind(os.stat(path).st_mode)
    if kind is not None:
        raise EvidenceError(f"is a {kind}, not a regular file; not read", source=os.fspath(path))
    digest = hashlib.sha256()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)  # non-blocking open: a FIFO swapped in meanwhile cannot hang
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise EvidenceError("is not a regular file; not read", source=os.fspath(path))
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            check_deadline(os.fspath(path))
    return digest.hexdigest()


def record(location: str | os.PathLike[str], *, display: str | None = None) -> EvidenceRecord:
    """An :class:`EvidenceRecord` with the checksum of a local file.

    Remote files are not downloaded only to be hashed: their record says so.
    A local file that does not exist gets ``sha256 = None`` and a note, and so
    do a symbolic-link loop and a special file (FIFO, device, socket), which
    are never opened.
    """
    text = os.fspath(location)
    shown = display or text
    if is_remote(text):
        return EvidenceRecord(shown, None, "remote: read by window, not hashed")
    try:
        info = os.stat(text)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return EvidenceRecord(shown, None, "symlink loop: not read")
        return EvidenceRecord(shown, None, "file not found")
    except ValueError:  # a NUL byte
        return EvidenceRecord(shown, None, "invalid path: not read")
    if stat.S_ISDIR(info.st_mode):
        return EvidenceRecord(shown, None, "directory: not hashed")
    kind = special_kind(info.st_mode)
    if kind is not None:
        return EvidenceRecord(shown, None, f"{kind}: not read")
    try:
        return EvidenceRecord(shown, sha256_file(text))
    except BudgetExceeded:
        raise
    except OSError as exc:
        return EvidenceRecord(shown, None, f"cannot be read ({exc.strerror or exc})")
