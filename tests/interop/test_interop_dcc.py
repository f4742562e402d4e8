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


def _schema_documents() -> dict[str, Any]:
    """The JSON Schema verifier-core fetches, from the 1EdTech copy kept as test data (never the network)."""
    return {ACHIEVEMENT_SCHEMA_URL: json.loads((SCHEMAS / "achievementcredential.json").read_text(encoding="utf-8"))}


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
        # the same OMC+ in its French edition (OB 3.0 inLanguage and related)
        issued["omc+fr"] = issuer.issue(learner=Learner(name="Gilles Roy", email="gilles@example.ca"),
                                        achievement="weld-101", language="fr-CA").credential
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
def world(tmp_path_factory: pytest.TempPathFactory, loopback: Loopback) -> dict[str, dict[str, Any]]:
    require_omc_context()
    return _omc_world(tmp_path_factory.mktemp("dcc"), loopback)


@pytest.fixture(scope="module")
def verified(world: dict[str, dict[str, Any]], loopback: Loopback) -> dict[str, Any]:
    """One Node process: verifier-core on the world's credentials (status lists over loopback), then on the
    OMC alone with no route for its status host (the guard must refuse it)."""
    issued = {**world, "tampered": _tampered(world["omc+"])}
    names = list(issued)
    routed, unrouted = node("batch", [
        {"command": "dcc-verify", "input": {"credentials": [issued[n] for n in names],
                                            "hosts": {COLLEGE: loopback.origin},
                                            "documents": _schema_documents()}},
        {"command": "dcc-verify", "input": {"credentials": [issued["omc"]]}},
    ])
    return {"issued": issued, "results": dict(zip(names, routed["results"], strict=True)), "routed": routed,
            "unrouted": unrouted}


def test_verifier_core_verifies_our_omc_and_omc_plus_signature_status_and_expiry(verified: dict[str, Any]) -> None:
    issued, results = verified["issued"], verified["results"]
    assert not is_omc_plus(issued["omc"]) and is_omc_plus(issued["omc+"])
    assert issued["omc+fr"]["credentialSubject"]["achievement"]["inLanguage"] == "fr-CA"
    for name in ("omc", "omc+", "omc+fr"):
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


# --- the ministry's registry in DCC's forms (knownDIDRegistries) --------------------------------------------

MINISTRY = "Ontario Ministry of Colleges and Universities"
FEDERATION = "https://registry.mcu.example.ca"  # the trust anchor's entity id, routed to loopback
DEMO_MINISTRY_KEY = REPO / "keys" / "demo-ministry.key"


def _cli(*args: str | Path) -> None:
    from click.testing import CliRunner
    from omc_vc.cli.main import cli

    result = CliRunner().invoke(cli, [str(arg) for arg in args])
    assert result.exit_code == 0, (args[:2], result.output)


def _publish_registry(folder: Path, listed: dict[str, str], suspended: dict[str, str]) -> Path:
    """`omc registry init / add-institution / suspend / set-federation / publish --out`, as the ministry
    runs them (DEMO ministry key), with ``listed`` and ``suspended`` institutions ({name: DID})."""
    draft = folder / "registry-draft.json"
    _cli("registry", "init", "--anchor-key", DEMO_MINISTRY_KEY, "--demo", "--out", draft)
    for number, (name, did) in enumerate({**listed, **suspended}.items()):
        _cli("registry", "add-institution", "--registry", draft, "--name", name, "--type", "college", "--did", did,
             "--eqaa", "Ontario College Quality Assurance Service", "--iqap-ref", f"OCQAS-{number}",
             "--qa-date", "2024-05-01", "--consent-ref", f"MCU-OMC-{number}", "--scope", "OMC,OMC+",
             "--granted", "2025-01-01T00:00:00Z", "--homepage", "https://college.example.ca",
             "--location", "Toronto, ON, Canada")
    for did in suspended.values():
        _cli("registry", "suspend", did, "--registry", draft, "--reason", "quality review")
    _cli("keys", "generate", "--type", "p256", "--out", folder / "federation.key", "--insecure-plaintext")
    _cli("registry", "set-federation", "--registry", draft, "--key", folder / "federation.key",
         "--entity-id", FEDERATION, "--organization-name", MINISTRY,
         "--homepage-uri", "https://www.ontario.ca/page/ministry-colleges-universities",
         "--policy-uri", "https://www.ontario.ca/page/micro-credentials-from-ontario-postsecondary-schools", "--demo")
    public = folder / "public"
    _cli("registry", "publish", "--registry", draft, "--key", DEMO_MINISTRY_KEY, "--demo",
         "--federation-key", folder / "federation.key", "--out", public)
    return public


def _host_forms(public: Path, loopback: Loopback) -> None:
    """Serve the published forms at the paths `omc serve --host-registry-forms` uses (its own hosting is
    tested in tests/web): the entity configuration, /fetch?sub=<DID> per listed DID (404 for any other),
    the listing and the legacy file."""
    from omc_vc import registry_forms as forms

    loopback.serve("/.well-known/openid-federation", (public / forms.ENTITY_CONFIGURATION_FILE).read_bytes(),
                   forms.ENTITY_STATEMENT_MEDIA_TYPE)
    listing = json.loads((public / forms.LISTING_FILE).read_text(encoding="utf-8"))
    loopback.serve("/subordinate_listing", listing)
    for did in listing:
        loopback.serve(f"/fetch?sub={did}", (public / forms.statement_file(did)).read_bytes(),
                       forms.ENTITY_STATEMENT_MEDIA_TYPE)
    loopback.serve(f"/{forms.LEGACY_FILE}", json.loads((public / forms.LEGACY_FILE).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory, world: dict[str, dict[str, Any]],
               loopback: Loopback) -> dict[str, Any]:
    """The ministry lists the sample college and a second college it then suspends, and publishes; a third
    college is not listed. One Node process: verifier-core with `knownDIDRegistries` = the published
    dcc-known-registries.json (the federation and the legacy file), both routed to loopback."""
    from tests.fixtures.omc.sample import issue_one, make_institution

    folder = tmp_path_factory.mktemp("registry")
    issued = {"omc": world["omc"], "omc+": world["omc+"]}
    for name in ("suspended", "unlisted"):
        # status lists under their own paths on the routed host, so every fetch has an answer
        config, key = make_institution(folder / name, suspension=False, base_url=f"{COLLEGE}/{name}/status/")
        issued[name], _ = issue_one(config, key=key, learner=Learner(name="Fay Chen", email="fay@example.ca"),
                                    achievement="safety-100")
    college = world["omc"]["issuer"]["id"]
    public = _publish_registry(folder, {"Example College of Applied Arts and Technology": college},
                               {"Suspended College": issued["suspended"]["issuer"]["id"]})
    _host_forms(public, loopback)
    known = json.loads((public / "dcc-known-registries.json").read_text(encoding="utf-8"))
    names = list(issued)
    (result,) = node("batch", [{"command": "dcc-verify", "input": {
        "credentials": [issued[n] for n in names], "knownDIDRegistries": known,
        "hosts": {COLLEGE: loopback.origin, FEDERATION: loopback.origin}, "documents": _schema_documents()}}])
    return {"issued": issued, "known": known, "results": dict(zip(names, result["results"], strict=True)),
            "run": result}


def test_published_known_registries_entries_name_the_federation_and_the_legacy_file(
        registered: dict[str, Any]) -> None:
    assert registered["known"] == [
        {"name": MINISTRY, "type": "oidf", "trustAnchorEC": f"{FEDERATION}/.well-known/openid-federation"},
        {"name": MINISTRY, "type": "dcc-legacy", "url": f"{FEDERATION}/dcc-legacy-registry.json"}]


def test_verifier_core_finds_our_issuer_in_the_ministrys_federation_and_legacy_registry(
        registered: dict[str, Any]) -> None:
    """An OMC and an OMC+ of the listed college: `registered_issuer` valid, matched in both forms, each under
    the ministry's name, the institution named as the registry lists it."""
    for name in ("omc", "omc+"):
        result = registered["results"][name]
        assert result["errors"] == [] and result["log"]["valid_signature"] is True
        assert result["log"]["revocation_status"] is True
        step = result["registeredIssuer"]
        assert step["valid"] is True and step["uncheckedRegistries"] == [], step
        by_type = {match["registry"].get("type", "oidf"): match for match in step["matchingIssuers"]}
        assert set(by_type) == {"oidf", "dcc-legacy"}, step
        for match in by_type.values():
            assert match["registry"]["federation_entity"]["organization_name"] == MINISTRY
            assert match["issuer"]["federation_entity"]["organization_name"] == \
                "Example College of Applied Arts and Technology"
        assert by_type["oidf"]["registry"]["federation_entity"]["federation_fetch_endpoint"] == f"{FEDERATION}/fetch"
        assert by_type["dcc-legacy"]["issuer"]["federation_entity"]["location"] == "Toronto, ON, Canada"


@pytest.mark.parametrize("name", ["unlisted", "suspended"])
def test_issuer_not_in_the_registry_or_suspended_is_not_registered_in_verifier_core(
        registered: dict[str, Any], name: str) -> None:
    """Not registered because both registries answered "not listed" (404 from /fetch, absent from the legacy
    file), not because a registry could not be read (`uncheckedRegistries` is empty)."""
    result = registered["results"][name]
    assert result["errors"] == [] and result["log"]["valid_signature"] is True
    step = result["registeredIssuer"]
    assert step == {"valid": False, "matchingIssuers": [], "uncheckedRegistries": []}


def test_registry_lookups_stayed_on_loopback(registered: dict[str, Any], loopback: Loopback) -> None:
    run = registered["run"]
    assert run["refused"] == []
    assert f"{FEDERATION}/.well-known/openid-federation" in run["fetched"]
    assert f"{FEDERATION}/dcc-legacy-registry.json" in run["fetched"]
    suspended = registered["issued"]["suspended"]["issuer"]["id"]
    assert f"/fetch?sub={suspended}" in loopback.requests  # asked, and answered 404
