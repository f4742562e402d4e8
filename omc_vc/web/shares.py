"""Short-mode sharing: copies a learner chose to share behind a short QR link, withdrawable and expiring.

A share is ``{id, credential, expires, tokenHash}``. The withdraw token is returned once and only its
SHA-256 is kept, so a leaked store cannot withdraw anyone's share. Expired shares are gone: reading
one answers "not found" and the next sweep deletes it. Shares live in memory or, when a folder is
configured, one JSON file each (written atomically, mode 0600).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from omc_vc._internal import atomic
from omc_vc._internal.jsonio import loads
from omc_vc._internal.timeutil import format_datetime, parse_datetime, utcnow
from omc_vc.errors import InputError, OmcVcError

_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class ShareError(OmcVcError):
    """A share request that cannot be honoured (bad TTL, store full, wrong token)."""

    default_code = "SHARE_ERROR"
    title = "Share error"


@dataclass(frozen=True)
class Share:
    id: str
    credential: dict[str, Any] | str
    expires: datetime
    token_hash: str

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "credential": self.credential, "expires": format_datetime(self.expires),
                "tokenHash": self.token_hash}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def valid_share_id(share_id: str) -> bool:
    return bool(_ID.match(share_id))


class ShareStore:
    """Thread-safe store of shares; ``folder=None`` keeps them in memory only."""

    def __init__(self, folder: Path | None = None, *, max_ttl_seconds: int = 30 * 24 * 3600,
                 default_ttl_seconds: int = 7 * 24 * 3600, max_count: int = 10_000,
                 max_total_bytes: int = 256 * 1024 * 1024) -> None:
        self.folder = folder
        self.max_ttl = max_ttl_seconds
        self.default_ttl = default_ttl_seconds
        self.max_count = max_count
        self.max_total_bytes = max_total_bytes
        self._lock = threading.Lock()
        self._memory: dict[str, Share] = {}
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def create(self, credential: dict[str, Any] | str, ttl_seconds: int | None, *,
               now: datetime | None = None) -> tuple[Share, str]:
        """Store a copy; return it and the withdraw token (shown once, never stored)."""
        ttl = self.default_ttl if ttl_seconds is None else ttl_seconds
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 60 <= ttl <= self.max_ttl:
            raise ShareError(f"ttlSeconds must be an integer from 60 to {self.max_ttl}", code="BAD_TTL")
        moment = now or utcnow()
        with self._lock:
            self._sweep(moment)
            count, size = self._usage()
            incoming = len(json.dumps(credential))
            if count >= self.max_count or size + incoming > self.max_total_bytes:
                raise ShareError("the share store is full; try again later", code="SHARE_STORE_FULL")
            token = secrets.token_urlsafe(32)
            share = Share(id=secrets.token_urlsafe(16), credential=credential,
                          expires=(moment + timedelta(seconds=ttl)).replace(microsecond=0), token_hash=_hash(token))
            self._put(share)
        return share, token

    def get(self, share_id: str, *, now: datetime | None = None) -> Share | None:
        """The live share, or None when unknown, withdrawn or expired."""
        if not valid_share_id(share_id):
            return None
        moment = now or utcnow()
        with self._lock:
            share = self._read(share_id)
            if share is None:
                return None
            if share.expires <= moment:
                self._delete(share_id)
                return None
            return share

    def withdraw(self, share_id: str, token: str, *, now: datetime | None = None) -> bool:
        """Delete a share if ``token`` is its withdraw token. False when unknown or the token is wrong."""
        share = self.get(share_id, now=now)
        if share is None:
            return False
        # constant-time comparison of the token's hash
        if not hmac.compare_digest(share.token_hash, _hash(token)):
            return False
        with self._lock:
            self._delete(share_id)
        return True

    # --- storage -----------------------------------------------------------------------------------
    def _file(self, share_id: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{share_id}.json"

    def _put(self, share: Share) -> None:
        if self.folder is None:
            self._memory[share.id] = share
        else:
            atomic.write_json(self._file(share.id), share.to_record(), mode=0o600)

    def _read(self, share_id: str) -> Share | None:
        if self.folder is None:
            return self._memory.get(share_id)
        path = self._file(share_id)
        try:
            record = loads(path.read_bytes(), what="share")
            return Share(id=record["id"], credential=record["credential"],
                         expires=parse_datetime(record["expires"]), token_hash=record["tokenHash"])
        except FileNotFoundError:
            return None
        except (OSError, InputError, KeyError, TypeError, OmcVcError):
            return None  # a corrupt record is treated as absent (never served half-read)

    def _delete(self, share_id: str) -> None:
        if self.folder is None:
            self._memory.pop(share_id, None)
        else:
            self._file(share_id).unlink(missing_ok=True)

    def _usage(self) -> tuple[int, int]:
        """(number of shares, bytes they take): both are capped so anonymous shares cannot fill the disk."""
        if self.folder is None:
            return len(self._memory), sum(len(json.dumps(s.credential)) for s in self._memory.values())
        sizes = [path.stat().st_size for path in self.folder.glob("*.json")]
        return len(sizes), sum(sizes)

    def _sweep(self, moment: datetime) -> None:
        if self.folder is None:
            for share_id in [s.id for s in self._memory.values() if s.expires <= moment]:
                del self._memory[share_id]
            return
        for path in self.folder.glob("*.json"):
            share = self._read(path.stem)
            if share is None or share.expires <= moment:
                path.unlink(missing_ok=True)
