"""Rasters read where they are published: http(s) COGs by window and overview.

Reads go through :func:`geoverify.io.raster.open_raster` (GDAL's ``/vsicurl/``
driver with :data:`geoverify.io.raster.GDAL_OPTIONS`: a total time limit per
request and a bounded number of retries), so only the bytes of the blocks
needed cross the network.  A remote file is hashed only when it is streamed
whole anyway (:func:`sha256_url`, :func:`remote_record` with ``hash=True``);
otherwise its record says "not computed, read by window only".
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io.confine import check_deadline, check_url, guarded_session, http_timeout
from geoverify.io.raster import open_raster, read_failure
from geoverify.model import EvidenceRecord
from geoverify.model.evidence import is_remote

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "NOT_HASHED",
    "read_overview",
    "read_window",
    "remote_record",
    "sha256_url",
]

#: The note of a remote file's record when it was not downloaded whole.
NOT_HASHED = "sha256 not computed: remote, read by window only"

_CHUNK = 1 << 20


def sha256_url(url: str, *, timeout: float = 20.0) -> tuple[str, int]:
    """SHA-256 and size of a remote file, computed while streaming it (bounded memory).

    Parameters
    ----------
    url : str
        http(s) URL.
    timeout : float
        Seconds allowed to connect and between bytes received; the whole
        download is also stopped after ``timeout`` seconds without progress.

    Raises
    ------
    EvidenceReadError
        Unreachable, HTTP error, timeout, or a body shorter than announced.
    """
    import requests

    if not is_remote(url):
        raise EvidenceError(f"not an http(s) URL: {url!r}", hint="Use sources.sha256_file.")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise EvidenceError(f"timeout must be positive, not {timeout!r}")
    digest = hashlib.sha256()
    size = 0
    check_url(url)
    connect, read = http_timeout(min(timeout, 10.0), timeout)
    try:
        with (
            guarded_session() as session,
            session.get(url, stream=True, timeout=(connect, read)) as resp,
        ):
            if resp.status_code != 200:
                raise EvidenceReadError(
                    f"HTTP {resp.status_code} while downloading for the checksum",
                    source=url,
                    hint="Check that the URL is public and the file exists.",
                )
            expected = resp.headers.get("Content-Length")
            reader = getattr(resp.raw, "read1", None) or resp.raw.read
            while chunk := reader(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                check_deadline(url)  # a server dripping bytes cannot outlast the budget
    except (EvidenceError, EvidenceReadError):
        raise
    except requests.exceptions.Timeout:
        raise EvidenceReadError(
            f"no data for {timeout:g} s while downloading for the checksum",
            source=url,
            hint="The server is too slow or stalled; try again later.",
        ) from None
    except Exception as exc:  # requests/urllib3 raise many types for broken transfers
        raise EvidenceReadError(
            f"download for the checksum failed ({_first_line(exc)})",
            source=url,
            hint="Check the URL and that the server is reachable.",
        ) from None
    if expected is not None and expected.isdigit() and int(expected) != size:
        raise EvidenceReadError(
            f"download truncated: {size} of {expected} bytes received",
            source=url,
            hint="The server closed the connection early; try again later.",
        )
    return digest.hexdigest(), size


def remote_record(
    url: str, *, display: str | None = None, hash: bool = False, timeout: float = 20.0
) -> EvidenceRecord:
    """The :class:`EvidenceRecord` of a remote file.

    With ``hash=True`` (the file is being read whole anyway) the checksum is
    computed while streaming; otherwise the record declares it not computed.
    """
    if not hash:
        return EvidenceRecord(display or url, None, NOT_HASHED)
    digest, size = sha256_url(url, timeout=timeout)
    return EvidenceRecord(display or url, digest, f"streamed {size} bytes")


def read_window(
    location: str, window: tuple[int, int, int, int], *, band: int = 1
) -> np.ma.MaskedArray[Any, Any]:
    """Pixels of one window ``(col_off, row_off, width, height)`` at full resolution.

    Over http(s), only the tiles the window touches are requested.

    Raises
    ------
    EvidenceError
        The window or band lies outside the raster.
    EvidenceReadError
        The raster cannot be opened or its pixels cannot be read.
    """
    from rasterio.windows import Window

    col_off, row_off, width, height = window
    with open_raster(location) as ds:
        _check_band(ds, band, location)
        if width < 1 or height < 1 or col_off < 0 or row_off < 0:
            raise EvidenceError(f"invalid window {window}", source=location)
        if col_off + width > ds.width or row_off + height > ds.height:
            raise EvidenceError(
                f"window {window} outside the raster ({ds.width} × {ds.height})",
                source=location,
            )
        try:
            return ds.read(band, window=Window(col_off, row_off, width, height), masked=True)
        except Exception as exc:
            raise read_failure(location, exc) from None


def read_overview(
    location: str, *, band: int = 1, max_size: int = 512
) -> tuple[np.ma.MaskedArray[Any, Any], dict[str, Any]]:
    """The whole raster, decimated to at most ``max_size`` pixels a side.

    GDAL serves the read from the coarsest internal overview that is still at
    least as fine as asked, so a COG's overview is fetched instead of its full
    resolution.

    Returns
    -------
    array, dict
        The masked pixels and ``{"shape", "full_shape", "factor", "overviews",
        "seconds"}`` (``factor`` = full size / read size).
    """
    if max_size < 1:
        raise EvidenceError(f"max_size must be positive, not {max_size}")
    started = time.monotonic()
    with open_raster(location) as ds:
        _check_band(ds, band, location)
        factor = max(1, math.ceil(max(ds.width, ds.height) / max_size))
        shape = (max(1, ds.height // factor), max(1, ds.width // factor))
        try:
            data = ds.read(band, out_shape=shape, masked=True)
        except Exception as exc:
            raise read_failure(location, exc) from None
        info = {
            "shape": list(shape),
            "full_shape": [ds.height, ds.width],
            "factor": factor,
            "overviews": ds.overviews(band),
            "seconds": time.monotonic() - started,
        }
    return data, info


def _check_band(ds: Any, band: int, location: str) -> None:
    if not 1 <= band <= ds.count:
        raise EvidenceError(
            f"band {band} does not exist (the raster has {ds.count})",
            source=location,
            hint="Set `band` in the evidence to an existing band.",
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
