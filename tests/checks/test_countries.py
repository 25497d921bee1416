"""Countries covered: footprints and points checked against Natural Earth (independent source)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasterio.transform import from_origin

from geoverify.checks import Context
from geoverify.checks.countries.measure import measure_countries
from geoverify.errors import EvidenceError
from geoverify.geo.regions import country_boundaries, country_code, in_region, region_members
from geoverify.io.vector import read_vector
from geoverify.model.evidence import Evidence
from geoverify.testing.samples.common import write_raster, write_text

from ..conftest import realdata_path

CTX = Context(workers=1)

#: Capitals (lon, lat) and their countries, from an atlas.
CAPITALS = {
    "KEN": (36.82, -1.29),
    "THA": (100.50, 13.75),
    "BRA": (-47.93, -15.78),
    "FRA": (2.35, 48.86),
    "AUS": (149.13, -35.28),
    "KAZ": (71.45, 51.17),
    "EGY": (31.24, 30.04),
}


def _natural_earth() -> tuple[Path, Any]:
    import geopandas as gpd

    path = realdata_path("naturalearth", "geopandas-0.14.4", "naturalearth_lowres.shp")
    return path, gpd.read_file(path)


def _ev(base: Path, **options: object) -> Evidence:
    return Evidence("test.countries", base, options, "test")


def test_east_africa_footprint_contains_its_countries(tmp_path: Path) -> None:
    from shapely.geometry import box

    _, ne = _natural_earth()
    west, south, east, north = 29.0, -8.0, 42.0, 5.0
    write_raster(
        tmp_path / "ea.tif",
        np.ones((260, 260), dtype="uint8"),
        crs="EPSG:4326",
        transform=from_origin(west, north, 0.05, 0.05),
        nodata=0,
    )
    m = measure_countries(_ev(tmp_path, raster="ea.tif"), {"region": "any"}, CTX)
    found = set(m.details["iso3"])
    footprint = box(west, south, east, north)
    share = ne.geometry.intersection(footprint).area / footprint.area  # planar degrees: fine
    big = set(ne.loc[share > 0.01, "iso_a3"])  # > 1% of the footprint in Natural Earth
    touching = set(ne.loc[share > 0, "iso_a3"])
    assert {"KEN", "TZA", "UGA"} <= found
    assert big <= found
    assert found <= touching
    assert m.value == len(found)
    assert m.details["screen"]["decimation"] == 1


def test_raster_inside_one_country_ignores_border_slivers(tmp_path: Path) -> None:
    """Valid data = Natural Earth's Kenya burnt on a 0.05° grid: only KEN counts."""
    import rasterio.features

    _, ne = _natural_earth()
    kenya = ne.loc[ne["iso_a3"] == "KEN", "geometry"].iloc[0]
    transform = from_origin(33.0, 6.0, 0.05, 0.05)
    mask = rasterio.features.rasterize([(kenya, 1)], out_shape=(240, 200), transform=transform)
    write_raster(
        tmp_path / "ke.tif", mask.astype("uint8"), crs="EPSG:4326", transform=transform, nodata=0
    )
    m = measure_countries(_ev(tmp_path, raster="ke.tif"), {"region": "any"}, CTX)
    assert m.details["iso3"] == ["KEN"]
    assert m.value == 1


def test_capitals_as_sites_and_region_filters(tmp_path: Path) -> None:
    from shapely.geometry import Point

    _, ne = _natural_earth()
    rows = ["name,lon,lat"] + [f"{k},{lon},{lat}" for k, (lon, lat) in CAPITALS.items()]
    write_text(tmp_path / "sites.csv", "\n".join(rows) + "\n")
    truth = {}
    for iso3, (lon, lat) in CAPITALS.items():
        hit = ne[ne.contains(Point(lon, lat))]
        truth[iso3] = hit["iso_a3"].iloc[0]
        assert truth[iso3] == iso3  # the atlas and Natural Earth agree
    m = measure_countries(_ev(tmp_path, sites="sites.csv"), {"region": "any"}, CTX)
    assert m.details["iso3"] == sorted(CAPITALS)
    africa_asia = set(ne.loc[ne["continent"].isin(["Africa", "Asia"]), "iso_a3"])
    m2 = measure_countries(_ev(tmp_path, sites="sites.csv"), {"region": "africa_asia"}, CTX)
    assert set(m2.details["iso3"]) == set(CAPITALS) & africa_asia
    assert set(m2.details["outside_region"]) == set(CAPITALS) - africa_asia
    m3 = measure_countries(
        _ev(tmp_path, sites="sites.csv"), {"region": "south_southeast_asia"}, CTX
    )
    assert m3.details["iso3"] == ["THA"]


def test_polygons_and_listed_codes(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    # a box over the Kenya–Tanzania border around Mount Kilimanjaro / Amboseli
    gpd.GeoDataFrame(geometry=[box(36.8, -3.6, 37.8, -2.4)], crs="EPSG:4326").to_file(
        tmp_path / "demo.gpkg"
    )
    m = measure_countries(_ev(tmp_path, vector="demo.gpkg"), {}, CTX)
    assert m.details["iso3"] == ["KEN", "TZA"]
    listed = measure_countries(
        _ev(tmp_path, countries=["Kenya", "tza", "UG", "Viet Nam", "KEN"]), {}, CTX
    )
    assert listed.details["iso3"] == ["KEN", "TZA", "UGA", "VNM"]
    assert listed.value == 4


def test_user_boundaries_file(tmp_path: Path) -> None:
    path, ne = _natural_earth()
    user = country_boundaries(read_vector(path), source=str(path))
    # Northern Cyprus (CYN) and Somaliland (SOL) are Natural Earth codes, not ISO 3166-1
    assert set(user["iso3"]) == set(ne["iso_a3"]) - {"-99", "CYN", "SOL"}
    rows = ["lon,lat"] + [f"{lon},{lat}" for lon, lat in CAPITALS.values()]
    write_text(tmp_path / "sites.csv", "\n".join(rows) + "\n")
    # copy of the shapefile into the submission folder (tmp, not the repository)
    import shutil

    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        shutil.copy(path.with_suffix(suffix), tmp_path / f"ne{suffix}")
    m = measure_countries(_ev(tmp_path, sites="sites.csv", boundaries="ne.shp"), {}, CTX)
    assert m.details["iso3"] == sorted(CAPITALS)
    assert m.details["boundaries"] == "ne.shp"
    write_text(tmp_path / "bad.csv", "lon,lat\n1,1\n")
    import geopandas as gpd
    from shapely.geometry import box

    gpd.GeoDataFrame({"code": ["zz"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326").to_file(
        tmp_path / "nocodes.gpkg"
    )
    with pytest.raises(EvidenceError, match="ISO 3166-1 alpha-3"):
        measure_countries(_ev(tmp_path, sites="bad.csv", boundaries="nocodes.gpkg"), {}, CTX)


def test_continental_tile_screened_in_seconds() -> None:
    """ESA WorldCover N00E006 (36000² pixels, 3°x3°): only São Tomé and Príncipe has land."""
    path = realdata_path("esa-worldcover", "ESA_WorldCover_10m_2020_v100_N00E006_Map.tif")
    start = time.perf_counter()
    m = measure_countries(_ev(path.parent, raster=path.name), {}, CTX)
    elapsed = time.perf_counter() - start
    assert m.details["iso3"] == ["STP"]
    assert m.details["screen"]["decimation"] > 1
    assert elapsed < 10


def test_regions_and_codes() -> None:
    assert country_code("Côte d'Ivoire") == "CIV"
    assert country_code("lao pdr") == "LAO"
    assert country_code("404") == "KEN"
    with pytest.raises(EvidenceError, match="unknown country"):
        country_code("Atlantis")
    assert in_region("KEN", "africa_asia") and not in_region("FRA", "africa_asia")
    assert in_region("Viet Nam", "south_southeast_asia")
    assert in_region("FJI", "asia_oceania") and not in_region("BRA", "asia_oceania")
    assert in_region("CHN", "geo_members") and in_region("USA", "geo_members")
    assert in_region("PAK", "belt_and_road") and not in_region("USA", "belt_and_road")
    assert 100 <= len(region_members("geo_members")) <= 120
    assert 140 <= len(region_members("belt_and_road")) <= 160
    with pytest.raises(EvidenceError, match="unknown region"):
        in_region("KEN", "atlantis")


def test_bundled_boundaries_agree_with_natural_earth() -> None:
    """Areas of large countries in the bundled data are within 3% of Natural Earth's."""
    _, ne = _natural_earth()
    bundled = country_boundaries().set_index("iso3").to_crs("EPSG:6933")
    ne_ea = ne.set_index("iso_a3").to_crs("EPSG:6933")
    # (not FRA: Natural Earth keeps French Guiana inside France)
    for iso3 in ("KEN", "THA", "BRA", "DEU", "AUS", "CHN", "IND", "NGA", "ARG", "KAZ"):
        a = bundled.loc[iso3].geometry.area
        b = ne_ea.loc[iso3].geometry.area
        assert a == pytest.approx(b, rel=0.03), iso3


def test_screen_cache_holds_two_block_rows(tmp_path):
    """Issue 16: the decimated screening read gets a block cache of two block rows (bounded),
    so GDAL decodes each block once, not once per sampled row."""
    import rasterio
    from rasterio.transform import from_origin

    from geoverify.checks.countries.measure import (
        SCREEN_CACHE_MAX,
        SCREEN_CACHE_MIN,
        screen_cache_bytes,
    )

    def sparse(name: str, width: int, dtype: str) -> str:
        path = tmp_path / name
        with rasterio.open(
            path,
            "w",
            driver="GTiff",
            width=width,
            height=1024,
            count=1,
            dtype=dtype,
            crs="EPSG:4326",
            transform=from_origin(-180, 90, 360 / width, 360 / width),
            tiled=True,
            blockxsize=512,
            blockysize=512,
            SPARSE_OK=True,
        ):
            pass  # no block written: a sparse file of any size costs nothing
        return str(path)

    with rasterio.open(sparse("wide.tif", 200_000, "int16")) as ds:
        assert screen_cache_bytes(ds) == 2 * 512 * 200_000 * 2  # 409.6 MB
    with rasterio.open(sparse("small.tif", 4096, "uint8")) as ds:
        assert screen_cache_bytes(ds) == SCREEN_CACHE_MIN
    with rasterio.open(sparse("huge.tif", 2_000_000, "float32")) as ds:
        assert screen_cache_bytes(ds) == SCREEN_CACHE_MAX
