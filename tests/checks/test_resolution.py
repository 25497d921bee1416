"""Ground pixel size on real files and on grids whose size is computed here independently.

Independent references: the raster's own transform read with rasterio, the WGS 84 meridian
arc / parallel radius formulas written below, ``pyproj.Transformer`` + ``pyproj.Geod`` for Web
Mercator.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner
from rasterio.transform import from_origin

from geoverify.checks.resolution.measure import nominal_resolution
from geoverify.cli.main import main
from geoverify.config.catalogue import load_catalogue
from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.model import Verdict
from geoverify.model.evidence import Evidence
from geoverify.run import evaluate

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

# WGS 84
A = 6378137.0
FLAT = 1 / 298.257223563
E2 = FLAT * (2 - FLAT)


def parallel_step_m(lat_deg: float, step_deg: float) -> float:
    """Length of ``step_deg`` of longitude along the parallel at ``lat_deg`` (N cos φ dλ)."""
    phi = math.radians(lat_deg)
    n = A / math.sqrt(1 - E2 * math.sin(phi) ** 2)
    return n * math.cos(phi) * math.radians(step_deg)


def meridian_step_m(lat_deg: float, step_deg: float) -> float:
    """Length of ``step_deg`` of latitude along the meridian at ``lat_deg`` (M dφ)."""
    phi = math.radians(lat_deg)
    m = A * (1 - E2) / (1 - E2 * math.sin(phi) ** 2) ** 1.5
    return m * math.radians(step_deg)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def noise(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 255, shape, dtype=np.uint8)


def write_tif(path: Path, array: np.ndarray, crs, transform) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=array.shape[0],
        width=array.shape[1],
        count=1,
        dtype=array.dtype,
        crs=crs,
        transform=transform,
    ) as dst:
        dst.write(array, 1)
    return path


def evidence_for(indicator: str, folder: Path, raster: str) -> Evidence:
    return Evidence(indicator, folder, {"raster": raster}, f"{folder}/submission.toml")


# ----------------------------------------------------------------- Landsat RGB.byte.tif


def test_rgb_byte_nominal_size_both_axes(realdata):
    path = realdata("rasterio", "RGB.byte.tif")
    with rasterio.open(path) as ds:
        step_x, step_y = ds.transform.a, -ds.transform.e
    assert step_x == pytest.approx(300.038, abs=1e-3)
    assert step_y == pytest.approx(300.042, abs=1e-3)
    info = nominal_resolution(str(path))
    assert info["crs"] == "EPSG:32618"
    assert info["x_m"] == pytest.approx(step_x, rel=1e-12)
    assert info["y_m"] == pytest.approx(step_y, rel=1e-12)
    assert info["pixel_size_m"] == pytest.approx(max(step_x, step_y), rel=1e-12)
    assert info["axis"].startswith("y")
    assert "rotation_deg" not in info


@pytest.fixture
def rgb_submission(tmp_path, realdata):
    source = realdata("rasterio", "RGB.byte.tif")
    folder = tmp_path / "landsat"
    folder.mkdir()
    shutil.copy(source, folder / "RGB.byte.tif")
    manifest = folder / "submission.toml"
    manifest.write_text(
        '[project]\ntitle = "Landsat scene as burned-area grid"\ndirections = ["wildfire"]\n\n'
        '[evidence.wildfire.burned_area_resolution]\nraster = "RGB.byte.tif"\n',
        encoding="utf-8",
    )
    return manifest


def _rgb_report(rgb_submission, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "verify",
            str(rgb_submission),
            "--out",
            str(out),
            "--indicator",
            "wildfire.burned_area_resolution",
            "--format",
            "json,md",
        ],
    )
    assert result.exit_code == 1, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    markdown = (out / "report.md").read_text(encoding="utf-8")
    (row,) = [r for r in report["results"] if r["indicator"] == "wildfire.burned_area_resolution"]
    return row, markdown


def test_rgb_byte_fails_le_300_m_and_the_report_shows_rule_and_axes(rgb_submission, tmp_path):
    row, markdown = _rgb_report(rgb_submission, tmp_path)
    assert row["verdict"] == "fail"
    assert row["op"] == "<=" and row["threshold"] == 300 and row["unit"] == "m"
    assert row["value"] == pytest.approx(300.0418, abs=1e-4)
    assert row["details"]["rule"] == "≤ 300 m"
    assert row["details"]["x_m"] == pytest.approx(300.0379, abs=1e-4)
    assert row["details"]["y_m"] == pytest.approx(300.0418, abs=1e-4)
    assert "300.04 m does not meet the rule ≤ 300 m" in row["message"]
    assert "(x)" in row["message"] and "(y)" in row["message"]
    section = markdown.split("## wildfire.burned_area_resolution", 1)[1]
    assert "Rule: ≤ 300 m" in section
    assert "Value: 300.04 m" in section
    assert "**fail**" in section


def test_rgb_byte_message_shows_both_axes_with_the_deciding_digits(rgb_submission, tmp_path):
    # regression: the axes were once printed with 4 significant digits ("300 m (x) × 300 m (y)")
    row, markdown = _rgb_report(rgb_submission, tmp_path)
    shown_x = float(re.search(r"([\d.]+) m \(x\)", row["message"]).group(1))
    shown_y = float(re.search(r"([\d.]+) m \(y\)", row["message"]).group(1))
    assert shown_x == pytest.approx(300.0379, abs=1e-3) and shown_x > 300
    assert shown_y == pytest.approx(300.0418, abs=1e-3) and shown_y > 300
    assert row["message"] in markdown


# --------------------------------------------------------------- geographic 1/360° grid

STEP = 1 / 360
SIZE = 64


def geographic_grid(tmp_path: Path, centre_lat: float) -> Path:
    north = centre_lat + SIZE / 2 * STEP
    return write_tif(
        tmp_path / f"geo_{centre_lat:g}.tif",
        noise((SIZE, SIZE)),
        "EPSG:4326",
        from_origin(10.0, north, STEP, STEP),
    )


@pytest.mark.parametrize("lat", [0.0, 60.0])
def test_geographic_grid_matches_the_ellipsoid_formulas(tmp_path, lat):
    info = nominal_resolution(str(geographic_grid(tmp_path, lat)))
    assert info["units"] == "degree"
    assert info["latitude"] == pytest.approx(lat, abs=1e-9)
    assert info["x_m"] == pytest.approx(parallel_step_m(lat, STEP), rel=1e-6)
    assert info["y_m"] == pytest.approx(meridian_step_m(lat, STEP), rel=1e-6)
    assert info["pixel_size_m"] == pytest.approx(max(info["x_m"], info["y_m"]))
    half = SIZE / 2 * STEP
    assert info["latitude_range"] == [pytest.approx(lat - half), pytest.approx(lat + half)]


def test_geographic_grid_cross_checked_with_geod(tmp_path):
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    info = nominal_resolution(str(geographic_grid(tmp_path, 60.0)))
    x = geod.line_length([10.0, 10.0 + STEP], [60.0, 60.0])
    y = geod.line_length([10.0, 10.0], [60.0 - STEP / 2, 60.0 + STEP / 2])
    assert info["x_m"] == pytest.approx(x, rel=1e-6)
    assert info["y_m"] == pytest.approx(y, rel=1e-6)


def test_equator_grid_numbers():
    # the numbers the test relies on: ~309 m east–west, ~307 m north–south at the equator
    assert parallel_step_m(0, STEP) == pytest.approx(309.2208, abs=1e-3)
    assert meridian_step_m(0, STEP) == pytest.approx(307.1508, abs=1e-3)
    assert parallel_step_m(60, STEP) == pytest.approx(155.0, abs=0.1)


def test_geographic_equator_grid_fails_le_300_m(tmp_path, catalogue):
    path = geographic_grid(tmp_path, 0.0)
    indicator = catalogue["wildfire.burned_area_resolution"]
    result = evaluate(indicator, evidence_for(indicator.id, tmp_path, path.name))
    assert result.verdict is Verdict.FAIL, result.message
    assert result.value == pytest.approx(parallel_step_m(0, STEP), rel=1e-6)
    assert "x (columns, east–west)" in result.message
    assert re.search(r"latitude -?0(\.0+)?°", result.message), result.message
    assert "309.22 m does not meet the rule ≤ 300 m" in result.message


def test_geographic_60n_grid_decided_by_the_north_south_axis(tmp_path, catalogue):
    path = geographic_grid(tmp_path, 60.0)
    indicator = catalogue["wildfire.burned_area_resolution"]
    result = evaluate(indicator, evidence_for(indicator.id, tmp_path, path.name))
    assert result.verdict is Verdict.FAIL
    assert result.value == pytest.approx(meridian_step_m(60, STEP), rel=1e-6)
    assert "y (rows, north–south)" in result.message
    assert "latitude 60.0000°" in result.message


# ------------------------------------------------------------------ no CRS, rotated


def test_no_crs_real_file_is_an_error_with_the_grid_step(realdata):
    path = realdata("rasterio", "float.tif")
    with pytest.raises(EvidenceError) as info:
        nominal_resolution(str(path))
    message = str(info.value)
    assert "no CRS" in message
    assert "100 × 100" in message
    assert "float.tif" in message


def test_rotated_real_file_without_crs_is_an_error_with_both_steps(realdata):
    path = realdata("rasterio", "rotated.tif")
    with rasterio.open(path) as ds:
        t = ds.transform
    # independent: norms of the transform's columns
    assert math.hypot(t.a, t.d) == pytest.approx(20.0, abs=1e-2)
    assert math.hypot(t.b, t.e) == pytest.approx(10.0, abs=1e-2)
    with pytest.raises(EvidenceError) as info:
        nominal_resolution(str(path))
    assert "no CRS" in str(info.value)
    assert "20 × 10" in str(info.value)


def test_no_crs_in_verify_is_an_error_verdict(tmp_path, realdata, catalogue):
    shutil.copy(realdata("rasterio", "float.tif"), tmp_path / "float.tif")
    indicator = catalogue["wildfire.burned_area_resolution"]
    result = evaluate(indicator, evidence_for(indicator.id, tmp_path, "float.tif"))
    assert result.verdict is Verdict.ERROR
    assert "no CRS" in result.message


def test_identity_transform_without_crs_is_not_georeferenced(tmp_path):
    path = write_tif(tmp_path / "plain.tif", noise((8, 8)), None, Affine.identity())
    with pytest.raises(EvidenceError, match="not georeferenced"):
        nominal_resolution(str(path))


def test_rotated_grid_with_crs_reports_steps_along_grid_axes(tmp_path, catalogue):
    transform = Affine.translation(500_000, 5_000_000) * Affine.rotation(30) * Affine.scale(20, -10)
    path = write_tif(tmp_path / "rotated_utm.tif", noise((128, 128)), "EPSG:32633", transform)
    info = nominal_resolution(str(path))
    assert info["x_m"] == pytest.approx(20.0, rel=1e-9)
    assert info["y_m"] == pytest.approx(10.0, rel=1e-9)
    assert info["rotation_deg"] == pytest.approx(30.0, abs=1e-9)
    assert info["pixel_size_m"] == pytest.approx(20.0)
    assert info["square"] is False
    indicator = catalogue["asean_eco.resolution"]  # ≤ 16 m
    result = evaluate(indicator, evidence_for(indicator.id, tmp_path, path.name))
    assert result.verdict is Verdict.FAIL
    assert result.value == pytest.approx(20.0)
    assert result.details["rotation_deg"] == pytest.approx(30.0, abs=1e-9)


def test_non_square_projected_grid_coarser_axis_decides(tmp_path, catalogue):
    path = write_tif(
        tmp_path / "ns.tif",
        noise((128, 128)),
        "EPSG:32650",
        from_origin(500_000, 3_000_000, 12.0, 18.0),
    )
    indicator = catalogue["asean_eco.resolution"]  # ≤ 16 m
    result = evaluate(indicator, evidence_for(indicator.id, tmp_path, path.name))
    assert result.verdict is Verdict.FAIL
    assert result.value == pytest.approx(18.0)
    assert result.details["x_m"] == pytest.approx(12.0)
    assert result.details["y_m"] == pytest.approx(18.0)


# ------------------------------------------------------------------------ Web Mercator


def _mercator_reference(path: Path) -> tuple[float, float, float]:
    """Centre latitude and geodesic ground size of one pixel step there (x, y)."""
    import pyproj

    with rasterio.open(path) as ds:
        t, w, h = ds.transform, ds.width, ds.height
    cx, cy = t * (w / 2, h / 2)
    step = t.a
    to_geo = pyproj.Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    geod = pyproj.Geod(ellps="WGS84")
    _, lat = to_geo.transform(cx, cy)
    lon1, lat1 = to_geo.transform(cx - step / 2, cy)
    lon2, lat2 = to_geo.transform(cx + step / 2, cy)
    x = geod.inv(lon1, lat1, lon2, lat2)[2]
    lon1, lat1 = to_geo.transform(cx, cy - step / 2)
    lon2, lat2 = to_geo.transform(cx, cy + step / 2)
    y = geod.inv(lon1, lat1, lon2, lat2)[2]
    return lat, x, y


def test_web_mercator_ground_size_at_centre_latitude(realdata):
    # regression: PROJ's spherical scale factor (sec φ) was once used for both axes, 0.13% (x)
    # and 0.30% (y) off the WGS 84 geodesic size at 37.7°N
    path = realdata("rasterio", "cogeo.tif")
    lat, x, y = _mercator_reference(path)
    info = nominal_resolution(str(path))
    assert info["crs"] == "EPSG:3857"
    assert info["latitude"] == pytest.approx(lat, abs=1e-6)
    assert "scale factor" in info["method"]
    assert f"{lat:.4f}" in info["method"]
    assert info["grid_m"] == [pytest.approx(0.597164, abs=1e-6)] * 2
    # the ground size, not the grid spacing (0.597 m)
    assert info["x_m"] == pytest.approx(x, rel=1e-4)
    assert info["y_m"] == pytest.approx(y, rel=1e-4)
    assert info["pixel_size_m"] == pytest.approx(max(x, y), rel=1e-4)


# ---------------------------------------------------------------------------- corrupt


def test_corrupt_geotiff_is_an_evidence_read_error(realdata):
    path = realdata("rasterio", "corrupt.tif")
    with pytest.raises(EvidenceReadError) as info:
        nominal_resolution(str(path))
    assert isinstance(info.value, OSError)
    assert "corrupt.tif" in str(info.value)
    assert "cannot be read" in str(info.value)


def test_corrupt_geotiff_in_verify_is_an_error_and_the_rest_is_evaluated(tmp_path, realdata):
    folder = tmp_path / "sub"
    folder.mkdir()
    shutil.copy(realdata("rasterio", "corrupt.tif"), folder / "burned.tif")
    items = "".join(
        f'\n[[evidence.wildfire.fire_events.items]]\ntitle = "Fire {n}"\nevent = "fire-{n}"\n'
        f'observed_by = "{"chinese_geostationary" if n == 0 else "polar"}"\n'
        f'doi = "10.5281/zenodo.{1000 + n}"\n'
        for n in range(30)
    )
    (folder / "submission.toml").write_text(
        '[project]\ntitle = "corrupt"\ndirections = ["wildfire"]\n\n'
        '[evidence.wildfire.burned_area_resolution]\nraster = "burned.tif"\n' + items,
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["verify", str(folder / "submission.toml"), "--format", "json", "-q"]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    report = json.loads((folder / "report" / "report.json").read_text(encoding="utf-8"))
    verdicts = {r["indicator"]: r for r in report["results"]}
    corrupt = verdicts["wildfire.burned_area_resolution"]
    assert corrupt["verdict"] == "error"
    assert "burned.tif" in corrupt["message"] and "damaged" in corrupt["message"]
    assert verdicts["wildfire.fire_events"]["verdict"] == "pass"
    assert verdicts["wildfire.fire_events"]["value"] == 30
    # every indicator of the claimed and common directions has a result
    ids = {r["indicator"] for r in report["results"]}
    assert {"wildfire.emission_models", "geo_common.workshops", "programme.duration"} <= ids


# ------------------------------------------------------------------------ 2–5 m range


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (3.0, Verdict.PASS),
        (2.0, Verdict.PASS),
        (5.0, Verdict.PASS),
        (10.0, Verdict.FAIL),
        (1.0, Verdict.FAIL),
    ],
)
def test_between_2_and_5_m(tmp_path, catalogue, size, expected):
    path = write_tif(
        tmp_path / f"base_{size:g}m.tif",
        noise((128, 128), seed=int(size)),
        "EPSG:32636",
        from_origin(500_000, 1_000_000, size, size),
    )
    indicator = catalogue["geoglam.basemap_resolution"]
    assert indicator.op == "between" and list(indicator.threshold) == [2, 5]
    result = evaluate(indicator, evidence_for(indicator.id, tmp_path, path.name))
    assert result.verdict is expected, result.message
    assert result.value == pytest.approx(size, rel=1e-9)
    assert result.details["rule"] == "between (inclusive) 2–5 m"
