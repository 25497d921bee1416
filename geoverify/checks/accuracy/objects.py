"""Object-level accuracy: map polygons matched one-to-one to reference polygons by IoU.

Where the deliverable is objects (glacial lakes, hotspot polygons), a map object
is a true positive when it overlaps a reference object with intersection over
union ``IoU = |A ∩ B| / |A ∪ B| ≥ 0.5`` — the PASCAL VOC criterion (Everingham et
al. 2010, §4.4), also COCO's AP50 (Lin et al. 2014).  Matching is one-to-one and
greedy by IoU: candidate pairs are taken in decreasing IoU and a pair is kept
when neither object is matched yet, so a second map object on the same lake is
a false positive (a duplicate detection, as in VOC).  Areas are computed in an
equal-area projection (EPSG:6933) when the map is geographic.

- precision = TP / map objects (1 − commission), recall = TP / reference objects
  (1 − omission), each with the continuity-corrected Wilson interval;
- F1 = 2 TP / (2 TP + FP + FN), with the percentile bootstrap interval of
  :func:`geoverify.stats.estimators.class_f1_interval` over the TP, FP and FN units.

The smaller of precision and recall decides (both must meet the threshold), as
for the pixel-level class figures.  A map without objects has recall 0 and
fails; a reference without objects is an error.

References
----------
.. [1] Everingham, M., Van Gool, L., Williams, C. K. I., Winn, J., & Zisserman, A.
   (2010). The PASCAL Visual Object Classes (VOC) challenge. *International
   Journal of Computer Vision*, 88(2), 303–338.
.. [2] Lin, T.-Y., Maire, M., Belongie, S., et al. (2014). Microsoft COCO: common
   objects in context. *ECCV 2014*, LNCS 8693, 740–755.
.. [3] Newcombe, R. G. (1998). Two-sided confidence intervals for the single
   proportion: comparison of seven methods. *Statistics in Medicine*, 17(8), 857–872.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.io.vector import read_vector
from geoverify.model import Measurement
from geoverify.stats import estimators as est
from geoverify.stats.intervals import SCORE_INTERVAL, score_interval

if TYPE_CHECKING:
    from geoverify.checks import Context
    from geoverify.model.evidence import Evidence

__all__ = ["IOU_THRESHOLD", "match_objects", "measure_objects", "object_report"]

#: A map object matches a reference object at this intersection over union or more.
IOU_THRESHOLD = 0.5
EQUAL_AREA_CRS = "EPSG:6933"
MATCH_RULE = (
    f"one-to-one greedy matching by IoU ≥ {IOU_THRESHOLD:g} (PASCAL VOC, Everingham et al. "
    "2010): pairs taken in decreasing IoU, each object matched at most once"
)


def match_objects(
    map_geoms: Any, ref_geoms: Any, threshold: float = IOU_THRESHOLD
) -> list[tuple[int, int, float]]:
    """One-to-one greedy IoU matching; ``[(map index, reference index, IoU)]``.

    Candidate pairs (intersecting bounding boxes and geometries) are sorted by
    decreasing IoU (ties by map then reference index) and kept when both objects
    are still free and ``IoU ≥ threshold``.
    """
    import shapely

    a = np.asarray(map_geoms, dtype=object)
    b = np.asarray(ref_geoms, dtype=object)
    if not len(a) or not len(b):
        return []
    tree = shapely.STRtree(b)
    left, right = tree.query(a, predicate="intersects")
    if not len(left):
        return []
    inter = shapely.area(shapely.intersection(a[left], b[right]))
    union = shapely.area(a[left]) + shapely.area(b[right]) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    order = np.lexsort((right, left, -iou))
    used_a: set[int] = set()
    used_b: set[int] = set()
    out: list[tuple[int, int, float]] = []
    for k in order:
        if iou[k] < threshold:
            break
        i, j = int(left[k]), int(right[k])
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        out.append((i, j, float(iou[k])))
    return out


def _polygons(path: str, role: str) -> Any:
    import geopandas as gpd
    import shapely

    try:
        frame = read_vector(path)
    except EvidenceError as exc:
        # an empty layer is a valid answer here ("no object found"): read it as such
        try:
            frame = gpd.read_file(path)
        except Exception:  # unreadable: the reader's own message stands
            raise exc from None
        if len(frame):
            raise
    geoms = frame.geometry
    keep = geoms.notna().to_numpy() & ~geoms.is_empty.to_numpy()
    frame = frame.loc[keep]
    types = set(frame.geometry.geom_type)
    if types - {"Polygon", "MultiPolygon"}:
        raise EvidenceError(
            f"{role} must be polygons (one per object), got {sorted(types)}",
            source=path,
            hint="Deliver the objects as polygons (GeoPackage, GeoJSON, Shapefile).",
        )
    if len(frame) and frame.crs is None:
        raise EvidenceError(
            f"the {role} have no CRS", source=path, hint="Write the file with its CRS."
        )
    frame = frame.set_geometry(shapely.make_valid(np.asarray(frame.geometry.array)))
    return frame


def object_report(map_path: str, ref_path: str) -> dict[str, Any]:
    """Object matching of ``map_path`` against ``ref_path`` polygons (JSON-able report)."""
    maps = _polygons(map_path, "map objects")
    refs = _polygons(ref_path, "reference objects")
    if not len(refs):
        raise EvidenceError(
            "the reference holds no object: recall is undefined, and a reference without "
            "objects cannot show that the map finds them",
            source=ref_path,
            hint="Deliver the reference objects (polygons) of the assessed area.",
        )
    crs = maps.crs if len(maps) else refs.crs
    if refs.crs != crs:
        refs = refs.to_crs(crs)
    if crs is not None and crs.is_geographic:
        maps = maps.to_crs(EQUAL_AREA_CRS) if len(maps) else maps
        refs = refs.to_crs(EQUAL_AREA_CRS)
    matches = match_objects(
        np.asarray(maps.geometry.array), np.asarray(refs.geometry.array)
    )
    tp, n_map, n_ref = len(matches), len(maps), len(refs)
    fp, fn = n_map - tp, n_ref - tp
    precision = tp / n_map if n_map else None
    recall = tp / n_ref
    flags_map = np.r_[np.ones(tp + fp, bool), np.zeros(fn, bool)]
    flags_ref = np.r_[np.ones(tp, bool), np.zeros(fp, bool), np.ones(fn, bool)]
    f1, f1_ci = est.class_f1_interval(flags_map, flags_ref)
    return {
        "measure": "objects",
        "match_rule": MATCH_RULE,
        "iou_threshold": IOU_THRESHOLD,
        "map_objects": n_map,
        "reference_objects": n_ref,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": precision,
        "precision_ci": None if precision is None else list(score_interval(tp, n_map)),
        "recall": recall,
        "recall_ci": list(score_interval(tp, n_ref)),
        "f1": f1 if f1 is not None else 0.0,
        "f1_ci": None if f1_ci is None else list(f1_ci),
        "interval": f"precision and recall: {SCORE_INTERVAL}; F1: {est.F1_INTERVAL}",
        "mean_iou_of_matches": float(np.mean([m[2] for m in matches])) if matches else None,
        "matches": [[i, j, round(v, 6)] for i, j, v in matches[:200]],
        "area_crs": EQUAL_AREA_CRS if crs is not None and crs.is_geographic else str(crs),
    }


def measure_objects(evidence: Evidence, label: str, context: Context) -> Measurement:
    """Object-level accuracy (%) of class ``label``: min(precision, recall), with F1."""
    map_path = str(evidence.location("map_objects"))
    ref_path = str(evidence.location("reference_objects"))
    report = object_report(map_path, ref_path)
    report["class"] = label
    report["map_objects_file"] = evidence.display(map_path)
    report["reference_objects_file"] = evidence.display(ref_path)
    precision, recall = report["precision"], report["recall"]
    candidates = [("recall", recall, report["recall_ci"])]
    if precision is not None:
        candidates.insert(0, ("precision", precision, report["precision_ci"]))
    name, value, _ = min(candidates, key=lambda c: float(c[1]))
    ci = (min(c[2][0] for c in candidates), min(c[2][1] for c in candidates))
    report["deciding"] = name
    report["deciding_rule"] = (
        "the smaller of precision and recall decides (both must meet the threshold); its "
        "interval runs from the lower of the two lower bounds to the lower of the two upper "
        "bounds"
    )
    for key in ("precision", "recall", "f1"):
        v, c = report[key], report[f"{key}_ci"]
        report[f"object_{key}"] = {
            "value": None if v is None else 100.0 * v,
            "ci": None if c is None else [100.0 * c[0], 100.0 * c[1]],
        }
    tp, n_map, n_ref = report["true_positives"], report["map_objects"], report["reference_objects"]
    if n_map == 0:
        head = f"the map holds no {label!r} object: recall 0 of {n_ref} reference objects"
    else:
        head = (
            f"{tp} of {n_map} map objects match one of {n_ref} reference objects of class "
            f"{label!r} at IoU ≥ {IOU_THRESHOLD:g}: precision {100 * precision:.2f}% "
            f"(95% CI {100 * report['precision_ci'][0]:.2f}–"
            f"{100 * report['precision_ci'][1]:.2f}%), recall {100 * recall:.2f}% (95% CI "
            f"{100 * report['recall_ci'][0]:.2f}–{100 * report['recall_ci'][1]:.2f}%), "
            f"F1 {100 * report['f1']:.2f}%"
        )
    report["planner_unit"] = "reference objects" if name == "recall" else "map objects"
    units = n_ref if name == "recall" else n_map

    def planner(threshold: float) -> int | None:
        return est.additional_samples(float(value), threshold / 100.0, units, interval="score")

    return Measurement(
        value=100.0 * float(value),
        unit="%",
        ci=(100.0 * ci[0], 100.0 * ci[1]),
        n=n_ref,
        details=report,
        message=f"{head}; deciding: the smaller, {name}; {MATCH_RULE}",
        planner=planner,
    )
