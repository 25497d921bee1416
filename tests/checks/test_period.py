"""Time coverage: NetCDF series with gaps, epochs, minute steps, durations, a real NetCDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from geoverify.checks import Context
from geoverify.checks.period.measure import (
    calendar_years,
    measure_period,
    parse_step,
    year_from_name,
)
from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.model.evidence import Evidence

from ..conftest import realdata_path

CTX = Context(workers=1)


def _evidence(base: Path, **options: object) -> Evidence:
    return Evidence("test.period", base, options, "test")


def _series(path: Path, years: list[int], *, calendar: str = "standard") -> Path:
    """A (time, y, x) NetCDF with one time stamp on 1 July of each year (CF-encoded)."""
    import cftime
    import xarray as xr

    dates = [cftime.datetime(y, 7, 1, calendar=calendar) for y in years]
    units = "days since 1990-01-01"
    numbers = cftime.date2num(dates, units, calendar=calendar)
    data = np.arange(len(years) * 4, dtype="float32").reshape(len(years), 2, 2)
    ds = xr.Dataset(
        {"host": (("time", "y", "x"), data)},
        coords={"time": ("time", numbers, {"units": units, "calendar": calendar})},
    )
    ds.to_netcdf(path)
    return path


def test_span_without_gaps(tmp_path: Path) -> None:
    _series(tmp_path / "host.nc", list(range(1992, 2021)))
    m = measure_period(_evidence(tmp_path, file="host.nc"), {"measure": "span", "step": "1Y"}, CTX)
    assert m.value == [1992, 2020]
    assert m.unit == "year"
    assert m.details["missing"] == []
    assert m.details["expected_steps"] == 29


def test_span_reports_the_missing_year(tmp_path: Path) -> None:
    years = [y for y in range(1992, 2021) if y != 2005]
    _series(tmp_path / "host.nc", years)
    m = measure_period(_evidence(tmp_path, file="host.nc"), {"measure": "span", "step": "1Y"}, CTX)
    assert m.value == [1992, 2020]
    assert m.details["missing"] == [2005]
    assert m.details["present_steps"] == 28


def test_span_over_several_files_and_noleap_calendar(tmp_path: Path) -> None:
    _series(tmp_path / "a.nc", list(range(1992, 2000)), calendar="noleap")
    _series(tmp_path / "b.nc", list(range(2001, 2004)), calendar="noleap")
    m = measure_period(
        _evidence(tmp_path, files=["a.nc", "b.nc"]), {"measure": "span", "step": "1Y"}, CTX
    )
    assert m.value == [1992, 2003]
    assert m.details["missing"] == [2000]
    assert m.details["calendar"] == "noleap"


def test_monthly_span_in_360_day_calendar(tmp_path: Path) -> None:
    import cftime
    import xarray as xr

    dates = [cftime.datetime(2001, m, 15, calendar="360_day") for m in (1, 2, 3, 5, 6)]
    numbers = cftime.date2num(dates, "days since 2000-01-01", calendar="360_day")
    # 360-day calendar: consecutive mid-months are exactly 30 days apart
    assert list(np.diff(numbers)) == [30, 30, 60, 30]
    xr.Dataset(
        {"v": (("t",), np.zeros(5))},
        coords={"t": ("t", numbers, {"units": "days since 2000-01-01", "calendar": "360_day"})},
    ).to_netcdf(tmp_path / "m.nc")
    ev = _evidence(tmp_path, file="m.nc", time_dim="t")
    m = measure_period(ev, {"measure": "span", "step": "1M"}, CTX)
    assert m.details["missing"] == ["2001-04"]
    step = measure_period(ev, {"measure": "step"}, CTX)
    assert step.value == pytest.approx(30 * 1440)


def test_epochs_from_file_names_and_declared_years(tmp_path: Path) -> None:
    for year in (2015, 2020, 2025):
        (tmp_path / f"eco_{year}_16m.tif").write_bytes(b"")
    ev = _evidence(tmp_path, rasters=[f"eco_{y}_16m.tif" for y in (2025, 2015, 2020)])
    m = measure_period(ev, {"measure": "epochs"}, CTX)
    assert m.value == [2015, 2020, 2025]
    declared = measure_period(_evidence(tmp_path, years=[2020, 2015]), {"measure": "epochs"}, CTX)
    assert declared.value == [2015, 2020]
    assert year_from_name("s2_10m_2021_v200.tif") == 2021


def test_epoch_rasters_without_year_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "map.tif").write_bytes(b"")
    with pytest.raises(EvidenceError, match="no year"):
        measure_period(_evidence(tmp_path, rasters=["map.tif"]), {"measure": "epochs"}, CTX)


def test_minute_level_step_from_datetimes(tmp_path: Path) -> None:
    stamps = [
        "2027-05-01T00:00:00Z",
        "2027-05-01T00:10:00Z",
        "2027-05-01T00:20:00Z",
        "2027-05-01T01:00:00Z",
    ]
    m = measure_period(_evidence(tmp_path, datetimes=stamps), {"measure": "step"}, CTX)
    assert m.value == pytest.approx(10.0)
    assert m.unit == "min"
    steps = measure_period(_evidence(tmp_path, datetimes=stamps), {"measure": "steps"}, CTX)
    assert steps.value == 4


def test_minute_level_step_from_netcdf(tmp_path: Path) -> None:
    import xarray as xr

    minutes = np.array([0, 15, 30, 45, 60, 120], dtype="int64")
    xr.Dataset(
        {"lst": (("time",), np.ones(6))},
        coords={"time": ("time", minutes, {"units": "minutes since 2027-01-01 00:00"})},
    ).to_netcdf(tmp_path / "fy.nc")
    m = measure_period(_evidence(tmp_path, file="fy.nc"), {"measure": "step"}, CTX)
    assert m.value == pytest.approx(15.0)
    span = measure_period(
        _evidence(tmp_path, file="fy.nc"), {"measure": "span", "step": "15min"}, CTX
    )
    assert span.details["missing"] == [
        "2027-01-01T01:15:00",
        "2027-01-01T01:30:00",
        "2027-01-01T01:45:00",
    ]


def test_duration_in_calendar_years() -> None:
    # a 3-year project, end date inclusive: exactly 3 calendar years
    assert calendar_years(dt.date(2026, 7, 1), dt.date(2029, 6, 30)) == pytest.approx(3.0)
    # one day longer: 3 + 1/366 (the following year 2029-07-01..2030-07-01 has 365 days)
    assert calendar_years(dt.date(2026, 7, 1), dt.date(2029, 7, 1)) == pytest.approx(3 + 1 / 365)
    assert calendar_years(dt.date(2024, 1, 1), dt.date(2024, 6, 30)) == pytest.approx(182 / 366)


def test_duration_from_evidence(tmp_path: Path) -> None:
    ev = _evidence(tmp_path, start=dt.date(2026, 7, 1), end=dt.date(2029, 12, 31))
    m = measure_period(ev, {"measure": "duration"}, CTX)
    assert m.unit == "years"
    # 3 whole years to 2029-07-01, then 184 days (Jul-Dec) of a 365-day following year
    assert m.value == pytest.approx(3 + 184 / 365)
    assert m.details["days_inclusive"] == (dt.date(2029, 12, 31) - dt.date(2026, 7, 1)).days + 1


def test_parse_step() -> None:
    assert parse_step("1Y") == (1, "Y")
    assert parse_step("6h") == (360, "min")
    assert parse_step("10min") == (10, "min")
    with pytest.raises(EvidenceError):
        parse_step("weekly-ish")


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(EvidenceReadError):
        measure_period(_evidence(tmp_path, file="absent.nc"), {"measure": "span"}, CTX)
    with pytest.raises(EvidenceError, match="unknown period measure"):
        measure_period(_evidence(tmp_path, years=[2020]), {"measure": "decade"}, CTX)
    with pytest.raises(EvidenceError, match="two time stamps"):
        measure_period(_evidence(tmp_path, years=[2020]), {"measure": "step"}, CTX)


def test_real_netcdf_time_coordinate() -> None:
    """PLANET_SCOPE_3D.nc (rioxarray test data): two time stamps, 'seconds since' units."""
    import netCDF4

    path = realdata_path("rioxarray", "PLANET_SCOPE_3D.nc")
    with netCDF4.Dataset(path) as nc:  # independent read of the raw numbers
        raw = np.asarray(nc.variables["time"][:], dtype=float)
        units = nc.variables["time"].units
    assert units.startswith("seconds since")
    ev = _evidence(path.parent, file=path.name)
    steps = measure_period(ev, {"measure": "steps"}, CTX)
    assert steps.value == 2
    step = measure_period(ev, {"measure": "step"}, CTX)
    assert step.value == pytest.approx((raw[1] - raw[0]) / 60.0)
    epochs = measure_period(ev, {"measure": "epochs"}, CTX)
    assert epochs.value == [2016]
    one = measure_period(
        _evidence(path.parent, file="sentinel_2_L1C_geographic.nc"), {"measure": "steps"}, CTX
    )
    assert one.value == 1
