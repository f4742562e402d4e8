"""Checks read what was signed, on every path: a revoked OMC whose signed status entry is moved under
``@nest`` (the same signed graph, so its proof still verifies) is refused as NON_PLAIN_JSON_LD by the
library verdict, the verifier page (pasted and as a link-mode QR fragment), the VC-API, ``omc verify``
(with the ministry's registry) and ``omc wallet import``/``check`` (which keep it, marked invalid); it is
never shown as a valid OMC.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc import jsonld
from omc_vc.qr import encode_link
from omc_vc.verdict import make_verifier, verdict_of

from .conftest import TestClient
from .world import WebWorld

CODE = "NON_PLAIN_JSON_LD"


@pytest.fixture
def hidden(world: WebWorld) -> dict[str, Any]:
    """A revoked OMC whose credentialStatus sits under @nest: the attack every path must refuse."""
    credential, index = world.credential("college")
    world.revoke("college", index)
    moved = copy.deepcopy(credential)
    moved["@nest"] = {"credentialStatus": moved.pop("credentialStatus")}
    assert jsonld.canonicalize(moved) == jsonld.canonicalize(credential)  # the signature still covers it
    return moved


def _refused_as_not_plain(checks: list[dict[str, Any]]) -> bool:
    return any(c["status"] == "failed" and c.get("code") == CODE for c in checks)


def test_revoked_omc_with_hidden_status_is_refused_by_the_library_verdict(world: WebWorld,
                                                                         hidden: dict[str, Any]) -> None:
    verifier = make_verifier(registry=str(world.registry_file), anchors=world.anchors_file,
                             status_documents={world.list_url("college"): json.loads(
                                 (world.status_dir / "college.json").read_text(encoding="utf-8"))})
    result = verifier.verify(hidden, now=world.now)
    verdict = verdict_of(result)
    assert verdict.status == "invalid"
    assert result.check("plain-json-ld") is not None and result.check("plain-json-ld").code == CODE  # type: ignore[union-attr]


def test_revoked_omc_with_hidden_status_is_refused_by_the_page_and_its_link(client: TestClient,
                                                                            world: WebWorld,
                                                                            hidden: dict[str, Any]) -> None:
    pasted = client.post("/verify/text", content=json.dumps(hidden)).json()
    fragment = encode_link(hidden, world.base_url).split("#", 1)[1]
    scanned = client.post("/verify/fragment", content=fragment).json()
    for answer in (pasted, scanned):
        assert answer["verdict"]["status"] == "invalid"
        assert _refused_as_not_plain(answer["checks"])


def test_revoked_omc_with_hidden_status_is_refused_by_the_vc_api(client: TestClient, hidden: dict[str, Any]) -> None:
    response = client.post("/credentials/verify", json={"verifiableCredential": hidden})
    assert response.status_code == 400
    assert CODE in [error["code"] for error in response.json()["errors"]]


def test_revoked_omc_with_hidden_status_is_refused_by_the_cli(world: WebWorld, hidden: dict[str, Any],
                                                              tmp_path: Path) -> None:
    path = tmp_path / "omc.json"
    path.write_text(json.dumps(hidden), encoding="utf-8")
    runner = CliRunner()
    verified = runner.invoke(cli, ["verify", str(path), "--offline", "--registry", str(world.registry_file),
                                   "--anchors", str(world.anchors_file), "--registry-cache", str(tmp_path / "cache")])
    assert verified.exit_code == 1 and CODE in verified.stderr, verified.stdout + verified.stderr
    assert "Valid Ontario Micro-Credential" not in verified.stdout

    env = {"OMC_PLAIN_PASS": "a wallet passphrase for this test"}
    wallet = ["--wallet", str(tmp_path / "wallet"), "--passphrase-env", "OMC_PLAIN_PASS"]
    assert runner.invoke(cli, ["wallet", "init", *wallet], env=env).exit_code == 0
    imported = runner.invoke(cli, ["wallet", "import", str(path), *wallet, "--offline"], env=env)
    assert imported.exit_code == 0 and "INVALID" in imported.stdout, imported.stdout + imported.stderr
    listed = runner.invoke(cli, ["wallet", "list", *wallet, "--json"], env=env)
    items = json.loads(listed.stdout)["credentials"]
    assert [item["status"] for item in items] == ["invalid"]  # kept, as every import is, with its verdict
    checked = runner.invoke(cli, ["wallet", "check", *wallet, "--offline", "--json"], env=env)
    assert "valid-omc" not in checked.stdout, checked.stdout
