"""Read vector evidence: samples and polygons (OGR formats, GeoParquet, CSV of lon/lat)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io._common import check_local, first_line
from geoverify.io.confine import check_location
from geoverify.io.formats import suffix

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["read_vector", "validate_vector"]


def read_vector(location: str | os.PathLike[str], **kwargs: Any) -> gpd.GeoDataFrame:
    """Read a vector file (GeoPackage, GeoJSON, Shapefile, GeoParquet, FlatGeobuf) read-only.

    CSV files with lon/lat columns are read too: the columns named ``lon``/``lat``,
    ``longitude``/``latitude`` or ``x``/``y`` become WGS 84 points.
    """
    import geopandas as gpd
    import pandas as pd

    text = os.fspath(location)
    check_location(text)  # confinement, special files, OGR VRT sources
    check_local(text)
    kind = suffix(text)
    try:
        if kind in (".parquet", ".geoparquet"):
            return validate_vector(gpd.read_parquet(text, **kwargs), text)
        if kind in (".csv", ".txt"):
            frame = pd.read_csv(text)
            lon, lat = _lonlat_columns(frame, text)
            geometry = gpd.points_from_xy(frame[lon], frame[lat], crs="EPSG:4326")
            return validate_vector(gpd.GeoDataFrame(frame, geometry=geometry), text)
        return validate_vector(gpd.read_file(text, **kwargs), text)
    except EvidenceError:
        raise
    except Exception as exc:  # pyogrio/fiona/pyarrow raise many unrelated types
        raise EvidenceReadError(
            f"cannot be read as a vector file ({first_line(exc)})",
            source=text,
            hint="Deliver GeoPackage, GeoJSON, Shapefile, GeoParquet or CSV with lon/lat columns.",
        ) from None


def _lonlat_columns(frame: Any, source: str) -> tuple[str, str]:
    lower = {c.lower(): c for c in frame.columns}
    for lon, lat in (("lon", "lat"), ("longitude", "latitude"), ("lng", "lat"), ("x", "y")):
        if lon in lower and lat in lower:
            return lower[lon], lower[lat]
    raise EvidenceError(
        f"no coordinate columns among {list(frame.columns)}",
        source=source,
        hint="Name the columns lon/lat (WGS 84 degrees) or deliver a GeoPackage.",
    )


#: Geometry types that may share a file (a polygon layer may hold multipolygons).
_FAMILIES = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "LinearRing": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}


def validate_vector(frame: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Refuse vector evidence that would otherwise be used silently and wrongly.

    - no features at all (an empty GeoPackage layer, a CSV with a header only);
    - geometry types of different kinds mixed (points with polygons) or
      geometry collections: which features count would be a guess;
    - coordinates outside -180…360 / -90…90 in a geographic CRS (swapped or
      projected coordinates labelled as degrees);
    - invalid polygons (self-intersections, ...): areas and overlaps computed on
      them are wrong.  The message names the first one and the reason (GEOS).

    Raises
    ------
    EvidenceError
        Naming the file, the feature and the fix.
    """
    if len(frame) == 0 or frame.geometry.isna().all():
        raise EvidenceError(
            "has no features" if len(frame) == 0 else "has no feature with a geometry",
            source=source,
            hint="Deliver the points or polygons (is this the right layer or file?).",
        )
    kinds = sorted(set(frame.geometry.geom_type.dropna()))
    families = {_FAMILIES.get(k, k) for k in kinds}
    if len(families) > 1 or "GeometryCollection" in kinds:
        raise EvidenceError(
            f"mixes geometry types ({', '.join(kinds)}); which features to use is ambiguous",
            source=source,
            hint="Deliver one kind of geometry per file (points or polygons).",
        )
    crs = frame.crs
    if crs is None or crs.is_geographic:
        minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
        if minx < -180 or maxx > 360 or miny < -90 or maxy > 90:
            bounds = frame.geometry.bounds
            bad = (
                (bounds.minx < -180)
                | (bounds.maxx > 360)
                | (bounds.miny < -90)
                | (bounds.maxy > 90)
            )
            first = int(bad.to_numpy().nonzero()[0][0])
            raise EvidenceError(
                f"{int(bad.sum())} of {len(frame)} features have coordinates outside "
                f"longitude -180…360 / latitude -90…90 (first: feature {first + 1}, "
                f"bounds {[round(v, 6) for v in bounds.iloc[first]]})"
                + ("; the file declares no CRS" if crs is None else ""),
                source=source,
                hint="Check for swapped lon/lat or projected coordinates; declare the CRS.",
            )
    if "polygon" in families:
        valid = frame.geometry.is_valid | frame.geometry.isna()
        if not bool(valid.all()):
            from shapely.validation import explain_validity

            first = int((~valid).to_numpy().nonzero()[0][0])
            reason = explain_validity(frame.geometry.iloc[first])
            raise EvidenceError(
                f"{int((~valid).sum())} of {len(frame)} polygons are invalid (first: feature "
                f"{first + 1}: {reason}); areas computed on them would be wrong",
                source=source,
                hint="Repair them (e.g. `ogr2ogr -makevalid out.gpkg in.gpkg`) and deliver "
                "the repaired file.",
            )
    return frame
