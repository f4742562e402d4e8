"""Build Ontario Micro-Credentials (OB 3.0 OpenBadgeCredentials) and their endorsements.

:func:`build_omc` assembles the unsigned credential from the institution's Profile, one achievement
definition of its catalogue and a learner, then applies the policy (:func:`~omc_vc.omc.profile.require_omc`:
a credential that breaks it is refused with a PolicyError naming the field). :func:`sign_omc` adds the
Data Integrity proof. :func:`build_endorsement` makes the signed OB 3.0 EndorsementCredential an
employer, industry body or partner institution gives one institution's achievement, bound to both
(:mod:`omc_vc.omc.endorsement`).

The learner is identified by DID when there is one (``credentialSubject.id``), otherwise by OB 3.0
IdentityObjects (OB 3.0 §B.1.4 / §9.3): the name in clear (it is shown to whoever checks the
credential) and the e-mail address or student number hashed as ``sha256$hex(identity ‖ salt)`` with
a fresh random salt per credential.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final

from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.errors import IssuanceError
from omc_vc.i18n import Message, translator
from omc_vc.keys import KeyPair
from omc_vc.model import as_list
from omc_vc.omc.editions import select_edition
from omc_vc.omc.endorsement import ACHIEVEMENT_DIGEST, ENDORSED_ISSUER, achievement_digest, binding_problem
from omc_vc.omc.model import ACHIEVEMENT_TYPE, OB_CONTEXT, OMC_CONTEXT, VC_CONTEXT
from omc_vc.omc.policy import Policy
from omc_vc.omc.profile import require_omc
from omc_vc.proofs import data_integrity

__all__ = [
    "Learner",
    "build_endorsement",
    "build_omc",
    "hash_identity",
    "issuer_profile",
    "learner_key",
    "prepare_achievement",
    "sign_omc",
]

# No credentialSchema: its type 1EdTechJsonSchemaValidator2019 is defined only by OB's extensions
# context, which is not published in a citable, byte-stable form (contexts/INDEX.md: NOT FOUND), and
# an undefined type is data loss (DI 1.0 §2.4.3).
CONTEXTS: Final = [VC_CONTEXT, OB_CONTEXT, OMC_CONTEXT]
# The OMC context defines the binding terms of the EndorsementSubject (endorsedIssuer, achievementDigest).
ENDORSEMENT_CONTEXTS: Final = [VC_CONTEXT, OB_CONTEXT, OMC_CONTEXT]
# Keys of a catalogue entry that configure the issuer, not the credential; they are never signed.
CATALOGUE_ONLY_KEYS: Final = frozenset({"endorsementFiles", "catalogueId", "editions"})


@dataclass(frozen=True)
class Learner:
    """Who earned the achievement: a name and at least one of a DID, an e-mail or a student number."""

    name: str
    email: str | None = None
    student_number: str | None = None
    did: str | None = None

    def key(self) -> str:
        """A stable identity for the issuance state: DID, else student number, else e-mail (lowercased)."""
        return learner_key(did=self.did, student_number=self.student_number, email=self.email)


def learner_key(*, did: str | None, student_number: str | None, email: str | None) -> str:
    """:meth:`Learner.key` of a learner with these identifiers."""
    if did:
        return f"did:{did}" if not did.startswith("did:") else did
    if student_number:
        return f"student:{student_number.strip()}"
    if email:
        return f"email:{email.strip().lower()}"
    raise IssuanceError(Message("a learner needs a DID, an e-mail address or a student number"), field="learner")


def hash_identity(identity: str, salt: str) -> str:
    """OB 3.0 IdentityHash: ``sha256$`` + hex(SHA-256(UTF-8(identity ‖ salt))).

    >>> hash_identity("a@example.com", "Kosher")  # the example in OB 3.0's IdentityHash definition
    'sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399'
    """
    return "sha256$" + hashlib.sha256((identity + salt).encode("utf-8")).hexdigest()


def _typed(value: Any, type_name: str, *, as_array: bool = True) -> Any:
    if not isinstance(value, dict):
        return value
    out = dict(value)
    if "type" not in out:
        out["type"] = [type_name] if as_array else type_name
    return out


def prepare_achievement(definition: Mapping[str, Any]) -> dict[str, Any]:
    """An achievement definition (catalogue entry) as the OB 3.0 Achievement the credential carries.

    Adds the ``type`` of every node that lacks one (OB 3.0 asks for them), ``achievementType``
    MicroCredential, and drops catalogue-only keys. Values are never invented: a missing field stays
    missing and the policy check names it.
    """
    out = {k: copy.deepcopy(v) for k, v in definition.items() if k not in CATALOGUE_ONLY_KEYS}
    out.setdefault("type", ["Achievement"])
    out.setdefault("achievementType", ACHIEVEMENT_TYPE)
    if isinstance(out.get("criteria"), str):
        out["criteria"] = {"narrative": out["criteria"]}
    if "alignment" in out:
        out["alignment"] = [_typed(a, "Alignment") for a in as_list(out["alignment"])]
    if "summativeAssessment" in out:
        out["summativeAssessment"] = _typed(out["summativeAssessment"], "SummativeAssessment", as_array=False)
    if "creditTransfer" in out:
        out["creditTransfer"] = [_typed(p, "CreditTransferPathway", as_array=False)
                                 for p in as_list(out["creditTransfer"])]
    if "stacksInto" in out:
        out["stacksInto"] = [_typed(t, "StackingTarget", as_array=False) for t in as_list(out["stacksInto"])]
    if "nocCodes" in out and isinstance(out["nocCodes"], list):
        out["nocCodes"] = [str(c) if isinstance(c, int) and not isinstance(c, bool) else c for c in out["nocCodes"]]
    return out


def issuer_profile(did: str, profile: Mapping[str, Any]) -> dict[str, Any]:
    """The issuer's OB 3.0 Profile: ``id`` is the DID that signs, ``type`` Profile."""
    out: dict[str, Any] = {"id": did, "type": ["Profile"]}
    for key, value in profile.items():
        if key in ("id", "type"):
            continue
        out[key] = _typed(copy.deepcopy(value), "Address") if key == "address" else copy.deepcopy(value)
    return out


def _subject(learner: Learner, achievement: dict[str, Any], *, salt: str, completed: date | None,
             result: str | None) -> dict[str, Any]:
    if not learner.name or not learner.name.strip():
        raise IssuanceError(Message("the learner's name is empty"), field="learner.name")
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if learner.did:
        if not learner.did.startswith("did:"):
            raise IssuanceError(Message("learner DID {did} is not a DID", did=repr(learner.did)), field="learner.did")
        subject["id"] = learner.did
    # OB 3.0 §B.1.4 IdentityObject: the name in clear, contact identifiers hashed with a salt
    identifiers: list[dict[str, Any]] = [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": learner.name.strip()}]
    if learner.email:
        identifiers.append({"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                            "identityHash": hash_identity(learner.email.strip().lower(), salt), "salt": salt})
    if learner.student_number:
        identifiers.append({"type": "IdentityObject", "identityType": "sisSourcedId", "hashed": True,
                            "identityHash": hash_identity(learner.student_number.strip(), salt), "salt": salt})
    if not learner.did and len(identifiers) == 1:
        raise IssuanceError(Message("a learner needs a DID, an e-mail address or a student number"), field="learner")
    subject["identifier"] = identifiers
    if completed is not None:
        subject["activityEndDate"] = format_datetime(datetime.combine(completed, time(0, 0), tzinfo=UTC))
    if result:
        subject["result"] = [{"type": ["Result"], "value": result}]
    subject["achievement"] = achievement
    return subject


def build_omc(*, issuer: Mapping[str, Any], achievement: Mapping[str, Any], learner: Learner,
              status: Sequence[Mapping[str, Any]], issued: datetime | None = None,
              credential_id: str | None = None, completed: date | None = None, result: str | None = None,
              evidence_url: str | None = None, valid_until: datetime | None = None,
              policy: Policy | None = None, salt: str | None = None, language: str | None = None) -> dict[str, Any]:
    """The unsigned OMC for one learner, checked against the policy (PolicyError names the field).

    ``issuer`` is the Profile from :func:`issuer_profile`; ``achievement`` a catalogue definition
    (its edition in ``language``, :func:`~omc_vc.omc.editions.select_edition`, prepared with
    :func:`prepare_achievement` here); ``status`` the BitstringStatusListEntry objects (revocation, and
    suspension when configured). The credential's own words (the evidence's name) are in the edition's
    language.
    """
    moment = issued or utcnow()
    try:
        prepared = prepare_achievement(select_edition(achievement, language))
    except ValueError as exc:
        raise IssuanceError(str(exc), field="language") from exc
    subject = _subject(learner, prepared, salt=salt or secrets.token_hex(16), completed=completed, result=result)
    credential: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": credential_id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": prepared.get("name"),
        "issuer": dict(issuer),
        "validFrom": format_datetime(moment),
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    credential["credentialSubject"] = subject
    if evidence_url:
        words = translator(prepared.get("inLanguage") if isinstance(prepared.get("inLanguage"), str) else None)
        credential["evidence"] = [{"id": evidence_url, "type": ["Evidence"],
                                   # signed data: the learner's name as given, not made inert for display
                                   "name": words.gettext("Evidence of {learner}'s summative assessment").format(
                                       learner=learner.name.strip())}]
    entries = [dict(s) for s in status]
    if entries:
        # one entry stays an object (the OB 3.0 schema's shape); revocation + suspension is a list
        credential["credentialStatus"] = entries[0] if len(entries) == 1 else entries
    if credential["name"] is None:
        del credential["name"]
    for index, endorsement in enumerate(as_list(prepared.get("endorsement"))):
        subjects = [s.get("id") for s in as_list(endorsement.get("credentialSubject")) if isinstance(s, dict)] \
            if isinstance(endorsement, dict) else []
        if prepared.get("id") not in subjects:
            about = (Message("achievement endorsement[{index}] is about {subject}, not {id}", index=str(index),
                             subject=str(subjects[0]), id=str(prepared.get("id"))) if subjects else
                     Message("achievement endorsement[{index}] is about nothing, not {id}", index=str(index),
                             id=str(prepared.get("id"))))
            raise IssuanceError(about, field="endorsement")
        # the verifier refuses an endorsement not bound to this issuer and these defining fields: refuse it here
        unbound = binding_problem(endorsement, issuer=credential["issuer"].get("id"), achievement=prepared,
                                  subject_ids=[prepared["id"]])
        if unbound is not None:
            raise IssuanceError(Message("achievement endorsement[{index}] is not bound to this issuer and achievement: "
                                        "{why} (ask the endorser for a new one: omc endorse --for-issuer)",
                                        index=str(index), why=unbound), field="endorsement")
    require_omc(credential, policy)
    return credential


def sign_omc(credential: Mapping[str, Any], key: KeyPair, *, created: datetime | None = None) -> dict[str, Any]:
    """Add the issuer's Data Integrity proof (eddsa-rdfc-2022 for Ed25519, ecdsa-rdfc-2019 for P-256)."""
    return data_integrity.add_proof(credential, key, purpose="assertionMethod",
                                    created=format_datetime(created or utcnow()))


def build_endorsement(*, achievement: Mapping[str, Any], issuer: str, endorser: Mapping[str, Any], comment: str,
                      key: KeyPair, issued: datetime | None = None, name: str | None = None,
                      language: str | None = None) -> dict[str, Any]:
    """A signed OB 3.0 EndorsementCredential (§B.1.5) of ``achievement`` as ``issuer`` confers it.

    ``achievement`` is the achievement definition (a catalogue entry, prepared here as
    :func:`build_omc` prepares it); ``issuer`` the DID of the institution whose OMCs carry it. The
    EndorsementSubject's ``id`` is the achievement's id, and it binds the endorsement with
    ``endorsedIssuer`` (``issuer``) and ``achievementDigest`` (:func:`~omc_vc.omc.endorsement.achievement_digest`),
    so it holds for that institution and those defining fields only (of the achievement's edition in
    ``language``: each language edition is an achievement of its own). ``endorser`` is the endorser's
    Profile; its ``id`` must be the controller of ``key`` (the endorsement is verified as a credential
    of its own, issuer key binding included).
    """
    if endorser.get("id") != key.controller:
        raise IssuanceError(Message("the endorser's id {id} is not the controller of the key ({controller})",
                                    id=repr(endorser.get("id")), controller=str(key.controller)), field="endorser.id")
    if not isinstance(issuer, str) or not issuer.startswith("did:") or any(c.isspace() for c in issuer):
        raise IssuanceError(Message("the endorsed institution {issuer} is not a DID (give the DID that issues its "
                                    "OMCs)", issuer=repr(issuer)), field="issuer")
    if issuer == key.controller:
        raise IssuanceError(Message("an institution cannot endorse its own achievement: an endorsement comes from a "
                                    "third party"), field="issuer")
    try:
        prepared = prepare_achievement(select_edition(achievement, language))
    except ValueError as exc:
        raise IssuanceError(str(exc), field="language") from exc
    achievement_id = prepared.get("id")
    if not isinstance(achievement_id, str) or ":" not in achievement_id:
        raise IssuanceError(Message("the achievement has no absolute URL id"), field="achievement.id")
    moment = issued or utcnow()
    profile = {"type": ["Profile"], **{k: copy.deepcopy(v) for k, v in endorser.items() if k != "type"}}
    document = {
        "@context": list(ENDORSEMENT_CONTEXTS),
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": name or f"Endorsement by {profile.get('name', profile['id'])}",
        "issuer": profile,
        "validFrom": format_datetime(moment),
        "credentialSubject": {"id": achievement_id, "type": ["EndorsementSubject"], "endorsementComment": comment,
                              ENDORSED_ISSUER: issuer, ACHIEVEMENT_DIGEST: achievement_digest(prepared)},
    }
    return data_integrity.add_proof(document, key, purpose="assertionMethod", created=format_datetime(moment))
