"""OpenID4VCI through ``omc serve`` (omc_vc/web/oid4vci.py): the HTTP shapes a wallet sees, and the refusals
that only the HTTP layer can make (content types, size caps, bearer challenges, rate limits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from omc_vc._internal.timeutil import utcnow
from omc_vc.issue.offers import NewOffer
from omc_vc.issue.oid4vci import PRE_AUTHORIZED_GRANT, PROOF_TYP, TOKEN_PATH, offer_links
from omc_vc.keys import KeyPair
from omc_vc.proofs import jose
from omc_vc.verify import Verifier
from omc_vc.web.limits import FORM_PATHS
from omc_vc.web.oid4vci import MAX_REQUEST_BYTES, NONCE_BURST

from .conftest import TestClient
from .offer_world import PUBLIC, OfferWorld, make_offer_world, path_of

LDP = "OntarioMicroCredential_ldp_vc"
JWT = "OntarioMicroCredential_jwt_vc_json"


def _holder() -> KeyPair:
    key = KeyPair.generate()
    did = key.public_key.did_key
    return key.with_id(f"{did}#{did.rsplit(':', 1)[1]}", did)


def _token(client: TestClient, new: NewOffer) -> str:
    answer = client.post("/oid4vci/token", data={"grant_type": PRE_AUTHORIZED_GRANT,
                                                 "pre-authorized_code": new.pre_authorized_code})
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return str(answer.json()["access_token"])


def _proof(client: TestClient, holder: KeyPair) -> str:
    nonce = client.post("/oid4vci/nonce")
    assert nonce.status_code == 200 and nonce.headers["cache-control"] == "no-store"
    claims = {"aud": PUBLIC, "iat": int(utcnow().timestamp()), "nonce": nonce.json()["c_nonce"]}
    return jose.sign_key_proof(claims, holder, typ=PROOF_TYP)


def _credential(client: TestClient, token: str, body: Any) -> Any:
    return client.post("/oid4vci/credential", json=body, headers={"Authorization": f"Bearer {token}"})


def _world(tmp_path: Path) -> OfferWorld:
    return make_offer_world(tmp_path)


def test_metadata_documents_are_served_at_their_well_known_paths(tmp_path: Path) -> None:
    with _world(tmp_path).client() as client:
        issuer = client.get("/.well-known/openid-credential-issuer")
        server = client.get("/.well-known/oauth-authorization-server")
    assert issuer.status_code == 200 and issuer.headers["content-type"].startswith("application/json")
    assert issuer.json()["credential_issuer"] == PUBLIC
    assert set(issuer.json()["credential_configurations_supported"]) == {LDP, JWT}
    assert server.status_code == 200 and server.json()["token_endpoint"] == f"{PUBLIC}/oid4vci/token"
    with _world(tmp_path).client() as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert {"/oid4vci/token", "/oid4vci/nonce", "/oid4vci/credential"} <= set(paths)
    assert "application/x-www-form-urlencoded" in paths["/oid4vci/token"]["post"]["requestBody"]["content"]


def test_no_offers_no_openid4vci_endpoints(api: TestClient) -> None:
    """A service that issues through the VC-API but makes no offers hosts no OpenID4VCI endpoints."""
    assert api.get("/.well-known/openid-credential-issuer").status_code == 404
    assert api.post("/oid4vci/nonce").status_code in (404, 405)


def test_pre_authorized_flow_over_http_delivers_both_formats(tmp_path: Path) -> None:
    world = _world(tmp_path)
    (first, _), (second, _) = world.offer(), world.offer(achievement="safety-100")
    holder = _holder()
    with world.client() as client:
        # the offer by reference, as a wallet dereferences credential_offer_uri
        link = offer_links(PUBLIC, first)["credential_offer_uri"]
        uri = parse_qs(urlsplit(link).query)["credential_offer_uri"][0]
        offer = client.get(path_of(uri))
        assert offer.status_code == 200 and offer.json()["credential_issuer"] == PUBLIC
        ldp = _credential(client, _token(client, first),
                          {"credential_configuration_id": LDP, "proofs": {"jwt": [_proof(client, holder)]}})
        jwt = _credential(client, _token(client, second),
                          {"credential_configuration_id": JWT, "proofs": {"jwt": [_proof(client, holder)]}})
    assert ldp.status_code == 200, ldp.text
    assert jwt.status_code == 200, jwt.text
    credential, token = ldp.json()["credentials"][0]["credential"], jwt.json()["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == holder.controller
    assert isinstance(token, str) and jose.is_jwt(token)
    verifier = Verifier()
    assert verifier.verify(credential).verified and verifier.verify(token).verified


def test_token_request_must_be_a_form(tmp_path: Path) -> None:
    world = _world(tmp_path)
    new, _ = world.offer()
    with world.client() as client:
        answer = client.post("/oid4vci/token", json={"grant_type": PRE_AUTHORIZED_GRANT,
                                                     "pre-authorized_code": new.pre_authorized_code})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_cross_site_form_post_to_the_token_endpoint_is_still_refused(tmp_path: Path) -> None:
    """The token endpoint takes a form, but a form posted by another site's page (its Origin) is refused."""
    world = _world(tmp_path)
    new, _ = world.offer()
    with world.client() as client:
        answer = client.post("/oid4vci/token", headers={"Origin": "https://attacker.example"},
                             data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": new.pre_authorized_code})
    assert answer.status_code == 403
    assert FORM_PATHS == {TOKEN_PATH}


def test_missing_access_token_gets_a_bearer_challenge(tmp_path: Path) -> None:
    with _world(tmp_path).client() as client:
        answer = client.post("/oid4vci/credential", json={"credential_configuration_id": LDP})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert answer.json()["error"] == "invalid_token"


def test_oversized_credential_request_is_refused(tmp_path: Path) -> None:
    world = _world(tmp_path)
    new, _ = world.offer()
    with world.client() as client:
        token = _token(client, new)
        over_ours = _credential(client, token, {"credential_configuration_id": LDP,
                                                "padding": "x" * (MAX_REQUEST_BYTES + 10)})
        over_service = client.post("/oid4vci/credential", content=b"x" * 400_000,
                                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        big_proof = _credential(client, token, {"credential_configuration_id": LDP,
                                                "proofs": {"jwt": ["e" * 30_000 + ".e30.c2ln"]}})
    assert over_ours.status_code == 400 and over_ours.json()["error"] == "invalid_credential_request"
    assert over_service.status_code == 413
    assert big_proof.status_code == 400 and big_proof.json()["error"] == "invalid_proof"


def test_error_descriptions_are_plain_ascii(tmp_path: Path) -> None:
    """§8.3.1.2: error_description has no quote, backslash or non-ASCII character, whatever the input echoed."""
    world = _world(tmp_path)
    new, _ = world.offer()
    with world.client() as client:
        answer = _credential(client, _token(client, new), {"credential_configuration_id": 'é"\\x'})
    assert answer.status_code == 400 and answer.json()["error"] == "unknown_credential_configuration"
    description = answer.json()["error_description"]
    assert all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in description), description


def test_nonce_endpoint_is_rate_limited_per_client(tmp_path: Path) -> None:
    with _world(tmp_path).client() as client:
        codes = [client.post("/oid4vci/nonce").status_code for _ in range(NONCE_BURST + 1)]
    assert codes[:NONCE_BURST] == [200] * NONCE_BURST
    assert codes[-1] == 429


def test_replayed_proof_over_http_is_refused_with_invalid_nonce(tmp_path: Path) -> None:
    world = _world(tmp_path)
    (first, _), (second, _) = world.offer(), world.offer(name="Mallory")
    with world.client() as client:
        proof = _proof(client, _holder())
        body = {"credential_configuration_id": LDP, "proofs": {"jwt": [proof]}}
        assert _credential(client, _token(client, first), body).status_code == 200
        replay = _credential(client, _token(client, second), body)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_nonce"


def test_two_institutions_behind_one_credential_issuer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One omc serve for two institutions (``institutions:``) sharing one address: one credential issuer whose
    metadata names neither; each offer is redeemed by its own institution, signed with its own key, and a
    c_nonce from the shared nonce endpoint is used once whichever institution's token comes with it."""
    from omc_vc.issue.offers import OfferDraft
    from omc_vc.keys import save_key
    from omc_vc.web.app import create_app
    from omc_vc.web.config import parse_config
    from tests.fixtures.omc.sample import make_institution

    monkeypatch.setenv("OMC_ISSUER_PASSPHRASE", "a passphrase for the test keys")
    paths = {}
    for name in ("college-a", "college-b"):
        _, key = make_institution(tmp_path / name, base_url=f"https://college.example.ca/status/{name}/")
        save_key(tmp_path / name / "issuer.key", key, "a passphrase for the test keys", overwrite=True)
        path = tmp_path / name / "institution.yaml"
        path.write_text(path.read_text(encoding="utf-8") + f"offers:\n  public_url: {PUBLIC}\n"
                        f"token_env: OMC_TOKEN_{name[-1].upper()}\n", encoding="utf-8")
        paths[name] = str(path)
    config = parse_config({"public_url": PUBLIC, "offline": True, "institutions": paths}, tmp_path)
    with TestClient(create_app(config), base_url=PUBLIC) as client:
        tenants = client.app.state.service.tenants  # type: ignore[attr-defined]
        made = {name: tenants[name].issuer.store.create_offer(OfferDraft("weld-101", "Ana Silva", "ana@example.ca"),
                                                               now=utcnow()) for name in ("college-a", "college-b")}
        metadata = client.get("/.well-known/openid-credential-issuer").json()
        holder = _holder()
        proofs = {name: _proof(client, holder) for name in made}
        issued = {name: _credential(client, _token(client, new), {"credential_configuration_id": LDP,
                                                                  "proofs": {"jwt": [proofs[name]]}})
                  for name, new in made.items()}
        other = tenants["college-a"].issuer.store.create_offer(OfferDraft("safety-100", "Mallory", "m@example.ca"),
                                                               now=utcnow())
        replay = _credential(client, _token(client, other), {"credential_configuration_id": LDP,
                                                             "proofs": {"jwt": [proofs["college-b"]]}})
        recorded = {name: tenants[name].issuer.store.offer(new.offer.id) for name, new in made.items()}
    assert metadata["credential_issuer"] == PUBLIC and "display" not in metadata
    for name, answer in issued.items():
        assert answer.status_code == 200, answer.text
        credential = answer.json()["credentials"][0]["credential"]
        assert credential["issuer"]["id"] == tenants[name].issuer.key.controller
        assert credential["credentialSubject"]["id"] == holder.controller
        assert Verifier().verify(credential).verified
        assert recorded[name] is not None and recorded[name].credential_id == credential["id"]
    assert tenants["college-a"].issuer.key.controller != tenants["college-b"].issuer.key.controller
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_nonce"
