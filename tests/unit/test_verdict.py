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


def test_without_a_registry_nothing_is_called_an_omc() -> None:
    verdict = verdict_of(_result(registry=False))
    assert verdict.status == "valid-not-omc"
    assert "registry" in verdict.reason


def test_not_omc_shaped_credential_is_not_an_omc() -> None:
    verdict = verdict_of(_result(Check("omc-profile", "skipped", "not an Ontario Micro-Credential")))
    assert verdict.status == "valid-not-omc"


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
