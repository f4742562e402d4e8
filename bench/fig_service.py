"""Figure 5: the verifier service, ``POST /credentials/verify`` on loopback under load.

1. The in-process rate: the same request bodies verified in this process through the VC-API logic the
   endpoint runs (``omc_vc.web.vcapi.verify_credential`` with the service's verifiers), one after
   another, no HTTP.
2. ``omc serve`` is started as a child process with ``workers`` worker processes (the usable CPUs),
   offline, the institution's signed status lists hosted (so pinned, never fetched), a shares folder.
3. ``bench/loadgen.py`` (a separate process) sends the requests over keep-alive connections.

Figures: service rate / (in-process rate x workers) >= 0.6, and p99 latency / median < 10.
The request bodies cycle through a pool of distinct signed OMCs (a different credential, hence a
different proof configuration, for each request in a row).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
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


def _in_process_rate(config_path: Path, bodies: list[dict[str, Any]], plan: Plan) -> float:
    from omc_vc.web.app import Service
    from omc_vc.web.config import load_config
    from omc_vc.web.vcapi import verify_credential

    service = Service(load_config(config_path))
    try:
        verifiers = service.api_verifiers()
        for body in bodies[:2]:
            status, answer = verify_credential(body, verifiers)
            if status != 200 or answer.get("verified") is not True:
                raise RuntimeError(f"in-process verification failed: {answer.get('errors')}")
        source = cycle(bodies)
        for _ in range(plan.warmup * 2):
            verify_credential(next(source), verifiers)
        count = max(len(bodies), plan.rounds * plan.inner * 2)
        start = time.perf_counter()
        for _ in range(count):
            verify_credential(next(source), verifiers)
        return count / (time.perf_counter() - start)
    finally:
        service.close()


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
    try:
        port = _free_port()
        config_path = _write_service(scratch, inst, port, workers)
        bodies = [{"verifiableCredential": credential} for credential in pool]
        in_process = _in_process_rate(config_path, bodies, plan)
        bodies_file = scratch / "bodies.jsonl"
        bodies_file.write_text("".join(json.dumps(b, separators=(",", ":")) + "\n" for b in bodies), encoding="utf-8")
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "omc_vc.cli.main", "serve", "--config", str(config_path), "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_ready(port, process, 60)
        load = subprocess.run(  # noqa: S603
            [sys.executable, str(HERE / "loadgen.py"), "--url", f"http://127.0.0.1:{port}/credentials/verify",
             "--bodies", str(bodies_file), "--concurrency", str(plan.service_concurrency),
             "--requests", str(plan.service_requests), "--seconds", str(plan.service_seconds),
             "--warmup", str(max(4, plan.service_concurrency * 4))],
            stdout=subprocess.PIPE, text=True, check=False, timeout=plan.service_seconds + 180)
        if load.returncode != 0:
            raise RuntimeError(f"loadgen.py exited with {load.returncode}")
        report: dict[str, Any] = json.loads(load.stdout.strip().splitlines()[-1])
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
        return [errored(rate_id, rate_title, "x", THROUGHPUT_TARGET, ">=", why),
                errored(tail_id, tail_title, "x", TAIL_TARGET, "<", why)]
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(scratch, ignore_errors=True)
    details = {"workers": workers, "in_process_rate_per_s": round(in_process, 2), **report}
    if report["bad"] or not report["requests"] or not report["rate_per_s"]:
        why = f"{report['bad']} of {report['requests']} requests failed (first: {report['first_error']})"
        return [errored(rate_id, rate_title, "x", THROUGHPUT_TARGET, ">=", why),
                errored(tail_id, tail_title, "x", TAIL_TARGET, "<", why)]
    return [
        judged(rate_id, rate_title, report["rate_per_s"] / (in_process * workers), "x", THROUGHPUT_TARGET, ">=",
               note=f"omc serve --workers {workers}, {plan.service_concurrency} keep-alive connections from "
                    "bench/loadgen.py in a separate process", details=details),
        judged(tail_id, tail_title, report["p99_ms"] / report["median_ms"], "x", TAIL_TARGET, "<",
               note="latencies as the load generator sees them", details=details),
    ]
