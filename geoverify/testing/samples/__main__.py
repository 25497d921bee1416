"""``python -m geoverify.testing.samples [ROOT] [--metrics DIR]``: samples and metrics, rebuilt."""

from __future__ import annotations

import argparse
from pathlib import Path

from geoverify.testing.samples import build_all, clean, record_metrics


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m geoverify.testing.samples", description=__doc__
    )
    parser.add_argument("root", nargs="?", default="sample_rasters", type=Path)
    parser.add_argument("--metrics", default="metrics", type=Path, help="folder for reports")
    parser.add_argument("--no-metrics", action="store_true", help="only rebuild the samples")
    args = parser.parse_args()
    clean(args.root)
    manifests = build_all(args.root)
    print(f"built {len(manifests)} sample submissions under {args.root}")
    if not args.no_metrics:
        for path in sorted(args.metrics.glob("*.json")):
            path.unlink()
        written = record_metrics(manifests, args.metrics)
        print(f"recorded {len(written)} metric reports under {args.metrics}")


if __name__ == "__main__":
    main()
