"""Samples of the ``accuracy`` check: classified maps with reference samples.

- ``geoglam_pass``: GEOGLAM base map (3 m, 97% of 400 samples correct), crop-type
  map (8 m, 12 crop classes, stratified sample, ~95%), pest hotspot map (5 m,
  96%): every 95% interval above its threshold;
- ``geoglam_fail``: base map at 80% and crop types at 70%: intervals below;
- ``landcover_inconclusive``: land cover (10 m) at 87% of 150 samples against
  "> 85%" — the interval straddles the threshold; its LAI products (2, continuous,
  within ±15% of the reference), change products (5, each > 80%), interpretation
  models (10 land-cover models, each > 90%), the glacial-lake class (stratified,
  99% per class) and every counted, resolution and area claim of eco_env,
  sat_interp and glof pass.

:func:`class_map`, :func:`reference_points` and :func:`write_points_csv` are the
building blocks; tests and the notebook use them for other cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rasterio.transform import from_origin

from geoverify.testing.samples.common import (
    COMMON_EVIDENCE,
    items_toml,
    project_header,
    rng,
    write_geopackage,
    write_raster,
    write_text,
)

__all__ = ["build", "class_map", "reference_points", "write_points_csv"]

CRS = "EPSG:32650"  # UTM zone 50N (North China Plain)
CROPS = [
    "maize",
    "winter wheat",
    "rice",
    "soybean",
    "cotton",
    "peanut",
    "rapeseed",
    "potato",
    "sorghum",
    "millet",
    "vegetables",
    "orchard",
]


def class_map(
    shape: tuple[int, int], n_classes: int, seed: int, *, smooth: float = 6.0, noise: float = 0.02
) -> np.ndarray:
    """A classified map (uint8 codes 1..n_classes): smooth random fields, pixel-level edges.

    Each pixel takes the class of the largest of ``n_classes`` smoothed Gaussian
    fields, so patches have irregular, pixel-sharp boundaries (not an upsampled
    grid), and a fraction ``noise`` of pixels is reassigned at random.
    """
    from scipy.ndimage import gaussian_filter

    g = rng(seed)
    fields = np.stack([gaussian_filter(g.normal(size=shape), smooth) for _ in range(n_classes)])
    out = (fields.argmax(axis=0) + 1).astype(np.uint8)
    flip = g.random(shape) < noise
    out[flip] = g.integers(1, n_classes + 1, int(flip.sum()), dtype=np.uint8)
    return out


def reference_points(
    classes: np.ndarray,
    transform: Any,
    *,
    n: int | None = None,
    per_class: int | None = None,
    accuracy: float | dict[int, float],
    seed: int,
    nodata: int | None = 0,
) -> dict[str, np.ndarray]:
    """Reference samples at pixel centres of a class map, with a controlled share correct.

    Simple random (``n`` pixels) or stratified by map class (``per_class`` pixels in
    each class).  In each stratum exactly ``round(accuracy × n_h)`` samples keep the
    map class; the others get another class at random.

    Returns
    -------
    dict with ``x``, ``y`` (map CRS), ``row``, ``col``, ``map`` and ``reference``.
    """
    g = rng(seed)
    valid = classes != nodata if nodata is not None else np.ones(classes.shape, bool)
    codes = np.unique(classes[valid])
    flat = np.flatnonzero(valid.ravel())
    if per_class is None:
        picks = [g.choice(flat, size=n, replace=False)]
    else:
        picks = [
            g.choice(
                np.flatnonzero((classes.ravel() == c) & valid.ravel()),
                size=per_class,
                replace=False,
            )
            for c in codes
        ]
    idx_all, ref_all = [], []
    for pick in picks:
        mapped = classes.ravel()[pick]
        acc = accuracy if isinstance(accuracy, float) else accuracy.get(int(mapped[0]), 0.9)
        k_ok = round(acc * len(pick))
        wrong = g.permutation(len(pick))[k_ok:]
        ref = mapped.copy()
        for i in wrong:
            others = codes[codes != mapped[i]]
            ref[i] = g.choice(others)
        idx_all.append(pick)
        ref_all.append(ref)
    idx = np.concatenate(idx_all)
    rows, cols = np.divmod(idx, classes.shape[1])
    x = transform.c + (cols + 0.5) * transform.a
    y = transform.f + (rows + 0.5) * transform.e
    return {
        "x": x,
        "y": y,
        "row": rows,
        "col": cols,
        "map": classes.ravel()[idx],
        "reference": np.concatenate(ref_all),
    }


def write_points_csv(
    path: Path, points: dict[str, np.ndarray], crs: str = CRS, labels: dict[int, str] | None = None
) -> Path:
    """Write samples as CSV with WGS 84 ``lon``/``lat`` (8 decimals) and ``reference``."""
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(
        points["x"], points["y"]
    )
    lines = ["id,lon,lat,reference"]
    for i, (a, b, r) in enumerate(zip(lon, lat, points["reference"], strict=True)):
        ref = labels.get(int(r), str(r)) if labels else str(int(r))
        lines.append(f"{i + 1},{a:.8f},{b:.8f},{ref}")
    return write_text(path, "\n".join(lines) + "\n")


def _write_gpkg(
    path: Path, points: dict[str, np.ndarray], labels: dict[int, str] | None, crs: str = CRS
) -> Path:
    import geopandas as gpd

    refs = [labels.get(int(r), str(r)) if labels else int(r) for r in points["reference"]]
    frame = gpd.GeoDataFrame(
        {"reference": refs}, geometry=gpd.points_from_xy(points["x"], points["y"]), crs=crs
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    write_geopackage(frame, path, layer="reference")
    return path


def _legend_toml(labels: dict[int, str]) -> str:
    return "legend = { " + ", ".join(f'{k} = "{v}"' for k, v in labels.items()) + " }"


def _map(
    folder: Path,
    name: str,
    shape: tuple[int, int],
    n_classes: int,
    seed: int,
    pixel: float,
    origin: tuple[float, float] = (440_000.0, 4_080_000.0),
    blocksize: int = 256,
) -> tuple[np.ndarray, Any]:
    classes = class_map(shape, n_classes, seed)
    transform = from_origin(origin[0], origin[1], pixel, pixel)
    write_raster(
        folder / "data" / name, classes, crs=CRS, transform=transform, nodata=0, blocksize=blocksize
    )
    return classes, transform


def _item_blocks(
    folder: Path,
    indicator: str,
    prefix: str,
    count: int,
    accuracy: float,
    n: int,
    seed: int,
    pixel: float,
    title: str,
    extra: tuple[str, ...] = (),
) -> str:
    out = []
    for k in range(count):
        classes, t = _map(
            folder, f"{prefix}_{k + 1:02d}.tif", (128, 128), 4, seed + k, pixel, blocksize=128
        )
        pts = reference_points(classes, t, n=n, accuracy=accuracy, seed=seed + 100 + k)
        write_points_csv(folder / "data" / f"{prefix}_{k + 1:02d}_reference.csv", pts)
        out += [
            f"[[evidence.{indicator}.items]]",
            f'title = "{title} {k + 1:02d}"',
            f'map = "data/{prefix}_{k + 1:02d}.tif"',
            f'reference = "data/{prefix}_{k + 1:02d}_reference.csv"',
            'field = "reference"',
            *extra,
            f'doi = "10.5281/zenodo.{9_300_000 + seed + k}"',
            "",
        ]
    return "\n".join(out)


def _geoglam(root: Path, name: str, *, passing: bool) -> None:
    folder = root / name
    crops = {i + 1: c for i, c in enumerate(CROPS)}
    # base map: 3 m, 5 land classes, simple random sample of 400 points
    base, tb = _map(folder, "basemap_3m.tif", (512, 512), 5, 301, 3.0)
    pts = reference_points(
        base, tb, n=400 if passing else 300, accuracy=0.97 if passing else 0.80, seed=302
    )
    _write_gpkg(folder / "data" / "basemap_reference.gpkg", pts, None)
    # crop types: 8 m, 12 classes, stratified by map class (30 samples per class)
    crop, tc = _map(folder, "croptype_8m.tif", (384, 384), 12, 311, 8.0)
    levels = (1.0, 0.97, 0.93, 0.9) if passing else (0.75, 0.7, 0.65, 0.7)
    acc: dict[int, float] = {c: levels[c % 4] for c in crops}
    pts = reference_points(crop, tc, per_class=30, accuracy=acc, seed=312)
    write_points_csv(folder / "data" / "croptype_reference.csv", pts, labels=crops)
    parts = [
        project_header(
            "Crop monitoring base and crop types (sample, " + ("passes)" if passing else "fails)"),
            ["geoglam", "pest"] if passing else ["geoglam"],
            "SAMPLE-ACC-GEOGLAM-" + ("PASS" if passing else "FAIL"),
        ),
        "[evidence.geoglam.basemap_resolution]",
        'raster = "data/basemap_3m.tif"',
        "",
        "[evidence.geoglam.basemap_accuracy]",
        'map = "data/basemap_3m.tif"',
        'reference = "data/basemap_reference.gpkg"',
        'field = "reference"',
        'design = "simple"',
        "",
        "[evidence.geoglam.croptype_resolution]",
        'raster = "data/croptype_8m.tif"',
        "",
        "[evidence.geoglam.croptype_classes]",
        'raster = "data/croptype_8m.tif"',
        _legend_toml(crops),
        "",
        "[evidence.geoglam.croptype_accuracy]",
        'map = "data/croptype_8m.tif"',
        'reference = "data/croptype_reference.csv"',
        'field = "reference"',
        'design = "stratified"',
        _legend_toml(crops),
        "",
    ]
    if passing:
        hot, th = _map(folder, "pest_hotspots_5m.tif", (256, 256), 2, 321, 5.0)
        pts = reference_points(hot, th, n=300, accuracy=0.96, seed=322)
        write_points_csv(
            folder / "data" / "pest_reference.csv", pts, labels={1: "healthy", 2: "hotspot"}
        )
        parts += [
            "[evidence.pest.hotspot_resolution]",
            'raster = "data/pest_hotspots_5m.tif"',
            "",
            "[evidence.pest.hotspot_accuracy]",
            'map = "data/pest_hotspots_5m.tif"',
            'reference = "data/pest_reference.csv"',
            'legend = { 1 = "healthy", 2 = "hotspot" }',
            "",
            _claims_met(folder),
            COMMON_EVIDENCE,
        ]
    write_text(folder / "submission.toml", "\n".join(parts))


#: Monitoring-base sites (lon, lat) in typical African and Asian countries.
_BASEMAP_SITES = [
    ("Nakuru, Kenya", 36.07, -0.30),
    ("Adama, Ethiopia", 39.27, 8.54),
    ("Dodoma, Tanzania", 35.74, -6.17),
    ("Kano, Nigeria", 8.52, 12.00),
    ("Faisalabad, Pakistan", 73.08, 31.42),
    ("Khon Kaen, Thailand", 102.83, 16.44),
    ("Can Tho, Viet Nam", 105.78, 10.03),
]


def _warning_tables(folder: Path, seed: int) -> None:
    """120 locust warnings, 112 verified 16–35 days ahead; 8 false alarms; 3 missed outbreaks."""
    g = rng(seed)
    regions = ["KEN-01", "KEN-02", "ETH-03", "SOM-01", "PAK-04"]
    start = np.datetime64("2027-01-01")
    warn_rows, out_rows = ["hazard,region,issued"], ["hazard,region,onset"]
    for k in range(120):
        region = regions[k % len(regions)]
        issued = start + np.timedelta64(int(k * 5), "D")
        warn_rows.append(f"desert_locust,{region},{issued}")
        if k % 15 != 7:  # 8 of 120 warnings are false alarms
            onset = issued + np.timedelta64(int(g.integers(16, 36)), "D")
            out_rows.append(f"desert_locust,{region},{onset}")
    for k in range(3):  # outbreaks no warning preceded
        out_rows.append(f"desert_locust,YEM-0{k + 1},2027-0{k + 3}-15")
    write_text(folder / "data" / "pest_warnings.csv", "\n".join(warn_rows) + "\n")
    write_text(folder / "data" / "pest_outbreaks.csv", "\n".join(out_rows) + "\n")


def _claims_met(folder: Path) -> str:
    """Evidence for the counted, country and warning indicators of geoglam and pest."""
    sites = ["name,lon,lat"] + [f'"{n}",{lon},{lat}' for n, lon, lat in _BASEMAP_SITES]
    write_text(folder / "data" / "basemap_sites.csv", "\n".join(sites) + "\n")
    _warning_tables(folder, 331)

    def items(indicator: str, rows: list[tuple[str, str]], seed: int) -> list[str]:
        out = []
        for k, (title, extra) in enumerate(rows):
            out += [f"[[evidence.{indicator}.items]]", f'title = "{title}"']
            out += [extra] if extra else []
            out += [f'doi = "10.5281/zenodo.{9_400_000 + seed + k}"', ""]
        return out

    methods = [
        ("Monitoring-base construction technique", "base_construction"),
        ("Sustainable-practice monitoring method", "sustainable_practice_monitoring"),
        ("Full-coverage crop identification technique", "crop_identification"),
        ("Field-level yield prediction method", "yield_prediction"),
    ]
    lines = [
        "# --- geoglam: sites of the monitoring base, methods, platform, centre ---",
        "[evidence.geoglam.basemap_countries]",
        'sites = "data/basemap_sites.csv"',
        "",
        *items("geoglam.methods", [(t, f'category = "{c}"') for t, c in methods], 0),
        *items(
            "geoglam.platform",
            [
                (
                    "Crop-monitoring cloud platform in GEO Knowledge Hub",
                    "knowledge_hub_listed = 1\ngeoglam_listed = 1",
                )
            ],
            10,
        ),
        *items("geoglam.regional_centres", [("Regional crop-monitoring centre, Nairobi", "")], 20),
        "# --- pest: warnings scored against observed outbreaks, and counted outputs ---",
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
        *items("pest.hazard_types", [("Desert locust", ""), ("Pine wilt disease", "")], 30),
        *items(
            "pest.adopted_reports",
            [
                (f"Thematic map and report {k + 1:02d} adopted by FAO", "adopted = 1")
                for k in range(11)
            ],
            40,
        ),
        *items("pest.sharing_modes", [("Open data and product sharing mode", "")], 60),
        *items(
            "pest.warning_system",
            [
                (
                    "Pest and disease monitoring and early-warning system",
                    "multi_source_data_access = 1\nintelligent_analysis = 1\n"
                    "risk_prediction = 1\ninformation_release = 1",
                )
            ],
            65,
        ),
        *items(
            "pest.demo_countries",
            [
                (f"Demonstration in {c}", f'country = "{c}"\nsite = "{site}"')
                for c, site in (("KEN", "Nakuru"), ("ETH", "Adama"), ("PAK", "Faisalabad"))
            ],
            70,
        ),
    ]
    return "\n".join(lines)


def _lai_items(folder: Path, count: int, seed: int) -> str:
    """Continuous products (LAI, m²/m², 10 m) with reference values within a few percent.

    Each map is a smooth LAI field (0.5–6); 200 reference values at pixel centres
    depart from the map by a relative error of standard deviation 4% (every one
    within the ±15% tolerance the catalogue states, relative RMSE ≈ 4%).
    """
    from pyproj import Transformer
    from scipy.ndimage import gaussian_filter

    out = []
    to_lonlat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    for k in range(count):
        g = rng(seed + k)
        field = gaussian_filter(g.normal(size=(128, 128)), 6.0)
        field = (field - field.min()) / (field.max() - field.min())
        lai = (0.5 + 5.5 * field).astype("float32")
        transform = from_origin(440_000.0, 4_080_000.0, 10.0, 10.0)
        name = f"variable_{k + 1:02d}"
        write_raster(
            folder / "data" / f"{name}.tif",
            lai,
            crs=CRS,
            transform=transform,
            nodata=-1.0,
            blocksize=128,
        )
        idx = g.choice(lai.size, size=200, replace=False)
        rows, cols = np.divmod(idx, lai.shape[1])
        x = transform.c + (cols + 0.5) * transform.a
        y = transform.f + (rows + 0.5) * transform.e
        lon, lat = to_lonlat.transform(x, y)
        error = np.clip(g.normal(0.0, 0.04, size=idx.size), -0.12, 0.12)
        ref = lai.ravel()[idx] * (1.0 + error)
        lines = ["id,lon,lat,lai"] + [
            f"{i + 1},{a:.8f},{b:.8f},{v:.4f}"
            for i, (a, b, v) in enumerate(zip(lon, lat, ref, strict=True))
        ]
        write_text(folder / "data" / f"{name}_reference.csv", "\n".join(lines) + "\n")
        out += [
            "[[evidence.eco_env.variable_accuracy.items]]",
            f'title = "Asia-Pacific leaf area index product {k + 1:02d}"',
            f'map = "data/{name}.tif"',
            f'reference = "data/{name}_reference.csv"',
            'field = "lai"',
            f'doi = "10.5281/zenodo.{9_300_000 + seed + k}"',
            "",
        ]
    return "\n".join(out)


_GLOF_LEGEND = {1: "glacier", 2: "hazardous_lake", 3: "stable_lake"}


def _valid_block(
    path: Path, shape: tuple[int, int], *, crs: str, origin: tuple[float, float], pixel: float
) -> Path:
    """A block of valid data (value 1, nodata 0): an extent whose area is measured."""
    return write_raster(
        path,
        np.ones(shape, dtype="uint8"),
        crs=crs,
        transform=from_origin(origin[0], origin[1], pixel, pixel),
        nodata=0,
    )


def _landcover_claims(folder: Path) -> str:
    """Evidence meeting every other eco_env, sat_interp and glof indicator."""
    from geoverify.testing.samples.spine import texture

    write_raster(
        folder / "data" / "global_lai_250m.tif",
        texture((128, 128), 431),
        crs="EPSG:6933",
        transform=from_origin(10_000_000.0, 3_000_000.0, 250.0, 250.0),
        nodata=0,
    )
    # the demonstration regions of the interpretation models: 6° × 6° over Indochina
    _valid_block(
        folder / "data" / "demo_regions_0p25deg.tif",
        (24, 24),
        crs="EPSG:4326",
        origin=(100.0, 22.0),
        pixel=0.25,
    )
    for k, (x0, y0) in enumerate(((300_000.0, 3_200_000.0), (420_000.0, 3_150_000.0))):
        # 120 × 120 cells of 100 m: about 144 km² each (≥ 100 km²)
        _valid_block(
            folder / "data" / f"glof_demo_area_{k + 1}.tif",
            (120, 120),
            crs="EPSG:32645",
            origin=(x0, y0),
            pixel=100.0,
        )

    def doi(n: int) -> str:
        return f"10.5281/zenodo.{9_600_000 + n}"

    languages = ["Chinese", "English", "French", "Spanish", "Russian"]
    cities = ["Vientiane", "Phnom Penh", "Hanoi", "Bangkok", "Yangon"]
    return "\n".join(
        [
            "# --- eco_env: variable products, their grids, reports, tools, platform ---",
            items_toml(
                "eco_env.variable_products",
                [
                    {"title": f"Ecological variable product {v}", "doi": doi(k)}
                    for k, v in enumerate(
                        ["LAI", "FVC", "FPAR", "NPP", "GPP", "ET", "albedo", "LST", "AGB", "SM"]
                    )
                ],
            ),
            "[evidence.eco_env.global_variable_resolution]",
            'raster = "data/global_lai_250m.tif"',
            "",
            "[evidence.eco_env.asia_pacific_variable_resolution]",
            'raster = "data/variable_01.tif"',
            "",
            items_toml(
                "eco_env.report_languages",
                [
                    {"title": f"Global ecosystem report ({lang})", "doi": doi(20 + k)}
                    for k, lang in enumerate(languages)
                ],
            ),
            items_toml(
                "eco_env.online_tools",
                [
                    {"title": f"Online analysis tool {k + 1:02d}", "doi": doi(30 + k)}
                    for k in range(10)
                ],
            ),
            items_toml(
                "eco_env.platform",
                [{"title": "Ecosystem monitoring platform", "url": "https://example.org/eco"}],
            ),
            "# --- sat_interp: demonstrations, platforms, benchmark, ARD ---",
            items_toml(
                "sat_interp.demo_cities",
                [
                    {"title": f"Demonstration in {c}", "city": c, "doi": doi(50 + k)}
                    for k, c in enumerate(cities)
                ],
            ),
            "[evidence.sat_interp.demo_area]",
            'raster = "data/demo_regions_0p25deg.tif"',
            "",
            items_toml(
                "sat_interp.cleaning_platform",
                [{"title": "Domestic satellite data cleaning cloud platform", "doi": doi(60)}],
            ),
            items_toml(
                "sat_interp.consistency_benchmark",
                [{"title": "Cross-sensor consistency benchmark", "doi": doi(61)}],
            ),
            items_toml(
                "sat_interp.ard_products",
                [{"title": "Analysis-ready data products (domestic satellites)", "doi": doi(62)}],
            ),
            "# --- glof: demonstration areas, inventory, chain model, system ---",
            items_toml(
                "glof.demo_areas",
                [
                    {
                        "title": f"Glacial-lake demonstration area {k + 1}",
                        "raster": f"data/glof_demo_area_{k + 1}.tif",
                        "doi": doi(70 + k),
                    }
                    for k in range(2)
                ],
            ),
            items_toml(
                "glof.hazard_inventory",
                [{"title": "Glacial-lake hazard inventory", "coverage": 100, "doi": doi(80)}],
            ),
            items_toml(
                "glof.chain_model",
                [
                    {
                        "title": "GLOF chain-hazard model and risk grading",
                        "mechanism_model": 1,
                        "risk_grading": 1,
                        "doi": doi(81),
                    }
                ],
            ),
            items_toml(
                "glof.demo_system",
                [{"title": "GLOF monitoring and warning demonstration system", "doi": doi(82)}],
            ),
        ]
    )


def _landcover(root: Path) -> None:
    folder = root / "landcover_inconclusive"
    lc, tl = _map(folder, "landcover_10m.tif", (384, 384), 8, 401, 10.0)
    pts = reference_points(lc, tl, n=150, accuracy=0.87, seed=402)
    _write_gpkg(folder / "data" / "landcover_reference.gpkg", pts, None)
    glof, tg = _map(folder, "glacial_lakes_10m.tif", (256, 256), 3, 411, 10.0)
    pts = reference_points(glof, tg, per_class=200, accuracy=0.99, seed=412)
    write_points_csv(folder / "data" / "glacial_lakes_reference.csv", pts, labels=_GLOF_LEGEND)
    parts = [
        project_header(
            "Ecosystem products, interpretation models and glacial lakes (sample, inconclusive)",
            ["eco_env", "sat_interp", "glof"],
            "SAMPLE-ACC-LANDCOVER-INCONCLUSIVE",
        ),
        "[evidence.eco_env.landcover_resolution]",
        'raster = "data/landcover_10m.tif"',
        "",
        "[evidence.eco_env.landcover_accuracy]",
        'map = "data/landcover_10m.tif"',
        'reference = "data/landcover_reference.gpkg"',
        'field = "reference"',
        "",
        "[evidence.glof.identification_accuracy]",
        'map = "data/glacial_lakes_10m.tif"',
        'reference = "data/glacial_lakes_reference.csv"',
        'design = "stratified"',
        _legend_toml(_GLOF_LEGEND),
        "",
        _lai_items(folder, 2, 420),
        _item_blocks(
            folder,
            "eco_env.change_products",
            "change",
            5,
            0.92,
            150,
            440,
            10.0,
            "Global change-analysis product",
        ),
        _item_blocks(
            folder,
            "sat_interp.models",
            "model",
            10,
            0.98,
            200,
            460,
            2.0,
            "Interpretation model",
            extra=('model_kind = "land_cover"',),
        ),
        _landcover_claims(folder),
        COMMON_EVIDENCE,
    ]
    write_text(folder / "submission.toml", "\n".join(parts))


def build(root: Path) -> None:
    """Write the accuracy samples under ``root`` (deterministic, a few hundred KB each)."""
    root = Path(root)
    _geoglam(root, "geoglam_pass", passing=True)
    _geoglam(root, "geoglam_fail", passing=False)
    _landcover(root)
