"""Samples of the data checks: time series, epochs, areas, countries (issue 4).

- ``zoonosis_pass``: host-distribution NetCDF time series 1992–2020 on a
  0.0025° (~278 m) grid, a GeoTIFF of the last year for the resolution, 2 reports;
- ``zoonosis_gap_fail``: the same series with 2005 missing (fails "1992–2020");
- ``asean_eco_pass``: three 16 m ecosystem maps (2015, 2020, 2025) with 32
  classes and a legend;
- ``night_light_pass``: a 0.25° valid-data mask over Asian land (> 2,000,000 km²)
  and the counted products and services;
- ``karst_pass``: monitoring stations in 16 countries (CSV), real-time stations in
  9 countries (CSV), demonstration sites, models and the platform;
- ``heritage_pass``: a 0.5 m settlement raster, 52 cities in 3 countries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rasterio.transform import from_origin

from geoverify.testing.samples.common import (
    COMMON_EVIDENCE,
    project_header,
    rng,
    write_raster,
    write_text,
)

__all__ = ["build", "host_series", "land_mask"]

#: Grid of the zoonosis samples: 0.0025° cells (≈ 278 m north–south) near Yunnan.
_HOST_ORIGIN = (100.0, 25.1)
_HOST_RES = 0.0025
_HOST_SHAPE = (40, 40)


def _items(indicator: str, rows: list[dict[str, Any]]) -> str:
    out = []
    for row in rows:
        out.append(f"[[evidence.{indicator}.items]]")
        for key, value in row.items():
            out.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
        out.append("")
    return "\n".join(out)


def _doi(prefix: int, n: int) -> str:
    return f"10.5281/zenodo.{prefix * 1000 + n}"


def _smooth_field(shape: tuple[int, int], seed: int, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(rng(seed).normal(size=shape), sigma)


def host_series(path: Path, years: list[int], *, seed: int = 7) -> Path:
    """Write a CF NetCDF of host presence probability (%), one map per year (1 July).

    Parameters
    ----------
    path : Path
        Output file.
    years : list of int
        Years present (a gap is simply a year left out).
    seed : int
        Seed of the deterministic field.
    """
    import xarray as xr

    rows, cols = _HOST_SHAPE
    base = _smooth_field(_HOST_SHAPE, seed, 3.0)
    trend = np.linspace(-0.5, 0.5, len(years))
    data = np.stack([np.clip(50 + 40 * (base + t), 0, 100).astype("uint8") for t in trend])
    lon0, lat0 = _HOST_ORIGIN
    lon = lon0 + _HOST_RES * (np.arange(cols) + 0.5)
    lat = lat0 - _HOST_RES * (np.arange(rows) + 0.5)
    days = [(np.datetime64(f"{y}-07-01") - np.datetime64("1990-01-01")).astype(int) for y in years]
    ds = xr.Dataset(
        {
            "host_probability": (
                ("time", "lat", "lon"),
                data,
                {"units": "%", "long_name": "probability of host presence", "_FillValue": 255},
            )
        },
        coords={
            "time": (
                "time",
                np.asarray(days, dtype="int32"),
                {"units": "days since 1990-01-01", "calendar": "standard", "axis": "T"},
            ),
            "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
        },
        attrs={"title": "Rodent host distribution (synthetic sample)", "Conventions": "CF-1.8"},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    encoding = {"host_probability": {"zlib": True, "complevel": 4}}
    ds.to_netcdf(path, encoding=encoding, format="NETCDF4")
    return path


def _zoonosis(root: Path, name: str, years: list[int], *, passing: bool) -> None:
    folder = root / name
    host_series(folder / "data" / "host_distribution_1992_2020.nc", years)
    lon0, lat0 = _HOST_ORIGIN
    last = np.clip(50 + 40 * _smooth_field(_HOST_SHAPE, 7, 3.0) + 20, 1, 100).astype("uint8")
    write_raster(
        folder / "data" / "host_distribution_2020.tif",
        last,
        crs="EPSG:4326",
        transform=from_origin(lon0, lat0, _HOST_RES, _HOST_RES),
        nodata=0,
    )
    for i in range(2):
        write_text(
            folder / "reports" / f"zoonosis_report_{i + 1}.txt",
            f"Zoonosis risk report {i + 1} (synthetic sample)\n",
        )
    title = "Zoonosis host distribution" + (" (sample, passes)" if passing else " (gap, fails)")
    parts = [
        project_header(title, ["zoonosis"], f"SAMPLE-{name.upper()}"),
        "",
        "[evidence.zoonosis.host_resolution]",
        'raster = "data/host_distribution_2020.tif"',
        "",
        "[evidence.zoonosis.host_period]",
        'file = "data/host_distribution_1992_2020.nc"',
        'variable = "host_probability"',
        'time_dim = "time"',
        "",
        _items(
            "zoonosis.reports",
            [
                {
                    "title": f"Risk assessment report {i + 1}",
                    "file": f"reports/zoonosis_report_{i + 1}.txt",
                }
                for i in range(2)
            ],
        ),
    ]
    if passing:
        parts += [
            _items(
                "zoonosis.monitoring_system",
                [{"title": "Rodent-host monitoring and early-warning system", "doi": _doi(301, 0)}],
            ),
            _items(
                "zoonosis.source_reduction",
                [{"title": "Source-reduction demonstration, Yunnan border", "doi": _doi(301, 1)}],
            ),
            _items(
                "zoonosis.database",
                [
                    {
                        "title": "Zoonosis host and pathogen database",
                        "genome_records": 1,
                        "phenotype_records": 1,
                        "environment_records": 1,
                        "host_distribution_records": 1,
                        "doi": _doi(301, 2),
                    }
                ],
            ),
            COMMON_EVIDENCE,
        ]
    write_text(folder / "submission.toml", "\n".join(parts))


#: 32 ecosystem functional groups of the IUCN Global Ecosystem Typology (GET 2.0) codes.
_GET_CLASSES = [
    "T1.1 Tropical/subtropical lowland rainforests",
    "T1.2 Tropical/subtropical dry forests and thickets",
    "T1.3 Tropical/subtropical montane rainforests",
    "T1.4 Tropical heath forests",
    "T2.2 Deciduous temperate forests",
    "T3.1 Seasonally dry tropical shrublands",
    "T4.2 Pyric tussock savannas",
    "T5.1 Semi-desert steppe",
    "T6.1 Ice sheets, glaciers and perennial snowfields",
    "T7.1 Annual croplands",
    "T7.2 Sown pastures and fields",
    "T7.3 Plantations",
    "T7.4 Urban and industrial ecosystems",
    "F1.1 Permanent upland streams",
    "F1.2 Permanent lowland rivers",
    "F1.3 Freeze-thaw rivers and streams",
    "F2.1 Large permanent freshwater lakes",
    "F2.2 Small permanent freshwater lakes",
    "F3.1 Large reservoirs",
    "F3.2 Constructed lacustrine wetlands",
    "F3.3 Rice paddies",
    "TF1.1 Tropical flooded forests and peat forests",
    "TF1.2 Subtropical/temperate forested wetlands",
    "TF1.4 Seasonal floodplain marshes",
    "MFT1.1 Coastal river deltas",
    "MFT1.2 Intertidal forests and shrublands (mangroves)",
    "MFT1.3 Coastal saltmarshes and reedbeds",
    "M1.1 Seagrass meadows",
    "M1.3 Photic coral reefs",
    "MT1.1 Rocky shorelines",
    "MT1.3 Sandy shorelines",
    "MT3.1 Artificial shorelines",
]


def _ecosystem_map(seed: int) -> np.ndarray:
    field = _smooth_field((256, 256), seed, 4.0)
    edges = np.quantile(field, np.linspace(0, 1, len(_GET_CLASSES) + 1)[1:-1])
    return (np.digitize(field, edges) + 1).astype("uint8")


def _asean_eco(root: Path) -> None:
    folder = root / "asean_eco_pass"
    for i, year in enumerate((2015, 2020, 2025)):
        write_raster(
            folder / "data" / f"ecosystem_{year}_16m.tif",
            _ecosystem_map(100 + i),
            crs="EPSG:32648",
            transform=from_origin(600_000.0, 1_500_000.0, 16.0, 16.0),
            nodata=0,
        )
    legend = "\n".join(f'{k} = "{name}"' for k, name in enumerate(_GET_CLASSES, 1))
    parts = [
        project_header(
            "China–ASEAN ecosystem maps (sample, passes)", ["asean_eco"], "SAMPLE-ASEAN"
        ),
        "",
        "[evidence.asean_eco.resolution]",
        'raster = "data/ecosystem_2025_16m.tif"',
        "",
        "[evidence.asean_eco.epochs]",
        'rasters = ["data/ecosystem_2015_16m.tif", "data/ecosystem_2020_16m.tif", '
        '"data/ecosystem_2025_16m.tif"]',
        "",
        "[evidence.asean_eco.types]",
        'raster = "data/ecosystem_2025_16m.tif"',
        "",
        "[evidence.asean_eco.types.legend]",
        legend,
        "",
        _items(
            "asean_eco.atlas_contribution",
            [{"title": "China–ASEAN ecosystem atlas, chapter contribution", "doi": _doi(351, 0)}],
        ),
        COMMON_EVIDENCE,
    ]
    write_text(folder / "submission.toml", "\n".join(parts))


def land_mask(
    west: float, north: float, res: float, shape: tuple[int, int], iso3: list[str]
) -> np.ndarray:
    import rasterio.features

    from geoverify.geo.regions import country_boundaries

    bounds = country_boundaries()
    chosen = bounds[bounds["iso3"].isin(iso3)]
    return rasterio.features.rasterize(
        [(g, 1) for g in chosen.geometry],
        out_shape=shape,
        transform=from_origin(west, north, res, res),
        dtype="uint8",
    )


_TOWNS = ["Dali", "Lijiang", "Luang Prabang", "Chiang Mai", "Siem Reap", "Bagan"]
_NIGHT_COUNTRIES = ["CHN", "MNG", "KAZ", "LAO", "VNM", "THA", "MMR", "KHM", "NPL", "BGD", "PAK"]


def _night_light(root: Path) -> None:
    folder = root / "night_light_pass"
    mask = land_mask(70.0, 55.0, 0.25, (220, 280), _NIGHT_COUNTRIES)
    write_raster(
        folder / "data" / "ntl_valid_2027_025deg.tif",
        mask,
        crs="EPSG:4326",
        transform=from_origin(70.0, 55.0, 0.25, 0.25),
        nodata=0,
    )
    parts = [
        project_header(
            "Night-light products and services (sample, passes)", ["night_light"], "SAMPLE-NTL"
        ),
        "",
        "[evidence.night_light.application_area]",
        'raster = "data/ntl_valid_2027_025deg.tif"',
        "",
        _items(
            "night_light.products",
            [{"title": f"Night-light product {i + 1}", "doi": _doi(401, i)} for i in range(21)],
        ),
        # the assessments below are among the 21 products (same DOIs): products 1-5
        # humanitarian, 6-11 light pollution, 12-21 regional development
        _items(
            "night_light.humanitarian_products",
            [{"title": f"Humanitarian product {i + 1}", "doi": _doi(401, i)} for i in range(5)],
        ),
        _items(
            "night_light.light_pollution_towns",
            [
                {"title": f"Light-pollution assessment, {t}", "town": t, "doi": _doi(401, 5 + i)}
                for i, t in enumerate(_TOWNS)
            ],
        ),
        _items(
            "night_light.development_countries",
            [
                {"title": f"Development assessment, {c}", "country": c, "doi": _doi(401, 11 + i)}
                for i, c in enumerate(_NIGHT_COUNTRIES[:10])
            ],
        ),
        _items(
            "night_light.international_services",
            [
                {"title": f"Service to international user {i + 1}", "doi": _doi(405, i)}
                for i in range(6)
            ],
        ),
        _items(
            "night_light.sharing_website",
            [{"title": "Night-light data sharing website", "url": "https://example.org/ntl"}],
        ),
        COMMON_EVIDENCE,
    ]
    write_text(folder / "submission.toml", "\n".join(parts))


#: Karst monitoring stations: (ISO3, lon, lat), one or two per country, 16 countries.
_KARST_STATIONS = [
    ("CHN", 110.29, 25.27),
    ("CHN", 106.71, 26.58),
    ("VNM", 105.98, 20.25),
    ("LAO", 102.45, 19.88),
    ("THA", 98.98, 18.79),
    ("MYS", 101.69, 3.14),
    ("IDN", 110.37, -7.8),
    ("PHL", 121.0, 14.6),
    ("SVN", 14.2, 45.9),
    ("HRV", 15.98, 45.81),
    ("ITA", 12.5, 41.9),
    ("FRA", 1.44, 43.6),
    ("ESP", -3.7, 40.42),
    ("USA", -86.1, 37.19),
    ("MEX", -89.62, 20.97),
    ("BRA", -44.0, -19.9),
    ("AUS", 115.86, -31.95),
]
_REALTIME = ["CHN", "VNM", "LAO", "THA", "MYS", "IDN", "SVN", "USA", "MEX"]


def _karst(root: Path) -> None:
    folder = root / "karst_pass"
    rows = ["station,country,lon,lat"] + [
        f"K{i + 1:02d},{c},{lon},{lat}" for i, (c, lon, lat) in enumerate(_KARST_STATIONS)
    ]
    write_text(folder / "data" / "karst_stations.csv", "\n".join(rows) + "\n")
    realtime = ["station,country,lon,lat"] + [
        f"K{i + 1:02d},{c},{lon},{lat}"
        for i, (c, lon, lat) in enumerate(_KARST_STATIONS)
        if c in _REALTIME
    ]
    write_text(folder / "data" / "karst_realtime_stations.csv", "\n".join(realtime) + "\n")
    parts = [
        project_header("Global karst observation (sample, passes)", ["karst"], "SAMPLE-KARST"),
        "",
        "[evidence.karst.data_countries]",
        'sites = "data/karst_stations.csv"',
        "",
        "[evidence.karst.realtime_countries]",
        "# the stations that stream data in real time: countries from their coordinates",
        'sites = "data/karst_realtime_stations.csv"',
        "",
        _items(
            "karst.demo_countries",
            [
                {"title": f"Demonstration site in {c}", "country": c, "doi": _doi(501, i)}
                for i, c in enumerate(["CHN", "VNM", "LAO", "THA", "IDN"])
            ],
        ),
        _items(
            "karst.models",
            [
                {
                    "title": "Karst carrying-capacity model",
                    "category": "carrying_capacity_model",
                    "doi": _doi(502, 1),
                },
                {
                    "title": "Sustainable development pattern",
                    "category": "development_pattern",
                    "doi": _doi(502, 2),
                },
            ],
        ),
        _items(
            "karst.platform",
            [{"title": "Global karst observation platform", "url": "https://example.org/karst"}],
        ),
        COMMON_EVIDENCE,
    ]
    write_text(folder / "submission.toml", "\n".join(parts))


def _heritage(root: Path) -> None:
    from geoverify.testing.samples.spine import texture

    folder = root / "heritage_pass"
    write_raster(
        folder / "data" / "settlements_0p5m.tif",
        texture((256, 256), 31),
        crs="EPSG:32644",
        transform=from_origin(400_000.0, 4_400_000.0, 0.5, 0.5),
        nodata=0,
    )
    countries = ["CHN", "KAZ", "UZB"]
    parts = [
        project_header(
            "Settlement heritage corridor (sample, passes)", ["heritage"], "SAMPLE-HERITAGE"
        ),
        "",
        "[evidence.heritage.resolution]",
        'raster = "data/settlements_0p5m.tif"',
        "",
        _items(
            "heritage.cities",
            [
                {
                    "title": f"Settlement dataset, city {i + 1:02d}",
                    "country": countries[i % 3],
                    "doi": _doi(601, i),
                }
                for i in range(52)
            ],
        ),
        _items(
            "heritage.countries",
            [
                {"title": f"Corridor data from {c}", "country": c, "doi": _doi(602, i)}
                for i, c in enumerate(countries)
            ],
        ),
        _items(
            "heritage.algorithm",
            [{"title": "Settlement heritage recognition algorithm", "doi": _doi(603, 0)}],
        ),
        COMMON_EVIDENCE,
    ]
    write_text(folder / "submission.toml", "\n".join(parts))


def build(root: Path) -> None:
    """Write the data-check samples under ``root`` (one folder each, deterministic)."""
    root = Path(root)
    years = list(range(1992, 2021))
    _zoonosis(root, "zoonosis_pass", years, passing=True)
    _zoonosis(root, "zoonosis_gap_fail", [y for y in years if y != 2005], passing=False)
    _asean_eco(root)
    _night_light(root)
    _karst(root)
    _heritage(root)
