"""Accessors for the OMC shape of an Open Badges 3.0 credential (pure functions, no I/O).

>>> cred = {"@context": [VC_CONTEXT, OB_CONTEXT, OMC_CONTEXT],
...         "type": ["VerifiableCredential", "OpenBadgeCredential"],
...         "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
...             "id": "https://college.example/achievements/welding-1", "type": ["Achievement"],
...             "achievementType": "MicroCredential",
...             "stacksInto": [{"id": "https://college.example/programs/welding", "type": "StackingTarget"}]}}}
>>> claims_omc(cred), is_omc_shaped(cred), is_omc_plus(cred)
(True, True, True)
>>> generic = {**cred, "@context": [VC_CONTEXT, OB_CONTEXT]}   # OB 3.0's own MicroCredential, no OMC context
>>> claims_omc(generic), is_omc_shaped(generic), is_omc_plus(generic)
(False, True, False)
>>> stacking_targets(cred)[0]["id"]
'https://college.example/programs/welding'
"""

from __future__ import annotations

from typing import Any, Final

from omc_vc.model import VC_V2_CONTEXT, as_list, types

__all__ = [
    "ACHIEVEMENT_TYPE",
    "OB_CONTEXT",
    "OMC_CONTEXT",
    "OMC_VOCAB",
    "VC_CONTEXT",
    "achievement_of",
    "claims_omc",
    "is_omc_plus",
    "is_omc_shaped",
    "stacking_targets",
]

#: The OMC vocabulary context (bundled as ``contexts/omc-v1.jsonld``; never fetched).
OMC_CONTEXT: Final = "https://omc-vc.ca/contexts/omc/v1"
#: The namespace of every OMC term's IRI.
OMC_VOCAB: Final = "https://omc-vc.ca/vocab#"
#: VCDM 2.0 base context (VCDM 2.0 §4.3: it must come first).
VC_CONTEXT: Final = VC_V2_CONTEXT
#: Open Badges 3.0.3 context (OB 3.0 §B.1).
OB_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: The OB 3.0 ``achievementType`` value that marks a micro-credential (OB 3.0 AchievementType enum).
ACHIEVEMENT_TYPE: Final = "MicroCredential"

_CREDENTIAL_TYPES: Final = frozenset({"OpenBadgeCredential", "AchievementCredential"})


def _subject(credential: Any) -> dict[str, Any] | None:
    if not isinstance(credential, dict):
        return None
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, dict)]
    # OB 3.0 §B.1.2: an AchievementCredential has exactly one AchievementSubject.
    return subjects[0] if len(subjects) == 1 else None


def achievement_of(credential: Any) -> dict[str, Any] | None:
    """The ``credentialSubject.achievement`` object of an OB 3.0 credential, or None."""
    subject = _subject(credential)
    if subject is None:
        return None
    achievement = subject.get("achievement")
    return achievement if isinstance(achievement, dict) else None


def claims_omc(credential: Any) -> bool:
    """True when ``credential`` claims to be an Ontario Micro-Credential (docs/vocabulary.md, "The OMC claim").

    The claim is an Open Badges 3.0 achievement credential (type ``OpenBadgeCredential`` or
    ``AchievementCredential``) whose own top-level ``@context`` lists the OMC context
    (:data:`OMC_CONTEXT`). Only this project's vocabulary publishes that URL, so no other issuer's
    credential carries it by accident; OB 3.0's generic ``achievementType: "MicroCredential"`` alone is
    no claim. An EndorsementCredential that uses the OMC context for its binding terms is no claim either.
    This says nothing about signatures, the profile, the policy or the registry.
    """
    if not isinstance(credential, dict) or not _CREDENTIAL_TYPES.intersection(types(credential)):
        return False
    return OMC_CONTEXT in as_list(credential.get("@context"))


def is_omc_shaped(credential: Any) -> bool:
    """True for an OpenBadgeCredential whose achievement has achievementType MicroCredential.

    This says nothing about signatures, the policy or the registry: only the shape. OB 3.0 defines
    that achievement type for every issuer, so the shape is no OMC claim (:func:`claims_omc`).
    """
    if not isinstance(credential, dict):
        return False
    if not _CREDENTIAL_TYPES.intersection(types(credential)):
        return False
    achievement = achievement_of(credential)
    return achievement is not None and achievement.get("achievementType") == ACHIEVEMENT_TYPE


def stacking_targets(credential: Any) -> list[dict[str, Any]]:
    """The OMC+ claim: the achievement's ``stacksInto`` list (objects only, in document order)."""
    achievement = achievement_of(credential)
    if achievement is None:
        return []
    return [t for t in as_list(achievement.get("stacksInto")) if isinstance(t, dict)]


def is_omc_plus(credential: Any) -> bool:
    """True for a credential that claims to be an OMC (:func:`claims_omc`), is OMC-shaped and names at least
    one larger credential it stacks into (``stacksInto`` is an OMC term: without the claim it is no OMC+ claim)."""
    return claims_omc(credential) and is_omc_shaped(credential) and bool(stacking_targets(credential))
