"""Open evidence where it lies: local files, http(s) URLs, vector samples.

Everything here opens inputs read-only and turns the many ways a file can be
broken into one :class:`~geoverify.errors.EvidenceReadError` or
:class:`~geoverify.errors.EvidenceError` that names the file, the cause and a fix.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.model import EvidenceRecord
from geoverify.model.evidence import is_remote

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    import rasterio

__all__ = [
    "GDAL_OPTIONS",
    "Georeference",
    "crs_fix_hint",
    "georeference",

    "netcdf_georeference",
    "open_raster",
    "probe_pixels",
    "raster_source",
    "read_table",
    "read_vector",
    "record",
    "sha256_file",
    "split_subdataset",
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

#: Hint for a local file that does not exist (read right in a submission and ad hoc).
NOT_FOUND_HINT = "Check the path (in a submission, paths are relative to the submission file)."

# GDAL subdataset names of one variable: NETCDF:"path":var, HDF5:"path"://var (quotes optional).
_SUBDATASET = re.compile(
    r'^(?P<driver>netcdf|hdf5):(?:"(?P<quoted>[^"]+)"|(?P<plain>[^"]+?)):(?P<var>[^:"]+)$',
    re.IGNORECASE,
)




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


def split_subdataset(location: str | os.PathLike[str]) -> tuple[str, str | None]:
    """``(file, variable)`` of a GDAL subdataset name, ``(location, None)`` for anything else.

    ``NETCDF:"data/ba.nc":JD`` gives ``("data/ba.nc", "JD")`` and
    ``HDF5:"f.h5"://group/var`` gives ``("f.h5", "group/var")``; a path that
    exists as it is, or a URL, is never split.
    """
    text = os.fspath(location)
    if is_remote(text) or Path(text).exists():
        return text, None
    match = _SUBDATASET.match(text)
    if match is None:
        return text, None
    path = match.group("quoted") or match.group("plain")
    return path, match.group("var").lstrip("/")


def _variable_name(subdataset: str) -> str:
    """The variable a GDAL subdataset name designates (``Band1``, ``group/var``)."""
    _, variable = split_subdataset(subdataset)
    if variable is not None:
        return variable
    return subdataset.rsplit(":", 1)[-1].lstrip("/")


def _open_quietly(name: str) -> Any:
    import rasterio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        return rasterio.open(name, "r")


def _check_local(path: str) -> None:
    if not is_remote(path) and not Path(path).exists():
        raise EvidenceReadError("file not found", source=path, hint=NOT_FOUND_HINT)


def raster_source(location: str | os.PathLike[str], variable: str | None = None) -> str:
    """What GDAL should open for ``location`` and, in a multi-variable file, ``variable``.

    Without ``variable`` the location is returned as it is (a path, a URL, or
    already a subdataset name such as ``NETCDF:"ba.nc":JD``).  With it, the
    file's variables are listed and the GDAL subdataset name of the one named is
    returned (``NETCDF:"path":var``, ``HDF5:"path"://var``); local files only.

    Raises
    ------
    EvidenceReadError
        The file is missing or cannot be opened.
    EvidenceError
        The file is remote, or holds no variable of that name.
    """
    from rasterio.errors import RasterioIOError

    text = os.fspath(location)
    if variable is None:
        return text
    path, named = split_subdataset(text)
    if named is not None and named != variable.lstrip("/"):
        raise EvidenceError(
            f"names variable {named!r} and variable {variable!r} is asked for",
            source=text,
            hint="Name the variable once: in the location or with variable/--variable.",
        )
    if is_remote(path):
        raise EvidenceError(
            "variables of a multi-variable file are read from local files only",
            source=path,
            hint="Download the file, or deliver the variable as a GeoTIFF/COG.",
        )
    _check_local(path)
    with gdal_env():
        try:
            with _open_quietly(path) as container:
                driver, subdatasets = container.driver, list(container.subdatasets)
        except RasterioIOError as exc:
            raise _cannot_open(path, exc) from None
    wanted = variable.lstrip("/")
    names = [_variable_name(s) for s in subdatasets]
    matches = [s for s, n in zip(subdatasets, names, strict=True) if n == wanted]
    if not matches:
        matches = [s for s, n in zip(subdatasets, names, strict=True) if n.split("/")[-1] == wanted]
    if len(matches) == 1 or (matches and driver != "netCDF"):
        if driver == "netCDF":
            return f'NETCDF:"{path}":{_variable_name(matches[0])}'
        return matches[0]
    if subdatasets:
        raise EvidenceError(
            f"has no variable {variable!r}; it holds {_listing(names)}",
            source=path,
            hint=f'Name one of them with variable = "{names[0]}" (or --variable {names[0]}).',
        )
    if driver == "netCDF":  # one variable only: GDAL lists no subdatasets
        return f'NETCDF:"{path}":{wanted}'
    if driver.startswith("HDF5"):
        return f'HDF5:"{path}"://{wanted}'
    raise EvidenceError(
        f"is a single raster ({driver}) without named variables, so variable {variable!r} "
        "does not apply",
        source=path,
        hint="Remove variable (or --variable) for this file.",
    )


def _listing(names: list[str], most: int = 12) -> str:
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} … ({len(names)} variables)"


def _cannot_open(path: str, exc: BaseException) -> EvidenceReadError:
    if not is_remote(path) and Path(path).is_dir():
        return EvidenceReadError(
            "is a directory, not a raster file",
            source=path,
            hint="Give the raster file itself (a GeoTIFF/COG or NetCDF), not its folder.",
        )
    return EvidenceReadError(
        f"cannot be opened as a raster ({_first_line(exc)})",
        source=path,
        hint="Deliver a GeoTIFF/COG or NetCDF that GDAL reads; `gdalinfo` shows the cause.",
    )


@contextmanager
def open_raster(
    location: str | os.PathLike[str], variable: str | None = None
) -> Iterator[rasterio.io.DatasetReader]:
    """Open a raster read-only, turning every failure into a clear geoverify error.

    Parameters
    ----------
    location : path or URL
        Local file, http(s) URL read with HTTP range requests, or a GDAL
        subdataset name of a local file (``NETCDF:"path":var``).
    variable : str, optional
        The variable to read in a file holding several (NetCDF, HDF5): see
        :func:`raster_source`.

    Raises
    ------
    EvidenceReadError
        The file is missing, unreadable, or not a raster GDAL understands.
    EvidenceError
        The file holds several variables and none is named (the message lists
        them), or the named variable does not exist.
    """
    from rasterio.errors import RasterioIOError

    text = os.fspath(location)
    name = raster_source(text, variable)
    path, named = split_subdataset(name)
    _check_local(path)
    with gdal_env():
        try:
            dataset = _open_quietly(to_gdal_path(name))
        except RasterioIOError as exc:
            if named is not None and Path(path).is_file():
                held = _grid_variables(path)
                problem = f"has no variable {named!r} GDAL can read as a raster"
                if held:
                    raise EvidenceError(
                        f"{problem}; it holds {_listing(held)}",
                        source=path,
                        hint=f'Name one of them with variable = "{held[0]}" '
                        f"(or --variable {held[0]}).",
                    ) from None
                raise EvidenceError(
                    f"{problem} ({_first_line(exc)})",
                    source=path,
                    hint="Check the variable's name (`gdalinfo` lists the subdatasets).",
                ) from None
            raise _cannot_open(text, exc) from None
        if dataset.count == 0 and dataset.subdatasets and named is None:
            names = [_variable_name(s) for s in dataset.subdatasets]
            dataset.close()
            raise EvidenceError(
                f"{text} holds {_listing(names)}: name one with "
                f'variable = "{names[0]}" (or --variable {names[0]})'
            )
        try:
            yield dataset
        finally:
            dataset.close()


def crs_fix_hint(location: str, driver: str | None) -> str:
    """How to give a raster its CRS: ``gdal_edit.py`` for GeoTIFF, conversion or CF for NetCDF."""
    if driver != "netCDF":
        return "Declare the CRS in the file (e.g. `gdal_edit.py -a_srs EPSG:32650`)."
    path, variable = split_subdataset(location)
    hint = (
        "gdal_edit.py cannot edit NetCDF: convert with "
        "`gdal_translate -a_srs EPSG:… in.nc out.tif`, or add a CF grid_mapping variable "
        "(and the attribute grid_mapping on the data variable)"
    )
    mappings = _grid_mappings(path)
    if variable and mappings:
        hint = (
            f"{variable} names no grid_mapping although the file defines "
            f"{', '.join(repr(m) for m in mappings)}: add the attribute "
            f'grid_mapping = "{mappings[0]}" to {variable}, or convert with '
            "`gdal_translate -a_srs EPSG:… in.nc out.tif` (gdal_edit.py cannot edit NetCDF)"
        )
    return hint + "."


def _open_xarray(path: str) -> Any:
    """The NetCDF file at ``path`` with xarray (netCDF4, then scipy, then h5netcdf), or None."""
    import xarray as xr

    for engine in (None, "scipy", "h5netcdf"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return xr.open_dataset(
                    path, engine=engine, decode_times=False, mask_and_scale=False
                )
        except Exception:  # each backend fails differently on foreign files
            continue
    return None


def _grid_mappings(path: str) -> list[str]:
    if is_remote(path) or not Path(path).is_file():
        return []
    ds = _open_xarray(path)
    if ds is None:
        return []
    with ds:
        return [str(k) for k, v in ds.variables.items() if "grid_mapping_name" in v.attrs]


def _grid_variables(path: str) -> list[str]:
    """Names of the variables of at least 2 dimensions of a local NetCDF file (xarray)."""
    ds = _open_xarray(path)
    if ds is None:
        return []
    with ds:
        return [str(k) for k, v in ds.data_vars.items() if v.ndim >= 2]


def netcdf_georeference(
    location: str | os.PathLike[str], variable: str | None = None
) -> dict[str, Any] | None:
    """CRS and transform of a NetCDF variable read with xarray, for what GDAL does not find.

    The CRS is looked for, in order, in the variable's ``crs`` attribute
    (``'+init=epsg:32719'`` is read as ``EPSG:32719``), its CF ``grid_mapping``
    variable (``crs_wkt``/``spatial_ref`` or the CF parameters), the file's
    global ``crs`` attribute, then by rioxarray (a ``spatial_ref`` coordinate),
    and last, for a variable naming no grid_mapping, from CF latitude/longitude
    coordinates (WGS 84 assumed, see :func:`_cf_lonlat`).  The transform comes
    from the regular 1-D coordinates of the last two dimensions (or a 6-number
    ``transform`` attribute).

    Returns
    -------
    dict or None
        ``crs`` (``rasterio.crs.CRS`` or ``None``), ``crs_source`` (where it was
        found), ``transform`` (``Affine`` or ``None``), ``width``, ``height`` and
        ``variable``; ``None`` when the file is not a local NetCDF xarray opens,
        or the variable cannot be told.
    """
    text = os.fspath(location)
    path, named = split_subdataset(text)
    variable = variable or named
    if is_remote(path) or not Path(path).is_file():
        return None
    ds = _open_xarray(path)
    if ds is None:
        return None
    with ds:
        grids = [k for k, v in ds.data_vars.items() if v.ndim >= 2]
        if variable is None:
            if len(grids) != 1:
                return None
            variable = str(grids[0])
        if variable not in ds.data_vars or ds[variable].ndim < 2:
            return None
        da = ds[variable]
        found = _xarray_crs(ds, da)
        return {
            "crs": found[0] if found else None,
            "crs_source": (
                f"the file's attributes ({found[1]}), read with xarray: GDAL found no CRS"
                if found
                else None
            ),
            "transform": _xarray_transform(da),
            "width": int(da.shape[-1]),
            "height": int(da.shape[-2]),
            "variable": variable,
        }


class Georeference(NamedTuple):
    """CRS and transform of an opened raster, and where they came from when not from GDAL."""

    crs: Any
    transform: Any
    crs_source: str | None = None
    transform_source: str | None = None


def georeference(dataset: Any, location: str, *, unknown: str | None = None) -> Georeference:
    """CRS and transform of an opened raster, completed from a NetCDF's attributes.

    GDAL misses a CRS a NetCDF gives only as attributes (a ``crs`` attribute, a
    CF ``grid_mapping`` it does not name, CF latitude/longitude coordinates
    without grid_mapping), and 1-D coordinates without CF attributes (its
    transform is then the identity): :func:`netcdf_georeference` reads them with
    xarray, and ``crs_source`` / ``transform_source`` say so.  This is the one
    fallback of the pixel-size, area and country checks.

    Parameters
    ----------
    dataset : rasterio.io.DatasetReader
        The raster opened by :func:`open_raster`.
    location : str
        What was opened (a path or a GDAL subdataset name ``NETCDF:"path":var``).
    unknown : str, optional
        For checks that read the pixels with GDAL (area, countries): what stays
        unknown without a georeference (``"its area is unknown"``).  A missing
        CRS is then an error, and so is a NetCDF grid GDAL does not see: without
        a geotransform GDAL returns the rows bottom-up, so the coordinates read
        with xarray would not describe the rows GDAL returns.

    Raises
    ------
    EvidenceError
        Only with ``unknown``: no CRS, or no geotransform GDAL sees in a NetCDF.
    """
    crs, transform = dataset.crs, dataset.transform
    crs_source = transform_source = None
    netcdf = dataset.driver == "netCDF"
    if netcdf and (crs is None or transform.is_identity):
        found = netcdf_georeference(location)
        if found is not None and (found["width"], found["height"]) == (
            dataset.width,
            dataset.height,
        ):
            if crs is None and found["crs"] is not None:
                crs, crs_source = found["crs"], found["crs_source"]
            if transform.is_identity and found["transform"] is not None:
                transform = found["transform"]
                transform_source = (
                    "the variable's 1-D coordinates, read with xarray: GDAL found no geotransform"
                )
    if unknown is not None:
        if netcdf and dataset.transform.is_identity:
            raise EvidenceError(
                f"GDAL finds no geotransform for this NetCDF variable, so {unknown}",
                source=location,
                hint="Give the x/y (or lon/lat) coordinate variables their CF attributes "
                "(standard_name, units), or convert with `gdal_translate -a_ullr … "
                "-a_srs EPSG:… in.nc out.tif`.",
            )
        if crs is None:
            raise EvidenceError(
                f"the raster has no CRS, so {unknown}",
                source=location,
                hint=crs_fix_hint(location, dataset.driver)
                if netcdf
                else "Write the CRS into the file (e.g. `gdal_edit.py -a_srs EPSG:4326`).",
            )
    return Georeference(crs, transform, crs_source, transform_source)


def _parse_crs(value: Any) -> Any:
    from rasterio.crs import CRS

    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    init = re.fullmatch(r"\+init=epsg:(\d+)", text, flags=re.IGNORECASE)
    try:
        return CRS.from_epsg(int(init.group(1))) if init else CRS.from_user_input(text)
    except Exception:  # rasterio's CRSError and PROJ's errors
        return None


def _xarray_crs(ds: Any, da: Any) -> tuple[Any, str] | None:
    from rasterio.crs import CRS

    value = da.attrs.get("crs")
    crs = _parse_crs(value)
    if crs is not None:
        return crs, f"attribute crs = {value!r} of {da.name!r}"
    mapping = da.attrs.get("grid_mapping", da.encoding.get("grid_mapping"))
    if isinstance(mapping, str) and mapping in ds.variables:
        attrs = dict(ds[mapping].attrs)
        for key in ("crs_wkt", "spatial_ref"):
            crs = _parse_crs(attrs.get(key))
            if crs is not None:
                return crs, f"CF grid_mapping variable {mapping!r} ({key})"
        try:
            import pyproj

            crs = CRS.from_wkt(pyproj.CRS.from_cf(attrs).to_wkt())
            return crs, f"CF grid_mapping variable {mapping!r}"
        except Exception:  # pyproj cannot build every CF mapping
            pass
    value = ds.attrs.get("crs")
    crs = _parse_crs(value)
    if crs is not None:
        return crs, f"global attribute crs = {value!r}"
    try:
        import rioxarray  # noqa: F401  (registers .rio)

        found = da.rio.crs
    except Exception:  # rioxarray raises on odd grid mappings
        found = None
    if found is not None:
        return CRS.from_user_input(found), "the spatial_ref/crs coordinate (rioxarray)"
    if mapping is None:
        lonlat = _cf_lonlat(da)
        if lonlat is not None:
            return CRS.from_epsg(4326), lonlat
    return None


#: CF units of latitude and longitude (CF conventions 1.11, sections 4.1 and 4.2).
_CF_LAT_UNITS = ("degrees_north", "degree_north", "degree_n", "degrees_n", "degreen", "degreesn")
_CF_LON_UNITS = ("degrees_east", "degree_east", "degree_e", "degrees_e", "degreee", "degreese")


def _cf_lonlat(da: Any) -> str | None:
    """Where a variable without grid_mapping is on CF latitude/longitude coordinates, or None.

    The last two dimensions must be 1-D coordinates that CF identifies as
    latitude and longitude (units ``degrees_north``/``degrees_east`` or their CF
    variants, or ``standard_name`` ``latitude``/``longitude``), latitudes within
    ±90°.  CF leaves their datum unstated; WGS 84 (EPSG:4326) is assumed, as GDAL
    and most CF readers do, and the description says so.
    """
    import numpy as np

    ydim, xdim = da.dims[-2], da.dims[-1]
    if ydim not in da.coords or xdim not in da.coords:
        return None
    lat, lon = da[ydim], da[xdim]

    def says(coord: Any, units: tuple[str, ...], name: str) -> str | None:
        unit = str(coord.attrs.get("units", "")).strip()
        if unit.lower() in units:
            return unit
        if str(coord.attrs.get("standard_name", "")).strip().lower() == name:
            return f"standard_name {name}"
        return None

    lat_says = says(lat, _CF_LAT_UNITS, "latitude")
    lon_says = says(lon, _CF_LON_UNITS, "longitude")
    if lat_says is None or lon_says is None or lat.ndim != 1 or lon.ndim != 1:
        return None
    values = np.asarray(lat.values, dtype=float)
    if values.size == 0 or not np.all(np.isfinite(values)) or np.abs(values).max() > 90.0:
        return None
    return (
        f"CF latitude/longitude coordinates {str(ydim)!r} ({lat_says}) and {str(xdim)!r} "
        f"({lon_says}) without grid_mapping: WGS 84 (EPSG:4326) assumed"
    )


def _xarray_transform(da: Any) -> Any:
    import numpy as np
    from affine import Affine

    ydim, xdim = da.dims[-2], da.dims[-1]
    if ydim in da.coords and xdim in da.coords:
        y = np.asarray(da[ydim].values, dtype=float)
        x = np.asarray(da[xdim].values, dtype=float)
        if y.ndim == 1 and x.ndim == 1 and y.size >= 2 and x.size >= 2:
            dy, dx = np.diff(y), np.diff(x)
            regular = np.ptp(dy) <= 1e-4 * abs(dy[0]) and np.ptp(dx) <= 1e-4 * abs(dx[0])
            if regular and dx[0] != 0 and dy[0] != 0:
                sx, sy = float((x[-1] - x[0]) / (x.size - 1)), float((y[-1] - y[0]) / (y.size - 1))
                return Affine(sx, 0.0, float(x[0]) - sx / 2, 0.0, sy, float(y[0]) - sy / 2)
    values = da.attrs.get("transform")
    if values is not None and len(values) >= 6:
        t = Affine(*(float(v) for v in list(values)[:6]))
        if not t.is_identity:
            return t
    return None


def read_failure(location: str, exc: BaseException) -> EvidenceReadError:
    """The error to raise when pixel data of an opened raster cannot be decoded.

    The cause is GDAL's own message (``band 1: IReadBlock failed at X offset 1,
    Y offset 0: TIFFReadEncodedTile() failed``): rasterio's wrapper ("Read
    failed. See previous exception for details.") is replaced by the exception
    it points to, and the file name GDAL repeats is dropped.
    """
    cause: BaseException | None = exc
    while cause is not None and "see previous exception" in str(cause).lower():
        cause = cause.__cause__ or cause.__context__
    text = _first_line(cause if cause is not None else exc)
    text = re.sub(r"\s*See previous exception[^.]*\.?", "", text, flags=re.I)
    head, sep, tail = text.partition(", band ")
    if sep and os.path.basename(head.rstrip('"')) in os.fspath(location):
        text = f"band {tail}"
    text = text.strip().rstrip(".") or type(exc).__name__
    return EvidenceReadError(
        f"pixel data cannot be read ({text}); the file is damaged or truncated",
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
    _check_local(text)
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
