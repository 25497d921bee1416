"""Check kind ``warning``: early warnings scored against observed outbreaks."""

from geoverify.checks.spec import NUMBER, PATH, CheckSpec, Param

SPEC = CheckSpec(
    kind="warning",
    summary="early-warning lead time and accuracy against observed outbreaks",
    measure="geoverify.checks.warning.measure:measure_warning",
    evidence={"warnings": PATH, "outbreaks": PATH, "window_days": NUMBER},
    params={"measure": Param(str, ("lead_time", "accuracy"))},
)
