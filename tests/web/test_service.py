"""The employer's verifier service: verdicts, link mode, uploads, shares, hosting and limits."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omc_vc.errors import ConfigError
from omc_vc.issue.config import parse_config
from omc_vc.keys import KeyPair, save_key
from omc_vc.qr import encode_link, make_qr_image
from omc_vc.web.app import BusyError, DeadlineError, Service, create_app, load_institution_keys
from omc_vc.web.config import Limits, SharesConfig, WebConfig

from .conftest import TestClient
from .world import COLLEGE, LEARNER, WebWorld, share_presentation


def _page(client: TestClient, credential: Any) -> dict[str, Any]:
    response = client.post("/verify/text", content=json.dumps(credential))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_listed_college_credential_gets_omc_verdict_with_every_fact(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("college")
    out = _page(client, vc)
    assert out["verdict"]["status"] == "valid-omc"
    assert out["verdict"]["institution"] == COLLEGE
    summary = out["summary"]
    assert summary["learner"] == LEARNER
    assert summary["achievement"] == "Welding Safety Fundamentals"
    assert summary["instructionalHours"] == 30
    assert summary["qualificationCategory"] == "Non-OQF Micro-credential"
    assert summary["credits"] == 3 and summary["creditUnit"] == "credit"
    assert summary["issued"] == vc["validFrom"]
    names = [c["name"] for c in out["checks"]]
    for name in ("proof", "issuer-key-binding", "status", "omc-profile", "issuer-authorized"):
        assert name in names
    assert all(c["status"] in ("passed", "skipped") for c in out["checks"])


def test_omc_plus_shows_its_stacking_target(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("college", plus=True)
    out = _page(client, vc)
    assert out["verdict"]["status"] == "valid-omc-plus"
    assert out["summary"]["stacksInto"][0]["name"] == "Welding Techniques Certificate"
    assert out["summary"]["stacksInto"][0]["creditRequired"] == 12


def test_forged_hours_are_invalid_with_the_reason(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("college")
    vc["credentialSubject"]["achievement"]["instructionalHours"] = 300
    out = _page(client, vc)
    assert out["verdict"]["status"] == "invalid"
    assert "signature" in out["verdict"]["reason"].lower()
    assert not out["verified"]


def test_unlisted_issuer_is_valid_but_not_an_omc(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("nowhere")
    out = _page(client, vc)
    assert out["verdict"]["status"] == "valid-not-omc"
    assert out["verdict"]["institution"] is None


def test_revoked_credential_changes_the_verdict(client: TestClient, world: WebWorld) -> None:
    vc, index = world.credential("college")
    assert _page(client, vc)["verdict"]["status"] == "valid-omc"
    world.revoke("college", index)
    out = _page(client, vc)
    assert out["verdict"]["status"] == "invalid"
    assert "revoked" in out["verdict"]["reason"].lower()


def test_link_mode_fragment_is_decoded_and_verified(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("college")
    link = encode_link(vc, world.base_url)
    fragment = link.split("#", 1)[1]
    response = client.post("/verify/fragment", content=fragment)
    assert response.json()["verdict"]["status"] == "valid-omc"
    # the whole link pasted into the page works too
    assert _page_text(client, link)["verdict"]["status"] == "valid-omc"


def _page_text(client: TestClient, text: str) -> dict[str, Any]:
    response = client.post("/verify/text", content=text)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_corrupted_fragment_gives_a_reason_not_an_error(client: TestClient) -> None:
    out = client.post("/verify/fragment", content="01not-a-real-payload!!").json()
    assert out["verdict"]["status"] == "unreadable"  # nothing was read as a credential: no verdict on one
    assert out["verdict"]["reason"]


def test_uploaded_qr_image_is_read_and_verified(client: TestClient, world: WebWorld, tmp_path: Path) -> None:
    vc, _ = world.credential("college", plus=True)
    image = tmp_path / "qr.png"
    make_qr_image(encode_link(vc, world.base_url), image, kind="png")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(scratch))
        response = client.post("/verify/upload", files={"file": ("qr.png", image.read_bytes(), "image/png")})
    assert response.status_code == 200
    assert response.json()["verdict"]["status"] == "valid-omc-plus"
    assert list(scratch.iterdir()) == []  # the uploaded image is not kept


def test_uploaded_svg_qr_code_is_read(client: TestClient, world: WebWorld, tmp_path: Path) -> None:
    vc, _ = world.credential("college")
    image = tmp_path / "qr.svg"
    make_qr_image(encode_link(vc, world.base_url), image, kind="svg")
    response = client.post("/verify/upload", files={"file": ("qr.svg", image.read_bytes(), "image/svg+xml")})
    assert response.json()["verdict"]["status"] == "valid-omc"


def test_uploaded_credential_file_is_verified(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("college")
    response = client.post("/verify/upload", files={"file": ("c.json", json.dumps(vc).encode(), "application/json")})
    assert response.json()["verdict"]["status"] == "valid-omc"


def test_image_without_qr_code_is_explained(client: TestClient, tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "blank.png"
    Image.new("L", (64, 64), 255).save(path)
    out = client.post("/verify/upload", files={"file": ("b.png", path.read_bytes(), "image/png")}).json()
    assert out["verdict"]["status"] == "unreadable"
    assert "QR" in out["verdict"]["reason"] or "qr" in out["verdict"]["reason"].lower()


def test_oversized_body_is_refused_with_413(world: WebWorld) -> None:
    config = world.config(limits=Limits(max_body_bytes=4096, max_upload_bytes=8192))
    with TestClient(create_app(config)) as small:
        assert small.post("/verify/text", content="x" * 5000).status_code == 413

        def chunks() -> Any:  # no Content-Length: the cap counts the bytes actually received
            for _ in range(10):
                yield b"y" * 1000

        assert small.post("/credentials/verify", content=chunks()).status_code == 413
        assert small.post("/verify/upload", files={"file": ("a.png", b"\x89PNG" + b"0" * 9000)}).status_code == 413


def test_deeply_nested_json_is_a_400_not_a_crash(client: TestClient) -> None:
    body = "[" * 5000 + "]" * 5000
    response = client.post("/credentials/verify", content=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_page_has_strict_csp_and_no_third_party_resources(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script>" not in html and "style=" not in html  # no inline code the CSP would block
    for asset in ("/static/app.js", "/static/app.css"):
        assert client.get(asset).status_code == 200
    # labels for every input (accessibility)
    for field_id in re.findall(r'<(?:input|textarea)[^>]*id="([^"]+)"', html):
        assert f'for="{field_id}"' in html


def test_hosted_status_registry_and_openapi(client: TestClient, world: WebWorld) -> None:
    status = client.get("/status/college")
    assert status.status_code == 200 and "BitstringStatusListCredential" in status.json()["type"]
    assert client.get("/status/..%2Fregistry").status_code == 404  # no path traversal
    assert client.get("/registry.json").json() == json.loads(world.registry_file.read_text())
    spec = client.get("/openapi.json").json()
    for path in ("/credentials/verify", "/presentations/verify", "/credentials/issue", "/credentials/status",
                 "/shares/challenge", "/shares", "/shares/{id}", "/.well-known/openid-federation", "/fetch",
                 "/subordinate_listing", "/dcc-legacy-registry.json"):
        assert path in spec["paths"]
    assert spec["paths"]["/shares"]["post"]["requestBody"]["content"]["application/json"]["schema"]["required"] \
        == ["presentation"]


def test_did_web_document_is_hosted_and_pinned(tmp_path: Path, world: WebWorld) -> None:
    from omc_vc.did import did_web, did_web_document

    key = KeyPair.generate("ed25519")
    did = did_web("verify.example.ca")
    doc_path = tmp_path / "did.json"
    doc_path.write_text(json.dumps(did_web_document(did, [key.public_key], fragments=["key-1"])))
    config = world.config(hosted=world.config().hosted.__class__(registry_file=world.registry_file,
                                                                 status_dir=world.status_dir,
                                                                 did_documents={"/.well-known/did.json": doc_path}))
    with TestClient(create_app(config)) as web:
        assert web.get("/.well-known/did.json").json()["id"] == did
        from omc_vc.proofs.data_integrity import add_proof

        signer = key.with_id(f"{did}#key-1", did)
        vc = add_proof({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                        "issuer": did, "credentialSubject": {"id": "did:example:1"}}, signer)
        # offline service: the did:web issuer resolves only because the service hosts (pins) it
        response = web.post("/credentials/verify", json={"verifiableCredential": vc})
        assert response.status_code == 200, response.text


def _challenge(client: TestClient) -> dict[str, Any]:
    response = client.post("/shares/challenge")
    assert response.status_code == 200, response.text
    offer = dict(response.json())
    assert response.headers["cache-control"] == "no-store"
    return offer


def _share(client: TestClient, credential: dict[str, Any] | str, holder: KeyPair, ttl: int = 3600,
           **options: Any) -> Any:
    """The wallet's flow: a challenge, then a presentation of the credential signed by the holder key."""
    offer = _challenge(client)
    presentation = share_presentation(credential, holder, offer["challenge"], offer["domain"], **options)
    return client.post("/shares", json={"presentation": presentation, "ttlSeconds": ttl})


def _refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    problem = dict(response.json())
    assert problem["code"] == code and response.headers["content-type"].startswith("application/problem+json")
    return problem


def test_short_mode_share_lifecycle(client: TestClient, world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    vc, _ = world.credential("college", holder=holder.controller)
    offer = _challenge(client)
    assert offer["domain"] == world.base_url and len(offer["challenge"]) >= 32
    created = client.post("/shares", json={"presentation": share_presentation(vc, holder, offer["challenge"],
                                                                              offer["domain"]), "ttlSeconds": 3600})
    assert created.status_code == 201, created.text
    share = created.json()
    assert share["url"] == f"{world.base_url}/s/{share['id']}"
    assert client.get(f"/shares/{share['id']}").json() == vc  # the credential, not the presentation
    page = client.get(f"/s/{share['id']}")
    assert f'data-share="{share["id"]}"' in page.text
    assert client.post(f"/verify/share/{share['id']}").json()["verdict"]["status"] == "valid-omc"
    # the short link pasted into the page resolves locally (never fetched)
    assert _page_text(client, share["url"])["verdict"]["status"] == "valid-omc"
    # withdrawal needs the token
    assert client.delete(f"/shares/{share['id']}").status_code == 401
    assert client.delete(f"/shares/{share['id']}", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get(f"/shares/{share['id']}").status_code == 200
    gone = client.delete(f"/shares/{share['id']}", headers={"Authorization": f"Bearer {share['withdrawToken']}"})
    assert gone.status_code == 204
    assert client.get(f"/shares/{share['id']}").status_code == 404
    assert client.post(f"/verify/share/{share['id']}").json()["verdict"]["status"] == "share-unavailable"


def test_share_refuses_junk_and_bad_ttl(client: TestClient, world: WebWorld) -> None:
    assert client.post("/shares", json={"presentation": "not a presentation"}).status_code == 400
    assert client.post("/shares", json={"presentation": {"type": "Thing"}}).status_code == 400
    assert client.post("/shares", json=[1]).status_code == 400
    holder = KeyPair.generate("ed25519")
    vc, _ = world.credential("college", holder=holder.controller)
    offer = _challenge(client)
    presentation = share_presentation(vc, holder, offer["challenge"], offer["domain"])
    for ttl in (10, 10**9, "3600", True):
        _refused(client.post("/shares", json={"presentation": presentation, "ttlSeconds": ttl}), 400, "BAD_TTL")
    # a bad TTL is refused before the challenge is used: the same presentation still creates the share
    assert client.post("/shares", json={"presentation": presentation, "ttlSeconds": 3600}).status_code == 201


def test_share_without_holder_proof_is_refused(client: TestClient, world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    vc, _ = world.credential("college", holder=holder.controller)
    # the old anonymous body: anyone could host anything
    problem = _refused(client.post("/shares", json={"credential": vc, "ttlSeconds": 3600}), 400,
                       "HOLDER_PROOF_REQUIRED")
    assert "presentation" in problem["detail"] and "/shares/challenge" in problem["detail"]
    # an unsigned presentation
    offer = _challenge(client)
    unsigned = {k: v for k, v in share_presentation(vc, holder, offer["challenge"], offer["domain"]).items()
                if k != "proof"}
    _refused(client.post("/shares", json={"presentation": unsigned}), 403, "HOLDER_PROOF_REQUIRED")
    # a signed presentation whose credential was swapped after signing
    other, _ = world.credential("college", plus=True, holder=holder.controller)
    offer = _challenge(client)
    swapped = share_presentation(vc, holder, offer["challenge"], offer["domain"])
    swapped["verifiableCredential"] = [other]
    _refused(client.post("/shares", json={"presentation": swapped}), 403, "HOLDER_PROOF_INVALID")
    # signed for another service (domain), and an assertion proof instead of an authentication one
    offer = _challenge(client)
    elsewhere = share_presentation(vc, holder, offer["challenge"], "https://other-verifier.example")
    _refused(client.post("/shares", json={"presentation": elsewhere}), 403, "HOLDER_PROOF_INVALID")
    from omc_vc.proofs.data_integrity import add_proof

    offer = _challenge(client)
    assertion = add_proof({k: v for k, v in unsigned.items()}, holder, purpose="assertionMethod",
                          challenge=offer["challenge"], domain=offer["domain"])
    _refused(client.post("/shares", json={"presentation": assertion}), 403, "HOLDER_PROOF_INVALID")
    # a presentation without a holder: nobody is bound to it
    offer = _challenge(client)
    anonymous = add_proof({k: v for k, v in unsigned.items() if k != "holder"}, holder, purpose="authentication",
                          challenge=offer["challenge"], domain=offer["domain"])
    _refused(client.post("/shares", json={"presentation": anonymous}), 403, "HOLDER_PROOF_REQUIRED")
    assert client.app.state.service.shares._usage()[0] == 0  # type: ignore[attr-defined]


def test_share_of_someone_elses_credential_is_refused(client: TestClient, world: WebWorld) -> None:
    learner, stranger = KeyPair.generate("ed25519"), KeyPair.generate("ed25519")
    vc, _ = world.credential("college", holder=learner.controller)
    # the stranger presents the learner's credential under their own key
    problem = _refused(_share(client, vc, stranger), 403, "HOLDER_NOT_SUBJECT")
    assert learner.controller in problem["detail"] and stranger.controller in problem["detail"]
    # or claims to be the learner while signing with their own key
    _refused(_share(client, vc, stranger, holder_did=learner.controller), 403, "HOLDER_PROOF_INVALID")
    assert client.app.state.service.shares._usage()[0] == 0  # type: ignore[attr-defined]
    assert _share(client, vc, learner).status_code == 201  # the learner can


def test_share_of_a_bearer_credential_is_refused(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("college")  # issued to an e-mail hash: no subject id
    problem = _refused(_share(client, vc, KeyPair.generate("ed25519")), 403, "SHARE_BEARER_CREDENTIAL")
    assert "link mode" in problem["detail"]


def test_share_of_a_forged_credential_is_refused(client: TestClient, world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    vc, _ = world.credential("college", holder=holder.controller)
    vc["credentialSubject"]["achievement"]["instructionalHours"] = 300  # the holder signs the forged copy
    _refused(_share(client, vc, holder), 400, "SHARE_CREDENTIAL_INVALID")


def test_share_of_a_jwt_credential_hosts_the_jwt(client: TestClient) -> None:
    from omc_vc.proofs import jose

    issuer, holder = KeyPair.generate("ed25519"), KeyPair.generate("ed25519")
    token = jose.sign_jwt({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                           "issuer": issuer.controller, "credentialSubject": {"id": holder.controller}}, issuer)
    created = _share(client, token, holder)
    assert created.status_code == 201, created.text
    hosted = client.get(f"/shares/{created.json()['id']}")
    assert hosted.text == token and hosted.headers["content-type"].startswith("application/jwt")


def test_share_challenge_replay_is_refused(client: TestClient, world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    vc, _ = world.credential("college", holder=holder.controller)
    offer = _challenge(client)
    presentation = share_presentation(vc, holder, offer["challenge"], offer["domain"])
    assert client.post("/shares", json={"presentation": presentation}).status_code == 201
    # the same presentation again (captured on the wire, or sent twice)
    _refused(client.post("/shares", json={"presentation": presentation}), 403, "SHARE_CHALLENGE_INVALID")
    # a challenge the service never issued
    made_up = share_presentation(vc, holder, "A" * 43, offer["domain"])
    _refused(client.post("/shares", json={"presentation": made_up}), 403, "SHARE_CHALLENGE_INVALID")
    # a failed attempt uses the challenge up too
    offer = _challenge(client)
    stranger = share_presentation(vc, KeyPair.generate("ed25519"), offer["challenge"], offer["domain"])
    _refused(client.post("/shares", json={"presentation": stranger}), 403, "HOLDER_NOT_SUBJECT")
    retry = share_presentation(vc, holder, offer["challenge"], offer["domain"])
    _refused(client.post("/shares", json={"presentation": retry}), 403, "SHARE_CHALLENGE_INVALID")


def test_share_per_holder_limit(world: WebWorld) -> None:
    config = world.config(shares=SharesConfig(max_per_holder=2, rate_burst=100))
    holder, other = KeyPair.generate("ed25519"), KeyPair.generate("ed25519")
    with TestClient(create_app(config)) as web:
        vc, _ = world.credential("college", holder=holder.controller)
        first = _share(web, vc, holder)
        assert first.status_code == 201 and _share(web, vc, holder).status_code == 201
        problem = _refused(_share(web, vc, holder), 429, "SHARE_HOLDER_LIMIT")
        assert "withdraw" in problem["detail"]
        theirs, _ = world.credential("college", holder=other.controller)
        assert _share(web, theirs, other).status_code == 201  # another holder is not affected
        token = first.json()["withdrawToken"]
        assert web.delete(f"/shares/{first.json()['id']}", headers={"Authorization": f"Bearer {token}"}).status_code \
            == 204
        assert _share(web, vc, holder).status_code == 201  # a withdrawn share frees its place


def test_share_requests_are_rate_limited_per_client(world: WebWorld) -> None:
    config = world.config(shares=SharesConfig(rate_burst=3, rate_per_minute=1))
    with TestClient(create_app(config)) as web:
        for _ in range(3):
            assert web.post("/shares/challenge").status_code == 200
        _refused(web.post("/shares/challenge"), 429, "SHARE_RATE_LIMITED")
        _refused(web.post("/shares", json={"presentation": {}}), 429, "SHARE_RATE_LIMITED")
        assert web.post("/verify/text", content="x").status_code == 200  # verifying is not limited by it


def test_rate_limiter_refills_and_keeps_its_memory_bounded() -> None:
    from omc_vc.web.limits import RateLimiter

    clock = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, max_clients=2, clock=lambda: clock[0])
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    clock[0] += 1.0
    assert limiter.allow("a") and not limiter.allow("a")  # one token a second
    assert limiter.allow("b")
    assert not limiter.allow("c")  # two limited clients tracked: a third is refused, not a bucket forgotten
    clock[0] += 10.0
    assert limiter.allow("c")  # once the others have refilled their buckets are dropped
    assert len(limiter._buckets) <= 2


EVIL = "https://evil.example"


def test_cross_site_form_post_is_refused(client: TestClient, world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    vc, _ = world.credential("college", holder=holder.controller)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for path in ("/verify/text", "/verify/fragment", "/verify/upload", "/shares", "/shares/challenge",
                 "/credentials/verify", "/presentations/verify", "/credentials/issue"):
        for headers in ({"Origin": EVIL, **form}, {"Origin": EVIL, "Content-Type": "application/json"},
                        {"Origin": "null", **form}, {"Sec-Fetch-Site": "cross-site", **form},
                        {"Origin": "https://sub.verify.example.ca", "Sec-Fetch-Site": "same-site"}):
            problem = _refused(client.post(path, content=json.dumps(vc), headers=headers), 403, "CROSS_SITE_REQUEST")
            assert "another site" in problem["detail"] or "cross-site" in problem["detail"] \
                or "same-site" in problem["detail"]
    assert client.delete("/shares/" + "x" * 22, headers={"Origin": EVIL}).status_code == 403
    # a form post from a browser that sends no Origin still cannot reach a JSON endpoint
    for kind in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"):
        for path in ("/shares", "/shares/challenge", "/credentials/verify", "/presentations/verify"):
            _refused(client.post(path, content=b"a=b", headers={"Content-Type": kind}), 415,
                     "UNSUPPORTED_CONTENT_TYPE")
    # nothing was created by any of it
    assert client.app.state.service.shares._usage()[0] == 0  # type: ignore[attr-defined]
    assert client.app.state.service.challenges._count() == 0  # type: ignore[attr-defined]


def test_same_origin_post_passes(client: TestClient, world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    vc, _ = world.credential("college", holder=holder.controller)
    page = {"Origin": world.base_url, "Sec-Fetch-Site": "same-origin"}
    # what the page's own script sends (omc_vc/web/static/app.js): text/plain and multipart, with Origin
    text = client.post("/verify/text", content=json.dumps(vc),
                       headers={**page, "Content-Type": "text/plain;charset=UTF-8"})
    assert text.status_code == 200 and text.json()["verdict"]["status"] != "invalid"
    upload = client.post("/verify/upload", files={"file": ("c.json", json.dumps(vc).encode(), "application/json")},
                         headers=page)
    assert upload.status_code == 200 and upload.json()["verdict"] == text.json()["verdict"]
    assert client.post("/verify/fragment", content="01", headers={**page, "Content-Type": "text/plain"}).status_code \
        == 200
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}, headers=page).status_code == 200
    offer = client.post("/shares/challenge", headers=page).json()
    created = client.post("/shares", headers=page, json={
        "presentation": share_presentation(vc, holder, offer["challenge"], offer["domain"])})
    assert created.status_code == 201, created.text
    # a user-initiated request (Sec-Fetch-Site: none) and tools that send no Origin (curl, the CLI, VC-API clients)
    assert client.post("/credentials/verify", json={"verifiableCredential": vc},
                       headers={"Sec-Fetch-Site": "none"}).status_code == 200
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200
    assert client.post("/verify/text", content=json.dumps(vc),
                       headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200


def test_loopback_service_without_public_url_accepts_its_loopback_names_only(world: WebWorld) -> None:
    from dataclasses import replace

    config = replace(world.config(), public_url=None, host="127.0.0.1", port=8000)
    with TestClient(create_app(config), base_url="http://localhost:8000") as web:
        assert web.post("/verify/text", content="x", headers={"Origin": "http://localhost:8000"}).status_code == 200
        assert web.post("/verify/text", content="x", headers={"Origin": "http://127.0.0.1:8000"}).status_code == 200
        assert web.post("/verify/text", content="x", headers={"Origin": "http://localhost:3000"}).status_code == 403
    # DNS rebinding: evil.example resolved to this loopback service; the page's origin names evil.example
    with TestClient(create_app(config), base_url="http://evil.example:8000") as web:
        assert web.post("/verify/text", content="x", headers={"Origin": "http://evil.example:8000"}).status_code \
            == 403


def test_issue_endpoints_need_the_bearer_token(api: TestClient, issuer_keys: list[KeyPair]) -> None:
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "issuer": issuer_keys[0].controller, "credentialSubject": {"id": "did:example:1"}}
    no_auth = api.post("/credentials/issue", json={"credential": credential}, headers={"Authorization": ""})
    assert no_auth.status_code == 401
    wrong = api.post("/credentials/issue", json={"credential": credential}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert api.post("/credentials/status", json={"credentialId": "urn:x"}, headers={"Authorization": ""}).status_code \
        == 401
    assert api.post("/credentials/issue", json={"credential": credential}).status_code == 201


def test_verifier_only_service_refuses_to_issue(client: TestClient) -> None:
    response = client.post("/credentials/issue", json={"credential": {}}, headers={"Authorization": "Bearer x"})
    assert response.status_code == 403


def test_demo_and_plaintext_keys_are_refused_outside_demo_mode(tmp_path: Path) -> None:
    pair = KeyPair.generate("ed25519")
    plain = save_key(tmp_path / "issuer.key", pair, None, insecure_plaintext=True)
    demo = save_key(tmp_path / "demo-college.key", pair, "a passphrase")
    with pytest.raises(ConfigError, match="UNENCRYPTED"):
        load_institution_keys(parse_config({"keys": [str(plain)]}, tmp_path), demo=False)
    with pytest.raises(ConfigError, match="DEMO"):
        load_institution_keys(parse_config({"keys": [str(demo)]}, tmp_path), demo=False)
    plain_config = parse_config({"keys": [str(plain)]}, tmp_path)
    assert load_institution_keys(plain_config, demo=True)[0].controller == pair.controller


def test_encrypted_key_needs_its_passphrase_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pair = KeyPair.generate("p256")
    path = save_key(tmp_path / "issuer.key", pair, "correct horse")
    with pytest.raises(ConfigError, match="passphrase"):
        load_institution_keys(parse_config({"keys": [str(path)]}, tmp_path), demo=False)
    monkeypatch.setenv("OMC_TEST_PASS", "correct horse")
    encrypted = parse_config({"keys": [str(path)], "passphrase_env": "OMC_TEST_PASS"}, tmp_path)
    keys = load_institution_keys(encrypted, demo=False)
    assert keys[0].public_key == pair.public_key


def test_submitted_credentials_are_never_logged(client: TestClient, world: WebWorld,
                                                caplog: pytest.LogCaptureFixture) -> None:
    vc, _ = world.credential("college")
    marker = "SECRET-LEARNER-MARKER-7f3a"
    vc["credentialSubject"]["achievement"]["name"] = marker
    caplog.set_level(logging.DEBUG)
    client.post("/verify/text", content=json.dumps(vc))
    client.post("/credentials/verify", json={"verifiableCredential": vc})
    client.post("/verify/fragment", content=marker)
    assert marker not in caplog.text


def test_internal_error_is_a_bare_500_logged_by_type_only(world: WebWorld, caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(world.config())
    service: Service = app.state.service

    def explode(text: str, **_: Any) -> Any:
        raise RuntimeError(f"boom with {text}")

    monkeypatch.setattr(service, "verify_pasted", explode)
    caplog.set_level(logging.DEBUG)
    with TestClient(app) as web:
        response = web.post("/verify/text", content="PRIVATE-INPUT-123")
    assert response.status_code == 500
    assert "PRIVATE-INPUT-123" not in response.text and "PRIVATE-INPUT-123" not in caplog.text
    assert "RuntimeError" in caplog.text


def test_slow_verification_hits_the_deadline(world: WebWorld) -> None:
    service = Service(world.config(limits=Limits(verify_timeout_seconds=0.2, verify_threads=1, max_pending=1)))
    started = time.monotonic()

    async def scenario() -> None:
        with pytest.raises(DeadlineError):
            await service.run(time.sleep, 1.0)
        # the slow job still holds the only slot: new work is refused, not queued without bound
        with pytest.raises(BusyError):
            await service.run(time.sleep, 0)

    asyncio.run(scenario())
    assert time.monotonic() - started < 0.9
    service.close()


def test_busy_service_answers_503(world: WebWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(world.config(limits=Limits(verify_timeout_seconds=0.2, verify_threads=1, max_pending=1)))
    service: Service = app.state.service
    monkeypatch.setattr(service, "verify_pasted", lambda text, **_: time.sleep(1.0))
    with TestClient(app) as web:
        first = web.post("/verify/text", content="x")
        second = web.post("/verify/text", content="x")
    assert first.status_code == 503 and first.json()["code"] == "VERIFICATION_TIMEOUT"
    assert second.status_code == 503 and second.json()["code"] == "SERVICE_BUSY"


def test_config_file_round_trip_and_errors(tmp_path: Path) -> None:
    from omc_vc.web.config import config_to_raw, load_config, parse_config

    path = tmp_path / "serve.yaml"
    path.write_text("port: 9000\nregistry: https://mcu.example.ca/r.json\nshares: {dir: shares}\n"
                    "limits: {max_body_bytes: 65536}\n")
    config = load_config(path)
    assert config.port == 9000 and config.shares.dir == tmp_path / "shares"
    assert config.limits.max_body_bytes == 65536
    assert parse_config(config_to_raw(config), Path("/")) == config
    path.write_text("port: 99999\n")
    with pytest.raises(ConfigError, match="port"):
        load_config(path)
    path.write_text("colour: blue\n")
    with pytest.raises(ConfigError, match="colour"):
        load_config(path)


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for response in (client.get("/openapi.json"), client.post("/credentials/verify", content="{}"),
                     client.get("/nope")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert WebConfig().base_url() == "http://127.0.0.1:8000"



JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["@context", "type", "proof", "issuer", "credentialSubject", "verifiableCredential",
                         "verifiablePresentation", "options", "credential", "id", "validFrom", "cryptosuite",
                         "proofValue", "challenge", "checks", "credentialStatus"]),
        children, max_size=5),
    max_leaves=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSON, path=st.sampled_from(["/credentials/verify", "/presentations/verify", "/credentials/issue",
                                        "/credentials/status", "/shares", "/verify/text", "/verify/fragment"]))
def test_hostile_bodies_never_crash_the_service(api: TestClient, body: Any, path: str) -> None:
    response = api.post(path, content=json.dumps(body))
    assert response.status_code < 500 or response.status_code == 503, (path, body, response.text[:200])
