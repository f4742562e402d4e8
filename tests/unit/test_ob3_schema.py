"""Every OMC, OMC+ and endorsement omc-vc issues validates against 1EdTech's Open Badges 3.0 JSON Schemas.

The schemas are test data (tests/fixtures/external/1edtech-ob-schemas/, with their SOURCE.md): the
AchievementCredential schema for OMCs and OMC+ (``omc issue``, one learner or a roster) and the
EndorsementCredential schema for ``omc endorse``. DESIGN decision 14: the default OMC profile is valid
against them.

One documented exception: both schemas demand that ``proof`` be an array, which VCDM 2.0 §4.12 does not
(a single proof is an object) and 1EdTech's own signed example breaks. Each document is validated with
every ``proof`` object wrapped in a one-item array (:func:`proof_as_array`), and
:func:`assert_schema_valid` proves that this is the only adjustment: the document as issued fails on
``proof`` and on nothing else.

The status design (docs/adr/0013-status-design.md): by default an OMC carries one revocation entry, a
``credentialStatus`` object as the schema wants; an institution that enables suspension
(``status.suspension: true``) issues two entries, which the schema refuses, and that cost is pinned here.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from jsonschema import Draft201909Validator, FormatChecker, ValidationError
from omc_vc.cli.main import cli

from tests.fixtures.omc.sample import make_institution

EXTERNAL = Path(__file__).resolve().parents[1] / "fixtures" / "external"
SCHEMAS = EXTERNAL / "1edtech-ob-schemas"
ACHIEVEMENT_CREDENTIAL = "achievementcredential.json"
ENDORSEMENT_CREDENTIAL = "endorsementcredential.json"

# RFC 3339 §5.6 date-time (the schemas' "format": "date-time"); jsonschema checks it only with an extra
# package installed, so the format is checked here with the grammar itself
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_FORMATS = FormatChecker()
_FORMATS.checks("date-time")(lambda value: not isinstance(value, str) or _DATE_TIME.fullmatch(value) is not None)


def _validator(name: str) -> Draft201909Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema, format_checker=_FORMATS)


VALIDATORS = {name: _validator(name) for name in (ACHIEVEMENT_CREDENTIAL, ENDORSEMENT_CREDENTIAL)}


def proof_as_array(document: Any) -> Any:
    """A copy of ``document`` with every ``proof`` object (the credential's and each embedded endorsement's)
    wrapped in a one-item array: the schemas' one demand VCDM 2.0 does not make."""
    if isinstance(document, list):
        return [proof_as_array(item) for item in document]
    if not isinstance(document, dict):
        return copy.deepcopy(document)
    return {key: [proof_as_array(value)] if key == "proof" and isinstance(value, dict) else proof_as_array(value)
            for key, value in document.items()}


def _where(error: ValidationError) -> str:
    return "/".join(str(part) for part in error.absolute_path)


def schema_errors(document: dict[str, Any], schema: str) -> list[str]:
    return sorted(f"{_where(e)}: {e.message[:120]}" for e in VALIDATORS[schema].iter_errors(document))


def assert_schema_valid(document: dict[str, Any], schema: str) -> None:
    """Valid once each proof is an array, and invalid as issued only because of that."""
    assert schema_errors(proof_as_array(document), schema) == []
    as_issued = list(VALIDATORS[schema].iter_errors(document))
    assert as_issued, "the document has a proof object, which the schema refuses"
    assert all(e.absolute_path and e.absolute_path[-1] == "proof" and e.validator == "type"
               and e.validator_value == "array" for e in as_issued), [f"{_where(e)}: {e.message[:80]}"
                                                                      for e in as_issued]


def _cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _issue(config_path: Path, achievement: str, out: Path) -> dict[str, Any]:
    result = _cli("issue", "--config", str(config_path), "--achievement", achievement, "--learner-name", "Ana Silva",
                  "--learner-email", "ana@example.ca", "--completed", "2026-06-12", "--result", "Pass",
                  "--evidence-url", "https://college.example.ca/evidence/ana", "--out", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _endorse(tmp_path: Path, for_issuer: str) -> dict[str, Any]:
    key = tmp_path / "employer.key"
    assert _cli("keys", "generate", "--out", str(key), "--insecure-plaintext").exit_code == 0
    out = tmp_path / "endorsement.json"
    made = _cli("endorse", "--catalogue", str(Path(__file__).resolve().parents[1] / "fixtures" / "omc" /
                                              "catalogue.yaml"),
                "--achievement", "weld-101", "--for-issuer", for_issuer, "--key", str(key),
                "--name", "Ontario Welders Guild", "--url", "https://welders.example.ca",
                "--comment", "Graduates meet our hiring standard.", "--out", str(out))
    assert made.exit_code == 0, made.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize(("achievement", "kind"), [("weld-101", "OMC+"), ("safety-100", "OMC")])
def test_omc_issue_makes_schema_valid_credentials(tmp_path: Path, achievement: str, kind: str) -> None:
    config, _ = make_institution(tmp_path, suspension=False)
    document = _issue(config.path, achievement, tmp_path / "ana.json")
    assert ("stacksInto" in document["credentialSubject"]["achievement"]) is (kind == "OMC+")
    assert isinstance(document["credentialStatus"], dict)  # one revocation entry: the schema's object
    assert document["credentialStatus"]["statusPurpose"] == "revocation"
    assert_schema_valid(document, ACHIEVEMENT_CREDENTIAL)


def test_every_omc_of_a_roster_is_schema_valid(tmp_path: Path) -> None:
    config, _ = make_institution(tmp_path, suspension=False)
    out = tmp_path / "out"
    result = _cli("issue", "--config", str(config.path), "--roster", str(tmp_path / "roster.csv"),
                  "--out", str(out), "--workers", "1")
    assert result.exit_code == 1, result.output  # the sample roster's bad rows are reported, the rest issued
    issued = sorted(path for path in out.glob("*.json") if path.name != "index.json")
    assert len(issued) == 5
    for path in issued:
        assert_schema_valid(json.loads(path.read_text(encoding="utf-8")), ACHIEVEMENT_CREDENTIAL)


def test_omc_endorse_makes_a_schema_valid_endorsement(tmp_path: Path) -> None:
    endorsement = _endorse(tmp_path, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    assert "EndorsementCredential" in endorsement["type"]
    assert_schema_valid(endorsement, ENDORSEMENT_CREDENTIAL)


def test_omc_carrying_an_employer_endorsement_is_schema_valid(tmp_path: Path) -> None:
    config, key = make_institution(tmp_path / "inst", suspension=False)
    endorsement = _endorse(tmp_path, key.controller)
    config, _ = make_institution(tmp_path / "inst", key=key, suspension=False, endorsements=[endorsement])
    document = _issue(config.path, "weld-101", tmp_path / "ana.json")
    assert document["credentialSubject"]["achievement"]["endorsement"][0]["proof"] == endorsement["proof"]
    # the embedded endorsement's proof is an object too: validated as an EndorsementCredential inside the OMC
    assert_schema_valid(document, ACHIEVEMENT_CREDENTIAL)


def test_the_default_configuration_issues_one_revocation_entry(tmp_path: Path) -> None:
    config, _ = make_institution(tmp_path)
    text = config.path.read_text(encoding="utf-8")
    config.path.write_text(re.sub(r"(?m)^  suspension: .*\n", "", text), encoding="utf-8")  # the key left out
    document = _issue(config.path, "weld-101", tmp_path / "ana.json")
    assert document["credentialStatus"]["statusPurpose"] == "revocation"
    assert_schema_valid(document, ACHIEVEMENT_CREDENTIAL)


def test_suspension_opt_in_breaks_only_the_single_status_rule(tmp_path: Path) -> None:
    # status.suspension: true adds a suspension entry; OB 3.0 allows one credentialStatus, so the schema
    # refuses the list: the documented cost of the opt-in (docs/adr/0013-status-design.md)
    config, _ = make_institution(tmp_path, suspension=True)
    document = _issue(config.path, "weld-101", tmp_path / "ana.json")
    assert [e["statusPurpose"] for e in document["credentialStatus"]] == ["revocation", "suspension"]
    errors = list(VALIDATORS[ACHIEVEMENT_CREDENTIAL].iter_errors(proof_as_array(document)))
    assert [(list(e.absolute_path), e.validator, e.validator_value) for e in errors] == \
        [(["credentialStatus"], "type", "object")]


def test_wrapping_the_proof_is_the_only_adjustment(tmp_path: Path) -> None:
    config, key = make_institution(tmp_path / "inst", suspension=False)
    endorsement = _endorse(tmp_path, key.controller)
    config, _ = make_institution(tmp_path / "inst", key=key, suspension=False, endorsements=[endorsement])
    document = _issue(config.path, "weld-101", tmp_path / "ana.json")
    adjusted = proof_as_array(document)
    # the adjusted document is the issued one with two proofs (the OMC's, the endorsement's) in arrays
    assert adjusted["proof"] == [document["proof"]]
    assert adjusted["credentialSubject"]["achievement"]["endorsement"][0]["proof"] == [endorsement["proof"]]
    adjusted["proof"] = adjusted["proof"][0]
    adjusted["credentialSubject"]["achievement"]["endorsement"][0]["proof"] = endorsement["proof"]
    assert adjusted == document
    # and as issued, the schema finds those two proofs and nothing else
    where = sorted(_where(e) for e in VALIDATORS[ACHIEVEMENT_CREDENTIAL].iter_errors(document))
    assert where == ["credentialSubject/achievement/endorsement/0/proof", "proof"]


def test_schema_check_catches_what_breaks_the_schema(tmp_path: Path) -> None:
    config, _ = make_institution(tmp_path, suspension=False)
    document = _issue(config.path, "safety-100", tmp_path / "ana.json")
    broken = proof_as_array(document)
    del broken["validFrom"]
    broken["credentialSubject"]["achievement"]["criteria"] = "passed"
    assert schema_errors(broken, ACHIEVEMENT_CREDENTIAL) == [
        ": 'validFrom' is a required property",
        "credentialSubject/achievement/criteria: 'passed' is not of type 'object'",
    ]
    dated = proof_as_array(document)
    dated["validFrom"] = "12 June 2026"
    assert schema_errors(dated, ACHIEVEMENT_CREDENTIAL) == ["validFrom: '12 June 2026' is not a 'date-time'"]


def test_1edtech_signed_example_breaks_the_proof_array_rule_too() -> None:
    # the exception is 1EdTech's own: its implementation guide's signed credential has a proof object
    example = json.loads((EXTERNAL / "1edtech-openbadges-specification" / "signed-credential.json")
                         .read_text(encoding="utf-8"))
    assert isinstance(example["proof"], dict)
    assert_schema_valid(example, ACHIEVEMENT_CREDENTIAL)
