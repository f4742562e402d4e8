"""Batch issuance from a roster: bad rows by line, safe file names, exactly-once resume, the CLI."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc.errors import InputError, IssuanceError, PolicyError
from omc_vc.issue.batch import read_roster
from omc_vc.issue.sqlite_store import SqliteStore as IssuanceState
from omc_vc.keys import KeyPair
from omc_vc.omc.builder import Learner
from omc_vc.omc.profile import OmcProfileCheck
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import endorsement_of, issue_batch, issue_one, make_institution

GOOD_LINES = [2, 3, 4, 5, 6]


def _files(out):
    return sorted(p for p in out.iterdir() if p.suffix == ".json" and p.name != "index.json")


def test_roster_bad_rows_are_reported_by_line_and_good_rows_issued(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    report = issue_batch(config, tmp_path / "roster.csv", tmp_path / "out", key=key, workers=1)
    assert len(report.issued) == 5 and not report.already
    by_line = {e.line: e.message for e in report.errors}
    assert sorted(by_line) == [7, 8, 9, 10, 11]
    assert "not in the catalogue" in by_line[7]
    assert "not a date" in by_line[8]
    assert "needs an email, a student_number or a learner_did" in by_line[9]
    assert "duplicate of line 2" in by_line[10]
    assert "credentialSubject.achievement.nocCodes: 4 codes" in by_line[11]
    verifier = Verifier(extra_checks=[OmcProfileCheck()])
    for path in _files(tmp_path / "out"):
        assert verifier.verify(path.read_bytes()).verified, path


def test_a_roster_rows_learner_key_is_its_learners_key() -> None:
    # the batch reserves by RosterRow.learner_key() (no Learner built per row); the state's identity of a
    # learner is Learner.key(): the two must name the same learner, or a re-run would issue twice
    rows, errors = read_roster(
        b"name,email,student_number,learner_did,achievement,completion_date\n"
        b"Ana,Ana@Example.ca, S1 ,did:example:ana,weld-101,2026-06-12\n"
        b"Ben,ben@example.ca, S2 ,,weld-101,2026-06-12\n"
        b"Cy, CY@example.ca ,,,weld-101,2026-06-12\n")
    assert not errors and len(rows) == 3
    assert [r.learner_key() for r in rows] == [r.learner().key() for r in rows] == [
        "did:example:ana", "student:S2", "email:cy@example.ca"]


def test_strict_roster_with_a_bad_row_issues_nothing(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    with pytest.raises((IssuanceError, PolicyError), match="line 7"):
        issue_batch(config, tmp_path / "roster.csv", tmp_path / "out", key=key, strict=True)
    assert not (tmp_path / "out").exists() or not _files(tmp_path / "out")
    with IssuanceState(config.state_path) as state:
        assert state.all() == [] and state.lists() == []


def test_hostile_names_cannot_escape_the_output_folder_or_run_in_a_spreadsheet(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    out = tmp_path / "out"
    issue_batch(config, tmp_path / "roster.csv", out, key=key, workers=1)
    names = [p.name for p in out.iterdir()]
    assert all(n.replace("-", "").replace(".", "").isalnum() for n in names if n not in ("index.json", "index.csv"))
    assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "etc" / "passwd.json").exists()
    with open(out / "index.csv", newline="", encoding="utf-8") as handle:
        learners = [row["learner"] for row in csv.DictReader(handle)]
    assert "'=HYPERLINK(\"http://evil.example\")" in learners
    assert not any(value.startswith(("=", "+", "@")) for value in learners)
    index = json.loads((out / "index.json").read_text())
    assert index["count"] == 5 and {c["file"] for c in index["credentials"]} == {p.name for p in _files(out)}


def test_rerun_issues_nothing_twice(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    first = issue_batch(config, tmp_path / "roster.csv", tmp_path / "out", key=key, workers=1)
    second = issue_batch(config, tmp_path / "roster.csv", tmp_path / "out", key=key, workers=1)
    assert len(second.issued) == 0 and {r.id for r in second.already} == {r.id for r in first.issued}
    assert len(_files(tmp_path / "out")) == 5


def test_crash_after_file_written_before_row_committed_adopts_the_file(tmp_path, monkeypatch) -> None:
    # kill -9 between the atomic file write and the state commit: the re-run must adopt the file
    # (same id, same status index), not sign a second credential for the learner
    config, key = make_institution(tmp_path)
    real_complete = IssuanceState.complete
    calls = {"n": 0}

    def crash_on_third(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the process dies here
        return real_complete(self, *args, **kwargs)

    monkeypatch.setattr(IssuanceState, "complete", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        issue_batch(config, tmp_path / "roster.csv", tmp_path / "out", key=key, workers=1)
    monkeypatch.setattr(IssuanceState, "complete", real_complete)
    written = {p.name: json.loads(p.read_text())["id"] for p in _files(tmp_path / "out")}
    assert len(written) == 3
    report = issue_batch(config, tmp_path / "roster.csv", tmp_path / "out", key=key, workers=1)
    assert report.recovered == 1 and len(report.already) == 2 and len(report.issued) == 3
    files = _files(tmp_path / "out")
    assert len(files) == 5
    ids = [json.loads(p.read_text())["id"] for p in files]
    assert len(set(ids)) == 5 and set(written.values()) <= set(ids)
    with IssuanceState(config.state_path) as state:
        assert len(state.all()) == 5 and state.pending() == []


def test_parallel_signing_gives_the_same_outcome(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    rows = ["name,email,achievement,completion_date"] + [
        f"Learner {n},l{n}@example.ca,{'weld-101' if n % 2 else 'safety-100'},2026-06-01" for n in range(24)]
    (tmp_path / "big.csv").write_text("\n".join(rows) + "\n")
    report = issue_batch(config, tmp_path / "big.csv", tmp_path / "out", key=key, workers=2)
    assert len(report.issued) == 24 and not report.errors
    verifier = Verifier()
    assert all(verifier.verify(p.read_bytes()).verified for p in _files(tmp_path / "out"))
    # the workers name the files: each is the one credential_file_name gives its record, holding that credential
    from omc_vc.issue.batch import credential_file_name

    for record in report.issued:
        assert record.file == credential_file_name(record.learner_name, record.achievement, record.id)
        assert json.loads((tmp_path / "out" / record.file).read_text())["id"] == record.id


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"name,email\nAna,a@example.ca\n", "no 'achievement' column"),
    (b"name,achievement,completion_date\nAna,weld-101,2026-01-01\n", "needs an email"),
    ("name,email,achievement,completion_date\nAn\xe9,a@x.ca,weld-101,2026-01-01\n".encode("latin-1"), "not UTF-8"),
])
def test_unusable_roster_files_are_typed_errors(content, message) -> None:
    with pytest.raises(InputError, match=message):
        read_roster(content)


def test_roster_with_excel_bom_and_quoted_newlines_reads(tmp_path) -> None:
    text = '\ufeffName,E-mail,Achievement,Completion Date\n"Ana\nSilva",ana@example.ca,weld-101,2026-06-01\n' \
           'Ben,not-an-email,weld-101,2026-06-01\n'
    rows, errors = read_roster(text.encode("utf-8"))
    assert [r.name for r in rows] == ["AnaSilva"]
    assert [(e.line, "not an e-mail" in e.message) for e in errors] == [(4, True)]


def test_issue_one_refuses_a_second_credential_for_the_same_learner(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    learner = Learner(name="Ana Silva", email="Ana.Silva@Example.ca")
    credential, record = issue_one(config, learner=learner, achievement="weld-101", key=key)
    assert credential["id"] == record.id
    with pytest.raises(IssuanceError, match="already holds"):
        issue_one(config, learner=Learner(name="Ana Silva", email="ana.silva@example.ca"),
                  achievement="weld-101", key=key)


def _cli(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_cli_single_issue_writes_a_verifying_omc(tmp_path) -> None:
    config, _ = make_institution(tmp_path)
    out = tmp_path / "ana.json"
    result = _cli("issue", "--config", str(config.path), "--achievement", "weld-101", "--learner-name", "Ana Silva",
                  "--learner-email", "ana@example.ca", "--completed", "2026-06-12", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["achievement"] == "weld-101"
    verified = _cli("verify", str(out), "--offline", "--checks",
                    "data-model,data-loss,proof,issuer-key-binding,validity-period")
    assert verified.exit_code == 0 and "VERIFIED" in verified.output
    # offline, the status list cannot be fetched: the full verification fails closed
    closed = _cli("verify", str(out), "--offline")
    assert closed.exit_code == 1 and "STATUS_RETRIEVAL_ERROR" in closed.stderr


@pytest.mark.parametrize(("achievement", "field"), [
    ("bad-four-noc", "credentialSubject.achievement.nocCodes"),
    ("bad-no-hours", "credentialSubject.achievement.instructionalHours"),
])
def test_cli_refuses_an_omc_breaking_the_policy_naming_the_field(tmp_path, achievement, field) -> None:
    config, _ = make_institution(tmp_path)
    result = _cli("issue", "--config", str(config.path), "--achievement", achievement, "--learner-name", "Ana",
                  "--learner-email", "ana@example.ca", "--out", str(tmp_path / "x.json"))
    assert result.exit_code == 1
    assert field in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "x.json").exists()
    with IssuanceState(config.state_path) as state:
        assert state.lists() == []  # a refused credential consumes no status index


def test_cli_roster_reports_bad_rows_and_exits_1_json_for_programs(tmp_path) -> None:
    config, _ = make_institution(tmp_path)
    result = _cli("issue", "--config", str(config.path), "--roster", str(tmp_path / "roster.csv"),
                  "--out", str(tmp_path / "out"), "--json", "--workers", "1")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["issued"] == 5 and [e["line"] for e in report["errors"]] == [7, 8, 9, 10, 11]
    assert "5 roster row(s) were not issued" in result.stderr
    again = _cli("issue", "--config", str(config.path), "--roster", str(tmp_path / "roster.csv"),
                 "--out", str(tmp_path / "out"), "--strict")
    assert again.exit_code in (1, 2) and "line 7" in again.stderr


def test_cli_encrypted_key_without_passphrase_is_one_line_error(tmp_path) -> None:
    from omc_vc.keys import KeyPair, save_key

    config, _ = make_institution(tmp_path)
    save_key(tmp_path / "issuer.key", KeyPair.generate(), "correct horse", overwrite=True)
    result = CliRunner(env={"OMC_ISSUER_PASSPHRASE": None}).invoke(
        cli, ["issue", "--config", str(config.path), "--achievement", "weld-101", "--learner-name", "Ana",
              "--learner-email", "a@example.ca"])
    assert result.exit_code == 2 and "OMC_ISSUER_PASSPHRASE" in result.stderr


def test_catalogue_endorsement_is_embedded_and_verifies(tmp_path) -> None:
    issuer = KeyPair.generate()
    endorsement = endorsement_of(issuer.controller)
    config, key = make_institution(tmp_path, key=issuer, endorsements=[endorsement])
    credential, _ = issue_one(config, learner=Learner(name="Ana", email="a@example.ca"), achievement="weld-101",
                              key=key)
    assert credential["credentialSubject"]["achievement"]["endorsement"] == [endorsement]
    result = Verifier(extra_checks=[OmcProfileCheck()]).verify(credential)
    assert result.verified and result.check("omc-endorsements").status == "passed"


def test_forged_catalogue_endorsement_is_refused_at_issue_time(tmp_path) -> None:
    issuer = KeyPair.generate()
    forged = endorsement_of(issuer.controller)
    forged["credentialSubject"]["endorsementComment"] = "The best welders in the world."
    config, key = make_institution(tmp_path, key=issuer, endorsements=[forged])
    with pytest.raises(PolicyError, match=r"credentialSubject\.achievement\.endorsement\[0\]: does not verify"):
        issue_one(config, learner=Learner(name="Ana", email="a@example.ca"), achievement="weld-101", key=key)
    report = issue_batch(config, tmp_path / "roster.csv", tmp_path / "out", key=key, workers=1)
    refused = {e.line for e in report.errors if "endorsement[0]" in e.message}
    assert refused == {2, 3}  # the weld-101 rows; the others are issued
    assert len(report.issued) == 3


def test_a_row_that_fails_to_sign_is_reported_and_resumed_with_the_same_reservation(tmp_path, monkeypatch) -> None:
    from omc_vc.issue import issuer as issuer_module

    config, key = make_institution(tmp_path)
    real_render = issuer_module.sign_job

    def flaky(setup, pair, job):
        if job.name == "Ben Okafor":
            raise IssuanceError("signing service unavailable")
        return real_render(setup, pair, job)

    monkeypatch.setattr(issuer_module, "sign_job", flaky)
    report = issue_batch(config, tmp_path / "roster.csv", tmp_path / "out", key=key, workers=1)
    assert len(report.issued) == 4
    messages = [e.message for e in report.errors if e.line == 3]
    assert messages == ["not signed: ISSUANCE_ERROR: signing service unavailable"]
    with IssuanceState(config.state_path) as state:
        [pending] = state.pending()
    monkeypatch.setattr(issuer_module, "sign_job", real_render)
    again = issue_batch(config, tmp_path / "roster.csv", tmp_path / "out", key=key, workers=1)
    assert [r.id for r in again.issued] == [pending.credential_id]
    assert again.issued[0].status_index == pending.slots[0].index


# --- one pool per run, group commits, the streamed index (docs/performance.md lever 7) ------------------

def _cohort(tmp_path, count: int = 24):
    rows = ["name,email,achievement,completion_date"] + [
        f"Learner {n},l{n}@example.ca,{'weld-101' if n % 2 else 'safety-100'},2026-06-01" for n in range(count)]
    path = tmp_path / "cohort.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_one_signing_pool_serves_every_chunk_of_a_run(tmp_path, monkeypatch) -> None:
    from omc_vc.issue import batch

    config, key = make_institution(tmp_path)
    started = []
    real_pool = batch._pool

    def counted(*args, **kwargs):
        started.append(1)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(batch, "CHUNK", 3)  # 24 rows, 2 workers: four chunks of 6
    monkeypatch.setattr(batch, "_pool", counted)
    report = issue_batch(config, _cohort(tmp_path), tmp_path / "out", key=key, workers=2)
    assert len(started) == 1
    assert len(report.issued) == 24 and not report.errors
    with IssuanceState(config.state_path) as state:
        assert len(state.all()) == 24 and state.pending() == []


def test_a_crash_inside_a_group_commit_is_adopted_on_resume(tmp_path, monkeypatch) -> None:
    # the parent dies after a group's files are durable but before their rows commit: the re-run adopts
    # those files (same ids, same status indices) and signs nothing twice
    config, key = make_institution(tmp_path)
    real_many = IssuanceState.complete_many_ids
    calls = {"n": 0}

    def crash_on_second(self, items):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process dies here, mid-group
        return real_many(self, items)

    from omc_vc.issue import batch

    monkeypatch.setattr(batch, "GROUP", 1)  # one group per task: several group commits in 24 rows
    monkeypatch.setattr(IssuanceState, "complete_many_ids", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        issue_batch(config, _cohort(tmp_path), tmp_path / "out", key=key, workers=2)
    monkeypatch.setattr(IssuanceState, "complete_many_ids", real_many)
    with IssuanceState(config.state_path) as state:
        committed = {r.id for r in state.all()}
    written = {json.loads(p.read_text())["id"] for p in _files(tmp_path / "out")}
    assert committed and committed < written  # the second group is on disk, not in the database
    assert not list((tmp_path / "out").glob(".*.tmp"))
    report = issue_batch(config, _cohort(tmp_path), tmp_path / "out", key=key, workers=2)
    assert report.recovered == len(written - committed)
    assert {r.id for r in report.already} == committed
    assert len(report.issued) + len(report.already) == 24 and not report.errors
    files = _files(tmp_path / "out")
    ids = [json.loads(p.read_text())["id"] for p in files]
    assert len(files) == 24 and len(set(ids)) == 24 and written <= set(ids)
    with IssuanceState(config.state_path) as state:
        assert {r.id for r in state.all()} == set(ids) and state.pending() == []
    verifier = Verifier()
    assert all(verifier.verify(p.read_bytes(), checks=["proof"]).verified for p in files)


@pytest.mark.parametrize("workers", [1, 2])
def test_streamed_index_is_the_json_and_csv_of_every_listed_credential(tmp_path, workers) -> None:
    from omc_vc.issue.batch import csv_safe

    config, key = make_institution(tmp_path)
    out = tmp_path / "out"
    first = issue_batch(config, _cohort(tmp_path, 10), out, key=key, workers=workers)
    report = issue_batch(config, _cohort(tmp_path, 14), out, key=key, workers=workers)  # 10 already, 4 new
    assert len(report.issued) == 4 and {r.id for r in report.already} == {r.id for r in first.issued}
    text = (out / "index.json").read_text(encoding="utf-8")
    index = json.loads(text)
    ordered = sorted([*report.issued, *report.already], key=lambda r: (r.file or "", r.id))
    expected = {"issuer": config.did, "generated": index["generated"], "count": 14,
                "credentials": [r.to_json() for r in ordered]}
    assert text == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"  # the bytes of a json.dumps
    with open(out / "index.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["id", "learner", "achievement", "file", "status_list", "status_index", "issued"]
    assert rows[1:] == [[csv_safe(v) for v in (r.id, r.learner_name, r.achievement, r.file, r.status_list,
                                                r.status_index, r.issued)] for r in ordered]
    assert not list(out.glob(".*.tmp"))


def test_an_empty_run_writes_an_empty_index(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    roster = tmp_path / "empty.csv"
    roster.write_text("name,email,achievement,completion_date\n")
    report = issue_batch(config, roster, tmp_path / "out", key=key, workers=2)
    assert report.total == 0
    text = (tmp_path / "out" / "index.json").read_text()
    assert json.loads(text)["credentials"] == [] and json.loads(text)["count"] == 0
    assert text.endswith('"credentials": []\n}\n')


def test_the_json_summary_of_a_large_batch_is_capped_and_says_so(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    report = issue_batch(config, _cohort(tmp_path, 6), tmp_path / "out", key=key, workers=1)
    full = report.to_json()
    assert full["issued"] == 6 and len(full["credentials"]) == 6 and "credentialsOmitted" not in full
    capped = report.to_json(limit=4)
    assert capped["issued"] == 6 and len(capped["credentials"]) == 4 and capped["credentialsOmitted"] == 2
    assert [c["id"] for c in capped["credentials"]] == [c["id"] for c in full["credentials"][:4]]


# --- workers write the files, the parent makes each group durable, then commits it ---------------------------

def _recording(monkeypatch, out):
    """Record, in order, every durability step of the batch parent: the data flush (syncfs), the folder fsync and
    the group commit, with what the output folder holds at that moment."""
    from omc_vc.issue import batch

    events: list[tuple[str, object]] = []

    def temps() -> set[str]:
        return {p.name for p in out.glob(".*.json.*.tmp")}

    def syncfs(fd: int) -> None:
        events.append(("flush", temps()))

    real_fsync_dir = batch.atomic.fsync_dir

    def fsync_dir(folder) -> None:
        events.append(("folder", None))
        real_fsync_dir(folder)

    real_many = IssuanceState.complete_many_ids

    def complete_many(self, items):
        events.append(("commit", [(item.file, (out / item.file).exists()) for item in items]))
        return real_many(self, items)

    monkeypatch.setattr(batch._fastfs, "syncfs_function", lambda: syncfs)
    monkeypatch.setattr(batch.atomic, "fsync_dir", fsync_dir)
    monkeypatch.setattr(IssuanceState, "complete_many_ids", complete_many)
    return events


def test_a_group_is_flushed_renamed_and_its_folder_fsynced_before_its_rows_commit(tmp_path, monkeypatch) -> None:
    from omc_vc.issue import batch

    config, key = make_institution(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(batch, "GROUP", 1)  # several groups in 24 rows
    events = _recording(monkeypatch, out)
    report = issue_batch(config, _cohort(tmp_path), out, key=key, workers=2)
    assert len(report.issued) == 24 and not report.errors
    commits = [i for i, (kind, _) in enumerate(events) if kind == "commit"]
    assert len(commits) >= 2
    for position in commits:
        files = events[position][1]
        assert all(exists for _, exists in files)  # renamed before the commit
        # the steps just before this commit: the flush (every file of the group still a temporary file), then
        # the folder fsync (the renames durable)
        assert [kind for kind, _ in events[position - 2:position]] == ["flush", "folder"]
        flushed = events[position - 2][1]
        assert all(any(t.startswith(f".{name}.") for t in flushed) for name, _ in files)
    assert not list(out.glob(".*.tmp"))
    verifier = Verifier()
    assert all(verifier.verify(p.read_bytes(), checks=["proof"]).verified for p in _files(out))


def test_without_syncfs_each_worker_fsyncs_the_files_it_writes(tmp_path, monkeypatch) -> None:
    import os

    from omc_vc.issue import batch

    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(batch.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    batch._write_new(str(tmp_path / ".a.json.1.tmp"), b"{}", True)
    batch._write_new(str(tmp_path / ".b.json.1.tmp"), b"{}", False)
    assert len(synced) == 1 and (tmp_path / ".a.json.1.tmp").read_bytes() == b"{}"
    assert oct((tmp_path / ".a.json.1.tmp").stat().st_mode & 0o777) == oct(0o644)
    with pytest.raises(FileExistsError):  # never an existing file
        batch._write_new(str(tmp_path / ".a.json.1.tmp"), b"[]", False)
    assert (tmp_path / ".a.json.1.tmp").read_bytes() == b"{}"
    (tmp_path / "elsewhere").symlink_to(tmp_path / ".c.json.1.tmp")
    with pytest.raises(FileExistsError):  # nor what a symbolic link points at
        batch._write_new(str(tmp_path / "elsewhere"), b"[2]", False)
    assert not (tmp_path / ".c.json.1.tmp").exists()

    # the whole run on a platform without syncfs: same outcome
    config, key = make_institution(tmp_path / "inst")
    monkeypatch.setattr(batch._fastfs, "syncfs_function", lambda: None)
    report = issue_batch(config, _cohort(tmp_path), tmp_path / "out", key=key, workers=2)
    assert len(report.issued) == 24 and not report.errors
    assert len(_files(tmp_path / "out")) == 24 and not list((tmp_path / "out").glob(".*.tmp"))


def test_files_adopted_on_resume_are_flushed_before_their_rows_commit(tmp_path, monkeypatch) -> None:
    from omc_vc.issue import batch

    config, key = make_institution(tmp_path)
    out = tmp_path / "out"
    monkeypatch.setattr(batch, "GROUP", 1)
    real_many = IssuanceState.complete_many_ids
    calls = {"n": 0}

    def crash_on_second(self, items):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the files of this group are renamed, their rows not committed
        return real_many(self, items)

    monkeypatch.setattr(IssuanceState, "complete_many_ids", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        issue_batch(config, _cohort(tmp_path), out, key=key, workers=2)
    monkeypatch.setattr(IssuanceState, "complete_many_ids", real_many)
    with IssuanceState(config.state_path) as state:
        committed = {r.file for r in state.all()}
    orphans = {p.name for p in _files(out)} - committed
    assert orphans
    events = _recording(monkeypatch, out)
    report = issue_batch(config, _cohort(tmp_path), out, key=key, workers=2)
    assert report.recovered == len(orphans)
    [adoption] = [i for i, (kind, files) in enumerate(events)
                  if kind == "commit" and {name for name, _ in files} == orphans]
    assert [kind for kind, _ in events[adoption - 2:adoption]] == ["flush", "folder"]


def test_temporary_files_of_a_killed_run_are_removed_and_nothing_else(tmp_path) -> None:
    config, key = make_institution(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    leftovers = [".ana-weld-101-0123456789ab.json.4242.tmp", ".index.json.k2j3h4.tmp", ".index.csv.k2j3h4.tmp"]
    for name in leftovers:
        (out / name).write_text('{"torn')
    (out / ".notes.json").write_text("{}")  # not a temporary file of ours
    issue_batch(config, _cohort(tmp_path, 6), out, key=key, workers=2)
    assert not [name for name in leftovers if (out / name).exists()]
    assert (out / ".notes.json").read_text() == "{}"


def test_an_index_entry_is_what_json_dumps_writes_for_the_record() -> None:
    from omc_vc.issue.batch import _index_entry
    from omc_vc.issue.store import RECORD_COLUMNS, CredentialRecord

    hostile = 'Zoë "Z" \\ O\'Brien \u2028 \x1f \t\n =cmd| ☃ \ud7ff'
    for suspended, revoked, index in ((False, None, 0), (True, "2026-07-01T00:00:00Z", 131071)):
        record = CredentialRecord(
            id="urn:uuid:1b4e28ba-2fa1-41d2-883f-0016d3cca427", learner_key=f"email:{hostile}", learner_name=hostile,
            achievement="weld-101", status_list="https://c.example/s/revocation-1.json", status_index=index,
            suspension_list=None, suspension_index=None, content_hash="ab" * 32, file=None, issued="t",
            revoked=revoked, suspended=suspended)
        row = tuple(int(record.suspended) if c == "suspended" else getattr(record, c) for c in RECORD_COLUMNS)
        expected = json.dumps(record.to_json(), indent=2, ensure_ascii=False).replace("\n", "\n    ")
        assert _index_entry(row) == "    " + expected


def test_record_columns_are_the_columns_every_record_query_reads() -> None:
    from omc_vc.issue import sqlite_store as state
    from omc_vc.issue.store import RECORD_COLUMNS

    assert state._RECORD == "SELECT " + ", ".join(RECORD_COLUMNS) + " FROM credentials"


def test_the_task_cuts_cover_every_job_once_and_end_with_small_tasks() -> None:
    from omc_vc.issue.batch import TASK, _task_bounds

    for count in (0, 1, 5, 24, 128, 1000, 1024, 5000):
        for final in (False, True):
            bounds = _task_bounds(count, 2, final=final)
            assert [b for pair in bounds for b in pair][1:-1:2] == [b for pair in bounds for b in pair][2::2]
            assert (bounds[0][0], bounds[-1][1]) == (0, count) if count else bounds == []
            assert all(0 < last - first <= TASK for first, last in bounds)
    tail = _task_bounds(1024, 2, final=True)
    assert tail[-1][1] - tail[-1][0] == TASK // 4 and tail[0][1] - tail[0][0] == TASK


# --- the state's group operations (reserve_many / complete_many as the batch uses them) ------------------------

def test_reserve_many_gives_a_pair_named_twice_one_reservation(tmp_path) -> None:
    from omc_vc.issue.config import StatusConfig
    from omc_vc.issue.store import Reservation

    status = StatusConfig(base_url="https://c.example/s/", suspension=True)
    with IssuanceState(tmp_path / "s.sqlite") as state:
        a, b, again = state.reserve_many([("student:1", "weld-101"), ("student:2", "weld-101"),
                                          ("student:1", "weld-101")], status)
        assert isinstance(a, Reservation) and a == again and a.credential_id != b.credential_id
        assert len(state.pending()) == 2
        assert [info.used for info in state.lists()] == [2, 2]


def test_a_group_rolls_over_full_lists_and_never_repeats_an_index(tmp_path) -> None:
    from omc_vc.issue.config import StatusConfig
    from omc_vc.issue.store import Completion

    small = StatusConfig(base_url="https://c.example/s/", list_bits=131072, fill_ratio=0.0001)  # 13 per list
    with IssuanceState(tmp_path / "s.sqlite") as state:
        first = state.reserve_many([(f"student:{n}", "weld-101") for n in range(20)], small)
        second = state.reserve_many([(f"student:{n}", "weld-101") for n in range(20, 30)], small)
        slots = [r.slots[0] for r in [*first, *second]]
        assert len({(s.url, s.index) for s in slots}) == 30
        assert [(info.url.rsplit("/", 1)[1], info.used) for info in state.lists()] == [
            ("revocation-1.json", 13), ("revocation-2.json", 13), ("revocation-3.json", 4)]
        records = state.complete_many([Completion(r, "x", "00", None, "t") for r in [*first, *second]])
        assert {(r.status_list, r.status_index) for r in records} == {(s.url, s.index) for s in slots}
        assert records == state.records([r.id for r in records])  # what the database holds, field by field


def test_a_drawn_index_already_taken_or_drawn_twice_is_drawn_again(tmp_path, monkeypatch) -> None:
    from omc_vc.issue import sqlite_store
    from omc_vc.issue.config import StatusConfig

    status = StatusConfig(base_url="https://c.example/s/")
    draws = iter([5, 5, 7, 5, 7, 7, 9, 11])
    monkeypatch.setattr(sqlite_store.secrets, "randbelow", lambda bound: next(draws))
    with IssuanceState(tmp_path / "s.sqlite") as state:
        [first] = state.reserve_many([("student:0", "weld-101")], status)  # takes 5
        rest = state.reserve_many([(f"student:{n}", "weld-101") for n in (1, 2, 3)], status)
        # 5 is taken, 5 and 7 come back within the group: each is drawn again until free
        assert [first.slots[0].index] + [r.slots[0].index for r in rest] == [5, 7, 9, 11]


def test_a_group_commit_replaying_a_completion_ends_as_row_by_row_completes_would(tmp_path) -> None:
    from omc_vc.issue.config import StatusConfig
    from omc_vc.issue.store import Completion

    status = StatusConfig(base_url="https://c.example/s/")
    with IssuanceState(tmp_path / "s.sqlite") as state:
        one, two = state.reserve_many([("student:1", "weld-101"), ("student:2", "weld-101")], status)
        done = state.complete(Completion(one, "A", "00", "a.json", "t"))
        records = state.complete_many([Completion(one, "A", "11", "a.json", "t"),
                                       Completion(two, "B", "22", "b.json", "t")])
        assert records[0] == done and records[1].id == two.credential_id
        assert state.pending() == [] and len(state.all()) == 2


def test_the_id_only_group_commit_commits_what_complete_many_does(tmp_path) -> None:
    # the batch's group commit builds no records: the rows it commits, and the ids it gives, must be the same
    from omc_vc.issue.config import StatusConfig
    from omc_vc.issue.store import Completion

    status = StatusConfig(base_url="https://c.example/s/", suspension=True)
    with IssuanceState(tmp_path / "a.sqlite") as a, IssuanceState(tmp_path / "b.sqlite") as b:
        pairs = [(f"student:{n}", "weld-101") for n in range(5)]
        mine, theirs = a.reserve_many(pairs, status), b.reserve_many(pairs, status)
        records = a.complete_many([Completion(r, f"L{n}", "ab", f"{n}.json", "t") for n, r in enumerate(mine)])
        ids = b.complete_many_ids([Completion(r, f"L{n}", "ab", f"{n}.json", "t") for n, r in enumerate(theirs)])
        assert ids == [r.credential_id for r in theirs] and [r.id for r in records] == [r.credential_id for r in mine]
        # field by field what the database holds, but for the random ids and indices
        def shape(record):
            return (record.learner_key, record.learner_name, record.file, record.content_hash, record.revoked,
                    record.suspended, record.status_index is not None, record.suspension_index is not None)
        assert [shape(r) for r in a.records([r.id for r in records])] == [shape(r) for r in b.records(ids)]
        assert records == a.records([r.id for r in records])
        # a replayed completion takes the row-by-row path in both
        assert b.complete_many_ids([Completion(theirs[0], "L0", "ab", "0.json", "t")]) == [theirs[0].credential_id]


def test_a_reservation_keeps_its_slots_as_the_json_module_writes_them(tmp_path) -> None:
    import json as json_module

    from omc_vc.issue.config import StatusConfig

    status = StatusConfig(base_url="https://c.example/s/é/", suspension=True)
    with IssuanceState(tmp_path / "s.sqlite") as state:
        [reservation] = state.reserve_many([("student:1", "weld-101")], status)
        [stored] = state._db.execute("SELECT slots FROM reservations").fetchone()
        assert stored == json_module.dumps([s.to_json() for s in reservation.slots])
        assert state.pending() == [reservation]


@pytest.mark.parametrize("workers", [1, 2])
def test_rows_checked_chunk_by_chunk_give_what_checking_the_whole_roster_first_gives(tmp_path, monkeypatch,
                                                                                       workers) -> None:
    # the batch checks the roster's rows as it needs them (the workers start on the first rows): with chunks
    # of 4 rows, a duplicate 30 rows after its original, an achievement that breaks the policy first named
    # near the end and a broken quote on the last line are reported exactly as --strict's up-front check
    # reports them, in roster order, and the progress counts every row once, ending at the total
    from omc_vc.issue import batch

    monkeypatch.setattr(batch, "TASK", 2)
    monkeypatch.setattr(batch, "CHUNK", 2)
    config, key = make_institution(tmp_path)
    lines = ["name,email,achievement,completion_date"]
    lines += [f"Learner {n},l{n}@example.ca,{'weld-101' if n % 3 else 'safety-100'},2026-06-01" for n in range(40)]
    lines[5] = "Bad Date,bd@example.ca,weld-101,June 1st"           # line 6
    lines[34] = "Learner 3,l3@example.ca,safety-100,2026-06-01"       # line 35: a duplicate of line 5
    lines[38] = "Gus Park,gus@example.ca,bad-four-noc,2026-06-20"     # line 39: refused by the preflight
    text = "\n".join(lines) + '\n"Broken,quote@example.ca,weld-101,2026-06-01\n'
    (tmp_path / "r.csv").write_text(text)
    seen: list[tuple[int, int]] = []
    report = issue_batch(config, tmp_path / "r.csv", tmp_path / "out", key=key, workers=workers,
                         progress=lambda done, total: seen.append((done, total)))
    assert [(e.line, e.message.split(" ")[0]) for e in report.errors] == [
        (6, "completion_date"), (35, "duplicate"), (39, "achievement"), (42, "not")]
    assert "duplicate of line 5" in report.errors[1].message and "nocCodes" in report.errors[2].message
    assert len(report.issued) == 37 and len(_files(tmp_path / "out")) == 37
    assert seen[-1] == (41, 41) and all(total == 41 for _, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    with pytest.raises(PolicyError, match=r"line 6: completion_date.*line 39: achievement 'bad-four-noc'"):
        issue_batch(config, tmp_path / "r.csv", tmp_path / "strict", key=key, workers=workers, strict=True)


