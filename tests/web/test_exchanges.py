"""Credential offers redeemed through ``omc serve``: the DCC deep link and the VC-API exchange, as the Learner
Credential Wallet runs them, each ending with an OMC issued to the holder that proved its key."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from omc_vc.issue.exchanges import WalletExchanges
from omc_vc.issue.offers import LCW, REDEEMED, VCAPI
from omc_vc.keys import KeyPair
from omc_vc.model import subject_ids
from omc_vc.verify import Verifier
from omc_vc.web.app import create_app
from omc_vc.web.config import Limits, WebConfig

from .offer_world import PUBLIC, TestClient, didauth, lcw_target, make_offer_world, path_of


def test_deep_link_has_the_parameters_lcw_reads(tmp_path: Path) -> None:
    world = make_offer_world(tmp_path)
    new, links = world.offer()
    parts = urlsplit(links.deep_link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://lcw.app/request.html"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {"issuer": "college.example.ca", "auth_type": "bearer", "challenge": new.secret,
                     "vc_request_url": f"{PUBLIC}/exchanges/{new.offer.id}/lcw"}
    assert links.interaction_url == f"{PUBLIC}/exchanges/{new.offer.id}/vcapi/{new.secret}?iuv=1"


def test_lcw_deep_link_issues_the_omc_to_the_holder(tmp_path: Path) -> None:
    world = make_offer_world(tmp_path)
    new, links = world.offer(completed=date(2026, 5, 29))
    holder = KeyPair.generate()
    path, challenge = lcw_target(links.deep_link)
    with world.client() as client:
        answer = client.post(path, json=didauth(holder, challenge=challenge))
    assert answer.status_code == 200, answer.text
    credential = answer.json()
    assert subject_ids(credential) == [holder.controller]
    assert credential["issuer"]["id"] == world.config.did
    assert credential["credentialSubject"]["achievement"]["id"].endswith("/weld-101")
    assert credential["credentialSubject"]["activityEndDate"] == "2026-05-29T00:00:00Z"
    assert Verifier().verify(credential).verified
    with world.store() as store:
        offer = store.offer(new.offer.id)
        assert offer is not None
        assert (offer.state, offer.holder, offer.protocol) == (REDEEMED, holder.controller, LCW)
        assert offer.credential_id == credential["id"] and store.get(credential["id"]) is not None


def test_vcapi_exchange_issues_the_omc_in_a_presentation(tmp_path: Path) -> None:
    world = make_offer_world(tmp_path)
    new, links = world.offer()
    holder = KeyPair.generate()
    with world.client() as client:
        protocols = client.get(path_of(links.interaction_url), headers={"Accept": "application/json"})
        assert protocols.status_code == 200, protocols.text
        exchange = protocols.json()["protocols"]["vcapi"]
        assert exchange == links.interaction_url.removesuffix("?iuv=1")
        request = client.post(path_of(exchange), json={})
        assert request.status_code == 200, request.text
        vpr = request.json()["verifiablePresentationRequest"]
        assert vpr["query"][0]["type"] == "DIDAuthentication" and vpr["domain"] == PUBLIC
        assert vpr["interact"]["service"][0]["serviceEndpoint"] == exchange
        answer = client.post(path_of(exchange), json={"verifiablePresentation": didauth(
            holder, challenge=vpr["challenge"], domain=vpr["domain"])})
    assert answer.status_code == 200, answer.text
    [credential] = answer.json()["verifiablePresentation"]["verifiableCredential"]
    assert subject_ids(credential) == [holder.controller]
    assert Verifier().verify(credential).verified
    with world.store() as store:
        offer = store.offer(new.offer.id)
        assert offer is not None and (offer.state, offer.protocol) == (REDEEMED, VCAPI)


def test_the_api_description_lists_the_offer_endpoints(tmp_path: Path) -> None:
    world = make_offer_world(tmp_path)
    with world.client() as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/exchanges/{offer}/vcapi/{secret}"]) == {"get", "post"}
    assert "post" in paths["/exchanges/{offer}/lcw"]


def test_no_offer_routes_without_an_offers_section(tmp_path: Path) -> None:
    from omc_vc.issue.config import load_config
    from tests.fixtures.omc.sample import make_institution

    from .offer_world import OfferWorld

    config, key = make_institution(tmp_path / "plain")
    world = OfferWorld(load_config(config.path), key)
    with world.client() as client:
        assert client.post("/exchanges/x/lcw", json={}).status_code in (404, 405)


def test_a_slow_pickup_is_cut_off_and_a_full_service_says_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An offer's pickup signs and writes on the service's pool, under its deadline and its queue bound: a pickup
    that hangs (a stalled store) is answered 503 when the deadline passes, and while it still holds the only
    worker, the next is refused 503 SERVICE_BUSY at once instead of queueing without bound."""
    world = make_offer_world(tmp_path)
    _, links = world.offer()
    monkeypatch.setattr(WalletExchanges, "lcw_request", lambda self, offer_id, body: time.sleep(1.0))
    web = WebConfig(public_url=PUBLIC, offline=True, institution=world.config,
                    limits=Limits(verify_timeout_seconds=0.2, verify_threads=1, max_pending=1))
    path, challenge = lcw_target(links.deep_link)
    holder = KeyPair.generate()
    started = time.monotonic()
    with TestClient(create_app(web, keys=[world.key]), base_url=PUBLIC) as client:
        first = client.post(path, json=didauth(holder, challenge=challenge))
        second = client.post(path, json=didauth(holder, challenge=challenge))
    assert first.status_code == 503 and first.json()["code"] == "VERIFICATION_TIMEOUT"
    assert second.status_code == 503 and second.json()["code"] == "SERVICE_BUSY"
    assert time.monotonic() - started < 5
