"""Benchmark of the wall-to-wall confusion matrix and of point sampling, against the decode floor.

Builds once (cached under ``benchmarks/.cache/``) pairs of tiled (512 x 512)
DEFLATE uint8 rasters (a classified map of 11 values with noise, and a
reference differing on ~10% of the pixels, a few nodata pixels) and prints, in
the same run, each figure measured in its own subprocess (best of ``--repeat``;
peak RSS of the child from ``resource.getrusage``):

- the decode floor: rasterio reading both rasters block by block, on one and on
  two threads (each thread its own dataset handles);
- geoverify's ``pair_counts`` in-process, and ``geoverify accuracy`` as a whole
  command (start-up included);
- the obvious alternative: read both whole, ``sklearn.metrics.confusion_matrix``;
- time per pixel and peak-memory growth of ``pair_counts`` from 4096² up to
  ``--max-side`` (one subprocess per size);
- 10⁶ random points: geoverify's ``sample_map`` against rasterio's ``sample()``;
- with ``--distributed``: the same scan through ``--scheduler`` on a
  ``dask scheduler`` with 1 and 2 ``dask worker`` processes started from the
  command line on 127.0.0.1.

Usage::

    .venv/bin/python benchmarks/bench_accuracy.py [--size 16384] [--max-side 32768]
        [--workers 2] [--repeat 5] [--points 1000000] [--distributed]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
ROOT = Path(__file__).resolve().parents[1]
TILE = 512


def build(size: int) -> tuple[Path, Path]:
    """Write the raster pair once (deterministic, strip by strip of tiles); later runs reuse it."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    CACHE.mkdir(parents=True, exist_ok=True)
    paths = CACHE / f"map_{size}_t{TILE}.tif", CACHE / f"ref_{size}_t{TILE}.tif"
    if all(p.exists() for p in paths):
        return paths
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:32650",
        "transform": from_origin(400000, 3000000, 10, 10),
        "nodata": 0,
        "tiled": True,
        "blockxsize": TILE,
        "blockysize": TILE,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
        "NUM_THREADS": "ALL_CPUS",
    }
    rng = np.random.default_rng(2026)
    # one band of 2048 rows x 8192 columns of patches (32 px) of 11 classes with 5% noise,
    # rolled for every band of rows: realistic entropy at a bounded build cost
    base_w = min(size, 8192)
    coarse = rng.integers(1, 12, (2048 // 32, base_w // 32), dtype=np.uint8)
    m0 = np.kron(coarse, np.ones((32, 32), np.uint8))
    noise = rng.random(m0.shape) < 0.05
    m0[noise] = rng.integers(1, 12, int(noise.sum()), dtype=np.uint8)
    r0 = m0.copy()
    flip = rng.random(m0.shape) < 0.10
    r0[flip] = rng.integers(1, 12, int(flip.sum()), dtype=np.uint8)
    m0[rng.random(m0.shape) < 0.001] = 0  # a few nodata pixels
    reps = -(-size // base_w)
    tmp = [p.with_suffix(".tmp") for p in paths]
    with rasterio.open(tmp[0], "w", **profile) as dm, rasterio.open(tmp[1], "w", **profile) as dr:
        for k, r in enumerate(range(0, size, 2048)):
            h = min(2048, size - r)
            shift = (k * 1031) % base_w
            m = np.tile(np.roll(m0, shift, axis=1), reps)[:h, :size]
            ref = np.tile(np.roll(r0, shift, axis=1), reps)[:h, :size]
            dm.write(m, 1, window=Window(0, r, size, h))
            dr.write(ref, 1, window=Window(0, r, size, h))
    for t, p in zip(tmp, paths, strict=True):
        t.rename(p)
    return paths


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _decode(a: str, b: str, threads: int) -> int:
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(a) as ds:
        wins = [w for _, w in ds.block_windows(1)]
    chunks = [wins[i::threads] for i in range(threads)]

    def run(chunk: list[Window]) -> int:
        n = 0
        env = rasterio.Env(GDAL_NUM_THREADS=1, GDAL_CACHEMAX=64 * 2**20)
        with env, rasterio.open(a) as da, rasterio.open(b) as db:
            for w in chunk:
                n += da.read(1, window=w).size + db.read(1, window=w).size
        return n

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(run, chunks)) // 2


def _points(a: str, n: int) -> tuple[np.ndarray, np.ndarray, Any]:
    import rasterio

    with rasterio.open(a) as ds:
        t, w, h, crs = ds.transform, ds.width, ds.height, ds.crs
    rng = np.random.default_rng(7)
    return t.c + rng.random(n) * w * t.a, t.f + rng.random(n) * h * t.e, crs


def child(mode: str, a: str, b: str, workers: int, extra: str) -> dict[str, Any]:
    """Run one measurement in this (fresh) process."""
    out: dict[str, Any] = {"mode": mode, "rss_start_mib": _peak_mib()}
    t0 = time.perf_counter()
    if mode.startswith("decode"):
        out["pixels"] = _decode(a, b, int(mode[-1]))
    elif mode == "geoverify":
        from geoverify.stats.confusion import pair_counts

        t0 = time.perf_counter()
        pc = pair_counts(a, b, workers=workers, scheduler=extra or None)
        out["total"], out["trace"] = pc.total, int(np.trace(pc.counts))
    elif mode == "sklearn":
        import rasterio
        from sklearn.metrics import confusion_matrix

        with rasterio.open(a) as da, rasterio.open(b) as db:
            x, y = da.read(1), db.read(1)
        ok = (x != 0) & (y != 0)
        cm = confusion_matrix(x[ok], y[ok])
        out["total"], out["trace"] = int(cm.sum()), int(np.trace(cm))
    elif mode == "unique":
        import rasterio

        with rasterio.open(a) as da, rasterio.open(b) as db:
            x, y = da.read(1), db.read(1)
        ok = (x != 0) & (y != 0)
        pairs, counts = np.unique(x[ok].astype(np.uint16) << 8 | y[ok], return_counts=True)
        out["total"] = int(counts.sum())
        out["trace"] = int(counts[(pairs >> 8) == (pairs & 255)].sum())
    elif mode == "sample_geoverify":
        import geopandas as gpd

        from geoverify.stats.confusion import sample_map

        xs, ys, crs = _points(a, int(extra))
        frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=crs)
        t0 = time.perf_counter()
        ps = sample_map(a, frame, workers=workers)
        out["checksum"] = int(ps.values.astype(np.int64).sum())
    elif mode == "sample_rasterio":
        import rasterio

        xs, ys, _ = _points(a, int(extra))
        t0 = time.perf_counter()
        with rasterio.open(a) as ds:
            vals = np.fromiter(
                (v[0] for v in ds.sample(zip(xs, ys, strict=True))), dtype=np.int64, count=xs.size
            )
        out["checksum"] = int(vals.sum())
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss_mib"] = _peak_mib()
    return out


def run(mode: str, a: Path, b: Path, workers: int, repeat: int, extra: str = "") -> dict[str, Any]:
    """Best (shortest) of ``repeat`` runs, each in a fresh subprocess; the largest peak RSS."""
    runs = []
    for _ in range(repeat):
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                mode,
                str(a),
                str(b),
                "--workers",
                str(workers),
                "--extra",
                extra,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    return best


def command(a: Path, b: Path, workers: int, repeat: int, scheduler: str = "") -> dict[str, Any]:
    """``geoverify accuracy A B --format json`` as a whole command: best wall time of ``repeat``."""
    exe = ROOT / ".venv" / "bin" / "geoverify"
    cmd = [
        str(exe),
        "accuracy",
        str(a),
        str(b),
        "--format",
        "json",
        "--no-progress",
        "--workers",
        str(workers),
    ]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        best = min(best, time.perf_counter() - t0)
    return {"seconds": best}


def distributed(a: Path, b: Path, repeat: int) -> list[tuple[int, float]]:
    """The scan through ``--scheduler`` on 1 and 2 ``dask worker`` processes (1 thread each)."""
    bindir = ROOT / ".venv" / "bin"
    port = 8786 + os.getpid() % 1000
    address = f"tcp://127.0.0.1:{port}"
    out = []
    sched = subprocess.Popen(
        [
            str(bindir / "dask"),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-dashboard",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)
        for n in (1, 2):
            worker = subprocess.Popen(
                [
                    str(bindir / "dask"),
                    "worker",
                    address,
                    "--nworkers",
                    str(n),
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--memory-limit",
                    "2GiB",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd="/tmp",
            )
            try:
                time.sleep(6)
                r = run("geoverify", a, b, 1, repeat, extra=address)
                out.append((n, r["seconds"]))
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(30)
    finally:
        sched.send_signal(signal.SIGTERM)
        sched.wait(30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=16384)
    parser.add_argument("--max-side", type=int, default=32768)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--distributed", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "A", "B"))
    parser.add_argument("--extra", default="")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.workers, args.extra)))
        return
    t0 = time.perf_counter()
    a, b = build(args.size)
    rep = args.repeat
    print(
        f"rasters {args.size}² uint8, DEFLATE, {TILE}² tiles "
        f"({(a.stat().st_size + b.stat().st_size) / 2**20:.0f} MiB; ready in "
        f"{time.perf_counter() - t0:.0f} s); {os.cpu_count()} cores, workers={args.workers}, "
        f"best of {rep}"
    )
    run("decode1", a, b, 1, 1)  # warm the page cache
    run("geoverify", a, b, args.workers, 1)  # warm numba's on-disk cache
    d1 = run("decode1", a, b, 1, rep)
    d2 = run("decode2", a, b, 2, rep)
    geo = run("geoverify", a, b, args.workers, rep)
    cmd = command(a, b, args.workers, rep)
    f1 = d1["seconds"]

    def line(name: str, r: dict[str, Any], rss: bool = True) -> None:
        mem = f", peak RSS {r['peak_rss_mib']:6.0f} MiB" if rss and "peak_rss_mib" in r else ""
        print(f"  {name:46s} {r['seconds']:7.3f} s  {r['seconds'] / f1:5.2f} x floor-1{mem}")

    print("confusion matrix of the pair:")
    line("decode floor, 1 thread (rasterio blocks)", d1)
    line("decode floor, 2 threads", d2)
    line(f"geoverify pair_counts in-process ({args.workers} thr)", geo)
    line("geoverify accuracy, whole command", cmd, rss=False)
    if not args.skip_sklearn:
        for mode, name in (
            ("sklearn", "read whole + sklearn confusion_matrix"),
            ("unique", "read whole + np.unique of pair codes"),
        ):
            alt = run(mode, a, b, 1, 1)
            same = (alt["total"], alt["trace"]) == (geo["total"], geo["trace"])
            line(name, alt)
            print(
                f"  {'':46s} geoverify {alt['seconds'] / geo['seconds']:.1f} x faster; "
                f"same counts: {same}"
            )
    print("scaling of pair_counts (in-process, one subprocess per size):")
    first: dict[str, Any] | None = None
    side = 4096
    while side <= args.max_side:
        pa, pb = build(side)
        run("decode1", pa, pb, 1, 1)
        r = run("geoverify", pa, pb, args.workers, min(rep, 3))
        ns = r["seconds"] / side**2 * 1e9
        first = first or {"ns": ns, "rss": r["peak_rss_mib"]}
        print(
            f"  {side:6d}²: {r['seconds']:7.2f} s, {ns:6.3f} ns/px (x{ns / first['ns']:.2f} of "
            f"4096²), peak RSS {r['peak_rss_mib']:6.0f} MiB "
            f"(+{r['peak_rss_mib'] - first['rss']:.0f} MiB over 4096²)"
        )
        side *= 2
    if args.points:
        sg = run("sample_geoverify", a, b, args.workers, min(rep, 3), str(args.points))
        sr = run("sample_rasterio", a, b, 1, 1, str(args.points))
        print(
            f"sampling {args.points:,} random points: geoverify sample_map {sg['seconds']:.2f} s, "
            f"rasterio sample() {sr['seconds']:.2f} s -> {sr['seconds'] / sg['seconds']:.1f} x "
            f"faster (same values: {sg['checksum'] == sr['checksum']})"
        )
    if args.distributed and shutil.which(str(ROOT / ".venv" / "bin" / "dask")):
        print("dask.distributed, 127.0.0.1 (scheduler and workers started from the command line):")
        local1 = run("geoverify", a, b, 1, min(rep, 3))
        for n, secs in distributed(a, b, min(rep, 3)):
            print(
                f"  {n} worker process(es) x 1 thread: {secs:7.2f} s; speed-up over local "
                f"1 thread {local1['seconds'] / secs:.2f} x"
            )


if __name__ == "__main__":
    main()
