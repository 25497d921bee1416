"""``geoverify coverage``: area, countries and period of one deliverable, table and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from pyproj import Geod
from rasterio.transform import from_origin

from geoverify.cli.coverage import coverage
from geoverify.testing.samples.common import write_raster

from ..conftest import realdata_path


def _east_africa(tmp_path: Path) -> Path:
    return write_raster(
        tmp_path / "ea.tif",
        np.ones((130, 130), dtype="uint8"),
        crs="EPSG:4326",
        transform=from_origin(29.0, 5.0, 0.1, 0.1),
        nodata=0,
    )


def test_json_output(tmp_path: Path) -> None:
    path = _east_africa(tmp_path)
    result = CliRunner().invoke(
        coverage, [str(path), "--format", "json", "--region", "africa_asia"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    n = 400
    lons = np.concatenate([np.linspace(29, 42, n), np.linspace(42, 29, n)])
    lats = np.concatenate([np.full(n, 5.0), np.full(n, -8.0)])
    truth = abs(Geod(ellps="WGS84").polygon_area_perimeter(lons, lats)[0]) / 1e6
    assert data["area_km2"] == pytest.approx(truth, rel=1e-6)
    codes = {c["iso3"] for c in data["countries"]}
    assert {"KEN", "TZA", "UGA"} <= codes
    assert data["n_countries"] == len(codes)


def test_table_output_and_period_of_epoch_rasters(tmp_path: Path) -> None:
    paths = []
    for year in (2015, 2020, 2025):
        paths.append(
            str(
                write_raster(
                    tmp_path / f"eco_{year}.tif",
                    np.ones((20, 20), dtype="uint8"),
                    crs="EPSG:4326",
                    transform=from_origin(100.0, 15.0, 0.05, 0.05),
                    nodata=0,
                )
            )
        )
    result = CliRunner().invoke(coverage, paths)
    assert result.exit_code == 0, result.output
    assert "THA" in result.output
    assert "2015" in result.output and "2025" in result.output
    assert "missing" not in result.output  # the 5-year step is inferred


def test_vector_input(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    gpd.GeoDataFrame(geometry=[box(36.8, -3.6, 37.8, -2.4)], crs="EPSG:4326").to_file(
        tmp_path / "demo.gpkg"
    )
    result = CliRunner().invoke(coverage, [str(tmp_path / "demo.gpkg"), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [c["iso3"] for c in data["countries"]] == ["KEN", "TZA"]


def test_netcdf_period() -> None:
    path = realdata_path("rioxarray", "PLANET_SCOPE_3D.nc")
    result = CliRunner().invoke(coverage, [str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["period"]["steps"] == 2


def test_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(coverage, [str(tmp_path / "absent.tif")])
    assert result.exit_code == 2
    assert "file not found" in result.output
    assert "Traceback" not in result.output
    write_raster(
        tmp_path / "nocrs.tif",
        np.ones((4, 4), "uint8"),
        crs=None,
        transform=from_origin(0, 4, 1, 1),
    )
    result = CliRunner().invoke(coverage, [str(tmp_path / "nocrs.tif")])
    assert result.exit_code == 2
    assert "no CRS" in result.output
    assert len(result.output.strip().splitlines()) == 1
