"""Read tabular evidence: CSV, Parquet, or a NetCDF flattened to rows."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io._common import NOT_FOUND_HINT
from geoverify.io.confine import check_location, guarded_session
from geoverify.io.formats import NETCDF_SUFFIXES, suffix
from geoverify.model.evidence import is_remote

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_table"]


def read_table(location: str, *, display: str | None = None) -> pd.DataFrame:
    """Read a table from CSV, Parquet or NetCDF (chosen by the file's suffix).

    Column names are stripped and lower-cased.  A NetCDF file is opened by
    :func:`geoverify.io.cube.open_cube` (CF decoding) and flattened (one row per
    element of its dimensions).

    Parameters
    ----------
    location : str
        Local path or http(s) URL (CSV and Parquet only for URLs).
    display : str, optional
        How to name the file in messages (default: ``location``).

    Raises
    ------
    EvidenceReadError
        When the file is missing or cannot be parsed.
    EvidenceError
        When it has an unsupported suffix or no rows.
    """
    import pandas as pd

    shown = display or location
    check_location(location, source=shown)  # confinement, special files, remote host and time
    kind = suffix(location)
    try:
        source: Any = _download(location, shown) if is_remote(location) else location
        if kind in (".csv", ".txt", ".csv.gz"):
            frame = pd.read_csv(source, compression="gzip" if kind == ".csv.gz" else "infer")
        elif kind in (".parquet", ".pq"):
            frame = pd.read_parquet(source)
        elif kind in NETCDF_SUFFIXES:
            if is_remote(location):
                raise EvidenceError(
                    "NetCDF tables are read from local files only",
                    source=shown,
                    hint="Download the file into the submission folder, or give CSV/Parquet.",
                )
            from geoverify.io.cube import open_cube

            with open_cube(location, decode_times=True, mask_and_scale=True) as ds:
                frame = ds.load().to_dataframe().reset_index()
        else:
            raise EvidenceError(
                "unsupported table format",
                source=shown,
                hint="Give a .csv, .parquet or .nc file.",
            )
    except (EvidenceError, EvidenceReadError):
        raise
    except FileNotFoundError:
        raise EvidenceReadError("file not found", source=shown, hint=NOT_FOUND_HINT) from None
    except (OSError, ValueError, pd.errors.ParserError, ImportError) as exc:
        raise EvidenceReadError(
            f"cannot read the table ({type(exc).__name__}: {exc})",
            source=shown,
            hint="Check that the file is a valid CSV, Parquet or NetCDF table.",
        ) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if frame.empty:
        raise EvidenceError("the table has no rows", source=shown, hint="Fill it or remove it.")
    return frame


def _download(url: str, shown: str) -> io.BytesIO:
    """The body of a remote table, within the time budget and to named hosts only."""
    import requests

    try:
        with guarded_session() as session:
            resp = session.get(url)
    except requests.exceptions.Timeout:
        raise EvidenceReadError(
            "the server did not send the table in time",
            source=shown,
            hint="The server is stalled or too slow; try again later.",
        ) from None
    except requests.exceptions.RequestException as exc:
        raise EvidenceReadError(
            f"cannot download the table ({str(exc).splitlines()[0][:200]})",
            source=shown,
            hint="Check the URL and that the server is reachable.",
        ) from None
    if resp.status_code != 200:
        raise EvidenceReadError(
            f"HTTP {resp.status_code} while downloading the table",
            source=shown,
            hint="Check that the URL is public and the file exists.",
        )
    return io.BytesIO(resp.content)
