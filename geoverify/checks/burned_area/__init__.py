"""Check kind ``burned_area``: agreement with reference burned area, and global coverage."""

from geoverify.checks.spec import PATH, PATHS, CheckSpec, Param

SPEC = CheckSpec(
    kind="burned_area",
    summary="burned-area agreement (Dice, omission, commission, relative bias) and the share "
    "of the world's land covered by valid data",
    measure="geoverify.checks.burned_area.measure:measure_burned_area",
    evidence={
        "raster": PATH,
        "rasters": PATHS,
        "file": PATH,
        "variable": str,
        "reference": PATH,
        "field": str,
        "design": str,
        "strata": PATH,
        "land_mask": PATH,
        "unburnable": (int, list),
        "unobserved": (int, list),
        "band": int,
    },
    params={"measure": Param(str, ("agreement", "land_coverage"))},
    stac_key="raster",
    stac_many_key="rasters",
    scans="geoverify.checks.burned_area.measure:plan_burned_area",
)
