"""A small, bounded HTTP load generator for ``POST /credentials/verify`` (loopback only).

Runs in its own process (so its CPU is not the server's), opens ``--concurrency`` keep-alive
connections, each in a thread, and sends the request bodies of ``--bodies`` (one JSON document per
line) round-robin until ``--requests`` requests are done or ``--seconds`` have passed. The first
``--warmup`` requests are not counted. A request counts as good only when the answer is 200 with
``"verified": true``. Prints one JSON object: counts, rate, median / p99 / max latency.

Example::

    .venv/bin/python bench/loadgen.py --url http://127.0.0.1:8000/credentials/verify \\
        --bodies bodies.jsonl --concurrency 4 --requests 2000 --seconds 60
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class Shared:
    """State the sender threads share: the next request number, the results, the deadline."""

    def __init__(self, bodies: list[bytes], total: int, warmup: int, deadline: float) -> None:
        self.bodies = bodies
        self.total = total
        self.warmup = warmup
        self.deadline = deadline
        self.next = 0
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.bad = 0
        self.first_error: str | None = None
        self.started: float | None = None
        self.finished = 0.0

    def take(self) -> int | None:
        with self.lock:
            if self.next >= self.total + self.warmup or time.perf_counter() >= self.deadline:
                return None
            number = self.next
            self.next += 1
            if number == self.warmup:
                self.started = time.perf_counter()
            return number

    def record(self, number: int, latency: float, error: str | None) -> None:
        with self.lock:
            if number < self.warmup:
                return
            self.finished = time.perf_counter()
            self.latencies.append(latency)
            if error is not None:
                self.bad += 1
                self.first_error = self.first_error or error


def connect(host: str, port: int) -> http.client.HTTPConnection:
    """A keep-alive connection with TCP_NODELAY, as load generators (wrk) and browsers use.

    http.client sends a request's headers and body in two writes; without TCP_NODELAY, Nagle's
    algorithm holds the body back until the server ACKs the headers, and the server delays that ACK
    (up to 40 ms on Linux): the client itself would add tens of milliseconds to every request.
    """
    connection = http.client.HTTPConnection(host, port, timeout=60)
    connection.connect()
    assert connection.sock is not None
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def sender(host: str, port: int, path: str, shared: Shared) -> None:
    connection = connect(host, port)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    try:
        while (number := shared.take()) is not None:
            body = shared.bodies[number % len(shared.bodies)]
            start = time.perf_counter()
            error: str | None = None
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                if response.status != 200:
                    error = f"HTTP {response.status}: {data[:200]!r}"
                elif json.loads(data).get("verified") is not True:
                    error = "answered 200 without verified: true"
            except (OSError, http.client.HTTPException, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                connection.close()
                connection = connect(host, port)
            shared.record(number, time.perf_counter() - start, error)
    finally:
        connection.close()


def run(url: str, bodies: list[bytes], *, concurrency: int, requests: int, seconds: float,
        warmup: int) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK or parts.port is None:
        raise SystemExit("loadgen: only http://127.0.0.1:PORT/... (loopback) is allowed")
    shared = Shared(bodies, requests, warmup, time.perf_counter() + seconds)
    threads = [threading.Thread(target=sender, args=(parts.hostname, parts.port, parts.path, shared), daemon=True)
               for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    latencies = sorted(shared.latencies)
    count = len(latencies)
    elapsed = (shared.finished - shared.started) if shared.started is not None and count else 0.0

    def pct(fraction: float) -> float | None:
        if not latencies:
            return None
        rank = max(1, min(count, math.ceil(fraction * count)))  # nearest-rank percentile
        return round(latencies[rank - 1] * 1000, 3)

    return {"requests": count, "bad": shared.bad, "first_error": shared.first_error, "concurrency": concurrency,
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
    args = parser.parse_args(argv)
    bodies = [line.encode("utf-8") for line in args.bodies.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not bodies:
        raise SystemExit("loadgen: no request bodies")
    print(json.dumps(run(args.url, bodies, concurrency=max(1, args.concurrency), requests=max(1, args.requests),
                         seconds=args.seconds, warmup=max(0, args.warmup))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
