"""omc catalogue export: the institution's OMC offerings as Open Badges 3.0 Achievement documents, valid
against 1EdTech's schema (the Achievement of its AchievementCredential schema) and JSON-LD with nothing
dropped, and as CSV with every OMC field; an entry the policy refuses is left out and named."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from jsonschema import Draft201909Validator
from omc_vc.cli.main import cli

from omc_vc import jsonld
from omc_vc.issue.catalogue import export_catalogue
from omc_vc.keys import KeyPair
from tests.fixtures.omc.sample import endorsement_of, make_institution
from tests.unit.test_ob3_schema import _FORMATS, ACHIEVEMENT_CREDENTIAL, SCHEMAS, proof_as_array


def _achievement_validator() -> Draft201909Validator:
    """1EdTech's Achievement definition, as the AchievementCredential schema defines it (its $defs)."""
    full = json.loads((SCHEMAS / ACHIEVEMENT_CREDENTIAL).read_text(encoding="utf-8"))
    schema = {"$schema": full["$schema"], "$ref": "#/$defs/Achievement", "$defs": full["$defs"]}
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema, format_checker=_FORMATS)


VALIDATOR = _achievement_validator()


def _errors(document: dict[str, Any]) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:100]}" for e in VALIDATOR.iter_errors(document))


@pytest.fixture
def college(tmp_path: Path):
    pair = KeyPair.generate()
    config, _ = make_institution(tmp_path, key=pair, endorsements=[endorsement_of(pair.controller)])
    return config


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_every_offering_is_a_schema_valid_achievement_with_nothing_dropped(college) -> None:
    export = export_catalogue(college)
    assert sorted(export.documents) == ["safety-100", "weld-101", "weld-102", "weld-103"]
    for catalogue_id, document in export.documents.items():
        # the embedded endorsement's proof is an object, as VCDM 2.0 §4.12 allows and the schema does not
        # (tests/unit/test_ob3_schema.py): the only adjustment
        assert _errors(proof_as_array(document)) == [], catalogue_id
        jsonld.check_data_loss(document)  # DI 1.0 §2.4.3: every term is defined by the contexts
        assert document["type"] == ["Achievement"] and document["achievementType"] == "MicroCredential"
        assert document["creator"]["id"] == college.did and "Profile" in document["creator"]["type"]
        assert document["id"] == college.catalogue[catalogue_id]["id"]
    weld = export.documents["weld-101"]
    assert weld["instructionalHours"] == 42 and weld["qualificationCategory"] == "Non-OQF Micro-credential"
    assert weld["cipCode"] == "48.0508" and weld["nocCodes"] == ["72106", "72320"]
    assert weld["creditsAvailable"] == 3 and weld["creditUnit"] == "course credit"
    assert weld["creditTransfer"][0]["agreementReference"] == "ONCAT pathway 2026-0117"
    assert weld["stacksInto"][0]["creditRequired"] == 9  # the OMC+ target
    assert weld["endorsement"][0]["type"] == ["VerifiableCredential", "EndorsementCredential"]


def test_a_broken_achievement_fails_the_schema(college) -> None:
    document = export_catalogue(college).documents["safety-100"]
    broken = {k: v for k, v in document.items() if k != "criteria"}
    assert any("criteria" in e for e in _errors(broken))


def test_entries_the_policy_refuses_are_left_out_and_named(college) -> None:
    export = export_catalogue(college)
    assert set(export.refused) == {"bad-four-noc", "bad-no-hours"}
    assert "nocCodes" in export.refused["bad-four-noc"]
    assert "instructionalHours" in export.refused["bad-no-hours"]


def test_omc_catalogue_export_json_and_files(college, tmp_path: Path) -> None:
    out, folder = tmp_path / "catalogue.json", tmp_path / "achievements"
    result = _run("catalogue", "export", "--config", str(college.path), "--out", str(out), "--out-dir", str(folder))
    assert result.exit_code == 1  # written, with the refused entries named
    assert "left out bad-four-noc" in result.stderr and "REFUSED: 2 catalogue entries left out" in result.stderr
    documents = json.loads(out.read_text())
    assert [d["id"].rsplit("/", 1)[-1] for d in documents] == ["weld-101", "weld-102", "weld-103", "safety-100"]
    assert sorted(p.name for p in folder.iterdir()) == ["safety-100.json", "weld-101.json", "weld-102.json",
                                                        "weld-103.json"]
    assert json.loads((folder / "weld-101.json").read_text()) == documents[0]
    again = _run("catalogue", "export", "--config", str(college.path), "--out-dir", str(folder))
    assert again.exit_code == 2 and "FILE_EXISTS" in again.stderr
    summary = _run("catalogue", "export", "--config", str(college.path), "--out-dir", str(folder), "--force", "--json")
    assert json.loads(summary.stdout)["refused"].keys() == {"bad-four-noc", "bad-no-hours"}


def test_omc_catalogue_export_csv_has_every_omc_field(college) -> None:
    result = _run("catalogue", "export", "--config", str(college.path), "--format", "csv")
    rows = {r["catalogue_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    weld = rows["weld-101"]
    assert (weld["instructional_hours"], weld["duration_weeks"], weld["qualification_category"],
            weld["delivery_mode"], weld["cip_code"], weld["noc_codes"], weld["credits_available"],
            weld["credit_unit"], weld["omc_plus"]) == ("42", "6", "Non-OQF Micro-credential", "in-person", "48.0508",
                                                       "72106; 72320", "3", "course credit", "yes")
    assert json.loads(weld["credit_transfer"])[0]["receivingInstitution"] == "Example University"
    assert json.loads(weld["stacks_into"])[0]["name"] == "Welding Techniques Ontario College Certificate"
    assert weld["endorsers"].startswith("Ontario Welders Guild <did:key:")
    assert weld["issuer_did"] == college.did
    assert rows["safety-100"]["omc_plus"] == "no" and rows["safety-100"]["language"] == "fr-CA"
    assert set(rows) == {"weld-101", "weld-102", "weld-103", "safety-100"}
