"""Check kind ``detections``: point sources detected per orbit."""

from geoverify.checks.spec import PATH, CheckSpec

SPEC = CheckSpec(
    kind="detections",
    summary="number of point sources detected in a single orbit",
    measure="geoverify.checks.detections.measure:measure_detections",
    evidence={"detections": PATH},
)
