"""Revocation and suspension end to end: publish the signed lists, serve them on loopback, verify."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc._internal.fetch import Fetcher
from omc_vc.bitstring import MIN_BITS, decode_bitstring, get_status
from omc_vc.checks.status import StatusListCheck
from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.issue.status_lists import build_status_list_credential
from omc_vc.issue.status_ops import publish_status_lists, revoke, suspend, unsuspend
from omc_vc.keys import KeyPair
from omc_vc.omc.profile import OmcProfileCheck
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import issue_batch, make_institution, open_issuer


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "public"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/status/", root / "status"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _verifier() -> Verifier:
    fetcher = Fetcher(allow_loopback=True)
    # a fresh StatusListCheck each time: no cache carried between the steps of a test
    return Verifier(fetcher=fetcher, extra_checks=[StatusListCheck(fetcher), OmcProfileCheck()])


def _issued(tmp_path, base_url):
    config, key = make_institution(tmp_path / "inst", base_url=base_url)
    report = issue_batch(config, tmp_path / "inst" / "roster.csv", tmp_path / "out", key=key, workers=1)
    files = {r.id: tmp_path / "out" / r.file for r in report.issued}
    return config, key, files


def test_revoking_one_fails_it_naming_revocation_while_others_verify(tmp_path, server) -> None:
    base_url, folder = server
    config, key, files = _issued(tmp_path, base_url)
    publish_status_lists(open_issuer(config, key), folder)
    assert all(_verifier().verify(p.read_bytes()).verified for p in files.values())
    victim = next(iter(files))
    revoke(SqliteStore(config.state_path), str(files[victim]))  # by file; the id works too
    written = publish_status_lists(open_issuer(config, key), folder)
    assert sorted(p.name for p in written) == ["revocation-1.json", "suspension-1.json"]
    for credential_id, path in files.items():
        result = _verifier().verify(path.read_bytes())
        if credential_id == victim:
            check = result.check("status")
            assert not result.verified and check.code == "CREDENTIAL_REVOKED", result.to_json()
        else:
            assert result.verified, (credential_id, result.errors)


def test_published_list_sets_the_bit_msb_first_at_the_credential_index(tmp_path, server) -> None:
    base_url, folder = server
    config, key, files = _issued(tmp_path, base_url)
    victim = next(iter(files))
    record = revoke(SqliteStore(config.state_path), victim)
    publish_status_lists(open_issuer(config, key), folder)
    document = json.loads((folder / "revocation-1.json").read_text())
    assert document["issuer"] == config.did and document["credentialSubject"]["statusPurpose"] == "revocation"
    bits = decode_bitstring(document["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == MIN_BITS
    assert record.status_index is not None
    assert get_status(bits, record.status_index) == 1
    assert sum(bin(b).count("1") for b in bits) == 1
    assert bits[record.status_index // 8] == 0x80 >> (record.status_index % 8)


def test_suspension_can_be_lifted(tmp_path, server) -> None:
    base_url, folder = server
    config, key, files = _issued(tmp_path, base_url)
    victim = next(iter(files))
    suspend(SqliteStore(config.state_path), victim)
    publish_status_lists(open_issuer(config, key), folder)
    result = _verifier().verify(files[victim].read_bytes())
    assert not result.verified and result.check("status").code == "CREDENTIAL_SUSPENDED"
    unsuspend(SqliteStore(config.state_path), victim)
    publish_status_lists(open_issuer(config, key), folder)
    assert _verifier().verify(files[victim].read_bytes()).verified


def test_default_omc_is_revocable_and_refuses_suspension_in_one_line(tmp_path, server) -> None:
    # ADR 0013: without status.suspension an OMC carries one revocation entry (the OB 3.0 schema's object)
    base_url, folder = server
    config, key = make_institution(tmp_path / "inst", base_url=base_url, suspension=False)
    report = issue_batch(config, tmp_path / "inst" / "roster.csv", tmp_path / "out", key=key, workers=1)
    files = [tmp_path / "out" / r.file for r in report.issued]
    victim, other = files[0], files[1]
    assert json.loads(victim.read_text())["credentialStatus"]["statusPurpose"] == "revocation"
    runner = CliRunner()
    refused = runner.invoke(cli, ["status", "suspend", "--config", str(config.path), str(victim)])
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.startswith("error: ") and refused.stderr.count("\n") == 1
    assert "without a suspension status entry; it can only be revoked" in refused.stderr
    assert runner.invoke(cli, ["status", "revoke", "--config", str(config.path), str(victim)]).exit_code == 0
    published = runner.invoke(cli, ["status", "publish", "--config", str(config.path), "--out", str(folder)])
    assert published.exit_code == 0, published.output
    assert sorted(p.name for p in folder.iterdir()) == ["revocation-1.json"]  # no suspension list at all
    result = _verifier().verify(victim.read_bytes())
    assert not result.verified and result.check("status").code == "CREDENTIAL_REVOKED"
    assert _verifier().verify(other.read_bytes()).verified


def test_unreachable_status_list_fails_closed(tmp_path, server) -> None:
    base_url, _ = server
    _, _, files = _issued(tmp_path, base_url)
    # nothing published: the list URL answers 404
    result = _verifier().verify(next(iter(files.values())).read_bytes())
    assert not result.verified and result.check("status").code == "STATUS_RETRIEVAL_ERROR"


def test_status_list_signed_by_another_issuer_is_rejected(tmp_path, server) -> None:
    # an attacker who controls the web server publishes an all-clear list signed with their own key
    base_url, folder = server
    config, key, files = _issued(tmp_path, base_url)
    victim = next(iter(files))
    revoke(SqliteStore(config.state_path), victim)
    publish_status_lists(open_issuer(config, key), folder)
    attacker = KeyPair.generate()
    for name, purpose in (("revocation-1.json", "revocation"), ("suspension-1.json", "suspension")):
        forged = build_status_list_credential(list_url=base_url + name, key=attacker, issuer=attacker.controller,
                                              purpose=purpose, bitstring=bytes(MIN_BITS // 8))
        (folder / name).write_text(json.dumps(forged))
    result = _verifier().verify(files[victim].read_bytes())
    assert not result.verified and result.check("status").code == "STATUS_VERIFICATION_ERROR"


def test_cli_status_commands_and_verdict(tmp_path, server) -> None:
    base_url, folder = server
    config, _, files = _issued(tmp_path, base_url)
    path = next(iter(files.values()))
    runner = CliRunner()
    result = runner.invoke(cli, ["status", "revoke", "--config", str(config.path), str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["revoked"]
    result = runner.invoke(cli, ["status", "publish", "--config", str(config.path), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "revocation-1.json").is_file()
    bad = runner.invoke(cli, ["status", "unsuspend", "--config", str(config.path), "urn:uuid:not-issued-here"])
    assert bad.exit_code == 2 and "no credential" in bad.stderr
    verdict = pytest.importorskip("omc_vc.verdict")
    verifier = verdict.make_verifier(fetcher=Fetcher(allow_loopback=True))
    outcome = verdict.verdict_of(verifier.verify(path.read_bytes()))
    assert outcome.status == "invalid" and "revoked" in (outcome.reason + outcome.headline).lower()


def test_omc_verify_exits_1_naming_the_revocation_and_0_for_the_others(tmp_path, server) -> None:
    # the whole institution + ministry flow through the CLI: issue, registry, publish, verify, revoke
    base_url, folder = server
    config, _, files = _issued(tmp_path, base_url)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, list(args))

    ministry = tmp_path / "ministry.key"
    assert run("keys", "generate", "--out", str(ministry), "--insecure-plaintext").exit_code == 0
    draft, anchors, public = tmp_path / "registry-draft.json", tmp_path / "anchors.json", tmp_path / "registry"
    assert run("registry", "init", "--anchor-key", str(ministry), "--out", str(draft),
               "--anchors-out", str(anchors)).exit_code == 0
    added = run("registry", "add-institution", "--registry", str(draft), "--name", "Example College",
                "--type", "college", "--did", config.did, "--valid-from", "2020-01-01T00:00:00Z",
                "--granted", "2020-01-01T00:00:00Z", "--consent-ref", "MCU-OMC-2026-0042", "--scope", "OMC,OMC+")
    assert added.exit_code == 0, added.output
    published = run("registry", "publish", "--registry", str(draft), "--key", str(ministry), "--out", str(public))
    assert published.exit_code == 0, published.output
    assert run("status", "publish", "--config", str(config.path), "--out", str(folder)).exit_code == 0

    def verify(path: Path, cache: str = "cache-before"):
        # the status list is cached until its ttl (BSL §3.2): a verifier that saw the list before the
        # revocation keeps its fresh copy for up to status.ttl_minutes, so the later checks use a new cache
        return run("verify", str(path), "--registry", str(public / "registry.json"), "--anchors", str(anchors),
                   "--registry-cache", str(tmp_path / cache), "--allow-http-loopback")

    victim, victim_file = next(iter(files.items()))
    ok = verify(victim_file)
    assert ok.exit_code == 0, ok.output
    assert "OMC+" in ok.stdout or "OMC" in ok.stdout
    assert run("status", "revoke", "--config", str(config.path), victim).exit_code == 0
    assert run("status", "publish", "--config", str(config.path), "--out", str(folder)).exit_code == 0
    for credential_id, path in files.items():
        result = verify(path, "cache-after")
        if credential_id == victim:
            assert result.exit_code == 1 and "CREDENTIAL_REVOKED" in result.stderr, result.output
        else:
            assert result.exit_code == 0, (credential_id, result.output)
