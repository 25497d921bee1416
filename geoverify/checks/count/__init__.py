"""Check kind ``count``: listed items, each with its proof (file, URL or DOI)."""

from geoverify.checks.spec import CheckSpec, Param

SPEC = CheckSpec(
    kind="count",
    summary="number of listed evidence items that carry a usable proof",
    measure="geoverify.checks.count.measure:measure_count",
    params={"field": Param(str, doc="a numeric item field whose largest proven value counts")},
)
