"""Check kinds: one package per kind, each declaring its :class:`CheckSpec`.

A check is a function ``check(evidence, params, context) -> Measurement``:

- ``evidence`` (:class:`~geoverify.model.evidence.Evidence`) gives the inputs;
- ``params`` are the indicator's ``params`` from the catalogue: *what* to
  measure (a region, a gas, a statistic), never the threshold;
- ``context`` (:class:`Context`) says how to run (workers, dask scheduler,
  progress output).

A check raises :class:`~geoverify.errors.GeoverifyError` subclasses for
unusable evidence; the caller turns them into ``error`` verdicts.  It never
sees a threshold: :mod:`geoverify.decide` compares.
"""

from geoverify.checks.registry import get_check, get_spec, specs
from geoverify.checks.spec import Check, CheckSpec, Context, Param

__all__ = ["Check", "CheckSpec", "Context", "Param", "get_check", "get_spec", "specs"]
