"""Which pixels hold data: the one nodata mask of geoverify."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError

__all__ = ["mask_band_only", "nodata_values", "valid_mask"]


def nodata_values(nodata: float | None, dtype: Any) -> list[float]:
    """The nodata value as it can occur in an array of ``dtype`` (``[]`` when it cannot).

    ``None`` and NaN give ``[]`` (NaN is excluded by :func:`valid_mask` for any
    float array); for an integer dtype a nodata value outside the dtype's range
    or not an integer (a uint8 band declaring −9999) can hold no pixel and gives
    ``[]`` — comparing would wrap it into a valid value.
    """
    if nodata is None:
        return []
    value = float(nodata)
    if math.isnan(value):
        return []
    kind = np.dtype(dtype)
    if kind.kind in "iu":
        info = np.iinfo(kind)
        if not math.isfinite(value) or not (info.min <= value <= info.max):
            return []
        if value != int(value):
            return []
        return [int(value)]
    if kind.kind == "b":
        return [bool(value)] if value in (0.0, 1.0) else []
    if not math.isfinite(value):
        return []  # ±inf: excluded anyway as a non-finite float
    return [value]


def valid_mask(
    array: np.ndarray, nodata: float | None, *, mask: np.ndarray | None = None
) -> np.ndarray:
    """Pixels that hold data: ``True`` where valid.

    A pixel is **invalid** when

    - it equals the band's ``nodata`` value (normalised by :func:`nodata_values`:
      an integer band's nodata outside its dtype's range, or not an integer,
      marks nothing);
    - it is NaN or ±inf in a float array (whatever the nodata value: a
      non-finite number is no measurement);
    - the GDAL mask band says so: ``mask`` is the band's mask as rasterio's
      ``read_masks`` returns it (0 = invalid, 255 = valid), or a boolean array
      (``True`` = valid).

    Everything else is valid.

    Parameters
    ----------
    array : numpy.ndarray
        Pixel values.
    nodata : float or None
        The band's nodata value.
    mask : numpy.ndarray, optional
        The band's GDAL mask (same shape as ``array``).

    Returns
    -------
    numpy.ndarray
        Boolean array of ``array``'s shape.
    """
    array = np.asarray(array)
    finite = array.dtype.kind in "fc"
    valid = np.isfinite(array) if finite else np.ones(array.shape, dtype=bool)
    for value in nodata_values(nodata, array.dtype):
        valid &= array != value
    if mask is not None:
        valid &= np.asarray(mask).astype(bool)
    return valid


def mask_band_only(dataset: Any, band: int, source: str) -> None:
    """Refuse a band whose invalid pixels are marked by a mask band and no nodata value.

    Streamed scans read pixel values only; a per-dataset mask without a nodata
    value would count masked pixels as data.

    Raises
    ------
    EvidenceError
        The band has a per-dataset mask and no nodata value.
    """
    flags = dataset.mask_flag_enums[band - 1]
    if dataset.nodatavals[band - 1] is None and any(f.name == "per_dataset" for f in flags):
        raise EvidenceError(
            "the raster marks invalid pixels with a mask band, not a nodata value",
            source=source,
            hint="Set a nodata value on the band (gdal_translate -a_nodata).",
        )
