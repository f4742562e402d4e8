"""The issuance store suite: every Store implementation runs it (``STORES``: the embedded SQLite store and
the shared PostgreSQL one, on a throwaway cluster with a fresh schema per test). Exactly-once reservations,
status indices that are never reused, the signed documents kept, status changes and the list state."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from omc_vc.errors import IssuanceError
from omc_vc.issue.config import StatusConfig
from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.issue.store import Completion, CredentialRecord, Reservation, SignedList, Store

STATUS = StatusConfig(base_url="https://college.example.ca/status/", suspension=True)

STORES = ("sqlite", "postgresql")


def store_factory(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Any]:
    """A factory of the ``kind`` store of one test: SQLite in ``tmp_path``, or PostgreSQL in a fresh schema of
    the session's cluster (migrated on first open). Each call opens it again, as a re-run or another process."""
    if kind == "sqlite":
        return lambda: SqliteStore(tmp_path / "s.sqlite")
    from omc_vc.issue.pg_store import PostgresStore

    cluster = request.getfixturevalue("pg_cluster")
    url, schema = cluster.url(), cluster.new_schema()
    return lambda: PostgresStore(url, schema=schema, migrate_first=True)


@pytest.fixture(params=STORES)
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """Opens the implementation's store (again: a new connection, as a re-run or another process)."""
    return store_factory(request.param, request, tmp_path)


def _issue(state: Store, learner: str, achievement: str = "weld-101") -> CredentialRecord:
    [outcome] = state.reserve_many([(learner, achievement)], STATUS)
    assert isinstance(outcome, Reservation)
    return state.complete(Completion(outcome, learner, "00" * 32, None, "2026-06-01T00:00:00Z",
                                     document=f'{{"id": "{outcome.credential_id}"}}'))


def test_database_uses_wal_and_full_sync(tmp_path) -> None:
    SqliteStore(tmp_path / "s.sqlite").close()
    db = sqlite3.connect(tmp_path / "s.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_interrupted_reservation_is_resumed_with_the_same_id_and_indices(open_store) -> None:
    state = open_store()
    [first] = state.reserve_many([("email:ana@example.ca", "weld-101")], STATUS)
    state.close()
    # a new process (the re-run) asks again for the same learner and achievement
    state = open_store()
    try:
        [again] = state.reserve_many([("email:ana@example.ca", "weld-101")], STATUS)
        assert again == first and isinstance(again, Reservation)
        record = state.complete(Completion(again, "Ana", "ab" * 32, "a.json", "2026-06-01T00:00:00Z"))
        # and once complete, the re-run gets the issued record: no second credential
        assert state.reserve_many([("email:ana@example.ca", "weld-101")], STATUS) == [record]
    finally:
        state.close()


def test_replayed_completion_cannot_create_a_duplicate(open_store) -> None:
    with closing(open_store()) as state:
        [reservation] = state.reserve_many([("email:ana@example.ca", "weld-101")], STATUS)
        assert isinstance(reservation, Reservation)
        one = state.complete(Completion(reservation, "Ana", "ab" * 32, None, "t"))
        two = state.complete(Completion(reservation, "Ana", "cd" * 32, None, "t"))
        assert one == two and len(state.all()) == 1


def test_indices_are_random_distinct_and_never_reused_after_revocation(open_store) -> None:
    with closing(open_store()) as state:
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


def test_full_list_rolls_over_to_a_new_list(open_store) -> None:
    small = StatusConfig(base_url="https://c.example/s/", list_bits=131072, fill_ratio=0.0001)  # 13 per list
    with closing(open_store()) as state:
        records = []
        for n in range(30):
            [outcome] = state.reserve_many([(f"student:{n}", "weld-101")], small)
            assert isinstance(outcome, Reservation)
            records.append(state.complete(Completion(outcome, "x", "0", None, "t")))
        urls = {r.status_list for r in records}
        assert urls == {"https://c.example/s/revocation-1.json", "https://c.example/s/revocation-2.json",
                        "https://c.example/s/revocation-3.json"}
        assert len({(r.status_list, r.status_index) for r in records}) == 30


def test_two_processes_allocating_at_once_never_share_an_index(open_store) -> None:
    open_store().close()
    results: list[CredentialRecord] = []
    errors: list[BaseException] = []

    def worker(prefix: str) -> None:
        try:
            with closing(open_store()) as state:  # its own connection, as a second process has
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


def test_unsuspending_a_revoked_credential_is_refused(open_store) -> None:
    with closing(open_store()) as state:
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
        SqliteStore(path)


def test_the_signed_document_is_kept_and_found_by_its_id(open_store) -> None:
    with closing(open_store()) as state:
        record = _issue(state, "student:1")
        assert state.document(record.id) == {"id": record.id}
        assert state.find(record.id) == [record] and state.get(record.id) == record
        assert state.document("urn:uuid:unknown") is None and state.find("urn:uuid:unknown") == []


def test_a_vcapi_credential_is_found_and_changed_by_the_id_its_caller_gave(open_store) -> None:
    with closing(open_store()) as state:
        [one, two] = state.reserve_many([("vcapi:1", ""), ("vcapi:2", "")], STATUS, purposes=["revocation"])
        assert isinstance(one, Reservation) and isinstance(two, Reservation)
        assert [s.purpose for s in one.slots] == ["revocation"]
        for reservation in (one, two):  # the same credential id issued twice (the W3C suites do)
            state.complete(Completion(reservation, "", "00", None, "t", document="{}", ref="urn:example:vc"))
        changed = state.set_revoked("urn:example:vc", "2026-07-01T00:00:00Z")
        assert {r.id for r in changed} == {one.credential_id, two.credential_id}
        assert all(r.revoked for r in changed)
        with pytest.raises(IssuanceError, match="suspension"):
            state.set_suspended("urn:example:vc", True)  # issued without a suspension entry


def test_each_signing_did_has_lists_of_its_own(open_store) -> None:
    with closing(open_store()) as state:
        [own] = state.reserve_many([("student:1", "weld-101")], STATUS)
        [other] = state.reserve_many([("vcapi:1", "")], STATUS, issuer="did:key:z6MkOther", purposes=["revocation"])
        assert isinstance(own, Reservation) and isinstance(other, Reservation)
        assert own.slots[0].url == "https://college.example.ca/status/revocation-1.json"
        assert other.slots[0].url != own.slots[0].url and other.slots[0].url.endswith("-1.json")
        issuers = {info.url: info.issuer for info in state.lists()}
        assert issuers[own.slots[0].url] is None and issuers[other.slots[0].url] == "did:key:z6MkOther"


def test_every_status_change_changes_the_status_version_and_the_signed_copy_is_kept(open_store) -> None:
    with closing(open_store()) as state:
        record = _issue(state, "student:1")
        before = state.status_version()
        state.set_suspended(record.id, True)
        after = state.status_version()
        assert after != before
        state.set_suspended(record.id, True)  # no change: same version
        assert state.status_version() == after
        info = next(i for i in state.lists() if i.url == record.suspension_list)
        assert state.set_indices(info.url) == [record.suspension_index]
        assert state.signed_list(info.url) is None
        state.save_signed_list(info.url, SignedList("{}", info.version, "2026-07-08T00:00:00Z"))
        assert state.signed_list(info.url) == SignedList("{}", info.version, "2026-07-08T00:00:00Z")
        # a slower signer's copy of an older version never replaces the newer one
        state.save_signed_list(info.url, SignedList('{"old": 1}', info.version - 1, "2026-07-01T00:00:00Z"))
        assert state.signed_list(info.url) == SignedList("{}", info.version, "2026-07-08T00:00:00Z")


def test_a_schema_1_database_is_migrated_when_opened(tmp_path) -> None:
    # a state database written before the signed documents and list state were kept
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema', '1');
        CREATE TABLE lists (url TEXT PRIMARY KEY, purpose TEXT NOT NULL, number INTEGER NOT NULL,
            bits INTEGER NOT NULL CHECK (bits > 0), used INTEGER NOT NULL DEFAULT 0,
            open INTEGER NOT NULL DEFAULT 1, UNIQUE (purpose, number));
        CREATE TABLE allocations (list_url TEXT NOT NULL REFERENCES lists(url), idx INTEGER NOT NULL,
            credential_id TEXT NOT NULL, PRIMARY KEY (list_url, idx));
        CREATE TABLE reservations (credential_id TEXT PRIMARY KEY, learner_key TEXT NOT NULL,
            achievement TEXT NOT NULL, slots TEXT NOT NULL, created TEXT NOT NULL, UNIQUE (learner_key, achievement));
        CREATE TABLE credentials (id TEXT PRIMARY KEY, learner_key TEXT NOT NULL, learner_name TEXT NOT NULL,
            achievement TEXT NOT NULL, status_list TEXT, status_index INTEGER, suspension_list TEXT,
            suspension_index INTEGER, content_hash TEXT NOT NULL, file TEXT, issued TEXT NOT NULL, revoked TEXT,
            suspended INTEGER NOT NULL DEFAULT 0, UNIQUE (learner_key, achievement),
            UNIQUE (status_list, status_index), UNIQUE (suspension_list, suspension_index));
        INSERT INTO lists VALUES ('https://college.example.ca/status/revocation-1.json', 'revocation', 1, 131072, 1, 1);
        INSERT INTO allocations VALUES ('https://college.example.ca/status/revocation-1.json', 7, 'urn:uuid:old');
        INSERT INTO credentials VALUES ('urn:uuid:old', 'student:0', 'Old', 'weld-101',
            'https://college.example.ca/status/revocation-1.json', 7, NULL, NULL, '00', 'old.json', 't', NULL, 0);
    """)
    db.close()
    with SqliteStore(path) as state:
        old = state.get("urn:uuid:old")
        assert old is not None and old.status_index == 7 and state.document(old.id) is None
        state.set_revoked(old.id, "2026-07-01T00:00:00Z")
        fresh = [_issue(state, f"student:{n}") for n in range(1, 50)]
        assert 7 not in {r.status_index for r in fresh if r.status_list == old.status_list}
    assert sqlite3.connect(path).execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == "2"


def test_a_database_of_an_unknown_schema_is_refused_naming_what_to_do(tmp_path) -> None:
    path = tmp_path / "new.sqlite"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '9' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(IssuanceError, match=r"schema 9.*use the omc-vc release that wrote it"):
        SqliteStore(path)


# --- requests made with an Idempotency-Key (the VC-API's POST /credentials/issue) ---------------------------
T0, LATER = "2026-06-01T00:00:00Z", "2026-06-02T00:00:01Z"
DAY_BEFORE_T0, DAY_BEFORE_LATER = "2026-05-31T00:00:00Z", "2026-06-01T00:00:01Z"


def test_a_request_key_is_claimed_once_and_then_names_its_credential(open_store) -> None:
    with closing(open_store()) as state, closing(open_store()) as other:
        first = state.claim_key("key-1", "d1", learner_key="vcapi:a", now=T0, forget_before=DAY_BEFORE_T0)
        assert first == ("key-1", "d1", "vcapi:a", T0, None)
        # a retry (on another process) with the same key, whatever it sends, finds the first claim: its digest
        # tells a different request apart, its learner key finds the first attempt's reservation again
        assert other.claim_key("key-1", "d2", learner_key="vcapi:b", now=T0, forget_before=DAY_BEFORE_T0) == first
        [reservation] = other.reserve_many([("vcapi:a", "")], STATUS, purposes=["revocation"])
        assert isinstance(reservation, Reservation)
        record = state.complete(Completion(reservation, "", "ab" * 32, None, T0, document='{"id": "x"}'))
        again = other.claim_key("key-1", "d1", learner_key="vcapi:c", now=T0, forget_before=DAY_BEFORE_T0)
        assert again.credential_id == record.id and again.learner_key == "vcapi:a"
        # a request's credential, once recorded, keeps its key: a late failure cannot free it for a second one
        state.release_key("key-1", "vcapi:a")
        assert state.claim_key("key-1", "d1", learner_key="vcapi:d", now=T0,
                               forget_before=DAY_BEFORE_T0).credential_id == record.id
        # another key is another request
        assert state.claim_key("key-2", "d1", learner_key="vcapi:e", now=T0,
                               forget_before=DAY_BEFORE_T0).learner_key == "vcapi:e"


def test_a_request_key_is_forgotten_after_its_lifetime_and_when_released(open_store) -> None:
    with closing(open_store()) as state:
        state.claim_key("old", "d1", learner_key="vcapi:a", now=T0, forget_before=DAY_BEFORE_T0)
        # a day later the key is free: a new request with it is a new request (the draft's key expiry)
        fresh = state.claim_key("old", "d2", learner_key="vcapi:b", now=LATER, forget_before=DAY_BEFORE_LATER)
        assert (fresh.digest, fresh.learner_key, fresh.created) == ("d2", "vcapi:b", LATER)
        # a request that failed before its credential was recorded gives its key back
        state.release_key("old", "vcapi:b")
        assert state.claim_key("old", "d3", learner_key="vcapi:c", now=LATER,
                               forget_before=DAY_BEFORE_LATER).digest == "d3"
        # a release by an attempt that no longer owns the claim changes nothing
        state.release_key("old", "vcapi:b")
        assert state.claim_key("old", "d4", learner_key="vcapi:d", now=LATER,
                               forget_before=DAY_BEFORE_LATER).digest == "d3"


def test_a_request_key_is_held_by_one_request_at_a_time(open_store) -> None:
    """A second request with the key, on another process or another thread of this one, finds it held (the
    draft's 409); other keys are free; the key is free again once the first request ends."""
    with closing(open_store()) as state, closing(open_store()) as other:
        with state.hold_key("key-1") as held:
            assert held
            with other.hold_key("key-1") as second:
                assert not second
            with other.hold_key("key-2") as free:
                assert free
            seen: list[bool] = []

            def try_here() -> None:  # the same store object, on another thread (omc serve's worker threads)
                with state.hold_key("key-1") as in_thread:
                    seen.append(in_thread)

            thread = threading.Thread(target=try_here)
            thread.start()
            thread.join(timeout=30)
            assert seen == [False]
        with other.hold_key("key-1") as after:
            assert after


_HOLDER = """
import sys, time
kind, where, schema = sys.argv[1:4]
if kind == "sqlite":
    from omc_vc.issue.sqlite_store import SqliteStore
    store = SqliteStore(where)
else:
    from omc_vc.issue.pg_store import PostgresStore
    store = PostgresStore(where, schema=schema)
with store.hold_key("key-1") as held:
    print(held, flush=True)
    time.sleep(120)
"""


@pytest.mark.parametrize("kind", STORES)
def test_a_killed_holder_frees_its_request_key(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """A process SIGKILLed while it holds a key (mid-request) does not leave the key held: the retry goes on."""
    import os
    import signal
    import subprocess
    import sys
    import time

    factory = store_factory(kind, request, tmp_path)
    with closing(factory()) as state:
        if kind == "sqlite":
            where, schema = str(tmp_path / "s.sqlite"), ""
        else:
            cluster = request.getfixturevalue("pg_cluster")
            where, schema = cluster.url(), state.schema  # type: ignore[attr-defined]
        holder = subprocess.Popen([sys.executable, "-c", _HOLDER, kind, where, schema], stdout=subprocess.PIPE,
                                  text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
            with state.hold_key("key-1") as held:
                assert not held
        finally:
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(timeout=30)
        deadline = time.monotonic() + 10  # the server notices the closed connection at once, the kernel too
        while True:
            with state.hold_key("key-1") as held:
                if held:
                    break
            assert time.monotonic() < deadline, "the killed holder's key stayed held"
            time.sleep(0.05)


def test_a_held_request_key_needs_one_connection_of_the_pool(request: pytest.FixtureRequest) -> None:
    """PostgreSQL: every store call of a request holding its key runs on the connection it holds, so as many
    requests as the pool has connections hold their keys and issue at once (none waits for a second one)."""
    from omc_vc.issue.pg_store import PostgresStore

    cluster = request.getfixturevalue("pg_cluster")
    url, schema = cluster.url(), cluster.new_schema()
    both_in = threading.Barrier(2, timeout=30)
    issued: list[str] = []
    with closing(PostgresStore(url, schema=schema, pool_size=2, migrate_first=True)) as state:
        def run(key: str) -> None:
            with state.hold_key(key) as held:
                assert held
                both_in.wait()  # both connections of the pool are held now
                claim = state.claim_key(key, "d", learner_key=f"vcapi:{key}", now=T0, forget_before=DAY_BEFORE_T0)
                [reservation] = state.reserve_many([(claim.learner_key, "")], STATUS, purposes=["revocation"])
                assert isinstance(reservation, Reservation)
                issued.append(state.complete(Completion(reservation, "", "ab" * 32, None, T0)).id)

        threads = [threading.Thread(target=run, args=(f"key-{n}",)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(issued) == 2 and len(state.all()) == 2


def test_a_run_holding_the_issuing_lock_needs_one_connection_of_the_pool(request: pytest.FixtureRequest) -> None:
    """PostgreSQL: the runs waiting for the issuing lock (one ``omc issue`` each, or a wallet's redeem on a
    service) hold pool connections while they wait; the holder's store calls run on its own connection, so it
    finishes and the others follow, even when the waiters hold every other connection of the pool."""
    import time

    from omc_vc.issue.pg_store import PostgresStore

    cluster = request.getfixturevalue("pg_cluster")
    url, schema = cluster.url(), cluster.new_schema()
    issued: list[str] = []
    errors: list[BaseException] = []
    with closing(PostgresStore(url, schema=schema, pool_size=2, migrate_first=True)) as state:
        def run(learner: str, first: bool) -> None:
            try:
                with state.exclusive():
                    if first:
                        time.sleep(0.5)  # the other runs take the pool's other connection and wait for the lock
                    [reservation] = state.reserve_many([(learner, "weld-101")], STATUS)
                    assert isinstance(reservation, Reservation)
                    issued.append(state.complete(Completion(reservation, learner, "ab" * 32, None, T0)).id)
            except BaseException as exc:  # reported below
                errors.append(exc)

        holder = threading.Thread(target=run, args=("email:first@example.ca", True))
        holder.start()
        time.sleep(0.1)
        waiters = [threading.Thread(target=run, args=(f"email:l{n}@example.ca", False)) for n in range(2)]
        started = time.monotonic()
        for thread in waiters:
            thread.start()
        for thread in [holder, *waiters]:
            thread.join(timeout=60)
        assert errors == [] and len(issued) == 3 and len(state.all()) == 3
        assert time.monotonic() - started < 5  # nobody waited out the pool's timeout
