"""The offer part of the SQLite issuance store (:class:`omc_vc.issue.offers.OfferStore`).

:class:`SqliteOffers` is mixed into :class:`omc_vc.issue.sqlite_store.SqliteStore`: the offers live in the
institution's issuance database beside its credentials, so every ``omc serve`` process (and ``omc offer``)
sees the same offers. Each change is one ``BEGIN IMMEDIATE`` transaction, so the state-changing steps
(redeem, consuming a nonce, counting a wrong transaction code) are atomic across processes: the single
``UPDATE ... WHERE state = 'open'`` or ``DELETE`` decides who wins, and the loser sees no row changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, Final

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

__all__ = ["OFFER_SCHEMA", "SqliteOffers"]

#: The offer tables (created with the issuance store's own tables; no existing table changes).
OFFER_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS offers (
    id TEXT PRIMARY KEY,
    achievement TEXT NOT NULL,
    learner_name TEXT NOT NULL,
    learner_email TEXT,
    student_number TEXT,
    created TEXT NOT NULL,
    expires TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'redeemed', 'revoked')),
    redeemed_at TEXT,
    holder TEXT,
    protocol TEXT,
    credential_id TEXT,
    revoked_at TEXT,
    secret_hash TEXT NOT NULL UNIQUE,
    code_hash TEXT NOT NULL UNIQUE,
    tx_code_hash TEXT,
    tx_code_failures INTEGER NOT NULL DEFAULT 0,
    completed TEXT
);
CREATE TABLE IF NOT EXISTS offer_nonces (
    hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    offer_id TEXT REFERENCES offers(id),
    expires TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS offer_tokens (
    hash TEXT PRIMARY KEY,
    offer_id TEXT NOT NULL REFERENCES offers(id),
    expires TEXT NOT NULL
);
"""

class SqliteOffers(OfferReads):
    """The :class:`~omc_vc.issue.offers.OfferStore` methods over the store's connection (a mixin: the
    host class gives :meth:`transaction` and :meth:`_query`; the reads are :class:`OfferReads`')."""

    MARK = "?"
    INSERTION_ORDER = "rowid"

    # provided by SqliteStore
    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: raise NotImplementedError
    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: raise NotImplementedError

    # --- offers -----------------------------------------------------------------------------------------
    def create_offer(self, draft: OfferDraft, *, now: datetime) -> NewOffer:
        created = format_datetime(now)
        expires = format_datetime(now + draft.expires_in)
        offer_id, secret, code = new_offer_id(), new_secret(), new_secret()
        tx_code = new_tx_code() if draft.tx_code else None
        with self.transaction() as db:
            db.execute("INSERT INTO offers (id, achievement, learner_name, learner_email, student_number, created, "
                       "expires, state, secret_hash, code_hash, tx_code_hash, completed) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (offer_id, draft.achievement, draft.learner_name, draft.learner_email, draft.student_number,
                        created, expires, OPEN, digest(secret), digest(code),
                        digest(tx_code) if tx_code is not None else None,
                        draft.completed.isoformat() if draft.completed is not None else None))
            [row] = db.execute(select("WHERE id = ?"), (offer_id,)).fetchall()
        return NewOffer(offer_of_row(row), secret, code, tx_code)

    def check_tx_code(self, offer_id: str, tx_code: str) -> bool:
        with self.transaction() as db:
            row = db.execute("SELECT tx_code_hash, tx_code_failures FROM offers WHERE id = ?", (offer_id,)).fetchone()
            if row is None or row[0] is None:
                return False
            if row[1] >= TX_CODE_ATTEMPTS:  # used up: a guesser gets no more tries, the learner a new offer
                return False
            if same_digest(tx_code, row[0]):
                return True
            db.execute("UPDATE offers SET tx_code_failures = tx_code_failures + 1 WHERE id = ?", (offer_id,))
            return False

    def revoke_offer(self, offer_id: str, *, now: datetime) -> Offer:
        with self.transaction() as db:
            current = _required(db, offer_id)
            if current.state == REDEEMED:
                raise OfferRedeemedError(redeemed_already(offer_id, current.credential_id), offer=offer_id)
            if current.state == OPEN:
                db.execute("UPDATE offers SET state = ?, revoked_at = ? WHERE id = ? AND state = ?",
                           (REVOKED, format_datetime(now), offer_id, OPEN))
                # the offer's pending nonces and tokens go with it
                db.execute("DELETE FROM offer_nonces WHERE offer_id = ?", (offer_id,))
                db.execute("DELETE FROM offer_tokens WHERE offer_id = ?", (offer_id,))
            return _required(db, offer_id)

    # --- redeem -------------------------------------------------------------------------------------
    def redeem(self, offer_id: str, *, holder: str, protocol: str, now: datetime,
               credential_id: str | None = None) -> Offer:
        if protocol not in PROTOCOLS:
            raise OfferError(Message("unknown offer protocol {protocol}", protocol=repr(protocol)),
                             code="MALFORMED_VALUE_ERROR")
        if not holder:
            raise OfferError(Message("a redeem needs the holder's DID"), code="MALFORMED_VALUE_ERROR", field="holder")
        moment = format_datetime(now)
        with self.transaction() as db:
            # the one statement that decides the race: only an open, unexpired offer changes
            changed = db.execute(
                "UPDATE offers SET state = ?, redeemed_at = ?, holder = ?, protocol = ?, credential_id = ? "
                "WHERE id = ? AND state = ? AND expires > ?",
                (REDEEMED, moment, holder, protocol, credential_id, offer_id, OPEN, moment)).rowcount
            current = _required(db, offer_id)
            if changed != 1:
                current.require_open(now)  # raises the reason
                raise OfferRedeemedError(Message("offer {id} was already redeemed", id=offer_id),  # pragma: no cover
                                         offer=offer_id)
            return current

    def record_credential(self, offer_id: str, credential_id: str) -> Offer:
        with self.transaction() as db:
            current = _required(db, offer_id)
            if current.state != REDEEMED:
                raise OfferError(not_redeemed(offer_id, current.state), code="OFFER_NOT_REDEEMED")
            if current.credential_id not in (None, credential_id):
                raise OfferRedeemedError(Message("offer {id} already produced {credential}", id=offer_id,
                                                 credential=str(current.credential_id)), offer=offer_id)
            db.execute("UPDATE offers SET credential_id = ? WHERE id = ?", (credential_id, offer_id))
            return _required(db, offer_id)

    def release(self, offer_id: str, *, holder: str) -> Offer:
        with self.transaction() as db:
            db.execute("UPDATE offers SET state = ?, redeemed_at = NULL, holder = NULL, protocol = NULL "
                       "WHERE id = ? AND state = ? AND holder = ? AND credential_id IS NULL",
                       (OPEN, offer_id, REDEEMED, holder))
            return _required(db, offer_id)

    # --- nonces -------------------------------------------------------------------------------------
    def issue_nonce(self, purpose: str, *, now: datetime, lifetime: timedelta, offer_id: str | None = None) -> str:
        until = expiry(now, lifetime, MAX_NONCE_LIFETIME, "nonce")
        nonce = new_secret()
        with self.transaction() as db:
            if offer_id is not None:
                _required(db, offer_id)
            # the table stays small: expired nonces go whenever a new one is made
            db.execute("DELETE FROM offer_nonces WHERE expires <= ?", (format_datetime(now),))
            db.execute("INSERT INTO offer_nonces (hash, purpose, offer_id, expires) VALUES (?, ?, ?, ?)",
                       (digest(nonce), purpose, offer_id, until))
        return nonce

    def consume_nonce(self, nonce: str, purpose: str, *, now: datetime, offer_id: str | None = None) -> bool:
        with self.transaction() as db:
            # one DELETE: of two processes consuming the same nonce, one deletes the row, the other nothing
            changed = db.execute("DELETE FROM offer_nonces WHERE hash = ? AND purpose = ? AND offer_id IS ? "
                                 "AND expires > ?", (digest(nonce), purpose, offer_id, format_datetime(now))).rowcount
        return changed == 1

    # --- access tokens ------------------------------------------------------------------------------
    def issue_token(self, offer_id: str, *, now: datetime, lifetime: timedelta) -> str:
        until = expiry(now, lifetime, MAX_TOKEN_LIFETIME, "token")
        token = new_secret()
        with self.transaction() as db:
            _required(db, offer_id).require_open(now)
            db.execute("DELETE FROM offer_tokens WHERE expires <= ?", (format_datetime(now),))
            db.execute("INSERT INTO offer_tokens (hash, offer_id, expires) VALUES (?, ?, ?)",
                       (digest(token), offer_id, until))
        return token

    def exchange_code(self, pre_authorized_code: str, *, now: datetime,
                      lifetime: timedelta) -> tuple[Offer, str] | None:
        until = expiry(now, lifetime, MAX_TOKEN_LIFETIME, "token")
        token = new_secret()
        with self.transaction() as db:
            row = db.execute(select("WHERE code_hash = ?"), (digest(pre_authorized_code),)).fetchone()
            if row is None:
                return None
            current = offer_of_row(row)
            current.require_open(now)
            # single use: the code's digest becomes that of a secret nobody holds (the column stays unique and
            # non-null), in the transaction that makes the token, so two exchanges of one code cannot both win
            db.execute("UPDATE offers SET code_hash = ? WHERE id = ? AND code_hash = ?",
                       (digest(new_secret()), current.id, digest(pre_authorized_code)))
            db.execute("DELETE FROM offer_tokens WHERE expires <= ?", (format_datetime(now),))
            db.execute("INSERT INTO offer_tokens (hash, offer_id, expires) VALUES (?, ?, ?)",
                       (digest(token), current.id, until))
        return current, token


def _required(db: sqlite3.Connection, offer_id: str) -> Offer:
    row = db.execute(select("WHERE id = ?"), (offer_id,)).fetchone()
    if row is None:
        raise OfferError(Message("no offer {id}", id=repr(offer_id)), code="OFFER_NOT_FOUND", offer=offer_id)
    return offer_of_row(row)
