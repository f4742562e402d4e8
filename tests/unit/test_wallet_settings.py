"""The wallet's settings (the verifier its codes open, the learner's name), where a code points, and the flag
on a credential issued to someone else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from omc_vc import qr
from omc_vc.errors import QrError, WalletError
from omc_vc.proofs import data_integrity
from omc_vc.wallet import HEADER_FILE, Wallet, WalletCorruptError, WalletSettings
from tests.unit.test_wallet_support import ISSUED, NOW, Institution, template

PASS = "settings test passphrase"
PUBLIC = "https://verify.omc.example.ca"


def named(college: Institution, subject: str | None, name: str) -> dict[str, Any]:
    """A signed OMC naming its learner (OB 3.0 IdentityObject), for ``subject`` (None: no DID at all)."""
    doc = template()
    if subject is None:
        del doc["credentialSubject"]["id"]
    else:
        doc["credentialSubject"]["id"] = subject
    doc["credentialSubject"]["identifier"] = [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name}]
    doc["credentialSubject"]["result"] = [{"type": ["Result"], "value": "A-"}]
    doc["credentialSubject"]["activityEndDate"] = "2026-06-05T00:00:00Z"
    return data_integrity.add_proof(doc, college.key, created=ISSUED)


# --- the verifier a printed code may open ----------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8800", "https://127.0.0.1", "https://localhost:8443", "https://[::1]/", "https://10.0.0.5",
    "https://192.168.1.20:8800", "https://172.16.4.4", "https://169.254.169.254", "https://[fd00::1]",
    "https://100.64.0.1", "https://printer.local", "https://verifier.internal", "https://intranet",
    "https://app.localhost",
])
def test_loopback_and_private_verifiers_are_refused_outside_demo_mode(url: str) -> None:
    # the attack (or accident) this stops: a printed certificate whose code opens a page no employer can reach,
    # or one on the holder's own network
    with pytest.raises(QrError) as info:
        qr.check_verifier_url(url)
    assert info.value.code == "VERIFIER_URL_NOT_PUBLIC" and "--demo" in info.value.detail
    assert qr.check_verifier_url(url, demo=True) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://verify.example.ca", "ftp://verify.example.ca", "https://u:p@verify.example.ca",
                                 "https://verify.example.ca/?x=1", "https://verify.example.ca/#f", "", "verify.ca"])
def test_a_verifier_must_be_plain_https(url: str) -> None:
    with pytest.raises(QrError) as info:
        qr.check_verifier_url(url)
    assert info.value.code == "VERIFIER_URL_INVALID"


def test_settings_are_kept_sealed_and_checked(tmp_path: Path) -> None:
    wallet = Wallet.create(tmp_path / "w", PASS, settings=WalletSettings(PUBLIC + "/", "  Ana   Silva "))
    assert wallet.settings == WalletSettings(PUBLIC, "Ana Silva", False)
    again = Wallet.open(tmp_path / "w", PASS)
    assert again.settings == wallet.settings
    # nothing readable in the file: the settings are sealed like the records
    assert "Ana Silva" not in (tmp_path / "w" / HEADER_FILE).read_text()
    with pytest.raises(QrError) as info:
        again.update_settings(WalletSettings("http://127.0.0.1:8800"))
    assert info.value.code == "VERIFIER_URL_NOT_PUBLIC"
    assert Wallet.open(tmp_path / "w", PASS).settings.verifier_url == PUBLIC  # the refused change wrote nothing
    assert again.update_settings(WalletSettings("http://127.0.0.1:8800", demo=True)).verifier_url == \
        "http://127.0.0.1:8800"


def test_refused_settings_create_no_wallet(tmp_path: Path) -> None:
    with pytest.raises(QrError):
        Wallet.create(tmp_path / "w", PASS, settings=WalletSettings("https://localhost"))
    assert not Wallet.exists(tmp_path / "w")


def test_settings_edited_in_the_file_fail_authentication(tmp_path: Path) -> None:
    # the attack: redirect the learner's codes to a look-alike verifier by editing the wallet file
    Wallet.create(tmp_path / "w", PASS, settings=WalletSettings(PUBLIC))
    other = Wallet.create(tmp_path / "o", PASS, settings=WalletSettings("https://evil.example.com"))
    header = json.loads((tmp_path / "w" / HEADER_FILE).read_text())
    header["settings"] = json.loads((tmp_path / "o" / HEADER_FILE).read_text())["settings"]
    (tmp_path / "w" / HEADER_FILE).write_text(json.dumps(header))
    with pytest.raises(WalletCorruptError):
        Wallet.open(tmp_path / "w", PASS)
    assert other.settings.verifier_url == "https://evil.example.com"


def test_a_wallet_from_before_settings_opens_with_none(tmp_path: Path) -> None:
    Wallet.create(tmp_path / "w", PASS)
    header = json.loads((tmp_path / "w" / HEADER_FILE).read_text())
    del header["settings"]
    (tmp_path / "w" / HEADER_FILE).write_text(json.dumps(header))
    assert Wallet.open(tmp_path / "w", PASS).settings == WalletSettings()


def test_where_a_code_points_flag_then_settings_then_institution(tmp_path: Path) -> None:
    college = Institution()
    wallet = Wallet.create(tmp_path / "w", PASS)
    item, _ = wallet.add(college.issue(wallet.holder_did), verifier=college.verifier(), now=NOW)
    with pytest.raises(WalletError) as info:
        wallet.verifier_url_for(item)  # nothing set anywhere: no silent localhost
    assert info.value.code == "WALLET_NO_VERIFIER_URL"
    item.verdict["institutionVerifier"] = "https://verify.lakeshore-college.example.ca"
    assert wallet.verifier_url_for(item) == ("https://verify.lakeshore-college.example.ca",
                                             "the institution's public verifier (registry)")
    wallet.update_settings(WalletSettings(PUBLIC))
    assert wallet.verifier_url_for(item) == (PUBLIC, "wallet settings")
    assert wallet.verifier_url_for(item, given="https://other.example.ca") == ("https://other.example.ca", "given")
    with pytest.raises(QrError):
        wallet.verifier_url_for(item, given="http://127.0.0.1:8800")
    assert wallet.verifier_url_for(item, given="http://127.0.0.1:8800", demo=True)[0] == "http://127.0.0.1:8800"


# --- whose credential ------------------------------------------------------------------------------------

def test_a_credential_issued_to_someone_else_is_stored_flagged(tmp_path: Path) -> None:
    # the attack: a credential of another learner slipped into the wallet, later shown as the learner's own
    college = Institution()
    wallet = Wallet.create(tmp_path / "w", PASS, settings=WalletSettings(learner_name="Ana Silva"))
    theirs, new = wallet.add(named(college, "did:example:someone-else", "Bo Chen"), verifier=college.verifier(),
                             now=NOW)
    assert new and theirs.subject_flag is not None
    assert "did:example:someone-else" in theirs.subject_flag and "Bo Chen" in theirs.subject_flag
    assert wallet.get(theirs.id).subject_flag == theirs.subject_flag  # kept with the record
    assert wallet.get(theirs.id).summary()["flagged"] is True


def test_the_holder_or_the_learner_name_is_not_flagged(tmp_path: Path) -> None:
    college = Institution()
    wallet = Wallet.create(tmp_path / "w", PASS, settings=WalletSettings(learner_name="Ana María Silva"))
    mine, _ = wallet.add(named(college, wallet.holder_did, "Someone"), verifier=college.verifier(), now=NOW)
    assert mine.subject_flag is None
    # the same name written differently (case, spacing, composed accents) is the same learner
    by_name, _ = wallet.add(named(college, None, "ana  MARI\u0301A silva"), verifier=college.verifier(), now=NOW)
    assert by_name.subject_flag is None


def test_without_a_learner_name_a_name_only_credential_is_flagged_with_the_fix(tmp_path: Path) -> None:
    college = Institution()
    wallet = Wallet.create(tmp_path / "w", PASS)
    item, _ = wallet.add(named(college, None, "Ana Silva"), verifier=college.verifier(), now=NOW)
    assert item.subject_flag is not None and "--learner-name" in item.subject_flag


def test_facts_and_summary_give_hours_result_dates_and_verdict(tmp_path: Path) -> None:
    college = Institution()
    wallet = Wallet.create(tmp_path / "w", PASS)
    item, _ = wallet.add(named(college, wallet.holder_did, "Ana Silva"), verifier=college.verifier(), now=NOW)
    summary = item.summary()
    assert summary["learner"] == "Ana Silva" and summary["hours"] == 42 and summary["result"] == "A-"
    assert summary["completed"] == "2026-06-05" and summary["issued"] == "2026-06-15"
    assert summary["status"] == "valid-not-omc" and summary["checkedAt"] == "2026-09-01T12:00:00Z"
    assert summary["flagged"] is False
