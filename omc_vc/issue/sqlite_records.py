"""The registrar's records in the SQLite issuance store: :class:`RecordsMixin` implements
:class:`omc_vc.issue.records.RecordStore` for :class:`omc_vc.issue.sqlite_store.SqliteStore`.

Three tables of their own (:data:`RECORD_TABLES`, created on open beside the store's; nothing in the
credential tables changes shape):

* ``record_learners``: per credential, the learner key it was issued under, the digest of the learner's
  e-mail address (:func:`~omc_vc.issue.records.email_digest`) and the student number: written in the
  transaction that records the credential;
* ``status_events``: every status change with its time and reason, written in the transaction that
  changes the bit;
* ``record_links``: a credential and the one issued in its place (at most one per credential: its
  primary key), written in the transaction that records the new credential.

The SQL is plain (no JSON functions, no window functions) so a shared PostgreSQL store can keep the same
tables; ``INSERT OR IGNORE`` is its ``ON CONFLICT DO NOTHING``. Name search compares names through
``omc_fold`` (:func:`~omc_vc.issue.records.fold`, registered on the connection).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

from omc_vc.errors import IssuanceError
from omc_vc.i18n import Message
from omc_vc.issue.records import (
    RECORD_SELECT,
    REPLACES,
    RETIRED_MARK,
    SUPERSEDED,
    SUPERSEDED_SELECT,
    Action,
    RecordLink,
    RecordQuery,
    StatusChange,
    StatusEvent,
    email_digest,
    fold,
    original_learner_key,
    search_sql,
)
from omc_vc.issue.store import Completion, CredentialRecord, record_of_row

__all__ = ["MAX_REASON_CHARS", "RECORD_TABLES", "RecordsMixin", "add_learners"]

#: A reason longer than this is refused (it is a note for the records, not a document).
MAX_REASON_CHARS: Final = 1000
_BATCH: Final = 500

RECORD_TABLES: Final = """
CREATE TABLE IF NOT EXISTS record_learners (
    credential_id TEXT PRIMARY KEY,
    learner_key TEXT NOT NULL,
    email_digest TEXT,
    student_number TEXT
);
CREATE INDEX IF NOT EXISTS record_learners_by_key ON record_learners (learner_key);
CREATE INDEX IF NOT EXISTS record_learners_by_email ON record_learners (email_digest);
CREATE INDEX IF NOT EXISTS record_learners_by_student ON record_learners (student_number);
CREATE TABLE IF NOT EXISTS status_events (
    seq INTEGER PRIMARY KEY,
    credential_id TEXT NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS status_events_by_credential ON status_events (credential_id);
CREATE INDEX IF NOT EXISTS status_events_by_time ON status_events (at);
CREATE TABLE IF NOT EXISTS record_links (
    old_id TEXT PRIMARY KEY,
    new_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS record_links_by_new ON record_links (new_id);
"""

# only constants and "?" placeholders are ever put into the SQL text (every value is a bound parameter)




def add_learners(db: sqlite3.Connection, items: Sequence[Completion]) -> None:
    """Keep what search needs of each completed credential's learner (in the caller's transaction): the
    e-mail address's digest and the student number, when the completion names them."""
    rows = [(item.reservation.credential_id, item.reservation.learner_key,
             email_digest(item.email) if item.email else None,
             item.student_number.strip() if item.student_number else None)
            for item in items if item.email or item.student_number]
    if rows:
        db.executemany("INSERT OR IGNORE INTO record_learners (credential_id, learner_key, email_digest, "
                       "student_number) VALUES (?, ?, ?, ?)", rows)


def _reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    text = " ".join(reason.split())
    if len(text) > MAX_REASON_CHARS:
        raise IssuanceError(Message("the reason is longer than {limit} characters", limit=MAX_REASON_CHARS),
                            field="reason")
    return text or None


class RecordsMixin:
    """:class:`~omc_vc.issue.records.RecordStore` over the SQLite store's connection (mixed into SqliteStore)."""

    if TYPE_CHECKING:  # what the store provides
        _db: sqlite3.Connection
        _lock: threading.RLock

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _complete(self, db: sqlite3.Connection, item: Completion) -> CredentialRecord: ...

    # --- reading ------------------------------------------------------------------------------------
    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            if not getattr(self, "_fold_ready", False):
                self._db.create_function("omc_fold", 1, fold, deterministic=True)
                self._fold_ready = True
            return self._db.execute(sql, args).fetchall()

    def search(self, query: RecordQuery) -> list[CredentialRecord]:
        sql, args = search_sql(query, folded_name="omc_fold(learner_name)")
        return [record_of_row(r) for r in self._read(sql, args)]

    def history(self, credential_id: str) -> list[StatusEvent]:
        rows = self._read("SELECT credential_id, at, action, reason FROM status_events WHERE credential_id = ? "
                          "ORDER BY seq", (credential_id,))
        return [StatusEvent(*r) for r in rows]

    def _in(self, sql: str, ids: Sequence[str], repeat: int = 1) -> Iterator[Any]:
        for start in range(0, len(ids), _BATCH):
            part = list(ids[start:start + _BATCH])
            marks = ",".join("?" * len(part))
            yield from self._read(sql.replace("(?*)", f"({marks})"), part * repeat)

    def links(self, credential_ids: Sequence[str]) -> list[RecordLink]:
        found = {(r[0], r[1]): RecordLink(*r) for r in self._in(
            "SELECT old_id, new_id, kind, at FROM record_links WHERE old_id IN (?*) OR new_id IN (?*)",
            list(dict.fromkeys(credential_ids)), repeat=2)}
        return sorted(found.values(), key=lambda link: (link.at, link.old))

    def superseded(self, credential_ids: Sequence[str]) -> set[str]:
        ids = list(dict.fromkeys(credential_ids))
        return {str(r[0]) for r in self._in(f"{SUPERSEDED_SELECT} AND old_id IN (?*)", ids)}

    def learner_key(self, credential_id: str) -> str | None:
        rows = self._read("SELECT learner_key FROM record_learners WHERE credential_id = ?", (credential_id,))
        if rows:
            return str(rows[0][0])
        rows = self._read("SELECT learner_key FROM credentials WHERE id = ?", (credential_id,))
        return original_learner_key(str(rows[0][0])) if rows else None

    def student_number(self, credential_id: str) -> str | None:
        rows = self._read("SELECT student_number FROM record_learners WHERE credential_id = ? AND student_number "
                          "IS NOT NULL", (credential_id,))
        return str(rows[0][0]) if rows else None

    def events_between(self, start: str, end: str) -> list[StatusEvent]:
        rows = self._read("SELECT credential_id, at, action, reason FROM status_events WHERE at >= ? AND at < ? "
                          "ORDER BY at, seq", (start, end))
        return [StatusEvent(*r) for r in rows]

    # --- status -------------------------------------------------------------------------------------
    def record_status(self, credential_id: str, action: Action, *, when: str,
                      reason: str | None = None) -> StatusChange:
        note = _reason(reason)
        with self.transaction() as db:
            return _change(db, credential_id, action, when, note)

    # --- corrections and reissues -------------------------------------------------------------------
    def retire(self, credential_id: str) -> CredentialRecord:
        with self.transaction() as db:
            record = _one(db, credential_id)
            if RETIRED_MARK in record.learner_key:
                return record
            # the key it was issued under stays findable (an earlier row, if any, already holds it)
            db.execute("INSERT OR IGNORE INTO record_learners (credential_id, learner_key) VALUES (?, ?)",
                       (credential_id, record.learner_key))
            db.execute("UPDATE credentials SET learner_key = ? WHERE id = ?",
                       (record.learner_key + RETIRED_MARK + credential_id, credential_id))
            return _one(db, credential_id)

    def complete_linked(self, item: Completion, *, old: str, kind: str, when: str,
                        reason: str | None = None) -> tuple[CredentialRecord, StatusChange | None]:
        new = item.reservation.credential_id
        note = _reason(reason) or SUPERSEDED
        with self.transaction() as db:
            _one(db, old)
            taken = db.execute("SELECT new_id FROM record_links WHERE old_id = ?", (old,)).fetchone()
            if taken is not None and taken[0] != new:
                raise IssuanceError(Message("{old} was already replaced by {new}", old=old, new=taken[0]),
                                    code="ALREADY_REPLACED", field="replaces")
            record = self._complete(db, item)
            if taken is None:
                db.execute("INSERT INTO record_links (old_id, new_id, kind, at) VALUES (?, ?, ?, ?)",
                           (old, new, kind, when))
            change = _change(db, old, "revoke", when, note) if kind == REPLACES else None
            return record, change


def _one(db: sqlite3.Connection, credential_id: str) -> CredentialRecord:
    row = db.execute(RECORD_SELECT + " WHERE id = ?", (credential_id,)).fetchone()
    if row is None:
        raise IssuanceError(Message("no credential {id} is recorded", id=repr(credential_id)), field="credential",
                            code="NOT_FOUND")
    return record_of_row(row)


def _already_suspended(db: sqlite3.Connection, credential_id: str) -> Message:
    """Why suspending changes nothing: the credential is suspended already, since the time (and for the reason)
    of its last suspension as far as the history knows it."""
    row = db.execute("SELECT at, reason FROM status_events WHERE credential_id = ? AND action = 'suspend' "
                     "ORDER BY seq DESC LIMIT 1", (credential_id,)).fetchone()
    if row is None:
        return Message("it is already suspended")
    if row[1]:
        return Message("it is already suspended since {when} (reason: {reason})", when=str(row[0]), reason=str(row[1]))
    return Message("it is already suspended since {when}", when=str(row[0]))


def _change(db: sqlite3.Connection, credential_id: str, action: str, when: str, reason: str | None) -> StatusChange:
    """One status change inside the caller's transaction (Bitstring Status List v1.0 §3.1, issuer side: the
    bit is the record's revoked / suspended column; each change bumps its list's version)."""
    record = _one(db, credential_id)
    if action == "revoke":
        if record.status_list is None:
            raise IssuanceError(Message("{id} has no revocation status entry", id=credential_id), field="credential")
        if record.revoked is not None:
            last = _last_reason(db, credential_id, "revoke")
            return StatusChange(record, False, Message("it is already revoked (since {when}; reason: {reason})",
                                                       when=str(record.revoked), reason=last) if last else
                                Message("it is already revoked (since {when})", when=str(record.revoked)))
        db.execute("UPDATE credentials SET revoked = ? WHERE id = ?", (when, credential_id))
        db.execute("UPDATE lists SET version = version + 1 WHERE url = ?", (record.status_list,))
    elif action in ("suspend", "unsuspend"):
        if action == "suspend" and record.revoked is not None:
            # BSL §2.1: revocation is permanent; a suspension bit on a revoked credential changes nothing
            return StatusChange(record, False, Message("it is revoked (since {when}), for good: suspending it "
                                                       "would change nothing", when=str(record.revoked)))
        if record.suspension_list is None:
            raise IssuanceError(Message("{id} was issued without a suspension status entry; it can only be "
                                        "revoked", id=credential_id), field="credential")
        if action == "unsuspend" and record.revoked is not None:
            raise IssuanceError(Message("{id} is revoked; revocation is permanent", id=credential_id),
                                code="STATUS_IRREVERSIBLE")
        wanted = action == "suspend"
        if record.suspended == wanted:
            return StatusChange(record, False, _already_suspended(db, credential_id) if wanted
                                else Message("it is not suspended"))
        db.execute("UPDATE credentials SET suspended = ? WHERE id = ?", (int(wanted), credential_id))
        db.execute("UPDATE lists SET version = version + 1 WHERE url = ?", (record.suspension_list,))
    else:
        raise IssuanceError(Message("unknown status action {action}", action=repr(action)), field="action")
    event = StatusEvent(credential_id, when, action, reason)
    db.execute("INSERT INTO status_events (credential_id, at, action, reason) VALUES (?, ?, ?, ?)",
               (credential_id, when, action, reason))
    return StatusChange(_one(db, credential_id), True, None, event)


def _last_reason(db: sqlite3.Connection, credential_id: str, action: str) -> str | None:
    row = db.execute("SELECT reason FROM status_events WHERE credential_id = ? AND action = ? "
                     "ORDER BY seq DESC LIMIT 1", (credential_id, action)).fetchone()
    return str(row[0]) if row and row[0] else None
