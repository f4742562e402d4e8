"""An achievement in English and French: catalogue editions, OB 3.0 inLanguage and related, one OMC per language.

The sample catalogue's weld-101 is written in English with a French (Canada) edition. An OMC issued in
French carries the French words, ``inLanguage: fr-CA`` and an OB 3.0 ``related`` entry naming the English
edition (and the reverse); it stays valid against 1EdTech's OB 3.0 JSON Schema and verifies, and an
edition cannot change the achievement's facts.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from omc_vc.errors import ConfigError, IssuanceError
from omc_vc.issue.config import read_catalogue
from omc_vc.issue.status_lists import status_entry
from omc_vc.omc.builder import Learner, build_omc, issuer_profile, sign_omc
from omc_vc.omc.editions import edition_problems, edition_tags, select_edition
from omc_vc.verdict import make_verifier
from tests.fixtures.omc.sample import catalogue_entry, make_institution
from tests.unit.test_ob3_schema import ACHIEVEMENT_CREDENTIAL, assert_schema_valid

EN_ID = "https://college.example.ca/achievements/weld-101"
FR_ID = "https://college.example.ca/achievements/weld-101-fr"


def _omc(tmp_path: Path, language: str | None, **kwargs: Any) -> dict[str, Any]:
    config, key = make_institution(tmp_path, suspension=False)
    status = [status_entry(config.status.list_url("revocation", 1), 7, "revocation")]
    credential = build_omc(issuer=issuer_profile(str(config.did), config.profile),
                           achievement=config.achievement("weld-101"), learner=Learner(name="Chloé Tremblay",
                                                                                       email="chloe@example.ca"),
                           status=status, policy=config.policy, language=language,
                           evidence_url="https://college.example.ca/evidence/chloe", **kwargs)
    return sign_omc(credential, key)


def test_the_french_edition_has_the_french_words_and_names_the_english_one() -> None:
    definition = catalogue_entry("weld-101")
    assert edition_tags(definition) == ["en", "fr-CA"]
    french = select_edition(definition, "fr")  # "fr" finds "fr-CA" (RFC 4647 lookup)
    assert french["id"] == FR_ID and french["inLanguage"] == "fr-CA"
    assert french["name"] == "Fondements du soudage de structures"
    assert french["criteria"]["narrative"].startswith("Réussir")
    assert french["stacksInto"][0]["name"].startswith("Certificat d'études collégiales de l'Ontario")
    assert french["creditTransfer"][0]["program"] == "Baccalauréat en technologie (fabrication)"
    # the facts are the definition's, whatever the language
    for fact in ("instructionalHours", "cipCode", "nocCodes", "creditsAvailable", "deliveryMode"):
        assert french[fact] == definition[fact]
    assert french["stacksInto"][0]["id"] == definition["stacksInto"][0]["id"]
    assert french["stacksInto"][0]["creditValue"] == definition["stacksInto"][0]["creditValue"]
    assert french["creditTransfer"][0]["agreementReference"] == definition["creditTransfer"][0]["agreementReference"]
    assert french["related"] == [{"id": EN_ID, "type": ["Related"], "inLanguage": "en",
                                  "name": "Structural Welding Fundamentals"}]
    english = select_edition(definition, None)
    assert english["id"] == EN_ID and english["inLanguage"] == "en"
    assert english["related"] == [{"id": FR_ID, "type": ["Related"], "inLanguage": "fr-CA",
                                   "name": "Fondements du soudage de structures"}]
    assert "editions" not in english and "editions" not in french


def test_a_language_without_an_edition_is_refused_not_swapped_for_another() -> None:
    with pytest.raises(ValueError, match="no edition in de"):
        select_edition(catalogue_entry("weld-101"), "de")
    with pytest.raises(ValueError, match="not in fr"):
        select_edition(catalogue_entry("weld-102"), "fr")  # English only
    assert select_edition(catalogue_entry("weld-102"), "en-CA")["inLanguage"] == "en"


def test_a_french_omc_is_schema_valid_and_verifies(tmp_path: Path) -> None:
    credential = _omc(tmp_path, "fr-CA")
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["inLanguage"] == "fr-CA" and achievement["id"] == FR_ID
    assert credential["name"] == "Fondements du soudage de structures"
    # the credential's own words are in its language too
    assert credential["evidence"][0]["name"] == "Preuve de l’évaluation sommative de Chloé Tremblay"
    assert_schema_valid(credential, ACHIEVEMENT_CREDENTIAL)
    result = make_verifier(offline=True).verify(credential)
    # signed, every term defined (no data loss); only the status list is out of reach offline
    assert {c.name for c in result.checks if c.failed} == {"status"}, result.checks


def test_an_edition_cannot_change_the_achievements_facts() -> None:
    # the attack: a "translation" that quietly gives the French OMC more hours or another CIP code
    definition = copy.deepcopy(catalogue_entry("weld-101"))
    definition["editions"]["fr-CA"]["instructionalHours"] = 300
    definition["editions"]["fr-CA"]["stacksInto"][0]["creditValue"] = 9
    found = dict(edition_problems(definition))
    assert "editions.fr-CA.instructionalHours" in found
    assert "editions.fr-CA.stacksInto[0].creditValue" in found


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d["editions"]["fr-CA"].pop("id"), "editions.fr-CA.id"),
    (lambda d: d["editions"]["fr-CA"].__setitem__("id", EN_ID), "editions.fr-CA.id"),
    (lambda d: d["editions"]["fr-CA"]["stacksInto"].append({"name": "x"}), "editions.fr-CA.stacksInto"),
    (lambda d: d.__setitem__("editions", {"en-GB": {"id": "https://x.example/a"}}), "editions.en-GB"),
    (lambda d: d.pop("inLanguage"), "inLanguage"),
    (lambda d: d.__setitem__("editions", {"fr CA": {"id": "https://x.example/a"}}), "editions.fr CA"),
])
def test_a_broken_edition_is_a_config_error_naming_it(tmp_path: Path, change: Any, where: str) -> None:
    definition = copy.deepcopy(catalogue_entry("weld-101"))
    change(definition)
    with pytest.raises(ConfigError) as caught:
        (tmp_path / "catalogue.json").write_text(json.dumps({"achievements": {"weld-101": definition}}),
                                                 encoding="utf-8")
        read_catalogue(tmp_path / "catalogue.json")
    assert caught.value.context["field"] == f"catalogue.weld-101.{where}"


def test_build_omc_refuses_a_language_the_achievement_lacks(tmp_path: Path) -> None:
    with pytest.raises(IssuanceError, match="no edition in de"):
        _omc(tmp_path, "de")


def _cli(*args: str) -> Any:
    from click.testing import CliRunner
    from omc_vc.cli.main import cli

    return CliRunner().invoke(cli, list(args))


def test_omc_issue_language_gives_the_learner_the_french_edition(tmp_path: Path) -> None:
    config, _ = make_institution(tmp_path, suspension=False)
    out = tmp_path / "chloe.json"
    result = _cli("issue", "--config", str(config.path), "--achievement", "weld-101", "--language", "fr-CA",
                  "--learner-name", "Chloé Tremblay", "--learner-email", "chloe@example.ca", "--out", str(out))
    assert result.exit_code == 0, result.output
    credential = json.loads(out.read_text(encoding="utf-8"))
    assert credential["credentialSubject"]["achievement"]["inLanguage"] == "fr-CA"
    assert credential["credentialSubject"]["achievement"]["related"][0]["id"] == EN_ID
    assert_schema_valid(credential, ACHIEVEMENT_CREDENTIAL)
    # an achievement with no edition in the language is refused, with nothing issued
    refused = _cli("issue", "--config", str(config.path), "--achievement", "weld-102", "--language", "fr",
                   "--learner-name", "Chloé Tremblay", "--learner-email", "chloe@example.ca",
                   "--out", str(tmp_path / "no.json"))
    assert refused.exit_code != 0 and "defined in en only, not in fr" in refused.output, refused.output
    assert not (tmp_path / "no.json").exists()


def test_a_roster_language_column_and_the_configured_default(tmp_path: Path) -> None:
    config, _ = make_institution(tmp_path, suspension=False)
    # the institution issues in French unless a learner's row says otherwise
    text = config.path.read_text(encoding="utf-8") + "language: fr-CA\n"
    config.path.write_text(text, encoding="utf-8")
    roster = tmp_path / "cohort.csv"
    roster.write_text("name,email,achievement,completion_date,language\n"
                      "Chloé Tremblay,chloe@example.ca,weld-101,2026-06-12,\n"
                      "Ana Silva,ana@example.ca,weld-101,2026-06-12,en\n"
                      "Ben Okafor,ben@example.ca,weld-102,2026-06-12,en\n"
                      "Eli Roy,eli@example.ca,weld-102,2026-06-12,\n", encoding="utf-8")
    out = tmp_path / "out"
    result = _cli("issue", "--config", str(config.path), "--roster", str(roster), "--out", str(out),
                  "--workers", "1", "--json")
    assert result.exit_code == 1, result.output  # Eli's row: weld-102 has no French edition
    report = json.loads(result.stdout)
    assert [e["line"] for e in report["errors"]] == [5]
    assert "not in fr-CA" in str(report["errors"])
    languages = {}
    for path in out.glob("*.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        if "credentialSubject" in document:
            subject = document["credentialSubject"]
            languages[subject["identifier"][0]["identityHash"]] = subject["achievement"]["inLanguage"]
            assert_schema_valid(document, ACHIEVEMENT_CREDENTIAL)
    assert languages == {"Chloé Tremblay": "fr-CA", "Ana Silva": "en", "Ben Okafor": "en"}
