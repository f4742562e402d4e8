"""ASGI middleware: request-size caps, a body-read deadline, the security headers of every answer, and
the refusal of cross-site requests that change state; a per-client rate limiter.

The cap is enforced on the bytes actually received, not only on Content-Length, so a chunked upload
cannot go past it. Bodies are never logged: this layer only counts them.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Strict CSP: same-origin scripts, styles and fonts only, no inline code, no third-party anything.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
BODY_READ_SECONDS = 20.0


class _TooLarge(Exception):
    pass


async def _problem(send: Send, status: int, code: str, detail: str) -> None:
    body = json.dumps({"type": f"https://omc-vc.ca/errors#{code}", "code": code, "title": detail,
                       "detail": detail}).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode("ascii")), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


class LimitsMiddleware:
    """Buffer each request body up to its cap (413 past it; 408 when it trickles in too slowly)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int,
                 upload_paths: tuple[str, ...] = ("/verify/upload",),
                 read_seconds: float = BODY_READ_SECONDS) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_upload = max_upload_bytes
        self.upload_paths = upload_paths
        self.read_seconds = read_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, _with_headers(send))
            return
        cap = self.max_upload if scope.get("path") in self.upload_paths else self.max_body
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _problem(send, 400, "BAD_REQUEST", "Content-Length is not a number")
                    return
                if declared > cap:
                    await _problem(send, 413, "REQUEST_TOO_LARGE", f"the request body is over {cap} bytes")
                    return
        try:
            # asyncio.timeout, not wait_for: no extra task per request (Python 3.11+)
            async with asyncio.timeout(self.read_seconds):
                body = await self._read(receive, cap)
        except _TooLarge:
            await _problem(send, 413, "REQUEST_TOO_LARGE", f"the request body is over {cap} bytes")
            return
        except TimeoutError:
            await _problem(send, 408, "REQUEST_TIMEOUT", "the request body arrived too slowly")
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, _with_headers(send))

    @staticmethod
    async def _read(receive: Receive, cap: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return wrapped


# --- cross-site requests ---------------------------------------------------------------------------------

#: Methods that never change state here; every other method is checked for a cross-site origin.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The content types an HTML form (or a no-cors fetch) may send to another site without a CORS preflight
#: (Fetch standard, CORS-safelisted request-header Content-Type): a JSON endpoint never takes them.
FORM_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
#: The page's own endpoints, which take text or a multipart upload from the page rather than JSON: for
#: them only the origin is checked.
PAGE_PATH_PREFIX = "/verify/"
#: Endpoints a standard makes take a form body: the OpenID4VCI token endpoint (RFC 6749 §4.1.3;
#: omc_vc.issue.oid4vci.TOKEN_PATH). It acts only on the single-use pre-authorized code the body itself carries,
#: never on anything a browser adds on its own, so a cross-site form gains nothing there.
FORM_PATHS = frozenset({"/oid4vci/token"})
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_key(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL (RFC 6454 §4), or None for "null" and anything unreadable."""
    try:
        parts = urlsplit(url.strip())
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host.lower(), port if port is not None else _DEFAULT_PORTS[scheme]


class SameOriginMiddleware:
    """Refuse state-changing requests sent by another site's page (cross-site request forgery).

    A request whose ``Sec-Fetch-Site`` (Fetch Metadata) is ``cross-site`` or ``same-site``, or whose
    ``Origin`` (RFC 6454 §7; browsers send it on every cross-origin POST and on same-origin ones) is not
    the service's own origin, is refused (403) before its body is read. Requests without these headers (curl,
    the CLI, server-to-server VC-API clients) pass: they cannot carry a visitor's browser with them. The
    JSON endpoints also refuse (415) the form content types (``FORM_CONTENT_TYPES``), which a cross-site
    form can send without a preflight even from a browser that sends no Origin.

    ``origin``: the service's public base URL. ``loopback_hosts``: when the service has no configured
    public URL, a page served on a loopback name (``localhost`` beside ``127.0.0.1``) is its own origin
    too; a name that is not loopback never is (DNS rebinding).
    """

    def __init__(self, app: ASGIApp, *, origin: str, loopback_hosts: bool = False) -> None:
        self.app = app
        self.origin = origin_key(origin)
        self.loopback_hosts = loopback_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is not None:
            # a foreign origin is forbidden (403); a form body on a JSON endpoint is an unsupported type (415)
            await _problem(send, 415 if refusal[0] == "UNSUPPORTED_CONTENT_TYPE" else 403, refusal[0], refusal[1])
            return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> tuple[str, str] | None:
        """(code, detail) when the request must be refused, else None."""
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.lower(), value)
        site = headers.get(b"sec-fetch-site", b"").decode("latin-1").strip().lower()
        if site in ("cross-site", "same-site"):
            return "CROSS_SITE_REQUEST", f"a {site} request cannot change anything here (Sec-Fetch-Site: {site})"
        origin = headers.get(b"origin")
        if origin is not None and not self._own(origin.decode("latin-1"), scope, headers):
            return "CROSS_SITE_REQUEST", ("a request from another site's page cannot change anything here "
                                          "(its Origin is not this service's; set public_url to the address "
                                          "browsers use)")
        path = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        if root and path.startswith(root):
            path = path[len(root):]
        if not path.startswith(PAGE_PATH_PREFIX) and path not in FORM_PATHS:
            kind = headers.get(b"content-type", b"").decode("latin-1").split(";", 1)[0].strip().lower()
            if kind in FORM_CONTENT_TYPES:
                return "UNSUPPORTED_CONTENT_TYPE", (f"this endpoint takes JSON (application/json), not {kind}: "
                                                    "a form post from another site cannot reach it")
        return None

    def _own(self, origin: str, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        key = origin_key(origin)
        if key is None:
            return False  # "null" (sandboxed frames, file: pages) is nobody's origin
        if key == self.origin:
            return True
        if not self.loopback_hosts or key[1].strip("[]") not in _LOOPBACK_NAMES:
            return False
        # a loopback page of this very server: the Origin names the Host the browser sent the request to
        host = headers.get(b"host", b"").decode("latin-1")
        return key == origin_key(f"{scope.get('scheme', 'http')}://{host}")


# --- rate limits -------------------------------------------------------------------------------------------

class RateLimiter:
    """A token bucket per client address: ``burst`` requests at once, refilled at ``per_minute``.

    Memory is bounded: at most ``max_clients`` addresses are tracked; when that many are, buckets that
    have refilled (the same as no bucket) are dropped, and if none has, new clients are refused until
    one does (fail closed rather than forget a client that is still limited).
    """

    def __init__(self, *, per_minute: float, burst: int, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)

    def allow(self, client: str) -> bool:
        """Take one token for ``client``; False when its bucket is empty (or too many clients are limited)."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= self.max_clients:
                    self._drop_full(now)
                    if len(self._buckets) >= self.max_clients:
                        return False
                tokens = self.burst
            else:
                tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return False
            self._buckets[client] = (tokens - 1.0, now)
            return True

    def _drop_full(self, now: float) -> None:
        for client in [c for c, (tokens, at) in self._buckets.items()
                       if tokens + (now - at) * self.rate >= self.burst]:
            del self._buckets[client]
