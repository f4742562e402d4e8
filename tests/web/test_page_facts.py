"""What the page's answers say besides the verdict, and the VC-API's verdict and demo warning.

The page's facts read as words for Ontario (dates in en-CA long form and Ontario's time, counted units), every
result says when the check ran and against which registry (its publisher, version and publication date), a demo
service says DEMO on the page and in every VC-API answer, and ``/presentations/verify`` gives each credential's OMC
verdict and a headline beside the W3C fields without changing them. The answers match /openapi.json.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from omc_vc._internal.timeutil import utcnow
from omc_vc.keys import KeyPair
from omc_vc.proofs.data_integrity import add_proof
from omc_vc.web.app import create_app
from omc_vc.web.summary import counted, human_time, readable_dates
from omc_vc.web.vcapi import DEMO_CODE

from .conftest import TestClient
from .world import WebWorld


def _facts(out: dict[str, Any], key: str = "facts") -> dict[str, str]:
    return {fact["key"]: fact["value"] for fact in out[key]}


def _presentation(credentials: list[dict[str, Any]], holder: KeyPair, challenge: str) -> dict[str, Any]:
    return add_proof({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                      "holder": holder.controller, "verifiableCredential": credentials},
                     holder, purpose="authentication", challenge=challenge, expires=utcnow() + timedelta(minutes=10))


def _schema_validator(client: TestClient, name: str) -> jsonschema.Draft202012Validator:
    document = client.get("/openapi.json").json()
    registry = Registry().with_resource("urn:omc:openapi", Resource.from_contents(document,
                                                                                   default_specification=DRAFT202012))
    return jsonschema.Draft202012Validator({"$ref": f"urn:omc:openapi#/components/schemas/{name}"},
                                           registry=registry)


# --- words for Ontario --------------------------------------------------------------------------------------

def test_counts_take_the_form_their_number_needs() -> None:
    assert counted(3, "credit") == "3 credits"  # the unit as a document writes it, for 3
    assert counted(1, "credits") == "1 credit"
    assert counted(0.5, "credit") == "0.5 credits"
    assert counted(2, "ECTS") == "2 ECTS"  # a unit we do not know stays as written


def test_times_are_ontario_times_in_words() -> None:
    assert human_time(datetime(2026, 12, 7, 14, 22, 18, tzinfo=UTC)) == "December 7, 2026 at 9:22 a.m. EST"
    assert human_time(datetime(2026, 7, 1, 16, 5, tzinfo=UTC)) == "July 1, 2026 at 12:05 p.m. EDT"
    assert readable_dates("issued on 2026-11-27, and still does") == "issued on November 27, 2026, and still does"


def test_page_facts_show_result_completion_description_in_words(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("college", completed=date(2026, 11, 20), result="Pass (87%)")
    out = client.post("/verify/text", content=json.dumps(vc)).json()
    facts = _facts(out)
    assert facts["credits"] == "3 credits"
    assert facts["completed"] == "November 20, 2026"
    assert facts["result"] == "Pass (87%)"
    assert facts["description"].startswith("Safe practice in a welding shop")
    assert facts["deliveryMode"] == "Hybrid (online and in person)"
    assert facts["issuerId"] == world.issuers["college"].key.controller
    assert next(f for f in out["facts"] if f["key"] == "issuerId")["long"] is True  # the page wraps it anywhere
    assert "T" not in facts["issued"] and facts["issued"].endswith(str(vc["validFrom"][:4]))
    reason = out["verdict"]["reason"]  # "... when this credential was issued on November 27, 2026, and still does"
    assert "issued on " in reason and re.search(r"\d{4}-\d{2}-\d{2}", reason) is None, reason
    targets = client.post("/verify/text", content=json.dumps(world.credential("college", plus=True)[0])).json()
    assert targets["targets"] == [{"name": "Welding Techniques Certificate", "awardedBy": "awarded by Example College",
                                   "credit": "3 credits toward the 12 required"}]


def test_every_answer_says_when_and_against_which_registry(client: TestClient, world: WebWorld) -> None:
    vc, _ = world.credential("college")
    before = utcnow().replace(microsecond=0)
    out = client.post("/verify/text", content=json.dumps(vc)).json()
    assert before <= datetime.fromisoformat(out["checkedAt"]) <= utcnow()
    about = _facts(out, "about")
    assert about["registryVersion"] == "1"
    assert about["registryPublished"] == human_time(world.now - timedelta(minutes=1)).split(" at ")[0]
    assert "Ministry of Colleges and Universities" in about["registryName"]
    assert about["registryIssuer"] == world.ministry.public_key.did_key
    assert out["registry"]["version"] == 1 and "source" not in out["registry"]  # never the server's file path
    assert out["demo"] is False
    # even an answer with no credential in it (unreadable input, a share that is gone) says so
    unreadable = client.post("/verify/text", content="hello").json()
    assert "registryVersion" in _facts(unreadable, "about")
    gone = client.post("/verify/share/" + "A" * 22).json()
    assert gone["verdict"]["status"] == "share-unavailable" and "checkedAt" in gone


def test_plain_mode_says_no_registry_was_consulted(world: WebWorld) -> None:
    vc, _ = world.credential("college")
    with TestClient(create_app(replace(world.config(), registry=None, anchors=None))) as plain:
        out = plain.post("/verify/text", content=json.dumps(vc)).json()
    assert out["registry"] is None
    assert _facts(out, "about")["registry"].startswith("None configured: no OMC verdict was given")


def test_an_unreadable_registry_is_said_on_the_page_and_fails_closed(world: WebWorld) -> None:
    vc, _ = world.credential("college")
    world.registry_file.write_text("{not json", encoding="utf-8")
    with TestClient(create_app(world.config())) as client:
        out = client.post("/verify/text", content=json.dumps(vc)).json()
    assert out["verdict"]["status"] == "invalid"
    assert out["registry"] is None
    assert _facts(out, "about")["registry"].startswith("The ministry's registry could not be read")


def test_page_answers_match_the_api_description(client: TestClient, world: WebWorld) -> None:
    validator = _schema_validator(client, "PageResult")
    holder = KeyPair.generate("ed25519")
    first, _ = world.credential("college", holder=holder.controller)
    second, _ = world.credential("nowhere", holder=holder.controller)
    for body in (json.dumps(first), json.dumps(_presentation([first, second], holder, "c-1")), "not a credential"):
        validator.validate(client.post("/verify/text", content=body).json())
    validator.validate(client.post("/verify/share/" + "B" * 22).json())


# --- demo mode --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("demo", [True, False])
def test_demo_mode_is_said_on_the_page_and_in_every_vc_api_answer(world: WebWorld, demo: bool) -> None:
    vc, _ = world.credential("college")
    holder = KeyPair.generate("ed25519")
    mine, _ = world.credential("college", holder=holder.controller)
    with TestClient(create_app(world.config(demo=demo or None))) as client:
        html = client.get("/").text
        page = client.post("/verify/text", content=json.dumps(vc)).json()
        answers = [client.post("/credentials/verify", json={"verifiableCredential": vc}).json(),
                   client.post("/presentations/verify", json={
                       "verifiablePresentation": _presentation([mine], holder, "c-2"),
                       "options": {"challenge": "c-2"}}).json()]
    assert ("data-demo" in html and "DEMO" in html) is demo
    assert "<!--DEMO-->" not in html  # the marks never reach the browser
    assert page["demo"] is demo
    for answer in answers:
        codes = [w.get("code") for w in answer["warnings"]]
        assert (DEMO_CODE in codes) is demo
        assert (DEMO_CODE in [p.get("code") for p in answer["problemDetails"]]) is demo
        assert answer["verified"] is True  # a warning, not an error


# --- the VC-API's verdict ----------------------------------------------------------------------------------

def test_presentations_verify_gives_each_verdict_beside_unchanged_w3c_fields(world: WebWorld) -> None:
    """A verifier that let the OMC checks into the W3C fields would turn a valid presentation holding a non-OMC
    credential into 'not verified' (400) and break every W3C client; the verdict goes beside them instead."""
    holder = KeyPair.generate("ed25519")
    omc, _ = world.credential("college", holder=holder.controller)
    plus, _ = world.credential("college", plus=True, holder=holder.controller)
    other, _ = world.credential("nowhere", holder=holder.controller)  # valid, but its issuer is not authorized
    body = {"verifiablePresentation": _presentation([omc, plus, other], holder, "c-3"),
            "options": {"challenge": "c-3"}}
    with TestClient(create_app(world.config())) as with_registry:
        judged = with_registry.post("/presentations/verify", json=body)
        _schema_validator(with_registry, "PresentationVerifyResult").validate(judged.json())
    with TestClient(create_app(replace(world.config(), registry=None, anchors=None))) as w3c_only:
        plain = w3c_only.post("/presentations/verify", json=body)
    assert judged.status_code == plain.status_code == 200
    out, reference = judged.json(), plain.json()
    for field in ("verified", "checks", "warnings", "errors", "problemDetails", "results"):
        assert out[field] == reference[field], field
    assert [{k: v for k, v in entry.items() if k != "verdict"} for entry in out["credentialResults"]] == \
        reference["credentialResults"]
    assert "verdict" not in reference
    assert out["verdict"]["headline"] == ("2 valid Ontario Micro-Credentials and 1 valid credential that is NOT "
                                          "an Ontario Micro-Credential")
    assert [entry["verdict"]["status"] for entry in out["credentialResults"]] == \
        ["valid-omc", "valid-omc-plus", "valid-not-omc"]
    assert {c["name"]: c["status"] for c in out["verdict"]["presentation"]}["challenge"] == "passed"


def test_presentations_verify_with_only_the_proof_checks_gives_no_verdict(client: TestClient,
                                                                          world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    mine, _ = world.credential("college", holder=holder.controller)
    out = client.post("/presentations/verify", json={
        "verifiablePresentation": _presentation([mine], holder, "c-4"),
        "options": {"challenge": "c-4", "checks": ["proof"]}}).json()
    assert out["verified"] is True
    assert "verdict" not in out  # a verdict needs the status and registry checks the caller did not ask for


def test_a_revoked_credential_is_not_valid_in_the_verdict_nor_in_the_w3c_fields(client: TestClient,
                                                                                world: WebWorld) -> None:
    holder = KeyPair.generate("ed25519")
    good, _ = world.credential("college", holder=holder.controller)
    bad, index = world.credential("college", holder=holder.controller)
    world.revoke("college", index)
    response = client.post("/presentations/verify", json={
        "verifiablePresentation": _presentation([good, bad], holder, "c-5"), "options": {"challenge": "c-5"}})
    assert response.status_code == 400
    out = response.json()
    assert out["verified"] is False
    assert out["verdict"]["status"] == "invalid"
    assert out["verdict"]["headline"] == "1 valid Ontario Micro-Credential and 1 NOT valid"
    assert [entry["verdict"]["status"] for entry in out["credentialResults"]] == ["valid-omc", "invalid"]


def test_the_registry_facts_are_those_of_the_registry_the_verdict_read(world: WebWorld,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The page shows the registry its verdict was reached with, not a second read of it: between two reads the
    ministry may republish (the facts would name another version than the verdict used) or the registry may
    become unreachable (the page would say it could not be read beside a verdict that read it)."""
    vc, _ = world.credential("college")
    app = create_app(world.config())
    service = app.state.service
    client_ = service.page_verifier().registry_client
    real = client_.load
    calls: list[int] = []

    def counted_load(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(client_, "load", counted_load)
    service.page_verifier().verify(vc)
    by_the_verdict = len(calls)
    assert by_the_verdict >= 1
    calls.clear()
    with TestClient(app) as web:
        out = web.post("/verify/text", content=json.dumps(vc)).json()
    assert out["verdict"]["status"] == "valid-omc"
    assert len(calls) == by_the_verdict  # no second read for the page's facts
    assert _facts(out, "about")["registryVersion"] == "1" and out["registry"]["version"] == 1
    assert "registryChecked" not in out
