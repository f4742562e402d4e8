"""A short real fuzz run in CI (atheris, coverage-guided) over the verifier and the QR decoder."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.helpers import REPO

SECONDS = int(os.environ.get("OMC_FUZZ_SECONDS", "15"))


@pytest.mark.slow
@pytest.mark.parametrize("target", ["verify", "qr"])
def test_short_fuzz_run_finds_no_crash(target: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if importlib.util.find_spec("atheris") is None:
        if os.environ.get("CI"):
            pytest.fail("atheris is not installed but CI must run the fuzz targets")
        pytest.skip("atheris is not installed (pip install atheris)")
    result = subprocess.run(
        [sys.executable, str(REPO / "tests" / "fuzz" / "fuzz_verify.py"), f"--target={target}",
         f"-max_total_time={SECONDS}", f"-artifact_prefix={tmp_path}/"],
        cwd=REPO, capture_output=True, text=True, timeout=SECONDS * 10 + 120,
        env={**os.environ, "OMC_FUZZ_STRICT": "1"})
    crashes = list(tmp_path.glob("crash-*"))
    assert result.returncode == 0 and not crashes, result.stderr[-3000:]
