"""Check kind ``accuracy``: thematic accuracy of a classified map against reference data."""

from geoverify.checks.spec import PATH, CheckSpec

SPEC = CheckSpec(
    kind="accuracy",
    summary="overall accuracy of a classified map against reference samples or a reference "
    "raster, with its 95% confidence interval (simple random, stratified, census)",
    measure="geoverify.checks.accuracy.measure:measure_accuracy",
    evidence={
        "map": PATH,
        "reference": PATH,
        "field": str,
        "design": str,
        "strata": PATH,
        "strata_field": str,
        "legend": dict,
        "resample": str,
        "band": int,
        "reference_band": int,
        "polygons": str,
    },
    stac_key="map",
    tables="geoverify.checks.accuracy.tables:accuracy_tables",
)
