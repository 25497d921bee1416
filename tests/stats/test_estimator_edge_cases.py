"""Review of the statistics and measurements: edge cases checked against independent values.

Several tests exposed bugs found in review (once strict xfails, now fixed); the expected
values come from hand computation, numpy, scikit-learn or pyproj, never from the code
under test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from scipy import stats

from geoverify.checks import Context
from geoverify.errors import GeoverifyError
from geoverify.model.evidence import Evidence
from geoverify.stats import estimators as est
from geoverify.stats.intervals import score_interval

Z = 1.959963984540054


def _write(path: Path, array: np.ndarray, transform, crs="EPSG:32633", nodata=None) -> str:
    with rasterio.open(
        path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0], count=1,
        dtype=array.dtype, crs=crs, transform=transform, nodata=nodata,
    ) as ds:
        ds.write(array, 1)
    return str(path)


def _band_area_m2(lat0: float, lat1: float, lon0: float, lon1: float) -> float:
    """Area between two parallels and two meridians, pyproj.Geod on densified parallels."""
    from pyproj import Geod

    lons = np.linspace(lon0, lon1, 2001)
    lon = np.r_[lons, lons[::-1]]
    lat = np.r_[np.full(lons.size, lat0), np.full(lons.size, lat1)]
    return abs(Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)[0])


# --------------------------------------------------------------------------- estimators


def test_stratified_stratum_all_correct_by_hand() -> None:
    # W = (.5, .5); stratum 1 all correct (U1 = 1, no variance), stratum 2 U2 = .8, n2 = 10.
    # OA = .5 + .4 = .9; V(OA) = .25 * .8 * .2 / 9; PA1 = .5 / (.5 + .5 * .2) = 5/6.
    e = est.stratified_map_classes([[10, 0], [2, 8]], [100, 100], ["a", "b"])
    assert e.overall_accuracy == pytest.approx(0.9)
    assert e.overall_accuracy_se == pytest.approx(math.sqrt(0.25 * 0.8 * 0.2 / 9))
    assert e.users_accuracy_se[0] == 0.0
    assert e.producers_accuracy[0] == pytest.approx(5 / 6)
    # Korn & Graubard (1998): n_eff = .09 / V(OA) = 20.25, times (t_19 / t_18)^2, at most
    # n = 20 -> 20: the continuity-corrected Wilson interval of 18/20 (not a clipped Wald)
    assert e.n_effective == pytest.approx(20.0)
    ci = stats.binomtest(18, 20).proportion_ci(method="wilsoncc")
    assert e.overall_accuracy_ci == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_one_class_all_correct_kappa_undefined_not_nan() -> None:
    e = est.simple_random([[7]], ["water"])
    d = e.to_dict()
    assert d["overall_accuracy"] == 1.0 and d["kappa"] is None
    assert d["quantity_disagreement"] == 0.0 and d["allocation_disagreement"] == 0.0
    # continuity-corrected Wilson (Newcombe 1998) lower bound for 7/7, as scipy computes it
    ci = stats.binomtest(7, 7).proportion_ci(method="wilsoncc")
    assert d["overall_accuracy_ci"] == [pytest.approx(ci.low), 1.0]


def test_stehman_samples_in_a_stratum_without_pixels_are_refused() -> None:
    with pytest.raises(GeoverifyError):
        est.stratified_general(
            ["a", "a", "b", "b", "c", "c"], [1, 1, 2, 1, 1, 2], [1, 2, 2, 1, 1, 1],
            {"a": 10, "b": 10, "c": 0},
        )


# --------------------------------------------------------------------------- confusion / accuracy


def test_pair_counts_with_a_different_nodata_on_each_side(tmp_path: Path) -> None:
    from sklearn.metrics import confusion_matrix

    from geoverify.stats.confusion import pair_counts

    rng = np.random.default_rng(1)
    m = rng.integers(0, 3, (40, 40)).astype("uint8")
    r = rng.integers(0, 3, (40, 40)).astype("uint8")
    r[:, 0] = 255
    t = from_origin(0, 400, 10, 10)
    pc = pair_counts(_write(tmp_path / "m.tif", m, t, nodata=0),
                     _write(tmp_path / "r.tif", r, t, nodata=255))
    ok = (m != 0) & (r != 255)  # class 0 is nodata on the map only, valid in the reference
    assert pc.map_values.tolist() == [1, 2] and pc.ref_values.tolist() == [0, 1, 2]
    expected = confusion_matrix(m[ok], r[ok], labels=[0, 1, 2])[1:, :]
    assert np.array_equal(pc.counts, expected)
    assert pc.excluded == int((~ok).sum())


def test_resampled_reference_smaller_than_the_map_excludes_the_outside(tmp_path: Path) -> None:
    from geoverify.stats.confusion import pair_counts

    rng = np.random.default_rng(0)
    m = rng.integers(1, 3, (40, 40)).astype("uint8")
    mp = _write(tmp_path / "m.tif", m, from_origin(0, 400, 10, 10), nodata=0)
    # reference at 20 m covering only the north-west quarter (map rows/cols 0..19), no nodata
    rp = _write(tmp_path / "r.tif", np.full((10, 10), 2, "uint8"), from_origin(0, 400, 20, 20))
    pc = pair_counts(mp, rp, resample="nearest")
    quarter = m[:20, :20]
    assert pc.ref_values.tolist() == [2]
    assert pc.total == quarter.size
    assert pc.counts[:, 0].tolist() == [int((quarter == 1).sum()), int((quarter == 2).sum())]


def test_olofsson_weights_on_a_geographic_map_are_area_shares(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from geoverify.checks.accuracy.measure import accuracy_report

    a = np.full((90, 10), 2, "uint8")
    a[:30] = 1  # class 1 on 60-90 N, class 2 on 0-60 N, 1-degree cells
    mp = _write(tmp_path / "geo.tif", a, from_origin(0, 90, 1, 1), crs="EPSG:4326")
    pts = [Point(0.5 + i % 10, 89.5 - i) for i in range(0, 30, 3)]
    pts += [Point(0.5 + i % 10, 59.5 - i) for i in range(0, 60, 6)]
    ref = [1] * 9 + [2] + [2] * 8 + [1, 2]
    gpd.GeoDataFrame({"reference": ref}, geometry=pts, crs=4326).to_file(tmp_path / "s.gpkg")
    r = accuracy_report(mp, tmp_path / "s.gpkg", design="stratified", workers=1)
    a1, a2 = _band_area_m2(60, 90, 0, 10), _band_area_m2(0, 60, 0, 10)
    assert r["weights"]["1"] == pytest.approx(a1 / (a1 + a2), rel=1e-4)
    total_ha = (a1 + a2) / 1e4
    assert sum(r["area_ha"].values()) == pytest.approx(total_ha, rel=1e-4)


def test_points_on_a_0_360_longitude_grid(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from geoverify.stats.confusion import sample_map

    g = np.repeat((np.arange(360, dtype="uint16") + 1)[None, :], 180, axis=0)
    path = _write(tmp_path / "g.tif", g, from_origin(0, 90, 1, 1), crs="EPSG:4326", nodata=0)
    pts = gpd.GeoDataFrame(geometry=[Point(-10.5, 0.5), Point(10.5, 0.5)], crs=4326)
    s = sample_map(path, pts, workers=1)
    # lon -10.5 is lon 349.5: column 349, value 350; lon 10.5: column 10, value 11
    assert s.outside == 0
    assert s.values.tolist() == [350, 11]


# --------------------------------------------------------------------------- burned area


def test_ratio_estimate_refuses_a_stratum_without_samples() -> None:
    from geoverify.checks.burned_area.measure import ratio_estimate

    y = np.array([1.0, 0.0, 1.0, 0.0])
    with pytest.raises(GeoverifyError):
        ratio_estimate(y, np.ones(4), np.array([1, 1, 1, 1]), {1: 0.5, 2: 0.5})


def test_ratio_estimate_two_strata_by_hand() -> None:
    from geoverify.checks.burned_area.measure import ratio_estimate

    # stratum 1 (W=.25): y = 1,0 x = 1,1; stratum 2 (W=.75): y = 1,1,0 x = 1,1,1
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    x = np.ones(5)
    s = np.array([1, 1, 2, 2, 2])
    r, se = ratio_estimate(y, x, s, {1: 0.25, 2: 0.75})
    expected = 0.25 * 0.5 + 0.75 * (2 / 3)
    assert r == pytest.approx(expected)
    # x = 1 everywhere: V = sum W_h^2 s_h^2(y) / n_h
    var = 0.25**2 * np.var([1, 0], ddof=1) / 2 + 0.75**2 * np.var([1, 1, 0], ddof=1) / 3
    assert se == pytest.approx(math.sqrt(var))


def test_cell_areas_of_a_grid_with_cell_centres_on_the_poles() -> None:
    from geoverify.geo.cellarea import cell_areas_km2

    areas, _ = cell_areas_km2(from_origin(-0.125, 90.125, 0.25, 0.25), 721, "EPSG:4326")
    # 1440 columns cover the globe: total = WGS 84 ellipsoid surface, 510 065 621.7 km²
    assert areas.sum() * 1440 == pytest.approx(510_065_621.7, rel=1e-6)


# --------------------------------------------------------------------------- period


def test_datetimes_with_offsets_are_compared_in_utc(tmp_path: Path) -> None:
    from geoverify.checks.period.measure import measure_period

    ev = Evidence("x.y", tmp_path, {"datetimes": ["2026-03-29T00:50:00+01:00",
                                                  "2026-03-29T00:00:00Z"]}, "s:1")
    m = measure_period(ev, {"measure": "step"}, Context())
    assert m.value == pytest.approx(10.0) and m.unit == "min"


def test_files_in_different_calendars_give_a_geoverify_error(tmp_path: Path) -> None:
    import xarray as xr

    from geoverify.checks.period.measure import measure_period

    for name, cal, start in (("a.nc", "noleap", "2000-01-01"), ("b.nc", "standard", "2001-01-01")):
        t = xr.DataArray(np.arange(3.0), dims="time",
                         attrs={"units": f"days since {start}", "calendar": cal})
        xr.Dataset({"v": ("time", np.zeros(3))}, coords={"time": t}).to_netcdf(tmp_path / name)
    ev = Evidence("x.y", tmp_path, {"files": ["a.nc", "b.nc"]}, "s:1")
    with pytest.raises(GeoverifyError):
        measure_period(ev, {"measure": "step"}, Context())


# --------------------------------------------------------------------------- warnings


def test_warning_planner_when_every_warning_verified(tmp_path: Path) -> None:
    from geoverify.checks.warning.measure import measure_warning
    from geoverify.stats.estimators import wilson_interval

    days = [f"2027-{m:02d}-01" for m in range(1, 10)]
    onsets = [f"2027-{m:02d}-10" for m in range(1, 10)]
    (tmp_path / "w.csv").write_text("hazard,region,issued\n"
                                    + "".join(f"locust,K,{d}\n" for d in days))
    (tmp_path / "o.csv").write_text("hazard,region,onset\n"
                                    + "".join(f"locust,K,{d}\n" for d in onsets))
    ev = Evidence("pest.warning_accuracy", tmp_path,
                  {"warnings": "w.csv", "outbreaks": "o.csv"}, "s:1")
    m = measure_warning(ev, {"measure": "accuracy"}, Context())
    assert m.value == 100.0 and m.ci[0] < 85.0  # 9/9: inconclusive against > 85 %
    extra = m.planner(85.0)
    # the verdict's interval (Wilson with continuity correction) at n/n first excludes .85
    # at n = 29: 20 more (the plain Wilson bound n / (n + z^2) would need 22)
    assert extra is not None and score_interval(9 + extra, 9 + extra)[0] > 0.85
    assert score_interval(8 + extra, 8 + extra)[0] <= 0.85
    assert extra == 20
    assert wilson_interval(22, 22)[0] > 0.85 > wilson_interval(21, 21)[0]


# --------------------------------------------------------------------------- review follow-ups


def test_stehman_more_samples_than_pixels_in_a_stratum_are_refused() -> None:
    with pytest.raises(GeoverifyError, match="only 2 pixels"):
        est.stratified_general(
            ["a", "a", "a", "b", "b"], [1, 1, 2, 2, 1], [1, 2, 2, 2, 1], {"a": 2, "b": 10}
        )


def test_ratio_estimate_refuses_a_stratum_with_a_single_sample() -> None:
    from geoverify.checks.burned_area.measure import ratio_estimate

    y = np.array([1.0, 0.0, 1.0])
    with pytest.raises(GeoverifyError, match="1 sample"):
        ratio_estimate(y, np.ones(3), np.array([1, 1, 2]), {1: 0.5, 2: 0.5})


def test_resampled_reference_counts_the_outside_as_excluded(tmp_path: Path) -> None:
    from geoverify.stats.confusion import pair_counts

    m = np.ones((40, 40), "uint8")
    mp = _write(tmp_path / "m.tif", m, from_origin(0, 400, 10, 10), nodata=0)
    rp = _write(tmp_path / "r.tif", np.full((10, 10), 2, "uint8"), from_origin(0, 400, 20, 20))
    pc = pair_counts(mp, rp, resample="nearest")
    assert pc.total == 400 and pc.excluded == 1600 - 400


def test_cell_areas_more_than_half_a_cell_beyond_a_pole_are_refused() -> None:
    from geoverify.geo.cellarea import cell_areas_km2

    with pytest.raises(GeoverifyError):
        cell_areas_km2(from_origin(0, 90.2, 0.25, 0.25), 10, "EPSG:4326")


def test_budget_consistency_refuses_a_non_finite_precision() -> None:
    from geoverify.stats.budget import BudgetTotals, consistency

    totals = BudgetTotals(random=1.0, systematic=0.0, total=1.0, unit="ppm", components=())
    with pytest.raises(GeoverifyError):
        consistency(totals, float("nan"), 0.5)


def _burned_samples(tmp_path: Path, geometries: list, crs: int | None) -> Evidence:
    import geopandas as gpd

    grid = np.zeros((10, 10), "int16")
    grid[:5] = 1
    _write(tmp_path / "map.tif", grid, from_origin(0, 10, 1, 1), crs="EPSG:4326")
    labels = [1, 0] * (len(geometries) // 2)
    gpd.GeoDataFrame({"burned": labels}, geometry=geometries, crs=crs).to_file(
        tmp_path / "s.gpkg"
    )
    return Evidence("wildfire.t", tmp_path,
                    {"raster": "map.tif", "reference": "s.gpkg", "field": "burned"}, "s:1")


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_burned_area_samples_as_lines_or_without_crs_are_refused(tmp_path: Path) -> None:
    from shapely.geometry import LineString, Point

    from geoverify.checks.burned_area.measure import measure_burned_area

    lines = [LineString([(0.5, 9.5), (1.5, 9.5)]), LineString([(0.5, 0.5), (1.5, 0.5)])]
    with pytest.raises(GeoverifyError, match="must be points or polygons"):
        measure_burned_area(_burned_samples(tmp_path, lines, 4326), {"measure": "agreement"},
                            Context())
    points = [Point(0.5, 9.5), Point(0.5, 0.5)]
    with pytest.raises(GeoverifyError, match="no CRS"):
        measure_burned_area(_burned_samples(tmp_path, points, None), {"measure": "agreement"},
                            Context())


def test_burned_area_polygon_samples_are_read_at_their_centroid(tmp_path: Path) -> None:
    from shapely.geometry import box

    from geoverify.checks.burned_area.measure import measure_burned_area

    # burned map on rows 0-4 (latitudes 5-10); polygons centred on 9.5 N (burned) and 0.5 N
    polys = [box(0.2, 9.2, 0.8, 9.8), box(3.2, 0.2, 3.8, 0.8)] * 2
    m = measure_burned_area(_burned_samples(tmp_path, polys, 4326), {"measure": "agreement"},
                            Context())
    assert m.value == pytest.approx(100.0) and m.n == 4


def test_burned_area_samples_on_a_0_360_longitude_grid(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from geoverify.checks.burned_area.measure import measure_burned_area

    grid = np.zeros((180, 360), "int16")
    grid[:, 340:] = 1  # burned on 340-360 E, i.e. 20 W - 0
    _write(tmp_path / "map.tif", grid, from_origin(0, 90, 1, 1), crs="EPSG:4326")
    pts = [Point(-10.5, 0.5), Point(10.5, 0.5), Point(-5.5, 5.5), Point(20.5, 5.5)]
    gpd.GeoDataFrame({"burned": [1, 0, 1, 0]}, geometry=pts, crs=4326).to_file(
        tmp_path / "s.gpkg"
    )
    ev = Evidence("wildfire.t", tmp_path,
                  {"raster": "map.tif", "reference": "s.gpkg", "field": "burned"}, "s:1")
    m = measure_burned_area(ev, {"measure": "agreement"}, Context())
    assert m.value == pytest.approx(100.0) and m.n == 4


def test_stehman_on_a_geographic_map_uses_areas(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from geoverify.checks.accuracy.measure import accuracy_report

    a = np.full((90, 10), 2, "uint8")
    a[:30] = 1
    mp = _write(tmp_path / "geo.tif", a, from_origin(0, 90, 1, 1), crs="EPSG:4326")
    pts = [Point(0.5 + i % 10, 89.5 - i) for i in range(0, 30, 3)]
    pts += [Point(0.5 + i % 10, 59.5 - i) for i in range(0, 60, 6)]
    ref = [1] * 9 + [2] + [2] * 8 + [1, 2]
    gpd.GeoDataFrame({"reference": ref, "stratum": [1] * 10 + [2] * 10}, geometry=pts,
                     crs=4326).to_file(tmp_path / "s.gpkg")
    r = accuracy_report(mp, tmp_path / "s.gpkg", design="stratified", strata_field="stratum",
                        workers=1)
    a1, a2 = _band_area_m2(60, 90, 0, 10), _band_area_m2(0, 60, 0, 10)
    w1 = a1 / (a1 + a2)
    assert r["overall_accuracy"] == pytest.approx(0.9)  # 9/10 correct in both strata
    # reference class 1: 9/10 of stratum 1, 1/10 of stratum 2
    assert r["area_proportions"]["1"] == pytest.approx(0.9 * w1 + 0.1 * (1 - w1), rel=1e-4)
    assert sum(r["area_ha"].values()) == pytest.approx((a1 + a2) / 1e4, rel=1e-4)
