"""VerifyFastPath (omc_vc/web/app.py): the VC-API verify routes answered without Starlette's router.

It must be invisible: for every kind of request the answer (status, headers, body) is the one the
routed endpoint gives.
"""

from __future__ import annotations

from typing import Any

import pytest

from omc_vc.web.app import VerifyFastPath, create_app

from .conftest import TestClient
from .world import WebWorld

Request = tuple[str, str, dict[str, Any]]


def _requests(world: WebWorld) -> list[Request]:
    good, _ = world.credential("college")
    tampered = {**good, "name": "Something else"}
    return [
        ("POST", "/credentials/verify", {"json": {"verifiableCredential": good}}),
        ("POST", "/credentials/verify", {"json": {"verifiableCredential": tampered}}),
        ("POST", "/credentials/verify", {"json": {"verifiableCredential": good, "options": {"checks": ["nope"]}}}),
        ("POST", "/credentials/verify", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),
        ("POST", "/credentials/verify", {"content": b"[1, 2]"}),
        ("POST", "/credentials/verify", {"content": b""}),
        ("POST", "/presentations/verify", {"json": {"verifiablePresentation": good}}),
        ("POST", "/presentations/verify", {"json": {}}),
        ("GET", "/credentials/verify", {}),
        ("PUT", "/presentations/verify", {"json": {}}),
        ("POST", "/credentials/verify/", {"json": {"verifiableCredential": good}}),
    ]


def _answers(world: WebWorld, requests: list[Request]) -> list[tuple[int, dict[str, str], bytes]]:
    answers = []
    with TestClient(create_app(world.config()), follow_redirects=False) as web:
        for method, path, kwargs in requests:
            response = web.request(method, path, **kwargs)
            headers = {k: v for k, v in response.headers.items() if k not in ("date", "content-length")}
            answers.append((response.status_code, headers, response.content))
    return answers


def test_fast_path_answers_exactly_as_the_router(world: WebWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    requests = _requests(world)
    fast = _answers(world, requests)

    async def routed_only(self: VerifyFastPath, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    monkeypatch.setattr(VerifyFastPath, "__call__", routed_only)
    routed = _answers(world, requests)
    assert [a[0] for a in fast] == [a[0] for a in routed]
    for (status, headers, body), (_, routed_headers, routed_body) in zip(fast, routed, strict=True):
        assert headers == routed_headers, status
        assert body == routed_body, status
    statuses = [a[0] for a in fast]
    assert statuses[0] == 200 and statuses[1] == 400 and statuses[3] == 400
    assert statuses[8] == 405 and statuses[9] == 405


def test_fast_path_answers_carry_the_security_headers(world: WebWorld) -> None:
    credential, _ = world.credential("college")
    with TestClient(create_app(world.config())) as web:
        ok = web.post("/credentials/verify", json={"verifiableCredential": credential})
        bad = web.post("/credentials/verify", content=b"{")
    for response in (ok, bad):
        assert response.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["code"] == "PARSING_ERROR"


def test_behind_a_root_path_the_router_answers_each_verify_route_with_its_own_work(world: WebWorld) -> None:
    # VerifyFastPath steps aside when a root_path is set; the one routed endpoint then picks the work by path
    credential, _ = world.credential("college")
    with TestClient(create_app(world.config()), root_path="/omc") as web:
        issued = web.post("/omc/credentials/verify", json={"verifiableCredential": credential})
        # the same body at the presentations route: its work wants a verifiablePresentation
        presented = web.post("/omc/presentations/verify", json={"verifiableCredential": credential})
    assert issued.status_code == 200 and issued.json()["errors"] == []
    assert presented.status_code == 400
