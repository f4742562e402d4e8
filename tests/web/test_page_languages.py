"""The employer's page in English and French (docs/adr/0017-english-and-french.md).

The page follows the browser's Accept-Language, with a visible switch to the other language that needs no cookie
(``?lang=``), says its language (``<html lang>``, Content-Language, Vary), and its answers give every verdict, reason,
label, date and number in that language (fr-CA: ``7 décembre 2026``, ``9 h 22``, ``3 crédits``, ``0,5``), with the
credential's own words as issued and the name of the other-language edition it names. Codes, statuses and keys are
the same in every language. The pages in a real browser: tests/web/test_page_french_browser.py.
"""

from __future__ import annotations

import gettext
import json
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from omc_vc._internal.timeutil import parse_datetime
from omc_vc.i18n import Translator, translator
from omc_vc.web.page import render_page
from omc_vc.web.summary import counted, human_time, readable_dates
from tests.web.world import FRENCH_EDITION, WebWorld

from .conftest import TestClient

TEMPLATE = Path(__file__).resolve().parents[2] / "omc_vc" / "web" / "templates" / "index.html"
FRENCH = translator("fr")


class _Page(HTMLParser):
    """The parts of a served page a reader and a screen reader meet: <html lang>, the title, the switch, the
    script's words."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.switch: dict[str, str | None] = {}
        self.text: list[str] = []
        self._in: str | None = None
        self.script_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        if found.get("id") == "language-switch":
            self.switch = found
            self._in = "switch"
        if tag == "script" and found.get("id") == "page-text":
            self._in = "script"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", "script"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.script_text += data
        elif self._in == "switch":
            self.switch["text"] = data.strip()
        elif data.strip():
            self.text.append(data.strip())


def _page(client: TestClient, path: str = "/", **headers: str) -> tuple[_Page, Any]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    parsed = _Page()
    parsed.feed(response.text)
    return parsed, response


def _facts(out: dict[str, Any], key: str = "facts") -> dict[str, dict[str, Any]]:
    return {fact["key"]: fact for fact in out[key]}


def _long(day: date | datetime) -> str:
    from babel.dates import format_date

    return str(format_date(day, format="long", locale="fr_CA"))


# --- the page itself ------------------------------------------------------------------------------------------

def test_the_page_follows_accept_language_and_says_its_language(client: TestClient) -> None:
    french, response = _page(client, **{"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.8"})
    assert french.lang == "fr-CA"
    assert response.headers["content-language"] == "fr-CA" and "Accept-Language" in response.headers["vary"]
    assert "Vérifier une microcertification de l’Ontario" in french.text
    # the switch offers the other language in its own words, as a plain link: no cookie, no script
    assert french.switch["href"] == "?lang=en" and french.switch["text"] == "English"
    assert french.switch["lang"] == "en-CA" and french.switch["hreflang"] == "en-CA"
    assert "set-cookie" not in response.headers
    words = json.loads(french.script_text)
    assert words["checking"] == "Vérification de l’attestation…" and words["status:failed"] == "ÉCHEC"
    english, response = _page(client, **{"Accept-Language": "de-DE, en-US;q=0.5"})
    assert english.lang == "en-CA" and response.headers["content-language"] == "en-CA"
    assert english.switch["href"] == "?lang=fr" and english.switch["text"] == "Français"
    assert "Check an Ontario Micro-Credential" in english.text


def test_the_switch_overrides_the_browser_on_every_page(client: TestClient) -> None:
    chosen, _ = _page(client, "/?lang=en", **{"Accept-Language": "fr-CA"})
    assert chosen.lang == "en-CA"
    chosen, _ = _page(client, "/s/" + "A" * 22 + "?lang=fr")  # a short-mode share's page keeps its own path
    assert chosen.lang == "fr-CA" and chosen.switch["href"] == "?lang=en"
    unknown, _ = _page(client, "/?lang=de", **{"Accept-Language": "fr"})  # a language we do not speak: the browser's
    assert unknown.lang == "fr-CA"


def test_every_word_of_the_template_is_translated_in_the_french_page(client: TestClient) -> None:
    from tools.i18n import template_messages

    html = client.get("/?lang=fr").text
    assert "[[" not in html and "{{" not in html
    for _, message in template_messages(TEMPLATE.read_text(encoding="utf-8")):
        assert FRENCH.gettext(message) != message, message
    visible = " ".join(_page(client, "/?lang=fr")[0].text)
    for english in ("Check a credential", "Upload a QR code image", "Paste a credential", "About this service",
                    "Skip to main content", "What you check is not stored"):
        assert english not in visible


class _Catalog(gettext.NullTranslations):
    def __init__(self, table: dict[str, str]) -> None:
        super().__init__()
        self.table = table

    def gettext(self, message: str) -> str:
        return self.table.get(message, message)


def test_a_translation_cannot_close_the_script_or_add_markup() -> None:
    """A translator's text (or a tampered catalog) is text: in the page's JSON it cannot end the <script> element
    (``</script>``), and in the HTML it cannot add an element or an attribute."""
    hostile = '</script><img src=x onerror=alert(1)>"\\'
    words = Translator("fr", _Catalog({"Checking the credential…": hostile, "Check file": hostile}))
    html = render_page(TEMPLATE.read_text(encoding="utf-8"), words)
    script = re.search(r'<script type="application/json" id="page-text">(.*?)</script>', html, re.S)
    assert script is not None and json.loads(script.group(1))["checking"] == hostile
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_demo_banner_is_translated_and_the_marks_never_reach_the_browser(world: WebWorld) -> None:
    from omc_vc.web.app import create_app

    with TestClient(create_app(world.config(demo=True))) as client:
        html = client.get("/?lang=fr").text
    assert 'aria-label="Démonstration"' in html and "DÉMO" in html and "<!--DEMO-->" not in html


# --- the answers ----------------------------------------------------------------------------------------------

def test_a_french_omc_in_french_words_dates_and_numbers(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("college", plus=True, language="fr-CA", completed=date(2026, 11, 20),
                             result="Réussite (87 %)")
    out = client.post("/verify/text?lang=fr", content=json.dumps(vc)).json()
    assert out["language"] == "fr-CA"
    # the verdict: the same status and codes, our words in French, the date in CLDR's fr-CA long form
    verdict = out["verdict"]
    assert verdict["status"] == "valid-omc-plus"
    assert verdict["headline"].startswith("Microcertification de l’Ontario valide")
    issued = parse_datetime(vc["validFrom"])
    assert f"émise le {_long(issued.astimezone(UTC).date())}" in verdict["reason"], verdict["reason"]
    assert not re.search(r"\d{4}-\d{2}-\d{2}", verdict["reason"])
    facts = _facts(out)
    labels = {key: fact["label"] for key, fact in facts.items()}
    assert labels["institution"] == "Établissement (tel qu’inscrit au registre du ministère)"
    assert labels["instructionalHours"] == "Heures d’enseignement" and labels["credits"] == "Crédits"
    assert facts["credits"]["value"] == "3 crédits" and facts["duration"]["value"] == "6 semaines"
    assert facts["completed"]["value"] == "20 novembre 2026"
    assert facts["deliveryMode"]["value"] == "Hybride (en ligne et en personne)"
    # the credential's own words as issued, in the language it was issued in
    assert facts["achievement"]["value"] == FRENCH_EDITION["name"] and facts["achievement"]["lang"] == "fr-CA"
    assert facts["description"]["lang"] == "fr-CA" and facts["result"]["value"] == "Réussite (87 %)"
    # and the other edition's name, in its own language
    assert facts["edition:en"] == {"key": "edition:en", "label": "Nom en anglais",
                                   "value": "Welding Safety Fundamentals", "lang": "en"}
    assert out["targets"] == [{"name": "Certificat en techniques de soudage",
                               "awardedBy": "décerné par Collège Exemple", "credit": "3 crédits sur les 12 requis"}]
    about = _facts(out, "about")
    assert about["checkedAt"]["label"] == "Vérifiée le" and re.search(r" à \d{1,2} h \d\d H[NA]E$",
                                                                      about["checkedAt"]["value"])
    assert about["registryPublished"]["label"] == "Registre publié le"
    # every check's name and detail in French (our sentences, with the document's identifiers as written)
    checks = {c["name"]: c for c in out["checks"]}
    assert checks["proof"]["label"] == "signature"
    assert checks["proof"]["detail"] == "1 preuve vérifiée (eddsa-rdfc-2022)"
    assert checks["status"]["detail"].startswith("non révoquée (index ")
    assert checks["validity-period"]["detail"].startswith("valide à partir du ")
    assert checks["omc-profile"]["detail"].startswith("a les champs OMC (prétention OMC+, politique ")
    assert checks["issuer-authorized"]["label"] == "émetteur autorisé par le ministère"
    assert all(c["status"] in ("passed", "skipped") for c in out["checks"])


def test_the_browser_language_chooses_the_answers_words_when_the_page_sends_none(client: TestClient,
                                                                                 world: WebWorld) -> None:
    vc, _ = world.credential("college")  # an English OMC, read by a francophone employer
    out = client.post("/verify/text", content=json.dumps(vc), headers={"Accept-Language": "fr-CA"}).json()
    assert out["language"] == "fr-CA" and out["verdict"]["headline"] == "Microcertification de l’Ontario valide"
    facts = _facts(out)
    assert facts["achievement"]["value"] == "Welding Safety Fundamentals" and facts["achievement"]["lang"] == "en"
    assert not any(key.startswith("edition:") for key in facts)  # it names no other edition
    english = client.post("/verify/text?lang=en", content=json.dumps(vc),
                          headers={"Accept-Language": "fr-CA"}).json()
    assert english["language"] == "en-CA" and english["verdict"]["headline"] == "Valid Ontario Micro-Credential"
    assert english["verdict"]["status"] == out["verdict"]["status"]
    assert [c["code"] for c in english["checks"] if "code" in c] == [c["code"] for c in out["checks"] if "code" in c]


def test_an_english_page_names_the_french_edition(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("college", language="en")
    facts = _facts(client.post("/verify/text", content=json.dumps(vc)).json())
    assert facts["edition:fr-CA"]["label"] == "Name in French"
    assert facts["edition:fr-CA"]["value"] == FRENCH_EDITION["name"] and facts["edition:fr-CA"]["lang"] == "fr-CA"


def test_a_revoked_forged_and_unreadable_answer_in_french(client: TestClient, world: WebWorld) -> None:
    vc, index = world.credential("college", language="fr-CA")
    world.revoke("college", index)
    revoked = client.post("/verify/text?lang=fr", content=json.dumps(vc)).json()
    assert revoked["verdict"]["status"] == "invalid" and revoked["verdict"]["code"] == "CREDENTIAL_REVOKED"
    assert revoked["verdict"]["reason"] == "L’établissement qui a émis cette attestation l’a révoquée."
    status = next(c for c in revoked["checks"] if c["name"] == "status")
    assert status["detail"].startswith("l’attestation a été révoquée par son émetteur (index ")
    forged, _ = world.credential("college", language="fr-CA")
    forged["credentialSubject"]["achievement"]["instructionalHours"] = 400
    out = client.post("/verify/text?lang=fr", content=json.dumps(forged)).json()
    proof = next(c for c in out["checks"] if c["name"] == "proof")
    # the proof error's own sentence, in French (the English stays in the VC-API's JSON), and the verdict's reason
    # is our sentence for its code
    assert proof["status"] == "failed" and proof["detail"] == "la signature ne correspond pas au document"
    assert out["verdict"]["reason"].startswith("Cette attestation a été modifiée")
    unreadable = client.post("/verify/text?lang=fr", content="Ada a fini le cours de soudage").json()
    assert unreadable["verdict"]["status"] == "unreadable"
    assert unreadable["verdict"]["headline"] == "Cette page ne peut pas vérifier ce contenu"
    assert unreadable["verdict"]["reason"].startswith("Cette page ne peut pas vérifier le texte collé")
    gone = client.post("/verify/share/" + "A" * 22 + "?lang=fr").json()
    assert gone["verdict"]["headline"] == "Cette attestation n’est plus partagée"


@pytest.mark.parametrize(("moment", "expected"), [
    (datetime(2026, 12, 7, 14, 22, 18, tzinfo=UTC), "7 décembre 2026 à 9 h 22 HNE"),
    (datetime(2026, 7, 1, 16, 5, tzinfo=UTC), "1 juillet 2026 à 12 h 05 HAE"),
])
def test_french_times_are_ontario_times_in_fr_ca_words(moment: datetime, expected: str) -> None:
    assert human_time(moment, FRENCH) == expected


def test_french_counts_and_dates() -> None:
    assert counted(3, "credit", FRENCH) == "3 crédits"
    assert counted(1, "credits", FRENCH) == "1 crédit"
    assert counted(0.5, "credit", FRENCH) == "0,5 crédit"  # CLDR fr: one for 0 to less than 2; a decimal comma
    assert counted(1.5, "hour", FRENCH) == "1,5 heure"
    assert counted(2.5, "week", FRENCH) == "2,5 semaines"
    assert counted(2, "ECTS", FRENCH) == "2 ECTS"  # a unit we do not know stays as written
    assert readable_dates("émise le 2026-11-27, et le détient toujours", FRENCH) == \
        "émise le 27 novembre 2026, et le détient toujours"
    assert counted(0.5, "credit") == "0.5 credits"  # English as before


def test_a_self_declared_endorser_is_marked_so_in_the_readers_words(tmp_path: Path) -> None:
    """The marking that keeps a document's endorser name from passing for a verified one is ours: a French reader
    gets it in French (the name itself as the document wrote it, in its quotes)."""
    from omc_vc.omc.profile import OmcProfileCheck
    from omc_vc.verify import Verifier
    from omc_vc.web.summary import page_result
    from tests.fixtures.omc.sample import endorsement_of, make_institution, signed_omc

    config, key = make_institution(tmp_path)
    result = Verifier(extra_checks=[OmcProfileCheck()]).verify(
        signed_omc(config, key, endorsement=[endorsement_of(config.did)]))
    assert page_result(result, FRENCH)["summary"]["endorsements"] == [
        '"Ontario Welders Guild" (autodéclaré, non vérifié)']
    assert page_result(result)["summary"]["endorsements"] == ['"Ontario Welders Guild" (self-declared, not verified)']
    check = next(c for c in page_result(result, FRENCH)["checks"] if c["name"] == "omc-endorsements")
    assert check["detail"] == '1 recommandation vérifiée\u00a0: "Ontario Welders Guild" (autodéclaré, non vérifié)'
