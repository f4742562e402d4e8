"""Presentations from the wallet: signed by the holder key, bound to challenge and domain, subject = holder."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from omc_vc.errors import WalletError
from omc_vc.proofs import jose
from omc_vc.wallet import Wallet
from tests.unit.test_wallet_support import NOW, STATUS_INDEX, Institution

PASS = "a long wallet passphrase"
DOMAIN = "hr.employer.example.ca"


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[Wallet, Institution, list[str]]:
    wallet = Wallet.create(tmp_path / "w", PASS)
    college = Institution()
    ids = [wallet.add(college.issue(wallet.holder_did, index=STATUS_INDEX + i), verifier=college.verifier(),
                      now=NOW)[0].id for i in range(2)]
    return wallet, college, ids


def test_di_presentation_verifies_with_its_challenge_and_domain(setup: tuple[Wallet, Institution, list[str]]) -> None:
    wallet, college, ids = setup
    vp = wallet.present(ids, challenge="nonce-123", domain=DOMAIN, now=NOW)
    assert isinstance(vp, dict)
    assert vp["holder"] == wallet.holder_did
    assert vp["proof"]["proofPurpose"] == "authentication"
    assert vp["proof"]["challenge"] == "nonce-123" and vp["proof"]["domain"] == DOMAIN
    result = college.verifier().verify(vp, challenge="nonce-123", domain=DOMAIN, now=NOW + timedelta(minutes=1))
    assert result.verified, result.errors
    assert len(result.credentials) == 2 and all(c.verified for c in result.credentials)
    binding = result.check("holder-binding")
    assert binding is not None and binding.status == "passed"


def test_replayed_di_presentation_with_another_challenge_fails(
        setup: tuple[Wallet, Institution, list[str]]) -> None:
    wallet, college, ids = setup
    vp = wallet.present(ids[:1], challenge="nonce-123", domain=DOMAIN, now=NOW)
    result = college.verifier().verify(vp, challenge="nonce-456", domain=DOMAIN, now=NOW)
    assert not result.verified
    assert result.errors[0]["code"] == "INVALID_CHALLENGE_ERROR"


def test_di_presentation_for_another_domain_fails(setup: tuple[Wallet, Institution, list[str]]) -> None:
    wallet, college, ids = setup
    vp = wallet.present(ids[:1], challenge="nonce-123", domain=DOMAIN, now=NOW)
    result = college.verifier().verify(vp, challenge="nonce-123", domain="evil.example.com", now=NOW)
    assert not result.verified
    assert result.errors[0]["code"] == "INVALID_DOMAIN_ERROR"


def test_stale_presentation_is_refused_after_it_expires(setup: tuple[Wallet, Institution, list[str]]) -> None:
    wallet, college, ids = setup
    vp = wallet.present(ids[:1], challenge="c", domain=DOMAIN, now=NOW, valid_for=timedelta(minutes=5))
    assert not college.verifier().verify(vp, challenge="c", domain=DOMAIN, now=NOW + timedelta(hours=1)).verified


def test_credential_swapped_into_a_signed_presentation_is_detected(
        setup: tuple[Wallet, Institution, list[str]]) -> None:
    wallet, college, ids = setup
    vp = wallet.present(ids[:1], challenge="c", domain=DOMAIN, now=NOW)
    assert isinstance(vp, dict)
    vp["verifiableCredential"] = [wallet.get(ids[1]).credential]
    assert not college.verifier().verify(vp, challenge="c", domain=DOMAIN, now=NOW).verified


def test_jwt_presentation_verifies_and_binds_nonce_and_aud(setup: tuple[Wallet, Institution, list[str]]) -> None:
    wallet, college, ids = setup
    token = wallet.present(ids, challenge="nonce-123", domain=DOMAIN, fmt="jwt", now=NOW)
    assert isinstance(token, str) and jose.is_jwt(token)
    result = college.verifier().verify(token, challenge="nonce-123", domain=DOMAIN, now=NOW + timedelta(minutes=1))
    assert result.verified, result.errors
    assert result.kind == "presentation" and len(result.credentials) == 2


def test_replayed_jwt_presentation_with_another_challenge_fails(
        setup: tuple[Wallet, Institution, list[str]]) -> None:
    wallet, college, ids = setup
    token = wallet.present(ids[:1], challenge="nonce-123", domain=DOMAIN, fmt="jwt", now=NOW)
    result = college.verifier().verify(token, challenge="nonce-999", domain=DOMAIN, now=NOW)
    assert not result.verified
    assert any(e["code"] == "INVALID_CHALLENGE_ERROR" for e in result.errors)
    other_domain = college.verifier().verify(token, challenge="nonce-123", domain="evil.example.com", now=NOW)
    assert not other_domain.verified


def test_jwt_credentials_are_enveloped_in_presentations(tmp_path: Path) -> None:
    wallet = Wallet.create(tmp_path / "w", PASS)
    college = Institution()
    item, _ = wallet.add(college.issue_jwt(wallet.holder_did), verifier=college.core_verifier(), now=NOW)
    assert item.format == "jwt"
    vp = wallet.present([item.id], challenge="c", domain=DOMAIN, now=NOW)
    assert isinstance(vp, dict)
    assert vp["verifiableCredential"][0]["type"] == "EnvelopedVerifiableCredential"
    result = college.core_verifier().verify(vp, challenge="c", domain=DOMAIN, now=NOW)
    assert result.verified, result.errors


def test_someone_elses_credential_is_not_presented(tmp_path: Path) -> None:
    wallet = Wallet.create(tmp_path / "w", PASS)
    college = Institution()
    item, _ = wallet.add(college.issue("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
                         verifier=college.verifier(), now=NOW)
    with pytest.raises(WalletError) as info:
        wallet.present([item.id], challenge="c", domain=DOMAIN, now=NOW)
    assert info.value.code == "HOLDER_NOT_SUBJECT"
    # and if forced, the verifier refuses it: the holder must be the subject when the subject has an id
    vp = wallet.present([item.id], challenge="c", domain=DOMAIN, now=NOW, allow_other_subject=True)
    result = college.verifier().verify(vp, challenge="c", domain=DOMAIN, now=NOW)
    assert not result.verified
    assert any(e["code"] == "HOLDER_NOT_SUBJECT" for e in result.errors)


def test_presentation_needs_a_challenge(setup: tuple[Wallet, Institution, list[str]]) -> None:
    wallet, _, ids = setup
    with pytest.raises(WalletError) as info:
        wallet.present(ids, challenge="", now=NOW)
    assert info.value.code == "WALLET_NO_CHALLENGE"


def test_presentation_holds_the_credentials_unchanged(setup: tuple[Wallet, Institution, list[str]]) -> None:
    wallet, _, ids = setup
    vp = wallet.present(ids[:1], challenge="c", now=NOW)
    assert isinstance(vp, dict)
    assert json.dumps(vp["verifiableCredential"][0]) == json.dumps(wallet.get(ids[0]).credential)
