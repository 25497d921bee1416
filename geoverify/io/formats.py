"""Which kind of file a location is: the one suffix registry of geoverify.

Every place that chooses a reader by the file's name asks here: a vector file
(samples, polygons), a raster GDAL opens, a cube xarray opens (NetCDF, HDF5,
Zarr), or a table (CSV, Parquet, NetCDF).  A suffix may belong to several kinds:
a ``.nc`` file is a raster for GDAL, a cube for xarray and a table when flattened.

Suffixes are compared lower-case, after dropping a URL's query string; ``.csv.gz``
is one suffix.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

__all__ = [
    "CUBE_SUFFIXES",
    "HDF5_SUFFIXES",
    "NETCDF_SUFFIXES",
    "RASTER_MEDIA_TYPES",
    "RASTER_SUFFIXES",
    "TABLE_SUFFIXES",
    "VECTOR_SUFFIXES",
    "ZARR_MARKERS",
    "is_cube",
    "is_raster",
    "is_table",
    "is_vector",
    "is_zarr",
    "suffix",
]

#: NetCDF-3/4 files (xarray: netCDF4, scipy or h5netcdf; GDAL: netCDF driver).
NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf", ".cdf")
#: HDF5 files, HDF-EOS5 included (xarray through h5netcdf; GDAL: HDF5 driver).
#: HDF4 (``.hdf``, MODIS collection 6) is not here: the GDAL of the rasterio wheels
#: has no HDF4 driver and h5netcdf reads HDF5 only.
HDF5_SUFFIXES = (".h5", ".hdf5", ".he5")
#: Cubes xarray opens: NetCDF, HDF5 and Zarr stores.
CUBE_SUFFIXES = (*NETCDF_SUFFIXES, *HDF5_SUFFIXES, ".zarr")
#: Files a Zarr store (v2 or v3) holds at its root.
ZARR_MARKERS = (".zgroup", ".zattrs", ".zmetadata", "zarr.json")
#: Rasters GDAL opens (cubes through their GDAL drivers).
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".jp2", *NETCDF_SUFFIXES, *HDF5_SUFFIXES)
#: Vector files: points, polygons (OGR, GeoParquet) and CSV with lon/lat columns.
VECTOR_SUFFIXES = (
    ".gpkg",
    ".geojson",
    ".json",
    ".shp",
    ".parquet",
    ".geoparquet",
    ".fgb",
    ".gml",
    ".kml",
    ".csv",
    ".txt",
)
#: Tables: CSV, Parquet, and NetCDF flattened to rows.
TABLE_SUFFIXES = (".csv", ".txt", ".csv.gz", ".parquet", ".pq", *NETCDF_SUFFIXES)
#: Media types (STAC assets) of rasters.
RASTER_MEDIA_TYPES = (
    "image/tiff",
    "image/vnd.stac.geotiff",
    "application/x-netcdf",
    "application/netcdf",
    "application/x-hdf5",
    "image/jp2",
)


def suffix(location: str | os.PathLike[str]) -> str:
    """The lower-case suffix of a path or URL (``.csv.gz`` whole, query strings dropped)."""
    text = os.fspath(location)
    if "://" in text:
        text = urllib.parse.urlparse(text).path
    name = Path(text.rstrip("/")).name.lower()
    if name.endswith(".csv.gz"):
        return ".csv.gz"
    return Path(name).suffix


def is_zarr(location: str | os.PathLike[str]) -> bool:
    """A Zarr store: a ``.zarr`` name, or a folder holding Zarr metadata (v2 or v3)."""
    if suffix(location) == ".zarr":
        return True
    path = Path(os.fspath(location))
    return path.is_dir() and any((path / name).exists() for name in ZARR_MARKERS)


def is_cube(location: str | os.PathLike[str]) -> bool:
    """NetCDF, HDF5 or Zarr: read with xarray (:mod:`geoverify.io.cube`)."""
    return suffix(location) in CUBE_SUFFIXES or is_zarr(location)


def is_raster(location: str | os.PathLike[str]) -> bool:
    """A raster GDAL opens, by suffix (GeoTIFF/COG, VRT, ERDAS img, JPEG 2000, NetCDF, HDF5)."""
    return suffix(location) in RASTER_SUFFIXES


def is_vector(location: str | os.PathLike[str]) -> bool:
    """A vector file (or a CSV of lon/lat points), by suffix."""
    return suffix(location) in VECTOR_SUFFIXES


def is_table(location: str | os.PathLike[str]) -> bool:
    """A table :func:`geoverify.io.table.read_table` reads, by suffix."""
    return suffix(location) in TABLE_SUFFIXES
