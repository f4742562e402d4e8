"""English left in a French text: every English text of ours (the catalog's message ids) that a French reader
should not meet, found in what a page or a command showed them.

The browser tests (the page) and the CLI tests read their output against the same list.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Identifiers a sentence quotes as written (DIDs, URNs, URLs): not words.
IDENTIFIER = re.compile(r"\b(?:did|urn):\S+|https?://\S+")


@functools.cache
def english_phrases() -> tuple[str, ...]:
    """Every English text of ours: each catalog message id's words between its placeholders, except words French
    writes the same way (``signature``, ``Description``, ``OMC+``, ``DID``); longest first."""
    sys.path.insert(0, str(ROOT))
    from tools import i18n

    found: set[str] = set()
    for message in i18n.read("fr_CA"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        french = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            for part in re.split(r"\{\w+\}", msgid):
                part = part.strip(" .,:;()!?")
                if len(part) < 4 or not re.search(r"[A-Za-z]{3}", part):
                    continue
                if any(re.search(whole(part), text) for text in french):
                    continue  # the French says it the same way
                found.add(part)
    return tuple(sorted(found, key=len, reverse=True))


def whole(phrase: str) -> str:
    """A regular expression of ``phrase`` as whole words."""
    return r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])"


def english_in(text: str, documents: list[str]) -> list[str]:
    """The English phrases of ours in ``text``, once the documents' own words (shown as written: names,
    references) and identifiers are set aside."""
    for words in sorted(documents, key=len, reverse=True):
        text = text.replace(words, " \u2063 ")
    text = IDENTIFIER.sub(" ", text)
    return [phrase for phrase in english_phrases() if re.search(whole(phrase), text)]
