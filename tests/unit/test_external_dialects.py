"""What other implementations emit, read as they publish it: DCC's Ed25519Signature2020 credentials, status
lists and LCW-style presentations, 1EdTech's issuer identified by an https URL, and the VCDM 2.0
Recommendation's bare did:key verification method.

Every document is a published one kept under tests/fixtures/external/<source>/ with its SOURCE.md
(repository, path, commit, licence). What lives on the network (status lists, the 1EdTech issuer's
controller document) is pinned or served by a fake fetcher, so these tests run offline.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from omc_vc._internal.fetch import Fetcher
from omc_vc.bitstring import decode_bitstring, get_status
from omc_vc.checks.status import StatusListCheck
from omc_vc.did import DidResolver, retrieve_verification_method
from omc_vc.errors import FetchError, ProofError, VerificationMethodError
from omc_vc.keys import KeyPair
from omc_vc.model import VerificationResult
from omc_vc.proofs.data_integrity import (
    ED25519_2020,
    LEGACY_SUITES,
    add_proof,
    verify_proofs,
)
from omc_vc.verify import DEFAULT_ACCEPTED_SUITES, Verifier

EXTERNAL = Path(__file__).resolve().parents[1] / "fixtures" / "external"
NOW = datetime(2027, 1, 1, tzinfo=UTC)
DCC_STATUS_URL = ("https://raw.githubusercontent.com/digitalcredentials/verifier-core/refs/heads/main/"
                  "src/test-fixtures/status/e5WK8CbZ1GjycuPombrj")
# 1EdTech OB 3.0 implementation guide, "Linked Data Proof Test Vector": the issuer and its published Multikey
OB_ISSUER = "https://example.edu/issuers/565049"
OB_KEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
OB_VM = f"{OB_ISSUER}#{OB_KEY}"


def _load(source: str, name: str) -> dict[str, Any]:
    value = json.loads((EXTERNAL / source / name).read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def _failed(result: VerificationResult) -> dict[str, str | None]:
    return {c.name: c.code for c in result.checks if c.failed}


def _ob_controller_document(key_multibase: str = OB_KEY) -> dict[str, Any]:
    """The issuer's controlled identifier document, from the values the 1EdTech guide publishes."""
    return {
        "@context": ["https://www.w3.org/ns/cid/v1"],
        "id": OB_ISSUER,
        "verificationMethod": [{"id": OB_VM, "type": "Multikey", "controller": OB_ISSUER,
                                "publicKeyMultibase": key_multibase}],
        "assertionMethod": [OB_VM],
    }


class _Session:
    """A requests.Session stand-in for the real Fetcher: serves a dict of URL -> JSON, records the URLs."""

    def __init__(self, pages: dict[str, Any]) -> None:
        self.pages = pages
        self.calls: list[str] = []

    def get(self, url: str, **_: Any) -> Any:
        self.calls.append(url)
        body = json.dumps(self.pages[url]).encode() if url in self.pages else b"{}"
        status = 200 if url in self.pages else 404

        class _Response:
            status_code = status
            is_redirect = False
            headers: ClassVar[dict[str, str]] = {"Content-Length": str(len(body))}

            def iter_content(self, chunk_size: int) -> list[bytes]:
                return [body]

            def close(self) -> None:
                pass

        return _Response()


def _fetcher(pages: dict[str, Any], address: str = "93.184.215.14") -> tuple[Fetcher, _Session]:
    session = _Session(pages)
    fetcher = Fetcher(resolver=lambda host, port: [address], session=session)  # type: ignore[arg-type]
    return fetcher, session


# --- Ed25519Signature2020 ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "v2-ed25519-didkey-legacy-noStatus-noExpiry.json",
    "v1-ed25519-didkey-legacy-noStatus-noExpiry-stringIssuerId.json",
    "v2-bothSignatureTypes-didkey-legacy-noStatus-noExpiry.json",
])
def test_dcc_credential_signed_with_ed25519signature2020_verifies(name: str) -> None:
    result = Verifier().verify(_load("dcc-vc-test-fixtures", name), now=NOW)
    assert result.verified, _failed(result)
    assert "Ed25519Signature2020" in (result.check("proof") or pytest.fail("no proof check")).detail


def test_dcc_status_list_signed_with_ed25519signature2020_verifies() -> None:
    result = Verifier().verify(_load("dcc-verifier-core", "status-e5WK8CbZ1GjycuPombrj.json"), now=NOW)
    assert result.verified, _failed(result)


def test_dcc_tampered_credential_with_ed25519signature2020_is_refused() -> None:
    tampered = _load("dcc-vc-test-fixtures", "v2-ed25519-didkey-legacy-noStatus-noExpiry-tampered.json")
    result = Verifier().verify(tampered, now=NOW)
    assert _failed(result) == {"proof": "CRYPTOGRAPHIC_SECURITY_ERROR"}


def test_dcc_tampered_status_list_is_refused_not_read() -> None:
    credential = _load("dcc-vc-test-fixtures", "v2-ed25519-didkey-legacy-tamperedStatus-noExpiry.json")
    status_list = _load("dcc-vc-test-fixtures", "statusList-didkey-ed25519Signature2020-tampered.json")
    url = credential["credentialStatus"]["statusListCredential"]
    result = Verifier(extra_checks=[StatusListCheck(None, documents={url: status_list})]).verify(credential, now=NOW)
    assert _failed(result) == {"status": "STATUS_VERIFICATION_ERROR"}
    assert "does not verify" in (result.check("status") or pytest.fail("no status check")).detail


def test_dcc_revoked_credential_is_revoked_though_its_list_names_another_url() -> None:
    """DCC's revoked credential (verifier-core's fixture) against its real Ed25519Signature2020 status list.

    The list verifies under the caller's policy and index 8 of it is set: the credential is revoked. The list
    names itself https://testing.dcconsortium.org/... while the credential names a copy on
    raw.githubusercontent.com, so it could never vouch that the credential is in good standing (list
    substitution), but a set bit can only make the verdict worse and is honoured, with the rule named.
    """
    credential = _load("dcc-verifier-core", "v2Revoked.json")
    status_list = _load("dcc-verifier-core", "status-e5WK8CbZ1GjycuPombrj.json")
    assert credential["credentialStatus"]["statusListCredential"] == DCC_STATUS_URL
    # the list's proof and the caller's policy (CheckContext.verify_nested) accept it
    list_result = Verifier().verify(status_list, now=NOW)
    assert list_result.verified, _failed(list_result)
    bits = decode_bitstring(status_list["credentialSubject"]["encodedList"])
    assert get_status(bits, int(credential["credentialStatus"]["statusListIndex"])) == 1
    verifier = Verifier(extra_checks=[StatusListCheck(None, documents={DCC_STATUS_URL: status_list})])
    result = verifier.verify(credential, now=NOW)
    assert _failed(result) == {"status": "CREDENTIAL_REVOKED"}
    detail = (result.check("status") or pytest.fail("no status check")).detail
    assert "names itself 'https://testing.dcconsortium.org/status/e5WK8CbZ1GjycuPombrj'" in detail


@pytest.mark.parametrize(("index", "expected"), [(8, "CREDENTIAL_REVOKED"), (7, "STATUS_VERIFICATION_ERROR")])
def test_dcc_list_signed_by_another_did_revokes_but_cannot_clear(index: int, expected: str) -> None:
    """DCC's fixtures point credentials of several issuers at one list signed by one did:key (DCC's
    verifier-core turns the issuer match off). A clear bit from another issuer's list could be anyone's
    "not revoked" (a list substituted by whoever can serve that URL) and is refused; a set bit is honoured."""
    credential = _load("dcc-vc-test-fixtures", "v2-ed25519-didkey-legacy-noStatus-noExpiry.json")
    status_list = _load("dcc-verifier-core", "status-e5WK8CbZ1GjycuPombrj.json")
    list_url = str(status_list["id"])
    entry = {"id": f"{list_url}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
             "statusListCredential": list_url, "statusListIndex": str(index)}
    # the credential is re-signed with the entry by a key of ours, standing in for DCC's issuer
    issuer = KeyPair.generate("ed25519")
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    unsigned["issuer"] = {**credential["issuer"], "id": issuer.controller}
    unsigned["credentialStatus"] = entry
    signed = add_proof(unsigned, issuer)
    assert status_list["issuer"] != issuer.controller
    result = Verifier(extra_checks=[StatusListCheck(None, documents={list_url: status_list})]).verify(
        signed, now=NOW)
    assert _failed(result) == {"status": expected}


def test_dcc_status_list_verified_under_a_policy_without_ed25519signature2020_is_refused() -> None:
    """DESIGN decision 13: a caller that does not accept the legacy suite gets no status from a 2020 list."""
    credential = _load("dcc-verifier-core", "v2Revoked.json")
    status_list = _load("dcc-verifier-core", "status-e5WK8CbZ1GjycuPombrj.json")
    verifier = Verifier(accepted_suites=("eddsa-rdfc-2022",),
                        extra_checks=[StatusListCheck(None, documents={DCC_STATUS_URL: status_list})])
    assert _failed(verifier.verify(credential, now=NOW)) == {"proof": "PROOF_VERIFICATION_ERROR"}
    assert _failed(verifier.verify(status_list, now=NOW)) == {"proof": "PROOF_VERIFICATION_ERROR"}


def test_lcw_style_presentation_with_ed25519signature2020_verifies() -> None:
    presentation = _load("digitalbazaar-ed25519-signature-2020", "lcw-style-presentation.json")
    result = Verifier().verify(presentation, now=NOW, challenge="lcw-challenge-0001", domain="verifier.example")
    assert result.verified, (_failed(result), [_failed(c) for c in result.credentials])
    assert result.check("holder-binding") is not None
    wrong = Verifier().verify(presentation, now=NOW, challenge="another-challenge", domain="verifier.example")
    assert _failed(wrong) == {"proof": "INVALID_CHALLENGE_ERROR"}


def test_ed25519signature2020_over_an_edited_document_is_refused() -> None:
    presentation = _load("digitalbazaar-ed25519-signature-2020", "lcw-style-presentation.json")
    presentation["holder"] = "did:key:z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q"
    result = Verifier().verify(presentation, now=NOW, challenge="lcw-challenge-0001", domain="verifier.example")
    assert _failed(result) == {"proof": "CRYPTOGRAPHIC_SECURITY_ERROR"}
    credential = _load("dcc-vc-test-fixtures", "v2-ed25519-didkey-legacy-noStatus-noExpiry.json")
    credential["credentialSubject"]["achievement"]["name"] = "Doctorate"
    assert _failed(Verifier().verify(credential, now=NOW)) == {"proof": "CRYPTOGRAPHIC_SECURITY_ERROR"}


def test_ed25519signature2020_whose_key_is_another_dids_is_refused() -> None:
    credential = _load("dcc-vc-test-fixtures", "v2-ed25519-didkey-legacy-noStatus-noExpiry.json")
    other = KeyPair.generate("ed25519")
    credential["proof"]["verificationMethod"] = other.verification_method
    assert _failed(Verifier().verify(credential, now=NOW)) == {"proof": "CRYPTOGRAPHIC_SECURITY_ERROR"}
    # a valid 2020 proof by one DID on a credential whose issuer is another: the issuer-key binding refuses it
    signed = _load("dcc-vc-test-fixtures", "v2-ed25519-didkey-legacy-noStatus-noExpiry.json")
    signed["issuer"]["id"] = other.controller
    assert "proof" in _failed(Verifier().verify(signed, now=NOW))


def test_data_integrity_proof_relabelled_as_ed25519signature2020_is_refused() -> None:
    credential = _load("dcc-vc-test-fixtures", "v2-bothSignatureTypes-didkey-legacy-noStatus-noExpiry.json")
    di = next(p for p in credential["proof"] if p["type"] == "DataIntegrityProof")
    relabelled = {**credential, "proof": {**di, "type": ED25519_2020}}
    results = verify_proofs(relabelled, now=NOW)
    assert [e.code for e in results[0].errors] == ["PROOF_VERIFICATION_ERROR"]
    assert "relabelled" in results[0].errors[0].detail
    # without its cryptosuite, the relabelled proof covers other options than were signed
    bare = {k: v for k, v in di.items() if k != "cryptosuite"}
    results = verify_proofs({**credential, "proof": {**bare, "type": ED25519_2020}}, now=NOW)
    assert [e.code for e in results[0].errors] == ["CRYPTOGRAPHIC_SECURITY_ERROR"]


def test_ed25519signature2020_proof_relabelled_as_data_integrity_is_refused() -> None:
    credential = _load("dcc-vc-test-fixtures", "v2-ed25519-didkey-legacy-noStatus-noExpiry.json")
    for suite in ("eddsa-rdfc-2022", ED25519_2020):
        forged = {**credential, "proof": {**credential["proof"], "type": "DataIntegrityProof", "cryptosuite": suite}}
        errors = verify_proofs(forged, now=NOW)[0].errors
        assert errors and errors[0].code in ("PROOF_VERIFICATION_ERROR", "CRYPTOGRAPHIC_SECURITY_ERROR")


def test_ed25519signature2020_without_its_suite_context_is_refused() -> None:
    credential = _load("dcc-vc-test-fixtures", "v2-ed25519-didkey-legacy-noStatus-noExpiry.json")
    credential["@context"] = credential["@context"][:2]
    results = verify_proofs(credential, now=NOW)
    assert [e.code for e in results[0].errors] == ["PROOF_VERIFICATION_ERROR"]


def test_ed25519signature2020_is_accepted_by_default_and_never_signs() -> None:
    assert ED25519_2020 in DEFAULT_ACCEPTED_SUITES
    key = KeyPair.generate("ed25519")
    with pytest.raises(ProofError) as caught:
        add_proof({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}, key,
                  cryptosuite=LEGACY_SUITES[ED25519_2020])
    assert caught.value.code == "PROOF_GENERATION_ERROR"


# --- verification methods identified by an https URL (1EdTech OB 3.0) ---------------------------------


def test_1edtech_https_issuer_verifies_through_the_fetcher() -> None:
    credential = _load("1edtech-openbadges-specification", "signed-credential.json")
    fetcher, session = _fetcher({OB_ISSUER: _ob_controller_document()})
    result = Verifier(resolver=DidResolver(fetcher=fetcher)).verify(credential, now=NOW)
    assert result.verified, _failed(result)
    assert session.calls == [OB_ISSUER]
    pinned = Verifier(resolver=DidResolver(documents={OB_ISSUER: _ob_controller_document()})).verify(credential,
                                                                                                      now=NOW)
    assert pinned.verified, _failed(pinned)


def test_https_verification_method_offline_is_a_typed_failure() -> None:
    credential = _load("1edtech-openbadges-specification", "signed-credential.json")
    result = Verifier().verify(credential, now=NOW)
    assert _failed(result) == {"proof": "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"}
    assert "offline" in (result.check("proof") or pytest.fail("no proof check")).detail


def test_https_verification_method_on_a_private_address_is_refused() -> None:
    """SSRF: the key document is fetched only through the Fetcher, which refuses private-range hosts."""
    credential = _load("1edtech-openbadges-specification", "signed-credential.json")
    fetcher, session = _fetcher({OB_ISSUER: _ob_controller_document()}, address="10.0.0.7")
    result = Verifier(resolver=DidResolver(fetcher=fetcher)).verify(credential, now=NOW)
    assert _failed(result) == {"proof": "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"}
    assert "private-range" in (result.check("proof") or pytest.fail("no proof check")).detail
    assert session.calls == []


def test_https_verification_method_controller_must_be_the_issuer() -> None:
    credential = _load("1edtech-openbadges-specification", "signed-credential.json")
    # the controller document served at the issuer's URL names another id: refused (CID 1.0 §3.3 step 4)
    elsewhere = {**_ob_controller_document(), "id": "https://attacker.example/issuers/1"}
    fetcher, _ = _fetcher({OB_ISSUER: elsewhere})
    result = Verifier(resolver=DidResolver(fetcher=fetcher)).verify(credential, now=NOW)
    assert _failed(result) == {"proof": "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID"}
    # a key document that names the issuer as its controller, which the issuer does not list: refused
    attacker = KeyPair.generate("ed25519")
    key_url = "https://attacker.example/keys/1"
    key_doc = {"id": key_url, "type": "Multikey", "controller": OB_ISSUER,
               "publicKeyMultibase": attacker.public_key.multibase}
    fetcher, _ = _fetcher({key_url: key_doc, OB_ISSUER: _ob_controller_document()})
    with pytest.raises(VerificationMethodError) as caught:
        retrieve_verification_method(key_url, "assertionMethod", DidResolver(fetcher=fetcher))
    assert caught.value.code == "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"
    # a credential claiming the 1EdTech issuer, signed by a key another https controller really holds
    other_ctrl = "https://attacker.example/issuers/2"
    other_vm = f"{other_ctrl}#key-1"
    other_doc = {"id": other_ctrl, "assertionMethod": [other_vm], "verificationMethod": [
        {"id": other_vm, "type": "Multikey", "controller": other_ctrl,
         "publicKeyMultibase": attacker.public_key.multibase}]}
    forged = add_proof({k: v for k, v in credential.items() if k != "proof"}, attacker.with_id(other_vm, other_ctrl))
    fetcher, _ = _fetcher({other_ctrl: other_doc})
    result = Verifier(resolver=DidResolver(fetcher=fetcher)).verify(forged, now=NOW)
    assert _failed(result) == {"issuer-key-binding": "ISSUER_KEY_MISMATCH"}


def test_https_key_document_without_fragment_must_have_the_url_as_id_and_be_listed() -> None:
    key = KeyPair.generate("ed25519")
    key_url = "https://issuer.example/keys/1"
    controller = "https://issuer.example/"
    key_doc = {"id": key_url, "type": "Multikey", "controller": controller,
               "publicKeyMultibase": key.public_key.multibase}
    controller_doc = {"id": controller, "assertionMethod": [key_url]}
    fetcher, session = _fetcher({key_url: key_doc, controller: controller_doc})
    method, public = retrieve_verification_method(key_url, "assertionMethod", DidResolver(fetcher=fetcher))
    assert public == key.public_key and method["controller"] == controller
    assert session.calls == [key_url, controller]
    # the document served at the URL is another key's
    fetcher, _ = _fetcher({key_url: {**key_doc, "id": "https://issuer.example/keys/2"}, controller: controller_doc})
    with pytest.raises(VerificationMethodError) as caught:
        retrieve_verification_method(key_url, "assertionMethod", DidResolver(fetcher=fetcher))
    assert caught.value.code == "INVALID_VERIFICATION_METHOD"
    # listed for authentication only: not an assertion key
    fetcher, _ = _fetcher({key_url: key_doc, controller: {"id": controller, "authentication": [key_url]}})
    with pytest.raises(VerificationMethodError) as caught:
        retrieve_verification_method(key_url, "assertionMethod", DidResolver(fetcher=fetcher))
    assert caught.value.code == "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"


def test_https_key_document_over_the_size_cap_is_refused() -> None:
    big = {**_ob_controller_document(), "padding": "x" * 300_000}
    fetcher, _ = _fetcher({OB_ISSUER: big})
    with pytest.raises(VerificationMethodError) as caught:
        retrieve_verification_method(OB_VM, "assertionMethod", DidResolver(fetcher=fetcher))
    assert caught.value.code == "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"
    assert isinstance(caught.value.__cause__.__cause__, FetchError)  # type: ignore[union-attr]


# --- a bare did:key (VCDM 2.0 Recommendation) -----------------------------------------------------------


def test_bare_did_key_verification_method_resolves() -> None:
    credential = _load("w3c-vc-data-model", "rec-example-3-ecdsa-rdfc-2019.json")
    did = "did:key:zDnaebSRtPnW6YCpxAhR5JPxJqt9UunCsBPhLEtUokUvp87nQ"
    assert credential["proof"]["verificationMethod"] == did
    [proof] = verify_proofs(credential, expected_purpose="assertionMethod", now=NOW)
    assert proof.verified and proof.controller == did and proof.public_key is not None
    assert proof.public_key.key_type == "p256"
    result = Verifier().verify(credential, now=NOW, checks=["proof"])
    assert result.verified, _failed(result)
    # the full verification: the Recommendation's issuer is not that key's controller (our one deliberate
    # deviation from the W3C suites, docs/interop-w3c-suites.md)
    assert _failed(Verifier().verify(credential, now=NOW)) == {"issuer-key-binding": "ISSUER_KEY_MISMATCH"}


def test_bare_did_key_that_is_not_a_key_is_refused() -> None:
    with pytest.raises(VerificationMethodError) as caught:
        retrieve_verification_method("did:key:zNotAKey", "assertionMethod", DidResolver())
    assert caught.value.code == "INVALID_VERIFICATION_METHOD_URL"
    with pytest.raises(VerificationMethodError):
        retrieve_verification_method("did:web:example.com", "assertionMethod", DidResolver())
