"""Tallies of raster values, streamed by windows: the counts that class and accuracy checks read."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.io.masks import mask_band_only, valid_mask
from geoverify.io.raster import open_raster
from geoverify.io.scan import add_counts, scan
from geoverify.io.shared import ScanRequest
from geoverify.stats import kernels

_BINCOUNT_DTYPES = ("uint8", "uint16", "int8", "int16")


__all__ = ["band_info", "class_counts", "class_counts_request", "valid_pixels"]


def band_info(
    location: str, band: int, nodata: float | None = None
) -> tuple[np.dtype[Any], int, float | None]:
    """The dtype, pixel count and nodata value of a band about to be streamed by values.

    One rule for every streamed tally (:func:`class_counts`, :func:`valid_pixels`,
    :func:`geoverify.stats.confusion.class_areas_ha`): the band must exist; its
    nodata is ``nodata`` when given, else the band's; and a band whose invalid
    pixels are marked by a mask band without a nodata value of its own is refused
    (:func:`geoverify.io.masks.mask_band_only`): a scan reads values only, so the
    pixels :func:`geoverify.io.masks.valid_mask` would drop through the mask would
    count as data, whatever value is passed as ``nodata``.

    Raises
    ------
    EvidenceError
        A missing band, or invalid pixels marked by a mask band only.
    """
    with open_raster(location) as ds:
        if band < 1 or band > ds.count:
            raise EvidenceError(
                f"band {band} does not exist (the raster has {ds.count})", source=location
            )
        mask_band_only(ds, band, location)
        dtype = np.dtype(ds.dtypes[band - 1])
        pixels = int(ds.width) * int(ds.height)
        if nodata is None:
            nodata = ds.nodatavals[band - 1]
    return dtype, pixels, nodata


def class_counts(
    location: str,
    *,
    band: int = 1,
    nodata: float | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = False,
    max_values: int | None = None,
    integers_only: bool = False,
    run: Callable[[ScanRequest], Any] | None = None,
    key: tuple[str, str] = ("", "classes"),
) -> dict[int | float, int]:
    """Pixel count of every value in the valid pixels of a raster band.

    Integer rasters of up to 16 bits are tallied in a histogram per window
    (:func:`geoverify.stats.kernels.class_histogram`: compiled and without the
    GIL on large rasters, ``np.bincount`` otherwise, the same counts); other
    types with ``np.unique``.  Memory is bounded by the window size, whatever the raster's.

    Parameters
    ----------
    location : str
        Path or URL of the raster, or a GDAL subdataset name (``NETCDF:"path":var``).
    band : int
        Band to read.
    nodata : float, optional
        Value to exclude (default: the band's nodata; NaN is always excluded).
    max_values : int, optional
        Refuse (``EvidenceError``) a raster with more distinct valid values: a
        continuous field, not a classified map.  Checked per window as well, so
        a continuous raster is refused without tallying all of it.
    integers_only : bool
        Refuse a floating-point raster holding a non-integer valid value.
    run : callable, optional
        Runs the scan's :class:`~geoverify.io.shared.ScanRequest` (``key``), e.g.
        :meth:`geoverify.checks.spec.Context.run_scan`, which shares a pass with other
        checks of a run; by default :func:`geoverify.io.scan.scan`.

    Raises
    ------
    EvidenceError
        Missing band, a mask band without nodata, or a refusal above.
    """
    request, finish = class_counts_request(
        location,
        band=band,
        nodata=nodata,
        max_values=max_values,
        integers_only=integers_only,
        key=key,
    )
    return finish(request.result(run, workers=workers, scheduler=scheduler, progress=progress))


def class_counts_request(
    location: str,
    *,
    band: int = 1,
    nodata: float | None = None,
    max_values: int | None = None,
    integers_only: bool = False,
    key: tuple[str, str] = ("", "classes"),
) -> tuple[ScanRequest, Callable[[Any], dict[int | float, int]]]:
    """The scan of :func:`class_counts` and the function turning its total into counts."""
    dtype, pixels, nodata = band_info(location, band, nodata)
    offset = -int(np.iinfo(dtype).min) if dtype.kind == "i" else 0
    use_bincount = dtype.name in _BINCOUNT_DTYPES

    def too_many(n: int) -> EvidenceError:
        return EvidenceError(
            f"the raster holds more than {max_values} distinct values ({dtype.name}, at least "
            f"{n}): a continuous field, not a classified map",
            source=location,
            hint="Deliver the classified map (integer class codes, one per class).",
        )

    kind = kernels.prepare(pixels, (dtype,), ("class_hist",)) if use_bincount else "numpy"

    def per_window(arrays: list[np.ndarray], _: Any) -> Any:
        if use_bincount:
            hist = kernels.class_histogram(arrays[0], kind)
            if nodata is not None and np.isfinite(nodata) and float(nodata).is_integer():
                index = int(nodata) + offset
                if 0 <= index < hist.size:  # a nodata outside the dtype's range drops nothing
                    hist[index] = 0
            return hist
        data = arrays[0].ravel()
        valid = data[valid_mask(data, nodata)]
        if integers_only and dtype.kind == "f" and valid.size:
            fractional = valid[~np.isfinite(valid) | (valid != np.floor(valid))]
            if fractional.size:
                raise EvidenceError(
                    f"the raster holds non-integer values ({dtype.name}, e.g. "
                    f"{float(fractional[0]):.6g}): a continuous field, not a classified map",
                    source=location,
                    hint="Deliver the classified map (integer class codes, one per class).",
                )
        values, counts = np.unique(valid, return_counts=True)
        if max_values is not None and values.size > max_values:
            raise too_many(int(values.size))
        return dict(zip(values.tolist(), counts.tolist(), strict=True))

    def finish(total: Any) -> dict[int | float, int]:
        if total is None:
            return {}
        if isinstance(total, np.ndarray):
            codes = np.nonzero(total)[0]
            if max_values is not None and codes.size > max_values:
                raise too_many(int(codes.size))
            return {int(c) - offset: int(total[c]) for c in codes}
        if max_values is not None and len(total) > max_values:
            raise too_many(len(total))
        return {k: int(v) for k, v in sorted(total.items())}

    request = ScanRequest(
        key=key,
        paths=(location,),
        bands=(band,),
        func=per_window,
        combine=add_counts,
        label=f"classes of {location}",
    )
    return request, finish


def valid_pixels(
    location: str,
    *,
    band: int = 1,
    nodata: float | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = False,
) -> int:
    """Number of valid pixels of a raster band (:func:`geoverify.io.masks.valid_mask`).

    Streamed by windows; on large rasters counted by a compiled kernel without
    the GIL (:func:`geoverify.stats.kernels.valid_count`), the same count.

    Parameters
    ----------
    location : str
        Path or URL of the raster.
    band : int
        Band to read.
    nodata : float, optional
        Value to exclude (default: the band's nodata; NaN and ±inf are always excluded).
    workers, scheduler, progress
        As for :func:`geoverify.io.scan.scan`.

    Raises
    ------
    EvidenceError
        Missing band, or invalid pixels marked by a mask band without nodata.
    """
    dtype, pixels, nodata = band_info(location, band, nodata)
    kind = kernels.prepare(pixels, (dtype,), ("valid_int",))
    table = kernels.invalid_table(dtype, nodata) if kernels.small_int(dtype) else None

    def per_window(arrays: list[np.ndarray], _: Any) -> int:
        return kernels.valid_count(arrays[0], nodata, kind, table)

    total = scan(
        [location],
        per_window,
        operator.add,
        bands=[band],
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label=f"valid pixels of {location}",
    )
    return int(total or 0)
