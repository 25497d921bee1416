"""Samples of the greenhouse-gas point-source direction (``ghg``).

- ``ghg_pass``: XCO2 collocations with ~1 ppm scatter and a 0.3 ppm bias against
  8 TCCON-like stations, XCH4 with ~8 ppb scatter (two cloud-contaminated
  outliers, screened explicitly with ``outliers = 5``), NO2 in mol/m2 (NetCDF)
  with ~1.5e15 molecules/cm2 scatter against Pandora-like sites; consistent
  error budgets; 14 point sources in the best of 6 orbits; processing times of
  a few seconds; 5 demonstration sources in 5 countries.
- ``ghg_fail``: XCO2 scatter ~5 ppm with a budget claiming ~1 ppm (flagged
  inconsistent); XCH4 from 50 collocations at ~17.5 ppb (inconclusive against
  "better than 18 ppb"); at most 7 sources in an orbit; one source processed in
  12.4 s; 3 demonstration sources in 2 countries.

Every number comes from a seeded generator: the files are identical bit for bit
on every run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geoverify.testing.samples.common import COMMON_EVIDENCE, project_header, rng, write_text

__all__ = ["build"]

#: (station, lon, lat) of TCCON-like reference sites (synthetic values at real places).
_TCCON = [
    ("lamont", -97.49, 36.60),
    ("parkfalls", -90.27, 45.94),
    ("hefei", 117.17, 31.90),
    ("xianghe", 116.96, 39.80),
    ("tsukuba", 140.12, 36.05),
    ("karlsruhe", 8.44, 49.10),
    ("wollongong", 150.88, -34.41),
    ("reunion", 55.49, -20.90),
]

#: (site, lon, lat) of Pandora-like NO2 sites.
_PANDORA = [
    ("beijing", 116.32, 39.99),
    ("seoul", 126.93, 37.56),
    ("delhi", 77.21, 28.63),
    ("rome", 12.50, 41.90),
    ("mexico", -99.18, 19.33),
]

_AVOGADRO = 6.02214076e23
_MOLEC_CM2_PER_MOL_M2 = _AVOGADRO / 1e4

_XCO2_BUDGET_PASS = [
    ("instrument noise", 0.7, "random"),
    ("smoothing", 0.3, "random"),
    ("aerosol interference", 0.4, "random"),
    ("meteorology", 0.2, "random"),
    ("spectroscopy", 0.3, "systematic"),
    ("radiometric calibration", 0.2, "systematic"),
]

_XCH4_BUDGET_PASS = [
    ("instrument noise", 6.0, "random"),
    ("smoothing", 2.0, "random"),
    ("aerosol interference", 3.0, "random"),
    ("surface albedo", 2.0, "random"),
    ("spectroscopy", 4.0, "systematic"),
]

_XCO2_BUDGET_FAIL = [
    ("instrument noise", 0.8, "random"),
    ("smoothing", 0.4, "random"),
    ("aerosol interference", 0.4, "random"),
    ("spectroscopy", 0.5, "systematic"),
]



#: Typical point sources of the passing demonstrations: (name, ISO3, lon, lat), 5 countries.
DEMO_SOURCES = [
    ("Tuoketuo coal power plant, Inner Mongolia", "CHN", 111.36, 40.20),
    ("Sasan ultra mega power plant, Madhya Pradesh", "IND", 82.63, 23.98),
    ("Matimba power station, Limpopo", "ZAF", 27.61, -23.67),
    ("Suralaya power plant, Banten", "IDN", 106.03, -5.89),
    ("Ekibastuz GRES-1, Pavlodar", "KAZ", 75.38, 51.73),
]

def _times(g: np.random.Generator, n: int) -> pd.Series:
    start = np.datetime64("2027-03-01T00:00:00")
    seconds = np.sort(g.integers(0, 200 * 86400, size=n))
    stamps = start + seconds.astype("timedelta64[s]")
    return pd.Series(np.datetime_as_string(stamps, unit="s")) + "Z"


def _collocations(
    g: np.random.Generator,
    *,
    gas: str,
    n_per_station: int,
    stations: list[tuple[str, float, float]],
    background: float,
    background_sd: float,
    bias: float,
    station_sd: float,
    scatter: float,
    reported: float,
) -> pd.DataFrame:
    rows = []
    spread = g.normal(0.0, station_sd, len(stations)) if station_sd > 0 else np.zeros(len(stations))
    offsets = bias + spread - spread.mean()  # the overall bias is the one asked for
    for (name, lon, lat), offset in zip(stations, offsets, strict=True):
        reference = background + g.normal(0.0, background_sd, n_per_station)
        retrieved = reference + offset + g.normal(0.0, scatter, n_per_station)
        rows.append(
            pd.DataFrame(
                {
                    "gas": gas,
                    "station": name,
                    "orbit": g.integers(4000, 9000, n_per_station),
                    "lon": np.round(lon + g.uniform(-0.4, 0.4, n_per_station), 4),
                    "lat": np.round(lat + g.uniform(-0.4, 0.4, n_per_station), 4),
                    "retrieved": retrieved,
                    "reference": reference,
                    "uncertainty": np.abs(g.normal(reported, 0.1 * reported, n_per_station)),
                }
            )
        )
    frame = pd.concat(rows, ignore_index=True)
    frame.insert(1, "time", _times(g, len(frame)))
    return frame


def _write_csv(frame: pd.DataFrame, path: Path, float_format: str = "%.4f") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format=float_format, lineterminator="\n")


def _write_netcdf(frame: pd.DataFrame, path: Path) -> None:
    """Write a 1-D table as NetCDF-3 (scipy engine: no HDF5 timestamps, reproducible)."""
    import xarray as xr

    data = frame.copy()
    data["time"] = pd.to_datetime(data["time"].str.rstrip("Z"))
    ds = xr.Dataset.from_dataframe(data.rename_axis("obs"))
    for column in ("retrieved", "reference", "uncertainty"):
        ds[column].attrs["units"] = "mol m-2"
    ds.attrs["title"] = "Synthetic NO2 tropospheric column collocations (geoverify sample)"
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(path, engine="scipy", format="NETCDF3_64BIT")


def _budget_toml(rows: list[tuple[str, float, str]]) -> str:
    lines = ",\n".join(
        f'  {{ component = "{name}", value = {value}, kind = "{kind}" }}'
        for name, value, kind in rows
    )
    return f"budget = [\n{lines},\n]\n"


def _detections(
    g: np.random.Generator, counts: list[int], *, duplicates: int, pool: int = 40
) -> pd.DataFrame:
    """Candidate sources per orbit, ``counts[i]`` of them detected in orbit ``i``."""
    sources = [f"PS{n:03d}" for n in range(1, pool + 1)]
    lon = np.round(g.uniform(70, 125, pool), 4)
    lat = np.round(g.uniform(20, 45, pool), 4)
    rows = []
    for index, count in enumerate(counts):
        orbit = 12_340 + 15 * index
        seen = g.choice(pool, size=count + 6, replace=False)
        for rank, s in enumerate(seen):
            detected = rank < count
            emission = round(float(g.uniform(300, 3000)), 1) if detected and rank % 2 == 0 else ""
            rows.append((orbit, sources[s], lon[s], lat[s], detected, emission))
    best = int(np.argmax(counts))
    best_rows = [r for r in rows if r[0] == 12_340 + 15 * best and r[4]]
    rows.extend(best_rows[:duplicates])
    frame = pd.DataFrame(rows, columns=["orbit", "source_id", "lon", "lat", "detected", "emission"])
    frame["detected"] = frame["detected"].map({True: "true", False: "false"})
    return frame


def _timings(g: np.random.Generator, n: int, *, slow: float | None) -> pd.DataFrame:
    seconds = np.round(np.exp(g.normal(np.log(3.5), 0.3, n)), 3)
    seconds = np.minimum(seconds, 7.9)
    if slow is not None:
        seconds[n // 2] = slow
    start = np.datetime64("2027-05-01T03:00:00.000") + (
        np.arange(n) * 20_000 + g.integers(0, 5_000, n)
    ).astype("timedelta64[ms]")
    end = start + (seconds * 1000).round().astype("int64").astype("timedelta64[ms]")
    return pd.DataFrame(
        {
            "source_id": [f"PS{n_:03d}" for n_ in range(1, n + 1)],
            "start": pd.Series(np.datetime_as_string(start, unit="ms")) + "Z",
            "end": pd.Series(np.datetime_as_string(end, unit="ms")) + "Z",
        }
    )


def _demo_items(rows: list[tuple[str, str, float, float]], first_doi: int) -> str:
    out = []
    for n, (title, country, lon, lat) in enumerate(rows):
        out += [
            "[[evidence.ghg.demo_sources.items]]",
            f'title = "{title}"',
            f'point_source = "{title.split(",")[0]}"',
            f'country = "{country}"',
            f"lon = {lon}",
            f"lat = {lat}",
            f'doi = "10.5281/zenodo.{first_doi + n}"',
            "",
        ]
    return "\n".join(out)


def _ghg_pass(root: Path) -> None:
    folder = root / "ghg_pass"
    data = folder / "ghg"
    g = rng(501)
    xco2 = _collocations(
        g,
        gas="XCO2",
        n_per_station=45,
        stations=_TCCON,
        background=421.0,
        background_sd=2.0,
        bias=0.3,
        station_sd=0.25,
        scatter=0.95,
        reported=0.9,
    )
    xco2["unit"] = "ppm"
    xch4 = _collocations(
        g,
        gas="XCH4",
        n_per_station=36,
        stations=_TCCON,
        background=1925.0,
        background_sd=12.0,
        bias=2.0,
        station_sd=2.0,
        scatter=7.8,
        reported=7.0,
    )
    xch4.loc[[17, 101], "retrieved"] += [64.0, -58.0]  # cloud-contaminated soundings
    xch4["unit"] = "ppb"
    _write_csv(pd.concat([xco2, xch4], ignore_index=True), data / "collocations.csv")
    no2 = _collocations(
        g,
        gas="NO2",
        n_per_station=40,
        stations=_PANDORA,
        background=8.0e15,
        background_sd=3.0e15,
        bias=0.2e15,
        station_sd=0.3e15,
        scatter=1.45e15,
        reported=1.3e15,
    ).drop(columns="gas")
    for column in ("retrieved", "reference", "uncertainty"):
        no2[column] = no2[column] / _MOLEC_CM2_PER_MOL_M2
    _write_netcdf(no2, data / "no2_collocations.nc")
    budget = pd.DataFrame(_XCH4_BUDGET_PASS, columns=["component", "value", "kind"])
    budget["unit"] = "ppb"
    _write_csv(budget, data / "xch4_budget.csv", float_format="%.2f")
    _write_csv(_detections(g, [9, 12, 8, 14, 11, 10], duplicates=2), data / "detections.csv")
    _write_csv(_timings(g, 64, slow=None), data / "timings.csv")
    demo = _demo_items(
        DEMO_SOURCES,
        9_500_100,
    )
    manifest = "\n".join(
        [
            "# GHG point sources: a product meeting every indicator (synthetic data)",
            project_header(
                "Light space-borne GHG point-source monitoring (sample, passing)",
                ["ghg"],
                "SAMPLE-GHG-PASS",
            ),
            "[evidence.ghg.xco2_precision]",
            'collocations = "ghg/collocations.csv"',
            'outliers = "none"',
            _budget_toml(_XCO2_BUDGET_PASS),
            "[evidence.ghg.xch4_precision]",
            'collocations = "ghg/collocations.csv"',
            "outliers = 5",
            'budget = "ghg/xch4_budget.csv"',
            "",
            "[evidence.ghg.no2_precision]",
            'collocations = "ghg/no2_collocations.nc"',
            'gas = "NO2"',
            'unit = "mol/m2"',
            'budget = { unit = "mol/m2", components = [',
            '  { component = "slant column noise", value = 1.8e-5, kind = "random" },',
            '  { component = "air-mass factor", value = 1.0e-5, kind = "random" },',
            '  { component = "stratosphere separation", value = 0.5e-5, kind = "systematic" },',
            "] }",
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
            'doi = "10.5281/zenodo.9500300"',
            "",
            "[[evidence.ghg.annual_reports.items]]",
            'title = "Annual GHG monitoring report 2027"',
            "year = 2027",
            'doi = "10.5281/zenodo.9500301"',
            "",
            "[[evidence.ghg.annual_reports.items]]",
            'title = "Annual GHG monitoring report 2028"',
            "year = 2028",
            'doi = "10.5281/zenodo.9500302"',
            "",
            "# one report for every calendar year of the project (2026-07-01 to 2029-06-30)",
            "[[evidence.ghg.annual_reports.items]]",
            'title = "Annual GHG monitoring report 2026"',
            "year = 2026",
            'doi = "10.5281/zenodo.9500306"',
            "",
            "[[evidence.ghg.annual_reports.items]]",
            'title = "Annual GHG monitoring report 2029"',
            "year = 2029",
            'doi = "10.5281/zenodo.9500307"',
            "",
            COMMON_EVIDENCE,
        ]
    )
    write_text(folder / "submission.toml", manifest)


def _ghg_fail(root: Path) -> None:
    folder = root / "ghg_fail"
    data = folder / "ghg"
    g = rng(502)
    xco2 = _collocations(
        g,
        gas="XCO2",
        n_per_station=25,
        stations=_TCCON,
        background=421.0,
        background_sd=2.0,
        bias=1.2,
        station_sd=0.8,
        scatter=4.9,
        reported=1.0,
    )
    xco2["unit"] = "ppm"
    xch4 = _collocations(
        g,
        gas="XCH4",
        n_per_station=10,
        stations=_TCCON[:5],
        background=1925.0,
        background_sd=12.0,
        bias=4.0,
        station_sd=0.0,
        scatter=17.3,
        reported=9.0,
    )
    xch4["unit"] = "ppb"
    _write_csv(pd.concat([xco2, xch4], ignore_index=True), data / "collocations.csv")
    _write_csv(_detections(g, [5, 7, 6, 4], duplicates=1), data / "detections.csv")
    _write_csv(_timings(g, 30, slow=12.4), data / "timings.csv")
    demo = _demo_items(
        [
            ("Tuoketuo coal power plant, Inner Mongolia", "CHN", 111.36, 40.20),
            ("Datong coal power plant, Shanxi", "CHN", 113.30, 40.08),
            ("Sasan ultra mega power plant, Madhya Pradesh", "IND", 82.63, 23.98),
        ],
        9_500_200,
    )
    manifest = "\n".join(
        [
            "# GHG point sources: a product missing its claims (synthetic data)",
            "# XCO2 scatter ~5 ppm against a budget of ~1 ppm (inconsistent), XCH4 too few",
            "# collocations to decide (inconclusive), NO2 not given (missing), 7 sources at",
            "# best per orbit, one source processed in 12.4 s, demonstrations in 2 countries.",
            project_header(
                "Light space-borne GHG point-source monitoring (sample, failing)",
                ["ghg"],
                "SAMPLE-GHG-FAIL",
            ),
            "[evidence.ghg.xco2_precision]",
            'collocations = "ghg/collocations.csv"',
            _budget_toml(_XCO2_BUDGET_FAIL),
            "[evidence.ghg.xch4_precision]",
            'collocations = "ghg/collocations.csv"',
            "",
            "[evidence.ghg.sources_per_orbit]",
            'detections = "ghg/detections.csv"',
            "",
            "[evidence.ghg.onboard_latency]",
            'timings = "ghg/timings.csv"',
            "",
            demo,
        ]
    )
    write_text(folder / "submission.toml", manifest)


def build(root: Path) -> None:
    """Write ``ghg_pass/`` and ``ghg_fail/`` under ``root`` (deterministic)."""
    root = Path(root)
    _ghg_pass(root)
    _ghg_fail(root)
