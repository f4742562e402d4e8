"""OMC+ stacking progress: the library function and ``omc stacks``."""

from __future__ import annotations

import json

from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc.omc.builder import Learner
from omc_vc.omc.stacks import stack_progress
from tests.fixtures.omc.sample import make_institution, signed_omc

TARGET = "https://college.example.ca/programs/welding-techniques-certificate"


def test_progress_counts_credit_of_each_omc_toward_its_target(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    held = [signed_omc(config, key, "weld-101"), signed_omc(config, key, "weld-102"),
            signed_omc(config, key, "safety-100")]
    [progress] = stack_progress(held, catalogue=list(config.catalogue.values()))
    assert progress.target_id == TARGET
    assert (progress.credit_earned, progress.credit_required, progress.unit) == (6.0, 9.0, "course credit")
    assert progress.counted == [held[0]["id"], held[1]["id"]]
    assert progress.missing == ["Welding Inspection Basics (https://college.example.ca/achievements/weld-103)"]
    assert not progress.complete and progress.credit_remaining == 3.0
    assert progress.awarded_by_issuer is True
    assert progress.to_json()["creditDeterminedBy"] == ["Example College Registrar's Office"]


def test_the_same_achievement_twice_counts_once(tmp_path) -> None:
    # a learner (or a forger) presenting two copies of one OMC must not double the credit
    config, key = make_institution(tmp_path)
    first = signed_omc(config, key, "weld-101")
    second = signed_omc(config, key, "weld-101", learner=Learner(name="Ana Silva", email="ana@example.ca"))
    [progress] = stack_progress([first, second])
    assert progress.credit_earned == 3.0 and progress.counted == [first["id"]]
    assert any("counted once" in note for note in progress.notes)


def test_all_three_complete_the_target(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    held = [signed_omc(config, key, a) for a in ("weld-101", "weld-102", "weld-103")]
    [progress] = stack_progress(held, catalogue=list(config.catalogue.values()))
    assert progress.complete and progress.missing == [] and progress.credit_remaining == 0.0


def test_omc_stacks_command_verifies_first_and_leaves_out_a_tampered_omc(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    files = []
    for achievement in ("weld-101", "weld-102"):
        path = tmp_path / f"{achievement}.json"
        path.write_text(json.dumps(signed_omc(config, key, achievement)))
        files.append(str(path))
    tampered = signed_omc(config, key, "weld-103")
    tampered["credentialSubject"]["achievement"]["stacksInto"][0]["creditValue"] = 9
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered))
    result = CliRunner().invoke(cli, ["stacks", *files, str(bad), "--json", "--offline",
                                      "--catalogue-config", str(config.path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    [target] = report["targets"]
    assert target["creditEarned"] == 6.0 and target["creditRequired"] == 9.0
    assert len(target["counted"]) == 2 and target["missing"][0].startswith("Welding Inspection Basics")
    assert report["skipped"][0]["file"] == str(bad)
    text = CliRunner().invoke(cli, ["stacks", *files, "--offline"])
    assert "Welding Techniques Ontario College Certificate: 6 of 9 course credit" in text.output
