"""UX polish: stable report paths, one error format, short CRS names and plain screen lines,
GDAL's cause of a read failure, bare calendar years, ``--variable`` for coverage and the
countries check, and the colour table of a classified raster without legend.

Expected values come from the inputs the tests write (file layout, geography, the published
ESA WorldCover palette), not from the code under test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.crs import CRS
from rasterio.errors import RasterioIOError
from rasterio.transform import from_origin
from rasterio.windows import Window

from geoverify.checks import Context
from geoverify.checks.classes.measure import measure_classes
from geoverify.checks.countries.measure import measure_countries
from geoverify.cli.main import main
from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.errors import GeoverifyError, SubmissionError
from geoverify.io.raster import read_failure
from geoverify.model.catalogue import Condition
from geoverify.model.evidence import Evidence
from geoverify.report import build_report
from geoverify.units import format_quantity

from ..conftest import realdata_path

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "configs" / "geo_indicators.toml"


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


def _write(path: Path, data: np.ndarray, crs: object, transform: object, **extra: object) -> Path:
    profile = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": crs,
        "transform": transform,
        **extra,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


# ------------------------------------------------------------------ 1. paths in report.json


def _submission(folder: Path) -> Path:
    folder.mkdir(parents=True)
    manifest = folder / "submission.toml"
    manifest.write_text(
        '[project]\ntitle = "paths"\ndirections = ["disaster"]\n', encoding="utf-8"
    )
    return manifest


def _recorded(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_report_paths_do_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    _submission(tmp_path / "ux" / "bad" / "sub")
    # from tmp_path with a relative path, then from / with an absolute one
    monkeypatch.chdir(tmp_path)
    first = invoke("verify", "ux/bad/sub/submission.toml", "-q", "--format", "json")
    assert first.exit_code == 3, first.output
    from_tmp = _recorded(tmp_path / "ux" / "bad" / "sub" / "report")
    monkeypatch.chdir("/")
    second = invoke(
        "verify", str(tmp_path / "ux" / "bad" / "sub" / "submission.toml"), "-q",
        "--format", "json",
    )
    assert second.exit_code == 3, second.output
    from_root = _recorded(tmp_path / "ux" / "bad" / "sub" / "report")
    # the default report folder is `report/` beside the submission
    assert from_tmp["submission"]["path"] == "../submission.toml"
    assert from_root["submission"] == from_tmp["submission"]
    # the bundled catalogue is named by its place in geoverify's source tree
    assert from_tmp["catalogue"]["path"] == "configs/geo_indicators.toml"
    assert from_root["catalogue"] == from_tmp["catalogue"]


def test_report_paths_absolute_for_a_report_folder_elsewhere(tmp_path, monkeypatch):
    manifest = _submission(tmp_path / "incoming" / "GEO-0042")
    own = tmp_path / "catalogues" / "geo_2026.toml"
    own.parent.mkdir()
    shutil.copyfile(CATALOGUE, own)
    out = tmp_path / "archive" / "2026" / "GEO-0042"
    monkeypatch.chdir(tmp_path / "incoming")
    result = invoke(
        "verify", str(manifest), "--out", str(out), "--catalogue", str(own), "-q",
        "--format", "json,md",
    )
    assert result.exit_code == 3, result.output
    report = _recorded(out)
    # a report written away from the submission names its inputs absolutely
    assert report["submission"]["path"] == str(manifest.resolve())
    assert report["catalogue"]["path"] == str(own.resolve())
    assert f"`{manifest.resolve()}`" in (out / "report.md").read_text(encoding="utf-8")


def test_library_callers_without_report_folder(tmp_path, monkeypatch):
    """``build_report`` without a report folder: relative to the working directory (samples)."""
    manifest = _submission(tmp_path / "sample_rasters" / "one")
    catalogue = load_catalogue()
    submission = load_submission(manifest, catalogue)
    monkeypatch.chdir(tmp_path)
    report = build_report(submission, catalogue, [])
    assert report["submission"]["path"] == "sample_rasters/one/submission.toml"
    assert report["catalogue"]["path"] == "configs/geo_indicators.toml"
    monkeypatch.chdir(tmp_path / "sample_rasters" / "one")
    elsewhere = build_report(submission, catalogue, [], report_dir=tmp_path / "reports")
    assert elsewhere["submission"]["path"] == "../sample_rasters/one/submission.toml"


# ------------------------------------------------------------------ 2. one error format


def _one_error_line(result: object) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("geoverify: error: ")
    return lines[0]


def test_every_subcommand_prints_the_same_error_line(tmp_path):
    missing = str(tmp_path / "fake.tif")
    ref = tmp_path / "ref.csv"
    ref.write_text("lon,lat,class\n0,0,1\n", encoding="utf-8")
    lines = [
        _one_error_line(invoke("accuracy", missing, str(ref))),
        _one_error_line(invoke("coverage", missing)),
        _one_error_line(invoke("resolution", missing)),
        _one_error_line(invoke("verify", str(tmp_path / "absent.toml"))),
    ]
    assert all("fake.tif" in line for line in lines[:3])
    assert not any(line.startswith("error: ") for line in lines)


def test_debug_shows_the_error_itself(tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("lon,lat,class\n0,0,1\n", encoding="utf-8")
    result = invoke("--debug", "accuracy", str(tmp_path / "fake.tif"), str(ref))
    assert isinstance(result.exception, GeoverifyError)


# ------------------------------------------------------------------ 3. quieter output

ALBERS_WKT = (
    'PROJCS["China Albers",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
    '298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
    'PROJECTION["Albers_Conic_Equal_Area"],PARAMETER["latitude_of_center",0],'
    'PARAMETER["longitude_of_center",105],PARAMETER["standard_parallel_1",25],'
    'PARAMETER["standard_parallel_2",47],PARAMETER["false_easting",0],'
    'PARAMETER["false_northing",0],UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]'
)


def _noise(shape: tuple[int, int], seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 250, size=shape, dtype="uint8")


def test_custom_crs_shown_by_name_with_wkt_in_json(tmp_path):
    tif = _write(
        tmp_path / "albers.tif", _noise((64, 64)), CRS.from_wkt(ALBERS_WKT),
        from_origin(0, 3_000_000, 30, 30),
    )
    table = invoke("resolution", str(tif))
    assert table.exit_code == 0, table.output
    (crs_line,) = [line for line in table.output.splitlines() if line.strip().startswith("CRS ")]
    assert "China Albers" in crs_line and "PROJCS" not in crs_line
    assert len(crs_line) < 100
    data = json.loads(invoke("resolution", str(tif), "--format", "json").output)
    assert data["crs"] == "China Albers"
    assert CRS.from_wkt(data["crs_wkt"]) == CRS.from_wkt(ALBERS_WKT)


def test_unnamed_custom_crs_named_by_its_projection(tmp_path):
    proj = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
    tif = _write(
        tmp_path / "sinu.tif", _noise((64, 64)), CRS.from_proj4(proj),
        from_origin(1_000_000, 5_000_000, 463.3, 463.3),
    )
    data = json.loads(invoke("resolution", str(tif), "--format", "json").output)
    assert data["crs"] == "unnamed Sinusoidal"
    assert "Sinusoidal" in data["crs_wkt"]


def test_epsg_crs_keeps_its_code_and_no_wkt(tmp_path):
    tif = _write(
        tmp_path / "utm.tif", _noise((64, 64)), "EPSG:32650",
        from_origin(400_000, 3_000_000, 10, 10),
    )
    data = json.loads(invoke("resolution", str(tif), "--format", "json").output)
    assert data["crs"] == "EPSG:32650"
    assert "crs_wkt" not in data


@pytest.mark.parametrize(
    ("parts", "name"),
    [(("rioxarray", "cog.tif"), "Albers"), (("rioxarray", "MODIS_ARRAY.nc"), "unnamed Sinusoidal")],
)
def test_realdata_custom_crs_lines_are_short(parts, name):
    path = realdata_path(*parts)
    table = invoke("resolution", str(path))
    assert table.exit_code == 0, table.output
    assert all(len(line) < 200 for line in table.output.splitlines() if "CRS" in line)
    assert f"CRS            {name} (" in table.output
    data = json.loads(invoke("resolution", str(path), "--format", "json").output)
    assert data["crs"] == name and data["crs_wkt"].startswith("PROJCS[")


def test_screen_line_is_plain_and_method_only_in_json(tmp_path):
    coarse = np.random.default_rng(7).integers(1, 12, size=(200, 200), dtype="uint8")
    upsampled = np.repeat(np.repeat(coarse, 3, axis=0), 3, axis=1)  # a 30 m map on a 10 m grid
    transform = from_origin(400_000, 3_000_000, 10, 10)
    up = _write(tmp_path / "up.tif", upsampled, "EPSG:32650", transform)
    native = _write(
        tmp_path / "native.tif",
        np.random.default_rng(8).integers(1, 12, size=(600, 600), dtype="uint8"),
        "EPSG:32650",
        transform,
    )
    out = invoke("resolution", str(up)).output
    assert "  screen         upsampled about 3× (effective ≈ 30 m)\n" in out
    plain = invoke("resolution", str(native)).output
    assert "  screen         native: no sign of upsampling\n" in plain
    assert "lattice" not in out and "R²" not in out
    data = json.loads(invoke("resolution", str(up), "--format", "json").output)
    assert data["effective_resolution"]["method"]  # still in the JSON


def test_read_failure_gives_gdal_cause_without_rasterio_noise():
    try:
        try:
            raise OSError(
                "map.tif, band 1: IReadBlock failed at X offset 1, Y offset 0: "
                "TIFFReadEncodedTile() failed."
            )
        except OSError as cause:
            raise RasterioIOError("Read failed. See previous exception for details.") from cause
    except RasterioIOError as exc:
        error = read_failure("/data/map.tif", exc)
    text = str(error)
    assert "See previous exception" not in text and "Read failed." not in text
    assert text.startswith(
        "/data/map.tif: pixel data cannot be read (band 1: IReadBlock failed at X offset 1, "
        "Y offset 0: TIFFReadEncodedTile() failed)"
    )
    # without a chained cause the noise is still dropped
    bare = str(read_failure("x.tif", RasterioIOError("Read failed. See previous exception.")))
    assert "(Read failed)" in bare and "previous exception" not in bare


def test_corrupt_file_message_names_the_tile(tmp_path):
    tif = _write(
        tmp_path / "corrupt.tif", _noise((512, 512)), "EPSG:32650",
        from_origin(400_000, 3_000_000, 10, 10), tiled=True, blockxsize=256, blockysize=256,
        compress="deflate",
    )
    raw = bytearray(tif.read_bytes())
    raw[len(raw) // 2 : len(raw) // 2 + 4000] = b"\xff" * 4000  # damage the tiles' bytes
    tif.write_bytes(bytes(raw))
    line = _one_error_line(invoke("resolution", str(tif)))
    assert "pixel data cannot be read" in line
    assert "previous exception" not in line
    assert "band 1" in line


def test_calendar_years_are_bare():
    assert format_quantity([1992, 2020], "year") == "1992–2020"
    assert format_quantity([2015, 2020, 2025], "year") == "2015, 2020, 2025"
    assert format_quantity(3, "years") == "3 years"  # a duration keeps its unit
    assert Condition("covers", [1992, 2020], "year").describe() == "covers the whole span 1992–2020"
    listing = invoke("indicators", "--direction", "zoonosis").output
    assert "covers the whole span 1992–2020\n" in listing
    assert "2020 year" not in listing
    rules = json.loads(invoke("indicators", "--direction", "asean_eco", "--format", "json").output)
    assert "includes every one of 2015, 2020, 2025" in [r["rule"] for r in rules]


# ------------------------------------------------------------------ 4. --variable / countries


def _two_variable_netcdf(path: Path) -> Path:
    """Two variables on one 0.1° grid over East Africa (33–42°E, 6°S–5°N), 0 = nodata.

    ``kenya`` is valid only in 37–39°E, 0–2°N (central Kenya); ``tanzania`` only in
    34–36°E, 6–4°S (central Tanzania).
    """
    import xarray as xr

    lon = 33.05 + 0.1 * np.arange(90)
    lat = 4.95 - 0.1 * np.arange(110)
    grid_lon, grid_lat = np.meshgrid(lon, lat)
    kenya = ((grid_lon > 37) & (grid_lon < 39) & (grid_lat > 0) & (grid_lat < 2)).astype("uint8")
    tanzania = ((grid_lon > 34) & (grid_lon < 36) & (grid_lat > -6) & (grid_lat < -4)).astype(
        "uint8"
    )
    attrs = {"_FillValue": np.uint8(0), "grid_mapping": "crs"}
    ds = xr.Dataset(
        {
            "kenya": (("lat", "lon"), kenya, attrs),
            "tanzania": (("lat", "lon"), tanzania, attrs),
            "crs": ((), np.int32(0), {"grid_mapping_name": "latitude_longitude",
                                      "semi_major_axis": 6378137.0,
                                      "inverse_flattening": 298.257223563}),
        },
        coords={
            "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
        },
        attrs={"Conventions": "CF-1.8"},
    )
    ds.to_netcdf(path, format="NETCDF4")
    return path


def test_coverage_variable_picks_the_variable(tmp_path):
    nc = _two_variable_netcdf(tmp_path / "two.nc")
    kenya = json.loads(
        invoke("coverage", str(nc), "--variable", "kenya", "--format", "json").output
    )
    tanzania = json.loads(
        invoke("coverage", str(nc), "--variable", "tanzania", "--format", "json").output
    )
    assert [c["iso3"] for c in kenya["countries"]] == ["KEN"]
    assert [c["iso3"] for c in tanzania["countries"]] == ["TZA"]
    assert kenya["variable"] == "kenya"
    # 2° × 2° at the equator ≈ 222 km × 222 km ≈ 49,400 km²
    assert kenya["area_km2"] == pytest.approx(49_400, rel=0.03)
    table = invoke("coverage", str(nc), "--variable", "kenya").output
    assert "variable       kenya" in table and "KEN" in table
    unnamed = json.loads(invoke("coverage", str(nc), "--format", "json").output)
    assert "kenya" in unnamed["countries_error"] and "tanzania" in unnamed["countries_error"]


def test_coverage_variable_is_refused_for_vectors(tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text("lon,lat\n37.9,0.5\n", encoding="utf-8")
    result = invoke("coverage", str(sites), "--variable", "x")
    assert result.exit_code == 2
    assert result.stderr.startswith("geoverify: error: ")


def test_countries_check_reads_the_named_variable(tmp_path):
    _two_variable_netcdf(tmp_path / "two.nc")
    evidence = Evidence(
        "geoglam.basemap_countries", tmp_path, {"raster": "two.nc", "variable": "tanzania"}, "t"
    )
    measured = measure_countries(evidence, {"region": "any"}, Context(workers=1))
    assert measured.value == 1
    assert [c["iso3"] for c in measured.details["countries"]] == ["TZA"]
    assert measured.details["variable"] == "tanzania"


def test_countries_evidence_accepts_variable(tmp_path):
    _two_variable_netcdf(tmp_path / "two.nc")
    manifest = tmp_path / "submission.toml"
    manifest.write_text(
        '[project]\ntitle = "v"\ndirections = ["geoglam"]\n\n'
        "[evidence.geoglam.basemap_countries]\n"
        'raster = "two.nc"\nvariable = "kenya"\n',
        encoding="utf-8",
    )
    catalogue = load_catalogue()
    submission = load_submission(manifest, catalogue)  # no SubmissionError
    assert submission.evidence["geoglam.basemap_countries"].get("variable") == "kenya"
    manifest.write_text(
        manifest.read_text(encoding="utf-8") + 'variabel = "kenya"\n', encoding="utf-8"
    )
    with pytest.raises(SubmissionError):
        load_submission(manifest, catalogue)


# ------------------------------------------------------------------ 5. colour table

#: ESA WorldCover 2020/2021 palette (product user manual), class code -> colour.
WORLDCOVER = {
    "10": "#006400", "20": "#ffbb22", "30": "#ffff4c", "40": "#f096ff", "50": "#fa0000",
    "60": "#b4b4b4", "70": "#f0f0f0", "80": "#0064c8", "90": "#0096a0", "95": "#00cf75",
    "100": "#fae6a0",
}


def _worldcover_window(tmp_path: Path) -> Path:
    source = realdata_path("esa-worldcover", "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif")
    out = tmp_path / "worldcover.tif"
    with rasterio.open(source) as src:
        window = Window(6848, 31_000, 1024, 1024)  # São Tomé
        data = src.read(1, window=window)
        profile = {
            "driver": "GTiff", "width": 1024, "height": 1024, "count": 1, "dtype": "uint8",
            "crs": src.crs, "transform": src.window_transform(window), "nodata": src.nodata,
        }
        colormap = src.colormap(1)
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data, 1)
        dst.write_colormap(1, colormap)
    return out


def _classes(folder: Path, options: dict) -> object:
    evidence = Evidence("asean_eco.types", folder, options, "test")
    return measure_classes(evidence, {"min_share": 0.0}, Context(workers=1))  # every code counts


def test_classes_without_legend_report_the_colour_table(tmp_path):
    tif = _worldcover_window(tmp_path)
    with rasterio.open(tif) as ds:
        data = ds.read(1)
    present = sorted({str(int(v)) for v in np.unique(data) if v != 0}, key=int)
    assert len(present) >= 2
    measured = _classes(tmp_path, {"raster": tif.name})
    assert measured.value == len(present)
    assert measured.details["colours"] == {code: WORLDCOVER[code] for code in present}
    assert "no legend given" in measured.message
    assert "without names" in measured.message and "colour table" in measured.message


def test_classes_with_legend_or_without_colour_table_have_no_colours(tmp_path):
    tif = _worldcover_window(tmp_path)
    named = _classes(tmp_path, {"raster": tif.name, "legend": {"10": "tree cover"}})
    assert "colours" not in named.details
    plain = _write(
        tmp_path / "plain.tif", np.array([[1, 2], [3, 4]], dtype="uint8"), "EPSG:4326",
        from_origin(0, 2, 1, 1),
    )
    measured = _classes(tmp_path, {"raster": plain.name})
    assert measured.value == 4 and "colours" not in measured.details
    assert "no legend given" in measured.message and "colour table" not in measured.message
