"""``geoverify accuracy``: JSON contract keys, table output, exit status 2 on errors."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from rasterio.transform import from_origin

from geoverify.cli.accuracy import accuracy
from geoverify.testing.samples.accuracy import class_map, reference_points, write_points_csv
from geoverify.testing.samples.common import write_raster

CRS = "EPSG:32650"
CONTRACT = {
    "n", "labels", "confusion_matrix", "design", "overall_accuracy", "overall_accuracy_se",
    "overall_accuracy_ci", "users_accuracy", "users_accuracy_se", "producers_accuracy",
    "producers_accuracy_se", "kappa", "quantity_disagreement", "allocation_disagreement",
}
STRATIFIED = {"area_proportions", "area_proportions_se", "area_ha", "area_ha_se"}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("cli")
    classes = class_map((256, 256), 3, 8)
    t = from_origin(440_000, 4_080_000, 10, 10)
    write_raster(base / "map.tif", classes, crs=CRS, transform=t, nodata=0)
    pts = reference_points(classes, t, per_class=30, accuracy=0.9, seed=9)
    write_points_csv(base / "ref.csv", pts, labels={1: "water", 2: "crop", 3: "forest"})
    frame = gpd.GeoDataFrame({"cls": pts["reference"]},
                             geometry=gpd.points_from_xy(pts["x"], pts["y"]), crs=CRS)
    frame.to_file(base / "ref.gpkg")
    (base / "broken.tif").write_bytes(b"II*\x00garbage")
    return {"map": base / "map.tif", "csv": base / "ref.csv", "gpkg": base / "ref.gpkg",
            "broken": base / "broken.tif", "n": 90, "correct": int((pts["map"] ==
                                                                    pts["reference"]).sum())}


def test_json_simple(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(accuracy, [str(files["map"]), str(files["gpkg"]),
                                           "--field", "cls", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) >= CONTRACT
    assert out["n"] == files["n"]
    assert out["overall_accuracy"] == pytest.approx(files["correct"] / files["n"])
    assert all(isinstance(v, str) for v in out["labels"])
    assert np.array(out["confusion_matrix"]).shape == (3, 3)
    assert set(out["users_accuracy"]) == set(out["labels"])
    lo, hi = out["overall_accuracy_ci"]
    assert lo < out["overall_accuracy"] < hi


def test_json_stratified_with_legend(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(accuracy, [
        str(files["map"]), str(files["csv"]), "--design", "stratified", "--format", "json",
        "--legend", "1=water", "--legend", "2=crop", "--legend", "3=forest", "--workers", "2",
    ])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) >= CONTRACT | STRATIFIED
    assert out["labels"] == ["water", "crop", "forest"]
    # the true ground area of the 2.56 km UTM square (pyproj.Geod), not its map area: 60 km
    # from the central meridian the scale factor is k = 0.99964, so the ground is 1/k² larger
    from pyproj import Geod, Transformer

    xs = [440_000, 442_560, 442_560, 440_000]
    ys = [4_080_000, 4_080_000, 4_077_440, 4_077_440]
    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(xs, ys)
    truth_ha = abs(Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)[0]) / 1e4
    assert sum(out["area_ha"].values()) == pytest.approx(truth_ha, rel=1e-6)
    assert truth_ha / (256 * 256 * 0.01) == pytest.approx(1.000715, abs=2e-5)
    assert "Olofsson" in out["estimator"]


def test_table_output(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(accuracy, [str(files["map"]), str(files["gpkg"]),
                                           "--field", "cls"])
    assert result.exit_code == 0
    assert "overall accuracy" in result.stdout and "rows = map" in result.stdout


@pytest.mark.parametrize("args", [
    ["{broken}", "{gpkg}"],
    ["{map}", "{missing}"],
    ["{map}", "{gpkg}", "--field", "nope"],
])
def test_errors_exit_2_without_traceback(files: dict[str, Path], args: list[str]) -> None:
    names = {k: str(v) for k, v in files.items()} | {"missing": "/nonexistent/ref.gpkg"}
    result = CliRunner().invoke(accuracy, [a.format(**names) for a in args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.startswith("geoverify: error: ") and result.stderr.count("\n") == 1


def test_legend_pairs_may_be_given_in_one_comma_separated_option() -> None:
    from geoverify.cli.accuracy import _parse_legend

    assert _parse_legend(("1=maize,2=winter wheat",)) == {"1": "maize", "2": "winter wheat"}
    assert _parse_legend(("1=maize", "2=rice")) == {"1": "maize", "2": "rice"}
    import click

    with pytest.raises(click.BadParameter, match="is not CODE=LABEL"):
        _parse_legend(("1=maize,winter wheat",))
