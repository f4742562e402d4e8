"""End to end: the registry and status lists served over loopback HTTP.

Each attack test is named after the attack it stops.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from omc_vc import jsonld
from omc_vc._internal.timeutil import format_datetime, parse_datetime
from omc_vc.errors import RegistryError
from omc_vc.keys import KeyPair
from omc_vc.model import VerificationResult
from omc_vc.omc.builder import build_endorsement, sign_omc
from omc_vc.proofs import data_integrity
from omc_vc.registry import RegistryClient
from omc_vc.verdict import make_verifier, verdict_of
from tests.fixtures.registry.world import World, world

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def w() -> Iterator[World]:
    with world() as value:
        yield value


@pytest.fixture(scope="module")
def creds(w: World) -> dict[str, dict]:
    return {
        "college": w.credential("Example College"),
        "college_plus": w.credential("Example College", plus=True),
        "university_plus": w.credential("Sample University", plus=True),
        "unlisted": w.credential("Nowhere Institute"),
        "pcc_alone": w.credential("Tradeskill Career College"),
    }


def _client(w: World, url: str, tmp: Path, **kwargs: object) -> RegistryClient:
    return RegistryClient(url, w.anchors, fetcher=w.fetcher(), cache_dir=tmp / "cache", **kwargs)  # type: ignore[arg-type]


def _verify(w: World, credential: dict, client: RegistryClient, **kwargs: object) -> VerificationResult:
    verifier = make_verifier(registry_client=client, fetcher=w.fetcher(), **kwargs)  # type: ignore[arg-type]
    return verifier.verify(credential)


@pytest.fixture
def registry_url(w: World) -> str:
    return w.publish_registry(w.signed_registry(version=1), "/current/registry.json")


# --- the verdicts ---------------------------------------------------------------------------------------

def test_authorized_issuer_is_a_valid_omc(w: World, creds: dict, registry_url: str, tmp_path: Path) -> None:
    result = _verify(w, creds["college"], _client(w, registry_url, tmp_path))
    verdict = verdict_of(result)
    assert verdict.status == "valid-omc", result.to_json()
    assert verdict.institution == "Example College"
    assert result.details["verdict"]["status"] == "valid-omc"
    assert result.check("issuer-authorized").status == "passed"  # type: ignore[union-attr]
    assert result.check("partnership").status == "passed"  # type: ignore[union-attr]
    assert result.check("status").status == "passed"  # type: ignore[union-attr]


def test_stacking_claim_from_omc_plus_issuer_is_valid_omc_plus(w: World, creds: dict, registry_url: str,
                                                               tmp_path: Path) -> None:
    verdict = verdict_of(_verify(w, creds["college_plus"], _client(w, registry_url, tmp_path)))
    assert verdict.status == "valid-omc-plus"
    assert "OMC+" in verdict.reason


def test_stacking_claim_beyond_consent_scope_is_not_an_omc(w: World, creds: dict, registry_url: str,
                                                           tmp_path: Path) -> None:
    result = _verify(w, creds["university_plus"], _client(w, registry_url, tmp_path))
    verdict = verdict_of(result)
    assert verdict.status == "valid-not-omc"
    assert verdict.code == "ISSUER_OUT_OF_SCOPE"
    assert verdict.institution == "Sample University"


def test_unlisted_issuer_is_not_an_omc(w: World, creds: dict, registry_url: str, tmp_path: Path) -> None:
    result = _verify(w, creds["unlisted"], _client(w, registry_url, tmp_path))
    verdict = verdict_of(result)
    assert result.check("proof").status == "passed"  # type: ignore[union-attr]
    assert verdict.status == "valid-not-omc"
    assert verdict.code == "ISSUER_NOT_IN_REGISTRY"
    assert verdict.institution is None
    assert "not in the ministry's registry" in verdict.reason


def _generic_micro_credential(w: World, name: str) -> dict:
    """An Open Badges 3.0 credential with OB's own achievementType MicroCredential, signed by ``name``'s key,
    without the OMC context: no OMC claim (docs/vocabulary.md, "The OMC claim")."""
    inst = w.institutions[name]
    return data_integrity.add_proof({
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:7d2a9e1c-3b4f-4a5e-8c6d-1e2f3a4b5c6d", "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": inst.did, "type": ["Profile"], "name": inst.name},
        "validFrom": format_datetime(w.now - timedelta(days=10)), "name": "Data Literacy",
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
            "id": "https://badges.example.org/achievements/data-literacy", "type": ["Achievement"],
            "achievementType": "MicroCredential", "name": "Data Literacy", "description": "Reading data.",
            "criteria": {"narrative": "Completed the course."}}},
    }, inst.key, created=w.now - timedelta(days=10))


@pytest.mark.parametrize("name", ["Nowhere Institute", "Example College"])
def test_generic_micro_credential_verifies_and_is_not_an_omc(w: World, registry_url: str, tmp_path: Path,
                                                             name: str) -> None:
    """Whoever issued it (unlisted or authorized), a credential that does not claim the OMC term verifies and is
    "valid credential, but not an OMC"; the registry is not asked about its issuer."""
    result = _verify(w, _generic_micro_credential(w, name), _client(w, registry_url, tmp_path))
    verdict = verdict_of(result)
    assert result.verified, result.errors
    assert verdict.status == "valid-not-omc" and "does not claim" in verdict.reason
    for check in ("omc-profile", "issuer-authorized", "partnership"):
        assert result.check(check).status == "skipped", result.to_json()  # type: ignore[union-attr]
        assert result.check(check).detail.startswith("not an OMC claim")  # type: ignore[union-attr]


def test_claimed_omc_breaking_the_policy_verifies_but_is_not_an_omc(w: World, registry_url: str,
                                                                   tmp_path: Path) -> None:
    """An authorized institution signs an OMC of 2,000 hours outside omc issue: it claims the term, breaks the
    policy, so it is a valid credential whose verdict names the field; it is never called an OMC."""
    inst = w.institutions["Example College"]
    unsigned = {k: v for k, v in w.credential("Example College").items() if k != "proof"}
    unsigned["credentialSubject"]["achievement"]["instructionalHours"] = 2000
    signed = data_integrity.add_proof(unsigned, inst.key, created=w.now - timedelta(days=10))
    result = _verify(w, signed, _client(w, registry_url, tmp_path))
    verdict = verdict_of(result)
    assert result.verified, result.errors
    assert result.check("issuer-authorized").status == "passed"  # type: ignore[union-attr]
    assert (verdict.status, verdict.code) == ("valid-not-omc", "POLICY_VIOLATION")
    assert "instructionalHours" in verdict.reason


def test_private_career_college_without_partner_endorsement_is_not_an_omc(w: World, creds: dict, registry_url: str,
                                                                           tmp_path: Path) -> None:
    result = _verify(w, creds["pcc_alone"], _client(w, registry_url, tmp_path))
    verdict = verdict_of(result)
    assert result.check("issuer-authorized").status == "passed"  # type: ignore[union-attr]
    assert verdict.status == "valid-not-omc"
    assert verdict.code == "PARTNERSHIP_MISSING"
    assert "Example College" in verdict.reason  # names the partner it needs


def _endorsed_pcc_credential(w: World, endorser: str) -> dict:
    endorsement = w.endorsement(endorser, "Tradeskill Career College")
    return w.credential("Tradeskill Career College", endorsement=endorsement)


def test_private_career_college_with_partner_endorsement_is_an_omc(w: World, registry_url: str,
                                                                   tmp_path: Path) -> None:
    credential = _endorsed_pcc_credential(w, "Example College")
    result = _verify(w, credential, _client(w, registry_url, tmp_path))
    verdict = verdict_of(result)
    assert verdict.status == "valid-omc", result.to_json()
    assert "Example College" in verdict.reason
    assert result.check("partnership").status == "passed"  # type: ignore[union-attr]
    assert result.check("omc-endorsements").status == "passed"  # type: ignore[union-attr]
    # the partner is registered: shown as the registry names it
    assert result.details["omc"]["endorsedBy"] == [
        {"id": w.institutions["Example College"].did, "name": "Example College", "registered": True}]


# --- endorsements bound to the college and the achievement they endorse ------------------------------

PCC = "Tradeskill Career College"


def _resigned(w: World, credential: dict, name: str, change: Callable[[dict], None]) -> dict:
    """``credential`` changed by its own issuer and signed again (the college's key, the original moment)."""
    unsigned = copy.deepcopy({k: v for k, v in credential.items() if k != "proof"})
    change(unsigned)
    return sign_omc(unsigned, w.institutions[name].key, created=parse_datetime(credential["validFrom"]))


def _not_bound(result: VerificationResult) -> str:
    verdict = verdict_of(result)
    assert verdict.status == "valid-not-omc", result.to_json()
    partnership = result.check("partnership")
    assert partnership is not None and partnership.status == "failed"
    assert verdict.code == partnership.code == "ENDORSEMENT_NOT_BOUND", result.to_json()
    return partnership.detail


def test_endorsement_reused_for_another_course_is_refused(w: World, registry_url: str, tmp_path: Path) -> None:
    # the partner endorsed the college's Welding Safety course; the college issues a different, longer course
    # for more credit under the same achievement id and keeps the endorsement
    genuine = _endorsed_pcc_credential(w, "Example College")

    def another_course(unsigned: dict) -> None:
        achievement = unsigned["credentialSubject"]["achievement"]
        achievement.update(name="Advanced Structural Welding", instructionalHours=120,
                           qualificationCategory="Ontario College Certificate", creditsAvailable=6,
                           creditUnit="credit")
        unsigned["name"] = "Advanced Structural Welding"

    result = _verify(w, _resigned(w, genuine, PCC, another_course), _client(w, registry_url, tmp_path))
    assert "defining fields" in _not_bound(result)
    endorsements = result.check("omc-endorsements")
    assert endorsements is not None and endorsements.code == "ENDORSEMENT_NOT_BOUND"
    assert result.details["omc"]["endorsedBy"] == []  # a copied endorsement is never shown
    # under the other course's own id, it endorses something else altogether
    moved = _resigned(w, genuine, PCC, lambda u: u["credentialSubject"]["achievement"].update(
        id="https://tradeskill.example.ca/achievements/advanced-welding"))
    check = _verify(w, moved, _client(w, registry_url, tmp_path)).check("partnership")
    assert check is not None and check.code == "PARTNERSHIP_INVALID" and "something other" in check.detail


def test_endorsement_after_achievement_hours_changed_is_refused(w: World, registry_url: str,
                                                                tmp_path: Path) -> None:
    genuine = _endorsed_pcc_credential(w, "Example College")
    assert verdict_of(_verify(w, genuine, _client(w, registry_url, tmp_path))).status == "valid-omc"
    # the college doubles the hours and signs its own OMC again, keeping the partner's endorsement
    doubled = _resigned(w, genuine, PCC,
                        lambda u: u["credentialSubject"]["achievement"].update(instructionalHours=60))
    result = _verify(w, doubled, _client(w, registry_url, tmp_path))
    assert result.check("proof").status == "passed"  # type: ignore[union-attr]
    assert "defining fields" in _not_bound(result)
    # credits granted later are a change of the defining fields too
    credited = _resigned(w, genuine, PCC, lambda u: u["credentialSubject"]["achievement"].update(
        creditsAvailable=3, creditUnit="credit"))
    _not_bound(_verify(w, credited, _client(w, registry_url, tmp_path)))


def test_endorsement_reused_by_another_college_is_refused(w: World, tmp_path: Path) -> None:
    # a second private career college, partnered with the same consent-holding college, copies Tradeskill's
    # endorsed achievement (its id, its fields and the partner's endorsement) into its own OMC
    from omc_vc.registry import sign_registry

    assert w.draft is not None
    other = "Quickweld Career College"
    if other not in w.institutions:
        w.institution(other, "private-career-college")
    draft = copy.deepcopy(w.draft)
    draft.add_institution(legal_name=other, kind="private-career-college", dids=[w.institutions[other].did],
                          consent_reference="MCU-OMC-QUI", scope=("OMC",), granted=w.now - timedelta(days=365))
    draft.add_partnership(w.institutions[other].did, w.institutions["Example College"].did,
                          since=w.now - timedelta(days=300), reference="MCU-PCC-0002")
    url = w.publish_registry(sign_registry(draft, [w.ministry], now=w.now - timedelta(minutes=1), version=1),
                             "/two-pccs/registry.json")
    copied_from = _endorsed_pcc_credential(w, "Example College")
    achievement = copy.deepcopy(copied_from["credentialSubject"]["achievement"])

    def copy_achievement(unsigned: dict) -> None:
        unsigned["issuer"] = w.institutions[other].profile()
        unsigned["credentialSubject"]["achievement"] = achievement

    copied = _resigned(w, w.credential(other), other, copy_achievement)
    result = _verify(w, copied, _client(w, url, tmp_path))
    assert result.check("issuer-authorized").status == "passed"  # type: ignore[union-attr]
    assert f"not of this credential's issuer {w.institutions[other].did}" in _not_bound(result)
    # the control: the same partner's endorsement made for this college holds
    own = w.endorsement("Example College", other)
    assert verdict_of(_verify(w, w.credential(other, endorsement=own), _client(w, url, tmp_path))).status == \
        "valid-omc"


def test_partner_endorsement_without_binding_is_refused(w: World, registry_url: str, tmp_path: Path) -> None:
    # an endorsement in the plain OB 3.0 shape (subject id only), genuinely signed by the partner
    partner = w.institutions["Example College"]
    legacy = data_integrity.add_proof({
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:0b7e0c39-5a7e-4d43-a8a4-6f7f4f1e2c10",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Endorsement", "issuer": {"id": partner.did, "type": ["Profile"], "name": partner.name},
        "validFrom": format_datetime(w.now - timedelta(days=20)),
        "credentialSubject": {"id": w.definition(PCC)["id"], "type": ["EndorsementSubject"],
                              "endorsementComment": "We deliver this micro-credential with our partner."},
    }, partner.key)
    with_legacy = _resigned(w, w.credential(PCC), PCC,
                            lambda u: u["credentialSubject"]["achievement"].update(endorsement=[legacy]))
    assert "OMC context" in _not_bound(_verify(w, with_legacy, _client(w, registry_url, tmp_path)))


def test_self_declared_endorser_cannot_read_as_registered_institution(w: World, registry_url: str,
                                                                      tmp_path: Path) -> None:
    college = w.institutions["Example College"]
    definition = w.definition("Example College")

    def by(key: KeyPair, name: str) -> dict:
        return build_endorsement(achievement=definition, issuer=college.did, endorser={"id": key.controller,
                                 "name": name}, comment="Endorsed.", key=key, issued=w.now - timedelta(days=20))

    stranger, official, guild = KeyPair.generate(), KeyPair.generate(), KeyPair.generate()
    university = w.institutions["Sample University"]
    endorsements = [by(stranger, "Sample  UNIVERSITY."),          # a registered institution's name
                    by(official, "Ministry of Colleges and Universities"),
                    by(university.key, "The Best University"),    # registered: the registry's name wins
                    by(guild, "Ontario Welders Guild")]
    credential = _resigned(w, w.credential("Example College"), "Example College",
                           lambda u: u["credentialSubject"]["achievement"].update(endorsement=endorsements))
    result = _verify(w, credential, _client(w, registry_url, tmp_path))
    assert verdict_of(result).status == "valid-omc", result.to_json()  # marked, not refused
    shown = {entry["id"]: entry for entry in result.details["omc"]["endorsedBy"]}
    assert shown[stranger.controller] == {
        "id": stranger.controller, "registered": False, "lookalike": True,
        "name": '"Sample UNIVERSITY." (self-declared, not verified; NOT the registered institution '
                'Sample University)'}
    assert shown[official.controller]["registered"] is False
    assert shown[official.controller]["name"].endswith("(self-declared, not verified; NOT the ministry or a body "
                                                       "acting for it)")
    assert shown[university.did] == {"id": university.did, "name": "Sample University", "registered": True}
    assert shown[guild.controller] == {"id": guild.controller, "registered": False,
                                       "name": '"Ontario Welders Guild" (self-declared, not verified)'}
    # no self-declared name is ever shown bare, in the facts or in the check's words
    for entry in shown.values():
        assert entry["registered"] or "(self-declared, not verified" in entry["name"]
    detail = result.check("omc-endorsements").detail  # type: ignore[union-attr]
    assert "The Best University" not in detail and "Sample University, " in detail
    assert [w_["code"] for w_ in result.warnings].count("ENDORSER_NAME_SELF_DECLARED") == 2


def test_endorsement_from_a_non_partner_does_not_count(w: World, registry_url: str, tmp_path: Path) -> None:
    credential = _endorsed_pcc_credential(w, "Sample University")
    verdict = verdict_of(_verify(w, credential, _client(w, registry_url, tmp_path)))
    assert verdict.status == "valid-not-omc"
    assert verdict.code == "PARTNERSHIP_MISSING"


def test_revoked_credential_is_invalid(w: World, registry_url: str, tmp_path: Path) -> None:
    credential = w.credential("Example College")
    index = int(credential["credentialStatus"]["statusListIndex"])
    w.revoke("Example College", index)
    verdict = verdict_of(_verify(w, credential, _client(w, registry_url, tmp_path)))
    assert verdict.status == "invalid"
    assert verdict.code == "CREDENTIAL_REVOKED"
    assert "revoked" in verdict.reason


def test_tampered_credential_is_invalid(w: World, creds: dict, registry_url: str, tmp_path: Path) -> None:
    forged = copy.deepcopy(creds["college"])
    forged["credentialSubject"]["achievement"]["instructionalHours"] = 300
    verdict = verdict_of(_verify(w, forged, _client(w, registry_url, tmp_path)))
    assert verdict.status == "invalid"
    assert verdict.code == "CRYPTOGRAPHIC_SECURITY_ERROR"
    assert "changed after it was signed" in verdict.reason


def test_unlisted_issuer_claiming_a_listed_issuer_name_is_not_an_omc(w: World, registry_url: str,
                                                                     tmp_path: Path) -> None:
    # impersonation: the name says "Example College", the signing DID is not the college's
    impostor = copy.deepcopy(w.credential("Nowhere Institute"))
    impostor.pop("proof")
    impostor["issuer"]["name"] = "Example College"
    from omc_vc.omc.builder import sign_omc

    signed = sign_omc(impostor, w.institutions["Nowhere Institute"].key)
    verdict = verdict_of(_verify(w, signed, _client(w, registry_url, tmp_path)))
    assert verdict.status == "valid-not-omc"
    assert verdict.institution is None


# --- suspended and revoked issuers ---------------------------------------------------------------------

def _registry_with_consent(w: World, status: str, *, days_ago: int, version: int) -> str:
    assert w.draft is not None
    draft = copy.deepcopy(w.draft)
    draft.set_consent(w.institutions["Example College"].did, status, at=w.now - timedelta(days=days_ago),  # type: ignore[arg-type]
                      reason="ministry review")
    from omc_vc.registry import sign_registry

    doc = sign_registry(draft, [w.ministry], now=w.now - timedelta(minutes=1), version=version)
    return w.publish_registry(doc, f"/{status}-{days_ago}/registry.json")


def test_issuer_suspended_after_issuing_follows_policy_and_warns(w: World, creds: dict, tmp_path: Path) -> None:
    from omc_vc.omc.policy import load_policy

    url = _registry_with_consent(w, "suspended", days_ago=2, version=1)  # the credential is 10 days old
    policy = load_policy()
    lenient = _verify(w, creds["college"], _client(w, url, tmp_path / "a"),
                      policy=type(policy)(**{**policy.__dict__, "suspended_issuer_past_credentials": "valid"}))
    strict = _verify(w, creds["college"], _client(w, url, tmp_path / "b"),
                     policy=type(policy)(**{**policy.__dict__, "suspended_issuer_past_credentials": "invalid"}))
    lenient_verdict, strict_verdict = verdict_of(lenient), verdict_of(strict)
    assert lenient_verdict.status == "valid-omc"
    assert strict_verdict.status == "invalid"
    assert strict_verdict.code == "ISSUER_SUSPENDED_SINCE_ISSUE"
    for verdict in (lenient_verdict, strict_verdict):
        assert any("suspended" in warning for warning in verdict.warnings)


def test_issuer_suspended_when_issuing_is_not_an_omc(w: World, creds: dict, tmp_path: Path) -> None:
    url = _registry_with_consent(w, "suspended", days_ago=20, version=1)  # suspended before the credential
    verdict = verdict_of(_verify(w, creds["college"], _client(w, url, tmp_path)))
    assert verdict.status == "valid-not-omc"
    assert verdict.code == "ISSUER_CONSENT_SUSPENDED"


def test_issuer_revoked_after_issuing_is_not_an_omc(w: World, creds: dict, tmp_path: Path) -> None:
    url = _registry_with_consent(w, "revoked", days_ago=2, version=1)
    verdict = verdict_of(_verify(w, creds["college"], _client(w, url, tmp_path)))
    assert verdict.status == "valid-not-omc"
    assert verdict.code == "ISSUER_CONSENT_REVOKED"


def test_backdated_credential_from_retired_key_attack(w: World, tmp_path: Path) -> None:
    # the college's DID was retired 5 days ago (e.g. key compromise); a credential signed with it
    # today but claiming validFrom 10 days ago must not pass: proof.created is checked too
    assert w.draft is not None
    draft = copy.deepcopy(w.draft)
    draft.retire_did(w.institutions["Example College"].did, at=w.now - timedelta(days=5))
    from omc_vc.omc.builder import sign_omc
    from omc_vc.registry import sign_registry

    url = w.publish_registry(sign_registry(draft, [w.ministry], now=w.now - timedelta(minutes=1), version=1),
                             "/retired/registry.json")
    unsigned = w.credential("Example College")
    unsigned.pop("proof")
    backdated = sign_omc(unsigned, w.institutions["Example College"].key, created=w.now - timedelta(hours=1))
    verdict = verdict_of(_verify(w, backdated, _client(w, url, tmp_path)))
    assert verdict.status == "valid-not-omc"
    assert verdict.code == "ISSUER_DID_NOT_VALID"


# --- attacks on the registry ---------------------------------------------------------------------------

def _registry_failure(w: World, credential: dict, client: RegistryClient) -> tuple[str, str]:
    result = _verify(w, credential, client)
    verdict = verdict_of(result)
    assert verdict.status == "invalid", verdict
    assert result.check("issuer-authorized").code == verdict.code  # type: ignore[union-attr]
    assert result.check("partnership").status == "failed"  # type: ignore[union-attr]
    return str(verdict.code), verdict.reason


def test_rollback_attack(w: World, creds: dict, tmp_path: Path) -> None:
    url = w.publish_registry(w.signed_registry(version=5), "/rollback/registry.json")
    client = _client(w, url, tmp_path)
    assert verdict_of(_verify(w, creds["college"], client)).status == "valid-omc"
    # an attacker replays an older, validly signed version
    w.publish_registry(w.signed_registry(version=4), "/rollback/registry.json")
    fresh = _client(w, url, tmp_path)  # same state file: the client remembers version 5
    code, reason = _registry_failure(w, creds["college"], fresh)
    assert code == "REGISTRY_ROLLBACK"
    assert "older than version 5" in reason


def test_same_version_different_content_attack(w: World, creds: dict, tmp_path: Path) -> None:
    url = w.publish_registry(w.signed_registry(version=3), "/fork/registry.json")
    assert verdict_of(_verify(w, creds["college"], _client(w, url, tmp_path))).status == "valid-omc"
    w.publish_registry(w.signed_registry(version=3, signed_at=w.now - timedelta(minutes=2)), "/fork/registry.json")
    assert _registry_failure(w, creds["college"], _client(w, url, tmp_path))[0] == "REGISTRY_ROLLBACK"


def test_freeze_attack(w: World, creds: dict, tmp_path: Path) -> None:
    expired = w.signed_registry(version=1, signed_at=w.now - timedelta(days=40), valid_for=timedelta(days=30))
    url = w.publish_registry(expired, "/frozen/registry.json")
    code, reason = _registry_failure(w, creds["college"], _client(w, url, tmp_path))
    assert code == "REGISTRY_EXPIRED"
    assert "expired" in reason


def test_registry_signed_by_another_key_attack(w: World, creds: dict, tmp_path: Path) -> None:
    from omc_vc.registry import RegistryDraft, sign_registry

    assert w.draft is not None
    intruder = KeyPair.generate()
    forged = RegistryDraft(w.draft.data, type(w.draft.anchors)((intruder.public_key,), 1), w.draft.issuer)
    url = w.publish_registry(sign_registry(forged, [intruder], version=9), "/other-key/registry.json")
    assert _registry_failure(w, creds["unlisted"], _client(w, url, tmp_path))[0] == "REGISTRY_UNTRUSTED_SIGNER"


def test_tampered_registry_attack(w: World, creds: dict, tmp_path: Path) -> None:
    doc = w.signed_registry(version=1)
    # slip the unlisted institute's DID into the college's entry after the ministry signed
    entry = doc["credentialSubject"]["registry"]["institutions"][0]
    entry["dids"].append({"id": w.institutions["Nowhere Institute"].did, "validFrom": entry["dids"][0]["validFrom"]})
    url = w.publish_registry(doc, "/tampered/registry.json")
    assert _registry_failure(w, creds["unlisted"], _client(w, url, tmp_path))[0] == "REGISTRY_TAMPERED"


def test_unsigned_registry_attack(w: World, creds: dict, tmp_path: Path) -> None:
    doc = w.signed_registry(version=1)
    doc.pop("proof")
    url = w.publish_registry(doc, "/unsigned/registry.json")
    assert _registry_failure(w, creds["college"], _client(w, url, tmp_path))[0] == "REGISTRY_UNSIGNED"


def test_oversized_registry_attack(w: World, creds: dict, tmp_path: Path) -> None:
    url = w.server.serve_bytes("/huge/registry.json", b"{" + b" " * 2_100_000 + b"}")
    assert _registry_failure(w, creds["college"], _client(w, url, tmp_path))[0] == "REGISTRY_TOO_LARGE"


# --- cache, offline, ETag ---------------------------------------------------------------------------

def test_etag_revalidation_uses_if_none_match(w: World, tmp_path: Path) -> None:
    url = w.publish_registry(w.signed_registry(version=1), "/etag/registry.json")
    _client(w, url, tmp_path).load()
    before = len(w.server.requests)
    second = _client(w, url, tmp_path).load()
    sent = [headers for path, headers in w.server.requests[before:] if path == "/etag/registry.json"]
    assert sent and sent[-1].get("If-None-Match") == w.server.routes["/etag/registry.json"].headers["ETag"]
    assert second.data.version == 1 and not second.from_cache


def test_offline_verify_with_fresh_cache_works_with_age_warning(w: World, creds: dict, tmp_path: Path) -> None:
    url = w.publish_registry(w.signed_registry(version=1), "/offline/registry.json")
    _client(w, url, tmp_path).load()  # online once: fills the cache
    clock = lambda: w.now + timedelta(hours=3)  # noqa: E731
    offline = RegistryClient(url, w.anchors, fetcher=None, offline=True, cache_dir=tmp_path / "cache", clock=clock)
    result = _verify(w, creds["college"], offline)
    verdict = verdict_of(result)
    assert verdict.status == "valid-omc"
    assert any("cached registry" in warning and "hours ago" in warning for warning in verdict.warnings)


def test_offline_verify_with_stale_cache_fails_closed(w: World, creds: dict, tmp_path: Path) -> None:
    url = w.publish_registry(w.signed_registry(version=1), "/stale/registry.json")
    _client(w, url, tmp_path).load()
    clock = lambda: w.now + timedelta(days=3)  # noqa: E731
    offline = RegistryClient(url, w.anchors, offline=True, cache_dir=tmp_path / "cache", clock=clock)
    code, _ = _registry_failure(w, creds["college"], offline)
    assert code == "REGISTRY_STALE"


def test_offline_without_cache_fails_closed(w: World, creds: dict, tmp_path: Path) -> None:
    offline = RegistryClient(w.server.base + "/never/registry.json", w.anchors, offline=True,
                             cache_dir=tmp_path / "cache")
    assert _registry_failure(w, creds["college"], offline)[0] == "REGISTRY_UNAVAILABLE"


def test_server_down_falls_back_to_fresh_cache_only(w: World, tmp_path: Path) -> None:
    url = w.publish_registry(w.signed_registry(version=1), "/flaky/registry.json")
    _client(w, url, tmp_path).load()
    del w.server.routes["/flaky/registry.json"]  # now answers 404
    loaded = _client(w, url, tmp_path).load()
    assert loaded.from_cache and "HTTP 404" in loaded.warnings[0]
    late = _client(w, url, tmp_path, clock=lambda: w.now + timedelta(days=2))
    with pytest.raises(RegistryError) as caught:
        late.load()
    assert caught.value.code == "REGISTRY_STALE"


def test_library_api_make_verifier_from_url_and_anchors_file(w: World, creds: dict, tmp_path: Path) -> None:
    from omc_vc._internal import atomic

    anchors = tmp_path / "anchors.json"
    atomic.write_json(anchors, w.anchors.to_json())
    url = w.publish_registry(w.signed_registry(version=1), "/api/registry.json")
    verifier = make_verifier(registry=url, anchors=anchors, fetcher=w.fetcher(), cache_dir=tmp_path / "c")
    result = verifier.verify(creds["college_plus"])
    assert result.details["verdict"]["status"] == "valid-omc-plus"
    assert result.details["verdict"]["institution"] == "Example College"


def test_jsonld_context_for_registry_is_bundled() -> None:
    assert "https://omc-vc.ca/contexts/registry/v1" in jsonld.default_loader()


def test_forged_partner_endorsement_attack(w: World, registry_url: str, tmp_path: Path) -> None:
    # the private career college writes its own "endorsement" in the partner's name: the endorsement's
    # signature no longer matches, so it does not count as the partner's
    forged = w.endorsement("Example College", "Tradeskill Career College")
    forged["credentialSubject"]["endorsementComment"] = "We vouch for anything Tradeskill issues."
    credential = w.credential("Tradeskill Career College", endorsement=forged)
    result = _verify(w, credential, _client(w, registry_url, tmp_path))
    verdict = verdict_of(result)
    assert verdict.status == "valid-not-omc"
    assert result.check("partnership").code == "PARTNERSHIP_INVALID"  # type: ignore[union-attr]


def test_long_lived_client_revalidates_after_its_reuse_window(w: World, tmp_path: Path) -> None:
    url = w.publish_registry(w.signed_registry(version=1), "/live/registry.json")
    moment = [w.now]
    client = _client(w, url, tmp_path, clock=lambda: moment[0])
    assert client.load().data.version == 1
    w.publish_registry(w.signed_registry(version=2), "/live/registry.json")
    moment[0] = w.now + timedelta(minutes=1)
    assert client.load().data.version == 1  # reused within the window
    moment[0] = w.now + timedelta(minutes=6)
    assert client.load().data.version == 2  # fetched again afterwards


def test_vc_jwt_omc_gets_the_same_verdict(w: World, registry_url: str, tmp_path: Path) -> None:
    from omc_vc.proofs.jose import sign_jwt

    unsigned = w.credential("Example College", plus=True)
    unsigned.pop("proof")
    token = sign_jwt(unsigned, w.institutions["Example College"].key)
    verifier = make_verifier(registry_client=_client(w, registry_url, tmp_path), fetcher=w.fetcher())
    result = verifier.verify(token)
    assert result.format == "jwt"
    assert result.details["verdict"]["status"] == "valid-omc-plus", result.to_json()


def test_endorsement_made_while_partner_was_suspended_does_not_count(w: World, tmp_path: Path) -> None:
    from omc_vc.registry import sign_registry

    assert w.draft is not None
    draft = copy.deepcopy(w.draft)
    college = w.institutions["Example College"].did
    draft.set_consent(college, "suspended", at=w.now - timedelta(days=25))
    draft.set_consent(college, "active", at=w.now - timedelta(days=15))
    url = w.publish_registry(sign_registry(draft, [w.ministry], now=w.now - timedelta(minutes=1), version=1),
                             "/partner-suspended/registry.json")
    credential = _endorsed_pcc_credential(w, "Example College")  # endorsed 20 days ago
    result = _verify(w, credential, _client(w, url, tmp_path))
    assert verdict_of(result).status == "valid-not-omc"
    check = result.check("partnership")
    assert check is not None and check.code == "PARTNERSHIP_INVALID" and "when it endorsed" in check.detail


def test_partner_whose_consent_is_now_revoked_no_longer_vouches(w: World, tmp_path: Path) -> None:
    from omc_vc.registry import sign_registry

    assert w.draft is not None
    draft = copy.deepcopy(w.draft)
    draft.set_consent(w.institutions["Example College"].did, "revoked", at=w.now - timedelta(days=1))
    url = w.publish_registry(sign_registry(draft, [w.ministry], now=w.now - timedelta(minutes=1), version=1),
                             "/partner-revoked/registry.json")
    result = _verify(w, _endorsed_pcc_credential(w, "Example College"), _client(w, url, tmp_path))
    assert verdict_of(result).status == "valid-not-omc"
    assert "now revoked" in result.check("partnership").detail  # type: ignore[union-attr]


def test_mix_and_match_attack_other_registry_at_same_source(w: World, creds: dict, tmp_path: Path) -> None:
    # a second registry signed by the same ministry keys (e.g. a staging list) replayed at the source
    from omc_vc.registry import RegistryDraft, sign_registry

    assert w.draft is not None
    url = w.publish_registry(w.signed_registry(version=1), "/mix/registry.json")
    assert verdict_of(_verify(w, creds["college"], _client(w, url, tmp_path))).status == "valid-omc"
    staging = RegistryDraft.new("https://mcu.example.gov.on.ca/omc/staging", anchors=w.anchors)
    staging.data = type(w.draft.data)(staging.data.id, 0, w.draft.data.institutions, w.draft.data.partnerships)
    w.publish_registry(sign_registry(staging, [w.ministry], version=50), "/mix/registry.json")
    assert _registry_failure(w, creds["college"], _client(w, url, tmp_path))[0] == "REGISTRY_WRONG_ID"


def test_a_cached_copy_held_by_a_long_lived_client_goes_stale_on_time(w: World, tmp_path: Path) -> None:
    """A service holds the registry it loaded for a few minutes; a copy read from the cache because the
    fetch failed is never held past max_cache_age (the stale rule fails closed on time, not minutes late)."""
    url = w.publish_registry(w.signed_registry(version=1), "/held/registry.json")
    _client(w, url, tmp_path).load()  # fills the cache at w.now
    del w.server.routes["/held/registry.json"]
    moment = [w.now + timedelta(minutes=59)]
    held = _client(w, url, tmp_path, max_cache_age=timedelta(hours=1), reuse_for=timedelta(minutes=5),
                   clock=lambda: moment[0])
    assert held.load().from_cache  # 59 minutes old: still usable
    moment[0] = w.now + timedelta(minutes=61)  # within reuse_for of that load, past max_cache_age
    with pytest.raises(RegistryError) as caught:
        held.load()
    assert caught.value.code == "REGISTRY_STALE"
