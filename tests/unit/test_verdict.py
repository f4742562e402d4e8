"""verdict_of on hand-made results: which failures make a credential invalid and which only "not an OMC"."""

from __future__ import annotations

import pytest

from omc_vc.model import Check, VerificationResult
from omc_vc.verdict import HEADLINES, verdict_of

CORE = ["data-model", "data-loss", "proof", "issuer-key-binding", "validity-period", "status"]


def _result(*overrides: Check, omc_plus: bool = False, registry: bool = True) -> VerificationResult:
    result = VerificationResult(kind="credential", format="di")
    named = {c.name: c for c in overrides}
    names = [*CORE, "omc-profile"] + (["issuer-authorized", "partnership"] if registry else [])
    for name in names:
        result.add(named.get(name, Check(name, "passed", f"{name} ok")))
    result.details["omc"] = {"shape": True, "omcPlus": omc_plus}
    result.details["institution"] = "Example College"
    return result


def test_all_passed_is_a_valid_omc_and_is_recorded_in_details() -> None:
    result = _result()
    verdict = verdict_of(result)
    assert (verdict.status, verdict.institution) == ("valid-omc", "Example College")
    assert result.details["verdict"] == verdict.to_json()
    assert verdict.headline == HEADLINES["valid-omc"]


def test_stacking_claim_makes_it_omc_plus() -> None:
    assert verdict_of(_result(omc_plus=True)).status == "valid-omc-plus"


def test_an_omc_reason_follows_its_partner_and_omc_plus_for_one_kept_issuer_sentence() -> None:
    # the issuer check hands one kept sentence to a whole cohort: each verdict still gets its own partner and
    # OMC+ words, and in French too
    from omc_vc.i18n import Message, translator

    detail = Message("{name} held the ministry's consent", name="Example College")
    issuer = Check("issuer-authorized", "passed", detail)
    reasons = []
    for _ in range(2):
        for partner, plus in ((None, False), ("Partner College", False), (None, True), ("Other College", True)):
            result = _result(issuer, omc_plus=plus)
            if partner:
                result.details["partner"] = partner
            reasons.append(verdict_of(result).reason)
    assert reasons[:4] == reasons[4:] == [
        "Example College held the ministry's consent.",
        "Example College held the ministry's consent. Offered in partnership with Partner College.",
        "Example College held the ministry's consent. It counts toward a larger credential (OMC+).",
        "Example College held the ministry's consent. Offered in partnership with Other College. It counts toward "
        "a larger credential (OMC+)."]
    assert "Other College" in translator("fr").render(reasons[7])
    # another institution's sentence gets its own reason, never the one kept for the first
    other = Message("{name} held the ministry's consent", name="Second College")
    assert verdict_of(_result(Check("issuer-authorized", "passed", other))).reason == \
        "Second College held the ministry's consent."


def test_without_a_registry_nothing_is_called_an_omc() -> None:
    verdict = verdict_of(_result(registry=False))
    assert verdict.status == "valid-not-omc"
    assert "registry" in verdict.reason


def test_not_omc_shaped_credential_is_not_an_omc() -> None:
    verdict = verdict_of(_result(Check("omc-profile", "skipped", "not an Ontario Micro-Credential")))
    assert verdict.status == "valid-not-omc"


def test_claimed_omc_breaking_the_profile_is_a_valid_credential_but_not_an_omc() -> None:
    """docs/vocabulary.md, "The OMC claim": the profile decides the verdict, not whether the credential verified."""
    profile = Check("omc-profile", "warning", "not a valid OMC: credentialSubject.achievement.instructionalHours: "
                    "2000 hours is outside the policy range 1-1000", "POLICY_VIOLATION")
    result = _result(profile)
    verdict = verdict_of(result)
    assert result.verified
    assert (verdict.status, verdict.code) == ("valid-not-omc", "POLICY_VIOLATION")
    assert verdict.reason.startswith("Not a valid OMC: credentialSubject.achievement.instructionalHours")


def test_credential_without_the_omc_claim_is_not_an_omc_even_from_an_authorized_issuer() -> None:
    skipped = "not an OMC claim: ..."
    result = _result(Check("omc-profile", "skipped", skipped), Check("issuer-authorized", "skipped", skipped),
                     Check("partnership", "skipped", skipped))
    verdict = verdict_of(result)
    assert result.verified and verdict.status == "valid-not-omc"
    assert "does not claim to be an Ontario Micro-Credential" in verdict.reason


@pytest.mark.parametrize("check", [
    Check("issuer-authorized", "failed", "the issuer is not listed", "ISSUER_NOT_IN_REGISTRY"),
    Check("partnership", "failed", "no partner endorsement", "PARTNERSHIP_MISSING"),
    Check("omc-profile", "failed", "instructionalHours is missing", "POLICY_VIOLATION"),
])
def test_omc_only_failures_leave_a_valid_credential_that_is_not_an_omc(check: Check) -> None:
    verdict = verdict_of(_result(check))
    assert verdict.status == "valid-not-omc"
    assert verdict.code == check.code
    assert verdict.reason.startswith(check.detail[0].upper())


@pytest.mark.parametrize("check, words", [
    (Check("proof", "failed", "signature mismatch", "CRYPTOGRAPHIC_SECURITY_ERROR"), "changed after it was signed"),
    (Check("status", "failed", "revoked", "CREDENTIAL_REVOKED"), "revoked"),
    (Check("status", "failed", "suspended", "CREDENTIAL_SUSPENDED"), "suspended"),
    (Check("validity-period", "failed", "expired", "CREDENTIAL_EXPIRED"), "expired"),
    (Check("issuer-authorized", "failed", "the ministry's registry could not be trusted: version 4 is older",
           "REGISTRY_ROLLBACK"), "registry of authorized issuers could not be trusted"),
    (Check("issuer-authorized", "failed", "suspended since", "ISSUER_SUSPENDED_SINCE_ISSUE"), "Suspended since"),
])
def test_security_failures_make_it_invalid_in_plain_words(check: Check, words: str) -> None:
    verdict = verdict_of(_result(check))
    assert verdict.status == "invalid"
    assert words in verdict.reason
    assert verdict.code == check.code


def test_security_failure_wins_over_omc_failure() -> None:
    verdict = verdict_of(_result(Check("issuer-authorized", "failed", "not listed", "ISSUER_NOT_IN_REGISTRY"),
                                 Check("status", "failed", "revoked", "CREDENTIAL_REVOKED")))
    assert verdict.status == "invalid" and verdict.code == "CREDENTIAL_REVOKED"


def test_unparseable_input_is_invalid() -> None:
    result = VerificationResult()
    result.add(Check("parse", "failed", "input is not JSON", "PARSING_ERROR"))
    assert verdict_of(result).status == "invalid"


# --- the partner's endorsement is verified under the caller's policy (DESIGN decision 13) -------------

def test_refused_suite_is_refused_in_a_partner_endorsement() -> None:
    from datetime import UTC, datetime, timedelta

    from omc_vc.did import DidResolver
    from omc_vc.keys import KeyPair
    from omc_vc.omc.builder import build_endorsement, prepare_achievement
    from omc_vc.registry import Anchors, RegistryDraft
    from omc_vc.verdict import PartnershipCheck
    from omc_vc.verify import CheckContext
    from tests.fixtures.registry.world import ACHIEVEMENT

    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    college = "did:web:tradeskill.example.ca"
    partner_key = KeyPair.generate("p256")  # the partner signs with ecdsa-rdfc-2019
    draft = RegistryDraft.new("https://mcu.example.gov.on.ca/omc/registry",
                              anchors=Anchors((KeyPair.generate().public_key,), 1))
    partner = draft.add_institution(legal_name="Example College", kind="college", dids=[partner_key.controller],
                                    consent_reference="MCU-1", granted=now - timedelta(days=300),
                                    did_valid_from=now - timedelta(days=300))
    endorsement = build_endorsement(achievement=ACHIEVEMENT, issuer=college, key=partner_key,
                                    endorser={"id": partner_key.controller, "name": "Example College"},
                                    comment="We deliver this micro-credential with our partner.",
                                    issued=now - timedelta(days=20))
    assert endorsement["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    credential = {"id": "urn:uuid:0c6c1b52-8a0e-4a8c-9a51-3b1f7c2e9d10", "issuer": college,
                  "validFrom": "2026-02-01T00:00:00Z",
                  "credentialSubject": {"achievement": prepare_achievement(ACHIEVEMENT)}}

    def judge(suites: tuple[str, ...]) -> tuple[str, str] | None:
        ctx = CheckContext(now=now, resolver=DidResolver(), fetcher=None, loader=None, result=VerificationResult(),
                           accepted_suites=suites)
        return PartnershipCheck._check_endorsement(endorsement, partner, partner_key.controller, {ACHIEVEMENT["id"]},
                                                   credential, college, ctx)

    assert judge(("eddsa-rdfc-2022", "ecdsa-rdfc-2019")) is None
    refused = judge(("eddsa-rdfc-2022",))
    assert refused is not None and refused[0] == "PARTNERSHIP_INVALID"
    assert "does not verify" in refused[1] and "ecdsa-rdfc-2019" in refused[1]
