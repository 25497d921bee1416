"""Writers of small files in the layout of real products, with the field's own libraries.

- :func:`tropomi_no2` — Sentinel-5P TROPOMI NO2 L2 (netCDF4, groups ``PRODUCT`` and
  ``PRODUCT/SUPPORT_DATA/GEOLOCATIONS``, ``delta_time`` relative to ``time``,
  float ``_FillValue`` 9.96921e36, ``qa_value`` packed with ``scale_factor``) on a
  regular lattice; :func:`tropomi_no2_arrays` writes the same layout from given
  arrays (positions, times, values, pixel corners);
- :func:`oco2_lite` — OCO-2 L2 Lite XCO2 (netCDF4, dimension ``sounding_id``, ``time``
  in seconds since 1970, ``xco2`` in ppm, ``Sounding`` group);
- :func:`firecci_netcdf` — an ESA Fire_cci (FireCCI51) burned-area CF NetCDF on a
  regular latitude/longitude grid: ``JD`` (day of the first detection, 0 unburned,
  −1 not observed, −2 not burnable), optionally ``CL`` (confidence level), ``time``,
  ``lat``, ``lon`` and a ``crs`` grid mapping.

Used by the sample generator (:mod:`geoverify.testing.samples.formats`) and the
tests (``tests/products.py``).  Nothing in these files depends on the clock: global
attributes carry fixed dates, so a rebuilt file is identical byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["FILL", "firecci_netcdf", "oco2_lite", "tropomi_no2", "tropomi_no2_arrays"]

#: TROPOMI's float fill value.
FILL = np.float32(9.96921e36)

#: ESA Fire_cci's pixel size (FireCCI51, MODIS 250 m bands): 0.00224573 degrees.
FIRECCI_STEP = 0.002245788210298804


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
    return tropomi_no2_arrays(
        path,
        lat=lat[None],
        lon=lon[None],
        delta_ms=(start_ms + step_ms * np.arange(scanlines))[None, :],
        data=data,
        lat_bounds=corners_lat[None],
        lon_bounds=corners_lon[None],
        start=start,
    )


def tropomi_no2_arrays(
    path: Path,
    *,
    lat: np.ndarray,
    lon: np.ndarray,
    delta_ms: np.ndarray,
    data: np.ndarray,
    lat_bounds: np.ndarray,
    lon_bounds: np.ndarray,
    start: str = "2023-06-01 00:00:00",
    orbit: int = 29248,
) -> Path:
    """The TROPOMI NO2 L2 layout from arrays.

    ``lat``, ``lon`` and ``data`` (mol m⁻², fill :data:`FILL`) have the shape
    ``(time, scanline, ground_pixel)``; ``delta_ms`` (int32 milliseconds since
    ``start``, UTC) the shape ``(time, scanline)``; the corner bounds a trailing
    axis of 4.  ``PRODUCT/time`` holds ``start`` in seconds since 2010-01-01 for
    every time step, as the reference of ``delta_time``.
    """
    import netCDF4

    steps, scanlines, pixels = data.shape
    reference = np.datetime64(start.replace(" ", "T"), "s")
    since_2010 = int((reference - np.datetime64("2010-01-01T00:00:00", "s")).astype("int64"))
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.Conventions = "CF-1.7"
        nc.institution = "KNMI"
        nc.title = "TROPOMI/S5P NO2 1-Orbit L2 Swath 5.5x3.5km"
        nc.sensor = "TROPOMI"
        nc.orbit = np.int32(orbit)
        nc.time_reference = start.replace(" ", "T") + "Z"
        product = nc.createGroup("PRODUCT")
        for name, size in (
            ("scanline", scanlines),
            ("ground_pixel", pixels),
            ("time", steps),
            ("corner", 4),
            ("polynomial_exponents", 6),
        ):
            product.createDimension(name, size)
        for name, size in (("scanline", scanlines), ("ground_pixel", pixels), ("corner", 4)):
            v = product.createVariable(name, "i4", (name,))
            v[:] = np.arange(size)
        t = product.createVariable("time", "i4", ("time",))
        t.units, t.standard_name = "seconds since 2010-01-01 00:00:00", "time"
        t[:] = np.full(steps, since_2010)
        dt = product.createVariable("delta_time", "i4", ("time", "scanline"))
        dt.units = f"milliseconds since {start}"
        dt.long_name = "offset from reference start time of measurement"
        dt[:] = np.asarray(delta_ms, dtype="int64")
        for name, values, units, std in (
            ("latitude", lat, "degrees_north", "latitude"),
            ("longitude", lon, "degrees_east", "longitude"),
        ):
            v = product.createVariable(name, "f4", ("time", "scanline", "ground_pixel"))
            v.units, v.standard_name = units, std
            v[:] = values
        qa = product.createVariable(
            "qa_value", "u1", ("time", "scanline", "ground_pixel"), fill_value=np.uint8(255)
        )
        qa.scale_factor, qa.add_offset = np.float32(0.01), np.float32(0.0)
        qa.coordinates = "longitude latitude"
        qa[:] = np.full(data.shape, 1.0, dtype="float32")
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
        no2[:] = np.asarray(data, dtype="float32")
        geo = product.createGroup("SUPPORT_DATA").createGroup("GEOLOCATIONS")
        for name, values in (("latitude_bounds", lat_bounds), ("longitude_bounds", lon_bounds)):
            v = geo.createVariable(name, "f4", ("time", "scanline", "ground_pixel", "corner"))
            v.units = "degrees_north" if name.startswith("lat") else "degrees_east"
            v[:] = values
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


def firecci_netcdf(
    path: Path,
    jd: np.ndarray,
    *,
    west: float,
    north: float,
    step: float,
    days: list[float] | None = None,
    cl: np.ndarray | None = None,
    title: str = "Fire_cci Pixel Burned Area product",
    date: str = "20280101T000000Z",
) -> Path:
    """A FireCCI51-like burned-area CF NetCDF on a regular latitude/longitude grid.

    Parameters
    ----------
    jd : numpy.ndarray
        ``(time, lat, lon)`` int16: day of year of the first detection, 0 unburned,
        −1 not observed, −2 not burnable (water, bare, urban, snow and ice);
        fill −9999.  Row 0 is the northernmost.
    west, north, step : float
        Outer edges of the grid and its cell size (degrees); coordinates are the
        cell centres.
    days : list of float, optional
        ``time`` in days since 1970-01-01 (one per step; default 2027-01-01).
    cl : numpy.ndarray, optional
        ``CL``, the confidence level (uint8 0–100, fill 255), same shape as ``jd``.
    date : str
        ``date_created`` (fixed: a rebuilt file is identical byte for byte).

    References
    ----------
    Chuvieco, E. et al. (2018). Generation and analysis of a new global burned area
    product based on MODIS 250 m reflectance bands and thermal anomalies (FireCCI51).
    Earth System Science Data 10, 2015–2031.
    """
    import netCDF4

    steps, rows, cols = jd.shape
    lat = north - (np.arange(rows) + 0.5) * step
    lon = west + (np.arange(cols) + 0.5) * step
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.Conventions = "CF-1.7"
        nc.title = title
        nc.institution = "University of Alcala (test layout)"
        nc.project = "Climate Change Initiative - European Space Agency"
        nc.product_version = "5.1"
        nc.date_created = date
        nc.history = f"{date} written by geoverify.testing.samples.products"
        nc.spatial_resolution = f"{step:.8f} degrees"
        nc.createDimension("time", None)
        nc.createDimension("lat", rows)
        nc.createDimension("lon", cols)
        t = nc.createVariable("time", "f8", ("time",))
        t.units, t.calendar, t.standard_name = "days since 1970-01-01", "standard", "time"
        t[:] = days if days is not None else [20819.0] * steps  # 2027-01-01
        y = nc.createVariable("lat", "f8", ("lat",))
        y.units, y.standard_name, y.axis = "degrees_north", "latitude", "Y"
        y[:] = lat
        x = nc.createVariable("lon", "f8", ("lon",))
        x.units, x.standard_name, x.axis = "degrees_east", "longitude", "X"
        x[:] = lon
        crs = nc.createVariable("crs", "i4")
        crs.grid_mapping_name = "latitude_longitude"
        crs.semi_major_axis, crs.inverse_flattening = 6378137.0, 298.257223563
        v = nc.createVariable(
            "JD", "i2", ("time", "lat", "lon"), zlib=True, fill_value=np.int16(-9999)
        )
        v.long_name, v.units, v.grid_mapping = "Date of the first detection", "day", "crs"
        v.comment = "0: unburned; -1: not observed; -2: not burnable (water, bare, urban, ice)"
        v[:] = jd.astype("int16")
        if cl is not None:
            c = nc.createVariable("CL", "u1", ("time", "lat", "lon"), zlib=True, fill_value=255)
            c.long_name, c.units, c.grid_mapping = "Confidence Level", "percent", "crs"
            c[:] = cl.astype("uint8")
    return path
