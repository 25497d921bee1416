"""Samples of the spine: counted evidence, nominal resolution, classes, errors on purpose.

- ``spine_pass``: heritage, UAV network and disaster directions — every claim met;
- ``spine_fail``: wildfire with a 500 m burned-area grid against "≤ 300 m" and too
  few fire events;
- ``spine_errors``: a corrupt GeoTIFF, a raster without CRS, a missing file,
  items without usable proof, and indicators without evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from rasterio.transform import from_origin

from geoverify.testing.samples.common import (
    COMMON_EVIDENCE,
    project_header,
    rng,
    write_raster,
    write_text,
)

__all__ = ["build", "texture"]


def texture(shape: tuple[int, int], seed: int, *, smooth: float = 1.0) -> np.ndarray:
    """A native-looking uint8 image: filtered noise with energy up to the pixel scale."""
    from scipy.ndimage import gaussian_filter

    g = rng(seed)
    base = gaussian_filter(g.normal(size=shape), smooth) * 40 + g.normal(size=shape) * 12
    return np.clip(base + 128, 1, 255).astype(np.uint8)


def _items(indicator: str, rows: Sequence[Mapping[str, object]]) -> str:
    out = []
    for row in rows:
        out.append(f"[[evidence.{indicator}.items]]")
        for key, value in row.items():
            if isinstance(value, str):
                out.append(f'{key} = "{value}"')
            else:
                out.append(f"{key} = {value}")
        out.append("")
    return "\n".join(out)


def _doi(prefix: int, n: int) -> str:
    return f"10.5281/zenodo.{prefix * 1000 + n}"


_HERITAGE_COUNTRIES = ["CHN", "KAZ", "UZB", "KGZ"]


def _spine_pass(root: Path) -> None:
    folder = root / "spine_pass"
    write_raster(
        folder / "heritage" / "settlements_0p5m.tif",
        texture((512, 512), 11),
        crs="EPSG:32648",
        transform=from_origin(500_000.0, 2_600_000.0, 0.5, 0.5),
        nodata=0,
    )
    write_text(
        folder / "uav" / "capacity_test_report.txt",
        "UAV network admission test (synthetic sample)\n"
        "Simulated concurrent UAV registrations admitted: 12000\n",
    )
    cities = [
        {
            "title": f"Historic settlement dataset, city {i + 1:02d}",
            "country": _HERITAGE_COUNTRIES[i % 4],
            "doi": _doi(201, i),
        }
        for i in range(52)
    ]
    parts = [
        project_header(
            "Settlement heritage, UAV network and disaster risk (sample, passes)",
            ["heritage", "uav", "disaster"],
            "SAMPLE-SPINE-PASS",
        ),
        "# --- heritage ---",
        "[evidence.heritage.resolution]",
        'raster = "heritage/settlements_0p5m.tif"',
        "",
        _items("heritage.cities", cities),
        _items(
            "heritage.countries",
            [
                {"title": f"Corridor data partner in {c}", "country": c, "doi": _doi(202, i)}
                for i, c in enumerate(_HERITAGE_COUNTRIES[:3])
            ],
        ),
        _items(
            "heritage.algorithm",
            [{"title": "Settlement-pattern extraction algorithm", "doi": _doi(202, 9)}],
        ),
        "# --- UAV network ---",
        _items(
            "uav.network_capacity",
            [
                {
                    "title": "Admission test 2028",
                    "capacity": 12000,
                    "file": "uav/capacity_test_report.txt",
                }
            ],
        ),
        _items(
            "uav.local_networks",
            [
                {"title": f"Local UAV network {c}", "country": c, "doi": _doi(203, i)}
                for i, c in enumerate(["THA", "KEN", "PAK"])
            ],
        ),
        _items(
            "uav.member_countries",
            [
                {"title": f"Local network deployed in {c}", "country": c, "doi": _doi(204, i)}
                for i, c in enumerate(["THA", "KEN", "PAK"])
            ],
        ),
        _items(
            "uav.application_fields",
            [
                {"title": f"Application: {f}", "doi": _doi(205, i)}
                for i, f in enumerate(["ecology", "energy", "urban monitoring"])
            ],
        ),
        _items(
            "uav.gwp_supported",
            [
                {"title": f"GWP activity supported: {f}", "doi": _doi(206, i)}
                for i, f in enumerate(["GEOGLAM", "GEO BON", "EO4SDG"])
            ],
        ),
        "# --- disaster ---",
        _items(
            "disaster.platform",
            [
                {
                    "title": "Climate-disaster monitoring platform",
                    "url": "https://example.org/platform",
                }
            ],
        ),
        _items(
            "disaster.datasets",
            [{"title": f"Climate-disaster dataset {i + 1}", "doi": _doi(207, i)} for i in range(2)],
        ),
        _items("disaster.guide", [{"title": "GEO risk-response guide", "doi": _doi(208, 0)}]),
        _items(
            "disaster.nature_based_cases",
            [{"title": f"Nature-based case {i + 1}", "doi": _doi(209, i)} for i in range(2)],
        ),
        _items(
            "disaster.asia_oceania_demo",
            [
                {
                    "title": "Flood-risk demonstration in Lao PDR",
                    "country": "LAO",
                    "doi": _doi(210, 0),
                }
            ],
        ),
        COMMON_EVIDENCE,
    ]
    write_text(folder / "submission.toml", "\n".join(parts))


def _spine_fail(root: Path) -> None:
    folder = root / "spine_fail"
    # EASE-Grid 2.0 global (equal-area, metres): a 500 m burned-area grid
    burned = (rng(21).random((200, 400)) < 0.05).astype(np.uint8)
    write_raster(
        folder / "burned_area_500m.tif",
        burned,
        crs="EPSG:6933",
        transform=from_origin(1_000_000.0, 2_000_000.0, 500.0, 500.0),
        nodata=255,
    )
    parts = [
        project_header(
            "Global burned area (sample with failures)", ["wildfire"], "SAMPLE-SPINE-FAIL"
        ),
        "[evidence.wildfire.burned_area_resolution]",
        'raster = "burned_area_500m.tif"',
        "",
        _items(
            "wildfire.fire_events",
            [{"title": f"Forest fire case {i + 1}", "doi": _doi(301, i)} for i in range(12)],
        ),
        _items(
            "wildfire.emission_models",
            [{"title": f"Emission model {i + 1}", "doi": _doi(302, i)} for i in range(18)]
            + [{"title": f"Emission model {i + 19} (no proof)"} for i in range(4)],
        ),
        _items(
            "wildfire.service_deployments",
            [
                {
                    "title": "Provincial forest fire centre",
                    "category": "domestic",
                    "doi": _doi(303, 0),
                },
                {
                    "title": "National forest fire centre",
                    "category": "domestic",
                    "doi": _doi(303, 1),
                },
            ],
        ),
    ]
    write_text(folder / "submission.toml", "\n".join(parts))


def _corrupt_copy(path: Path) -> None:
    """Damage the compressed tiles of a GeoTIFF while keeping its header intact."""
    data = bytearray(path.read_bytes())
    start = len(data) // 3
    g = rng(31)
    data[start : start + len(data) // 3] = g.integers(
        0, 256, len(data) // 3, dtype=np.uint8
    ).tobytes()
    path.write_bytes(bytes(data))


def _spine_errors(root: Path) -> None:
    folder = root / "spine_errors"
    corrupt = write_raster(
        folder / "corrupt_settlements.tif",
        texture((512, 512), 41),
        crs="EPSG:32648",
        transform=from_origin(500_000.0, 2_600_000.0, 0.5, 0.5),
        nodata=0,
    )
    _corrupt_copy(corrupt)
    write_raster(
        folder / "host_no_crs.tif",
        texture((64, 64), 42),
        crs=None,
        transform=from_origin(0.0, 0.0, 250.0, 250.0),
    )
    parts = [
        project_header(
            "Heritage and zoonosis (sample with errors and missing evidence)",
            ["heritage", "zoonosis"],
            "SAMPLE-SPINE-ERRORS",
        ),
        "# a GeoTIFF whose tiles are damaged: header readable, pixels not",
        "[evidence.heritage.resolution]",
        'raster = "corrupt_settlements.tif"',
        "",
        "# items whose proofs are unusable: a malformed DOI, a missing file, nothing",
        _items(
            "heritage.cities",
            [
                {"title": "City A", "doi": "10.12/too-short-prefix"},
                {"title": "City B", "file": "proofs/city_b.pdf"},
                {"title": "City C"},
                {"title": "City D", "doi": _doi(401, 0)},
            ],
        ),
        "# a raster without CRS: no ground pixel size",
        "[evidence.zoonosis.host_resolution]",
        'raster = "host_no_crs.tif"',
        "",
        "# a file that is not there",
        "[evidence.zoonosis.host_period]",
        'file = "host_distribution_1992_2020.nc"',
        "",
        "# heritage.countries, zoonosis.reports and the common indicators: no evidence",
    ]
    write_text(folder / "submission.toml", "\n".join(parts))


def build(root: Path) -> None:
    """Write the spine samples under ``root``."""
    _spine_pass(root)
    _spine_fail(root)
    _spine_errors(root)
