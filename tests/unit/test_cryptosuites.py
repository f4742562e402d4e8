"""Cryptosuites as plug-in objects (omc_vc.proofs.data_integrity.Cryptosuite): add_proof and
verify_proofs hold nothing suite-specific, a caller may pass its own suite object, and the suites a
verifier lists are the only ones a proof may use."""

from __future__ import annotations

from typing import Any

from omc_vc import jsonld
from omc_vc.keys import KeyPair
from omc_vc.proofs import data_integrity
from omc_vc.proofs.data_integrity import SUITES, Cryptosuite, JcsSuite, RdfcSuite, add_proof, verify_proofs

V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIAL: dict[str, Any] = {
    "@context": [V2, "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "issuer": "did:example:issuer",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}


def _verified(document: dict[str, Any], **kw: Any) -> bool:
    return all(r.verified for r in verify_proofs(document, **kw))


def test_the_registered_suites_are_cryptosuite_objects() -> None:
    suites: list[Cryptosuite] = list(SUITES.values())
    assert [s.name for s in suites] == ["eddsa-rdfc-2022", "ecdsa-rdfc-2019", "eddsa-jcs-2022"]
    assert all(callable(getattr(s, m)) for s in suites
               for m in ("canonize", "create_verify_data", "sign", "verify", "prepare_options", "verify_input"))


def test_a_suite_object_signs_and_verifies_like_its_name() -> None:
    key = KeyPair.generate()
    by_name = add_proof(CREDENTIAL, key, cryptosuite="eddsa-rdfc-2022", created="2024-01-01T00:00:00Z")
    by_object = add_proof(CREDENTIAL, key, cryptosuite=SUITES["eddsa-rdfc-2022"], created="2024-01-01T00:00:00Z")
    assert by_object == by_name  # Ed25519 is deterministic
    assert _verified(by_name, accepted_suites=[SUITES["eddsa-rdfc-2022"]])


def test_a_suite_with_pyld_s_own_pipeline_gives_the_same_proof() -> None:
    # what the benchmark's "stock" figures run: the canonicalizer is the suite's, not a module switch
    def stock(doc: Any, *, loader: Any = None, check_data_loss: bool = True, hash_algorithm: str = "sha256") -> str:
        return jsonld._canonicalize(doc, loader, check=check_data_loss, memoize=False, fast=False,
                                    hash_algorithm=hash_algorithm)

    key = KeyPair.generate()
    suite = RdfcSuite("eddsa-rdfc-2022", ("ed25519",), canonicalize=stock)
    ours = add_proof(CREDENTIAL, key, created="2024-01-01T00:00:00Z")
    data_integrity._cached_config_hash.cache_clear()
    assert add_proof(CREDENTIAL, key, cryptosuite=suite, created="2024-01-01T00:00:00Z") == ours
    assert _verified(ours, accepted_suites=[suite])


def test_suite_substitution_to_an_unlisted_suite_is_refused() -> None:
    # a verifier that lists only the RDFC suite refuses a JCS proof (JCS ignores what the contexts mean)
    key = KeyPair.generate()
    signed = add_proof(CREDENTIAL, key, cryptosuite=JcsSuite())
    assert _verified(signed)
    results = verify_proofs(signed, accepted_suites=[SUITES["eddsa-rdfc-2022"]])
    assert not results[0].verified
    assert "unsupported cryptosuite" in results[0].errors[0].detail
    assert not _verified(signed, accepted_suites=["eddsa-rdfc-2022", "not-a-suite"])


def test_jcs_proofs_with_different_contexts_in_one_set_each_verify() -> None:
    # each JCS proof covers the document under its own @context: the canonical document is not shared
    key = KeyPair.generate()
    first = add_proof({**CREDENTIAL, "@context": [V2]} | {"credentialSubject": {"id": "did:example:s"}}, key,
                      cryptosuite="eddsa-jcs-2022", proof_id="urn:p1")
    second = add_proof({**first, "@context": [V2, "https://www.w3.org/ns/credentials/examples/v2"]}, key,
                       cryptosuite="eddsa-jcs-2022", proof_id="urn:p2")
    results = verify_proofs(second)
    assert [r.verified for r in results] == [True, True]
