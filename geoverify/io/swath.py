"""Swath (level-2) products: a value per ground pixel, located by latitude/longitude arrays.

TROPOMI (``PRODUCT/latitude``, ``PRODUCT/longitude`` of shape ``(time, scanline,
ground_pixel)``, ``PRODUCT/delta_time`` per scanline, corner bounds in
``PRODUCT/SUPPORT_DATA/GEOLOCATIONS/latitude_bounds``), OCO-2 (``latitude``,
``longitude``, ``time`` per sounding in the Lite files; ``SoundingGeometry/
sounding_latitude`` in the full L2 files), and any NetCDF/HDF5/Zarr variable
whose dimensions carry no regular grid but which has latitude/longitude arrays of
its own shape (or of its trailing dimensions).  :func:`open_swath` reads the
variable (``_FillValue``, ``scale_factor`` and ``add_offset`` applied), its
geolocation and its time; the functions below measure what the checks need:

- :func:`swath_times` — the time of each pixel (CF-decoded, any calendar);
- :func:`footprint_km2` — the ground area of the valid pixels: the geodesic
  area of each pixel from its corners when the file gives them, else the area
  of the cells of an equal-area grid (EPSG:6933, at a stated resolution) holding
  at least one valid pixel centre (overlaps counted once);
- :func:`ground_pixel_size` — the distance between neighbouring pixel centres
  along and across track (geodesic, WGS 84), median of each, the coarser one;
- :func:`collocate` — the collocation table of the retrieval check: the valid
  pixels within a radius and a time window of each reference measurement.

References
----------
Karney, C. F. F. (2013). Algorithms for geodesics. *Journal of Geodesy* 87, 43–55.
Wunch, D. et al. (2017). Comparisons of the Orbiting Carbon Observatory-2 (OCO-2)
XCO2 measurements with TCCON. *Atmos. Meas. Tech.* 10, 2209–2238 (coincidence
criteria).
Verhoelst, T. et al. (2021). Ground-based validation of the Copernicus Sentinel-5P
TROPOMI NO2 measurements with the NDACC ZSL-DOAS, MAX-DOAS and Pandonia global
networks. *Atmos. Meas. Tech.* 14, 481–510.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geoverify.errors import EvidenceError, EvidenceReadError
from geoverify.io.cube import cube_grid, open_variable, split_variable
from geoverify.io.formats import is_cube

__all__ = [
    "Swath",
    "collocate",
    "find_swath",
    "footprint_km2",
    "ground_pixel_size",
    "open_swath",
    "swath_times",
]

#: Names of latitude/longitude arrays, most specific first (case-insensitive).
LAT_NAMES = ("latitude", "lat", "sounding_latitude", "retrieval_latitude", "latitude_center")
LON_NAMES = ("longitude", "lon", "sounding_longitude", "retrieval_longitude", "longitude_center")
#: Names of time arrays, most specific first.
TIME_NAMES = ("delta_time", "time_utc", "sounding_time", "time")
#: Groups searched for geolocation besides the variable's own.
GEO_GROUPS = (
    "",
    "PRODUCT",
    "PRODUCT/SUPPORT_DATA/GEOLOCATIONS",
    "SoundingGeometry",
    "RetrievalGeometry",
    "geolocation",
    "Geolocation",
    "GEOLOCATION",
)
#: CF/product unit strings and the unit registry's names (geoverify.units).
UNIT_NAMES = {
    "mol m-2": "mol/m2",
    "mol m^-2": "mol/m2",
    "mol/m2": "mol/m2",
    "mol.m-2": "mol/m2",
    "molec/cm2": "molecules/cm2",
    "molecules cm-2": "molecules/cm2",
    "molec cm-2": "molecules/cm2",
    "molecules/cm2": "molecules/cm2",
    "ppm": "ppm",
    "1e-6": "ppm",
    "ppb": "ppb",
    "1e-9": "ppb",
}


@dataclass
class Swath:
    """A swath variable with its geolocation (arrays of the same shape)."""

    location: str
    variable: str
    values: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    times: np.ndarray | None = None
    lat_bounds: np.ndarray | None = None
    lon_bounds: np.ndarray | None = None
    units: str | None = None
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> np.ndarray:
        """Pixels with a finite value and a finite, in-range position."""
        return (
            np.isfinite(self.values)
            & np.isfinite(self.lat)
            & np.isfinite(self.lon)
            & (np.abs(self.lat) <= 90.0)
        )


def _named(ds: Any, names: tuple[str, ...], shape: tuple[int, ...]) -> str | None:
    """The first variable of ``ds`` named in ``names`` whose shape ends ``shape`` or is it."""
    lower = {str(k).lower(): str(k) for k in ds.variables}
    for name in names:
        key = lower.get(name)
        if key is None:
            continue
        var_shape = tuple(ds[key].shape)
        if var_shape and (
            var_shape == shape[-len(var_shape) :] or shape == var_shape[-len(shape) :]
        ):
            return key
    return None


def _open_group(location: str, group: str, *, decode_times: bool = False) -> Any | None:
    from geoverify.io.cube import open_cube

    try:
        return open_cube(
            location, group=group or None, decode_times=decode_times, mask_and_scale=True
        )
    except EvidenceReadError:
        return None


def _geolocation(location: str, variable: str, shape: tuple[int, ...]) -> dict[str, Any] | None:
    """Where the latitude/longitude (and time, corner) arrays of ``variable`` are."""
    own, _ = split_variable(variable)
    groups = [own or ""] + [g for g in GEO_GROUPS if g != (own or "")]
    found: dict[str, Any] = {}
    for group in groups:
        ds = _open_group(location, group)
        if ds is None:
            continue
        with ds:
            prefix = f"{group}/" if group else ""
            if "lat" not in found:
                lat = _named(ds, LAT_NAMES, shape)
                lon = _named(ds, LON_NAMES, shape)
                if lat is not None and lon is not None and ds[lat].shape == ds[lon].shape:
                    found["lat"], found["lon"] = prefix + lat, prefix + lon
            if "lat_bounds" not in found:
                for lat_b, lon_b in (
                    ("latitude_bounds", "longitude_bounds"),
                    ("vertex_latitude", "vertex_longitude"),
                    ("footprint_vertex_latitude", "footprint_vertex_longitude"),
                ):
                    names = {str(k).lower(): str(k) for k in ds.variables}
                    if lat_b in names and lon_b in names and ds[names[lat_b]].ndim >= 2:
                        found["lat_bounds"] = prefix + names[lat_b]
                        found["lon_bounds"] = prefix + names[lon_b]
                        break
            if "time" not in found:
                lower = {str(k).lower(): str(k) for k in ds.variables}
                for name in TIME_NAMES:
                    key = lower.get(name)
                    if key is None:
                        continue
                    tshape = tuple(ds[key].shape)
                    if tshape and (
                        shape[: len(tshape)] == tshape or shape[-len(tshape) :] == tshape
                    ):
                        found["time"] = prefix + key
                        break
    return found if "lat" in found else None


def _read(location: str, name: str, *, decode_times: bool = False) -> Any:
    da, ds = open_variable(location, name, mask_and_scale=True, decode_times=decode_times)
    with ds:
        return da.load()


def find_swath(location: str, variable: str | None) -> bool:
    """True when ``variable`` of a cube has no regular grid but latitude/longitude arrays."""
    if variable is None or not is_cube(location) or not os.path.exists(location):
        return False
    try:
        da, ds = open_variable(location, variable)
    except (EvidenceError, EvidenceReadError):
        return False
    with ds:
        if da.ndim >= 2:
            grid = cube_grid(da, ds, lonlat_names=True)
            if grid.transform is not None and grid.crs is not None:
                return False
        shape = tuple(da.shape)
    return _geolocation(location, variable, shape) is not None


def open_swath(location: str, variable: str, *, display: str | None = None) -> Swath:
    """Read a swath variable with its geolocation, time and pixel corners.

    Raises
    ------
    EvidenceError
        When the variable has no latitude/longitude arrays of its shape (the
        message lists the groups searched).
    """
    shown = display or location
    da, ds = open_variable(location, variable, mask_and_scale=True)
    with ds:
        values = np.asarray(da.values, dtype="float64")
        units = da.attrs.get("units")
    where = _geolocation(location, variable, values.shape)
    if where is None:
        raise EvidenceError(
            f"variable {variable!r} has neither a regular grid nor latitude/longitude arrays "
            f"of its shape {values.shape}",
            source=shown,
            hint="A swath needs per-pixel latitude and longitude (e.g. PRODUCT/latitude, "
            f"PRODUCT/longitude); searched the groups {', '.join(g or '/' for g in GEO_GROUPS)}.",
        )
    lat = np.asarray(_read(location, where["lat"]).values, dtype="float64")
    lon = np.asarray(_read(location, where["lon"]).values, dtype="float64")
    lat, lon = (
        np.broadcast_to(a, values.shape) if a.shape != values.shape else a for a in (lat, lon)
    )
    swath = Swath(
        location=location,
        variable=variable,
        values=values,
        lat=np.asarray(lat),
        lon=np.asarray(lon),
        units=UNIT_NAMES.get(str(units).strip(), str(units)) if units is not None else None,
        sources={"latitude": where["lat"], "longitude": where["lon"]},
    )
    if "time" in where:
        times = _decode_times(location, where["time"], shown)
        if times is not None:
            extra = values.ndim - times.ndim
            if times.shape == values.shape[: times.ndim]:
                times = times.reshape(times.shape + (1,) * extra)
            swath.times = np.broadcast_to(times, values.shape)
            swath.sources["time"] = where["time"]
    if "lat_bounds" in where:
        lat_b = np.asarray(_read(location, where["lat_bounds"]).values, dtype="float64")
        lon_b = np.asarray(_read(location, where["lon_bounds"]).values, dtype="float64")
        if lat_b.shape[:-1] == values.shape[-(lat_b.ndim - 1) :] and lat_b.shape[-1] == 4:
            swath.lat_bounds = np.broadcast_to(lat_b, (*values.shape, 4))
            swath.lon_bounds = np.broadcast_to(lon_b, (*values.shape, 4))
            swath.sources["corners"] = f"{where['lat_bounds']}, {where['lon_bounds']}"
    return swath


def _decode_times(location: str, name: str, shown: str) -> np.ndarray | None:
    """Times as ``datetime64[ms]`` (TROPOMI's delta_time is relative to the file's ``time``)."""
    da = _read(location, name, decode_times=True)
    values = np.asarray(da.values)
    if values.size and hasattr(values.ravel()[0], "year"):
        out = np.array(
            [
                np.datetime64(
                    dt.datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond),
                    "ms",
                )
                if v is not None and v == v
                else np.datetime64("NaT")
                for v in values.ravel()
            ],
            dtype="datetime64[ms]",
        )
        return out.reshape(values.shape)
    if np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[ms]")
    return None


def swath_times(swath: Swath) -> tuple[Any, Any] | None:
    """``(first, last)`` time of the valid pixels as ``datetime.datetime`` (None without time)."""
    if swath.times is None:
        return None
    times = swath.times[swath.valid]
    times = times[~np.isnat(times)]
    if times.size == 0:
        return None
    return times.min().astype(dt.datetime), times.max().astype(dt.datetime)


# --------------------------------------------------------------------------- geometry


def _wrap(dlon: np.ndarray) -> np.ndarray:
    return (dlon + 180.0) % 360.0 - 180.0


def _corner_areas_m2(lat_b: np.ndarray, lon_b: np.ndarray) -> np.ndarray:
    """Area (m²) of quadrilateral pixels from their 4 corners.

    Half the cross product of the diagonals on the local tangent plane of the
    WGS 84 ellipsoid at the pixel's mean latitude (east scaled by the prime
    vertical radius N·cos φ, north by the meridional radius M; longitudes
    unwrapped across the antimeridian); exact to second order in the pixel size.
    """
    a, e2 = 6378137.0, 0.0066943799901413165
    phi = np.radians(lat_b.mean(axis=-1))
    w = np.sqrt(1.0 - e2 * np.sin(phi) ** 2)
    east = a / w * np.cos(phi)
    north = a * (1.0 - e2) / w**3
    x = np.radians(_wrap(lon_b - lon_b[..., :1])) * east[..., None]
    y = np.radians(lat_b - lat_b[..., :1]) * north[..., None]
    d1x, d1y = x[..., 2] - x[..., 0], y[..., 2] - y[..., 0]
    d2x, d2y = x[..., 3] - x[..., 1], y[..., 3] - y[..., 1]
    return np.asarray(0.5 * np.abs(d1x * d2y - d1y * d2x))


def footprint_km2(swath: Swath, *, resolution_m: float | None = None) -> dict[str, Any]:
    """Ground area (km²) of the valid pixels of a swath.

    With pixel corners and no ``resolution_m``: the sum of the pixels' areas.
    Otherwise the valid pixel centres are binned on the global equal-area grid
    EPSG:6933 (Lambert cylindrical equal-area, valid within ±86°) at
    ``resolution_m`` (default: :func:`ground_pixel_size`), and the footprint is
    the number of cells holding a centre times the cell area (overlapping pixels
    counted once).
    """
    valid = swath.valid
    n = int(valid.sum())
    if n == 0:
        raise EvidenceError(
            f"the swath variable {swath.variable!r} holds no valid pixel", source=swath.location
        )
    if swath.lat_bounds is not None and resolution_m is None:
        areas = _corner_areas_m2(swath.lat_bounds[valid], swath.lon_bounds[valid])  # type: ignore[index]
        return {
            "area_km2": float(areas.sum()) / 1e6,
            "valid_pixels": n,
            "method": "sum of the valid pixels' areas from their corners "
            f"({swath.sources['corners']}; quadrilateral on the local tangent plane)",
        }
    from pyproj import Transformer

    step = resolution_m if resolution_m is not None else ground_pixel_size(swath)["pixel_size_m"]
    if not step or step <= 0:
        raise EvidenceError(
            "the swath's ground-pixel size is unknown, so its footprint is too",
            source=swath.location,
            hint="State the resolution of the footprint with footprint_resolution_m = ….",
        )
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True).transform(
        _wrap(swath.lon[valid]), swath.lat[valid]
    )
    cells = np.unique(
        np.stack([np.floor(np.asarray(x) / step), np.floor(np.asarray(y) / step)]), axis=1
    )
    return {
        "area_km2": float(cells.shape[1]) * step * step / 1e6,
        "valid_pixels": n,
        "method": f"cells of {step:,.0f} m of the equal-area grid EPSG:6933 holding a valid "
        "pixel centre (overlaps counted once)",
        "footprint_resolution_m": float(step),
    }


def ground_pixel_size(swath: Swath) -> dict[str, Any]:
    """Median geodesic distance (m, WGS 84) between neighbouring valid pixel centres.

    Along track is the second-last axis (scanlines), across track the last axis
    (ground pixels); a 1-D swath (soundings) has only consecutive soundings.
    ``pixel_size_m`` is the coarser of the two medians.
    """
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    lat, lon, valid = swath.lat, swath.lon, swath.valid
    out: dict[str, Any] = {}

    def median(axis: int) -> float | None:
        a = [slice(None)] * lat.ndim
        b = [slice(None)] * lat.ndim
        a[axis], b[axis] = slice(None, -1), slice(1, None)
        ok = valid[tuple(a)] & valid[tuple(b)]
        if not ok.any():
            return None
        _, _, dist = geod.inv(
            lon[tuple(a)][ok], lat[tuple(a)][ok], lon[tuple(b)][ok], lat[tuple(b)][ok]
        )
        dist = np.asarray(dist)
        dist = dist[dist > 0]
        return float(np.median(dist)) if dist.size else None

    if lat.ndim >= 2:
        out["along_track_m"] = median(lat.ndim - 2)
        out["across_track_m"] = median(lat.ndim - 1)
    else:
        out["along_track_m"] = median(0)
    sizes = [v for v in out.values() if v is not None]
    out["pixel_size_m"] = max(sizes) if sizes else None
    out["rule"] = (
        "median geodesic distance between neighbouring valid pixel centres along and across "
        "track (WGS 84); the coarser of the two"
    )
    return out


# --------------------------------------------------------------------------- collocation


def collocate(
    swaths: list[Swath],
    references: Any,
    *,
    radius_km: float,
    window_minutes: float,
    gas: str | None = None,
    unit: str | None = None,
) -> Any:
    """The collocation table of swaths against reference measurements.

    Parameters
    ----------
    swaths : list of Swath
        Retrieved values with their geolocation and time.
    references : pandas.DataFrame
        One row per reference measurement: ``station``, ``lon``, ``lat``,
        ``time`` (ISO 8601, UTC) and ``reference``, optionally ``reference_unit``
        and ``gas``.
    radius_km, window_minutes : float
        Coincidence criteria: a valid pixel within ``radius_km`` (geodesic) of
        the station and ``window_minutes`` of the reference time.

    Returns
    -------
    pandas.DataFrame
        One row per reference measurement and swath with at least one coincident
        pixel: ``gas, station, orbit, time, lon, lat, retrieved`` (mean of the
        coincident pixels), ``reference, unit, n_pixels, distance_km`` (mean)
        — the columns of :func:`geoverify.io.collocations.read_collocations`.
    """
    import pandas as pd
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    window = np.timedelta64(round(window_minutes * 60_000), "ms")
    rows: list[dict[str, Any]] = []
    ref_times = pd.to_datetime(references["time"], utc=True).dt.tz_localize(None)
    for swath in swaths:
        valid = swath.valid
        if swath.times is None:
            raise EvidenceError(
                f"the swath {swath.variable!r} has no time of its pixels: collocation in time "
                "is impossible",
                source=swath.location,
                hint="Deliver the pixels' time (e.g. PRODUCT/delta_time, or time per sounding).",
            )
        lat, lon, values = swath.lat[valid], swath.lon[valid], swath.values[valid]
        times = swath.times[valid]
        orbit = os.path.basename(swath.location)
        for (_, ref), when in zip(references.iterrows(), ref_times, strict=True):
            t = np.datetime64(when.to_datetime64(), "ms")
            near_t = np.abs(times - t) <= window
            if not near_t.any():
                continue
            idx = np.nonzero(near_t)[0]
            _, _, dist = geod.inv(
                np.full(idx.size, float(ref["lon"])),
                np.full(idx.size, float(ref["lat"])),
                lon[idx],
                lat[idx],
            )
            dist = np.asarray(dist) / 1000.0
            inside = dist <= radius_km
            if not inside.any():
                continue
            chosen = idx[inside]
            mean_time = times[chosen].astype("datetime64[ms]").astype("int64").mean()
            row = {
                "gas": ref.get("gas", gas),
                "station": ref.get("station", ""),
                "orbit": orbit,
                "time": str(np.datetime64(int(mean_time), "ms")) + "Z",
                "lon": float(ref["lon"]),
                "lat": float(ref["lat"]),
                "retrieved": float(values[chosen].mean()),
                "reference": float(ref["reference"]),
                "unit": unit or swath.units,
                "n_pixels": int(chosen.size),
                "distance_km": float(dist[inside].mean()),
            }
            if "reference_unit" in references:
                row["reference_unit"] = ref["reference_unit"]
            rows.append(row)
    return pd.DataFrame(rows)
