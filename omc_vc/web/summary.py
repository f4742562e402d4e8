"""What the employer's page shows: the verdict plus the facts of the credential, as plain JSON.

Everything here reads an already verified (or already rejected) result; nothing decides. The verdict
comes from :func:`omc_vc.verdict.verdict_of` (never "OMC" without the registry's word).

This is the page's one output boundary (DESIGN decision 16): every string it carries that a document
could have written (names, dates as written, check details, warnings, the verdict's reason) is made inert
here (:func:`omc_vc._internal.inert.inert`: no control, escape or bidirectional formatting character, one
line, bounded), and the page's script renders it with ``textContent``, never as HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from omc_vc._internal.inert import inert
from omc_vc._internal.timeutil import format_datetime, parse_datetime
from omc_vc.errors import MalformedValueError
from omc_vc.model import VerificationResult, as_list, types
from omc_vc.verdict import verdict_of

MAX_TEXT = 300
#: A check's detail or a warning: our sentence with the document text it quotes.
MAX_DETAIL = 1000

#: Every word the page's results show that is not a document's or the verdict's own (the page's fixed words live
#: in templates/index.html): labels, units, month names, the registry note. One table, so that a translation
#: replaces it whole.
TEXT: dict[str, str] = {
    # facts of a credential, in the order shown
    "institution": "Institution (as the ministry's registry records it)",
    "issuerName": "Issuer (as the credential names it)",
    "learner": "Learner",
    "achievement": "Achievement",
    "description": "Description",
    "result": "Result",
    "completed": "Completed",
    "instructionalHours": "Instructional hours",
    "duration": "Duration",
    "qualificationCategory": "Qualification category",
    "deliveryMode": "Delivery mode",
    "credits": "Credits",
    "endorsements": "Endorsed by",
    "issued": "Issued",
    "validUntil": "Valid until",
    "issuerId": "Issuer's identifier (DID)",
    "credentialId": "Credential's identifier",
    # the check itself
    "checkedAt": "Checked on",
    "ministry": "Registry published by",
    "registryName": "Registry of authorized issuers",
    "registryVersion": "Registry version",
    "registryPublished": "Registry published",
    "registryValidUntil": "Registry valid until",
    "registryIssuer": "Ministry's identifier (DID)",
    "registryNone": "None configured: no OMC verdict was given, and the issuer was not checked against the "
                    "ministry's registry of authorized issuers.",
    "registryUnavailable": "The ministry's registry could not be read, so no credential can be confirmed as an "
                           "OMC right now.",
    "registry": "Ministry's registry",
    # input that is not a credential at all (the reason says what was expected)
    "unreadableHeadline": "This is not something this page can check",
    # OMC+ targets
    "targetAwardedBy": "awarded by {institution}",
    "targetCredit": "{credits} toward the {required} required",
    "targetCreditOnly": "{credits}",
    "targetFallback": "a larger credential",
    # time
    "at": "{date} at {time}",
    "am": "a.m.",
    "pm": "p.m.",
    "months": "January February March April May June July August September October November December",
    # delivery modes the OMC vocabulary names (others are shown as written)
    "mode:online": "Online",
    "mode:in-person": "In person",
    "mode:hybrid": "Hybrid (online and in person)",
}

#: Counted words: (one, many). A unit a document writes that is not here is shown as written.
UNITS: dict[str, tuple[str, str]] = {
    "credit": ("credit", "credits"),
    "hour": ("hour", "hours"),
    "week": ("week", "weeks"),
    "course credit": ("course credit", "course credits"),
    "credential": ("credential", "credentials"),
}
_UNIT_OF = {form: forms for forms in UNITS.values() for form in forms}


def _ontario_zone() -> tzinfo:
    """Ontario's time (America/Toronto), from the system's time zone database; UTC where it has none."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/Toronto")
    except (ImportError, KeyError, OSError, ValueError):  # zoneinfo.ZoneInfoNotFoundError is a KeyError
        return UTC


ONTARIO = _ontario_zone()


def counted(number: float | int, unit: str | None) -> str:
    """``3 credits``, ``1 credit``, ``0.5 credits``: the number and the unit in the form the number takes (en-CA:
    singular for exactly one); a unit not in :data:`UNITS` as the document wrote it."""
    shown = f"{number:g}" if isinstance(number, float) else str(number)
    if not unit:
        return shown
    forms = _UNIT_OF.get(unit.strip().lower())
    word = unit if forms is None else forms[0] if number == 1 else forms[1]
    return f"{shown} {word}"


def human_date(moment: datetime) -> str:
    """``December 7, 2026``: the date in Ontario (en-CA long form)."""
    local = moment.astimezone(ONTARIO)
    return f"{TEXT['months'].split()[local.month - 1]} {local.day}, {local.year}"


def human_time(moment: datetime) -> str:
    """``December 7, 2026 at 9:22 a.m. EST``: the moment in Ontario's time, with its zone's abbreviation."""
    local = moment.astimezone(ONTARIO)
    hour = local.hour % 12 or 12
    clock = f"{hour}:{local.minute:02d} {TEXT['am'] if local.hour < 12 else TEXT['pm']} {local.tzname() or ''}"
    return TEXT["at"].format(date=human_date(moment), time=clock.strip())


def _date_text(value: str | None) -> str | None:
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
        return f"{TEXT['months'].split()[utc.month - 1]} {utc.day}, {utc.year}"
    return human_date(moment)


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


_ISO_DATE = re.compile(r"\b(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b(?![T:\d])")


def readable_dates(text: str) -> str:
    """Our sentences' calendar dates (``issued on 2026-11-27``) as a person in Ontario reads them (``November 27,
    2026``); a date-time (``...T...``) is left as written."""
    months = TEXT["months"].split()
    return _ISO_DATE.sub(lambda m: f"{months[int(m.group(2)) - 1]} {int(m.group(3))}, {m.group(1)}", text)


def _readable_verdict(verdict: dict[str, Any]) -> dict[str, Any]:
    out = {**verdict, "reason": readable_dates(verdict.get("reason") or "")}
    if isinstance(verdict.get("warnings"), list):
        out["warnings"] = [readable_dates(w) for w in verdict["warnings"] if isinstance(w, str)]
    if isinstance(verdict.get("credentials"), list):
        out["credentials"] = [_readable_verdict(v) for v in verdict["credentials"] if isinstance(v, dict)]
    if isinstance(verdict.get("presentation"), list):
        out["presentation"] = [{**c, "detail": readable_dates(c.get("detail") or "")} for c in verdict["presentation"]
                               if isinstance(c, dict)]
    return out


def verdict_json(result: VerificationResult) -> dict[str, Any]:
    """The verdict as JSON: {status, headline, reason, institution} (``omc_vc.verdict.verdict_of``, which makes
    the reason, the institution and the warnings inert and takes the headline from its own constants), its dates
    in words (:func:`readable_dates`)."""
    return _readable_verdict(verdict_of(result).to_json())


def _endorsed_by(result: VerificationResult) -> list[str]:
    """The endorsers the verifier checked (``details["omc"]["endorsedBy"]``: the registry's name of a
    registered endorser, else the document's name marked self-declared), never the names documents write:
    an endorsement that does not verify or is not bound to this credential is not listed."""
    source = result.credentials[0] if result.kind == "presentation" and result.credentials else result
    facts = source.details.get("omc")
    entries = facts.get("endorsedBy") if isinstance(facts, dict) else None
    names = [_text(entry.get("name")) for entry in as_list(entries) if isinstance(entry, dict)]
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
    """Learner, achievement, hours, category, credits, OMC+ targets, issue date (endorsers: page_result)."""
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


def display_facts(summary: dict[str, Any], institution: str | None) -> list[dict[str, Any]]:
    """The facts a person reads, in order: ``{key, label, value}`` with our labels, dates in Ontario's long form and
    counted units (``3 credits``). Identifiers (DIDs, URNs) come last and are marked ``long`` (the page wraps them
    anywhere). Facts the credential does not state are left out."""
    facts: list[dict[str, Any]] = []

    def add(key: str, value: Any, *, long: bool = False) -> None:
        if value is None or value == "" or value == []:
            return
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        facts.append({"key": key, "label": TEXT[key], "value": text, **({"long": True} if long else {})})

    add("institution", institution)
    add("issuerName", summary.get("issuerName"))
    add("learner", summary.get("learner"))
    add("achievement", summary.get("achievement") or summary.get("credentialName"))
    add("description", summary.get("description"))
    results = summary.get("result")
    add("result", "; ".join(results) if results else None)
    add("completed", _date_text(summary.get("completed")))
    hours = summary.get("instructionalHours")
    add("instructionalHours", None if hours is None else f"{hours:g}" if isinstance(hours, float) else hours)
    weeks = summary.get("durationWeeks")
    add("duration", None if weeks is None else counted(weeks, "week"))
    add("qualificationCategory", summary.get("qualificationCategory"))
    mode = summary.get("deliveryMode")
    add("deliveryMode", TEXT.get(f"mode:{mode}", mode) if isinstance(mode, str) else None)
    credits = summary.get("credits")
    add("credits", None if credits is None else counted(credits, summary.get("creditUnit") or "credit"))
    add("endorsements", summary.get("endorsements"))
    add("issued", _date_text(summary.get("issued")))
    add("validUntil", _date_text(summary.get("validUntil")))
    add("issuerId", summary.get("issuerId"), long=True)
    add("credentialId", summary.get("credentialId"), long=True)
    return facts


def display_targets(summary: dict[str, Any]) -> list[dict[str, str | None]]:
    """The OMC+ targets as ``{name, awardedBy, credit}`` sentences' parts (``3 credits toward the 12 required``)."""
    out: list[dict[str, str | None]] = []
    for target in summary.get("stacksInto") or []:
        value, required, unit = target.get("creditValue"), target.get("creditRequired"), target.get("creditUnit")
        credit = None
        if value is not None:
            credits = counted(value, unit or "credit")
            credit = TEXT["targetCredit"].format(credits=credits, required=counted(required, None)) \
                if required else TEXT["targetCreditOnly"].format(credits=credits)
        awarded = target.get("awardingInstitution")
        out.append({"name": target.get("name") or target.get("id") or TEXT["targetFallback"],
                    "awardedBy": TEXT["targetAwardedBy"].format(institution=awarded) if awarded else None,
                    "credit": credit})
    return out


@dataclass(frozen=True)
class PageContext:
    """What the page says about the check itself: when it ran, against which registry (None: plain mode, no
    registry configured), whether the registry could be read, and whether the service runs in demo mode."""

    checked_at: datetime
    registry: dict[str, Any] | None = None
    registry_configured: bool = False
    demo: bool = False


def registry_facts(context: PageContext) -> list[dict[str, Any]]:
    """``{key, label, value}`` about the check: the time, and the registry's publisher, version and dates."""
    facts: list[dict[str, Any]] = [{"key": "checkedAt", "label": TEXT["checkedAt"],
                                    "value": human_time(context.checked_at)}]
    registry = context.registry
    if not context.registry_configured:
        facts.append({"key": "registry", "label": TEXT["registry"], "value": TEXT["registryNone"]})
        return facts
    if registry is None:
        facts.append({"key": "registry", "label": TEXT["registry"], "value": TEXT["registryUnavailable"]})
        return facts

    def add(key: str, value: Any, *, long: bool = False) -> None:
        if value is not None and value != "":
            facts.append({"key": key, "label": TEXT[key], "value": str(value), **({"long": True} if long else {})})

    add("ministry", registry.get("ministry"))
    add("registryName", registry.get("name"))
    add("registryVersion", registry.get("version"))
    add("registryPublished", _date_text(registry.get("validFrom")))
    add("registryValidUntil", _date_text(registry.get("validUntil")))
    add("registryIssuer", registry.get("issuer"), long=True)
    return facts


def with_context(out: dict[str, Any], context: PageContext) -> dict[str, Any]:
    """A page result with the check's own facts: ``checkedAt`` (RFC 3339), ``demo``, and ``about`` (the time and
    the registry as facts to show: :func:`registry_facts`)."""
    registry = context.registry
    return {**out, "checkedAt": format_datetime(context.checked_at), "demo": context.demo,
            "registry": None if registry is None else {k: registry[k] for k in (
                "id", "version", "validFrom", "validUntil", "issuer", "name", "ministry") if k in registry},
            "about": registry_facts(context)}


def page_result(result: VerificationResult) -> dict[str, Any]:
    """The JSON the verifier page renders: verdict, facts, and every check (of embedded credentials too).

    A presentation also gets ``credentials``: one card per embedded credential (its own verdict, from the
    presentation verdict's ``credentials``, its facts and its checks); its top-level ``summary`` carries the
    facts of a lone credential only, never the first of several as if it were all of them.
    """
    document = result.document
    shown = document
    checks = [_check(c.to_json()) for c in result.checks]
    verdict = verdict_json(result)
    if result.kind == "unknown" and [c.name for c in result.checks] == ["parse"]:
        # nothing was read as a credential: not a verdict on one (a pasted note, a web page, a broken link)
        verdict = {**verdict, "status": UNREADABLE_STATUS, "headline": TEXT["unreadableHeadline"]}
    out: dict[str, Any] = {}
    if result.kind == "presentation":
        shown = result.credentials[0].document if len(result.credentials) == 1 else None
        verdicts = verdict.get("credentials") or []
        cards = []
        for index, sub in enumerate(result.credentials):
            checks.extend(_check({**c.to_json(), "name": f"credential {index + 1}: {c.name}"}) for c in sub.checks)
            card_verdict = verdicts[index] if index < len(verdicts) else verdict_json(sub)
            card_summary = {**credential_summary(sub.document), "endorsements": _endorsed_by(sub)}
            cards.append({"verified": sub.verified, "verdict": card_verdict, "summary": card_summary,
                          "facts": display_facts(card_summary, card_verdict.get("institution")),
                          "targets": display_targets(card_summary),
                          "checks": [_check(c.to_json()) for c in sub.checks]})
        out["credentials"] = cards
    summary = {**credential_summary(shown), "endorsements": _endorsed_by(result) if shown is not None else []}
    several = result.kind == "presentation" and len(result.credentials) > 1
    return {
        "verified": result.verified,
        "kind": result.kind,
        "format": result.format,
        "verdict": verdict,
        "summary": summary,
        "facts": display_facts(summary, None if several else verdict.get("institution")),
        "targets": display_targets(summary),
        **out,
        "checks": checks,
        "warnings": [inert(w.get("detail"), limit=MAX_DETAIL) for w in result.warnings],
    }


#: The page's status for input that could not be read as a credential at all (its reason says what was expected).
UNREADABLE_STATUS = "unreadable"

#: The page's answer for a short-mode share that is no longer held (expired or withdrawn): neutral, since the
#: learner chose to stop sharing (or the link's time ran out); nothing about the credential is known or suspect.
SHARE_UNAVAILABLE_STATUS = "share-unavailable"


def share_unavailable() -> dict[str, Any]:
    """The page result for a share this service no longer holds (a distinct status, not ``invalid``)."""
    return {
        "verified": False,
        "kind": "unknown",
        "format": None,
        "verdict": {"status": SHARE_UNAVAILABLE_STATUS, "code": "SHARE_NOT_FOUND",
                    "headline": "This credential is no longer shared",
                    "reason": "The learner no longer shares this credential through this link: the link has "
                              "expired or the learner withdrew it. This says nothing against the credential; "
                              "ask the learner for a new link.",
                    "institution": None},
        "summary": {},
        "facts": [],
        "targets": [],
        "checks": [],
        "warnings": [],
    }


def _check(check: dict[str, Any]) -> dict[str, Any]:
    """A check for the page: its detail quotes documents (an endorser's name, an id), so it is made inert."""
    return {**check, "name": inert(check.get("name"), limit=MAX_TEXT),
            "detail": inert(check.get("detail"), limit=MAX_DETAIL)}
