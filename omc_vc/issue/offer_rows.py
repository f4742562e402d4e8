"""The offers' rows as both issuance stores read them: the columns, a row as an :class:`~omc_vc.issue.offers.Offer`,
and the read methods of :class:`~omc_vc.issue.offers.OfferStore` whose SQL differs between SQLite and PostgreSQL
only in the parameter mark (``?`` / ``%s``) and the insertion-order column.

Each secret is looked up by its SHA-256 digest (an index probe), never by the secret itself; a link secret is
compared in constant time (:func:`~omc_vc.issue.offers.same_digest`). Writes stay with each store: their locking
differs (SQLite's one writer, PostgreSQL's row locks).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Final

from omc_vc._internal.timeutil import format_datetime
from omc_vc.issue.offers import Offer, digest, same_digest

__all__ = ["COLUMNS", "SECRET_COLUMN", "OfferReads", "offer_of_row", "select"]

#: The columns every offer query selects, in :func:`offer_of_row`'s order (the link secret's digest is
#: :data:`SECRET_COLUMN`, compared by :meth:`OfferReads.offer_by_secret`, never part of an Offer).
COLUMNS: Final = ("id, achievement, learner_name, learner_email, student_number, created, expires, state, "
                  "redeemed_at, holder, protocol, credential_id, revoked_at, tx_code_hash IS NOT NULL, secret_hash, "
                  "completed")
SECRET_COLUMN: Final = 14


def select(where: str = "") -> str:
    """``SELECT`` of :data:`COLUMNS` from ``offers``, with ``where`` (its own text: a clause of constants and
    parameter marks, never a value)."""
    return f"SELECT {COLUMNS} FROM offers {where}".rstrip()  # noqa: S608 - constant text and marks only


def offer_of_row(row: Sequence[Any]) -> Offer:
    """An offer from a row of :data:`COLUMNS`."""
    (offer_id, achievement, name, email, student_number, created, expires, state, redeemed_at, holder, protocol,
     credential_id, revoked_at, tx_code) = row[:14]
    return Offer(offer_id, achievement, name, email, student_number, created, expires, state, redeemed_at, holder,
                 protocol, credential_id, revoked_at, bool(tx_code), row[15])


class OfferReads:
    """The read methods of the offer store (a mixin: the host class gives :meth:`_query` and the two names
    below)."""

    #: the store's parameter mark
    MARK: ClassVar[str]
    #: the column that orders rows as they were inserted
    INSERTION_ORDER: ClassVar[str]

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: raise NotImplementedError

    def offer(self, offer_id: str) -> Offer | None:
        rows = self._query(select(f"WHERE id = {self.MARK}"), (offer_id,))
        return offer_of_row(rows[0]) if rows else None

    def offers(self) -> list[Offer]:
        return [offer_of_row(row) for row in self._query(select(f"ORDER BY created, {self.INSERTION_ORDER}"))]

    def offer_by_secret(self, offer_id: str, secret: str) -> Offer | None:
        rows = self._query(select(f"WHERE id = {self.MARK}"), (offer_id,))
        if not rows or not same_digest(secret, rows[0][SECRET_COLUMN]):
            return None
        return offer_of_row(rows[0])

    def offer_by_code(self, pre_authorized_code: str) -> Offer | None:
        # the lookup is by digest (an index probe); the digest of a 256-bit secret leaks nothing by timing
        rows = self._query(select(f"WHERE code_hash = {self.MARK}"), (digest(pre_authorized_code),))
        return offer_of_row(rows[0]) if rows else None

    def token_offer(self, token: str, *, now: datetime) -> Offer | None:
        columns = ", ".join("o." + c.strip() for c in COLUMNS.split(","))
        rows = self._query(f"SELECT {columns} FROM offer_tokens AS t JOIN offers AS o ON o.id = t.offer_id "  # noqa: S608
                           f"WHERE t.hash = {self.MARK} AND t.expires > {self.MARK}",
                           (digest(token), format_datetime(now)))
        return offer_of_row(rows[0]) if rows else None
