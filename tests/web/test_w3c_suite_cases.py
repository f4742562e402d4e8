"""The test cases of the four W3C interoperability suites that exercise our VC-API, in our own words.

Suites read (reference only, nothing copied): w3c/vc-di-eddsa-test-suite, w3c/vc-di-ecdsa-test-suite,
w3c/vc-data-model-2.0-test-suite, w3c/vc-bitstring-status-list-test-suite, and their shared
w3c-ccg/data-integrity-test-suite-assertion. ``docs/interop-w3c-suites.md`` maps each suite test group
to the test functions below. Every input is built here with our own code (omc_vc.keys, add_proof, our
own low-level signer for the deliberately broken proofs); the W3C vectors come from ../shared.

Expectations that hold for all suites:
  * issue: 201 ``{"verifiableCredential": ...}``, invalid input 400 (the data-model suite accepts 422);
  * verify: exactly 200 with an empty ``errors`` list, otherwise 400 (the DI assertion suite's older
    helper demands 400 exactly, so 400 is asserted wherever a DI negative is sent).
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from omc_vc import jsonld
from omc_vc._internal import jcs
from omc_vc._internal.multibase import multibase_decode, multibase_encode
from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.bitstring import decode_bitstring, get_status
from omc_vc.did import did_key_document
from omc_vc.errors import JsonLdError
from omc_vc.keys import KeyPair
from omc_vc.proofs.data_integrity import add_proof
from omc_vc.proofs.jose import envelope, sign_jwt

from ..helpers import vector
from .conftest import TOKEN, TestClient

V2 = "https://www.w3.org/ns/credentials/v2"
V1 = "https://www.w3.org/2018/credentials/v1"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
DI_V2 = "https://w3id.org/security/data-integrity/v2"
SUITE_OF = {"ed25519": "eddsa-rdfc-2022", "p256": "ecdsa-rdfc-2019", "p384": "ecdsa-rdfc-2019"}
HASH_OF = {"ed25519": "sha256", "p256": "sha256", "p384": "sha384"}
SIGNATURE_BYTES = {"ed25519": 64, "p256": 64, "p384": 96}
# Multikey public keys: multicodec header + key bytes (vc-di-eddsa §2.1.1, vc-di-ecdsa §2.1.1)
MULTIKEY = {"ed25519": (b"\xed\x01", 34), "p256": (b"\x80\x24", 35), "p384": (b"\x81\x24", 51)}
# XMLSCHEMA11-2 dateTimeStamp: a time zone is required
DATE_TIME_STAMP = re.compile(r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                             r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)"
                             r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))")
BASE58 = re.compile(r"[1-9A-HJ-NP-Za-km-z]+")

# the signing profiles the suites ask our issuer for: (key type, cryptosuite requested in options or None)
PROFILES = {"eddsa-rdfc-2022": ("ed25519", None), "eddsa-jcs-2022": ("ed25519", "eddsa-jcs-2022"),
            "ecdsa-rdfc-2019 P-256": ("p256", None), "ecdsa-rdfc-2019 P-384": ("p384", None)}


@pytest.fixture(scope="module")
def issuer_keys() -> list[KeyPair]:
    """Overrides the conftest fixture: the service issues as Ed25519, P-256 and P-384 did:key issuers."""
    return [KeyPair.generate("ed25519"), KeyPair.generate("p256"), KeyPair.generate("p384")]


@pytest.fixture
def key_of(issuer_keys: list[KeyPair]) -> Callable[[str], KeyPair]:
    return lambda key_type: next(k for k in issuer_keys if k.key_type == key_type)


def _v2_credential() -> dict[str, Any]:
    """The DI suites' minimal valid credential (a subject with one claim)."""
    return {"@context": [V2], "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:subject", "name": "Alice"}}


def _v11_credential() -> dict[str, Any]:
    """The ecdsa suite's VCDM 1.1 input: the v1 context plus an inline context for its claims."""
    return {"@context": [V1, {"name": "https://schema.org/name", "description": "https://schema.org/description"}],
            "type": ["VerifiableCredential"], "issuanceDate": format_datetime(utcnow()),
            "credentialSubject": {"id": "urn:uuid:1a0e4ef5-091f-4060-842e-18e519ab9440", "name": "Alice",
                                  "description": "A credential about Alice."}}


def _post_issue(api: TestClient, credential: dict[str, Any], issuer: str | None,
                options: dict[str, Any] | None = None) -> Any:
    """What the suites' createInitialVc / createRequestBody do: a fresh id, the endpoint's issuer id
    (unless the input names one; an issuer object without id gets it), and the endpoint's options."""
    body = copy.deepcopy(credential)
    if issuer is not None:
        if isinstance(body.get("issuer"), dict):
            body["issuer"].setdefault("id", issuer)
        else:
            body.setdefault("issuer", issuer)
    request: dict[str, Any] = {"credential": body}
    if options is not None:
        request["options"] = options
    return api.post("/credentials/issue", json=request)


def _verify(api: TestClient, credential: Any, options: dict[str, Any] | None = None) -> Any:
    body: dict[str, Any] = {"verifiableCredential": credential}
    if options is not None:
        body["options"] = options
    return api.post("/credentials/verify", json=body)


def _verify_vp(api: TestClient, presentation: Any, options: dict[str, Any] | None = None) -> Any:
    return api.post("/presentations/verify", json={"verifiablePresentation": presentation,
                                                   "options": {"checks": []} if options is None else options})


def _assert_verified(response: Any) -> None:
    assert response.status_code == 200, response.text[:400]
    assert response.json()["verified"] is True and response.json()["errors"] == []


def _assert_rejected(response: Any, *statuses: int) -> None:
    allowed = statuses or (400,)
    assert response.status_code in allowed, f"{response.status_code} {response.text[:300]}"
    if response.headers.get("content-type", "").startswith("application/json") and "verified" in response.json():
        assert response.json()["verified"] is False


# --- our own low-level signer, for the deliberately broken proofs the suites generate -----------------

@dataclass
class Signing:
    """How to sign: the proof options to change or drop, the canonicalization and the digest."""

    options: dict[str, Any]
    drop: tuple[str, ...] = ()
    canonicalization: str = "suite"  # "suite", "jcs", "prefixed-json" (the suites' "unknown" algorithm)
    digest: str | None = None  # None: the suite's hash; "sha512" for the wrong-digest case


def _sign(document: dict[str, Any], key: KeyPair, cryptosuite: str, how: Signing) -> dict[str, Any]:
    """A DataIntegrityProof computed step by step (VC-DI §4.2 with the cryptosuite's transformation,
    hashing and serialization), with the requested deviations: the signature is valid over what was
    signed, so a verifier must catch the deviation itself."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options: dict[str, Any] = {"type": "DataIntegrityProof", "cryptosuite": cryptosuite,
                               "created": format_datetime(utcnow()), "verificationMethod": key.verification_method,
                               "proofPurpose": "assertionMethod"}
    options.update(how.options)
    for name in how.drop:
        options.pop(name, None)
    jcs_suite = cryptosuite == "eddsa-jcs-2022"
    if jcs_suite:
        options["@context"] = unsecured["@context"]
    config = {**options, "@context": unsecured["@context"]}
    hash_name = how.digest or HASH_OF[key.key_type]
    method = how.canonicalization
    if method == "suite":
        method = "jcs" if jcs_suite else "rdfc"
    if method == "rdfc":
        canonical_doc = jsonld.canonicalize(unsecured, check_data_loss=False, hash_algorithm=HASH_OF[key.key_type])
        canonical_config = jsonld.canonicalize(config, check_data_loss=False, hash_algorithm=HASH_OF[key.key_type])
    elif method == "jcs":
        canonical_doc, canonical_config = jcs.canonicalize(unsecured), jcs.canonicalize(config)
    else:  # a made-up "canonicalization": plain JSON with every top-level key prefixed
        canonical_doc = jcs.canonicalize({f"unknown-{k}": v for k, v in unsecured.items()})
        canonical_config = jcs.canonicalize({f"unknown-{k}": v for k, v in config.items()})
    hash_data = (hashlib.new(hash_name, canonical_config.encode()).digest()
                 + hashlib.new(hash_name, canonical_doc.encode()).digest())
    options["proofValue"] = multibase_encode(key.sign(hash_data))
    return {**unsecured, "proof": options}


def _fresh(credential: dict[str, Any], key: KeyPair) -> dict[str, Any]:
    return {**copy.deepcopy(credential), "issuer": key.controller}


# =====================================================================================================
# 1. Issuers: data-integrity-test-suite-assertion suites/create.js (used by the eddsa and ecdsa suites),
#    the eddsa/ecdsa "(create)" and "Algorithms" groups, and the vc-data-model-2.0 conformance checks.
# =====================================================================================================

@pytest.fixture
def issued(api: TestClient, key_of: Callable[[str], KeyPair]) -> Callable[[str, str], tuple[dict[str, Any], KeyPair]]:
    def make(profile: str, version: str) -> tuple[dict[str, Any], KeyPair]:
        key_type, suite = PROFILES[profile]
        key = key_of(key_type)
        credential = _v2_credential() if version == "2.0" else _v11_credential()
        credential["id"] = "urn:uuid:86294362-4254-4f36-854f-3952fe42555d"
        response = _post_issue(api, credential, key.controller, {"cryptosuite": suite} if suite else {})
        assert response.status_code == 201, response.text[:400]
        assert set(response.json()) == {"verifiableCredential"}
        return response.json()["verifiableCredential"], key
    return make


@pytest.mark.parametrize("version", ["2.0", "1.1"])
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_issuer_proof_format(issued: Callable[[str, str], tuple[dict[str, Any], KeyPair]],
                             api: TestClient, profile: str, version: str) -> None:
    """DI assertion create.js (every 'it'), vc-di-eddsa 10-rdfc-create / 40-jcs-create, vc-di-ecdsa
    10-rdfc-create and 90-algorithms-rdfc: the shape of the proof our issuer writes, and that it verifies."""
    vc, key = issued(profile, version)
    expected_suite = PROFILES[profile][1] or SUITE_OF[key.key_type]
    proof = vc["proof"]
    # DI §2.1: a proof property, one object (or a set of objects)
    assert isinstance(proof, dict)
    # DI §2.1: type maps to a URL; DataIntegrityProof needs the v2 or data-integrity context
    assert proof["type"] == "DataIntegrityProof"
    contexts = vc["@context"]
    assert contexts[0] == (V2 if version == "2.0" else V1)
    assert V2 in contexts or DI_V2 in contexts
    if version == "1.1":
        assert contexts[-1] == DI_V2 and "issuanceDate" in vc
    # DI §3.1 / suite §3: cryptosuite is a string naming this suite, typed cryptosuiteString after expansion
    assert proof["cryptosuite"] == expected_suite
    expanded = jsonld.expand({"@context": contexts, "type": proof["type"], "cryptosuite": proof["cryptosuite"]})
    typed = expanded[0]["https://w3id.org/security#cryptosuite"][0]
    assert typed == {"@type": "https://w3id.org/security#cryptosuiteString", "@value": expected_suite}
    # DI §2.1: created is a dateTimeStamp; proofPurpose and verificationMethod map to URLs
    assert DATE_TIME_STAMP.fullmatch(proof["created"])
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == key.verification_method
    # the did:key verification method dereferences to a Multikey the controller lists for assertionMethod
    controller_doc = did_key_document(key.controller)
    method = next(m for m in controller_doc["verificationMethod"] if m["id"] == proof["verificationMethod"])
    assert method["type"] == "Multikey" and method["controller"] == key.controller
    assert proof["verificationMethod"] in controller_doc[proof["proofPurpose"]]
    header, length = MULTIKEY[key.key_type]
    public = multibase_decode(method["publicKeyMultibase"])
    assert method["publicKeyMultibase"].startswith("z") and BASE58.fullmatch(method["publicKeyMultibase"][1:])
    assert public[:2] == header and len(public) == length
    # proofValue: multibase base58-btc of a detached signature of the right length (64 / 64 / 96 bytes)
    assert proof["proofValue"].startswith("z") and BASE58.fullmatch(proof["proofValue"][1:])
    assert len(multibase_decode(proof["proofValue"])) == SIGNATURE_BYTES[key.key_type]
    for optional in ("domain", "challenge", "previousProof", "nonce", "expires"):
        assert optional not in proof
    # the claims came back untouched, and "proof MUST verify when using a conformant verifier"
    assert vc["credentialSubject"]["name"] == "Alice"
    _assert_verified(_verify(api, vc, {"checks": ["proof"]}))
    _assert_verified(_verify(api, vc))


@pytest.mark.parametrize("options", [{"cryptosuite": "eddsa-jcs-2022"}, {"cryptosuite": "unknown-2099"},
                                     {"cryptosuite": 7}])
def test_issuer_refuses_a_cryptosuite_the_key_cannot_use(api: TestClient, key_of: Callable[[str], KeyPair],
                                                         options: dict[str, Any]) -> None:
    """The jcs issuer is an option of the Ed25519 issuer only; a P-256 issuer refuses it (PROOF_GENERATION)."""
    response = _post_issue(api, _v2_credential(), key_of("p256").controller, options)
    _assert_rejected(response)
    assert response.json()["code"] == "PROOF_GENERATION_ERROR"


# =====================================================================================================
# 2. Verifiers: data-integrity-test-suite-assertion suites/verify.js + generators.js (mandatory, created
#    and authentication generators), eddsa 20-rdfc-verify / 50-jcs-verify, ecdsa 15-rdfc-di-verify,
#    70-conformance, suites/algorithms (noTypeOrCryptosuite, invalidCreated).
# =====================================================================================================

VERIFY_PROFILES = {"eddsa-rdfc-2022": ("ed25519", "eddsa-rdfc-2022"), "eddsa-jcs-2022": ("ed25519", "eddsa-jcs-2022"),
                   "ecdsa-rdfc-2019 P-256": ("p256", "ecdsa-rdfc-2019"),
                   "ecdsa-rdfc-2019 P-384": ("p384", "ecdsa-rdfc-2019")}


@pytest.fixture(scope="module")
def suite_key() -> Callable[[str], KeyPair]:
    """The suites sign their verifier inputs with their own key (issuer = that key's controller)."""
    keys = {t: KeyPair.generate(t) for t in ("ed25519", "p256", "p384")}
    return lambda key_type: keys[key_type]


def _generated(suite_key: Callable[[str], KeyPair], profile: str, how: Signing,
               version: str = "2.0") -> dict[str, Any]:
    key_type, suite = VERIFY_PROFILES[profile]
    key = suite_key(key_type)
    base = _v2_credential() if version == "2.0" else _v11_credential()
    if version == "1.1":
        base["@context"] = [*base["@context"], DI_V2]
    return _sign(_fresh(base, key), key, suite, how)


def _now_without_offset() -> str:
    return format_datetime(utcnow()).removesuffix("Z")


# the generators: name -> (signing deviation, request options); each must be refused with 400
NEGATIVE_GENERATED: dict[str, tuple[Callable[[], Signing], dict[str, Any]]] = {
    # generators.mandatory
    "invalidProofType": (lambda: Signing({"type": "UnknownProofType"}), {}),
    "invalidCryptosuite": (lambda: Signing({"cryptosuite": "UnknownCryptosuite"}), {}),
    "incorrectCryptosuite (eddsa)": (lambda: Signing({"cryptosuite": "unknown-cryptosuite-2017"}), {}),
    "noVm": (lambda: Signing({}, drop=("verificationMethod",)), {}),
    "invalidVm (did:key:invalidVm)": (lambda: Signing({"verificationMethod": "did:key:invalidVm"}), {}),
    "invalidVm (did:key:@invalidVm@)": (lambda: Signing({"verificationMethod": "did:key:@invalidVm@"}), {}),
    "noProofPurpose": (lambda: Signing({}, drop=("proofPurpose",)), {}),
    "invalidProofPurpose": (lambda: Signing({"proofPurpose": "invalidPurpose"}), {}),
    "noTypeOrCryptosuite (ecdsa algorithms)": (lambda: Signing({"type": "", "cryptosuite": ""}), {}),
    # generators.created
    "invalidCreated": (lambda: Signing({"created": "invalidDate"}), {}),
    "noOffsetCreated": (lambda: Signing({"created": _now_without_offset()}), {}),
    "noOffsetExpires": (lambda: Signing({"expires": _now_without_offset()}), {}),
    # generators.authentication, sent with options that do not match
    "invalidDomain": (lambda: Signing({"proofPurpose": "authentication", "challenge": "1235abcd6789",
                                       "domain": "invalid-vc-domain.example.com"}), {"domain": "domain.example"}),
    "invalidChallenge": (lambda: Signing({"proofPurpose": "authentication", "challenge": "invalid-challenge",
                                          "domain": "domain.example"}),
                         {"domain": "domain.example", "challenge": "1235abcd6789"}),
    # suites/verify.js: an issuedVc verified with an expectedProofPurpose it does not have
    "expectedProofPurpose authentication": (lambda: Signing({}), {"expectedProofPurpose": "authentication"}),
    # eddsa 20-rdfc-verify / 50-jcs-verify: wrong canonicalization or digest
    "canonizeJcs / canonizeUnknown": (lambda: Signing({}, canonicalization="prefixed-json"), {}),
    "digestSha512": (lambda: Signing({}, digest="sha512"), {}),
}


@pytest.mark.parametrize("case", sorted(NEGATIVE_GENERATED))
@pytest.mark.parametrize("profile", sorted(VERIFY_PROFILES))
def test_verifier_rejects_generated_negatives(api: TestClient, suite_key: Callable[[str], KeyPair],
                                              profile: str, case: str) -> None:
    how, options = NEGATIVE_GENERATED[case]
    credential = _generated(suite_key, profile, how())
    response = _verify(api, credential, {"checks": ["proof"], **options})
    _assert_rejected(response)
    # refused for what is wrong with the proof, not because an option was not understood
    body = response.json()
    assert body.get("code") != "UNKNOWN_OPTION_PROVIDED" and body["errors"], body


def test_rdfc_signature_over_jcs_canonical_form_is_refused(api: TestClient,
                                                           suite_key: Callable[[str], KeyPair]) -> None:
    """eddsa 20-rdfc-verify 'canonicalization other than URDNA2015': an eddsa-rdfc-2022 proof whose
    signature covers the JCS form (the jcs profile above already signs with JCS legitimately)."""
    credential = _generated(suite_key, "eddsa-rdfc-2022", Signing({}, canonicalization="jcs"))
    _assert_rejected(_verify(api, credential, {"checks": ["proof"]}))


def test_generated_positive_cases_verify(api: TestClient, suite_key: Callable[[str], KeyPair]) -> None:
    """The unmodified generator outputs (issuedVc, noCreated, createdOneYearAgo, a proof with a matching
    domain and challenge asked for explicitly) verify: the negatives above fail for their own reason."""
    a_year_ago = format_datetime(utcnow().replace(year=utcnow().year - 1))
    for profile in VERIFY_PROFILES:
        for how in (Signing({}), Signing({}, drop=("created",)), Signing({"created": a_year_ago})):
            credential = _generated(suite_key, profile, how)
            _assert_verified(_verify(api, credential, {"checks": ["proof"]}))
            _assert_verified(_verify(api, credential, {}))
            _assert_verified(_verify(api, credential))
        purpose_ok = _generated(suite_key, profile, Signing({}))
        _assert_verified(_verify(api, purpose_ok, {"checks": ["proof"], "expectedProofPurpose": "assertionMethod"}))


# suites/verify.js mutations of an issuedVc after signing, and the suites' proofValue corruptions
def _drop_proof(vc: dict[str, Any]) -> None:
    del vc["proof"]


def _null_proof(vc: dict[str, Any]) -> None:
    vc["proof"] = None


def _drop_proof_type(vc: dict[str, Any]) -> None:
    del vc["proof"]["type"]


def _drop_proof_value(vc: dict[str, Any]) -> None:
    del vc["proof"]["proofValue"]


def _null_proof_value(vc: dict[str, Any]) -> None:
    vc["proof"]["proofValue"] = None


def _strip_multibase_header(vc: dict[str, Any]) -> None:
    vc["proof"]["proofValue"] = vc["proof"]["proofValue"][1:]


def _extend_signature(vc: dict[str, Any]) -> None:
    # eddsa 'proofValue ... not 64 bytes': 32 more bytes after the signature
    raw = multibase_decode(vc["proof"]["proofValue"])
    vc["proof"]["proofValue"] = multibase_encode(raw + bytes(range(7, 39)))


def _set_cryptosuite(vc: dict[str, Any]) -> None:
    # ecdsa 20-rdfc-verify: the cryptosuite changed after signing
    vc["proof"]["cryptosuite"] = "invalid-cryptosuite"


MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "proof missing": _drop_proof, "proof null": _null_proof, "proof.type missing": _drop_proof_type,
    "proofValue missing": _drop_proof_value, "proofValue null": _null_proof_value,
    "proofValue without multibase header": _strip_multibase_header,
    "proofValue 32 bytes too long": _extend_signature, "cryptosuite changed after signing": _set_cryptosuite,
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
@pytest.mark.parametrize("profile", sorted(VERIFY_PROFILES))
def test_verifier_rejects_mutated_issued_credentials(api: TestClient, suite_key: Callable[[str], KeyPair],
                                                     profile: str, mutation: str) -> None:
    credential = _generated(suite_key, profile, Signing({}))
    MUTATIONS[mutation](credential)
    _assert_rejected(_verify(api, credential, {"checks": ["proof"]}))


@pytest.mark.parametrize("case", ["invalidCryptosuite", "invalidVm (did:key:invalidVm)", "invalidProofType"])
@pytest.mark.parametrize("key_type", ["p256", "p384"])
@pytest.mark.parametrize("version", ["1.1", "2.0"])
def test_ecdsa_conformance_per_vc_version(api: TestClient, suite_key: Callable[[str], KeyPair], version: str,
                                          key_type: str, case: str) -> None:
    """ecdsa 70-conformance: each negative for each key type and each VC version."""
    profile = "ecdsa-rdfc-2019 P-256" if key_type == "p256" else "ecdsa-rdfc-2019 P-384"
    how, _ = NEGATIVE_GENERATED[case]
    _assert_rejected(_verify(api, _generated(suite_key, profile, how(), version), {"checks": ["proof"]}))
    # and the same credential signed properly verifies (VCDM 1.1 with the data-integrity context appended)
    _assert_verified(_verify(api, _generated(suite_key, profile, Signing({}), version), {"checks": ["proof"]}))


@pytest.mark.parametrize("key_type", ["ed25519", "p256", "p384"])
def test_proof_sets_and_chains(api: TestClient, suite_key: Callable[[str], KeyPair], key_type: str) -> None:
    """ecdsa 75-proof-chains (DI §4.5): a proof set, a chain whose previousProof names an existing proof,
    and the negative fixtures: a renamed proof id, a previousProof list with a missing member."""
    key = suite_key(key_type)
    first = add_proof(_fresh(_v2_credential(), key), key, proof_id="urn:uuid:7b1c0f6e-first")
    proof_set = add_proof(first, key, proof_id="urn:uuid:7b1c0f6e-second")
    chain = add_proof(first, key, proof_id="urn:uuid:7b1c0f6e-third", previous_proof="urn:uuid:7b1c0f6e-first")
    for good in (proof_set, chain):
        assert isinstance(good["proof"], list) and len(good["proof"]) == 2
        _assert_verified(_verify(api, good, {"checks": ["proof"]}))
        _assert_verified(_verify(api, good))  # the suite's verifySuccess sends no options at all
    renamed = copy.deepcopy(chain)
    renamed["proof"][0]["id"] = "urn:uuid:7b1c0f6e-renamed"
    _assert_rejected(_verify(api, renamed))
    own_id_changed = copy.deepcopy(chain)  # the suite's fixture: proof[1].id replaced after signing
    own_id_changed["proof"][1]["id"] = "urn:uuid:7b1c0f6e-other"
    _assert_rejected(_verify(api, own_id_changed))
    list_missing = copy.deepcopy(chain)
    list_missing["proof"][1]["previousProof"] = ["urn:uuid:7b1c0f6e-first", "urn:uuid:7b1c0f6e-absent"]
    _assert_rejected(_verify(api, list_missing, {"checks": ["proof"]}))
    not_string = copy.deepcopy(chain)
    not_string["proof"][1]["previousProof"] = 42
    _assert_rejected(_verify(api, not_string, {"checks": ["proof"]}))


@pytest.mark.parametrize(("name", "path"), [("eddsa-rdfc-2022-alumni.json", ("signedCredential",)),
                                            ("eddsa-jcs-2022-alumni.json", ("signedCredential",)),
                                            ("ecdsa-rdfc-2019-p256.json", ("basic", "signedCredential")),
                                            ("ecdsa-rdfc-2019-p256.json", ("employment", "signedCredential"))])
def test_w3c_vectors_interop(api: TestClient, name: str, path: tuple[str, ...]) -> None:
    """The interop groups (eddsa 30-rdfc-interop / 60-jcs-interop, ecdsa 30-rdfc-interop): credentials
    secured by an independent implementation verify with checks ["proof"]; a tampered claim does not."""
    doc: Any = vector(name)
    for part in path:
        doc = doc[part]
    _assert_verified(_verify(api, doc, {"checks": ["proof"]}))
    tampered = copy.deepcopy(doc)
    tampered["credentialSubject"]["tampered"] = True
    _assert_rejected(_verify(api, tampered, {"checks": ["proof"]}))


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_interop_our_issuer_to_our_verifier(issued: Callable[[str, str], tuple[dict[str, Any], KeyPair]],
                                            api: TestClient, profile: str) -> None:
    """The interop matrix cell 'omc-vc verifies omc-vc', for both VC versions."""
    for version in ("2.0", "1.1"):
        vc, _ = issued(profile, version)
        _assert_verified(_verify(api, vc, {"checks": ["proof"]}))


# =====================================================================================================
# 3. vc-data-model-2.0: what the issuer must accept and refuse (4.03 ... 5.00), and the verifier side.
# =====================================================================================================

def _dm(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"@context": [V2], "type": ["VerifiableCredential"],
                            "credentialSubject": {"id": "did:example:subject"}}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not _ABSENT}


_ABSENT: Any = object()
STATUS_CTX = {"CredentialStatusList2017": "https://example.org/examples#CredentialStatusList2017"}
EVIDENCE_CTX = {"DocumentVerification2018": "https://example.org/examples#DocumentVerification2018"}
POLICY_CTX = {"IssuerPolicy": "https://example.org/examples#IssuerPolicy"}
REFRESH_CTX = {"ManualRefreshService2018": "https://example.org/examples#ManualRefreshService2018"}
EXAMPLE_TYPE = "https://example.org/examples#ExampleTestCredential"
SCHEMA = {"type": "https://example.org/#ExampleTestSuiteSchema", "id": "https://example.org/schemas/1.json"}

ISSUE_ACCEPTED: dict[str, dict[str, Any]] = {
    "4.03 @context as an ordered array": _dm(),
    "4.03 several context URLs": _dm(**{"@context": [V2, EXAMPLES]}),
    "4.03 an object in @context": _dm(**{"@context": [V2, {"ExampleTestCredential": EXAMPLE_TYPE}],
                                          "type": ["VerifiableCredential", "ExampleTestCredential"]}),
    "4.04 DID credentialSubject id": _dm(credentialSubject={"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"}),
    "4.04 a single URL id": _dm(id="http://university.example/credentials/1872"),
    "4.04 a single credentialSubject id": _dm(credentialSubject={"id": "did:example:subject"}),
    "4.05 an extra type as an absolute URL": _dm(type=["VerifiableCredential", EXAMPLE_TYPE]),
    "4.05 an extra type mapped in @context": _dm(**{"@context": [V2, {"ExampleTestCredential": EXAMPLE_TYPE}],
                                                    "type": ["VerifiableCredential", "ExampleTestCredential"]}),
    "4.05 type order 1 (VC last)": _dm(type=[EXAMPLE_TYPE, "https://example.org/examples#Other",
                                             "VerifiableCredential"]),
    "4.05 type order 2 (VC in the middle)": _dm(type=[EXAMPLE_TYPE, "VerifiableCredential",
                                                      "https://example.org/examples#Other"]),
    "4.05/4.10 credentialStatus with a type": _dm(**{"@context": [V2, STATUS_CTX]}, credentialStatus={
        "id": "did:example:status", "type": "CredentialStatusList2017"}),
    "4.10 credentialStatus without an id": _dm(**{"@context": [V2, STATUS_CTX]}, credentialStatus={
        "type": "CredentialStatusList2017"}),
    "4.05/5.05 termsOfUse with a type": _dm(**{"@context": [V2, POLICY_CTX]}, termsOfUse={"type": "IssuerPolicy"}),
    "5.05 several termsOfUse, one with an id": _dm(**{"@context": [V2, POLICY_CTX]}, termsOfUse=[
        {"type": "IssuerPolicy", "id": "https://example.org/policies/1"}, {"type": "IssuerPolicy"}]),
    "4.05/5.06 evidence with a type": _dm(**{"@context": [V2, EVIDENCE_CTX]},
                                          evidence={"type": "DocumentVerification2018"}),
    "5.06 several evidence objects": _dm(**{"@context": [V2, EVIDENCE_CTX]}, evidence=[
        {"type": "DocumentVerification2018"}, {"type": "DocumentVerification2018",
                                               "id": "https://example.org/evidence/2"}]),
    "4.05/5.04 refreshService with a type": _dm(**{"@context": [V2, REFRESH_CTX]}, refreshService={
        "type": "ManualRefreshService2018", "id": "https://example.org/refresh/1"}),
    "5.04 several refreshService objects": _dm(**{"@context": [V2, REFRESH_CTX]}, refreshService=[
        {"type": "ManualRefreshService2018", "id": "https://example.org/refresh/1"},
        {"type": "ManualRefreshService2018", "id": "https://example.org/refresh/2"}]),
    "4.05/4.11 credentialSchema with a type": _dm(credentialSchema=SCHEMA),
    "4.11 several credentialSchema": _dm(credentialSchema=[SCHEMA, {**SCHEMA, "id": "https://example.org/s/2.json"}]),
    "4.06 name as a string": _dm(name="Example Credential"),
    "4.06 no name": _dm(),
    "4.06 name in a language": _dm(name={"@value": "Example Credential", "@language": "en"}),
    "4.06 name in several languages": _dm(name=[{"@value": "Example", "@language": "en"},
                                                {"@value": "Exemple", "@language": "fr"}]),
    "4.06 description as a string": _dm(description="An example credential"),
    "4.06 description in a language": _dm(description={"@value": "An example", "@language": "en"}),
    "4.06 description in several languages": _dm(description=[{"@value": "An example", "@language": "en"},
                                                              {"@value": "Un exemple", "@language": "fr"}]),
    "4.06 issuer.name as a string": _dm(issuer={"name": "Example Issuer"}),
    "4.06 issuer without a name": _dm(issuer={}),
    "4.06 issuer.name in a language": _dm(issuer={"name": {"@value": "Example Issuer", "@language": "en"}}),
    # a base direction is signed as an i18n datatype (jsonld.RDF_DIRECTION), as the suites' signer does
    "4.06 name with a language and a direction": _dm(name={"@value": "Example", "@language": "en",
                                                          "@direction": "ltr"}),
    "4.06 description with a language and a direction": _dm(description={"@value": "مثال", "@language": "ar",
                                                                        "@direction": "rtl"}),
    "4.06 issuer.name with a language and a direction": _dm(issuer={"name": {
        "@value": "Example Issuer", "@language": "en", "@direction": "ltr"}}),
    "4.06 issuer.description with a language and a direction": _dm(issuer={"description": {
        "@value": "An issuer", "@language": "en", "@direction": "ltr"}}),
    "4.06 issuer.name in several languages": _dm(issuer={"name": [{"@value": "Example", "@language": "en"},
                                                                  {"@value": "Exemple", "@language": "fr"}]}),
    "4.06 issuer.description as a string": _dm(issuer={"description": "An example issuer"}),
    "4.06 issuer.description in a language": _dm(issuer={"description": {"@value": "An issuer", "@language": "en"}}),
    "4.07 issuer as an object with our id": _dm(issuer={}),
    "4.08 several subjects": _dm(credentialSubject=[{"id": "did:example:subject"}, {"id": "did:example:other"}]),
    "4.09 validFrom with milliseconds": _dm(validFrom="2024-01-01T00:00:00.123Z"),
    "4.09 validFrom with a negative offset": _dm(validFrom="2024-01-01T00:00:00-05:00"),
    "4.09 validFrom far in the future": _dm(validFrom="9999-12-31T23:59:59Z"),
    "4.09 validUntil": _dm(validUntil="2099-01-01T00:00:00Z"),
    "4.09 validUntil with milliseconds": _dm(validUntil="2099-01-01T00:00:00.5Z"),
    "4.09 validUntil with a negative offset": _dm(validUntil="2099-01-01T00:00:00-08:00"),
    "4.09 validFrom before validUntil": _dm(validFrom="2024-01-01T00:00:00Z", validUntil="2099-01-01T00:00:00Z"),
    "4.09 validFrom equal to validUntil": _dm(validFrom="2024-01-01T00:00:00Z", validUntil="2024-01-01T00:00:00Z"),
}

ISSUE_REFUSED: dict[str, dict[str, Any]] = {
    "4.03 no @context": _dm(**{"@context": _ABSENT}),
    "4.03 base context missing": _dm(**{"@context": [EXAMPLES]}),
    "4.03 base context not first": _dm(**{"@context": [EXAMPLES, V2]}),
    "4.03 context entry not a URL": _dm(**{"@context": [V2, "https ://not-a-url/contexts/example/v1"]}),
    "4.03 context entry a number": _dm(**{"@context": [V2, 123192875]}),
    "4.03 context entry unknown (cannot be resolved)": _dm(**{"@context": [V2, "https://example.com"]}),
    "4.04 id null": _dm(id=None),
    "4.04 id with two values": _dm(id=["urn:uuid:1a0e4ef5-0001", "urn:uuid:1a0e4ef5-0002"]),
    "4.04 credentialSubject.id with two values": _dm(credentialSubject={"id": ["did:example:a", "did:example:b"]}),
    "4.04 id not a URL": _dm(id="not a url"),
    "4.05 no type": _dm(type=_ABSENT),
    "4.05 type mapped to a non-URL": _dm(**{"@context": [V2, {"ExampleTestCredential": "https ://not-a-url#X"}],
                                            "type": ["VerifiableCredential", "ExampleTestCredential"]}),
    "4.05 type not mapped (@vocab null)": _dm(**{"@context": [V2, {"@vocab": None}],
                                                 "type": ["VerifiableCredential", "ExampleTestCredential"]}),
    "4.05 VerifiableCredential missing": _dm(type=[EXAMPLE_TYPE]),
    "4.05/4.10 credentialStatus without a type": _dm(**{"@context": [V2, STATUS_CTX]}, credentialStatus={
        "id": "did:example:status"}),
    "4.10 credentialStatus with two ids": _dm(**{"@context": [V2, STATUS_CTX]}, credentialStatus={
        "id": ["did:example:a", "did:example:b"], "type": "CredentialStatusList2017"}),
    "4.10 credentialStatus.id not a URL": _dm(**{"@context": [V2, STATUS_CTX]}, credentialStatus={
        "id": "not a url", "type": "CredentialStatusList2017"}),
    "4.10 credentialStatus.type a number": _dm(**{"@context": [V2, STATUS_CTX]}, credentialStatus={
        "id": "did:example:status", "type": 2}),
    "4.05/5.05 termsOfUse without a type": _dm(**{"@context": [V2, POLICY_CTX]},
                                               termsOfUse={"id": "https://example.org/policies/1"}),
    "4.05/5.06 evidence without a type": _dm(evidence={"id": "https://example.org/evidence/1"}),
    "4.05/5.04 refreshService without a type": _dm(refreshService={"id": "https://example.org/refresh/1"}),
    "5.04 refreshService id not a URL": _dm(**{"@context": [V2, REFRESH_CTX]}, refreshService={
        "type": "ManualRefreshService2018", "id": "not a url"}),
    "4.05/4.11 credentialSchema without a type": _dm(credentialSchema={"id": "https://example.org/s.json"}),
    "4.11 credentialSchema without an id": _dm(credentialSchema={"type": SCHEMA["type"]}),
    "4.11 credentialSchema id not a URL": _dm(credentialSchema={"type": SCHEMA["type"],
                                                                "id": "https ://not-a-url.org/schema"}),
    "4.06 name with an extra property": _dm(name={"@value": "Example", "@language": "en", "extra": "x"}),
    "4.06 description with an extra property": _dm(description={"@value": "Example", "@language": "en",
                                                                "extra": "x"}),
    "4.06 issuer.name with an extra property": _dm(issuer={"name": {"@value": "Ex", "@language": "en", "x": 1}}),
    "4.06 issuer.description with an extra property": _dm(issuer={"description": {"@value": "Ex", "extra": "x"}}),
    "4.07 issuer not a URL": _dm(issuer="not a url"),
    "4.07 issuer null": _dm(issuer=None),
    "4.07 issuer object with a null id": _dm(issuer={"id": None}),
    "4.07 issuer object with a non-URL id": _dm(issuer={"id": "not a url"}),
    "4.08 no credentialSubject": _dm(credentialSubject=_ABSENT),
    "4.08 credentialSubject with no claims": _dm(credentialSubject={}),
    "4.08 one of several subjects empty": _dm(credentialSubject=[{"id": "did:example:subject"}, {}]),
    "4.09 validFrom malformed": _dm(validFrom="2024-13-45T99:00:00Z"),
    "4.09 validFrom without a time zone": _dm(validFrom="2024-01-01T00:00:00"),
    "4.09 validUntil malformed": _dm(validUntil="not a date"),
    "4.09 validUntil before validFrom": _dm(validFrom="2025-01-01T00:00:00Z", validUntil="2024-01-01T00:00:00Z"),
    "5.00 a protected term redefined (VerifiableCredential)": _dm(**{"@context": [V2, {
        "VerifiableCredential": "https://example.org/examples#VerifiableCredential"}]}),
    "5.00 a protected term redefined (name)": _dm(**{"@context": [V2, {
        "name": "https://example.org/examples#name"}]}, name="Example"),
    "DI 2.4.3 an undefined property (data loss)": _dm(**{"@context": [V2, {"@vocab": None}]},
                                                      credentialSubject={"id": "did:example:s", "undefined": 1}),
    "a credential that already has a proof": _dm(proof={"type": "DataIntegrityProof"}),
}


def _issuer_for(credential: dict[str, Any], key: KeyPair) -> str | None:
    """createRequestBody: the endpoint's issuer id unless the input names one (null included)."""
    return None if "issuer" in credential and not isinstance(credential["issuer"], dict) else key.controller


@pytest.mark.parametrize("case", sorted(ISSUE_ACCEPTED))
def test_data_model_issuer_accepts(api: TestClient, key_of: Callable[[str], KeyPair], case: str) -> None:
    key = key_of("ed25519")
    credential = ISSUE_ACCEPTED[case]
    response = _post_issue(api, credential, _issuer_for(credential, key))
    assert response.status_code == 201, f"{case}: {response.text[:300]}"
    vc = response.json()["verifiableCredential"]
    # 4.03: the @context comes back as an array, in order, the base context first
    assert isinstance(vc["@context"], list) and vc["@context"][0] == V2
    assert vc["@context"] == credential["@context"]
    for name, value in credential.items():
        if name != "issuer":
            assert vc[name] == value, name
    # 7.1 / 7-algorithms: what we issue, we verify
    _assert_verified(_verify(api, vc, {"checks": ["proof"]}))


@pytest.mark.parametrize("case", sorted(ISSUE_REFUSED))
def test_data_model_issuer_refuses(api: TestClient, key_of: Callable[[str], KeyPair], case: str) -> None:
    key = key_of("ed25519")
    credential = ISSUE_REFUSED[case]
    response = _post_issue(api, credential, _issuer_for(credential, key))
    _assert_rejected(response, 400, 422)
    assert response.json()["detail"]


@pytest.mark.parametrize("case", sorted(c for c in ISSUE_REFUSED if c != "a credential that already has a proof"))
def test_data_model_verifier_refuses_what_the_issuer_would_not_issue(
        api: TestClient, suite_key: Callable[[str], KeyPair], case: str) -> None:
    """shouldRejectEitherIssueOrVerify: the same malformed credentials, validly signed by someone else's
    implementation, are refused by the verifier too (the proof alone does not make them conforming)."""
    credential = copy.deepcopy(ISSUE_REFUSED[case])
    key = suite_key("ed25519")
    if _issuer_for(credential, key) is not None:
        if isinstance(credential.get("issuer"), dict):
            credential["issuer"].setdefault("id", key.controller)
        else:
            credential["issuer"] = key.controller
    try:
        signed = _sign(credential, key, "eddsa-rdfc-2022", Signing({}))
    except (JsonLdError, KeyError):
        # not JSON-LD that can be canonicalized (so no implementation could have signed it): a proof-shaped
        # object stands in, and the verifier must still answer 400, never 500
        signed = {**credential, "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                                          "proofPurpose": "assertionMethod",
                                          "verificationMethod": key.verification_method, "proofValue": "z111"}}
    _assert_rejected(_verify(api, signed, {"checks": ["proof"]}), 400, 422)


def test_data_model_issued_credential_has_the_required_properties(api: TestClient,
                                                                  key_of: Callable[[str], KeyPair]) -> None:
    """checkRequiredProperties / shouldBeIssuedVc: @context, type with VerifiableCredential, issuer (a URL
    or an object with an id), credentialSubject with claims, an embedded proof object."""
    key = key_of("p256")
    vc = _post_issue(api, _dm(), key.controller).json()["verifiableCredential"]
    assert "VerifiableCredential" in vc["type"] and vc["issuer"] == key.controller
    assert vc["credentialSubject"] and isinstance(vc["proof"], dict)


# --- presentations (4.03, 4.05, 4.13, 4.12.4 holder claims, 7 algorithms) ---------------------------

@pytest.fixture(scope="module")
def holder_key() -> KeyPair:
    """The data-model suite's local presentation signer (its 'localIssuer')."""
    return KeyPair.generate("ed25519")


def _vp(holder: KeyPair, presentation: dict[str, Any], *, sign_credentials: bool = True) -> dict[str, Any]:
    """createLocalVp in our words: embedded credentials without a proof are signed by the local key (their
    issuer unchanged), then the presentation is signed with purpose authentication."""
    body = copy.deepcopy(presentation)
    if sign_credentials:
        body["verifiableCredential"] = [
            vc if "proof" in vc or "EnvelopedVerifiableCredential" in vc.get("type", [])
            else _sign(vc, holder, "eddsa-rdfc-2022", Signing({}))
            for vc in body.get("verifiableCredential", [])]
    return _sign(body, holder, "eddsa-rdfc-2022", Signing({"proofPurpose": "authentication"}))


def _vc_in_vp(issuer: str = "did:example:issuer", subject: str = "did:example:subject") -> dict[str, Any]:
    return {"@context": [V2], "type": ["VerifiableCredential"], "validFrom": "2023-02-27T05:03:28Z",
            "issuer": issuer, "credentialSubject": {"id": subject}}


def _presentation(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"@context": [V2], "type": ["VerifiablePresentation"]}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not _ABSENT}


def test_presentations_accepted(api: TestClient, holder_key: KeyPair) -> None:
    """4.03 / 4.05 / 4.13 / 7-algorithms positives (verifyVp sends options {checks: []})."""
    me = holder_key.controller
    accepted = {
        "4.13 no credentials": _presentation(),
        "4.13 a URL id": _presentation(id="urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5"),
        "4.03 several context URLs": _presentation(**{"@context": [V2, EXAMPLES]}),
        "4.03 an object in @context": _presentation(**{"@context": [V2, {"ExamplePresentation": EXAMPLE_TYPE}]},
                                                    type=["VerifiablePresentation", "ExamplePresentation"]),
        "4.05 an extra type mapped in @context": _presentation(
            **{"@context": [V2, {"ExamplePresentation": EXAMPLE_TYPE}]},
            type=["VerifiablePresentation", "ExamplePresentation"]),
        "4.13 a credential": _presentation(verifiableCredential=[_vc_in_vp()]),
        "4.13 several credentials": _presentation(verifiableCredential=[
            _vc_in_vp(), _vc_in_vp(subject="did:example:other-subject")]),
        "4.13 holder as a URL": _presentation(holder=me, verifiableCredential=[_vc_in_vp()]),
        "4.13 holder as an object": _presentation(holder={"id": me}, verifiableCredential=[_vc_in_vp()]),
        "4.12.4 self-asserted credential, holder is its issuer": _presentation(
            holder=me, verifiableCredential=[_vc_in_vp(issuer=me)]),
        # presentation-multiple-vc-ok as the suite's createLocalVp sends it: each credential issued and signed by
        # the presenter's key, no holder (VCDM 2.0 §4.13: holder MAY be present; §4.12.4 asks for one only when a
        # credential is secured by nothing but the presentation)
        "4.13 several credentials issued by the presenter, no holder": _presentation(verifiableCredential=[
            _vc_in_vp(issuer=me), _vc_in_vp(issuer=me, subject="did:example:other-subject")]),
    }
    for case, presentation in accepted.items():
        response = _verify_vp(api, _vp(holder_key, presentation))
        assert response.status_code == 200, f"{case}: {response.text[:400]}"
        assert response.json()["errors"] == [], case


def test_presentation_with_an_enveloped_credential(api: TestClient, holder_key: KeyPair,
                                                   key_of: Callable[[str], KeyPair]) -> None:
    """4.13: the value is one or more verifiable credential and/or enveloped verifiable credential objects."""
    key = key_of("ed25519")
    token = sign_jwt({**_vc_in_vp(issuer=key.controller)}, key)
    vp = _vp(holder_key, _presentation(verifiableCredential=[envelope(token), _vc_in_vp()]))
    _assert_verified(_verify_vp(api, vp))


def test_presentations_refused(api: TestClient, holder_key: KeyPair) -> None:
    """4.03 / 4.05 / 4.13 / 4.12.4 / 7-algorithms negatives."""
    me = holder_key.controller
    valid = _vp(holder_key, _presentation(verifiableCredential=[_vc_in_vp()]))
    refused: dict[str, dict[str, Any]] = {}
    for name, value in {"no @context": _ABSENT, "base context not first": [EXAMPLES, V2],
                        "base context missing": [EXAMPLES], "second context not resolvable": [V2, "https://example.com"],
                        "second context not a URL": [V2, "https ://not-a-url/contexts/example/v1"],
                        "second context a number": [V2, 123192875]}.items():
        changed = copy.deepcopy(valid)
        if value is _ABSENT:
            del changed["@context"]
        else:
            changed["@context"] = value
        refused[f"4.03 {name}"] = changed
    # the same, signed after the change (createInvalidVp): the context rule fails, not just the signature
    refused["4.03 base context not first, signed so"] = _vp(holder_key, _presentation(**{"@context": [EXAMPLES, V2]}))
    no_type = copy.deepcopy(valid)
    del no_type["type"]
    refused["4.05 no type"] = no_type
    refused["4.05 VerifiablePresentation missing"] = _vp(holder_key, _presentation(type=[EXAMPLE_TYPE]))
    refused["4.13 holder object without a URL id"] = _vp(holder_key, _presentation(
        holder={"id": me.removeprefix("did:key:")}, verifiableCredential=[_vc_in_vp()]))
    refused["4.13 a credential given as a string"] = _vp(holder_key, _presentation(), sign_credentials=False) | {
        "verifiableCredential": ["https://example.org/credentials/1"]}
    # §4.12.4: a credential secured only by the presentation needs a holder (and we ask for its own proof anyway)
    refused["4.12.4 credential secured only by the presentation, no holder"] = _vp(holder_key, _presentation(
        verifiableCredential=[_vc_in_vp(issuer=me)]), sign_credentials=False)
    refused["4.12.4 self-asserted credential secured only by the presentation"] = _vp(holder_key, _presentation(
        holder=me, verifiableCredential=[_vc_in_vp(issuer=me)]), sign_credentials=False)
    refused["4.12.4 holder is someone else (did:example:acme)"] = _vp(holder_key, _presentation(
        holder="did:example:acme", verifiableCredential=[_vc_in_vp(issuer=me)]))
    tampered = copy.deepcopy(valid)
    tampered["proof"]["proofValue"] = "z5nmMBw2u9TGKd9NxxHJtyZKgjN2Eh"
    refused["7 a presentation proofValue replaced"] = tampered
    assertion = _sign(_presentation(), holder_key, "eddsa-rdfc-2022", Signing({}))
    refused["VC-API a presentation proof with purpose assertionMethod"] = assertion
    for case, presentation in refused.items():
        response = _verify_vp(api, presentation)
        assert response.status_code == 400, f"{case}: {response.status_code} {response.text[:300]}"


def test_presentation_challenge_and_domain(api: TestClient, holder_key: KeyPair) -> None:
    """VC-API presentations/verify with options.challenge and options.domain (DI §4.4 steps 6-7)."""
    vp = _sign(_presentation(holder=holder_key.controller), holder_key, "eddsa-rdfc-2022",
               Signing({"proofPurpose": "authentication", "challenge": "c-1", "domain": "verifier.example"}))
    _assert_verified(_verify_vp(api, vp, {"challenge": "c-1", "domain": "verifier.example"}))
    _assert_verified(_verify_vp(api, vp, {"challenge": "c-1", "domain": ["verifier.example"]}))
    for options in ({"challenge": "c-2", "domain": "verifier.example"}, {"challenge": "c-1", "domain": "evil.example"},
                    {"challenge": "c-1", "domain": "verifier.example", "expectedProofPurpose": "assertionMethod"}):
        _assert_rejected(_verify_vp(api, vp, options))


# --- enveloped credentials and presentations (4.13.2) ------------------------------------------------

@pytest.fixture
def enveloped(key_of: Callable[[str], KeyPair]) -> dict[str, Any]:
    key = key_of("p256")
    return envelope(sign_jwt(_fresh(_dm(), key), key))


ENVELOPE_BREAKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "@context emptied": lambda e: e.__setitem__("@context", []),
    "@context the examples context only": lambda e: e.__setitem__("@context", EXAMPLES),
    "id without the data: URL prefix": lambda e: e.__setitem__("id", e["id"].split(",")[-1]),
    "type removed": lambda e: e.pop("type"),
    "type VerifiableCredential": lambda e: e.__setitem__("type", "VerifiableCredential"),
}


def test_enveloped_credential_verifies(api: TestClient, enveloped: dict[str, Any]) -> None:
    assert enveloped["type"] == "EnvelopedVerifiableCredential" and enveloped["id"].startswith("data:")
    _assert_verified(_verify(api, enveloped, {"checks": ["proof"]}))


@pytest.mark.parametrize("case", sorted(ENVELOPE_BREAKS))
def test_enveloped_credential_negatives(api: TestClient, enveloped: dict[str, Any], case: str) -> None:
    broken = copy.deepcopy(enveloped)
    ENVELOPE_BREAKS[case](broken)
    _assert_rejected(_verify(api, broken, {"checks": ["proof"]}))


# =====================================================================================================
# 4. vc-bitstring-status-list: issue with a status entry, fetch the list, decode, revoke / suspend.
# =====================================================================================================

def _fetch(api: TestClient, url: str) -> dict[str, Any]:
    assert url.startswith("https://issuer.example.ca/")
    response = api.get(url.removeprefix("https://issuer.example.ca"))
    assert response.status_code == 200, response.text[:200]
    return dict(response.json())


def _decode_like_the_suite(encoded: str) -> bytes:
    """decodeSl: multibase 'u' + base64url without padding of a GZIP stream."""
    assert encoded.startswith("u") and re.fullmatch(r"[A-Za-z0-9_-]+", encoded[1:])
    raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    return gzip.decompress(raw)


@pytest.mark.parametrize("purpose", [None, "revocation", "suspension"])
@pytest.mark.parametrize("key_type", ["ed25519", "p256", "p384"])
def test_status_entry_on_issue(api: TestClient, key_of: Callable[[str], KeyPair], key_type: str,
                               purpose: str | None) -> None:
    """Data Model: BitstringStatusList Entry / Credential, Algorithm: Generate / Bitstring Generation."""
    key = key_of(key_type)
    requested: dict[str, Any] = {"type": "BitstringStatusListEntry"}
    if purpose:
        requested["statusPurpose"] = purpose
    credential = {"@context": [V2], "type": ["VerifiableCredential"],
                  "credentialSubject": {"id": "did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r"}}
    response = _post_issue(api, credential, key.controller, {"credentialStatus": requested})
    assert response.status_code == 201, response.text[:300]
    vc = response.json()["verifiableCredential"]
    entries = vc["credentialStatus"] if isinstance(vc["credentialStatus"], list) else [vc["credentialStatus"]]
    for entry in entries:
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusPurpose"] == (purpose or "revocation")
        index = entry["statusListIndex"]
        assert isinstance(index, str) and str(int(index)) == index and int(index) >= 0
        if "id" in entry:
            assert isinstance(entry["id"], str) and entry["id"] != entry["statusListCredential"]
        assert "statusSize" not in entry or (isinstance(entry["statusSize"], int) and entry["statusSize"] > 0)
        status_list = _fetch(api, entry["statusListCredential"])
        # the list credential: a conforming VC, typed BitstringStatusListCredential, signed by the issuer
        assert isinstance(status_list["type"], list) and "BitstringStatusListCredential" in status_list["type"]
        assert status_list["@context"][0] == V2 and status_list["issuer"] == key.controller
        subject = status_list["credentialSubject"]
        assert subject["type"] == "BitstringStatusList"
        assert entry["statusPurpose"] in (subject["statusPurpose"] if isinstance(subject["statusPurpose"], list)
                                          else [subject["statusPurpose"]])
        bits = _decode_like_the_suite(subject["encodedList"])
        assert len(bits) >= 16 * 1024 and bits == decode_bitstring(subject["encodedList"])
        assert get_status(bits, int(index)) == 0
        _assert_verified(_verify(api, status_list, {"checks": ["proof"]}))
    # Algorithm: Validate / Bitstring Expansion: the issued credential verifies, with and without status
    _assert_verified(_verify(api, vc, {"checks": ["proof"]}))
    _assert_verified(_verify(api, vc, {"checks": ["proof", "credentialStatus"]}))
    _assert_verified(_verify(api, vc))


@pytest.mark.parametrize("purpose", ["revocation", "suspension"])
def test_status_change_is_seen_by_the_verifier(api: TestClient, key_of: Callable[[str], KeyPair],
                                               purpose: str) -> None:
    """updateStatus: set the bit through the status service, fetch the list, the bit reads 1, and a
    verifier that checks credentialStatus refuses the credential (suspension can be lifted)."""
    key = key_of("ed25519")
    vc = _post_issue(api, _dm(), key.controller, {"credentialStatus": {
        "type": "BitstringStatusListEntry", "statusPurpose": purpose}}).json()["verifiableCredential"]
    entry = vc["credentialStatus"]
    update = {"credentialId": vc["id"], "credentialStatus": {"type": "BitstringStatusListEntry",
                                                             "statusPurpose": purpose}}
    assert api.post("/credentials/status", json={**update, "status": True}).status_code == 200
    bits = _decode_like_the_suite(_fetch(api, entry["statusListCredential"])["credentialSubject"]["encodedList"])
    assert get_status(bits, int(entry["statusListIndex"])) == 1
    refused = _verify(api, vc, {"checks": ["proof", "credentialStatus"]})
    _assert_rejected(refused)
    code = "CREDENTIAL_REVOKED" if purpose == "revocation" else "CREDENTIAL_SUSPENDED"
    assert any(e["code"] == code for e in refused.json()["errors"])
    _assert_verified(_verify(api, vc, {"checks": ["proof"]}))  # the proof is still good
    undo = api.post("/credentials/status", json={**update, "status": False})
    if purpose == "suspension":
        assert undo.status_code == 200
        _assert_verified(_verify(api, vc, {"checks": ["proof", "credentialStatus"]}))
    else:
        assert undo.status_code == 400


BAD_ENTRIES: dict[str, dict[str, Any]] = {
    "statusListIndex a boolean": {"statusListIndex": True},
    "statusListIndex a number": {"statusListIndex": 94567},
    "statusListIndex negative": {"statusListIndex": "-1"},
    "statusListCredential not a URL": {"statusListCredential": "not a url"},
    "statusPurpose missing": {"statusPurpose": _ABSENT},
    "statusSize zero": {"statusSize": 0},
    "statusSize 2 without statusMessage": {"statusSize": 2},
    "id equal to the list URL": {"id": "https://example.com/status/1"},
}


@pytest.mark.parametrize("case", sorted(BAD_ENTRIES))
def test_malformed_status_entry_is_refused(api: TestClient, key_of: Callable[[str], KeyPair], case: str) -> None:
    """Algorithm: a malformed BitstringStatusListEntry is a MALFORMED_VALUE_ERROR (refused at issue)."""
    entry: dict[str, Any] = {"id": "https://example.com/status/1#94567", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": "94567",
                             "statusListCredential": "https://example.com/status/1"}
    entry.update(BAD_ENTRIES[case])
    entry = {k: v for k, v in entry.items() if v is not _ABSENT}
    response = _post_issue(api, _dm(credentialStatus=entry), key_of("ed25519").controller)
    _assert_rejected(response)
    assert response.json()["code"] == "MALFORMED_VALUE_ERROR"


def test_status_entry_under_an_undefined_property_is_refused(api: TestClient,
                                                             key_of: Callable[[str], KeyPair]) -> None:
    """20-algorithms 'MALFORMED_VALUE_ERROR' fixture: the entry sits under ``statusEntry``, a term no
    context defines beyond the base context's issuer-dependent @vocab: refused as data loss."""
    response = _post_issue(api, _dm(statusEntry={"type": "BitstringStatusListEntry", "statusListIndex": True,
                                                 "statusListCredential": "https://example.com"}),
                           key_of("ed25519").controller)
    _assert_rejected(response)


def test_status_list_vectors_decode() -> None:
    """The W3C encodedList examples decode to the documented set bits (the suites' decodeList)."""
    data = vector("bitstring-status-list.json")
    example = data["dccExample"]
    bits = decode_bitstring(example["encodedList"])
    assert len(bits) * 8 == example["length_bits"]
    for index in example["set_indices_MSB_first"]:
        assert get_status(bits, index) == 1


@pytest.fixture
def shared_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    from .. import helpers

    monkeypatch.setattr(helpers, "SHARED", tmp_path / "no-shared")
    yield


def test_vectors_skip_cleanly_without_shared(shared_missing: None) -> None:
    with pytest.raises(pytest.skip.Exception, match="not present"):
        vector("eddsa-rdfc-2022-alumni.json")


def test_token_is_required_for_issue(api: TestClient, key_of: Callable[[str], KeyPair]) -> None:
    """The suites call the issuer with the configured bearer token; without it the answer is 401."""
    del api.headers["Authorization"]
    response = _post_issue(api, _dm(), key_of("ed25519").controller)
    assert response.status_code == 401
    api.headers["Authorization"] = f"Bearer {TOKEN}"
