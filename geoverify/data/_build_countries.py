"""Regenerate the bundled country tables from the ``countryinfo`` package (maintainers only).

Run from the repository root with ``countryinfo`` installed, giving the
Natural Earth 1:110m admin-0 shapefile of the ``geopandas==0.14.4`` wheel
(``pip download geopandas==0.14.4 --no-deps``, then unzip; path
``geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp``)::

    python geoverify/data/_build_countries.py PATH/TO/naturalearth_lowres.shp

countryinfo 1.0.1 has no polygon for a few countries (Hungary, Myanmar, Serbia,
Montenegro, Jamaica); those are taken from Natural Earth (public domain).

It writes ``countries.json`` (ISO codes, names, UN M49 regions, capitals) and
``country_boundaries.geojson`` (admin-0 polygons) beside this file.  geoverify
itself never imports ``countryinfo``: the tables are part of the package, so
results do not change with the version of a third-party package.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from shapely import make_valid
from shapely.geometry import Point, mapping, shape
from shapely.ops import unary_union

HERE = Path(__file__).resolve().parent

#: Radius (degrees) of the disc standing in for a country without a polygon.
DISC_DEG = 0.1


def _rounded(obj: object, digits: int = 4) -> object:
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, list | tuple):
        return [_rounded(v, digits) for v in obj]
    if isinstance(obj, dict):
        return {k: _rounded(v, digits) for k, v in obj.items()}
    return obj


#: Countries given a disc although their capital falls inside a neighbour's generalised
#: polygon (the 1:110m Malaysia covers Singapore, China covers Hong Kong and Macao); the
#: disc takes precedence over the polygon when points and cells are assigned.
FORCE_DISC = frozenset({"SGP", "HKG", "MAC"})

#: Obsolete codes in countryinfo (Netherlands Antilles, Serbia and Montenegro): left out.
OBSOLETE = frozenset({"ANT", "SCG"})


def main(natural_earth: str) -> None:
    import countryinfo
    import geopandas as gpd

    data_dir = Path(countryinfo.__file__).parent / "data"
    version = metadata.version("countryinfo")
    table: dict[str, dict[str, object]] = {}
    polygons: dict[str, object] = {}
    for path in sorted(data_dir.glob("*.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        iso = d.get("ISO") or {}
        iso3 = iso.get("alpha3")
        if not iso3 or len(iso3) != 3 or iso3 in OBSOLETE:
            continue
        latlng = d.get("capital_latlng") or d.get("latlng") or []
        if latlng and isinstance(latlng[0], list):  # several capitals: the first
            latlng = latlng[0]
        table[iso3] = {
            "name": d.get("name", ""),
            "iso2": iso.get("alpha2", ""),
            "numeric": iso.get("numeric", ""),
            "region": d.get("region", ""),
            "subregion": d.get("subregion", ""),
            "intermediate_region": d.get("intermediateregion", ""),
            "alt_names": sorted({s for s in d.get("altSpellings", []) if isinstance(s, str)}),
            "capital": d.get("capital", ""),
            "capital_latlng": latlng[:2] if len(latlng) >= 2 else [],
        }
        features = (d.get("geoJSON") or {}).get("features") or []
        if features:
            polygons[iso3] = unary_union([make_valid(shape(f["geometry"])) for f in features])
    patched = []
    ne = gpd.read_file(natural_earth)
    for _, row in ne.iterrows():
        iso3 = row["iso_a3"]
        if iso3 in table and iso3 not in polygons:
            polygons[iso3] = make_valid(row.geometry)
            patched.append(iso3)
    features_out = []
    for iso3, geom in sorted(polygons.items()):
        origin = "naturalearth_110m" if iso3 in patched else "countryinfo"
        features_out.append(
            {
                "type": "Feature",
                "properties": {
                    "iso3": iso3,
                    "name": table[iso3]["name"],
                    "approx": False,
                    "origin": origin,
                },
                "geometry": _rounded(mapping(geom)),
            }
        )
    # countries without a polygon (micro-states, small islands): a small disc at the
    # capital, unless the capital falls inside another country's polygon
    union = unary_union(list(polygons.values()))
    for iso3, row in sorted(table.items()):
        latlng = list(row["capital_latlng"])  # type: ignore[call-overload]
        if iso3 in polygons or len(latlng) != 2:
            continue
        point = Point(float(latlng[1]), float(latlng[0]))
        if union.contains(point) and iso3 not in FORCE_DISC:
            continue
        features_out.append(
            {
                "type": "Feature",
                "properties": {
                    "iso3": iso3,
                    "name": row["name"],
                    "approx": True,
                    "origin": "capital_disc",
                },
                "geometry": _rounded(mapping(point.buffer(DISC_DEG, 8))),
            }
        )
    meta = {
        "source": f"countryinfo {version} (PyPI, MIT)",
        "patched_from_natural_earth_110m": sorted(patched),
        "disc_deg": DISC_DEG,
    }
    (HERE / "countries.json").write_text(
        json.dumps({"meta": meta, "countries": table}, ensure_ascii=False, indent=0) + "\n",
        encoding="utf-8",
    )
    (HERE / "country_boundaries.geojson").write_text(
        json.dumps(
            {"type": "FeatureCollection", "meta": meta, "features": features_out},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1])
