"""Reference-sample design: sample sizes, allocation between strata, and the response design.

Pure statistics, no I/O.  What a secretariat decides *before* drawing a sample:

- :func:`plan_sample` — the sample size for a target standard error of overall
  accuracy (OA) under simple random, systematic or stratified random sampling,
  and its split between the strata (:func:`allocate`); optionally raised so that
  the user's accuracy of named classes reaches its own target standard error;
- :func:`allocate` — proportional, equal, Neyman (optimal) and the "minimum per
  stratum, rest proportional" compromise of Olofsson et al. (2014, §5.1.1);
- :func:`expected_oa_se` / :func:`expected_ua_se` — the standard errors a plan
  is expected to reach, given conjectured user's accuracies.

And what it decides about the labels (the *response design*, Stehman & Czaplewski
1998; Olofsson et al. 2014 §4): several interpreters may label the same units,
"cannot tell" labels are excluded and counted, and the interpreters' agreement is
reported — :func:`consensus`, :func:`percent_agreement`, :func:`cohen_kappa`,
:func:`fleiss_kappa`, :func:`interpreter_agreement`, :func:`resolve_reference`.

References
----------
.. [1] Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley. §5.5 (optimum
   allocation, eq. 5.25), §5.9, §4.4 (sample size for proportions).
.. [2] Olofsson, P., Foody, G. M., Herold, M., Stehman, S. V., Woodcock, C. E., &
   Wulder, M. A. (2014). Good practices for estimating area and assessing accuracy
   of land change. *Remote Sensing of Environment*, 148, 42–57.
.. [3] Cohen, J. (1960). A coefficient of agreement for nominal scales.
   *Educational and Psychological Measurement*, 20(1), 37–46.
.. [4] Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
   *Psychological Bulletin*, 76(5), 378–382.
.. [5] Stehman, S. V., & Czaplewski, R. L. (1998). Design and analysis for thematic
   map accuracy assessment: fundamental principles. *Remote Sensing of
   Environment*, 64(3), 331–344.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.stats.estimators import cochran_sample_size, kappa, olofsson_sample_size

__all__ = [
    "ALLOCATIONS",
    "CANNOT_TELL",
    "DESIGNS",
    "Consensus",
    "SamplePlan",
    "allocate",
    "cohen_kappa",
    "consensus",
    "expected_oa_se",
    "expected_ua_se",
    "fleiss_kappa",
    "interpreter_agreement",
    "normalise_label",
    "percent_agreement",
    "plan_sample",
    "reference_columns",
    "resolve_reference",
]

#: Allocations of a stratified sample between its strata.
ALLOCATIONS = ("proportional", "equal", "neyman", "olofsson")
#: Sampling designs a plan can be made for.
DESIGNS = ("simple", "stratified", "systematic")
#: Labels that mean "the interpreter cannot tell" (compared case-insensitively).
CANNOT_TELL = ("cannot tell", "cannot_tell", "cannot-tell", "unknown", "unsure", "?")
#: Conjectured user's accuracy of a class none was given for.
DEFAULT_USERS_ACCURACY = 0.8


# --------------------------------------------------------------------------- allocation


def _round_shares(shares: np.ndarray, n: int, caps: np.ndarray) -> np.ndarray:
    """Integer sizes summing to ``n`` from real ``shares`` (Hamilton's largest remainder).

    Ties between equal remainders go to the first stratum (deterministic).  A stratum
    never gets more than its cap (its pixel count): the excess is given to the others
    in proportion to their shares, repeatedly.
    """
    k = shares.size
    out = np.zeros(k, dtype=np.int64)
    free = np.ones(k, dtype=bool)
    remaining = n
    while remaining > 0 and free.any():
        s = np.where(free, shares, 0.0)
        if s.sum() <= 0:
            s = free.astype(float)
        ideal = remaining * s / s.sum()
        base = np.floor(ideal + 1e-9).astype(np.int64)
        left = remaining - int(base.sum())
        frac = ideal - base
        order = sorted(np.flatnonzero(free), key=lambda i: (-round(float(frac[i]), 12), i))
        for i in order[:left]:
            base[i] += 1
        room = caps - out
        take = np.minimum(base, room)
        out += take
        remaining -= int(take.sum())
        full = out >= caps
        if not (free & full).any():
            break
        free &= ~full
    if remaining > 0:
        raise EvidenceError(
            f"cannot place {n} samples: the strata hold only {int(caps.sum())} pixels",
            hint="Lower the sample size or the target precision.",
        )
    return out


def allocate(
    n: int,
    sizes: Sequence[float],
    method: str,
    *,
    std: Sequence[float] | None = None,
    min_per_stratum: int = 50,
) -> list[int]:
    """Split a total sample size ``n`` between strata.

    Parameters
    ----------
    n : int
        Total sample size.
    sizes : sequence of float
        Stratum sizes ``N_h`` (pixels); a stratum never gets more units than pixels.
    method : {"proportional", "equal", "neyman", "olofsson"}
        - ``proportional``: ``n_h ∝ N_h`` (Cochran 1977, §5.3);
        - ``equal``: ``n_h = n / H``;
        - ``neyman``: optimum allocation for equal costs, ``n_h ∝ N_h S_h``
          (Cochran 1977, eq. 5.26) — ``std`` gives ``S_h`` (for OA,
          ``S_h = sqrt(U_h (1 − U_h))`` with ``U_h`` the conjectured user's accuracy);
        - ``olofsson``: every stratum gets at least ``min_per_stratum`` units and
          the rest of ``n`` is shared between the other strata in proportion to
          their size — the compromise Olofsson et al. (2014, §5.1.1) recommend
          between proportional allocation (good for OA) and equal allocation
          (good for the user's accuracy of rare classes).  Repeated until every
          stratum has its minimum (a stratum whose proportional share falls under
          the minimum joins the fixed ones).
    std : sequence of float, optional
        Within-stratum standard deviations ``S_h`` (``neyman`` only).
    min_per_stratum : int
        The minimum of the ``olofsson`` allocation (capped by ``N_h``).

    Returns
    -------
    list of int
        ``n_h``, summing to ``n``; rounded by largest remainder (Hamilton's method).

    Raises
    ------
    EvidenceError
        Unknown method, negative sizes, ``neyman`` without ``std``, more units than
        pixels, or an ``olofsson`` minimum that needs more than ``n`` units.

    References
    ----------
    .. [1] Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley. §5.3, §5.5.
    .. [2] Olofsson, P., et al. (2014). Good practices for estimating area and
       assessing accuracy of land change. *Remote Sensing of Environment*, 148, 42–57.
    """
    size = np.asarray(sizes, dtype=float)
    if size.ndim != 1 or size.size == 0 or np.any(size < 0) or not np.all(np.isfinite(size)):
        raise EvidenceError(f"stratum sizes must be non-negative numbers, got {list(sizes)}")
    if n < 0:
        raise EvidenceError(f"the sample size must be non-negative, got {n}")
    caps = np.floor(size).astype(np.int64)
    if n > caps.sum():
        raise EvidenceError(
            f"a sample of {n} units needs more pixels than the {int(caps.sum())} valid ones",
            hint="Lower the sample size or the target precision.",
        )
    if method == "proportional":
        return _round_shares(size, n, caps).tolist()
    if method == "equal":
        return _round_shares((size > 0).astype(float), n, caps).tolist()
    if method == "neyman":
        if std is None:
            raise EvidenceError("the Neyman allocation needs the within-stratum deviations S_h")
        s = np.asarray(std, dtype=float)
        if s.shape != size.shape or np.any(s < 0):
            raise EvidenceError("one non-negative S_h per stratum is needed")
        shares = size * s
        if shares.sum() <= 0:  # every stratum perfectly mapped: nothing to optimise
            shares = size
        return _round_shares(shares, n, caps).tolist()
    if method == "olofsson":
        if min_per_stratum < 0:
            raise EvidenceError(f"--min-per-stratum must be non-negative, got {min_per_stratum}")
        floor_h = np.minimum(caps, min_per_stratum)
        floor_h[size == 0] = 0
        if floor_h.sum() > n:
            raise EvidenceError(
                f"{int((floor_h > 0).sum())} strata × a minimum of {min_per_stratum} units "
                f"need {int(floor_h.sum())} units, more than the sample size {n}",
                hint="Raise the sample size or lower --min-per-stratum.",
            )
        fixed = np.zeros(size.size, dtype=bool)
        while True:
            rest = n - int(floor_h[fixed].sum())
            share = np.where(fixed, 0.0, size)
            ideal = rest * share / share.sum() if share.sum() > 0 else share
            under = ~fixed & (ideal < floor_h)
            if not under.any():
                break
            fixed |= under
        out = np.where(fixed, floor_h, 0)
        rest = n - int(out.sum())
        if rest > 0:
            caps_free = np.where(fixed, 0, caps)
            out = out + _round_shares(np.where(fixed, 0.0, size), rest, caps_free)
        return out.astype(np.int64).tolist()
    raise EvidenceError(
        f"unknown allocation {method!r}", hint=f"Use one of: {', '.join(ALLOCATIONS)}."
    )


# --------------------------------------------------------------------------- expected precision


def expected_oa_se(
    weights: Sequence[float],
    users_accuracies: Sequence[float],
    per_stratum: Sequence[int],
    sizes: Sequence[float] | None = None,
) -> float | None:
    """Standard error of OA a stratified allocation is expected to reach.

    ``V(Ô) = Σ W_h² S_h² / n_h · (1 − n_h / N_h)`` with ``S_h² = U_h (1 − U_h)``: the
    variance of a stratified mean (Cochran 1977, eq. 5.6), the strata being the
    map classes so that the proportion correct in stratum ``h`` is its user's
    accuracy (Olofsson et al. 2014, eq. 5).  The finite population correction is
    applied when ``sizes`` are given.  ``None`` when a stratum with weight has no
    unit (the estimator is then undefined).

    References
    ----------
    .. [1] Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley. eq. 5.6.
    .. [2] Olofsson, P., et al. (2014). *Remote Sensing of Environment*, 148, 42–57.
    """
    w = np.asarray(weights, dtype=float)
    u = np.asarray(users_accuracies, dtype=float)
    nh = np.asarray(per_stratum, dtype=float)
    if np.any((w > 0) & (nh <= 0)):
        return None
    f = np.zeros_like(w) if sizes is None else nh / np.maximum(np.asarray(sizes, float), 1.0)
    use = nh > 0
    var = float(np.sum((w[use] ** 2) * u[use] * (1 - u[use]) / nh[use] * (1 - f[use])))
    return math.sqrt(max(var, 0.0))


def expected_ua_se(users_accuracy: float, n_h: int) -> float | None:
    """Expected SE of a user's accuracy from ``n_h`` units: ``sqrt(U(1 − U)/(n_h − 1))``.

    Olofsson et al. (2014), eq. 7 (a binomial proportion within the stratum);
    ``None`` for fewer than two units.
    """
    if n_h < 2:
        return None
    return math.sqrt(users_accuracy * (1 - users_accuracy) / (n_h - 1))


def _ua_sample_size(users_accuracy: float, target_se: float) -> int:
    """Units in a stratum for ``SE(Û) <= target_se``: ``U(1 − U)/SE² + 1`` (eq. 7 inverted)."""
    if not target_se > 0:
        raise EvidenceError(f"a target standard error must be positive, got {target_se}")
    return math.ceil(users_accuracy * (1 - users_accuracy) / target_se**2 + 1 - 1e-9)


# --------------------------------------------------------------------------- plan


@dataclass
class SamplePlan:
    """A sample-size plan: total size, per-stratum split under each allocation, precision.

    ``strata`` are the stratum codes as strings (map classes, or the codes of a
    strata raster); ``sizes`` their pixel counts ``N_h``; ``per_stratum`` the
    split of the chosen ``allocation`` (for ``simple``/``systematic`` designs, the
    *expected* number of units per map class, ``n W_h``, not an allocation).
    """

    design: str
    target_se: float
    strata: list[str]
    sizes: list[int]
    weights: list[float]
    users_accuracies: list[float]
    n: int
    allocation: str | None
    min_per_stratum: int | None
    per_stratum: list[int]
    alternatives: dict[str, list[int]]
    expected_oa_se: dict[str, float | None]
    expected_ua_se: dict[str, list[float | None]]
    strata_source: str = "map"
    users_accuracy_targets: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def allocation_of(self) -> dict[str, int]:
        """Stratum code -> number of units of the chosen allocation."""
        return dict(zip(self.strata, self.per_stratum, strict=True))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (what ``geoverify sample design --format json`` prints)."""
        chosen_ua = self.expected_ua_se.get(self.allocation or self.design)
        return {
            "format": "geoverify-sample-plan",
            "design": self.design,
            "target_se": self.target_se,
            "n": self.n,
            "allocation": self.allocation,
            "min_per_stratum": self.min_per_stratum,
            "strata_source": self.strata_source,
            "strata": [
                {
                    "stratum": s,
                    "pixels": size,
                    "weight": w,
                    "users_accuracy": u,
                    "n": nh,
                    "expected_ua_se": chosen_ua[i] if chosen_ua else None,
                }
                for i, (s, size, w, u, nh) in enumerate(
                    zip(
                        self.strata,
                        self.sizes,
                        self.weights,
                        self.users_accuracies,
                        self.per_stratum,
                        strict=True,
                    )
                )
            ],
            "per_stratum": self.allocation_of(),
            "alternatives": {
                k: dict(zip(self.strata, v, strict=True)) for k, v in self.alternatives.items()
            },
            "expected_oa_se": dict(self.expected_oa_se),
            "users_accuracy_targets": dict(self.users_accuracy_targets),
            "notes": list(self.notes),
            "references": [
                "Olofsson et al. (2014) Remote Sensing of Environment 148:42-57, eq. 13, §5.1.1",
                "Cochran (1977) Sampling Techniques, 3rd ed., eqs. 4.2, 5.6, 5.25, 5.26",
            ],
        }


def plan_sample(
    sizes: Mapping[Any, float],
    users_accuracies: Mapping[Any, float] | None = None,
    *,
    target_se: float = 0.01,
    design: str = "stratified",
    allocation: str = "olofsson",
    min_per_stratum: int = 50,
    users_accuracy_targets: Mapping[Any, float] | None = None,
    default_users_accuracy: float = DEFAULT_USERS_ACCURACY,
    strata_source: str = "map",
) -> SamplePlan:
    """The sample-size plan for a target standard error of overall accuracy.

    Parameters
    ----------
    sizes : mapping
        Stratum code -> pixel count ``N_h`` (the map classes, or a strata raster's
        codes); its share is the weight ``W_h``.
    users_accuracies : mapping, optional
        Stratum code -> conjectured user's accuracy ``U_h`` (with a strata raster:
        the conjectured proportion correct in the stratum).  Others get
        ``default_users_accuracy``.
    target_se : float
        Target standard error of OA (a proportion: 0.01 is one percentage point).
    design : {"simple", "stratified", "systematic"}
        - ``stratified``: ``n = (Σ W_h S_h)² / SE²`` with ``S_h = sqrt(U_h(1 − U_h))``
          (Olofsson et al. 2014, eq. 13; Cochran 1977, eq. 5.25 without the finite
          population term, which is negligible for maps of pixels), split between
          strata by ``allocation``;
        - ``simple`` and ``systematic``: ``n = O(1 − O)/SE²`` with the conjectured
          OA ``O = Σ W_h U_h`` (Cochran 1977, eq. 4.2; the variance of a systematic
          sample is approximated by that of a simple random one, Cochran §8.6).
    allocation : str
        One of :data:`ALLOCATIONS` (``stratified`` only; see :func:`allocate`).
    min_per_stratum : int
        The minimum of the ``olofsson`` allocation.
    users_accuracy_targets : mapping, optional
        Stratum code -> target SE of its user's accuracy.  The stratum then gets at
        least ``U(1 − U)/SE² + 1`` units (Olofsson et al. 2014, eq. 7 inverted),
        the total growing accordingly (under ``simple``/``systematic``: the total
        that gives that many units in expectation, ``n_h / W_h``).

    Returns
    -------
    SamplePlan
        With every allocation's split (``alternatives``) and expected SE of OA.

    Raises
    ------
    EvidenceError
        Unknown design or allocation, accuracies outside [0, 1], unknown strata in
        the accuracies or targets, no valid pixel, or a sample larger than the map.

    References
    ----------
    .. [1] Olofsson, P., et al. (2014). *Remote Sensing of Environment*, 148, 42–57.
    .. [2] Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley.
    """
    if design not in DESIGNS:
        raise EvidenceError(f"unknown design {design!r}", hint=f"Use one of: {', '.join(DESIGNS)}.")
    if allocation not in ALLOCATIONS:
        raise EvidenceError(
            f"unknown allocation {allocation!r}", hint=f"Use one of: {', '.join(ALLOCATIONS)}."
        )
    keyed = {_stratum_key(k): float(v) for k, v in sizes.items()}
    strata = sorted(keyed, key=_code_key)
    if not strata or sum(keyed[s] for s in strata) <= 0:
        raise EvidenceError(
            "the map has no valid pixel to sample",
            hint="Check the map's nodata value (--nodata) and band (--band).",
        )
    given = {_stratum_key(k): float(v) for k, v in (users_accuracies or {}).items()}
    targets = {_stratum_key(k): float(v) for k, v in (users_accuracy_targets or {}).items()}
    for what, table in (("user's accuracies", given), ("user's-accuracy targets", targets)):
        unknown = sorted(str(k) for k in set(table) - set(strata))
        if unknown:
            raise EvidenceError(
                f"{what} given for {unknown}, which are not strata of the map "
                f"(strata: {', '.join(strata[:20])})",
                hint="Name strata by their pixel codes (CLASS=VALUE).",
            )
    for code, value in [*given.items(), ("default", default_users_accuracy)]:
        if not 0.0 <= value <= 1.0:
            raise EvidenceError(f"the user's accuracy of {code} must lie in [0, 1], got {value}")
    n_pix = [int(keyed[s]) for s in strata]
    total = float(sum(n_pix))
    w = [v / total for v in n_pix]
    u = [given.get(s, default_users_accuracy) for s in strata]
    notes: list[str] = []
    defaulted = [s for s in strata if s not in given]
    if defaulted:
        notes.append(
            f"conjectured user's accuracy {default_users_accuracy:g} assumed for "
            f"{', '.join(defaulted[:12])}{' …' if len(defaulted) > 12 else ''}"
        )
    s_h = [math.sqrt(x * (1 - x)) for x in u]
    needs = {s: _ua_sample_size(u[strata.index(s)], se) for s, se in targets.items()}
    if design == "stratified":
        n = olofsson_sample_size(w, u, target_se)
    else:
        oa = float(np.dot(w, u))
        n = cochran_sample_size(oa, target_se)
        for s, need in needs.items():
            wh = w[strata.index(s)]
            if wh > 0:
                n = max(n, math.ceil(need / wh - 1e-9))
    n = max(n, 1)
    if n > total:
        raise EvidenceError(
            f"the plan needs {n} units but the map has only {int(total)} valid pixels",
            hint="Lower the target precision (--target-se).",
        )
    alternatives: dict[str, list[int]] = {}
    oa_se: dict[str, float | None] = {}
    ua_se: dict[str, list[float | None]] = {}
    if design == "stratified":
        for method in ALLOCATIONS:
            try:
                split = allocate(n, n_pix, method, std=s_h, min_per_stratum=min_per_stratum)
            except EvidenceError as exc:
                notes.append(f"{method} allocation not possible: {exc.problem}")
                continue
            if needs:  # raise the named strata to their own minimum, the total grows
                split = [
                    max(nh, min(needs.get(s, 0), n_pix[i]))
                    for i, (s, nh) in enumerate(zip(strata, split, strict=True))
                ]
            alternatives[method] = split
            oa_se[method] = expected_oa_se(w, u, split, n_pix)
            ua_se[method] = [expected_ua_se(x, nh) for x, nh in zip(u, split, strict=True)]
        if allocation not in alternatives:
            raise EvidenceError(
                f"the {allocation} allocation is not possible for n = {n}: "
                + next(x for x in notes if x.startswith(allocation)).split(": ", 1)[1],
                hint="Raise the sample size (a smaller --target-se) or lower --min-per-stratum.",
            )
        per = alternatives[allocation]
        n_final = int(sum(per))
        if n_final != n:
            notes.append(
                f"n raised from {n} to {n_final} to meet the user's-accuracy targets "
                f"of {', '.join(sorted(targets))}"
            )
        chosen = oa_se[allocation]
        if chosen is not None and chosen > target_se * (1 + 1e-9):
            notes.append(
                f"eq. 13 sizes the sample for the Neyman allocation; under the {allocation} "
                f"allocation the expected SE of OA is {chosen:.4f}, above the target "
                f"{target_se:g} (a larger n or the Neyman allocation reaches it)"
            )
        for i, s in enumerate(strata):
            if 0 < per[i] < 2:
                notes.append(f"stratum {s} gets {per[i]} unit: stratified variances need 2")
        return SamplePlan(
            design=design,
            target_se=target_se,
            strata=strata,
            sizes=n_pix,
            weights=w,
            users_accuracies=u,
            n=n_final,
            allocation=allocation,
            min_per_stratum=min_per_stratum if allocation == "olofsson" else None,
            per_stratum=per,
            alternatives=alternatives,
            expected_oa_se=oa_se,
            expected_ua_se=ua_se,
            strata_source=strata_source,
            users_accuracy_targets={s: targets[s] for s in sorted(targets, key=_code_key)},
            notes=notes,
        )
    expected = allocate(n, n_pix, "proportional")
    oa = float(np.dot(w, u))
    return SamplePlan(
        design=design,
        target_se=target_se,
        strata=strata,
        sizes=n_pix,
        weights=w,
        users_accuracies=u,
        n=n,
        allocation=None,
        min_per_stratum=None,
        per_stratum=expected,
        alternatives={},
        expected_oa_se={design: math.sqrt(oa * (1 - oa) / max(n - 1, 1))},
        expected_ua_se={design: [expected_ua_se(x, nh) for x, nh in zip(u, expected, strict=True)]},
        strata_source=strata_source,
        users_accuracy_targets={s: targets[s] for s in sorted(targets, key=_code_key)},
        notes=[
            *notes,
            f"conjectured OA {oa:.4f}; the per-stratum numbers are expected counts (n W_h), "
            f"not an allocation",
        ],
    )


def _stratum_key(key: Any) -> str:
    label = normalise_label(key)
    if label is None:
        raise EvidenceError(f"a stratum needs a name, got {key!r}")
    return label


def _code_key(code: str) -> tuple[int, float, str]:
    try:
        return (0, float(code), code)
    except ValueError:
        return (1, 0.0, code)


# --------------------------------------------------------------------------- response design


def normalise_label(value: Any) -> str | None:
    """A label as a string: ``None`` for missing (None, NaN, blank); ``3.0`` -> ``"3"``."""
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        if math.isnan(float(value)):
            return None
        if float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return str(int(value))
    text = str(value).strip()
    if not text or text.lower() in ("nan", "none", "<na>"):
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and math.isfinite(number) else text


def _tokens(cannot_tell: Sequence[str] | None) -> set[str]:
    return {t.strip().lower() for t in (CANNOT_TELL if cannot_tell is None else cannot_tell)}


@dataclass
class Consensus:
    """Consensus labels of units labelled by one or more interpreters.

    ``labels[i]`` is the consensus label of unit ``i`` or ``None`` when it is
    excluded; ``status[i]`` says why: ``"unanimous"``, ``"majority"``,
    ``"single"`` (one usable label), ``"tie"``, ``"cannot_tell"`` (every label
    given was "cannot tell") or ``"unlabelled"``.  ``counts`` tallies the statuses.
    """

    labels: list[str | None]
    status: list[str]
    counts: dict[str, int]

    @property
    def excluded(self) -> dict[str, int]:
        """Units excluded, by reason (ties, "cannot tell", unlabelled)."""
        return {k: self.counts.get(k, 0) for k in ("tie", "cannot_tell", "unlabelled")}


def consensus(
    ratings: Sequence[Sequence[Any]], *, cannot_tell: Sequence[str] | None = None
) -> Consensus:
    """Consensus label of each unit by majority of its interpreters.

    Per unit, missing labels are ignored and "cannot tell" labels (``cannot_tell``
    tokens, case-insensitive) set aside; the label given by more interpreters than
    any other wins (a plurality; with two interpreters, their agreement).  A tie
    for first place excludes the unit, as does a unit with no usable label — each
    counted by reason, so that the exclusions are reported, never silent
    (Olofsson et al. 2014, §4; Stehman & Czaplewski 1998).

    Parameters
    ----------
    ratings : sequence of sequences
        ``ratings[i][r]``: the label interpreter ``r`` gave unit ``i``.
    cannot_tell : sequence of str, optional
        Tokens meaning "cannot tell" (default :data:`CANNOT_TELL`).

    References
    ----------
    .. [1] Olofsson, P., et al. (2014). *Remote Sensing of Environment*, 148, 42–57.
    .. [2] Stehman, S. V., & Czaplewski, R. L. (1998). *Remote Sensing of
       Environment*, 64(3), 331–344.
    """
    tokens = _tokens(cannot_tell)
    labels: list[str | None] = []
    status: list[str] = []
    for unit in ratings:
        given = [g for g in (normalise_label(v) for v in unit) if g is not None]
        usable = [g for g in given if g.lower() not in tokens]
        if not usable:
            labels.append(None)
            status.append("cannot_tell" if given else "unlabelled")
            continue
        ranked = Counter(usable).most_common()
        top, votes = ranked[0]
        if len(ranked) > 1 and ranked[1][1] == votes:
            labels.append(None)
            status.append("tie")
            continue
        labels.append(top)
        if len(usable) == 1:
            status.append("single")
        elif votes == len(usable):
            status.append("unanimous")
        else:
            status.append("majority")
    counts = dict(Counter(status))
    return Consensus(labels=labels, status=status, counts=counts)


def _pairs(a: Sequence[Any], b: Sequence[Any], tokens: set[str]) -> tuple[list[str], list[str]]:
    if len(a) != len(b):
        raise EvidenceError(f"two interpreters' labels differ in length ({len(a)} vs {len(b)})")
    xs: list[str] = []
    ys: list[str] = []
    for u, v in zip(a, b, strict=True):
        x, y = normalise_label(u), normalise_label(v)
        if x is None or y is None or x.lower() in tokens or y.lower() in tokens:
            continue
        xs.append(x)
        ys.append(y)
    return xs, ys


def percent_agreement(
    a: Sequence[Any], b: Sequence[Any], *, cannot_tell: Sequence[str] | None = None
) -> float | None:
    """Share of units two interpreters label alike (blank and "cannot tell" units skipped).

    ``None`` when no unit was labelled by both.
    """
    xs, ys = _pairs(a, b, _tokens(cannot_tell))
    if not xs:
        return None
    return sum(x == y for x, y in zip(xs, ys, strict=True)) / len(xs)


def cohen_kappa(
    a: Sequence[Any], b: Sequence[Any], *, cannot_tell: Sequence[str] | None = None
) -> float | None:
    """Cohen's kappa between two interpreters: ``(p_o − p_e)/(1 − p_e)`` (Cohen 1960).

    Over the units both labelled with a usable label.  ``None`` when there is no
    such unit or chance agreement is 1 (both gave one and the same label throughout).

    References
    ----------
    .. [1] Cohen, J. (1960). A coefficient of agreement for nominal scales.
       *Educational and Psychological Measurement*, 20(1), 37–46.
    """
    xs, ys = _pairs(a, b, _tokens(cannot_tell))
    if not xs:
        return None
    cats = sorted(set(xs) | set(ys), key=_code_key)
    index = {c: i for i, c in enumerate(cats)}
    m = np.zeros((len(cats), len(cats)))
    for x, y in zip(xs, ys, strict=True):
        m[index[x], index[y]] += 1
    return kappa(m)


def fleiss_kappa(
    ratings: Sequence[Sequence[Any]], *, cannot_tell: Sequence[str] | None = None
) -> tuple[float | None, int]:
    """Fleiss' kappa of several interpreters (Fleiss 1971), and the number of units it used.

    Fleiss' statistic assumes every unit is rated by the same number ``m`` of
    raters: only the units every interpreter labelled usably (not blank, not
    "cannot tell") enter it.  With ``n_ij`` the raters putting unit ``i`` in
    category ``j``: ``P_i = (Σ_j n_ij² − m)/(m(m − 1))``, ``P̄`` their mean,
    ``p_j = Σ_i n_ij/(N m)``, ``P̄_e = Σ_j p_j²`` and ``κ = (P̄ − P̄_e)/(1 − P̄_e)``
    (Fleiss 1971, eqs. 2–9).

    Returns
    -------
    (kappa or None, units used)
        ``None`` when fewer than two raters, no complete unit, or ``P̄_e = 1``.

    References
    ----------
    .. [1] Fleiss, J. L. (1971). Measuring nominal scale agreement among many
       raters. *Psychological Bulletin*, 76(5), 378–382.
    """
    tokens = _tokens(cannot_tell)
    complete: list[list[str]] = []
    for unit in ratings:
        labs = [normalise_label(v) for v in unit]
        if len(labs) < 2 or any(x is None or x.lower() in tokens for x in labs):
            continue
        complete.append([x for x in labs if x is not None])
    if not complete:
        return None, 0
    m = len(complete[0])
    cats = sorted({x for unit in complete for x in unit}, key=_code_key)
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(complete), len(cats)))
    for i, unit in enumerate(complete):
        for x in unit:
            table[i, index[x]] += 1
    n_units = table.shape[0]
    p_i = (np.sum(table**2, axis=1) - m) / (m * (m - 1))
    p_bar = float(p_i.mean())
    p_j = table.sum(axis=0) / (n_units * m)
    p_e = float(np.sum(p_j**2))
    if math.isclose(p_e, 1.0):
        return None, n_units
    return (p_bar - p_e) / (1 - p_e), n_units


def interpreter_agreement(
    ratings: Sequence[Sequence[Any]],
    names: Sequence[str] | None = None,
    *,
    cannot_tell: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Agreement between interpreters of the same units: what a report shows.

    Per pair of interpreters, the units both labelled usably, their percent
    agreement and Cohen's kappa (Cohen 1960); with more than two interpreters,
    Fleiss' kappa (Fleiss 1971) over the units all labelled; and per interpreter,
    the number of "cannot tell" and blank labels.

    References
    ----------
    .. [1] Cohen, J. (1960). *Educational and Psychological Measurement*, 20(1), 37–46.
    .. [2] Fleiss, J. L. (1971). *Psychological Bulletin*, 76(5), 378–382.
    """
    tokens = _tokens(cannot_tell)
    rows = [list(r) for r in ratings]
    k = len(rows[0]) if rows else len(names or [])
    if any(len(r) != k for r in rows):
        raise EvidenceError("every unit needs one label column per interpreter")
    who = list(names) if names is not None else [f"reference_{i + 1}" for i in range(k)]
    columns = [[r[i] for r in rows] for i in range(k)]
    out: dict[str, Any] = {"interpreters": who, "units": len(rows), "pairs": []}
    per: dict[str, dict[str, int]] = {}
    for name, col in zip(who, columns, strict=True):
        labs = [normalise_label(v) for v in col]
        per[name] = {
            "labelled": sum(x is not None and x.lower() not in tokens for x in labs),
            "cannot_tell": sum(x is not None and x.lower() in tokens for x in labs),
            "blank": sum(x is None for x in labs),
        }
    out["per_interpreter"] = per
    for i, j in combinations(range(k), 2):
        xs, _ = _pairs(columns[i], columns[j], tokens)
        out["pairs"].append(
            {
                "interpreters": [who[i], who[j]],
                "units": len(xs),
                "percent_agreement": percent_agreement(
                    columns[i], columns[j], cannot_tell=cannot_tell
                ),
                "cohen_kappa": cohen_kappa(columns[i], columns[j], cannot_tell=cannot_tell),
            }
        )
    if k > 2:
        fk, used = fleiss_kappa(rows, cannot_tell=cannot_tell)
        out["fleiss_kappa"] = fk
        out["fleiss_units"] = used
    return out


def reference_columns(columns: Sequence[str]) -> list[str]:
    """The interpreters' label columns of a sample table, in order.

    ``reference_1``, ``reference_2``, … when present (sorted by number), else
    ``reference``; ``[]`` when neither exists.
    """
    numbered = []
    for c in columns:
        head, _, tail = str(c).rpartition("_")
        if head == "reference" and tail.isdigit():
            numbered.append((int(tail), str(c)))
    if numbered:
        return [c for _, c in sorted(numbered)]
    return ["reference"] if "reference" in columns else []


def resolve_reference(
    frame: Any,
    *,
    columns: Sequence[str] | None = None,
    cannot_tell: Sequence[str] | None = None,
    source: str | None = None,
) -> tuple[list[str | None], dict[str, Any]]:
    """Reference label of every unit of a sample table, and the response-design report.

    Parameters
    ----------
    frame : pandas.DataFrame
        The labelled sample (one row per unit).
    columns : sequence of str, optional
        The interpreters' label columns (default :func:`reference_columns`).
    cannot_tell : sequence of str, optional
        Tokens meaning "cannot tell" (default :data:`CANNOT_TELL`).
    source : str, optional
        The file, for error messages.

    Returns
    -------
    (labels, report)
        ``labels[i]`` is the consensus label of row ``i`` or ``None`` (excluded);
        ``report`` holds the interpreters, the exclusions by reason
        (``tie``, ``cannot_tell``, ``unlabelled``), the units used and, with two
        interpreters or more, :func:`interpreter_agreement`.

    Raises
    ------
    EvidenceError
        No label column, or a named column missing.
    """
    cols = list(columns) if columns is not None else reference_columns(list(frame.columns))
    if not cols:
        raise EvidenceError(
            "the sample has no label column (reference, or reference_1, reference_2, …)",
            source=source,
            hint="Fill the `reference` column the draw wrote, one label per unit.",
        )
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise EvidenceError(f"label columns {missing} are not in the sample", source=source)
    ratings = frame[cols].to_numpy(dtype=object).tolist()
    result = consensus(ratings, cannot_tell=cannot_tell)
    report: dict[str, Any] = {
        "interpreters": cols,
        "units": len(ratings),
        "units_used": sum(lab is not None for lab in result.labels),
        "excluded": result.excluded,
        "status": result.counts,
        "cannot_tell_tokens": sorted(_tokens(cannot_tell)),
    }
    if len(cols) > 1:
        report["agreement"] = interpreter_agreement(ratings, cols, cannot_tell=cannot_tell)
    return result.labels, report
