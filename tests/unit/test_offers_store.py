"""The offer part of the issuance store: every OfferStore implementation runs this suite (``STORES``: the
embedded SQLite store and the shared PostgreSQL one, on a throwaway cluster with a fresh schema per test).

Offers redeemed exactly once (also when two processes race), secrets kept only as digests, single-use
nonces bound to their offer, tokens bound to one offer, transaction codes that lock after wrong guesses.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from omc_vc.errors import OfferError, OfferRedeemedError
from omc_vc.issue.offers import (
    EXPIRED,
    LCW,
    OID4VCI,
    OPEN,
    REDEEMED,
    REVOKED,
    TX_CODE_ATTEMPTS,
    VCAPI,
    OfferDraft,
    OfferStore,
    digest,
)
from omc_vc.issue.sqlite_store import SqliteStore

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
OTHER = "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG"

STORES = ("sqlite", "postgresql")


@pytest.fixture(params=STORES)
def where(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, ...]:
    """Where the test's store lives, as a picklable tuple a forked process opens again (:func:`_open`)."""
    if request.param == "sqlite":
        return ("sqlite", str(tmp_path / "s.sqlite"))
    cluster = request.getfixturevalue("pg_cluster")
    return ("postgresql", cluster.url(), cluster.new_schema())


def _open(where: tuple[str, ...]) -> Any:
    if where[0] == "sqlite":
        return SqliteStore(where[1])
    from omc_vc.issue.pg_store import PostgresStore

    return PostgresStore(where[1], schema=where[2], migrate_first=True)


@pytest.fixture
def store(where: tuple[str, ...]) -> Any:
    state: OfferStore = _open(where)
    yield state
    getattr(state, "close", lambda: None)()


def _stored_text(where: tuple[str, ...]) -> bytes:
    """Every byte the store keeps of its offers: the database files, or every offer table's rows as text."""
    if where[0] == "sqlite":
        folder = Path(where[1]).parent
        return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("s.sqlite"))
    import psycopg

    with psycopg.connect(where[1]) as conn:
        rows = [conn.execute(f"SELECT t::text FROM {where[2]}.{table} AS t").fetchall()
                for table in ("offers", "offer_nonces", "offer_tokens")]
    return "\n".join(str(r[0]) for part in rows for r in part).encode()


def _draft(**changes: Any) -> OfferDraft:
    fields: dict[str, Any] = {"achievement": "weld-101", "learner_name": "Ana Lima",
                              "learner_email": "ana@example.ca", "expires_in": timedelta(days=14)}
    fields.update(changes)
    return OfferDraft(**fields)


def test_a_new_offer_is_open_and_names_its_learner_and_achievement(store) -> None:
    new = store.create_offer(_draft(student_number="300123"), now=NOW)
    offer = new.offer
    assert (offer.state, offer.achievement, offer.learner_name, offer.learner_email, offer.student_number) == \
        (OPEN, "weld-101", "Ana Lima", "ana@example.ca", "300123")
    assert offer.created == "2026-06-01T12:00:00Z" and offer.expires == "2026-06-15T12:00:00Z"
    assert store.offer(offer.id) == offer and store.offers() == [offer]
    assert new.secret != new.pre_authorized_code and new.tx_code is None and not offer.tx_code_required
    assert new.secret not in repr(new) and new.pre_authorized_code not in repr(new)


def test_an_offer_keeps_the_completion_date_its_credential_will_carry(store) -> None:
    new = store.create_offer(_draft(completed=date(2026, 5, 29)), now=NOW)
    assert new.offer.completed == "2026-05-29" == store.offer(new.offer.id).completed
    assert store.create_offer(_draft(), now=NOW).offer.completed is None


def test_secrets_are_stored_only_as_digests(store, where) -> None:
    """A copy of the database gives no usable link, code, token or nonce: none is in it in clear."""
    new = store.create_offer(_draft(tx_code=True), now=NOW)
    token = store.issue_token(new.offer.id, now=NOW, lifetime=timedelta(minutes=5))
    nonce = store.issue_nonce("c_nonce", now=NOW, lifetime=timedelta(minutes=5))
    store.close()
    raw = _stored_text(where)
    assert digest(new.secret).encode() in raw and digest(new.pre_authorized_code).encode() in raw
    for secret in (new.secret, new.pre_authorized_code, new.tx_code, token, nonce):
        assert secret is not None and secret.encode() not in raw


def test_the_link_secret_finds_its_offer_and_only_its_offer(store) -> None:
    first = store.create_offer(_draft(), now=NOW)
    second = store.create_offer(_draft(learner_name="Bo Chen"), now=NOW)
    assert store.offer_by_secret(first.offer.id, first.secret) == first.offer
    # another offer's secret (a link taken from one learner and used on another's offer) finds nothing
    assert store.offer_by_secret(first.offer.id, second.secret) is None
    assert store.offer_by_secret("no-such-offer", first.secret) is None
    assert store.offer_by_code(second.pre_authorized_code) == second.offer
    assert store.offer_by_code(second.secret) is None


def test_redeem_is_exactly_once(store) -> None:
    new = store.create_offer(_draft(), now=NOW)
    redeemed = store.redeem(new.offer.id, holder=HOLDER, protocol=LCW, now=NOW + timedelta(hours=1))
    assert (redeemed.state, redeemed.holder, redeemed.protocol, redeemed.redeemed_at, redeemed.credential_id) == \
        (REDEEMED, HOLDER, LCW, "2026-06-01T13:00:00Z", None)
    with pytest.raises(OfferRedeemedError) as caught:
        store.redeem(new.offer.id, holder=HOLDER, protocol=LCW, now=NOW + timedelta(hours=2))
    assert caught.value.code == "OFFER_REDEEMED"
    done = store.record_credential(new.offer.id, "urn:uuid:1")
    assert done.credential_id == "urn:uuid:1"
    # the credential is named once; another id for the same offer is refused
    with pytest.raises(OfferRedeemedError):
        store.record_credential(new.offer.id, "urn:uuid:2")
    assert store.record_credential(new.offer.id, "urn:uuid:1") == done


def test_expired_offer_is_refused_and_listed_as_expired(store) -> None:
    new = store.create_offer(_draft(expires_in=timedelta(days=1)), now=NOW)
    later = NOW + timedelta(days=1)
    assert new.offer.status(later) == EXPIRED and new.offer.status(NOW) == OPEN
    with pytest.raises(OfferError) as caught:
        store.redeem(new.offer.id, holder=HOLDER, protocol=VCAPI, now=later)
    assert caught.value.code == "OFFER_EXPIRED"
    assert store.offer(new.offer.id).state == OPEN  # expiry is read from the clock, not written


def test_revoked_offer_is_refused_and_revoking_a_redeemed_one_is_refused(store) -> None:
    new = store.create_offer(_draft(), now=NOW)
    token = store.issue_token(new.offer.id, now=NOW, lifetime=timedelta(minutes=5))
    revoked = store.revoke_offer(new.offer.id, now=NOW)
    assert revoked.state == REVOKED and revoked.revoked_at == "2026-06-01T12:00:00Z"
    assert store.revoke_offer(new.offer.id, now=NOW + timedelta(hours=1)) == revoked
    with pytest.raises(OfferError) as caught:
        store.redeem(new.offer.id, holder=HOLDER, protocol=OID4VCI, now=NOW)
    assert caught.value.code == "OFFER_REVOKED"
    # its token died with it
    assert store.token_offer(token, now=NOW) is None
    other = store.create_offer(_draft(), now=NOW)
    store.redeem(other.offer.id, holder=HOLDER, protocol=LCW, now=NOW)
    with pytest.raises(OfferRedeemedError):
        store.revoke_offer(other.offer.id, now=NOW)


def test_unknown_offer_and_unknown_protocol(store) -> None:
    with pytest.raises(OfferError) as caught:
        store.redeem("nope", holder=HOLDER, protocol=LCW, now=NOW)
    assert caught.value.code == "OFFER_NOT_FOUND"
    new = store.create_offer(_draft(), now=NOW)
    with pytest.raises(OfferError):
        store.redeem(new.offer.id, holder=HOLDER, protocol="carrier-pigeon", now=NOW)
    with pytest.raises(OfferError):
        store.revoke_offer("nope", now=NOW)


def test_release_gives_back_only_a_redeem_without_credential_by_its_holder(store) -> None:
    new = store.create_offer(_draft(), now=NOW)
    store.redeem(new.offer.id, holder=HOLDER, protocol=LCW, now=NOW)
    assert store.release(new.offer.id, holder=OTHER).state == REDEEMED  # not someone else's
    assert store.release(new.offer.id, holder=HOLDER).state == OPEN
    store.redeem(new.offer.id, holder=OTHER, protocol=VCAPI, credential_id="urn:uuid:9", now=NOW)
    assert store.release(new.offer.id, holder=OTHER).state == REDEEMED  # a credential is never given back


def test_nonce_is_single_use_and_bound_to_its_offer_and_purpose(store) -> None:
    """The replayed-challenge attack and a challenge from one offer used on another both fail here."""
    first = store.create_offer(_draft(), now=NOW).offer
    second = store.create_offer(_draft(), now=NOW).offer
    nonce = store.issue_nonce("vcapi-challenge", offer_id=first.id, now=NOW, lifetime=timedelta(minutes=10))
    assert not store.consume_nonce(nonce, "vcapi-challenge", offer_id=second.id, now=NOW)
    assert not store.consume_nonce(nonce, "c_nonce", offer_id=first.id, now=NOW)
    assert not store.consume_nonce(nonce, "vcapi-challenge", now=NOW)
    assert store.consume_nonce(nonce, "vcapi-challenge", offer_id=first.id, now=NOW)
    assert not store.consume_nonce(nonce, "vcapi-challenge", offer_id=first.id, now=NOW)  # replayed


def test_nonce_expires_and_its_lifetime_is_bounded(store) -> None:
    nonce = store.issue_nonce("c_nonce", now=NOW, lifetime=timedelta(minutes=5))
    assert not store.consume_nonce(nonce, "c_nonce", now=NOW + timedelta(minutes=5))
    with pytest.raises(OfferError):
        store.issue_nonce("c_nonce", now=NOW, lifetime=timedelta(days=1))
    with pytest.raises(OfferError):
        store.issue_nonce("c_nonce", now=NOW, lifetime=timedelta(0))
    with pytest.raises(OfferError):
        store.issue_nonce("c_nonce", offer_id="nope", now=NOW, lifetime=timedelta(minutes=5))


def test_token_is_bound_to_one_offer_and_expires(store) -> None:
    first = store.create_offer(_draft(), now=NOW).offer
    second = store.create_offer(_draft(), now=NOW).offer
    token = store.issue_token(first.id, now=NOW, lifetime=timedelta(minutes=10))
    assert store.token_offer(token, now=NOW) == first != second
    assert store.token_offer(token, now=NOW + timedelta(minutes=10)) is None
    assert store.token_offer("made-up", now=NOW) is None
    with pytest.raises(OfferError):
        store.issue_token(first.id, now=NOW, lifetime=timedelta(days=2))
    store.redeem(second.id, holder=HOLDER, protocol=OID4VCI, now=NOW)
    with pytest.raises(OfferRedeemedError):  # no token for an offer already used
        store.issue_token(second.id, now=NOW, lifetime=timedelta(minutes=10))


def test_pre_authorized_code_is_exchanged_once_for_a_token_bound_to_its_offer(store) -> None:
    """OpenID4VCI 1.0 §4.1.1: the pre-authorized code is single use; the token it buys redeems its offer only."""
    new = store.create_offer(_draft(), now=NOW)
    other = store.create_offer(_draft(), now=NOW)
    exchanged = store.exchange_code(new.pre_authorized_code, now=NOW, lifetime=timedelta(minutes=10))
    assert exchanged is not None
    offer, token = exchanged
    assert offer.id == new.offer.id and store.token_offer(token, now=NOW).id == new.offer.id != other.offer.id
    assert store.exchange_code(new.pre_authorized_code, now=NOW, lifetime=timedelta(minutes=10)) is None
    assert store.offer_by_code(new.pre_authorized_code) is None
    assert store.exchange_code("made-up", now=NOW, lifetime=timedelta(minutes=10)) is None
    late = store.create_offer(_draft(expires_in=timedelta(days=1)), now=NOW)
    with pytest.raises(OfferError) as caught:
        store.exchange_code(late.pre_authorized_code, now=NOW + timedelta(days=2), lifetime=timedelta(minutes=10))
    assert caught.value.code == "OFFER_EXPIRED"
    store.revoke_offer(other.offer.id, now=NOW)
    with pytest.raises(OfferError) as caught:
        store.exchange_code(other.pre_authorized_code, now=NOW, lifetime=timedelta(minutes=10))
    assert caught.value.code == "OFFER_REVOKED"


def test_tx_code_locks_after_wrong_guesses(store) -> None:
    """Brute-forcing the short transaction code: after TX_CODE_ATTEMPTS wrong codes even the right one fails."""
    new = store.create_offer(_draft(tx_code=True), now=NOW)
    assert new.tx_code is not None and new.tx_code.isdigit() and new.offer.tx_code_required
    assert store.check_tx_code(new.offer.id, new.tx_code)
    wrong = "x" + new.tx_code
    for _ in range(TX_CODE_ATTEMPTS):
        assert not store.check_tx_code(new.offer.id, wrong)
    assert not store.check_tx_code(new.offer.id, new.tx_code)
    plain = store.create_offer(_draft(), now=NOW)
    assert not store.check_tx_code(plain.offer.id, "123456")  # an offer without a code accepts none


def test_draft_is_checked() -> None:
    with pytest.raises(OfferError):
        _draft(learner_name=" ")
    with pytest.raises(OfferError):
        _draft(achievement="")
    with pytest.raises(OfferError):
        _draft(expires_in=timedelta(days=400))


# --- two processes racing -------------------------------------------------------------------------------
def _race_redeem(where: tuple[str, ...], offer_id: str, holder: str, start: Any, out: Any) -> None:
    state = _open(where)
    start.wait()
    try:
        state.redeem(offer_id, holder=holder, protocol=LCW, now=NOW)
        out.put(("won", holder))
    except OfferRedeemedError:
        out.put(("lost", holder))
    finally:
        state.close()


def _race_nonce(where: tuple[str, ...], nonce: str, offer_id: str, start: Any, out: Any) -> None:
    state = _open(where)
    start.wait()
    out.put(state.consume_nonce(nonce, "vcapi-challenge", offer_id=offer_id, now=NOW))
    state.close()


def _run(target: Callable[..., None], args_of: list[tuple[Any, ...]]) -> list[Any]:
    context = multiprocessing.get_context("fork")
    start, out = context.Barrier(len(args_of)), context.Queue()
    workers = [context.Process(target=target, args=(*args, start, out)) for args in args_of]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return results


def _race_exchange(where: tuple[str, ...], code: str, start: Any, out: Any) -> None:
    state = _open(where)
    start.wait()
    out.put(state.exchange_code(code, now=NOW, lifetime=timedelta(minutes=10)) is not None)
    state.close()


def test_two_processes_racing_to_exchange_one_code_only_one_gets_a_token(where) -> None:
    """A pre-authorized code sent twice at once (a shoulder-surfed QR code): exactly one token is made."""
    with _open(where) as state:
        code = state.create_offer(_draft(), now=NOW).pre_authorized_code
    assert sorted(_run(_race_exchange, [(where, code)] * 3)) == [False, False, True]


def test_two_processes_racing_to_redeem_one_offer_only_one_wins(where) -> None:
    with _open(where) as state:
        offer_id = state.create_offer(_draft(), now=NOW).offer.id
    results = _run(_race_redeem, [(where, offer_id, HOLDER), (where, offer_id, OTHER)])
    winners = [holder for outcome, holder in results if outcome == "won"]
    assert len(winners) == 1 and sorted(outcome for outcome, _ in results) == ["lost", "won"]
    with _open(where) as state:
        assert state.offer(offer_id).holder == winners[0]


def test_two_processes_racing_to_consume_one_nonce_only_one_succeeds(where) -> None:
    """A replayed challenge sent twice at once: exactly one of the two requests may use it."""
    with _open(where) as state:
        offer_id = state.create_offer(_draft(), now=NOW).offer.id
        nonce = state.issue_nonce("vcapi-challenge", offer_id=offer_id, now=NOW, lifetime=timedelta(minutes=5))
    assert sorted(_run(_race_nonce, [(where, nonce, offer_id)] * 3)) == [False, False, True]


def test_offer_ids_never_start_like_a_spreadsheet_formula() -> None:
    from omc_vc.issue.offers import new_offer_id

    assert all(new_offer_id()[0].isalnum() for _ in range(2000))
