"""Benchmark of the wall-to-wall confusion matrix and of point sampling.

Builds once (cached under ``benchmarks/.cache/``) a pair of tiled DEFLATE uint8
rasters of 16384 x 16384 (a classified map and a reference differing on ~10% of
the pixels) and prints, each measured in its own subprocess (peak RSS from
``resource.getrusage`` in the child):

(a) reading and decoding both rasters block by block with rasterio, one thread;
(b) geoverify's wall-to-wall confusion matrix (``confusion.pair_counts``);
(c) reading both rasters whole and ``sklearn.metrics.confusion_matrix``;

and, for 100,000 random points, geoverify's ``confusion.sample_map`` against
rasterio's ``DatasetReader.sample``.

Usage::

    /work/venv/bin/python benchmarks/bench_accuracy.py [--size 16384] [--workers 2] [--skip-sklearn]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
POINTS = 100_000


def build(size: int) -> tuple[Path, Path]:
    """Write the raster pair once (deterministic); later runs reuse it."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    CACHE.mkdir(parents=True, exist_ok=True)
    paths = CACHE / f"map_{size}.tif", CACHE / f"ref_{size}.tif"
    if all(p.exists() for p in paths):
        return paths
    profile = {
        "driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "uint8",
        "crs": "EPSG:32650", "transform": from_origin(400000, 3000000, 10, 10), "nodata": 0,
        "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate",
    }
    rng = np.random.default_rng(2026)
    strip = 1024
    with rasterio.open(paths[0].with_suffix(".tmp"), "w", **profile) as dm, rasterio.open(
        paths[1].with_suffix(".tmp"), "w", **profile
    ) as dr:
        for r in range(0, size, strip):
            h = min(strip, size - r)
            # patches of 32 x 32 pixels of 12 classes, with fine noise: realistic entropy
            coarse = rng.integers(1, 13, (h // 32 + 1, size // 32 + 1), dtype=np.uint8)
            m = np.kron(coarse, np.ones((32, 32), np.uint8))[:h, :size]
            noise = rng.random((h, size)) < 0.05
            m[noise] = rng.integers(1, 13, int(noise.sum()), dtype=np.uint8)
            ref = m.copy()
            flip = rng.random((h, size)) < 0.10
            ref[flip] = rng.integers(1, 13, int(flip.sum()), dtype=np.uint8)
            m[rng.random((h, size)) < 0.001] = 0  # a few nodata pixels
            dm.write(m, 1, window=Window(0, r, size, h))
            dr.write(ref, 1, window=Window(0, r, size, h))
    for p in paths:
        p.with_suffix(".tmp").rename(p)
    return paths


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(mode: str, a: str, b: str, workers: int) -> dict[str, object]:
    """Run one measurement in this (fresh) process."""
    import rasterio

    out: dict[str, object] = {"mode": mode}
    if mode == "decode":
        out["rss_before_mib"] = _peak_mib()
        t0 = time.perf_counter()
        total = 0
        with rasterio.Env(GDAL_NUM_THREADS=1), rasterio.open(a) as da, rasterio.open(b) as db:
            for _, win in da.block_windows(1):
                total += da.read(1, window=win).size + db.read(1, window=win).size
        out["seconds"] = time.perf_counter() - t0
        out["pixels"] = total // 2
    elif mode == "geoverify":
        from geoverify.stats.confusion import pair_counts

        out["rss_before_mib"] = _peak_mib()
        t0 = time.perf_counter()
        pc = pair_counts(a, b, workers=workers)
        out["seconds"] = time.perf_counter() - t0
        out["total"] = pc.total
        out["trace"] = int(np.trace(pc.counts))
    elif mode == "sklearn":
        from sklearn.metrics import confusion_matrix

        out["rss_before_mib"] = _peak_mib()
        t0 = time.perf_counter()
        with rasterio.open(a) as da, rasterio.open(b) as db:
            x, y = da.read(1), db.read(1)
        valid = (x != 0) & (y != 0)
        cm = confusion_matrix(x[valid], y[valid])
        out["seconds"] = time.perf_counter() - t0
        out["total"] = int(cm.sum())
        out["trace"] = int(np.trace(cm))
    elif mode in ("sample_geoverify", "sample_rasterio", "sample_rasterio_64mib"):
        import geopandas as gpd

        with rasterio.open(a) as ds:
            t, w, h, crs = ds.transform, ds.width, ds.height, ds.crs
        rng = np.random.default_rng(7)
        xs = t.c + (rng.random(POINTS) * w) * t.a
        ys = t.f + (rng.random(POINTS) * h) * t.e
        if mode == "sample_geoverify":
            from geoverify.stats.confusion import sample_map

            frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=crs)
            t0 = time.perf_counter()
            ps = sample_map(a, frame, workers=workers)
            out["seconds"] = time.perf_counter() - t0
            out["checksum"] = int(ps.values.astype(np.int64).sum())
        else:
            # default GDAL block cache (5% of RAM), or bounded to 64 MiB like a scan's budget
            cache = {"GDAL_CACHEMAX": 64 * 2**20} if mode.endswith("64mib") else {}
            t0 = time.perf_counter()
            with rasterio.Env(**cache), rasterio.open(a) as ds:
                vals = np.fromiter((v[0] for v in ds.sample(zip(xs, ys, strict=True))),
                                   dtype=np.int64, count=POINTS)
            out["seconds"] = time.perf_counter() - t0
            out["checksum"] = int(vals.sum())
    out["peak_rss_mib"] = _peak_mib()
    return out


def run(mode: str, a: Path, b: Path, workers: int, repeat: int = 5) -> dict[str, object]:
    """Best (shortest) of ``repeat`` runs, each in a fresh subprocess; the largest peak RSS."""
    runs = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(a), str(b), "--workers", str(workers)],
            capture_output=True, text=True, check=True,
        )
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=16384)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "A", "B"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.child[2], args.workers)))
        return
    t0 = time.perf_counter()
    a, b = build(args.size)
    print(f"rasters: {a.name}, {b.name} ({args.size}x{args.size} uint8, DEFLATE, 256x256 tiles; "
          f"{(a.stat().st_size + b.stat().st_size) / 2**20:.1f} MiB on disk; "
          f"ready in {time.perf_counter() - t0:.1f} s); {os.cpu_count()} cores, "
          f"workers = {args.workers}")
    run("decode", a, b, 1, repeat=1)  # warm the page cache
    dec = run("decode", a, b, 1)
    geo = run("geoverify", a, b, args.workers)
    print(f"(a) rasterio decode, block by block, 1 thread : {dec['seconds']:7.2f} s, "
          f"peak RSS {dec['peak_rss_mib']:7.1f} MiB")
    ratio = geo["seconds"] / dec["seconds"]
    print(f"(b) geoverify pair_counts ({args.workers} workers)         : {geo['seconds']:7.2f} s, "
          f"peak RSS {geo['peak_rss_mib']:7.1f} MiB  -> {ratio:.2f} x (a)")
    if not args.skip_sklearn:
        skl = run("sklearn", a, b, 1, repeat=1)
        same = (skl["total"], skl["trace"]) == (geo["total"], geo["trace"])
        print(f"(c) read whole + sklearn confusion_matrix    : {skl['seconds']:7.2f} s, "
              f"peak RSS {skl['peak_rss_mib']:7.1f} MiB  (same counts as (b): {same})")
    sg = run("sample_geoverify", a, b, args.workers)
    sr = run("sample_rasterio", a, b, 1, repeat=3)
    sb = run("sample_rasterio_64mib", a, b, 1, repeat=3)
    print(f"sampling {POINTS:,} random points:")
    print(f"    geoverify sample_map ({args.workers} workers)      : {sg['seconds']:7.2f} s, "
          f"peak RSS {sg['peak_rss_mib']:7.1f} MiB")
    for name, r in (("default block cache", sr), ("64 MiB block cache ", sb)):
        print(f"    rasterio sample(), {name}: {r['seconds']:7.2f} s, peak RSS "
              f"{r['peak_rss_mib']:7.1f} MiB -> geoverify {r['seconds'] / sg['seconds']:.1f} x "
              f"faster (same values: {sg['checksum'] == r['checksum']})")


if __name__ == "__main__":
    main()
