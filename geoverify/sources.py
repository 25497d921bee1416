"""Open evidence where it lies: local files, http(s) URLs, vector samples.

Everything here opens inputs read-only and turns the many ways a file can be
broken into one :class:`~geoverify.errors.EvidenceReadError` or
:class:`~geoverify.errors.EvidenceError` that names the file, the cause and a fix.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import EvidenceError, EvidenceReadError
from .measurement import EvidenceRecord

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    import rasterio

__all__ = [
    "GDAL_OPTIONS",
    "is_remote",
    "open_raster",
    "probe_pixels",
    "read_table",
    "read_vector",
    "record",
    "sha256_file",
    "to_gdal_path",
]

#: GDAL configuration used for every raster read.  The block cache is bounded
#: (GDAL_CACHEMAX in MB: a number below 100000 is read as megabytes) so memory
#: stays small whatever the raster's size; http reads time out and retry a
#: bounded number of times instead of GDAL's defaults.
GDAL_OPTIONS: dict[str, Any] = {
    "GDAL_CACHEMAX": 64,
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_TIMEOUT": 20,
    "GDAL_HTTP_CONNECTTIMEOUT": 10,
    "GDAL_HTTP_MAX_RETRY": 2,
    "GDAL_HTTP_RETRY_DELAY": 0.5,
    "VSI_CACHE": "TRUE",
    "VSI_CACHE_SIZE": 16_000_000,
}

_CHUNK = 1 << 20


def is_remote(location: str | os.PathLike[str]) -> bool:
    """True for http(s) URLs."""
    text = os.fspath(location)
    return text.startswith(("http://", "https://"))


def to_gdal_path(location: str | os.PathLike[str]) -> str:
    """The path GDAL should open: ``/vsicurl/`` for http(s) URLs, the path otherwise."""
    text = os.fspath(location)
    return f"/vsicurl/{text}" if is_remote(text) else text


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a local file, streamed in 1 MiB chunks (bounded memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def record(location: str | os.PathLike[str], *, display: str | None = None) -> EvidenceRecord:
    """An :class:`EvidenceRecord` with the checksum of a local file.

    Remote files are not downloaded only to be hashed: their record says so.
    A local file that does not exist gets ``sha256 = None`` and a note.
    """
    text = os.fspath(location)
    shown = display or text
    if is_remote(text):
        return EvidenceRecord(shown, None, "remote: read by window, not hashed")
    path = Path(text)
    if path.is_dir():
        return EvidenceRecord(shown, None, "directory: not hashed")
    if not path.exists():
        return EvidenceRecord(shown, None, "file not found")
    return EvidenceRecord(shown, sha256_file(path))


def gdal_env() -> Any:
    """A ``rasterio.Env`` with :data:`GDAL_OPTIONS`."""
    import rasterio

    return rasterio.Env(**GDAL_OPTIONS)


@contextmanager
def open_raster(location: str | os.PathLike[str]) -> Iterator[rasterio.io.DatasetReader]:
    """Open a raster read-only, turning every failure into a clear geoverify error.

    Parameters
    ----------
    location : path or URL
        Local file, or http(s) URL read with HTTP range requests.

    Raises
    ------
    EvidenceReadError
        The file is missing, unreadable, or not a raster GDAL understands.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    text = os.fspath(location)
    if not is_remote(text) and not Path(text).exists():
        raise EvidenceReadError(
            "file not found",
            source=text,
            hint="Check the path in the submission (paths are relative to the submission file).",
        )
    with gdal_env():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
                dataset = rasterio.open(to_gdal_path(text), "r")
        except RasterioIOError as exc:
            raise EvidenceReadError(
                f"cannot be opened as a raster ({_first_line(exc)})",
                source=text,
                hint="Deliver a GeoTIFF/COG or NetCDF that GDAL reads; `gdalinfo` shows the cause.",
            ) from None
        try:
            yield dataset
        finally:
            dataset.close()


def read_failure(location: str, exc: BaseException) -> EvidenceReadError:
    """The error to raise when pixel data of an opened raster cannot be decoded."""
    return EvidenceReadError(
        f"pixel data cannot be read ({_first_line(exc)}); the file is damaged or truncated",
        source=location,
        hint="Re-export the file and check it with `gdalinfo -checksum` before submitting.",
    )


def probe_pixels(dataset: Any, location: str, *, band: int = 1, blocks: int = 3) -> None:
    """Decode a few full-resolution blocks (first, middle, last) to catch damaged files early.

    A GeoTIFF whose header is intact but whose tiles are damaged opens fine and
    fails only when pixels are read; checks that use only the header (pixel
    size) call this so such a deliverable is an ``error``, not a ``pass``.

    Raises
    ------
    EvidenceReadError
        When a probed block cannot be decoded.
    """
    windows = [w for _, w in dataset.block_windows(band)] if dataset.count else []
    if not windows:
        return
    picks = {0, len(windows) // 2, len(windows) - 1} if blocks >= 3 else {0}
    for index in sorted(picks):
        try:
            dataset.read(band, window=windows[index])
        except Exception as exc:  # RasterioIOError and GDAL's CPLE_* errors
            raise read_failure(location, exc) from None


def read_vector(location: str | os.PathLike[str], **kwargs: Any) -> gpd.GeoDataFrame:
    """Read a vector file (GeoPackage, GeoJSON, Shapefile, GeoParquet, FlatGeobuf) read-only.

    CSV files with lon/lat columns are read too: the columns named ``lon``/``lat``,
    ``longitude``/``latitude`` or ``x``/``y`` become WGS 84 points.
    """
    import geopandas as gpd
    import pandas as pd

    text = os.fspath(location)
    if not is_remote(text) and not Path(text).exists():
        raise EvidenceReadError(
            "file not found",
            source=text,
            hint="Check the path in the submission (paths are relative to the submission file).",
        )
    suffix = Path(text).suffix.lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            return gpd.read_parquet(text, **kwargs)
        if suffix in (".csv", ".txt"):
            frame = pd.read_csv(text)
            lon, lat = _lonlat_columns(frame, text)
            geometry = gpd.points_from_xy(frame[lon], frame[lat], crs="EPSG:4326")
            return gpd.GeoDataFrame(frame, geometry=geometry)
        return gpd.read_file(text, **kwargs)
    except EvidenceError:
        raise
    except Exception as exc:  # pyogrio/fiona/pyarrow raise many unrelated types
        raise EvidenceReadError(
            f"cannot be read as a vector file ({_first_line(exc)})",
            source=text,
            hint="Deliver GeoPackage, GeoJSON, Shapefile, GeoParquet or CSV with lon/lat columns.",
        ) from None


_SUFFIX_CSV = (".csv", ".txt", ".csv.gz")
_SUFFIX_PARQUET = (".parquet", ".pq")
_SUFFIX_NETCDF = (".nc", ".nc4", ".netcdf", ".cdf")


def read_table(location: str, *, display: str | None = None) -> pd.DataFrame:
    """Read a table from CSV, Parquet or NetCDF (chosen by the file's suffix).

    Column names are stripped and lower-cased.  A NetCDF file is read with
    xarray and flattened (one row per element of its dimensions).

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
    name = location.lower().split("?")[0]
    try:
        if name.endswith(_SUFFIX_CSV):
            frame = pd.read_csv(location)
        elif name.endswith(_SUFFIX_PARQUET):
            frame = pd.read_parquet(location)
        elif name.endswith(_SUFFIX_NETCDF):
            if is_remote(location):
                raise EvidenceError(
                    "NetCDF tables are read from local files only",
                    source=shown,
                    hint="Download the file into the submission folder, or give CSV/Parquet.",
                )
            import xarray as xr

            with xr.open_dataset(location) as ds:
                frame = ds.load().to_dataframe().reset_index()
        else:
            raise EvidenceError(
                "unsupported table format",
                source=shown,
                hint="Give a .csv, .parquet or .nc file.",
            )
    except EvidenceError:
        raise
    except FileNotFoundError:
        raise EvidenceReadError(
            "file not found", source=shown, hint="Check the path in the submission."
        ) from None
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


def _lonlat_columns(frame: Any, source: str) -> tuple[str, str]:
    lower = {c.lower(): c for c in frame.columns}
    for lon, lat in (("lon", "lat"), ("longitude", "latitude"), ("lng", "lat"), ("x", "y")):
        if lon in lower and lat in lower:
            return lower[lon], lower[lat]
    raise EvidenceError(
        f"no coordinate columns among {list(frame.columns)}",
        source=source,
        hint="Name the columns lon/lat (WGS 84 degrees) or deliver a GeoPackage.",
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
