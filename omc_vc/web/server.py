"""uvicorn plumbing for ``omc serve``: the HTTP protocol class and the server options.

Every response of the service is two writes (the ASGI ``http.response.start`` headers, then the
body). With Nagle's algorithm on, the body waits for the client's delayed ACK of the headers, about
40 ms per request on Linux. asyncio only turns Nagle off on accepted sockets whose listening socket was
created with ``IPPROTO_TCP``; uvicorn's many-worker path binds its socket with protocol 0, so there it
never is. :class:`NoDelayH11` sets ``TCP_NODELAY`` on every connection itself, whoever bound the socket.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HttpToolsProtocol: Any
try:  # the C HTTP parser and event loop (uvicorn's "standard" extras): less CPU per request
    import httptools  # noqa: F401
    import uvloop  # noqa: F401
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - both are dependencies of omc-vc; h11 and asyncio still work
    HttpToolsProtocol = None

_TCP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


def set_nodelay(transport: asyncio.BaseTransport) -> bool:
    """Turn Nagle off on a TCP transport's socket; True when ``TCP_NODELAY`` is now set.

    A transport without a TCP socket (a Unix socket, a test double) is left alone. Failing to set the
    option only costs latency, never correctness, so an ``OSError`` (the peer already gone) is ignored.
    """
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in _TCP_FAMILIES or sock.type != socket.SOCK_STREAM:
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        return False
    return True


def nodelay_is_set(transport: asyncio.BaseTransport) -> bool:
    """Whether the transport's socket has ``TCP_NODELAY`` set (what :func:`set_nodelay` guarantees)."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in _TCP_FAMILIES:
        return False
    try:
        return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    except OSError:
        return False


class NoDelayH11(H11Protocol):
    """uvicorn's h11 protocol with Nagle turned off on each accepted connection.

    A module-level class so that uvicorn's worker processes (spawned, the configuration pickled) find it
    by name.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


if HttpToolsProtocol is not None:

    class NoDelayHttpTools(HttpToolsProtocol):  # type: ignore[misc]
        """uvicorn's httptools protocol with Nagle turned off on each accepted connection."""

        def connection_made(self, transport: asyncio.Transport) -> None:
            set_nodelay(transport)
            super().connection_made(transport)


def http_protocol() -> type:
    """The HTTP protocol class: httptools (C parser) when installed, else h11; Nagle off either way."""
    return NoDelayHttpTools if HttpToolsProtocol is not None else NoDelayH11


def uvicorn_options(host: str, port: int, log_level: str) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` shared by the one-worker and the many-worker paths."""
    # access_log=False: request lines can carry share ids; bodies are never logged anywhere
    return {"host": host, "port": port, "access_log": False, "log_level": log_level, "server_header": False,
            "timeout_keep_alive": 5, "limit_concurrency": 256, "proxy_headers": False, "http": http_protocol(),
            "loop": "uvloop" if HttpToolsProtocol is not None else "asyncio"}
