"""Many files as one map: tiles listed, globbed, in a VRT or as STAC items.

A deliverable made of tiles (global 10 m maps as thousands of COGs in several
UTM zones) is one map.  :func:`expand_tiles` turns the evidence's ``rasters``
(a list, or a glob such as ``"tiles/*.tif"`` confined to the submission's
folder) into the tiles; a VRT is one raster GDAL already mosaics; STAC items
arrive as a list of assets.  :func:`open_tiles` reads each tile's own grid
(CRS, transform, size), and :func:`tile_class_counts` tallies the classes of
all tiles together, tiles scanned in parallel, with this **overlap rule**:

    a ground point is counted in the first tile, in the sorted order of the
    tiles' paths, whose grid extent contains it; a pixel of a later tile whose
    centre falls inside the extent of an earlier tile is not counted again.

Pixel centres are transformed to the earlier tile's CRS with PROJ, so tiles in
different UTM zones are handled as well as tiles on one grid (where the rule is
exact to the pixel).  Tiles that touch no earlier tile are tallied without any
test (the common case of a partition).

:func:`raster_locations` is the one way the checks (area, pixel size, classes,
countries) read the evidence's ``raster`` and ``rasters``: globs expanded and
confined to the submission's folder, and every file counted once
(:data:`DUPLICATE_RULE`): the same tile listed twice, or under two names or
symbolic links, is one tile.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError
from geoverify.io.masks import valid_mask
from geoverify.io.raster import georeference, open_raster
from geoverify.model.evidence import Evidence, is_remote

__all__ = [
    "DUPLICATE_RULE",
    "OVERLAP_RULE",
    "RasterLocations",
    "Tile",
    "earlier_cover",
    "expand_tiles",
    "first_tile_of_points",
    "open_tiles",
    "overlapping_earlier",
    "raster_locations",
    "tile_class_areas_ha",
    "tile_class_counts",
    "touches",
]

#: The overlap rule, as results state it.
OVERLAP_RULE = (
    "a ground point is counted once, in the first tile (sorted by path) whose grid extent "
    "contains it; pixels of later tiles whose centre lies in an earlier tile's extent are "
    "not counted again (centres transformed between CRSs with PROJ)"
)

#: How files listed more than once are counted, as results state it.
DUPLICATE_RULE = (
    "each file counts once: the same file listed twice (under `raster` and `rasters`, twice "
    "in `rasters`, matched by two globs, or under two names or symbolic links resolving to "
    "the same real path; URLs compared as written) is one file"
)

_GLOB_CHARS = ("*", "?", "[")


@dataclass(frozen=True)
class RasterLocations:
    """The files of ``raster`` and ``rasters``, each once, and the listings dropped as repeats."""

    #: Resolved paths (real paths) and URLs, in the order listed (``raster`` first).
    paths: list[str]
    #: Each repeated listing as shown in the manifest, with the file it repeats.
    repeats: list[dict[str, str]]

    def details(self) -> dict[str, Any]:
        """What a result reports about repeats (empty when there were none)."""
        if not self.repeats:
            return {}
        return {"repeated_listings": self.repeats, "duplicate_rule": DUPLICATE_RULE}

    def note(self) -> str:
        """A sentence for a result's message (empty when there were no repeats)."""
        if not self.repeats:
            return ""
        return (
            f"{len(self.repeats)} repeated listing(s) of the same file counted once "
            f"({', '.join(r['listed'] for r in self.repeats[:5])})"
        )


def raster_locations(
    evidence: Evidence, *, keys: Sequence[str] = ("raster", "rasters"), hint: str | None = None
) -> RasterLocations:
    """The files the evidence names under ``raster`` and ``rasters``, each once.

    ``raster`` is one path or URL; ``rasters`` a list of paths, URLs and globs
    (:func:`expand_tiles`, confined to the submission's folder).  Local files
    are identified by their real path (symbolic links and ``./`` resolved), so
    a file listed twice, or under two names, is kept once in its first position
    (:data:`DUPLICATE_RULE`).

    Raises
    ------
    EvidenceError
        When none of ``keys`` names a file (``hint`` says what to add), or a glob
        matches nothing or leaves the folder.
    """
    listed: list[tuple[str, str]] = []  # (as shown, resolved)
    for key in keys:
        if key not in evidence:
            continue
        value = evidence.get(key)
        shown = [value] if isinstance(value, str) else [str(v) for v in value or []]
        resolved = evidence.locations(key)
        for text, location in zip(shown, resolved, strict=True):
            matches = expand_tiles([location], evidence.base)
            listed.extend((text if len(matches) == 1 else evidence.display(m), m) for m in matches)
    if not listed:
        raise EvidenceError(
            "no raster to measure",
            source=evidence.where,
            hint=hint
            or f'Add `raster = "map.tif"` or `rasters = ["tile_1.tif", …]` to the evidence of '
            f"{evidence.indicator}.",
        )
    seen: dict[str, str] = {}
    paths: list[str] = []
    repeats: list[dict[str, str]] = []
    for text, location in listed:
        key = location if is_remote(location) else os.path.realpath(location)
        if key in seen:
            repeats.append({"listed": text, "same_file_as": seen[key]})
            continue
        seen[key] = text
        paths.append(location if is_remote(location) else key)
    return RasterLocations(paths, repeats)


@dataclass(frozen=True)
class Tile:
    """One tile's grid."""

    location: str
    crs: Any
    transform: Any
    width: int
    height: int
    nodata: float | None
    bounds_lonlat: tuple[float, float, float, float]


def expand_tiles(locations: Sequence[str], base: str | os.PathLike[str] | None = None) -> list[str]:
    """The tiles named by ``locations``: paths, URLs and globs (expanded, sorted, deduplicated).

    A glob is confined to ``base`` (the submission's folder): matches outside it
    (through ``..`` or symbolic links) are refused.  Local paths come back as
    real paths (symbolic links resolved), so that a file matched under two names
    is one tile.

    Raises
    ------
    EvidenceError
        A glob matching nothing, or a match outside ``base``.
    """
    out: list[str] = []
    root = Path(base).resolve() if base is not None else None
    for location in locations:
        if is_remote(location) or not any(c in location for c in _GLOB_CHARS):
            out.append(location)
            continue
        matches = sorted(glob.glob(location, recursive=True))
        if not matches:
            raise EvidenceError(
                f"the pattern {location!r} matches no file",
                source=location,
                hint="Check the pattern (relative to the submission's folder, e.g. "
                '"tiles/*.tif").',
            )
        for match in matches:
            if root is not None and not Path(match).resolve().is_relative_to(root):
                raise EvidenceError(
                    f"the pattern {location!r} matches {match}, outside the submission's folder",
                    source=location,
                    hint="Keep the tiles inside the submission's folder.",
                )
            out.append(os.path.realpath(match))
    return list(dict.fromkeys(out))


def open_tiles(locations: Sequence[str]) -> list[Tile]:
    """The grid of each tile, in order.

    Raises
    ------
    EvidenceError
        A tile without CRS (tiles in different CRSs need theirs).  A NetCDF
        whose CRS GDAL misses but its attributes state gets it from
        :func:`geoverify.io.raster.georeference`, as in the area check.
    """
    from rasterio.transform import array_bounds
    from rasterio.warp import transform_bounds

    tiles = []
    for location in locations:
        with open_raster(location) as ds:
            crs, transform, _, _ = georeference(ds, location)
            if crs is None:
                raise EvidenceError(
                    "a tile has no CRS: tiles cannot be combined into one map",
                    source=location,
                    hint="Write the CRS into every tile (gdal_edit.py -a_srs EPSG:…).",
                )
            west, south, east, north = array_bounds(ds.height, ds.width, transform)
            try:
                box = transform_bounds(crs, "EPSG:4326", west, south, east, north, densify_pts=21)
            except Exception:  # PROJ cannot transform the bounds: assume anywhere
                box = (-180.0, -90.0, 180.0, 90.0)
            tiles.append(Tile(location, crs, transform, ds.width, ds.height, ds.nodata, tuple(box)))
    return tiles


def touches(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Lon/lat boxes that may intersect (a box crossing the antimeridian is taken as global)."""
    if a[0] > a[2] or b[0] > b[2]:
        return a[1] <= b[3] and b[1] <= a[3]
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def earlier_cover(
    tile: Tile, earlier: Sequence[Tile], row_off: int, col_off: int, height: int, width: int
) -> np.ndarray:
    """True for the pixels of a window of ``tile`` whose centre lies in an earlier tile's extent."""
    from pyproj import Transformer

    covered = np.zeros((height, width), bool)
    if not earlier:
        return covered
    t = tile.transform
    if t.b == 0 and t.d == 0 and all(
        o.crs == tile.crs and o.transform.b == 0 and o.transform.d == 0 for o in earlier
    ):
        # north-up grids in one CRS: x depends on the column only, y on the row only, so the
        # cover is decided per row and per column (the same centres, the same arithmetic)
        x = t.a * (np.arange(col_off, col_off + width) + 0.5) + t.c
        y = t.e * (np.arange(row_off, row_off + height) + 0.5) + t.f
        for other in earlier:
            inv = ~other.transform
            col = inv.a * x + inv.c
            row = inv.e * y + inv.f
            in_cols = (col >= 0) & (col < other.width)
            in_rows = (row >= 0) & (row < other.height)
            covered |= in_rows[:, None] & in_cols[None, :]
        return covered
    rows, cols = np.mgrid[row_off : row_off + height, col_off : col_off + width]
    xs, ys = tile.transform * (cols + 0.5, rows + 0.5)
    for other in earlier:
        if other.crs == tile.crs:
            x, y = np.asarray(xs), np.asarray(ys)
        else:
            to_other = Transformer.from_crs(tile.crs, other.crs, always_xy=True)
            x, y = to_other.transform(xs, ys, errcheck=False)
        col, row = ~other.transform * (np.asarray(x), np.asarray(y))
        col, row = np.asarray(col), np.asarray(row)
        covered |= (col >= 0) & (col < other.width) & (row >= 0) & (row < other.height)
    return covered


def overlapping_earlier(tiles: Sequence[Tile]) -> list[list[Tile]]:
    """For each tile, the earlier tiles whose lon/lat box meets its own."""
    return [
        [o for o in tiles[:k] if touches(o.bounds_lonlat, t.bounds_lonlat)]
        for k, t in enumerate(tiles)
    ]


def tile_class_counts(
    locations: Sequence[str],
    *,
    band: int = 1,
    nodata: float | None = None,
    workers: int = 2,
    count_one: Callable[[str], dict[Any, int]],
    max_values: int | None = None,
) -> tuple[dict[Any, int], dict[str, Any]]:
    """Pixel count of every class value over all tiles, overlaps counted once.

    Parameters
    ----------
    locations : sequence of str
        The tiles (see :func:`expand_tiles`), in the order of the overlap rule.
    count_one : callable
        Tallies one tile that overlaps no earlier one (``class_counts`` of
        :mod:`geoverify.stats.tallies`, with its refusals of continuous data).
    workers : int
        Tiles scanned at the same time.

    Returns
    -------
    (dict, dict)
        The combined counts, and details: tiles, tiles with overlaps, pixels
        left out as already counted, and :data:`OVERLAP_RULE`.
    """
    tiles = open_tiles(sorted(locations))
    earlier_of = overlapping_earlier(tiles)

    def one(k: int) -> tuple[dict[Any, int], int]:
        tile, earlier = tiles[k], earlier_of[k]
        if not earlier:
            return count_one(tile.location), 0
        return _masked_counts(tile, earlier, band, nodata, max_values)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(one, range(len(tiles))))
    total: dict[Any, int] = {}
    dropped = 0
    for counts, left_out in results:
        dropped += left_out
        for value, n in counts.items():
            total[value] = total.get(value, 0) + int(n)
    details = {
        "tiles": len(tiles),
        "tiles_overlapping_earlier": sum(1 for e in earlier_of if e),
        "pixels_counted_in_an_earlier_tile": dropped,
        "crs": sorted({str(t.crs) for t in tiles}),
        "overlap_rule": OVERLAP_RULE,
    }
    return total, details


def _masked_counts(
    tile: Tile, earlier: Sequence[Tile], band: int, nodata: float | None, max_values: int | None
) -> tuple[dict[Any, int], int]:
    from rasterio.windows import Window

    counts: dict[Any, int] = {}
    dropped = 0
    fill = tile.nodata if nodata is None else nodata
    rows = max(1, (1 << 22) // max(1, tile.width))
    with open_raster(tile.location) as ds:
        for r0 in range(0, tile.height, rows):
            h = min(rows, tile.height - r0)
            data = ds.read(band, window=Window(0, r0, tile.width, h))
            valid = valid_mask(data, fill)
            seen = earlier_cover(tile, earlier, r0, 0, h, tile.width)
            dropped += int((valid & seen).sum())
            values, n = np.unique(data[valid & ~seen], return_counts=True)
            for value, c in zip(values.tolist(), n.tolist(), strict=True):
                counts[value] = counts.get(value, 0) + int(c)
            if max_values is not None and len(counts) > max_values:
                raise EvidenceError(
                    f"the tiles hold more than {max_values} distinct values: a continuous "
                    "field, not a classified map",
                    source=tile.location,
                    hint="Deliver the classified map (integer class codes, one per class).",
                )
    return counts, dropped


def first_tile_of_points(tiles: Sequence[Tile], xs: Any, ys: Any, crs: Any) -> np.ndarray:
    """Index of the first tile (in the order given) whose grid holds each point; ``-1``: none.

    The points (``xs``, ``ys`` in ``crs``) are transformed to each tile's CRS with
    PROJ and held against the tile's grid as a sample is read (column and row in
    ``[0, width)`` and ``[0, height)``): the :data:`OVERLAP_RULE` applied to
    points, so a point in the overlap of two tiles belongs to the first by path.
    On a geographic tile a longitude is also tried ±360° (a 0–360° grid).
    Missing points (NaN) belong to no tile.
    """
    from pyproj import Transformer

    x0 = np.asarray(xs, dtype=float)
    y0 = np.asarray(ys, dtype=float)
    out = np.full(x0.shape, -1, dtype=np.int64)
    for k, tile in enumerate(tiles):
        todo = np.flatnonzero((out < 0) & np.isfinite(x0) & np.isfinite(y0))
        if not todo.size:
            break
        if crs is None or tile.crs == crs:
            x, y = x0[todo], y0[todo]
        else:
            to_tile = Transformer.from_crs(crs, tile.crs, always_xy=True)
            tx, ty = to_tile.transform(x0[todo], y0[todo], errcheck=False)
            x, y = np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)
        hit = np.zeros(todo.shape, dtype=bool)
        shifts = (0.0, 360.0, -360.0) if getattr(tile.crs, "is_geographic", False) else (0.0,)
        for shift in shifts:
            col, row = ~tile.transform * (x + shift, y)
            col, row = np.asarray(col, dtype=float), np.asarray(row, dtype=float)
            hit |= (
                np.isfinite(col)
                & np.isfinite(row)
                & (col >= 0)
                & (col < tile.width)
                & (row >= 0)
                & (row < tile.height)
            )
        out[todo[hit]] = k
    return out


def tile_class_areas_ha(
    locations: Sequence[str], *, band: int = 1, workers: int = 2
) -> tuple[dict[Any, float], dict[str, Any]]:
    """Ground area (ha) of every class value over all tiles, overlaps counted once.

    Each valid pixel (:func:`geoverify.io.masks.valid_mask`) is weighted by its
    true ground area (:class:`geoverify.geo.cellarea.CellAreas` of its own tile,
    in its own CRS), and a pixel whose centre lies in an earlier tile's extent is
    left out (:data:`OVERLAP_RULE`), as :func:`tile_class_counts` counts pixels.

    Returns
    -------
    (dict, dict)
        Value -> area in hectares, and details: ``valid_pixels`` (pixels counted),
        ``area_ha`` (their total) and ``pixels_counted_in_an_earlier_tile``.
    """
    from rasterio.windows import Window

    from geoverify.geo.cellarea import CellAreas

    tiles = open_tiles(sorted(locations))
    earlier_of = overlapping_earlier(tiles)

    def one(k: int) -> tuple[dict[Any, float], int, int]:
        tile, earlier = tiles[k], earlier_of[k]
        cells = CellAreas(tile.transform, tile.crs, tile.width, tile.height)
        areas: dict[Any, float] = {}
        counted = dropped = 0
        rows = max(1, (1 << 22) // max(1, tile.width))
        with open_raster(tile.location) as ds:
            if not 1 <= band <= ds.count:
                raise EvidenceError(
                    f"band {band} does not exist ({ds.count} bands)",
                    source=tile.location,
                    hint="Set `band` to a band every tile has.",
                )
            fill = ds.nodatavals[band - 1]
            for r0 in range(0, tile.height, rows):
                h = min(rows, tile.height - r0)
                data = ds.read(band, window=Window(0, r0, tile.width, h))
                valid = valid_mask(data, fill)
                if earlier:
                    seen = earlier_cover(tile, earlier, r0, 0, h, tile.width)
                    dropped += int((valid & seen).sum())
                    valid &= ~seen
                weights = np.broadcast_to(cells.window(r0, 0, h, tile.width) / 1e4, data.shape)
                values, inverse = np.unique(data[valid], return_inverse=True)
                sums = np.bincount(inverse.ravel(), weights=weights[valid], minlength=values.size)
                counted += int(valid.sum())
                for value, a in zip(values.tolist(), sums.tolist(), strict=True):
                    areas[value] = areas.get(value, 0.0) + float(a)
        return areas, counted, dropped

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(one, range(len(tiles))))
    total: dict[Any, float] = {}
    for areas, _, _ in results:
        for value, a in areas.items():
            total[value] = total.get(value, 0.0) + a
    details = {
        "tiles": len(tiles),
        "valid_pixels": sum(r[1] for r in results),
        "area_ha": float(sum(total.values())),
        "pixels_counted_in_an_earlier_tile": sum(r[2] for r in results),
        "overlap_rule": OVERLAP_RULE,
    }
    return dict(sorted(total.items())), details
