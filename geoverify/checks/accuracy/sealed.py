"""Sealed reference samples: verify the seal, then analyse with the sealed design.

A sample drawn by ``geoverify sample draw`` comes with its design file
(``design.json``, :mod:`geoverify.io.seal`).  The accuracy check recognises it by
one rule (:func:`find_seal`):

1. the evidence names it: ``design_file = "design.json"`` (``--design-file`` on
   the command line); or else
2. a file ``design.json`` lies in the reference sample's folder, is a geoverify
   sample design file, and lists among the files it sealed one with the
   sample's stem (``sample.gpkg`` or ``sample.csv`` for a labelled
   ``sample.gpkg``) — the folder ``geoverify sample draw --out`` wrote.

Any other sample is *declared*: analysed with the design the submitter states and
labelled "design declared by the submitter, not verified".

A sealed sample is checked by :func:`geoverify.io.seal.verify_seal` (intact design
file, the sealed map, the sealed units, unmoved geometry, the sealed inclusion
probabilities, and a redraw with the sealed seed giving the same units); any
difference is an :class:`~geoverify.errors.EvidenceError` naming it — the
verdict is ``error``.  The design, the strata, their sizes ``N_h``, the
allocation ``n_h`` (so ``π = n_h/N_h``) and each unit's map class come from the
seal, never from the manifest's ``design``:

- ``simple``: simple random sampling estimators (:func:`~geoverify.stats.
  estimators.simple_random`);
- ``systematic``: the same, the usual (and usually conservative) approximation
  for a systematic sample, which has no unbiased variance estimator of its own
  (Cochran 1977, ch. 8; Stehman 2009);
- ``stratified`` by map class: Olofsson et al. (2014), ``W_h`` from the sealed
  ``N_h`` (area shares on a geographic map);
- ``stratified`` by a strata raster: Stehman (2014), with the sealed ``N_h``.

The labels may come from several interpreters (``reference_1``, ``reference_2``,
…): the consensus of :func:`geoverify.stats.sampling.resolve_reference` is used,
"cannot tell" labels and ties are excluded and counted, and the interpreters'
agreement (percent agreement, Cohen's and Fleiss' kappa) is reported.

References
----------
.. [1] Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley.
.. [2] Olofsson, P., Foody, G. M., Herold, M., Stehman, S. V., Woodcock, C. E., &
   Wulder, M. A. (2014). Good practices for estimating area and assessing accuracy
   of land change. *Remote Sensing of Environment*, 148, 42–57.
.. [3] Stehman, S. V. (2009). Sampling designs for accuracy assessment of land
   cover. *International Journal of Remote Sensing*, 30(20), 5243–5272.
.. [4] Stehman, S. V. (2014). Estimating area and map accuracy for stratified random
   sampling when the strata are different from the map classes. *International
   Journal of Remote Sensing*, 35(13), 4923–4939.
.. [5] Stehman, S. V., & Czaplewski, R. L. (1998). Design and analysis for thematic
   map accuracy assessment: fundamental principles. *Remote Sensing of
   Environment*, 64(3), 331–344.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.model.evidence import is_remote
from geoverify.stats import estimators as est
from geoverify.stats.sampling import CANNOT_TELL, consensus, reference_columns, resolve_reference

__all__ = [
    "SEAL_NAME",
    "assess_sealed",
    "find_seal",
    "label_columns",
    "resolve_labels",
    "seal_statement",
]

#: The design file's name that :func:`find_seal` looks for beside a sample.
SEAL_NAME = "design.json"


def find_seal(
    reference: str, design_file: str | os.PathLike[str] | None = None
) -> str | None:
    """The design file sealing ``reference``, or ``None`` for a declared sample.

    ``design_file`` when given (it must exist); else a ``design.json`` in the
    sample's folder that is a geoverify design file listing a sealed file with the
    sample's stem.  A ``design.json`` that is not a geoverify design file, or seals
    other files, is ignored; one that claims the format but cannot be parsed is
    returned, so that :func:`geoverify.io.seal.read_seal` refuses it by name.
    """
    if design_file is not None:
        path = os.fspath(design_file)
        if not Path(path).is_file():
            raise EvidenceError(
                "the design file does not exist",
                source=path,
                hint="Give the design.json written by `geoverify sample draw` with the sample.",
            )
        return path
    if is_remote(reference):
        return None
    candidate = Path(reference).parent / SEAL_NAME
    if not candidate.is_file():
        return None
    text = candidate.read_text(encoding="utf-8", errors="replace")
    try:
        record = json.loads(text)
    except ValueError:
        return str(candidate) if "geoverify-sample-design" in text else None
    if not isinstance(record, dict) or record.get("format") != "geoverify-sample-design":
        return None
    files = (record.get("sample") or {}).get("files") or {}
    stem = Path(reference).stem
    if any(Path(str(name)).stem == stem for name in files):
        return str(candidate)
    return None


def label_columns(
    frame: Any, field: str | None, columns: Sequence[str] | None, source: str
) -> list[str]:
    """The interpreters' label columns: ``columns``, else ``[field]``, else found.

    Found: ``reference_1, reference_2, …`` or ``reference``
    (:func:`geoverify.stats.sampling.reference_columns`), else the first of the
    usual names (``ref``, ``class``, ``label``, ``truth``, ``code``).
    """
    from geoverify.checks.accuracy.measure import _field

    if columns is not None:
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise EvidenceError(
                f"reference_columns must be a list of column names, got {columns!r}",
                source=source,
                hint='reference_columns = ["reference_1", "reference_2"]',
            )
        missing = [c for c in columns if c not in frame.columns]
        if missing or not columns:
            raise EvidenceError(
                f"no label columns {missing or list(columns)} in the sample "
                f"(columns: {[c for c in frame.columns if c != 'geometry']})",
                source=source,
                hint="Name the interpreters' label columns with reference_columns "
                "(--reference-column on the command line).",
            )
        return list(columns)
    if field is not None:
        return [_field(frame, field, source)]
    found = reference_columns(list(frame.columns))
    if found:
        return found
    return [_field(frame, None, source)]


def resolve_labels(
    frame: Any, columns: Sequence[str], source: str
) -> tuple[list[str | None], dict[str, Any], np.ndarray]:
    """Consensus reference label of every row, the response-design report, each row's status.

    Labels keep their spelling (``"01"`` stays ``"01"``, so that a missing legend
    is still caught); blank cells are missing; "cannot tell" labels
    (:data:`geoverify.stats.sampling.CANNOT_TELL`) are excluded and counted, as are
    ties between interpreters (:func:`geoverify.stats.sampling.resolve_reference`).

    Returns
    -------
    (labels, report, status)
        ``labels[i]`` the consensus or ``None``; ``report`` the interpreters,
        exclusions by reason and (several interpreters) their agreement;
        ``status[i]`` one of ``unanimous``, ``majority``, ``single``, ``tie``,
        ``cannot_tell``, ``unlabelled``.
    """
    import pandas as pd

    from geoverify.checks.accuracy.measure import _label

    tokens = {t.strip().lower() for t in CANNOT_TELL}
    codes: dict[str, str] = {}

    def encode(value: Any) -> str | None:
        if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
            return None
        label = _label(value)
        if not label or label.lower() in ("nan", "none", "<na>"):
            return None
        if label.lower() in tokens:
            return "cannot tell"
        return codes.setdefault(label, f"L{len(codes)}")

    encoded = pd.DataFrame(
        {c: [encode(v) for v in frame[c].tolist()] for c in columns}, index=frame.index
    )
    labels, report = resolve_reference(encoded, columns=list(columns), source=source)
    decode = {token: label for label, token in codes.items()}
    status = consensus(encoded[list(columns)].to_numpy(dtype=object).tolist()).status
    return (
        [None if lab is None else decode[lab] for lab in labels],
        report,
        np.asarray(status, dtype=object),
    )


def seal_statement(seal: dict[str, Any]) -> str:
    """"design sealed by …, verified (seal sha256 …)": who drew the sample, and how."""
    strata = seal.get("strata_source")
    how = seal["design"] + (
        f" by {'map class' if strata == 'map' else 'strata raster'}" if strata in ("map", "raster")
        else ""
    )
    redrawn = "" if seal.get("redrawn") else "; not drawn again, the seed unchecked"
    return (
        f"design sealed by {seal['design_file_name']} (drawn with geoverify "
        f"{seal['geoverify_version']} from map {seal['map_file']} sha256 "
        f"{seal['map_sha256'][:16]}…, {how}, seed {seal['seed']}, {seal['units']} units), "
        f"verified (seal sha256 {seal['design_sha256'][:16]}…){redrawn}"
    )


def _map_labels(values: Sequence[Any], legend: dict[str, str]) -> np.ndarray:
    from geoverify.checks.accuracy.measure import _apply

    return _apply(values, legend)


def assess_sealed(
    map_path: str,
    ref_path: str,
    seal_path: str,
    *,
    declared_design: str,
    strata: str | None,
    field: str | None,
    reference_columns: Sequence[str] | None,
    legend: dict[str, str],
    band: int,
    scan_opts: dict[str, Any],
    reference_accuracy: float | None,
    keep: dict[str, Any],
) -> tuple[dict[str, Any], Callable[[float], int | None] | None, bool]:
    """Verify a sealed sample and estimate accuracy with the design of its seal.

    Returns what :func:`geoverify.checks.accuracy.measure._assess` returns: the
    report (with ``design_source = "sealed"``, ``seal``, ``design_statement`` and
    the response design), the planner and ``False`` (not exact).

    Raises
    ------
    EvidenceError
        The seal does not hold (:func:`geoverify.io.seal.verify_seal`), or the
        labels are unusable.
    """
    from geoverify.checks.accuracy import measure as acc
    from geoverify.io.seal import read_sample_units, verify_seal

    check = verify_seal(
        seal_path, ref_path, map_path, strata_path=strata, workers=int(scan_opts["workers"])
    )
    record = check.record
    notes: list[str] = list(check.notes)
    sealed_band = int(record["map"]["band"])
    if sealed_band != band:
        notes.append(f"band {band} ignored: the sample was drawn from band {sealed_band}")
    if declared_design != "simple" and declared_design != check.design:
        notes.append(
            f"the declared design {declared_design!r} is ignored: the seal says {check.design!r}"
        )
    frame = read_sample_units(ref_path)
    columns = label_columns(frame, field, reference_columns, ref_path)
    labels_all, response, status = resolve_labels(frame, columns, ref_path)
    given = len(frame)
    has_ref = np.array([lab is not None for lab in labels_all], dtype=bool)
    if given and not has_ref.any():
        raise EvidenceError(
            f"none of the {given} sealed units has a usable reference label "
            f"({response['excluded']})",
            source=ref_path,
            hint=f"Fill the label column(s) {columns} of the drawn sample.",
        )
    map_codes = [acc._label(v) for v in frame["map_class"].tolist()]
    strata_codes = np.array(
        [acc._label(v) for v in frame["stratum"].tolist()], dtype=object
    )[has_ref]
    map_labels = _map_labels(np.asarray(map_codes, dtype=object)[has_ref], legend)
    ref_labels = acc._apply(
        np.array([lab for lab in labels_all if lab is not None], dtype=object), legend
    )
    acc._check_labels(map_labels, ref_labels, ref_path, "reference samples")
    seal = {
        "design_file": seal_path,
        "design_file_name": Path(seal_path).name,
        "design_sha256": record["design_sha256"],
        "units_sha256": check.units_sha256,
        "map_file": record["map"]["file"],
        "map_sha256": check.map_sha256,
        "geoverify_version": record.get("geoverify_version"),
        "algorithm": record.get("algorithm"),
        "design": check.design,
        "shape": record.get("shape"),
        "seed": check.seed,
        "units": check.n,
        "strata_source": record["strata"].get("source"),
        "strata_file": record["strata"].get("file"),
        "strata_sizes": dict(check.strata_sizes),
        "allocation": dict(check.allocation),
        "allocation_method": check.allocation_method,
        "systematic": record.get("systematic"),
        "redrawn": check.redrawn,
    }
    statement = seal_statement(seal)
    extras: dict[str, Any] = {
        "reference_kind": "samples",
        "design_source": "sealed",
        "design_statement": statement,
        "seal": seal,
        "reference_field": columns[0] if len(columns) == 1 else None,
        "reference_columns": list(columns),
        "response_design": response,
        "samples_total": given,
        "samples_given": given,
        "samples_without_reference": int((status == "unlabelled").sum()),
        "samples_cannot_tell": int((status == "cannot_tell").sum()),
        "samples_tied": int((status == "tie").sum()),
    }
    if reference_accuracy is not None:
        extras["reference_accuracy"] = reference_accuracy
    from geoverify.stats.confusion import pixel_area_ha

    area, area_note = pixel_area_ha(map_path)  # strata rasters share the map's grid
    planner: Callable[[float], int | None] | None
    try:
        if check.design in ("simple", "systematic"):
            labels = acc._order(set(map_labels) | set(ref_labels), legend)
            e = est.simple_random(acc._matrix(map_labels, ref_labels, labels), labels)
            if check.design == "systematic":
                e.estimator = (
                    "systematic sample analysed with the simple random sampling estimators "
                    "(Cochran 1977, ch. 8; Stehman 2009): " + e.estimator
                )
            e.design = check.design
            oa, n = e.overall_accuracy, e.n
            keep.update(map_labels=map_labels, ref_labels=ref_labels, strata=None, sizes=None)

            def planner(threshold: float) -> int | None:
                return est.additional_samples(oa, threshold, n, interval="score")

        else:
            e, planner, sizes_used = _stratified(
                map_path, check, strata, strata_codes, map_labels, ref_labels, legend,
                sealed_band, scan_opts, area,
            )
            keep.update(
                map_labels=map_labels, ref_labels=ref_labels, strata=strata_codes,
                sizes=sizes_used,
            )
            if record["strata"].get("source") == "map":
                keep["strata"] = map_labels
    except est.SmallStrataError as exc:
        report = acc._too_small(
            exc, check.design, map_labels, map_path, ref_path, legend or {}, extras
        )
        report["notes"] = notes
        return report, None, False
    report = e.to_dict()
    report.update(extras)
    report.setdefault("pixel_area_ha", area)
    if area_note and check.design == "stratified":
        notes.append(area_note)
    only_map, only_ref = set(map_labels) - set(ref_labels), set(ref_labels) - set(map_labels)
    if only_map and only_ref:
        notes.append(
            f"classes only on the map: {', '.join(sorted(only_map)[:8])}; only in the "
            f"reference: {', '.join(sorted(only_ref)[:8])} — check the legend"
        )
    report["notes"] = notes
    report["map"] = map_path
    report["reference"] = ref_path
    report["legend"] = legend or None
    report["proportions_scale"] = "accuracies and area proportions are proportions in [0, 1]"
    return report, planner, False


def _stratified(
    map_path: str,
    check: Any,
    strata: str | None,
    strata_codes: np.ndarray,
    map_labels: np.ndarray,
    ref_labels: np.ndarray,
    legend: dict[str, str],
    band: int,
    scan_opts: dict[str, Any],
    area: float,
) -> tuple[est.Estimate, Callable[[float], int | None], dict[str, float]]:
    """Stratified estimators with the sealed strata sizes ``N_h`` (``area``: ha per pixel)."""
    from geoverify.checks.accuracy import measure as acc

    record = check.record
    sizes = {acc._label(k): float(v) for k, v in check.strata_sizes.items()}
    by_map = record["strata"].get("source") == "map"
    merged = by_map and len({legend.get(c, c) for c in sizes}) < len(sizes)
    if by_map and not merged:
        # strata = map classes: Olofsson et al. (2014) with the sealed N_h
        mapped = {legend.get(c, c): v for c, v in sizes.items()}
        areas = acc._areas_by_label(map_path, band, legend, scan_opts)
        labels = acc._order(set(map_labels) | set(ref_labels) | set(mapped), legend)
        e = est.stratified_map_classes(
            acc._matrix(map_labels, ref_labels, labels),
            [mapped.get(lab, 0.0) for lab in labels],
            labels,
            pixel_area_ha=area,
            mapped_areas_ha=None if areas is None else [areas.get(lab, 0.0) for lab in labels],
        )
        used = dict(areas) if areas is not None else mapped
        e.estimator += "; strata sizes N_h from the seal"
    else:
        strata_file = strata
        if record["strata"].get("source") == "raster" and strata_file is None:
            strata_file = str(Path(map_path).parent / record["strata"]["file"])
        areas = (
            acc._areas_by_label(strata_file, int(record["strata"].get("band") or 1), None,
                                scan_opts)
            if strata_file is not None
            else None
        )
        labels = acc._order(set(map_labels) | set(ref_labels), legend)
        e = est.stratified_general(
            strata_codes, map_labels, ref_labels, sizes, labels, pixel_area_ha=area,
            stratum_areas_ha=areas,
        )
        used = dict(areas) if areas is not None else sizes
        e.estimator += "; strata and their sizes N_h from the seal"
    shares = used
    total = sum(shares.values())
    names = sorted(shares)
    weights = [shares[h] / total for h in names]
    key = map_labels if by_map and not merged else strata_codes
    rates = []
    for h in names:
        sel = key == h
        rates.append(float((map_labels[sel] == ref_labels[sel]).mean()) if sel.any() else 0.5)
    planner = est.stratified_planner(e, weights, rates)

    return e, planner, used
