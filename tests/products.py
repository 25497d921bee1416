"""Small files in the layout of real products, written with the field's own libraries.

- :func:`tropomi_no2` — Sentinel-5P TROPOMI NO2 L2 (netCDF4, groups ``PRODUCT`` and
  ``PRODUCT/SUPPORT_DATA/GEOLOCATIONS``, ``delta_time`` relative to ``time``,
  float ``_FillValue`` 9.96921e36, ``qa_value`` packed with ``scale_factor``);
- :func:`oco2_lite` — OCO-2 L2 Lite XCO2 (netCDF4, dimension ``sounding_id``, ``time``
  in seconds since 1970, ``xco2`` in ppm, ``Sounding`` group);
- :func:`modis_sinusoidal_h5` — a MODIS-like sinusoidal tile in HDF5 (h5py; HDF-EOS5
  grid layout ``HDFEOS/GRIDS/<grid>/Data Fields``, packed with scale_factor /
  add_offset and ``_FillValue``, projection stated in the attributes).

The geometry is a regular lattice written as 2-D arrays, so that independent
figures (geodesic areas, distances, countries) can be computed by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: TROPOMI's float fill value.
FILL = np.float32(9.96921e36)


def tropomi_no2(
    path: Path,
    *,
    lat0: float = 60.0,
    lon0: float = 175.0,
    dlat: float = 0.1,
    dlon: float = 0.5,
    scanlines: int = 60,
    pixels: int = 30,
    start: str = "2023-06-01 00:00:00",
    start_ms: int = 3_600_000,
    step_ms: int = 840,
    value: float = 5e-5,
    fill_every: int = 7,
) -> Path:
    """A TROPOMI-like NO2 swath: scanline ``i`` at ``lat0 + i*dlat``, pixel ``j`` at
    ``lon0 + j*dlon`` (wrapped to ±180), scanline time ``start + start_ms + i*step_ms``;
    every ``fill_every``-th pixel (flat order) is fill."""
    import netCDF4

    lat = lat0 + dlat * np.arange(scanlines)[:, None] * np.ones((1, pixels))
    lon_raw = lon0 + dlon * np.arange(pixels)[None, :] * np.ones((scanlines, 1))
    lon = (lon_raw + 180.0) % 360.0 - 180.0
    corners_lat = np.stack(
        [lat - dlat / 2, lat - dlat / 2, lat + dlat / 2, lat + dlat / 2], axis=-1
    )
    corners_lon_raw = np.stack(
        [lon_raw - dlon / 2, lon_raw + dlon / 2, lon_raw + dlon / 2, lon_raw - dlon / 2], axis=-1
    )
    corners_lon = (corners_lon_raw + 180.0) % 360.0 - 180.0
    data = np.full((1, scanlines, pixels), value, dtype="float32")
    data.ravel()[::fill_every] = FILL
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.Conventions = "CF-1.7"
        nc.institution = "KNMI"
        nc.title = "TROPOMI/S5P NO2 1-Orbit L2 Swath 5.5x3.5km"
        nc.sensor = "TROPOMI"
        nc.orbit = np.int32(29248)
        nc.time_reference = start.replace(" ", "T") + "Z"
        product = nc.createGroup("PRODUCT")
        for name, size in (
            ("scanline", scanlines),
            ("ground_pixel", pixels),
            ("time", 1),
            ("corner", 4),
            ("polynomial_exponents", 6),
        ):
            product.createDimension(name, size)
        for name, size in (("scanline", scanlines), ("ground_pixel", pixels), ("corner", 4)):
            v = product.createVariable(name, "i4", (name,))
            v[:] = np.arange(size)
        t = product.createVariable("time", "i4", ("time",))
        t.units, t.standard_name = "seconds since 2010-01-01 00:00:00", "time"
        t[:] = [423_273_600]  # 2023-06-01T00:00:00Z, the reference of delta_time
        dt = product.createVariable("delta_time", "i4", ("time", "scanline"))
        dt.units = f"milliseconds since {start}"
        dt.long_name = "offset from reference start time of measurement"
        dt[:] = (start_ms + step_ms * np.arange(scanlines))[None, :]
        for name, values, units, std in (
            ("latitude", lat, "degrees_north", "latitude"),
            ("longitude", lon, "degrees_east", "longitude"),
        ):
            v = product.createVariable(name, "f4", ("time", "scanline", "ground_pixel"))
            v.units, v.standard_name = units, std
            v[:] = values[None]
        qa = product.createVariable(
            "qa_value", "u1", ("time", "scanline", "ground_pixel"), fill_value=np.uint8(255)
        )
        qa.scale_factor, qa.add_offset = np.float32(0.01), np.float32(0.0)
        qa.coordinates = "longitude latitude"
        qa[:] = np.full((1, scanlines, pixels), 1.0, dtype="float32")
        no2 = product.createVariable(
            "nitrogendioxide_tropospheric_column",
            "f4",
            ("time", "scanline", "ground_pixel"),
            fill_value=FILL,
            zlib=True,
        )
        no2.units = "mol m-2"
        no2.standard_name = "troposphere_mole_content_of_nitrogen_dioxide"
        no2.coordinates = "longitude latitude"
        no2.multiplication_factor_to_convert_to_molecules_percm2 = np.float32(6.02214e19)
        no2.set_auto_maskandscale(False)
        no2[:] = data
        geo = product.createGroup("SUPPORT_DATA").createGroup("GEOLOCATIONS")
        for name, values in (("latitude_bounds", corners_lat), ("longitude_bounds", corners_lon)):
            v = geo.createVariable(name, "f4", ("time", "scanline", "ground_pixel", "corner"))
            v.units = "degrees_north" if name.startswith("lat") else "degrees_east"
            v[:] = values[None]
    return path


def oco2_lite(
    path: Path,
    lons: np.ndarray,
    lats: np.ndarray,
    seconds: np.ndarray,
    xco2: np.ndarray,
) -> Path:
    """An OCO-2 Lite-like file: soundings with ``latitude``, ``longitude``, ``time``
    (seconds since 1970-01-01), ``xco2`` (ppm, float fill −999999) and the
    ``Sounding`` group."""
    import netCDF4

    n = len(lons)
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.title = "OCO-2 Level 2 bias-corrected XCO2 and other select fields (test layout)"
        nc.createDimension("sounding_id", n)
        sid = nc.createVariable("sounding_id", "u8", ("sounding_id",))
        sid[:] = 2023060100000000 + np.arange(n, dtype="uint64")
        for name, values, units in (
            ("latitude", lats, "degrees_north"),
            ("longitude", lons, "degrees_east"),
        ):
            v = nc.createVariable(name, "f4", ("sounding_id",), fill_value=np.float32(-999999))
            v.units = units
            v[:] = values
        t = nc.createVariable("time", "f8", ("sounding_id",))
        t.units, t.standard_name = "seconds since 1970-01-01 00:00:00", "time"
        t[:] = seconds
        x = nc.createVariable("xco2", "f4", ("sounding_id",), fill_value=np.float32(-999999))
        x.units, x.long_name = "ppm", "Column-averaged dry-air mole fraction of CO2"
        x[:] = xco2
        flag = nc.createVariable("xco2_quality_flag", "i1", ("sounding_id",))
        flag[:] = np.zeros(n, dtype="int8")
        sounding = nc.createGroup("Sounding")
        sounding.createDimension("sounding_id", n)
        fp = sounding.createVariable("footprint", "i1", ("sounding_id",))
        fp[:] = (np.arange(n) % 8 + 1).astype("int8")
    return path


def modis_sinusoidal_h5(path: Path, data: np.ndarray, *, h: int = 21, v: int = 8) -> Path:
    """A MODIS-like sinusoidal tile (HDF-EOS5 layout) written with h5py.

    Tile ``(h, v)`` of the MODIS sinusoidal grid (sphere R = 6371007.181 m, tile
    side 1111950.5197 m): 1-D ``XDim``/``YDim`` coordinates in metres (CF
    attributes) and a ``crs`` variable with the CF sinusoidal mapping.
    """
    import h5py

    side = 1111950.5197665554
    rows, cols = data.shape
    step = side / cols
    x0 = -20015109.354 + h * side
    y0 = 10007554.677 - v * side
    xs = x0 + (np.arange(cols) + 0.5) * step
    ys = y0 - (np.arange(rows) + 0.5) * step
    with h5py.File(path, "w") as f:
        fields = f.create_group("HDFEOS/GRIDS/MODIS_Grid_500m_2D/Data Fields")
        y = fields.create_dataset("YDim", data=ys)
        y.attrs["units"] = np.bytes_("m")
        y.attrs["standard_name"] = np.bytes_("projection_y_coordinate")
        x = fields.create_dataset("XDim", data=xs)
        x.attrs["units"] = np.bytes_("m")
        x.attrs["standard_name"] = np.bytes_("projection_x_coordinate")
        y.make_scale("YDim")
        x.make_scale("XDim")
        crs = fields.create_dataset("crs", data=np.int32(0))
        crs.attrs["grid_mapping_name"] = np.bytes_("sinusoidal")
        crs.attrs["longitude_of_central_meridian"] = 0.0
        crs.attrs["false_easting"] = 0.0
        crs.attrs["false_northing"] = 0.0
        crs.attrs["earth_radius"] = 6371007.181
        lc = fields.create_dataset(
            "LC_Type1", data=data.astype("uint8"), compression="gzip", chunks=True
        )
        lc.attrs["_FillValue"] = np.uint8(255)
        lc.attrs["grid_mapping"] = np.bytes_("crs")
        lc.attrs["long_name"] = np.bytes_("Land Cover Type 1: IGBP")
        lc.dims[0].attach_scale(y)
        lc.dims[1].attach_scale(x)
        ndvi = fields.create_dataset(
            "NDVI", data=(data.astype("int16") * 100), compression="gzip", chunks=True
        )
        ndvi.attrs["scale_factor"] = 0.0001
        ndvi.attrs["add_offset"] = 0.0
        ndvi.attrs["_FillValue"] = np.int16(-3000)
        ndvi.attrs["grid_mapping"] = np.bytes_("crs")
        ndvi.dims[0].attach_scale(y)
        ndvi.dims[1].attach_scale(x)
    return path
