"""Counted evidence: proofs, counts, shares, per-item (each) and aggregate (also) conditions.

Expected counts and ratios are worked out by hand from the items written in each test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from geoverify.checks import Context
from geoverify.checks.count.measure import measure_count
from geoverify.config.catalogue import load_catalogue
from geoverify.config.submission import load_submission
from geoverify.io.items import proven_items
from geoverify.model import Verdict
from geoverify.run import evaluate


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def manifest(folder: Path, directions: list[str], evidence: dict[str, list[dict]]) -> Path:
    dirs = ", ".join(toml_value(d) for d in directions)
    lines = ["[project]", 'title = "counts"', f"directions = [{dirs}]"]
    for ident, items in evidence.items():
        for item in items:
            lines += ["", f"[[evidence.{ident}.items]]"]
            lines += [f"{k} = {toml_value(v)}" for k, v in item.items()]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "submission.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def result_of(catalogue, folder: Path, ident: str, items: list[dict], directions=None):
    direction = ident.split(".")[0]
    dirs = directions or ([direction] if direction not in ("geo_common", "programme") else ["uav"])
    sub = load_submission(manifest(folder, dirs, {ident: items}), catalogue)
    return evaluate(catalogue[ident], sub.evidence[ident])


def doi(n: int) -> str:
    return f"10.5281/zenodo.{7_000_000 + n}"


# ---------------------------------------------------------------------------- proofs

PROOF_CASES = [
    ({"doi": "10.5281/zenodo.123"}, "doi:10.5281/zenodo.123"),
    ({"doi": "https://doi.org/10.1016/j.rse.2014.02.015"}, "doi:10.1016/j.rse.2014.02.015"),
    ({"doi": "doi:10.1080/01431161.2014.930207"}, "doi:10.1080/01431161.2014.930207"),
    ({"doi": "  10.1000/abc  "}, "doi:10.1000/abc"),
    ({"url": "https://example.org/report.pdf"}, "https://example.org/report.pdf"),
    ({"url": "http://example.org/x"}, "http://example.org/x"),
    ({"file": "proofs/present.pdf"}, "proofs/present.pdf"),
    ({"doi": "10.12/short-prefix", "url": "https://example.org/ok"}, "https://example.org/ok"),
    ({"doi": "10.12/short-prefix"}, None),
    ({"doi": "zenodo.123"}, None),
    ({"doi": "10.5281/has space"}, None),
    ({"url": "ftp://example.org/x"}, None),
    ({"url": "example.org/x"}, None),
    ({"url": "https://"}, None),
    ({"file": "proofs/absent.pdf"}, None),
    ({"file": "proofs"}, None),  # a folder is not a proof document
    ({}, None),
]


@pytest.mark.parametrize(("proof", "expected"), PROOF_CASES)
def test_proof_of_one_item(tmp_path, catalogue, proof, expected):
    folder = tmp_path / "sub"
    (folder / "proofs").mkdir(parents=True)
    (folder / "proofs" / "present.pdf").write_bytes(b"%PDF-1.4 proof")
    sub = load_submission(
        manifest(folder, ["disaster"], {"disaster.guide": [{"title": "Guide", **proof}]}),
        catalogue,
    )
    (item,) = proven_items(sub.evidence["disaster.guide"])
    assert item.proof == expected
    assert item.counted is (expected is not None)
    if expected is None:
        assert item.reason
        summary = item.summary()
        assert summary["counted"] is False and summary["reason"] == item.reason


def test_reasons_say_why(tmp_path, catalogue):
    items = [
        {"title": "A", "doi": "10.12/x"},
        {"title": "B", "file": "absent.pdf"},
        {"title": "C"},
        {"title": "D", "url": "ftp://x.org/y"},
    ]
    sub = load_submission(manifest(tmp_path, ["disaster"], {"disaster.datasets": items}), catalogue)
    reasons = {p.title: p.reason for p in proven_items(sub.evidence["disaster.datasets"])}
    assert "not a DOI" in reasons["A"]
    assert "not found" in reasons["B"]
    assert "no proof given" in reasons["C"]
    assert "not an http(s) URL" in reasons["D"]


def test_count_counts_only_proven_items(tmp_path, catalogue):
    (tmp_path / "p.pdf").write_bytes(b"x")
    items = [
        {"title": "ok doi", "doi": doi(1)},
        {"title": "ok url", "url": "https://example.org/a"},
        {"title": "ok file", "file": "p.pdf"},
        {"title": "bad doi", "doi": "10.1/x"},
        {"title": "missing file", "file": "nope.pdf"},
        {"title": "nothing"},
    ]
    result = result_of(catalogue, tmp_path, "disaster.datasets", items)  # ≥ 2
    assert result.verdict is Verdict.PASS
    assert result.value == 3
    assert result.details["listed"] == 6
    assert result.details["counted"] == 3
    assert [i["counted"] for i in result.details["items"]] == [True] * 3 + [False] * 3
    assert "3 of 6" in result.message


def test_count_fails_below_threshold(tmp_path, catalogue):
    items = [{"title": f"Fire {n}", "doi": doi(n)} for n in range(29)]
    items.append({"title": "Fire without proof"})
    result = result_of(catalogue, tmp_path, "wildfire.fire_events", items)  # ≥ 30
    assert result.verdict is Verdict.FAIL
    assert result.value == 29


def test_count_without_items_is_an_error(tmp_path, catalogue):
    path = tmp_path / "submission.toml"
    path.write_text(
        '[project]\ntitle = "x"\ndirections = ["disaster"]\n\n'
        '[evidence.disaster.guide]\nnote = "see attachment"\n',
        encoding="utf-8",
    )
    sub = load_submission(path, catalogue)
    result = evaluate(catalogue["disaster.guide"], sub.evidence["disaster.guide"])
    assert result.verdict is Verdict.ERROR
    assert "lists no items" in result.message


# ------------------------------------------------------------------- count with field


def test_capacity_is_the_largest_proven_figure(tmp_path, catalogue):
    (tmp_path / "test.txt").write_text("admission test", encoding="utf-8")
    items = [
        {"title": "Admission test 2027", "capacity": 8000, "doi": doi(1)},
        {"title": "Admission test 2028", "capacity": 12000, "file": "test.txt"},
        {"title": "Claimed, no proof", "capacity": 50000},
    ]
    result = result_of(catalogue, tmp_path, "uav.network_capacity", items)  # ≥ 10000
    assert result.verdict is Verdict.PASS
    assert result.value == 12000
    assert "Admission test 2028" in result.message


def test_capacity_below_threshold_fails_even_with_a_larger_unproven_claim(tmp_path, catalogue):
    items = [
        {"title": "Admission test", "capacity": 9000, "doi": doi(1)},
        {"title": "Claimed, no proof", "capacity": 50000},
    ]
    result = result_of(catalogue, tmp_path, "uav.network_capacity", items)
    assert result.verdict is Verdict.FAIL
    assert result.value == 9000


def test_capacity_without_a_figure_is_an_error(tmp_path, catalogue):
    result = result_of(
        catalogue, tmp_path, "uav.network_capacity", [{"title": "Test", "doi": doi(1)}]
    )
    assert result.verdict is Verdict.ERROR
    assert "capacity" in result.message


# ----------------------------------------------------------------------------- share


def papers(chinese: int, other: int, unproven_chinese: int = 0) -> list[dict]:
    out = [{"title": f"CN {n}", "group": "chinese_journal", "doi": doi(n)} for n in range(chinese)]
    out += [
        {"title": f"XX {n}", "group": "other_journal", "doi": doi(100 + n)} for n in range(other)
    ]
    out += [{"title": f"CN np {n}", "group": "chinese_journal"} for n in range(unproven_chinese)]
    return out


@pytest.mark.parametrize(
    ("chinese", "other", "unproven", "value", "expected"),
    [
        (2, 2, 0, 50.0, Verdict.PASS),  # exactly 50%: "不低于" is inclusive
        (3, 1, 0, 75.0, Verdict.PASS),
        (1, 2, 0, 100 / 3, Verdict.FAIL),
        (1, 2, 3, 100 / 3, Verdict.FAIL),  # unproven papers count on neither side
    ],
)
def test_share_of_counted_items(tmp_path, catalogue, chinese, other, unproven, value, expected):
    result = result_of(
        catalogue, tmp_path, "programme.chinese_journal_share", papers(chinese, other, unproven)
    )
    assert result.verdict is expected, result.message
    assert result.unit == "%"
    assert result.value == pytest.approx(value)
    assert result.details["numerator"] == chinese
    assert result.details["denominator"] == chinese + other


@pytest.mark.parametrize(
    ("local", "central", "expected"),
    [([200.0, 100.0], [150.0], Verdict.PASS), ([150.0], [100.0], Verdict.FAIL)],
)
def test_share_of_summed_amounts(tmp_path, catalogue, local, central, expected):
    items = [
        {"title": f"Local {n}", "group": "local", "amount": a, "doi": doi(n)}
        for n, a in enumerate(local)
    ] + [
        {"title": f"Central {n}", "group": "central", "amount": a, "doi": doi(50 + n)}
        for n, a in enumerate(central)
    ]
    result = result_of(catalogue, tmp_path, "urban_heat.local_matching", items)  # ratio ≥ 2
    assert result.verdict is expected
    assert result.value == pytest.approx(sum(local) / sum(central))
    assert result.details["aggregated"] == "sum of amount"


def test_share_with_zero_denominator_is_an_error(tmp_path, catalogue):
    items = [
        {"title": "Local", "group": "local", "amount": 100.0, "doi": doi(1)},
        {"title": "Central, unproven", "group": "central", "amount": 50.0},
    ]
    result = result_of(catalogue, tmp_path, "urban_heat.local_matching", items)
    assert result.verdict is Verdict.ERROR
    assert "denominator is zero" in result.message


def test_share_item_without_group_is_an_error(tmp_path, catalogue):
    items = [{"title": "Paper", "doi": doi(1)}]
    result = result_of(catalogue, tmp_path, "programme.chinese_journal_share", items)
    assert result.verdict is Verdict.ERROR
    assert "without a known group" in result.message


# ------------------------------------------------------------------- each-conditions


def workshop(title: str, participants, foreign, n: int) -> dict:
    return {
        "title": title,
        "participants": participants,
        "foreign_participants": foreign,
        "filed_with_china_secretariat": 1,  # 活动需在 GEO 中国秘书处备案 (declared)
        "doi": doi(n),
    }


def test_workshop_failing_one_condition_is_not_counted(tmp_path, catalogue):
    items = [
        workshop("Training 2027", 42, 18, 1),
        workshop("Workshop 2028 (9 foreign)", 35, 9, 2),
        workshop("Workshop 2029 (29 participants)", 29, 15, 3),
    ]
    result = result_of(catalogue, tmp_path, "geo_common.workshops", items)  # ≥ 2
    assert result.verdict is Verdict.FAIL
    assert result.value == 1
    rows = {row["title"]: row for row in result.details["items"]}
    assert rows["Training 2027"]["counted"] is True
    assert rows["Workshop 2028 (9 foreign)"]["counted"] is False
    assert "foreign_participants" in rows["Workshop 2028 (9 foreign)"]["reason"]
    assert rows["Workshop 2029 (29 participants)"]["counted"] is False
    assert "participants" in rows["Workshop 2029 (29 participants)"]["reason"]


def test_workshops_on_the_boundaries_count(tmp_path, catalogue):
    items = [workshop("A", 42, 18, 1), workshop("B", 30, 10, 2)]  # 以上 / 不少于: inclusive
    result = result_of(catalogue, tmp_path, "geo_common.workshops", items)
    assert result.verdict is Verdict.PASS
    assert result.value == 2


def test_workshop_not_filed_with_the_china_secretariat_is_not_counted(tmp_path, catalogue):
    """Revision 2 of indicators.md: each workshop must be filed with the GEO China Secretariat."""
    unfiled = workshop("B", 42, 18, 2) | {"filed_with_china_secretariat": 0}
    items = [workshop("A", 42, 18, 1), unfiled]
    result = result_of(catalogue, tmp_path, "geo_common.workshops", items)
    assert result.verdict is Verdict.FAIL
    assert result.value == 1
    rows = {row["title"]: row for row in result.details["items"]}
    assert "filed_with_china_secretariat" in rows["B"]["reason"]


def test_the_same_person_twice_is_one_visiting_partner(tmp_path, catalogue):
    items = [partner("A", 20, 1), partner("B", 10, 2), partner("C", 10, 3) | {"person": "A"}]
    result = result_of(catalogue, tmp_path, "geo_common.visiting_partners", items)
    assert result.verdict is Verdict.FAIL
    person, _ = result.details["also"]
    assert person["observed"] == ["A", "B"]


def test_workshop_without_figures_is_not_counted(tmp_path, catalogue):
    items = [
        workshop("A", 42, 18, 1),
        {"title": "B", "participants": 50, "filed_with_china_secretariat": 1, "doi": doi(2)},
        workshop("C, no proof", 50, 20, 3) | {"doi": "not-a-doi"},
    ]
    result = result_of(catalogue, tmp_path, "geo_common.workshops", items)
    assert result.verdict is Verdict.FAIL
    assert result.value == 1
    rows = {row["title"]: row for row in result.details["items"]}
    assert "no numeric value" in rows["B"]["reason"]
    assert rows["C, no proof"]["counted"] is False


def test_items_with_the_same_title_each_get_a_row(tmp_path, catalogue):
    items = [workshop("Annual training", 42, 18, 1), workshop("Annual training", 35, 12, 2)]
    result = result_of(catalogue, tmp_path, "geo_common.workshops", items)
    assert result.value == 2
    assert len(result.details["items"]) == 2


# ------------------------------------------------------------------- also-conditions


def partner(title: str, days, n: int | None) -> dict:
    out = {"title": title, "person": title, "days": days, "country": "THA"}
    if n is not None:
        out["doi"] = doi(n)
    return out


def test_visiting_partners_sum_of_days(tmp_path, catalogue):
    ok = [partner("A", 10, 1), partner("B", 10, 2), partner("C", 10, 3)]
    result = result_of(catalogue, tmp_path / "ok", "geo_common.visiting_partners", ok)
    assert result.verdict is Verdict.PASS
    assert result.value == 3
    person, days = result.details["also"]
    assert person["observed"] == ["A", "B", "C"] and person["verdict"] == "pass"  # distinct
    assert days["observed"] == pytest.approx(30)
    assert days["verdict"] == "pass"

    short = [partner("A", 10, 1), partner("B", 10, 2), partner("C", 9, 3), partner("D", 20, None)]
    result = result_of(catalogue, tmp_path / "short", "geo_common.visiting_partners", short)
    # 3 proven partners meet "≥ 3", but their 29 days miss "≥ 30 days" (D has no proof)
    assert result.value == 3
    assert result.verdict is Verdict.FAIL
    _, days = result.details["also"]
    assert days["observed"] == pytest.approx(29)
    assert days["verdict"] == "fail"
    assert "but" in result.message and "days" in result.message


def service(title: str, category: str, n: int | None) -> dict:
    out = {"title": title, "category": category}
    if n is not None:
        out["doi"] = doi(n)
    return out


@pytest.mark.parametrize(
    ("items", "expected", "observed"),
    [
        (
            [service("Provincial centre", "domestic", 1), service("Agency abroad", "foreign", 2)],
            Verdict.PASS,
            ["domestic", "foreign"],
        ),
        (
            [service("Provincial centre", "domestic", 1), service("National", "domestic", 2)],
            Verdict.FAIL,
            ["domestic"],
        ),
        (
            [
                service("Provincial centre", "domestic", 1),
                service("National", "domestic", 2),
                service("Agency abroad, no proof", "foreign", None),
            ],
            Verdict.FAIL,
            ["domestic"],
        ),
    ],
)
def test_service_deployments_in_china_and_abroad(tmp_path, catalogue, items, expected, observed):
    result = result_of(catalogue, tmp_path, "wildfire.service_deployments", items)
    assert result.value == 2  # "≥ 2" itself is met in every case
    assert result.verdict is expected
    (agg,) = result.details["also"]
    assert agg["observed"] == observed
    assert agg["verdict"] == str(expected)


def test_measure_count_directly(tmp_path, catalogue):
    items = [{"title": f"T{n}", "doi": doi(n)} for n in range(3)]
    sub = load_submission(manifest(tmp_path, ["uav"], {"uav.application_fields": items}), catalogue)
    m = measure_count(sub.evidence["uav.application_fields"], {}, Context(workers=1))
    assert m.value == 3 and m.unit == "count"
