"""The one cube opener: NetCDF-3/4 with groups, HDF5 through h5netcdf, Zarr; CF grid and time."""

from __future__ import annotations

from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io.cube import (
    cube_grid,
    cube_variables,
    netcdf_georeference,
    open_cube,
    open_variable,
    time_values,
)


def _tropomi_like(path: Path) -> None:
    """A NetCDF4 file laid out like TROPOMI L2: data in the group PRODUCT."""
    with netCDF4.Dataset(path, "w") as nc:
        nc.setncattr("Conventions", "CF-1.7")
        product = nc.createGroup("PRODUCT")
        product.createDimension("time", 2)
        product.createDimension("scanline", 3)
        product.createDimension("ground_pixel", 4)
        t = product.createVariable("time", "i4", ("time",))
        t.units = "seconds since 2010-01-01 00:00:00"
        t[:] = [0, 86400]
        ch4 = product.createVariable(
            "methane_mixing_ratio",
            "f4",
            ("time", "scanline", "ground_pixel"),
            fill_value=9.96921e36,
        )
        ch4.units = "1e-9"
        ch4[:] = np.arange(24, dtype="f4").reshape(2, 3, 4) + 1800


def test_variable_in_a_group_by_path_and_by_name(tmp_path: Path) -> None:
    path = tmp_path / "S5P_L2_CH4.nc"
    _tropomi_like(path)
    assert "PRODUCT/methane_mixing_ratio" in cube_variables(path)
    for name in ("PRODUCT/methane_mixing_ratio", "methane_mixing_ratio"):
        da, ds = open_variable(path, name)
        with ds:
            assert da.shape == (2, 3, 4)
            assert float(da.values[1, 2, 3]) == 1823.0  # hand: 23 + 1800
    with pytest.raises(EvidenceError, match="PRODUCT/methane_mixing_ratio"):
        open_variable(path, "no_such")


def test_time_of_a_group_decodes_with_cftime(tmp_path: Path) -> None:
    path = tmp_path / "S5P_L2_CH4.nc"
    _tropomi_like(path)
    da, ds = open_variable(path, "PRODUCT/methane_mixing_ratio", decode_times=True)
    with ds:
        stamps = time_values(ds, str(path), str(da.name))
    assert [(s.year, s.month, s.day) for s in stamps] == [(2010, 1, 1), (2010, 1, 2)]


def test_noleap_calendar_in_zarr(tmp_path: Path) -> None:
    days = np.array([0, 59, 365], dtype="i4")  # noleap: day 59 is 1 March, 365 is next year
    ds = xr.Dataset(
        {"v": (("time", "y", "x"), np.zeros((3, 2, 2), "f4"))},
        coords={"time": ("time", days, {"units": "days since 2001-01-01", "calendar": "noleap"})},
    )
    ds.to_zarr(tmp_path / "cube.zarr", consolidated=False)
    with open_cube(tmp_path / "cube.zarr", decode_times=True) as opened:
        stamps = time_values(opened, "cube.zarr")
    assert [(s.year, s.month, s.day) for s in stamps] == [(2001, 1, 1), (2001, 3, 1), (2002, 1, 1)]
    assert stamps[0].calendar == "noleap"


def _latlon(lat: np.ndarray, lon: np.ndarray, dtype: str = "f8") -> xr.Dataset:
    return xr.Dataset(
        {"ba": (("lat", "lon"), np.zeros((lat.size, lon.size), "i2"))},
        coords={
            "lat": ("lat", lat.astype(dtype), {"units": "degrees_north"}),
            "lon": ("lon", lon.astype(dtype), {"units": "degrees_east"}),
        },
    )


@pytest.mark.parametrize("store", ["nc", "h5", "zarr"])
def test_cf_latlon_grid_in_netcdf_hdf5_and_zarr(tmp_path: Path, store: str) -> None:
    # a 0.25° global grid, float32 coordinates, 0–360° longitudes, south-up rows
    lat = np.arange(-89.875, 90, 0.25)
    lon = np.arange(0.125, 360, 0.25)
    ds = _latlon(lat, lon, "f4")
    path = tmp_path / f"g.{store}"
    if store == "zarr":
        ds.to_zarr(path, consolidated=False)
    else:
        ds.to_netcdf(path, engine="h5netcdf" if store == "h5" else "netcdf4")
    da, opened = open_variable(path, "ba")
    with opened:
        grid = cube_grid(da, opened)
    assert grid.crs is not None and grid.crs.to_epsg() == 4326
    assert "CF latitude/longitude" in grid.crs_source
    t = grid.transform
    # hand: west edge 0°, south edge −90°, rows run north (positive e)
    assert (t.a, t.c, t.e, t.f) == pytest.approx((0.25, 0.0, 0.25, -90.0), abs=1e-5)
    assert grid.south_up
    assert (grid.width, grid.height) == (1440, 720)


def test_grid_mapping_gives_the_crs(tmp_path: Path) -> None:
    ds = xr.Dataset(
        {"v": (("y", "x"), np.ones((2, 3), "f4"), {"grid_mapping": "crs"})},
        coords={
            "y": ("y", [4_000_015.0, 3_999_985.0]),
            "x": ("x", [500_015.0, 500_045.0, 500_075.0]),
        },
    )
    ds["crs"] = xr.DataArray(
        0,
        attrs={
            "grid_mapping_name": "transverse_mercator",
            "longitude_of_central_meridian": 117.0,
            "latitude_of_projection_origin": 0.0,
            "scale_factor_at_central_meridian": 0.9996,
            "false_easting": 500000.0,
            "false_northing": 0.0,
            "semi_major_axis": 6378137.0,
            "inverse_flattening": 298.257223563,
        },
    )
    ds.to_netcdf(tmp_path / "utm.nc")
    found = netcdf_georeference(tmp_path / "utm.nc", "v")
    assert found is not None
    assert "grid_mapping" in found["crs_source"]
    assert found["crs"].to_dict().get("zone") == 50  # central meridian 117° E: UTM zone 50
    assert tuple(found["transform"])[:6] == pytest.approx((30, 0, 500_000, 0, -30, 4_000_030))


def test_irregular_coordinates_give_no_transform(tmp_path: Path) -> None:
    ds = _latlon(np.array([10.0, 9.0, 7.0]), np.array([0.0, 1.0, 2.0]))
    ds.to_netcdf(tmp_path / "irr.nc")
    da, opened = open_variable(tmp_path / "irr.nc", "ba")
    with opened:
        assert cube_grid(da, opened).transform is None


def test_missing_unreadable_and_hdf4_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(EvidenceReadError, match="file not found"):
        open_cube(tmp_path / "absent.nc")
    (tmp_path / "MOD09A1.hdf").write_bytes(b"\x0e\x03\x13\x01" + b"\0" * 64)  # HDF4 magic
    with pytest.raises(EvidenceReadError, match="cannot be opened as NetCDF/HDF5"):
        open_cube(tmp_path / "MOD09A1.hdf")
