"""The institution's ``store`` setting: which issuance store it uses (SQLite unless it names PostgreSQL).

One setting of the institution.yaml chooses the shared PostgreSQL store (:mod:`omc_vc.issue.pg_store`)::

    store: postgresql://omc@db.internal:5432/omc?sslmode=verify-full      # the URL itself, or:
    store: {url_env: OMC_STORE_URL, schema: college_a, pool_size: 4}      # the variable holding it

Without it the institution keeps its embedded SQLite database (``state`` / ``state_dir``). ``url_env``
names an environment variable holding the URL, so a password in it never sits in a file. ``schema`` is
the institution's own schema in that database (default ``omc``): institutions that share a database each
need their own. ``pool_size`` bounds each process's connections.

This module reads the setting only; :func:`omc_vc.issue.stores.open_store` opens the store it names.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from omc_vc.errors import ConfigError

__all__ = ["DEFAULT_POOL_SIZE", "DEFAULT_SCHEMA", "SCHEMES", "StoreSetting", "parse_store"]

DEFAULT_SCHEMA: Final = "omc"
DEFAULT_POOL_SIZE: Final = 4
SCHEMES: Final = ("postgresql", "postgres")
_SCHEMA: Final = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_KEYS: Final = frozenset({"url", "url_env", "schema", "pool_size"})


@dataclass(frozen=True)
class StoreSetting:
    """A PostgreSQL store: its connection URL (or the variable holding it), schema and pool size."""

    url: str | None = field(default=None, repr=False)  # may carry a password: never in a repr or a message
    url_env: str | None = None
    schema: str = DEFAULT_SCHEMA
    pool_size: int = DEFAULT_POOL_SIZE

    def connection_url(self) -> str:
        """The URL to connect with (read from ``url_env`` now, when the setting names a variable)."""
        if self.url is not None:
            return self.url
        assert self.url_env is not None
        value = os.environ.get(self.url_env, "").strip()
        if not value:
            raise ConfigError(f"store.url_env names {self.url_env}, which is not set: set it to the PostgreSQL "
                              "URL (postgresql://user@host:5432/database)", field="store.url_env")
        _check_url(value, f"the variable {self.url_env}")
        return value

    def describe(self) -> str:
        """Where the store is, fit for a message or a log (no password)."""
        try:
            parts = urlsplit(self.connection_url())
        except ConfigError:
            return f"PostgreSQL ({self.url_env} unset), schema {self.schema}"
        host = parts.hostname or "localhost"
        try:
            port = f":{parts.port}" if parts.port else ""
        except ValueError:  # a port that is not a number: named as written
            port = ":" + parts.netloc.rpartition(":")[2]
        return f"postgresql://{host}{port}{parts.path} schema {self.schema}"


def _check_url(value: str, where: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in SCHEMES:
        raise ConfigError(f"{where} must be a postgresql:// URL (without store the institution uses its SQLite "
                          "database: state / state_dir)", field="store")
    try:
        parts.port  # noqa: B018  (urllib checks the port only when it is read)
    except ValueError:
        raise ConfigError(f"{where}: the URL's port is not a number from 0 to 65535", field="store") from None


def parse_store(value: Any) -> StoreSetting | None:
    """The ``store`` setting of an institution configuration (None: absent, the embedded SQLite store)."""
    if value is None:
        return None
    if isinstance(value, str):
        _check_url(value, "config: store")
        return StoreSetting(url=value)
    if not isinstance(value, Mapping):
        raise ConfigError("config: store must be a postgresql:// URL or a mapping with url or url_env",
                          field="store")
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise ConfigError(f"config: unknown key store.{unknown[0]}", field=f"store.{unknown[0]}")
    url, env = value.get("url"), value.get("url_env")
    if (url is None) == (env is None):
        raise ConfigError("config: store needs exactly one of url (the PostgreSQL URL) and url_env (the variable "
                          "holding it)", field="store")
    if url is not None:
        if not isinstance(url, str):
            raise ConfigError("config: store.url must be a postgresql:// URL", field="store.url")
        _check_url(url, "config: store.url")
    if env is not None and (not isinstance(env, str) or not env):
        raise ConfigError("config: store.url_env must name an environment variable", field="store.url_env")
    schema = value.get("schema", DEFAULT_SCHEMA)
    if not isinstance(schema, str) or not _SCHEMA.match(schema):
        raise ConfigError("config: store.schema must be a lower-case SQL name (letters, digits and _, not starting "
                          "with a digit, at most 63 characters)", field="store.schema")
    pool = value.get("pool_size", DEFAULT_POOL_SIZE)
    if isinstance(pool, bool) or not isinstance(pool, int) or not 2 <= pool <= 100:
        raise ConfigError("config: store.pool_size must be an integer from 2 to 100", field="store.pool_size")
    return StoreSetting(url=url, url_env=env, schema=schema, pool_size=pool)
