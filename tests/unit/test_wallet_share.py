"""Short mode: host a copy on a verifier service (the /shares API), QR it, fetch it, withdraw it.

The wallet talks to the real service (``omc_vc.web.create_app`` under uvicorn on loopback): it asks for a
challenge, presents the credential with its holder key, and the service checks that presentation. A
small loopback server stands in for a misbehaving service where the real one cannot misbehave.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from omc_vc import qr
from omc_vc._internal.fetch import Fetcher
from omc_vc.errors import FetchError, WalletError
from omc_vc.wallet import Wallet, read_source
from omc_vc.web.app import Service, create_app
from omc_vc.web.config import Hosted, WebConfig
from tests.unit.test_wallet_support import NOW, Institution

PASS = "share passphrase"


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, Service]]:
    """The verifier service on a loopback port (offline; the college's did:web document pinned)."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    did_document = tmp_path / "college-did.json"
    did_document.write_text(json.dumps(Institution().did_document), encoding="utf-8")
    base = f"http://127.0.0.1:{port}"
    app = create_app(WebConfig(host="127.0.0.1", port=port, public_url=base, offline=True,
                               hosted=Hosted(did_documents={"/.well-known/did.json": did_document})))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the service did not start"
        time.sleep(0.05)
    try:
        yield base, app.state.service
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture()
def service(served: tuple[str, Service]) -> str:
    return served[0]


@pytest.fixture()
def wallet_with_omc(tmp_path: Path) -> tuple[Wallet, Institution, str]:
    wallet = Wallet.create(tmp_path / "w", PASS)
    college = Institution()
    item, _ = wallet.add(college.issue(wallet.holder_did), verifier=college.verifier(), now=NOW)
    return wallet, college, item.id


def test_short_mode_round_trip_through_a_real_qr_image(served: tuple[str, Service], tmp_path: Path,
                                                       wallet_with_omc: tuple[Wallet, Institution, str]) -> None:
    service, web = served
    wallet, college, item_id = wallet_with_omc
    fetcher = Fetcher(allow_loopback=True)
    share = wallet.share(item_id, service=service, fetcher=fetcher, ttl_seconds=3600)
    assert share.url == f"{service}/s/{share.id}"
    hosted = web.shares.get(share.id)
    assert hosted is not None and hosted.holder == wallet.holder_did  # the service knows who shared it
    image = tmp_path / "short.png"
    assert qr.make_qr_image(share.url, image, max_version=10) <= 10
    scanned = qr.read_qr_image(image)
    assert scanned == share.url
    payload, _ = read_source(str(image), fetcher=fetcher)
    assert payload == wallet.get(item_id).credential
    assert college.verifier().verify(payload, now=NOW).verified
    stored = Wallet.open(wallet.directory, PASS).get(item_id)
    assert stored.shares[0].id == share.id and stored.shares[0].withdraw_token  # kept, encrypted


def test_withdrawn_share_stops_answering(service: str, wallet_with_omc: tuple[Wallet, Institution, str]) -> None:
    wallet, _, item_id = wallet_with_omc
    fetcher = Fetcher(allow_loopback=True)
    share = wallet.share(item_id, service=service, fetcher=fetcher, ttl_seconds=3600)
    assert [s.id for s in wallet.withdraw(item_id, fetcher=fetcher)] == [share.id]
    with pytest.raises(FetchError):
        read_source(share.url, fetcher=fetcher)
    assert wallet.get(item_id).shares[0].withdrawn
    assert wallet.withdraw(item_id, fetcher=fetcher) == []


def test_service_refusal_is_reported_with_its_reason(service: str,
                                                     wallet_with_omc: tuple[Wallet, Institution, str]) -> None:
    wallet, _, item_id = wallet_with_omc
    with pytest.raises(WalletError) as info:
        wallet.share(item_id, service=service, fetcher=Fetcher(allow_loopback=True), ttl_seconds=60 * 86400)
    assert info.value.code == "WALLET_SHARE_FAILED" and "ttlSeconds" in info.value.detail
    assert wallet.get(item_id).shares == []


def test_wallet_does_not_share_a_credential_issued_to_someone_else(
        served: tuple[str, Service], tmp_path: Path) -> None:
    service, web = served
    wallet = Wallet.create(tmp_path / "w", PASS)
    college = Institution()
    item, _ = wallet.add(college.issue("did:example:someone-else"), verifier=college.verifier(), now=NOW)
    with pytest.raises(WalletError) as info:
        wallet.share(item.id, service=service, fetcher=Fetcher(allow_loopback=True), ttl_seconds=3600)
    assert info.value.code == "HOLDER_NOT_SUBJECT"
    assert web.shares._usage()[0] == 0


class _RogueService(BaseHTTPRequestHandler):
    """A service that misbehaves: points the QR code elsewhere, or asks for a presentation to another site."""

    mode: ClassVar[str] = "bad-url"
    base: ClassVar[str] = ""
    posted: ClassVar[list[str]] = []

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.posted.append(self.path)
        if self.path == "/shares/challenge":
            domain = "https://real-verifier.example" if self.mode == "other-domain" else self.base
            return self._answer(200, {"challenge": "c" * 43, "domain": domain, "expires": "2030-01-01T00:00:00Z"})
        self.rfile.read(int(self.headers["Content-Length"]))
        return self._answer(201, {"id": "x" * 22, "url": "https://attacker.example/s/x", "withdrawToken": "t",
                                  "expires": "2030-01-01T00:00:00Z"})


@pytest.fixture()
def rogue() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RogueService)
    _RogueService.base = f"http://127.0.0.1:{server.server_address[1]}"
    _RogueService.posted = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield _RogueService.base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_service_pointing_the_qr_code_elsewhere_is_refused(rogue: str,
                                                           wallet_with_omc: tuple[Wallet, Institution, str]) -> None:
    wallet, _, item_id = wallet_with_omc
    _RogueService.mode = "bad-url"
    with pytest.raises(WalletError) as info:
        wallet.share(item_id, service=rogue, fetcher=Fetcher(allow_loopback=True), ttl_seconds=3600)
    assert info.value.code == "WALLET_SHARE_FAILED" and wallet.get(item_id).shares == []


def test_presentation_relayed_to_another_service_is_refused(rogue: str,
                                                            wallet_with_omc: tuple[Wallet, Institution, str]) -> None:
    # a service passing on another verifier's challenge, to plant a share there in the learner's name
    wallet, _, item_id = wallet_with_omc
    _RogueService.mode = "other-domain"
    with pytest.raises(WalletError) as info:
        wallet.share(item_id, service=rogue, fetcher=Fetcher(allow_loopback=True), ttl_seconds=3600)
    assert info.value.code == "WALLET_SHARE_FAILED" and "real-verifier.example" in info.value.detail
    assert _RogueService.posted == ["/shares/challenge"]  # no presentation was sent


def test_sharing_to_loopback_needs_the_explicit_flag(served: tuple[str, Service],
                                                     wallet_with_omc: tuple[Wallet, Institution, str]) -> None:
    service, web = served
    wallet, _, item_id = wallet_with_omc
    with pytest.raises(FetchError):
        wallet.share(item_id, service=service, fetcher=Fetcher(), ttl_seconds=3600)
    assert web.shares._usage()[0] == 0 and web.challenges._count() == 0


def test_import_from_a_url_goes_through_the_fetcher(tmp_path: Path) -> None:
    from tests.fixtures.registry.world import Server

    college = Institution()
    credential = college.issue("did:example:learner")
    token = college.issue_jwt("did:example:learner")
    with Server() as server:
        url = server.serve_json("/omc/1.json", credential)
        jwt_url = server.serve_bytes("/omc/2.jwt", token.encode())
        assert read_source(url, fetcher=Fetcher(allow_loopback=True))[0] == credential
        assert read_source(jwt_url, fetcher=Fetcher(allow_loopback=True))[0] == token
        # the default fetcher refuses plain http and loopback addresses (SSRF)
        with pytest.raises(FetchError):
            read_source(url, fetcher=Fetcher())
        assert [path for path, _ in server.requests] == ["/omc/1.json", "/omc/2.jwt"]
