"""CI-safe smoke run of the fuzz targets (no atheris needed): each target on its seed corpus, plus a few
hundred deterministic mutations of each seed. A target may end only in a result or a typed error."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import pytest

from tests.fuzz.targets import CORPUS, TARGETS

SEEDS = sorted(p for p in CORPUS.glob("*/*") if p.is_file())
KNOWN_FINDINGS: dict[str, str] = {
    # a fuzzer finding whose fix is pending in the library; its attack case is tests/attacks/<name> (none open)
}


def _mutations(data: bytes, count: int, seed: int) -> list[bytes]:
    """Byte flips, truncations, duplications and splices, as libFuzzer would start with."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            choice = rng.randrange(4)
            if choice == 0 and buf:
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            elif choice == 1 and buf:
                del buf[rng.randrange(len(buf)):]
            elif choice == 2 and buf:
                i = rng.randrange(len(buf))
                buf[i:i] = buf[i:i + rng.randint(1, 16)] * rng.randint(1, 8)
            else:
                buf.insert(rng.randrange(len(buf) + 1), rng.choice(b'{}[]":,\\0.#%'))
        out.append(bytes(buf))
    return out


def test_seed_corpus_is_present() -> None:
    assert {p.parent.name for p in SEEDS} == {"verify", "qr"}


@pytest.mark.parametrize("seed", SEEDS, ids=[f"{p.parent.name}/{p.name}" for p in SEEDS])
def test_target_survives_seed_and_its_mutations(seed: Path) -> None:
    target = TARGETS[seed.parent.name]
    data = seed.read_bytes()
    try:
        target(data)
        for mutated in (_mutations(data, 12, zlib.crc32(seed.name.encode()))):
            target(mutated)
    except Exception as exc:  # anything but an OmcVcError escaping the target is a finding
        if seed.name in KNOWN_FINDINGS:
            pytest.xfail(f"known bug, see tests/attacks/{KNOWN_FINDINGS[seed.name]}: {type(exc).__name__}: {exc}")
        raise
