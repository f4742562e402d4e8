"""Short-mode sharing: copies a learner chose to share behind a short QR link, withdrawable and expiring.

A share is ``{id, credential, holder, expires, tokenHash}``. Only the credential's holder can create
one: the request is a Verifiable Presentation signed by the holder over a single-use server challenge
(:class:`ChallengeStore`, checked by :func:`holder_share`), and each holder has a bounded number of
live shares. The withdraw token is returned once and only its SHA-256 is kept, so a leaked store cannot
withdraw anyone's share. Expired shares are gone: reading one answers "not found" and the next sweep
deletes it. Shares live in memory, or, when a folder is configured, one JSON file each (written
atomically, mode 0600), or in a PostgreSQL database (:mod:`omc_vc.web.pg_shares`) shared by several hosts;
:func:`open_stores` opens the ones the serve configuration names. All three satisfy :class:`Shares` and
:class:`Challenges`.
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
from typing import TYPE_CHECKING, Any, Protocol

from omc_vc._internal import atomic
from omc_vc._internal.jsonio import loads
from omc_vc._internal.timeutil import format_datetime, parse_datetime, utcnow
from omc_vc.errors import ConfigError, InputError, JwtError, OmcVcError
from omc_vc.i18n import Message
from omc_vc.model import VerificationResult, as_list, holder_id, subject_ids, types
from omc_vc.proofs import jose
from omc_vc.verify import Verifier

if TYPE_CHECKING:  # pragma: no cover
    from .config import SharesConfig

_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
#: Checks of the shared credential that may fail and still let its holder share it: the page shows the
#: full verdict (expired, revoked, not an OMC) when the link is scanned. Its proof and who signed it
#: must hold.
_CREDENTIAL_MAY_FAIL = frozenset({"validity-period"})


class ShareError(OmcVcError):
    """A share request that cannot be honoured (bad TTL, store full, wrong token, no holder proof).

    ``status`` is the HTTP status the service answers with (RFC 9457 problem details).
    """

    default_code = "SHARE_ERROR"
    title = "Share error"

    def __init__(self, detail: str, *, code: str | None = None, status: int = 400, **context: Any) -> None:
        super().__init__(detail, code=code, **context)
        self.status = status


@dataclass(frozen=True)
class Share:
    id: str
    credential: dict[str, Any] | str
    expires: datetime
    token_hash: str
    #: the DID that proved it holds the credential (None only in records written before holder proofs)
    holder: str | None = None

    def to_record(self) -> dict[str, Any]:
        record = {"id": self.id, "credential": self.credential, "expires": format_datetime(self.expires),
                  "tokenHash": self.token_hash}
        if self.holder is not None:
            record["holder"] = self.holder
        return record


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def valid_share_id(share_id: str) -> bool:
    return bool(_ID.match(share_id))


def check_ttl(ttl_seconds: Any, *, default: int, most: int) -> int:
    """A share's lifetime in seconds (``default`` when None); a ShareError BAD_TTL when out of range."""
    ttl = default if ttl_seconds is None else ttl_seconds
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 60 <= ttl <= most:
        raise ShareError(Message("ttlSeconds must be an integer from 60 to {most}", most=most), code="BAD_TTL")
    return ttl


class Shares(Protocol):
    """A store of shares (memory, folder or PostgreSQL): the same limits and answers whichever it is."""

    def check_ttl(self, ttl_seconds: Any) -> int: ...

    def create(self, credential: dict[str, Any] | str, ttl_seconds: int | None, *, holder: str,
               now: datetime | None = None) -> tuple[Share, str]: ...

    def get(self, share_id: str, *, now: datetime | None = None) -> Share | None: ...

    def withdraw(self, share_id: str, token: str, *, now: datetime | None = None) -> bool: ...

    def sweep(self, *, now: datetime | None = None) -> int: ...

    def usage(self) -> tuple[int, int]: ...

    def close(self) -> None: ...


class Challenges(Protocol):
    """A store of single-use share challenges (memory, folder or PostgreSQL)."""

    def issue(self, *, now: datetime | None = None) -> tuple[str, datetime]: ...

    def consume(self, challenge: str, *, now: datetime | None = None) -> bool: ...

    def count(self) -> int: ...

    def close(self) -> None: ...


def open_stores(config: SharesConfig) -> tuple[Shares, Challenges]:
    """The share and challenge stores ``config`` names: PostgreSQL (``store``), a folder (``dir``) or memory."""
    if config.store is not None:
        try:
            from . import pg_shares
        except ImportError as exc:
            raise ConfigError(Message("shares.store names a PostgreSQL database, but psycopg is not installed: "
                                      "pip install 'omc-vc[postgres]'"), field="shares.store") from exc
        return pg_shares.open_pg_stores(config)
    shares = ShareStore(config.dir, max_ttl_seconds=config.max_ttl_seconds,
                        default_ttl_seconds=config.default_ttl_seconds, max_count=config.max_count,
                        max_total_bytes=config.max_total_bytes, max_per_holder=config.max_per_holder)
    challenges = ChallengeStore(config.dir / "challenges" if config.dir is not None else None,
                                ttl_seconds=config.challenge_ttl_seconds, max_live=config.max_challenges)
    return shares, challenges


class ShareStore:
    """Thread-safe store of shares; ``folder=None`` keeps them in memory only."""

    def __init__(self, folder: Path | None = None, *, max_ttl_seconds: int = 30 * 24 * 3600,
                 default_ttl_seconds: int = 7 * 24 * 3600, max_count: int = 10_000,
                 max_total_bytes: int = 256 * 1024 * 1024, max_per_holder: int = 20) -> None:
        self.folder = folder
        self.max_ttl = max_ttl_seconds
        self.default_ttl = default_ttl_seconds
        self.max_count = max_count
        self.max_total_bytes = max_total_bytes
        self.max_per_holder = max_per_holder
        self._lock = threading.Lock()
        self._memory: dict[str, Share] = {}
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def check_ttl(self, ttl_seconds: Any) -> int:
        """The share's lifetime in seconds (the default when None); a ShareError BAD_TTL when out of range."""
        return check_ttl(ttl_seconds, default=self.default_ttl, most=self.max_ttl)

    def create(self, credential: dict[str, Any] | str, ttl_seconds: int | None, *, holder: str,
               now: datetime | None = None) -> tuple[Share, str]:
        """Store a copy held by ``holder`` (a DID that proved it); return it and the withdraw token (shown
        once, never stored). At most ``max_per_holder`` live shares per holder."""
        ttl = self.check_ttl(ttl_seconds)
        moment = now or utcnow()
        with self._lock:
            live = self._sweep(moment)
            count, size = self._usage()
            incoming = len(json.dumps(credential))
            if count >= self.max_count or size + incoming > self.max_total_bytes:
                raise ShareError(Message("the share store is full; try again later"), code="SHARE_STORE_FULL",
                                 status=503)
            if sum(1 for held in live if held == holder) >= self.max_per_holder:
                raise ShareError(Message("{holder} already has {most} live shares, the most one holder may "
                                         "have: withdraw one (omc wallet withdraw) or wait until one expires",
                                         holder=holder, most=self.max_per_holder),
                                 code="SHARE_HOLDER_LIMIT", status=429)
            token = secrets.token_urlsafe(32)
            share = Share(id=secrets.token_urlsafe(16), credential=credential,
                          expires=(moment + timedelta(seconds=ttl)).replace(microsecond=0), token_hash=_hash(token),
                          holder=holder)
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

    def sweep(self, *, now: datetime | None = None) -> int:
        """Delete the expired (and unreadable) shares; how many were deleted."""
        with self._lock:
            before = self._usage()[0]
            return before - len(self._sweep(now or utcnow()))

    def usage(self) -> tuple[int, int]:
        """(number of shares, bytes they take), expired ones not yet swept included."""
        with self._lock:
            return self._usage()

    def close(self) -> None:
        """Nothing to release (the PostgreSQL store closes its pool)."""

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
            holder = record.get("holder")
            return Share(id=record["id"], credential=record["credential"],
                         expires=parse_datetime(record["expires"]), token_hash=record["tokenHash"],
                         holder=holder if isinstance(holder, str) else None)
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

    def _sweep(self, moment: datetime) -> list[str | None]:
        """Delete expired (and unreadable) shares; return the holders of the live ones, one per share."""
        if self.folder is None:
            for share_id in [s.id for s in self._memory.values() if s.expires <= moment]:
                del self._memory[share_id]
            return [s.holder for s in self._memory.values()]
        holders: list[str | None] = []
        for path in self.folder.glob("*.json"):
            share = self._read(path.stem)
            if share is None or share.expires <= moment:
                path.unlink(missing_ok=True)
            else:
                holders.append(share.holder)
        return holders


# --- holder proof --------------------------------------------------------------------------------------

class ChallengeStore:
    """Single-use challenges for the holder presentations that create shares.

    A challenge is 32 random bytes (base64url), lives ``ttl_seconds`` and is consumed by its first use,
    good or bad (DI 1.0 §2.1: ``challenge`` stops replay; the verifier must remember which it issued).
    At most ``max_live`` are outstanding. In memory by default; with a ``folder`` (the shares folder of a
    service run with several worker processes) one file each, named by the challenge's SHA-256, so a
    challenge issued by one worker is honoured once by any, and the unlink that consumes it succeeds in
    one process only.
    """

    def __init__(self, folder: Path | None = None, *, ttl_seconds: int = 300, max_live: int = 10_000) -> None:
        self.folder = folder
        self.ttl = ttl_seconds
        self.max_live = max_live
        self._lock = threading.Lock()
        self._memory: dict[str, datetime] = {}
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def issue(self, *, now: datetime | None = None) -> tuple[str, datetime]:
        """A fresh challenge and its expiry; ShareError SHARE_CHALLENGES_EXHAUSTED (429) when too many are live."""
        moment = now or utcnow()
        with self._lock:
            if self._count() >= self.max_live:
                self._prune(moment)
                if self._count() >= self.max_live:
                    raise ShareError(Message("too many share requests are pending; try again in a few minutes"),
                                     code="SHARE_CHALLENGES_EXHAUSTED", status=429)
            challenge = secrets.token_urlsafe(32)
            expires = (moment + timedelta(seconds=self.ttl)).replace(microsecond=0)
            if self.folder is None:
                self._memory[challenge] = expires
            else:
                atomic.write_text(self.folder / _hash(challenge), format_datetime(expires), mode=0o600)
        return challenge, expires

    def consume(self, challenge: str, *, now: datetime | None = None) -> bool:
        """True once for a challenge this store issued and that has not expired; False ever after."""
        if not isinstance(challenge, str) or not _CHALLENGE.match(challenge):
            return False
        moment = now or utcnow()
        with self._lock:
            if self.folder is None:
                expires: datetime | None = self._memory.pop(challenge, None)
            else:
                path = self.folder / _hash(challenge)
                try:
                    text = path.read_text(encoding="ascii")
                    path.unlink()  # the one unlink that succeeds is the one use
                    expires = parse_datetime(text.strip())
                except (OSError, UnicodeDecodeError, OmcVcError):
                    return False
        return expires is not None and moment < expires

    def count(self) -> int:
        """How many challenges are outstanding (expired ones not yet pruned included)."""
        with self._lock:
            return self._count()

    def close(self) -> None:
        """Nothing to release (the PostgreSQL store closes its pool)."""

    def _count(self) -> int:
        if self.folder is None:
            return len(self._memory)
        return sum(1 for _ in self.folder.iterdir())

    def _prune(self, moment: datetime) -> None:
        if self.folder is None:
            for challenge in [c for c, expires in self._memory.items() if expires <= moment]:
                del self._memory[challenge]
            return
        for path in self.folder.iterdir():
            try:
                if parse_datetime(path.read_text(encoding="ascii").strip()) <= moment:
                    path.unlink(missing_ok=True)
            except (OSError, UnicodeDecodeError, OmcVcError):
                path.unlink(missing_ok=True)


def presentation_challenge(presentation: Any) -> str:
    """The challenge a share request's presentation was signed over (read before it is verified, to be
    consumed); a ShareError when the body is not a Data Integrity presentation with one challenge."""
    if not isinstance(presentation, dict) or "VerifiablePresentation" not in types(presentation):
        raise ShareError(Message("presentation must be a Verifiable Presentation signed by the credential's holder"),
                         code="HOLDER_PROOF_REQUIRED")
    proofs = as_list(presentation.get("proof"))
    challenges = {p.get("challenge") for p in proofs if isinstance(p, dict)}
    if not proofs or len(challenges) != 1 or not isinstance(next(iter(challenges)), str):
        raise ShareError(Message("the presentation needs a Data Integrity proof (proofPurpose authentication) over "
                                 "the challenge from POST /shares/challenge"), code="HOLDER_PROOF_REQUIRED", status=403)
    return str(next(iter(challenges)))


def _failure(result: VerificationResult, allowed: frozenset[str] = frozenset()) -> str | None:
    for check in result.checks:
        if check.failed and check.name not in allowed:
            return Message("{check}: {detail}", check=check.name, detail=check.detail)
    return None


def holder_share(presentation: dict[str, Any], verifier: Verifier, *, challenge: str, domain: str,
                 now: datetime | None = None) -> tuple[dict[str, Any] | str, str]:
    """Check a share request's presentation; return the credential to host and its holder's DID.

    The presentation must verify with proofPurpose ``authentication`` over ``challenge`` and ``domain``
    (DI 1.0 §4.4 steps 5-7), name a ``holder`` that signed it (VCDM 2.0 §4.13, VC-API holder binding),
    embed exactly one credential whose own proof verifies (VCDM 2.0 §7.1), and that credential must be
    about the holder (``credentialSubject.id``): a stranger cannot share a credential issued to someone
    else, and a credential without a subject id (a bearer credential) cannot be proved held by anyone.
    Every refusal is a ShareError with its HTTP status.
    """
    holder = holder_id(presentation)
    if holder is None:
        raise ShareError(Message("the presentation must name its holder (the DID whose key signs it)"),
                         code="HOLDER_PROOF_REQUIRED", status=403)
    embedded = as_list(presentation.get("verifiableCredential"))
    if len(embedded) != 1:
        raise ShareError(Message("a share holds exactly one credential; the presentation has {count}",
                                 count=len(embedded)), code="SHARE_ONE_CREDENTIAL")
    result = verifier.verify(presentation, challenge=challenge, domain=domain, now=now)
    if result.kind != "presentation" or result.format != "di":
        raise ShareError(Message("presentation must be a Data Integrity Verifiable Presentation"),
                         code="HOLDER_PROOF_REQUIRED", status=403)
    # the holder's own proof: data model, data loss, signature, challenge, domain, holder-binding
    failed = _failure(result, frozenset({"credentials", "holder-is-subject"}))
    proof = result.check("proof")
    if failed is not None or proof is None or proof.status != "passed":
        raise ShareError(Message("the holder's presentation does not verify ({why})",
                                 why=failed or Message("proof: not checked")),
                         code="HOLDER_PROOF_INVALID", status=403)
    if len(result.credentials) != 1:
        raise ShareError(Message("the presentation's credential could not be read"), code="SHARE_CREDENTIAL_INVALID")
    sub = result.credentials[0]
    failed = _failure(sub, _CREDENTIAL_MAY_FAIL)
    proof = sub.check("proof")
    if sub.kind != "credential" or failed is not None or proof is None or proof.status != "passed":
        raise ShareError(Message("the credential does not verify ({why}); only a credential whose own proof "
                                 "verifies can be shared", why=failed or Message("proof: not checked")),
                         code="SHARE_CREDENTIAL_INVALID")
    subjects = subject_ids(sub.document) if isinstance(sub.document, dict) else []
    if not subjects:
        raise ShareError(Message("the credential's subject has no id (a bearer credential), so no holder can prove it "
                                 "was issued to them: share it in link mode instead"), code="SHARE_BEARER_CREDENTIAL",
                         status=403)
    # VC-API presentations/verify: the holder must be a subject of the credential (Verifier's
    # holder-is-subject check), read here from the verified credential as well
    bound = result.check("holder-is-subject")
    if (bound is not None and bound.failed) or holder not in subjects:
        raise ShareError(Message("the credential was issued to {subject}, not to the presentation's holder {holder}: "
                                 "only the credential's holder can share it", subject=subjects[0], holder=holder),
                         code="HOLDER_NOT_SUBJECT", status=403)
    item = embedded[0]
    if isinstance(item, dict) and "EnvelopedVerifiableCredential" in types(item):
        try:
            return jose.unenvelope(item), holder
        except JwtError as exc:
            raise ShareError(exc.detail, code=exc.code) from exc
    if not isinstance(item, dict):
        raise ShareError(Message("the presentation's credential must be a JSON object"),
                         code="SHARE_CREDENTIAL_INVALID")
    return item, holder
