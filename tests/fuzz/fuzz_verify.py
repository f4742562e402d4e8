#!/usr/bin/env python3
"""atheris fuzz target over ``Verifier.verify`` on bytes (and, by default, ``qr.decode_payload`` too).

    make fuzz SECONDS=60                                   # both targets (the first input byte chooses)
    .venv/bin/python tests/fuzz/fuzz_verify.py --target=verify -max_total_time=60
    .venv/bin/python tests/fuzz/fuzz_verify.py --target=qr -max_total_time=60 tests/fuzz/corpus/qr

Without a corpus folder argument the seed corpus in tests/fuzz/corpus/<target> is used (copied to a
scratch folder so libFuzzer's new inputs do not pollute the repository). libFuzzer options (``-runs``,
``-max_len`` ...) pass through. Any exception that is not an OmcVcError is reported as a crash and the
input saved as ``crash-*``: minimise it, add it to tests/fuzz/corpus/, and add an attack case. Findings
already reported are skipped (tests/fuzz/targets.py KNOWN_FINDINGS); set OMC_FUZZ_STRICT=1 to see them.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(argv: list[str], default_target: str = "all") -> None:
    # atheris is imported here, not at module level: pytest --doctest-modules imports this file in CI
    import atheris  # type: ignore[import-untyped]

    with atheris.instrument_imports():
        from tests.fuzz.targets import CORPUS, FUZZ_TARGETS

    target = default_target
    rest = []
    for arg in argv[1:]:
        if arg.startswith("--target="):
            target = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    if target not in FUZZ_TARGETS:
        sys.exit(f"unknown target {target!r}: one of {', '.join(FUZZ_TARGETS)}")
    if not any(not a.startswith("-") for a in rest):
        scratch = Path(tempfile.mkdtemp(prefix=f"omc-fuzz-{target}-"))
        for folder in ([CORPUS / "verify", CORPUS / "qr"] if target == "all" else [CORPUS / target]):
            for seed in folder.glob("*"):
                prefix = b"" if target != "all" else (b"\x00" if folder.name == "verify" else b"\x01")
                (scratch / f"{folder.name}-{seed.name}").write_bytes(prefix + seed.read_bytes())
        rest.append(str(scratch))
        atexit.register(shutil.rmtree, scratch, True)
        print(f"fuzzing {target} with the seed corpus copied to {scratch}", file=sys.stderr)
    atheris.Setup([argv[0], *rest], FUZZ_TARGETS[target])
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
