"""The learner's certificate, HTML and PDF: every fact, the verdict, a QR code that reads back, one printable page.

The PDF is read as a person's tools read it: ``pdftotext`` (its text must be real, selectable text) and
``pdftoppm`` (rendered, its vector QR code must decode with zxing-cpp). The HTML is rendered by headless
Chromium (Debian's chromium, driven by Playwright): on a phone it must not overflow, and printed on Letter
and on A4 it must be one page. These skip with the reason when the tools are missing, unless CI requires
them (OMC_REQUIRE_BROWSER=1: ``make system-deps`` installs chromium and poppler-utils).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omc_vc import qr
from omc_vc.certificate import certificate_content, certificate_html, certificate_pdf
from omc_vc.proofs import data_integrity
from omc_vc.wallet import Wallet, WalletItem
from tests.unit.test_wallet_support import ISSUED, NOW, STATUS_INDEX, Institution, template

BASE = "https://verify.omc.example.ca"
LEARNER = "Ana María Nguyễn-Silva"
CHROMIUM = os.environ.get("OMC_CHROMIUM", "/usr/bin/chromium")


def issued_with_facts(college: Institution, subject: str, *, learner: str = LEARNER) -> dict[str, Any]:
    """The typical OMC with the learner's name (OB 3.0 IdentityObject), a result and a completion date."""
    doc = template()
    doc["credentialSubject"]["id"] = subject
    doc["credentialSubject"]["identifier"] = [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": learner}]
    doc["credentialSubject"]["activityEndDate"] = "2026-06-05T00:00:00Z"
    doc["credentialSubject"]["result"] = [{"type": ["Result"], "value": "Pass with distinction (A)"}]
    return data_integrity.add_proof(doc, college.key, created=ISSUED)


def item_for(tmp: Path, *, revoked: bool = False) -> WalletItem:
    college = Institution(revoked={STATUS_INDEX} if revoked else set())
    wallet = Wallet.create(tmp / "wallet", "certificate test passphrase")
    item, _ = wallet.add(issued_with_facts(college, wallet.holder_did), verifier=college.verifier(), now=NOW)
    return item


@pytest.fixture()
def item(tmp_path: Path) -> WalletItem:
    return item_for(tmp_path)


#: What a certificate must say, as it says it.
EXPECTED = (LEARNER, "Applied Data Analytics with Python", "Clean, analyse and visualise real-world datasets",
            "Lakeshore College of Applied Arts and Technology", "Instructional hours", "42",
            "Non-OQF Micro-credential", "3 college credit", "Pass with distinction (A)", "2026-06-05", "2026-06-15",
            "Data Analytics Ontario College Graduate Certificate", "3 of 12 college credit",
            "Verification when exported", "verify.omc.example.ca")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        problem = f"{name} not found (apt-get install poppler-utils)"
        if os.environ.get("OMC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"OMC_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    return found


def pdf_text(path: Path) -> str:
    out = subprocess.run([_tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode("utf-8").split())


def pdf_qr_text(path: Path, tmp: Path) -> str:
    """Render the PDF's page at 200 dpi and read its QR code with zxing-cpp."""
    subprocess.run([_tool("pdftoppm"), "-r", "200", "-png", "-singlefile", str(path), str(tmp / "page")],
                   check=True, timeout=60)
    return qr.read_qr_image(tmp / "page.png")


def pdf_pages(path: Path) -> tuple[int, str]:
    out = subprocess.run([_tool("pdfinfo"), str(path)], capture_output=True, check=True, timeout=60).stdout.decode()
    pages = int(re.search(r"Pages:\s+(\d+)", out).group(1))  # type: ignore[union-attr]
    size = re.search(r"Page size:\s+(.*)", out).group(1)  # type: ignore[union-attr]
    return pages, size


# --- content ---------------------------------------------------------------------------------------------

def test_content_has_every_fact_the_learner_and_the_verdict(item: WalletItem) -> None:
    content = certificate_content(item, qr.encode_link(item.credential, BASE))
    assert content.learner == LEARNER and content.achievement == "Applied Data Analytics with Python"
    facts = dict(content.facts)
    assert facts["Instructional hours"] == "42" and facts["Qualification category"] == "Non-OQF Micro-credential"
    assert facts["Credits"] == "3 college credit" and facts["Result"] == "Pass with distinction (A)"
    assert facts["Completed"] == "2026-06-05" and facts["Issued"] == "2026-06-15"
    assert content.targets and "3 of 12 college credit" in content.targets[0]
    # no registry confirmed the issuer: the certificate does not call it an OMC, and says whose name it shows
    assert content.kicker == "Micro-credential" and "not confirmed by a registry" in content.institution
    assert content.verdict_word == "VALID, NOT AN OMC"
    assert content.qr.profile.mode == "link" and content.qr.profile.error_correction == "L"


def test_a_revoked_credential_still_names_its_learner_and_says_revoked(tmp_path: Path) -> None:
    revoked = item_for(tmp_path, revoked=True)
    link = qr.encode_link(revoked.credential, BASE)
    content = certificate_content(revoked, link)
    assert content.learner == LEARNER and content.verdict_word == "NOT VALID"
    assert any("revoked" in line for line in content.verdict_lines)
    page = certificate_html(revoked, link)
    assert LEARNER in page and "NOT VALID" in page and "revoked" in page
    out = tmp_path / "revoked.pdf"
    certificate_pdf(revoked, link, out)
    text = pdf_text(out)
    assert LEARNER in text and "NOT VALID" in text and "revoked" in text


def test_a_learner_without_a_name_shows_the_subject_not_a_blank(tmp_path: Path) -> None:
    college = Institution()
    wallet = Wallet.create(tmp_path / "w", "certificate test passphrase")
    nameless, _ = wallet.add(college.issue(wallet.holder_did), verifier=college.verifier(), now=NOW)
    assert certificate_content(nameless, qr.encode_link(nameless.credential, BASE)).learner == wallet.holder_did


def test_a_demo_certificate_says_its_code_opens_no_employers_phone(item: WalletItem) -> None:
    # the accident this stops: a printed code that points at the learner's own machine, and nothing says so
    local = certificate_content(item, qr.encode_link(item.credential, "http://127.0.0.1:8800"))
    assert local.qr_caption.startswith("DEMO: ") and "no employer's phone can open it" in local.qr_caption
    public = certificate_content(item, qr.encode_link(item.credential, BASE))
    assert public.qr_caption.startswith("Scan with a phone camera")


def test_a_code_too_large_for_one_page_is_refused_with_short_mode(item: WalletItem) -> None:
    noise = "".join(f"{i * 7919 % 104729:06d}" for i in range(250))  # digits that do not compress much
    big = copy.deepcopy(item)
    big.credential = {**big.document, "description": noise}
    with pytest.raises(qr.QrError) as info:
        certificate_content(big, qr.encode_link(big.credential, BASE))
    assert info.value.code == "QR_TOO_LARGE" and "short" in info.value.detail


# --- HTML ------------------------------------------------------------------------------------------------

def test_html_is_self_contained_accessible_and_complete(item: WalletItem, tmp_path: Path) -> None:
    link = qr.encode_link(item.credential, BASE)
    page = certificate_html(item, link)
    for expected in EXPECTED:
        assert expected in page, expected
    assert '<html lang="en">' in page and 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert page.count("<h1>") == 1 and "<h2" in page
    assert 'role="img" aria-label="QR code: a link to the verifier at verify.omc.example.ca' in page
    assert "@page" in page and "@media print" in page
    # nothing loaded from anywhere (a certificate opened years later still shows, and leaks no visit)
    for marker in ('src="http', 'href="http', "<script", "<link", "url(", "@import"):
        assert marker not in page, marker
    # the inline QR code is the link
    svg = tmp_path / "qr.svg"
    svg.write_text(page[page.index("<svg"):page.index("</svg>") + 6], encoding="utf-8")
    assert qr.read_qr_image(svg) == link


# --- PDF -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_pdf_is_one_page_of_selectable_text_with_a_vector_qr_code(item: WalletItem, tmp_path: Path,
                                                                  paper: str) -> None:
    link = qr.encode_link(item.credential, BASE)
    out = tmp_path / f"cert-{paper}.pdf"
    certificate_pdf(item, link, out, paper="a4" if paper == "a4" else "letter")
    text = pdf_text(out)
    for expected in EXPECTED:
        assert expected in text, expected
    pages, size = pdf_pages(out)
    assert pages == 1 and ("letter" if paper == "letter" else "A4") in size
    data = out.read_bytes()
    # a vector code: no raster image anywhere in the file (the earlier certificate was one 150-dpi picture)
    assert b"/Subtype /Image" not in data and b"/Subtype/Image" not in data
    # accessible: tagged, a language, the code a figure with alternative text
    assert b"/StructTreeRoot" in data and b"/Lang" in data and b"/Alt" in data
    assert pdf_qr_text(out, tmp_path) == link


def test_pdf_short_mode_code_is_small_and_reads_back(item: WalletItem, tmp_path: Path) -> None:
    link = f"{BASE}/s/Qm3xY7_kPz2vN9wR4tLb8A"
    out = tmp_path / "short.pdf"
    certificate_pdf(item, link, out)
    assert certificate_content(item, link).qr.printed_mm < 60
    assert pdf_qr_text(out, tmp_path) == link
    assert link in re.sub(r"\s+", "", pdf_text(out))  # printed under the code (wrapped to its width)


# --- in a browser ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "Playwright for Python is not installed"
    if problem is None and not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        problem = f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    if problem:
        if os.environ.get("OMC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"OMC_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


def test_html_in_chromium_fits_a_phone_and_prints_one_page_on_letter_and_a4(chromium: Any, item: WalletItem,
                                                                            tmp_path: Path) -> None:
    link = qr.encode_link(item.credential, BASE)
    page_file = tmp_path / "certificate.html"
    page_file.write_text(certificate_html(item, link), encoding="utf-8")
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)  # a phone
    try:
        tab = context.new_page()
        errors: list[str] = []
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        tab.goto(page_file.as_uri())
        # no sideways scrolling on a phone, and the code is on screen, full width or less
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        box = tab.locator("figure.qr svg").bounding_box()
        assert box is not None and 200 <= box["width"] <= 390
        assert tab.inner_text("h1") == "Applied Data Analytics with Python"
        assert LEARNER in tab.inner_text("main")
        shot = tmp_path / "phone.png"
        tab.locator("figure.qr svg").screenshot(path=str(shot))
        assert qr.read_qr_image(shot) == link
        assert errors == []
        for paper, name in (("Letter", "letter"), ("A4", "A4")):
            printed = tmp_path / f"printed-{name}.pdf"
            tab.emulate_media(media="print")
            tab.pdf(path=str(printed), format=paper, print_background=True, prefer_css_page_size=False)
            pages, size = pdf_pages(printed)
            assert pages == 1, (paper, pages)
            assert name in size
            text = pdf_text(printed)
            assert LEARNER in text and "Pass with distinction (A)" in text
            # printed at its size (the mode's module size), the code reads back from the printed page
            assert pdf_qr_text(printed, tmp_path) == link
            width_mm = tab.evaluate("document.querySelector('figure.qr svg').getBoundingClientRect().width") * 25.4 / 96
            assert abs(width_mm - qr.symbol(link).printed_mm) < 1, width_mm
    finally:
        context.close()


# --- in the credential's language ------------------------------------------------------------------------

FRENCH_NAME = "Analytique des données appliquée avec Python"


def pdf_raw_text(path: Path) -> str:
    """The PDF's text in the order it was drawn (a label wrapped in its column stays one phrase), its apostrophes
    typographic (a PDF drawn in Helvetica, on a system without a Unicode font, has only the straight one)."""
    out = subprocess.run([_tool("pdftotext"), "-raw", str(path), "-"], capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode("utf-8").split()).replace("'", "\u2019")


def french_item(tmp: Path, *, revoked: bool = False) -> WalletItem:
    """A French OMC (its achievement issued in its fr-CA edition, naming the English one) in a wallet."""
    college = Institution(revoked={STATUS_INDEX} if revoked else set())
    doc = template()
    achievement = doc["credentialSubject"]["achievement"]
    english = achievement["name"]
    achievement.update({"inLanguage": "fr-CA", "name": FRENCH_NAME, "id": achievement["id"] + "-fr",
                        "description": "Nettoyer, analyser et visualiser des jeux de données réels.",
                        "related": [{"id": achievement["id"], "type": ["Related"], "inLanguage": "en",
                                     "name": english}]})
    doc["name"] = FRENCH_NAME
    doc["credentialSubject"]["identifier"] = [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "Chloé Tremblay"}]
    doc["credentialSubject"]["activityEndDate"] = "2026-06-05T00:00:00Z"
    doc["credentialSubject"]["result"] = [{"type": ["Result"], "value": "Réussite avec distinction (A)"}]
    wallet = Wallet.create(tmp / "wallet-fr", "certificate test passphrase")
    doc["credentialSubject"]["id"] = wallet.holder_did
    item, _ = wallet.add(data_integrity.add_proof(doc, college.key, created=ISSUED), verifier=college.verifier(),
                         now=NOW)
    return item


#: What a French certificate says, as it says it: our words in French, dates in CLDR's fr-CA long form.
EXPECTED_FR = ("Chloé Tremblay", FRENCH_NAME, "Décernée à", "Détails", "Heures d’enseignement", "Catégorie de titre",
               "Crédits", "Terminée le", "5 juin 2026", "15 juin 2026", "Vérification à l’exportation",
               "VALIDE, MAIS PAS UNE OMC", "Réussite avec distinction (A)", "Compte pour (OMC+)", "sur 12",
               "Balayez avec l’appareil photo")
#: Our English words that must not be left on it.
ENGLISH_LABELS = ("Awarded to", "Details", "Instructional hours", "Qualification category", "Completed", "Issued",
                  "Verification when exported", "VALID, NOT AN OMC", "Counts toward", "Scan with a phone camera",
                  "Checked ", "awarded by", "not confirmed by a registry", "2026-06-05", "2026-06-15")


def test_a_french_omc_gets_a_french_certificate(tmp_path: Path) -> None:
    item = french_item(tmp_path)
    content = certificate_content(item, qr.encode_link(item.credential, BASE))
    assert content.lang == "fr-CA" and content.kicker == "Microcertification"
    facts = dict(content.facts)
    assert facts["Heures d’enseignement"] == "42" and facts["Terminée le"] == "5 juin 2026"
    assert facts["Émise le"] == "15 juin 2026"
    # the verdict's reason in French, as the wallet rendered it when it checked the credential
    assert content.verdict_lines[0] == "Attestation valide, mais qui n’est PAS une microcertification de l’Ontario"
    assert item.verdict["translations"]["fr"]["reason"] in content.verdict_lines
    assert re.match(r"Vérifiée le \d{1,2} \w+ 2026 à \d{1,2} h \d\d \(UTC\)\. Balayez", content.verdict_lines[-1])
    assert "non confirmé par un registre" in content.institution


def test_a_french_certificate_html_and_pdf_say_french_words_and_dates(tmp_path: Path) -> None:
    item = french_item(tmp_path)
    link = qr.encode_link(item.credential, BASE)
    page = certificate_html(item, link)
    assert '<html lang="fr-CA">' in page
    out = tmp_path / "certificat.pdf"
    certificate_pdf(item, link, out, paper="letter")
    text = pdf_raw_text(out)
    for expected in EXPECTED_FR:
        assert expected in page, expected
        assert expected in text, expected
    for english in ENGLISH_LABELS:
        assert english not in page and english not in text, english
    assert b"/Lang (fr-CA)" in out.read_bytes()
    assert pdf_pages(out)[0] == 1
    assert pdf_qr_text(out, tmp_path) == link


def test_a_revoked_french_certificate_says_so_in_french(tmp_path: Path) -> None:
    item = french_item(tmp_path, revoked=True)
    link = qr.encode_link(item.credential, BASE)
    content = certificate_content(item, link)
    assert content.verdict_word == "NON VALIDE"
    assert "L’établissement qui a émis cette attestation l’a révoquée." in content.verdict_lines
    assert len(content.verdict_lines) == len(set(content.verdict_lines))  # the state and the reason once each
    out = tmp_path / "revoquee.pdf"
    certificate_pdf(item, link, out)
    text = pdf_raw_text(out)
    assert "NON VALIDE" in text and "révoquée" in text


def test_an_english_credential_keeps_an_english_certificate_unless_asked(item: WalletItem) -> None:
    link = qr.encode_link(item.credential, BASE)
    assert certificate_content(item, link).lang == "en"
    asked = certificate_content(item, link, language="fr")
    assert asked.lang == "fr-CA" and dict(asked.facts)["Terminée le"] == "5 juin 2026"
    # a record checked before the wallet kept translations: our headline for its status, no English reason
    older = copy.deepcopy(item)
    del older.verdict["translations"]
    lines = certificate_content(older, link, language="fr").verdict_lines
    assert lines[0] == "Attestation valide, mais qui n’est PAS une microcertification de l’Ontario"
    assert not any("NOT an Ontario" in line or "does not" in line for line in lines)


def test_a_french_html_certificate_prints_one_page_on_letter_and_a4(chromium: Any, tmp_path: Path) -> None:
    item = french_item(tmp_path)  # French labels are longer: the page must still fit
    link = qr.encode_link(item.credential, BASE)
    page_file = tmp_path / "certificat.html"
    page_file.write_text(certificate_html(item, link), encoding="utf-8")
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        tab = context.new_page()
        tab.goto(page_file.as_uri())
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        assert tab.evaluate("document.documentElement.lang") == "fr-CA"
        for paper, name in (("Letter", "letter"), ("A4", "A4")):
            printed = tmp_path / f"imprime-{name}.pdf"
            tab.emulate_media(media="print")
            tab.pdf(path=str(printed), format=paper, print_background=True, prefer_css_page_size=False)
            assert pdf_pages(printed)[0] == 1, paper
            assert "Décernée à" in pdf_raw_text(printed) and pdf_qr_text(printed, tmp_path) == link
    finally:
        context.close()
