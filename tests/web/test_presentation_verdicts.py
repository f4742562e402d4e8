"""Presentations on the page and in the VC-API: one verdict per credential, a headline that sums them up, and the
presentation's own checks (holder, challenge, domain); and the page's plain words for shares that are gone,
unreadable pastes and the wrong kind of upload."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from omc_vc._internal.timeutil import utcnow
from omc_vc.keys import KeyPair
from omc_vc.proofs.data_integrity import add_proof
from omc_vc.web import vcapi
from omc_vc.web.app import Service

from .conftest import TestClient
from .world import WebWorld, share_presentation


def _presentation(credentials: list[dict[str, Any]], holder: KeyPair, *, challenge: str | None = None,
                  domain: str | None = None) -> dict[str, Any]:
    presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                    "holder": holder.controller, "verifiableCredential": credentials}
    return add_proof(presentation, holder, purpose="authentication", challenge=challenge, domain=domain,
                     expires=utcnow() + timedelta(minutes=10))


def _two(world: WebWorld, holder: KeyPair, *, revoke_second: bool = False) -> list[dict[str, Any]]:
    first, _ = world.credential("college", holder=holder.controller)
    second, index = world.credential("college", plus=True, holder=holder.controller)
    if revoke_second:
        world.revoke("college", index)
    return [first, second]


def _page(client: TestClient, document: Any) -> dict[str, Any]:
    response = client.post("/verify/text", content=json.dumps(document))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _checks(verdict: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in verdict["presentation"]}


def test_presentation_of_two_valid_omcs_is_headed_two_valid_omcs_with_a_verdict_each(
        client: TestClient, world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    out = _page(client, _presentation(_two(world, holder), holder))
    verdict = out["verdict"]
    assert verdict["headline"] == "2 valid Ontario Micro-Credentials"
    assert verdict["status"] == "valid-omc"
    assert [v["status"] for v in verdict["credentials"]] == ["valid-omc", "valid-omc-plus"]
    assert [v["headline"] for v in verdict["credentials"]] == [
        "Valid Ontario Micro-Credential",
        "Valid Ontario Micro-Credential (OMC+: counts toward a larger credential)"]
    # one card per credential, with its own facts; the top facts are not the first credential's alone
    assert [card["verdict"]["status"] for card in out["credentials"]] == ["valid-omc", "valid-omc-plus"]
    assert out["credentials"][1]["summary"]["stacksInto"][0]["name"] == "Welding Techniques Certificate"
    assert "learner" not in out["summary"]


def test_presentation_with_one_revoked_credential_says_which_and_why(client: TestClient, world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    out = _page(client, _presentation(_two(world, holder, revoke_second=True), holder))
    verdict = out["verdict"]
    assert verdict["headline"] == "1 valid Ontario Micro-Credential and 1 NOT valid"
    assert verdict["status"] == "invalid"
    assert "Credential 2" in verdict["reason"] and "revoked" in verdict["reason"]
    assert [v["status"] for v in verdict["credentials"]] == ["valid-omc", "invalid"]


def test_presentation_lists_its_own_holder_challenge_and_domain_checks(client: TestClient,
                                                                       world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    out = _page(client, _presentation(_two(world, holder), holder))
    checks = _checks(out["verdict"])
    # signed by its holder; the page asks no challenge or domain, and says so (a copy could be replayed)
    assert checks["signature"] == "passed"
    assert checks["challenge"] == "warning"
    assert checks["domain"] == "skipped"
    assert checks["holder-is-subject"] == "passed"
    labels = [c["label"] for c in out["verdict"]["presentation"]]
    assert "Made for this verifier (domain)" in labels


def test_presentation_signed_by_someone_other_than_its_holder_is_refused_as_a_presentation(
        client: TestClient, world: WebWorld) -> None:
    holder, stranger = KeyPair.generate("ed25519"), KeyPair.generate("ed25519")
    presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                    "holder": holder.controller, "verifiableCredential": _two(world, holder)}
    signed = add_proof(presentation, stranger, purpose="authentication")
    verdict = _page(client, signed)["verdict"]
    assert verdict["status"] == "invalid"
    assert verdict["headline"] == "NOT valid: do not rely on this presentation"
    assert _checks(verdict)["signature"] == "failed"


def test_vc_api_with_a_registry_verifier_gives_a_verdict_per_credential(world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    presentation = _presentation(_two(world, holder), holder, challenge="c-123", domain="verify.example.ca")
    service = Service(world.config())
    try:
        omc = service.page_verifier()
        status, body = vcapi.verify_presentation(
            {"verifiablePresentation": presentation, "options": {"challenge": "c-123", "domain": "verify.example.ca"}},
            vcapi.Verifiers(full=omc, proof_only=omc))
    finally:
        service.close()
    assert status == 200
    assert body["verdict"]["headline"] == "2 valid Ontario Micro-Credentials"
    assert [entry["verdict"]["status"] for entry in body["credentialResults"]] == ["valid-omc", "valid-omc-plus"]
    assert all(entry["verified"] for entry in body["credentialResults"])
    # the challenge and the domain were asked for and met
    assert _checks(body["verdict"]) == {"signature": "passed", "challenge": "passed", "domain": "passed",
                                        "holder-is-subject": "passed"}


def test_vc_api_presentation_answer_lists_each_credential_result(client: TestClient, world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    presentation = _presentation(_two(world, holder, revoke_second=True), holder, challenge="c-9")
    response = client.post("/presentations/verify",
                           json={"verifiablePresentation": presentation, "options": {"challenge": "c-9"}})
    assert response.status_code == 400
    results = response.json()["credentialResults"]
    assert [entry["verified"] for entry in results] == [True, False]
    assert results[1]["errors"][0]["code"] == "CREDENTIAL_REVOKED"


def test_withdrawn_share_is_a_neutral_share_unavailable_not_invalid(client: TestClient, world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    vc, _ = world.credential("college", holder=holder.controller)
    offer = client.post("/shares/challenge").json()
    share = client.post("/shares", json={"presentation": share_presentation(vc, holder, offer["challenge"],
                                                                            offer["domain"])}).json()
    gone = client.delete(f"/shares/{share['id']}", headers={"Authorization": f"Bearer {share['withdrawToken']}"})
    assert gone.status_code == 204
    for out in (client.post(f"/verify/share/{share['id']}").json(), _page_text(client, share["url"])):
        verdict = out["verdict"]
        assert verdict["status"] == "share-unavailable"
        assert verdict["headline"] == "This credential is no longer shared"
        assert "no longer shares" in verdict["reason"]
        assert "do not rely" not in (verdict["headline"] + verdict["reason"]).lower()


def _page_text(client: TestClient, text: str) -> dict[str, Any]:
    response = client.post("/verify/text", content=text)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_pasted_plain_text_says_what_was_expected(client: TestClient) -> None:
    reason = _page_text(client, "Ada Lovelace completed Welding Safety")["verdict"]["reason"]
    assert "expected a credential (JSON), a VC-JWT or a verifier link" in reason
    assert "two-digit" not in reason


def test_html_upload_says_which_kinds_of_file_work(client: TestClient) -> None:
    html = b"<!DOCTYPE html><html><body><h1>Certificate of completion</h1></body></html>"
    response = client.post("/verify/upload", files={"file": ("certificate.html", html, "text/html")})
    assert response.status_code == 200, response.text
    reason = response.json()["verdict"]["reason"]
    assert "upload a QR code image (PNG, JPEG) or a credential file (.json, .jwt)" in reason
    assert "too long" not in reason


def test_binary_upload_says_which_kinds_of_file_work(client: TestClient) -> None:
    response = client.post("/verify/upload", files={"file": ("scan.pdf", b"%PDF-1.7\n\xff\xfe\x00binary", "x/y")})
    assert "upload a QR code image (PNG, JPEG) or a credential file (.json, .jwt)" in \
        response.json()["verdict"]["reason"]


def test_cli_prints_each_credential_verdict_and_the_presentation_checks_in_plain_words(
        world: WebWorld, capsys: Any) -> None:
    from omc_vc.cli.core import _print_checks, print_verdict  # type: ignore[import-not-found,unused-ignore]

    holder = KeyPair.generate("ed25519")
    presentation = _presentation(_two(world, holder, revoke_second=True), holder)
    service = Service(world.config())
    try:
        result = service.page_verifier().verify(presentation)
    finally:
        service.close()
    print_verdict(result)
    _print_checks(result)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "1 valid Ontario Micro-Credential and 1 NOT valid"
    assert "Credential 1 of 2: Valid Ontario Micro-Credential" in lines
    assert "Credential 2 of 2: NOT valid: do not rely on this credential" in lines
    assert "  The institution that issued this credential has revoked it." in lines
    assert "The presentation itself:" in lines
    assert any(line.startswith("  [warn] Made for this request, not a copy of an earlier one (challenge): ")
               for line in lines)
    # no bare codes
    assert "valid-omc" not in out and "credential 0" not in out
