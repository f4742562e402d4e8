"""The built wheel: carries contexts/ and keys/, installs no bare `cli` package, and works from a fresh venv."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    wheels = list(out.glob("omc_vc-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_carries_data_and_no_bare_cli_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "omc_vc/_contexts/credentials-v2.jsonld" in names
    assert "omc_vc/_contexts/manifest.json" in names
    assert any(n.startswith("omc_vc/_keys/") for n in names)
    assert "omc_vc/cli/main.py" in names
    assert "omc_vc/py.typed" in names
    # the PostgreSQL store's migrations (omc store migrate reads them from the package)
    assert "omc_vc/issue/migrations/0001_issuance.sql" in names
    top_level = {n.split("/")[0] for n in names if not n.startswith("omc_vc-")}
    assert top_level == {"omc_vc"}, top_level  # in particular no bare `cli` package
    # every subpackage of the source tree is in the wheel (the package list in pyproject.toml is explicit)
    for init in (REPO / "omc_vc").rglob("__init__.py"):
        rel = init.relative_to(REPO).as_posix()
        assert rel in names, f"{rel} is missing from the wheel: add its package to pyproject.toml"
    bundled = {n.split("/")[-1] for n in names if n.startswith("omc_vc/_contexts/")}
    manifest = json.loads((REPO / "contexts" / "manifest.json").read_text())
    entries = manifest if isinstance(manifest, list) else manifest.get("contexts", [])
    assert {e["file"] for e in entries} <= bundled


@pytest.mark.slow
def test_installed_wheel_runs_help_and_a_verification(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(wheel)], check=True, timeout=600,
                   capture_output=True)
    omc = env_dir / "bin" / "omc"
    result = subprocess.run([str(omc), "--help"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0 and "omc-vc" in result.stdout
    # one verification from the installed package, far from the source tree
    key = tmp_path / "k.key"
    subprocess.run([str(omc), "keys", "generate", "--out", str(key), "--insecure-plaintext"], check=True,
                   capture_output=True, timeout=60, cwd=tmp_path)
    did = json.loads(subprocess.run([str(omc), "keys", "show", str(key), "--json"], check=True, capture_output=True,
                                    text=True, timeout=60, cwd=tmp_path).stdout)["controller"]
    cred = tmp_path / "c.json"
    cred.write_text(json.dumps({
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:1b0e8c2a-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": did, "type": ["Profile"], "name": "Test College"},
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "type": ["AchievementSubject"],
                              "achievement": {"id": "https://example.ca/a/1", "type": ["Achievement"],
                                              "name": "A", "description": "B", "criteria": {"narrative": "C"}}},
    }))
    signed = tmp_path / "s.json"
    subprocess.run([str(omc), "sign", str(cred), "--key", str(key), "--out", str(signed)], check=True,
                   capture_output=True, timeout=60, cwd=tmp_path)
    check = subprocess.run([str(omc), "verify", str(signed), "--offline"], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "VERIFIED" in check.stdout
    where = subprocess.run([str(py), "-c", "import omc_vc, pathlib; print(pathlib.Path(omc_vc.__file__).parent)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout.strip()
    assert str(env_dir) in where  # really the installed copy, not the source tree
