"""The verifier: one :func:`verify` for credentials and presentations, Data Integrity or VC-JWT.

VCDM 2.0 §7.1: choose the securing mechanism, verify the proof, then check the document is
conforming. The result is a :class:`~omc_vc.model.VerificationResult` of named checks; a bad document
never raises (DESIGN decision 9). Later layers (status lists, the ministry registry, the OMC profile)
plug in as :class:`CredentialCheck` objects. A check that must verify a document of its own (a status
list, an endorsement) does it with :meth:`CheckContext.verify_nested`, under the caller's policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol

from omc_vc import jsonld, jsonld_plain
from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.jsonio import loads
from omc_vc._internal.timeutil import utcnow
from omc_vc.checks import RELATED_RESOURCE_CODE, data_model, related_resources_in_use, validity_period
from omc_vc.did import DidResolver
from omc_vc.errors import CanonicalizationLimitError, InputError, JsonLdError, JwtError, OmcVcError, ProofError
from omc_vc.i18n import Message, Plural
from omc_vc.model import Check, VerificationResult, as_list, holder_id, issuer_id, subject_ids, types
from omc_vc.proofs import data_integrity, jose

CORE_CHECKS = ("data-model", "plain-json-ld", "data-loss", "proof", "issuer-key-binding", "validity-period")
#: The proof suites a :class:`Verifier` accepts unless told otherwise: the Data Integrity cryptosuites and
#: the legacy Ed25519Signature2020 (what DCC's issuers, status lists and wallet emit; never used to sign).
DEFAULT_ACCEPTED_SUITES: Final = ("eddsa-rdfc-2022", "ecdsa-rdfc-2019", "eddsa-jcs-2022", "Ed25519Signature2020")
#: suites that canonicalize with RDFC-1.0 / URDNA2015 and data-loss detection: by cryptosuite, or by legacy type
_RDFC_SUITES = frozenset({"eddsa-rdfc-2022", "ecdsa-rdfc-2019"})
_RDFC_LEGACY_TYPES = frozenset({"Ed25519Signature2020"})
#: The data-loss check's detail when it passes (one sentence, shown in the reader's language).
_ALL_DEFINED: Final = Message("every property is defined by a context")


@dataclass
class CheckContext:
    """What a pluggable check may use: the time of interest, the caller's policy and the core results.

    The policy is what the :class:`Verifier` running the checks was configured with: its resolver,
    fetcher, loader, accepted cryptosuites and clock. ``now`` is the time of interest of this
    verification. A check verifies a document of its own only through :meth:`verify_nested`.
    """

    now: datetime
    resolver: DidResolver
    fetcher: Fetcher | None
    loader: jsonld.BundledLoader | None
    result: VerificationResult
    proof_controllers: list[str] = field(default_factory=list)
    accepted_suites: tuple[str, ...] = DEFAULT_ACCEPTED_SUITES
    clock: Callable[[], datetime] = utcnow

    def verify_nested(self, document: dict[str, Any] | str) -> VerificationResult:
        """Verify a document a check depends on (a status list, an endorsement) under the caller's policy.

        DESIGN decision 13: the same resolver, fetcher, loader, accepted cryptosuites and clock as the
        verification that runs the check, judged at the same ``now``, so a suite the caller refused or a
        moment it did not ask about cannot come back in through a nested document. Core checks only: a
        nested document runs none of the caller's extra checks (a status list has no status list).
        """
        core = Verifier(resolver=self.resolver, fetcher=self.fetcher, loader=self.loader,
                        accepted_suites=self.accepted_suites, clock=self.clock)
        return core.verify(document, now=self.now)


class CredentialCheck(Protocol):
    """A named check run on a credential whose proof verified. Returns checks; must not raise."""

    name: str

    def __call__(self, credential: dict[str, Any], ctx: CheckContext) -> Iterable[Check]: ...


def _contents(loader: jsonld.BundledLoader | None) -> Callable[[str], bytes | None]:
    """The exact bytes of a bundled context by URL (for relatedResource digests), or None."""
    chosen = jsonld.default_loader() if loader is None else loader
    content = getattr(chosen, "content", None)
    return content if callable(content) else (lambda url: None)


def _first_failure(results: Sequence[data_integrity.ProofResult]) -> OmcVcError | None:
    for item in results:
        if item.errors:
            return item.errors[0]
    return None


@dataclass
class Verifier:
    """Verifies credentials and presentations. Every dependency is injected, with safe defaults.

    ``checks`` restricts the core checks run (the W3C suites ask for ``["proof"]`` only); the
    ``extra_checks`` (status, registry, OMC profile) run after the core checks pass.
    """

    resolver: DidResolver = field(default_factory=DidResolver)
    fetcher: Fetcher | None = None
    loader: jsonld.BundledLoader | None = None
    extra_checks: list[CredentialCheck] = field(default_factory=list)
    accepted_suites: tuple[str, ...] = DEFAULT_ACCEPTED_SUITES
    clock: Callable[[], datetime] = utcnow

    # --- entry point ---------------------------------------------------------------------------
    def verify(self, document: dict[str, Any] | str | bytes, *, now: datetime | None = None,
               challenge: str | None = None, domain: str | Sequence[str] | None = None,
               checks: Sequence[str] | None = None) -> VerificationResult:
        """Verify a credential or presentation given as a dict, JSON text, or a compact JWT."""
        moment = now or self.clock()
        wanted = set(checks) if checks is not None else None
        try:
            parsed = self._parse(document)
        except OmcVcError as exc:
            result = VerificationResult()
            result.add(Check.from_error("parse", exc))
            return result
        if isinstance(parsed, str):
            return self._verify_jwt(parsed, moment, challenge, domain, wanted)
        if (types(parsed) and "EnvelopedVerifiableCredential" in types(parsed)) or \
                "EnvelopedVerifiablePresentation" in types(parsed):
            try:
                return self._verify_jwt(jose.unenvelope(parsed), moment, challenge, domain, wanted)
            except JwtError as exc:
                result = VerificationResult(document=parsed)
                result.add(Check.from_error("parse", exc))
                return result
        kind = "presentation" if "VerifiablePresentation" in types(parsed) else "credential"
        result = self._verify_di(parsed, kind, moment, challenge, domain, wanted)
        if kind == "credential":
            self._mark_skipped(result, wanted)
        return result

    def _mark_skipped(self, result: VerificationResult, wanted: set[str] | None) -> None:
        """Extra checks that did not run because the credential failed earlier are listed as skipped."""
        for check in self.extra_checks:
            if result.check(check.name) is None and (wanted is None or check.name in wanted):
                result.add(Check(check.name, "skipped", Message("not checked: the credential already failed")))

    @staticmethod
    def _parse(document: dict[str, Any] | str | bytes) -> dict[str, Any] | str:
        if isinstance(document, dict):
            return document
        if isinstance(document, bytes):
            try:
                document = document.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(Message("input is not UTF-8 text")) from exc
        if not isinstance(document, str):
            raise InputError(Message("cannot verify a {kind}", kind=type(document).__name__))
        text = document.strip()
        if jose.is_jwt(text):
            return text
        value = loads(text)
        if isinstance(value, dict):
            return value
        raise InputError(Message("input is neither a JSON object nor a compact JWT"))

    # --- Data Integrity -------------------------------------------------------------------------
    def _verify_di(self, doc: dict[str, Any], kind: str, now: datetime, challenge: str | None,
                   domain: str | Sequence[str] | None, wanted: set[str] | None) -> VerificationResult:
        result = VerificationResult(kind=kind, format="di", document=doc)  # type: ignore[arg-type]
        result.issuer = issuer_id(doc) if kind == "credential" else holder_id(doc)

        def want(name: str) -> bool:
            return wanted is None or name in wanted

        if want("data-model") and result.add(data_model(doc, kind)).failed:
            return result
        # DESIGN decision 11: every check below reads JSON fields while the proof signs the graph, so a
        # document whose JSON could say something other than its graph is refused before anything reads
        # it (whatever checks the caller asked for: the proof check itself reads the proof's JSON)
        try:
            jsonld_plain.require_plain(doc, loader=self.loader)
            result.add(Check("plain-json-ld", "passed", Message("every field is written where and as it was signed")))
        except JsonLdError as exc:
            result.add(Check.from_error("plain-json-ld", exc))
            return result
        if want("data-model") and "relatedResource" in doc:
            problem = related_resources_in_use(doc, _contents(self.loader))
            if problem:
                result.add(Check("related-resources", "failed", problem, RELATED_RESOURCE_CODE))
                return result
        data_loss_wanted = want("data-loss") or want("proof")
        # An RDFC cryptosuite canonicalizes with data-loss detection on (DI 1.0 §2.4.3), so for proofs that
        # are all RDFC the separate pass would do the same JSON-LD expansion twice: it runs only for
        # other suites (eddsa-jcs-2022 never expands JSON-LD) or when the proof itself is not checked.
        rdfc_only = want("proof") and all(
            isinstance(p, dict) and ((isinstance(p.get("cryptosuite"), str) and p["cryptosuite"] in _RDFC_SUITES)
                                     or (isinstance(p.get("type"), str) and p["type"] in _RDFC_LEGACY_TYPES
                                         and "cryptosuite" not in p))
            for p in as_list(doc.get("proof"))
        ) and bool(as_list(doc.get("proof")))
        if data_loss_wanted and not rdfc_only:
            try:
                jsonld.check_data_loss(doc, loader=self.loader)
                result.add(Check("data-loss", "passed", _ALL_DEFINED))
            except JsonLdError as exc:
                result.add(Check.from_error("data-loss", exc))
                return result
        purpose = "authentication" if kind == "presentation" else "assertionMethod"
        try:
            proof_results = data_integrity.verify_proofs(
                doc, resolver=self.resolver, expected_purpose=purpose,
                challenge=challenge if kind == "presentation" else None,
                domain=domain if kind == "presentation" else None,
                now=now, accepted_suites=self.accepted_suites, loader=self.loader)
        except ProofError as exc:
            result.add(Check.from_error("proof", exc))
            return result
        failure = _first_failure(proof_results)
        if rdfc_only and data_loss_wanted:
            if isinstance(failure, JsonLdError) and not isinstance(failure, CanonicalizationLimitError):
                result.add(Check.from_error("data-loss", failure))
                return result
            if failure is None:
                result.add(Check("data-loss", "passed", _ALL_DEFINED))
        if failure is not None:
            result.add(Check.from_error("proof", failure))
            return result
        suites = ", ".join(sorted({p.cryptosuite or "?" for p in proof_results}))
        result.add(Check("proof", "passed", Plural("{n} proof verified ({suites})", "{n} proofs verified ({suites})",
                                                   "n", n=len(proof_results), suites=suites)))
        controllers = [p.controller for p in proof_results if p.controller]
        if kind == "presentation":
            if challenge is None:
                result.warn("NO_CHALLENGE", Message("no challenge was given: this presentation could be a replay"))
            self._presentation_checks(doc, result, controllers, now, challenge, domain, wanted)
            return result
        self._credential_checks(doc, result, controllers, now, want)
        return result

    def _credential_checks(self, doc: dict[str, Any], result: VerificationResult, controllers: list[str],
                           now: datetime, want: Callable[[str], bool]) -> None:
        issuer = result.issuer
        if want("issuer-key-binding"):
            # VCDM 2.0 §4.7 / OB 3.0 §9: the proof's verification method must be controlled by the issuer
            strangers = [c for c in controllers if c != issuer]
            if strangers or not controllers:
                result.add(Check("issuer-key-binding", "failed", Message(
                    "the signing key belongs to {signer}, not to the issuer {issuer}", issuer=issuer,
                    signer=strangers[0] if strangers else Message("nobody")), "ISSUER_KEY_MISMATCH"))
            else:
                result.add(Check("issuer-key-binding", "passed", Message("signed by a key of {issuer}", issuer=issuer)))
        if want("validity-period"):
            result.add(validity_period(doc, now))
        self._run_extra(doc, result, controllers, now, want)

    def _run_extra(self, doc: dict[str, Any], result: VerificationResult, controllers: list[str],
                   now: datetime, want: Callable[[str], bool]) -> None:
        if not self.extra_checks:
            return
        if any(c.failed for c in result.checks):
            return
        ctx = CheckContext(now=now, resolver=self.resolver, fetcher=self.fetcher, loader=self.loader,
                           result=result, proof_controllers=controllers, accepted_suites=self.accepted_suites,
                           clock=self.clock)
        for check in self.extra_checks:
            if not want(check.name):
                continue
            try:
                for item in check(doc, ctx):
                    result.add(item)
            except OmcVcError as exc:  # a check that raises fails closed
                result.add(Check.from_error(check.name, exc))

    def _presentation_checks(self, doc: dict[str, Any], result: VerificationResult, controllers: list[str],
                             now: datetime, challenge: str | None, domain: str | Sequence[str] | None,
                             wanted: set[str] | None) -> None:
        holder = result.issuer
        # VCDM 2.0 §4.13: holder is optional. §4.12.4 asks for it only when a presentation carries a self-asserted
        # credential secured by nothing but the presentation itself (see _holder_claims); a credential with a proof
        # of its own needs no holder, whoever issued it
        self._holder_claims(doc, result, holder)
        # VC-API presentations/verify: the holder must control the key that signed the presentation
        if holder is not None:
            if any(c != holder for c in controllers):
                result.add(Check("holder-binding", "failed", Message(
                    "the presentation was signed by {signer}, not by its holder {holder}", signer=controllers[0],
                    holder=holder), "HOLDER_KEY_MISMATCH"))
            else:
                result.add(Check("holder-binding", "passed", Message("signed by the holder {holder}", holder=holder)))
        self._embedded(doc, result, holder or (controllers[0] if controllers else None), now, wanted)

    @staticmethod
    def _holder_claims(doc: dict[str, Any], result: VerificationResult, holder: str | None) -> None:
        """VCDM 2.0 §4.12.4: a presentation that includes a self-asserted credential "secured only using the same
        mechanism as the verifiable presentation MUST include a holder property". A credential with no proof of its
        own is secured only by the presentation: without a holder that is the §4.12.4 violation; with one, omc-vc
        still refuses it, since every embedded credential must carry its own assertionMethod proof (the
        presentation's proof is an authentication proof, which asserts no claims: DID Core §5.3)."""
        for index, credential in enumerate(as_list(doc.get("verifiableCredential"))):
            if not isinstance(credential, dict) or "proof" in credential \
                    or "EnvelopedVerifiableCredential" in types(credential):
                continue
            if holder is None:
                result.add(Check("holder-claims", "failed", Message(
                    "verifiableCredential[{index}] has no proof of its own, so only the presentation secures it: "
                    "VCDM 2.0 §4.12.4 then requires the presentation to name its holder", index=str(index)),
                    "MALFORMED_VALUE_ERROR"))
            else:
                result.add(Check("holder-claims", "failed", Message(
                    "verifiableCredential[{index}] has no proof of its own: a credential secured only by the "
                    "presentation (a self-asserted credential, VCDM 2.0 §4.12.4) is not accepted; it must carry its "
                    "own proof", index=str(index)), "PROOF_VERIFICATION_ERROR"))
            return

    def _embedded(self, doc: dict[str, Any], result: VerificationResult, holder: str | None, now: datetime,
                  wanted: set[str] | None) -> None:
        credentials = as_list(doc.get("verifiableCredential"))
        for index, credential in enumerate(credentials):
            sub = self.verify(credential, now=now, checks=sorted(wanted) if wanted is not None else None)
            if sub.kind == "presentation":
                # an enveloped presentation inside a presentation: it escaped the challenge check (replay)
                sub.add(Check("data-model", "failed", Message("a presentation is not a credential: nested "
                              "presentations would escape the challenge check"), "MALFORMED_VALUE_ERROR"))
            result.credentials.append(sub)
            subjects = subject_ids(sub.document or {}) if isinstance(sub.document, dict) else []
            # the holder must be a subject of every credential whose subject has an id (a policy of the full
            # verification; a caller that names its checks, e.g. checks: ["proof"], asks for VCDM rules only)
            if wanted is None and subjects and holder is not None and holder not in subjects:
                result.add(Check("holder-is-subject", "failed",
                                 Message("verifiableCredential[{index}] is about {subject}, not the holder {holder}",
                                         index=str(index), subject=subjects[0], holder=holder),
                                 "HOLDER_NOT_SUBJECT"))
        if credentials:
            bad = sum(1 for c in result.credentials if not c.verified)
            result.add(Check("credentials", "failed" if bad else "passed",
                             Plural("{verified} of {n} embedded credential verified",
                                    "{verified} of {n} embedded credentials verified", "n", n=len(credentials),
                                    verified=len(credentials) - bad),
                             "EMBEDDED_CREDENTIAL_INVALID" if bad else None))

    # --- VC-JWT -----------------------------------------------------------------------------------
    def _verify_jwt(self, token: str, now: datetime, challenge: str | None,
                    domain: str | Sequence[str] | None, wanted: set[str] | None) -> VerificationResult:
        result = VerificationResult(format="jwt")
        try:
            outcome = jose.verify_jwt(token, resolver=self.resolver, now=now)
        except JwtError as exc:
            result.add(Check.from_error("proof", exc))
            return result
        doc = outcome.document
        result.document = doc
        result.kind = outcome.kind
        result.issuer = issuer_id(doc) if outcome.kind == "credential" else holder_id(doc)
        if wanted is None or "data-model" in wanted:
            if result.add(data_model(doc, outcome.kind)).failed:
                return result
        result.add(Check("proof", "passed", Message("JWT signature verified ({alg}, {profile})",
                                                    alg=str(outcome.header.get("alg")), profile=outcome.profile)))
        if outcome.kind == "presentation":
            claims = outcome.claims
            # challenge and domain travel as nonce and aud in a VP-JWT (VC-JOSE-COSE §3.1.2, RFC 7519)
            if challenge is not None and claims.get("nonce") != challenge:
                result.add(Check("challenge", "failed", Message("the presentation's nonce does not match the "
                                                                "challenge"), "INVALID_CHALLENGE_ERROR"))
            if domain is not None:
                audiences = as_list(claims.get("aud"))
                expected = [domain] if isinstance(domain, str) else list(domain)
                if not all(d in audiences for d in expected):
                    result.add(Check("domain", "failed", Message("the presentation's aud does not match the "
                                                                 "domain"), "INVALID_DOMAIN_ERROR"))
            holder = result.issuer or outcome.controller
            if result.issuer and result.issuer != outcome.controller:
                result.add(Check("holder-binding", "failed", Message("the presentation was not signed by its holder"),
                                 "HOLDER_KEY_MISMATCH"))
            self._embedded(doc, result, holder, now, wanted)
            return result
        if wanted is None or "issuer-key-binding" in wanted:
            ok = outcome.controller == result.issuer
            result.add(Check("issuer-key-binding", "passed" if ok else "failed",
                             Message("signed by a key of {issuer}", issuer=outcome.controller) if ok else
                             Message("signed by a key of {signer}, not of {issuer}", signer=outcome.controller,
                                     issuer=str(result.issuer)),
                             None if ok else "ISSUER_KEY_MISMATCH"))
        if wanted is None or "validity-period" in wanted:
            result.add(validity_period(doc, now))
        self._run_extra(doc, result, [outcome.controller], now,
                        lambda name: wanted is None or name in wanted)
        self._mark_skipped(result, wanted)
        return result


def verify(document: dict[str, Any] | str | bytes, *, now: datetime | None = None,
           resolver: DidResolver | None = None, challenge: str | None = None,
           domain: str | Sequence[str] | None = None, checks: Sequence[str] | None = None,
           extra_checks: Sequence[CredentialCheck] = ()) -> VerificationResult:
    """Verify a credential or presentation with default settings (offline: did:key and pinned DIDs)."""
    verifier = Verifier(resolver=resolver or DidResolver(), extra_checks=list(extra_checks))
    return verifier.verify(document, now=now, challenge=challenge, domain=domain, checks=checks)
