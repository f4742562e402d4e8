"""OpenID4VCI 1.0's HTTP endpoints (pre-authorized code flow); the logic is :mod:`omc_vc.issue.oid4vci`.

These routes only read requests and write answers: the metadata documents, the offer by reference, and the
token (a form body, RFC 6749 §4.1.3), nonce and credential (JSON, bearer token) endpoints. Refusals are
answered in the OAuth shape ``{"error", "error_description"}`` (RFC 6749 §5.2, RFC 6750 §3, OpenID4VCI 1.0
§8.3.1), never as a traceback; ``Cache-Control: no-store`` on everything that carries a secret (§6.2, §7.2).

They exist only when the service hosts credential offers (an institution configuration with an ``offers``
section, as for the LCW and VC-API exchanges of :mod:`omc_vc.web.exchanges`); the credential issuer identifier
is ``offers.public_url``. A service for several institutions is one credential issuer per distinct
``public_url`` (:class:`~omc_vc.issue.oid4vci.CredentialIssuer`): each request is answered by the institution
whose store holds its code or token. The request size caps of :mod:`omc_vc.web.limits` apply as everywhere (and a
credential request is capped at :data:`MAX_REQUEST_BYTES`); the nonce endpoint, which anyone may call, is also
rate-limited per client address.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from omc_vc._internal.jsonio import loads
from omc_vc.errors import InputError, Oid4vciError, OmcVcError
from omc_vc.i18n import Message
from omc_vc.issue import oid4vci
from omc_vc.issue.issuer import Issuer
from omc_vc.issue.offers import OfferStore

from .exchanges import BUSY_CODES, tenant_exchanges
from .limits import RateLimiter

if TYPE_CHECKING:
    from .app import Service

__all__ = ["credential_issuers", "oid4vci_routes"]

log = logging.getLogger("omc_vc.web")
NO_STORE: Final = {"Cache-Control": "no-store"}
#: RFC 6749 §4.1.3: the token request is application/x-www-form-urlencoded
FORM: Final = "application/x-www-form-urlencoded"
#: a token request has a handful of parameters; more is not a wallet
MAX_FORM_FIELDS: Final = 32
#: a credential request is a configuration id and one proof (itself capped by jose.MAX_KEY_PROOF_BYTES)
MAX_REQUEST_BYTES: Final = 64 * 1024
#: nonce requests per client address: a burst, then this many a minute
NONCE_BURST: Final = 20
NONCE_PER_MINUTE: Final = 30
# §8.3.1.2: error_description is ASCII %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash)
_NOT_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def _error(status: int, error: str, description: str) -> JSONResponse:
    headers = dict(NO_STORE)
    if status == 401:
        # RFC 6750 §3: the challenge names the error (its value is one of RFC 6750's codes: no quoting issue)
        headers["WWW-Authenticate"] = f'Bearer error="{error}"'
    body = {"error": error, "error_description": _NOT_DESCRIPTION.sub("?", description)[:500]}
    return JSONResponse(body, status_code=status, headers=headers)


def _answer(exc: Exception, route: str) -> JSONResponse:
    if isinstance(exc, Oid4vciError):
        return _error(exc.status, exc.code, exc.detail)
    if isinstance(exc, OmcVcError) and exc.code in BUSY_CODES:
        return _error(503, "temporarily_unavailable", exc.detail)
    if isinstance(exc, OmcVcError):
        return _error(400, "invalid_request", exc.detail)
    log.error("internal error in %s: %s", route, type(exc).__name__)  # by type only: never request content
    return _error(500, "server_error", "internal error")


def credential_issuers(service: Service) -> list[oid4vci.CredentialIssuer]:
    """The service's credential issuers: one per distinct ``offers.public_url`` among the institutions that make
    offers (:func:`.exchanges.tenant_exchanges`), each over the institutions that share it (usually all of
    them: one service, one address). Empty when the service hosts no offers."""
    groups: dict[str, list[tuple[Issuer, OfferStore]]] = {}
    for exchanges in tenant_exchanges(service).values():
        groups.setdefault(exchanges.public_url, []).append((exchanges.issuer, exchanges.offers))
    return [oid4vci.CredentialIssuer(base_url, members) for base_url, members in groups.items()]


def _chosen(issuers: list[oid4vci.CredentialIssuer], request: Request) -> oid4vci.CredentialIssuer:
    """The credential issuer a request is for: the one whose address has the request's host (its metadata
    named these endpoints), or the only one."""
    if len(issuers) > 1:
        host = request.headers.get("host", "").lower()
        for issuer in issuers:
            if urlsplit(issuer.base_url).netloc.lower() == host:
                return issuer
    return issuers[0]


Endpoint = Callable[[Request], Awaitable[Response]]


def _guarded(work: Endpoint, route: str) -> Endpoint:
    """``work`` with every exception answered (:func:`_answer`); logged under ``route``, never the URL (the
    offer-by-reference URL holds a pre-authorized code)."""
    async def endpoint(request: Request) -> Response:
        try:
            return await work(request)
        except Exception as exc:
            return _answer(exc, route)

    return endpoint


async def _run(request: Request, work: Callable[..., Any], *args: Any) -> Any:
    """The work on the service's pool, under its deadline (store writes and signing block)."""
    service: Service = request.app.state.service
    return await service.run(work, *args)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def oid4vci_routes(service: Service) -> list[Route]:
    """The OpenID4VCI routes for ``create_app`` (none when the service hosts no offers)."""
    issuers = credential_issuers(service)
    if not issuers:
        return []
    limiter = RateLimiter(per_minute=NONCE_PER_MINUTE, burst=NONCE_BURST)

    async def issuer_metadata(request: Request) -> Response:
        # §12.2.2: unsigned metadata, application/json
        return JSONResponse(_chosen(issuers, request).metadata(), headers={"Cache-Control": "no-cache"})

    async def authorization_server_metadata(request: Request) -> Response:
        return JSONResponse(oid4vci.authorization_server_metadata(_chosen(issuers, request).base_url),
                            headers={"Cache-Control": "no-cache"})

    async def credential_offer(request: Request) -> Response:
        # §4.1.3: the offer object, application/json
        flow = _chosen(issuers, request)
        return JSONResponse(await _run(request, flow.offer, request.path_params["code"]), headers=NO_STORE)

    async def token(request: Request) -> Response:
        if _media_type(request) != FORM:
            raise Oid4vciError(Message("the token request must be {form} (RFC 6749 §4.1.3)", form=FORM))
        try:
            text = (await request.body()).decode("utf-8")
            pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Oid4vciError(Message("the token request is not a readable form")) from exc
        return JSONResponse(await _run(request, _chosen(issuers, request).token, pairs), headers=NO_STORE)

    async def nonce(request: Request) -> Response:
        client = request.client.host if request.client is not None else "unknown"
        if not limiter.allow(client):
            raise Oid4vciError(Message("too many nonce requests from this address; try again in a minute"),
                               code="slow_down", status=429)
        return JSONResponse(await _run(request, _chosen(issuers, request).nonce), headers=NO_STORE)

    async def credential(request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        # RFC 6750 §2.1: Authorization: Bearer <token> (the scheme is case-insensitive)
        access_token = value.strip() if scheme.lower() == "bearer" and value.strip() else None
        body: Any = None
        if access_token is not None:  # without a token, that is the first thing to say (RFC 6750 §3.1)
            # §8.2: an unencrypted credential request is application/json
            if _media_type(request) != "application/json":
                raise Oid4vciError(Message("the credential request must be application/json"),
                                   code="invalid_credential_request")
            try:
                body = loads(await request.body(), max_bytes=MAX_REQUEST_BYTES, what="the credential request")
            except InputError as exc:
                raise Oid4vciError(exc.detail, code="invalid_credential_request") from exc
        flow = _chosen(issuers, request)
        return JSONResponse(await _run(request, flow.credential, access_token, body), headers=NO_STORE)

    return [
        Route(oid4vci.ISSUER_WELL_KNOWN, _guarded(issuer_metadata, "issuer metadata"), methods=["GET"]),
        Route(oid4vci.AUTHORIZATION_SERVER_WELL_KNOWN, _guarded(authorization_server_metadata, "AS metadata"),
              methods=["GET"]),
        Route(oid4vci.OFFER_PATH + "{code}", _guarded(credential_offer, "credential offer"), methods=["GET"]),
        Route(oid4vci.TOKEN_PATH, _guarded(token, "token"), methods=["POST"]),
        Route(oid4vci.NONCE_PATH, _guarded(nonce, "nonce"), methods=["POST"]),
        Route(oid4vci.CREDENTIAL_PATH, _guarded(credential, "credential"), methods=["POST"]),
    ]
