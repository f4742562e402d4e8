"""The encrypted wallet store: passphrases, tampering, truncation, full disks, import verdicts, re-checks."""

from __future__ import annotations

import errno
import json
from datetime import timedelta
from pathlib import Path

import pytest

from omc_vc._internal import atomic
from omc_vc.errors import WalletError
from omc_vc.wallet import Wallet, WalletCorruptError, WalletPassphraseError, default_wallet_dir, read_source
from tests.unit.test_wallet_support import NOW, STATUS_INDEX, Institution

PASS = "correct horse battery staple"


@pytest.fixture()
def wallet(tmp_path: Path) -> Wallet:
    return Wallet.create(tmp_path / "wallet", PASS)


def _import(wallet: Wallet, college: Institution, *, index: int = STATUS_INDEX) -> str:
    item, new = wallet.add(college.issue(wallet.holder_did, index=index), verifier=college.verifier(), now=NOW)
    assert new
    return item.id


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_default_folder_is_the_platform_user_data_dir() -> None:
    import platformdirs

    assert default_wallet_dir() == Path(platformdirs.user_data_path("omc-vc")) / "wallet"


def test_holder_key_is_a_did_key_created_once_and_kept(tmp_path: Path) -> None:
    created = Wallet.create(tmp_path / "w", PASS)
    assert created.holder_did.startswith("did:key:z6Mk")
    reopened = Wallet.open(tmp_path / "w", PASS)
    assert reopened.holder_did == created.holder_did
    with pytest.raises(WalletError) as info:
        Wallet.create(tmp_path / "w", PASS)
    assert info.value.code == "WALLET_EXISTS"


def test_wallet_files_hold_no_plaintext_credential_or_key(wallet: Wallet) -> None:
    college = Institution()
    _import(wallet, college)
    secret = wallet.holder_key.secret_multibase()
    for content in _snapshot(wallet.directory).values():
        assert b"Applied Data Analytics" not in content
        assert secret.encode() not in content
    assert (wallet.directory / "wallet.json").stat().st_mode & 0o777 == 0o600


def test_wrong_passphrase_is_refused_and_changes_nothing(wallet: Wallet) -> None:
    _import(wallet, Institution())
    before = _snapshot(wallet.directory)
    with pytest.raises(WalletPassphraseError) as info:
        Wallet.open(wallet.directory, "not the passphrase")
    assert info.value.code == "WALLET_WRONG_PASSPHRASE"
    assert _snapshot(wallet.directory) == before
    assert len(Wallet.open(wallet.directory, PASS).items()[0]) == 1


def test_tampered_record_is_detected_and_left_in_place(wallet: Wallet) -> None:
    college = Institution()
    first = _import(wallet, college)
    second = _import(wallet, college, index=STATUS_INDEX + 1)
    path = wallet.directory / "items" / f"{first}.json"
    stored = json.loads(path.read_text())
    raw = bytearray(stored["ciphertext"].encode())
    raw[40] = ord("A") if raw[40] != ord("A") else ord("B")
    stored["ciphertext"] = raw.decode()
    path.write_text(json.dumps(stored))
    tampered = path.read_bytes()
    good, damaged = Wallet.open(wallet.directory, PASS).items()
    assert [i.id for i in good] == [second]
    assert [i for i, _ in damaged] == [first]
    assert damaged[0][1].code == "WALLET_CORRUPT"
    with pytest.raises(WalletCorruptError):
        wallet.get(first)
    assert path.read_bytes() == tampered  # reported, never overwritten or deleted


def test_truncated_record_is_a_clear_error_and_others_survive(wallet: Wallet) -> None:
    college = Institution()
    first = _import(wallet, college)
    second = _import(wallet, college, index=STATUS_INDEX + 1)
    path = wallet.directory / "items" / f"{first}.json"
    path.write_bytes(path.read_bytes()[:100])
    good, damaged = wallet.items()
    assert [i.id for i in good] == [second] and [i for i, _ in damaged] == [first]
    assert "truncated" in damaged[0][1].detail


def test_record_swapped_between_ids_fails_authentication(wallet: Wallet) -> None:
    college = Institution()
    first = _import(wallet, college)
    second = _import(wallet, college, index=STATUS_INDEX + 1)
    folder = wallet.directory / "items"
    # an attacker copies record 1's ciphertext under record 2's name (same wallet key)
    stored = json.loads((folder / f"{first}.json").read_text())
    stored["id"] = second
    (folder / f"{second}.json").write_text(json.dumps(stored))
    with pytest.raises(WalletCorruptError):
        wallet.get(second)


def test_truncated_header_is_reported_not_reinitialised(wallet: Wallet) -> None:
    _import(wallet, Institution())
    header = wallet.directory / "wallet.json"
    header.write_bytes(header.read_bytes()[:50])
    before = _snapshot(wallet.directory)
    with pytest.raises(WalletCorruptError) as info:
        Wallet.open(wallet.directory, PASS)
    assert "damaged" in info.value.detail
    with pytest.raises(WalletError):
        Wallet.open_or_create(wallet.directory, PASS)  # never silently replaced by a new wallet
    assert _snapshot(wallet.directory) == before


def test_edited_header_holder_is_detected(wallet: Wallet) -> None:
    header_path = wallet.directory / "wallet.json"
    header = json.loads(header_path.read_text())
    header["holder"]["id"] = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    header_path.write_text(json.dumps(header))
    with pytest.raises(WalletError):
        Wallet.open(wallet.directory, PASS)


def test_full_disk_during_import_keeps_everything_stored(wallet: Wallet, monkeypatch: pytest.MonkeyPatch) -> None:
    college = Institution()
    kept = _import(wallet, college)
    before = _snapshot(wallet.directory)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "write_bytes", disk_full)
    with pytest.raises(WalletError) as info:
        wallet.add(college.issue(wallet.holder_did, index=STATUS_INDEX + 5), verifier=college.verifier(), now=NOW)
    assert info.value.code == "WALLET_WRITE_ERROR"
    assert "disk is full" in info.value.detail
    with pytest.raises(WalletError):
        wallet.recheck(verifier=college.verifier(), now=NOW)
    monkeypatch.undo()
    assert _snapshot(wallet.directory) == before
    assert [i.id for i in Wallet.open(wallet.directory, PASS).items()[0]] == [kept]


def test_full_disk_leaves_no_temp_files_behind(wallet: Wallet, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    real_fsync = os.fsync
    calls = {"n": 0}

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        raise OSError(errno.ENOSPC, "No space left on device")

    college = Institution()
    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(WalletError):
        wallet.add(college.issue(wallet.holder_did), verifier=college.verifier(), now=NOW)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert calls["n"] >= 1
    assert list((wallet.directory / "items").iterdir()) == []


def test_forged_credential_is_refused(wallet: Wallet) -> None:
    college = Institution()
    credential = college.issue(wallet.holder_did)
    credential["credentialSubject"]["achievement"]["instructionalHours"] = 400  # edited after signing
    with pytest.raises(WalletError) as info:
        wallet.add(credential, verifier=college.verifier(), now=NOW)
    assert info.value.code == "WALLET_REJECTED_INVALID"
    assert wallet.ids() == []


def test_credential_with_unsigned_extra_claim_is_refused(wallet: Wallet) -> None:
    college = Institution()
    credential = college.issue(wallet.holder_did)
    credential["credentialSubject"]["honours"] = "with distinction"  # no context defines it: data loss
    with pytest.raises(WalletError) as info:
        wallet.add(credential, verifier=college.verifier(), now=NOW)
    assert info.value.code == "WALLET_REJECTED_INVALID"


def test_presentation_is_not_imported_as_a_credential(wallet: Wallet) -> None:
    college = Institution()
    wallet.add(college.issue(wallet.holder_did), verifier=college.verifier(), now=NOW)
    vp = wallet.present(wallet.ids(), challenge="c-1", now=NOW)
    with pytest.raises(WalletError) as info:
        wallet.add(vp, verifier=college.verifier(), now=NOW)
    assert info.value.code == "WALLET_NOT_A_CREDENTIAL"


def test_import_stores_and_shows_the_verdict(wallet: Wallet) -> None:
    college = Institution()
    item_id = _import(wallet, college)
    item = Wallet.open(wallet.directory, PASS).get(item_id[:6])
    assert item.name == "Applied Data Analytics with Python"
    assert item.verdict["verified"] is True
    assert item.verdict["status"] == "valid-not-omc"  # no registry configured: never called an OMC
    assert item.verdict["omcShaped"] and item.verdict["omcPlusClaim"]
    assert item.verdict["revoked"] is False and item.verdict["expired"] is False
    assert item.verdict["checks"]["status"] == "passed"


def test_revoked_credential_is_stored_and_marked_revoked(wallet: Wallet) -> None:
    college = Institution(revoked={STATUS_INDEX})
    item, _ = wallet.add(college.issue(wallet.holder_did), verifier=college.verifier(), now=NOW)
    assert item.verdict["revoked"] is True
    assert item.verdict["status"] == "invalid"
    assert "revoked" in item.verdict["reason"].lower()


def test_same_credential_twice_is_stored_once(wallet: Wallet) -> None:
    college = Institution()
    credential = college.issue(wallet.holder_did)
    first, new1 = wallet.add(credential, verifier=college.verifier(), now=NOW)
    second, new2 = wallet.add(json.loads(json.dumps(credential)), verifier=college.verifier(), now=NOW)
    assert new1 and not new2 and first.id == second.id
    assert wallet.ids() == [first.id]


def test_recheck_reports_a_revocation_and_an_expiry(wallet: Wallet) -> None:
    college = Institution()
    revoked_id = _import(wallet, college)
    expiring = college.issue(wallet.holder_did, index=STATUS_INDEX + 1,
                             changes={"validUntil": "2026-12-31T00:00:00Z"})
    expiring_item, _ = wallet.add(expiring, verifier=college.verifier(), now=NOW)
    _, changes = wallet.recheck(verifier=college.verifier(), now=NOW)
    assert changes == []
    later = Institution(revoked={STATUS_INDEX})
    _, changes = wallet.recheck(verifier=later.verifier(), now=NOW + timedelta(days=200))
    by_id = {c.id: c for c in changes}
    assert set(by_id) == {revoked_id, expiring_item.id}
    assert "revoked" in by_id[revoked_id].after and by_id[revoked_id].before.startswith("valid")
    assert "expired" in by_id[expiring_item.id].after
    stored = {i.id: i for i in Wallet.open(wallet.directory, PASS).items()[0]}
    assert stored[revoked_id].verdict["revoked"] is True  # the new verdict is kept


def test_remove_deletes_only_that_credential(wallet: Wallet) -> None:
    college = Institution()
    first = _import(wallet, college)
    second = _import(wallet, college, index=STATUS_INDEX + 1)
    assert wallet.remove(first) == first
    assert wallet.ids() == [second]
    with pytest.raises(WalletError) as info:
        wallet.get(first)
    assert info.value.code == "WALLET_NO_SUCH_ITEM"


def test_ids_that_could_escape_the_folder_are_refused(wallet: Wallet) -> None:
    with pytest.raises(WalletError):
        wallet._item_path("../wallet")


def test_read_source_handles_files_jwts_links_and_qr_images(tmp_path: Path) -> None:
    from omc_vc import qr

    college = Institution()
    credential = college.issue("did:example:learner")
    token = college.issue_jwt("did:example:learner")
    as_file = tmp_path / "omc.json"
    as_file.write_text(json.dumps(credential))
    jwt_file = tmp_path / "omc.jwt"
    jwt_file.write_text(token + "\n")
    link = qr.encode_link(credential, "https://verify.example.ca")
    image = tmp_path / "omc.png"
    qr.make_qr_image(link, image)
    assert read_source(str(as_file))[0] == credential
    assert read_source(str(jwt_file))[0] == token
    assert read_source(token)[0] == token
    assert read_source(link, fetcher=None)[0] == credential  # link mode: decoded offline
    assert read_source(str(image))[0] == credential
    with pytest.raises(WalletError) as info:
        read_source("https://college.example.ca/omc/1.json", fetcher=None)
    assert info.value.code == "WALLET_OFFLINE"
    with pytest.raises(WalletError):
        read_source(str(tmp_path / "missing.json"))


def test_wallet_is_never_created_over_a_folder_holding_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    mode = tmp_path.stat().st_mode
    with pytest.raises(WalletError) as info:
        Wallet.create(tmp_path, PASS)
    assert info.value.code == "WALLET_EXISTS"
    assert tmp_path.stat().st_mode == mode and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
