"""Type stubs of the C extension (geoverify/stats/_ckernels.c)."""

from typing import Any

def pair_hist_u8(a: Any, b: Any, out: Any, /) -> None: ...
def class_hist(a: Any, out: Any, /) -> None: ...
def valid_lut(a: Any, invalid: Any, /) -> int: ...
def valid_float(a: Any, nodata: Any, /) -> int: ...
def pair_range(
    a: Any, b: Any, invalid_a: Any, invalid_b: Any, /
) -> tuple[int, int, int, int, int]: ...
def pair_dense(
    a: Any, b: Any, invalid_a: Any, invalid_b: Any, lo_a: int, lo_b: int, out: Any, /
) -> None: ...
def tally(
    arrays: tuple[Any, ...],
    codes: tuple[Any, ...],
    land: Any,
    land_mask: Any,
    land_rows: Any,
    land_cols: Any,
    land_bit: int,
    row_area: Any,
    out_area: Any,
    out_count: Any,
    /,
) -> None: ...
