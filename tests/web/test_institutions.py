"""Several institutions in one ``omc serve`` (``institutions:``): each with its own keys, bearer token, store,
status lists and records, and a token of one institution can neither issue, revoke nor read for another.

Each test runs with the institutions' stores in SQLite files and in PostgreSQL schemas of one database (the
throwaway cluster of tests/pgcluster.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from omc_vc.bitstring import decode_bitstring, get_status
from omc_vc.errors import ConfigError
from omc_vc.keys import KeyPair, save_key
from omc_vc.verify import Verifier
from omc_vc.web.app import create_app
from omc_vc.web.config import parse_config

PASSPHRASE = "a passphrase for the test keys"
NAMES = ("college-a", "college-b")


def _token(name: str) -> str:
    return f"token-of-{name}-" + "x" * 20


def _service_config(folder: Path, monkeypatch: pytest.MonkeyPatch, stores: dict[str, Any]) -> dict[str, Any]:
    """Two institutions, each with an encrypted key of its own, a token variable of its own and ``stores[name]``
    (inline institution keys, as a service configuration gives them)."""
    monkeypatch.setenv("OMC_TEST_KEY_PASS", PASSPHRASE)
    institutions = {}
    for name in NAMES:
        key = KeyPair.generate()
        save_key(folder / f"{name}.key", key, PASSPHRASE, overwrite=True)
        monkeypatch.setenv(f"OMC_TOKEN_{name.upper().replace('-', '_')}", _token(name))
        institutions[name] = {"keys": [f"{name}.key"], "passphrase_env": "OMC_TEST_KEY_PASS",
                              "token_env": f"OMC_TOKEN_{name.upper().replace('-', '_')}", **stores[name]}
    return {"public_url": "https://issuing.example.ca", "offline": True, "institutions": institutions}


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    if request.param == "sqlite":
        stores = {name: {"state_dir": f"state-{name}"} for name in NAMES}
    else:
        cluster = request.getfixturevalue("pg_cluster")
        stores = {name: {"store": {"url": cluster.url(), "schema": cluster.new_schema()}} for name in NAMES}
    raw = _service_config(tmp_path, monkeypatch, stores)
    config = parse_config(raw, tmp_path)
    if request.param == "postgresql":
        from omc_vc.issue.stores import migrate_store

        for institution in config.institutions.values():
            migrate_store(institution)
    with TestClient(create_app(config)) as client:
        yield client


def _did(client: TestClient, name: str) -> str:
    tenant = client.app.state.service.tenants[name]  # type: ignore[attr-defined]
    return str(tenant.issuer.key.controller)


def _issue(client: TestClient, name: str, issuer: str, *, as_token: str | None = None) -> Any:
    body = {"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                           "issuer": issuer, "credentialSubject": {"id": "did:example:learner", "name": "Ana"}},
            "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}}
    return client.post("/credentials/issue", json=body,
                       headers={"Authorization": f"Bearer {as_token or _token(name)}"})


def _bit(client: TestClient, credential: dict[str, Any]) -> int:
    entry = credential["credentialStatus"]
    path = entry["statusListCredential"].removeprefix("https://issuing.example.ca")
    document = client.get(path).json()
    return get_status(decode_bitstring(document["credentialSubject"]["encodedList"]), int(entry["statusListIndex"]))


def _revoke(client: TestClient, credential_id: str, token: str) -> Any:
    return client.post("/credentials/status", headers={"Authorization": f"Bearer {token}"},
                       json={"credentialId": credential_id, "status": True,
                             "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}})


def test_each_institution_issues_as_itself_with_status_lists_of_its_own(service: TestClient) -> None:
    issued = {}
    for name in NAMES:
        answer = _issue(service, name, _did(service, name))
        assert answer.status_code == 201, answer.text
        issued[name] = answer.json()["verifiableCredential"]
        assert Verifier().verify(issued[name], checks=["data-model", "proof"]).verified
    # each institution's lists live in its own folder of /status/, and are signed by its own DID
    for name in NAMES:
        url = issued[name]["credentialStatus"]["statusListCredential"]
        assert url.startswith(f"https://issuing.example.ca/status/{name}/")
        listed = service.get(url.removeprefix("https://issuing.example.ca")).json()
        assert listed["issuer"] == _did(service, name)
        assert _bit(service, issued[name]) == 0


def test_a_token_cannot_issue_as_another_institution(service: TestClient) -> None:
    """Institution A's token used to sign as B's DID: refused, nothing signed with B's key."""
    other = _did(service, "college-b")
    answer = _issue(service, "college-a", other)
    assert answer.status_code == 400 and answer.json()["code"] == "UNKNOWN_ISSUER"
    assert service.app.state.service.tenants["college-b"].issuer.store.all() == []  # type: ignore[attr-defined]
    assert _issue(service, "college-a", other, as_token="made-up-token").status_code == 401


def test_a_token_cannot_revoke_another_institutions_credential(service: TestClient) -> None:
    """Institution A's token used to revoke B's credential: not found (as an unknown one), and its bit stays 0."""
    credential = _issue(service, "college-b", _did(service, "college-b")).json()["verifiableCredential"]
    refused = _revoke(service, credential["id"], _token("college-a"))
    assert refused.status_code == 404 and refused.json()["code"] == "NOT_FOUND"
    assert _bit(service, credential) == 0
    assert _revoke(service, credential["id"], _token("college-b")).status_code == 200
    assert _bit(service, credential) == 1


def test_a_token_cannot_read_another_institutions_credential(service: TestClient) -> None:
    """``GET /credentials/{id}`` with A's token finds nothing of B's (as for an id never issued)."""
    credential = _issue(service, "college-b", _did(service, "college-b")).json()["verifiableCredential"]
    path = f"/credentials/{credential['id']}"
    refused = service.get(path, headers={"Authorization": f"Bearer {_token('college-a')}"})
    assert refused.status_code == 404 and refused.json()["code"] == "NOT_FOUND"
    assert service.get(path).status_code == 401
    found = service.get(path, headers={"Authorization": f"Bearer {_token('college-b')}"})
    assert found.status_code == 200 and found.json()["verifiableCredential"] == credential


def test_institutions_sharing_a_store_or_a_token_variable_are_refused(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    shared = {name: {"state_dir": "one-state"} for name in NAMES}
    with pytest.raises(ConfigError, match="same issuance store"):
        parse_config(_service_config(tmp_path, monkeypatch, shared), tmp_path)
    raw = _service_config(tmp_path, monkeypatch, {name: {"state_dir": name} for name in NAMES})
    raw["institutions"]["college-b"]["token_env"] = raw["institutions"]["college-a"]["token_env"]
    with pytest.raises(ConfigError, match="same variable"):
        parse_config(raw, tmp_path)
    raw = _service_config(tmp_path, monkeypatch, {name: {"state_dir": name} for name in NAMES})
    raw["institution"] = raw["institutions"]["college-a"]
    with pytest.raises(ConfigError, match="not both"):
        parse_config(raw, tmp_path)
    raw = _service_config(tmp_path, monkeypatch, {name: {"state_dir": name} for name in NAMES})
    raw["institutions"]["College A"] = raw["institutions"].pop("college-a")
    with pytest.raises(ConfigError, match="lower-case"):
        parse_config(raw, tmp_path)


def test_two_institutions_with_the_same_token_value_are_refused(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _service_config(tmp_path, monkeypatch, {name: {"state_dir": name} for name in NAMES})
    monkeypatch.setenv("OMC_TOKEN_COLLEGE_B", _token("college-a"))
    with pytest.raises(ConfigError, match="same bearer token"):
        create_app(parse_config(raw, tmp_path))


def test_the_vcapi_action_paths_are_not_credential_ids(service: TestClient) -> None:
    """``GET /credentials/{id}`` leaves the POST routes beside it as they were: a GET of one is a 405."""
    for action in ("verify", "issue", "status"):
        answer = service.get(f"/credentials/{action}", headers={"Authorization": f"Bearer {_token('college-a')}"})
        assert answer.status_code == 405 and answer.headers["allow"] == "POST"
