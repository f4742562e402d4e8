"""Interop with an independent implementation: Digital Bazaar's Data Integrity libraries and panva's jose.

Every case runs both ways for eddsa-rdfc-2022 (Ed25519) and ecdsa-rdfc-2019 (P-256): what omc-vc signs
(library and ``omc sign``) verifies in the JavaScript stack, and what the JavaScript stack signs verifies
with ``omc verify`` and ``omc_vc.verify``. The JavaScript side (``js/interop.mjs``) has an offline document
loader that serves only the ``contexts/manifest.json`` files, did:key (Digital Bazaar's driver) and did:web
documents handed to it, so "verifies there" means "verifies with only the published contexts plus ours".

Needs ``node`` and ``npm ci --prefix tests/interop/js``; skipped otherwise, unless OMC_REQUIRE_INTEROP=1
(CI), which turns a missing toolchain into a failure. See tests/interop/README.md.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import omc_vc
from omc_vc import DidResolver, KeyPair, add_proof, did_web_document, jsonld
from omc_vc.keys import PublicKey

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
JS_DIR = HERE / "js"
SCRIPT = JS_DIR / "interop.mjs"
CONTEXTS = REPO / "contexts"
MANIFEST_URLS = {entry["url"] for entry in json.loads((CONTEXTS / "manifest.json").read_text(encoding="utf-8"))}

VC_V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
OB_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OMC_V1 = "https://omc-vc.ca/contexts/omc/v1"
CREATED = "2025-01-15T10:00:00Z"
VALID_FROM = "2025-01-01T00:00:00Z"
WEB_DID = "did:web:registrar.lakeshore-college.example.ca"

# (cryptosuite, omc key type, Digital Bazaar key type)
SUITES = [
    pytest.param("eddsa-rdfc-2022", "ed25519", "Ed25519", id="eddsa-rdfc-2022"),
    pytest.param("ecdsa-rdfc-2019", "p256", "P-256", id="ecdsa-rdfc-2019"),
    pytest.param("ecdsa-rdfc-2019", "p384", "P-384", id="ecdsa-rdfc-2019-p384"),
]
# (omc key type, JOSE alg)
JWT_ALGS = [pytest.param("ed25519", "EdDSA", id="EdDSA"), pytest.param("p256", "ES256", id="ES256")]


# --- toolchain ---------------------------------------------------------------------------------------

def _toolchain_problem() -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (JS_DIR / "node_modules").is_dir():
        return f"{JS_DIR / 'node_modules'} is missing (run: npm ci --prefix tests/interop/js)"
    return None


@pytest.fixture(scope="module", autouse=True)
def _require_js() -> None:
    problem = _toolchain_problem()
    if problem is None:
        return
    if os.environ.get("OMC_REQUIRE_INTEROP") == "1":
        pytest.fail(f"OMC_REQUIRE_INTEROP=1 but the JS interop toolchain is unavailable: {problem}", pytrace=False)
    pytest.skip(f"JS interop toolchain unavailable: {problem}")


def node(command: str, payload: Any) -> Any:
    proc = subprocess.run(["node", str(SCRIPT), command], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=60, cwd=JS_DIR)
    assert proc.returncode == 0, f"node interop.mjs {command} failed:\n{proc.stderr}"
    return json.loads(proc.stdout)


def node_batch(*calls: tuple[str, Any]) -> list[Any]:
    """Several interop.mjs commands in one node process (saves start-up time)."""
    outputs: list[Any] = node("batch", [{"command": command, "input": payload} for command, payload in calls])
    for (command, _), output in zip(calls, outputs, strict=True):
        if command in ("verify-di", "sign-di", "verify-vp", "sign-vp", "canonize"):
            assert_offline_loads(output["loaded"])
    return outputs


def _omc_command() -> list[str]:
    script = Path(sys.executable).with_name("omc")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from omc_vc.cli.main import main; sys.exit(main())"]


OMC = _omc_command()


def omc(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OMC, *map(str, args)], capture_output=True, text=True, timeout=60, cwd=REPO)


def assert_offline_loads(loaded: list[str]) -> None:
    """The JS loader served only manifest contexts and DIDs (it refuses anything else; say so here too)."""
    strays = [url for url in loaded if url not in MANIFEST_URLS and not url.startswith(("did:key:", "did:web:"))]
    assert not strays, f"the JS side loaded documents outside the manifest: {strays}"


def verify_di(document: dict[str, Any], did_documents: list[dict[str, Any]] | None = None) -> tuple[str, Any]:
    return "verify-di", {"document": document, "didDocuments": did_documents or []}


def sign_di(credential: dict[str, Any], cryptosuite: str, key: dict[str, Any], *,
            verification_method: str | None = None,
            did_documents: list[dict[str, Any]] | None = None) -> tuple[str, Any]:
    payload = {"credential": credential, "cryptosuite": cryptosuite, "created": CREATED,
               "publicKeyMultibase": key["publicKeyMultibase"], "secretKeyMultibase": key["secretKeyMultibase"],
               "didDocuments": did_documents or []}
    if verification_method:
        payload["verificationMethod"] = verification_method
    return "sign-di", payload


def assert_js_verified(result: dict[str, Any]) -> None:
    # `allProofsVerified`, not `verified`: jsonld-signatures accepts a proof set when any one proof verifies
    assert result["verified"] and result["allProofsVerified"], (result["error"], result["proofs"])


def write_json(path: Path, document: Any) -> Path:
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


CORE = "data-model,data-loss,proof,issuer-key-binding,validity-period"


def omc_verify(tmp_path: Path, document: dict[str, Any] | str, name: str,
               did_documents: list[dict[str, Any]] | None = None, *,
               core_only: bool = False) -> subprocess.CompletedProcess[str]:
    target = write_json(tmp_path / name, document)
    pins: list[str] = []
    for index, did_doc in enumerate(did_documents or []):
        pins += ["--did-document", str(write_json(tmp_path / f"did-{index}.json", did_doc))]
    return omc("verify", target, "--offline", *pins, *(["--checks", CORE] if core_only else []))


def lib_verify(document: dict[str, Any] | str, did_documents: list[dict[str, Any]] | None = None) -> Any:
    resolver = DidResolver(documents={doc["id"]: doc for doc in did_documents or []})
    return omc_vc.verify(document, resolver=resolver)


# --- credentials -------------------------------------------------------------------------------------

def plain_credential(issuer: str) -> dict[str, Any]:
    return {
        "@context": [VC_V2, EXAMPLES_V2],
        "id": "urn:uuid:9d6c1a8e-2b8f-4c1e-9a57-3f0b8f6f3a11",
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "issuer": issuer,
        "validFrom": VALID_FROM,
        "credentialSubject": {"id": "did:example:learner-1",
                              "alumniOf": {"name": "Collège Boréal — Sudbury, Ontario"}},
    }


def ob3_credential(issuer: str) -> dict[str, Any]:
    return {
        "@context": [VC_V2, OB_303],
        "id": "urn:uuid:1f3e1c52-6a0d-4e55-8d0a-0b9c4c2d7e01",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Intro to Welding",
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Lakeshore College",
                   "url": "https://www.lakeshore-college.example.ca"},
        "validFrom": VALID_FROM,
        "credentialSubject": {
            "id": "did:example:learner-1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://www.lakeshore-college.example.ca/achievements/weld-101",
                "type": ["Achievement"],
                "name": "Intro to Welding",
                "description": "Safe operation of MIG and TIG equipment.",
                "criteria": {"narrative": "Passed the practical assessment."},
                "achievementType": "Certificate",
            },
        },
    }


def omc_credential(issuer: str) -> dict[str, Any]:
    """An OMC: an OB 3.0 OpenBadgeCredential whose achievement is a MicroCredential with OMC terms."""
    credential = ob3_credential(issuer)
    credential["@context"] = [VC_V2, OB_303, OMC_V1]
    credential["issuer"]["omcConsentReference"] = "MCU-OMC-2025-0147"
    credential["credentialSubject"]["achievement"].update({
        "achievementType": "MicroCredential",
        "humanCode": "WELD-101",
        "creditsAvailable": 1.5,
        "creditUnit": "college credit",
        "instructionalHours": 42,
        "durationWeeks": 7,
        "qualificationCategory": "Skills-based micro-credential",
        "deliveryMode": "hybrid",
        "summativeAssessment": {"type": "SummativeAssessment", "description": "Practical weld test."},
        "cipCode": "48.0508",
        "nocCodes": ["72106"],
        "stacksInto": [{
            "id": "https://www.lakeshore-college.example.ca/programs/welding-techniques",
            "type": "StackingTarget",
            "name": "Welding Techniques Ontario College Certificate",
            "awardingInstitution": "Lakeshore College",
            "program": "Welding Techniques (WLD1)",
            "creditValue": 1.5,
            "creditUnit": "college credit",
            "creditRequired": 12,
            "awardedByIssuer": True,
        }],
    })
    return credential


def require_omc_context() -> None:
    if not (CONTEXTS / "omc-v1.jsonld").exists() or OMC_V1 not in MANIFEST_URLS:
        pytest.skip("contexts/omc-v1.jsonld (listed in contexts/manifest.json) is not present yet")


def tampered(document: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["credentialSubject"]["id"] = "did:example:someone-else"
    return changed


# --- keys (made once per module: key generation is not what is under test here) --------------------

@pytest.fixture(scope="module")
def js_keys() -> dict[str, dict[str, Any]]:
    """Keys made by the JS side: Multikey pairs (Digital Bazaar) and JWK pairs (jose), by type."""
    ed, p256, p384, ed_jwk, p256_jwk = node_batch(
        ("generate-key", {"type": "Ed25519"}), ("generate-key", {"type": "P-256"}),
        ("generate-key", {"type": "P-384"}),
        ("generate-jwk", {"alg": "EdDSA"}), ("generate-jwk", {"alg": "ES256"}))
    return {"Ed25519": ed, "P-256": p256, "P-384": p384, "EdDSA": ed_jwk, "ES256": p256_jwk}


@pytest.fixture(scope="module")
def omc_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Key files made by ``omc keys generate --insecure-plaintext``, by type: (path, JSON)."""
    folder = tmp_path_factory.mktemp("omc-keys")
    keys = {}
    for key_type in ("ed25519", "p256", "p384"):
        path = folder / f"{key_type}.key"
        proc = omc("keys", "generate", "--type", key_type, "--out", path, "--insecure-plaintext")
        assert proc.returncode == 0, proc.stderr
        keys[key_type] = (path, json.loads(path.read_text(encoding="utf-8")))
    return keys


# --- Data Integrity: omc-vc signs, Digital Bazaar verifies ------------------------------------------

@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES)
def test_library_signed_verifies_in_js(suite: str, key_type: str, db_type: str) -> None:
    key = KeyPair.generate(key_type)  # type: ignore[arg-type]
    signed = add_proof(plain_credential(key.controller), key, cryptosuite=suite, created=CREATED)
    unlisted = copy.deepcopy(signed)
    unlisted["@context"].append("https://contexts.example/unlisted/v1")
    good, bad, offline = node_batch(verify_di(signed), verify_di(tampered(signed)), verify_di(unlisted))
    assert_js_verified(good)
    assert not bad["verified"], "the JS verifier accepted a tampered credential"
    # the JS loader is offline: a context outside contexts/manifest.json is refused, not fetched
    assert not offline["verified"]
    assert "offline loader refuses to load https://contexts.example/unlisted/v1" in offline["error"]


@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES)
def test_cli_signed_verifies_in_js(tmp_path: Path, omc_keys: Any, suite: str, key_type: str, db_type: str) -> None:
    key_file, key_doc = omc_keys[key_type]
    unsigned = write_json(tmp_path / "credential.json", plain_credential(key_doc["controller"]))
    proc = omc("sign", unsigned, "--key", key_file, "--cryptosuite", suite, "--created", CREATED)
    assert proc.returncode == 0, proc.stderr
    signed = json.loads(proc.stdout)
    assert signed["proof"]["cryptosuite"] == suite
    assert signed["proof"]["verificationMethod"] == key_doc["verificationMethod"]
    (result,) = node_batch(verify_di(signed))
    assert_js_verified(result)


# --- Data Integrity: Digital Bazaar signs, omc-vc verifies ------------------------------------------

@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES)
def test_js_signed_verifies_with_omc(tmp_path: Path, js_keys: Any, suite: str, key_type: str, db_type: str) -> None:
    key = js_keys[db_type]
    (signed,) = node_batch(sign_di(plain_credential(key["did"]), suite, key))
    signed = signed["document"]
    assert signed["proof"]["cryptosuite"] == suite
    assert signed["proof"]["verificationMethod"] == key["verificationMethod"]
    proc = omc_verify(tmp_path, signed, "js-signed.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = lib_verify(signed)
    assert result.verified, result.reason
    # tampering is caught
    proc = omc_verify(tmp_path, tampered(signed), "js-signed-tampered.json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert not lib_verify(tampered(signed)).verified
    # Digital Bazaar's secretKeyMultibase (the 64-byte seed||public form for Ed25519) imports into omc-vc
    pair = KeyPair.from_secret_multibase(key["secretKeyMultibase"])
    assert pair.public_key.multibase == key["publicKeyMultibase"]
    assert pair.verification_method == key["verificationMethod"]


@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES)
def test_js_signs_with_omc_generated_key(omc_keys: Any, suite: str, key_type: str, db_type: str) -> None:
    """Key-format interop: an omc key file's secretKeyMultibase (32-byte form) works in the Multikey libraries."""
    _, key_doc = omc_keys[key_type]
    (signed,) = node_batch(sign_di(plain_credential(key_doc["controller"]), suite, key_doc))
    signed = signed["document"]
    assert signed["proof"]["verificationMethod"] == key_doc["verificationMethod"]
    result = lib_verify(signed)
    assert result.verified, result.reason


# --- Open Badges 3.0.3 -------------------------------------------------------------------------------

@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES)
def test_ob3_credential_both_ways(tmp_path: Path, js_keys: Any, suite: str, key_type: str, db_type: str) -> None:
    ours = KeyPair.generate(key_type)  # type: ignore[arg-type]
    signed = add_proof(ob3_credential(ours.controller), ours, cryptosuite=suite, created=CREATED)
    theirs = js_keys[db_type]
    result, js_signed = node_batch(verify_di(signed), sign_di(ob3_credential(theirs["did"]), suite, theirs))
    assert_js_verified(result)
    assert OB_303 in result["loaded"]
    assert OB_303 in js_signed["loaded"]

    js_signed = js_signed["document"]
    proc = omc_verify(tmp_path, js_signed, "ob3.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert lib_verify(js_signed).verified
    assert not lib_verify(tampered(js_signed)).verified


# --- OMC (OB 3.0.3 + the omc context) ---------------------------------------------------------------

@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES)
def test_omc_credential_both_ways(tmp_path: Path, js_keys: Any, suite: str, key_type: str, db_type: str) -> None:
    require_omc_context()
    ours = KeyPair.generate(key_type)  # type: ignore[arg-type]
    signed = add_proof(omc_credential(ours.controller), ours, cryptosuite=suite, created=CREATED)
    changed_ours = copy.deepcopy(signed)
    changed_ours["credentialSubject"]["achievement"]["instructionalHours"] = 420
    theirs = js_keys[db_type]
    result, result_changed, js_signed = node_batch(
        verify_di(signed), verify_di(changed_ours), sign_di(omc_credential(theirs["did"]), suite, theirs))
    assert_js_verified(result)
    assert OMC_V1 in result["loaded"]
    assert not result_changed["verified"], "the JS verifier accepted a changed OMC term"

    js_signed = js_signed["document"]
    # the hand-built OMC exercises the vocabulary, not the policy: check the cryptography and data model
    proc = omc_verify(tmp_path, js_signed, "omc.json", core_only=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert lib_verify(js_signed).verified
    changed = copy.deepcopy(js_signed)
    changed["credentialSubject"]["achievement"]["stacksInto"][0]["creditValue"] = 12
    assert not lib_verify(changed).verified


def _demo_registry(tmp_path: Path) -> Path:
    """An empty registry signed with the DEMO ministry key, for ``omc verify --registry ... --demo``."""
    from omc_vc._internal.resources import keys_dir
    from omc_vc.keys import load_key
    from omc_vc.registry import RegistryDraft, demo_anchors_path, load_anchors, sign_registry

    draft = RegistryDraft.new("urn:uuid:2c4e6a8b-1d3f-4b5a-9c7e-0f1a2b3c4d5e",
                              anchors=load_anchors(demo_anchors_path(), demo=True))
    return write_json(tmp_path / "registry.json", sign_registry(draft, [load_key(keys_dir() / "demo-ministry.key")]))


@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES)
def test_js_signed_micro_credential_verifies_and_is_not_an_omc(tmp_path: Path, js_keys: Any, suite: str,
                                                               key_type: str, db_type: str) -> None:
    """An Open Badges 3.0 credential whose achievement has OB's generic achievementType MicroCredential, signed
    by Digital Bazaar's stack for another issuer: it does not claim the OMC term (no OMC context), so the full
    ``omc verify`` verifies it (exit 0) and, with the ministry's registry, the verdict is "not an OMC"."""
    from omc_vc.verdict import HEADLINES, make_verifier

    theirs = js_keys[db_type]
    credential = ob3_credential(theirs["did"])
    credential["credentialSubject"]["achievement"]["achievementType"] = "MicroCredential"
    (signed,) = node_batch(sign_di(credential, suite, theirs))
    signed = signed["document"]
    proc = omc_verify(tmp_path, signed, "micro.json")  # the full verification: status, the OMC profile
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[skip] omc-profile: not an OMC claim" in proc.stdout and "NOT a valid Ontario" not in proc.stdout
    result = make_verifier(offline=True).verify(signed)
    assert result.verified, result.errors
    assert result.check("omc-profile").status == "skipped"  # type: ignore[union-attr]
    with_registry = omc("verify", tmp_path / "micro.json", "--offline", "--registry", _demo_registry(tmp_path),
                        "--demo", "--registry-cache", tmp_path / "cache")
    assert with_registry.returncode == 0, with_registry.stdout + with_registry.stderr
    assert with_registry.stdout.splitlines()[0] == HEADLINES["valid-not-omc"]
    assert "does not claim to be an Ontario Micro-Credential" in with_registry.stdout
    assert "skip] issuer-authorized: not an OMC claim" in with_registry.stdout
    # tampered, it is invalid whatever it claims
    assert omc_verify(tmp_path, tampered(signed), "micro-tampered.json").returncode == 1


@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES[:1])
def test_js_signed_claimed_omc_breaking_the_profile_verifies_but_is_not_a_valid_omc(
        tmp_path: Path, js_keys: Any, suite: str, key_type: str, db_type: str) -> None:
    """The hand-built OMC (OMC context: it claims the term) signed by Digital Bazaar's stack lacks what the OMC
    policy requires (a status entry, ...): ``omc verify`` without a registry exits 0 and says it is NOT a valid
    OMC; with the registry the verdict is "not an OMC" with the policy's reasons."""
    require_omc_context()
    from omc_vc.verdict import HEADLINES

    theirs = js_keys[db_type]
    (signed,) = node_batch(sign_di(omc_credential(theirs["did"]), suite, theirs))
    proc = omc_verify(tmp_path, signed["document"], "omc.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[warn] omc-profile: not a valid OMC: " in proc.stdout
    assert "NOT a valid Ontario Micro-Credential" in proc.stdout
    with_registry = omc("verify", tmp_path / "omc.json", "--offline", "--registry", _demo_registry(tmp_path),
                        "--demo", "--registry-cache", tmp_path / "cache")
    assert with_registry.returncode == 0, with_registry.stdout + with_registry.stderr
    assert with_registry.stdout.splitlines()[0] == HEADLINES["valid-not-omc"]


def test_issued_omc_verifies_in_js(tmp_path: Path) -> None:
    """An OMC made by our issuer (builder, catalogue, policy, status entry, an employer endorsement) and the
    endorsement itself verify in Digital Bazaar's stack."""
    require_omc_context()
    from omc_vc.issue.config import load_config
    from tests.fixtures.omc.sample import endorsement_of, make_institution, signed_omc

    issuer = KeyPair.generate()
    endorsement = endorsement_of(issuer.controller)
    config, key = make_institution(tmp_path / "institution", key=issuer, endorsements=[endorsement])
    config = load_config(config.path)
    issued = signed_omc(config, key, "weld-101")
    embedded = issued["credentialSubject"]["achievement"]["endorsement"][0]
    assert embedded["proof"] == endorsement["proof"]
    changed = copy.deepcopy(issued)
    changed["credentialSubject"]["achievement"]["name"] = "Forged"
    forged = copy.deepcopy(embedded)
    forged["credentialSubject"]["endorsementComment"] = "Do not hire."
    result, result_changed, result_endorsement, result_forged = node_batch(
        verify_di(issued), verify_di(changed), verify_di(embedded), verify_di(forged))
    assert_js_verified(result)
    assert OMC_V1 in result["loaded"]
    assert not result_changed["verified"]
    # the employer's EndorsementCredential, signed by the endorser, verifies on its own in the JS stack
    assert_js_verified(result_endorsement)
    assert not result_forged["verified"]


def test_french_omc_from_a_roster_verifies_in_js(tmp_path: Path) -> None:
    """A learner's roster row asks for French: the OMC carries the achievement's French edition (OB 3.0
    inLanguage, related naming the English one) and Digital Bazaar's stack verifies it as it was issued."""
    require_omc_context()
    from tests.fixtures.omc.sample import make_institution

    config, _ = make_institution(tmp_path / "institution", suspension=False)
    roster = tmp_path / "cohort.csv"
    roster.write_text("name,email,achievement,completion_date,language\n"
                      "Chloé Tremblay,chloe@example.ca,weld-101,2026-06-12,fr-CA\n", encoding="utf-8")
    out = tmp_path / "out"
    made = omc("issue", "--config", config.path, "--roster", roster, "--out", out, "--workers", "1")
    assert made.returncode == 0, made.stdout + made.stderr
    (path,) = [p for p in out.glob("*.json") if p.name != "index.json"]
    issued = json.loads(path.read_text(encoding="utf-8"))
    achievement = issued["credentialSubject"]["achievement"]
    assert achievement["inLanguage"] == "fr-CA" and achievement["name"] == "Fondements du soudage de structures"
    assert achievement["related"][0]["type"] == ["Related"] and achievement["related"][0]["inLanguage"] == "en"
    changed = copy.deepcopy(issued)
    changed["credentialSubject"]["achievement"]["related"][0]["inLanguage"] = "fr"
    result, result_changed = node_batch(verify_di(issued), verify_di(changed))
    assert_js_verified(result)
    assert not result_changed["verified"]  # the related edition is signed like every other word


# --- did:web (the DID document handed to both sides) ------------------------------------------------

@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES)
def test_did_web_issuer_both_ways(tmp_path: Path, js_keys: Any, suite: str, key_type: str, db_type: str) -> None:
    ours = KeyPair.generate(key_type).with_id(f"{WEB_DID}#key-1", WEB_DID)  # type: ignore[arg-type]
    theirs = js_keys[db_type]
    their_public = PublicKey.from_multibase(theirs["publicKeyMultibase"])
    did_doc = did_web_document(WEB_DID, [ours.public_key, their_public], fragments=["key-1", "key-2"])

    signed = add_proof(ob3_credential(WEB_DID), ours, cryptosuite=suite, created=CREATED)
    result, js_signed = node_batch(
        verify_di(signed, [did_doc]),
        sign_di(ob3_credential(WEB_DID), suite, theirs, verification_method=f"{WEB_DID}#key-2",
                did_documents=[did_doc]))
    assert_js_verified(result)

    js_signed = js_signed["document"]
    assert js_signed["proof"]["verificationMethod"] == f"{WEB_DID}#key-2"
    proc = omc_verify(tmp_path, js_signed, "web.json", [did_doc])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert lib_verify(js_signed, [did_doc]).verified


# --- Presentations (proofPurpose authentication, challenge and domain) -------------------------------

@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES)
def test_presentation_both_ways(js_keys: Any, suite: str, key_type: str, db_type: str) -> None:
    issuer = KeyPair.generate("ed25519")
    holder = KeyPair.generate(key_type)  # type: ignore[arg-type]
    credential = plain_credential(issuer.controller)
    credential["credentialSubject"]["id"] = holder.controller
    signed_vc = add_proof(credential, issuer, created=CREATED)
    challenge, domain = "b9f5c0a4-challenge", "verifier.example.ca"
    ours = add_proof({"@context": [VC_V2], "type": ["VerifiablePresentation"], "holder": holder.controller,
                      "verifiableCredential": [signed_vc]}, holder, cryptosuite=suite, purpose="authentication",
                     challenge=challenge, domain=domain, created=CREATED)
    theirs = js_keys[db_type]
    their_credential = plain_credential(issuer.controller)
    their_credential["credentialSubject"]["id"] = theirs["did"]
    js_vp = {"@context": [VC_V2], "type": ["VerifiablePresentation"], "holder": theirs["did"],
             "verifiableCredential": [add_proof(their_credential, issuer, created=CREATED)]}
    result, wrong_challenge, js_signed = node_batch(
        ("verify-vp", {"document": ours, "challenge": challenge, "domain": domain}),
        ("verify-vp", {"document": ours, "challenge": "another-challenge", "domain": domain}),
        ("sign-vp", {"presentation": js_vp, "cryptosuite": suite, "challenge": challenge, "domain": domain,
                     "created": CREATED, "publicKeyMultibase": theirs["publicKeyMultibase"],
                     "secretKeyMultibase": theirs["secretKeyMultibase"]}))
    assert result["allProofsVerified"], result["error"]
    assert not wrong_challenge["verified"]

    js_signed = js_signed["document"]
    assert js_signed["proof"]["proofPurpose"] == "authentication"
    outcome = omc_vc.verify(js_signed, challenge=challenge, domain=domain)
    assert outcome.verified, outcome.reason
    assert not omc_vc.verify(js_signed, challenge="another-challenge", domain=domain).verified


# --- VC-JWT (panva/jose) -----------------------------------------------------------------------------

@pytest.mark.parametrize(("key_type", "alg"), JWT_ALGS)
def test_cli_jwt_verified_by_jose(tmp_path: Path, omc_keys: Any, key_type: str, alg: str) -> None:
    key_file, key_doc = omc_keys[key_type]
    credential = plain_credential(key_doc["controller"])
    proc = omc("sign", write_json(tmp_path / "credential.json", credential), "--key", key_file, "--format", "jwt")
    assert proc.returncode == 0, proc.stderr
    token = proc.stdout.strip()
    public_jwk = PublicKey.from_multibase(key_doc["publicKeyMultibase"]).jwk()  # = omc keys export --format jwk
    header, _, signature = token.split(".")
    forged_payload = base64.urlsafe_b64encode(json.dumps(tampered(credential)).encode()).rstrip(b"=").decode()

    with_jwk, by_kid, forged = node_batch(
        ("verify-jwt", {"jwt": token, "publicJwk": public_jwk, "alg": alg}),
        # the kid alone: did:key through Digital Bazaar's driver, then to a JWK
        ("verify-jwt", {"jwt": token, "alg": alg}),
        ("verify-jwt", {"jwt": f"{header}.{forged_payload}.{signature}", "publicJwk": public_jwk, "alg": alg}))
    assert with_jwk["verified"], with_jwk["error"]
    assert with_jwk["header"]["alg"] == alg
    assert with_jwk["header"]["typ"] == "vc+jwt"
    assert with_jwk["header"]["kid"] == key_doc["verificationMethod"]
    assert with_jwk["payload"] == credential
    assert by_kid["verified"], by_kid["error"]
    assert {name: by_kid["publicJwk"][name] for name in public_jwk} == public_jwk
    assert not forged["verified"]


@pytest.mark.parametrize(("key_type", "alg"), JWT_ALGS)
def test_jose_jwt_verified_by_omc(tmp_path: Path, js_keys: Any, key_type: str, alg: str) -> None:
    key = js_keys[alg]
    # the did:key jose's key maps to (computed on the JS side) is the one omc-vc computes from the JWK
    assert PublicKey.from_jwk(key["publicJwk"]).did_key == key["did"]
    credential = plain_credential(key["did"])
    (signed,) = node_batch(("sign-jwt", {"credential": credential, "privateJwk": key["privateJwk"],
                                         "kid": key["verificationMethod"], "alg": alg}))
    token = signed["jwt"]
    proc = omc_verify(tmp_path, token, "jose.jwt")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = lib_verify(token)
    assert result.verified, result.reason
    assert result.format == "jwt"
    assert result.document == credential
    # a changed payload under the same signature is refused
    header, _, signature = token.split(".")
    forged_payload = base64.urlsafe_b64encode(json.dumps(tampered(credential)).encode()).rstrip(b"=").decode()
    assert not lib_verify(f"{header}.{forged_payload}.{signature}").verified


# --- Known differences from Digital Bazaar's stack (documented; see README.md) ----------------------
# These pin today's behaviour so a library upgrade that changes it is noticed. They are not bugs in
# omc-vc: each one is omc-vc following the spec text where the JS stack does something else.

def test_difference_proof_set_with_one_bad_proof() -> None:
    """DI 1.0 §4.5: a proof set verifies only if every proof does. jsonld-signatures 11.6.0 says
    ``verified: true`` when any one proof verifies (ProofSet.verify: ``results.some(...)``)."""
    key = KeyPair.generate("ed25519")
    signed = add_proof(plain_credential(key.controller), key, created=CREATED, proof_id="urn:uuid:proof-1")
    signed = add_proof(signed, key, created="2025-01-16T10:00:00Z", proof_id="urn:uuid:proof-2")
    signed["proof"][1]["proofValue"] = signed["proof"][0]["proofValue"]  # second proof: wrong signature
    (result,) = node_batch(verify_di(signed))
    assert result["verified"] is True           # Digital Bazaar: accepted ...
    assert result["allProofsVerified"] is False  # ... although one proof failed
    assert not lib_verify(signed).verified       # omc-vc: refused


def test_difference_small_doubles_canonicalize_differently() -> None:
    """JSON-LD 1.1 API §8.6: a number with a non-zero fractional part is an xsd:double. jsonld.js 9.0.0
    decides "double" with ``String(v).indexOf('.') !== -1`` (lib/types.js isDouble), so 1e-7 (String "1e-7")
    becomes ``"0"^^xsd:integer``; PyLD/omc-vc give ``"1.0E-7"^^xsd:double``."""
    document = {"@context": [VC_V2, EXAMPLES_V2], "id": "urn:uuid:n", "value": 1e-7}
    (js,) = node_batch(("canonize", {"document": document}))
    ours = jsonld.canonicalize(document)
    assert '"1.0E-7"^^<http://www.w3.org/2001/XMLSchema#double>' in ours
    assert '"0"^^<http://www.w3.org/2001/XMLSchema#integer>' in js["nquads"]


@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES)
def test_direction_both_ways(js_keys: Any, suite: str, key_type: str, db_type: str) -> None:
    """A language value with @direction: Digital Bazaar's rdfc cryptosuites canonicalize with rdfDirection
    "i18n-datatype" and so does omc-vc (jsonld.RDF_DIRECTION): the direction is signed, both ways, and a
    flipped direction is refused by both (w3c/vc-data-integrity#366)."""
    def directed(issuer: str) -> dict[str, Any]:
        credential = plain_credential(issuer)
        credential["credentialSubject"]["alumniOf"]["name"] = {"@value": "Collège", "@language": "fr",
                                                               "@direction": "ltr"}
        return credential

    def flipped(document: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(document)
        changed["credentialSubject"]["alumniOf"]["name"]["@direction"] = "rtl"
        return changed

    key = js_keys[db_type]
    ours = KeyPair.generate(key_type)  # type: ignore[arg-type]
    signed_ours = add_proof(directed(ours.controller), ours, cryptosuite=suite, created=CREATED)
    (signed_js, js_on_ours, js_on_flipped) = node_batch(sign_di(directed(key["did"]), suite, key),
                                                        verify_di(signed_ours), verify_di(flipped(signed_ours)))
    assert_js_verified(js_on_ours)
    assert not js_on_flipped["verified"], "the JS verifier accepted a flipped direction"
    result = lib_verify(signed_js["document"])
    assert result.verified, result.reason
    assert not lib_verify(flipped(signed_js["document"])).verified


# --- the VC-API: a credential secured by Digital Bazaar's stack, verified through omc serve's app -----

@pytest.mark.parametrize(("suite", "key_type", "db_type"), SUITES)
def test_js_signed_verifies_through_the_vc_api(js_keys: Any, suite: str, key_type: str, db_type: str) -> None:
    """POST /credentials/verify answers verified for a credential signed by an independent
    implementation, and not verified for a tampered one (both with the full and the proof-only checks)."""
    import warnings

    from omc_vc.web.app import create_app
    from omc_vc.web.config import WebConfig

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    key = js_keys[db_type]
    (signed,) = node_batch(sign_di(plain_credential(key["did"]), suite, key))
    document = signed["document"]
    with TestClient(create_app(WebConfig(offline=True))) as api:
        for options in ({}, {"checks": ["proof"]}):
            good = api.post("/credentials/verify", json={"verifiableCredential": document, "options": options})
            assert good.status_code == 200, good.text
            assert good.json()["verified"] is True and good.json()["errors"] == []
            bad = api.post("/credentials/verify", json={"verifiableCredential": tampered(document),
                                                        "options": options})
            assert bad.status_code in (400, 422), bad.text
            assert bad.json()["verified"] is False


def test_vocab_null_canonicalizes_as_jsonld_js_does() -> None:
    """``"@vocab": null`` with no vocabulary mapping is a no-op (JSON-LD 1.1 API §4.1.2 step 5.8.2): PyLD 3.3.0
    raised KeyError on it; omc-vc's context processing now agrees with jsonld.js byte for byte."""
    body = {"type": ["VerifiableCredential"], "issuer": "did:example:issuer",
            "credentialSubject": {"id": "did:example:subject", "name": "Ada"}}
    documents = [{"@context": [VC_V2, EXAMPLES_V2, {"@vocab": None}], **body},
                 {"@context": [VC_V2, {"@vocab": "urn:v:"}, {"@vocab": None}, EXAMPLES_V2], **body}]
    results = node_batch(*(("canonize", {"document": d}) for d in documents))
    for document, js in zip(documents, results, strict=True):
        assert jsonld.canonicalize(document) == js["nquads"]


# --- status entries (ADR 0013) -------------------------------------------------------------------------

def _issue_and_flag(folder: Path, *, suspension: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Three OMCs of the sample roster (the first revoked, the second suspended when the institution opted
    in, the third untouched) and the institution's signed status lists by URL."""
    from omc_vc.issue.sqlite_store import SqliteStore
    from omc_vc.issue.status_ops import revoke, signed_status_lists, suspend
    from tests.fixtures.omc.sample import issue_batch, make_institution, open_issuer

    config, key = make_institution(folder / "inst", suspension=suspension)
    report = issue_batch(config, folder / "inst" / "roster.csv", folder / "out", key=key, workers=1)
    credentials = [json.loads((folder / "out" / r.file).read_text(encoding="utf-8")) for r in report.issued[:3]]
    with SqliteStore(config.state_path) as store:
        revoke(store, credentials[0]["id"])
        if suspension:
            suspend(store, credentials[1]["id"])
    return credentials, signed_status_lists(open_issuer(config, key))


@pytest.mark.parametrize("suspension", [False, True], ids=["default-revocation-only", "suspension-opt-in"])
def test_digital_bazaar_status_library_reads_our_status_entries(tmp_path: Path, suspension: bool) -> None:
    """@digitalbazaar/vc-bitstring-status-list reads the default OMC's one revocation entry (an object) and
    the opt-in's two entries as omc-vc's own status check does: the bit per purpose (the library reports the
    bits and leaves the verdict to its caller, so its `verified` means "the status could be read")."""
    from omc_vc.checks.status import StatusListCheck
    from omc_vc.verify import Verifier

    require_omc_context()
    credentials, lists = _issue_and_flag(tmp_path, suspension=suspension)
    outcomes = node_batch(*(("check-status", {"document": c, "lists": lists}) for c in credentials))
    for outcome in outcomes:
        assert outcome["verified"] and outcome["statusVerified"], outcome["error"]
        assert all(url in MANIFEST_URLS or url in lists or url.startswith("did:key:") for url in outcome["loaded"])
    read = [[(s["purpose"], s["status"]) for s in outcome["statuses"]] for outcome in outcomes]
    if suspension:
        assert read == [[("revocation", True), ("suspension", False)], [("revocation", False), ("suspension", True)],
                        [("revocation", False), ("suspension", False)]]
    else:
        assert all(isinstance(c["credentialStatus"], dict) for c in credentials)
        assert read == [[("revocation", True)], [("revocation", False)], [("revocation", False)]]
    ours = [Verifier(extra_checks=[StatusListCheck(None, documents=lists)]).verify(c).check("status")
            for c in credentials]
    assert [check.code if check is not None else "no status check" for check in ours] == \
        ["CREDENTIAL_REVOKED", "CREDENTIAL_SUSPENDED" if suspension else None, None]
