"""An independent OpenID4VCI 1.0 wallet picks OMCs up from a real ``omc serve``: the pre-authorized code flow.

The wallet is ``@openid4vc/openid4vci`` (oid4vc-ts, pinned in js/package.json) in Node (``js/oid4vci_wallet.mjs``):
it resolves the offer (by reference, as ``omc offer create`` prints it, and by value), the credential issuer
and authorization server metadata, exchanges the pre-authorized code (and a transaction code) for a token,
gets a ``c_nonce``, signs its ``jwt`` proof with its own key (a did:key, or a ``jwk`` header) and receives the
credential. What it receives is then checked by others: the ``ldp_vc`` OMC by DCC's verifier-core (the
verifier inside the Learner Credential Wallet) and by omc-vc, the ``jwt_vc_json`` OMC by omc-vc and by panva's
``jose``. The service is an ``omc serve`` process on a loopback port; the wallet's fetch is guarded to loopback.

Needs ``node`` and ``npm ci --prefix tests/interop/js``: skipped otherwise, failed under OMC_REQUIRE_INTEROP=1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from omc_vc._internal.timeutil import utcnow
from omc_vc.did import DidResolver, did_jwk
from omc_vc.issue.offers import OfferDraft
from omc_vc.issue.oid4vci import offer_links
from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.keys import PublicKey, save_key
from omc_vc.verify import Verifier
from tests.interop.test_interop_dcc import _schema_documents
from tests.interop.test_interop_js import (  # noqa: F401  (_require_js: the module's toolchain fixture)
    JS_DIR,
    OMC,
    _require_js,
    node,
    require_omc_context,
)

COLLEGE = "https://college.example.ca"  # the sample institution's status.base_url host, routed to omc serve
LDP = "OntarioMicroCredential_ldp_vc"
JWT = "OntarioMicroCredential_jwt_vc_json"
PASSPHRASE = "interop-passphrase"  # a throwaway test key's


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wallet(pickups: list[dict[str, Any]]) -> dict[str, Any]:
    proc = subprocess.run(["node", str(JS_DIR / "oid4vci_wallet.mjs")], input=json.dumps({"pickups": pickups}),
                          capture_output=True, text=True, timeout=90, cwd=JS_DIR)
    assert proc.returncode == 0, f"oid4vci_wallet.mjs failed:\n{proc.stderr}"
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


class Service:
    """``omc serve`` for the sample institution, with its offers section, on a loopback port."""

    def __init__(self, folder: Path) -> None:
        from tests.fixtures.omc.sample import make_institution

        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        _, key = make_institution(folder)
        # omc serve refuses a plaintext key outside demo mode: the institution's key, encrypted
        save_key(folder / "issuer.key", key, PASSPHRASE, overwrite=True)
        self.key = key
        self.config_path = folder / "institution.yaml"
        self.config_path.write_text(self.config_path.read_text(encoding="utf-8")
                                    + f"offers:\n  public_url: {self.base}\n", encoding="utf-8")
        self.state = folder / "state" / "issuance.sqlite"
        self.output = b""
        self.stopped = False
        env = {**os.environ, "OMC_ISSUER_PASSPHRASE": PASSPHRASE, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [*OMC, "serve", "--institution-config", str(self.config_path), "--port", str(self.port),
             "--public-url", self.base, "--offline"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    assert response.read() == b"ok"
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError(f"omc serve did not start: {self.stop()!r}") from None
                time.sleep(0.1)

    def offer_cli(self, achievement: str, name: str) -> dict[str, Any]:
        """An offer made as the registrar makes it: ``omc offer create --json``."""
        env = {**os.environ, "OMC_ISSUER_PASSPHRASE": PASSPHRASE}
        proc = subprocess.run([*OMC, "offer", "create", "--config", str(self.config_path), "--achievement",
                               achievement, "--learner-name", name, "--learner-email", "learner@example.ca",
                               "--json"], capture_output=True, text=True, timeout=60, env=env)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)  # type: ignore[no-any-return]

    def offer_links(self, achievement: str, name: str, *, tx_code: bool = False) -> tuple[dict[str, str], str | None]:
        with SqliteStore(self.state) as store:
            new = store.create_offer(OfferDraft(achievement, name, "learner@example.ca", tx_code=tx_code,
                                                expires_in=timedelta(days=1)), now=utcnow())
        return offer_links(self.base, new), new.tx_code

    def stop(self) -> bytes:
        """Stop the service (once); what it wrote on stdout and stderr."""
        if not self.stopped:
            self.stopped = True
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)
            try:
                out, err = self.process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                out, err = self.process.communicate()
            self.output = out + err
        return self.output


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    require_omc_context()
    running = Service(tmp_path_factory.mktemp("oid4vci") / "college")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def pickups(service: Service) -> dict[str, Any]:
    """One Node process: the independent wallet's pickups, in order."""
    by_reference = service.offer_cli("weld-101", "Ana Silva")["openidCredentialOffer"]
    by_value, _ = service.offer_links("safety-100", "Ben Okafor")
    coded, tx_code = service.offer_links("weld-102", "Chloé Tremblay", tx_code=True)
    guessed, _ = service.offer_links("weld-103", "Dana Nowak", tx_code=True)
    replayed, _ = service.offer_links("weld-101", "Mallory", tx_code=False)
    assert tx_code is not None
    wrong = "000000" if tx_code != "000000" else "111111"
    names = ["ldp_did_key", "jwt_jwk", "tx_code", "wrong_tx_code", "replay"]
    run = _wallet([
        {"offer": by_reference, "configurationId": LDP, "keyMethod": "did", "alg": "EdDSA"},
        {"offer": by_value["credential_offer"], "configurationId": JWT, "keyMethod": "jwk", "alg": "ES256"},
        {"offer": coded["credential_offer_uri"], "configurationId": LDP, "keyMethod": "jwk", "alg": "EdDSA",
         "txCode": tx_code},
        {"offer": guessed["credential_offer"], "configurationId": LDP, "keyMethod": "did", "alg": "EdDSA",
         "txCode": wrong},
        # an attacker with its own offer replays the first pickup's proof (same c_nonce)
        {"offer": replayed["credential_offer"], "configurationId": LDP, "keyMethod": "did", "alg": "EdDSA",
         "replayProofOf": 0},
    ])
    return {"results": dict(zip(names, run["results"], strict=True)), "run": run,
            "by_reference": by_reference}


def _credential(result: dict[str, Any]) -> Any:
    assert "error" not in result, result.get("error")
    (entry,) = result["credentials"]
    return entry["credential"]


def test_wallet_library_reads_our_metadata_as_openid4vci_1_0(pickups: dict[str, Any], service: Service) -> None:
    result = pickups["results"]["ldp_did_key"]
    assert result["originalDraftVersion"] == "V1"
    assert result["tokenEndpoint"] == f"{service.base}/oid4vci/token" and result["tokenType"] == "Bearer"
    assert result["offer"]["credential_issuer"] == service.base
    uri = parse_qs(urlsplit(pickups["by_reference"]).query)["credential_offer_uri"][0]
    assert uri.startswith(f"{service.base}/oid4vci/credential-offer/")


def test_ldp_vc_omc_picked_up_by_the_wallet_library_verifies_in_verifier_core(
        pickups: dict[str, Any], service: Service) -> None:
    result = pickups["results"]["ldp_did_key"]
    credential = _credential(result)
    assert credential["credentialSubject"]["id"] == result["holder"]
    assert Verifier(resolver=DidResolver()).verify(credential).verified
    (verified,) = node("batch", [{"command": "dcc-verify", "input": {
        "credentials": [credential], "hosts": {COLLEGE: service.base}, "documents": _schema_documents()}}])
    (outcome,) = verified["results"]
    assert outcome["errors"] == [] and outcome["stepErrors"] == {}, outcome
    assert outcome["log"]["valid_signature"] is True
    assert outcome["log"]["revocation_status"] is True  # the status list, served by omc serve
    assert verified["refused"] == []


def test_jwt_vc_json_omc_picked_up_by_the_wallet_library_verifies_in_omc_and_jose(
        pickups: dict[str, Any], service: Service) -> None:
    result = pickups["results"]["jwt_jwk"]
    token = _credential(result)
    assert isinstance(token, str)
    holder = did_jwk(PublicKey.from_jwk(result["publicJwk"]))
    checked = Verifier(resolver=DidResolver()).verify(token)
    assert checked.verified, checked.errors
    (verified,) = node("batch", [{"command": "verify-jwt", "input": {
        "jwt": token, "publicJwk": service.key.public_key.jwk(), "alg": "EdDSA"}}])
    assert verified["verified"] is True, verified["error"]
    assert verified["payload"]["sub"] == holder == verified["payload"]["credentialSubject"]["id"]
    assert verified["payload"]["iss"] == service.key.controller


def test_transaction_code_sent_separately_is_accepted(pickups: dict[str, Any]) -> None:
    result = pickups["results"]["tx_code"]
    credential = _credential(result)
    assert credential["credentialSubject"]["id"] == did_jwk(PublicKey.from_jwk(result["publicJwk"]))


def test_wrong_transaction_code_is_refused_to_the_wallet_library(pickups: dict[str, Any]) -> None:
    error = pickups["results"]["wrong_tx_code"]["error"]
    assert error["body"]["error"] == "invalid_grant", error


def test_replayed_proof_is_refused_to_the_wallet_library_with_invalid_nonce(pickups: dict[str, Any]) -> None:
    result = pickups["results"]["replay"]
    assert result["proof"] == pickups["results"]["ldp_did_key"]["proof"]
    assert result["error"]["status"] == 400 and result["error"]["body"]["error"] == "invalid_nonce", result["error"]


def test_wallet_library_stayed_on_loopback(pickups: dict[str, Any]) -> None:
    run = pickups["run"]
    assert run["refused"] == []
    assert "GET /.well-known/openid-credential-issuer" in run["fetched"]
    assert "GET /.well-known/oauth-authorization-server" in run["fetched"]
    assert {"POST /oid4vci/token", "POST /oid4vci/nonce", "POST /oid4vci/credential"} <= set(run["fetched"])


def test_the_service_logged_no_secret(service: Service) -> None:
    """omc serve has no access log: neither a pre-authorized code nor a token reaches its output."""
    output = service.stop()
    assert b"credential-offer/" not in output and b"/oid4vci/" not in output

