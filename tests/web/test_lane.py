"""The fast lane (omc_vc/web/lane.py, ADR 0008): small verifications answered on the event-loop thread.

What must hold: the lane never waits on the network and never does long work (both are sent on to
the worker pool, where the answer is the one the pool alone gives), nothing a check catches can turn
its refusal into a result, and only small VC-API verify bodies try it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from omc_vc import jsonld
from omc_vc._internal.fetch import Fetcher, FetchError
from omc_vc.errors import ConfigError
from omc_vc.proofs.data_integrity import add_proof
from omc_vc.web import lane
from omc_vc.web.app import Service, create_app
from omc_vc.web.config import Hosted, Limits, parse_config
from tests.attacks.test_attack_corpus import _poison_graph
from tests.helpers import RoutedHTTP

from .conftest import TestClient
from .world import WebWorld, make_world


def _verify(web: TestClient, credential: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = web.post("/credentials/verify", json={"verifiableCredential": credential})
    return response.status_code, response.json()


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: answer[key] for key in ("verified", "checks", "errors", "warnings")}


def test_small_credential_is_answered_in_the_lane_with_the_pool_s_answer(world: WebWorld) -> None:
    credential, _ = world.credential("college")
    lane_app = create_app(world.config())
    pool_app = create_app(world.config(limits=Limits(lane_max_bytes=0)))
    with TestClient(lane_app) as fast, TestClient(pool_app) as slow:
        status, answer = _verify(fast, credential)
        pool_status, pool_answer = _verify(slow, credential)
    assert status == pool_status == 200 and answer["verified"] is True
    assert _comparable(answer) == _comparable(pool_answer)
    assert lane_app.state.service.lane_counts == {"answered": 1, "network": 0, "work": 0}
    assert pool_app.state.service.lane_counts == {"answered": 0, "network": 0, "work": 0}


def test_revoked_credential_is_refused_in_the_lane_too(world: WebWorld) -> None:
    credential, index = world.credential("college")
    world.revoke("college", index)
    app = create_app(world.config())
    with TestClient(app) as web:
        status, answer = _verify(web, credential)
    assert status == 400 and answer["verified"] is False
    assert any(error.get("code") == "CREDENTIAL_REVOKED" for error in answer["errors"]), answer["errors"]
    assert app.state.service.lane_counts["answered"] == 1


def test_a_verification_that_needs_the_network_goes_to_the_pool(tmp_path: Path) -> None:
    """Attack stopped: a credential naming a slow status-list server would hold the event loop (and every
    other request on it) for the whole fetch. The lane refuses the fetch before it starts; the pool fetches."""
    with RoutedHTTP() as server:
        world = make_world(tmp_path, base_url=server.base)
        credential, _ = world.credential("college")
        server.route("/status/college", (world.status_dir / "college.json").read_bytes(),
                     headers={"Content-Type": "application/vc+ld+json"})
        config = world.config(offline=False, allow_http_loopback=True,
                              hosted=Hosted(registry_file=world.registry_file))  # lists not pinned: fetched
        app = create_app(config)
        with TestClient(app) as web:
            first_status, first = _verify(web, credential)
            assert server.hits("/status/college") == 1  # fetched once, by the pool, not by the lane
            second_status, second = _verify(web, credential)
        assert first_status == second_status == 200 and first["verified"] is True
        assert _comparable(first) == _comparable(second)
        # the first needed the network; the second found the list in the warm cache and stayed in the lane
        assert app.state.service.lane_counts == {"answered": 1, "network": 1, "work": 0}
        assert server.hits("/status/college") == 1


def test_poison_graph_is_refused_on_the_lane_before_canonicalization(world: WebWorld) -> None:
    """Attack stopped: a small document whose canonicalization needs factorial work (an RDFC-1.0 poison
    graph) would hold the event loop. Its cycles need explicit blank node labels, which plain JSON-LD
    refuses before anything is canonicalized: the lane answers at once, as the pool would."""
    poison = _poison_graph(_Keys(world), {"nodes": 6})  # type: ignore[arg-type]
    assert len(json.dumps(poison)) < Limits().lane_max_bytes
    app = create_app(world.config())
    pool_app = create_app(world.config(limits=Limits(lane_max_bytes=0)))
    with TestClient(app) as fast, TestClient(pool_app) as slow:
        status, answer = _verify(fast, poison)
        pool_status, pool_answer = _verify(slow, poison)
    assert app.state.service.lane_counts == {"answered": 1, "network": 0, "work": 0}
    assert status == pool_status == 400 and answer["verified"] is False
    assert [e["code"] for e in answer["errors"]] == ["NON_PLAIN_JSON_LD"]
    assert _comparable(answer) == _comparable(pool_answer)


def test_heavy_canonicalization_is_sent_to_the_pool(world: WebWorld) -> None:
    """Attack stopped: a small plain document of many identical blank nodes makes RDFC-1.0 hash N-degree
    quads again and again; the lane gives up at its work bound and the pool answers."""
    key = world.issuers["nowhere"].key
    heavy = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
             "type": ["VerifiableCredential"], "issuer": key.controller,
             "credentialSubject": {"id": "did:example:heavy",
                                   "knows": [{"knows": [{"knows": {"name": "x"}} for _ in range(3)]}
                                             for _ in range(6)]}}
    signed = add_proof(heavy, key)
    assert len(json.dumps(signed)) < Limits().lane_max_bytes
    app = create_app(world.config())
    with TestClient(app) as fast:
        status, answer = _verify(fast, signed)
    assert app.state.service.lane_counts == {"answered": 0, "network": 0, "work": 1}
    assert status in (200, 400) and answer["verified"] is (status == 200)


class _Keys:
    """The two things _poison_graph needs of the attack corpus's world: a DID and a key per label."""

    def __init__(self, world: WebWorld) -> None:
        self.issuer = world.issuers["nowhere"].key

    def did(self, label: str) -> str:
        return self.issuer.controller

    def key(self, label: str) -> Any:
        return self.issuer


def test_large_bodies_never_try_the_lane(world: WebWorld) -> None:
    credential, _ = world.credential("college")
    padded = {**credential, "description": "x" * (Limits().lane_max_bytes + 1)}
    app = create_app(world.config())
    with TestClient(app) as web:
        status, _ = _verify(web, padded)
    assert status == 400  # the padding breaks the signature; what matters is where it was checked
    assert app.state.service.lane_counts == {"answered": 0, "network": 0, "work": 0}


def test_the_refusal_cannot_be_caught_as_an_error() -> None:
    """Checks fail closed by turning every Exception into a failed check; the lane's refusal must pass
    through them, or a refused fetch would become that check's result."""
    def check_that_swallows_errors() -> str:
        try:
            lane.refuse_network("fetching https://lists.example/1")
        except Exception:
            return "a failed check"
        return "passed"

    assert lane.attempt(check_that_swallows_errors) == (False, None, "network")
    assert check_that_swallows_errors() == "passed"  # outside the lane nothing is refused


def test_errors_raised_in_the_lane_propagate_as_from_the_pool() -> None:
    def broken() -> None:
        raise FetchError("no", code="FETCH_HTTP_ERROR")

    with pytest.raises(FetchError):
        lane.attempt(broken)
    assert not lane.in_lane()


def test_lane_fetcher_refuses_only_inside_the_lane() -> None:
    calls: list[str] = []

    class Recording(Fetcher):
        def get(self, url: str, **kwargs: Any) -> Any:  # type: ignore[override]
            calls.append(url)
            return "answer"

    fetcher = lane.LaneFetcher(Recording())
    assert fetcher.get("https://lists.example/1") == "answer"
    assert lane.attempt(fetcher.get, "https://lists.example/2") == (False, None, "network")
    assert lane.attempt(fetcher.get_ok, "https://lists.example/3") == (False, None, "network")
    assert calls == ["https://lists.example/1"]


def test_work_ceiling_applies_only_inside_its_block() -> None:
    class Stop(BaseException):
        pass

    # a 6-node clique of blank nodes: indistinguishable nodes, N-degree hashing over their permutations
    ids = [f"_:b{i}" for i in range(6)]
    dataset = {"@default": [{"subject": {"type": "blank node", "value": a},
                             "predicate": {"type": "IRI", "value": "http://example.org/knows"},
                             "object": {"type": "blank node", "value": b}} for a in ids for b in ids if a != b]}
    unbounded = jsonld.canonicalize_dataset(dataset)
    with jsonld.work_ceiling(100, Stop), pytest.raises(Stop):
        jsonld.canonicalize_dataset(dataset)
    with jsonld.work_ceiling(10_000_000, Stop):
        assert jsonld.canonicalize_dataset(dataset) == unbounded
    assert jsonld.canonicalize_dataset(dataset) == unbounded


def test_lane_size_is_configurable_and_bounded(tmp_path: Path) -> None:
    assert parse_config({"limits": {"lane_max_bytes": 0}}, tmp_path).limits.lane_max_bytes == 0
    assert parse_config({}, tmp_path).limits.lane_max_bytes == 16 * 1024
    with pytest.raises(ConfigError, match="lane_max_bytes must be at most"):
        parse_config({"limits": {"lane_max_bytes": lane.LANE_MAX_BYTES_CEILING + 1}}, tmp_path)


def test_service_wraps_its_fetcher(world: WebWorld) -> None:
    service = Service(world.config(offline=False))
    try:
        assert isinstance(service.fetcher, lane.LaneFetcher)
    finally:
        service.close()
