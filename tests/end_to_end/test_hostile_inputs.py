"""Hostile inputs (issue 13): bounded time, no traceback, nothing read or written outside.

Every case builds a real submission in ``tmp_path`` (rasters written with rasterio,
vectors with geopandas, HDF5 with h5py, FIFOs with ``os.mkfifo``), or damages a
copy of a real third-party file of ``../shared/realdata``, and asserts:

- the verdict (``error``, or exit 2 when the manifest itself is unusable);
- that the message names the file (or URL) and the cause;
- that it took bounded time;
- that no input changed (a snapshot of the submission and of the folder beside
  it, before and after);
- that no traceback was printed.

The network cases use the servers of :mod:`tests.hostile_servers` on 127.0.0.1
(hang, drip, loop, redirect), which stop by themselves.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.cli.main import main
from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.config.toml import load_toml
from geoverify.errors import SubmissionError
from geoverify.model import Result, Verdict
from geoverify.run import verify

from ..conftest import realdata_path
from ..hostile_servers import HostileServer, hostile_server

CATALOGUE = load_catalogue(None)
RESOLUTION = "geoglam.croptype_resolution"
CLASSES = "geoglam.croptype_classes"
COUNTRIES = "geoglam.basemap_countries"
ACCURACY = "geoglam.basemap_accuracy"


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with hostile_server() as running:
        yield running


@pytest.fixture(scope="module")
def other_server() -> Iterator[HostileServer]:
    """A second server: another host:port, which manifests never name."""
    with hostile_server() as running:
        yield running


def write_raster(path: Path, data: np.ndarray | None = None, nodata: float | None = None) -> Path:
    """A small GeoTIFF in EPSG:4326 near (110 E, 30 N), 0.0001° pixels."""
    if data is None:
        data = (np.arange(64 * 64).reshape(64, 64) % 5 + 1).astype("uint8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype=data.dtype,
        crs="EPSG:4326",
        transform=from_origin(110, 30, 0.0001, 0.0001),
        nodata=nodata,
    ) as ds:
        ds.write(data, 1)
    return path


def make_submission(folder: Path, evidence: str, directions: str = '["geoglam"]') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "submission.toml"
    path.write_text(
        f'[project]\ntitle = "hostile"\ndirections = {directions}\n\n{evidence}\n',
        encoding="utf-8",
    )
    return path


def snapshot(*roots: Path) -> dict[str, str]:
    """Every entry under ``roots``: sha256 of files, link targets, kinds of special files."""
    out: dict[str, str] = {}
    for root in roots:
        for top, dirs, files in os.walk(root):
            if "report" in dirs and Path(top) == root:
                dirs.remove("report")  # the run's own output
            for name in dirs + files:
                path = Path(top, name)
                mode = os.lstat(path).st_mode
                if stat.S_ISLNK(mode):
                    out[str(path)] = "link:" + os.readlink(path)
                elif stat.S_ISREG(mode):
                    out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
                elif stat.S_ISDIR(mode):
                    out[str(path)] = "dir"
                else:
                    out[str(path)] = f"special:{stat.S_IFMT(mode)}"
    return out


def run_one(manifest: Path, indicator: str, *, timeout: float = 20.0) -> tuple[Result, float]:
    submission = load_submission(manifest, CATALOGUE)
    started = time.monotonic()
    results = verify(
        submission,
        CATALOGUE,
        context=Context(workers=2, timeout=timeout),
        indicators=[indicator],
    )
    assert len(results) == 1
    return results[0], time.monotonic() - started


def assert_refused(
    tmp_path: Path,
    manifest: Path,
    indicator: str,
    *,
    names: str,
    cause: str,
    within: float,
    timeout: float = 20.0,
) -> Result:
    """Run one indicator and assert: error, file and cause named, time, inputs unchanged."""
    before = snapshot(tmp_path)
    result, seconds = run_one(manifest, indicator, timeout=timeout)
    assert result.verdict is Verdict.ERROR, result.message
    assert names in result.message, result.message
    assert cause.lower() in result.message.lower(), result.message
    assert "Traceback" not in result.message and "internal error" not in result.message
    assert seconds < within, f"{seconds:.1f} s: {result.message}"
    assert snapshot(tmp_path) == before
    return result


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def assert_usage_error(result: Any, *needles: str) -> None:
    """Exit 2, one clear message, no traceback."""
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, result.output


# --------------------------------------------------------------------------- the manifest


def test_toml_nested_thousands_of_levels_is_exit_2_with_file_and_line(tmp_path: Path) -> None:
    manifest = tmp_path / "sub" / "submission.toml"
    manifest.parent.mkdir()
    depth = 5000
    manifest.write_text(
        '[project]\ntitle = "deep"\ndirections = ["geoglam"]\nnote = '
        + "[" * depth
        + "]" * depth
        + "\n"
    )
    before = snapshot(tmp_path)
    started = time.monotonic()
    result = cli("verify", str(manifest))
    assert time.monotonic() - started < 10
    assert_usage_error(result, "submission.toml:4", "nested too deeply")
    assert snapshot(tmp_path) == before


def test_nul_byte_in_a_path_is_exit_2_naming_the_key(tmp_path: Path) -> None:
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.croptype_resolution]\nraster = "data/x\\u0000.tif"'
    )
    with pytest.raises(SubmissionError) as caught:
        load_submission(manifest, CATALOGUE)
    assert "NUL byte" in str(caught.value) and "submission.toml:6" in str(caught.value)
    assert_usage_error(cli("verify", str(manifest)), "NUL byte", "submission.toml:6")


def test_five_thousand_listed_items_parse_in_linear_time(tmp_path: Path) -> None:
    lines = []
    for n in range(5000):
        lines.append(
            f'[[evidence.geoglam.methods.items]]\ntitle = "Method {n}"\n'
            f'category = "c{n % 7}"\ndoi = "10.5281/zenodo.{9_000_000 + n}"\n'
        )
    manifest = make_submission(tmp_path / "sub", "\n".join(lines))
    started = time.monotonic()
    submission = load_submission(manifest, CATALOGUE)
    seconds = time.monotonic() - started
    items = submission.evidence["geoglam.methods"].items
    assert len(items) == 5000
    # the last item's location is its own header line: 4 lines per item after the project
    assert items[-1].where.endswith(f"submission.toml:{5 + 5 * 4999}")
    assert seconds < 10, f"{seconds:.1f} s to load 5000 items"
    # the line index is built once: locating every item again costs milliseconds
    source = load_toml(manifest, SubmissionError)
    started = time.monotonic()
    lines = [
        source.line_of(["evidence", "geoglam", "methods", "items", n, "title"])
        for n in range(5000)
    ]
    assert time.monotonic() - started < 2.0
    assert lines == [6 + 5 * n for n in range(5000)]  # item n's title, counted by hand
    # a key an item does not write points at that item's header
    assert source.line_of(["evidence", "geoglam", "methods", "items", 7, "url"]) == 5 + 5 * 7


# ------------------------------------------------------------------ special and linked files


def test_fifo_named_like_a_raster_is_refused_before_reading(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    (sub / "data").mkdir(parents=True)
    os.mkfifo(sub / "data" / "map.tif")
    manifest = make_submission(
        sub, '[evidence.geoglam.croptype_resolution]\nraster = "data/map.tif"'
    )
    result = assert_refused(
        tmp_path, manifest, RESOLUTION, names="data/map.tif", cause="FIFO", within=5
    )
    assert any("FIFO" in (r.note or "") for r in result.evidence)


def test_symlink_loop_says_symlink_loop(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    (sub / "data").mkdir(parents=True)
    os.symlink("b.tif", sub / "data" / "a.tif")
    os.symlink("a.tif", sub / "data" / "b.tif")
    manifest = make_submission(sub, '[evidence.geoglam.croptype_resolution]\nraster = "data/a.tif"')
    result = assert_refused(
        tmp_path, manifest, RESOLUTION, names="data/a.tif", cause="symlink loop", within=5
    )
    assert "file not found" not in result.message


def test_zarr_store_with_a_link_outside_is_refused(tmp_path: Path) -> None:
    secret = write_raster(tmp_path / "elsewhere" / "secret.tif")
    store = tmp_path / "sub" / "data" / "cube.zarr"
    store.mkdir(parents=True)
    (store / ".zgroup").write_text('{"zarr_format": 2}')
    os.symlink(secret, store / "band")
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.croptype_resolution]\nraster = "data/cube.zarr"'
    )
    assert_refused(
        tmp_path, manifest, RESOLUTION, names="data/cube.zarr", cause="outside", within=5
    )


def test_hdf5_external_link_outside_is_refused(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    outside = tmp_path / "elsewhere" / "secret.h5"
    outside.parent.mkdir()
    with h5py.File(outside, "w") as fh:
        fh["data"] = np.ones((8, 8), "f4")
    inside = tmp_path / "sub" / "data" / "cube.h5"
    inside.parent.mkdir(parents=True)
    with h5py.File(inside, "w") as fh:
        fh["band"] = h5py.ExternalLink(str(outside), "/data")
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.croptype_resolution]\nraster = "data/cube.h5"'
    )
    assert_refused(
        tmp_path, manifest, RESOLUTION, names="data/cube.h5", cause="external link", within=5
    )


# ------------------------------------------------------------------ references inside files


def _vrt(path: Path, source: str, relative: bool) -> None:
    path.write_text(
        '<VRTDataset rasterXSize="64" rasterYSize="64">\n'
        "  <SRS>EPSG:4326</SRS>\n"
        "  <GeoTransform>110, 0.0001, 0, 30, 0, -0.0001</GeoTransform>\n"
        '  <VRTRasterBand dataType="Byte" band="1">\n'
        "    <SimpleSource>\n"
        f'      <SourceFilename relativeToVRT="{int(relative)}">{source}</SourceFilename>\n'
        "      <SourceBand>1</SourceBand>\n"
        "    </SimpleSource>\n"
        "  </VRTRasterBand>\n"
        "</VRTDataset>\n"
    )


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_vrt_reading_a_raster_outside_is_refused(tmp_path: Path, how: str) -> None:
    secret = write_raster(tmp_path / "elsewhere" / "secret.tif")
    vrt = tmp_path / "sub" / "data" / "deep" / "map.vrt"
    vrt.parent.mkdir(parents=True)
    if how == "absolute":
        _vrt(vrt, str(secret), relative=False)
    else:
        _vrt(vrt, "../../../elsewhere/secret.tif", relative=True)
    with rasterio.open(vrt) as ds:  # GDAL itself would read the outside raster
        assert ds.read(1).sum() > 0
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.croptype_resolution]\nraster = "data/deep/map.vrt"'
    )
    assert_refused(
        tmp_path, manifest, RESOLUTION, names="data/deep/map.vrt", cause="outside", within=5
    )


def test_ogr_vrt_given_as_sites_reading_an_outside_csv_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "sites.csv"
    outside.parent.mkdir()
    outside.write_text("lon,lat\n36.8,-1.3\n")
    vrt = tmp_path / "sub" / "data" / "sites.vrt"
    vrt.parent.mkdir(parents=True)
    vrt.write_text(
        "<OGRVRTDataSource>\n"
        '  <OGRVRTLayer name="sites">\n'
        '    <SrcDataSource relativeToVRT="1">../../elsewhere/sites.csv</SrcDataSource>\n'
        "    <SrcLayer>sites</SrcLayer>\n"
        '    <GeometryField encoding="PointFromColumns" x="lon" y="lat"/>\n'
        "  </OGRVRTLayer>\n"
        "</OGRVRTDataSource>\n"
    )
    assert len(gpd.read_file(vrt)) == 1  # OGR itself would read the outside CSV
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.basemap_countries]\nsites = "data/sites.vrt"'
    )
    assert_refused(tmp_path, manifest, COUNTRIES, names="data/sites.vrt", cause="outside", within=5)


def test_vrt_with_vsicurl_source_to_an_unnamed_host_is_refused(
    tmp_path: Path, server: HostileServer
) -> None:
    url = server.add_file("source.tif", write_raster(tmp_path / "src" / "source.tif"))
    shutil.rmtree(tmp_path / "src")
    vrt = tmp_path / "sub" / "data" / "map.vrt"
    vrt.parent.mkdir(parents=True)
    _vrt(vrt, f"/vsicurl/{url}", relative=False)
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.croptype_resolution]\nraster = "data/map.vrt"'
    )
    asked = len(server.requests)
    assert_refused(
        tmp_path, manifest, RESOLUTION, names="data/map.vrt", cause="does not name", within=5
    )
    assert len(server.requests) == asked  # the host was never contacted


# --------------------------------------------------------------------------- the network


def test_url_that_accepts_and_never_answers_costs_one_bounded_timeout(
    tmp_path: Path, server: HostileServer
) -> None:
    manifest = make_submission(
        tmp_path / "sub",
        f'[evidence.geoglam.croptype_resolution]\nraster = "{server.url}/hang/map.tif"',
    )
    assert_refused(
        tmp_path,
        manifest,
        RESOLUTION,
        names=f"{server.url}/hang/map.tif",
        cause="did not answer",
        within=8,
        timeout=4,
    )


def test_redirect_to_another_host_is_refused(
    tmp_path: Path, server: HostileServer, other_server: HostileServer
) -> None:
    other_server.add_file("map.tif", write_raster(tmp_path / "src" / "map.tif"))
    shutil.rmtree(tmp_path / "src")
    url = f"{server.url}/redirect/{other_server.port}/file/map.tif"
    manifest = make_submission(
        tmp_path / "sub", f'[evidence.geoglam.croptype_resolution]\nraster = "{url}"'
    )
    asked = len(other_server.requests)
    assert_refused(
        tmp_path, manifest, RESOLUTION, names=url, cause=f"127.0.0.1:{other_server.port}", within=5
    )
    assert len(other_server.requests) == asked


def _stac_evidence(api: str, extra: str = "") -> str:
    return (
        "[evidence.geoglam.croptype_resolution.stac]\n"
        f'api = "{api}"\ncollections = ["c"]\nmax_items = 5000\n{extra}'
    )


def test_stac_api_dripping_one_byte_a_second_is_bounded(
    tmp_path: Path, server: HostileServer
) -> None:
    api = f"{server.url}/stac-drip/"
    manifest = make_submission(tmp_path / "sub", _stac_evidence(api))
    assert_refused(tmp_path, manifest, RESOLUTION, names=api, cause="STAC API", within=8, timeout=4)


def test_stac_next_link_to_itself_is_a_detected_loop(tmp_path: Path, server: HostileServer) -> None:
    api = f"{server.url}/stac-loop/"
    manifest = make_submission(tmp_path / "sub", _stac_evidence(api))
    asked = len(server.requests)
    assert_refused(tmp_path, manifest, RESOLUTION, names="stac-loop", cause="loops", within=10)
    assert len(server.requests) - asked < 10  # not followed 1,500 times


def test_stac_next_link_to_another_origin_is_refused(
    tmp_path: Path, server: HostileServer, other_server: HostileServer
) -> None:
    api = f"{server.url}/stac-foreign/{other_server.port}/"
    manifest = make_submission(tmp_path / "sub", _stac_evidence(api))
    asked = len(other_server.requests)
    assert_refused(tmp_path, manifest, RESOLUTION, names="stac-foreign", cause="next", within=10)
    assert len(other_server.requests) == asked


# --------------------------------------------------------------------------- sizes and time


def test_huge_sparse_raster_is_sized_before_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "data" / "huge.tif"
    path.parent.mkdir(parents=True)
    side = 1_000_000
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=side,
        height=side,
        count=1,
        dtype="uint8",
        crs="EPSG:4326",
        transform=from_origin(110, 30, 0.00001, 0.00001),
        nodata=0,
        tiled=True,
        blockxsize=1024,
        blockysize=1024,
        compress="deflate",
        sparse_ok=True,
        bigtiff="yes",
    ) as ds:
        ds.write(np.full((1, 1024, 1024), 3, "uint8"), window=((0, 1024), (0, 1024)))
    assert path.stat().st_size < 64 << 20  # declared 10^12 pixels, one tile written
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.croptype_classes]\nraster = "data/huge.tif"'
    )
    result = assert_refused(
        tmp_path, manifest, CLASSES, names="data/huge.tif", cause="would take about", within=60
    )
    assert "1e+12 pixels" in result.message and "budget" in result.message


def test_indicator_over_its_budget_times_out_and_the_run_goes_on(tmp_path: Path) -> None:
    write_raster(tmp_path / "sub" / "data" / "map.tif")
    manifest = make_submission(
        tmp_path / "sub",
        '[evidence.geoglam.croptype_resolution]\nraster = "data/map.tif"\n\n'
        '[evidence.geoglam.basemap_resolution]\nraster = "data/map.tif"',
    )
    submission = load_submission(manifest, CATALOGUE)

    def slow(evidence: Any) -> Any:  # a preparer that outlives the budget (then ends)
        if evidence.indicator == RESOLUTION:
            time.sleep(3)
        return evidence

    started = time.monotonic()
    results = verify(
        submission,
        CATALOGUE,
        context=Context(workers=1, timeout=1),
        indicators=[RESOLUTION, "geoglam.basemap_resolution"],
        prepare=slow,
    )
    assert time.monotonic() - started < 3.5
    by_id = {r.indicator: r for r in results}
    assert by_id[RESOLUTION].verdict is Verdict.ERROR
    assert by_id[RESOLUTION].message.startswith("timed out after 1 s")
    assert by_id["geoglam.basemap_resolution"].verdict in (Verdict.PASS, Verdict.FAIL)


# --------------------------------------------------------------------------- vector evidence


def _accuracy(folder: Path, reference: str) -> Path:
    return make_submission(
        folder,
        "[evidence.geoglam.basemap_accuracy]\n"
        f'map = "data/map.tif"\nreference = "{reference}"\nfield = "reference"\n'
        'design = "simple"',
    )


def _points(coords: list[tuple[float, float]], **columns: Any) -> gpd.GeoDataFrame:
    geometry = [shapely.Point(x, y) for x, y in coords]
    data = columns or {"reference": [1] * len(coords)}
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")


def test_empty_geopackage_names_the_file(tmp_path: Path) -> None:
    write_raster(tmp_path / "sub" / "data" / "map.tif")
    _points([(110.001, 29.999)]).iloc[:0].to_file(tmp_path / "sub" / "data" / "ref.gpkg")
    manifest = _accuracy(tmp_path / "sub", "data/ref.gpkg")
    assert_refused(
        tmp_path, manifest, ACCURACY, names="data/ref.gpkg", cause="no features", within=10
    )


def test_points_all_outside_the_map_name_the_file(tmp_path: Path) -> None:
    write_raster(tmp_path / "sub" / "data" / "map.tif")
    _points([(10, 10), (11, 11), (12, 12)]).to_file(tmp_path / "sub" / "data" / "ref.gpkg")
    manifest = _accuracy(tmp_path / "sub", "data/ref.gpkg")
    assert_refused(
        tmp_path, manifest, ACCURACY, names="data/ref.gpkg", cause="3 outside the map", within=10
    )


def test_points_all_on_nodata_name_the_file(tmp_path: Path) -> None:
    write_raster(tmp_path / "sub" / "data" / "map.tif", np.zeros((64, 64), "uint8"), nodata=0)
    coords = [(110.001, 29.999), (110.002, 29.998), (110.003, 29.997)]
    _points(coords).to_file(tmp_path / "sub" / "data" / "ref.gpkg")
    manifest = _accuracy(tmp_path / "sub", "data/ref.gpkg")
    assert_refused(
        tmp_path, manifest, ACCURACY, names="data/ref.gpkg", cause="3 on its nodata", within=10
    )


def test_mixed_geometry_types_name_the_file(tmp_path: Path) -> None:
    write_raster(tmp_path / "sub" / "data" / "map.tif")
    mixed = gpd.GeoDataFrame(
        {"reference": [1, 2]},
        geometry=[shapely.Point(110.001, 29.999), shapely.box(110.001, 29.998, 110.002, 29.999)],
        crs="EPSG:4326",
    )
    mixed.to_file(tmp_path / "sub" / "data" / "ref.geojson", driver="GeoJSON")
    manifest = _accuracy(tmp_path / "sub", "data/ref.geojson")
    assert_refused(
        tmp_path, manifest, ACCURACY, names="data/ref.geojson", cause="mixes geometry", within=10
    )


def test_empty_sites_table_is_an_error_not_zero_countries(tmp_path: Path) -> None:
    (tmp_path / "sub" / "data").mkdir(parents=True)
    (tmp_path / "sub" / "data" / "sites.csv").write_text("lon,lat\n")
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.basemap_countries]\nsites = "data/sites.csv"'
    )
    result = assert_refused(
        tmp_path, manifest, COUNTRIES, names="data/sites.csv", cause="no features", within=10
    )
    assert "0 countries" not in result.message


def test_out_of_range_site_coordinates_are_refused(tmp_path: Path) -> None:
    (tmp_path / "sub" / "data").mkdir(parents=True)
    # the first site has latitude and longitude swapped into an impossible latitude
    (tmp_path / "sub" / "data" / "sites.csv").write_text("lon,lat\n-1.3,136.8\n30.1,10.2\n")
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.basemap_countries]\nsites = "data/sites.csv"'
    )
    assert_refused(
        tmp_path, manifest, COUNTRIES, names="data/sites.csv", cause="feature 1", within=10
    )


def test_invalid_polygons_are_refused_with_the_reason(tmp_path: Path) -> None:
    bowtie = shapely.Polygon([(30, 0), (31, 1), (31, 0), (30, 1), (30, 0)])
    assert not bowtie.is_valid
    frame = gpd.GeoDataFrame(
        {"name": ["ok", "bowtie"]}, geometry=[shapely.box(36, -2, 37, -1), bowtie], crs="EPSG:4326"
    )
    (tmp_path / "sub" / "data").mkdir(parents=True)
    frame.to_file(tmp_path / "sub" / "data" / "area.gpkg")
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.basemap_countries]\nvector = "data/area.gpkg"'
    )
    assert_refused(
        tmp_path, manifest, COUNTRIES, names="data/area.gpkg", cause="self-intersection", within=10
    )


# --------------------------------------------------------------------------- damaged real files


@pytest.mark.parametrize(
    "parts",
    [("rasterio", "RGB.byte.tif"), ("rioxarray", "MODIS_ARRAY.nc")],
    ids=["geotiff", "netcdf"],
)
@pytest.mark.parametrize("keep", [0.5, 0.02])
def test_truncated_real_files_are_errors_naming_the_file(
    tmp_path: Path, parts: tuple[str, str], keep: float
) -> None:
    original = realdata_path(*parts)
    target = tmp_path / "sub" / "data" / parts[1]
    target.parent.mkdir(parents=True)
    data = original.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    manifest = make_submission(
        tmp_path / "sub", f'[evidence.geoglam.croptype_classes]\nraster = "data/{parts[1]}"'
    )
    result = assert_refused(
        tmp_path, manifest, CLASSES, names=f"data/{parts[1]}", cause="", within=30
    )
    assert any(
        word in result.message for word in ("damaged", "truncated", "cannot be", "not", "no ")
    ), result.message


# --------------------------------------------------------------------------- writing the reports


def test_report_folder_shipped_as_a_link_outside_is_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "report.json").write_text('{"precious": true}\n')
    write_raster(tmp_path / "sub" / "data" / "map.tif")
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.croptype_resolution]\nraster = "data/map.tif"'
    )
    os.symlink("../elsewhere", tmp_path / "sub" / "report")
    before = snapshot(tmp_path)
    result = cli("verify", str(manifest), "--indicator", RESOLUTION)
    assert_usage_error(result, "symbolic link", "--out")
    assert snapshot(tmp_path) == before
    assert (elsewhere / "report.json").read_text() == '{"precious": true}\n'


def test_report_file_linked_outside_out_is_refused(tmp_path: Path) -> None:
    write_raster(tmp_path / "sub" / "data" / "map.tif")
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.croptype_resolution]\nraster = "data/map.tif"'
    )
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "victim.md"
    target.write_text("keep me\n")
    os.symlink(target, out / "report.md")
    result = cli("verify", str(manifest), "--indicator", RESOLUTION, "--out", str(out))
    assert_usage_error(result, "report.md", "outside the report folder")
    assert target.read_text() == "keep me\n"


def test_leftover_temporary_reports_are_swept(tmp_path: Path) -> None:
    write_raster(tmp_path / "sub" / "data" / "map.tif")
    manifest = make_submission(
        tmp_path / "sub", '[evidence.geoglam.croptype_resolution]\nraster = "data/map.tif"'
    )
    out = tmp_path / "out"
    out.mkdir()
    for n in range(6):  # what six runs killed during the write left behind
        (out / f".report.json.{n}abc.tmp").write_text("partial")
    result = cli(
        "verify", str(manifest), "--indicator", RESOLUTION, "--out", str(out), "--format", "json"
    )
    assert result.exit_code in (0, 1, 3), result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]


def test_timeout_option_is_documented_with_its_default() -> None:
    result = cli("verify", "--help")
    assert result.exit_code == 0
    assert "--timeout" in result.output and "300" in result.output
