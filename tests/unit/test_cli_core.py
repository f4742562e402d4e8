"""The core CLI: keys, did web, sign, verify: exit codes, one-line errors, the W3C vector end to end."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from tests.helpers import vector

OMC = [sys.executable, "-m", "omc_vc.cli.main"]


def run(args: list[str], input: str | None = None, env: dict[str, str] | None = None) -> Any:
    runner = CliRunner()
    return runner.invoke(cli, args, input=input, env=env, catch_exceptions=False)


@pytest.fixture
def vector_key(tmp_path: Path) -> Path:
    v = vector("eddsa-rdfc-2022-alumni.json")
    out = tmp_path / "vector.key"
    result = run(["keys", "import", "--secret-multibase", v["keyPair"]["secretKeyMultibase"], "--out", str(out),
                  "--insecure-plaintext"])
    assert result.exit_code == 0, result.output
    return out


def test_sign_reproduces_w3c_eddsa_proof_value(vector_key: Path, tmp_path: Path) -> None:
    v = vector("eddsa-rdfc-2022-alumni.json")
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps(v["unsignedCredential"]))
    result = run(["sign", str(unsigned), "--key", str(vector_key), "--created", "2023-02-24T23:36:38Z"])
    assert result.exit_code == 0
    signed = json.loads(result.stdout)
    assert signed["proof"]["proofValue"] == v["proofValue"]
    assert signed == v["signedCredential"]


def test_sign_from_stdin(vector_key: Path) -> None:
    v = vector("eddsa-rdfc-2022-alumni.json")
    result = run(["sign", "-", "--key", str(vector_key), "--created", "2023-02-24T23:36:38Z"],
                 input=json.dumps(v["unsignedCredential"]))
    assert json.loads(result.stdout)["proof"]["proofValue"] == v["proofValue"]


def test_w3c_vector_verifies_with_proof_check_only_and_fails_issuer_binding(tmp_path: Path) -> None:
    # The W3C vector's issuer (https://vc.example/issuers/5678) is not the key's controller: the proof is
    # valid, the issuer-key binding is not. A verifier must not call it verified.
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(vector("eddsa-rdfc-2022-alumni.json")["signedCredential"]))
    assert run(["verify", str(path), "--checks", "proof"]).exit_code == 0
    result = run(["verify", str(path)])
    assert result.exit_code == 1
    assert "ISSUER_KEY_MISMATCH" in result.stderr


def _own_credential(issuer: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"], "issuer": issuer, "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "course": "Cyber 101", "hours": 40},
    }


@pytest.fixture(params=["ed25519", "p256"])
def issuer_key(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    out = tmp_path / f"{request.param}.key"
    env = {"OMC_PASS": "test passphrase"}
    result = run(["keys", "generate", "--type", request.param, "--out", str(out), "--passphrase-env", "OMC_PASS"],
                 env=env)
    assert result.exit_code == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    info = json.loads(run(["keys", "show", str(out), "--json"]).stdout)
    return out, info["controller"]


@pytest.mark.parametrize("fmt", ["di", "jwt"])
def test_sign_verify_tamper_swap_key(issuer_key: tuple[Path, str], tmp_path: Path, fmt: str) -> None:
    key, did = issuer_key
    env = {"OMC_PASS": "test passphrase"}
    cred = tmp_path / "cred.json"
    cred.write_text(json.dumps(_own_credential(did)))
    signed = tmp_path / ("signed.json" if fmt == "di" else "signed.jwt")
    result = run(["sign", str(cred), "--key", str(key), "--passphrase-env", "OMC_PASS", "--format", fmt,
                  "--out", str(signed)], env=env)
    assert result.exit_code == 0, result.output
    assert run(["verify", str(signed)]).exit_code == 0
    if fmt == "di":
        doc = json.loads(signed.read_text())
        # tampered field
        doc2 = json.loads(json.dumps(doc))
        doc2["credentialSubject"]["hours"] = 400
        (tmp_path / "t.json").write_text(json.dumps(doc2))
        bad = run(["verify", str(tmp_path / "t.json")])
        assert bad.exit_code == 1 and "CRYPTOGRAPHIC_SECURITY_ERROR" in bad.stderr
        # a property no context defines, added after signing (the examples context has @vocab, so drop it)
        doc3 = json.loads(json.dumps(doc))
        doc3["@context"] = ["https://www.w3.org/ns/credentials/v2"]
        (tmp_path / "u.json").write_text(json.dumps(doc3))
        assert run(["verify", str(tmp_path / "u.json")]).exit_code == 1
        # swapped key: the proof names another key
        other = KeyPairFactory.other(doc["proof"]["verificationMethod"])
        doc4 = json.loads(json.dumps(doc))
        doc4["proof"]["verificationMethod"] = other
        (tmp_path / "k.json").write_text(json.dumps(doc4))
        assert run(["verify", str(tmp_path / "k.json")]).exit_code == 1
    else:
        token = signed.read_text().strip()
        head, payload, sig = token.split(".")
        forged = f"{head}.{payload[:-4]}AAAA.{sig}"
        (tmp_path / "t.jwt").write_text(forged)
        assert run(["verify", str(tmp_path / "t.jwt")]).exit_code == 1


class KeyPairFactory:
    @staticmethod
    def other(vm: str) -> str:
        from omc_vc.keys import KeyPair

        key = KeyPair.generate("p256" if "zDna" in vm else "ed25519")
        return key.verification_method


def _b64(obj: dict[str, Any]) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_forged_jwts_exit_1(tmp_path: Path) -> None:
    import base64
    import hashlib
    import hmac

    from omc_vc.keys import KeyPair

    key = KeyPair.generate()
    payload = _b64(_own_credential(key.controller))
    cases = {
        "alg-none": f"{_b64({'alg': 'none', 'typ': 'vc+jwt'})}.{payload}.",
        "hs256-public-key": None,
        "embedded-jwk": f"{_b64({'alg': 'EdDSA', 'jwk': KeyPair.generate().public_key.jwk()})}.{payload}.AAAA",
    }
    head = _b64({"alg": "HS256", "kid": key.verification_method, "typ": "vc+jwt"})
    secret = key.public_key.multibase.encode()
    mac = hmac.new(secret, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    cases["hs256-public-key"] = f"{head}.{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    for name, token in cases.items():
        path = tmp_path / f"{name}.jwt"
        path.write_text(str(token))
        result = run(["verify", str(path)])
        assert result.exit_code == 1, name
        assert result.stderr.startswith("error: JWT_"), (name, result.stderr)


@pytest.mark.parametrize(("content", "code"), [
    ("{not json", "PARSING_ERROR"), ("[1, 2]", "PARSING_ERROR"), ("", "PARSING_ERROR"),
    ('{"a": 1, "a": 2}', "PARSING_ERROR"), ("[" * 5000 + "]" * 5000, "DEPTH_LIMIT_EXCEEDED"),
])
def test_unreadable_input_exit_2_one_line(tmp_path: Path, content: str, code: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = run(["verify", str(path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and code in result.stderr
    assert "Traceback" not in result.output


def test_missing_file_and_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run(["verify", str(tmp_path / "nope.json")]).exit_code == 2
    assert run(["sign", "x.json"]).exit_code == 2  # --key missing


def test_wrong_passphrase_is_one_line_exit_2(issuer_key: tuple[Path, str], tmp_path: Path) -> None:
    key, did = issuer_key
    cred = tmp_path / "c.json"
    cred.write_text(json.dumps(_own_credential(did)))
    result = run(["sign", str(cred), "--key", str(key), "--passphrase-env", "P"], env={"P": "wrong"})
    assert result.exit_code == 2
    assert "KEY_DECRYPTION_ERROR" in result.stderr and "Traceback" not in result.output


def test_keys_show_import_export(tmp_path: Path) -> None:
    from omc_vc.keys import KeyPair

    pair = KeyPair.generate("p256")
    jwk_file = tmp_path / "k.jwk"
    jwk_file.write_text(json.dumps(pair.private_jwk()))
    out = tmp_path / "k.key"
    assert run(["keys", "import", "--jwk", str(jwk_file), "--out", str(out), "--insecure-plaintext"]).exit_code == 0
    info = json.loads(run(["keys", "show", str(out), "--json"]).stdout)
    assert info["didKey"] == pair.public_key.did_key and info["publicKeyJwk"] == pair.public_key.jwk()
    pem_file = tmp_path / "k.pem"
    pem_file.write_text(pair.private_pem())
    out2 = tmp_path / "k2.key"
    assert run(["keys", "import", "--pem", str(pem_file), "--out", str(out2), "--insecure-plaintext"]).exit_code == 0
    exported = run(["keys", "export", str(out2), "--format", "jwk"]).stdout
    assert json.loads(exported) == pair.public_key.jwk()
    private = run(["keys", "export", str(out2), "--format", "multikey", "--private"]).stdout
    assert json.loads(private)["secretKeyMultibase"] == pair.secret_multibase()
    assert "d" not in json.loads(exported)


def test_did_web_command(tmp_path: Path) -> None:
    out = tmp_path / "k.key"
    run(["keys", "generate", "--out", str(out), "--insecure-plaintext", "--controller",
         "did:web:college.example.ca:omc"])
    result = run(["did", "web", "college.example.ca:omc", "--key", str(out)])
    doc = json.loads(result.stdout)
    assert doc["id"] == "did:web:college.example.ca:omc"
    assert doc["assertionMethod"] == ["did:web:college.example.ca:omc#key-1"]


def test_did_web_signed_credential_verifies_with_pinned_document(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    run(["keys", "generate", "--out", str(key), "--insecure-plaintext", "--controller", "did:web:college.example.ca"])
    (tmp_path / "did.json").write_text(run(["did", "web", "college.example.ca", "--key", str(key)]).stdout)
    cred = tmp_path / "c.json"
    cred.write_text(json.dumps(_own_credential("did:web:college.example.ca")))
    signed = tmp_path / "s.json"
    assert run(["sign", str(cred), "--key", str(key), "--out", str(signed)]).exit_code == 0
    assert run(["verify", str(signed), "--did-document", str(tmp_path / "did.json")]).exit_code == 0
    assert run(["verify", str(signed), "--offline"]).exit_code == 1  # cannot resolve: fails closed


def test_every_command_has_help_with_example() -> None:
    def walk(group: Any, prefix: list[str]) -> list[list[str]]:
        out = []
        for name, cmd in group.commands.items():
            path = [*prefix, name]
            out.append(path)
            if hasattr(cmd, "commands"):
                out.extend(walk(cmd, path))
        return out

    for path in walk(cli, []):
        cmd: Any = cli
        for part in path:
            cmd = cmd.commands[part]
        if hasattr(cmd, "commands"):
            continue
        result = run([*path, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output, f"omc {' '.join(path)} --help has no example"


def test_real_process_entry_point(tmp_path: Path) -> None:
    result = subprocess.run([*OMC, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "omc-vc" in result.stdout
