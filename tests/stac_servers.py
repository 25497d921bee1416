"""Real servers on 127.0.0.1 for the STAC and remote-COG tests, started once per session.

- :class:`RangeServer` — a threaded HTTP/1.1 file server with byte-range support
  (``python -m http.server`` has none, and GDAL refuses it) and fault routes:
  ``/_404/…``, ``/_500/…``, ``/_slow/<seconds>/…`` (waits before answering),
  ``/_truncate/…`` (announces the full length, sends half, closes),
  ``/_norange/…`` (ignores ``Range``), ``/_badjson/…`` (200 with broken JSON).
  Every request is logged so tests can assert that reads were ranged.
- :class:`RustacServer` — ``rustac serve`` (a real STAC API, items in memory).
- :func:`make_cog` — a small Cloud-Optimised GeoTIFF with overviews.

Import the fixtures into a test module (``from .stac_servers import stac_api``).
Nothing blocks past a timeout: slow handlers wake up when the server stops,
and processes are terminated (then killed) at teardown.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

__all__ = [
    "RangeServer",
    "RustacServer",
    "StacWorld",
    "dead_url",
    "free_port",
    "make_cog",
    "range_server",
    "stac_world",
]

_FAULT = re.compile(r"^/_(404|500|truncate|norange|badjson|slow/(\d+(?:\.\d+)?))(/.*)?$")


def free_port() -> int:
    """A TCP port nothing listens on right now (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- range server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _RangeHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._serve(head=False)

    def _serve(self, *, head: bool) -> None:
        path = self.path.split("?", 1)[0]
        self.server.log.append((self.command, path, self.headers.get("Range")))
        fault, seconds, rest = None, 0.0, path
        match = _FAULT.match(path)
        if match:
            fault, rest = match.group(1), match.group(3) or "/"
            if fault.startswith("slow/"):
                fault, seconds = "slow", float(match.group(2))
        if fault == "slow" and self.server.stopping.wait(seconds):
            return
        if fault in ("404", "500"):
            self._plain(int(fault), f"{fault} injected\n", head)
            return
        if fault == "badjson":
            self._plain(200, '{"type": "Catalog", "links": [', head, "application/json")
            return
        target = (self.server.root / rest.lstrip("/")).resolve()
        if self.server.root not in target.parents or not target.is_file():
            self._plain(404, "not found\n", head)
            return
        data = target.read_bytes()
        ctype = "application/json" if target.suffix == ".json" else "image/tiff"
        ranged = self.headers.get("Range") if fault != "norange" else None
        start, end, status = 0, len(data) - 1, 200
        if ranged:
            m = re.match(r"bytes=(\d*)-(\d*)$", ranged.strip())
            if not m or (not m.group(1) and not m.group(2)):
                self._plain(416, "bad range\n", head)
                return
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)) if m.group(2) else end, len(data) - 1)
            else:
                start = max(0, len(data) - int(m.group(2)))
            if start >= len(data):
                self._plain(416, "range not satisfiable\n", head)
                return
            status = 206
        body = data[start : end + 1]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Accept-Ranges", "none" if fault == "norange" else "bytes")
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.end_headers()
        if head:
            return
        if fault == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.server.bytes_sent += len(body)
        self.wfile.write(body)

    def _plain(self, status: int, text: str, head: bool, ctype: str = "text/plain") -> None:
        payload = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if not head:
            self.wfile.write(payload)


class _RangeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root.resolve()
        self.log: list[tuple[str, str, str | None]] = []
        self.stopping = threading.Event()
        self.bytes_sent = 0


class RangeServer:
    """A threaded HTTP server with range support and fault routes, on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        self._server = _RangeHTTPServer(root)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RangeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def root(self) -> Path:
        return self._server.root

    @property
    def log(self) -> list[tuple[str, str, str | None]]:
        return self._server.log

    @property
    def bytes_sent(self) -> int:
        return self._server.bytes_sent


# --------------------------------------------------------------------------- rustac


class RustacServer:
    """``rustac serve`` on a free port of 127.0.0.1, loaded with the given files."""

    def __init__(self, *hrefs: Path, create_collections: bool = False) -> None:
        exe = shutil.which("rustac") or str(Path(sys.executable).with_name("rustac"))
        if not Path(exe).exists():
            pytest.skip("rustac is not installed (pip install rustac)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [exe, "serve", "--addr", f"127.0.0.1:{self.port}"]
        if create_collections:
            args.append("--create-collections")
        self._args = [*args, *(str(h) for h in hrefs)]
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RustacServer:
        self._proc = subprocess.Popen(
            self._args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise RuntimeError(f"rustac serve exited: {err.strip()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("rustac serve did not start within 15 s")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=5)


# --------------------------------------------------------------------------- data


def make_cog(
    path: Path,
    *,
    pixel: float = 30.0,
    crs: str = "EPSG:32650",
    origin: tuple[float, float] = (400_000.0, 3_400_000.0),
    size: int = 1024,
    seed: int = 0,
) -> Path:
    """A uint8 COG (deflate, 256-px tiles, overviews 2 and 4) of blocky land-cover classes."""
    import rasterio
    import rasterio.shutil
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    coarse = rng.choice(np.array([10, 20, 30, 40, 50], dtype=np.uint8), size=(size // 16,) * 2)
    data = np.kron(coarse, np.ones((16, 16), dtype=np.uint8))
    tmp = path.with_suffix(".tmp.tif")
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "crs": crs,
        "transform": from_origin(origin[0], origin[1], pixel, pixel),
        "nodata": 0,
    }
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data, 1)
    rasterio.shutil.copy(
        tmp, path, driver="COG", compress="DEFLATE", blocksize=256, overview_resampling="nearest"
    )
    tmp.unlink()
    return path


def stac_item(
    ident: str,
    collection: str,
    href: str,
    *,
    year: int,
    gsd: float | None,
    epsg: int = 32650,
    transform: list[float] | None = None,
    shape: tuple[int, int] = (1024, 1024),
    bbox: tuple[float, float, float, float] = (116.0, 30.7, 116.33, 31.0),
    media_type: str = "image/tiff; application=geotiff; profile=cloud-optimized",
) -> dict[str, Any]:
    """A STAC 1.0 item with projection and raster extensions, an annual product."""
    west, south, east, north = bbox
    props: dict[str, Any] = {
        "datetime": None,
        "start_datetime": f"{year}-01-01T00:00:00Z",
        "end_datetime": f"{year}-12-31T23:59:59Z",
        "proj:epsg": epsg,
        "proj:shape": list(shape),
    }
    if transform is not None:
        props["proj:transform"] = transform
    if gsd is not None:
        props["gsd"] = gsd
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": [
            "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
            "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
        ],
        "id": ident,
        "collection": collection,
        "bbox": list(bbox),
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [[west, south], [east, south], [east, north], [west, north], [west, south]]
            ],
        },
        "properties": props,
        "links": [],
        "assets": {
            "data": {
                "href": href,
                "type": media_type,
                "roles": ["data"],
                "raster:bands": [{"data_type": "uint8", "nodata": 0}],
            },
            "metadata": {"href": href + ".json", "type": "application/json", "roles": ["metadata"]},
        },
    }


@dataclass
class StacWorld:
    """The session's servers and what they hold."""

    api: str
    files: str
    data_dir: Path
    range: RangeServer
    items: dict[str, dict[str, Any]] = field(default_factory=dict)


def _utm_transform(pixel: float) -> list[float]:
    return [pixel, 0.0, 400_000.0, 0.0, -pixel, 3_400_000.0]


@pytest.fixture(scope="session")
def range_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RangeServer]:
    """A range-capable HTTP server over a session folder with three COGs and a JSON file."""
    root = tmp_path_factory.mktemp("cogs")
    for year, seed in ((2015, 1), (2020, 2), (2025, 3)):
        make_cog(root / f"lc_{year}.tif", seed=seed)
    make_cog(root / "lc_geo.tif", pixel=0.0025, crs="EPSG:4326", origin=(116.0, 31.0), size=512)
    (root / "not_raster.json").write_text(json.dumps({"hello": "this is not a raster"}))
    with RangeServer(root) as server:
        yield server


@pytest.fixture(scope="session")
def stac_world(
    range_server: RangeServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StacWorld]:
    """``rustac serve`` loaded with items describing the COGs of :func:`range_server`.

    Collections: ``landcover`` (2015, 2020, 2025; 30 m, gsd 30), ``mislabelled``
    (gsd 10 on a 30 m asset), ``geographic`` (EPSG:4326, 0.0025°), ``faults``
    (assets that are 404, 500, slow, or not a raster).
    """
    files = range_server.url
    items = {}
    for year in (2015, 2020, 2025):
        items[f"lc-{year}"] = stac_item(
            f"lc-{year}",
            "landcover",
            f"{files}/lc_{year}.tif",
            year=year,
            gsd=30,
            transform=_utm_transform(30.0),
        )
    items["lc-mislabelled"] = stac_item(
        "lc-mislabelled", "mislabelled", f"{files}/lc_2020.tif", year=2020, gsd=10
    )
    items["lc-geo"] = stac_item(
        "lc-geo",
        "geographic",
        f"{files}/lc_geo.tif",
        year=2020,
        gsd=None,
        epsg=4326,
        transform=[0.0025, 0.0, 116.0, 0.0, -0.0025, 31.0],
        shape=(512, 512),
    )
    for name, href in {
        "asset-404": f"{files}/_404/lc_2015.tif",
        "asset-500": f"{files}/_500/lc_2015.tif",
        "asset-not-raster": f"{files}/not_raster.json",
    }.items():
        items[name] = stac_item(name, "faults", href, year=2020, gsd=30)
    folder = tmp_path_factory.mktemp("stac")
    path = folder / "items.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(items.values())}))
    with RustacServer(path, create_collections=True) as api:
        yield StacWorld(api.url, files, range_server.root, range_server, items)


@pytest.fixture(scope="session")
def dead_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}"
