"""The design file ("seal") of a drawn reference sample, and its verification.

``geoverify sample draw`` writes ``design.json`` next to the sample.  It records
everything needed to know that a sample is the one drawn by a design, and to draw
it again: the map's SHA-256, the design, the strata and their sizes, the
allocation, the seed, the drawing algorithm, the geoverify version, the checksum
of the units drawn and of each file written — and its own checksum over its
canonical JSON, so that an edited design file is refused.

Format (``"format": "geoverify-sample-design"``, ``"format_version": 1``)::

    {
      "format": "geoverify-sample-design",
      "format_version": 1,
      "geoverify_version": "0.1.0",
      "algorithm": "geoverify-two-pass-ranks/1",
      "design": "stratified" | "simple" | "systematic",
      "shape": "point" | "pixel",
      "seed": 42,
      "window_pixels": 4194304,
      "map": {"file": "map.tif", "sha256": "…", "band": 1, "nodata": 0.0,
              "width": 512, "height": 512, "crs": "EPSG:…|WKT|null",
              "transform": [a, b, c, d, e, f]},
      "strata": {"source": "map" | "raster" | "none",
                 "file": null | "strata.tif", "sha256": null | "…", "band": 1,
                 "sizes": {"<stratum>": N_h, …}},
      "allocation": {"method": "olofsson" | … | null, "min_per_stratum": 50 | null,
                     "n": n, "per_stratum": {"<stratum>": n_h, …}},
      "systematic": null | {"step": s, "row_offset": r0, "col_offset": c0,
                            "requested_n": n},
      "plan": null | {… the plan of `geoverify sample design` …},
      "sample": {"units": n, "units_sha256": "…",
                 "key_columns": ["id", "row", "col", "stratum", "map_class"],
                 "reference_columns": ["reference"],
                 "files": {"sample.gpkg": "<sha256>", "sample.csv": "…", …}},
      "design_sha256": "<sha256 of the canonical JSON of every other key>"
    }

Canonical JSON: ``json.dumps(obj, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` encoded as UTF-8, over the object without
``design_sha256``.  ``units_sha256`` is :func:`geoverify.io.draw.units_sha256`
(labels and coordinates excluded, so a labelled sample — or its CSV copy — keeps
it).  The checksum detects an altered file; it is no signature: a secretariat
keeps its own copy of the design file.

:func:`verify_seal` checks a (possibly labelled) sample against its design file
and map, and raises :class:`~geoverify.errors.EvidenceError` naming what differs.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geoverify._version import __version__
from geoverify.errors import EvidenceError
from geoverify.io.checksums import sha256_file
from geoverify.io.draw import (
    ALGORITHM,
    KEY_COLUMNS,
    DrawnSample,
    draw_sample,
    units_sha256,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SealCheck",
    "canonical_json",
    "design_checksum",
    "read_sample_units",
    "read_seal",
    "seal_record",
    "verify_seal",
    "write_seal",
]

FORMAT = "geoverify-sample-design"
FORMAT_VERSION = 1
CHECKSUM_KEY = "design_sha256"


def canonical_json(obj: Any) -> bytes:
    """The canonical JSON bytes the design checksum is computed over."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def design_checksum(record: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``record`` without its ``design_sha256`` key."""
    body = {k: v for k, v in record.items() if k != CHECKSUM_KEY}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def _crs_text(crs: Any) -> str | None:
    if crs is None:
        return None
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    return f"EPSG:{epsg}" if epsg else str(crs.to_wkt())


def seal_record(
    sample: DrawnSample,
    *,
    map_path: str,
    band: int,
    nodata: float | None,
    strata_path: str | None,
    strata_band: int,
    shape: str,
    allocation_method: str | None,
    min_per_stratum: int | None,
    files: dict[str, Path],
    reference_columns: list[str],
    plan: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The design-file record of a drawn and written sample (without its own checksum)."""
    t = sample.transform
    stratified = sample.design == "stratified"
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "geoverify_version": __version__,
        "algorithm": ALGORITHM,
        "design": sample.design,
        "shape": shape,
        "seed": int(sample.seed),
        "window_pixels": int(sample.window_pixels),
        "map": {
            "file": Path(map_path).name,
            "sha256": sha256_file(map_path),
            "band": band,
            "nodata": None if nodata is None or math.isnan(nodata) else float(nodata),
            "width": sample.width,
            "height": sample.height,
            "crs": _crs_text(sample.crs),
            "transform": [float(t.a), float(t.b), float(t.c), float(t.d), float(t.e), float(t.f)],
        },
        "strata": {
            "source": ("raster" if strata_path else "map") if stratified else "none",
            "file": Path(strata_path).name if stratified and strata_path else None,
            "sha256": sha256_file(strata_path) if stratified and strata_path else None,
            "band": strata_band if stratified and strata_path else None,
            "sizes": dict(sample.strata_sizes),
        },
        "allocation": {
            "method": allocation_method if stratified else None,
            "min_per_stratum": min_per_stratum
            if stratified and allocation_method == "olofsson"
            else None,
            "n": sample.n,
            "per_stratum": dict(sample.allocation),
        },
        "systematic": dict(sample.systematic) if sample.systematic else None,
        "plan": plan,
        "sample": {
            "units": sample.n,
            "units_sha256": units_sha256(sample.units),
            "key_columns": list(KEY_COLUMNS),
            "reference_columns": list(reference_columns),
            "files": {p.name: sha256_file(p) for p in files.values()},
        },
    }


def write_seal(path: str | os.PathLike[str], record: dict[str, Any]) -> dict[str, Any]:
    """Write ``record`` with its ``design_sha256`` as indented JSON; return the sealed record."""
    sealed = {k: v for k, v in record.items() if k != CHECKSUM_KEY}
    sealed[CHECKSUM_KEY] = design_checksum(sealed)
    Path(path).write_text(
        json.dumps(sealed, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return sealed


def read_seal(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a design file: valid JSON, the right format, an intact checksum.

    Raises
    ------
    EvidenceError
        Unreadable, not JSON, not a geoverify design file, an unknown format
        version, or a checksum that does not match the content (the file was edited).
    """
    text = os.fspath(path)
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvidenceError(
            f"cannot read the design file ({exc.strerror or exc})",
            source=text,
            hint="Give the design.json written by `geoverify sample draw`.",
        ) from None
    except ValueError as exc:
        raise EvidenceError(
            f"the design file is not valid JSON ({exc})",
            source=text,
            hint="Give the design.json written by `geoverify sample draw`, unedited.",
        ) from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise EvidenceError(
            f"not a geoverify sample design file (format {record.get('format')!r})"
            if isinstance(record, dict)
            else "not a geoverify sample design file",
            source=text,
            hint="Give the design.json written by `geoverify sample draw`.",
        )
    if record.get("format_version") != FORMAT_VERSION:
        raise EvidenceError(
            f"design file format version {record.get('format_version')!r}; this geoverify "
            f"reads version {FORMAT_VERSION}",
            source=text,
            hint="Verify with the geoverify version that drew the sample "
            f"({record.get('geoverify_version')}).",
        )
    stated = record.get(CHECKSUM_KEY)
    actual = design_checksum(record)
    if stated != actual:
        raise EvidenceError(
            f"the design file was altered: its checksum {str(stated)[:16]}… does not match "
            f"its content ({actual[:16]}…)",
            source=text,
            hint="Use the design file exactly as `geoverify sample draw` wrote it.",
        )
    return record


def read_sample_units(sample_path: str | os.PathLike[str]) -> Any:
    """The sample's table (GeoPackage/other vector file, or CSV) as a (Geo)DataFrame.

    Key columns are read as text from a CSV (no float conversion of codes).

    Raises
    ------
    EvidenceError
        Unreadable file, or a key column missing.
    """
    import pandas as pd

    text = os.fspath(sample_path)
    path = Path(sample_path)
    try:
        if path.suffix.lower() in (".csv", ".txt"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            import geopandas as gpd

            frame = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio/pandas raise many types for unreadable files
        raise EvidenceError(
            f"cannot read the sample ({type(exc).__name__}: {exc})",
            source=text,
            hint="Give the sample.gpkg or sample.csv written by `geoverify sample draw`.",
        ) from None
    missing = [c for c in KEY_COLUMNS if c not in frame.columns]
    if missing:
        raise EvidenceError(
            f"the sample lacks the columns {missing} of a drawn sample",
            source=text,
            hint="Keep the columns `geoverify sample draw` wrote; add labels only.",
        )
    return frame


@dataclass
class SealCheck:
    """What :func:`verify_seal` established: the design, taken from the seal."""

    design: str
    seed: int
    n: int
    strata_sizes: dict[str, int]
    allocation: dict[str, int]
    allocation_method: str | None
    map_sha256: str
    units_sha256: str
    redrawn: bool
    record: dict[str, Any] = field(repr=False)
    notes: list[str] = field(default_factory=list)


def _differences(frame: Any, sealed: DrawnSample | None, limit: int = 5) -> str:
    """A short account of which units differ from a fresh draw (ids, rows, columns)."""
    if sealed is None:
        return ""
    want = {
        int(i): (int(r), int(c), str(s))
        for i, r, c, s in zip(
            sealed.units["id"],
            sealed.units["row"],
            sealed.units["col"],
            sealed.units["stratum"],
            strict=True,
        )
    }
    have: dict[int, tuple[int, int, str]] = {}
    for i, r, c, s in zip(frame["id"], frame["row"], frame["col"], frame["stratum"], strict=True):
        have[int(float(i))] = (int(float(r)), int(float(c)), str(s))
    parts = []
    gone = sorted(set(want) - set(have))
    extra = sorted(set(have) - set(want))
    moved = sorted(i for i in set(want) & set(have) if want[i][:2] != have[i][:2])
    if gone:
        parts.append(f"units missing: {gone[:limit]}{' …' if len(gone) > limit else ''}")
    if extra:
        parts.append(f"units added: {extra[:limit]}{' …' if len(extra) > limit else ''}")
    if moved:
        shown = ", ".join(
            f"{i} at row/col {have[i][0]}/{have[i][1]} (drawn {want[i][0]}/{want[i][1]})"
            for i in moved[:limit]
        )
        parts.append(f"units moved: {shown}{' …' if len(moved) > limit else ''}")
    return "; ".join(parts)


def verify_seal(
    design_path: str | os.PathLike[str],
    sample_path: str | os.PathLike[str],
    map_path: str | os.PathLike[str],
    *,
    strata_path: str | os.PathLike[str] | None = None,
    redraw: bool = True,
    workers: int = 2,
) -> SealCheck:
    """Check that a sample is the one its design file says was drawn from this map.

    In order, each failure raising :class:`~geoverify.errors.EvidenceError` that
    names what differs:

    1. the design file is intact (:func:`read_seal`: format, own checksum);
    2. the map's SHA-256 is the sealed one (and the strata raster's, if any;
       ``strata_path`` defaults to the sealed file name next to the map);
    3. the sample's units (``id, row, col, stratum, map_class``) have the sealed
       ``units_sha256`` — labels may have been filled in, nothing else changed;
    4. every unit's geometry (point, or the centroid of a pixel polygon) lies in its
       pixel ``(row, col)``, and its ``inclusion_probability`` (if present) is the
       sealed ``n_h / N_h``;
    5. with ``redraw`` (default), drawing again from the map with the sealed seed,
       design and allocation gives the same units: the seed and the design are
       the ones that produced the sample.

    Returns
    -------
    SealCheck
        The design, strata sizes and allocation from the seal (what an estimator
        should use), and the checksums.
    """
    record = read_seal(design_path)
    dtext, stext, mtext = os.fspath(design_path), os.fspath(sample_path), os.fspath(map_path)
    notes: list[str] = []
    map_sha = sha256_file(mtext) if Path(mtext).is_file() else None
    if map_sha is None:
        raise EvidenceError("the map does not exist", source=mtext)
    if map_sha != record["map"]["sha256"]:
        raise EvidenceError(
            f"the map differs from the sealed map {record['map']['file']!r} (sha256 "
            f"{map_sha[:16]}… vs sealed {record['map']['sha256'][:16]}…)",
            source=mtext,
            hint=f"Verify against the map the sample was drawn from ({dtext} records it).",
        )
    strata_info = record["strata"]
    strata_file: str | None = None
    if strata_info.get("source") == "raster":
        strata_file = (
            os.fspath(strata_path) if strata_path else str(Path(mtext).parent / strata_info["file"])
        )
        if not Path(strata_file).is_file():
            raise EvidenceError(
                f"the sealed strata raster {strata_info['file']!r} is not available",
                source=strata_file,
                hint="Give the strata raster the sample was drawn with.",
            )
        if sha256_file(strata_file) != strata_info["sha256"]:
            raise EvidenceError(
                f"the strata raster differs from the sealed {strata_info['file']!r} (sha256)",
                source=strata_file,
                hint="Give the strata raster the sample was drawn with.",
            )
    frame = read_sample_units(sample_path)
    units = {c: frame[c].tolist() for c in KEY_COLUMNS}
    try:
        have = units_sha256(units)
    except (TypeError, ValueError) as exc:
        raise EvidenceError(
            f"the sample's key columns hold non-integer values ({exc})",
            source=stext,
            hint="Keep id, row, col, stratum and map_class as `geoverify sample draw` wrote them.",
        ) from None
    sealed_sha = record["sample"]["units_sha256"]
    redrawn: DrawnSample | None = None
    if redraw:
        redrawn = _redraw(record, mtext, strata_file, workers)
        if units_sha256(redrawn.units) != sealed_sha:
            raise EvidenceError(
                f"drawing again with the sealed seed {record['seed']} and design "
                f"{record['design']!r} does not give the sealed units",
                source=dtext,
                hint="The design file does not describe how this sample was drawn.",
            )
    if have != sealed_sha:
        detail = _differences(frame, redrawn)
        if len(frame) != record["sample"]["units"]:
            detail = f"{len(frame)} units, {record['sample']['units']} sealed" + (
                f"; {detail}" if detail else ""
            )
        raise EvidenceError(
            "the sample's units differ from the sealed ones (units_sha256 "
            f"{have[:16]}… vs sealed {sealed_sha[:16]}…)" + (f": {detail}" if detail else ""),
            source=stext,
            hint="Only fill in the label columns of the drawn sample; do not add, remove or "
            "move units.",
        )
    _check_geometry(frame, record, stext)
    _check_probabilities(frame, record, stext)
    if not redraw:
        notes.append("not drawn again: the seed was not checked")
    alloc = record["allocation"]
    return SealCheck(
        design=record["design"],
        seed=int(record["seed"]),
        n=int(record["sample"]["units"]),
        strata_sizes={str(k): int(v) for k, v in strata_info["sizes"].items()},
        allocation={str(k): int(v) for k, v in alloc["per_stratum"].items()},
        allocation_method=alloc.get("method"),
        map_sha256=map_sha,
        units_sha256=sealed_sha,
        redrawn=redraw,
        record=record,
        notes=notes,
    )


def _redraw(
    record: dict[str, Any], map_path: str, strata_path: str | None, workers: int
) -> DrawnSample:
    """Draw again with the sealed design, seed, allocation and windows."""
    if record.get("algorithm") != ALGORITHM:
        raise EvidenceError(
            f"the sample was drawn with {record.get('algorithm')!r}; this geoverify draws "
            f"with {ALGORITHM!r} and cannot redraw it",
            source=record["map"]["file"],
            hint=f"Verify with geoverify {record.get('geoverify_version')}.",
        )
    design = record["design"]
    nodata = record["map"]["nodata"]
    if design == "stratified":
        allocation, n = record["allocation"]["per_stratum"], None
    elif design == "systematic":  # the step derives from the requested size
        allocation, n = None, int(record["systematic"]["requested_n"])
    else:
        allocation, n = None, int(record["allocation"]["n"])
    return draw_sample(
        map_path,
        design=design,
        seed=int(record["seed"]),
        allocation=allocation,
        n=n,
        band=int(record["map"]["band"]),
        nodata=float(nodata) if nodata is not None else None,
        strata_path=strata_path,
        strata_band=int(record["strata"].get("band") or 1),
        workers=workers,
        window_pixels=int(record["window_pixels"]),
    )


def _check_geometry(frame: Any, record: dict[str, Any], source: str) -> None:
    if "geometry" not in frame.columns or frame.geometry.isna().all():
        return
    from affine import Affine

    t = Affine(*record["map"]["transform"])
    geom = frame.geometry
    if frame.crs is not None and record["map"]["crs"]:
        from pyproj import CRS

        if not CRS.from_user_input(frame.crs).equals(CRS.from_user_input(record["map"]["crs"])):
            geom = frame.to_crs(record["map"]["crs"]).geometry
    pts = geom.centroid if (geom.geom_type != "Point").any() else geom
    inv = ~t
    x, y = np.asarray(pts.x, dtype=float), np.asarray(pts.y, dtype=float)
    cols = inv.a * x + inv.b * y + inv.c
    rows = inv.d * x + inv.e * y + inv.f
    want_r = np.asarray([int(float(v)) for v in frame["row"]])
    want_c = np.asarray([int(float(v)) for v in frame["col"]])
    bad = np.flatnonzero((np.floor(rows) != want_r) | (np.floor(cols) != want_c))
    if bad.size:
        ids = [int(float(frame["id"].iloc[i])) for i in bad[:5]]
        raise EvidenceError(
            f"{bad.size} unit(s) lie outside their sealed pixel (ids {ids}"
            f"{' …' if bad.size > 5 else ''}): their geometry was moved",
            source=source,
            hint="Do not move the drawn units; label them where they are.",
        )


def _check_probabilities(frame: Any, record: dict[str, Any], source: str) -> None:
    if "inclusion_probability" not in frame.columns:
        return
    if record["design"] == "systematic":
        step = int(record["systematic"]["step"])
        expected = {s: 1.0 / (step * step) for s in record["strata"]["sizes"]}
    else:
        sizes = record["strata"]["sizes"]
        per = record["allocation"]["per_stratum"]
        expected = {s: per[s] / sizes[s] for s in sizes if sizes[s]}
    for s, p in zip(frame["stratum"], frame["inclusion_probability"], strict=True):
        key = str(s)
        want = expected.get(key)
        if want is None or not math.isclose(float(p), want, rel_tol=1e-9):
            raise EvidenceError(
                f"a unit of stratum {key} has inclusion probability {p}, sealed {want}",
                source=source,
                hint="Keep the inclusion_probability column as drawn.",
            )
