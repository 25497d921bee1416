"""Item identity: DOI URLs with queries, %-escapes and tracking parameters (review finding 4).

Expected identities follow the DOI Handbook §2.4 (DOI names are case-insensitive),
§2.5.2.4 (a DOI in a URL is %-encoded) and RFC 3986 §6.2 (URI normalisation).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geoverify.config.catalogue import load_catalogue
from geoverify.io.items import IDENTITY_RULE, doi_name, normalise_doi, normalise_url
from geoverify.model import Verdict
from geoverify.model.evidence import Evidence
from geoverify.run import evaluate

DOI = "10.5281/zenodo.1"


@pytest.mark.parametrize(
    "given",
    [
        "10.5281/zenodo.1",
        "10.5281/ZENODO.1",
        "doi:10.5281/zenodo.1",
        "https://doi.org/10.5281/zenodo.1",
        "https://doi.org/10.5281/zenodo.1?x=1",
        "https://doi.org/10.5281/zenodo.1#a",
        "https://dx.doi.org/10.5281/Zenodo.1?utm_source=mail#top",
        "https://doi.org/10.5281%2Fzenodo.1",
        "https://doi.org/10.5281%2fzenodo%2E1",
        "10.5281/zenodo.1.",
        "10.5281/zenodo.1,",
    ],
)
def test_one_doi_written_many_ways(given: str) -> None:
    assert normalise_doi(given) == DOI


def test_doi_name_keeps_the_case_and_other_hosts_are_not_dois() -> None:
    assert doi_name("https://doi.org/10.5281/ZENODO.1?x=1") == "10.5281/ZENODO.1"
    assert normalise_doi("https://example.org/10.5281/zenodo.1") is None
    assert normalise_doi("https://doi.org/not-a-doi") is None
    assert normalise_doi("10.5281/zenodo.1") != normalise_doi("10.5281/zenodo.2")


@pytest.mark.parametrize(
    "given",
    [
        "https://example.org/paper",
        "https://example.org/%70aper",  # unreserved 'p' escaped: RFC 3986 §6.2.2.2
        "https://example.org/./paper",  # dot segment: §6.2.2.3
        "https://example.org/paper?utm_source=x&utm_medium=y",
        "https://example.org/paper?fbclid=abc",
        "https://example.org/paper?GCLID=abc#section-2",
    ],
)
def test_one_url_written_many_ways(given: str) -> None:
    assert normalise_url(given) == "http://example.org/paper"


def test_meaningful_query_parameters_are_kept() -> None:
    assert normalise_url("https://example.org/paper?id=1&utm_source=x") == (
        "http://example.org/paper?id=1"
    )
    assert normalise_url("https://example.org/paper?id=1") != normalise_url(
        "https://example.org/paper?id=2"
    )
    # order does not matter; reserved escapes are kept (upper-case hex)
    assert normalise_url("https://example.org/p?b=2&a=1") == normalise_url(
        "https://example.org/p?a=1&b=2"
    )
    assert normalise_url("https://example.org/a%2fb") == "http://example.org/a%2Fb"
    assert "tracking parameters" in IDENTITY_RULE and "kept" in IDENTITY_RULE


def test_the_review_routes_count_one_item(tmp_path: Path) -> None:
    """Distinct titles, one DOI or one page: the count is 1 per object, as in the review."""
    indicator = load_catalogue()["wildfire.fire_events"]
    items = [
        {"title": "Event A", "doi": "10.5281/zenodo.1"},
        {"title": "Event B", "url": "https://doi.org/10.5281/zenodo.1?x=1"},
        {"title": "Event C", "url": "https://doi.org/10.5281/zenodo.1#a"},
        {"title": "Event D", "doi": "https://doi.org/10.5281%2Fzenodo.1"},
        {"title": "Event E", "url": "https://example.org/paper"},
        {"title": "Event F", "url": "https://example.org/paper?id=1&utm=x&utm_source=y"},
        {"title": "Event G", "url": "https://example.org/%70aper?fbclid=1"},
    ]
    listed = tuple(Evidence(indicator.id, tmp_path, i, f"item {k}") for k, i in enumerate(items))
    result = evaluate(indicator, Evidence(indicator.id, tmp_path, {}, "t", items=listed))
    # A = B = C = D (one DOI); E = G (one page); F has a meaningful query (id=1, utm=x)
    assert result.value == 3
    assert result.verdict is Verdict.FAIL
    assert [d["item"] for d in result.details["duplicates"]] == [2, 3, 4, 7]
