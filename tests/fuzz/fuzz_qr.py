#!/usr/bin/env python3
"""atheris fuzz target over ``qr.decode_payload`` (then the verifier, on what it decodes).

    .venv/bin/python tests/fuzz/fuzz_qr.py -max_total_time=60
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.fuzz_verify import main

if __name__ == "__main__":
    main(sys.argv, default_target="qr")
