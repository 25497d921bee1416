"""Building blocks of the sample deliverables: deterministic rasters and common evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "COMMON_EVIDENCE",
    "items_toml",
    "project_header",
    "rng",
    "write_geopackage",
    "write_raster",
    "write_text",
]


def rng(seed: int) -> np.random.Generator:
    """A numpy generator with a fixed seed: every sample is reproducible bit for bit."""
    return np.random.default_rng(seed)


def write_raster(
    path: Path,
    array: np.ndarray,
    *,
    crs: str | None,
    transform: Any,
    nodata: float | None = None,
    colormap: dict[int, tuple[int, int, int, int]] | None = None,
    tiled: bool = True,
    blocksize: int = 256,
    compress: str = "deflate",
    overviews: list[int] | None = None,
    tags: dict[str, str] | None = None,
) -> Path:
    """Write a single- or multi-band GeoTIFF deterministically (no timestamps in tags).

    ``array`` is ``(rows, cols)`` or ``(bands, rows, cols)``.  With ``overviews``
    the file is built as a cloud-optimised GeoTIFF (overviews, then the COG
    driver's layout).
    """
    import rasterio
    from rasterio.enums import Resampling

    data = array[np.newaxis] if array.ndim == 2 else array
    path.parent.mkdir(parents=True, exist_ok=True)
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "height": data.shape[1],
        "width": data.shape[2],
        "count": data.shape[0],
        "dtype": data.dtype,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "compress": compress,
    }
    if tiled and data.shape[1] >= blocksize and data.shape[2] >= blocksize:
        profile.update(tiled=True, blockxsize=blocksize, blockysize=blocksize)
    target = path.with_suffix(".tmp.tif") if overviews else path
    with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(target, "w", **profile) as dst:
        dst.write(data)
        if colormap:
            dst.write_colormap(1, colormap)
        if tags:
            dst.update_tags(**tags)
        if overviews:
            dst.build_overviews(overviews, Resampling.nearest)
    if overviews:
        from rasterio.shutil import copy as rio_copy

        with rasterio.Env(GDAL_PAM_ENABLED="NO"):
            rio_copy(target, path, driver="COG", compress=compress.upper(), blocksize=blocksize)
        target.unlink()
    return path


def write_geopackage(frame: Any, path: Path, *, layer: str) -> Path:
    """Write a GeoPackage byte for byte reproducibly.

    GDAL stamps the current time into ``gpkg_contents``; ``OGR_CURRENT_DATE``
    fixes it, so a regenerated sample only differs when its data do.
    """
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2026-01-01T00:00:00.000Z"})
    try:
        frame.to_file(path, driver="GPKG", layer=layer, SPATIAL_INDEX="NO", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    return path


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text (proof documents, CSV tables, manifests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def project_header(title: str, directions: list[str], project_id: str) -> str:
    """The ``[project]`` table of a sample manifest (a 3-year project)."""
    dirs = ", ".join(f'"{d}"' for d in directions)
    return (
        "[project]\n"
        f'title = "{title}"\n'
        f'id = "{project_id}"\n'
        'lead = "Sample Institute of Earth Observation (synthetic)"\n'
        f"directions = [{dirs}]\n"
        "start = 2026-07-01\n"
        "end = 2029-06-30\n"
    )


def items_toml(indicator: str, rows: list[dict[str, Any]]) -> str:
    """``[[evidence.<indicator>.items]]`` tables: strings quoted, numbers and booleans as is."""
    import json

    out = []
    for row in rows:
        out.append(f"[[evidence.{indicator}.items]]")
        for key, value in row.items():
            if isinstance(value, bool):
                out.append(f"{key} = {str(value).lower()}")
            elif isinstance(value, str):
                out.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
            else:
                out.append(f"{key} = {value!r}")
        out.append("")
    return "\n".join(out)


def _items(indicator: str, rows: list[dict[str, Any]]) -> str:
    out = []
    for row in rows:
        out.append(f"[[evidence.{indicator}.items]]")
        for key, value in row.items():
            if isinstance(value, str) and not value[:4].isdigit():
                out.append(f'{key} = "{value}"')
            elif isinstance(value, str):
                out.append(f"{key} = {value}")
            else:
                out.append(f"{key} = {value!r}".replace("'", '"').replace("True", "true"))
        out.append("")
    return "\n".join(out)


def _doi(n: int) -> str:
    return f"10.5281/zenodo.{9_100_000 + n}"


#: Evidence that meets every common indicator (geo_common, programme): appended
#: to the manifests of the samples that are meant to pass.
COMMON_EVIDENCE: str = "\n".join(
    [
        "# --- common indicators of every GEO project (geo_common, programme) ---",
        _items(
            "geo_common.geo_secretariat_events",
            [
                {"title": "GEO Week 2026, Geneva", "date": "2026-11-09", "doi": _doi(1)},
                {"title": "GEO Symposium 2027", "date": "2027-06-15", "doi": _doi(2)},
            ],
        ),
        _items(
            "geo_common.china_secretariat_events",
            [
                {"title": "GEO China annual meeting 2026", "date": "2026-12-02", "doi": _doi(3)},
                {"title": "GEO China workshop 2027", "date": "2027-04-20", "doi": _doi(4)},
            ],
        ),
        _items(
            "geo_common.member_country_events",
            [
                {
                    "title": "Project workshop, Bangkok",
                    "date": "2027-03-01",
                    "country": "THA",
                    "filed_with_china_secretariat": 1,
                    "doi": _doi(5),
                },
                {
                    "title": "Progress report, Bangkok",
                    "date": "2028-03-01",
                    "country": "THA",
                    "filed_with_china_secretariat": 1,
                    "doi": _doi(6),
                },
            ],
        ),
        _items(
            "geo_common.visiting_partners",
            [
                {
                    "person": "Visiting scientist A",
                    "title": "Visiting scientist A (Thailand)",
                    "days": 14,
                    "country": "THA",
                    "doi": _doi(7),
                },
                {
                    "person": "Visiting scientist B",
                    "title": "Visiting scientist B (Kenya)",
                    "days": 10,
                    "country": "KEN",
                    "doi": _doi(8),
                },
                {
                    "person": "Visiting scientist C",
                    "title": "Visiting scientist C (Brazil)",
                    "days": 12,
                    "country": "BRA",
                    "doi": _doi(9),
                },
            ],
        ),
        _items(
            "geo_common.workshops",
            [
                {
                    "title": "International training 2027",
                    "participants": 42,
                    "foreign_participants": 18,
                    "filed_with_china_secretariat": 1,
                    "doi": _doi(10),
                },
                {
                    "title": "Young scientists workshop 2028",
                    "participants": 35,
                    "foreign_participants": 12,
                    "filed_with_china_secretariat": 1,
                    "doi": _doi(11),
                },
            ],
        ),
        _items(
            "geo_common.geo_news",
            [
                {
                    "title": "GEO news: project launch",
                    "url": "https://earthobservations.org/news/launch",
                },
                {
                    "title": "GEO news: training",
                    "url": "https://earthobservations.org/news/training",
                },
            ],
        ),
        _items(
            "geo_common.data_deposits",
            [
                {
                    "title": "Deposit to the national EO data sharing platform",
                    "category": "national_platform",
                    "doi": _doi(12),
                },
                {
                    "title": "Deposit to the GEO Knowledge Hub",
                    "category": "geo_knowledge_hub",
                    "doi": _doi(13),
                },
            ],
        ),
        _items(
            "geo_common.developing_country_demo",
            [
                {
                    "title": "Demonstration in Lao PDR, confirmed by its GEO Principal",
                    "country": "LAO",
                    "principal_confirmed": 1,
                    "doi": _doi(14),
                },
            ],
        ),
        _items(
            "programme.chinese_journal_share",
            [
                {
                    "title": "Paper 1 (National Remote Sensing Bulletin)",
                    "group": "chinese_journal",
                    "doi": _doi(15),
                },
                {
                    "title": "Paper 2 (Journal of Remote Sensing)",
                    "group": "chinese_journal",
                    "doi": _doi(16),
                },
                {
                    "title": "Paper 3 (Remote Sensing of Environment)",
                    "group": "other_journal",
                    "doi": _doi(17),
                },
            ],
        ),
        _items(
            "geo_common.progress_to_secretariat",
            [
                {"title": "Progress report 2027", "year": 2027, "doi": _doi(18)},
                {"title": "Progress report 2028", "year": 2028, "doi": _doi(19)},
                # every calendar year of the project (2026-07-01 to 2029-06-30) has one
                {"title": "Progress report 2026", "year": 2026, "doi": _doi(24)},
                {"title": "Progress report 2029", "year": 2029, "doi": _doi(25)},
            ],
        ),
        "# --- eligibility and funding rules (geo_rules) ---",
        _items(
            "geo_rules.gwp_contact",
            [
                {
                    "title": "Cooperation agreement with the GWP contact, GEO Secretariat e-mail",
                    "doi": _doi(20),
                },
            ],
        ),
        _items(
            "geo_rules.foreign_partners",
            [
                {
                    "title": "Partner: Geo-Informatics and Space Technology Agency (Thailand)",
                    "country": "THA",
                    "geo_member_or_participating_org": 1,
                    "doi": _doi(21),
                },
            ],
        ),
        _items(
            "geo_rules.enterprise_matching",
            [
                {
                    "title": "Enterprise matching funds (contract)",
                    "group": "enterprise_matching",
                    "amount": 1200000,
                    "doi": _doi(22),
                },
                {
                    "title": "Government funding received by the enterprise",
                    "group": "government_funding",
                    "amount": 1000000,
                    "doi": _doi(23),
                },
            ],
        ),
        "[evidence.programme.duration]",
        "start = 2026-07-01",
        "end = 2029-06-30",
        "",
    ]
)
