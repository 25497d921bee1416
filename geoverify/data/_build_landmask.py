"""Regenerate ``land_mask_0p1deg.tif`` from the bundled ``country_boundaries.geojson``.

Maintainers only: ``python geoverify/data/_build_landmask.py`` (needs rasterio and
geopandas, both dependencies of geoverify).  The mask is the union of the bundled
admin-0 polygons (and capital discs), rasterised on a global 0.1° WGS 84 grid
(3600 x 1800 cells, north-up, cell (0, 0) at 180°W 90°N) by cell centre
(``all_touched=False``), stored as a 1-bit deflate GeoTIFF: 1 = land, 0 = sea.
Write the printed sha256 into ``README.md`` and ``geoverify/geo/landmask.py``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
from rasterio.transform import from_origin

HERE = Path(__file__).resolve().parent
OUT = HERE / "land_mask_0p1deg.tif"
STEP = 0.1


def main() -> None:
    frame = gpd.read_file(HERE / "country_boundaries.geojson")
    width, height = round(360 / STEP), round(180 / STEP)
    transform = from_origin(-180.0, 90.0, STEP, STEP)
    land = rasterio.features.rasterize(
        ((geom, 1) for geom in frame.geometry if geom is not None and not geom.is_empty),
        out_shape=(height, width),
        transform=transform,
        dtype="uint8",
        all_touched=False,
    )
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:4326",
        "transform": transform,
        "nbits": 1,
        "compress": "deflate",
        "predictor": 1,
        "zlevel": 9,
        "tiled": False,
        "blockysize": 64,
    }
    with rasterio.open(OUT, "w", **profile) as ds:
        ds.write(land.astype(np.uint8), 1)
        ds.update_tags(
            source="union of geoverify/data/country_boundaries.geojson "
            "(countryinfo 1.0.1, MIT; Natural Earth 1:110m, public domain)",
            rule="cell centre inside a polygon",
        )
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"{OUT.name}: {OUT.stat().st_size} bytes, land cells {int(land.sum())}, sha256 {digest}")


if __name__ == "__main__":
    main()
