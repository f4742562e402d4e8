"""Wallet exchanges: a learner's wallet redeems a credential offer, free of HTTP (DESIGN decision 12).

Two protocols, as the Learner Credential Wallet (LCW) speaks them today (``app/lib/credentialRequest.ts``
and ``app/lib/exchanges.ts`` in openwallet-foundation-labs/learner-credential-wallet), and as DCC's own
issuer side (digitalcredentials/transaction-service and workflow-coordinator) answers them:

**The DCC deep link** (:meth:`WalletExchanges.lcw_request`). The offer's link is
``https://lcw.app/request.html?issuer=HOST&auth_type=bearer&challenge=SECRET&vc_request_url=URL``. LCW
signs a presentation with its did:key (Ed25519Signature2020, proofPurpose ``authentication``, the link's
challenge, no domain: VC Data Integrity 1.0 §2.1 proof options) and POSTs it to ``vc_request_url``; it
expects the credential back (a credential or a presentation holding it).

**The VC-API exchange** (W3C VCALM, :meth:`WalletExchanges.interaction` and :meth:`WalletExchanges.exchange`).
The offer's interaction URL (``...?iuv=1``) answers a GET with ``{"protocols": {"vcapi": EXCHANGE}}``; the
wallet POSTs ``{}`` to the exchange and gets a ``verifiablePresentationRequest`` for DIDAuthentication with a
fresh single-use challenge and this service's domain; it POSTs ``{"verifiablePresentation": VP}`` signed
over both, and gets ``{"verifiablePresentation": {... "verifiableCredential": [the credential]}}``.

In both, the holder proves possession of its key, the credential is issued by the one
:class:`~omc_vc.issue.issuer.Issuer` with ``credentialSubject.id`` set to the holder's DID, and the offer is
redeemed exactly once (:meth:`~omc_vc.issue.offers.OfferStore.redeem`). Every refusal is an
:class:`~omc_vc.errors.OfferError` whose ``context["status"]`` is the HTTP status to answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, urlencode, urlsplit

from omc_vc.did import DidResolver
from omc_vc.errors import IssuanceError, OfferError, OmcVcError
from omc_vc.i18n import Message
from omc_vc.issue.issuer import Issuer
from omc_vc.issue.offers import LCW, REDEEMED, VCAPI, Offer, OfferStore
from omc_vc.issue.store import CredentialRecord
from omc_vc.model import VC_V2_CONTEXT, as_list, holder_id, types
from omc_vc.omc.builder import Learner
from omc_vc.verify import Verifier

__all__ = ["CHALLENGE_LIFETIME", "DIDAUTH_SUITES", "LCW_REQUEST_PAGE", "MAX_EXCHANGE_BYTES", "VCAPI_CHALLENGE",
           "OfferLinks", "WalletExchanges", "exchange_url", "http_status", "lcw_request_url", "offer_links",
           "origin_of"]

#: the page LCW's universal link opens (``LinkConfig.schemes`` in LCW's app.config.js)
LCW_REQUEST_PAGE: Final = "https://lcw.app/request.html"
#: what a VC-API challenge is stored as in the offer store's nonces
VCAPI_CHALLENGE: Final = "vcapi-challenge"
#: how long a VC-API DIDAuthentication challenge may be answered
CHALLENGE_LIFETIME: Final = timedelta(minutes=10)
#: the largest request body an exchange reads (a DIDAuthentication presentation is about 1 KB)
MAX_EXCHANGE_BYTES: Final = 64 * 1024
#: the suites a DIDAuthentication presentation may be signed with (LCW signs with Ed25519Signature2020)
DIDAUTH_SUITES: Final = ("Ed25519Signature2020", "eddsa-rdfc-2022")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: the domain a VC-API exchange asks presentations to be bound to."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def lcw_request_url(public_url: str, offer_id: str) -> str:
    """The ``vc_request_url`` of an offer's deep link: where LCW POSTs its presentation."""
    return f"{public_url.rstrip('/')}/exchanges/{quote(offer_id, safe='')}/lcw"


def exchange_url(public_url: str, offer_id: str, secret: str) -> str:
    """The offer's VC-API exchange (and, with ``?iuv=1``, its interaction URL). The link secret is part of
    the path: whoever holds the link may redeem the offer, no one else can find it."""
    return f"{public_url.rstrip('/')}/exchanges/{quote(offer_id, safe='')}/vcapi/{quote(secret, safe='')}"


@dataclass(frozen=True)
class OfferLinks:
    """What the learner opens: the LCW deep link (the QR code's link) and the VC-API interaction URL."""

    deep_link: str
    interaction_url: str

    def to_json(self) -> dict[str, str]:
        return {"link": self.deep_link, "interactionUrl": self.interaction_url}


def offer_links(public_url: str, offer: Offer, secret: str) -> OfferLinks:
    """The links of a new offer (``secret`` is :attr:`~omc_vc.issue.offers.NewOffer.secret`)."""
    host = urlsplit(public_url).hostname or public_url
    # the parameters LCW reads (CredentialRequestParams: issuer, auth_type, challenge, vc_request_url);
    # auth_type "bearer": the challenge travels in the signed presentation
    query = urlencode({"issuer": host, "auth_type": "bearer", "challenge": secret,
                       "vc_request_url": lcw_request_url(public_url, offer.id)}, quote_via=quote)
    return OfferLinks(deep_link=f"{LCW_REQUEST_PAGE}?{query}",
                      interaction_url=exchange_url(public_url, offer.id, secret) + "?iuv=1")


_STATUS_OF: Final = {"OFFER_NOT_FOUND": 404, "OFFER_EXPIRED": 410, "OFFER_REVOKED": 410, "OFFER_REDEEMED": 409}


def _refuse(detail: str, code: str, status: int) -> OfferError:
    return OfferError(detail, code=code, status=status)


def http_status(exc: OfferError) -> int:
    """The HTTP status an offer refusal is answered with."""
    status = exc.context.get("status")
    if isinstance(status, int):
        return status
    return _STATUS_OF.get(exc.code, 400)


class WalletExchanges:
    """The offer endpoints' logic: one Issuer, the offer store, the service's public URL, a clock.

    ``verifier`` checks the holder's presentations (default: did:key holders, no network, the suites in
    :data:`DIDAUTH_SUITES`).
    """

    def __init__(self, *, issuer: Issuer, offers: OfferStore, public_url: str, verifier: Verifier | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.issuer = issuer
        self.offers = offers
        self.public_url = public_url.rstrip("/")
        self.domain = origin_of(self.public_url)
        self.clock = clock or issuer.clock
        self.verifier = verifier or Verifier(resolver=DidResolver(), accepted_suites=DIDAUTH_SUITES,
                                             clock=self.clock)

    # --- the DCC deep link ------------------------------------------------------------------------------
    def lcw_request(self, offer_id: str, body: Any) -> dict[str, Any]:
        """LCW's POST to ``vc_request_url``: a DIDAuthentication presentation over the link's challenge.
        Returns the signed credential (what DCC's workflow-coordinator answers)."""
        now = self.clock()
        offer = self.offers.offer(offer_id)
        if offer is None:
            raise _refuse(Message("no such offer"), "OFFER_NOT_FOUND", 404)
        presentation = _presentation(body)
        challenge = _challenge_of(presentation)
        # the challenge is the offer's own link secret: one offer's link never redeems another offer
        if self.offers.offer_by_secret(offer_id, challenge) is None:
            raise _refuse(Message("the presentation's challenge is not this offer's"), "INVALID_CHALLENGE_ERROR", 403)
        _require_redeemable(offer, now)
        holder = self._authenticate(presentation, challenge=challenge, domain=None, now=now)
        return self._issue(offer, holder, LCW, now)

    # --- the VC-API exchange --------------------------------------------------------------------------
    def interaction(self, offer_id: str, secret: str) -> dict[str, Any]:
        """VCALM interaction URL (GET): the protocols this offer can be redeemed with."""
        offer = self._offer(offer_id, secret)
        _require_redeemable(offer, self.clock())
        return {"protocols": {"vcapi": exchange_url(self.public_url, offer_id, secret)}}

    def exchange(self, offer_id: str, secret: str, body: Any) -> dict[str, Any]:
        """VCALM exchange (POST): ``{}`` starts it (a DIDAuthentication request); a signed presentation
        finishes it (the credential, in a presentation)."""
        now = self.clock()
        offer = self._offer(offer_id, secret)
        _require_redeemable(offer, now)
        if not isinstance(body, dict):
            raise _refuse(Message("the exchange takes a JSON object"), "MALFORMED_VALUE_ERROR", 400)
        if "verifiablePresentation" not in body:
            if body:
                raise _refuse(Message("start the exchange with {start} or answer it with {answer}", start="{}",
                                      answer='{"verifiablePresentation": ...}'), "MALFORMED_VALUE_ERROR", 400)
            return self._didauth_request(offer_id, secret, now)
        presentation = _presentation(body["verifiablePresentation"])
        challenge = _challenge_of(presentation)
        holder = self._authenticate(presentation, challenge=challenge, domain=self.domain, now=now)
        # single use, bound to this offer: a replayed or another offer's challenge is refused (atomically,
        # however many requests race with the same presentation)
        if not self.offers.consume_nonce(challenge, VCAPI_CHALLENGE, offer_id=offer_id, now=now):
            raise _refuse(Message("the presentation's challenge was already used, has expired, or is not this "
                                  "exchange's"),
                          "INVALID_CHALLENGE_ERROR", 403)
        credential = self._issue(offer, holder, VCAPI, now)
        return {"verifiablePresentation": {"@context": [VC_V2_CONTEXT], "type": ["VerifiablePresentation"],
                                           "verifiableCredential": [credential]}}

    def _didauth_request(self, offer_id: str, secret: str, now: datetime) -> dict[str, Any]:
        challenge = self.offers.issue_nonce(VCAPI_CHALLENGE, offer_id=offer_id, now=now, lifetime=CHALLENGE_LIFETIME)
        here = exchange_url(self.public_url, offer_id, secret)
        return {"verifiablePresentationRequest": {
            "query": [{"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}],
                       "acceptedCryptosuites": [{"cryptosuite": suite} for suite in DIDAUTH_SUITES]}],
            "challenge": challenge, "domain": self.domain,
            "interact": {"service": [{"type": "UnmediatedPresentationService2021", "serviceEndpoint": here}]},
        }}

    # --- shared steps ---------------------------------------------------------------------------------
    def _offer(self, offer_id: str, secret: str) -> Offer:
        offer = self.offers.offer_by_secret(offer_id, secret)
        if offer is None:  # an unknown offer and a wrong secret look the same
            raise _refuse(Message("no such offer"), "OFFER_NOT_FOUND", 404)
        return offer

    def _authenticate(self, presentation: dict[str, Any], *, challenge: str, domain: str | None,
                      now: datetime) -> str:
        """The holder DID that signed ``presentation`` (VC-API DIDAuthentication): a Data Integrity proof with
        proofPurpose ``authentication`` over ``challenge`` (and ``domain``) by a key the holder controls."""
        holder = holder_id(presentation)
        if not isinstance(holder, str) or not holder.startswith("did:"):
            raise _refuse(Message("the presentation must name its holder, the DID whose key signs it"),
                          "HOLDER_PROOF_REQUIRED", 403)
        if as_list(presentation.get("verifiableCredential")):
            raise _refuse(Message("a DIDAuthentication presentation carries no credentials"),
                          "MALFORMED_VALUE_ERROR", 400)
        result = self.verifier.verify(presentation, challenge=challenge, domain=domain, now=now)
        failed = next((c for c in result.checks if c.failed), None)
        binding = result.check("holder-binding")
        if result.kind != "presentation" or result.format != "di" or failed is not None or binding is None \
                or binding.status != "passed":
            why = (Message("{check}: {detail}", check=failed.name, detail=failed.detail) if failed is not None
                   else Message("the holder did not sign it"))
            code = failed.code if failed is not None and failed.code else "HOLDER_PROOF_INVALID"
            raise _refuse(Message("the holder's presentation does not verify ({why})", why=why), code, 403)
        return holder

    def _issue(self, offer: Offer, holder: str, protocol: str, now: datetime) -> dict[str, Any]:
        """Redeem the offer for ``holder`` (exactly once), issue through the one Issuer, record the credential."""
        if offer.state == REDEEMED:
            if offer.holder != holder or offer.credential_id is not None:
                offer.require_open(now)  # redeemed by another holder, or done: says so
            return self._resume(offer, holder)
        self.offers.redeem(offer.id, holder=holder, protocol=protocol, now=now)
        try:
            issued = self.issuer.issue(learner=Learner(offer.learner_name, offer.learner_email, offer.student_number,
                                                       holder), achievement=offer.achievement,
                                       completed=date.fromisoformat(offer.completed) if offer.completed else None)
        except OmcVcError as exc:
            # nothing was issued: the offer is open again for the learner to retry
            self.offers.release(offer.id, holder=holder)
            if isinstance(exc, OfferError):
                raise
            # 409: this holder already holds this achievement (one OMC per learner and achievement);
            # 422: the issuer refuses it (policy, catalogue)
            raise _refuse(Message("the credential could not be issued: {detail}", detail=exc.detail), exc.code,
                          409 if exc.context.get("field") == "learner" else 422) from exc
        except BaseException:
            self.offers.release(offer.id, holder=holder)
            raise
        self.offers.record_credential(offer.id, issued.record.id)
        return issued.credential

    def _resume(self, offer: Offer, holder: str) -> dict[str, Any]:
        """Finish a redeem by ``holder`` that was cut off before its credential was recorded (the process that
        ran it was killed): the credential issued then, if it was, else issued now. The store's exactly-once
        issuing per (learner, achievement) means a retry, or two at once, never makes a second credential; the
        offer stays redeemed by this holder throughout (it is never given back here)."""
        learner = Learner(offer.learner_name, offer.learner_email, offer.student_number, holder)
        for _ in range(2):
            found = self._issued(learner, offer.achievement, since=offer.redeemed_at)
            if found is not None:
                self.offers.record_credential(offer.id, found[0])
                return found[1]
            try:
                issued = self.issuer.issue(learner=learner, achievement=offer.achievement,
                                           completed=date.fromisoformat(offer.completed) if offer.completed else None)
            except IssuanceError as exc:
                if exc.context.get("field") != "learner":
                    raise _refuse(Message("the credential could not be issued: {detail}",
                                          detail=exc.detail), exc.code, 422) from exc
                continue  # another retry of this redeem issued it meanwhile: take that one
            self.offers.record_credential(offer.id, issued.record.id)
            return issued.credential
        raise _refuse(Message("the offer's credential could not be found again"), "OFFER_REDEEMED",
                      409)  # pragma: no cover

    def _issued(self, learner: Learner, achievement: str, *, since: str | None) -> tuple[str, dict[str, Any]] | None:
        """(id, signed document) of the credential issued to ``learner`` for ``achievement`` by this redeem
        (at or after ``since``, and not revoked): never an earlier, revoked one of the same learner."""
        outcome = self.issuer.reserve([(learner.key(), achievement)])[0]
        if not isinstance(outcome, CredentialRecord):
            return None  # not issued: its reservation (id, status indices) is the one issue() signs
        if since is None or outcome.issued < since or outcome.revoked is not None:
            return None  # an earlier credential: issue() reissues, linked to it
        document = self.issuer.store.document(outcome.id)
        return (outcome.id, document) if document is not None else None


def _require_redeemable(offer: Offer, now: datetime) -> None:
    """An open offer, or one whose redeem was cut off before its credential was recorded (its holder may
    finish it: :meth:`WalletExchanges._resume`); else the typed refusal that says why not."""
    if offer.state == REDEEMED and offer.credential_id is None:
        return
    offer.require_open(now)


def _presentation(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or "VerifiablePresentation" not in types(body):
        raise _refuse(Message("expected a Verifiable Presentation (JSON)"), "MALFORMED_VALUE_ERROR", 400)
    return body


def _challenge_of(presentation: dict[str, Any]) -> str:
    """The challenge the presentation's proof is bound to (DI 1.0 §2.1): read only to look the challenge
    up; the proof verification then checks that the proof signs exactly this value."""
    proofs = [p for p in as_list(presentation.get("proof")) if isinstance(p, dict)]
    challenges = {p.get("challenge") for p in proofs}
    if len(proofs) != 1 or len(challenges) != 1:
        raise _refuse(Message("the presentation must carry exactly one proof"), "HOLDER_PROOF_REQUIRED", 403)
    challenge = challenges.pop()
    if not isinstance(challenge, str) or not challenge:
        raise _refuse(Message("the presentation's proof has no challenge"), "INVALID_CHALLENGE_ERROR", 403)
    return challenge

