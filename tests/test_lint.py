"""Style is part of the build: ruff and mypy --strict stay clean over the library and the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if not found:
            pytest.skip(f"{name} is not installed in this environment")
        return found
    return str(path)


def test_ruff_clean() -> None:
    result = subprocess.run([_tool("ruff"), "check", "omc_vc", "cli"], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_clean() -> None:
    for args in (["mypy"], ["mypy", "--strict", "cli"]):
        result = subprocess.run([_tool("mypy"), *args[1:]], cwd=REPO, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
