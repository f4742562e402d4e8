"""The issuance state database: exactly-once reservations and status indices that are never reused."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from omc_vc.errors import IssuanceError
from omc_vc.issue.config import StatusConfig
from omc_vc.issue.state import CredentialRecord, IssuanceState, Reservation

STATUS = StatusConfig(base_url="https://college.example.ca/status/", suspension=True)


def _issue(state: IssuanceState, learner: str, achievement: str = "weld-101") -> CredentialRecord:
    outcome = state.reserve(learner, achievement, STATUS)
    assert isinstance(outcome, Reservation)
    return state.complete(outcome, learner_name=learner, content_hash="00" * 32, file=None,
                          issued="2026-06-01T00:00:00Z")


def test_database_uses_wal_and_full_sync(tmp_path) -> None:
    IssuanceState(tmp_path / "s.sqlite").close()
    db = sqlite3.connect(tmp_path / "s.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_interrupted_reservation_is_resumed_with_the_same_id_and_indices(tmp_path) -> None:
    with IssuanceState(tmp_path / "s.sqlite") as state:
        first = state.reserve("email:ana@example.ca", "weld-101", STATUS)
    # a new process (the re-run) asks again for the same learner and achievement
    with IssuanceState(tmp_path / "s.sqlite") as state:
        again = state.reserve("email:ana@example.ca", "weld-101", STATUS)
        assert again == first
        record = state.complete(again, learner_name="Ana", content_hash="ab" * 32, file="a.json",
                                issued="2026-06-01T00:00:00Z")
        # and once complete, the re-run gets the issued record: no second credential
        assert state.reserve("email:ana@example.ca", "weld-101", STATUS) == record


def test_replayed_completion_cannot_create_a_duplicate(tmp_path) -> None:
    with IssuanceState(tmp_path / "s.sqlite") as state:
        reservation = state.reserve("email:ana@example.ca", "weld-101", STATUS)
        assert isinstance(reservation, Reservation)
        one = state.complete(reservation, learner_name="Ana", content_hash="ab" * 32, file=None, issued="t")
        two = state.complete(reservation, learner_name="Ana", content_hash="cd" * 32, file=None, issued="t")
        assert one == two and len(state.all()) == 1


def test_indices_are_random_distinct_and_never_reused_after_revocation(tmp_path) -> None:
    with IssuanceState(tmp_path / "s.sqlite") as state:
        records = [_issue(state, f"student:{n}") for n in range(200)]
        revoked = records[0]
        state.set_revoked(revoked.id, "2026-07-01T00:00:00Z")
        later = [_issue(state, f"student:late-{n}") for n in range(200)]
        indices = [r.status_index for r in records + later]
        assert len(set(indices)) == 400
        assert revoked.status_index not in [r.status_index for r in later]
        # BSL §6.1: not a counter (a sequential allocator would give 0..399)
        assert sorted(indices) != list(range(400))
        assert all(r.suspension_list and r.suspension_list.endswith("suspension-1.json") for r in records)


def test_full_list_rolls_over_to_a_new_list(tmp_path) -> None:
    small = StatusConfig(base_url="https://c.example/s/", list_bits=131072, fill_ratio=0.0001)  # 13 per list
    with IssuanceState(tmp_path / "s.sqlite") as state:
        records = []
        for n in range(30):
            outcome = state.reserve(f"student:{n}", "weld-101", small)
            assert isinstance(outcome, Reservation)
            records.append(state.complete(outcome, learner_name="x", content_hash="0", file=None, issued="t"))
        urls = {r.status_list for r in records}
        assert urls == {"https://c.example/s/revocation-1.json", "https://c.example/s/revocation-2.json",
                        "https://c.example/s/revocation-3.json"}
        assert len({(r.status_list, r.status_index) for r in records}) == 30


def test_two_processes_allocating_at_once_never_share_an_index(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    IssuanceState(path).close()
    results: list[CredentialRecord] = []
    errors: list[BaseException] = []

    def worker(prefix: str) -> None:
        try:
            with IssuanceState(path) as state:  # its own connection, as a second process has
                for n in range(60):
                    results.append(_issue(state, f"{prefix}:{n}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(p,)) for p in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({(r.status_list, r.status_index) for r in results}) == 180
    assert len({(r.suspension_list, r.suspension_index) for r in results}) == 180


def test_unsuspending_a_revoked_credential_is_refused(tmp_path) -> None:
    with IssuanceState(tmp_path / "s.sqlite") as state:
        record = _issue(state, "student:1")
        state.set_suspended(record.id, True)
        state.set_revoked(record.id, "2026-07-01T00:00:00Z")
        with pytest.raises(IssuanceError, match="revocation is permanent"):
            state.set_suspended(record.id, False)
        assert state.set_indices(record.status_list) == [record.status_index]


def test_corrupt_state_file_is_a_typed_error(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(IssuanceError, match="cannot be opened"):
        IssuanceState(path)
