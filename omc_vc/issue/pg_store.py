"""The shared issuance store: PostgreSQL (psycopg 3 and its pool); implements :class:`Store`.

DESIGN decisions 10 and 12, for deployments that outgrow one file on one machine: several ``omc serve``
processes (on one or several hosts) and ``omc issue`` / ``omc status`` all work on one database. Each
institution's tables live in a schema of its own (``store.schema``), created and upgraded by
``omc store migrate`` (:mod:`omc_vc.issue.pg_migrate`); a store opened on a schema that is not at this
release's version refuses to work.

The same three safe steps as the embedded store (:mod:`omc_vc.issue.sqlite_store`): **reserve** (the id
and random status indices, in one transaction), **sign**, **complete** (the credential row replaces the
reservation, in one transaction). What makes them safe across processes here:

* every transaction that allocates status indices first takes the schema's allocation lock
  (``pg_advisory_xact_lock``): allocations of one institution run one at a time, whatever process or
  host they come from, so no index is drawn twice; ``allocations`` keeps every index given, for good, and
  its primary key refuses a second owner even so;
* a transaction cut off by a killed process is rolled back by the server: a reservation is there whole or
  not at all, a credential row likewise;
* :meth:`PostgresStore.exclusive` (a whole roster run, one ``omc issue``) is a session-level advisory lock
  on a connection held for the run: the server drops it when that connection dies (SIGKILL included);
* status changes lock the credential rows they change (``FOR UPDATE``) and bump the list's version in
  the same transaction, so every process sees a change, and the next signed copy shows it, at once;
* a VC-API request made with an Idempotency-Key holds its key (a session advisory lock taken without
  waiting) on one connection that every store call of the request then uses (:mod:`omc_vc.issue.pg_keys`).

Connections come from a :class:`psycopg_pool.ConnectionPool` (checked before use, so a restarted server
costs one failed check, not a failed request), each in autocommit mode with ``search_path`` set to the
institution's schema; every change is one explicit transaction. A deadlock or serialization failure
reported by the server is retried a few times.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout

from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.errors import IssuanceError, OmcVcError
from omc_vc.i18n import Message
from omc_vc.issue.config import StatusConfig
from omc_vc.issue.pg_keys import PgKeys
from omc_vc.issue.pg_migrate import check_schema, migrate, require_current
from omc_vc.issue.pg_offers import PgOffers
from omc_vc.issue.pg_records import PgRecords, add_learners
from omc_vc.issue.records import fold
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

__all__ = ["DEFAULT_POOL_SIZE", "PostgresStore", "complete_one", "redacted"]

T = TypeVar("T")
Connection = psycopg.Connection[tuple[Any, ...]]

DEFAULT_POOL_SIZE: Final = 4
CONNECT_TIMEOUT_SECONDS: Final = 10.0
#: how often a transaction the server aborted for a deadlock or a serialization failure is run again
RETRIES: Final = 5
_BATCH: Final = 500

_RECORD: Final = ("SELECT id, learner_key, learner_name, achievement, status_list, status_index, suspension_list, "
                  "suspension_index, content_hash, file, issued, revoked, suspended FROM credentials")
_SELECT_BY_REF: Final = _RECORD + " WHERE id = %s OR ref = %s ORDER BY issued, id"
#: name_folded is the learner's name as the records' search reads it (omc_vc.issue.pg_records)
_INSERT_CREDENTIAL: Final = (
    "INSERT INTO credentials (id, learner_key, learner_name, achievement, status_list, status_index, "
    "suspension_list, suspension_index, content_hash, file, issued, ref, document, name_folded) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")


def redacted(url: str) -> str:
    """A connection URL fit for a message: no password, no query (which may carry one)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(an unreadable PostgreSQL URL)"
    host = info.get("host") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    user = f"{info['user']}@" if info.get("user") else ""
    return f"postgresql://{user}{host}{port}/{info.get('dbname') or ''}"



def _slots(text: str) -> tuple[StatusSlot, ...]:
    return tuple(StatusSlot(**s) for s in json.loads(text))


class PostgresStore(PgOffers, PgRecords, PgKeys):
    """The issuance store of one institution in a PostgreSQL schema. Implements
    :class:`omc_vc.issue.store.Store`, :class:`omc_vc.issue.offers.OfferStore` and
    :class:`omc_vc.issue.records.RecordStore`; thread-safe (a pool).

    ``url`` is a libpq connection URL (``postgresql://user@host:5432/db?sslmode=verify-full``); the schema
    must have been migrated (``migrate=True`` does it first, as ``omc store migrate`` does).
    """

    def __init__(self, url: str, *, schema: str = "omc", pool_size: int = DEFAULT_POOL_SIZE,
                 migrate_first: bool = False) -> None:
        self.schema = check_schema(schema)
        self.where = redacted(url)
        # an exclusive run holds one connection for its whole length; the others need at least one more
        size = max(2, pool_size)
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url, min_size=1, max_size=size, open=False, timeout=CONNECT_TIMEOUT_SECONDS,
            kwargs={"autocommit": True, "connect_timeout": int(CONNECT_TIMEOUT_SECONDS)},
            configure=self._configure, check=ConnectionPool.check_connection, name=f"omc-{schema}")
        self._listing: dict[str, str] = {}
        self._listing_lock = threading.Lock()
        #: the connection a thread holds for a keyed request (PgKeys.hold_key) or a run (exclusive): its store
        #: calls run on it
        self._held = threading.local()
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        except (PoolTimeout, psycopg.Error) as exc:
            self._pool.close()
            raise IssuanceError(Message("issuance store {where} cannot be reached: {kind}", where=self.where,
                                        kind=type(exc).__name__), code="STORE_UNAVAILABLE") from exc
        try:
            with self._pool.connection() as conn:
                if migrate_first:
                    migrate(conn, self.schema)
                require_current(conn, self.schema, self.where)
        except BaseException:
            self._pool.close()
            raise

    def _configure(self, conn: Connection) -> None:
        # the schema name is checked (SCHEMA_PATTERN): a plain identifier, safe to put in the statement
        conn.execute(f"SET search_path TO {self.schema}")

    # --- plumbing -----------------------------------------------------------------------------------
    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _lock_key(self, what: str) -> str:
        return f"omc-vc:{self.schema}:{what}"

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A connection from the pool, or the one this thread holds (PgKeys.hold_key, :meth:`exclusive`)."""
        held: Connection | None = getattr(self._held, "conn", None)
        try:
            if held is not None:
                yield held
                return
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise IssuanceError(Message("issuance store {where}: no connection free or the server is unreachable",
                                        where=self.where), code="STORE_UNAVAILABLE") from exc
        except pg_errors.TransactionRollback:
            raise  # a deadlock or serialization failure: _run runs the transaction again
        except psycopg.OperationalError as exc:
            raise IssuanceError(Message("issuance store {where} failed: {kind}", where=self.where,
                                        kind=type(exc).__name__), code="STORE_UNAVAILABLE") from exc

    def _run(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in one transaction, run again when the server aborted it for a deadlock or a
        serialization failure (nothing of the aborted attempt remains)."""
        for attempt in range(RETRIES):
            try:
                with self._connection() as conn, conn.transaction():
                    return work(conn)
            except pg_errors.TransactionRollback:  # a deadlock or a serialization failure
                if attempt == RETRIES - 1:
                    raise IssuanceError(Message("issuance store {where} stayed contended; try again",
                                                where=self.where), code="STORE_UNAVAILABLE") from None
                time.sleep(0.01 * (attempt + 1) + secrets.randbelow(10) / 1000)
        raise AssertionError("unreachable")  # pragma: no cover

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._connection() as conn:
            return conn.execute(sql, args).fetchall()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """The institution's issuing lock for a whole run: a session advisory lock on a connection held
        for the run (a second run waits; the server drops the lock when the holder's connection dies). The
        holding thread's store calls run on that connection meanwhile: a run needs one connection, so runs
        waiting for the lock with every other connection of the pool never stop the holder."""
        with self._connection() as conn:
            conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (self._lock_key("issuing"),))
            outer = getattr(self._held, "conn", None)
            self._held.conn = conn
            try:
                yield
            finally:
                self._held.conn = outer
                try:
                    conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (self._lock_key("issuing"),))
                except psycopg.Error:  # pragma: no cover - the connection is gone: so is the lock
                    pass

    # --- reserve / complete -------------------------------------------------------------------------
    def reserve_many(self, items: Iterable[tuple[str, str]], status: StatusConfig, *, issuer: str | None = None,
                     purposes: Sequence[str] | None = None) -> list[Reservation | CredentialRecord]:
        """For each (learner key, achievement): the credential already issued, or a reservation (see
        :meth:`omc_vc.issue.store.Store.reserve_many`). One transaction under the allocation lock."""
        wanted = list(items)
        chosen = list(purposes) if purposes is not None else \
            [REVOCATION] + ([SUSPENSION] if status.suspension else [])

        def work(conn: Connection) -> list[Reservation | CredentialRecord]:
            # allocations of this institution run one at a time, across every process and host
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (self._lock_key("allocate"),))
            issued = {(r.learner_key, r.achievement): r for r in _records_for_pairs(conn, wanted)}
            pending = _pending_for_pairs(conn, wanted)
            fresh = list(dict.fromkeys(p for p in wanted if p not in issued and p not in pending))
            if fresh:
                allocator = _Allocator(conn, status, issuer)
                # RFC 9562 §5.4 version 4 UUIDs: uuid4() draws them from os.urandom, as secrets does
                ids = [f"urn:uuid:{uuid.uuid4()}" for _ in fresh]
                slots = [allocator.allocate(purpose, ids) for purpose in chosen]
                created = format_datetime(utcnow())
                rows = []
                for n, pair in enumerate(fresh):
                    own = tuple(column[n] for column in slots)
                    pending[pair] = Reservation(ids[n], pair[0], pair[1], own)
                    rows.append((ids[n], pair[0], pair[1], json.dumps([s.to_json() for s in own]), created))
                with conn.cursor() as cursor:
                    cursor.executemany("INSERT INTO reservations (credential_id, learner_key, achievement, slots, "
                                       "created) VALUES (%s, %s, %s, %s, %s)", rows)
            return [issued.get(pair) or pending[pair] for pair in wanted]

        return self._run(work)

    def reserve(self, learner_key: str, achievement: str, status: StatusConfig) -> Reservation | CredentialRecord:
        return self.reserve_many([(learner_key, achievement)], status)[0]

    def complete(self, item: Completion) -> CredentialRecord:
        return self._run(lambda conn: complete_one(conn, item))

    def complete_many(self, items: Sequence[Completion]) -> list[CredentialRecord]:
        """:meth:`complete` for a group in one transaction (group commit): all rows or none."""
        ids = self.complete_many_ids(items)
        return self.records(ids)

    def complete_many_ids(self, items: Sequence[Completion]) -> list[str]:
        """The group commit: every reservation dropped and every row inserted with a few statements; anything
        else (a replay, a reservation another process changed) falls back to :meth:`complete`'s path row by
        row in the same transaction, with the same outcome and errors."""
        if not items:
            return []

        def work(conn: Connection) -> list[str]:
            try:
                with conn.transaction():  # a savepoint: the usual case, or nothing of it
                    if _complete_fresh(conn, items):
                        return [item.reservation.credential_id for item in items]
                    raise _NotFresh
            except (_NotFresh, pg_errors.UniqueViolation):
                pass
            return [complete_one(conn, item).id for item in items]

        return self._run(work)

    # --- the listing of one run (this object's memory: the run holds the store for its length) ---------
    def listing_reset(self) -> None:
        with self._listing_lock:
            self._listing = {}

    def listing_add(self, credentials: Iterable[tuple[str, str | None]]) -> None:
        with self._listing_lock:
            for credential_id, file in credentials:
                self._listing.setdefault(credential_id, file or "")

    def listing_count(self) -> int:
        with self._listing_lock:
            return len(self._listing)

    def listing_rows(self) -> Iterator[tuple[Any, ...]]:
        """The listed credentials ordered by (file, id), read from the database _BATCH at a time."""
        with self._listing_lock:
            ordered = [i for _, i in sorted((file, i) for i, file in self._listing.items())]
        for start in range(0, len(ordered), _BATCH):
            part = ordered[start:start + _BATCH]
            rows = {row[0]: row for row in self._query(_RECORD + " WHERE id = ANY(%s)", (part,))}
            for credential_id in part:
                row = rows.get(credential_id)
                if row is not None:
                    yield (*row[:12], int(bool(row[12])))

    # --- queries ------------------------------------------------------------------------------------
    def issued(self, learner_key: str, achievement: str) -> CredentialRecord | None:
        rows = self._query(_RECORD + " WHERE learner_key = %s AND achievement = %s", (learner_key, achievement))
        return record_of_row(rows[0]) if rows else None

    def get(self, credential_id: str) -> CredentialRecord | None:
        rows = self._query(_RECORD + " WHERE id = %s", (credential_id,))
        return record_of_row(rows[0]) if rows else None

    def find(self, ref: str) -> list[CredentialRecord]:
        return [record_of_row(r) for r in self._query(_SELECT_BY_REF, (ref, ref))]

    def records(self, ids: Sequence[str]) -> list[CredentialRecord]:
        """The records of ``ids`` in that order (an id with no credential row is left out)."""
        found: dict[str, CredentialRecord] = {}
        for start in range(0, len(ids), _BATCH):
            for row in self._query(_RECORD + " WHERE id = ANY(%s)", (list(ids[start:start + _BATCH]),)):
                found[row[0]] = record_of_row(row)
        return [found[i] for i in ids if i in found]

    def all(self) -> list[CredentialRecord]:
        return [record_of_row(r) for r in self._query(_RECORD + " ORDER BY issued, id")]

    def pending(self) -> list[Reservation]:
        rows = self._query("SELECT credential_id, learner_key, achievement, slots FROM reservations "
                           "ORDER BY created, credential_id")
        return [Reservation(str(r[0]), str(r[1]), str(r[2]), _slots(r[3])) for r in rows]

    def document(self, credential_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT document FROM credentials WHERE id = %s", (credential_id,))
        if not rows or rows[0][0] is None:
            return None
        try:
            return loads_object(str(rows[0][0]).encode("utf-8"), what=credential_id)
        except OmcVcError as exc:  # pragma: no cover - only this store writes the column
            raise IssuanceError(Message("the stored document of {id} is unreadable", id=credential_id)) from exc

    # --- list state ---------------------------------------------------------------------------------
    def lists(self) -> list[ListInfo]:
        rows = self._query("SELECT url, purpose, number, bits, used, issuer, version FROM lists "
                           "ORDER BY issuer, purpose, number")
        return [ListInfo(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5] or None, int(r[6]))
                for r in rows]

    def set_indices(self, list_url: str) -> list[int]:
        """The indices whose bit is 1 on ``list_url``: revoked credentials, or suspended ones."""
        rows = self._query(
            "SELECT status_index FROM credentials WHERE status_list = %s AND revoked IS NOT NULL "
            "UNION SELECT suspension_index FROM credentials WHERE suspension_list = %s AND suspended",
            (list_url, list_url))
        return sorted(int(r[0]) for r in rows)

    def status_version(self) -> int:
        rows = self._query("SELECT COALESCE(SUM(version), 0) + COUNT(*) FROM lists")
        return int(rows[0][0])

    def signed_list(self, list_url: str) -> SignedList | None:
        rows = self._query("SELECT signed, signed_version, signed_until FROM lists WHERE url = %s", (list_url,))
        if not rows or rows[0][0] is None:
            return None
        return SignedList(str(rows[0][0]), int(rows[0][1]), rows[0][2])

    def save_signed_list(self, list_url: str, signed: SignedList) -> None:
        # a copy of an older version never replaces a newer one another process saved meanwhile
        self._run(lambda conn: conn.execute(
            "UPDATE lists SET signed = %s, signed_version = %s, signed_until = %s "
            "WHERE url = %s AND (signed_version IS NULL OR signed_version <= %s)",
            (signed.text, signed.version, signed.valid_until, list_url, signed.version)))

    # --- status changes (BSL §3.1 issuer side: the bit is the record's revoked / suspended column) ---------
    def set_revoked(self, ref: str, when: str) -> list[CredentialRecord]:
        """Revoke every credential recorded under ``ref`` (permanent, BSL §2.1 "revocation")."""
        def work(conn: Connection) -> list[CredentialRecord]:
            records = self._for_update(conn, ref)
            for record in records:
                if record.status_list is None:
                    raise IssuanceError(Message("{id} has no revocation status entry", id=ref), field="credential")
            for record in records:
                if record.revoked is None:
                    conn.execute("UPDATE credentials SET revoked = %s WHERE id = %s", (when, record.id))
                    conn.execute("UPDATE lists SET version = version + 1 WHERE url = %s", (record.status_list,))
            return [record_of_row(r) for r in conn.execute(_SELECT_BY_REF, (ref, ref))]

        return self._run(work)

    def set_suspended(self, ref: str, suspended: bool) -> list[CredentialRecord]:
        """Suspend (or lift the suspension of) every credential recorded under ``ref``."""
        def work(conn: Connection) -> list[CredentialRecord]:
            records = self._for_update(conn, ref)
            for record in records:
                if record.suspension_list is None:
                    raise IssuanceError(Message("{id} was issued without a suspension status entry; it can only be "
                                                "revoked", id=ref), field="credential")
                if record.revoked is not None and suspended is False:
                    raise IssuanceError(Message("{id} is revoked; revocation is permanent", id=ref),
                                        code="STATUS_IRREVERSIBLE")
            for record in records:
                if record.suspended != suspended:
                    conn.execute("UPDATE credentials SET suspended = %s WHERE id = %s", (suspended, record.id))
                    conn.execute("UPDATE lists SET version = version + 1 WHERE url = %s", (record.suspension_list,))
            return [record_of_row(r) for r in conn.execute(_SELECT_BY_REF, (ref, ref))]

        return self._run(work)

    def _for_update(self, conn: Connection, ref: str) -> list[CredentialRecord]:
        """The credentials under ``ref``, locked for this transaction (in id order: no lock cycle)."""
        records = [record_of_row(r) for r in conn.execute(
            _RECORD + " WHERE id = %s OR ref = %s ORDER BY id FOR UPDATE", (ref, ref))]
        if not records:
            raise IssuanceError(Message("no credential {ref} in {where}", ref=repr(ref), where=self.where),
                                field="credential", code="NOT_FOUND")
        return records


class _NotFresh(Exception):
    """The group commit is not the usual case: take the row-by-row path."""


def _records_for_pairs(conn: Connection, pairs: Sequence[tuple[str, str]]) -> list[CredentialRecord]:
    out: list[CredentialRecord] = []
    for start in range(0, len(pairs), _BATCH):
        part = pairs[start:start + _BATCH]
        out.extend(record_of_row(row) for row in conn.execute(
            _RECORD + " WHERE (learner_key, achievement) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",  # noqa: S608
            ([p[0] for p in part], [p[1] for p in part])))
    return out


def _pending_for_pairs(conn: Connection, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Reservation]:
    out: dict[tuple[str, str], Reservation] = {}
    for start in range(0, len(pairs), _BATCH):
        part = pairs[start:start + _BATCH]
        for row in conn.execute(
                "SELECT credential_id, learner_key, achievement, slots FROM reservations "
                "WHERE (learner_key, achievement) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                ([p[0] for p in part], [p[1] for p in part])):
            out[(row[1], row[2])] = Reservation(str(row[0]), str(row[1]), str(row[2]), _slots(row[3]))
    return out


def _credential_row(item: Completion) -> tuple[Any, ...]:
    reservation = item.reservation
    slots = {s.purpose: s for s in reservation.slots}
    revocation, suspension = slots.get(REVOCATION), slots.get(SUSPENSION)
    return (reservation.credential_id, reservation.learner_key, item.learner_name, reservation.achievement,
            revocation.url if revocation else None, revocation.index if revocation else None,
            suspension.url if suspension else None, suspension.index if suspension else None,
            item.content_hash, item.file, item.issued, item.ref, item.document, fold(item.learner_name))


def complete_one(conn: Connection, item: Completion) -> CredentialRecord:
    """Record one credential in the caller's transaction. The DELETE of its reservation decides a race: of two
    processes completing the same reservation one deletes it, the other (waiting on the row) deletes nothing
    and finds the first one's credential."""
    reservation = item.reservation
    deleted = conn.execute("DELETE FROM reservations WHERE credential_id = %s", (reservation.credential_id,))
    if deleted.rowcount != 1:
        existing = conn.execute(_RECORD + " WHERE learner_key = %s AND achievement = %s",
                                (reservation.learner_key, reservation.achievement)).fetchone()
        if existing is not None and existing[0] == reservation.credential_id:
            return record_of_row(existing)  # a replayed completion: the credential is there already
        if existing is not None:
            raise IssuanceError(Message("{learner} already holds {id} for {achievement}",
                                        learner=reservation.learner_key, id=existing[0],
                                        achievement=reservation.achievement))
        raise IssuanceError(Message("no reservation for {id}: another process changed it",
                                    id=reservation.credential_id))
    row = _credential_row(item)
    conn.execute(_INSERT_CREDENTIAL, row)
    add_learners(conn, [item])  # the registrar's records (omc_vc.issue.pg_records)
    return record_of_row((*row[:11], None, False))  # as inserted: not revoked, not suspended


def _complete_fresh(conn: Connection, items: Sequence[Completion]) -> bool:
    """The group commit's usual case inside a savepoint: every reservation deleted, every row inserted.
    False (or UniqueViolation) when the group is not that case."""
    ids = [item.reservation.credential_id for item in items]
    if len(set(ids)) != len(ids):
        return False
    deleted = 0
    for start in range(0, len(ids), _BATCH):
        deleted += conn.execute("DELETE FROM reservations WHERE credential_id = ANY(%s)",
                                (ids[start:start + _BATCH],)).rowcount
    if deleted != len(ids):
        return False
    with conn.cursor() as cursor:
        cursor.executemany(_INSERT_CREDENTIAL, [_credential_row(item) for item in items])
    add_learners(conn, items)
    return True


class _Allocator:
    """Status-list index allocation inside one transaction holding the allocation lock."""

    def __init__(self, conn: Connection, status: StatusConfig, issuer: str | None) -> None:
        self._conn = conn
        self._status = status
        self._issuer = issuer
        self._owner = issuer or ""  # the lists of the institution's own DID have no issuer recorded

    def _open_list(self, purpose: str) -> tuple[str, int, int]:
        """The list new credentials go on: (url, bits, room left before fill_ratio). A full list is closed
        and the next one opened."""
        row = self._conn.execute("SELECT url, bits, used FROM lists WHERE issuer = %s AND purpose = %s AND open "
                                 "ORDER BY number LIMIT 1", (self._owner, purpose)).fetchone()
        if row is not None:
            url, bits, used = str(row[0]), int(row[1]), int(row[2])
            room = int(bits * self._status.fill_ratio) - used
            if room >= 1:
                return url, bits, room
            self._conn.execute("UPDATE lists SET open = FALSE WHERE url = %s", (url,))
        last = self._conn.execute("SELECT COALESCE(MAX(number), 0) FROM lists WHERE issuer = %s AND purpose = %s",
                                  (self._owner, purpose)).fetchone()
        number = int(last[0]) + 1 if last is not None else 1
        if self._issuer is None:
            url = self._status.list_url(purpose, number)
        else:  # another DID this institution issues as (omc serve's further keys): lists of its own
            tag = hashlib.sha256(self._issuer.encode("utf-8")).hexdigest()[:12]
            url = f"{self._status.base_url}{purpose}-{tag}-{number}.json"
        self._conn.execute("INSERT INTO lists (url, purpose, number, bits, issuer) VALUES (%s, %s, %s, %s, %s)",
                           (url, purpose, number, self._status.list_bits, self._owner))
        return url, self._status.list_bits, max(1, int(self._status.list_bits * self._status.fill_ratio))

    def allocate(self, purpose: str, credential_ids: Sequence[str]) -> list[StatusSlot]:
        out: list[StatusSlot] = []
        while len(out) < len(credential_ids):
            url, bits, room = self._open_list(purpose)
            owners = credential_ids[len(out):len(out) + room]
            given = self._draw(url, bits, owners)
            self._conn.execute("UPDATE lists SET used = used + %s WHERE url = %s", (len(owners), url))
            out.extend(StatusSlot(purpose, url, given[owner]) for owner in owners)
        return out

    def _draw(self, url: str, bits: int, owners: Sequence[str]) -> dict[str, int]:
        # BSL §6.1 (herd privacy): uniformly random unused indices, never a counter. Each owner's candidate is
        # uniform on [0, bits) and inserted at once; one already allocated (or drawn twice) is skipped by the
        # primary key and its owner draws again, so every credential gets a uniformly random free index. The
        # list is closed at fill_ratio, so each draw finds a free index with probability >= 1 - fill_ratio.
        given: dict[str, int] = {}
        tried: set[int] = set()
        for _ in range(10_000):
            waiting = [owner for owner in owners if owner not in given]
            if not waiting:
                return given
            indices = []
            for _ in waiting:
                index = secrets.randbelow(bits)
                while index in tried:
                    index = secrets.randbelow(bits)
                tried.add(index)
                indices.append(index)
            for start in range(0, len(waiting), _BATCH):
                for index, owner in self._conn.execute(
                        "INSERT INTO allocations (list_url, idx, credential_id) "
                        "SELECT %s, i, o FROM unnest(%s::int[], %s::text[]) AS drawn (i, o) "
                        "ON CONFLICT DO NOTHING RETURNING idx, credential_id",
                        (url, indices[start:start + _BATCH], waiting[start:start + _BATCH])):
                    given[str(owner)] = int(index)
        raise IssuanceError(Message("no free index found on {url}", url=url))  # pragma: no cover - needs a full list
