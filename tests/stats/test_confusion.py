"""Pixel pairs: wall-to-wall counts and map values at points, against independent reads."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window
from sklearn.metrics import confusion_matrix

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.stats.confusion import pair_counts, sample_map
from geoverify.stats.tallies import class_counts
from geoverify.testing.samples.accuracy import class_map
from geoverify.testing.samples.common import write_raster

REALDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata"
CRS = "EPSG:32650"


def _realdata(*parts: str) -> Path:
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


def _pair(tmp_path: Path, shape: tuple[int, int] = (700, 900), dtype: str = "uint8",
          blocksize: int = 256, tiled: bool = True) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    m = class_map(shape, 6, 11).astype(dtype)
    g = np.random.default_rng(12)
    r = m.copy()
    flip = g.random(shape) < 0.15
    r[flip] = g.integers(1, 7, int(flip.sum())).astype(dtype)
    m[g.random(shape) < 0.01] = 0  # nodata of the map
    r[:5] = 0  # nodata of the reference
    t = from_origin(400_000, 3_000_000, 10, 10)
    pm = write_raster(tmp_path / "map.tif", m, crs=CRS, transform=t, nodata=0,
                      blocksize=blocksize, tiled=tiled)
    pr = write_raster(tmp_path / "ref.tif", r, crs=CRS, transform=t, nodata=0,
                      blocksize=blocksize, tiled=tiled)
    return pm, pr, m, r


def _expected(m: np.ndarray, r: np.ndarray, nodata: float = 0) -> tuple[np.ndarray, np.ndarray]:
    valid = (m != nodata) & (r != nodata)
    labels = np.union1d(np.unique(m[valid]), np.unique(r[valid]))
    return labels, confusion_matrix(r[valid], m[valid], labels=labels).T


def _as_square(pc, labels: np.ndarray) -> np.ndarray:
    out = np.zeros((len(labels), len(labels)), np.int64)
    li = {v: i for i, v in enumerate(labels.tolist())}
    for i, a in enumerate(pc.map_values.tolist()):
        for j, b in enumerate(pc.ref_values.tolist()):
            out[li[a], li[b]] += pc.counts[i, j]
    return out


@pytest.mark.parametrize("dtype,tiled", [("uint8", True), ("uint8", False), ("int16", True)])
def test_wall_to_wall_matches_sklearn(tmp_path: Path, dtype: str, tiled: bool) -> None:
    pm, pr, m, r = _pair(tmp_path, dtype=dtype, tiled=tiled)
    pc = pair_counts(str(pm), str(pr), workers=2)
    labels, expected = _expected(m, r)
    np.testing.assert_array_equal(_as_square(pc, labels), expected)
    assert pc.excluded == int(((m == 0) | (r == 0)).sum())
    assert pc.resampling is None


def test_single_worker_equals_two(tmp_path: Path) -> None:
    pm, pr, _, _ = _pair(tmp_path, blocksize=128)
    a = pair_counts(str(pm), str(pr), workers=1)
    b = pair_counts(str(pm), str(pr), workers=2)
    np.testing.assert_array_equal(a.counts, b.counts)


def test_class_counts_match_numpy(tmp_path: Path) -> None:
    pm, _, m, _ = _pair(tmp_path)
    values, counts = np.unique(m[m != 0], return_counts=True)
    assert class_counts(str(pm)) == dict(zip(values.tolist(), counts.tolist(), strict=True))


def test_different_grids_refused_then_resampled(tmp_path: Path) -> None:
    m = class_map((200, 300), 4, 21)
    t = from_origin(400_000, 3_000_000, 10, 10)
    pm = write_raster(tmp_path / "map.tif", m, crs=CRS, transform=t, nodata=0)
    # the reference: same pixel size, a larger extent offset by whole pixels (5 rows,
    # 7 columns more on the top/left): nearest resampling must give the exact subset
    big = np.zeros((220, 320), np.uint8)
    ref = class_map((200, 300), 4, 22)
    big[5:205, 7:307] = ref
    tr = from_origin(400_000 - 70, 3_000_000 + 50, 10, 10)
    pr = write_raster(tmp_path / "ref.tif", big, crs=CRS, transform=tr, nodata=0)
    with pytest.raises(EvidenceError, match="differs from the map grid"):
        pair_counts(str(pm), str(pr))
    pc = pair_counts(str(pm), str(pr), resample="nearest")
    labels, expected = _expected(m, ref)
    np.testing.assert_array_equal(_as_square(pc, labels), expected)
    assert pc.resampling == "nearest"
    assert any("resampled" in note for note in pc.notes)


def test_mode_resampling_of_a_finer_reference(tmp_path: Path) -> None:
    # the reference at 5 m: each 2x2 block holds its 10 m class 3 times out of 4, so
    # the mode is unambiguous and equals the coarse class (computed here with numpy).
    coarse = class_map((64, 96), 4, 31)
    fine = np.kron(coarse, np.ones((2, 2), np.uint8))
    fine[::2, ::2] = (coarse % 4) + 1  # one of four pixels differs
    t10 = from_origin(400_000, 3_000_000, 10, 10)
    t5 = from_origin(400_000, 3_000_000, 5, 5)
    pm = write_raster(tmp_path / "map.tif", coarse, crs=CRS, transform=t10, nodata=0)
    pr = write_raster(tmp_path / "ref.tif", fine, crs=CRS, transform=t5, nodata=0)
    pc = pair_counts(str(pm), str(pr), resample="mode")
    assert pc.resampling == "mode"
    assert pc.total == coarse.size
    # every map pixel agrees with the mode of its 2x2 reference block
    assert int(np.trace(pc.counts)) == coarse.size


def test_points_by_block_match_rasterio_sample(tmp_path: Path) -> None:
    pm, _, _, _ = _pair(tmp_path, shape=(1000, 1300), blocksize=128)
    g = np.random.default_rng(5)
    n = 3000
    with rasterio.open(pm) as ds:
        t = ds.transform
        xs = t.c + g.uniform(-50, 1350, n) * t.a  # some points off the map
        ys = t.f + g.uniform(-50, 1050, n) * t.e
        inside = (xs >= t.c) & (xs < t.c + 1300 * t.a) & (ys <= t.f) & (ys > t.f + 1000 * t.e)
        expected = np.array([v[0] for v in ds.sample(zip(xs[inside], ys[inside],
                                                         strict=True))])
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=CRS).to_crs(4326)
    ps = sample_map(str(pm), frame, workers=2)
    assert ps.outside == int((~inside).sum())
    np.testing.assert_array_equal(ps.values[inside], expected)
    assert ps.nodata == int((expected == 0).sum())
    assert ps.n_valid == int((expected != 0).sum())
    assert not ps.valid[~inside].any()


def test_polygons_read_at_centroid(tmp_path: Path) -> None:
    pm, _, m, _ = _pair(tmp_path, shape=(300, 300))
    with rasterio.open(pm) as ds:
        t = ds.transform
    rows, cols = np.array([10, 100, 250]), np.array([20, 150, 290])
    cx, cy = t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e
    polys = gpd.GeoSeries.from_xy(cx, cy, crs=CRS).buffer(3.0)  # inside one pixel
    ps = sample_map(str(pm), gpd.GeoDataFrame(geometry=polys))
    assert ps.geometry == "polygon centroids"
    np.testing.assert_array_equal(ps.values, m[rows, cols])


def test_polygons_by_majority(tmp_path: Path) -> None:
    m = np.full((40, 40), 1, np.uint8)
    m[10:13, 10:13] = [[2, 2, 3], [2, 3, 3], [2, 3, 2]]  # 5 x class 2, 4 x class 3
    m[20:22, 20:22] = [[4, 5], [5, 4]]  # a tie: the smaller code wins
    m[30:32, 30:32] = 0  # all nodata
    t = from_origin(1000, 2000, 10, 10)
    pm = write_raster(tmp_path / "m.tif", m, crs=CRS, transform=t, nodata=0)
    from shapely.geometry import box

    def cells(r0: int, c0: int, size: int, pad: float = 2.0):  # covers those pixel centres
        return box(1000 + c0 * 10 + pad, 2000 - (r0 + size) * 10 + pad,
                   1000 + (c0 + size) * 10 - pad, 2000 - r0 * 10 - pad)

    polys = gpd.GeoDataFrame(geometry=[cells(10, 10, 3), cells(20, 20, 2), cells(30, 30, 2),
                                       box(0, 0, 10, 10), box(1051, 1949, 1052, 1948)], crs=CRS)
    ps = sample_map(str(pm), polys, polygons="majority")
    assert ps.geometry == "polygon majority"
    # by hand: 5 of 9 pixels are 2; the tie 4/5 -> 4; nodata; outside; a polygon
    # smaller than a pixel -> its centroid pixel (row 5, col 5: class 1)
    assert ps.values[:2].tolist() == [2, 4]
    assert ps.valid.tolist() == [True, True, False, False, True]
    assert ps.values[4] == m[5, 5]
    assert (ps.nodata, ps.outside) == (1, 1)
    assert sample_map(str(pm), polys.iloc[:1]).values[0] == m[11, 11]  # centroid rule: 3


def test_unreadable_map_is_evidence_read_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff")
    with pytest.raises(EvidenceReadError):
        pair_counts(str(bad), str(bad))


@pytest.mark.realdata
def test_corine_2006_vs_2012_independent(tmp_path: Path) -> None:
    a = _realdata("pylandstats-corine", "ls250_06.tif")
    b = _realdata("pylandstats-corine", "ls250_12.tif")
    with rasterio.open(a) as da, rasterio.open(b) as db:
        x, y = da.read(1), db.read(1)
        nd = da.nodata
    pc = pair_counts(str(a), str(b), workers=2)
    labels, expected = _expected(x, y, nodata=nd)
    np.testing.assert_array_equal(_as_square(pc, labels), expected)
    assert pc.total == int(((x != nd) & (y != nd)).sum())


@pytest.mark.realdata
def test_worldcover_2020_vs_2021_window(tmp_path: Path) -> None:
    a = _realdata("esa-worldcover", "ESA_WorldCover_10m_2020_v100_N00E006_Map.tif")
    b = _realdata("esa-worldcover", "ESA_WorldCover_10m_2021_v200_N00E006_Map.tif")
    win = Window(5000, 32_000, 3000, 2500)  # land near the south-west corner
    paths = []
    arrays = []
    for src, name in ((a, "wc2020.tif"), (b, "wc2021.tif")):
        with rasterio.open(src) as ds:
            data = ds.read(1, window=win)
            transform = ds.window_transform(win)
            crs, nodata = ds.crs, ds.nodata
        arrays.append(data)
        paths.append(write_raster(tmp_path / name, data, crs=crs.to_string(),
                                  transform=transform, nodata=nodata, blocksize=512))
    pc = pair_counts(str(paths[0]), str(paths[1]), workers=2)
    labels, expected = _expected(arrays[0], arrays[1], nodata=0)
    assert len(labels) >= 3  # a real land-cover window with several classes
    np.testing.assert_array_equal(_as_square(pc, labels), expected)


def test_distributed_scheduler_gives_same_counts(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    pm, pr, m, r = _pair(tmp_path, blocksize=128)
    local = pair_counts(str(pm), str(pr), workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        remote = pair_counts(str(pm), str(pr), scheduler=cluster.scheduler_address)
    np.testing.assert_array_equal(remote.counts, local.counts)
    np.testing.assert_array_equal(remote.map_values, local.map_values)
    labels, expected = _expected(m, r)
    np.testing.assert_array_equal(_as_square(remote, labels), expected)


def test_distributed_processes_generic_and_resampled(tmp_path: Path) -> None:
    # worker processes: the window functions (generic dtype, warped reference) must
    # pickle and give the counts computed here with numpy
    distributed = pytest.importorskip("distributed")
    pm, pr, m, r = _pair(tmp_path, shape=(300, 400), dtype="int16", blocksize=128)
    big = np.zeros((310, 400), np.int16)
    big[10:] = r
    pb = write_raster(tmp_path / "big.tif", big, crs=CRS,
                      transform=from_origin(400_000, 3_000_100, 10, 10), nodata=0)
    labels, expected = _expected(m, r)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        same = pair_counts(str(pm), str(pr), scheduler=cluster.scheduler_address)
        warped = pair_counts(str(pm), str(pb), resample="nearest",
                             scheduler=cluster.scheduler_address)
    np.testing.assert_array_equal(_as_square(same, labels), expected)
    np.testing.assert_array_equal(_as_square(warped, labels), expected)
    assert warped.resampling == "nearest"
