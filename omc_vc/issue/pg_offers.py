"""The offer part of the PostgreSQL issuance store (:class:`omc_vc.issue.offers.OfferStore`).

:class:`PgOffers` is mixed into :class:`omc_vc.issue.pg_store.PostgresStore`: the offers live in the
institution's schema beside its credentials, so every ``omc serve`` process on every host sees the same
offers. The state-changing steps are single statements whose row lock decides a race (PostgreSQL's
READ COMMITTED: a second writer waits for the first, then re-reads the row): the redeem's
``UPDATE ... WHERE state = 'open'`` changes one row for exactly one caller, a nonce's ``DELETE`` removes
it for exactly one, and a wrong transaction code is counted by an ``UPDATE`` on the locked offer row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from omc_vc._internal.timeutil import format_datetime
from omc_vc.errors import OfferError, OfferRedeemedError
from omc_vc.i18n import Message
from omc_vc.issue.offer_rows import OfferReads, offer_of_row, select
from omc_vc.issue.offers import (
    MAX_NONCE_LIFETIME,
    MAX_TOKEN_LIFETIME,
    OPEN,
    PROTOCOLS,
    REDEEMED,
    REVOKED,
    TX_CODE_ATTEMPTS,
    NewOffer,
    Offer,
    OfferDraft,
    digest,
    expiry,
    new_offer_id,
    new_secret,
    new_tx_code,
    not_redeemed,
    redeemed_already,
    same_digest,
)

__all__ = ["PgOffers"]

if TYPE_CHECKING:  # psycopg is needed only where a PostgresStore is opened (the optional extra)
    import psycopg

    Connection = psycopg.Connection[tuple[Any, ...]]

T = TypeVar("T")

def _required(conn: Connection, offer_id: str, *, lock: bool = False) -> Offer:
    row = conn.execute(select("WHERE id = %s" + (" FOR UPDATE" if lock else "")), (offer_id,)).fetchone()
    if row is None:
        raise OfferError(Message("no offer {id}", id=repr(offer_id)), code="OFFER_NOT_FOUND", offer=offer_id)
    return offer_of_row(row)


class PgOffers(OfferReads):
    """The :class:`~omc_vc.issue.offers.OfferStore` methods (a mixin: the host class gives :meth:`_run`,
    one transaction, and :meth:`_query`; the reads are :class:`OfferReads`')."""

    MARK = "%s"
    INSERTION_ORDER = "seq"

    # provided by PostgresStore
    def _run(self, work: Callable[[Connection], T]) -> T: raise NotImplementedError
    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]: raise NotImplementedError

    # --- offers -----------------------------------------------------------------------------------------
    def create_offer(self, draft: OfferDraft, *, now: datetime) -> NewOffer:
        created = format_datetime(now)
        expires = format_datetime(now + draft.expires_in)
        offer_id, secret, code = new_offer_id(), new_secret(), new_secret()
        tx_code = new_tx_code() if draft.tx_code else None

        def work(conn: Connection) -> Offer:
            conn.execute("INSERT INTO offers (id, achievement, learner_name, learner_email, student_number, created, "
                         "expires, state, secret_hash, code_hash, tx_code_hash, completed) "
                         "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                         (offer_id, draft.achievement, draft.learner_name, draft.learner_email, draft.student_number,
                          created, expires, OPEN, digest(secret), digest(code),
                          digest(tx_code) if tx_code is not None else None,
                          draft.completed.isoformat() if draft.completed is not None else None))
            return _required(conn, offer_id)

        return NewOffer(self._run(work), secret, code, tx_code)

    def check_tx_code(self, offer_id: str, tx_code: str) -> bool:
        def work(conn: Connection) -> bool:
            # the row lock makes concurrent guesses count one after the other (no guess goes uncounted)
            row = conn.execute("SELECT tx_code_hash, tx_code_failures FROM offers WHERE id = %s FOR UPDATE",
                               (offer_id,)).fetchone()
            if row is None or row[0] is None:
                return False
            if row[1] >= TX_CODE_ATTEMPTS:  # used up: a guesser gets no more tries, the learner a new offer
                return False
            if same_digest(tx_code, row[0]):
                return True
            conn.execute("UPDATE offers SET tx_code_failures = tx_code_failures + 1 WHERE id = %s", (offer_id,))
            return False

        return self._run(work)

    def revoke_offer(self, offer_id: str, *, now: datetime) -> Offer:
        def work(conn: Connection) -> Offer:
            current = _required(conn, offer_id, lock=True)
            if current.state == REDEEMED:
                raise OfferRedeemedError(redeemed_already(offer_id, current.credential_id), offer=offer_id)
            if current.state == OPEN:
                conn.execute("UPDATE offers SET state = %s, revoked_at = %s WHERE id = %s AND state = %s",
                             (REVOKED, format_datetime(now), offer_id, OPEN))
                # the offer's pending nonces and tokens go with it
                conn.execute("DELETE FROM offer_nonces WHERE offer_id = %s", (offer_id,))
                conn.execute("DELETE FROM offer_tokens WHERE offer_id = %s", (offer_id,))
            return _required(conn, offer_id)

        return self._run(work)

    # --- redeem -------------------------------------------------------------------------------------
    def redeem(self, offer_id: str, *, holder: str, protocol: str, now: datetime,
               credential_id: str | None = None) -> Offer:
        if protocol not in PROTOCOLS:
            raise OfferError(Message("unknown offer protocol {protocol}", protocol=repr(protocol)),
                             code="MALFORMED_VALUE_ERROR")
        if not holder:
            raise OfferError(Message("a redeem needs the holder's DID"), code="MALFORMED_VALUE_ERROR", field="holder")
        moment = format_datetime(now)

        def work(conn: Connection) -> Offer:
            # the one statement that decides the race: only an open, unexpired offer changes; a second
            # redeemer waits on the row, then finds it no longer open and changes nothing
            changed = conn.execute(
                "UPDATE offers SET state = %s, redeemed_at = %s, holder = %s, protocol = %s, credential_id = %s "
                "WHERE id = %s AND state = %s AND expires > %s",
                (REDEEMED, moment, holder, protocol, credential_id, offer_id, OPEN, moment)).rowcount
            current = _required(conn, offer_id)
            if changed != 1:
                current.require_open(now)  # raises the reason
                raise OfferRedeemedError(Message("offer {id} was already redeemed", id=offer_id),  # pragma: no cover
                                         offer=offer_id)
            return current

        return self._run(work)

    def record_credential(self, offer_id: str, credential_id: str) -> Offer:
        def work(conn: Connection) -> Offer:
            current = _required(conn, offer_id, lock=True)
            if current.state != REDEEMED:
                raise OfferError(not_redeemed(offer_id, current.state), code="OFFER_NOT_REDEEMED")
            if current.credential_id not in (None, credential_id):
                raise OfferRedeemedError(Message("offer {id} already produced {credential}", id=offer_id,
                                                 credential=str(current.credential_id)), offer=offer_id)
            conn.execute("UPDATE offers SET credential_id = %s WHERE id = %s", (credential_id, offer_id))
            return _required(conn, offer_id)

        return self._run(work)

    def release(self, offer_id: str, *, holder: str) -> Offer:
        def work(conn: Connection) -> Offer:
            conn.execute("UPDATE offers SET state = %s, redeemed_at = NULL, holder = NULL, protocol = NULL "
                         "WHERE id = %s AND state = %s AND holder = %s AND credential_id IS NULL",
                         (OPEN, offer_id, REDEEMED, holder))
            return _required(conn, offer_id)

        return self._run(work)

    # --- nonces -------------------------------------------------------------------------------------
    def issue_nonce(self, purpose: str, *, now: datetime, lifetime: timedelta, offer_id: str | None = None) -> str:
        until = expiry(now, lifetime, MAX_NONCE_LIFETIME, "nonce")
        nonce = new_secret()

        def work(conn: Connection) -> None:
            if offer_id is not None:
                _required(conn, offer_id)
            # the table stays small: expired nonces go whenever a new one is made
            conn.execute("DELETE FROM offer_nonces WHERE expires <= %s", (format_datetime(now),))
            conn.execute("INSERT INTO offer_nonces (hash, purpose, offer_id, expires) VALUES (%s, %s, %s, %s)",
                         (digest(nonce), purpose, offer_id, until))

        self._run(work)
        return nonce

    def consume_nonce(self, nonce: str, purpose: str, *, now: datetime, offer_id: str | None = None) -> bool:
        # one DELETE: of two processes consuming the same nonce, one deletes the row, the other nothing
        changed = self._run(lambda conn: conn.execute(
            "DELETE FROM offer_nonces WHERE hash = %s AND purpose = %s AND offer_id IS NOT DISTINCT FROM %s "
            "AND expires > %s", (digest(nonce), purpose, offer_id, format_datetime(now))).rowcount)
        return changed == 1

    # --- access tokens ------------------------------------------------------------------------------
    def issue_token(self, offer_id: str, *, now: datetime, lifetime: timedelta) -> str:
        until = expiry(now, lifetime, MAX_TOKEN_LIFETIME, "token")
        token = new_secret()

        def work(conn: Connection) -> None:
            _required(conn, offer_id).require_open(now)
            conn.execute("DELETE FROM offer_tokens WHERE expires <= %s", (format_datetime(now),))
            conn.execute("INSERT INTO offer_tokens (hash, offer_id, expires) VALUES (%s, %s, %s)",
                         (digest(token), offer_id, until))

        self._run(work)
        return token

    def exchange_code(self, pre_authorized_code: str, *, now: datetime,
                      lifetime: timedelta) -> tuple[Offer, str] | None:
        until = expiry(now, lifetime, MAX_TOKEN_LIFETIME, "token")
        token = new_secret()
        code = digest(pre_authorized_code)

        def work(conn: Connection) -> tuple[Offer, str] | None:
            # the row lock decides a race: a second exchange of the code waits, then finds the row's code_hash
            # changed and no row (OpenID4VCI 1.0 §4.1.1: the code is single use)
            row = conn.execute(select("WHERE code_hash = %s FOR UPDATE"), (code,)).fetchone()
            if row is None:
                return None
            current = offer_of_row(row)
            current.require_open(now)
            # the code's digest becomes that of a secret nobody holds (the column stays unique and non-null)
            conn.execute("UPDATE offers SET code_hash = %s WHERE id = %s AND code_hash = %s",
                         (digest(new_secret()), current.id, code))
            conn.execute("DELETE FROM offer_tokens WHERE expires <= %s", (format_datetime(now),))
            conn.execute("INSERT INTO offer_tokens (hash, offer_id, expires) VALUES (%s, %s, %s)",
                         (digest(token), current.id, until))
            return current, token

        return self._run(work)

