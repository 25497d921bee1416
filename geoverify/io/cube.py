"""The one opener of cubes: NetCDF-3/4 (groups included), HDF5 through h5netcdf, and Zarr.

Every xarray read of geoverify goes through :func:`open_cube` (a dataset, or one
group of it) and :func:`open_variable` (a variable named ``"name"`` or
``"group/name"``).  The same module reads what the file says about where and
when its data lie:

- :func:`cube_grid` — the CF georeferencing of a variable: its CRS (``crs``
  attribute, CF ``grid_mapping``, global ``crs``, a ``spatial_ref`` coordinate,
  CF latitude/longitude coordinates) and the affine transform of its regular
  1-D coordinates, south-up rows and 0–360° longitudes included, for NetCDF
  and Zarr alike;
- :func:`time_values` — its time axis decoded by the CF conventions with
  ``cftime`` (every CF calendar: ``standard``, ``noleap``, ``360_day`` …).

HDF4 (MODIS collection 6 ``.hdf``) is not readable: the GDAL of the rasterio
wheels has no HDF4 driver and h5netcdf reads HDF5 only; convert with
``gdal_translate`` where a full GDAL is available.

References
----------
Eaton, B. et al. *NetCDF Climate and Forecast (CF) Metadata Conventions*,
version 1.11: sections 4.1–4.2 (latitude, longitude), 4.4 (time), 5.6 (grid
mappings).
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io._common import check_local, first_line
from geoverify.io.formats import is_zarr
from geoverify.model.evidence import is_remote

__all__ = [
    "CubeGrid",
    "cube_grid",
    "cube_variables",
    "grid_mappings",
    "netcdf_georeference",
    "open_cube",
    "open_variable",
    "split_variable",
    "time_values",
]

#: Engines tried for NetCDF/HDF5, in order: netCDF-C, scipy (NetCDF-3 files netCDF-C
#: refuses, e.g. with non-UTF-8 attributes), h5netcdf (HDF5 outside netCDF-C's conventions).
_ENGINES = ("netcdf4", "scipy", "h5netcdf")

#: Relative tolerance on the spacing of coordinates for a regular grid: float32
#: coordinates (longitude 180 is off by ~2e-5) on a 0.25° grid are irregular by ~1e-4.
REGULAR_TOLERANCE = 1e-4


def split_variable(variable: str) -> tuple[str | None, str]:
    """``(group, name)`` of ``"group/sub/name"``; ``(None, name)`` for a plain name."""
    text = variable.strip().strip("/")
    group, sep, name = text.rpartition("/")
    return (group or None) if sep else None, name


def _decoder(decode_times: bool) -> Any:
    import xarray as xr

    return xr.coders.CFDatetimeCoder(use_cftime=True) if decode_times else False


def open_cube(
    location: str | os.PathLike[str],
    *,
    group: str | None = None,
    decode_times: bool = False,
    mask_and_scale: bool = False,
    chunks: dict[str, Any] | None = None,
) -> Any:
    """Open a NetCDF, HDF5 or Zarr file with xarray, lazily; failures as geoverify errors.

    Parameters
    ----------
    location : path or URL
        A NetCDF-3/4 or HDF5 file (netCDF4, then h5netcdf, then scipy), or a Zarr
        store (a ``.zarr`` name or a folder holding Zarr metadata, v2 or v3).
    group : str, optional
        The group to open (``"PRODUCT"``, ``"PRODUCT/SUPPORT_DATA"``).
    decode_times : bool
        Decode CF time coordinates to ``cftime`` objects (every CF calendar).
    mask_and_scale : bool
        Apply ``_FillValue``/``scale_factor``/``add_offset`` (off: raw stored values).
    chunks : dict, optional
        Dask chunks (``{}``: the file's own chunks); ``None`` reads lazily without dask.

    Returns
    -------
    xarray.Dataset
        Close it (or use it as a context manager).

    Raises
    ------
    EvidenceReadError
        The file is missing, or no engine opens it (the first engine's message
        is quoted), or the group does not exist.
    """
    import xarray as xr

    text = os.fspath(location)
    check_local(text)
    options: dict[str, Any] = {
        "decode_times": _decoder(decode_times),
        "mask_and_scale": mask_and_scale,
    }
    if chunks is not None:
        options["chunks"] = chunks
    if group:
        options["group"] = group
    if is_zarr(text):
        try:
            with warnings.catch_warnings():
                # a store without consolidated metadata is read from each array's own
                # metadata: nothing the submitter must fix, so no warning on the console
                warnings.simplefilter("ignore")
                options.setdefault("chunks", None)
                return xr.open_zarr(text, **options)
        except Exception as exc:  # zarr raises many types
            raise EvidenceReadError(
                f"cannot be opened as Zarr{_in_group(group)} ({first_line(exc)})",
                source=text,
                hint="Deliver a Zarr store (v2 or v3) that xarray opens, or NetCDF.",
            ) from None
    if not is_remote(text) and Path(text).is_dir():
        raise EvidenceReadError(
            "is a directory, neither a NetCDF/HDF5 file nor a Zarr store",
            source=text,
            hint="Give the file itself, or a Zarr store with its .zgroup/zarr.json.",
        )
    errors: list[str] = []
    for engine in _ENGINES:
        if engine == "scipy" and group:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return xr.open_dataset(text, engine=engine, **options)
        except Exception as exc:  # each backend fails differently on foreign files
            errors.append(first_line(exc))
    raise EvidenceReadError(
        f"cannot be opened as NetCDF/HDF5{_in_group(group)} ({errors[0] if errors else ''})",
        source=text,
        hint="Deliver NetCDF-4/HDF5, NetCDF-3 or Zarr (`ncdump -h` shows the structure)."
        if not group
        else f"Check the group's name (`ncdump -h` lists the groups); {cube_listing(text)}.",
    )


def _in_group(group: str | None) -> str:
    return f" (group {group!r})" if group else ""


def cube_variables(location: str | os.PathLike[str], *, min_ndim: int = 1) -> list[str]:
    """Names (``"group/name"`` inside groups) of the data variables of a cube, every group."""
    import xarray as xr

    text = os.fspath(location)
    names: list[str] = []
    groups: dict[str, Any] | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if is_zarr(text):
                groups = dict(xr.open_groups(text, engine="zarr", decode_times=False))
            else:
                for engine in ("netcdf4", "h5netcdf"):
                    try:
                        groups = dict(xr.open_groups(text, engine=engine, decode_times=False))
                        break
                    except Exception:  # try the next engine
                        continue
                if groups is None:  # NetCDF-3 (scipy): no groups
                    groups = {"/": open_cube(text)}
    except Exception:  # an unreadable file lists nothing; the opener reports why
        return []
    for path, ds in (groups or {}).items():
        prefix = path.strip("/")
        for name, var in ds.data_vars.items():
            if var.ndim >= min_ndim:
                names.append(f"{prefix}/{name}" if prefix else str(name))
        ds.close()
    return names


def cube_listing(location: str | os.PathLike[str], most: int = 12) -> str:
    """``"it holds a, b/c, …"`` for messages."""
    names = cube_variables(location)
    if not names:
        return "it holds no data variable"
    shown = ", ".join(names[:most])
    more = "" if len(names) <= most else f" … ({len(names)} variables)"
    return f"it holds {shown}{more}"


def open_variable(
    location: str | os.PathLike[str],
    variable: str,
    *,
    decode_times: bool = False,
    mask_and_scale: bool = False,
    chunks: dict[str, Any] | None = None,
    min_ndim: int = 0,
) -> tuple[Any, Any]:
    """``(DataArray, Dataset)`` of the variable ``"name"`` or ``"group/name"`` of a cube.

    A plain name not found at the root is looked for in the groups: when exactly
    one group holds it (TROPOMI's ``PRODUCT/methane_mixing_ratio``), that one is
    opened.  Close the dataset when done.

    Raises
    ------
    EvidenceError
        No such variable (the message lists the file's variables, groups
        included), or fewer than ``min_ndim`` dimensions.
    EvidenceReadError
        The file cannot be opened.
    """
    text = os.fspath(location)
    group, name = split_variable(variable)
    try:
        ds = open_cube(
            text,
            group=group,
            decode_times=decode_times,
            mask_and_scale=mask_and_scale,
            chunks=chunks,
        )
    except EvidenceReadError:
        spelt = _gdal_spelling(text, variable) if group else None
        if spelt is None:
            raise
        return open_variable(
            text,
            spelt,
            decode_times=decode_times,
            mask_and_scale=mask_and_scale,
            chunks=chunks,
            min_ndim=min_ndim,
        )
    if name not in ds.variables and group is None:
        held = [v for v in cube_variables(text) if split_variable(v)[1] == name]
        if len(held) == 1 and split_variable(held[0])[0] is not None:
            ds.close()
            return open_variable(
                text,
                held[0],
                decode_times=decode_times,
                mask_and_scale=mask_and_scale,
                chunks=chunks,
                min_ndim=min_ndim,
            )
    if name not in ds.variables:
        ds.close()
        names = cube_variables(text)
        spelt = _gdal_spelling(text, variable)
        if spelt is not None:
            return open_variable(
                text,
                spelt,
                decode_times=decode_times,
                mask_and_scale=mask_and_scale,
                chunks=chunks,
                min_ndim=min_ndim,
            )
        raise EvidenceError(
            f"has no variable {variable!r}; {cube_listing(text)}",
            source=text,
            hint=f'Name one of them with variable = "{names[0]}".'
            if names
            else "Check the file (`ncdump -h`).",
        )
    da = ds[name]
    if da.ndim < min_ndim:
        ds.close()
        raise EvidenceError(
            f"variable {variable!r} has {da.ndim} dimension(s) {tuple(map(str, da.dims))}; "
            f"at least {min_ndim} are needed",
            source=text,
            hint="Name the gridded variable (rows and columns as its last two dimensions).",
        )
    return da, ds


def _gdal_spelling(location: str, variable: str) -> str | None:
    """The variable GDAL names ``variable``, or None.

    GDAL's HDF5 subdataset names write spaces as underscores (HDF-EOS5's
    ``Data Fields`` group becomes ``Data_Fields``): the one variable so spelt is
    meant.
    """
    wanted = variable.strip().strip("/")
    spelt = [v for v in cube_variables(location) if v.replace(" ", "_") == wanted]
    return spelt[0] if len(spelt) == 1 and spelt[0] != wanted else None


def grid_mappings(location: str | os.PathLike[str]) -> list[str]:
    """Names of the CF grid-mapping variables of a local cube (``[]`` when unreadable)."""
    text = os.fspath(location)
    if is_remote(text) or not Path(text).exists():
        return []
    try:
        ds = open_cube(text)
    except EvidenceReadError:
        return []
    with ds:
        return [str(k) for k, v in ds.variables.items() if "grid_mapping_name" in v.attrs]


# --------------------------------------------------------------------------- georeferencing


@dataclass(frozen=True)
class CubeGrid:
    """Where a cube variable's cells lie.

    ``transform`` maps (column, row) of the last two dimensions to the CRS's
    coordinates: its ``e`` is positive for south-up rows (latitude increasing
    with the row index), and its ``c`` may be ≥ 180 for a 0–360° grid.
    """

    crs: Any
    crs_source: str | None
    transform: Any
    width: int
    height: int
    ydim: str
    xdim: str

    @property
    def south_up(self) -> bool:
        """Rows run south to north (positive ``e``)."""
        return self.transform is not None and self.transform.e > 0


def cube_grid(da: Any, ds: Any, *, lonlat_names: bool = False) -> CubeGrid:
    """CF georeferencing of the variable ``da`` of dataset ``ds`` (NetCDF, HDF5 or Zarr).

    The CRS is looked for, in order, in the variable's ``crs`` attribute
    (``'+init=epsg:32719'`` is read as ``EPSG:32719``), its CF ``grid_mapping``
    variable (``crs_wkt``/``spatial_ref``, else the CF parameters through
    :meth:`pyproj.CRS.from_cf`), the dataset's global ``crs`` attribute, a
    ``spatial_ref`` coordinate (rioxarray), and last, for a variable naming no
    grid_mapping, latitude/longitude coordinates: CF units
    (``degrees_north``/``degrees_east`` and variants) or ``standard_name`` — or,
    with ``lonlat_names``, dimensions merely named ``lat``/``latitude`` and
    ``lon``/``longitude`` with values in range (WGS 84 assumed, as GDAL and most
    CF readers do; ``crs_source`` says so).  ``lonlat_names`` is off for GDAL's
    fallback (:func:`netcdf_georeference`): a grid GDAL reads without CF
    attributes gets no CRS from its names alone.

    The transform comes from the 1-D coordinates of the last two dimensions when
    they are regular within :data:`REGULAR_TOLERANCE` (relative; float32
    coordinates pass), the step being the mean spacing, or from a 6-number
    ``transform`` attribute; ``None`` otherwise.  South-up rows give a positive
    ``e``; longitudes are kept as stored (0–360° grids start at 0).
    """
    if da.ndim < 2:
        raise ValueError(f"{da.name!r} has fewer than 2 dimensions")
    found = _crs_of(ds, da, lonlat_names)
    return CubeGrid(
        crs=found[0] if found else None,
        crs_source=found[1] if found else None,
        transform=_transform_of(da),
        width=int(da.shape[-1]),
        height=int(da.shape[-2]),
        ydim=str(da.dims[-2]),
        xdim=str(da.dims[-1]),
    )


def netcdf_georeference(
    location: str | os.PathLike[str], variable: str | None = None
) -> dict[str, Any] | None:
    """CRS and transform of a cube variable read with xarray, for what GDAL does not find.

    ``location`` may be a GDAL subdataset name (``NETCDF:"f.nc":var``).  Without a
    variable the file's only variable of 2 or more dimensions is taken.

    Returns
    -------
    dict or None
        ``crs`` (``rasterio.crs.CRS`` or ``None``), ``crs_source`` (where it was
        found), ``transform`` (``Affine`` or ``None``), ``width``, ``height`` and
        ``variable``; ``None`` when the file is not a local cube xarray opens, or
        the variable cannot be told.
    """
    from geoverify.io.raster import split_subdataset

    path, named = split_subdataset(os.fspath(location))
    variable = variable or named
    if is_remote(path) or not Path(path).exists():
        return None
    if variable is None:
        grids = cube_variables(path, min_ndim=2)
        if len(grids) != 1:
            return None
        variable = grids[0]
    try:
        da, ds = open_variable(path, variable, min_ndim=2)
    except (EvidenceError, EvidenceReadError):
        return None
    with ds:
        grid = cube_grid(da, ds)
    return {
        "crs": grid.crs,
        "crs_source": (
            f"the file's attributes ({grid.crs_source}), read with xarray: GDAL found no CRS"
            if grid.crs is not None
            else None
        ),
        "transform": grid.transform,
        "width": grid.width,
        "height": grid.height,
        "variable": variable,
    }


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


def _crs_of(ds: Any, da: Any, lonlat_names: bool = False) -> tuple[Any, str] | None:
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
        lonlat = _cf_lonlat(da, lonlat_names)
        if lonlat is not None:
            return CRS.from_epsg(4326), lonlat
    return None


#: CF units of latitude and longitude (CF conventions 1.11, sections 4.1 and 4.2).
_CF_LAT_UNITS = ("degrees_north", "degree_north", "degree_n", "degrees_n", "degreen", "degreesn")
_CF_LON_UNITS = ("degrees_east", "degree_east", "degree_e", "degrees_e", "degreee", "degreese")
_LAT_NAMES = ("lat", "latitude")
_LON_NAMES = ("lon", "long", "longitude")


def _cf_lonlat(da: Any, by_name: bool = False) -> str | None:
    """Where a variable without grid_mapping is on latitude/longitude coordinates, or None.

    The last two dimensions must be 1-D coordinates that CF identifies as
    latitude and longitude (units ``degrees_north``/``degrees_east`` or their CF
    variants, or ``standard_name`` ``latitude``/``longitude``), or, with
    ``by_name``, dimensions named ``lat``/``latitude`` and ``lon``/``longitude``
    without CF attributes; latitudes within ±90°, longitudes within −180…360°.
    """
    ydim, xdim = da.dims[-2], da.dims[-1]
    if ydim not in da.coords or xdim not in da.coords:
        return None
    lat, lon = da[ydim], da[xdim]
    if lat.ndim != 1 or lon.ndim != 1:
        return None

    def says(coord: Any, units: tuple[str, ...], name: str, names: tuple[str, ...]) -> str | None:
        unit = str(coord.attrs.get("units", "")).strip()
        if unit.lower() in units:
            return unit
        if str(coord.attrs.get("standard_name", "")).strip().lower() == name:
            return f"standard_name {name}"
        if by_name and str(coord.name).lower() in names:
            return f"named {coord.name!r}"
        return None

    lat_says = says(lat, _CF_LAT_UNITS, "latitude", _LAT_NAMES)
    lon_says = says(lon, _CF_LON_UNITS, "longitude", _LON_NAMES)
    if lat_says is None or lon_says is None:
        return None
    lats = np.asarray(lat.values, dtype=float)
    lons = np.asarray(lon.values, dtype=float)
    if lats.size == 0 or not np.all(np.isfinite(lats)) or np.abs(lats).max() > 90.0:
        return None
    if not np.all(np.isfinite(lons)) or lons.min() < -180.0 - 1e-6 or lons.max() > 360.0 + 1e-6:
        return None
    return (
        f"{'' if by_name else 'CF '}latitude/longitude coordinates {str(ydim)!r} ({lat_says}) "
        f"and {str(xdim)!r} "
        f"({lon_says}) without grid_mapping: WGS 84 (EPSG:4326) assumed"
    )


def _transform_of(da: Any) -> Any:
    from affine import Affine

    ydim, xdim = da.dims[-2], da.dims[-1]
    if ydim in da.coords and xdim in da.coords:
        y = np.asarray(da[ydim].values, dtype=float)
        x = np.asarray(da[xdim].values, dtype=float)
        if y.ndim == 1 and x.ndim == 1 and y.size >= 2 and x.size >= 2:
            dy, dx = np.diff(y), np.diff(x)
            regular = np.ptp(dy) <= REGULAR_TOLERANCE * abs(dy[0]) and np.ptp(
                dx
            ) <= REGULAR_TOLERANCE * abs(dx[0])
            if regular and dx[0] != 0 and dy[0] != 0:
                sx, sy = float((x[-1] - x[0]) / (x.size - 1)), float((y[-1] - y[0]) / (y.size - 1))
                return Affine(sx, 0.0, float(x[0]) - sx / 2, 0.0, sy, float(y[0]) - sy / 2)
    values = da.attrs.get("transform")
    if values is not None and np.size(values) >= 6:
        t = Affine(*(float(v) for v in list(np.ravel(values))[:6]))
        if not t.is_identity:
            return t
    return None


# --------------------------------------------------------------------------- time axis


def time_values(
    ds: Any, location: str, variable: str | None = None, time_dim: str | None = None
) -> list[Any]:
    """Decoded time stamps of a dataset opened with ``decode_times=True``.

    The time coordinate is ``time_dim`` when given, else the first dimension (of
    ``variable``, or of the dataset) or coordinate whose values decode to dates.

    Raises
    ------
    EvidenceError
        No such variable or dimension, or no decodable CF time coordinate.
    """
    if variable is not None and variable not in ds.variables:
        raise EvidenceError(
            f"no variable {variable!r} (variables: {', '.join(map(str, ds.data_vars))})",
            source=location,
            hint="Set `variable` to one of the file's variables.",
        )
    dims = list(ds[variable].dims) if variable else list(ds.dims)
    candidates = [time_dim] if time_dim else dims + [c for c in ds.coords if c not in dims]
    for name in candidates:
        if name not in ds.variables and name not in ds.dims:
            if time_dim:
                raise EvidenceError(
                    f"no dimension or coordinate {time_dim!r}",
                    source=location,
                    hint=f"Dimensions: {', '.join(map(str, ds.dims))}.",
                )
            continue
        if name not in ds.variables:
            continue
        coord = ds[name]
        values = coord.values.ravel().tolist() if coord.size else []
        if values and all(hasattr(v, "year") and hasattr(v, "month") for v in values):
            return values
        if time_dim:
            raise EvidenceError(
                f"{time_dim!r} is not a decodable CF time coordinate "
                f"(units {coord.attrs.get('units', coord.encoding.get('units'))!r})",
                source=location,
                hint='Give it CF units such as "days since 1992-01-01" and a calendar.',
            )
    raise EvidenceError(
        "no CF time coordinate found",
        source=location,
        hint="Name the time dimension with `time_dim = ...`, or give `years = [...]`.",
    )
