"""The report tables of an accuracy result: confusion matrix and per-class accuracies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geoverify.model.results import Table

__all__ = ["accuracy_tables"]


def _pct(value: Any) -> str:
    if value is None:
        return "—"
    return f"{100 * float(value):.1f}"


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def accuracy_tables(details: Mapping[str, Any]) -> list[Table]:
    """Confusion matrix (rows = map, columns = reference) and per-class accuracy.

    User's and producer's accuracy in %, with standard errors where given.
    """
    tables: list[Table] = []
    matrix, labels = details.get("confusion_matrix"), details.get("labels")
    if matrix and labels:
        names = [str(lab) for lab in labels]
        tables.append(
            Table(
                caption="Confusion matrix (rows = map, columns = reference):",
                headers=["map \\ reference", *names],
                rows=[
                    [lab, *(_cell(v) for v in row)] for lab, row in zip(names, matrix, strict=False)
                ],
            )
        )
    ua, pa = details.get("users_accuracy"), details.get("producers_accuracy")
    if labels and (isinstance(ua, dict) or isinstance(pa, dict)):
        ua, pa = ua or {}, pa or {}
        ua_se = details.get("users_accuracy_se") or {}
        pa_se = details.get("producers_accuracy_se") or {}
        rows = []
        for lab in (str(v) for v in labels):
            rows.append(
                [
                    lab,
                    _pct(ua.get(lab)),
                    _pct(ua_se.get(lab)) if lab in ua_se else "—",
                    _pct(pa.get(lab)),
                    _pct(pa_se.get(lab)) if lab in pa_se else "—",
                ]
            )
        tables.append(
            Table(
                caption="Per-class accuracy (%, SE = standard error):",
                headers=["class", "user's accuracy", "SE", "producer's accuracy", "SE"],
                rows=rows,
            )
        )
    return tables
