"""An institution that makes credential offers, its ``omc serve`` app, and a holder that signs DIDAuth
presentations: shared by the exchange tests."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from omc_vc._internal.timeutil import utcnow
from omc_vc.issue.config import InstitutionConfig, load_config
from omc_vc.issue.exchanges import OfferLinks, offer_links
from omc_vc.issue.offers import NewOffer, OfferDraft
from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.keys import KeyPair
from omc_vc.model import VC_V2_CONTEXT
from omc_vc.proofs import data_integrity
from omc_vc.web.app import create_app
from omc_vc.web.config import WebConfig
from tests.fixtures.omc.sample import make_institution

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PUBLIC = "https://college.example.ca"


@dataclass
class OfferWorld:
    config: InstitutionConfig
    key: KeyPair

    def store(self) -> SqliteStore:
        return SqliteStore(self.config.state_path)

    def offer(self, *, achievement: str = "weld-101", name: str = "Ana Silva", email: str | None = "ana@example.ca",
              now: datetime | None = None, expires_in: timedelta = timedelta(days=14),
              completed: date | None = None) -> tuple[NewOffer, OfferLinks]:
        with self.store() as store:
            new = store.create_offer(OfferDraft(achievement, name, email, expires_in=expires_in, completed=completed),
                                     now=now or utcnow())
        public = self.config.offers.public_url if self.config.offers is not None else PUBLIC
        return new, offer_links(public, new.offer, new.secret)

    @contextmanager
    def client(self) -> Iterator[TestClient]:
        web = WebConfig(public_url=PUBLIC, offline=True, institution=self.config)
        with TestClient(create_app(web, keys=[self.key]), base_url=PUBLIC) as test_client:
            yield test_client


def make_offer_world(folder: Path, *, public_url: str = PUBLIC) -> OfferWorld:
    make_institution(folder / "college")
    path = folder / "college" / "institution.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"offers:\n  public_url: {public_url}\n", encoding="utf-8")
    config = load_config(path)
    return OfferWorld(config, config.load_key())


def didauth(holder: KeyPair, *, challenge: str | None, domain: str | None = None, signer: KeyPair | None = None,
            **extra: Any) -> dict[str, Any]:
    """A DIDAuthentication presentation: no credentials, holder ``holder``, signed by ``signer`` (the holder)."""
    presentation: dict[str, Any] = {"@context": [VC_V2_CONTEXT], "type": ["VerifiablePresentation"],
                                    "holder": holder.controller, **extra}
    return data_integrity.add_proof(presentation, signer or holder, purpose="authentication", challenge=challenge,
                                    domain=domain)


def lcw_target(link: str) -> tuple[str, str]:
    """(vc_request_url as a path, challenge) of an LCW deep link."""
    query = parse_qs(urlsplit(link).query)
    return urlsplit(query["vc_request_url"][0]).path, query["challenge"][0]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: Any, port: int) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1:``port`` in a thread; yields its base URL."""
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def live_offer_world(folder: Path) -> Iterator[tuple[OfferWorld, str]]:
    """An institution whose offers, status lists and links all live on a real service on loopback."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    make_institution(folder / "college", base_url=f"{base}/status/")
    path = folder / "college" / "institution.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"offers:\n  public_url: {base}\n", encoding="utf-8")
    config = load_config(path)
    world = OfferWorld(config, config.load_key())
    web = WebConfig(public_url=base, offline=False, allow_http_loopback=True, institution=config)
    with serving(create_app(web, keys=[world.key]), port) as url:
        yield world, url
