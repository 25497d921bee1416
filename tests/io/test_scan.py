"""Streamed window scans: same answer on one thread, two threads and a dask cluster."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from geoverify.errors import EvidenceError
from geoverify.io.scan import Grid, grid_of, iter_windows, scan
from geoverify.stats.tallies import class_counts


def _write(path: Path, data: np.ndarray, *, tiled: bool = True, nodata: int | None = 0) -> str:
    profile = {
        "driver": "GTiff",
        "height": data.shape[0],
        "width": data.shape[1],
        "count": 1,
        "dtype": data.dtype,
        "crs": "EPSG:32650",
        "transform": from_origin(400_000, 3_000_000, 10, 10),
        "nodata": nodata,
        "compress": "deflate",
    }
    if tiled:
        profile.update(tiled=True, blockxsize=128, blockysize=128)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return str(path)


@pytest.fixture(scope="module")
def classified(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, np.ndarray]:
    rng = np.random.default_rng(7)
    data = rng.integers(0, 12, size=(1000, 1300), dtype=np.uint8)  # 0 = nodata
    path = _write(tmp_path_factory.mktemp("blocks") / "classes.tif", data)
    return path, data


def _expected(data: np.ndarray) -> dict[int, int]:
    values, counts = np.unique(data[data != 0], return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


@pytest.mark.parametrize("workers", [1, 2])
def test_windows_tile_the_grid_exactly(classified: tuple[str, np.ndarray], workers: int) -> None:
    path, data = classified
    covered = np.zeros(data.shape, dtype=np.int32)

    def mark(arrays: list[np.ndarray], window: object) -> list[object]:
        return [window]

    windows = scan([path], mark, lambda a, b: a + b, workers=workers, window_pixels=50_000)
    for w in windows or []:
        covered[w.row_off : w.row_off + w.height, w.col_off : w.col_off + w.width] += 1
    assert (covered == 1).all()


@pytest.mark.parametrize("workers", [1, 2])
def test_class_counts_match_numpy(classified: tuple[str, np.ndarray], workers: int) -> None:
    path, data = classified
    assert class_counts(path, workers=workers) == _expected(data)


def test_striped_file(tmp_path: Path) -> None:
    data = np.random.default_rng(3).integers(1, 5, size=(517, 333), dtype=np.uint8)
    path = _write(tmp_path / "striped.tif", data, tiled=False)
    with rasterio.open(path) as ds:
        grid = grid_of(ds)
    windows = list(iter_windows(grid, window_pixels=10_000))
    assert sum(w.height for w in windows) == 517 and all(w.width == 333 for w in windows)
    assert class_counts(path, workers=2) == _expected(data)


def test_grids_must_match(tmp_path: Path, classified: tuple[str, np.ndarray]) -> None:
    other = _write(tmp_path / "other.tif", np.ones((10, 10), dtype=np.uint8))
    with pytest.raises(EvidenceError, match="grid differs"):
        scan([classified[0], other], lambda a, w: 0, lambda a, b: a + b)


def test_grid_comparison_tolerates_float_noise() -> None:
    from affine import Affine

    a = Grid(10, 10, Affine(10.0, 0, 0, 0, -10.0, 0), "EPSG:4326", 256, 256)
    b = Grid(10, 10, Affine(10.0 + 1e-12, 0, 0, 0, -10.0, 0), "EPSG:4326", 256, 256)
    c = Grid(10, 10, Affine(10.5, 0, 0, 0, -10.0, 0), "EPSG:4326", 256, 256)
    assert a.same_as(b) and not a.same_as(c)


@pytest.mark.slow
def test_distributed_scan_matches(classified: tuple[str, np.ndarray]) -> None:
    """A real dask.distributed LocalCluster gives the same counts as the local threads."""
    distributed = pytest.importorskip("distributed")
    path, data = classified
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        counts = class_counts(path, scheduler=cluster.scheduler_address)
    assert counts == _expected(data)


@pytest.mark.slow
def test_verify_on_a_cluster_matches_local(repo_root: Path) -> None:
    """`geoverify verify --scheduler` gives the same verdicts and figures as the local threads."""
    distributed = pytest.importorskip("distributed")
    from geoverify import Context, load_catalogue, load_submission, verify

    catalogue = load_catalogue()
    manifest = repo_root / "sample_rasters" / "geoglam_pass" / "submission.toml"
    submission = load_submission(manifest, catalogue)
    wanted = ["geoglam.croptype_classes", "geoglam.croptype_accuracy", "geoglam.basemap_accuracy"]
    local = verify(submission, catalogue, context=Context(workers=2), indicators=wanted)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = verify(
            submission,
            catalogue,
            context=Context(workers=2, scheduler=cluster.scheduler_address),
            indicators=wanted,
        )
    assert [r.to_dict() for r in remote] == [r.to_dict() for r in local]
    assert {r.verdict.value for r in local} == {"pass"}


def test_a_band_that_does_not_exist_is_named_not_blamed_on_the_file(tmp_path) -> None:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from geoverify.errors import EvidenceError
    from geoverify.io.scan import Window, window_reader

    path = tmp_path / "one_band.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint8",
        crs="EPSG:32650", transform=from_origin(0, 80, 10, 10),
    ) as dst:
        dst.write(np.zeros((8, 8), dtype=np.uint8), 1)
    read = window_reader([str(path)], [2])
    with pytest.raises(EvidenceError, match=r"band 2 does not exist \(the raster has 1\)"):
        read(Window(0, 0, 8, 8))
