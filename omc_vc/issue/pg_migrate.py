"""Versioned schema migrations of the PostgreSQL issuance store (``omc store migrate``).

The migrations are the SQL files of ``omc_vc/issue/migrations/``, named ``NNNN_what.sql`` and numbered
from 1 without gaps. Each institution's tables live in a schema of its own; the schema keeps the
migrations applied to it in ``schema_migrations`` (version, name, SHA-256 of the file, when).

:func:`migrate` applies the missing ones in order, all in one transaction under a lock of that schema: two
``omc store migrate`` at once take turns (the second finds nothing left to do), and one killed halfway
leaves the schema as it was (PostgreSQL's DDL is transactional). A migration already applied whose file
has changed since is refused rather than run again or ignored. A store opened on a schema that is behind
(or ahead of) this release's migrations refuses to work (:func:`require_current`) and names the command.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from omc_vc.errors import ConfigError, IssuanceError
from omc_vc.i18n import Message
from omc_vc.issue.store_setting import SCHEMA_PATTERN

if TYPE_CHECKING:  # pragma: no cover
    import psycopg

__all__ = ["SCHEMA_PATTERN", "Migration", "check_schema", "latest_version", "migrate", "migrations",
           "require_current", "schema_version"]

_FILE: Final = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_TABLE: Final = "schema_migrations"


@dataclass(frozen=True)
class Migration:
    """One migration file: its version, name and SQL text."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def migrations(package: str = "omc_vc.issue", folder_name: str = "migrations") -> list[Migration]:
    """The migrations this release carries, in order (numbered 1, 2, ... without gaps): the issuance store's,
    or another set kept in ``package``'s ``folder_name`` (the hosted shares', :mod:`omc_vc.web.pg_shares`)."""
    folder = resources.files(package) / folder_name
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):  # pragma: no cover - a packaging mistake
        raise IssuanceError(Message("the PostgreSQL migrations of this release are not numbered 1, 2, ... without "
                                    "gaps"))
    return found


def latest_version() -> int:
    return len(migrations())


def check_schema(schema: str) -> str:
    """``schema`` when it is a usable schema name (ConfigError otherwise)."""
    if not SCHEMA_PATTERN.match(schema):
        raise ConfigError(Message("store schema {schema} must be a lower-case SQL name: letters, digits and _, "
                                  "not starting with a digit, at most 63 characters", schema=repr(schema)),
                          field="store.schema")
    return schema


def _lock_key(schema: str) -> str:
    return f"omc-vc:{schema}:migrate"


def schema_version(conn: psycopg.Connection[tuple[Any, ...]], schema: str, *, table: str = _TABLE) -> int:
    """The highest migration applied to ``schema`` (0: none, or no such schema)."""
    row = conn.execute("SELECT to_regclass(%s)", (f"{check_schema(schema)}.{table}",)).fetchone()
    if row is None or row[0] is None:
        return 0
    found = conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {schema}.{table}").fetchone()  # noqa: S608
    return int(found[0]) if found is not None else 0


def require_current(conn: psycopg.Connection[tuple[Any, ...]], schema: str, where: str) -> None:
    """IssuanceError unless ``schema`` has exactly this release's migrations (``where`` names the store)."""
    have, want = schema_version(conn, schema), latest_version()
    if have < want:
        raise IssuanceError(Message("issuance store {where} (schema {schema}) is at version {have}, this release "
                                    "needs {want}: run `omc store migrate --config <institution.yaml>`",
                                    where=where, schema=schema, have=str(have), want=str(want)),
                            code="STORE_NOT_MIGRATED")
    if have > want:
        raise IssuanceError(Message("issuance store {where} (schema {schema}) is at version {have}, which this "
                                    "release does not know (it knows up to {want}): use the omc-vc release that "
                                    "wrote it", where=where, schema=schema, have=str(have), want=str(want)),
                            code="STORE_NOT_MIGRATED")


def migrate(conn: psycopg.Connection[tuple[Any, ...]], schema: str, *, wanted: list[Migration] | None = None,
            table: str = _TABLE) -> list[Migration]:
    """Apply the missing migrations to ``schema`` (created if needed), in one transaction; the ones applied.

    ``conn`` is an autocommit connection. IssuanceError when an applied migration's file has changed, or
    when the schema is ahead of this release. ``wanted`` and ``table`` name another set of migrations and
    the table recording it (the hosted shares' set, which may share a schema with an institution's store).
    """
    check_schema(schema)
    wanted = migrations() if wanted is None else wanted
    with conn.transaction():
        # two migrators of one schema take turns; the lock goes with the transaction (or the killed session)
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (_lock_key(schema),))
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.execute(f"SET LOCAL search_path TO {schema}")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        applied = {int(v): str(c) for v, c in conn.execute(f"SELECT version, checksum FROM {table}")}  # noqa: S608
        known = {m.version: m for m in wanted}
        for version, checksum in sorted(applied.items()):
            if version not in known:
                raise IssuanceError(Message("schema {schema} has migration {version}, which this release does not "
                                            "know: use the omc-vc release that wrote it", schema=schema,
                                            version=str(version)), code="STORE_NOT_MIGRATED")
            if known[version].checksum != checksum:
                raise IssuanceError(Message("migration {version} ({name}) applied to schema {schema} differs from "
                                            "this release's file: refusing to go on", version=str(version),
                                            name=known[version].name, schema=schema), code="STORE_NOT_MIGRATED")
        done: list[Migration] = []
        for migration in wanted:
            if migration.version in applied:
                continue
            conn.execute(migration.sql.encode("utf-8"))  # no parameters: several statements in one call
            conn.execute(f"INSERT INTO {table} (version, name, checksum) VALUES (%s, %s, %s)",  # noqa: S608
                         (migration.version, migration.name, migration.checksum))
            done.append(migration)
    return done
