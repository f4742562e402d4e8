"""The Idempotency-Key part of the SQLite issuance store (:meth:`omc_vc.issue.store.Store.claim_key`).

:class:`SqliteKeys` is mixed into :class:`omc_vc.issue.sqlite_store.SqliteStore`. A request made with an
Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) is remembered with the digest of its request and
the learner key its credential is reserved and recorded under; the credential itself is the store's usual
reservation and record, so a claim, a reservation and a record each commit in a transaction of their own
and a retry after a kill between any two finds what the first attempt left and goes on from there.

While a request runs it holds its key (:func:`key_hold`): an open-file-description lock on one byte of a
lock file beside the database, chosen by the key's digest. Another request with the key (in this process or
another) finds it held and is told the first one is still in progress; the kernel drops the lock when its
holder's descriptor is closed or its process dies (SIGKILL included). The hold only spares a retry the work
of a request still running: two attempts that run at once anyway (a system without such locks) still record
one credential, since they reserve, sign and record under the same learner key.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import sqlite3
import struct
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Final

from omc_vc.errors import IssuanceError
from omc_vc.i18n import Message
from omc_vc.issue.store import KeyedRequest

__all__ = ["KEY_SCHEMA", "SqliteKeys", "key_hold"]

#: The table of keyed requests (created with the issuance store's own tables; no existing table changes).
KEY_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    learner_key TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_by_created ON idempotency_keys (created);
"""

#: a keyed request and the credential recorded under its learner key, if any (the VC-API records one)
_SELECT: Final = ("SELECT k.key, k.digest, k.learner_key, k.created, "
                  "(SELECT c.id FROM credentials AS c WHERE c.learner_key = k.learner_key LIMIT 1) "
                  "FROM idempotency_keys AS k WHERE k.key = ?")

#: Linux's struct flock (l_type, l_whence, l_start, l_len, l_pid and the padding to its 32 bytes)
_FLOCK: Final = struct.Struct("hhqqi4x")
_OFD_SETLK: Final[int | None] = getattr(fcntl, "F_OFD_SETLK", None)


def _slot(key: str) -> int:
    """The byte of the lock file that stands for ``key`` (48 bits of its SHA-256: no two keys share one in
    practice, and two that did would only answer 409 to each other while both run)."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:6], "big")


@contextmanager
def key_hold(lock_path: Path, key: str) -> Iterator[bool]:
    """Hold ``key``'s byte of ``lock_path`` (True), or find it held by another request (False).

    An open-file-description lock (Linux's F_OFD_SETLK) belongs to this descriptor alone, so two threads of
    one process exclude each other as two processes do, and closing the descriptor drops it whatever other
    descriptors of the file the process holds. Without such locks every request holds its key (True):
    exactly one credential is still recorded per key (the module's docstring says why).
    """
    if _OFD_SETLK is None:  # pragma: no cover - Linux has them
        yield True
        return
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise IssuanceError(Message("cannot open the request-key lock {path}: {why}", path=str(lock_path),
                                    why=str(exc.strerror))) from exc
    try:
        try:
            fcntl.fcntl(fd, _OFD_SETLK, _FLOCK.pack(fcntl.F_WRLCK, os.SEEK_SET, _slot(key), 1, 0))
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise IssuanceError(Message("cannot lock {path}: {why}", path=str(lock_path),
                                            why=str(exc.strerror))) from exc
            held = False
        else:
            held = True
        yield held
    finally:
        os.close(fd)  # drops the lock


class SqliteKeys:
    """The keyed-request methods of :class:`~omc_vc.issue.store.Store` (a mixin: the host class gives
    ``path``, :meth:`transaction` and :meth:`_query`)."""

    path: Path

    # provided by SqliteStore
    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: raise NotImplementedError
    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: raise NotImplementedError

    def hold_key(self, key: str) -> AbstractContextManager[bool]:
        return key_hold(Path(f"{self.path}.keys.lock"), key)

    def claim_key(self, key: str, digest: str, *, learner_key: str, now: str, forget_before: str) -> KeyedRequest:
        with self.transaction() as db:
            # the draft's key expiry: a request older than the keys' lifetime is forgotten, its key free again
            db.execute("DELETE FROM idempotency_keys WHERE created < ?", (forget_before,))
            db.execute("INSERT OR IGNORE INTO idempotency_keys (key, digest, learner_key, created) VALUES (?, ?, ?, ?)",
                       (key, digest, learner_key, now))
            row = db.execute(_SELECT, (key,)).fetchone()
        return KeyedRequest(str(row[0]), str(row[1]), str(row[2]), str(row[3]), row[4])

    def release_key(self, key: str, learner_key: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM idempotency_keys WHERE key = ? AND learner_key = ? AND NOT EXISTS "
                       "(SELECT 1 FROM credentials WHERE learner_key = ?)", (key, learner_key, learner_key))
