"""uvicorn plumbing for ``omc serve``: the HTTP protocol class, the server options, and the listening
socket it binds itself (:func:`bind_listener`) and hands to uvicorn (:func:`run_uvicorn`).

Every response of the service is two writes (the ASGI ``http.response.start`` headers, then the
body). With Nagle's algorithm on, the body waits for the client's delayed ACK of the headers, about
40 ms per request on Linux. asyncio only turns Nagle off on accepted sockets whose listening socket was
created with ``IPPROTO_TCP``; uvicorn's many-worker path binds its socket with protocol 0, so there it
never is. :class:`NoDelayH11` sets ``TCP_NODELAY`` on every connection itself, whoever bound the socket.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from omc_vc.errors import ConfigError
from omc_vc.i18n import Message

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


#: The listen backlog, as uvicorn's default (``--backlog``).
BACKLOG = 2048


def bind_listener(host: str, port: int) -> socket.socket:
    """Bind and listen on ``host:port`` before anything is served or announced.

    ``omc serve`` binds the socket itself and hands it to uvicorn, so that a port in use is a
    :class:`~omc_vc.errors.ConfigError` with a code of its own (``SERVE_ADDRESS_IN_USE``,
    ``SERVE_PERMISSION_DENIED``, ``SERVE_ADDRESS_UNAVAILABLE``) and "listening" is only said once the
    socket is ours: uvicorn's own bind logs the raw ``[Errno 98]`` and exits 3, after we have spoken.

    The socket is made as uvicorn's ``Config.bind_socket`` makes it (IPv6 when the host has a colon,
    ``IPPROTO_TCP``, ``SO_REUSEADDR`` so a port in TIME_WAIT can be reused, inheritable for the worker
    processes), and it listens at once: on Linux a second ``SO_REUSEADDR`` socket may be *bound* to a port
    another one has bound but not yet listened on; ``listen`` is where that conflict shows.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    shown = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
    sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except socket.gaierror as exc:
        sock.close()
        raise ConfigError(Message("cannot listen on {address}: the host name does not resolve ({why})", address=shown,
                                  why=str(exc.strerror)), code="SERVE_ADDRESS_UNAVAILABLE") from None
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(Message("{address} is already in use by another program: choose another port (--port, "
                                      "or port: in --config) or stop that program", address=shown),
                              code="SERVE_ADDRESS_IN_USE") from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise ConfigError(Message("not allowed to listen on {address} (ports below 1024 need privileges): "
                                      "choose another port", address=shown), code="SERVE_PERMISSION_DENIED") from None
        raise ConfigError(Message("cannot listen on {address}: {why} (is the host an address of this machine?)",
                                  address=shown, why=str(exc.strerror or exc)),
                          code="SERVE_ADDRESS_UNAVAILABLE") from None
    sock.set_inheritable(True)
    return sock


def run_uvicorn(app: Any, sock: socket.socket, options: dict[str, Any], *, workers: int = 1) -> None:
    """Serve ``app`` on the socket :func:`bind_listener` bound, in this process or in ``workers`` processes.

    What ``uvicorn.run`` does once it has bound its own socket: one worker runs the server here; more
    run uvicorn's ``Multiprocess`` supervisor, each worker process serving the inherited socket (``app``
    is then an import string of a factory, read again in each worker). Ctrl-C (which uvicorn re-raises
    after a graceful shutdown) ends it quietly, as it ends ``uvicorn.run``.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    try:
        if workers == 1:
            server = uvicorn.Server(uvicorn.Config(app, **options))
            server.run(sockets=[sock])
            if not server.started:  # the application's startup failed: uvicorn has logged why
                raise ConfigError(Message("the service did not start (see the log above)"), code="SERVE_START_FAILED")
        else:
            Multiprocess(uvicorn.Config(app, factory=True, workers=workers, **options), sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
