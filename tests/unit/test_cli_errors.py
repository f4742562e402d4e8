"""One error form across the CLI: click's own usage errors come out as ``error: USAGE_ERROR: ...``."""

from __future__ import annotations

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
