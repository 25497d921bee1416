"""Tallies of raster values, streamed by windows: the counts that class and accuracy checks read."""

from __future__ import annotations

from typing import Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.io.scan import add_counts, scan
from geoverify.io.sources import open_raster

_BINCOUNT_DTYPES = ("uint8", "uint16", "int8", "int16")



def class_counts(
    location: str,
    *,
    band: int = 1,
    nodata: float | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = False,
) -> dict[int | float, int]:
    """Pixel count of every value in the valid pixels of a raster band.

    Integer rasters of up to 16 bits use ``np.bincount`` per window; other types
    ``np.unique``.  Memory is bounded by the window size, whatever the raster's.

    Parameters
    ----------
    location : str
        Path or URL of the raster, or a GDAL subdataset name (``NETCDF:"path":var``).
    band : int
        Band to read.
    nodata : float, optional
        Value to exclude (default: the band's nodata; NaN is always excluded).
    """
    with open_raster(location) as ds:
        if band < 1 or band > ds.count:
            raise EvidenceError(
                f"band {band} does not exist (the raster has {ds.count})", source=location
            )
        dtype = np.dtype(ds.dtypes[band - 1])
        if nodata is None:
            nodata = ds.nodatavals[band - 1]
        has_mask = any(flag.name == "per_dataset" for flag in ds.mask_flag_enums[band - 1])
    if has_mask and nodata is None:
        raise EvidenceError(
            "the raster marks invalid pixels with a mask band, not a nodata value",
            source=location,
            hint="Set a nodata value on the band (gdal_translate -a_nodata).",
        )
    offset = -int(np.iinfo(dtype).min) if dtype.kind == "i" else 0
    use_bincount = dtype.name in _BINCOUNT_DTYPES

    def per_window(arrays: list[np.ndarray], _: Any) -> Any:
        data = arrays[0].ravel()
        if use_bincount:
            hist = np.bincount(
                data.astype(np.int32) + offset if offset else data,
                minlength=1 << (8 * dtype.itemsize),
            )
            if nodata is not None and np.isfinite(nodata) and float(nodata).is_integer():
                index = int(nodata) + offset
                if 0 <= index < hist.size:  # a nodata outside the dtype's range drops nothing
                    hist[index] = 0
            return hist
        valid = data[~np.isnan(data)] if dtype.kind == "f" else data
        if nodata is not None and not np.isnan(nodata):
            valid = valid[valid != nodata]
        values, counts = np.unique(valid, return_counts=True)
        return dict(zip(values.tolist(), counts.tolist(), strict=True))

    total = scan(
        [location],
        per_window,
        add_counts,
        bands=[band],
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label=f"classes of {location}",
    )
    if total is None:
        return {}
    if isinstance(total, np.ndarray):
        codes = np.nonzero(total)[0]
        return {int(c) - offset: int(total[c]) for c in codes}
    return {k: int(v) for k, v in sorted(total.items())}
