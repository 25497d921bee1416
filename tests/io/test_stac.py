"""STAC evidence: a real STAC API (rustac serve) on 127.0.0.1, recorded public APIs, faults."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoverify.checks import get_spec
from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io.stac import (
    StacItem,
    compare_metadata_to_data,
    metadata_footprint,
    metadata_period,
    metadata_resolution,
    prepare_stac,
    resolve_stac,
)
from geoverify.model.evidence import Evidence

from ..conftest import REALDATA

#: Session fixtures: range_server, stac_world, dead_url (servers on 127.0.0.1).
pytest_plugins = ["tests.stac_servers"]
pytestmark = pytest.mark.network

CASSETTES = REALDATA / "stac" / "pystac-client-cassettes"


def _search(world: object, **spec: object) -> object:
    return resolve_stac({"api": world.api, **spec}, where="submission.toml:3")  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- local API


def test_search_follows_pages_and_resolves_assets(stac_world) -> None:
    found = _search(stac_world, collections=["landcover"], limit=1)
    assert [i.id for i in found.items] == ["lc-2015", "lc-2020", "lc-2025"]
    assert [i.href for i in found.items] == [
        f"{stac_world.files}/lc_{y}.tif" for y in (2015, 2020, 2025)
    ]
    first = found.items[0]
    assert first.asset_key == "data" and first.epsg == 32650 and first.shape == (1024, 1024)
    assert first.start_datetime == dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
    assert first.raster_bands[0]["data_type"] == "uint8"
    # three pages were requested: limit=1 and paging followed
    assert found.search["limit"] == 1


def test_metadata_resolution_period_footprint(stac_world) -> None:
    found = _search(stac_world, collections=["landcover"])
    res = metadata_resolution(found.items[0])
    assert res is not None
    assert res["source"] == "proj:transform" and res["pixel_size_m"] == pytest.approx(30.0)
    first, last, years = metadata_period(found.items)
    assert (first.year, last.year, years[0], years[-1], len(years)) == (2015, 2025, 2015, 2025, 3)
    assert years == [2015, 2020, 2025]
    assert metadata_footprint(found.items).bounds == pytest.approx((116.0, 30.7, 116.33, 31.0))


def test_geographic_transform_gives_metres(stac_world) -> None:
    (item,) = _search(stac_world, collections=["geographic"]).items
    res = metadata_resolution(item)
    assert res is not None
    # 0.0025° at ~30.4° N: ~240 m east–west, ~277 m north–south; the coarser decides
    assert res["x_m"] == pytest.approx(240.2, rel=0.01)
    assert res["y_m"] == pytest.approx(277.1, rel=0.01)
    assert res["pixel_size_m"] == res["y_m"]


def test_gsd_only_and_disagreement(stac_world) -> None:
    (item,) = _search(stac_world, collections=["mislabelled"]).items
    assert metadata_resolution(item) == {
        "x_m": 10.0,
        "y_m": 10.0,
        "source": "gsd",
        "crs": "EPSG:32650",
        "pixel_size_m": 10.0,
        "gsd": 10.0,
    }
    message = compare_metadata_to_data(item, 30.0)
    assert message is not None and "gsd = 10 m" in message and "30 m" in message
    (good,) = _search(stac_world, ids=["lc-2020"], collections=["landcover"]).items
    assert compare_metadata_to_data(good, 30.0) is None
    assert "proj:transform = 30 m" in (compare_metadata_to_data(good, 10.0) or "")


def test_search_endpoint_bbox_datetime_and_role(stac_world) -> None:
    found = resolve_stac(
        {
            "api": stac_world.api + "/search",
            "collections": ["landcover"],
            "bbox": [116.1, 30.8, 116.2, 30.9],
            "datetime": "2019-06-01T00:00:00Z/2026-01-01T00:00:00Z",
            "role": "metadata",
        },
        where="x",
    )
    assert [i.id for i in found.items] == ["lc-2020", "lc-2025"]
    assert found.items[0].href.endswith("lc_2020.tif.json")


def test_nothing_matched_and_too_many(stac_world) -> None:
    with pytest.raises(EvidenceError, match=r"/search: the STAC search matched no item"):
        _search(stac_world, collections=["landcover"], datetime="1990/1991")
    with pytest.raises(EvidenceError, match=r"more than max_items = 2"):
        _search(stac_world, collections=["landcover"], limit=1, max_items=2)


def test_query_unsupported_is_a_clear_error(stac_world) -> None:
    with pytest.raises(EvidenceError, match=r"does not support this search.*QUERY"):
        _search(stac_world, collections=["landcover"], query={"gsd": {"lt": 20}})


def test_unknown_asset_key_lists_assets(stac_world) -> None:
    with pytest.raises(EvidenceError, match=r"no asset 'cog'.*data \(roles data\)"):
        _search(stac_world, collections=["landcover"], asset="cog")


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [
        ({"collections": ["c"], "colections": 1}, "unknown key 'colections'"),
        ({"collections": []}, "non-empty list"),
        ({"bbox": [1, 2, 3]}, "4 \\(or 6\\) numbers"),
        ({}, "give `collections` or `ids`"),
        ({"collections": ["c"], "asset": "a", "role": "r"}, "not both"),
        ({"collections": ["c"], "max_items": 0}, "max_items"),
    ],
)
def test_invalid_tables_fail_before_any_request(spec: dict, pattern: str) -> None:
    with pytest.raises(EvidenceError, match=pattern) as info:
        resolve_stac({"api": "http://127.0.0.1:9/", **spec}, where="submission.toml:7")
    assert str(info.value).startswith("submission.toml:7")


# --------------------------------------------------------------------------- faults


def test_api_down(dead_url: str) -> None:
    started = time.monotonic()
    with pytest.raises(EvidenceReadError, match=r"cannot connect.*connection refused") as info:
        resolve_stac({"api": dead_url, "collections": ["c"]}, where="x", timeout=2)
    assert dead_url in str(info.value)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("/_500", "HTTP 500"),
        ("/_404/search", "HTTP 404"),
        ("/_500/search", "HTTP 500"),
        ("/_badjson", "malformed JSON"),
        ("/_badjson/search", "malformed JSON"),
    ],
)
def test_http_faults_name_url_and_cause(range_server, path: str, pattern: str) -> None:
    url = range_server.url + path
    with pytest.raises(EvidenceReadError, match=pattern) as info:
        resolve_stac({"api": url, "collections": ["c"]}, where="x", timeout=5)
    assert str(info.value).startswith(url)


def test_slow_api_fails_within_timeout(range_server) -> None:
    started = time.monotonic()
    with pytest.raises(EvidenceReadError, match="did not answer within the 1 s timeout"):
        resolve_stac(
            {"api": range_server.url + "/_slow/30", "collections": ["c"]}, where="x", timeout=1
        )
    assert time.monotonic() - started < 3


def test_api_stopped_mid_session(tmp_path: Path) -> None:
    from ..stac_servers import RustacServer, stac_item

    path = tmp_path / "items.json"
    item = stac_item("a", "c", "http://127.0.0.1:9/a.tif", year=2020, gsd=30)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    with RustacServer(path, create_collections=True) as api:
        assert [i.id for i in resolve_stac({"api": api.url, "ids": ["a"]}, where="x").items] == [
            "a"
        ]
    with pytest.raises(EvidenceReadError, match="connection refused"):
        resolve_stac({"api": api.url, "ids": ["a"]}, where="x", timeout=2)


# --------------------------------------------------------------------------- href resolution


def test_relative_and_file_hrefs_resolve() -> None:
    import pystac

    from geoverify.io.stac import _stac_item

    base = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": "x",
        "geometry": None,
        "properties": {"datetime": "2020-01-01T00:00:00Z"},
        "links": [],
        "assets": {"data": {"href": "../data/x.tif", "roles": ["data"]}},
    }
    for self_href, expected in (
        ("http://host/stac/items/x.json", "http://host/stac/data/x.tif"),
        ("/srv/catalog/items/x.json", "/srv/catalog/data/x.tif"),
        (None, "http://api/data/x.tif"),  # no self link: relative to the search URL
    ):
        base["links"] = [{"rel": "self", "href": self_href}] if self_href else []
        item = pystac.Item.from_dict(base)
        assert _stac_item(item, (None, None), "http://api/v1/search").href == expected
    base["assets"] = {"data": {"href": "file:///srv/x.tif", "roles": ["data"]}}
    assert _stac_item(pystac.Item.from_dict(base), ("data", None), "u").href == "/srv/x.tif"


def test_period_and_footprint_need_metadata() -> None:
    bare = StacItem(
        *(["x", None, None, None, None, None, None, None, None, None, None, None, None]),
        raster_bands=(),
        asset_key="data",
        href="h",
        media_type=None,
        roles=(),
        self_href=None,
    )
    assert metadata_resolution(bare) is None
    assert compare_metadata_to_data(bare, 30.0) is None
    with pytest.raises(EvidenceError, match="no STAC item declares datetime"):
        metadata_period([bare])
    with pytest.raises(EvidenceError, match="no STAC item has a geometry"):
        metadata_footprint([bare])


# --------------------------------------------------------------------------- submission bridge


def test_prepare_stac_single_several_and_period(stac_world, tmp_path: Path) -> None:
    def evidence(**stac: object) -> Evidence:
        spec = {"api": stac_world.api, **stac}
        return Evidence("x.y", tmp_path, {"stac": spec}, "submission.toml:9")

    resolution = get_spec("resolution").stac_options()
    one = prepare_stac(evidence(ids=["lc-2015"], collections=["landcover"]), **resolution)
    assert one.get("raster") == f"{stac_world.files}/lc_2015.tif"
    assert one.location("raster") == f"{stac_world.files}/lc_2015.tif"
    several = prepare_stac(evidence(collections=["landcover"]), **resolution)
    assert [e.get("title") for e in several.items] == ["lc-2015", "lc-2020", "lc-2025"]
    assert len(several.get("rasters")) == 3
    period = prepare_stac(evidence(collections=["landcover"]), **get_spec("period").stac_options())
    assert [d.year for d in period.get("datetimes")] == [2015, 2020, 2025]
    plain = Evidence("x.y", tmp_path, {"raster": "a.tif"}, "w")
    assert prepare_stac(plain) is plain


# --------------------------------------------------------------------------- CLI


def test_cli_table_and_json(stac_world) -> None:
    from geoverify.cli.main import main

    runner = CliRunner()
    out = runner.invoke(main, ["stac", stac_world.api, "--collection", "landcover"])
    assert out.exit_code == 0, out.output
    assert "3 item(s)" in out.output and "30 m (proj:transform)" in out.output
    assert "years 2015–2025, 3 in all" in out.output
    out = runner.invoke(
        main, ["stac", stac_world.api, "--collection", "mislabelled", "--format", "json"]
    )
    data = json.loads(out.output)
    assert data["items"][0]["resolution"]["pixel_size_m"] == 10.0
    assert data["period"]["years"] == [2020]


def test_cli_errors_are_one_line_exit_2(dead_url: str) -> None:
    from geoverify.cli.main import main

    result = CliRunner().invoke(main, ["stac", dead_url, "--collection", "c", "--timeout", "2"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "connection refused" in lines[0] and dead_url in lines[0]
    bad = CliRunner().invoke(main, ["stac", dead_url, "--collection", "c", "--bbox", "1,2"])
    assert bad.exit_code == 2 and "four numbers" in bad.output


# --------------------------------------------------------------------------- recorded public APIs


def _cassette(name: str) -> Path:
    path = CASSETTES / name
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


def test_replayed_planetary_computer_naip_ids() -> None:
    vcr = pytest.importorskip("vcr")
    path = _cassette("test_item_search__TestItemSearch.test_ids_results.yaml")
    with vcr.use_cassette(str(path), record_mode="none"):
        found = resolve_stac(
            {
                "api": "https://planetarycomputer.microsoft.com/api/stac/v1/search",
                "collections": ["naip"],
                "ids": [
                    "S2B_MSIL2A_20210610T115639_N0212_R066_T33XXG_20210613T185024.SAFE",
                    "fl_m_2608004_nw_17_060_20191215_20200113",
                ],
                "asset": "image",
            },
            where="x",
        )
    (item,) = found.items
    assert item.id == "fl_m_2608004_nw_17_060_20191215_20200113"
    assert item.href.startswith("https://") and item.href.endswith(".tif")
    assert item.gsd == pytest.approx(0.6)
    res = metadata_resolution(item)
    assert res is not None and res["pixel_size_m"] == pytest.approx(0.6, rel=0.01)
    assert metadata_period(found.items)[2] == [2019]


def test_replayed_earth_search_two_pages_next_token() -> None:
    vcr = pytest.importorskip("vcr")
    path = _cassette("test_item_search__test_multiple_collections.yaml")
    with vcr.use_cassette(str(path), record_mode="none") as cassette:
        found = resolve_stac(
            {
                "api": "https://earth-search.aws.element84.com/v1/search",
                "collections": ["sentinel-2-l2a", "landsat-c2-l2"],
                "intersects": {"type": "Point", "coordinates": [-105.1019, 40.1672]},
                "datetime": "2023-10-08T00:00:00Z/2023-10-08T23:59:59Z",
                "role": "data",
            },
            where="x",
        )
        assert cassette.play_count == 2
    collections = {i.collection for i in found.items}
    assert collections == {"sentinel-2-l2a", "landsat-c2-l2"}
    assert all(i.href.startswith(("https://", "s3://")) for i in found.items)
    landsat = next(i for i in found.items if i.collection == "landsat-c2-l2")
    assert landsat.proj_code or landsat.epsg
    res = metadata_resolution(landsat)
    assert res is not None and res["pixel_size_m"] == pytest.approx(30.0, rel=0.01)
    assert metadata_period(found.items)[2] == [2023]
    assert metadata_footprint(found.items).contains(
        __import__("shapely").geometry.Point(-105.1019, 40.1672)
    )


def test_replayed_earth_search_collection_404() -> None:
    vcr = pytest.importorskip("vcr")
    path = _cassette("test_client__test_get_collection_returns_none_if_not_found.yaml")
    with (
        vcr.use_cassette(str(path), record_mode="none", allow_playback_repeats=True),
        pytest.raises(EvidenceReadError, match="HTTP 404") as info,
    ):
        from pystac_client.stac_api_io import StacApiIO

        from geoverify.io.stac import _api_failure

        try:
            StacApiIO().read_text("https://earth-search.aws.element84.com/v1/collections/foo")
        except Exception as exc:
            raise _api_failure("https://earth-search.aws.element84.com/v1", exc, 5) from None
    assert "earth-search" in str(info.value)


def test_stac_together_with_the_key_it_fills_is_refused(stac_world, tmp_path: Path) -> None:
    """`stac` and `raster` both given: an error naming both, not a silent override."""
    spec = {"api": stac_world.api, "ids": ["lc-2015"], "collections": ["landcover"]}
    for key, kind in (("raster", "resolution"), ("rasters", "resolution"), ("datetimes", "period")):
        ev = Evidence("x.y", tmp_path, {"stac": spec, key: "local.tif"}, "submission.toml:9")
        with pytest.raises(EvidenceError, match=f"both `stac` and `{key}`") as caught:
            prepare_stac(ev, **get_spec(kind).stac_options())
        assert caught.value.source == "submission.toml:9"
    # a key the search does not fill is kept beside it
    ev = Evidence("x.y", tmp_path, {"stac": spec, "band": 1}, "submission.toml:9")
    assert prepare_stac(ev, **get_spec("resolution").stac_options()).get("band") == 1


def test_stac_href_pointing_back_into_the_submission_is_refused(tmp_path: Path) -> None:
    """A STAC item whose asset is the submission's own file is not published data."""
    from ..stac_servers import RustacServer, stac_item

    sub = tmp_path / "sub"
    (sub / "data").mkdir(parents=True)
    (sub / "data" / "map.tif").write_bytes(b"II*\x00")
    items = [
        stac_item("own-map", "c", str(sub / "data" / "map.tif"), year=2020, gsd=30),
        stac_item("own-map-uri", "d", (sub / "data" / "map.tif").as_uri(), year=2020, gsd=30),
    ]
    path = tmp_path / "items.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    with RustacServer(path, create_collections=True) as api:
        for collection in ("c", "d"):
            ev = Evidence(
                "x.y", sub, {"stac": {"api": api.url, "collections": [collection]}}, "s.toml:4"
            )
            with pytest.raises(EvidenceError, match="points back into the submission") as caught:
                prepare_stac(ev, **get_spec("resolution").stac_options())
            assert "data/map.tif" in caught.value.problem
            assert "published data" in (caught.value.hint or "")
