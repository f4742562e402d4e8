"""W3C Bitstring Status List v1.0 (REC 2025-05-15), the issuer's side: entries and signed list credentials.

:func:`status_entry` builds a credential's ``BitstringStatusListEntry`` (§2.1) and
:func:`build_status_list_credential` signs a ``BitstringStatusListCredential`` (§2.2, §3.1) over a
bitstring edited with :func:`omc_vc.bitstring.set_status`. The bitstring and the entry rules are the
shared model in :mod:`omc_vc.bitstring`; the verifier's check is :mod:`omc_vc.checks.status`.

>>> status_entry("https://ex.ca/status/1", 94567, "revocation")["statusListIndex"]
'94567'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.bitstring import (
    ENTRY_TYPE,
    LIST_CREDENTIAL_TYPE,
    LIST_TYPE,
    MIN_BITS,
    encode_bitstring,
    malformed,
    parse_entry,
)
from omc_vc.errors import StatusError
from omc_vc.i18n import Message
from omc_vc.keys import KeyPair
from omc_vc.model import VC_V2_CONTEXT, is_url, issuer_id
from omc_vc.proofs.data_integrity import add_proof

__all__ = ["build_status_list_credential", "status_entry"]


def status_entry(list_url: str, index: int, purpose: str, *, size: int = 1,
                 messages: Iterable[Mapping[str, str]] | None = None) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` for ``credentialStatus`` (§2.1).

    ``statusListIndex`` is the index as a base-10 string; the entry's ``id`` is ``{list_url}#{index}``
    (never the list URL itself). ``size`` > 1 needs ``messages``, one ``{"status": "0x..", "message"}``
    per possible value.
    """
    if not is_url(list_url) or "#" in list_url:
        raise StatusError(Message("status list URL {list_url} is not an absolute URL without a fragment",
                                  list_url=repr(list_url)),
                          code="MALFORMED_VALUE_ERROR")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise StatusError(Message("statusListIndex must be an integer >= 0, not {index}",
                                  index=repr(index)), code="RANGE_ERROR")
    if not isinstance(purpose, str) or not purpose:
        raise malformed(Message("statusPurpose must be a non-empty string"))
    entry: dict[str, Any] = {
        "id": f"{list_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
    message_list = [dict(m) for m in messages] if messages is not None else None
    if size != 1 or message_list is not None:
        entry["statusSize"] = size
        if message_list is None:
            raise malformed(Message("statusMessage is required when statusSize is greater than 1"))
        entry["statusMessage"] = message_list
    parse_entry(entry)  # the same rules the verifier applies (omc_vc.bitstring)
    return entry


def build_status_list_credential(*, list_url: str, key: KeyPair, issuer: str | dict[str, Any], purpose: str,
                                 bitstring: bytes, valid_from: datetime | None = None,
                                 valid_until: datetime | None = None, ttl_ms: int | None = None,
                                 created: datetime | None = None) -> dict[str, Any]:
    """A signed ``BitstringStatusListCredential`` (§2.2, §3.1).

    Only the VCDM 2.0 context is used: it defines every status-list term. The proof is
    eddsa-rdfc-2022 for an Ed25519 key and ecdsa-rdfc-2019 for a P-256 key; ``key`` must belong to
    ``issuer`` (the verifier accepts only lists signed by the credential's own issuer). ``validFrom``
    and the proof's ``created`` default to now; ``ttl_ms`` is ``credentialSubject.ttl``.
    """
    if not is_url(list_url) or "#" in list_url:
        raise malformed(Message("status list URL {list_url} is not an absolute URL without a fragment",
                                list_url=repr(list_url)))
    issuer_url = issuer_id({"issuer": issuer})
    if not is_url(issuer_url):
        raise malformed(Message("issuer must be a URL or an object whose id is a URL"))
    if key.controller != issuer_url:
        raise StatusError(Message("the signing key belongs to {controller}, not to the issuer {issuer_url}",
                                  controller=key.controller, issuer_url=issuer_url),
                          code="PROOF_GENERATION_ERROR")
    if not isinstance(purpose, str) or not purpose:
        raise malformed(Message("statusPurpose must be a non-empty string"))
    if not isinstance(bitstring, bytes | bytearray):
        raise malformed(Message("bitstring must be bytes"))
    # §2.2 encodedList: "The uncompressed bitstring MUST be at least 16KB in size"
    if len(bitstring) * 8 < MIN_BITS:
        raise StatusError(Message("a status list needs at least {least} bits (16KB), this one has {bits}",
                                  least=MIN_BITS, bits=len(bitstring) * 8),
                          code="STATUS_LIST_LENGTH_ERROR")
    if ttl_ms is not None and (isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms < 0):
        raise malformed(Message("ttl must be a number of milliseconds >= 0, not {ttl_ms}", ttl_ms=repr(ttl_ms)))
    start = valid_from or utcnow()
    if valid_until is not None and valid_until <= start:
        raise malformed(Message("validUntil must be later than validFrom"))
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": LIST_TYPE,
        "statusPurpose": purpose,
        "encodedList": encode_bitstring(bytes(bitstring)),
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    document: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": format_datetime(start),
    }
    if valid_until is not None:
        document["validUntil"] = format_datetime(valid_until)
    document["credentialSubject"] = subject
    # §3.1 step 5: generate a proof for the status list credential
    return add_proof(document, key, created=created or utcnow())
