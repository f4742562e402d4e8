"""``omc wallet receive LINK``: redeem a credential offer into the wallet (logic: omc_vc.wallet_receive)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import click

from omc_vc._internal.fetch import Fetcher
from omc_vc.errors import FetchError, Oid4vciError, WalletError
from omc_vc.i18n import Message
from omc_vc.wallet_oid4vci import FORMATS
from omc_vc.wallet_receive import ReceiveOptions, receive

from ._common import EXIT_FAILED, EXIT_USAGE, diagnostics, emit_json, fail, handle_errors, say
from ._lang import words
from .core import registry_options
from .wallet import _open, _show_item, _verifier_options, _wallet_options, _wallet_verifier, wallet_group

#: errors that are a refusal (exit 1), not unreadable input (exit 2)
_REFUSALS = frozenset({"WALLET_RECEIVE_FAILED", "HOLDER_NOT_SUBJECT", "WALLET_REJECTED_INVALID"})
#: OpenID4VCI errors that are unusable input (exit 2): every other one is the issuer's refusal (exit 1)
_OID4VCI_UNUSABLE = frozenset({"invalid_offer", "issuer_unreachable"})


@wallet_group.command("receive")
@click.argument("link")
@_wallet_options
@click.option("--json", "as_json", is_flag=True, help="Print what was received, with verdicts, as JSON.")
@click.option("--tx-code", metavar="CODE", help="OpenID4VCI: the transaction code the institution sent you "
              "separately (asked for when the offer needs one and this is a terminal).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="ldp_vc", show_default=True,
              help="OpenID4VCI: the form to ask for when the offer allows both (Data Integrity or VC-JWT).")
@_verifier_options
@registry_options
@handle_errors
def receive_cmd(link: str, wallet_dir: str | None, passphrase_env: str | None, as_json: bool, tx_code: str | None,
                fmt: str, **verifier_kwargs: Any) -> None:
    """Redeem a credential offer LINK: prove this wallet's DID to the issuer, then verify and store the OMC.

    LINK is what the institution sent: a Learner Credential Wallet deep link (https://lcw.app/request.html?...),
    a VC-API interaction URL (https://...?iuv=1) or an OpenID4VCI offer (openid-credential-offer://?...; if it
    asks for a transaction code, give the one sent to you separately with --tx-code). Only the addresses in the
    link are contacted, over https (plain http only on this machine with --allow-http-loopback, as in the local
    demo). The credential is
    verified like omc wallet import's, and refused unless it was issued to this wallet's DID. The wallet and
    its holder key are created on first use. Exit 1 when the issuer refuses (an offer already redeemed,
    expired or revoked) or gives a credential this wallet refuses; 2 for a link that is not an offer.

    \b
    Example:
      omc wallet receive "https://lcw.app/request.html?issuer=...&auth_type=bearer&challenge=...&vc_request_url=..."
      omc wallet receive "https://verify.college.ca/exchanges/Q2xk/vcapi/...?iuv=1" --json
      omc wallet receive "openid-credential-offer://?credential_offer_uri=https%3A%2F%2F..." --tx-code 493536
    """
    if verifier_kwargs.get("offline"):
        raise FetchError(Message("receiving an offer needs the network (the issuer's service): drop --offline"),
                         code="FETCH_OFFLINE")
    wallet = _open(wallet_dir, passphrase_env, create=True)
    verifier = _wallet_verifier(verifier_kwargs)
    fetcher = Fetcher(allow_loopback=bool(verifier_kwargs.get("allow_http_loopback")))
    try:
        received = receive(wallet, link, fetcher=fetcher, verifier=verifier,
                       options=ReceiveOptions(tx_code=tx_code, ask_tx_code=_ask_tx_code, prefer=fmt))
    except WalletError as exc:
        if exc.code in _REFUSALS:  # the issuer refused, or gave something this wallet refuses: exit 1
            fail(diagnostics(exc), EXIT_FAILED)
        raise
    except Oid4vciError as exc:
        # an OpenID4VCI issuer's refusal (its own error code) or answer this wallet refuses: exit 1; a link that
        # is no offer, or an issuer that cannot be reached, is input the wallet cannot use: exit 2
        fail(diagnostics(exc), EXIT_USAGE if exc.code in _OID4VCI_UNUSABLE else EXIT_FAILED)
    if as_json:
        emit_json(received.to_json())
        return
    t = words()
    for item, new in received.items:
        say((t.gettext("Received {id} (from {origin}, {protocol})") if new else
             t.gettext("Already in the wallet: {id} (from {origin}, {protocol})")).format(
            id=item.id, origin=received.origin, protocol=received.protocol))
        _show_item(item)


def _ask_tx_code(shape: Mapping[str, Any]) -> str:
    """Ask the learner for an OpenID4VCI transaction code (OpenID4VCI 1.0 §4.1.1 tx_code: the offer's own
    description of where it was sent, made inert before it is shown); none when nobody is at a terminal."""
    if not sys.stdin.isatty():
        return ""
    description = shape.get("description")
    if isinstance(description, str) and description.strip():
        say(description[:300], err=True)
    return str(click.prompt(words().gettext("Transaction code"), err=True)).strip()
