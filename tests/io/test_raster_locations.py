"""One location helper for area, pixel size, classes and countries: globs, repeats, overlaps.

Expected areas are hand computed: EPSG:6933 is an equal-area projection, so a
100 m × 100 m pixel is exactly 0.01 km².
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.area.measure import measure_area
from geoverify.checks.classes.measure import measure_classes
from geoverify.checks.countries.measure import measure_countries
from geoverify.checks.resolution.measure import measure_resolution
from geoverify.errors import EvidenceError
from geoverify.io.mosaic import DUPLICATE_RULE, OVERLAP_RULE, raster_locations
from geoverify.model.evidence import Evidence
from geoverify.testing.samples.common import write_raster

from .test_netcdf_variables import write_stack

CTX = Context(workers=1)


def _ev(base: Path, **options: object) -> Evidence:
    return Evidence("test.x", base, options, "submission.toml:3")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """data/a.tif and data/b.tif side by side (10 × 10 pixels of 100 m, EPSG:6933), a link to a."""
    codes = np.full((10, 10), 3, dtype="uint8")
    for name, x0 in (("a.tif", 0), ("b.tif", 1_000)):
        write_raster(
            tmp_path / "data" / name,
            codes,
            crs="EPSG:6933",
            transform=from_origin(x0, 1_000_000, 100, 100),
            nodata=0,
        )
    os.symlink("a.tif", tmp_path / "data" / "link_to_a.tif")
    return tmp_path


REPEATS = [
    {"raster": "data/a.tif", "rasters": ["data/a.tif"]},
    {"rasters": ["data/a.tif", "data/./a.tif"]},
    {"rasters": ["data/a.tif", "data/link_to_a.tif"]},
]


@pytest.mark.parametrize("options", REPEATS)
def test_the_same_tile_listed_twice_counts_once_in_every_check(
    folder: Path, options: dict[str, object]
) -> None:
    listed = raster_locations(_ev(folder, **options))
    assert listed.paths == [os.path.realpath(folder / "data" / "a.tif")]
    assert len(listed.repeats) == 1
    area = measure_area(_ev(folder, **options), {}, CTX)
    assert area.value == pytest.approx(100 * 0.01, rel=1e-12)  # 100 pixels of 0.01 km²
    assert area.details["duplicate_rule"] == DUPLICATE_RULE
    assert "counted once" in area.message
    size = measure_resolution(_ev(folder, **options), {}, CTX)
    alone = measure_resolution(_ev(folder, raster="data/a.tif"), {}, CTX)
    assert size.value == alone.value and "files" not in size.details
    assert size.details["repeated_listings"] == listed.repeats
    classes = measure_classes(_ev(folder, **options), {}, CTX)
    assert classes.value == 1
    assert classes.details["pixels_per_class"] == {"3": 100}
    assert classes.details["duplicate_rule"] == DUPLICATE_RULE


def test_rasters_globs_work_for_area_resolution_and_classes(folder: Path) -> None:
    given = {"rasters": ["data/*.tif"]}  # matches a.tif, b.tif and the link to a.tif
    area = measure_area(_ev(folder, **given), {}, CTX)
    assert area.value == pytest.approx(200 * 0.01, rel=1e-12)
    assert [p["source"] for p in area.details["rasters"]] == ["data/a.tif", "data/b.tif"]
    size = measure_resolution(_ev(folder, **given), {}, CTX)
    assert len(size.details["files"]) == 2
    classes = measure_classes(_ev(folder, **given), {}, CTX)
    assert classes.details["pixels_per_class"] == {"3": 200}
    assert classes.details["mosaic"]["tiles"] == 2


def test_a_glob_leaving_the_folder_through_a_link_is_refused(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    (sub / "data").mkdir(parents=True)
    write_raster(
        tmp_path / "outside.tif",
        np.ones((4, 4), "uint8"),
        crs="EPSG:4326",
        transform=from_origin(0, 1, 0.25, 0.25),
        nodata=0,
    )
    os.symlink(tmp_path / "outside.tif", sub / "data" / "x.tif")
    with pytest.raises(EvidenceError, match="outside the submission's folder"):
        measure_area(_ev(sub, rasters=["data/*.tif"]), {}, CTX)


def test_no_raster_is_an_error_naming_the_keys(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="no raster"):
        raster_locations(_ev(tmp_path))


def test_overlap_rule_applies_to_tiles_whose_crs_only_the_attributes_state(
    tmp_path: Path,
) -> None:
    """GDAL sees no CRS in these NetCDFs; the overlap rule must not be silently skipped."""
    write_stack(tmp_path / "a.nc", crs_attr="EPSG:32633")
    write_stack(tmp_path / "b.nc", crs_attr="EPSG:32633")  # the same grid: a full overlap
    ev = _ev(tmp_path, rasters=["a.nc", "b.nc"], variable="classes")
    m = measure_area(ev, {}, CTX)
    # 36 valid pixels of 20 m × 20 m in UTM 33N near 41.5°N (scale factor ~0.9996 +
    # distortion): counted once, not 72; tolerance covers the projection's area factor
    one_file = 36 * 20 * 20 / 1e6
    assert m.value == pytest.approx(one_file, rel=2e-3)
    assert m.details["rasters"][1]["valid_pixels"] == 0
    assert OVERLAP_RULE in m.details["note"]


def test_countries_read_rasters_and_count_an_overlap_once(tmp_path: Path) -> None:
    """Two overlapping tiles over Kenya; a repeated listing adds nothing."""
    ones = np.ones((40, 40), dtype="uint8")
    # 0.1° cells: a 4° × 4° tile at 35–39°E, 3°S–1°N, and one shifted 2° east
    for name, west in (("k1.tif", 35.0), ("k2.tif", 37.0)):
        write_raster(
            tmp_path / name,
            ones,
            crs="EPSG:4326",
            transform=from_origin(west, 1.0, 0.1, 0.1),
            nodata=0,
        )
    one = measure_countries(_ev(tmp_path, raster="k1.tif"), {}, CTX)
    both = measure_countries(_ev(tmp_path, rasters=["k2.tif", "k1.tif", "./k1.tif"]), {}, CTX)
    assert "KEN" in both.details["iso3"]
    # the second tile's western half (20 of 40 columns) lies in the first: 40 × 20 new cells
    assert both.details["screen"]["valid_cells"] == 40 * 40 + 40 * 20
    assert one.details["screen"]["valid_cells"] == 40 * 40
    assert both.details["screen"]["overlap_rule"] == OVERLAP_RULE
    assert both.details["duplicate_rule"] == DUPLICATE_RULE
    assert both.value >= one.value
