"""Attacks on the credential offer endpoints, each refused with its own answer (and nothing issued).

Each test is named after the attack it stops: a replayed presentation, a wrong domain, an expired, revoked or
already redeemed offer, a presentation signed by someone other than its holder, one offer's challenge used on
another, oversized requests, and guessing an offer's exchange.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from omc_vc._internal.timeutil import utcnow
from omc_vc.issue.offers import OPEN, REDEEMED
from omc_vc.keys import KeyPair
from omc_vc.proofs import data_integrity

from .offer_world import OfferWorld, didauth, lcw_target, make_offer_world, path_of


@pytest.fixture
def world(tmp_path: Path) -> OfferWorld:
    return make_offer_world(tmp_path)


def _refused(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code, answer.json()


def _vpr(client: Any, exchange: str) -> dict[str, Any]:
    answer = client.post(path_of(exchange), json={})
    assert answer.status_code == 200, answer.text
    vpr: dict[str, Any] = answer.json()["verifiablePresentationRequest"]
    return vpr


def _nothing_issued(world: OfferWorld) -> None:
    with world.store() as store:
        assert store.all() == []


# --- replay ---------------------------------------------------------------------------------------------
def test_lcw_replayed_presentation_is_refused(world: OfferWorld) -> None:
    _, links = world.offer()
    path, challenge = lcw_target(links.deep_link)
    presentation = didauth(KeyPair.generate(), challenge=challenge)
    with world.client() as client:
        assert client.post(path, json=presentation).status_code == 200
        _refused(client.post(path, json=presentation), 409, "OFFER_REDEEMED")
    with world.store() as store:
        assert len(store.all()) == 1


def test_vcapi_replayed_challenge_is_refused_even_while_the_offer_is_open(world: OfferWorld) -> None:
    """The challenge is single-use on its own: a presentation replayed after an attempt that did not redeem the
    offer (here the holder already holds the OMC, so nothing is issued and the offer stays open) is refused."""
    holder = KeyPair.generate()
    _, first_links = world.offer()
    second, second_links = world.offer()
    with world.client() as client:
        path, challenge = lcw_target(first_links.deep_link)
        assert client.post(path, json=didauth(holder, challenge=challenge)).status_code == 200
        exchange = second_links.interaction_url.removesuffix("?iuv=1")
        vpr = _vpr(client, exchange)
        presentation = {"verifiablePresentation": didauth(holder, challenge=vpr["challenge"], domain=vpr["domain"])}
        # one OMC per learner and achievement: the holder already has it, nothing more is issued
        _refused(client.post(path_of(exchange), json=presentation), 409, "ISSUANCE_ERROR")
        with world.store() as store:
            assert store.offer(second.offer.id).state == OPEN  # type: ignore[union-attr]
        _refused(client.post(path_of(exchange), json=presentation), 403, "INVALID_CHALLENGE_ERROR")
    with world.store() as store:
        assert len(store.all()) == 1


def test_vcapi_presentation_replayed_after_redeem_is_refused(world: OfferWorld) -> None:
    _, links = world.offer()
    exchange = links.interaction_url.removesuffix("?iuv=1")
    with world.client() as client:
        vpr = _vpr(client, exchange)
        body = {"verifiablePresentation": didauth(KeyPair.generate(), challenge=vpr["challenge"],
                                                  domain=vpr["domain"])}
        assert client.post(path_of(exchange), json=body).status_code == 200
        _refused(client.post(path_of(exchange), json=body), 409, "OFFER_REDEEMED")


# --- domain, challenge ------------------------------------------------------------------------------------
def test_vcapi_wrong_domain_is_refused(world: OfferWorld) -> None:
    """A presentation made for another site (its proof's domain) cannot redeem an offer here."""
    _, links = world.offer()
    exchange = links.interaction_url.removesuffix("?iuv=1")
    with world.client() as client:
        vpr = _vpr(client, exchange)
        body = {"verifiablePresentation": didauth(KeyPair.generate(), challenge=vpr["challenge"],
                                                  domain="https://evil.example")}
        _refused(client.post(path_of(exchange), json=body), 403, "INVALID_DOMAIN_ERROR")
    _nothing_issued(world)


def test_vcapi_presentation_without_domain_is_refused(world: OfferWorld) -> None:
    _, links = world.offer()
    exchange = links.interaction_url.removesuffix("?iuv=1")
    with world.client() as client:
        vpr = _vpr(client, exchange)
        body = {"verifiablePresentation": didauth(KeyPair.generate(), challenge=vpr["challenge"])}
        _refused(client.post(path_of(exchange), json=body), 403, "INVALID_DOMAIN_ERROR")
    _nothing_issued(world)


def test_lcw_challenge_of_one_offer_used_on_another_is_refused(world: OfferWorld) -> None:
    """Ana's link (its challenge) cannot redeem Bo's offer."""
    _, ana = world.offer()
    bo, bo_links = world.offer(name="Bo Chen", email="bo@example.ca")
    _, ana_challenge = lcw_target(ana.deep_link)
    bo_path, _ = lcw_target(bo_links.deep_link)
    with world.client() as client:
        _refused(client.post(bo_path, json=didauth(KeyPair.generate(), challenge=ana_challenge)), 403,
                 "INVALID_CHALLENGE_ERROR")
    with world.store() as store:
        assert store.offer(bo.offer.id).state == OPEN  # type: ignore[union-attr]
    _nothing_issued(world)


def test_vcapi_challenge_of_one_offer_used_on_another_is_refused(world: OfferWorld) -> None:
    _, ana = world.offer()
    _, bo = world.offer(name="Bo Chen", email="bo@example.ca")
    ana_exchange = ana.interaction_url.removesuffix("?iuv=1")
    bo_exchange = bo.interaction_url.removesuffix("?iuv=1")
    with world.client() as client:
        vpr = _vpr(client, ana_exchange)
        body = {"verifiablePresentation": didauth(KeyPair.generate(), challenge=vpr["challenge"],
                                                  domain=vpr["domain"])}
        _refused(client.post(path_of(bo_exchange), json=body), 403, "INVALID_CHALLENGE_ERROR")
    _nothing_issued(world)


def test_lcw_presentation_without_challenge_is_refused(world: OfferWorld) -> None:
    _, links = world.offer()
    path, _ = lcw_target(links.deep_link)
    with world.client() as client:
        _refused(client.post(path, json=didauth(KeyPair.generate(), challenge=None)), 403, "INVALID_CHALLENGE_ERROR")
    _nothing_issued(world)


def test_lcw_presentation_with_the_wrong_purpose_is_refused(world: OfferWorld) -> None:
    """A credential-style assertionMethod proof is not proof of control for authentication (DI 1.0 §4.4)."""
    _, links = world.offer()
    path, challenge = lcw_target(links.deep_link)
    holder = KeyPair.generate()
    presentation = data_integrity.add_proof({"@context": ["https://www.w3.org/ns/credentials/v2"],
                                             "type": ["VerifiablePresentation"], "holder": holder.controller},
                                            holder, purpose="assertionMethod", challenge=challenge)
    with world.client() as client:
        answer = client.post(path, json=presentation)
    assert answer.status_code == 403, answer.text
    _nothing_issued(world)


# --- the offer's state ------------------------------------------------------------------------------------
def test_expired_offer_is_refused(world: OfferWorld) -> None:
    _, links = world.offer(now=utcnow() - timedelta(days=15), expires_in=timedelta(days=14))
    path, challenge = lcw_target(links.deep_link)
    with world.client() as client:
        _refused(client.post(path, json=didauth(KeyPair.generate(), challenge=challenge)), 410, "OFFER_EXPIRED")
        _refused(client.get(path_of(links.interaction_url)), 410, "OFFER_EXPIRED")
        _refused(client.post(path_of(links.interaction_url.removesuffix("?iuv=1")), json={}), 410, "OFFER_EXPIRED")
    _nothing_issued(world)


def test_revoked_offer_is_refused(world: OfferWorld) -> None:
    new, links = world.offer()
    with world.store() as store:
        store.revoke_offer(new.offer.id, now=utcnow())
    path, challenge = lcw_target(links.deep_link)
    with world.client() as client:
        _refused(client.post(path, json=didauth(KeyPair.generate(), challenge=challenge)), 410, "OFFER_REVOKED")
        _refused(client.post(path_of(links.interaction_url.removesuffix("?iuv=1")), json={}), 410, "OFFER_REVOKED")
    _nothing_issued(world)


def test_offer_redeemed_twice_by_two_holders_is_refused(world: OfferWorld) -> None:
    """A forwarded link: whoever redeems it first gets the OMC; the second wallet gets nothing."""
    new, links = world.offer()
    path, challenge = lcw_target(links.deep_link)
    first, second = KeyPair.generate(), KeyPair.generate()
    with world.client() as client:
        assert client.post(path, json=didauth(first, challenge=challenge)).status_code == 200
        _refused(client.post(path, json=didauth(second, challenge=challenge)), 409, "OFFER_REDEEMED")
        vpr_answer = client.post(path_of(links.interaction_url.removesuffix("?iuv=1")), json={})
        _refused(vpr_answer, 409, "OFFER_REDEEMED")
    with world.store() as store:
        offer = store.offer(new.offer.id)
        assert offer is not None and offer.state == REDEEMED and offer.holder == first.controller


# --- who signed ---------------------------------------------------------------------------------------
def test_presentation_signed_by_a_key_other_than_the_holders_is_refused(world: OfferWorld) -> None:
    """Mallory signs a presentation naming Ana's DID as holder, to get the OMC issued to Ana's DID (or the
    reverse): the proof's controller must be the holder."""
    _, links = world.offer()
    path, challenge = lcw_target(links.deep_link)
    ana, mallory = KeyPair.generate(), KeyPair.generate()
    with world.client() as client:
        _refused(client.post(path, json=didauth(ana, challenge=challenge, signer=mallory)), 403,
                 "HOLDER_KEY_MISMATCH")
    _nothing_issued(world)


def test_presentation_without_holder_is_refused(world: OfferWorld) -> None:
    _, links = world.offer()
    path, challenge = lcw_target(links.deep_link)
    holder = KeyPair.generate()
    presentation = data_integrity.add_proof({"@context": ["https://www.w3.org/ns/credentials/v2"],
                                             "type": ["VerifiablePresentation"]}, holder, purpose="authentication",
                                            challenge=challenge)
    with world.client() as client:
        _refused(client.post(path, json=presentation), 403, "HOLDER_PROOF_REQUIRED")
    _nothing_issued(world)


def test_tampered_presentation_is_refused(world: OfferWorld) -> None:
    _, links = world.offer()
    path, challenge = lcw_target(links.deep_link)
    presentation = didauth(KeyPair.generate(), challenge=challenge)
    presentation["holder"] = KeyPair.generate().controller
    with world.client() as client:
        answer = client.post(path, json=presentation)
    assert answer.status_code == 403, answer.text
    _nothing_issued(world)


def test_credential_subject_is_the_holder_that_proved_possession(world: OfferWorld) -> None:
    _, links = world.offer()
    path, challenge = lcw_target(links.deep_link)
    holder = KeyPair.generate()
    with world.client() as client:
        credential = client.post(path, json=didauth(holder, challenge=challenge)).json()
    assert credential["credentialSubject"]["id"] == holder.controller


# --- size, guessing ---------------------------------------------------------------------------------------
def test_oversized_request_is_refused(world: OfferWorld) -> None:
    _, links = world.offer()
    path, challenge = lcw_target(links.deep_link)
    padded = didauth(KeyPair.generate(), challenge=challenge)
    padded["padding"] = "x" * (70 * 1024)
    with world.client() as client:
        _refused(client.post(path, json=padded), 413, "SIZE_LIMIT_EXCEEDED")
        # past the service's own body cap, the request is refused before it is read
        huge = client.post(path, content=b"{" + b" " * (300 * 1024) + b"}",
                           headers={"Content-Type": "application/json"})
        assert huge.status_code == 413
    _nothing_issued(world)


def test_guessed_exchange_secret_finds_nothing(world: OfferWorld) -> None:
    _, links = world.offer()
    exchange = links.interaction_url.removesuffix("?iuv=1")
    wrong = exchange.rsplit("/", 1)[0] + "/" + "A" * 43
    with world.client() as client:
        _refused(client.get(path_of(wrong + "?iuv=1")), 404, "OFFER_NOT_FOUND")
        _refused(client.post(path_of(wrong), json={}), 404, "OFFER_NOT_FOUND")
        _refused(client.post("/exchanges/no-such-offer/lcw", json={}), 404, "OFFER_NOT_FOUND")


def test_didauth_presentation_carrying_credentials_is_refused(world: OfferWorld) -> None:
    _, links = world.offer()
    path, challenge = lcw_target(links.deep_link)
    presentation = didauth(KeyPair.generate(), challenge=challenge, verifiableCredential=[{
        "@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
        "issuer": "did:example:someone", "credentialSubject": {"name": "x"}}])
    with world.client() as client:
        _refused(client.post(path, json=presentation), 400, "MALFORMED_VALUE_ERROR")
    _nothing_issued(world)
