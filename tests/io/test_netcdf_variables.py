"""NetCDF files holding several variables, CRS only in attributes, several rasters on the CLI.

Expected values are independent of geoverify: the GeoTIFF twin of RGB.nc read by
rasterio, the pixel sizes stated in ../shared/realdata/README.md, and grids
written here with xarray.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
import xarray as xr
from click.testing import CliRunner

from geoverify.checks import Context
from geoverify.checks.area.measure import measure_area
from geoverify.checks.classes.measure import measure_classes
from geoverify.checks.resolution.measure import nominal_resolution
from geoverify.cli.main import main
from geoverify.config.submission import evidence_keys
from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io.raster import open_raster, raster_source, split_subdataset
from geoverify.model.evidence import Evidence


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def write_stack(
    path: Path, *, crs_attr: str | None = None, grid_mapping: bool = False, cf_coords: bool = True
) -> Path:
    """Two variables (class codes, reflectance) on a 20 m UTM 33N grid, 6 rows x 8 columns."""
    x = 500_010.0 + 20.0 * np.arange(8)
    y = 4_600_110.0 - 20.0 * np.arange(6)
    codes = np.array([[1, 2, 3, 4, 1, 2, 3, 4]] * 3 + [[5, 5, 5, 5, 0, 0, 0, 0]] * 3, np.uint8)
    refl = np.linspace(0.0, 1.0, 48, dtype=np.float32).reshape(6, 8)
    x_attrs = {"standard_name": "projection_x_coordinate", "units": "m"} if cf_coords else {}
    y_attrs = {"standard_name": "projection_y_coordinate", "units": "m"} if cf_coords else {}
    ds = xr.Dataset(
        {"classes": (("y", "x"), codes), "reflectance": (("y", "x"), refl)},
        coords={"x": ("x", x, x_attrs), "y": ("y", y, y_attrs)},
    )
    ds["classes"].attrs["_FillValue"] = 0
    if grid_mapping:
        ds["utm"] = xr.DataArray(
            np.int8(0),
            attrs={
                "grid_mapping_name": "transverse_mercator",
                "longitude_of_central_meridian": 15.0,
                "latitude_of_projection_origin": 0.0,
                "scale_factor_at_central_meridian": 0.9996,
                "false_easting": 500000.0,
                "false_northing": 0.0,
                "semi_major_axis": 6378137.0,
                "inverse_flattening": 298.257223563,
            },
        )
        for name in ("classes", "reflectance"):
            ds[name].attrs["grid_mapping"] = "utm"
    if crs_attr is not None:
        ds.attrs["crs"] = crs_attr
    ds.to_netcdf(path)
    return path


# ------------------------------------------------------------------- real files


def test_rgb_nc_band1_matches_its_geotiff_twin(realdata):
    with rasterio.open(realdata("rasterio", "RGB.byte.tif")) as ds:
        expected_x, expected_y = ds.res
    info = nominal_resolution(str(realdata("rasterio", "RGB.nc")), "Band1")
    assert info["crs"] == "EPSG:32618"
    assert info["x_m"] == pytest.approx(expected_x, rel=1e-9)
    assert info["y_m"] == pytest.approx(expected_y, rel=1e-9)
    assert info["pixel_size_m"] == pytest.approx(300.04, abs=0.01)
    assert info["variable"] == "Band1"


def test_rgb_nc_without_variable_lists_its_variables(realdata):
    path = realdata("rasterio", "RGB.nc")
    with pytest.raises(EvidenceError) as info:
        nominal_resolution(str(path))
    text = str(info.value)
    assert 'RGB.nc holds Band1, Band2, Band3: name one with variable = "' in text
    assert "(or --variable" in text
    assert "not georeferenced" not in text and "GeoTIFF" not in text


def test_unknown_variable_lists_the_file_variables(realdata):
    with pytest.raises(EvidenceError, match=r"no variable 'Band9'.*Band1, Band2, Band3"):
        raster_source(str(realdata("rasterio", "RGB.nc")), "Band9")


def test_variable_without_grid_mapping_gets_a_netcdf_hint(realdata):
    # Band2 of RGB.nc has a geotransform but names no grid_mapping: no CRS for GDAL.
    with pytest.raises(EvidenceError) as info:
        nominal_resolution(str(realdata("rasterio", "RGB.nc")), "Band2")
    text = str(info.value)
    assert "no CRS" in text
    assert "gdal_translate -a_srs EPSG:" in text and 'grid_mapping = "transverse_mercator"' in text
    assert "gdal_edit.py -a_srs" not in text


def test_planet_scope_3d_is_3_m(realdata):
    path = str(realdata("rioxarray", "PLANET_SCOPE_3D.nc"))
    for variable in ("blue", "green"):
        info = nominal_resolution(path, variable)
        assert info["crs"] == "EPSG:32722"
        assert info["x_m"] == pytest.approx(3.0) and info["y_m"] == pytest.approx(3.0)


def test_sentinel2_geographic_variable(realdata):
    path = str(realdata("rioxarray", "sentinel_2_L1C_geographic.nc"))
    info = nominal_resolution(path, "red")
    assert info["crs"] == "EPSG:4326"
    assert info["units"] == "degree"
    # 9.0909e-05° of latitude ≈ 10.05 m; of longitude at ~10°S ≈ 9.96 m
    assert info["y_m"] == pytest.approx(10.05, abs=0.05)
    assert info["x_m"] == pytest.approx(9.96, abs=0.05)


def test_subdataset_name_is_a_location(realdata):
    path = realdata("rasterio", "RGB.nc")
    name = f'NETCDF:"{path}":Band1'
    assert split_subdataset(name) == (str(path), "Band1")
    assert split_subdataset(str(path)) == (str(path), None)
    assert nominal_resolution(name)["crs"] == "EPSG:32618"
    with open_raster(path, variable="Band3") as ds:
        assert ds.count == 1 and (ds.width, ds.height) == (791, 718)


def test_xarray_spatial_crs_from_attributes(realdata):
    path = str(realdata("xarray-spatial", "blue_band.nc"))
    with rasterio.open(path) as ds:
        assert ds.crs is None  # GDAL sees the grid, not the CRS
    info = nominal_resolution(path)
    assert info["crs"] == "EPSG:32719"
    assert info["x_m"] == pytest.approx(10.0) and info["y_m"] == pytest.approx(10.0)
    assert "attributes" in info["crs_source"] and "+init=epsg:32719" in info["crs_source"]


def test_xarray_spatial_in_a_submission_says_where_the_crs_came_from(realdata, tmp_path):
    shutil.copy(realdata("xarray-spatial", "red_band.nc"), tmp_path / "red.nc")
    from geoverify.checks.resolution.measure import measure_resolution

    evidence = Evidence("eo.res", tmp_path, {"raster": "red.nc"}, "submission.toml")
    result = measure_resolution(evidence, {"axis": "coarser"}, Context())
    assert result.value == pytest.approx(10.0)
    assert "crs_source" in result.details
    assert "CRS from the file's attributes" in result.message


# ------------------------------------------------------------- generated NetCDF


def test_generated_stack_with_cf_grid_mapping(tmp_path):
    path = write_stack(tmp_path / "stack.nc", grid_mapping=True)
    with pytest.raises(EvidenceError, match="holds classes, reflectance"):
        nominal_resolution(str(path))
    info = nominal_resolution(str(path), "reflectance")
    assert info["x_m"] == pytest.approx(20.0) and info["y_m"] == pytest.approx(20.0)
    assert info["crs"] == "EPSG:32633"  # the CF transverse_mercator of UTM zone 33N
    assert "crs_source" not in info  # GDAL read the CF grid_mapping itself


def test_generated_stack_with_only_a_crs_attribute(tmp_path):
    path = write_stack(tmp_path / "attr.nc", crs_attr="EPSG:32633")
    info = nominal_resolution(str(path), "classes")
    assert info["crs"] == "EPSG:32633"
    assert info["pixel_size_m"] == pytest.approx(20.0)
    assert "global attribute crs" in info["crs_source"]


def test_coordinates_without_cf_attributes_read_with_xarray(tmp_path):
    path = write_stack(tmp_path / "plain.nc", crs_attr="EPSG:32633", cf_coords=False)
    with rasterio.open(f'NETCDF:"{path}":classes') as ds:
        assert ds.transform.is_identity  # GDAL does not see the 20 m grid
    info = nominal_resolution(str(path), "classes")
    assert info["pixel_size_m"] == pytest.approx(20.0)
    assert "coordinates" in info["transform_source"]
    ev = Evidence("x.area", tmp_path, {"raster": "plain.nc", "variable": "classes"}, "s.toml")
    with pytest.raises(EvidenceError, match="no geotransform"):
        measure_area(ev, {"measure": "valid_area"}, Context(workers=1))


def test_rioxarray_find_crs_file_is_3_m(realdata):
    # GDAL sees neither the CRS (a spatial_ref coordinate) nor the 3 m grid of this file
    info = nominal_resolution(str(realdata("rioxarray", "test_find_crs.nc")), "blue")
    assert info["crs"] == "EPSG:32614"
    assert info["x_m"] == pytest.approx(3.0) and info["y_m"] == pytest.approx(3.0)


def test_generated_stack_without_crs_hint_is_for_netcdf(tmp_path):
    path = write_stack(tmp_path / "bare.nc")
    with pytest.raises(EvidenceError) as info:
        nominal_resolution(str(path), "classes")
    text = str(info.value)
    assert "gdal_translate -a_srs EPSG:" in text and "grid_mapping" in text
    assert "gdal_edit.py -a_srs" not in text


def test_classes_and_area_read_the_named_variable(tmp_path):
    write_stack(tmp_path / "stack.nc", grid_mapping=True)
    ev = Evidence("x.classes", tmp_path, {"raster": "stack.nc", "variable": "classes"}, "s.toml")
    result = measure_classes(ev, {}, Context(workers=1))
    assert result.value == 5  # codes 1..5; 0 is the fill value
    assert result.details["pixels_per_class"] == {"1": 6, "2": 6, "3": 6, "4": 6, "5": 12}
    assert result.details["variable"] == "classes"
    area = measure_area(ev, {"measure": "valid_area"}, Context(workers=2))
    assert area.details["valid_pixels"] == 36
    # 36 pixels of 20 m x 20 m in UTM, scale factor ~0.9996 near the central meridian
    assert area.value == pytest.approx(36 * 400 / 1e6, rel=2e-3)


def test_variable_is_an_evidence_key():
    for kind in ("resolution", "classes", "area"):
        assert evidence_keys(kind)["variable"] is str


def test_variable_on_a_geotiff_is_refused(realdata):
    with pytest.raises(EvidenceError, match="does not apply"):
        raster_source(str(realdata("rasterio", "RGB.byte.tif")), "Band1")


def test_directory_is_said_to_be_a_directory(tmp_path):
    with pytest.raises(EvidenceReadError, match="is a directory"), open_raster(tmp_path):
        pass


# --------------------------------------------------------------------------- CLI


def test_cli_variable(realdata):
    result = invoke("resolution", str(realdata("rasterio", "RGB.nc")), "--variable", "Band1")
    assert result.exit_code == 0, result.stderr
    assert "EPSG:32618" in result.stdout and "Band1" in result.stdout
    assert "300.042 m" in result.stdout


def test_cli_subdatasets_message(realdata):
    for parts in (("rasterio", "RGB.nc"), ("rioxarray", "sentinel_2_L1C_geographic.nc")):
        result = invoke("resolution", str(realdata(*parts)))
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert "holds" in result.stderr and "--variable" in result.stderr
        assert "not georeferenced" not in result.stderr
    result = invoke("resolution", str(realdata("rasterio", "RGB.nc")))
    assert "RGB.nc holds Band1, Band2, Band3: name one with variable = " in result.stderr


def test_cli_several_rasters_json(realdata):
    nc = str(realdata("rioxarray", "PLANET_SCOPE_3D.nc"))
    tif = str(realdata("rasterio", "RGB.byte.tif"))
    result = invoke("resolution", f'NETCDF:"{nc}":blue', tif, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 2
    assert data[0]["value"] == pytest.approx(3.0) and data[0]["variable"] == "blue"
    assert data[1]["value"] == pytest.approx(300.0418, abs=1e-4)
    assert data[1]["input"] == tif


def test_cli_several_rasters_table_with_one_in_error(realdata):
    good = str(realdata("rasterio", "RGB.byte.tif"))
    bad = str(realdata("rasterio", "RGB.nc"))
    result = invoke("resolution", good, bad, str(realdata("xarray-spatial", "nir_band.nc")))
    assert result.exit_code == 2
    assert result.stdout.count("pixel x") == 2  # one block each for the two good ones
    assert "holds Band1, Band2, Band3" in result.stderr
    assert "EPSG:32719" in result.stdout


def test_cli_hints_read_right_ad_hoc(tmp_path):
    result = invoke("resolution", str(tmp_path / "nothere.tif"))
    assert result.exit_code == 2
    assert "file not found" in result.stderr
    assert "Check the path in the submission" not in result.stderr
    result = invoke("resolution", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.stderr
    assert "not recognized as being in a supported file format" not in result.stderr


def test_cli_accuracy_hint_mentions_field(realdata, tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    tif = realdata("rasterio", "RGB.byte.tif")
    with rasterio.open(tif) as ds:
        cx, cy = ds.xy(ds.height // 2, ds.width // 2)
        crs = ds.crs
    frame = gpd.GeoDataFrame(
        {"what": ["a", "b"]}, geometry=[Point(cx, cy), Point(cx + 600, cy)], crs=crs
    )
    frame.to_file(tmp_path / "ref.gpkg")
    result = invoke("accuracy", str(tif), str(tmp_path / "ref.gpkg"))
    assert result.exit_code == 2
    assert "--field" in result.stderr
