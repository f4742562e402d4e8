"""Shared pytest fixtures. Keep this minimal: helpers live in the test modules that need them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: ../shared beside the repository: standards digest, contexts, vectors, conformance suites.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder; skips the test (with the reason) when it is not there."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared not found at {SHARED}: the reference files and conformance suites live there")
    return SHARED


@pytest.fixture(autouse=True)
def _no_default_registry(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The person running the tests may have configured a default registry (README "A default registry"):
    ``$OMC_REGISTRY`` or ``omc-vc/config.yaml`` in their config folder. Tests start without one; a test that
    needs one sets it itself."""
    monkeypatch.delenv("OMC_REGISTRY", raising=False)
    monkeypatch.delenv("OMC_ANCHORS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """A throwaway PostgreSQL cluster on loopback for the whole session (tests/pgcluster.py); each test takes a
    fresh schema of it. Skips (with the reason) when no server or psycopg is here, unless OMC_REQUIRE_POSTGRES=1
    (CI), where that is a failure."""
    from tests import pgcluster

    problem = pgcluster.problem()
    if problem is not None:
        if os.environ.get(pgcluster.REQUIRE_ENV) == "1":
            pytest.fail(f"{pgcluster.REQUIRE_ENV}=1 but {problem}", pytrace=False)
        pytest.skip(problem)
    cluster = pgcluster.start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()
