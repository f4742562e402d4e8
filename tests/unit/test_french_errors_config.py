"""An issuer's configuration and issuance-store errors in French: the detail of each is one of our sentences, shown in
the reader's language while its English text (``str(exc)``) and its code stay as they were."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc.errors import ConfigError, IssuanceError, OfferError
from omc_vc.i18n import translator
from omc_vc.issue.config import load_config
from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.web.config import parse_config as parse_web_config

FRENCH = {"LANG": "fr_CA.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}


def _fr(text: str) -> str:
    return translator("fr").render(text)


def test_an_unknown_key_in_institution_yaml_is_named_with_its_line_in_french(tmp_path: Path) -> None:
    """A French reader would otherwise read "config: unknown key 'colour' (institution.yaml line 2, column 1)"."""
    config = tmp_path / "institution.yaml"
    config.write_text("did: did:key:z6MkExample\ncolour: blue\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert str(info.value) == "config: unknown key 'colour' (institution.yaml line 2, column 1)"
    # the line and column are positions, not quantities: never grouped as numbers
    assert _fr(info.value.detail) == "config\u00a0: clé inconnue 'colour' (institution.yaml ligne 2, colonne 1)"
    assert info.value.code == "CONFIG_ERROR"


def test_a_service_configuration_error_is_in_french(tmp_path: Path) -> None:
    """A French reader would otherwise read "shares.store must be a postgresql:// URL (without store ...)" and
    "port must be an integer in 0..65535"."""
    with pytest.raises(ConfigError) as info:
        parse_web_config({"shares": {"store": "mysql://db/x"}}, tmp_path)
    assert str(info.value) == ("shares.store must be a postgresql:// URL (without store the institution uses its "
                               "SQLite database: state / state_dir)")
    assert _fr(info.value.detail) == ("shares.store doit être une URL postgresql:// (sans store, l’établissement "
                                      "utilise sa base de données SQLite\u00a0: state / state_dir)")
    assert info.value.context["field"] == "shares.store"
    with pytest.raises(ConfigError) as port:
        parse_web_config({"port": 70000}, tmp_path)
    assert str(port.value) == "port must be an integer in 0..65535"
    assert _fr(port.value.detail) == "port doit être un entier dans 0..65535"


def test_an_unknown_credential_or_offer_in_the_issuance_store_is_in_french(tmp_path: Path) -> None:
    """A French reader would otherwise read "no credential 'nope' in <path>" and "no offer 'gone'"."""
    store = SqliteStore(tmp_path / "state.db")
    try:
        with pytest.raises(IssuanceError) as info:
            store.set_revoked("nope", "2026-06-01T00:00:00Z")
        assert str(info.value) == f"no credential 'nope' in {tmp_path / 'state.db'}"
        assert _fr(info.value.detail) == f"aucune attestation 'nope' dans {tmp_path / 'state.db'}"
        assert info.value.code == "NOT_FOUND"
        with pytest.raises(OfferError) as offer:
            store.revoke_offer("gone", now=datetime(2026, 6, 1, tzinfo=UTC))
        assert str(offer.value) == "no offer 'gone'"
        assert _fr(offer.value.detail) == "aucune offre 'gone'"
        assert offer.value.code == "OFFER_NOT_FOUND"
    finally:
        store.close()


def test_omc_store_migrate_reports_a_bad_store_setting_in_french(tmp_path: Path) -> None:
    """Under LANG=fr_CA.UTF-8 a French reader would otherwise read "error: CONFIG_ERROR: config: store must be a
    postgresql:// URL (...) (institution.yaml line 3, column 1)"; the code stays CONFIG_ERROR."""
    config = tmp_path / "institution.yaml"
    config.write_text("did: did:key:z6MkExample\nkey: issuer.key\nstore: mysql://db/omc\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["store", "migrate", "--config", str(config)], env=FRENCH, prog_name="omc")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["error: CONFIG_ERROR: config\u00a0: store doit être une URL postgresql:// (sans store, "
                     "l’établissement utilise sa base de données SQLite\u00a0: state / state_dir) "
                     "(institution.yaml ligne 3, colonne 1)"]
