"""Credential offers: what a learner's wallet redeems to receive one OMC (DESIGN decision 12).

An **offer** names one achievement of the catalogue and one learner (name, optional e-mail and student
number). The registrar makes it; the learner opens its link (or QR code) in a wallet; the wallet proves
possession of its holder key and receives the OMC, issued by the one :class:`omc_vc.issue.Issuer` with
``credentialSubject.id`` set to that key's DID. Every wallet protocol uses the same offer:

* the Learner Credential Wallet's deep link (``protocol`` :data:`LCW`): the link carries the offer's
  secret as the presentation challenge;
* the VC-API exchange (:data:`VCAPI`): the interaction URL carries the secret; each DIDAuthentication
  request draws a fresh single-use challenge (:meth:`OfferStore.issue_nonce`);
* OpenID4VCI's pre-authorized code flow (:data:`OID4VCI`): the pre-authorized code (and, when the offer
  requires one, a transaction code sent separately) buys an access token bound to the offer
  (:meth:`OfferStore.issue_token`), and each proof of possession signs a single-use ``c_nonce``.

What the store keeps (:class:`OfferStore`; the SQLite issuance store implements it, so several service
processes share the same offers):

* the offer itself (:class:`Offer`): state ``open`` -> ``redeemed`` (once) or ``revoked``; ``expired`` is
  never stored, it is read from the clock (:meth:`Offer.status`);
* secrets only as SHA-256 digests (:func:`digest`): the link secret, the pre-authorized code, the
  transaction code, access tokens and nonces. Each is drawn from :mod:`secrets` (256 bits; a transaction
  code is a short number a person types, so wrong guesses are counted and the code locks after
  :data:`TX_CODE_ATTEMPTS`). A copy of the database gives no one a usable link, code or token; the clear
  values exist only in :class:`NewOffer`, returned once when the offer is made;
* single-use nonces with a bounded lifetime: consumed atomically, so a replayed challenge or ``c_nonce``
  is refused however many processes race for it;
* the redeem: ``open`` -> ``redeemed`` in one atomic step, exactly once. The step binds the offer to the
  holder DID that proved possession and to the protocol; the credential id is recorded when the credential
  is issued (:meth:`OfferStore.record_credential`), or the claim is given back if issuing failed
  (:meth:`OfferStore.release`), so a credential is never issued twice for one offer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final, Protocol

from omc_vc._internal.timeutil import format_datetime, parse_datetime
from omc_vc.errors import OfferError, OfferRedeemedError
from omc_vc.i18n import Message

__all__ = [
    "DEFAULT_OFFER_DAYS", "EXPIRED", "LCW", "MAX_NONCE_LIFETIME", "MAX_OFFER_DAYS", "MAX_TOKEN_LIFETIME",
    "OID4VCI", "OPEN", "PROTOCOLS", "REDEEMED", "REVOKED", "TX_CODE_ATTEMPTS", "TX_CODE_DIGITS", "VCAPI",
    "NewOffer", "Offer", "OfferDraft", "OfferError", "OfferRedeemedError", "OfferStore", "digest", "new_offer_id",
    "new_secret", "new_tx_code", "not_redeemed", "redeemed_already", "same_digest",
]

# --- states ----------------------------------------------------------------------------------------------
OPEN: Final = "open"
REDEEMED: Final = "redeemed"
REVOKED: Final = "revoked"
#: derived, never stored: an open offer whose expiry has passed
EXPIRED: Final = "expired"

# --- the protocols that redeem an offer ------------------------------------------------------------------
#: the Learner Credential Wallet's deep link (``https://lcw.app/request.html?...``)
LCW: Final = "lcw"
#: a VC-API exchange (interaction URL, ``protocols.vcapi``)
VCAPI: Final = "vcapi"
#: OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow
OID4VCI: Final = "oid4vci"
PROTOCOLS: Final = (LCW, VCAPI, OID4VCI)

#: how long an offer stays open unless the configuration says otherwise
DEFAULT_OFFER_DAYS: Final = 14
MAX_OFFER_DAYS: Final = 366
#: nonces (challenges, c_nonce) live minutes, never longer than this
MAX_NONCE_LIFETIME: Final = timedelta(hours=1)
#: access tokens are bound to one offer and live no longer than this
MAX_TOKEN_LIFETIME: Final = timedelta(hours=1)
#: a transaction code is this many digits (OpenID4VCI 1.0 §4.1.1 ``tx_code``: ``input_mode`` numeric)
TX_CODE_DIGITS: Final = 6
#: wrong transaction codes tolerated before the offer's code stops being accepted at all
TX_CODE_ATTEMPTS: Final = 5


def digest(secret: str) -> str:
    """The form a secret is stored in: hex SHA-256 of its UTF-8 bytes. The secrets are 256-bit random
    values (or a transaction code whose guesses are counted), so no salt or slow hash is needed."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_digest(secret: str, stored: str | None) -> bool:
    """Whether ``secret`` is the one whose digest is ``stored`` (constant-time comparison)."""
    return stored is not None and hmac.compare_digest(digest(secret), stored)


def new_secret() -> str:
    """A fresh 256-bit secret, URL-safe (a link secret, a pre-authorized code, a token, a nonce)."""
    return secrets.token_urlsafe(32)


def new_offer_id() -> str:
    """A fresh public offer id (URL-safe, 128 random bits: ids are not guessable either), starting with a letter
    or digit: a registrar's spreadsheet never takes one for a formula (a leading ``-``), so the mail-merge CSV
    writes it as it is."""
    while True:
        made = secrets.token_urlsafe(16)
        if made[0].isalnum():
            return made


def new_tx_code() -> str:
    """A fresh transaction code: :data:`TX_CODE_DIGITS` decimal digits."""
    return "".join(secrets.choice("0123456789") for _ in range(TX_CODE_DIGITS))


@dataclass(frozen=True)
class OfferDraft:
    """What the registrar asks for: one achievement (a catalogue id) for one learner."""

    achievement: str
    learner_name: str
    learner_email: str | None = None
    student_number: str | None = None
    #: how long the offer stays open (at most :data:`MAX_OFFER_DAYS` days)
    expires_in: timedelta = timedelta(days=DEFAULT_OFFER_DAYS)
    #: whether OpenID4VCI's token request must carry a transaction code (sent to the learner separately)
    tx_code: bool = False
    #: when the learner completed the achievement (the credential's completion date; None: the day it is issued)
    completed: date | None = None

    def __post_init__(self) -> None:
        if not self.achievement.strip():
            raise OfferError(Message("an offer needs an achievement"), code="MALFORMED_VALUE_ERROR",
                             field="achievement")
        if not self.learner_name.strip():
            raise OfferError(Message("an offer needs the learner's name"), code="MALFORMED_VALUE_ERROR",
                             field="learner")
        if not timedelta(minutes=1) <= self.expires_in <= timedelta(days=MAX_OFFER_DAYS):
            raise OfferError(Message("an offer expires between one minute and {days} days after it is made",
                                     days=MAX_OFFER_DAYS),
                             code="MALFORMED_VALUE_ERROR", field="expires")


@dataclass(frozen=True)
class Offer:
    """One offer as the store keeps it (no secret in it: those are kept as digests only)."""

    id: str
    achievement: str
    learner_name: str
    learner_email: str | None
    student_number: str | None
    created: str
    expires: str
    #: the stored state: :data:`OPEN`, :data:`REDEEMED` or :data:`REVOKED` (see :meth:`status`)
    state: str
    redeemed_at: str | None = None
    #: the DID that proved possession when the offer was redeemed (the credential's subject)
    holder: str | None = None
    #: which of :data:`PROTOCOLS` redeemed it
    protocol: str | None = None
    #: the credential the redeem produced (None while it is being issued)
    credential_id: str | None = None
    revoked_at: str | None = None
    tx_code_required: bool = False
    #: the completion date the credential will carry (YYYY-MM-DD; None: the day it is issued)
    completed: str | None = None

    def expired(self, now: datetime) -> bool:
        return now >= parse_datetime(self.expires, field="expires")

    def status(self, now: datetime) -> str:
        """The state a person sees: the stored one, or :data:`EXPIRED` for an open offer past its expiry."""
        if self.state == OPEN and self.expired(now):
            return EXPIRED
        return self.state

    def require_open(self, now: datetime) -> None:
        """Raise the typed error that says why this offer cannot be redeemed now (none when it can)."""
        status = self.status(now)
        if status == OPEN:
            return
        if status == REDEEMED:
            raise OfferRedeemedError(Message("offer {offer} was already redeemed", offer=self.id), offer=self.id)
        if status == REVOKED:
            raise OfferError(Message("offer {offer} was revoked", offer=self.id), code="OFFER_REVOKED", offer=self.id)
        raise OfferError(Message("offer {offer} expired at {expires}", offer=self.id, expires=self.expires),
                         code="OFFER_EXPIRED", offer=self.id)

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "achievement": self.achievement, "learner": self.learner_name,
            "email": self.learner_email, "studentNumber": self.student_number, "created": self.created,
            "expires": self.expires, "state": self.state if now is None else self.status(now),
            "redeemed": self.redeemed_at, "holder": self.holder, "protocol": self.protocol,
            "credential": self.credential_id, "revoked": self.revoked_at, "txCodeRequired": self.tx_code_required,
            "completed": self.completed}
        return out


@dataclass(frozen=True)
class NewOffer:
    """A new offer and its secrets in clear: returned once by :meth:`OfferStore.create_offer`, never again.

    ``secret`` goes in the offer's link (the LCW challenge, the exchange URL); ``pre_authorized_code`` in
    an OpenID4VCI credential offer; ``tx_code`` (when the offer requires one) reaches the learner by another
    channel.
    """

    offer: Offer
    secret: str
    pre_authorized_code: str
    tx_code: str | None = None

    def __repr__(self) -> str:  # never a secret in a log line or a traceback
        return f"NewOffer(offer={self.offer!r})"


class OfferStore(Protocol):
    """The offer part of the issuance store. Every method is atomic; ``now`` is the caller's clock.

    Errors: :class:`omc_vc.errors.OfferError` with code ``OFFER_NOT_FOUND``, ``OFFER_EXPIRED``,
    ``OFFER_REVOKED`` or ``MALFORMED_VALUE_ERROR``, and :class:`omc_vc.errors.OfferRedeemedError`
    (``OFFER_REDEEMED``) for an offer redeemed already.
    """

    # --- offers -----------------------------------------------------------------------------------------
    def create_offer(self, draft: OfferDraft, *, now: datetime) -> NewOffer:
        """Make an open offer with a fresh id, link secret and pre-authorized code (and transaction code
        when ``draft.tx_code``); keep only their digests."""
        ...

    def offer(self, offer_id: str) -> Offer | None: ...

    def offers(self) -> list[Offer]:
        """Every offer, oldest first."""
        ...

    def offer_by_secret(self, offer_id: str, secret: str) -> Offer | None:
        """The offer ``offer_id`` if ``secret`` is its link secret (None otherwise: unknown id or wrong
        secret alike)."""
        ...

    def offer_by_code(self, pre_authorized_code: str) -> Offer | None:
        """The offer whose OpenID4VCI pre-authorized code this is."""
        ...

    def check_tx_code(self, offer_id: str, tx_code: str) -> bool:
        """Whether ``tx_code`` is the offer's transaction code. A wrong code counts against
        :data:`TX_CODE_ATTEMPTS`; once they are used up every code is refused, the right one too. An
        offer that requires no code accepts none."""
        ...

    def revoke_offer(self, offer_id: str, *, now: datetime) -> Offer:
        """Revoke an open (or expired) offer for good; revoking a revoked one again changes nothing.
        OfferRedeemedError for an offer already redeemed (revoke its credential instead)."""
        ...

    # --- redeem (exactly once) ----------------------------------------------------------------------
    def redeem(self, offer_id: str, *, holder: str, protocol: str, now: datetime,
               credential_id: str | None = None) -> Offer:
        """Atomically turn the open, unexpired offer into ``redeemed`` by ``holder`` through ``protocol``
        (with ``credential_id`` when it is known already). Exactly one caller wins even when processes
        race; every other gets OfferRedeemedError (or OFFER_EXPIRED / OFFER_REVOKED / OFFER_NOT_FOUND)."""
        ...

    def record_credential(self, offer_id: str, credential_id: str) -> Offer:
        """Name the credential a redeem produced (once; the same id again is a no-op)."""
        ...

    def release(self, offer_id: str, *, holder: str) -> Offer:
        """Give back a redeem by ``holder`` whose credential could not be issued (no credential recorded):
        the offer is open again. A redeem with a credential is never given back."""
        ...

    # --- single-use nonces (LCW challenge, VC-API challenge, OpenID4VCI c_nonce) --------------------------
    def issue_nonce(self, purpose: str, *, now: datetime, lifetime: timedelta,
                    offer_id: str | None = None) -> str:
        """A fresh nonce for ``purpose`` (e.g. ``"vcapi-challenge"``, ``"c_nonce"``), bound to
        ``offer_id`` when given, valid for ``lifetime`` (at most :data:`MAX_NONCE_LIFETIME`)."""
        ...

    def consume_nonce(self, nonce: str, purpose: str, *, now: datetime, offer_id: str | None = None) -> bool:
        """Use the nonce up: True once for an unexpired nonce of this purpose bound to this ``offer_id``
        (None: one bound to no offer); False for an unknown, consumed, expired or other offer's nonce."""
        ...

    # --- access tokens (OpenID4VCI) ---------------------------------------------------------------
    def issue_token(self, offer_id: str, *, now: datetime, lifetime: timedelta) -> str:
        """A fresh access token bound to the offer, valid for ``lifetime`` (at most
        :data:`MAX_TOKEN_LIFETIME`)."""
        ...

    def token_offer(self, token: str, *, now: datetime) -> Offer | None:
        """The offer an unexpired access token is bound to (None for an unknown or expired token)."""
        ...

    def exchange_code(self, pre_authorized_code: str, *, now: datetime,
                      lifetime: timedelta) -> tuple[Offer, str] | None:
        """OpenID4VCI's token request: in one atomic step, use the pre-authorized code up (OpenID4VCI 1.0
        §4.1.1: "single use") and return its open offer with a fresh access token bound to it (as
        :meth:`issue_token`). None when no offer has this code (unknown, or exchanged already); the offer's
        OfferError when it expired or was revoked or redeemed."""
        ...


def _lifetime_refused(what: str, ceiling: str) -> Message:
    if what == "nonce":
        return Message("a nonce lives more than no time and at most {ceiling}", ceiling=ceiling)
    if what == "token":
        return Message("a token lives more than no time and at most {ceiling}", ceiling=ceiling)
    return Message("a {what} lives more than no time and at most {ceiling}", what=what, ceiling=ceiling)


def expiry(now: datetime, lifetime: timedelta, ceiling: timedelta, what: str) -> str:
    """``now + lifetime`` as stored, refusing a lifetime outside (0, ceiling]."""
    if not timedelta(0) < lifetime <= ceiling:
        raise OfferError(_lifetime_refused(what, str(ceiling)), code="MALFORMED_VALUE_ERROR")
    return format_datetime(now + lifetime)


def redeemed_already(offer_id: str, credential_id: str | None) -> Message:
    """Why a redeemed offer cannot be revoked: its credential (or the one being issued) is what to revoke."""
    if credential_id is None:
        return Message("offer {id} was redeemed already (credential being issued): revoke the credential",
                       id=offer_id)
    return Message("offer {id} was redeemed already (credential {credential}): revoke the credential", id=offer_id,
                   credential=credential_id)


def not_redeemed(offer_id: str, state: str) -> Message:
    """Why an offer that is not redeemed cannot record a credential: its state, said in the reader's language."""
    if state == OPEN:
        return Message("offer {id} is open, not redeemed", id=offer_id)
    if state == REVOKED:
        return Message("offer {id} is revoked, not redeemed", id=offer_id)
    return Message("offer {id} is {state}, not redeemed", id=offer_id, state=state)
