"""Correct and reissue through the one Issuer, and the input checks a registrar relies on: a correction
replaces a credential (the old one revoked as superseded, both linked, in one transaction), a learner whose
credential was revoked can be issued a new one, a still-valid credential is never issued twice, and a
completion date in the future, a plain-http evidence URL, a semicolon roster and Ctrl-C are handled."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from omc_vc.errors import IssuanceError
from omc_vc.issue.batch import RosterInterrupted, read_roster
from omc_vc.issue.records import RecordQuery
from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.issue.status_ops import revoke
from omc_vc.omc.builder import Learner
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import issue_batch, make_institution, open_issuer

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
KIRI = Learner(name="Kiri Sing", email="kiri@example.ca", student_number="S100")


def _issuer(tmp_path: Path, **options):
    config, key = make_institution(tmp_path, suspension=False)
    return open_issuer(config, key, clock=lambda: NOW, **options)


def test_a_correction_replaces_the_credential_revokes_the_old_one_and_links_both(tmp_path: Path) -> None:
    issuer = _issuer(tmp_path)
    first = issuer.issue(learner=KIRI, achievement="weld-101", completed=date(2026, 6, 12))
    fixed = Learner(name="Kiri Singh", email="kiri@example.ca", student_number="S100")
    second = issuer.issue(learner=fixed, achievement="weld-101", completed=date(2026, 6, 12),
                          replaces=first.record.id, reason="name misspelled")
    assert second.record.id != first.record.id
    assert second.credential["credentialSubject"]["identifier"][0]["identityHash"] == "Kiri Singh"
    assert second.replaced is not None and second.replaced.changed
    store = issuer.store
    old = store.get(first.record.id)
    assert old is not None and old.revoked == "2026-09-01T12:00:00Z"
    assert [(e.action, e.reason) for e in store.history(old.id)] == [("revoke", "name misspelled")]
    assert [(link.old, link.new, link.kind) for link in store.links([old.id])] == \
        [(old.id, second.record.id, "replaces")]
    # the corrected one is the learner's credential now: found active by name and student number
    assert [r.id for r in store.search(RecordQuery(text="Kiri Singh", state="active"))] == [second.record.id]
    assert {r.id for r in store.search(RecordQuery(student_number="S100"))} == {old.id, second.record.id}
    # the new credential verifies; a correction of the same credential again is refused before anything is signed
    assert Verifier().verify(second.credential, checks=["proof"]).verified
    before = len(store.all())
    with pytest.raises(IssuanceError) as again:
        issuer.issue(learner=fixed, achievement="weld-101", replaces=first.record.id)
    assert again.value.code == "ALREADY_REPLACED" and second.record.id in again.value.detail
    assert len(store.all()) == before and store.pending() == []


def test_a_correction_may_change_the_learner_key(tmp_path: Path) -> None:
    issuer = _issuer(tmp_path)
    typo = issuer.issue(learner=Learner(name="Ana Silva", email="ana@exmaple.ca"), achievement="weld-101")
    fixed = issuer.issue(learner=Learner(name="Ana Silva", email="ana@example.ca"), achievement="weld-101",
                         replaces=typo.record.id)
    assert issuer.store.get(typo.record.id).revoked is not None
    assert [r.id for r in issuer.store.search(RecordQuery(email="ana@example.ca"))] == [fixed.record.id]


def test_a_valid_credential_is_not_issued_twice_and_the_refusal_says_how_to_correct_it(tmp_path: Path) -> None:
    issuer = _issuer(tmp_path)
    first = issuer.issue(learner=KIRI, achievement="weld-101")
    with pytest.raises(IssuanceError) as refused:
        issuer.issue(learner=KIRI, achievement="weld-101")
    assert first.record.id in refused.value.detail and "valid" in refused.value.detail
    assert f"--replaces {first.record.id}" in refused.value.detail


def test_reissue_after_revocation_works_and_says_what_it_did(tmp_path: Path) -> None:
    issuer = _issuer(tmp_path)
    first = issuer.issue(learner=KIRI, achievement="weld-101")
    revoke(issuer.store, first.record.id, reason="issued to the wrong cohort")
    again = issuer.issue(learner=KIRI, achievement="weld-101")
    assert again.previous is not None and again.previous.id == first.record.id
    assert again.previous.revoked is not None and again.replaced is None
    old = issuer.store.get(first.record.id)
    assert old.revoked is not None  # stays revoked, with its own reason
    assert [(e.action, e.reason) for e in issuer.store.history(old.id)] == [("revoke", "issued to the wrong cohort")]
    assert [link.kind for link in issuer.store.links([old.id])] == ["reissue"]
    # and the new one is held: a third issue is refused again
    with pytest.raises(IssuanceError, match="already holds"):
        issuer.issue(learner=KIRI, achievement="weld-101")


def test_replacing_needs_a_recorded_revocable_credential(tmp_path: Path) -> None:
    issuer = _issuer(tmp_path)
    with pytest.raises(IssuanceError) as unknown:
        issuer.issue(learner=KIRI, achievement="weld-101", replaces="urn:uuid:0000")
    assert unknown.value.code == "NOT_FOUND"
    assert issuer.store.all() == [] and issuer.store.pending() == []


def test_a_completion_date_in_the_future_is_refused(tmp_path: Path) -> None:
    issuer = _issuer(tmp_path)
    with pytest.raises(IssuanceError, match=r"completion date 2030-01-01 is in the future \(today is 2026-09-01\)"):
        issuer.issue(learner=KIRI, achievement="weld-101", completed=date(2030, 1, 1))
    assert issuer.issue(learner=KIRI, achievement="weld-101", completed=date(2026, 9, 1)).record  # today is fine
    rows, errors = read_roster(b"name,email,achievement,completion_date\nA,a@x.ca,weld-101,2030-01-01\n"
                               b"B,b@x.ca,weld-101,2026-09-01\n", today=date(2026, 9, 1))
    assert [r.name for r in rows] == ["B"]
    assert [str(e) for e in errors] == ["line 2: completion date 2030-01-01 is in the future (today is 2026-09-01)"]


@pytest.mark.parametrize("url", ["http://college.example.ca/evidence/kiri", "javascript:alert(1)", "https:///x"])
def test_evidence_urls_are_https_only(tmp_path: Path, url: str) -> None:
    # a plain-http evidence link can be read and replaced on its way to whoever checks the credential
    issuer = _issuer(tmp_path)
    with pytest.raises(IssuanceError, match="not an https URL"):
        issuer.issue(learner=KIRI, achievement="weld-101", evidence_url=url)
    assert issuer.store.all() == [] and issuer.store.pending() == []
    _, errors = read_roster(f"name,email,achievement,completion_date,evidence_url\nA,a@x.ca,weld-101,2026-06-01,{url}\n"
                            .encode())
    assert errors and "not an https URL" in errors[0].message


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_roster_delimiter_is_detected(delimiter: str) -> None:
    text = delimiter.join(["name", "email", "achievement", "completion_date", "result"]) + "\n" + \
        delimiter.join(["Silva, Ana", "ana@example.ca", "weld-101", "2026-06-01", "Pass"]) + "\n"
    rows, errors = read_roster(text.encode(), catalogue={"weld-101"})
    assert not errors
    assert [(r.name, r.email, r.result) for r in rows] == [("Silva, Ana", "ana@example.ca", "Pass")]


def test_a_comma_roster_with_semicolons_in_a_name_stays_a_comma_roster() -> None:
    rows, errors = read_roster(b'name,email,achievement,completion_date\n'
                               b'"Roy; Eli",eli@example.ca,weld-101,2026-06-01\n')
    assert not errors and rows[0].name == "Roy; Eli"


def test_ctrl_c_during_a_roster_reports_what_was_issued_and_the_rerun_resumes(tmp_path: Path, monkeypatch) -> None:
    config, key = make_institution(tmp_path, suspension=False)
    real = SqliteStore.complete
    calls = {"n": 0}

    def interrupted_on_third(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SqliteStore, "complete", interrupted_on_third)
    with pytest.raises(RosterInterrupted) as stopped:
        issue_batch(config, tmp_path / "roster.csv", tmp_path / "out", key=key, workers=1)
    assert (stopped.value.issued, stopped.value.already, stopped.value.total) == (2, 0, 10)
    assert "2 credential(s) issued by this run" in str(stopped.value)
    assert "run the same command again to resume" in str(stopped.value)
    monkeypatch.setattr(SqliteStore, "complete", real)
    report = issue_batch(config, tmp_path / "roster.csv", tmp_path / "out", key=key, workers=1)
    assert len(report.already) == 2 and len(report.issued) == 3 and report.recovered == 1  # the file written at Ctrl-C
    ids = [json.loads(p.read_text())["id"] for p in (tmp_path / "out").glob("*.json") if p.name != "index.json"]
    assert len(ids) == len(set(ids)) == 5
