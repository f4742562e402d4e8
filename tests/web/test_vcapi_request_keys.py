"""``POST /credentials/issue`` with an Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) over HTTP: a
retry gets the first answer byte for byte, the key with another body is 422, a key whose request is still
being processed is 409, a malformed key is 400, and without the header nothing changes. The retry after a
kill is in tests/unit/test_issue_request_keys.py (simulated) and tests/web/test_serve_processes.py (real)."""

from __future__ import annotations

from typing import Any

import pytest

from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.keys import KeyPair
from omc_vc.web.vcapi import request_digest

from .conftest import TestClient

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"


def _body(issuer: str, name: str = "Ana Silva") -> dict[str, Any]:
    return {"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                           "issuer": issuer, "credentialSubject": {"id": "did:example:ana", "name": name}},
            "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}}


def _store(api: TestClient) -> Any:
    return api.app.state.service.tenants[""].issuer.store  # type: ignore[attr-defined]


def test_a_retry_with_the_key_gets_the_first_answer_byte_for_byte(api: TestClient, issuer_keys: list[KeyPair]) -> None:
    body = _body(issuer_keys[0].controller)
    first = api.post("/credentials/issue", json=body, headers={"Idempotency-Key": KEY})
    assert first.status_code == 201, first.text
    # the same JSON however it is spaced and ordered (JCS), and the key as the draft writes it (an RFC 8941 String)
    reordered = ('{"options": {"credentialStatus": {"statusPurpose": "revocation", '
                 '"type": "BitstringStatusListEntry"}},' f' "credential": {_json(body["credential"])}}}')
    for headers, content in (({"Idempotency-Key": KEY}, None), ({"Idempotency-Key": f'"{KEY}"'}, reordered)):
        again = api.post("/credentials/issue", headers={**headers, "Content-Type": "application/json"},
                         **({"json": body} if content is None else {"content": content}))
        assert again.status_code == 201
        assert again.content == first.content  # the same credential, not a second one
    assert len(_store(api).all()) == 1 and sum(info.used for info in _store(api).lists()) == 1


def _json(value: Any) -> str:
    import json

    return json.dumps(value, indent=1)


def test_the_key_with_another_body_is_422(api: TestClient, issuer_keys: list[KeyPair]) -> None:
    assert api.post("/credentials/issue", json=_body(issuer_keys[0].controller),
                    headers={"Idempotency-Key": KEY}).status_code == 201
    # a client that reuses a key for another learner would otherwise get the first learner's credential back
    other = api.post("/credentials/issue", json=_body(issuer_keys[0].controller, "Someone Else"),
                     headers={"Idempotency-Key": KEY})
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert len(_store(api).all()) == 1


def test_a_key_whose_request_is_still_processed_is_409(api: TestClient, issuer_keys: list[KeyPair]) -> None:
    store = _store(api)
    with SqliteStore(store.path) as another_process, another_process.hold_key(KEY) as held:
        assert held  # another process is processing the first request with this key
        busy = api.post("/credentials/issue", json=_body(issuer_keys[0].controller), headers={"Idempotency-Key": KEY})
        assert busy.status_code == 409
        assert busy.json()["code"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
        assert store.all() == [] and store.pending() == []  # nothing was started for it
    done = api.post("/credentials/issue", json=_body(issuer_keys[0].controller), headers={"Idempotency-Key": KEY})
    assert done.status_code == 201


@pytest.mark.parametrize("value", [b"", b'""', b"x" * 256, b'"' + b"x" * 256 + b'"', "caf\u00e9".encode(),
                                   b"tab\there", b'"unterminated', b'"bad \\n escape"', b'"trailing" x',
                                   b'"a";param=1'])
def test_a_malformed_key_is_400(api: TestClient, issuer_keys: list[KeyPair], value: bytes) -> None:
    response = api.post("/credentials/issue", json=_body(issuer_keys[0].controller),
                        headers=[(b"Idempotency-Key", value)])
    assert response.status_code == 400, value
    assert response.json()["code"] == "IDEMPOTENCY_KEY_INVALID"
    assert _store(api).all() == []


def test_two_key_fields_are_400_and_a_long_key_is_taken(api: TestClient, issuer_keys: list[KeyPair]) -> None:
    two = api.post("/credentials/issue", json=_body(issuer_keys[0].controller),
                   headers=[(b"Idempotency-Key", b"a"), (b"Idempotency-Key", b"b")])
    assert two.status_code == 400 and two.json()["code"] == "IDEMPOTENCY_KEY_INVALID"
    for longest in ("x" * 255, '"' + "y" * 254 + "\\\\" + '"'):  # 255 characters (the second once unescaped)
        answer = api.post("/credentials/issue", json=_body(issuer_keys[0].controller),
                          headers={"Idempotency-Key": longest})
        assert answer.status_code == 201, answer.text


def test_without_the_header_every_request_is_issued(api: TestClient, issuer_keys: list[KeyPair]) -> None:
    body = _body(issuer_keys[0].controller)
    one, two = (api.post("/credentials/issue", json=body) for _ in range(2))
    assert one.status_code == two.status_code == 201
    assert one.json()["verifiableCredential"]["id"] != two.json()["verifiableCredential"]["id"]


def test_the_fingerprint_is_the_canonical_body() -> None:
    assert request_digest({"b": 1, "a": [1.0, "é"]}) == request_digest({"a": [1, "é"], "b": 1})
    assert request_digest({"a": 1}) != request_digest({"a": 2})
    assert request_digest({"a": 2**60}) != request_digest({"a": 2**60 + 1})  # beyond JCS's numbers too


def test_the_api_description_lists_the_header_and_its_answers(api: TestClient) -> None:
    operation = api.get("/openapi.json").json()["paths"]["/credentials/issue"]["post"]
    [header] = [p for p in operation["parameters"] if p.get("name") == "Idempotency-Key"]
    assert header["in"] == "header" and header["required"] is False
    assert {"409", "422"} <= set(operation["responses"])
