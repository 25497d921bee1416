"""Benchmark: screening a 10⁹-pixel class raster (distinct classes + valid area).

Builds once (cached in ``benchmarks/.cache/``) a 32768 × 32768 tiled (512 × 512),
DEFLATE-compressed uint8 class raster with nodata 0 (a quarter of it nodata),
then measures, each in a fresh child process (so peak RSS is the scan's own):

- ``blocks.scan`` with 1 and 2 threads: per window, ``np.bincount`` of the class
  codes (classes present, valid pixel count) — the streamed, block-aligned scan
  geoverify uses;
- the obvious alternative: a plain single-thread loop over the file's blocks
  (``ds.block_windows``) with ``np.unique`` per block.

Run: ``/work/venv/bin/python benchmarks/bench_screening.py`` (not part of the tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
RASTER = CACHE / "classes_32768.tif"
SIDE = 32768
TILE = 512


def build() -> None:
    """Write the 10⁹-pixel raster strip of tiles by strip of tiles (bounded memory)."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    if RASTER.exists():
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = RASTER.with_suffix(".part.tif")
    profile = {
        "driver": "GTiff",
        "width": SIDE,
        "height": SIDE,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:32650",
        "transform": from_origin(0, SIDE * 10.0, 10.0, 10.0),
        "nodata": 0,
        "tiled": True,
        "blockxsize": TILE,
        "blockysize": TILE,
        "compress": "deflate",
        "zlevel": 1,
        "BIGTIFF": "YES",
        "NUM_THREADS": "ALL_CPUS",
    }
    rng = np.random.default_rng(0)
    # one strip of tiles from a repeating patch of 40 classes (patches of 16 px), shifted
    base = rng.integers(1, 41, size=(TILE // 16, SIDE // 16), dtype=np.uint8)
    patch = np.repeat(np.repeat(base, 16, axis=0), 16, axis=1)
    start = time.perf_counter()
    with rasterio.open(tmp, "w", **profile) as dst:
        for r in range(0, SIDE, TILE):
            strip = np.roll(patch, r // TILE * 7, axis=1)
            if r < SIDE // 4:
                strip = strip.copy()
                strip[:, : SIDE // 2] = 0  # nodata: half of the first quarter of rows
                strip[:, SIDE // 2 :][strip[:, SIDE // 2 :] > 38] = 0
            dst.write(strip, 1, window=Window(0, r, SIDE, TILE))
    tmp.rename(RASTER)
    print(
        f"built {RASTER.name} in {time.perf_counter() - start:.0f} s "
        f"({RASTER.stat().st_size / 1e6:.0f} MB)"
    )


def run_scan(workers: int) -> dict[str, float]:
    import numpy as np

    from geoverify.io.scan import scan

    def func(arrays, window):
        return np.bincount(arrays[0].ravel(), minlength=256)

    start = time.perf_counter()
    counts = scan([str(RASTER)], func, lambda a, b: a + b, workers=workers)
    elapsed = time.perf_counter() - start
    classes = int((counts[1:] > 0).sum())
    return {"seconds": elapsed, "classes": classes, "valid": int(counts[1:].sum())}


def run_naive() -> dict[str, float]:
    import numpy as np
    import rasterio

    start = time.perf_counter()
    seen: set[int] = set()
    valid = 0
    with rasterio.open(RASTER) as ds:
        for _, window in ds.block_windows(1):
            values, counts = np.unique(ds.read(1, window=window), return_counts=True)
            seen.update(values.tolist())
            valid += int(counts[values != 0].sum())
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "classes": len(seen - {0}), "valid": valid}


def child(kind: str) -> None:
    import resource

    result = run_naive() if kind == "naive" else run_scan(int(kind))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    build()
    pixels = SIDE * SIDE
    print(f"raster: {SIDE} x {SIDE} = {pixels / 1e9:.2f}e9 pixels, tiled {TILE}, deflate")
    rows = []
    for kind, label in (
        ("1", "blocks.scan, 1 thread"),
        ("2", "blocks.scan, 2 threads"),
        ("naive", "rasterio block loop + np.unique, 1 thread"),
    ):
        out = subprocess.run(
            [sys.executable, __file__, "--child", kind], check=True, capture_output=True, text=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((label, r))
        print(
            f"{label:45s} {r['seconds']:7.1f} s  {pixels / r['seconds'] / 1e6:7.1f} Mpx/s  "
            f"peak RSS {r['peak_rss_mb']:6.0f} MB  classes {r['classes']}  "
            f"valid {r['valid']:,}"
        )
    assert len({(r["classes"], r["valid"]) for _, r in rows}) == 1, "methods disagree"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
