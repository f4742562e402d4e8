"""A small, bounded HTTP load generator for ``POST /credentials/verify`` (loopback only).

Runs in its own process (so its CPU is not the server's), opens ``--concurrency`` keep-alive
connections and sends the request bodies of ``--bodies`` (one JSON document per line) round-robin
until ``--requests`` requests are done or ``--seconds`` have passed. The first ``--warmup`` requests
are not counted. A request counts as good only when the answer is 200 with ``"verified": true``.
Prints one JSON object: counts, rate, median / p99 / max latency.

The client must cost the machine as little as possible: the service figure is taken on the same two
cores, so every microsecond the client spends is one the server does not get. It is therefore one
thread driving every connection with ``selectors`` (epoll), each request pre-encoded as one buffer
(request line, headers and body, sent in one ``send``), and each answer read with a minimal HTTP/1.1
response parser (status line, ``Content-Length``, body). ``http.client`` in one thread per
connection, as this script used before, spent a sizeable fraction of what the server spends per
request. The parser accepts only what the service sends (a
``Content-Length`` body, keep-alive); anything else is counted as a failed request with its reason.

Example::

    .venv/bin/python bench/loadgen.py --url http://127.0.0.1:8000/credentials/verify \\
        --bodies bodies.jsonl --concurrency 4 --requests 2000 --seconds 60
"""

from __future__ import annotations

import argparse
import json
import math
import selectors
import socket
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_RESPONSE_BYTES = 4 * 1024 * 1024  # an answer larger than this is a broken server, not a result
READ_SIZE = 65536


class ResponseError(Exception):
    """The answer is not an HTTP/1.1 response this client can read (counted as a failed request)."""


def encode_requests(host: str, port: int, path: str, bodies: list[bytes]) -> list[bytes]:
    """Each body as one complete HTTP/1.1 request (keep-alive is HTTP/1.1's default)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            "Accept: application/json\r\n")
    return [(head + f"Content-Length: {len(body)}\r\n\r\n").encode("ascii") + body for body in bodies]


def parse_response(buffer: bytearray) -> tuple[int, bytes, int] | None:
    """(status, body, bytes used) when ``buffer`` starts with a whole response, else None (read more).

    Raises ResponseError for anything but ``HTTP/1.x NNN`` with a ``Content-Length`` body and no
    ``Connection: close`` (the server would then drop the connection under the next request).
    """
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > 65536:
            raise ResponseError("no end of headers in the first 64 KiB")
        return None
    lines = bytes(buffer[:end]).split(b"\r\n")
    status_line = lines[0].split(b" ", 2)
    if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1.") or not status_line[1].isdigit():
        raise ResponseError(f"bad status line {lines[0][:80]!r}")
    length: int | None = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            if not value.strip().isdigit():
                raise ResponseError(f"bad Content-Length {value[:40]!r}")
            length = int(value)
        elif name == b"transfer-encoding":
            raise ResponseError("chunked answers are not expected from the service")
        elif name == b"connection" and value.strip().lower() == b"close":
            raise ResponseError("the server closes the connection")
    if length is None:
        raise ResponseError("no Content-Length")
    if length > MAX_RESPONSE_BYTES:
        raise ResponseError(f"an answer of {length} bytes")
    start = end + 4
    if len(buffer) < start + length:
        return None
    return int(status_line[1]), bytes(buffer[start:start + length]), start + length


def judge(status: int, body: bytes) -> str | None:
    """None for a good answer (200 and verified: true), else what was wrong with it."""
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    try:
        answer = json.loads(body)
    except ValueError as exc:
        return f"answered 200 with unreadable JSON: {exc}"
    if not isinstance(answer, dict) or answer.get("verified") is not True:
        return "answered 200 without verified: true"
    return None


class Connection:
    """One keep-alive connection: the request in flight, its start time and what has arrived."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=60)
        # one send per request already, but the server's answer must not wait for delayed ACKs either
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buffer = bytearray()
        self.number = -1
        self.started = 0.0
        self.served = 0  # requests answered on this connection

    def send(self, number: int, request: bytes) -> None:
        self.number = number
        self.buffer.clear()
        self.started = time.perf_counter()
        # the request (about 3 KB) fits the socket buffer of an idle keep-alive connection: one send;
        # a partial send (a larger body) finishes with a blocking sendall
        try:
            done = self.sock.send(request)
        except BlockingIOError:
            done = 0
        if done < len(request):
            self.sock.setblocking(True)
            try:
                self.sock.sendall(request[done:])
            finally:
                self.sock.setblocking(False)

    def close(self) -> None:
        self.sock.close()


def run(url: str, bodies: list[bytes], *, concurrency: int, requests: int, seconds: float,
        warmup: int, reconnect_every: int = 100) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK or parts.port is None:
        raise SystemExit("loadgen: only http://127.0.0.1:PORT/... (loopback) is allowed")
    host, port = parts.hostname, parts.port
    encoded = encode_requests(host, port, parts.path or "/", bodies)
    total = requests + warmup
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    bad = 0
    first_error: str | None = None
    started: float | None = None
    finished = 0.0
    sent = 0
    selector = selectors.DefaultSelector()

    def launch(connection: Connection) -> bool:
        nonlocal sent, started
        if sent >= total or time.perf_counter() >= deadline:
            return False
        if sent == warmup:
            started = time.perf_counter()
        connection.send(sent, encoded[sent % len(encoded)])
        sent += 1
        return True

    def record(number: int, latency: float, error: str | None) -> None:
        nonlocal bad, first_error, finished
        if number < warmup:
            return
        finished = time.perf_counter()
        latencies.append(latency)
        if error is not None:
            bad += 1
            first_error = first_error or error

    open_connections = 0
    for _ in range(concurrency):
        connection = Connection(host, port)
        if launch(connection):
            selector.register(connection.sock, selectors.EVENT_READ, connection)
            open_connections += 1
        else:
            connection.close()
    while open_connections:
        remaining = deadline + 120 - time.perf_counter()
        if remaining <= 0:
            break  # a server that stopped answering: what was measured so far is the result
        for key, _ in selector.select(timeout=min(remaining, 5.0)):
            connection = key.data
            error: str | None = None
            done = False
            try:
                chunk = connection.sock.recv(READ_SIZE)
                if not chunk:
                    raise ResponseError("the server closed the connection")
                connection.buffer += chunk
                parsed = parse_response(connection.buffer)
                if parsed is not None:
                    status, body, used = parsed
                    if used != len(connection.buffer):
                        raise ResponseError("more bytes than one answer")
                    error = judge(status, body)
                    done = True
            except BlockingIOError:
                continue
            except (OSError, ResponseError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                done = True
                # a connection in an unknown state is replaced, as a browser would
                selector.unregister(connection.sock)
                connection.close()
                fresh = Connection(host, port)
                fresh.number, fresh.started = connection.number, connection.started
                connection = fresh
                selector.register(connection.sock, selectors.EVENT_READ, connection)
            if done:
                record(connection.number, time.perf_counter() - connection.started, error)
                connection.served += 1
                if reconnect_every and connection.served >= reconnect_every and error is None:
                    # a keep-alive connection serves a bounded number of requests, as HTTP clients and
                    # proxies do (nginx's keepalive_requests): the next one may be accepted by another
                    # server process, which keeps the load spread over the workers
                    selector.unregister(connection.sock)
                    connection.close()
                    connection = Connection(host, port)
                    selector.register(connection.sock, selectors.EVENT_READ, connection)
                if not launch(connection):
                    selector.unregister(connection.sock)
                    connection.close()
                    open_connections -= 1
    for key in list(selector.get_map().values()):
        key.data.close()
    selector.close()
    latencies.sort()
    count = len(latencies)
    elapsed = (finished - started) if started is not None and count else 0.0

    def pct(fraction: float) -> float | None:
        if not latencies:
            return None
        rank = max(1, min(count, math.ceil(fraction * count)))  # nearest-rank percentile
        return round(latencies[rank - 1] * 1000, 3)

    return {"requests": count, "bad": bad, "first_error": first_error, "concurrency": concurrency,
            "elapsed_s": round(elapsed, 3), "rate_per_s": round(count / elapsed, 2) if elapsed > 0 else None,
            "median_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": round(latencies[-1] * 1000, 3) if latencies else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="http://127.0.0.1:PORT/credentials/verify")
    parser.add_argument("--bodies", type=Path, required=True, help="JSON lines, one request body each")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=1000, help="counted requests (after the warm-up)")
    parser.add_argument("--seconds", type=float, default=60.0, help="stop after this long in any case")
    parser.add_argument("--warmup", type=int, default=20, help="requests sent first and not counted")
    parser.add_argument("--reconnect-every", type=int, default=100,
                        help="requests per keep-alive connection before it is replaced (0: never)")
    args = parser.parse_args(argv)
    bodies = [line.encode("utf-8") for line in args.bodies.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not bodies:
        raise SystemExit("loadgen: no request bodies")
    print(json.dumps(run(args.url, bodies, concurrency=max(1, args.concurrency), requests=max(1, args.requests),
                         seconds=args.seconds, warmup=max(0, args.warmup),
                         reconnect_every=max(0, args.reconnect_every))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
