"""W3C Bitstring Status List v1.0 (REC 2025-05-15): the verifier's ``status`` check.

The bitstring and the entry rules are the shared model in :mod:`omc_vc.bitstring`; entries and signed
lists are built on the issuer's side, :mod:`omc_vc.issue.status_lists`.

:class:`StatusListCheck` is a :class:`~omc_vc.verify.Verifier` extra check named
``status`` that runs the §3.2 validate algorithm for every entry of a credential. It fetches the list
only through the injected :class:`~omc_vc._internal.fetch.Fetcher` (or takes it from pinned
``documents``), verifies it under the caller's policy (:meth:`~omc_vc.verify.CheckContext.verify_nested`:
the same accepted cryptosuites, resolver, loader and time of interest), requires the list to come from
the credential's own issuer, decompresses with a hard output cap and reads the entry's bits. It never
raises: every problem is a failed check with the spec's error code, and anything it cannot establish
fails closed.

A list that verified is remembered in memory (a small LRU) under its URL and the SHA-256 of its exact
content (the text as fetched or pinned; a pinned object by its canonical JSON), so the same unchanged list
is not re-verified for every credential checked. On reuse only what depends on the credential or the
moment is checked again: the list's validity period and its proofs' ``created``/``expires`` (a JWT's
``exp``/``nbf``/``iat``) at the verification's ``now``, list type, ``id`` = URL and issuer = the
credential's issuer; purpose and length are checked per entry as always. Any other byte, another resolver,
loader, fetcher or set of accepted cryptosuites, or a moment outside the remembered window means a full
verification. A remembered
verification lasts no longer than the content cache's freshness for that list (``default_ttl`` for a
pinned one), so a rotated issuer key is noticed no later than a list refresh.

Rollback: per (list URL, list issuer) the check remembers the newest list it has accepted, its *mark*. A
list's age is its ``validFrom`` (VCDM 1.1 ``issuanceDate``), then, to break ties, its signing time: the
latest proof ``created`` (a VC-JWT: the later of ``iat`` and ``nbf``). A list older than the mark fails with
STATUS_LIST_ROLLBACK even inside its own validity period (an old list replayed to hide a later revocation);
so does a list of the same age that says something else (another bitstring or purposes: equivocation),
except a pinned document, which is the caller's own and replaces the mark. A list with neither date cannot
be ordered: it is accepted only while there is no mark. The mark rises only after a list fully verified and
never to a list dated after this machine's clock (plus the proof clock skew), so a post-dated list cannot
lock the genuine one out. Marks are kept in memory (``max_marks``, least recently used dropped first) and,
with ``cache_dir``, one small file each under ``cache_dir/marks`` (written atomically, pruned to
``max_marks``), so they survive a restart.

Caches are bounded: the fetched content in memory by ``memory_entries``/``memory_bytes`` and the folder
``cache_dir`` by ``disk_entries``/``disk_bytes``; over a bound, expired copies go first, then the least
recently used (on disk: the oldest). Only files named as cache entries (64 hex digits + ``.json``) are the
check's own; one that is unreadable, not a regular file or not a record for its URL is removed, never trusted.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import json
import os
import re
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from omc_vc._internal import atomic
from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.timeutil import format_datetime, parse_datetime, utcnow
from omc_vc.bitstring import (
    DEFAULT_MAX_BITSTRING_BYTES,
    LIST_CREDENTIAL_TYPE,
    LIST_TYPE,
    MIN_BITS,
    StatusEntry,
    decode_bitstring,
    get_status,
    malformed,
    parse_entry,
)
from omc_vc.checks import validity_window
from omc_vc.errors import FetchError, InputError, OmcVcError, StatusError
from omc_vc.i18n import N_, Message, joined
from omc_vc.model import Check, as_list, issuer_id, types
from omc_vc.proofs import jose
from omc_vc.proofs.data_integrity import CLOCK_SKEW
from omc_vc.verify import CheckContext

__all__ = [
    "CHECK_NAME",
    "DEFAULT_TTL",
    "MAX_LIST_DOCUMENT_BYTES",
    "ROLLBACK",
    "StatusListCheck",
    "StatusOutcome",
]

MAX_STATUS_ENTRIES = 4  # revocation + suspension is what issuers use; refresh and message lists fit too
#: How long a list with neither ``ttl`` nor ``validUntil`` stays fresh in the cache.
DEFAULT_TTL = timedelta(minutes=5)
#: The longest any list stays fresh in the cache, whatever its ``ttl`` or ``validUntil`` says.
MAX_TTL = timedelta(days=1)
#: Cap on a fetched status list credential (a 16KB random list is ~22KB encoded).
MAX_LIST_DOCUMENT_BYTES = 2_000_000
#: How many verified list credentials one StatusListCheck remembers (least recently used dropped first).
VERIFIED_LIST_MEMO_SIZE = 64
#: ...and how many bytes of list content and expanded bitstrings they may hold in all.
VERIFIED_LIST_MEMO_BYTES = 64 * 1024 * 1024
#: Cap on a list's ``encodedList`` text (it cannot be longer than the document that carries it).
MAX_ENCODED_LIST_CHARS = MAX_LIST_DOCUMENT_BYTES
#: Bounds of the in-memory content cache (lists by URL): entries and bytes of list text.
MEMORY_CACHE_ENTRIES = 256
MEMORY_CACHE_BYTES = 64 * 1024 * 1024
#: Bounds of the on-disk cache folder: entry files and their bytes (a record holds the list text, escaped).
DISK_CACHE_ENTRIES = 1024
DISK_CACHE_BYTES = 256 * 1024 * 1024
#: How many rollback marks (newest list accepted per URL and issuer) are kept, in memory and on disk.
MAX_MARKS = 10_000
#: The error code of a list older than (or, at the same age, different from) one already accepted.
ROLLBACK = "STATUS_LIST_ROLLBACK"
_MARK_FILE_BYTES = 64 * 1024
_ENTRY_FILE = re.compile(r"[0-9a-f]{64}\.json")
_TEMP_FILE = re.compile(r"\.[0-9a-f]{64}\.json\..+\.tmp")  # atomic.write_json's temporary name
_STALE_TEMP_SECONDS = 3600  # a temporary file this old was left by a crash, not by a write in progress
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_RECORD_EXPIRES = re.compile(r'"expires": "([^"]{1,64})"')

CHECK_NAME = "status"
ACCEPT = "application/vc+ld+json, application/vc, application/ld+json;q=0.9, application/json;q=0.8, " \
         "application/vc+jwt;q=0.8, application/jwt;q=0.7"


@dataclass(slots=True)
class StatusOutcome:
    """§3.2 steps 11-14: the result for one entry (``status``, ``purpose``, ``valid``, ``message``)."""

    purpose: str
    index: int
    list_url: str
    status: int
    message: str | None = None
    #: the rule the list broke, when a set bit was honoured from a list that could not vouch for good standing
    caveat: str | None = None

    @property
    def valid(self) -> bool:
        return self.status == 0  # §3.2 step 13

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"purpose": self.purpose, "index": self.index, "statusListCredential": self.list_url,
                               "status": self.status, "valid": self.valid}
        if self.message is not None:
            out["message"] = self.message
        if self.caveat is not None:
            out["caveat"] = self.caveat
        return out


@dataclass
class _Cached:
    url: str
    content: str  # the list credential as fetched: JSON text or a compact JWT
    fetched_at: datetime
    expires_at: datetime
    etag: str | None = None

    @cached_property
    def digest(self) -> str | None:
        """The memo's name for this content (computed once: a cached copy's text never changes)."""
        return _content_digest(self.content)

    @cached_property
    def size(self) -> int:
        """What this copy costs the memory cache's byte bound (the list text as UTF-8)."""
        return len(self.content.encode("utf-8", "surrogatepass"))


class _ListVersion(NamedTuple):
    """How new a verified list is and what it says: what the rollback defence compares."""

    issued: datetime  # validFrom (VCDM 1.1 issuanceDate); the signing time when the list has none
    signed: datetime  # the latest proof's created (a VC-JWT: the later of iat and nbf); ``issued`` when none
    says: str  # SHA-256 of the list's purposes and its expanded bitstring

    @property
    def moment(self) -> tuple[datetime, datetime]:
        return self.issued, self.signed


@dataclass
class _VerifiedList:
    document: dict[str, Any]
    bits: bytes
    secured_as: str = "unknown"  # the core verifier's result format: "di" or "jwt"
    # what every use of the list reads from ``document``, read once (the document is never changed:
    # a verified list is private to the check, see _remember)
    facts: _ListFacts = field(default=None)  # type: ignore[assignment]
    # its age and content for the rollback defence (None: the list carries no date, see _list_version)
    version: _ListVersion | None = None

    def __post_init__(self) -> None:
        if self.facts is None:
            self.facts = _ListFacts.of(self.document)


@dataclass(frozen=True)
class _ListFacts:
    is_list: bool  # types include BitstringStatusListCredential
    id: Any  # the list's "id" (absent: None, with has_id False)
    has_id: bool
    issuer: str | None
    purposes: tuple[str, ...]  # §2.2 credentialSubject.statusPurpose

    @classmethod
    def of(cls, document: dict[str, Any]) -> _ListFacts:
        try:
            subject = _list_subject(document)
        except StatusError:
            subject = {}  # a list with no valid subject never verifies (_verify_list reads it again and fails)
        return cls(LIST_CREDENTIAL_TYPE in types(document), document.get("id"), "id" in document,
                   issuer_id(document),
                   tuple(p for p in as_list(subject.get("statusPurpose")) if isinstance(p, str)))


_MemoKey = tuple[str, str]  # (list URL, "kind:sha256 of the exact content")
_MarkKey = tuple[str, str]  # (list URL, the list's issuer)


@dataclass(frozen=True)
class _Remembered:
    """A list credential that passed full verification, and what that verification depended on."""

    verified: _VerifiedList
    # the policy of the verification that passed: another resolver, loader, fetcher or set of accepted
    # cryptosuites means verify again (a list accepted under a wider policy is not reused under a narrower one)
    resolver: object
    fetcher: object
    loader: object
    accepted_suites: tuple[str, ...]
    # the cache clock's window in which this may be reused (never past the content cache's freshness)
    remembered_at: datetime
    expires_at: datetime
    # the times of interest for which the proofs' own time checks are known to pass (None: unbounded);
    # the list's validity period is checked again with the same function the Verifier uses
    not_before: datetime | None
    not_after: datetime | None
    size: int
    # the list's own validity period (validity_window: what the Verifier's validity-period check reads)
    valid_from: datetime | None
    valid_until: datetime | None

    def usable(self, ctx: CheckContext, clock_now: datetime) -> bool:
        if not self.remembered_at <= clock_now < self.expires_at:
            return False
        if self.resolver is not ctx.resolver or self.fetcher is not ctx.fetcher or self.loader is not ctx.loader \
                or self.accepted_suites != tuple(ctx.accepted_suites):
            return False
        now = ctx.now
        if (self.not_before is not None and now < self.not_before) or \
                (self.not_after is not None and now > self.not_after):
            return False
        # the validity-period check (checks.validity_period) passes exactly when now is inside the window
        return (self.valid_from is None or now >= self.valid_from) and \
            (self.valid_until is None or now <= self.valid_until)


def _content_digest(content: dict[str, Any] | str) -> str | None:
    """The memo's name for a list's exact content, or None when it has no unambiguous byte form."""
    if isinstance(content, str):
        return "text:" + hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()
    if type(content) is not dict or not _plain_json(content):
        return None
    try:
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return "json:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _plain_json(value: Any) -> bool:
    # only types json.dumps writes one way and that cannot stand in for one another (a tuple, a non-string
    # key or a str subclass could); iterative, so a deep pinned object cannot exhaust the stack
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if any(type(k) is not str for k in item):
                return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind not in (str, int, float, bool) and item is not None:
            return False
    return True


def _time(value: Any) -> datetime:
    return parse_datetime(value, field="time")


def _proof_window(result_format: str, source: dict[str, Any] | str,
                  document: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The times of interest at which the list's proof time checks pass, as the full verification applies them.

    Data Integrity (DI 1.0 §2.6, as ``verify_proofs`` checks it): every proof's ``created`` no later than
    now + CLOCK_SKEW and ``expires`` not before now. A VC-JWT: ``nbf``/``iat`` not after now and ``exp``
    after now, without the verifier's leeway (narrower than the real window, never wider).
    Raises when a time cannot be read: such a list is not remembered.
    """
    lows: list[datetime] = []
    highs: list[datetime] = []
    if result_format == "di":
        for proof in as_list(document.get("proof")):
            if not isinstance(proof, dict):
                raise ValueError("a proof that is not an object")
            if "created" in proof:
                lows.append(_time(proof["created"]) - CLOCK_SKEW)
            if "expires" in proof:
                highs.append(_time(proof["expires"]))
    elif result_format == "jwt" and isinstance(source, str):
        claims = _jwt_claims(source)
        for name in ("nbf", "iat"):
            if name in claims:
                lows.append(_numeric_date(claims[name]))
        if "exp" in claims:
            highs.append(_numeric_date(claims["exp"]) - timedelta(microseconds=1))
    else:
        raise ValueError(f"unexpected securing format {result_format!r}")
    return (max(lows) if lows else None), (min(highs) if highs else None)


def _jwt_claims(token: str) -> dict[str, Any]:
    segment = token.strip().split(".")[1]
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    return loads_object(raw, max_bytes=MAX_LIST_DOCUMENT_BYTES, what="status list JWT payload")


def _numeric_date(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a NumericDate is a number")
    return datetime.fromtimestamp(value, UTC)


def _list_version(secured_as: str, source: dict[str, Any] | str, document: dict[str, Any], bits: bytes,
                  purposes: tuple[str, ...]) -> _ListVersion | None:
    """A fully verified list's age and content, or None when it carries no date at all.

    Age: ``validFrom`` (VCDM 2.0 §4.9; VCDM 1.1 ``issuanceDate``), as the validity-period check reads it,
    then the signing time: the latest Data Integrity proof ``created`` (DI 1.0 §2.1) or, for a VC-JWT, the
    later of ``iat`` and ``nbf`` (RFC 7519 §4.1.5-4.1.6). Content: the purposes and the expanded bitstring,
    i.e. everything a list answers (a re-signed identical list, e.g. a new randomized ECDSA signature, is the
    same content). Raises when a time cannot be read (the caller then treats the list as undated).
    """
    issued, _ = validity_window(document)
    times: list[datetime] = []
    if secured_as == "di":
        times = [_time(proof["created"]) for proof in as_list(document.get("proof"))
                 if isinstance(proof, dict) and "created" in proof]
    elif secured_as == "jwt" and isinstance(source, str):
        claims = _jwt_claims(source)
        times = [_numeric_date(claims[name]) for name in ("iat", "nbf") if name in claims]
    signed = max(times) if times else None
    if issued is None and signed is None:
        return None
    digest = hashlib.sha256()
    for purpose in purposes:
        digest.update(purpose.encode("utf-8", "surrogatepass") + b"\x00")
    digest.update(b"\x01" + bits)
    first = issued if issued is not None else signed
    second = signed if signed is not None else issued
    assert first is not None and second is not None
    return _ListVersion(first, second, digest.hexdigest())


class StatusListCheck:
    """The verifier's ``status`` check: Bitstring Status List v1.0 §3.2 for every entry.

    ``fetcher`` is the only way to the network (``None``: only pinned ``documents`` and fresh cached
    lists are used). ``documents`` pins list credentials by URL (offline use, tests); pinned lists are
    verified like fetched ones. ``cache_dir`` keeps fetched lists on disk (atomic writes) besides the
    in-memory cache. A list stays fresh until ``fetched + ttl`` when it has a ``ttl``, else until its
    ``validUntil``, else for ``default_ttl`` (5 minutes), and never longer than ``max_ttl`` (a day) or
    past ``validUntil``. A list that is neither pinned, nor fresh in a cache, nor fetchable makes the
    check fail with STATUS_RETRIEVAL_ERROR: a stale copy is never used. A list's full verification is
    remembered for its exact content (see the module docstring) at most as long as it stays fresh, and
    only the checks that depend on the credential or the time of interest are redone on reuse.
    ``clock`` is the cache's wall clock; validity periods use the verification's ``now``.

    A list older than the newest one accepted for its URL fails with STATUS_LIST_ROLLBACK (see the module
    docstring); ``max_marks`` bounds how many such marks are kept. The content caches are bounded by
    ``memory_entries``/``memory_bytes`` and, on disk, ``disk_entries``/``disk_bytes``. A list document is at
    most MAX_LIST_DOCUMENT_BYTES (else STATUS_RETRIEVAL_ERROR), its ``encodedList`` at most
    MAX_ENCODED_LIST_CHARS characters and its expanded bitstring at most ``max_bitstring_bytes`` (else
    MALFORMED_VALUE_ERROR).
    """

    name = CHECK_NAME

    def __init__(self, fetcher: Fetcher | None, *, cache_dir: Path | None = None,
                 documents: Mapping[str, dict[str, Any] | str] | None = None, min_bits: int = MIN_BITS,
                 max_bitstring_bytes: int = DEFAULT_MAX_BITSTRING_BYTES, default_ttl: timedelta = DEFAULT_TTL,
                 max_ttl: timedelta = MAX_TTL, clock: Callable[[], datetime] = utcnow,
                 memory_entries: int = MEMORY_CACHE_ENTRIES, memory_bytes: int = MEMORY_CACHE_BYTES,
                 disk_entries: int = DISK_CACHE_ENTRIES, disk_bytes: int = DISK_CACHE_BYTES,
                 max_marks: int = MAX_MARKS) -> None:
        if isinstance(min_bits, bool) or not isinstance(min_bits, int) or min_bits < 1:
            raise StatusError(Message("min_bits must be a positive integer"), code="CONFIG_ERROR")
        bounds = {"memory_entries": memory_entries, "memory_bytes": memory_bytes, "disk_entries": disk_entries,
                  "disk_bytes": disk_bytes, "max_marks": max_marks}
        for what, bound in bounds.items():
            if isinstance(bound, bool) or not isinstance(bound, int) or bound < 1:
                raise StatusError(Message("{setting} must be a positive integer", setting=what), code="CONFIG_ERROR")
        self.fetcher = fetcher
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.documents: dict[str, dict[str, Any] | str] = dict(documents) if documents is not None else {}
        self.min_bits = min_bits
        self.max_bitstring_bytes = max_bitstring_bytes
        self.default_ttl = default_ttl
        self.max_ttl = max_ttl
        self.clock = clock
        self.memory_entries = memory_entries
        self.memory_bytes = memory_bytes
        self.disk_entries = disk_entries
        self.disk_bytes = disk_bytes
        self.max_marks = max_marks
        self._memory: OrderedDict[str, _Cached] = OrderedDict()  # least recently used first
        self._memory_bytes = 0
        self._marks: OrderedDict[_MarkKey, _ListVersion] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()
        self._verified: OrderedDict[_MemoKey, _Remembered] = OrderedDict()
        self._verified_bytes = 0

    # --- the check -------------------------------------------------------------------------------
    def __call__(self, credential: dict[str, Any], ctx: CheckContext) -> list[Check]:
        try:
            return [self._run(credential, ctx)]
        except OmcVcError as exc:
            return [Check(CHECK_NAME, "failed", exc.detail, exc.code)]
        except Exception as exc:  # a status check that breaks must fail closed, never pass or crash the verifier
            return [Check(CHECK_NAME, "failed",
                          Message("status could not be checked ({kind})", kind=type(exc).__name__),
                          "STATUS_VERIFICATION_ERROR")]

    def _run(self, credential: dict[str, Any], ctx: CheckContext) -> Check:
        raw_entries = as_list(credential.get("credentialStatus"))
        if not raw_entries:
            return Check(CHECK_NAME, "passed", Message("the credential has no status entry: it cannot be revoked"))
        # each entry may cost a fetch with its own timeout: a credential naming dozens of lists would make
        # one verification take minutes (a denial of service on the verifier), so refuse it outright
        if len(raw_entries) > MAX_STATUS_ENTRIES:
            return Check(CHECK_NAME, "failed", Message("the credential has {n} status entries; at most {most} are "
                                                       "checked", n=len(raw_entries), most=MAX_STATUS_ENTRIES),
                         "MALFORMED_VALUE_ERROR")
        outcomes: list[StatusOutcome] = []
        failures: list[Check] = []
        notes: list[str] = []
        lists: dict[str, _VerifiedList] = {}
        for position, raw in enumerate(raw_entries):
            try:
                entry = parse_entry(raw)
                verified = lists.get(entry.list_url)
                if verified is None:
                    verified = self._verified_list(entry.list_url, credential, ctx)
                    lists[entry.list_url] = verified
                objection = self._bind_list(entry.list_url, verified.facts, credential)
                outcome = self._evaluate(entry, verified, objection)
            except OmcVcError as exc:
                where = f"credentialStatus[{position}]" if len(raw_entries) > 1 else "credentialStatus"
                failures.append(Check(CHECK_NAME, "failed",
                                      Message("{where}: {detail}", where=where, detail=exc.detail), exc.code))
                continue
            outcomes.append(outcome)
            failure, note = self._judge(outcome, ctx)
            if failure is not None:
                failures.append(failure)
            if note:
                notes.append(note)
        if outcomes:
            ctx.result.details.setdefault("status", []).extend([o.to_json() for o in outcomes])
        if failures:
            # the most telling failure first: revoked, then suspended, then anything else in order
            rank = {"CREDENTIAL_REVOKED": 0, "CREDENTIAL_SUSPENDED": 1}
            failures.sort(key=lambda c: rank.get(c.code or "", 2))
            return failures[0]
        return Check(CHECK_NAME, "passed", joined(notes))

    @staticmethod
    def _judge(outcome: StatusOutcome, ctx: CheckContext) -> tuple[Check | None, str]:
        if outcome.valid and outcome.purpose in _NOT_FLAGGED:  # the usual answer: our sentence, without ``at``
            return None, Message(_NOT_FLAGGED[outcome.purpose], index=str(outcome.index), list=outcome.list_url)
        at: str = Message("index {index} of {list}", index=str(outcome.index), list=outcome.list_url)
        if outcome.valid:
            if outcome.purpose == "message" and outcome.message is not None:
                return None, Message("status message: {message} ({at})", message=repr(outcome.message), at=at)
            if outcome.purpose in _NOT_PAST:
                return None, Message(_NOT_PAST[outcome.purpose], at=at)
            return None, Message("not {purpose} flagged ({at})", purpose=outcome.purpose, at=at)
        if outcome.caveat is None and outcome.purpose in _FLAGGED:
            return Check(CHECK_NAME, "failed", Message(_FLAGGED[outcome.purpose], index=str(outcome.index),
                                                       list=outcome.list_url), _FLAGGED_CODES[outcome.purpose]), ""
        if outcome.caveat is not None:
            # honoured from a list that could not have vouched for good standing (see _evaluate)
            at = Message("{at}; the list could not have shown it in good standing: {caveat}", at=at,
                         caveat=outcome.caveat)
            if outcome.purpose == "revocation":
                return Check(CHECK_NAME, "failed", Message("the credential was revoked ({at})", at=at),
                             "CREDENTIAL_REVOKED"), ""
            if outcome.purpose == "suspension":
                return Check(CHECK_NAME, "failed", Message("the credential is suspended ({at})", at=at),
                             "CREDENTIAL_SUSPENDED"), ""
        if outcome.purpose == "refresh":
            # §2.1: refresh "does not invalidate the verifiable credential"
            ctx.result.warn("CREDENTIAL_REFRESH_AVAILABLE",
                            Message("the issuer has published an updated version of this credential (index {index} "
                                    "of {list})", index=str(outcome.index), list=outcome.list_url))
            return None, Message("an updated credential is available ({at})", at=at)
        if outcome.purpose == "message":
            text = outcome.message if outcome.message is not None else "set"
            return None, Message("status message: {message} ({at})", message=repr(text), at=at)
        # a purpose this toolkit does not understand, flagged by the issuer: fail closed
        return Check(CHECK_NAME, "failed",
                     Message("the issuer set status {status} for purpose {purpose}, which omc-vc does not understand "
                             "({at})", status=str(outcome.status), purpose=repr(outcome.purpose), at=at),
                     "STATUS_VERIFICATION_ERROR"), ""

    def _evaluate(self, entry: StatusEntry, verified: _VerifiedList, objection: StatusError | None = None
                  ) -> StatusOutcome:
        """The entry's value on its verified list. ``objection`` is a rule the list breaks that only stops it
        vouching for good standing (see :meth:`_bind_list`)."""
        # §3.2 step 5: the entry's purpose must be one of the list's purposes
        purposes = verified.facts.purposes
        if entry.purpose not in purposes:
            detail = (Message("the entry's statusPurpose {purpose} is not a purpose of the status list {list} "
                              "({purposes}): a list for another purpose cannot answer for this one",
                              purpose=repr(entry.purpose), list=entry.list_url, purposes=", ".join(purposes))
                      if purposes else
                      Message("the entry's statusPurpose {purpose} is not a purpose of the status list {list} "
                              "(none): a list for another purpose cannot answer for this one",
                              purpose=repr(entry.purpose), list=entry.list_url))
            raise StatusError(detail, code="STATUS_VERIFICATION_ERROR")
        bits = verified.bits
        # §3.2 step 9: bitstring length / statusSize >= minimumNumberOfEntries
        if objection is None and len(bits) * 8 < self.min_bits * entry.size:
            objection = StatusError(Message("the status list {list} has {n} entries, fewer than the required {least} "
                                            "(a short list narrows the group a holder hides in)", list=entry.list_url,
                                            n=len(bits) * 8 // entry.size, least=self.min_bits),
                                    code="STATUS_LIST_LENGTH_ERROR")
        # §3.2 step 10: read the value at index * size; outside the bitstring is a RANGE_ERROR
        if objection is not None and entry.position + entry.size > len(bits) * 8:
            raise objection
        status = get_status(bits, entry.position, entry.size)
        if objection is not None:
            # A verified list that breaks a rule guarding the "not revoked" answer (another list's id, another
            # issuer's signature, too few entries) still revokes or suspends: a set bit can only make the
            # verdict worse, so honouring it gives nothing to whoever served the list. A clear bit, or any
            # other purpose, is not taken from such a list.
            if status == 0 or entry.purpose not in ("revocation", "suspension"):
                raise objection
        message: str | None = None
        if entry.messages is not None:
            message = entry.messages.get(status)
        elif entry.purpose == "message":
            message = "set" if status else "unset"  # §2.1: the default meanings of 1 and 0
        return StatusOutcome(entry.purpose, entry.position, entry.list_url, status, message,
                             objection.detail if objection is not None else None)

    # --- obtaining and verifying the list ----------------------------------------------------------
    def _verified_list(self, url: str, credential: dict[str, Any], ctx: CheckContext) -> _VerifiedList:
        now = self.clock()
        pinned = self.documents.get(url)
        if pinned is not None:
            digest = _content_digest(pinned)
            remembered = self._recall(url, digest, ctx, now)
            if remembered is not None:
                verified = remembered  # verified as a list when it was remembered
                self._check_rollback(url, verified, full=False, pinned=True)
                return verified
            if isinstance(pinned, str):
                _check_document_size(url, pinned)
            verified = self._verify_list(url, pinned, credential, ctx)
            self._check_rollback(url, verified, full=True, pinned=True)
            self._remember(url, digest, pinned, verified, ctx, None)
            return verified
        cached = self._fresh(url, now)
        if cached is not None:
            try:
                return self._from_cached(url, cached, credential, ctx, now)
            except StatusError as exc:
                if exc.code != ROLLBACK or self.fetcher is None:
                    raise
                # a cached copy older than a list already accepted (planted in the folder, or written by a
                # process that had not seen the newer one): dropped, and the list is fetched again
                self._forget(url)
        content, etag = self._fetch(url, now)
        parsed = self._parse_content(url, content)
        verified = self._verify_list(url, parsed, credential, ctx)
        self._check_rollback(url, verified, full=True)
        # only a list that verified and is not older than one already accepted is cached, so a bad answer is
        # refetched next time
        expires = self._expiry(verified.document, now)
        self._store(_Cached(url, content, now, expires, etag), now)
        self._remember(url, _content_digest(content), parsed, verified, ctx, expires)
        return verified

    def _from_cached(self, url: str, cached: _Cached, credential: dict[str, Any], ctx: CheckContext,
                     now: datetime) -> _VerifiedList:
        digest = cached.digest
        remembered = self._recall(url, digest, ctx, now)
        if remembered is not None:
            verified = remembered  # verified as a list when it was remembered
            self._check_rollback(url, verified, full=False)
            return verified
        parsed = self._parse_content(url, cached.content)
        verified = self._verify_list(url, parsed, credential, ctx)
        self._check_rollback(url, verified, full=True)
        self._remember(url, digest, parsed, verified, ctx, cached.expires_at)
        return verified

    def _verify_list(self, url: str, document: dict[str, Any] | str, credential: dict[str, Any],
                     ctx: CheckContext) -> _VerifiedList:
        """The full verification of a list credential, then its binding to ``url`` and to the credential."""
        if isinstance(document, dict):
            # the size cap before the costly verification (refusing never trusts the unverified text)
            early: Any = None
            with contextlib.suppress(StatusError):
                early = _list_subject(document).get("encodedList")
            if isinstance(early, str):
                _check_encoded_length(url, early)
        # §3.2 step 4: "ensure that all proofs verify successfully" -- with the core checks: data model,
        # data loss, proof, issuer key binding and the list's own validity period at the time of interest,
        # under the caller's policy (DESIGN decision 13: its accepted cryptosuites, resolver, loader, clock)
        result = ctx.verify_nested(document)
        if not result.verified or not isinstance(result.document, dict):
            failed = next((c for c in result.checks if c.failed), None)
            why = failed.detail if failed is not None else Message("it could not be verified")
            if failed is not None and failed.name == "validity-period":
                why = Message("the status list is outside its validity period: {why}", why=failed.detail)
            raise StatusError(Message("the status list {url} does not verify: {why}", url=url, why=why),
                              code="STATUS_VERIFICATION_ERROR")
        doc = result.document
        facts = _ListFacts.of(doc)
        if not facts.is_list:
            raise StatusError(Message("{url} is not a {type}", url=url, type=LIST_CREDENTIAL_TYPE),
                              code="STATUS_VERIFICATION_ERROR")
        subject = _list_subject(doc)
        encoded = subject.get("encodedList")
        if not isinstance(encoded, str):
            raise malformed(Message("the status list {url} has no encodedList string", url=url))
        _check_encoded_length(url, encoded)
        bits = decode_bitstring(encoded, max_bytes=self.max_bitstring_bytes)
        try:
            version = _list_version(result.format, document, doc, bits, facts.purposes)
        except (OmcVcError, ValueError, TypeError, OverflowError, IndexError, binascii.Error):
            version = None  # a time the verification accepted but that cannot be ordered: treated as undated
        return _VerifiedList(doc, bits, result.format, facts, version)

    @staticmethod
    def _bind_list(url: str, facts: _ListFacts, credential: dict[str, Any]) -> StatusError | None:
        """What ties a verified list to this URL and to this credential, checked on every use: the rule the
        list breaks, or None. Breaking one stops the list vouching that the credential is in good standing;
        :meth:`_evaluate` still honours a set revocation or suspension bit from it."""
        if not facts.is_list:
            raise StatusError(Message("{url} is not a {type}", url=url, type=LIST_CREDENTIAL_TYPE),
                              code="STATUS_VERIFICATION_ERROR")
        # list substitution: another list of the same issuer served at this URL
        if facts.has_id and facts.id != url:
            return StatusError(Message("the status list served at {url} names itself {id}: a different list "
                                       "substituted for this one is refused", url=url, id=repr(facts.id)),
                               code="STATUS_VERIFICATION_ERROR")
        # a status list from another issuer: anyone could sign a list saying "not revoked"
        list_issuer = facts.issuer
        credential_issuer = issuer_id(credential)
        if list_issuer != credential_issuer:
            return StatusError(Message("the status list {url} was issued by {issuer}, not by the credential's issuer "
                                       "{credential_issuer}: a list from another issuer cannot vouch for this "
                                       "credential", url=url, issuer=str(list_issuer),
                                       credential_issuer=str(credential_issuer)),
                               code="STATUS_VERIFICATION_ERROR")
        return None

    # --- remembering verified lists ----------------------------------------------------------------
    def _recall(self, url: str, digest: str | None, ctx: CheckContext, now: datetime) -> _VerifiedList | None:
        """The remembered full verification of exactly this content, if it still applies to ``ctx``."""
        if digest is None:
            return None
        key = (url, digest)
        with self._lock:
            remembered = self._verified.get(key)
            if remembered is None:
                return None
            self._verified.move_to_end(key)
        try:
            usable = remembered.usable(ctx, now)
        except (OmcVcError, ValueError, TypeError, OverflowError):
            usable = False
        if not usable:
            # too old, another resolver, or a moment outside the window: the full verification decides
            return None
        return remembered.verified

    def _remember(self, url: str, digest: str | None, source: dict[str, Any] | str, verified: _VerifiedList,
                  ctx: CheckContext, fresh_until: datetime | None) -> None:
        if digest is None:
            return
        if digest.startswith("json:"):
            # a pinned object belongs to the caller, who may change it: remember a private copy, and only if
            # it is still exactly the content named by ``digest`` (the content that was verified); a document
            # parsed from text is our own already
            private = copy.deepcopy(verified.document)
            if _content_digest(private) != digest:
                return
            verified = _VerifiedList(private, verified.bits, verified.secured_as, version=verified.version)
        try:
            clock_now = self.clock()
            expires = self._expiry(verified.document, clock_now)
            if fresh_until is not None:
                expires = min(expires, fresh_until)
            not_before, not_after = _proof_window(verified.secured_as, source, verified.document)
            encoded = _list_subject(verified.document).get("encodedList")
            valid_from, valid_until = validity_window(verified.document)
        except (OmcVcError, ValueError, TypeError, OverflowError, IndexError, binascii.Error):
            return  # not remembered: the next use verifies it in full again
        size = len(verified.bits) + (len(encoded) if isinstance(encoded, str) else 0) \
            + (len(source) if isinstance(source, str) else 0)
        if size > VERIFIED_LIST_MEMO_BYTES // 4:
            return
        entry = _Remembered(verified, ctx.resolver, ctx.fetcher, ctx.loader, tuple(ctx.accepted_suites),
                            clock_now, expires, not_before, not_after, size, valid_from, valid_until)
        key = (url, digest)
        with self._lock:
            previous = self._verified.pop(key, None)
            if previous is not None:
                self._verified_bytes -= previous.size
            self._verified[key] = entry
            self._verified_bytes += size
            while len(self._verified) > VERIFIED_LIST_MEMO_SIZE or self._verified_bytes > VERIFIED_LIST_MEMO_BYTES:
                _, dropped = self._verified.popitem(last=False)
                self._verified_bytes -= dropped.size

    @staticmethod
    def _parse_content(url: str, content: str) -> dict[str, Any] | str:
        _check_document_size(url, content)  # a fetched list is capped by the fetcher too; a cached one only here
        text = content.strip()
        if jose.is_jwt(text):
            return text  # a VC-JWT secured list: the core Verifier checks it
        try:
            return loads_object(text, max_bytes=MAX_LIST_DOCUMENT_BYTES, what=f"status list {url}")
        except InputError as exc:
            raise StatusError(Message("the status list at {url} is unreadable: {why}", url=url, why=exc.detail),
                              code="STATUS_RETRIEVAL_ERROR") from exc

    def _fetch(self, url: str, now: datetime) -> tuple[str, str | None]:
        # §3.2 step 4: "If the dereference fails, raise a STATUS_RETRIEVAL_ERROR"
        if self.fetcher is None:
            raise StatusError(Message("cannot fetch the status list {url}: network access is not configured and no "
                                      "fresh copy is cached", url=url), code="STATUS_RETRIEVAL_ERROR")
        stale = self._cache_get(url) or self._from_disk(url)
        headers = {"If-None-Match": stale.etag} if stale is not None and stale.etag else None
        try:
            response = self.fetcher.get(url, headers=headers, max_bytes=MAX_LIST_DOCUMENT_BYTES, accept=ACCEPT)
        except FetchError as exc:
            raise StatusError(Message("cannot fetch the status list {url}: {why}", url=url, why=exc.detail),
                              code="STATUS_RETRIEVAL_ERROR") from exc
        if response.status == 304 and stale is not None and headers is not None:
            return stale.content, stale.etag  # the server confirmed our copy is current
        if response.status != 200:
            raise StatusError(Message("cannot fetch the status list {url}: HTTP {status}", url=url,
                                      status=str(response.status)),
                              code="STATUS_RETRIEVAL_ERROR")
        try:
            content = response.content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise StatusError(Message("the status list at {url} is not UTF-8 text", url=url),
                              code="STATUS_RETRIEVAL_ERROR") from exc
        return content, response.etag

    # --- caching ---------------------------------------------------------------------------------
    def _expiry(self, document: dict[str, Any], fetched: datetime) -> datetime:
        subject = _list_subject(document)
        ttl = subject.get("ttl")
        until: datetime | None = None
        end_key = "validUntil" if "validUntil" in document else "expirationDate"
        if end_key in document:
            until = parse_datetime(document[end_key], field=end_key)
        if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0:
            # §2.2 ttl: milliseconds "before a refresh SHOULD be attempted" (clamped: no timedelta overflow)
            ttl_ms = min(ttl, int(self.max_ttl.total_seconds() * 1000))
            expires = fetched + timedelta(milliseconds=ttl_ms)
        elif until is not None:
            expires = until
        else:
            expires = fetched + self.default_ttl
        expires = min(expires, fetched + self.max_ttl)
        return min(expires, until) if until is not None else expires

    def _fresh(self, url: str, now: datetime) -> _Cached | None:
        cached = self._cache_get(url)
        if cached is None:
            cached = self._from_disk(url)
            if cached is not None and cached.fetched_at <= now < cached.expires_at:
                self._cache_put(cached, now)  # a stale disk copy stays on disk (read again for its ETag)
        if cached is not None and cached.fetched_at <= now < cached.expires_at:
            return cached
        return None

    def _cache_get(self, url: str) -> _Cached | None:
        with self._lock:
            cached = self._memory.get(url)
            if cached is not None:
                self._memory.move_to_end(url)
        return cached

    def _cache_put(self, cached: _Cached, now: datetime) -> None:
        """Into the memory cache, within memory_entries and memory_bytes: expired copies go first, then the
        least recently used."""
        with self._lock:
            previous = self._memory.pop(cached.url, None)
            if previous is not None:
                self._memory_bytes -= previous.size
            if cached.size > self.memory_bytes:
                return  # larger than the whole cache: kept on disk only (if at all)
            self._memory[cached.url] = cached
            self._memory_bytes += cached.size
            if len(self._memory) <= self.memory_entries and self._memory_bytes <= self.memory_bytes:
                return
            for url, entry in list(self._memory.items()):
                if len(self._memory) <= self.memory_entries and self._memory_bytes <= self.memory_bytes:
                    return
                if entry.expires_at <= now and url != cached.url:
                    del self._memory[url]
                    self._memory_bytes -= entry.size
            while len(self._memory) > self.memory_entries or self._memory_bytes > self.memory_bytes:
                _, dropped = self._memory.popitem(last=False)
                self._memory_bytes -= dropped.size

    def _forget(self, url: str) -> None:
        with self._lock:
            dropped = self._memory.pop(url, None)
            if dropped is not None:
                self._memory_bytes -= dropped.size
        path = self._cache_path(url)
        if path is not None:
            _discard(path)

    def _store(self, cached: _Cached, now: datetime) -> None:
        self._cache_put(cached, now)
        path = self._cache_path(cached.url)
        if path is None:
            return
        # "expires" first: pruning reads only the head of each file to tell the expired ones
        record = {"expires": cached.expires_at.isoformat(), "fetchedAt": cached.fetched_at.isoformat(),
                  "url": cached.url, "etag": cached.etag, "content": cached.content}
        # an unwritable cache folder only costs a refetch later; the memory copy still serves
        with contextlib.suppress(OSError):
            atomic.write_json(path, record)
        with contextlib.suppress(OSError):
            _prune_folder(path.parent, max_entries=self.disk_entries, max_bytes=self.disk_bytes,
                          first=lambda entry: self._expired_on_disk(entry, now))

    @staticmethod
    def _expired_on_disk(path: Path, now: datetime) -> bool:
        """Whether a cache file is expired, from its head; an unreadable one counts as expired (pruned first)."""
        try:
            with path.open("rb") as handle:
                head = handle.read(256).decode("utf-8", "replace")
            found = _RECORD_EXPIRES.search(head)
            return found is None or _aware(found.group(1)) <= now
        except (OSError, ValueError, TypeError):
            return True

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / (hashlib.sha256(url.encode("utf-8")).hexdigest() + ".json")

    def _from_disk(self, url: str) -> _Cached | None:
        path = self._cache_path(url)
        if path is None or not _own_file(path, 2 * MAX_LIST_DOCUMENT_BYTES + 4096):
            return None
        try:
            record = loads_object(path.read_bytes(), max_bytes=2 * MAX_LIST_DOCUMENT_BYTES + 4096,
                                  what="status cache")
            if record.get("url") != url or not isinstance(record.get("content"), str):
                raise ValueError("not the record of this URL")
            etag = record.get("etag")
            return _Cached(url, record["content"], _aware(record["fetchedAt"]), _aware(record["expires"]),
                           etag if isinstance(etag, str) else None)
        except (OSError, OmcVcError, KeyError, TypeError, ValueError):
            # a damaged or foreign cache file is removed: the list is fetched (and verified) again
            _discard(path)
            return None

    # --- rollback protection: the newest list accepted per (URL, issuer) --------------------------------
    def _check_rollback(self, url: str, verified: _VerifiedList, *, full: bool, pinned: bool = False) -> None:
        """Refuse a list older than the newest already accepted for its URL and issuer; record a newer one.

        Runs after the list fully verified (or was remembered so) and was bound to the URL and to the
        credential's issuer, on every use. ``full``: after a full verification, where the mark is re-read from
        disk too (another process sharing ``cache_dir`` may have raised it); on a remembered verification only
        the memory copy is read. ``pinned``: a document the caller pinned, which wins a tie (same age, other
        content) instead of being refused: the caller's own copy is authoritative.
        """
        key = (url, verified.facts.issuer or "")
        mark = self._mark(key, reload=full)
        version = verified.version
        if version is mark:  # the very list that set the mark (a remembered list's usual reuse): not older
            return
        if mark is None:
            if version is not None:
                self._raise_mark(key, version)
            return
        if version is None:
            raise StatusError(Message("the status list {url} carries no date (validFrom or a signing time), so it "
                                      "cannot be shown to be no older than the list issued {mark} already accepted "
                                      "for that URL", url=url, mark=_when(mark)), code=ROLLBACK)
        if version.moment < mark.moment:
            raise StatusError(Message("the status list {url} was issued {issued}, before the list issued {mark} "
                                      "already accepted for that URL: an older list (which may predate a revocation) "
                                      "is refused even inside its validity period", url=url, issued=_when(version),
                                      mark=_when(mark)), code=ROLLBACK)
        if version.moment == mark.moment:
            if version.says == mark.says:
                return
            if not pinned:
                raise StatusError(Message("the status list {url} was issued {issued}, as was the list already "
                                          "accepted for that URL, but it says something else: two different lists of "
                                          "one moment are refused (equivocation)", url=url, issued=_when(version)),
                                  code=ROLLBACK)
        self._raise_mark(key, version, replace=version.moment == mark.moment)

    def _mark(self, key: _MarkKey, *, reload: bool) -> _ListVersion | None:
        with self._lock:
            mark = self._marks.get(key)
            if mark is not None:
                self._marks.move_to_end(key)
        if self.cache_dir is None or (mark is not None and not reload):
            return mark
        stored = self._read_mark(key)
        if stored is not None and (mark is None or stored.moment > mark.moment):
            with self._lock:
                current = self._marks.get(key)
                if current is None or stored.moment > current.moment:
                    self._put_mark(key, stored)
            mark = stored
        return mark

    def _raise_mark(self, key: _MarkKey, version: _ListVersion, *, replace: bool = False) -> None:
        # a list dated after this machine's clock (beyond the proofs' skew) never becomes the mark, whatever
        # moment it was verified for: it cannot lock the genuine, current list out
        limit = self.clock() + CLOCK_SKEW
        if version.issued > limit or version.signed > limit:
            return
        with self._lock:
            current = self._marks.get(key)
            if current is not None and (current.moment > version.moment or
                                        (current.moment == version.moment and not replace)):
                return
            self._put_mark(key, version)
        self._write_mark(key, version)

    def _put_mark(self, key: _MarkKey, version: _ListVersion) -> None:
        # the caller holds the lock
        self._marks[key] = version
        self._marks.move_to_end(key)
        while len(self._marks) > self.max_marks:
            self._marks.popitem(last=False)

    def _mark_path(self, key: _MarkKey) -> Path | None:
        if self.cache_dir is None:
            return None
        name = hashlib.sha256(f"{key[0]}\n{key[1]}".encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_dir / "marks" / (name + ".json")

    def _read_mark(self, key: _MarkKey) -> _ListVersion | None:
        path = self._mark_path(key)
        if path is None or not _own_file(path, _MARK_FILE_BYTES):
            return None
        try:
            record = loads_object(path.read_bytes(), max_bytes=_MARK_FILE_BYTES, what="status list mark")
            says = record.get("says")
            if record.get("url") != key[0] or record.get("issuer") != key[1] or not isinstance(says, str) \
                    or not _HEX_DIGEST.fullmatch(says):
                raise ValueError("not the mark of this list")
            return _ListVersion(_aware(record["issued"]), _aware(record["signed"]), says)
        except (OSError, OmcVcError, KeyError, TypeError, ValueError):
            _discard(path)  # a damaged or foreign file in the folder is removed, never trusted
            return None

    def _write_mark(self, key: _MarkKey, version: _ListVersion) -> None:
        path = self._mark_path(key)
        if path is None:
            return
        record = {"url": key[0], "issuer": key[1], "issued": version.issued.isoformat(),
                  "signed": version.signed.isoformat(), "says": version.says}
        # an unwritable folder costs only the mark's survival of a restart; the memory copy still guards
        with contextlib.suppress(OSError):
            atomic.write_json(path, record)
        hot: set[str] | None = None

        def cold(entry: Path) -> bool:
            # over the bound: marks this process no longer holds in memory go first (computed once, if needed)
            nonlocal hot
            if hot is None:
                with self._lock:
                    keys = list(self._marks)
                hot = {found.name for found in map(self._mark_path, keys) if found is not None}
            return entry.name not in hot

        with contextlib.suppress(OSError):
            _prune_folder(path.parent, max_entries=self.max_marks, max_bytes=self.max_marks * _MARK_FILE_BYTES,
                          first=cold)


#: A list's answer, with where it was read (``at``), for a purpose not flagged that has no sentence above.
_NOT_PAST = {"revocation": N_("not revoked ({at})"), "suspension": N_("not suspended ({at})"),
             "refresh": N_("not marked for refresh ({at})")}
#: A list's answer in our words (omc_vc.i18n messages), by purpose: not flagged, and flagged by the issuer.
_NOT_FLAGGED = {"revocation": N_("not revoked (index {index} of {list})"),
                "suspension": N_("not suspended (index {index} of {list})")}
_FLAGGED = {"revocation": N_("the credential was revoked by its issuer (index {index} of {list})"),
            "suspension": N_("the credential is suspended by its issuer (index {index} of {list})")}
_FLAGGED_CODES = {"revocation": "CREDENTIAL_REVOKED", "suspension": "CREDENTIAL_SUSPENDED"}


def _check_document_size(url: str, content: str) -> None:
    """The list document's cap (MAX_LIST_DOCUMENT_BYTES), whether fetched, read from the cache or pinned as text."""
    # a UTF-8 character is at most 4 bytes: only a text that might be over the cap is encoded to be measured
    if len(content) * 4 > MAX_LIST_DOCUMENT_BYTES:
        size = len(content.encode("utf-8", "surrogatepass"))
        if size > MAX_LIST_DOCUMENT_BYTES:
            raise StatusError(Message("the status list {url} is {size} bytes, over the {cap}-byte cap on a list "
                                      "document", url=url, size=size, cap=MAX_LIST_DOCUMENT_BYTES),
                              code="STATUS_RETRIEVAL_ERROR")


def _check_encoded_length(url: str, encoded: str) -> None:
    """The encodedList cap (MAX_ENCODED_LIST_CHARS): checked before any base64 or gzip work."""
    if len(encoded) > MAX_ENCODED_LIST_CHARS:
        raise malformed(Message("the encodedList of the status list {url} is {n} characters, over the {cap}-character "
                                "cap", url=url, n=len(encoded), cap=MAX_ENCODED_LIST_CHARS))


def _own_file(path: Path, max_bytes: int) -> bool:
    """Whether ``path`` is a regular file of at most ``max_bytes``, as the check writes them. A link, a
    special file or an oversized file at one of the check's names is not its own: it is removed (never
    followed); a folder there is left alone."""
    try:
        info = path.lstat()
    except OSError:
        return False
    if stat.S_ISREG(info.st_mode) and info.st_size <= max_bytes:
        return True
    if not stat.S_ISDIR(info.st_mode):
        _discard(path)
    return False


def _discard(path: Path) -> bool:
    """Remove one of the cache's own files (a link is removed, never followed); True when it is gone."""
    try:
        path.unlink()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def _prune_folder(folder: Path, *, max_entries: int, max_bytes: int, first: Callable[[Path], bool]) -> None:
    """Keep ``folder``'s entry files within ``max_entries`` and ``max_bytes``.

    Over a bound, files for which ``first`` is true go first, then the oldest (by modification time), down
    to nine tenths of each bound (so the next few writes do not prune again). Only files named as entries
    are counted or removed; an entry name that is not a regular file (a link, a folder) is removed (a link)
    or left alone (a folder); temporary files of atomic writes left by a crash (older than an hour) go.
    """
    found: list[tuple[Path, int, float]] = []
    wall = time.time()
    try:
        with os.scandir(folder) as listing:
            for item in listing:
                try:
                    info = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                path = Path(item.path)
                if _TEMP_FILE.fullmatch(item.name):
                    if stat.S_ISREG(info.st_mode) and wall - info.st_mtime > _STALE_TEMP_SECONDS:
                        _discard(path)
                    continue
                if not _ENTRY_FILE.fullmatch(item.name):
                    continue  # not the cache's: never touched
                if not stat.S_ISREG(info.st_mode):
                    if stat.S_ISLNK(info.st_mode):
                        _discard(path)
                    continue
                found.append((path, info.st_size, info.st_mtime))
    except OSError:
        return
    count = len(found)
    total = sum(size for _, size, _ in found)
    if count <= max_entries and total <= max_bytes:
        return
    keep_entries = max(1, max_entries * 9 // 10)
    keep_bytes = max_bytes * 9 // 10
    for path, size, _ in sorted(found, key=lambda item: (not first(item[0]), item[2])):
        if count <= keep_entries and total <= keep_bytes:
            break
        if _discard(path):
            count -= 1
            total -= size


def _when(version: _ListVersion) -> str:
    return Message("{issued} (signed {signed})", issued=format_datetime(version.issued),
                   signed=format_datetime(version.signed))


def _aware(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("naive time in the status cache")
    return moment


def _list_subject(document: dict[str, Any]) -> dict[str, Any]:
    # §2.2: credentialSubject.type MUST be BitstringStatusList
    subjects = as_list(document.get("credentialSubject"))
    if len(subjects) != 1 or not isinstance(subjects[0], dict):
        raise malformed(Message("a status list credential has exactly one credentialSubject object"))
    subject: dict[str, Any] = subjects[0]
    if LIST_TYPE not in types(subject):
        raise malformed(Message("the status list's credentialSubject.type must be {type}", type=LIST_TYPE))
    return subject
