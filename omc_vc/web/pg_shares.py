"""Hosted shares in PostgreSQL: short-mode shares and their challenges, shared by every ``omc serve`` process.

The folder store (:mod:`omc_vc.web.shares`) serves the processes of one machine; a service run on several
hosts behind a load balancer names a database instead (``shares.store`` in the serve configuration, the form
of an institution's ``store``). The behaviour is the folder store's, limit for limit:

* a share is created in one transaction under the schema's share lock (``pg_advisory_xact_lock``): the
  expired ones are deleted, then the store's count and byte caps and the holder's live-share limit are
  checked against what every process has stored, so two processes cannot both take the last place;
* only the SHA-256 of the withdraw token is kept, compared in constant time; the ``DELETE`` that withdraws
  names that hash too, so of two concurrent withdrawals one succeeds;
* a challenge is kept by its SHA-256 with its expiry; consuming it is one ``DELETE ... RETURNING``, which
  returns the row to one session only: a challenge issued by one process is honoured once by any;
* the tables are made by this module's own versioned migrations (``omc_vc/web/share_migrations/``, recorded
  in ``share_migrations``), applied when the service starts under the schema's migration lock: the shares
  need no institution store, and may share its schema without touching its tables.

Connections come from a :class:`psycopg_pool.ConnectionPool` in autocommit mode with ``search_path`` set to
the schema. A server that cannot be reached makes a request fail with 503 SHARE_STORE_UNAVAILABLE.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from omc_vc._internal.timeutil import utcnow
from omc_vc.i18n import Message
from omc_vc.issue.pg_migrate import check_schema, migrate, migrations
from omc_vc.issue.pg_store import redacted
from omc_vc.issue.store_setting import StoreSetting

from .config import SharesConfig
from .shares import _CHALLENGE, Share, ShareError, check_ttl, valid_share_id

__all__ = ["MIGRATIONS_TABLE", "PgChallengeStore", "PgShareStore", "PgShares", "open_pg_stores", "share_migrations"]

T = TypeVar("T")
Connection = psycopg.Connection[tuple[Any, ...]]

CONNECT_TIMEOUT_SECONDS: Final = 10.0
#: the table recording the shares' migrations (not the issuance store's schema_migrations)
MIGRATIONS_TABLE: Final = "share_migrations"


def share_migrations() -> list[Any]:
    """The hosted shares' migrations this release carries."""
    return migrations("omc_vc.web", "share_migrations")


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PgShares:
    """A pool of connections to the shares' schema, migrated when opened; shared by the two stores."""

    def __init__(self, setting: StoreSetting) -> None:
        self.schema = check_schema(setting.schema)
        url = setting.connection_url()
        self.where = redacted(url)
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url, min_size=1, max_size=max(2, setting.pool_size), open=False, timeout=CONNECT_TIMEOUT_SECONDS,
            kwargs={"autocommit": True, "connect_timeout": int(CONNECT_TIMEOUT_SECONDS)},
            configure=self._configure, check=ConnectionPool.check_connection, name=f"omc-shares-{self.schema}")
        try:
            # one plain connection first: an unreachable server is one prompt error, not a pool's retries
            with psycopg.connect(url, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT_SECONDS)) as conn:
                migrate(conn, self.schema, wanted=share_migrations(), table=MIGRATIONS_TABLE)
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        except (PoolTimeout, psycopg.Error) as exc:
            self._pool.close()
            raise ShareError(Message("share store {where} cannot be reached: {error}", where=self.where,
                                     error=type(exc).__name__),
                             code="SHARE_STORE_UNAVAILABLE", status=503) from exc
        except BaseException:
            self._pool.close()
            raise

    def _configure(self, conn: Connection) -> None:
        # the schema name is checked (check_schema): a plain identifier, safe to put in the statement
        conn.execute(f"SET search_path TO {self.schema}")

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.OperationalError as exc:  # PoolTimeout and PoolClosed included
            raise ShareError(Message("share store {where} failed: {error}; try again later", where=self.where,
                                     error=type(exc).__name__),
                             code="SHARE_STORE_UNAVAILABLE", status=503) from exc

    def run(self, work: Callable[[Connection], T], *, lock: str | None = None) -> T:
        """``work(conn)`` in one transaction, under the schema's ``lock`` (an advisory lock) when named."""
        with self._connection() as conn, conn.transaction():
            if lock is not None:
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                             (f"omc-vc:{self.schema}:{lock}",))
            return work(conn)


def _instant(value: datetime) -> datetime:
    return value.astimezone(UTC)


class PgShareStore:
    """:class:`omc_vc.web.shares.ShareStore`'s behaviour on a PostgreSQL schema (see the module's text)."""

    def __init__(self, db: PgShares, *, max_ttl_seconds: int = 30 * 24 * 3600,
                 default_ttl_seconds: int = 7 * 24 * 3600, max_count: int = 10_000,
                 max_total_bytes: int = 256 * 1024 * 1024, max_per_holder: int = 20) -> None:
        self.db = db
        self.max_ttl = max_ttl_seconds
        self.default_ttl = default_ttl_seconds
        self.max_count = max_count
        self.max_total_bytes = max_total_bytes
        self.max_per_holder = max_per_holder

    def check_ttl(self, ttl_seconds: Any) -> int:
        return check_ttl(ttl_seconds, default=self.default_ttl, most=self.max_ttl)

    def create(self, credential: dict[str, Any] | str, ttl_seconds: int | None, *, holder: str,
               now: datetime | None = None) -> tuple[Share, str]:
        ttl = self.check_ttl(ttl_seconds)
        moment = now or utcnow()
        text = json.dumps(credential)
        token = secrets.token_urlsafe(32)
        share = Share(id=secrets.token_urlsafe(16), credential=credential,
                      expires=(moment + timedelta(seconds=ttl)).replace(microsecond=0), token_hash=_hash(token),
                      holder=holder)

        def work(conn: Connection) -> None:
            conn.execute("DELETE FROM hosted_shares WHERE expires <= %s", (moment,))
            row = conn.execute("SELECT count(*), COALESCE(sum(size), 0), count(*) FILTER (WHERE holder = %s) "
                               "FROM hosted_shares", (holder,)).fetchone()
            count, size, held = (int(v) for v in row) if row is not None else (0, 0, 0)
            if count >= self.max_count or size + len(text) > self.max_total_bytes:
                raise ShareError(Message("the share store is full; try again later"), code="SHARE_STORE_FULL",
                                 status=503)
            if held >= self.max_per_holder:
                raise ShareError(Message("{holder} already has {most} live shares, the most one holder may "
                                         "have: withdraw one (omc wallet withdraw) or wait until one expires",
                                         holder=holder, most=self.max_per_holder),
                                 code="SHARE_HOLDER_LIMIT", status=429)
            conn.execute("INSERT INTO hosted_shares (id, credential, size, holder, expires, token_hash) "
                         "VALUES (%s, %s, %s, %s, %s, %s)",
                         (share.id, text, len(text), holder, share.expires, share.token_hash))

        # one creation at a time across every process: the caps are checked against what is stored
        self.db.run(work, lock="shares")
        return share, token

    def get(self, share_id: str, *, now: datetime | None = None) -> Share | None:
        if not valid_share_id(share_id):
            return None
        moment = now or utcnow()

        def work(conn: Connection) -> Share | None:
            row = conn.execute("SELECT credential, expires, token_hash, holder FROM hosted_shares WHERE id = %s",
                               (share_id,)).fetchone()
            if row is None:
                return None
            if row[1] <= moment:
                conn.execute("DELETE FROM hosted_shares WHERE id = %s", (share_id,))
                return None
            try:
                credential = json.loads(row[0])
            except ValueError:
                return None  # a corrupt record is treated as absent (never served half-read)
            if not isinstance(credential, dict | str):
                return None
            return Share(id=share_id, credential=credential, expires=_instant(row[1]), token_hash=row[2],
                         holder=row[3])

        return self.db.run(work)

    def withdraw(self, share_id: str, token: str, *, now: datetime | None = None) -> bool:
        share = self.get(share_id, now=now)
        if share is None:
            return False
        # constant-time comparison of the token's hash
        if not hmac.compare_digest(share.token_hash, _hash(token)):
            return False

        def work(conn: Connection) -> bool:
            return conn.execute("DELETE FROM hosted_shares WHERE id = %s AND token_hash = %s",
                                (share_id, share.token_hash)).rowcount == 1

        return self.db.run(work)

    def sweep(self, *, now: datetime | None = None) -> int:
        moment = now or utcnow()
        return self.db.run(lambda conn: conn.execute("DELETE FROM hosted_shares WHERE expires <= %s",
                                                     (moment,)).rowcount)

    def usage(self) -> tuple[int, int]:
        row = self.db.run(lambda conn: conn.execute("SELECT count(*), COALESCE(sum(size), 0) FROM hosted_shares")
                          .fetchone())
        return (int(row[0]), int(row[1])) if row is not None else (0, 0)

    def close(self) -> None:
        self.db.close()


class PgChallengeStore:
    """:class:`omc_vc.web.shares.ChallengeStore`'s behaviour on a PostgreSQL schema (see the module's text)."""

    def __init__(self, db: PgShares, *, ttl_seconds: int = 300, max_live: int = 10_000) -> None:
        self.db = db
        self.ttl = ttl_seconds
        self.max_live = max_live

    def issue(self, *, now: datetime | None = None) -> tuple[str, datetime]:
        moment = now or utcnow()
        challenge = secrets.token_urlsafe(32)
        expires = (moment + timedelta(seconds=self.ttl)).replace(microsecond=0)

        def work(conn: Connection) -> None:
            if self._count(conn) >= self.max_live:
                conn.execute("DELETE FROM share_challenges WHERE expires <= %s", (moment,))
                if self._count(conn) >= self.max_live:
                    raise ShareError(Message("too many share requests are pending; try again in a few minutes"),
                                     code="SHARE_CHALLENGES_EXHAUSTED", status=429)
            conn.execute("INSERT INTO share_challenges (challenge_hash, expires) VALUES (%s, %s)",
                         (_hash(challenge), expires))

        self.db.run(work, lock="challenges")
        return challenge, expires

    def consume(self, challenge: str, *, now: datetime | None = None) -> bool:
        if not isinstance(challenge, str) or not _CHALLENGE.match(challenge):
            return False
        moment = now or utcnow()
        # DI 1.0 §2.1: the DELETE returns the row to one session only, whichever process asks first
        row = self.db.run(lambda conn: conn.execute(
            "DELETE FROM share_challenges WHERE challenge_hash = %s RETURNING expires", (_hash(challenge),)).fetchone())
        return row is not None and moment < row[0]

    def count(self) -> int:
        return self.db.run(self._count)

    @staticmethod
    def _count(conn: Connection) -> int:
        row = conn.execute("SELECT count(*) FROM share_challenges").fetchone()
        return int(row[0]) if row is not None else 0

    def close(self) -> None:
        self.db.close()


def open_pg_stores(config: SharesConfig) -> tuple[PgShareStore, PgChallengeStore]:
    """The two stores of ``config.store``, on one pool (opened, and the schema migrated)."""
    assert config.store is not None
    db = PgShares(config.store)
    return (PgShareStore(db, max_ttl_seconds=config.max_ttl_seconds, default_ttl_seconds=config.default_ttl_seconds,
                         max_count=config.max_count, max_total_bytes=config.max_total_bytes,
                         max_per_holder=config.max_per_holder),
            PgChallengeStore(db, ttl_seconds=config.challenge_ttl_seconds, max_live=config.max_challenges))
