"""The language of the CLI's words: ``omc --lang fr``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``).

Only the words change: error codes, exit codes, ``--json`` output and option names are the same in every
language, so a script reads the same answer whatever the reader's locale.
"""

from __future__ import annotations

import os

import click

from omc_vc.i18n import Translator, from_environment, language_of_tag, translator

#: Where the root command keeps ``--lang`` (click's per-invocation metadata).
META_KEY = "omc.lang"


def set_language(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """The root group's ``--lang`` callback: a supported language or a usage error."""
    if value is not None and language_of_tag(value) is None:
        raise click.BadParameter(f"{value!r}: the CLI speaks en and fr")
    ctx.meta[META_KEY] = language_of_tag(value) if value is not None else None
    return value


def words() -> Translator:
    """The reader's words: ``--lang`` when given, else the process's locale."""
    context = click.get_current_context(silent=True)
    chosen = context.meta.get(META_KEY) if context is not None else None
    return translator(chosen or from_environment(os.environ))
