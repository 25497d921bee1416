"""The verdict rules of DESIGN.md, on hand-computed cases."""

from __future__ import annotations

import importlib

import pytest

from geoverify.config.catalogue import load_catalogue
from geoverify.decide import decide, decide_condition
from geoverify.errors import UnitError
from geoverify.model import Measurement, Verdict
from geoverify.model.catalogue import Condition, Indicator
from geoverify.model.evidence import Evidence
from geoverify.run import evaluate, exit_code

P, F, INC = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE


def verdict(op, threshold, unit, value, munit=None, ci=None, **kw):
    m = Measurement(value, munit or unit, ci=ci, **kw)
    return decide_condition(Condition(op, threshold, unit), m)


# ------------------------------------------------------------ estimates with a 95% CI

# (op, threshold, ci, expected): CI entirely above / below / straddling
CI_CASES = [
    (">=", 85, (86.0, 90.0), P),
    (">=", 85, (80.0, 84.0), F),
    (">=", 85, (84.0, 86.0), INC),
    (">", 85, (86.0, 90.0), P),
    (">", 85, (80.0, 84.0), F),
    (">", 85, (84.0, 86.0), INC),
    ("<=", 85, (80.0, 84.0), P),
    ("<=", 85, (86.0, 90.0), F),
    ("<=", 85, (84.0, 86.0), INC),
    ("<", 85, (80.0, 84.0), P),
    ("<", 85, (86.0, 90.0), F),
    ("<", 85, (84.0, 86.0), INC),
    # boundaries: inclusive operators accept an interval ending on the threshold
    (">=", 85, (85.0, 90.0), P),
    (">", 85, (85.0, 90.0), INC),
    (">", 85, (80.0, 85.0), F),
    (">=", 85, (80.0, 85.0), INC),
    ("<=", 85, (80.0, 85.0), P),
    ("<", 85, (80.0, 85.0), INC),
    ("<", 85, (85.0, 90.0), F),
    ("<=", 85, (85.0, 90.0), INC),
]


@pytest.mark.parametrize(("op", "threshold", "ci", "expected"), CI_CASES)
def test_ci_against_threshold(op, threshold, ci, expected):
    value = (ci[0] + ci[1]) / 2
    got, sentence, shown, shown_ci = verdict(op, threshold, "%", value, ci=ci)
    assert got is expected, sentence
    assert shown == value
    assert shown_ci == ci


def test_ge_with_ci_low_exactly_85_passes_and_gt_does_not():
    assert verdict(">=", 85, "%", 87.0, ci=(85.0, 89.0))[0] is P
    assert verdict(">", 85, "%", 87.0, ci=(85.0, 89.0))[0] is not P


# ------------------------------------------------------------------- exact quantities


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        (">=", 300, P),
        (">", 300, F),
        ("<=", 300, P),
        ("<", 300, F),
        ("==", 300, P),
        (">=", 299.99, F),
        ("<=", 300.04, F),
        ("<", 299.99, P),
        ("==", 300.0000000001, P),  # relative tolerance 1e-9
        ("==", 300.01, F),
    ],
)
def test_exact_values_pass_or_fail(op, value, expected):
    got, sentence, _, ci = verdict(op, 300, "m", value)
    assert got is expected
    assert ci is None
    assert ("does not meet" in sentence) is (expected is F)


def test_exact_sentence_shows_value_and_rule():
    _, sentence, _, _ = verdict("<=", 300, "m", 300.0418)
    assert sentence == "300.04 m does not meet the rule ≤ 300 m"


# --------------------------------------------------------------------------- planner


def test_planner_called_only_when_inconclusive_with_converted_threshold():
    calls: list[float] = []

    def planner(threshold: float) -> int:
        calls.append(threshold)
        return 123

    cond = Condition(">=", 85, "%")
    # measurement in fraction "1": 0.86 ± → 86%
    for ci in [(0.86, 0.90), (0.80, 0.84)]:
        got = decide_condition(cond, Measurement(0.88, "1", ci=ci, planner=planner))
        assert got[0] in (P, F)
    assert calls == []
    got, sentence, value, shown_ci = decide_condition(
        cond, Measurement(0.85, "1", ci=(0.84, 0.86), planner=planner)
    )
    assert got is INC
    assert calls == [pytest.approx(0.85)]  # 85 % in the measurement's unit
    assert "123 more reference samples" in sentence
    assert value == pytest.approx(85.0)
    assert shown_ci == (pytest.approx(84.0), pytest.approx(86.0))


def test_planner_failure_does_not_break_the_verdict():
    def planner(threshold: float) -> int:
        raise ZeroDivisionError

    got, sentence, _, _ = verdict(">=", 85, "%", 85.0, ci=(84.0, 86.0), planner=planner)
    assert got is INC
    assert "more reference samples" not in sentence


# --------------------------------------------------------------------- unit conversion


def test_fraction_against_percent():
    got, sentence, value, ci = verdict(">=", 85, "%", 0.9, munit="1", ci=(0.86, 0.94))
    assert got is P
    assert value == pytest.approx(90.0)
    assert ci == (pytest.approx(86.0), pytest.approx(94.0))
    assert "90%" in sentence


def test_percent_against_fraction():
    got, _, value, _ = verdict(">=", 0.85, "1", 84.0, munit="%")
    assert got is F
    assert value == pytest.approx(0.84)


def test_km2_against_hectares():
    # 2 km² = 200 ha
    got, _, value, _ = verdict(">=", 150, "ha", 2.0, munit="km2")
    assert got is P and value == pytest.approx(200.0)
    got, _, value, _ = verdict(">=", 250, "ha", 2.0, munit="km2")
    assert got is F and value == pytest.approx(200.0)


def test_seconds_against_minutes():
    # 90 s = 1.5 min
    got, _, value, _ = verdict("<=", 1, "min", 90.0, munit="s")
    assert got is F and value == pytest.approx(1.5)
    got, _, value, _ = verdict("<=", 2, "min", 90.0, munit="s")
    assert got is P and value == pytest.approx(1.5)


def test_incompatible_units_raise_unit_error():
    with pytest.raises(UnitError, match="cannot convert"):
        verdict("<=", 300, "m", 5.0, munit="s")


def test_incompatible_units_are_an_error_verdict_in_verify(monkeypatch, tmp_path):
    catalogue = load_catalogue()
    indicator = catalogue["wildfire.burned_area_resolution"]

    def fake_check(evidence, params, context):
        return Measurement(5.0, "s")

    verify_module = importlib.import_module("geoverify.run")
    monkeypatch.setattr(verify_module, "get_check", lambda kind: fake_check)
    evidence = Evidence(indicator.id, tmp_path, {"note": "fake"}, "test")
    result = evaluate(indicator, evidence)
    assert result.verdict is Verdict.ERROR
    assert "cannot convert 's'" in result.message


# ---------------------------------------------------------------------------- between


@pytest.mark.parametrize(
    ("value", "expected"), [(2.0, P), (3.5, P), (5.0, P), (1.99, F), (5.01, F), (10.0, F)]
)
def test_between_inclusive_exact(value, expected):
    assert verdict("between", [2, 5], "m", value)[0] is expected


@pytest.mark.parametrize(
    ("ci", "expected"),
    [((2.0, 5.0), P), ((3.0, 4.0), P), ((5.5, 6.0), F), ((1.0, 1.5), F), ((4.0, 6.0), INC)],
)
def test_between_with_ci(ci, expected):
    assert verdict("between", [2, 5], "m", (ci[0] + ci[1]) / 2, ci=ci)[0] is expected


# ----------------------------------------------------------------- covers / includes


def test_covers_without_gaps_passes():
    got, sentence, value, ci = verdict(
        "covers", [2015, 2025], "year", [2014, 2026], missing=()
    )
    assert got is P and ci is None and value == [2014, 2026]
    assert "without gaps" in sentence


def test_covers_with_a_gap_fails_and_names_it():
    got, sentence, _, _ = verdict(
        "covers", [2015, 2025], "year", [2015, 2025], missing=(2019,)
    )
    assert got is F
    assert "missing 2019" in sentence


def test_covers_ignores_gaps_outside_the_span():
    got, _, _, _ = verdict(
        "covers", [2015, 2025], "year", [2010, 2025], missing=(2012,)
    )
    assert got is P


@pytest.mark.parametrize(
    ("span", "fragment"), [([2016, 2025], "starts at 2016"), ([2015, 2024], "ends at 2024")]
)
def test_covers_short_span_fails(span, fragment):
    got, sentence, _, _ = verdict("covers", [2015, 2025], "year", span)
    assert got is F
    assert fragment in sentence


def test_includes():
    got, sentence, _, _ = verdict("includes", [2015, 2020, 2025], "year", [2015, 2020, 2025])
    assert got is P
    got, sentence, _, _ = verdict("includes", [2015, 2020, 2025], "year", [2015, 2025, 2030])
    assert got is F
    assert "missing 2020" in sentence
    got, _, _, _ = verdict("includes", ["domestic", "foreign"], "count", ["domestic"])
    assert got is F


# ----------------------------------------------------------------------------- report


def test_report_passes_with_a_value_and_errors_without():
    got, sentence, value, _ = verdict("report", None, "%", 42.0)
    assert got is P and value == 42.0
    assert "no threshold" in sentence
    assert verdict("report", None, "%", None)[0] is Verdict.ERROR


def test_no_value_is_an_error():
    assert verdict(">=", 85, "%", None)[0] is Verdict.ERROR


# ------------------------------------------------------------------- decide / Result


def test_decide_builds_the_result_in_the_indicators_unit():
    indicator = Indicator(
        id="test.accuracy",
        title="t",
        title_zh="t",
        section="s",
        quote="总体精度不低于 85%",
        check="accuracy",
        condition=Condition(">=", 85, "%"),
        wording="不低于",
        reading="r",
    )
    m = Measurement(0.9, "1", ci=(0.88, 0.92), se=0.01, n=400, message="measured")
    result = decide(indicator, m)
    assert result.indicator == "test.accuracy"
    assert result.verdict is P
    assert result.value == pytest.approx(90.0)
    assert result.unit == "%" and result.op == ">=" and result.threshold == 85
    assert result.ci == (pytest.approx(88.0), pytest.approx(92.0))
    assert result.details["rule"] == "≥ 85%"
    assert result.details["se"] == pytest.approx(1.0)
    assert result.details["n"] == 400
    assert result.message.endswith("measured")


def test_exit_codes_from_verdicts():
    from geoverify.model import Result

    def results(*verdicts):
        return [Result(f"x.i{n}", v) for n, v in enumerate(verdicts)]

    assert exit_code(results(P, P)) == 0
    assert exit_code(results()) == 0
    assert exit_code(results(P, F)) == 1
    assert exit_code(results(P, Verdict.ERROR)) == 1
    assert exit_code(results(P, F, INC, Verdict.MISSING)) == 1
    assert exit_code(results(P, INC)) == 3
    assert exit_code(results(P, Verdict.MISSING)) == 3


def test_equality_with_a_ci_straddling_the_target_is_inconclusive():
    assert verdict("==", 85, "%", 85.0, ci=(84.0, 86.0))[0] is INC


def test_equality_with_a_ci_missing_the_target_fails():
    assert verdict("==", 85, "%", 87.0, ci=(86.0, 88.0))[0] is F
    assert verdict("==", 85, "%", 83.0, ci=(82.0, 84.0))[0] is F


# ------------------------------------------------- aggregation (decide.aggregate)


def test_severity_order_worst_decides():
    from geoverify.decide import worst

    assert worst([Verdict.PASS, Verdict.INCONCLUSIVE]) is Verdict.INCONCLUSIVE
    assert worst([Verdict.MISSING, Verdict.INCONCLUSIVE, Verdict.PASS]) is Verdict.MISSING
    assert worst([Verdict.FAIL, Verdict.MISSING]) is Verdict.FAIL
    assert worst([Verdict.FAIL, Verdict.ERROR]) is Verdict.ERROR
    assert worst([]) is Verdict.PASS


def test_an_inconclusive_item_makes_the_count_inconclusive_not_fail():
    """issue 12: the 10th model, inconclusive against "> 90%", must not turn 9/10 into a fail."""
    from geoverify.config.catalogue import load_catalogue
    from geoverify.decide import decide_count

    indicator = load_catalogue()["sat_interp.models"]  # ≥ 10 models, each > 90%
    nine = Measurement(9, "count")
    r = decide_count(indicator, nine, counted=9, uncertain=1, aggregates=[])
    assert r.verdict is Verdict.INCONCLUSIVE
    assert r.details["reason"]["code"] == "inconclusive"
    assert "1 more are inconclusive" in r.message
    r = decide_count(indicator, Measurement(8, "count"), counted=8, uncertain=1, aggregates=[])
    assert r.verdict is Verdict.FAIL  # even counting it, 9 < 10
    r = decide_count(indicator, Measurement(10, "count"), counted=10, uncertain=1, aggregates=[])
    assert r.verdict is Verdict.PASS
