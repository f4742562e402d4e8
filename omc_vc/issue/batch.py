"""Single and batch issuance: a registrar's roster CSV in, one signed OMC file per learner out.

The roster is the registrar's CSV export, one learner a row, with a header naming the columns
(case-insensitive; the aliases in :data:`COLUMNS` are accepted)::

    name,email,student_number,learner_did,achievement,completion_date,result,evidence_url

``name``, ``achievement`` (a catalogue id) and ``completion_date`` (YYYY-MM-DD) are required, and one
of ``email``, ``student_number`` or ``learner_did``. A bad row is reported with its line number and
skipped (``strict=True`` refuses the whole roster instead, before anything is issued).

Issuance is resumable and exactly-once per (learner, achievement): see :mod:`omc_vc.issue.state`.
Signing runs in a process pool (``workers``, 2 by default) fed in large chunks; files are written
atomically by the parent, then the state row is committed; the JSON index (and a CSV copy whose cells
are neutralised against spreadsheet formula injection) is written atomically at the end.
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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from omc_vc._internal import atomic
from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.did import DidResolver
from omc_vc.errors import InputError, IssuanceError, OmcVcError, PolicyError
from omc_vc.issue.config import InstitutionConfig
from omc_vc.issue.state import CredentialRecord, IssuanceState, Reservation, issuing_lock
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


@dataclass
class BatchReport:
    """What a batch did: issued now, issued before (skipped), bad rows, where the index is."""

    issued: list[CredentialRecord] = field(default_factory=list)
    already: list[CredentialRecord] = field(default_factory=list)
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

    def to_json(self) -> dict[str, Any]:
        return {"issued": len(self.issued), "alreadyIssued": len(self.already), "recovered": self.recovered,
                "errors": [{"line": e.line, "message": e.message} for e in self.errors],
                "index": str(self.index_file) if self.index_file else None,
                "credentials": [r.to_json() for r in [*self.issued, *self.already]]}


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


def _signed_stream(setup: _Setup, jobs: list[dict[str, Any]],
                   workers: int) -> Iterator[tuple[str, str | None, str | None]]:
    if workers <= 1 or len(jobs) < 2 * workers:
        key = KeyPair.from_secret_multibase(setup.secret).with_id(setup.verification_method, setup.controller)
        for job in jobs:
            yield _attempt(setup, key, job)
        return
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    # large chunks: one round trip per chunk, the workers' context memo stays warm
    chunk = max(1, min(64, len(jobs) // (workers * 4) or 1))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                             initargs=(setup,)) as pool:
        yield from pool.map(_sign_job, jobs, chunksize=chunk)


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
    done = 0
    with issuing_lock(config.state_path), IssuanceState(config.state_path) as state:
        for start in range(0, len(rows), CHUNK * max(1, workers)):
            chunk = rows[start:start + CHUNK * max(1, workers)]
            outcomes = state.reserve_many([(r.learner().key(), r.achievement) for r in chunk], config.status)
            jobs: list[dict[str, Any]] = []
            waiting: dict[str, tuple[RosterRow, Reservation, str]] = {}
            for row, outcome in zip(chunk, outcomes, strict=True):
                if isinstance(outcome, CredentialRecord):
                    report.already.append(outcome)
                    done += 1
                    continue
                name = credential_file_name(row.name, row.achievement, outcome.credential_id)
                adopted = _adopt(target, name, outcome)
                if adopted is not None:
                    record = state.complete(outcome, learner_name=row.name, content_hash=adopted[0],
                                            file=adopted[1], issued=format_datetime(moment))
                    report.issued.append(record)
                    report.recovered += 1
                    done += 1
                    continue
                waiting[outcome.credential_id] = (row, outcome, name)
                jobs.append(_job(row, outcome, moment.replace(microsecond=0)))
            if progress and done:
                progress(done, len(rows))
            for credential_id, text, problem in _signed_stream(setup, jobs, workers):
                row, reservation, name = waiting[credential_id]
                if text is None:
                    # the reservation stays: a re-run after the cause is fixed signs the same id and indices
                    report.errors.append(RowError(row.line, f"not signed: {problem}"))
                    done += 1
                    continue
                data = text.encode("utf-8")
                # the file first (atomically), then the row: a crash in between is adopted on resume
                atomic.write_bytes(target / name, data)
                record = state.complete(reservation, learner_name=row.name,
                                        content_hash=hashlib.sha256(data).hexdigest(), file=name,
                                        issued=format_datetime(moment))
                report.issued.append(record)
                done += 1
                if progress:
                    progress(done, len(rows))
    report.index_file = _write_index(target, [*report.issued, *report.already], config)
    return report


def _write_index(out_dir: Path, records: list[CredentialRecord], config: InstitutionConfig) -> Path:
    ordered = sorted(records, key=lambda r: (r.file or "", r.id))
    index = {"issuer": config.did, "generated": format_datetime(utcnow()), "count": len(ordered),
             "credentials": [r.to_json() for r in ordered]}
    path = out_dir / "index.json"
    atomic.write_json(path, index)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "learner", "achievement", "file", "status_list", "status_index", "issued"])
    for record in ordered:
        writer.writerow([csv_safe(v) for v in (record.id, record.learner_name, record.achievement, record.file,
                                               record.status_list, record.status_index, record.issued)])
    atomic.write_text(out_dir / "index.csv", buffer.getvalue())
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
