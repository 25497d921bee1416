"""Burned area: agreement metrics against a hand-computed error matrix, FireCCI flags,
land coverage on a global grid whose land share is known by construction, cell areas."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Geod
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.burned_area.measure import agreement_metrics, measure_burned_area
from geoverify.errors import EvidenceError
from geoverify.geo.cellarea import cell_areas_km2
from geoverify.model.evidence import Evidence

CTX = Context(workers=2)
GEOD = Geod(ellps="WGS84")


def write(path: Path, array: np.ndarray, *, crs: str, transform, nodata=None) -> str:
    data = array[np.newaxis] if array.ndim == 2 else array
    profile = {
        "driver": "GTiff",
        "height": data.shape[1],
        "width": data.shape[2],
        "count": data.shape[0],
        "dtype": data.dtype,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path.name


def evidence(base: Path, **options) -> Evidence:
    return Evidence("wildfire.test", base, options, "test.toml")


def geod_box_km2(lat1: float, lat2: float, lon1: float, lon2: float) -> float:
    """Area of a lon/lat box with edges densified along the parallels (independent of the code)."""
    lons = np.linspace(lon1, lon2, 2001)
    xs = np.concatenate([lons, lons[::-1]])
    ys = np.concatenate([np.full(lons.size, lat1), np.full(lons.size, lat2)])
    area, _ = GEOD.polygon_area_perimeter(xs, ys)
    return abs(area) / 1e6


# ---------------------------------------------------------------- hand-computed error matrix
# p11 = 30 (burned in both), p12 = 10 (map burned, reference unburned: commission),
# p21 = 20 (map unburned, reference burned: omission), p22 = 940.
#   Ce   = p12 / (p11 + p12)              = 10 / 40        = 0.25
#   Oe   = p21 / (p11 + p21)              = 20 / 50        = 0.40
#   DC   = 2 p11 / (2 p11 + p12 + p21)    = 60 / 90        = 0.666…
#   relB = (p12 - p21) / (p11 + p21)      = -10 / 50       = -0.20
HAND = {"commission_error": 0.25, "omission_error": 0.40, "dice": 2 / 3, "relative_bias": -0.20}


def test_metrics_from_hand_computed_matrix():
    got = agreement_metrics(np.array([[30, 10], [20, 940]]))
    for key, value in HAND.items():
        assert got[key] == pytest.approx(value)
    # proportions give the same as counts
    got_p = agreement_metrics(np.array([[30, 10], [20, 940]]) / 1000)
    assert got_p["dice"] == pytest.approx(2 / 3)
    assert agreement_metrics(np.array([[0, 0], [0, 5]]))["dice"] is None


def _pairs() -> tuple[np.ndarray, np.ndarray]:
    """Map and reference (1000 pixels) with exactly the counts above, in a fixed shuffle."""
    m = np.array([1] * 30 + [1] * 10 + [0] * 20 + [0] * 940, dtype=np.int16)
    r = np.array([1] * 30 + [0] * 10 + [1] * 20 + [0] * 940, dtype=np.int16)
    order = np.random.default_rng(0).permutation(1000)
    return m[order], r[order]


def test_wall_to_wall_agreement_with_flags_excluded(tmp_path: Path):
    m, r = _pairs()
    # 40 x 25 grid of those pairs + a 40 x 5 strip of 200 pixels:
    # 100 map unobserved (−1) under a burned reference: excluded (no observation);
    # 95 map unburnable (−2) under reference nodata: excluded (no reference);
    # 5 map unburnable (−2) under an unburned reference: counted as unburned (p22 + 5).
    strip_map = np.array([-1] * 100 + [-2] * 100, dtype=np.int16)
    strip_ref = np.array([1] * 100 + [-9999] * 95 + [0] * 5, dtype=np.int16)
    mp = np.concatenate([m, strip_map]).reshape(40, 30)
    rf = np.concatenate([r, strip_ref]).reshape(40, 30)
    t = from_origin(500_000, 4_000_000, 250, 250)
    ev = evidence(
        tmp_path,
        raster=write(tmp_path / "map.tif", mp, crs="EPSG:32650", transform=t, nodata=-9999),
        reference=write(tmp_path / "ref.tif", rf, crs="EPSG:32650", transform=t, nodata=-9999),
    )
    result = measure_burned_area(ev, {"measure": "agreement"}, CTX)
    assert result.unit == "%"
    assert result.value == pytest.approx(100 * 2 / 3)
    for key, value in HAND.items():
        assert result.details[key] == pytest.approx(value)
    assert result.details["error_matrix_counts"] == [[30, 10], [20, 945]]
    assert result.ci is None  # a census has no sampling error


def test_burn_date_product_is_burned_when_day_of_year(tmp_path: Path):
    m, r = _pairs()
    doy = np.where(m == 1, 200, 0).astype(np.int16)  # burn dates instead of 1
    t = from_origin(500_000, 4_000_000, 250, 250)
    ev = evidence(
        tmp_path,
        raster=write(tmp_path / "jd.tif", doy.reshape(20, 50), crs="EPSG:32650", transform=t),
        reference=write(tmp_path / "ref.tif", r.reshape(20, 50), crs="EPSG:32650", transform=t),
    )
    assert measure_burned_area(ev, {"measure": "agreement"}, CTX).value == pytest.approx(
        100 * 2 / 3
    )


def _points(tmp_path: Path, rows, cols, labels, t, name="samples.gpkg") -> str:
    import geopandas as gpd
    from shapely.geometry import Point

    pts = [Point(t @ (c + 0.5, r + 0.5)) for r, c in zip(rows, cols, strict=True)]
    frame = gpd.GeoDataFrame({"burned": labels}, geometry=pts, crs="EPSG:32650")
    frame.to_file(tmp_path / name)
    return name


def test_simple_random_sample_agreement_and_standard_error(tmp_path: Path):
    m, r = _pairs()
    t = from_origin(500_000, 4_000_000, 250, 250)
    grid = m.reshape(20, 50)
    raster = write(tmp_path / "map.tif", grid, crs="EPSG:32650", transform=t)
    # sample every pixel once: the sample matrix is the hand matrix
    rows, cols = np.divmod(np.arange(1000), 50)
    ev = evidence(
        tmp_path,
        raster=raster,
        reference=_points(tmp_path, rows, cols, r.astype(int), t),
        field="burned",
    )
    result = measure_burned_area(ev, {"measure": "agreement"}, CTX)
    assert result.value == pytest.approx(100 * 2 / 3)
    assert result.details["relative_bias"] == pytest.approx(-0.2)
    # SE of the ratio DC = ȳ/x̄ with y = 2·I11, x = 2·I11 + I12 + I21 (linearisation):
    # d_u = y_u − R x_u: 30 samples d = 2 − 4/3 = 2/3, 30 samples d = −2/3, 940 samples d = 0.
    # s²_d = (60 · 4/9 − 0) / 999 ; se = sqrt(s²_d / 1000) / x̄, x̄ = 90/1000.
    s2 = (60 * 4 / 9) / 999
    se = math.sqrt(s2 / 1000) / 0.09
    assert result.se == pytest.approx(100 * se)
    assert result.ci[0] == pytest.approx(100 * (2 / 3 - 1.959963984540054 * se))


def test_stratified_sample_is_area_weighted(tmp_path: Path):
    """Two strata: burned map stratum (10% of the area) sampled as heavily as the rest."""
    t = from_origin(500_000, 4_000_000, 250, 250)
    strata = np.zeros((10, 100), dtype=np.uint8)
    strata[:, :10] = 1  # stratum 1: 100 pixels (W1 = 0.1), stratum 0: 900 (W0 = 0.9)
    mp = (strata == 1).astype(np.int16)  # map burned exactly in stratum 1
    # 20 samples per stratum. Stratum 1 (map burned): 15 reference burned, 5 not.
    # Stratum 0 (map unburned): 2 reference burned, 18 not.
    rows = list(range(10)) * 2
    cols1 = [0] * 10 + [1] * 10
    cols0 = [50] * 10 + [51] * 10
    labels1 = [1] * 15 + [0] * 5
    labels0 = [1] * 2 + [0] * 18
    ev = evidence(
        tmp_path,
        raster=write(tmp_path / "map.tif", mp, crs="EPSG:32650", transform=t),
        strata=write(tmp_path / "strata.tif", strata, crs="EPSG:32650", transform=t),
        reference=_points(tmp_path, rows + rows, cols1 + cols0, labels1 + labels0, t),
        field="burned",
        design="stratified",
    )
    result = measure_burned_area(ev, {"measure": "agreement"}, CTX)
    # hand: p11 = 0.1·15/20 = 0.075, p12 = 0.1·5/20 = 0.025, p21 = 0.9·2/20 = 0.09,
    # p22 = 0.9·18/20 = 0.81.  DC = 0.15 / (0.15 + 0.025 + 0.09) = 0.5660…
    # The weights 0.1 / 0.9 are shares of the true ground area: UTM pixels differ in
    # ground area by their distance to the central meridian (~3e-6 across this map).
    p11, p12, p21 = 0.075, 0.025, 0.09
    close = {"rel": 1e-5}
    assert result.details["error_matrix"][0] == pytest.approx([p11, p12], **close)
    assert result.details["error_matrix"][1] == pytest.approx([p21, 0.81], **close)
    assert result.value == pytest.approx(100 * 2 * p11 / (2 * p11 + p12 + p21), **close)
    assert result.details["omission_error"] == pytest.approx(p21 / (p11 + p21), **close)
    assert result.details["commission_error"] == pytest.approx(p12 / (p11 + p12), **close)
    # the unweighted sample proportions would give DC = 30/(30+5+2) = 0.81: not what we report
    assert result.value < 70
    assert result.se is not None and result.se > 0


# ---------------------------------------------------------------- land coverage


def _global_grid(step: float = 1.0):
    return from_origin(-180, 90, step, step), int(180 / step), int(360 / step)


def test_land_coverage_on_a_global_grid_with_firecci_flags(tmp_path: Path):
    """Land = 60°S–60°N everywhere.  Month 1: 0–30°N × 0–180°E unobserved (−1);
    month 2: the same box unobserved plus 30–60°N × 0–90°E unobserved.  Ocean (outside
    ±60°) is unburnable (−2).  Covered (in at least one month) = land minus the first box."""
    t, h, w = _global_grid(1.0)
    lat = 90 - (np.arange(h) + 0.5)
    lon = -180 + (np.arange(w) + 0.5)
    land = (np.abs(lat) < 60)[:, None] & np.ones(w, bool)
    box1 = ((lat > 0) & (lat < 30))[:, None] & (lon > 0)[None, :]
    box2 = ((lat > 30) & (lat < 60))[:, None] & ((lon > 0) & (lon < 90))[None, :]
    month1 = np.where(land, 0, -2).astype(np.int16)
    month1[box1] = -1
    month1[80, 10] = 150  # a burn date on land (9.5°N, 169.5°W): observed
    month2 = month1.copy()
    month2[box2] = -1
    mask = land.astype(np.uint8)
    names = [
        write(tmp_path / f"ba_{i}.tif", a, crs="EPSG:4326", transform=t, nodata=-9999)
        for i, a in enumerate([month1, month2], 1)
    ]
    maskname = write(tmp_path / "land.tif", mask, crs="EPSG:4326", transform=t, nodata=255)
    land_km2 = 2 * geod_box_km2(-60, 60, -180, 0)
    gap_km2 = geod_box_km2(0, 30, 0, 180)
    expected = 100 * (1 - gap_km2 / land_km2)
    ev = evidence(tmp_path, rasters=names, land_mask=maskname)
    result = measure_burned_area(ev, {"measure": "land_coverage"}, CTX)
    assert result.unit == "%"
    assert result.value == pytest.approx(expected, abs=1e-4)
    assert result.details["land_km2"] == pytest.approx(land_km2, rel=1e-5)
    per_step = result.details["coverage_per_step_percent"]
    box2_km2 = geod_box_km2(30, 60, 0, 90)
    assert per_step[1] == pytest.approx(100 * (1 - (gap_km2 + box2_km2) / land_km2), abs=1e-4)
    # without a land mask, the land mask shipped with geoverify defines the land
    # (tests/geo/test_landmask.py checks the figures against Natural Earth)
    bundled = measure_burned_area(
        evidence(tmp_path, rasters=names), {"measure": "land_coverage"}, CTX
    )
    assert "shipped with geoverify" in bundled.details["land_source"]
    assert len(bundled.details["land_mask"]["sha256"]) == 64
    # declaring −1 as "unburnable" instead makes the gap count as a statement, covered
    relabelled = measure_burned_area(
        evidence(tmp_path, rasters=names, land_mask=maskname, unobserved=-3, unburnable=[-1, -2]),
        {"measure": "land_coverage"},
        CTX,
    )
    assert relabelled.value == pytest.approx(100.0)


def test_land_coverage_from_netcdf_time_series(tmp_path: Path):
    import xarray as xr

    _t, h, w = _global_grid(2.0)
    lat = 90 - (np.arange(h) + 0.5) * 2
    lon = -180 + (np.arange(w) + 0.5) * 2
    cube = np.zeros((3, h, w), dtype=np.int16)
    cube[:, np.abs(lat) > 60, :] = -2  # not land
    gap = ((lat > -30) & (lat < 0))[:, None] & ((lon > -90) & (lon < 0))[None, :]
    cube[:, gap] = -1  # unobserved in all 3 months
    cube[1, 40, 100] = 1  # burned in month 2
    ds = xr.Dataset(
        {"burned": (("time", "lat", "lon"), cube)},
        coords={"time": [0, 31, 59], "lat": lat, "lon": lon},
    )
    ds.to_netcdf(tmp_path / "ba.nc", engine="scipy")
    mask = write(
        tmp_path / "land.tif",
        ((np.abs(lat) < 60)[:, None] & np.ones((h, w), bool)).astype(np.uint8),
        crs="EPSG:4326",
        transform=_t,
        nodata=255,
    )
    result = measure_burned_area(
        evidence(tmp_path, file="ba.nc", variable="burned", land_mask=mask),
        {"measure": "land_coverage"},
        CTX,
    )
    expected = 100 * (1 - geod_box_km2(-30, 0, -90, 0) / (2 * geod_box_km2(-60, 60, -180, 0)))
    assert result.value == pytest.approx(expected, abs=1e-4)
    assert result.details["steps"] == 3


def test_unusable_evidence_raises(tmp_path: Path):
    t = from_origin(500_000, 4_000_000, 250, 250)
    name = write(tmp_path / "m.tif", np.zeros((4, 4), np.int16), crs="EPSG:32650", transform=t)
    with pytest.raises(EvidenceError):
        measure_burned_area(evidence(tmp_path, raster=name), {"measure": "nonsense"}, CTX)
    with pytest.raises(EvidenceError):  # no land at all
        measure_burned_area(
            evidence(tmp_path, raster=name, unburnable=[-2], land_mask=name),
            {"measure": "land_coverage"},
            CTX,
        )
    with pytest.raises(EvidenceError):  # positive flag values are observations
        measure_burned_area(
            evidence(tmp_path, raster=name, unobserved=3), {"measure": "land_coverage"}, CTX
        )
    with pytest.raises(EvidenceError):  # no burned area anywhere: Dice undefined
        measure_burned_area(
            evidence(tmp_path, raster=name, reference=name), {"measure": "agreement"}, CTX
        )


# ---------------------------------------------------------------- cell areas


@pytest.mark.parametrize("step", [0.25, 1 / 360, 2.0])
def test_geographic_cell_areas_match_pyproj_geod(step: float):
    t = from_origin(100.0, 80.0, step, step)
    height = round(160 / step) if step >= 0.25 else 4000
    areas, method = cell_areas_km2(t, height, "EPSG:4326")
    assert method == "geodesic"
    for row in (0, height // 3, height - 1):
        top = 80.0 - row * step
        expected = geod_box_km2(top - step, top, 100.0, 100.0 + step)
        assert areas[row] == pytest.approx(expected, rel=1e-6)


def test_whole_earth_and_projected_cells():
    areas, _ = cell_areas_km2(from_origin(-180, 90, 1, 1), 180, "EPSG:4326")
    assert areas.sum() * 360 == pytest.approx(510_065_621.7, rel=1e-9)  # WGS 84 surface
    planar, method = cell_areas_km2(from_origin(0, 0, 250, 250), 3, "EPSG:6933")
    assert planar.tolist() == [0.0625] * 3 and method == "planar, equal-area"
    with pytest.raises(EvidenceError):
        cell_areas_km2(from_origin(0, 0, 1, 1), 3, None)


@pytest.mark.parametrize("steps", [2, 8])
def test_fused_kernel_and_numpy_give_the_same_coverage_and_agreement(
    tmp_path: Path, steps: int, monkeypatch: pytest.MonkeyPatch
):
    """Issue 16: the fused C kernel (codes per value, areas per row) and the numpy masks
    agree — counts exactly, areas to 1e-12 — with the bundled land and a land-mask raster,
    for up to 6 steps in one call and for more (one call per step)."""
    t, h, w = _global_grid(0.5)
    rng = np.random.default_rng(steps)
    names = []
    for k in range(steps):
        layer = rng.choice(np.array([-9999, -2, -1, 0, 0, 0, 17, 200], np.int16), (h, w))
        names.append(
            write(tmp_path / f"s{k}.tif", layer, crs="EPSG:4326", transform=t, nodata=-9999)
        )
    ref = rng.choice(np.array([0, 0, 1, 255], np.uint8), (h, w))
    refname = write(tmp_path / "ref.tif", ref, crs="EPSG:4326", transform=t, nodata=255)
    mask = rng.choice(np.array([0, 1, 1, 7], np.uint8), (h, w))
    maskname = write(tmp_path / "land.tif", mask, crs="EPSG:4326", transform=t, nodata=7)
    cases = [
        ({"rasters": names}, "land_coverage"),
        ({"rasters": names, "land_mask": maskname}, "land_coverage"),
        ({"rasters": names, "reference": refname}, "agreement"),
    ]
    for options, measure in cases:
        got = {}
        for kind in ("c", "numpy"):
            monkeypatch.setenv("GEOVERIFY_KERNELS", kind)
            got[kind] = measure_burned_area(
                evidence(tmp_path, **options), {"measure": measure}, CTX
            )
        c, ref_ = got["c"], got["numpy"]
        assert c.value == pytest.approx(ref_.value, rel=1e-12)
        if measure == "agreement":
            assert c.n == ref_.n
            np.testing.assert_allclose(
                c.details["error_matrix_km2"], ref_.details["error_matrix_km2"], rtol=1e-12
            )
        else:
            assert c.details["covered_km2"] == pytest.approx(ref_.details["covered_km2"], rel=1e-12)
            assert c.details["coverage_per_step_percent"] == pytest.approx(
                ref_.details["coverage_per_step_percent"], rel=1e-12
            )
            assert c.details["product_land_km2"] == pytest.approx(
                ref_.details["product_land_km2"], rel=1e-12
            )


def test_netcdf_coverage_runs_the_fused_kernel_with_the_same_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Issue 16: a CF NetCDF product (FireCCI's delivery format) takes the fused kernel too,
    with the bundled land and with a land-mask raster, and gives the numpy path's figures."""
    import xarray as xr

    from geoverify.stats import kernels

    t, h, w = _global_grid(1.0)
    lat = 90 - (np.arange(h) + 0.5)
    lon = -180 + (np.arange(w) + 0.5)
    rng = np.random.default_rng(9)
    cube = rng.choice(np.array([-2, -1, 0, 0, 0, 40], np.int16), (2, h, w))
    xr.Dataset(
        {"JD": (("time", "lat", "lon"), cube)},
        coords={"time": [0, 31], "lat": lat, "lon": lon},
    ).to_netcdf(tmp_path / "ba.nc", engine="scipy")
    mask = write(
        tmp_path / "land.tif",
        rng.integers(0, 2, (h, w)).astype(np.uint8),
        crs="EPSG:4326",
        transform=t,
        nodata=255,
    )
    calls: list[str] = []
    real = kernels.tally

    def counted(*args, **kwargs):
        calls.append(kwargs.get("kind", "numpy"))
        return real(*args, **kwargs)

    monkeypatch.setattr(kernels, "tally", counted)
    for options in (
        {"file": "ba.nc", "variable": "JD"},
        {"file": "ba.nc", "variable": "JD", "land_mask": mask},
    ):
        got = {}
        for kind in ("c", "numpy"):
            monkeypatch.setenv("GEOVERIFY_KERNELS", kind)
            calls.clear()
            got[kind] = measure_burned_area(
                evidence(tmp_path, **options), {"measure": "land_coverage"}, CTX
            )
            assert calls and set(calls) == {kind}  # per row band, by the chosen implementation
        assert got["c"].value == pytest.approx(got["numpy"].value, rel=1e-12)
        assert got["c"].details["coverage_per_step_percent"] == pytest.approx(
            got["numpy"].details["coverage_per_step_percent"], rel=1e-12
        )
