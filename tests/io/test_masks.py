"""The one nodata mask: nodata, NaN and ±inf, GDAL mask bands, out-of-range integer nodata."""

from __future__ import annotations

import numpy as np
import rasterio

from geoverify.io.masks import valid_mask


def test_float_nodata_nan_and_inf_are_invalid() -> None:
    a = np.array([1.0, -9999.0, np.nan, np.inf, -np.inf, 0.0], dtype="f4")
    assert valid_mask(a, -9999.0).tolist() == [True, False, False, False, False, True]
    assert valid_mask(a, float("nan")).tolist() == [True, True, False, False, False, True]


def test_integer_nodata_outside_the_dtype_marks_nothing() -> None:
    a = np.array([0, 15, 255], dtype="uint8")
    # -9999 cast to uint8 would be 241; 255.5 is no integer: neither marks a pixel
    assert valid_mask(a, -9999.0).tolist() == [True, True, True]
    assert valid_mask(a, 255.5).tolist() == [True, True, True]
    assert valid_mask(a, 255).tolist() == [True, True, False]


def test_gdal_mask_band_is_honoured(tmp_path) -> None:
    path = tmp_path / "masked.tif"
    data = np.arange(16, dtype="uint8").reshape(4, 4)
    with (
        rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True),
        rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8") as ds,
    ):
        ds.write(data, 1)
        mask = np.full((4, 4), 255, "uint8")
        mask[0, :2] = 0
        ds.write_mask(mask)
    with rasterio.open(path) as ds:
        valid = valid_mask(ds.read(1), ds.nodata, mask=ds.read_masks(1))
    assert int(valid.sum()) == 14  # hand count: 16 pixels, 2 masked
    assert not valid[0, 0] and not valid[0, 1] and valid[0, 2]
