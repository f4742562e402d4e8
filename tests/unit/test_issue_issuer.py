"""The one Issuer: every issuing path (serial runner, process pool, VC-API) gives the same credentials and
the same store state; the phases are the only implementation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from omc_vc.issue.batch import issue_roster, read_roster
from omc_vc.issue.config import parse_config
from omc_vc.issue.issuer import Issuer
from omc_vc.issue.status_lists import status_entry
from omc_vc.issue.store import Store
from omc_vc.omc.builder import build_omc
from omc_vc.verify import Verifier
from omc_vc.web.app import create_app
from omc_vc.web.config import WebConfig
from tests.fixtures.omc.sample import make_institution, open_issuer

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
TOKEN = "same-roster-token"


def _comparable(credential: dict[str, Any]) -> dict[str, Any]:
    """A credential without what differs by design on every issuance: its id, proof, random status index
    and the random salt of the learner's hashed identifiers."""
    out = json.loads(json.dumps(credential))
    out.pop("id"), out.pop("proof")
    for entry in out["credentialStatus"] if isinstance(out["credentialStatus"], list) else [out["credentialStatus"]]:
        entry.pop("id", None), entry.pop("statusListIndex")
    for identifier in out["credentialSubject"].get("identifier", []):
        if identifier.get("hashed"):
            identifier.pop("identityHash"), identifier.pop("salt")
    return out


def _state(store: Store) -> dict[str, Any]:
    """What the store holds, but for the random ids and indices: the lists and every record's document."""
    records = store.all()
    return {"lists": sorted((i.purpose, i.bits, i.used) for i in store.lists()), "pending": store.pending(),
            "credentials": sorted(json.dumps(_comparable(store.document(r.id) or {}), sort_keys=True)
                                  for r in records)}


def test_same_roster_same_credentials_on_every_path(tmp_path: Path) -> None:
    config, key = make_institution(tmp_path / "serial", suspension=False)
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email,student_number,achievement,completion_date,result\n" + "".join(
        f"Learner {n},l{n}@example.ca,S{n:04d},{('weld-101', 'weld-102', 'safety-100')[n % 3]},2026-06-{1 + n:02d},"
        f"Pass\n" for n in range(9)), encoding="utf-8")
    rows, errors = read_roster(roster, catalogue=set(config.catalogue))
    assert rows and not errors
    outcomes: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {}

    # the serial runner and the process pool: the Issuer over the roster
    for path, workers in (("serial", 1), ("pool", 2)):
        inst, _ = make_institution(tmp_path / path, key=key, suspension=False)
        issuer = open_issuer(inst, key, clock=lambda: NOW)
        report = issue_roster(issuer, roster, tmp_path / path / "out", workers=workers)
        assert not report.errors and len(report.issued) == len(rows)
        files = [json.loads((tmp_path / path / "out" / r.file).read_text()) for r in report.issued if r.file]
        outcomes[path] = (files, _state(issuer.store))

    # the VC-API: the same OMCs, given whole to POST /credentials/issue (a revocation entry each)
    inst, _ = make_institution(tmp_path / "api", key=key, suspension=False)
    institution = parse_config({"key": str(inst.key_file), "did": key.controller, "state_dir": "state",
                                "status": {"base_url": inst.status.base_url}}, tmp_path / "api")
    issued: list[dict[str, Any]] = []
    with TestClient(create_app(WebConfig(public_url="https://college.example.ca", offline=True,
                                         institution=institution), keys=[key], api_token=TOKEN)) as api:
        api.headers["Authorization"] = f"Bearer {TOKEN}"
        # the OMC as a caller builds it; the service allocates its status entry (the placeholder goes)
        placeholder = status_entry(f"{inst.status.base_url}revocation-1.json", 0, "revocation")
        for row in rows:
            unsigned = build_omc(issuer=config.issuer(), achievement=config.achievement(row.achievement),
                                 learner=row.learner(), status=[placeholder], issued=NOW,
                                 completed=row.completed, result=row.result, evidence_url=row.evidence_url,
                                 policy=config.policy)
            unsigned.pop("credentialStatus", None)
            response = api.post("/credentials/issue", json={"credential": unsigned, "options": {
                "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}})
            assert response.status_code == 201, response.text
            issued.append(response.json()["verifiableCredential"])
        store = api.app.state.service.issuer.store  # type: ignore[attr-defined]
        api_state = _state(store)

    serial, pool = outcomes["serial"], outcomes["pool"]
    key_of = lambda c: json.dumps(_comparable(c), sort_keys=True)  # noqa: E731
    expected = sorted(map(key_of, serial[0]))
    assert sorted(map(key_of, pool[0])) == expected
    assert sorted(map(key_of, issued)) == expected
    assert serial[1] == pool[1]
    assert api_state["lists"] == serial[1]["lists"] and api_state["pending"] == [] == serial[1]["pending"]
    assert api_state["credentials"] == serial[1]["credentials"] == sorted(expected)
    verifier = Verifier()
    assert all(verifier.verify(c, checks=["data-model", "proof"]).verified for c in [*serial[0], *issued])


def test_a_refused_achievement_reserves_nothing(tmp_path: Path) -> None:
    from omc_vc.errors import PolicyError
    from omc_vc.omc.builder import Learner

    config, key = make_institution(tmp_path)
    config.catalogue["weld-101"] = {**config.catalogue["weld-101"], "instructionalHours": 10_000}
    issuer: Issuer = open_issuer(config, key)
    with pytest.raises(PolicyError):
        issuer.issue(learner=Learner(name="Ana", email="a@example.ca"), achievement="weld-101")
    assert issuer.store.lists() == [] and issuer.store.pending() == []
