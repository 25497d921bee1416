"""Check kind ``classes``: thematic classes present in a map (and declared in its legend)."""

from geoverify.checks.spec import NUMBER, PATH, CheckSpec

SPEC = CheckSpec(
    kind="classes",
    summary="number of distinct classes present in a raster and declared in its legend",
    measure="geoverify.checks.classes.measure:measure_classes",
    evidence={"raster": PATH, "variable": str, "band": int, "legend": dict, "nodata": NUMBER},
    stac_key="raster",
)
