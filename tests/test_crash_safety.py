"""Crash safety of batch issuance (issue 6, item 4; DESIGN decision 10).

``omc issue --roster`` runs in a subprocess on a 200-row roster and is killed with SIGKILL (the whole
process group: the CLI and its signing workers) after pseudo-random delays, then resumed. After every
kill and at the end: the state database is readable and consistent, no learner holds two credentials,
no status index is used twice, no credential on disk is unknown to the database, and at the end every
row is issued exactly once. Two issuing processes sharing one state database never allocate the same
status index.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.omc.sample import make_institution

#: enough rows that a run outlasts the longest random delay before a kill (0.8 s) on a fast machine too
ROWS = 800
KILLS = 8
ACHIEVEMENTS = ("weld-101", "weld-102", "weld-103", "safety-100")


def _roster(path: Path, first: int, count: int) -> Path:
    lines = ["name,email,student_number,achievement,completion_date,result"]
    for n in range(first, first + count):
        lines.append(f"Learner {n:04d},learner{n}@example.ca,S{n:07d},{ACHIEVEMENTS[n % 4]},"
                     f"2026-06-{1 + n % 28:02d},Pass")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _command(config_path: Path, roster: Path, out: Path, workers: int = 2) -> list[str]:
    return [sys.executable, "-m", "omc_vc.cli.main", "issue", "--config", str(config_path), "--roster", str(roster),
            "--out", str(out), "--workers", str(workers), "--json"]


def _documents(out: Path) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(out.glob("*.json")):
        if path.name == "index.json":
            continue
        docs.append(json.loads(path.read_bytes()))  # every file on disk is whole JSON (atomic writes)
    return docs


def _slots(document: dict[str, Any]) -> list[tuple[str, int]]:
    entries = document["credentialStatus"]
    entries = entries if isinstance(entries, list) else [entries]
    return [(e["statusListCredential"], int(e["statusListIndex"])) for e in entries]


def _check_invariants(db: Path, outs: list[Path]) -> tuple[int, set[str]]:
    """The invariants that must hold after any crash. Returns (issued rows, ids on disk)."""
    if not db.exists():
        return 0, set()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        # a readable database: SQLite's own consistency check, then our tables
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:  # killed while the store was being created: nothing issued; the next run creates it
            assert not [d for out in outs if out.exists() for d in _documents(out)]
            return 0, set()
        credentials = conn.execute("SELECT id, learner_key, achievement, status_list, status_index, "
                                   "suspension_list, suspension_index FROM credentials").fetchall()
        allocations = conn.execute("SELECT list_url, idx, credential_id FROM allocations").fetchall()
        reservations = conn.execute("SELECT credential_id, learner_key, achievement FROM reservations").fetchall()
    # no duplicate credential: one per (learner, achievement), in issued and pending rows together
    pairs = Counter((row[1], row[2]) for row in credentials) + Counter((row[1], row[2]) for row in reservations)
    assert not [p for p, n in pairs.items() if n > 1], "a learner holds two credentials for one achievement"
    assert len({row[0] for row in credentials}) == len(credentials)
    # no reused status index: every (list, index) is allocated to exactly one credential id
    assert len({(a[0], a[1]) for a in allocations}) == len(allocations)
    slots = [(r[3], r[4]) for r in credentials] + [(r[5], r[6]) for r in credentials if r[5] is not None]
    assert len(set(slots)) == len(slots), "two credentials share a status index"
    owner = {(a[0], a[1]): a[2] for a in allocations}
    for row in credentials:
        assert owner.get((row[3], row[4])) == row[0], "a credential's status index is not allocated to it"
    known = {row[0] for row in credentials} | {row[0] for row in reservations}
    on_disk: set[str] = set()
    slot_owner: dict[tuple[str, int], set[str]] = {}
    for out in outs:
        if not out.exists():
            continue
        for document in _documents(out):
            # nothing on disk that the database does not know (no orphan from a crashed attempt)
            assert document["id"] in known, f"{document['id']} is on disk but not in the state database"
            on_disk.add(document["id"])
            for slot in _slots(document):
                slot_owner.setdefault(slot, set()).add(document["id"])
    shared = {slot: ids for slot, ids in slot_owner.items() if len(ids) > 1}
    assert not shared, f"different credentials on disk share a status index: {list(shared.items())[:3]}"
    return len(credentials), on_disk


def _copies(outs: list[Path]) -> dict[str, int]:
    """How many signed documents on disk carry each credential id."""
    counts: Counter[str] = Counter()
    for out in outs:
        for document in _documents(out):
            counts[document["id"]] += 1
    return dict(counts)


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM credentials").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # the schema is not created yet


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    config, _ = make_institution(tmp_path / "inst", suspension=True)
    roster = _roster(tmp_path / "cohort.csv", 0, ROWS)
    out = tmp_path / "issued"
    command = _command(config.path, roster, out)
    rng = random.Random(20260615)  # reproducible "random" kill points
    issued_before = 0
    mid_run = 0
    for attempt in range(KILLS):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        if attempt % 3 == 0:
            # a kill after a random delay: lands in start-up, reservation, or the first signatures
            time.sleep(rng.uniform(0.05, 0.8))
        else:
            # a kill at a random point of the signing loop: after a random number of further commits, plus a
            # random few milliseconds so it falls anywhere between a file write and its row's commit
            goal = min(ROWS - 1, issued_before + rng.randint(1, 30))
            deadline = time.monotonic() + 120
            while _count(config.state_path) < goal and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.03))
        finished = process.poll() is not None
        _kill_group(process)
        issued, on_disk = _check_invariants(config.state_path, [out])
        assert issued >= issued_before, "a committed credential disappeared"
        mid_run += issued_before < issued < ROWS
        issued_before = issued
        if finished:
            break
    # the kill points must have landed while credentials were being issued, or this test proves nothing
    assert mid_run >= 2, f"only {mid_run} kill(s) landed mid-issuance"
    # resume to the end
    final = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert final.returncode == 0, final.stderr[-2000:]
    report = json.loads(final.stdout)
    assert report["issued"] + report["alreadyIssued"] == ROWS
    issued, on_disk = _check_invariants(config.state_path, [out])
    # none lost: every row issued once, its file on disk, and the files are exactly the database's rows
    assert issued == ROWS
    assert len(on_disk) == ROWS
    documents = _documents(out)
    assert len(documents) == ROWS
    assert len({(d["credentialSubject"]["identifier"][0]["identityHash"], d["credentialSubject"]["achievement"]["id"])
                for d in documents}) == ROWS
    with sqlite3.connect(config.state_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM reservations").fetchone()[0] == 0
        assert {r[0] for r in conn.execute("SELECT id FROM credentials")} == on_disk
    assert not list(out.glob(".*.tmp")), "a temporary file of an atomic write was left behind"


@pytest.mark.slow
def test_two_processes_on_one_state_database_never_share_a_status_index(tmp_path: Path) -> None:
    config, _ = make_institution(tmp_path / "inst", suspension=True)
    first = _roster(tmp_path / "a.csv", 0, 120)
    second = _roster(tmp_path / "b.csv", 60, 120)  # rows 60-119 are in both rosters
    outs = [tmp_path / "out-a", tmp_path / "out-b"]
    processes = [subprocess.Popen(_command(config.path, roster, out, workers=1), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
                 for roster, out in zip((first, second), outs, strict=True)]
    results = [p.communicate(timeout=300) for p in processes]
    for process, (stdout, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr.decode()[-2000:]
    issued, on_disk = _check_invariants(config.state_path, outs)
    # 180 distinct learners: the 60 shared rows are issued once, by whichever process reserved them first
    assert issued == 180
    assert len(on_disk) == 180



@pytest.mark.slow
def test_two_processes_with_overlapping_rosters_sign_each_credential_once(tmp_path: Path) -> None:
    """Exactly once across processes: a row both rosters hold is signed and written by one process only.

    Stops the double-signing found by this test: without the issuing lock both processes took the same
    pending reservation, signed it with different salts and wrote both, one id as two documents.
    """
    config, _ = make_institution(tmp_path / "inst", suspension=True)
    first = _roster(tmp_path / "a.csv", 0, 120)
    second = _roster(tmp_path / "b.csv", 60, 120)
    outs = [tmp_path / "out-a", tmp_path / "out-b"]
    processes = [subprocess.Popen(_command(config.path, roster, out, workers=1), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
                 for roster, out in zip((first, second), outs, strict=True)]
    results = [p.communicate(timeout=300) for p in processes]
    assert all(p.returncode == 0 for p in processes), [e.decode()[-500:] for _, e in results]
    twice = [i for i, n in _copies(outs).items() if n > 1]
    reports = [json.loads(stdout) for stdout, _ in results]
    assert not twice, f"{len(twice)} credential id(s) were signed and written by both processes"
    assert sum(r["issued"] for r in reports) == 180
    assert sum(r["alreadyIssued"] for r in reports) == 60


def _group_members(pgid: int) -> dict[int, str]:
    """The processes of a process group and their state letter (Linux /proc)."""
    members: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:  # fields after "(comm)": state, ppid, pgrp, ...
            members[int(stat.parent.name)] = fields[0]
    return members


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the workers' death signal is Linux's")
def test_batch_process_killed_alone_leaves_no_worker_and_the_rerun_does_not_wait_forever(tmp_path: Path) -> None:
    """SIGKILL of the batch process only (as the OOM killer does), not of its signing workers.

    The workers inherit the issuing lock's descriptor when they are forked; left running (idle, waiting for a task
    that never comes) they kept the lock, and the re-run waited for it forever. They now die with their parent.
    """
    config, _ = make_institution(tmp_path / "inst", suspension=True)
    rows = 600
    roster = _roster(tmp_path / "cohort.csv", 0, rows)
    out = tmp_path / "issued"
    command = _command(config.path, roster, out)
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while _count(config.state_path) < 1 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert first.poll() is None, "the batch finished before it could be killed"
        workers = [pid for pid in _group_members(first.pid) if pid != first.pid]
        assert workers, "no signing worker was running"
        os.kill(first.pid, signal.SIGKILL)  # the parent only
        first.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
                state != "Z" for pid, state in _group_members(first.pid).items() if pid in workers):
            time.sleep(0.05)
        alive = {pid: state for pid, state in _group_members(first.pid).items() if state != "Z"}
        assert not alive, f"signing workers outlived the batch process: {alive}"
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        for pid in _group_members(first.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    issued, _ = _check_invariants(config.state_path, [out])
    assert 0 < issued < rows
    final = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # not forever
    assert final.returncode == 0, final.stderr[-2000:]
    report = json.loads(final.stdout)
    assert report["issued"] + report["alreadyIssued"] == rows and report["alreadyIssued"] >= issued
    issued, on_disk = _check_invariants(config.state_path, [out])
    assert issued == rows and len(on_disk) == rows
    assert not list(out.glob(".*.tmp"))
