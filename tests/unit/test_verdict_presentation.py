"""verdict_of on hand-made presentations: each credential's verdict, a headline that sums them up in correct
plurals, and the presentation's own checks deciding before its credentials."""

from __future__ import annotations

from omc_vc.model import Check, VerificationResult
from omc_vc.verdict import HEADLINES, PRESENTATION_INVALID, verdict_of
from tests.unit.test_verdict import _result


def _presentation(*credentials: VerificationResult, own: tuple[Check, ...] = (),
                  asked: bool = True) -> VerificationResult:
    result = VerificationResult(kind="presentation", format="di")
    for check in (Check("data-model", "passed", "ok"), Check("proof", "passed", "1 proof(s) verified"),
                  Check("holder-binding", "passed", "signed by the holder did:key:z6Mkholder"), *own):
        result.add(check)
    result.credentials.extend(credentials)
    bad = sum(1 for c in credentials if not c.verified)
    result.add(Check("credentials", "failed" if bad else "passed", f"{len(credentials) - bad} verified",
                     "EMBEDDED_CREDENTIAL_INVALID" if bad else None))
    result.details["presentationRequest"] = {"challenge": asked, "domain": asked}
    return result


def _revoked() -> VerificationResult:
    return _result(Check("status", "failed", "revoked", "CREDENTIAL_REVOKED"))


def _not_omc() -> VerificationResult:
    return _result(Check("issuer-authorized", "failed", "the issuer is not in the registry", "ISSUER_NOT_IN_REGISTRY"))


def test_two_valid_omcs_are_headed_two_valid_omcs() -> None:
    verdict = verdict_of(_presentation(_result(), _result(omc_plus=True)))
    assert verdict.headline == "2 valid Ontario Micro-Credentials"
    assert verdict.status == "valid-omc"
    assert [v.status for v in verdict.credentials] == ["valid-omc", "valid-omc-plus"]


def test_all_omc_plus_is_omc_plus() -> None:
    assert verdict_of(_presentation(_result(omc_plus=True), _result(omc_plus=True))).status == "valid-omc-plus"


def test_mixed_presentation_counts_each_kind_in_plain_words() -> None:
    verdict = verdict_of(_presentation(_result(), _not_omc(), _not_omc(), _revoked()))
    assert verdict.headline == ("1 valid Ontario Micro-Credential, 2 valid credentials that are NOT Ontario "
                                "Micro-Credentials and 1 NOT valid")
    assert verdict.status == "invalid"
    assert verdict.reason.startswith("1 credential of the 4 in this presentation is NOT valid. Credential 4: ")
    assert "revoked" in verdict.reason


def test_valid_credentials_that_are_not_all_omcs_are_not_an_omc() -> None:
    verdict = verdict_of(_presentation(_result(), _not_omc()))
    assert verdict.status == "valid-not-omc"
    assert verdict.headline == ("1 valid Ontario Micro-Credential and 1 valid credential that is NOT an Ontario "
                                "Micro-Credential")


def test_one_credential_presentation_reads_as_that_credential() -> None:
    verdict = verdict_of(_presentation(_revoked()))
    assert (verdict.status, verdict.headline) == ("invalid", HEADLINES["invalid"])
    assert "revoked" in verdict.reason
    assert len(verdict.to_json()["credentials"]) == 1


def test_replayed_presentation_is_refused_whatever_its_credentials() -> None:
    replayed = Check("proof", "failed", "the proof's challenge does not match", "INVALID_CHALLENGE_ERROR")
    result = _presentation(_result(), _result())
    result.checks[1] = replayed
    verdict = verdict_of(result)
    assert (verdict.status, verdict.headline) == ("invalid", PRESENTATION_INVALID)
    checks = {c.name: c.status for c in verdict.presentation}
    assert checks["challenge"] == "failed"
    assert checks["signature"] == "passed"  # the holder binding held; only the challenge did not


def test_unasked_challenge_is_a_warning_and_asked_ones_pass() -> None:
    asked = {c.name: c.status for c in verdict_of(_presentation(_result(), _result())).presentation}
    assert (asked["challenge"], asked["domain"]) == ("passed", "passed")
    unasked = {c.name: c.status for c in verdict_of(_presentation(_result(), _result(), asked=False)).presentation}
    assert (unasked["challenge"], unasked["domain"]) == ("warning", "skipped")


def test_presentation_verdict_json_carries_each_verdict_and_the_own_checks() -> None:
    result = _presentation(_result(), _result())
    verdict = verdict_of(result)
    assert result.details["verdict"] == verdict.to_json()
    assert [v["headline"] for v in result.details["verdict"]["credentials"]] == [HEADLINES["valid-omc"]] * 2
    assert {"name", "label", "status", "detail"} <= set(result.details["verdict"]["presentation"][0])
