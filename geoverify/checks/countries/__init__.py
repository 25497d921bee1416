"""Check kind ``countries``: countries whose territory the data or the listed sites cover."""

from geoverify.checks.spec import PATH, PATHS, CheckSpec, Param
from geoverify.geo.regions import REGIONS

SPEC = CheckSpec(
    kind="countries",
    summary="number of countries covered by a raster's valid data, polygons or sites, "
    "optionally within a region",
    measure="geoverify.checks.countries.measure:measure_countries",
    evidence={
        "raster": PATH,
        "rasters": PATHS,
        "vector": PATH,
        "sites": PATH,
        "countries": list,
        "boundaries": PATH,
        "boundaries_field": str,
        "band": int,
        "variable": str,
    },
    params={
        "region": Param(str, tuple(REGIONS)),
        "from_data": Param(bool, doc="measured from data: declared lists never pass"),
    },
    stac_key="raster",
)
