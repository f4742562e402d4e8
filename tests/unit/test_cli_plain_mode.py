"""Plain mode is honest, and a default registry gives the verdict without --registry.

``omc verify`` without a registry checks signatures, status and the OMC fields but never the issuer against
the ministry's registry: its first line says so, and no line reads as the credential being an OMC. The
registry (and its anchors) default, in this order, to --registry, ``$OMC_REGISTRY``, the user config file's
``registry:`` (cli/_common.py ``default_registry``), for ``omc verify`` and the wallet alike.
``--require-omc`` exits 1 for every verdict but valid OMC / OMC+.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from omc_vc.cli.main import cli  # type: ignore[import-not-found,unused-ignore]

from omc_vc.keys import KeyPair
from omc_vc.registry import Anchors, RegistryDraft, sign_registry
from omc_vc.verdict import HEADLINES
from tests.fixtures.registry.world import Server
from tests.unit.test_wallet_support import ISSUER_DID, Institution, write_json

HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
GRANTED = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass
class Setup:
    """A signed OMC by the test college, its DID document, and two registries signed by one ministry key:
    ``listed`` authorizes the college, ``empty`` lists nobody (so the same OMC is not an OMC there)."""

    tmp: Path
    credential: Path
    did: Path
    anchors: Path
    listed: Path
    empty: Path

    def env(self, **values: str | None) -> dict[str, str | None]:
        # a fresh HOME / XDG folders: no user config file, no cache, unless a test writes one
        base: dict[str, str | None] = {
            "HOME": str(self.tmp / "home"), "XDG_CONFIG_HOME": str(self.tmp / "config"),
            "XDG_CACHE_HOME": str(self.tmp / "cache"), "XDG_DATA_HOME": str(self.tmp / "data"),
            "OMC_REGISTRY": None, "OMC_ANCHORS": None, "OMC_WALLET": None,
            "OMC_WALLET_PASS": "plain mode test passphrase"}
        return {**base, **values}

    def config_file(self, text: str) -> Path:
        path = self.tmp / "config" / "omc-vc" / "config.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


def _registry(tmp: Path, ministry: KeyPair, anchors: Anchors, name: str, *, listed: bool) -> Path:
    draft = RegistryDraft.new("urn:uuid:6b1f0d2e-93a4-4c55-8e0b-1f2a3b4c5d6f", anchors=anchors)
    if listed:
        draft.add_institution(legal_name="Lakeshore College", kind="college", dids=[ISSUER_DID],
                              consent_reference="MCU-OMC-2026-0042", scope=("OMC", "OMC+"), granted=GRANTED)
    return write_json(tmp / name, sign_registry(draft, [ministry]))


@pytest.fixture()
def setup(tmp_path: Path) -> Iterator[Setup]:
    with Server() as server:
        college = Institution(list_url=f"{server.base}/status/3")
        server.serve_json("/status/3", college.status_list())
        ministry = KeyPair.generate()
        anchors = Anchors(keys=(ministry.public_key,))
        draft = RegistryDraft.new("urn:uuid:6b1f0d2e-93a4-4c55-8e0b-1f2a3b4c5d6f", anchors=anchors)
        yield Setup(tmp=tmp_path,
                    credential=write_json(tmp_path / "omc.json", college.issue(HOLDER)),
                    did=write_json(tmp_path / "did.json", college.did_document),
                    anchors=write_json(tmp_path / "anchors.json", draft.anchors.to_json()),
                    listed=_registry(tmp_path, ministry, anchors, "registry.json", listed=True),
                    empty=_registry(tmp_path, ministry, anchors, "empty-registry.json", listed=False))


def verify(s: Setup, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, ["verify", str(s.credential), "--did-document", str(s.did),
                                    "--allow-http-loopback", *args], env=env or s.env())


def test_plain_mode_first_line_says_no_omc_verdict_and_issuer_not_checked(setup: Setup) -> None:
    # an OMC signed by a key no ministry authorized: plain mode must not let it read as an OMC
    result = verify(setup)
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("No OMC verdict") and "NOT checked against the ministry's registry" in first
    profile = [line for line in result.stdout.splitlines() if "omc-profile" in line]
    assert profile and "has the OMC fields" in profile[0]
    assert "conforms to the OMC" not in result.stdout and "as an OMC" not in result.stdout
    assert not any(headline in result.stdout for headline in (HEADLINES["valid-omc"], HEADLINES["valid-omc-plus"]))


def test_plain_mode_json_stays_data_and_says_no_verdict_on_stderr(setup: Setup) -> None:
    result = verify(setup, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verified"] is True
    assert result.stderr.startswith("No OMC verdict")


def test_unchecked_issuer_is_refused_by_require_omc_in_plain_mode(setup: Setup) -> None:
    result = verify(setup, "--require-omc")
    assert result.exit_code == 1, result.output
    assert "error: OMC_REQUIRED: no OMC verdict" in result.stderr


def test_require_omc_exits_0_for_a_valid_omc(setup: Setup) -> None:
    result = verify(setup, "--registry", str(setup.listed), "--anchors", str(setup.anchors), "--require-omc")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] in (HEADLINES["valid-omc"], HEADLINES["valid-omc-plus"])


def test_unlisted_issuer_is_refused_by_require_omc(setup: Setup) -> None:
    # the same OMC, but the ministry's registry does not list its issuer: a valid credential, not an OMC
    plain = verify(setup, "--registry", str(setup.empty), "--anchors", str(setup.anchors))
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.splitlines()[0] == HEADLINES["valid-not-omc"]
    required = verify(setup, "--registry", str(setup.empty), "--anchors", str(setup.anchors), "--require-omc")
    assert required.exit_code == 1, required.output
    assert required.stderr.startswith("error: OMC_REQUIRED: ") and required.stderr.count("\n") == 1


def test_omc_registry_env_gives_the_verdict_without_the_flag(setup: Setup) -> None:
    result = verify(setup, env=setup.env(OMC_REGISTRY=str(setup.listed), OMC_ANCHORS=str(setup.anchors)))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] in (HEADLINES["valid-omc"], HEADLINES["valid-omc-plus"])
    assert "No OMC verdict" not in result.output


def test_user_config_file_gives_the_verdict_without_the_flag(setup: Setup) -> None:
    # relative paths in the file are read from the file's folder
    folder = setup.config_file("registry: ../../registry.json\nanchors: ../../anchors.json\n").parent
    assert (folder / "../../registry.json").resolve() == setup.listed.resolve()
    result = verify(setup)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] in (HEADLINES["valid-omc"], HEADLINES["valid-omc-plus"])


def test_flag_overrides_env_overrides_file(setup: Setup) -> None:
    setup.config_file(f"registry: {setup.empty}\nanchors: {setup.anchors}\n")
    assert verify(setup).stdout.splitlines()[0] == HEADLINES["valid-not-omc"]  # the file
    env = setup.env(OMC_REGISTRY=str(setup.listed))
    assert verify(setup, env=env).stdout.splitlines()[0] != HEADLINES["valid-not-omc"]  # env over file
    flagged = verify(setup, "--registry", str(setup.empty), env=env)  # the flag over env
    assert flagged.stdout.splitlines()[0] == HEADLINES["valid-not-omc"], flagged.output


def test_bad_user_config_file_is_a_one_line_config_error(setup: Setup) -> None:
    setup.config_file("registry: [1, 2]\n")
    result = verify(setup)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: CONFIG_ERROR") and result.stderr.count("\n") == 1
    setup.config_file("regsitry: https://www.ontario.ca/omc/registry.json\n")
    result = verify(setup)
    assert result.exit_code == 2 and "unknown key(s) regsitry" in result.stderr
    # trust anchors are never fetched: a URL for them is refused by name, not read as a file
    setup.config_file("registry: https://www.ontario.ca/omc/registry.json\nanchors: https://x.example/a.json\n")
    result = verify(setup)
    assert result.exit_code == 2 and "anchors must be a file path" in result.stderr


def _wallet(setup: Setup, command: str, env: dict[str, str | None], wallet: str = "wallet") -> Result:
    args = ["wallet", command, "--wallet", str(setup.tmp / wallet), "--passphrase-env", "OMC_WALLET_PASS",
            "--json", "--did-document", str(setup.did), "--allow-http-loopback"]
    if command == "import":
        args.insert(2, str(setup.credential))
    return CliRunner().invoke(cli, args, env=env)


@pytest.mark.parametrize("source", ["env", "file"])
def test_wallet_import_and_check_use_the_default_registry(setup: Setup, source: str) -> None:
    # without a default the wallet records "not an OMC" (issuer unchecked); a check with it finds the OMC
    plain = _wallet(setup, "import", setup.env())
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)[0]["verdict"]["status"] == "valid-not-omc"
    if source == "env":
        env = setup.env(OMC_REGISTRY=str(setup.listed), OMC_ANCHORS=str(setup.anchors))
    else:
        setup.config_file(f"registry: {setup.listed}\nanchors: {setup.anchors}\n")
        env = setup.env()
    checked = _wallet(setup, "check", env)
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["credentials"][0]["status"] in ("valid-omc", "valid-omc-plus")
    imported = _wallet(setup, "import", env, wallet="second-wallet")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)[0]["verdict"]["status"] in ("valid-omc", "valid-omc-plus")
