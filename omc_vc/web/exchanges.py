"""The offer endpoints of ``omc serve``: HTTP only; the logic is :class:`omc_vc.issue.exchanges.WalletExchanges`.

Hosted when the institution configuration has an ``offers`` section and the service issues (it holds the
institution's key):

* ``POST /exchanges/{offer}/lcw``: the DCC deep link's ``vc_request_url`` (LCW POSTs its DIDAuthentication
  presentation; the answer is the signed credential);
* ``GET /exchanges/{offer}/vcapi/{secret}`` (the interaction URL, ``?iuv=1``): ``{"protocols": {"vcapi": ...}}``;
* ``POST /exchanges/{offer}/vcapi/{secret}``: the VC-API exchange (``{}``, then the signed presentation).

Bodies are capped at :data:`~omc_vc.issue.exchanges.MAX_EXCHANGE_BYTES` (413 past it), answers are never
cached, refusals are RFC 9457 problem details with the status :func:`~omc_vc.issue.exchanges.http_status`
names, and nothing a wallet sends is logged.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from omc_vc._internal.jsonio import loads
from omc_vc.errors import InputError, OfferError, OmcVcError, problem_type
from omc_vc.i18n import Message
from omc_vc.issue.exchanges import MAX_EXCHANGE_BYTES, WalletExchanges, http_status
from omc_vc.issue.stores import offer_store

if TYPE_CHECKING:
    from .app import Service

__all__ = ["exchange_routes", "tenant_exchanges", "wallet_exchanges"]

log = logging.getLogger("omc_vc.web")
_NO_STORE = {"Cache-Control": "no-store"}
#: The codes of the service's own refusals to take more work (its pool is full, or the work ran past the deadline).
BUSY_CODES = frozenset({"SERVICE_BUSY", "VERIFICATION_TIMEOUT"})


def tenant_exchanges(service: Service) -> dict[str, WalletExchanges]:
    """The offer logic of each institution of the service that makes offers (an ``offers`` section), by name."""
    found: dict[str, WalletExchanges] = {}
    for name, tenant in service.tenants.items():
        offers = offer_store(tenant.issuer.store)
        if tenant.config.offers is None or offers is None:
            continue
        found[name] = WalletExchanges(issuer=tenant.issuer, offers=offers, public_url=tenant.config.offers.public_url)
    return found


def wallet_exchanges(service: Service) -> WalletExchanges | None:
    """The offer logic of the service's one institution (``institution:``), or None when it hosts no offers."""
    return tenant_exchanges(service).get("")


class _ByOffer:
    """The exchanges of several institutions behind one set of routes: an offer id (128 random bits) belongs
    to the one institution whose store holds it, and only that institution's issuer and store redeem it."""

    def __init__(self, by_name: dict[str, WalletExchanges]) -> None:
        self._all = list(by_name.values())

    def __call__(self, offer_id: str) -> WalletExchanges:
        if len(self._all) == 1:
            return self._all[0]
        for exchanges in self._all:
            if exchanges.offers.offer(offer_id) is not None:
                return exchanges
        return self._all[0]  # nobody's: its refusal (no such offer) is the same from any institution


def exchange_routes(service: Service) -> list[Route]:
    """The offer routes for ``create_app`` (none when the service hosts no offers)."""
    by_name = tenant_exchanges(service)
    if not by_name:
        return []
    owner = _ByOffer(by_name)

    async def lcw(request: Request) -> Response:
        async def work() -> Any:
            body = await _body(request)
            offer_id = request.path_params["offer_id"]
            return await service.run(lambda: owner(offer_id).lcw_request(offer_id, body))
        return await _answer(work, request)

    async def interaction(request: Request) -> Response:
        async def work() -> Any:
            offer_id, secret = request.path_params["offer_id"], request.path_params["secret"]
            return await service.run(lambda: owner(offer_id).interaction(offer_id, secret))
        return await _answer(work, request)

    async def exchange(request: Request) -> Response:
        async def work() -> Any:
            body = await _body(request)
            offer_id, secret = request.path_params["offer_id"], request.path_params["secret"]
            return await service.run(lambda: owner(offer_id).exchange(offer_id, secret, body))
        return await _answer(work, request)

    return [
        Route("/exchanges/{offer_id}/lcw", lcw, methods=["POST"]),
        Route("/exchanges/{offer_id}/vcapi/{secret}", interaction, methods=["GET"]),
        Route("/exchanges/{offer_id}/vcapi/{secret}", exchange, methods=["POST"]),
    ]


async def _body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_EXCHANGE_BYTES:
        raise OfferError(Message("the request is {size} bytes, over the exchange's {limit}-byte limit",
                                 size=len(raw), limit=MAX_EXCHANGE_BYTES),
                         code="SIZE_LIMIT_EXCEEDED", status=413)
    if not raw.strip():
        return {}
    try:
        return loads(raw, max_bytes=MAX_EXCHANGE_BYTES, what="the request body")
    except InputError as exc:
        raise OfferError(exc.detail, code=exc.code, status=400) from exc


async def _answer(work: Any, request: Request) -> Response:
    try:
        return JSONResponse(await work(), headers=_NO_STORE)
    except OfferError as exc:
        return _problem(http_status(exc), exc.code, exc.title, exc.detail)
    except OmcVcError as exc:
        if exc.code in BUSY_CODES:  # the service's pool is full, or the work ran past its deadline: try again
            return _problem(503, exc.code, exc.title, exc.detail)
        return _problem(400, exc.code, exc.title, exc.detail)
    except Exception as exc:  # never a traceback, never the request's content in the log
        log.error("internal error in %s: %s", request.url.path.split("/vcapi/")[0], type(exc).__name__)
        return _problem(500, "INTERNAL_ERROR", "Internal error", "internal error")


def _problem(status: int, code: str, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"type": problem_type(code), "code": code, "title": title, "detail": detail},
                        status_code=status, media_type="application/problem+json", headers=_NO_STORE)
