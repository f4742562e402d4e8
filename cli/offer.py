"""``omc offer``: credential offers a learner's wallet redeems (create, list, revoke)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from omc_vc._internal.timeutil import utcnow
from omc_vc.errors import InputError, OfferError
from omc_vc.i18n import Message
from omc_vc.issue.config import load_config
from omc_vc.issue.offer_ops import (
    MadeOffer,
    make_offer,
    make_roster_offers,
    offer_settings,
    offers_csv,
    withdraw_offers,
)
from omc_vc.issue.offers import MAX_OFFER_DAYS, OfferRedeemedError
from omc_vc.issue.stores import open_store
from omc_vc.qr import make_qr_image

from ._common import EXIT_FAILED, EXIT_USAGE, diagnostics, emit_json, fail, handle_errors, say
from ._lang import OmcSubGroup, words

_CONFIG = click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False),
                       help="Institution configuration (YAML or JSON) with an offers section.")


@click.group("offer", cls=OmcSubGroup)
def offer_group() -> None:
    """Credential offers: a link (and QR code) a learner opens in a wallet to receive one OMC.

    The wallet proves its key and gets the OMC issued to its DID by omc serve (the Learner Credential
    Wallet's deep link, a VC-API exchange, or OpenID4VCI). An offer is single-use, expires, and can be
    revoked. Links point at offers.public_url of the institution.yaml (docs/wallets.md).

    \b
    Example:
      omc offer create --config institution.yaml --achievement weld-101 --learner-name "Ana Silva" \\
          --learner-email ana@example.ca --qr ana-offer.png
      omc offer create --config institution.yaml --roster cohort.csv --out offers.csv
      omc offer list --config institution.yaml
      omc offer revoke --config institution.yaml OFFER_ID
    """


def _qr(link: str, out: Path) -> None:
    make_qr_image(link, out, kind="svg" if out.suffix.lower() == ".svg" else "png")
    os.chmod(out, 0o600)  # the link is the offer's secret


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(Message("--completed {value} is not a date (YYYY-MM-DD)", value=repr(value))) from None


def _show(made: MadeOffer) -> None:
    offer = made.offer
    t = words()
    # the learner's name is the registrar's text: the line is made inert by say; links and codes are data
    say(t.gettext("offer {id} for {learner} ({achievement}), open until {when}").format(
        id=offer.id, learner=offer.learner_name, achievement=offer.achievement, when=offer.expires))
    click.echo(t.gettext("link: {url}").format(url=made.links.deep_link))
    click.echo(t.gettext("interaction URL (VC-API): {url}").format(url=made.links.interaction_url))
    click.echo(t.gettext("OpenID4VCI offer: {url}").format(url=made.openid["credential_offer_uri"]))
    click.echo(t.gettext("OpenID4VCI offer by value: {url}").format(url=made.openid["credential_offer"]))
    if made.tx_code:
        click.echo(t.gettext("transaction code (send it to the learner separately): {code}").format(
            code=made.tx_code))


@offer_group.command("create")
@_CONFIG
@click.option("--achievement", help="Catalogue id of the achievement (one offer).")
@click.option("--learner-name", help="Learner's full name (one offer).")
@click.option("--learner-email", help="Learner's e-mail (hashed with a salt in the credential).")
@click.option("--learner-student-number", help="Learner's student number (hashed with a salt).")
@click.option("--completed", help="Completion date YYYY-MM-DD the credential will show (default: the pickup day).")
@click.option("--roster", type=click.Path(dir_okay=False), help="Roster CSV (omc issue's columns): one offer a row.")
@click.option("--out", type=click.Path(dir_okay=False), help="--roster: the mail-merge CSV to write (required).")
@click.option("--strict", is_flag=True, help="--roster: make no offer if any row is bad.")
@click.option("--expires-in-days", type=click.IntRange(1, MAX_OFFER_DAYS),
              help="Days the offer stays open (default: offers.expires_days, else 14).")
@click.option("--qr", "qr_out", type=click.Path(), help="Write the link's QR code: a .png/.svg file (one offer) "
              "or a folder (--roster: OFFER_ID.png each).")
@click.option("--json", "as_json", is_flag=True, help="Print the offer(s) as JSON (links included).")
@handle_errors
def create_cmd(config_file: str, achievement: str | None, learner_name: str | None, learner_email: str | None,
               learner_student_number: str | None, completed: str | None, roster: str | None, out: str | None,
               strict: bool, expires_in_days: int | None, qr_out: str | None, as_json: bool) -> None:
    """Make an offer for one learner, or one per row of a roster.

    The link (and its QR code) is shown once: the store keeps only a digest of its secret. Whoever holds
    the link can redeem it, once; revoke it if it went to the wrong person. A roster writes a CSV for a
    mail merge (name, email, ..., link, interaction_url, openid_credential_offer, tx_code); bad rows are
    reported by line number and skipped (exit 1) unless --strict refuses the whole roster.

    \b
    Example:
      omc offer create --config institution.yaml --achievement weld-101 \\
          --learner-name "Ana Silva" --learner-email ana@example.ca --qr ana-offer.png
      omc offer create --config institution.yaml --roster cohort.csv --out offers.csv --qr offer-qr/
      omc offer create --config institution.yaml --achievement weld-101 --learner-name "Ana Silva" \\
          --learner-email ana@example.ca --expires-in-days 30 --json
    """
    config = load_config(config_file)
    offer_settings(config)
    now = utcnow()
    if roster:
        if achievement or learner_name:
            raise click.UsageError(words().gettext("--roster makes a cohort's offers: do not combine it with "
                                                   "--achievement/--learner-*"))
        if not out:
            raise click.UsageError(words().gettext("--roster needs --out FILE (the mail-merge CSV)"))
        t = words()
        folder = Path(out).resolve().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise InputError(Message("cannot write the mail-merge CSV in {folder}: no such folder, or not writable",
                                     folder=str(folder)))
        with open_store(config) as store:
            report = make_roster_offers(config, store, roster, now=now, expires_days=expires_in_days, strict=strict)
            try:
                offers_csv(report.made, out)
            except OSError:
                withdraw_offers(store, report.made, now=now)  # their links would be shown nowhere
                raise
        if qr_out:
            folder = Path(qr_out)
            folder.mkdir(parents=True, exist_ok=True)
            for made in report.made:
                _qr(made.links.deep_link, folder / f"{made.offer.id}.png")
        if as_json:
            emit_json({"offers": [m.to_json(now) for m in report.made], "csv": out,
                       "errors": [{"line": e.line, "message": e.message} for e in report.errors]})
        else:
            for error in report.errors:
                say("  " + t.gettext("bad row: {error}").format(error=error), err=True)
            say(t.gettext("{n} offer(s) made; links in {path} (keep it private: each link is a learner's offer)")
                .format(n=len(report.made), path=out))
        if report.errors:
            fail("ROSTER_ROWS_REFUSED: " + (t.gettext("{n} roster row(s) made no offer (--strict: none was made)")
                                            if strict else t.gettext("{n} roster row(s) made no offer"))
                 .format(n=len(report.errors)), EXIT_FAILED)
        return
    if not achievement or not learner_name:
        raise click.UsageError(words().gettext("give --achievement and --learner-name (one offer) or --roster and "
                                               "--out (a cohort)"))
    with open_store(config) as store:
        made = make_offer(config, store, achievement=achievement, learner_name=learner_name, now=now,
                          learner_email=learner_email, student_number=learner_student_number,
                          completed=_date(completed), expires_days=expires_in_days)
    if qr_out:
        _qr(made.links.deep_link, Path(qr_out))
    if as_json:
        emit_json(made.to_json(now) | ({"qr": qr_out} if qr_out else {}))
        return
    _show(made)
    if qr_out:
        click.echo(words().gettext("QR code: {path}").format(path=qr_out))


@offer_group.command("list")
@_CONFIG
@click.option("--json", "as_json", is_flag=True, help="Print the offers as JSON.")
@handle_errors
def list_cmd(config_file: str, as_json: bool) -> None:
    """List every offer with its state (open, redeemed, revoked, expired); no secret is ever shown again.

    \b
    Example:
      omc offer list --config institution.yaml
      omc offer list --config institution.yaml --json
    """
    config = load_config(config_file)
    now = utcnow()
    with open_store(config) as store:
        offers = store.offers()
    if as_json:
        emit_json({"offers": [o.to_json(now) for o in offers]})
        return
    if not offers:
        click.echo(words().gettext("no offers"))
        return
    t = words()
    for offer in offers:
        status = offer.status(now)  # a code, the same in every language (--json's status)
        tail = {"open": t.gettext("until {when}").format(when=offer.expires),
                "expired": t.gettext("expired {when}").format(when=offer.expires),
                "revoked": t.gettext("revoked {when}").format(when=offer.revoked_at),
                "redeemed": t.gettext("redeemed {when} via {protocol} -> {credential}").format(
                    when=offer.redeemed_at, protocol=offer.protocol,
                    credential=offer.credential_id or t.gettext("credential not recorded"))}.get(status, "")
        say(f"{offer.id}  {status:<8}  {offer.learner_name} ({offer.achievement})  {tail}")


@offer_group.command("revoke")
@_CONFIG
@click.argument("offer_id", metavar="OFFER_ID")
@click.option("--json", "as_json", is_flag=True, help="Print the revoked offer as JSON.")
@handle_errors
def revoke_cmd(config_file: str, offer_id: str, as_json: bool) -> None:
    """Revoke an offer for good: its link, interaction URL and OpenID4VCI offer stop working.

    An offer already redeemed cannot be revoked (exit 1): revoke its credential (omc status revoke).

    \b
    Example:
      omc offer revoke --config institution.yaml Q2xkUzV1bTNoVjRm
      omc offer revoke --config institution.yaml Q2xkUzV1bTNoVjRm --json
    """
    config = load_config(config_file)
    now = utcnow()
    with open_store(config) as store:
        try:
            offer = store.revoke_offer(offer_id, now=now)
        except OfferRedeemedError as exc:
            fail(diagnostics(exc), EXIT_FAILED)
        except OfferError as exc:
            fail(diagnostics(exc), EXIT_USAGE)
    if as_json:
        emit_json(offer.to_json(now))
    else:
        say(words().gettext("revoked offer {id} ({learner}, {achievement})").format(
            id=offer.id, learner=offer.learner_name, achievement=offer.achievement))

