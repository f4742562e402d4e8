"""The ministry's registry in the forms DCC's verifiers read, published from the one signed registry.

DCC's verifier-core (VerifierPlus, the Learner Credential Wallet) asks each of its ``knownDIDRegistries``
whether a credential's issuer DID is listed, and shows the registry's name. It reads two forms
(``@digitalcredentials/issuer-registry-client``):

``oidf``
    an OpenID Federation 1.0 trust anchor, as DCC's ``dcc-members-oidf`` publishes one: the entity
    configuration at ``/.well-known/openid-federation`` (§3, §9: an ES256 JWT typed
    ``entity-statement+jwt``, ``iss == sub``, ``jwks``, ``metadata.federation_entity`` naming the
    ministry and its ``federation_fetch_endpoint`` / ``federation_list_endpoint``), a subordinate
    statement per listed issuer DID from ``/fetch?sub=<DID>`` (§8.1: ``iss`` the anchor, ``sub`` the
    DID, ``metadata.federation_entity`` with the institution's name, homepage and logo,
    ``metadata.institution_additional_information.legal_name``), 404 for any other DID, and the list of
    DIDs at ``/subordinate_listing`` (§8.2). verifier-core shows the entity configuration's
    ``organization_name`` as the registry's name.
``dcc-legacy``
    one JSON file ``{"meta": {...}, "registry": {"<DID>": {"name", "location", "url"}}}``.

Both say only "this DID is listed now". Which DIDs: :func:`authorized_now`, from the signed list with
the functions the verdict uses (:meth:`~omc_vc.registry.Institution.window_for`,
:meth:`~omc_vc.registry.Consent.status_at`, :meth:`~omc_vc.registry.RegistryData.partners_of`), so a
suspended or revoked institution, or a retired DID, is gone from the next publication. The federation's
statements are signed by its own P-256 key, which the signed registry names
(:class:`~omc_vc.registry.Federation`); :func:`check_federation` compares a live federation with the
registry, difference by difference.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from omc_vc._internal import atomic
from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.jsonio import loads
from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.errors import FetchError, InputError, JwtError, RegistryError
from omc_vc.i18n import Message
from omc_vc.keys import KeyPair
from omc_vc.proofs.jose import sign_typed_jwt, verify_typed_jwt
from omc_vc.registry import Federation, Institution, RegistryData, jwk_thumbprint

__all__ = [
    "DEFAULT_STATEMENT_LIFETIME",
    "ENTITY_CONFIGURATION_FILE",
    "ENTITY_STATEMENT_MEDIA_TYPE",
    "ENTITY_STATEMENT_TYP",
    "LEGACY_FILE",
    "LISTING_FILE",
    "STATEMENTS_DIR",
    "PublishedForms",
    "authorized_now",
    "build_forms",
    "check_federation",
    "dcc_registry_entries",
    "entity_configuration_claims",
    "forms_summary",
    "legacy_registry",
    "statement_file",
    "subordinate_claims",
    "write_forms",
]

#: OpenID Federation 1.0 §3.1: the JWT type and media type of an entity statement.
ENTITY_STATEMENT_TYP: Final = "entity-statement+jwt"
ENTITY_STATEMENT_MEDIA_TYPE: Final = "application/entity-statement+jwt"
#: How long a published statement is valid (DCC's anchor signs for one day); never past the registry's validUntil.
DEFAULT_STATEMENT_LIFETIME: Final = timedelta(hours=24)
#: Where ``omc registry publish`` writes each form in its output folder (``omc serve`` hosts them from there).
ENTITY_CONFIGURATION_FILE: Final = ".well-known/openid-federation"
LISTING_FILE: Final = "federation/subordinate_listing.json"
STATEMENTS_DIR: Final = "federation/fetch"
LEGACY_FILE: Final = "dcc-legacy-registry.json"
#: Where Ontario's institutions are, for the legacy form's required ``location`` when the list gives none.
DEFAULT_LOCATION: Final = "Ontario, Canada"
_MAX_STATEMENT_BYTES: Final = 64 * 1024
_MAX_LISTING_BYTES: Final = 2_000_000
_CLOCK_SKEW: Final = timedelta(minutes=5)


def _err(code: str, detail: str) -> RegistryError:
    return RegistryError(detail, code=code)


# --- which DIDs are listed ---------------------------------------------------------------------------

def authorized_now(data: RegistryData, moment: datetime) -> list[tuple[str, Institution]]:
    """Each issuer DID an OMC may carry at ``moment``, with its institution, in list order.

    A DID is listed when it is in its validity window and its institution's consent is ``active``
    (the verdict's issuer-authorized step 1 and 2 at ``moment``); a private career college also needs a
    current partnership with a consent-holding partner (the verdict's partnership check), though the
    other forms cannot say that its OMCs must carry the partner's endorsement.
    """
    listed: list[tuple[str, Institution]] = []
    for item in data.institutions:
        if item.consent.status_at(moment) != "active" or "OMC" not in item.consent.scope:
            continue
        if item.is_private_career_college and not any(
                partner.consent.status_at(moment) == "active" for _, partner in data.partners_of(item, moment)):
            continue
        listed.extend((window.did, item) for window in item.dids if item.window_for(window.did, moment) is not None)
    return listed


# --- the DCC legacy file -----------------------------------------------------------------------------

def legacy_registry(data: RegistryData, moment: datetime, *, updated: datetime | None = None) -> dict[str, Any]:
    """The ``dcc-legacy`` file: ``{"meta": {created, updated}, "registry": {DID: {name, location, url}}}``."""
    registry = {did: {"name": item.legal_name, "location": item.location or DEFAULT_LOCATION,
                      "url": item.homepage or ""}
                for did, item in authorized_now(data, moment)}
    stamp = format_datetime(updated or moment)
    return {"meta": {"created": stamp, "updated": stamp, "source": data.id, "version": data.version},
            "registry": registry}


# --- the OpenID Federation trust anchor --------------------------------------------------------------

def _federation(data: RegistryData) -> Federation:
    if data.federation is None:
        raise _err("REGISTRY_NO_FEDERATION", Message("the registry names no federation (omc registry set-federation)"))
    return data.federation


def _jti() -> str:
    return secrets.token_urlsafe(12)


def entity_configuration_claims(federation: Federation, iat: int, exp: int) -> dict[str, Any]:
    """OpenID Federation 1.0 §3 and §5.1.1: the trust anchor's entity configuration (``iss == sub``)."""
    entity = {"organization_name": federation.organization_name, "homepage_uri": federation.homepage_uri,
              "policy_uri": federation.policy_uri,
              "federation_fetch_endpoint": f"{federation.entity_id}/fetch",
              "federation_list_endpoint": f"{federation.entity_id}/subordinate_listing"}
    if federation.logo_uri:
        entity["logo_uri"] = federation.logo_uri
    metadata: dict[str, Any] = {"federation_entity": entity}
    if federation.legal_name:
        metadata["institution_additional_information"] = {"legal_name": federation.legal_name}
    return {"iss": federation.entity_id, "sub": federation.entity_id, "iat": iat, "exp": exp, "jti": _jti(),
            "jwks": {"keys": federation.jwks()}, "metadata": metadata}


def subordinate_claims(federation: Federation, did: str, item: Institution, iat: int, exp: int) -> dict[str, Any]:
    """OpenID Federation 1.0 §3 and §8.1.1, in DCC's shape: the statement the fetch endpoint gives for ``did``."""
    entity = {"organization_name": item.legal_name}
    if item.homepage:
        entity["homepage_uri"] = item.homepage
    if item.logo:
        entity["logo_uri"] = item.logo
    return {"iss": federation.entity_id, "sub": did, "iat": iat, "exp": exp, "jti": _jti(),
            "metadata": {"federation_entity": entity,
                         "institution_additional_information": {"legal_name": item.legal_name}}}


@dataclass(frozen=True)
class PublishedForms:
    """Every form of one registry publication."""

    entity_configuration: str | None
    statements: dict[str, str]
    listing: list[str]
    legacy: dict[str, Any]


def build_forms(data: RegistryData, federation_key: KeyPair | None, *, now: datetime | None = None,
                valid_for: timedelta = DEFAULT_STATEMENT_LIFETIME,
                not_after: datetime | None = None) -> PublishedForms:
    """The federation's statements (when the registry names a federation) and the legacy file.

    The statements are valid for ``valid_for`` and never past ``not_after`` (the registry's validUntil):
    the federation is re-signed at each publication, so what it says never outlives the list it copies.
    """
    moment = (now or utcnow()).replace(microsecond=0)
    listed = authorized_now(data, moment)
    legacy = legacy_registry(data, moment)
    if data.federation is None:
        return PublishedForms(None, {}, [], legacy)
    federation = data.federation
    if federation_key is None:
        raise _err("REGISTRY_FEDERATION_KEY", Message("the registry names a federation: its key is needed to sign "
                                                      "the federation's statements (--federation-key)"))
    kid = jwk_thumbprint(federation_key.public_key)
    if kid not in federation.key_ids():
        raise _err("REGISTRY_FEDERATION_KEY", Message("the federation key {kid} is not one the registry names for its "
                                                      "federation: a verifier of the registry would refuse every "
                                                      "statement it signs", kid=kid))
    end = moment + valid_for
    if not_after is not None and not_after < end:
        end = not_after
    iat, exp = int(moment.timestamp()), int(end.timestamp())
    if exp <= iat:
        raise _err("REGISTRY_FEDERATION_KEY", Message("the statements would expire as they are signed"))

    def sign(claims: dict[str, Any]) -> str:
        return sign_typed_jwt(claims, federation_key, typ=ENTITY_STATEMENT_TYP, kid=kid)

    statements = {did: sign(subordinate_claims(federation, did, item, iat, exp)) for did, item in listed}
    return PublishedForms(sign(entity_configuration_claims(federation, iat, exp)), statements,
                          [did for did, _ in listed], legacy)


def statement_file(did: str) -> str:
    """The file (under the output folder) holding the subordinate statement for ``did``: named by its hash,
    so no DID's characters ever become a path."""
    return f"{STATEMENTS_DIR}/{hashlib.sha256(did.encode('utf-8')).hexdigest()}.jwt"


def write_forms(forms: PublishedForms, folder: Path) -> list[Path]:
    """Write every form into ``folder`` (atomically, file by file); statements of DIDs no longer listed go."""
    written = [folder / LEGACY_FILE]
    atomic.write_json(folder / LEGACY_FILE, forms.legacy)
    statements_dir = folder / STATEMENTS_DIR
    if forms.entity_configuration is None:
        return written
    keep = set()
    for did, token in forms.statements.items():
        path = folder / statement_file(did)
        atomic.write_bytes(path, token.encode("ascii"))
        keep.add(path.name)
        written.append(path)
    # a DID no longer listed (suspended, revoked, retired) must not stay answerable from an old file
    for old in statements_dir.glob("*.jwt"):
        if old.name not in keep:
            old.unlink()
    atomic.write_json(folder / LISTING_FILE, forms.listing)
    # the entity configuration last: a reader who sees it sees the statements it points to
    atomic.write_bytes(folder / ENTITY_CONFIGURATION_FILE, forms.entity_configuration.encode("ascii"))
    written += [folder / LISTING_FILE, folder / ENTITY_CONFIGURATION_FILE]
    return written


def dcc_registry_entries(data: RegistryData, legacy_url: str | None) -> list[dict[str, Any]]:
    """The entries for DCC's known-registries list (verifier-core's ``knownDIDRegistries``)."""
    entries: list[dict[str, Any]] = []
    if data.federation is not None:
        entries.append({"name": data.federation.organization_name, "type": "oidf",
                        "trustAnchorEC": f"{data.federation.entity_id}/.well-known/openid-federation"})
    if legacy_url:
        name = data.federation.organization_name if data.federation else "Ontario Micro-Credential issuer registry"
        entries.append({"name": name, "type": "dcc-legacy", "url": legacy_url})
    return entries


# --- checking a live federation against the signed registry -------------------------------------------

def _get(fetcher: Fetcher, url: str, limit: int, accept: str) -> tuple[int, bytes]:
    response = fetcher.get(url, max_bytes=limit, accept=accept)
    return response.status, response.content


def _statement(token: bytes, federation: Federation, what: str, now: datetime,
               problems: list[str]) -> dict[str, Any] | None:
    """The claims of a statement signed by a key the registry names, unexpired, from the anchor; else a problem."""
    try:
        text = token.decode("ascii").strip()
        _, claims = verify_typed_jwt(text, federation.key_ids(), typ=ENTITY_STATEMENT_TYP,
                                     max_bytes=_MAX_STATEMENT_BYTES)
    except UnicodeDecodeError:
        problems.append(Message("{what}: not a JWT", what=what))
        return None
    except JwtError as exc:
        problems.append(Message("{what}: {code}: {detail} (not signed by a federation key the registry names)",
                                 what=what, code=exc.code, detail=exc.detail))
        return None
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int) or not isinstance(iat, int):
        problems.append(Message("{what}: iat and exp must be numbers", what=what))
        return None
    if exp <= now.timestamp():
        problems.append(Message("{what}: expired at {moment}", what=what,
                                 moment=format_datetime(datetime.fromtimestamp(exp, now.tzinfo))))
    if iat > (now + _CLOCK_SKEW).timestamp():
        problems.append(Message("{what}: issued in the future", what=what))
    if claims.get("iss") != federation.entity_id:
        problems.append(Message("{what}: iss {iss} is not the federation {entity}", what=what,
                                 iss=repr(claims.get("iss")), entity=federation.entity_id))
    return claims


def _compare(what: str, field: str, found: Any, wanted: Any, problems: list[str]) -> None:
    if found != wanted:
        problems.append(Message("{what}: {field} is {found}, the registry says {wanted}", what=what, field=field,
                                 found=repr(found), wanted=repr(wanted)))


def check_federation(data: RegistryData, fetcher: Fetcher, url: str | None = None, *,
                     now: datetime | None = None) -> list[str]:
    """Each way the federation at ``url`` (default: the registry's entity) differs from the verified
    registry ``data``, one line each; an empty list means it says exactly what the registry says."""
    federation = _federation(data)
    moment = now or utcnow()
    base = (url or federation.entity_id).rstrip("/")
    suffix = "/.well-known/openid-federation"
    ec_url = base if base.endswith(suffix) else base + suffix
    problems: list[str] = []
    try:
        status, body = _get(fetcher, ec_url, _MAX_STATEMENT_BYTES, ENTITY_STATEMENT_MEDIA_TYPE)
    except FetchError as exc:
        return [Message("entity configuration: {code}: {detail}", code=exc.code, detail=exc.detail)]
    if status != 200:
        return [Message("entity configuration: {url} answered HTTP {status}", url=ec_url, status=str(status))]
    what = Message("entity configuration")
    claims = _statement(body, federation, what, moment, problems)
    if claims is None:
        return problems
    _compare(what, "sub", claims.get("sub"), federation.entity_id, problems)
    jwks = claims.get("jwks")
    found_kids = sorted(str(k.get("kid")) for k in jwks["keys"] if isinstance(k, dict)) \
        if isinstance(jwks, dict) and isinstance(jwks.get("keys"), list) else None
    _compare(what, "jwks kids", found_kids, sorted(federation.key_ids()), problems)
    metadata = claims.get("metadata")
    entity = metadata.get("federation_entity") if isinstance(metadata, dict) else None
    entity = entity if isinstance(entity, dict) else {}
    wanted = entity_configuration_claims(federation, 0, 0)["metadata"]["federation_entity"]
    for field in sorted(set(wanted) | set(entity)):
        _compare(what, field, entity.get(field), wanted.get(field), problems)
    fetch_endpoint = entity.get("federation_fetch_endpoint")
    list_endpoint = entity.get("federation_list_endpoint")
    if not isinstance(fetch_endpoint, str) or not isinstance(list_endpoint, str):
        return problems
    listed = {did: item for did, item in authorized_now(data, moment)}
    # the listing: exactly the DIDs the registry authorizes now
    try:
        status, body = _get(fetcher, list_endpoint, _MAX_LISTING_BYTES, "application/json")
        listing = loads(body, max_bytes=_MAX_LISTING_BYTES, what="the subordinate listing") if status == 200 else None
    except (FetchError, InputError) as exc:
        problems.append(Message("subordinate listing: {reason}", reason=exc.detail))
        listing = None
    if not isinstance(listing, list) or not all(isinstance(d, str) for d in listing):
        problems.append(Message("subordinate listing: not a JSON list of DIDs"))
    else:
        for did in sorted(set(listing) - set(listed)):
            problems.append(Message("subordinate listing: lists {did}, which the registry does not authorize now",
                                     did=did))
        for did in sorted(set(listed) - set(listing)):
            problems.append(Message("subordinate listing: omits {did}, which the registry authorizes", did=did))
    # each DID the registry knows: a faithful statement if authorized now, 404 otherwise
    known = [w.did for item in data.institutions for w in item.dids]
    extra = [d for d in (listing if isinstance(listing, list) else []) if isinstance(d, str) and d not in known]
    for did in [*known, *extra]:
        target = f"{fetch_endpoint}?sub={quote(did, safe=':')}"
        try:
            status, body = _get(fetcher, target, _MAX_STATEMENT_BYTES, ENTITY_STATEMENT_MEDIA_TYPE)
        except FetchError as exc:
            problems.append(Message("statement for {did}: {code}: {detail}", did=did, code=exc.code, detail=exc.detail))
            continue
        item = listed.get(did)
        if item is None:
            if status != 404:
                problems.append(Message("statement for {did}: answered HTTP {status}; the registry does not "
                                        "authorize it now, so it must be 404", did=did, status=str(status)))
            continue
        if status != 200:
            problems.append(Message("statement for {did}: answered HTTP {status}; the registry authorizes it", did=did,
                                    status=str(status)))
            continue
        what = Message("statement for {did}", did=did)
        found = _statement(body, federation, what, moment, problems)
        if found is None:
            continue
        _compare(what, "sub", found.get("sub"), did, problems)
        expected = subordinate_claims(federation, did, item, 0, 0)["metadata"]
        raw_metadata = found.get("metadata")
        found_metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
        for section in ("federation_entity", "institution_additional_information"):
            raw_section = found_metadata.get(section)
            got: dict[str, Any] = raw_section if isinstance(raw_section, dict) else {}
            for field in sorted(set(expected[section]) | set(got)):
                _compare(what, f"{section}.{field}", got.get(field), expected[section].get(field), problems)
    return problems


def forms_summary(forms: PublishedForms) -> dict[str, Any]:
    """What a publication wrote, for the CLI's JSON output."""
    return {"federation": forms.entity_configuration is not None, "listed": list(forms.listing),
            "legacyEntries": len(forms.legacy["registry"])}

