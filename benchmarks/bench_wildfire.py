"""Benchmark: ``geoverify verify`` of the wildfire direction on a global 1/360° burned-area product.

Issue 16 asks that verifying the wildfire direction of a global 300 m burned-area
product (1/360°, 129,600 × 64,800 pixels, mostly nodata) take at most 3 × the
two-thread decode of the product and its reference, with a peak RSS ≤ 1 GiB.

Builds once (cached under ``benchmarks/.cache/wildfire_<ppd>ppd/``, strip of
tiles by strip of tiles, bounded memory), the way the ``wildfire_pass`` sample
is written (:mod:`geoverify.testing.samples.wildfire`) but at full size:

- ``data/ba_global.tif``: the product, int16 burn day-of-year (FireCCI51
  conventions: 1…366 burned, 0 unburned, −1 unobserved, −2 unburnable), nodata
  −9999 over the sea and south of 60° S; land is geoverify's bundled 0.1° land
  mask (:mod:`geoverify.geo.landmask`); about 20% of the land cells are fire
  zones where ~15% of the pixels burn (scars from smoothed noise, pixel-rough
  edges), 10% of the land (and the land north of 75° N) is unburnable, 0.4% of
  it unobserved (compact patches);
- ``data/ref_global.tif``: a reference burned-area raster on the same grid,
  uint8 1 burned / 0 unburned, nodata 255 (the product's scars, correlated, not
  identical: Dice ≈ 70%);
- ``submission.toml``: the wildfire direction with ``burned_area_resolution``,
  ``burned_area_coverage`` (``unobserved = -1``, ``unburnable = -2``, the
  bundled land mask) and ``burned_area_agreement`` pointing at them, and the
  items (events, models, deployments …, and the common indicators) of
  ``sample_rasters/wildfire_pass/submission.toml``;
- with ``--land-mask-file``: ``data/land_mask.tif`` (uint8 1 land, 0 sea, on the
  product's grid) and ``submission_land_mask.toml`` that gives it as
  ``land_mask``, as the sample does (the coverage scan then reads it too).

Every figure is measured in a fresh child process (best of ``--repeat``; peak
RSS of that process from ``getrusage``/``wait4``) and printed with its ratio to
the two-thread decode floor (the issue's target):

- the decode floor: rasterio block reads of product + reference, 1 and 2 threads;
- sha256 of product + reference (every ``verify`` hashes its evidence files once);
- ``geoverify verify SUBMISSION`` as a whole command (wall time, peak RSS);
- the time of each indicator, from one in-process ``geoverify.run.verify`` run
  (timestamps of its ``on_result`` calls, workers and timeout as the command's);
- with ``--indicator-commands``: ``geoverify verify --indicator ID`` for each
  raster indicator, as whole commands;
- ``geoverify coverage PRODUCT`` (area, countries, period of the product alone).

``--profile [FILE]`` instead profiles one in-process run with cProfile (one
worker and no time budget, so that every check runs in the profiled thread),
writes the top functions by cumulative and by own time to FILE (default
``/tmp/gv/wildfire_profile.txt``, and the raw stats beside it) and tallies what
each file had read (pixels, calls) per indicator.

Usage::

    .venv/bin/python benchmarks/bench_wildfire.py [--ppd 360] [--repeat 1] [--workers 2]
        [--land-mask-file] [--indicator-commands] [--profile [FILE]]

``--ppd`` (pixels per degree; env ``BENCH_PPD``) sets the grid: 360 is the
issue's 1/360° grid, 36 (1/36°, 12,960 × 6,480) a quick run.
Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_rasters" / "wildfire_pass" / "submission.toml"
TILE = 512
NODATA = -9999
REF_NODATA = 255
#: The raster indicators of the wildfire direction (the rest are counted items).
RASTER_INDICATORS = (
    "wildfire.burned_area_resolution",
    "wildfire.burned_area_coverage",
    "wildfire.burned_area_agreement",
)
#: Time budget given to each indicator: large, so that a slow scan is measured, not refused.
TIMEOUT = 7200.0


# --------------------------------------------------------------------------- inputs


def folder_of(ppd: int) -> Path:
    return CACHE / f"wildfire_{ppd}ppd"


def _cells(seed: int = 2027) -> tuple[np.ndarray, np.ndarray]:
    """Class of each 0.1° cell (0 sea/nodata, 1 land, 2 fire zone, 3 unburnable,
    4 unobserved) and its burn day-of-year, from the bundled land mask."""
    from scipy import ndimage

    from geoverify.geo.landmask import land_mask

    land = land_mask()  # 1800 x 3600, from 90° N, 180° W
    lat = 90.0 - (np.arange(land.shape[0]) + 0.5) * 0.1
    land = land & (lat >= -60.0)[:, None]
    g = np.random.default_rng(seed)

    def field(sigma: float) -> np.ndarray:
        return ndimage.gaussian_filter(g.standard_normal(land.shape), sigma, mode="wrap")

    fire, unburnable, unobserved, doy = field(6.0), field(10.0), field(4.0), field(15.0)
    on = land.ravel()
    code = np.where(land, 1, 0).astype(np.uint8)
    code[land & (fire > np.quantile(fire.ravel()[on], 0.80))] = 2
    code[land & (unburnable > np.quantile(unburnable.ravel()[on], 0.90))] = 3
    code[land & (lat >= 75.0)[:, None]] = 3
    code[land & (unobserved > np.quantile(unobserved.ravel()[on], 0.996))] = 4
    rank = np.argsort(np.argsort(doy.ravel())).reshape(doy.shape) / doy.size
    days = (1 + rank * 364.999).astype(np.int16)
    return code, days


def _noise_patch(width: int, seed: int = 16) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Scar noise (uint8) for one strip of tiles, product and reference (correlated),
    and the thresholds that burn ~15% of a fire zone's pixels in each."""
    from scipy import ndimage

    g = np.random.default_rng(seed)
    shape = (TILE, min(width, 16384))
    a = ndimage.gaussian_filter(g.standard_normal(shape, np.float32), 2.0, mode="wrap")
    b = ndimage.gaussian_filter(g.standard_normal(shape, np.float32), 2.0, mode="wrap")
    r = 0.85 * a + 0.53 * b

    def u8(x: np.ndarray) -> np.ndarray:
        return np.clip(128.0 + x / x.std() * 40.0, 0, 255).astype(np.uint8)

    pa, pr = u8(a), u8(r)
    return pa, pr, int(np.quantile(pa, 0.15)), int(np.quantile(pr, 0.16))


def _profile(ppd: int, dtype: str, nodata: int) -> dict[str, Any]:
    from rasterio.transform import from_origin

    return {
        "driver": "GTiff",
        "width": 360 * ppd,
        "height": 180 * ppd,
        "count": 1,
        "dtype": dtype,
        "crs": "EPSG:4326",
        "transform": from_origin(-180.0, 90.0, 1.0 / ppd, 1.0 / ppd),
        "nodata": nodata,
        "tiled": True,
        "blockxsize": TILE,
        "blockysize": TILE,
        "compress": "deflate",
        "BIGTIFF": "YES",
        "NUM_THREADS": "ALL_CPUS",
    }


def build(ppd: int, land_mask_file: bool = False) -> dict[str, Path]:
    """Write product, reference (and land mask) once, strip of tiles by strip of tiles."""
    import rasterio
    from rasterio.windows import Window

    folder = folder_of(ppd)
    data = folder / "data"
    paths = {
        "product": data / "ba_global.tif",
        "reference": data / "ref_global.tif",
        "submission": folder / "submission.toml",
    }
    if land_mask_file:
        paths["land_mask"] = data / "land_mask.tif"
        paths["submission_land_mask"] = folder / "submission_land_mask.toml"
    rasters = [k for k in ("product", "reference", "land_mask") if k in paths]
    todo = [k for k in rasters if not paths[k].exists()]
    if todo:
        data.mkdir(parents=True, exist_ok=True)
        width, height = 360 * ppd, 180 * ppd
        code, days = _cells()
        # 0.1° cell of each pixel centre (exact integer arithmetic: (2i+1)/(2 ppd) degrees)
        cell_col = ((2 * np.arange(width) + 1) * 10 // (2 * ppd)).astype(np.intp)
        pa, pr, ta, tr = _noise_patch(width)
        reps = -(-width // pa.shape[1])
        specs = {
            "product": _profile(ppd, "int16", NODATA),
            "reference": _profile(ppd, "uint8", REF_NODATA),
            "land_mask": _profile(ppd, "uint8", REF_NODATA),
        }
        tmp = {k: paths[k].with_suffix(".part.tif") for k in todo}
        env = rasterio.Env(GDAL_CACHEMAX=128 * 2**20)
        with env:
            out = {k: rasterio.open(tmp[k], "w", **specs[k]) for k in todo}
            try:
                for k, r0 in enumerate(range(0, height, TILE)):
                    h = min(TILE, height - r0)
                    cell_row = ((2 * np.arange(r0, r0 + h) + 1) * 10 // (2 * ppd)).astype(np.intp)
                    c = code[cell_row][:, cell_col]
                    shift = (k * 1031) % pa.shape[1]
                    window = Window(0, r0, width, h)
                    if "product" in out:
                        noise = np.tile(np.roll(pa, shift, axis=1), reps)[:h, :width]
                        burned = (c == 2) & (noise < ta)
                        del noise
                        prod = np.where(c == 0, NODATA, 0).astype(np.int16)
                        rr, cc = np.nonzero(burned)
                        prod[rr, cc] = days[cell_row[rr], cell_col[cc]]
                        del burned, rr, cc
                        prod[c == 3] = -2
                        prod[c == 4] = -1
                        out["product"].write(prod, 1, window=window)
                        del prod
                    if "reference" in out:
                        noise = np.tile(np.roll(pr, shift, axis=1), reps)[:h, :width]
                        ref = np.where(c == 0, REF_NODATA, 0).astype(np.uint8)
                        ref[(c == 2) & (noise < tr)] = 1
                        del noise
                        out["reference"].write(ref, 1, window=window)
                        del ref
                    if "land_mask" in out:
                        out["land_mask"].write((c != 0).astype(np.uint8), 1, window=window)
            finally:
                for ds in out.values():
                    ds.close()
        for k in todo:
            tmp[k].rename(paths[k])
    _write_submission(paths["submission"], land_mask=None)
    if land_mask_file:
        _write_submission(paths["submission_land_mask"], land_mask="data/land_mask.tif")
    return paths


def _write_submission(path: Path, land_mask: str | None) -> None:
    """The sample's submission with its three raster sections pointing at the global rasters."""
    text = SAMPLE.read_text(encoding="utf-8")
    head = text[: text.index("[evidence.wildfire.burned_area_resolution]")]
    items = text[text.index("[[evidence.") :]
    head = head.replace("SAMPLE-WILDFIRE-PASS", "BENCH-WILDFIRE-GLOBAL")
    sections = [
        "# benchmark submission (benchmarks/bench_wildfire.py): a global 1/ppd deg burned-area",
        "# product and a reference on its grid; items copied from the wildfire_pass sample.",
        "[evidence.wildfire.burned_area_resolution]",
        'raster = "data/ba_global.tif"',
        "",
        "[evidence.wildfire.burned_area_coverage]",
        'raster = "data/ba_global.tif"',
        *([f'land_mask = "{land_mask}"'] if land_mask else []),
        "unobserved = -1",
        "unburnable = -2",
        "",
        "[evidence.wildfire.burned_area_agreement]",
        'raster = "data/ba_global.tif"',
        'reference = "data/ref_global.tif"',
        "",
    ]
    new = head + "\n".join(sections) + "\n" + items
    if not path.exists() or path.read_text(encoding="utf-8") != new:
        path.write_text(new, encoding="utf-8")


# --------------------------------------------------------------------------- children


def _peak_mib() -> float:
    """Peak RSS of this process since its ``exec`` (``VmHWM``; ``ru_maxrss`` would include
    the parent's RSS at ``fork``, kept across ``exec`` on Linux)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for row in fh:
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024.0
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and its threads."""
    import resource

    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def _busy() -> float:
    """Busy CPU seconds of the whole machine since boot (``/proc/stat``, all cores)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except OSError:
        return float("nan")
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - fields[3] - fields[4]) / hz  # minus idle and iowait


def _decode(paths: list[str], threads: int) -> int:
    import rasterio

    with rasterio.open(paths[0]) as ds:
        wins = [w for _, w in ds.block_windows(1)]

    def run(chunk: list[Any]) -> int:
        n = 0
        with rasterio.Env(GDAL_NUM_THREADS=1, GDAL_CACHEMAX=64 * 2**20):
            handles = [rasterio.open(p) for p in paths]
            try:
                for w in chunk:
                    for ds in handles:
                        n += ds.read(1, window=w).size
            finally:
                for ds in handles:
                    ds.close()
        return n

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(run, [wins[i::threads] for i in range(threads)])) // len(paths)


def _inprocess(submission: str, workers: int, timeout: float | None) -> dict[str, Any]:
    """One ``geoverify.run.verify`` run; the time of each indicator from ``on_result``."""
    from geoverify.checks import Context
    from geoverify.config.catalogue import load_catalogue
    from geoverify.config.submission import load_submission
    from geoverify.run import verify

    t0 = time.perf_counter()
    cat = load_catalogue(None)
    sub = load_submission(Path(submission), cat)
    marks: list[dict[str, Any]] = []
    last = [time.perf_counter()]
    load = last[0] - t0

    def on_result(r: Any) -> None:
        now = time.perf_counter()
        marks.append(
            {
                "indicator": r.indicator,
                "seconds": now - last[0],
                "verdict": str(r.verdict),
                "value": r.value if isinstance(r.value, int | float) else None,
                "unit": r.unit,
                "message": r.message,
            }
        )
        last[0] = now

    context = Context(workers=workers, timeout=timeout)
    try:  # the run's shared scans (geoverify.io.shared), to say which indicator paid a pass
        from dataclasses import replace

        from geoverify.io.shared import SharedScans

        context = replace(context, shared=SharedScans())
    except (ImportError, TypeError):
        pass
    verify(sub, cat, context=context, on_result=on_result)
    shared = getattr(context, "shared", None)
    passes = [dict(p) for p in getattr(shared, "passes", [])]
    return {
        "load_seconds": load,
        "indicators": marks,
        "shared_passes": passes,
        "seconds": time.perf_counter() - t0,
    }


def _sources_stamp() -> str:
    """The newest geoverify source file and its time: which code a figure measured."""
    files = [p for p in (ROOT / "geoverify").rglob("*") if p.suffix in (".py", ".c", ".so")]
    newest = max(files, key=lambda p: p.stat().st_mtime)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest.stat().st_mtime))
    return f"{stamp} ({newest.relative_to(ROOT)})"


def _code_state() -> str:
    """Which geoverify was measured: newest source file, and the counting kernels in use."""
    try:
        from geoverify.stats import kernels

        backend = str(kernels.backend())
    except Exception as exc:  # the kernels' API is being rewritten: say so, do not fail
        backend = f"unknown ({type(exc).__name__})"
    return f"geoverify sources as of {_sources_stamp()}, kernels {backend}"


def child(mode: str, args: list[str], workers: int) -> dict[str, Any]:
    """Run one measurement in this (fresh) process."""
    out: dict[str, Any] = {"mode": mode}
    t0 = time.perf_counter()
    if mode == "decode":
        out["pixels"] = _decode(args[1:], int(args[0]))
    elif mode == "sha256":
        from geoverify.io.checksums import sha256_file

        out["bytes"] = 0
        for p in args:
            sha256_file(p)
            out["bytes"] += os.path.getsize(p)
    elif mode == "inprocess":
        out.update(_inprocess(args[0], workers, TIMEOUT))
    elif mode == "build":
        import rasterio

        paths = build(int(args[0]), args[1] == "1")
        out["paths"] = {k: str(v) for k, v in paths.items()}
        with rasterio.open(paths["product"]) as ds:
            out["width"], out["height"] = ds.width, ds.height
        out["code"] = _code_state()
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss_mib"] = _peak_mib()
    out["cpu_seconds"] = _cpu_seconds()
    return out


def run(mode: str, args: list[str], workers: int, repeat: int) -> dict[str, Any]:
    """Best (shortest) of ``repeat`` runs, each in a fresh subprocess; the largest peak RSS."""
    runs = []
    for _ in range(repeat):
        t0, b0 = time.perf_counter(), _busy()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, *args, "--workers", str(workers)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"child {mode} failed:\n{proc.stderr[-4000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r["others"] = (_busy() - b0 - r["cpu_seconds"]) / (time.perf_counter() - t0)
        runs.append(r)
    best = min(runs, key=lambda r: r["seconds"])
    best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    return best


def command(argv: list[str], repeat: int) -> dict[str, Any]:
    """A whole command: best wall time of ``repeat``, peak RSS of the child (``wait4``)."""
    best: dict[str, Any] = {"seconds": float("inf"), "peak_rss_mib": 0.0}
    for _ in range(repeat):
        t0, b0 = time.perf_counter(), _busy()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        cpu = usage.ru_utime + usage.ru_stime
        others = (_busy() - b0 - cpu) / seconds
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout, stderr = proc.communicate()
        if proc.returncode == 2:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{stderr[-4000:]}")
        best["peak_rss_mib"] = max(best["peak_rss_mib"], usage.ru_maxrss / 1024.0)
        if seconds < best["seconds"]:
            best.update(
                seconds=seconds, exit=proc.returncode, stdout=stdout, cpu_seconds=cpu, others=others
            )
    return best


def verify_argv(submission: Path, out: Path, workers: int, only: str | None = None) -> list[str]:
    argv = [
        str(ROOT / ".venv" / "bin" / "geoverify"),
        "verify",
        str(submission),
        "--out",
        str(out),
        "--format",
        "json",
        "--no-progress",
        "--workers",
        str(workers),
        "--timeout",
        str(TIMEOUT),
    ]
    return argv + (["--indicator", only] if only else [])


# --------------------------------------------------------------------------- profile


def profile(submission: Path, target: Path) -> None:
    """cProfile of one in-process run (1 worker, no budget: every check in this thread)."""
    import cProfile
    import io
    import pstats

    import rasterio.io

    from geoverify.checks import Context
    from geoverify.config.catalogue import load_catalogue
    from geoverify.config.submission import load_submission
    from geoverify.run import verify

    reads: dict[tuple[str, str], list[int]] = {}
    current = ["(loading)"]
    original = rasterio.io.DatasetReader.read

    def counted(self: Any, *a: Any, **k: Any) -> Any:
        arr = original(self, *a, **k)
        tally = reads.setdefault((current[0], self.name), [0, 0])
        tally[0] += 1
        tally[1] += int(np.asarray(arr).size)
        return arr

    rasterio.io.DatasetReader.read = counted  # type: ignore[method-assign]
    times: list[tuple[str, float]] = []
    last = [0.0]

    def on_result(r: Any) -> None:
        now = time.perf_counter()
        times.append((r.indicator, now - last[0]))
        last[0] = now
        ids = [i for i in ids_all if i not in {t[0] for t in times}]
        current[0] = ids[0] if ids else "(report)"

    cat = load_catalogue(None)
    sub = load_submission(submission, cat)
    ids_all = sub.indicators(cat)
    current[0] = ids_all[0]
    prof = cProfile.Profile()
    last[0] = t0 = time.perf_counter()
    prof.enable()
    verify(sub, cat, context=Context(workers=1, timeout=None), on_result=on_result)
    prof.disable()
    total = time.perf_counter() - t0
    target.parent.mkdir(parents=True, exist_ok=True)
    prof.dump_stats(str(target.with_suffix(".prof")))
    buf = io.StringIO()
    buf.write(f"profile of geoverify.run.verify({submission}), workers=1, timeout=None\n")
    buf.write(f"total {total:.2f} s (under cProfile)\n\nper indicator (s):\n")
    for ident, secs in times:
        if secs >= 0.01:
            buf.write(f"  {ident:45s} {secs:8.2f}\n")
    buf.write(f"  others: {sum(s for _, s in times if s < 0.01):.2f} s\n\n")
    buf.write(
        "rasterio DatasetReader.read per indicator and file: calls, pixels (the reads of a "
        "shared pass count for the indicator that ran it; bench_wildfire.py(counted) below is "
        "this tally's wrapper of rasterio's read: its own time is GDAL's decoding)\n"
    )
    with rasterio.open(str(submission.parent / "data" / "ba_global.tif")) as ds:
        grid = ds.width * ds.height
    for (ident, name), (calls, pixels) in sorted(reads.items()):
        buf.write(
            f"  {ident:38s} {os.path.basename(name):16s} {calls:7d} calls {pixels:15,d} px "
            f"({pixels / grid:.3f} x the grid)\n"
        )
    for key in ("cumulative", "tottime"):
        buf.write(f"\n=== top 40 by {key} ===\n")
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats(key).print_stats(40)
    target.write_text(buf.getvalue(), encoding="utf-8")
    print(buf.getvalue()[:3000])
    print(f"wrote {target} and {target.with_suffix('.prof')}")


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ppd", type=int, default=int(os.environ.get("BENCH_PPD", "360")))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--land-mask-file", action="store_true")
    parser.add_argument("--indicator-commands", action="store_true")
    parser.add_argument("--profile", nargs="?", const="/tmp/gv/wildfire_profile.txt", default=None)
    parser.add_argument("--child", nargs="+", metavar=("MODE", "ARG"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1:], args.workers)))
        return
    t0 = time.perf_counter()
    if args.profile:
        profile(build(args.ppd, args.land_mask_file)["submission"], Path(args.profile))
        return
    # built in a child: this process stays small, its RSS at fork is inherited by the
    # ru_maxrss that wait4 reports for whole commands
    made = run("build", [str(args.ppd), "1" if args.land_mask_file else "0"], 1, 1)
    paths = {k: Path(v) for k, v in made["paths"].items()}
    width, height = made["width"], made["height"]
    built = time.perf_counter() - t0
    print(made["code"])
    prod, ref = str(paths["product"]), str(paths["reference"])
    rep, workers = args.repeat, args.workers
    size = sum(paths[k].stat().st_size for k in ("product", "reference")) / 2**20
    print(
        f"global 1/{args.ppd} deg EPSG:4326 grid {width} x {height} = "
        f"{width * height / 1e9:.2f}e9 px;"
        f" product int16 (nodata {NODATA}, flags -1/-2) + reference uint8 (nodata {REF_NODATA}),"
        f" DEFLATE, {TILE}² tiles, {size:.0f} MiB; ready in {built:.0f} s; "
        f"{os.cpu_count()} cores, workers={workers}, best of {rep}; peak RSS of this process "
        f"{_peak_mib():.0f} MiB (inherited by the ru_maxrss of whole commands)"
    )
    run("decode", ["1", prod, ref], 1, 1)  # warm the page cache
    d1 = run("decode", ["1", prod, ref], 1, rep)
    d2 = run("decode", ["2", prod, ref], 2, rep)
    floor = d2["seconds"]

    def line(name: str, r: dict[str, Any], note: str = "") -> None:
        mem = f", peak RSS {r['peak_rss_mib']:6.0f} MiB" if "peak_rss_mib" in r else ""
        if "others" in r:  # CPU of this measurement, and of every other process meanwhile
            mem += f"; cpu {r['cpu_seconds']:.0f} s, others {max(0.0, r['others']):.1f} cores"
        print(
            f"  {name:50s} {r['seconds']:8.2f} s {r['seconds'] / floor:6.2f} x floor-2{mem}{note}"
        )

    line("decode floor, 1 thread (product + reference)", d1)
    line("decode floor, 2 threads (product + reference)", d2)
    if "land_mask" in paths:
        d2m = run("decode", ["2", prod, ref, str(paths["land_mask"])], 2, rep)
        line("decode, 2 threads, product + reference + land mask", d2m)
    sha = run("sha256", [prod, ref], 1, rep)
    line("sha256 of product + reference (1 thread)", sha)
    with tempfile.TemporaryDirectory(prefix="bench_wildfire_") as tmp:
        subs = [("", paths["submission"])]
        if "submission_land_mask" in paths:
            subs.append((" (land_mask file)", paths["submission_land_mask"]))
        for tag, sub in subs:
            cmd = command(verify_argv(sub, Path(tmp) / "out", workers), rep)
            report = json.loads((Path(tmp) / "out" / "report.json").read_text(encoding="utf-8"))
            verdicts: dict[str, int] = {}
            for r in report["results"]:
                verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1
            ok = cmd["seconds"] <= 3 * floor and cmd["peak_rss_mib"] <= 1024
            line(
                f"geoverify verify{tag}, whole command",
                cmd,
                f"  [target <= 3 x floor-2, <= 1024 MiB: {'met' if ok else 'NOT met'}]",
            )
            print(f"  {'':50s} exit {cmd['exit']}, verdicts {verdicts}")
            for p in report.get("run", {}).get("shared_passes", []):
                keys = ", ".join(f"{k[0].split('.')[-1]}:{k[1]}" for k in p.get("requests", []))
                print(f"  {'':50s} shared pass over {p.get('rasters')} rasters for {keys}")
            inproc = run("inprocess", [str(sub)], workers, 1)
            print(
                f"  per indicator{tag} (one in-process run, {workers} workers; "
                f"catalogue + submission load {inproc['load_seconds']:.2f} s):"
            )
            rest = 0.0
            for m in inproc["indicators"]:
                if m["indicator"] in RASTER_INDICATORS:
                    value = "" if m["value"] is None else f"{m['value']:.4g} {m['unit']}"
                    line(f"  {m['indicator']}", m, f"  {m['verdict']} {value}")
                else:
                    rest += m["seconds"]
            n_rest = len(inproc["indicators"]) - len(
                [m for m in inproc["indicators"] if m["indicator"] in RASTER_INDICATORS]
            )
            line(f"  the other {n_rest} indicators (items)", {"seconds": rest})
            for p in inproc.get("shared_passes", []):
                keys = [k[0] for k in p.get("requests", [])]
                print(
                    f"  {'':50s} one shared pass ({p.get('rasters')} rasters) for "
                    f"{', '.join(k.split('.')[-1] for k in keys)}: paid by the first of them"
                )
            line("  in-process run, total", inproc)
            if args.indicator_commands:
                print(f"  single-indicator commands{tag} (geoverify verify --indicator ID):")
                for ident in RASTER_INDICATORS:
                    one = command(verify_argv(sub, Path(tmp) / "one", workers, ident), rep)
                    line(f"  {ident}", one)
    # the ad-hoc screen of the product: area (streamed), countries (a decimated read), period
    cov = command(
        [str(ROOT / ".venv" / "bin" / "geoverify"), "coverage", prod, "--format", "json"], rep
    )
    line("geoverify coverage PRODUCT, whole command", cov, "  (area, countries, period)")
    end = _sources_stamp()
    if end not in made["code"]:
        print(f"WARNING: geoverify's sources changed during the run (now {end}): mixed figures")


if __name__ == "__main__":
    main()
