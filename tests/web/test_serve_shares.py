"""Two ``omc serve`` processes on one PostgreSQL database (``shares.store``), as behind a load balancer: a share
created through one is served and withdrawn through the other, and a challenge issued by one is honoured
once across both (a replayed holder presentation is refused whichever process it reaches).

Real components only: two ``omc serve`` processes started as the operator starts them, a throwaway PostgreSQL
cluster on loopback (tests/pgcluster.py), HTTP over loopback sockets.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from omc_vc.issue._fastfs import die_with_parent
from omc_vc.keys import KeyPair
from omc_vc.proofs.data_integrity import add_proof

from .offer_world import free_port
from .world import share_presentation

PUBLIC = "https://verify.example.ca"
TIMEOUT = 30


def _start(serve_yaml: Path, env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = open(log_path, "w+b")  # read back when it does not start
    parent = os.getpid()
    proc = subprocess.Popen([sys.executable, "-m", "omc_vc.cli.main", "serve", "--config", str(serve_yaml),
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=log,
                            preexec_fn=lambda: die_with_parent(parent))  # never left running after the tests
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    log.seek(0)
    raise AssertionError(f"omc serve did not start: {log.read().decode(errors='replace')}")


@pytest.fixture
def two_services(pg_cluster: Any, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two processes of one serve configuration whose shares live in one fresh schema (given by url_env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMC_")}
    env["OMC_TEST_SHARES_URL"] = pg_cluster.url()
    serve_yaml = tmp_path / "serve.yaml"
    serve_yaml.write_text(f"public_url: {PUBLIC}\noffline: true\n"
                          f"shares: {{store: {{url_env: OMC_TEST_SHARES_URL, schema: {pg_cluster.new_schema()}}}, "
                          "rate_burst: 100}\n")
    # the first applies the shares' migration when it starts; the second finds it done
    procs: list[subprocess.Popen[bytes]] = []
    try:
        started = [_start(serve_yaml, env, tmp_path / f"serve-{i}.log") for i in range(2)]
        procs = [proc for proc, _ in started]
        yield started[0][1], started[1][1]
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def _credential(holder: KeyPair) -> dict[str, Any]:
    issuer = KeyPair.generate("ed25519")
    return add_proof({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                      "issuer": issuer.controller, "credentialSubject": {"id": holder.controller}}, issuer)


def test_two_processes_share_shares_withdrawals_and_challenges(two_services: tuple[str, str]) -> None:
    a, b = two_services
    holder = KeyPair.generate("ed25519")
    vc = _credential(holder)
    offer = requests.post(f"{a}/shares/challenge", timeout=TIMEOUT).json()
    assert offer["domain"] == PUBLIC
    presentation = share_presentation(vc, holder, offer["challenge"], offer["domain"])
    # a challenge issued by A is honoured by B ...
    created = requests.post(f"{b}/shares", json={"presentation": presentation, "ttlSeconds": 3600}, timeout=TIMEOUT)
    assert created.status_code == 201, created.text
    share = created.json()
    # ... once: the same presentation replayed to either process is refused
    for base in (a, b):
        replay = requests.post(f"{base}/shares", json={"presentation": presentation}, timeout=TIMEOUT)
        assert replay.status_code == 403 and replay.json()["code"] == "SHARE_CHALLENGE_INVALID", replay.text
    # the share made through B is served by A
    assert requests.get(f"{a}/shares/{share['id']}", timeout=TIMEOUT).json() == vc
    # a wrong token is refused by either; the right one withdraws through A, and B sees it gone
    wrong = requests.delete(f"{b}/shares/{share['id']}", headers={"Authorization": "Bearer wrong"}, timeout=TIMEOUT)
    assert wrong.status_code == 403
    gone = requests.delete(f"{a}/shares/{share['id']}", headers={"Authorization": f"Bearer {share['withdrawToken']}"},
                           timeout=TIMEOUT)
    assert gone.status_code == 204
    for base in (a, b):
        assert requests.get(f"{base}/shares/{share['id']}", timeout=TIMEOUT).status_code == 404
    again = requests.delete(f"{b}/shares/{share['id']}", headers={"Authorization": f"Bearer {share['withdrawToken']}"},
                            timeout=TIMEOUT)
    assert again.status_code == 404
