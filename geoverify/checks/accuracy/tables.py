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


def _ci(ci: Any, scale: float = 1.0) -> str:
    if not ci:
        return "—"
    return f"{scale * float(ci[0]):.4g} – {scale * float(ci[1]):.4g}"


def _num(value: Any, scale: float = 1.0) -> str:
    return "—" if value is None else f"{scale * float(value):.4g}"


def _continuous_table(details: Mapping[str, Any]) -> Table:
    how = details.get("intervals") or {}
    census = "all" in how
    rows = []
    for key, name, scale in (
        ("within_tolerance", "share within tolerance (%)", 100.0),
        ("rmse", "RMSE", 1.0),
        ("bias", "bias (mean error)", 1.0),
        ("rrmse", "relative RMSE (%)", 100.0),
        ("r2", "R² (1:1 line)", 1.0),
    ):
        rows.append(
            [
                name,
                _num(details.get(key), scale),
                "exact" if census else _ci(details.get(f"{key}_ci"), scale),
                str(how.get("all") or how.get(key) or "—"),
            ]
        )
    rows.append(["MAE", _num(details.get("mae")), "—", "—"])
    return Table(
        caption=f"Continuous accuracy (n = {details.get('n')}):",
        headers=["statistic", "value", "95% interval", "interval"],
        rows=rows,
    )


def _class_table(summary: Mapping[str, Any]) -> Table:
    rows = [
        [
            name,
            _num(summary.get(key), 100.0),
            _ci(summary.get(f"{key}_ci"), 100.0),
        ]
        for key, name in (
            ("users_accuracy", "user's accuracy"),
            ("producers_accuracy", "producer's accuracy"),
            ("f1", "F1"),
        )
    ]
    return Table(
        caption=f"Accuracy of class {summary.get('class')!r} (%); deciding: "
        f"{str(summary.get('deciding', '')).replace('_', ' ')}:",
        headers=["figure", "value", "95% interval"],
        rows=rows,
    )


def _object_table(details: Mapping[str, Any]) -> Table:
    rows = [
        [name, _num(details.get(key), 100.0), _ci(details.get(f"{key}_ci"), 100.0)]
        for key, name in (("precision", "precision"), ("recall", "recall"), ("f1", "F1"))
    ]
    rows.append(["map objects", str(details.get("map_objects")), "—"])
    rows.append(["reference objects", str(details.get("reference_objects")), "—"])
    rows.append(["matched (IoU ≥ 0.5)", str(details.get("true_positives")), "—"])
    return Table(
        caption=f"Object matching of class {details.get('class')!r} (%):",
        headers=["figure", "value", "95% interval"],
        rows=rows,
    )


def accuracy_tables(details: Mapping[str, Any]) -> list[Table]:
    """Confusion matrix (rows = map, columns = reference) and per-class accuracy.

    User's and producer's accuracy in %, with standard errors where given; the
    class-specific, object and continuous figures when the check measured them.
    """
    tables: list[Table] = []
    if details.get("measure") == "continuous":
        return [_continuous_table(details)]
    if details.get("measure") == "objects":
        return [_object_table(details)]
    if isinstance(details.get("class_accuracy"), Mapping):
        tables.append(_class_table(details["class_accuracy"]))
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
