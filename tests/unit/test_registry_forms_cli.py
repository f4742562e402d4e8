"""``omc registry set-federation``, ``publish`` (every form) and ``check-federation`` over loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc.keys import KeyPair, save_key
from omc_vc.proofs.jose import sign_typed_jwt
from omc_vc.registry import jwk_thumbprint
from omc_vc.registry_forms import ENTITY_STATEMENT_TYP, LEGACY_FILE, LISTING_FILE, statement_file
from tests.fixtures.registry.world import Server

pytestmark = pytest.mark.network


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as value:
        yield value


def _host(server: Server, folder: Path, dids: list[str]) -> None:
    """Serve the published files as omc serve does (the fetch URL as check-federation asks it)."""
    jwt = {"Content-Type": "application/entity-statement+jwt"}
    server.route("/.well-known/openid-federation", (folder / ".well-known/openid-federation").read_bytes(), headers=jwt)
    server.route("/subordinate_listing", (folder / LISTING_FILE).read_bytes())
    for did in dids:
        path = folder / statement_file(did)
        if path.exists():
            server.route(f"/fetch?sub={did}", path.read_bytes(), headers=jwt)


@pytest.fixture
def published(tmp_path: Path, server: Server) -> dict[str, Path | str]:
    ministry, federation = tmp_path / "ministry.key", tmp_path / "federation.key"
    save_key(ministry, KeyPair.generate(), None, insecure_plaintext=True)
    save_key(federation, KeyPair.generate("p256"), None, insecure_plaintext=True)
    college, dropped = KeyPair.generate().controller, KeyPair.generate().controller
    draft, anchors, out = tmp_path / "draft.json", tmp_path / "anchors.json", tmp_path / "public"
    steps = [
        ["registry", "init", "--anchor-key", str(ministry), "--out", str(draft), "--anchors-out", str(anchors)],
        ["registry", "add-institution", "--registry", str(draft), "--name", "Example College", "--type", "college",
         "--did", college, "--consent-ref", "MCU-OMC-0042", "--granted", "2025-01-01T00:00:00Z",
         "--homepage", "https://college.example.ca", "--location", "Toronto, ON, Canada"],
        ["registry", "add-institution", "--registry", str(draft), "--name", "Suspended College", "--type", "college",
         "--did", dropped, "--consent-ref", "MCU-OMC-0043", "--granted", "2025-01-01T00:00:00Z"],
        ["registry", "suspend", dropped, "--registry", str(draft)],
        ["registry", "set-federation", "--registry", str(draft), "--key", str(federation), "--entity-id",
         server.base, "--organization-name", "Ontario Ministry of Colleges and Universities", "--homepage-uri",
         "https://www.ontario.ca/mcu", "--policy-uri", "https://www.ontario.ca/omc-policy"],
        ["registry", "publish", "--registry", str(draft), "--key", str(ministry), "--federation-key",
         str(federation), "--out", str(out)],
    ]
    for step in steps:
        code, _, err = run(*step)
        assert code == 0, (step, err)
    _host(server, out, [college, dropped])
    return {"out": out, "anchors": anchors, "college": college, "dropped": dropped, "cache": tmp_path / "cache"}


def _check(server: Server, published: dict[str, Path | str]) -> tuple[int, str, str]:
    return run("registry", "check-federation", server.base, "--registry",
               str(Path(published["out"]) / "registry.json"), "--anchors", str(published["anchors"]),
               "--registry-cache", str(published["cache"]), "--allow-http-loopback", "--json")


def test_publish_writes_every_form_and_the_known_registries_entry(published: dict[str, Path | str],
                                                                  server: Server) -> None:
    out = Path(published["out"])
    legacy = json.loads((out / LEGACY_FILE).read_text())
    assert legacy["registry"] == {published["college"]: {"name": "Example College", "location": "Toronto, ON, Canada",
                                                         "url": "https://college.example.ca"}}
    assert json.loads((out / LISTING_FILE).read_text()) == [published["college"]]
    assert not (out / statement_file(str(published["dropped"]))).exists()
    entries = json.loads((out / "dcc-known-registries.json").read_text())
    assert entries == [
        {"name": "Ontario Ministry of Colleges and Universities", "type": "oidf",
         "trustAnchorEC": f"{server.base}/.well-known/openid-federation"},
        {"name": "Ontario Ministry of Colleges and Universities", "type": "dcc-legacy",
         "url": f"{server.base}/{LEGACY_FILE}"}]


def test_check_federation_passes_on_the_published_federation(published: dict[str, Path | str],
                                                             server: Server) -> None:
    code, out, err = _check(server, published)
    assert code == 0, err
    assert json.loads(out)["faithful"] is True and json.loads(out)["differences"] == []


def test_forged_statement_fails_check_federation_with_one_line(published: dict[str, Path | str], server: Server,
                                                               tmp_path: Path) -> None:
    intruder = KeyPair.generate("p256")
    college = str(published["college"])
    claims = {"iss": server.base, "sub": college, "iat": 1, "exp": 4_000_000_000, "jti": "x",
              "metadata": {"federation_entity": {"organization_name": "Example College"}}}
    kid = jwk_thumbprint(KeyPair.generate("p256").public_key)
    server.route(f"/fetch?sub={college}", sign_typed_jwt(claims, intruder, typ=ENTITY_STATEMENT_TYP,
                                                         kid=kid).encode())
    code, out, _ = run("registry", "check-federation", server.base, "--registry",
                       str(Path(published["out"]) / "registry.json"), "--anchors", str(published["anchors"]),
                       "--registry-cache", str(published["cache"]), "--allow-http-loopback")
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"difference: statement for {college}: JWT_KID_UNKNOWN")


def test_publish_refuses_a_federation_without_its_key(tmp_path: Path, published: dict[str, Path | str]) -> None:
    ministry = tmp_path / "ministry.key"
    code, _, err = run("registry", "publish", "--registry", str(tmp_path / "draft.json"), "--key", str(ministry),
                       "--out", str(tmp_path / "again"))
    assert code == 2 and "--federation-key" in err


def test_set_federation_refuses_an_ed25519_key(tmp_path: Path, published: dict[str, Path | str]) -> None:
    code, _, err = run("registry", "set-federation", "--registry", str(tmp_path / "draft.json"), "--key",
                       str(tmp_path / "ministry.key"), "--entity-id", "https://mcu.example.ca/omc",
                       "--organization-name", "MCU", "--homepage-uri", "https://www.ontario.ca/mcu",
                       "--policy-uri", "https://www.ontario.ca/omc-policy")
    assert code == 2 and "P-256" in err


@pytest.mark.parametrize("command", ["set-federation", "check-federation"])
def test_new_commands_have_help_with_example(command: str) -> None:
    code, out, _ = run("registry", command, "--help")
    assert code == 0 and "Example:" in out and "omc registry" in out
