"""Check kind ``classes``: thematic classes present in a map (and declared in its legend)."""

from geoverify.checks.spec import NUMBER, PATH, PATHS, CheckSpec, Param

SPEC = CheckSpec(
    kind="classes",
    summary="number of distinct classes present in a raster beyond a minimum mapped share "
    "and declared in its legend",
    measure="geoverify.checks.classes.measure:measure_classes",
    evidence={
        "raster": PATH,
        "rasters": PATHS,
        "variable": str,
        "band": int,
        "legend": dict,
        "nodata": NUMBER,
    },
    params={
        "min_share": Param(
            (int, float),
            doc="a class counts only with at least this share of the valid pixels (default 1e-4)",
        ),
        "min_pixels": Param(
            int, doc="... and at least this many pixels (default 1; the catalogue sets 10)"
        ),
    },
    stac_key="raster",
    stac_many_key="rasters",
    scans="geoverify.checks.classes.measure:plan_classes",
)
