"""The Idempotency-Key part of the PostgreSQL issuance store (:meth:`omc_vc.issue.store.Store.claim_key`).

:class:`PgKeys` is mixed into :class:`omc_vc.issue.pg_store.PostgresStore`; the table is migration 3's. As in
the embedded store (:mod:`omc_vc.issue.sqlite_keys`), a keyed request is remembered with the digest of its
request and the learner key its credential is reserved and recorded under, and the claim, the reservation
and the record each commit on their own: a retry after a kill between any two goes on from what is there.

A request holds its key with a session advisory lock taken without waiting (``pg_try_advisory_lock``) on a
connection it keeps for the whole request: another request with the key, on any process or host, finds it
held; the server drops the lock when the holder's connection ends (its process killed included). Every
store call the holding thread makes meanwhile runs on that same connection, so a request needs one
connection from the pool, never a second one while it holds the first (a full pool cannot wait on itself).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Final, TypeVar

from omc_vc.issue.store import KeyedRequest

__all__ = ["PgKeys"]

if TYPE_CHECKING:  # psycopg is needed only where a PostgresStore is opened (the optional extra)
    import psycopg

    Connection = psycopg.Connection[tuple[Any, ...]]

T = TypeVar("T")

#: a keyed request and the credential recorded under its learner key, if any (the VC-API records one)
_SELECT: Final = ("SELECT k.key, k.digest, k.learner_key, k.created, "
                  "(SELECT c.id FROM credentials AS c WHERE c.learner_key = k.learner_key LIMIT 1) "
                  "FROM idempotency_keys AS k WHERE k.key = %s")


class PgKeys:
    """The keyed-request methods of :class:`~omc_vc.issue.store.Store` (a mixin: the host class gives
    :meth:`_run`, :meth:`_connection`, :meth:`_lock_key`, and ``_held``, the connection each thread holds)."""

    _held: threading.local

    # provided by PostgresStore
    def _run(self, work: Callable[[Connection], T]) -> T: raise NotImplementedError
    def _connection(self) -> AbstractContextManager[Connection]: raise NotImplementedError
    def _lock_key(self, what: str) -> str: raise NotImplementedError
    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]: raise NotImplementedError

    @contextmanager
    def hold_key(self, key: str) -> Iterator[bool]:
        lock = self._lock_key(f"request-key:{key}")
        with self._connection() as conn:  # the one this thread holds already, if it holds one
            row = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (lock,)).fetchone()
            if row is None or not row[0]:
                yield False
                return
            outer = getattr(self._held, "conn", None)
            self._held.conn = conn  # this thread's store calls run on it until the block ends
            try:
                yield True
            finally:
                self._held.conn = outer
                import psycopg

                try:
                    conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (lock,))
                except psycopg.Error:  # pragma: no cover - the connection is gone: so is its lock
                    pass

    def claim_key(self, key: str, digest: str, *, learner_key: str, now: str, forget_before: str) -> KeyedRequest:
        def work(conn: Connection) -> KeyedRequest:
            # the draft's key expiry: a request older than the keys' lifetime is forgotten, its key free again
            conn.execute("DELETE FROM idempotency_keys WHERE created < %s", (forget_before,))
            # of two claims at once the second waits on the first's row, then claims nothing and reads it
            conn.execute("INSERT INTO idempotency_keys (key, digest, learner_key, created) VALUES (%s, %s, %s, %s) "
                         "ON CONFLICT (key) DO NOTHING", (key, digest, learner_key, now))
            row = conn.execute(_SELECT, (key,)).fetchone()
            assert row is not None  # inserted, or there already
            return KeyedRequest(str(row[0]), str(row[1]), str(row[2]), str(row[3]), row[4])

        return self._run(work)

    def release_key(self, key: str, learner_key: str) -> None:
        self._run(lambda conn: conn.execute(
            "DELETE FROM idempotency_keys WHERE key = %s AND learner_key = %s AND NOT EXISTS "
            "(SELECT 1 FROM credentials WHERE learner_key = %s)", (key, learner_key, learner_key)))
