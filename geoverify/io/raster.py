"""Open rasters where they lie: local files, http(s) URLs, GDAL subdatasets.

Everything here opens rasters read-only through GDAL (rasterio) and turns the
many ways a file can be broken into one :class:`~geoverify.errors.EvidenceReadError`
or :class:`~geoverify.errors.EvidenceError` that names the file, the cause and a
fix.  What GDAL does not find in a NetCDF/HDF5/Zarr cube (a CRS given only as CF
attributes, 1-D coordinates without CF attributes) is completed by
:mod:`geoverify.io.cube` in :func:`georeference`.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io._common import NOT_FOUND_HINT, check_local, first_line
from geoverify.io.confine import check_location, gdal_http_options
from geoverify.model.evidence import is_remote

if TYPE_CHECKING:
    import rasterio

__all__ = [
    "CUBE_DRIVERS",
    "GDAL_OPTIONS",
    "NOT_FOUND_HINT",
    "Georeference",
    "crs_fix_hint",
    "georeference",
    "open_raster",
    "probe_pixels",
    "raster_source",
    "read_failure",
    "split_subdataset",
    "to_gdal_path",
]

#: GDAL configuration used for every raster read.  The block cache is bounded
#: to 64 MiB: rasterio passes GDAL_CACHEMAX to ``GDALSetCacheMax64``, which
#: takes *bytes* (a bare ``64`` gives a 64-byte cache that re-decodes every
#: tile; the "< 100000 means MB" rule applies only to the configuration option
#: read by GDAL itself, and rasterio refuses strings such as ``"64MB"``).  No
#: VSI_CACHE: it adds a cache per open file handle (per thread and per file in
#: a scan) that grows up to its size with every file read; local files are in
#: the OS page cache, and ``/vsicurl/`` keeps its own global block cache, bounded
#: by CPL_VSIL_CURL_CACHE_SIZE (bytes).  http reads time out and retry a bounded
#: number of times instead of GDAL's defaults.
GDAL_OPTIONS: dict[str, Any] = {
    "GDAL_CACHEMAX": 64 * 2**20,
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_TIMEOUT": 20,
    "GDAL_HTTP_CONNECTTIMEOUT": 10,
    "GDAL_HTTP_MAX_RETRY": 2,
    "GDAL_HTTP_RETRY_DELAY": 0.5,
    "CPL_VSIL_CURL_CACHE_SIZE": 16 * 2**20,
}

# GDAL subdataset names of one variable: NETCDF:"path":var, HDF5:"path"://var (quotes optional).
_SUBDATASET = re.compile(
    r'^(?P<driver>netcdf|hdf5|zarr):(?:"(?P<quoted>[^"]+)"|(?P<plain>[^"]+?)):(?P<var>[^:"]+)$',
    re.IGNORECASE,
)

#: GDAL drivers of cubes whose georeferencing :mod:`geoverify.io.cube` completes.
CUBE_DRIVERS = ("netCDF", "HDF5", "HDF5Image", "Zarr")


def to_gdal_path(location: str | os.PathLike[str]) -> str:
    """The path GDAL should open: ``/vsicurl/`` for http(s) URLs, the path otherwise."""
    text = os.fspath(location)
    return f"/vsicurl/{text}" if is_remote(text) else text


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
    import rasterio
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
    check_local(path)
    with rasterio.Env(**GDAL_OPTIONS):
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
        f"cannot be opened as a raster ({first_line(exc)})",
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
    import rasterio
    from rasterio.errors import RasterioIOError

    from geoverify.io.cube import cube_variables

    text = os.fspath(location)
    check_location(split_subdataset(text)[0])  # confinement, special files, references
    name = raster_source(text, variable)
    path, named = split_subdataset(name)
    check_local(path)
    with rasterio.Env(**{**GDAL_OPTIONS, **gdal_http_options()}):
        try:
            dataset = _open_quietly(to_gdal_path(name))
        except RasterioIOError as exc:
            if named is not None and Path(path).is_file():
                held = cube_variables(path, min_ndim=2)
                problem = f"has no variable {named!r} GDAL can read as a raster"
                if held:
                    raise EvidenceError(
                        f"{problem}; it holds {_listing(held)}",
                        source=path,
                        hint=f'Name one of them with variable = "{held[0]}" '
                        f"(or --variable {held[0]}).",
                    ) from None
                raise EvidenceError(
                    f"{problem} ({first_line(exc)})",
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
    from geoverify.io.cube import grid_mappings

    mappings = grid_mappings(path)
    if variable and mappings:
        hint = (
            f"{variable} names no grid_mapping although the file defines "
            f"{', '.join(repr(m) for m in mappings)}: add the attribute "
            f'grid_mapping = "{mappings[0]}" to {variable}, or convert with '
            "`gdal_translate -a_srs EPSG:… in.nc out.tif` (gdal_edit.py cannot edit NetCDF)"
        )
    return hint + "."


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
    transform is then the identity): :func:`geoverify.io.cube.netcdf_georeference`
    reads them with xarray (NetCDF, HDF5 and Zarr alike), and ``crs_source`` /
    ``transform_source`` say so.  This is the one fallback of the pixel-size, area
    and country checks.

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
    netcdf = dataset.driver in CUBE_DRIVERS
    if netcdf and (crs is None or transform.is_identity):
        from geoverify.io.cube import netcdf_georeference

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
        if dataset.driver == "netCDF" and dataset.transform.is_identity:
            # without a geotransform GDAL's netCDF driver returns the rows bottom-up
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
    text = first_line(cause if cause is not None else exc)
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
