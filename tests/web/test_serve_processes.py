"""Several ``omc serve`` processes on one PostgreSQL database, issuing for two institutions at once (the VC-API
and wallet offers): no duplicate credential, no status index given twice, nothing lost; a process SIGKILLed in
the middle of issuing leaves no half-issued credential and a retry on the other process duplicates nothing
(with an Idempotency-Key, a retry gets the one credential of its request, the very bytes when it was answered,
and no status index is used up for nothing); status changes and publications made through one process are
seen through the other.

Real components only: two ``omc serve`` processes started as the operator starts them, a throwaway PostgreSQL
cluster on loopback (tests/pgcluster.py), HTTP over loopback sockets, SIGKILL.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from omc_vc._internal.timeutil import utcnow
from omc_vc.bitstring import decode_bitstring, get_status
from omc_vc.issue._fastfs import die_with_parent
from omc_vc.issue.config import load_config
from omc_vc.issue.offers import OfferDraft
from omc_vc.issue.stores import open_store
from omc_vc.keys import KeyPair, save_key
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import make_institution

from .offer_world import didauth, free_port

NAMES = ("college-a", "college-b")
PASSPHRASE = "processes test passphrase"
PUBLIC = "https://issuing.example.ca"
TIMEOUT = 30


def _token(name: str) -> str:
    return f"token-of-{name}-" + "y" * 20


def _env_name(name: str) -> str:
    return name.upper().replace("-", "_")


@dataclass
class Deployment:
    folder: Path
    serve_yaml: Path
    env: dict[str, str]
    url: str
    schemas: dict[str, str]
    dids: dict[str, str]

    def institution(self, name: str) -> Path:
        return self.folder / name / "institution.yaml"

    def start(self) -> Process:
        """One more ``omc serve`` process on the deployment's configuration, on a free port of its own."""
        port = free_port()
        log = open(self.folder / f"serve-{port}.log", "w+b")  # read back when it does not start
        parent = os.getpid()
        proc = subprocess.Popen([sys.executable, "-m", "omc_vc.cli.main", "serve", "--config", str(self.serve_yaml),
                                 "--port", str(port)], env=self.env, stdout=subprocess.DEVNULL, stderr=log,
                                preexec_fn=lambda: die_with_parent(parent))  # never left running after the tests
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return Process(proc, base)
            except requests.RequestException:
                time.sleep(0.1)
        proc.kill()
        log.seek(0)
        raise AssertionError(f"omc serve did not start: {log.read().decode(errors='replace')}")


@dataclass
class Process:
    proc: subprocess.Popen[bytes]
    base: str

    def issue(self, name: str, did: str, marker: str, key: str | None = None) -> requests.Response:
        body = {"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"],
                               "type": ["VerifiableCredential"], "issuer": did,
                               "credentialSubject": {"id": "did:example:learner", "name": marker}},
                "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}}
        headers = {"Authorization": f"Bearer {_token(name)}", **({"Idempotency-Key": key} if key else {})}
        return requests.post(f"{self.base}/credentials/issue", json=body, timeout=TIMEOUT, headers=headers)

    def bit(self, credential: dict[str, Any]) -> int:
        entry = credential["credentialStatus"]
        document = self.status_list(entry["statusListCredential"])
        return get_status(decode_bitstring(document["credentialSubject"]["encodedList"]), int(entry["statusListIndex"]))

    def status_list(self, url: str) -> dict[str, Any]:
        answer = requests.get(self.base + url.removeprefix(PUBLIC), timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        document: dict[str, Any] = answer.json()
        return document

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


@pytest.fixture
def deployment(pg_cluster: Any, tmp_path: Path) -> Deployment:
    """Two institutions (did:key issuers with the sample catalogue and offers), each in its own schema of one
    database, migrated with ``omc store migrate``; a service configuration naming both."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMC_")}
    env["OMC_TEST_PASS"] = PASSPHRASE
    env["OMC_TEST_STORE_URL"] = pg_cluster.url()
    schemas, dids, lines = {}, {}, []
    for name in NAMES:
        folder = tmp_path / name
        _, pair = make_institution(folder)
        save_key(folder / "issuer.key", KeyPair.from_secret_multibase(pair.secret_multibase()), PASSPHRASE,
                 overwrite=True)
        schemas[name] = pg_cluster.new_schema()
        dids[name] = pair.controller
        path = folder / "institution.yaml"
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^state: .*\n", "", text)
        text = re.sub(r"(?m)^  base_url: .*\n", "", text)  # its lists under the service's /status/NAME/
        text = text.replace("passphrase_env: OMC_ISSUER_PASSPHRASE", "passphrase_env: OMC_TEST_PASS")
        text += (f"store: {{url_env: OMC_TEST_STORE_URL, schema: {schemas[name]}}}\n"
                 f"token_env: OMC_TOKEN_{_env_name(name)}\noffers:\n  public_url: {PUBLIC}\n")
        path.write_text(text, encoding="utf-8")
        env[f"OMC_TOKEN_{_env_name(name)}"] = _token(name)
        lines.append(f"  {name}: {path}\n")
    serve_yaml = tmp_path / "serve.yaml"
    serve_yaml.write_text(f"public_url: {PUBLIC}\noffline: true\ninstitutions:\n{''.join(lines)}", encoding="utf-8")
    migrated = subprocess.run([sys.executable, "-m", "omc_vc.cli.main", "store", "migrate", "--serve-config",
                               str(serve_yaml), "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    return Deployment(tmp_path, serve_yaml, env, pg_cluster.url(), schemas, dids)


@pytest.fixture
def two(deployment: Deployment) -> Iterator[tuple[Process, Process]]:
    first, second = deployment.start(), deployment.start()
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


def _rows(deployment: Deployment, name: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(deployment.url) as conn:
        conn.execute(f"SET search_path TO {deployment.schemas[name]}")
        return conn.execute(sql).fetchall()


def _check_store(deployment: Deployment, name: str) -> dict[str, str]:
    """The institution's store holds only whole credentials (each with its signed document, whose hash is the
    recorded one), no status index twice, and every index given is owned once: the credentials by id."""
    rows = _rows(deployment, name, "SELECT id, document, content_hash, status_list, status_index FROM credentials")
    for credential_id, document, content_hash, _, _ in rows:
        assert document is not None, f"{credential_id} is recorded without its signed document"
        assert hashlib.sha256(document.encode("utf-8")).hexdigest() == content_hash
    slots = [(r[3], r[4]) for r in rows if r[3] is not None]
    assert len(slots) == len(set(slots)), "a status index was given to two credentials"
    allocated = _rows(deployment, name, "SELECT list_url, idx, credential_id FROM allocations")
    assert len({(r[0], r[1]) for r in allocated}) == len(allocated)
    owners = {(r[0], r[1]): r[2] for r in allocated}
    for credential_id, _, _, status_list, status_index in rows:
        if status_list is not None:
            assert owners[(status_list, status_index)] == credential_id
    return {str(r[0]): str(r[1]) for r in rows}


def test_two_processes_issue_for_two_institutions_at_once(deployment: Deployment, two: tuple[Process, Process]) -> None:
    first, second = two
    per_worker = 8
    jobs = [(proc, name, f"{name}-{n}-{k}") for n, proc in enumerate(two) for name in NAMES for k in range(per_worker)]

    def issue(job: tuple[Process, str, str]) -> tuple[str, Any]:
        proc, name, marker = job
        answer = proc.issue(name, deployment.dids[name], marker)
        assert answer.status_code == 201, answer.text
        return name, answer.json()["verifiableCredential"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        issued = list(pool.map(issue, jobs))
    for name in NAMES:
        mine = [credential for owner, credential in issued if owner == name]
        assert len(mine) == 2 * per_worker
        stored = _check_store(deployment, name)
        # nothing lost, nothing twice: exactly the credentials answered, each as it was answered
        assert sorted(stored) == sorted(c["id"] for c in mine)
        assert all(credential["issuer"] == deployment.dids[name] for credential in mine)
        assert _rows(deployment, name, "SELECT count(*) FROM reservations") == [(0,)]
        assert Verifier().verify(mine[0], checks=["data-model", "proof"]).verified

    # a status change through one process is seen through the other, and both publish the same signed list
    victim = next(credential for owner, credential in issued if owner == "college-a")
    url = victim["credentialStatus"]["statusListCredential"]
    assert first.bit(victim) == 0 and second.bit(victim) == 0
    assert first.status_list(url) == second.status_list(url)  # one signed copy, kept in the store
    revoked = requests.post(f"{first.base}/credentials/status", timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {_token('college-a')}"},
                            json={"credentialId": victim["id"], "status": True})
    assert revoked.status_code == 200, revoked.text
    assert second.bit(victim) == 1 and first.bit(victim) == 1
    assert first.status_list(url) == second.status_list(url)
    # and only the token of its institution reads it, through either process
    path = f"/credentials/{victim['id']}"
    assert requests.get(second.base + path, timeout=TIMEOUT,
                        headers={"Authorization": f"Bearer {_token('college-a')}"}).json()["verifiableCredential"] \
        == victim
    assert requests.get(first.base + path, timeout=TIMEOUT,
                        headers={"Authorization": f"Bearer {_token('college-b')}"}).status_code == 404


def _keep_sending(send: Any, items: list[Any], results: dict[Any, Any], stop: threading.Event) -> None:
    """Send each item until ``stop``: its answer, or the exception of a request cut off."""
    for item in items:
        if stop.is_set():
            return
        try:
            results[item] = send(item)
        except requests.RequestException as exc:
            results[item] = exc
            return  # the process is gone


def _kill_when(proc: Process, results: dict[Any, Any], answered: int) -> None:
    deadline = time.monotonic() + 120
    while sum(1 for r in results.values() if not isinstance(r, Exception)) < answered:
        assert time.monotonic() < deadline, "the first process answered too few requests"
        time.sleep(0.005)
    os.kill(proc.proc.pid, signal.SIGKILL)  # mid-issue: the other senders' requests are in flight
    proc.proc.wait(timeout=15)


def test_a_process_killed_mid_issue_leaves_nothing_half_issued_and_a_retry_duplicates_nothing(
        deployment: Deployment, two: tuple[Process, Process], monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = two
    # --- the VC-API: three senders on the first process, killed after a few answers ----------------------
    markers = [f"vc-{n}" for n in range(60)]
    results: dict[Any, Any] = {}
    stop = threading.Event()
    senders = [threading.Thread(target=_keep_sending, args=(
        lambda marker: first.issue("college-a", deployment.dids["college-a"], marker), markers[k::3], results, stop))
        for k in range(3)]
    for sender in senders:
        sender.start()
    _kill_when(first, results, 6)
    stop.set()
    for sender in senders:
        sender.join(timeout=60)
    answered = {m: r.json()["verifiableCredential"] for m, r in results.items()
                if not isinstance(r, Exception) and r.status_code == 201}
    cut_off = [m for m, r in results.items() if isinstance(r, Exception)]
    assert cut_off, "no request was in flight when the process was killed"
    stored = _check_store(deployment, "college-a")  # no half-issued credential
    for credential in answered.values():  # nothing answered is lost
        assert credential["id"] in stored
    pending = _rows(deployment, "college-a", "SELECT slots FROM reservations")
    # the cut-off requests are retried on the surviving process, and more are issued there: no index a
    # killed reservation holds (or anyone else's) is ever given again
    for marker in cut_off + [f"after-{n}" for n in range(5)]:
        answer = second.issue("college-a", deployment.dids["college-a"], marker)
        assert answer.status_code == 201, answer.text
    stored = _check_store(deployment, "college-a")
    held = {(s["url"], s["index"]) for row in pending for s in json.loads(row[0])}
    issued = set(_rows(deployment, "college-a", "SELECT status_list, status_index FROM credentials"))
    assert not held & issued

    # --- wallet offers: a holder's redeem cut off on the killed process, retried on the other ------------
    monkeypatch.setenv("OMC_TEST_STORE_URL", deployment.url)
    config = load_config(deployment.institution("college-b"))
    with open_store(config) as store:  # the registrar's omc offer, on the same database
        offers = [store.create_offer(OfferDraft("weld-101", f"Learner {n}", f"l{n}@example.ca"), now=utcnow())
                  for n in range(12)]
    holders = {new.offer.id: KeyPair.generate() for new in offers}
    third = deployment.start()  # the first process is gone: redeem on a fresh one, and kill it too

    def redeem(proc: Process, offer_id: str) -> requests.Response:
        new = next(n for n in offers if n.offer.id == offer_id)
        return requests.post(f"{proc.base}/exchanges/{offer_id}/lcw", timeout=TIMEOUT,
                             json=didauth(holders[offer_id], challenge=new.secret))

    try:
        results = {}
        ids = [new.offer.id for new in offers]
        senders = [threading.Thread(target=_keep_sending, args=(lambda i: redeem(third, i), ids[k::3], results, stop))
                   for k in range(3)]
        stop.clear()
        for sender in senders:
            sender.start()
        _kill_when(third, results, 3)
        stop.set()
        for sender in senders:
            sender.join(timeout=60)
    finally:
        third.stop()
    got: dict[str, str] = {i: r.json()["id"] for i, r in results.items()
                           if not isinstance(r, Exception) and r.status_code == 200}
    for offer_id in ids:  # every learner's wallet retries what it did not get, on the surviving process
        if offer_id not in got:
            answer = redeem(second, offer_id)
            assert answer.status_code == 200, answer.text
            got[offer_id] = answer.json()["id"]
    stored = _check_store(deployment, "college-b")
    # exactly one credential per offer, the one its wallet holds, named by the offer
    assert sorted(stored) == sorted(got.values())
    states = dict(_rows(deployment, "college-b", "SELECT id, credential_id FROM offers"))
    assert states == got


def test_a_keyed_request_cut_off_by_a_kill_is_issued_once_on_retry(deployment: Deployment,
                                                                   two: tuple[Process, Process]) -> None:
    """Each VC-API request carries an Idempotency-Key; the first process is SIGKILLed mid-issue and the client
    retries every request on the other: one credential per request, the answered ones answered again byte
    for byte, every cut-off reservation finished by its retry (no status index used up for nothing)."""
    first, second = two
    did = deployment.dids["college-a"]
    keys = {f"keyed-{n}": str(uuid.uuid4()) for n in range(45)}
    markers = list(keys)
    results: dict[Any, Any] = {}
    stop = threading.Event()
    senders = [threading.Thread(target=_keep_sending, args=(
        lambda marker: first.issue("college-a", did, marker, keys[marker]), markers[k::3], results, stop))
        for k in range(3)]
    for sender in senders:
        sender.start()
    # killed after a few answers, as soon as a request has reserved its id and index but not recorded it yet
    deadline = time.monotonic() + 120
    while sum(1 for r in results.values() if not isinstance(r, Exception)) < 3 or \
            _rows(deployment, "college-a", "SELECT count(*) FROM reservations") == [(0,)]:
        assert time.monotonic() < deadline, "no request was caught between its reservation and its record"
        time.sleep(0.001)
    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait(timeout=15)
    stop.set()
    for sender in senders:
        sender.join(timeout=60)
    answered = {m: r.content for m, r in results.items() if not isinstance(r, Exception) and r.status_code == 201}
    assert any(isinstance(r, Exception) for r in results.values()), "no request was in flight at the kill"
    # what the killed requests left reserved (usually one: the kill is aimed between a reservation and its record)
    cut_off = {str(r[0]): json.loads(r[1]) for r in _rows(deployment, "college-a",
                                                          "SELECT credential_id, slots FROM reservations")}

    final: dict[str, dict[str, Any]] = {}
    for marker in markers:  # the client retries every request it sent (or meant to) with its key
        deadline = time.monotonic() + 20
        while True:
            answer = second.issue("college-a", did, marker, keys[marker])
            if answer.status_code != 409:  # 409: the killed process's hold of the key is not dropped yet
                break
            assert time.monotonic() < deadline, "the killed request's key stayed held"
            time.sleep(0.1)
        assert answer.status_code == 201, answer.text
        if marker in answered:
            assert answer.content == answered[marker]  # the very answer the first process gave
        final[marker] = answer.json()["verifiableCredential"]
        assert final[marker]["credentialSubject"]["name"] == marker
    stored = _check_store(deployment, "college-a")
    assert sorted(stored) == sorted(c["id"] for c in final.values())  # one credential per request, no other
    for credential_id, [slot] in cut_off.items():  # each finished by its retry, with the id and index reserved
        [credential] = [c for c in final.values() if c["id"] == credential_id]
        assert int(credential["credentialStatus"]["statusListIndex"]) == slot["index"]
    assert _rows(deployment, "college-a", "SELECT count(*) FROM reservations") == [(0,)]
    assert _rows(deployment, "college-a", "SELECT count(*) FROM allocations") == [(len(markers),)]
    # a retry of them all again changes nothing
    again = second.issue("college-a", did, markers[0], keys[markers[0]])
    assert again.status_code == 201 and again.json()["verifiableCredential"] == final[markers[0]]
    assert len(_check_store(deployment, "college-a")) == len(markers)
