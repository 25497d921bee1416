"""Samples of the wildfire direction (``wildfire``) and an upsampled "10 m" crop map.

- ``wildfire_pass``: the burned-area product in two parts, so that files stay
  small and each verdict is honest about what it measures:

  * ``data/ba_global_1deg_2027.tif`` — a global *observation summary* of the
    product at 1° (360 × 180, int16): burn day-of-year, 0 unburned, −1
    unobserved, −2 unburnable (FireCCI51 conventions), with a land mask on the
    same grid.  It decides **coverage** (99.58% of the land area observed).
  * ``data/ba_tile_250m.tif`` — a native 250 m regional tile of the product
    (UTM 50N, 512 × 512, day-of-year).  It decides **resolution** (250 m ≤ 300 m;
    the upsampling screen finds no interpolation lattice) and, with the
    reference tile ``data/ref_tile_250m.tif``, the **agreement** (Dice 71.1%).

  plus 32 fire events, 21 emission models and two service deployments (one
  domestic, one foreign).
- ``wildfire_fail``: a 500 m tile (> 300 m) and a global summary with 4.5% of
  the land cells unobserved (coverage 94.3% of the land area < 99%); 12 fire events, 8 models, one
  domestic deployment.
- ``upsampled_10m``: a crop-type map on a 10 m grid (nominally within 5–10 m)
  that is really a 30 m map replicated 3 × 3 (nearest neighbour); the
  effective-resolution screen (:mod:`geoverify.stats.sharpness`) finds factor 3.

Every number comes from a seeded generator: the files are identical bit for bit
on every run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rasterio.transform import from_origin
from scipy import ndimage

from geoverify.testing.samples.common import (
    COMMON_EVIDENCE,
    project_header,
    rng,
    write_raster,
    write_text,
)

__all__ = ["build", "global_land", "global_summary", "native_tile"]

_GLOBAL = from_origin(-180.0, 90.0, 1.0, 1.0)


def global_land(seed: int = 7) -> np.ndarray:
    """A synthetic 1° land mask (180 × 360, uint8 1 = land), ~30% land, none beyond 80°."""
    g = rng(seed)
    field = ndimage.gaussian_filter(g.standard_normal((180, 360)), 6.0, mode="wrap")
    land = field > np.quantile(field, 0.70)
    land[:10, :] = False
    land[170:, :] = False
    return land.astype(np.uint8)


def global_summary(land: np.ndarray, unobserved_share: float, seed: int) -> np.ndarray:
    """Annual burn-date summary on the 1° grid: DOY on burned land, 0, −1 and −2 flags.

    ``unobserved_share`` of the land cells (a compact patch, the way persistent
    cloud or a missing orbit looks) carry −1.
    """
    g = rng(seed)
    out = np.where(land == 1, 0, -2).astype(np.int16)
    land_idx = np.flatnonzero(land.ravel())
    burned = g.choice(land_idx, size=land_idx.size // 20, replace=False)
    out.ravel()[burned] = g.integers(1, 366, burned.size)
    # unobserved: the land cells nearest to a seed cell, up to the requested share
    want = round(unobserved_share * land_idx.size)
    if want:
        rows, cols = np.divmod(land_idx, land.shape[1])
        centre = land_idx[g.integers(0, land_idx.size)]
        cr, cc = divmod(int(centre), land.shape[1])
        dist = (rows - cr) ** 2 + np.minimum(abs(cols - cc), 360 - abs(cols - cc)) ** 2
        out.ravel()[land_idx[np.argsort(dist, kind="stable")[:want]]] = -1
    return out


def native_tile(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A native burned-area tile (day of year, 0 unburned) and a reference that mostly agrees.

    Burn scars are thresholded power-law noise (rough edges down to the pixel), so
    the tile carries detail at its own resolution; the reference misses some
    scar edges and adds a few (Dice coefficient 71% for the passing sample).
    """
    g = rng(seed)
    fy, fx = np.fft.fftfreq(size)[:, None], np.fft.fftfreq(size)[None, :]
    f = np.hypot(fy, fx)
    f[0, 0] = 1.0
    amp = f**-1.2
    amp[0, 0] = 0.0
    field = np.fft.ifft2(amp * np.exp(2j * np.pi * g.random((size, size)))).real
    burned = field > np.quantile(field, 0.85)
    doy = np.where(burned, 150 + (field * 40 / field.std()).astype(np.int16) % 60, 0)
    noise = ndimage.gaussian_filter(g.standard_normal((size, size)), 1.0)
    ref = (field + 0.5 * field.std() * noise / noise.std()) > np.quantile(field, 0.86)
    return doy.astype(np.int16), ref.astype(np.uint8)


def _items(indicator: str, rows: list[dict[str, object]]) -> str:
    out = []
    for row in rows:
        out.append(f"[[evidence.{indicator}.items]]")
        for key, value in row.items():
            out.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
        out.append("")
    return "\n".join(out)


def _events(n: int) -> list[dict[str, object]]:
    places = [
        "Yunnan",
        "Sichuan",
        "Inner Mongolia",
        "Heilongjiang",
        "Siberia",
        "Borneo",
        "Sumatra",
        "California",
        "Amazonas",
        "New South Wales",
        "Alberta",
        "Portugal",
    ]
    return [
        {
            "title": f"Forest fire {i + 1:02d}, {places[i % len(places)]} "
            f"(FY-4 geostationary + polar orbiters)",
            "event": f"{places[i % len(places)]} fire {2026 + i // 12}-{i % 12 + 1:02d}",
            # every third event is also seen by a Chinese geostationary satellite (FY-4)
            "observed_by": "chinese_geostationary" if i % 3 == 0 else "polar_orbiter",
            "doi": f"10.5281/zenodo.{9_200_000 + i}",
        }
        for i in range(n)
    ]


def _service(common: bool) -> str:
    """The PM2.5 health assessment and the service system (passing sample only)."""
    if not common:
        return ""
    return "\n".join(
        [
            _items(
                "wildfire.pm25_health",
                [
                    {
                        "title": "Global wildfire PM2.5 exposure and health-impact assessment",
                        "global_scope": 1,
                        "pm25": 1,
                        "health_impact": 1,
                        "doi": "10.5281/zenodo.9400010",
                    }
                ],
            ),
            _items(
                "wildfire.service_system",
                [
                    {
                        "title": "Global wildfire monitoring and emission service system",
                        "url": "https://example.org/wildfire-service",
                    }
                ],
            ),
        ]
    )


def _models(n: int) -> list[dict[str, object]]:
    names = [
        "GFED",
        "GFAS",
        "FINN",
        "QFED",
        "FEER",
        "GBBEPx",
        "IS4FIRES",
        "FLAMBE",
        "CAMS-GFAS-FRP",
        "BB-CN",
        "WFEI",
        "FRE-AOD",
        "CLASSIC",
        "JULES-INFERNO",
        "ORCHIDEE-SPITFIRE",
        "LPJ-GUESS-SIMFIRE",
        "CLM5",
        "CTEM",
        "JSBACH-SPITFIRE",
        "MC-FIRE",
        "LPJmL-SPITFIRE",
        "SSiB4-TRIFFID",
    ]
    return [
        {
            "title": f"Global fire emissions 2026-2028, model {names[i]}",
            "doi": f"10.5281/zenodo.{9_300_000 + i}",
        }
        for i in range(n)
    ]


def _deployments(foreign: bool) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {
            "title": "Deployment at the national forest-fire prevention centre (China)",
            "category": "domestic",
            "doi": "10.5281/zenodo.9400001",
        },
    ]
    if foreign:
        rows.append(
            {
                "title": "Deployment at the Lao PDR Department of Forestry fire service",
                "category": "foreign",
                "doi": "10.5281/zenodo.9400002",
            }
        )
    return rows


def _write_global(folder: Path, unobserved_share: float, seed: int) -> None:
    land = global_land()
    write_raster(
        folder / "data" / "land_mask_1deg.tif", land, crs="EPSG:4326", transform=_GLOBAL, nodata=255
    )
    write_raster(
        folder / "data" / "ba_global_1deg_2027.tif",
        global_summary(land, unobserved_share, seed),
        crs="EPSG:4326",
        transform=_GLOBAL,
        nodata=-9999,
    )


def _manifest(
    title: str,
    ident: str,
    tile: str,
    agreement: str,
    n_events: int,
    n_models: int,
    foreign: bool,
    common: bool,
    note: str,
) -> str:
    parts = [
        "# geoverify sample submission (synthetic data, deterministic generator:",
        "# geoverify.testing.samples.wildfire).",
        *[f"# {line}" for line in note.strip().splitlines()],
        project_header(title, ["wildfire"], ident),
        "[evidence.wildfire.burned_area_resolution]",
        "# the native regional tile: its pixel size is the product's resolution",
        f'raster = "{tile}"',
        "",
        "[evidence.wildfire.burned_area_coverage]",
        "# the 1° global observation summary: -1 unobserved, -2 unburnable (FireCCI51)",
        'raster = "data/ba_global_1deg_2027.tif"',
        'land_mask = "data/land_mask_1deg.tif"',
        "unobserved = -1",
        "unburnable = -2",
        "",
        "[evidence.wildfire.burned_area_agreement]",
        f'raster = "{tile}"',
        f'reference = "{agreement}"',
        "",
        _items("wildfire.fire_events", _events(n_events)),
        _items("wildfire.emission_models", _models(n_models)),
        _items("wildfire.service_deployments", _deployments(foreign)),
        _service(common),
    ]
    if common:
        parts.append(COMMON_EVIDENCE)
    return "\n".join(parts) + "\n"


def _wildfire_pass(root: Path) -> None:
    folder = root / "wildfire_pass"
    _write_global(folder, unobserved_share=0.004, seed=11)
    doy, ref = native_tile(512, seed=12)
    t = from_origin(400_000.0, 2_600_000.0, 250.0, 250.0)
    write_raster(
        folder / "data" / "ba_tile_250m.tif", doy, crs="EPSG:32650", transform=t, nodata=-9999
    )
    write_raster(
        folder / "data" / "ref_tile_250m.tif", ref, crs="EPSG:32650", transform=t, nodata=255
    )
    note = """
Design: a global 300 m product is ~9e9 pixels, too big for a sample.  Coverage is
decided by a 1° global observation summary of the product (valid / -1 unobserved /
-2 unburnable per cell, with a land mask on the same grid); resolution and agreement
by a native 250 m regional tile of the same product and a reference tile (e.g.
from Landsat/Sentinel-2 fire perimeters).  Each verdict says which file decided it.
"""
    write_text(
        folder / "submission.toml",
        _manifest(
            "Global burned area 2026-2029 (sample, passing)",
            "SAMPLE-WILDFIRE-PASS",
            "data/ba_tile_250m.tif",
            "data/ref_tile_250m.tif",
            32,
            21,
            True,
            True,
            note,
        ),
    )


def _wildfire_fail(root: Path) -> None:
    folder = root / "wildfire_fail"
    _write_global(folder, unobserved_share=0.045, seed=21)
    doy, ref = native_tile(256, seed=22)
    t = from_origin(400_000.0, 2_600_000.0, 500.0, 500.0)
    write_raster(
        folder / "data" / "ba_tile_500m.tif", doy, crs="EPSG:32650", transform=t, nodata=-9999
    )
    write_raster(
        folder / "data" / "ref_tile_500m.tif", ref, crs="EPSG:32650", transform=t, nodata=255
    )
    note = """
Failing on purpose: 500 m pixels (> 300 m), 4.5% of the land cells never observed
(coverage 94.3% of the land area < 99%), 12 fire events (< 30), 8 emission models (< 20), and
a domestic deployment only.
"""
    write_text(
        folder / "submission.toml",
        _manifest(
            "Regional burned area (sample, failing)",
            "SAMPLE-WILDFIRE-FAIL",
            "data/ba_tile_500m.tif",
            "data/ref_tile_500m.tif",
            12,
            8,
            False,
            False,
            note,
        ),
    )


def upsampled_crop_map(native_size: int = 200, factor: int = 3, seed: int = 31) -> np.ndarray:
    """A crop-type map (codes 1…8) at 30 m, replicated ``factor`` × ``factor`` (nearest)."""
    g = rng(seed)
    field = ndimage.gaussian_filter(g.standard_normal((native_size, native_size)), 2.0)
    edges = np.quantile(field, np.linspace(0, 1, 9)[1:-1])
    native = (np.digitize(field, edges) + 1).astype(np.uint8)
    return np.repeat(np.repeat(native, factor, axis=0), factor, axis=1)


def _upsampled_10m(root: Path) -> None:
    folder = root / "upsampled_10m"
    crops = upsampled_crop_map()
    write_raster(
        folder / "data" / "croptype_10m.tif",
        crops,
        crs="EPSG:32650",
        transform=from_origin(500_000.0, 4_400_000.0, 10.0, 10.0),
        nodata=0,
    )
    text = "\n".join(
        [
            "# geoverify sample submission (synthetic data, deterministic generator:",
            "# geoverify.testing.samples.wildfire).",
            "# A crop-type map delivered on a 10 m grid that is really a 30 m map",
            "# replicated 3 x 3 (nearest neighbour): nominally within 5-10 m, the",
            "# effective-resolution screen must catch it (factor 3, effective 30 m).",
            project_header(
                "Crop types at 10 m (sample, upsampled 30 m)", ["geoglam"], "SAMPLE-UPSAMPLED-10M"
            ),
            "[evidence.geoglam.croptype_resolution]",
            'raster = "data/croptype_10m.tif"',
            "",
        ]
    )
    write_text(folder / "submission.toml", text)


def build(root: Path) -> None:
    """Write ``wildfire_pass/``, ``wildfire_fail/`` and ``upsampled_10m/`` under ``root``."""
    root = Path(root)
    _wildfire_pass(root)
    _wildfire_fail(root)
    _upsampled_10m(root)
