"""Short mode: host a copy on a verifier service (the agreed /shares API), QR it, fetch it, withdraw it.

A small loopback server implementing the agreed API stands in for the [web] service.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from omc_vc import qr
from omc_vc._internal.fetch import Fetcher
from omc_vc.errors import FetchError, WalletError
from omc_vc.wallet import Wallet, read_source
from tests.unit.test_wallet_support import NOW, Institution

PASS = "share passphrase"


class _ShareService(BaseHTTPRequestHandler):
    shares: ClassVar[dict[str, tuple[Any, str]]] = {}
    base = ""
    bad_url = False

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _answer(self, status: int, body: Any = None, content_type: str = "application/json") -> None:
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        if self.path != "/shares":
            return self._answer(404, {"detail": "no such endpoint"})
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not isinstance(body.get("ttlSeconds"), int) or body["ttlSeconds"] > 30 * 86400:
            return self._answer(400, {"detail": "ttlSeconds must be an integer from 60 to 2592000"})
        share_id, token = secrets.token_urlsafe(12), secrets.token_urlsafe(24)
        self.shares[share_id] = (body["credential"], token)
        url = "https://attacker.example/s/x" if self.bad_url else f"{self.base}/s/{share_id}"
        self._answer(201, {"id": share_id, "url": url, "withdrawToken": token, "expires": "2026-09-08T12:00:00Z"})

    def do_GET(self) -> None:
        share_id = self.path.rsplit("/", 1)[-1]
        if not self.path.startswith("/shares/") or share_id not in self.shares:
            return self._answer(404, {"detail": "expired or withdrawn"})
        credential = self.shares[share_id][0]
        if isinstance(credential, str):
            return self._answer(200, credential.encode(), "application/jwt")
        return self._answer(200, credential)

    def do_DELETE(self) -> None:
        share_id = self.path.rsplit("/", 1)[-1]
        if share_id not in self.shares:
            return self._answer(404, {"detail": "expired or withdrawn"})
        if self.headers.get("Authorization") != f"Bearer {self.shares[share_id][1]}":
            return self._answer(403, {"detail": "wrong withdraw token"})
        del self.shares[share_id]
        return self._answer(204)


@pytest.fixture()
def service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ShareService)
    _ShareService.shares = {}
    _ShareService.bad_url = False
    _ShareService.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield _ShareService.base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def wallet_with_omc(tmp_path: Path) -> tuple[Wallet, Institution, str]:
    wallet = Wallet.create(tmp_path / "w", PASS)
    college = Institution()
    item, _ = wallet.add(college.issue(wallet.holder_did), verifier=college.verifier(), now=NOW)
    return wallet, college, item.id


def test_short_mode_round_trip_through_a_real_qr_image(service: str, tmp_path: Path,
                                                       wallet_with_omc: tuple[Wallet, Institution, str]) -> None:
    wallet, college, item_id = wallet_with_omc
    fetcher = Fetcher(allow_loopback=True)
    share = wallet.share(item_id, service=service, fetcher=fetcher, ttl_seconds=3600)
    assert share.url == f"{service}/s/{share.id}"
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


def test_service_pointing_the_qr_code_elsewhere_is_refused(service: str,
                                                           wallet_with_omc: tuple[Wallet, Institution, str]) -> None:
    wallet, _, item_id = wallet_with_omc
    _ShareService.bad_url = True
    with pytest.raises(WalletError) as info:
        wallet.share(item_id, service=service, fetcher=Fetcher(allow_loopback=True), ttl_seconds=3600)
    assert info.value.code == "WALLET_SHARE_FAILED"


def test_sharing_to_loopback_needs_the_explicit_flag(service: str,
                                                     wallet_with_omc: tuple[Wallet, Institution, str]) -> None:
    wallet, _, item_id = wallet_with_omc
    with pytest.raises(FetchError):
        wallet.share(item_id, service=service, fetcher=Fetcher(), ttl_seconds=3600)
    assert _ShareService.shares == {}


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
