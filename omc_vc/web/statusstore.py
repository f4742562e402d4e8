"""The status lists of an institution that issues through the VC-API (Bitstring Status List v1.0).

One list per (issuer, purpose), at least 131,072 entries (BSL §3.2 minimum), indices drawn at random
(BSL §6.4 "SHOULD be assigned randomly") and never reused, every change committed in one SQLite
transaction together with the re-signed list credential, so a crash never leaves a bit set without
its signed list (DESIGN decision 10). Lists are served at ``{base}/status/{name}``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from omc_vc import bitstring
from omc_vc.errors import StatusError
from omc_vc.issue import status_lists
from omc_vc.keys import KeyPair

PURPOSES = ("revocation", "suspension")
# allocate at most this share of a list before opening the next one, so random draws stay cheap
FILL_LIMIT = 0.5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lists (
    name TEXT PRIMARY KEY, issuer TEXT NOT NULL, purpose TEXT NOT NULL, bits BLOB NOT NULL,
    used INTEGER NOT NULL DEFAULT 0, signed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    credential_id TEXT NOT NULL, list_name TEXT NOT NULL, idx INTEGER NOT NULL, purpose TEXT NOT NULL,
    PRIMARY KEY (list_name, idx)
);
CREATE INDEX IF NOT EXISTS entries_by_credential ON entries (credential_id);
"""


class StatusStore:
    """Allocates status-list entries and flips their bits; ``folder=None`` keeps it in memory."""

    def __init__(self, folder: Path | None, base_url: str, keys: dict[str, KeyPair], *, bits: int = 131072,
                 rng: Callable[[int], int] = secrets.randbelow) -> None:
        self.base_url = base_url.rstrip("/")
        self.keys = keys
        self.bits = bits
        self._rng = rng
        self._lock = threading.Lock()
        self.version = 0  # bumped on every committed change (the service rebuilds its verifiers)
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            target = str(folder / "status.sqlite3")
        else:
            target = ":memory:"
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self.version += 1

    def list_url(self, name: str) -> str:
        return f"{self.base_url}/status/{name}"

    def _sign(self, name: str, issuer: str, purpose: str, bits: bytes) -> str:
        key = self.keys.get(issuer)
        if key is None:
            raise StatusError(f"no key configured for the status lists of {issuer}")
        vc = status_lists.build_status_list_credential(
            list_url=self.list_url(name), key=key, issuer=issuer, purpose=purpose, bitstring=bits)
        return json.dumps(vc, ensure_ascii=False)

    def allocate(self, issuer: str, purpose: str, credential_id: str) -> dict[str, Any]:
        """A new BitstringStatusListEntry for ``credential_id`` (a fresh random index, never reused)."""
        if purpose not in PURPOSES:
            raise StatusError(f"statusPurpose {purpose!r} is not supported ({', '.join(PURPOSES)})",
                              code="MALFORMED_VALUE_ERROR")
        with self._transaction() as db:
            row = db.execute("SELECT name, used FROM lists WHERE issuer = ? AND purpose = ? AND used < ? "
                             "ORDER BY name LIMIT 1", (issuer, purpose, int(self.bits * FILL_LIMIT))).fetchone()
            if row is None:
                count = db.execute("SELECT COUNT(*) FROM lists WHERE issuer = ? AND purpose = ?",
                                   (issuer, purpose)).fetchone()[0]
                name = f"{purpose}-{hashlib.sha256(issuer.encode('utf-8')).hexdigest()[:12]}-{count + 1}"
                bits = bytes(self.bits // 8)
                db.execute("INSERT INTO lists (name, issuer, purpose, bits, used, signed) VALUES (?, ?, ?, ?, 0, ?)",
                           (name, issuer, purpose, bits, self._sign(name, issuer, purpose, bits)))
            else:
                name = row[0]
            while True:
                index = self._rng(self.bits)
                taken = db.execute("SELECT 1 FROM entries WHERE list_name = ? AND idx = ?", (name, index)).fetchone()
                if taken is None:
                    break
            db.execute("INSERT INTO entries (credential_id, list_name, idx, purpose) VALUES (?, ?, ?, ?)",
                       (credential_id, name, index, purpose))
            db.execute("UPDATE lists SET used = used + 1 WHERE name = ?", (name,))
        return dict(status_lists.status_entry(self.list_url(name), index, purpose))

    def set_status(self, credential_id: str, purpose: str, value: bool) -> int:
        """Set (True) or clear (False) the credential's entries of ``purpose``; returns how many changed.

        Revocation is irreversible (BSL §2.1): clearing a revocation bit is refused.
        """
        if purpose not in PURPOSES:
            raise StatusError(f"statusPurpose {purpose!r} is not supported", code="MALFORMED_VALUE_ERROR")
        with self._transaction() as db:
            rows = db.execute("SELECT list_name, idx FROM entries WHERE credential_id = ? AND purpose = ?",
                              (credential_id, purpose)).fetchall()
            for name, index in rows:
                issuer, bits_blob = db.execute("SELECT issuer, bits FROM lists WHERE name = ?", (name,)).fetchone()
                bits = bytearray(bits_blob)
                if purpose == "revocation" and not value and bitstring.get_status(bytes(bits), index) == 1:
                    raise StatusError("a revoked credential cannot be reinstated (revocation is irreversible)",
                                      code="STATUS_IRREVERSIBLE")
                bitstring.set_status(bits, index, 1 if value else 0)
                db.execute("UPDATE lists SET bits = ?, signed = ? WHERE name = ?",
                           (bytes(bits), self._sign(name, issuer, purpose, bytes(bits)), name))
        return len(rows)

    def signed_list(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT signed FROM lists WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def all_lists(self) -> dict[str, dict[str, Any]]:
        """Every signed list credential by URL (pinned into the service's own status checks)."""
        with self._lock:
            rows = self._db.execute("SELECT name, signed FROM lists").fetchall()
        return {self.list_url(name): json.loads(signed) for name, signed in rows}

    def close(self) -> None:
        self._db.close()
