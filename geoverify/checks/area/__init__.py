"""Check kind ``area``: area covered by valid data or by polygons (geodesic)."""

from geoverify.checks.spec import NUMBER, PATH, PATHS, CheckSpec, Param

SPEC = CheckSpec(
    kind="area",
    summary="area in km² covered by valid data (geodesic cell areas) or by polygons",
    measure="geoverify.checks.area.measure:measure_area",
    evidence={
        "raster": PATH,
        "rasters": PATHS,
        "variable": str,
        "vector": PATH,
        "band": int,
        "footprint_resolution_m": NUMBER,
    },
    params={"measure": Param(str, ("valid_area",))},
    stac_key="raster",
    stac_many_key="rasters",
    scans="geoverify.checks.area.measure:plan_area",
)
