"""OpenID4VCI 1.0, pre-authorized code flow (omc_vc.issue.oid4vci), over a real issuance store, without HTTP.

The happy paths deliver an OMC both ways (``ldp_vc``, ``jwt_vc_json``) bound to the holder key the proof
proved; each attack test is named after what it stops and asserts the specification's error code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from omc_vc._internal.timeutil import utcnow
from omc_vc.did import DidResolver, did_jwk
from omc_vc.errors import Oid4vciError
from omc_vc.issue.issuer import Issuer
from omc_vc.issue.offers import OID4VCI, OPEN, REDEEMED, TX_CODE_ATTEMPTS, NewOffer, OfferDraft
from omc_vc.issue.oid4vci import (
    CONFIGURATIONS,
    PRE_AUTHORIZED_GRANT,
    PROOF_TYP,
    CredentialIssuer,
    Oid4vciIssuer,
    authorization_server_metadata,
    credential_offer,
    offer_links,
)
from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.keys import KeyPair
from omc_vc.omc.builder import Learner
from omc_vc.proofs import jose
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import make_institution

BASE = "https://college.example.ca"
LDP = "OntarioMicroCredential_ldp_vc"
JWT = "OntarioMicroCredential_jwt_vc_json"


class Clock:
    """The issuer's clock, moved by the tests (starts at the real time: issued credentials verify now)."""

    def __init__(self) -> None:
        self.moment = utcnow().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.moment


@dataclass
class World:
    flow: Oid4vciIssuer
    store: SqliteStore
    clock: Clock

    def offer(self, achievement: str = "weld-101", *, tx_code: bool = False, name: str = "Ana Silva",
              days: int = 14) -> NewOffer:
        draft = OfferDraft(achievement=achievement, learner_name=name, learner_email="ana@example.ca",
                           tx_code=tx_code, expires_in=timedelta(days=days))
        return self.store.create_offer(draft, now=self.clock())

    def token(self, new: NewOffer, **extra: str) -> str:
        form = [("grant_type", PRE_AUTHORIZED_GRANT), ("pre-authorized_code", new.pre_authorized_code),
                *extra.items()]
        answer = self.flow.token(form)
        assert answer["token_type"] == "Bearer" and answer["expires_in"] > 0
        return str(answer["access_token"])

    def proof(self, holder: KeyPair, *, nonce: str | None = None, aud: Any = BASE, iat: float | None = None,
              **claims: Any) -> str:
        body: dict[str, Any] = {"aud": aud, "iat": int(self.clock().timestamp()) if iat is None else iat}
        body["nonce"] = nonce if nonce is not None else self.flow.nonce()["c_nonce"]
        body.update(claims)
        return jose.sign_key_proof(body, holder, typ=PROOF_TYP)

    def request(self, proof: str, config: str = LDP) -> dict[str, Any]:
        return {"credential_configuration_id": config, "proofs": {"jwt": [proof]}}


def _holder(key_type: str = "ed25519") -> KeyPair:
    key = KeyPair.generate(key_type)  # type: ignore[arg-type]
    did = key.public_key.did_key
    return key.with_id(f"{did}#{did.rsplit(':', 1)[1]}", did)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    config, key = make_institution(tmp_path / "college", suspension=False)
    clock = Clock()
    with SqliteStore(config.state_path) as store:
        issuer = Issuer(config=config, key=key, store=store, clock=clock)
        yield World(Oid4vciIssuer(issuer, store, BASE), store, clock)


def _refused(code: str, call: Any, *args: Any, **kwargs: Any) -> Oid4vciError:
    with pytest.raises(Oid4vciError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.diagnostics()
    return caught.value


# --- metadata and offers ------------------------------------------------------------------------------------

def test_issuer_metadata_names_the_endpoints_and_both_configurations(world: World) -> None:
    metadata = world.flow.metadata()
    assert metadata["credential_issuer"] == BASE
    assert metadata["credential_endpoint"] == f"{BASE}/oid4vci/credential"
    assert metadata["nonce_endpoint"] == f"{BASE}/oid4vci/nonce"
    assert "authorization_servers" not in metadata  # the issuer is its own authorization server
    configurations = metadata["credential_configurations_supported"]
    assert set(configurations) == set(CONFIGURATIONS)
    ldp, jwt = configurations[LDP], configurations[JWT]
    assert ldp["format"] == "ldp_vc" and jwt["format"] == "jwt_vc_json"
    assert ldp["credential_definition"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert "https://www.w3.org/ns/credentials/v2" in ldp["credential_definition"]["@context"]
    assert "@context" not in jwt["credential_definition"]
    assert ldp["credential_signing_alg_values_supported"] == ["eddsa-rdfc-2022"]
    assert jwt["credential_signing_alg_values_supported"] == ["EdDSA"]
    for entry in (ldp, jwt):
        assert entry["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == ["EdDSA", "ES256",
                                                                                               "ES384"]
        assert set(entry["cryptographic_binding_methods_supported"]) == {"did:key", "did:jwk", "jwk"}
    assert metadata["display"][0]["name"]


def test_authorization_server_metadata_offers_the_anonymous_pre_authorized_grant() -> None:
    metadata = authorization_server_metadata(BASE)
    assert metadata["issuer"] == BASE and metadata["token_endpoint"] == f"{BASE}/oid4vci/token"
    assert metadata["grant_types_supported"] == [PRE_AUTHORIZED_GRANT]
    assert metadata["pre-authorized_grant_anonymous_access_supported"] is True


def test_offer_links_by_value_and_by_reference(world: World) -> None:
    new = world.offer(tx_code=True)
    links = offer_links(BASE, new)
    by_value = urlsplit(links["credential_offer"])
    assert links["credential_offer"].startswith("openid-credential-offer://?credential_offer=")
    offer = json.loads(parse_qs(by_value.query)["credential_offer"][0])
    assert offer == credential_offer(BASE, new.pre_authorized_code, tx_code_required=True)
    grant = offer["grants"][PRE_AUTHORIZED_GRANT]
    assert grant["pre-authorized_code"] == new.pre_authorized_code
    assert grant["tx_code"]["input_mode"] == "numeric" and grant["tx_code"]["length"] == 6
    assert offer["credential_configuration_ids"] == list(CONFIGURATIONS)
    uri = parse_qs(urlsplit(links["credential_offer_uri"]).query)["credential_offer_uri"][0]
    assert uri == f"{BASE}/oid4vci/credential-offer/{new.pre_authorized_code}"
    assert world.flow.offer(new.pre_authorized_code) == offer


def test_offer_by_reference_is_gone_once_the_code_is_used_or_the_offer_revoked(world: World) -> None:
    used, revoked = world.offer(), world.offer(name="Ben Okafor")
    world.token(used)
    world.store.revoke_offer(revoked.offer.id, now=world.clock())
    for new in (used, revoked):
        assert _refused("not_found", world.flow.offer, new.pre_authorized_code).status == 404
    _refused("not_found", world.flow.offer, "no-such-code")


# --- the flow, both formats -----------------------------------------------------------------------------------

def test_ldp_vc_omc_is_issued_to_the_proven_holder_key(world: World) -> None:
    new, holder = world.offer(), _holder()
    token = world.token(new)
    answer = world.flow.credential(token, world.request(world.proof(holder)))
    (entry,) = answer["credentials"]
    credential = entry["credential"]
    assert credential["credentialSubject"]["id"] == holder.controller
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    result = Verifier(resolver=DidResolver()).verify(credential)
    assert result.verified, result.errors
    offer = world.store.offer(new.offer.id)
    assert offer is not None and offer.state == REDEEMED and offer.protocol == OID4VCI
    assert offer.holder == holder.controller and offer.credential_id == credential["id"]


def test_jwt_vc_json_omc_is_the_jwt_itself_bound_to_a_did_jwk_holder(world: World) -> None:
    """A wallet that names its key with a jwk header gets a credential whose subject is that key's did:jwk."""
    new, key = world.offer(), KeyPair.generate("p256")
    token = world.token(new)
    nonce = world.flow.nonce()["c_nonce"]
    proof = jose._compact_jws({"aud": BASE, "iat": int(world.clock().timestamp()), "nonce": nonce},
                              {"alg": "ES256", "typ": PROOF_TYP, "jwk": key.public_key.jwk()}, key)
    (entry,) = world.flow.credential(token, world.request(proof, JWT))["credentials"]
    assert isinstance(entry["credential"], str)
    result = Verifier(resolver=DidResolver()).verify(entry["credential"])
    assert result.verified, result.errors
    claims = json.loads(jose._b64_segment(entry["credential"].split(".")[1], "payload"))
    assert claims["sub"] == did_jwk(key.public_key) == claims["credentialSubject"]["id"]


def test_the_single_proof_object_of_earlier_drafts_is_accepted(world: World) -> None:
    new, holder = world.offer(), _holder("p384")
    token = world.token(new)
    body = {"credential_configuration_id": LDP, "proof": {"proof_type": "jwt", "jwt": world.proof(holder)}}
    (entry,) = world.flow.credential(token, body)["credentials"]
    assert entry["credential"]["credentialSubject"]["id"] == holder.controller


# --- attacks on the proof -------------------------------------------------------------------------------------

def test_replayed_proof_same_nonce_is_refused(world: World) -> None:
    """An attacker who saw a proof replays it with their own offer's token: its c_nonce is used up."""
    first, second, holder = world.offer(), world.offer(name="Mallory"), _holder()
    proof = world.proof(holder)
    world.flow.credential(world.token(first), world.request(proof))
    attacker_token = world.token(second)
    _refused("invalid_nonce", world.flow.credential, attacker_token, world.request(proof))
    offer = world.store.offer(second.offer.id)
    assert offer is not None and offer.state == OPEN


def test_proof_for_another_audience_is_refused(world: World) -> None:
    token = world.token(world.offer())
    for aud in ("https://other-issuer.example", [BASE, "https://other-issuer.example"], None):
        _refused("invalid_proof", world.flow.credential, token, world.request(world.proof(_holder(), aud=aud)))


def test_stale_or_future_proof_is_refused(world: World) -> None:
    token = world.token(world.offer())
    now = world.clock().timestamp()
    for iat in (now - 600, now + 600):
        _refused("invalid_proof", world.flow.credential, token, world.request(world.proof(_holder(), iat=iat)))


def test_proof_signed_by_a_key_other_than_the_one_named_is_refused(world: World) -> None:
    victim, attacker = _holder(), _holder()
    forged = attacker.with_id(victim.verification_method, victim.controller)  # names the victim, signs as attacker
    token = world.token(world.offer())
    _refused("invalid_proof", world.flow.credential, token, world.request(world.proof(forged)))


def test_proof_without_a_nonce_or_with_one_not_ours_is_refused(world: World) -> None:
    token = world.token(world.offer())
    no_nonce = jose.sign_key_proof({"aud": BASE, "iat": int(world.clock().timestamp())}, _holder(), typ=PROOF_TYP)
    _refused("invalid_proof", world.flow.credential, token, world.request(no_nonce))
    _refused("invalid_nonce", world.flow.credential, token, world.request(world.proof(_holder(), nonce="made-up")))


def test_expired_c_nonce_is_refused(world: World) -> None:
    token = world.token(world.offer())
    nonce = world.flow.nonce()["c_nonce"]
    world.clock.moment += timedelta(minutes=6)
    _refused("invalid_nonce", world.flow.credential, token, world.request(world.proof(_holder(), nonce=nonce)))


def test_credential_request_without_a_proof_is_refused(world: World) -> None:
    token = world.token(world.offer())
    _refused("invalid_proof", world.flow.credential, token, {"credential_configuration_id": LDP})
    _refused("invalid_proof", world.flow.credential, token,
             {"credential_configuration_id": LDP, "proofs": {"di_vp": [{"type": "VerifiablePresentation"}]}})


@pytest.mark.parametrize(("body", "code"), [
    ({"credential_configuration_id": "UniversityDegree"}, "unknown_credential_configuration"),
    ({"credential_identifier": "x"}, "unknown_credential_identifier"),
    ({}, "invalid_credential_request"),
    ({"credential_configuration_id": LDP, "credential_response_encryption": {"jwk": {}, "enc": "A256GCM"}},
     "invalid_encryption_parameters"),
    ([1, 2], "invalid_credential_request"),
])
def test_malformed_credential_request_is_refused(world: World, body: Any, code: str) -> None:
    _refused(code, world.flow.credential, world.token(world.offer()), body)


def test_two_proofs_or_both_proof_forms_are_refused(world: World) -> None:
    token, holder = world.token(world.offer()), _holder()
    two = {"credential_configuration_id": LDP, "proofs": {"jwt": [world.proof(holder), world.proof(holder)]}}
    _refused("invalid_credential_request", world.flow.credential, token, two)
    both = {**world.request(world.proof(holder)), "proof": {"proof_type": "jwt", "jwt": world.proof(holder)}}
    _refused("invalid_credential_request", world.flow.credential, token, both)


# --- attacks on the offer, the code and the token -------------------------------------------------------------

def test_offer_redeemed_twice_is_refused(world: World) -> None:
    new, holder = world.offer(), _holder()
    token = world.token(new)
    world.flow.credential(token, world.request(world.proof(holder)))
    # the same token again, and the same code again (single use)
    _refused("credential_request_denied", world.flow.credential, token, world.request(world.proof(holder)))
    _refused("invalid_grant", world.token, new)


def test_pre_authorized_code_is_single_use(world: World) -> None:
    new = world.offer()
    world.token(new)
    _refused("invalid_grant", world.token, new)


def test_token_for_one_offer_cannot_redeem_another(world: World) -> None:
    """A token is bound to its offer: it redeems that offer (its learner, its achievement) and nothing else."""
    mine = world.offer("weld-101", name="Ana Silva")
    other = world.offer("safety-100", name="Ben Okafor")
    token = world.token(mine)
    (entry,) = world.flow.credential(token, world.request(world.proof(_holder())))["credentials"]
    subject = entry["credential"]["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == "Ana Silva"
    assert subject["achievement"]["id"] == "https://college.example.ca/achievements/weld-101"
    untouched = world.store.offer(other.offer.id)
    assert untouched is not None and untouched.state == OPEN
    # the spent token cannot be turned on the other offer either
    _refused("credential_request_denied", world.flow.credential, token, world.request(world.proof(_holder())))
    still = world.store.offer(other.offer.id)
    assert still is not None and still.state == OPEN


def test_unknown_or_missing_access_token_is_refused(world: World) -> None:
    for token in (None, "", "not-a-token"):
        error = _refused("invalid_token", world.flow.credential, token, world.request(world.proof(_holder())))
        assert error.status == 401


def test_expired_offer_is_refused_at_the_token_endpoint(world: World) -> None:
    new = world.offer(days=1)
    world.clock.moment += timedelta(days=2)
    _refused("invalid_grant", world.token, new)


def test_expired_access_token_is_refused(world: World) -> None:
    token = world.token(world.offer())
    world.clock.moment += timedelta(minutes=11)
    _refused("invalid_token", world.flow.credential, token, world.request(world.proof(_holder())))


def test_offer_that_expired_after_its_token_was_issued_is_denied(world: World) -> None:
    new = world.offer(days=1)
    world.clock.moment += timedelta(days=1) - timedelta(minutes=5)
    token = world.token(new)  # the offer is still open, for five more minutes
    world.clock.moment += timedelta(minutes=6)  # the token lives on (ten minutes); the offer does not
    _refused("credential_request_denied", world.flow.credential, token, world.request(world.proof(_holder())))
    still = world.store.offer(new.offer.id)
    assert still is not None and still.state == OPEN and still.credential_id is None


def test_revoked_offer_is_refused_and_its_tokens_die_with_it(world: World) -> None:
    early, late = world.offer(), world.offer(name="Ben Okafor")
    token = world.token(early)
    world.store.revoke_offer(early.offer.id, now=world.clock())
    world.store.revoke_offer(late.offer.id, now=world.clock())
    _refused("invalid_token", world.flow.credential, token, world.request(world.proof(_holder())))
    _refused("invalid_grant", world.token, late)


def test_transaction_code_missing_or_wrong_is_refused_and_locks_after_repeated_guesses(world: World) -> None:
    new = world.offer(tx_code=True)
    assert new.tx_code is not None
    _refused("invalid_request", world.token, new)
    wrong = "000000" if new.tx_code != "000000" else "111111"
    for _ in range(TX_CODE_ATTEMPTS):
        _refused("invalid_grant", world.token, new, tx_code=wrong)
    # the guesses are used up: the right code is refused too (a brute force gains nothing)
    _refused("invalid_grant", world.token, new, tx_code=new.tx_code)


def test_right_transaction_code_is_accepted(world: World) -> None:
    new = world.offer(tx_code=True)
    assert new.tx_code is not None
    assert world.token(new, tx_code=new.tx_code)


def test_transaction_code_for_an_offer_that_needs_none_is_refused(world: World) -> None:
    _refused("invalid_request", world.token, world.offer(), tx_code="123456")


@pytest.mark.parametrize(("form", "code"), [
    ([("grant_type", "authorization_code"), ("code", "x")], "unsupported_grant_type"),
    ([("pre-authorized_code", "x")], "invalid_request"),
    ([("grant_type", PRE_AUTHORIZED_GRANT)], "invalid_request"),
    ([("grant_type", PRE_AUTHORIZED_GRANT), ("grant_type", PRE_AUTHORIZED_GRANT), ("pre-authorized_code", "x")],
     "invalid_request"),
    ([("grant_type", PRE_AUTHORIZED_GRANT), ("pre-authorized_code", "unknown")], "invalid_grant"),
])
def test_malformed_token_request_is_refused(world: World, form: list[tuple[str, str]], code: str) -> None:
    _refused(code, world.flow.token, form)


def test_token_request_for_another_resource_is_refused(world: World) -> None:
    _refused("invalid_target", world.token, world.offer(), resource="https://other-issuer.example")
    assert world.token(world.offer(), resource=BASE)


def test_refused_issuance_gives_the_offer_back(world: World) -> None:
    """The learner's key already holds this achievement: nothing is issued and the offer stays open."""
    holder = _holder()
    world.flow.issuer.issue(learner=Learner(name="Ana Silva", did=holder.controller), achievement="weld-101")
    new = world.offer("weld-101")
    _refused("credential_request_denied", world.flow.credential, world.token(new),
             world.request(world.proof(holder)))
    offer = world.store.offer(new.offer.id)
    assert offer is not None and offer.state == OPEN and offer.holder is None


# --- a redeem cut off by a killed process --------------------------------------------------------------------

def test_the_offers_completion_date_is_on_the_credential(world: World) -> None:
    draft = OfferDraft(achievement="weld-101", learner_name="Ana Silva", completed=date(2026, 6, 5))
    new, holder = world.store.create_offer(draft, now=world.clock()), _holder()
    (entry,) = world.flow.credential(world.token(new), world.request(world.proof(holder)))["credentials"]
    assert entry["credential"]["credentialSubject"]["activityEndDate"] == "2026-06-05T00:00:00Z"


def test_a_redeem_cut_off_before_anything_was_issued_is_finished_by_its_holder_only(world: World) -> None:
    """The process was killed after the offer was redeemed and before the credential was signed: the holder
    that redeemed it retries with its token and gets its credential; nobody else can take it over."""
    new, holder, stranger = world.offer(), _holder(), _holder()
    token = world.token(new)
    world.store.redeem(new.offer.id, holder=holder.controller, protocol=OID4VCI, now=world.clock())
    _refused("credential_request_denied", world.flow.credential, token, world.request(world.proof(stranger)))
    (entry,) = world.flow.credential(token, world.request(world.proof(holder)))["credentials"]
    assert entry["credential"]["credentialSubject"]["id"] == holder.controller
    offer = world.store.offer(new.offer.id)
    assert offer is not None and offer.credential_id == entry["credential"]["id"]
    # finished: a further request is a second redeem, refused
    _refused("credential_request_denied", world.flow.credential, token, world.request(world.proof(holder)))


@pytest.mark.parametrize("config", [LDP, JWT])
def test_a_redeem_cut_off_after_signing_returns_that_credential_never_a_second(world: World, config: str) -> None:
    """Killed after the credential was signed and kept but before the offer recorded it: the retry hands back
    the same credential (one per learner and achievement), in the form it was issued."""
    new, holder = world.offer(), _holder()
    token = world.token(new)
    world.store.redeem(new.offer.id, holder=holder.controller, protocol=OID4VCI, now=world.clock())
    learner = Learner(name="Ana Silva", email="ana@example.ca", did=holder.controller)
    issued = world.flow.issuer.issue(learner=learner, achievement="weld-101",
                                     secured="jwt" if config == JWT else "di")
    (entry,) = world.flow.credential(token, world.request(world.proof(holder), config))["credentials"]
    if config == JWT:
        assert entry["credential"] == issued.token
    else:
        assert entry["credential"] == issued.credential
    assert len(world.store.all()) == 1
    offer = world.store.offer(new.offer.id)
    assert offer is not None and offer.credential_id == issued.record.id


def test_one_institutions_credential_issuer_looks_each_secret_up_once(world: World,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """With one institution behind the credential issuer there is nobody to route to: the code and the token are
    looked up by the flow that answers, once per request (each lookup is a store query under the same lock)."""
    issuer = CredentialIssuer(BASE, [(world.flow.issuer, world.store)])
    lookups: list[str] = []
    real_code, real_token = world.store.offer_by_code, world.store.token_offer
    monkeypatch.setattr(world.store, "offer_by_code", lambda code: lookups.append("code") or real_code(code))
    monkeypatch.setattr(world.store, "token_offer",
                        lambda token, **kw: lookups.append("token") or real_token(token, **kw))
    new = world.offer()
    answer = issuer.token([("grant_type", PRE_AUTHORIZED_GRANT), ("pre-authorized_code", new.pre_authorized_code)])
    assert lookups == ["code"]
    holder = _holder()
    issuer.credential(answer["access_token"], world.request(world.proof(holder)))
    assert lookups.count("token") == 1
