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
from omc_vc.i18n import Message

__all__ = ["DEFAULT_POOL_SIZE", "DEFAULT_SCHEMA", "SCHEMA_PATTERN", "SCHEMES", "StoreSetting", "parse_store"]

DEFAULT_SCHEMA: Final = "omc"
DEFAULT_POOL_SIZE: Final = 4
SCHEMES: Final = ("postgresql", "postgres")
#: A schema name a store accepts: a plain lower-case SQL identifier (never quoted, never a keyword trick); the
#: migrations (pg_migrate.check_schema) read it with the same rule.
SCHEMA_PATTERN: Final = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
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
            raise ConfigError(Message("store.url_env names {variable}, which is not set: set it to the PostgreSQL "
                                      "URL (postgresql://user@host:5432/database)", variable=self.url_env),
                              field="store.url_env")
        _check_url(value, Message("the variable {variable}", variable=self.url_env), "store")
        return value

    def describe(self) -> str:
        """Where the store is, fit for a message or a log (no password)."""
        try:
            parts = urlsplit(self.connection_url())
        except ConfigError:
            return Message("PostgreSQL ({variable} unset), schema {schema}", variable=str(self.url_env),
                           schema=self.schema)
        host = parts.hostname or "localhost"
        try:
            port = f":{parts.port}" if parts.port else ""
        except ValueError:  # a port that is not a number: named as written
            port = ":" + parts.netloc.rpartition(":")[2]
        url = f"postgresql://{host}{port}{parts.path}"
        return Message("{url} schema {schema}", url=url, schema=self.schema)


def _check_url(value: str, where: str, key: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in SCHEMES:
        raise ConfigError(Message("{where} must be a postgresql:// URL (without store the institution uses its SQLite "
                                  "database: state / state_dir)", where=where), field=key)
    try:
        parts.port  # noqa: B018  (urllib checks the port only when it is read)
    except ValueError:
        raise ConfigError(Message("{where}: the URL's port is not a number from 0 to 65535", where=where),
                          field=key) from None


def parse_store(value: Any, *, key: str = "store", labelled: bool = True) -> StoreSetting | None:
    """The ``store`` setting of an institution configuration (None: absent, the embedded SQLite store).

    ``key`` is the setting's name in the errors and their ``field`` (``shares.store`` for the web service's
    shares); ``labelled`` starts each error with ``config:``, as the institution configuration's errors do.
    """
    if value is None:
        return None
    try:
        return _parse_store(value, key)
    except ConfigError as exc:
        if not labelled:
            raise
        raise ConfigError(Message("config: {detail}", detail=exc.detail), code=exc.code, **exc.context) from None


def _parse_store(value: Any, key: str) -> StoreSetting:
    if isinstance(value, str):
        _check_url(value, key, key)
        return StoreSetting(url=value)
    if not isinstance(value, Mapping):
        raise ConfigError(Message("{key} must be a postgresql:// URL or a mapping with url or url_env", key=key),
                          field=key)
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        name = f"{key}.{unknown[0]}"
        raise ConfigError(Message("unknown key {key}", key=name), field=name)
    url, env = value.get("url"), value.get("url_env")
    if (url is None) == (env is None):
        raise ConfigError(Message("{key} needs exactly one of url (the PostgreSQL URL) and url_env (the variable "
                                  "holding it)", key=key), field=key)
    if url is not None:
        if not isinstance(url, str):
            raise ConfigError(Message("{key} must be a postgresql:// URL", key=key + ".url"), field=key + ".url")
        _check_url(url, key + ".url", key)
    if env is not None and (not isinstance(env, str) or not env):
        raise ConfigError(Message("{key} must name an environment variable", key=key + ".url_env"),
                          field=f"{key}.url_env")
    schema = value.get("schema", DEFAULT_SCHEMA)
    if not isinstance(schema, str) or not SCHEMA_PATTERN.match(schema):
        raise ConfigError(Message("{key} must be a lower-case SQL name (letters, digits and _, not starting "
                                  "with a digit, at most 63 characters)", key=key + ".schema"), field=f"{key}.schema")
    pool = value.get("pool_size", DEFAULT_POOL_SIZE)
    if isinstance(pool, bool) or not isinstance(pool, int) or not 2 <= pool <= 100:
        raise ConfigError(Message("{key} must be an integer from {low} to {high}", key=key + ".pool_size", low=2,
                                  high=100), field=f"{key}.pool_size")
    return StoreSetting(url=url, url_env=env, schema=schema, pool_size=pool)
