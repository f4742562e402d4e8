"""The registrar at the command line: omc records (list, search, show, export), omc status by a learner's
name with a reason and a confirmation, plain "nothing changed" answers, omc issue --replaces and --force,
Ctrl-C's exit 130, and configuration errors that point at the line and column."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from omc_vc.cli import records as records_cli
from omc_vc.cli.main import cli

from omc_vc.issue.records import claims_of
from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.proofs import jose
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import make_institution


def _run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


@pytest.fixture
def institution(tmp_path: Path) -> tuple[Path, Path]:
    """A college that issued the sample roster (5 credentials): its config file and the issued folder."""
    config, _ = make_institution(tmp_path, suspension=True)
    out = tmp_path / "issued"
    result = _run("issue", "--config", str(config.path), "--roster", str(tmp_path / "roster.csv"), "--out", str(out),
                  "--workers", "1")
    assert result.exit_code == 1, result.output  # the sample's bad rows are reported, the good ones issued
    return config.path, out


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_records_list_search_show(institution) -> None:
    config, _ = institution
    listed = _json(_run("records", "list", "--config", str(config), "--json"))
    assert listed["count"] == 5 and {r["state"] for r in listed["records"]} == {"active"}
    found = _json(_run("records", "search", "--config", str(config), "chloe tremblay", "--json"))
    assert [r["learner"] for r in found["records"]] == ["Chloé Tremblay"]
    assert _json(_run("records", "search", "--config", str(config), "--student-number", "S1002003",
                      "--json"))["records"][0]["learner"] == "Ben Okafor"
    assert _json(_run("records", "search", "--config", str(config), "--email", "ANA.SILVA@example.ca",
                      "--json"))["records"][0]["learner"] == "Ana Silva"
    safety = _run("records", "list", "--config", str(config), "--achievement", "safety-100", "--json")
    assert _json(safety)["count"] == 2
    shown = _json(_run("records", "show", "--config", str(config), "Ana Silva", "--json"))
    assert shown["achievement"] == "weld-101" and shown["achievementName"] == "Structural Welding Fundamentals"
    assert shown["completed"] == "2026-06-12" and shown["result"] == "Pass"
    assert shown["evidence"] == ["https://college.example.ca/evidence/ana"]
    assert [e["action"] for e in shown["history"]] == ["issue"]
    human = _run("records", "show", "--config", str(config), "S1002003")
    assert human.exit_code == 0 and "Ben Okafor (student:S1002003)" in human.stdout
    missing = _run("records", "show", "--config", str(config), "Nobody Here")
    assert missing.exit_code == 2 and "NOT_FOUND" in missing.stderr
    bare = _run("records", "search", "--config", str(config))
    assert bare.exit_code == 2 and "USAGE_ERROR" in bare.stderr


def test_a_search_naming_several_credentials_lists_them_and_changes_nothing(institution, tmp_path: Path) -> None:
    config, _ = institution
    second = _run("issue", "--config", str(config), "--achievement", "weld-102", "--learner-name", "Ana Silva",
                  "--learner-email", "ana.silva@example.ca", "--completed", "2026-06-20", "--out",
                  str(tmp_path / "ana-102.json"), "--json")
    weld_102 = _json(second)["id"]
    shown = _run("records", "show", "--config", str(config), "Ana Silva")
    assert shown.exit_code == 2 and "AMBIGUOUS: 2 credentials match 'Ana Silva'" in shown.stderr
    assert weld_102 in shown.stderr and "--achievement" in shown.stderr
    revoke = _run("status", "revoke", "--config", str(config), "Ana Silva", "--yes")
    assert revoke.exit_code == 2 and "AMBIGUOUS" in revoke.stderr
    assert _json(_run("records", "list", "--config", str(config), "--state", "active", "--json"))["count"] == 6
    narrowed = _run("status", "revoke", "--config", str(config), "Ana Silva", "--achievement", "weld-102", "--yes")
    assert narrowed.exit_code == 0 and weld_102 in narrowed.stdout


def test_records_export_one_credential_as_issued_and_as_a_jwt(institution, tmp_path: Path) -> None:
    config, out = institution
    ana = json.loads(next(out.glob("ana-silva-*.json")).read_text())
    exported = _run("records", "export", "--config", str(config), "Ana Silva", "--out", str(tmp_path / "a.json"))
    assert exported.exit_code == 0, exported.output
    assert json.loads((tmp_path / "a.json").read_text()) == ana  # the signed credential, as issued
    again = _run("records", "export", "--config", str(config), "Ana Silva", "--out", str(tmp_path / "a.json"))
    assert again.exit_code == 2 and "FILE_EXISTS" in again.stderr  # never over a file without --force
    token = _run("records", "export", "--config", str(config), ana["id"], "--format", "jwt").stdout.strip()
    assert jose.is_jwt(token)
    result = Verifier().verify(token, checks=["proof"])
    assert result.verified, result.reason
    payload = claims_of(jose.envelope(token))
    assert payload is not None and payload["id"] == ana["id"] and "proof" not in payload
    assert payload["credentialSubject"] == ana["credentialSubject"]


def test_records_export_csv_for_a_registrarial_system(institution) -> None:
    config, _ = institution
    result = _run("records", "export", "--config", str(config), "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 5
    ben = next(r for r in rows if r["learner_name"] == "Ben Okafor")
    assert ben["student_number"] == "S1002003" and ben["state"] == "active" and ben["completed"] == "2026-06-12"
    assert ben["achievement_name"] == "Structural Welding Fundamentals"
    # a roster name that is a spreadsheet formula stays text (OWASP CSV injection)
    assert not any(r["learner_name"].startswith(("=", "+", "@", "-")) for r in rows)
    assert "'=HYPERLINK(\"http://evil.example\")" in {r["learner_name"] for r in rows}
    as_json = _json(_run("records", "export", "--config", str(config), "--format", "json", "--state", "active"))
    assert as_json["count"] == 5 and all("history" in r for r in as_json["records"])


def test_revoke_by_name_with_a_reason_then_nothing_changes(institution) -> None:
    config, _ = institution
    revoked = _run("status", "revoke", "--config", str(config), "Ben Okafor", "--reason", "academic misconduct")
    assert revoked.exit_code == 0, revoked.output
    assert "revoked: urn:uuid:" in revoked.stdout and "reason: academic misconduct" in revoked.stdout
    shown = _json(_run("records", "show", "--config", str(config), "Ben Okafor", "--json"))
    assert shown["state"] == "revoked"
    assert [(e["action"], e["reason"]) for e in shown["history"]] == [("issue", None),
                                                                      ("revoke", "academic misconduct")]
    twice = _run("status", "revoke", "--config", str(config), "Ben Okafor", "--json")
    body = _json(twice)
    assert body["changed"] is False and "already revoked" in body["nothingChangedBecause"]
    plain = _run("status", "suspend", "--config", str(config), "Ben Okafor")
    assert plain.exit_code == 0 and plain.stdout.startswith("nothing changed: ") and "revoked" in plain.stdout
    lifted = _run("status", "unsuspend", "--config", str(config), "Ben Okafor")
    assert lifted.exit_code == 2 and "STATUS_IRREVERSIBLE" in lifted.stderr
    # the reason stays in the records: the status list the verifiers fetch carries bits only
    published = _run("status", "publish", "--config", str(config), "--out", str(config.parent / "public"))
    assert published.exit_code == 0
    assert "misconduct" not in "".join(p.read_text() for p in (config.parent / "public").iterdir())


def test_a_status_change_on_a_terminal_asks_first(institution, monkeypatch) -> None:
    config, _ = institution
    monkeypatch.setattr(records_cli, "interactive", lambda: True)
    monkeypatch.setattr("omc_vc.cli.omc.interactive", lambda: True)
    declined = _run("status", "suspend", "--config", str(config), "Chloé Tremblay", input="n\n")
    assert declined.exit_code == 1 and "CANCELLED" in declined.stderr
    assert "Suspend urn:uuid:" in declined.stderr and "Chloé Tremblay" in declined.stderr
    assert _json(_run("records", "show", "--config", str(config), "Chloé", "--json"))["state"] == "active"
    accepted = _run("status", "suspend", "--config", str(config), "Chloé Tremblay", input="y\n")
    assert accepted.exit_code == 0 and "suspended: " in accepted.stdout
    assert _json(_run("records", "show", "--config", str(config), "Chloé", "--json"))["state"] == "suspended"
    # --yes: no question
    lifted = _run("status", "unsuspend", "--config", str(config), "Chloé Tremblay", "--yes")
    assert lifted.exit_code == 0 and "suspension lifted" in lifted.stdout and "Go ahead" not in lifted.stderr


def test_issue_out_never_overwrites_without_force(institution, tmp_path: Path) -> None:
    config, _ = institution
    target = tmp_path / "mei.json"
    target.write_text("precious\n")
    args = ["issue", "--config", str(config), "--achievement", "weld-102", "--learner-name", "Mei Wong",
            "--learner-email", "mei@example.ca", "--completed", "2026-06-12", "--out", str(target)]
    refused = _run(*args)
    assert refused.exit_code == 2 and "FILE_EXISTS" in refused.stderr and "--force" in refused.stderr
    assert target.read_text() == "precious\n"
    assert _json(_run("records", "search", "--config", str(config), "Mei Wong", "--json"))["count"] == 0
    forced = _run(*args, "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(target.read_text())["type"] == ["VerifiableCredential", "OpenBadgeCredential"]


def test_issue_replaces_fixes_a_name_and_says_so(institution, tmp_path: Path) -> None:
    config, out = institution
    ben = json.loads(next(out.glob("ben-okafor-*.json")).read_text())
    same = _run("issue", "--config", str(config), "--achievement", "weld-101", "--learner-name", "Ben Okafor",
                "--learner-student-number", "S1002003", "--completed", "2026-06-12", "--out", str(tmp_path / "b.json"))
    assert same.exit_code == 2 and f"--replaces {ben['id']}" in same.stderr  # the refusal says how to correct it
    fixed = _run("issue", "--config", str(config), "--achievement", "weld-101", "--learner-name", "Benjamin Okafor",
                 "--learner-student-number", "S1002003", "--completed", "2026-06-12", "--replaces",
                 str(next(out.glob("ben-okafor-*.json"))), "--out", str(tmp_path / "b.json"))
    assert fixed.exit_code == 0, fixed.output
    assert f"it replaces {ben['id']}, now revoked (superseded)" in fixed.stderr
    old = _json(_run("records", "show", "--config", str(config), ben["id"], "--json"))
    new = _json(_run("records", "show", "--config", str(config), "Benjamin Okafor", "--json"))
    assert old["state"] == "superseded" and old["replacedBy"] == new["id"] and new["replaces"] == ben["id"]
    assert [(e["action"], e["reason"]) for e in old["history"]][-1] == ("revoke", "superseded")
    reason = _run("issue", "--config", str(config), "--achievement", "weld-101", "--learner-name", "X",
                  "--learner-email", "x@example.ca", "--reason", "typo")
    assert reason.exit_code == 2 and "--reason goes with --replaces" in reason.stderr


def test_reissue_after_revocation_through_the_cli(institution, tmp_path: Path) -> None:
    config, _ = institution
    assert _run("status", "revoke", "--config", str(config), "Ana Silva", "--reason", "wrong cohort").exit_code == 0
    again = _run("issue", "--config", str(config), "--achievement", "weld-101", "--learner-name", "Ana Silva",
                 "--learner-email", "ana.silva@example.ca", "--completed", "2026-06-12", "--out",
                 str(tmp_path / "ana2.json"), "--json")
    body = _json(again)
    assert body["reissueOf"] and "stays revoked" in again.stderr


def test_ctrl_c_in_a_roster_exits_130_saying_the_rerun_resumes(tmp_path: Path, monkeypatch) -> None:
    config, _ = make_institution(tmp_path, suspension=False)
    real = SqliteStore.complete
    calls = {"n": 0}

    def ctrl_c_on_fourth(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SqliteStore, "complete", ctrl_c_on_fourth)
    args = ["issue", "--config", str(config.path), "--roster", str(tmp_path / "roster.csv"), "--out",
            str(tmp_path / "out"), "--workers", "1"]
    stopped = _run(*args)
    assert stopped.exit_code == 130
    line = stopped.stderr.strip().splitlines()[-1]
    assert line.startswith("error: INTERRUPTED: 3 credential(s) issued by this run")
    assert "run the same command again to resume" in line
    monkeypatch.setattr(SqliteStore, "complete", real)
    resumed = _run(*args)
    assert resumed.exit_code == 1  # the sample roster's bad rows, as on any run
    assert "3 already issued (skipped)" in resumed.stdout


def test_a_semicolon_roster_is_read(tmp_path: Path) -> None:
    config, _ = make_institution(tmp_path, suspension=False)
    roster = tmp_path / "excel.csv"
    roster.write_text("Name;E-mail;Achievement;Completion Date\nAna Silva;ana@example.ca;weld-101;2026-06-12\n",
                      encoding="utf-8-sig")
    result = _run("issue", "--config", str(config.path), "--roster", str(roster), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 issued")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  ttl_minutes: 60", "  ttl_minutes: sixty", "status.ttl_minutes must be an integer"),
    ("status:\n", "colour: blue\nstatus:\n", "unknown key 'colour'"),
])
def test_configuration_errors_name_the_line_and_column(tmp_path: Path, old: str, new: str, message: str) -> None:
    config, _ = make_institution(tmp_path)
    text = config.path.read_text()
    line = text[:text.index(old)].count("\n") + 1  # the bad key is written where ``old`` starts
    column = len(new) - len(new.lstrip(" ")) + 1
    config.path.write_text(text.replace(old, new, 1))
    result = _run("records", "list", "--config", str(config.path))
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.strip().endswith(
        f"(institution.yaml line {line}, column {column})"), result.stderr


def test_a_catalogue_error_names_the_catalogue_file_line_and_column(tmp_path: Path) -> None:
    config, _ = make_institution(tmp_path)
    catalogue = config.path.parent / "catalogue.yaml"
    lines = catalogue.read_text().splitlines()
    number = lines.index("    id: https://college.example.ca/achievements/weld-102") + 1
    catalogue.write_text(catalogue.read_text().replace("    id: https://college.example.ca/achievements/weld-102",
                                                       "    id: weld-102"))
    result = _run("records", "list", "--config", str(config.path))
    assert result.exit_code == 2
    assert f"(catalogue.yaml line {number}, column 5)" in result.stderr, result.stderr
