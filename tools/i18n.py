"""The message catalogs: extract our messages with Babel, update the translations, compile them.

    python tools/i18n.py update    # extract, merge into each .po (new messages empty, gone ones dropped), compile
    python tools/i18n.py compile   # .po -> .mo only
    python tools/i18n.py check     # what tests/unit/test_i18n_catalog.py checks, as a report
    python tools/i18n.py fill F.json [LOCALE]  # translations from a JSON file into the .po, then compile

``make i18n`` runs ``update``. The extraction reads the Python code of ``omc_vc/`` and ``cli/`` (the
keywords below: gettext's own and omc-vc's ``Message``, ``Plural`` and ``Translator.tr``) and the page's
templates (``[[English text]]`` markers). Translators edit the ``.po`` files; the compiled ``.mo`` files
are committed so an install needs no build step (the catalog test fails when they differ).
"""

from __future__ import annotations

import ast
import inspect
import io
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = ROOT / "omc_vc" / "locale"
DOMAIN = "omc_vc"
#: The translated locales (English is the message ids).
LOCALES = ("fr_CA",)
KEYWORDS: dict[str, Any] = {**DEFAULT_KEYWORDS, "Message": None, "Plural": (1, 2), "tr": None}
SOURCES = (ROOT / "omc_vc", ROOT / "cli")
#: The arguments of click's decorators that hold text for a person (click cleans each with inspect.cleandoc).
HELP_ARGUMENTS = ("help", "short_help", "epilog")
#: ``[[English text]]`` in a template: a message, its white space collapsed.
TEMPLATE_MARK = re.compile(r"\[\[(.+?)\]\]", re.S)


def template_messages(text: str) -> Iterator[tuple[int, str]]:
    """(line, message) of each ``[[...]]`` marker of a template, white space collapsed to one space."""
    for found in TEMPLATE_MARK.finditer(text):
        yield text.count("\n", 0, found.start()) + 1, " ".join(found.group(1).split())


def extract_template(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[Any, ...]]:
    """Babel extraction method for the page's templates (``[[...]]`` markers)."""
    for line, message in template_messages(fileobj.read().decode("utf-8")):
        yield line, None, message, []


def click_help_messages(source: str) -> Iterator[tuple[int, str]]:
    """(line, message) of each help text of the click commands in ``source``: every ``help=``, ``short_help=``
    and ``epilog=`` string, and the docstring of each function decorated as a command or group (click's help
    when the decorator gives no ``help=``), each cleaned as click cleans it (``inspect.cleandoc``), since the
    CLI looks the cleaned text up when it shows the help (cli/_lang.py)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg in HELP_ARGUMENTS and isinstance(value, ast.Constant) and isinstance(value.value, str):
                    yield value.lineno, inspect.cleandoc(value.value)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            decorators = [d for d in node.decorator_list if _is_command_decorator(d)]
            given = any(k.arg == "help" for d in decorators if isinstance(d, ast.Call) for k in d.keywords)
            docstring = ast.get_docstring(node, clean=True)
            if decorators and not given and docstring:
                yield node.body[0].lineno, docstring


def _is_command_decorator(node: ast.expr) -> bool:
    """``@click.command(...)``, ``@group.command(...)``, ``@click.group(...)`` (called or not)."""
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
    return name in ("command", "group")


def extract_cli(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[Any, ...]]:
    """Babel extraction method for the CLI's modules: their messages (as for any module) and their help texts."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    for line, message in click_help_messages(source.decode("utf-8")):
        yield line, None, message, []


def _package_folder(path: str) -> bool:
    """The folders extraction reads: every package folder, ``_internal`` included (Babel's default filter skips
    a folder whose name starts with ``_``), but no cache or hidden folder."""
    name = Path(path).name
    return not (name.startswith(".") or name == "__pycache__")


def click_sources() -> Path:
    """The installed click package: its own sentences (usage errors, "Usage:", "Show this message and exit.")
    are shown in the reader's language from our catalog too (cli/_lang.py binds click's gettext to it)."""
    import click

    return Path(click.__file__).resolve().parent


def extract() -> Catalog:
    """Every message of the code and the templates, as a Babel catalog (the ``.pot``)."""
    # a fixed creation date: the .po header does not change when the messages do not
    catalog = Catalog(project="omc-vc", domain=DOMAIN, charset="utf-8", fuzzy=False,
                      creation_date=datetime(2026, 1, 1, tzinfo=UTC))
    methods = [("**.py", "python"), ("**/templates/**.html", "tools.i18n:extract_template")]
    cli_methods = [("**.py", "tools.i18n:extract_cli")]
    click_dir = click_sources()
    for base, method_map, keywords in ((ROOT / "omc_vc", methods, KEYWORDS), (ROOT / "cli", cli_methods, KEYWORDS),
                                       (click_dir, methods, DEFAULT_KEYWORDS)):
        for filename, lineno, message, comments, context in extract_from_dir(
                str(base), method_map=method_map, keywords=keywords, comment_tags=("i18n:",),
                strip_comment_tags=True, directory_filter=_package_folder):
            path = (base / filename).relative_to(ROOT).as_posix() if base != click_dir else f"click/{filename}"
            catalog.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def compiled(catalog: Catalog) -> bytes:
    """The ``.mo`` bytes of ``catalog`` (fuzzy entries left out, as msgfmt does)."""
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update() -> None:
    template = extract()
    for locale in LOCALES:
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read(locale) if path.exists() else Catalog(locale=locale, domain=DOMAIN, fuzzy=False,
                                                             project="omc-vc", creation_date=template.creation_date,
                                                             revision_date=template.creation_date)
        # no fuzzy matching: a changed English sentence must be translated anew, never guessed
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as handle:
            write_po(handle, catalog, width=120, sort_output=True)
    compile_all()


def compile_all() -> None:
    for locale in LOCALES:
        po_path(locale).with_suffix(".mo").write_bytes(compiled(read(locale)))


#: French typography as the catalog writes it: a no-break space before a colon and inside « » (a plain space
#: there lets a line break strand the colon or the guillemet).
FRENCH_SPACES = ((" :", "\u00a0:"), ("« ", "«\u00a0"), (" »", "\u00a0»"))


def french_typography(text: str) -> str:
    """``text`` with :data:`FRENCH_SPACES` applied."""
    for plain, kept in FRENCH_SPACES:
        text = text.replace(plain, kept)
    return text


def fill(path: Path, locale: str = LOCALES[0]) -> list[str]:
    """Take translations from a JSON object (English message id -> translation; a plural message's id is its
    singular, its translation a list of the plural forms; a message in a context is keyed ``context\x04id``)
    into ``locale``'s ``.po`` for the messages it has, then compile. A translator's working file is merged this
    way; returns the ids the catalog does not have."""
    import json

    given: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    catalog = read(locale)
    unknown: list[str] = []
    for key, text in given.items():
        # a message in a context (pgettext) is keyed as gettext keys it: the context, U+0004, the id
        context, _, msgid = key.rpartition("\x04")
        message = catalog.get(msgid, context=context or None)
        if message is None:
            unknown.append(key)
            continue
        if isinstance(message.id, tuple | list):
            # the locale's number of plural forms (fr_CA has three: one, many, other); a shorter list's last
            # form stands for the rest
            forms = [french_typography(t) for t in (text if isinstance(text, list) else [text, text])]
            forms += [forms[-1]] * (catalog.num_plurals - len(forms))
            message.string = tuple(forms[:catalog.num_plurals])
        else:
            message.string = french_typography(text if isinstance(text, str) else text[0])
        message.flags.discard("fuzzy")
    with po_path(locale).open("wb") as handle:
        write_po(handle, catalog, width=120, sort_output=True)
    compile_all()
    return unknown


def problems() -> list[str]:
    """Each message missing, untranslated, fuzzy, stale or with other placeholders, and each stale ``.mo``."""
    found: list[str] = []
    # a message is its id in its context (pgettext): the same English word can be two messages
    wanted = {(m.id, m.context) for m in extract() if m.id}
    for locale in LOCALES:
        catalog = read(locale)
        have = {(m.id, m.context): m for m in catalog if m.id}
        for key in sorted(wanted - have.keys(), key=str):
            found.append(f"{locale}: not in the catalog (run make i18n, then translate): {_named(key)}")
        for key in sorted(have.keys() - wanted, key=str):
            found.append(f"{locale}: stale (no longer in the code): {_named(key)}")
        for key, message in have.items():
            msgid = key[0]
            if message.fuzzy:
                found.append(f"{locale}: fuzzy: {_named(key)}")
            strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
            if not all(strings):
                found.append(f"{locale}: untranslated: {_named(key)}")
                continue
            if locale.startswith("fr") and any(french_typography(text) != text for text in strings):
                found.append(f"{locale}: a plain space where French typography keeps a no-break one (before ':', "
                             f"inside « »): {_named(key)}")
            ids = msgid if isinstance(msgid, tuple) else (msgid,)
            need = set(re.findall(r"\{(\w+)\}", " ".join(ids)))
            # a plural message's forms may each use some of the English forms' placeholders (click's "Did you
            # mean {possibility}?" / "one of: {possibilities}"), but together all of them, and no other
            used = [set(re.findall(r"\{(\w+)\}", text)) for text in strings]
            if any(not forms <= need for forms in used) or set().union(*used) != need \
                    or (len(ids) == 1 and any(forms != need for forms in used)):
                found.append(f"{locale}: placeholders differ from the English: {_named(key)} -> {strings!r}")
        if catalog.obsolete:
            found.append(f"{locale}: obsolete entries kept in the .po: {sorted(catalog.obsolete)}")
        mo = po_path(locale).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(catalog):
            found.append(f"{locale}: {mo.relative_to(ROOT)} is not the compiled .po (run python tools/i18n.py compile)")
    return found


def _named(key: tuple[Any, str | None]) -> str:
    """A message as a report names it: its id, and its context when it has one."""
    msgid, context = key
    return f"{msgid!r}" if context is None else f"{msgid!r} (context {context!r})"


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "fill" and len(argv) > 2:
        for msgid in fill(Path(argv[2]), *argv[3:4]):
            print(f"not in the catalog (run update first, or the code does not have it): {msgid!r}")
    elif command == "check":
        issues = problems()
        for issue in issues:
            print(issue)
        return 1 if issues else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv))
