"""A credential's certificate for people: one page of HTML or PDF with its facts, its verdict and its QR code.

Both forms show the same content (:func:`certificate_content`): the learner's name, the achievement and its
description, the institution (as the registry records it, or as the credential claims it, said so), hours,
category, credits, result, completion and issue dates, the OMC+ targets, the verdict when it was exported
and the QR code that opens the verifier page.

HTML (:func:`certificate_html`): one self-contained file (inline CSS and an inline SVG QR code; a
Content-Security-Policy that loads nothing), a viewport for phones, headings, a labelled QR image and print
rules for one Letter or A4 page (the QR code printed at its mode's size, docs/qr-format.md §4).

PDF (:func:`certificate_pdf`): drawn with fpdf2 (docs/adr/0014-certificate-pdf-library.md): selectable text in
an embedded Unicode font when the system has one (else the PDF's standard Helvetica, with the characters it
lacks replaced), a vector QR code tagged as a figure with alternative text, document title, author and
language, on a Letter or A4 page.

A certificate is in the credential's language (docs/adr/0017-english-and-french.md): the language its achievement
was issued in (OB 3.0 ``inLanguage``; else the subject's), English by default. Our words (labels, the verdict,
captions) come from the message catalog (omc_vc/locale), dates and numbers in the locale's form (``5 juin 2026``,
``7,5``; English keeps ISO 8601 dates), and the document says its language (HTML ``lang``, the PDF's ``/Lang``).
The verdict's reason is the one rendered in that language when the credential was last checked (the wallet's
verdict record keeps its ``translations``).

DESIGN decision 16: every text a certificate shows that a document wrote (names, description, facts) is made
inert here (omc_vc._internal.inert); the HTML escapes it as well.
"""

from __future__ import annotations

import html
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from omc_vc import qr
from omc_vc._internal import atomic
from omc_vc._internal.inert import inert
from omc_vc._internal.timeutil import parse_datetime
from omc_vc.errors import MalformedValueError, QrError
from omc_vc.i18n import DEFAULT_LANGUAGE, N_, Message, Translator, language_of_tag, translator
from omc_vc.model import as_list
from omc_vc.verdict import HEADLINES, shown_text
from omc_vc.wallet import WalletItem

__all__ = ["PAPERS", "CertificateContent", "Paper", "certificate_content", "certificate_html", "certificate_language",
           "certificate_pdf"]

Paper = Literal["letter", "a4"]
#: Page sizes in millimetres (width, height).
PAPERS: Final[dict[Paper, tuple[float, float]]] = {"letter": (215.9, 279.4), "a4": (210.0, 297.0)}
#: The largest QR code a one-page certificate holds (millimetres across, quiet zone included): version 25 at
#: the link profile's module size. Larger credentials need short mode.
MAX_QR_MM: Final = 125.0
_FACT_LIMIT: Final = 300
_DESCRIPTION_LIMIT: Final = 1200
_TARGET_LIMIT: Final = 4

#: The verdict's words on a certificate, by status (English message ids: the catalog has the other languages).
_KICKER: Final = {"valid-omc": N_("Ontario Micro-Credential"), "valid-omc-plus": N_("Ontario Micro-Credential (OMC+)")}
_KICKER_OTHER: Final = N_("Micro-credential")
_VERDICT_WORD: Final = {"valid-omc": N_("VALID"), "valid-omc-plus": N_("VALID"),
                        "valid-not-omc": N_("VALID, NOT AN OMC"), "invalid": N_("NOT VALID")}
#: A credential's state a verifier found, in a sentence each (the flags of the wallet's verdict record): the
#: verdict's own plain words for those codes.
_STATES: Final = (("revoked", N_("The institution that issued this credential has revoked it.")),
                  ("suspended", N_("The institution that issued this credential has suspended it.")),
                  ("expired", N_("This credential has expired.")),
                  ("notYetValid", N_("This credential is not valid yet.")))
#: Delivery modes the OMC vocabulary names, in words (others are shown as written).
_MODES: Final = {"online": N_("Online"), "in-person": N_("In person"), "hybrid": N_("Hybrid (online and in person)")}
#: The facts' labels, in the order shown.
_LABELS: Final = {"hours": N_("Instructional hours"), "category": N_("Qualification category"),
                  "credits": N_("Credits"), "result": N_("Result"), "completed": N_("Completed"),
                  "issued": N_("Issued"), "validUntil": N_("Valid until"), "deliveryMode": N_("Delivery mode"),
                  "weeks": N_("Duration (weeks)"), "humanCode": N_("Course code"), "cip": N_("CIP 2021"),
                  "noc": N_("NOC 2021"), "assessment": N_("Assessment"), "credentialId": N_("Credential id")}


@dataclass(frozen=True)
class CertificateContent:
    """What a certificate shows, every text already inert."""

    kicker: str
    achievement: str
    learner: str
    institution: str
    description: str
    facts: list[tuple[str, str]]
    targets: list[str]
    verdict_word: str
    verdict_status: str
    verdict_lines: list[str]
    qr_caption: str
    qr_alt: str
    qr: qr.QrSymbol
    short_url: str | None = None
    notes: list[str] = field(default_factory=list)
    #: the certificate's language (BCP 47: the credential's own tag, else ``en``/``fr-CA``) and its words
    lang: str = "en"
    words: Translator = field(default_factory=translator, repr=False, compare=False)


def _t(value: Any, limit: int = _FACT_LIMIT) -> str:
    return inert(value, limit=limit)


def certificate_language(document: dict[str, Any]) -> tuple[str, str]:
    """The language a credential was issued in, as ``(omc-vc's language, BCP 47 tag)``: its achievement's OB 3.0
    ``inLanguage``, else its subject's, when omc-vc speaks it (``("fr", "fr-CA")``); English otherwise.

    >>> certificate_language({"credentialSubject": {"achievement": {"inLanguage": "fr-CA"}}})
    ('fr', 'fr-CA')
    """
    subjects = [s for s in as_list(document.get("credentialSubject")) if isinstance(s, dict)]
    subject = subjects[0] if subjects else {}
    found = subject.get("achievement")
    achievement: dict[str, Any] = found if isinstance(found, dict) else {}
    for tag in (achievement.get("inLanguage"), subject.get("inLanguage")):
        language = language_of_tag(tag)
        if language is not None and isinstance(tag, str) and len(tag) <= 35:
            return language, tag
    return DEFAULT_LANGUAGE, DEFAULT_LANGUAGE


def _number(value: Any, words: Translator) -> Any:
    return words.amount(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _day(value: Any, words: Translator) -> Any:
    """A date as the certificate's language writes it (``2026-06-05``; ``5 juin 2026``); else as written."""
    return words.day(value) if isinstance(value, str) else value


def _target_line(target: dict[str, Any], words: Translator) -> str:
    name = _t(target.get("name") or target.get("id"), 200)
    parts = []
    value, required, unit = target.get("creditValue"), target.get("creditRequired"), target.get("creditUnit")
    unit = _t(unit, 40) if unit else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(required, int | float) and not isinstance(required, bool):
            parts.append(words.tr("{value} of {required}", value=words.amount(value),
                                  required=words.quantity(required, unit)))
        else:
            parts.append(words.quantity(value, unit))
    if target.get("awardingInstitution"):
        parts.append(words.tr("awarded by {institution}", institution=_t(target["awardingInstitution"], 120)))
    return name + (f" ({'; '.join(parts)})" if parts else "")


def _checked(value: Any, words: Translator) -> str:
    """When the verdict was found: ``2026-06-20 14:02:11 UTC`` (English, as before); ``20 juin 2026 à 14 h 02
    (UTC)``."""
    text = _t(value or "?", 40)
    try:
        return words.utc_moment(parse_datetime(str(value)))
    except MalformedValueError:
        return text


def _verdict_text(verdict: dict[str, Any], status: str, words: Translator) -> tuple[str, str]:
    """The verdict's headline and reason in ``words``' language: the wallet record's own (English) or its
    ``translations`` (rendered when it was checked); a record without them gets our headline for its status and
    our sentence for its code."""
    if words.language == DEFAULT_LANGUAGE:
        return str(verdict.get("headline") or ""), str(verdict.get("reason") or "")
    translations = verdict.get("translations")
    own = translations.get(words.language) if isinstance(translations, dict) else None
    if isinstance(own, dict) and isinstance(own.get("headline"), str):
        return own["headline"], str(own.get("reason") or "")
    headline = words.gettext(HEADLINES.get(status, HEADLINES["invalid"]))
    code = verdict.get("code") if isinstance(verdict.get("code"), str) else None
    return headline, shown_text(str(verdict.get("reason") or ""), words, code=code, status=status) if code else ""


def certificate_content(item: WalletItem, link: str, *, max_qr_mm: float = MAX_QR_MM,
                        language: str | None = None) -> CertificateContent:
    """The certificate of ``item`` whose QR code holds ``link`` (a link-mode URL or a short link), in the
    credential's language (:func:`certificate_language`) unless ``language`` names another one omc-vc speaks.

    Raises QR_TOO_LARGE when the code would be wider than ``max_qr_mm`` (suggesting short mode).
    """
    drawn = qr.symbol(link)
    if drawn.printed_mm > max_qr_mm:
        raise QrError(Message("this credential's QR code would be {width} mm wide (version {version}), more than a "
                              "one-page certificate holds ({limit} mm); use short mode (--mode short)",
                              width=format(drawn.printed_mm, "g"), version=str(drawn.version),
                              limit=format(max_qr_mm, "g")),
                      code="QR_TOO_LARGE", version=drawn.version)
    own, tag = certificate_language(item.document)
    chosen = language_of_tag(language) or own
    words = translator(chosen)
    lang = tag if chosen == own and chosen != DEFAULT_LANGUAGE else words.tag if chosen != DEFAULT_LANGUAGE else "en"
    facts = item.facts()
    verdict = item.verdict
    status = str(verdict.get("status") or "invalid")
    institution = _t(facts["institution"], 200)
    if not facts["institutionConfirmed"]:
        institution = words.tr("{institution} (as the credential names it; not confirmed by a registry)",
                               institution=institution)
    subject = next((s for s in as_list(item.document.get("credentialSubject")) if isinstance(s, dict)), {})
    found = subject.get("achievement")
    achievement: dict[str, Any] = found if isinstance(found, dict) else {}
    credits = achievement.get("creditsAvailable")
    mode = facts["deliveryMode"]
    values: dict[str, Any] = {
        "hours": _number(facts["hours"], words), "category": facts["category"],
        "credits": words.quantity(credits, achievement.get("creditUnit") if isinstance(
            achievement.get("creditUnit"), str) else None) if isinstance(credits, int | float)
        and not isinstance(credits, bool) else facts["credits"],
        "result": facts["result"], "completed": _day(facts["completed"], words), "issued": _day(facts["issued"], words),
        "validUntil": _day(facts["validUntil"], words),
        "deliveryMode": words.gettext(_MODES[mode]) if isinstance(mode, str) and mode in _MODES else mode,
        "weeks": _number(facts["weeks"], words), "humanCode": facts["humanCode"], "cip": facts["cip"],
        "noc": facts["noc"], "assessment": facts["assessment"], "credentialId": facts["credentialId"] or item.id,
    }
    shown = [(words.gettext(label), _t(values[key])) for key, label in _LABELS.items()
             if values[key] not in (None, "")]
    headline, reason = _verdict_text(verdict, status, words)
    lines = [_t(headline, 200)]
    lines += [words.gettext(sentence) for key, sentence in _STATES if verdict.get(key)]
    if reason and _t(reason, 400) not in lines:
        lines.append(_t(reason, 400))
    lines.append(words.tr("Checked {when}. Scan the code for the verdict today.",
                          when=_checked(verdict.get("checkedAt"), words)))
    parts = urlsplit(link)
    host = _t(parts.netloc, 120)
    caption = words.tr("Scan with a phone camera to verify this credential at {host}.", host=host)
    try:
        qr.check_verifier_url(f"{parts.scheme}://{parts.netloc}")
    except QrError:  # a demo's loopback or private verifier: the certificate says so, in words
        caption = words.tr("DEMO: this code opens {host}, a verifier on this computer or its local network only; no "
                           "employer's phone can open it.", host=host)
    learner = facts["learner"] or facts["subject"]
    short = link if drawn.profile.mode == "short" else None
    return CertificateContent(
        kicker=words.gettext(_KICKER.get(status, _KICKER_OTHER)),
        achievement=_t(item.name, 200),
        learner=_t(learner or words.gettext("(the credential names no learner)"), 200),
        institution=institution,
        description=_t(facts["description"], _DESCRIPTION_LIMIT),
        facts=shown,
        targets=[_target_line(t, words) for t in facts["stacksInto"][:_TARGET_LIMIT]],
        verdict_word=words.gettext(_VERDICT_WORD.get(status, _VERDICT_WORD["invalid"])),
        verdict_status=status,
        verdict_lines=lines,
        qr_caption=caption,
        qr_alt=words.tr("QR code: a link to the verifier at {host} that checks this credential", host=host),
        qr=drawn,
        short_url=_t(short, 300) if short else None,
        lang=lang,
        words=words,
    )


# --- HTML -------------------------------------------------------------------------------------------------

_CSS: Final = """
:root { --ink: #1a1a1a; --muted: #4a4a4a; --rule: #c8c8c8; --ok: #0b5d1e; --bad: #9b1111; --warn: #6b4a00; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; padding: 16px; color: var(--ink); background: #fff;
  font: 16px/1.45 "Source Sans Pro", "Segoe UI", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 182mm; margin: 0 auto; }
.kicker { margin: 0; font-size: .85rem; letter-spacing: .08em; text-transform: uppercase; color: var(--muted); }
h1 { margin: .1rem 0 .4rem; font: 700 1.9rem/1.15 Georgia, "Times New Roman", serif; }
.awarded { margin: 0; color: var(--muted); }
.learner { margin: .1rem 0 .3rem; font: 700 1.5rem/1.2 Georgia, "Times New Roman", serif; }
.institution { margin: 0 0 .6rem; font-size: 1.05rem; }
.description { margin: 0 0 .8rem; }
h2 { margin: .9rem 0 .3rem; font-size: 1rem; border-bottom: 1px solid var(--rule); padding-bottom: 2px; }
dl.facts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: .15rem 1.2rem; margin: 0; }
dl.facts div { display: flex; gap: .5rem; min-width: 0; }
dl.facts dt { flex: 0 0 9.5rem; color: var(--muted); }
dl.facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
ul.targets { margin: 0; padding-left: 1.2rem; }
.bottom { display: flex; gap: 1rem; align-items: flex-start; margin-top: .8rem; }
.verdict { flex: 1 1 0; min-width: 0; border: 2px solid var(--rule); border-radius: 6px; padding: .5rem .7rem; }
.verdict p { margin: .2rem 0; }
.verdict .word { font-weight: 700; letter-spacing: .04em; }
.verdict.valid-omc, .verdict.valid-omc-plus { border-color: var(--ok); } .valid-omc .word, .valid-omc-plus .word
{ color: var(--ok); }
.verdict.valid-not-omc { border-color: var(--warn); } .valid-not-omc .word { color: var(--warn); }
.verdict.invalid { border-color: var(--bad); } .invalid .word { color: var(--bad); }
figure.qr { margin: 0; flex: 0 0 auto; text-align: center; }
figure.qr svg { display: block; width: min(var(--qr), 100%); height: auto; }
figure.qr figcaption { font-size: .8rem; color: var(--muted); max-width: var(--qr); overflow-wrap: anywhere; }
@media (max-width: 700px) {
  body { padding: 12px; } h1 { font-size: 1.5rem; } .learner { font-size: 1.25rem; }
  dl.facts { grid-template-columns: 1fr; } dl.facts dt { flex-basis: 8.5rem; }
  .bottom { flex-direction: column; } figure.qr { align-self: center; }
}
@page { size: auto; margin: 10mm 12mm; }
@media print {
  body { padding: 0; font-size: 8.5pt; line-height: 1.3; } main { max-width: none; }
  .kicker { font-size: 7.5pt; } h1 { font-size: 16pt; margin: 0 0 1mm; } .learner { font-size: 13pt; margin: 0; }
  .institution { margin-bottom: 1.5mm; } .description { margin-bottom: 1.5mm; }
  h2 { font-size: 9pt; margin: 2mm 0 1mm; }
  dl.facts { gap: 0 6mm; } dl.facts dt { flex-basis: 30mm; }
  .bottom { break-inside: avoid; page-break-inside: avoid; margin-top: 3mm; gap: 5mm; }
  .verdict p { margin: 1mm 0; }
  figure.qr svg { width: var(--qr); height: var(--qr); }
  .verdict { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def certificate_html(item: WalletItem, link: str, *, max_qr_mm: float = MAX_QR_MM,
                     language: str | None = None) -> str:
    """A self-contained one-page HTML certificate with the QR code inline (SVG): no external resources; in the
    credential's language (``language``: another one omc-vc speaks)."""
    c = certificate_content(item, link, max_qr_mm=max_qr_mm, language=language)
    e = html.escape
    w = c.words
    # our words, outside the f-strings below (the catalog's extraction reads calls, not f-string expressions)
    said = {"targets": w.gettext("Counts toward (OMC+)"), "awarded": w.gettext("Awarded to"),
            "by": w.tr("by {institution}", institution=c.institution), "details": w.gettext("Details"),
            "verdict": w.gettext("Verification when exported:"),
            "version": w.tr("(QR version {version})", version=str(c.qr.version))}
    facts = "\n".join(f"<div><dt>{e(label)}</dt><dd>{e(value)}</dd></div>" for label, value in c.facts)
    targets = ""
    if c.targets:
        items = "".join(f"<li>{e(t)}</li>" for t in c.targets)
        targets = f'<section aria-labelledby="h-targets"><h2 id="h-targets">{e(said["targets"])}' \
                  f'</h2><ul class="targets">{items}</ul></section>'
    verdict_lines = "".join(f"<p>{e(line)}</p>" for line in c.verdict_lines)
    short = f"<br>{e(c.short_url)}" if c.short_url else ""
    svg = c.qr.svg(width="100%", title=c.qr_alt)
    return f"""<!DOCTYPE html>
<html lang="{e(c.lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{e(c.achievement)}: {e(c.learner)}</title>
<style>{_CSS}</style></head>
<body><main>
<header>
<p class="kicker">{e(c.kicker)}</p>
<h1>{e(c.achievement)}</h1>
<p class="awarded">{e(said["awarded"])}</p>
<p class="learner">{e(c.learner)}</p>
<p class="institution">{e(said["by"])}</p>
</header>
<p class="description">{e(c.description)}</p>
<section aria-labelledby="h-facts"><h2 id="h-facts">{e(said["details"])}</h2>
<dl class="facts">
{facts}
</dl></section>
{targets}
<div class="bottom">
<section class="verdict {e(c.verdict_status)}" aria-labelledby="h-verdict">
<h2 id="h-verdict">{e(said["verdict"])} <span class="word">{e(c.verdict_word)}</span></h2>
{verdict_lines}
</section>
<figure class="qr" style="--qr: {c.qr.printed_mm:g}mm">{svg}
<figcaption>{e(c.qr_caption)} {e(said["version"])}{short}</figcaption></figure>
</div>
</main></body></html>
"""


# --- PDF --------------------------------------------------------------------------------------------------

#: Unicode TrueType fonts looked for, regular and bold (Debian/Ubuntu, Fedora, macOS, Windows).
_FONT_CANDIDATES: Final = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial.ttf", "/System/Library/Fonts/Supplemental/Arial Bold.ttf"),
    ("/Library/Fonts/Arial.ttf", "/Library/Fonts/Arial Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
)


def _unicode_font() -> tuple[Path, Path] | None:
    for regular, bold in _FONT_CANDIDATES:
        if Path(regular).is_file() and Path(bold).is_file():
            return Path(regular), Path(bold)
    return None


def _latin1(text: str) -> str:
    """Text the standard Helvetica can show (Latin-1): accents kept where Latin-1 has them, else dropped."""
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256 and not unicodedata.combining(c))
        out.append(base or {"\u2014": "-", "\u2013": "-", "\u2019": "'", "\u2018": "'", "\u201c": '"',
                            "\u201d": '"', "\u2026": "..."}.get(char, "?"))
    return "".join(out)


def _lines(pdf: Any, w: float, h: float, value: str) -> list[str]:
    """How fpdf2 would wrap ``value`` in a cell ``w`` wide (nothing drawn)."""
    found = pdf.multi_cell(w, h, value, dry_run=True, output="LINES")
    return [str(line) for line in found]


_COLOURS: Final = {"valid-omc": (11, 93, 30), "valid-omc-plus": (11, 93, 30), "valid-not-omc": (107, 74, 0),
                   "invalid": (155, 17, 17)}


def certificate_pdf(item: WalletItem, link: str, out: Path, *, paper: Paper = "letter",
                    max_qr_mm: float = MAX_QR_MM, language: str | None = None) -> list[str]:
    """Write a one-page PDF certificate to ``out`` (atomically), in the credential's language (``language``:
    another one omc-vc speaks). Returns notes for the person (e.g. a font fallback), empty when there is nothing
    to say."""
    from fpdf import FPDF

    c = certificate_content(item, link, max_qr_mm=max_qr_mm, language=language)
    w = c.words
    notes = list(c.notes)
    width, height = PAPERS[paper]
    pdf = FPDF(orientation="portrait", unit="mm", format=(width, height))
    pdf.set_auto_page_break(False)
    margin = 14.0
    pdf.set_margins(margin, 12.0, margin)
    fonts = _unicode_font()
    text: Callable[[str], str] = str
    if fonts is not None:
        pdf.add_font("body", "", str(fonts[0]))
        pdf.add_font("body", "B", str(fonts[1]))
        family = "body"
    else:
        family = "helvetica"
        notes.append("no Unicode font was found on this system: the PDF uses Helvetica, and characters outside "
                     "Latin-1 are shown without their accents or as '?'; the HTML certificate shows them all")
        text = _latin1
    pdf.set_title(text(f"{c.achievement}: {c.learner}"))
    pdf.set_author(text(c.institution))
    pdf.set_subject(text(w.tr("{kind} certificate", kind=c.kicker)))
    pdf.set_creator("omc-vc")
    pdf.set_lang(c.lang)
    pdf.add_page()
    content_w = width - 2 * margin
    ink, muted = (26, 26, 26), (74, 74, 74)

    def write(value: str, size: float, *, bold: bool = False, colour: tuple[int, int, int] = ink,
              w: float = content_w, line: float = 1.3, max_lines: int | None = None, x: float | None = None) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.set_text_color(*colour)
        if x is not None:
            pdf.set_x(x)
        value = text(value)
        if max_lines is not None:
            lines = _lines(pdf, w, size * line * 0.3528, value)
            if len(lines) > max_lines:
                value = " ".join(lines[:max_lines])
                while value and len(_lines(pdf, w, size * line * 0.3528, value + "...")) > max_lines:
                    value = value[:-8]
                value += "..."
        pdf.multi_cell(w, size * line * 0.3528, value, new_x="LMARGIN", new_y="NEXT", align="L")

    write(c.kicker.upper(), 9, colour=muted)
    write(c.achievement, 20, bold=True, line=1.15, max_lines=2)
    pdf.ln(1)
    write(w.gettext("Awarded to"), 10, colour=muted)
    write(c.learner, 16, bold=True, line=1.2, max_lines=2)
    write(w.tr("by {institution}", institution=c.institution), 11, max_lines=2)
    pdf.ln(2)
    write(c.description, 9.5, max_lines=5)
    pdf.ln(2)

    def heading(label: str) -> None:
        write(label, 10.5, bold=True)
        y = pdf.get_y()
        pdf.set_draw_color(200, 200, 200)
        pdf.line(margin, y, width - margin, y)
        pdf.ln(1)

    heading(w.gettext("Details"))
    col_w = (content_w - 6) / 2
    label_w = 33.0
    rows = c.facts
    half = (len(rows) + 1) // 2
    top = pdf.get_y()
    bottoms = []
    for column, chunk in enumerate((rows[:half], rows[half:])):
        pdf.set_y(top)
        x0 = margin + column * (col_w + 6)
        y = top
        for label, value in chunk:
            pdf.set_font(family, "", 8.5)
            label_lines = _lines(pdf, label_w - 1, 3.9, text(label))
            value_lines = _lines(pdf, col_w - label_w, 3.9, text(value))[:3]
            pdf.set_xy(x0, y)
            pdf.set_text_color(*muted)
            pdf.multi_cell(label_w - 1, 3.9, "\n".join(label_lines), align="L")
            pdf.set_xy(x0 + label_w, y)
            pdf.set_text_color(*ink)
            pdf.multi_cell(col_w - label_w, 3.9, "\n".join(value_lines), align="L")
            y += 3.9 * max(len(label_lines), len(value_lines), 1) + 0.6
        bottoms.append(y)
    pdf.set_y(max(bottoms) + 1)
    if c.targets:
        heading(w.gettext("Counts toward (OMC+)"))
        for target in c.targets:
            write(f"- {target}", 9, max_lines=2)
    # the bottom band: the verdict beside the QR code, both at the foot of the page
    qr_mm = c.qr.printed_mm
    caption_h = 9.0
    qr_top = height - 10.0 - caption_h - qr_mm
    if pdf.get_y() + 2 > qr_top:
        # the text ran long: its end is cut rather than spilling onto a second page or over the code
        pdf.set_fill_color(255, 255, 255)
        pdf.rect(0, qr_top - 2, width, height - qr_top + 2, style="F")
        notes.append("the certificate's text was shortened to keep it on one page")
    qr_x = width - margin - qr_mm
    pdf.image(io.BytesIO(c.qr.svg().encode("utf-8")), x=qr_x, y=qr_top, w=qr_mm, h=qr_mm, alt_text=text(c.qr_alt))
    pdf.set_xy(qr_x, qr_top + qr_mm + 0.5)
    pdf.set_font(family, "", 7.5)
    pdf.set_text_color(*muted)
    version = w.tr("(QR version {version})", version=str(c.qr.version))
    caption = f"{c.qr_caption} {version}" + (f" {c.short_url}" if c.short_url else "")
    pdf.multi_cell(qr_mm, 3.2, text(caption), align="C")
    box_w = content_w - qr_mm - 6
    colour = _COLOURS.get(c.verdict_status, _COLOURS["invalid"])
    inner = margin + 3
    pdf.set_xy(inner, qr_top + 4)
    pdf.set_font(family, "B", 10.5)
    pdf.set_text_color(*ink)
    pdf.multi_cell(box_w - 6, 4.6, text(w.gettext("Verification when exported:")), new_x="LMARGIN", new_y="NEXT",
                   align="L")
    pdf.set_x(inner)
    pdf.set_font(family, "B", 13)
    pdf.set_text_color(*colour)
    pdf.multi_cell(box_w - 6, 6, text(c.verdict_word), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(*ink)
    for line in c.verdict_lines:
        pdf.set_x(inner)
        pdf.set_font(family, "", 9)
        lines = _lines(pdf, box_w - 6, 4.2, text(line))
        pdf.multi_cell(box_w - 6, 4.2, "\n".join(lines[:6]), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(0.8)
    box_bottom = max(pdf.get_y() + 3, qr_top + 40)
    pdf.set_draw_color(*colour)
    pdf.set_line_width(0.6)
    pdf.rect(margin, qr_top, box_w, box_bottom - qr_top)
    atomic.write_bytes(out, bytes(pdf.output()))
    return notes
