"""The wallet's side of OpenID4VCI 1.0, pre-authorized code flow: receive a credential from an offer link.

``openid-credential-offer://?credential_offer=...`` (or ``...?credential_offer_uri=...``) names a credential
issuer and a pre-authorized code. :func:`receive_offer` follows the flow as the specification lays it out for
a wallet, treating everything the offer and the issuer say as untrusted (§13.5):

1. the offer: by value, or fetched by reference (§4.1.3, ``application/json``);
2. the credential issuer metadata at its well-known URL, whose ``credential_issuer`` must be exactly the
   offer's (§12.2.4: "the data contained in the response MUST NOT be used" otherwise);
3. the authorization server's RFC 8414 metadata (the issuer itself unless ``authorization_servers`` says
   otherwise), whose ``issuer`` must be the one asked for (RFC 8414 §3.3), for its token endpoint;
4. the token request (§6.1) with the pre-authorized code and, when the offer asks, the transaction code;
5. a ``c_nonce`` from the nonce endpoint (§7), when the issuer has one;
6. the credential request (§8.2) with one ``jwt`` proof of possession of the wallet's holder key (§F.1:
   ``typ`` ``openid4vci-proof+jwt``, ``kid`` the holder's DID URL, ``aud`` the issuer, ``iat`` now, the nonce).

What comes back is the credential as the issuer sent it; the caller verifies it and checks that it is bound to
the holder (:func:`bound_to`) before storing it. Every request goes through the injected
:class:`~omc_vc._internal.fetch.Fetcher` (https only unless loopback is allowed, SSRF checks, a timeout, a size
cap, no redirect to another host); no secret (code, token, nonce, proof) is ever logged or put in an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.jsonio import loads
from omc_vc._internal.timeutil import utcnow
from omc_vc.errors import FetchError, InputError, Oid4vciError
from omc_vc.i18n import Message
from omc_vc.issue.oid4vci import (
    AUTHORIZATION_SERVER_WELL_KNOWN,
    ISSUER_WELL_KNOWN,
    OFFER_SCHEME,
    PRE_AUTHORIZED_GRANT,
    PROOF_TYP,
)
from omc_vc.keys import KeyPair
from omc_vc.model import subject_ids
from omc_vc.proofs import jose

__all__ = ["FORMATS", "Received", "bound_to", "is_offer_link", "parse_offer_link", "receive_offer"]

#: the credential formats this wallet stores, in the order it prefers them
FORMATS: Final = ("ldp_vc", "jwt_vc_json")
#: the largest answer read from an issuer (a credential with embedded images stays well under this)
MAX_ANSWER_BYTES: Final = 2_000_000
#: an offer link is a URL a person opens; longer than this is not an offer
MAX_LINK_CHARS: Final = 16_384


@dataclass(frozen=True)
class Received:
    """What an issuer delivered: the credential (a JSON object for ``ldp_vc``, a JWT for ``jwt_vc_json``), the
    configuration and format it was asked for, and the credential issuer that sent it."""

    credential: dict[str, Any] | str
    configuration_id: str
    format: str
    credential_issuer: str


def is_offer_link(text: str) -> bool:
    """Whether ``text`` is an OpenID4VCI credential offer link (§4.1)."""
    return isinstance(text, str) and text.strip().startswith(OFFER_SCHEME)


def _refused(detail: str, code: str = "invalid_offer") -> Oid4vciError:
    return Oid4vciError(detail, code=code)


def parse_offer_link(link: str) -> tuple[str, Any]:
    """(``"credential_offer"``, the offer object) or (``"credential_offer_uri"``, its URL) from an offer link:
    exactly one of the two parameters (§4.1), once."""
    text = link.strip()
    if not is_offer_link(text) or len(text) > MAX_LINK_CHARS:
        raise _refused(Message("not an OpenID4VCI credential offer link (openid-credential-offer://...)"))
    query = parse_qs(urlsplit(text).query, keep_blank_values=True, max_num_fields=8)
    given = [name for name in ("credential_offer", "credential_offer_uri") if name in query]
    if len(given) != 1 or len(query[given[0]]) != 1:
        raise _refused(Message("an offer link carries exactly one credential_offer or credential_offer_uri"))
    value = query[given[0]][0]
    if given[0] == "credential_offer_uri":
        return given[0], value
    try:
        return given[0], loads(value.encode("utf-8"), max_bytes=MAX_LINK_CHARS, what="the credential offer")
    except InputError as exc:
        raise _refused(Message("the credential offer is not JSON: {why}", why=exc.detail)) from exc


def _origin_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        # §12.2.1: an https URL with scheme, host, optional port and path, no query or fragment
        raise _refused(Message("{url} is not a credential issuer identifier", url=repr(url[:200])))
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def _well_known(identifier: str, suffix: str) -> str:
    """§12.2.2 / RFC 8414 §3.1: the well-known string goes between the host and the path."""
    origin, path = _origin_path(identifier)
    return origin + suffix + path


class _Http:
    """JSON over the wallet's fetcher: every URL checked, no redirects, answers capped."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def get(self, url: str, what: str, *, secret: bool = False) -> dict[str, Any]:
        """GET a JSON object; ``secret``: the URL holds a secret (an offer's pre-authorized code), so no error
        names it."""
        try:
            response = self.fetcher.get(url, max_bytes=MAX_ANSWER_BYTES)
        except FetchError as exc:
            detail = exc.code if secret else exc.detail
            raise Oid4vciError(Message("cannot get the {what}: {detail}", what=what, detail=detail),
                               code="issuer_unreachable") from exc
        if secret and response.status in (404, 410):
            raise _refused(Message("the {what} is no longer there (used, expired or revoked)", what=what),
                           "offer_unavailable")
        if response.status != 200:
            status = str(response.status)
            raise _refused(Message("the {what} answered HTTP {status}", what=what, status=status) if secret
                           else Message("the {what} at {url} answered HTTP {status}", what=what, url=url[:200],
                                        status=status), "issuer_error")
        return self._object(response.content, what)

    def post(self, url: str, what: str, *, form: Mapping[str, str] | None = None, body: Any = None,
             token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else None
        try:
            answer = self.fetcher.post(url, json_body=body, form=form, headers=headers, max_bytes=MAX_ANSWER_BYTES)
        except FetchError as exc:
            if exc.code == "FETCH_TOO_LARGE":
                raise Oid4vciError(Message("the {what}'s answer: {why}", what=what, why=exc.detail),
                                   code="issuer_error") from exc
            raise Oid4vciError(Message("cannot reach the {what}: {why}", what=what, why=exc.detail),
                               code="issuer_unreachable") from exc
        content, status = answer.content, answer.status
        if status != 200:
            # RFC 6749 §5.2 / OpenID4VCI §8.3.1: {"error", "error_description"}; the code is the issuer's
            error, description = "issuer_error", f"HTTP {status}"
            try:
                refusal = loads(content, max_bytes=MAX_ANSWER_BYTES, what=Message("the error answer"))
                if isinstance(refusal, dict) and isinstance(refusal.get("error"), str):
                    error = refusal["error"][:64]
                    if isinstance(refusal.get("error_description"), str):
                        description = refusal["error_description"][:300]
            except InputError:
                pass
            raise Oid4vciError(Message("the {what} refused the request: {description}", what=what,
                                       description=description), code=error, status=status)
        return self._object(content, what)

    @staticmethod
    def _object(content: bytes, what: str) -> dict[str, Any]:
        try:
            value = loads(content, max_bytes=MAX_ANSWER_BYTES, what=Message("the {what}", what=what))
        except InputError as exc:
            raise _refused(Message("the {what} is not JSON: {why}", what=what, why=exc.detail), "issuer_error") from exc
        if not isinstance(value, dict):
            raise _refused(Message("the {what} is not a JSON object", what=what), "issuer_error")
        return value


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise _refused(Message("{what} is missing", what=what), "issuer_error")
    return value


def receive_offer(link: str, *, holder: KeyPair, fetcher: Fetcher, tx_code: str | None = None,
                  ask_tx_code: Callable[[Mapping[str, Any]], str] | None = None, prefer: str = "ldp_vc",
                  now: Callable[[], datetime] = utcnow) -> Received:
    """Run the pre-authorized code flow of the offer ``link`` and return the credential the issuer delivered,
    bound (if the issuer honours the proof) to ``holder``'s key.

    ``tx_code``: the transaction code the learner received separately, when the offer asks for one; without
    it ``ask_tx_code`` is called with the offer's ``tx_code`` description (a prompt), else the flow stops with
    ``tx_code_required``. ``prefer``: the format to ask for when the offer allows both (``ldp_vc`` or
    ``jwt_vc_json``). Raises :class:`~omc_vc.errors.Oid4vciError` (the issuer's own error code when it refused).
    """
    if prefer not in FORMATS:
        raise ValueError(f"prefer must be one of {FORMATS}")
    http = _Http(fetcher)
    kind, value = parse_offer_link(link)
    # §4.1.3: by reference, the wallet GETs the offer (application/json)
    offer = http.get(_string(value, "credential_offer_uri"), Message("credential offer"), secret=True) \
        if kind == "credential_offer_uri" else value
    if not isinstance(offer, dict):
        raise _refused(Message("the credential offer is not a JSON object"))
    # §4.1.1: credential_issuer, credential_configuration_ids (non-empty, unique strings), grants
    issuer_id = _string(offer.get("credential_issuer"), Message("the offer's credential_issuer"))
    offered = offer.get("credential_configuration_ids")
    if not isinstance(offered, list) or not offered or not all(isinstance(c, str) for c in offered) \
            or len(set(offered)) != len(offered):
        raise _refused(Message("the offer's credential_configuration_ids is not a non-empty list of unique strings"))
    grants = offer.get("grants")
    grant = grants.get(PRE_AUTHORIZED_GRANT) if isinstance(grants, dict) else None
    if not isinstance(grant, dict):
        raise _refused(Message("the offer has no pre-authorized code grant (the only flow this wallet runs)"))
    code = _string(grant.get("pre-authorized_code"), Message("the offer's pre-authorized_code"))

    # §12.2.2: the metadata, whose credential_issuer must be the offer's, compared as strings
    metadata = http.get(_well_known(issuer_id, ISSUER_WELL_KNOWN), Message("credential issuer metadata"))
    if metadata.get("credential_issuer") != issuer_id:
        raise _refused(Message("the issuer's metadata names another credential issuer than the offer"), "issuer_error")
    configurations = metadata.get("credential_configurations_supported")
    if not isinstance(configurations, dict):
        raise _refused(Message("the issuer's metadata has no credential_configurations_supported"), "issuer_error")
    choices = [(config_id, configurations[config_id]) for config_id in offered
               if isinstance(configurations.get(config_id), dict)
               and configurations[config_id].get("format") in FORMATS]
    if not choices:
        raise _refused(Message("the offer has no credential this wallet can hold ({formats})",
                               formats=", ".join(FORMATS)), "unsupported_credential_format")
    choices.sort(key=lambda item: 0 if item[1].get("format") == prefer else 1)
    config_id, configuration = choices[0]

    # §12.2.4 authorization_servers (absent: the issuer is its own) and RFC 8414 metadata
    servers = metadata.get("authorization_servers")
    hinted = grant.get("authorization_server")
    if servers is None:
        server = issuer_id
    elif not isinstance(servers, list) or not servers or not all(isinstance(s, str) for s in servers):
        raise _refused(Message("the issuer's authorization_servers is malformed"), "issuer_error")
    elif hinted is not None:
        if hinted not in servers:  # §4.1.1: MUST NOT proceed
            raise _refused(Message("the offer names an authorization server the issuer does not list"))
        server = hinted
    elif len(servers) == 1:
        server = servers[0]
    else:
        raise _refused(Message("the issuer lists several authorization servers and the offer names none"))
    as_metadata = http.get(_well_known(server, AUTHORIZATION_SERVER_WELL_KNOWN),
                           Message("authorization server metadata"))
    if as_metadata.get("issuer") != server:  # RFC 8414 §3.3
        raise _refused(Message("the authorization server's metadata names another issuer"), "issuer_error")
    token_endpoint = _string(as_metadata.get("token_endpoint"), Message("the authorization server's token_endpoint"))

    # §6.1: the token request; tx_code when the offer has a tx_code object (even empty)
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    if "tx_code" in grant:
        if tx_code is None and ask_tx_code is not None:
            shape = grant["tx_code"] if isinstance(grant["tx_code"], dict) else {}
            tx_code = ask_tx_code(shape)
        if not tx_code:
            raise Oid4vciError(Message("this offer needs the transaction code your institution sent you separately"),
                               code="tx_code_required")
        form["tx_code"] = tx_code.strip()
    tokens = http.post(token_endpoint, Message("token endpoint"), form=form)
    access_token = _string(tokens.get("access_token"), Message("the token response's access_token"))
    if not isinstance(tokens.get("token_type"), str) or tokens["token_type"].lower() != "bearer":
        raise _refused(Message("the token is not a bearer token (DPoP is not supported by this wallet)"),
                       "issuer_error")

    # §7: a fresh c_nonce when the issuer has a nonce endpoint
    claims: dict[str, Any] = {"aud": issuer_id, "iat": int(now().timestamp())}
    nonce_endpoint = metadata.get("nonce_endpoint")
    if nonce_endpoint is not None:
        claims["nonce"] = _string(http.post(_string(nonce_endpoint, "nonce_endpoint"), Message("nonce endpoint"),
                                            body={}).get("c_nonce"), Message("the c_nonce"))
    supported = configuration.get("proof_types_supported")
    if isinstance(supported, dict) and "jwt" not in supported:
        raise _refused(Message("the issuer takes no jwt proof of possession for this credential"), "issuer_error")
    algs = supported["jwt"].get("proof_signing_alg_values_supported") \
        if isinstance(supported, dict) and isinstance(supported["jwt"], dict) else None
    if isinstance(algs, list) and holder.public_key.jws_alg not in algs:
        raise _refused(Message("the issuer takes no {alg} proof (the wallet's key)", alg=holder.public_key.jws_alg),
                       "issuer_error")
    # §F.1: typed, kid = the holder's DID URL, aud = the issuer, iat, nonce; no iss (anonymous access)
    proof = jose.sign_key_proof(claims, holder, typ=PROOF_TYP)

    # §8.2: one proof, the configuration by id; §8.3: credentials[0].credential
    answer = http.post(_string(metadata.get("credential_endpoint"), "credential_endpoint"),
                       Message("credential endpoint"),
                       body={"credential_configuration_id": config_id, "proofs": {"jwt": [proof]}}, token=access_token)
    delivered = answer.get("credentials")
    if not isinstance(delivered, list) or not delivered or not isinstance(delivered[0], dict):
        if "transaction_id" in answer:
            raise _refused(Message("the issuer deferred the credential; deferred issuance is not supported"),
                           "issuer_error")
        raise _refused(Message("the credential response has no credentials"), "issuer_error")
    credential = delivered[0].get("credential")
    fmt = str(configuration.get("format"))
    # Appendix A.1.1.4: a jwt_vc_json credential is a JWT string; A.1.2.4: an ldp_vc one a JSON object
    if fmt == "jwt_vc_json" and not (isinstance(credential, str) and jose.is_jwt(credential)):
        raise _refused(Message("the jwt_vc_json credential is not a JWT"), "issuer_error")
    if fmt == "ldp_vc" and not isinstance(credential, dict):
        raise _refused(Message("the ldp_vc credential is not a JSON object"), "issuer_error")
    assert isinstance(credential, dict | str)
    return Received(credential=credential, configuration_id=config_id, format=fmt, credential_issuer=issuer_id)


def bound_to(document: Mapping[str, Any]) -> list[str]:
    """The subject ids of a verified credential (its ``credentialSubject.id`` values): what a wallet compares
    with its holder DID to know the issuer bound the credential to the key it proved."""
    return subject_ids(dict(document))

