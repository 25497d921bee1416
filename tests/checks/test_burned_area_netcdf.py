"""Burned-area agreement from a FireCCI-layout CF NetCDF equals agreement from the same
pixels as GeoTIFF (one file per time step) on the same grid, for a wall-to-wall reference
raster and for reference samples; south-up rows and a mismatched reference grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import xarray as xr
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.burned_area.measure import measure_burned_area
from geoverify.errors import EvidenceError
from geoverify.model.evidence import Evidence
from geoverify.testing.samples.products import firecci_netcdf

CTX = Context(workers=2)
WEST, NORTH, STEP = 20.0, 10.0, 0.25
STEPS, ROWS, COLS = 2, 24, 40
METRICS = ("dice", "commission_error", "omission_error", "relative_bias")


def _jd() -> np.ndarray:
    """``(time, lat, lon)`` day of burn with FireCCI flags and a few fill values."""
    rng = np.random.default_rng(14)
    kind = rng.choice(5, size=(STEPS, ROWS, COLS), p=[0.15, 0.6, 0.1, 0.1, 0.05])
    days = rng.integers(1, 366, size=kind.shape)
    jd = np.select([kind == 0, kind == 1, kind == 2, kind == 3], [days, 0, -1, -2], default=-9999)
    return jd.astype(np.int16)


def _reference() -> np.ndarray:
    rng = np.random.default_rng(41)
    ref = rng.choice(np.array([0, 1, -9999], dtype=np.int16), size=(ROWS, COLS), p=[0.6, 0.3, 0.1])
    return ref


def _tif(path: Path, array: np.ndarray) -> str:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=array.shape[0],
        width=array.shape[1],
        count=1,
        dtype=array.dtype,
        crs="EPSG:4326",
        transform=from_origin(WEST, NORTH, STEP, STEP),
        nodata=-9999,
    ) as dst:
        dst.write(array, 1)
    return path.name


def _evidence(base: Path, **options: object) -> Evidence:
    return Evidence("wildfire.test", base, options, "test.toml")


@pytest.fixture
def product(tmp_path: Path) -> dict[str, object]:
    jd = _jd()
    firecci_netcdf(tmp_path / "ba.nc", jd, west=WEST, north=NORTH, step=STEP)
    tifs = [_tif(tmp_path / f"ba_{i}.tif", jd[i]) for i in range(STEPS)]
    ref = _reference()
    return {"jd": jd, "tifs": tifs, "ref": ref, "ref_name": _tif(tmp_path / "ref.tif", ref)}


def _hand_counts(jd: np.ndarray, ref: np.ndarray) -> list[list[int]]:
    """Error-matrix counts straight from the definitions (any step burned / observed)."""
    burned = (jd > 0).any(axis=0)
    observed = ((jd >= 0) | (jd == -2)).any(axis=0)
    ref_obs = ref >= 0
    both = observed & ref_obs
    rb = ref == 1
    return [
        [int((both & burned & rb).sum()), int((both & burned & ~rb).sum())],
        [int((both & ~burned & rb).sum()), int((both & ~burned & ~rb).sum())],
    ]


def _same(a: dict[str, object], b: dict[str, object]) -> None:
    for key in METRICS:
        assert a[key] == pytest.approx(b[key], rel=0, abs=1e-12), key
    np.testing.assert_allclose(a["error_matrix"], b["error_matrix"], rtol=0, atol=1e-12)
    assert a["error_matrix_counts"] == b["error_matrix_counts"]


def test_netcdf_agreement_equals_geotiff(tmp_path: Path, product: dict[str, object]) -> None:
    ref = product["ref_name"]
    nc = measure_burned_area(
        _evidence(tmp_path, file="ba.nc", variable="JD", reference=ref),
        {"measure": "agreement"},
        CTX,
    )
    tif = measure_burned_area(
        _evidence(tmp_path, rasters=product["tifs"], reference=ref),
        {"measure": "agreement"},
        CTX,
    )
    _same(nc.details, tif.details)
    assert nc.value == pytest.approx(tif.value, rel=0, abs=1e-10)
    counts = _hand_counts(product["jd"], product["ref"])  # type: ignore[arg-type]
    assert nc.details["error_matrix_counts"] == counts
    np.testing.assert_allclose(
        nc.details["error_matrix_km2"], tif.details["error_matrix_km2"], rtol=1e-12
    )


def test_south_up_netcdf_reads_like_north_up(tmp_path: Path, product: dict[str, object]) -> None:
    with xr.open_dataset(tmp_path / "ba.nc", mask_and_scale=False) as ds:
        flipped = ds.isel(lat=slice(None, None, -1)).load()
    flipped.to_netcdf(tmp_path / "ba_south_up.nc")
    ref = product["ref_name"]
    south = measure_burned_area(
        _evidence(tmp_path, file="ba_south_up.nc", variable="JD", reference=ref),
        {"measure": "agreement"},
        CTX,
    )
    tif = measure_burned_area(
        _evidence(tmp_path, rasters=product["tifs"], reference=ref),
        {"measure": "agreement"},
        CTX,
    )
    _same(south.details, tif.details)


def test_netcdf_agreement_with_samples(tmp_path: Path, product: dict[str, object]) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    rng = np.random.default_rng(7)
    rows = rng.integers(0, ROWS, 300)
    cols = rng.integers(0, COLS, 300)
    t = from_origin(WEST, NORTH, STEP, STEP)
    pts = [Point(t * (c + 0.5, r + 0.5)) for r, c in zip(rows, cols, strict=True)]
    labels = rng.integers(0, 2, 300)
    gpd.GeoDataFrame({"burned": labels}, geometry=pts, crs="EPSG:4326").to_file(
        tmp_path / "samples.gpkg"
    )
    nc = measure_burned_area(
        _evidence(tmp_path, file="ba.nc", variable="JD", reference="samples.gpkg", field="burned"),
        {"measure": "agreement"},
        CTX,
    )
    tif = measure_burned_area(
        _evidence(tmp_path, rasters=product["tifs"], reference="samples.gpkg", field="burned"),
        {"measure": "agreement"},
        CTX,
    )
    _same(nc.details, tif.details)
    assert nc.n == tif.n
    jd = product["jd"]
    observed = ((jd[:, rows, cols] >= 0) | (jd[:, rows, cols] == -2)).any(axis=0)  # type: ignore[index]
    assert nc.n == int(observed.sum())


def test_reference_on_another_grid_is_refused(tmp_path: Path, product: dict[str, object]) -> None:
    ref = np.zeros((ROWS + 1, COLS), dtype=np.int16)
    _tif(tmp_path / "ref_big.tif", ref)
    with pytest.raises(EvidenceError, match="differs from the product's"):
        measure_burned_area(
            _evidence(tmp_path, file="ba.nc", variable="JD", reference="ref_big.tif"),
            {"measure": "agreement"},
            CTX,
        )
