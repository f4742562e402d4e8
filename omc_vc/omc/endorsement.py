"""Endorsements bound to what they endorse, and endorser names that cannot pass for someone else's.

An OB 3.0 EndorsementCredential (§B.1.5) names what it endorses only by ``credentialSubject.id``: the
achievement's URL. That alone lets a private career college keep its partner's endorsement while it
changes the course (same id, other hours or credits) or lets another college copy it. An OMC
endorsement therefore also carries, in its EndorsementSubject, two OMC terms (docs/vocabulary.md):

* ``endorsedIssuer``: the DID of the institution whose OMCs it endorses (the OMC's ``issuer``);
* ``achievementDigest``: :func:`achievement_digest` of the endorsed achievement's defining fields.

:func:`binding_problem` is the one test of both, used at issue time (:func:`~omc_vc.omc.builder.build_omc`)
and by the verifier's ``omc-endorsements`` and ``partnership`` checks.

:func:`endorser_entry` is how an endorser is shown: the registry's legal name when its DID is a
registered DID of an institution when it endorsed; otherwise the document's name, quoted and marked
self-declared, and marked as *not* the ministry or a registered institution when it reads like one.

>>> achievement = {"id": "https://college.example.ca/achievements/weld-101", "name": "Welding",
...                "instructionalHours": 42, "description": "not a defining field"}
>>> digest = achievement_digest(achievement)
>>> digest.startswith("sha256:") and len(digest) == 7 + 64
True
>>> achievement_digest({**achievement, "description": "changed"}) == digest
True
>>> achievement_digest({**achievement, "instructionalHours": 84}) == digest
False
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from omc_vc._internal import jcs
from omc_vc._internal.timeutil import parse_datetime
from omc_vc.errors import OmcVcError
from omc_vc.i18n import Message
from omc_vc.model import as_list, issuer_id
from omc_vc.omc.model import OMC_CONTEXT

if TYPE_CHECKING:
    from omc_vc.registry import RegistryData

__all__ = [
    "ACHIEVEMENT_DIGEST",
    "BINDING_CODE",
    "DIGEST_FIELDS",
    "ENDORSED_ISSUER",
    "achievement_digest",
    "binding_problem",
    "endorser_entry",
    "impersonated_body",
]

#: The EndorsementSubject term naming the institution whose OMCs are endorsed (its DID).
ENDORSED_ISSUER: Final = "endorsedIssuer"
#: The EndorsementSubject term carrying :func:`achievement_digest` of the endorsed achievement.
ACHIEVEMENT_DIGEST: Final = "achievementDigest"
#: The check code of an endorsement that is genuine but not bound to this issuer and achievement.
BINDING_CODE: Final = "ENDORSEMENT_NOT_BOUND"
#: The achievement's defining fields, in the JSON form the credential carries them: what an
#: endorsement vouches for. Any change to one of them changes the digest.
DIGEST_FIELDS: Final = ("id", "name", "instructionalHours", "qualificationCategory", "creditsAvailable",
                        "creditUnit", "stacksInto")
_DIGEST_PREFIX: Final = "sha256:"
_DIGEST: Final = re.compile(r"sha256:[0-9a-f]{64}")


def achievement_digest(achievement: Mapping[str, Any]) -> str:
    """``"sha256:"`` + lowercase hex SHA-256 of the UTF-8 JCS (RFC 8785) text of the defining fields.

    The projection is a JSON object holding, for each name of :data:`DIGEST_FIELDS` present in
    ``achievement``, its value exactly as the credential's ``credentialSubject.achievement`` carries it
    (a StackingTarget list whole: id, creditValue, creditUnit, creditRequired, ... and its type). An
    absent field is left out. Raises MalformedValueError for a value JCS cannot represent (NaN, an
    integer beyond 2**53).
    """
    projection = {name: achievement[name] for name in DIGEST_FIELDS if name in achievement}
    text = jcs.canonicalize(projection)
    return _DIGEST_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def binding_problem(endorsement: Mapping[str, Any], *, issuer: str | None, achievement: Mapping[str, Any] | None,
                    subject_ids: Iterable[str]) -> str | None:
    """Why ``endorsement`` is not bound to this ``issuer`` and ``achievement``, or None when it is.

    One of its EndorsementSubjects whose ``id`` is in ``subject_ids`` (the achievement's id, or for a
    partner also the credential's) must name ``issuer`` as ``endorsedIssuer`` and carry
    ``achievementDigest`` equal to :func:`achievement_digest` of ``achievement``. The endorsement must
    use the OMC context, so that both terms mean what the OMC context (protected) defines.
    """
    wanted = set(subject_ids)
    subjects = [s for s in as_list(endorsement.get("credentialSubject"))
                if isinstance(s, dict) and s.get("id") in wanted]
    if not subjects:
        return "it endorses something other than this credential or its achievement"
    if OMC_CONTEXT not in as_list(endorsement.get("@context")):
        return (f"it does not use the OMC context {OMC_CONTEXT}, so it names no endorsed institution and no "
                "achievement digest")
    if achievement is None:
        return "the credential has no achievement to compare the endorsement's achievement digest with"
    try:
        expected = achievement_digest(achievement)
    except OmcVcError as exc:
        return f"the achievement's defining fields cannot be digested ({exc.detail})"
    problems: list[str] = []
    for subject in subjects:
        named = subject.get(ENDORSED_ISSUER)
        digest = subject.get(ACHIEVEMENT_DIGEST)
        if not isinstance(named, str):
            problems.append(f"it names no endorsed institution ({ENDORSED_ISSUER}): it is not bound to a college")
        elif named != issuer:
            problems.append(f"it endorses the courses of {named}, not of this credential's issuer {issuer}")
        elif not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            problems.append(f"it carries no {ACHIEVEMENT_DIGEST} (sha256:<64 hex>): it is not bound to an achievement")
        elif digest != expected:
            problems.append("it was given for an achievement whose defining fields (name, hours, qualification "
                            "category, credits or OMC+ targets) differ from this credential's")
        else:
            return None
    return problems[0]


# --- endorser names -----------------------------------------------------------------------------------

# Latin look-alikes NFKC leaves alone (Cyrillic and Greek letters of the same shape), folded before comparing.
_CONFUSABLES: Final = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ɡ": "g", "ı": "i", "ℓ": "l",
})
# Words that make a name read as the ministry or the OMC authority (letters only, case-folded, accents removed).
_AUTHORITY: Final = ("ministry", "ministere", "minister", "government", "gouvernement", "ontariomicrocredential",
                     "microcredentialontario", "microcertificationontario", "ontariomicrocertification",
                     "omcregistry", "registryofomc", "collegesanduniversities", "collegesuniversities",
                     "collegesetuniversites")
_AUTHORITY_TOKENS: Final = frozenset({"mcu", "mcu's"})
_MIN_CONTAINED: Final = 6
_SIMILAR: Final = 0.85
# A self-declared name is shown at most this long, so the marking after it is never cut off by a display limit.
_MAX_DECLARED: Final = 100


def _fold(text: str) -> str:
    """NFKC, case-folded, look-alike letters mapped to Latin, accents removed."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_CONFUSABLES)
    return "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))


def _skeleton(text: str) -> str:
    """Letters and digits of :func:`_fold` only (whitespace and punctuation dropped)."""
    return "".join(c for c in _fold(text) if c.isalnum())


def impersonated_body(name: str, registered_names: Iterable[str] = ()) -> str | None:
    """What a self-declared endorser ``name`` could be taken for: "the ministry", a registered name, or None.

    Compared on :func:`_skeleton` (NFKC, case-folded, Cyrillic/Greek look-alikes folded, accents,
    whitespace and punctuation removed): authority words (ministry, government, Ontario
    Micro-Credential, MCU, ...); a registered institution's legal name that equals it, contains it or
    is contained in it (six letters or more), or is at least 85 % similar to it.

    >>> impersonated_body("Ontario Welders Guild", ["Lakeshore College"]) is None
    True
    >>> impersonated_body("MINISTRY of Colleges & Universities")
    'the ministry'
    >>> impersonated_body("Lakeshore  college.", ["Lakeshore College"])
    'Lakeshore College'
    """
    skeleton = _skeleton(name)
    tokens = set(re.split(r"[^0-9a-z']+", _fold(name)))
    if any(word in skeleton for word in _AUTHORITY) or tokens & _AUTHORITY_TOKENS:
        return "the ministry"
    if not skeleton:
        return None
    for registered in registered_names:
        other = _skeleton(registered)
        if not other:
            continue
        if skeleton == other or (len(other) >= _MIN_CONTAINED and other in skeleton) \
                or (len(skeleton) >= _MIN_CONTAINED and skeleton in other) \
                or difflib.SequenceMatcher(None, skeleton, other).ratio() >= _SIMILAR:
            return registered
    return None


def _declared(name: str) -> str:
    """A self-declared name as it is quoted: no control or format characters (bidirectional overrides
    would reorder the marking that follows), straight double quotes turned into single ones (so the name
    cannot close its own quotes), whitespace collapsed, at most :data:`_MAX_DECLARED` characters."""
    kept = "".join(" " if c.isspace() else c for c in name
                   if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    text = " ".join(kept.replace('"', "'").replace("\u201c", "'").replace("\u201d", "'").split())
    return text if len(text) <= _MAX_DECLARED else text[:_MAX_DECLARED - 1] + "\u2026"


def _moments(endorsement: Mapping[str, Any]) -> list[datetime] | None:
    """When the endorsement says it was made (validFrom and every proof's created); None if unreadable."""
    moments: list[datetime] = []
    try:
        if "validFrom" in endorsement:
            moments.append(parse_datetime(endorsement["validFrom"], field="validFrom"))
        for proof in as_list(endorsement.get("proof")):
            if isinstance(proof, dict) and "created" in proof:
                moments.append(parse_datetime(proof["created"], field="proof.created"))
    except OmcVcError:
        return None
    return moments or None


def endorser_entry(endorsement: Mapping[str, Any], registry: RegistryData | None) -> dict[str, Any]:
    """How the endorser of a verified ``endorsement`` is shown: ``{"id", "name", "registered"}``.

    ``registered`` is true when ``registry`` lists the endorser's DID for an institution at every
    moment the endorsement claims it was made (validFrom, proof created); ``name`` is then the
    registry's legal name, whatever the document says. Otherwise ``name`` is the document's own name
    (:func:`_declared`) in quotes followed by "(self-declared, not verified)", and by "NOT the ministry
    ..." or "NOT the registered institution ..." when :func:`impersonated_body` finds it reads like
    one; the marking is part of ``name`` so that no reader can show the bare self-declared name.
    """
    did = issuer_id(dict(endorsement)) or ""
    if registry is not None and did:
        institution = registry.institution_for_did(did)
        moments = _moments(endorsement)
        if institution is not None and moments and all(institution.window_for(did, m) for m in moments):
            return {"id": did, "name": institution.legal_name, "registered": True}
    profile = endorsement.get("issuer")
    found = profile.get("name") if isinstance(profile, dict) else None
    declared = _declared(found) if isinstance(found, str) else ""
    # the markings are our sentences (omc_vc.i18n messages), so every reader shows them in its own language
    if not declared:
        return {"id": did, "name": Message("{endorser} (no name given, not verified)",
                                           endorser=did or Message("an unnamed endorser")), "registered": False}
    names = [i.legal_name for i in registry.institutions] if registry is not None else []
    body = impersonated_body(declared, names)
    if body == "the ministry":
        label = Message("\"{name}\" (self-declared, not verified; NOT the ministry or a body acting for it)",
                        name=declared)
    elif body is not None:
        label = Message("\"{name}\" (self-declared, not verified; NOT the registered institution {body})",
                        name=declared, body=body)
    else:
        label = Message("\"{name}\" (self-declared, not verified)", name=declared)
    return {"id": did, "name": label, "registered": False, **({"lookalike": True} if body else {})}
