"""Figure 5: the verifier service, ``POST /credentials/verify`` on loopback under load.

1. The in-process rate: the same request bodies verified in this process through the VC-API logic the
   endpoint runs (``omc_vc.web.vcapi.verify_credential`` with the service's verifiers), one after
   another, no HTTP.
2. ``omc serve`` is started as a child process with ``workers`` worker processes (the usable CPUs),
   offline, the institution's signed status lists hosted (so pinned, never fetched), a shares folder.
3. ``wrk`` (with ``bench/wrk_verify.lua``; ``bench/loadgen.py`` when wrk is not installed), a separate
   process, sends the requests over keep-alive connections, each replaced after about 100 requests
   as clients and proxies do (so no worker is left with all of them).

The two are measured in interleaved rounds (in-process, load, in-process, load, ..., in-process; each
round's in-process rate is the mean of the measurements around it), since the machine's speed drifts.
Figures: the median over the rounds of service rate / (in-process rate x workers) >= 0.6, and the
worst round's p99 latency / median < 10.
The request bodies cycle through a pool of distinct signed OMCs (a different credential, hence a
different proof configuration, for each request in a row).
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path
from typing import Any

from common import Figure, Plan, errored, first_missing, judged, not_measured
from world import Institution, status_documents

HERE = Path(__file__).resolve().parent
THROUGHPUT_TARGET = 0.6
TAIL_TARGET = 10.0
STATUS_PUBLIC_URL = "https://college.example.ca"  # the sample institution's status lists live under /status/


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_service(folder: Path, inst: Institution, port: int, workers: int) -> Path:
    """serve.yaml + the hosted status lists (pinned by the service) + a shares folder."""
    status_dir = folder / "status"
    status_dir.mkdir(parents=True)
    prefix = f"{STATUS_PUBLIC_URL}/status/"
    for url, document in status_documents(inst).items():
        if not url.startswith(prefix):
            raise RuntimeError(f"status list {url} is not under {prefix}")
        (status_dir / url.removeprefix(prefix)).write_text(json.dumps(document), encoding="utf-8")
    (folder / "shares").mkdir()
    config = {"host": "127.0.0.1", "port": port, "workers": workers, "public_url": STATUS_PUBLIC_URL,
              "offline": True, "hosted": {"status_dir": str(status_dir)}, "shares": {"dir": str(folder / "shares")}}
    path = folder / "serve.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return path


class _InProcess:
    """The in-process rate: ``verify_credential`` with the service's own verifiers, no HTTP, one thread."""

    def __init__(self, config_path: Path, bodies: list[dict[str, Any]], plan: Plan) -> None:
        from omc_vc.web.app import Service
        from omc_vc.web.config import load_config
        from omc_vc.web.vcapi import verify_credential

        self.verify = verify_credential
        self.service = Service(load_config(config_path))
        self.verifiers = self.service.api_verifiers()
        self.bodies = bodies
        self.source = cycle(bodies)
        # about a second: as long as a load round, so both see the same stretch of the machine's drift
        self.count = max(len(bodies), plan.rounds * plan.inner * 12)
        for body in bodies[:2]:
            status, answer = verify_credential(body, self.verifiers)
            if status != 200 or answer.get("verified") is not True:
                raise RuntimeError(f"in-process verification failed: {answer.get('errors')}")
        for _ in range(plan.warmup * 2):
            verify_credential(next(self.source), self.verifiers)

    def rate(self) -> float:
        """Verifications per second over ``count`` bodies in a row (wall clock, as the load generator's)."""
        # the pool of request bodies is the benchmark's own fixture (a service worker holds no such thing):
        # out of the garbage collector's sight (gc.freeze), so full collections do not walk it
        gc.collect()
        gc.freeze()
        try:
            start = time.perf_counter()
            for _ in range(self.count):
                self.verify(next(self.source), self.verifiers)
            return self.count / (time.perf_counter() - start)
        finally:
            gc.unfreeze()

    def close(self) -> None:
        self.service.close()


class _Client:
    """The load generator: ``wrk`` (C, with bench/wrk_verify.lua) when installed, else bench/loadgen.py.

    Both run in their own process on the same two cores as the server, so the cheaper the client, the
    more of the machine the server gets: wrk spends about half the CPU per request that loadgen.py
    does. ``make bench`` installs wrk (Debian package) when it can; the figure's details say which
    client ran.
    """

    def __init__(self, url: str, bodies_file: Path, plan: Plan) -> None:
        self.url = url
        self.bodies_file = bodies_file
        self.plan = plan
        self.wrk = shutil.which("wrk") if not plan.quick else None
        self.name = "wrk" if self.wrk else "bench/loadgen.py"

    def warm_up(self) -> None:
        if self.wrk:
            self._wrk(1)  # loadgen.py warms up inside each run (--warmup)

    def load(self, requests: int) -> dict[str, Any]:
        if self.wrk:
            # wrk runs for a time, not a count: about as long as loadgen.py takes for ``requests``
            return self._wrk(max(1, round(requests / 1500)))
        plan = self.plan
        done = subprocess.run(  # noqa: S603
            [sys.executable, str(HERE / "loadgen.py"), "--url", self.url, "--bodies", str(self.bodies_file),
             "--concurrency", str(plan.service_concurrency), "--requests", str(requests),
             "--seconds", str(plan.service_seconds), "--warmup", str(max(4, plan.service_concurrency * 4))],
            stdout=subprocess.PIPE, text=True, check=False, timeout=plan.service_seconds + 180)
        if done.returncode != 0:
            raise RuntimeError(f"loadgen.py exited with {done.returncode}")
        return {"client": self.name, **json.loads(done.stdout.strip().splitlines()[-1])}

    def _wrk(self, seconds: int) -> dict[str, Any]:
        assert self.wrk is not None
        done = subprocess.run(  # noqa: S603
            [self.wrk, "-t1", f"-c{self.plan.service_concurrency}", f"-d{seconds}s", "--timeout", "30s",
             "-s", str(HERE / "wrk_verify.lua"), self.url],
            env={**os.environ, "BODIES": str(self.bodies_file)}, capture_output=True, text=True, check=False,
            timeout=seconds + 120)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr.strip()[:300]}")
        report: dict[str, Any] = json.loads(lines[-1])
        report["concurrency"] = self.plan.service_concurrency
        return report


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"omc serve exited with {process.returncode} before answering")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return
            connection.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"omc serve did not answer /healthz within {timeout:.0f}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server this figure started (its own process group: uvicorn's workers included)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=20)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


def service_figures(inst: Institution, plan: Plan, pool: list[dict[str, Any]]) -> list[Figure]:
    rate_id, rate_title = "service-throughput", "POST /credentials/verify rate / (in-process verify rate x workers)"
    tail_id, tail_title = "service-p99-vs-median", "POST /credentials/verify p99 latency / median latency"
    missing = first_missing("omc_vc.web.app", "omc_vc.web.vcapi", "uvicorn")
    if missing:
        why = f"not measured (module missing: {missing})"
        return [not_measured(rate_id, rate_title, "x", THROUGHPUT_TARGET, ">=", why),
                not_measured(tail_id, tail_title, "x", TAIL_TARGET, "<", why)]
    workers = plan.service_workers
    scratch = Path(tempfile.mkdtemp(prefix="omc-bench-service-"))
    process: subprocess.Popen[bytes] | None = None
    in_process: _InProcess | None = None
    segments: list[dict[str, Any]] = []
    try:
        port = _free_port()
        config_path = _write_service(scratch, inst, port, workers)
        bodies = [{"verifiableCredential": credential} for credential in pool]
        in_process = _InProcess(config_path, bodies, plan)
        bodies_file = scratch / "bodies.jsonl"
        bodies_file.write_text("".join(json.dumps(b, separators=(",", ":")) + "\n" for b in bodies), encoding="utf-8")
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "omc_vc.cli.main", "serve", "--config", str(config_path), "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_ready(port, process, 60)
        # interleaved rounds (bench/common.py): in-process, load, in-process, load, ..., in-process; each
        # round's ratio uses the mean of the in-process rates measured just before and just after it
        rounds = max(1, plan.service_rounds)
        url = f"http://127.0.0.1:{port}/credentials/verify"
        client = _Client(url, bodies_file, plan)
        client.warm_up()
        before = in_process.rate()
        for _ in range(rounds):
            report = client.load(max(1, plan.service_requests // rounds))
            after = in_process.rate()
            segments.append({**report, "in_process_rate_per_s": round((before + after) / 2, 2)})
            before = after
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
        return [errored(rate_id, rate_title, "x", THROUGHPUT_TARGET, ">=", why),
                errored(tail_id, tail_title, "x", TAIL_TARGET, "<", why)]
    finally:
        if process is not None:
            _stop(process)
        if in_process is not None:
            in_process.close()
        shutil.rmtree(scratch, ignore_errors=True)
    broken = next((r for r in segments if r["bad"] or not r["requests"] or not r["rate_per_s"]), None)
    if broken is not None:
        why = f"{broken['bad']} of {broken['requests']} requests failed (first: {broken['first_error']})"
        return [errored(rate_id, rate_title, "x", THROUGHPUT_TARGET, ">=", why),
                errored(tail_id, tail_title, "x", TAIL_TARGET, "<", why)]
    ratios = [r["rate_per_s"] / (r["in_process_rate_per_s"] * workers) for r in segments]
    tails = [r["p99_ms"] / r["median_ms"] for r in segments]
    summary: dict[str, Any] = {key: round(statistics.median(r[key] for r in segments), 3)
                               for key in ("rate_per_s", "in_process_rate_per_s", "median_ms", "p99_ms")}
    summary["requests"] = sum(r["requests"] for r in segments)
    summary["bad"] = 0
    summary["rounds"] = [{"ratio": round(x, 4), **r} for x, r in zip(ratios, segments, strict=True)]
    details = {"workers": workers, "concurrency": plan.service_concurrency, "client": segments[0]["client"],
               **summary}
    return [
        judged(rate_id, rate_title, statistics.median(ratios), "x", THROUGHPUT_TARGET, ">=",
               note=f"omc serve --workers {workers}, {plan.service_concurrency} keep-alive connections from "
                    f"{segments[0]['client']} in a separate process; median of {len(ratios)} interleaved rounds",
               details=details),
        judged(tail_id, tail_title, max(tails), "x", TAIL_TARGET, "<",
               note="latencies as the load generator sees them; the worst of the rounds", details=details),
    ]
