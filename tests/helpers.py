"""Test helpers: where ../shared is, loading its vectors, and skipping cleanly without it."""

from __future__ import annotations

import json
import threading
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
