"""``omc wallet receive``: our wallet redeems an offer the way LCW does (the deep link and the VC-API exchange)
against a real ``omc serve`` on loopback, verifies what it gets and stores it; and refuses what it must."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from omc_vc._internal.fetch import Fetcher
from omc_vc.errors import FetchError, WalletError
from omc_vc.issue.offers import LCW, REDEEMED, VCAPI
from omc_vc.model import subject_ids
from omc_vc.verify import Verifier
from omc_vc.wallet import Wallet
from omc_vc.wallet_receive import RECEIVERS, find_receiver, receive

from .offer_world import OfferWorld, free_port, live_offer_world, serving

PASSPHRASE = "wallet pass phrase"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[OfferWorld, str]]:
    with live_offer_world(tmp_path) as pair:
        yield pair


@pytest.fixture
def wallet(tmp_path: Path) -> Wallet:
    return Wallet.create(tmp_path / "wallet", PASSPHRASE)


def _receive(wallet: Wallet, link: str, **fetcher: Any) -> Any:
    return receive(wallet, link, fetcher=Fetcher(allow_loopback=fetcher.get("allow_loopback", True)),
                   verifier=Verifier())


def test_deep_link_received_verified_and_stored(live: tuple[OfferWorld, str], wallet: Wallet) -> None:
    world, _ = live
    new, links = world.offer()
    received = _receive(wallet, links.deep_link)
    assert received.protocol == "lcw" and len(received.items) == 1
    item, fresh = received.items[0]
    assert fresh and item.verdict["verified"]
    assert subject_ids(item.document) == [wallet.holder_did]
    assert new.secret not in json.dumps(received.to_json())  # the link's secret is not kept
    with world.store() as store:
        offer = store.offer(new.offer.id)
        assert offer is not None and (offer.state, offer.protocol, offer.holder) == (REDEEMED, LCW, wallet.holder_did)


@pytest.mark.parametrize("prefix", ["", "interaction:"])
def test_interaction_url_received_verified_and_stored(live: tuple[OfferWorld, str], wallet: Wallet,
                                                      prefix: str) -> None:
    world, _ = live
    new, links = world.offer()
    received = _receive(wallet, prefix + links.interaction_url)
    assert received.protocol == "vcapi"
    [(item, fresh)] = received.items
    assert fresh and subject_ids(item.document) == [wallet.holder_did]
    with world.store() as store:
        offer = store.offer(new.offer.id)
        assert offer is not None and (offer.state, offer.protocol) == (REDEEMED, VCAPI)


def test_a_link_received_twice_is_refused_by_the_issuer(live: tuple[OfferWorld, str], wallet: Wallet) -> None:
    world, _ = live
    _, links = world.offer()
    _receive(wallet, links.deep_link)
    with pytest.raises(WalletError) as caught:
        _receive(wallet, links.deep_link)
    assert "409" in caught.value.detail and "OFFER_REDEEMED" in caught.value.detail


def test_plain_http_is_refused_unless_loopback_is_allowed(live: tuple[OfferWorld, str], wallet: Wallet) -> None:
    world, _ = live
    _, links = world.offer()
    with pytest.raises(FetchError) as caught:
        _receive(wallet, links.deep_link, allow_loopback=False)
    assert caught.value.code == "FETCH_SCHEME_REFUSED"


def test_unknown_link_is_not_an_offer(wallet: Wallet) -> None:
    for link in ("https://example.ca/page", "https://lcw.app/request.html?issuer=x", "mailto:a@b.c"):
        with pytest.raises(WalletError) as caught:
            find_receiver(link)
        assert caught.value.code == "WALLET_LINK_UNSUPPORTED"
    assert [r.name for r in RECEIVERS][:2] == ["lcw", "vcapi"]


def test_deep_link_without_bearer_auth_is_unsupported(wallet: Wallet) -> None:
    link = "https://lcw.app/request.html?issuer=x&auth_type=code&challenge=c&vc_request_url=https://x.example/r"
    with pytest.raises(WalletError) as caught:
        _receive(wallet, link)
    assert caught.value.code == "WALLET_LINK_UNSUPPORTED"


# --- a hostile issuer ------------------------------------------------------------------------------------
def _evil_app(base: str, *, exchange: str | None = None, domain: str | None = None,
              subject: str | None = None) -> Starlette:
    async def interaction(_: Request) -> JSONResponse:
        return JSONResponse({"protocols": {"vcapi": exchange or f"{base}/x"}})

    async def post(request: Request) -> JSONResponse:
        body = await request.json()
        if body == {}:
            return JSONResponse({"verifiablePresentationRequest": {
                "query": [{"type": "DIDAuthentication"}], "challenge": "c1", "domain": domain or base}})
        forged = {"type": ["VerifiableCredential"], "credentialSubject": {"id": subject}}
        return JSONResponse({"verifiablePresentation": {"type": ["VerifiablePresentation"],
                                                        "verifiableCredential": [forged]}})

    return Starlette(routes=[Route("/i", interaction, methods=["GET"]), Route("/x", post, methods=["POST"])])


def test_exchange_on_another_site_is_refused(wallet: Wallet) -> None:
    """An interaction URL cannot send the wallet to a third site (network only where the link points)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(_evil_app(base, exchange="https://elsewhere.example/x"), port):
        with pytest.raises(WalletError) as caught:
            _receive(wallet, f"{base}/i?iuv=1")
    assert "another site" in caught.value.detail


def test_presentation_for_another_domain_is_not_signed(wallet: Wallet) -> None:
    """A relay asking the wallet to sign for another site's domain (to replay the presentation there)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(_evil_app(base, domain="https://bank.example"), port):
        with pytest.raises(WalletError) as caught:
            _receive(wallet, f"{base}/i?iuv=1")
    assert "not to itself" in caught.value.detail


def test_forged_credential_from_the_issuer_is_refused(wallet: Wallet) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(_evil_app(base, subject=wallet.holder_did), port):
        with pytest.raises(WalletError) as caught:
            _receive(wallet, f"{base}/i?iuv=1")
    assert caught.value.code == "WALLET_REJECTED_INVALID"
    assert wallet.ids() == []


# --- the command ---------------------------------------------------------------------------------------
def test_wallet_receive_command(live: tuple[OfferWorld, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world, _ = live
    _, links = world.offer()
    monkeypatch.setenv("OMC_TEST_WALLET_PASS", PASSPHRASE)
    folder = tmp_path / "cli-wallet"
    args = ["wallet", "receive", links.deep_link, "--wallet", str(folder), "--passphrase-env", "OMC_TEST_WALLET_PASS",
            "--allow-http-loopback"]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["protocol"] == "lcw" and report["received"][0]["new"] is True
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1 and again.stderr.startswith("error: WALLET_RECEIVE_FAILED:"), again.output
    assert "OFFER_REDEEMED" in again.stderr
    bad = CliRunner().invoke(cli, ["wallet", "receive", "https://example.ca/", "--wallet", str(folder),
                                   "--passphrase-env", "OMC_TEST_WALLET_PASS"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: WALLET_LINK_UNSUPPORTED:")


def test_a_refused_exchange_never_names_the_links_secret(live: tuple[OfferWorld, str], wallet: Wallet) -> None:
    """The VC-API link's secret is its path's last part: a refusal (printed by the CLI, kept in logs) names
    the exchange without it."""
    world, _ = live
    new, links = world.offer()
    _receive(wallet, links.interaction_url)
    with pytest.raises(WalletError) as caught:
        _receive(wallet, links.interaction_url)  # redeemed already: refused
    assert "OFFER_REDEEMED" in caught.value.detail or "410" in caught.value.detail or "409" in caught.value.detail
    assert new.secret not in caught.value.detail and new.secret not in str(caught.value)
