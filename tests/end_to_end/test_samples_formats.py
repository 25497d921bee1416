"""The samples delivered in the field's formats (issue 14): burned area as a CF NetCDF in
the Fire_cci layout, XCO2 and NO2 as NetCDF4 swaths with groups.

Independent figures: the files are opened with netCDF4 (not through geoverify's
openers) to show that the evidence really is what the sample claims; the
collocations are recomputed by hand from the raw pixels (pyproj.Geod distances,
the stated radius and window) and the precision is the sample standard deviation
of the differences (ddof=1, Wunch et al. 2017); the pixel size is the geodesic
distance between neighbouring cell centres (pyproj.Geod); the coverage is 100% less
the geodesic area of the cells flagged unobserved over the world's land area.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geoverify.checks import Context
from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.geo import landmask
from geoverify.run import exit_code, verify
from geoverify.testing.samples.formats import build
from geoverify.testing.samples.products import FIRECCI_STEP

AVOGADRO_PER_CM2 = 6.02214076e23 / 1e4


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("formats")
    build(root)
    return root


@pytest.fixture(scope="module")
def results(samples: Path) -> dict[str, dict[str, Any]]:
    catalogue = load_catalogue()
    out = {}
    for name in ("wildfire_netcdf_pass", "ghg_swath_pass"):
        submission = load_submission(samples / name / "submission.toml", catalogue)
        out[name] = {
            r.indicator: r for r in verify(submission, catalogue, context=Context(workers=1))
        }
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_build_is_deterministic_and_small(samples: Path, tmp_path: Path) -> None:
    build(tmp_path)
    assert _digest(samples) == _digest(tmp_path)
    total = sum(p.stat().st_size for p in samples.rglob("*") if p.is_file())
    assert total < 500_000


@pytest.mark.parametrize("name", ["wildfire_netcdf_pass", "ghg_swath_pass"])
def test_every_indicator_passes(results: dict[str, dict[str, Any]], name: str) -> None:
    got = results[name]
    direction = name.split("_")[0]
    assert sum(i.startswith(f"{direction}.") for i in got) >= 8
    bad = {i: (str(r.verdict), r.message) for i, r in got.items() if str(r.verdict) != "pass"}
    assert bad == {}
    assert exit_code(got.values()) == 0


# --------------------------------------------------------------------------- wildfire


def test_burned_area_evidence_is_a_cf_netcdf_in_the_firecci_layout(samples: Path) -> None:
    import netCDF4

    data = samples / "wildfire_netcdf_pass" / "data"
    for name, shape in (
        ("FireCCI51_2027_JD_global_0.25deg.nc", (1, 720, 1440)),
        ("FireCCI51_2027_JD_tile.nc", (1, 256, 256)),
        ("reference_2027_JD_tile.nc", (1, 256, 256)),
    ):
        with netCDF4.Dataset(data / name) as nc:
            assert nc.data_model == "NETCDF4"
            assert nc.Conventions.startswith("CF-")
            jd = nc["JD"]
            assert jd.dimensions == ("time", "lat", "lon") and jd.shape == shape
            assert jd.dtype == np.int16 and jd._FillValue == -9999
            assert nc[jd.grid_mapping].grid_mapping_name == "latitude_longitude"
            assert nc["lat"].standard_name == "latitude"
            assert nc["lon"].standard_name == "longitude"
            assert nc["time"].units == "days since 1970-01-01"
            assert nc.dimensions["time"].isunlimited()
            values = np.asarray(jd[:])
            assert values.min() >= -2 and values.max() <= 366
    with netCDF4.Dataset(data / "FireCCI51_2027_JD_global_0.25deg.nc") as nc:
        assert "CL" in nc.variables
        lon = np.asarray(nc["lon"][:])
        assert lon[0] == pytest.approx(-179.875) and lon[-1] == pytest.approx(179.875)
        jd = np.asarray(nc["JD"][0])
        assert set(np.unique(jd[jd < 1])) == {-2, -1, 0}  # both FireCCI flags are used


def test_coverage_from_the_netcdf_matches_the_flagged_area(
    samples: Path, results: dict[str, dict[str, Any]]
) -> None:
    import netCDF4
    from pyproj import Geod

    with netCDF4.Dataset(
        samples / "wildfire_netcdf_pass" / "data" / "FireCCI51_2027_JD_global_0.25deg.nc"
    ) as nc:
        lat = np.asarray(nc["lat"][:])
        jd = np.asarray(nc["JD"][0])
    geod = Geod(ellps="WGS84")
    h = 0.125
    row_km2 = (
        np.array(
            [
                abs(
                    geod.polygon_area_perimeter([0, 0.25, 0.25, 0], [y - h, y - h, y + h, y + h])[0]
                )
                for y in lat
            ]
        )
        / 1e6
    )
    unobserved_km2 = float(((jd == -1).sum(axis=1) * row_km2).sum())
    expected = 100.0 * (1.0 - unobserved_km2 / landmask.world_land_km2())
    result = results["wildfire_netcdf_pass"]["wildfire.burned_area_coverage"]
    assert result.value == pytest.approx(expected, abs=1.0)  # 0.25° cells vs the 0.1° mask
    assert 99.0 <= result.value < 100.0


def test_resolution_of_the_native_netcdf_tile(results: dict[str, dict[str, Any]]) -> None:
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    south = 25.0 - 256 * FIRECCI_STEP
    # north–south spacing of cell centres is the coarser axis at these latitudes
    ns = geod.inv(100.0, south, 100.0, south + FIRECCI_STEP)[2]
    ew = geod.inv(100.0, south, 100.0 + FIRECCI_STEP, south)[2]
    assert ns > ew
    result = results["wildfire_netcdf_pass"]["wildfire.burned_area_resolution"]
    assert result.value == pytest.approx(ns, rel=0.01)
    assert result.value <= 300.0


# --------------------------------------------------------------------------- ghg


def test_ghg_evidence_is_netcdf4_swaths_with_groups(samples: Path) -> None:
    import netCDF4

    data = samples / "ghg_swath_pass" / "ghg"
    with netCDF4.Dataset(data / "S5P_L2__NO2____2027_overpasses.nc") as nc:
        assert nc.data_model == "NETCDF4"
        product = nc.groups["PRODUCT"]
        assert "GEOLOCATIONS" in product.groups["SUPPORT_DATA"].groups
        no2 = product["nitrogendioxide_tropospheric_column"]
        assert no2.dimensions == ("time", "scanline", "ground_pixel")
        assert no2.units == "mol m-2"
        lat = np.asarray(product["latitude"][:])
        assert lat.shape == no2.shape == (20, 8, 8)
        # geolocation per pixel, not a grid: latitudes differ from overpass to overpass
        assert np.ptp(lat[:, 0, 0]) > 1.0
        assert product["delta_time"].dimensions == ("time", "scanline")
        assert np.ma.count_masked(no2[:]) > 0  # fill values present
    with netCDF4.Dataset(data / "oco2_LtCO2_2027_overpasses.nc4") as nc:
        assert nc.data_model == "NETCDF4"
        assert "Sounding" in nc.groups
        assert nc["xco2"].dimensions == ("sounding_id",) and nc["xco2"].units == "ppm"
        assert nc["time"].units.startswith("seconds since 1970")


def _collocate_by_hand(
    lat: np.ndarray,
    lon: np.ndarray,
    times: np.ndarray,
    values: np.ndarray,
    refs: pd.DataFrame,
    radius_km: float,
    window_min: float,
) -> np.ndarray:
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    diffs = []
    for _, ref in refs.iterrows():
        t = np.datetime64(ref["time"].rstrip("Z"), "ms")
        dist = np.asarray(
            geod.inv(np.full(lat.size, ref["lon"]), np.full(lat.size, ref["lat"]), lon, lat)[2]
        )
        near = (dist <= radius_km * 1000) & (
            np.abs(times - t) <= np.timedelta64(int(window_min * 60_000), "ms")
        )
        if near.any():
            diffs.append(values[near].mean() - ref["reference"])
    return np.array(diffs)


def test_xco2_precision_from_the_oco2_swath(
    samples: Path, results: dict[str, dict[str, Any]]
) -> None:
    import netCDF4

    data = samples / "ghg_swath_pass" / "ghg"
    with netCDF4.Dataset(data / "oco2_LtCO2_2027_overpasses.nc4") as nc:
        xco2 = np.ma.filled(nc["xco2"][:].astype("float64"), np.nan)
        lat = np.asarray(nc["latitude"][:], dtype="float64")
        lon = np.asarray(nc["longitude"][:], dtype="float64")
        sec = np.asarray(nc["time"][:])
    ok = np.isfinite(xco2)
    times = np.datetime64("1970-01-01T00:00:00", "ms") + np.round(sec * 1000).astype(
        "timedelta64[ms]"
    )
    refs = pd.read_csv(data / "tccon_xco2.csv")
    d = _collocate_by_hand(lat[ok], lon[ok], times[ok], xco2[ok], refs, 100.0, 60.0)
    result = results["ghg_swath_pass"]["ghg.xco2_precision"]
    assert result.details["n"] == d.size == len(refs) == 48
    assert result.value == pytest.approx(d.std(ddof=1), rel=1e-4)  # float32 pixels
    assert result.value < 4.0
    assert result.details["collocation"]["radius_km"] == 100.0


def test_no2_precision_from_the_tropomi_swath(
    samples: Path, results: dict[str, dict[str, Any]]
) -> None:
    import netCDF4

    data = samples / "ghg_swath_pass" / "ghg"
    with netCDF4.Dataset(data / "S5P_L2__NO2____2027_overpasses.nc") as nc:
        product = nc.groups["PRODUCT"]
        values = np.ma.filled(
            product["nitrogendioxide_tropospheric_column"][:].astype("float64"), np.nan
        )
        lat = np.asarray(product["latitude"][:], dtype="float64")
        lon = np.asarray(product["longitude"][:], dtype="float64")
        delta = np.asarray(product["delta_time"][:], dtype="int64")
        assert product["delta_time"].units == "milliseconds since 2027-06-01 00:00:00"
    times = np.datetime64("2027-06-01T00:00:00", "ms") + delta.astype("timedelta64[ms]")
    times = np.broadcast_to(times[:, :, None], values.shape)
    ok = np.isfinite(values)
    refs = pd.read_csv(data / "pandora_no2.csv")
    d = _collocate_by_hand(lat[ok], lon[ok], times[ok], values[ok], refs, 15.0, 60.0)
    result = results["ghg_swath_pass"]["ghg.no2_precision"]
    assert result.details["n"] == d.size == len(refs) == 20
    # the indicator is in molecules/cm2; the file in mol m-2
    assert result.value == pytest.approx(d.std(ddof=1) * AVOGADRO_PER_CM2, rel=1e-4)
    assert result.value < 4.0e15
