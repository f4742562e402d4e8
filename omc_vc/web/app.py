"""The verifier service as a Starlette app: ``create_app(config) -> Starlette``.

Routes (see ``/openapi.json``):

* the employer's page: ``GET /`` and ``/v`` (link mode reads ``location.hash`` in the browser and POSTs
  it to ``/verify/fragment``: the fragment never appears in a URL the server sees), ``GET /s/{id}``
  (a short-mode share), and its JSON endpoints ``/verify/fragment``, ``/verify/text``,
  ``/verify/upload`` (QR image or credential file), ``/verify/share/{id}``; each in English or French
  (``?lang=``, else ``Accept-Language``: page.py);
* the VC-API: ``/credentials/verify``, ``/presentations/verify`` and, behind a bearer token,
  ``/credentials/issue``, ``/credentials/status`` and ``GET /credentials/{id}`` (for one institution or
  several: each token names one, and acts for it alone: tenants.py);
* hosted documents: ``/status/{name}``, ``/registry.json`` and its other forms (the OpenID Federation
  trust anchor ``/.well-known/openid-federation``, ``/fetch?sub=``, ``/subordinate_listing``, and
  ``/dcc-legacy-registry.json``), DID documents; short-mode ``/shares``
  (created only by the credential's holder, with a presentation over a ``/shares/challenge``).

Every POST and DELETE sent by another site's page is refused (``SameOriginMiddleware``, limits.py).

Nothing an employer submits is stored or logged: bodies live in memory for the request only, an
uploaded QR image sits in a private temporary folder for the decoder's call and is deleted, the
uvicorn access log is off (``omc serve``), and errors are logged by type name only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from omc_vc import registry_forms
from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.jsonio import loads, loads_object
from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.checks.status import StatusListCheck
from omc_vc.did import DidResolver, did_web_url
from omc_vc.errors import ConfigError, InputError, KeyError_, OmcVcError, problem_type
from omc_vc.i18n import Message, Translator
from omc_vc.issue.config import InstitutionConfig
from omc_vc.issue.issuer import Issuer
from omc_vc.issue.status_ops import hosted_status_lists
from omc_vc.keys import KeyPair, load_key
from omc_vc.model import Check, VerificationResult
from omc_vc.omc.policy import load_policy
from omc_vc.proofs import jose
from omc_vc.qr import decode_payload, read_qr_image
from omc_vc.verdict import make_verifier, registry_details
from omc_vc.verify import CredentialCheck, Verifier

from . import lane, vcapi
from .config import WebConfig
from .exchanges import exchange_routes
from .limits import LimitsMiddleware, RateLimiter, SameOriginMiddleware
from .oid4vci import oid4vci_routes
from .openapi import openapi_document
from .page import reader_words, render_page
from .shares import ShareError, holder_share, presentation_challenge, valid_share_id
from .shares import open_stores as open_share_stores
from .summary import CHECKED_REGISTRY, ENGLISH, PageContext, page_result, share_unavailable, with_context
from .tenants import Tenant, close_tenants, open_tenants, tenant_for

log = logging.getLogger("omc_vc.web")
HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
VERIFIER_TTL_SECONDS = 300.0
#: How long a listing of the hosted status files is trusted while their folders look unchanged.
STATUS_RESCAN_SECONDS = 1.0
MAX_HOSTED_BYTES = 16 * 1024 * 1024
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_NAME = re.compile(rf"^{_SEGMENT}(/{_SEGMENT})?$")  # NAME or FOLDER/NAME (one institution per folder)
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")
NO_STORE = {"Cache-Control": "no-store"}
T = TypeVar("T")


# --- keys ----------------------------------------------------------------------------------------------

def load_institution_keys(institution: InstitutionConfig, *, demo: bool) -> list[KeyPair]:
    """Open the institution's key files. Plaintext and ``demo-*`` keys are refused outside demo mode."""
    pairs = []
    for number, path in enumerate(institution.key_files()):
        is_demo_name = path.name.startswith("demo-")
        if is_demo_name and not demo:
            raise ConfigError(Message("{path} is a DEMO key: refused outside demo mode (omc serve --demo)",
                                      path=str(path)))
        try:
            pair = load_key(path, None)
            plaintext = True
        except KeyError_ as exc:
            if exc.code != "KEY_PASSPHRASE_REQUIRED":
                raise
            plaintext = False
            if not institution.passphrase_env or not os.environ.get(institution.passphrase_env):
                raise ConfigError(Message("{path} is encrypted: set institution.passphrase_env to a variable holding "
                                          "its passphrase", path=str(path))) from exc
            pair = load_key(path, os.environ[institution.passphrase_env])
        if plaintext and not demo:
            raise ConfigError(Message("{path} is an UNENCRYPTED key file: refused outside demo mode", path=str(path)))
        if number == 0 and path == institution.key_file:
            # the institution's own key, addressed as its DID's verification method (config did / verification_method)
            pair = institution.load_key()
        pairs.append(pair)
    return pairs


#: What the page can read, said when a paste or an upload is none of it.
_PASTE_UNREADABLE = Message("the pasted text is not something this page can check: expected a credential (JSON), "
                            "a VC-JWT or a verifier link (the web address in a learner's QR code)")
_PASTE_UNREADABLE_LINK = Message("this link does not carry a credential this page can check: expected a credential "
                                 "(JSON), a VC-JWT or a verifier link (the web address in a learner's QR code)")
_UPLOAD_UNREADABLE = Message("this kind of file cannot be checked here: upload a QR code image (PNG, JPEG) or a "
                             "credential file (.json, .jwt)")


def _failed(name: str, exc: OmcVcError) -> VerificationResult:
    result = VerificationResult()
    result.add(Check.from_error(name, exc))
    return result


class BusyError(OmcVcError):
    default_code = "SERVICE_BUSY"
    title = "Service busy"


class DeadlineError(OmcVcError):
    default_code = "VERIFICATION_TIMEOUT"
    title = "Verification took too long"


class UnavailableError(OmcVcError):
    """The service's own configuration is broken (HTTP 503; the details go to the log, not the visitor)."""

    default_code = "VERIFIER_UNAVAILABLE"
    title = "Verifier unavailable"


# --- the service ---------------------------------------------------------------------------------------

#: (the folders' times, when listed, the (relative name, path) of each list file, the folders watched)
_StatusListing = tuple[tuple[Any, ...], float, list[tuple[str, Path]], list[Path]]


def _folder_times(folders: list[Path]) -> tuple[Any, ...]:
    times: list[Any] = []
    for folder in folders:
        try:
            info = os.stat(folder)
        except OSError:
            times.append(None)
            continue
        times.append((info.st_ino, info.st_mtime_ns))
    return tuple(times)


class Service:
    """State shared by the routes: configuration, stores, keys, verifiers and the worker pool."""

    def __init__(self, config: WebConfig, *, fetcher: Fetcher | None = None, keys: list[KeyPair] | None = None,
                 api_token: str | None = None) -> None:
        self.config = config
        self.base_url = config.base_url()
        if fetcher is not None:
            self.fetcher: Fetcher | None = fetcher
        else:
            self.fetcher = None if config.offline else Fetcher(allow_loopback=config.allow_http_loopback)
        if self.fetcher is not None and not isinstance(self.fetcher, lane.LaneFetcher):
            self.fetcher = lane.LaneFetcher(self.fetcher)  # the fast lane never waits on the network
        #: the institutions this service issues for (tenants.py): each an Issuer (omc_vc.issue) over its own
        #: store, behind POST /credentials/issue with its own token, and its hosted /status/ lists
        self.tenants = open_tenants(config, base_url=self.base_url, keys=keys, api_token=api_token)
        own = self.tenants.get("")
        #: the Issuer of the one institution of ``institution:`` (None with ``institutions:``, or none)
        self.issuer: Issuer | None = own.issuer if own is not None else None
        shares = config.shares
        #: in memory, a folder, or PostgreSQL (shares.store): every process on one database sees them all
        self.shares, self.challenges = open_share_stores(shares)
        self.share_rate = RateLimiter(per_minute=shares.rate_per_minute, burst=shares.rate_burst)
        limits = config.limits
        self.executor = ThreadPoolExecutor(max_workers=limits.verify_threads, thread_name_prefix="omc-verify")
        self._pending = 0
        #: fast-lane outcomes since start: answered in the lane, or sent on to the pool and why
        self.lane_counts = {"answered": 0, "network": 0, "work": 0}
        self._pending_lock = threading.Lock()
        self._verifier_lock = threading.Lock()
        self._verifier_cache: dict[str, tuple[Any, Any]] = {}
        self._status_listing: _StatusListing | None = None
        self.did_paths = self._did_paths()

    # hosted documents --------------------------------------------------------------------------------
    def _did_paths(self) -> dict[str, Path]:
        paths = dict(self.config.hosted.did_documents)
        inst = self.config.institution
        if inst is not None and inst.did_document is not None:
            doc = _read_json_file(inst.did_document)
            if doc is None or not isinstance(doc.get("id"), str) or not doc["id"].startswith("did:web:"):
                raise ConfigError(Message("{path} is not a did:web DID document", path=str(inst.did_document)))
            paths.setdefault(urlsplit(did_web_url(doc["id"])).path, inst.did_document)
        return paths

    def pinned_dids(self) -> dict[str, dict[str, Any]]:
        """The DID documents this service publishes: verified against directly, never fetched from itself."""
        pinned = {}
        for path in self.did_paths.values():
            doc = _read_json_file(path)
            if doc is not None and isinstance(doc.get("id"), str):
                pinned[doc["id"]] = doc
        return pinned

    def hosted_status_file(self, name: str) -> Path | None:
        folder = self.config.hosted.status_dir
        if folder is None or not _NAME.match(name):
            return None
        for candidate in (folder / name, folder / f"{name}.json"):
            if candidate.is_file():
                return candidate
        return None

    def _hosted_status_files(self) -> list[tuple[str, Path]]:
        folder = self.config.hosted.status_dir
        if folder is None or not folder.is_dir():
            return []
        return [(path.relative_to(folder).as_posix(), path)
                for path in sorted([*folder.glob("*.json"), *folder.glob("*/*.json")])]

    def status_stamp(self) -> tuple[Any, ...]:
        """Cheap fingerprint of the published status lists (file times and sizes, store version).

        Asked on every verification, so the folder is not listed every time: each call stats the listed
        files (an edit is seen at once) and the folders (a new or renamed file changes its folder's
        time); the listing is redone when a folder changed, and at least every STATUS_RESCAN_SECONDS.
        """
        listing = self._status_listing
        now = time.monotonic()
        if listing is None or now - listing[1] >= STATUS_RESCAN_SECONDS \
                or _folder_times(listing[3]) != listing[0]:
            listing = self._list_status_files(now)
        stamp: list[Any] = []
        for relative, path in listing[2]:
            try:
                info = os.stat(path)
            except OSError:
                continue
            stamp.append((relative, info.st_ino, info.st_mtime_ns, info.st_size))
        for tenant in self.tenants.values():
            stamp.append(tenant.issuer.store.status_version())
        return tuple(stamp)

    def _list_status_files(self, now: float) -> _StatusListing:
        folder = self.config.hosted.status_dir
        folders: list[Path] = []
        if folder is not None and folder.is_dir():
            folders.append(folder)
            try:
                with os.scandir(folder) as entries:
                    folders.extend(Path(e.path) for e in entries if e.is_dir(follow_symlinks=False))
            except OSError:
                pass
        times = _folder_times(folders)  # before listing: a change while listing is seen next time
        listing = (times, now, self._hosted_status_files(), folders)
        self._status_listing = listing
        return listing

    def status_documents(self) -> dict[str, dict[str, Any]]:
        """Status lists this service publishes, by URL (pinned so the service never fetches itself)."""
        docs: dict[str, dict[str, Any]] = {}
        for relative, path in self._hosted_status_files():
            doc = _read_json_file(path)
            if doc is not None:
                # served both as NAME.json and as NAME (see status_list)
                docs[f"{self.base_url}/status/{relative}"] = doc
                docs[f"{self.base_url}/status/{relative.removesuffix('.json')}"] = doc
        for tenant in self.tenants.values():
            docs.update(hosted_status_lists(tenant.issuer))
        return docs

    # verifiers ---------------------------------------------------------------------------------------
    def _cached(self, kind: str, build: Callable[[dict[str, dict[str, Any]]], T]) -> T:
        """A verifier rebuilt when a published status list changes, and at least every 5 minutes
        (so a new registry or DID document is picked up)."""
        key = (self.status_stamp(), int(time.monotonic() // VERIFIER_TTL_SECONDS))
        with self._verifier_lock:
            cached = self._verifier_cache.get(kind)
            if cached is not None and cached[0] == key:
                return cached[1]  # type: ignore[no-any-return]
        built = build(self.status_documents())
        with self._verifier_lock:
            self._verifier_cache[kind] = (key, built)
        return built

    def _status_checks(self, docs: dict[str, dict[str, Any]]) -> list[CredentialCheck]:
        cache = self.config.cache_dir / "status" if self.config.cache_dir is not None else None
        return [StatusListCheck(self.fetcher, cache_dir=cache, documents=docs)]

    def page_verifier(self) -> Verifier:
        """The OMC verifier: core checks, status, the OMC profile and, when configured, the registry."""
        def build(docs: dict[str, dict[str, Any]]) -> Verifier:
            resolver = DidResolver(fetcher=self.fetcher, documents=self.pinned_dids())
            try:
                policy = load_policy(self.config.policy) if self.config.policy is not None else None
                return make_verifier(registry=self.config.registry, anchors=self.config.anchors,
                                     fetcher=self.fetcher, policy=policy, cache_dir=self.config.cache_dir,
                                     resolver=resolver, status_documents=docs, offline=self.config.offline,
                                     demo=self.config.demo)
            except OmcVcError as exc:
                # the service's own files (anchors, policy) are broken: the operator's problem, told in the
                # log by code; the visitor gets no detail (it would name the server's files)
                log.error("the page verifier cannot be built: %s", exc.code)
                raise UnavailableError(Message("the verifier is not available right now; try again later")) from exc

        return self._cached("page", build)

    def api_verifiers(self) -> vcapi.Verifiers:
        """The VC-API verifiers: W3C checks only (proof, data model, validity, status), no OMC policy; with a
        registry configured, also the page's OMC verifier, whose verdict a presentation's answer carries beside
        the W3C fields (vcapi.verify_presentation); in demo mode, every answer says so."""
        def build(docs: dict[str, dict[str, Any]]) -> vcapi.Verifiers:
            resolver = DidResolver(fetcher=self.fetcher, documents=self.pinned_dids())
            return vcapi.Verifiers(
                full=Verifier(resolver=resolver, fetcher=self.fetcher, extra_checks=self._status_checks(docs)),
                proof_only=Verifier(resolver=resolver, fetcher=self.fetcher), demo=self.config.demo,
                omc=self.page_verifier if self.config.registry is not None else None)

        return self._cached("api", build)

    def page_context(self, checked: dict[str, Any] | None = None) -> PageContext:
        """The check's own facts for the page: now, the registry the verdict read (``checked``: the result's own, so
        the page's facts and its verdict come from the same signed registry), else the one the OMC checks consult
        now (None when it cannot be read now, or in plain mode), and demo mode."""
        registry = checked
        if registry is None and self.config.registry is not None:
            client = getattr(self.page_verifier(), "registry_client", None)
            if client is not None:
                try:
                    registry = registry_details(client.load())
                except OmcVcError:
                    registry = None  # the verdict itself says why (fail closed); the page says it could not be read
        return PageContext(checked_at=utcnow(), registry=registry,
                           registry_configured=self.config.registry is not None, demo=self.config.demo)

    def for_page(self, words: Translator, work: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        """A page answer in ``words``' language: ``work(*args)``'s result with the check's own facts (time,
        registry, demo)."""
        answer = work(*args, words=words)
        return with_context(answer, self.page_context(answer.pop(CHECKED_REGISTRY, None)), words)

    # bounded work ------------------------------------------------------------------------------------
    async def run(self, func: Callable[..., T], *args: Any, lane_bytes: int | None = None) -> T:
        """Run ``func`` in the worker pool with a deadline; refuse when too much work is already queued.

        ``lane_bytes``: the size of a request that may try the fast lane first (omc_vc/web/lane.py): run on
        this thread when it needs no network and little work, else on the pool from the start.
        """
        limits = self.config.limits
        if lane_bytes is not None and lane_bytes <= limits.lane_max_bytes:
            answered, result, why = lane.attempt(func, *args)
            self.lane_counts["answered" if answered else why] += 1
            if answered:
                return result  # type: ignore[return-value]
        with self._pending_lock:
            if self._pending >= limits.max_pending:
                raise BusyError(Message("the service is busy; try again in a moment"))
            self._pending += 1

        def done(_: object) -> None:
            with self._pending_lock:
                self._pending -= 1

        future = self.executor.submit(func, *args)
        future.add_done_callback(done)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout=limits.verify_timeout_seconds)
        except TimeoutError as exc:
            raise DeadlineError(Message("verification did not finish within {seconds}s",
                                        seconds=format(limits.verify_timeout_seconds, "g"))) from exc

    # page verification (runs in the worker pool) --------------------------------------------------------
    def verify_for_page(self, payload: dict[str, Any] | str, *, words: Translator = ENGLISH) -> dict[str, Any]:
        result = self.page_verifier().verify(payload)
        return page_result(result, words)

    def verify_link_text(self, text: str, *, unreadable: str | None = None,
                         words: Translator = ENGLISH) -> dict[str, Any]:
        """Link mode and pasted links: decode the fragment (compressed credential) then verify. ``unreadable``
        replaces the decoder's own words when the text came from a paste or an upload (what was expected)."""
        text = text.strip()
        if text.startswith("#"):
            text = text[1:]
        share = self._own_share(text)
        if share is not None:
            return self.verify_share(share, words=words)
        try:
            payload = decode_payload(text)
        except OmcVcError as exc:
            if unreadable is not None:
                return page_result(_failed("parse", InputError(unreadable, code=exc.code)), words)
            return page_result(_failed("parse", exc), words)
        return self.verify_for_page(payload, words=words)

    def verify_pasted(self, text: str, *, unreadable: str | None = None,
                      words: Translator = ENGLISH) -> dict[str, Any]:
        stripped = text.strip()
        if stripped.startswith("{"):
            try:
                return self.verify_for_page(loads_object(stripped, what="the pasted text"), words=words)
            except InputError as exc:
                return page_result(_failed("parse", exc), words)
        if jose.is_jwt(stripped):
            return self.verify_for_page(stripped, words=words)
        if unreadable is None:
            unreadable = _PASTE_UNREADABLE_LINK if stripped.startswith(("http://", "https://")) \
                else _PASTE_UNREADABLE
        return self.verify_link_text(stripped, unreadable=unreadable, words=words)

    def verify_upload(self, data: bytes, *, words: Translator = ENGLISH) -> dict[str, Any]:
        head = data[:512].lstrip()
        if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP") or \
                head.startswith((b"<svg", b"<?xml")):
            try:
                text = read_qr_bytes(data)
            except OmcVcError as exc:
                return page_result(_failed("parse", exc), words)
            return self.verify_link_text(text, words=words)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return page_result(_failed("parse", InputError(_UPLOAD_UNREADABLE)), words)
        # a web page, a PDF or other text: say which kinds of file work, not what the link decoder found
        return self.verify_pasted(text, unreadable=_UPLOAD_UNREADABLE, words=words)

    def verify_share(self, share_id: str, *, words: Translator = ENGLISH) -> dict[str, Any]:
        share = self.shares.get(share_id)
        if share is None:
            # expired or withdrawn: the learner stopped sharing, which is no sign against the credential
            return share_unavailable(words)
        return self.verify_for_page(share.credential, words=words)

    def holder_share(self, presentation: dict[str, Any], challenge: str) -> tuple[dict[str, Any] | str, str]:
        """A share request's credential and holder, from a presentation over this service's challenge and
        base URL (shares.holder_share); the credential's own proof is checked, not its status or registry."""
        return holder_share(presentation, self.api_verifiers().proof_only, challenge=challenge, domain=self.base_url)

    def limit_share_requests(self, request: Request) -> None:
        """Take a token from the client address's bucket; a 429 problem when it is empty."""
        client = request.client.host if request.client is not None else "unknown"
        if not self.share_rate.allow(client):
            raise ShareError(Message("too many share requests from this address; try again in a minute"),
                             code="SHARE_RATE_LIMITED", status=429)

    def _own_share(self, text: str) -> str | None:
        """The share id when ``text`` is a short-mode link to this service (never fetched)."""
        if not text.startswith(("http://", "https://")):
            return None
        try:
            parts = urlsplit(text)
        except ValueError:  # a malformed URL is not a link to this service
            return None
        base = urlsplit(self.base_url)
        match = re.fullmatch(r"/s/([A-Za-z0-9_-]{16,64})", parts.path)
        if match and parts.netloc == base.netloc and not parts.fragment:
            return match.group(1)
        return None

    def check_token(self, request: Request) -> Tenant:
        """The institution the request's bearer token belongs to (tenants.tenant_for: 401 / 403 otherwise)."""
        return tenant_for(self.tenants, request.headers.get("authorization", ""))

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.shares.close()
        self.challenges.close()
        close_tenants(self.tenants)


# --- QR images ------------------------------------------------------------------------------------------

def read_qr_bytes(data: bytes) -> str:
    """Decode a QR image with ``omc_vc.qr.read_qr_image``; the file exists only during the call."""
    with tempfile.TemporaryDirectory(prefix="omc-upload-") as folder:
        path = Path(folder) / ("upload.svg" if data.lstrip()[:1] == b"<" else "upload.img")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        text: str = read_qr_image(path, name="the uploaded file")  # never the server's temporary path
        return text


def _read_hosted(path: Path) -> Any:
    """A hosted JSON file's value, or None when it is missing, too large or not JSON."""
    try:
        if path.stat().st_size > MAX_HOSTED_BYTES:
            return None
        return loads(path.read_bytes(), max_bytes=MAX_HOSTED_BYTES, what=path.name)
    except (OSError, InputError):
        return None


def _read_json_file(path: Path) -> dict[str, Any] | None:
    value = _read_hosted(path)
    return value if isinstance(value, dict) else None


def _read_json_list(path: Path) -> list[Any] | None:
    value = _read_hosted(path)
    return value if isinstance(value, list) else None


# --- HTTP plumbing -------------------------------------------------------------------------------------

def problem_title(code: str) -> str:
    """RFC 9457 §3.1.4: a title names the problem type, the same for every occurrence (the code in words)."""
    return code.replace("_", " ").lower()


def problem_response(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"type": problem_type(code), "code": code, "title": problem_title(code),
                         "detail": detail}, status_code=status, media_type="application/problem+json",
                        headers=NO_STORE)


Handler = Callable[[Request], Awaitable[Response]]


def endpoint(func: Callable[[Service, Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Every route: typed errors become problem details; anything else a bare 500 (logged by type only)."""

    @functools.wraps(func)
    async def wrapper(request: Request) -> Response:
        service: Service = request.app.state.service
        try:
            return await func(service, request)
        except Exception as exc:
            return error_response(exc, request.url.path)

    return wrapper


def error_response(exc: Exception, path: str) -> JSONResponse:
    """The answer for an exception out of a route: typed errors become problem details; anything else
    a bare 500, logged by type only (never a traceback with request content in the log)."""
    if isinstance(exc, vcapi.ApiError):
        return problem_response(exc.status, exc.code, exc.detail)
    if isinstance(exc, BusyError | DeadlineError | UnavailableError):
        return problem_response(503, exc.code, exc.detail)
    if isinstance(exc, ShareError):
        return problem_response(exc.status, exc.code, exc.detail)
    if isinstance(exc, OmcVcError):
        return problem_response(400, exc.code, exc.detail)
    log.error("internal error in %s: %s", path, type(exc).__name__)
    return problem_response(500, "INTERNAL_ERROR", "internal error")


class VerifyFastPath:
    """ASGI middleware: ``POST /credentials/verify`` and ``/presentations/verify`` answered without
    Starlette's exception middleware, router and request objects.

    They carry most of the service's traffic, and those layers cost about as much CPU as the HTTP
    parsing itself (docs/performance.md). The answer is built by the same code as the routed
    endpoints (:func:`_vcapi_answer`, :func:`error_response`, ``JSONResponse``), and the middleware
    sits inside :class:`LimitsMiddleware` (body cap, read deadline, security headers) and Starlette's
    server-error middleware, so nothing about the answer changes. Any other method, path or a
    ``root_path`` deployment goes through the router as before.
    """

    def __init__(self, app: Callable[..., Awaitable[None]], service: Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        work = VERIFY_WORK.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" \
            and not scope.get("root_path") else None
        if work is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:  # LimitsMiddleware has buffered the body: this is one message
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        try:
            response: Response = await _vcapi_answer(self.service, b"".join(chunks), work,
                                                     self.service.api_verifiers(), lane_ok=True)
        except Exception as exc:
            response = error_response(exc, scope["path"])
        await response(scope, receive, send)


async def _json_body(request: Request) -> Any:
    return _parse_json_body(await request.body(), request.app.state.service)


def _parse_json_body(body: bytes, service: Service) -> Any:
    try:
        return loads(body, max_bytes=service.config.limits.max_body_bytes, what="the request body")
    except InputError as exc:
        raise vcapi.ApiError(exc.detail, code=exc.code) from exc


async def _text_body(request: Request) -> str:
    body = await request.body()
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise vcapi.ApiError(Message("the request body is not UTF-8 text"), code="PARSING_ERROR") from exc


def _page(words: Translator, share_id: str | None = None, *, demo: bool = False) -> Response:
    """The page from templates/index.html in ``words``' language (page.render_page: the share id, the DEMO banner
    in demo mode only). It depends on the request's Accept-Language (Vary) and says its language."""
    html = render_page((TEMPLATES / "index.html").read_text(encoding="utf-8"), words, share_id=share_id, demo=demo)
    return Response(html, media_type="text/html; charset=utf-8", headers={**NO_STORE, **_language_headers(words)})


def _language_headers(words: Translator) -> dict[str, str]:
    """A page answer's language (RFC 9110 §8.5) and what chose it (§12.5.5)."""
    return {"Content-Language": words.tag, "Vary": "Accept-Language"}


def _page_answer(out: dict[str, Any], words: Translator) -> JSONResponse:
    return JSONResponse(out, headers={**NO_STORE, **_language_headers(words)})


# --- routes --------------------------------------------------------------------------------------------

@endpoint
async def index(service: Service, request: Request) -> Response:
    return _page(reader_words(request), demo=service.config.demo)


@endpoint
async def share_page(service: Service, request: Request) -> Response:
    share_id = request.path_params["share_id"]
    if not valid_share_id(share_id):
        return problem_response(404, "NOT_FOUND", "no such share")
    return _page(reader_words(request), share_id, demo=service.config.demo)


@endpoint
async def verify_fragment(service: Service, request: Request) -> Response:
    text = await _text_body(request)
    words = reader_words(request)
    return _page_answer(await service.run(service.for_page, words, service.verify_link_text, text), words)


@endpoint
async def verify_text(service: Service, request: Request) -> Response:
    text = await _text_body(request)
    if not text.strip():
        raise vcapi.ApiError(Message("nothing to verify: paste a credential, a JWT or a link"), code="PARSING_ERROR")
    words = reader_words(request)
    return _page_answer(await service.run(service.for_page, words, service.verify_pasted, text), words)


@endpoint
async def verify_upload(service: Service, request: Request) -> Response:
    limits = service.config.limits
    try:
        form = await request.form(max_files=1, max_fields=4, max_part_size=limits.max_upload_bytes)
    except Exception as exc:  # multipart parse errors from python-multipart / starlette
        raise vcapi.ApiError(Message("the upload is not a readable multipart form"), code="PARSING_ERROR") from exc
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise vcapi.ApiError(Message("choose a file to upload (form field 'file')"), code="PARSING_ERROR")
        data = await upload.read(limits.max_upload_bytes + 1)
    finally:
        await form.close()
    if not data:
        raise vcapi.ApiError(Message("the uploaded file is empty"), code="PARSING_ERROR")
    words = reader_words(request)
    return _page_answer(await service.run(service.for_page, words, service.verify_upload, data), words)


@endpoint
async def verify_share(service: Service, request: Request) -> Response:
    share_id = request.path_params["share_id"]
    words = reader_words(request)
    return _page_answer(await service.run(service.for_page, words, service.verify_share, share_id), words)


async def _vcapi(service: Service, request: Request, work: Callable[..., tuple[int, Any]], *args: Any,
                 lane_ok: bool = False) -> Response:
    """A VC-API call: read the JSON body, run ``work(body, *args)`` under the deadline, answer uncached.

    ``lane_ok``: a small body may be answered in the fast lane (verification only; omc_vc/web/lane.py).
    """
    return await _vcapi_answer(service, await request.body(), work, *args, lane_ok=lane_ok)


async def _vcapi_answer(service: Service, raw: bytes, work: Callable[..., tuple[int, Any]], *args: Any,
                        lane_ok: bool = False) -> Response:
    body = _parse_json_body(raw, service)
    status, out = await service.run(work, body, *args, lane_bytes=len(raw) if lane_ok else None)
    return JSONResponse(out, status_code=status, headers=NO_STORE)


#: The VC-API verify routes and their work: answered by VerifyFastPath, and by the router behind a root_path.
VERIFY_WORK: dict[str, Callable[..., tuple[int, Any]]] = {
    "/credentials/verify": vcapi.verify_credential,
    "/presentations/verify": vcapi.verify_presentation,
}


@endpoint
async def verify_route(service: Service, request: Request) -> Response:
    # the router matched one of VERIFY_WORK's paths (after any root_path the scope's path starts with)
    work = next(work for path, work in VERIFY_WORK.items() if request.scope["path"].endswith(path))
    return await _vcapi(service, request, work, service.api_verifiers(), lane_ok=True)


@endpoint
async def credentials_issue(service: Service, request: Request) -> Response:
    tenant = service.check_token(request)  # the token's institution, and only its keys and store
    # a retry with the request's Idempotency-Key issues nothing twice (its keys are the institution's own)
    key = vcapi.request_key(request.headers.getlist("idempotency-key"))
    return await _vcapi(service, request, tenant.issuing.issue, key)


@endpoint
async def credentials_status(service: Service, request: Request) -> Response:
    tenant = service.check_token(request)
    return await _vcapi(service, request, tenant.issuing.update_status)


#: The POST routes beside ``GET /credentials/{id}``: a GET of one is the router's 405, not a credential lookup.
_CREDENTIAL_ACTIONS = frozenset({"issue", "status", "verify"})


async def credentials_get(request: Request) -> Response:
    if request.path_params["credential_id"] in _CREDENTIAL_ACTIONS:
        raise HTTPException(status_code=405, headers={"Allow": "POST"})  # as the router answers it
    return await _credentials_get(request)


@endpoint
async def _credentials_get(service: Service, request: Request) -> Response:
    tenant = service.check_token(request)
    status, out = await service.run(tenant.issuing.get, request.path_params["credential_id"])
    return JSONResponse(out, status_code=status, headers=NO_STORE)


@endpoint
async def status_list(service: Service, request: Request) -> Response:
    name = request.path_params["name"]
    for tenant in service.tenants.values() if _NAME.match(name) else ():
        own = tenant.status_path(name)
        if own is None:
            continue
        # the lists of the Issuer's store, signed by the one publishing flow (served as NAME.json and NAME)
        lists = await run_in_threadpool(hosted_status_lists, tenant.issuer)
        base = tenant.issuer.config.status.base_url
        doc = lists.get(base + own) or lists.get(f"{base}{own}.json")
        if doc is not None:
            return JSONResponse(doc, headers={"Cache-Control": "no-cache"})
    return _hosted(service.hosted_status_file(name), "no such status list")


@endpoint
async def registry_document(service: Service, request: Request) -> Response:
    return _hosted(service.config.hosted.registry_file, "this service does not host a registry")


#: The registry's other forms change at each publication (the federation's statements live a day): cached briefly.
FORMS_CACHE = {"Cache-Control": "public, max-age=60"}


def _forms_file(service: Service, relative: str) -> Path | None:
    folder = service.config.hosted.registry_forms
    return None if folder is None else folder / relative


def _hosted_statement(path: Path | None, missing: str) -> Response:
    """An OpenID Federation entity statement as published (OpenID Federation 1.0 §3.1: its media type)."""
    try:
        if path is None or path.stat().st_size > MAX_HOSTED_BYTES:
            raise FileNotFoundError
        token = path.read_bytes().decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return problem_response(404, "NOT_FOUND", missing)
    return PlainTextResponse(token, media_type=registry_forms.ENTITY_STATEMENT_MEDIA_TYPE, headers=FORMS_CACHE)


@endpoint
async def federation_configuration(service: Service, request: Request) -> Response:
    return _hosted_statement(_forms_file(service, registry_forms.ENTITY_CONFIGURATION_FILE),
                             "this service does not host an OpenID Federation trust anchor")


@endpoint
async def federation_fetch(service: Service, request: Request) -> Response:
    """OpenID Federation 1.0 §8.1: the subordinate statement about ``sub``; 404 for an entity not listed."""
    subs = request.query_params.getlist("sub")
    if len(subs) != 1 or not subs[0] or set(request.query_params) != {"sub"}:
        raise vcapi.ApiError(Message("send exactly one sub parameter (the issuer's DID) and no other"))
    # DCC's registry client puts the DID into the query unencoded, so a did:web with %3A (a port) arrives
    # decoded: the DID as sent (the raw query) is tried too, and the statement names its own sub
    raw = request.url.query.partition("sub=")[2].split("&", 1)[0]
    for did in dict.fromkeys((subs[0], raw)):
        path = _forms_file(service, registry_forms.statement_file(did))
        if path is not None and path.is_file():
            return _hosted_statement(path, "no statement about this entity")
    return problem_response(404, "NOT_FOUND", "this entity is not a subordinate of this federation "
                            "(not in the ministry's registry of authorized issuers now)")


@endpoint
async def federation_listing(service: Service, request: Request) -> Response:
    path = _forms_file(service, registry_forms.LISTING_FILE)
    value = _read_json_list(path) if path is not None else None
    if value is None:
        return problem_response(404, "NOT_FOUND", "this service does not host an OpenID Federation trust anchor")
    return JSONResponse(value, headers=FORMS_CACHE)


@endpoint
async def legacy_registry_document(service: Service, request: Request) -> Response:
    path = _forms_file(service, registry_forms.LEGACY_FILE)
    doc = _read_json_file(path) if path is not None else None
    if doc is None:
        return problem_response(404, "NOT_FOUND", "this service does not host a DCC legacy registry")
    return JSONResponse(doc, headers=FORMS_CACHE)


@endpoint
async def did_document(service: Service, request: Request) -> Response:
    return _hosted(service.did_paths.get(request.url.path), "no DID document here", "application/did+json")


def _hosted(path: Path | None, missing: str, media_type: str | None = None) -> Response:
    """A hosted JSON document, read afresh (never cached by clients), or 404 with ``missing``."""
    doc = _read_json_file(path) if path is not None else None
    if doc is None:
        return problem_response(404, "NOT_FOUND", missing)
    return JSONResponse(doc, media_type=media_type, headers={"Cache-Control": "no-cache"})


@endpoint
async def openapi(service: Service, request: Request) -> Response:
    return JSONResponse(openapi_document(service.base_url))


@endpoint
async def health(service: Service, request: Request) -> Response:
    return PlainTextResponse("ok")


@endpoint
async def shares_challenge(service: Service, request: Request) -> Response:
    """A single-use challenge for the holder presentation that creates a share (DI 1.0 §2.1)."""
    service.limit_share_requests(request)
    challenge, expires = service.challenges.issue()
    return JSONResponse({"challenge": challenge, "domain": service.base_url, "expires": format_datetime(expires)},
                        headers=NO_STORE)


@endpoint
async def shares_create(service: Service, request: Request) -> Response:
    """``{presentation, ttlSeconds}``: the holder's presentation of one credential over a challenge of ours."""
    service.limit_share_requests(request)
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise vcapi.ApiError(Message("the request body must be a JSON object"))
    if "presentation" not in body:
        raise ShareError(Message("only the credential's holder can share it: POST /shares/challenge, then send "
                                 "{fields} with a presentation of the credential signed by the holder key over that "
                                 "challenge and domain (a bare {bare} is no longer accepted)",
                                 fields="{presentation, ttlSeconds}", bare="{credential}"),
                         code="HOLDER_PROOF_REQUIRED")
    ttl = service.shares.check_ttl(body.get("ttlSeconds"))
    presentation = body["presentation"]
    challenge = presentation_challenge(presentation)
    # single use: consumed before verifying, so a replay (even a concurrent one) finds it gone
    if not service.challenges.consume(challenge):
        raise ShareError(Message("the presentation's challenge is unknown, already used or expired: ask POST "
                                 "/shares/challenge for a new one"), code="SHARE_CHALLENGE_INVALID", status=403)
    credential, holder = await service.run(service.holder_share, presentation, challenge)
    share, token = service.shares.create(credential, ttl, holder=holder)
    return JSONResponse({"id": share.id, "url": f"{service.base_url}/s/{share.id}", "withdrawToken": token,
                         "expires": format_datetime(share.expires)}, status_code=201, headers=NO_STORE)


@endpoint
async def shares_get(service: Service, request: Request) -> Response:
    share = service.shares.get(request.path_params["share_id"])
    if share is None:
        return problem_response(404, "NOT_FOUND", "this share has expired, was withdrawn, or never existed")
    if isinstance(share.credential, str):
        return PlainTextResponse(share.credential, media_type="application/jwt", headers=NO_STORE)
    return JSONResponse(share.credential, headers=NO_STORE)


@endpoint
async def shares_delete(service: Service, request: Request) -> Response:
    share_id = request.path_params["share_id"]
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return problem_response(401, "UNAUTHORIZED", "send the withdraw token as Authorization: Bearer <token>")
    if service.shares.get(share_id) is None:
        return problem_response(404, "NOT_FOUND", "this share has expired, was withdrawn, or never existed")
    if not service.shares.withdraw(share_id, token.strip()):
        return problem_response(403, "FORBIDDEN", "wrong withdraw token")
    return Response(status_code=204, headers=NO_STORE)


def create_app(config: WebConfig, *, fetcher: Fetcher | None = None, keys: list[KeyPair] | None = None,
               api_token: str | None = None) -> Starlette:
    """Build the ASGI app. ``fetcher``/``keys``/``api_token`` override what ``config`` would load."""
    service = Service(config, fetcher=fetcher, keys=keys, api_token=api_token)
    routes = [
        Route("/", index, methods=["GET"]),
        Route("/v", index, methods=["GET"]),
        Route("/s/{share_id}", share_page, methods=["GET"]),
        Route("/verify/fragment", verify_fragment, methods=["POST"]),
        Route("/verify/text", verify_text, methods=["POST"]),
        Route("/verify/upload", verify_upload, methods=["POST"]),
        Route("/verify/share/{share_id}", verify_share, methods=["POST"]),
        *[Route(path, verify_route, methods=["POST"]) for path in VERIFY_WORK],
        Route("/credentials/issue", credentials_issue, methods=["POST"]),
        Route("/credentials/status", credentials_status, methods=["POST"]),
        Route("/credentials/{credential_id:path}", credentials_get, methods=["GET"]),
        Route("/status/{name:path}", status_list, methods=["GET"]),
        Route("/registry.json", registry_document, methods=["GET"]),
        Route("/.well-known/openid-federation", federation_configuration, methods=["GET"]),
        Route("/fetch", federation_fetch, methods=["GET"]),
        Route("/subordinate_listing", federation_listing, methods=["GET"]),
        Route("/dcc-legacy-registry.json", legacy_registry_document, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
        Route("/shares/challenge", shares_challenge, methods=["POST"]),
        Route("/shares", shares_create, methods=["POST"]),
        Route("/shares/{share_id}", shares_get, methods=["GET"]),
        Route("/shares/{share_id}", shares_delete, methods=["DELETE"]),
        *[Route(path, did_document, methods=["GET"]) for path in service.did_paths],
        *exchange_routes(service),  # credential offers for wallets (omc_vc/web/exchanges.py)
        *oid4vci_routes(service),  # the same offers through OpenID4VCI (omc_vc/web/oid4vci.py)
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        service.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.service = service
    limits = config.limits
    app.add_middleware(VerifyFastPath, service=service)  # added first: it runs inside the limits
    app.add_middleware(LimitsMiddleware, max_body_bytes=limits.max_body_bytes,
                       max_upload_bytes=limits.max_upload_bytes)
    # added last: the outermost layer, so a cross-site request is refused before its body is read
    app.add_middleware(SameOriginMiddleware, origin=service.base_url, loopback_hosts=config.public_url is None)
    return app


CONFIG_ENV = "OMC_SERVE_CONFIG_JSON"


def app_from_env() -> Starlette:
    """uvicorn factory for ``omc serve --workers N``: each worker process rebuilds the app from the
    configuration ``omc serve`` put in the environment (paths only; never keys or tokens)."""
    from .config import parse_config

    raw = os.environ.get(CONFIG_ENV)
    if not raw:
        raise ConfigError(Message("{variable} is not set (start workers with omc serve)", variable=CONFIG_ENV))
    return create_app(parse_config(json.loads(raw), Path("/")))
