"""A registrar's, a learner's and an employer's day at the command line under ``LANG=fr_CA.UTF-8``: no English left.

Each command's output (stdout and stderr) is read against every English text of ours (the catalog's message
ids, tests/english_left.py) once the documents' own words are set aside: the roster's names, the catalogue's
achievement names, the institution's name, the credentials' text (shown as written) and identifiers. What stays
English on purpose is named in ``AS_WRITTEN``: codes a script matches (``error: CODE:``, check names' states in
``--json``) and values the policy writes as data.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from omc_vc.cli.main import cli

from omc_vc.keys import KeyPair, save_key
from tests.english_left import english_in, english_phrases
from tests.fixtures.omc.sample import make_institution
from tests.unit import test_wallet_cli
from tests.unit.test_wallet_cli import verify_args, wallet_args

FRENCH = {**test_wallet_cli.ENV, "LANG": "fr_CA.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}

status_server = test_wallet_cli.status_server
ready = test_wallet_cli.ready


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _documents(folder: Path) -> list[str]:
    """The words the documents bring (shown as written, in the language they were written in)."""
    found: list[str] = []
    for path in folder.rglob("*"):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            found += _strings(yaml.safe_load(path.read_text(encoding="utf-8")))
        elif path.suffix == ".json" and path.is_file():
            try:
                found += _strings(json.loads(path.read_text(encoding="utf-8")))
            except ValueError:
                continue
        elif path.suffix == ".csv" and path.is_file():
            with path.open(encoding="utf-8", newline="") as handle:
                found += [cell for row in csv.reader(handle) for cell in row]
    return [text.strip() for text in found if len(text.strip()) >= 3]


class Day:
    """Runs commands in French and keeps everything they said."""

    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def run(self, *args: str, ok: bool = True, input: str | None = None) -> Result:
        result = CliRunner().invoke(cli, list(args), env=FRENCH, prog_name="omc", input=input)
        if ok:
            assert result.exit_code == 0, (args, result.output)
        command = " ".join(args[:3])
        self.said += [(command, line) for line in (result.stdout + result.stderr).splitlines()]
        return result

    def english(self, documents: list[str]) -> list[str]:
        left = []
        for command, line in self.said:
            if line.lstrip().startswith(("omc ", "OMC_", "cat ", "rsync ", "curl ")):
                continue  # an example's command line, in a help page: code
            found = english_in(line, documents)
            if found:
                left.append(f"omc {command}: {line!r}: {found}")
        return left


def test_the_leftover_check_finds_english() -> None:
    """The check below would pass on any output if it could not see English."""
    assert len(english_phrases()) > 500
    assert english_in("error: INPUT_NOT_FOUND: cannot read x.json: no such file", []) != []
    assert english_in("  [ÉCHEC] signature : la signature ne correspond pas au document", []) == []


def test_a_french_day_at_the_command_line_leaves_no_english(tmp_path: Path, ready: dict[str, Any]) -> None:
    day = Day()
    config, _ = make_institution(tmp_path / "college", suspension=True)
    conf = str(config.path)
    folder = tmp_path / "college"
    # the registrar: a roster (with its bad rows), the records, a suspension, a revocation, the lists, the report
    day.run("issue", "--config", conf, "--roster", str(folder / "roster.csv"), "--out", str(folder / "issued"),
            "--workers", "1", ok=False)
    day.run("records", "list", "--config", conf)
    day.run("records", "show", "--config", conf, "Ana Silva")
    day.run("records", "search", "--config", conf, "--name", "Ana")
    day.run("status", "suspend", "--config", conf, "Chloé Tremblay", "--reason", "enquête", "--yes")
    day.run("status", "revoke", "--config", conf, "Ben Okafor", "--yes")
    day.run("status", "revoke", "--config", conf, "Ben Okafor", "--yes")  # nothing changes, and it says why
    day.run("status", "publish", "--config", conf, "--out", str(tmp_path / "public"))
    day.run("report", "--config", conf, "--from", "2026-01-01", "--to", "2030-12-31")
    day.run("catalogue", "export", "--config", conf, "--out", str(tmp_path / "catalogue.json"), ok=False)
    day.run("offer", "create", "--config", conf, "--achievement", "weld-101", "--learner-name", "Dana Roy", ok=False)
    day.run("offer", "list", "--config", conf)
    day.run("policy", "show")
    day.run("policy", "check", str(next((folder / "issued").glob("*.json"))))
    day.run("keys", "generate", "--out", str(tmp_path / "new.key"), "--insecure-plaintext")
    day.run("keys", "show", str(tmp_path / "new.key"))
    # the learner: a wallet, an import, its list and details, the stacking progress, a QR code
    day.run("wallet", "import", str(ready["cred"]), *wallet_args(ready), *verify_args(ready))
    day.run("wallet", "list", *wallet_args(ready))
    day.run("wallet", "check", *wallet_args(ready), *verify_args(ready), ok=False)
    day.run("wallet", "stacks", *wallet_args(ready))
    # the employer: a valid credential, a forged one, an unreadable file
    day.run("verify", str(ready["cred"]), *verify_args(ready))
    forged = json.loads(Path(ready["cred"]).read_text(encoding="utf-8"))
    forged["credentialSubject"]["achievement"]["name"] = "Forged"
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    day.run("verify", str(tmp_path / "forged.json"), *verify_args(ready), ok=False)
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    day.run("verify", str(tmp_path / "broken.json"), ok=False)
    # the ministry: a registry made, an institution listed, suspended and reinstated, published, shown; the
    # employer's verdict with it (the wallet's college is not listed: a valid credential that is NOT an OMC)
    key = tmp_path / "ministry.key"
    save_key(key, KeyPair.generate(), None, insecure_plaintext=True)
    draft, anchors, public = tmp_path / "draft.json", tmp_path / "anchors.json", tmp_path / "registry-public"
    college_did = config.did
    day.run("registry", "init", "--anchor-key", str(key), "--out", str(draft), "--anchors-out", str(anchors),
            "--id", "https://mcu.example.gov.on.ca/omc/registry")
    day.run("registry", "add-institution", "--registry", str(draft), "--name", "Collège Exemple", "--type", "college",
            "--did", college_did, "--consent-ref", "MCU-OMC-0042", "--granted", "2025-01-01T00:00:00Z",
            "--scope", "OMC,OMC+")
    day.run("registry", "suspend", college_did, "--registry", str(draft), "--reason", "décision")
    day.run("registry", "reinstate", college_did, "--registry", str(draft))
    day.run("registry", "publish", "--registry", str(draft), "--key", str(key), "--out", str(public))
    day.run("registry", "show", "--draft", str(draft))
    day.run("registry", "show", "--registry", str(public / "registry.json"), "--anchors", str(anchors),
            "--registry-cache", str(tmp_path / "cache"))
    day.run("verify", str(ready["cred"]), *verify_args(ready), "--registry", str(public / "registry.json"),
            "--anchors", str(anchors), "--registry-cache", str(tmp_path / "cache"))
    # mistakes: an option that does not exist, a missing argument, a file that is not there, the help
    day.run("verify", "--nope", ok=False)
    day.run("issue", "--config", conf, ok=False)
    day.run("records", "show", "--config", conf, "Nobody Here", ok=False)
    day.run("--help")
    day.run("wallet", "--help")
    day.run("issue", "--help")
    documents = [*_documents(tmp_path), "Forged", "enquête", "Dana Roy", "décision", "Collège Exemple"]
    left = day.english([*documents, *_as_written()])
    assert len(day.said) > 150
    assert not left, "\n".join(left)


#: Text that stays as written in French output, on purpose: codes, names and data, not words.
AS_WRITTEN = [
    "error:", "warning:",  # the ``error: CODE: detail`` form a script matches
    "passed", "failed", "skipped",  # a check's status in ``wallet check`` (a code, as --json writes it)
    "registry:", "anchors:",  # the user configuration file's keys
    "mode link", "mode short", "link :", "«\u00a0superseded\u00a0»", "superseded)",  # option values and codes
    "active", "note",  # French words spelled as the English ones
    # the system's own words, shown as the system gave them (Python's JSON reader, like strerror)
    "Expecting property name enclosed in double quotes",
]


def _as_written() -> list[str]:
    """:data:`AS_WRITTEN`, each command's name (the listing of ``--help`` names them) and the policy's own values
    (qualification categories: data the policy writes, shown as written)."""
    from omc_vc.omc.policy import load_policy

    names: list[str] = []

    def walk(command: Any) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            names.append(name)
            walk(sub)

    walk(cli)
    policy = load_policy()
    return [*AS_WRITTEN, *(f"  {name} " for name in names), *_strings(policy.to_json())]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMC_REGISTRY", "")
