"""A short real fuzz run in CI (atheris, coverage-guided) over the verifier and the QR decoder.

CI runs a fixed seed and a fixed number of inputs, so a green run stays green (no finding appears at
random in a later CI run); `make fuzz SECONDS=N` is the open-ended exploration, and what it finds goes
into tests/fuzz/corpus and tests/attacks.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.helpers import REPO

RUNS = int(os.environ.get("OMC_FUZZ_RUNS", "15000"))
SEED = int(os.environ.get("OMC_FUZZ_SEED", "20261128"))


@pytest.mark.slow
@pytest.mark.parametrize("target", ["verify", "qr"])
def test_short_fuzz_run_finds_no_crash(target: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if importlib.util.find_spec("atheris") is None:
        if os.environ.get("CI"):
            pytest.fail("atheris is not installed but CI must run the fuzz targets")
        pytest.skip("atheris is not installed (pip install atheris)")
    result = subprocess.run(
        [sys.executable, str(REPO / "tests" / "fuzz" / "fuzz_verify.py"), f"--target={target}",
         f"-runs={RUNS}", f"-seed={SEED}", f"-artifact_prefix={tmp_path}/"],
        cwd=REPO, capture_output=True, text=True, timeout=900,
        env={**os.environ, "OMC_FUZZ_STRICT": "1", "PYTHONHASHSEED": "0"})
    crashes = list(tmp_path.glob("crash-*"))
    assert result.returncode == 0 and not crashes, result.stderr[-3000:]
