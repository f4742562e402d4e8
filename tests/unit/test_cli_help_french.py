"""``--help`` and click's own sentences in the reader's language (cli/_lang.py).

Every command's help, every option's help, the group listings and click's own words ("Usage:", "Options:",
"No such option") are looked up in the French catalog when the locale or ``--lang`` asks for French. The walk
over the live command tree below reads what ``--help`` would show, so a help text click builds at run time
(one no extraction can see) is checked too.
"""

from __future__ import annotations

import gettext
import inspect
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from omc_vc.cli._lang import HELP_OPTION, REQUIRED, OmcCommand, OmcSubGroup
from omc_vc.cli.main import cli

from omc_vc.i18n import translator

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tools import i18n as tool  # noqa: E402

FRENCH = {"LANG": "fr_CA.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}
ENGLISH = {"LANG": "C", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}


def _run(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, args, env=env, prog_name="omc")


def _commands(command: click.Command = cli, path: str = "omc") -> Iterator[tuple[str, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, f"{path} {name}")


def _help_texts() -> Iterator[tuple[str, str]]:
    """(where, text) of every help text ``--help`` can show, cleaned as click cleans it."""
    for path, command in _commands():
        for attribute in ("help", "short_help", "epilog"):
            text = getattr(command, attribute)
            if text:
                yield f"{path} ({attribute})", inspect.cleandoc(text)
        for param in command.params:
            text = getattr(param, "help", None)
            if text:
                yield f"{path} {param.name}", inspect.cleandoc(text)


def test_every_command_shows_its_help_in_the_readers_language() -> None:
    """A command made with plain ``@click.command`` would show English help to a French reader."""
    plain = [path for path, command in _commands() if not isinstance(command, OmcCommand | OmcSubGroup)]
    assert not plain, f"commands whose --help is not translated: {plain}"


def test_every_help_text_has_a_french_translation() -> None:
    """The French --help of every command, option and group listing is French: an untranslated or dynamic help
    text (a docstring built at run time, a help= from a variable) fails here."""
    catalog = {m.id: m for m in tool.read("fr_CA") if m.id}
    texts = [*_help_texts(), ("click's --help option", HELP_OPTION), ("click's [required]", REQUIRED)]
    assert len(texts) > 300
    missing = [where for where, text in texts if text not in catalog or not catalog[text].string]
    assert not missing, f"help texts with no French translation: {missing}"


def test_verify_help_in_french_under_a_french_locale() -> None:
    """A francophone reader's ``omc verify --help``: click's headings, the command's help and its options."""
    result = _run(["verify", "--help"], FRENCH)
    assert result.exit_code == 0
    fr = translator("fr")
    first_line = fr.gettext(inspect.cleandoc(cli.commands["verify"].help or "")).splitlines()[0]
    assert result.output.startswith("Utilisation\u00a0: omc verify [OPTIONS] FILE")
    assert first_line.split()[0] in result.output and "Verify a credential" not in result.output
    assert "Options\u00a0:" in result.output and "Affiche ce message et quitte." in result.output
    registry_help = next(p.help for p in cli.commands["verify"].params if p.name == "registry")
    assert fr.gettext(inspect.cleandoc(registry_help or ""))[:25] in result.output.replace("\n", " ").replace(
        "  ", " ")


def test_the_group_listing_is_in_french() -> None:
    result = _run(["--help"], FRENCH)
    assert result.exit_code == 0
    assert "Commandes\u00a0:" in result.output
    assert "Vérifie" in result.output and "Show this message and exit." not in result.output


@pytest.mark.parametrize(("env", "flag", "expected", "unexpected"), [
    (FRENCH, "en", "Show this message and exit.", "Affiche ce message"),
    (ENGLISH, "fr", "Affiche ce message et quitte.", "Show this message"),
])
def test_lang_overrides_the_locale_for_the_help(env: dict[str, str], flag: str, expected: str,
                                                unexpected: str) -> None:
    result = _run(["--lang", flag, "verify", "--help"], env)
    assert result.exit_code == 0
    assert expected in result.output and unexpected not in result.output


def test_english_help_is_unchanged() -> None:
    result = _run(["verify", "--help"], ENGLISH)
    assert result.output.startswith("Usage: omc verify [OPTIONS] FILE")
    assert "Options:" in result.output and "Show this message and exit." in result.output


def test_clicks_usage_errors_are_in_french_with_the_same_code() -> None:
    """click's own sentence ("No such option") in French; the code a script matches and the exit code stay."""
    result = _run(["verify", "--nope"], FRENCH)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: USAGE_ERROR: Option inconnue")
    english = _run(["verify", "--nope"], ENGLISH)
    assert english.exit_code == 2 and english.stderr.startswith("error: USAGE_ERROR: No such option")


def test_a_required_option_says_so_in_french() -> None:
    result = _run(["issue", "--help"], FRENCH)
    assert "[obligatoire]" in result.output and "[required]" not in result.output


def test_an_invocation_puts_the_process_language_back() -> None:
    """The CLI points gettext at its catalog for one invocation only: a library in the same process (a test
    runner, a service) keeps its own domain and ``LANGUAGE`` afterwards."""
    before_domain, before_language = gettext.textdomain(), os.environ.get("LANGUAGE")
    _run(["--lang", "fr", "verify", "--nope"], FRENCH)
    _run(["verify", "--help"], FRENCH)
    assert gettext.textdomain() == before_domain
    assert os.environ.get("LANGUAGE") == before_language
