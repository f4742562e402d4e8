"""The share and challenge stores, each test run on every kind: memory, a folder and PostgreSQL (a throwaway
cluster on loopback, tests/pgcluster.py; a fresh schema per test). The three give the same answers: the same
limits, the same expiry, the same single use."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from omc_vc._internal.timeutil import utcnow
from omc_vc.errors import ConfigError
from omc_vc.issue.store_setting import StoreSetting
from omc_vc.web.config import SharesConfig
from omc_vc.web.config import load_config as load_web_config
from omc_vc.web.shares import Challenges, ChallengeStore, ShareError, Shares, ShareStore, open_stores

KINDS = ("memory", "folder", "postgresql")


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``make(**limits)``: a (shares, challenges) pair of this kind with those SharesConfig limits."""
    opened: list[tuple[Shares, Challenges]] = []
    base = SharesConfig()
    if kind == "folder":
        base = replace(base, dir=tmp_path / "shares")
    elif kind == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        base = replace(base, store=StoreSetting(url=cluster.url(), schema=cluster.new_schema(), pool_size=2))

    def make_stores(**limits: Any) -> tuple[Shares, Challenges]:
        pair = open_stores(replace(base, **limits))
        opened.append(pair)
        return pair

    yield make_stores
    for shares, challenges in opened:
        shares.close()
        challenges.close()


def test_challenges_are_single_use_short_lived_and_bounded(make: Any) -> None:
    """Replay of a holder presentation: its challenge is consumed by the first use, expires, and a flood of
    challenge requests cannot grow the store without bound."""
    _, store = make(challenge_ttl_seconds=60, max_challenges=3)
    now = utcnow()
    first, expires = store.issue(now=now)
    second, _ = store.issue(now=now)
    assert first != second and expires == (now + timedelta(seconds=60)).replace(microsecond=0)
    assert store.consume(first, now=now) and not store.consume(first, now=now)  # single use
    assert not store.consume(second, now=now + timedelta(seconds=61))  # expired
    assert not store.consume("B" * 43, now=now) and not store.consume("../x", now=now)
    store.issue(now=now)
    store.issue(now=now)
    store.issue(now=now)
    with pytest.raises(ShareError) as info:
        store.issue(now=now)  # three outstanding: the bound
    assert info.value.status == 429 and info.value.code == "SHARE_CHALLENGES_EXHAUSTED"
    store.issue(now=now + timedelta(seconds=61))  # the expired ones are pruned to make room
    assert store.count() == 1


def test_expired_share_is_gone(make: Any) -> None:
    store, _ = make()
    share, token = store.create({"type": ["VerifiableCredential"]}, 60, holder="did:example:h")
    found = store.get(share.id)
    assert found is not None and found.holder == "did:example:h" and found.expires == share.expires
    assert found.credential == {"type": ["VerifiableCredential"]}
    later = utcnow() + timedelta(seconds=61)
    assert store.get(share.id, now=later) is None
    assert not store.withdraw(share.id, token, now=later)
    assert store.usage()[0] == 0  # the expired record was deleted, not just hidden


def test_sweep_deletes_only_the_expired(make: Any) -> None:
    store, _ = make()
    short, _ = store.create({"a": 1}, 60, holder="did:example:h")
    long, _ = store.create({"b": 2}, 3600, holder="did:example:h")
    assert store.sweep(now=utcnow() + timedelta(seconds=120)) == 1
    assert store.get(short.id) is None and store.get(long.id) is not None


def test_anonymous_shares_cannot_fill_the_disk(make: Any) -> None:
    """Storage exhaustion: the store's count and byte caps hold whoever asks."""
    store, _ = make(max_count=3, max_total_bytes=20_000)
    store.create({"type": ["VerifiableCredential"], "pad": "x" * 8000}, 3600, holder="did:example:1")
    store.create({"type": ["VerifiableCredential"], "pad": "x" * 8000}, 3600, holder="did:example:2")
    with pytest.raises(ShareError, match="full") as info:
        store.create({"type": ["VerifiableCredential"], "pad": "x" * 8000}, 3600, holder="did:example:3")
    assert info.value.status == 503
    store.create({"type": ["VerifiableCredential"]}, 3600, holder="did:example:3")
    with pytest.raises(ShareError, match="full"):
        store.create({"type": ["VerifiableCredential"]}, 3600, holder="did:example:4")  # count cap


def test_one_holder_cannot_take_every_place(make: Any) -> None:
    store, _ = make(max_per_holder=2)
    first, token = store.create({"a": 1}, 3600, holder="did:example:h")
    store.create({"a": 2}, 3600, holder="did:example:h")
    with pytest.raises(ShareError) as info:
        store.create({"a": 3}, 3600, holder="did:example:h")
    assert info.value.code == "SHARE_HOLDER_LIMIT" and info.value.status == 429
    store.create({"a": 4}, 3600, holder="did:example:other")  # another holder is not affected
    assert store.withdraw(first.id, token)
    store.create({"a": 5}, 3600, holder="did:example:h")  # a withdrawn share frees its place


def test_withdraw_needs_the_token(make: Any) -> None:
    """A guessed or stolen share id is not enough to withdraw someone's share: only its token is."""
    store, _ = make()
    share, token = store.create("eyJhbGciOiJFZERTQSJ9.e30.sig", 3600, holder="did:example:h")
    assert store.get(share.id) is not None and store.get(share.id).credential == "eyJhbGciOiJFZERTQSJ9.e30.sig"
    assert not store.withdraw(share.id, "wrong") and not store.withdraw(share.id, token[:-1])
    assert store.get(share.id) is not None
    assert store.withdraw(share.id, token)
    assert store.get(share.id) is None and not store.withdraw(share.id, token)
    assert store.get("../../etc/passwd") is None and store.get("short") is None


def test_ttl_bounds(make: Any) -> None:
    store, _ = make(max_ttl_seconds=3600, default_ttl_seconds=600)
    for ttl in (59, 3601, "60", True, 1.5):
        with pytest.raises(ShareError) as info:
            store.create({"a": 1}, ttl, holder="did:example:h")
        assert info.value.code == "BAD_TTL"
    now = utcnow()
    share, _ = store.create({"a": 1}, None, holder="did:example:h", now=now)
    assert share.expires == (now + timedelta(seconds=600)).replace(microsecond=0)


def test_share_store_keeps_only_the_token_hash(tmp_path: Path) -> None:
    """A leaked folder cannot withdraw anyone's share: the token is not in it, and the files are private."""
    store = ShareStore(tmp_path)
    share, token = store.create({"type": ["VerifiableCredential"]}, 3600, holder="did:example:h")
    text = (tmp_path / f"{share.id}.json").read_text()
    assert token not in text
    assert (tmp_path / f"{share.id}.json").stat().st_mode & 0o077 == 0
    challenge, _ = ChallengeStore(tmp_path / "challenges").issue()
    assert all(challenge not in p.name for p in (tmp_path / "challenges").iterdir())  # stored by hash


def test_postgresql_keeps_only_the_token_hash(pg_cluster: Any) -> None:
    """A leaked database cannot withdraw anyone's share either: no column holds the token or a challenge."""
    import psycopg

    schema = pg_cluster.new_schema()
    shares, challenges = open_stores(SharesConfig(store=StoreSetting(url=pg_cluster.url(), schema=schema)))
    try:
        share, token = shares.create({"type": ["VerifiableCredential"]}, 3600, holder="did:example:h")
        challenge, _ = challenges.issue()
        with psycopg.connect(pg_cluster.url()) as conn:
            rows = conn.execute(f"SELECT * FROM {schema}.hosted_shares").fetchall()
            rows += conn.execute(f"SELECT * FROM {schema}.share_challenges").fetchall()
        dump = json.dumps(rows, default=str)
        assert share.id in dump and token not in dump and challenge not in dump
    finally:
        shares.close()
    # opened again (a second process, a restart): the migration is not run twice, the share is there
    again, _ = open_stores(SharesConfig(store=StoreSetting(url=pg_cluster.url(), schema=schema)))
    try:
        assert again.get(share.id) is not None
    finally:
        again.close()


def test_share_store_setting(tmp_path: Path) -> None:
    serve = tmp_path / "serve.yaml"
    serve.write_text("shares: {store: {url_env: OMC_SHARES_URL, schema: shares_a}, max_per_holder: 3}\n")
    config = load_web_config(serve).shares
    assert config.store == StoreSetting(url_env="OMC_SHARES_URL", schema="shares_a") and config.dir is None
    assert config.max_per_holder == 3
    for text, field in (("shares: {store: 'http://db/x'}", "shares.store"),
                        ("shares: {store: {url: 'postgresql://db/x', port: 1}}", "shares.store.port"),
                        ("shares: {dir: here, store: 'postgresql://db/x'}", "shares.store")):
        serve.write_text(text + "\n")
        with pytest.raises(ConfigError) as info:
            load_web_config(serve)
        assert info.value.context["field"] == field and "shares.store" in info.value.detail


def test_unreachable_database_is_one_prompt_error() -> None:
    """The service does not start on a share store it cannot reach, and says so without the password."""
    from .offer_world import free_port

    url = f"postgresql://omc:secret-password@127.0.0.1:{free_port()}/shares"
    with pytest.raises(ShareError) as info:
        open_stores(SharesConfig(store=StoreSetting(url=url)))
    assert info.value.code == "SHARE_STORE_UNAVAILABLE" and info.value.status == 503
    assert "secret-password" not in info.value.detail and "127.0.0.1" in info.value.detail


def test_service_survives_lost_connections_and_answers_503_without_its_database(pg_cluster: Any) -> None:
    """Connections the server dropped are replaced (the pool checks each before use); with no database at
    all the share routes answer a 503 problem, never a 500, and verifying is unaffected."""
    import psycopg

    from omc_vc.web.app import create_app
    from omc_vc.web.config import WebConfig

    from .conftest import TestClient

    schema = pg_cluster.new_schema()
    config = WebConfig(public_url="https://verify.example.ca", offline=True,
                       shares=SharesConfig(store=StoreSetting(url=pg_cluster.url(), schema=schema)))
    with TestClient(create_app(config)) as web:
        assert web.post("/shares/challenge").status_code == 200
        with psycopg.connect(pg_cluster.url(), autocommit=True) as conn:
            killed = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()").fetchone()
        assert killed is not None and killed[0] >= 1
        time.sleep(0.2)  # the server has closed them
        assert web.post("/shares/challenge").status_code == 200
        assert web.get("/shares/" + "x" * 22).status_code == 404
        service = web.app.state.service  # type: ignore[attr-defined]
        service.shares.close()  # the store is gone
        for answer in (web.post("/shares/challenge"), web.get("/shares/" + "x" * 22)):
            assert answer.status_code == 503 and answer.json()["code"] == "SHARE_STORE_UNAVAILABLE", answer.text
        assert web.post("/verify/text", content="x").status_code == 200


def test_limits_hold_across_two_stores_on_one_database(pg_cluster: Any) -> None:
    """Two processes racing for the last places (two stores, each its own pool, on one schema): no holder
    gets more than its limit, and a challenge is consumed by one of them only."""
    from concurrent.futures import ThreadPoolExecutor

    setting = StoreSetting(url=pg_cluster.url(), schema=pg_cluster.new_schema())
    one = open_stores(SharesConfig(store=setting, max_per_holder=5))
    two = open_stores(SharesConfig(store=setting, max_per_holder=5))
    try:
        def create(i: int) -> str:
            try:
                (one if i % 2 else two)[0].create({"i": i}, 3600, holder="did:example:h")
                return "created"
            except ShareError as exc:
                return exc.code

        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = list(pool.map(create, range(16)))
        assert outcomes.count("created") == 5 and outcomes.count("SHARE_HOLDER_LIMIT") == 11
        assert one[0].usage()[0] == two[0].usage()[0] == 5
        challenges = [one[1].issue()[0] for _ in range(10)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            used = list(pool.map(lambda c: (one[1].consume(c), two[1].consume(c)), challenges))
        assert all(sorted(pair) == [False, True] for pair in used)
    finally:
        for shares, _ in (one, two):
            shares.close()
