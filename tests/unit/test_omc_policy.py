"""The OMC policy file and its enforcement at issue time (refusals name the field)."""

from __future__ import annotations

import json

import pytest

from omc_vc.errors import ConfigError, PolicyError
from omc_vc.issue.status_lists import status_entry
from omc_vc.omc.builder import Learner, build_omc, issuer_profile
from omc_vc.omc.policy import DEFAULT_POLICY_FILE, load_policy, policy_from_json
from omc_vc.omc.profile import validate_omc
from tests.fixtures.omc.sample import make_institution

ACH = "credentialSubject.achievement"


def _build(config, achievement="weld-101", **overrides):
    definition = {**config.achievement(achievement), **overrides}
    for key in [k for k, v in overrides.items() if v is None]:
        del definition[key]
    return build_omc(issuer=issuer_profile(config.did, config.profile), achievement=definition,
                     learner=Learner(name="Ana Silva", email="ana@example.ca"),
                     status=[status_entry(config.status.list_url("revocation", 1), 3, "revocation")],
                     policy=config.policy)


def test_bundled_policy_is_versioned_and_provisional() -> None:
    policy = load_policy()
    raw = json.loads(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))
    assert policy.version == raw["policy_version"] and policy.provisional is True
    assert policy.max_noc_codes == 3
    assert policy.suspended_issuer_past_credentials == "valid"
    assert policy.to_json()["instructional_hours"] == raw["instructional_hours"]


def test_policy_raising_the_noc_limit_above_three_is_refused() -> None:
    raw = json.loads(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))
    with pytest.raises(ConfigError, match="max_noc_codes"):
        policy_from_json({**raw, "max_noc_codes": 4})


def test_misspelt_policy_key_is_refused_not_ignored() -> None:
    raw = json.loads(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))
    with pytest.raises(ConfigError, match="max_noc_code"):
        policy_from_json({**{k: v for k, v in raw.items() if k != "max_noc_codes"}, "max_noc_code": 3})


def test_policy_requiring_an_unknown_field_is_refused() -> None:
    raw = json.loads(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))
    with pytest.raises(ConfigError, match="required_achievement_fields"):
        policy_from_json({**raw, "required_achievement_fields": ["name", "favouriteColour"]})


def test_inverted_hours_range_is_refused(tmp_path) -> None:
    raw = json.loads(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({**raw, "instructional_hours": {"min": 50, "max": 10}}))
    with pytest.raises(ConfigError, match="instructional_hours"):
        load_policy(path)


def test_four_noc_codes_are_refused_at_issue_time_naming_the_field(tmp_path) -> None:
    config, _ = make_institution(tmp_path)
    with pytest.raises(PolicyError) as caught:
        _build(config, nocCodes=["72106", "72320", "72410", "73100"])
    assert f"{ACH}.nocCodes" in caught.value.detail and "at most 3" in caught.value.detail
    assert caught.value.context["field"] == f"{ACH}.nocCodes"


@pytest.mark.parametrize("field", ["instructionalHours", "summativeAssessment", "qualificationCategory",
                                   "deliveryMode", "cipCode", "alignment"])
def test_missing_required_metadata_is_refused_naming_the_field(tmp_path, field) -> None:
    config, _ = make_institution(tmp_path)
    with pytest.raises(PolicyError, match=f"{ACH}.{field}: required"):
        _build(config, **{field: None})


def test_missing_consent_reference_is_refused(tmp_path) -> None:
    config, _ = make_institution(tmp_path)
    profile = {k: v for k, v in config.profile.items() if k != "omcConsentReference"}
    with pytest.raises(PolicyError, match=r"issuer\.omcConsentReference"):
        build_omc(issuer=issuer_profile(config.did, profile), achievement=config.achievement("weld-101"),
                  learner=Learner(name="Ana", email="a@example.ca"),
                  status=[status_entry(config.status.list_url("revocation", 1), 3, "revocation")])


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"instructionalHours": 2000}, "instructionalHours: 2000 hours is outside"),
    ({"instructionalHours": "40"}, "instructionalHours: must be a number"),
    ({"instructionalHours": True}, "instructionalHours: must be a number"),
    ({"durationWeeks": 0}, "durationWeeks: 0 weeks is outside"),
    ({"deliveryMode": "correspondence"}, "deliveryMode: 'correspondence' is not one of"),
    ({"qualificationCategory": "Honorary Doctorate"}, "qualificationCategory: 'Honorary Doctorate'"),
    ({"cipCode": "48"}, "cipCode: must be a six-digit CIP 2021 code"),
    ({"nocCodes": ["7210"]}, "nocCodes: '7210' is not a five-digit NOC 2021 code"),
    ({"nocCodes": ["72106", "72106"]}, "nocCodes: a code is listed twice"),
    ({"inLanguage": "english please"}, "inLanguage: must be a BCP 47"),
    ({"creditUnit": None}, "creditUnit: required with creditsAvailable"),
    ({"stacksInto": [{"id": "https://c.example/x", "name": "X"}]}, "stacksInto[0].awardingInstitution: required"),
    ({"creditTransfer": [{"receivingInstitution": "U", "program": "P", "creditGranted": -1,
                          "agreementReference": "A"}]}, "creditTransfer[0].creditGranted"),
])
def test_policy_violations_name_the_field(tmp_path, overrides, fragment) -> None:
    config, _ = make_institution(tmp_path)
    with pytest.raises(PolicyError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        _build(config, **overrides)


def test_credential_without_status_entry_breaks_the_policy(tmp_path) -> None:
    config, _ = make_institution(tmp_path)
    credential = _build(config)
    del credential["credentialStatus"]
    assert "credentialStatus: an OMC must carry a revocation status entry (policy)" in validate_omc(credential)


def test_conforming_omc_has_no_violations(tmp_path) -> None:
    config, _ = make_institution(tmp_path)
    assert validate_omc(_build(config), config.policy) == []


def test_cli_policy_show_and_check(tmp_path) -> None:
    from click.testing import CliRunner
    from omc_vc.cli.main import cli

    from tests.fixtures.omc.sample import signed_omc

    runner = CliRunner()
    shown = runner.invoke(cli, ["policy", "show", "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["max_noc_codes"] == 3
    assert "PROVISIONAL" in runner.invoke(cli, ["policy", "show"]).stdout
    config, key = make_institution(tmp_path)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(signed_omc(config, key)))
    assert runner.invoke(cli, ["policy", "check", str(good)]).exit_code == 0
    bad_doc = signed_omc(config, key)
    bad_doc["credentialSubject"]["achievement"]["nocCodes"] = ["72106", "72320", "72410", "73100"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_doc))
    checked = runner.invoke(cli, ["policy", "check", str(bad), "--json"])
    assert checked.exit_code == 1
    assert json.loads(checked.stdout)["violations"] == [
        "credentialSubject.achievement.nocCodes: 4 codes, the policy allows at most 3"]


def test_list_entries_that_are_not_objects_are_named(tmp_path) -> None:
    config, _ = make_institution(tmp_path)
    credential = _build(config)
    achievement = credential["credentialSubject"]["achievement"]
    achievement["alignment"] = ["https://example.ca/a"]
    achievement["creditTransfer"] = [3]
    achievement["stacksInto"] = [{"id": "https://c.example/x"}, "program"]
    problems = validate_omc(credential, config.policy)
    assert "credentialSubject.achievement.alignment[0]: must be an Alignment object" in problems
    assert "credentialSubject.achievement.creditTransfer[0]: must be a CreditTransferPathway object" in problems
    assert "credentialSubject.achievement.stacksInto[1]: must be a StackingTarget object" in problems
