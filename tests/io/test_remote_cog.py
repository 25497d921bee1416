"""Remote COGs over HTTP range requests from a server on 127.0.0.1: reads, checksums, faults."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
import rasterio
import rasterio.shutil

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io import checksums, raster
from geoverify.io.remote import NOT_HASHED, read_overview, read_window, remote_record, sha256_url
from geoverify.io.stac import compare_metadata_to_data, metadata_resolution, resolve_stac

from ..conftest import REALDATA
from ..stac_servers import RangeServer

#: Session fixtures: range_server, stac_world, dead_url (servers on 127.0.0.1).
pytest_plugins = ["tests.stac_servers"]
pytestmark = pytest.mark.network

#: GDAL reads every remote raster with these (timeouts and retries bounded by geoverify).
_SHIPPED = dict(raster.GDAL_OPTIONS)


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


def test_default_options_bound_http_time() -> None:
    opts = raster.GDAL_OPTIONS
    assert 0 < float(opts["GDAL_HTTP_TIMEOUT"]) <= 60
    assert 0 <= int(opts["GDAL_HTTP_MAX_RETRY"]) <= 5
    assert 0 < float(opts["GDAL_HTTP_CONNECTTIMEOUT"]) <= float(opts["GDAL_HTTP_TIMEOUT"])


def test_overview_and_window_are_ranged_reads(noisy: RangeServer) -> None:
    url = noisy.url + "/noise.tif"
    size = (noisy.root / "noise.tif").stat().st_size
    before = noisy.bytes_sent
    data, info = read_overview(url, max_size=256)
    assert data.shape == (256, 256) and info["factor"] == 8 and 8 in info["overviews"]
    overview_bytes = noisy.bytes_sent - before
    assert overview_bytes < size / 10, (overview_bytes, size)
    before = noisy.bytes_sent
    window = read_window(url, (1024, 1024, 64, 64))
    assert window.shape == (64, 64)
    assert noisy.bytes_sent - before < size / 20
    assert all(r is not None for m, _, r in noisy.log if m == "GET")
    with rasterio.open(noisy.root / "noise.tif") as ds:
        local = ds.read(1, window=((1024, 1088), (1024, 1088)))
    np.testing.assert_array_equal(window.filled(0), local)


def test_streamed_checksum_matches_local(noisy: RangeServer) -> None:
    url = noisy.url + "/noise.tif"
    digest, size = sha256_url(url, timeout=10)
    assert digest == checksums.sha256_file(noisy.root / "noise.tif")
    assert size == (noisy.root / "noise.tif").stat().st_size
    unhashed = remote_record(url)
    assert unhashed.to_dict() == {"path": url, "sha256": None}
    assert unhashed.note == NOT_HASHED
    assert remote_record(url, hash=True).sha256 == digest


def test_real_worldcover_overview_over_http() -> None:
    folder = REALDATA / "esa-worldcover"
    name = "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif"
    if not (folder / name).exists():
        pytest.skip(f"real data not available: {folder / name}")
    with RangeServer(folder) as server:
        data, info = read_overview(f"{server.url}/{name}", max_size=600)
        sent = server.bytes_sent
    assert info["full_shape"] == [36000, 36000] and data.shape == (600, 600)
    classes = set(np.unique(data.compressed()).tolist())
    assert classes <= {10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100} and 10 in classes
    assert sent < (folder / name).stat().st_size / 2


def test_stac_to_remote_cog_metadata_disagreement(stac_world) -> None:
    from geoverify.checks.resolution.measure import nominal_resolution

    found = resolve_stac({"api": stac_world.api, "collections": ["mislabelled"]}, where="x")
    (item,) = found.items
    measured = nominal_resolution(item.href)["pixel_size_m"]
    assert measured == pytest.approx(30.0)
    assert metadata_resolution(item)["pixel_size_m"] == 10.0  # type: ignore[index]
    message = compare_metadata_to_data(item, measured)
    assert message and "gsd = 10 m" in message and "lc-mislabelled" in message


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("item", "pattern"),
    [
        ("asset-404", "HTTP response code: 404"),
        ("asset-500", "HTTP response code: 500"),
        ("asset-not-raster", "cannot be opened as a raster"),
    ],
)
def test_asset_faults_name_url_and_cause(stac_world, item: str, pattern: str) -> None:
    (found,) = resolve_stac(
        {"api": stac_world.api, "ids": [item], "collections": ["faults"]}, where="x"
    ).items
    with pytest.raises(EvidenceReadError, match=pattern) as info:
        read_overview(found.href)
    assert str(info.value).startswith(found.href)


def test_truncated_body_is_a_read_error(noisy: RangeServer) -> None:
    with pytest.raises(EvidenceReadError, match=r"damaged or truncated|cannot be opened"):
        read_window(noisy.url + "/_truncate/noise.tif", (0, 0, 512, 512))
    with pytest.raises(EvidenceReadError, match=r"IncompleteRead|truncated"):
        sha256_url(noisy.url + "/_truncate/noise.tif", timeout=5)


def test_server_without_ranges_is_refused(noisy: RangeServer, short_timeouts: dict) -> None:
    with pytest.raises(EvidenceReadError, match=r"[Rr]ange") as info:
        read_window(noisy.url + "/_norange/noise.tif", (0, 0, 16, 16))
    assert "/_norange/noise.tif" in str(info.value)


def test_slow_server_fails_within_configured_timeout(
    noisy: RangeServer, short_timeouts: dict
) -> None:
    timeout = float(short_timeouts["GDAL_HTTP_TIMEOUT"])
    retries = int(short_timeouts["GDAL_HTTP_MAX_RETRY"])
    delay = float(short_timeouts["GDAL_HTTP_RETRY_DELAY"])
    bound = (retries + 1) * timeout + retries * delay * 2 + 1.5
    started = time.monotonic()
    with pytest.raises(EvidenceReadError, match="timed out"):
        read_overview(noisy.url + "/_slow/60/noise.tif")
    elapsed = time.monotonic() - started
    assert timeout <= elapsed < bound, (elapsed, bound)
    started = time.monotonic()
    with pytest.raises(EvidenceReadError, match=r"no data for 1.5 s"):
        sha256_url(noisy.url + "/_slow/60/noise.tif", timeout=1.5)
    assert time.monotonic() - started < 3


def test_unreachable_host(dead_url: str, short_timeouts: dict) -> None:
    started = time.monotonic()
    with pytest.raises(EvidenceReadError, match="cannot be opened") as info:
        read_overview(f"{dead_url}/x.tif")
    assert dead_url in str(info.value) and time.monotonic() - started < 10
    with pytest.raises(EvidenceReadError, match="download for the checksum failed"):
        sha256_url(f"{dead_url}/x.tif", timeout=2)


def test_bad_band_and_window(noisy: RangeServer) -> None:
    url = noisy.url + "/noise.tif"
    with pytest.raises(EvidenceError, match="band 2 does not exist"):
        read_overview(url, band=2)
    with pytest.raises(EvidenceError, match="outside the raster"):
        read_window(url, (2000, 0, 100, 10))


def test_shared_gdal_options_read_remote(noisy: RangeServer) -> None:
    saved = dict(raster.GDAL_OPTIONS)
    raster.GDAL_OPTIONS.clear()
    raster.GDAL_OPTIONS.update(_SHIPPED)
    try:
        read_overview(noisy.url + "/noise.tif", max_size=64)
    finally:
        raster.GDAL_OPTIONS.clear()
        raster.GDAL_OPTIONS.update(saved)
