"""`also` conditions with inconclusive items (finding 8); unparseable period steps (finding 9)."""

from __future__ import annotations

import pytest

from geoverify.config.catalogue import load_catalogue
from geoverify.decide import decide_aggregate, decide_condition, decide_count
from geoverify.model import Measurement, Verdict
from geoverify.model.catalogue import Condition


@pytest.fixture(scope="module")
def demo():
    return load_catalogue()["geo_common.developing_country_demo"]


def _also(indicator, countries):
    return [decide_aggregate(c, countries) for c in indicator.also]


def test_also_met_only_with_the_inconclusive_item_is_inconclusive(demo) -> None:
    # the single item is inconclusive: 0 count; with it, 1 >= 1 and China is in all regions
    result = decide_count(
        demo,
        Measurement(0, "count"),
        counted=0,
        uncertain=1,
        aggregates=_also(demo, []),
        aggregates_with_uncertain=_also(demo, ["CHN"]),
    )
    assert result.verdict is Verdict.INCONCLUSIVE
    assert [row["verdict"] for row in result.details["also"]] == ["inconclusive"]
    assert result.details["reason"]["code"] == "inconclusive"


def test_also_missed_even_with_the_inconclusive_item_fails(demo) -> None:
    result = decide_count(
        demo,
        Measurement(0, "count"),
        counted=0,
        uncertain=1,
        aggregates=_also(demo, []),
        # the item's country (France) is a GEO member but not in Asia-Oceania: the
        # observed values are the distinct countries already filtered by the regions
        aggregates_with_uncertain=[decide_aggregate(demo.also[0], [])],
    )
    assert result.verdict is Verdict.FAIL
    assert result.details["reason"]["code"] == "condition_failed"


def test_counted_items_meeting_everything_pass(demo) -> None:
    result = decide_count(
        demo, Measurement(1, "count"), counted=1, uncertain=0, aggregates=_also(demo, ["CHN"])
    )
    assert result.verdict is Verdict.PASS


@pytest.mark.parametrize("op", ["spans", "covers"])
@pytest.mark.parametrize("bad", [["20x5", 2020], [1990, "n/a"], [5, 2021]])
def test_unparseable_period_steps_are_an_error(op: str, bad: list) -> None:
    m = Measurement(bad, "year")
    verdict, sentence, _, _ = decide_condition(Condition(op, [1992, 2020], "year"), m)
    assert verdict is Verdict.ERROR
    assert "cannot read a year" in sentence


def test_unparseable_missing_step_is_an_error_but_the_more_marker_is_a_gap() -> None:
    cond = Condition("covers", [1992, 2020], "year")
    m = Measurement([1990, 2021], "year", missing=["bad step"])
    assert decide_condition(cond, m)[0] is Verdict.ERROR
    m = Measurement([1990, 2021], "year", missing=[1995, "... 3 more"])
    verdict, sentence, _, _ = decide_condition(cond, m)
    assert verdict is Verdict.FAIL and "missing 1995, ... 3 more" in sentence


def test_month_steps_are_read_by_their_year() -> None:
    m = Measurement(["1991-07", "2020-12"], "year")
    assert decide_condition(Condition("spans", [1992, 2020], "year"), m)[0] is Verdict.PASS
