"""Shared CLI plumbing: error handling and exit codes, passphrases, reading input, JSON output.

Exit codes (README "Exit codes"):
  0  success (for ``verify``: verified)
  1  verification failed, or an operation was refused by policy
  2  usage error, or input that cannot be read (bad JSON, missing file, wrong passphrase, ...)
  3  unexpected internal error (a bug: please report it)

What a person reads (DESIGN decision 16): every human line that can carry text from a document (a name, a
check's detail, a reason) is printed through :func:`say`, and every ``error: CODE: detail`` line through
:func:`fail`; both make the line inert (omc_vc._internal.inert: no control character, escape sequence or
bidirectional formatting character reaches the terminal, and a string cannot start a line of its own).
``--json`` output is data and is left as it is (``json.dumps`` escapes the control characters).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from omc_vc._internal.inert import inert
from omc_vc.errors import KeyError_, OmcVcError, PolicyError
from omc_vc.i18n import N_, Message, translatable
from omc_vc.keys import KeyPair, load_key

from ._lang import OmcSubGroup, invocation_language, words

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
#: stopped by Ctrl-C (128 + SIGINT, as shells report it)
EXIT_INTERRUPTED = 130
MAX_INPUT_BYTES = 1_000_000
#: The bound of one printed line (each document string in it is bounded on its own first, where it matters).
MAX_LINE = 2000

F = TypeVar("F", bound=Callable[..., Any])


def say(line: str, *, err: bool = False) -> None:
    """Print one line for a person, made inert: text from a document cannot act on the terminal or add a line.
    The line's leading spaces are ours (indentation) and kept."""
    body = line.lstrip(" ")
    click.echo(line[: len(line) - len(body)] + inert(body, limit=MAX_LINE), err=err)


#: ``CODE: detail``: a message that already names its error code.
_CODED = re.compile(r"[A-Z][A-Z0-9_]*[A-Z0-9]: ")


def fail(message: str, code: int = EXIT_USAGE, *, kind: str | None = None) -> NoReturn:
    """Print the one error line, ``error: CODE: detail``, and exit with ``code``. A message without its own
    code gets ``kind``, else USAGE_ERROR (exit 2) or REFUSED (exit 1)."""
    if _CODED.match(message) is None:
        message = f"{kind or ('REFUSED' if code == EXIT_FAILED else 'USAGE_ERROR')}: {message}"
    say(f"error: {message}", err=True)
    sys.exit(code)


def _usage_failure(exc: click.ClickException) -> NoReturn:
    """Click's own errors (an unknown option, a bad value, a missing argument) in our one error form. A group
    named without a command shows its help (exit 0): that is a request for help, not a mistake."""
    no_args = getattr(click.exceptions, "NoArgsIsHelpError", None)
    if no_args is not None and isinstance(exc, no_args) and exc.ctx is not None:
        click.echo(exc.ctx.get_help())
        sys.exit(EXIT_OK)
    if isinstance(exc, click.UsageError):
        # click's own sentence (in the reader's language: cli/_lang.py) and our pointer to the help
        where = " " + words().tr("(see '{command} --help')", command=exc.ctx.command_path) \
            if exc.ctx is not None else ""
        fail(f"USAGE_ERROR: {exc.format_message()}{where}", EXIT_USAGE)
    fail(f"USAGE_ERROR: {exc.format_message()}", exc.exit_code if exc.exit_code not in (0, None) else EXIT_USAGE)


class OmcGroup(OmcSubGroup):
    """The ``omc`` command group: usage errors from any command in ``error: USAGE_ERROR: ...`` form (exit 2),
    an interrupted prompt as ``error: INTERRUPTED`` (exit 130), never click's multi-line "Error:" text; every
    word, click's included, in the reader's language."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with invocation_language():
            return super().main(*args, **kwargs)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as exc:
            _usage_failure(exc)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            _usage_failure(exc)
        except click.exceptions.Abort:
            fail("INTERRUPTED: " + words().gettext(STOPPED), EXIT_INTERRUPTED)


def handle_errors(func: F) -> F:
    """Turn every error into one line on stderr and an exit code; never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OmcVcError as exc:
            fail(diagnostics(exc), EXIT_FAILED if isinstance(exc, PolicyError) else EXIT_USAGE)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            fail("INTERRUPTED: " + words().gettext(STOPPED), EXIT_INTERRUPTED)
        except OSError as exc:
            # the system's own words for the failure (strerror) are kept as the system gave them
            fail(f"FILE_ERROR: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), EXIT_USAGE)
        except Exception as exc:
            if os.environ.get("OMC_DEBUG"):
                raise
            fail("INTERNAL_ERROR: " + words().tr("{kind}; set OMC_DEBUG=1 for details and please report it",
                                                  kind=type(exc).__name__), EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


#: The detail of ``error: INTERRUPTED``.
STOPPED = N_("stopped before finishing")


def diagnostics(exc: OmcVcError) -> str:
    """``CODE: detail``, the detail in the reader's language when it is one of our messages (a detail made of a
    document's or the system's text is shown as it is); the code is the same in every language."""
    if translatable(exc.detail):
        return f"{exc.code}: {words().render(exc.detail)}"
    return exc.diagnostics()


def read_input(path: str) -> bytes:
    """Read a file or ``-`` (stdin), with a size cap."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        target = Path(path)
        if not target.is_file():
            fail("INPUT_NOT_FOUND: " + words().tr("cannot read {path}: no such file", path=path))
        if target.stat().st_size > MAX_INPUT_BYTES:
            fail("INPUT_TOO_LARGE: " + words().tr("{path} is larger than {limit} bytes", path=path,
                                                   limit=_bytes(MAX_INPUT_BYTES)))
        data = target.read_bytes()
    if len(data) > MAX_INPUT_BYTES:
        fail("INPUT_TOO_LARGE: " + words().tr("input is larger than {limit} bytes", limit=_bytes(MAX_INPUT_BYTES)))
    return data


def _bytes(count: int) -> str:
    """A size in bytes as the reader writes numbers: digits alone in English (as the CLI has always written it),
    the locale's grouping otherwise (``1 000 000``)."""
    t = words()
    return str(count) if t.language == "en" else t.number(count)


def passphrase_options(func: F) -> F:
    func = click.option("--insecure-plaintext", is_flag=True,
                        help="INSECURE: store/read the key without encryption (demos and tests only).")(func)
    func = click.option("--passphrase-env", metavar="VAR",
                        help="Read the key passphrase from environment variable VAR (otherwise prompt).")(func)
    return func


#: The passphrase prompt of each secret (``what``), and the hint after "use --passphrase-env VAR".
PROMPTS = {"Key": N_("Key passphrase"), "Wallet": N_("Wallet passphrase")}
KEY_HINT = N_(" (or --insecure-plaintext for demos and tests)")
TERMINAL_HINT = N_(" or run in a terminal")


#: The answers a yes/no question takes, in every language (a French reader's o/oui, and y/yes wherever typed).
YES = frozenset({"y", "yes", "o", "oui"})
NO = frozenset({"n", "no", "non"})


def confirm(question: str, *, default: bool = False) -> bool:
    """Ask a yes/no question on stderr in the reader's words (``[y/N]``, ``[o/N]`` in French); an empty answer
    is ``default``, anything else is asked again. Ctrl-C or the end of input stops (click's Abort)."""
    t = words()
    choices = t.gettext("Y/n") if default else t.gettext("y/N")
    while True:
        answer = str(click.prompt(f"{question} [{choices}]", default="", show_default=False, err=True,
                                  prompt_suffix=" ")).strip().lower()
        if not answer:
            return default
        if answer in YES:
            return True
        if answer in NO:
            return False
        click.echo(t.gettext("Please answer yes or no."), err=True)


def get_passphrase(passphrase_env: str | None, *, confirm: bool = False, what: str = "Key",
                   hint: str = KEY_HINT) -> str:
    """The passphrase from ``$passphrase_env``, else a prompt on a terminal; never from arguments."""
    t = words()
    if passphrase_env:
        value = os.environ.get(passphrase_env)
        if not value:
            fail("PASSPHRASE_MISSING: " + t.tr("environment variable {name} is not set or empty",
                                               name=passphrase_env))
        return value
    if not sys.stdin.isatty():
        # the hint is ours and continues the sentence (its leading space is kept)
        fail("PASSPHRASE_MISSING: " + t.gettext("no passphrase: use --passphrase-env VAR") + t.gettext(hint))
    prompt = t.gettext(PROMPTS[what]) if what in PROMPTS else t.tr("{what} passphrase", what=what)
    # click's own second prompt, in the reader's words
    again: bool | str = t.gettext("Repeat for confirmation") if confirm else False
    value = click.prompt(prompt, hide_input=True, confirmation_prompt=again)
    return str(value)


def new_key_passphrase(passphrase_env: str | None, insecure_plaintext: bool) -> str | None:
    if insecure_plaintext:
        click.echo(words().gettext("WARNING: writing an UNENCRYPTED private key (--insecure-plaintext). Demos and "
                                   "tests only."), err=True)
        return None
    return get_passphrase(passphrase_env, confirm=True)


def open_key(path: str, passphrase_env: str | None) -> KeyPair:
    """Load a key file, asking for the passphrase only when the file is encrypted."""
    try:
        pair = load_key(path, None)
    except KeyError_ as exc:
        if exc.code != "KEY_PASSPHRASE_REQUIRED":
            raise
        return load_key(path, get_passphrase(passphrase_env))
    say(words().gettext("WARNING: {path} is an UNENCRYPTED key file (demo/test key).").format(path=path), err=True)
    return pair


#: The environment variables of the default registry (README "A default registry").
REGISTRY_ENV = "OMC_REGISTRY"
ANCHORS_ENV = "OMC_ANCHORS"
#: The user config file's name in the platform's user-config folder (platformdirs) + ``omc-vc``.
CONFIG_FILE_NAME = "config.yaml"
MAX_CONFIG_BYTES = 64 * 1024


def user_config_path() -> Path:
    """The user config file: ``<user config dir>/omc-vc/config.yaml`` (``$XDG_CONFIG_HOME`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("omc-vc")) / CONFIG_FILE_NAME


def _from_config_file(path: Path) -> dict[str, str]:
    """The ``registry:`` and ``anchors:`` of the user config file (none if there is no file). A relative path
    is read from the file's folder; a URL is kept as it is."""
    from omc_vc._internal.configfile import read_config_file
    from omc_vc.errors import ConfigError

    if not path.is_file():
        return {}
    raw = read_config_file(path, what="user config file", max_bytes=MAX_CONFIG_BYTES)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(Message("user config file {path} must be a mapping with registry: and anchors:",
                                  path=str(path)))
    unknown = sorted(str(k) for k in raw if k not in ("registry", "anchors"))
    if unknown:
        raise ConfigError(Message("user config file {path}: unknown key(s) {keys} (expected registry, anchors)",
                                  path=str(path), keys=", ".join(unknown)))
    found: dict[str, str] = {}
    for key in ("registry", "anchors"):
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(Message("user config file {path}: {key} must be a URL or a file path", path=str(path),
                                      key=key))
        value = value.strip()
        if key == "anchors" and "://" in value:
            raise ConfigError(Message("user config file {path}: anchors must be a file path (trust anchors are never "
                                      "fetched)", path=str(path)))
        if "://" not in value and not Path(value).expanduser().is_absolute():
            value = str(path.parent / value)
        found[key] = str(Path(value).expanduser()) if "://" not in value else value
    return found


def default_registry(registry: str | None, anchors: str | None, *,
                     demo: bool = False) -> tuple[str | None, str | None]:
    """The registry and anchors to use: a flag, else ``$OMC_REGISTRY`` / ``$OMC_ANCHORS``, else the user config
    file's ``registry:`` / ``anchors:``, else none (plain mode: no OMC verdict). Each of the two is taken
    in that order on its own. With ``--demo`` the anchors are the demo anchor unless ``--anchors`` names
    one: a configured (real) anchor would refuse every demo registry."""
    file_values: dict[str, str] | None = None

    def pick(flag: str | None, env: str, key: str) -> str | None:
        nonlocal file_values
        if flag:
            return flag
        if os.environ.get(env, "").strip():
            return os.environ[env].strip()
        if file_values is None:
            file_values = _from_config_file(user_config_path())
        return file_values.get(key)

    chosen = pick(registry, REGISTRY_ENV, "registry")
    if chosen is None:
        return None, anchors
    return chosen, anchors if (anchors or demo) else pick(None, ANCHORS_ENV, "anchors")


class AliasedOption(click.Option):
    """An option whose first name is the one the CLI uses everywhere; its other names are old spellings still
    accepted (so scripts keep working) and never shown in ``--help``."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        names, text = record
        # click writes "--a, --b METAVAR" (a flag has no metavar)
        metavar = "" if self.is_flag or self.count else names.rsplit(" ", 1)[-1]
        return (f"{self.opts[0]} {metavar}".strip(), text)


#: The one name of each concept on the command line (README "One vocabulary"): the public verifier service
#: (QR codes, certificates, shares, offers, the service's own address) and its environment variable.
VERIFIER_URL_OPTION = "--verifier-url"
VERIFIER_URL_ENV = "OMC_VERIFIER_URL"


def plain_value(value: Any) -> str:
    """A value as a person reads it, never a Python repr: a list as comma-separated items, a mapping as compact
    JSON, a flag as yes/no, nothing as "none"."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain_value(item) for item in value) or "none"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


_FORCE_KEY = "omc_force_overwrite"


def _remember_force(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta[_FORCE_KEY] = bool(value)
    return value


def _refuse_existing_out(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """An --out that names an existing file is refused before the command does anything, unless --force
    (parsed first: it is eager)."""
    if value and value != "-" and Path(value).exists() and not ctx.meta.get(_FORCE_KEY):
        fail("FILE_EXISTS: " + words().tr("{path} exists already; nothing was written (--force replaces it)",
                                          path=value), EXIT_USAGE)
    return value


#: ``--force``'s help, by the option whose file it lets a command replace.
_FORCE_HELP = {"--out": N_("Replace the --out file if it exists."),
               "--export": N_("Replace the --export file if it exists.")}


def output_option(help_text: str, *, required: bool = False, name: str = "--out",
                  dest: str | None = None) -> Callable[[F], F]:
    """``--out FILE`` (or ``name``) that never replaces an existing file, and the ``--force`` that lets it."""

    def decorate(func: F) -> F:
        func = click.option("--force", is_flag=True, is_eager=True, expose_value=False, callback=_remember_force,
                            help=_FORCE_HELP[name])(func)
        names = (name, dest) if dest else (name,)
        return click.option(*names, required=required, type=click.Path(dir_okay=False), metavar="FILE",
                            callback=_refuse_existing_out, help=help_text)(func)

    return decorate


def write_output(text: str, out: str | None) -> None:
    from omc_vc._internal import atomic

    if out:
        atomic.write_text(out, text if text.endswith("\n") else text + "\n")
    else:
        click.echo(text)
