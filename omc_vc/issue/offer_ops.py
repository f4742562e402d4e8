"""The registrar's offer operations (``omc offer``): make one offer or a roster's, list them, revoke one.

Every offer is made in the institution's issuance store (:class:`~omc_vc.issue.offers.OfferStore`) with the
configuration's ``offers`` settings: its links point at ``offers.public_url`` (the ``omc serve`` that hosts
the offer endpoints), it stays open ``offers.expires_days`` days unless the caller says otherwise, and it
asks OpenID4VCI wallets for a transaction code when ``offers.tx_code`` is true. The secrets of a new offer
are shown once, in its links; the store keeps only their digests, so a lost link cannot be shown again:
revoke the offer and make a new one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from omc_vc._internal import atomic
from omc_vc.errors import ConfigError, IssuanceError, OmcVcError
from omc_vc.i18n import Message
from omc_vc.issue import oid4vci
from omc_vc.issue.batch import RowError, csv_safe, read_roster
from omc_vc.issue.config import InstitutionConfig, OffersConfig
from omc_vc.issue.exchanges import OfferLinks, offer_links
from omc_vc.issue.offers import NewOffer, Offer, OfferDraft, OfferStore

__all__ = ["CSV_COLUMNS", "MadeOffer", "RosterOffers", "make_offer", "make_roster_offers", "offer_settings",
           "offers_csv", "withdraw_offers"]

#: The columns of the mail-merge CSV, in order.
CSV_COLUMNS: Final = ("name", "email", "student_number", "achievement", "offer_id", "expires", "link",
                      "interaction_url", "openid_credential_offer", "tx_code")


@dataclass(frozen=True)
class MadeOffer:
    """A new offer with its links (the only place its secrets are ever shown)."""

    offer: Offer
    links: OfferLinks
    #: OpenID4VCI: the offer by value (``credential_offer``) and by reference (``credential_offer_uri``)
    openid: dict[str, str]
    tx_code: str | None

    def __repr__(self) -> str:  # the links are secrets: never in a log line or a traceback
        return f"MadeOffer(offer={self.offer!r})"

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        return {**self.offer.to_json(now), **self.links.to_json(),
                "openidCredentialOffer": self.openid["credential_offer_uri"],
                "openidCredentialOfferByValue": self.openid["credential_offer"], "txCode": self.tx_code}

    def csv_row(self) -> tuple[str, ...]:
        offer = self.offer
        return (offer.learner_name, offer.learner_email or "", offer.student_number or "", offer.achievement,
                offer.id, offer.expires, self.links.deep_link, self.links.interaction_url,
                self.openid["credential_offer_uri"], self.tx_code or "")


def offer_settings(config: InstitutionConfig) -> OffersConfig:
    """The configuration's ``offers`` section (ConfigError naming it when it is missing)."""
    if config.offers is None:
        raise ConfigError(Message("config: offers.public_url is needed to make offers (the https address of the omc "
                                  "serve that hosts them)"), field="offers.public_url")
    return config.offers


def _made(settings: OffersConfig, new: NewOffer) -> MadeOffer:
    return MadeOffer(new.offer, offer_links(settings.public_url, new.offer, new.secret),
                     oid4vci.offer_links(settings.public_url, new), new.tx_code)


def make_offer(config: InstitutionConfig, store: OfferStore, *, achievement: str, learner_name: str,
               now: datetime, learner_email: str | None = None, student_number: str | None = None,
               completed: date | None = None, expires_days: int | None = None) -> MadeOffer:
    """One offer of ``achievement`` (a catalogue id) for one learner."""
    settings = offer_settings(config)
    config.achievement(achievement)  # ConfigError naming the catalogue's ids
    days = settings.expires_days if expires_days is None else expires_days
    draft = OfferDraft(achievement, learner_name, learner_email, student_number,
                       expires_in=timedelta(days=days), tx_code=settings.tx_code, completed=completed)
    return _made(settings, store.create_offer(draft, now=now))


@dataclass(frozen=True)
class RosterOffers:
    """What a roster made: an offer per good row (in file order), and the bad rows by line number."""

    made: list[MadeOffer]
    errors: list[RowError]


def make_roster_offers(config: InstitutionConfig, store: OfferStore, roster: str | Path, *, now: datetime,
                       expires_days: int | None = None, strict: bool = False) -> RosterOffers:
    """An offer for each row of a roster CSV (the columns of ``omc issue --roster``; ``learner_did`` is not
    used: the wallet proves its own DID). With ``strict``, a roster with a bad row makes no offer at all."""
    settings = offer_settings(config)
    rows, errors = read_roster(roster, catalogue=set(config.catalogue), today=now.date())
    if strict and errors:
        return RosterOffers([], errors)
    days = settings.expires_days if expires_days is None else expires_days
    drafts = [OfferDraft(row.achievement, row.name, row.email, row.student_number, expires_in=timedelta(days=days),
                         tx_code=settings.tx_code, completed=row.completed) for row in rows]
    made: list[MadeOffer] = []
    try:
        for draft in drafts:
            made.append(_made(settings, store.create_offer(draft, now=now)))
    except (OmcVcError, OSError) as exc:
        # the links of the offers made so far would be shown nowhere: none stays open
        withdraw_offers(store, made, now=now)
        detail = exc.detail if isinstance(exc, OmcVcError) else str(exc)
        raise IssuanceError(Message("offer {number} of {total} could not be made ({detail}); the {made} made before it "
                                    "were revoked: run the command again", number=len(made) + 1, total=len(drafts),
                                    detail=detail, made=len(made))) from exc
    return RosterOffers(made, errors)


def withdraw_offers(store: OfferStore, made: Sequence[MadeOffer], *, now: datetime) -> None:
    """Revoke offers whose links were never handed to anyone (their CSV could not be written)."""
    for item in made:
        store.revoke_offer(item.offer.id, now=now)


def offers_csv(made: Sequence[MadeOffer], out: str | Path | None = None) -> str:
    """The mail-merge CSV (:data:`CSV_COLUMNS`, one row per offer); written atomically to ``out`` when given."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in made:
        # a spreadsheet runs a cell starting with = + - @ as a formula (CSV injection): names come from a roster
        writer.writerow([csv_safe(cell) for cell in item.csv_row()])
    text = buffer.getvalue()
    if out is not None:
        atomic.write_bytes(out, text.encode("utf-8"), mode=0o600)  # the links are secrets
    return text
