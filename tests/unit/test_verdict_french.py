"""Verdicts in French: the same verdict, status and codes, in the words of a francophone reader.

Run against the registry world (a signed registry and status lists over loopback) and through the CLI
(``LANG=fr_CA.UTF-8``, ``omc --lang fr``): every verdict sentence comes from the French catalog, dates are
written the fr-CA way, and the error codes a script reads are the same as in English.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc.i18n import translator
from omc_vc.verdict import HEADLINES, localized, verdict_of
from tests.fixtures.registry.world import World, world
from tests.unit.test_verdict_e2e import _client, _verify

FR = translator("fr")


@pytest.fixture(scope="module")
def w() -> Iterator[World]:
    with world() as started:
        yield started


@pytest.fixture(scope="module")
def creds(w: World) -> dict[str, dict[str, Any]]:
    return {"college": w.credential("Example College"), "college_plus": w.credential("Example College", plus=True),
            "unlisted": w.credential("Nowhere Institute")}


@pytest.fixture
def registry_url(w: World) -> str:
    return w.publish_registry(w.signed_registry(version=1), "/current/registry.json")


def test_a_valid_omc_in_french(w: World, creds: dict[str, Any], registry_url: str, tmp_path: Path) -> None:
    english = verdict_of(_verify(w, creds["college"], _client(w, registry_url, tmp_path)))
    french = localized(english, "fr")
    assert french.status == english.status == "valid-omc"
    assert french.headline == "Microcertification de l’Ontario valide"
    assert "détenait le consentement ministériel" in french.reason and french.institution == english.institution
    assert "held the ministry's consent" in english.reason  # the English verdict is unchanged


def test_omc_plus_and_an_unlisted_issuer_in_french(w: World, creds: dict[str, Any], registry_url: str,
                                                   tmp_path: Path) -> None:
    plus = localized(verdict_of(_verify(w, creds["college_plus"], _client(w, registry_url, tmp_path))), "fr")
    assert plus.headline.startswith("Microcertification de l’Ontario valide (OMC+")
    assert plus.reason.endswith("Elle compte pour un titre de compétence plus large (OMC+).")
    unlisted = localized(verdict_of(_verify(w, creds["unlisted"], _client(w, registry_url, tmp_path))), "fr")
    assert unlisted.code == "ISSUER_NOT_IN_REGISTRY"
    assert unlisted.reason.startswith("L’émetteur did:")
    assert "n’est pas inscrit au registre ministériel" in unlisted.reason


def test_a_tampered_credential_in_french_keeps_its_code(w: World, creds: dict[str, Any], registry_url: str,
                                                       tmp_path: Path) -> None:
    forged = copy.deepcopy(creds["college"])
    forged["credentialSubject"]["achievement"]["name"] = "Advanced Welding (forged)"
    verdict = localized(verdict_of(_verify(w, forged, _client(w, registry_url, tmp_path))), "fr")
    assert verdict.status == "invalid" and verdict.code == "CRYPTOGRAPHIC_SECURITY_ERROR"
    assert verdict.headline == FR.gettext(HEADLINES["invalid"])
    assert verdict.headline == "NON valide\u00a0: ne vous fiez pas à cette attestation"
    assert verdict.reason == ("Cette attestation a été modifiée après avoir été signée\u00a0: sa signature ne "
                              "correspond pas.")


def _run(args: list[str], env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, args, env=env)


@pytest.mark.parametrize("how", ["LANG", "--lang"])
def test_omc_verify_speaks_french_and_keeps_the_codes(tmp_path: Path, how: str) -> None:
    from tests.fixtures.omc.sample import make_institution, signed_omc

    config, key = make_institution(tmp_path, suspension=False)
    credential = signed_omc(config, key, "weld-101")
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["achievement"]["name"] = "Forged"
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    args = ["verify", str(tmp_path / "forged.json"), "--offline"]
    result = _run(["--lang", "fr", *args], env={"LANG": "C"}) if how == "--lang" else \
        _run(args, env={"LANG": "fr_CA.UTF-8", "LC_ALL": ""})
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("Aucun verdict OMC : ".replace(" :", "\u00a0:"))
    assert "NON VÉRIFIÉE" in result.stdout and "[ÉCHEC] signature\u00a0: la signature ne correspond pas au document" in result.stdout
    # the error line: same prefix and code as in English, the reason in French
    assert "error: CRYPTOGRAPHIC_SECURITY_ERROR: Cette attestation a été modifiée" in result.stderr


def test_an_unknown_language_is_a_usage_error() -> None:
    result = _run(["--lang", "de", "verify", "x.json"])
    assert result.exit_code == 2 and "error: USAGE_ERROR:" in result.output


def test_english_stays_the_default(tmp_path: Path) -> None:
    from tests.fixtures.omc.sample import make_institution, signed_omc

    config, key = make_institution(tmp_path, suspension=False)
    forged = signed_omc(config, key, "weld-101")
    forged["name"] = "Forged"
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    result = _run(["verify", str(tmp_path / "forged.json"), "--offline"], env={"LANG": "C", "LC_ALL": ""})
    assert result.exit_code == 1 and "NOT VERIFIED" in result.stdout and "[FAIL] proof:" in result.stdout
    assert "error: CRYPTOGRAPHIC_SECURITY_ERROR: This credential was changed after it was signed" in result.stderr
