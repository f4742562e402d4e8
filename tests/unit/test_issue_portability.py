"""Which OMCs travel: the portable profile (Ed25519, eddsa-rdfc-2022) is the default, and ``omc issue`` warns
(one stderr line, exit code unchanged) when the institution's key makes its OMCs unverifiable in DCC's
verifier-core. tests/interop/test_interop_js.py checks the claim against verifier-core itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from omc_vc.cli.main import cli

from omc_vc.issue.portability import DCC_VERIFIABLE_SUITES, is_portable, portability_warning
from omc_vc.keys import KeyPair, load_key
from tests.fixtures.omc.sample import make_institution

WARNING = "warning: NOT_PORTABLE: "


def _cli(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def _warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning: ")]


def test_only_ed25519_with_an_eddsa_rdfc_or_2020_suite_is_portable() -> None:
    assert DCC_VERIFIABLE_SUITES == {"eddsa-rdfc-2022", "Ed25519Signature2020"}
    assert is_portable("ed25519") and is_portable(KeyPair.generate("ed25519"))
    assert is_portable(KeyPair.generate().public_key, "Ed25519Signature2020")
    assert not is_portable("ed25519", "eddsa-jcs-2022")  # right key, a suite verifier-core does not know
    for key_type in ("p256", "p384"):
        assert not is_portable(key_type)
        assert not is_portable(KeyPair.generate(key_type))  # type: ignore[arg-type]
    assert portability_warning("ed25519") is None
    warning = portability_warning("p256")
    assert warning is not None and "\n" not in warning
    assert "p256 key (ecdsa-rdfc-2019)" in warning and "omc keys generate --type ed25519" in warning
    assert "p384 key (ecdsa-rdfc-2019)" in (portability_warning("p384") or "")


def test_the_default_key_and_suite_are_the_portable_profile(tmp_path: Path) -> None:
    """`omc keys generate` without --type, KeyPair.generate() and the sample institution all sign with
    Ed25519 / eddsa-rdfc-2022, and `omc issue` with them prints no warning."""
    assert KeyPair.generate().key_type == "ed25519"
    generated = _cli("keys", "generate", "--out", tmp_path / "issuer.key", "--insecure-plaintext")
    assert generated.exit_code == 0, generated.output
    assert is_portable(load_key(tmp_path / "issuer.key"))
    config, _ = make_institution(tmp_path / "inst", key=load_key(tmp_path / "issuer.key"))
    out = tmp_path / "ana.json"
    result = _cli("issue", "--config", config.path, "--achievement", "weld-101", "--learner-name", "Ana Silva",
                  "--learner-email", "ana@example.ca", "--out", out)
    assert result.exit_code == 0, result.output
    assert _warnings(result) == []
    assert json.loads(out.read_text(encoding="utf-8"))["proof"]["cryptosuite"] == "eddsa-rdfc-2022"


@pytest.mark.parametrize("key_type", ["p256", "p384"])
def test_single_issue_with_an_ecdsa_key_warns_once_and_still_issues(tmp_path: Path, key_type: str) -> None:
    config, _ = make_institution(tmp_path, key=KeyPair.generate(key_type))  # type: ignore[arg-type]
    out = tmp_path / "ana.json"
    result = _cli("issue", "--config", config.path, "--achievement", "weld-101", "--learner-name", "Ana Silva",
                  "--learner-email", "ana@example.ca", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    assert _warnings(result) == [f"warning: NOT_PORTABLE: {portability_warning(key_type)}"]
    assert json.loads(result.stdout)["achievement"] == "weld-101"  # --json stdout stays one JSON document
    assert json.loads(out.read_text(encoding="utf-8"))["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"


def test_roster_issue_with_a_p256_key_warns_once_and_keeps_its_exit_code(tmp_path: Path) -> None:
    """The sample roster has five bad rows (exit 1 either way): the warning changes neither the exit code
    nor the report, and is printed once for the run, not per credential."""
    portable, _ = make_institution(tmp_path / "ed25519")
    p256, _ = make_institution(tmp_path / "p256", key=KeyPair.generate("p256"))
    runs = {name: _cli("issue", "--config", config.path, "--roster", config.path.parent / "roster.csv",
                       "--out", config.path.parent / "out", "--json", "--workers", "1")
            for name, config in (("ed25519", portable), ("p256", p256))}
    assert runs["ed25519"].exit_code == runs["p256"].exit_code == 1
    assert _warnings(runs["ed25519"]) == []
    assert len(_warnings(runs["p256"])) == 1 and _warnings(runs["p256"])[0].startswith(WARNING)
    reports = {name: json.loads(run.stdout) for name, run in runs.items()}
    assert reports["ed25519"]["issued"] == reports["p256"]["issued"] == 5
