"""``omc store migrate``: create or upgrade an institution's issuance store (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import click

from omc_vc.issue.config import InstitutionConfig, load_config
from omc_vc.issue.stores import Migrated, migrate_store
from omc_vc.web.config import load_config as load_service_config

from ._common import emit_json, handle_errors, say
from ._lang import OmcSubGroup, words


@click.group("store", cls=OmcSubGroup)
def store_group() -> None:
    """The institution's issuance store: SQLite by default, PostgreSQL when the institution.yaml says
    store: postgresql://... (shared by several omc serve processes and institutions).

    \b
    Example:
      omc store migrate --config institution.yaml
    """


@store_group.command("migrate")
@click.option("--config", "config_files", multiple=True, type=click.Path(dir_okay=False),
              help="An institution configuration (repeatable).")
@click.option("--serve-config", type=click.Path(dir_okay=False, path_type=Path),
              help="omc serve's configuration: every institution it names.")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@handle_errors
def migrate_cmd(config_files: tuple[str, ...], serve_config: Path | None, as_json: bool) -> None:
    """Create the institution's store, or upgrade it to this release's schema (versioned migrations, applied
    in order in one transaction; running it again changes nothing). A PostgreSQL issuance store refuses to work
    until this has been run after an upgrade. The embedded SQLite store is created and upgraded when opened, and
    so are the hosted shares omc serve keeps in PostgreSQL (shares.store), when the service starts.

    \b
    Example:
      OMC_STORE_URL=postgresql://omc@db.internal/omc omc store migrate --config college-a.yaml
      omc store migrate --serve-config serve.yaml --json
    """
    configs: list[InstitutionConfig] = [load_config(name) for name in config_files]
    if serve_config is not None:
        configs.extend(load_service_config(serve_config).all_institutions().values())
    if not configs:
        raise click.UsageError(words().gettext("give --config (an institution.yaml) or --serve-config"))
    done: list[Migrated] = [migrate_store(config) for config in configs]
    if as_json:
        emit_json({"stores": [m.to_json() for m in done]})
        return
    t = words()
    for migrated in done:  # the store's kind and the migrations' names are codes, the same in every language
        what = t.gettext("applied {names}").format(names=", ".join(migrated.applied)) if migrated.applied else \
            t.gettext("nothing to apply")
        say(t.gettext("{kind} {where}: {what}; schema version {version}").format(
            kind=migrated.kind, where=migrated.where, what=what, version=migrated.version))
