"""Check kind ``period``: time span, epochs and time step of a product."""

from geoverify.checks.spec import DATE, PATH, PATHS, CheckSpec, Param

SPEC = CheckSpec(
    kind="period",
    summary="temporal coverage: first and last time step, epochs every N years, finest step",
    measure="geoverify.checks.period.measure:measure_period",
    evidence={
        "file": PATH,
        "files": PATHS,
        "rasters": PATHS,
        "variable": str,
        "time_dim": str,
        "years": list,
        "datetimes": list,
        "start": DATE,
        "end": DATE,
        "step": str,
    },
    params={
        "measure": Param(str, ("span", "epochs", "step", "steps", "duration")),
        "step": Param(str),
        "from_data": Param(bool, doc="measured from data: declared years never pass"),
    },
    stac_datetimes=True,
)
