"""The embedded issuance store: SQLite (stdlib), one file per institution; implements :class:`Store`.

DESIGN decision 10. Every change is one transaction opened with ``BEGIN IMMEDIATE`` (two processes
issuing from the same database serialise instead of allocating the same index), the database runs in
WAL mode with ``synchronous=FULL`` (a committed row survives a power cut).

Issuing one credential is three steps, each safe to interrupt:

1. **reserve** (one transaction): the credential's id and its random status-list indices are recorded
   as a reservation, unique per (learner, achievement); the indices go to ``allocations`` for good.
2. the credential is signed (and, for a roster, its file written atomically);
3. **complete** (one transaction): the credential row (id, learner, achievement, indices, content
   hash, time, the signed document) replaces the reservation. ``complete_many_ids`` does this for a
   group of credentials whose files are all durable already, in one transaction (group commit).

A run killed after 1 finds its reservation again and signs the same id with the same indices; killed
after 2 it adopts the file already written (same id); killed after 3 it skips the learner. So each
(learner, achievement) is issued exactly once and no index is ever given to two credentials.

A database of schema 1 (before the signed documents and the list state were kept) is migrated when it
is opened: the new columns are added, empty for the credentials issued before.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.errors import IssuanceError, OmcVcError
from omc_vc.i18n import Message
from omc_vc.issue.config import StatusConfig
from omc_vc.issue.sqlite_keys import KEY_SCHEMA, SqliteKeys
from omc_vc.issue.sqlite_offers import OFFER_SCHEMA, SqliteOffers
from omc_vc.issue.sqlite_records import RECORD_TABLES, RecordsMixin, add_learners
from omc_vc.issue.store import (
    REVOCATION,
    SUSPENSION,
    Completion,
    CredentialRecord,
    ListInfo,
    Reservation,
    SignedList,
    StatusSlot,
    record_of_row,
)

__all__ = ["SqliteStore", "read_records"]

SCHEMA_VERSION: Final = "2"
BUSY_TIMEOUT_MS: Final = 60_000

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lists (
    url TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    number INTEGER NOT NULL,
    bits INTEGER NOT NULL CHECK (bits > 0),
    used INTEGER NOT NULL DEFAULT 0,
    open INTEGER NOT NULL DEFAULT 1,
    issuer TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    signed TEXT,
    signed_version INTEGER,
    signed_until TEXT
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
    ref TEXT,
    document TEXT,
    UNIQUE (learner_key, achievement),
    UNIQUE (status_list, status_index),
    UNIQUE (suspension_list, suspension_index)
);
""" + OFFER_SCHEMA + RECORD_TABLES + KEY_SCHEMA
#: Indexes over the columns schema 2 added (made after a migration).
_INDEXES: Final = (
    "CREATE UNIQUE INDEX IF NOT EXISTS lists_by_issuer ON lists (COALESCE(issuer, ''), purpose, number)",
    "CREATE INDEX IF NOT EXISTS credentials_by_ref ON credentials (ref)",
)

#: Schema 1 -> 2: the signed documents, the callers' ids and the list state.
_MIGRATE_1: Final = (
    "ALTER TABLE lists ADD COLUMN issuer TEXT",
    "ALTER TABLE lists ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE lists ADD COLUMN signed TEXT",
    "ALTER TABLE lists ADD COLUMN signed_version INTEGER",
    "ALTER TABLE lists ADD COLUMN signed_until TEXT",
    "ALTER TABLE credentials ADD COLUMN ref TEXT",
    "ALTER TABLE credentials ADD COLUMN document TEXT",
)

_RECORD: Final = ("SELECT id, learner_key, learner_name, achievement, status_list, status_index, suspension_list, "
                  "suspension_index, content_hash, file, issued, revoked, suspended FROM credentials")
_SELECT_BY_LEARNER: Final = _RECORD + " WHERE learner_key = ? AND achievement = ?"
_SELECT_BY_ID: Final = _RECORD + " WHERE id = ?"
_SELECT_BY_REF: Final = _RECORD + " WHERE id = ? OR ref = ? ORDER BY issued, id"
_SELECT_ALL: Final = _RECORD + " ORDER BY issued, id"
#: The listed credentials by file, then id: the listing's own key order, each credential looked up by id
#: (CROSS JOIN keeps the listing the outer loop: no sort).
_FROM_LISTING: Final = ("FROM temp.run_listing AS listed CROSS JOIN credentials USING (id) "
                        "ORDER BY listed.file_key, listed.id")
_SELECT_LISTING: Final = _RECORD.removesuffix(" FROM credentials") + " " + _FROM_LISTING


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
        raise IssuanceError(Message("cannot open the issuing lock {path}: {why}", path=str(lock_path),
                                    why=str(exc.strerror))) from exc
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


class SqliteStore(SqliteOffers, RecordsMixin, SqliteKeys):
    """The issuance database of one institution (a file; created on first use). Implements
    :class:`omc_vc.issue.store.Store`; one connection, usable from several threads in turn."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                                       check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = self._wal()
            if str(mode).lower() != "wal":
                raise IssuanceError(Message("issuance state {path}: the database cannot use WAL mode ({mode})",
                                            path=str(self.path), mode=str(mode)))
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
                elif row[0] == "1":
                    for statement in _MIGRATE_1:
                        db.execute(statement)
                    db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))
                elif row[0] != SCHEMA_VERSION:
                    raise IssuanceError(Message("issuance state {path} has schema {schema}, which this version "
                                                "does not know (it reads schemas 1 and {latest}): use the omc-vc "
                                                "release that wrote it", path=str(self.path), schema=str(row[0]),
                                                latest=str(SCHEMA_VERSION)))
                for statement in _INDEXES:
                    db.execute(statement)
        except sqlite3.DatabaseError as exc:
            raise IssuanceError(Message("issuance state {path} cannot be opened: {why}", path=str(self.path),
                                        why=str(exc))) from exc

    def _wal(self) -> str:
        """Switch to WAL mode. Two processes creating the database at once can find it locked while the
        other one switches (SQLite does not wait for that): try again until the busy timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return str(self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # --- plumbing -----------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """The issuing lock of this database (:func:`issuing_lock`), held for a whole run."""
        with issuing_lock(self.path):
            yield

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with BEGIN IMMEDIATE (the write lock up front)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise IssuanceError(Message("issuance state {path} is locked or unusable: {why}",
                                            path=str(self.path), why=str(exc))) from exc
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- reserve / complete -------------------------------------------------------------------------
    def reserve_many(self, items: Iterable[tuple[str, str]], status: StatusConfig, *, issuer: str | None = None,
                     purposes: Sequence[str] | None = None) -> list[Reservation | CredentialRecord]:
        """For each (learner key, achievement): the credential already issued, or a reservation.

        An existing reservation is returned as it is (same id, same indices); otherwise a new one is
        made, with a fresh random index on the open list of each of ``purposes`` (default: revocation,
        and suspension when ``status.suspension``) among ``issuer``'s lists (None: the institution's
        own). All in one transaction, with a few statements for the whole group: the issued credentials
        and pending reservations are looked up together, the new credentials' status indices drawn
        together (:class:`_Allocator`) and their reservations inserted together.
        """
        wanted = list(items)
        chosen = list(purposes) if purposes is not None else \
            [REVOCATION] + ([SUSPENSION] if status.suspension else [])
        with self.transaction() as db:
            issued = _issued_by_pair(db, wanted)
            pending = _pending_by_pair(db, wanted)
            fresh = list(dict.fromkeys(p for p in wanted if p not in issued and p not in pending))
            if fresh:
                allocator = _Allocator(db, status, issuer)
                # RFC 9562 §5.4 version 4 UUIDs: uuid4() draws them from os.urandom, as secrets does
                ids = [f"urn:uuid:{uuid.uuid4()}" for _ in fresh]
                slots = [allocator.allocate(purpose, ids) for purpose in chosen]
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

    def complete(self, item: Completion) -> CredentialRecord:
        """Record the credential as issued (its file is already written) and drop the reservation."""
        with self.transaction() as db:
            return self._complete(db, item)

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
            return [self._complete(db, item) for item in items]

    def _complete(self, db: sqlite3.Connection, item: Completion) -> CredentialRecord:
        reservation = item.reservation
        existing = self._issued(db, reservation.learner_key, reservation.achievement)
        if existing is not None:
            if existing.id != reservation.credential_id:
                raise IssuanceError(Message("{learner} already holds {id} for {achievement}",
                                            learner=reservation.learner_key, id=existing.id,
                                            achievement=reservation.achievement))
            return existing
        deleted = db.execute("DELETE FROM reservations WHERE credential_id = ?", (reservation.credential_id,))
        if deleted.rowcount != 1:
            raise IssuanceError(Message("no reservation for {id}: another process changed it",
                                    id=reservation.credential_id))
        db.execute(_INSERT_CREDENTIAL, _credential_row(item))
        add_learners(db, [item])  # the registrar's records (omc_vc.issue.sqlite_records)
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

    def listing_rows(self) -> Iterator[tuple[Any, ...]]:
        """:meth:`listing` as the database's rows (the columns of :data:`RECORD_COLUMNS`), without building
        a record each: what an index of 100,000 credentials is written from."""
        yield from _fetched(self._db.execute(_SELECT_LISTING))

    # --- queries ------------------------------------------------------------------------------------
    @staticmethod
    def _record(row: tuple[Any, ...]) -> CredentialRecord:
        return record_of_row(row)

    def _issued(self, db: sqlite3.Connection, learner_key: str, achievement: str) -> CredentialRecord | None:
        row = db.execute(_SELECT_BY_LEARNER,
                         (learner_key, achievement)).fetchone()
        return self._record(row) if row else None

    def issued(self, learner_key: str, achievement: str) -> CredentialRecord | None:
        return self._issued(self._db, learner_key, achievement)

    def get(self, credential_id: str) -> CredentialRecord | None:
        rows = self._query(_SELECT_BY_ID, (credential_id,))
        return self._record(rows[0]) if rows else None

    def find(self, ref: str) -> list[CredentialRecord]:
        return [self._record(r) for r in self._query(_SELECT_BY_REF, (ref, ref))]

    def records(self, ids: Sequence[str]) -> list[CredentialRecord]:
        """The records of ``ids`` in that order (an id with no credential row is left out)."""
        with self._lock:
            return _records_by_id(self._db, ids)

    def all(self) -> list[CredentialRecord]:
        return [self._record(r) for r in self._query(_SELECT_ALL)]

    def pending(self) -> list[Reservation]:
        rows = self._query("SELECT credential_id, learner_key, achievement, slots FROM reservations")
        return [Reservation(str(r[0]), str(r[1]), str(r[2]), tuple(StatusSlot(**s) for s in json.loads(r[3])))
                for r in rows]

    def document(self, credential_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT document FROM credentials WHERE id = ?", (credential_id,))
        if not rows or rows[0][0] is None:
            return None
        try:
            return loads_object(str(rows[0][0]).encode("utf-8"), what=credential_id)
        except OmcVcError as exc:  # pragma: no cover - only this store writes the column
            raise IssuanceError(Message("the stored document of {id} is unreadable", id=credential_id)) from exc

    # --- list state ---------------------------------------------------------------------------------
    def lists(self) -> list[ListInfo]:
        rows = self._query("SELECT url, purpose, number, bits, used, issuer, version FROM lists "
                           "ORDER BY COALESCE(issuer, ''), purpose, number")
        return [ListInfo(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5], int(r[6])) for r in rows]

    def set_indices(self, list_url: str) -> list[int]:
        """The indices whose bit is 1 on ``list_url``: revoked credentials, or suspended ones."""
        rows = self._query(
            "SELECT status_index FROM credentials WHERE status_list = ? AND revoked IS NOT NULL "
            "UNION SELECT suspension_index FROM credentials WHERE suspension_list = ? AND suspended = 1",
            (list_url, list_url))
        return sorted(int(r[0]) for r in rows)

    def status_version(self) -> int:
        rows = self._query("SELECT COALESCE(SUM(version), 0) + COUNT(*) FROM lists")
        return int(rows[0][0])

    def signed_list(self, list_url: str) -> SignedList | None:
        rows = self._query("SELECT signed, signed_version, signed_until FROM lists WHERE url = ?", (list_url,))
        if not rows or rows[0][0] is None:
            return None
        return SignedList(str(rows[0][0]), int(rows[0][1]), rows[0][2])

    def save_signed_list(self, list_url: str, signed: SignedList) -> None:
        # a copy of an older version never replaces a newer one another process saved meanwhile
        with self.transaction() as db:
            db.execute("UPDATE lists SET signed = ?, signed_version = ?, signed_until = ? "
                       "WHERE url = ? AND (signed_version IS NULL OR signed_version <= ?)",
                       (signed.text, signed.version, signed.valid_until, list_url, signed.version))

    # --- status changes (BSL §3.1 issuer side: the bit is the record's revoked / suspended column) ---------
    def set_revoked(self, ref: str, when: str) -> list[CredentialRecord]:
        """Revoke every credential recorded under ``ref`` (permanent, BSL §2.1 "revocation")."""
        with self.transaction() as db:
            records = self._for_update(db, ref)
            for record in records:
                if record.status_list is None:
                    raise IssuanceError(Message("{id} has no revocation status entry", id=ref), field="credential")
            for record in records:
                if record.revoked is None:
                    db.execute("UPDATE credentials SET revoked = ? WHERE id = ?", (when, record.id))
                    db.execute("UPDATE lists SET version = version + 1 WHERE url = ?", (record.status_list,))
            return [self._record(r) for r in db.execute(_SELECT_BY_REF, (ref, ref))]

    def set_suspended(self, ref: str, suspended: bool) -> list[CredentialRecord]:
        """Suspend (or lift the suspension of) every credential recorded under ``ref``."""
        with self.transaction() as db:
            records = self._for_update(db, ref)
            for record in records:
                if record.suspension_list is None:
                    raise IssuanceError(Message("{id} was issued without a suspension status entry; it can only be "
                                                "revoked", id=ref), field="credential")
                if record.revoked is not None and suspended is False:
                    raise IssuanceError(Message("{id} is revoked; revocation is permanent", id=ref),
                                        code="STATUS_IRREVERSIBLE")
            for record in records:
                if record.suspended != suspended:
                    db.execute("UPDATE credentials SET suspended = ? WHERE id = ?", (int(suspended), record.id))
                    db.execute("UPDATE lists SET version = version + 1 WHERE url = ?", (record.suspension_list,))
            return [self._record(r) for r in db.execute(_SELECT_BY_REF, (ref, ref))]

    def _for_update(self, db: sqlite3.Connection, ref: str) -> list[CredentialRecord]:
        records = [self._record(r) for r in db.execute(_SELECT_BY_REF, (ref, ref))]
        if not records:
            raise IssuanceError(Message("no credential {ref} in {where}", ref=repr(ref), where=str(self.path)),
                                field="credential", code="NOT_FOUND")
        return records


_ID_BATCH: Final = 500
_ALLOCATED: Final = "SELECT idx FROM allocations"
_PENDING: Final = "SELECT credential_id, learner_key, achievement, slots FROM reservations"
_DROP_RESERVATIONS: Final = "DELETE FROM reservations"

class _Allocator:
    """Status-list index allocation inside one transaction: the open list of each purpose is read once,
    and a whole group's indices are drawn, checked and inserted with a few statements."""

    def __init__(self, db: sqlite3.Connection, status: StatusConfig, issuer: str | None) -> None:
        self._db = db
        self._status = status
        self._issuer = issuer
        self._owner = issuer or ""  # the lists of the institution's own DID have no issuer recorded

    def _open_list(self, purpose: str) -> tuple[str, int, int]:
        """The list new credentials go on: (url, bits, room left before fill_ratio). A full list is closed
        and the next one opened."""
        row = self._db.execute("SELECT url, bits, used FROM lists WHERE COALESCE(issuer, '') = ? AND purpose = ? "
                               "AND open = 1 ORDER BY number LIMIT 1", (self._owner, purpose)).fetchone()
        if row is not None:
            url, bits, used = str(row[0]), int(row[1]), int(row[2])
            room = int(bits * self._status.fill_ratio) - used
            if room >= 1:
                return url, bits, room
            self._db.execute("UPDATE lists SET open = 0 WHERE url = ?", (url,))
        last = self._db.execute("SELECT COALESCE(MAX(number), 0) FROM lists WHERE COALESCE(issuer, '') = ? "
                                "AND purpose = ?", (self._owner, purpose)).fetchone()[0]
        number = int(last) + 1
        if self._issuer is None:
            url = self._status.list_url(purpose, number)
        else:  # another DID this institution issues as (omc serve's further keys): lists of its own
            tag = hashlib.sha256(self._issuer.encode("utf-8")).hexdigest()[:12]
            url = f"{self._status.base_url}{purpose}-{tag}-{number}.json"
        self._db.execute("INSERT INTO lists (url, purpose, number, bits, issuer) VALUES (?, ?, ?, ?, ?)",
                         (url, purpose, number, self._status.list_bits, self._issuer))
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
                index = secrets.randbelow(bits)
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
        raise IssuanceError(Message("no free index found on {url}", url=url))  # pragma: no cover - needs a full list


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
    return {pair: SqliteStore._record(row) for pair, row in _rows_for_pairs(db, pairs, _RECORD, 3)}


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
    rows = [_credential_row(item) for item in items]
    # a pair that already holds a credential breaks UNIQUE (learner_key, achievement): IntegrityError
    db.executemany(_INSERT_CREDENTIAL, rows)
    add_learners(db, items)
    return rows


_INSERT_CREDENTIAL: Final = (
    "INSERT INTO credentials (id, learner_key, learner_name, achievement, status_list, status_index, "
    "suspension_list, suspension_index, content_hash, file, issued, ref, document) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")


def _credential_row(item: Completion) -> tuple[Any, ...]:
    """The values of :data:`_INSERT_CREDENTIAL` for a completed reservation."""
    reservation = item.reservation
    slots = {s.purpose: s for s in reservation.slots}
    revocation, suspension = slots.get(REVOCATION), slots.get(SUSPENSION)
    return (reservation.credential_id, reservation.learner_key, item.learner_name, reservation.achievement,
            revocation.url if revocation else None, revocation.index if revocation else None,
            suspension.url if suspension else None, suspension.index if suspension else None,
            item.content_hash, item.file, item.issued, item.ref, item.document)


def _record_of(row: tuple[Any, ...]) -> CredentialRecord:
    """The record of a row :func:`_complete_fresh` inserted (not revoked, not suspended)."""
    return SqliteStore._record((*row[:11], None, 0))


def _records_by_id(db: sqlite3.Connection, ids: Sequence[str]) -> list[CredentialRecord]:
    found: dict[str, CredentialRecord] = {}
    for start in range(0, len(ids), _ID_BATCH):
        part = list(ids[start:start + _ID_BATCH])
        marks = ",".join("?" * len(part))
        for row in db.execute(f"{_RECORD} WHERE id IN ({marks})", part):
            record = SqliteStore._record(row)
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
        raise IssuanceError(Message("issuance state {path} cannot be opened: {why}", path=str(target),
                                    why=str(exc))) from exc
    try:
        return _records_by_id(db, ids)
    except sqlite3.DatabaseError as exc:
        raise IssuanceError(Message("issuance state {path} cannot be read: {why}", path=str(target),
                                    why=str(exc))) from exc
    finally:
        db.close()
