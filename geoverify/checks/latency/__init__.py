"""Check kind ``latency``: processing time per point source."""

from geoverify.checks.spec import PATH, CheckSpec, Param

SPEC = CheckSpec(
    kind="latency",
    summary="processing time per point source, from timing records",
    measure="geoverify.checks.latency.measure:measure_latency",
    evidence={"timings": PATH},
    params={"statistic": Param(str, ("max", "p95", "median"))},
)
