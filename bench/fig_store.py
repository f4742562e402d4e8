"""The ``store`` figures: issuing through ``omc serve`` on the shared PostgreSQL store, against SQLite.

1. A throwaway PostgreSQL cluster is started on loopback (tests/pgcluster.py: ``initdb`` + ``pg_ctl``, run as
   an unprivileged user when the bench runs as root), the institution's schema migrated with
   ``omc store migrate``.
2. Three ``omc serve`` processes (one worker each) issue for the same VC-API-only institution (an encrypted
   Ed25519 key, a bearer token): one on an SQLite state folder, two on the one PostgreSQL schema.
3. In each round, ``POST /credentials/issue`` (a small credential with a revocation status entry) is sent by
   ``concurrency`` client threads to: the SQLite process; the first PostgreSQL process; both PostgreSQL
   processes (requests alternate between them, as a load balancer would). The order of the three
   alternates from round to round; each figure is the median over rounds of the per-round ratio to the
   SQLite rate (bench/common.py's rule for ratios).
4. Status-change latency across processes: a credential is revoked through one PostgreSQL process
   (``POST /credentials/status``) and its list fetched from the other until the bit shows: the median time
   from sending the change to reading it, re-signing of the list included.

The figures are informational (no target): on a machine with two cores the client, the server processes
and PostgreSQL share them, so the two-process figure says what a second process costs or gains there, not
what it gains on a host of its own.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from common import Figure, Plan, errored, info, not_measured

REPO = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-" + "z" * 24
PASSPHRASE = "bench passphrase"  # noqa: S105 - a throwaway key made for the run
PUBLIC = "https://issuing.bench.example"

FIGURES: list[tuple[str, str, str]] = [
    ("store-issue-sqlite-rate", "VC-API issue rate, one process, SQLite", "per s"),
    ("store-issue-pg1-vs-sqlite", "issue rate, one process on PostgreSQL / one on SQLite", "x"),
    ("store-issue-pg2-vs-sqlite", "issue rate, two processes on one PostgreSQL / one on SQLite", "x"),
    ("store-status-latency-ms", "revoke via one process until the other serves the bit (median)", "ms"),
]


def _all(make: Callable[[str, str, str], Figure]) -> list[Figure]:
    return [make(fid, title, unit) for fid, title, unit in FIGURES]


def store_figures(plan: Plan, scratch: Path) -> list[Figure]:
    sys.path.insert(0, str(REPO))
    from tests import pgcluster

    problem = pgcluster.problem()
    if problem is not None:
        return _all(lambda fid, title, unit: not_measured(fid, title, unit, None, None, f"not measured: {problem}"))
    cluster = pgcluster.start_cluster()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        folder = Path(tempfile.mkdtemp(prefix="store-", dir=scratch))
        sqlite_yaml, pg_yaml, env, did = _deployment(folder, cluster)
        migrated = subprocess.run([sys.executable, "-m", "omc_vc.cli.main", "store", "migrate", "--serve-config",  # noqa: S603
                                   str(pg_yaml)], env=env, capture_output=True, text=True, timeout=120)
        if migrated.returncode != 0:
            raise RuntimeError(f"omc store migrate failed: {migrated.stderr.strip()}")
        urls = []
        for config in (sqlite_yaml, pg_yaml, pg_yaml):
            process, url = _start(config, env)
            processes.append(process)
            urls.append(url)
        return _measure(plan, urls, did)
    except Exception as exc:  # the measurement broke: say why, never a made-up number
        why = f"{type(exc).__name__}: {exc}"
        return _all(lambda fid, title, unit: errored(fid, title, unit, None, None, why))
    finally:
        for process in processes:
            _stop(process)
        cluster.stop()


def _deployment(folder: Path, cluster: Any) -> tuple[Path, Path, dict[str, str], str]:
    """The two service configurations (the same institution: one key, one token; SQLite or PostgreSQL), the
    environment the processes read them with, and the DID the institution issues as (its key's did:key)."""
    from omc_vc.keys import KeyPair, save_key

    key = KeyPair.generate()
    save_key(folder / "issuer.key", key, PASSPHRASE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMC_")}
    env.update({"OMC_BENCH_PASS": PASSPHRASE, "OMC_BENCH_TOKEN": TOKEN, "OMC_BENCH_STORE": cluster.url()})
    common = ("  keys: [issuer.key]\n  passphrase_env: OMC_BENCH_PASS\n  token_env: OMC_BENCH_TOKEN\n"
              f"  status: {{base_url: {PUBLIC}/status/}}\n")
    sqlite_yaml, pg_yaml = folder / "sqlite.yaml", folder / "pg.yaml"
    head = f"public_url: {PUBLIC}\noffline: true\ninstitution:\n"
    sqlite_yaml.write_text(head + common + "  state_dir: state\n", encoding="utf-8")
    pg_yaml.write_text(head + common + f"  store: {{url_env: OMC_BENCH_STORE, schema: {cluster.new_schema()}}}\n",
                       encoding="utf-8")
    return sqlite_yaml, pg_yaml, env, key.controller


def _start(config: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    import requests

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen([sys.executable, "-m", "omc_vc.cli.main", "serve", "--config", str(config),  # noqa: S603
                                "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"omc serve exited with {process.returncode} before answering")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("omc serve did not answer /healthz within 60s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


_BODY = {"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                        "credentialSubject": {"id": "did:example:learner", "name": "Bench Learner"}},
         "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}}


class _Client:
    """Sends issue requests with a session per thread (kept-alive connections, as a load balancer keeps)."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.local = threading.local()

    def issue(self, url: str) -> dict[str, Any]:
        import requests

        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        body = {**_BODY, "credential": {**_BODY["credential"], "issuer": self.issuer}}
        answer = session.post(f"{url}/credentials/issue", json=body, timeout=60,
                              headers={"Authorization": f"Bearer {TOKEN}"})
        if answer.status_code != 201:
            raise RuntimeError(f"issue answered {answer.status_code}: {answer.text[:200]}")
        credential: dict[str, Any] = answer.json()["verifiableCredential"]
        return credential

    def rate(self, urls: list[str], count: int, concurrency: int) -> float:
        """Credentials per second for ``count`` requests spread over ``urls`` in turn."""
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(lambda n: self.issue(urls[n % len(urls)]), range(count)))
        return count / (time.perf_counter() - started)


def _measure(plan: Plan, urls: list[str], did: str) -> list[Figure]:
    sqlite_url, pg_first, pg_second = urls
    client = _Client(did)
    requests_per_run = 12 if plan.quick else 150
    rounds = 1 if plan.quick else 5
    concurrency = 4
    for url in urls:  # warm-up: contexts loaded, connections and status lists made
        for _ in range(3 if plan.quick else 10):
            client.issue(url)
    runs: dict[str, list[float]] = {"sqlite": [], "pg1": [], "pg2": []}
    order = [("sqlite", [sqlite_url]), ("pg1", [pg_first]), ("pg2", [pg_first, pg_second])]
    for number in range(rounds):
        for name, targets in (order if number % 2 == 0 else list(reversed(order))):
            runs[name].append(client.rate(targets, requests_per_run, concurrency))
    pg1 = statistics.median(p / s for p, s in zip(runs["pg1"], runs["sqlite"], strict=True))
    pg2 = statistics.median(p / s for p, s in zip(runs["pg2"], runs["sqlite"], strict=True))
    latencies = [_status_latency(client, pg_first, pg_second) for _ in range(3 if plan.quick else 15)]
    note = f"{rounds} round(s) of {requests_per_run} requests, {concurrency} client threads"
    details = {"rates": {k: [round(v, 2) for v in vs] for k, vs in runs.items()}}
    return [
        info("store-issue-sqlite-rate", FIGURES[0][1], statistics.median(runs["sqlite"]), "per s", note=note,
             details=details),
        info("store-issue-pg1-vs-sqlite", FIGURES[1][1], pg1, "x", note=note,
             details={"pg1_rate": round(statistics.median(runs["pg1"]), 2)}),
        info("store-issue-pg2-vs-sqlite", FIGURES[2][1], pg2, "x", note=note,
             details={"pg2_rate": round(statistics.median(runs["pg2"]), 2)}),
        info("store-status-latency-ms", FIGURES[3][1], statistics.median(latencies), "ms",
             note=f"{len(latencies)} changes; p90 {statistics.quantiles(latencies, n=10)[-1]:.1f} ms"
             if len(latencies) >= 10 else f"{len(latencies)} changes",
             details={"latencies_ms": [round(v, 2) for v in latencies]}),
    ]


def _status_latency(client: _Client, first: str, second: str) -> float:
    """Milliseconds from sending a revocation to ``first`` until ``second`` serves the bit set."""
    import requests

    from omc_vc.bitstring import decode_bitstring, get_status

    credential = client.issue(first)
    entry = credential["credentialStatus"]
    path = entry["statusListCredential"].removeprefix(PUBLIC)
    index = int(entry["statusListIndex"])
    requests.get(second + path, timeout=60)  # the list as it was: signed and kept before the change
    started = time.perf_counter()
    answer = requests.post(f"{first}/credentials/status", timeout=60, headers={"Authorization": f"Bearer {TOKEN}"},
                           json={"credentialId": credential["id"], "status": True})
    if answer.status_code != 200:
        raise RuntimeError(f"status answered {answer.status_code}: {answer.text[:200]}")
    deadline = started + 30
    while time.perf_counter() < deadline:
        document = requests.get(second + path, timeout=60).json()
        if get_status(decode_bitstring(document["credentialSubject"]["encodedList"]), index) == 1:
            return (time.perf_counter() - started) * 1000
    raise RuntimeError("the other process never served the revocation")
