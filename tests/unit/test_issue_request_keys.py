"""The VC-API's issue made safe to retry with an Idempotency-Key (draft-ietf-httpapi-idempotency-key-header),
on both stores: a retry after the answer was lost, or after the process was killed before its credential was
recorded, gets one credential (the same document, or the one signed with the first attempt's reservation) and
uses no second status index; a request still running is not run twice; the key with another request is
refused; a refused request leaves the key free; keys expire.

A kill is simulated in-process by a BaseException raised at the moment the process dies (nothing of the
request's own clean-up runs, as after SIGKILL); tests/web/test_serve_processes.py kills real processes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from omc_vc.errors import IssuanceError
from omc_vc.issue.issuer import REQUEST_KEY_LIFETIME, Issuer, RequestKey
from omc_vc.issue.store import Completion, CredentialRecord, Store
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import make_institution
from tests.unit.test_issue_store import STORES, store_factory

T0 = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
KEY = RequestKey("8e03978e-40d5-43e8-bc93-6894a57f9324", "a" * 64)


class Killed(BaseException):
    """The process dies here: no except clause of the request runs (SIGKILL)."""


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class World:
    """One institution, its key, a clock, and a way to open its store again (another process)."""

    def __init__(self, open_store: Callable[[], Store], tmp_path: Path) -> None:
        self.config, self.key = make_institution(tmp_path / "college", suspension=False)
        self.open_store = open_store
        self.clock = Clock()
        self.stores: list[Store] = []

    def issuer(self, store: Store | None = None) -> Issuer:
        if store is None:
            store = self.open_store()
            self.stores.append(store)
        return Issuer(config=self.config, key=self.key, store=store, clock=self.clock)

    def credential(self, name: str = "Ana Silva", issuer: str | None = None) -> dict[str, Any]:
        return {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "issuer": issuer or self.key.controller, "credentialSubject": {"id": "did:example:ana", "name": name}}

    def issue(self, issuer: Issuer, credential: dict[str, Any] | None = None,
              key: RequestKey | None = KEY) -> dict[str, Any]:
        return issuer.issue_credential(credential or self.credential(), status_purposes=["revocation"],
                                       request_key=key)


@pytest.fixture(params=STORES)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    made = World(store_factory(request.param, request, tmp_path), tmp_path)
    yield made
    for store in made.stores:
        store.close()


def _indices_used(store: Store) -> int:
    return sum(info.used for info in store.lists())


class Dies:
    """A store that dies (``Killed``) right before or right after its credential is recorded."""

    def __init__(self, store: Store, *, after_record: bool) -> None:
        self._store = store
        self._after = after_record

    def complete(self, item: Completion) -> CredentialRecord:
        if self._after:
            self._store.complete(item)  # committed; the answer never leaves the process
        raise Killed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_retry_after_the_answer_was_lost_gets_the_same_credential_byte_for_byte(world: World) -> None:
    first_store = world.open_store()
    world.stores.append(first_store)
    dying = world.issuer(Dies(first_store, after_record=True))  # type: ignore[arg-type]
    with pytest.raises(Killed):
        world.issue(dying)
    [record] = first_store.all()
    world.clock.now += timedelta(minutes=5)  # a signature made now would differ (its proof's created)
    # the client's retry, on another process: the credential as it was recorded, no second one
    again = world.issue(world.issuer())
    assert json.dumps(again, ensure_ascii=False) == json.dumps(first_store.document(record.id), ensure_ascii=False)
    assert again["proof"]["created"] == "2026-06-30T12:00:00Z"
    # and every later retry gets those same bytes
    assert json.dumps(world.issue(world.issuer())) == json.dumps(again)
    assert [r.id for r in first_store.all()] == [record.id] and _indices_used(first_store) == 1
    assert Verifier().verify(again, checks=["data-model", "proof"]).verified


def test_a_retry_after_a_kill_before_the_record_signs_with_the_first_reservation(world: World) -> None:
    """Killed after its id and status index were reserved and the credential signed, before it was recorded:
    the retry signs with that same id and index (no index used up for nothing) and records one credential."""
    first_store = world.open_store()
    world.stores.append(first_store)
    with pytest.raises(Killed):
        world.issue(world.issuer(Dies(first_store, after_record=False)))  # type: ignore[arg-type]
    [pending] = first_store.pending()
    assert first_store.all() == [] and _indices_used(first_store) == 1
    retry = world.issuer()
    issued = world.issue(retry)
    [slot] = pending.slots
    assert issued["id"] == pending.credential_id
    assert int(issued["credentialStatus"]["statusListIndex"]) == slot.index
    assert issued["credentialStatus"]["statusListCredential"] == slot.url
    assert retry.store.pending() == [] and len(retry.store.all()) == 1 and _indices_used(retry.store) == 1
    # a kill before anything was reserved (the claim alone committed) leaves nothing to finish: one credential
    assert json.dumps(world.issue(world.issuer())) == json.dumps(issued)


def test_without_a_key_each_request_is_a_new_credential(world: World) -> None:
    issuer = world.issuer()
    one, two = world.issue(issuer, key=None), world.issue(issuer, key=None)
    assert one["id"] != two["id"] and len(issuer.store.all()) == 2


def test_a_request_still_running_is_not_run_twice(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The draft's concurrent request: while the first request signs, its key is held (409 over HTTP); the
    retry after it finished gets its credential."""
    import omc_vc.issue.issuer as issuer_module

    signing, finish = threading.Event(), threading.Event()
    real_add_proof = issuer_module.data_integrity.add_proof

    def slow_add_proof(*args: Any, **kwargs: Any) -> dict[str, Any]:
        signing.set()
        assert finish.wait(timeout=30)
        return real_add_proof(*args, **kwargs)

    issuer = world.issuer()
    answers: list[dict[str, Any]] = []
    monkeypatch.setattr(issuer_module.data_integrity, "add_proof", slow_add_proof)
    first = threading.Thread(target=lambda: answers.append(world.issue(issuer)))
    first.start()
    try:
        assert signing.wait(timeout=30)
        # the same service on another worker thread, and another process
        for other in (issuer, world.issuer()):
            with pytest.raises(IssuanceError) as refused:
                world.issue(other)
            assert refused.value.code == "IDEMPOTENCY_KEY_IN_PROGRESS"
    finally:
        finish.set()
        first.join(timeout=60)
    monkeypatch.undo()
    [answer] = answers
    assert json.dumps(world.issue(world.issuer())) == json.dumps(answer)
    assert len(issuer.store.all()) == 1 and _indices_used(issuer.store) == 1


def test_the_key_with_another_request_is_refused(world: World) -> None:
    issuer = world.issuer()
    world.issue(issuer)
    other = RequestKey(KEY.key, "b" * 64)
    with pytest.raises(IssuanceError) as refused:
        world.issue(issuer, world.credential("Someone Else"), key=other)
    assert refused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert len(issuer.store.all()) == 1


def test_a_refused_request_leaves_its_key_free_for_the_corrected_one(world: World) -> None:
    issuer = world.issuer()
    wrong = RequestKey(KEY.key, "c" * 64)
    with pytest.raises(IssuanceError) as refused:
        world.issue(issuer, world.credential(issuer="did:example:not-ours"), key=wrong)
    assert refused.value.code == "UNKNOWN_ISSUER"
    assert issuer.store.pending() == [] and _indices_used(issuer.store) == 0  # refused before anything was reserved
    issued = world.issue(issuer)  # the corrected request, with the same key
    assert issued["issuer"] == world.key.controller and len(issuer.store.all()) == 1


def test_a_key_is_forgotten_after_its_lifetime(world: World) -> None:
    issuer = world.issuer()
    first = world.issue(issuer)
    world.clock.now += REQUEST_KEY_LIFETIME - timedelta(minutes=1)
    assert world.issue(issuer)["id"] == first["id"]
    world.clock.now += timedelta(minutes=2)
    # past its lifetime the key names a new request (a new credential), as the service documents
    later = world.issue(issuer, world.credential("Someone Else"), key=RequestKey(KEY.key, "d" * 64))
    assert later["id"] != first["id"] and len(issuer.store.all()) == 2


def test_two_attempts_racing_past_the_hold_record_one_credential(world: World,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the hold missing (a system without the locks it needs), two attempts at one keyed request running
    at once would still record one credential, and both would answer it: they reserve under the claim's
    learner key (one reservation), and the attempt recorded second answers the first one's document."""
    import omc_vc.issue.issuer as issuer_module

    first_store, second_store = world.open_store(), world.open_store()
    world.stores += [first_store, second_store]
    for store in (first_store, second_store):
        monkeypatch.setattr(store, "hold_key", _always_held)
    signing, finish = threading.Event(), threading.Event()
    real_add_proof = issuer_module.data_integrity.add_proof

    def first_one_waits(*args: Any, **kwargs: Any) -> dict[str, Any]:
        if not signing.is_set():
            signing.set()
            assert finish.wait(timeout=30)
        return real_add_proof(*args, **kwargs)

    monkeypatch.setattr(issuer_module.data_integrity, "add_proof", first_one_waits)
    answers: list[dict[str, Any]] = []
    slow = threading.Thread(target=lambda: answers.append(world.issue(world.issuer(first_store))))
    slow.start()
    try:
        assert signing.wait(timeout=30)  # the first attempt has reserved and is signing
        world.clock.now += timedelta(seconds=3)  # the second one signs another document (its proof's created)
        second = world.issue(world.issuer(second_store))
    finally:
        finish.set()
        slow.join(timeout=60)
    [first] = answers
    assert json.dumps(first) == json.dumps(second)
    assert second["proof"]["created"] == "2026-06-30T12:00:03Z"  # the one recorded
    assert len(first_store.all()) == 1 and _indices_used(first_store) == 1


class _Held:
    def __enter__(self) -> bool:
        return True

    def __exit__(self, *exc: object) -> None:
        return None


def _always_held(key: str) -> _Held:
    return _Held()
