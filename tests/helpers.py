"""Test helpers: where ../shared is, loading its vectors, and skipping cleanly without it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
VECTORS = SHARED / "reference" / "vectors"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def require_shared() -> Path:
    if not (SHARED / "reference").is_dir():
        pytest.skip(f"../shared is not present at {SHARED}: the public vectors and suites live there")
    return SHARED


def vector(name: str) -> Any:
    require_shared()
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))
