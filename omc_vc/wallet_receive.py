"""``omc wallet receive``: the learner's wallet redeems a credential offer, as a phone wallet does.

A link is handed to the first :class:`Receiver` whose ``matches`` accepts it (:data:`RECEIVERS`; a new
protocol is one more entry). Each receiver proves the wallet's holder key to the issuer and returns the
credentials it was given; :func:`receive` then verifies each with the wallet's verifier and stores it
(:meth:`~omc_vc.wallet.Wallet.add`), refusing one that was not issued to the holder that proved its key.

* **the DCC deep link** (the Learner Credential Wallet's ``https://lcw.app/request.html?issuer=...&
  auth_type=bearer&challenge=...&vc_request_url=...``, also as ``dccrequest://`` or ``org.dcconsortium://``):
  a presentation signed with the holder key (proofPurpose ``authentication``, the link's challenge, no
  domain) is POSTed to ``vc_request_url``; the answer is a credential or a presentation holding some;
* **a VC-API interaction URL** (W3C VCALM: an https URL with ``iuv``, or ``interaction:`` + that URL): GET it
  for ``{"protocols": {"vcapi": EXCHANGE}}``, POST ``{}`` to the exchange, answer its DIDAuthentication
  request with a presentation bound to its challenge and domain, and take the credentials from the
  ``verifiablePresentation`` that comes back (or offered at once);
* **an OpenID4VCI credential offer** (``openid-credential-offer://?credential_offer=...`` or
  ``...?credential_offer_uri=...``): the pre-authorized code flow of :mod:`omc_vc.wallet_oid4vci` (a token for
  the pre-authorized code and, when the offer asks, the transaction code of :class:`ReceiveOptions`; a ``jwt``
  proof of the holder key over the issuer's ``c_nonce``).

Network: only the URLs the link names, through the SSRF-safe :class:`~omc_vc._internal.fetch.Fetcher`
(https; plain http only on loopback when the fetcher allows it), with its timeout, no redirects and a size
cap on every answer. The exchange of an interaction URL must be on the same origin as the URL itself, and
the wallet signs only for its own origin (a domain naming another site would let a relay replay the
presentation there).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.jsonio import loads
from omc_vc._internal.timeutil import utcnow
from omc_vc.errors import InputError, OmcVcError, WalletError
from omc_vc.i18n import Message
from omc_vc.model import VC_V2_CONTEXT, as_list, subject_ids, types
from omc_vc.proofs import data_integrity
from omc_vc.verify import Verifier
from omc_vc.wallet import Wallet, WalletItem
from omc_vc.wallet_oid4vci import is_offer_link, parse_offer_link, receive_offer

__all__ = ["LCW_LINK_PREFIXES", "MAX_ANSWER_BYTES", "RECEIVERS", "ReceiveOptions", "Received", "Receiver",
           "find_receiver", "receive"]

#: the links LCW treats as its deep links (``LinkConfig.schemes`` in LCW's app.config.js)
LCW_LINK_PREFIXES: Final = ("https://lcw.app/request", "https://lcw.app/mobile", "dccrequest://",
                            "org.dcconsortium://")
INTERACTION_PREFIX: Final = "interaction:"
#: the largest answer read from an issuer (an OMC with endorsements stays well under it)
MAX_ANSWER_BYTES: Final = 2 * 1024 * 1024
#: how long the wallet's DIDAuthentication proof is valid (DI 1.0 §2.1 ``expires``)
PROOF_LIFETIME: Final = timedelta(minutes=5)
MAX_LINK_CHARS: Final = 8192


@dataclass(frozen=True)
class ReceiveOptions:
    """What the learner adds to a link: the transaction code an OpenID4VCI offer may ask for (given, or asked
    for by ``ask_tx_code`` with the offer's description of it), and the format to ask for when an issuer
    offers several (``ldp_vc`` or ``jwt_vc_json``)."""

    tx_code: str | None = field(default=None, repr=False)
    ask_tx_code: Callable[[Mapping[str, Any]], str] | None = None
    prefer: str = "ldp_vc"


@dataclass(frozen=True)
class Receiver:
    """One offer protocol: does this link belong to it, and the exchange that gets its credentials."""

    name: str
    matches: Callable[[str], bool]
    #: (wallet, link, fetcher, now, options) -> the credentials the issuer gave
    run: Callable[[Wallet, str, Fetcher, datetime, ReceiveOptions], list[dict[str, Any] | str]]


@dataclass
class Received:
    """What a link gave: the protocol, where from (the link without its secrets), and the items stored."""

    protocol: str
    origin: str
    items: list[tuple[WalletItem, bool]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "from": self.origin,
                "received": [{**item.summary(), "new": new, "verdict": item.verdict} for item, new in self.items]}


# --- plumbing --------------------------------------------------------------------------------------------

def _refuse(detail: str, code: str = "WALLET_RECEIVE_FAILED", **context: Any) -> WalletError:
    return WalletError(detail, code=code, **context)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _answer_json(url: str, content: bytes, status: int) -> Any:
    if status >= 400:
        answered = Message("{url} answered HTTP {status}", url=url, status=str(status))
        try:
            problem = loads(content, max_bytes=MAX_ANSWER_BYTES, what="problem details")
            if isinstance(problem, dict) and isinstance(problem.get("detail"), str):
                code = problem.get("code") if isinstance(problem.get("code"), str) else ""
                answered = Message("{url} answered HTTP {status}: {detail}", url=url, status=str(status),
                                   detail=(code + ": " if code else "") + problem["detail"][:300])
        except InputError:
            pass
        raise _refuse(answered, status=status)
    if not content.strip():
        return None
    try:
        return loads(content, max_bytes=MAX_ANSWER_BYTES, what=f"the answer of {url}")
    except InputError as exc:
        raise _refuse(Message("{url} answered something that is not JSON ({why})", url=url, why=exc.detail)) from exc


def _post(fetcher: Fetcher, url: str, body: Any) -> Any:
    """POST JSON to ``url`` under the fetcher's rules (SSRF checks, timeout, no redirects, size cap)."""
    answer = fetcher.post(url, json_body=body, max_bytes=MAX_ANSWER_BYTES)
    if 300 <= answer.status < 400:
        raise _refuse(Message("{url} answered a redirect (HTTP {status}); an exchange is never redirected", url=url,
                              status=str(answer.status)))
    return _answer_json(url, answer.content, answer.status)


def _get(fetcher: Fetcher, url: str) -> Any:
    answer = fetcher.get(url, max_bytes=MAX_ANSWER_BYTES)
    return _answer_json(url, answer.content, answer.status)


def _didauth(wallet: Wallet, *, challenge: str, domain: str | None, now: datetime) -> dict[str, Any]:
    """A DIDAuthentication presentation: no credentials, the wallet's holder DID, signed with its key
    (proofPurpose ``authentication`` bound to ``challenge`` and ``domain``: DI 1.0 §2.1)."""
    presentation = {"@context": [VC_V2_CONTEXT], "id": f"urn:uuid:{uuid.uuid4()}",
                    "type": ["VerifiablePresentation"], "holder": wallet.holder_did}
    return data_integrity.add_proof(presentation, wallet.holder_key, purpose="authentication", created=now,
                                    expires=now + PROOF_LIFETIME, challenge=challenge, domain=domain)


def _credentials_in(value: Any, where: str) -> list[dict[str, Any] | str]:
    """The credentials of an answer: a credential itself, or a presentation's ``verifiableCredential``
    (what LCW's extractCredentialsFrom takes)."""
    if isinstance(value, dict) and "VerifiablePresentation" in types(value):
        found = [c for c in as_list(value.get("verifiableCredential")) if isinstance(c, dict | str)]
        if found:
            return found
    elif isinstance(value, dict) and "VerifiableCredential" in types(value):
        return [value]
    elif isinstance(value, dict) and "EnvelopedVerifiableCredential" in types(value):
        return [value]
    raise _refuse(Message("{where} answered without a credential", where=where))


# --- the DCC deep link -----------------------------------------------------------------------------------

def _is_lcw_link(link: str) -> bool:
    if not link.startswith(LCW_LINK_PREFIXES):
        return False
    query = parse_qs(urlsplit(link).query)
    return "vc_request_url" in query and "issuer" in query


def _lcw_params(link: str) -> tuple[str, str]:
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    auth_type = query.get("auth_type", "code")
    # LCW's requestCredential: "bearer" is the one auth_type it supports (the challenge travels in the VP)
    if auth_type != "bearer":
        raise _refuse(Message("this link asks for auth_type {auth_type}; only 'bearer' is supported (as in LCW)",
                              auth_type=repr(auth_type)), code="WALLET_LINK_UNSUPPORTED")
    challenge = query.get("challenge")
    if not challenge:
        raise _refuse(Message("this link carries no challenge to sign"), code="WALLET_LINK_UNSUPPORTED")
    return query["vc_request_url"], challenge


def _run_lcw(wallet: Wallet, link: str, fetcher: Fetcher, now: datetime,
             options: ReceiveOptions) -> list[dict[str, Any] | str]:
    url, challenge = _lcw_params(link)
    answer = _post(fetcher, url, _didauth(wallet, challenge=challenge, domain=None, now=now))
    return _credentials_in(answer, url)


# --- the VC-API exchange -------------------------------------------------------------------------------

def _interaction_url(link: str) -> str:
    return link[len(INTERACTION_PREFIX):] if link.startswith(INTERACTION_PREFIX) else link


def _is_interaction(link: str) -> bool:
    if link.startswith(INTERACTION_PREFIX):
        return True
    parts = urlsplit(link)
    return parts.scheme in ("https", "http") and "iuv" in parse_qs(parts.query, keep_blank_values=True)


def _run_vcapi(wallet: Wallet, link: str, fetcher: Fetcher, now: datetime,
               options: ReceiveOptions) -> list[dict[str, Any] | str]:
    url = _interaction_url(link)
    answer = _get(fetcher, url)
    protocols = answer.get("protocols") if isinstance(answer, dict) else None
    exchange = protocols.get("vcapi") if isinstance(protocols, dict) else None
    if not isinstance(exchange, str):
        raise _refuse(Message("{url} offers no VC-API exchange (protocols.vcapi)", url=url),
                      code="WALLET_LINK_UNSUPPORTED")
    # the one place the link sends us: the exchange lives where the link does
    if _origin(exchange) != _origin(url):
        raise _refuse(Message("{url} sends its exchange to another site ({origin})", url=url, origin=_origin(exchange)))
    message = _post(fetcher, exchange, {})
    if isinstance(message, dict) and "verifiablePresentation" in message:  # an offer, given at once
        return _credentials_in(message["verifiablePresentation"], exchange)
    request = message.get("verifiablePresentationRequest") if isinstance(message, dict) else None
    if not isinstance(request, dict):
        raise _refuse(Message("{exchange} answered neither a presentation request nor an offer", exchange=exchange))
    queries = [q for q in as_list(request.get("query")) if isinstance(q, dict)]
    if [q.get("type") for q in queries] != ["DIDAuthentication"]:
        asked = ", ".join(str(q.get("type")) for q in queries) or Message("nothing")
        raise _refuse(Message("{exchange} asks for more than proof of this wallet's DID ({asked}); not supported",
                              exchange=exchange, asked=asked), code="WALLET_LINK_UNSUPPORTED")
    challenge, domain = request.get("challenge"), request.get("domain")
    if not isinstance(challenge, str) or not challenge or not isinstance(domain, str):
        raise _refuse(Message("{exchange} asked for DID authentication without a challenge and a domain",
                              exchange=exchange))
    # sign for this site only: a presentation for another domain could be replayed there
    if domain.rstrip("/") != _origin(exchange):
        raise _refuse(Message("{exchange} asked for a presentation to {domain}, not to itself ({origin})",
                              exchange=exchange, domain=repr(domain), origin=_origin(exchange)))
    answer = _post(fetcher, exchange, {"verifiablePresentation": _didauth(wallet, challenge=challenge,
                                                                          domain=domain, now=now)})
    if not isinstance(answer, dict) or "verifiablePresentation" not in answer:
        raise _refuse(Message("{exchange} answered without a presentation of the credential", exchange=exchange))
    return _credentials_in(answer["verifiablePresentation"], exchange)


# --- OpenID4VCI ------------------------------------------------------------------------------------------

def _run_oid4vci(wallet: Wallet, link: str, fetcher: Fetcher, now: datetime,
                 options: ReceiveOptions) -> list[dict[str, Any] | str]:
    received = receive_offer(link, holder=wallet.holder_key, fetcher=fetcher, tx_code=options.tx_code,
                             ask_tx_code=options.ask_tx_code, prefer=options.prefer, now=lambda: now)
    return [received.credential]


#: The protocols ``omc wallet receive`` speaks, tried in order.
RECEIVERS: list[Receiver] = [
    Receiver("lcw", _is_lcw_link, _run_lcw),
    Receiver("vcapi", _is_interaction, _run_vcapi),
    Receiver("oid4vci", is_offer_link, _run_oid4vci),
]


def find_receiver(link: str) -> Receiver:
    """The receiver of ``link`` (WalletError WALLET_LINK_UNSUPPORTED when none takes it)."""
    for receiver in RECEIVERS:
        if receiver.matches(link):
            return receiver
    raise _refuse(Message("this is not a credential offer link this wallet knows (an LCW deep link, a VC-API "
                          "interaction URL, an OpenID4VCI openid-credential-offer:// link)"),
                  code="WALLET_LINK_UNSUPPORTED")


def _public_origin(link: str) -> str:
    """Where a link leads, without its secrets (what the wallet records as a credential's source)."""
    if _is_lcw_link(link):
        return _origin(parse_qs(urlsplit(link).query)["vc_request_url"][0])
    if is_offer_link(link):
        kind, value = parse_offer_link(link)
        issuer = value if kind == "credential_offer_uri" else \
            value.get("credential_issuer") if isinstance(value, dict) else None
        return _origin(issuer) if isinstance(issuer, str) and "://" in issuer else "?"
    target = _interaction_url(link)
    return _origin(target) if "://" in target else "?"


def _hidden(detail: str, secret: str) -> str:
    """``detail`` with every ``secret`` in it replaced by an ellipsis; one of our messages stays one (the secret
    is taken out of its parameters), so it is still shown in the reader's language."""
    if type(detail) is Message:
        params = {k: _hidden(v, secret) if isinstance(v, str) and secret in v else v for k, v in detail.params.items()}
        shown = Message(detail.msgid, **params)
        if secret not in shown:
            return shown
    return detail.replace(secret, "…")


def receive(wallet: Wallet, link: str, *, fetcher: Fetcher, verifier: Verifier,
            now: datetime | None = None, options: ReceiveOptions | None = None) -> Received:
    """Redeem the offer ``link`` with the wallet's holder key; verify and store what it gives."""
    link = link.strip()
    if len(link) > MAX_LINK_CHARS:
        raise InputError(Message("the link is longer than {limit} characters", limit=MAX_LINK_CHARS))
    receiver = find_receiver(link)
    moment = now or utcnow()
    try:
        credentials = receiver.run(wallet, link, fetcher, moment, options or ReceiveOptions())
    except OmcVcError as exc:
        # a VC-API link carries its secret as its path's last part: no message names it (the CLI prints them)
        secret = urlsplit(_interaction_url(link)).path.rsplit("/", 1)[-1]
        if len(secret) >= 16 and secret in exc.detail:
            exc.detail = _hidden(exc.detail, secret)
            exc.args = (exc.detail,)
        raise
    received = Received(receiver.name, _public_origin(link))
    for credential in credentials:
        item, new = wallet.add(credential, verifier=verifier, source=f"offer {received.origin}", now=moment)
        # the issuer must have issued it to the DID this wallet just proved (credentialSubject.id)
        if wallet.holder_did not in subject_ids(item.document):
            if new:
                wallet.remove(item.id)
            about = (subject_ids(item.document) or [Message("nobody")])[0]
            raise _refuse(Message("the issuer gave a credential about {subject}, not this wallet's holder {holder}: "
                                  "not stored", subject=about, holder=wallet.holder_did), code="HOLDER_NOT_SUBJECT")
        received.items.append((item, new))
    return received
