"""The one place that opens an institution's issuance store: SQLite by default, PostgreSQL when configured.

Every issuing path (``omc issue``, ``omc status``, ``omc offer``, ``omc serve``) opens its store with
:func:`open_store`, so one setting of the institution.yaml (``store``, :mod:`omc_vc.issue.store_setting`)
moves all of them to the shared database at once. :func:`migrate_store` is ``omc store migrate``: it
creates or upgrades the store's schema (PostgreSQL: :mod:`omc_vc.issue.pg_migrate`; SQLite upgrades its
file itself when opened).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from omc_vc.errors import ConfigError, IssuanceError
from omc_vc.i18n import Message
from omc_vc.issue.offers import OfferStore
from omc_vc.issue.records import RecordStore
from omc_vc.issue.store import Store

if TYPE_CHECKING:  # pragma: no cover
    from omc_vc.issue.config import InstitutionConfig

__all__ = ["IssuanceStore", "Migrated", "migrate_store", "offer_store", "open_store", "store_kind"]


class IssuanceStore(RecordStore, OfferStore, Protocol):
    """What both stores implement: the issuance store, the registrar's records and the offers; opened as a
    context manager (closed at its end)."""

    def __enter__(self) -> IssuanceStore: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass(frozen=True)
class Migrated:
    """What ``omc store migrate`` did: the store's kind, where it is, the migrations applied now, its version."""

    kind: str
    where: str
    applied: tuple[str, ...]
    version: int

    def to_json(self) -> dict[str, Any]:
        return {"store": self.kind, "where": self.where, "applied": list(self.applied), "version": self.version}


def store_kind(config: InstitutionConfig) -> str:
    """``"postgresql"`` or ``"sqlite"``."""
    return "postgresql" if config.store is not None else "sqlite"


def _postgres() -> Any:
    try:
        from omc_vc.issue import pg_store
    except ImportError as exc:
        raise ConfigError(Message("store names a PostgreSQL database, but psycopg is not installed: "
                                  "pip install 'omc-vc[postgres]'"), field="store") from exc
    return pg_store


def open_store(config: InstitutionConfig) -> IssuanceStore:
    """The institution's issuance store, open (its schema must be migrated: ``omc store migrate``)."""
    setting = config.store
    if setting is None:
        from omc_vc.issue.sqlite_store import SqliteStore

        return SqliteStore(config.state_path)
    store: IssuanceStore = _postgres().PostgresStore(setting.connection_url(), schema=setting.schema,
                                                     pool_size=setting.pool_size)
    return store


def migrate_store(config: InstitutionConfig) -> Migrated:
    """Create or upgrade the institution's store to this release's schema (``omc store migrate``)."""
    setting = config.store
    if setting is None:
        from omc_vc.issue.sqlite_store import SCHEMA_VERSION, SqliteStore

        SqliteStore(config.state_path).close()  # the embedded store creates and upgrades its file when opened
        return Migrated("sqlite", str(config.state_path), (), int(SCHEMA_VERSION))
    pg_store = _postgres()
    import psycopg

    from omc_vc.issue.pg_migrate import latest_version, migrate

    url = setting.connection_url()
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=int(pg_store.CONNECT_TIMEOUT_SECONDS)) as conn:
            applied = migrate(conn, setting.schema)
    except psycopg.Error as exc:
        raise IssuanceError(Message("issuance store {where} cannot be migrated: {kind}: {why}",
                                    where=setting.describe(), kind=type(exc).__name__, why=_first_line(exc)),
                            code="STORE_UNAVAILABLE") from exc
    return Migrated("postgresql", setting.describe(), tuple(f"{m.version:04d}_{m.name}" for m in applied),
                    latest_version())


def _first_line(exc: BaseException) -> str:
    """The server's message, first line only (a connection error's text names no password)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else ""


def offer_store(store: Store) -> OfferStore | None:
    """``store`` as an offer store, or None when it keeps no offers."""
    from omc_vc.issue.pg_offers import PgOffers
    from omc_vc.issue.sqlite_offers import SqliteOffers

    return store if isinstance(store, SqliteOffers | PgOffers) else None
