"""Fixtures of the web tests: an OMC world on disk and a TestClient of the service hosting it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from omc_vc.keys import KeyPair
from omc_vc.web.app import create_app

from .world import WebWorld, make_world

__all__ = ["TOKEN", "TestClient"]
TOKEN = "test-token-" + "x" * 24


@pytest.fixture
def world(tmp_path: Path) -> WebWorld:
    return make_world(tmp_path)


@pytest.fixture
def client(world: WebWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.config())) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def issuer_keys() -> list[KeyPair]:
    return [KeyPair.generate("ed25519"), KeyPair.generate("p256")]


@pytest.fixture
def api(tmp_path: Path, issuer_keys: list[KeyPair]) -> Iterator[TestClient]:
    """A service that issues (VC-API) as two did:key issuers, with its own status lists."""
    from omc_vc.issue.config import parse_config
    from omc_vc.keys import save_key
    from omc_vc.web.config import WebConfig

    # the one institution configuration, as omc serve reads it: key files and a state folder (the keys are
    # also handed to the service directly, as a caller holding them already does)
    files = [str(save_key(tmp_path / f"key-{n}.key", key, None, insecure_plaintext=True))
             for n, key in enumerate(issuer_keys)]
    institution = parse_config({"keys": files, "state_dir": "state"}, tmp_path)
    config = WebConfig(public_url="https://issuer.example.ca", offline=True, institution=institution)
    with TestClient(create_app(config, keys=issuer_keys, api_token=TOKEN)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {TOKEN}"
        yield test_client
