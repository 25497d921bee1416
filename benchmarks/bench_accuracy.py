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
  ``--max-side`` (default 65536²; rasters built one row of tiles at a time, in
  bounded memory), one subprocess per size, measured twice: raw (the first call
  in a fresh process: imports and start-up included) and warm (the same call
  after a warm-up ``pair_counts`` on a 2048² pair of the same format — one
  window —, so that fixed start-up costs do not weigh on small sizes; peak RSS
  growth against 4096² measured the same way);
- 10⁶ random points: geoverify's ``sample_map`` against rasterio's ``sample()``;
- with ``--distributed``: the pair served over HTTP with byte ranges
  (``python -m RangeHTTPServer`` on 127.0.0.1, from a temporary folder that is
  not the workers' directory) and given as http:// URLs to ``geoverify accuracy``
  run locally (1 and 2 threads, on the URLs and on the local files) and through
  ``--scheduler`` on a ``dask scheduler`` with 1, 2 and 4 ``dask worker``
  processes of 1 thread started from the command line; the confusion matrices
  must equal the local run's, and the windows must have been read by the worker
  processes from the URLs (both checked, the run fails otherwise).

``--only`` runs some sections (``confusion,scaling,points,distributed``).

Usage::

    .venv/bin/python benchmarks/bench_accuracy.py [--size 16384] [--max-side 65536]
        [--workers 2] [--repeat 5] [--points 1000000] [--distributed] [--only SECTIONS]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
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
    # one row of tiles at a time (TILE rows x size columns per raster), and a bounded GDAL
    # block cache: building 65536² keeps well under 1 GiB (same pixels as 2048-row strips)
    with (
        rasterio.Env(GDAL_CACHEMAX=128 * 2**20),
        rasterio.open(tmp[0], "w", **profile) as dm,
        rasterio.open(tmp[1], "w", **profile) as dr,
    ):
        for r in range(0, size, TILE):
            k, off = divmod(r, 2048)
            h = min(TILE, size - r, 2048 - off)
            shift = (k * 1031) % base_w
            m = np.tile(np.roll(m0[off : off + h], shift, axis=1), reps)[:, :size]
            ref = np.tile(np.roll(r0[off : off + h], shift, axis=1), reps)[:, :size]
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
    elif mode == "geoverify_warm":
        from geoverify.stats.confusion import pair_counts

        warm_a, warm_b = extra.split(",")
        pair_counts(warm_a, warm_b, workers=workers)  # one window: imports, GDAL, kernels, pool
        out["rss_warm_mib"] = _peak_mib()
        t0 = time.perf_counter()
        pc = pair_counts(a, b, workers=workers)
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


def run(
    mode: str, a: Path | str, b: Path | str, workers: int, repeat: int, extra: str = ""
) -> dict[str, Any]:
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


def command(
    a: Path | str, b: Path | str, workers: int, repeat: int, scheduler: str = ""
) -> dict[str, Any]:
    """``geoverify accuracy A B --format json`` as a whole command: best wall time of ``repeat``.

    Also returns the confusion matrix and labels of the report (the last run's).
    """
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
    report: dict[str, Any] = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, check=True, text=True)
        best = min(best, time.perf_counter() - t0)
        report = json.loads(proc.stdout)
    return {
        "seconds": best,
        "matrix": report.get("confusion_matrix"),
        "labels": report.get("labels"),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float = 20.0) -> None:
    limit = time.monotonic() + seconds
    while True:
        try:
            req = urllib.request.Request(url, headers={"Range": "bytes=0-15"})
            with urllib.request.urlopen(req, timeout=2) as resp:
                if resp.status == 206 and len(resp.read()) == 16:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > limit:
            raise SystemExit(f"the HTTP server for {url} did not start")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def distributed(a: Path, b: Path, repeat: int, counts: tuple[int, ...] = (1, 2, 4)) -> bool:
    """The scan of URL evidence, locally and on ``dask worker`` processes; True when all agree.

    The rasters are served by ``python -m RangeHTTPServer`` on 127.0.0.1 from a
    temporary folder (symbolic links to the cached files); the scheduler and the
    workers run from another temporary folder, so the workers have nothing but
    the URLs to read from.  Each figure is the best of ``repeat`` runs after a
    warm-up run: the whole ``geoverify accuracy`` command, and ``pair_counts``
    in a fresh process (the scan without the command's start-up).
    """
    import rasterio
    from distributed import Client

    from geoverify.io.scan import _worker_reads, grid_of, iter_windows

    with rasterio.open(a) as ds:
        per_scan = len(list(iter_windows(grid_of(ds))))
    bindir = ROOT / ".venv" / "bin"
    served = Path(tempfile.mkdtemp(prefix="geoverify-bench-http-"))
    workdir = Path(tempfile.mkdtemp(prefix="geoverify-bench-workers-"))
    for src, name in ((a, "map.tif"), (b, "ref.tif")):
        (served / name).symlink_to(src.resolve())
    http_port, sched_port = _free_port(), _free_port()
    base = f"http://127.0.0.1:{http_port}"
    urls = f"{base}/map.tif", f"{base}/ref.tif"
    address = f"tcp://127.0.0.1:{sched_port}"
    procs: list[subprocess.Popen[bytes]] = []
    ok = True
    rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    try:
        http = subprocess.Popen(
            [sys.executable, "-m", "RangeHTTPServer", str(http_port), "--bind", "127.0.0.1"],
            cwd=served,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(http)
        _wait_http(urls[0], http)
        print(
            f"dask.distributed on 127.0.0.1; evidence as URLs ({base}/map.tif, ref.tif: "
            f"RangeHTTPServer serving {served}); workers run in {workdir}; {per_scan} windows "
            f"per scan; best of {repeat} after a warm-up run:"
        )

        def measure(name: str, x: Path | str, y: Path | str, threads: int, sched: str = "") -> None:
            command(x, y, threads, 1, scheduler=sched)  # warm-up (workers: imports, handles)
            cmd = command(x, y, threads, repeat, scheduler=sched)
            scan_ = run("geoverify", x, y, threads, repeat, extra=sched)
            rows.append((name, cmd, scan_))

        measure("local files, 1 thread", a, b, 1)
        measure("local files, 2 threads", a, b, 2)
        measure("URLs, 1 thread", *urls, 1)
        measure("URLs, 2 threads", *urls, 2)
        sched = subprocess.Popen(
            [str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
             str(sched_port), "--no-dashboard"],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(sched)
        reads: dict[int, list[dict[str, Any]]] = {}
        with Client(address, timeout=30, set_as_default=False) as client:
            for n in counts:
                worker = subprocess.Popen(
                    [str(bindir / "dask"), "worker", address, "--nworkers", str(n),
                     "--nthreads", "1", "--no-dashboard", "--memory-limit", "2GiB",
                     "--local-directory", str(workdir)],
                    cwd=workdir,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fmt: skip
                procs.append(worker)
                try:
                    client.wait_for_workers(n, timeout=120)
                    measure(
                        f"URLs, scheduler, {n} worker process(es) x 1 thread", *urls, 1, address
                    )
                    got = client.run(_worker_reads)  # what each worker process read
                    reads[n] = list(got.values())
                finally:
                    _stop(worker)
                    limit = time.monotonic() + 30
                    while client.scheduler_info()["workers"] and time.monotonic() < limit:
                        time.sleep(0.2)
    finally:
        for proc in reversed(procs):
            _stop(proc)
        shutil.rmtree(served, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)

    reference = rows[0][1]
    base1 = {name: (c["seconds"], s_["seconds"]) for name, c, s_ in rows}
    print(f"  {'':54s} {'command':>8s} {'scan':>8s}  counts")
    for name, cmd, scan_ in rows:
        same = cmd["matrix"] == reference["matrix"] and cmd["labels"] == reference["labels"]
        same = same and (scan_["total"], scan_["trace"]) == (
            rows[0][2]["total"],
            rows[0][2]["trace"],
        )
        ok = ok and same
        print(
            f"  {name:54s} {cmd['seconds']:6.2f} s {scan_['seconds']:6.2f} s  "
            f"{'same as local files' if same else 'DIFFERENT'}"
        )
    print("  speed-up of the cluster runs (command / scan) over the local runs:")
    for n in counts:
        name = f"URLs, scheduler, {n} worker process(es) x 1 thread"
        c, sc = base1[name]
        ups = ", ".join(
            f"{ref}: {base1[ref][0] / c:.2f} / {base1[ref][1] / sc:.2f}"
            for ref in (
                "URLs, 1 thread",
                "URLs, 2 threads",
                "local files, 1 thread",
                "local files, 2 threads",
            )
        )
        print(f"    {n} worker(s): {ups}")
    runs_per_count = 1 + 2 * repeat  # warm-up command, commands, in-process scans
    for n in counts:
        windows = [r["windows"] for r in reads.get(n, [])]
        locations = sorted({loc for r in reads.get(n, []) for loc in r["locations"]})
        right = (
            len(windows) == n
            and sum(windows) == runs_per_count * per_scan
            and locations == sorted(urls)
        )
        ok = ok and right
        print(
            f"  {n} worker(s): windows read per worker process {windows} (expected "
            f"{runs_per_count} scans x {per_scan} = {runs_per_count * per_scan} in all), "
            f"from {', '.join(locations) or 'nothing'}: {'ok' if right else 'WRONG'}"
        )
    return ok


SECTIONS = ("confusion", "scaling", "points", "distributed")


def scaling(max_side: int, workers: int, repeat: int) -> None:
    """Time per pixel and peak RSS of ``pair_counts`` from 4096² to ``max_side``, raw and warm."""
    warm = ",".join(str(p) for p in build(2048))  # one window of the same format
    print(
        "scaling of pair_counts (one subprocess per size and run; raw = first call in a fresh "
        "process, warm = after a warm-up pair_counts on a 2048² pair, one window):"
    )
    first: dict[str, float] = {}
    side = 4096
    while side <= max_side:
        t0 = time.perf_counter()
        pa, pb = build(side)
        built = time.perf_counter() - t0
        run("decode1", pa, pb, 1, 1)  # page cache
        raw = run("geoverify", pa, pb, workers, repeat)
        hot = run("geoverify_warm", pa, pb, workers, repeat, warm)
        px = side**2
        ns_raw, ns_hot = raw["seconds"] / px * 1e9, hot["seconds"] / px * 1e9
        if not first:
            first = {
                "raw": ns_raw,
                "hot": ns_hot,
                "rss_raw": raw["peak_rss_mib"],
                "rss_hot": hot["peak_rss_mib"],
            }
        note = f"; built in {built:.0f} s" if built > 1 else ""
        print(f"  {side:6d}² ({px / 2**20:.0f} Mi px{note})")
        for label, r, ns, key in (("raw ", raw, ns_raw, "raw"), ("warm", hot, ns_hot, "hot")):
            growth = r["peak_rss_mib"] - first["rss_" + key]
            extra = (
                f"; {r['peak_rss_mib'] - r['rss_warm_mib']:+.0f} MiB over the warm-up"
                if "rss_warm_mib" in r
                else ""
            )
            print(
                f"    {label}: {r['seconds']:8.3f} s, {ns:6.3f} ns/px "
                f"(x{ns / first[key]:.2f} of 4096²), peak RSS {r['peak_rss_mib']:5.0f} MiB "
                f"({growth:+.0f} MiB vs 4096²{extra})"
            )
        side *= 2


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=16384)
    parser.add_argument("--max-side", type=int, default=65536)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--distributed", action="store_true")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, of {','.join(SECTIONS)} "
        "(distributed also needs --distributed)",
    )
    parser.add_argument("--child", nargs=3, metavar=("MODE", "A", "B"))
    parser.add_argument("--extra", default="")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.workers, args.extra)))
        return
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
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
    run("geoverify", a, b, args.workers, 1)  # warm on-disk caches
    if "confusion" in only:
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
    if "scaling" in only:
        scaling(args.max_side, args.workers, min(rep, 3))
    if args.points and "points" in only:
        sg = run("sample_geoverify", a, b, args.workers, min(rep, 3), str(args.points))
        sr = run("sample_rasterio", a, b, 1, 1, str(args.points))
        print(
            f"sampling {args.points:,} random points: geoverify sample_map {sg['seconds']:.2f} s, "
            f"rasterio sample() {sr['seconds']:.2f} s -> {sr['seconds'] / sg['seconds']:.1f} x "
            f"faster (same values: {sg['checksum'] == sr['checksum']})"
        )
    if args.distributed and "distributed" in only:
        if not (ROOT / ".venv" / "bin" / "dask").exists():
            raise SystemExit("--distributed needs the dask command (pip install distributed)")
        if not distributed(a, b, min(rep, 3)):
            raise SystemExit("distributed: counts or worker reads differ from the local run")


if __name__ == "__main__":
    main()
