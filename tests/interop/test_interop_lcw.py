"""The Learner Credential Wallet's two pickup flows, run by an emulator built on LCW's own libraries
(``js/lcw-emulator.mjs``) against a real ``omc serve`` process, and every delivered credential verified by DCC's
verifier-core (what LCW runs on a credential it receives).

The institution makes its offers with ``omc offer create`` (another process than the service: they share the
issuance store). The emulator follows LCW's request sequence (see the header of ``js/lcw-emulator.mjs``): the
DCC deep link (one POST of an Ed25519Signature2020 DIDAuthentication presentation to ``vc_request_url``) and the
VC-API exchange (GET the interaction URL, POST ``{}``, POST the presentation answering the DIDAuthentication
request). Only loopback is reached.

Needs ``node`` and ``npm ci --prefix tests/interop/js``: skipped otherwise, failed under OMC_REQUIRE_INTEROP=1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from omc_vc.issue.config import load_config
from omc_vc.issue.offers import LCW, REDEEMED, VCAPI
from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.keys import KeyPair, save_key
from omc_vc.model import subject_ids
from omc_vc.verify import Verifier
from tests.interop.test_interop_dcc import _schema_documents
from tests.interop.test_interop_js import (  # noqa: F401  (_require_js: the module's toolchain fixture)
    JS_DIR,
    _require_js,
    node,
    require_omc_context,
)

PASSPHRASE_ENV = "OMC_ISSUER_PASSPHRASE"  # the variable the sample institution.yaml names


@dataclass
class Service:
    base: str
    config_file: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``omc serve --institution-config`` on a free loopback port; offers, status lists and links all live there."""
    from tests.fixtures.omc.sample import make_institution

    require_omc_context()
    folder = tmp_path_factory.mktemp("lcw")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    _, pair = make_institution(folder, base_url=f"{base}/status/", suspension=False)
    # omc serve refuses a plaintext key outside demo mode: the key is encrypted, its passphrase in the environment
    save_key(folder / "issuer.key", KeyPair.from_secret_multibase(pair.secret_multibase()), "correct horse",
             overwrite=True)
    config_file = folder / "institution.yaml"
    config_file.write_text(config_file.read_text(encoding="utf-8") + f"offers:\n  public_url: {base}\n",
                           encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", PASSPHRASE_ENV: "correct horse"}
    process = subprocess.Popen([sys.executable, "-m", "omc_vc.cli.main", "serve", "--port", str(port),
                                "--public-url", base, "--institution-config", str(config_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    _, err = process.communicate(timeout=5) if process.poll() is not None else (b"", b"")
                    pytest.fail(f"omc serve did not start: {err.decode()[-2000:]}")
                time.sleep(0.1)
        yield Service(base, config_file)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)


def _offer(service: Service, name: str, email: str, achievement: str) -> dict[str, Any]:
    """``omc offer create --json`` (a process of its own, as the registrar runs it)."""
    proc = subprocess.run([sys.executable, "-m", "omc_vc.cli.main", "offer", "create", "--config",
                           str(service.config_file), "--achievement", achievement, "--learner-name", name,
                           "--learner-email", email, "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    made: dict[str, Any] = json.loads(proc.stdout)
    return made


def _emulate(links: list[str]) -> dict[str, Any]:
    proc = subprocess.run(["node", str(JS_DIR / "lcw-emulator.mjs")], input=json.dumps({"links": links}),
                          capture_output=True, text=True, timeout=90, cwd=JS_DIR)
    assert proc.returncode == 0, f"lcw-emulator.mjs failed:\n{proc.stderr}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.fixture(scope="module")
def pickup(service: Service) -> dict[str, Any]:
    """One LCW profile picks up two offers (a deep link, then an interaction URL), then tries the deep link
    again; every credential it was given is verified by verifier-core."""
    # two achievements: a learner holds one OMC per achievement
    deep = _offer(service, "Ana Silva", "ana@example.ca", "weld-101")
    exchange = _offer(service, "Ana Silva", "ana@example.ca", "safety-100")
    emulated = _emulate([deep["link"], exchange["interactionUrl"], deep["link"]])
    delivered = [c for run in emulated["runs"] for c in run["acceptCredentials"]]
    [checked] = node("batch", [{"command": "dcc-verify", "input": {"credentials": delivered,
                                                                   "documents": _schema_documents()}}])
    return {"deep": deep, "exchange": exchange, "emulated": emulated, "delivered": delivered, "dcc": checked}


def test_lcw_deep_link_pickup(pickup: dict[str, Any]) -> None:
    did = pickup["emulated"]["did"]
    run = pickup["emulated"]["runs"][0]
    assert run["flow"] == "deep-link" and run["error"] is None, run
    vc_request_url = parse_qs(urlsplit(pickup["deep"]["link"]).query)["vc_request_url"][0]
    # LCW's sequence: one POST of the DIDAuthentication presentation to vc_request_url, answered 200
    assert [(r["method"], r["url"], r["status"]) for r in run["requests"]] == [("POST", vc_request_url, 200)]
    [presentation] = run["presentations"]
    proof = presentation["proof"]
    assert presentation["holder"] == did and "verifiableCredential" not in presentation
    assert (proof["type"], proof["proofPurpose"]) == ("Ed25519Signature2020", "authentication")
    assert proof["challenge"] == parse_qs(urlsplit(pickup["deep"]["link"]).query)["challenge"][0]
    assert "domain" not in proof
    [credential] = run["storedByLcw"]
    assert subject_ids(credential) == [did]
    assert credential["credentialSubject"]["achievement"]["id"].endswith("/weld-101")


def test_lcw_vcapi_exchange_pickup(pickup: dict[str, Any], service: Service) -> None:
    did = pickup["emulated"]["did"]
    run = pickup["emulated"]["runs"][1]
    assert run["flow"] == "interaction" and run["error"] is None, run
    interaction = pickup["exchange"]["interactionUrl"]
    exchange = interaction.removesuffix("?iuv=1")
    assert [(r["method"], r["url"], r["status"]) for r in run["requests"]] == [
        ("GET", interaction, 200), ("POST", exchange, 200), ("POST", exchange, 200)]
    vpr = json.loads(run["requests"][1]["body"])["verifiablePresentationRequest"]
    [presentation] = run["presentations"]
    assert presentation["proof"]["challenge"] == vpr["challenge"]
    assert presentation["proof"]["domain"] == vpr["domain"] == service.base
    [credential] = run["acceptCredentials"]
    assert subject_ids(credential) == [did]
    # what LCW's ExchangeCredentials screen does next today: a presentation-request flow stores nothing
    # (LCW issue #957); the deep link is the flow that delivers into LCW now
    assert run["storedByLcw"] == []


def test_lcw_replayed_deep_link_is_refused(pickup: dict[str, Any]) -> None:
    run = pickup["emulated"]["runs"][2]
    assert run["error"] is not None and run["acceptCredentials"] == []
    assert [r["status"] for r in run["requests"]] == [409]
    assert json.loads(run["requests"][0]["body"])["code"] == "OFFER_REDEEMED"


def test_every_delivered_credential_verifies_in_verifier_core(pickup: dict[str, Any]) -> None:
    assert len(pickup["delivered"]) == 2
    for result in pickup["dcc"]["results"]:
        assert result["errors"] == [] and result["stepErrors"] == {}, result
        assert result["log"]["valid_signature"] is True
        assert result["log"]["revocation_status"] is True
        assert result["log"]["expiration"] is True
    assert pickup["dcc"]["refused"] == []
    for credential in pickup["delivered"]:
        assert Verifier().verify(credential).verified


def test_offers_are_redeemed_by_the_lcw_profile(pickup: dict[str, Any], service: Service) -> None:
    did = pickup["emulated"]["did"]
    with SqliteStore(load_config(service.config_file).state_path) as store:
        deep = store.offer(pickup["deep"]["id"])
        exchange = store.offer(pickup["exchange"]["id"])
    assert deep is not None and (deep.state, deep.protocol, deep.holder) == (REDEEMED, LCW, did)
    assert exchange is not None and (exchange.state, exchange.protocol, exchange.holder) == (REDEEMED, VCAPI, did)
    assert {deep.credential_id, exchange.credential_id} == {c["id"] for c in pickup["delivered"]}
