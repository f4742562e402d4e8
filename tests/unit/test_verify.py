"""The verifier core: named checks, validity period against an injected clock, presentations with challenge
and domain, holder binding, JWT presentations with enveloped credentials, and no exceptions for bad input."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omc_vc import KeyPair, Verifier, add_proof, verify
from omc_vc.model import Check
from omc_vc.proofs import jose

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def sign(document: dict[str, Any], key: KeyPair, **options: Any) -> dict[str, Any]:
    """Sign as of 2024-06-01 (a proof created after the verifier's `now` does not verify)."""
    return add_proof(document, key, created="2024-06-01T00:00:00Z", **options)


def credential(issuer: str, subject: str = "did:example:learner", **extra: Any) -> dict[str, Any]:
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:3e2c6d4e-1111-4f1a-9a2b-000000000001",
        "type": ["VerifiableCredential", "ExampleCredential"],
        "issuer": issuer,
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": subject, "skill": "Welding"},
    }
    doc.update(extra)
    return doc


def presentation(holder: str, creds: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
            "holder": holder, "verifiableCredential": creds}


@pytest.fixture
def issuer() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture
def holder() -> KeyPair:
    return KeyPair.generate()


def test_all_core_checks_named_and_passed(issuer: KeyPair) -> None:
    result = verify(sign(credential(issuer.controller), issuer), now=NOW)
    assert result.verified
    assert [c.name for c in result.checks] == ["data-model", "plain-json-ld", "data-loss", "proof",
                                               "issuer-key-binding", "validity-period"]
    assert result.to_json()["errors"] == []


@pytest.mark.parametrize(("now", "code"), [
    (datetime(2024, 12, 31, tzinfo=UTC), "CREDENTIAL_NOT_YET_VALID"),
    (datetime(2026, 1, 2, tzinfo=UTC), "CREDENTIAL_EXPIRED"),
])
def test_validity_period_uses_injected_now(issuer: KeyPair, now: datetime, code: str) -> None:
    result = verify(sign(credential(issuer.controller), issuer), now=now)
    assert not result.verified
    assert result.check("validity-period").code == code  # type: ignore[union-attr]


def test_issuer_not_key_controller(issuer: KeyPair) -> None:
    # an attacker signs with their own key a credential naming a real institution as issuer
    forged = sign(credential("did:web:college.example.ca"), issuer)
    result = verify(forged, now=NOW)
    assert not result.verified and result.errors[0]["code"] == "ISSUER_KEY_MISMATCH"


@pytest.mark.parametrize(("mutate", "code"), [
    (lambda d: d.update({"@context": ["https://www.w3.org/ns/credentials/v1"]}), "MALFORMED_VALUE_ERROR"),
    (lambda d: d.update({"type": ["ExampleCredential"]}), "MALFORMED_VALUE_ERROR"),
    (lambda d: d.pop("issuer"), "MALFORMED_VALUE_ERROR"),
    (lambda d: d.update({"issuer": "not a url"}), "MALFORMED_VALUE_ERROR"),
    (lambda d: d.update({"validFrom": "2025-01-01"}), "MALFORMED_VALUE_ERROR"),
    (lambda d: d.update({"validUntil": "2024-01-01T00:00:00Z"}), "MALFORMED_VALUE_ERROR"),
    (lambda d: d.update({"credentialStatus": {"id": "https://x.example/1"}}), "MALFORMED_VALUE_ERROR"),
    (lambda d: d.update({"id": "not a url"}), "MALFORMED_VALUE_ERROR"),
    (lambda d: d.update({"@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"]}),
     "CONTEXT_NOT_ALLOWED"),
    (lambda d: d.update({"@context": ["https://www.w3.org/ns/credentials/v2",
                                      {"VerifiableCredential": "https://evil.example/VC"}]}), None),
])
def test_malformed_credentials_fail_with_codes(issuer: KeyPair, mutate: Any, code: str | None) -> None:
    signed = sign(credential(issuer.controller), issuer)
    mutate(signed)
    result = verify(signed, now=NOW)
    assert not result.verified
    if code:
        assert result.errors[0]["code"] == code


def test_presentation_challenge_domain_and_replay(issuer: KeyPair, holder: KeyPair) -> None:
    cred = sign(credential(issuer.controller, subject=holder.controller), issuer)
    vp = sign(presentation(holder.controller, [cred]), holder, purpose="authentication",
                   challenge="nonce-123", domain="employer.example.ca")
    ok = verify(vp, now=NOW, challenge="nonce-123", domain="employer.example.ca")
    assert ok.verified and ok.kind == "presentation" and len(ok.credentials) == 1
    replay = verify(vp, now=NOW, challenge="nonce-456", domain="employer.example.ca")
    assert not replay.verified and replay.errors[0]["code"] == "INVALID_CHALLENGE_ERROR"
    other_domain = verify(vp, now=NOW, challenge="nonce-123", domain="evil.example")
    assert other_domain.errors[0]["code"] == "INVALID_DOMAIN_ERROR"
    no_challenge = verify(vp, now=NOW)
    assert any(w["code"] == "NO_CHALLENGE" for w in no_challenge.warnings)


def test_presentation_signed_for_assertion_is_rejected(issuer: KeyPair, holder: KeyPair) -> None:
    cred = sign(credential(issuer.controller, subject=holder.controller), issuer)
    vp = sign(presentation(holder.controller, [cred]), holder, purpose="assertionMethod", challenge="c")
    assert not verify(vp, now=NOW, challenge="c").verified


def test_presentation_by_someone_else_than_the_subject(issuer: KeyPair, holder: KeyPair) -> None:
    # a stolen credential presented by another holder
    cred = sign(credential(issuer.controller, subject="did:example:real-learner"), issuer)
    vp = sign(presentation(holder.controller, [cred]), holder, purpose="authentication", challenge="c")
    result = verify(vp, now=NOW, challenge="c")
    assert not result.verified and result.check("holder-is-subject") is not None


def test_presentation_holder_not_signer(issuer: KeyPair, holder: KeyPair) -> None:
    cred = sign(credential(issuer.controller, subject=holder.controller), issuer)
    vp = sign(presentation(holder.controller, [cred]), KeyPair.generate(), purpose="authentication",
                   challenge="c")
    result = verify(vp, now=NOW, challenge="c")
    assert not result.verified and result.check("holder-binding").status == "failed"  # type: ignore[union-attr]


def test_presentation_with_tampered_embedded_credential(issuer: KeyPair, holder: KeyPair) -> None:
    cred = sign(credential(issuer.controller, subject=holder.controller), issuer)
    cred["credentialSubject"]["skill"] = "Brain surgery"
    vp = sign(presentation(holder.controller, [cred]), holder, purpose="authentication", challenge="c")
    result = verify(vp, now=NOW, challenge="c")
    assert not result.verified and result.check("credentials").status == "failed"  # type: ignore[union-attr]
    assert "verifiableCredential[0]" in result.errors[-1]["detail"]


def _holderless(creds: list[dict[str, Any]]) -> dict[str, Any]:
    vp = presentation("unused", creds)
    del vp["holder"]
    return vp


def test_presentation_without_holder_verifies(issuer: KeyPair, holder: KeyPair) -> None:
    """VCDM 2.0 §4.13: holder is optional. The W3C suite's presentation-multiple-vc-ok: two credentials issued
    and signed by the key that signs the presentation, no holder; and a learner's own credential, no holder."""
    own = [sign(credential(holder.controller, subject=s), holder) for s in ("did:example:a", "did:example:b")]
    vp = sign(_holderless(own), holder, purpose="authentication", challenge="c")
    result = verify(vp, now=NOW, challenge="c", checks=[])
    assert result.verified, result.errors
    assert result.check("holder-binding") is None and result.check("holder-claims") is None
    learner = sign(credential(issuer.controller, subject=holder.controller), issuer)
    vp = sign(_holderless([learner]), holder, purpose="authentication", challenge="c")
    result = verify(vp, now=NOW, challenge="c")  # the full verification: the signer is the subject
    assert result.verified, result.errors


def test_stranger_presenting_without_holder_is_refused(issuer: KeyPair, holder: KeyPair) -> None:
    """Leaving holder out does not let a stranger present another learner's credential: in a full verification
    the presentation's signer stands in for the holder and must be a subject of every credential."""
    cred = sign(credential(issuer.controller, subject="did:example:real-learner"), issuer)
    vp = sign(_holderless([cred]), holder, purpose="authentication", challenge="c")
    result = verify(vp, now=NOW, challenge="c")
    assert not result.verified
    assert result.check("holder-is-subject").code == "HOLDER_NOT_SUBJECT"  # type: ignore[union-attr]


def test_credential_secured_only_by_the_presentation_is_refused(holder: KeyPair) -> None:
    """VCDM 2.0 §4.12.4: a credential with no proof of its own is secured only by the presentation; without a
    holder that breaks the MUST, and with one we still ask for its own proof (an authentication proof asserts
    no claims), so an unsigned credential cannot ride in on a presenter's signature."""
    unsigned = credential(holder.controller, subject=holder.controller)
    without = verify(sign(_holderless([unsigned]), holder, purpose="authentication", challenge="c"),
                     now=NOW, challenge="c", checks=[])
    check = without.check("holder-claims")
    assert not without.verified and check is not None and check.code == "MALFORMED_VALUE_ERROR"
    assert "§4.12.4" in check.detail and "holder" in check.detail
    self_asserted = verify(sign(presentation(holder.controller, [unsigned]), holder, purpose="authentication",
                                challenge="c"), now=NOW, challenge="c", checks=[])
    check = self_asserted.check("holder-claims")
    assert not self_asserted.verified and check is not None and check.code == "PROOF_VERIFICATION_ERROR"


def test_jwt_credential_and_enveloped_presentation(issuer: KeyPair, holder: KeyPair) -> None:
    token = jose.sign_jwt(credential(issuer.controller, subject=holder.controller), issuer, now=NOW)
    assert verify(token, now=NOW).verified
    vp = presentation(holder.controller, [jose.envelope(token)])
    vp_token = jose.sign_jwt({**vp, "nonce": "n-1", "aud": "employer.example.ca"}, holder, now=NOW)
    assert verify(vp_token, now=NOW, challenge="n-1", domain="employer.example.ca").verified
    assert not verify(vp_token, now=NOW, challenge="n-2").verified


def test_extra_checks_run_only_after_core_passes(issuer: KeyPair) -> None:
    calls: list[str] = []

    class Probe:
        name = "probe"

        def __call__(self, cred: dict[str, Any], ctx: Any) -> list[Check]:
            calls.append(cred["id"])
            return [Check("probe", "failed", "probe says no", "PROBE")]

    verifier = Verifier(extra_checks=[Probe()])
    signed = sign(credential(issuer.controller), issuer)
    result = verifier.verify(signed, now=NOW)
    assert calls and not result.verified and result.errors[0]["code"] == "PROBE"
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["skill"] = "x"
    calls.clear()
    result = verifier.verify(tampered, now=NOW)
    assert not calls and result.check("probe").status == "skipped"  # type: ignore[union-attr]


def test_a_check_verifies_nested_documents_under_the_callers_policy(issuer: KeyPair) -> None:
    # DESIGN decision 13: the context a check receives carries the running Verifier's policy, and
    # verify_nested applies it (suites, resolver, clock, the same now) with the core checks only
    p256 = KeyPair.generate("p256")
    nested = sign(credential(p256.controller), p256)  # ecdsa-rdfc-2019, valid 2025
    seen: list[Any] = []

    class Nests:
        name = "nests"

        def __call__(self, cred: dict[str, Any], ctx: Any) -> list[Check]:
            inner = ctx.verify_nested(nested)
            seen.append((ctx, inner))
            return [Check("nests", "passed" if inner.verified else "failed", inner.reason, None)]

    def clock() -> datetime:
        return NOW

    signed = sign(credential(issuer.controller), issuer)
    narrow = Verifier(extra_checks=[Nests()], accepted_suites=("eddsa-rdfc-2022",), clock=clock)
    result = narrow.verify(signed)
    ctx, inner = seen[-1]
    assert ctx.accepted_suites == ("eddsa-rdfc-2022",) and ctx.clock is clock and ctx.resolver is narrow.resolver
    assert ctx.now == NOW and not inner.verified and "ecdsa-rdfc-2019" in inner.reason
    assert not result.verified and result.check("nests").status == "failed"  # type: ignore[union-attr]
    assert inner.check("proof").code == "PROOF_VERIFICATION_ERROR"  # type: ignore[union-attr]
    # the same nested document under the default suites verifies, and only with the core checks
    assert Verifier(extra_checks=[Nests()]).verify(signed, now=NOW).verified
    assert [c.name for c in seen[-1][1].checks] == ["data-model", "plain-json-ld", "data-loss", "proof",
                                                    "issuer-key-binding", "validity-period"]
    # and at the parent's now: after the nested credential's validUntil, it no longer verifies
    late = datetime(2026, 6, 1, tzinfo=UTC)
    Verifier(extra_checks=[Nests()]).verify(sign(credential(issuer.controller, validUntil="2027-01-01T00:00:00Z"),
                                                 issuer), now=late)
    assert seen[-1][0].now == late and seen[-1][1].check("validity-period").code == "CREDENTIAL_EXPIRED"


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_mutation_of_a_signed_credential_never_verifies(data: st.DataObject) -> None:
    key = KeyPair.generate()
    signed = sign(credential(key.controller), key)
    paths = [("credentialSubject", "skill"), ("credentialSubject", "id"), ("validFrom",), ("validUntil",), ("id",),
             ("issuer",), ("proof", "created"), ("proof", "proofValue"), ("proof", "verificationMethod"),
             ("type",), ("@context",)]
    path = data.draw(st.sampled_from(paths))
    value = data.draw(st.one_of(st.text(max_size=20), st.integers(), st.none(), st.lists(st.text(max_size=5))))
    target: Any = signed
    for part in path[:-1]:
        target = target[part]
    if target.get(path[-1]) == value:
        return
    target[path[-1]] = value
    result = verify(signed, now=NOW)
    assert not result.verified


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_garbage_never_raises(data: str | bytes) -> None:
    result = verify(data, now=NOW)
    assert not result.verified


@pytest.mark.parametrize("field", ["validFrom", "validUntil"])
def test_year_beyond_python_datetime_is_malformed_not_a_crash(issuer: KeyPair, field: str) -> None:
    """Found by the fuzzer: the dateTimeStamp pattern admits a five-digit year that datetime cannot hold."""
    signed = sign(credential(issuer.controller), issuer)
    signed[field] = "20426-06-14T12:00:00Z"
    result = verify(signed, now=NOW)
    assert not result.verified
    assert result.errors[0]["code"] == "MALFORMED_VALUE_ERROR" and "20426" in result.errors[0]["detail"]


# --- VCDM 2.0 §5.3: related resources this verifier uses -----------------------------------------------------

def _context_digests(url: str) -> dict[str, str]:
    import base64
    import hashlib

    from omc_vc import jsonld

    content = jsonld.default_loader().content(url)
    assert content is not None
    return {"digestSRI": "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode(),
            "digestMultibase": "u" + base64.urlsafe_b64encode(hashlib.sha256(content).digest()).decode().rstrip("=")}


def test_related_resource_matching_the_bundled_context_verifies(issuer: KeyPair) -> None:
    document = credential(issuer.controller)
    document["relatedResource"] = [{"id": document["@context"][0], **_context_digests(document["@context"][0])}]
    assert verify(sign(document, issuer), now=NOW).verified


@pytest.mark.parametrize("digest", ["digestSRI", "digestMultibase"])
def test_related_resource_with_another_versions_digest_is_refused(issuer: KeyPair, digest: str) -> None:
    """Attack stopped: a credential interpreted with a context other than the one its issuer hashed
    (VCDM 2.0 §5.3: a digest that does not match the retrieved resource MUST produce an error)."""
    document = credential(issuer.controller)
    right = _context_digests(document["@context"][0])[digest]
    wrong = right[:-4] + ("AAAA" if not right.endswith("AAAA") else "BBBB")
    document["relatedResource"] = [{"id": document["@context"][0], digest: wrong}]
    result = verify(sign(document, issuer), now=NOW)
    assert not result.verified
    failed = result.check("related-resources")
    assert failed is not None and failed.code == "RELATED_RESOURCE_DIGEST_ERROR"


def test_a_proof_whose_type_is_a_list_fails_its_check_never_raises() -> None:
    """Malformed input is a failed check (DESIGN decision 9), not an exception (an HTTP 500 on the service)."""
    key = KeyPair.generate("ed25519")
    document = add_proof({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                          "issuer": key.controller, "credentialSubject": {"id": "did:example:x"}}, key)
    proof = {k: v for k, v in document["proof"].items() if k != "cryptosuite"}
    proof["type"] = ["DataIntegrityProof"]
    result = Verifier().verify({**document, "proof": proof})
    assert not result.verified
    assert any(c.failed for c in result.checks)


def test_presentations_verify_judges_the_w3c_fields_and_the_verdict_at_one_moment() -> None:
    """The W3C pass and the OMC pass of POST /presentations/verify are two verifications of one presentation:
    both are asked about the same instant, so a credential expiring between them cannot be valid in one and
    not in the other."""
    from omc_vc.web.vcapi import Verifiers, verify_presentation

    asked: list[Any] = []

    class Recording(Verifier):
        def verify(self, document: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            asked.append(kwargs.get("now"))
            return super().verify(document, **kwargs)

    ticks = iter(range(10))
    clock = lambda: datetime(2026, 1, 1, tzinfo=UTC).replace(second=next(ticks))  # noqa: E731
    verifiers = Verifiers(full=Recording(clock=clock), proof_only=Recording(clock=clock),
                          omc=lambda: Recording(clock=clock))
    holder = KeyPair.generate("ed25519")
    presentation = add_proof({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                              "holder": holder.controller}, holder, purpose="authentication", challenge="c")
    verify_presentation({"verifiablePresentation": presentation, "options": {"challenge": "c"}}, verifiers)
    assert len(asked) == 2 and asked[0] is not None and asked[0] == asked[1]
