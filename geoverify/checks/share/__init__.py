"""Check kind ``share``: a ratio between groups of listed items."""

from geoverify.checks.spec import CheckSpec, Param

SPEC = CheckSpec(
    kind="share",
    summary="a ratio between groups of proven items (counted, or summed over a field)",
    measure="geoverify.checks.share.measure:measure_share",
    params={
        "numerator": Param(list),
        "denominator": Param(list),
        "sum": Param(str),
    },
)
