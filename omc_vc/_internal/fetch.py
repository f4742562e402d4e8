"""The one network fetcher (DESIGN decision 1).

Every network access of a verification (did:web documents, status lists, the registry) goes through a
:class:`Fetcher` that the caller configures and injects. Defaults are safe: https only, a timeout, a
size cap, redirects only to the same host (and re-checked), and no loopback, link-local or
private-range addresses (SSRF). Plain http is allowed only to loopback and only when
``allow_loopback=True`` (tests, the local demo).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import requests

from omc_vc.errors import FetchError
from omc_vc.i18n import Message

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 2_000_000
MAX_REDIRECTS = 3

Resolver = Callable[[str, int], list[str]]


def _system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(Message("cannot resolve host {host}: {why}", host=repr(host), why=str(exc.strerror)),
                         code="FETCH_DNS_ERROR") from exc
    return [str(info[4][0]) for info in infos]


def _seconds(value: float) -> float:
    """A timeout as a message shows it: a whole number of seconds without its ``.0`` (as ``{:g}`` writes it)."""
    return int(value) if float(value).is_integer() else value


def _split(url: str) -> tuple[SplitResult, str | None, int | None]:
    """urlsplit, with its ValueError (bad IPv6 literal, port out of range) turned into a FetchError."""
    try:
        parts = urlsplit(url)
        return parts, parts.hostname, parts.port
    except ValueError as exc:
        raise FetchError(Message("URL {url} is malformed: {why}", url=repr(url), why=str(exc)),
                         code="FETCH_URL_REFUSED") from exc


@dataclass(frozen=True)
class FetchResponse:
    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag") or self.headers.get("etag")


@dataclass
class Fetcher:
    """Fetch https resources with SSRF protection, a timeout and a size cap."""

    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    allow_loopback: bool = False
    allow_private: bool = False
    resolver: Resolver = _system_resolver
    session: requests.Session = field(default_factory=requests.Session)

    def check_url(self, url: str) -> None:
        """Raise FetchError unless ``url`` is one this fetcher may reach."""
        parts, host, port = _split(url)
        if not host:
            raise FetchError(Message("URL {url} has no host", url=repr(url)), code="FETCH_URL_REFUSED")
        if parts.username or parts.password:
            raise FetchError(Message("URL {url} carries credentials", url=repr(url)), code="FETCH_URL_REFUSED")
        addresses = self._addresses(host, port or (443 if parts.scheme == "https" else 80))
        loopback = all(ipaddress.ip_address(a).is_loopback for a in addresses)
        if parts.scheme == "http":
            if not (self.allow_loopback and loopback):
                raise FetchError(Message("refusing plain-http URL {url}: only https is allowed", url=repr(url)),
                                 code="FETCH_SCHEME_REFUSED")
        elif parts.scheme != "https":
            raise FetchError(Message("refusing URL {url}: scheme {scheme} is not https", url=repr(url),
                                     scheme=repr(parts.scheme)), code="FETCH_SCHEME_REFUSED")
        for address in addresses:
            self._check_address(url, ipaddress.ip_address(address))

    def _addresses(self, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
        found = self.resolver(host, port)
        if not found:
            raise FetchError(Message("host {host} resolves to no address", host=repr(host)), code="FETCH_DNS_ERROR")
        return [a.split("%")[0] for a in found]

    def _check_address(self, url: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.is_loopback:
            if self.allow_loopback:
                return
            raise FetchError(Message("refusing {url}: it points at a loopback address ({ip})", url=repr(url),
                                     ip=str(ip)), code="FETCH_ADDRESS_REFUSED")
        if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
            raise FetchError(
                Message("refusing {url}: it points at a link-local or reserved address ({ip})", url=repr(url),
                        ip=str(ip)), code="FETCH_ADDRESS_REFUSED"
            )
        if ip.is_private and not self.allow_private:
            raise FetchError(
                Message("refusing {url}: it points at a private-range address ({ip})", url=repr(url), ip=str(ip)),
                code="FETCH_ADDRESS_REFUSED"
            )

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        accept: str = "application/json",
    ) -> FetchResponse:
        """GET ``url``; follow at most three redirects, each to the same host and re-checked."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        original_host = _split(url)[1]
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            self.check_url(current)
            request_headers = {"Accept": accept, **(headers or {})}
            try:
                response = self.session.get(
                    current, headers=request_headers, timeout=self.timeout, allow_redirects=False, stream=True
                )
            except requests.Timeout as exc:
                raise FetchError(Message("timed out after {seconds}s fetching {url}", seconds=_seconds(self.timeout),
                                         url=current), code="FETCH_TIMEOUT") from exc
            except requests.RequestException as exc:
                raise FetchError(
                    Message("cannot fetch {url}: {why}", url=current, why=type(exc).__name__),
                    code="FETCH_CONNECTION_ERROR"
                ) from exc
            try:
                if response.is_redirect:
                    target = urljoin(current, response.headers.get("Location", ""))
                    if _split(target)[1] != original_host:
                        raise FetchError(
                            Message("refusing redirect from {url} to another host ({target})", url=current,
                                    target=target),
                            code="FETCH_REDIRECT_REFUSED",
                        )
                    current = target
                    continue
                content = self._read_capped(response, current, limit)
                return FetchResponse(
                    url=current, status=response.status_code, headers=dict(response.headers), content=content
                )
            finally:
                response.close()
        raise FetchError(Message("too many redirects fetching {url}", url=url), code="FETCH_REDIRECT_REFUSED")

    def post(
        self,
        url: str,
        *,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        accept: str = "application/json",
    ) -> FetchResponse:
        """POST a JSON body (or, with ``form``, a form) to ``url`` under :meth:`get`'s rules: the address checked,
        the timeout, the size cap. Never redirected: a redirect's status is returned for the caller to refuse (a
        POST carries a secret or a proof, which must not be replayed to another address)."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        self.check_url(url)
        request_headers = {"Accept": accept, **(headers or {})}
        try:
            response = self.session.post(
                url, json=json_body if form is None else None, data=dict(form) if form is not None else None,
                headers=request_headers, timeout=self.timeout, allow_redirects=False, stream=True,
            )
        except requests.Timeout as exc:
            raise FetchError(Message("timed out after {seconds}s calling {url}", seconds=_seconds(self.timeout),
                                     url=url), code="FETCH_TIMEOUT") from exc
        except requests.RequestException as exc:
            raise FetchError(Message("cannot reach {url}: {why}", url=url, why=type(exc).__name__),
                             code="FETCH_CONNECTION_ERROR") from exc
        try:
            content = self._read_capped(response, url, limit)
            return FetchResponse(url=url, status=response.status_code, headers=dict(response.headers), content=content)
        finally:
            response.close()

    def get_ok(self, url: str, **kwargs: object) -> FetchResponse:
        """GET and require a 200 answer."""
        response = self.get(url, **kwargs)  # type: ignore[arg-type]
        if response.status != 200:
            raise FetchError(Message("{url} answered HTTP {status}", url=url, status=str(response.status)),
                             code="FETCH_HTTP_ERROR", status=response.status)
        return response

    @staticmethod
    def _read_capped(response: requests.Response, url: str, limit: int) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(Message("{url} is {size} bytes, over the {limit}-byte limit", url=url, size=int(declared),
                                     limit=limit), code="FETCH_TOO_LARGE")
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                total += len(chunk)
                if total > limit:
                    raise FetchError(Message("{url} is over the {limit}-byte limit", url=url, limit=limit),
                                     code="FETCH_TOO_LARGE")
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise FetchError(Message("error reading {url}: {why}", url=url, why=type(exc).__name__),
                             code="FETCH_CONNECTION_ERROR") from exc
        return b"".join(chunks)
