"""The service figure's load generators count only good answers (bench/loadgen.py, bench/wrk_verify.lua).

A client that counted a 400, an unverified 200 or a broken answer as a success would report a rate
the service never reached. Both clients run against a loopback server whose answers the test chooses.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO, LoopbackHTTP


def _load_bench_module(name: str) -> Any:
    """bench/NAME.py by path (bench/ is not a package, and putting it on sys.path would shadow names)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


loadgen = _load_bench_module("loadgen")

WRK_SCRIPT = REPO / "bench" / "wrk_verify.lua"


class _Answers(LoopbackHTTP):
    """POST answers cycling through ``plan`` (status, body); counts the requests it read."""

    def __init__(self, plan: list[tuple[int, bytes]]) -> None:
        self.plan = plan
        self.seen = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                json.loads(self.rfile.read(length))  # the body is the JSON line the client was given
                status, body = server.plan[server.seen % len(server.plan)]
                server.seen += 1
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)
        # wrk drops its connections when its time is up: not an error worth a traceback on stderr
        self.httpd.handle_error = lambda *args: None  # type: ignore[method-assign]


GOOD = (200, b'{"verified":true,"checks":["proof"]}')
UNVERIFIED = (200, b'{"verified":false}')
REFUSED = (400, b'{"verified":false,"errors":[{"code":"PROOF_VERIFICATION_ERROR"}]}')


@pytest.fixture
def bodies(tmp_path: Path) -> Path:
    path = tmp_path / "bodies.jsonl"
    path.write_text('{"verifiableCredential":{"id":"urn:a"}}\n{"verifiableCredential":{"id":"urn:b"}}\n',
                    encoding="utf-8")
    return path


def test_parse_response_reads_one_whole_answer() -> None:
    answer = bytearray(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 17\r\n\r\n"
                       b'{"verified":true}')
    assert loadgen.parse_response(answer[:-3]) is None  # the body is not all there yet
    assert loadgen.parse_response(answer) == (200, b'{"verified":true}', len(answer))


@pytest.mark.parametrize(("head", "why"), [
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "chunked"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", "closes"),
    (b"HTTP/1.1 200 OK\r\n\r\n", "no Content-Length"),
    (b"SMTP ready\r\n\r\n", "bad status line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: x1\r\n\r\n", "bad Content-Length"),
])
def test_parse_response_refuses_what_the_service_never_sends(head: bytes, why: str) -> None:
    with pytest.raises(loadgen.ResponseError, match=why):
        loadgen.parse_response(bytearray(head))


def test_judge_counts_only_verified_200s() -> None:
    assert loadgen.judge(*GOOD) is None
    assert loadgen.judge(*UNVERIFIED) == "answered 200 without verified: true"
    assert (loadgen.judge(*REFUSED) or "").startswith("HTTP 400")
    assert (loadgen.judge(200, b"not json") or "").startswith("answered 200 with unreadable JSON")


def test_loadgen_counts_bad_answers_and_reconnects(bodies: Path) -> None:
    with _Answers([GOOD, GOOD, UNVERIFIED, REFUSED]) as server:
        report = loadgen.run(server.base + "/credentials/verify",
                             [line.encode() for line in bodies.read_text().splitlines()],
                             concurrency=2, requests=40, seconds=30, warmup=0, reconnect_every=5)
    assert report["requests"] == 40 and server.seen == 40
    assert report["bad"] == 20  # half the answers were not a verified 200
    assert report["first_error"] in ("answered 200 without verified: true", f"HTTP 400: {REFUSED[1]!r}")


def test_loadgen_refuses_non_loopback_urls(bodies: Path) -> None:
    with pytest.raises(SystemExit, match="loopback"):
        loadgen.run("http://example.com:80/credentials/verify", [b"{}"], concurrency=1, requests=1,
                    seconds=1, warmup=0)


def test_wrk_script_counts_bad_answers(bodies: Path) -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        pytest.skip("wrk is not installed (make bench installs it); bench/loadgen.py stands in without it")
    with _Answers([GOOD, UNVERIFIED, GOOD, REFUSED]) as server:
        done = subprocess.run([wrk, "-t1", "-c2", "-d1s", "-s", str(WRK_SCRIPT), server.base + "/credentials/verify"],
                              env={**os.environ, "BODIES": str(bodies)}, capture_output=True, text=True,
                              timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])
    assert report["client"] == "wrk" and report["requests"] > 0
    # every second answer was bad (an unverified 200 or a 400); wrk may stop with a request in flight
    assert abs(report["bad"] - report["requests"] / 2) <= 2, report
    assert report["first_error"]
