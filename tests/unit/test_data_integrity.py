"""Data Integrity: the W3C eddsa-rdfc-2022, eddsa-jcs-2022 and ecdsa-rdfc-2019 vectors byte for byte,
proof options, proof sets and chains, and every way a proof can be wrong."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from omc_vc.did import DidResolver, did_web, did_web_document
from omc_vc.errors import DataLossError, ProofError
from omc_vc.keys import KeyPair
from omc_vc.proofs.data_integrity import add_proof, proof_hashes, verify_proofs
from tests.helpers import vector


def _ok(doc: dict[str, Any], **kw: Any) -> bool:
    results = verify_proofs(doc, **kw)
    return all(r.verified for r in results)


def _errors(doc: dict[str, Any], **kw: Any) -> list[str]:
    return [e.code for r in verify_proofs(doc, **kw) for e in r.errors]


# --- the W3C vectors ----------------------------------------------------------------------------

def test_eddsa_rdfc_2022_vector_every_intermediate() -> None:
    v = vector("eddsa-rdfc-2022-alumni.json")
    key = KeyPair.from_secret_multibase(v["keyPair"]["secretKeyMultibase"])
    signed = add_proof(v["unsignedCredential"], key, created=v["proofConfig"]["created"])
    proof = signed["proof"]
    canonical_doc, canonical_config, hash_data = proof_hashes(signed, proof)
    assert canonical_doc == v["canonicalDocument"]
    assert canonical_config == v["canonicalProofConfig"]
    assert hashlib.sha256(canonical_doc.encode()).hexdigest() == v["docHashHex"]
    assert hashlib.sha256(canonical_config.encode()).hexdigest() == v["proofConfigHashHex"]
    assert hash_data.hex() == v["hashDataHex"]
    assert proof["proofValue"] == v["proofValue"]
    assert signed == v["signedCredential"]
    assert _ok(v["signedCredential"])


def test_eddsa_jcs_2022_vector() -> None:
    v = vector("eddsa-jcs-2022-alumni.json")
    signed_ref = v["signedCredential"]
    key = KeyPair.from_secret_multibase(v["keyPair"]["secretKeyMultibase"])
    unsigned = v["unsignedCredential"]
    signed = add_proof(unsigned, key, cryptosuite="eddsa-jcs-2022", created=signed_ref["proof"]["created"])
    assert signed["proof"]["proofValue"] == signed_ref["proof"]["proofValue"]
    assert _ok(signed_ref)


@pytest.mark.parametrize("case", ["basic", "employment"])
def test_ecdsa_rdfc_2019_p256_vector_hashes_and_published_signature(case: str) -> None:
    data = vector("ecdsa-rdfc-2019-p256.json")[case]
    signed = data["signedCredential"]
    canonical_doc, canonical_config, hash_data = proof_hashes(signed, signed["proof"])
    assert canonical_doc == data["canonicalDocument"]
    assert canonical_config == data["canonicalProofConfig"]
    assert hash_data[:32].hex() == data["proofConfigHashHex"]
    assert hash_data[32:].hex() == data["docHashHex"]
    assert hash_data.hex() == data["hashDataHex"]
    assert signed["proof"]["proofValue"] == data["proofValue"]
    assert _ok(signed)  # the published (randomized) signature verifies


def test_ecdsa_rdfc_2019_sign_and_verify_round_trip() -> None:
    v = vector("ecdsa-rdfc-2019-p256.json")
    key = KeyPair.from_secret_multibase(v["keyPair"]["secretKeyMultibase"])
    unsigned = vector("eddsa-rdfc-2022-alumni.json")["unsignedCredential"]
    unsigned = {**unsigned, "issuer": key.controller}
    signed = add_proof(unsigned, key)
    assert signed["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    assert _ok(signed)


# --- our own credentials -------------------------------------------------------------------------

def _credential(issuer: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": issuer,
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    }


@pytest.fixture(params=["ed25519", "p256", "p384"])
def key(request: pytest.FixtureRequest) -> KeyPair:
    return KeyPair.generate(request.param)


def test_options_are_signed(key: KeyPair) -> None:
    signed = add_proof(_credential(key.controller), key, purpose="assertionMethod",
                       created="2024-01-01T00:00:00Z", expires="2099-01-01T00:00:00Z",
                       challenge="abc", domain="example.ca")
    assert _ok(signed, challenge="abc", domain="example.ca")
    for field, value in [("created", "2024-01-02T00:00:00Z"), ("expires", "2098-01-01T00:00:00Z"),
                         ("challenge", "abd"), ("domain", "evil.example")]:
        tampered = copy.deepcopy(signed)
        tampered["proof"][field] = value
        assert not _ok(tampered), field


def test_tampering_any_signed_field_fails(key: KeyPair) -> None:
    signed = add_proof(_credential(key.controller), key)
    for path, value in [(("credentialSubject", "alumniOf"), "Another School"),
                        (("credentialSubject", "id"), "did:example:attacker"),
                        (("validFrom",), "2020-01-01T00:00:00Z"), (("id",), "urn:uuid:other")]:
        tampered = copy.deepcopy(signed)
        target = tampered
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        assert _errors(tampered) == ["CRYPTOGRAPHIC_SECURITY_ERROR"], path


def test_added_undefined_property_is_data_loss_not_silently_ignored() -> None:
    key = KeyPair.generate()
    cred = _credential(key.controller)
    cred["@context"] = ["https://www.w3.org/ns/credentials/v2"]  # no @vocab from the examples context
    cred["type"] = ["VerifiableCredential"]
    cred["credentialSubject"] = {"id": "did:example:abc", "name": "Ada"}
    signed = add_proof(cred, key)
    signed["credentialSubject"]["grade"] = "A+"  # undefined term: pyld would drop it silently
    assert "DATA_LOSS_DETECTION_ERROR" in _errors(signed)
    with pytest.raises(DataLossError):
        add_proof({**cred, "unknownTerm": 1}, key)


def test_wrong_key_fails(key: KeyPair) -> None:
    signed = add_proof(_credential(key.controller), key)
    other = KeyPair.generate(key.key_type)
    signed["proof"]["verificationMethod"] = other.verification_method
    assert _errors(signed) == ["CRYPTOGRAPHIC_SECURITY_ERROR"]


def test_proof_copied_from_another_credential_fails(key: KeyPair) -> None:
    a = add_proof(_credential(key.controller), key)
    other = _credential(key.controller)
    other["credentialSubject"]["alumniOf"] = "Elsewhere"
    b = add_proof(other, key)
    a["proof"] = b["proof"]
    assert not _ok(a)


@pytest.mark.parametrize(("field", "value", "code"), [
    ("type", "Ed25519Signature2020", "PROOF_VERIFICATION_ERROR"),
    ("cryptosuite", "eddsa-2022", "PROOF_VERIFICATION_ERROR"),
    ("proofPurpose", "capabilityInvocation", "PROOF_VERIFICATION_ERROR"),
    ("proofValue", "uAAAA", "PROOF_VERIFICATION_ERROR"),
    ("proofValue", "z0OIl", "PROOF_VERIFICATION_ERROR"),
    ("verificationMethod", "did:key:zNotAKey#zNotAKey", "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"),
])
def test_malformed_proofs_fail_with_codes(field: str, value: str, code: str) -> None:
    key = KeyPair.generate()
    signed = add_proof(_credential(key.controller), key)
    signed["proof"][field] = value
    assert _errors(signed, expected_purpose="assertionMethod") == [code]


def test_missing_proof_raises() -> None:
    with pytest.raises(ProofError):
        verify_proofs(_credential("did:example:x"))


def test_expired_proof_fails() -> None:
    key = KeyPair.generate()
    signed = add_proof(_credential(key.controller), key, expires="2020-01-01T00:00:00Z",
                       created="2019-01-01T00:00:00Z")
    assert _errors(signed) == ["PROOF_EXPIRED"]


def test_proof_set_each_must_verify() -> None:
    a, b = KeyPair.generate("ed25519"), KeyPair.generate("p256")
    signed = add_proof(add_proof(_credential(a.controller), a), b)
    assert isinstance(signed["proof"], list) and len(signed["proof"]) == 2
    assert _ok(signed)
    signed["proof"][1]["proofValue"] = signed["proof"][0]["proofValue"]
    assert not _ok(signed)


def test_proof_chain_previous_proof() -> None:
    a, b = KeyPair.generate(), KeyPair.generate()
    first = add_proof(_credential(a.controller), a, proof_id="urn:uuid:proof-1")
    chained = add_proof(first, b, previous_proof="urn:uuid:proof-1")
    assert _ok(chained)
    chained["proof"][1]["previousProof"] = "urn:uuid:missing"
    assert not _ok(chained)


def test_did_web_issuer_with_pinned_document() -> None:
    key = KeyPair.generate()
    did = did_web("college.example.ca")
    web_key = key.with_id(f"{did}#key-1", did)
    resolver = DidResolver(documents={did: did_web_document(did, [key.public_key])})
    signed = add_proof(_credential(did), web_key)
    assert _ok(signed, resolver=resolver)
    assert not _ok(signed)  # not resolvable without a fetcher: fails closed


def test_signing_with_an_unbundled_context_is_a_typed_error() -> None:
    from omc_vc.errors import ContextNotAllowedError

    key = KeyPair.generate()
    cred = _credential(key.controller)
    cred["@context"] = [*cred["@context"], "https://evil.example/context.jsonld"]
    with pytest.raises(ContextNotAllowedError, match=r"evil\.example"):
        add_proof(cred, key)


def test_ecdsa_rdfc_2019_p384_uses_sha384_everywhere() -> None:
    """vc-di-ecdsa §3.3: P-384 keys hash with SHA-384 (96-byte hashData, 96-byte r‖s signature)."""
    key = KeyPair.generate("p384")
    assert key.public_key.multibase.startswith("z82L")
    signed = add_proof(_credential(key.controller), key)
    assert signed["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    _, _, hash_data = proof_hashes(signed, signed["proof"])
    assert len(hash_data) == 96
    from omc_vc._internal.multibase import multibase_decode

    assert len(multibase_decode(signed["proof"]["proofValue"])) == 96
    assert _ok(signed)
