"""Drawing and sealing reference samples (geoverify.io.draw, geoverify.io.seal, `sample draw`)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin
from rasterio.windows import Window

from geoverify.cli.main import main
from geoverify.errors import EvidenceError
from geoverify.io.draw import count_strata, draw_sample, floyd_sample, sample_table
from geoverify.io.seal import design_checksum, read_seal, verify_seal

# 4096 pixels per window on 32x32 tiles: the small maps below span many windows
SMALL_WINDOWS = 4096


def _write(path: Path, array: np.ndarray, nodata: float | None, block: int = 32) -> Path:
    profile = {
        "driver": "GTiff",
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": array.dtype.name,
        "nodata": nodata,
        "crs": "EPSG:32650",
        "transform": from_origin(440_000, 4_080_000, 30, 30),
        "tiled": True,
        "blockxsize": block,
        "blockysize": block,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(array, 1)
    return path


@pytest.fixture
def landmap(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A 200 x 300 uint8 map: classes 1-4 of unequal size, a rare class 5, nodata 0."""
    rng = np.random.default_rng(0)
    a = rng.choice([1, 2, 3, 4], size=(200, 300), p=[0.5, 0.3, 0.15, 0.05]).astype(np.uint8)
    a[:40, :60] = 0  # a nodata corner
    a[rng.random(a.shape) < 0.05] = 0  # scattered nodata
    a[150:153, 250:255] = 5  # 15 pixels of a rare class
    return _write(tmp_path / "map.tif", a, 0), a


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_stratified_draw_probabilities_and_nodata(landmap: tuple[Path, np.ndarray]) -> None:
    path, a = landmap
    alloc = {1: 60, 2: 50, 3: 50, 4: 50, 5: 15}
    s = draw_sample(
        str(path), design="stratified", seed=11, allocation=alloc, window_pixels=SMALL_WINDOWS
    )
    u = s.units
    assert s.n == sum(alloc.values())
    # no nodata pixel drawn, every unit in the stratum of its map class
    values = a[u["row"], u["col"]]
    assert np.all(values != 0)
    assert np.array_equal(values, u["map_class"])
    assert [str(v) for v in values] == list(u["stratum"])
    # distinct pixels
    assert len(set(zip(u["row"].tolist(), u["col"].tolist(), strict=True))) == s.n
    for code, n_h in alloc.items():
        sel = u["stratum"] == str(code)
        n_pixels = int((a == code).sum())
        assert sel.sum() == n_h
        # π_i summed over the stratum's N_h pixels (counted here with numpy) is n_h;
        # the design weights of its n_h units sum to N_h
        pis = u["inclusion_probability"][sel]
        assert np.all(pis == pis[0])
        assert pis[0] * n_pixels == pytest.approx(n_h, rel=1e-12)
        assert u["design_weight"][sel].sum() == pytest.approx(n_pixels, rel=1e-12)
    # the rare class was taken whole: the located ranks cover every one of its pixels
    rare = set(zip(*np.nonzero(a == 5), strict=True))
    drawn_rare = {
        (r, c) for r, c, st in zip(u["row"], u["col"], u["stratum"], strict=True) if st == "5"
    }
    assert drawn_rare == rare


def test_locate_is_a_bijection_on_a_whole_stratum(landmap: tuple[Path, np.ndarray]) -> None:
    # drawing every pixel of a stratum must give exactly its pixels, whatever the windows
    path, a = landmap
    n4 = int((a == 4).sum())
    sizes = count_strata(str(path), window_pixels=SMALL_WINDOWS).totals
    assert sizes == {c: int((a == c).sum()) for c in (1, 2, 3, 4, 5)}
    alloc = {1: 0, 2: 0, 3: 0, 4: n4, 5: 0}
    for window_pixels in (SMALL_WINDOWS, 1 << 22):
        s = draw_sample(
            str(path), design="stratified", seed=1, allocation=alloc, window_pixels=window_pixels
        )
        got = set(zip(s.units["row"].tolist(), s.units["col"].tolist(), strict=True))
        assert got == {(int(r), int(c)) for r, c in zip(*np.nonzero(a == 4), strict=True)}


def test_floyd_sample_is_uniform() -> None:
    # 20 000 draws of 3 out of 10: each element is chosen with probability 0.3
    rng = np.random.default_rng(123)
    hits = np.zeros(10)
    for _ in range(20_000):
        pick = floyd_sample(rng, 10, 3)
        assert len(set(pick.tolist())) == 3
        hits[pick] += 1
    freq = hits / 20_000
    # binomial SE sqrt(0.3*0.7/20000) = 0.0032; 5 SE tolerance
    assert np.all(np.abs(freq - 0.3) < 0.017)


def test_simple_and_systematic_draws(landmap: tuple[Path, np.ndarray]) -> None:
    path, a = landmap
    valid = int((a != 0).sum())
    s = draw_sample(str(path), design="simple", seed=3, n=100, window_pixels=SMALL_WINDOWS)
    assert s.n == 100 and set(s.units["stratum"]) == {"all"}
    assert np.all(a[s.units["row"], s.units["col"]] != 0)
    assert s.units["design_weight"].sum() == pytest.approx(valid, rel=1e-12)
    sy = draw_sample(str(path), design="systematic", seed=3, n=400, window_pixels=SMALL_WINDOWS)
    step = sy.systematic["step"]
    assert step == round((valid / 400) ** 0.5)
    assert np.all((sy.units["row"] - sy.systematic["row_offset"]) % step == 0)
    assert np.all((sy.units["col"] - sy.systematic["col_offset"]) % step == 0)
    assert np.all(a[sy.units["row"], sy.units["col"]] != 0)
    # every valid lattice pixel is in the sample
    r0, c0 = sy.systematic["row_offset"], sy.systematic["col_offset"]
    lattice = a[r0::step, c0::step]
    assert sy.n == int((lattice != 0).sum())
    assert np.allclose(sy.units["inclusion_probability"], 1 / step**2)


def test_strata_raster_excludes_its_nodata(
    tmp_path: Path, landmap: tuple[Path, np.ndarray]
) -> None:
    path, a = landmap
    strata = np.zeros(a.shape, dtype=np.int16)
    strata[:, :150] = 10
    strata[:, 150:] = 20
    strata[190:, :] = -1  # the strata raster's own nodata
    spath = _write(tmp_path / "strata.tif", strata, -1)
    s = draw_sample(
        str(path),
        design="stratified",
        seed=5,
        allocation={10: 40, 20: 40},
        strata_path=str(spath),
        window_pixels=SMALL_WINDOWS,
    )
    r, c = s.units["row"], s.units["col"]
    assert np.all(a[r, c] != 0) and np.all(strata[r, c] != -1)
    assert [str(v) for v in strata[r, c]] == list(s.units["stratum"])
    both = (a != 0) & (strata != -1)
    assert s.strata_sizes == {
        "10": int((both & (strata == 10)).sum()),
        "20": int((both & (strata == 20)).sum()),
    }


def test_pixel_polygons_cover_their_pixel(landmap: tuple[Path, np.ndarray]) -> None:
    path, _ = landmap
    s = draw_sample(str(path), design="simple", seed=2, n=20)
    polys = sample_table(s, shape="pixel")
    points = sample_table(s, shape="point")
    assert np.allclose(polys.geometry.area, 900.0)
    assert polys.geometry.contains(points.geometry).all()
    assert list(points["reference"]) == [""] * 20


def _draw_cli(path: Path, out: Path, seed: int, *extra: str) -> None:
    result = CliRunner().invoke(
        main,
        [
            "sample",
            "draw",
            str(path),
            "--n",
            "80",
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--allocation",
            "equal",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output


def test_same_seed_identical_files(tmp_path: Path, landmap: tuple[Path, np.ndarray]) -> None:
    path, _ = landmap
    _draw_cli(path, tmp_path / "a", 42)
    _draw_cli(path, tmp_path / "b", 42)
    _draw_cli(path, tmp_path / "c", 43)
    names = ["sample.gpkg", "sample.csv", "sample.kml", "design.json"]
    for name in names:
        assert _sha(tmp_path / "a" / name) == _sha(tmp_path / "b" / name), name
    assert _sha(tmp_path / "a" / "sample.csv") != _sha(tmp_path / "c" / "sample.csv")
    seal = json.loads((tmp_path / "a" / "design.json").read_text())
    assert seal["seed"] == 42 and seal["design"] == "stratified"
    assert seal["sample"]["files"]["sample.gpkg"] == _sha(tmp_path / "a" / "sample.gpkg")
    assert seal["map"]["sha256"] == _sha(path)
    assert sum(seal["allocation"]["per_stratum"].values()) == 80
    # a second draw into the same folder is refused
    again = CliRunner().invoke(
        main,
        ["sample", "draw", str(path), "--n", "80", "--seed", "1", "--out", str(tmp_path / "a")],
    )
    assert again.exit_code == 2 and "exists" in again.output


def test_plan_then_draw(tmp_path: Path, landmap: tuple[Path, np.ndarray]) -> None:
    path, a = landmap
    runner = CliRunner()
    plan = tmp_path / "plan.json"
    made = runner.invoke(
        main,
        [
            "sample",
            "design",
            str(path),
            "--target-se",
            "0.03",
            "--min-per-stratum",
            "10",
            "--out",
            str(plan),
        ],
    )
    assert made.exit_code == 0, made.output
    drawn = runner.invoke(
        main,
        [
            "sample",
            "draw",
            str(path),
            "--plan",
            str(plan),
            "--seed",
            "9",
            "--out",
            str(tmp_path / "s"),
            "--format",
            "json",
        ],
    )
    assert drawn.exit_code == 0, drawn.output
    summary = json.loads(drawn.output)
    assert summary["per_stratum"] == json.loads(plan.read_text())["per_stratum"]
    frame = gpd.read_file(tmp_path / "s" / "sample.gpkg")
    assert len(frame) == summary["n"]
    # a plan made on another map is refused
    other = _write(tmp_path / "other.tif", np.where(a == 5, 4, a).astype(np.uint8), 0)
    bad = runner.invoke(
        main,
        [
            "sample",
            "draw",
            str(other),
            "--plan",
            str(plan),
            "--seed",
            "9",
            "--out",
            str(tmp_path / "t"),
        ],
    )
    assert bad.exit_code == 2 and "not this map" in bad.output


# --------------------------------------------------------------------------- the seal


@pytest.fixture
def drawn(tmp_path: Path, landmap: tuple[Path, np.ndarray]) -> tuple[Path, Path]:
    path, _ = landmap
    _draw_cli(path, tmp_path / "s", 7, "--interpreters", "2")
    return path, tmp_path / "s"


def test_seal_verifies_a_labelled_sample(drawn: tuple[Path, Path], tmp_path: Path) -> None:
    path, folder = drawn
    frame = gpd.read_file(folder / "sample.gpkg")
    assert {"reference_1", "reference_2"} <= set(frame.columns)
    frame["reference_1"] = frame["map_class"].astype(str)
    frame["reference_2"] = "cannot tell"
    labelled = tmp_path / "labelled.gpkg"
    frame.to_file(labelled)
    check = verify_seal(folder / "design.json", labelled, path)
    assert check.redrawn and check.n == 80 and check.design == "stratified"
    assert sum(check.allocation.values()) == 80
    assert check.strata_sizes == {
        k: int(v) for k, v in read_seal(folder / "design.json")["strata"]["sizes"].items()
    }
    verify_seal(folder / "design.json", folder / "sample.csv", path)  # the CSV copy too


def test_tampered_design_file_refused(drawn: tuple[Path, Path]) -> None:
    path, folder = drawn
    seal = json.loads((folder / "design.json").read_text())
    seal["seed"] = 8
    (folder / "design.json").write_text(json.dumps(seal))
    with pytest.raises(EvidenceError, match="altered"):
        verify_seal(folder / "design.json", folder / "sample.gpkg", path)
    # re-checksummed by hand: the seed no longer reproduces the sealed units
    seal["design_sha256"] = design_checksum(seal)
    (folder / "design.json").write_text(json.dumps(seal))
    with pytest.raises(EvidenceError, match="sealed seed 8"):
        verify_seal(folder / "design.json", folder / "sample.gpkg", path)


def test_moved_or_removed_units_refused(drawn: tuple[Path, Path], tmp_path: Path) -> None:
    path, folder = drawn
    frame = gpd.read_file(folder / "sample.gpkg")
    moved = frame.copy()
    moved.loc[0, "row"] = moved.loc[0, "row"] + 1
    moved.to_file(tmp_path / "moved.gpkg")
    with pytest.raises(EvidenceError, match=r"units moved: 1 at row/col"):
        verify_seal(folder / "design.json", tmp_path / "moved.gpkg", path)
    frame.iloc[1:].to_file(tmp_path / "fewer.gpkg")
    with pytest.raises(EvidenceError, match=r"79 units, 80 sealed.*units missing: \[1\]"):
        verify_seal(folder / "design.json", tmp_path / "fewer.gpkg", path)
    shifted = frame.copy()
    shifted["geometry"] = shifted.geometry.translate(xoff=300.0)
    shifted.to_file(tmp_path / "shifted.gpkg")
    with pytest.raises(EvidenceError, match="outside their sealed pixel"):
        verify_seal(folder / "design.json", tmp_path / "shifted.gpkg", path)


def test_other_map_refused(drawn: tuple[Path, Path], tmp_path: Path) -> None:
    path, folder = drawn
    with rasterio.open(path) as ds:
        a = ds.read(1)
    a[0, 0] = 3 if a[0, 0] != 3 else 2
    other = _write(tmp_path / "map2.tif", a, 0)
    with pytest.raises(EvidenceError, match="differs from the sealed map"):
        verify_seal(folder / "design.json", folder / "sample.gpkg", other)


# --------------------------------------------------------------------------- a large map


def test_large_map_drawn_in_bounded_memory(tmp_path: Path) -> None:
    """A 2^15 x 2^15 (1.07e9 pixel) map: drawn in seconds, RSS growth < 200 MiB."""
    psutil = pytest.importorskip("psutil")
    size, tile = 1 << 15, 4096
    rr, cc = np.mgrid[0:tile, 0:tile]
    block = ((rr // 512 + cc // 512) % 4 + 1).astype(np.uint8)  # classes 1-4 in 512 squares
    block[(rr // 1024 == 1) & (cc // 1024 == 2)] = 0  # nodata holes
    path = tmp_path / "big.tif"
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "nodata": 0,
        "crs": "EPSG:32650",
        "transform": from_origin(400_000, 4_000_000, 10, 10),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "zlevel": 1,
        "BIGTIFF": "YES",
    }
    with rasterio.open(path, "w", **profile) as ds:
        for r in range(0, size, tile):
            for c in range(0, size, tile):
                ds.write(block, 1, window=Window(c, r, tile, tile))
    del rr, cc
    proc = psutil.Process()
    base = proc.memory_info().rss
    peak = [base]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        s = draw_sample(
            str(path),
            design="stratified",
            seed=3,
            allocation={1: 500, 2: 500, 3: 500, 4: 500},
            workers=2,
        )
    finally:
        done.set()
        watcher.join()
    assert s.n == 2000
    # per 4096-tile: 16 holes of 512^2 pixels out of 64 squares; classes by hand
    holes = (size // tile) ** 2 * 1024 * 1024
    assert sum(s.strata_sizes.values()) == size * size - holes
    # no nodata drawn: the holes are rows 1024-2047, columns 2048-3071 of every tile
    inside = ((s.units["row"] % tile) // 1024 == 1) & ((s.units["col"] % tile) // 1024 == 2)
    assert not inside.any()
    assert (peak[0] - base) / 2**20 < 200
