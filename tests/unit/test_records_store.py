"""The registrar's records in the issuance store (omc_vc.issue.records.RecordStore): search by name, student
number and e-mail, the status history with reasons, changes that change nothing, corrections and reissues
linked, and a retired credential that no longer blocks its learner. Every store that keeps records runs it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from omc_vc.errors import IssuanceError
from omc_vc.issue.records import REISSUE, REPLACES, RecordQuery, RecordStore, email_digest
from omc_vc.issue.store import Completion, CredentialRecord, Reservation
from tests.unit.test_issue_store import STATUS, STORES, store_factory


@pytest.fixture(params=STORES)
def open_records(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], RecordStore]:
    factory = store_factory(request.param, request, tmp_path)

    def opened() -> RecordStore:
        store = factory()
        if not isinstance(store, RecordStore):
            store.close()
            pytest.skip(f"the {request.param} store keeps no records yet")
        return store

    return opened


def _issue(store: RecordStore, name: str, key: str, achievement: str = "weld-101", *, email: str | None = None,
           student: str | None = None, issued: str = "2026-06-01T10:00:00Z") -> CredentialRecord:
    [outcome] = store.reserve_many([(key, achievement)], STATUS)
    assert isinstance(outcome, Reservation)
    document = f'{{"id": "{outcome.credential_id}"}}'
    return store.complete(Completion(outcome, name, "00" * 32, None, issued, document=document, email=email,
                                     student_number=student))


def _ids(records: list[CredentialRecord]) -> list[str]:
    return [r.id for r in records]


def test_search_finds_a_learner_by_name_student_number_email_and_id(open_records) -> None:
    store = open_records()
    kiri = _issue(store, "Kiri Singh", "student:S100", student="S100", email="Kiri@Example.ca")
    chloe = _issue(store, "Chloé Tremblay", "email:chloe@example.ca", email="chloe@example.ca")
    ana = _issue(store, "Ana Silva", "did:key:z6Mkana", "weld-102", email="ana@example.ca", student="S300")
    assert _ids(store.search(RecordQuery(text="Kiri Singh"))) == [kiri.id]
    assert _ids(store.search(RecordQuery(text="singh kiri"))) == [kiri.id]  # any word order, any case
    assert _ids(store.search(RecordQuery(text="chloe"))) == [chloe.id]  # without the accent
    assert _ids(store.search(RecordQuery(text="CHLOÉ"))) == [chloe.id]
    assert _ids(store.search(RecordQuery(text="S100"))) == [kiri.id]
    assert _ids(store.search(RecordQuery(text="S300"))) == [ana.id]  # a DID learner's student number is kept too
    assert _ids(store.search(RecordQuery(text="kiri@example.ca"))) == [kiri.id]  # e-mail, any case
    assert _ids(store.search(RecordQuery(email="ANA@example.ca"))) == [ana.id]
    assert _ids(store.search(RecordQuery(student_number="S100"))) == [kiri.id]
    assert _ids(store.search(RecordQuery(text=kiri.id))) == [kiri.id]
    assert _ids(store.search(RecordQuery(text=kiri.id.removeprefix("urn:uuid:")))) == [kiri.id]
    assert store.search(RecordQuery(text="Nobody")) == []
    # a LIKE wildcard in the text is a character, not "anything"
    assert store.search(RecordQuery(text="%")) == [] and store.search(RecordQuery(name="_")) == []
    assert _ids(store.search(RecordQuery(achievement="weld-102"))) == [ana.id]
    assert len(store.search(RecordQuery(limit=2))) == 2


def test_the_email_address_is_kept_only_as_a_digest(tmp_path: Path) -> None:
    from omc_vc.issue.sqlite_store import SqliteStore

    with SqliteStore(tmp_path / "s.sqlite") as store:
        _issue(store, "Kiri Singh", "student:S100", student="S100", email="kiri.secret@example.ca")
    db = sqlite3.connect(tmp_path / "s.sqlite")
    dump = "\n".join(db.iterdump())
    assert "kiri.secret@example.ca" not in dump and email_digest("kiri.secret@example.ca") in dump


def test_search_by_issue_dates_and_state(open_records) -> None:
    store = open_records()
    june = _issue(store, "A", "student:1", issued="2026-06-30T23:59:59Z")
    july = _issue(store, "B", "student:2", issued="2026-07-01T00:00:00Z")
    later = _issue(store, "C", "student:3", issued="2026-08-15T09:00:00Z")
    assert _ids(store.search(RecordQuery(issued_from=date(2026, 7, 1)))) == [july.id, later.id]
    assert _ids(store.search(RecordQuery(issued_to=date(2026, 6, 30)))) == [june.id]  # the whole last day
    assert _ids(store.search(RecordQuery(issued_from=date(2026, 7, 1), issued_to=date(2026, 7, 31)))) == [july.id]
    store.record_status(june.id, "revoke", when="2026-09-01T00:00:00Z", reason="academic misconduct")
    store.record_status(july.id, "suspend", when="2026-09-01T00:00:00Z")
    assert _ids(store.search(RecordQuery(state="revoked"))) == [june.id]
    assert _ids(store.search(RecordQuery(state="suspended"))) == [july.id]
    assert _ids(store.search(RecordQuery(state="active"))) == [later.id]
    with pytest.raises(IssuanceError, match="state"):
        RecordQuery(state="deleted")
    with pytest.raises(IssuanceError, match="starts"):
        RecordQuery(issued_from=date(2026, 8, 1), issued_to=date(2026, 7, 1))


def test_status_changes_keep_their_reason_and_say_when_nothing_changes(open_records) -> None:
    store = open_records()
    record = _issue(store, "Kiri Singh", "student:S100")
    versions = {info.url: info.version for info in store.lists()}
    first = store.record_status(record.id, "suspend", when="2026-07-01T00:00:00Z", reason="  under   review ")
    assert first.changed and first.record.suspended and first.event is not None
    again = store.record_status(record.id, "suspend", when="2026-07-02T00:00:00Z")
    assert not again.changed and "already suspended since 2026-07-01T00:00:00Z (reason: under review)" in again.why
    revoked = store.record_status(record.id, "revoke", when="2026-07-03T00:00:00Z", reason="academic misconduct")
    assert revoked.changed and revoked.record.revoked == "2026-07-03T00:00:00Z"
    twice = store.record_status(record.id, "revoke", when="2026-07-04T00:00:00Z", reason="again")
    assert not twice.changed and twice.record.revoked == "2026-07-03T00:00:00Z"
    assert "already revoked" in twice.why and "academic misconduct" in twice.why
    suspended_revoked = store.record_status(record.id, "suspend", when="2026-07-05T00:00:00Z")
    assert not suspended_revoked.changed and "revoked" in suspended_revoked.why
    with pytest.raises(IssuanceError) as lifted:  # BSL §2.1: revocation is permanent
        store.record_status(record.id, "unsuspend", when="2026-07-06T00:00:00Z")
    assert lifted.value.code == "STATUS_IRREVERSIBLE"
    # what changed is kept, in order, with the reasons; what changed nothing is not
    assert [(e.action, e.at, e.reason) for e in store.history(record.id)] == [
        ("suspend", "2026-07-01T00:00:00Z", "under review"), ("revoke", "2026-07-03T00:00:00Z", "academic misconduct")]
    # each real change bumps its list's version (the published list must be signed again); the others do not
    after = {info.url: info.version for info in store.lists()}
    assert after[record.status_list] == versions[record.status_list] + 1
    assert after[record.suspension_list] == versions[record.suspension_list] + 1
    assert [e.credential_id for e in store.events_between("2026-07-01", "2026-07-03")] == [record.id]
    with pytest.raises(IssuanceError) as unknown:
        store.record_status("urn:uuid:not-issued", "revoke", when="2026-07-01T00:00:00Z")
    assert unknown.value.code == "NOT_FOUND"
    with pytest.raises(IssuanceError, match="longer than"):
        store.record_status(record.id, "revoke", when="2026-07-01T00:00:00Z", reason="x" * 1001)


def test_a_retired_credential_lets_its_learner_hold_a_new_one_and_stays_findable(open_records) -> None:
    store = open_records()
    old = _issue(store, "Kiri Sing", "student:S100", student="S100")
    [blocked] = store.reserve_many([("student:S100", "weld-101")], STATUS)
    assert isinstance(blocked, CredentialRecord) and blocked.id == old.id  # exactly once: the pair is held
    retired = store.retire(old.id)
    assert store.retire(old.id) == retired  # twice is once
    assert store.learner_key(old.id) == "student:S100"
    [fresh] = store.reserve_many([("student:S100", "weld-101")], STATUS)
    assert isinstance(fresh, Reservation)
    new, change = store.complete_linked(
        Completion(fresh, "Kiri Singh", "11" * 32, None, "2026-06-02T00:00:00Z", student_number="S100"),
        old=old.id, kind=REPLACES, when="2026-06-02T00:00:00Z")
    assert change is not None and change.changed and change.record.revoked == "2026-06-02T00:00:00Z"
    assert [(e.action, e.reason) for e in store.history(old.id)] == [("revoke", "superseded")]
    assert [(link.old, link.new, link.kind) for link in store.links([new.id])] == [(old.id, new.id, REPLACES)]
    assert store.superseded([old.id, new.id]) == {old.id}
    # both are found by the learner's student number; only the new one is active
    assert set(_ids(store.search(RecordQuery(student_number="S100")))) == {old.id, new.id}
    assert _ids(store.search(RecordQuery(student_number="S100", state="active"))) == [new.id]
    assert _ids(store.search(RecordQuery(state="superseded"))) == [old.id]
    assert store.search(RecordQuery(state="revoked")) == []  # a correction is not counted as a revocation
    # a credential is replaced once: a second correction of the same one is refused, nothing recorded
    [other] = store.reserve_many([("student:S999", "weld-101")], STATUS)
    assert isinstance(other, Reservation)
    with pytest.raises(IssuanceError) as twice:
        store.complete_linked(Completion(other, "X", "22" * 32, None, "t"), old=old.id, kind=REPLACES, when="t")
    assert twice.value.code == "ALREADY_REPLACED" and store.get(other.credential_id) is None


def test_a_reissue_links_without_revoking_again(open_records) -> None:
    store = open_records()
    old = _issue(store, "Ben Okafor", "student:S2")
    store.record_status(old.id, "revoke", when="2026-07-01T00:00:00Z", reason="wrong cohort")
    store.retire(old.id)
    [fresh] = store.reserve_many([("student:S2", "weld-101")], STATUS)
    assert isinstance(fresh, Reservation)
    new, change = store.complete_linked(Completion(fresh, "Ben Okafor", "33" * 32, None, "2026-07-02T00:00:00Z"),
                                        old=old.id, kind=REISSUE, when="2026-07-02T00:00:00Z")
    assert change is None and store.get(old.id).revoked == "2026-07-01T00:00:00Z"
    assert [(e.action, e.reason) for e in store.history(old.id)] == [("revoke", "wrong cohort")]
    assert store.links([old.id])[0].kind == REISSUE and store.superseded([old.id]) == set()
    assert _ids(store.search(RecordQuery(state="revoked"))) == [old.id]
    assert _ids(store.search(RecordQuery(state="active"))) == [new.id]


def test_records_tables_join_an_existing_database_on_open(tmp_path: Path) -> None:
    """A database made before the records were kept gets their tables when it is opened (nothing else
    changes shape): its credentials are found by the learner key they hold."""
    from omc_vc.issue.sqlite_store import SqliteStore

    path = tmp_path / "s.sqlite"
    with SqliteStore(path) as store:
        record = _issue(store, "Ana Silva", "email:ana@example.ca")
    db = sqlite3.connect(path)
    for table in ("record_learners", "status_events", "record_links"):
        db.execute(f"DROP TABLE {table}")
    db.commit()
    db.close()
    with SqliteStore(path) as store:
        assert _ids(store.search(RecordQuery(email="ana@example.ca"))) == [record.id]
        assert store.record_status(record.id, "revoke", when="2026-07-01T00:00:00Z", reason="x").changed
