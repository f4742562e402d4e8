"""The language of the CLI's words: ``omc --lang fr``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``).

Only the words change: error codes, exit codes, ``--json`` output and option names are the same in every
language, so a script reads the same answer whatever the reader's locale.

Three kinds of words, one catalog (``omc_vc/locale``, DESIGN decision 16):

* our sentences: :func:`words` (a :class:`~omc_vc.i18n.Translator`);
* each command's and option's help: :class:`OmcCommand` and :class:`OmcSubGroup` look the English help up in
  the catalog when ``--help`` shows it (``tools/i18n.py`` extracts the help texts, cleaned as click cleans
  them, into the catalog);
* click's own sentences ("Usage:", "No such option"): click calls the standard library's gettext, so for the
  length of an invocation :func:`invocation_language` points gettext's text domain at our catalog and sets
  GNU gettext's ``LANGUAGE`` to the reader's language (both are put back afterwards).
"""

from __future__ import annotations

import gettext
import inspect
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

import click

from omc_vc.i18n import (
    DEFAULT_LANGUAGE,
    DOMAIN,
    LANGUAGES,
    N_,
    Translator,
    from_environment,
    language_of_tag,
    translator,
)

#: Where the root command keeps ``--lang`` (click's per-invocation metadata).
META_KEY = "omc.lang"
#: click's help of ``-h/--help`` (click makes that option once per command, in the language of that moment).
HELP_OPTION = "Show this message and exit."
#: click's "[required]" after an option's help: click translates it through a variable, which extraction cannot
#: see, so the word is marked here.
REQUIRED = N_("required")


def set_language(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """The root group's ``--lang`` callback: a supported language or a usage error."""
    if value is not None and language_of_tag(value) is None:
        raise click.BadParameter(words().tr("{value}: the CLI speaks en and fr", value=repr(value)))
    chosen = language_of_tag(value) if value is not None else None
    ctx.meta[META_KEY] = chosen
    if chosen is not None:
        _speak(chosen)
    return value


def words() -> Translator:
    """The reader's words: ``--lang`` when given, else the process's locale."""
    context = click.get_current_context(silent=True)
    chosen = context.meta.get(META_KEY) if context is not None else None
    return translator(chosen or from_environment(os.environ))


@contextmanager
def invocation_language() -> Iterator[None]:
    """click's own sentences in the reader's language (the locale's, until ``--lang`` says otherwise) for the
    length of one invocation; the process's gettext domain and ``LANGUAGE`` are restored afterwards."""
    saved_language = os.environ.get("LANGUAGE")
    saved_domain = gettext.textdomain()
    gettext.bindtextdomain(DOMAIN, str(resources.files("omc_vc") / "locale"))
    gettext.textdomain(DOMAIN)
    _speak(from_environment(os.environ))
    try:
        yield
    finally:
        gettext.textdomain(saved_domain)
        if saved_language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = saved_language


def _speak(language: str) -> None:
    """Point gettext's language list (GNU ``LANGUAGE``, read on each lookup) at ``language``; English is the
    message ids themselves, so it names no catalog."""
    os.environ["LANGUAGE"] = DEFAULT_LANGUAGE if language == DEFAULT_LANGUAGE else LANGUAGES[language][0]


@contextmanager
def _help_in_words(command: click.Command, ctx: click.Context) -> Iterator[None]:
    """For the time a help page is written: the command's help, its options' and arguments' help and (for a
    group) its commands' one-line help, each replaced by its translation; put back afterwards."""
    t = words()
    saved: list[tuple[Any, str, Any]] = []

    def swap(owner: Any, attribute: str, text: str) -> None:
        saved.append((owner, attribute, getattr(owner, attribute)))
        setattr(owner, attribute, text)

    def translate(owner: Any, attributes: tuple[str, ...]) -> None:
        for attribute in attributes:
            text = getattr(owner, attribute, None)
            if isinstance(text, str) and text:
                swap(owner, attribute, t.gettext(inspect.cleandoc(text)))

    translate(command, ("help", "short_help", "epilog"))
    help_option = command.get_help_option(ctx)
    for param in command.get_params(ctx):
        if param is help_option:
            swap(param, "help", t.gettext(HELP_OPTION))
        else:
            translate(param, ("help",))
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                translate(sub, ("help", "short_help"))
    try:
        yield
    finally:
        for owner, attribute, value in reversed(saved):
            setattr(owner, attribute, value)


class HelpFormatter(click.HelpFormatter):
    """click's help formatter, with a section heading ("Options:") punctuated as the reader's language does."""

    def write_heading(self, heading: str) -> None:
        line = words().tr("{heading}:", heading=heading)
        self.write(f"{'':>{self.current_indent}}{line}\n")


class HelpContext(click.Context):
    """A command's context, whose help is written by :class:`HelpFormatter`."""

    formatter_class = HelpFormatter


class OmcCommand(click.Command):
    """A command whose ``--help`` is in the reader's language."""

    context_class = HelpContext

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _help_in_words(self, ctx):
            super().format_help(ctx, formatter)


class OmcSubGroup(click.Group):
    """A command group whose ``--help`` is in the reader's language; its commands and groups are made the same
    way (``@group.command()`` makes an :class:`OmcCommand`, ``@group.group()`` another group of this class)."""

    context_class = HelpContext
    command_class = OmcCommand
    group_class = type

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _help_in_words(self, ctx):
            super().format_help(ctx, formatter)
