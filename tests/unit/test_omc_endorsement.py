"""omc_vc.omc.endorsement: the achievement digest, the binding test, and how endorsers are named."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from omc_vc._internal.timeutil import utcnow
from omc_vc.errors import IssuanceError
from omc_vc.issue.status_lists import status_entry
from omc_vc.keys import KeyPair
from omc_vc.omc.builder import Learner, build_endorsement, build_omc, issuer_profile, prepare_achievement
from omc_vc.omc.endorsement import (
    DIGEST_FIELDS,
    achievement_digest,
    binding_problem,
    endorser_entry,
    impersonated_body,
)
from omc_vc.registry import Anchors, RegistryDraft
from tests.fixtures.omc.sample import catalogue_entry, endorsement_of

WELD = prepare_achievement(catalogue_entry("weld-101"))

# one change per defining field (every field of an OMC+ target included)
CHANGES: dict[str, Any] = {
    "id": "https://college.example.ca/achievements/weld-102",
    "name": "Structural Welding Fundamentals II",
    "instructionalHours": 84,
    "qualificationCategory": "Ontario College Certificate",
    "creditsAvailable": 6,
    "creditUnit": "hour",
}
TARGET_CHANGES: dict[str, Any] = {
    "id": "https://college.example.ca/programs/other", "name": "Another Certificate", "creditValue": 9,
    "creditUnit": "hour", "creditRequired": 3, "awardingInstitution": "Other College", "program": "Other",
    "creditDeterminedBy": "someone else", "awardedByIssuer": False,
}


def test_digest_is_sha256_hex_of_the_jcs_projection() -> None:
    import hashlib
    import json

    projection = {name: WELD[name] for name in DIGEST_FIELDS if name in WELD}
    assert set(projection) == set(DIGEST_FIELDS)  # the sample achievement has every defining field
    # RFC 8785 for this data: members sorted, no whitespace, integers as written
    text = json.dumps(projection, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert achievement_digest(WELD) == "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(("field", "value"), sorted(CHANGES.items()))
def test_digest_changes_with_each_defining_field(field: str, value: Any) -> None:
    changed = {**WELD, field: value}
    assert achievement_digest(changed) != achievement_digest(WELD)
    removed = {k: v for k, v in WELD.items() if k != field}
    assert achievement_digest(removed) != achievement_digest(WELD)


@pytest.mark.parametrize(("field", "value"), sorted(TARGET_CHANGES.items()))
def test_digest_changes_with_each_omc_plus_target_field(field: str, value: Any) -> None:
    changed = copy.deepcopy(WELD)
    changed["stacksInto"][0][field] = value
    assert achievement_digest(changed) != achievement_digest(WELD)


def test_digest_changes_when_an_omc_plus_target_is_added_or_removed() -> None:
    more = copy.deepcopy(WELD)
    more["stacksInto"].append({**more["stacksInto"][0], "id": "https://college.example.ca/programs/second"})
    none = {k: v for k, v in WELD.items() if k != "stacksInto"}
    assert len({achievement_digest(WELD), achievement_digest(more), achievement_digest(none)}) == 3


def test_digest_ignores_other_fields_and_member_order() -> None:
    other = {**WELD, "description": "Rewritten.", "criteria": {"narrative": "Other."}, "nocCodes": ["72106"]}
    other.pop("alignment")
    reordered = dict(reversed(list(WELD.items())))
    assert achievement_digest(other) == achievement_digest(reordered) == achievement_digest(WELD)


def test_digest_is_the_same_from_the_catalogue_and_from_the_credential(tmp_path) -> None:
    from tests.fixtures.omc.sample import make_institution, signed_omc

    config, key = make_institution(tmp_path)
    credential = signed_omc(config, key, "weld-101")
    assert achievement_digest(credential["credentialSubject"]["achievement"]) == achievement_digest(WELD)


def test_binding_names_what_is_wrong() -> None:
    college = KeyPair.generate().controller
    endorsement = endorsement_of(college)
    assert binding_problem(endorsement, issuer=college, achievement=WELD, subject_ids=[WELD["id"]]) is None
    other = KeyPair.generate().controller
    assert f"not of this credential's issuer {other}" in str(
        binding_problem(endorsement, issuer=other, achievement=WELD, subject_ids=[WELD["id"]]))
    assert "defining fields" in str(binding_problem(endorsement, issuer=college,
                                                    achievement={**WELD, "instructionalHours": 43},
                                                    subject_ids=[WELD["id"]]))
    assert "something other" in str(binding_problem(endorsement, issuer=college, achievement=WELD,
                                                    subject_ids=["https://college.example.ca/achievements/x"]))
    bare = copy.deepcopy(endorsement)
    del bare["credentialSubject"]["achievementDigest"]
    assert "no achievementDigest" in str(binding_problem(bare, issuer=college, achievement=WELD,
                                                         subject_ids=[WELD["id"]]))
    del bare["credentialSubject"]["endorsedIssuer"]
    assert "no endorsed institution" in str(binding_problem(bare, issuer=college, achievement=WELD,
                                                            subject_ids=[WELD["id"]]))


def test_build_endorsement_refuses_what_it_cannot_bind() -> None:
    employer = KeyPair.generate()
    profile = {"id": employer.controller, "name": "Ontario Welders Guild"}
    with pytest.raises(IssuanceError, match="not a DID"):
        build_endorsement(achievement=WELD, issuer="Example College", endorser=profile, comment="x", key=employer)
    with pytest.raises(IssuanceError, match="its own achievement"):
        build_endorsement(achievement=WELD, issuer=employer.controller, endorser=profile, comment="x", key=employer)
    with pytest.raises(IssuanceError, match="absolute URL id"):
        build_endorsement(achievement={k: v for k, v in WELD.items() if k != "id"}, issuer="did:web:college.example",
                          endorser=profile, comment="x", key=employer)


def _omc(issuer: KeyPair, endorsement: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return build_omc(issuer=issuer_profile(issuer.controller, {"name": "Example College", "url": "https://c.example",
                                                               "omcConsentReference": "MCU-OMC-1"}),
                     achievement={**catalogue_entry("weld-101"), **changes, "endorsement": [endorsement]},
                     learner=Learner(name="Ana Silva", email="ana@example.ca"),
                     status=[status_entry("https://c.example/status/revocation-1.json", 1, "revocation")])


def test_unbound_endorsement_is_refused_at_issue_time() -> None:
    college, other = KeyPair.generate(), KeyPair.generate()
    assert _omc(college, endorsement_of(college.controller))["credentialSubject"]["achievement"]["endorsement"]
    with pytest.raises(IssuanceError, match="not bound to this issuer and achievement: it endorses the courses of"):
        _omc(college, endorsement_of(other.controller))
    with pytest.raises(IssuanceError, match="defining fields"):
        _omc(college, endorsement_of(college.controller), instructionalHours=60)


# --- endorser names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "Lakeshore College", "lakeshore college", "LAKESHORE-COLLEGE", " Lakeshore\tCollege. ",
    "Ｌａｋｅｓｈｏｒｅ Ｃｏｌｌｅｇｅ",               # fullwidth (NFKC)
    "Lаkeshore Cоllege",                                # Cyrillic a and o
    "Lakeshore Colege",                                 # one letter short
    "Lakeshore College Continuing Education",           # contains the registered name
    "Lakeshore",                                        # contained in it
])
def test_names_like_a_registered_institution_are_caught(name: str) -> None:
    assert impersonated_body(name, ["Sample University", "Lakeshore College"]) == "Lakeshore College"


@pytest.mark.parametrize("name", [
    "Ministry of Colleges and Universities", "Ministère des Collèges et Universités", "Government of Ontario",
    "Ontario Micro-Credential Office", "ONTARIO MICRO CREDENTIALS", "MCU Approvals", "Colleges & Universities (ON)",
])
def test_names_like_the_ministry_are_caught(name: str) -> None:
    assert impersonated_body(name, ["Lakeshore College"]) == "the ministry"


@pytest.mark.parametrize("name", ["Ontario Welders Guild", "Acme Fabrication Ltd.", "Northern Steel", "Shore"])
def test_ordinary_employer_names_are_not_flagged(name: str) -> None:
    assert impersonated_body(name, ["Lakeshore College", "Sample University"]) is None


def _registry(did: str, *, valid_from_days_ago: int = 400) -> Any:
    draft = RegistryDraft.new("https://mcu.example.gov.on.ca/omc/registry",
                              anchors=Anchors((KeyPair.generate().public_key,), 1))
    now = utcnow()
    draft.add_institution(legal_name="Lakeshore College", kind="college", dids=[did], consent_reference="MCU-1",
                          granted=now - timedelta(days=500), did_valid_from=now - timedelta(days=valid_from_days_ago))
    return draft.data


def test_registered_endorser_is_named_by_the_registry() -> None:
    partner = KeyPair.generate()
    endorsement = endorsement_of(KeyPair.generate().controller, employer=partner, name="Anything It Likes")
    entry = endorser_entry(endorsement, _registry(partner.controller))
    assert entry == {"id": partner.controller, "name": "Lakeshore College", "registered": True}


def test_endorsement_made_before_the_did_was_registered_is_self_declared() -> None:
    partner = KeyPair.generate()
    endorsement = endorsement_of(KeyPair.generate().controller, employer=partner, name="Lakeshore College")
    entry = endorser_entry(endorsement, _registry(partner.controller, valid_from_days_ago=-1))
    assert entry["registered"] is False and entry["lookalike"] is True
    assert entry["name"] == '"Lakeshore College" (self-declared, not verified; NOT the registered institution ' \
                            'Lakeshore College)'


def test_self_declared_names_are_always_marked() -> None:
    employer = KeyPair.generate()
    plain = endorser_entry(endorsement_of(KeyPair.generate().controller, employer=employer), None)
    assert plain == {"id": employer.controller, "name": '"Ontario Welders Guild" (self-declared, not verified)',
                     "registered": False}
    ministry = endorser_entry(endorsement_of(KeyPair.generate().controller, name="Ministry of Colleges"), None)
    assert ministry["name"].endswith("; NOT the ministry or a body acting for it)")
    unnamed = endorsement_of(KeyPair.generate().controller, employer=employer)
    del unnamed["issuer"]["name"]
    assert endorser_entry(unnamed, None)["name"] == f"{employer.controller} (no name given, not verified)"


def test_self_declared_name_cannot_escape_its_marking() -> None:
    employer = KeyPair.generate()

    def shown(name: str) -> str:
        return str(endorser_entry(endorsement_of(KeyPair.generate().controller, employer=employer, name=name),
                                  None)["name"])

    # it cannot close its own quotes, reorder the marking with a bidirectional override, break the line,
    # or be so long that a display limit cuts the marking off
    assert shown('Acme" (registered') == '"Acme\' (registered" (self-declared, not verified)'
    assert shown("Acme\u202e\u2066 Ltd\nSecond line") == '"Acme Ltd Second line" (self-declared, not verified)'
    long = shown("Acme " * 100)
    assert len(long) < 160 and long.endswith("\u2026\" (self-declared, not verified)")
