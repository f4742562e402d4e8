"""The message catalogs are complete and current, and the reader's language is chosen as the standards say.

The catalog test fails on any message of the code or the templates that the French catalog lacks, leaves
untranslated or marks fuzzy, on any entry the code no longer uses (stale), on a translation whose
``{placeholders}`` differ from the English (it would raise or drop a value when shown), and on a committed
``.mo`` that is not the compiled ``.po`` (tools/i18n.py; ``make i18n`` updates both).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from omc_vc._internal.inert import inert
from omc_vc.i18n import Message, Plural, from_environment, negotiate, translator

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tools import i18n as tool  # noqa: E402


def test_every_message_is_in_the_french_catalog_translated_and_current() -> None:
    problems = tool.problems()
    assert not problems, "\n".join(problems)


def test_the_catalog_test_catches_a_new_untranslated_message(monkeypatch: pytest.MonkeyPatch) -> None:
    real = tool.extract

    def with_one_more() -> Any:
        catalog = real()
        catalog.add("A sentence nobody translated", None, [("omc_vc/x.py", 1)])
        return catalog

    monkeypatch.setattr(tool, "extract", with_one_more)
    assert any("A sentence nobody translated" in p and "not in the catalog" in p for p in tool.problems())


def test_the_catalog_test_catches_a_stale_a_fuzzy_and_a_wrong_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    real = tool.read

    def broken(locale: str) -> Any:
        catalog = real(locale)
        catalog.add("A sentence the code no longer has", "Une phrase disparue")
        message = catalog["Evidence of {learner}'s summative assessment"]
        message.string = "Preuve de l’évaluation sommative de {apprenant}"
        catalog["yes"].flags.add("fuzzy")
        return catalog

    monkeypatch.setattr(tool, "read", broken)
    found = "\n".join(tool.problems())
    assert "stale (no longer in the code): 'A sentence the code no longer has'" in found
    assert "placeholders differ" in found and "{apprenant}" in found
    assert "fuzzy: 'yes'" in found
    assert "is not the compiled .po" in found


def test_the_template_markers_are_extracted_with_their_white_space_collapsed() -> None:
    text = "<p>[[Check an\n    Ontario Micro-Credential]]</p>\n<b>[[Go]]</b>"
    assert list(tool.template_messages(text)) == [(1, "Check an Ontario Micro-Credential"), (3, "Go")]


def test_a_message_is_english_text_that_renders_in_french_with_inert_parameters() -> None:
    reason = Message("{name} held the ministry's consent on {day}", name="Coll\u202eège", day=date(2026, 6, 12))
    assert str(reason) == "Coll\u202eège held the ministry's consent on 2026-06-12"
    french = translator("fr").render(Message("Evidence of {learner}'s summative assessment", learner="Ana\x1b[2J"))
    # a document's string is shown inert: no escape sequence reaches the reader
    assert french == "Preuve de l’évaluation sommative de " + inert("Ana\x1b[2J") and "\x1b" not in french
    assert translator("en").render(reason) == "Collège held the ministry's consent on 2026-06-12"
    plural = Plural("{n} valid credential", "{n} valid credentials", "n", n=1)
    assert str(plural) == "1 valid credential"


def test_french_dates_and_numbers_follow_cldr_fr_ca() -> None:
    fr = translator("fr-CA")
    assert fr.tag == "fr-CA" and fr.locale == "fr_CA"
    assert fr.date(date(2026, 6, 12)) == "12 juin 2026"
    assert fr.number(1234.5) == "1\u00a0234,5"
    assert translator("en").date(date(2026, 6, 12)) == "2026-06-12"


@pytest.mark.parametrize(("header", "language"), [
    ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
    ("en-US,en;q=0.9,fr;q=0.8", "en"),
    ("de-DE, fr;q=0.3", "fr"),
    ("fr;q=0, en;q=0.1", "en"),
    ("de", "en"),
    ("", "en"),
    ("*", "en"),
    ("fr-CA;q=abc, en", "en"),          # a malformed range is skipped
    ("x" * 5000 + ",fr", "en"),         # a header past the bound is not read past it
    (",".join(["de"] * 100) + ",fr", "en"),  # neither are ranges past the 32nd
])
def test_accept_language_negotiation(header: str, language: str) -> None:
    assert negotiate(header) == language


@pytest.mark.parametrize(("environ", "language"), [
    ({"LANG": "fr_CA.UTF-8"}, "fr"),
    ({"LANG": "en_CA.UTF-8", "LC_MESSAGES": "fr_CA.UTF-8"}, "fr"),
    ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "fr_CA.UTF-8"}, "en"),
    ({"LC_ALL": "C", "LANGUAGE": "fr"}, "en"),       # GNU gettext ignores LANGUAGE in the C locale
    ({"LANG": "de_DE.UTF-8", "LANGUAGE": "de:fr"}, "fr"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({}, "en"),
])
def test_the_process_locale(environ: dict[str, str], language: str) -> None:
    assert from_environment(environ) == language


def test_the_catalog_test_tells_a_word_in_context_from_the_same_word_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # "revoked" said of a credential (context) and of a consent: translating one must not hide the other
    real = tool.read

    def one_left_empty(locale: str) -> Any:
        catalog = real(locale)
        catalog.get("revoked", context="credential state").string = ""
        return catalog

    monkeypatch.setattr(tool, "read", one_left_empty)
    found = tool.problems()
    assert "fr_CA: untranslated: 'revoked' (context 'credential state')" in found
    assert "fr_CA: untranslated: 'revoked'" not in found


def test_inert_text_cleans_a_message_every_time_and_keeps_a_clean_one_as_it_is() -> None:
    """A message's document text (a parameter) is made inert on every display, however often the same
    message object is shown; a message with nothing to clean comes back as itself (not rebuilt)."""
    from omc_vc.i18n import Message, Sentence, inert_text

    dirty = Sentence(Message("{name} held the ministry's consent", name="Evil\u202eCollege\x1b[2J"))
    for _ in range(2):
        shown = inert_text(dirty, limit=500)
        assert "\u202e" not in shown and "\x1b" not in shown and "Evil" in shown
    clean = Message("{name} held the ministry's consent", name="Example College")
    assert inert_text(clean, limit=500) is clean and inert_text(clean, limit=500) is clean
    assert inert_text(clean, limit=10) != clean  # another limit: cut, not taken from the mark
