"""The registrar's records in the PostgreSQL issuance store: :class:`PgRecords` implements
:class:`omc_vc.issue.records.RecordStore` for :class:`omc_vc.issue.pg_store.PostgresStore`.

The tables are those of the embedded store's records (:mod:`omc_vc.issue.sqlite_records`), made by
migration ``0002_records``; each is written in the transaction that changes what it records. Name search
reads the credential's ``name_folded`` column (:func:`~omc_vc.issue.records.fold`, computed when the
credential is recorded), so the database needs no extension for accents. A status change locks its
credential's row (``FOR UPDATE``), so two registrars changing one credential at once take turns and the
history keeps both changes in the order they were made; two corrections of one credential take turns on
the earlier credential's row and the second is refused (ALREADY_REPLACED).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

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
    original_learner_key,
    search_sql,
)
from omc_vc.issue.store import Completion, CredentialRecord, record_of_row

if TYPE_CHECKING:  # psycopg is needed only where a PostgresStore is opened (the optional extra)
    import psycopg

    Connection = psycopg.Connection[tuple[Any, ...]]

__all__ = ["PgRecords", "add_learners"]

T = TypeVar("T")
#: A reason longer than this is refused (it is a note for the records, not a document).
MAX_REASON_CHARS: Final = 1000

# only constants and %s placeholders are ever put into the SQL text (every value is a bound parameter)




def _reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    text = " ".join(reason.split())
    if len(text) > MAX_REASON_CHARS:
        raise IssuanceError(Message("the reason is longer than {limit} characters", limit=MAX_REASON_CHARS),
                            field="reason")
    return text or None


def add_learners(conn: Connection, items: Sequence[Completion]) -> None:
    """Keep what search needs of each completed credential's learner (in the caller's transaction): the e-mail
    address's digest and the student number, when the completion names them (the folded name is written with
    the credential's row)."""
    rows = [(item.reservation.credential_id, item.reservation.learner_key,
             email_digest(item.email) if item.email else None,
             item.student_number.strip() if item.student_number else None)
            for item in items if item.email or item.student_number]
    if rows:
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO record_learners (credential_id, learner_key, email_digest, "
                               "student_number) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING", rows)


class PgRecords:
    """:class:`~omc_vc.issue.records.RecordStore` over the PostgreSQL store (a mixin: the host class gives
    :meth:`_run`, one transaction, and :meth:`_query`)."""

    # provided by PostgresStore
    def _run(self, work: Callable[[Connection], T]) -> T: raise NotImplementedError
    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]: raise NotImplementedError

    # --- reading ------------------------------------------------------------------------------------
    def search(self, query: RecordQuery) -> list[CredentialRecord]:
        sql, args = search_sql(query, folded_name="COALESCE(name_folded, lower(learner_name))")
        return [record_of_row(r) for r in self._query(sql.replace("?", "%s"), args)]

    def history(self, credential_id: str) -> list[StatusEvent]:
        rows = self._query("SELECT credential_id, at, action, reason FROM status_events WHERE credential_id = %s "
                           "ORDER BY seq", (credential_id,))
        return [StatusEvent(*r) for r in rows]

    def links(self, credential_ids: Sequence[str]) -> list[RecordLink]:
        ids = list(dict.fromkeys(credential_ids))
        rows = self._query("SELECT old_id, new_id, kind, at FROM record_links WHERE old_id = ANY(%s) "
                           "OR new_id = ANY(%s)", (ids, ids))
        found = {(r[0], r[1]): RecordLink(*r) for r in rows}
        return sorted(found.values(), key=lambda link: (link.at, link.old))

    def superseded(self, credential_ids: Sequence[str]) -> set[str]:
        rows = self._query(f"{SUPERSEDED_SELECT} AND old_id = ANY(%s)", (list(dict.fromkeys(credential_ids)),))
        return {str(r[0]) for r in rows}

    def learner_key(self, credential_id: str) -> str | None:
        rows = self._query("SELECT learner_key FROM record_learners WHERE credential_id = %s", (credential_id,))
        if rows:
            return str(rows[0][0])
        rows = self._query("SELECT learner_key FROM credentials WHERE id = %s", (credential_id,))
        return original_learner_key(str(rows[0][0])) if rows else None

    def student_number(self, credential_id: str) -> str | None:
        rows = self._query("SELECT student_number FROM record_learners WHERE credential_id = %s AND student_number "
                           "IS NOT NULL", (credential_id,))
        return str(rows[0][0]) if rows else None

    def events_between(self, start: str, end: str) -> list[StatusEvent]:
        rows = self._query("SELECT credential_id, at, action, reason FROM status_events WHERE at >= %s AND at < %s "
                           "ORDER BY at, seq", (start, end))
        return [StatusEvent(*r) for r in rows]

    # --- status -------------------------------------------------------------------------------------
    def record_status(self, credential_id: str, action: Action, *, when: str,
                      reason: str | None = None) -> StatusChange:
        note = _reason(reason)
        return self._run(lambda conn: _change(conn, credential_id, action, when, note))

    # --- corrections and reissues -------------------------------------------------------------------
    def retire(self, credential_id: str) -> CredentialRecord:
        def work(conn: Connection) -> CredentialRecord:
            record = _one(conn, credential_id, lock=True)
            if RETIRED_MARK in record.learner_key:
                return record
            # the key it was issued under stays findable (an earlier row, if any, already holds it)
            conn.execute("INSERT INTO record_learners (credential_id, learner_key) VALUES (%s, %s) "
                         "ON CONFLICT DO NOTHING", (credential_id, record.learner_key))
            conn.execute("UPDATE credentials SET learner_key = %s WHERE id = %s",
                         (record.learner_key + RETIRED_MARK + credential_id, credential_id))
            return _one(conn, credential_id)

        return self._run(work)

    def complete_linked(self, item: Completion, *, old: str, kind: str, when: str,
                        reason: str | None = None) -> tuple[CredentialRecord, StatusChange | None]:
        from omc_vc.issue.pg_store import complete_one

        new = item.reservation.credential_id
        note = _reason(reason) or SUPERSEDED

        def work(conn: Connection) -> tuple[CredentialRecord, StatusChange | None]:
            _one(conn, old, lock=True)  # two corrections of one credential take turns here
            taken = conn.execute("SELECT new_id FROM record_links WHERE old_id = %s", (old,)).fetchone()
            if taken is not None and taken[0] != new:
                raise IssuanceError(Message("{old} was already replaced by {new}", old=old, new=taken[0]),
                                    code="ALREADY_REPLACED", field="replaces")
            record = complete_one(conn, item)
            if taken is None:
                conn.execute("INSERT INTO record_links (old_id, new_id, kind, at) VALUES (%s, %s, %s, %s)",
                             (old, new, kind, when))
            change = _change(conn, old, "revoke", when, note) if kind == REPLACES else None
            return record, change

        return self._run(work)


def _one(conn: Connection, credential_id: str, *, lock: bool = False) -> CredentialRecord:
    row = conn.execute(RECORD_SELECT + " WHERE id = %s" + (" FOR UPDATE" if lock else ""), (credential_id,)).fetchone()
    if row is None:
        raise IssuanceError(Message("no credential {id} is recorded", id=repr(credential_id)), field="credential",
                            code="NOT_FOUND")
    return record_of_row(row)


def _last(conn: Connection, credential_id: str, action: str) -> tuple[Any, ...] | None:
    return conn.execute("SELECT at, reason FROM status_events WHERE credential_id = %s AND action = %s "
                        "ORDER BY seq DESC LIMIT 1", (credential_id, action)).fetchone()


def _already_suspended(conn: Connection, credential_id: str) -> Message:
    """Why suspending changes nothing: the credential is suspended already, since the time (and for the reason)
    of its last suspension as far as the history knows it."""
    row = _last(conn, credential_id, "suspend")
    if row is None:
        return Message("it is already suspended")
    if row[1]:
        return Message("it is already suspended since {when} (reason: {reason})", when=str(row[0]), reason=str(row[1]))
    return Message("it is already suspended since {when}", when=str(row[0]))


def _change(conn: Connection, credential_id: str, action: str, when: str, reason: str | None) -> StatusChange:
    """One status change inside the caller's transaction (Bitstring Status List v1.0 §3.1, issuer side: the
    bit is the record's revoked / suspended column; each change bumps its list's version)."""
    record = _one(conn, credential_id, lock=True)
    if action == "revoke":
        if record.status_list is None:
            raise IssuanceError(Message("{id} has no revocation status entry", id=credential_id), field="credential")
        if record.revoked is not None:
            last = _last(conn, credential_id, "revoke")
            return StatusChange(record, False, Message("it is already revoked (since {when}; reason: {reason})",
                                                       when=str(record.revoked), reason=str(last[1]))
                                if last and last[1] else
                                Message("it is already revoked (since {when})", when=str(record.revoked)))
        conn.execute("UPDATE credentials SET revoked = %s WHERE id = %s", (when, credential_id))
        conn.execute("UPDATE lists SET version = version + 1 WHERE url = %s", (record.status_list,))
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
            return StatusChange(record, False, _already_suspended(conn, credential_id) if wanted
                                else Message("it is not suspended"))
        conn.execute("UPDATE credentials SET suspended = %s WHERE id = %s", (wanted, credential_id))
        conn.execute("UPDATE lists SET version = version + 1 WHERE url = %s", (record.suspension_list,))
    else:
        raise IssuanceError(Message("unknown status action {action}", action=repr(action)), field="action")
    event = StatusEvent(credential_id, when, action, reason)
    conn.execute("INSERT INTO status_events (credential_id, at, action, reason) VALUES (%s, %s, %s, %s)",
                 (credential_id, when, action, reason))
    return StatusChange(_one(conn, credential_id), True, None, event)
