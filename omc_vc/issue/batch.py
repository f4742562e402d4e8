"""Single and batch issuance: a registrar's roster CSV in, one signed OMC file per learner out.

The roster is the registrar's CSV export, one learner a row, with a header naming the columns
(case-insensitive; the aliases in :data:`COLUMNS` are accepted)::

    name,email,student_number,learner_did,achievement,completion_date,result,evidence_url

``name``, ``achievement`` (a catalogue id) and ``completion_date`` (YYYY-MM-DD) are required, and one
of ``email``, ``student_number`` or ``learner_did``. A bad row is reported with its line number and
skipped (``strict=True`` refuses the whole roster instead, before anything is issued).

Issuance is resumable and exactly-once per (learner, achievement): see :mod:`omc_vc.issue.state`.
Signing runs in one process pool for the whole run (``workers``, 2 by default), fed in tasks of
:data:`TASK` rows while the next chunk is reserved. The parent writes each task's files atomically
(temp file, fsync, rename), fsyncs the folder once, then commits the task's rows in one transaction
(group commit): a file is always durable before its row commits, and a file whose row did not commit
is adopted on resume. With one worker (or a tiny roster) each credential is signed, written and
committed in turn. The JSON index (and a CSV copy whose cells are neutralised against spreadsheet
formula injection) is streamed from the state database at the end, each written atomically, and the
report keeps credential ids, not records, so memory does not grow with the cohort's records.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import re
import sys
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, overload
from urllib.parse import urlsplit

from omc_vc._internal import atomic
from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.did import DidResolver
from omc_vc.errors import InputError, IssuanceError, OmcVcError, PolicyError
from omc_vc.issue.config import InstitutionConfig
from omc_vc.issue.state import (
    Completion,
    CredentialRecord,
    IssuanceState,
    Reservation,
    issuing_lock,
    read_records,
)
from omc_vc.jsonld import check_data_loss
from omc_vc.keys import KeyPair
from omc_vc.omc.builder import Learner, build_omc, sign_omc
from omc_vc.omc.policy import Policy
from omc_vc.status import status_entry
from omc_vc.verify import Verifier

__all__ = [
    "COLUMNS",
    "BatchReport",
    "RosterRow",
    "RowError",
    "credential_file_name",
    "csv_safe",
    "issue_batch",
    "issue_one",
    "read_roster",
]

MAX_ROSTER_BYTES: Final = 64 * 1024 * 1024
MAX_FIELD_CHARS: Final = 2048
CHUNK: Final = 256
#: Jobs per task sent to a signing worker: its results come back, are written and committed together.
TASK: Final = 32
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
}
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

    def learner(self) -> Learner:
        return Learner(name=self.name, email=self.email, student_number=self.student_number, did=self.did)


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class StoredRecords(Sequence[CredentialRecord]):
    """The credential records of one batch run, read back from the state database when asked for.

    Only the credential ids are held in memory (a 100,000-credential batch does not keep 100,000
    records); ``len()`` is free, iterating reads the rows in batches and gives the records as the
    database holds them at that moment.
    """

    def __init__(self, state_path: str | Path, ids: Sequence[str]) -> None:
        self._path = Path(state_path)
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
            return read_records(self._path, self._ids[index])
        wanted = self._ids[index]
        found = read_records(self._path, [wanted])
        if not found:
            raise IssuanceError(f"{wanted} is no longer in the issuance state {self._path}")
        return found[0]

    def __iter__(self) -> Iterator[CredentialRecord]:
        for start in range(0, len(self._ids), 500):
            yield from read_records(self._path, self._ids[start:start + 500])

    def __repr__(self) -> str:
        return f"<{len(self._ids)} credential record(s) in {self._path}>"


@dataclass
class BatchReport:
    """What a batch did: issued now, issued before (skipped), bad rows, where the index is.

    ``issued`` and ``already`` are sequences of :class:`CredentialRecord` (after :func:`issue_batch`, a
    :class:`StoredRecords` that reads them from the state database: counts, not records, in memory).
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
                    raise InputError(f"roster header names {column!r} twice", field=column)
                found[column] = position
    for column in ("name", "achievement", "completed"):
        if column not in found:
            raise InputError(f"roster header has no {column!r} column (accepted: {', '.join(COLUMNS[column])})",
                             field=column)
    if not {"email", "student_number", "did"} & set(found):
        raise InputError("roster header needs an email, student_number or learner_did column", field="learner")
    return found


def _clean(value: str) -> str:
    # NFC and no control characters: what a spreadsheet export may smuggle in
    text = unicodedata.normalize("NFC", value).strip()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def _row(line: int, cells: list[str], columns: dict[str, int], catalogue: set[str] | None) -> RosterRow:
    def cell(column: str) -> str | None:
        position = columns.get(column)
        if position is None or position >= len(cells):
            return None
        raw = cells[position]
        if len(raw) > MAX_FIELD_CHARS:
            raise ValueError(f"{column} is longer than {MAX_FIELD_CHARS} characters")
        text = _clean(raw)
        return text or None

    name = cell("name")
    if not name:
        raise ValueError("name is empty")
    achievement = cell("achievement")
    if not achievement:
        raise ValueError("achievement is empty")
    if catalogue is not None and achievement not in catalogue:
        raise ValueError(f"achievement {achievement!r} is not in the catalogue")
    completed_text = cell("completed")
    try:
        completed = date.fromisoformat(completed_text or "")
    except ValueError:
        raise ValueError(f"completion_date {completed_text!r} is not a date (YYYY-MM-DD)") from None
    email, student, did = cell("email"), cell("student_number"), cell("did")
    if email and not _EMAIL.fullmatch(email):
        raise ValueError(f"email {email!r} is not an e-mail address")
    if did and not _DID.fullmatch(did):
        raise ValueError(f"learner_did {did!r} is not a DID")
    if not (email or student or did):
        raise ValueError("the learner needs an email, a student_number or a learner_did")
    evidence = cell("evidence_url")
    if evidence and (urlsplit(evidence).scheme != "https" or not urlsplit(evidence).netloc):
        raise ValueError(f"evidence_url {evidence!r} is not an https URL")
    return RosterRow(line=line, name=name, achievement=achievement, completed=completed, email=email,
                     student_number=student, did=did, result=cell("result"), evidence_url=evidence)


def read_roster(source: str | Path | bytes, *,
                catalogue: set[str] | None = None) -> tuple[list[RosterRow], list[RowError]]:
    """Parse a roster CSV: the good rows and the bad ones (with line numbers). Raises InputError only
    when the file as a whole is unusable (unreadable, not UTF-8, no usable header)."""
    if isinstance(source, bytes):
        raw = source
    else:
        try:
            path = Path(source)
            if path.stat().st_size > MAX_ROSTER_BYTES:
                raise InputError(f"roster {path} is larger than {MAX_ROSTER_BYTES} bytes")
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"roster {source} cannot be read ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError as exc:
        raise InputError(f"the roster is not UTF-8 text (byte {exc.start}); export it as 'CSV UTF-8'") from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the roster is empty") from None
    except csv.Error as exc:
        raise InputError(f"the roster header is not valid CSV: {exc}") from exc
    columns = _header_map(header)
    rows: list[RosterRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(start, f"not valid CSV ({exc})"))
            break  # the csv module cannot resynchronise after a broken quote
        if not any(c.strip() for c in cells):
            continue
        try:
            row = _row(start, cells, columns, catalogue)
            identity = (row.learner().key(), row.achievement)
        except (ValueError, OmcVcError) as exc:
            errors.append(RowError(start, str(exc)))
            continue
        if identity in seen:
            errors.append(RowError(start, f"duplicate of line {seen[identity]} (same learner and achievement)"))
            continue
        seen[identity] = start
        rows.append(row)
    return rows, errors


# --- files -----------------------------------------------------------------------------------------

def _slug(text: str, limit: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()
    return slug[:limit].strip("-")


def credential_file_name(learner_name: str, achievement: str, credential_id: str) -> str:
    """A file name that is safe whatever the roster holds: ASCII letters, digits and '-' only, no path,
    never hidden, unique by the credential id.

    >>> credential_file_name("../../etc/passwd", "ACME 101", "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    'etc-passwd-acme-101-1b4e28ba2fa1.json'
    """
    tail = re.sub(r"[^0-9a-f]", "", credential_id.rsplit(":", 1)[-1].lower())[:12] or \
        hashlib.sha256(credential_id.encode("utf-8")).hexdigest()[:12]
    parts = [p for p in (_slug(learner_name, 40), _slug(achievement, 40), tail) if p]
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

@dataclass(frozen=True)
class _Setup:
    secret: str = field(repr=False)  # never in a repr, a log line or a traceback
    verification_method: str
    controller: str
    issuer: dict[str, Any]
    catalogue: dict[str, dict[str, Any]]
    policy: Policy
    valid_years: float | None


_WORKER: dict[str, Any] = {}


def _init_worker(setup: _Setup) -> None:
    _WORKER["setup"] = setup
    _WORKER["key"] = KeyPair.from_secret_multibase(setup.secret).with_id(setup.verification_method, setup.controller)


def _sign_job(job: dict[str, Any]) -> tuple[str, str | None, str | None]:
    setup: _Setup = _WORKER["setup"]
    key: KeyPair = _WORKER["key"]
    return _attempt(setup, key, job)


def _attempt(setup: _Setup, key: KeyPair, job: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(credential id, signed JSON text, None) or (credential id, None, why): one row never stops the others."""
    try:
        return job["credential_id"], _render(setup, key, job), None
    except OmcVcError as exc:
        return job["credential_id"], None, exc.diagnostics()


def _render(setup: _Setup, key: KeyPair, job: dict[str, Any]) -> str:
    issued = datetime.fromisoformat(job["issued"])
    valid_until = issued + timedelta(days=365.25 * setup.valid_years) if setup.valid_years else None
    credential = build_omc(
        issuer=setup.issuer, achievement=setup.catalogue[job["achievement"]], learner=Learner(**job["learner"]),
        status=[status_entry(s["url"], s["index"], s["purpose"]) for s in job["slots"]], issued=issued,
        credential_id=job["credential_id"],
        completed=date.fromisoformat(job["completed"]) if job["completed"] else None,
        result=job["result"], evidence_url=job["evidence_url"], valid_until=valid_until, policy=setup.policy)
    signed = sign_omc(credential, key, created=issued)
    return json.dumps(signed, indent=2, ensure_ascii=False) + "\n"


def _setup(config: InstitutionConfig, key: KeyPair) -> _Setup:
    return _Setup(secret=key.secret_multibase(), verification_method=key.verification_method,
                  controller=key.controller, issuer=config.issuer(), catalogue=config.catalogue,
                  policy=config.policy, valid_years=config.valid_years)


def _job(row: RosterRow, reservation: Reservation, issued: datetime) -> dict[str, Any]:
    learner = row.learner()
    return {"credential_id": reservation.credential_id, "achievement": row.achievement,
            "learner": {"name": learner.name, "email": learner.email, "student_number": learner.student_number,
                        "did": learner.did},
            "slots": [s.to_json() for s in reservation.slots], "issued": issued.isoformat(),
            "completed": row.completed.isoformat(), "result": row.result, "evidence_url": row.evidence_url}


def _sign_many(jobs: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    """One task of a signing worker: a few jobs, their results in order."""
    setup: _Setup = _WORKER["setup"]
    key: KeyPair = _WORKER["key"]
    return [_attempt(setup, key, job) for job in jobs]


def _pool(setup: _Setup, workers: int) -> ProcessPoolExecutor:
    """The signing processes of a whole run (started once: the context memo stays warm in each)."""
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=_init_worker, initargs=(setup,))


# --- issuing ---------------------------------------------------------------------------------------

def _endorsement_failure(definition: dict[str, Any], resolver: DidResolver) -> str | None:
    """An embedded endorsement that does not verify as a credential of its own: the issuer must not sign it
    into an OMC (the verifier would reject the OMC; OB 3.0 §B.1.5)."""
    verifier = Verifier(resolver=resolver)
    for index, endorsement in enumerate(definition.get("endorsement", [])):
        result = verifier.verify(endorsement)
        if not result.verified:
            return f"credentialSubject.achievement.endorsement[{index}]: does not verify: {result.reason}"
    return None


def _preflight(config: InstitutionConfig, achievements: set[str],
               resolver: DidResolver | None = None) -> dict[str, str]:
    """Build a sample credential per achievement: a definition that breaks the policy, or carries an
    endorsement that does not verify, fails every row that names it, before anything is reserved or
    signed (the text names the field)."""
    failures: dict[str, str] = {}
    endorsement_resolver = resolver or DidResolver()
    sample_status = [status_entry(config.status.list_url("revocation", 1), 0, "revocation")]
    for achievement in sorted(achievements):
        try:
            sample = build_omc(issuer=config.issuer(), achievement=config.achievement(achievement),
                               learner=Learner(name="Sample Learner", email="sample@example.org"),
                               status=sample_status, policy=config.policy)
            # DI 1.0 §2.4.3: a catalogue term no context defines would be dropped from the signature
            check_data_loss(sample)
        except OmcVcError as exc:
            failures[achievement] = exc.detail
            continue
        problem = _endorsement_failure(config.achievement(achievement), endorsement_resolver)
        if problem is not None:
            failures[achievement] = f"refused: {problem}"
    return failures


def _adopt(out_dir: Path, name: str, reservation: Reservation) -> tuple[str, str] | None:
    """A file written by an interrupted run whose state row did not commit: (content hash, name)."""
    path = out_dir / name
    try:
        data = path.read_bytes()
        document = loads_object(data, what=str(path))
    except (OSError, OmcVcError):
        return None
    if document.get("id") != reservation.credential_id or not isinstance(document.get("proof"), dict | list):
        return None
    return hashlib.sha256(data).hexdigest(), name


def issue_batch(config: InstitutionConfig, roster: str | Path | bytes, out_dir: str | Path, *, key: KeyPair,
                strict: bool = False, workers: int = 2, now: datetime | None = None,
                progress: Callable[[int, int], None] | None = None,
                resolver: DidResolver | None = None) -> BatchReport:
    """Issue one OMC per good roster row into ``out_dir`` (resumable, exactly once per learner+achievement).

    ``resolver`` resolves the DIDs of the catalogue's endorsers (default: did:key only, no network).
    """
    if workers < 1:
        raise IssuanceError("workers must be at least 1", field="workers")
    rows, errors = read_roster(roster, catalogue=set(config.catalogue))
    failures = _preflight(config, {r.achievement for r in rows}, resolver)
    if failures:
        kept = []
        for row in rows:
            if row.achievement in failures:
                errors.append(RowError(row.line, f"achievement {row.achievement!r}: {failures[row.achievement]}"))
            else:
                kept.append(row)
        rows = kept
    errors.sort(key=lambda e: e.line)
    if strict and errors:
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise (PolicyError if failures else IssuanceError)(
            f"roster refused (--strict), nothing issued: {shown}{more}", errors=[str(e) for e in errors])
    report = BatchReport(errors=errors)
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    for leftover in target.glob(".*.json.*.tmp"):
        # a temp file of an atomic write that a killed run never renamed: never a credential
        leftover.unlink(missing_ok=True)
    setup = _setup(config, key)
    moment = now or utcnow()
    stamp = format_datetime(moment)
    issued_at = moment.replace(microsecond=0)
    issued_ids: list[str] = []
    already_ids: list[str] = []
    done = 0
    step = CHUNK * max(1, workers)
    use_pool = workers > 1 and len(rows) >= 2 * workers
    local_key: KeyPair | None = None
    pool: ProcessPoolExecutor | None = None
    # tasks sent to the pool, oldest first: the future and, per job, (row, reservation, file name)
    in_flight: deque[tuple[Future[list[tuple[str, str | None, str | None]]],
                           list[tuple[RosterRow, Reservation, str]]]] = deque()
    queued = 0

    def tick() -> None:
        if progress:
            progress(done, len(rows))

    def drain_one() -> None:
        """The oldest task's results: each file written durably, the folder fsynced once, then all their rows
        committed in one transaction (a crash in between leaves files that the next run adopts)."""
        nonlocal done, queued
        future, waiting = in_flight.popleft()
        queued -= len(waiting)
        results = future.result()
        group: list[Completion] = []
        for (row, reservation, name), (credential_id, text, problem) in zip(waiting, results, strict=True):
            if credential_id != reservation.credential_id:  # pragma: no cover - a worker bug, never a guess
                raise IssuanceError(f"signing worker returned {credential_id} for {reservation.credential_id}")
            if text is None:
                # the reservation stays: a re-run after the cause is fixed signs the same id and indices
                report.errors.append(RowError(row.line, f"not signed: {problem}"))
                done += 1
                continue
            data = text.encode("utf-8")
            atomic.write_bytes(target / name, data, sync_dir=False)  # the group fsyncs the folder once
            group.append(Completion(reservation, row.name, hashlib.sha256(data).hexdigest(), name, stamp))
        if group:
            atomic.fsync_dir(target)  # every file of the group is durable before any of its rows commits
            records = state.complete_many(group)
            ids = [r.id for r in records]
            issued_ids.extend(ids)
            state.listing_add(ids)
            done += len(group)
        tick()

    with issuing_lock(config.state_path), IssuanceState(config.state_path) as state:
        state.listing_reset()
        try:
            for start in range(0, len(rows), step):
                chunk = rows[start:start + step]
                outcomes = state.reserve_many([(r.learner().key(), r.achievement) for r in chunk], config.status)
                waiting: list[tuple[RosterRow, Reservation, str]] = []
                jobs: list[dict[str, Any]] = []
                known: list[str] = []
                for row, outcome in zip(chunk, outcomes, strict=True):
                    if isinstance(outcome, CredentialRecord):
                        already_ids.append(outcome.id)
                        known.append(outcome.id)
                        done += 1
                        continue
                    name = credential_file_name(row.name, row.achievement, outcome.credential_id)
                    adopted = _adopt(target, name, outcome)
                    if adopted is not None:
                        record = state.complete(outcome, learner_name=row.name, content_hash=adopted[0],
                                                file=adopted[1], issued=stamp)
                        issued_ids.append(record.id)
                        known.append(record.id)
                        report.recovered += 1
                        done += 1
                        continue
                    waiting.append((row, outcome, name))
                    jobs.append(_job(row, outcome, issued_at))
                state.listing_add(known)
                if done:
                    tick()
                if not use_pool:
                    # one process: sign, write (atomically), commit, one credential after the other
                    if local_key is None:
                        local_key = KeyPair.from_secret_multibase(setup.secret).with_id(
                            setup.verification_method, setup.controller)
                    for (row, reservation, name), job in zip(waiting, jobs, strict=True):
                        _, text, problem = _attempt(setup, local_key, job)
                        if text is None:
                            report.errors.append(RowError(row.line, f"not signed: {problem}"))
                            done += 1
                            continue
                        data = text.encode("utf-8")
                        # the file first (atomically), then the row: a crash in between is adopted on resume
                        atomic.write_bytes(target / name, data)
                        record = state.complete(reservation, learner_name=row.name,
                                                content_hash=hashlib.sha256(data).hexdigest(), file=name,
                                                issued=stamp)
                        issued_ids.append(record.id)
                        state.listing_add([record.id])
                        done += 1
                        tick()
                    continue
                if jobs and pool is None:
                    pool = _pool(setup, workers)
                size = max(1, min(TASK, -(-len(jobs) // (2 * workers))))
                for first in range(0, len(jobs), size):
                    if pool is None:  # pragma: no cover - jobs imply a pool
                        break
                    in_flight.append((pool.submit(_sign_many, jobs[first:first + size]),
                                      waiting[first:first + size]))
                    queued += len(waiting[first:first + size])
                # keep about one chunk queued while the next one is reserved: the workers never wait for the parent
                while in_flight and queued > step:
                    drain_one()
            while in_flight:
                drain_one()
        finally:
            if pool is not None:
                # on an error the queued tasks are dropped; their reservations stay for the next run
                pool.shutdown(wait=True, cancel_futures=True)
        report.index_file = _write_index(target, state, config)
    report.issued = StoredRecords(config.state_path, issued_ids)
    report.already = StoredRecords(config.state_path, already_ids)
    return report


def _write_index(out_dir: Path, state: IssuanceState, config: InstitutionConfig) -> Path:
    """index.json and index.csv of the run's credentials ordered by file, streamed from the state database:
    the same bytes as ``json.dumps(index, indent=2, ensure_ascii=False)``, one record in memory at a time."""
    count = state.listing_count()
    path = out_dir / "index.json"
    head = {"issuer": config.did, "generated": format_datetime(utcnow()), "count": count}
    with atomic.streamed_text(path) as handle:
        handle.write(json.dumps(head, indent=2, ensure_ascii=False)[:-2])  # without the closing "\n}"
        if count == 0:
            handle.write(',\n  "credentials": []\n}\n')
        else:
            handle.write(',\n  "credentials": [')
            separator = "\n"
            for record in state.listing():
                text = json.dumps(record.to_json(), indent=2, ensure_ascii=False)
                handle.write(separator + "    " + text.replace("\n", "\n    "))
                separator = ",\n"
            handle.write("\n  ]\n}\n")
    with atomic.streamed_text(out_dir / "index.csv") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "learner", "achievement", "file", "status_list", "status_index", "issued"])
        for record in state.listing():
            writer.writerow([csv_safe(v) for v in (record.id, record.learner_name, record.achievement, record.file,
                                                   record.status_list, record.status_index, record.issued)])
    return path


def issue_one(config: InstitutionConfig, *, learner: Learner, achievement: str, key: KeyPair,
              completed: date | None = None, result: str | None = None, evidence_url: str | None = None,
              now: datetime | None = None, out_file: str | Path | None = None,
              resolver: DidResolver | None = None) -> tuple[dict[str, Any], CredentialRecord]:
    """Issue one OMC (recorded in the state like a batch row). Refuses a second credential for the
    same learner and achievement (IssuanceError naming the existing one)."""
    config.achievement(achievement)
    moment = (now or utcnow()).replace(microsecond=0)
    # the policy gate before anything is reserved: a refused credential uses no status index
    failures = _preflight(config, {achievement}, resolver)
    if failures:
        raise PolicyError(failures[achievement], field="achievement")
    with issuing_lock(config.state_path), IssuanceState(config.state_path) as state:
        outcome = state.reserve(learner.key(), achievement, config.status)
        if isinstance(outcome, CredentialRecord):
            raise IssuanceError(f"{learner.name} already holds {outcome.id} for {achievement!r} "
                                f"(issued {outcome.issued})", field="learner")
        row = RosterRow(line=0, name=learner.name, achievement=achievement, completed=completed or moment.date(),
                        email=learner.email, student_number=learner.student_number, did=learner.did,
                        result=result, evidence_url=evidence_url)
        text = _render(_setup(config, key), key, _job(row, outcome, moment))
        data = text.encode("utf-8")
        name = None
        if out_file is not None:
            atomic.write_bytes(out_file, data)
            name = str(out_file)
        record = state.complete(outcome, learner_name=learner.name, content_hash=hashlib.sha256(data).hexdigest(),
                                file=name, issued=format_datetime(moment))
    return json.loads(text), record
