"""Every error detail of ours is a message a French reader can read in French.

An ``OmcVcError`` raised with a plain English string (``raise InputError("cannot read ...")``) reaches the CLI's
``error: CODE: detail`` line and a verdict's check detail in English whatever the reader's language, and the
catalog test cannot see it (there is no message to extract). This test reads the package and the CLI with
:mod:`ast` and fails on each such call, naming the file and line; and on each ``Message(f"...")``, which gettext
cannot look up (its text changes with its values).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "omc_vc").rglob("*.py"), *(ROOT / "cli").glob("*.py")])
#: Where the error classes are defined (it sits below the messages' layer, so its own texts are its own).
ERRORS = ROOT / "omc_vc" / "errors.py"
#: Helpers that make an error from a code and a detail (in either order): a literal argument with a space in
#: it is a sentence, not a code (``invalid_grant``, ``REGISTRY_EXPIRED``).
CODE_AND_DETAIL = {"_err", "_refuse"}


def _trees(sources: list[Path]) -> Iterator[tuple[Path, ast.Module]]:
    for path in sources:
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _error_classes(sources: list[Path]) -> set[str]:
    """The names of OmcVcError and every class that derives from it, anywhere in ``sources``."""
    bases: dict[str, set[str]] = {}
    for _path, tree in _trees(sources):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
                    for b in node.bases)
    found = {"OmcVcError"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def _literal(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _sentence(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or " " in str(getattr(node, "value", ""))


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _untranslatable_details(sources: list[Path]) -> list[str]:
    classes = _error_classes(sources)
    found = []
    for path, tree in _trees(sources):
        if path == ERRORS:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node)
            where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{node.lineno}"
            if name in classes and node.args and _literal(node.args[0]):
                found.append(f"{where}: {name}(...) with an English string: use Message(...)")
            elif name in CODE_AND_DETAIL and any(_literal(a) and _sentence(a) for a in node.args):
                found.append(f"{where}: {name}(...) with an English sentence: use Message(...)")
            elif name in ("Message", "Plural") and node.args and isinstance(node.args[0], ast.JoinedStr):
                found.append(f"{where}: {name}(f\"...\"): the message id must be a constant")
    return found


def test_every_error_detail_of_ours_is_a_message() -> None:
    problems = _untranslatable_details(SOURCES)
    assert not problems, "\n".join(problems)


def test_the_guard_finds_an_english_detail_and_an_f_string_message(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('from omc_vc.errors import InputError\nfrom omc_vc.i18n import Message\n'
                      'def f(x):\n    raise InputError(f"bad {x}")\n'
                      'def g(x):\n    raise InputError(Message(f"bad {x}"))\n'
                      'def h(x):\n    raise _err("CODE", "plain words")\n', encoding="utf-8")
    problems = _untranslatable_details([*SOURCES, sample])
    assert any("sample.py:4: InputError(...) with an English string" in p for p in problems)
    assert any("sample.py:6: Message(f\"...\")" in p for p in problems)
    assert any("sample.py:8: _err(...) with an English sentence" in p for p in problems)
