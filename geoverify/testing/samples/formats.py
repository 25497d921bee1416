"""Samples delivering their products in the formats the field produces (issue 14).

- ``wildfire_netcdf_pass``: the burned-area product as CF NetCDF in the ESA Fire_cci
  (FireCCI51) layout, ``JD`` with its flags (0 unburned, day of year, −1 not observed,
  −2 not burnable), ``CL``, ``time``, ``lat``/``lon`` and a ``crs`` grid mapping:

  * ``data/FireCCI51_2027_JD_global_0.25deg.nc`` — the year on a coarse global
    0.25° grid (1440 × 720; a 250 m global file is ~2.6e10 pixels, too big for a
    sample).  It decides **coverage** (``file`` + ``variable``) against the land
    mask geoverify ships: 0.3% of the land unobserved (a compact patch, as
    persistent cloud looks) leaves 99.58% covered, ≥ 99%.  Its 0.25° cells would
    fail "≤ 300 m": it is not the evidence of resolution.
  * ``data/FireCCI51_2027_JD_tile.nc`` — a regional tile at Fire_cci's native
    pixel, 0.00224579° (~250 m; 256 × 256 over Yunnan).  It decides
    **resolution** (``raster`` + ``variable``; ~249 m ≤ 300 m) and, with the
    reference tile ``data/reference_2027_JD_tile.nc`` on the same grid, the
    **agreement** (Dice).

  plus the counted evidence of ``wildfire_pass`` (32 events, 21 models, two
  deployments, the PM2.5 assessment, the service system) and the common indicators.
- ``ghg_swath_pass``: XCO2 and NO2 precision decided from level-2 swaths, not from
  a collocation table: geoverify collocates the pixels with the reference sites
  (``radius_km``, ``window_minutes``, stated in the manifest):

  * ``ghg/oco2_LtCO2_2027_overpasses.nc4`` — OCO-2 Lite layout (``sounding_id``,
    ``time`` in s since 1970, ``xco2`` in ppm with fill −999999, ``Sounding``
    group): 48 overpasses of 24 soundings over 8 TCCON-like stations; references
    ``ghg/tccon_xco2.csv``; 100 km, 60 min.
  * ``ghg/S5P_L2__NO2____2027_overpasses.nc`` — TROPOMI NO2 L2 layout (groups
    ``PRODUCT`` and ``PRODUCT/SUPPORT_DATA/GEOLOCATIONS``, ``delta_time`` in ms,
    fill 9.96921e36, ``qa_value`` packed), one ``time`` step per overpass: 20
    overpasses of 8 × 8 pixels over 5 Pandora-like sites (``mol m-2``);
    references ``ghg/pandora_no2.csv``; 15 km, 60 min.

  XCH4, detections, latency and the counted items are those of ``ghg_pass``'s kind
  (tables), so that every indicator of the direction is decided.

Every number comes from a seeded generator and the NetCDF attributes carry fixed
dates: the files are identical bit for bit on every run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geoverify.testing.samples.common import COMMON_EVIDENCE, project_header, rng, write_text
from geoverify.testing.samples.ghg import (
    _MOLEC_CM2_PER_MOL_M2,
    _PANDORA,
    _TCCON,
    DEMO_SOURCES,
    _collocations,
    _demo_items,
    _detections,
    _timings,
    _write_csv,
)
from geoverify.testing.samples.products import (
    FILL,
    FIRECCI_STEP,
    firecci_netcdf,
    oco2_lite,
    tropomi_no2_arrays,
)
from geoverify.testing.samples.wildfire import (
    _deployments,
    _events,
    _items,
    _models,
    _service,
    native_tile,
)

__all__ = ["build", "global_firecci"]

#: Grid of the coarse global file (degrees).
GLOBAL_STEP = 0.25
#: North-west corner of the native tile (degrees east, north).
TILE_ORIGIN = (100.0, 25.0)


# --------------------------------------------------------------------------- wildfire


def global_firecci(unobserved_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``JD`` and ``CL`` of a year on the global 0.25° grid, shape ``(1, 720, 1440)``.

    Land is the land of the mask geoverify ships (:func:`geoverify.geo.landmask.land_at`
    at the cell centres), Antarctica and water −2 (not burnable); 4% of the land
    cells burn on a random day; ``unobserved_share`` of the land cells nearest to a
    point in the Congo basin (persistent cloud) are −1.
    """
    from geoverify.geo.landmask import ANTARCTIC_LATITUDE, land_at

    g = rng(seed)
    rows, cols = round(180 / GLOBAL_STEP), round(360 / GLOBAL_STEP)
    lat = 90.0 - (np.arange(rows) + 0.5) * GLOBAL_STEP
    lon = -180.0 + (np.arange(cols) + 0.5) * GLOBAL_STEP
    lons, lats = np.meshgrid(lon, lat)
    land = land_at(lons, lats) & (lats > ANTARCTIC_LATITUDE)
    jd = np.where(land, 0, -2).astype(np.int16)
    land_idx = np.flatnonzero(land.ravel())
    burned = np.sort(g.choice(land_idx, size=land_idx.size // 25, replace=False))
    jd.ravel()[burned] = g.integers(1, 366, burned.size)
    cl = np.zeros(jd.shape, dtype=np.uint8)
    cl.ravel()[burned] = g.integers(50, 101, burned.size)
    want = round(unobserved_share * land_idx.size)
    dist = (lons.ravel()[land_idx] - 20.0) ** 2 + (lats.ravel()[land_idx] - 0.0) ** 2
    unobserved = land_idx[np.argsort(dist, kind="stable")[:want]]
    jd.ravel()[unobserved] = -1
    cl.ravel()[unobserved] = 0
    return jd[None], cl[None]


def _wildfire_netcdf_pass(root: Path) -> None:
    folder = root / "wildfire_netcdf_pass"
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    jd, cl = global_firecci(unobserved_share=0.003, seed=41)
    firecci_netcdf(
        data / "FireCCI51_2027_JD_global_0.25deg.nc",
        jd,
        cl=cl,
        west=-180.0,
        north=90.0,
        step=GLOBAL_STEP,
        title="Fire_cci Burned Area product, annual summary on a 0.25 degree grid (sample)",
    )
    doy, ref = native_tile(256, seed=42)
    west, north = TILE_ORIGIN
    firecci_netcdf(
        data / "FireCCI51_2027_JD_tile.nc",
        doy[None],
        west=west,
        north=north,
        step=FIRECCI_STEP,
        title="Fire_cci Pixel Burned Area product, regional tile (sample)",
    )
    ref_jd = np.where(ref == 1, np.where(doy > 0, doy, 200), 0).astype(np.int16)
    firecci_netcdf(
        data / "reference_2027_JD_tile.nc",
        ref_jd[None],
        west=west,
        north=north,
        step=FIRECCI_STEP,
        title="Reference burned area from Sentinel-2 fire perimeters on the product grid (sample)",
    )
    manifest = "\n".join(
        [
            "# geoverify sample submission (synthetic data, deterministic generator:",
            "# geoverify.testing.samples.formats).",
            "# The burned-area product delivered as CF NetCDF in the ESA Fire_cci layout",
            "# (JD: day of year, 0 unburned, -1 not observed, -2 not burnable). Coverage is",
            "# decided by the year on a coarse 0.25 deg global grid (its cells are not the",
            "# product's resolution); resolution and agreement by a tile at the native",
            "# 0.00224579 deg (~250 m) pixel and a reference on the same grid.",
            project_header(
                "Global burned area 2026-2029 as CF NetCDF (sample, passing)",
                ["wildfire"],
                "SAMPLE-WILDFIRE-NETCDF-PASS",
            ),
            "[evidence.wildfire.burned_area_resolution]",
            'raster = "data/FireCCI51_2027_JD_tile.nc"',
            'variable = "JD"',
            "",
            "[evidence.wildfire.burned_area_coverage]",
            'file = "data/FireCCI51_2027_JD_global_0.25deg.nc"',
            'variable = "JD"',
            "unobserved = -1",
            "unburnable = -2",
            "",
            "[evidence.wildfire.burned_area_agreement]",
            'raster = "data/FireCCI51_2027_JD_tile.nc"',
            'reference = "data/reference_2027_JD_tile.nc"',
            "",
            _items("wildfire.fire_events", _events(32)),
            _items("wildfire.emission_models", _models(21)),
            _items("wildfire.service_deployments", _deployments(True)),
            _service(True),
            COMMON_EVIDENCE,
        ]
    )
    write_text(folder / "submission.toml", manifest)


# --------------------------------------------------------------------------- ghg


def _overpass_utc(day: np.datetime64, lon: float) -> np.datetime64:
    """13:30 local solar time (the afternoon constellation's crossing) in UTC."""
    return day + np.timedelta64(round((13.5 - lon / 15.0) * 3600), "s")


def _oco2_overpasses(
    g: np.random.Generator, folder: Path, passes: int = 6, soundings: int = 24
) -> pd.DataFrame:
    """OCO-2 Lite soundings over the TCCON-like stations and the stations' references.

    Per overpass: ``soundings`` soundings 3 Hz apart on a north–south track
    0.03° apart, offset east or west of the station by up to 0.3°; XCO2 = the
    station's reference + a bias of 0.3 ppm + a station offset + an overpass
    error (0.8 ppm) + single-sounding noise (1.2 ppm); one sounding in 12 is fill.
    The reference is measured within ±20 min of the overpass.
    """
    lons, lats, secs, values, refs = [], [], [], [], []
    offsets = g.normal(0.0, 0.25, len(_TCCON))
    for s, (name, lon, lat) in enumerate(_TCCON):
        for k in range(passes):
            day = np.datetime64("2027-03-01") + np.timedelta64(int(7 + 30 * k + s), "D")
            t0 = _overpass_utc(day, lon)
            reference = 421.0 + 0.5 * k + g.normal(0.0, 1.5)
            track_lon = lon + g.uniform(-0.3, 0.3)
            lat_k = lat - 0.36 + 0.03 * np.arange(soundings)
            t_k = (t0 - np.datetime64("1970-01-01T00:00:00", "s")).astype("int64") + np.arange(
                soundings
            ) / 3.0
            x = reference + 0.3 + offsets[s] + g.normal(0.0, 0.8) + g.normal(0.0, 1.2, soundings)
            x[(np.arange(soundings) + k) % 12 == 0] = -999999.0
            lons.append(np.full(soundings, track_lon))
            lats.append(lat_k)
            secs.append(t_k)
            values.append(x)
            when = t0 + np.timedelta64(int(g.integers(-1200, 1201)), "s")
            refs.append((name, lon, lat, f"{when}Z", round(reference, 3)))
    order = np.argsort(np.concatenate(secs), kind="stable")
    oco2_lite(
        folder / "oco2_LtCO2_2027_overpasses.nc4",
        np.concatenate(lons)[order],
        np.concatenate(lats)[order],
        np.concatenate(secs)[order],
        np.concatenate(values)[order],
    )
    frame = pd.DataFrame(refs, columns=["station", "lon", "lat", "time", "reference"])
    return frame.sort_values("time", kind="stable").reset_index(drop=True)


def _tropomi_overpasses(
    g: np.random.Generator, folder: Path, passes: int = 4, size: int = 8
) -> pd.DataFrame:
    """TROPOMI NO2 overpass extracts over the Pandora-like sites and the sites' references.

    One ``time`` step per overpass: ``size`` × ``size`` ground pixels of 0.05° ×
    0.065° centred on the site, scanlines 840 ms apart.  The column is the site's
    reference (mol m⁻²) + a bias of 0.2e15 molecules/cm² + an overpass error
    (1.0e15) + pixel noise (1.5e15); every 7th pixel is fill.  All overpasses fall
    in 2027-06-01…20 (``delta_time`` is int32 milliseconds since 2027-06-01).
    """
    start = np.datetime64("2027-06-01T00:00:00", "ms")
    lat_a, lon_a, lat_b, lon_b, delta, data, refs = [], [], [], [], [], [], []
    dlat, dlon = 0.05, 0.065
    half = np.arange(size) - (size - 1) / 2.0
    for s, (name, lon, lat) in enumerate(_PANDORA):
        for k in range(passes):
            day = np.datetime64("2027-06-01") + np.timedelta64(int(1 + 5 * k + s), "D")
            t0 = _overpass_utc(day, lon).astype("datetime64[ms]")
            lat_c = lat + g.uniform(-0.02, 0.02) + dlat * half[:, None] * np.ones((1, size))
            lon_c = lon + g.uniform(-0.02, 0.02) + dlon * half[None, :] * np.ones((size, 1))
            lat_a.append(lat_c)
            lon_a.append(lon_c)
            lat_b.append(
                np.stack(
                    [lat_c - dlat / 2, lat_c - dlat / 2, lat_c + dlat / 2, lat_c + dlat / 2], -1
                )
            )
            lon_b.append(
                np.stack(
                    [lon_c - dlon / 2, lon_c + dlon / 2, lon_c + dlon / 2, lon_c - dlon / 2], -1
                )
            )
            delta.append((t0 - start).astype("int64") + 840 * np.arange(size))
            reference = max(1.0e15, 8.0e15 + g.normal(0.0, 3.0e15))
            column = (
                reference + 0.2e15 + g.normal(0.0, 1.0e15) + g.normal(0.0, 1.5e15, (size, size))
            )
            values = (column / _MOLEC_CM2_PER_MOL_M2).astype("float32")
            values.ravel()[(k + s) % 7 :: 7] = FILL
            data.append(values)
            when = t0 + np.timedelta64(int(g.integers(-900, 901)) * 1000, "ms")
            refs.append(
                (
                    name,
                    lon,
                    lat,
                    f"{when.astype('datetime64[s]')}Z",
                    reference / _MOLEC_CM2_PER_MOL_M2,
                )
            )
    tropomi_no2_arrays(
        folder / "S5P_L2__NO2____2027_overpasses.nc",
        lat=np.stack(lat_a),
        lon=np.stack(lon_a),
        delta_ms=np.stack(delta),
        data=np.stack(data),
        lat_bounds=np.stack(lat_b),
        lon_bounds=np.stack(lon_b),
        start="2027-06-01 00:00:00",
        orbit=49_210,
    )
    frame = pd.DataFrame(refs, columns=["station", "lon", "lat", "time", "reference"])
    return frame.sort_values("time", kind="stable").reset_index(drop=True)


def _ghg_swath_pass(root: Path) -> None:
    folder = root / "ghg_swath_pass"
    data = folder / "ghg"
    data.mkdir(parents=True, exist_ok=True)
    g = rng(601)
    _write_csv(_oco2_overpasses(g, data), data / "tccon_xco2.csv", float_format="%.3f")
    pandora = _tropomi_overpasses(g, data)
    _write_csv(pandora, data / "pandora_no2.csv", float_format="%.6e")
    xch4 = _collocations(
        g,
        gas="XCH4",
        n_per_station=30,
        stations=_TCCON,
        background=1925.0,
        background_sd=12.0,
        bias=2.0,
        station_sd=2.0,
        scatter=7.5,
        reported=7.0,
    )
    xch4["unit"] = "ppb"
    _write_csv(xch4, data / "xch4_collocations.csv")
    _write_csv(_detections(g, [10, 12, 9, 13], duplicates=1), data / "detections.csv")
    _write_csv(_timings(g, 40, slow=None), data / "timings.csv")
    demo = _demo_items(
        DEMO_SOURCES,
        9_500_400,
    )
    manifest = "\n".join(
        [
            "# geoverify sample submission (synthetic data, deterministic generator:",
            "# geoverify.testing.samples.formats).",
            "# XCO2 and NO2 delivered as level-2 swaths in NetCDF4 with groups (OCO-2 Lite,",
            "# TROPOMI NO2 L2 layouts): geoverify collocates the valid pixels with the",
            "# reference sites within the stated radius and time window.",
            project_header(
                "Light space-borne GHG point-source monitoring, L2 swaths (sample, passing)",
                ["ghg"],
                "SAMPLE-GHG-SWATH-PASS",
            ),
            "[evidence.ghg.xco2_precision]",
            'swath = "ghg/oco2_LtCO2_2027_overpasses.nc4"',
            'variable = "xco2"',
            'references = "ghg/tccon_xco2.csv"',
            "radius_km = 100",
            "window_minutes = 60",
            'outliers = "none"',
            "",
            "[evidence.ghg.no2_precision]",
            'swath = "ghg/S5P_L2__NO2____2027_overpasses.nc"',
            'variable = "PRODUCT/nitrogendioxide_tropospheric_column"',
            'references = "ghg/pandora_no2.csv"',
            "radius_km = 15",
            "window_minutes = 60",
            'outliers = "none"',
            "",
            "[evidence.ghg.xch4_precision]",
            'collocations = "ghg/xch4_collocations.csv"',
            'outliers = "none"',
            "",
            "[evidence.ghg.sources_per_orbit]",
            'detections = "ghg/detections.csv"',
            "",
            "[evidence.ghg.onboard_latency]",
            'timings = "ghg/timings.csv"',
            "",
            demo,
            "[[evidence.ghg.constellation_design.items]]",
            'title = "Light GHG point-source constellation: design and simulation report"',
            'doi = "10.5281/zenodo.9500500"',
            "",
            "[[evidence.ghg.annual_reports.items]]",
            'title = "Annual GHG monitoring report 2027"',
            "year = 2027",
            'doi = "10.5281/zenodo.9500501"',
            "",
            "[[evidence.ghg.annual_reports.items]]",
            'title = "Annual GHG monitoring report 2028"',
            "year = 2028",
            'doi = "10.5281/zenodo.9500502"',
            "",
            "# one report for every calendar year of the project (2026-07-01 to 2029-06-30)",
            "[[evidence.ghg.annual_reports.items]]",
            'title = "Annual GHG monitoring report 2026"',
            "year = 2026",
            'doi = "10.5281/zenodo.9500506"',
            "",
            "[[evidence.ghg.annual_reports.items]]",
            'title = "Annual GHG monitoring report 2029"',
            "year = 2029",
            'doi = "10.5281/zenodo.9500507"',
            "",
            COMMON_EVIDENCE,
        ]
    )
    write_text(folder / "submission.toml", manifest)


def build(root: Path) -> None:
    """Write ``wildfire_netcdf_pass/`` and ``ghg_swath_pass/`` under ``root``."""
    root = Path(root)
    _wildfire_netcdf_pass(root)
    _ghg_swath_pass(root)
