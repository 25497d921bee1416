"""Small files in the layout of real products, written with the field's own libraries.

- :func:`tropomi_no2` — Sentinel-5P TROPOMI NO2 L2 (netCDF4, groups ``PRODUCT`` and
  ``PRODUCT/SUPPORT_DATA/GEOLOCATIONS``, ``delta_time`` relative to ``time``,
  float ``_FillValue`` 9.96921e36, ``qa_value`` packed with ``scale_factor``);
- :func:`oco2_lite` — OCO-2 L2 Lite XCO2 (netCDF4, dimension ``sounding_id``, ``time``
  in seconds since 1970, ``xco2`` in ppm, ``Sounding`` group);
- :func:`firecci_netcdf` — an ESA Fire_cci burned-area CF NetCDF (``JD``, ``CL``, ``crs``);
- :func:`modis_sinusoidal_h5` — a MODIS-like sinusoidal tile in HDF5 (h5py; HDF-EOS5
  grid layout ``HDFEOS/GRIDS/<grid>/Data Fields``, packed with scale_factor /
  add_offset and ``_FillValue``, projection stated in the attributes).

The geometry is a regular lattice written as 2-D arrays, so that independent
figures (geodesic areas, distances, countries) can be computed by hand.

The writers the sample generator uses too live in
:mod:`geoverify.testing.samples.products` (the generator must not import tests/)
and are re-exported here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from geoverify.testing.samples.products import (
    FILL,
    firecci_netcdf,
    oco2_lite,
    tropomi_no2,
    tropomi_no2_arrays,
)

__all__ = [
    "FILL",
    "firecci_netcdf",
    "modis_sinusoidal_h5",
    "oco2_lite",
    "tropomi_no2",
    "tropomi_no2_arrays",
]


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
