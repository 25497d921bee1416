"""Benchmark: start-up of the command line (issue 16 target: under 0.25 s).

Measures, as whole processes (best of ``--repeat``, after one warm-up run that
fills the OS file cache):

- the floors: ``python -c pass`` and ``python -c "import numpy, rasterio"`` (a
  command that reads a raster cannot start faster than its libraries import);
- ``geoverify --help`` (imports no geospatial library: the subcommands are
  loaded on first use);
- a tiny ``geoverify accuracy`` (two 64 × 64 uint8 rasters, JSON output), the
  smallest real job: imports, the scan, the estimators and the output;
- ``geoverify env`` (versions read from the installed distributions).

Run: ``.venv/bin/python benchmarks/bench_startup.py`` (not part of the tests).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _rasters(folder: Path) -> tuple[str, str]:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    out = []
    for name, seed in (("map", 1), ("ref", 2)):
        path = folder / f"tiny_{name}.tif"
        data = np.random.default_rng(seed).integers(1, 4, (64, 64)).astype("uint8")
        with rasterio.open(
            path,
            "w",
            driver="GTiff",
            width=64,
            height=64,
            count=1,
            dtype="uint8",
            crs="EPSG:32650",
            transform=from_origin(400_000, 3_000_000, 10, 10),
            nodata=0,
        ) as dst:
            dst.write(data, 1)
        out.append(str(path))
    return out[0], out[1]


def _best(cmd: list[str], repeat: int) -> float:
    subprocess.run(cmd, capture_output=True, check=True)  # warm the file cache
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    geoverify = str(BIN / "geoverify")
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _rasters(Path(tmp))
        rows = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            (
                "python -c 'import numpy, rasterio'",
                [sys.executable, "-c", "import numpy, rasterio"],
            ),
            ("geoverify --help", [geoverify, "--help"]),
            ("geoverify env", [geoverify, "env"]),
            (
                "geoverify accuracy (64² uint8 pair, JSON)",
                [geoverify, "accuracy", a, b, "--format", "json"],
            ),
        ]
        times = {name: _best(cmd, args.repeat) for name, cmd in rows}
    floor = times["python -c 'import numpy, rasterio'"]
    print(f"start-up, best of {args.repeat} (after a warm-up run); target: under 0.25 s")
    for name, seconds in times.items():
        mark = ""
        if name.startswith("geoverify --help") or name.startswith("geoverify accuracy"):
            mark = "  [met]" if seconds < 0.25 else "  [NOT met]"
        print(
            f"  {name:<45} {seconds:6.3f} s  {seconds / floor:5.2f} x import numpy+rasterio{mark}"
        )


if __name__ == "__main__":
    main()
