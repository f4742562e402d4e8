"""Shared pytest fixtures. Keep this minimal: helpers live in the test modules that need them."""

from __future__ import annotations

from pathlib import Path

import pytest

#: ../shared beside the repository: standards digest, contexts, vectors, conformance suites.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder; skips the test (with the reason) when it is not there."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared not found at {SHARED}: the reference files and conformance suites live there")
    return SHARED
