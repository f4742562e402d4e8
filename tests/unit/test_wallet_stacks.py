"""Stack progress from the credentials held, and the holder-signed ClrCredential-style bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from omc_vc.wallet import CLR_INLINE_CONTEXT, Wallet
from tests.unit.test_wallet_support import NOW, STATUS_INDEX, Institution

PASS = "stack passphrase"
TARGET = "https://www.lakeshore-college.example.ca/programs/data-analytics-certificate"


@pytest.fixture()
def wallet(tmp_path: Path) -> Wallet:
    wallet = Wallet.create(tmp_path / "w", PASS)
    college = Institution(revoked={STATUS_INDEX + 2})
    for i in range(3):
        credential = college.issue(wallet.holder_did, index=STATUS_INDEX + i,
                                   achievement_id=f"https://www.lakeshore-college.example.ca/omc/achievements/a-{i}")
        wallet.add(credential, verifier=college.verifier(), now=NOW)
    return wallet


def test_progress_counts_only_valid_credentials(wallet: Wallet) -> None:
    progress = wallet.stacks()
    assert [p.target_id for p in progress] == [TARGET]
    # three held, one revoked: 2 x 3 credits of the 12 required
    assert progress[0].credit_earned == 6
    assert progress[0].credit_required == 12
    assert len(progress[0].counted) == 2
    assert not progress[0].complete


def test_clr_bundle_is_signed_by_the_holder_and_verifies_offline(wallet: Wallet) -> None:
    college = Institution()
    bundle = wallet.bundle(fmt="clr", now=NOW)
    assert bundle["type"] == ["VerifiableCredential", "ClrCredential"]
    assert bundle["issuer"] == wallet.holder_did
    assert bundle["@context"][1] == CLR_INLINE_CONTEXT
    subject = bundle["credentialSubject"]
    assert subject["type"] == ["ClrSubject"] and len(subject["verifiableCredential"]) == 2
    assert {a["targetId"] for a in subject["association"]} == {TARGET}
    result = college.core_verifier().verify(bundle, now=NOW)
    assert result.verified, result.errors  # proof + data-loss check over every nested term
    for nested in subject["verifiableCredential"]:
        assert college.verifier().verify(nested, now=NOW).verified  # each keeps its own proof


def test_clr_bundle_with_a_credential_slipped_in_fails(wallet: Wallet) -> None:
    college = Institution()
    bundle = wallet.bundle(fmt="clr", now=NOW)
    bundle["credentialSubject"]["verifiableCredential"].append(
        college.issue("did:example:someone-else", index=STATUS_INDEX + 9))
    assert not college.core_verifier().verify(bundle, now=NOW).verified


def test_json_bundle_carries_progress_and_credentials(wallet: Wallet) -> None:
    bundle = wallet.bundle(fmt="json", now=NOW)
    assert bundle["holder"] == wallet.holder_did
    assert bundle["stacks"][0]["id"] == TARGET and bundle["stacks"][0]["creditEarned"] == 6
    assert len(bundle["credentials"]) == 2
    assert "proof" not in bundle
