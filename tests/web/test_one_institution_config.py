"""One ``institution.yaml`` configures ``omc issue``, ``omc status`` and ``omc serve`` (one loader, one schema,
one error style), end to end through the CLI: the credential ``omc issue`` signs is revoked by ``omc status``,
its list published from the same state, and the service started from the same file issues through
``POST /credentials/issue`` with the bearer token the file names and hosts the same revocation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli
from starlette.testclient import TestClient

from omc_vc.bitstring import decode_bitstring, get_status
from omc_vc.keys import KeyPair, save_key
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import make_institution

PASSPHRASE_ENV = "OMC_ISSUER_PASSPHRASE"  # the variable the sample institution.yaml names (passphrase_env)
TOKEN_ENV = "OMC_TEST_ISSUE_TOKEN"
TOKEN = "one-file-token-5d1e"


def _institution(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample institution with an encrypted key (omc serve refuses plaintext keys outside demo mode)
    and ``token_env``, the variable holding the VC-API's bearer token."""
    _, pair = make_institution(folder)
    save_key(folder / "issuer.key", KeyPair.from_secret_multibase(pair.secret_multibase()), "correct horse",
             overwrite=True)
    monkeypatch.setenv(PASSPHRASE_ENV, "correct horse")
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    path = folder / "institution.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"token_env: {TOKEN_ENV}\n", encoding="utf-8")
    return path


def _cli(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result


def _served_app(monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    """The app ``omc serve ARGS`` builds and would run (on a free port it binds and closes, never serving)."""
    from omc_vc.web import server

    started: list[Any] = []

    def record(app: Any, sock: Any, *_: Any, **__: Any) -> None:
        started.append(app)
        sock.close()

    monkeypatch.setattr(server, "run_uvicorn", record)
    result = _cli("serve", *args, "--port", "0")
    assert result.exit_code == 0, result.output
    assert len(started) == 1
    return started[0]


def _bit(document: dict[str, Any], index: int) -> int:
    return get_status(decode_bitstring(document["credentialSubject"]["encodedList"]), index)


@pytest.mark.parametrize("how", ["--institution-config", "institution: in --config"])
def test_one_institution_yaml_configures_issue_status_and_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                how: str) -> None:
    folder = tmp_path / "college"
    path = _institution(folder, monkeypatch)

    # omc issue: one OMC from the file
    out = tmp_path / "ana.json"
    result = _cli("issue", "--config", str(path), "--achievement", "weld-101", "--learner-name", "Ana Silva",
                  "--learner-email", "ana@example.ca", "--out", str(out), "--json", "--offline")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    credential = json.loads(out.read_text(encoding="utf-8"))
    assert credential["id"] == record["id"]
    assert Verifier().verify(credential, checks=["data-model", "proof"]).verified

    # omc status: revoke it (by its file) and publish the lists from the same state
    result = _cli("status", "revoke", "--config", str(path), str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["revoked"]
    public = tmp_path / "public"
    result = _cli("status", "publish", "--config", str(path), "--out", str(public), "--json")
    assert result.exit_code == 0, result.output
    published = {Path(name).name: json.loads(Path(name).read_text(encoding="utf-8"))
                 for name in json.loads(result.stdout)["files"]}
    entry = credential["credentialStatus"]
    entries = entry if isinstance(entry, list) else [entry]
    revocation = next(e for e in entries if e["statusPurpose"] == "revocation")
    list_name = revocation["statusListCredential"].rsplit("/", 1)[1]
    assert _bit(published[list_name], int(revocation["statusListIndex"])) == 1

    # omc serve: the same file, given by name or through the service configuration's institution: key
    if how == "--institution-config":
        args = ["--institution-config", str(path)]
    else:
        serve_yaml = tmp_path / "serve.yaml"
        serve_yaml.write_text(f"public_url: https://verify.college.example.ca\ninstitution: {path}\n",
                              encoding="utf-8")
        args = ["--config", str(serve_yaml)]
    app = _served_app(monkeypatch, *args, "--offline")
    with TestClient(app) as api:
        # the token the file names guards issuing
        body = {"credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
            "issuer": credential["issuer"]["id"], "validFrom": "2026-06-30T12:00:00Z",
            "credentialSubject": {"id": "did:example:learner", "name": "Ana Silva"}},
            "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}}
        refused = api.post("/credentials/issue", json=body, headers={"Authorization": "Bearer not-the-token"})
        assert refused.status_code == 401, refused.text
        response = api.post("/credentials/issue", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 201, response.text
        issued = response.json()["verifiableCredential"]
        assert issued["proof"]["verificationMethod"] == credential["proof"]["verificationMethod"]
        assert Verifier().verify(issued, checks=["data-model", "proof"]).verified
        # the same state: the service hosts the list with the CLI's revocation, and the new credential
        # took another index on it
        assert issued["credentialStatus"]["statusListCredential"] == revocation["statusListCredential"]
        assert issued["credentialStatus"]["statusListIndex"] != revocation["statusListIndex"]
        hosted = api.get(f"/status/{list_name}")
        assert hosted.status_code == 200, hosted.text
        assert _bit(hosted.json(), int(revocation["statusListIndex"])) == 1
        assert _bit(hosted.json(), int(issued["credentialStatus"]["statusListIndex"])) == 0


#: A YAML syntax error on line 4 (a mapping value where none is allowed).
_BROKEN = "did: did:key:z6Mk\nkey: issuer.key\nprofile:\n  name: College: of: Arts\n"


@pytest.mark.parametrize("command", [
    ["issue", "--config", "{file}", "--achievement", "weld-101", "--learner-name", "Ana"],
    ["status", "revoke", "--config", "{file}", "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"],
    ["status", "publish", "--config", "{file}", "--out", "{folder}/public"],
    ["serve", "--institution-config", "{file}"],
    ["serve", "--config", "{folder}/serve.yaml"],
], ids=["issue", "status-revoke", "status-publish", "serve", "serve-config"])
def test_a_yaml_error_is_one_line_with_its_line_number_from_every_command(tmp_path: Path,
                                                                         command: list[str]) -> None:
    broken = tmp_path / "institution.yaml"
    broken.write_text(_BROKEN, encoding="utf-8")
    (tmp_path / "serve.yaml").write_text(f"institution: {broken}\n", encoding="utf-8")
    args = [part.format(file=broken, folder=tmp_path) for part in command]
    result = _cli(*args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    # one error style: the code, the file, and the line and column of the problem
    assert re.fullmatch(r"error: CONFIG_[A-Z_]+: configuration .*institution\.yaml is not valid YAML: "
                        r"line 4, column \d+: .+", lines[0]), lines[0]
