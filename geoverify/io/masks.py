"""Which pixels hold data: the one nodata mask of geoverify."""

from __future__ import annotations

import math

import numpy as np


def valid_mask(array: np.ndarray, nodata: float | None) -> np.ndarray:
    """Pixels that hold data: not equal to ``nodata`` and not NaN."""
    valid = np.ones(array.shape, dtype=bool)
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        valid &= array != nodata
    if np.issubdtype(array.dtype, np.floating):
        valid &= ~np.isnan(array)
    return valid
