"""The OMC verdict: is this a valid Ontario Micro-Credential, and why.

:func:`make_verifier` builds a :class:`~omc_vc.verify.Verifier` with the status-list check, the OMC
profile check and, when a ministry registry is configured, the two registry checks:

* ``issuer-authorized`` (:class:`RegistryCheck`): the issuer DID was listed, within its validity
  window, with MCU consent active and in scope (OMC; OMC+ when the credential claims stacking) when
  the credential was issued, and the consent is still not revoked now. An issuer suspended *after*
  issuing gets the verdict the policy file's ``suspended_issuer_past_credentials`` sets, and a plain
  warning either way.
* ``partnership`` (:class:`PartnershipCheck`): a private career college's OMC must carry an embedded
  OB 3.0 ``EndorsementCredential`` issued by its consent-holding partner (named in the registry)
  whose subject is the achievement or the credential, bound to this college and this achievement's
  defining fields; it is verified as a credential of its own.

Both registry checks are ``skipped`` for a credential that does not claim to be an OMC (docs/vocabulary.md,
"The OMC claim"): it is judged as a credential only.

:func:`verdict_of` turns a :class:`~omc_vc.model.VerificationResult` into one of four verdicts with a
reason a registrar and an employer understand and the institution's name as the registry records it:
``valid-omc``, ``valid-omc-plus``, ``valid-not-omc`` (a valid credential that does not claim to be an OMC,
whose issuer is not authorized, or that does not meet the OMC profile), ``invalid`` (tampered, revoked, suspended,
expired, bad signature, or the registry itself could not be trusted: fail closed).

Status and profile modules are imported lazily so the registry works without them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.inert import inert
from omc_vc._internal.timeutil import format_datetime, parse_datetime
from omc_vc.did import DidResolver
from omc_vc.errors import MalformedValueError, OmcVcError, RegistryError
from omc_vc.i18n import N_, Message, Plural, Sentence, Translator, inert_text, translatable, translator
from omc_vc.model import Check, VerificationResult, as_list, issuer_id, types
from omc_vc.registry import (
    Anchors,
    Institution,
    LoadedRegistry,
    RegistryClient,
    demo_anchors_path,
    load_anchors,
)
from omc_vc.verify import CheckContext, CredentialCheck, Verifier

if TYPE_CHECKING:
    from omc_vc.omc.policy import Policy

__all__ = [
    "CHECK_NAMES",
    "ISSUER_CHECK",
    "PARTNERSHIP_CHECK",
    "PartnershipCheck",
    "PresentationCheck",
    "RegistryCheck",
    "Verdict",
    "localized",
    "make_verifier",
    "registry_details",
    "shown_text",
    "verdict_of",
]

ISSUER_CHECK: Final = "issuer-authorized"
PARTNERSHIP_CHECK: Final = "partnership"
VerdictStatus = Literal["valid-omc", "valid-omc-plus", "valid-not-omc", "invalid"]

#: Failures that leave a valid credential that is simply not an OMC.
_NOT_OMC_CHECKS: Final = frozenset({ISSUER_CHECK, PARTNERSHIP_CHECK, "omc-profile", "omc-endorsements"})
#: Codes on those checks that still make the credential invalid (fail closed).
_INVALID_CODES: Final = frozenset({"ISSUER_SUSPENDED_SINCE_ISSUE"})
_REGISTRY_PREFIX: Final = "the ministry's registry could not be trusted: "
#: A consent's state in words (the registry's values are codes).
_CONSENT_STATES: Final = {"active": N_("active"), "suspended": N_("suspended"), "revoked": N_("revoked"),
                          "not-granted": N_("not granted")}

HEADLINES: Final[dict[str, str]] = {
    "valid-omc": N_("Valid Ontario Micro-Credential"),
    "valid-omc-plus": N_("Valid Ontario Micro-Credential (OMC+: counts toward a larger credential)"),
    "valid-not-omc": N_("Valid credential, but NOT an Ontario Micro-Credential"),
    "invalid": N_("NOT valid: do not rely on this credential"),
}

# Plain words for the codes a registrar or an employer is most likely to meet.
_PLAIN: Final[dict[str, str]] = {
    "CREDENTIAL_REVOKED": N_("The institution that issued this credential has revoked it."),
    "CREDENTIAL_SUSPENDED": N_("The institution that issued this credential has suspended it."),
    "CREDENTIAL_EXPIRED": N_("This credential has expired."),
    "CREDENTIAL_NOT_YET_VALID": N_("This credential is not valid yet."),
    "CRYPTOGRAPHIC_SECURITY_ERROR": N_("This credential was changed after it was signed: its signature does not "
                                       "match."),
    "ISSUER_KEY_MISMATCH": N_("This credential was signed by someone other than the institution named as its "
                              "issuer."),
    "DATA_LOSS_DETECTION_ERROR": N_("This credential contains information that its signature does not cover."),
    "STATUS_RETRIEVAL_ERROR": N_("Whether this credential was revoked could not be checked (its status list could "
                                 "not be retrieved)."),
    "STATUS_VERIFICATION_ERROR": N_("Whether this credential was revoked could not be checked (its status list "
                                    "could not be verified)."),
    "STATUS_LIST_ROLLBACK": N_("Whether this credential was revoked could not be checked (an older status list "
                               "was served in place of a newer one already seen)."),
}


@dataclass(frozen=True)
class PresentationCheck:
    """One of a presentation's own checks in plain words: ``name`` (signature, challenge, domain, ...), a fixed
    ``label`` saying what it asks, a ``status`` (passed, failed, warning, skipped) and the ``detail`` found."""

    name: str
    label: str
    status: Literal["passed", "failed", "warning", "skipped"]
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    """One clear answer: ``status`` (four values), a headline, the reason in words, the institution.

    For a presentation, ``credentials`` holds each embedded credential's own verdict (in order) and
    ``presentation`` the presentation's own checks (holder, challenge, domain); the headline then
    summarizes the credentials ("2 valid Ontario Micro-Credentials").
    """

    status: VerdictStatus
    headline: str
    reason: str
    institution: str | None = None
    code: str | None = None
    warnings: tuple[str, ...] = ()
    is_presentation: bool = False
    credentials: tuple[Verdict, ...] = ()
    presentation: tuple[PresentationCheck, ...] = ()

    @property
    def is_omc(self) -> bool:
        return self.status in ("valid-omc", "valid-omc-plus")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "headline": self.headline, "reason": self.reason,
                               "institution": self.institution}
        if self.code:
            out["code"] = self.code
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if self.is_presentation:
            out["credentials"] = [v.to_json() for v in self.credentials]
            out["presentation"] = [c.to_json() for c in self.presentation]
        return out


# --- helpers ------------------------------------------------------------------------------------------

def _issuance_moments(credential: dict[str, Any], now: datetime) -> list[datetime]:
    """When the credential claims it was issued: validFrom (or VCDM 1.1 issuanceDate) and every proof's
    ``created``. All must fall in the issuer's authorized window, so backdating validFrom alone (or a
    proof) into an older window does not help a retired key or a revoked institution.
    """
    moments: list[datetime] = []
    for key in ("validFrom", "issuanceDate"):
        if key in credential:
            try:
                moments.append(parse_datetime(credential[key], field=key))
            except MalformedValueError:
                pass
            break
    for proof in as_list(credential.get("proof")):
        if isinstance(proof, dict) and "created" in proof:
            try:
                moments.append(parse_datetime(proof["created"], field="proof.created"))
            except MalformedValueError:
                pass
    return moments or [now]


def _is_omc_plus(credential: dict[str, Any]) -> bool:
    try:
        from omc_vc.omc.model import is_omc_plus
    except ImportError:  # pragma: no cover - the omc package ships with omc-vc
        return False
    return is_omc_plus(credential)


def _claims_omc(credential: dict[str, Any], ctx: CheckContext) -> bool:
    """Whether the credential claims the protected OMC term (docs/vocabulary.md, "The OMC claim"), as the OMC
    profile check of this verification found when it ran."""
    facts = ctx.result.details.get("omc")
    if isinstance(facts, dict) and isinstance(facts.get("claim"), bool):
        return bool(facts["claim"])
    try:
        from omc_vc.omc.model import claims_omc
    except ImportError:  # pragma: no cover - the omc package ships with omc-vc
        return True
    return claims_omc(credential)


def _not_a_claim(name: str) -> Check:
    """A registry check on a credential that does not claim to be an OMC: nothing to authorize, it is judged as a
    credential only (its verified stays what its own checks say)."""
    return Check(name, "skipped", Message("not an OMC claim: the credential does not claim to be an Ontario "
                                          "Micro-Credential, so the ministry's registry is not asked about its issuer"))


def registry_details(loaded: LoadedRegistry) -> dict[str, Any]:
    """The facts of a verified registry a reader is told: its id, version, publication (``validFrom``) and expiry,
    and who published it (the signed ``issuer`` and ``name``; the federation's ministry name when it has one).
    The strings are the registry's own (signed by the ministry's anchors), made inert for display."""
    verified = loaded.verified
    out: dict[str, Any] = {"id": loaded.data.id, "version": loaded.data.version, "source": loaded.source,
                           "validFrom": format_datetime(verified.valid_from),
                           "validUntil": format_datetime(verified.valid_until)}
    issuer = issuer_id(verified.document)
    if issuer:
        out["issuer"] = inert(issuer)
    if isinstance(verified.document.get("name"), str):
        out["name"] = inert(verified.document["name"])
    federation = loaded.data.federation
    if federation is not None:
        out["ministry"] = inert(federation.legal_name or federation.organization_name)
    if loaded.from_cache and loaded.age is not None:
        out["cachedAgeSeconds"] = int(loaded.age.total_seconds())
    return out


class _RegistryBacked:
    """Loads the registry once per verification (memoized by the client) and records the facts."""

    name: str

    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        # the registry last used, its facts, and the accepted suites it was last found signed in
        self._details: tuple[LoadedRegistry, dict[str, Any], tuple[str, ...] | None] | None = None

    def _load(self, ctx: CheckContext) -> LoadedRegistry:
        # The client verifies the registry once against the pinned anchors and its own clock: whether the copy
        # held is current (expiry, rollback: DESIGN decision 6) is a question about the present, not about the
        # verification's time of interest, which the checks apply to what the registry says. The caller's
        # accepted cryptosuites bound it here, on every use (DESIGN decision 13): the answer is kept for the
        # registry and the tuple of suites it was given, and asked again for any other.
        loaded = self.client.load()
        accepted = ctx.accepted_suites
        known = self._details
        if known is None or known[0] is not loaded or known[2] is not accepted:
            # a tuple of suites does not change: the same one, held here, gets the same answer
            loaded.verified.require_suites(accepted)
            # the facts of one loaded registry are the same for every verification that uses it
            details = known[1] if known is not None and known[0] is loaded else registry_details(loaded)
            known = self._details = (loaded, details, accepted if type(accepted) is tuple else None)
        if "registry" not in ctx.result.details:
            ctx.result.details["registry"] = dict(known[1])
            for warning in loaded.warnings:
                ctx.result.warn("REGISTRY_WARNING", warning)
        return loaded

    def _registry_failure(self, exc: OmcVcError) -> Check:
        return Check(self.name, "failed", _REGISTRY_PREFIX + exc.detail, exc.code)


# --- issuer-authorized ----------------------------------------------------------------------------

class RegistryCheck(_RegistryBacked):
    """``issuer-authorized``: was the issuer consent-holding and in scope when it issued, and is it still?"""

    name = ISSUER_CHECK

    def __init__(self, client: RegistryClient, policy: Policy | None = None) -> None:
        super().__init__(client)
        self.policy = policy
        self._sentences: dict[tuple[Any, ...], str] = {}

    def _suspended_past(self) -> str:
        if self.policy is not None:
            return str(self.policy.suspended_issuer_past_credentials)
        try:
            from omc_vc.omc.policy import load_policy
        except ImportError:  # pragma: no cover
            return "invalid"
        self.policy = load_policy()
        return str(self.policy.suspended_issuer_past_credentials)

    def __call__(self, credential: dict[str, Any], ctx: CheckContext) -> Iterable[Check]:
        if not _claims_omc(credential, ctx):
            return [_not_a_claim(self.name)]
        try:
            loaded = self._load(ctx)
        except RegistryError as exc:
            return [self._registry_failure(exc)]
        issuer = ctx.result.issuer or issuer_id(credential)
        if issuer is None:
            return [Check(self.name, "failed", Message("the credential names no issuer"), "ISSUER_NOT_IN_REGISTRY")]
        institution = loaded.data.institution_for_did(issuer)
        if institution is None:
            return [Check(self.name, "failed", Message("the issuer {issuer} is not in the ministry's registry of "
                                                       "institutions authorized to issue Ontario Micro-Credentials",
                                                       issuer=issuer), "ISSUER_NOT_IN_REGISTRY")]
        ctx.result.details["institution"] = institution.legal_name
        now_status = institution.consent.status_at(ctx.now)
        ctx.result.details["registry"]["institution"] = {
            "id": institution.id, "legalName": institution.legal_name, "type": institution.kind,
            "consentReference": institution.consent.reference, "scope": list(institution.consent.scope),
            "consentStatus": now_status}
        if institution.verifier:  # the institution's public verifier: where its learners' QR codes may point
            ctx.result.details["registry"]["institution"]["verifier"] = institution.verifier
        return [self._judge(credential, institution, issuer, ctx, now_status)]

    def _judge(self, credential: dict[str, Any], inst: Institution, issuer: str, ctx: CheckContext,
               now_status: str) -> Check:
        name = inst.legal_name
        moments = _issuance_moments(credential, ctx.now)
        issued = max(moments)
        # 1. the DID was one of the institution's registered DIDs at every claimed issuance moment
        for moment in moments:
            if inst.window_for(issuer, moment) is None:
                return Check(self.name, "failed", Message("{issuer} was not a registered DID of {name} on {day} (key "
                                                          "not yet registered, or already retired)", issuer=issuer,
                                                          name=name, day=moment), "ISSUER_DID_NOT_VALID")
        # 2. consent active at every issuance moment
        for moment in moments:
            status = inst.consent.status_at(moment)
            if status == "not-granted":
                return Check(self.name, "failed", Message("{name} did not yet hold the ministry's consent to issue "
                                                          "OMCs on {day} (granted {granted})", name=name, day=moment,
                                                          granted=inst.consent.granted), "ISSUER_NOT_AUTHORIZED")
            if status == "suspended":
                return Check(self.name, "failed", Message("{name}'s consent to issue OMCs was suspended when this "
                                                          "credential was issued ({day})", name=name, day=moment),
                             "ISSUER_CONSENT_SUSPENDED")
            if status == "revoked":
                return Check(self.name, "failed", Message("{name}'s consent to issue OMCs had been revoked when "
                                                          "this credential was issued ({day})", name=name, day=moment),
                             "ISSUER_CONSENT_REVOKED")
        # 3. scope: OMC always; OMC+ when the credential claims to stack into a larger credential (as the
        # OMC profile check of this verification found, when it ran)
        facts = ctx.result.details.get("omc")
        plus = facts["omcPlus"] if isinstance(facts, dict) and isinstance(facts.get("omcPlus"), bool) \
            else _is_omc_plus(credential)
        if "OMC" not in inst.consent.scope or (plus and "OMC+" not in inst.consent.scope):
            wanted = "OMC+" if plus else "OMC"
            return Check(self.name, "failed", Message("{name}'s consent covers {scope}, not {wanted}: it may not "
                                                      "issue stackable (OMC+) credentials", name=name,
                                                      scope=", ".join(inst.consent.scope), wanted=wanted),
                         "ISSUER_OUT_OF_SCOPE")
        # 4. and still now
        if now_status == "active":
            return self._passed(inst, issued)
        event = inst.consent.event_at(ctx.now)
        if now_status == "revoked":
            revoked = Message("{name}'s consent to issue OMCs was revoked on {day}, after this credential was issued",
                              name=name, day=event.since) if event else \
                Message("{name}'s consent to issue OMCs was revoked after this credential was issued", name=name)
            return Check(self.name, "failed", revoked, "ISSUER_CONSENT_REVOKED")
        if now_status == "suspended":
            warning = Message("{name}'s consent to issue OMCs has been suspended since {since}; this credential "
                              "was issued before that, on {day}", name=name, since=event.since, day=issued) \
                if event else Message("{name}'s consent to issue OMCs has been suspended; this credential was "
                                      "issued before that, on {day}", name=name, day=issued)
            ctx.result.warn("ISSUER_SUSPENDED", warning)
            if self._suspended_past() == "invalid":
                return Check(self.name, "failed", Message("{warning}; the OMC policy does not accept such "
                                                          "credentials", warning=warning),
                             "ISSUER_SUSPENDED_SINCE_ISSUE")
            return Check(self.name, "warning", Message("{warning}; the OMC policy still accepts credentials issued "
                                                       "before the suspension", warning=warning), "ISSUER_SUSPENDED")
        return self._passed(inst, issued)

    def _passed(self, inst: Institution, issued: datetime) -> Check:
        # the same few sentences for a whole cohort: remembered per institution and day (bounded)
        key = (inst.id, inst.legal_name, inst.consent.reference, inst.consent.scope, issued.date())
        found = self._sentences.get(key)
        if found is None:
            scope = Message("OMC and OMC+") if "OMC+" in inst.consent.scope else "OMC"
            found = Message("{name} held the ministry's consent ({reference}, {scope}) when this credential was "
                            "issued on {day}, and still does", name=inst.legal_name,
                            reference=inst.consent.reference, scope=scope, day=issued)
            if len(self._sentences) >= 1024:
                self._sentences.clear()
            self._sentences[key] = found
        return Check(self.name, "passed", found)


# --- partnership --------------------------------------------------------------------------------------

def _endorsements(credential: dict[str, Any]) -> list[dict[str, Any]]:
    found = [e for e in as_list(credential.get("endorsement")) if isinstance(e, dict)]
    try:
        from omc_vc.omc.model import achievement_of
    except ImportError:  # pragma: no cover
        return found
    achievement = achievement_of(credential)
    if achievement is not None:
        found.extend(e for e in as_list(achievement.get("endorsement")) if isinstance(e, dict))
    return found


def _endorsed_ids(credential: dict[str, Any]) -> set[str]:
    ids = set()
    if isinstance(credential.get("id"), str):
        ids.add(credential["id"])
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if isinstance(achievement, dict) and isinstance(achievement.get("id"), str):
        ids.add(achievement["id"])
    return ids


class PartnershipCheck(_RegistryBacked):
    """``partnership``: a private career college's OMC shows its consent-holding partner.

    The proof is an OB 3.0 ``EndorsementCredential`` embedded in the credential (``endorsement``) or in
    its achievement, issued by one of the partner's registered DIDs, whose ``credentialSubject.id`` is
    the achievement's or the credential's id, and which verifies as a credential on its own. That
    subject must name this credential's issuer as ``endorsedIssuer`` and carry the
    ``achievementDigest`` of this credential's achievement (:mod:`omc_vc.omc.endorsement`), so that an
    endorsement cannot be reused for another course, by another college, or after the course's hours,
    credits, category, name or OMC+ targets changed (ENDORSEMENT_NOT_BOUND). The partner must hold
    active consent when it endorsed and now, and the registry must record the partnership when the
    credential was issued.
    """

    name = PARTNERSHIP_CHECK

    def __call__(self, credential: dict[str, Any], ctx: CheckContext) -> Iterable[Check]:
        if not _claims_omc(credential, ctx):
            return [_not_a_claim(self.name)]
        try:
            loaded = self._load(ctx)
        except RegistryError as exc:
            return [self._registry_failure(exc)]
        issuer = ctx.result.issuer or issuer_id(credential) or ""
        inst = loaded.data.institution_for_did(issuer)
        if inst is None:
            return [Check(self.name, "skipped", Message("no partnership to check: the issuer is not in the registry"))]
        if not inst.is_private_career_college:
            return [Check(self.name, "passed", Message("not required: {name} is not a private career college",
                                                       name=inst.legal_name))]
        issued = max(_issuance_moments(credential, ctx.now))
        partners = [p for _, p in loaded.data.partners_of(inst, issued)]
        current = {p.id for _, p in loaded.data.partners_of(inst, ctx.now)}
        partners = [p for p in partners if p.id in current]
        if not partners:
            return [Check(self.name, "failed", Message("{name} is a private career college and the registry "
                                                       "records no consent-holding partner for it; it cannot confer "
                                                       "OMCs alone", name=inst.legal_name), "PARTNERSHIP_MISSING")]
        names = " or ".join(p.legal_name for p in partners)
        wanted = _endorsed_ids(credential)
        problems: list[tuple[str, str]] = []
        for endorsement in _endorsements(credential):
            if "EndorsementCredential" not in types(endorsement):
                continue
            endorser = issuer_id(endorsement) or ""
            partner = next((p for p in partners if p.has_did(endorser)), None)
            if partner is None:
                continue
            problem = self._check_endorsement(endorsement, partner, endorser, wanted, credential, issuer, ctx)
            if problem is None:
                ctx.result.details["partner"] = partner.legal_name
                return [Check(self.name, "passed", Message("offered with {partner}, a consent-holding partner, "
                                                           "which endorsed it with its own signature",
                                                           partner=partner.legal_name))]
            problems.append(problem)
        if problems:
            code, why = problems[0]
            return [Check(self.name, "failed", Message("the endorsement from {names} does not hold: {why}",
                                                       names=names, why=why), code)]
        return [Check(self.name, "failed", Message("{name} is a private career college; its OMCs must carry the "
                                                   "signed endorsement of its consent-holding partner ({names}), and "
                                                   "this one does not", name=inst.legal_name, names=names),
                      "PARTNERSHIP_MISSING")]

    @staticmethod
    def _check_endorsement(endorsement: dict[str, Any], partner: Institution, endorser: str, wanted: set[str],
                           credential: dict[str, Any], issuer: str,
                           ctx: CheckContext) -> tuple[str, str] | None:
        """None when the partner's endorsement holds, else (code, reason)."""
        from omc_vc.omc.endorsement import BINDING_CODE, binding_problem
        from omc_vc.omc.model import achievement_of

        invalid = "PARTNERSHIP_INVALID"
        subjects = {s.get("id") for s in as_list(endorsement.get("credentialSubject")) if isinstance(s, dict)}
        if not subjects & wanted:
            return invalid, Message("it endorses something other than this credential or its achievement")
        # OB 3.0 §B.1.5: the endorsement is a credential of its own; verify it with the core checks only, under
        # the caller's policy (DESIGN decision 13: its accepted cryptosuites, resolver, loader and time of interest)
        result = ctx.verify_nested(endorsement)
        if not result.verified:
            return invalid, Message("it does not verify ({why})", why=result.reason)
        # the partner vouches for this college's course as defined, not for any course or any college
        unbound = binding_problem(endorsement, issuer=issuer, achievement=achievement_of(credential),
                                  subject_ids=wanted)
        if unbound is not None:
            return BINDING_CODE, unbound
        signed_at = _issuance_moments(endorsement, ctx.now)
        for moment in signed_at:
            if partner.window_for(endorser, moment) is None:
                return invalid, Message("{endorser} was not a registered DID of {partner} when it endorsed",
                                        endorser=endorser, partner=partner.legal_name)
            if partner.consent.status_at(moment) != "active":
                return invalid, Message("{partner} did not hold active consent when it endorsed",
                                        partner=partner.legal_name)
        if partner.consent.status_at(ctx.now) != "active":
            return invalid, Message("{partner}'s own consent is now {status}", partner=partner.legal_name,
                                    status=Message(_CONSENT_STATES.get(partner.consent.status_at(ctx.now),
                                                                       partner.consent.status_at(ctx.now))))
        return None


# --- the verifier ---------------------------------------------------------------------------------------

@dataclass
class OmcVerifier(Verifier):
    """A :class:`Verifier` that also puts the verdict into ``result.details["verdict"]``."""

    registry_configured: bool = field(default=False)
    #: the registry the OMC checks consult (None in plain mode): its facts are shown beside every verdict
    registry_client: RegistryClient | None = field(default=None)

    def verify(self, document: dict[str, Any] | str | bytes, **kwargs: Any) -> VerificationResult:
        result = super().verify(document, **kwargs)
        if result.kind == "presentation":
            # what the caller asked of the presentation, so its verdict can say which checks were made
            result.details["presentationRequest"] = {"challenge": kwargs.get("challenge") is not None,
                                                     "domain": kwargs.get("domain") is not None}
        verdict_of(result)
        return result


def make_verifier(*, registry: str | None = None, anchors: Path | None = None, fetcher: Fetcher | None = None,
                  policy: Policy | None = None, cache_dir: Path | None = None, resolver: DidResolver | None = None,
                  status_documents: dict[str, Any] | None = None, offline: bool = False, demo: bool = False,
                  state_file: Path | None = None, anchor_set: Anchors | None = None,
                  registry_client: RegistryClient | None = None) -> Verifier:
    """A Verifier with the status, OMC profile and (given a registry) issuer-authorized and partnership checks.

    ``registry`` is a URL or a file path; ``anchors`` the anchors file (default the shipped
    ``keys/ministry-anchors.json``, or the demo anchor with ``demo=True``). ``offline`` uses no network
    at all: pinned DIDs and status lists, and a fresh cached registry.
    """
    from omc_vc.checks.status import StatusListCheck
    from omc_vc.omc.profile import OmcProfileCheck

    net = None if offline else (fetcher or Fetcher())
    checks: list[CredentialCheck] = [
        StatusListCheck(net, cache_dir=cache_dir / "status" if cache_dir is not None else None,
                        documents=status_documents),
    ]
    client = registry_client
    if client is None and registry is not None:
        if anchor_set is None:
            anchor_set = load_anchors(anchors if anchors is not None else (demo_anchors_path() if demo else None),
                                      demo=demo)
        client = RegistryClient(registry, anchor_set, fetcher=net, offline=offline,
                                cache_dir=cache_dir / "registry" if cache_dir is not None else None,
                                state_file=state_file)
    # with the registry, endorsers it lists are named as it records them (the rest are marked self-declared)
    checks.append(OmcProfileCheck(policy, registry=client))
    if client is not None:
        checks += [RegistryCheck(client, policy), PartnershipCheck(client)]
    return OmcVerifier(resolver=resolver or DidResolver(fetcher=net), fetcher=net, extra_checks=checks,
                       registry_configured=client is not None, registry_client=client)


# --- the verdict ----------------------------------------------------------------------------------------

def _plain(check: Check) -> str:
    if check.code and check.code in _PLAIN:
        return Message(_PLAIN[check.code])
    if check.code and check.code.startswith("REGISTRY_"):
        why = check.detail.removeprefix(_REGISTRY_PREFIX)
        return Sentence(Message("The ministry's registry of authorized issuers could not be trusted, so nothing "
                                "about this credential can be confirmed: {why}", why=why))
    if not check.detail:
        return Message("The {check} check failed.", check=check.name)
    return _sentence(check.detail)


def _sentence(text: str) -> str:
    """A check's detail (a clause) as a sentence, in whichever language it is shown (:class:`Sentence`)."""
    return Sentence(text) if text.strip() else text


def verdict_of(result: VerificationResult) -> Verdict:
    """The verdict for ``result`` (also stored as ``result.details["verdict"]``)."""
    verdict = _presentation_verdict(result) if result.kind == "presentation" else _verdict(result)
    verdict = _shown(verdict)
    result.details["verdict"] = verdict.to_json()
    return verdict


#: The bound of a reason or warning (our sentence with the document or registry text it quotes).
REASON_LIMIT: Final = 1000


def _shown(verdict: Verdict) -> Verdict:
    """DESIGN decision 16: reasons, warnings and the institution quote documents and the registry, so they are
    made inert here for every channel (CLI, page, wallet record, certificate); the headline is our constant."""
    headline = presentation_headline(verdict) if verdict.is_presentation else HEADLINES[verdict.status]
    return replace(verdict, headline=headline, reason=inert_text(verdict.reason, limit=REASON_LIMIT),
                   institution=None if verdict.institution is None else inert(verdict.institution),
                   warnings=tuple(inert_text(w, limit=REASON_LIMIT) for w in verdict.warnings),
                   presentation=tuple(replace(c, detail=inert_text(c.detail, limit=REASON_LIMIT))
                                      for c in verdict.presentation))


# --- presentations -------------------------------------------------------------------------------------

PRESENTATION_INVALID: Final = N_("NOT valid: do not rely on this presentation")
_EMPTY_PRESENTATION: Final = N_("Valid presentation, but it holds no credentials")


def presentation_headline(verdict: Verdict, words: Translator | None = None) -> str:
    """A presentation's headline, made of our own words and counts only: the credentials' verdicts summed up
    ("2 valid Ontario Micro-Credentials", "1 valid Ontario Micro-Credential and 1 NOT valid"), or
    :data:`PRESENTATION_INVALID` when the presentation's own checks failed; in ``words``' language
    (default English)."""
    t = words or translator()
    if any(c.status == "failed" for c in verdict.presentation) or (
            verdict.status == "invalid" and not verdict.credentials):
        return t.gettext(PRESENTATION_INVALID)
    if not verdict.credentials:
        return t.gettext(_EMPTY_PRESENTATION)
    if len(verdict.credentials) == 1:
        return t.gettext(HEADLINES[verdict.credentials[0].status])
    omc = sum(1 for v in verdict.credentials if v.is_omc)
    other = sum(1 for v in verdict.credentials if v.status == "valid-not-omc")
    bad = sum(1 for v in verdict.credentials if v.status == "invalid")
    parts = []
    if omc:
        parts.append(t.render(Plural("{n} valid Ontario Micro-Credential", "{n} valid Ontario Micro-Credentials",
                                     "n", n=omc)))
    if other:
        parts.append(t.render(Plural("{n} valid credential that is NOT an Ontario Micro-Credential",
                                     "{n} valid credentials that are NOT Ontario Micro-Credentials", "n", n=other)))
    if bad:
        parts.append(t.render(Plural("{n} NOT valid", "{n} NOT valid", "n", n=bad)))
    if len(parts) == 1:
        return parts[0]
    return t.tr("{first} and {last}", first=", ".join(parts[:-1]), last=parts[-1])


_CHALLENGE_CODES: Final = frozenset({"INVALID_CHALLENGE_ERROR"})
_DOMAIN_CODES: Final = frozenset({"INVALID_DOMAIN_ERROR"})
_LABELS: Final[dict[str, str]] = {
    "signature": N_("Signed by the learner who presents it (the holder)"),
    "challenge": N_("Made for this request, not a copy of an earlier one (challenge)"),
    "domain": N_("Made for this verifier (domain)"),
    "holder-is-subject": N_("Every credential is about the holder"),
    "holder-claims": N_("Every credential carries its issuer's own signature"),
}


def _presentation_checks(result: VerificationResult) -> tuple[PresentationCheck, ...]:
    """The presentation's own checks in plain words (VC-API presentations/verify; VC-DI §4.4 steps 6-7 for the
    domain and challenge of a Data Integrity proof, VC-JOSE-COSE's nonce and aud for a VP-JWT)."""
    own = [c for c in result.checks if c.name != "credentials"]
    failed = [c for c in own if c.failed]
    proof = result.check("proof")
    signed = proof is not None and proof.status == "passed"
    asked = result.details.get("presentationRequest")
    asked = asked if isinstance(asked, dict) else {}
    no_challenge = any(w.get("code") == "NO_CHALLENGE" for w in result.warnings)
    out: list[PresentationCheck] = []

    def add(name: str, status: Literal["passed", "failed", "warning", "skipped"], detail: str) -> None:
        out.append(PresentationCheck(name, _LABELS.get(name, name), status, detail))

    # who signed it: the proof (authentication) and, when it names a holder, that the holder's key signed it
    binding = result.check("holder-binding")
    broken = next((c for c in failed if c.name in ("parse", "data-model", "data-loss", "proof", "holder-binding")
                   and c.code not in _CHALLENGE_CODES | _DOMAIN_CODES), None)
    if broken is not None:
        add("signature", "failed", _plain(broken))
    elif binding is not None:
        add("signature", "passed", _sentence(binding.detail))
    elif signed:
        add("signature", "warning", Message("Its signature verified, but it does not name its holder, so who presents "
            "these credentials is not stated."))
    else:
        add("signature", "skipped", Message("Not checked."))
    # challenge: a fresh value the verifier chose, so a copied presentation cannot be replayed
    challenge = next((c for c in failed if c.code in _CHALLENGE_CODES), None)
    if challenge is not None:
        add("challenge", "failed", Message("It does not answer this verifier's challenge: it may be a copy of a "
            "presentation made earlier or for someone else."))
    elif not signed:
        add("challenge", "skipped", Message("Not checked: the presentation's signature did not verify."))
    elif asked.get("challenge") is True or (not asked and result.format == "di" and not no_challenge):
        add("challenge", "passed", Message("It answers the challenge this verifier asked for."))
    elif no_challenge or asked.get("challenge") is False:
        add("challenge", "warning", Message("No challenge was asked for, so this could be a copy of an earlier "
            "presentation (a replay)."))
    else:
        add("challenge", "skipped", Message("Not recorded whether a challenge was asked for."))
    # domain: the verifier the presentation was made for
    domain = next((c for c in failed if c.code in _DOMAIN_CODES), None)
    if domain is not None:
        add("domain", "failed", Message("It was made for another verifier (its domain does not match)."))
    elif not signed:
        add("domain", "skipped", Message("Not checked: the presentation's signature did not verify."))
    elif asked.get("domain") is True:
        add("domain", "passed", Message("It was made for this verifier."))
    else:
        add("domain", "skipped", Message("No domain was asked for, so it was not checked which verifier it was "
                                         "made for."))
    for name in ("holder-claims", "holder-is-subject"):
        check = result.check(name)
        if check is not None and check.failed:
            add(name, "failed", _plain(check))
        elif name == "holder-is-subject" and signed and binding is not None and result.credentials:
            add(name, "passed", Message("Every credential that names its subject is about the holder."))
    listed = {"parse", "data-model", "data-loss", "proof", "holder-binding", "holder-claims", "holder-is-subject"}
    for check in failed:
        if check.name not in listed and check.code not in _CHALLENGE_CODES | _DOMAIN_CODES:
            add(check.name, "failed", _plain(check))
    return tuple(out)


def _presentation_verdict(result: VerificationResult) -> Verdict:
    """A presentation: each embedded credential's own verdict, the presentation's own checks, and a status
    that sums them up (invalid when the presentation or any credential fails; an OMC only when all are)."""
    subs = tuple(verdict_of(sub) for sub in result.credentials)
    checks = _presentation_checks(result)
    base = Verdict("invalid", PRESENTATION_INVALID, "", None, None, (), True, subs, checks)
    own_failed = [c for c in result.checks if c.failed and c.name != "credentials"]
    if own_failed:
        first = own_failed[0]
        return replace(base, reason=Message("The presentation itself does not hold: {why}", why=_plain(first)),
                       code=first.code)
    if not result.checks:
        return replace(base, reason=Message("Nothing could be verified."))
    if len(subs) == 1:
        # one credential: its verdict is the presentation's
        only = subs[0]
        return replace(base, status=only.status, reason=only.reason, institution=only.institution, code=only.code,
                       warnings=only.warnings)
    if not subs:
        return replace(base, status="valid-not-omc", reason=Message("The presentation's signature holds, but it "
                                                                    "carries no credential to rely on."))
    total = len(subs)
    bad = [(index, v) for index, v in enumerate(subs, 1) if v.status == "invalid"]
    if bad:
        index, first_bad = bad[0]
        return replace(base, reason=Plural("{n} credential of the {total} in this presentation is NOT valid. "
                                           "Credential {index}: {why}",
                                           "{n} credentials of the {total} in this presentation are NOT valid. "
                                           "Credential {index}: {why}", "n", n=len(bad), total=total, index=index,
                                           why=first_bad.reason), code=first_bad.code)
    if all(v.is_omc for v in subs):
        status: VerdictStatus = "valid-omc-plus" if all(v.status == "valid-omc-plus" for v in subs) else "valid-omc"
        return replace(base, status=status, reason=Message("All {total} credentials in this presentation are valid "
                                                           "Ontario Micro-Credentials; each one's verdict follows.",
                                                           total=total))
    other = sum(1 for v in subs if not v.is_omc)
    return replace(base, status="valid-not-omc", reason=Plural(
        "All {total} credentials in this presentation are valid; {n} of them is NOT an Ontario Micro-Credential. "
        "Each one's verdict follows.",
        "All {total} credentials in this presentation are valid; {n} of them are NOT Ontario Micro-Credentials. "
        "Each one's verdict follows.", "n", n=other, total=total))


def _verdict(result: VerificationResult) -> Verdict:
    institution = result.details.get("institution")
    warnings = tuple(w["detail"] if isinstance(w["detail"], str) else str(w["detail"]) for w in result.warnings
                     if w.get("code") in ("ISSUER_SUSPENDED", "REGISTRY_WARNING"))
    failed = [c for c in result.checks if c.failed]
    hard = [c for c in failed if c.name not in _NOT_OMC_CHECKS or c.code in _INVALID_CODES
            or (c.code or "").startswith("REGISTRY_")]
    if hard or (failed and result.kind != "credential"):
        first = hard[0] if hard else failed[0]
        return Verdict("invalid", HEADLINES["invalid"], _plain(first), institution, first.code, warnings)
    if not result.checks:
        return Verdict("invalid", HEADLINES["invalid"], Message("Nothing could be verified."), institution, None,
                       warnings)
    if failed:
        # the credential verified; only the OMC-specific checks failed
        order = {ISSUER_CHECK: 0, PARTNERSHIP_CHECK: 1, "omc-profile": 2, "omc-endorsements": 3}
        first = sorted(failed, key=lambda c: order.get(c.name, 9))[0]
        return Verdict("valid-not-omc", HEADLINES["valid-not-omc"], _sentence(first.detail), institution,
                       first.code, warnings)
    profile = result.check("omc-profile")
    issuer_check = result.check(ISSUER_CHECK)
    if profile is None or profile.status == "skipped":
        return Verdict("valid-not-omc", HEADLINES["valid-not-omc"], Message(
            "The credential is valid, but it does not claim to be an Ontario Micro-Credential (it does not use the "
            "OMC vocabulary)."), institution, None, warnings)
    if profile.status == "warning":
        # a claimed OMC that breaks the profile: a valid credential, and the reason it is not an OMC
        return Verdict("valid-not-omc", HEADLINES["valid-not-omc"], _sentence(profile.detail), institution,
                       profile.code, warnings)
    if issuer_check is None:
        # plain mode (no registry configured): say that no OMC verdict was given, not only that it is none
        return Verdict("valid-not-omc", HEADLINES["valid-not-omc"], Message(
            "No OMC verdict was given: the issuer was not checked against the ministry's registry (none is "
            "configured), so the credential is valid but cannot be called an OMC."), institution, None, warnings)
    plus = bool(result.details.get("omc", {}).get("omcPlus")) if isinstance(result.details.get("omc"), dict) \
        else _is_omc_plus(result.document or {})
    status: VerdictStatus = "valid-omc-plus" if plus else "valid-omc"
    return Verdict(status, HEADLINES[status], _omc_reason(issuer_check.detail, result.details.get("partner"), plus),
                   institution, None, warnings)


#: OMC verdicts' reasons by the issuer check's detail (by identity, holding it: the check gives one sentence to a
#: whole cohort), the partner and OMC+ (bounded)
_OMC_REASONS: dict[tuple[int, str | None, bool], tuple[str, str]] = {}


def _omc_reason(detail: str, partner: object, plus: bool) -> str:
    """A valid OMC's reason: the issuer check's detail as a sentence, the partner, whether it is an OMC+."""
    key = (id(detail), partner, plus) if partner is None or type(partner) is str else None
    found = _OMC_REASONS.get(key) if key is not None else None
    if found is not None and found[0] is detail:
        return found[1]
    reason = _sentence(detail)
    if partner:
        reason = Message("{reason} Offered in partnership with {partner}.", reason=reason, partner=partner)
    if plus:
        reason = Message("{reason} It counts toward a larger credential (OMC+).", reason=reason)
    if key is not None:
        if len(_OMC_REASONS) >= 256:
            _OMC_REASONS.clear()
        _OMC_REASONS[key] = (detail, reason)
    return reason


# --- the verdict in the reader's language ------------------------------------------------------------------

#: The checks' names as a reader sees them.
CHECK_NAMES: Final[dict[str, str]] = {
    "parse": N_("readable"), "data-model": N_("data model"), "data-loss": N_("nothing unsigned"),
    "proof": N_("signature"), "issuer-key-binding": N_("issuer's key"), "validity-period": N_("validity dates"),
    "plain-json-ld": N_("signed as written"),
    "status": N_("revocation status"), "omc-profile": N_("OMC fields"), "omc-endorsements": N_("endorsements"),
    ISSUER_CHECK: N_("issuer authorized by the ministry"), PARTNERSHIP_CHECK: N_("partnership"),
    "holder-binding": N_("holder"), "credentials": N_("credentials"),
    "related-resources": N_("related resources"), "challenge": N_("challenge"), "domain": N_("domain"),
    "holder-claims": N_("credentials' own signatures"), "holder-is-subject": N_("credentials about the holder"),
}


def shown_text(text: str, words: Translator, *, code: str | None = None, status: str | None = None) -> str:
    """One of a verdict's texts (a reason, a warning, a check's detail) in ``words``' language. Our own
    sentences (:class:`~omc_vc.i18n.Message`) are translated with their parameters; a code with plain words
    gets them; any other text is a check's English detail, which a French reader gets as our sentence for
    the verdict with its code (the English detail stays in the JSON result)."""
    if translatable(text) or words.language == "en":
        return words.render(text)
    if code and code in _PLAIN:
        return words.gettext(_PLAIN[code])
    if status == "invalid":
        return words.tr("A check of this credential failed (code {code}).", code=code or "NOT_VERIFIED")
    if status == "valid-not-omc":
        return words.tr("It does not meet the conditions of an Ontario Micro-Credential (code {code}).",
                        code=code or "NOT_AN_OMC")
    return words.tr("See the technical details (code {code}).", code=code or "UNKNOWN")


def localized(verdict: Verdict, language: str | None) -> Verdict:
    """``verdict`` in ``language`` (English, or French: :mod:`omc_vc.i18n`): headline, reason, warnings and
    a presentation's own checks; its status and codes are the same in every language."""
    words = translator(language)
    if words.language == "en":
        return verdict
    credentials = tuple(localized(v, language) for v in verdict.credentials)
    headline = presentation_headline(verdict, words) if verdict.is_presentation else \
        words.gettext(HEADLINES[verdict.status])
    return replace(verdict, headline=headline,
                   reason=shown_text(verdict.reason, words, code=verdict.code, status=verdict.status),
                   warnings=tuple(shown_text(w, words) for w in verdict.warnings), credentials=credentials,
                   presentation=tuple(replace(c, label=words.gettext(_LABELS.get(c.name, c.name)),
                                              detail=shown_text(c.detail, words, status=c.status))
                                      for c in verdict.presentation))
