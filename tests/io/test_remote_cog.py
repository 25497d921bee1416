"""Remote COGs read the way `geoverify verify` reads them, from a server on 127.0.0.1.

Every read goes through the production paths: :func:`geoverify.io.raster.open_raster`
(GDAL's ``/vsicurl/`` with :data:`~geoverify.io.raster.GDAL_OPTIONS` and, inside a
run's budget, :func:`~geoverify.io.confine.gdal_http_options`), the window scans of
:mod:`geoverify.io.scan`, the resolution check and the STAC path
(:func:`geoverify.io.stac.prepare_stac`, :func:`geoverify.run.evaluate`).  The
test server logs every request's ``Range`` header and counts the bytes it sends.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.shutil

from geoverify.checks import Context
from geoverify.checks.registry import get_spec
from geoverify.checks.resolution.measure import measure_resolution, nominal_resolution
from geoverify.config.catalogue import load_catalogue
from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io import checksums, raster
from geoverify.io.confine import confined, gdal_http_options, host_of
from geoverify.io.raster import open_raster
from geoverify.io.scan import Window, add_counts, grid_of, iter_windows, scan, window_reader
from geoverify.io.stac import prepare_stac
from geoverify.model import Verdict
from geoverify.model.evidence import Evidence
from geoverify.run import evaluate
from geoverify.stats.sharpness import screen_upsampling
from geoverify.stats.tallies import class_counts

from ..conftest import REALDATA
from ..stac_servers import RangeServer

#: Session fixtures: range_server, stac_world, dead_url (servers on 127.0.0.1).
pytest_plugins = ["tests.stac_servers"]
pytestmark = pytest.mark.network

#: GDAL reads every remote raster with these (timeouts and retries bounded by geoverify).
_SHIPPED = dict(raster.GDAL_OPTIONS)

#: WGS 84 semi-major axis (m) and first eccentricity squared (NIMA TR8350.2, table 3.1).
_A, _E2 = 6_378_137.0, 6.69437999014e-3


@pytest.fixture
def short_timeouts() -> Iterator[dict]:
    """GDAL_HTTP_TIMEOUT = 2 s and one retry, restored afterwards."""
    keys = ("GDAL_HTTP_TIMEOUT", "GDAL_HTTP_MAX_RETRY", "GDAL_HTTP_RETRY_DELAY")
    saved = {k: raster.GDAL_OPTIONS.get(k) for k in keys}
    raster.GDAL_OPTIONS.update(
        GDAL_HTTP_TIMEOUT=2, GDAL_HTTP_MAX_RETRY=1, GDAL_HTTP_RETRY_DELAY=0.5
    )
    yield dict(raster.GDAL_OPTIONS)
    raster.GDAL_OPTIONS.update(saved)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RangeServer]:
    """A 2048² COG of incompressible noise (4 MiB), so partial reads show in bytes sent."""
    from rasterio.transform import from_origin

    root = tmp_path_factory.mktemp("noisy")
    tmp = root / "noise.tmp.tif"
    profile = {
        "driver": "GTiff",
        "width": 2048,
        "height": 2048,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:32650",
        "transform": from_origin(400_000, 3_400_000, 10, 10),
    }
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(np.random.default_rng(7).integers(0, 255, (2048, 2048), dtype=np.uint8), 1)
    rasterio.shutil.copy(tmp, root / "noise.tif", driver="COG", blocksize=256)
    tmp.unlink()
    with RangeServer(root) as server:
        yield server


def _ranged_only(server: RangeServer, since: int = 0) -> bool:
    """Whether every GET since log entry ``since`` asked for a byte range."""
    gets = [r for m, _, r in server.log[since:] if m == "GET"]
    return bool(gets) and all(r is not None and r.startswith("bytes=") for r in gets)


def _histogram(arrays: list[np.ndarray], window: object) -> np.ndarray:
    return np.bincount(arrays[0].ravel(), minlength=256)


def test_default_options_bound_http_time() -> None:
    opts = raster.GDAL_OPTIONS
    assert 0 < float(opts["GDAL_HTTP_TIMEOUT"]) <= 60
    assert 0 <= int(opts["GDAL_HTTP_MAX_RETRY"]) <= 5
    assert 0 < float(opts["GDAL_HTTP_CONNECTTIMEOUT"]) <= float(opts["GDAL_HTTP_TIMEOUT"])
    assert gdal_http_options() == {}  # outside a run: the shipped options alone
    # inside a run (`verify --timeout`), every attempt with its retry delay fits the budget
    for budget in (1.5, 5.0, 30.0, 300.0):
        with confined(timeout=budget):
            bounded = gdal_http_options()
        total, retries = bounded["GDAL_HTTP_TIMEOUT"], bounded["GDAL_HTTP_MAX_RETRY"]
        assert 1 <= total <= float(opts["GDAL_HTTP_TIMEOUT"])
        assert bounded["GDAL_HTTP_CONNECTTIMEOUT"] <= total
        assert (retries + 1) * (total + 0.5) <= max(budget, total + 0.5), bounded
        assert bounded["GDAL_VRT_ENABLE_PYTHON"] == "NO"


def test_overview_read_is_ranged(noisy: RangeServer) -> None:
    url = noisy.url + "/noise.tif"
    size = (noisy.root / "noise.tif").stat().st_size
    since, before = len(noisy.log), noisy.bytes_sent
    with open_raster(url) as ds:  # the opener of every check; the countries screen reads so
        assert 8 in ds.overviews(1)
        data = ds.read(1, out_shape=(256, 256))
    assert noisy.bytes_sent - before < size / 10, (noisy.bytes_sent - before, size)
    assert _ranged_only(noisy, since)
    with rasterio.open(noisy.root / "noise.tif") as local:
        np.testing.assert_array_equal(data, local.read(1, out_shape=(256, 256)))


def test_resolution_check_reads_header_and_few_tiles(noisy: RangeServer) -> None:
    url = noisy.url + "/noise.tif"
    size = (noisy.root / "noise.tif").stat().st_size
    since, before = len(noisy.log), noisy.bytes_sent
    info = nominal_resolution(url)  # header + three probed tiles
    assert info["pixel_size_m"] == pytest.approx(10.0, abs=1e-9)
    assert noisy.bytes_sent - before < size / 10
    # the upsampling screen: a decimated preview (from the overviews), then 512² windows
    screen = screen_upsampling(url, max_windows=2)
    assert screen["windows"] == 2 and screen["upsampled"] is False
    assert noisy.bytes_sent - before < size / 2
    assert _ranged_only(noisy, since)


def test_window_scan_is_ranged(noisy: RangeServer) -> None:
    url = noisy.url + "/noise.tif"
    size = (noisy.root / "noise.tif").stat().st_size
    with rasterio.open(noisy.root / "noise.tif") as local:
        pixels = local.read(1)
    since, before = len(noisy.log), noisy.bytes_sent
    (window,) = window_reader([url], [1])(Window(row_off=1024, col_off=1024, height=64, width=64))
    assert window.shape == (64, 64)
    np.testing.assert_array_equal(window, pixels[1024:1088, 1024:1088])
    assert noisy.bytes_sent - before < size / 20
    # a whole scan fetches the full-resolution tiles once, never the overviews
    counts = scan([url], _histogram, add_counts, workers=2)
    assert counts is not None
    np.testing.assert_array_equal(counts, np.bincount(pixels.ravel(), minlength=256))
    assert pixels.nbytes <= noisy.bytes_sent - before < size
    assert _ranged_only(noisy, since)


def test_remote_files_are_not_hashed(noisy: RangeServer) -> None:
    url = noisy.url + "/noise.tif"
    since = len(noisy.log)
    record = checksums.record(url)
    assert record.sha256 is None and "not hashed" in (record.note or "")
    assert record.to_dict() == {"path": url, "sha256": None}
    assert len(noisy.log) == since  # not downloaded only to be hashed


def test_real_worldcover_over_http() -> None:
    folder = REALDATA / "esa-worldcover"
    name = "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif"
    if not (folder / name).exists():
        pytest.skip(f"real data not available: {folder / name}")
    with RangeServer(folder) as server:
        url = f"{server.url}/{name}"
        info = nominal_resolution(url)
        with open_raster(url) as ds:
            shape = (ds.height, ds.width)
            overviews = ds.overviews(1)
            data = ds.read(1, out_shape=(600, 600), masked=True)
        sent = server.bytes_sent
        ranged = _ranged_only(server)
    # 1/12000° cells (ESA WorldCover v200 product user manual); centre at 1.5° N
    phi = math.radians(1.5)
    step = math.radians(1 / 12000)
    w = 1 - _E2 * math.sin(phi) ** 2
    x_m = _A * math.cos(phi) / math.sqrt(w) * step  # radius of the parallel × Δλ
    y_m = _A * (1 - _E2) / w**1.5 * step  # meridian radius of curvature × Δφ
    assert info["x_m"] == pytest.approx(x_m, rel=1e-4)
    assert info["y_m"] == pytest.approx(y_m, rel=1e-4)
    assert info["pixel_size_m"] == pytest.approx(max(x_m, y_m), rel=1e-4)
    assert shape == (36000, 36000) and overviews and data.shape == (600, 600)
    classes = set(np.unique(data.compressed()).tolist())
    assert classes <= {10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100} and 10 in classes
    assert sent < (folder / name).stat().st_size / 2 and ranged


def test_stac_metadata_disagreeing_with_remote_data_is_reported(stac_world, tmp_path: Path) -> None:
    indicator = load_catalogue()["eco_env.landcover_resolution"]  # ≤ 16 m
    spec = {"api": stac_world.api, "collections": ["mislabelled"]}  # gsd 10 on a 30 m COG
    # the COGs lie on another host than the API: the manifest names it, as `verify` requires
    note = f"COGs published at {stac_world.files}"
    evidence = Evidence(indicator.id, tmp_path, {"stac": spec, "note": note}, "submission.toml:4")
    result = evaluate(indicator, evidence, context=Context(workers=1, timeout=60))
    assert result.verdict is Verdict.FAIL, result.message  # 10 m by metadata would pass
    assert result.details["pixel_size_m"] == pytest.approx(30.0)
    disagreement = result.details["metadata_disagreement"]
    assert "gsd = 10 m" in disagreement and "lc-mislabelled" in disagreement
    assert "STAC metadata disagree with the data" in result.message


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("item", "pattern"),
    [
        ("asset-404", "HTTP response code: 404"),
        ("asset-500", "HTTP response code: 500"),
        ("asset-not-raster", "cannot be opened as a raster"),
    ],
)
def test_asset_faults_name_url_and_cause(
    stac_world, tmp_path: Path, item: str, pattern: str
) -> None:
    spec = {"api": stac_world.api, "ids": [item], "collections": ["faults"]}
    evidence = prepare_stac(
        Evidence("x.res", tmp_path, {"stac": spec}, "submission.toml:4"),
        **get_spec("resolution").stac_options(),
    )
    href = evidence.get("raster")
    assert href == stac_world.items[item]["assets"]["data"]["href"]
    with pytest.raises(EvidenceReadError, match=pattern) as info:
        measure_resolution(evidence, {}, Context(workers=1))
    assert str(info.value).startswith(href)


def test_truncated_body_is_a_read_error(noisy: RangeServer) -> None:
    url = noisy.url + "/_truncate/noise.tif"
    with pytest.raises(EvidenceReadError, match=r"damaged or truncated") as info:
        scan([url], _histogram, add_counts, workers=1)
    assert str(info.value).startswith(url)
    with pytest.raises(EvidenceReadError, match=r"damaged or truncated"):
        nominal_resolution(url)  # the header is whole; the probed tiles are not


def test_server_without_ranges_is_refused(noisy: RangeServer, short_timeouts: dict) -> None:
    url = noisy.url + "/_norange/noise.tif"
    with pytest.raises(EvidenceReadError, match=r"Range downloading not supported") as info:
        scan([url], _histogram, add_counts, workers=1)
    assert str(info.value).startswith(url)


def test_slow_server_fails_within_configured_timeout(
    noisy: RangeServer, short_timeouts: dict
) -> None:
    # outside a run: GDAL's own timeout and retries (the shipped options)
    timeout = float(short_timeouts["GDAL_HTTP_TIMEOUT"])
    retries = int(short_timeouts["GDAL_HTTP_MAX_RETRY"])
    delay = float(short_timeouts["GDAL_HTTP_RETRY_DELAY"])
    bound = (retries + 1) * timeout + retries * delay * 2 + 1.5
    started = time.monotonic()
    with pytest.raises(EvidenceReadError, match="timed out"):
        nominal_resolution(noisy.url + "/_slow/60/noise.tif")
    elapsed = time.monotonic() - started
    assert timeout <= elapsed < bound, (elapsed, bound)


def test_slow_server_fails_within_the_run_budget(noisy: RangeServer) -> None:
    # inside a run (`verify --timeout 3`), the shipped 20 s and two retries are cut down
    budget = 3.0
    started = time.monotonic()
    with confined(timeout=budget), pytest.raises(EvidenceReadError, match="timed out"):
        nominal_resolution(noisy.url + "/_slow/59/noise.tif")
    assert time.monotonic() - started < budget + 1.0
    # with the manifest's hosts named, a one-byte preflight stops before GDAL is asked
    url = noisy.url + "/_slow/58/noise.tif"
    started = time.monotonic()
    with (
        confined(hosts=[host_of(url)], timeout=budget),
        pytest.raises(EvidenceReadError, match=r"did not answer within") as info,
    ):
        scan([url], _histogram, add_counts, workers=1)
    assert time.monotonic() - started < budget + 1.0
    assert str(info.value).startswith(url)


def test_unreachable_host(dead_url: str, short_timeouts: dict) -> None:
    started = time.monotonic()
    with pytest.raises(EvidenceReadError, match="cannot be opened") as info:
        nominal_resolution(f"{dead_url}/x.tif")
    assert str(info.value).startswith(dead_url) and time.monotonic() - started < 10
    with pytest.raises(EvidenceReadError, match="cannot be opened") as info:
        scan([f"{dead_url}/y.tif"], _histogram, add_counts, workers=1)
    assert str(info.value).startswith(dead_url)


def test_bad_band_and_window(noisy: RangeServer) -> None:
    url = noisy.url + "/noise.tif"
    with pytest.raises(EvidenceError, match=r"band 2 does not exist \(the raster has 1\)"):
        class_counts(url, band=2)  # the scan behind the class and area checks
    with pytest.raises(EvidenceError, match="band 2 does not exist"):
        screen_upsampling(url, band=2)
    # the scan's windows never leave the raster: every pixel read once, none outside
    with open_raster(url) as ds:
        grid = grid_of(ds)
    for pixels in (1, 1000, 300_000, 1 << 22):
        windows = list(iter_windows(grid, pixels))
        assert all(
            w.row_off + w.height <= grid.height and w.col_off + w.width <= grid.width
            for w in windows
        )
        assert sum(w.height * w.width for w in windows) == grid.width * grid.height


def test_shipped_gdal_options_read_remote(noisy: RangeServer) -> None:
    saved = dict(raster.GDAL_OPTIONS)
    raster.GDAL_OPTIONS.clear()
    raster.GDAL_OPTIONS.update(_SHIPPED)
    try:
        assert nominal_resolution(noisy.url + "/noise.tif")["pixel_size_m"] == 10.0
    finally:
        raster.GDAL_OPTIONS.clear()
        raster.GDAL_OPTIONS.update(saved)
