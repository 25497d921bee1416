"""Check kind ``retrieval``: precision and bias of retrieved columns against collocations."""

from geoverify.checks.spec import NUMBER, PATH, PATHS, CheckSpec, Param

SPEC = CheckSpec(
    kind="retrieval",
    summary="precision, bias and RMSE of retrieved XCO2/XCH4/NO2 against reference "
    "collocations, and the declared error budget",
    measure="geoverify.checks.retrieval.measure:measure_retrieval",
    evidence={
        "collocations": PATH,
        "swath": PATH,
        "swaths": PATHS,
        "variable": str,
        "references": PATH,
        "radius_km": NUMBER,
        "window_minutes": NUMBER,
        "gas": str,
        "unit": str,
        "budget": (str, dict, list),
        "outliers": (str, int, float),
        "dry_air_column": NUMBER,
    },
    params={
        "gas": Param(str, ("XCO2", "XCH4", "NO2")),
        "statistic": Param(str, ("precision", "bias", "rmse")),
    },
)
