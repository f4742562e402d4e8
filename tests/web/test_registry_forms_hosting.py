"""``omc serve`` hosts the registry's other forms: the OpenID Federation trust anchor and DCC's legacy file."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from omc_vc._internal.fetch import Fetcher, FetchResponse
from omc_vc.proofs.jose import verify_typed_jwt
from omc_vc.registry import jwk_thumbprint
from omc_vc.registry_forms import ENTITY_STATEMENT_TYP, check_federation, write_forms
from omc_vc.web.app import create_app
from omc_vc.web.config import Hosted, WebConfig
from tests.unit.test_registry_forms import COLLEGE_DID, ENTITY, GRANTED, NOW, OTHER_DID, PCC_DID, Ministry

from .conftest import TestClient

# a did:web with a port: DCC's registry client sends it unencoded, so %3A reaches the server as is
PORT_DID = "did:web:localhost%3A8443:college"


@pytest.fixture
def ministry() -> Ministry:
    value = Ministry()
    value.draft.add_did(COLLEGE_DID, PORT_DID, valid_from=GRANTED)
    return value


@pytest.fixture
def hosted(ministry: Ministry, tmp_path: Path) -> Iterator[TestClient]:
    _, forms = ministry.publish()
    write_forms(forms, tmp_path)
    with TestClient(create_app(WebConfig(hosted=Hosted(registry_forms=tmp_path)))) as client:
        yield client


def test_entity_configuration_is_served_with_its_media_type_and_a_short_cache(hosted: TestClient,
                                                                             ministry: Ministry) -> None:
    response = hosted.get("/.well-known/openid-federation")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/entity-statement+jwt")
    assert response.headers["cache-control"] == "public, max-age=60"
    kid = jwk_thumbprint(ministry.federation_key.public_key)
    _, claims = verify_typed_jwt(response.text, {kid: ministry.federation_key.public_key}, typ=ENTITY_STATEMENT_TYP)
    assert claims["iss"] == claims["sub"] == ENTITY


def test_fetch_answers_a_registered_did(hosted: TestClient, ministry: Ministry) -> None:
    response = hosted.get("/fetch", params={"sub": COLLEGE_DID})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/entity-statement+jwt")
    kid = jwk_thumbprint(ministry.federation_key.public_key)
    _, claims = verify_typed_jwt(response.text, {kid: ministry.federation_key.public_key}, typ=ENTITY_STATEMENT_TYP)
    assert claims["sub"] == COLLEGE_DID
    assert claims["metadata"]["federation_entity"]["organization_name"] == "Example College"


def test_fetch_answers_a_did_web_with_a_port_sent_unencoded(hosted: TestClient) -> None:
    # exactly what DCC's registry client sends: `${fetch_endpoint}?sub=${did}`
    response = hosted.get(f"/fetch?sub={PORT_DID}")
    assert response.status_code == 200
    payload = response.text.split(".")[1]
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"] == PORT_DID


def test_fetch_of_an_unknown_did_is_404(hosted: TestClient) -> None:
    response = hosted.get("/fetch", params={"sub": "did:web:diploma-mill.example"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_fetch_without_one_sub_is_400(hosted: TestClient) -> None:
    assert hosted.get("/fetch").status_code == 400
    assert hosted.get("/fetch", params={"sub": COLLEGE_DID, "extra": "1"}).status_code == 400


def test_listing_and_legacy_file_are_served(hosted: TestClient) -> None:
    listing = hosted.get("/subordinate_listing")
    assert listing.status_code == 200 and listing.json() == [COLLEGE_DID, PORT_DID, PCC_DID, OTHER_DID]
    legacy = hosted.get("/dcc-legacy-registry.json")
    assert legacy.status_code == 200 and legacy.headers["cache-control"] == "public, max-age=60"
    assert legacy.json()["registry"][COLLEGE_DID]["name"] == "Example College"


def test_suspended_institution_is_404_after_republishing(hosted: TestClient, ministry: Ministry,
                                                         tmp_path: Path) -> None:
    assert hosted.get("/fetch", params={"sub": OTHER_DID}).status_code == 200
    ministry.draft.set_consent(OTHER_DID, "suspended", at=NOW + timedelta(minutes=1))
    _, forms = ministry.publish(NOW + timedelta(minutes=2))
    write_forms(forms, tmp_path)
    assert hosted.get("/fetch", params={"sub": OTHER_DID}).status_code == 404
    assert OTHER_DID not in hosted.get("/subordinate_listing").json()
    assert OTHER_DID not in hosted.get("/dcc-legacy-registry.json").json()["registry"]


def test_service_without_forms_answers_404() -> None:
    with TestClient(create_app(WebConfig())) as client:
        for path in ("/.well-known/openid-federation", "/subordinate_listing", "/dcc-legacy-registry.json",
                     f"/fetch?sub={COLLEGE_DID}"):
            assert client.get(path).status_code == 404, path


class ServiceFetcher(Fetcher):
    """The federation's URLs answered by the service under test (its entity id mapped onto the TestClient)."""

    def __init__(self, client: TestClient) -> None:
        super().__init__()
        self.client = client

    def get(self, url: str, *, headers: Mapping[str, str] | None = None, max_bytes: int | None = None,
            accept: str = "application/json") -> FetchResponse:
        parts = urlsplit(url)
        path = parts.path.removeprefix(urlsplit(ENTITY).path)
        response = self.client.get(path + (f"?{parts.query}" if parts.query else ""))
        return FetchResponse(url, response.status_code, dict(response.headers), response.content)


def test_check_federation_passes_on_what_omc_serve_hosts(hosted: TestClient, ministry: Ministry,
                                                         tmp_path: Path) -> None:
    data, forms = ministry.publish(NOW)
    write_forms(forms, tmp_path)  # the service hosts exactly this publication
    assert check_federation(data, ServiceFetcher(hosted), ENTITY, now=NOW + timedelta(minutes=1)) == []
