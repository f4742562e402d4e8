"""The registry's other forms (OpenID Federation trust anchor, DCC legacy file) and check-federation."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from omc_vc._internal.fetch import Fetcher, FetchResponse
from omc_vc._internal.timeutil import parse_datetime
from omc_vc.errors import JwtError, RegistryError
from omc_vc.keys import KeyPair
from omc_vc.proofs.jose import sign_typed_jwt, verify_typed_jwt
from omc_vc.registry import (
    Anchors,
    Federation,
    RegistryData,
    RegistryDraft,
    jwk_thumbprint,
    sign_registry,
    verify_registry,
)
from omc_vc.registry_forms import (
    ENTITY_CONFIGURATION_FILE,
    ENTITY_STATEMENT_TYP,
    LEGACY_FILE,
    LISTING_FILE,
    PublishedForms,
    authorized_now,
    build_forms,
    check_federation,
    entity_configuration_claims,
    statement_file,
    subordinate_claims,
    write_forms,
)

NOW = parse_datetime("2026-03-01T12:00:00Z")
GRANTED = parse_datetime("2025-01-01T00:00:00Z")
ENTITY = "https://mcu.example.ca/omc"
COLLEGE_DID = "did:web:college.example.ca"
PCC_DID = "did:web:tradeskill.example.ca"
OTHER_DID = "did:web:other.example.ca"


def _decode(segment: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return value


class Ministry:
    """A ministry with its anchor key, its federation key and a draft listing a college, a partnered PCC
    and a second college."""

    def __init__(self) -> None:
        self.anchor = KeyPair.generate()
        self.federation_key = KeyPair.generate("p256")
        self.draft = RegistryDraft.new("urn:uuid:0c3f5c1e-6f43-4f0a-9d3c-1f6d2f0d2a10",
                                       anchors=Anchors((self.anchor.public_key,), 1))
        self.draft.add_institution(legal_name="Example College", kind="college", dids=[COLLEGE_DID],
                                   consent_reference="MCU-OMC-0001", scope=("OMC", "OMC+"), granted=GRANTED,
                                   homepage="https://college.example.ca", location="Toronto, ON, Canada")
        self.draft.add_institution(legal_name="Tradeskill Career College", kind="private-career-college",
                                   dids=[PCC_DID], consent_reference="MCU-OMC-0002", granted=GRANTED)
        self.draft.add_partnership(PCC_DID, COLLEGE_DID, since=GRANTED)
        self.draft.add_institution(legal_name="Second College", kind="college", dids=[OTHER_DID],
                                   consent_reference="MCU-OMC-0003", granted=GRANTED,
                                   logo="https://other.example.ca/logo.png")
        self.draft.set_federation(Federation(ENTITY, "Ontario Ministry of Colleges and Universities",
                                             "https://www.ontario.ca/mcu", "https://www.ontario.ca/omc-policy",
                                             (self.federation_key.public_key,), None,
                                             "His Majesty in right of Ontario"))

    def publish(self, now: datetime = NOW) -> tuple[RegistryData, PublishedForms]:
        signed = sign_registry(self.draft, [self.anchor], now=now)
        self.draft.mark_published(signed)
        data = verify_registry(signed, self.draft.anchors, now=now).data
        return data, build_forms(data, self.federation_key, now=now)


class FormsFetcher(Fetcher):
    """Answers the federation's URLs from published forms, as omc serve would (tests can forge them)."""

    def __init__(self, forms: PublishedForms) -> None:
        super().__init__()
        self.configuration = forms.entity_configuration
        self.statements = dict(forms.statements)
        self.listing: Any = list(forms.listing)

    def get(self, url: str, *, headers: Mapping[str, str] | None = None, max_bytes: int | None = None,
            accept: str = "application/json") -> FetchResponse:
        parts = urlsplit(url)
        path = parts.path.removeprefix("/omc")
        body: bytes | None = None
        if path == "/.well-known/openid-federation" and self.configuration is not None:
            body = self.configuration.encode()
        elif path == "/subordinate_listing":
            body = json.dumps(self.listing).encode()
        elif path == "/fetch":
            token = self.statements.get(parse_qs(parts.query)["sub"][0])
            body = None if token is None else token.encode()
        return FetchResponse(url, 404 if body is None else 200, {}, body or b"")


@pytest.fixture
def ministry() -> Ministry:
    return Ministry()


def test_entity_configuration_is_an_es256_entity_statement_signed_by_the_federation_key(ministry: Ministry) -> None:
    data, forms = ministry.publish()
    assert forms.entity_configuration is not None
    header = _decode(forms.entity_configuration.split(".")[0])
    kid = jwk_thumbprint(ministry.federation_key.public_key)
    assert header == {"alg": "ES256", "typ": "entity-statement+jwt", "kid": kid}
    _, claims = verify_typed_jwt(forms.entity_configuration, {kid: ministry.federation_key.public_key},
                                 typ=ENTITY_STATEMENT_TYP)
    assert claims["iss"] == claims["sub"] == ENTITY
    assert claims["iat"] == int(NOW.timestamp()) and claims["exp"] == int((NOW + timedelta(hours=24)).timestamp())
    assert isinstance(claims["jti"], str) and claims["jti"]
    assert claims["jwks"] == {"keys": [{**ministry.federation_key.public_key.jwk(), "kid": kid, "alg": "ES256",
                                        "use": "sig"}]}
    assert claims["metadata"] == {
        "federation_entity": {"organization_name": "Ontario Ministry of Colleges and Universities",
                              "homepage_uri": "https://www.ontario.ca/mcu",
                              "policy_uri": "https://www.ontario.ca/omc-policy",
                              "federation_fetch_endpoint": f"{ENTITY}/fetch",
                              "federation_list_endpoint": f"{ENTITY}/subordinate_listing"},
        "institution_additional_information": {"legal_name": "His Majesty in right of Ontario"}}
    # the federation's key is named in the signed registry itself
    assert data.federation is not None and data.federation.key_ids() == {kid: ministry.federation_key.public_key}


def test_statement_signed_by_another_key_does_not_verify(ministry: Ministry) -> None:
    _, forms = ministry.publish()
    intruder = KeyPair.generate("p256")
    kid = jwk_thumbprint(ministry.federation_key.public_key)
    with pytest.raises(JwtError) as caught:
        verify_typed_jwt(forms.statements[COLLEGE_DID], {kid: intruder.public_key}, typ=ENTITY_STATEMENT_TYP)
    assert caught.value.code == "JWT_BAD_SIGNATURE"


def test_subordinate_statement_per_authorized_did_in_dccs_shape(ministry: Ministry) -> None:
    _, forms = ministry.publish()
    assert forms.listing == [COLLEGE_DID, PCC_DID, OTHER_DID]
    kid = jwk_thumbprint(ministry.federation_key.public_key)
    _, claims = verify_typed_jwt(forms.statements[COLLEGE_DID], {kid: ministry.federation_key.public_key},
                                 typ=ENTITY_STATEMENT_TYP)
    assert {k: claims[k] for k in ("iss", "sub")} == {"iss": ENTITY, "sub": COLLEGE_DID}
    assert set(claims) == {"iss", "sub", "iat", "exp", "jti", "metadata"}
    assert claims["metadata"] == {
        "federation_entity": {"organization_name": "Example College", "homepage_uri": "https://college.example.ca"},
        "institution_additional_information": {"legal_name": "Example College"}}


def test_legacy_file_has_the_shape_dccs_registry_client_reads(ministry: Ministry) -> None:
    _, forms = ministry.publish()
    assert set(forms.legacy) == {"meta", "registry"}
    assert forms.legacy["registry"][COLLEGE_DID] == {"name": "Example College", "location": "Toronto, ON, Canada",
                                                     "url": "https://college.example.ca"}
    assert set(forms.legacy["registry"]) == {COLLEGE_DID, PCC_DID, OTHER_DID}
    assert {"created", "updated"} <= set(forms.legacy["meta"])


def test_suspended_institution_is_absent_after_republishing(ministry: Ministry, tmp_path: Path) -> None:
    _, forms = ministry.publish()
    write_forms(forms, tmp_path)
    assert (tmp_path / statement_file(OTHER_DID)).is_file()
    ministry.draft.set_consent(OTHER_DID, "suspended", at=NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=2)
    data, forms = ministry.publish(later)
    write_forms(forms, tmp_path)
    assert OTHER_DID not in forms.listing and OTHER_DID not in forms.legacy["registry"]
    assert OTHER_DID not in forms.statements
    # the old statement file is gone: the served /fetch answers 404 for it
    assert not (tmp_path / statement_file(OTHER_DID)).exists()
    assert json.loads((tmp_path / LISTING_FILE).read_text()) == [COLLEGE_DID, PCC_DID]
    assert OTHER_DID not in json.loads((tmp_path / LEGACY_FILE).read_text())["registry"]
    assert (tmp_path / ENTITY_CONFIGURATION_FILE).read_text() == forms.entity_configuration
    # the verdict's own reading of the same list agrees: suspended now
    item = data.institution_for_did(OTHER_DID)
    assert item is not None and item.consent.status_at(later) == "suspended"


def test_revoked_institution_and_retired_did_are_absent(ministry: Ministry) -> None:
    ministry.draft.set_consent(OTHER_DID, "revoked", at=NOW - timedelta(days=1))
    ministry.draft.add_did(COLLEGE_DID, "did:web:college.example.ca:2026", valid_from=NOW - timedelta(days=2))
    ministry.draft.retire_did(COLLEGE_DID, at=NOW - timedelta(days=1))
    _, forms = ministry.publish()
    assert forms.listing == ["did:web:college.example.ca:2026", PCC_DID]


def test_private_career_college_without_a_current_partner_is_absent(ministry: Ministry) -> None:
    ministry.draft.set_consent(COLLEGE_DID, "suspended", at=NOW - timedelta(days=1))
    data, forms = ministry.publish()
    assert forms.listing == [OTHER_DID]
    assert [did for did, _ in authorized_now(data, NOW)] == [OTHER_DID]


def test_statements_never_outlive_the_registry(ministry: Ministry) -> None:
    signed = sign_registry(ministry.draft, [ministry.anchor], now=NOW, valid_for=timedelta(hours=2))
    data = verify_registry(signed, ministry.draft.anchors, now=NOW).data
    forms = build_forms(data, ministry.federation_key, now=NOW, not_after=NOW + timedelta(hours=2))
    assert forms.entity_configuration is not None
    assert _decode(forms.entity_configuration.split(".")[1])["exp"] == int((NOW + timedelta(hours=2)).timestamp())


def test_federation_key_the_registry_does_not_name_is_refused(ministry: Ministry) -> None:
    data, _ = ministry.publish()
    with pytest.raises(RegistryError) as caught:
        build_forms(data, KeyPair.generate("p256"), now=NOW)
    assert caught.value.code == "REGISTRY_FEDERATION_KEY"


def test_federation_needs_a_p256_key_with_its_thumbprint_as_kid(ministry: Ministry) -> None:
    federation = ministry.draft.data.federation
    assert federation is not None
    with pytest.raises(RegistryError) as caught:
        ministry.draft.set_federation(replace(federation, keys=(KeyPair.generate().public_key,)))
    assert caught.value.code == "REGISTRY_MALFORMED"
    with pytest.raises(RegistryError):
        ministry.draft.set_federation(replace(federation, entity_id="http://mcu.example.ca"))


def test_registry_without_a_federation_still_reads_and_publishes_the_legacy_form() -> None:
    anchor = KeyPair.generate()
    draft = RegistryDraft.new(anchors=Anchors((anchor.public_key,), 1))
    draft.add_institution(legal_name="Example College", kind="college", dids=[COLLEGE_DID],
                          consent_reference="MCU-OMC-0001", granted=GRANTED)
    signed = sign_registry(draft, [anchor], now=NOW)
    assert "federation" not in signed["credentialSubject"]["registry"]
    data = verify_registry(signed, draft.anchors, now=NOW).data
    forms = build_forms(data, None, now=NOW)
    assert forms.entity_configuration is None and forms.legacy["registry"][COLLEGE_DID]["name"] == "Example College"


# --- check-federation ----------------------------------------------------------------------------------

def test_check_federation_passes_on_a_faithful_federation(ministry: Ministry) -> None:
    data, forms = ministry.publish()
    assert check_federation(data, FormsFetcher(forms), ENTITY, now=NOW + timedelta(minutes=1)) == []


def _forged(ministry: Ministry, data: RegistryData, did: str, key: KeyPair | None = None, *,
            name: str | None = None, now: datetime = NOW, exp: datetime | None = None) -> str:
    assert data.federation is not None
    item = data.institution_for_did(COLLEGE_DID)
    assert item is not None
    if name is not None:
        item = replace(item, legal_name=name)
    signer = key or ministry.federation_key
    claims = subordinate_claims(data.federation, did, item, int(now.timestamp()),
                                int((exp or now + timedelta(hours=1)).timestamp()))
    kid = jwk_thumbprint(ministry.federation_key.public_key)
    return sign_typed_jwt(claims, signer, typ=ENTITY_STATEMENT_TYP, kid=kid)


def test_forged_name_in_a_subordinate_statement_is_reported(ministry: Ministry) -> None:
    data, forms = ministry.publish()
    fetcher = FormsFetcher(forms)
    fetcher.statements[COLLEGE_DID] = _forged(ministry, data, COLLEGE_DID, name="Fake College")
    found = check_federation(data, fetcher, ENTITY, now=NOW)
    assert found == [
        f"statement for {COLLEGE_DID}: federation_entity.organization_name is 'Fake College', the registry says "
        "'Example College'",
        f"statement for {COLLEGE_DID}: institution_additional_information.legal_name is 'Fake College', the "
        "registry says 'Example College'"]


def test_extra_did_in_the_federation_is_reported(ministry: Ministry) -> None:
    data, forms = ministry.publish()
    fetcher = FormsFetcher(forms)
    intruder = "did:web:diploma-mill.example"
    fetcher.listing.append(intruder)
    fetcher.statements[intruder] = _forged(ministry, data, intruder)
    found = check_federation(data, fetcher, ENTITY, now=NOW)
    assert f"subordinate listing: lists {intruder}, which the registry does not authorize now" in found
    assert any(line.startswith(f"statement for {intruder}: answered HTTP 200") for line in found)
    assert len(found) == 2


def test_suspended_did_still_answered_by_the_federation_is_reported(ministry: Ministry) -> None:
    _, stale = ministry.publish()
    ministry.draft.set_consent(OTHER_DID, "suspended", at=NOW + timedelta(minutes=1))
    data, _ = ministry.publish(NOW + timedelta(minutes=2))
    found = check_federation(data, FormsFetcher(stale), ENTITY, now=NOW + timedelta(minutes=3))
    assert found == [f"subordinate listing: lists {OTHER_DID}, which the registry does not authorize now",
                     f"statement for {OTHER_DID}: answered HTTP 200; the registry does not authorize it now, so it "
                     "must be 404"]


def test_statement_signed_by_another_key_is_reported(ministry: Ministry) -> None:
    data, forms = ministry.publish()
    fetcher = FormsFetcher(forms)
    fetcher.statements[COLLEGE_DID] = _forged(ministry, data, COLLEGE_DID, KeyPair.generate("p256"))
    found = check_federation(data, fetcher, ENTITY, now=NOW)
    assert len(found) == 1 and found[0].startswith(f"statement for {COLLEGE_DID}: JWT_BAD_SIGNATURE")


def test_entity_configuration_signed_by_another_key_is_reported(ministry: Ministry) -> None:
    data, forms = ministry.publish()
    intruder = KeyPair.generate("p256")
    assert data.federation is not None
    fetcher = FormsFetcher(forms)
    claims = entity_configuration_claims(data.federation, int(NOW.timestamp()), int(NOW.timestamp()) + 3600)
    fetcher.configuration = sign_typed_jwt(claims, intruder, typ=ENTITY_STATEMENT_TYP,
                                           kid=jwk_thumbprint(ministry.federation_key.public_key))
    found = check_federation(data, fetcher, ENTITY, now=NOW)
    assert len(found) == 1 and found[0].startswith("entity configuration: JWT_BAD_SIGNATURE")


def test_expired_statement_is_reported(ministry: Ministry) -> None:
    data, forms = ministry.publish()
    fetcher = FormsFetcher(forms)
    fetcher.statements[COLLEGE_DID] = _forged(ministry, data, COLLEGE_DID, now=NOW - timedelta(days=2),
                                              exp=NOW - timedelta(days=1))
    found = check_federation(data, fetcher, ENTITY, now=NOW)
    assert found == [f"statement for {COLLEGE_DID}: expired at 2026-02-28T12:00:00Z"]


def test_expired_federation_is_reported_after_its_lifetime(ministry: Ministry) -> None:
    data, forms = ministry.publish()
    found = check_federation(data, FormsFetcher(forms), ENTITY, now=NOW + timedelta(hours=25))
    assert found[0] == "entity configuration: expired at 2026-03-02T12:00:00Z"
    assert len(found) == 1 + len(forms.statements)
