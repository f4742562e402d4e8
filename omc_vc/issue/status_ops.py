"""Revoke, suspend and unsuspend issued credentials; produce the signed Bitstring Status Lists.

Bitstring Status List v1.0 §3.1 (issuer side): the status of a credential is the bit at its
``statusListIndex`` in the list named by ``statusListCredential``; the issuer flips it and republishes
the signed BitstringStatusListCredential. Revocation is permanent (§2.1 statusPurpose "revocation");
suspension may be lifted.

One flow makes the signed lists from the store (:func:`signed_status_lists`), for both ways of
publishing them: ``omc status publish`` writes every list to a folder ready for any static web server
(file name = the last segment of the list URL; :func:`publish_status_lists`), and ``omc serve`` hosts
them at ``/status/`` (:func:`hosted_status_lists`: a list is signed again only when a bit changed or
half of its validity has passed; the signed copy is kept in the store).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from omc_vc._internal import atomic
from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.timeutil import format_datetime, parse_datetime, utcnow
from omc_vc.bitstring import set_status
from omc_vc.errors import IssuanceError
from omc_vc.i18n import Message
from omc_vc.issue.issuer import Issuer
from omc_vc.issue.records import Action, RecordStore, StatusChange, record_store
from omc_vc.issue.status_lists import build_status_list_credential
from omc_vc.issue.store import REVOCATION, SUSPENSION, CredentialRecord, ListInfo, SignedList, Store

__all__ = ["change_status", "credential_ref", "hosted_status_lists", "publish_status_lists", "revoke",
           "set_record_status", "signed_status_lists", "suspend", "unsuspend"]

MAX_CREDENTIAL_FILE_BYTES = 1_000_000


def credential_ref(ref: str) -> str:
    """A credential id, given as the id itself or as the path of the credential's JSON file."""
    path = Path(ref)
    if not ref.startswith(("urn:", "http://", "https://", "did:")) and path.is_file():
        if path.stat().st_size > MAX_CREDENTIAL_FILE_BYTES:
            raise IssuanceError(Message("{ref} is too large to be a credential file", ref=ref))
        document = loads_object(path.read_bytes(), what=ref)
        ident = document.get("id")
        if not isinstance(ident, str):
            raise IssuanceError(Message("{ref} has no credential id", ref=ref), field="id")
        return ident
    return ref


def change_status(store: Store, ref: str, purpose: str, value: bool, *,
                  now: datetime | None = None) -> list[CredentialRecord]:
    """Set (True) or clear (False) ``purpose``'s bit of every credential recorded under ``ref`` (its id, or
    the id a VC-API caller gave it). Revocation is irreversible (BSL §2.1): clearing a set revocation
    bit is refused (STATUS_IRREVERSIBLE); a credential with no entry of ``purpose`` is an IssuanceError.
    A store that keeps records (:class:`~omc_vc.issue.records.RecordStore`) keeps each change in the status
    history."""
    if isinstance(store, RecordStore) and (value or purpose == SUSPENSION):
        return _recorded_change(store, ref, purpose, value, now=now)
    if purpose == REVOCATION:
        if value:
            return store.set_revoked(ref, format_datetime(now or utcnow()))
        records = store.find(ref)
        if not records:
            raise IssuanceError(Message("no credential {ref} is recorded",
                                        ref=repr(ref)), field="credential", code="NOT_FOUND")
        if any(r.revoked is not None for r in records):
            raise IssuanceError(Message("a revoked credential cannot be reinstated (revocation is irreversible)"),
                                code="STATUS_IRREVERSIBLE")
        if not any(r.status_list for r in records):
            raise IssuanceError(Message("{ref} has no revocation status entry", ref=ref), field="credential")
        return records
    if purpose == SUSPENSION:
        return store.set_suspended(ref, value)
    raise IssuanceError(Message("statusPurpose {purpose} is not supported ({revocation}, {suspension})",
                                purpose=repr(purpose), revocation=REVOCATION, suspension=SUSPENSION),
                        code="MALFORMED_VALUE_ERROR")


def _recorded_change(store: RecordStore, ref: str, purpose: str, value: bool, *,
                     now: datetime | None) -> list[CredentialRecord]:
    """:func:`change_status` through the records: every credential under ``ref`` checked first, then each
    changed (and its change kept in the status history)."""
    records = store.find(ref)
    if not records:
        raise IssuanceError(Message("no credential {ref} is recorded",
                                    ref=repr(ref)), field="credential", code="NOT_FOUND")
    action: Action
    if purpose == REVOCATION:
        action = "revoke"
        if any(r.status_list is None for r in records):
            raise IssuanceError(Message("{ref} has no revocation status entry", ref=ref), field="credential")
    elif purpose == SUSPENSION:
        action = "suspend" if value else "unsuspend"
        if any(r.suspension_list is None for r in records):
            raise IssuanceError(Message("{ref} was issued without a suspension status entry; it can only be revoked",
                                        ref=ref),
                                field="credential")
        if not value and any(r.revoked is not None for r in records):
            raise IssuanceError(Message("{ref} is revoked; revocation is permanent",
                                        ref=ref), code="STATUS_IRREVERSIBLE")
    else:
        raise IssuanceError(Message("statusPurpose {purpose} is not supported ({revocation}, {suspension})",
                                purpose=repr(purpose), revocation=REVOCATION, suspension=SUSPENSION),
                            code="MALFORMED_VALUE_ERROR")
    when = format_datetime(now or utcnow())
    return [store.record_status(r.id, action, when=when).record for r in records]


def set_record_status(store: Store, credential_id: str, action: Action, *, reason: str | None = None,
               now: datetime | None = None) -> StatusChange:
    """Revoke, suspend or unsuspend one recorded credential (its record id), keeping the change and the
    registrar's reason in the records (never in the published list: BSL §3.1 carries one bit). Says when
    nothing changes (:attr:`StatusChange.changed` False, :attr:`StatusChange.why`)."""
    return record_store(store).record_status(credential_id, action, when=format_datetime(now or utcnow()),
                                             reason=reason)


def _one_change(store: Store, ref: str, action: Action, reason: str | None,
                now: datetime | None) -> CredentialRecord:
    ident = credential_ref(ref)
    if isinstance(store, RecordStore):
        found = store.find(ident)
        if not found:
            raise IssuanceError(Message("no credential {ref} is recorded",
                                        ref=repr(ident)), field="credential", code="NOT_FOUND")
        changed = [set_record_status(store, r.id, action, reason=reason, now=now).record for r in found]
        return changed[0]
    purpose, value = {"revoke": (REVOCATION, True), "suspend": (SUSPENSION, True),
                      "unsuspend": (SUSPENSION, False)}[action]
    return change_status(store, ident, purpose, value, now=now)[0]


def revoke(store: Store, ref: str, *, now: datetime | None = None, reason: str | None = None) -> CredentialRecord:
    """Mark a credential (id or file) revoked (permanent). Publish the lists afterwards."""
    return _one_change(store, ref, "revoke", reason, now)


def suspend(store: Store, ref: str, *, reason: str | None = None) -> CredentialRecord:
    return _one_change(store, ref, "suspend", reason, None)


def unsuspend(store: Store, ref: str, *, reason: str | None = None) -> CredentialRecord:
    return _one_change(store, ref, "unsuspend", reason, None)


def _file_name(url: str) -> str:
    name = url.rstrip("/").rsplit("/", 1)[-1]
    if not name or name.startswith(".") or name in ("..",) or "\\" in name:
        raise IssuanceError(Message("status list URL {url} does not end in a usable file name", url=repr(url)))
    return name


def _sign(issuer: Issuer, info: ListInfo, moment: datetime) -> SignedList:
    """The list as the store's bits show it now, signed by its issuer's key (BSL §3.1 steps 1-4)."""
    config = issuer.config
    signer = info.issuer or issuer.did
    key = issuer.keys.get(signer)
    if key is None:
        raise IssuanceError(Message("no key is configured for the status lists of {signer}",
                                    signer=signer), field="keys")
    valid_until = moment + timedelta(days=config.status.valid_days)
    ttl_ms = config.status.ttl_minutes * 60_000 if config.status.ttl_minutes else None
    bitstring = bytearray(info.bits // 8)
    for index in issuer.store.set_indices(info.url):
        set_status(bitstring, index, 1)  # BSL §3.1 step 3, MSB-first
    document = build_status_list_credential(list_url=info.url, key=key, issuer=signer, purpose=info.purpose,
                                            bitstring=bytes(bitstring), valid_from=moment, valid_until=valid_until,
                                            ttl_ms=ttl_ms)
    return SignedList(json.dumps(document, ensure_ascii=False), info.version, format_datetime(valid_until))


def signed_status_lists(issuer: Issuer, *, reuse: bool = False) -> dict[str, dict[str, Any]]:
    """Every list of the store, signed, by URL. With ``reuse``, a list's stored signed copy is kept while
    it shows the list's current bits and has at least half of its validity left; each copy signed here is
    stored for the next call."""
    moment = issuer.clock().replace(microsecond=0)
    half = timedelta(days=issuer.config.status.valid_days / 2)
    out: dict[str, dict[str, Any]] = {}
    for info in issuer.store.lists():
        stored = issuer.store.signed_list(info.url) if reuse else None
        if stored is None or stored.version != info.version or stored.valid_until is None \
                or parse_datetime(stored.valid_until) - half < moment:
            stored = _sign(issuer, info, moment)
            issuer.store.save_signed_list(info.url, stored)
        out[info.url] = loads_object(stored.text.encode("utf-8"), what=info.url)
    return out


def hosted_status_lists(issuer: Issuer) -> dict[str, dict[str, Any]]:
    """The signed lists ``omc serve`` hosts, by URL (signed again only when they changed or age)."""
    return signed_status_lists(issuer, reuse=True)


def publish_status_lists(issuer: Issuer, out_dir: str | Path) -> list[Path]:
    """Write every status list, freshly signed, into ``out_dir`` (atomically). Returns the files written."""
    target = Path(out_dir)
    written: list[Path] = []
    for url, document in signed_status_lists(issuer).items():
        path = target / _file_name(url)
        atomic.write_json(path, document)
        written.append(path)
    return written
