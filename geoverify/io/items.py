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
    "TRACKING_PARAMETERS",
    "ProvenItem",
    "categories",
    "distinct_values",
    "doi_name",
    "duplicates",
    "field_sum",
    "identities",
    "item_number",
    "normalise_doi",
    "normalise_title",
    "normalise_url",
    "proven_items",
    "same_item",
]

#: How listed items are told apart; shown in every count and share result.
IDENTITY_RULE = (
    "listed items are distinct by identity: two items are the same item when they share a "
    "normalised DOI (case-insensitive, %-escapes decoded, without a doi.org or doi: prefix, "
    "trailing '.,;', or the query and fragment of a doi.org URL), a normalised URL (http "
    "and https alike, host in lower case, no default port, escapes of unreserved characters "
    "decoded, dot segments removed, no fragment or trailing slash, tracking parameters such as "
    "utm_*, fbclid and gclid dropped; the other query parameters are kept, in sorted order, "
    "since they may name different pages), the sha256 of their proof file, or a normalised "
    "title (Unicode NFKC, case-folded, punctuation and whitespace collapsed) unless both "
    "carry different DOIs "
    "(a DOI names one registered object: two events of the same title with their own DOIs "
    "are two); the first listing counts, later listings are reported as duplicates and do "
    "not count"
)


# DOI syntax as recommended by Crossref: 10.NNNN/suffix (https://www.crossref.org/blog/dois-and-matching-regular-expressions/)
_DOI_NAME = re.compile(r"^(10\.\d{4,9}/\S+)$")


_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

#: Hosts whose URL path is a DOI name.
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})

#: Query parameters that track a click and never name a different page (dropped from URLs).
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "spm",
    }
)

#: Characters RFC 3986 §2.3 calls unreserved: their %-escapes are decoded (§6.2.2.2).
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


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
        name = doi_name(doi)
        if name is not None:
            return f"doi:{name}", None
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


def doi_name(value: Any) -> str | None:
    """The DOI name in ``value`` as written (case kept), or None when it holds none.

    Accepts ``10.NNNN/suffix``, ``doi:10.NNNN/suffix`` and doi.org URLs
    (``https://doi.org/…``, ``dx.doi.org``).  From a URL the query and the
    fragment are dropped and the %-escapes of the path decoded (``10.5281%2Fzenodo.1``
    is ``10.5281/zenodo.1``: a DOI is URL-encoded when it is put in a URL);
    trailing ``.``, ``,`` and ``;`` (punctuation of the sentence a DOI was copied
    from) are dropped.

    References
    ----------
    .. [1] DOI Handbook, section 2.5.2.4 (encoding DOI names in URLs),
       https://www.doi.org/the-identifier/resources/handbook/2_numbering
    .. [2] Crossref, "DOIs and matching regular expressions" (the 10.NNNN/suffix
       pattern), https://www.crossref.org/blog/dois-and-matching-regular-expressions/
    """
    from urllib.parse import unquote

    text = str(value).strip()
    if _URL.match(text):
        parts = urlsplit(text)
        if (parts.hostname or "").lower() not in _DOI_HOSTS:
            return None
        text = unquote(parts.path).lstrip("/")
    elif text[:4].lower() == "doi:":
        text = unquote(text[4:].strip())
    text = text.rstrip(".,;")
    match = _DOI_NAME.match(text)
    return match.group(1) if match else None


def normalise_doi(value: Any) -> str | None:
    """The DOI in ``value`` (see :func:`doi_name`), case-folded, or None.

    DOI names are case-insensitive, so ``10.5281/ZENODO.1`` and
    ``https://doi.org/10.5281/zenodo.1?utm_source=x#a`` are one DOI.

    References
    ----------
    .. [1] DOI Handbook, section 2.4 (DOI names are case-insensitive: "all ASCII
       characters are converted to upper case" before comparison),
       https://www.doi.org/the-identifier/resources/handbook/2_numbering
    """
    name = doi_name(value)
    return name.casefold() if name is not None else None


def _decode_unreserved(text: str) -> str:
    """Escapes of unreserved characters decoded, the others in upper-case hex (RFC 3986 §6.2.2)."""

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _ESCAPE.sub(one, text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: ``/a/./b/../c`` is ``/a/c``."""
    out: list[str] = []
    for segment in path.split("/"):
        if segment == ".":
            continue
        if segment == "..":
            if len(out) > 1:
                out.pop()
            continue
        out.append(segment)
    return "/".join(out)


def normalise_url(value: Any) -> str | None:
    """``value`` as a comparable http(s) URL, or None when it is not one.

    Host in lower case (RFC 3986 §6.2.2.1), default ports dropped (§6.2.3),
    %-escapes of unreserved characters decoded and the others in upper-case hex
    (§6.2.2.1–2, so ``/%70aper`` is ``/paper``), dot segments removed
    (§6.2.2.3), http and https alike, no fragment (it never reaches the
    server), no trailing slash.  Query parameters that only track a click
    (``utm_*`` and :data:`TRACKING_PARAMETERS`, compared case-insensitively)
    are dropped; the others are kept, since they may name a different page
    (``?id=1`` and ``?id=2``), and sorted, so that their order does not matter.

    References
    ----------
    .. [1] Berners-Lee, T., Fielding, R. & Masinter, L. (2005). Uniform Resource
       Identifier (URI): Generic Syntax. RFC 3986, sections 2.3, 5.2.4 and 6.2.
    """
    text = str(value).strip()
    if not _URL.match(text):
        return None
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port if parts.port not in (None, 80 if scheme == "http" else 443) else None
    except ValueError:  # a port that is not a number: not a usable URL
        return None
    netloc = host if port is None else f"{host}:{port}"
    path = _remove_dot_segments(_decode_unreserved(parts.path)).rstrip("/")
    kept = []
    for pair in parts.query.split("&"):
        if not pair:
            continue
        name = _decode_unreserved(pair.split("=", 1)[0]).casefold()
        if name.startswith("utm_") or name in TRACKING_PARAMETERS:
            continue
        kept.append(_decode_unreserved(pair))
    query = "&".join(sorted(kept))
    return urlunsplit(("http", netloc, path, query, ""))  # http and https alike


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


def same_item(keys: Iterable[str], others: Iterable[str]) -> bool:
    """True when two items with these identity keys (:func:`identities`) are one item.

    As in :func:`proven_items` (:data:`IDENTITY_RULE`): a shared DOI, URL or
    proof-file checksum makes them one; a shared normalised title does too,
    unless both carry DOIs and none is shared (two registered objects).
    """
    mine, theirs = set(keys), set(others)
    shared = mine & theirs
    if any(not key.startswith("title:") for key in shared):
        return True
    if not shared:
        return False
    dois_mine = {k for k in mine if k.startswith("doi:")}
    dois_theirs = {k for k in theirs if k.startswith("doi:")}
    return not (dois_mine and dois_theirs)


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


def distinct_values(
    items: Iterable[Evidence], field: str, region: str | Sequence[str] | None = None
) -> list[str]:
    """Distinct values of ``field`` among ``items``; countries normalised to ISO3.

    With ``region``, only countries in that region; with several regions, only
    countries in every one of them (see :mod:`geoverify.geo.regions`).  For a
    field that is not a country (``city``), ``region`` keeps the items whose
    country (declared, or found from ``lon``/``lat``) lies in the region: "distinct
    cities outside China" are the distinct cities of the items outside China.

    Raises
    ------
    EvidenceError
        For an unknown country, or, with ``region`` and a field that is not a
        country, an item that gives no country.
    """
    restricted = region not in (None, "any", ())
    if restricted and "country" not in field:
        items = [item for item in items if _item_in_region(item, region)]
        region = None
    values: set[str] = set()
    for item in items:
        raw = item.get(field)
        if field == "country":
            raw = _country_of_item(item, raw)
        for value in raw if isinstance(raw, list) else [raw]:
            if value is None or value == "":
                continue
            values.add(str(value))
    restricted = region not in (None, "any", ())
    if "country" in field or restricted:
        from geoverify.geo.regions import country_code, regions_members

        codes = {country_code(v) for v in values}
        if restricted:
            codes &= regions_members(region)
        return sorted(codes)
    return sorted(values)


def _item_in_region(item: Evidence, region: str | Sequence[str] | None) -> bool:
    """True when the item's country (declared, or from its lon/lat) lies in ``region``."""
    from geoverify.geo.regions import country_code, regions_members

    country = _country_of_item(item, item.get("country"))
    if not isinstance(country, str) or not country.strip():
        shown = region if isinstance(region, str) else " ∩ ".join(map(str, region or ()))
        raise EvidenceError(
            f"item {item.get('title')!r} gives no country, so whether it lies in {shown} "
            "is unknown",
            source=item.where,
            hint='Add `country = "ISO3"` (or lon and lat) to the item.',
        )
    return country_code(country) in regions_members(region)


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
