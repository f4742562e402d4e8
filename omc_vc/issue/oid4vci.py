"""OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow: the institution's side, free of HTTP.

A credential offer (:mod:`omc_vc.issue.offers`) becomes an OpenID4VCI credential offer whose pre-authorized
code the learner's wallet exchanges for an access token bound to that offer; the wallet then fetches a
fresh ``c_nonce``, signs a proof of possession of its key over it, and receives one OMC, issued by the one
:class:`~omc_vc.issue.issuer.Issuer` with ``credentialSubject.id`` = the DID of the proven key:

* ``GET /.well-known/openid-credential-issuer``: the credential issuer metadata (§12.2), :func:`issuer_metadata`;
* ``GET /.well-known/oauth-authorization-server``: the issuer is its own authorization server (RFC 8414),
  :func:`authorization_server_metadata`;
* ``GET /oid4vci/credential-offer/{code}``: the offer by reference (§4.1.3), :meth:`Oid4vciIssuer.offer`;
* ``POST /oid4vci/token`` (form-encoded, §6), :meth:`Oid4vciIssuer.token`;
* ``POST /oid4vci/nonce`` (§7), :meth:`Oid4vciIssuer.nonce`;
* ``POST /oid4vci/credential`` (bearer token, §8), :meth:`Oid4vciIssuer.credential`.

One ``omc serve`` for several institutions sharing one address is one credential issuer over all of them
(:class:`CredentialIssuer`): each request is answered by the institution whose store holds its code or token.

Two credential configurations are offered, one OMC each way: ``ldp_vc`` (the Data Integrity OMC, as ``omc
issue`` makes it) and ``jwt_vc_json`` (the same OMC as Open Badges 3.0 §8.2's VC-JWT). The web layer
(``omc_vc.web.oid4vci``) only moves bytes; every decision is made here, and every refusal is an
:class:`~omc_vc.errors.Oid4vciError` carrying the specification's error code and HTTP status.

What the flow stops, and where:

* a pre-authorized code is single use (§4.1.1), expires with its offer, and dies with a revoked offer
  (:meth:`OfferStore.exchange_code`); a transaction code, when the offer requires one, is counted and locks
  after :data:`~omc_vc.issue.offers.TX_CODE_ATTEMPTS` wrong guesses (§13.6);
* an access token is bound to its offer: it redeems that offer and no other;
* a key proof must be explicitly typed, signed by the key it names (§F.4), addressed to this issuer
  (``aud``), recent (``iat``), and carry a ``c_nonce`` of ours that is consumed on first use (§13.8), so a
  replayed proof is refused with ``invalid_nonce``;
* an offer is redeemed exactly once, atomically, by the holder whose key was proven (the store's redeem).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, urlencode

from omc_vc.did import DidResolver
from omc_vc.errors import ConfigError, IssuanceError, JwtError, OfferError, Oid4vciError, PolicyError
from omc_vc.i18n import Message
from omc_vc.issue.issuer import Issuer, Secured
from omc_vc.issue.offers import EXPIRED, OID4VCI, OPEN, REDEEMED, REVOKED, TX_CODE_DIGITS, NewOffer, Offer, OfferStore
from omc_vc.issue.store import CredentialRecord
from omc_vc.model import as_list
from omc_vc.omc.builder import CONTEXTS, Learner
from omc_vc.proofs import data_integrity, jose

__all__ = [
    "ACCESS_TOKEN_LIFETIME", "AUTHORIZATION_SERVER_WELL_KNOWN", "CONFIGURATIONS", "CREDENTIAL_PATH",
    "C_NONCE_LIFETIME", "ISSUER_WELL_KNOWN", "NONCE_PATH", "OFFER_PATH", "OFFER_SCHEME", "PRE_AUTHORIZED_GRANT",
    "PROOF_MAX_AGE", "PROOF_TYP", "TOKEN_PATH", "CredentialIssuer", "Oid4vciIssuer", "authorization_server_metadata",
    "credential_offer", "issuer_metadata", "offer_links",
]

#: §4.1.1: the grant type of the pre-authorized code flow
PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
#: §F.1: the ``typ`` of a ``jwt`` key proof
PROOF_TYP: Final = "openid4vci-proof+jwt"
#: §4.1: the custom URL scheme of a credential offer opened by a wallet
OFFER_SCHEME: Final = "openid-credential-offer://"
ISSUER_WELL_KNOWN: Final = "/.well-known/openid-credential-issuer"
AUTHORIZATION_SERVER_WELL_KNOWN: Final = "/.well-known/oauth-authorization-server"
TOKEN_PATH: Final = "/oid4vci/token"  # noqa: S105 (a path, not a secret)
NONCE_PATH: Final = "/oid4vci/nonce"
CREDENTIAL_PATH: Final = "/oid4vci/credential"
OFFER_PATH: Final = "/oid4vci/credential-offer/"

#: how long an access token lives (it is bound to one offer and useful for one credential request)
ACCESS_TOKEN_LIFETIME: Final = timedelta(minutes=10)
#: how long a c_nonce stays usable (§7.2: the issuer decides; single use in any case)
C_NONCE_LIFETIME: Final = timedelta(minutes=5)
#: §13.8: a key proof's iat must be this recent (it signs a nonce that lives no longer anyway) ...
PROOF_MAX_AGE: Final = timedelta(minutes=5)
#: ... and at most this far in the future (clock skew between the wallet and the issuer)
PROOF_CLOCK_SKEW: Final = timedelta(seconds=60)

#: The credential configurations (§12.2.4 ``credential_configurations_supported``): id -> (format, how the
#: Issuer secures the OMC).
CONFIGURATIONS: Final[dict[str, tuple[str, Secured]]] = {
    "OntarioMicroCredential_ldp_vc": ("ldp_vc", "di"),
    "OntarioMicroCredential_jwt_vc_json": ("jwt_vc_json", "jwt"),
}
_TYPES: Final = ["VerifiableCredential", "OpenBadgeCredential"]
#: §F.1: the algorithms a key proof may use (jose's allow-list, each tied to its key type)
_PROOF_ALGS: Final = ["EdDSA", "ES256", "ES384"]
#: §12.2.4 cryptographic_binding_methods_supported: the holder keys a credential can be bound to
_BINDING_METHODS: Final = ["did:key", "did:jwk", "jwk"]
#: a credential request is small: a configuration id and one proof
MAX_PROOFS: Final = 1
_DISPLAY: Final = [
    {"name": "Ontario Micro-Credential", "locale": "en-CA",
     "description": "A micro-credential from an Ontario institution authorized by the Ministry of Colleges and "
                    "Universities"},
    {"name": "Microcertification de l'Ontario", "locale": "fr-CA",
     "description": "Une microcertification d'un établissement de l'Ontario autorisé par le ministère des "
                    "Collèges et Universités"},
]


# --- metadata --------------------------------------------------------------------------------------------

def _display(issuer: Issuer) -> dict[str, Any]:
    """§12.2.4 ``display``: the institution's name and logo, as its OMCs' issuer profile gives them."""
    profile = issuer.config.issuer()
    display: dict[str, Any] = {"locale": "en-CA"}
    if isinstance(profile.get("name"), str):
        display["name"] = profile["name"]
    image = profile.get("image")
    image_url = image.get("id") if isinstance(image, dict) else image if isinstance(image, str) else None
    if isinstance(image_url, str) and image_url.startswith(("https://", "data:")):
        display["logo"] = {"uri": image_url, "alt_text": f"{display.get('name', 'Institution')} logo"}
    return display


def issuer_metadata(base_url: str, issuer: Issuer | Sequence[Issuer]) -> dict[str, Any]:
    """The credential issuer metadata (§12.2.4) of the issuer whose identifier is ``base_url``.

    ``authorization_servers`` is absent: the credential issuer is its own authorization server (§12.2.4),
    whose RFC 8414 metadata is :func:`authorization_server_metadata`. Several institutions behind one
    identifier (one ``omc serve`` for several, :class:`CredentialIssuer`) share the configurations, with the
    algorithms of all their keys; ``display`` then names none of them (each OMC names its own issuer).
    """
    issuers = [issuer] if isinstance(issuer, Issuer) else list(issuer)
    if not issuers:
        raise ValueError("issuer_metadata needs at least one issuer")
    key_types = list(dict.fromkeys(one.key.public_key.key_type for one in issuers))
    common = {
        "scope": "OntarioMicroCredential",
        "cryptographic_binding_methods_supported": list(_BINDING_METHODS),
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(_PROOF_ALGS)}},
        "credential_metadata": {"display": [dict(entry) for entry in _DISPLAY]},
    }
    configurations: dict[str, Any] = {}
    for config_id, (fmt, _) in CONFIGURATIONS.items():
        entry: dict[str, Any] = {"format": fmt, **json.loads(json.dumps(common))}
        if fmt == "ldp_vc":
            # Appendix A.1.2.2: @context and type; the algorithm is the Data Integrity cryptosuite
            entry["credential_signing_alg_values_supported"] = list(dict.fromkeys(
                data_integrity.DEFAULT_SUITE[key_type] for key_type in key_types))
            entry["credential_definition"] = {"@context": list(CONTEXTS), "type": list(_TYPES)}
        else:
            # Appendix A.1.1.2: type only (not processed as JSON-LD); the algorithm is the JWS alg
            entry["credential_signing_alg_values_supported"] = list(dict.fromkeys(
                one.key.public_key.jws_alg for one in issuers))
            entry["credential_definition"] = {"type": list(_TYPES)}
        configurations[config_id] = entry
    metadata: dict[str, Any] = {
        "credential_issuer": base_url,
        "credential_endpoint": base_url + CREDENTIAL_PATH,
        "nonce_endpoint": base_url + NONCE_PATH,
    }
    if len(issuers) == 1:
        metadata["display"] = [_display(issuers[0])]
    metadata["credential_configurations_supported"] = configurations
    return metadata


def authorization_server_metadata(base_url: str) -> dict[str, Any]:
    """RFC 8414 metadata of the issuer acting as its own authorization server: the pre-authorized grant only,
    anonymous (§12.3 ``pre-authorized_grant_anonymous_access_supported``), no authorization endpoint (so no
    ``response_types_supported``, which §12.2.4 lets such a server omit)."""
    return {
        "issuer": base_url,
        "token_endpoint": base_url + TOKEN_PATH,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


# --- offers ---------------------------------------------------------------------------------------------

def credential_offer(base_url: str, pre_authorized_code: str, *, tx_code_required: bool) -> dict[str, Any]:
    """The credential offer object (§4.1.1) for an offer's pre-authorized code: every configuration (the
    wallet picks the format it wants), and the transaction code's shape when one is required."""
    grant: dict[str, Any] = {"pre-authorized_code": pre_authorized_code}
    if tx_code_required:
        grant["tx_code"] = {"input_mode": "numeric", "length": TX_CODE_DIGITS,
                            "description": "Enter the code your institution sent you separately (e-mail or "
                                           "text message)."}
    return {"credential_issuer": base_url, "credential_configuration_ids": list(CONFIGURATIONS),
            "grants": {PRE_AUTHORIZED_GRANT: grant}}


def offer_links(base_url: str, new_offer: NewOffer) -> dict[str, str]:
    """The two links of a new offer (§4.1): ``credential_offer`` carries the offer by value,
    ``credential_offer_uri`` by reference (shorter, for a QR code). Both hold the pre-authorized code: they are
    as secret as the offer's other link."""
    offer = credential_offer(base_url, new_offer.pre_authorized_code,
                             tx_code_required=new_offer.offer.tx_code_required)
    by_value = OFFER_SCHEME + "?" + urlencode(
        {"credential_offer": json.dumps(offer, separators=(",", ":"))}, quote_via=quote)
    uri = base_url + OFFER_PATH + new_offer.pre_authorized_code
    return {"credential_offer": by_value,
            "credential_offer_uri": OFFER_SCHEME + "?" + urlencode({"credential_offer_uri": uri}, quote_via=quote)}


# --- the flow --------------------------------------------------------------------------------------------

def _refuse(code: str, detail: str, status: int = 400) -> Oid4vciError:
    return Oid4vciError(detail, code=code, status=status)


def _offer_is(status: str) -> Message:
    """Why an offer that is not open is refused, one sentence per state."""
    if status == REDEEMED:
        return Message("the offer is redeemed")
    if status == REVOKED:
        return Message("the offer is revoked")
    if status == EXPIRED:
        return Message("the offer is expired")
    return Message("the offer is {status}", status=status)


@dataclass
class Oid4vciIssuer:
    """The OpenID4VCI endpoints' logic for one institution: its :class:`Issuer`, the offers of its store,
    and its credential issuer identifier ``base_url`` (the service's public URL)."""

    issuer: Issuer
    offers: OfferStore
    base_url: str
    #: resolves a key proof's kid: did:key and did:jwk are pure functions of the DID (no fetcher, no network)
    resolver: DidResolver = field(default_factory=DidResolver)
    #: the stores this issuer's c_nonce values may live in (several institutions behind one nonce endpoint:
    #: :class:`CredentialIssuer`); empty: its own offer store
    nonce_stores: Sequence[OfferStore] = ()

    def now(self) -> datetime:
        return self.issuer.clock().replace(microsecond=0)

    def metadata(self) -> dict[str, Any]:
        return issuer_metadata(self.base_url, self.issuer)

    # §4.1.3 ----------------------------------------------------------------------------------------------
    def offer(self, pre_authorized_code: str) -> dict[str, Any]:
        """The credential offer a ``credential_offer_uri`` names, while its code is unused and its offer open."""
        found = self.offers.offer_by_code(pre_authorized_code) if pre_authorized_code else None
        if found is None or found.status(self.now()) != OPEN:
            raise _refuse("not_found",
                          Message("no open credential offer here (used, expired, revoked or never made)"), 404)
        return credential_offer(self.base_url, pre_authorized_code, tx_code_required=found.tx_code_required)

    # §6 ------------------------------------------------------------------------------------------------
    def token(self, form: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """§6.1 token request of the pre-authorized code flow (the form's name/value pairs, in order)."""
        params: dict[str, str] = {}
        for name, value in form:
            # RFC 6749 §3.2: request parameters MUST NOT be included more than once
            if name in params:
                raise _refuse("invalid_request", Message("the parameter {name} is repeated", name=name))
            params[name] = value
        grant = params.get("grant_type")
        if not grant:
            raise _refuse("invalid_request", Message("grant_type is missing"))
        if grant != PRE_AUTHORIZED_GRANT:
            raise _refuse("unsupported_grant_type", Message(
                "only the pre-authorized code grant ({grant}) is supported", grant=PRE_AUTHORIZED_GRANT))
        code = params.get("pre-authorized_code")
        if not code:
            raise _refuse("invalid_request", Message("pre-authorized_code is missing"))
        # RFC 8707 §2: a resource indicator, when sent, must name this credential issuer
        resource = params.get("resource")
        if resource is not None and resource != self.base_url:
            raise _refuse("invalid_target", Message("the resource is not this credential issuer"))
        now = self.now()
        found = self.offers.offer_by_code(code)
        if found is None:
            # §6.3: a wrong (or used) pre-authorized code is invalid_grant
            raise _refuse("invalid_grant", Message("the pre-authorized code is not valid (unknown or already used)"))
        status = found.status(now)
        if status != OPEN:
            raise _refuse("invalid_grant", _offer_is(status))
        tx_code = params.get("tx_code")
        if found.tx_code_required:
            # §6.3: a missing transaction code is invalid_request, a wrong one invalid_grant (counted, and the
            # offer's code locks after too many: §13.6.3)
            if not tx_code:
                raise _refuse("invalid_request", Message("this offer needs the transaction code sent to the learner"))
            if not self.offers.check_tx_code(found.id, tx_code):
                raise _refuse("invalid_grant",
                              Message("the transaction code is wrong (or too many wrong codes were tried)"))
        elif tx_code is not None:
            raise _refuse("invalid_request", Message("this offer needs no transaction code"))
        try:
            exchanged = self.offers.exchange_code(code, now=now, lifetime=ACCESS_TOKEN_LIFETIME)
        except OfferError as exc:
            raise _refuse("invalid_grant", exc.detail) from exc
        if exchanged is None:  # another request used the code in the meantime
            raise _refuse("invalid_grant", Message("the pre-authorized code is not valid (unknown or already used)"))
        _, token = exchanged
        # §6.2 / RFC 6749 §5.1
        return {"access_token": token, "token_type": "Bearer",
                "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds())}

    # §7 ------------------------------------------------------------------------------------------------
    def nonce(self) -> dict[str, Any]:
        """§7.2: a fresh, unpredictable, single-use c_nonce."""
        return {"c_nonce": self.offers.issue_nonce("c_nonce", now=self.now(), lifetime=C_NONCE_LIFETIME)}

    # §8 ------------------------------------------------------------------------------------------------
    def credential(self, access_token: str | None, body: Any) -> dict[str, Any]:
        """§8.2 credential request, authorized by ``access_token`` (RFC 6750), answered as §8.3 (immediately)."""
        now = self.now()
        offer = self.offers.token_offer(access_token, now=now) if access_token else None
        if offer is None:
            # §8.3.1.1 / RFC 6750 §3.1
            raise _refuse("invalid_token", Message("the access token is missing, unknown or expired"), 401)
        if not isinstance(body, dict):
            raise _refuse("invalid_credential_request", Message("the credential request must be a JSON object"))
        if "credential_response_encryption" in body:
            raise _refuse("invalid_encryption_parameters", Message("encrypted credential responses are not supported"))
        if "credential_identifier" in body:
            # §8.2: only after a token response with authorization_details, which this issuer never sends
            raise _refuse("unknown_credential_identifier", Message("use credential_configuration_id"))
        config_id = body.get("credential_configuration_id")
        if not isinstance(config_id, str) or not config_id:
            raise _refuse("invalid_credential_request", Message("credential_configuration_id is missing"))
        if config_id not in CONFIGURATIONS:
            raise _refuse("unknown_credential_configuration", Message("no credential configuration {id}",
                                                                         id=repr(config_id[:80])))
        status = offer.status(now)
        # a redeem cut off before its credential was recorded (the process that ran it was killed) may be
        # finished by the holder that redeemed it, with this offer's token
        cut_off = offer.state == REDEEMED and offer.credential_id is None
        if status != OPEN and not cut_off:
            # redeemed (a second request with the token of a redeemed offer), expired or revoked
            raise _refuse("credential_request_denied", _offer_is(status))
        holder = self._proven_holder(body, now)
        secured = CONFIGURATIONS[config_id][1]
        if cut_off:
            if offer.holder != holder:
                raise _refuse("credential_request_denied", Message("the offer is redeemed"))
            credential = self._resume(offer, holder, secured)
        else:
            credential = self._redeem(offer, holder, secured, now)
        return {"credentials": [{"credential": credential}]}

    def _proven_holder(self, body: dict[str, Any], now: datetime) -> str:
        """The holder DID the request's one ``jwt`` key proof proves possession of (§8.2, §F.1, §F.4)."""
        proofs, proof = body.get("proofs"), body.get("proof")
        if proofs is not None and proof is not None:
            raise _refuse("invalid_credential_request", Message("send proofs or proof, not both"))
        if proofs is not None:
            # §8.2: exactly one proof type, its value a non-empty array
            if not isinstance(proofs, dict) or len(proofs) != 1:
                raise _refuse("invalid_proof", Message("proofs must name exactly one proof type"))
            ((kind, values),) = proofs.items()
            if kind != "jwt":
                raise _refuse("invalid_proof", Message("the proof type {kind} is not supported (jwt only)",
                                                       kind=repr(str(kind)[:40])))
            if not isinstance(values, list) or not values:
                raise _refuse("invalid_proof", Message("proofs.jwt must be a non-empty array"))
            if len(values) > MAX_PROOFS:
                raise _refuse("invalid_credential_request",
                              Message("one proof per request: batch issuance is not offered"))
            token = values[0]
        elif proof is not None:
            # the single ``proof`` object of the drafts before 1.0: {"proof_type": "jwt", "jwt": ...}
            if not isinstance(proof, dict) or proof.get("proof_type") != "jwt":
                raise _refuse("invalid_proof", Message("proof.proof_type must be jwt"))
            token = proof.get("jwt")
        else:
            # §8.3.1.2 invalid_proof (1): the proofs are missing (proof_types_supported is in the metadata)
            raise _refuse("invalid_proof", Message("a proof of possession of the holder key is required"))
        if not isinstance(token, str):
            raise _refuse("invalid_proof", Message("the jwt proof must be a string"))
        try:
            checked = jose.verify_key_proof(token, typ=PROOF_TYP, resolver=self.resolver)
        except JwtError as exc:
            raise _refuse("invalid_proof", exc.detail) from exc
        claims = checked.claims
        # §F.1: aud is the credential issuer identifier (a JWT may give it as a one-element array)
        audience = claims.get("aud")
        if audience != self.base_url and audience != [self.base_url]:
            raise _refuse("invalid_proof", Message("the proof's aud is not this credential issuer"))
        # §F.1 iat (a NumericDate), §F.4 / §13.8: within an acceptable window
        iat = claims.get("iat")
        if isinstance(iat, bool) or not isinstance(iat, int | float) or not math.isfinite(iat):
            raise _refuse("invalid_proof", Message("the proof has no iat"))
        age = now.timestamp() - iat
        if age > PROOF_MAX_AGE.total_seconds():
            raise _refuse("invalid_proof", Message("the proof is too old (iat); sign a new one"))
        if age < -PROOF_CLOCK_SKEW.total_seconds():
            raise _refuse("invalid_proof", Message("the proof's iat is in the future"))
        nonce = claims.get("nonce")
        # §8.3.1.2 invalid_proof (3): this issuer has a nonce endpoint, so every proof carries a c_nonce
        if not isinstance(nonce, str) or not nonce:
            raise _refuse("invalid_proof", Message("the proof carries no nonce (ask the nonce endpoint for a c_nonce)"))
        # §13.8: the c_nonce is used up by its first proof, so a replayed proof finds it gone (it lives in one
        # store only, so trying each store still uses it once)
        if not any(store.consume_nonce(nonce, "c_nonce", now=now) for store in self.nonce_stores or (self.offers,)):
            raise _refuse("invalid_nonce", Message("the c_nonce is unknown, expired or used already: get a new one"))
        return checked.holder

    def _redeem(self, offer: Offer, holder: str, secured: Secured, now: datetime) -> Any:
        """Redeem the offer for ``holder`` (exactly once) and issue its OMC through the one Issuer."""
        try:
            self.offers.redeem(offer.id, holder=holder, protocol=OID4VCI, now=now)
        except OfferError as exc:
            raise _refuse("credential_request_denied", exc.detail) from exc
        learner = Learner(name=offer.learner_name, email=offer.learner_email, student_number=offer.student_number,
                          did=holder)
        try:
            issued = self.issuer.issue(learner=learner, achievement=offer.achievement, secured=secured,
                                       completed=_completed(offer))
        except (IssuanceError, PolicyError, ConfigError) as exc:
            # nothing was issued: the offer is open again (for another try, or another wallet key)
            self.offers.release(offer.id, holder=holder)
            raise _refuse("credential_request_denied",
                          Message("the credential could not be issued: {detail}", detail=exc.detail)) from exc
        except Exception:
            self.offers.release(offer.id, holder=holder)
            raise
        self.offers.record_credential(offer.id, issued.record.id)
        # Appendix A.1.1.4: a jwt_vc_json credential is the JWT itself; A.1.2.4: an ldp_vc one the JSON object
        return issued.token if secured == "jwt" else issued.credential

    def _resume(self, offer: Offer, holder: str, secured: Secured) -> Any:
        """Finish ``holder``'s redeem of ``offer`` that was cut off before its credential was recorded: the
        credential issued then, if it was, else issued now. Issuing is exactly once per (learner, achievement)
        in the store, so a retry, or two at once, never makes a second credential; the offer stays redeemed by
        this holder throughout."""
        learner = Learner(name=offer.learner_name, email=offer.learner_email, student_number=offer.student_number,
                          did=holder)
        for _ in range(2):
            outcome = self.issuer.reserve([(learner.key(), offer.achievement)])[0]
            # only a credential issued for this redeem: not an earlier (revoked) one of the same learner
            if isinstance(outcome, CredentialRecord) and offer.redeemed_at is not None \
                    and outcome.issued >= offer.redeemed_at and outcome.revoked is None:
                document = self.issuer.store.document(outcome.id)
                if document is None:
                    raise _refuse("credential_request_denied", Message("the offer's credential cannot be read again"))
                self.offers.record_credential(offer.id, outcome.id)
                return _as_delivered(document, secured)
            try:
                issued = self.issuer.issue(learner=learner, achievement=offer.achievement, secured=secured,
                                           completed=_completed(offer))
            except (IssuanceError, PolicyError, ConfigError) as exc:
                if isinstance(exc, IssuanceError) and exc.context.get("field") == "learner":
                    continue  # another retry of this redeem issued it meanwhile: take that one
                raise _refuse("credential_request_denied",
                              Message("the credential could not be issued: {detail}", detail=exc.detail)) from exc
            self.offers.record_credential(offer.id, issued.record.id)
            return issued.token if secured == "jwt" else issued.credential
        raise _refuse("credential_request_denied", Message("the offer's credential could not be found again"))


#: the id of an EnvelopedVerifiableCredential that holds a VC-JWT (VCDM 2.0 §4.13.1)
_JWT_DATA_URL: Final = "data:application/vc+jwt,"


def _completed(offer: Offer) -> date | None:
    """The completion date the offer promised its credential would show."""
    return date.fromisoformat(offer.completed) if offer.completed else None


def _as_delivered(document: dict[str, Any], secured: Secured) -> Any:
    """A kept credential as the configuration delivers it: the JWT of a VC-JWT (kept as its
    EnvelopedVerifiableCredential, VCDM 2.0 §4.13.1), the JSON object of a Data Integrity one."""
    envelope = document.get("id") if "EnvelopedVerifiableCredential" in as_list(document.get("type")) else None
    if secured == "jwt":
        if isinstance(envelope, str) and envelope.startswith(_JWT_DATA_URL):
            return envelope[len(_JWT_DATA_URL):]
        raise _refuse("credential_request_denied",
                      Message("this offer's credential was issued as ldp_vc: ask for that"))
    if envelope is not None:
        raise _refuse("credential_request_denied",
                      Message("this offer's credential was issued as jwt_vc_json: ask for that"))
    return document


class CredentialIssuer:
    """One credential issuer identifier (``base_url``) and the institutions behind it: the endpoints of one
    ``omc serve`` that issues for several (each its own :class:`Issuer` and offer store).

    A pre-authorized code, an access token and an offer belong to exactly one institution's store (256-bit
    secrets), so each request is answered by the institution whose store holds what the request carries; its
    credential comes from that institution's Issuer only. The nonce endpoint keeps its ``c_nonce`` values in
    the first institution's store, and a proof's nonce is used up in whichever store holds it. With one
    institution this is that institution's :class:`Oid4vciIssuer`.
    """

    def __init__(self, base_url: str, institutions: Sequence[tuple[Issuer, OfferStore]]) -> None:
        if not institutions:
            raise ValueError("a credential issuer needs at least one institution")
        self.base_url = base_url
        stores = [offers for _, offers in institutions]
        self.flows = [Oid4vciIssuer(issuer, offers, base_url, nonce_stores=stores) for issuer, offers in institutions]

    def metadata(self) -> dict[str, Any]:
        return issuer_metadata(self.base_url, [flow.issuer for flow in self.flows])

    def owner_of_code(self, pre_authorized_code: str) -> Oid4vciIssuer:
        """The institution whose store holds this pre-authorized code; the first when none does (it answers the
        same refusal as any). With one institution, that one, without a lookup of its own: the flow looks the code
        up once, when it answers."""
        if len(self.flows) == 1 or not pre_authorized_code:
            return self.flows[0]
        return next((flow for flow in self.flows if flow.offers.offer_by_code(pre_authorized_code) is not None),
                    self.flows[0])

    def owner_of_token(self, access_token: str | None) -> Oid4vciIssuer:
        """The institution whose store holds this unexpired access token (as :meth:`owner_of_code` for codes)."""
        if len(self.flows) == 1 or not access_token:
            return self.flows[0]
        return next((flow for flow in self.flows if flow.offers.token_offer(access_token, now=flow.now()) is not None),
                    self.flows[0])

    def offer(self, pre_authorized_code: str) -> dict[str, Any]:
        return self.owner_of_code(pre_authorized_code).offer(pre_authorized_code)

    def token(self, form: Sequence[tuple[str, str]]) -> dict[str, Any]:
        codes = [value for name, value in form if name == "pre-authorized_code"]
        return self.owner_of_code(codes[0] if len(codes) == 1 else "").token(form)

    def nonce(self) -> dict[str, Any]:
        return self.flows[0].nonce()

    def credential(self, access_token: str | None, body: Any) -> dict[str, Any]:
        return self.owner_of_token(access_token).credential(access_token, body)
