"""The wallet with the ministry's registry configured: OMC / OMC+ / not an OMC, the institution's name,
and a revocation discovered by ``recheck``. Uses the registry engineer's loopback world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omc_vc.errors import WalletError
from omc_vc.registry import RegistryClient
from omc_vc.verdict import make_verifier
from omc_vc.verify import Verifier
from omc_vc.wallet import Wallet
from tests.fixtures.registry.world import World, world

pytestmark = pytest.mark.network


@pytest.fixture()
def w() -> Iterator[World]:
    with world() as value:
        yield value


def _verifier(w: World, tmp: Path) -> Verifier:
    url = w.publish_registry(w.signed_registry(version=1), "/registry.json")
    client = RegistryClient(url, w.anchors, fetcher=w.fetcher(), cache_dir=tmp / "cache")
    return make_verifier(registry_client=client, fetcher=w.fetcher())


def test_import_records_omc_plus_and_the_registry_name(w: World, tmp_path: Path) -> None:
    wallet = Wallet.create(tmp_path / "w", "registry test passphrase")
    verifier = _verifier(w, tmp_path)
    plus, _ = wallet.add(w.credential("Example College", plus=True), verifier=verifier)
    plain, _ = wallet.add(w.credential("Sample University"), verifier=verifier)
    stranger, _ = wallet.add(w.credential("Nowhere Institute"), verifier=verifier)
    assert plus.verdict["status"] == "valid-omc-plus" and plus.verdict["institution"] == "Example College"
    assert plain.verdict["status"] == "valid-omc" and plain.issuer_name == "Sample University"
    # well signed, but its issuer is not authorized by the ministry: stored, and plainly not an OMC
    assert stranger.verdict["status"] == "valid-not-omc" and stranger.verdict["verified"] is False


def test_recheck_finds_a_revocation_published_after_import(w: World, tmp_path: Path) -> None:
    wallet = Wallet.create(tmp_path / "w", "registry test passphrase")
    item, _ = wallet.add(w.credential("Example College"), verifier=_verifier(w, tmp_path))
    assert item.verdict["status"] == "valid-omc"
    w.revoke("Example College", int(item.document["credentialStatus"]["statusListIndex"]))
    _, changes = wallet.recheck(verifier=_verifier(w, tmp_path / "again"))
    assert [c.id for c in changes] == [item.id]
    assert changes[0].before == "valid-omc" and changes[0].after == "invalid (revoked)"


def test_the_institutions_public_verifier_from_the_registry_is_where_codes_point(w: World, tmp_path: Path) -> None:
    from dataclasses import replace

    assert w.draft is not None
    college = w.draft.data.institution_for_did(w.institutions["Example College"].did)
    assert college is not None
    w.draft.data = replace(w.draft.data, institutions=tuple(
        replace(i, verifier="https://verify.example-college.ca") if i is college else i
        for i in w.draft.data.institutions))
    wallet = Wallet.create(tmp_path / "w", "registry test passphrase")
    verifier = _verifier(w, tmp_path)
    item, _ = wallet.add(w.credential("Example College"), verifier=verifier)
    assert item.verdict["institutionVerifier"] == "https://verify.example-college.ca"
    assert wallet.verifier_url_for(item) == ("https://verify.example-college.ca",
                                             "the institution's public verifier (registry)")
    # an institution that names none: the learner must set one; never a silent default
    other, _ = wallet.add(w.credential("Sample University"), verifier=verifier)
    assert "institutionVerifier" not in other.verdict
    with pytest.raises(WalletError) as info:
        wallet.verifier_url_for(other)
    assert info.value.code == "WALLET_NO_VERIFIER_URL"


def test_a_registry_verifier_must_be_https() -> None:
    from omc_vc.errors import RegistryError
    from omc_vc.registry import Institution

    entry = {"id": "urn:x", "legalName": "X College", "type": "college",
             "dids": [{"id": "did:web:x.example.ca", "validFrom": "2025-01-01T00:00:00Z"}],
             "consent": {"reference": "R", "scope": ["OMC"], "granted": "2025-01-01T00:00:00Z", "status": "active",
                         "history": [{"status": "active", "since": "2025-01-01T00:00:00Z"}]},
             "verifier": "https://verify.x.example.ca"}
    assert Institution.from_json(entry, "i").verifier == "https://verify.x.example.ca"
    assert Institution.from_json(entry, "i").to_json()["verifier"] == "https://verify.x.example.ca"
    with pytest.raises(RegistryError):
        Institution.from_json({**entry, "verifier": "http://verify.x.example.ca"}, "i")
