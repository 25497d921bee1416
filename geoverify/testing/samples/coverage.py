"""Samples exercising the rest of the catalogue (issue 12: every indicator, every check both ways).

- ``services_pass``: the directions no other sample covers — global urban elements
  (human_planet), urban heat (urban_heat), Fengyun services (fengyun), Asian water
  (asia_water), climate-smart agriculture (csa) and tropical forest biomass
  (biomass): time series of two or more steps per product, a 15-minute NetCDF
  series, a 500 m grid, 1,600 ha of ground-survey data, local funds twice the
  central ones, and every counted claim with its declared fields;
- ``data_checks_fail``: data checks that fail on purpose — pest warnings half of
  them false alarms and issued 5–12 days ahead, karst stations in 5 countries
  (against 15), an ecosystem map with 12 types (against 30), 0.25° valid data over
  Lao PDR only (≈ 230,000 km² against 2,000,000 km²) and local matching funds 1.5×
  the central funds (against 2×).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rasterio.transform import from_origin

from geoverify.testing.samples.common import (
    COMMON_EVIDENCE,
    items_toml,
    project_header,
    rng,
    write_raster,
    write_text,
)

__all__ = ["build", "subhourly_series"]


def _doi(prefix: int, n: int) -> str:
    return f"10.5281/zenodo.{prefix * 1000 + n}"


def subhourly_series(
    path: Path, *, steps: int, minutes: int, seed: int, start: str = "2027-07-01T00:00"
) -> Path:
    """Write a small CF NetCDF series (20 × 20 cells, 0.05°) at a fixed step in minutes.

    Parameters
    ----------
    path : Path
        Output file.
    steps : int
        Number of time steps.
    minutes : int
        Step between consecutive times, in minutes.
    seed : int
        Seed of the deterministic field.
    start : str
        First time (ISO 8601, UTC).
    """
    import xarray as xr

    g = rng(seed)
    data = np.clip(g.normal(290.0, 4.0, size=(steps, 20, 20)), 250, 330).astype("float32")
    lon = 100.0 + 0.05 * (np.arange(20) + 0.5)
    lat = 25.0 - 0.05 * (np.arange(20) + 0.5)
    ds = xr.Dataset(
        {
            "value": (
                ("time", "lat", "lon"),
                data,
                {"units": "K", "long_name": "brightness temperature", "_FillValue": -9999.0},
            )
        },
        coords={
            "time": (
                "time",
                np.arange(steps, dtype="int32") * minutes,
                {"units": f"minutes since {start.replace('T', ' ')}:00", "calendar": "standard"},
            ),
            "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
        },
        attrs={"title": "Synthetic sample series", "Conventions": "CF-1.8"},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(path, encoding={"value": {"zlib": True, "complevel": 4}}, format="NETCDF4")
    return path


def _yearly_series(path: Path, years: list[int], seed: int) -> Path:
    """A small annual NetCDF series (one map per year, 1 July)."""
    from geoverify.testing.samples.data_checks import host_series

    return host_series(path, years, seed=seed)


def _services_pass(root: Path) -> None:
    from geoverify.testing.samples.spine import texture

    folder = root / "services_pass"
    data = folder / "data"
    for k in range(5):
        _yearly_series(data / f"urban_series_{k + 1}.nc", [2015, 2020, 2025], seed=700 + k)
    subhourly_series(data / "fy4_agri_15min.nc", steps=8, minutes=15, seed=710)
    write_raster(
        data / "fy3_product_500m.tif",
        texture((128, 128), 711),
        crs="EPSG:32647",
        transform=from_origin(600_000.0, 1_700_000.0, 500.0, 500.0),
        nodata=0,
    )
    # ground-survey plots of a nested biomass dataset: 400 × 400 cells of 10 m = 1,600 ha
    write_raster(
        data / "biomass_plots_10m.tif",
        texture((400, 400), 712),
        crs="EPSG:32748",
        transform=from_origin(300_000.0, 9_700_000.0, 10.0, 10.0),
        nodata=0,
    )
    parts = [
        project_header(
            "Urban, water, agriculture, Fengyun and biomass services (sample, passes)",
            ["human_planet", "urban_heat", "fengyun", "asia_water", "csa", "biomass"],
            "SAMPLE-SERVICES-PASS",
        ),
        "# --- human_planet: case studies, software, time-series products ---",
        items_toml(
            "human_planet.case_studies",
            [{"title": f"Urban SDG case study {k + 1}", "doi": _doi(701, k)} for k in range(5)],
        ),
        items_toml(
            "human_planet.software",
            [{"title": "Urban element extraction software", "doi": _doi(702, 0)}],
        ),
        items_toml(
            "human_planet.timeseries_products",
            [
                {
                    "title": f"Global urban element series {name}",
                    "file": f"data/urban_series_{k + 1}.nc",
                    "variable": "host_probability",
                    "time_dim": "time",
                    "doi": _doi(703, k),
                }
                for k, name in enumerate(
                    ["built-up extent", "impervious surface", "green space", "population", "GDP"]
                )
            ],
        ),
        "# --- urban_heat: foreign cities, local matching funds, method, platform ---",
        items_toml(
            "urban_heat.foreign_cities",
            [
                {
                    "title": f"Heat-island demonstration in {c}",
                    "city": c,
                    "country": iso3,
                    "doi": _doi(711, k),
                }
                for k, (c, iso3) in enumerate([("Bangkok", "THA"), ("Karachi", "PAK")])
            ],
        ),
        items_toml(
            "urban_heat.local_matching",
            [
                {
                    "title": "Central funding (project budget)",
                    "group": "central",
                    "amount": 2_000_000,
                    "doi": _doi(712, 0),
                },
                {
                    "title": "Local government matching funds (contract)",
                    "group": "local",
                    "amount": 4_500_000,
                    "doi": _doi(712, 1),
                },
            ],
        ),
        items_toml(
            "urban_heat.fusion_method",
            [{"title": "Multi-source LST fusion method", "doi": _doi(713, 0)}],
        ),
        items_toml(
            "urban_heat.platform",
            [{"title": "Urban heat monitoring platform", "url": "https://example.org/heat"}],
        ),
        items_toml(
            "urban_heat.ghrs_support",
            [{"title": "Support to the GEO Global Heat Resilience Service", "doi": _doi(714, 0)}],
        ),
        "# --- fengyun: products, time step from data, grid, countries, service ---",
        items_toml(
            "fengyun.products",
            [{"title": f"Fengyun service product {k + 1}", "doi": _doi(721, k)} for k in range(6)],
        ),
        "[evidence.fengyun.time_step]",
        'file = "data/fy4_agri_15min.nc"',
        'variable = "value"',
        'time_dim = "time"',
        "",
        "[evidence.fengyun.resolution]",
        'raster = "data/fy3_product_500m.tif"',
        "",
        items_toml(
            "fengyun.countries",
            [
                {"title": f"Fengyun service in {c}", "country": c, "doi": _doi(722, k)}
                for k, c in enumerate(["THA", "PAK", "BGD"])
            ],
        ),
        items_toml(
            "fengyun.customisable_service",
            [{"title": "Customisable Fengyun data service", "url": "https://example.org/fy"}],
        ),
        "# --- asia_water: region types, products, production system ---",
        items_toml(
            "asia_water.region_types",
            [
                {"title": f"Water products for {t} regions", "doi": _doi(731, k)}
                for k, t in enumerate(["arid", "monsoon", "plateau", "delta", "karst"])
            ],
        ),
        items_toml(
            "asia_water.products",
            [{"title": f"Asian water product {k + 1}", "doi": _doi(732, k)} for k in range(6)],
        ),
        items_toml(
            "asia_water.production_system",
            [{"title": "Water product production system", "doi": _doi(733, 0)}],
        ),
        "# --- csa: countries, decision method, service mode ---",
        items_toml(
            "csa.countries",
            [
                {
                    "title": f"Climate-smart agriculture demonstration, {c}",
                    "country": c,
                    "doi": _doi(741, k),
                }
                for k, c in enumerate(["PAK", "KEN", "LAO"])
            ],
        ),
        items_toml(
            "csa.decision_method",
            [{"title": "Climate-smart decision method", "doi": _doi(742, 0)}],
        ),
        items_toml(
            "csa.service_mode", [{"title": "Agricultural service mode", "doi": _doi(743, 0)}]
        ),
        "# --- biomass: methods, ground-survey area, rainforest sites ---",
        items_toml(
            "biomass.methods",
            [
                {"title": "Lidar-radar biomass fusion method", "doi": _doi(751, 0)},
                {"title": "Tree-height allometry transfer method", "doi": _doi(751, 1)},
            ],
        ),
        "[evidence.biomass.ground_survey_area]",
        'raster = "data/biomass_plots_10m.tif"',
        "",
        items_toml(
            "biomass.rainforest_sites",
            [
                {"title": f"Rainforest site {site}", "partner_country": c, "doi": _doi(752, k)}
                for k, (site, c) in enumerate(
                    [("Danum Valley", "MYS"), ("Yasuni", "ECU"), ("Lope", "GAB")]
                )
            ],
        ),
        COMMON_EVIDENCE,
    ]
    write_text(folder / "submission.toml", "\n".join(parts))


def _warnings(folder: Path, seed: int) -> None:
    """40 locust warnings, 20 of them false alarms, the others 5–12 days ahead."""
    g = rng(seed)
    start = np.datetime64("2027-03-01")
    warn_rows, out_rows = ["hazard,region,issued"], ["hazard,region,onset"]
    for k in range(40):
        region = ["KEN-01", "ETH-03", "PAK-04", "SOM-01"][k % 4]
        issued = start + np.timedelta64(k * 7, "D")
        warn_rows.append(f"desert_locust,{region},{issued}")
        if k % 2 == 0:
            onset = issued + np.timedelta64(int(g.integers(5, 13)), "D")
            out_rows.append(f"desert_locust,{region},{onset}")
    write_text(folder / "data" / "pest_warnings.csv", "\n".join(warn_rows) + "\n")
    write_text(folder / "data" / "pest_outbreaks.csv", "\n".join(out_rows) + "\n")


def _data_checks_fail(root: Path) -> None:
    from geoverify.testing.samples.accuracy import class_map
    from geoverify.testing.samples.data_checks import land_mask

    folder = root / "data_checks_fail"
    data = folder / "data"
    _warnings(folder, 801)
    stations = [
        ("CHN", 110.29, 25.27),
        ("VNM", 105.98, 20.25),
        ("LAO", 102.45, 19.88),
        ("THA", 98.98, 18.79),
        ("IDN", 110.37, -7.8),
    ]
    rows = ["station,country,lon,lat"] + [
        f"K{i + 1:02d},{c},{lon},{lat}" for i, (c, lon, lat) in enumerate(stations)
    ]
    write_text(data / "karst_stations.csv", "\n".join(rows) + "\n")
    ecosystems = class_map((128, 128), 12, 802, smooth=4.0, noise=0.0)
    write_raster(
        data / "ecosystem_2025_16m.tif",
        ecosystems,
        crs="EPSG:32648",
        transform=from_origin(600_000.0, 1_500_000.0, 16.0, 16.0),
        nodata=0,
    )
    mask = land_mask(100.0, 23.0, 0.25, (40, 40), ["LAO"])
    write_raster(
        data / "ntl_valid_2027_025deg.tif",
        mask,
        crs="EPSG:4326",
        transform=from_origin(100.0, 23.0, 0.25, 0.25),
        nodata=0,
    )
    legend = ", ".join(f'{k} = "Ecosystem type {k:02d}"' for k in range(1, 13))
    parts = [
        "# Data checks failing on purpose: warnings, countries, classes, area and share.",
        project_header(
            "Pest warnings, karst stations, ecosystems, night light, urban funds (sample, fails)",
            ["pest", "karst", "asean_eco", "night_light", "urban_heat"],
            "SAMPLE-DATA-CHECKS-FAIL",
        ),
        "# 40 warnings: 20 false alarms, the others 5–12 days before the outbreak",
        "[evidence.pest.warning_lead]",
        'warnings = "data/pest_warnings.csv"',
        'outbreaks = "data/pest_outbreaks.csv"',
        "window_days = 60",
        "",
        "[evidence.pest.warning_accuracy]",
        'warnings = "data/pest_warnings.csv"',
        'outbreaks = "data/pest_outbreaks.csv"',
        "window_days = 60",
        "",
        "# monitoring stations in 5 countries (the call asks for 15)",
        "[evidence.karst.data_countries]",
        'sites = "data/karst_stations.csv"',
        "",
        "# 12 ecosystem types (the call asks for 30)",
        "[evidence.asean_eco.types]",
        'raster = "data/ecosystem_2025_16m.tif"',
        f"legend = {{ {legend} }}",
        "",
        "# valid night-light data over Lao PDR only",
        "[evidence.night_light.application_area]",
        'raster = "data/ntl_valid_2027_025deg.tif"',
        "",
        "# local matching funds 1.5× the central funds (the call asks for 2×)",
        items_toml(
            "urban_heat.local_matching",
            [
                {
                    "title": "Central funding (project budget)",
                    "group": "central",
                    "amount": 2_000_000,
                    "doi": _doi(811, 0),
                },
                {
                    "title": "Local government matching funds (contract)",
                    "group": "local",
                    "amount": 3_000_000,
                    "doi": _doi(811, 1),
                },
            ],
        ),
    ]
    write_text(folder / "submission.toml", "\n".join(parts))


def build(root: Path) -> None:
    """Write ``services_pass/`` and ``data_checks_fail/`` under ``root`` (deterministic)."""
    root = Path(root)
    _services_pass(root)
    _data_checks_fail(root)
