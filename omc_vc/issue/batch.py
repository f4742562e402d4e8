"""Single and batch issuance: a registrar's roster CSV in, one signed OMC file per learner out.

The roster is the registrar's CSV export, one learner a row, with a header naming the columns
(case-insensitive; the aliases in :data:`COLUMNS` are accepted)::

    name,email,student_number,learner_did,achievement,completion_date,result,evidence_url,language

``name``, ``achievement`` (a catalogue id) and ``completion_date`` (YYYY-MM-DD, not in the future) are
required, and one of ``email``, ``student_number`` or ``learner_did``; an ``evidence_url`` must be https.
``language`` (a BCP 47 tag such as ``fr-CA``; empty: the institution's default) picks the achievement's
language edition; a language the achievement has no edition in is reported for that row.
The delimiter is read from the header: a comma, a semicolon (what a spreadsheet writes where the comma
is the decimal mark), a tab or a vertical bar. A bad row is reported with its line number and
skipped (``strict=True`` refuses the whole roster instead, before anything is issued). The roster is
split into CSV records first (a microsecond a row); each row is then checked when the run needs it, so
the signing workers start on the first rows while the parent checks the next ones (``strict=True``
checks every row first). A duplicate (same learner and achievement as an earlier row) is reported however
far apart the two rows are, and the errors come out in roster order either way.

The roster is run through the one :class:`~omc_vc.issue.issuer.Issuer` (:func:`issue_roster`): its
policy gate and reservations in this process, its signing phase (:func:`~omc_vc.issue.issuer.sign_job`)
here (``workers=1``) or in a process pool for the whole run, fed in tasks of :data:`TASK` rows while the
next chunk is reserved, and its records in this process. Issuance is resumable and exactly-once per
(learner, achievement): see :mod:`omc_vc.issue.sqlite_store`. Each worker signs its task and writes every
credential to a temporary file of its own in the output folder; the parent then makes a group of
finished tasks durable in three steps (DESIGN decision 10, the atomic write done for a group at once):

1. the temporary files' data is flushed to disk (one ``syncfs`` of the folder's filesystem on Linux,
   :mod:`omc_vc.issue._fastfs`; elsewhere each worker fsyncs its files before it reports them);
2. each one is renamed to its credential's name and the folder is fsynced (the renames are durable);
3. the group's credentials, with their signed documents, are recorded in one transaction (group commit).

So a file is always whole and durable before its row commits. A run killed anywhere leaves at most
temporary files (deleted by the next run, whose reservations sign the same ids again) and renamed
files whose rows did not commit (adopted by the next run: made durable, then recorded). The pool's
workers die with the parent (a parent killed alone leaves no worker holding the issuing lock). With one
worker (or a tiny roster) each credential is signed, written and recorded in turn. The JSON index (and a
CSV copy whose cells are neutralised against spreadsheet formula injection) is streamed from the store's
run log at the end, each written atomically, and the report keeps credential ids, not records, so memory
does not grow with the cohort's records.
"""

from __future__ import annotations

import contextlib
import csv
import fnmatch
import functools
import hashlib
import io
import json
import multiprocessing
import os
import re
import sys
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Final, overload

from omc_vc._internal import atomic
from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.errors import InputError, IssuanceError, OmcVcError, PolicyError
from omc_vc.i18n import Message
from omc_vc.issue import _fastfs
from omc_vc.issue.issuer import Issuer, Job, SigningSetup, attempt, completion_problem, evidence_problem, make_job
from omc_vc.issue.store import RECORD_COLUMNS, Completion, CredentialRecord, Reservation, Store
from omc_vc.keys import KeyPair
from omc_vc.omc.builder import Learner, learner_key

__all__ = [
    "COLUMNS",
    "DELIMITERS",
    "BatchReport",
    "RosterInterrupted",
    "RosterRow",
    "RowError",
    "credential_file_name",
    "csv_safe",
    "issue_roster",
    "read_roster",
]

MAX_ROSTER_BYTES: Final = 64 * 1024 * 1024
MAX_FIELD_CHARS: Final = 2048
#: Rows reserved in one transaction, per signing worker (the pipeline keeps about one such step queued).
CHUNK: Final = 512
#: Jobs per task sent to a signing worker: it signs them and writes their temporary files.
TASK: Final = 64
#: A group commit covers the results of whole tasks, at least this many credentials (or 1/16 of a smaller
#: roster, so that a small batch still commits as it goes).
GROUP: Final = 512
#: ``BatchReport.to_json`` lists at most this many credentials; the index file lists them all.
JSON_LISTING_LIMIT: Final = 1000
#: Roster column -> accepted header spellings.
COLUMNS: Final = {
    "name": ("name", "learner_name", "full_name", "learner"),
    "email": ("email", "e-mail", "email_address", "learner_email"),
    "student_number": ("student_number", "student_id", "student_no", "studentnumber"),
    "did": ("learner_did", "did"),
    "achievement": ("achievement", "achievement_id", "credential", "course"),
    "completed": ("completion_date", "completed", "completed_on", "date"),
    "result": ("result", "grade", "outcome"),
    "evidence_url": ("evidence_url", "evidence"),
    "language": ("language", "lang", "langue"),
}
#: The delimiters a roster may use (the header decides: the one that finds the most known columns).
DELIMITERS: Final = (",", ";", "\t", "|")
_EMAIL: Final = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
_DID: Final = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._:%-]+")


@dataclass(frozen=True)
class RosterRow:
    """One valid roster row (``line`` is its line number in the CSV file)."""

    line: int
    name: str
    achievement: str
    completed: date
    email: str | None = None
    student_number: str | None = None
    did: str | None = None
    result: str | None = None
    evidence_url: str | None = None
    #: the achievement's edition the learner gets (a BCP 47 tag; None: the institution's default)
    language: str | None = None

    def learner(self) -> Learner:
        return Learner(name=self.name, email=self.email, student_number=self.student_number, did=self.did)

    def learner_key(self) -> str:
        """``self.learner().key()`` (the issuance state's identity of the learner), without the Learner."""
        return learner_key(did=self.did, student_number=self.student_number, email=self.email)


class RosterInterrupted(KeyboardInterrupt):
    """A roster run stopped by an interrupt (Ctrl-C): how far it got. Every credential counted is recorded
    and its file written; the same run again resumes (the store's reservations: exactly once)."""

    def __init__(self, issued: int, already: int, total: int) -> None:
        super().__init__(issued, already, total)
        self.issued = issued
        self.already = already
        self.total = total

    def __str__(self) -> str:
        return (f"{self.issued} credential(s) issued by this run and {self.already} found issued "
                f"before, of {self.total} roster row(s); run the same command again to resume (it issues only "
                "what is missing, never a credential twice)")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return Message("line {line}: {message}", line=str(self.line), message=self.message)


class StoredRecords(Sequence[CredentialRecord]):
    """The credential records of one roster run, read back from the store when asked for.

    Only the credential ids are held in memory (a 100,000-credential batch does not keep 100,000
    records); ``len()`` is free, iterating reads the records in batches as the store holds them then.
    The store must still be open.
    """

    def __init__(self, store: Store, ids: Sequence[str]) -> None:
        self._store = store
        self._ids = list(ids)

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> CredentialRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[CredentialRecord]: ...

    def __getitem__(self, index: int | slice) -> CredentialRecord | list[CredentialRecord]:
        if isinstance(index, slice):
            return self._store.records(self._ids[index])
        wanted = self._ids[index]
        found = self._store.records([wanted])
        if not found:
            raise IssuanceError(Message("{wanted} is no longer in the issuance store", wanted=wanted))
        return found[0]

    def __iter__(self) -> Iterator[CredentialRecord]:
        for start in range(0, len(self._ids), 500):
            yield from self._store.records(self._ids[start:start + 500])

    def __repr__(self) -> str:
        return f"<{len(self._ids)} credential record(s)>"


@dataclass
class BatchReport:
    """What a batch did: issued now, issued before (skipped), bad rows, where the index is.

    ``issued`` and ``already`` are sequences of :class:`CredentialRecord` (after :func:`issue_roster`, a
    :class:`StoredRecords` that reads them from the store: counts, not records, in memory).
    """

    issued: Sequence[CredentialRecord] = field(default_factory=list)
    already: Sequence[CredentialRecord] = field(default_factory=list)
    recovered: int = 0
    errors: list[RowError] = field(default_factory=list)
    index_file: Path | None = None

    @property
    def total(self) -> int:
        return len(self.issued) + len(self.already)

    def summary(self) -> str:
        parts = [f"{len(self.issued)} issued", f"{len(self.already)} already issued (skipped)",
                 f"{len(self.errors)} bad row(s)"]
        if self.recovered:
            parts.append(f"{self.recovered} recovered from an interrupted run")
        return ", ".join(parts)

    def to_json(self, *, limit: int | None = JSON_LISTING_LIMIT) -> dict[str, Any]:
        """The summary as JSON. ``credentials`` lists at most ``limit`` records (None: all of them, in
        memory); when some are left out, ``credentialsOmitted`` says how many (the index lists them all)."""
        listed: list[dict[str, Any]] = []
        for records in (self.issued, self.already):
            room = len(records) if limit is None else max(0, min(len(records), limit - len(listed)))
            if room:
                listed.extend(r.to_json() for r in records[:room])
        out: dict[str, Any] = {
            "issued": len(self.issued), "alreadyIssued": len(self.already), "recovered": self.recovered,
            "errors": [{"line": e.line, "message": e.message} for e in self.errors],
            "index": str(self.index_file) if self.index_file else None, "credentials": listed}
        if len(listed) < self.total:
            out["credentialsOmitted"] = self.total - len(listed)
        return out


# --- the roster ------------------------------------------------------------------------------------

def _header_map(header: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for position, raw in enumerate(header):
        name = raw.strip().lower().replace(" ", "_")
        for column, aliases in COLUMNS.items():
            if name in aliases:
                if column in found:
                    raise InputError(Message("roster header names {column} twice", column=repr(column)), field=column)
                found[column] = position
    for column in ("name", "achievement", "completed"):
        if column not in found:
            raise InputError(Message("roster header has no {column} column (accepted: {accepted})", column=repr(column),
                                     accepted=", ".join(COLUMNS[column])),
                             field=column)
    if not {"email", "student_number", "did"} & set(found):
        raise InputError(Message("roster header needs an email, student_number or learner_did column"), field="learner")
    return found


def _known_columns(header: Sequence[str]) -> int:
    names = {alias for aliases in COLUMNS.values() for alias in aliases}
    return sum(1 for raw in header if raw.strip().lower().replace(" ", "_") in names)


def _delimiter(text: str) -> str:
    """The roster's delimiter: of :data:`DELIMITERS`, the one whose reading of the header line finds the most
    known column names (the comma when none finds more than it)."""
    first = text.split("\n", 1)[0]
    best, found = ",", -1
    for candidate in DELIMITERS:
        try:
            header = next(csv.reader([first], delimiter=candidate))
        except (csv.Error, StopIteration):
            continue
        known = _known_columns(header)
        if known > found:
            best, found = candidate, known
    return best


def _clean(value: str) -> str:
    # NFC and no control characters: what a spreadsheet export may smuggle in (printable ASCII is NFC already
    # and holds no control character: the fast path of _row)
    text = unicodedata.normalize("NFC", value).strip()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def _row(line: int, cells: list[str], columns: dict[str, int], catalogue: set[str] | None, today: date) -> RosterRow:
    joined = "".join(cells)
    # the usual row: printable ASCII, no cell longer than the limit; each cell then only needs its spaces stripped
    plain = joined.isascii() and joined.isprintable() and len(joined) <= MAX_FIELD_CHARS
    cell: Callable[[str], str | None]
    if plain:
        count = len(cells)
        cell = {column: (cells[position].strip() or None) if position < count else None
                for column, position in columns.items()}.get
    else:
        def cell(column: str) -> str | None:
            position = columns.get(column)
            if position is None or position >= len(cells):
                return None
            raw = cells[position]
            if len(raw) > MAX_FIELD_CHARS:
                raise ValueError(Message("{column} is longer than {limit} characters", column=column,
                                     limit=MAX_FIELD_CHARS))
            text = _clean(raw)
            return text or None

    name = cell("name")
    if not name:
        raise ValueError(Message("name is empty"))
    achievement = cell("achievement")
    if not achievement:
        raise ValueError(Message("achievement is empty"))
    if catalogue is not None and achievement not in catalogue:
        raise ValueError(Message("achievement {achievement} is not in the catalogue", achievement=repr(achievement)))
    completed_text = cell("completed")
    try:
        completed = date.fromisoformat(completed_text or "")
    except ValueError:
        raise ValueError(Message("completion_date {value} is not a date (YYYY-MM-DD)",
                                 value=repr(completed_text))) from None
    late = completion_problem(completed, today)
    if late:
        raise ValueError(late)
    email, student, did = cell("email"), cell("student_number"), cell("did")
    if email and not _EMAIL.fullmatch(email):
        raise ValueError(Message("email {email} is not an e-mail address", email=repr(email)))
    if did and not _DID.fullmatch(did):
        raise ValueError(Message("learner_did {did} is not a DID", did=repr(did)))
    if not (email or student or did):
        raise ValueError(Message("the learner needs an email, a student_number or a learner_did"))
    evidence = cell("evidence_url")
    if evidence and evidence_problem(evidence):
        raise ValueError(Message("evidence_url {url} is not an https URL", url=repr(evidence)))
    return RosterRow(line=line, name=name, achievement=achievement, completed=completed, email=email,
                     student_number=student, did=did, result=cell("result"), evidence_url=evidence,
                     language=cell("language"))


@dataclass
class _ParsedRoster:
    """A roster split into CSV records, not yet validated: the header's columns, each non-blank record with
    its line number, and the CSV error that ended the file early (a broken quote), if any."""

    columns: dict[str, int]
    records: deque[tuple[int, list[str]]]
    broken: RowError | None


def _parse_roster(source: str | Path | bytes) -> _ParsedRoster:
    """Read, decode and split the roster into CSV records (about a microsecond a row; the checks of each row
    are :class:`_RowChecker`'s). Raises InputError only when the file as a whole is unusable (unreadable,
    not UTF-8, no usable header)."""
    if isinstance(source, bytes):
        raw = source
    else:
        try:
            path = Path(source)
            if path.stat().st_size > MAX_ROSTER_BYTES:
                raise InputError(Message("roster {path} is larger than {limit} bytes",
                                         path=str(path), limit=MAX_ROSTER_BYTES))
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(Message("roster {source} cannot be read ({why})",
                                     source=str(source), why=str(exc.strerror))) from exc
    try:
        text = raw.decode("utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError as exc:
        raise InputError(Message("the roster is not UTF-8 text (byte {position}); export it as 'CSV UTF-8'",
                                 position=str(exc.start))) from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(Message("the roster is empty")) from None
    except csv.Error as exc:
        raise InputError(Message("the roster header is not valid CSV: {why}", why=str(exc))) from exc
    columns = _header_map(header)
    records: deque[tuple[int, list[str]]] = deque()
    broken: RowError | None = None
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            broken = RowError(start, Message("not valid CSV ({why})", why=str(exc)))
            break  # the csv module cannot resynchronise after a broken quote
        if any(map(str.strip, cells)):  # a row of blank cells is skipped
            records.append((start, cells))
    return _ParsedRoster(columns, records, broken)


class _RowChecker:
    """Checks a parsed roster's records in file order, each once, as many at a time as asked for: a batch
    issues the first rows while it checks the next ones. A later row naming the same learner and
    achievement as an earlier one is a duplicate, however far apart they are."""

    def __init__(self, roster: _ParsedRoster, catalogue: set[str] | None, today: date | None = None) -> None:
        self._today = today or utcnow().date()
        self._columns = roster.columns
        self._records = roster.records
        self._catalogue = catalogue
        self._seen: dict[tuple[str, str], int] = {}
        self._broken = roster.broken

    @property
    def exhausted(self) -> bool:
        return not self._records and self._broken is None

    def take(self, limit: int | None, errors: list[RowError]) -> list[RosterRow]:
        """Up to ``limit`` good rows (None: all that are left); each bad row goes to ``errors``."""
        rows: list[RosterRow] = []
        records, columns, catalogue, seen = self._records, self._columns, self._catalogue, self._seen
        while records and (limit is None or len(rows) < limit):
            line, cells = records.popleft()
            try:
                row = _row(line, cells, columns, catalogue, self._today)
                identity = (row.learner_key(), row.achievement)
            except (ValueError, OmcVcError) as exc:
                ours = bool(exc.args) and isinstance(exc.args[0], Message)
                errors.append(RowError(line, exc.args[0] if ours else str(exc)))
                continue
            if identity in seen:
                errors.append(RowError(line, Message("duplicate of line {line} (same learner and achievement)",
                                                     line=str(seen[identity]))))
                continue
            seen[identity] = line
            rows.append(row)
        if not records and self._broken is not None:
            errors.append(self._broken)
            self._broken = None
        return rows


def read_roster(source: str | Path | bytes, *, catalogue: set[str] | None = None,
                today: date | None = None) -> tuple[list[RosterRow], list[RowError]]:
    """Parse a roster CSV: the good rows and the bad ones (with line numbers); a completion date after
    ``today`` (default: today, UTC) is a bad row. Raises InputError only when the file as a whole is
    unusable (unreadable, not UTF-8, no usable header)."""
    errors: list[RowError] = []
    rows = _RowChecker(_parse_roster(source), catalogue, today).take(None, errors)
    return rows, errors


# --- files -----------------------------------------------------------------------------------------

_NOT_SLUG: Final = re.compile(r"[^A-Za-z0-9]+")
_NOT_HEX: Final = re.compile(r"[^0-9a-f]")


def _slug(text: str, limit: int) -> str:
    # NFKD leaves ASCII text as it is (no ASCII character has a decomposition): the usual name skips it
    ascii_text = text if text.isascii() else \
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_text).strip("-").lower()
    return slug[:limit].strip("-")


#: The slug of an achievement id: one per catalogue entry, computed once per process.
_achievement_slug: Final = functools.lru_cache(maxsize=1024)(_slug)


def credential_file_name(learner_name: str, achievement: str, credential_id: str) -> str:
    """A file name that is safe whatever the roster holds: ASCII letters, digits and '-' only, no path,
    never hidden, unique by the credential id.

    >>> credential_file_name("../../etc/passwd", "ACME 101", "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    'etc-passwd-acme-101-1b4e28ba2fa1.json'
    """
    tail = _NOT_HEX.sub("", credential_id.rsplit(":", 1)[-1].lower())[:12] or \
        hashlib.sha256(credential_id.encode("utf-8")).hexdigest()[:12]
    parts = [p for p in (_slug(learner_name, 40), _achievement_slug(achievement, 40), tail) if p]
    return "-".join(parts) + ".json"


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def csv_safe(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection: prefix with ').

    >>> csv_safe("=HYPERLINK(\\"http://evil\\")"), csv_safe("Ana"), csv_safe(None)
    ('\\'=HYPERLINK("http://evil")', 'Ana', '')
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


# --- signing (in worker processes) -----------------------------------------------------------------

_WORKER: dict[str, Any] = {}
_TEMP_FLAGS: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
#: Temporary files a killed run can leave in the output folder: a credential's (``.<name>.json.<pid>.tmp``, see
#: :func:`_temp_name`), index.json's and index.csv's (``atomic``: ``.<name>.<random>.tmp``).
_TEMP_PATTERNS: Final = (".*.json.*.tmp", ".index.csv.*.tmp")


def _init_worker(setup: SigningSetup, folder: str, fsync_each: bool, parent: int) -> None:
    _fastfs.die_with_parent(parent)
    _WORKER["setup"] = setup
    _WORKER["key"] = setup.key()
    _WORKER["folder"] = folder
    _WORKER["fsync_each"] = fsync_each


def _temp_name(name: str) -> str:
    """The temporary file a worker writes for ``name`` (matches :data:`_TEMP_PATTERNS`): unique because the
    credential file name is, and only the run holding the issuing lock writes into the folder."""
    return f".{name}.{os.getpid()}.tmp"


def _write_new(path: str, data: bytes, fsync: bool) -> None:
    """Create ``path`` (never an existing file or a symbolic link) holding ``data``."""
    fd = os.open(path, _TEMP_FLAGS, 0o600)
    try:
        os.fchmod(fd, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if fsync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    os.close(fd)


#: What a signing worker reports per job: (credential id, signed text, temporary file, file name, the file's
#: SHA-256), or (credential id, None, why it was not signed, None, None). The worker hashes the bytes it
#: wrote, so the parent neither encodes nor hashes the text again.
_Done = tuple[str, str | None, str, str | None, str | None]


def _sign_task(jobs: list[tuple[Any, ...]]) -> list[_Done]:
    """One task of a signing worker: the Issuer's signing phase (:func:`sign_job`) for each job (a
    :class:`Job` sent as a plain tuple), each written to its temporary file (the parent makes the group
    durable, renames and records it)."""
    setup: SigningSetup = _WORKER["setup"]
    key: KeyPair = _WORKER["key"]
    folder: str = _WORKER["folder"]
    fsync_each: bool = _WORKER["fsync_each"]
    out: list[_Done] = []
    for raw in jobs:
        job = Job._make(raw)
        credential_id, text, problem = attempt(setup, key, job)
        if text is None:
            out.append((credential_id, None, problem or "unknown error", None, None))
            continue
        name = job.file or credential_file_name(job.name, job.achievement, credential_id)
        temp = _temp_name(name)
        data = text.encode("utf-8")
        _write_new(os.path.join(folder, temp), data, fsync_each)
        out.append((credential_id, text, temp, name, hashlib.sha256(data).hexdigest()))
    return out


def _pool(setup: SigningSetup, workers: int, folder: Path, fsync_each: bool) -> ProcessPoolExecutor:
    """The signing processes of a whole run (started once: the context memo stays warm in each)."""
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=_init_worker, initargs=(setup, str(folder), fsync_each, os.getpid()))


# --- the runner ------------------------------------------------------------------------------------

def _adopt(out_dir: Path, name: str, reservation: Reservation) -> tuple[str, str, str] | None:
    """A file written by an interrupted run whose row did not commit: (content hash, name, text)."""
    path = out_dir / name
    try:
        data = path.read_bytes()
        document = loads_object(data, what=str(path))
    except (OSError, OmcVcError):
        return None
    if document.get("id") != reservation.credential_id or not isinstance(document.get("proof"), dict | list):
        return None
    return hashlib.sha256(data).hexdigest(), name, data.decode("utf-8")


def _task_bounds(count: int, workers: int, *, final: bool) -> list[tuple[int, int]]:
    """How a chunk of ``count`` jobs is cut into tasks: :data:`TASK` jobs each (fewer when the chunk is
    small, so every worker gets some), and at the end of the run's last chunk tasks a quarter that size,
    so the workers finish close together."""
    size = max(1, min(TASK, -(-count // (2 * workers))))
    small_from = count - workers * TASK if final else count
    bounds: list[tuple[int, int]] = []
    first = 0
    while first < count:
        last = min(count, first + (size if first < small_from else max(1, size // 4)))
        bounds.append((first, last))
        first = last
    return bounds


def _scan_folder(target: Path) -> set[str]:
    """Delete the temporary files a killed run left in ``target`` (never credentials: never renamed, so never
    committed) and give the names of the credential files already there: the only files a reservation
    resumed by this run can adopt (only the run holding the issuing lock writes into the folder)."""
    names: set[str] = set()
    with os.scandir(target) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                temporary = any(fnmatch.fnmatchcase(entry.name, pattern) for pattern in _TEMP_PATTERNS)
                if temporary and not entry.is_dir(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
            elif entry.name.endswith(".json"):
                names.add(entry.name)
    return names


def _flush_files(syncfs: Callable[[int], None] | None, folder: Path, names: Sequence[str]) -> None:
    """The data of ``names`` (files in ``folder``) is on disk when this returns: one syncfs of the folder's
    filesystem, or an fsync of each file where syncfs is missing."""
    if syncfs is not None:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            syncfs(fd)
        finally:
            os.close(fd)
        return
    for name in names:
        fd = os.open(folder / name, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def issue_roster(issuer: Issuer, roster: str | Path | bytes, out_dir: str | Path, *, strict: bool = False,
                 workers: int = 2, progress: Callable[[int, int], None] | None = None) -> BatchReport:
    """Run ``issuer`` over a roster: one OMC per good row into ``out_dir`` (resumable, exactly once per
    learner and achievement), signed in this process (``workers=1``) or in a pool of ``workers``
    processes that run the Issuer's signing phase. Both runners reserve, write and record the same way.
    """
    if workers < 1:
        raise IssuanceError(Message("workers must be at least 1"), field="workers")
    config = issuer.config
    config.require_omc()
    parsed = _parse_roster(roster)
    checker = _RowChecker(parsed, set(config.catalogue), issuer.clock().date())
    # the rows to account for (issued, skipped or reported), and the broken line that ends a roster early
    total = len(parsed.records) + (parsed.broken is not None)
    errors: list[RowError] = []

    def take(limit: int | None) -> list[RosterRow]:
        """The next good rows (at most ``limit``), the achievements they name through the policy gate."""
        wanted: list[RosterRow] = []
        while not checker.exhausted and (limit is None or len(wanted) < limit):
            fresh = checker.take(None if limit is None else limit - len(wanted), errors)
            refused = issuer.refused({r.achievement for r in fresh})
            for row in fresh:
                failure = refused.get(row.achievement) or issuer.language_problem(row.achievement, row.language)
                if failure is None:
                    wanted.append(row)
                else:
                    errors.append(RowError(row.line, Message("achievement {achievement}: {why}",
                                                             achievement=repr(row.achievement), why=failure)))
        return wanted

    checked: list[RosterRow] | None = None
    if strict:
        # every row checked (and every achievement through the gate) before anything is reserved or signed
        checked = take(None)
        if errors:
            errors.sort(key=lambda e: e.line)
            shown: str = str(errors[0])
            for error in errors[1:5]:
                shown = Message("{earlier}; {later}", earlier=shown, later=str(error))
            if len(errors) > 5:
                refusal = Message("roster refused (--strict), nothing issued: {errors} (and {more} more)", errors=shown,
                                  more=len(errors) - 5)
            else:
                refusal = Message("roster refused (--strict), nothing issued: {errors}", errors=shown)
            refused_any = bool(issuer.refused({c for c in config.catalogue}))
            raise (PolicyError if refused_any else IssuanceError)(refusal, errors=[str(e) for e in errors])
    report = BatchReport(errors=errors)
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    setup = issuer.setup()
    store = issuer.store
    moment = issuer.clock()
    stamp = format_datetime(moment)
    issued_at = moment.replace(microsecond=0).isoformat()
    issued_ids: list[str] = []
    already_ids: list[str] = []
    done = 0
    step = CHUNK * max(1, workers)
    use_pool = workers > 1 and total >= 2 * workers
    folder = str(target)  # the renames of a group join plain strings (no Path object per file)
    syncfs = _fastfs.syncfs_function()  # None: the workers fsync each file they write
    pool: ProcessPoolExecutor | None = None
    # tasks sent to the pool, oldest first: the future and, per job, (row, reservation)
    in_flight: deque[tuple[Future[list[_Done]], list[tuple[RosterRow, Reservation]]]] = deque()
    queued = 0
    group_size = max(1, min(GROUP, total // 16))

    def tick() -> None:
        if progress:  # the rows issued or skipped, and those reported (bad, refused, not signed)
            progress(done + len(report.errors), total)

    def drain() -> None:
        """The results of the oldest tasks, at least ``group_size`` credentials (or all that are left), made
        durable and recorded as one group (the bigger the group, the fewer index pages each row rewrites)."""
        nonlocal done, queued
        group: list[Completion] = []
        renames: list[tuple[str, str]] = []
        taken = 0
        while in_flight and taken < group_size:
            future, waiting = in_flight.popleft()
            taken += len(waiting)
            queued -= len(waiting)
            for (row, reservation), (credential_id, text, detail, name, digest) in zip(waiting, future.result(),
                                                                                        strict=True):
                if credential_id != reservation.credential_id:  # pragma: no cover - a worker bug, never a guess
                    raise IssuanceError(Message("signing worker returned {returned} for {wanted}",
                                                returned=credential_id,
                                                wanted=reservation.credential_id))
                if text is None:
                    # the reservation stays: a re-run after the cause is fixed signs the same id and indices
                    report.errors.append(RowError(row.line, Message("not signed: {why}", why=detail)))
                    continue
                assert name is not None and digest is not None  # a signed job's file is named and hashed
                renames.append((detail, name))
                group.append(Completion(reservation, row.name, digest, name, stamp, document=text, email=row.email,
                                        student_number=row.student_number))
        if group:
            if syncfs is not None:
                _flush_files(syncfs, target, [])  # 1. the data of every temporary file of the group is on disk
            # 2. each renamed to its credential, then the renames made durable
            for temp, name in renames:
                os.replace(os.path.join(folder, temp), os.path.join(folder, name))
            atomic.fsync_dir(target)
            ids = store.complete_many_ids(group)  # 3. the rows, in one transaction
            issued_ids.extend(ids)
            store.listing_add(zip(ids, (item.file for item in group), strict=True))
            done += len(ids)
        tick()

    with store.exclusive():
        existing = _scan_folder(target)
        store.listing_reset()
        failed = True
        try:
            # a small first chunk: the workers start signing while the next, full-size chunk is checked and
            # reserved (the roster's rows are checked as they are needed, unless --strict checked them all)
            size = TASK * workers
            at = 0
            while True:
                if checked is not None:
                    chunk = checked[at:at + size]
                    at += len(chunk)
                    final = at >= len(checked)
                else:
                    chunk = take(size)
                    final = checker.exhausted
                size = step
                if not chunk:  # both sources give an empty chunk only when they are exhausted
                    break
                outcomes = issuer.reserve([(r.learner_key(), r.achievement) for r in chunk])
                waiting: list[tuple[RosterRow, Reservation]] = []
                jobs: list[Job] = []
                known: list[tuple[str, str | None]] = []  # issued before: (id, file)
                adopted: list[Completion] = []
                for row, outcome in zip(chunk, outcomes, strict=True):
                    if isinstance(outcome, CredentialRecord):
                        already_ids.append(outcome.id)
                        known.append((outcome.id, outcome.file))
                        done += 1
                        continue
                    # a resumed run first looks for the file an interrupted run wrote; otherwise the signing
                    # phase names its file
                    name = credential_file_name(row.name, row.achievement, outcome.credential_id) \
                        if existing else None
                    found = _adopt(target, name, outcome) if name in existing else None
                    if found is not None:
                        adopted.append(Completion(outcome, row.name, found[0], name, stamp, document=found[2],
                                                  email=row.email, student_number=row.student_number))
                        continue
                    waiting.append((row, outcome))
                    jobs.append(make_job(outcome, row.learner(), issued=issued_at, completed=row.completed,
                                         result=row.result, evidence_url=row.evidence_url, file=name,
                                         language=row.language))
                store.listing_add(known)
                if adopted:
                    # files an interrupted run renamed but did not record: made durable (data, then the folder)
                    # before their rows commit, whatever the killed run had done of that
                    _flush_files(syncfs, target, [c.file or "" for c in adopted])
                    atomic.fsync_dir(target)
                    ids = store.complete_many_ids(adopted)
                    issued_ids.extend(ids)
                    store.listing_add(zip(ids, (item.file for item in adopted), strict=True))
                    report.recovered += len(ids)
                    done += len(ids)
                if done:
                    tick()
                if not use_pool:
                    # the serial runner: sign, write (atomically), record, one credential after the other
                    for (row, reservation), job in zip(waiting, jobs, strict=True):
                        _, text, problem = attempt(setup, issuer.key, job)
                        name = job.file or credential_file_name(row.name, row.achievement, reservation.credential_id)
                        if text is None:
                            report.errors.append(RowError(row.line, Message("not signed: {why}", why=problem)))
                            continue
                        data = text.encode("utf-8")
                        # the file first (atomically), then the row: a crash in between is adopted on resume
                        atomic.write_bytes(target / name, data)
                        record = store.complete(Completion(reservation, row.name, hashlib.sha256(data).hexdigest(),
                                                           name, stamp, document=text, email=row.email,
                                                           student_number=row.student_number))
                        issued_ids.append(record.id)
                        store.listing_add([(record.id, record.file)])
                        done += 1
                        tick()
                    continue
                if jobs and pool is None:
                    pool = _pool(setup, workers, target, fsync_each=syncfs is None)
                for first, last in _task_bounds(len(jobs), workers, final=final):
                    assert pool is not None  # jobs imply a pool
                    in_flight.append((pool.submit(_sign_task, list(map(tuple, jobs[first:last]))),
                                      waiting[first:last]))
                    queued += last - first
                # keep about one step queued while the next one is reserved: the workers never wait for the parent
                while in_flight and queued > step:
                    drain()
            while in_flight:
                drain()
            tick()  # the last rows may all have been reported
            failed = False
        except KeyboardInterrupt as exc:
            # Ctrl-C: what is recorded stays (each credential's file is durable before its row commits)
            raise RosterInterrupted(len(issued_ids), len(already_ids), total) from exc
        finally:
            if pool is not None:
                # on an error the queued tasks are dropped; their reservations stay for the next run
                pool.shutdown(wait=True, cancel_futures=True)
            if failed:
                _scan_folder(target)  # the temporary files of tasks never recorded (the next run would, too)
        report.index_file = _write_index(target, store, issuer.did)
    report.issued = StoredRecords(store, issued_ids)
    report.already = StoredRecords(store, already_ids)
    report.errors.sort(key=lambda e: e.line)  # found as the rows were checked and signed: in roster order
    return report


def _json_scalar(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)`` for the scalars of a credential row."""
    if type(value) is str:
        return str(encode_basestring(value))
    if value is None:
        return "null"
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


#: ``CredentialRecord.to_json()``, key by key: the column each key shows (``suspended`` is a boolean).
_INDEX_FIELDS: Final = (("id", "id"), ("learner", "learner_name"), ("learnerKey", "learner_key"),
                        ("achievement", "achievement"), ("statusList", "status_list"),
                        ("statusIndex", "status_index"), ("suspensionList", "suspension_list"),
                        ("suspensionIndex", "suspension_index"), ("contentHash", "content_hash"),
                        ("file", "file"), ("issued", "issued"), ("revoked", "revoked"), ("suspended", "suspended"))
_INDEX_AT: Final = tuple(RECORD_COLUMNS.index(column) for _, column in _INDEX_FIELDS[:-1])
_SUSPENDED_AT: Final = RECORD_COLUMNS.index("suspended")
#: One item of the index's ``credentials`` list, as ``json.dumps(record.to_json(), indent=2,
#: ensure_ascii=False)`` writes it four spaces further in (without the pure-Python indenting encoder).
_INDEX_ENTRY: Final = "    {\n" + ",\n".join(f"      {encode_basestring(key)}: %s"
                                              for key, _ in _INDEX_FIELDS) + "\n    }"
_CSV_AT: Final = tuple(RECORD_COLUMNS.index(column) for column in
                       ("id", "learner_name", "achievement", "file", "status_list", "status_index", "issued"))
_CSV_HEADER: Final = ("id", "learner", "achievement", "file", "status_list", "status_index", "issued")


def _index_entry(row: Sequence[Any]) -> str:
    values = [_json_scalar(v) for v in map(row.__getitem__, _INDEX_AT)]
    values.append("true" if row[_SUSPENDED_AT] else "false")
    return _INDEX_ENTRY % tuple(values)


def _write_index(out_dir: Path, store: Store, issuer_did: str) -> Path:
    """index.json and index.csv of the run's credentials ordered by file, streamed from the store's run log
    in one pass: the JSON has the same bytes as ``json.dumps(index, indent=2, ensure_ascii=False)``, and
    each CSV cell is neutralised against formula injection; one record in memory at a time."""
    count = store.listing_count()
    path = out_dir / "index.json"
    head = {"issuer": issuer_did, "generated": format_datetime(utcnow()), "count": count}
    with atomic.streamed_text(path) as handle, atomic.streamed_text(out_dir / "index.csv") as table:
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(_CSV_HEADER)
        handle.write(json.dumps(head, indent=2, ensure_ascii=False)[:-2])  # without the closing "\n}"
        if count == 0:
            handle.write(',\n  "credentials": []\n}\n')
        else:
            handle.write(',\n  "credentials": [')
            separator = "\n"
            for row in store.listing_rows():
                handle.write(separator + _index_entry(row))
                separator = ",\n"
                writer.writerow([csv_safe(row[at]) for at in _CSV_AT])
            handle.write("\n  ]\n}\n")
    return path
