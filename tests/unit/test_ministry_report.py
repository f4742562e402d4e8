"""omc report: the counts a college sends the ministry for a period (issued, reissued, revoked, superseded,
suspended; per achievement, category, CIP, NOC, delivery mode, hours band, endorser and partner), computed
from the records, with no personal data in any format."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc.errors import IssuanceError
from omc_vc.issue.report import hours_band, ministry_report
from omc_vc.issue.status_ops import set_record_status
from omc_vc.keys import KeyPair
from omc_vc.omc.builder import Learner
from tests.fixtures.omc.sample import endorsement_of, make_institution, open_issuer

GUILD = KeyPair.generate()
LEARNERS = {"ana": Learner("Ana Silva", email="ana@example.ca", student_number="S7000001"),
            "ben": Learner("Ben Okafor", email="ben@example.ca", student_number="S7000002"),
            "chloe": Learner("Chloé Tremblay", email="chloe@example.ca", student_number="S7000003"),
            "dan": Learner("Dan Roy", email="dan@example.ca", student_number="S7000004"),
            "eve": Learner("Eve Park", email="eve@example.ca", student_number="S7000005")}


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 15, 0, tzinfo=UTC)


@pytest.fixture
def college(tmp_path: Path) -> tuple[Any, dict[str, str]]:
    """A college whose weld-101 carries the Welders Guild's endorsement, with a term of issuing around March."""
    pair = KeyPair.generate()
    config, key = make_institution(tmp_path, key=pair, endorsements=[endorsement_of(
        pair.controller, employer=GUILD, name="Ontario Welders Guild")])
    clock = {"now": _at(1, 5)}
    issuer = open_issuer(config, key, clock=lambda: clock["now"])
    ids: dict[str, str] = {}

    def issue(who: str, achievement: str, when: datetime, **options: Any) -> str:
        clock["now"] = when
        return issuer.issue(learner=LEARNERS[who], achievement=achievement, completed=date(2026, 1, 2),
                            **options).record.id

    ids["dan"] = issue("dan", "weld-101", _at(1, 5))        # before the period
    ids["ana"] = issue("ana", "weld-101", _at(3, 10))
    ids["ben"] = issue("ben", "weld-102", _at(3, 11))
    ids["chloe"] = issue("chloe", "safety-100", _at(3, 12))
    set_record_status(issuer.store, ids["dan"], "revoke", reason="academic misconduct", now=_at(3, 15))
    fixed = Learner("Ana Silva-Santos", email="ana@example.ca", student_number="S7000001")
    clock["now"] = _at(3, 20)
    ids["ana2"] = issuer.issue(learner=fixed, achievement="weld-101", completed=date(2026, 1, 2),
                               replaces=ids["ana"]).record.id
    set_record_status(issuer.store, ids["ben"], "suspend", reason="fees unpaid", now=_at(3, 21))
    ids["eve"] = issue("eve", "safety-100", _at(5, 1))      # after the period
    issuer.store.close()
    return config, ids


def _row(report: Any, breakdown: str, value: str) -> dict[str, Any]:
    return next(e for e in report.breakdowns[breakdown] if e["value"] == value)


def _counts(entry: dict[str, Any]) -> tuple[int, ...]:
    return tuple(entry[c] for c in ("issued", "reissued", "revoked", "superseded", "suspended"))


def test_the_report_counts_the_period_from_the_records(college) -> None:
    from omc_vc.issue.sqlite_store import SqliteStore

    config, _ = college
    with SqliteStore(config.state_path) as store:
        report = ministry_report(store, config, date(2026, 3, 1), date(2026, 3, 31), partners=[GUILD.controller])
    # issued: Ana, Ben, Chloé and Ana's correction; Dan's revocation falls in the period, his issue does not
    assert report.totals == {"issued": 4, "reissued": 1, "revoked": 1, "superseded": 1, "suspended": 1}
    assert _counts(_row(report, "achievement", "weld-101")) == (2, 1, 1, 1, 0)
    assert _row(report, "achievement", "weld-101")["label"] == "Structural Welding Fundamentals"
    assert _counts(_row(report, "achievement", "weld-102")) == (1, 0, 0, 0, 1)
    assert _counts(_row(report, "achievement", "safety-100")) == (1, 0, 0, 0, 0)
    assert _counts(_row(report, "qualificationCategory", "Non-OQF Micro-credential")) == (4, 1, 1, 1, 1)
    assert _counts(_row(report, "cipCode", "48.0508")) == (3, 1, 1, 1, 1)
    assert _counts(_row(report, "cipCode", "15.0701")) == (1, 0, 0, 0, 0)
    # NOC codes: each of an OMC's codes counts it (weld-101 has two)
    assert _counts(_row(report, "nocCode", "72106")) == (3, 1, 1, 1, 1)
    assert _counts(_row(report, "nocCode", "72320")) == (2, 1, 1, 1, 0)
    assert _counts(_row(report, "nocCode", "(none)")) == (1, 0, 0, 0, 0)
    assert _counts(_row(report, "deliveryMode", "in-person")) == (2, 1, 1, 1, 0)
    assert _counts(_row(report, "hoursBand", "30-59")) == (2, 1, 1, 1, 0)
    assert _counts(_row(report, "hoursBand", "60-119")) == (1, 0, 0, 0, 1)
    assert _counts(_row(report, "hoursBand", "under 15")) == (1, 0, 0, 0, 0)
    guild = _row(report, "endorser", GUILD.controller)
    assert guild["label"] == "Ontario Welders Guild" and _counts(guild) == (2, 1, 1, 1, 0)
    assert _counts(_row(report, "partner", GUILD.controller)) == (2, 1, 1, 1, 0)
    assert _counts(_row(report, "partner", "(none)")) == (2, 0, 0, 0, 1)


def test_an_empty_period_and_a_backwards_one(college) -> None:
    from omc_vc.issue.sqlite_store import SqliteStore

    config, _ = college
    with SqliteStore(config.state_path) as store:
        empty = ministry_report(store, config, date(2025, 1, 1), date(2025, 12, 31))
        assert set(empty.totals.values()) == {0} and empty.breakdowns == {}
        with pytest.raises(IssuanceError, match="starts"):
            ministry_report(store, config, date(2026, 4, 1), date(2026, 3, 1))
        # the last day is included, the whole of it
        may = ministry_report(store, config, date(2026, 4, 1), date(2026, 5, 1))
        assert may.totals["issued"] == 1


@pytest.mark.parametrize("fmt", ["text", "csv", "json"])
def test_omc_report_carries_no_personal_data(college, fmt: str) -> None:
    config, ids = college
    result = CliRunner().invoke(cli, ["report", "--config", str(config.path), "--from", "2026-01-01", "--to",
                                      "2026-12-31", "--format", fmt])
    assert result.exit_code == 0, result.output
    text = result.stdout
    for learner in LEARNERS.values():
        assert learner.name.split()[0] not in text and learner.email not in text
        assert learner.student_number is not None and learner.student_number not in text
    assert not any(credential_id in text for credential_id in ids.values())
    assert not any(uuid.removeprefix("urn:uuid:")[:8] in text for uuid in ids.values())
    for reason in ("misconduct", "fees"):
        assert reason not in text  # the reasons stay in the records
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows[0]["breakdown"] == "total" and rows[0]["issued"] == "6"
    if fmt == "json":
        body = json.loads(text)
        assert body["period"] == {"from": "2026-01-01", "to": "2026-12-31"} and body["totals"]["issued"] == 6
        assert body["institution"]["name"] == "Example College of Applied Arts and Technology"


def test_omc_report_writes_a_file_once(college, tmp_path: Path) -> None:
    config, _ = college
    out = tmp_path / "report.csv"
    args = ["report", "--config", str(config.path), "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv",
            "--out", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert out.read_text().startswith("breakdown,value,label,issued,reissued,revoked,superseded,suspended\n")
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 2 and "FILE_EXISTS" in again.stderr
    bad = CliRunner().invoke(cli, ["report", "--config", str(config.path), "--from", "March", "--to", "2026-03-31"])
    assert bad.exit_code == 2 and "is not a date" in bad.stderr


def test_hours_bands() -> None:
    assert [hours_band(h) for h in (7, 14.9, 15, 29, 30, 59.5, 60, 119, 120, 400)] == [
        "under 15", "under 15", "15-29", "15-29", "30-59", "30-59", "60-119", "60-119", "120 and over", "120 and over"]
    assert hours_band("42") == hours_band(True) == "(none)"
