"""The OMC JSON-LD context: bundled, hash-pinned, protected, and keeping every OMC claim in the signature."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from omc_vc import jsonld
from omc_vc._internal.resources import contexts_dir
from omc_vc.errors import DataLossError, JsonLdError
from omc_vc.omc.model import OMC_CONTEXT, OMC_VOCAB
from tests.fixtures.omc.sample import endorsement_of, make_institution, signed_omc

AGREED_TERMS = {
    "instructionalHours", "durationWeeks", "qualificationCategory", "deliveryMode", "summativeAssessment",
    "SummativeAssessment", "evidenceUrl", "cipCode", "nocCodes", "creditUnit", "creditTransfer",
    "CreditTransferPathway", "receivingInstitution", "program", "creditGranted", "agreementReference",
    "stacksInto", "StackingTarget", "awardingInstitution", "creditValue", "creditRequired", "creditDeterminedBy",
    "awardedByIssuer", "omcConsentReference", "endorsedIssuer", "achievementDigest",
}


def _context() -> dict:
    return json.loads((contexts_dir() / "omc-v1.jsonld").read_text(encoding="utf-8"))["@context"]


def test_context_is_bundled_under_its_url_with_the_manifest_hash() -> None:
    manifest = json.loads((contexts_dir() / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest if e["url"] == OMC_CONTEXT)
    raw = (contexts_dir() / entry["file"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
    assert jsonld.default_loader()(OMC_CONTEXT, {})["document"]["@context"]["@protected"] is True


def test_every_agreed_term_is_defined_under_the_omc_vocabulary() -> None:
    context = _context()
    assert context["@version"] == 1.1
    for term in AGREED_TERMS:
        assert context[term]["@id"] == OMC_VOCAB + term, term
    # and nothing else: documentation (docs/vocabulary.md) lists exactly these terms
    assert {k for k in context if not k.startswith("@")} == AGREED_TERMS


def test_vocabulary_doc_lists_every_term_with_its_iri() -> None:
    doc = (contexts_dir().parent / "docs" / "vocabulary.md")
    if not doc.is_file():
        pytest.skip("docs/vocabulary.md is not shipped in this layout")
    text = doc.read_text(encoding="utf-8")
    for term in AGREED_TERMS:
        assert f"`{term}`" in text and OMC_VOCAB + term in text, term


def test_full_omc_keeps_every_claim_in_canonical_form(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    endorsement = endorsement_of(config.did)
    credential = signed_omc(config, key, endorsement=[endorsement])
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    jsonld.check_data_loss(unsigned)
    nquads = jsonld.canonicalize(unsigned)
    used = {term for term in AGREED_TERMS if term[0].islower()} - {"evidenceUrl", "omcConsentReference"}
    for term in used | {"evidenceUrl", "omcConsentReference"}:
        assert f"<{OMC_VOCAB}{term}>" in nquads, term
    for literal in ('"48.0508"', '"72106"', '"72320"', '"ONCAT pathway 2026-0117"', '"MCU-OMC-2026-0042"',
                    '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>', '"in-person"'):
        assert literal in nquads, literal
    # the embedded endorsement's own claims are signed too, its binding included (the issuer as an IRI)
    assert "endorsementComment" in nquads
    subject = endorsement["credentialSubject"]
    assert f'<{OMC_VOCAB}endorsedIssuer> <{config.did}>' in nquads
    assert f'<{OMC_VOCAB}achievementDigest> "{subject["achievementDigest"]}"' in nquads


def test_endorsement_binding_terms_are_signed_by_the_endorser(tmp_path) -> None:
    # the endorsement on its own (as its endorser signed it): both binding terms are in its graph, so
    # neither can be changed or dropped without breaking the endorser's signature
    config, _ = make_institution(tmp_path)
    endorsement = endorsement_of(config.did)
    unsigned = {k: v for k, v in endorsement.items() if k != "proof"}
    jsonld.check_data_loss(unsigned)
    nquads = jsonld.canonicalize(unsigned)
    assert f"<{OMC_VOCAB}endorsedIssuer> <{config.did}>" in nquads
    assert f"<{OMC_VOCAB}achievementDigest>" in nquads


def test_unknown_term_next_to_omc_terms_is_data_loss(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    credential = signed_omc(config, key)
    credential["credentialSubject"]["achievement"]["secretBonusCredits"] = 99
    with pytest.raises(DataLossError, match="secretBonusCredits"):
        jsonld.check_data_loss({k: v for k, v in credential.items() if k != "proof"})


def test_redefining_a_protected_omc_term_fails() -> None:
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", OMC_CONTEXT,
                     {"instructionalHours": "https://evil.example/hours"}],
        "id": "urn:uuid:2b1f6b38-0c38-4b6e-9f5c-3a2f1c0e9a11", "type": ["VerifiableCredential"],
        "issuer": "did:example:x", "credentialSubject": {"instructionalHours": 1000},
    }
    with pytest.raises(JsonLdError, match=re.compile("protected", re.I)):
        jsonld.canonicalize(document)
