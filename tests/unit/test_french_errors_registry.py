"""The ministry's registry, its federation forms and the service's errors read in French.

Each error is raised for real by the library given bad input; its detail renders in Canadian French from the
catalog while ``str(exc)`` stays the English text scripts and logs read.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc._internal.fetch import Fetcher, FetchResponse
from omc_vc._internal.timeutil import parse_datetime
from omc_vc.errors import RegistryError
from omc_vc.i18n import translator
from omc_vc.keys import KeyPair
from omc_vc.registry import Anchors, RegistryClient, RegistryData, RegistryDraft, sign_registry, verify_registry
from omc_vc.registry_forms import check_federation

FR = translator("fr")
NOW = parse_datetime("2026-06-01T12:00:00Z")


def _draft() -> tuple[RegistryDraft, KeyPair]:
    key = KeyPair.generate()
    draft = RegistryDraft.new("urn:uuid:0f6a2d4e-3b1c-4d5e-8f90-a1b2c3d4e5f6", anchors=Anchors((key.public_key,), 1))
    draft.add_institution(legal_name="Example College", kind="college", dids=["did:web:college.example"],
                          consent_reference="MCU-OMC-0001", granted=NOW - timedelta(days=365))
    return draft, key


def test_a_verifier_without_trust_anchors_is_told_why_in_french() -> None:
    """Otherwise a French reader sees the English "no trust anchors are configured: ..." sentence."""
    with pytest.raises(RegistryError) as caught:
        verify_registry({}, Anchors(()))
    exc = caught.value
    assert exc.code == "REGISTRY_NO_ANCHORS"
    assert str(exc).startswith("no trust anchors are configured: the ministry publishes its registry keys;")
    assert FR.render(exc.detail) == (
        "aucune ancre de confiance n’est configurée\u00a0: le ministère publie les clés de son registre; indiquez "
        "un fichier d’ancres (--anchors), ou --demo pour le registre de démonstration. Rien n’est digne de "
        "confiance sans elles.")


def test_a_revoked_consent_and_a_repeated_status_read_in_french() -> None:
    """Otherwise "the consent of Example College was revoked; revocation is final" stays English; the status
    value (a word of the registry's data) is kept as written, quoted."""
    draft, _ = _draft()
    draft.set_consent("did:web:college.example", "suspended", at=NOW)
    with pytest.raises(RegistryError) as caught:
        draft.set_consent("did:web:college.example", "suspended", at=NOW)
    assert str(caught.value) == "the consent of Example College is already suspended"
    assert FR.render(caught.value.detail) == \
        "le consentement de Example College est déjà à l’état «\u00a0suspended\u00a0»"
    draft.set_consent("did:web:college.example", "revoked", at=NOW)
    with pytest.raises(RegistryError) as caught:
        draft.set_consent("did:web:college.example", "active", at=NOW)
    assert caught.value.code == "REGISTRY_EDIT_REFUSED"
    assert str(caught.value) == "the consent of Example College was revoked; revocation is final"
    assert FR.render(caught.value.detail) == \
        "le consentement de Example College a été révoqué; la révocation est définitive"


def test_an_oversized_registry_file_gives_its_sizes_grouped_the_french_way(tmp_path: Path) -> None:
    """Otherwise "the registry big.json is 2000001 bytes, over the 2000000-byte limit" stays English; in French
    the sizes (quantities) are grouped by thousands."""
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(2_000_001)  # a sparse file: only its size is read
    draft, _ = _draft()
    client = RegistryClient(big, draft.anchors, cache_dir=tmp_path / "cache")
    with pytest.raises(RegistryError) as caught:
        client.load(now=NOW)
    exc = caught.value
    assert exc.code == "REGISTRY_TOO_LARGE"
    assert str(exc) == "the registry big.json is 2000001 bytes, over the 2000000-byte limit"
    assert FR.render(exc.detail) == \
        "le registre big.json fait 2\u00a0000\u00a0001 octets, au-delà de la limite de 2\u00a0000\u00a0000 octets"


class _Serving(Fetcher):
    """A fetcher that answers every URL with one document (no network)."""

    def __init__(self, content: bytes) -> None:
        super().__init__()
        self.content = content

    def get(self, url: str, **_: Any) -> FetchResponse:
        return FetchResponse(url, 200, {}, self.content)


def test_a_stale_cached_registry_names_its_age_in_french(tmp_path: Path) -> None:
    """Otherwise "offline, and the cached registry is 2 days old (limit 24 hours): refusing to decide on stale
    data" stays English: the reason (offline), the counted ages and the sentence are each translated."""
    draft, key = _draft()
    signed = sign_registry(draft, [key], now=NOW - timedelta(hours=1))
    url = "https://mcu.example/omc/registry.json"
    RegistryClient(url, draft.anchors, fetcher=_Serving(json.dumps(signed).encode()),
                   cache_dir=tmp_path).load(now=NOW)
    offline = RegistryClient(url, draft.anchors, cache_dir=tmp_path, offline=True)
    with pytest.raises(RegistryError) as caught:
        offline.load(now=NOW + timedelta(days=2))
    exc = caught.value
    assert exc.code == "REGISTRY_STALE"
    assert str(exc) == ("offline, and the cached registry is 2 days old (limit 24 hours): refusing to decide on "
                        "stale data")
    assert FR.render(exc.detail) == ("hors ligne, et le registre en cache date de 2 jours (limite de 24 heures)"
                                     "\u00a0: aucune décision n’est prise sur des données périmées")


def test_checking_a_federation_the_registry_does_not_name() -> None:
    """Otherwise "the registry names no federation (omc registry set-federation)" stays English."""
    with pytest.raises(RegistryError) as caught:
        check_federation(RegistryData("urn:uuid:0f6a2d4e-3b1c-4d5e-8f90-a1b2c3d4e5f6", 1), Fetcher())
    assert caught.value.code == "REGISTRY_NO_FEDERATION"
    assert str(caught.value) == "the registry names no federation (omc registry set-federation)"
    assert FR.render(caught.value.detail) == "le registre ne nomme aucune fédération (omc registry set-federation)"


def test_the_cli_reports_a_file_that_is_not_a_working_registry_in_french(tmp_path: Path) -> None:
    """Otherwise, under LANG=fr_CA.UTF-8, ``omc registry suspend`` prints "not a registry working file (format
    'omc-vc-registry-draft/1' expected)" in English; the code and the quoted format stay as they are."""
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"format": "something-else/1"}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["registry", "suspend", "did:web:college.example", "--registry", str(draft)],
                                env={"LANG": "fr_CA.UTF-8"}, catch_exceptions=False)
    assert result.exit_code != 0
    assert result.stderr == ("error: REGISTRY_MALFORMED: ce n’est pas un fichier de travail du registre "
                             "(format 'omc-vc-registry-draft/1' attendu)\n")
