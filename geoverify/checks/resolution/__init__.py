"""Check kind ``resolution``: ground pixel size, with the upsampling screen."""

from geoverify.checks.spec import NUMBER, PATH, PATHS, CheckSpec, Param

SPEC = CheckSpec(
    kind="resolution",
    summary="ground pixel size in metres (coarser axis, geodesic for geographic grids) and "
    "the effective resolution of upsampled data",
    measure="geoverify.checks.resolution.measure:measure_resolution",
    evidence={"raster": PATH, "rasters": PATHS, "variable": str, "band": int, "tolerance": NUMBER},
    params={"axis": Param(str, ("coarser",), "the axis that decides")},
    stac_key="raster",
    stac_many_key="rasters",
)
