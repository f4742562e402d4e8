"""The registrar's day from the README ("The registrar's records"), played on a fresh institution through the
``omc`` command line: issue a roster, find a learner by name, fix a misspelled name by a correction, revoke
another learner's credential with a reason, publish the status lists, export the records for the
registrarial system, the report for the ministry and the catalogue. At the end a verifier that fetches the
published lists finds the corrected credential valid, the misspelled one and the revoked one invalid."""

from __future__ import annotations

import csv
import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from omc_vc.cli.main import cli

from omc_vc._internal.fetch import Fetcher
from omc_vc.checks.status import StatusListCheck
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import make_institution

ROSTER = """Name;Student Number;E-mail;Achievement;Completion Date;Result;Evidence URL
Kiri Sing;S1002003;kiri@example.ca;weld-101;2026-06-12;Pass;https://college.example.ca/evidence/kiri
Ben Okafor;S1002004;ben@example.ca;weld-101;2026-06-12;Merit;
Chloé Tremblay;S1002005;chloe@example.ca;weld-102;2026-06-19;Pass;
Dana Nowak;S1002006;dana@example.ca;safety-100;2026-06-20;Pass;
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def public(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The institution's web folder, served on loopback: (status base URL, folder)."""
    root = tmp_path / "public"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/status/", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def omc(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, (args, result.output)
    return result


def _verified(path: Path) -> tuple[bool, str]:
    fetcher = Fetcher(allow_loopback=True)
    result = Verifier(fetcher=fetcher, extra_checks=[StatusListCheck(fetcher)]).verify(path.read_bytes())
    return result.verified, result.reason


def test_a_registrars_day(tmp_path: Path, public: tuple[str, Path]) -> None:
    base_url, web = public
    config, _ = make_institution(tmp_path / "college", base_url=base_url, suspension=False)
    # a fresh institution: its catalogue holds only what it offers (the sample's two policy-breaking entries go)
    catalogue = config.path.parent / "catalogue.yaml"
    text = catalogue.read_text(encoding="utf-8")
    catalogue.write_text(text[:text.index("  bad-four-noc:")], encoding="utf-8")
    conf = str(config.path)
    cohort = tmp_path / "cohort.csv"
    cohort.write_text(ROSTER, encoding="utf-8-sig")  # a spreadsheet's export: a BOM and semicolons

    # 1. issue the roster
    issued = omc("issue", "--config", conf, "--roster", str(cohort), "--out", str(tmp_path / "issued"))
    assert issued.stdout.startswith("4 issued, 0 already issued (skipped), 0 bad row(s)")

    # 2. find a learner by name (the registrar does not know the misspelling: any part of the name will do)
    found = json.loads(omc("records", "search", "--config", conf, "kiri", "--json").stdout)
    assert [r["learner"] for r in found["records"]] == ["Kiri Sing"]
    typo = found["records"][0]
    shown = json.loads(omc("records", "show", "--config", conf, "S1002003", "--json").stdout)
    assert shown["id"] == typo["id"] and shown["state"] == "active" and shown["completed"] == "2026-06-12"
    typo_file = tmp_path / "issued" / typo["file"]

    # 3. fix the name: the corrected credential replaces the misspelled one
    fixed = omc("issue", "--config", conf, "--achievement", "weld-101", "--learner-name", "Kiri Singh",
                "--learner-student-number", "S1002003", "--learner-email", "kiri@example.ca", "--completed",
                "2026-06-12", "--result", "Pass", "--replaces", typo["id"], "--out", str(tmp_path / "kiri.json"))
    assert f"it replaces {typo['id']}, now revoked (superseded)" in fixed.stderr
    kiri = json.loads(omc("records", "show", "--config", conf, "Kiri Singh", "--json").stdout)
    assert kiri["replaces"] == typo["id"] and kiri["state"] == "active"

    # 4. revoke another learner's credential with a reason (named by name; no terminal, so no question)
    revoked = omc("status", "revoke", "--config", conf, "Ben Okafor", "--reason",
                  "academic integrity decision 2026-114")
    assert revoked.stdout.startswith("revoked: ")
    ben = json.loads(omc("records", "show", "--config", conf, "Ben Okafor", "--json").stdout)
    assert ben["history"][-1] == {"at": ben["revoked"], "action": "revoke",
                                  "reason": "academic integrity decision 2026-114"}
    omc("status", "publish", "--config", conf, "--out", str(web / "status"))

    # 5. export the records for the registrarial system
    omc("records", "export", "--config", conf, "--format", "csv", "--out", str(tmp_path / "records.csv"))
    with open(tmp_path / "records.csv", newline="", encoding="utf-8") as handle:
        rows = {r["credential_id"]: r for r in csv.DictReader(handle)}
    assert len(rows) == 5
    assert rows[typo["id"]]["state"] == "superseded" and rows[typo["id"]]["replaced_by"] == kiri["id"]
    assert rows[kiri["id"]]["learner_name"] == "Kiri Singh" and rows[kiri["id"]]["student_number"] == "S1002003"
    assert rows[ben["id"]]["state"] == "revoked"
    assert rows[ben["id"]]["status_reason"] == "academic integrity decision 2026-114"

    # 6. the report for the ministry: counts, no personal data
    omc("report", "--config", conf, "--from", "2026-01-01", "--to", "2026-12-31", "--format", "csv", "--out",
        str(tmp_path / "omc-report.csv"))
    report = (tmp_path / "omc-report.csv").read_text(encoding="utf-8")
    assert report.splitlines()[1] == "total,,,5,1,1,1,0"  # issued, reissued, revoked, superseded, suspended
    assert "achievement,weld-101,Structural Welding Fundamentals,3,1,1,1,0" in report
    for private in ("Kiri", "Okafor", "S1002003", "kiri@example.ca", "integrity", typo["id"], kiri["id"]):
        assert private not in report

    # 7. the catalogue for other platforms
    omc("catalogue", "export", "--config", conf, "--out", str(tmp_path / "catalogue.json"), "--out-dir",
        str(web / "achievements"))
    assert len(json.loads((tmp_path / "catalogue.json").read_text())) == 4

    # and what an employer's verifier sees, from the lists the college published
    assert _verified(tmp_path / "kiri.json") == (True, "")
    ok, why = _verified(typo_file)
    assert not ok and "revoked" in why.lower()
    ok, why = _verified(tmp_path / "issued" / ben["file"])
    assert not ok and "revoked" in why.lower()
    chloe = json.loads(omc("records", "search", "--config", conf, "chloe", "--json").stdout)["records"][0]
    assert _verified(tmp_path / "issued" / chloe["file"]) == (True, "")
