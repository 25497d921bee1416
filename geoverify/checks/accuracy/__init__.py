"""Check kind ``accuracy``: thematic accuracy of a map against reference data.

What is measured is declared by the catalogue (``params.measure``), never guessed
from the data (the map is ``map``, or ``maps``: a list or glob of tiles read as
one map): ``"overall"`` (default) — overall accuracy of a classified map;
``"class"`` with ``class = "<label>"`` — user's and producer's accuracy and F1
of that class (objects: IoU ≥ 0.5 matching of ``map_objects`` to
``reference_objects``); ``"continuous"`` with ``tolerance`` and
``tolerance_kind`` — RMSE, bias, relative RMSE, R² and the share within the
tolerance of a continuous product; ``"declared"`` — each interpretation model's
``model_kind`` (``"land_cover"`` or ``"target_features"`` with ``target_class``).
"""

from geoverify.checks.spec import NUMBER, PATH, PATHS, CheckSpec, Param

#: Sample designs a manifest may declare (a sealed sample's design comes from its seal).
DESIGNS = ("simple", "stratified", "unequal_probability", "cluster")
#: What the accuracy check measures (the catalogue's ``params.measure``).
MEASURES = ("overall", "class", "continuous", "declared")

SPEC = CheckSpec(
    kind="accuracy",
    summary="accuracy of a map against reference samples or a reference raster, with its "
    "95% confidence interval (simple random, stratified, census): overall accuracy, "
    "class-specific user's/producer's accuracy and F1 (pixels or IoU-matched objects), or "
    "continuous-product RMSE, bias, relative RMSE, R² and share within a tolerance",
    measure="geoverify.checks.accuracy.measure:measure_accuracy",
    evidence={
        "map": PATH,
        "maps": PATHS,
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
        "reference_accuracy": NUMBER,
        "map_objects": PATH,
        "reference_objects": PATH,
        "model_kind": str,
        "target_class": str,
        "design_file": PATH,
        "reference_columns": list,
        "inclusion_field": str,
        "cluster_field": str,
    },
    params={
        "measure": Param(
            str,
            ("overall", "class", "continuous", "declared"),
            "what decides: overall accuracy, one class's accuracy, a continuous product's "
            "accuracy, or each model's declared model_kind",
        ),
        "class": Param(str, doc='the class the indicator is about (measure = "class")'),
        "tolerance": Param(
            (int, float), doc='tolerance of the share within tolerance (measure = "continuous")'
        ),
        "tolerance_kind": Param(
            str, ("absolute", "relative"), "the tolerance in map units or as a fraction"
        ),
    },
    stac_key="map",
    tables="geoverify.checks.accuracy.tables:accuracy_tables",
)
