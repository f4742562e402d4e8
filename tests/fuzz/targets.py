"""The fuzz targets' bodies, importable without atheris (tests/fuzz/test_fuzz_smoke.py runs them on the
seed corpus in CI; tests/fuzz/fuzz_verify.py and fuzz_qr.py hand them to atheris).

A target may only ever end in a result or one of the project's typed errors; anything else (a
KeyError from a parser, a RecursionError, a crash) is a finding. A finding becomes a case in
tests/attacks/ and its input a file in tests/fuzz/corpus/.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path

from omc_vc.errors import OmcVcError
from omc_vc.qr import decode_payload
from omc_vc.verify import Verifier

CORPUS = Path(__file__).resolve().parent / "corpus"
NOW = datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)
_VERIFIER = Verifier()  # offline: did:key and nothing else; no fetcher, so the fuzzer never reaches the network


#: Findings already reported and kept as attack cases (``known_bug``), by exception type and message
#: fragment. They are skipped so a short CI fuzz run looks for *new* defects; OMC_FUZZ_STRICT=1 turns the
#: filter off. Remove an entry when its attack case loses its ``known_bug`` marker.
KNOWN_FINDINGS: tuple[tuple[type[BaseException], str, str], ...] = (
    # none open: the urlsplit ValueErrors found here were fixed (see the attack cases named in git history)
)


def _known(exc: BaseException) -> bool:
    if os.environ.get("OMC_FUZZ_STRICT"):
        return False
    return any(isinstance(exc, kind) and fragment in str(exc) for kind, fragment, _ in KNOWN_FINDINGS)


def _skip_known(target: Callable[[bytes], None]) -> Callable[[bytes], None]:
    @wraps(target)
    def run(data: bytes) -> None:
        try:
            target(data)
        except Exception as exc:
            if not _known(exc):
                raise

    return run


def verify_bytes(data: bytes) -> None:
    """Verifier.verify on raw bytes: must return a result (never verified for garbage) and never raise."""
    result = _VERIFIER.verify(data, now=NOW)
    # to_json is what the CLI and web service print: it must work on every result
    result.to_json()


def decode_qr(data: bytes) -> None:
    """qr.decode_payload on text: a payload, or QrError; then the payload goes through the verifier."""
    text = data.decode("utf-8", errors="replace")
    try:
        payload = decode_payload(text)
    except OmcVcError:
        return
    _VERIFIER.verify(payload, now=NOW).to_json()


def combined(data: bytes) -> None:
    """Both targets in one fuzzing process: the first byte chooses."""
    if not data:
        return
    (verify_bytes if data[0] % 2 == 0 else decode_qr)(data[1:])


TARGETS: dict[str, Callable[[bytes], None]] = {
    "verify": verify_bytes, "qr": decode_qr, "all": combined}
#: What the fuzzer runs: the targets with already-reported findings skipped (see KNOWN_FINDINGS).
FUZZ_TARGETS: dict[str, Callable[[bytes], None]] = {name: _skip_known(t) for name, t in TARGETS.items()}
