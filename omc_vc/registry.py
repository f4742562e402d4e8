"""The ministry's signed registry of consent-holding OMC issuers.

"OMC" is a protected term: a credential is an Ontario Micro-Credential only when the Ministry of
Colleges and Universities (MCU) authorized its issuer. The ministry says so in a *registry*: a
VerifiableCredential of type ``OmcIssuerRegistryCredential`` whose subject carries the list as one
``@json`` literal (``docs/adr/0004-registry-format.md`` says why), secured with one or more
``eddsa-rdfc-2022`` / ``ecdsa-rdfc-2019`` Data Integrity proofs by the ministry's anchor keys.

The protections are TUF's (DESIGN decision 6; python-tuf ``Metadata[Root]``):

* pinned trust anchors (:class:`Anchors`, ``keys/ministry-anchors.json``), k-of-n: at least
  ``threshold`` *distinct* anchor keys must have signed (a proof set, VC-DI 1.0 §4.5);
* a monotonic ``version`` remembered per registry id in a state file (:class:`RegistryState`), so an
  older copy is refused (rollback attack);
* a ``validUntil`` expiry (freeze attack);
* anchors rotate only through an ``OmcAnchorRotationCredential`` signed by ``threshold`` old *and*
  ``threshold`` new keys (:func:`make_rotation`, :meth:`Anchors.rotate`);
* a size cap, strict parsing, and data-loss detection (an added unsigned property is tampering).

Each refusal is a :class:`~omc_vc.errors.RegistryError` with its own code (``REGISTRY_UNSIGNED``,
``REGISTRY_UNTRUSTED_SIGNER``, ``REGISTRY_ROLLBACK``, ``REGISTRY_EXPIRED``, ``REGISTRY_TAMPERED``,
``REGISTRY_TOO_LARGE``, ``REGISTRY_THRESHOLD_NOT_MET``, ...).

:class:`RegistryClient` fetches a registry from a URL (through the injected
:class:`~omc_vc._internal.fetch.Fetcher`, with ``If-None-Match``) or reads it from a file, keeps an
atomically written on-disk cache, uses a fresh cached copy when offline (with a warning giving its
age) and fails closed on a stale one.

>>> key = KeyPair.generate()
>>> draft = RegistryDraft.new("urn:uuid:5b0a1c57-8f0e-4a53-9f5a-0d7f2f0c9a11", anchors=Anchors((key.public_key,), 1))
>>> inst = draft.add_institution(legal_name="Example College", kind="college", dids=["did:web:college.example"],
...                              consent_reference="MCU-OMC-0001", scope=("OMC", "OMC+"),
...                              granted=parse_datetime("2024-01-01T00:00:00Z"))
>>> signed = sign_registry(draft, [key], now=parse_datetime("2025-01-01T00:00:00Z"))
>>> verified = verify_registry(signed, draft.anchors, now=parse_datetime("2025-01-02T00:00:00Z"))
>>> verified.data.version, verified.data.institution_for_did("did:web:college.example").legal_name
(1, 'Example College')
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urljoin, urlsplit

from omc_vc import jsonld, jsonld_plain
from omc_vc._internal import atomic
from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.jsonio import dumps_canonical_json, loads, loads_object
from omc_vc._internal.multibase import b64url_encode
from omc_vc._internal.resources import keys_dir
from omc_vc._internal.timeutil import format_datetime, parse_datetime, shift, utcnow
from omc_vc.did import DidResolver
from omc_vc.errors import (
    FetchError,
    InputError,
    JsonLdError,
    MalformedValueError,
    OmcVcError,
    ProofError,
    RegistryError,
)
from omc_vc.i18n import Message, Plural
from omc_vc.keys import KeyPair, PublicKey
from omc_vc.model import VC_V2_CONTEXT, as_list, types
from omc_vc.proofs import data_integrity

__all__ = [
    "CONSENT_STATUSES",
    "INSTITUTION_TYPES",
    "MAX_REGISTRY_BYTES",
    "REGISTRY_CONTEXT",
    "SCOPES",
    "Anchors",
    "Consent",
    "ConsentEvent",
    "DidWindow",
    "Federation",
    "Institution",
    "LoadedRegistry",
    "Partnership",
    "QualityAssurance",
    "RegistryClient",
    "RegistryData",
    "RegistryDraft",
    "RegistryState",
    "VerifiedRegistry",
    "default_anchors_path",
    "jwk_thumbprint",
    "load_anchors",
    "make_rotation",
    "sign_registry",
    "verify_registry",
]

#: The bundled context that defines the registry's terms (``contexts/omc-registry-v1.jsonld``).
REGISTRY_CONTEXT: Final = "https://omc-vc.ca/contexts/registry/v1"
REGISTRY_CREDENTIAL_TYPE: Final = "OmcIssuerRegistryCredential"
REGISTRY_SUBJECT_TYPE: Final = "OmcIssuerRegistry"
ROTATION_CREDENTIAL_TYPE: Final = "OmcAnchorRotationCredential"
ROTATION_SUBJECT_TYPE: Final = "OmcAnchorRotation"
REGISTRY_FORMAT: Final = "omc-vc-registry/1"
DRAFT_FORMAT: Final = "omc-vc-registry-draft/1"
ANCHORS_FORMAT: Final = "omc-vc-anchors/1"
STATE_FORMAT: Final = "omc-vc-registry-state/1"
ROTATIONS_FILE: Final = "anchor-rotations.json"

INSTITUTION_TYPES: Final = ("university", "college", "indigenous-institute", "private-career-college")
SCOPES: Final = ("OMC", "OMC+")
CONSENT_STATUSES: Final = ("active", "suspended", "revoked")

#: A registry of a few hundred institutions is ~200 KB; anything past 2 MB is refused unread.
MAX_REGISTRY_BYTES: Final = 2_000_000
#: A cached copy older than this is stale: offline use of it fails closed.
DEFAULT_MAX_CACHE_AGE: Final = timedelta(hours=24)
#: How long a client reuses the registry it verified before fetching it again (If-None-Match makes it cheap).
DEFAULT_REUSE: Final = timedelta(minutes=5)
#: Tolerated clock difference for "not yet valid" checks.
CLOCK_SKEW: Final = timedelta(minutes=5)
# Only RDFC suites: the ministry's registry is Linked Data (VC-DI-EdDSA §3.2, VC-DI-ECDSA §3.2). These bound
# what the registry may be signed with at all; a verification that accepts fewer suites narrows them further
# through VerifiedRegistry.require_suites (DESIGN decision 13), at the time it reads the registry.
_SUITES: Final = ("eddsa-rdfc-2022", "ecdsa-rdfc-2019")

Clock = Callable[[], datetime]

#: The warning of a registry verified against the demo anchor (one message, made once).
_DEMO_WARNING: Final = Message("verified against the DEMO ministry anchor: not a real ministry registry")


def _err(code: str, detail: str) -> RegistryError:
    return RegistryError(detail, code=code)


def _malformed(detail: str) -> RegistryError:
    return _err("REGISTRY_MALFORMED", detail)


# --- strict readers for the signed JSON payload ------------------------------------------------------

def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed(Message("{where} must be a JSON object", where=where))
    return value


def _str(obj: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str | None:
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise _malformed(Message("{where}.{key} must be a non-empty string", where=where, key=key))
    return value


def _req_str(obj: dict[str, Any], key: str, where: str) -> str:
    value = _str(obj, key, where)
    assert value is not None
    return value


def _time(obj: dict[str, Any], key: str, where: str, *, optional: bool = False) -> datetime | None:
    value = obj.get(key)
    if value is None and optional:
        return None
    try:
        return parse_datetime(value, field=f"{where}.{key}")
    except MalformedValueError as exc:
        raise _malformed(exc.detail) from exc


def _req_time(obj: dict[str, Any], key: str, where: str) -> datetime:
    value = _time(obj, key, where)
    assert value is not None
    return value


def _opt_text(moment: datetime | None) -> str | None:
    return None if moment is None else format_datetime(moment)


def _drop_none(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}


def _url(obj: dict[str, Any], key: str, where: str, *, data: bool = False, optional: bool = True) -> str | None:
    """An https URL (or, with ``data``, a ``data:image/`` URI: a logo carried inline, as DCC's registry does)."""
    value = _str(obj, key, where, optional=optional)
    if value is None:
        return None
    if not (value.startswith("https://") or (data and value.startswith("data:image/"))):
        if data:
            raise _malformed(Message("{where}.{key} must be an https URL or a data:image/ URI", where=where, key=key))
        raise _malformed(Message("{where}.{key} must be an https URL", where=where, key=key))
    return value


# --- the model ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DidWindow:
    """A DID an institution issues with, valid in ``[valid_from, valid_until)`` (key rotation)."""

    did: str
    valid_from: datetime
    valid_until: datetime | None = None

    def covers(self, moment: datetime) -> bool:
        return self.valid_from <= moment and (self.valid_until is None or moment < self.valid_until)

    def to_json(self) -> dict[str, Any]:
        return _drop_none({"id": self.did, "validFrom": format_datetime(self.valid_from),
                           "validUntil": _opt_text(self.valid_until)})

    @classmethod
    def from_json(cls, value: Any, where: str) -> DidWindow:
        obj = _obj(value, where)
        did = _req_str(obj, "id", where)
        if not did.startswith("did:"):
            raise _malformed(Message("{where}.id {did} is not a DID", where=where, did=repr(did)))
        window = cls(did, _req_time(obj, "validFrom", where), _time(obj, "validUntil", where, optional=True))
        if window.valid_until is not None and window.valid_until <= window.valid_from:
            raise _malformed(Message("{where}: validUntil is not after validFrom", where=where))
        return window


@dataclass(frozen=True)
class QualityAssurance:
    """EQAA / IQAP approval: the quality-assurance agency, the approval date and its reference."""

    agency: str
    date: datetime
    reference: str

    def to_json(self) -> dict[str, Any]:
        return {"agency": self.agency, "date": format_datetime(self.date), "reference": self.reference}

    @classmethod
    def from_json(cls, value: Any, where: str) -> QualityAssurance:
        obj = _obj(value, where)
        return cls(_req_str(obj, "agency", where), _req_time(obj, "date", where), _req_str(obj, "reference", where))


@dataclass(frozen=True)
class ConsentEvent:
    """One dated change of an MCU consent: granted (``active``), ``suspended``, reinstated, ``revoked``."""

    status: Literal["active", "suspended", "revoked"]
    since: datetime
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _drop_none({"status": self.status, "since": format_datetime(self.since), "reason": self.reason})

    @classmethod
    def from_json(cls, value: Any, where: str) -> ConsentEvent:
        obj = _obj(value, where)
        status = _req_str(obj, "status", where)
        if status not in CONSENT_STATUSES:
            raise _malformed(Message("{where}.status {status} is not one of {allowed}", where=where,
                                     status=repr(status), allowed=", ".join(CONSENT_STATUSES)))
        return cls(status, _req_time(obj, "since", where), _str(obj, "reason", where, optional=True))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Consent:
    """The ministry's consent to confer OMCs: reference, scope and a dated status history.

    The first event is the grant (status ``active``); ``status_at`` answers "what was the consent on
    this date?", which is what a verifier needs for credentials issued before a suspension.
    """

    reference: str
    scope: tuple[str, ...]
    history: tuple[ConsentEvent, ...]

    @property
    def granted(self) -> datetime:
        return self.history[0].since

    def status_at(self, moment: datetime) -> str:
        """``active``, ``suspended`` or ``revoked`` at ``moment``; ``not-granted`` before the grant."""
        current = "not-granted"
        for event in self.history:
            if event.since <= moment:
                current = event.status
        return current

    def event_at(self, moment: datetime) -> ConsentEvent | None:
        found = None
        for event in self.history:
            if event.since <= moment:
                found = event
        return found

    @property
    def status(self) -> str:
        return self.history[-1].status

    def to_json(self) -> dict[str, Any]:
        return {"reference": self.reference, "granted": format_datetime(self.granted), "scope": list(self.scope),
                "status": self.status, "history": [e.to_json() for e in self.history]}

    @classmethod
    def from_json(cls, value: Any, where: str) -> Consent:
        obj = _obj(value, where)
        reference = _req_str(obj, "reference", where)
        scope = obj.get("scope")
        if not isinstance(scope, list) or not scope or any(s not in SCOPES for s in scope) \
                or len(set(scope)) != len(scope):
            raise _malformed(Message("{where}.scope must be a non-empty list of distinct values from {allowed}",
                                     where=where, allowed=", ".join(SCOPES)))
        if "OMC+" in scope and "OMC" not in scope:
            raise _malformed(Message("{where}.scope: OMC+ consent requires OMC consent", where=where))
        history_raw = obj.get("history")
        if not isinstance(history_raw, list) or not history_raw:
            raise _malformed(Message("{where}.history must be a non-empty list", where=where))
        history = tuple(ConsentEvent.from_json(e, f"{where}.history[{i}]") for i, e in enumerate(history_raw))
        if history[0].status != "active":
            raise _malformed(Message("{where}.history must start with the grant (status active)", where=where))
        for before, after in itertools.pairwise(history):
            if after.since < before.since:
                raise _malformed(Message("{where}.history is not in date order", where=where))
            if before.status == "revoked":
                raise _malformed(Message("{where}.history continues after a revocation (revocation is final)",
                                         where=where))
        consent = cls(reference, tuple(scope), history)
        # the summary fields must agree with the history they summarize
        if _time(obj, "granted", where) != consent.granted or obj.get("status") != consent.status:
            raise _malformed(Message("{where}: granted/status disagree with the history", where=where))
        return consent


@dataclass(frozen=True)
class Institution:
    """One institution in the registry."""

    id: str
    legal_name: str
    kind: str
    dids: tuple[DidWindow, ...]
    quality_assurance: QualityAssurance | None
    consent: Consent
    #: public details the other forms show (registry_forms): homepage and logo URLs, "City, ON, Canada"
    homepage: str | None = None
    logo: str | None = None
    location: str | None = None
    #: the institution's public verifier service (https): the page its learners' QR codes and certificates
    #: open when the learner set none of their own
    verifier: str | None = None

    @property
    def is_private_career_college(self) -> bool:
        return self.kind == "private-career-college"

    def window_for(self, did: str, moment: datetime) -> DidWindow | None:
        for window in self.dids:
            if window.did == did and window.covers(moment):
                return window
        return None

    def has_did(self, did: str) -> bool:
        return any(w.did == did for w in self.dids)

    def to_json(self) -> dict[str, Any]:
        return _drop_none({"id": self.id, "legalName": self.legal_name, "type": self.kind,
                           "dids": [w.to_json() for w in self.dids],
                           "qualityAssurance": self.quality_assurance.to_json() if self.quality_assurance else None,
                           "consent": self.consent.to_json(), "homepage": self.homepage, "logo": self.logo,
                           "location": self.location, "verifier": self.verifier})

    @classmethod
    def from_json(cls, value: Any, where: str) -> Institution:
        obj = _obj(value, where)
        kind = _req_str(obj, "type", where)
        if kind not in INSTITUTION_TYPES:
            raise _malformed(Message("{where}.type {kind} is not one of {allowed}", where=where, kind=repr(kind),
                                     allowed=", ".join(INSTITUTION_TYPES)))
        dids_raw = obj.get("dids")
        if not isinstance(dids_raw, list) or not dids_raw:
            raise _malformed(Message("{where}.dids must be a non-empty list", where=where))
        qa = obj.get("qualityAssurance")
        return cls(
            id=_req_str(obj, "id", where),
            legal_name=_req_str(obj, "legalName", where),
            kind=kind,
            dids=tuple(DidWindow.from_json(d, f"{where}.dids[{i}]") for i, d in enumerate(dids_raw)),
            quality_assurance=None if qa is None else QualityAssurance.from_json(qa, f"{where}.qualityAssurance"),
            consent=Consent.from_json(obj.get("consent"), f"{where}.consent"),
            homepage=_url(obj, "homepage", where), logo=_url(obj, "logo", where, data=True),
            location=_str(obj, "location", where, optional=True),
            verifier=_url(obj, "verifier", where),
        )


@dataclass(frozen=True)
class Partnership:
    """A private career college (``pcc``) conferring OMCs with a named consent-holding ``partner``."""

    pcc: str
    partner: str
    since: datetime
    until: datetime | None = None
    reference: str | None = None

    def covers(self, moment: datetime) -> bool:
        return self.since <= moment and (self.until is None or moment < self.until)

    def to_json(self) -> dict[str, Any]:
        return _drop_none({"privateCareerCollege": self.pcc, "partner": self.partner,
                           "since": format_datetime(self.since), "until": _opt_text(self.until),
                           "reference": self.reference})

    @classmethod
    def from_json(cls, value: Any, where: str) -> Partnership:
        obj = _obj(value, where)
        return cls(_req_str(obj, "privateCareerCollege", where), _req_str(obj, "partner", where),
                   _req_time(obj, "since", where), _time(obj, "until", where, optional=True),
                   _str(obj, "reference", where, optional=True))


def jwk_thumbprint(key: PublicKey) -> str:
    """RFC 7638 §3: the key's JWK thumbprint (SHA-256 of its required members, sorted, no whitespace)."""
    jwk = key.jwk()
    required = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("crv", "kty", "x")
    text = dumps_canonical_json({k: jwk[k] for k in required})
    return b64url_encode(hashlib.sha256(text.encode("utf-8")).digest())


@dataclass(frozen=True)
class Federation:
    """The OpenID Federation trust anchor that republishes this registry (``omc_vc.registry_forms``).

    Signed as part of the list, so a verifier of the registry knows which ES256 key(s) may sign the
    federation's statements and which entity they come from (``omc registry check-federation``).
    """

    entity_id: str
    organization_name: str
    homepage_uri: str
    policy_uri: str
    keys: tuple[PublicKey, ...]
    logo_uri: str | None = None
    legal_name: str | None = None

    def key_ids(self) -> dict[str, PublicKey]:
        return {jwk_thumbprint(k): k for k in self.keys}

    def jwks(self) -> list[dict[str, str]]:
        return [{**k.jwk(), "kid": kid, "alg": "ES256", "use": "sig"} for kid, k in self.key_ids().items()]

    def to_json(self) -> dict[str, Any]:
        return _drop_none({"entityId": self.entity_id, "organizationName": self.organization_name,
                           "homepageUri": self.homepage_uri, "policyUri": self.policy_uri,
                           "logoUri": self.logo_uri, "legalName": self.legal_name, "keys": self.jwks()})

    @classmethod
    def from_json(cls, value: Any, where: str = "registry.federation") -> Federation:
        obj = _obj(value, where)
        entity_id = _req_str(obj, "entityId", where)
        # OpenID Federation 1.0 §1.2: an entity identifier is an https URL with no query or fragment; plain http
        # is accepted for a loopback host only (a local demo or test federation)
        loopback = entity_id.startswith("http://") and urlsplit(entity_id).hostname in ("127.0.0.1", "localhost", "::1")
        if not (entity_id.startswith("https://") or loopback) or entity_id.endswith("/") \
                or "?" in entity_id or "#" in entity_id:
            raise _malformed(Message("{where}.entityId must be an https URL without a trailing slash, query or "
                                     "fragment", where=where))
        raw_keys = obj.get("keys")
        if not isinstance(raw_keys, list) or not raw_keys:
            raise _malformed(Message("{where}.keys must be a non-empty list of JWKs", where=where))
        keys = []
        for index, jwk in enumerate(raw_keys):
            try:
                key = PublicKey.from_jwk(jwk)
            except (MalformedValueError, OmcVcError) as exc:
                raise _malformed(Message("{where}.keys[{index}] is not a public JWK", where=where,
                                         index=str(index))) from exc
            if key.key_type != "p256" or jwk.get("kid") != jwk_thumbprint(key):
                raise _malformed(Message("{where}.keys[{index}] must be a P-256 key (ES256) whose kid is its "
                                         "RFC 7638 thumbprint", where=where, index=str(index)))
            keys.append(key)
        if len(set(keys)) != len(keys):
            raise _malformed(Message("{where}.keys lists the same key twice", where=where))
        homepage = _url(obj, "homepageUri", where, optional=False)
        policy = _url(obj, "policyUri", where, optional=False)
        assert homepage is not None and policy is not None
        return cls(entity_id, _req_str(obj, "organizationName", where), homepage, policy, tuple(keys),
                   _url(obj, "logoUri", where, data=True), _str(obj, "legalName", where, optional=True))


@dataclass(frozen=True)
class RegistryData:
    """The list itself: what the ministry signs (the subject's ``registry`` JSON literal)."""

    id: str
    version: int
    institutions: tuple[Institution, ...] = ()
    partnerships: tuple[Partnership, ...] = ()
    #: the OpenID Federation trust anchor publishing this list in DCC's form (optional)
    federation: Federation | None = None

    def institution(self, institution_id: str) -> Institution | None:
        for item in self.institutions:
            if item.id == institution_id:
                return item
        return None

    def institution_for_did(self, did: str) -> Institution | None:
        """The institution that lists ``did`` (at any time; use :meth:`Institution.window_for` for when)."""
        return self._by_did.get(did)

    @cached_property
    def _by_did(self) -> dict[str, Institution]:
        # every verification looks its issuer up: index the DIDs once (the first institution listing
        # a DID wins, as a scan in order would find it)
        index: dict[str, Institution] = {}
        for item in self.institutions:
            for window in item.dids:
                index.setdefault(window.did, item)
        return index

    def partners_of(self, pcc: Institution, moment: datetime) -> list[tuple[Partnership, Institution]]:
        out = []
        for partnership in self.partnerships:
            if partnership.pcc == pcc.id and partnership.covers(moment):
                partner = self.institution(partnership.partner)
                if partner is not None:
                    out.append((partnership, partner))
        return out

    def to_json(self) -> dict[str, Any]:
        value = {"format": REGISTRY_FORMAT, "id": self.id, "version": self.version,
                 "institutions": [i.to_json() for i in self.institutions],
                 "partnerships": [p.to_json() for p in self.partnerships]}
        if self.federation is not None:
            value["federation"] = self.federation.to_json()
        return value

    @classmethod
    def from_json(cls, value: Any) -> RegistryData:
        obj = _obj(value, "registry")
        if obj.get("format") != REGISTRY_FORMAT:
            raise _malformed(Message("registry.format must be {format}", format=repr(REGISTRY_FORMAT)))
        version = obj.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise _malformed(Message("registry.version must be a positive integer"))
        institutions_raw = obj.get("institutions")
        partnerships_raw = obj.get("partnerships")
        if not isinstance(institutions_raw, list) or not isinstance(partnerships_raw, list):
            raise _malformed(Message("registry.institutions and registry.partnerships must be lists"))
        institutions = tuple(Institution.from_json(v, f"registry.institutions[{i}]")
                             for i, v in enumerate(institutions_raw))
        federation = None if obj.get("federation") is None else Federation.from_json(obj["federation"])
        data = cls(_req_str(obj, "id", "registry"), version, institutions,
                   tuple(Partnership.from_json(v, f"registry.partnerships[{i}]")
                         for i, v in enumerate(partnerships_raw)), federation)
        data.check_consistency()
        return data

    def check_consistency(self) -> None:
        """A DID belongs to one institution; ids are unique; partnerships name listed institutions."""
        seen_ids: set[str] = set()
        owner: dict[str, str] = {}
        for item in self.institutions:
            if item.id in seen_ids:
                raise _malformed(Message("institution id {id} appears twice", id=repr(item.id)))
            seen_ids.add(item.id)
            for window in item.dids:
                if owner.setdefault(window.did, item.id) != item.id:
                    raise _malformed(Message("DID {did} is listed for two institutions", did=window.did))
        for partnership in self.partnerships:
            pcc = self.institution(partnership.pcc)
            partner = self.institution(partnership.partner)
            if pcc is None or partner is None:
                raise _malformed(Message("a partnership names an institution that is not in the registry"))
            if not pcc.is_private_career_college:
                raise _malformed(Message("partnership: {name} is not a private career college", name=pcc.legal_name))
            if partner.is_private_career_college:
                raise _malformed(Message("partnership: the partner {name} is itself a private career college",
                                         name=partner.legal_name))


# --- trust anchors ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Anchors:
    """The ministry's pinned public keys and the number ``threshold`` of them that must sign.

    ``sequence`` counts rotations (0 for the anchors a client ships with). ``demo`` marks the
    clearly-labelled demo anchor, which is refused unless the caller asks for demo mode.
    """

    keys: tuple[PublicKey, ...]
    threshold: int = 1
    sequence: int = 0
    registry_id: str | None = None
    demo: bool = False

    def __post_init__(self) -> None:
        if len({k.multibase for k in self.keys}) != len(self.keys):
            raise _err("REGISTRY_ANCHORS_INVALID", Message("the anchor set lists the same key twice"))
        if self.threshold < 1:
            raise _err("REGISTRY_ANCHORS_INVALID", Message("the anchor threshold must be at least 1"))
        if self.keys and self.threshold > len(self.keys):
            raise _err("REGISTRY_ANCHORS_INVALID",
                       Message("the anchor threshold {threshold} is more than the {count} anchor key(s)",
                               threshold=self.threshold, count=len(self.keys)))

    def contains(self, key: PublicKey | None) -> bool:
        return key is not None and any(k == key for k in self.keys)

    def same_as(self, other: Anchors) -> bool:
        return ({k.multibase for k in self.keys} == {k.multibase for k in other.keys}
                and self.threshold == other.threshold and self.sequence == other.sequence)

    def to_json(self) -> dict[str, Any]:
        return _drop_none({"format": ANCHORS_FORMAT, "threshold": self.threshold, "sequence": self.sequence,
                           "registry": self.registry_id, "demo": True if self.demo else None,
                           "keys": [{"type": "Multikey", "id": f"{k.did_key}#{k.multibase}",
                                     "publicKeyMultibase": k.multibase} for k in self.keys]})

    def key_set_json(self) -> dict[str, Any]:
        """The part a rotation signs: keys, threshold, sequence."""
        return {"threshold": self.threshold, "sequence": self.sequence,
                "keys": sorted(k.multibase for k in self.keys)}

    @classmethod
    def from_json(cls, value: Any, *, where: str = "anchors") -> Anchors:
        if not isinstance(value, dict):
            raise _err("REGISTRY_ANCHORS_INVALID", Message("{where} must be a JSON object", where=where))
        if value.get("format", ANCHORS_FORMAT) != ANCHORS_FORMAT:
            raise _err("REGISTRY_ANCHORS_INVALID", Message("{where}.format must be {format}", where=where,
                                                            format=repr(ANCHORS_FORMAT)))
        raw_keys = value.get("keys")
        threshold = value.get("threshold", 1)
        sequence = value.get("sequence", 0)
        if not isinstance(raw_keys, list):
            raise _err("REGISTRY_ANCHORS_INVALID", Message("{where}.keys must be a list", where=where))
        if not isinstance(threshold, int) or isinstance(threshold, bool) or not isinstance(sequence, int) \
                or isinstance(sequence, bool) or sequence < 0:
            raise _err("REGISTRY_ANCHORS_INVALID", Message("{where}.threshold and .sequence must be integers",
                                                            where=where))
        keys = []
        for index, item in enumerate(raw_keys):
            text = item.get("publicKeyMultibase") if isinstance(item, dict) else item
            if not isinstance(text, str):
                raise _err("REGISTRY_ANCHORS_INVALID", Message("{where}.keys[{index}] has no publicKeyMultibase",
                                                                where=where, index=str(index)))
            try:
                keys.append(PublicKey.from_multibase(text))
            except MalformedValueError as exc:
                raise _err("REGISTRY_ANCHORS_INVALID", Message("{where}.keys[{index}]: {reason}", where=where,
                                                                index=str(index), reason=exc.detail)) from exc
        registry_id = value.get("registry")
        if registry_id is not None and not isinstance(registry_id, str):
            raise _err("REGISTRY_ANCHORS_INVALID", Message("{where}.registry must be a string", where=where))
        return cls(tuple(keys), threshold, sequence, registry_id, value.get("demo") is True)

    def rotate(self, rotation: dict[str, Any], *, now: datetime | None = None) -> Anchors:
        """The next anchors, if ``rotation`` is a valid rotation of these: signed by ``threshold``
        distinct current keys AND by the new set's ``threshold`` distinct new keys (TUF root rotation).
        """
        if not isinstance(rotation, dict) or ROTATION_CREDENTIAL_TYPE not in types(rotation):
            raise _err("REGISTRY_ROTATION_INVALID", Message("not an {type}", type=ROTATION_CREDENTIAL_TYPE))
        subject = rotation.get("credentialSubject")
        body = subject.get("rotation") if isinstance(subject, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("previous"), dict) \
                or not isinstance(body.get("next"), dict):
            raise _err("REGISTRY_ROTATION_INVALID", Message("the rotation names no previous and next anchor sets"))
        if body["previous"] != self.key_set_json():
            raise _err("REGISTRY_ROTATION_INVALID",
                       Message("the rotation does not start from the current anchors (sequence {sequence})",
                               sequence=str(self.sequence)))
        try:
            successor = Anchors.from_json({**body["next"], "registry": self.registry_id})
        except RegistryError as exc:
            raise _err("REGISTRY_ROTATION_INVALID", Message("the new anchor set is invalid: {reason}",
                                                             reason=exc.detail)) from exc
        if successor.sequence != self.sequence + 1 or not successor.keys:
            raise _err("REGISTRY_ROTATION_INVALID", Message("the new anchor set must be non-empty with sequence + 1"))
        signers = _verified_signers(rotation, now=now)
        for old, anchor_set in ((True, self), (False, successor)):
            count = len({k.multibase for k in signers if anchor_set.contains(k)})
            if count < anchor_set.threshold:
                raise _err("REGISTRY_THRESHOLD_NOT_MET", Message(
                    "the rotation is signed by {count} old anchor key(s); {threshold} needed", count=count,
                    threshold=anchor_set.threshold) if old else Message(
                    "the rotation is signed by {count} new anchor key(s); {threshold} needed", count=count,
                    threshold=anchor_set.threshold))
        return replace(successor, demo=self.demo)


def default_anchors_path() -> Path:
    """The shipped production anchors (``keys/ministry-anchors.json``; the ministry publishes them)."""
    return keys_dir() / "ministry-anchors.json"


def demo_anchors_path() -> Path:
    return keys_dir() / "demo-ministry-anchor.json"


def load_anchors(path: str | Path | None = None, *, demo: bool = False) -> Anchors:
    """Read an anchors file (default: the shipped ``keys/ministry-anchors.json``).

    A demo anchor (file named ``demo-*`` or marked ``"demo": true``) is refused unless ``demo=True``.
    """
    target = Path(path) if path is not None else default_anchors_path()
    # errors name the file by its name only: a service's configured paths and the package's install
    # folder are nobody's business but the operator's
    shown = target.name
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise _err("REGISTRY_ANCHORS_INVALID", Message("cannot read anchors file {file}: {why}", file=shown,
                                                        why=str(exc.strerror))) from exc
    try:
        value = loads_object(raw, max_bytes=256 * 1024, what=Message("anchors file {file}", file=shown))
    except InputError as exc:
        raise _err("REGISTRY_ANCHORS_INVALID", exc.detail) from exc
    anchors = Anchors.from_json(value, where=shown)
    if (target.name.startswith("demo-") or anchors.demo) and not demo:
        raise _err("REGISTRY_DEMO_ANCHOR_REFUSED",
                   Message("{file} is a DEMO trust anchor; it is refused outside demo mode (pass --demo / demo=True)",
                           file=shown))
    return replace(anchors, demo=anchors.demo or target.name.startswith("demo-"))


# --- signing and verifying ---------------------------------------------------------------------------

def _anchor_key(pair: KeyPair) -> KeyPair:
    # anchor proofs name the key as did:key, so verifiers resolve it offline (no did:web fetch)
    did = pair.public_key.did_key
    return pair.with_id(f"{did}#{pair.public_key.multibase}", did)


def _sign_all(document: dict[str, Any], keys: Sequence[KeyPair], created: datetime) -> dict[str, Any]:
    if not keys:
        raise _err("REGISTRY_SIGNING_ERROR", Message("at least one signing key is needed"))
    if len({k.public_key.multibase for k in keys}) != len(keys):
        raise _err("REGISTRY_SIGNING_ERROR", Message("the same key was given twice: k-of-n needs distinct keys"))
    signed = document
    for key in keys:
        # VC-DI 1.0 §4.5: a proof set; each proof signs the document without the others
        signed = data_integrity.add_proof(signed, _anchor_key(key), purpose="assertionMethod", created=created)
    return signed


def sign_registry(draft: RegistryDraft, keys: Sequence[KeyPair], *, now: datetime | None = None,
                  valid_for: timedelta = timedelta(days=30), version: int | None = None) -> dict[str, Any]:
    """The signed registry credential for ``draft`` at ``version`` (default: draft version + 1).

    Every key must be one of the draft's anchors and there must be at least ``threshold`` of them.
    The draft itself is not changed; :meth:`RegistryDraft.mark_published` records the new version.
    """
    moment = (now or utcnow()).replace(microsecond=0)
    for key in keys:
        if not draft.anchors.contains(key.public_key):
            raise _err("REGISTRY_SIGNING_ERROR", Message("key {key} is not one of the registry's anchors",
                                                          key=key.public_key.multibase))
    if len(keys) < draft.anchors.threshold:
        raise _err("REGISTRY_THRESHOLD_NOT_MET",
                   Message("{count} key(s) given; the anchors require {threshold} signatures", count=len(keys),
                           threshold=draft.anchors.threshold))
    data = replace(draft.data, version=version if version is not None else draft.data.version + 1)
    data.check_consistency()
    document: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, REGISTRY_CONTEXT],
        "id": data.id,
        "type": ["VerifiableCredential", REGISTRY_CREDENTIAL_TYPE],
        "name": draft.name,
        "issuer": draft.issuer,
        "validFrom": format_datetime(moment),
        "validUntil": format_datetime(moment + valid_for),
        "credentialSubject": {"id": data.id, "type": REGISTRY_SUBJECT_TYPE, "registry": data.to_json()},
    }
    return _sign_all(document, keys, moment)


@dataclass(frozen=True)
class VerifiedRegistry:
    """A registry whose signatures, shape and expiry were verified against the anchors."""

    data: RegistryData
    document: dict[str, Any]
    valid_from: datetime
    valid_until: datetime
    digest: str
    signers: tuple[str, ...]
    anchors: Anchors
    #: (anchor key multibase, cryptosuite) of every anchor proof that verified: what require_suites reads
    signer_suites: tuple[tuple[str, str], ...] = ()

    def require_suites(self, accepted: Iterable[str]) -> None:
        """Refuse this registry under a verification that does not accept the suites its anchors signed with.

        DESIGN decision 13: a registry is trusted under the caller's accepted cryptosuites too. The anchors
        decide which keys may sign it; the caller decides which algorithms it trusts at all. ``threshold``
        distinct anchor keys must have signed in a suite the caller accepts, else REGISTRY_UNTRUSTED_SIGNER
        (none did) or REGISTRY_THRESHOLD_NOT_MET (too few did).
        """
        allowed = set(accepted)
        keys = {key for key, suite in self.signer_suites if suite in allowed}
        if len(keys) >= self.anchors.threshold:
            return
        refused = sorted({suite for _, suite in self.signer_suites if suite not in allowed})
        why = Message("its other anchor proofs use {suites}, which this verification does not accept",
                      suites=", ".join(refused)) if refused else Message("no other anchor proof verified")
        suites: str = ", ".join(sorted(allowed)) or Message("none")
        raise _err("REGISTRY_THRESHOLD_NOT_MET" if keys else "REGISTRY_UNTRUSTED_SIGNER",
                   Message("the registry is signed by {count} anchor key(s) in a cryptosuite this verification "
                           "accepts ({suites}), {threshold} required; {why}", count=len(keys), suites=suites,
                           threshold=self.anchors.threshold, why=why))


def _digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(dumps_canonical_json(document).encode("utf-8")).hexdigest()


def _verified_signers(document: dict[str, Any], *, now: datetime | None,
                      anchors: Anchors | None = None) -> list[PublicKey]:
    """Keys whose proofs on ``document`` verify. With ``anchors``, a failed proof by an anchor is tampering."""
    return [key for key, _ in _verified_proofs(document, now=now, anchors=anchors)]


def _verified_proofs(document: dict[str, Any], *, now: datetime | None,
                     anchors: Anchors | None = None) -> list[tuple[PublicKey, str]]:
    """(key, cryptosuite) of every proof on ``document`` that verifies; see :func:`_verified_signers`."""
    if not isinstance(document.get("proof"), dict | list) or not as_list(document.get("proof")):
        raise _err("REGISTRY_UNSIGNED", Message("the registry carries no proof: it is not signed"))
    try:
        # DESIGN decision 11: the registry's fields are read from its JSON, its proof signs the graph
        jsonld_plain.require_plain(document)
    except JsonLdError as exc:
        raise _err(exc.code, Message("the registry is not in plain JSON-LD: {reason}", reason=exc.detail)) from exc
    try:
        # DI §2.4.3: a property no context defines would be an unsigned claim
        jsonld.check_data_loss(document)
    except JsonLdError as exc:
        raise _err("REGISTRY_TAMPERED", Message("the registry holds data its signature does not cover: {reason}",
                                                 reason=exc.detail)) from exc
    try:
        results = data_integrity.verify_proofs(
            document, resolver=DidResolver(), expected_purpose="assertionMethod", now=now, accepted_suites=_SUITES)
    except ProofError as exc:
        raise _err("REGISTRY_UNSIGNED", Message("the registry's proof cannot be read: {reason}",
                                                 reason=exc.detail)) from exc
    except OmcVcError as exc:
        raise _err("REGISTRY_TAMPERED", Message("the registry cannot be canonicalized: {reason}",
                                                 reason=exc.detail)) from exc
    good: list[tuple[PublicKey, str]] = []
    for item in results:
        if item.verified and item.public_key is not None:
            good.append((item.public_key, item.cryptosuite or ""))
        elif anchors is not None and anchors.contains(item.public_key):
            # an anchor's own proof no longer matches: the content was changed after signing
            reason = item.errors[0].detail if item.errors else Message("proof failed")
            raise _err("REGISTRY_TAMPERED", Message("the registry was changed after the ministry signed it ({reason})",
                                                    reason=reason))
    return good


def verify_registry(document: dict[str, Any], anchors: Anchors, *, now: datetime | None = None) -> VerifiedRegistry:
    """Verify a registry credential against pinned ``anchors`` (no state: see :class:`RegistryState`).

    Order: anchors present, signed, every anchor proof intact, ``threshold`` distinct anchor keys,
    well-formed, the expected registry id, not expired (freeze attack), not from the future.
    """
    moment = now or utcnow()
    if not anchors.keys:
        raise _err("REGISTRY_NO_ANCHORS",
                   Message("no trust anchors are configured: the ministry publishes its registry keys; pass an "
                           "anchors file (--anchors), or --demo for the demo registry. Nothing is trusted without "
                           "them."))
    if not isinstance(document, dict):
        raise _malformed(Message("the registry is not a JSON object"))
    if REGISTRY_CREDENTIAL_TYPE not in types(document) or "VerifiableCredential" not in types(document):
        raise _malformed(Message("the document is not an {type}", type=REGISTRY_CREDENTIAL_TYPE))
    proofs = _verified_proofs(document, now=moment, anchors=anchors)
    signers = [key for key, _ in proofs]
    trusted = sorted({k.multibase for k in signers if anchors.contains(k)})
    if not trusted:
        if signers:
            raise _err("REGISTRY_UNTRUSTED_SIGNER",
                       Message("the registry is signed by {key}, which is not a ministry trust anchor",
                               key=signers[0].multibase))
        raise _err("REGISTRY_UNTRUSTED_SIGNER",
                   Message("no proof on the registry verifies with a ministry trust anchor"))
    if len(trusted) < anchors.threshold:
        raise _err("REGISTRY_THRESHOLD_NOT_MET",
                   Message("the registry is signed by {count} distinct anchor key(s); {threshold} required",
                           count=len(trusted), threshold=anchors.threshold))
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != REGISTRY_SUBJECT_TYPE:
        raise _malformed(Message("credentialSubject must be one {type}", type=REGISTRY_SUBJECT_TYPE))
    data = RegistryData.from_json(subject.get("registry"))
    if document.get("id") != data.id or subject.get("id") != data.id:
        raise _malformed(Message("the registry's id, subject id and list id disagree"))
    if anchors.registry_id is not None and data.id != anchors.registry_id:
        raise _err("REGISTRY_WRONG_ID", Message("this is registry {id}, not {expected} the anchors name",
                                                 id=repr(data.id), expected=repr(anchors.registry_id)))
    valid_from = _req_time(document, "validFrom", "registry")
    valid_until = _time(document, "validUntil", "registry")
    if valid_until is None:
        raise _malformed(Message("the registry has no validUntil: an unexpiring registry is refused"))
    # freeze attack (TUF §5.3.10 style): an expired registry is never used
    if moment >= valid_until:
        raise _err("REGISTRY_EXPIRED", Message("the registry (version {version}) expired at {moment}; a current copy "
                                               "is needed", version=str(data.version),
                                               moment=format_datetime(valid_until)))
    if valid_from > shift(moment, CLOCK_SKEW):
        raise _err("REGISTRY_NOT_YET_VALID", Message("the registry is valid only from {moment}",
                                                      moment=format_datetime(valid_from)))
    suites = tuple(sorted({(k.multibase, suite) for k, suite in proofs if anchors.contains(k)}))
    return VerifiedRegistry(data, document, valid_from, valid_until, _digest(document), tuple(trusted), anchors,
                            suites)


# --- anchor rotation ---------------------------------------------------------------------------------

def make_rotation(current: Anchors, successor_keys: Sequence[PublicKey], threshold: int,
                  signing_keys: Sequence[KeyPair], *, issuer: str | None = None,
                  now: datetime | None = None) -> tuple[dict[str, Any], Anchors]:
    """A signed rotation from ``current`` to the new key set, and the new anchors.

    ``signing_keys`` must include ``current.threshold`` old keys and ``threshold`` new keys.
    """
    moment = (now or utcnow()).replace(microsecond=0)
    successor = Anchors(tuple(successor_keys), threshold, current.sequence + 1, current.registry_id, current.demo)
    if not successor.keys:
        raise _err("REGISTRY_ROTATION_INVALID", Message("the new anchor set is empty"))
    document: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, REGISTRY_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", ROTATION_CREDENTIAL_TYPE],
        "issuer": issuer or signing_keys[0].public_key.did_key,
        "validFrom": format_datetime(moment),
        "credentialSubject": {"type": ROTATION_SUBJECT_TYPE,
                              "rotation": {"previous": current.key_set_json(), "next": successor.key_set_json()}},
    }
    signed = _sign_all(document, signing_keys, moment)
    current.rotate(signed, now=moment)  # refuse to hand out a rotation no client would accept
    return signed, successor


# --- the ministry's working file ------------------------------------------------------------------------

@dataclass
class RegistryDraft:
    """The ministry's unsigned working copy: the list, the anchors, and the rotations so far."""

    data: RegistryData
    anchors: Anchors
    issuer: str
    name: str = "Ontario Micro-Credential issuer registry (Ministry of Colleges and Universities)"
    rotations: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def new(cls, registry_id: str | None = None, *, anchors: Anchors, issuer: str | None = None) -> RegistryDraft:
        if not anchors.keys:
            raise _err("REGISTRY_NO_ANCHORS", Message("a registry needs at least one anchor key"))
        rid = registry_id or f"urn:uuid:{uuid.uuid4()}"
        return cls(RegistryData(rid, 0), replace(anchors, registry_id=rid), issuer or anchors.keys[0].did_key)

    # --- persistence ---
    def to_json(self) -> dict[str, Any]:
        return {"format": DRAFT_FORMAT, "WARNING": "Unsigned working copy. Publish with `omc registry publish`.",
                "issuer": self.issuer, "name": self.name, "anchors": self.anchors.to_json(),
                "registry": {**self.data.to_json(), "version": self.data.version},
                "anchorRotations": self.rotations}

    @classmethod
    def from_json(cls, value: Any) -> RegistryDraft:
        obj = _obj(value, "draft")
        if obj.get("format") != DRAFT_FORMAT:
            raise _malformed(Message("not a registry working file (format {format} expected)",
                                     format=repr(DRAFT_FORMAT)))
        reg = _obj(obj.get("registry"), "draft.registry")
        version = reg.get("version")
        # a fresh draft has version 0; RegistryData.from_json wants >= 1, so read it as version 1
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise _malformed(Message("draft.registry.version must be a non-negative integer"))
        data = replace(RegistryData.from_json({**reg, "version": max(version, 1)}), version=version)
        rotations = obj.get("anchorRotations", [])
        if not isinstance(rotations, list):
            raise _malformed(Message("draft.anchorRotations must be a list"))
        return cls(data, Anchors.from_json(obj.get("anchors")), _req_str(obj, "issuer", "draft"),
                   _req_str(obj, "name", "draft"), rotations)

    @classmethod
    def load(cls, path: str | Path) -> RegistryDraft:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise _malformed(Message("cannot read registry working file {path}: {why}", path=str(path),
                                     why=str(exc.strerror))) from exc
        try:
            return cls.from_json(loads_object(raw, max_bytes=MAX_REGISTRY_BYTES, what=str(path)))
        except InputError as exc:
            raise _malformed(exc.detail) from exc

    def save(self, path: str | Path) -> None:
        atomic.write_json(path, self.to_json())

    # --- edits ---
    def _find(self, did: str) -> Institution:
        found = self.data.institution_for_did(did)
        if found is None:
            raise _err("REGISTRY_UNKNOWN_ISSUER", Message("no institution in the registry issues with {did}", did=did))
        return found

    def _replace(self, old: Institution, new: Institution) -> None:
        self.data = replace(self.data, institutions=tuple(new if i is old else i for i in self.data.institutions))

    def add_institution(self, *, legal_name: str, kind: str, dids: Sequence[str], consent_reference: str,
                        scope: Sequence[str] = ("OMC",), granted: datetime | None = None,
                        did_valid_from: datetime | None = None, quality_assurance: QualityAssurance | None = None,
                        institution_id: str | None = None, homepage: str | None = None, logo: str | None = None,
                        location: str | None = None, verifier: str | None = None) -> Institution:
        if kind not in INSTITUTION_TYPES:
            raise _malformed(Message("institution type {kind} is not one of {allowed}", kind=repr(kind),
                                     allowed=", ".join(INSTITUTION_TYPES)))
        if not dids:
            raise _malformed(Message("an institution needs at least one DID"))
        start = (granted or utcnow()).replace(microsecond=0)
        consent = Consent.from_json({"reference": consent_reference, "scope": list(scope),
                                     "granted": format_datetime(start), "status": "active",
                                     "history": [{"status": "active", "since": format_datetime(start)}]}, "consent")
        windows = tuple(DidWindow(d, (did_valid_from or start).replace(microsecond=0)) for d in dids)
        for window in windows:
            DidWindow.from_json(window.to_json(), "did")
        item = Institution(institution_id or f"urn:uuid:{uuid.uuid4()}", legal_name, kind, windows,
                           quality_assurance, consent, homepage, logo, location, verifier=verifier)
        Institution.from_json(item.to_json(), "institution")  # the same rules as a published list's
        candidate = replace(self.data, institutions=(*self.data.institutions, item))
        candidate.check_consistency()
        self.data = candidate
        return item

    def set_consent(self, did: str, status: Literal["active", "suspended", "revoked"], *,
                    at: datetime | None = None, reason: str | None = None) -> Institution:
        """Suspend, reinstate (``active``) or revoke the consent of the institution issuing with ``did``."""
        item = self._find(did)
        moment = (at or utcnow()).replace(microsecond=0)
        current = item.consent.status
        if current == "revoked":
            raise _err("REGISTRY_EDIT_REFUSED", Message("the consent of {name} was revoked; revocation is final",
                                                     name=item.legal_name))
        if current == status:
            raise _err("REGISTRY_EDIT_REFUSED", Message("the consent of {name} is already {status}",
                                                        name=item.legal_name, status=status))
        if moment < item.consent.history[-1].since:
            raise _err("REGISTRY_EDIT_REFUSED", Message("a status change cannot predate the last one"))
        consent = replace(item.consent, history=(*item.consent.history, ConsentEvent(status, moment, reason)))
        new = replace(item, consent=consent)
        self._replace(item, new)
        return new

    def add_did(self, did: str, new_did: str, *, valid_from: datetime | None = None) -> Institution:
        """Key rotation: the institution issuing with ``did`` also issues with ``new_did`` from ``valid_from``."""
        item = self._find(did)
        window = DidWindow.from_json({"id": new_did, "validFrom": format_datetime(valid_from or utcnow())}, "did")
        new = replace(item, dids=(*item.dids, window))
        candidate = replace(self.data, institutions=tuple(new if i is item else i for i in self.data.institutions))
        candidate.check_consistency()
        self.data = candidate
        return new

    def retire_did(self, did: str, *, at: datetime | None = None) -> Institution:
        """End the validity window of ``did``: credentials it signs after ``at`` are not OMCs."""
        item = self._find(did)
        moment = (at or utcnow()).replace(microsecond=0)
        windows = []
        for window in item.dids:
            if window.did == did and window.valid_until is None:
                if moment <= window.valid_from:
                    raise _err("REGISTRY_EDIT_REFUSED", Message("the retirement date is before the DID's validFrom"))
                window = replace(window, valid_until=moment)
            windows.append(window)
        new = replace(item, dids=tuple(windows))
        self._replace(item, new)
        return new

    def add_partnership(self, pcc_did: str, partner_did: str, *, since: datetime | None = None,
                        reference: str | None = None) -> Partnership:
        pcc = self._find(pcc_did)
        partner = self._find(partner_did)
        partnership = Partnership(pcc.id, partner.id, (since or utcnow()).replace(microsecond=0), None, reference)
        candidate = replace(self.data, partnerships=(*self.data.partnerships, partnership))
        candidate.check_consistency()
        self.data = candidate
        return partnership

    def set_federation(self, federation: Federation) -> Federation:
        """Name the OpenID Federation trust anchor (entity, ministry details, ES256 keys) in the next list."""
        checked = Federation.from_json(federation.to_json())
        self.data = replace(self.data, federation=checked)
        return checked

    def mark_published(self, signed: dict[str, Any]) -> None:
        version = signed["credentialSubject"]["registry"]["version"]
        self.data = replace(self.data, version=version)

    def add_rotation(self, rotation: dict[str, Any], successor: Anchors) -> None:
        self.anchors.rotate(rotation)
        self.rotations.append(rotation)
        self.anchors = successor


# --- client state: rollback protection ---------------------------------------------------------------

class RegistryState:
    """The last accepted version (and digest) per registry id, plus rotated anchors; written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"format": STATE_FORMAT, "registries": {}}
        try:
            value = loads_object(self.path.read_bytes(), what=Message("registry state {file}", file=self.path.name))
        except (OSError, InputError) as exc:
            # a damaged state file must not silently reset rollback protection (named by its file name:
            # in a service the folder is the server's)
            raise _err("REGISTRY_STATE_CORRUPT", Message("the registry state file {file} is unreadable; delete it "
                                                         "only if you trust the next registry you fetch",
                                                         file=self.path.name)) from exc
        if value.get("format") != STATE_FORMAT or not isinstance(value.get("registries"), dict):
            raise _err("REGISTRY_STATE_CORRUPT", Message("the registry state file {file} is not a state file",
                                                      file=self.path.name))
        return value

    def entry(self, registry_id: str) -> dict[str, Any] | None:
        found = self._read()["registries"].get(registry_id)
        return found if isinstance(found, dict) else None

    def last_version(self, registry_id: str) -> int:
        entry = self.entry(registry_id)
        version = entry.get("version") if entry else 0
        return version if isinstance(version, int) else 0

    def anchors_for(self, registry_id: str, pinned: Anchors) -> Anchors:
        """Rotated anchors remembered for ``registry_id`` if they descend from the pinned ones."""
        entry = self.entry(registry_id)
        if entry and isinstance(entry.get("anchors"), dict):
            remembered = Anchors.from_json(entry["anchors"])
            if remembered.sequence > pinned.sequence:
                return replace(remembered, demo=pinned.demo, registry_id=pinned.registry_id)
        return pinned

    def check(self, verified: VerifiedRegistry) -> None:
        """Refuse a version older than the last accepted one, or the same version with other content."""
        entry = self.entry(verified.data.id)
        if entry is None:
            return
        last = entry.get("version", 0)
        if verified.data.version < last:
            raise _err("REGISTRY_ROLLBACK", Message("the registry offered is version {version}, older than version "
                                                    "{last} already accepted: a rollback (replay of an old registry) "
                                                    "is refused", version=str(verified.data.version), last=str(last)))
        if verified.data.version == last and entry.get("digest") != verified.digest:
            raise _err("REGISTRY_ROLLBACK", Message("the registry offered is version {last} but differs from the "
                                                    "version {last} already accepted; the ministry never publishes two "
                                                    "versions under one number", last=str(last)))

    def record(self, verified: VerifiedRegistry, now: datetime, *, source: str | None = None) -> None:
        """Remember ``verified`` as the last accepted version (and, with ``source``, which registry id
        that source serves: a source that later serves another registry, e.g. an old staging registry
        signed by the same anchors, is refused as REGISTRY_WRONG_ID).
        """
        self.check(verified)
        value = self._read()
        sources = value.setdefault("sources", {})
        if source is not None:
            known = sources.get(source)
            if known is not None and known != verified.data.id:
                raise _err("REGISTRY_WRONG_ID", Message("{source} served registry {known} before and now serves "
                                                        "{id}; one source serves one registry", source=source,
                                                        known=repr(known), id=repr(verified.data.id)))
        entry: dict[str, Any] = {"version": verified.data.version, "digest": verified.digest}
        if verified.anchors.sequence > 0:
            entry["anchors"] = verified.anchors.to_json()
        previous = value["registries"].get(verified.data.id)
        unchanged = isinstance(previous, dict) and {k: v for k, v in previous.items() if k != "acceptedAt"} == entry
        if unchanged and (source is None or sources.get(source) == verified.data.id):
            return
        value["registries"][verified.data.id] = {**entry, "acceptedAt": format_datetime(now)}
        if source is not None:
            sources[source] = verified.data.id
        try:
            atomic.write_json(self.path, value, mode=0o600)
        except OSError as exc:
            # fail closed (DESIGN decision 7): a version that cannot be remembered cannot stop a later rollback
            raise _err("REGISTRY_STATE_UNWRITABLE", Message(
                "the registry state file {file} cannot be written ({why}): the registry's version cannot be "
                "remembered, so a rollback could not be detected", file=self.path.name,
                why=exc.strerror or type(exc).__name__)) from exc


# --- fetching: the client -------------------------------------------------------------------------

@dataclass(frozen=True)
class LoadedRegistry:
    """A verified registry as a client obtained it."""

    verified: VerifiedRegistry
    source: str
    from_cache: bool = False
    age: timedelta | None = None
    warnings: tuple[str, ...] = ()

    @property
    def data(self) -> RegistryData:
        return self.verified.data


def _default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("omc-vc")) / "registry"


def _age_text(age: timedelta) -> Message:
    seconds = int(age.total_seconds())
    if seconds < 120:
        return Plural("{n} second", "{n} seconds", "n", n=seconds)
    if seconds < 7200:
        return Plural("{n} minute", "{n} minutes", "n", n=seconds // 60)
    if seconds < 172800:
        return Plural("{n} hour", "{n} hours", "n", n=seconds // 3600)
    return Plural("{n} day", "{n} days", "n", n=seconds // 86400)


def _is_url(source: str) -> bool:
    return source.startswith(("https://", "http://"))


class RegistryClient:
    """Obtain the ministry's registry, verified, from a URL or a file.

    ``load()`` verifies against the pinned ``anchors`` (following a signed rotation chain when the
    registry is signed by newer keys), refuses rollback using the state file, and for URLs keeps an
    atomically written cache. Offline, or when the network fails, a cached copy fetched less than
    ``max_cache_age`` ago is used with a warning giving its age; otherwise loading fails closed.
    """

    def __init__(self, source: str | Path, anchors: Anchors, *, fetcher: Fetcher | None = None,
                 cache_dir: Path | None = None, state_file: Path | None = None, offline: bool = False,
                 max_cache_age: timedelta = DEFAULT_MAX_CACHE_AGE, rotations: Sequence[dict[str, Any]] = (),
                 clock: Clock = utcnow, reuse_for: timedelta = DEFAULT_REUSE) -> None:
        self.source = str(source)
        self.anchors = anchors
        self.fetcher = fetcher
        self.cache_dir = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
        self.state = RegistryState(Path(state_file) if state_file is not None else self.cache_dir / "state.json")
        self.offline = offline
        self.max_cache_age = max_cache_age
        self.rotations = list(rotations)
        self.clock = clock
        self.reuse_for = reuse_for
        # the registry held: (it, when it was loaded, the moment it stops being reused), replaced whole
        self._held: tuple[LoadedRegistry, datetime, datetime] | None = None
        self._lock = threading.Lock()

    # --- public ---
    def load(self, *, now: datetime | None = None, refresh: bool = False) -> LoadedRegistry:
        """The verified registry. A long-lived client (the web service) reuses it for ``reuse_for``
        and never past its ``validUntil``; ``refresh=True`` fetches again. Thread-safe.
        """
        moment = now or self.clock()
        held = self._held  # one tuple, replaced whole: read without the lock
        if held is not None and not refresh and held[1] <= moment < held[2]:
            return held[0]
        with self._lock:
            held = self._held
            if held is not None and not refresh and held[1] <= moment < held[2]:
                return held[0]
            loaded = self._load_url(moment) if _is_url(self.source) else self._load_path(moment)
            until = min(shift(moment, self.reuse_for), loaded.verified.valid_until)
            if loaded.age is not None:
                # a copy read from the cache (its fetch failed) is never used past max_cache_age either
                until = min(until, moment - loaded.age + self.max_cache_age)
            self._held = (loaded, moment, until)
            return loaded

    # --- files ---
    def _load_path(self, now: datetime) -> LoadedRegistry:
        path = Path(self.source)
        # the file by its name only: a service's registry path is not for the people it answers
        try:
            size = path.stat().st_size
            if size > MAX_REGISTRY_BYTES:
                raise _err("REGISTRY_TOO_LARGE", Message("the registry {file} is {size} bytes, over the "
                                                         "{limit}-byte limit", file=path.name, size=size,
                                                         limit=MAX_REGISTRY_BYTES))
            raw = path.read_bytes()
        except OSError as exc:
            raise _err("REGISTRY_UNAVAILABLE", Message("cannot read the registry {file}: {why}", file=path.name,
                                                       why=exc.strerror or type(exc).__name__)) from exc
        verified = self._accept(raw, now)
        return LoadedRegistry(verified, self.source, warnings=self._demo_warning(verified))

    # --- URLs ---
    def _cache_path(self) -> Path:
        return self.cache_dir / f"registry-{hashlib.sha256(self.source.encode()).hexdigest()[:24]}.json"

    def _read_cache(self) -> dict[str, Any] | None:
        path = self._cache_path()
        if not path.exists():
            return None
        try:
            entry = loads_object(path.read_bytes(), max_bytes=MAX_REGISTRY_BYTES * 2, what=Message("registry cache"))
            parse_datetime(entry.get("fetchedAt"))
        except (OSError, InputError, MalformedValueError):
            return None  # an unreadable cache is no cache: never trusted, re-fetched
        if entry.get("url") != self.source or not isinstance(entry.get("document"), str):
            return None
        return entry

    def _write_cache(self, text: str, etag: str | None, now: datetime) -> None:
        # an unwritable cache folder costs only the offline fallback: the registry was verified
        with contextlib.suppress(OSError):
            atomic.write_json(self._cache_path(), _drop_none({"url": self.source, "etag": etag,
                                                              "fetchedAt": format_datetime(now), "document": text}))

    def _load_url(self, now: datetime) -> LoadedRegistry:
        cached = self._read_cache()
        if self.offline or self.fetcher is None:
            why = Message("offline") if self.offline else Message("no network fetcher is configured")
            return self._from_cache(cached, now, why)
        headers = {}
        if cached and isinstance(cached.get("etag"), str):
            headers["If-None-Match"] = cached["etag"]
        try:
            response = self.fetcher.get(self.source, headers=headers, max_bytes=MAX_REGISTRY_BYTES)
        except FetchError as exc:
            if exc.code == "FETCH_TOO_LARGE":
                raise _err("REGISTRY_TOO_LARGE", Message("the registry at {url} is over the {limit}-byte limit",
                                                         url=self.source, limit=MAX_REGISTRY_BYTES)) from exc
            return self._from_cache(cached, now, Message("the registry could not be fetched ({reason})",
                                                         reason=exc.detail))
        if response.status == 304 and cached is not None:
            verified = self._accept(cached["document"].encode("utf-8"), now)
            self._write_cache(cached["document"], response.etag or cached.get("etag"), now)
            return LoadedRegistry(verified, self.source, warnings=self._demo_warning(verified))
        if response.status != 200:
            return self._from_cache(cached, now, Message("{url} answered HTTP {status}", url=self.source,
                                                         status=str(response.status)))
        text = self._decode(response.content)
        verified = self._accept(response.content, now)
        self._write_cache(text, response.etag, now)
        return LoadedRegistry(verified, self.source, warnings=self._demo_warning(verified))

    def _from_cache(self, cached: dict[str, Any] | None, now: datetime, why: Message) -> LoadedRegistry:
        # DESIGN decision 7: fail closed unless a fresh cached copy exists
        if cached is None:
            raise _err("REGISTRY_UNAVAILABLE", Message("{why}, and there is no cached copy of the registry", why=why))
        fetched = parse_datetime(cached["fetchedAt"])
        age = now - fetched
        if age > self.max_cache_age or age < -CLOCK_SKEW:
            raise _err("REGISTRY_STALE", Message("{why}, and the cached registry is {age} old (limit {limit}): "
                                                 "refusing to decide on stale data", why=why, age=_age_text(age),
                                                 limit=_age_text(self.max_cache_age)))
        verified = self._accept(cached["document"].encode("utf-8"), now)
        warning = Message("{why}: using the cached registry (version {version}) fetched {age} ago", why=why,
                          version=str(verified.data.version), age=_age_text(age))
        return LoadedRegistry(verified, self.source, from_cache=True, age=age,
                              warnings=(warning, *self._demo_warning(verified)))

    @staticmethod
    def _decode(content: bytes) -> str:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _malformed(Message("the registry is not UTF-8 text")) from exc

    @staticmethod
    def _demo_warning(verified: VerifiedRegistry) -> tuple[str, ...]:
        if verified.anchors.demo:
            return (_DEMO_WARNING,)
        return ()

    # --- verification with state and rotation ---
    def _parse(self, content: bytes) -> dict[str, Any]:
        if len(content) > MAX_REGISTRY_BYTES:
            raise _err("REGISTRY_TOO_LARGE", Message("the registry is {size} bytes, over the {limit}-byte limit",
                                                     size=len(content), limit=MAX_REGISTRY_BYTES))
        try:
            return loads_object(content, max_bytes=MAX_REGISTRY_BYTES, what=Message("the registry"))
        except InputError as exc:
            raise _malformed(exc.detail) from exc

    def _accept(self, content: bytes, now: datetime) -> VerifiedRegistry:
        document = self._parse(content)
        claimed_id = document.get("id") if isinstance(document.get("id"), str) else None
        anchors = self.state.anchors_for(claimed_id, self.anchors) if claimed_id else self.anchors
        try:
            verified = verify_registry(document, anchors, now=now)
        except RegistryError as exc:
            if exc.code not in ("REGISTRY_UNTRUSTED_SIGNER", "REGISTRY_THRESHOLD_NOT_MET"):
                raise
            rotated = self._follow_rotations(anchors, now)
            if rotated is anchors:
                raise
            verified = verify_registry(document, rotated, now=now)
        # rollback attack: never go back to an older version than one already accepted
        self.state.record(verified, now, source=self.source)
        return verified

    def _rotation_documents(self) -> list[dict[str, Any]]:
        found = list(self.rotations)
        try:
            if _is_url(self.source):
                if self.fetcher is None or self.offline:
                    return found
                response = self.fetcher.get(urljoin(self.source, ROTATIONS_FILE), max_bytes=MAX_REGISTRY_BYTES)
                if response.status != 200:
                    return found
                raw = response.content
            else:
                path = Path(self.source).with_name(ROTATIONS_FILE)
                if not path.is_file() or path.stat().st_size > MAX_REGISTRY_BYTES:
                    return found
                raw = path.read_bytes()
            # untrusted until verified: read like every other document (no NaN, no lone surrogates, capped)
            value = loads(raw, max_bytes=MAX_REGISTRY_BYTES, what=Message("the rotations file"))
        except (OSError, FetchError, InputError):
            return found  # no usable chain: the caller reports the original signer error
        if isinstance(value, list):
            found.extend(v for v in value if isinstance(v, dict))
        return found

    def _follow_rotations(self, anchors: Anchors, now: datetime) -> Anchors:
        """Apply, in order, each rotation that continues from ``anchors`` (TUF root chain walk)."""
        current = anchors
        documents = self._rotation_documents()
        progressed = True
        while progressed:
            progressed = False
            for rotation in documents:
                try:
                    current = current.rotate(copy.deepcopy(rotation), now=now)
                except RegistryError:
                    continue
                progressed = True
        return current


def institutions_table(data: RegistryData, now: datetime) -> list[dict[str, Any]]:
    """A plain summary per institution (for ``omc registry show``)."""
    rows = []
    for item in data.institutions:
        rows.append({"legalName": item.legal_name, "type": item.kind, "consent": item.consent.status_at(now),
                     "scope": list(item.consent.scope), "reference": item.consent.reference,
                     "dids": [w.to_json() for w in item.dids]})
    return rows


def iter_partners(data: RegistryData) -> Iterable[tuple[Institution, Institution, Partnership]]:
    for partnership in data.partnerships:
        pcc = data.institution(partnership.pcc)
        partner = data.institution(partnership.partner)
        if pcc is not None and partner is not None:
            yield pcc, partner, partnership
