"""The wallet's OpenID4VCI client (omc_vc.wallet_oid4vci) against ``omc serve``'s endpoints on a real socket.

The service runs in a thread on a loopback port (its offers' public_url is that address, plain http allowed
only there); the client reaches it through an SSRF-checked Fetcher that allows loopback.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import uvicorn

from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.timeutil import utcnow
from omc_vc.did import DidResolver
from omc_vc.errors import Oid4vciError
from omc_vc.issue.offers import NewOffer, OfferDraft
from omc_vc.issue.oid4vci import offer_links
from omc_vc.keys import KeyPair
from omc_vc.verify import Verifier
from omc_vc.wallet_oid4vci import bound_to, is_offer_link, parse_offer_link, receive_offer
from omc_vc.web.app import create_app
from omc_vc.web.config import WebConfig

from .offer_world import OfferWorld, make_offer_world


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    world: OfferWorld
    base: str

    def offer(self, *, tx_code: bool = False, achievement: str = "weld-101") -> tuple[NewOffer, dict[str, str]]:
        with self.world.store() as store:
            new = store.create_offer(OfferDraft(achievement, "Ana Silva", "ana@example.ca", tx_code=tx_code),
                                     now=utcnow())
        return new, offer_links(self.base, new)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    world = make_offer_world(tmp_path, public_url=base)
    app = create_app(WebConfig(public_url=base, offline=True, institution=world.config), keys=[world.key])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the service did not start"
        time.sleep(0.02)
    try:
        yield Live(world, base)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _fetcher() -> Fetcher:
    return Fetcher(allow_loopback=True, timeout=10)


def _holder() -> KeyPair:
    return KeyPair.generate()


def test_offer_links_are_recognised_and_parsed(live: Live) -> None:
    new, links = live.offer()
    assert is_offer_link(links["credential_offer"]) and not is_offer_link("https://lcw.app/request.html?x=1")
    kind, offer = parse_offer_link(links["credential_offer"])
    assert kind == "credential_offer" and offer["credential_issuer"] == live.base
    kind, uri = parse_offer_link(links["credential_offer_uri"])
    assert kind == "credential_offer_uri" and uri.endswith(new.pre_authorized_code)


@pytest.mark.parametrize("form", ["credential_offer", "credential_offer_uri"])
def test_wallet_receives_an_omc_bound_to_its_key(live: Live, form: str) -> None:
    _, links = live.offer()
    holder = _holder()
    received = receive_offer(links[form], holder=holder, fetcher=_fetcher())
    assert received.format == "ldp_vc" and received.credential_issuer == live.base
    assert isinstance(received.credential, dict)
    result = Verifier(resolver=DidResolver()).verify(received.credential)
    assert result.verified, result.errors
    assert bound_to(received.credential) == [holder.controller]


def test_wallet_can_ask_for_the_jwt_form(live: Live) -> None:
    _, links = live.offer()
    received = receive_offer(links["credential_offer"], holder=_holder(), fetcher=_fetcher(), prefer="jwt_vc_json")
    assert received.format == "jwt_vc_json" and isinstance(received.credential, str)
    assert Verifier(resolver=DidResolver()).verify(received.credential).verified


def test_transaction_code_is_sent_when_the_offer_asks_for_one(live: Live) -> None:
    new, links = live.offer(tx_code=True)
    assert new.tx_code is not None
    with pytest.raises(Oid4vciError) as caught:
        receive_offer(links["credential_offer"], holder=_holder(), fetcher=_fetcher())
    assert caught.value.code == "tx_code_required"
    asked: list[dict[str, object]] = []

    def ask(shape: object) -> str:
        asked.append(dict(shape))  # type: ignore[call-overload]
        return "000000" if new.tx_code != "000000" else "111111"

    with pytest.raises(Oid4vciError) as wrong:
        receive_offer(links["credential_offer"], holder=_holder(), fetcher=_fetcher(), ask_tx_code=ask)
    assert wrong.value.code == "invalid_grant" and asked and asked[0]["length"] == 6
    received = receive_offer(links["credential_offer"], holder=_holder(), fetcher=_fetcher(), tx_code=new.tx_code)
    assert isinstance(received.credential, dict)


def test_second_pickup_of_the_same_offer_is_refused(live: Live) -> None:
    _, links = live.offer()
    receive_offer(links["credential_offer"], holder=_holder(), fetcher=_fetcher())
    with pytest.raises(Oid4vciError) as caught:
        receive_offer(links["credential_offer"], holder=_holder(), fetcher=_fetcher())
    assert caught.value.code == "invalid_grant"  # the pre-authorized code was used up


def test_offer_whose_issuer_metadata_names_another_issuer_is_refused(live: Live) -> None:
    """An offer naming issuer A whose metadata says it is issuer B is not used (§12.2.4): here the offer's
    issuer identifier differs from the one the service publishes (a trailing path)."""
    new, _ = live.offer()
    offer = {"credential_issuer": live.base + "/other", "credential_configuration_ids": ["x"],
             "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code":
                        {"pre-authorized_code": new.pre_authorized_code}}}
    link = "openid-credential-offer://?credential_offer=" + quote(json.dumps(offer))
    with pytest.raises(Oid4vciError):
        receive_offer(link, holder=_holder(), fetcher=_fetcher())


def test_offer_pointing_at_a_private_address_is_refused_by_the_fetcher(live: Live) -> None:
    link = "openid-credential-offer://?credential_offer_uri=" + quote("http://10.0.0.7/offer", safe="")
    with pytest.raises(Oid4vciError) as caught:
        receive_offer(link, holder=_holder(), fetcher=_fetcher())
    assert caught.value.code == "issuer_unreachable"


@pytest.mark.parametrize("link", [
    "openid-credential-offer://?",
    "openid-credential-offer://?credential_offer=%7B&credential_offer_uri=x",
    "openid-credential-offer://?credential_offer=not-json",
    "openid-credential-offer://?credential_offer=" + quote(json.dumps({"credential_issuer": "https://x.example"})),
])
def test_malformed_offer_links_are_refused(link: str) -> None:
    with pytest.raises(Oid4vciError):
        receive_offer(link, holder=_holder(), fetcher=_fetcher())


# --- omc wallet receive ---------------------------------------------------------------------------------

def test_wallet_receive_takes_an_openid4vci_offer(live: Live, tmp_path: Path) -> None:
    from omc_vc.wallet import Wallet
    from omc_vc.wallet_receive import ReceiveOptions, find_receiver, receive

    _, links = live.offer()
    wallet = Wallet.create(tmp_path / "wallet", "wallet pass phrase")
    assert find_receiver(links["credential_offer"]).name == "oid4vci"
    received = receive(wallet, links["credential_offer"], fetcher=_fetcher(), verifier=Verifier(),
                       options=ReceiveOptions(prefer="jwt_vc_json"))
    assert received.protocol == "oid4vci" and received.origin == live.base
    ((item, new),) = received.items
    assert new and item.verdict["verified"] and item.format == "jwt" and isinstance(item.credential, str)
    assert bound_to(item.document) == [wallet.holder_did]


def test_wallet_receive_command_with_a_transaction_code(live: Live, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner
    from omc_vc.cli.main import cli

    new, links = live.offer(tx_code=True)
    assert new.tx_code is not None
    monkeypatch.setenv("OMC_TEST_WALLET_PASS", "wallet pass phrase")
    args = ["wallet", "receive", links["credential_offer_uri"], "--wallet", str(tmp_path / "cli-wallet"),
            "--passphrase-env", "OMC_TEST_WALLET_PASS", "--allow-http-loopback"]
    missing = CliRunner().invoke(cli, args)
    assert missing.exit_code == 1 and "error: REFUSED: tx_code_required: " in missing.stderr, missing.output
    result = CliRunner().invoke(cli, [*args, "--tx-code", new.tx_code, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["protocol"] == "oid4vci" and report["received"][0]["new"] is True
    # the offer by reference is gone once its code was used: said so, without the URL (it holds the code)
    again = CliRunner().invoke(cli, [*args, "--tx-code", new.tx_code])
    assert again.exit_code == 1 and again.stderr.startswith("error: REFUSED: offer_unavailable: "), again.output
    assert new.pre_authorized_code not in again.output
    by_value = CliRunner().invoke(cli, ["wallet", "receive", links["credential_offer"], *args[3:], "--tx-code",
                                        new.tx_code])
    assert by_value.exit_code == 1 and by_value.stderr.startswith(
        "error: REFUSED: invalid_grant: the token endpoint refused the request: "), by_value.output
    assert new.pre_authorized_code not in by_value.output and new.tx_code not in by_value.output
