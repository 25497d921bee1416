"""Hostile HTTP servers on 127.0.0.1 for tests/end_to_end/test_hostile_inputs.py.

One threaded server, routes by path prefix:

- ``/hang/…`` — accepts the request and never answers (until the server stops);
- ``/drip/…`` — announces 10,000 bytes and sends one byte a second;
- ``/redirect/<port>/<path>`` — ``302`` to the same path on ``127.0.0.1:<port>``;
- ``/file/<name>`` — serves a file registered with :meth:`HostileServer.add_file`
  (byte ranges supported: GDAL needs them);
- ``/stac-loop/`` — a STAC API whose search answers one item and a ``next`` link to
  the very same request, for ever;
- ``/stac-drip/`` — a STAC API whose landing page drips one byte a second;
- ``/stac-foreign/<port>/`` — a STAC API whose ``next`` link goes to another port.

Every handler wakes up and returns when the server stops, and none runs longer
than :data:`MAX_SECONDS`, so a test cannot hang on them; handler threads are
daemons.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["MAX_SECONDS", "HostileServer", "hostile_server"]

#: No handler lives longer than this (seconds), even if the server is never stopped.
MAX_SECONDS = 60.0


def _item(base: str, n: int) -> dict[str, Any]:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"item-{n}",
        "collection": "c",
        "geometry": {"type": "Point", "coordinates": [110.0, 30.0]},
        "bbox": [110.0, 30.0, 110.0, 30.0],
        "properties": {"datetime": "2024-01-01T00:00:00Z", "gsd": 10},
        "links": [],
        "assets": {"data": {"href": f"{base}/file/x.tif", "type": "image/tiff", "roles": ["data"]}},
    }


def _landing(base: str) -> dict[str, Any]:
    return {
        "type": "Catalog",
        "stac_version": "1.0.0",
        "id": "hostile",
        "description": "hostile STAC API",
        "conformsTo": [
            "https://api.stacspec.org/v1.0.0/core",
            "https://api.stacspec.org/v1.0.0/item-search",
        ],
        "links": [
            {"rel": "self", "href": f"{base}/", "type": "application/json"},
            {"rel": "root", "href": f"{base}/", "type": "application/json"},
            {
                "rel": "search",
                "href": f"{base}/search",
                "type": "application/geo+json",
                "method": "POST",
            },
        ],
    }


class HostileServer:
    """The server; use :func:`hostile_server` to run one for a block of tests."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.do_GET()

            def do_GET(self) -> None:
                server.requests.append(self.path)
                path = self.path.split("?")[0]
                try:
                    if path.startswith("/hang/"):
                        server.stop.wait(MAX_SECONDS)
                    elif path.startswith("/drip/"):
                        self._drip(10_000)
                    elif path.startswith("/redirect/"):
                        _, _, port, rest = path.split("/", 3)
                        self.send_response(302)
                        self.send_header("Location", f"http://127.0.0.1:{port}/{rest}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    elif path.startswith("/file/"):
                        self._file(path[len("/file/") :])
                    elif path.startswith("/stac-drip/"):
                        self._drip(len(json.dumps(_landing(self._base()))))
                    elif path.startswith(("/stac-loop/", "/stac-foreign/")):
                        self._stac(path)
                    else:
                        self._send(404, b"not found", "text/plain")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _prefix(self) -> str:
                parts = self.path.split("?")[0].split("/")
                return "/".join(parts[:3] if parts[1] == "stac-foreign" else parts[:2])

            def _base(self) -> str:
                return f"http://127.0.0.1:{server.port}{self._prefix()}"

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _drip(self, size: int) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                started = time.monotonic()
                for _ in range(size):
                    if server.stop.is_set() or time.monotonic() - started > MAX_SECONDS:
                        return
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    server.stop.wait(1.0)

            def _file(self, name: str) -> None:
                data = server.files.get(name)
                if data is None:
                    self._send(404, b"not found", "text/plain")
                    return
                ranged = self.headers.get("Range", "")
                if ranged.startswith("bytes="):
                    start_text, _, end_text = ranged[6:].partition("-")
                    start = int(start_text or 0)
                    end = min(int(end_text) if end_text else len(data) - 1, len(data) - 1)
                    body = data[start : end + 1]
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                    self.send_header("Content-Type", "image/tiff")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Accept-Ranges", "bytes")
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                    return
                self._send(200, data, "image/tiff")

            def _stac(self, path: str) -> None:
                base = self._base()
                tail = path[len(self._prefix()) :]
                if tail in ("/", ""):
                    self._send(200, json.dumps(_landing(base)).encode(), "application/json")
                    return
                if tail.startswith("/conformance"):
                    body = {"conformsTo": _landing(base)["conformsTo"]}
                    self._send(200, json.dumps(body).encode(), "application/json")
                    return
                if path.startswith("/stac-foreign/"):
                    other = path.split("/")[2]
                    nxt = f"http://127.0.0.1:{other}/stac-loop/search?page=2"
                else:
                    nxt = f"{base}/search"  # the very same page, for ever
                page = {
                    "type": "FeatureCollection",
                    "features": [_item(base, len(server.requests))],
                    "links": [{"rel": "next", "href": nxt, "method": "GET"}],
                }
                self._send(200, json.dumps(page).encode(), "application/geo+json")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add_file(self, name: str, path: Path) -> str:
        """Serve ``path`` at ``/file/<name>``; returns its URL."""
        self.files[name] = Path(path).read_bytes()
        return f"{self.url}/file/{name}"

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    """A running :class:`HostileServer`, stopped (and its handlers woken) on exit."""
    server = HostileServer().start()
    try:
        yield server
    finally:
        server.close()
