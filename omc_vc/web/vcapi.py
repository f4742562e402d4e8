"""The VC-API (W3C VCALM draft, standards.md §8) request logic, free of HTTP: parse, validate, act.

Each function takes the parsed JSON body and returns ``(http_status, json_body)``. Bad requests raise
:class:`ApiError` (a 400 problem-details answer). The HTTP layer (``app.py``) only moves bytes.

Status codes follow what the W3C interoperability suites expect of ``omc serve``: verify answers 200
with an empty ``errors`` list when verified and 400 otherwise; issue answers 201 or 400.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from omc_vc._internal import jcs
from omc_vc.bitstring import check_entry_shape
from omc_vc.checks.status import CHECK_NAME as STATUS_CHECK
from omc_vc.errors import (
    IssuanceError,
    JsonLdError,
    MalformedValueError,
    OmcVcError,
    ProofError,
    StatusError,
    problem_type,
)
from omc_vc.i18n import Message
from omc_vc.issue.issuer import Issuer, RequestKey
from omc_vc.issue.status_ops import change_status
from omc_vc.model import Check, VerificationResult, as_list
from omc_vc.proofs import data_integrity
from omc_vc.verdict import verdict_of
from omc_vc.verify import Verifier

DI_V2_CONTEXT = data_integrity.DI_V2_CONTEXT
VERIFY_OPTIONS = {"checks", "challenge", "domain", "expectedProofPurpose", "returnResults", "returnProblemDetails",
                  "returnCredential", "returnPresentation"}
# ``cryptosuite`` lets a caller ask for eddsa-jcs-2022 instead of the key's default suite (the W3C eddsa
# suite registers a separate eddsa-jcs-2022 issuer whose settings carry this option)
ISSUE_OPTIONS = {"credentialStatus", "credentialId", "cryptosuite"}
# legacy VC-API "checks" names -> the core checks they run. The data model, data-loss and proof checks
# always run, whatever is asked (even ``checks: []``): "verified" means nothing without them.
ALWAYS_CHECKED = ("data-model", "data-loss", "proof")
CHECK_NAMES: dict[str, tuple[str, ...]] = {
    "proof": ("data-model", "data-loss", "proof"),
    "issuer-key-binding": ("issuer-key-binding",),
    "validity-period": ("validity-period",),
    "expiration": ("validity-period",),
    "credentialStatus": (STATUS_CHECK,),
    "status": (STATUS_CHECK,),
}
STATUS_CHECK_NAMES = {"credentialStatus", "status"}
STATUS_PURPOSES = ("revocation", "suspension")
#: The longest Idempotency-Key taken (the draft leaves the format to the server, which publishes it)
MAX_REQUEST_KEY: Final = 255
#: draft-ietf-httpapi-idempotency-key-header, "Error Scenarios": the answers of a keyed request's refusals
REQUEST_KEY_STATUS: Final = {"IDEMPOTENCY_KEY_IN_PROGRESS": 409, "IDEMPOTENCY_KEY_REUSED": 422}


class ApiError(OmcVcError):
    """A VC-API request that is malformed (answered 400 with problem details)."""

    default_code = "MALFORMED_REQUEST"
    title = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, status: int = 400) -> None:
        super().__init__(detail, code=code)
        self.status = status


@dataclass
class Verifiers:
    """The VC-API verifiers: one with the status check, one without (``checks: ["proof"]``).

    ``omc``: with a registry configured, gives the OMC verifier (omc_vc.verdict.make_verifier) whose verdict a
    presentation's answer carries beside the W3C fields. ``demo``: the service runs in demo mode, and every
    answer carries a DEMO_MODE warning.
    """

    full: Verifier
    proof_only: Verifier
    omc: Callable[[], Verifier] | None = None
    demo: bool = False


DEMO_CODE = "DEMO_MODE"
DEMO_DETAIL = ("DEMO service: this verifier trusts the DEMO ministry anchor and demo keys; its answers say nothing "
               "about real Ontario Micro-Credentials")


def _demo_warned(body: dict[str, Any], verifiers: Verifiers) -> dict[str, Any]:
    """VCALM verify response: a warning is a problem detail in ``warnings`` (and ``problemDetails``)."""
    if verifiers.demo:
        warning = {"type": problem_type(DEMO_CODE), "code": DEMO_CODE, "title": "demo mode", "detail": DEMO_DETAIL}
        body["warnings"] = [*body["warnings"], warning]
        body["problemDetails"] = [*body["problemDetails"], warning]
    return body


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(Message("the request body must be a JSON object"))
    return body


def _options(body: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    options = body.get("options", {})
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise ApiError(Message("options must be a JSON object"))
    unknown = sorted(set(options) - allowed)
    if unknown:
        # VCALM: IssueCredentialOptions / VerifyOptions are additionalProperties: false
        raise ApiError(Message("unknown option(s): {options}", options=", ".join(unknown)),
                       code="UNKNOWN_OPTION_PROVIDED")
    return options


def _wanted_checks(options: dict[str, Any]) -> tuple[list[str] | None, bool]:
    """(core checks to run or None for all, whether to run the status check)."""
    if "checks" not in options:
        return None, True
    checks = options["checks"]
    if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
        raise ApiError(Message("options.checks must be a list of check names"))
    unknown = sorted(set(checks) - set(CHECK_NAMES))
    if unknown:
        raise ApiError(Message("unknown check(s): {checks}", checks=", ".join(unknown)), code="UNKNOWN_OPTION_PROVIDED")
    wanted = sorted({name for check in checks for name in CHECK_NAMES[check]} | set(ALWAYS_CHECKED))
    return wanted, bool(STATUS_CHECK_NAMES & set(checks))


def _proof_option_problem(document: dict[str, Any], options: dict[str, Any]) -> tuple[str, str] | None:
    """VC-DI §4.4 steps 5-7 for ``/credentials/verify``: the caller's expected proof purpose, domain and
    challenge must match every proof. Returns (error code, detail) for the first mismatch."""
    purpose = options.get("expectedProofPurpose")
    challenge = options.get("challenge")
    domain = options.get("domain")
    if purpose is not None and not isinstance(purpose, str):
        raise ApiError(Message("options.expectedProofPurpose must be a string"))
    if challenge is not None and not isinstance(challenge, str):
        raise ApiError(Message("options.challenge must be a string"))
    if domain is not None and not (isinstance(domain, str) or (
            isinstance(domain, list) and domain and all(isinstance(d, str) for d in domain))):
        raise ApiError(Message("options.domain must be a string or a list of strings"))
    for proof in as_list(document.get("proof")):
        if not isinstance(proof, dict):
            continue  # the verifier reports a malformed proof itself
        # step 5: proofPurpose must be the expected one
        if purpose is not None and proof.get("proofPurpose") != purpose:
            return "PROOF_VERIFICATION_ERROR", Message("proof purpose {found} is not {purpose}",
                                                       found=repr(proof.get("proofPurpose")), purpose=repr(purpose))
        # step 6: the proof's domain set must equal the expected one
        if domain is not None:
            wanted = {domain} if isinstance(domain, str) else set(domain)
            got = proof.get("domain")
            got_set = {got} if isinstance(got, str) else set(got) if isinstance(got, list) else set()
            if wanted != got_set:
                return "INVALID_DOMAIN_ERROR", Message("the proof's domain does not match options.domain")
        # step 7: the challenge must be the expected one
        if challenge is not None and proof.get("challenge") != challenge:
            return "INVALID_CHALLENGE_ERROR", Message("the proof's challenge does not match options.challenge")
    return None


def result_body(result: VerificationResult) -> dict[str, Any]:
    """VC-API verify answer: the legacy ``checks/warnings/errors`` and the VCALM ``problemDetails``."""
    return {
        "verified": result.verified,
        "checks": [c.name for c in result.checks if c.status == "passed"],
        "warnings": list(result.warnings),
        "errors": result.errors,
        "problemDetails": result.errors + list(result.warnings),
        "results": [c.to_json() for c in result.checks],
    }


def verify_credential(body: Any, verifiers: Verifiers) -> tuple[int, dict[str, Any]]:
    """``POST /credentials/verify``: 200 with empty ``errors`` when verified, 400 otherwise."""
    request = _object(body)
    credential = request.get("verifiableCredential")
    if not isinstance(credential, dict):
        raise ApiError(Message("verifiableCredential must be a JSON object (a credential or an "
                               "EnvelopedVerifiableCredential)"), code="PARSING_ERROR")
    options = _options(request, VERIFY_OPTIONS)
    checks, with_status = _wanted_checks(options)
    verifier = verifiers.full if with_status else verifiers.proof_only
    result = verifier.verify(credential, checks=checks)
    if result.kind == "presentation":
        raise ApiError(Message("verifiableCredential is not a credential"), code="PARSING_ERROR")
    if result.format == "di":
        mismatch = _proof_option_problem(credential, options)
        if mismatch is not None:
            result.add(Check("proof-options", "failed", mismatch[1], mismatch[0]))
    if result.verified:
        problem = extra_conformance(credential) if result.format == "di" else None
        if problem:
            raise ApiError(problem, code="MALFORMED_VALUE_ERROR")
    return (200 if result.verified else 400), _demo_warned(result_body(result), verifiers)


def verify_presentation(body: Any, verifiers: Verifiers) -> tuple[int, dict[str, Any]]:
    """``POST /presentations/verify``: proof (purpose authentication), challenge, domain, credentials."""
    request = _object(body)
    presentation = request.get("verifiablePresentation")
    if not isinstance(presentation, dict):
        raise ApiError(Message("verifiablePresentation must be a JSON object"), code="PARSING_ERROR")
    options = _options(request, VERIFY_OPTIONS)
    challenge = options.get("challenge")
    domain = options.get("domain")
    if challenge is not None and not isinstance(challenge, str):
        raise ApiError(Message("options.challenge must be a string"))
    if domain is not None and not (isinstance(domain, str) or (
            isinstance(domain, list) and domain and all(isinstance(d, str) for d in domain))):
        raise ApiError(Message("options.domain must be a string or a list of strings"))
    checks, with_status = _wanted_checks(options)
    verifier = verifiers.full if with_status else verifiers.proof_only
    # one moment for both passes below: the W3C fields and the OMC verdict judge the same instant
    moment = verifier.clock()
    result = verifier.verify(presentation, now=moment, challenge=challenge, domain=domain, checks=checks)
    if result.kind == "credential":
        raise ApiError(Message("verifiablePresentation is not a presentation"), code="PARSING_ERROR")
    purpose = options.get("expectedProofPurpose")
    wrong_purpose = None
    if purpose is not None and purpose != "authentication" and result.format == "di":
        # a presentation's proof is an authentication proof (VCALM presentations/verify)
        wrong_purpose = Check("proof-options", "failed",
                              Message("a presentation proof cannot have purpose {purpose}", purpose=repr(purpose)),
                              "PROOF_VERIFICATION_ERROR")
        result.add(wrong_purpose)
    # VCDM 2.0 §4.12.4 (holder claims) is one of the verifier's presentation checks (omc_vc/verify.py)
    body = presentation_body(result)
    if verifiers.omc is not None and with_status and "verdict" not in body:
        # the OMC verdict beside the W3C fields, which stay those of the W3C checks above: the OMC verifier (status,
        # profile, registry) runs on the same presentation with the same challenge and domain
        judged = verifiers.omc().verify(presentation, now=moment, challenge=challenge, domain=domain, checks=checks)
        if wrong_purpose is not None:
            judged.add(wrong_purpose)
            verdict_of(judged)
        with_verdict = presentation_body(judged)
        if "verdict" in with_verdict:
            body["verdict"] = with_verdict["verdict"]
            for entry, judged_entry in zip(body["credentialResults"], with_verdict["credentialResults"], strict=False):
                if "verdict" in judged_entry:
                    entry["verdict"] = judged_entry["verdict"]
    return (200 if result.verified else 400), _demo_warned(body, verifiers)


def presentation_body(result: VerificationResult) -> dict[str, Any]:
    """A presentation's verify answer: :func:`result_body`, plus ``credentialResults`` (each embedded credential's
    own verified, passed checks and errors, in order) and, from a registry (OMC) verifier, the ``verdict``
    (omc_vc.verdict: a summarizing headline, each credential's verdict and the presentation's own checks),
    each credential's verdict also in its ``credentialResults`` entry."""
    body = result_body(result)
    verdict = result.details.get("verdict")
    verdicts = verdict.get("credentials") if isinstance(verdict, dict) else None
    entries = []
    for index, sub in enumerate(result.credentials):
        entry: dict[str, Any] = {"verified": sub.verified,
                                 "checks": [c.name for c in sub.checks if c.status == "passed"],
                                 "errors": sub.errors}
        if isinstance(verdicts, list) and index < len(verdicts):
            entry["verdict"] = verdicts[index]
        entries.append(entry)
    body["credentialResults"] = entries
    if isinstance(verdict, dict):
        body["verdict"] = verdict
    return body


def extra_conformance(credential: dict[str, Any]) -> str | None:
    """Checks beyond ``checks.data_model``: BitstringStatusListEntry shapes (Bitstring Status List §2.1)."""
    for entry in as_list(credential.get("credentialStatus")):
        try:
            check_entry_shape(entry)
        except StatusError as exc:
            return Message("credentialStatus: {detail}", detail=exc.detail)
    return None


def request_key(values: Sequence[str]) -> str | None:
    """The key of a request's ``Idempotency-Key`` header fields (None: none sent), or ApiError (400).

    The draft's field is an RFC 8941 String (``"8e03978e-..."``, section 3.3.3: printable ASCII, with ``\\"`` and
    ``\\\\`` escaped); a bare value, as many clients send it, is taken as it is. Either way the key is 1 to
    :data:`MAX_REQUEST_KEY` printable ASCII characters, and a request carries one field (draft, "Syntax").
    """
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(Message("send one Idempotency-Key header field"), code="IDEMPOTENCY_KEY_INVALID")
    value = values[0].strip(" \t")
    key = _sf_string(value) if value.startswith('"') else value
    if key is None or not key or len(key) > MAX_REQUEST_KEY or any(not " " <= ch <= "~" for ch in key):
        raise ApiError(Message("the Idempotency-Key must be 1 to {most} printable ASCII characters (a UUID is best), "
                               "as a bare value or a quoted string", most=MAX_REQUEST_KEY),
                       code="IDEMPOTENCY_KEY_INVALID")
    return key


def _sf_string(value: str) -> str | None:
    """The content of an RFC 8941 String (section 4.2.5, Parsing a String) that is the whole of ``value``."""
    out: list[str] = []
    rest = iter(value[1:])
    for ch in rest:
        if ch == "\\":
            escaped = next(rest, None)
            if escaped not in ('"', "\\"):
                return None
            out.append(escaped)
        elif ch == '"':
            return "".join(out) if next(rest, None) is None else None  # nothing after the closing quote
        elif not " " <= ch <= "~":
            return None
        else:
            out.append(ch)
    return None  # no closing quote


def request_digest(body: Any) -> str:
    """The SHA-256 (hex) of a request body's canonical form (RFC 8785 JCS): the draft's idempotency fingerprint,
    the same for the same JSON however it is spaced or its members ordered. (A body JCS cannot write, a number
    beyond IEEE 754's exact range, is fingerprinted by its sorted compact JSON instead.)"""
    try:
        text = jcs.canonicalize(body)
    except MalformedValueError:
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class IssuingApi:
    """``POST /credentials/issue`` and ``/credentials/status``: the VC-API adapter of the one
    :class:`omc_vc.issue.issuer.Issuer` (request parsing and HTTP answers only; the Issuer checks, allocates
    the status entries, signs and records)."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer

    def issue(self, body: Any, idempotency_key: str | None = None) -> tuple[int, dict[str, Any]]:
        """``POST /credentials/issue``: 201 ``{"verifiableCredential": ...}`` or ApiError (400).

        ``idempotency_key`` (the request's Idempotency-Key, :func:`request_key`): a retry with it and the same body
        answers the credential the first request issued, byte for byte (:meth:`Issuer.issue_credential`); 409
        while the first request is still processed, 422 for the key with another body."""
        request = _object(body)
        credential = request.get("credential")
        if not isinstance(credential, dict):
            raise ApiError(Message("credential must be a JSON object"), code="PARSING_ERROR")
        options = _options(request, ISSUE_OPTIONS)
        problem = extra_conformance(credential)
        if problem:
            raise ApiError(problem, code="MALFORMED_VALUE_ERROR")
        credential_id = options.get("credentialId")
        if credential_id is not None and not isinstance(credential_id, str):
            raise ApiError(Message("options.credentialId must be a string"))
        purposes: list[str] = []
        if "credentialStatus" in options:
            requested = options["credentialStatus"]
            if not isinstance(requested, dict) or requested.get("type") != "BitstringStatusListEntry":
                raise ApiError(Message("options.credentialStatus.type must be BitstringStatusListEntry"))
            purpose = requested.get("statusPurpose", "revocation")
            if purpose not in STATUS_PURPOSES:
                raise ApiError(Message("statusPurpose {purpose} is not supported ({supported})", purpose=repr(purpose),
                                       supported=", ".join(STATUS_PURPOSES)), code="MALFORMED_VALUE_ERROR")
            purposes.append(purpose)
        suite = options.get("cryptosuite")
        if suite is not None and not isinstance(suite, str):
            raise ApiError(Message("options.cryptosuite must be a string"), code="PROOF_GENERATION_ERROR")
        keyed = RequestKey(idempotency_key, request_digest(request)) if idempotency_key is not None else None
        try:
            signed = self.issuer.issue_credential(credential, status_purposes=purposes, credential_id=credential_id,
                                                  cryptosuite=suite, request_key=keyed)
        except (IssuanceError, JsonLdError, ProofError, StatusError) as exc:
            # DI §2.4.3: data loss, undefined terms, unresolvable or redefined contexts are input errors too
            raise ApiError(exc.detail, code=exc.code, status=REQUEST_KEY_STATUS.get(exc.code, 400)) from exc
        return 201, {"verifiableCredential": signed}

    def update_status(self, body: Any) -> tuple[int, dict[str, Any]]:
        """``POST /credentials/status``: ``{credentialId, credentialStatus: {type, statusPurpose}, status}``."""
        request = _object(body)
        credential_id = request.get("credentialId")
        if not isinstance(credential_id, str) or not credential_id:
            raise ApiError(Message("credentialId must be a non-empty string"))
        entry = request.get("credentialStatus", {"type": "BitstringStatusListEntry"})
        if isinstance(entry, list) and len(entry) == 1:
            entry = entry[0]
        if not isinstance(entry, dict) or entry.get("type", "BitstringStatusListEntry") != "BitstringStatusListEntry":
            raise ApiError(Message("credentialStatus.type must be BitstringStatusListEntry"))
        purpose = entry.get("statusPurpose", "revocation")
        value = request.get("status", True)
        if not isinstance(value, bool):
            raise ApiError(Message("status must be true or false"))
        if purpose not in STATUS_PURPOSES:
            raise ApiError(Message("statusPurpose {purpose} is not supported", purpose=repr(purpose)),
                           code="MALFORMED_VALUE_ERROR")
        try:
            changed = change_status(self.issuer.store, credential_id, purpose, value, now=self.issuer.clock())
        except IssuanceError as exc:
            if exc.code == "NOT_FOUND" or exc.context.get("field") == "credential":
                raise ApiError(Message("no {purpose} status entry is known for {id}", purpose=purpose,
                                       id=repr(credential_id)), status=404, code="NOT_FOUND") from exc
            raise ApiError(exc.detail, code=exc.code) from exc
        return 200, {"credentialId": credential_id, "statusPurpose": purpose, "status": value,
                     "updated": len(changed)}

    def get(self, credential_id: str) -> tuple[int, dict[str, Any]]:
        """``GET /credentials/{id}`` (VCALM: a credential the issuer instance issued): ``{"verifiableCredential":
        ...}`` as it was signed, the latest one issued under that id; 404 when this institution's store holds none
        (another institution's credential is as unknown here as one never issued)."""
        for record in reversed(self.issuer.store.find(credential_id)):
            document = self.issuer.store.document(record.id)
            if document is not None:
                return 200, {"verifiableCredential": document}
        raise ApiError(Message("no credential {id} was issued here", id=repr(credential_id)), status=404,
                       code="NOT_FOUND")
