"""The registrar's records: what was issued to whom, its status history and reasons, corrections and reissues.

The issuance store (:mod:`omc_vc.issue.store`) keeps every signed credential; a store that also keeps
records implements :class:`RecordStore`, which adds:

* **search** over the credentials issued (:class:`RecordQuery`): a learner's name (any part of it, in any
  case, with or without accents), student number or e-mail address, the achievement, the issue dates, the
  status;
* **the status history**: every revoke, suspend and unsuspend with its time and the registrar's reason
  (:class:`StatusEvent`). Reasons stay in the records: a status list carries one bit per credential and
  nothing else (Bitstring Status List v1.0 §3.1), so no reason is ever published;
* **links** between a credential and the one issued in its place (:class:`RecordLink`): a *correction*
  (``replaces``: the earlier credential is revoked with the reason ``superseded`` in the same
  transaction that records the new one) or a *reissue* after a revocation (``reissue``: the earlier one
  stays revoked). A credential is followed by at most one other.

The learner's e-mail address is kept only as a digest (:func:`email_digest`), enough to find a learner by
an address the registrar types in; the name and the student number are kept as the registrar gave them.

Issuing twice for one learner and achievement is refused while the first credential holds (exactly once,
:mod:`omc_vc.issue.sqlite_store`). A correction or a reissue **retires** the earlier credential first
(:meth:`RecordStore.retire`): it keeps its record, history and status, and no longer counts as the
learner's credential for that achievement.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, Literal, Protocol, runtime_checkable

from omc_vc.errors import IssuanceError, OmcVcError
from omc_vc.i18n import Message
from omc_vc.issue.store import RECORD_COLUMNS, Completion, CredentialRecord, Store
from omc_vc.keys import KeyPair
from omc_vc.model import as_list
from omc_vc.proofs import jose

__all__ = [
    "ACTIONS",
    "CSV_COLUMNS",
    "REISSUE",
    "REPLACES",
    "RETIRED_MARK",
    "STATES",
    "SUPERSEDED",
    "Action",
    "RecordLink",
    "RecordQuery",
    "RecordStore",
    "StatusChange",
    "StatusEvent",
    "as_jwt",
    "claims_of",
    "csv_row",
    "describe",
    "email_digest",
    "fold",
    "original_learner_key",
    "record_store",
    "state_of",
    "summaries",
]

Action = Literal["revoke", "suspend", "unsuspend"]
#: The status changes a registrar makes (Bitstring Status List v1.0 §2.1: revocation is permanent,
#: suspension may be lifted).
ACTIONS: Final = ("revoke", "suspend", "unsuspend")
#: A correction: the new credential replaces the earlier one, which is revoked as :data:`SUPERSEDED`.
REPLACES: Final = "replaces"
#: A credential issued again after the earlier one was revoked (which stays revoked).
REISSUE: Final = "reissue"
#: The reason recorded when a correction revokes the credential it replaces.
SUPERSEDED: Final = "superseded"
#: A credential's state in the records: ``superseded`` is revoked because a correction replaced it.
STATES: Final = ("active", "suspended", "revoked", "superseded")
#: What a retired credential's learner key ends with (the rest is the learner key it was issued under).
RETIRED_MARK: Final = "#retired:"


def fold(text: str) -> str:
    """A name as a search compares it: no accents, one case, single spaces.

    >>> fold("  Chloé   TREMBLAY ")
    'chloe tremblay'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def email_digest(email: str) -> str:
    """What the records keep of a learner's e-mail address: SHA-256 of the address as the learner key
    reads it (trimmed, lower case), so typing the address finds the learner and the address itself is
    not kept.

    >>> email_digest(" Ana@Example.ca ") == email_digest("ana@example.ca")
    True
    """
    return hashlib.sha256(f"email:{email.strip().lower()}".encode()).hexdigest()


def original_learner_key(learner_key: str) -> str:
    """The learner key a credential was issued under (a retired credential's key carries a suffix).

    >>> original_learner_key("student:S1#retired:urn:uuid:0")
    'student:S1'
    """
    head, mark, _ = learner_key.partition(RETIRED_MARK)
    return head if mark else learner_key


@dataclass(frozen=True)
class StatusEvent:
    """One status change as the records keep it: what, when, and the registrar's reason (never published)."""

    credential_id: str
    at: str
    action: str
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {"credentialId": self.credential_id, "at": self.at, "action": self.action, "reason": self.reason}


@dataclass(frozen=True)
class RecordLink:
    """The credential ``new`` was issued in place of ``old`` (``kind``: :data:`REPLACES` or :data:`REISSUE`)."""

    old: str
    new: str
    kind: str
    at: str

    def to_json(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "kind": self.kind, "at": self.at}


@dataclass(frozen=True)
class StatusChange:
    """What a status change did: the record after it, whether anything changed and, when nothing did, why."""

    record: CredentialRecord
    changed: bool
    why: str | None = None
    event: StatusEvent | None = None


@dataclass(frozen=True)
class RecordQuery:
    """Which records to find. Every given criterion must hold.

    ``text`` finds a learner however the registrar knows them: a credential id (or its last part), a
    student number, an e-mail address, or a name (every word of ``text`` appears in the learner's name, in
    any case and with or without accents). ``issued_from`` and ``issued_to`` are dates, both included.
    ``state`` is one of :data:`STATES`.
    """

    text: str | None = None
    name: str | None = None
    student_number: str | None = None
    email: str | None = None
    achievement: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    state: str | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.state is not None and self.state not in STATES:
            raise IssuanceError(Message("state {state} is not one of {states}",
                                        state=repr(self.state), states=", ".join(STATES)), field="state")
        if self.issued_from and self.issued_to and self.issued_from > self.issued_to:
            raise IssuanceError(Message("the period starts ({start}) after it ends ({end})",
                                        start=self.issued_from, end=self.issued_to),
                                field="issued_from")
        if self.limit is not None and self.limit < 1:
            raise IssuanceError(Message("limit must be at least 1"), field="limit")

    def issued_bounds(self) -> tuple[str | None, str | None]:
        """The ``issued`` column's bounds: [from's midnight, the day after to's midnight) as stored stamps
        compare (``YYYY-MM-DDTHH:MM:SSZ`` sorts as its time)."""
        low = self.issued_from.isoformat() if self.issued_from else None
        high = (self.issued_to + timedelta(days=1)).isoformat() if self.issued_to else None
        return low, high


#: The credential records' own columns, and the ids a correction retired (both stores' SQL).
RECORD_SELECT: Final = "SELECT " + ", ".join(RECORD_COLUMNS) + " FROM credentials"  # noqa: S608
SUPERSEDED_SELECT: Final = f"SELECT old_id FROM record_links WHERE kind = '{REPLACES}'"  # noqa: S608


def like_pattern(word: str) -> str:
    """A LIKE pattern finding ``word`` anywhere (its own % and _ taken literally, ESCAPE '\\')."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_sql(query: RecordQuery, *, folded_name: str) -> tuple[str, list[Any]]:
    """The SQL (``?`` placeholders) and arguments of a record search, the same for every store:
    ``folded_name`` is the store's SQL for a learner's name folded as :func:`fold` folds (compared with
    LIKE). A store whose driver writes placeholders otherwise replaces the ``?``."""
    name_like = f"{folded_name} LIKE ? ESCAPE '\\'"
    where: list[str] = []
    args: list[Any] = []
    if query.text is not None and query.text.strip():
        text = query.text.strip()
        words = fold(text).split()
        name = " AND ".join(name_like for _ in words) or "1 = 0"
        where.append("(id = ? OR id = ? OR learner_key IN (?, ?, ?) OR id IN (SELECT credential_id FROM "  # noqa: S608
                     "record_learners WHERE learner_key IN (?, ?, ?) OR student_number = ? OR email_digest = ?) "
                     f"OR ({name}))")
        keys = [f"student:{text}", f"email:{text.lower()}", text]
        args += [text, f"urn:uuid:{text.lower()}", *keys, *keys, text, email_digest(text),
                 *(like_pattern(w) for w in words)]
    if query.name is not None:
        words = fold(query.name).split()
        if not words:
            raise IssuanceError(Message("the name to search for is empty"), field="name")
        where.extend(name_like for _ in words)
        args += [like_pattern(w) for w in words]
    if query.student_number is not None:
        number = query.student_number.strip()
        where.append("(learner_key = ? OR id IN (SELECT credential_id FROM record_learners WHERE "
                     "student_number = ? OR learner_key = ?))")
        args += [f"student:{number}", number, f"student:{number}"]
    if query.email is not None:
        key = f"email:{query.email.strip().lower()}"
        where.append("(learner_key = ? OR id IN (SELECT credential_id FROM record_learners WHERE "
                     "email_digest = ? OR learner_key = ?))")
        args += [key, email_digest(query.email), key]
    if query.achievement is not None:
        where.append("achievement = ?")
        args.append(query.achievement)
    low, high = query.issued_bounds()
    if low is not None:
        where.append("issued >= ?")
        args.append(low)
    if high is not None:
        where.append("issued < ?")
        args.append(high)
    # suspended is 0/1 in SQLite and a boolean in PostgreSQL: compared the way both read alike
    if query.state == "active":
        where.append("revoked IS NULL AND suspended = FALSE")
    elif query.state == "suspended":
        where.append("revoked IS NULL AND suspended = TRUE")
    elif query.state == "revoked":
        where.append(f"revoked IS NOT NULL AND id NOT IN ({SUPERSEDED_SELECT})")
    elif query.state == "superseded":
        where.append(f"revoked IS NOT NULL AND id IN ({SUPERSEDED_SELECT})")
    sql = RECORD_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY issued, id"
    if query.limit is not None:
        sql += " LIMIT ?"
        args.append(query.limit)
    return sql, args


def state_of(record: CredentialRecord, superseded: bool) -> str:
    """A record's state (one of :data:`STATES`); ``superseded``: a correction replaced it."""
    if record.revoked is not None:
        return "superseded" if superseded else "revoked"
    return "suspended" if record.suspended else "active"


@runtime_checkable
class RecordStore(Store, Protocol):
    """An issuance store that keeps the registrar's records. Every method is atomic."""

    def search(self, query: RecordQuery) -> list[CredentialRecord]:
        """The records ``query`` finds, oldest issued first."""
        ...

    def history(self, credential_id: str) -> list[StatusEvent]:
        """The credential's status changes, oldest first."""
        ...

    def links(self, credential_ids: Sequence[str]) -> list[RecordLink]:
        """The links in which any of ``credential_ids`` is the earlier or the later credential."""
        ...

    def superseded(self, credential_ids: Sequence[str]) -> set[str]:
        """Which of ``credential_ids`` a correction replaced."""
        ...

    def learner_key(self, credential_id: str) -> str | None:
        """The learner key the credential was issued under (a retired one's too)."""
        ...

    def student_number(self, credential_id: str) -> str | None:
        """The learner's student number, when the issuer gave one."""
        ...

    def events_between(self, start: str, end: str) -> list[StatusEvent]:
        """Every status change with ``start <= at < end`` (stored stamps), oldest first."""
        ...

    def record_status(self, credential_id: str, action: Action, *, when: str,
                      reason: str | None = None) -> StatusChange:
        """Revoke, suspend or unsuspend one credential and keep the change with its reason, in one
        transaction. A change that changes nothing (revoking a revoked credential, suspending a revoked
        or suspended one, lifting a suspension that is not there) records nothing and says why.
        IssuanceError: unknown id (NOT_FOUND), no entry of that purpose, lifting a revoked credential's
        suspension (STATUS_IRREVERSIBLE)."""
        ...

    def retire(self, credential_id: str) -> CredentialRecord:
        """Let the credential's learner receive a new credential for its achievement (a correction or a
        reissue); the credential keeps its record, history and status."""
        ...

    def complete_linked(self, item: Completion, *, old: str, kind: str, when: str,
                        reason: str | None = None) -> tuple[CredentialRecord, StatusChange | None]:
        """:meth:`Store.complete` and, in the same transaction, the link from ``old`` to the new credential;
        for :data:`REPLACES`, ``old`` is revoked too (reason :data:`SUPERSEDED`, or ``reason``) unless it is
        already. IssuanceError (ALREADY_REPLACED) when ``old`` is already followed by another credential."""
        ...


def record_store(store: Store) -> RecordStore:
    """``store`` as a :class:`RecordStore`, or an IssuanceError saying this store keeps no records."""
    if not isinstance(store, RecordStore):
        raise IssuanceError(Message("this issuance store ({kind}) keeps no records",
                                    kind=type(store).__name__), field="store")
    return store


# --- reading a record for a person or a registrarial system ------------------------------------------

def claims_of(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """The credential as issued: the kept document, or the payload of a VC-JWT kept as its
    EnvelopedVerifiableCredential (VCDM 2.0 §4.13.1; read, not verified: it is the store's own record)."""
    if document is None:
        return None
    if "EnvelopedVerifiableCredential" not in as_list(document.get("type")):
        return document
    try:
        payload = jose.unenvelope(document).split(".")[1]
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (OmcVcError, IndexError, ValueError, binascii.Error):
        return None
    return claims if isinstance(claims, dict) else None


def _subject(claims: dict[str, Any] | None) -> dict[str, Any]:
    subjects = [s for s in as_list((claims or {}).get("credentialSubject")) if isinstance(s, dict)]
    return subjects[0] if subjects else {}


def _facts(claims: dict[str, Any] | None) -> dict[str, Any]:
    """What a registrar reads in the credential itself: the achievement's name and URL, the completion date,
    the result, the learner's evidence, the validity."""
    subject = _subject(claims)
    found = subject.get("achievement")
    achievement: dict[str, Any] = found if isinstance(found, dict) else {}
    results = [r.get("value") for r in as_list(subject.get("result")) if isinstance(r, dict)]
    end = subject.get("activityEndDate")
    return {
        "achievementName": achievement.get("name") if isinstance(achievement.get("name"), str) else None,
        "achievementUrl": achievement.get("id") if isinstance(achievement.get("id"), str) else None,
        "completed": end[:10] if isinstance(end, str) else None,
        "result": next((r for r in results if isinstance(r, str)), None),
        "evidence": [e.get("id") for e in as_list((claims or {}).get("evidence"))
                     if isinstance(e, dict) and isinstance(e.get("id"), str)],
        "validUntil": (claims or {}).get("validUntil"),
    }


def describe(store: RecordStore, record: CredentialRecord) -> dict[str, Any]:
    """Everything the records hold about one credential: its record, the facts of the credential as issued,
    its state, its status history (issued first; a change made before the history was kept is shown
    from the record, without a reason) and the credentials linked to it."""
    links = store.links([record.id])
    superseded = any(link.old == record.id and link.kind == REPLACES for link in links)
    history: list[dict[str, Any]] = [{"at": record.issued, "action": "issue", "reason": None}]
    events = store.history(record.id)
    history += [{"at": e.at, "action": e.action, "reason": e.reason} for e in events]
    if record.revoked is not None and not any(e.action == "revoke" for e in events):
        history.append({"at": record.revoked, "action": "revoke", "reason": None})
    out: dict[str, Any] = {**record.to_json(), "learnerKey": store.learner_key(record.id) or
                           original_learner_key(record.learner_key), "state": state_of(record, superseded)}
    out.update(_facts(claims_of(store.document(record.id))))
    out["history"] = history
    for link in links:
        if link.new == record.id:
            out["replaces" if link.kind == REPLACES else "reissueOf"] = link.old
        if link.old == record.id:
            out["replacedBy" if link.kind == REPLACES else "reissuedAs"] = link.new
    return out


def summaries(store: RecordStore, records: Sequence[CredentialRecord]) -> list[dict[str, Any]]:
    """One line's worth per record (id, learner, achievement, issued, state, file), for lists."""
    superseded = store.superseded([r.id for r in records])
    return [{"id": r.id, "learner": r.learner_name, "learnerKey": original_learner_key(r.learner_key),
             "achievement": r.achievement, "issued": r.issued, "state": state_of(r, r.id in superseded),
             "revoked": r.revoked, "file": r.file} for r in records]


#: The columns of the records' CSV export (a registrarial system's import).
CSV_COLUMNS: Final = ("credential_id", "learner_name", "student_number", "learner_key", "achievement",
                      "achievement_name", "completed", "result", "issued", "state", "status_changed",
                      "status_reason", "replaces", "replaced_by", "file")


def csv_row(store: RecordStore, record: CredentialRecord) -> list[Any]:
    """The values of :data:`CSV_COLUMNS` for one record (the caller neutralises each cell)."""
    view = describe(store, record)
    key = str(view["learnerKey"])
    student = store.student_number(record.id) or (key.removeprefix("student:") if key.startswith("student:")
                                                    else None)
    last = view["history"][-1]
    changed = last if last["action"] != "issue" else None
    return [record.id, record.learner_name, student, key, record.achievement, view["achievementName"],
            view["completed"], view["result"], record.issued, view["state"], changed and changed["at"],
            changed and changed["reason"], view.get("replaces") or view.get("reissueOf"),
            view.get("replacedBy") or view.get("reissuedAs"), record.file]


def as_jwt(document: dict[str, Any], key: KeyPair) -> str:
    """The credential as a VC-JWT (Open Badges 3.0 §8.2): the token itself when it was issued as one,
    otherwise the credential as issued, without its Data Integrity proof, secured by ``key`` (the
    institution's: the same issuer, id, subject and status entries)."""
    if "EnvelopedVerifiableCredential" in as_list(document.get("type")):
        return jose.unenvelope(document)
    claims = {k: v for k, v in document.items() if k != "proof"}
    return jose.sign_jwt(claims, key, profile="ob3")
