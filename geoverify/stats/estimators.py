"""Thematic-accuracy estimators on a confusion matrix (rows = map, columns = reference).

Pure statistics, no I/O.  Three sampling designs and the census are covered:

- simple random sampling (:func:`simple_random`): overall, user's and producer's
  accuracy with binomial standard errors, F1 per class, Cohen's kappa (reported
  only) and the quantity / allocation disagreement of Pontius & Millones (2011);
- stratified random sampling with the map classes as strata
  (:func:`stratified_map_classes`): the estimators of Olofsson et al. (2014) —
  area proportions, overall, user's and producer's accuracy and class areas,
  each with its standard error and 95% confidence interval;
- stratified random sampling whose strata are *not* the map classes
  (:func:`stratified_general`): the estimators of Stehman (2014);
- a wall-to-wall census (:func:`census`: every pixel pair of the map and a
  reference raster counted): every figure is the population value itself, so
  every standard error is ``0`` (overall, user's and producer's accuracy alike;
  ``None`` only where the accuracy itself is undefined) and the 95% interval of
  OA collapses onto the value (``[OA, OA]``): there is no sampling error.

And sample-size planning: :func:`cochran_sample_size` (simple random),
:func:`olofsson_sample_size` (Olofsson et al. 2014, eq. 13) and
:func:`additional_samples` (how many more reference samples are expected to
decide an estimate against a threshold).

Degenerate cases never give a silent NaN: an undefined ratio (a class never
mapped has no user's accuracy) is ``None`` and named in ``undefined``; an
unusable sample (empty, a stratum with fewer than two samples) raises
:class:`~geoverify.errors.EvidenceError`.

References
----------
.. [1] Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley.
.. [2] Olofsson, P., Foody, G. M., Herold, M., Stehman, S. V., Woodcock, C. E., &
   Wulder, M. A. (2014). Good practices for estimating area and assessing accuracy
   of land change. *Remote Sensing of Environment*, 148, 42–57.
.. [3] Stehman, S. V. (2014). Estimating area and map accuracy for stratified random
   sampling when the strata are different from the map classes. *International
   Journal of Remote Sensing*, 35(13), 4923–4939.
.. [4] Pontius, R. G., Jr., & Millones, M. (2011). Death to Kappa: birth of quantity
   disagreement and allocation disagreement for accuracy assessment. *International
   Journal of Remote Sensing*, 32(15), 4407–4429.
.. [5] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. *JASA*, 22(158), 209–212; Brown, L. D., Cai, T. T., &
   DasGupta, A. (2001). Interval estimation for a binomial proportion.
   *Statistical Science*, 16(2), 101–133.
.. [6] Cohen, J. (1960). A coefficient of agreement for nominal scales.
   *Educational and Psychological Measurement*, 20(1), 37–46.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError

__all__ = [
    "Z95",
    "Estimate",
    "additional_samples",
    "census",
    "check_matrix",
    "cochran_sample_size",
    "disagreement",
    "kappa",
    "olofsson_sample_size",
    "simple_random",
    "stratified_general",
    "stratified_map_classes",
    "wilson_interval",
]

#: Two-sided 95% normal quantile.
Z95 = 1.959963984540054


@dataclass
class Estimate:
    """Accuracy estimates of one confusion matrix under one sampling design.

    Proportions are in [0, 1].  Per-class values are lists in ``labels`` order;
    ``None`` marks a value that is undefined for this sample (listed in
    ``undefined`` with the reason).
    """

    design: str
    estimator: str
    labels: list[str]
    n: int
    matrix: np.ndarray  # sample counts, rows = map, columns = reference
    overall_accuracy: float
    overall_accuracy_se: float
    overall_accuracy_ci: tuple[float, float]
    users_accuracy: list[float | None]
    users_accuracy_se: list[float | None]
    producers_accuracy: list[float | None]
    producers_accuracy_se: list[float | None]
    f1: list[float | None]
    kappa: float | None
    quantity_disagreement: float
    allocation_disagreement: float
    proportions: np.ndarray  # estimated area proportions p_ij (rows map, columns reference)
    area_proportions: list[float] | None = None
    area_proportions_se: list[float] | None = None
    area_ha: list[float] | None = None
    area_ha_se: list[float] | None = None
    weights: list[float] | None = None
    undefined: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dictionary; per-class values keyed by label."""

        def keyed(values: Sequence[Any] | None) -> dict[str, Any] | None:
            if values is None:
                return None
            return {lab: _num(v) for lab, v in zip(self.labels, values, strict=True)}

        out: dict[str, Any] = {
            "design": self.design,
            "estimator": self.estimator,
            "n": int(self.n),
            "labels": list(self.labels),
            "confusion_matrix": self.matrix.astype(np.int64).tolist(),
            "overall_accuracy": _num(self.overall_accuracy),
            "overall_accuracy_se": _num(self.overall_accuracy_se),
            "overall_accuracy_ci": [
                _num(self.overall_accuracy_ci[0]),
                _num(self.overall_accuracy_ci[1]),
            ],
            "users_accuracy": keyed(self.users_accuracy),
            "users_accuracy_se": keyed(self.users_accuracy_se),
            "producers_accuracy": keyed(self.producers_accuracy),
            "producers_accuracy_se": keyed(self.producers_accuracy_se),
            "f1": keyed(self.f1),
            "kappa": _num(self.kappa),
            "quantity_disagreement": _num(self.quantity_disagreement),
            "allocation_disagreement": _num(self.allocation_disagreement),
        }
        if self.area_proportions is not None:
            out["area_proportions"] = keyed(self.area_proportions)
            out["area_proportions_se"] = keyed(self.area_proportions_se)
            out["area_ha"] = keyed(self.area_ha)
            out["area_ha_se"] = keyed(self.area_ha_se)
            out["weights"] = keyed(self.weights)
            out["estimated_proportions"] = np.round(self.proportions, 12).tolist()
        if self.undefined:
            out["undefined"] = dict(self.undefined)
        return out


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


# --------------------------------------------------------------------------- validation


def check_matrix(matrix: Any, labels: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Validate a square confusion matrix of non-negative integer counts.

    Returns
    -------
    (matrix as int64 array, labels as strings)

    Raises
    ------
    EvidenceError
        Not square, negative or non-integer counts, labels of the wrong length, or
        an empty sample.
    """
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise EvidenceError(f"confusion matrix must be square, got shape {m.shape}")
    if m.size and not np.all(np.isfinite(m)):
        raise EvidenceError("confusion matrix has non-finite counts")
    if np.any(m < 0) or np.any(m != np.round(m)):
        raise EvidenceError("confusion matrix counts must be non-negative integers")
    m = m.astype(np.int64)
    k = m.shape[0]
    names = [str(v) for v in (labels if labels is not None else range(k))]
    if len(names) != k:
        raise EvidenceError(f"{len(names)} labels for a {k}x{k} confusion matrix")
    if m.sum() == 0:
        raise EvidenceError(
            "the reference sample is empty: no sample falls on valid map pixels",
            hint="Check that the reference data overlap the map and are not all on nodata.",
        )
    return m, names


# --------------------------------------------------------------------------- simple random


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion [5]_.

    Unlike the Wald interval it keeps a non-zero width when every sample is correct
    (or wrong), so a perfect small sample does not claim certainty.
    """
    if n <= 0:
        raise EvidenceError("a proportion needs at least one sample")
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # the exact bounds contain p; guard against rounding at p = 0 or 1
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def _binomial_se(p: float, n: int) -> float:
    """Estimated SE of a sample proportion, Cochran (1977) eq. 3.11 without fpc: pq/(n-1)."""
    if n <= 1:
        return math.sqrt(p * (1 - p)) if n == 1 else math.nan
    return math.sqrt(p * (1 - p) / (n - 1))


def kappa(matrix: Any) -> float | None:
    """Cohen's kappa [6]_ of a count or proportion matrix; ``None`` when chance agreement is 1."""
    m = np.asarray(matrix, dtype=float)
    p = m / m.sum()
    po = float(np.trace(p))
    pe = float(p.sum(axis=1) @ p.sum(axis=0))
    if math.isclose(pe, 1.0):
        return None
    return (po - pe) / (1.0 - pe)


def disagreement(proportions: Any) -> tuple[float, float]:
    """Quantity and allocation disagreement of Pontius & Millones (2011) [4]_.

    Parameters
    ----------
    proportions : array (K, K)
        Estimated population proportions ``p_ij`` (rows map, columns reference),
        or counts (normalised here).

    Returns
    -------
    (Q, A) with ``Q + A = 1 - overall agreement`` (their eqs. 2–5).
    """
    p = np.asarray(proportions, dtype=float)
    p = p / p.sum()
    row, col, diag = p.sum(axis=1), p.sum(axis=0), np.diag(p)
    q = float(np.abs(row - col).sum() / 2.0)
    a = float((2.0 * np.minimum(row - diag, col - diag)).sum() / 2.0)
    return q, a


def simple_random(matrix: Any, labels: Sequence[str] | None = None) -> Estimate:
    """Estimates for a simple random (or systematic) sample [1]_ [4]_ [5]_.

    OA = trace / n with SE sqrt(OA(1-OA)/(n-1)) (Cochran 1977, eq. 3.11, no fpc) and
    a Wilson score 95% interval; UA_i = n_ii / n_i+ and PA_j = n_jj / n_+j, each a
    binomial proportion within its row/column.
    """
    m, names = check_matrix(matrix, labels)
    n = int(m.sum())
    diag = np.diag(m).astype(float)
    rows, cols = m.sum(axis=1), m.sum(axis=0)
    oa = float(diag.sum() / n)
    undefined: dict[str, str] = {}
    ua: list[float | None] = []
    ua_se: list[float | None] = []
    pa: list[float | None] = []
    pa_se: list[float | None] = []
    f1: list[float | None] = []
    for i, lab in enumerate(names):
        u = p_ = None
        if rows[i] > 0:
            u = float(diag[i] / rows[i])
            ua.append(u)
            ua_se.append(_binomial_se(u, int(rows[i])) if rows[i] > 1 else None)
        else:
            ua.append(None)
            ua_se.append(None)
            undefined[f"users_accuracy.{lab}"] = "class never mapped at a sample"
        if cols[i] > 0:
            p_ = float(diag[i] / cols[i])
            pa.append(p_)
            pa_se.append(_binomial_se(p_, int(cols[i])) if cols[i] > 1 else None)
        else:
            pa.append(None)
            pa_se.append(None)
            undefined[f"producers_accuracy.{lab}"] = "class absent from the reference sample"
        f1.append(_f1(u, p_))
    for key in [k for k, v in zip(names, ua_se, strict=True) if v is None]:
        if rows[names.index(key)] == 1:
            undefined[f"users_accuracy_se.{key}"] = "a single sample of the class"
    q, a = disagreement(m)
    return Estimate(
        design="simple",
        estimator="simple random sampling: binomial proportions (Cochran 1977), "
        "Wilson 95% interval for OA",
        labels=names,
        n=n,
        matrix=m,
        overall_accuracy=oa,
        overall_accuracy_se=_binomial_se(oa, n) if n > 1 else math.sqrt(oa * (1 - oa)),
        overall_accuracy_ci=wilson_interval(diag.sum(), n),
        users_accuracy=ua,
        users_accuracy_se=ua_se,
        producers_accuracy=pa,
        producers_accuracy_se=pa_se,
        f1=f1,
        kappa=kappa(m),
        quantity_disagreement=q,
        allocation_disagreement=a,
        proportions=m / n,
        undefined=undefined,
    )


def census(matrix: Any, labels: Sequence[str] | None = None) -> Estimate:
    """Exact accuracies of a wall-to-wall census (every valid pixel pair counted).

    The matrix is the population, not a sample: OA = trace / N, UA_i = n_ii / n_i+
    and PA_j = n_jj / n_+j are the proportions of :func:`simple_random`, but exact,
    so every standard error is ``0`` and the OA "interval" is the degenerate
    ``(OA, OA)``.  A per-class SE is ``None`` only where the accuracy itself is
    undefined (a class absent from the map or from the reference, named in
    ``undefined``).
    """
    sample = simple_random(matrix, labels)
    undefined = {
        key: "class absent from the map"
        if key.startswith("users_accuracy.")
        else "class absent from the reference"
        for key in sample.undefined
        if key.startswith(("users_accuracy.", "producers_accuracy."))
    }
    oa = sample.overall_accuracy
    return dataclasses.replace(
        sample,
        design="census",
        estimator="wall-to-wall census: every valid pixel pair counted (exact, no sampling error)",
        overall_accuracy_se=0.0,
        overall_accuracy_ci=(oa, oa),
        users_accuracy_se=[None if u is None else 0.0 for u in sample.users_accuracy],
        producers_accuracy_se=[None if p is None else 0.0 for p in sample.producers_accuracy],
        undefined=undefined,
    )


def _f1(u: float | None, p: float | None) -> float | None:
    if u is None or p is None:
        return None
    return 0.0 if u + p == 0 else 2 * u * p / (u + p)


# --------------------------------------------------------------------------- Olofsson 2014


def stratified_map_classes(
    matrix: Any,
    mapped_pixels: Any,
    labels: Sequence[str] | None = None,
    *,
    pixel_area_ha: float = 1.0,
    mapped_areas_ha: Any | None = None,
) -> Estimate:
    """Stratified estimators with the map classes as strata (Olofsson et al. 2014) [2]_.

    Parameters
    ----------
    matrix : array (K, K)
        Sample counts ``n_ij``, rows map class (= stratum), columns reference class.
    mapped_pixels : array (K,)
        Number of map pixels of each class (the stratum sizes); ``W_i`` is its share.
    labels : sequence of str, optional
    pixel_area_ha : float
        Area of one pixel in hectares, for the class areas.
    mapped_areas_ha : array (K,), optional
        Mapped area of each class in hectares, when pixels differ in area (a
        geographic grid): the weights ``W_i`` are then area shares and the class
        areas are proportions of the total mapped area (``pixel_area_ha`` unused).

    Notes
    -----
    Equations of Olofsson et al. (2014): p_ij = W_i n_ij / n_i+ (eq. 4); area
    proportion p_+j and its SE (eqs. 9–10); OA (eq. 1, SE eq. 5), UA (eq. 2, SE eq. 6),
    PA (eq. 3, SE eq. 7); class area = p_+j × total area (eqs. 11–12).  The finite
    population correction is ignored, as in the paper.  A map class with mapped
    area but no sample, or with a single sample, makes the variances undefined:
    an :class:`EvidenceError` says so.

    Raises
    ------
    EvidenceError
        Mapped pixel counts of the wrong length or negative; a mapped class with
        fewer than two samples; an empty sample.
    """
    m, names = check_matrix(matrix, labels)
    npix = np.asarray(mapped_pixels, dtype=float)
    if npix.shape != (m.shape[0],) or np.any(npix < 0) or not np.all(np.isfinite(npix)):
        raise EvidenceError(
            f"mapped pixel counts must be {m.shape[0]} non-negative numbers, got {npix.tolist()}"
        )
    if npix.sum() <= 0:
        raise EvidenceError("the map has no valid pixel of any sampled class")
    if not pixel_area_ha > 0:
        raise EvidenceError(f"pixel area must be positive, got {pixel_area_ha}")
    size = npix
    if mapped_areas_ha is not None:
        size = np.asarray(mapped_areas_ha, dtype=float)
        if size.shape != npix.shape or np.any(size < 0) or not np.all(np.isfinite(size)):
            raise EvidenceError(
                f"mapped areas must be {m.shape[0]} non-negative numbers, got {size.tolist()}"
            )
        if np.any((size > 0) != (npix > 0)):
            raise EvidenceError(
                "mapped areas and pixel counts disagree on which classes are mapped",
                hint="The areas and the pixel counts must come from the same map.",
            )
    n_i = m.sum(axis=1).astype(float)
    for i, lab in enumerate(names):
        if npix[i] > 0 and n_i[i] < 2:
            raise EvidenceError(
                f"map class {lab!r} covers {npix[i]:.0f} pixels but has {int(n_i[i])} "
                "reference sample(s); stratified variances need at least 2 per stratum",
                hint="Add reference samples in that class (Olofsson et al. 2014 suggest "
                "at least 50 per class) or use design = 'simple'.",
            )
        if npix[i] == 0 and n_i[i] > 0:
            raise EvidenceError(
                f"map class {lab!r} has {int(n_i[i])} samples but no mapped pixel",
                hint="The sample and the pixel counts must come from the same map.",
            )
    w = size / size.sum()
    sampled = n_i > 0
    frac = np.zeros_like(m, dtype=float)
    frac[sampled] = m[sampled] / n_i[sampled, None]  # n_ij / n_i+
    p = w[:, None] * frac  # eq. 4
    denom = np.where(sampled, n_i - 1.0, 1.0)
    # area proportions of the reference classes and their SE (eqs. 9-10)
    area_p = p.sum(axis=0)
    area_se = np.sqrt(((w[:, None] ** 2) * frac * (1 - frac) / denom[:, None]).sum(axis=0))
    # OA (eq. 1) and its variance (eq. 5)
    u = np.diag(frac)
    oa = float(np.trace(p))
    oa_se = float(math.sqrt(((w**2) * u * (1 - u) / denom).sum()))
    undefined: dict[str, str] = {}
    ua: list[float | None] = []
    ua_se: list[float | None] = []
    pa: list[float | None] = []
    pa_se: list[float | None] = []
    f1: list[float | None] = []
    n_hat_j = (size[:, None] * frac).sum(axis=0)  # estimated reference-class totals
    for j, lab in enumerate(names):
        uj = pj = None
        if sampled[j]:
            uj = float(u[j])
            ua.append(uj)
            ua_se.append(float(math.sqrt(uj * (1 - uj) / denom[j])))
        else:
            ua.append(None)
            ua_se.append(None)
            undefined[f"users_accuracy.{lab}"] = "class never mapped"
        if n_hat_j[j] > 0:
            pj = float(p[j, j] / area_p[j])
            # eq. 7: variance of producer's accuracy
            others = sum(
                size[i] ** 2 * frac[i, j] * (1 - frac[i, j]) / denom[i]
                for i in range(len(names))
                if i != j and sampled[i]
            )
            own = size[j] ** 2 * (1 - pj) ** 2 * u[j] * (1 - u[j]) / denom[j] if sampled[j] else 0
            pa.append(pj)
            pa_se.append(float(math.sqrt((own + pj**2 * others) / n_hat_j[j] ** 2)))
        else:
            pa.append(None)
            pa_se.append(None)
            undefined[f"producers_accuracy.{lab}"] = "class absent from the reference sample"
        f1.append(_f1(uj, pj))
    total_ha = float(size.sum() if mapped_areas_ha is not None else npix.sum() * pixel_area_ha)
    q, a = disagreement(p)
    return Estimate(
        design="stratified",
        estimator="stratified estimators, strata = map classes (Olofsson et al. 2014)",
        labels=names,
        n=int(m.sum()),
        matrix=m,
        overall_accuracy=oa,
        overall_accuracy_se=oa_se,
        overall_accuracy_ci=_normal_ci(oa, oa_se),
        users_accuracy=ua,
        users_accuracy_se=ua_se,
        producers_accuracy=pa,
        producers_accuracy_se=pa_se,
        f1=f1,
        kappa=kappa(p),
        quantity_disagreement=q,
        allocation_disagreement=a,
        proportions=p,
        area_proportions=[float(v) for v in area_p],
        area_proportions_se=[float(v) for v in area_se],
        area_ha=[float(v * total_ha) for v in area_p],
        area_ha_se=[float(v * total_ha) for v in area_se],
        weights=[float(v) for v in w],
        undefined=undefined,
    )


def _normal_ci(est: float, se: float) -> tuple[float, float]:
    return max(0.0, est - Z95 * se), min(1.0, est + Z95 * se)


# --------------------------------------------------------------------------- Stehman 2014


def stratified_general(
    strata: Any,
    map_labels: Any,
    ref_labels: Any,
    stratum_sizes: Mapping[Any, float],
    labels: Sequence[str] | None = None,
    *,
    pixel_area_ha: float = 1.0,
    fpc: bool = True,
    stratum_areas_ha: Mapping[Any, float] | None = None,
) -> Estimate:
    """Stratified estimators when the strata are not the map classes (Stehman 2014) [3]_.

    Every estimate is a stratified total of a per-sample indicator (area
    proportions, OA, the error-matrix cells p_ij, Stehman's eqs. 2–4) or a ratio of
    two such totals (UA, PA: eq. 5), with the variance of a stratified mean (eq. 25)
    and of a combined ratio estimator (eq. 28).

    Parameters
    ----------
    strata, map_labels, ref_labels : array-like (n,)
        Stratum, map class and reference class of each sample unit.
    stratum_sizes : mapping
        Stratum -> number of pixels ``N_h`` (every sampled stratum must be present).
    labels : sequence of str, optional
        Class order of the output (default: sorted union of map and reference labels).
    pixel_area_ha : float
        Area of one pixel in hectares.
    fpc : bool
        Apply the finite population correction ``1 - n_h/N_h`` (Stehman 2014 does).
    stratum_areas_ha : mapping, optional
        Stratum -> area in hectares, when pixels differ in area (a geographic grid):
        the strata are then weighted by area, ``N_h`` serving only the finite
        population correction, and ``pixel_area_ha`` is unused.

    Raises
    ------
    EvidenceError
        Arrays of different lengths, empty sample, a stratum without a size (or
        area), a sampled stratum with fewer than two samples, a stratum with area
        but no sample, samples in a stratum without pixels, or more samples than
        pixels in a stratum.
    """
    s = np.asarray(strata).astype(str)
    mp = np.asarray(map_labels).astype(str)
    rf = np.asarray(ref_labels).astype(str)
    if not (s.shape == mp.shape == rf.shape) or s.ndim != 1:
        raise EvidenceError("strata, map and reference labels must be 1-D arrays of one length")
    if s.size == 0:
        raise EvidenceError(
            "the reference sample is empty: no sample falls on valid map pixels",
            hint="Check that the reference data overlap the map and are not all on nodata.",
        )
    sizes = {str(k): float(v) for k, v in stratum_sizes.items()}
    names = (
        [str(v) for v in labels]
        if labels is not None
        else sorted(set(mp.tolist()) | set(rf.tolist()), key=_label_key)
    )
    unknown = (set(mp.tolist()) | set(rf.tolist())) - set(names)
    if unknown:
        raise EvidenceError(f"labels {sorted(unknown)} are not in the given label list")
    k = len(names)
    index = {lab: i for i, lab in enumerate(names)}
    mi = np.array([index[v] for v in mp], dtype=np.int64)
    ri = np.array([index[v] for v in rf], dtype=np.int64)
    # per-unit indicator columns: [correct, map==k (K), ref==k (K), correct&ref==k (K),
    # cells map==i&ref==j (K*K)]
    correct = (mi == ri).astype(float)
    eye = np.eye(k)
    z = np.concatenate(
        [
            correct[:, None],
            eye[mi],
            eye[ri],
            eye[ri] * correct[:, None],
            (eye[mi][:, :, None] * eye[ri][:, None, :]).reshape(len(s), k * k),
        ],
        axis=1,
    )
    areas = None
    if stratum_areas_ha is not None:
        areas = {str(k): float(v) for k, v in stratum_areas_ha.items()}
        bad = {h: v for h, v in areas.items() if not (math.isfinite(v) and v >= 0)}
        if bad:
            raise EvidenceError(f"stratum areas must be finite and non-negative, got {bad}")
    bad_sizes = {h: v for h, v in sizes.items() if not (math.isfinite(v) and v >= 0)}
    if bad_sizes:
        raise EvidenceError(f"stratum sizes must be finite and non-negative, got {bad_sizes}")
    stratum_names = sorted(set(s.tolist()) | {h for h, v in sizes.items() if v > 0})
    totals = np.zeros(z.shape[1])
    covs: list[tuple[float, np.ndarray]] = []  # (N_h^2 (1-f)/n_h, S_h)
    for h in stratum_names:
        if h not in sizes:
            raise EvidenceError(
                f"stratum {h!r} has samples but no size",
                hint="Give the stratum sizes (a strata raster is counted pixel by pixel).",
            )
        if areas is not None and h not in areas:
            raise EvidenceError(
                f"stratum {h!r} has a size but no area",
                hint="The stratum areas and sizes must come from the same strata raster.",
            )
        sel = s == h
        n_h, size = int(sel.sum()), sizes[h]
        if n_h > 0 and size <= 0:
            raise EvidenceError(
                f"stratum {h!r} has {n_h} sample(s) but no pixel: its weight would be 0 "
                "and the samples would be used for nothing",
                hint="The samples and the stratum sizes must come from the same strata "
                "(check the strata raster or the strata column).",
            )
        if n_h > size:
            raise EvidenceError(
                f"stratum {h!r} has {n_h} samples but only {size:g} pixels",
                hint="Each sample is a distinct pixel of its stratum: check the strata "
                "raster and the sample's strata column.",
            )
        if size > 0 and n_h < 2:
            raise EvidenceError(
                f"stratum {h!r} has {n_h} sample(s); stratified variances need at least 2",
                hint="Add reference samples in that stratum or merge it with another.",
            )
        if n_h == 0:
            continue
        zh = z[sel]
        weight = areas[h] if areas is not None else size
        totals += weight * zh.mean(axis=0)
        f = (1.0 - n_h / size) if fpc and size > 0 else 1.0
        covs.append((weight**2 * max(f, 0.0) / n_h, np.cov(zh, rowvar=False, ddof=1)))
    big_n = sum((areas if areas is not None else sizes).get(h, 0.0) for h in stratum_names)
    if big_n <= 0:
        raise EvidenceError("the strata have no pixels")

    def var_total(a: np.ndarray) -> float:
        return float(sum(c * (a @ sh @ a) for c, sh in covs))

    def ratio(iy: int, ix: int) -> tuple[float | None, float | None]:
        if totals[ix] <= 0:
            return None, None
        r = totals[iy] / totals[ix]
        a = np.zeros(z.shape[1])
        a[iy], a[ix] = 1.0, -r  # linearised ratio: var(y - R x) / X^2
        return float(r), float(math.sqrt(max(var_total(a), 0.0)) / totals[ix])

    ncol = z.shape[1]

    def unit(i: int) -> np.ndarray:
        a = np.zeros(ncol)
        a[i] = 1.0
        return a

    oa = float(totals[0] / big_n)
    oa_se = math.sqrt(var_total(unit(0))) / big_n
    o_map, o_ref, o_cor, o_cell = 1, 1 + k, 1 + 2 * k, 1 + 3 * k
    area_p = [float(totals[o_ref + j] / big_n) for j in range(k)]
    area_se = [math.sqrt(var_total(unit(o_ref + j))) / big_n for j in range(k)]
    undefined: dict[str, str] = {}
    ua: list[float | None] = []
    ua_se: list[float | None] = []
    pa: list[float | None] = []
    pa_se: list[float | None] = []
    f1: list[float | None] = []
    for j, lab in enumerate(names):
        u, use = ratio(o_cor + j, o_map + j)
        p_, pse = ratio(o_cor + j, o_ref + j)
        if u is None:
            undefined[f"users_accuracy.{lab}"] = "class never mapped at a sample"
        if p_ is None:
            undefined[f"producers_accuracy.{lab}"] = "class absent from the reference sample"
        ua.append(u)
        ua_se.append(use)
        pa.append(p_)
        pa_se.append(pse)
        f1.append(_f1(u, p_))
    p = (totals[o_cell:] / big_n).reshape(k, k)
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (mi, ri), 1)
    q, a = disagreement(p)
    total_ha = big_n if areas is not None else big_n * pixel_area_ha
    return Estimate(
        design="stratified",
        estimator="stratified estimators, strata other than the map classes (Stehman 2014)",
        labels=names,
        n=int(s.size),
        matrix=counts,
        overall_accuracy=oa,
        overall_accuracy_se=oa_se,
        overall_accuracy_ci=_normal_ci(oa, oa_se),
        users_accuracy=ua,
        users_accuracy_se=ua_se,
        producers_accuracy=pa,
        producers_accuracy_se=pa_se,
        f1=f1,
        kappa=kappa(p) if p.sum() > 0 else None,
        quantity_disagreement=q,
        allocation_disagreement=a,
        proportions=p,
        area_proportions=area_p,
        area_proportions_se=area_se,
        area_ha=[v * total_ha for v in area_p],
        area_ha_se=[v * total_ha for v in area_se],
        weights=None,
        undefined=undefined,
    )


def _label_key(label: str) -> tuple[int, float, str]:
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


# --------------------------------------------------------------------------- planning


def cochran_sample_size(p: float, target_se: float, population: float | None = None) -> int:
    """Simple random sample size for a proportion ``p`` with standard error ``target_se``.

    ``n0 = p (1 - p) / SE^2`` (Cochran 1977, eq. 4.2 with d = z SE), with the finite
    population correction ``n = n0 / (1 + n0 / N)`` when ``population`` is given.
    """
    if not 0 <= p <= 1:
        raise EvidenceError(f"a proportion must lie in [0, 1], got {p}")
    if not target_se > 0:
        raise EvidenceError(f"the target standard error must be positive, got {target_se}")
    n0 = p * (1 - p) / target_se**2
    if population:
        n0 = n0 / (1 + n0 / population)
    return math.ceil(n0 - 1e-9)


def olofsson_sample_size(
    weights: Sequence[float],
    users_accuracies: Sequence[float],
    target_se: float,
    population: float | None = None,
) -> int:
    """Stratified sample size for a target SE of overall accuracy (Olofsson et al. 2014, eq. 13).

    ``n = (Σ W_i S_i)^2 / (S(Ô)^2 + (1/N) Σ W_i S_i^2)`` with ``S_i = sqrt(U_i (1 - U_i))``
    (Cochran 1977, eq. 5.25); the second term of the denominator is dropped when
    ``population`` (N) is not given.
    """
    w = np.asarray(weights, dtype=float)
    u = np.asarray(users_accuracies, dtype=float)
    if w.shape != u.shape or w.ndim != 1 or w.size == 0:
        raise EvidenceError("weights and user's accuracies must be 1-D arrays of one length")
    if np.any(w < 0) or not math.isclose(float(w.sum()), 1.0, rel_tol=1e-6):
        raise EvidenceError(f"stratum weights must be non-negative and sum to 1, got {w.sum()}")
    if np.any((u < 0) | (u > 1)):
        raise EvidenceError("user's accuracies must lie in [0, 1]")
    if not target_se > 0:
        raise EvidenceError(f"the target standard error must be positive, got {target_se}")
    s = np.sqrt(u * (1 - u))
    denom = target_se**2 + ((w * s**2).sum() / population if population else 0.0)
    return math.ceil(float((w * s).sum()) ** 2 / denom - 1e-9)


def additional_samples(
    estimate: float,
    threshold: float,
    n: int,
    *,
    se: float | None = None,
    weights: Sequence[float] | None = None,
    users_accuracies: Sequence[float] | None = None,
    interval: str = "wald",
    max_n: int = 10_000_000,
) -> int | None:
    """Number of ADDITIONAL reference samples expected to decide ``estimate`` vs ``threshold``.

    The target standard error is ``|estimate - threshold| / 1.96``: with it, the 95%
    interval would exclude the threshold if the estimate stayed where it is.

    - simple random sampling (no ``weights``): Cochran's ``n = p(1-p)/SE^2``; with
      ``interval = "wilson"`` the size is then raised to the smallest one whose Wilson
      interval at the same proportion excludes the threshold (the interval the
      decision uses; at ``p = 0`` or ``1`` Cochran's size is 0 and Wilson alone decides);
    - stratified (``weights`` and ``users_accuracies``): Olofsson et al. (2014) eq. 13.
      Eq. 13 assumes an optimal allocation; the sample at hand may be allocated
      otherwise, so when its standard error ``se`` is given the size needed by
      scaling every stratum's sample alike, ``n (se / target)^2``, is computed too
      and the larger of the two is used: an inconclusive estimate never gets 0.

    Returns ``0`` when the current sample already decides, ``None`` when the estimate
    equals the threshold (no finite sample decides it).  Proportions in [0, 1].
    """
    if n < 0:
        raise EvidenceError(f"sample size must be non-negative, got {n}")
    gap = abs(estimate - threshold)
    if gap <= 1e-12:
        return None
    target = gap / Z95
    if weights is not None and users_accuracies is not None:
        needed = olofsson_sample_size(weights, users_accuracies, target)
        if se is not None and se > 0:
            needed = max(needed, math.ceil(n * (se / target) ** 2 - 1e-9))
    else:
        needed = cochran_sample_size(min(max(estimate, 0.0), 1.0), target)
        if interval == "wilson":
            needed = max(needed, n, 1)

            def decides(size: int) -> bool:
                lo, hi = wilson_interval(estimate * size, size)
                return lo > threshold or hi < threshold

            failing = 0  # largest size known not to decide (0: none tried)
            while needed < max_n:
                if decides(needed):
                    break
                failing = needed
                needed = math.ceil(needed * 1.05) + 1
            else:
                return None
            # the Wilson interval narrows as n grows (at a fixed proportion): bisect
            # between the last size that does not decide and the first that does
            if failing:
                while needed - failing > 1:
                    mid = (needed + failing) // 2
                    if decides(mid):
                        needed = mid
                    else:
                        failing = mid
    return max(0, int(needed) - int(n))
