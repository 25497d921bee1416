"""Listed items of a submission: their proofs, their fields, their countries.

A counted indicator ("≥ 30 fire events", "≥ 2 workshops") is measured from the
items a submission lists, each with a title and its proof: a file inside the
submission, an http(s) URL or a DOI.  Only items with a usable proof count;
the others are reported with the reason.  The count and share checks and the
per-item and aggregate conditions (``each``, ``also``) all read items here.

Items are distinct by identity (:data:`IDENTITY_RULE`): two listed items are
the same item when they share a normalised DOI, a normalised URL, the sha256
of their proof file or a normalised title.  The first listing counts; every
later listing of the same item is reported with the item it repeats and does
not count, so that one paper listed twice, or one model listed 25 times, is
one item.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from geoverify.errors import EvidenceError
from geoverify.io.checksums import sha256_file
from geoverify.model.evidence import Evidence, is_remote, resolve_location

__all__ = [
    "IDENTITY_RULE",
    "ProvenItem",
    "categories",
    "distinct_values",
    "duplicates",
    "field_sum",
    "identities",
    "item_number",
    "normalise_doi",
    "normalise_title",
    "normalise_url",
    "proven_items",
]

#: How listed items are told apart; shown in every count and share result.
IDENTITY_RULE = (
    "listed items are distinct by identity: two items are the same item when they share a "
    "normalised DOI (case-insensitive, without a doi.org or doi: prefix), a normalised URL "
    "(http and https alike, host in lower case, no default port, fragment or trailing "
    "slash), the sha256 of their proof file, or a normalised title (Unicode NFKC, "
    "case-folded, punctuation and whitespace collapsed) unless both carry different DOIs "
    "(a DOI names one registered object: two events of the same title with their own DOIs "
    "are two); the first listing counts, later listings are reported as duplicates and do "
    "not count"
)


# DOI syntax as recommended by Crossref: 10.NNNN/suffix (https://www.crossref.org/blog/dois-and-matching-regular-expressions/)
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)


_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class ProvenItem:
    """A listed item and the proof that makes it count (or why it does not)."""

    item: Evidence
    proof: str | None
    reason: str | None = None
    #: 1-based position of the listed item this one repeats (``None``: not a duplicate)
    duplicate_of: int | None = None

    @property
    def title(self) -> str:
        return str(self.item.get("title", ""))

    @property
    def counted(self) -> bool:
        return self.proof is not None

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "counted": self.counted, "proof": self.proof}
        if self.reason:
            out["reason"] = self.reason
        if self.duplicate_of is not None:
            out["duplicate_of"] = self.duplicate_of
        return out


def _proof_of(item: Evidence) -> tuple[str | None, str | None]:
    problems = []
    doi = item.get("doi")
    if doi is not None:
        match = _DOI.match(str(doi).strip())
        if match:
            return f"doi:{match.group(1)}", None
        problems.append(f"doi {doi!r} is not a DOI (10.NNNN/suffix)")
    url = item.get("url")
    if url is not None:
        if _URL.match(str(url).strip()):
            return str(url).strip(), None
        problems.append(f"url {url!r} is not an http(s) URL")
    file = item.get("file")
    if file is not None:
        try:
            resolved = resolve_location(item.base, str(file))
        except EvidenceError as exc:
            problems.append(f"file {file!r}: {exc.problem}")
        else:
            if is_remote(resolved) or Path(resolved).is_file():
                return str(file), None
            problems.append(f"file {file!r} not found")
    if not problems:
        problems.append("no proof given (file, url or doi)")
    return None, "; ".join(problems)


def normalise_doi(value: Any) -> str | None:
    """The DOI in ``value`` (``10.NNNN/suffix``, lower case: DOIs are case-insensitive), or None.

    References
    ----------
    .. [1] DOI Handbook, section 2.4 (DOI names are case-insensitive),
       https://www.doi.org/the-identifier/resources/handbook/2_numbering
    """
    match = _DOI.match(str(value).strip())
    return match.group(1).casefold() if match else None


def normalise_url(value: Any) -> str | None:
    """``value`` as a comparable http(s) URL, or None when it is not one.

    Host in lower case (RFC 3986 §6.2.2.1), default ports dropped (§6.2.3),
    http and https alike, no fragment, no trailing slash; path and query kept
    as given.
    """
    text = str(value).strip()
    if not _URL.match(text):
        return None
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port if parts.port not in (None, 80 if scheme == "http" else 443) else None
    netloc = host if port is None else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit(("http", netloc, path, parts.query, ""))  # http and https alike


def normalise_title(value: Any) -> str:
    """A title as compared for identity: NFKC, case-folded, punctuation and spaces collapsed."""
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    kept = [ch if not unicodedata.category(ch).startswith(("P", "S", "Z")) else " " for ch in text]
    return " ".join("".join(kept).split())


def identities(item: Evidence, *, checksums: dict[str, str] | None = None) -> list[str]:
    """The identity keys of a listed item (see :data:`IDENTITY_RULE`).

    ``doi:…``, ``url:…`` (a URL holding a DOI gives the DOI too), ``sha256:…`` of
    a local proof file that exists, and ``title:…`` for a non-empty title.
    ``checksums`` caches file digests by resolved path.
    """
    keys = []
    doi = item.get("doi")
    if doi is not None and (norm := normalise_doi(doi)):
        keys.append(f"doi:{norm}")
    url = item.get("url")
    if url is not None:
        if norm := normalise_doi(url):
            keys.append(f"doi:{norm}")
        if norm := normalise_url(url):
            keys.append(f"url:{norm}")
    file = item.get("file")
    if file is not None:
        try:
            resolved = resolve_location(item.base, str(file))
        except EvidenceError:
            resolved = ""
        if resolved and not is_remote(resolved) and Path(resolved).is_file():
            cache = checksums if checksums is not None else {}
            if resolved not in cache:
                cache[resolved] = sha256_file(resolved)
            keys.append(f"sha256:{cache[resolved]}")
        elif resolved and is_remote(resolved) and (norm := normalise_url(resolved)):
            keys.append(f"url:{norm}")
    title = normalise_title(item.get("title", ""))
    if title:
        keys.append(f"title:{title}")
    return keys


_KEY_NAMES = {"doi": "DOI", "url": "URL", "sha256": "proof-file checksum", "title": "title"}


def proven_items(evidence: Evidence, *, distinct: bool = True) -> list[ProvenItem]:
    """Every listed item of ``evidence`` with its proof or the reason it does not count.

    With ``distinct`` (the default), an item sharing an identity key with an
    earlier counted item (:func:`identities`) is a duplicate: it does not count,
    and its reason names the item it repeats and what they share.  Items
    without a usable proof do not count anyway and claim no identity, so a
    listing corrected further down the list counts.
    """
    out = []
    for item in evidence.items:
        proof, reason = _proof_of(item)
        out.append(ProvenItem(item, proof, reason))
    if not distinct:
        return out
    first: dict[str, int] = {}
    checksums: dict[str, str] = {}
    dois: dict[int, set[str]] = {}
    for k, proven in enumerate(out):
        if not proven.counted:
            continue
        keys = identities(proven.item, checksums=checksums)
        dois[k] = {key for key in keys if key.startswith("doi:")}

        def same(key: str, k: int = k) -> bool:
            if key not in first:
                return False
            if not key.startswith("title:"):
                return True
            mine, theirs = dois[k], dois[first[key]]
            return not (mine and theirs and not mine & theirs)  # different DOIs: two items

        earlier = sorted((first[key], key) for key in keys if same(key))
        if earlier:
            position, key = earlier[0]
            kind, _, shown = key.partition(":")
            what = _KEY_NAMES[kind] + ("" if kind == "sha256" else f" {shown!r}")
            out[k] = replace(
                proven,
                proof=None,
                reason=f"duplicate of item #{position + 1} {out[position].title!r} (same {what})",
                duplicate_of=position + 1,
            )
        for key in keys:  # a duplicate's keys point to the item it repeats
            first.setdefault(key, earlier[0][0] if earlier else k)
    return out


def duplicates(items: Sequence[ProvenItem]) -> list[dict[str, Any]]:
    """The duplicates among ``items``: position, title and the item each repeats."""
    return [
        {"item": k + 1, "title": p.title, "duplicate_of": p.duplicate_of, "reason": p.reason}
        for k, p in enumerate(items)
        if p.duplicate_of is not None
    ]


def item_number(item: Evidence, field: str) -> float:
    value = item.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvidenceError(
            f"item {item.get('title')!r} has no numeric {field!r}",
            source=item.where,
            hint=f"Add `{field} = <number>` to the item.",
        )
    return float(value)


def distinct_values(items: Iterable[Evidence], field: str, region: str | None = None) -> list[str]:
    """Distinct values of ``field`` among ``items``; countries normalised to ISO3.

    With ``region``, only countries in that region (see :mod:`geoverify.geo.regions`).
    """
    values: set[str] = set()
    for item in items:
        raw = item.get(field)
        if field == "country":
            raw = _country_of_item(item, raw)
        for value in raw if isinstance(raw, list) else [raw]:
            if value is None or value == "":
                continue
            values.add(str(value))
    if "country" in field or region not in (None, "any"):
        from geoverify.geo.regions import country_code, in_region

        codes = {country_code(v) for v in values}
        if region not in (None, "any"):
            codes = {c for c in codes if in_region(c, region)}
        return sorted(codes)
    return sorted(values)


def _country_of_item(item: Evidence, declared: Any) -> Any:
    """The item's country: declared, or found from its ``lon``/``lat``; both must agree."""
    lon, lat = item.get("lon"), item.get("lat")
    if not (isinstance(lon, int | float) and isinstance(lat, int | float)):
        return declared
    from geoverify.geo.regions import country_code, country_of_point

    located = country_of_point(lon, lat)
    if declared in (None, ""):
        return located
    if isinstance(declared, str) and located and country_code(declared) != located:
        raise EvidenceError(
            f"item {item.get('title')!r} declares country {declared!r} but its coordinates "
            f"({lon}, {lat}) lie in {located}",
            source=item.where,
            hint="Correct the country or the coordinates.",
        )
    return declared


def field_sum(items: Sequence[Evidence], field: str) -> float:
    """Sum of a numeric ``field`` over ``items``."""
    return sum(item_number(item, field) for item in items)


def categories(items: Iterable[Evidence], field: str) -> list[str]:
    """The categories (values of ``field``) present among ``items``."""
    return distinct_values(items, field)
