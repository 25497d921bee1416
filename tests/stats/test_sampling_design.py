"""Sample-size plans, allocations and the response design (geoverify.stats.sampling)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geoverify.cli.main import main
from geoverify.errors import EvidenceError
from geoverify.stats import sampling as smp

from ..conftest import ROOT

# Olofsson et al. (2014), §5.1.1: strata deforestation, forest gain, stable forest,
# stable non-forest with weights W_h and conjectured user's accuracies U_h.
W = [0.02, 0.015, 0.32, 0.645]
U = [0.7, 0.6, 0.9, 0.95]
SIZES = {str(i + 1): int(w * 100_000_000) for i, w in enumerate(W)}
ACC = {str(i + 1): u for i, u in enumerate(U)}
LANDCOVER = ROOT / "sample_rasters" / "landcover_inconclusive" / "data" / "landcover_10m.tif"


def test_olofsson_worked_example_sample_size_and_allocations() -> None:
    plan = smp.plan_sample(SIZES, ACC, target_se=0.01, allocation="olofsson")
    # n = (Σ W_h S_h)^2 / 0.01^2 = 0.253091^2 / 1e-4 = 640.6 -> 641 (Olofsson 2014, eq. 13)
    assert plan.n == 641
    # hand computation, largest-remainder rounding:
    # proportional 641 W_h = 12.82, 9.615, 205.12, 413.445 -> 13, 10, 205, 413 (the paper's)
    assert plan.alternatives["proportional"] == [13, 10, 205, 413]
    # equal 641 / 4 = 160.25 each -> the leftover unit to the first stratum
    assert plan.alternatives["equal"] == [161, 160, 160, 160]
    # Neyman n_h ∝ W_h S_h = .009165, .007348, .096, .140578 -> 23.21, 18.61, 243.14, 356.04
    assert plan.alternatives["neyman"] == [23, 19, 243, 356]
    # 50 per change stratum, the remaining 541 proportional to 0.32 : 0.645 -> 179.4, 361.6
    assert plan.alternatives["olofsson"] == [50, 50, 179, 362]
    assert plan.per_stratum == [50, 50, 179, 362]
    assert all(sum(v) == 641 for v in plan.alternatives.values())


@pytest.mark.parametrize(
    ("minimum", "expected"),
    # rest 641 - 2m shared 0.32 : 0.645 (hand computation)
    [(75, [75, 75, 163, 328]), (100, [100, 100, 146, 295])],
)
def test_olofsson_compromise_other_minimums(minimum: int, expected: list[int]) -> None:
    assert smp.allocate(641, list(SIZES.values()), "olofsson", min_per_stratum=minimum) == expected


def test_neyman_allocation_reaches_the_target_se() -> None:
    # eq. 13 is Cochran's 5.25 for the Neyman allocation: at its n the expected SE of OA
    # is the target, up to rounding of n_h (independent of how eq. 13 is coded).
    plan = smp.plan_sample(SIZES, ACC, target_se=0.01)
    assert plan.expected_oa_se["neyman"] == pytest.approx(0.01, rel=2e-3)
    # proportional: sqrt(Σ W_h² U_h(1-U_h)/n_h) by hand
    by_hand = math.sqrt(
        sum(w * w * u * (1 - u) / n for w, u, n in zip(W, U, [13, 10, 205, 413], strict=True))
    )
    assert plan.expected_oa_se["proportional"] == pytest.approx(by_hand, rel=1e-3)
    assert any("Neyman" in note for note in plan.notes)  # olofsson misses the target a little


def test_simple_and_systematic_use_cochran() -> None:
    # conjectured OA = Σ W_h U_h = 0.92375; n = 0.92375 * 0.07625 / 0.01^2 = 704.4 -> 705
    for design in ("simple", "systematic"):
        plan = smp.plan_sample(SIZES, ACC, target_se=0.01, design=design)
        assert plan.n == 705
        assert plan.allocation is None
        assert sum(plan.per_stratum) == 705


def test_users_accuracy_target_raises_its_stratum() -> None:
    # stratum 1: U = 0.7, SE 0.05 -> 0.21 / 0.0025 + 1 = 85 units (Olofsson 2014 eq. 7)
    plan = smp.plan_sample(SIZES, ACC, users_accuracy_targets={"1": 0.05})
    assert plan.per_stratum[0] == 85
    assert plan.n == 641 + 35
    assert plan.expected_ua_se["olofsson"][0] <= 0.05
    # simple design: the total that gives 85 units in expectation, 85 / 0.02
    simple = smp.plan_sample(SIZES, ACC, design="simple", users_accuracy_targets={"1": 0.05})
    assert simple.n == 4250


def test_allocation_never_exceeds_stratum_pixels() -> None:
    split = smp.allocate(100, [10, 1000, 1000], "equal")
    assert split == [10, 45, 45]
    assert smp.allocate(100, [30, 1000], "olofsson", min_per_stratum=50) == [30, 70]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"users_accuracies": {"9": 0.5}}, "not strata of the map"),
        ({"users_accuracies": {"1": 1.5}}, r"\[0, 1\]"),
        ({"allocation": "olofsson", "min_per_stratum": 400}, "need 1600 units"),
        ({"design": "cluster"}, "unknown design"),
    ],
)
def test_plan_errors(kwargs: dict, match: str) -> None:
    accuracies = kwargs.pop("users_accuracies", ACC)
    with pytest.raises(EvidenceError, match=match):
        smp.plan_sample(SIZES, accuracies, **kwargs)


def test_plan_larger_than_map_refused() -> None:
    with pytest.raises(EvidenceError, match="valid pixels"):
        smp.plan_sample({"1": 50, "2": 50}, target_se=0.001)


# --------------------------------------------------------------------------- response design


def test_consensus_majority_ties_and_cannot_tell() -> None:
    ratings = [
        ["1", "1", "1"],  # unanimous
        ["1", "2", "1"],  # majority
        ["1", "2", "3"],  # tie
        ["cannot tell", "?", None],  # cannot tell
        [None, "", float("nan")],  # unlabelled
        [2.0, "Unknown", "2"],  # floats normalised; a cannot-tell set aside
        ["3", None, None],  # single
    ]
    result = smp.consensus(ratings)
    assert result.labels == ["1", "1", None, None, None, "2", "3"]
    assert result.status == [
        "unanimous",
        "majority",
        "tie",
        "cannot_tell",
        "unlabelled",
        "unanimous",
        "single",
    ]
    assert result.excluded == {"tie": 1, "cannot_tell": 1, "unlabelled": 1}
    custom = smp.consensus([["x", "n/a"]], cannot_tell=["n/a"])
    assert custom.labels == ["x"]


def test_cohen_kappa_matches_scikit_learn() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(5)
    a = rng.integers(1, 5, 300)
    b = np.where(rng.random(300) < 0.7, a, rng.integers(1, 5, 300))
    expected = sklearn_metrics.cohen_kappa_score(a, b)
    assert smp.cohen_kappa(a.tolist(), b.tolist()) == pytest.approx(expected, abs=1e-12)
    assert smp.percent_agreement(a.tolist(), b.tolist()) == pytest.approx(np.mean(a == b))
    # "cannot tell" units are left out of both
    a2 = [*a.tolist(), "cannot tell"]
    b2 = [*b.tolist(), "1"]
    assert smp.cohen_kappa(a2, b2) == pytest.approx(expected, abs=1e-12)


def test_fleiss_kappa_published_example() -> None:
    # the worked example of Fleiss' kappa (10 subjects, 14 raters, 5 categories):
    # P̄ = 0.378, P̄e = 0.213, κ = 0.210 (Wikipedia, "Fleiss' kappa", after Fleiss 1971)
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    ratings = [[str(j + 1) for j, k in enumerate(row) for _ in range(k)] for row in table]
    value, used = smp.fleiss_kappa(ratings)
    assert used == 10
    assert value == pytest.approx(0.210, abs=5e-4)


def test_resolve_reference_from_interpreter_columns() -> None:
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "reference_2": ["1", "2", "cannot tell", "1", "2"],
            "reference_1": ["1", "1", "cannot tell", "1", "2"],
            "reference_3": ["1", "2", "1", "2", "2"],
        }
    )
    assert smp.reference_columns(list(frame.columns)) == [
        "reference_1",
        "reference_2",
        "reference_3",
    ]
    labels, report = smp.resolve_reference(frame)
    # unit 3: two "cannot tell" and one "1" -> single usable label "1"
    assert labels == ["1", "2", "1", "1", "2"]
    assert report["units_used"] == 5
    agreement = report["agreement"]
    assert agreement["per_interpreter"]["reference_1"]["cannot_tell"] == 1
    pair12 = agreement["pairs"][0]
    assert pair12["interpreters"] == ["reference_1", "reference_2"]
    assert pair12["units"] == 4 and pair12["percent_agreement"] == pytest.approx(0.75)
    assert agreement["fleiss_units"] == 4
    with pytest.raises(EvidenceError, match="no label column"):
        smp.resolve_reference(pd.DataFrame({"id": [1]}), source="s.csv")


# --------------------------------------------------------------------------- CLI


def test_cli_design_json_and_table(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "plan.json"
    result = runner.invoke(
        main,
        [
            "sample",
            "design",
            str(LANDCOVER),
            "--target-se",
            "0.02",
            "--users-accuracy",
            "1=0.7",
            "--format",
            "json",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan == json.loads(out.read_text())
    assert plan["design"] == "stratified" and plan["allocation"] == "olofsson"
    assert sum(plan["per_stratum"].values()) == plan["n"]
    assert min(plan["per_stratum"].values()) >= 50
    # the class pixel counts come from the streamed scan
    from geoverify.stats.tallies import class_counts

    assert {r["stratum"]: r["pixels"] for r in plan["strata"]} == {
        str(k): v for k, v in class_counts(str(LANDCOVER)).items()
    }
    table = runner.invoke(main, ["sample", "design", str(LANDCOVER), "--target-se", "0.02"])
    assert table.exit_code == 0
    assert "olofsson" in table.output and "neyman" in table.output and "SE(OA)" in table.output
    bad = runner.invoke(main, ["sample", "design", str(LANDCOVER), "--users-accuracy", "99=0.5"])
    assert bad.exit_code == 2
    assert "not strata of the map" in bad.output
