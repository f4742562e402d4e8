"""Issuance state in SQLite: one row per credential, status-list indices never reused, resumable.

DESIGN decision 10. Every change is one transaction opened with ``BEGIN IMMEDIATE`` (two processes
issuing from the same database serialise instead of allocating the same index), the database runs in
WAL mode with ``synchronous=FULL`` (a committed row survives a power cut).

Issuing one credential is three steps, each safe to interrupt:

1. **reserve** (one transaction): the credential's id and its random status-list indices are recorded
   as a reservation, unique per (learner, achievement); the indices go to ``allocations`` for good.
2. the signed file is written atomically (temp file, fsync, rename);
3. **complete** (one transaction): the credential row (id, learner, achievement, indices, content
   hash, time) replaces the reservation. ``complete_many`` does this for a group of credentials whose
   files are all durable already, in one transaction (group commit).

A run killed after 1 finds its reservation again and signs the same id with the same indices; killed
after 2 it adopts the file already written (same id); killed after 3 it skips the learner. So each
(learner, achievement) is issued exactly once and no index is ever given to two credentials.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple
from urllib.parse import quote

from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.errors import IssuanceError
from omc_vc.issue.config import StatusConfig

__all__ = ["RECORD_COLUMNS", "Completion", "CredentialRecord", "IssuanceState", "ListInfo", "Reservation",
           "StatusSlot", "read_records"]

SCHEMA_VERSION: Final = "1"
BUSY_TIMEOUT_MS: Final = 60_000
REVOCATION: Final = "revocation"
SUSPENSION: Final = "suspension"

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lists (
    url TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    number INTEGER NOT NULL,
    bits INTEGER NOT NULL CHECK (bits > 0),
    used INTEGER NOT NULL DEFAULT 0,
    open INTEGER NOT NULL DEFAULT 1,
    UNIQUE (purpose, number)
);
CREATE TABLE IF NOT EXISTS allocations (
    list_url TEXT NOT NULL REFERENCES lists(url),
    idx INTEGER NOT NULL CHECK (idx >= 0),
    credential_id TEXT NOT NULL,
    PRIMARY KEY (list_url, idx)
);
CREATE TABLE IF NOT EXISTS reservations (
    credential_id TEXT PRIMARY KEY,
    learner_key TEXT NOT NULL,
    achievement TEXT NOT NULL,
    slots TEXT NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (learner_key, achievement)
);
CREATE TABLE IF NOT EXISTS credentials (
    id TEXT PRIMARY KEY,
    learner_key TEXT NOT NULL,
    learner_name TEXT NOT NULL,
    achievement TEXT NOT NULL,
    status_list TEXT,
    status_index INTEGER,
    suspension_list TEXT,
    suspension_index INTEGER,
    content_hash TEXT NOT NULL,
    file TEXT,
    issued TEXT NOT NULL,
    revoked TEXT,
    suspended INTEGER NOT NULL DEFAULT 0,
    UNIQUE (learner_key, achievement),
    UNIQUE (status_list, status_index),
    UNIQUE (suspension_list, suspension_index)
);
"""


#: The columns of a credential row, in the order every query here reads them.
RECORD_COLUMNS: Final = ("id", "learner_key", "learner_name", "achievement", "status_list", "status_index",
                         "suspension_list", "suspension_index", "content_hash", "file", "issued", "revoked",
                         "suspended")
_RECORD: Final = ("SELECT id, learner_key, learner_name, achievement, status_list, status_index, suspension_list, "
                  "suspension_index, content_hash, file, issued, revoked, suspended FROM credentials")
_SELECT_BY_LEARNER: Final = _RECORD + " WHERE learner_key = ? AND achievement = ?"
_SELECT_BY_ID: Final = _RECORD + " WHERE id = ?"
_SELECT_ALL: Final = _RECORD + " ORDER BY issued, id"
#: The listed credentials by file, then id (``ORDER BY COALESCE(file, ''), id``): the listing's own key order,
#: each credential looked up by id (CROSS JOIN keeps the listing the outer loop: no sort).
_FROM_LISTING: Final = ("FROM temp.run_listing AS listed CROSS JOIN credentials USING (id) "
                        "ORDER BY listed.file_key, listed.id")
_SELECT_LISTING: Final = _RECORD.removesuffix(" FROM credentials") + " " + _FROM_LISTING


@dataclass(frozen=True)
class StatusSlot:
    """One allocated position: ``purpose`` on the list at ``url``, index ``index``."""

    purpose: str
    url: str
    index: int

    def to_json(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "url": self.url, "index": self.index}


class Reservation(NamedTuple):
    """A credential id and its status slots, reserved for one (learner, achievement)."""

    credential_id: str
    learner_key: str
    achievement: str
    slots: tuple[StatusSlot, ...]


@dataclass(frozen=True)
class CredentialRecord:
    """One issued credential as the state database records it."""

    id: str
    learner_key: str
    learner_name: str
    achievement: str
    status_list: str | None
    status_index: int | None
    suspension_list: str | None
    suspension_index: int | None
    content_hash: str
    file: str | None
    issued: str
    revoked: str | None
    suspended: bool

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "learner": self.learner_name, "learnerKey": self.learner_key,
                "achievement": self.achievement, "statusList": self.status_list, "statusIndex": self.status_index,
                "suspensionList": self.suspension_list, "suspensionIndex": self.suspension_index,
                "contentHash": self.content_hash, "file": self.file, "issued": self.issued,
                "revoked": self.revoked, "suspended": self.suspended}


class Completion(NamedTuple):
    """One argument of :meth:`IssuanceState.complete_many`: what :meth:`IssuanceState.complete` takes."""

    reservation: Reservation
    learner_name: str
    content_hash: str
    file: str | None
    issued: str


@dataclass(frozen=True)
class ListInfo:
    url: str
    purpose: str
    number: int
    bits: int
    used: int


@contextmanager
def issuing_lock(state_path: str | Path) -> Iterator[None]:
    """Hold the institution's issuing lock for a whole run (an exclusive flock beside the state database).

    Two processes issuing into one state database take turns: the second waits, then finds the
    credentials the first issued and issues each missing one exactly once. Without it both could sign
    the same pending reservation (one credential id, two different documents). The kernel drops the
    lock when its process dies (SIGKILL included), so a crash never leaves it held.
    """
    lock_path = Path(f"{state_path}.lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+b")  # held for the whole run
    except OSError as exc:
        raise IssuanceError(f"cannot open the issuing lock {lock_path}: {exc.strerror}") from exc
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


class IssuanceState:
    """The issuance database of one institution (a file; created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise IssuanceError(f"issuance state {self.path}: the database cannot use WAL mode ({mode})")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            # a cohort's rows and index pages in memory (the default page cache is 2 MB), and the run's
            # listing (a TEMP table) never in a temporary file
            self._db.execute("PRAGMA cache_size = -32768")
            self._db.execute("PRAGMA temp_store = MEMORY")
            with self.transaction() as db:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if row is None:
                    db.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
                elif row[0] != SCHEMA_VERSION:
                    raise IssuanceError(f"issuance state {self.path} has schema {row[0]}, expected {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise IssuanceError(f"issuance state {self.path} cannot be opened: {exc}") from exc

    # --- plumbing -----------------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> IssuanceState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with BEGIN IMMEDIATE (the write lock up front)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise IssuanceError(f"issuance state {self.path} is locked or unusable: {exc}") from exc
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    # --- reserve / complete -------------------------------------------------------------------------
    def reserve_many(self, items: Iterable[tuple[str, str]],
                     status: StatusConfig) -> list[Reservation | CredentialRecord]:
        """For each (learner key, achievement): the credential already issued, or a reservation.

        An existing reservation is returned as it is (same id, same indices); otherwise a new one is
        made. All in one transaction, with a few statements for the whole group: the issued credentials
        and pending reservations are looked up together, the new credentials' status indices drawn
        together (:class:`_Allocator`) and their reservations inserted together.
        """
        wanted = list(items)
        with self.transaction() as db:
            issued = _issued_by_pair(db, wanted)
            pending = _pending_by_pair(db, wanted)
            fresh = list(dict.fromkeys(p for p in wanted if p not in issued and p not in pending))
            if fresh:
                allocator = _Allocator(db, status)
                ids = [f"urn:uuid:{allocator.random.uuid4()}" for _ in fresh]
                purposes = [REVOCATION] + ([SUSPENSION] if status.suspension else [])
                slots = [allocator.allocate(purpose, ids) for purpose in purposes]
                created = format_datetime(utcnow())
                new_rows: list[tuple[str, str, str, str, str]] = []
                for n, pair in enumerate(fresh):
                    own = tuple(column[n] for column in slots)
                    pending[pair] = Reservation(ids[n], pair[0], pair[1], own)
                    new_rows.append((ids[n], pair[0], pair[1], json.dumps([s.to_json() for s in own]), created))
                db.executemany("INSERT INTO reservations (credential_id, learner_key, achievement, slots, created) "
                               "VALUES (?, ?, ?, ?, ?)", new_rows)
        # the same pair twice in one call gets the one reservation
        return [issued.get(pair) or pending[pair] for pair in wanted]

    def reserve(self, learner_key: str, achievement: str, status: StatusConfig) -> Reservation | CredentialRecord:
        return self.reserve_many([(learner_key, achievement)], status)[0]

    def complete(self, reservation: Reservation, *, learner_name: str, content_hash: str, file: str | None,
                 issued: str) -> CredentialRecord:
        """Record the credential as issued (its file is already written) and drop the reservation."""
        with self.transaction() as db:
            return self._complete(db, reservation, learner_name=learner_name, content_hash=content_hash, file=file,
                                  issued=issued)

    def complete_many(self, items: Sequence[Completion]) -> list[CredentialRecord]:
        """:meth:`complete` for many credentials in one transaction (group commit): all rows or none.

        Every file must already be durable (written, fsynced, renamed, its folder fsynced) before this
        is called; a crash before the commit leaves the files to be adopted on resume.

        The usual case (every reservation still pending, no credential yet for any of the pairs) is one
        DELETE and one INSERT per row, run as two statements; anything else (a replayed completion, a
        reservation another process changed) rolls that back and takes :meth:`complete`'s path row by row,
        with the same outcome and the same errors.
        """
        rows = self._complete_group(items)
        return [row if isinstance(row, CredentialRecord) else _record_of(row) for row in rows]

    def complete_many_ids(self, items: Sequence[Completion]) -> list[str]:
        """:meth:`complete_many` giving the credential ids only (a batch's group commit: no record is built)."""
        return [row.id if isinstance(row, CredentialRecord) else row[0] for row in self._complete_group(items)]

    def _complete_group(self, items: Sequence[Completion]) -> list[CredentialRecord] | list[tuple[Any, ...]]:
        """The group commit: the inserted rows (the usual case) or the records of :meth:`complete`'s path."""
        if not items:
            return []
        with self.transaction() as db:
            db.execute("SAVEPOINT group_commit")
            try:
                rows = _complete_fresh(db, items)
            except sqlite3.IntegrityError:
                rows = None
            if rows is not None:
                db.execute("RELEASE group_commit")
                return rows
            db.execute("ROLLBACK TO group_commit")
            db.execute("RELEASE group_commit")
            return [self._complete(db, item.reservation, learner_name=item.learner_name,
                                   content_hash=item.content_hash, file=item.file, issued=item.issued)
                    for item in items]

    def _complete(self, db: sqlite3.Connection, reservation: Reservation, *, learner_name: str, content_hash: str,
                  file: str | None, issued: str) -> CredentialRecord:
        existing = self._issued(db, reservation.learner_key, reservation.achievement)
        if existing is not None:
            if existing.id != reservation.credential_id:
                raise IssuanceError(f"{reservation.learner_key} already holds {existing.id} for "
                                    f"{reservation.achievement}")
            return existing
        deleted = db.execute("DELETE FROM reservations WHERE credential_id = ?", (reservation.credential_id,))
        if deleted.rowcount != 1:
            raise IssuanceError(f"no reservation for {reservation.credential_id}: another process changed it")
        db.execute(_INSERT_CREDENTIAL, _credential_row(reservation, learner_name, content_hash, file, issued))
        record = self._issued(db, reservation.learner_key, reservation.achievement)
        assert record is not None
        return record

    # --- the listing of one run (a TEMP table: this connection only, never written to the database file) ---
    def listing_reset(self) -> None:
        """Start an empty listing: the credentials one batch run issued or found already issued."""
        # kept in the index's order (file, then id): the index is read without a sort
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS run_listing "
                         "(file_key TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (file_key, id)) WITHOUT ROWID")
        self._db.execute("DELETE FROM temp.run_listing")

    def listing_add(self, credentials: Iterable[tuple[str, str | None]]) -> None:
        """List credentials of the database, each given as (id, its file as its row holds it): each once,
        whatever the number of calls."""
        self._db.executemany("INSERT OR IGNORE INTO temp.run_listing (file_key, id) VALUES (?, ?)",
                             ((file or "", credential_id) for credential_id, file in credentials))

    def listing_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM temp.run_listing").fetchone()[0])

    def listing(self) -> Iterator[CredentialRecord]:
        """The listed credentials ordered by (file, id), read with a cursor (never all in memory)."""
        for row in self.listing_rows():
            yield self._record(row)

    def listing_select(self, expressions: str) -> Iterator[tuple[Any, ...]]:
        """The listed credentials in :meth:`listing`'s order, each as the SQL ``expressions`` over the
        credentials table's columns (index.json's entries, rendered by SQLite). ``expressions`` is program
        text (the batch's constants), never input: values are bound parameters everywhere."""
        query = f"SELECT {expressions} {_FROM_LISTING}"
        yield from _fetched(self._db.execute(query))

    def listing_rows(self) -> Iterator[tuple[Any, ...]]:
        """:meth:`listing` as the database's rows (the columns of :data:`RECORD_COLUMNS`), without building
        a record each: what an index of 100,000 credentials is written from."""
        yield from _fetched(self._db.execute(_SELECT_LISTING))

    # --- queries ------------------------------------------------------------------------------------
    @staticmethod
    def _record(row: tuple[Any, ...]) -> CredentialRecord:
        return CredentialRecord(
            id=row[0], learner_key=row[1], learner_name=row[2], achievement=row[3], status_list=row[4],
            status_index=row[5], suspension_list=row[6], suspension_index=row[7], content_hash=row[8], file=row[9],
            issued=row[10], revoked=row[11], suspended=bool(row[12]))

    def _issued(self, db: sqlite3.Connection, learner_key: str, achievement: str) -> CredentialRecord | None:
        row = db.execute(_SELECT_BY_LEARNER,
                         (learner_key, achievement)).fetchone()
        return self._record(row) if row else None

    def issued(self, learner_key: str, achievement: str) -> CredentialRecord | None:
        return self._issued(self._db, learner_key, achievement)

    def get(self, credential_id: str) -> CredentialRecord | None:
        row = self._db.execute(_SELECT_BY_ID, (credential_id,)).fetchone()
        return self._record(row) if row else None

    def records(self, ids: Sequence[str]) -> list[CredentialRecord]:
        """The records of ``ids`` in that order (an id with no credential row is left out)."""
        return _records_by_id(self._db, ids)

    def all(self) -> list[CredentialRecord]:
        rows = self._db.execute(_SELECT_ALL).fetchall()
        return [self._record(r) for r in rows]

    def pending(self) -> list[Reservation]:
        rows = self._db.execute("SELECT credential_id, learner_key, achievement, slots FROM reservations").fetchall()
        return [Reservation(str(r[0]), str(r[1]), str(r[2]), tuple(StatusSlot(**s) for s in json.loads(r[3])))
                for r in rows]

    def lists(self) -> list[ListInfo]:
        rows = self._db.execute("SELECT url, purpose, number, bits, used FROM lists "
                                "ORDER BY purpose, number").fetchall()
        return [ListInfo(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]

    def set_indices(self, list_url: str) -> list[int]:
        """The indices whose bit is 1 on ``list_url``: revoked credentials, or suspended ones."""
        rows = self._db.execute(
            "SELECT status_index FROM credentials WHERE status_list = ? AND revoked IS NOT NULL "
            "UNION SELECT suspension_index FROM credentials WHERE suspension_list = ? AND suspended = 1",
            (list_url, list_url)).fetchall()
        return sorted(int(r[0]) for r in rows)

    # --- status changes -----------------------------------------------------------------------------
    def set_revoked(self, credential_id: str, when: str) -> CredentialRecord:
        with self.transaction() as db:
            record = self._get_for_update(db, credential_id)
            if record.status_list is None:
                raise IssuanceError(f"{credential_id} has no revocation status entry")
            if record.revoked is None:
                db.execute("UPDATE credentials SET revoked = ? WHERE id = ?", (when, credential_id))
        return self._require(credential_id)

    def set_suspended(self, credential_id: str, suspended: bool) -> CredentialRecord:
        with self.transaction() as db:
            record = self._get_for_update(db, credential_id)
            if record.suspension_list is None:
                raise IssuanceError(f"{credential_id} was issued without a suspension status entry; it can only "
                                    "be revoked")
            if record.revoked is not None and suspended is False:
                raise IssuanceError(f"{credential_id} is revoked; revocation is permanent")
            db.execute("UPDATE credentials SET suspended = ? WHERE id = ?", (1 if suspended else 0, credential_id))
        return self._require(credential_id)

    def _get_for_update(self, db: sqlite3.Connection, credential_id: str) -> CredentialRecord:
        row = db.execute(_SELECT_BY_ID, (credential_id,)).fetchone()
        if row is None:
            raise IssuanceError(f"no credential {credential_id!r} in {self.path}", field="credential")
        return self._record(row)

    def _require(self, credential_id: str) -> CredentialRecord:
        record = self.get(credential_id)
        if record is None:
            raise IssuanceError(f"no credential {credential_id!r} in {self.path}", field="credential")
        return record


_ID_BATCH: Final = 500
_ALLOCATED: Final = "SELECT idx FROM allocations"
_PENDING: Final = "SELECT credential_id, learner_key, achievement, slots FROM reservations"
_DROP_RESERVATIONS: Final = "DELETE FROM reservations"

class _Randomness:
    """Bytes of the operating system's CSPRNG (``os.urandom``, what :mod:`secrets` uses) read 4 KiB at a
    time. One instance serves one transaction and is then dropped, so no drawn byte outlives it (nor is
    copied into a process forked later)."""

    def __init__(self) -> None:
        self._pool = b""
        self._at = 0

    def take(self, size: int) -> bytes:
        if self._at + size > len(self._pool):
            self._pool = os.urandom(max(4096, size))
            self._at = 0
        out = self._pool[self._at:self._at + size]
        self._at += size
        return out

    def below(self, bound: int) -> int:
        """A uniformly random integer in [0, bound): the low bits of fresh random bytes, drawn again while
        the value is too large (the rejection sampling of ``secrets.randbelow``)."""
        if bound <= 1:
            return 0
        bits = (bound - 1).bit_length()
        size = (bits + 7) // 8
        while True:
            value = int.from_bytes(self.take(size), "big") >> (size * 8 - bits)
            if value < bound:
                return value

    def uuid4(self) -> str:
        """A random (version 4, RFC 9562 §5.4) UUID in its canonical text form, as ``str(uuid.uuid4())``."""
        raw = bytearray(self.take(16))
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
        raw[8] = (raw[8] & 0x3F) | 0x80  # variant 10xx
        text = raw.hex()
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class _Allocator:
    """Status-list index allocation inside one transaction: the open list of each purpose is read once,
    and a whole group's indices are drawn, checked and inserted with a few statements."""

    def __init__(self, db: sqlite3.Connection, status: StatusConfig) -> None:
        self._db = db
        self._status = status
        self.random = _Randomness()

    def _open_list(self, purpose: str) -> tuple[str, int, int]:
        """The list new credentials go on: (url, bits, room left before fill_ratio). A full list is closed
        and the next one opened."""
        row = self._db.execute("SELECT url, bits, used FROM lists WHERE purpose = ? AND open = 1 "
                               "ORDER BY number LIMIT 1", (purpose,)).fetchone()
        if row is not None:
            url, bits, used = str(row[0]), int(row[1]), int(row[2])
            room = int(bits * self._status.fill_ratio) - used
            if room >= 1:
                return url, bits, room
            self._db.execute("UPDATE lists SET open = 0 WHERE url = ?", (url,))
        last = self._db.execute("SELECT COALESCE(MAX(number), 0) FROM lists WHERE purpose = ?",
                                (purpose,)).fetchone()[0]
        number = int(last) + 1
        url = self._status.list_url(purpose, number)
        self._db.execute("INSERT INTO lists (url, purpose, number, bits) VALUES (?, ?, ?, ?)",
                         (url, purpose, number, self._status.list_bits))
        return url, self._status.list_bits, max(1, int(self._status.list_bits * self._status.fill_ratio))

    def allocate(self, purpose: str, credential_ids: Sequence[str]) -> list[StatusSlot]:
        """One new slot on ``purpose``'s open list for each credential, in order (lists fill up to
        fill_ratio, then the next one is opened)."""
        out: list[StatusSlot] = []
        while len(out) < len(credential_ids):
            url, bits, room = self._open_list(purpose)
            owners = credential_ids[len(out):len(out) + room]
            indices = self._draw(url, bits, len(owners))
            self._db.executemany("INSERT INTO allocations (list_url, idx, credential_id) VALUES (?, ?, ?)",
                                 [(url, index, owner) for index, owner in zip(indices, owners, strict=True)])
            self._db.execute("UPDATE lists SET used = used + ? WHERE url = ?", (len(owners), url))
            out.extend(StatusSlot(purpose, url, index) for index in indices)
        return out

    def _draw(self, url: str, bits: int, count: int) -> list[int]:
        # BSL §6.1 (herd privacy): uniformly random unused indices, never a counter. Each candidate is
        # uniform on [0, bits); one already allocated (or drawn twice) is drawn again, so every credential
        # gets a uniformly random free index. The list is closed at fill_ratio, so each draw finds a free
        # index with probability >= 1 - fill_ratio.
        chosen: list[int] = []
        tried: set[int] = set()
        for _ in range(10_000):
            candidates = []
            for _ in range(count - len(chosen)):
                index = self.random.below(bits)
                if index not in tried:
                    tried.add(index)
                    candidates.append(index)
            taken: set[int] = set()
            for start in range(0, len(candidates), _ID_BATCH):
                part = candidates[start:start + _ID_BATCH]
                marks = ",".join("?" * len(part))
                taken.update(int(r[0]) for r in self._db.execute(
                    f"{_ALLOCATED} WHERE list_url = ? AND idx IN ({marks})", [url, *part]))
            chosen.extend(index for index in candidates if index not in taken)
            if len(chosen) == count:
                return chosen
        raise IssuanceError(f"no free index found on {url}")  # pragma: no cover - needs a full list


def _rows_for_pairs(db: sqlite3.Connection, pairs: Sequence[tuple[str, str]], select: str,
                    achievement_column: int) -> Iterator[tuple[tuple[str, str], Any]]:
    """The rows of ``select`` whose (learner key, achievement) is one of ``pairs``: a few queries for the
    whole group (learner keys in batches of _ID_BATCH); column 1 is the learner key."""
    wanted = set(pairs)
    keys = sorted({p[0] for p in wanted})
    for start in range(0, len(keys), _ID_BATCH):
        part = keys[start:start + _ID_BATCH]
        marks = ",".join("?" * len(part))
        for row in db.execute(f"{select} WHERE learner_key IN ({marks})", part):
            pair = (str(row[1]), str(row[achievement_column]))
            if pair in wanted:
                yield pair, row


def _issued_by_pair(db: sqlite3.Connection,
                    pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], CredentialRecord]:
    """The issued credentials of ``pairs`` (learner key, achievement)."""
    return {pair: IssuanceState._record(row) for pair, row in _rows_for_pairs(db, pairs, _RECORD, 3)}


def _pending_by_pair(db: sqlite3.Connection, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Reservation]:
    """The pending reservations of ``pairs`` (learner key, achievement)."""
    return {pair: Reservation(str(row[0]), pair[0], pair[1], tuple(StatusSlot(**s) for s in json.loads(row[3])))
            for pair, row in _rows_for_pairs(db, pairs, _PENDING, 2)}


def _complete_fresh(db: sqlite3.Connection, items: Sequence[Completion]) -> list[tuple[Any, ...]] | None:
    """The group commit's usual case: every reservation is dropped and every credential row inserted; the
    inserted rows (the first eleven columns of :data:`RECORD_COLUMNS`). None (or IntegrityError) when the
    group is not that case."""
    ids = [item.reservation.credential_id for item in items]
    if len(set(ids)) != len(ids):
        return None
    deleted = 0
    for start in range(0, len(ids), _ID_BATCH):
        part = ids[start:start + _ID_BATCH]
        marks = ",".join("?" * len(part))
        deleted += db.execute(f"{_DROP_RESERVATIONS} WHERE credential_id IN ({marks})", part).rowcount
    if deleted != len(ids):
        return None  # a reservation is gone: a replay, or another process (the row-by-row path decides)
    rows = [_credential_row(item.reservation, item.learner_name, item.content_hash, item.file, item.issued)
            for item in items]
    # a pair that already holds a credential breaks UNIQUE (learner_key, achievement): IntegrityError
    db.executemany(_INSERT_CREDENTIAL, rows)
    return rows


_INSERT_CREDENTIAL: Final = (
    "INSERT INTO credentials (id, learner_key, learner_name, achievement, status_list, status_index, "
    "suspension_list, suspension_index, content_hash, file, issued) VALUES (?,?,?,?,?,?,?,?,?,?,?)")


def _credential_row(reservation: Reservation, learner_name: str, content_hash: str, file: str | None,
                    issued: str) -> tuple[Any, ...]:
    """The values of :data:`_INSERT_CREDENTIAL` for a completed reservation (the first eleven columns of
    :data:`RECORD_COLUMNS`)."""
    slots = {s.purpose: s for s in reservation.slots}
    revocation, suspension = slots.get(REVOCATION), slots.get(SUSPENSION)
    return (reservation.credential_id, reservation.learner_key, learner_name, reservation.achievement,
            revocation.url if revocation else None, revocation.index if revocation else None,
            suspension.url if suspension else None, suspension.index if suspension else None,
            content_hash, file, issued)


def _record_of(row: tuple[Any, ...]) -> CredentialRecord:
    """The record of a row :func:`_complete_fresh` inserted (not revoked, not suspended)."""
    return IssuanceState._record((*row, None, 0))


def _records_by_id(db: sqlite3.Connection, ids: Sequence[str]) -> list[CredentialRecord]:
    found: dict[str, CredentialRecord] = {}
    for start in range(0, len(ids), _ID_BATCH):
        part = list(ids[start:start + _ID_BATCH])
        marks = ",".join("?" * len(part))
        for row in db.execute(f"{_RECORD} WHERE id IN ({marks})", part):
            record = IssuanceState._record(row)
            found[record.id] = record
    return [found[i] for i in ids if i in found]


def _fetched(cursor: sqlite3.Cursor) -> Iterator[tuple[Any, ...]]:
    """A query's rows, fetched 500 at a time."""
    try:
        while True:
            rows = cursor.fetchmany(500)
            if not rows:
                return
            yield from rows
    finally:
        cursor.close()


def read_records(path: str | Path, ids: Sequence[str]) -> list[CredentialRecord]:
    """The records of ``ids`` from the state database at ``path``, read only (no schema change, no lock)."""
    target = Path(path)
    try:
        uri = f"file:{quote(str(target.resolve()))}?mode=rw"  # never creates a database
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.DatabaseError as exc:
        raise IssuanceError(f"issuance state {target} cannot be opened: {exc}") from exc
    try:
        return _records_by_id(db, ids)
    except sqlite3.DatabaseError as exc:
        raise IssuanceError(f"issuance state {target} cannot be read: {exc}") from exc
    finally:
        db.close()
