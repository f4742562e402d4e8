"""What the employer's page shows: the verdict plus the facts of the credential, as plain JSON, in the reader's words.

Everything here reads an already verified (or already rejected) result; nothing decides. The verdict
comes from :func:`omc_vc.verdict.verdict_of` (never "OMC" without the registry's word).

Every function takes the reader's :class:`~omc_vc.i18n.Translator` (``words``; English by default): our
labels, units, dates (CLDR long form: ``December 7, 2026``, ``7 décembre 2026``), times (``9:22 a.m. EST``,
``9 h 22 HNE``), numbers (``0,5`` in French) and the verdict (:func:`omc_vc.verdict.localized`) are in that
language. A credential's own text (its names, description, result) is shown as issued, with the language it
was issued in (the achievement's OB 3.0 ``inLanguage``) as the fact's ``lang`` (WCAG 2.0 SC 3.1.2, language
of parts), and the name of each other-language edition it names (OB 3.0 ``related`` with ``inLanguage``).

This is the page's one output boundary (DESIGN decision 16): every string it carries that a document
could have written (names, dates as written, check details, warnings, the verdict's reason) is made inert
here (:func:`omc_vc._internal.inert.inert`: no control, escape or bidirectional formatting character, one
line, bounded), and the page's script renders it with ``textContent``, never as HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Final

from omc_vc._internal.inert import inert
from omc_vc._internal.timeutil import format_datetime, parse_datetime
from omc_vc.errors import MalformedValueError
from omc_vc.i18n import N_, Translator, translatable, translator
from omc_vc.model import Check, VerificationResult, as_list, types
from omc_vc.verdict import CHECK_NAMES, localized, shown_text, verdict_of

MAX_TEXT = 300
#: A check's detail or a warning: our sentence with the document text it quotes.
MAX_DETAIL = 1000
#: The words of a reader who chose no language (and of the JSON's English defaults).
ENGLISH: Final = translator("en")

#: Every word the page's results show that is not a document's or the verdict's own (the page's fixed words live
#: in templates/index.html): labels, the registry note, OMC+ targets, delivery modes. One table of English message
#: ids (the French is in the catalog, omc_vc/locale), so that a translation replaces it whole.
TEXT: dict[str, str] = {
    # facts of a credential, in the order shown
    "institution": N_("Institution (as the ministry's registry records it)"),
    "issuerName": N_("Issuer (as the credential names it)"),
    "learner": N_("Learner"),
    "achievement": N_("Achievement"),
    "edition": N_("Name in {language}"),
    "description": N_("Description"),
    "result": N_("Result"),
    "completed": N_("Completed"),
    "instructionalHours": N_("Instructional hours"),
    "duration": N_("Duration"),
    "qualificationCategory": N_("Qualification category"),
    "deliveryMode": N_("Delivery mode"),
    "credits": N_("Credits"),
    "endorsements": N_("Endorsed by"),
    "issued": N_("Issued"),
    "validUntil": N_("Valid until"),
    "issuerId": N_("Issuer's identifier (DID)"),
    "credentialId": N_("Credential's identifier"),
    # the check itself
    "checkedAt": N_("Checked on"),
    "ministry": N_("Registry published by"),
    "registryName": N_("Registry of authorized issuers"),
    "registryVersion": N_("Registry version"),
    "registryPublished": N_("Registry published"),
    "registryValidUntil": N_("Registry valid until"),
    "registryIssuer": N_("Ministry's identifier (DID)"),
    "registryNone": N_("None configured: no OMC verdict was given, and the issuer was not checked against the "
                       "ministry's registry of authorized issuers."),
    "registryUnavailable": N_("The ministry's registry could not be read, so no credential can be confirmed as an "
                              "OMC right now."),
    "registry": N_("Ministry's registry"),
    # input that is not a credential at all (the reason says what was expected)
    "unreadableHeadline": N_("This is not something this page can check"),
    # a share that is no longer held
    "shareHeadline": N_("This credential is no longer shared"),
    "shareReason": N_("The learner no longer shares this credential through this link: the link has expired or the "
                      "learner withdrew it. This says nothing against the credential; ask the learner for a new "
                      "link."),
    # the checks of a presentation's credentials, and a check's detail that is not one of our sentences
    "checkOf": N_("credential {number}: {check}"),
    "checkPassed": N_("This check passed."),
    "checkSkipped": N_("This check was not made."),
    # OMC+ targets
    "targetAwardedBy": N_("awarded by {institution}"),
    "targetCredit": N_("{credits} toward the {required} required"),
    "targetFallback": N_("a larger credential"),
    # time
    "at": N_("{date} at {time}"),
    # delivery modes the OMC vocabulary names (others are shown as written)
    "mode:online": N_("Online"),
    "mode:in-person": N_("In person"),
    "mode:hybrid": N_("Hybrid (online and in person)"),
}

#: A clock time as the locale writes it (CLDR en-CA ``h:mm a``; the Office québécois de la langue française's
#: ``9 h 22``, which CLDR's fr-CA short form writes ``09 h 22``).
_CLOCK: Final = {"en": "h:mm a", "fr": "H 'h' mm"}
#: A BCP 47 language tag as a page's ``lang`` attribute takes it (RFC 5646 §2.1, the usual subset).
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$")


def _ontario_zone() -> tzinfo:
    """Ontario's time (America/Toronto), from the system's time zone database; UTC where it has none."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/Toronto")
    except (ImportError, KeyError, OSError, ValueError):  # zoneinfo.ZoneInfoNotFoundError is a KeyError
        return UTC


ONTARIO = _ontario_zone()


def _number_text(number: float | int, words: Translator) -> str:
    return words.amount(number)  # the locale's decimal sign (fr-CA: 0,5); English as written


def counted(number: float | int, unit: str | None, words: Translator = ENGLISH) -> str:
    """``3 credits``, ``1 credit``, ``0.5 credits`` (``3 crédits``, ``0,5 crédit``): the number in the reader's
    format and the unit in the form the number takes; a unit we do not know is shown as the document wrote it
    (:meth:`omc_vc.i18n.Translator.quantity`)."""
    return words.quantity(number, unit)


def _long_date(day: date, words: Translator) -> str:
    from babel.dates import format_date

    return str(format_date(day, format="long", locale=words.locale))


def human_date(moment: datetime, words: Translator = ENGLISH) -> str:
    """``December 7, 2026`` (``7 décembre 2026``): the date in Ontario, in CLDR's long form of the locale."""
    return _long_date(moment.astimezone(ONTARIO).date(), words)


def human_time(moment: datetime, words: Translator = ENGLISH) -> str:
    """``December 7, 2026 at 9:22 a.m. EST`` (``7 décembre 2026 à 9 h 22 HNE``): the moment in Ontario's time,
    with its zone's abbreviation in the locale (CLDR metazone names)."""
    from babel.dates import format_time, get_timezone_name

    local = moment.astimezone(ONTARIO)
    clock = str(format_time(local, _CLOCK.get(words.language, "short"), locale=words.locale))
    try:
        zone = str(get_timezone_name(local, width="short", locale=words.locale))
    except (LookupError, ValueError):
        zone = local.tzname() or ""
    clock = f"{clock} {zone}".strip()
    return words.tr(TEXT["at"], date=human_date(moment, words), time=clock)


def _date_text(value: str | None, words: Translator = ENGLISH) -> str | None:
    """A document's date as a person reads it: the day in Ontario, except for midnight UTC exactly, which is how a
    calendar date is written as a date-time (OB 3.0 ``activityEndDate`` from a completion date) and stays that
    day; a value that is not a date-time is shown as written."""
    if not value:
        return None
    try:
        moment = parse_datetime(value)
    except MalformedValueError:
        return value
    utc = moment.astimezone(UTC)
    if (utc.hour, utc.minute, utc.second, utc.microsecond) == (0, 0, 0, 0):
        return _long_date(utc.date(), words)
    return human_date(moment, words)


def _text(value: Any) -> str | None:
    """A display string from a string, a language value object or a list of them."""
    for item in as_list(value):
        if isinstance(item, str):
            return inert(item, limit=MAX_TEXT)
        if isinstance(item, dict) and isinstance(item.get("@value"), str):
            return inert(item["@value"], limit=MAX_TEXT)
    return None


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _name_of(value: Any) -> str | None:
    if isinstance(value, str):
        return inert(value, limit=MAX_TEXT)
    if isinstance(value, dict):
        return _text(value.get("name")) or _text(value.get("id"))
    return None


def _lang_tag(value: Any) -> str | None:
    """A document's language tag when it is one a page's ``lang`` attribute can carry, else None."""
    return value if isinstance(value, str) and _LANG_TAG.match(value) else None


_ISO_DATE = re.compile(r"\b(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b(?![T:\d])")


def readable_dates(text: str, words: Translator = ENGLISH) -> str:
    """Our sentences' calendar dates (``issued on 2026-11-27``) as a person in Ontario reads them (``November 27,
    2026``, ``27 novembre 2026``); a date-time (``...T...``) is left as written."""
    def long(found: re.Match[str]) -> str:
        try:
            return _long_date(date(int(found.group(1)), int(found.group(2)), int(found.group(3))), words)
        except ValueError:  # February 30th: not a date, shown as written
            return found.group(0)

    return _ISO_DATE.sub(long, text)


def _readable_verdict(verdict: dict[str, Any], words: Translator) -> dict[str, Any]:
    out = {**verdict, "reason": readable_dates(verdict.get("reason") or "", words)}
    if isinstance(verdict.get("warnings"), list):
        out["warnings"] = [readable_dates(w, words) for w in verdict["warnings"] if isinstance(w, str)]
    if isinstance(verdict.get("credentials"), list):
        out["credentials"] = [_readable_verdict(v, words) for v in verdict["credentials"] if isinstance(v, dict)]
    if isinstance(verdict.get("presentation"), list):
        out["presentation"] = [{**c, "detail": readable_dates(c.get("detail") or "", words)}
                               for c in verdict["presentation"] if isinstance(c, dict)]
    return out


def verdict_json(result: VerificationResult, words: Translator = ENGLISH) -> dict[str, Any]:
    """The verdict as JSON: {status, headline, reason, institution} (``omc_vc.verdict.verdict_of``, which makes
    the reason, the institution and the warnings inert and takes the headline from its own constants) in the
    reader's language (``omc_vc.verdict.localized``: the status and codes are the same in every language), its
    dates in words (:func:`readable_dates`)."""
    return _readable_verdict(localized(verdict_of(result), words.language).to_json(), words)


def _endorsed_by(result: VerificationResult, words: Translator = ENGLISH) -> list[str]:
    """The endorsers the verifier checked (``details["omc"]["endorsedBy"]``: the registry's name of a
    registered endorser, else the document's name marked self-declared, the marking in the reader's words),
    never the names documents write: an endorsement that does not verify or is not bound to this credential is
    not listed."""
    source = result.credentials[0] if result.kind == "presentation" and result.credentials else result
    facts = source.details.get("omc")
    entries = facts.get("endorsedBy") if isinstance(facts, dict) else None
    names = [inert(words.render(entry["name"]), limit=MAX_TEXT) if translatable(entry.get("name"))
             else _text(entry.get("name")) for entry in as_list(entries) if isinstance(entry, dict)]
    return [name for name in names if name][:20]


def _targets(achievement: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for target in as_list(achievement.get("stacksInto"))[:20]:
        if not isinstance(target, dict):
            continue
        out.append({"name": _text(target.get("name")), "id": _text(target.get("id")),
                    "awardingInstitution": _name_of(target.get("awardingInstitution")),
                    "program": _text(target.get("program")),
                    "creditValue": _number(target.get("creditValue")),
                    "creditRequired": _number(target.get("creditRequired")),
                    "creditUnit": _text(target.get("creditUnit"))})
    return out


def _editions(achievement: dict[str, Any]) -> list[dict[str, str]]:
    """The other-language editions the achievement names: OB 3.0 ``related`` entries with an ``inLanguage`` and a
    ``name`` (docs/adr/0017-english-and-french.md), as ``{id, inLanguage, name}``."""
    out = []
    for related in as_list(achievement.get("related"))[:10]:
        if not isinstance(related, dict):
            continue
        tag, name = _lang_tag(related.get("inLanguage")), _text(related.get("name"))
        if tag and name:
            out.append({"id": _text(related.get("id")) or "", "inLanguage": tag, "name": name})
    return out


def _learner(subject: dict[str, Any]) -> str | None:
    name = _text(subject.get("name"))
    if name:
        return name
    for identifier in as_list(subject.get("identifier")):
        if isinstance(identifier, dict) and isinstance(identifier.get("identityHash"), str) and \
                identifier.get("hashed") is not True and identifier.get("identityType") in ("name", "emailAddress",
                                                                                          "studentId", None):
            return inert(identifier["identityHash"], limit=MAX_TEXT)
    return _text(subject.get("id"))


def credential_summary(credential: dict[str, Any] | None) -> dict[str, Any]:
    """Learner, achievement, hours, category, credits, OMC+ targets, issue date, the achievement's language and its
    other-language editions (endorsers: page_result)."""
    if not isinstance(credential, dict):
        return {}
    subject: dict[str, Any] = next((s for s in as_list(credential.get("credentialSubject"))
                                    if isinstance(s, dict)), {})
    found = subject.get("achievement")
    achievement: dict[str, Any] = found if isinstance(found, dict) else {}
    credits = _number(achievement.get("creditsAvailable"))
    earned = _number(subject.get("creditsEarned"))
    return {
        "credentialName": _text(credential.get("name")) or _text(achievement.get("name")),
        "issuerName": _name_of(credential.get("issuer")),
        "issuerId": _text(credential.get("issuer", {}).get("id")) if isinstance(credential.get("issuer"), dict)
        else _text(credential.get("issuer")),
        "learner": _learner(subject),
        "achievement": _text(achievement.get("name")),
        "achievementType": _text(achievement.get("achievementType")),
        "description": _text(achievement.get("description")),
        "inLanguage": _lang_tag(achievement.get("inLanguage")),
        "editions": _editions(achievement),
        "instructionalHours": _number(achievement.get("instructionalHours")),
        "durationWeeks": _number(achievement.get("durationWeeks")),
        "qualificationCategory": _text(achievement.get("qualificationCategory")),
        "deliveryMode": _text(achievement.get("deliveryMode")),
        "credits": earned if earned is not None else credits,
        "creditUnit": _text(achievement.get("creditUnit")),
        "stacksInto": _targets(achievement),
        "issued": _text(credential.get("validFrom")) or _text(credential.get("issuanceDate"))
        or _text(subject.get("awardedDate")),
        "validUntil": _text(credential.get("validUntil")) or _text(credential.get("expirationDate")),
        "completed": _text(subject.get("activityEndDate")),
        "result": _results(subject),
        "credentialId": _text(credential.get("id")),
        "types": [inert(t, limit=MAX_TEXT) for t in types(credential)],
    }


def _results(subject: dict[str, Any]) -> list[str]:
    """OB 3.0 ``AchievementSubject.result`` (a list of ``Result``): each result's value as written."""
    out = []
    for item in as_list(subject.get("result"))[:10]:
        if isinstance(item, dict):
            value = _text(item.get("value"))
            if value:
                out.append(value)
    return out


def _language_name(tag: str, words: Translator) -> str:
    """The name of ``tag``'s language in the reader's language (CLDR: ``French``, ``anglais``), else the tag."""
    from babel import Locale

    primary = tag.split("-")[0].lower()
    return str(Locale.parse(words.locale).languages.get(primary) or tag)


def display_facts(summary: dict[str, Any], institution: str | None,
                  words: Translator = ENGLISH) -> list[dict[str, Any]]:
    """The facts a person reads, in order: ``{key, label, value}`` with our labels in the reader's language, dates
    in Ontario's long form and counted units (``3 credits``, ``3 crédits``). The credential's own words (the
    achievement, its description, the name of its other-language editions) are shown as issued, with their
    language as ``lang``. Identifiers (DIDs, URNs) come last and are marked ``long`` (the page wraps them
    anywhere). Facts the credential does not state are left out."""
    facts: list[dict[str, Any]] = []

    def add(key: str, value: Any, *, long: bool = False, lang: str | None = None, label: str | None = None) -> None:
        if value is None or value == "" or value == []:
            return
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        facts.append({"key": key, "label": label or words.gettext(TEXT[key]), "value": text,
                      **({"long": True} if long else {}), **({"lang": lang} if lang else {})})

    own = summary.get("inLanguage")
    add("institution", institution)
    add("issuerName", summary.get("issuerName"))
    add("learner", summary.get("learner"))
    add("achievement", summary.get("achievement") or summary.get("credentialName"), lang=own)
    for edition in summary.get("editions") or []:
        add(f"edition:{edition['inLanguage']}", edition["name"], lang=edition["inLanguage"],
            label=words.tr(TEXT["edition"], language=_language_name(edition["inLanguage"], words)))
    add("description", summary.get("description"), lang=own)
    results = summary.get("result")
    add("result", "; ".join(results) if results else None)
    add("completed", _date_text(summary.get("completed"), words))
    hours = summary.get("instructionalHours")
    add("instructionalHours", None if hours is None else _number_text(hours, words))
    weeks = summary.get("durationWeeks")
    add("duration", None if weeks is None else counted(weeks, "week", words))
    add("qualificationCategory", summary.get("qualificationCategory"))
    mode = summary.get("deliveryMode")
    known_mode = TEXT.get(f"mode:{mode}") if isinstance(mode, str) else None
    add("deliveryMode", words.gettext(known_mode) if known_mode else mode)
    credits = summary.get("credits")
    add("credits", None if credits is None else counted(credits, summary.get("creditUnit") or "credit", words))
    add("endorsements", summary.get("endorsements"))
    add("issued", _date_text(summary.get("issued"), words))
    add("validUntil", _date_text(summary.get("validUntil"), words))
    add("issuerId", summary.get("issuerId"), long=True)
    add("credentialId", summary.get("credentialId"), long=True)
    return facts


def display_targets(summary: dict[str, Any], words: Translator = ENGLISH) -> list[dict[str, str | None]]:
    """The OMC+ targets as ``{name, awardedBy, credit}`` sentences' parts (``3 credits toward the 12 required``)."""
    out: list[dict[str, str | None]] = []
    for target in summary.get("stacksInto") or []:
        value, required, unit = target.get("creditValue"), target.get("creditRequired"), target.get("creditUnit")
        credit = None
        if value is not None:
            credits = counted(value, unit or "credit", words)
            credit = words.tr(TEXT["targetCredit"], credits=credits, required=_number_text(required, words)) \
                if required else credits
        awarded = target.get("awardingInstitution")
        out.append({"name": target.get("name") or target.get("id") or words.gettext(TEXT["targetFallback"]),
                    "awardedBy": words.tr(TEXT["targetAwardedBy"], institution=awarded) if awarded else None,
                    "credit": credit})
    return out


#: The key of a page result that carries the registry its verdict read (taken out by the service, which shows that
#: registry's facts: the page's facts and its verdict come from the same signed registry).
CHECKED_REGISTRY = "registryChecked"


@dataclass(frozen=True)
class PageContext:
    """What the page says about the check itself: when it ran, against which registry (None: plain mode, no
    registry configured), whether the registry could be read, and whether the service runs in demo mode."""

    checked_at: datetime
    registry: dict[str, Any] | None = None
    registry_configured: bool = False
    demo: bool = False


def registry_facts(context: PageContext, words: Translator = ENGLISH) -> list[dict[str, Any]]:
    """``{key, label, value}`` about the check: the time, and the registry's publisher, version and dates."""
    facts: list[dict[str, Any]] = [{"key": "checkedAt", "label": words.gettext(TEXT["checkedAt"]),
                                    "value": human_time(context.checked_at, words)}]
    registry = context.registry
    if not context.registry_configured or registry is None:
        note = "registryNone" if not context.registry_configured else "registryUnavailable"
        facts.append({"key": "registry", "label": words.gettext(TEXT["registry"]), "value": words.gettext(TEXT[note])})
        return facts

    def add(key: str, value: Any, *, long: bool = False) -> None:
        if value is not None and value != "":
            facts.append({"key": key, "label": words.gettext(TEXT[key]), "value": str(value),
                          **({"long": True} if long else {})})

    add("ministry", registry.get("ministry"))
    add("registryName", registry.get("name"))
    version = registry.get("version")
    number = _number(version)
    add("registryVersion", version if number is None else _number_text(number, words))
    add("registryPublished", _date_text(registry.get("validFrom"), words))
    add("registryValidUntil", _date_text(registry.get("validUntil"), words))
    add("registryIssuer", registry.get("issuer"), long=True)
    return facts


def with_context(out: dict[str, Any], context: PageContext, words: Translator = ENGLISH) -> dict[str, Any]:
    """A page result with the check's own facts: ``checkedAt`` (RFC 3339), ``demo``, ``language`` (the reader's,
    BCP 47) and ``about`` (the time and the registry as facts to show: :func:`registry_facts`)."""
    registry = context.registry
    return {**out, "checkedAt": format_datetime(context.checked_at), "demo": context.demo, "language": words.tag,
            "registry": None if registry is None else {k: registry[k] for k in (
                "id", "version", "validFrom", "validUntil", "issuer", "name", "ministry") if k in registry},
            "about": registry_facts(context, words)}


def page_result(result: VerificationResult, words: Translator = ENGLISH) -> dict[str, Any]:
    """The JSON the verifier page renders: verdict, facts, and every check (of embedded credentials too), in the
    reader's words (``words``: English by default; codes, statuses and keys are the same in every language).

    A presentation also gets ``credentials``: one card per embedded credential (its own verdict, from the
    presentation verdict's ``credentials``, its facts and its checks); its top-level ``summary`` carries the
    facts of a lone credential only, never the first of several as if it were all of them.
    """
    document = result.document
    shown = document
    checks = [_check(c, words) for c in result.checks]
    verdict = verdict_json(result, words)
    if result.kind == "unknown" and [c.name for c in result.checks] == ["parse"]:
        # nothing was read as a credential: not a verdict on one (a pasted note, a web page, a broken link)
        verdict = {**verdict, "status": UNREADABLE_STATUS, "headline": words.gettext(TEXT["unreadableHeadline"])}
    out: dict[str, Any] = {}
    if result.kind == "presentation":
        shown = result.credentials[0].document if len(result.credentials) == 1 else None
        verdicts = verdict.get("credentials") or []
        cards = []
        for index, sub in enumerate(result.credentials):
            checks.extend(_check(c, words, credential=index + 1) for c in sub.checks)
            card_verdict = verdicts[index] if index < len(verdicts) else verdict_json(sub, words)
            card_summary = {**credential_summary(sub.document), "endorsements": _endorsed_by(sub, words)}
            cards.append({"verified": sub.verified, "verdict": card_verdict, "summary": card_summary,
                          "facts": display_facts(card_summary, card_verdict.get("institution"), words),
                          "targets": display_targets(card_summary, words),
                          "checks": [_check(c, words) for c in sub.checks]})
        out["credentials"] = cards
    summary = {**credential_summary(shown), "endorsements": _endorsed_by(result, words) if shown is not None else []}
    several = result.kind == "presentation" and len(result.credentials) > 1
    checked = next((r.details["registry"] for r in (result, *result.credentials) if "registry" in r.details), None)
    if checked is not None:
        out[CHECKED_REGISTRY] = checked
    return {
        "verified": result.verified,
        "kind": result.kind,
        "format": result.format,
        "verdict": verdict,
        "summary": summary,
        "facts": display_facts(summary, None if several else verdict.get("institution"), words),
        "targets": display_targets(summary, words),
        **out,
        "checks": checks,
        "warnings": [inert(readable_dates(shown_text(w.get("detail") or "", words, code=w.get("code")), words),
                           limit=MAX_DETAIL) for w in result.warnings],
    }


#: The page's status for input that could not be read as a credential at all (its reason says what was expected).
UNREADABLE_STATUS = "unreadable"

#: The page's answer for a short-mode share that is no longer held (expired or withdrawn): neutral, since the
#: learner chose to stop sharing (or the link's time ran out); nothing about the credential is known or suspect.
SHARE_UNAVAILABLE_STATUS = "share-unavailable"


def share_unavailable(words: Translator = ENGLISH) -> dict[str, Any]:
    """The page result for a share this service no longer holds (a distinct status, not ``invalid``)."""
    return {
        "verified": False,
        "kind": "unknown",
        "format": None,
        "verdict": {"status": SHARE_UNAVAILABLE_STATUS, "code": "SHARE_NOT_FOUND",
                    "headline": words.gettext(TEXT["shareHeadline"]), "reason": words.gettext(TEXT["shareReason"]),
                    "institution": None},
        "summary": {},
        "facts": [],
        "targets": [],
        "checks": [],
        "warnings": [],
    }


def _check_detail(check: Check, words: Translator) -> str:
    """A check's detail in the reader's language: our sentence translated with its parameters; in another language
    than English, a detail that is not one of our sentences (an error's own words) gives way to our sentence for
    its outcome and code (the English stays in the VC-API's and the CLI's JSON)."""
    if words.language == "en":
        return check.detail
    if translatable(check.detail):
        return words.render(check.detail)
    if check.status == "failed":
        return shown_text(check.detail, words, code=check.code, status="invalid")
    if check.status == "warning":
        return shown_text(check.detail, words, code=check.code)
    return words.gettext(TEXT["checkPassed" if check.status == "passed" else "checkSkipped"])


def _check(check: Check, words: Translator, *, credential: int | None = None) -> dict[str, Any]:
    """A check for the page: its code-like ``name`` (``credential 2: proof`` for a presentation's credential), its
    ``label`` and ``detail`` in the reader's words; the detail quotes documents (an endorser's name, an id), so it
    is made inert."""
    label = words.gettext(CHECK_NAMES[check.name]) if check.name in CHECK_NAMES else check.name
    name = check.name
    if credential is not None:
        name = f"credential {credential}: {check.name}"
        label = words.tr(TEXT["checkOf"], number=credential, check=label)
    return {**check.to_json(), "name": inert(name, limit=MAX_TEXT), "label": inert(label, limit=MAX_TEXT),
            "detail": inert(_check_detail(check, words), limit=MAX_DETAIL)}
