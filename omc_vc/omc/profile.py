"""The OMC profile: :func:`validate_omc` (the policy, field by field) and the ``omc-profile`` check.

One function serves both sides: at issue time a violation raises
:class:`~omc_vc.errors.PolicyError` naming the field (see :func:`require_omc`); at verify time the
:class:`OmcProfileCheck` reports the same violations as a failed ``omc-profile`` check. Embedded
endorsements (OB 3.0 §B.1.5 EndorsementCredential) are verified as credentials in their own right:
each must carry a valid proof by a key of its own issuer, be about this achievement and be bound to
this credential's issuer and this achievement's defining fields (:mod:`omc_vc.omc.endorsement`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from omc_vc.errors import PolicyError, RegistryError
from omc_vc.i18n import Message, Plural, joined
from omc_vc.model import Check, as_list, issuer_id, types
from omc_vc.omc.endorsement import BINDING_CODE, binding_problem, endorser_entry
from omc_vc.omc.model import (
    ACHIEVEMENT_TYPE,
    OMC_CONTEXT,
    achievement_of,
    claims_omc,
    is_omc_plus,
    is_omc_shaped,
)
from omc_vc.omc.policy import Policy, load_policy

if TYPE_CHECKING:
    from omc_vc.registry import RegistryClient, RegistryData
    from omc_vc.verify import CheckContext

__all__ = ["ENDORSEMENT_CODE", "NOT_A_CLAIM", "POLICY_CODE", "OmcProfileCheck", "require_omc", "validate_omc"]

POLICY_CODE: Final = "POLICY_VIOLATION"
#: The detail of a skipped ``omc-profile`` check (and of the registry checks) for a credential that does not
#: claim to be an OMC.
NOT_A_CLAIM: Final = Message("not an OMC claim: the credential does not use the OMC vocabulary (its @context does "
                             "not list {context}), so it is judged as a credential only", context=OMC_CONTEXT)
ENDORSEMENT_CODE: Final = "ENDORSEMENT_INVALID"

# CIP 2021 (Statistics Canada): a six-digit instructional program code "NN.NNNN".
_CIP: Final = re.compile(r"[0-9]{2}\.[0-9]{4}")
# NOC 2021 v1.0: five-digit unit group codes ("72106").
_NOC: Final = re.compile(r"[0-9]{5}")
# BCP 47 language tag, the shape OB 3.0 asks of inLanguage (a practical subset of RFC 5646).
_BCP47: Final = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_ACH: Final = "credentialSubject.achievement"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _is_absolute_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. a malformed IPv6 literal: not an absolute URL
        return False
    return (parts.scheme in ("https", "http") and bool(parts.netloc)) or parts.scheme in ("urn", "did")


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str | list | dict):
        return bool(value.strip() if isinstance(value, str) else value)
    return True


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def validate_omc(credential: Any, policy: Policy | None = None) -> list[str]:
    """Every way ``credential`` breaks the OMC profile and ``policy``, one message per field.

    Each message starts with the JSON path of the field it names, e.g.
    ``credentialSubject.achievement.nocCodes: 4 codes, the policy allows at most 3``.
    An empty list means the credential is a conforming OMC (signatures are not checked here).
    """
    pol = policy or load_policy()
    out: list[str] = []
    if not isinstance(credential, dict):
        return [Message("$: the credential is not a JSON object")]
    if "OpenBadgeCredential" not in types(credential) and "AchievementCredential" not in types(credential):
        out.append(Message("type: an OMC is an OpenBadgeCredential (OB 3.0 §B.1.1)"))
    if OMC_CONTEXT not in as_list(credential.get("@context")):
        out.append(Message("@context: the OMC context {context} is missing", context=OMC_CONTEXT))
    achievement = achievement_of(credential)
    if achievement is None:
        out.append(Message("{field}: missing (an OMC has exactly one AchievementSubject with an achievement)",
                           field=_ACH))
        return out
    if achievement.get("achievementType") != ACHIEVEMENT_TYPE:
        out.append(Message("{field}.achievementType: must be {type}", field=_ACH, type=repr(ACHIEVEMENT_TYPE)))
    for name in pol.required_achievement_fields:
        if not _present(achievement.get(name)):
            out.append(Message("{field}: required by the OMC policy but missing", field=_ACH + "." + name))
    _check_numbers(achievement, pol, out)
    _check_terms(achievement, pol, out)
    _check_credit(achievement, out)
    _check_issuer(credential, pol, out)
    if pol.require_credential_status and not as_list(credential.get("credentialStatus")):
        out.append(Message("credentialStatus: an OMC must carry a revocation status entry (policy)"))
    for index, item in enumerate(as_list(achievement.get("endorsement"))):
        if not isinstance(item, dict) or "EndorsementCredential" not in types(item):
            where = f"{_ACH}.endorsement[{index}]"
            out.append(Message("{field}: must be an EndorsementCredential", field=where))
    return out


def _check_numbers(achievement: dict[str, Any], pol: Policy, out: list[str]) -> None:
    for name, low, high, unit in (("instructionalHours", pol.min_hours, pol.max_hours, "hours"),
                                  ("durationWeeks", pol.min_weeks, pol.max_weeks, "weeks")):
        value = achievement.get(name)
        if value is None:
            continue
        if not _is_number(value):
            out.append(Message("{field}: must be a number", field=_ACH + "." + name))
        elif not low <= value <= high:
            shown = {"field": f"{_ACH}.{name}", "value": f"{value:g}", "low": f"{low:g}", "high": f"{high:g}"}
            out.append(Message("{field}: {value} hours is outside the policy range {low}-{high}", **shown)
                       if unit == "hours" else
                       Message("{field}: {value} weeks is outside the policy range {low}-{high}", **shown))


def _check_terms(achievement: dict[str, Any], pol: Policy, out: list[str]) -> None:
    category = achievement.get("qualificationCategory")
    if category is not None and category not in pol.qualification_categories:
        out.append(Message("{field}.qualificationCategory: {category} is not an allowed category", field=_ACH,
                           category=repr(category)))
    mode = achievement.get("deliveryMode")
    if mode is not None and mode not in pol.delivery_modes:
        out.append(Message("{field}.deliveryMode: {mode} is not one of {modes}", field=_ACH, mode=repr(mode),
                           modes=", ".join(pol.delivery_modes)))
    language = achievement.get("inLanguage")
    if language is not None and not (isinstance(language, str) and _BCP47.fullmatch(language)):
        out.append(Message("{field}.inLanguage: must be a BCP 47 language tag such as 'en' or 'fr-CA'", field=_ACH))
    cip = achievement.get("cipCode")
    if cip is not None and not (isinstance(cip, str) and _CIP.fullmatch(cip)):
        out.append(Message("{field}.cipCode: must be a six-digit CIP 2021 code such as '48.0508'", field=_ACH))
    if "nocCodes" in achievement:
        codes = achievement["nocCodes"]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            out.append(Message("{field}.nocCodes: must be a list of NOC 2021 code strings", field=_ACH))
        else:
            if len(codes) > pol.max_noc_codes:
                out.append(Message("{field}.nocCodes: {n} codes, the policy allows at most {most}", field=_ACH,
                                   n=len(codes), most=pol.max_noc_codes))
            bad = [c for c in codes if not _NOC.fullmatch(c)]
            if bad:
                out.append(Message("{field}.nocCodes: {code} is not a five-digit NOC 2021 code", field=_ACH,
                                   code=repr(bad[0])))
            if len(set(codes)) != len(codes):
                out.append(Message("{field}.nocCodes: a code is listed twice", field=_ACH))
    assessment = achievement.get("summativeAssessment")
    if assessment is not None:
        path = f"{_ACH}.summativeAssessment"
        if not isinstance(assessment, dict):
            out.append(Message("{field}: must be an object", field=path))
        else:
            if "SummativeAssessment" not in as_list(assessment.get("type")):
                out.append(Message("{field}.type: must be 'SummativeAssessment'", field=path))
            if not _text(assessment.get("description")):
                out.append(Message("{field}: required", field=path + ".description"))
            if "evidenceUrl" in assessment and not _is_absolute_url(assessment["evidenceUrl"]):
                out.append(Message("{field}: must be an absolute URL", field=path + ".evidenceUrl"))
    # OB 3.0 §B.1.9 Alignment: type, targetName and targetUrl are required
    for path, alignment in _objects(achievement, "alignment", "Alignment", out):
        if not _text(alignment.get("targetName")):
            out.append(Message("{field}: required", field=path + ".targetName"))
        if not _is_absolute_url(alignment.get("targetUrl")):
            out.append(Message("{field}: required, an absolute URL", field=path + ".targetUrl"))


def _objects(achievement: dict[str, Any], key: str, kind: str,
             out: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The achievement's ``key`` entries with their JSON paths; an entry that is not an object is reported."""
    for index, item in enumerate(as_list(achievement.get(key))):
        path = f"{_ACH}.{key}[{index}]"
        if isinstance(item, dict):
            yield path, item
        else:
            if kind == "Alignment":
                out.append(Message("{field}: must be an {kind} object", field=path, kind=kind))
            else:
                out.append(Message("{field}: must be a {kind} object", field=path, kind=kind))


def _check_credit(achievement: dict[str, Any], out: list[str]) -> None:
    if "creditsAvailable" in achievement:
        if not _is_number(achievement["creditsAvailable"]) or achievement["creditsAvailable"] < 0:
            out.append(Message("{field}: must be a non-negative number", field=_ACH + ".creditsAvailable"))
        if not _text(achievement.get("creditUnit")):
            out.append(Message("{field}.creditUnit: required with creditsAvailable (e.g. 'course credit')", field=_ACH))
    for path, pathway in _objects(achievement, "creditTransfer", "CreditTransferPathway", out):
        for name in ("receivingInstitution", "program", "agreementReference"):
            if not _text(pathway.get(name)):
                out.append(Message("{field}: required", field=path + "." + name))
        if not _is_number(pathway.get("creditGranted")) or pathway["creditGranted"] < 0:
            out.append(Message("{field}: required, a non-negative number", field=path + ".creditGranted"))
    for path, target in _objects(achievement, "stacksInto", "StackingTarget", out):
        if not _is_absolute_url(target.get("id")):
            out.append(Message("{field}: required, the absolute URL of the larger credential", field=path + ".id"))
        for name in ("name", "awardingInstitution", "program", "creditDeterminedBy"):
            if not _text(target.get(name)):
                out.append(Message("{field}: required", field=path + "." + name))
        if not _is_number(target.get("creditValue")) or target["creditValue"] < 0:
            out.append(Message("{field}: required, a non-negative number", field=path + ".creditValue"))
        if "creditRequired" in target and (not _is_number(target["creditRequired"]) or target["creditRequired"] <= 0):
            out.append(Message("{field}: must be a positive number", field=path + ".creditRequired"))
        if not isinstance(target.get("awardedByIssuer"), bool):
            out.append(Message("{field}: required, true or false", field=path + ".awardedByIssuer"))


def _check_issuer(credential: dict[str, Any], pol: Policy, out: list[str]) -> None:
    issuer = credential.get("issuer")
    if not isinstance(issuer, dict):
        out.append(Message("issuer: an OMC's issuer must be a Profile object (OB 3.0 §B.2.2) with its name and "
                           "consent"))
        return
    for name in pol.required_issuer_fields:
        if not _present(issuer.get(name)):
            out.append(Message("{field}: required by the OMC policy but missing", field="issuer." + name))
    if "url" in issuer and not _is_absolute_url(issuer["url"]):
        out.append(Message("{field}: must be an absolute URL", field="issuer.url"))


def require_omc(credential: Any, policy: Policy | None = None) -> None:
    """Issue-time gate: raise PolicyError naming the first field (and how many more) that breaks the policy."""
    problems = validate_omc(credential, policy)
    if problems:
        field = problems[0].split(":", 1)[0]
        detail = (Message("refused: {problem} (and {more} more: {others})", problem=problems[0], more=len(problems) - 1,
                          others=joined(problems[1:])) if len(problems) > 1
                  else Message("refused: {problem}", problem=problems[0]))
        raise PolicyError(detail, field=field, problems=problems)


class OmcProfileCheck:
    """The ``omc-profile`` Verifier extra check: the OMC claim, the profile, the policy and embedded endorsements.

    Whether a credential claims the protected OMC term (:func:`~omc_vc.omc.model.claims_omc`, docs/vocabulary.md
    "The OMC claim") and whether it meets the OMC profile decide the OMC verdict, never whether the credential
    verified:

    * a credential that does not claim the term gets a ``skipped`` check ("not an OMC claim"): it is judged
      as a credential only, and the verdict says "not an OMC";
    * a claimed OMC that breaks the profile or the policy gets a ``warning`` check with code
      POLICY_VIOLATION naming every field: the credential still verifies, and the verdict is "valid
      credential, but not an OMC" with that reason.

    Facts for the verdict go to ``result.details["omc"]`` (``claim``, ``shape``, ``omcPlus``).

    Every embedded endorsement, an employer's as much as a partner's, must be bound to this issuer
    and achievement: one that is not (copied from another course or college, or kept after the
    achievement's hours, credits, category, name or OMC+ targets changed) fails ``omc-endorsements``
    with ENDORSEMENT_NOT_BOUND, and is not listed. The endorsements that hold are listed in
    ``details["omc"]["endorsedBy"]`` as ``{"id", "name", "registered"}``
    (:func:`~omc_vc.omc.endorsement.endorser_entry`): with ``registry`` (the ministry's registry
    client), an endorser whose DID the registry lists is named as the registry names it.
    """

    name = "omc-profile"

    def __init__(self, policy: Policy | None = None, registry: RegistryClient | None = None) -> None:
        self.policy = policy or load_policy()
        self.registry = registry

    def __call__(self, credential: dict[str, Any], ctx: CheckContext) -> Iterable[Check]:
        achievement = achievement_of(credential)
        facts: dict[str, Any] = {"claim": claims_omc(credential), "shape": is_omc_shaped(credential),
                                 "omcPlus": is_omc_plus(credential), "policyVersion": self.policy.version}
        ctx.result.details["omc"] = facts
        if not facts["claim"]:
            return [Check(self.name, "skipped", NOT_A_CLAIM)]
        if achievement is None:
            return [Check(self.name, "warning", Message("not a valid OMC: {problems}",
                                                        problems=joined(validate_omc(credential, self.policy))),
                          POLICY_CODE)]
        facts["achievement"] = {"id": achievement.get("id"), "name": achievement.get("name")}
        if facts["omcPlus"]:
            facts["stacksInto"] = [{k: t.get(k) for k in ("id", "name", "awardingInstitution", "program",
                                                         "creditValue", "creditUnit", "creditRequired",
                                                         "creditDeterminedBy", "awardedByIssuer") if k in t}
                                   for t in as_list(achievement.get("stacksInto")) if isinstance(t, dict)]
        checks: list[Check] = []
        problems = validate_omc(credential, self.policy)
        if problems:
            # the OMC verdict's reason, not a verification failure (docs/vocabulary.md, "The OMC claim")
            checks.append(Check(self.name, "warning",
                                Message("not a valid OMC: {problems}", problems=joined(problems)), POLICY_CODE))
        else:
            # the fields only: whether it IS an OMC is the verdict's, which needs the ministry's registry
            # (docs/vocabulary.md, "The OMC claim"), so this line never reads as being one
            kind = "OMC+" if facts["omcPlus"] else "OMC"
            checks.append(Check(self.name, "passed", Message("has the OMC fields ({kind} claim, policy {version})",
                                                             kind=kind, version=str(self.policy.version))))
        endorsements = [e for e in as_list(achievement.get("endorsement")) if isinstance(e, dict)]
        if endorsements:
            checks.append(self._endorsements(endorsements, achievement, credential, ctx))
        return checks

    def _endorsements(self, endorsements: list[dict[str, Any]], achievement: dict[str, Any],
                      credential: dict[str, Any], ctx: CheckContext) -> Check:
        registry = self._registry_data(ctx)
        endorsers: list[dict[str, Any]] = []
        failure: Check | None = None
        for index, endorsement in enumerate(endorsements):
            problem = self._endorsement_problem(f"endorsement[{index}]", endorsement, achievement, credential, ctx)
            if problem is not None:
                failure = failure or problem
                continue
            entry = endorser_entry(endorsement, registry)
            if entry.get("lookalike"):
                ctx.result.warn("ENDORSER_NAME_SELF_DECLARED", Message("an endorser calls itself {name}",
                                                                        name=entry["name"]))
            endorsers.append(entry)
        # only endorsements that hold are listed; the page and the CLI show these names, never the documents'
        ctx.result.details.setdefault("omc", {})["endorsedBy"] = endorsers
        if failure is not None:
            return failure
        names = joined([endorser["name"] for endorser in endorsers], ", ")
        return Check("omc-endorsements", "passed", Plural("{n} endorsement verified: {names}",
                                                          "{n} endorsements verified: {names}", "n",
                                                          n=len(endorsers), names=names))

    def _registry_data(self, ctx: CheckContext) -> RegistryData | None:
        """The ministry's registry, to name registered endorsers; None without one (or when it cannot be
        loaded, or is signed only in cryptosuites the caller does not accept: the issuer-authorized check
        reports that, and every endorser stays self-declared)."""
        if self.registry is None:
            return None
        try:
            loaded = self.registry.load()
            loaded.verified.require_suites(ctx.accepted_suites)  # DESIGN decision 13
            return loaded.data
        except RegistryError:
            return None

    @staticmethod
    def _endorsement_problem(where: str, endorsement: dict[str, Any], achievement: dict[str, Any],
                             credential: dict[str, Any], ctx: CheckContext) -> Check | None:
        if "EndorsementCredential" not in types(endorsement):
            return Check("omc-endorsements", "failed", Message("{where} is not an EndorsementCredential", where=where),
                         ENDORSEMENT_CODE)
        # OB 3.0 §B.1.5: the endorsement's subject is the endorsed entity (here: this achievement)
        subjects = [s.get("id") for s in as_list(endorsement.get("credentialSubject")) if isinstance(s, dict)]
        if achievement.get("id") not in subjects:
            endorsed = (Message("{where} endorses {subject}, not this achievement {id}", where=where,
                                subject=str(subjects[0]), id=str(achievement.get("id"))) if subjects else
                        Message("{where} endorses nothing, not this achievement {id}", where=where,
                                id=str(achievement.get("id"))))
            return Check("omc-endorsements", "failed", endorsed, ENDORSEMENT_CODE)
        # the endorsement is a credential of its own: its proof must verify by a key of its issuer, under the
        # caller's policy (DESIGN decision 13: its accepted cryptosuites, resolver, loader and time of interest)
        result = ctx.verify_nested(endorsement)
        if not result.verified:
            return Check("omc-endorsements", "failed", Message("{where} does not verify: {why}", where=where,
                                                               why=result.reason), ENDORSEMENT_CODE)
        issuer = issuer_id(credential)
        if (issuer_id(endorsement) or "?") == issuer:
            return Check("omc-endorsements", "failed", Message("{where} is issued by the credential's own issuer; an "
                                                               "endorsement must come from a third party", where=where),
                         ENDORSEMENT_CODE)
        # bound to this issuer and these defining fields, so it cannot be reused elsewhere (docs/vocabulary.md)
        unbound = binding_problem(endorsement, issuer=issuer, achievement=achievement,
                                  subject_ids=[str(achievement.get("id"))])
        if unbound is not None:
            return Check("omc-endorsements", "failed", Message("{where} is not bound to this credential: {why}",
                                                               where=where, why=unbound), BINDING_CODE)
        return None
