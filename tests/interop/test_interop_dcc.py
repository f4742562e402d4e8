"""DCC's verifier-core (what VerifierPlus and the Learner Credential Wallet run) on what omc-vc issues.

``@digitalcredentials/verifier-core`` runs in Node (``js/interop.mjs dcc-verify``) with its ``fetch`` behind a
guard: the manifest's contexts come from contexts/, the status lists from a loopback HTTP server in this
process (the credentials' https status URLs are routed to it, like an /etc/hosts entry), and anything else
is refused, so no test reaches the internet. Each test group runs one Node process (a module fixture).

Needs ``node`` and ``npm ci --prefix tests/interop/js``: skipped otherwise, failed under OMC_REQUIRE_INTEROP=1.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from omc_vc._internal.timeutil import utcnow
from omc_vc.issue.portability import is_portable
from omc_vc.keys import KeyPair
from omc_vc.omc.builder import Learner
from omc_vc.omc.model import is_omc_plus
from tests.interop.test_interop_js import (  # noqa: F401  (_require_js: the module's toolchain fixture)
    MANIFEST_URLS,
    REPO,
    _require_js,
    node,
    require_omc_context,
)

SCHEMAS = REPO / "tests" / "fixtures" / "external" / "1edtech-ob-schemas"
# the URL verifier-core fetches the OB 3.0 AchievementCredential JSON Schema from (its src/schemaCheck.ts)
ACHIEVEMENT_SCHEMA_URL = \
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
COLLEGE = "https://college.example.ca"  # the sample institution's status.base_url host


class Loopback:
    """A loopback HTTP server serving fixed documents by path (and query), recording what was asked."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                found = outer.routes.get(self.path)
                body = found[1] if found else b'{"error": "not found"}'
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", found[0] if found else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def serve(self, path: str, document: Any, content_type: str = "application/json") -> None:
        body = document if isinstance(document, bytes) else json.dumps(document).encode("utf-8")
        self.routes[path] = (content_type, body)


@pytest.fixture(scope="module")
def loopback() -> Iterator[Loopback]:
    server = Loopback()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


def _path_of(url: str, origin: str) -> str:
    assert url.startswith(origin + "/"), url
    return url[len(origin):]


def _omc_world(folder: Path, loopback: Loopback) -> dict[str, dict[str, Any]]:
    """The sample institution (Ed25519 did:key, the default OMC: one revocation entry) issues an OMC, an OMC+,
    one it then revokes and one whose validUntil has passed; its signed status list is served on loopback.
    A P-256 and a P-384 institution each issue one OMC (their lists are not needed: the proof fails first)."""
    from omc_vc.issue.issuer import Issuer
    from omc_vc.issue.sqlite_store import SqliteStore
    from omc_vc.issue.status_ops import revoke, signed_status_lists
    from tests.fixtures.omc.sample import issue_one, make_institution, open_issuer

    config, key = make_institution(folder / "college", suspension=False)
    issued: dict[str, dict[str, Any]] = {}
    with SqliteStore(config.state_path) as store:
        issuer = Issuer(config=config, key=key, store=store)
        for name, learner, achievement in (("omc", "Ben Okafor", "safety-100"), ("omc+", "Ana Silva", "weld-101"),
                                           ("revoked", "Chloé Tremblay", "weld-102")):
            issued[name] = issuer.issue(learner=Learner(name=learner, email="learner@example.ca"),
                                        achievement=achievement).credential
        # issued two years ago, valid for one: expired today
        past = utcnow() - timedelta(days=730)
        expired = Issuer(config=replace(config, valid_years=1.0), key=key, store=store, clock=lambda: past)
        issued["expired"] = expired.issue(learner=Learner(name="Dana Nowak", email="dana@example.ca"),
                                          achievement="weld-103").credential
        revoke(store, issued["revoked"]["id"])
    for url, status_list in signed_status_lists(open_issuer(config, key)).items():
        loopback.serve(_path_of(url, COLLEGE), status_list)
    for key_type in ("p256", "p384"):
        other, other_key = make_institution(folder / key_type, suspension=False,
                                            key=KeyPair.generate(key_type))  # type: ignore[arg-type]
        issued[key_type], _ = issue_one(other, key=other_key, learner=Learner(name="Eli Roy", email="eli@example.ca"),
                                        achievement="safety-100")
    return issued


def _tampered(credential: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["achievement"]["name"] = "Advanced Welding (forged)"
    return changed


@pytest.fixture(scope="module")
def verified(tmp_path_factory: pytest.TempPathFactory, loopback: Loopback) -> dict[str, Any]:
    """One Node process: verifier-core on the world's credentials (status lists over loopback), then on the
    OMC alone with no route for its status host (the guard must refuse it)."""
    require_omc_context()
    issued = _omc_world(tmp_path_factory.mktemp("dcc"), loopback)
    issued["tampered"] = _tampered(issued["omc+"])
    schema = json.loads((SCHEMAS / "achievementcredential.json").read_text(encoding="utf-8"))
    names = list(issued)
    routed, unrouted = node("batch", [
        {"command": "dcc-verify", "input": {"credentials": [issued[n] for n in names],
                                            "hosts": {COLLEGE: loopback.origin},
                                            "documents": {ACHIEVEMENT_SCHEMA_URL: schema}}},
        {"command": "dcc-verify", "input": {"credentials": [issued["omc"]]}},
    ])
    return {"issued": issued, "results": dict(zip(names, routed["results"], strict=True)), "routed": routed,
            "unrouted": unrouted}


def test_verifier_core_verifies_our_omc_and_omc_plus_signature_status_and_expiry(verified: dict[str, Any]) -> None:
    issued, results = verified["issued"], verified["results"]
    assert not is_omc_plus(issued["omc"]) and is_omc_plus(issued["omc+"])
    for name in ("omc", "omc+"):
        result = results[name]
        assert result["errors"] == [] and result["stepErrors"] == {}, result
        assert result["log"]["valid_signature"] is True
        assert result["log"]["revocation_status"] is True
        assert result["log"]["expiration"] is True


def test_verifier_core_reports_a_revoked_omc_as_revoked(verified: dict[str, Any]) -> None:
    result = verified["results"]["revoked"]
    assert result["errors"] == [] and result["log"]["valid_signature"] is True
    assert result["log"]["revocation_status"] is False


def test_verifier_core_reports_an_expired_omc_as_expired(verified: dict[str, Any]) -> None:
    result = verified["results"]["expired"]
    assert verified["issued"]["expired"]["validUntil"] < verified["issued"]["omc"]["validFrom"]
    assert result["errors"] == [] and result["log"]["valid_signature"] is True
    assert result["log"]["expiration"] is False
    assert result["log"]["revocation_status"] is True  # expired, not revoked


def test_forged_omc_is_refused_by_verifier_core(verified: dict[str, Any]) -> None:
    result = verified["results"]["tampered"]
    assert [error["name"] for error in result["errors"]] == ["invalid_signature"], result
    assert "valid_signature" not in result["log"] or result["log"]["valid_signature"] is False


@pytest.mark.parametrize("key_type", ["p256", "p384"])
def test_ecdsa_omcs_do_not_verify_in_verifier_core_as_the_portability_warning_says(
        verified: dict[str, Any], key_type: str) -> None:
    """What omc_vc.issue.portability (and the `omc issue` warning) claims, checked against verifier-core
    itself: an Ed25519 OMC verifies there, an ecdsa-rdfc-2019 one (valid for omc-vc) does not."""
    issued, results = verified["issued"], verified["results"]
    assert issued[key_type]["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    assert not is_portable(key_type) and is_portable(KeyPair.generate())
    assert results[key_type]["errors"], results[key_type]
    assert results[key_type]["log"].get("valid_signature") is not True
    assert results["omc"]["log"]["valid_signature"] is True


def test_verifier_core_fetched_only_contexts_and_loopback_status_lists(verified: dict[str, Any],
                                                                       loopback: Loopback) -> None:
    routed = verified["routed"]
    status_lists = {entry["statusListCredential"] for name in ("omc", "omc+", "revoked", "expired")
                    for entry in [verified["issued"][name]["credentialStatus"]]}
    assert routed["refused"] == []
    assert set(routed["fetched"]) <= MANIFEST_URLS | status_lists | {ACHIEVEMENT_SCHEMA_URL}
    assert status_lists <= set(routed["fetched"])
    assert {_path_of(url, COLLEGE) for url in status_lists} <= set(loopback.requests)


def test_internet_fetch_is_refused_by_the_guard(verified: dict[str, Any]) -> None:
    """Without a route for its status host, verifier-core's status-list fetch is refused, not sent: the
    guard is what keeps the harness off the network (and verifier-core then cannot confirm the status)."""
    unrouted = verified["unrouted"]
    status_list = verified["issued"]["omc"]["credentialStatus"]["statusListCredential"]
    assert status_list in unrouted["refused"]
    (result,) = unrouted["results"]
    assert "revocation_status" not in result["log"]
    assert result["stepErrors"] == {"revocation_status": "status_list_not_found"}


def test_difference_verifier_core_schema_check_wants_a_proof_array(verified: dict[str, Any]) -> None:
    """verifier-core also validates OB 3.0 credentials against 1EdTech's JSON Schema (an informational
    `schema_check`, not a verification step). The schema wants `proof` to be an array; VCDM 2.0 §4.12 allows
    one proof object, which omc-vc emits (tests/fixtures/external/1edtech-ob-schemas/SOURCE.md). That is the
    only complaint."""
    for name in ("omc", "omc+"):
        schema = verified["results"][name]["schema"]
        assert schema is not None
        (outcome,) = schema["results"]
        assert outcome["schema"] == ACHIEVEMENT_SCHEMA_URL
        assert outcome["valid"] is False and outcome["errors"] == ["/proof type must be array"]
