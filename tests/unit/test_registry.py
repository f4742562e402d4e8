"""The registry model, signing and verification (no network): k-of-n, anchors, rotation, state."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from omc_vc._internal import atomic
from omc_vc._internal.resources import keys_dir
from omc_vc.errors import RegistryError
from omc_vc.keys import KeyPair, load_key
from omc_vc.proofs import data_integrity
from omc_vc.registry import (
    Anchors,
    RegistryClient,
    RegistryData,
    RegistryDraft,
    RegistryState,
    default_anchors_path,
    demo_anchors_path,
    load_anchors,
    make_rotation,
    sign_registry,
    verify_registry,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
COLLEGE = "did:web:college.example.ca"
PCC = "did:web:tradeskill.example.ca"


@pytest.fixture(scope="module")
def keys() -> list[KeyPair]:
    return [KeyPair.generate("ed25519"), KeyPair.generate("p256"), KeyPair.generate("ed25519")]


def _draft(anchor_keys: list[KeyPair], threshold: int = 1) -> RegistryDraft:
    draft = RegistryDraft.new("https://mcu.example.gov.on.ca/omc/registry",
                              anchors=Anchors(tuple(k.public_key for k in anchor_keys), threshold))
    draft.add_institution(legal_name="Example College", kind="college", dids=[COLLEGE], consent_reference="MCU-1",
                          scope=("OMC", "OMC+"), granted=NOW - timedelta(days=300))
    draft.add_institution(legal_name="Tradeskill Career College", kind="private-career-college", dids=[PCC],
                          consent_reference="MCU-2", granted=NOW - timedelta(days=200))
    draft.add_partnership(PCC, COLLEGE, since=NOW - timedelta(days=100))
    return draft


def _code(excinfo: pytest.ExceptionInfo[RegistryError]) -> str:
    return excinfo.value.code


# --- k-of-n -----------------------------------------------------------------------------------------

def test_two_of_three_signatures_verify(keys: list[KeyPair]) -> None:
    draft = _draft(keys, threshold=2)
    signed = sign_registry(draft, keys[:2], now=NOW)
    verified = verify_registry(signed, draft.anchors, now=NOW + timedelta(hours=1))
    assert len(verified.signers) == 2
    assert {p["cryptosuite"] for p in signed["proof"]} == {"eddsa-rdfc-2022", "ecdsa-rdfc-2019"}


def test_threshold_not_met_attack(keys: list[KeyPair]) -> None:
    draft = _draft(keys, threshold=2)
    one = sign_registry(_draft(keys, threshold=1), keys[:1], now=NOW)  # a valid anchor, but only one
    with pytest.raises(RegistryError) as caught:
        verify_registry(one, draft.anchors, now=NOW)
    assert _code(caught) == "REGISTRY_THRESHOLD_NOT_MET"


def test_same_key_signing_twice_counts_once_attack(keys: list[KeyPair]) -> None:
    draft = _draft(keys, threshold=2)
    once = sign_registry(_draft(keys, threshold=1), keys[:1], now=NOW)
    # a second proof by the same anchor key (different created time) must not count as a second signer
    did = keys[0].public_key.did_key
    same_key = keys[0].with_id(f"{did}#{keys[0].public_key.multibase}", did)
    twice = data_integrity.add_proof(once, same_key, created=NOW + timedelta(seconds=1))
    assert len(twice["proof"]) == 2
    with pytest.raises(RegistryError) as caught:
        verify_registry(twice, draft.anchors, now=NOW)
    assert _code(caught) == "REGISTRY_THRESHOLD_NOT_MET"


def test_signing_refuses_non_anchor_keys_and_too_few(keys: list[KeyPair]) -> None:
    draft = _draft(keys[:2], threshold=2)
    with pytest.raises(RegistryError) as caught:
        sign_registry(draft, [keys[0], keys[2]], now=NOW)
    assert _code(caught) == "REGISTRY_SIGNING_ERROR"
    with pytest.raises(RegistryError) as caught:
        sign_registry(draft, [keys[0]], now=NOW)
    assert _code(caught) == "REGISTRY_THRESHOLD_NOT_MET"


# --- shape and data loss ------------------------------------------------------------------------------

def test_unsigned_property_added_to_registry_is_tampering(keys: list[KeyPair]) -> None:
    draft = _draft(keys[:1])
    signed = sign_registry(draft, keys[:1], now=NOW)
    signed["credentialSubject"]["extraInstitution"] = COLLEGE  # no context defines it: unsigned claim
    with pytest.raises(RegistryError) as caught:
        verify_registry(signed, draft.anchors, now=NOW)
    assert _code(caught) == "REGISTRY_TAMPERED"


def test_changed_consent_status_is_tampering(keys: list[KeyPair]) -> None:
    draft = _draft(keys[:1])
    draft.set_consent(COLLEGE, "revoked", at=NOW - timedelta(days=1))
    signed = sign_registry(draft, keys[:1], now=NOW)
    entry = signed["credentialSubject"]["registry"]["institutions"][0]["consent"]
    entry["history"].pop()
    entry["status"] = "active"
    with pytest.raises(RegistryError) as caught:
        verify_registry(signed, draft.anchors, now=NOW)
    assert _code(caught) == "REGISTRY_TAMPERED"


def test_empty_anchor_set_fails_closed(keys: list[KeyPair]) -> None:
    signed = sign_registry(_draft(keys[:1]), keys[:1], now=NOW)
    with pytest.raises(RegistryError) as caught:
        verify_registry(signed, Anchors(()), now=NOW)
    assert _code(caught) == "REGISTRY_NO_ANCHORS"


def test_shipped_production_anchors_are_empty_and_fail_closed(keys: list[KeyPair]) -> None:
    anchors = load_anchors()
    assert default_anchors_path().name == "ministry-anchors.json"
    assert anchors.keys == ()
    with pytest.raises(RegistryError) as caught:
        verify_registry(sign_registry(_draft(keys[:1]), keys[:1], now=NOW), anchors, now=NOW)
    assert _code(caught) == "REGISTRY_NO_ANCHORS"


def test_demo_anchor_refused_outside_demo_mode(tmp_path: Path) -> None:
    with pytest.raises(RegistryError) as caught:
        load_anchors(demo_anchors_path())
    assert _code(caught) == "REGISTRY_DEMO_ANCHOR_REFUSED"
    # a demo anchor copied under another name is still refused: it says "demo": true inside
    copied = tmp_path / "anchors.json"
    copied.write_text(demo_anchors_path().read_text())
    with pytest.raises(RegistryError):
        load_anchors(copied)
    assert load_anchors(demo_anchors_path(), demo=True).demo


def test_demo_key_and_demo_anchor_belong_together() -> None:
    key = load_key(keys_dir() / "demo-ministry.key")
    anchors = load_anchors(demo_anchors_path(), demo=True)
    draft = RegistryDraft.new("urn:uuid:3c2f8a2e-5d1b-4f7e-9a57-0e4e5b8d1c01", anchors=anchors)
    verified = verify_registry(sign_registry(draft, [key], now=NOW), anchors, now=NOW)
    assert verified.anchors.demo


def test_pinned_registry_id_mismatch_is_refused(keys: list[KeyPair]) -> None:
    draft = _draft(keys[:1])
    signed = sign_registry(draft, keys[:1], now=NOW)
    other = Anchors(draft.anchors.keys, 1, registry_id="https://another.example/registry")
    with pytest.raises(RegistryError) as caught:
        verify_registry(signed, other, now=NOW)
    assert _code(caught) == "REGISTRY_WRONG_ID"


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r.update(version="7"), "version"),
    (lambda r: r["institutions"][0].update(type="academy"), "type"),
    (lambda r: r["institutions"][0]["consent"].update(scope=["OMC+"]), "OMC+"),
    (lambda r: r["institutions"][0]["dids"].append(dict(r["institutions"][1]["dids"][0])), "two institutions"),
    (lambda r: r["partnerships"][0].update(partner=r["partnerships"][0]["privateCareerCollege"]), "itself"),
])
def test_malformed_registry_content_is_refused(keys: list[KeyPair], mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    payload = _draft(keys[:1]).data.to_json()
    payload["version"] = 1
    mutate(payload)
    with pytest.raises(RegistryError) as caught:
        RegistryData.from_json(payload)
    assert _code(caught) == "REGISTRY_MALFORMED"
    assert message in caught.value.detail


# --- the ministry's edits -------------------------------------------------------------------------

def test_consent_history_answers_status_on_a_date(keys: list[KeyPair]) -> None:
    draft = _draft(keys[:1])
    draft.set_consent(COLLEGE, "suspended", at=NOW - timedelta(days=30))
    draft.set_consent(COLLEGE, "active", at=NOW - timedelta(days=10))
    college = draft.data.institution_for_did(COLLEGE)
    assert college is not None
    consent = college.consent
    assert consent.status_at(NOW - timedelta(days=400)) == "not-granted"
    assert consent.status_at(NOW - timedelta(days=100)) == "active"
    assert consent.status_at(NOW - timedelta(days=20)) == "suspended"
    assert consent.status_at(NOW) == "active"


def test_revocation_is_final(keys: list[KeyPair]) -> None:
    draft = _draft(keys[:1])
    draft.set_consent(COLLEGE, "revoked", at=NOW)
    with pytest.raises(RegistryError) as caught:
        draft.set_consent(COLLEGE, "active", at=NOW + timedelta(days=1))
    assert _code(caught) == "REGISTRY_EDIT_REFUSED"


def test_partnership_needs_a_private_career_college(keys: list[KeyPair]) -> None:
    draft = _draft(keys[:1])
    with pytest.raises(RegistryError):
        draft.add_partnership(COLLEGE, PCC)


def test_draft_roundtrip_and_version_bump(keys: list[KeyPair], tmp_path: Path) -> None:
    draft = _draft(keys[:1])
    path = tmp_path / "draft.json"
    draft.save(path)
    again = RegistryDraft.load(path)
    assert again.data == draft.data and again.anchors.same_as(draft.anchors)
    signed = sign_registry(again, keys[:1], now=NOW)
    again.mark_published(signed)
    assert again.data.version == 1
    assert sign_registry(again, keys[:1], now=NOW)["credentialSubject"]["registry"]["version"] == 2


# --- state: rollback protection ------------------------------------------------------------------------

def test_rollback_attack_on_state(keys: list[KeyPair], tmp_path: Path) -> None:
    draft = _draft(keys[:1])
    state = RegistryState(tmp_path / "state.json")
    newer = verify_registry(sign_registry(draft, keys[:1], now=NOW, version=8), draft.anchors, now=NOW)
    older = verify_registry(sign_registry(draft, keys[:1], now=NOW, version=7), draft.anchors, now=NOW)
    state.record(newer, NOW)
    with pytest.raises(RegistryError) as caught:
        state.record(older, NOW)
    assert _code(caught) == "REGISTRY_ROLLBACK"
    assert json.loads((tmp_path / "state.json").read_text())["registries"][draft.data.id]["version"] == 8


def test_corrupt_state_file_does_not_reset_rollback_protection(keys: list[KeyPair], tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    draft = _draft(keys[:1])
    verified = verify_registry(sign_registry(draft, keys[:1], now=NOW), draft.anchors, now=NOW)
    with pytest.raises(RegistryError) as caught:
        RegistryState(tmp_path / "state.json").record(verified, NOW)
    assert _code(caught) == "REGISTRY_STATE_CORRUPT"


def test_registry_file_source_with_size_cap(keys: list[KeyPair], tmp_path: Path) -> None:
    draft = _draft(keys[:1])
    path = tmp_path / "registry.json"
    atomic.write_json(path, sign_registry(draft, keys[:1], now=NOW))
    client = RegistryClient(path, draft.anchors, cache_dir=tmp_path / "c", clock=lambda: NOW)
    assert client.load().data.version == 1
    path.write_bytes(b" " * 2_000_001)
    with pytest.raises(RegistryError) as caught:
        RegistryClient(path, draft.anchors, cache_dir=tmp_path / "c", clock=lambda: NOW).load()
    assert _code(caught) == "REGISTRY_TOO_LARGE"


# --- anchor rotation -----------------------------------------------------------------------------------

def test_anchor_rotation_signed_by_old_and_new_is_followed(keys: list[KeyPair], tmp_path: Path) -> None:
    old, new = keys[0], keys[2]
    draft = _draft([old])
    rotation, successor = make_rotation(draft.anchors, [new.public_key], 1, [old, new], now=NOW)
    draft.add_rotation(rotation, successor)
    folder = tmp_path / "public"
    atomic.write_json(folder / "registry.json", sign_registry(draft, [new], now=NOW))
    atomic.write_json(folder / "anchor-rotations.json", draft.rotations)
    pinned = Anchors((old.public_key,), 1)  # the verifier still pins the old key
    client = RegistryClient(folder / "registry.json", pinned, cache_dir=tmp_path / "c", clock=lambda: NOW)
    loaded = client.load()
    assert loaded.verified.anchors.sequence == 1
    assert loaded.verified.signers == (new.public_key.multibase,)
    # the state remembers the rotated anchors even if the chain file disappears
    (folder / "anchor-rotations.json").unlink()
    again = RegistryClient(folder / "registry.json", pinned, cache_dir=tmp_path / "c", clock=lambda: NOW)
    assert again.load().verified.anchors.sequence == 1


def test_rotation_signed_only_by_new_keys_attack(keys: list[KeyPair]) -> None:
    old, new, intruder = keys[0], keys[2], KeyPair.generate()
    current = Anchors((old.public_key,), 1)
    forged, _ = make_rotation(Anchors((intruder.public_key,), 1), [new.public_key], 1, [intruder, new], now=NOW)
    with pytest.raises(RegistryError) as caught:
        current.rotate(forged, now=NOW)
    assert _code(caught) == "REGISTRY_ROTATION_INVALID"  # it does not start from the pinned anchors
    # same body, but the old anchor's proof replaced by the intruder's: threshold of old keys not met
    genuine, _ = make_rotation(current, [new.public_key], 1, [old, new], now=NOW)
    stripped = copy.deepcopy(genuine)
    stripped["proof"] = [p for p in genuine["proof"] if new.public_key.multibase in p["verificationMethod"]]
    with pytest.raises(RegistryError) as caught:
        current.rotate(stripped, now=NOW)
    assert _code(caught) == "REGISTRY_THRESHOLD_NOT_MET"


def test_rotation_must_be_signed_by_the_new_keys_too(keys: list[KeyPair]) -> None:
    old, new = keys[0], keys[2]
    current = Anchors((old.public_key,), 1)
    with pytest.raises(RegistryError) as caught:
        make_rotation(current, [new.public_key], 1, [old], now=NOW)
    assert _code(caught) == "REGISTRY_THRESHOLD_NOT_MET"


def test_registry_signed_by_rotated_key_without_chain_is_untrusted(keys: list[KeyPair]) -> None:
    old, new = keys[0], keys[2]
    draft = _draft([new])
    with pytest.raises(RegistryError) as caught:
        verify_registry(sign_registry(draft, [new], now=NOW), Anchors((old.public_key,), 1), now=NOW)
    assert _code(caught) == "REGISTRY_UNTRUSTED_SIGNER"


# --- the caller's accepted cryptosuites bound the registry too (DESIGN decision 13) ---------------------

def test_registry_signed_only_in_a_refused_suite_is_refused(keys: list[KeyPair], tmp_path: Path) -> None:
    from omc_vc.did import DidResolver
    from omc_vc.model import VerificationResult
    from omc_vc.verdict import RegistryCheck
    from omc_vc.verify import CheckContext

    # one P-256 anchor (ecdsa-rdfc-2019); the caller accepts eddsa-rdfc-2022 only
    p256 = keys[1]
    draft = _draft([p256])
    path = tmp_path / "registry.json"
    atomic.write_json(path, sign_registry(draft, [p256], now=NOW))
    client = RegistryClient(path, draft.anchors, cache_dir=tmp_path / "c", state_file=tmp_path / "state.json",
                            clock=lambda: NOW)
    verified = client.load().verified
    assert verified.signer_suites == ((p256.public_key.multibase, "ecdsa-rdfc-2019"),)
    verified.require_suites(("eddsa-rdfc-2022", "ecdsa-rdfc-2019"))
    with pytest.raises(RegistryError) as caught:
        verified.require_suites(("eddsa-rdfc-2022",))
    assert _code(caught) == "REGISTRY_UNTRUSTED_SIGNER" and "ecdsa-rdfc-2019" in caught.value.detail
    # through the verdict's issuer-authorized check, with the policy of the verification running it
    # (a credential that claims to be an OMC: the registry is asked only about those, docs/vocabulary.md)
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2",
                               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                               "https://omc-vc.ca/contexts/omc/v1"],
                  "type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": COLLEGE,
                  "validFrom": "2026-02-01T00:00:00Z"}

    held = RegistryCheck(client)  # one check object, as a service holds it: its memo must not carry over

    def run(suites: tuple[str, ...]) -> str | None:
        ctx = CheckContext(now=NOW, resolver=DidResolver(), fetcher=None, loader=None,
                           result=VerificationResult(issuer=COLLEGE), accepted_suites=suites)
        [check] = held(credential, ctx)
        return check.code if check.failed else None

    assert run(("eddsa-rdfc-2022", "ecdsa-rdfc-2019")) is None
    assert run(("eddsa-rdfc-2022",)) == "REGISTRY_UNTRUSTED_SIGNER"
    assert run(("eddsa-rdfc-2022", "ecdsa-rdfc-2019")) is None


def test_registry_threshold_counts_only_anchors_in_accepted_suites(keys: list[KeyPair]) -> None:
    # two of three anchors, one Ed25519 and one P-256: a caller refusing ecdsa-rdfc-2019 sees one signature
    draft = _draft(keys, threshold=2)
    verified = verify_registry(sign_registry(draft, keys[:2], now=NOW), draft.anchors, now=NOW + timedelta(hours=1))
    verified.require_suites(("eddsa-rdfc-2022", "ecdsa-rdfc-2019"))
    with pytest.raises(RegistryError) as caught:
        verified.require_suites(("eddsa-rdfc-2022",))
    assert _code(caught) == "REGISTRY_THRESHOLD_NOT_MET"
