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
from omc_vc.keys import KeyPair, save_key
from omc_vc.qr import encode_link, make_qr_image
from omc_vc.web.app import BusyError, DeadlineError, Service, create_app, load_institution_keys
from omc_vc.web.config import InstitutionConfig, Limits, WebConfig
from omc_vc.web.shares import ShareStore

from .conftest import TestClient
from .world import COLLEGE, LEARNER, WebWorld


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
    assert out["verdict"]["status"] == "invalid"
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
    assert out["verdict"]["status"] == "invalid"
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
                 "/shares", "/shares/{id}"):
        assert path in spec["paths"]


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


def test_short_mode_share_lifecycle(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("college")
    created = client.post("/shares", json={"credential": vc, "ttlSeconds": 3600})
    assert created.status_code == 201
    share = created.json()
    assert share["url"] == f"{world.base_url}/s/{share['id']}"
    assert client.get(f"/shares/{share['id']}").json() == vc
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
    assert client.post(f"/verify/share/{share['id']}").json()["verdict"]["status"] == "invalid"


def test_share_refuses_junk_and_bad_ttl(client: TestClient) -> None:
    assert client.post("/shares", json={"credential": "not a jwt"}).status_code == 400
    assert client.post("/shares", json={"credential": {"type": "Thing"}}).status_code == 400
    vc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}
    assert client.post("/shares", json={"credential": vc, "ttlSeconds": 10}).status_code == 400
    assert client.post("/shares", json={"credential": vc, "ttlSeconds": 10**9}).status_code == 400


def test_expired_share_is_gone(tmp_path: Path) -> None:
    from datetime import timedelta

    from omc_vc._internal.timeutil import utcnow

    for folder in (None, tmp_path / "shares"):
        store = ShareStore(folder)
        share, token = store.create({"type": ["VerifiableCredential"]}, 60)
        assert store.get(share.id) is not None
        later = utcnow() + timedelta(seconds=61)
        assert store.get(share.id, now=later) is None
        assert not store.withdraw(share.id, token, now=later)
    on_disk = list((tmp_path / "shares").glob("*.json"))
    assert on_disk == []  # the expired record was deleted, not just hidden


def test_anonymous_shares_cannot_fill_the_disk(tmp_path: Path) -> None:
    from omc_vc.web.shares import ShareError

    for folder in (None, tmp_path / "shares"):
        store = ShareStore(folder, max_count=3, max_total_bytes=20_000)
        store.create({"type": ["VerifiableCredential"], "pad": "x" * 8000}, 3600)
        store.create({"type": ["VerifiableCredential"], "pad": "x" * 8000}, 3600)
        with pytest.raises(ShareError, match="full"):
            store.create({"type": ["VerifiableCredential"], "pad": "x" * 8000}, 3600)  # bytes cap
        store.create({"type": ["VerifiableCredential"]}, 3600)
        with pytest.raises(ShareError, match="full"):
            store.create({"type": ["VerifiableCredential"]}, 3600)  # count cap


def test_share_store_keeps_only_the_token_hash(tmp_path: Path) -> None:
    store = ShareStore(tmp_path)
    share, token = store.create({"type": ["VerifiableCredential"]}, 3600)
    text = (tmp_path / f"{share.id}.json").read_text()
    assert token not in text
    assert (tmp_path / f"{share.id}.json").stat().st_mode & 0o077 == 0


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
        load_institution_keys(InstitutionConfig(keys=(plain,)), demo=False)
    with pytest.raises(ConfigError, match="DEMO"):
        load_institution_keys(InstitutionConfig(keys=(demo,)), demo=False)
    assert load_institution_keys(InstitutionConfig(keys=(plain,)), demo=True)[0].controller == pair.controller


def test_encrypted_key_needs_its_passphrase_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pair = KeyPair.generate("p256")
    path = save_key(tmp_path / "issuer.key", pair, "correct horse")
    with pytest.raises(ConfigError, match="passphrase"):
        load_institution_keys(InstitutionConfig(keys=(path,)), demo=False)
    monkeypatch.setenv("OMC_TEST_PASS", "correct horse")
    keys = load_institution_keys(InstitutionConfig(keys=(path,), passphrase_env="OMC_TEST_PASS"), demo=False)
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

    def explode(text: str) -> Any:
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
    monkeypatch.setattr(service, "verify_pasted", lambda text: time.sleep(1.0))
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


def test_start_up_state_is_frozen_once_per_process(world: WebWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    # gc.freeze keeps what the service loaded out of full collections; a second app in the same process
    # (tests, embedding) must not freeze the garbage that has accumulated since
    import gc

    from omc_vc.web import app as web_app

    monkeypatch.setattr(web_app, "_gc_frozen", False)  # as in a fresh process (another test may have started one)
    with TestClient(create_app(world.config())):
        frozen = gc.get_freeze_count()
    assert frozen > 0
    leftovers = [[index] for index in range(1000)]  # new objects a second freeze would pin
    with TestClient(create_app(world.config())):
        assert gc.get_freeze_count() <= frozen  # frozen objects that die leave it; nothing new joins
    del leftovers
