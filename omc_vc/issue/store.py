"""The issuance store: the one interface every issuing path talks to (DESIGN decisions 10 and 12).

A store keeps four things for one institution:

* **credentials issued**, each with its signed document (the registrar looks a credential up and
  re-exports it), unique per (learner key, achievement) for OMCs;
* **status allocation**: status-list indices drawn uniformly at random with :mod:`secrets` and never
  given to two credentials (Bitstring Status List v1.0 §6.1, herd privacy), reserved together with the
  credential id before anything is signed;
* **the run log** of a roster (which credentials one run issued or found issued), so a killed run
  resumes without a duplicate credential and without reusing an index;
* **list state**: which bits are set on each list, a version bumped by every change, and the last
  signed copy of each list (what ``omc serve`` hosts at ``/status/``);
* **requests made with an Idempotency-Key** (the VC-API's ``POST /credentials/issue``): each key with the
  digest of its request and the learner key its credential is reserved and recorded under, so a retry
  finds the reservation (same id, same indices) or the credential again (:meth:`Store.claim_key`).

:class:`omc_vc.issue.sqlite_store.SqliteStore` is the embedded implementation (the default). Any other
(a shared PostgreSQL store) implements :class:`Store` and runs against the same test suite
(``tests/unit/test_issue_store.py`` is parametrized over implementations).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, Protocol

from omc_vc.issue.config import StatusConfig

__all__ = ["RECORD_COLUMNS", "REVOCATION", "SUSPENSION", "Completion", "CredentialRecord", "KeyedRequest",
           "ListInfo", "Reservation", "SignedList", "StatusSlot", "Store", "record_of_row"]

REVOCATION: Final = "revocation"
SUSPENSION: Final = "suspension"

#: The columns of a credential record, in the order :meth:`Store.listing_rows` gives them.
RECORD_COLUMNS: Final = ("id", "learner_key", "learner_name", "achievement", "status_list", "status_index",
                         "suspension_list", "suspension_index", "content_hash", "file", "issued", "revoked",
                         "suspended")


@dataclass(frozen=True)
class StatusSlot:
    """One allocated position: ``purpose`` on the list at ``url``, index ``index``."""

    purpose: str
    url: str
    index: int

    def to_json(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "url": self.url, "index": self.index}


class Reservation(NamedTuple):
    """A credential id and its status slots, reserved for one (learner key, achievement)."""

    credential_id: str
    learner_key: str
    achievement: str
    slots: tuple[StatusSlot, ...]


@dataclass(frozen=True)
class CredentialRecord:
    """One issued credential as the store records it (the signed document is read with
    :meth:`Store.document`)."""

    id: str
    learner_key: str
    learner_name: str
    achievement: str
    status_list: str | None
    status_index: int | None
    suspension_list: str | None
    suspension_index: int | None
    content_hash: str
    file: str | None
    issued: str
    revoked: str | None
    suspended: bool

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "learner": self.learner_name, "learnerKey": self.learner_key,
                "achievement": self.achievement, "statusList": self.status_list, "statusIndex": self.status_index,
                "suspensionList": self.suspension_list, "suspensionIndex": self.suspension_index,
                "contentHash": self.content_hash, "file": self.file, "issued": self.issued,
                "revoked": self.revoked, "suspended": self.suspended}


def record_of_row(row: Sequence[Any]) -> CredentialRecord:
    """A row of :data:`RECORD_COLUMNS` as a record (SQLite gives ``suspended`` as 0/1); every store's one
    conversion."""
    return CredentialRecord(
        id=row[0], learner_key=row[1], learner_name=row[2], achievement=row[3], status_list=row[4],
        status_index=row[5], suspension_list=row[6], suspension_index=row[7], content_hash=row[8], file=row[9],
        issued=row[10], revoked=row[11], suspended=bool(row[12]))


class Completion(NamedTuple):
    """A signed credential to record: its reservation and what the store keeps of it."""

    reservation: Reservation
    learner_name: str
    content_hash: str
    file: str | None
    issued: str
    #: the signed credential, as JSON text
    document: str | None = None
    #: the id callers change its status by when it differs from the record id (a VC-API credential's own id)
    ref: str | None = None
    #: the learner's e-mail address and student number, for the records' search (a store that keeps records
    #: keeps the address as a digest: omc_vc.issue.records)
    email: str | None = None
    student_number: str | None = None


class KeyedRequest(NamedTuple):
    """A request made with an Idempotency-Key, as the store remembers it."""

    key: str
    #: the SHA-256 (hex) of the request's canonical form: the same key with another request is refused
    digest: str
    #: the learner key its credential is reserved and recorded under (achievement ""): the claim's own
    learner_key: str
    created: str
    #: the credential recorded for it (None: not yet)
    credential_id: str | None


@dataclass(frozen=True)
class ListInfo:
    """One status list: its URL, purpose, number among the issuer's lists, size, indices used, the DID
    that signs it (None: the institution's own), and a version bumped by every bit that changes."""

    url: str
    purpose: str
    number: int
    bits: int
    used: int
    issuer: str | None = None
    version: int = 0


@dataclass(frozen=True)
class SignedList:
    """The last signed copy of a list: its JSON text, the list version it shows, and its validUntil."""

    text: str
    version: int
    valid_until: str | None


class Store(Protocol):
    """What issuing needs from storage. Every method is atomic; a crash leaves the state before or after."""

    def close(self) -> None: ...

    def exclusive(self) -> AbstractContextManager[None]:
        """Hold the institution's issuing lock for a run (two runs take turns; a killed holder frees it)."""
        ...

    # --- reserve / complete -------------------------------------------------------------------------
    def reserve_many(self, items: Iterable[tuple[str, str]], status: StatusConfig, *, issuer: str | None = None,
                     purposes: Sequence[str] | None = None) -> list[Reservation | CredentialRecord]:
        """For each (learner key, achievement): the credential already issued, or a reservation (an
        existing one as it is; else a new id and fresh random indices on ``purposes``' open lists of
        ``issuer``; default purposes: revocation, and suspension when ``status.suspension``)."""
        ...

    def complete(self, item: Completion) -> CredentialRecord:
        """Record one credential as issued (its file, if any, is durable already); drop its reservation."""
        ...

    def complete_many_ids(self, items: Sequence[Completion]) -> list[str]:
        """:meth:`complete` for a group in one transaction (group commit): the credential ids."""
        ...

    # --- requests made with an Idempotency-Key ---------------------------------------------------------
    def hold_key(self, key: str) -> AbstractContextManager[bool]:
        """Hold ``key`` for one request while the block runs: True, or False when another request holds it
        (in this process or another; the draft's "request outstanding"). A killed holder's hold is dropped
        with its process or its connection."""
        ...

    def claim_key(self, key: str, digest: str, *, learner_key: str, now: str, forget_before: str) -> KeyedRequest:
        """The request remembered under ``key``, or else ``key`` claimed for this one (``digest``, and
        ``learner_key`` for its credential), in one transaction that first forgets every request made before
        ``forget_before`` (the keys' expiry). The caller compares the digests."""
        ...

    def release_key(self, key: str, learner_key: str) -> None:
        """Forget ``key``'s claim by ``learner_key`` unless a credential was recorded for it (the request
        failed before that: the key may be used again)."""
        ...

    # --- credentials --------------------------------------------------------------------------------
    def get(self, credential_id: str) -> CredentialRecord | None: ...

    def find(self, ref: str) -> list[CredentialRecord]:
        """The credentials recorded under ``ref``: the one with that id, or those the VC-API recorded with
        that credential id."""
        ...

    def records(self, ids: Sequence[str]) -> list[CredentialRecord]: ...

    def all(self) -> list[CredentialRecord]: ...

    def pending(self) -> list[Reservation]: ...

    def document(self, credential_id: str) -> dict[str, Any] | None:
        """The signed credential as issued (None when unknown or issued before documents were kept)."""
        ...

    # --- the run log --------------------------------------------------------------------------------
    def listing_reset(self) -> None: ...

    def listing_add(self, credentials: Iterable[tuple[str, str | None]]) -> None: ...

    def listing_count(self) -> int: ...

    def listing_rows(self) -> Iterator[tuple[Any, ...]]:
        """The run's credentials ordered by (file, id), each as the values of :data:`RECORD_COLUMNS`."""
        ...

    # --- list state ---------------------------------------------------------------------------------
    def lists(self) -> list[ListInfo]: ...

    def set_indices(self, list_url: str) -> list[int]: ...

    def set_revoked(self, ref: str, when: str) -> list[CredentialRecord]:
        """Revoke (for good) every credential recorded under ``ref`` (its id, or its VC-API id)."""
        ...

    def set_suspended(self, ref: str, suspended: bool) -> list[CredentialRecord]: ...

    def status_version(self) -> int:
        """A number that changes whenever any list's bits, or the set of lists, change."""
        ...

    def signed_list(self, list_url: str) -> SignedList | None: ...

    def save_signed_list(self, list_url: str, signed: SignedList) -> None: ...
