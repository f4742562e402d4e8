"""The employer's page in French (fr-CA) in a real browser: every kind of result, no English left over.

A browser whose language is fr-CA (Accept-Language) opens every kind of result of tests/web/test_accessibility.py
(the same services and steps, with OMCs issued in their French edition). On each, the page says ``lang="fr-CA"``,
and no English text of ours is left: every text a reader sees (and every accessible name and the title) is checked
against the English message ids of the catalog (omc_vc/locale: the page's template, the results' TEXT table, the
verdicts and the checks), after the credential's and the registry's own words (shown as issued) are set aside. The
only text not in French is marked with its own language: the switch to English (``lang="en-CA"``) and the name of
the achievement's English edition (``lang="en"``). axe-core finds no WCAG 2.0 A/AA violation at a phone's size and
a desktop's, and a screenshot of each kind at both sizes is saved to tests/web/artifacts/ (fr-KIND-phone.png,
fr-KIND-desktop.png). The switch keeps a link-mode credential, and the page's posts keep the language it chose.

Skips (with the reason) when chromium, Playwright or axe-core is missing, unless OMC_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omc_vc.qr import encode_link
from tests.english_left import english_in, english_phrases

from . import test_accessibility as a11y
from .test_accessibility import DESKTOP, KINDS, PHONE, Served, _axe, _open
from .test_browser import ARTIFACTS, watched_tab

# the accessibility test's fixtures (module-scoped: this module starts its own three services and browser)
axe_source = a11y.axe_source
services = a11y.services
browser = a11y.browser

ROOT = Path(__file__).resolve().parents[2]
FRENCH = "fr-CA"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A tab of a browser whose language is French (Canada): its requests say Accept-Language: fr-CA."""
    yield from watched_tab(browser, viewport=PHONE, locale=FRENCH)


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)


def _documents_words(served: Served, issued: list[dict[str, Any]]) -> list[str]:
    """The credentials' and the registry's own strings: shown as issued, in whatever language they were written."""
    registry = json.loads(served.world.registry_file.read_text(encoding="utf-8"))
    words = {text.strip() for doc in [registry, *issued] for text in _leaves(doc) if len(text.strip()) >= 2}
    return sorted(words, key=len, reverse=True)


#: What a reader meets on the page: each visible text node with the language it is marked in, every accessible
#: name that is not text (aria-label, alt, title) and the document's title.
_READ = """() => {
    const out = [];
    const langOf = (el) => ((el.closest('[lang]') || document.documentElement).getAttribute('lang') || '');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement;
        if (!el || !node.textContent.trim() || el.closest('script, style, noscript')) { continue; }
        if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) { continue; }
        out.push({text: node.textContent.trim(), lang: langOf(el), where: el.id || el.getAttribute('data-fact') ||
                  el.tagName});
    }
    document.querySelectorAll('[aria-label], [alt], [title]').forEach((el) => {
        ['aria-label', 'alt', 'title'].forEach((name) => {
            if (el.hasAttribute(name)) { out.push({text: el.getAttribute(name), lang: langOf(el), where: name}); }
        });
    });
    out.push({text: document.title, lang: document.documentElement.getAttribute('lang'), where: 'title'});
    return out;
}"""


def english_left(page: Any, documents: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """(the English phrases of ours found in the French text, the texts marked as another language)."""
    read = page.evaluate(_READ)
    other = [item for item in read if not item["lang"].lower().startswith("fr")]
    text = "\n".join(item["text"] for item in read if item["lang"].lower().startswith("fr"))
    return english_in(text, documents), other


def _recording(served: Served, issued: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    real = served.world.credential

    def credential(*args: Any, **kwargs: Any) -> tuple[dict[str, Any], int]:
        made = real(*args, **kwargs)
        issued.append(made[0])
        return made

    monkeypatch.setattr(served.world, "credential", credential)


def test_the_leftover_check_finds_english(page: Any, services: dict[str, Served]) -> None:
    # the check below would pass on any page if it could not see English: the English page, said to be French,
    # must fail it
    page.goto(services["registry"].base_url + "/?lang=en")
    page.wait_for_load_state("networkidle")
    page.evaluate("document.documentElement.lang = 'fr-CA'")
    found, _ = english_left(page, [])
    assert "Check an Ontario Micro-Credential" in found and "Upload a QR code image or a credential file" in found
    assert len(english_phrases()) > 200


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_result_in_french_with_no_english_left_and_accessible(
        kind: str, page: Any, services: dict[str, Served], axe_source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    served = services["demo" if kind == "demo-mode" else "plain" if kind == "plain-mode" else "registry"]
    issued: list[dict[str, Any]] = []
    _recording(served, issued, monkeypatch)
    expected = _open(kind, page, services, language=FRENCH)
    page.wait_for_selector("#verdict[data-status]", timeout=20_000)
    assert page.get_attribute("#verdict", "data-status") == expected
    assert page.get_attribute("html", "lang") == FRENCH
    page.evaluate("document.getElementById('checks-box').open = true")  # every check's line is read too
    found, other = english_left(page, _documents_words(served, issued))
    assert found == [], f"English left on the French {kind} page: {found}"
    # the only words in another language are marked so: the switch, and the English edition's name
    assert {item["where"] for item in other} <= {"language-switch", "edition:en"}, other
    assert any(item["where"] == "language-switch" and item["text"] == "English" for item in other)
    if issued and kind not in ("share-withdrawn", "presentation"):
        edition = page.query_selector("#facts dd[data-fact='edition:en']")
        assert edition is not None and edition.get_attribute("lang") == "en"
        assert page.get_attribute("#facts dd[data-fact='achievement']", "lang") == FRENCH
    about = page.inner_text("#about")
    assert "Vérifiée le" in about and " h " in about
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        violations = _axe(page, axe_source)
        page.screenshot(path=str(ARTIFACTS / f"fr-{kind}-{size}.png"), full_page=True)
        assert violations == [], f"axe-core found WCAG 2.0 A/AA violations on the French {kind} ({size}):\n" + \
            json.dumps(violations, indent=1)
    assert page.console_errors == []


def test_the_front_page_in_french(page: Any, services: dict[str, Served], axe_source: str) -> None:
    page.goto(services["registry"].base_url + "/")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang") == FRENCH
    assert page.inner_text("h1") == "Vérifier une microcertification de l’Ontario"
    found, _ = english_left(page, [])
    assert found == []
    assert _axe(page, axe_source) == []
    page.screenshot(path=str(ARTIFACTS / "fr-front-page-phone.png"), full_page=True)


def test_the_switch_keeps_the_credential_and_the_posts_keep_the_language(
        browser: Any, services: dict[str, Served]) -> None:
    served = services["registry"]
    vc, _ = served.world.credential("college", language=FRENCH)
    context = browser.new_context(viewport=DESKTOP, locale="en-CA")  # an English browser
    try:
        tab = context.new_page()
        # a link-mode page in French by its switch's link; the switch back keeps the credential (the fragment)
        link = encode_link(vc, served.base_url)
        path, _, fragment = link.partition("#")
        tab.goto(f"{path}?lang=fr#{fragment}")
        tab.wait_for_selector("#verdict[data-status]", timeout=20_000)
        assert tab.get_attribute("html", "lang") == FRENCH
        assert tab.inner_text("#verdict-headline") == "Microcertification de l’Ontario valide"
        tab.click("#language-switch")
        tab.wait_for_selector("#verdict[data-status='valid-omc']", timeout=20_000)
        assert tab.get_attribute("html", "lang") == "en-CA"
        assert tab.inner_text("#verdict-headline") == "Valid Ontario Micro-Credential"
        # the credential's own words stay as issued, in French, whatever the page's language
        assert tab.inner_text("#facts dd[data-fact='achievement']") == "Fondements de la sécurité en soudage"
        # a paste on the page chosen in French is answered in French, though the browser asks for English
        tab.goto(served.base_url + "/?lang=fr")
        with tab.expect_request(lambda r: "/verify/text" in r.url) as sent:
            tab.fill("#paste", json.dumps(vc))
            tab.click("#paste-form button[type=submit]")
        assert "lang=fr-CA" in sent.value.url
        tab.wait_for_selector("#verdict[data-status]", timeout=20_000)
        assert tab.inner_text("#verdict-headline") == "Microcertification de l’Ontario valide"
        assert tab.inner_text("#checks-box summary").startswith("Toutes les vérifications faites")
    finally:
        context.close()
