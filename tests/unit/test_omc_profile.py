"""The omc-profile check: OMC shape, OMC+ reporting, the policy at verify time, endorsements verified as such."""

from __future__ import annotations

import copy
from pathlib import Path

from omc_vc.keys import KeyPair
from omc_vc.omc.builder import build_endorsement
from omc_vc.omc.model import (
    OB_CONTEXT,
    OMC_CONTEXT,
    VC_CONTEXT,
    achievement_of,
    claims_omc,
    is_omc_plus,
    is_omc_shaped,
    stacking_targets,
)
from omc_vc.omc.profile import OmcProfileCheck
from omc_vc.proofs import data_integrity
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import catalogue_entry, endorsement_of, make_institution, signed_omc

WELD_101 = "https://college.example.ca/achievements/weld-101"


def _verify(credential):
    return Verifier(extra_checks=[OmcProfileCheck()]).verify(credential)


def test_omc_plus_is_reported(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    credential = signed_omc(config, key, "weld-101")
    assert is_omc_shaped(credential) and is_omc_plus(credential)
    assert stacking_targets(credential)[0]["creditRequired"] == 9
    result = _verify(credential)
    assert result.verified, result.errors
    assert result.details["omc"]["omcPlus"] is True
    assert result.details["omc"]["stacksInto"][0]["id"].endswith("welding-techniques-certificate")
    detail = result.check("omc-profile").detail
    assert "(OMC+ claim" in detail and "conforms" not in detail and "as an OMC" not in detail


def test_plain_omc_is_not_reported_as_omc_plus(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    result = _verify(signed_omc(config, key, "safety-100"))
    assert result.verified and result.details["omc"]["omcPlus"] is False
    assert "has the OMC fields (OMC claim" in result.check("omc-profile").detail


def test_non_omc_credential_is_skipped_not_failed() -> None:
    key = KeyPair.generate()
    credential = data_integrity.add_proof({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:5b1f6b38-0c38-4b6e-9f5c-3a2f1c0e9a12", "type": ["VerifiableCredential"],
        "issuer": key.controller, "credentialSubject": {"id": "did:example:learner", "alumniOf": "Somewhere"},
    }, key)
    result = _verify(credential)
    assert result.verified and result.check("omc-profile").status == "skipped"
    assert result.details["omc"]["shape"] is False


def test_issuer_signed_credential_breaking_the_policy_is_not_a_valid_omc(tmp_path) -> None:
    # the issuer bypasses omc issue and signs a course of 2,000 hours with four NOC codes: it claims the OMC term
    # (the OMC context) but breaks the policy, so it is a valid credential that is NOT a valid OMC
    config, key = make_institution(tmp_path)
    credential = signed_omc(config, key)
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    achievement = achievement_of(unsigned)
    assert achievement is not None
    achievement["instructionalHours"] = 2000
    achievement["nocCodes"] = ["72106", "72320", "72410", "73100"]
    result = _verify(data_integrity.add_proof(unsigned, key))
    check = result.check("omc-profile")
    assert result.verified and check.status == "warning" and check.code == "POLICY_VIOLATION"
    assert result.details["omc"]["claim"] is True
    assert check.detail.startswith("not a valid OMC: ")
    assert "credentialSubject.achievement.instructionalHours" in check.detail
    assert "credentialSubject.achievement.nocCodes: 4 codes" in check.detail


def _generic_micro_credential(key: KeyPair, context: list[str]) -> dict:
    """An Open Badges 3.0 credential with OB's own achievementType MicroCredential (no OMC terms)."""
    return data_integrity.add_proof({
        "@context": context, "id": "urn:uuid:0e6f3b7a-8c1d-4b2e-9f10-6a7b8c9d0e1f",
        "type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": {"id": key.controller, "type": ["Profile"],
                                                                           "name": "Another Badge Platform"},
        "validFrom": "2025-01-01T00:00:00Z", "name": "Data Literacy",
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
            "id": "https://badges.example.org/achievements/data-literacy", "type": ["Achievement"],
            "achievementType": "MicroCredential", "name": "Data Literacy",
            "criteria": {"narrative": "Completed the course."}, "description": "Reading data."}},
    }, key)


def test_generic_micro_credential_is_not_taken_for_an_omc() -> None:
    """OB 3.0's generic MicroCredential from any issuer, without the OMC context, is judged as a credential only."""
    result = _verify(_generic_micro_credential(KeyPair.generate(), [VC_CONTEXT, OB_CONTEXT]))
    check = result.check("omc-profile")
    assert result.verified, result.errors
    assert check is not None and check.status == "skipped" and check.detail.startswith("not an OMC claim")
    assert result.details["omc"] == {**result.details["omc"], "claim": False, "shape": True, "omcPlus": False}


def test_omc_claim_is_the_omc_context_on_an_achievement_credential() -> None:
    """docs/vocabulary.md, "The OMC claim": the marker is the OMC context on an OB achievement credential."""
    key = KeyPair.generate()
    claimed = _generic_micro_credential(key, [VC_CONTEXT, OB_CONTEXT, OMC_CONTEXT])
    assert claims_omc(claimed) and is_omc_shaped(claimed)
    result = _verify(claimed)
    check = result.check("omc-profile")
    # it claims the term but carries none of the OMC metadata: a valid credential, not a valid OMC
    assert result.verified and check is not None and check.status == "warning" and check.code == "POLICY_VIOLATION"
    assert not claims_omc({**claimed, "@context": [VC_CONTEXT, OB_CONTEXT]})
    endorsement = {**claimed, "type": ["VerifiableCredential", "EndorsementCredential"]}
    assert not claims_omc(endorsement)  # the OMC context for an endorsement's binding terms is no OMC claim


def test_endorsement_is_verified_as_a_credential_of_its_own(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    endorsement = endorsement_of(config.did)
    credential = signed_omc(config, key, endorsement=[endorsement])
    result = _verify(credential)
    assert result.verified, result.errors
    check = result.check("omc-endorsements")
    assert check.status == "passed" and "Ontario Welders Guild" in check.detail
    # no registry here: the name is the document's own, marked as such
    assert result.details["omc"]["endorsedBy"] == [
        {"id": endorsement["issuer"]["id"], "name": '"Ontario Welders Guild" (self-declared, not verified)',
         "registered": False}]


def test_forged_endorsement_comment_is_rejected(tmp_path) -> None:
    # the institution edits an employer's endorsement before embedding it, then signs the OMC:
    # its own signature is fine, the employer's is not
    config, key = make_institution(tmp_path)
    forged = endorsement_of(config.did)
    forged["credentialSubject"]["endorsementComment"] = "Best program in Canada, hire them all."
    result = _verify(signed_omc(config, key, endorsement=[forged]))
    check = result.check("omc-endorsements")
    assert not result.verified and check.status == "failed" and check.code == "ENDORSEMENT_INVALID"
    assert "does not verify" in check.detail


def test_endorsement_of_another_achievement_is_rejected(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    other = endorsement_of(config.did)
    credential = signed_omc(config, key, "weld-101", endorsement=[other])
    # move the (valid) endorsement onto a different achievement and re-sign the OMC
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    unsigned["credentialSubject"]["achievement"]["id"] = "https://college.example.ca/achievements/weld-999"
    result = _verify(data_integrity.add_proof(unsigned, key))
    check = result.check("omc-endorsements")
    assert check.status == "failed" and "not this achievement" in check.detail


def test_endorsement_claiming_a_famous_endorser_it_cannot_sign_for_is_rejected(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    impostor = KeyPair.generate()
    famous = KeyPair.generate()
    # signed by the impostor's key, but the issuer says it is the famous endorser
    document = copy.deepcopy(build_endorsement(achievement=catalogue_entry(), issuer=config.did, comment="Endorsed",
                                               endorser={"id": impostor.controller, "name": "Impostor"},
                                               key=impostor))
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    unsigned["issuer"] = {"id": famous.controller, "type": ["Profile"], "name": "Famous Employer"}
    forged = data_integrity.add_proof(unsigned, impostor)
    result = _verify(signed_omc(config, key, endorsement=[forged]))
    check = result.check("omc-endorsements")
    assert check.status == "failed" and "does not verify" in check.detail


def test_self_endorsement_by_the_issuer_is_rejected(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    # build_endorsement refuses this; the issuer writes it by hand (re-signing a stranger's endorsement as its own)
    own = {k: v for k, v in endorsement_of(config.did).items() if k != "proof"}
    own["issuer"] = {"id": key.controller, "type": ["Profile"], "name": "Example College"}
    own = data_integrity.add_proof(own, key)
    result = _verify(signed_omc(config, key, endorsement=[own]))
    check = result.check("omc-endorsements")
    assert check.status == "failed" and "third party" in check.detail


def test_cli_endorse_produces_an_endorsement_the_profile_check_accepts(tmp_path) -> None:
    import json

    from click.testing import CliRunner
    from omc_vc.cli.main import cli

    runner = CliRunner()
    employer_key = tmp_path / "employer.key"
    assert runner.invoke(cli, ["keys", "generate", "--out", str(employer_key), "--insecure-plaintext"]).exit_code == 0
    out = tmp_path / "guild.json"
    issuer = KeyPair.generate()
    catalogue = Path(__file__).resolve().parents[1] / "fixtures" / "omc" / "catalogue.yaml"
    made = runner.invoke(cli, ["endorse", "--catalogue", str(catalogue), "--achievement", "weld-101",
                               "--for-issuer", issuer.controller, "--key", str(employer_key),
                               "--name", "Ontario Welders Guild", "--comment", "Meets our entry standard",
                               "--out", str(out)])
    assert made.exit_code == 0, made.output
    endorsement = json.loads(out.read_text())
    assert endorsement["credentialSubject"]["endorsedIssuer"] == issuer.controller
    config, key = make_institution(tmp_path / "inst", key=issuer, endorsements=[endorsement])
    result = _verify(signed_omc(config, key, endorsement=config.achievement("weld-101")["endorsement"]))
    assert result.verified and result.check("omc-endorsements").status == "passed"


def test_employer_endorsement_reused_by_another_college_is_refused(tmp_path) -> None:
    # college B copies college A's achievement, employer endorsement included, into an OMC it signs itself
    config_a, key_a = make_institution(tmp_path / "a")
    genuine = signed_omc(config_a, key_a, endorsement=[endorsement_of(config_a.did)])
    assert _verify(genuine).check("omc-endorsements").status == "passed"
    config_b, key_b = make_institution(tmp_path / "b")
    unsigned = {k: v for k, v in signed_omc(config_b, key_b).items() if k != "proof"}
    unsigned["credentialSubject"]["achievement"] = copy.deepcopy(genuine["credentialSubject"]["achievement"])
    result = _verify(data_integrity.add_proof(unsigned, key_b))
    check = result.check("omc-endorsements")
    assert check.status == "failed" and check.code == "ENDORSEMENT_NOT_BOUND"
    assert f"not of this credential's issuer {config_b.did}" in check.detail
    assert result.details["omc"]["endorsedBy"] == []  # never shown on college B's credential


def test_employer_endorsement_without_binding_is_refused(tmp_path) -> None:
    # a plain OB 3.0 endorsement (subject id only), genuinely signed by the employer
    config, key = make_institution(tmp_path)
    employer = KeyPair.generate()
    plain = data_integrity.add_proof({
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:6f1c7a52-8d0e-4a55-9b38-0c9a4d2e1f77",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Endorsement", "issuer": {"id": employer.controller, "type": ["Profile"], "name": "Guild"},
        "validFrom": "2026-01-05T00:00:00Z",
        "credentialSubject": {"id": WELD_101, "type": ["EndorsementSubject"], "endorsementComment": "Good."},
    }, employer)
    unsigned = {k: v for k, v in signed_omc(config, key).items() if k != "proof"}
    unsigned["credentialSubject"]["achievement"]["endorsement"] = [plain]
    check = _verify(data_integrity.add_proof(unsigned, key)).check("omc-endorsements")
    assert check.status == "failed" and check.code == "ENDORSEMENT_NOT_BOUND" and "OMC context" in check.detail


def test_cli_endorse_errors_are_one_line(tmp_path) -> None:
    from click.testing import CliRunner
    from omc_vc.cli.main import cli

    runner = CliRunner()
    employer_key = tmp_path / "employer.key"
    assert runner.invoke(cli, ["keys", "generate", "--out", str(employer_key), "--insecure-plaintext"]).exit_code == 0
    catalogue = Path(__file__).resolve().parents[1] / "fixtures" / "omc" / "catalogue.yaml"
    base = ["endorse", "--catalogue", str(catalogue), "--key", str(employer_key), "--name", "Guild",
            "--comment", "Good."]
    unknown = runner.invoke(cli, [*base, "--achievement", "weld-999", "--for-issuer", "did:web:college.example"])
    not_did = runner.invoke(cli, [*base, "--achievement", "weld-101", "--for-issuer", "Example College"])
    for result, words in ((unknown, "'weld-999' is not in the catalogue"), (not_did, "is not a DID")):
        assert result.exit_code not in (0, 3) and isinstance(result.exception, SystemExit | None), result.output
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and words in errors[0] and "Traceback" not in result.output, result.stderr


# --- endorsements are verified under the caller's policy (DESIGN decision 13) -------------------------

def test_refused_suite_is_refused_in_an_endorsement(tmp_path) -> None:
    # the employer signs with P-256 (ecdsa-rdfc-2019); the college's own proof is eddsa-rdfc-2022
    config, key = make_institution(tmp_path)
    endorsement = endorsement_of(config.did, employer=KeyPair.generate("p256"))
    assert endorsement["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    credential = signed_omc(config, key, endorsement=[endorsement])
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert _verify(credential).check("omc-endorsements").status == "passed"
    narrow = Verifier(extra_checks=[OmcProfileCheck()], accepted_suites=("eddsa-rdfc-2022",)).verify(credential)
    check = narrow.check("omc-endorsements")
    assert not narrow.verified and check.status == "failed" and check.code == "ENDORSEMENT_INVALID"
    assert "does not verify" in check.detail and "ecdsa-rdfc-2019" in check.detail
    assert narrow.details["omc"]["endorsedBy"] == []


def test_an_endorsement_is_judged_at_the_parents_now(tmp_path) -> None:
    # an endorsement dated ten days ahead: not valid yet today, valid at a time of interest after that date
    from datetime import timedelta

    from omc_vc._internal.timeutil import parse_datetime, utcnow

    config, key = make_institution(tmp_path)
    ahead = utcnow().replace(microsecond=0) + timedelta(days=10)
    employer = KeyPair.generate()
    endorsement = build_endorsement(achievement=catalogue_entry("weld-101"), issuer=config.did, key=employer,
                                    comment="Graduates meet our hiring standard.", issued=ahead,
                                    endorser={"id": employer.controller, "name": "Ontario Welders Guild"})
    credential = signed_omc(config, key, endorsement=[endorsement])
    today = parse_datetime(credential["validFrom"]) + timedelta(minutes=1)  # the credential itself is valid
    verifier = Verifier(extra_checks=[OmcProfileCheck()])
    now_check = verifier.verify(credential, now=today).check("omc-endorsements")
    assert now_check.status == "failed" and now_check.code == "ENDORSEMENT_INVALID", now_check
    assert "in the future" in now_check.detail
    later = ahead + timedelta(days=1)
    assert verifier.verify(credential, now=later).check("omc-endorsements").status == "passed"
    # the Verifier's clock, when no time of interest is given, is the nested document's clock too
    clocked = Verifier(extra_checks=[OmcProfileCheck()], clock=lambda: later)
    assert clocked.verify(credential).check("omc-endorsements").status == "passed"
