"""Revoke, suspend and unsuspend issued OMCs; publish the signed Bitstring Status Lists.

Bitstring Status List v1.0 §3.1 (issuer side): the status of a credential is the bit at its
``statusListIndex`` in the list named by ``statusListCredential``; the issuer flips it and republishes
the signed BitstringStatusListCredential. Revocation is permanent (§2.1 statusPurpose "revocation");
suspension may be lifted. ``publish`` writes every list the institution has ever allocated from to a
folder ready for any static web server (file name = the last segment of the list URL).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from omc_vc._internal import atomic
from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.bitstring import set_status
from omc_vc.errors import IssuanceError
from omc_vc.issue.config import InstitutionConfig
from omc_vc.issue.state import CredentialRecord, IssuanceState
from omc_vc.issue.status_lists import build_status_list_credential
from omc_vc.keys import KeyPair

__all__ = ["credential_ref", "publish_status_lists", "revoke", "suspend", "unsuspend"]

MAX_CREDENTIAL_FILE_BYTES = 1_000_000


def credential_ref(ref: str) -> str:
    """A credential id, given as the id itself or as the path of the credential's JSON file."""
    path = Path(ref)
    if not ref.startswith(("urn:", "http://", "https://", "did:")) and path.is_file():
        if path.stat().st_size > MAX_CREDENTIAL_FILE_BYTES:
            raise IssuanceError(f"{ref} is too large to be a credential file")
        document = loads_object(path.read_bytes(), what=ref)
        ident = document.get("id")
        if not isinstance(ident, str):
            raise IssuanceError(f"{ref} has no credential id", field="id")
        return ident
    return ref


def revoke(config: InstitutionConfig, ref: str, *, now: datetime | None = None) -> CredentialRecord:
    """Mark a credential revoked (permanent). Publish the lists afterwards."""
    with IssuanceState(config.state_path) as state:
        return state.set_revoked(credential_ref(ref), format_datetime(now or utcnow()))


def suspend(config: InstitutionConfig, ref: str) -> CredentialRecord:
    with IssuanceState(config.state_path) as state:
        return state.set_suspended(credential_ref(ref), True)


def unsuspend(config: InstitutionConfig, ref: str) -> CredentialRecord:
    with IssuanceState(config.state_path) as state:
        return state.set_suspended(credential_ref(ref), False)


def _file_name(url: str) -> str:
    name = url.rstrip("/").rsplit("/", 1)[-1]
    if not name or name.startswith(".") or name in ("..",) or "\\" in name:
        raise IssuanceError(f"status list URL {url!r} does not end in a usable file name")
    return name


def publish_status_lists(config: InstitutionConfig, out_dir: str | Path, *, key: KeyPair,
                         now: datetime | None = None) -> list[Path]:
    """Write every status list, signed, into ``out_dir`` (atomically). Returns the files written."""
    moment = (now or utcnow()).replace(microsecond=0)
    valid_until = moment + timedelta(days=config.status.valid_days)
    ttl_ms = config.status.ttl_minutes * 60_000 if config.status.ttl_minutes else None
    target = Path(out_dir)
    written: list[Path] = []
    with IssuanceState(config.state_path) as state:
        lists = state.lists()
        bits_on = {info.url: state.set_indices(info.url) for info in lists}
    for info in lists:
        bitstring = bytearray(info.bits // 8)
        for index in bits_on[info.url]:
            set_status(bitstring, index, 1)  # BSL §3.1 step 3, MSB-first
        document = build_status_list_credential(list_url=info.url, key=key, issuer=config.did, purpose=info.purpose,
                                                bitstring=bytes(bitstring), valid_from=moment,
                                                valid_until=valid_until, ttl_ms=ttl_ms)
        path = target / _file_name(info.url)
        atomic.write_json(path, document)
        written.append(path)
    return written
