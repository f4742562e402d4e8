"""ASGI middleware: request-size caps, a body-read deadline, and the security headers of every answer.

The cap is enforced on the bytes actually received, not only on Content-Length, so a chunked upload
cannot go past it. Bodies are never logged: this layer only counts them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Strict CSP: same-origin scripts and styles only, no inline code, no third-party anything.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
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
