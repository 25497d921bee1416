"""Swath (L2) products: geolocation arrays for countries, area, period, pixel size and
collocation, on TROPOMI- and OCO-2-like files written with netCDF4 (tests/products.py).

Independent figures: pyproj.Geod polygon areas and inverse distances (Karney 2013),
a geopandas spatial join on Natural Earth (../shared/realdata; skipped when
absent), and hand-computed means of the coincident soundings.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from geoverify.checks import Context
from geoverify.checks.area.measure import measure_area
from geoverify.checks.countries.measure import measure_countries
from geoverify.checks.period.measure import measure_period
from geoverify.checks.retrieval.measure import measure_retrieval
from geoverify.errors import EvidenceError
from geoverify.io.swath import find_swath, footprint_km2, ground_pixel_size, open_swath
from geoverify.model.evidence import Evidence

from ..conftest import realdata_path
from ..products import FILL, oco2_lite, tropomi_no2

CTX = Context(workers=1)
NO2 = "PRODUCT/nitrogendioxide_tropospheric_column"
GEOD = Geod(ellps="WGS84")


def _ev(base: Path, indicator: str = "test.swath", **options: object) -> Evidence:
    return Evidence(indicator, base, options, "test")


@pytest.fixture
def tropomi(tmp_path: Path) -> Path:
    return tropomi_no2(tmp_path / "S5P_OFFL_L2__NO2____20230601T010000.nc")


def _valid_mask(scanlines: int = 60, pixels: int = 30, fill_every: int = 7) -> np.ndarray:
    valid = np.ones(scanlines * pixels, bool)
    valid[::fill_every] = False
    return valid.reshape(scanlines, pixels)


def test_a_swath_is_recognised_and_read_with_its_fill_value(tropomi: Path) -> None:
    assert find_swath(str(tropomi), NO2)
    assert find_swath(str(tropomi), "nitrogendioxide_tropospheric_column")  # found in its group
    swath = open_swath(str(tropomi), NO2)
    assert swath.values.shape == (1, 60, 30)
    assert np.array_equal(swath.valid[0], _valid_mask())
    assert np.nanmax(swath.values) == pytest.approx(5e-5, rel=1e-6)  # no 9.97e36 left
    assert swath.units == "mol/m2"
    assert swath.sources["time"] == "PRODUCT/delta_time"


def test_countries_of_a_swath_across_the_antimeridian(tmp_path: Path, tropomi: Path) -> None:
    import geopandas as gpd

    ne = gpd.read_file(
        realdata_path("naturalearth", "geopandas-0.14.4", "naturalearth_lowres.shp")
    )
    lat = 60.0 + 0.1 * np.arange(60)[:, None] * np.ones((1, 30))
    lon = (175.0 + 0.5 * np.arange(30)[None, :] * np.ones((60, 1)) + 180.0) % 360.0 - 180.0
    valid = _valid_mask()
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(lon[valid], lat[valid]), crs="EPSG:4326"
    )
    counts = gpd.sjoin(points, ne[["iso_a3", "geometry"]], predicate="within").groupby(
        "iso_a3"
    )
    expected = {k for k, g in counts if len(g) >= 3}
    assert expected == {"RUS", "USA"}
    m = measure_countries(
        _ev(tmp_path, raster=tropomi.name, variable=NO2), {"region": "any"}, CTX
    )
    assert set(m.details["iso3"]) == expected
    assert m.details["screen"]["valid_cells"] == int(valid.sum())


def test_footprint_from_corners_matches_geodesic_polygon_areas(tmp_path: Path, tropomi: Path):
    lat = 60.0 + 0.1 * np.arange(60)
    lon = 175.0 + 0.5 * np.arange(30)
    valid = _valid_mask()
    total = 0.0
    for i, j in zip(*np.nonzero(valid), strict=True):
        lons = [lon[j] - 0.25, lon[j] + 0.25, lon[j] + 0.25, lon[j] - 0.25]
        lats = [lat[i] - 0.05, lat[i] - 0.05, lat[i] + 0.05, lat[i] + 0.05]
        total += abs(GEOD.polygon_area_perimeter(lons, lats)[0])
    m = measure_area(_ev(tmp_path, raster=tropomi.name, variable=NO2), {}, CTX)
    assert m.unit == "km2"
    assert m.value == pytest.approx(total / 1e6, rel=2e-3)
    assert "corners" in m.details["rasters"][0]["method"]
    # at a stated resolution: equal-area cells holding a centre, never more than the
    # valid pixels times a cell
    binned = footprint_km2(open_swath(str(tropomi), NO2), resolution_m=50_000.0)
    assert binned["area_km2"] <= valid.sum() * 2500.0
    assert binned["area_km2"] == pytest.approx(total / 1e6, rel=0.35)


def test_ground_pixel_size_is_the_coarser_median_distance(tropomi: Path) -> None:
    size = ground_pixel_size(open_swath(str(tropomi), NO2))
    # along track: 0.1° of latitude; across: 0.5° of longitude, at the swath's latitudes
    along = [GEOD.inv(180.0, 60.0 + 0.1 * i, 180.0, 60.1 + 0.1 * i)[2] for i in range(59)]
    across = [GEOD.inv(175.0, 60.0 + 0.1 * i, 175.5, 60.0 + 0.1 * i)[2] for i in range(60)]
    assert size["along_track_m"] == pytest.approx(np.median(along), rel=2e-3)
    assert size["across_track_m"] == pytest.approx(np.median(across), rel=2e-3)
    assert size["pixel_size_m"] == size["across_track_m"]


def test_period_of_a_swath_from_delta_time(tmp_path: Path, tropomi: Path) -> None:
    m = measure_period(
        _ev(tmp_path, file=tropomi.name, variable=NO2), {"measure": "span"}, CTX
    )
    text = str(m.details)
    assert "2023-06-01T01:00:00" in text  # 3 600 000 ms after the reference
    assert "2023-06-01T01:00:49" in text  # + 59 scanlines × 840 ms


def test_a_grid_is_not_a_swath(tmp_path: Path) -> None:
    import xarray as xr

    ds = xr.Dataset(
        {"v": (("lat", "lon"), np.ones((3, 4)))},
        coords={
            "lat": ("lat", [1.5, 0.5, -0.5], {"units": "degrees_north"}),
            "lon": ("lon", [0.5, 1.5, 2.5, 3.5], {"units": "degrees_east"}),
        },
    )
    ds.to_netcdf(tmp_path / "grid.nc")
    assert not find_swath(str(tmp_path / "grid.nc"), "v")
    with pytest.raises(EvidenceError, match="latitude/longitude"):
        xr.Dataset({"w": (("a", "b"), np.ones((3, 4)))}).to_netcdf(tmp_path / "bare.nc")
        open_swath(str(tmp_path / "bare.nc"), "w")


# --------------------------------------------------------------------------- collocation

#: Lamont (TCCON) and a second station far from the soundings.
LAMONT = (-97.486, 36.604)


def _oco2(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray, np.ndarray]:
    """40 soundings on a meridian through Lamont, 0.05° apart, 1 s apart from 19:30 UTC."""
    lats = LAMONT[1] - 1.0 + 0.05 * np.arange(40)
    lons = np.full(40, LAMONT[0])
    start = dt.datetime(2023, 6, 1, 19, 30, tzinfo=dt.UTC).timestamp()
    seconds = start + np.arange(40, dtype=float)
    xco2 = 415.0 + 0.1 * np.arange(40)
    xco2[5] = -999999.0  # fill
    path = oco2_lite(tmp_path / "oco2_LtCO2_230601.nc4", lons, lats, seconds, xco2)
    return path, lats, seconds, xco2


def test_collocation_of_a_swath_feeds_the_retrieval_check(tmp_path: Path) -> None:
    path, lats, _seconds, xco2 = _oco2(tmp_path)
    pd.DataFrame(
        {
            "station": ["lamont", "lamont", "lamont", "darwin"],
            "lon": [LAMONT[0], LAMONT[0], LAMONT[0], 130.89],
            "lat": [LAMONT[1], LAMONT[1], LAMONT[1], -12.42],
            "time": [
                "2023-06-01T19:45:00Z",
                "2023-06-01T20:10:00Z",
                "2023-06-01T23:00:00Z",  # outside the window
                "2023-06-01T19:30:00Z",  # outside the radius
            ],
            "reference": [416.0, 416.4, 416.0, 410.0],
        }
    ).to_csv(tmp_path / "tccon.csv", index=False)
    ev = _ev(
        tmp_path,
        "ghg.xco2",
        swath=path.name,
        variable="xco2",
        references="tccon.csv",
        radius_km=50.0,
        window_minutes=60.0,
    )
    m = measure_retrieval(ev, {"gas": "XCO2", "statistic": "bias"}, CTX)
    # hand computation: soundings within 50 km of Lamont (geodesic), fill excluded
    dist = np.array([GEOD.inv(LAMONT[0], LAMONT[1], LAMONT[0], y)[2] for y in lats]) / 1000
    keep = (dist <= 50.0) & (xco2 > 0)
    retrieved = xco2[keep].mean()
    expected_bias = np.mean([retrieved - 416.0, retrieved - 416.4])
    assert m.n == 2
    assert m.value == pytest.approx(expected_bias, abs=1e-4)
    built = m.details["collocation"]
    assert built["radius_km"] == 50.0 and built["window_minutes"] == 60.0
    assert built["pixels"] == 2 * int(keep.sum())


def test_collocation_needs_its_criteria(tmp_path: Path) -> None:
    path, *_ = _oco2(tmp_path)
    ev = _ev(tmp_path, "ghg.xco2", swath=path.name, variable="xco2", references="r.csv")
    with pytest.raises(EvidenceError, match="radius_km, window_minutes"):
        measure_retrieval(ev, {"gas": "XCO2", "statistic": "bias"}, CTX)


def test_fill_value_constant_matches_tropomi() -> None:
    assert float(FILL) == pytest.approx(9.96921e36, rel=1e-6)


def test_resolution_of_a_swath_from_its_geolocation(tmp_path: Path, tropomi: Path) -> None:
    from geoverify.checks.resolution.measure import measure_resolution

    m = measure_resolution(_ev(tmp_path, raster=tropomi.name, variable=NO2), {}, CTX)
    across = GEOD.inv(175.0, 62.95, 175.5, 62.95)[2]  # the median row's latitude
    assert m.unit == "m"
    assert m.value == pytest.approx(across, rel=2e-3)


def test_modis_like_sinusoidal_hdf5_tile(tmp_path: Path) -> None:
    """HDF-EOS5 layout written with h5py: CRS from the CF grid mapping, GDAL's name
    of the variable (spaces as underscores) accepted.  The MODIS sinusoidal grid
    is equal-area with tiles of 1 111 950.5197665554 m a side (MODIS Land grid
    documentation), so a full tile covers that side squared."""
    from geoverify.checks.classes.measure import measure_classes

    from ..products import modis_sinusoidal_h5

    codes = (np.arange(40 * 40).reshape(40, 40) % 5 + 1).astype("uint8")
    modis_sinusoidal_h5(tmp_path / "MCD12Q1.A2023001.h21v08.061.h5", codes)
    variable = "HDFEOS/GRIDS/MODIS_Grid_500m_2D/Data_Fields/LC_Type1"
    ev = _ev(tmp_path, raster="MCD12Q1.A2023001.h21v08.061.h5", variable=variable)
    area = measure_area(ev, {}, CTX)
    assert area.value == pytest.approx(1111950.5197665554**2 / 1e6, rel=1e-9)
    assert measure_classes(ev, {}, CTX).value == 5
