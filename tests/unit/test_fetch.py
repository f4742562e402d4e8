"""The fetcher: https only, SSRF protection, size caps, timeouts, same-host redirects (loopback server)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from omc_vc._internal.fetch import Fetcher
from omc_vc.errors import FetchError


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/ok":
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"v1"')
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/big":
            self.send_response(200)
            self.end_headers()  # no Content-Length: the cap must hold while streaming
            self.wfile.write(b"x" * 50_000)
        elif self.path == "/redirect-same":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.end_headers()
        elif self.path == "/redirect-other":
            self.send_response(302)
            self.send_header("Location", "http://localhost.evil.example/ok")
            self.end_headers()
        elif self.path == "/slow":
            import time

            time.sleep(2)
            self.send_response(200)
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()


    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = self.rfile.read(length)
        if self.path == "/echo":
            body = received + b"|" + (self.headers.get("Content-Type") or "").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/big":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 50_000)
        elif self.path == "/redirect-same":
            self.send_response(307)
            self.send_header("Location", "/echo")
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_loopback_http_allowed_only_when_enabled(server: str) -> None:
    assert Fetcher(allow_loopback=True).get_ok(server + "/ok").content == b'{"ok": true}'
    with pytest.raises(FetchError) as info:
        Fetcher().get(server + "/ok")
    assert info.value.code == "FETCH_SCHEME_REFUSED"


def test_size_cap_holds_without_content_length(server: str) -> None:
    with pytest.raises(FetchError) as info:
        Fetcher(allow_loopback=True, max_bytes=10_000).get(server + "/big")
    assert info.value.code == "FETCH_TOO_LARGE"


def test_same_host_redirect_followed(server: str) -> None:
    assert Fetcher(allow_loopback=True).get_ok(server + "/redirect-same").status == 200


def test_redirect_to_other_host_refused(server: str) -> None:
    with pytest.raises(FetchError) as info:
        Fetcher(allow_loopback=True).get(server + "/redirect-other")
    assert info.value.code == "FETCH_REDIRECT_REFUSED"


def test_timeout(server: str) -> None:
    with pytest.raises(FetchError) as info:
        Fetcher(allow_loopback=True, timeout=0.3).get(server + "/slow")
    assert info.value.code == "FETCH_TIMEOUT"


def test_http_error_status(server: str) -> None:
    with pytest.raises(FetchError) as info:
        Fetcher(allow_loopback=True).get_ok(server + "/missing")
    assert info.value.code == "FETCH_HTTP_ERROR"


@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local): SSRF
    "https://10.0.0.1/x", "https://192.168.1.1/x", "https://172.16.0.1/x",  # private ranges
    "https://127.0.0.1/x", "https://[::1]/x",  # loopback without permission
    "file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/",  # other schemes
    "http://example.com/x",  # plain http to a public host
    "https://user:pw@example.com/x",  # credentials in URL
])
def test_ssrf_targets_refused_before_any_connection(url: str) -> None:
    resolver_calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        resolver_calls.append(host)
        return ["93.184.216.34"]

    with pytest.raises(FetchError):
        Fetcher(resolver=resolver).check_url(url)


def test_hostname_resolving_to_private_address_refused() -> None:
    fetcher = Fetcher(resolver=lambda host, port: ["10.1.2.3"])
    with pytest.raises(FetchError) as info:
        fetcher.check_url("https://internal.example.ca/status")
    assert info.value.code == "FETCH_ADDRESS_REFUSED"


def test_ipv4_mapped_ipv6_loopback_refused() -> None:
    with pytest.raises(FetchError):
        Fetcher().check_url("https://[::ffff:127.0.0.1]/x")


def test_post_sends_json_or_a_form_under_the_same_rules(server: str) -> None:
    fetcher = Fetcher(allow_loopback=True)
    sent = fetcher.post(server + "/echo", json_body={"a": 1})
    assert sent.status == 200 and sent.content == b'{"a": 1}|application/json'
    form = fetcher.post(server + "/echo", form={"grant_type": "x"})
    assert form.content == b"grant_type=x|application/x-www-form-urlencoded"
    with pytest.raises(FetchError) as info:  # refused before connecting, as a GET is
        Fetcher(allow_loopback=False).post(server + "/echo", json_body={})
    assert info.value.code == "FETCH_SCHEME_REFUSED"
    with pytest.raises(FetchError) as info:
        Fetcher().post("https://10.0.0.1/token", form={"code": "x"})
    assert info.value.code == "FETCH_ADDRESS_REFUSED"


def test_post_is_capped_and_never_redirected(server: str) -> None:
    """A POST carries a proof or a secret: a redirect is answered as it is (the caller refuses it), never
    replayed to another address; an answer past the cap is refused while it streams."""
    fetcher = Fetcher(allow_loopback=True, max_bytes=10_000)
    redirected = fetcher.post(server + "/redirect-same", json_body={"proof": "secret"})
    assert redirected.status == 307 and redirected.content == b""
    with pytest.raises(FetchError) as info:
        fetcher.post(server + "/big", json_body={})
    assert info.value.code == "FETCH_TOO_LARGE"
