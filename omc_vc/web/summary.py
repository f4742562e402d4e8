"""What the employer's page shows: the verdict plus the facts of the credential, as plain JSON.

Everything here reads an already verified (or already rejected) result; nothing decides. The verdict
comes from :func:`omc_vc.verdict.verdict_of` (never "OMC" without the registry's word).

This is the page's one output boundary (DESIGN decision 16): every string it carries that a document
could have written (names, dates as written, check details, warnings, the verdict's reason) is made inert
here (:func:`omc_vc._internal.inert.inert`: no control, escape or bidirectional formatting character, one
line, bounded), and the page's script renders it with ``textContent``, never as HTML.
"""

from __future__ import annotations

from typing import Any

from omc_vc._internal.inert import inert
from omc_vc.model import VerificationResult, as_list, types
from omc_vc.verdict import verdict_of

MAX_TEXT = 300
#: A check's detail or a warning: our sentence with the document text it quotes.
MAX_DETAIL = 1000


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


def verdict_json(result: VerificationResult) -> dict[str, Any]:
    """The verdict as JSON: {status, headline, reason, institution} (``omc_vc.verdict.verdict_of``, which makes
    the reason, the institution and the warnings inert and takes the headline from its own constants)."""
    return dict(verdict_of(result).to_json())


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
        "types": [inert(t, limit=MAX_TEXT) for t in types(credential)],
    }


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
    out: dict[str, Any] = {}
    if result.kind == "presentation":
        shown = result.credentials[0].document if len(result.credentials) == 1 else None
        verdicts = verdict.get("credentials") or []
        cards = []
        for index, sub in enumerate(result.credentials):
            checks.extend(_check({**c.to_json(), "name": f"credential {index + 1}: {c.name}"}) for c in sub.checks)
            cards.append({"verified": sub.verified,
                          "verdict": verdicts[index] if index < len(verdicts) else verdict_json(sub),
                          "summary": {**credential_summary(sub.document), "endorsements": _endorsed_by(sub)},
                          "checks": [_check(c.to_json()) for c in sub.checks]})
        out["credentials"] = cards
    return {
        "verified": result.verified,
        "kind": result.kind,
        "format": result.format,
        "verdict": verdict,
        "summary": {**credential_summary(shown), "endorsements": _endorsed_by(result) if shown is not None else []},
        **out,
        "checks": checks,
        "warnings": [inert(w.get("detail"), limit=MAX_DETAIL) for w in result.warnings],
    }


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
        "checks": [],
        "warnings": [],
    }


def _check(check: dict[str, Any]) -> dict[str, Any]:
    """A check for the page: its detail quotes documents (an endorser's name, an id), so it is made inert."""
    return {**check, "name": inert(check.get("name"), limit=MAX_TEXT),
            "detail": inert(check.get("detail"), limit=MAX_DETAIL)}
