"""Named checks on credentials and presentations that need no network: data model, validity period.

Each function returns a :class:`~omc_vc.model.Check`; it never raises for a bad document. The checks
that plug into a :class:`~omc_vc.verify.Verifier` live beside these in submodules: the Bitstring Status
List check in :mod:`omc_vc.checks.status` (importing this package does not import them).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from omc_vc._internal.multibase import multibase_decode
from omc_vc._internal.timeutil import parse_datetime
from omc_vc.errors import MalformedValueError
from omc_vc.i18n import Message
from omc_vc.model import VC_V1_CONTEXT, VC_V2_CONTEXT, Check, as_list, holder_id, is_url, issuer_id, types

V2 = VC_V2_CONTEXT
V1 = VC_V1_CONTEXT
def _fail(name: str, detail: str, code: str = "MALFORMED_VALUE_ERROR") -> Check:
    return Check(name, "failed", detail, code)


def data_model(document: Any, kind: str) -> Check:
    """VCDM 2.0 §4 conformance of a credential (kind='credential') or presentation."""
    name = "data-model"
    if not isinstance(document, dict):
        return _fail(name, f"the {kind} is not a JSON object", "PARSING_ERROR")
    contexts = as_list(document.get("@context"))
    # §4.3: @context first item must be the v2 URL (v1 accepted for VCDM 1.1 credentials)
    if not contexts or contexts[0] not in (V2, V1):
        return _fail(name, f"the first @context must be {V2}")
    for item in contexts:
        if not isinstance(item, str | dict):
            return _fail(name, "@context entries must be URLs or objects")
    version = 2 if contexts[0] == V2 else 1
    if "id" in document and not is_url(document["id"]):
        return _fail(name, f"id {document['id']!r} is not a URL")
    tps = types(document)
    if len(tps) != len(as_list(document.get("type"))) or not tps:
        return _fail(name, "type must be a string or a list of strings")
    if kind == "credential":
        problem = _credential_model(document, tps, version)
    else:
        problem = _presentation_model(document, tps)
    if problem:
        return _fail(name, problem)
    return Check(name, "passed", Message("conforms to VCDM {version}", version="2.0" if version == 2 else "1.1"))


def _credential_model(doc: dict[str, Any], tps: list[str], version: int) -> str | None:
    if "VerifiableCredential" not in tps:
        return "type must include VerifiableCredential"
    # §4.7 issuer
    issuer = doc.get("issuer")
    if issuer is None:
        return "issuer is missing"
    if not is_url(issuer_id(doc)):
        return "issuer must be a URL or an object whose id is a URL"
    # §4.8 credentialSubject
    subjects = as_list(doc.get("credentialSubject"))
    if not subjects or not all(isinstance(s, dict) for s in subjects):
        return "credentialSubject must be an object or a list of objects"
    for subject in subjects:
        if "id" in subject and not is_url(subject["id"]):
            return f"credentialSubject.id {subject['id']!r} is not a URL"
        if not subject:
            return "credentialSubject must make at least one claim"
    # §4.9 validity period
    dates = ("validFrom", "validUntil") if version == 2 else ("issuanceDate", "expirationDate")
    if version == 1 and "issuanceDate" not in doc:
        return "issuanceDate is required in a VCDM 1.1 credential"
    parsed = {}
    for key in dates:
        if key in doc:
            try:
                # the pattern admits years Python cannot hold (e.g. 20426): those are malformed here too
                parsed[key] = parse_datetime(doc[key], field=key)
            except MalformedValueError as exc:
                return exc.detail
    if len(parsed) == 2 and parsed[dates[0]] > parsed[dates[1]]:
        return f"{dates[1]} is before {dates[0]}"
    # §4.10-§4.12, §5.4-5.6: each of these, when present, needs a type (and ids that are URLs)
    for key in ("credentialStatus", "termsOfUse", "evidence", "refreshService", "credentialSchema"):
        for item in as_list(doc.get(key)):
            if not isinstance(item, dict) or not item.get("type"):
                return f"every {key} entry needs a type"
            if "id" in item and not is_url(item["id"]):
                return f"{key}.id {item['id']!r} is not a URL"
            if key == "credentialSchema" and not is_url(item.get("id")):
                return "credentialSchema.id must be the URL of the schema"
    # §4.6 name / description: a string, a language value object, or a list of those
    for key in ("name", "description"):
        if key in doc and not _language_value(doc[key]):
            return f"{key} must be a string or language value object"
    return _related_resources(doc)


def _language_value(value: Any) -> bool:
    items = as_list(value)
    return bool(items) and all(isinstance(v, str) or (isinstance(v, dict) and isinstance(v.get("@value"), str))
                               for v in items)


#: VCDM 2.0 §5.3 digests: SRI algorithm -> digest length; multihash code -> (algorithm, length)
_SRI_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}
_MULTIHASH = {0x12: ("sha256", 32), 0x13: ("sha512", 64), 0x20: ("sha384", 48)}
_BARE_DIGESTS = {32: "sha256", 48: "sha384", 64: "sha512"}


def digest_multibase(value: Any) -> tuple[str, bytes] | None:
    """``(algorithm, digest)`` of a relatedResource ``digestMultibase`` (VCDM 2.0 §5.3): a multibase-encoded
    sha-2 multihash, or a multibase-encoded bare sha-2 digest as the W3C VCDM 2.0 suite and other issuers
    send (told apart by length: a multihash carries two header bytes). None when it is neither."""
    try:
        raw = multibase_decode(str(value))
    except MalformedValueError:
        return None
    known = _MULTIHASH.get(raw[0]) if len(raw) >= 2 else None
    if known is not None and raw[1] == known[1] and len(raw) == 2 + known[1]:
        return known[0], raw[2:]
    algorithm = _BARE_DIGESTS.get(len(raw))
    return (algorithm, raw) if algorithm else None


def _sri_ok(value: Any) -> bool:
    """A ``digestSRI`` (Subresource Integrity §3.5): space-separated ``alg-base64`` tokens of sha-2 digests."""
    if not isinstance(value, str) or not value.strip():
        return False
    for token in value.split():
        algorithm, _, b64 = token.partition("-")
        try:
            raw = base64.b64decode(b64, validate=True)
        except ValueError:
            return False
        if _SRI_LENGTHS.get(algorithm) != len(raw):
            return False
    return True


def _related_resources(doc: dict[str, Any]) -> str | None:
    # §5.3: each relatedResource needs a unique id and a digest of its algorithm's length
    seen: set[str] = set()
    for item in as_list(doc.get("relatedResource")):
        if not isinstance(item, dict) or not is_url(item.get("id")):
            return "relatedResource entries need an id that is a URL"
        if item["id"] in seen:
            return f"relatedResource id {item['id']!r} appears twice"
        seen.add(item["id"])
        if "digestSRI" not in item and "digestMultibase" not in item:
            return f"relatedResource {item['id']!r} has neither digestSRI nor digestMultibase"
        if "digestSRI" in item and not _sri_ok(item["digestSRI"]):
            return f"relatedResource {item['id']!r}: digestSRI is not a sha-2 digest in base64"
        if "digestMultibase" in item and digest_multibase(item["digestMultibase"]) is None:
            return f"relatedResource {item['id']!r}: digestMultibase is not a sha-2 digest or multihash"
        if "mediaType" in item and not (isinstance(item["mediaType"], str) and
                                        re.fullmatch(r"[\w.+-]+/[\w.+-]+(;.*)?", item["mediaType"])):
            return f"relatedResource {item['id']!r}: mediaType is malformed"
    return None


#: the code of a relatedResource whose digest does not match the resource this verifier uses
RELATED_RESOURCE_CODE = "RELATED_RESOURCE_DIGEST_ERROR"


def related_resources_in_use(document: dict[str, Any], content: Callable[[str], bytes | None]) -> str | None:
    """VCDM 2.0 §5.3: "If the digest provided by the issuer does not match the digest computed for the
    retrieved resource, the conforming verifier implementation MUST produce an error." The resources this
    toolkit uses are the document's contexts, served from the bundle (``content(url)``: their exact
    bytes, or None); a relatedResource naming one of them must match those bytes. Others are not retrieved."""
    contexts = {c for c in as_list(document.get("@context")) if isinstance(c, str)}
    for item in as_list(document.get("relatedResource")):
        if not isinstance(item, dict) or item.get("id") not in contexts:
            continue
        used = content(item["id"])
        if used is not None and not related_resource_digest_ok(item, used):
            return (f"relatedResource {item['id']!r}: its digest does not match the context this verifier uses "
                    "(the issuer hashed another version of it)")
    return None


def related_resource_digest_ok(item: dict[str, Any], content: bytes) -> bool:
    """Compare a fetched resource against its relatedResource digests (VCDM 2.0 §5.3); every digest given
    must match."""
    if "digestSRI" in item:
        if not _sri_ok(item["digestSRI"]):
            return False
        for token in str(item["digestSRI"]).split():
            algorithm, _, b64 = token.partition("-")
            if base64.b64decode(b64) != hashlib.new(algorithm, content).digest():
                return False
    if "digestMultibase" in item:
        found = digest_multibase(item["digestMultibase"])
        if found is None or hashlib.new(found[0], content).digest() != found[1]:
            return False
    return True


def _presentation_model(doc: dict[str, Any], tps: list[str]) -> str | None:
    if "VerifiablePresentation" not in tps:
        return "type must include VerifiablePresentation"
    if "holder" in doc and not is_url(holder_id(doc)):
        return "holder must be a URL or an object whose id is a URL"
    for item in as_list(doc.get("verifiableCredential")):
        if not isinstance(item, dict):
            return "verifiableCredential entries must be objects (not strings or URLs)"
        # VCDM 2.0 §4.13: verifiableCredential holds credentials. A presentation nested here would be
        # verified without the verifier's challenge: a captured presentation could be replayed inside it.
        if "VerifiablePresentation" in types(item) or "EnvelopedVerifiablePresentation" in types(item):
            return "verifiableCredential must not contain a presentation (a nested presentation is a replay risk)"
    return None


def _validity_keys(document: dict[str, Any]) -> tuple[str, str]:
    if "validFrom" not in document and "issuanceDate" in document:
        return "issuanceDate", "expirationDate"
    return "validFrom", "validUntil"


def validity_window(document: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The validity period's start and end (None: open) as :func:`validity_period` reads them; raises
    MalformedValueError for a date that is not a dateTimeStamp. ``now`` is inside it when
    ``(start is None or start <= now) and (end is None or now <= end)``."""
    start_key, end_key = _validity_keys(document)
    start = parse_datetime(document[start_key], field=start_key) if start_key in document else None
    end = parse_datetime(document[end_key], field=end_key) if end_key in document else None
    return start, end


def validity_period(document: dict[str, Any], now: datetime) -> Check:
    """VCDM 2.0 §4.9 (and 1.1 issuanceDate/expirationDate): is ``now`` inside the validity period?"""
    name = "validity-period"
    start_key, end_key = _validity_keys(document)
    try:
        start, end = validity_window(document)
    except MalformedValueError as exc:
        return _fail(name, exc.detail)
    # the moments as the document writes them (date-times: a day alone would hide the hour that decides)
    if start and now < start:
        return _fail(name, Message("not valid yet: valid from {start}", start=str(document[start_key])),
                     "CREDENTIAL_NOT_YET_VALID")
    if end and now > end:
        return _fail(name, Message("expired on {end}", end=str(document[end_key])), "CREDENTIAL_EXPIRED")
    begins = str(document[start_key]) if start_key in document else None
    ends = str(document[end_key]) if end_key in document else None
    if begins and ends:
        span = Message("valid from {start} until {end}", start=begins, end=ends)
    elif begins:
        span = Message("valid from {start}, with no end date", start=begins)
    elif ends:
        span = Message("valid until {end}", end=ends)
    else:
        span = Message("valid at any time (it states no validity dates)")
    return Check(name, "passed", span)
