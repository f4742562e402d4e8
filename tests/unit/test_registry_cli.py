"""``omc registry ...`` and ``omc verify --registry``: the ministry's workflow and the verdict on the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc._internal import atomic
from omc_vc.keys import KeyPair, save_key
from tests.fixtures.registry.world import World, world

pytestmark = pytest.mark.network

COMMANDS = ["init", "add-institution", "suspend", "reinstate", "revoke", "add-partnership", "add-did",
            "retire-did", "publish", "show", "rotate-anchors"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def w() -> Iterator[World]:
    with world() as value:
        yield value


@pytest.fixture
def ministry(tmp_path: Path, w: World) -> dict[str, Path]:
    """A working registry made with the CLI, listing the world's college and PCC, and a published copy."""
    key = tmp_path / "ministry.key"
    save_key(key, w.ministry, None, insecure_plaintext=True)
    draft = tmp_path / "draft.json"
    anchors = tmp_path / "anchors.json"
    college = w.institutions["Example College"].did
    pcc = w.institutions["Tradeskill Career College"].did
    granted = (w.now - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    steps = [
        ["registry", "init", "--anchor-key", str(key), "--out", str(draft), "--anchors-out", str(anchors),
         "--id", "https://mcu.example.gov.on.ca/omc/cli-registry"],
        ["registry", "add-institution", "--registry", str(draft), "--name", "Example College", "--type", "college",
         "--did", college, "--eqaa", "OCQAS", "--iqap-ref", "OCQAS-2024-11", "--qa-date", "2024-05-01",
         "--consent-ref", "MCU-OMC-0042", "--granted", granted, "--scope", "OMC,OMC+"],
        ["registry", "add-institution", "--registry", str(draft), "--name", "Tradeskill Career College",
         "--type", "private-career-college", "--did", pcc, "--consent-ref", "MCU-OMC-0077", "--granted", granted],
        ["registry", "add-partnership", "--registry", str(draft), "--pcc", pcc, "--partner", college,
         "--since", granted, "--reference", "MCU-PCC-0007"],
        ["registry", "publish", "--registry", str(draft), "--key", str(key), "--out", str(tmp_path / "public")],
    ]
    for step in steps:
        code, _, err = run(*step)
        assert code == 0, (step, err)
    return {"key": key, "draft": draft, "anchors": anchors, "published": tmp_path / "public" / "registry.json",
            "cache": tmp_path / "cache"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_registry_command_has_help_with_example(command: str) -> None:
    code, out, _ = run("registry", command, "--help")
    assert code == 0 and "Example:" in out and "omc registry" in out


def test_publish_writes_a_signed_registry_and_bumps_the_version(ministry: dict[str, Path]) -> None:
    published = json.loads(ministry["published"].read_text())
    assert published["type"] == ["VerifiableCredential", "OmcIssuerRegistryCredential"]
    assert published["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert published["credentialSubject"]["registry"]["version"] == 1
    draft = json.loads(ministry["draft"].read_text())
    assert draft["registry"]["version"] == 1
    code, _, _ = run("registry", "publish", "--registry", str(ministry["draft"]), "--key", str(ministry["key"]),
                     "--out", str(ministry["published"].parent))
    assert code == 0
    assert json.loads(ministry["published"].read_text())["credentialSubject"]["registry"]["version"] == 2


def test_show_working_file_and_verified_registry_as_json(ministry: dict[str, Path]) -> None:
    code, out, _ = run("registry", "show", "--registry", str(ministry["draft"]))
    assert code == 0 and "UNSIGNED working file" in out and "Example College [college] consent active" in out
    code, out, err = run("registry", "show", "--registry", str(ministry["published"]), "--anchors",
                         str(ministry["anchors"]), "--registry-cache", str(ministry["cache"]), "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["state"] == "verified" and shown["version"] == 1
    assert [i["legalName"] for i in shown["institutions"]] == ["Example College", "Tradeskill Career College"]
    assert shown["partnerships"][0]["partner"] == "Example College"


def test_show_takes_the_anchors_as_verify_does(ministry: dict[str, Path], tmp_path: Path) -> None:
    """``registry show`` and ``check-federation`` read OMC_ANCHORS (and the user config file's anchors:) as
    ``omc verify`` does: without them the shipped anchors refuse this test ministry's registry."""
    args = ["registry", "show", "--registry", str(ministry["published"]), "--registry-cache", str(tmp_path / "c"),
            "--json"]
    alone = CliRunner().invoke(cli, args, env={"OMC_ANCHORS": "", "XDG_CONFIG_HOME": str(tmp_path / "no-config")})
    assert alone.exit_code != 0 and "REGISTRY_" in alone.stderr
    named = CliRunner().invoke(cli, args, env={"OMC_ANCHORS": str(ministry["anchors"])})
    assert named.exit_code == 0, named.stderr
    assert json.loads(named.stdout)["state"] == "verified"


def test_show_refuses_registry_from_unknown_anchor(ministry: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "other-anchors.json"
    atomic.write_json(other, {"format": "omc-vc-anchors/1", "threshold": 1,
                              "keys": [{"publicKeyMultibase": KeyPair.generate().public_key.multibase}]})
    code, out, err = run("registry", "show", "--registry", str(ministry["published"]), "--anchors", str(other),
                         "--registry-cache", str(ministry["cache"]))
    assert code == 1 and out == ""
    assert err.startswith("error: REGISTRY_UNTRUSTED_SIGNER") and err.count("\n") == 1


def _verify(w: World, ministry: dict[str, Path], credential: dict, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "credential.json"
    atomic.write_json(path, credential)
    return run("verify", str(path), "--registry", str(ministry["published"]), "--anchors", str(ministry["anchors"]),
               "--registry-cache", str(ministry["cache"]), "--allow-http-loopback", *extra)


def test_verify_prints_the_verdict_first_and_exits_0_for_an_omc(w: World, ministry: dict[str, Path],
                                                                tmp_path: Path) -> None:
    code, out, err = _verify(w, ministry, w.credential("Example College", plus=True), tmp_path)
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == "Valid Ontario Micro-Credential (OMC+: counts toward a larger credential)"
    assert lines[1] == "  Institution: Example College"


def test_verify_not_an_omc_exits_0_but_says_so(w: World, ministry: dict[str, Path], tmp_path: Path) -> None:
    code, out, _ = _verify(w, ministry, w.credential("Nowhere Institute"), tmp_path, "--json")
    assert code == 0
    verdict = json.loads(out)["details"]["verdict"]
    assert verdict["status"] == "valid-not-omc" and verdict["code"] == "ISSUER_NOT_IN_REGISTRY"
    code, out, _ = _verify(w, ministry, w.credential("Tradeskill Career College"), tmp_path)
    assert code == 0 and out.startswith("Valid credential, but NOT an Ontario Micro-Credential")


def test_verify_with_tampered_registry_exits_1(w: World, ministry: dict[str, Path], tmp_path: Path) -> None:
    doc = json.loads(ministry["published"].read_text())
    doc["credentialSubject"]["registry"]["institutions"][0]["legalName"] = "Example College of Everything"
    atomic.write_json(ministry["published"], doc)
    code, out, err = _verify(w, ministry, w.credential("Example College"), tmp_path)
    assert code == 1
    assert out.startswith("NOT valid") and "REGISTRY_TAMPERED" in out + err


def test_verify_with_empty_production_anchors_fails_closed(w: World, ministry: dict[str, Path],
                                                           tmp_path: Path) -> None:
    path = tmp_path / "credential.json"
    atomic.write_json(path, w.credential("Example College"))
    code, out, err = run("verify", str(path), "--registry", str(ministry["published"]), "--registry-cache",
                       str(ministry["cache"]), "--allow-http-loopback")
    assert code == 1 and "REGISTRY_NO_ANCHORS" in err and "no trust anchors" in out


def test_demo_key_is_refused_without_demo_flag(ministry: dict[str, Path], tmp_path: Path) -> None:
    from omc_vc._internal.resources import keys_dir

    demo_key = keys_dir() / "demo-ministry.key"
    code, _, err = run("registry", "init", "--anchor-key", str(demo_key), "--out", str(tmp_path / "d.json"))
    assert code == 1 and "DEMO" in err
    code, _, err = run("registry", "init", "--anchor-key", str(demo_key), "--out", str(tmp_path / "d.json"), "--demo")
    assert code == 0, err


def test_consent_changes_through_the_cli(ministry: dict[str, Path], w: World) -> None:
    college = w.institutions["Example College"].did
    draft = str(ministry["draft"])
    assert run("registry", "suspend", college, "--registry", draft, "--reason", "review")[0] == 0
    assert run("registry", "reinstate", college, "--registry", draft)[0] == 0
    assert run("registry", "revoke", college, "--registry", draft)[0] == 0
    code, _, err = run("registry", "reinstate", college, "--registry", draft)
    assert code == 1 and "revocation is final" in err and err.count("\n") == 1
    history = json.loads(ministry["draft"].read_text())["registry"]["institutions"][0]["consent"]["history"]
    assert [h["status"] for h in history] == ["active", "suspended", "active", "revoked"]


def test_unknown_did_gives_one_line_error(ministry: dict[str, Path]) -> None:
    code, _, err = run("registry", "suspend", "did:web:nobody.example", "--registry", str(ministry["draft"]))
    assert code == 2 and err.startswith("error: REGISTRY_UNKNOWN_ISSUER") and err.count("\n") == 1


def test_rotate_anchors_through_the_cli(ministry: dict[str, Path], tmp_path: Path, w: World) -> None:
    new_key = tmp_path / "ministry-2027.key"
    save_key(new_key, KeyPair.generate(), None, insecure_plaintext=True)
    new_anchors = tmp_path / "anchors-2027.json"
    code, _, err = run("registry", "rotate-anchors", "--registry", str(ministry["draft"]), "--new-key", str(new_key),
                       "--key", str(new_key), "--anchors-out", str(new_anchors))
    assert code == 1 and "REGISTRY_THRESHOLD_NOT_MET" in err  # the old key did not sign
    code, _, err = run("registry", "rotate-anchors", "--registry", str(ministry["draft"]), "--new-key", str(new_key),
                       "--key", str(ministry["key"]), "--key", str(new_key), "--anchors-out", str(new_anchors))
    assert code == 0, err
    out_dir = ministry["published"].parent
    code, _, err = run("registry", "publish", "--registry", str(ministry["draft"]), "--key", str(new_key),
                       "--out", str(out_dir))
    assert code == 0, err
    assert (out_dir / "anchor-rotations.json").exists()
    # a verifier pinning the OLD anchors follows the rotation chain published beside the registry
    code, out, err = run("registry", "show", "--registry", str(ministry["published"]), "--anchors",
                         str(ministry["anchors"]), "--registry-cache", str(ministry["cache"]), "--json")
    assert code == 0, err
    assert json.loads(out)["signedBy"] == [json.loads(new_anchors.read_text())["keys"][0]["publicKeyMultibase"]]


def test_demo_registry_verifies_only_in_demo_mode_and_says_so(w: World, tmp_path: Path) -> None:
    from omc_vc._internal.resources import keys_dir

    demo_key = str(keys_dir() / "demo-ministry.key")
    draft = str(tmp_path / "demo-draft.json")
    granted = (w.now - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for step in (["registry", "init", "--anchor-key", demo_key, "--out", draft, "--demo"],
                 ["registry", "add-institution", "--registry", draft, "--name", "Example College", "--type", "college",
                  "--did", w.institutions["Example College"].did, "--consent-ref", "DEMO-1", "--granted", granted],
                 ["registry", "publish", "--registry", draft, "--key", demo_key, "--out", str(tmp_path), "--demo"]):
        code, _, err = run(*step)
        assert code == 0, (step, err)
    credential = tmp_path / "credential.json"
    atomic.write_json(credential, w.credential("Example College"))
    base = ["verify", str(credential), "--registry", str(tmp_path / "registry.json"), "--allow-http-loopback",
            "--registry-cache", str(tmp_path / "cache")]
    code, out, err = run(*base, "--demo")
    assert code == 0, out + err
    assert out.startswith("Valid Ontario Micro-Credential") and "DEMO ministry anchor" in out
    code, out, err = run(*base)  # without --demo: the shipped (empty) production anchors
    assert code == 1 and "REGISTRY_NO_ANCHORS" in err
