"""Class-specific accuracy (``params.measure = "class"``): user's, producer's accuracy and F1.

Where an indicator is about one class ("病虫害热点发生区监测精度", glacial-lake
hazards, an interpretation model's target feature) overall accuracy says little:
a map with no hotspot at all scores 95% OA when hotspots cover 5% of the land.
The class-specific figures are

- **user's accuracy** ``UA`` (1 − commission error) and **producer's accuracy**
  ``PA`` (1 − omission error) of the class, design-consistent — simple random
  (continuity-corrected Wilson), stratified by map class (Olofsson et al. 2014)
  or by other strata (Stehman 2014), with the Korn & Graubard (1998) effective-n
  interval — or exact for a reference raster (census);
- **F1** ``= 2 UA PA / (UA + PA)``, with a stratified percentile bootstrap
  interval (:func:`geoverify.stats.estimators.class_f1_interval`), reported.

**The value that decides** is the smaller of UA and PA (in %): both must meet
the threshold.  Its interval runs from the lower of the two lower bounds to the
lower of the two upper bounds, so a pass needs both whole intervals above the
threshold and a fail needs one whole interval below it.

Absent class: a reference with no sample of the class cannot show that the map
finds it — an :class:`~geoverify.errors.EvidenceError`; a map that never maps the
class has PA = 0 (every reference unit of the class omitted) and fails.

References
----------
.. [1] Olofsson, P., Foody, G. M., Herold, M., Stehman, S. V., Woodcock, C. E., &
   Wulder, M. A. (2014). Good practices for estimating area and assessing accuracy
   of land change. *Remote Sensing of Environment*, 148, 42–57.
.. [2] Stehman, S. V. (2014). Estimating area and map accuracy for stratified random
   sampling when the strata are different from the map classes. *International
   Journal of Remote Sensing*, 35(13), 4923–4939.
.. [3] Korn, E. L., & Graubard, B. I. (1998). Confidence intervals for proportions
   with small expected number of positive counts estimated from survey data.
   *Survey Methodology*, 24(2), 193–201.
.. [4] Story, M., & Congalton, R. G. (1986). Accuracy assessment: a user's
   perspective. *Photogrammetric Engineering and Remote Sensing*, 52(3), 397–399.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from geoverify.errors import CatalogueError, EvidenceError
from geoverify.model import Measurement
from geoverify.stats import estimators as est

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = ["DECIDING_RULE", "class_label", "class_summary", "measure_class"]

DECIDING_RULE = (
    "the smaller of the class's user's and producer's accuracy decides (both must meet the "
    "threshold); its interval runs from the lower of the two lower bounds to the lower of "
    "the two upper bounds"
)


def class_label(params: Mapping[str, Any], evidence: Evidence | None = None) -> str:
    """The class an indicator is about: ``params["class"]`` or a model's ``target_class``."""
    label = params.get("class")
    if label is None and evidence is not None:
        label = evidence.get("target_class")
    if not isinstance(label, str) or not label.strip():
        raise CatalogueError(
            'measure = "class" needs the class label: class = "<label>" in the params',
            hint='params = { measure = "class", class = "hotspot" }',
        )
    return label.strip()


def _pct_pair(ci: Any) -> list[float] | None:
    return None if ci is None else [100.0 * float(ci[0]), 100.0 * float(ci[1])]


def class_summary(
    report: Mapping[str, Any], label: str, keep: Mapping[str, Any], source: str
) -> dict[str, Any]:
    """UA, PA, F1 of ``label`` from an accuracy report and its sample (``keep``).

    Raises
    ------
    EvidenceError
        The class is in neither the map nor the reference (with the labels and a
        legend hint), or the reference holds no unit of it.
    """
    labels = [str(v) for v in report.get("labels") or []]
    matrix = np.asarray(report.get("confusion_matrix") or [[0]], dtype=np.int64)
    if label not in labels:
        raise EvidenceError(
            f"class {label!r} appears neither on the map (at the reference units) nor in the "
            f"reference; labels found: {', '.join(labels[:12]) or 'none'}",
            source=source,
            hint=f'Map the codes onto labels with a legend, e.g. legend = {{2 = "{label}"}}, '
            "and deliver reference units of the class.",
        )
    i = labels.index(label)
    mapped, referenced = int(matrix[i, :].sum()), int(matrix[:, i].sum())
    if referenced == 0:
        raise EvidenceError(
            f"the reference holds no unit of class {label!r}: its producer's accuracy is "
            "undefined, and a reference without the class cannot show that the map finds it",
            source=source,
            hint=f"Deliver reference samples of class {label!r} (Olofsson et al. 2014 suggest "
            "at least 50 per class), sampled independently of the map.",
        )
    ua = (report.get("users_accuracy") or {}).get(label)
    pa = (report.get("producers_accuracy") or {}).get(label)
    ua_ci = (report.get("users_accuracy_ci") or {}).get(label)
    pa_ci = (report.get("producers_accuracy_ci") or {}).get(label)
    ua_se = (report.get("users_accuracy_se") or {}).get(label)
    pa_se = (report.get("producers_accuracy_se") or {}).get(label)
    census = bool(keep.get("census"))
    if census:
        f1 = (report.get("f1") or {}).get(label)
        f1_ci: tuple[float, float] | None = None if f1 is None else (f1, f1)
        f1_interval = "none: a census has no sampling error"
    elif keep.get("inclusion_probabilities") is not None:
        # unequal-probability / cluster sample: the stratified bootstrap does not apply
        f1 = (report.get("f1") or {}).get(label)
        f1_ci = None
        f1_interval = (
            "none: the design-based F1 (Horvitz–Thompson totals) of an unequal-probability "
            "or cluster sample is reported without an interval"
        )
    else:
        f1, f1_ci = est.class_f1_interval(
            np.asarray(keep["map_labels"]) == label,
            np.asarray(keep["ref_labels"]) == label,
            keep.get("strata"),
            keep.get("sizes"),
        )
        f1_interval = est.F1_INTERVAL
    notes = []
    if mapped == 0:
        notes.append(
            f"class {label!r} is never mapped at a reference unit: user's accuracy is "
            "undefined and producer's accuracy is 0 (every reference unit of the class omitted)"
        )
    assert pa is not None  # the reference holds the class: PA is defined
    candidates: list[tuple[str, float, Any, Any]] = [("producers", float(pa), pa_ci, pa_se)]
    if ua is not None:
        candidates.insert(0, ("users", float(ua), ua_ci, ua_se))
    name, value, _, se = min(candidates, key=lambda c: c[1])
    combined = None
    if all(c[2] is not None for c in candidates):
        combined = [min(float(c[2][0]) for c in candidates),
                    min(float(c[2][1]) for c in candidates)]
    return {
        "class": label,
        "mapped_units": mapped,
        "reference_units": referenced,
        "correct_units": int(matrix[i, i]),
        "users_accuracy": ua,
        "users_accuracy_ci": ua_ci,
        "users_accuracy_se": ua_se,
        "producers_accuracy": pa,
        "producers_accuracy_ci": pa_ci,
        "producers_accuracy_se": pa_se,
        "f1": f1,
        "f1_ci": None if f1_ci is None else list(f1_ci),
        "f1_interval": f1_interval,
        "deciding": name + "_accuracy",
        "deciding_value": value,
        "deciding_ci": combined,
        "deciding_se": se,
        "deciding_rule": DECIDING_RULE,
        "interval": report.get("interval"),
        "notes": notes,
    }


def _percent_views(summary: Mapping[str, Any]) -> dict[str, Any]:
    """``{value, ci}`` in % of UA, PA and F1, for alternative readings."""
    out = {}
    for key, name in (
        ("users_accuracy", "class_users_accuracy"),
        ("producers_accuracy", "class_producers_accuracy"),
        ("f1", "class_f1"),
    ):
        v = summary.get(key)
        out[name] = {
            "value": None if v is None else 100.0 * float(v),
            "ci": _pct_pair(summary.get(f"{key}_ci")),
        }
    return out


def measure_class(
    evidence: Evidence, params: Mapping[str, Any], context: Context
) -> Measurement:
    """Class-specific accuracy (%) of a classified map: min(UA, PA) of the class, with F1.

    Objects (``map_objects`` and ``reference_objects`` in the evidence) are matched
    one-to-one by IoU instead (:mod:`geoverify.checks.accuracy.objects`).
    """
    label = class_label(params, evidence)
    if "map_objects" in evidence or "reference_objects" in evidence:
        from geoverify.checks.accuracy.objects import measure_objects

        return measure_objects(evidence, label, context)
    from geoverify.checks.accuracy.measure import assess_evidence

    keep: dict[str, Any] = {}
    report, _, _, _, ref_path, _ = assess_evidence(evidence, context, keep=keep)
    report["measure"] = "class"
    if report.get("inconclusive_reason"):
        return Measurement(
            value=None,
            unit="%",
            n=int(report.get("n") or 0),
            details=report,
            message=f"class {label!r}: no class-specific estimate; "
            f"{report['inconclusive_reason']}",
        )
    summary = class_summary(report, label, keep, ref_path)
    report["class_accuracy"] = summary
    report.update(_percent_views(summary))
    value = 100.0 * summary["deciding_value"]
    census = bool(keep.get("census"))

    def show(key: str) -> str:
        v = summary[key]
        if v is None:
            return f"{key.replace('_', ' ')} undefined"
        ci = summary.get(f"{key}_ci")
        text = f"{100 * v:.2f}%"
        if ci is not None and not census:
            text += f" (95% CI {100 * ci[0]:.2f}–{100 * ci[1]:.2f}%)"
        return text

    body = (
        f"class {label!r}: user's accuracy {show('users_accuracy')}, producer's accuracy "
        f"{show('producers_accuracy')}, F1 {show('f1')}; {summary['mapped_units']} units "
        f"mapped as the class, {summary['reference_units']} in the reference; deciding: the "
        f"smaller, {summary['deciding'].replace('_', ' ')}"
    )
    if summary["notes"]:
        body += "; " + "; ".join(summary["notes"])
    from geoverify.checks.accuracy.measure import design_sentence, reference_product_measurement

    if design_sentence(report):
        body += "; " + design_sentence(report)
    if census:  # a class's agreement with a product: never bounded by its overall accuracy
        return reference_product_measurement(
            value,
            int(report["n"]),
            report,
            body + " (a census of agreement with a reference product, exact)",
            report.get("reference_accuracy"),
            bounded=False,
        )
    ci = summary["deciding_ci"]
    if ci is None:
        report["inconclusive_reason"] = (
            f"no 95% interval for the {summary['deciding'].replace('_', ' ')} of class {label!r} "
            "(too few units of the class for the design's variance)"
        )
        return Measurement(
            value=value, unit="%", n=int(report["n"]), details=report, message=body
        )
    deciding = summary["deciding"]
    units = summary["mapped_units"] if deciding == "users_accuracy" else summary[
        "reference_units"
    ]
    p, se = float(summary["deciding_value"]), summary["deciding_se"]
    df = report.get("degrees_of_freedom")
    stratified = report.get("design") in ("stratified", "unequal_probability", "cluster")
    report["planner_unit"] = (
        f"reference units {'mapped as' if deciding == 'users_accuracy' else 'of'} class "
        f"{label!r} (the deciding {deciding.replace('_', ' ')})"
    )

    def planner(threshold: float) -> int | None:
        t = float(threshold) / 100.0
        if stratified:
            if se is None or df is None:
                return None
            return est.additional_samples(
                p, t, units, se=float(se), interval="effective", strata=max(int(report["n"]) -
                                                                          int(df), 1)
            )
        return est.additional_samples(p, t, units, interval="score")

    return Measurement(
        value=value,
        unit="%",
        ci=(100.0 * ci[0], 100.0 * ci[1]),
        se=None if se is None else 100.0 * float(se),
        n=int(report["n"]),
        details=report,
        message=body + f"; {summary['interval']}",
        planner=planner,
    )
