"""Countries and regions: ISO 3166-1 codes, region membership and admin-0 boundaries.

The tables ship with geoverify (``geoverify/data/``, see its README for sources,
licences and dates): country names and codes with their UN M49 regions, 1:110m
admin-0 polygons, and the GEO member and Belt and Road lists.  Nothing is
downloaded at run time.

Regions (contract of the catalogue's ``region`` params):

``any``
    every known country.
``africa_asia``
    UN M49 region Africa or Asia (M49 puts Cyprus and Türkiye in Western Asia and
    Russia in Eastern Europe).
``south_southeast_asia``
    UN M49 sub-regions Southern Asia (includes Iran) and South-eastern Asia.
``asia_oceania``
    UN M49 regions Asia and Oceania.
``geo_members``
    GEO member governments (``data/geo_members.txt``, dated in the file).
``belt_and_road``
    countries with a Belt and Road cooperation document (``data/belt_and_road.txt``).
``outside_china``
    every known country but China ("国外", "跨国").  Hong Kong (HKG), Macao (MAC) and
    Taiwan (TWN), which ISO 3166-1 codes separately, are treated *with* China: a city in
    them is not outside China (:data:`CHINA`).
``developing``
    the World Bank's low- and middle-income economies, FY2026 classification
    (``data/developing.txt``, dated and sourced in the file; check it against the
    official list before a decision depends on it).

Several regions at once (``region = ["asia_oceania", "geo_members", "developing"]`` in
the catalogue) mean their intersection: a country must belong to every one of them
(:func:`in_regions`, :func:`regions_members`).

References
----------
United Nations Statistics Division, *Standard country or area codes for
statistical use (M49)*.  ISO 3166-1:2020, *Codes for the representation of names
of countries and their subdivisions — Part 1: Country code*.
"""

from __future__ import annotations

import functools
import json
import os
import re
import unicodedata
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "BOUNDARY_FIELDS",
    "CHINA",
    "REGIONS",
    "countries_of_lonlat",
    "country_boundaries",
    "country_code",
    "country_name",
    "in_region",
    "in_regions",
    "load_region_list",
    "region_members",
    "regions_members",
]

#: Region names accepted by :func:`in_region`, with a one-line definition.
REGIONS: dict[str, str] = {
    "any": "every country",
    "africa_asia": "UN M49 Africa or Asia",
    "south_southeast_asia": "UN M49 Southern Asia or South-eastern Asia",
    "asia_oceania": "UN M49 Asia or Oceania",
    "geo_members": "GEO member governments (data/geo_members.txt)",
    "belt_and_road": "Belt and Road cooperation countries (data/belt_and_road.txt)",
    "outside_china": "every country but China; Hong Kong, Macao and Taiwan count with China",
    "developing": "World Bank low- and middle-income economies, FY2026 (data/developing.txt)",
}

#: The ISO 3166-1 codes that ``outside_china`` treats as China: China itself and Hong
#: Kong, Macao and Taiwan, which ISO 3166-1 codes separately but which the call, written
#: in China, does not count as foreign ("国外").
CHINA: frozenset[str] = frozenset({"CHN", "HKG", "MAC", "TWN"})

#: Field names searched (in this order, case-insensitively) for ISO 3166-1 alpha-3
#: codes in a user-supplied boundaries file.
BOUNDARY_FIELDS: tuple[str, ...] = (
    "iso3",
    "iso_a3",
    "iso_a3_eh",
    "adm0_a3",
    "gid_0",
    "shapegroup",
    "iso",
    "iso_3",
    "alpha3",
    "sov_a3",
)

#: Field names tried for country names when no ISO3 field is usable.
_NAME_FIELDS: tuple[str, ...] = ("name", "name_en", "admin", "country", "name_long", "shapename")

#: Names not among the bundled alternative spellings.
_ALIASES: dict[str, str] = {
    "lao pdr": "LAO",
    "burma": "MMR",
    "macedonia": "MKD",
    "micronesia": "FSM",
    "korea": "KOR",
    "republic of korea": "KOR",
    "dprk": "PRK",
    "kosovo": "XKX",
    "turkiye": "TUR",
    "vatican": "VAT",
    "holy see": "VAT",
    "russian federation": "RUS",
    "viet nam": "VNM",
    "drc": "COD",
    "uae": "ARE",
}

_ASIA_M49 = "Asia"


def _data_path(name: str) -> Path:
    return Path(str(resources.files("geoverify").joinpath("data", name)))


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[^\w ]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@functools.cache
def _table() -> dict[str, dict[str, Any]]:
    data = json.loads(_data_path("countries.json").read_text(encoding="utf-8"))
    table: dict[str, dict[str, Any]] = data["countries"]
    table.setdefault(
        "XKX",
        {
            "name": "Kosovo",
            "iso2": "XK",
            "numeric": "",
            "region": "Europe",
            "subregion": "Southern Europe",
            "alt_names": [],
            "capital_latlng": [],
        },
    )
    return table


@functools.cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for iso3, row in _table().items():
        for key in (iso3, row.get("iso2", ""), row.get("numeric", "")):
            if key:
                index.setdefault(_normalise(str(key)), iso3)
    for iso3, row in _table().items():
        for name in (row["name"], *row.get("alt_names", [])):
            index.setdefault(_normalise(name), iso3)
    for alias, iso3 in _ALIASES.items():
        index.setdefault(alias, iso3)
    return index


def country_code(name_or_code: str) -> str:
    """The ISO 3166-1 alpha-3 code of a country given by name or ISO code.

    Parameters
    ----------
    name_or_code : str
        An alpha-3 or alpha-2 code, a numeric code, or a name (English or a common
        spelling; case, accents and punctuation are ignored: ``"cote d'ivoire"``).

    Returns
    -------
    str
        The alpha-3 code, e.g. ``"KEN"``.

    Raises
    ------
    EvidenceError
        For an unknown name or code, with a hint.
    """
    if not isinstance(name_or_code, str) or not name_or_code.strip():
        raise EvidenceError(
            f"not a country: {name_or_code!r}",
            hint="Give the ISO 3166-1 alpha-3 code (e.g. KEN) or the English name.",
        )
    key = _normalise(name_or_code)
    found = _index().get(key)
    if found is None and key.startswith("the "):
        found = _index().get(key[4:])
    if found is None:
        raise EvidenceError(
            f"unknown country {name_or_code!r}",
            hint="Give the ISO 3166-1 alpha-3 code (e.g. KEN, THA, LAO) or the English short "
            "name; `python -c \"import geoverify.geo.regions as r; print(r.country_name('KEN'))\"` "
            "checks a code.",
        )
    return found


def country_name(iso3: str) -> str:
    """The English short name of ``iso3`` (the code itself when unknown)."""
    row = _table().get(iso3.upper())
    return str(row["name"]) if row else iso3


def load_region_list(path: str | os.PathLike[str]) -> frozenset[str]:
    """Read a region list: one ISO3 code (or country name) per line, ``#`` comments.

    Raises
    ------
    EvidenceError
        When a line names no known country.
    """
    codes = set()
    text = Path(path).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            codes.add(country_code(entry))
        except EvidenceError as exc:
            raise EvidenceError(exc.problem, source=f"{path}:{number}", hint=exc.hint) from None
    return frozenset(codes)


@functools.cache
def _list_members(name: str) -> frozenset[str]:
    return load_region_list(_data_path(name))


def region_members(region: str) -> frozenset[str]:
    """The ISO3 codes of ``region`` (see :data:`REGIONS`).

    Raises
    ------
    EvidenceError
        For an unknown region name.
    """
    table = _table()
    if region == "any":
        return frozenset(table)
    if region == "africa_asia":
        return frozenset(k for k, r in table.items() if r.get("region") in ("Africa", _ASIA_M49))
    if region == "south_southeast_asia":
        sub = ("Southern Asia", "South-eastern Asia")
        return frozenset(k for k, r in table.items() if r.get("subregion") in sub)
    if region == "asia_oceania":
        return frozenset(k for k, r in table.items() if r.get("region") in (_ASIA_M49, "Oceania"))
    if region == "geo_members":
        return _list_members("geo_members.txt")
    if region == "belt_and_road":
        return _list_members("belt_and_road.txt")
    if region == "outside_china":
        return frozenset(table) - CHINA
    if region == "developing":
        return _list_members("developing.txt")
    raise EvidenceError(
        f"unknown region {region!r}",
        hint=f"Use one of: {', '.join(REGIONS)}.",
    )


def in_region(iso3: str, region: str) -> bool:
    """True when the country ``iso3`` belongs to ``region``.

    Parameters
    ----------
    iso3 : str
        ISO 3166-1 alpha-3 code (a name or alpha-2 code is converted first).
    region : str
        One of :data:`REGIONS`.

    Raises
    ------
    EvidenceError
        For an unknown region or country.
    """
    members = region_members(region)
    return country_code(iso3) in members


def regions_members(regions: str | Sequence[str] | None) -> frozenset[str]:
    """The ISO3 codes in *every* one of ``regions`` (their intersection).

    ``None`` or ``"any"`` is every known country; a single name is
    :func:`region_members`.

    Raises
    ------
    EvidenceError
        For an unknown region name.
    """
    names = [regions] if regions is None or isinstance(regions, str) else list(regions)
    members = region_members("any")
    for name in names:
        if name not in (None, "any"):
            members = members & region_members(name)
    return members


def in_regions(iso3: str, regions: str | Sequence[str] | None) -> bool:
    """True when the country ``iso3`` belongs to every one of ``regions``."""
    return country_code(iso3) in regions_members(regions)


@functools.cache
def _bundled_boundaries() -> gpd.GeoDataFrame:
    import geopandas as gpd

    frame = gpd.read_file(_data_path("country_boundaries.geojson"))
    frame = frame.set_crs("EPSG:4326", allow_override=True)
    return frame[["iso3", "name", "approx", "origin", "geometry"]]


def country_boundaries(
    frame: gpd.GeoDataFrame | None = None,
    *,
    field: str | None = None,
    source: str = "boundaries",
) -> gpd.GeoDataFrame:
    """Admin-0 country boundaries as a GeoDataFrame (``iso3``, ``name``, ``approx``, geometry).

    Parameters
    ----------
    frame : GeoDataFrame, optional
        User boundaries, as read from the submission (``geoverify.io.vector.read_vector``).
        Without it, the bundled 1:110m boundaries (see ``geoverify/data/README.md``).
    field : str, optional
        The field holding ISO3 codes (or names) in ``frame``; by default the first of
        :data:`BOUNDARY_FIELDS`, then a name field, that gives known countries.

    Returns
    -------
    GeoDataFrame
        In EPSG:4326, one row per country (parts dissolved).  ``approx`` marks
        countries that the bundled data represent by a 0.1° disc at the capital.

    Raises
    ------
    EvidenceError
        When no field of ``frame`` holds country codes or names.
    """
    if frame is None:
        return _bundled_boundaries().copy()
    if frame.crs is None:
        raise EvidenceError(
            "the boundaries file has no CRS",
            source=source,
            hint="Save the boundaries with their CRS (e.g. EPSG:4326).",
        )
    columns = {c.lower(): c for c in frame.columns if c != frame.geometry.name}
    candidates = (
        [field] if field else [c for c in (*BOUNDARY_FIELDS, *_NAME_FIELDS) if c in columns]
    )
    if field and field not in frame.columns and field.lower() not in columns:
        raise EvidenceError(
            f"the boundaries file has no field {field!r}",
            source=source,
            hint=f"Fields: {', '.join(columns.values())}.",
        )
    for candidate in candidates:
        column = frame[columns.get(candidate.lower(), candidate)]
        codes = [_try_code(v) for v in column]
        known = sum(c is not None for c in codes)
        if known and known >= 0.5 * len(codes):
            out = frame.assign(iso3=codes)
            out = out[out["iso3"].notna()].to_crs("EPSG:4326")
            out = out.dissolve(by="iso3", as_index=False)[["iso3", "geometry"]]
            out["name"] = [country_name(c) for c in out["iso3"]]
            out["approx"] = False
            out["origin"] = source
            return out[["iso3", "name", "approx", "origin", "geometry"]]
    raise EvidenceError(
        "no field of the boundaries file holds ISO 3166-1 alpha-3 codes or country names",
        source=source,
        hint="Name the field iso3 (or ISO_A3, ADM0_A3, GID_0) with codes like KEN, "
        "or give `field=`.",
    )


def _try_code(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or value.strip() in ("-99", "-1"):
        return None
    try:
        return country_code(value)
    except EvidenceError:
        return None


def countries_of_points(points: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame) -> dict[str, Any]:
    """Assign points to countries (inside, else nearest within :data:`NEAREST_DEG`).

    Returns
    -------
    dict
        ``points`` (ISO3 -> number of points), ``unassigned`` (count), ``nearest`` (count
        assigned by distance).
    """
    import geopandas as gpd

    if points.crs is None:
        raise EvidenceError(
            "the points have no CRS",
            hint="Save the sites with their CRS, or as CSV with lon/lat columns (WGS 84).",
        )
    pts = points.to_crs("EPSG:4326")
    pts = pts[pts.geometry.notna() & ~pts.geometry.is_empty]
    pts = gpd.GeoDataFrame(geometry=pts.geometry.representative_point().values, crs="EPSG:4326")
    pts["pid"] = range(len(pts))
    bounds = ordered_boundaries(boundaries)[["iso3", "approx", "geometry"]]
    joined = gpd.sjoin(pts, bounds, how="left", predicate="within")
    joined = joined.sort_values(["pid", "approx"], ascending=[True, False], na_position="last")
    first = joined.drop_duplicates("pid")
    assigned = dict(zip(first["pid"], first["iso3"], strict=True))
    missing = [p for p, c in assigned.items() if not isinstance(c, str)]
    nearest = 0
    if missing:
        import warnings

        lost = pts[pts["pid"].isin(missing)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # geographic CRS distance
            near = gpd.sjoin_nearest(lost, bounds, how="left", max_distance=NEAREST_DEG)
        for pid, iso3 in zip(near["pid"], near["iso3"], strict=True):
            if isinstance(iso3, str) and not isinstance(assigned.get(pid), str):
                assigned[pid] = iso3
                nearest += 1
    out: dict[str, int] = {}
    for iso3 in assigned.values():
        if isinstance(iso3, str):
            out[iso3] = out.get(iso3, 0) + 1
    unassigned = sum(1 for c in assigned.values() if not isinstance(c, str))
    return {"points": out, "unassigned": unassigned, "nearest": nearest}



def country_of_point(
    lon: float, lat: float, boundaries: gpd.GeoDataFrame | None = None
) -> str | None:
    """ISO3 code of the country at ``lon, lat`` (WGS 84), as :func:`countries_of_points` rules."""
    import geopandas as gpd
    from shapely.geometry import Point

    bounds = boundaries if boundaries is not None else country_boundaries(None)
    point = gpd.GeoDataFrame(geometry=[Point(float(lon), float(lat))], crs="EPSG:4326")
    found = list(countries_of_points(point, bounds)["points"])
    return found[0] if found else None


def ordered_boundaries(bounds: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Polygons first, capital discs last (so the discs win where both apply)."""
    return bounds.sort_values("approx", kind="stable").reset_index(drop=True)


#: Farthest distance (degrees) at which a point outside every country is given
#: to the nearest one.
NEAREST_DEG = 0.25


def countries_of_lonlat(
    lon: Any, lat: Any, boundaries: gpd.GeoDataFrame
) -> tuple[Any, list[str]]:
    """Country of each point (WGS 84 longitude/latitude), by point-in-polygon.

    Longitudes are wrapped to [−180°, 180°) first, so 0–360° grids and points
    east of the antimeridian (lon > 180°) land in the right country; points with
    a non-finite coordinate belong to none.  Countries bundled as a capital disc
    (``approx``) win where they overlap a polygon, as in
    :func:`countries_of_points`.

    Parameters
    ----------
    lon, lat : array_like
        Coordinates in degrees (same shape).
    boundaries : GeoDataFrame
        From :func:`country_boundaries` (EPSG:4326).

    Returns
    -------
    (ndarray, list of str)
        ``index`` (int32, same shape: 0 for no country, else ``k + 1`` for
        ``iso3[k]``) and ``iso3``, the codes of the boundaries' rows.
    """
    import numpy as np
    import shapely

    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    x = np.where(np.isfinite(x), (x + 180.0) % 360.0 - 180.0, np.nan)
    flat_x, flat_y = x.ravel(), y.ravel()
    ok = np.isfinite(flat_x) & np.isfinite(flat_y)
    index = np.zeros(flat_x.shape, dtype="int32")
    ordered = ordered_boundaries(boundaries)
    for k, geom in enumerate(ordered.geometry):
        if geom is None or geom.is_empty:
            continue
        west, south, east, north = geom.bounds
        sel = np.nonzero(
            ok & (flat_x >= west) & (flat_x <= east) & (flat_y >= south) & (flat_y <= north)
        )[0]
        if sel.size == 0:
            continue
        shapely.prepare(geom)
        inside = shapely.contains_xy(geom, flat_x[sel], flat_y[sel])
        index[sel[inside]] = k + 1
    return index.reshape(x.shape), [str(c) for c in ordered["iso3"]]
