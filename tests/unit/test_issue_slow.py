"""The issue-3 acceptance run: a 1,000-row roster, killed with SIGKILL halfway, re-run to the end."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omc_vc.omc.profile import OmcProfileCheck
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import make_institution

ROWS = 1000


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM credentials").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_batch_killed_halfway_and_rerun_issues_each_credential_exactly_once(tmp_path) -> None:
    config, _ = make_institution(tmp_path / "inst", suspension=True)
    roster = tmp_path / "cohort.csv"
    lines = ["name,email,student_number,achievement,completion_date,result"]
    for n in range(ROWS):
        achievement = ("weld-101", "weld-102", "weld-103", "safety-100")[n % 4]
        lines.append(f"Learner {n:04d},learner{n}@example.ca,S{n:07d},{achievement},2026-06-{1 + n % 28:02d},Pass")
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "issued"
    command = [sys.executable, "-m", "omc_vc.cli.main", "issue", "--config", str(config.path), "--roster",
               str(roster), "--out", str(out), "--workers", "2", "--json"]

    # run 1: SIGKILL the whole process group (the CLI and its signing workers) partway through
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while _count(config.state_path) < ROWS // 3 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.02)
        assert first.poll() is None, "the batch finished before it could be killed"
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    killed_at = _count(config.state_path)
    assert ROWS // 3 <= killed_at < ROWS

    # run 2: the re-run completes the cohort
    second = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert second.returncode == 0, second.stderr[-2000:]
    report = json.loads(second.stdout)
    assert report["issued"] + report["alreadyIssued"] == ROWS
    assert report["alreadyIssued"] >= killed_at

    files = sorted(p for p in out.glob("*.json") if p.name != "index.json")
    assert len(files) == ROWS
    assert not list(out.glob(".*.tmp"))
    documents = [json.loads(p.read_bytes()) for p in files]
    ids = {d["id"] for d in documents}
    assert len(ids) == ROWS
    revocation = {(e["statusListCredential"], e["statusListIndex"]) for d in documents
                  for e in d["credentialStatus"] if e["statusPurpose"] == "revocation"}
    suspension = {(e["statusListCredential"], e["statusListIndex"]) for d in documents
                  for e in d["credentialStatus"] if e["statusPurpose"] == "suspension"}
    assert len(revocation) == ROWS and len(suspension) == ROWS
    with sqlite3.connect(config.state_path) as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT status_index) FROM credentials"
                            ).fetchone() == (ROWS, ROWS, ROWS)
        assert conn.execute("SELECT COUNT(*) FROM reservations").fetchone()[0] == 0
        assert {r[0] for r in conn.execute("SELECT id FROM credentials")} == ids
    index = json.loads((out / "index.json").read_text())
    assert index["count"] == ROWS

    # every signature is valid (fast loop: the proof check only), and a sample passes everything
    fast = Verifier()
    bad = [p.name for p in files if not fast.verify(p.read_bytes(), checks=["proof"]).verified]
    assert bad == []
    full = Verifier(extra_checks=[OmcProfileCheck()])
    for path in files[:: ROWS // 10]:
        result = full.verify(path.read_bytes())
        assert result.verified, (path.name, result.errors)
