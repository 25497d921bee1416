"""Scans on a dask.distributed cluster of worker processes, the evidence given as http:// URLs.

A real :class:`distributed.LocalCluster` (worker *processes*, one thread each) and
a real HTTP server with byte ranges on 127.0.0.1 (:class:`tests.stac_servers.RangeServer`)
serving two small GeoTIFFs from a temporary folder that is neither the workers'
directory nor shared with them through the paths: the workers only get URLs.
The expected counts are computed here with numpy from the arrays written.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin

from geoverify.cli.main import main
from geoverify.io import raster
from geoverify.io.confine import BudgetExceeded, confined, host_of
from geoverify.io.scan import Window, add_counts, scan
from geoverify.stats.confusion import pair_counts

from ..stac_servers import RangeServer

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.network

#: 4100 x 1500 pixels in 256² tiles: the last column of tiles is 4 pixels wide.
WIDTH, HEIGHT, TILE = 4100, 1500, 256


def _write(path: Path, data: np.ndarray) -> None:
    profile = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:32650",
        "transform": from_origin(400_000, 3_000_000, 10, 10),
        "nodata": 0,
        "tiled": True,
        "blockxsize": TILE,
        "blockysize": TILE,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    """A classified map (classes 1-6) and a reference differing on ~15%, a few nodata (0)."""
    rng = np.random.default_rng(16)
    coarse = rng.integers(1, 7, (HEIGHT // 20 + 1, WIDTH // 20 + 1), dtype=np.uint8)
    m = np.kron(coarse, np.ones((20, 20), np.uint8))[:HEIGHT, :WIDTH].copy()
    r = m.copy()
    flip = rng.random(m.shape) < 0.15
    r[flip] = rng.integers(1, 7, int(flip.sum()), dtype=np.uint8)
    m[rng.random(m.shape) < 0.002] = 0
    r[rng.random(r.shape) < 0.003] = 0
    root = tmp_path_factory.mktemp("served")
    _write(root / "map.tif", m)
    _write(root / "ref.tif", r)
    return root, m, r


@pytest.fixture(scope="module")
def server(pair: tuple[Path, np.ndarray, np.ndarray]) -> Iterator[RangeServer]:
    with RangeServer(pair[0]) as srv:
        yield srv


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Two worker processes of one thread; their scratch folder is their own."""
    scratch = tmp_path_factory.mktemp("workers")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        local_directory=str(scratch),
    ) as lc:
        yield lc


def _numpy_pairs(m: np.ndarray, r: np.ndarray) -> dict[tuple[int, int], int]:
    ok = (m != 0) & (r != 0)
    codes, counts = np.unique(m[ok].astype(np.int32) * 256 + r[ok], return_counts=True)
    return {(int(c) // 256, int(c) % 256): int(n) for c, n in zip(codes, counts, strict=True)}


def _as_dict(pc: Any) -> dict[tuple[int, int], int]:
    return {
        (int(a), int(b)): int(pc.counts[i, j])
        for i, a in enumerate(pc.map_values)
        for j, b in enumerate(pc.ref_values)
        if pc.counts[i, j]
    }


def _worker_windows(client: Any) -> dict[str, dict[str, Any]]:
    from geoverify.io import scan as scan_module

    return client.run(scan_module._worker_reads)


def test_counts_through_the_scheduler_from_urls_equal_local_and_numpy(
    pair: tuple[Path, np.ndarray, np.ndarray], server: RangeServer, cluster: Any
) -> None:
    root, m, r = pair
    urls = [f"{server.url}/map.tif", f"{server.url}/ref.tif"]
    expected = _numpy_pairs(m, r)
    excluded = int(((m == 0) | (r == 0)).sum())
    assert len(expected) == 36 and sum(expected.values()) + excluded == m.size

    local = pair_counts(str(root / "map.tif"), str(root / "ref.tif"), workers=2)
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        before = _worker_windows(client)
        since = len(server.log)
        remote = pair_counts(*urls, workers=1, scheduler=cluster.scheduler_address)
        after = _worker_windows(client)

    assert _as_dict(local) == expected and local.excluded == excluded
    assert _as_dict(remote) == expected and remote.excluded == excluded
    # the windows were read by the worker processes, from the URLs (4 windows of 4 Mi pixels)
    done = sum(after[w]["windows"] - before[w]["windows"] for w in after)
    assert done == 4
    assert {loc for w in after for loc in after[w]["locations"]} >= set(urls)
    gets = [(path, rng) for method, path, rng in server.log[since:] if method == "GET"]
    assert {path for path, _ in gets} == {"/map.tif", "/ref.tif"}
    assert all(rng is not None and rng.startswith("bytes=") for _, rng in gets)


def test_accuracy_command_with_url_evidence_on_the_cluster(
    pair: tuple[Path, np.ndarray, np.ndarray], server: RangeServer, cluster: Any
) -> None:
    """`geoverify accuracy URL URL --scheduler` reports the confusion matrix of the local files."""
    import json

    root, m, r = pair
    runner = CliRunner()
    args = ["--format", "json", "--no-progress", "--workers", "1"]
    local = runner.invoke(main, ["accuracy", str(root / "map.tif"), str(root / "ref.tif"), *args])
    assert local.exit_code == 0, local.output
    remote = runner.invoke(
        main,
        [
            "accuracy",
            f"{server.url}/map.tif",
            f"{server.url}/ref.tif",
            *args,
            "--scheduler",
            cluster.scheduler_address,
        ],
    )
    assert remote.exit_code == 0, remote.output
    a, b = json.loads(local.output), json.loads(remote.output)
    assert a["confusion_matrix"] == b["confusion_matrix"]
    assert a["labels"] == b["labels"] == [str(v) for v in range(1, 7)]
    expected = _numpy_pairs(m, r)
    square = [[expected.get((i, j), 0) for j in range(1, 7)] for i in range(1, 7)]
    assert b["confusion_matrix"] == square


def test_many_small_windows_reduced_on_the_workers(
    pair: tuple[Path, np.ndarray, np.ndarray], server: RangeServer, cluster: Any
) -> None:
    """One tile per window (102 windows, batches reduced in a tree): same histogram as numpy."""
    _, m, r = pair
    urls = [f"{server.url}/map.tif", f"{server.url}/ref.tif"]

    def histogram(arrays: list[np.ndarray], window: Window) -> np.ndarray:
        a, b = arrays
        return np.bincount((a.astype(np.int32) * 256 + b).ravel(), minlength=65536)

    expected = np.bincount((m.astype(np.int32) * 256 + r).ravel(), minlength=65536)
    on_cluster = scan(
        urls, histogram, add_counts, window_pixels=TILE * TILE, scheduler=cluster.scheduler_address
    )
    here = scan(urls, histogram, add_counts, window_pixels=TILE * TILE, workers=2)
    assert on_cluster is not None and here is not None
    np.testing.assert_array_equal(on_cluster, expected)
    np.testing.assert_array_equal(here, expected)


def test_workers_read_within_the_clients_scope_and_gdal_options(
    pair: tuple[Path, np.ndarray, np.ndarray], server: RangeServer, cluster: Any
) -> None:
    """The named hosts, the submission folder, the budget and GDAL's options reach the workers."""
    root, _, _ = pair
    urls = [f"{server.url}/map.tif", f"{server.url}/ref.tif"]

    def seen(arrays: list[np.ndarray], window: Window) -> dict[Any, int]:
        import os as os_

        import rasterio.env

        from geoverify.io.confine import current, remaining

        scope = current()
        hosts = None if scope is None or scope.hosts is None else tuple(sorted(scope.hosts))
        folder = None if scope is None or scope.root is None else str(scope.root)
        env = rasterio.env.getenv()
        left = remaining()
        return {
            ("pid", os_.getpid()): 1,
            ("hosts", hosts): 1,
            ("root", folder): 1,
            ("budget left", None if left is None else left <= 60): 1,
            ("retry delay", env.get("GDAL_HTTP_RETRY_DELAY")): 1,
            ("http timeout", env.get("GDAL_HTTP_TIMEOUT")): 1,
            ("pixels", None): int(arrays[0].size),
        }

    saved = raster.GDAL_OPTIONS.get("GDAL_HTTP_RETRY_DELAY")
    raster.GDAL_OPTIONS["GDAL_HTTP_RETRY_DELAY"] = 0.25  # the client's option, not a default
    try:
        with confined(root, [host_of(server.url)], timeout=60):
            got = scan(urls, seen, add_counts, window_pixels=TILE * TILE * 8,
                       scheduler=cluster.scheduler_address)  # fmt: skip
    finally:
        raster.GDAL_OPTIONS["GDAL_HTTP_RETRY_DELAY"] = saved
    assert got is not None
    keys = {k[0]: k[1] for k in got if k[0] != "pid"}
    assert {k[1] for k in got if k[0] == "pid"}.isdisjoint({os.getpid()})
    assert keys["hosts"] == (host_of(server.url),)
    assert keys["root"] == os.path.realpath(root)
    assert keys["budget left"] is True
    assert float(keys["retry delay"]) == 0.25
    assert 1 <= int(keys["http timeout"]) <= 20  # bounded by the budget left (60 s)
    assert got[("pixels", None)] == WIDTH * HEIGHT
    # the same worker threads, a scan outside any scope: no hosts, no budget, the shipped options
    # again (a worker thread keeps a reader's options set until another reader reads on it)
    again = scan(urls, seen, add_counts, window_pixels=TILE * TILE * 8,
                 scheduler=cluster.scheduler_address)  # fmt: skip
    assert again is not None
    keys = {k[0]: k[1] for k in again if k[0] != "pid"}
    assert keys["hosts"] is None and keys["root"] is None and keys["budget left"] is None
    assert float(keys["retry delay"]) == float(raster.GDAL_OPTIONS["GDAL_HTTP_RETRY_DELAY"])


def test_the_budget_stops_the_workers(
    pair: tuple[Path, np.ndarray, np.ndarray], server: RangeServer, cluster: Any
) -> None:
    """A scan longer than the budget stops on the workers at their next window, and says so."""
    urls = [f"{server.url}/map.tif", f"{server.url}/ref.tif"]

    def slow(arrays: list[np.ndarray], window: Window) -> np.ndarray:
        import time as time_

        time_.sleep(0.25)
        return np.ones(1, np.int64)

    started = time.monotonic()
    with (
        confined(timeout=1.5),
        pytest.raises(BudgetExceeded, match=r"timed out after 1\.5 s \(on a dask worker\)"),
    ):  # 102 windows x 0.25 s on 2 workers would take ~13 s
        scan(urls, slow, add_counts, window_pixels=TILE * TILE, scheduler=cluster.scheduler_address)
    assert time.monotonic() - started < 6
