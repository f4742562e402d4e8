"""The one Issuer: build, check against the policy, allocate status entries, sign, record (DESIGN decision 12).

Every issuing path calls :class:`Issuer`: ``omc issue`` (one OMC: :meth:`Issuer.issue`), ``omc issue
--roster`` (:func:`omc_vc.issue.batch.issue_roster` runs the Issuer's phases over a roster, in this
process or a pool of signing processes), the VC-API's ``POST /credentials/issue``
(:meth:`Issuer.issue_credential`), and the wallets' pickups of credential offers (the LCW and VC-API
exchanges of :mod:`omc_vc.issue.exchanges`, OpenID4VCI's :mod:`omc_vc.issue.oid4vci`, which asks for the
Data Integrity OMC or its VC-JWT: :meth:`Issuer.issue` ``secured``). None of them builds or signs a
credential on its own.

Issuing is three phases, so a roster runner can spread the middle one over processes:

1. **prepare / reserve** (this process): the policy gate (:meth:`Issuer.refused`: the OMC profile and
   policy, the catalogue's endorsements, DI §2.4.3 data loss), then the store reserves the credential id
   and its random status indices (:meth:`Issuer.reserve`);
2. **sign** (:func:`sign_job`, a pure function of a picklable :class:`SigningSetup`, a key and a
   :class:`Job`: what a signing worker runs);
3. **record** (this process): the store records the signed credential (:meth:`Store.complete` or, for a
   group whose files are durable, :meth:`Store.complete_many_ids`).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple
from urllib.parse import urlsplit

from omc_vc import jsonld
from omc_vc._internal import atomic
from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.checks import RELATED_RESOURCE_CODE, V1, data_model, related_resources_in_use
from omc_vc.did import DidResolver
from omc_vc.errors import IssuanceError, OmcVcError, PolicyError
from omc_vc.i18n import Message
from omc_vc.issue.config import InstitutionConfig
from omc_vc.issue.records import REISSUE, REPLACES, StatusChange, original_learner_key, record_store
from omc_vc.issue.status_lists import status_entry
from omc_vc.issue.store import Completion, CredentialRecord, Reservation, Store
from omc_vc.keys import KeyPair
from omc_vc.model import as_list, issuer_id
from omc_vc.omc.builder import Learner, build_omc, sign_omc
from omc_vc.omc.editions import edition_tags, select_edition
from omc_vc.omc.policy import Policy
from omc_vc.proofs import data_integrity, jose
from omc_vc.verify import Verifier

__all__ = ["REQUEST_KEY_LIFETIME", "Issued", "Issuer", "Job", "RequestKey", "Secured", "SigningSetup",
           "completion_problem", "evidence_problem", "jwt_omc", "render", "sign_job", "signed_omc"]

#: The achievement column of a credential the VC-API issues (it names no catalogue achievement).
VCAPI_ACHIEVEMENT = ""

#: How long a request made with an Idempotency-Key is remembered (the draft's key expiry, which the service
#: publishes): a retry within it gets the first request's credential; the key is then forgotten.
REQUEST_KEY_LIFETIME: Final = timedelta(hours=24)


class RequestKey(NamedTuple):
    """A VC-API request's Idempotency-Key and the digest of the request it came with (the draft's
    fingerprint: the same key with another request is refused)."""

    key: str
    digest: str


@dataclass(frozen=True)
class SigningSetup:
    """What signing an OMC needs besides the job: sent once to each signing worker (picklable)."""

    secret: str = field(repr=False)  # never in a repr, a log line or a traceback
    verification_method: str
    controller: str
    issuer: dict[str, Any]
    catalogue: dict[str, dict[str, Any]]
    policy: Policy
    valid_years: float | None
    #: the language OMCs are issued in when a job names none (None: each achievement's own)
    language: str | None = None

    def key(self) -> KeyPair:
        return KeyPair.from_secret_multibase(self.secret).with_id(self.verification_method, self.controller)


class Job(NamedTuple):
    """One OMC to sign (a plain tuple when pickled to a signing worker)."""

    credential_id: str
    achievement: str
    name: str
    email: str | None
    student_number: str | None
    did: str | None
    slots: tuple[tuple[str, str, int], ...]  # (purpose, list URL, index)
    issued: str
    completed: str | None
    result: str | None
    evidence_url: str | None
    file: str | None  # the credential's file name; None: the runner names it
    language: str | None = None  # the achievement's edition (None: the institution's default language)


def make_job(reservation: Reservation, learner: Learner, *, issued: str, completed: date | None = None,
             result: str | None = None, evidence_url: str | None = None, file: str | None = None,
             language: str | None = None) -> Job:
    """The job of a reservation: who, what, the reserved id and status slots, when."""
    return Job(reservation.credential_id, reservation.achievement, learner.name, learner.email,
               learner.student_number, learner.did,
               tuple((slot.purpose, slot.url, slot.index) for slot in reservation.slots), issued,
               completed.isoformat() if completed else None, result, evidence_url, file, language)


def sign_job(setup: SigningSetup, key: KeyPair, job: Job) -> str:
    """Phase 2: the signed OMC of ``job`` as JSON text (pure: no store, no file). The OMC builder applies
    the policy (OMC profile) again, so nothing that breaks it is ever signed."""
    return render(signed_omc(setup, key, job))


def render(credential: dict[str, Any]) -> str:
    """The text of a signed OMC as its file, the store and the index's content hash hold it."""
    return json.dumps(credential, indent=2, ensure_ascii=False) + "\n"


def _built_omc(setup: SigningSetup, job: Job) -> dict[str, Any]:
    """The unsigned OMC of ``job`` (the OMC builder applies the policy)."""
    issued = datetime.fromisoformat(job.issued)
    valid_until = issued + timedelta(days=365.25 * setup.valid_years) if setup.valid_years else None
    return build_omc(
        issuer=setup.issuer, achievement=setup.catalogue[job.achievement],
        learner=Learner(job.name, job.email, job.student_number, job.did),
        status=[status_entry(url, index, purpose) for purpose, url, index in job.slots], issued=issued,
        credential_id=job.credential_id, completed=date.fromisoformat(job.completed) if job.completed else None,
        result=job.result, evidence_url=job.evidence_url, valid_until=valid_until, policy=setup.policy,
        language=job.language or setup.language)


def signed_omc(setup: SigningSetup, key: KeyPair, job: Job) -> dict[str, Any]:
    """:func:`sign_job`'s credential as a document (for a caller that returns it, without parsing its text)."""
    return sign_omc(_built_omc(setup, job), key, created=datetime.fromisoformat(job.issued))


def jwt_omc(setup: SigningSetup, key: KeyPair, job: Job) -> str:
    """The same OMC secured as a VC-JWT instead of a Data Integrity proof: Open Badges 3.0 §8.2's JWT (the
    credential is the payload, with ``iss`` = issuer.id, ``jti`` = id, ``nbf`` = validFrom, ``sub`` =
    credentialSubject.id and ``exp`` = validUntil), signed with the institution's key."""
    return jose.sign_jwt(_built_omc(setup, job), key, profile="ob3")


def attempt(setup: SigningSetup, key: KeyPair, job: Job) -> tuple[str, str | None, str | None]:
    """(credential id, signed JSON text, None) or (credential id, None, why): one row never stops the others."""
    try:
        return job.credential_id, sign_job(setup, key, job), None
    except OmcVcError as exc:
        # as exc.diagnostics() writes it, kept a message so the row's reason can be shown in French
        return job.credential_id, None, Message("{code}: {detail}", code=exc.code, detail=exc.detail)


def evidence_problem(url: str) -> str | None:
    """Why ``url`` cannot be a learner's evidence URL (None: it can): only https, so the evidence a verifier
    follows cannot be read or changed on its way (OB 3.0 Evidence ``id``)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        return Message("evidence URL {url} is not an https URL", url=repr(url))
    return None


def _already_holds(name: str, held: CredentialRecord, achievement: str) -> Message:
    """Why a learner's second credential for an achievement is refused, with the state of the one held."""
    params = {"name": name, "id": held.id, "achievement": repr(achievement), "issued": held.issued}
    if held.suspended:
        return Message("{name} already holds {id} for {achievement} (issued {issued}, suspended); to correct it, "
                       "issue the corrected credential with --replaces {id}", **params)
    if held.revoked:
        return Message("{name} already holds {id} for {achievement} (issued {issued}, revoked); to correct it, "
                       "issue the corrected credential with --replaces {id}", **params)
    return Message("{name} already holds {id} for {achievement} (issued {issued}, valid); to correct it, "
                   "issue the corrected credential with --replaces {id}", **params)


def completion_problem(completed: date, today: date) -> str | None:
    """Why ``completed`` cannot be a completion date on ``today`` (None: it can): a date still to come."""
    if completed > today:
        return Message("completion date {completed} is in the future (today is {today})", completed=completed,
                       today=today)
    return None


#: How :meth:`Issuer.issue` secures an OMC: a Data Integrity proof (the default), or a VC-JWT (:func:`jwt_omc`).
Secured = Literal["di", "jwt"]


@dataclass(frozen=True)
class Issued:
    """What :meth:`Issuer.issue` returns: the signed credential and its record in the store.

    For a VC-JWT, ``token`` is the compact JWS and ``credential`` its EnvelopedVerifiableCredential (VCDM 2.0
    §4.13.1), the form the store keeps it in.
    """

    credential: dict[str, Any]
    record: CredentialRecord
    token: str | None = None
    #: a correction: the revocation (reason "superseded") of the credential it replaces
    replaced: StatusChange | None = None
    #: a reissue: the learner's earlier credential for the achievement, revoked (and still revoked)
    previous: CredentialRecord | None = None


class Issuer:
    """The institution's issuer: one configuration, its keys, one store, one clock.

    ``key`` is the institution's own key (its ``did``); ``extra_keys`` are further keys the VC-API issues
    with, each as its key's controller. ``resolver`` resolves the DIDs of the catalogue's endorsers
    (default: did:key only, no network).
    """

    def __init__(self, *, config: InstitutionConfig, key: KeyPair, store: Store,
                 clock: Callable[[], datetime] = utcnow, extra_keys: Sequence[KeyPair] = (),
                 resolver: DidResolver | None = None) -> None:
        self.config = config
        self.key = key
        self.store = store
        self.clock = clock
        self.resolver = resolver
        self.keys: dict[str, KeyPair] = {}
        for pair in (key, *extra_keys):
            self.keys.setdefault(pair.controller, pair)
        self._refusals: dict[str, str | None] = {}

    @property
    def did(self) -> str:
        return self.config.did or self.key.controller

    # --- phase 1: prepare and reserve ---------------------------------------------------------------
    def setup(self) -> SigningSetup:
        """What a signing worker needs (the key as its secret multibase, the issuer profile, the catalogue)."""
        self.config.require_omc()
        return SigningSetup(secret=self.key.secret_multibase(), verification_method=self.key.verification_method,
                            controller=self.key.controller, issuer=self.config.issuer(),
                            catalogue=self.config.catalogue, policy=self.config.policy,
                            valid_years=self.config.valid_years, language=self.config.language)

    def refused(self, achievements: Iterable[str]) -> dict[str, str]:
        """The policy gate, before anything is reserved or signed: for each achievement whose sample OMC
        breaks the policy, names a term no context defines (DI 1.0 §2.4.3) or embeds an endorsement that
        does not verify, why (the text names the field). Each achievement is checked once per Issuer."""
        unseen = sorted(set(achievements) - self._refusals.keys())
        for achievement in unseen:
            self._refusals[achievement] = self._refusal(achievement)
        return {a: why for a in set(achievements) if (why := self._refusals[a]) is not None}

    def language_problem(self, achievement: str, language: str | None) -> str | None:
        """Why ``achievement`` cannot be issued in ``language`` (None: the institution's default), else None:
        the catalogue defines it in no such language (an OMC is never swapped for another edition)."""
        try:
            select_edition(self.config.achievement(achievement), language or self.config.language)
        except ValueError as exc:
            return exc.args[0] if exc.args and isinstance(exc.args[0], Message) else str(exc)
        return None

    def _refusal(self, achievement: str) -> str | None:
        config = self.config
        sample_status = [status_entry(config.status.list_url("revocation", 1), 0, "revocation")]
        definition = config.achievement(achievement)
        # every language edition is an OB 3.0 Achievement of its own: each one meets the policy
        for language in edition_tags(definition)[1:] if definition.get("editions") else [None]:
            try:
                sample = build_omc(issuer=config.issuer(), achievement=definition,
                                   learner=Learner(name="Sample Learner", email="sample@example.org"),
                                   status=sample_status, policy=config.policy, language=language)
                # DI 1.0 §2.4.3: a catalogue term no context defines would be dropped from the signature
                jsonld.check_data_loss(sample)
            except OmcVcError as exc:
                return exc.detail
        # OB 3.0 §B.1.5: an embedded endorsement must verify as a credential of its own
        verifier = Verifier(resolver=self.resolver or DidResolver())
        for index, endorsement in enumerate(config.achievement(achievement).get("endorsement", [])):
            result = verifier.verify(endorsement)
            if not result.verified:
                return Message("refused: credentialSubject.achievement.endorsement[{index}]: does not verify: "
                               "{reason}", index=str(index), reason=result.reason)
        return None

    def reserve(self, pairs: Iterable[tuple[str, str]]) -> list[Reservation | CredentialRecord]:
        """For each (learner key, achievement): the credential already issued, or its reservation."""
        return self.store.reserve_many(pairs, self.config.status)

    # --- one OMC --------------------------------------------------------------------------------------
    def issue(self, *, learner: Learner, achievement: str, completed: date | None = None, result: str | None = None,
              evidence_url: str | None = None, out_file: str | Path | None = None,
              secured: Secured = "di", replaces: str | None = None, reason: str | None = None,
              language: str | None = None) -> Issued:
        """Issue one OMC: policy gate, reserve, sign, (write ``out_file`` atomically), record.

        A second credential for the same learner and achievement is refused while the first one holds
        (IssuanceError naming it). When the learner's credential for the achievement is revoked, a new
        one is issued and linked to it (a reissue: :attr:`Issued.previous`). ``replaces`` (a credential id)
        issues a correction: the new credential is recorded, and the one it replaces revoked with the
        reason "superseded" (or ``reason``) and linked to it, in one transaction (:attr:`Issued.replaced`).
        A completion date in the future and an evidence URL that is not https are refused.

        ``secured="jwt"``: the OMC as a VC-JWT (:func:`jwt_omc`); ``out_file`` then holds the token.
        ``language``: the achievement's edition the learner gets (default: the institution's ``language``,
        else the achievement's own); an achievement with no edition in it is refused before anything is
        reserved."""
        self.config.require_omc()
        self.config.achievement(achievement)
        unsaid = self.language_problem(achievement, language)
        if unsaid:
            raise IssuanceError(unsaid, field="language")
        moment = self.clock().replace(microsecond=0)
        problem = (completion_problem(completed, moment.date()) if completed else None) or \
            (evidence_problem(evidence_url) if evidence_url else None)
        if problem:
            raise IssuanceError(problem, field="completed" if problem.startswith("completion") else "evidence_url")
        failures = self.refused({achievement})
        if failures:  # before anything is reserved: a refused credential uses no status index
            raise PolicyError(failures[achievement], field="achievement")
        pair = (learner.key(), achievement)
        with self.store.exclusive():
            old = self._replaceable(replaces) if replaces is not None else None
            if old is not None and (original_learner_key(old.learner_key), old.achievement) == pair:
                # the learner may now hold the corrected credential for the achievement
                record_store(self.store).retire(old.id)
            outcome = self.reserve([pair])[0]
            previous = None
            if isinstance(outcome, CredentialRecord):
                if outcome.revoked is None or old is not None:
                    raise IssuanceError(_already_holds(learner.name, outcome, achievement), field="learner")
                # a reissue: the revoked credential stays revoked and no longer counts as the learner's
                previous = record_store(self.store).retire(outcome.id)
                outcome = self.reserve([pair])[0]
                assert isinstance(outcome, Reservation)  # the retired credential no longer holds the pair
            job = make_job(outcome, learner, issued=moment.isoformat(), completed=completed or moment.date(),
                           result=result, evidence_url=evidence_url, language=language)
            token = None
            if secured == "jwt":
                token = jwt_omc(self.setup(), self.key, job)
                signed = jose.envelope(token)
                data, document = (token + "\n").encode("ascii"), render(signed)
            else:
                signed = signed_omc(self.setup(), self.key, job)
                data = render(signed).encode("utf-8")
                document = data.decode("utf-8")
            name = None
            if out_file is not None:
                atomic.write_bytes(out_file, data)
                name = str(out_file)
            completion = Completion(outcome, learner.name, hashlib.sha256(data).hexdigest(), name,
                                    format_datetime(moment), document=document, email=learner.email,
                                    student_number=learner.student_number)
            change = None
            if old is not None:
                record, change = record_store(self.store).complete_linked(
                    completion, old=old.id, kind=REPLACES, when=format_datetime(moment), reason=reason)
            elif previous is not None:
                record, _ = record_store(self.store).complete_linked(completion, old=previous.id, kind=REISSUE,
                                                                     when=format_datetime(moment))
            else:
                record = self.store.complete(completion)
        return Issued(signed, record, token, replaced=change, previous=previous)

    def _replaceable(self, credential_id: str) -> CredentialRecord:
        """The credential a correction replaces: recorded, not replaced already, and revocable (or revoked)."""
        records = record_store(self.store)
        old = self.store.get(credential_id)
        if old is None:
            raise IssuanceError(Message("no credential {credential_id} is recorded: --replaces takes the id of the "
                                        "credential to correct (urn:uuid:...) or its file",
                                        credential_id=repr(credential_id)), field="replaces", code="NOT_FOUND")
        for link in records.links([old.id]):
            if link.old == old.id:
                raise IssuanceError(Message("{old} was already replaced by {new} ({at})",
                                            old=old.id, new=link.new, at=link.at),
                                    field="replaces", code="ALREADY_REPLACED")
        if old.revoked is None and old.status_list is None:
            raise IssuanceError(Message("{old} has no revocation status entry: it cannot be revoked, so it cannot be "
                                        "replaced",
                                        old=old.id), field="replaces")
        return old

    # --- a credential given whole (the VC-API) --------------------------------------------------------
    def issue_credential(self, credential: dict[str, Any], *, status_purposes: Sequence[str] = (),
                         credential_id: str | None = None, cryptosuite: str | None = None,
                         request_key: RequestKey | None = None) -> dict[str, Any]:
        """Sign a credential given whole: VCDM data model check, a status entry per ``status_purposes``
        (fresh random indices on the signing DID's lists), DI proof, recorded in the store.

        Errors are typed (IssuanceError with the spec's code, JsonLdError, ProofError); nothing is
        reserved for a credential refused before signing.

        ``request_key`` (the request's Idempotency-Key) makes the request safe to retry, whatever cut it off
        (draft-ietf-httpapi-idempotency-key-header, "Idempotency Enforcement Scenarios"): a retry with the key
        and the same request gets the credential as it was signed the first time, or, when the first attempt
        was cut off before its credential was recorded, the credential signed now with the first attempt's
        reservation (its id and status indices): never a second credential, never an index used up for
        nothing. IssuanceError ``IDEMPOTENCY_KEY_IN_PROGRESS`` while another request holds the key (the first
        attempt still runs), ``IDEMPOTENCY_KEY_REUSED`` for the key with a different request. A request refused
        (or failed) before its credential is recorded leaves the key free, so a corrected request may use it.
        Keys are forgotten :data:`REQUEST_KEY_LIFETIME` after their first request.
        """
        if request_key is None:
            return self._issue_given(credential, status_purposes, credential_id, cryptosuite, f"vcapi:{uuid.uuid4()}")
        with self.store.hold_key(request_key.key) as held:
            if not held:  # the draft's concurrent request: the first one is still being processed
                raise IssuanceError(Message("a request with this Idempotency-Key is still being processed: retry it "
                                            "with the same key in a moment"), code="IDEMPOTENCY_KEY_IN_PROGRESS")
            now = self.clock().replace(microsecond=0)
            claim = self.store.claim_key(request_key.key, request_key.digest, learner_key=f"vcapi:{uuid.uuid4()}",
                                         now=format_datetime(now),
                                         forget_before=format_datetime(now - REQUEST_KEY_LIFETIME))
            if claim.digest != request_key.digest:
                raise IssuanceError(Message("this Idempotency-Key was used (at {created}) with a different request: a "
                                            "key names one request; send a new key for a new request",
                                            created=claim.created),
                                    code="IDEMPOTENCY_KEY_REUSED")
            if claim.credential_id is not None:  # a retry of a request that was answered, or cut off after it
                return self._as_issued(claim.credential_id)
            try:
                # the claim's learner key: a cut-off attempt's reservation (same id, same indices) is found again
                return self._issue_given(credential, status_purposes, credential_id, cryptosuite, claim.learner_key)
            except Exception:
                # refused or failed: the key is free for a corrected request (an interrupted or killed attempt
                # keeps its claim, which the retry goes on from; so does one whose release fails)
                with contextlib.suppress(OmcVcError):
                    self.store.release_key(request_key.key, claim.learner_key)
                raise

    def _as_issued(self, record_id: str) -> dict[str, Any]:
        """The signed credential recorded as ``record_id``, as the store keeps its text."""
        document = self.store.document(record_id)
        if document is None:  # pragma: no cover - the VC-API records every credential with its document
            raise IssuanceError(Message("the signed credential {record_id} is not kept",
                                        record_id=record_id), code="NOT_FOUND")
        return document

    def _issue_given(self, credential: dict[str, Any], status_purposes: Sequence[str], credential_id: str | None,
                     cryptosuite: str | None, learner_key: str) -> dict[str, Any]:
        """:meth:`issue_credential`'s checks, reservation (under ``learner_key``), signature and record."""
        if "proof" in credential:
            raise IssuanceError(Message("the credential already carries a proof"), code="MALFORMED_VALUE_ERROR")
        document = copy.deepcopy(credential)
        # VCDM 2.0 §4 (and 1.1 for v1 inputs): a non-conforming credential is never signed
        check = data_model(document, "credential")
        if check.failed:
            raise IssuanceError(check.detail, code=check.code or "MALFORMED_VALUE_ERROR")
        # VCDM 2.0 §5.3: a relatedResource digest of a context must match the context as it is used
        problem = related_resources_in_use(document, jsonld.default_loader().content)
        if problem:
            raise IssuanceError(problem, code=RELATED_RESOURCE_CODE)
        issuer = issuer_id(document) or ""
        key = self.keys.get(issuer)
        if key is None:
            raise IssuanceError(Message("this institution does not issue as {issuer}",
                                        issuer=repr(issuer)), code="UNKNOWN_ISSUER")
        contexts = as_list(document.get("@context"))
        if contexts and contexts[0] == V1 and data_integrity.DI_V2_CONTEXT not in contexts:
            # VCDM 1.1's context does not define DataIntegrityProof: append the DI v2 context
            document["@context"] = [*contexts, data_integrity.DI_V2_CONTEXT]
        if cryptosuite is not None and (cryptosuite not in data_integrity.SUITES
                                        or key.key_type not in data_integrity.SUITES[cryptosuite].key_types):
            raise IssuanceError(Message("cryptosuite {cryptosuite} cannot be used with {issuer}'s {key_type} key",
                                        cryptosuite=repr(cryptosuite), issuer=issuer, key_type=key.key_type),
                                code="PROOF_GENERATION_ERROR")
        if status_purposes and "credentialStatus" in document:
            raise IssuanceError(Message("the credential already has a credentialStatus"), code="MALFORMED_VALUE_ERROR")
        # DI §2.4.3 first, on its own (add_proof re-raises some JSON-LD errors with a changed type)
        jsonld.check_data_loss(document)
        moment = self.clock().replace(microsecond=0)
        signer = None if issuer == self.config.did else issuer
        # a new learner key gets a new reservation; a keyed request's retry gets its first attempt's (or, were it
        # recorded meanwhile, the credential)
        reserved = self.store.reserve_many([(learner_key, VCAPI_ACHIEVEMENT)], self.config.status,
                                           issuer=signer, purposes=list(status_purposes))[0]
        if isinstance(reserved, CredentialRecord):
            return self._as_issued(reserved.id)
        if status_purposes and not isinstance(document.get("id"), str) and credential_id is None:
            document["id"] = reserved.credential_id
        ref = credential_id or (document["id"] if isinstance(document.get("id"), str) else None)
        if reserved.slots:
            entries = [dict(status_entry(slot.url, slot.index, slot.purpose)) for slot in reserved.slots]
            document["credentialStatus"] = entries[0] if len(entries) == 1 else entries
        signed = data_integrity.add_proof(document, key, cryptosuite=cryptosuite, created=moment)
        text = json.dumps(signed, ensure_ascii=False)
        name = signed.get("name") if isinstance(signed.get("name"), str) else ""
        content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
        record = self.store.complete(Completion(reserved, str(name), content_hash, None, format_datetime(moment),
                                                document=text, ref=ref))
        if record.content_hash != content_hash:  # another attempt at the same keyed request was recorded first
            return self._as_issued(record.id)
        return signed
