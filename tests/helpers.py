"""Test helpers: where ../shared is, loading its vectors, and skipping cleanly without it."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
VECTORS = SHARED / "reference" / "vectors"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def require_shared() -> Path:
    if not (SHARED / "reference").is_dir():
        pytest.skip(f"../shared is not present at {SHARED}: the public vectors and suites live there")
    return SHARED


def vector(name: str) -> Any:
    require_shared()
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class LoopbackHTTP:
    """The lifecycle of a test HTTP server on 127.0.0.1 (a free port): start, base URL, stop.

    Subclasses pass their request handler class; use as a context manager (or start()/stop()).
    Tests reach it with a Fetcher built with ``allow_loopback=True``.
    """

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.running = False

    def start(self) -> None:
        self.thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=5)
            self.running = False

    def __enter__(self) -> Any:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Route:
    """What a RoutedHTTP server answers on one path."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class RoutedHTTP(LoopbackHTTP):
    """A loopback server answering GET from ``routes`` (404 for anything else) and recording each request's
    path and headers; a route with an ``ETag`` answers 304 to a matching ``If-None-Match``. Tests change the
    routes while it runs (revocations, rotations, redirects, a server that stops answering)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path) or Route(404, b"")
                etag = route.headers.get("ETag")
                if etag is not None and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                try:
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading at its size cap: the point of some tests

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)

    def route(self, path: str, body: bytes, *, status: int = 200, headers: dict[str, str] | None = None) -> str:
        self.routes[path] = Route(status, body, dict(headers or {}))
        return self.base + path

    def hits(self, path: str) -> int:
        return sum(1 for seen, _ in self.requests if seen == path)
