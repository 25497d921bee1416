"""Confinement and time budget of every read: nothing outside the submission, nothing forever.

A run evaluates each indicator inside a :func:`confined` scope that says

- ``root``: the submission folder.  Every local path a reader opens, and every
  file a file refers to (GDAL VRT sources, OGR VRT data sources, NetCDF-4/HDF5
  external links, external storage and virtual-dataset sources, sidecar files
  such as ``.aux.xml`` or ``.ovr``, symbolic links inside a Zarr store), must
  lie inside it once symbolic links are resolved;
- ``hosts``: the network locations (``host:port``) the manifest names.  URLs,
  HTTP redirects, STAC ``next`` links and asset hrefs may only go there;
- ``deadline``: when the indicator's time budget ends.  HTTP connect and read
  timeouts, GDAL's ``GDAL_HTTP_*`` limits and the number of retries are bounded
  by what is left of it (:func:`http_timeout`, :func:`gdal_http_options`), and
  long loops call :func:`check_deadline`.

Special files (FIFOs, character and block devices, sockets) are refused before
a single byte is read: reading a FIFO blocks forever.  Outside a scope (a
library call, an ad-hoc command on one file) only those checks that need no
root or host list apply: NUL bytes, symbolic-link loops and special files.

Every refusal is an :class:`~geoverify.errors.EvidenceError` (or, for time, an
:class:`~geoverify.errors.EvidenceReadError`) naming the file, the reference it
holds and the cause.
"""

from __future__ import annotations

import contextvars
import errno
import functools
import math
import os
import re
import stat
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoverify.errors import EvidenceError, EvidenceReadError

__all__ = [
    "DEFAULT_TIMEOUT",
    "BudgetExceeded",
    "Scope",
    "check_deadline",
    "check_location",
    "check_path_text",
    "check_scan_size",
    "check_url",
    "confined",
    "current",
    "deadline_checker",
    "gdal_http_options",
    "guarded_session",
    "host_of",
    "http_timeout",
    "named_hosts",
    "preflight_url",
    "remaining",
    "special_kind",
]

#: Default per-indicator time budget of a run, in seconds (``geoverify verify --timeout``).
DEFAULT_TIMEOUT = 300.0

#: Connect and read timeouts of one HTTP request when the budget leaves more time.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 20.0

#: How deep file references are followed (a VRT of VRTs ...).
_MAX_DEPTH = 8
#: Entries of a Zarr store (or HDF5 objects) examined at most: the check stays bounded.
_MAX_ENTRIES = 20_000
#: Largest VRT parsed for its references (bytes).
_MAX_VRT_BYTES = 64 << 20

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_SIDECARS = (".aux.xml", ".ovr", ".msk", ".aux", ".rrd", ".imd", ".rpb", ".xml")
_STEM_SIDECARS = (
    ".tfw", ".tifw", ".wld", ".prj", ".shx", ".dbf", ".cpg", ".qix", ".sbn", ".sbx", ".aux",
)  # fmt: skip
_SUBDATASET = re.compile(r'^(?P<driver>[A-Za-z0-9_]{2,}):(?:"(?P<quoted>[^"]+)"|(?P<plain>[^"]*))')
_ARCHIVES = ("/vsizip/", "/vsigzip/", "/vsitar/", "/vsi7z/", "/vsirar/")


@dataclass(frozen=True)
class Scope:
    """What reads may reach: a root folder, named hosts, and a deadline (``time.monotonic``)."""

    root: Path | None = None
    hosts: frozenset[str] | None = None
    deadline: float | None = None
    budget: float | None = None


_SCOPE: contextvars.ContextVar[Scope | None] = contextvars.ContextVar(
    "geoverify_scope", default=None
)


class BudgetExceeded(EvidenceReadError):
    """The indicator's time budget ran out while reading."""


@contextmanager
def confined(
    root: str | os.PathLike[str] | None = None,
    hosts: Iterable[str] | None = None,
    timeout: float | None = None,
) -> Iterator[Scope]:
    """Run the enclosed reads confined to ``root`` and ``hosts`` and within ``timeout`` seconds.

    Arguments left ``None`` inherit the enclosing scope's.  Contexts are per
    thread: a worker thread enters its own scope.
    """
    outer = _SCOPE.get()
    deadline = outer.deadline if outer else None
    budget = outer.budget if outer else None
    if timeout is not None:
        mine = time.monotonic() + timeout
        deadline = mine if deadline is None else min(deadline, mine)
        budget = timeout
    scope = Scope(
        root=Path(os.path.realpath(root)) if root is not None else (outer.root if outer else None),
        hosts=frozenset(h.lower() for h in hosts)
        if hosts is not None
        else (outer.hosts if outer else None),
        deadline=deadline,
        budget=budget,
    )
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def current() -> Scope | None:
    """The scope in force in this thread, if any."""
    return _SCOPE.get()


def remaining() -> float | None:
    """Seconds left of the budget (``None`` without one; never negative)."""
    scope = _SCOPE.get()
    if scope is None or scope.deadline is None:
        return None
    return max(0.0, scope.deadline - time.monotonic())


def check_deadline(what: str | None = None) -> None:
    """Raise :class:`BudgetExceeded` when the budget has run out."""
    scope = _SCOPE.get()
    if scope is None or scope.deadline is None or time.monotonic() < scope.deadline:
        return
    raise BudgetExceeded(
        f"timed out after {scope.budget:g} s",
        source=what,
        hint="Give the indicator more time with --timeout SECONDS, or deliver smaller files.",
    )


def deadline_checker(what: str | None = None) -> Callable[[], None]:
    """A :func:`check_deadline` bound to this thread's scope, callable from worker threads.

    Context variables do not follow work into a thread pool; a scan hands its
    decoding threads this function instead.
    """
    scope = _SCOPE.get()

    def check() -> None:
        if scope is None or scope.deadline is None or time.monotonic() < scope.deadline:
            return
        raise BudgetExceeded(
            f"timed out after {scope.budget:g} s",
            source=what,
            hint="Give the indicator more time with --timeout SECONDS, or deliver smaller files.",
        )

    return check


def http_timeout(
    connect: float = CONNECT_TIMEOUT, read: float = READ_TIMEOUT
) -> tuple[float, float]:
    """``(connect, read)`` timeouts of one HTTP request, bounded by the remaining budget."""
    left = remaining()
    if left is None:
        return connect, read
    left = max(left, 0.05)
    return min(connect, left), min(read, left)


def gdal_http_options() -> dict[str, Any]:
    """GDAL's HTTP limits bounded by the remaining budget (``{}`` without a budget).

    ``GDAL_HTTP_TIMEOUT`` (whole request), ``GDAL_HTTP_CONNECTTIMEOUT`` and
    ``GDAL_HTTP_MAX_RETRY``: a retry is allowed only while the budget still holds
    a full attempt.
    """
    left = remaining()
    if left is None:
        return {}
    total = max(1, min(int(READ_TIMEOUT), math.floor(left)))
    connect = max(1, min(int(CONNECT_TIMEOUT), total))
    retries = max(0, min(2, math.floor(left / (total + 0.5)) - 1))
    return {
        "GDAL_HTTP_TIMEOUT": total,
        "GDAL_HTTP_CONNECTTIMEOUT": connect,
        "GDAL_HTTP_MAX_RETRY": retries,
        "GDAL_VRT_ENABLE_PYTHON": "NO",
    }


# --------------------------------------------------------------------------- hosts and URLs


def host_of(url: str) -> str:
    """``host:port`` of an http(s) URL, lower-case, with the scheme's default port made explicit."""
    parsed = urllib.parse.urlsplit(url)
    host = (parsed.hostname or "").lower()
    try:
        port = parsed.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parsed.scheme == "https" else 80
    return f"{host}:{port}"


def named_hosts(value: Any) -> frozenset[str]:
    """Every ``host:port`` of the http(s) URLs found in ``value`` (nested tables and lists)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            for match in re.finditer(r"https?://[^\s\"'<>]+", item):
                found.add(host_of(match.group(0)))
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return frozenset(found)


def check_url(url: str, *, source: str | None = None, what: str = "URL") -> None:
    """Refuse a URL whose host the manifest does not name (inside a scope with hosts)."""
    scope = _SCOPE.get()
    if scope is None or scope.hosts is None:
        return
    if not url.startswith(("http://", "https://")):
        raise EvidenceError(
            f"{what} {url!r} is not an http(s) URL",
            source=source or url,
            hint="Only files inside the submission and http(s) URLs are read.",
        )
    host = host_of(url)
    if host not in scope.hosts:
        named = ", ".join(sorted(scope.hosts)) or "none"
        raise EvidenceError(
            f"{what} {url!r} goes to {host}, a host the manifest does not name "
            f"(named: {named}); refused",
            source=source or url,
            hint="Name the host in the manifest (a URL on it), or deliver the file locally.",
        )


def _requests_timeout_error(exc: BaseException) -> bool:
    import requests

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, requests.exceptions.Timeout | TimeoutError):
            return True
        if "timed out" in str(cause).lower():
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def preflight_url(url: str, *, source: str | None = None, redirects: int = 5) -> None:
    """Ask for one byte of ``url`` before GDAL or pandas read it, within the budget.

    Redirects are followed by hand so that each hop's host is checked
    (:func:`check_url`); a server that accepts and never answers costs one
    bounded timeout, not GDAL's retries.  HTTP errors are left to the reader,
    whose message is more specific.

    Raises
    ------
    EvidenceError
        A hop goes to a host the manifest does not name.
    EvidenceReadError
        No answer within the timeout, or too many redirects.
    """
    import requests

    shown = source or url
    target = url
    check_url(target, source=shown)
    for _ in range(redirects + 1):
        check_deadline(shown)
        timeout = http_timeout()
        try:
            with requests.get(
                target,
                headers={"Range": "bytes=0-0"},
                stream=True,
                allow_redirects=False,
                timeout=timeout,
            ) as resp:
                status, location = resp.status_code, resp.headers.get("Location")
        except Exception as exc:  # requests raises many types for broken transfers
            if _requests_timeout_error(exc):
                raise EvidenceReadError(
                    f"the server did not answer within {max(timeout):.3g} s",
                    source=shown,
                    hint="The server accepts connections but does not answer; try again later.",
                ) from None
            return  # refused, unknown host ...: the reader's own error says it better
        if status not in (301, 302, 303, 307, 308) or not location:
            return
        target = urllib.parse.urljoin(target, location)
        check_url(target, source=shown, what="redirect to")
    raise EvidenceReadError(
        f"more than {redirects} redirects", source=shown, hint="Give the final URL."
    )


@functools.cache
def _adapter_class() -> type:
    import requests
    from requests.adapters import HTTPAdapter

    class GuardedAdapter(HTTPAdapter):
        """Each request (redirects included) to a named host, with a total deadline."""

        def send(  # type: ignore[override]
            self, request: Any, stream: bool = False, timeout: Any = None, **kwargs: Any
        ) -> Any:
            url = str(request.url)
            check_url(url, what="request to")
            check_deadline(url)
            connect, read = http_timeout()
            if isinstance(timeout, tuple):
                connect, read = min(connect, timeout[0] or connect), min(read, timeout[1] or read)
            elif isinstance(timeout, int | float):
                connect, read = min(connect, timeout), min(read, timeout)
            total = read if remaining() is None else min(read, remaining() or 0.05)
            limit = time.monotonic() + max(total, 0.05)
            resp = super().send(request, stream=True, timeout=(connect, read), **kwargs)
            if stream:
                return resp
            chunks = []
            try:
                reader = getattr(resp.raw, "read1", None) or resp.raw.read
                while True:
                    if time.monotonic() > limit:
                        raise requests.exceptions.ReadTimeout(
                            f"{url}: read timed out: the whole answer took more than {total:g} s",
                            request=request,
                        )
                    chunk = reader(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
            except requests.exceptions.RequestException:
                resp.close()
                raise
            except Exception as exc:
                resp.close()
                if _requests_timeout_error(exc):
                    raise requests.exceptions.ReadTimeout(str(exc), request=request) from None
                raise requests.exceptions.ConnectionError(str(exc), request=request) from None
            resp._content = b"".join(chunks)
            resp._content_consumed = True
            resp.close()
            return resp

    return GuardedAdapter


def guarded_session(session: Any = None, **adapter_options: Any) -> Any:
    """A :class:`requests.Session` whose requests are confined to named hosts and bounded in time.

    Every request, each redirect included, is checked against the scope's hosts,
    has its connect and read timeouts bounded by the remaining budget, and must
    deliver its whole body within the read timeout (a server dripping one byte
    a second does not restart the clock).
    """
    import requests

    session = session if session is not None else requests.Session()
    adapter = _adapter_class()(**adapter_options)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# --------------------------------------------------------------------------- local paths


def check_path_text(value: str, *, source: str | None = None) -> None:
    """Refuse a path with a NUL byte (no file system allows one)."""
    if "\x00" in value:
        raise EvidenceError(
            f"the path {value!r} contains a NUL byte",
            source=source,
            hint="Remove the control character from the path in the manifest.",
        )


def special_kind(mode: int) -> str | None:
    """``"FIFO (named pipe)"``, ``"character device"``... for a special file's mode, else None."""
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return None


def _stat(path: str, shown: str) -> os.stat_result | None:
    """``os.stat`` with loops and special files refused; ``None`` when nothing is there."""
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise EvidenceReadError(
                "symlink loop: the path's symbolic links point at each other",
                source=shown,
                hint="Replace the symbolic links by the file itself.",
            ) from None
        if exc.errno == errno.ENAMETOOLONG:
            raise EvidenceError("the path is too long", source=shown) from None
        if os.path.islink(path):
            raise EvidenceReadError(
                f"broken symbolic link (to {os.readlink(path)!r})",
                source=shown,
                hint="Replace the symbolic link by the file itself.",
            ) from None
        return None
    kind = special_kind(info.st_mode)
    if kind is not None:
        raise EvidenceError(
            f"is a {kind}, not a regular file; refused before reading (reading it could block)",
            source=shown,
            hint="Deliver the data as a regular file.",
        )
    return info


def _inside(path: str, root: Path) -> bool:
    real = Path(os.path.realpath(path))
    return real == root or root in real.parents


def check_location(
    location: str | os.PathLike[str],
    *,
    source: str | None = None,
    preflight: bool = True,
) -> None:
    """Check a location before a reader opens it: confinement, special files, references.

    Parameters
    ----------
    location : path or URL
        What the reader is about to open (a path, an http(s) URL, or a GDAL name
        such as ``/vsicurl/URL`` or ``NETCDF:"path":var``).
    source : str, optional
        How to name it in messages (default: ``location``).
    preflight : bool
        Inside a scope, ask a remote server for one byte first (:func:`preflight_url`).

    Raises
    ------
    EvidenceError
        A NUL byte, a path or a reference leaving the submission, a host the
        manifest does not name, a special file, a Python pixel function.
    EvidenceReadError
        A symlink loop, or a server that does not answer within the budget.
    """
    text = os.fspath(location)
    _check(text, source or text, depth=0, preflight=preflight, seen=set())


def _check(text: str, shown: str, *, depth: int, preflight: bool, seen: set[str]) -> None:
    check_path_text(text, source=shown)
    if depth > _MAX_DEPTH:
        raise EvidenceError(
            f"file references nest more than {_MAX_DEPTH} levels deep",
            source=shown,
            hint="Flatten the VRT.",
        )
    scope = _SCOPE.get()
    if text.startswith(("http://", "https://")):
        check_url(text, source=shown)
        if preflight and scope is not None and scope.hosts is not None:
            preflight_url(text, source=shown)
        return
    if text.startswith("/vsi"):
        _check_vsi(text, shown, depth=depth, preflight=preflight, seen=seen)
        return
    match = _SUBDATASET.match(text)
    if match and not os.path.exists(text) and len(match.group("driver")) > 1:
        inner = match.group("quoted") or match.group("plain") or ""
        if match.group("plain") is not None:
            inner = inner.split(":")[0] if not inner.startswith("/vsi") else inner
        _check(inner, shown, depth=depth, preflight=preflight, seen=seen)
        return
    _check_local(text, shown, depth=depth, preflight=preflight, seen=seen)


def _check_vsi(text: str, shown: str, *, depth: int, preflight: bool, seen: set[str]) -> None:
    if text.startswith("/vsicurl/"):
        url = text[len("/vsicurl/") :]
        if url.startswith("{") or "url=" in url.split("?")[0]:
            raise EvidenceError(
                f"/vsicurl/ with options ({text!r}) is not read", source=shown, hint="Give the URL."
            )
        _check(url, shown, depth=depth, preflight=preflight, seen=seen)
        return
    for prefix in _ARCHIVES:
        if text.startswith(prefix):
            inner = text[len(prefix) :]
            if inner.startswith("{"):
                inner = inner[1:].split("}")[0]
            else:
                found = re.match(
                    r"(.+?\.(?:zip|gz|tar|tgz|tar\.gz|7z|rar|kmz))(?:/|$)", inner, re.I
                )
                inner = found.group(1) if found else inner
            _check(inner, shown, depth=depth, preflight=preflight, seen=seen)
            return
    raise EvidenceError(
        f"refers to {text!r}, a GDAL virtual file system geoverify does not read",
        source=shown,
        hint="Refer only to files inside the submission or to http(s) URLs.",
    )


def _check_local(text: str, shown: str, *, depth: int, preflight: bool, seen: set[str]) -> None:
    scope = _SCOPE.get()
    path = text if os.path.isabs(text) else os.path.abspath(text)
    if scope is not None and scope.root is not None and not _inside(path, scope.root):
        _stat(path, shown)  # a loop is named as such even outside
        raise EvidenceError(
            f"{text!r} lies outside the submission folder"
            + (f" (it resolves to {os.path.realpath(path)})" if os.path.islink(path) else "")
            + "; refused",
            source=shown,
            hint="Put the file inside the submission's folder and refer to it relatively.",
        )
    info = _stat(path, shown)
    if info is None:
        return
    real = os.path.realpath(path)
    if real in seen:
        return
    seen.add(real)
    if stat.S_ISDIR(info.st_mode):
        _check_tree(path, shown)
        return
    _check_sidecars(path, shown)
    head = _head(path)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"<VRTDataset", b"<OGRVRTDataSource")) or path.lower().endswith(".vrt"):
        _check_vrt(path, shown, depth=depth, preflight=preflight, seen=seen)
    elif any(head[o : o + 8] == _HDF5_SIGNATURE for o in (0, 512, 1024, 2048)):
        _check_hdf5(path, shown)


def _head(path: str, size: int = 2056) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise EvidenceReadError(
            f"cannot be read ({exc.strerror or type(exc).__name__})", source=path
        ) from None


def _check_sidecars(path: str, shown: str) -> None:
    """Sidecar files GDAL/OGR open by name beside a file must not lead outside either."""
    scope = _SCOPE.get()
    if scope is None or scope.root is None:
        return
    stem = os.path.splitext(path)[0]
    names = [path + s for s in _SIDECARS] + [stem + s for s in _STEM_SIDECARS]
    names += [stem + s.upper() for s in _STEM_SIDECARS]
    for name in names:
        if os.path.islink(name) and not _inside(name, scope.root):
            raise EvidenceError(
                f"its sidecar {os.path.basename(name)!r} is a symbolic link to "
                f"{os.path.realpath(name)}, outside the submission folder; refused",
                source=shown,
                hint="Replace the symbolic link by the file itself.",
            )


def _check_tree(path: str, shown: str) -> None:
    """A folder (a Zarr store): no symbolic link out, no special file, bounded walk."""
    scope = _SCOPE.get()
    count = 0
    for top, dirs, files in os.walk(path, followlinks=False):
        for name in [*dirs, *files]:
            count += 1
            if count > _MAX_ENTRIES:
                return
            full = os.path.join(top, name)
            where = f"{shown} ({os.path.relpath(full, path)})"
            if os.path.islink(full):
                _stat(full, where)
                if scope is not None and scope.root is not None and not _inside(full, scope.root):
                    raise EvidenceError(
                        f"holds a symbolic link to {os.path.realpath(full)}, outside the "
                        "submission folder; refused",
                        source=where,
                        hint="Copy the data into the store instead of linking it.",
                    )
            elif name in files:
                try:
                    mode = os.lstat(full).st_mode
                except OSError:
                    continue
                kind = special_kind(mode)
                if kind is not None:
                    raise EvidenceError(
                        f"holds a {kind}, not a regular file; refused before reading",
                        source=where,
                        hint="Deliver regular files only.",
                    )


def _check_vrt(path: str, shown: str, *, depth: int, preflight: bool, seen: set[str]) -> None:
    """Every source a GDAL VRT or an OGR VRT names must pass the same checks."""
    import xml.etree.ElementTree as ET

    size = os.path.getsize(path)
    if size > _MAX_VRT_BYTES:
        raise EvidenceError(
            f"a VRT of {size / 2**20:.0f} MiB is not read", source=shown, hint="Deliver the data."
        )
    try:
        tree = ET.parse(path)
    except (ET.ParseError, RecursionError) as exc:
        raise EvidenceReadError(
            f"is not a valid VRT (XML: {str(exc).splitlines()[0]})",
            source=shown,
            hint="Check the VRT with `gdalinfo`.",
        ) from None
    base = os.path.dirname(os.path.abspath(path))
    for element in tree.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "PixelFunctionLanguage" and (element.text or "").strip().lower() == "python":
            raise EvidenceError(
                "the VRT runs a Python pixel function; refused",
                source=shown,
                hint="Deliver the computed raster instead.",
            )
        if tag not in ("SourceFilename", "SrcDataSource", "SourceDataset"):
            continue
        ref = (element.text or "").strip()
        if not ref:
            continue
        relative = element.get("relativeToVRT", element.get("relativetoVRT", "0")) == "1"
        if ref.startswith(("http://", "https://", "/vsi")) or os.path.isabs(ref):
            target = ref
        elif (
            _SUBDATASET.match(ref) and not relative and not os.path.exists(os.path.join(base, ref))
        ):
            target = ref  # DRIVER:"path":var — the path part is checked
        else:
            target = os.path.join(base, ref) if relative else os.path.abspath(ref)
        try:
            _check(target, shown, depth=depth + 1, preflight=preflight, seen=seen)
        except EvidenceError as exc:
            if "lies outside" in exc.problem:
                raise EvidenceError(
                    f"the VRT's {tag} {ref!r} reads {_shown_target(target)}, "
                    "outside the submission folder; refused",
                    source=shown,
                    hint="Deliver the source files inside the submission and refer to them "
                    'with relativeToVRT="1".',
                ) from None
            raise type(exc)(
                f"the VRT's {tag} {ref!r}: {exc.problem}", source=shown, hint=exc.hint
            ) from None
        except EvidenceReadError as exc:
            raise type(exc)(
                f"the VRT's {tag} {ref!r}: {exc.problem}", source=shown, hint=exc.hint
            ) from None


def _shown_target(target: str) -> str:
    return target if target.startswith(("/vsi", "http")) else os.path.realpath(target)


def _check_hdf5(path: str, shown: str) -> None:
    """NetCDF-4/HDF5 external links, external raw storage and virtual-dataset sources."""
    try:
        import h5py
    except ImportError:  # not detectable without h5py
        return
    scope = _SCOPE.get()
    base = os.path.dirname(os.path.abspath(path))

    def refuse(kind: str, name: str, target: str) -> None:
        outside = os.path.isabs(target) or (
            scope is not None
            and scope.root is not None
            and not _inside(os.path.join(base, target), scope.root)
        )
        if target in (".", "") or not outside:
            return
        raise EvidenceError(
            f"its {kind} {name!r} refers to {target!r}, outside the submission folder; refused",
            source=shown,
            hint="Deliver one self-contained file (e.g. `nccopy` or `h5repack` it).",
        )

    try:
        handle = h5py.File(path, "r")
    except Exception:  # not readable as HDF5: the reader reports it
        return
    count = 0
    with handle:
        stack: list[tuple[Any, int]] = [(handle, 0)]
        while stack:
            group, level = stack.pop()
            try:
                names = list(group.keys())
            except Exception:
                continue
            for name in names:
                count += 1
                if count > _MAX_ENTRIES:
                    return
                try:
                    link = group.get(name, getlink=True)
                except Exception:
                    continue
                full = f"{group.name.rstrip('/')}/{name}"
                if isinstance(link, h5py.ExternalLink):
                    refuse("external link", full, link.filename)
                    continue
                if not isinstance(link, h5py.HardLink) or level > 64:
                    continue
                try:
                    obj = group[name]
                except Exception:
                    continue
                if isinstance(obj, h5py.Group):
                    stack.append((obj, level + 1))
                elif isinstance(obj, h5py.Dataset):
                    for entry in obj.external or ():
                        refuse("external storage of", full, os.fsdecode(entry[0]))
                    if obj.is_virtual:
                        for source in obj.virtual_sources():
                            refuse("virtual dataset", full, source.file_name)


# --------------------------------------------------------------------------- scans


def check_scan_size(
    location: str,
    *,
    pixels: int,
    windows: int,
    seconds_first: float,
    done: int,
    workers: int,
) -> None:
    """Refuse a raster scan whose estimated time exceeds the remaining budget.

    The estimate is measured, not assumed: the time the first ``done`` windows
    took, times the windows left, divided by the threads at work.

    Raises
    ------
    EvidenceError
        With the estimate, the pixel count and the budget.
    """
    left = remaining()
    if left is None or done <= 0:
        return
    per_window = seconds_first / done
    estimate = per_window * max(0, windows - done) / max(1, workers)
    if estimate <= left:
        return
    raise EvidenceError(
        f"scanning {pixels:.3g} pixels in {windows} windows would take about "
        f"{_duration(estimate)} (measured {per_window * 1000:.0f} ms a window on the first "
        f"{done}), more than the {_duration(left)} left of the budget; not started",
        source=location,
        hint="Deliver the map at its real extent (or with overviews at the resolution to "
        "check), or raise the budget with --timeout SECONDS.",
    )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
