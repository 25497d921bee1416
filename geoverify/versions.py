"""The versions that can change a figure, as ``xr.show_versions()`` and ``rio --gdal-version`` give.

A verdict must be reproducible by someone else: every report records these
versions (``report.json`` → ``run.versions``) and ``geoverify env`` prints them.
Geodesic areas, CRS transformations, estimator arithmetic and the decoding of
compressed rasters all depend on them, down to the last digits of a figure.

Nothing here imports a heavy library at module import: the versions are read
from the installed distributions' metadata, except GDAL's and PROJ's, which only
the bindings know (their C libraries are bundled in the wheels).
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from functools import lru_cache

__all__ = ["FIGURE_LIBRARIES", "show_versions", "versions"]

#: Python distributions whose version can change a figure of a report.
FIGURE_LIBRARIES = (
    "numpy",
    "rasterio",
    "pyproj",
    "xarray",
    "shapely",
    "geopandas",
    "pyogrio",
    "scipy",
    "netCDF4",
    "h5netcdf",
    "zarr",
    "dask",
    "pystac-client",
)


def _distribution_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def _native_versions() -> dict[str, str | None]:
    """GDAL's and PROJ's versions as the bindings in use report them."""
    found: dict[str, str | None] = {"GDAL": None, "PROJ": None}
    try:
        import rasterio

        found["GDAL"] = rasterio.__gdal_version__
    except ImportError:  # pragma: no cover - rasterio is a dependency
        pass
    try:
        import pyproj

        found["PROJ"] = pyproj.proj_version_str
    except ImportError:  # pragma: no cover - pyproj is a dependency
        pass
    return found


def versions() -> dict[str, str | None]:
    """Versions of geoverify, Python, GDAL, PROJ and every library that can change a figure.

    Returns
    -------
    dict
        ``{"geoverify": "0.1.0", "python": "3.11.7", "GDAL": "3.9.3", "PROJ": "9.4.1",
        "numpy": "2.4.6", ...}``; ``None`` for a library that is not installed.

    Examples
    --------
    >>> from geoverify.versions import versions
    >>> sorted(versions())[:3]
    ['GDAL', 'PROJ', 'dask']
    """
    from geoverify._version import __version__

    found: dict[str, str | None] = {
        "geoverify": __version__,
        "python": platform.python_version(),
    }
    found.update(_native_versions())
    for name in FIGURE_LIBRARIES:
        found[name] = _distribution_version(name)
    return found


def show_versions(file=None) -> None:  # type: ignore[no-untyped-def]
    """Print :func:`versions` and the platform, one per line (as ``xr.show_versions()``)."""
    out = file or sys.stdout
    print(f"platform: {platform.platform()}", file=out)
    width = max(len(k) for k in versions())
    for name, version in versions().items():
        print(f"{name:<{width}}  {version or 'not installed'}", file=out)
