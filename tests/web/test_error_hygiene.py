"""Errors reveal nothing of the server: no file paths, no exception texts.

Each test breaks something on the server's side (an upload the decoder cannot read, a missing registry
file, a damaged anchors file, a cache folder that is a file, a missing bundled context, a missing
bundled policy, an unexpected exception) and reads what a visitor (or a CLI user) is told: a typed
error or a failed check that names no absolute path of the server.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli  # type: ignore[import-not-found,unused-ignore]

from omc_vc import jsonld, registry
from omc_vc._internal.resources import contexts_dir
from omc_vc.errors import ConfigError, JsonLdError
from omc_vc.omc import policy
from omc_vc.verify import Verifier
from omc_vc.web.app import Service, create_app

from .conftest import TestClient
from .world import WebWorld

REPO = Path(__file__).resolve().parents[2]


def _server_paths(world: WebWorld) -> list[str]:
    """Absolute paths a visitor must never read: the service's folders, the repository, the temp folder."""
    return [str(world.folder), str(REPO), str(Path(tempfile.gettempdir()) / "omc-upload-")]


def _assert_no_server_path(text: str, world: WebWorld) -> None:
    for path in _server_paths(world):
        assert path not in text, f"the answer names the server path {path}: {text[:500]}"


def _checks(answer: dict[str, object]) -> list[dict[str, str]]:
    checks = answer.get("checks")
    assert isinstance(checks, list)
    return checks


def test_unreadable_upload_names_no_temporary_path(client: TestClient, world: WebWorld) -> None:
    response = client.post("/verify/upload", files={"file": ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)})
    assert response.status_code == 200
    parse = _checks(response.json())[0]
    assert parse["code"] == "QR_BAD_IMAGE" and parse["detail"] == "the uploaded file is not a readable image"
    _assert_no_server_path(response.text, world)


def test_missing_registry_file_names_no_server_path(world: WebWorld) -> None:
    credential, _ = world.credential("college")
    world.registry_file.unlink()
    with TestClient(create_app(world.config())) as client:
        response = client.post("/verify/text", content=json.dumps(credential))
    assert response.status_code == 200
    answer = response.json()
    assert answer["verdict"]["status"] == "invalid"
    assert any(c.get("code") == "REGISTRY_UNAVAILABLE" and "registry.json" in c["detail"] for c in _checks(answer))
    _assert_no_server_path(response.text, world)


def test_damaged_anchors_file_answers_503_without_details(world: WebWorld, caplog: pytest.LogCaptureFixture) -> None:
    credential, _ = world.credential("college")
    world.anchors_file.write_text("{not json", encoding="utf-8")
    caplog.set_level(logging.ERROR, logger="omc_vc.web")
    with TestClient(create_app(world.config())) as client:
        response = client.post("/verify/text", content=json.dumps(credential))
    assert response.status_code == 503
    assert response.json()["code"] == "VERIFIER_UNAVAILABLE"
    _assert_no_server_path(response.text, world)
    # the operator learns which configuration failed (by code), still without the path in the log line
    assert "REGISTRY_ANCHORS_INVALID" in caplog.text
    _assert_no_server_path(caplog.text, world)


def test_cache_folder_that_is_a_file_names_no_server_path(world: WebWorld) -> None:
    credential, _ = world.credential("college")
    blocker = world.folder / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    with TestClient(create_app(world.config(cache_dir=blocker))) as client:
        page = client.post("/verify/text", content=json.dumps(credential))
        api = client.post("/credentials/verify", json={"verifiableCredential": credential})
    for response in (page, api):
        assert response.status_code < 500
        _assert_no_server_path(response.text, world)
    # the registry's version cannot be remembered, so a rollback could not be caught: fail closed, by name
    assert page.json()["verdict"]["status"] == "invalid"
    assert any(c.get("code") == "REGISTRY_STATE_UNWRITABLE" and "state.json" in c["detail"]
               for c in _checks(page.json()))
    assert api.json()["verified"] is True  # the VC-API has no registry: the status cache only costs a refetch


def test_unexpected_exception_answers_a_generic_problem(world: WebWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = str(world.folder / "secret" / "internal.db")

    def broken(self: Service, text: str, **_: object) -> dict[str, object]:
        raise OSError(2, "No such file or directory", secret)

    monkeypatch.setattr(Service, "verify_pasted", broken)
    with TestClient(create_app(world.config())) as client:
        response = client.post("/verify/text", content="{}")
    assert response.json() == {"type": "https://omc-vc.ca/errors#INTERNAL_ERROR", "code": "INTERNAL_ERROR",
                               "title": "internal error", "detail": "internal error"}
    assert secret not in response.text and "No such file" not in response.text


def test_missing_context_manifest_names_no_install_path(tmp_path: Path) -> None:
    with pytest.raises(JsonLdError) as caught:
        jsonld.BundledLoader(directory=tmp_path / "contexts")
    assert "manifest.json" in caught.value.detail
    assert str(tmp_path) not in caught.value.detail


def test_missing_bundled_context_file_names_no_install_path(world: WebWorld, tmp_path: Path) -> None:
    copy = tmp_path / "contexts"
    shutil.copytree(contexts_dir(), copy)
    (copy / "credentials-v2.jsonld").unlink()
    credential, _ = world.credential("college")
    result = Verifier(loader=jsonld.BundledLoader(directory=copy)).verify(credential)
    assert not result.verified
    details = json.dumps(result.to_json())
    assert "CONTEXT_INTEGRITY_ERROR" in details and "credentials-v2.jsonld" in details
    assert str(tmp_path) not in details and str(REPO) not in details


def test_missing_bundled_policy_names_no_install_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy, "DEFAULT_POLICY_FILE", tmp_path / "install" / "policy-v1.json")
    with pytest.raises(ConfigError) as caught:
        policy.load_policy()
    assert "policy-v1.json" in caught.value.detail and str(tmp_path) not in caught.value.detail


def test_missing_shipped_anchors_name_no_install_path_in_the_cli(world: WebWorld, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "default_anchors_path", lambda: tmp_path / "install" / "ministry-anchors.json")
    credential = tmp_path / "omc.json"
    credential.write_text(json.dumps(world.credential("college")[0]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["verify", str(credential), "--offline", "--registry", str(world.registry_file)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: REGISTRY_ANCHORS_INVALID: cannot read anchors file ministry-anchors.json")
    assert str(tmp_path / "install") not in result.stderr
