"""The employer's page in the reader's language: which language a request reads, and the page's template in it.

The language (docs/adr/0017-english-and-french.md, decision 4): the page's own ``?lang=`` link (the visible
switch; no cookie is needed, and the page's script keeps it on every form post), else the browser's
``Accept-Language`` (:func:`omc_vc.i18n.negotiate`), else English.

The template (``templates/index.html``) writes each of our sentences as an ``[[English text]]`` marker, the
message id the catalog translates (``tools/i18n.py`` extracts them); :func:`render_page` puts the reader's words
in its place, escaped for where the marker stands (HTML text and attributes; the JSON of the script's own words),
and fills in the page's language (``<html lang>``: ``en-CA``, ``fr-CA``) and the switch to the other language.
"""

from __future__ import annotations

import html
import json
import re
from typing import Final

from starlette.requests import Request

from omc_vc.i18n import LANGUAGES, Translator, language_of_tag, negotiate, translator

__all__ = ["LANGUAGE_NAMES", "reader_words", "render_page"]

#: Each language's name in itself: the switch offers the other language in that language's own words.
LANGUAGE_NAMES: Final = {"en": "English", "fr": "Français"}

_MARK = re.compile(r"\[\[(.+?)\]\]", re.S)
_SCRIPT_TEXT = re.compile(r'(<script type="application/json" id="page-text">)(.*?)(</script>)', re.S)
_DEMO_BLOCK = re.compile(r"<!--DEMO-->(.*?)<!--/DEMO-->", re.S)


def reader_words(request: Request) -> Translator:
    """The words of the person reading: the request's ``lang`` query parameter (the page's switch and its form
    posts) when it names a language omc-vc speaks, else its ``Accept-Language``."""
    chosen = language_of_tag(request.query_params.get("lang"))
    return translator(chosen or negotiate(request.headers.get("accept-language")))


def _message(found: re.Match[str], words: Translator) -> str:
    """A marker's words in the reader's language (its message id: the text, white space collapsed)."""
    message_id = " ".join(found.group(1).split())
    return words.gettext(message_id)


def _json_text(text: str) -> str:
    """``text`` as the inside of a JSON string in a ``<script>`` element (no ``</script>`` can close it)."""
    quoted = json.dumps(text, ensure_ascii=False)[1:-1]
    return quoted.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(template: str, words: Translator, *, share_id: str | None = None, demo: bool = False) -> str:
    """The page of ``template`` in ``words``' language: each ``[[...]]`` marker translated, ``{{LANG}}`` the page's
    BCP 47 tag, ``{{OTHER_LANG}}``/``{{OTHER_TAG}}``/``{{OTHER_NAME}}`` the switch's language, ``{{SHARE_ID}}``
    the share id (valid_share_id's characters only), and the DEMO banner between ``<!--DEMO-->`` marks kept in
    demo mode only."""
    other = next(code for code in LANGUAGES if code != words.language)
    page = _SCRIPT_TEXT.sub(lambda block: block.group(1) + _MARK.sub(
        lambda found: _json_text(_message(found, words)), block.group(2)) + block.group(3), template)
    page = _MARK.sub(lambda found: html.escape(_message(found, words)), page)
    page = _DEMO_BLOCK.sub(lambda match: match.group(1) if demo else "", page)
    for name, value in (("LANG", words.tag), ("OTHER_LANG", other), ("OTHER_TAG", LANGUAGES[other][1]),
                        ("OTHER_NAME", LANGUAGE_NAMES[other]), ("SHARE_ID", share_id or "")):
        page = page.replace("{{" + name + "}}", html.escape(value))
    return page
