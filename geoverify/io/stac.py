"""Evidence discovered through a STAC API: items, their chosen asset, and their metadata.

A submission may point at a catalogue instead of files.  Every evidence table
accepts a ``stac`` sub-table::

    [evidence.eco_env.landcover_resolution.stac]
    api = "https://stac.example.org/v1"      # landing page, or its /search endpoint
    collections = ["landcover-30m"]
    ids = ["lc-2020"]                        # optional
    bbox = [73.5, 18.0, 135.1, 53.6]         # optional (or intersects = GeoJSON table)
    datetime = "2015/2025"                   # optional
    query = { "eo:cloud_cover" = { lt = 10 } }  # optional, where the API supports it
    asset = "data"                           # asset key ... or role = "data"
    limit = 100                              # page size asked of the API
    max_items = 50                           # more matches than this is an error

:func:`resolve_stac` searches the API with pystac-client (paging followed,
every request bounded by ``timeout``) and returns a :class:`StacEvidence`:
the matched items with the metadata that checks can use without reading a
pixel (:func:`metadata_resolution`, :func:`metadata_period`,
:func:`metadata_footprint`) and the chosen asset's href, resolved to an
absolute URL or local path.  :func:`prepare_stac` turns a submission's
evidence with a ``stac`` table into evidence the checks already understand.

Every failure (API down, HTTP errors, timeouts, malformed JSON, nothing
matched, too many matches, no usable asset) is an
:class:`~geoverify.errors.EvidenceError` or
:class:`~geoverify.errors.EvidenceReadError` naming the URL and the cause.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import math
import os
import posixpath
import re
import urllib.parse
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError, EvidenceReadError, require
from geoverify.io.confine import (
    check_deadline,
    current,
    guarded_session,
    host_of,
    http_timeout,
    remaining,
)
from geoverify.io.formats import RASTER_MEDIA_TYPES, is_raster

if TYPE_CHECKING:
    import pystac
    import shapely.geometry.base

    from geoverify.model.evidence import Evidence

__all__ = [
    "DEFAULT_MAX_ITEMS",
    "DEFAULT_TIMEOUT",
    "STAC_KEYS",
    "StacEvidence",
    "StacItem",
    "compare_metadata_to_data",
    "metadata_footprint",
    "metadata_period",
    "metadata_resolution",
    "prepare_stac",
    "refuse_local_hrefs",
    "resolve_stac",
]


def _does_not_conform() -> type[Warning]:
    """pystac-client's warning class, imported when a search runs (keeps imports cheap)."""
    from pystac_client.warnings import DoesNotConformTo

    return DoesNotConformTo


#: Seconds allowed for each HTTP request to the STAC API (connect and read).
DEFAULT_TIMEOUT = 20.0
#: Matches beyond this number are an error unless the submission declares ``max_items``.
DEFAULT_MAX_ITEMS = 100
#: Retries of a request that failed to connect or got 502/503/504 (bounded, short back-off).
DEFAULT_RETRIES = 2

#: Keys of the ``stac`` table, with their accepted TOML types.
STAC_KEYS: dict[str, type | tuple[type, ...]] = {
    "api": str,
    "collections": (str, list),
    "ids": (str, list),
    "bbox": list,
    "intersects": dict,
    "datetime": (str, dt.date, dt.datetime),
    "query": dict,
    "filter": (dict, str),
    "asset": str,
    "role": str,
    "limit": int,
    "max_items": int,
}

GeoverifyStacError = EvidenceError | EvidenceReadError
_METADATA_TOLERANCE = 0.05


@dataclass(frozen=True)
class StacItem:
    """One matched STAC item, with the asset chosen for verification.

    Metadata fields are taken from the chosen asset where it declares them
    (STAC allows ``gsd``, ``proj:*`` and ``raster:bands`` per asset) and from
    the item's properties otherwise.  ``None`` where the item does not say.
    """

    id: str
    collection: str | None
    datetime: dt.datetime | None
    start_datetime: dt.datetime | None
    end_datetime: dt.datetime | None
    bbox: tuple[float, ...] | None
    geometry: Mapping[str, Any] | None
    gsd: float | None
    epsg: int | None
    proj_code: str | None
    proj_wkt2: str | None
    transform: tuple[float, ...] | None
    shape: tuple[int, int] | None
    raster_bands: tuple[Mapping[str, Any], ...]
    asset_key: str
    href: str
    media_type: str | None
    roles: tuple[str, ...]
    self_href: str | None

    @property
    def crs(self) -> str | None:
        """The CRS as ``proj:code`` / ``EPSG:n`` / WKT2, ``None`` when undeclared."""
        if self.proj_code:
            return self.proj_code
        if self.epsg is not None:
            return f"EPSG:{self.epsg}"
        return self.proj_wkt2

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (what ``geoverify stac --format json`` prints)."""
        return {
            "id": self.id,
            "collection": self.collection,
            "datetime": _iso(self.datetime),
            "start_datetime": _iso(self.start_datetime),
            "end_datetime": _iso(self.end_datetime),
            "bbox": list(self.bbox) if self.bbox else None,
            "gsd": self.gsd,
            "crs": self.crs if self.proj_wkt2 is None or self.crs != self.proj_wkt2 else "WKT2",
            "transform": list(self.transform) if self.transform else None,
            "shape": list(self.shape) if self.shape else None,
            "bands": len(self.raster_bands),
            "asset": self.asset_key,
            "href": self.href,
            "media_type": self.media_type,
            "resolution": metadata_resolution(self),
        }


@dataclass(frozen=True)
class StacEvidence:
    """What a ``stac`` evidence table resolved to.

    Attributes
    ----------
    api : str
        The API URL searched (landing page or ``/search`` endpoint).
    items : tuple of StacItem
        Matched items, in the API's order.
    search : dict
        The search parameters sent (collections, ids, bbox, datetime, ...).
    matched : int or None
        ``numberMatched`` where the API reports it.
    """

    api: str
    items: tuple[StacItem, ...]
    search: Mapping[str, Any] = field(default_factory=dict)
    matched: int | None = None

    @property
    def hrefs(self) -> list[str]:
        """The chosen asset's href of every item."""
        return [item.href for item in self.items]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary: the search, items, and metadata period/resolution."""
        out: dict[str, Any] = {
            "api": self.api,
            "search": dict(self.search),
            "matched": self.matched,
            "items": [item.to_dict() for item in self.items],
        }
        try:
            first, last, years = metadata_period(self.items)
            out["period"] = {"first": _iso(first), "last": _iso(last), "years": years}
        except EvidenceError:
            out["period"] = None
        return out


# --------------------------------------------------------------------------- search


def resolve_stac(
    spec: Mapping[str, Any],
    *,
    where: str,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
) -> StacEvidence:
    """Search a STAC API as a ``stac`` evidence table says, and choose each item's asset.

    Parameters
    ----------
    spec : mapping
        The ``stac`` table (keys of :data:`STAC_KEYS`; ``api`` is required).
    where : str
        Where the table is (``submission.toml:12``), named in errors about the table.
    timeout : float
        Seconds allowed for each HTTP request (connect and read).
    retries : int
        Retries of a request that could not connect or got 502/503/504.

    Returns
    -------
    StacEvidence

    Raises
    ------
    EvidenceError
        The table is invalid, nothing matched, more than ``max_items`` matched, the
        API does not support a requested feature, or an item has no usable asset.
    EvidenceReadError
        The API is unreachable, answered an HTTP error, timed out or sent malformed JSON.
    """
    params, api, max_items, chooser = _validate(spec, where, timeout)
    search_url = _search_url(api)
    with _quiet_retries():
        search = _open_search(api, params, max_items, timeout, retries)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", _does_not_conform())
                found = list(search.items())
        except Exception as exc:
            raise _api_failure(search_url, exc, timeout) from None
    matched = _matched(search) if len(found) > max_items else None
    if not found:
        raise EvidenceError(
            f"the STAC search matched no item ({_describe_search(params)})",
            source=search_url,
            hint="Check the collection, ids, bbox and datetime in the `stac` table.",
        )
    if len(found) > max_items:
        count = f"{matched}" if matched else f"more than {max_items}"
        raise EvidenceError(
            f"the STAC search matched {count} items, more than max_items = {max_items}",
            source=search_url,
            hint="Narrow the search (ids, bbox, datetime) or raise `max_items` in the table.",
        )
    items = tuple(_stac_item(item, chooser, search_url) for item in found)
    return StacEvidence(api=api, items=items, search=params, matched=matched)


def _validate(
    spec: Mapping[str, Any], where: str, timeout: float
) -> tuple[dict[str, Any], str, int, tuple[str | None, str | None]]:
    if not isinstance(spec, Mapping):
        raise EvidenceError(
            "`stac` must be a table", source=where, hint="Write [evidence.X.Y.stac]."
        )
    if not (isinstance(timeout, int | float) and timeout > 0 and math.isfinite(timeout)):
        raise EvidenceError(f"timeout must be a positive number of seconds, not {timeout!r}")

    def bad(problem: str, hint: str) -> EvidenceError:
        return EvidenceError(f"stac: {problem}", source=where, hint=hint)

    for key, value in spec.items():
        if key not in STAC_KEYS:
            raise bad(f"unknown key {key!r}", f"Allowed: {', '.join(STAC_KEYS)}.")
        expected = STAC_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, expected):
            names = " or ".join(t.__name__ for t in _as_tuple(expected))
            raise bad(f"{key!r} must be {names}, not {type(value).__name__}", "Fix the value.")
    api = spec.get("api")
    if not isinstance(api, str) or not api.startswith(("http://", "https://")):
        raise bad("`api` must be the http(s) URL of a STAC API", 'Write api = "https://…/v1".')
    params: dict[str, Any] = {}
    for key in ("collections", "ids"):
        if key in spec:
            values = [spec[key]] if isinstance(spec[key], str) else list(spec[key])
            if not values or not all(isinstance(v, str) and v for v in values):
                raise bad(f"{key!r} must be a non-empty list of strings", f'{key} = ["…"]')
            params[key] = values
    if "bbox" in spec:
        bbox = spec["bbox"]
        ok = len(bbox) in (4, 6) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in bbox
        )
        if not ok:
            raise bad("'bbox' must be 4 (or 6) numbers", "bbox = [west, south, east, north]")
        if len(bbox) == 4 and not (-90 <= bbox[1] <= bbox[3] <= 90):
            raise bad(f"'bbox' south/north out of order or range: {bbox}", "Use WGS 84 degrees.")
        params["bbox"] = [float(v) for v in bbox]
    if "intersects" in spec:
        if "type" not in spec["intersects"]:
            raise bad("'intersects' must be a GeoJSON geometry", 'intersects = {type = "Point", …}')
        params["intersects"] = dict(spec["intersects"])
    if "datetime" in spec:
        value = spec["datetime"]
        params["datetime"] = value if isinstance(value, str) else value.isoformat()
    for key in ("query", "filter"):
        if key in spec:
            params[key] = spec[key]
    limit = spec.get("limit")
    if limit is not None:
        if limit < 1:
            raise bad("'limit' must be a positive page size", "limit = 100")
        params["limit"] = limit
    max_items = spec.get("max_items", DEFAULT_MAX_ITEMS)
    if max_items < 1:
        raise bad("'max_items' must be positive", "max_items = 50")
    if "collections" not in params and "ids" not in params:
        raise bad(
            "give `collections` or `ids`: a search of a whole API is not evidence",
            'Add collections = ["…"] (and ids, bbox or datetime to narrow it).',
        )
    if "asset" in spec and "role" in spec:
        raise bad("give `asset` (a key) or `role`, not both", 'asset = "data" or role = "data"')
    chooser = (spec.get("asset"), spec.get("role"))
    return params, api, max_items, chooser


def _as_tuple(expected: type | tuple[type, ...]) -> tuple[type, ...]:
    return expected if isinstance(expected, tuple) else (expected,)


@contextmanager
def _quiet_retries() -> Iterator[None]:
    """Keep urllib3's per-retry warnings off stderr: the final error says it all."""
    logger = logging.getLogger("urllib3.connectionpool")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _search_url(api: str) -> str:
    trimmed = api.rstrip("/")
    return trimmed if trimmed.endswith("/search") else f"{trimmed}/search"


def _open_search(
    api: str, params: Mapping[str, Any], max_items: int, timeout: float, retries: int
) -> Any:
    require("pystac_client", "stac", "STAC evidence")
    from pystac_client import Client, ItemSearch
    from urllib3.util.retry import Retry

    retry = Retry(
        total=retries,
        connect=retries,
        read=0,
        status=retries,
        backoff_factor=0.2,
        status_forcelist=(502, 503, 504),
        allowed_methods=None,
        raise_on_status=False,
    )
    request_timeout = http_timeout(min(timeout, 10.0), timeout)
    stac_io = _guarded_io()(timeout=request_timeout, max_retries=retry)
    guarded_session(stac_io.session, max_retries=retry)
    stac_io.origin = host_of(api)
    kwargs = dict(params)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", _does_not_conform())
            if api.rstrip("/").endswith("/search"):
                # The search endpoint itself: no landing page to read; POST as the spec prefers.
                url = api.rstrip("/")
                return ItemSearch(url, stac_io=stac_io, max_items=max_items + 1, **kwargs)
            client = Client.open(api, stac_io=stac_io, timeout=request_timeout)
            return client.search(max_items=max_items + 1, **kwargs)
    except Exception as exc:
        raise _api_failure(api, exc, timeout) from None


@functools.cache
def _guarded_io() -> type:
    """pystac-client's ``StacApiIO`` whose paging refuses loops and foreign ``next`` links.

    Requests go through :func:`geoverify.io.confine.guarded_session` (hosts the
    manifest names, connect and total-read deadlines within the budget); a
    ``next`` link must stay on the API's origin (or a host the manifest names)
    and must not repeat a page already read.
    """
    from pystac import Link
    from pystac_client.stac_api_io import StacApiIO

    class GuardedStacApiIO(StacApiIO):  # type: ignore[misc]
        origin: str = ""

        def get_pages(
            self, url: str, method: str | None = None, parameters: dict[str, Any] | None = None
        ) -> Iterator[dict[str, Any]]:
            seen: set[str] = set()
            request: Any = url
            body = parameters
            page_method = method
            while True:
                key = json.dumps(
                    [str(getattr(request, "href", request)), page_method, body],
                    sort_keys=True,
                    default=str,
                )
                if key in seen:
                    raise EvidenceReadError(
                        f"the STAC API's paging loops: the `next` link "
                        f"{getattr(request, 'href', request)!r} asks for a page already read "
                        f"(after {len(seen)} pages)",
                        source=url,
                        hint="The API's paging is broken; narrow the search to one page "
                        "(ids, bbox, datetime) or report it to the API's operator.",
                    )
                seen.add(key)
                check_deadline(url)
                if isinstance(request, str):
                    page = self.read_json(request, method=page_method, parameters=body)
                else:
                    page = self.read_json(request, parameters=parameters)
                if not (page.get("features") or page.get("collections")):
                    return
                yield page
                link = next((x for x in page.get("links", []) if x.get("rel") == "next"), None)
                if not link:
                    return
                href = urllib.parse.urljoin(url, str(link.get("href", "")))
                scope = current()
                allowed = {self.origin} | set(scope.hosts if scope and scope.hosts else ())
                if host_of(href) not in allowed:
                    raise EvidenceError(
                        f"the STAC API's `next` link goes to {host_of(href)} ({href!r}), "
                        f"not to the API's origin {self.origin}; refused",
                        source=url,
                        hint="Name that host in the manifest if the API really pages there.",
                    )
                request = Link.from_dict({**link, "href": href})
                body = link.get("body") if isinstance(link.get("body"), dict) else parameters
                page_method = str(link.get("method", "GET"))

    return GuardedStacApiIO


def _matched(search: Any) -> int | None:
    """``numberMatched`` where the API reports it (one more bounded request), else ``None``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = search.matched()
    except Exception:  # the count is a courtesy: an API without it is not an error
        return None
    return value if isinstance(value, int) else None


def _api_failure(url: str, exc: BaseException, timeout: float) -> GeoverifyStacError:
    """One clear error for everything pystac-client and requests can raise."""
    import requests
    from pystac_client.exceptions import APIError

    if isinstance(exc, EvidenceError | EvidenceReadError):  # already says what and where
        return exc
    left = remaining()
    if left is not None and left < 1.0:
        timeout = current().budget or timeout  # type: ignore[union-attr]
    cause: BaseException | None = exc
    text = str(exc)
    while cause is not None:
        if isinstance(cause, requests.exceptions.Timeout) or "timed out" in str(cause).lower():
            return EvidenceReadError(
                f"the STAC API did not answer within the {timeout:g} s timeout",
                source=url,
                hint="Check that the API is up; a slow API can be given more time (--timeout).",
            )
        if isinstance(cause, requests.exceptions.ConnectionError) or _refused(str(cause)):
            return EvidenceReadError(
                f"cannot connect to the STAC API ({_connection_cause(str(cause))})",
                source=url,
                hint="Check the URL and that the API is running and reachable.",
            )
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, APIError):
        status = getattr(exc, "status_code", None)
        if status is not None:
            body = _first_line(text)[:200] if text.strip() else "empty body"
            return EvidenceReadError(
                f"the STAC API answered HTTP {status} ({body})",
                source=url,
                hint=_status_hint(status),
            )
        return EvidenceReadError(
            f"request to the STAC API failed ({_first_line(text)})",
            source=url,
            hint="Check the URL and that the API is reachable.",
        )
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return EvidenceReadError(
            f"the STAC API sent malformed JSON ({_first_line(text)})",
            source=url,
            hint="The server is not a STAC API, or it is failing; check the URL.",
        )
    name = type(exc).__name__
    if name in ("DoesNotConformTo", "ParametersError", "NotImplementedError"):
        return EvidenceError(
            f"the STAC API does not support this search ({_first_line(text) or name})",
            source=url,
            hint="Remove the unsupported parameter (query/filter) or use ids/bbox/datetime.",
        )
    return EvidenceReadError(
        f"the STAC API answer cannot be used ({name}: {_first_line(text)})",
        source=url,
        hint="The response is not valid STAC; check the URL points at a STAC API.",
    )


def _refused(text: str) -> bool:
    lowered = text.lower()
    return any(s in lowered for s in ("connection refused", "max retries exceeded", "errno 111"))


def _connection_cause(text: str) -> str:
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "unknown host"
    return _first_line(text)[:200]


def _status_hint(status: int) -> str:
    if status == 404:
        return "The URL, collection or item does not exist there; check the `stac` table."
    if status >= 500:
        return "The API failed on its side; try again later or tell its operator."
    return "Check the search parameters of the `stac` table."


def _describe_search(params: Mapping[str, Any]) -> str:
    parts = [f"{k}={json.dumps(v, default=str)}" for k, v in params.items() if k != "limit"]
    return ", ".join(parts) or "no parameters"


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


# --------------------------------------------------------------------------- items and assets


def _stac_item(
    item: pystac.Item, chooser: tuple[str | None, str | None], search_url: str
) -> StacItem:
    key, asset = _choose_asset(item, chooser, search_url)
    props = dict(item.properties)
    extra = dict(asset.extra_fields)

    def pick(name: str) -> Any:
        return extra[name] if name in extra else props.get(name)

    self_href = item.get_self_href()
    transform = pick("proj:transform")
    shape = pick("proj:shape")
    epsg = pick("proj:epsg")
    bands = pick("raster:bands") or pick("bands") or []
    code = pick("proj:code") if isinstance(pick("proj:code"), str) else None
    if epsg is None and code and code.upper().startswith("EPSG:") and code[5:].isdigit():
        epsg = int(code[5:])  # projection v2 (STAC 1.1) replaced proj:epsg by proj:code
    return StacItem(
        id=item.id,
        collection=item.collection_id,
        datetime=item.datetime,
        start_datetime=_parse_time(props.get("start_datetime")),
        end_datetime=_parse_time(props.get("end_datetime")),
        bbox=tuple(float(v) for v in item.bbox) if item.bbox else None,
        geometry=item.geometry,
        gsd=_number(pick("gsd")),
        epsg=int(epsg) if isinstance(epsg, int | float) and not isinstance(epsg, bool) else None,
        proj_code=code,
        proj_wkt2=pick("proj:wkt2") if isinstance(pick("proj:wkt2"), str) else None,
        transform=tuple(float(v) for v in transform) if _numbers(transform, (6, 9)) else None,
        shape=(int(shape[0]), int(shape[1])) if _numbers(shape, (2,)) else None,
        raster_bands=tuple(b for b in bands if isinstance(b, Mapping)),
        asset_key=key,
        href=_resolve_href(asset.href, self_href, search_url),
        media_type=asset.media_type,
        roles=tuple(asset.roles or ()),
        self_href=self_href,
    )


def _choose_asset(
    item: pystac.Item, chooser: tuple[str | None, str | None], search_url: str
) -> tuple[str, pystac.Asset]:
    key, role = chooser
    assets = item.assets
    listing = ", ".join(
        f"{k} (roles {', '.join(a.roles or []) or 'none'})" for k, a in assets.items()
    )
    where = f"{search_url} item {item.id!r}"
    if not assets:
        raise EvidenceError("the item has no assets", source=where, hint="Publish the data asset.")
    if key is not None:
        if key not in assets:
            raise EvidenceError(
                f"the item has no asset {key!r}; it has: {listing}",
                source=where,
                hint="Set `asset` in the `stac` table to one of these keys.",
            )
        return key, assets[key]
    wanted = role or "data"
    with_role = [(k, a) for k, a in assets.items() if wanted in (a.roles or [])]
    if with_role:
        rasters = [(k, a) for k, a in with_role if _looks_raster(a)]
        return (rasters or with_role)[0]
    if role is None:
        rasters = [(k, a) for k, a in assets.items() if _looks_raster(a)]
        if len(rasters) == 1:
            return rasters[0]
    raise EvidenceError(
        f"no asset has the role {wanted!r}; the item has: {listing}",
        source=where,
        hint='Choose the asset in the `stac` table: asset = "key" or role = "…".',
    )


def _looks_raster(asset: pystac.Asset) -> bool:
    media = (asset.media_type or "").lower()
    if media:
        return media.startswith(RASTER_MEDIA_TYPES)
    return is_raster(asset.href)


def _resolve_href(href: str, self_href: str | None, search_url: str) -> str:
    """An absolute URL, or an absolute local path (``file://`` URLs become paths)."""
    parsed = urllib.parse.urlparse(href)
    if parsed.scheme in ("http", "https"):
        return href
    if parsed.scheme == "file":
        return urllib.parse.unquote(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # s3://, gs://: passed on, GDAL may not read it
        return href
    if os.path.isabs(href):
        return href
    base = self_href or search_url
    base_parsed = urllib.parse.urlparse(base)
    if base_parsed.scheme in ("http", "https"):
        return urllib.parse.urljoin(base, href)
    base_path = urllib.parse.unquote(base_parsed.path) if base_parsed.scheme == "file" else base
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_path), href))


def _parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def _numbers(value: Any, lengths: tuple[int, ...]) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) in lengths
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --------------------------------------------------------------------------- metadata


def metadata_resolution(item: StacItem) -> dict[str, Any] | None:
    """The pixel size an item declares, in metres, without reading the asset.

    ``proj:transform`` with a CRS decides where both are given (the grid spacing
    in the CRS's linear unit, or the geodesic size of one step at the centre of
    the item for a geographic CRS; for a projection whose scale factor departs
    from 1 by more than 1% at the centre, the ground size there).  Otherwise
    ``gsd`` (metres, by the STAC spec).

    Returns
    -------
    dict or None
        ``pixel_size_m`` (coarser axis), ``x_m``, ``y_m``, ``source``
        (``"proj:transform"`` or ``"gsd"``), ``crs``, ``gsd``; ``None`` when the
        item declares neither.
    """
    out: dict[str, Any] | None = None
    if item.transform is not None and item.crs is not None:
        out = _transform_resolution(item)
    if out is None and item.gsd is not None:
        out = {"x_m": item.gsd, "y_m": item.gsd, "source": "gsd", "crs": item.crs}
    if out is None:
        return None
    out["pixel_size_m"] = max(out["x_m"], out["y_m"])
    out["gsd"] = item.gsd
    return out


def _transform_resolution(item: StacItem) -> dict[str, Any] | None:
    """Pixel size from ``proj:transform`` + ``proj:shape`` + CRS, by the rules of the
    resolution check (:func:`geoverify.geo.grid.grid_resolution`)."""
    from affine import Affine
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    from geoverify.geo.grid import grid_resolution

    assert item.transform is not None
    try:
        crs = CRS.from_user_input(item.crs)
    except (CRSError, ValueError):
        return None
    transform = Affine(*item.transform[:6])
    rows, cols = item.shape if item.shape is not None else (1, 1)
    try:
        info = grid_resolution(transform, crs, int(cols), int(rows), source=item.self_href)
    except EvidenceError:
        return None
    return {**info, "source": "proj:transform", "crs": item.crs}


def metadata_period(items: Sequence[StacItem]) -> tuple[dt.datetime, dt.datetime, list[int]]:
    """The time span the items declare: first instant, last instant, years covered.

    An item covers ``start_datetime``–``end_datetime`` where given, else its
    ``datetime``.

    Raises
    ------
    EvidenceError
        When no item declares a time.
    """
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for item in items:
        start = item.start_datetime or item.datetime
        end = item.end_datetime or item.datetime or start
        if start is None or end is None:
            continue
        spans.append((_utc(start), _utc(end)))
    if not spans:
        raise EvidenceError(
            "no STAC item declares datetime or start_datetime/end_datetime",
            source=", ".join(i.id for i in items[:5]) or None,
            hint="Publish the items with their acquisition or product period.",
        )
    years: set[int] = set()
    for start, end in spans:
        years.update(range(start.year, end.year + 1))
    return min(s for s, _ in spans), max(e for _, e in spans), sorted(years)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def metadata_footprint(items: Sequence[StacItem]) -> shapely.geometry.base.BaseGeometry:
    """The union of the items' geometries (their bbox where the geometry is null), WGS 84.

    Raises
    ------
    EvidenceError
        When no item has a geometry or bbox.
    """
    import shapely
    from shapely.geometry import box, shape

    parts = []
    for item in items:
        if item.geometry:
            parts.append(shape(item.geometry))
        elif item.bbox:
            n = len(item.bbox) // 2
            parts.append(box(item.bbox[0], item.bbox[1], item.bbox[n], item.bbox[n + 1]))
    if not parts:
        raise EvidenceError(
            "no STAC item has a geometry or bbox",
            source=", ".join(i.id for i in items[:5]) or None,
            hint="Publish the items with their footprint.",
        )
    return shapely.union_all([shapely.make_valid(p) for p in parts])


def compare_metadata_to_data(
    item: StacItem, measured_pixel_size_m: float, *, rel_tol: float = _METADATA_TOLERANCE
) -> str | None:
    """A sentence when the item's declared pixel size disagrees with the one measured.

    Both ``gsd`` and ``proj:transform`` are held against the measurement (each
    where declared); they disagree when they differ by more than ``rel_tol``
    (5% by default) of the measured size.

    Returns
    -------
    str or None
        ``None`` when they agree, or when the item declares no pixel size.
    """
    if not (measured_pixel_size_m > 0 and math.isfinite(measured_pixel_size_m)):
        raise EvidenceError(f"measured pixel size must be positive, not {measured_pixel_size_m}")
    declared: list[tuple[str, float]] = []
    if item.gsd is not None:
        declared.append(("gsd", item.gsd))
    if item.transform is not None and item.crs is not None:
        info = _transform_resolution(item)
        if info is not None:
            declared.append(("proj:transform", max(info["x_m"], info["y_m"])))
    wrong = [
        f"{name} = {value:.4g} m"
        for name, value in declared
        if abs(value - measured_pixel_size_m) > rel_tol * measured_pixel_size_m
    ]
    if not wrong:
        return None
    return (
        f"STAC item {item.id!r} declares {' and '.join(wrong)} but asset {item.asset_key!r} "
        f"has {measured_pixel_size_m:.4g} m pixels: the catalogue metadata disagree with the data"
    )


# --------------------------------------------------------------------------- submission bridge


def prepare_stac(
    evidence: Evidence,
    *,
    key: str | None = "raster",
    many_key: str | None = "rasters",
    datetimes: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> Evidence:
    """Evidence with its ``stac`` table resolved into keys the checks read.

    Which keys a STAC search fills is the check kind's to say (its spec's
    ``stac_key``, ``stac_many_key`` and ``stac_datetimes``): evidence without
    ``stac`` is returned unchanged; otherwise the result keeps every key it had
    and adds ``stac_resolved`` (the :class:`StacEvidence`) and:

    - ``datetimes`` — each item's start (``start_datetime`` or ``datetime``),
      when ``datetimes`` is true, so the period check measures from metadata;
    - one matched item: ``key`` = the asset's href;
    - several items: ``many_key`` = every href, and one listed item per STAC
      item (``title`` = item id, ``key`` = href, ``stac_item``), so that a
      check that measures one file measures each and the run combines them.

    Checked when the indicator is evaluated (before any request), so the
    refusal is that indicator's ``error`` result: evidence that gives ``stac``
    together with a key the search fills (``key`` or ``many_key``, or
    ``datetimes`` for a period) is refused, naming both, rather than letting
    one silently override the other; and STAC items whose asset href is a local
    path inside the submission's folder are refused
    (:func:`refuse_local_hrefs`): the STAC item must point to the published data.

    Raises
    ------
    EvidenceError, EvidenceReadError
        As :func:`resolve_stac`; and for the two refusals above.
    """
    from geoverify.model.evidence import Evidence as EvidenceType

    spec = evidence.get("stac")
    if spec is None:
        return evidence
    filled = ["datetimes"] if datetimes else [k for k in (key, many_key) if k is not None]
    both = [k for k in filled if k in evidence.options]
    if both:
        raise EvidenceError(
            f"the evidence gives both `stac` and `{both[0]}`: the STAC search fills "
            f"`{both[0]}`, so the two would name different data and one would silently "
            "override the other",
            source=evidence.where,
            hint=f"Remove `{both[0]}` (the STAC items are then the evidence) or remove the "
            "`stac` table (the listed files are then the evidence).",
        )
    resolved = resolve_stac(spec, where=f"{evidence.where} (stac)", timeout=timeout)
    _check_hrefs(resolved, evidence.where)
    refuse_local_hrefs(resolved, evidence.base, where=evidence.where)
    options: dict[str, Any] = {"stac_resolved": resolved}
    items = evidence.items
    if datetimes:
        options["datetimes"] = [
            i.start_datetime or i.datetime
            for i in resolved.items
            if (i.start_datetime or i.datetime) is not None
        ]
    elif len(resolved.items) == 1 and key is not None:
        options[key] = resolved.items[0].href
    elif key is not None:
        if many_key is not None:
            options[many_key] = resolved.hrefs
        if not items:
            items = tuple(
                EvidenceType(
                    indicator=evidence.indicator,
                    base=evidence.base,
                    options={"title": i.id, key: i.href, "stac_item": i},
                    where=f"{evidence.where} (stac item {i.id})",
                    path_keys=evidence.path_keys,
                )
                for i in resolved.items
            )
    merged = {**options, **evidence.options}
    return replace(evidence, options=merged, items=items)


def refuse_local_hrefs(resolved: StacEvidence, base: str | os.PathLike[str], *, where: str) -> None:
    """Refuse STAC items whose asset href is a local path inside the submission folder ``base``.

    A STAC item is evidence because it names the published data; an asset
    pointing back into the submission (``file://``, an absolute or relative
    path resolving under ``base``, symbolic links followed) would make the
    submission's own file — the map as its own "reference", say — look like
    independently published data.

    Raises
    ------
    EvidenceError
        Naming the item, its href and the file it resolves to.
    """
    root = Path(os.path.realpath(base))
    for item in resolved.items:
        href = item.href
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", href):
            continue  # http(s), s3, … : published data
        path = Path(href) if Path(href).is_absolute() else root / href
        real = Path(os.path.realpath(path))
        if real == root or root in real.parents:
            raise EvidenceError(
                f"STAC item {item.id!r}: asset href {href!r} points back into the submission's "
                f"folder ({real.relative_to(root).as_posix() or '.'}); refused",
                source=f"{where} (stac)",
                hint="A STAC item must point to the published data (an http(s) or s3 URL), "
                "not to a file of the submission; give local files under their own keys instead.",
            )


def _check_hrefs(resolved: StacEvidence, where: str) -> None:
    """Inside a run, asset hrefs stay on the API's origin or on hosts the manifest names.

    Local hrefs (``file://``, absolute paths) are confined to the submission
    folder when they are opened (:func:`geoverify.io.confine.check_location`).
    """
    scope = current()
    if scope is None or scope.hosts is None:
        return
    allowed = {host_of(resolved.api), *scope.hosts}
    for item in resolved.items:
        href = item.href
        if href.startswith(("http://", "https://")) and host_of(href) not in allowed:
            raise EvidenceError(
                f"STAC item {item.id!r}: asset href {href!r} is on {host_of(href)}, neither the "
                "API's origin nor a host the manifest names; refused",
                source=f"{where} (stac)",
                hint="Name that host in the manifest (e.g. in the evidence's note) if the "
                "data really lie there.",
            )
