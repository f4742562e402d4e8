"""The institutions one ``omc serve`` issues for: each a :class:`Tenant` with its own keys, bearer token,
issuance store (and so its own credentials, status lists, offers and records) and status-list folder.

The service's configuration names one institution (``institution:``, the tenant named ``""``, its lists
under ``/status/``) or several (``institutions: {name: ...}``, each tenant's lists under
``/status/NAME/`` unless its own ``status.base_url`` says otherwise).

A request to the issuing routes names its institution by its bearer token alone (:func:`tenant_for`): a
token is compared (in constant time) with every tenant's, and the one it matches is the only institution
the request can act for. Issuing signs only with that tenant's keys (another institution's DID is
UNKNOWN_ISSUER), a status change or a read finds only credentials in that tenant's store (another
institution's credential is NOT_FOUND, exactly as an unknown one), so a token of one institution can
neither issue, revoke nor read for another.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from omc_vc.errors import ConfigError
from omc_vc.i18n import Message
from omc_vc.issue.config import InstitutionConfig
from omc_vc.issue.issuer import Issuer
from omc_vc.issue.stores import open_store

from . import vcapi

if TYPE_CHECKING:
    from omc_vc.keys import KeyPair

    from .config import WebConfig

__all__ = ["Tenant", "close_tenants", "open_tenants", "tenant_for"]


@dataclass
class Tenant:
    """One institution of the service: its name ("" for the only one), configuration, issuer and token."""

    name: str
    config: InstitutionConfig
    issuer: Issuer
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.issuing = vcapi.IssuingApi(self.issuer)

    def status_path(self, name: str) -> str | None:
        """The part of ``/status/{name}`` that names one of this tenant's lists (None: not its folder)."""
        if not self.name:
            return name
        prefix = f"{self.name}/"
        return name[len(prefix):] if name.startswith(prefix) else None


def open_tenants(config: WebConfig, *, base_url: str, keys: list[KeyPair] | None = None,
                 api_token: str | None = None) -> dict[str, Tenant]:
    """Every institution's tenant, each over its own store (:func:`omc_vc.issue.stores.open_store`).

    ``keys`` and ``api_token`` (a caller that holds them already, as the tests do) stand for those of the one
    institution of ``institution:``; with ``institutions:`` each tenant loads its own. An institution
    without keys does not issue (it has no tenant).
    """
    from .app import load_institution_keys  # the key rules of omc serve (demo keys only in demo mode)

    institutions = config.all_institutions()
    if (keys is not None or api_token is not None) and set(institutions) - {""}:
        raise ConfigError(Message("keys and a token given to the service stand for one institution, not institutions:"))
    tenants: dict[str, Tenant] = {}
    try:
        for name, inst in institutions.items():
            pairs = keys if keys is not None else load_institution_keys(inst, demo=config.demo)
            if not pairs:
                continue
            token = api_token if api_token is not None else (os.environ.get(inst.token_env) or None)
            # lists the file gives no status.base_url live under this service's /status/ (or /status/NAME/)
            folder = f"{base_url}/status/{name}/" if name else f"{base_url}/status/"
            inst = inst.with_status_base(folder)
            issuer = Issuer(config=inst, key=pairs[0], extra_keys=pairs[1:], store=open_store(inst))
            tenants[name] = Tenant(name, inst, issuer, token)
        tokens = [t.token for t in tenants.values() if t.token]
        if len(tokens) != len(set(tokens)):
            raise ConfigError(Message("two institutions of this service have the same bearer token: a token must "
                                      "name one institution"))
    except BaseException:
        close_tenants(tenants)
        raise
    return tenants


def close_tenants(tenants: dict[str, Tenant]) -> None:
    for tenant in tenants.values():
        tenant.issuer.store.close()


def tenant_for(tenants: dict[str, Tenant], authorization: str) -> Tenant:
    """The tenant whose bearer token the ``Authorization`` header carries; ApiError 403 when this service
    issues for no one (or no token is configured), 401 for a missing or unknown token."""
    if not tenants:
        raise vcapi.ApiError(Message("this service does not issue credentials"), status=403, code="ISSUING_DISABLED")
    if not any(t.token for t in tenants.values()):
        raise vcapi.ApiError(Message("no API token is configured for issuing"), status=403, code="ISSUING_DISABLED")
    scheme, _, given = authorization.partition(" ")
    presented = given.strip().encode()
    found: Tenant | None = None
    for tenant in tenants.values():  # every token compared, in constant time each: no early exit
        if tenant.token and hmac.compare_digest(presented, tenant.token.encode()) and scheme.lower() == "bearer":
            found = tenant
    if found is None:
        raise vcapi.ApiError(Message("a valid bearer token is required"), status=401, code="UNAUTHORIZED")
    return found
