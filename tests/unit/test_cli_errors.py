"""One error form across the CLI: click's own usage errors come out as ``error: USAGE_ERROR: ...``."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli


@pytest.mark.parametrize(("args", "expected"), [
    (["--bogus"], "No such option '--bogus'. (see 'omc --help')"),
    (["verify"], "Missing argument 'FILE'. (see 'omc verify --help')"),
    (["wallet", "export", "x", "--format", "docx"], "Invalid value for '--format'"),
    (["keys", "generate", "--type", "rsa"], "Invalid value for '--type'"),
    (["no-such-command"], "No such command 'no-such-command'."),
])
def test_usage_errors_are_one_coded_line_and_exit_2(args: list[str], expected: str) -> None:
    result = CliRunner().invoke(cli, args, prog_name="omc")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: USAGE_ERROR: ")
    assert expected in lines[0]
    assert "Usage:" not in result.output and "Error:" not in result.output


def test_missing_input_file_has_its_code() -> None:
    result = CliRunner().invoke(cli, ["verify", "/nonexistent/omc.json"], prog_name="omc")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: INPUT_NOT_FOUND: cannot read /nonexistent/omc.json: no such file"


@pytest.mark.parametrize("args", [[], ["wallet"], ["registry"]])
def test_a_group_alone_prints_its_help(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, prog_name="omc")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: omc")


# --- one vocabulary --------------------------------------------------------------------------------

def _help(args: list[str]) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="omc")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("args", [["wallet", "qr"], ["wallet", "export"], ["qr", "encode"], ["serve"],
                                  ["registry", "add-institution"]])
def test_the_verifier_service_is_verifier_url_everywhere(args: list[str]) -> None:
    text = _help(args)
    assert "--verifier-url" in text
    for old in ("--base-url", "--service ", "--public-url", "--verifier "):
        assert old not in text, (args, old)


@pytest.mark.parametrize("args", [["registry", "add-institution"], ["registry", "publish"],
                                  ["registry", "suspend"], ["registry", "set-federation"]])
def test_the_ministry_working_file_is_draft(args: list[str]) -> None:
    text = _help(args)
    assert "--draft FILE" in text and "--registry" not in text


def test_registry_show_takes_a_draft_or_a_published_registry(tmp_path: Any) -> None:
    text = _help(["registry", "show"])
    assert "--draft FILE" in text and "--registry URL-or-PATH" in text and "--url" not in text
    draft = tmp_path / "registry-draft.json"
    made = CliRunner().invoke(cli, ["registry", "init", "--anchor-key", "keys/demo-ministry.key", "--demo",
                                    "--out", str(draft)], prog_name="omc")
    assert made.exit_code == 0, made.output
    for option in ("--draft", "--registry"):  # the old spelling of a working file still shows it as one
        shown = CliRunner().invoke(cli, ["registry", "show", option, str(draft), "--json"], prog_name="omc")
        assert shown.exit_code == 0, shown.output
        assert '"UNSIGNED working file"' in shown.stdout


def test_older_spellings_still_work(tmp_path: Any) -> None:
    result = CliRunner().invoke(cli, ["qr", "encode", "missing.json", "--out", str(tmp_path / "q.png"),
                                      "--base-url", "https://verify.example.ca"], prog_name="omc")
    # the option was accepted: the error is about the missing input, not the option
    assert result.exit_code == 2 and "INPUT_NOT_FOUND" in result.stderr


# --- never over an existing file -------------------------------------------------------------------

def test_out_never_replaces_an_existing_file_without_force(tmp_path: Any) -> None:
    """Every --out that writes one file refuses an existing one before doing anything (a registrar's or a
    learner's earlier file silently lost); --force replaces it."""
    key = tmp_path / "k.key"
    made = CliRunner().invoke(cli, ["keys", "generate", "--out", str(key), "--insecure-plaintext"], prog_name="omc")
    assert made.exit_code == 0, made.output
    out = tmp_path / "public.json"
    out.write_text("precious\n")
    refused = CliRunner().invoke(cli, ["keys", "export", str(key), "--out", str(out)], prog_name="omc")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: FILE_EXISTS: ") and "--force" in refused.stderr
    assert out.read_text() == "precious\n"
    forced = CliRunner().invoke(cli, ["keys", "export", str(key), "--out", str(out), "--force"], prog_name="omc")
    assert forced.exit_code == 0, forced.output
    assert "publicKeyMultibase" in out.read_text()


@pytest.mark.parametrize("args", [["sign"], ["did", "web"], ["keys", "export"], ["endorse"], ["wallet", "export"],
                                  ["wallet", "present"], ["wallet", "qr"], ["qr", "encode"]])
def test_every_single_file_out_offers_force(args: list[str]) -> None:
    text = _help(args)
    assert "--out FILE" in text and "--force" in text


# --- the wallet's verdict line in the reader's language -------------------------------------------------------

def test_wallet_verdict_line_follows_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from omc_vc.cli.wallet import _verdict_line

    item = SimpleNamespace(verdict={"status": "invalid", "revoked": True,
                                    "headline": "NOT valid: do not rely on this credential",
                                    "translations": {"fr": {"headline": "NON valide : ne vous y fiez pas"}}})
    monkeypatch.setenv("LC_ALL", "en_CA.UTF-8")
    assert _verdict_line(item) == "INVALID - REVOKED: NOT valid: do not rely on this credential"  # type: ignore[arg-type]
    monkeypatch.setenv("LC_ALL", "fr_CA.UTF-8")
    assert _verdict_line(item) == "NON VALIDE - RÉVOQUÉE\u00a0: NON valide : ne vous y fiez pas"  # type: ignore[arg-type]


def test_wallet_stacks_export_never_replaces_a_file_without_force(tmp_path: Any) -> None:
    out = tmp_path / "bundle.json"
    out.write_text("precious\n")
    result = CliRunner().invoke(cli, ["wallet", "stacks", "--wallet", str(tmp_path / "w"), "--export", str(out)],
                                prog_name="omc")
    assert result.exit_code == 2 and result.stderr.startswith("error: FILE_EXISTS: ")
    assert out.read_text() == "precious\n"
    assert "--force" in _help(["wallet", "stacks"])


def test_wallet_init_and_settings_name_the_learner_alike() -> None:
    assert "--learner-name NAME" in _help(["wallet", "init"]) and "--name" not in _help(["wallet", "init"])
    assert "--learner-name NAME" in _help(["wallet", "settings"])
