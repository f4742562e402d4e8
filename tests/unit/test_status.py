"""Bitstring Status List v1.0: the bitstring codec, the issue side and the verifier's ``status`` check.

Served lists come from a loopback ThreadingHTTPServer started here and are fetched through
``Fetcher(allow_loopback=True)``; each attack a status check must stop has a test named after it.
"""

from __future__ import annotations

import copy
import gzip
import importlib
import json
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.multibase import multibase_encode
from omc_vc.bitstring import MIN_BITS, decode_bitstring, encode_bitstring, get_status, set_status
from omc_vc.checks.status import StatusListCheck
from omc_vc.did import DidResolver, did_key_public_key, did_web_document
from omc_vc.errors import StatusError
from omc_vc.issue.status_lists import build_status_list_credential, status_entry
from omc_vc.keys import KeyPair
from omc_vc.model import VerificationResult
from omc_vc.proofs.data_integrity import add_proof, proof_hashes
from omc_vc.proofs.jose import sign_jwt
from omc_vc.verify import CheckContext, Verifier
from tests.helpers import RoutedHTTP, vector

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
V2 = "https://www.w3.org/ns/credentials/v2"


# --- a loopback server for status lists -----------------------------------------------------------

class ListServer(RoutedHTTP):
    """Serves status lists on 127.0.0.1 (port 0); records every request's path and headers."""

    def __init__(self) -> None:
        super().__init__()
        self.start()

    def serve(self, path: str, document: dict[str, Any] | str, *, status: int = 200,
              etag: str | None = None) -> str:
        body = document.encode() if isinstance(document, str) else json.dumps(document).encode()
        return self.route(path, body, status=status, headers={"ETag": etag} if etag else None)

    def url(self, path: str) -> str:
        return self.base + path



@pytest.fixture
def server() -> Iterator[ListServer]:
    srv = ListServer()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def issuer() -> KeyPair:
    return KeyPair.generate("ed25519")


@pytest.fixture(scope="module")
def stranger() -> KeyPair:
    return KeyPair.generate("ed25519")


FETCHER = Fetcher(allow_loopback=True, timeout=3.0)


def bitstring(*set_indices: int, bits: int = MIN_BITS) -> bytes:
    out = bytearray(bits // 8)
    for index in set_indices:
        set_status(out, index, 1)
    return bytes(out)


def status_list(key: KeyPair, url: str, *set_indices: int, purpose: str = "revocation",
                bits: bytes | None = None, valid_from: datetime = NOW - timedelta(days=30),
                created: datetime = NOW - timedelta(days=1), **kwargs: Any) -> dict[str, Any]:
    return build_status_list_credential(
        list_url=url, key=key, issuer=key.controller, purpose=purpose,
        bitstring=bits if bits is not None else bitstring(*set_indices),
        valid_from=valid_from, created=created, **kwargs)


def credential(key: KeyPair, *entries: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [V2],
        "id": "urn:uuid:6f1b7a0e-3b6e-4a57-9a3e-2f8d8a9c1d11",
        "type": ["VerifiableCredential"],
        "issuer": key.controller,
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "Test credential",
        "credentialSubject": {"id": "did:example:learner"},
    }
    if entries:
        doc["credentialStatus"] = list(entries) if len(entries) > 1 else entries[0]
    return add_proof(doc, key, created=NOW - timedelta(days=1))


def verify(doc: dict[str, Any], check: StatusListCheck, *, now: datetime = NOW) -> VerificationResult:
    return Verifier(fetcher=FETCHER, extra_checks=[check]).verify(doc, now=now)


def status_check(result: VerificationResult) -> Any:
    check = result.check("status")
    assert check is not None, [c.to_json() for c in result.checks]
    return check


def run_check(check: StatusListCheck, doc: dict[str, Any], *, now: datetime = NOW) -> Any:
    """Call the check directly (as the Verifier would) on a document whose own proof is not at issue."""
    ctx = CheckContext(now=now, resolver=DidResolver(), fetcher=FETCHER, loader=None, result=VerificationResult())
    checks = list(check(doc, ctx))
    assert len(checks) == 1
    return checks[0]


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


# --- the published vectors ------------------------------------------------------------------------

def set_bits(bits: bytes) -> list[int]:
    return [i for i in range(len(bits) * 8) if get_status(bits, i)]


def test_spec_example_list_is_16kb_of_zeros() -> None:
    data = vector("bitstring-status-list.json")
    bits = decode_bitstring(data["specExampleEncodedList"])
    assert len(bits) == data["specExampleDecoded"]["uncompressed_bytes"]
    assert len(bits) * 8 == data["specExampleDecoded"]["length_bits"] == MIN_BITS
    assert set_bits(bits) == data["specExampleDecoded"]["set_indices"]


def test_dcc_list_decodes_msb_first() -> None:
    data = vector("bitstring-status-list.json")["dccExample"]
    bits = decode_bitstring(data["encodedList"])
    assert len(bits) * 8 == data["length_bits"]
    assert set_bits(bits) == data["set_indices_MSB_first"]
    # index 0 is the left-most bit: indices 2 and 6 are 0b00100010 in byte 0, index 8 is 0x80 of byte 1
    assert bits[:2] == bytes([0x22, 0x80])
    for index, meaning in data["expected"].items():
        assert get_status(bits, int(index)) == (1 if meaning == "revoked" else 0)


def test_dcc_list_rejected_as_too_short_unless_the_ecosystem_lowers_the_minimum(issuer: KeyPair) -> None:
    data = vector("bitstring-status-list.json")["dccExample"]
    url = "https://status.example.ca/dcc"
    dcc_bits = decode_bitstring(data["encodedList"])
    # the issue side refuses to publish a list below 16KB ...
    with pytest.raises(StatusError) as info:
        status_list(issuer, url, bits=dcc_bits)
    assert info.value.code == "STATUS_LIST_LENGTH_ERROR"
    # ... and the verifier refuses to take "not revoked" from such a list unless told the ecosystem minimum
    # is lower (§3.2 step 2); a set bit on it still revokes (it can only make the verdict worse)
    listing = sign_short_list(issuer, url, data["encodedList"])
    doc = credential(issuer, status_entry(url, 6, "revocation"))
    strict = verify(doc, StatusListCheck(None, documents={url: listing}))
    assert status_check(strict).code == "CREDENTIAL_REVOKED"
    assert "fewer than the required 131072" in status_check(strict).detail
    clear = verify(credential(issuer, status_entry(url, 7, "revocation")),
                   StatusListCheck(None, documents={url: listing}))
    assert status_check(clear).code == "STATUS_LIST_LENGTH_ERROR"
    # an index past the end of the short list is still a range error, never revoked
    past = verify(credential(issuer, status_entry(url, 100_000, "revocation")),
                  StatusListCheck(None, documents={url: listing}))
    assert status_check(past).code == "STATUS_LIST_LENGTH_ERROR"
    lenient = StatusListCheck(None, documents={url: listing}, min_bits=100_000)
    assert status_check(verify(doc, lenient)).code == "CREDENTIAL_REVOKED"
    assert status_check(verify(credential(issuer, status_entry(url, 7, "revocation")), lenient)).status == "passed"


def sign_short_list(key: KeyPair, url: str, encoded: str) -> dict[str, Any]:
    doc = {"@context": [V2], "id": url, "type": ["VerifiableCredential", "BitstringStatusListCredential"],
           "issuer": key.controller, "validFrom": "2026-01-01T00:00:00Z",
           "credentialSubject": {"id": url + "#list", "type": "BitstringStatusList",
                                 "statusPurpose": "revocation", "encodedList": encoded}}
    return add_proof(doc, key, created=NOW - timedelta(days=1))


def _bare_vm_signature_ok(document: dict[str, Any]) -> bool:
    proof = document["proof"]
    _, _, hash_data = proof_hashes(document, proof)
    key = did_key_public_key(proof["verificationMethod"])
    from omc_vc._internal.multibase import multibase_decode

    return key.verify(multibase_decode(proof["proofValue"]), hash_data)


def test_spec_signed_examples_verify_cryptographically_but_not_under_strict_rules() -> None:
    credential_doc, list_doc = vector("bitstring-status-list.json")["specSignedExamples"]
    # the REC's eddsa renderings carry a bare did:key as verificationMethod: the signatures themselves hold
    assert _bare_vm_signature_ok(credential_doc)
    assert _bare_vm_signature_ok(list_doc)
    tampered = copy.deepcopy(list_doc)
    tampered["credentialSubject"]["encodedList"] = encode_bitstring(bitstring(94567))
    assert not _bare_vm_signature_ok(tampered)
    # the list decodes to the spec's all-zero 16KB list, so index 94567 is unset
    assert get_status(decode_bitstring(list_doc["credentialSubject"]["encodedList"]), 94567) == 0
    # a bare did:key resolves to its single key, so the list's proof verifies; but its signing key is not its
    # issuer's (the REC's examples name another issuer): the list is refused, fail closed
    url = credential_doc["credentialStatus"]["statusListCredential"]
    check = run_check(StatusListCheck(None, documents={url: list_doc}), credential_doc)
    assert check.status == "failed"
    assert check.code == "STATUS_VERIFICATION_ERROR"
    assert "not to the issuer" in check.detail


# --- codec round trips -----------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=4096))
def test_encode_decode_round_trip_is_exact(data: bytes) -> None:
    encoded = encode_bitstring(data)
    assert encoded.startswith("u") and "=" not in encoded
    assert decode_bitstring(encoded) == data
    assert encode_bitstring(data) == encoded  # deterministic: no timestamp in the gzip header


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=1, max_value=4),
       st.lists(st.tuples(st.integers(min_value=0, max_value=511), st.integers(min_value=0, max_value=15)),
                max_size=40))
def test_set_then_get_matches_a_model(size: int, writes: list[tuple[int, int]]) -> None:
    bits = bytearray(size * 512 // 8)
    model: dict[int, int] = {}
    for index, value in writes:
        value %= 1 << size
        set_status(bits, index, value, size)
        model[index] = value
    for index in range(512):
        assert get_status(bytes(bits), index, size) == model.get(index, 0)


def test_multi_bit_entries_read_first_bit_as_most_significant() -> None:
    bits = bytearray(1)
    set_status(bits, 1, 0b10, size=2)
    assert bits == bytearray([0b00100000])
    assert get_status(bytes(bits), 1, size=2) == 2


def test_index_outside_the_bitstring_is_a_range_error() -> None:
    bits = bytes(16)
    for index, size in ((128, 1), (64, 2), (-1, 1), (63, 3)):
        with pytest.raises(StatusError) as info:
            get_status(bits, index, size)
        assert info.value.code == "RANGE_ERROR"
    with pytest.raises(StatusError) as info:
        set_status(bytearray(16), 0, 2, size=1)
    assert info.value.code == "RANGE_ERROR"


def test_gzip_bomb_stops_at_the_output_cap_without_inflating() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    bomb = b"".join(compressor.compress(block) for _ in range(64)) + compressor.flush()  # 64 MB of zeros
    encoded = multibase_encode(bomb, "u")
    tracemalloc.start()
    try:
        with pytest.raises(StatusError) as info:
            decode_bitstring(encoded, max_bytes=1 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.code == "MALFORMED_VALUE_ERROR"
    assert "bomb" in info.value.detail
    assert peak < 8 << 20  # never near the 64 MB the bomb expands to


@pytest.mark.parametrize("encoded, why", [
    ("z" + "3mJr7AoUXx2Wqd", "base58 is not the required base64url"),
    ("u" + multibase_encode(zlib.compress(bytes(64)), "u")[1:], "zlib framing is not GZIP"),
    ("u" + multibase_encode(gzip.compress(bytes(64), mtime=0)[:-6], "u")[1:], "truncated gzip"),
    ("u" + multibase_encode(gzip.compress(bytes(64), mtime=0) + b"junk", "u")[1:], "trailing garbage"),
    (multibase_encode(gzip.compress(bytes(64), mtime=0), "u") + "==", "padding"),
    ("", "empty"),
])
def test_malformed_encoded_lists_are_refused(encoded: str, why: str) -> None:
    with pytest.raises(StatusError) as info:
        decode_bitstring(encoded)
    assert info.value.code == "MALFORMED_VALUE_ERROR", why


def test_multi_member_gzip_is_one_bitstring() -> None:
    # RFC 1952 §2.2: a gzip file is a series of members
    encoded = multibase_encode(gzip.compress(b"\x80", mtime=0) + gzip.compress(b"\x01", mtime=0), "u")
    assert decode_bitstring(encoded) == b"\x80\x01"


# --- the issue side ------------------------------------------------------------------------------

def test_status_entry_has_the_spec_shape() -> None:
    entry = status_entry("https://status.example.ca/lists/3", 94567, "revocation")
    assert entry == {"id": "https://status.example.ca/lists/3#94567", "type": "BitstringStatusListEntry",
                     "statusPurpose": "revocation", "statusListIndex": "94567",
                     "statusListCredential": "https://status.example.ca/lists/3"}
    with pytest.raises(StatusError):
        status_entry("https://status.example.ca/lists/3", 1, "message", size=2)  # statusMessage missing


def test_status_list_credential_has_the_spec_shape_and_verifies(issuer: KeyPair) -> None:
    url = "https://status.example.ca/lists/3"
    doc = status_list(issuer, url, 5, ttl_ms=60_000)
    assert doc["@context"] == [V2]
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert doc["id"] == url and doc["issuer"] == issuer.controller
    subject = doc["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    assert subject["ttl"] == 60_000
    assert set_bits(decode_bitstring(subject["encodedList"])) == [5]
    assert doc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert Verifier().verify(doc, now=NOW).verified


def test_issue_side_refuses_a_key_that_is_not_the_issuers(issuer: KeyPair, stranger: KeyPair) -> None:
    with pytest.raises(StatusError):
        build_status_list_credential(list_url="https://status.example.ca/l", key=stranger, issuer=issuer.controller,
                                     purpose="revocation", bitstring=bitstring())


# --- the check against a served list ----------------------------------------------------------------

def test_unrevoked_credential_passes(server: ListServer, issuer: KeyPair) -> None:
    url = server.serve("/lists/1", status_list(issuer, server.url("/lists/1"), 9))
    result = verify(credential(issuer, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER))
    assert result.verified
    assert "not revoked" in status_check(result).detail
    assert result.details["status"] == [{"purpose": "revocation", "index": 10, "statusListCredential": url,
                                         "status": 0, "valid": True}]


def test_revoked_credential_fails_naming_revocation(server: ListServer, issuer: KeyPair) -> None:
    url = server.serve("/lists/1", status_list(issuer, server.url("/lists/1"), 10))
    result = verify(credential(issuer, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER))
    assert not result.verified
    check = status_check(result)
    assert check.code == "CREDENTIAL_REVOKED"
    assert "revoked by its issuer" in check.detail


def test_suspended_credential_fails_and_revocation_is_reported_first(server: ListServer, issuer: KeyPair) -> None:
    rev = server.serve("/rev", status_list(issuer, server.url("/rev"), 7))
    sus = server.serve("/sus", status_list(issuer, server.url("/sus"), 3, purpose="suspension"))
    suspended = credential(issuer, status_entry(rev, 3, "revocation"), status_entry(sus, 3, "suspension"))
    check = status_check(verify(suspended, StatusListCheck(FETCHER)))
    assert (check.status, check.code) == ("failed", "CREDENTIAL_SUSPENDED")
    both = credential(issuer, status_entry(sus, 3, "suspension"), status_entry(rev, 7, "revocation"))
    assert status_check(verify(both, StatusListCheck(FETCHER))).code == "CREDENTIAL_REVOKED"


def test_unreachable_list_fails_closed(server: ListServer, issuer: KeyPair) -> None:
    missing = credential(issuer, status_entry(server.url("/nowhere"), 1, "revocation"))
    assert status_check(verify(missing, StatusListCheck(FETCHER))).code == "STATUS_RETRIEVAL_ERROR"
    url = server.serve("/broken", "oops", status=500)
    broken = credential(issuer, status_entry(url, 1, "revocation"))
    assert status_check(verify(broken, StatusListCheck(FETCHER))).code == "STATUS_RETRIEVAL_ERROR"
    server.stop()
    down = verify(credential(issuer, status_entry(server.url("/lists/1"), 1, "revocation")), StatusListCheck(FETCHER))
    assert not down.verified
    assert status_check(down).code == "STATUS_RETRIEVAL_ERROR"


def test_no_network_and_no_pinned_list_fails_closed(issuer: KeyPair) -> None:
    url = "https://status.example.ca/lists/9"
    doc = credential(issuer, status_entry(url, 1, "revocation"))
    assert status_check(verify(doc, StatusListCheck(None))).code == "STATUS_RETRIEVAL_ERROR"
    pinned = StatusListCheck(None, documents={url: status_list(issuer, url)})
    assert verify(doc, pinned).verified


def test_fresh_disk_cache_is_used_when_the_server_is_down(server: ListServer, issuer: KeyPair,
                                                          tmp_path: Path) -> None:
    url = server.serve("/lists/1", status_list(issuer, server.url("/lists/1"), 10))
    clock = Clock(NOW)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    first = verify(doc, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock))
    assert status_check(first).code == "CREDENTIAL_REVOKED"
    assert len(list(tmp_path.glob("*.json"))) == 1
    server.stop()
    clock.now = NOW + timedelta(minutes=4)  # inside the default 5-minute freshness
    again = verify(doc, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock))
    assert status_check(again).code == "CREDENTIAL_REVOKED"  # answered from the cache, still revoked


def test_memory_cache_avoids_refetching_until_the_ttl(server: ListServer, issuer: KeyPair) -> None:
    url = server.serve("/lists/1", status_list(issuer, server.url("/lists/1"), ttl_ms=60_000))
    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, clock=clock)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    for _ in range(3):
        assert verify(doc, check).verified
    assert server.hits("/lists/1") == 1
    clock.now = NOW + timedelta(seconds=61)
    assert verify(doc, check).verified
    assert server.hits("/lists/1") == 2


def test_stale_cache_fails_closed_when_the_server_is_down(server: ListServer, issuer: KeyPair,
                                                         tmp_path: Path) -> None:
    url = server.serve("/lists/1", status_list(issuer, server.url("/lists/1"), ttl_ms=60_000))
    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    assert verify(doc, check).verified
    server.stop()
    clock.now = NOW + timedelta(minutes=2)  # past the list's one-minute ttl
    for fresh_check in (check, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock)):
        stale = verify(doc, fresh_check)
        assert not stale.verified
        assert status_check(stale).code == "STATUS_RETRIEVAL_ERROR"


def test_stale_copy_revalidated_with_etag(server: ListServer, issuer: KeyPair) -> None:
    url = server.serve("/lists/1", status_list(issuer, server.url("/lists/1"), 10), etag='"v1"')
    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, clock=clock)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    assert status_check(verify(doc, check)).code == "CREDENTIAL_REVOKED"
    clock.now = NOW + timedelta(minutes=6)
    assert status_check(verify(doc, check)).code == "CREDENTIAL_REVOKED"
    assert [h.get("If-None-Match") for p, h in server.requests if p == "/lists/1"] == [None, '"v1"']


def test_revocation_seen_after_the_cache_expires(server: ListServer, issuer: KeyPair) -> None:
    url = server.url("/lists/1")
    server.serve("/lists/1", status_list(issuer, url))
    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, clock=clock)
    doc = credential(issuer, status_entry(url, 42, "revocation"))
    assert verify(doc, check).verified
    # the registrar revokes it: a new list, issued later
    server.serve("/lists/1", status_list(issuer, url, 42, valid_from=NOW - timedelta(minutes=1)))
    clock.now = NOW + timedelta(minutes=5, seconds=1)
    assert status_check(verify(doc, check)).code == "CREDENTIAL_REVOKED"


def test_huge_ttl_cannot_freeze_a_list_for_more_than_a_day(server: ListServer, issuer: KeyPair) -> None:
    url = server.url("/lists/1")
    server.serve("/lists/1", status_list(issuer, url, ttl_ms=10**30))
    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, clock=clock)
    doc = credential(issuer, status_entry(url, 42, "revocation"))
    assert verify(doc, check).verified
    server.serve("/lists/1", status_list(issuer, url, 42, ttl_ms=10**30, valid_from=NOW - timedelta(minutes=1)))
    clock.now = NOW + timedelta(hours=23)
    assert verify(doc, check).verified  # still the cached copy, as the list asked
    clock.now = NOW + timedelta(days=1, seconds=1)
    assert status_check(verify(doc, check)).code == "CREDENTIAL_REVOKED"


def test_list_signed_by_another_issuer_is_rejected(server: ListServer, issuer: KeyPair, stranger: KeyPair) -> None:
    # a well-signed list from someone else saying "not revoked" must not vouch for this credential
    url = server.serve("/lists/1", status_list(stranger, server.url("/lists/1")))
    result = verify(credential(issuer, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER))
    check = status_check(result)
    assert (check.status, check.code) == ("failed", "STATUS_VERIFICATION_ERROR")
    assert "another issuer" in check.detail


def test_list_claiming_the_issuer_but_signed_by_a_stranger_is_rejected(server: ListServer, issuer: KeyPair,
                                                                       stranger: KeyPair) -> None:
    forged = status_list(issuer, server.url("/lists/1"))
    forged = {k: v for k, v in forged.items() if k != "proof"}
    url = server.serve("/lists/1", add_proof(forged, stranger, created=NOW - timedelta(days=1)))
    check = status_check(verify(credential(issuer, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER)))
    assert check.code == "STATUS_VERIFICATION_ERROR"
    assert f"not to the issuer {issuer.controller}" in check.detail


def test_tampered_list_is_rejected(server: ListServer, issuer: KeyPair) -> None:
    # the attacker clears the revocation bit of a signed list
    tampered = status_list(issuer, server.url("/lists/1"), 10)
    tampered["credentialSubject"]["encodedList"] = encode_bitstring(bitstring())
    url = server.serve("/lists/1", tampered)
    check = status_check(verify(credential(issuer, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER)))
    assert (check.status, check.code) == ("failed", "STATUS_VERIFICATION_ERROR")
    assert "signature does not match" in check.detail


def test_unsigned_list_is_rejected(server: ListServer, issuer: KeyPair) -> None:
    unsigned = {k: v for k, v in status_list(issuer, server.url("/lists/1")).items() if k != "proof"}
    url = server.serve("/lists/1", unsigned)
    check = status_check(verify(credential(issuer, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER)))
    assert check.code == "STATUS_VERIFICATION_ERROR"
    assert "no proof" in check.detail


def test_tampered_disk_cache_is_not_trusted(server: ListServer, issuer: KeyPair, tmp_path: Path) -> None:
    url = server.serve("/lists/1", status_list(issuer, server.url("/lists/1"), 10))
    clock = Clock(NOW)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    verify(doc, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock))
    server.stop()
    cache_file = next(tmp_path.glob("*.json"))
    record = json.loads(cache_file.read_text())
    listing = json.loads(record["content"])
    listing["credentialSubject"]["encodedList"] = encode_bitstring(bitstring())  # "un-revoke" it locally
    record["content"] = json.dumps(listing)
    cache_file.write_text(json.dumps(record))
    check = status_check(verify(doc, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock)))
    assert (check.status, check.code) == ("failed", "STATUS_VERIFICATION_ERROR")
    assert "signature does not match" in check.detail


def test_list_substituted_from_another_url_is_rejected(server: ListServer, issuer: KeyPair) -> None:
    # the issuer's all-clear list for another cohort served in place of the list that revokes index 10
    other = status_list(issuer, server.url("/lists/other"))
    url = server.serve("/lists/1", other)
    check = status_check(verify(credential(issuer, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER)))
    assert check.code == "STATUS_VERIFICATION_ERROR"
    assert "substituted" in check.detail


def test_list_for_another_purpose_is_rejected(server: ListServer, issuer: KeyPair) -> None:
    url = server.serve("/lists/1", status_list(issuer, server.url("/lists/1"), purpose="suspension"))
    check = status_check(verify(credential(issuer, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER)))
    assert check.code == "STATUS_VERIFICATION_ERROR"
    assert "purpose" in check.detail


def test_expired_list_is_rejected(server: ListServer, issuer: KeyPair) -> None:
    listing = status_list(issuer, server.url("/lists/1"), valid_until=NOW - timedelta(days=1))
    url = server.serve("/lists/1", listing)
    check = status_check(verify(credential(issuer, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER)))
    assert check.code == "STATUS_VERIFICATION_ERROR"
    assert "validity period" in check.detail


def test_list_shorter_than_the_minimum_is_rejected(server: ListServer, issuer: KeyPair) -> None:
    short = sign_short_list(issuer, server.url("/lists/1"), encode_bitstring(bytes(MIN_BITS // 8 - 1)))
    url = server.serve("/lists/1", short)
    check = status_check(verify(credential(issuer, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER)))
    assert check.code == "STATUS_LIST_LENGTH_ERROR"


def test_gzip_bomb_in_a_signed_list_is_rejected(server: ListServer, issuer: KeyPair) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = compressor.compress(bytes(20 << 20)) + compressor.flush()  # 20 MB of zeros, ~20 KB compressed
    listing = sign_short_list(issuer, server.url("/lists/1"), multibase_encode(bomb, "u"))
    url = server.serve("/lists/1", listing)
    check = status_check(verify(credential(issuer, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER)))
    assert check.code == "MALFORMED_VALUE_ERROR"


def test_out_of_range_index_is_rejected(server: ListServer, issuer: KeyPair) -> None:
    url = server.serve("/lists/1", status_list(issuer, server.url("/lists/1")))
    check = status_check(verify(credential(issuer, status_entry(url, MIN_BITS, "revocation")),
                                StatusListCheck(FETCHER)))
    assert check.code == "RANGE_ERROR"


def test_jwt_secured_list_is_verified(server: ListServer, issuer: KeyPair, stranger: KeyPair) -> None:
    url = server.url("/lists/1")
    unsigned = {k: v for k, v in status_list(issuer, url, 10).items() if k != "proof"}
    server.serve("/lists/1", sign_jwt(unsigned, issuer))
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    assert status_check(verify(doc, StatusListCheck(FETCHER))).code == "CREDENTIAL_REVOKED"
    # a stranger's own list (list substitution by another issuer) cannot say "not revoked" ...
    server.serve("/lists/1", sign_jwt({**unsigned, "issuer": stranger.controller}, stranger))
    clear = status_check(verify(credential(issuer, status_entry(url, 11, "revocation")), StatusListCheck(FETCHER)))
    assert clear.code == "STATUS_VERIFICATION_ERROR"
    assert "cannot vouch for this credential" in clear.detail
    # ... while its set bit only makes the verdict worse, so it is honoured, with the rule it broke named
    revoked = status_check(verify(doc, StatusListCheck(FETCHER)))
    assert revoked.code == "CREDENTIAL_REVOKED"
    assert "not by the credential's issuer" in revoked.detail and "by its issuer" not in revoked.detail


def test_p256_issuer_list_verifies(server: ListServer) -> None:
    p256 = KeyPair.generate("p256")
    listing = status_list(p256, server.url("/lists/1"), 10)
    assert listing["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    url = server.serve("/lists/1", listing)
    check = status_check(verify(credential(p256, status_entry(url, 10, "revocation")), StatusListCheck(FETCHER)))
    assert check.code == "CREDENTIAL_REVOKED"


# --- entries --------------------------------------------------------------------------------------

def test_credential_without_status_passes_saying_so(issuer: KeyPair) -> None:
    result = verify(credential(issuer), StatusListCheck(None))
    assert result.verified
    assert "no status entry" in status_check(result).detail


@pytest.mark.parametrize("mutate, why", [
    (lambda e: e.update(statusListIndex=10), "index as a number, not a base-10 string"),
    (lambda e: e.update(statusListIndex="-1"), "negative index"),
    (lambda e: e.update(statusListIndex="1e3"), "not base 10 digits"),
    (lambda e: e.update(id=e["statusListCredential"]), "entry id equal to the list URL"),
    (lambda e: e.update(statusSize=0), "statusSize zero"),
    (lambda e: e.update(statusSize=2), "statusSize 2 without statusMessage"),
    (lambda e: e.update(statusListCredential="not a url"), "list URL not a URL"),
])
def test_malformed_entry_is_a_malformed_value_error(issuer: KeyPair, mutate: Callable[[dict[str, Any]], None],
                                                    why: str) -> None:
    url = "https://status.example.ca/lists/1"
    entry = status_entry(url, 10, "revocation")
    mutate(entry)
    doc = {**credential(issuer), "credentialStatus": entry}  # the check reads entries; the proof is not at issue
    check = run_check(StatusListCheck(None, documents={url: status_list(issuer, url)}), doc)
    assert (check.status, check.code) == ("failed", "MALFORMED_VALUE_ERROR"), why


def test_garbage_status_never_raises(issuer: KeyPair) -> None:
    garbage: Any
    for garbage in (["x", 3], [None], "https://status.example.ca/1", [[]]):
        check = run_check(StatusListCheck(None), {**credential(issuer), "credentialStatus": garbage})
        assert (check.status, check.code) == ("failed", "MALFORMED_VALUE_ERROR")


def test_unknown_status_mechanism_fails_closed(issuer: KeyPair) -> None:
    entry = {"id": "https://status.example.ca/r#1", "type": "1EdTechRevocationList"}
    check = run_check(StatusListCheck(None), {**credential(issuer), "credentialStatus": entry})
    assert (check.status, check.code) == ("failed", "STATUS_VERIFICATION_ERROR")
    assert "not supported" in check.detail


def test_message_purpose_reports_the_message(issuer: KeyPair) -> None:
    url = "https://status.example.ca/lists/msg"
    bits = bytearray(2 * MIN_BITS // 8)
    set_status(bits, 4, 2, size=2)
    listing = status_list(issuer, url, purpose="message", bits=bytes(bits))
    messages = [{"status": "0x0", "message": "pending_review"}, {"status": "0x1", "message": "accepted"},
                {"status": "0x2", "message": "rejected"}, {"status": "0x3", "message": "undefined"}]
    doc = credential(issuer, status_entry(url, 4, "message", size=2, messages=messages))
    result = verify(doc, StatusListCheck(None, documents={url: listing}))
    assert result.verified
    assert "rejected" in status_check(result).detail
    assert result.details["status"][0]["message"] == "rejected"


def test_refresh_flag_warns_but_does_not_invalidate(issuer: KeyPair) -> None:
    url = "https://status.example.ca/lists/refresh"
    listing = status_list(issuer, url, 4, purpose="refresh")
    check = StatusListCheck(None, documents={url: listing})
    result = verify(credential(issuer, status_entry(url, 4, "refresh")), check)
    assert result.verified
    assert [w["code"] for w in result.warnings] == ["CREDENTIAL_REFRESH_AVAILABLE"]


def test_too_many_status_entries_are_refused_before_any_fetch() -> None:
    """Stops a verifier slowdown: a credential naming many status lists, each a fetch with its own timeout."""
    from omc_vc.checks.status import MAX_STATUS_ENTRIES, StatusListCheck
    from omc_vc.issue.status_lists import status_entry
    from omc_vc.keys import KeyPair
    from omc_vc.proofs.data_integrity import add_proof
    from omc_vc.verify import Verifier

    class NoFetch:
        def get(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("the check must not fetch anything")

        get_ok = get

    key = KeyPair.generate()
    entries = [status_entry(f"https://status.example.ca/list-{i}.json", i, "revocation")
               for i in range(MAX_STATUS_ENTRIES + 1)]
    credential = add_proof({
        "@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
        "issuer": key.controller, "credentialSubject": {"id": "did:example:x"}, "credentialStatus": entries,
    }, key)
    result = Verifier(extra_checks=[StatusListCheck(NoFetch())]).verify(credential)  # type: ignore[arg-type]
    check = result.check("status")
    assert check is not None and check.failed and check.code == "MALFORMED_VALUE_ERROR"


# --- remembering verified lists (one full verification per exact content) --------------------------

class CountingVerifier(Verifier):
    """The core Verifier of nested verifications (CheckContext.verify_nested), counting the list credentials
    the status check verifies in full."""

    calls = 0

    def verify(self, *args: Any, **kwargs: Any) -> VerificationResult:
        type(self).calls += 1
        return super().verify(*args, **kwargs)


@pytest.fixture
def full_verifications(monkeypatch: pytest.MonkeyPatch) -> type[CountingVerifier]:
    # the module, not the package's re-exported verify() function of the same name
    verify_module = importlib.import_module("omc_vc.verify")

    class Counter(CountingVerifier):
        calls = 0

    monkeypatch.setattr(verify_module, "Verifier", Counter)
    return Counter


def shared_ctx(resolver: DidResolver, now: datetime = NOW) -> CheckContext:
    return CheckContext(now=now, resolver=resolver, fetcher=FETCHER, loader=None, result=VerificationResult())


def test_pinned_list_is_verified_once_for_its_exact_content(issuer: KeyPair,
                                                            full_verifications: type[CountingVerifier]) -> None:
    url = "https://status.example.ca/lists/memo"
    listing = status_list(issuer, url, 10)
    check = StatusListCheck(None, documents={url: listing})
    verifier = Verifier(extra_checks=[check])
    clear = credential(issuer, status_entry(url, 11, "revocation"))
    revoked = credential(issuer, status_entry(url, 10, "revocation"))
    assert verifier.verify(clear, now=NOW).verified
    assert status_check(verifier.verify(revoked, now=NOW)).code == "CREDENTIAL_REVOKED"
    assert verifier.verify(clear, now=NOW).verified
    assert full_verifications.calls == 1
    # one changed value in the pinned list (the revocation of index 10 cleared): verified in full, and refused
    original = listing["credentialSubject"]["encodedList"]
    listing["credentialSubject"]["encodedList"] = encode_bitstring(bitstring())
    tampered = status_check(verifier.verify(revoked, now=NOW))
    assert (tampered.code, full_verifications.calls) == ("STATUS_VERIFICATION_ERROR", 2)
    assert "signature does not match" in tampered.detail
    listing["credentialSubject"]["encodedList"] = original
    assert status_check(verifier.verify(revoked, now=NOW)).code == "CREDENTIAL_REVOKED"


def test_a_remembered_list_is_a_private_copy(issuer: KeyPair, full_verifications: type[CountingVerifier]) -> None:
    url = "https://status.example.ca/lists/memo"
    listing = status_list(issuer, url, 10)
    documents: dict[str, Any] = {url: listing}
    check = StatusListCheck(None, documents=documents)
    resolver = DidResolver()
    revoked = credential(issuer, status_entry(url, 10, "revocation"))
    assert run_check_with(check, revoked, shared_ctx(resolver)).code == "CREDENTIAL_REVOKED"
    # the caller edits the object it pinned, then pins a fresh copy of the original: the edit must not leak in
    original = copy.deepcopy(listing)
    listing["credentialSubject"]["encodedList"] = encode_bitstring(bitstring())
    check.documents[url] = original
    assert run_check_with(check, revoked, shared_ctx(resolver)).code == "CREDENTIAL_REVOKED"
    assert full_verifications.calls == 1


def run_check_with(check: StatusListCheck, doc: dict[str, Any], ctx: CheckContext) -> Any:
    checks = list(check(doc, ctx))
    assert len(checks) == 1
    return checks[0]


def test_a_remembered_list_still_answers_only_for_its_own_issuer(issuer: KeyPair, stranger: KeyPair,
                                                                 full_verifications: type[CountingVerifier]) -> None:
    url = "https://status.example.ca/lists/memo"
    check = StatusListCheck(None, documents={url: status_list(issuer, url)})
    verifier = Verifier(extra_checks=[check])
    assert verifier.verify(credential(issuer, status_entry(url, 10, "revocation")), now=NOW).verified
    # a stranger's credential pointing at the issuer's (remembered, all-clear) list
    foreign = status_check(verifier.verify(credential(stranger, status_entry(url, 10, "revocation")), now=NOW))
    assert (foreign.status, foreign.code) == ("failed", "STATUS_VERIFICATION_ERROR")
    assert "another issuer" in foreign.detail
    assert full_verifications.calls == 1  # the refusal came from the per-use check, not a new verification


def test_a_remembered_list_is_not_used_outside_its_validity_period(issuer: KeyPair,
                                                                   full_verifications: type[CountingVerifier]) -> None:
    url = "https://status.example.ca/lists/memo"
    listing = status_list(issuer, url, valid_until=NOW + timedelta(days=1))
    check = StatusListCheck(None, documents={url: listing})
    verifier = Verifier(extra_checks=[check])
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    assert verifier.verify(doc, now=NOW).verified
    later = NOW + timedelta(days=2)
    expired = status_check(verifier.verify(doc, now=later))
    # exactly what a check that never saw the list says
    never_saw = Verifier(extra_checks=[StatusListCheck(None, documents={url: listing})])
    fresh = status_check(never_saw.verify(doc, now=later))
    assert (expired.code, expired.detail) == (fresh.code, fresh.detail)
    assert expired.code == "STATUS_VERIFICATION_ERROR" and "validity period" in expired.detail
    assert verifier.verify(doc, now=NOW).verified


def test_a_remembered_list_is_not_used_before_its_proof_was_created(issuer: KeyPair,
                                                                    full_verifications: type[CountingVerifier]) -> None:
    url = "https://status.example.ca/lists/memo"
    check = StatusListCheck(None, documents={url: status_list(issuer, url)})  # proof created NOW - 1 day
    resolver = DidResolver()
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    assert run_check_with(check, doc, shared_ctx(resolver)).status == "passed"
    early = run_check_with(check, doc, shared_ctx(resolver, NOW - timedelta(days=2)))
    assert (early.status, early.code) == ("failed", "STATUS_VERIFICATION_ERROR")
    assert "future" in early.detail
    assert full_verifications.calls == 2  # outside the remembered window: the full verification said why
    # inside the clock skew the proof check passes, as a full verification says too, so the memo answers
    skewed = NOW - timedelta(days=1, minutes=4)
    assert run_check_with(check, doc, shared_ctx(resolver, skewed)).status == "passed"
    assert full_verifications.calls == 2
    fresh = StatusListCheck(None, documents=dict(check.documents))
    assert run_check_with(fresh, doc, shared_ctx(resolver, skewed)).status == "passed"


def test_a_remembered_list_is_verified_again_with_another_resolver_or_after_the_ttl(
        issuer: KeyPair, full_verifications: type[CountingVerifier]) -> None:
    url = "https://status.example.ca/lists/memo"
    clock = Clock(NOW)
    check = StatusListCheck(None, documents={url: status_list(issuer, url)}, clock=clock)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    resolver = DidResolver()
    for _ in range(3):
        assert run_check_with(check, doc, shared_ctx(resolver)).status == "passed"
    assert full_verifications.calls == 1
    assert run_check_with(check, doc, shared_ctx(DidResolver())).status == "passed"
    assert full_verifications.calls == 2
    clock.now = NOW + timedelta(minutes=5, seconds=1)  # a pinned list is remembered for default_ttl
    assert run_check_with(check, doc, shared_ctx(DidResolver())).status == "passed"
    assert full_verifications.calls == 3


def test_a_fetched_list_is_verified_again_when_it_is_refetched(server: ListServer, issuer: KeyPair,
                                                               full_verifications: type[CountingVerifier]) -> None:
    url = server.serve("/lists/1", status_list(issuer, server.url("/lists/1"), ttl_ms=60_000), etag='"v1"')
    clock = Clock(NOW)
    verifier = Verifier(fetcher=FETCHER, extra_checks=[StatusListCheck(FETCHER, clock=clock)])
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    for _ in range(3):
        assert verifier.verify(doc, now=NOW).verified
    assert (server.hits("/lists/1"), full_verifications.calls) == (1, 1)
    clock.now = NOW + timedelta(seconds=61)  # stale: revalidated (304, same bytes), and verified in full again
    assert verifier.verify(doc, now=NOW).verified
    assert (server.hits("/lists/1"), full_verifications.calls) == (2, 2)
    assert verifier.verify(doc, now=NOW).verified
    assert full_verifications.calls == 2


def test_a_jwt_list_is_remembered_until_its_exp(server: ListServer, issuer: KeyPair,
                                                full_verifications: type[CountingVerifier]) -> None:
    url = server.url("/lists/1")
    unsigned = {k: v for k, v in status_list(issuer, url, 10).items() if k != "proof"}
    server.serve("/lists/1", sign_jwt(unsigned, issuer, now=NOW, expires_in=timedelta(hours=1)))
    verifier = Verifier(fetcher=FETCHER, extra_checks=[StatusListCheck(FETCHER)])
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    for _ in range(2):
        assert status_check(verifier.verify(doc, now=NOW)).code == "CREDENTIAL_REVOKED"
    assert full_verifications.calls == 1
    expired = status_check(verifier.verify(doc, now=NOW + timedelta(hours=2)))
    assert expired.code == "STATUS_VERIFICATION_ERROR" and "expired" in expired.detail
    assert full_verifications.calls == 2


def test_the_memo_is_bounded(issuer: KeyPair, full_verifications: type[CountingVerifier],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    import omc_vc.checks.status as status_module

    monkeypatch.setattr(status_module, "VERIFIED_LIST_MEMO_SIZE", 2)
    urls = [f"https://status.example.ca/lists/{i}" for i in range(3)]
    check = StatusListCheck(None, documents={url: status_list(issuer, url) for url in urls})
    resolver = DidResolver()
    docs = [credential(issuer, status_entry(url, 10, "revocation")) for url in urls]
    for doc in docs * 2:  # round robin over three lists with room for two: every use misses
        assert run_check_with(check, doc, shared_ctx(resolver)).status == "passed"
    assert full_verifications.calls == 6
    assert len(check._verified) == 2


def test_a_pinned_object_with_no_single_json_form_is_never_remembered(
        issuer: KeyPair, full_verifications: type[CountingVerifier]) -> None:
    url = "https://status.example.ca/lists/memo"
    listing = status_list(issuer, url)
    listing["type"] = tuple(listing["type"])  # a tuple serializes like a list: the bytes would not name it
    check = StatusListCheck(None, documents={url: listing})
    resolver = DidResolver()
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    for _ in range(2):
        run_check_with(check, doc, shared_ctx(resolver))
    assert full_verifications.calls == 2


# --- rollback: an older list never replaces a newer one already accepted ---------------------------

def test_status_list_rollback_is_refused(server: ListServer, issuer: KeyPair, tmp_path: Path) -> None:
    url = server.url("/lists/1")
    newer = status_list(issuer, url, 3, valid_from=NOW - timedelta(days=1), created=NOW - timedelta(days=1))
    older = status_list(issuer, url, 3)  # validFrom NOW - 30 days: still inside its own validity period
    server.serve("/lists/1", newer)
    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    assert verify(doc, check).verified
    server.serve("/lists/1", older)
    clock.now = NOW + timedelta(minutes=6)  # past the cached copy's freshness: the older list is fetched
    refused = status_check(verify(doc, check))
    assert (refused.status, refused.code) == ("failed", "STATUS_LIST_ROLLBACK")
    assert "before the list issued" in refused.detail
    # the older list alone is fine: only what this verifier has already seen makes it a rollback
    assert verify(doc, StatusListCheck(FETCHER, clock=clock)).verified
    # the mark survives a restart: a new check on the same cache folder refuses the older list too
    assert len(list((tmp_path / "marks").glob("*.json"))) == 1
    restarted = status_check(verify(doc, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock)))
    assert restarted.code == "STATUS_LIST_ROLLBACK"
    # and the genuine newer list is still accepted
    server.serve("/lists/1", newer)
    assert verify(doc, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock)).verified


def test_revoked_credential_unrevoked_by_replaying_an_older_list_is_refused(server: ListServer, issuer: KeyPair,
                                                                           tmp_path: Path) -> None:
    # the real attack: index 10 is revoked in list v2; the attacker replays v1, signed before the revocation
    url = server.url("/lists/1")
    v1 = status_list(issuer, url, 3)
    v2 = status_list(issuer, url, 3, 10, valid_from=NOW - timedelta(hours=2), created=NOW - timedelta(hours=2))
    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    server.serve("/lists/1", v1)
    assert verify(doc, check).verified
    server.serve("/lists/1", v2)
    clock.now = NOW + timedelta(minutes=6)
    assert status_check(verify(doc, check)).code == "CREDENTIAL_REVOKED"
    server.serve("/lists/1", v1)  # replayed: validly signed, inside its validity period, says "not revoked"
    for later in (12, 18):
        clock.now = NOW + timedelta(minutes=later)
        for checker in (check, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock)):
            replay = verify(doc, checker)
            assert not replay.verified
            assert status_check(replay).code == "STATUS_LIST_ROLLBACK"
    # what a person reads: not "revoked" (that cannot be known from the replay), not valid, and why
    from omc_vc.verdict import verdict_of

    verdict = verdict_of(replay)
    assert verdict.status == "invalid" and "older status list" in verdict.reason


def test_jwt_list_rolled_back_to_an_earlier_iat_is_refused(server: ListServer, issuer: KeyPair) -> None:
    # both lists share validFrom: the JWT's iat (the signing time) orders them
    url = server.url("/lists/1")
    unsigned_v1 = {k: v for k, v in status_list(issuer, url).items() if k != "proof"}
    unsigned_v2 = {k: v for k, v in status_list(issuer, url, 10).items() if k != "proof"}
    v1 = sign_jwt(unsigned_v1, issuer, now=NOW - timedelta(days=2), expires_in=timedelta(days=30))
    v2 = sign_jwt(unsigned_v2, issuer, now=NOW - timedelta(hours=1), expires_in=timedelta(days=30))
    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, clock=clock)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    server.serve("/lists/1", v2)
    assert status_check(verify(doc, check)).code == "CREDENTIAL_REVOKED"
    server.serve("/lists/1", v1)
    clock.now = NOW + timedelta(minutes=6)
    assert status_check(verify(doc, check)).code == "STATUS_LIST_ROLLBACK"


def test_same_moment_list_saying_something_else_is_refused_as_equivocation(server: ListServer,
                                                                            issuer: KeyPair) -> None:
    url = server.url("/lists/1")
    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, clock=clock)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    revoked = status_list(issuer, url, 10)
    server.serve("/lists/1", revoked)
    assert status_check(verify(doc, check)).code == "CREDENTIAL_REVOKED"
    # the same list in other bytes (re-serialized): the same content, so it is taken
    server.serve("/lists/1", json.dumps(revoked, indent=2))
    clock.now = NOW + timedelta(minutes=6)
    assert status_check(verify(doc, check)).code == "CREDENTIAL_REVOKED"
    # same validFrom and proof created, another bitstring: which one is newer cannot be told, so it is refused
    server.serve("/lists/1", status_list(issuer, url))
    clock.now = NOW + timedelta(minutes=12)
    equivocation = status_check(verify(doc, check))
    assert equivocation.code == "STATUS_LIST_ROLLBACK" and "equivocation" in equivocation.detail
    # same validFrom, an earlier proof created (the tie-breaker): older
    server.serve("/lists/1", status_list(issuer, url, created=NOW - timedelta(days=2)))
    clock.now = NOW + timedelta(minutes=18)
    assert status_check(verify(doc, check)).code == "STATUS_LIST_ROLLBACK"


def test_future_dated_list_does_not_lock_out(server: ListServer, issuer: KeyPair, tmp_path: Path) -> None:
    url = server.url("/lists/1")
    genuine = status_list(issuer, url)
    post_dated = status_list(issuer, url, valid_from=NOW + timedelta(days=30), created=NOW - timedelta(days=1))
    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    # a list valid only from next month is not valid now: refused, and never the mark
    server.serve("/lists/1", post_dated)
    early = status_check(verify(doc, check))
    assert early.code == "STATUS_VERIFICATION_ERROR" and "validity period" in early.detail
    server.serve("/lists/1", genuine)
    assert verify(doc, check).verified
    # verified for a moment after its validFrom (a caller's time of interest) it passes, but it is dated after
    # this machine's clock, so it still does not become the mark
    server.serve("/lists/1", post_dated)
    clock.now = NOW + timedelta(minutes=6)
    assert verify(doc, check, now=NOW + timedelta(days=31)).verified
    server.serve("/lists/1", genuine)
    clock.now = NOW + timedelta(minutes=12)
    for checker in (check, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock)):
        assert verify(doc, checker).verified
    # once the machine's clock reaches it, the post-dated list is an ordinary newer list
    clock.now = NOW + timedelta(days=31)
    server.serve("/lists/1", post_dated)
    assert verify(doc, check, now=clock.now).verified
    server.serve("/lists/1", genuine)
    clock.now += timedelta(minutes=6)
    assert status_check(verify(doc, check, now=clock.now)).code == "STATUS_LIST_ROLLBACK"


def test_pinned_older_list_is_refused_and_a_same_moment_repin_is_taken(issuer: KeyPair) -> None:
    url = "https://status.example.ca/lists/pinned"
    older = status_list(issuer, url)
    newer = status_list(issuer, url, valid_from=NOW - timedelta(days=1))
    check = StatusListCheck(None, documents={url: newer})
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    assert verify(doc, check).verified
    check.documents[url] = older
    assert status_check(verify(doc, check)).code == "STATUS_LIST_ROLLBACK"
    # a service re-signs its own list within the same second (same validFrom and created, index 10 revoked):
    # the caller's pinned copy is authoritative, so it is taken rather than refused as equivocation
    check.documents[url] = status_list(issuer, url, 10, valid_from=NOW - timedelta(days=1))
    assert status_check(verify(doc, check)).code == "CREDENTIAL_REVOKED"
    check.documents[url] = older
    assert status_check(verify(doc, check)).code == "STATUS_LIST_ROLLBACK"


def test_a_remembered_older_list_is_refused_without_verifying_it_again(
        issuer: KeyPair, full_verifications: type[CountingVerifier]) -> None:
    url = "https://status.example.ca/lists/memo"
    older = status_list(issuer, url)
    newer = status_list(issuer, url, valid_from=NOW - timedelta(days=1))
    check = StatusListCheck(None, documents={url: older})
    resolver = DidResolver()
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    assert run_check_with(check, doc, shared_ctx(resolver)).status == "passed"
    check.documents[url] = newer
    assert run_check_with(check, doc, shared_ctx(resolver)).status == "passed"
    assert full_verifications.calls == 2
    check.documents[url] = older  # still remembered as verified: the per-use rollback check refuses it
    assert run_check_with(check, doc, shared_ctx(resolver)).code == "STATUS_LIST_ROLLBACK"
    check.documents[url] = newer
    for _ in range(3):
        assert run_check_with(check, doc, shared_ctx(resolver)).status == "passed"
    assert full_verifications.calls == 2


def test_older_list_planted_in_the_disk_cache_is_refused(server: ListServer, issuer: KeyPair,
                                                         tmp_path: Path) -> None:
    url = server.url("/lists/1")
    newer = status_list(issuer, url, 10, valid_from=NOW - timedelta(days=1))
    server.serve("/lists/1", newer, etag='"v2"')
    clock = Clock(NOW)
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    assert status_check(verify(doc, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock))).code \
        == "CREDENTIAL_REVOKED"
    # someone with access to the folder plants the older, unrevoked (genuinely signed) list as a fresh copy,
    # under the newer list's ETag (so a revalidation would answer 304 and hand the planted copy back)
    cache_file = next(tmp_path.glob("*.json"))
    record = json.loads(cache_file.read_text())
    record["content"] = json.dumps(status_list(issuer, url))
    cache_file.write_text(json.dumps(record))
    offline = status_check(verify(doc, StatusListCheck(None, cache_dir=tmp_path, clock=clock)))
    assert offline.code == "STATUS_LIST_ROLLBACK"
    # with the network the planted copy is dropped and the list fetched again, unconditionally
    assert status_check(verify(doc, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock))).code \
        == "CREDENTIAL_REVOKED"
    assert json.loads(json.loads(cache_file.read_text())["content"]) == newer
    assert [h.get("If-None-Match") for p, h in server.requests if p == "/lists/1"] == [None, None]


# --- size caps ------------------------------------------------------------------------------------

def test_status_list_size_caps_are_enforced(server: ListServer, issuer: KeyPair,
                                            full_verifications: type[CountingVerifier]) -> None:
    from omc_vc.checks.status import MAX_ENCODED_LIST_CHARS, MAX_LIST_DOCUMENT_BYTES

    doc_for = {}
    # the document: fetched over the cap, or pinned as text over the cap
    huge = status_list(issuer, server.url("/lists/huge"))
    huge["description"] = "x" * MAX_LIST_DOCUMENT_BYTES
    url = server.serve("/lists/huge", huge)
    doc_for[url] = credential(issuer, status_entry(url, 10, "revocation"))
    fetched = status_check(verify(doc_for[url], StatusListCheck(FETCHER)))
    assert fetched.code == "STATUS_RETRIEVAL_ERROR" and f"{MAX_LIST_DOCUMENT_BYTES}-byte limit" in fetched.detail
    pinned_url = "https://status.example.ca/lists/jwt"
    token = "eyJhbGciOiJFZERTQSJ9." + "A" * MAX_LIST_DOCUMENT_BYTES + ".sig"
    pinned = run_check(StatusListCheck(None, documents={pinned_url: token}),
                       credential(issuer, status_entry(pinned_url, 10, "revocation")))
    assert pinned.code == "STATUS_RETRIEVAL_ERROR" and "cap on a list document" in pinned.detail
    # encodedList longer than its cap: refused before the list is verified or decoded
    long_url = "https://status.example.ca/lists/long"
    long_list = status_list(issuer, long_url)
    long_list["credentialSubject"]["encodedList"] = "u" + "A" * MAX_ENCODED_LIST_CHARS
    long_check = run_check(StatusListCheck(None, documents={long_url: long_list}),
                           credential(issuer, status_entry(long_url, 10, "revocation")))
    assert long_check.code == "MALFORMED_VALUE_ERROR" and "character cap" in long_check.detail
    assert full_verifications.calls == 0
    # the expanded bitstring: a genuine 16KB list is refused by a verifier capped below its size
    small_url = "https://status.example.ca/lists/16k"
    capped = StatusListCheck(None, documents={small_url: status_list(issuer, small_url)},
                             max_bitstring_bytes=MIN_BITS // 8 - 1, min_bits=8)
    expanded = run_check(capped, credential(issuer, status_entry(small_url, 10, "revocation")))
    assert expanded.code == "MALFORMED_VALUE_ERROR" and f"more than {MIN_BITS // 8 - 1} bytes" in expanded.detail


# --- bounded caches -------------------------------------------------------------------------------

def test_memory_cache_is_bounded_in_entries_and_bytes(server: ListServer, issuer: KeyPair) -> None:
    urls = [server.serve(f"/lists/{i}", status_list(issuer, server.url(f"/lists/{i}"))) for i in range(8)]
    docs = [credential(issuer, status_entry(url, 10, "revocation")) for url in urls]
    by_entries = StatusListCheck(FETCHER, memory_entries=3)
    for doc in docs:
        assert verify(doc, by_entries).verified
    assert list(by_entries._memory) == urls[-3:]  # the least recently used went first
    one = by_entries._memory[urls[-1]].size
    by_bytes = StatusListCheck(FETCHER, memory_bytes=2 * one + one // 2)
    for doc in docs:
        assert verify(doc, by_bytes).verified
    assert len(by_bytes._memory) == 2
    assert by_bytes._memory_bytes == sum(c.size for c in by_bytes._memory.values()) <= 2 * one + one // 2


def test_memory_cache_drops_expired_copies_before_recent_ones(server: ListServer, issuer: KeyPair) -> None:
    short = server.serve("/lists/short", status_list(issuer, server.url("/lists/short"), ttl_ms=60_000))
    long_a, long_b, late = (server.serve(f"/lists/{name}", status_list(issuer, server.url(f"/lists/{name}"),
                                                                       ttl_ms=3_600_000))
                            for name in ("a", "b", "late"))
    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, clock=clock, memory_entries=3)
    for url in (long_a, long_b, short):  # the short-lived list is the most recently used
        assert verify(credential(issuer, status_entry(url, 10, "revocation")), check).verified
    clock.now = NOW + timedelta(minutes=2)  # it has expired; the others are fresh
    assert verify(credential(issuer, status_entry(late, 10, "revocation")), check).verified
    assert set(check._memory) == {long_a, long_b, late}


def test_disk_cache_is_bounded_and_prunes_itself(server: ListServer, issuer: KeyPair, tmp_path: Path) -> None:
    urls = [server.serve(f"/lists/{i}", status_list(issuer, server.url(f"/lists/{i}"))) for i in range(10)]
    docs = [credential(issuer, status_entry(url, 10, "revocation")) for url in urls]
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not the cache's")
    by_entries = StatusListCheck(FETCHER, cache_dir=tmp_path, disk_entries=4)
    for doc in docs:
        assert verify(doc, by_entries).verified
        assert len(list(tmp_path.glob("*.json"))) <= 4
    assert foreign.read_text() == "not the cache's"  # files the check did not name are never touched
    newest = tmp_path / (__import__("hashlib").sha256(urls[-1].encode()).hexdigest() + ".json")
    assert newest.is_file()
    one = newest.stat().st_size
    bytes_dir = tmp_path / "by-bytes"
    by_bytes = StatusListCheck(FETCHER, cache_dir=bytes_dir, disk_bytes=3 * one)
    for doc in docs:
        assert verify(doc, by_bytes).verified
        assert sum(p.stat().st_size for p in bytes_dir.glob("*.json")) <= 3 * one


def test_disk_cache_prunes_expired_files_first(server: ListServer, issuer: KeyPair, tmp_path: Path) -> None:
    import hashlib
    import os

    short = server.serve("/lists/short", status_list(issuer, server.url("/lists/short"), ttl_ms=60_000))
    others = [server.serve(f"/lists/{i}", status_list(issuer, server.url(f"/lists/{i}"), ttl_ms=3_600_000))
              for i in range(11)]

    def name(url: str) -> str:
        return hashlib.sha256(url.encode()).hexdigest() + ".json"

    clock = Clock(NOW)
    check = StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock, disk_entries=10)
    for age, url in enumerate([*others[:9], short]):  # the short-lived list is the newest file
        assert verify(credential(issuer, status_entry(url, 10, "revocation")), check).verified
        os.utime(tmp_path / name(url), (1_000_000 + age, 1_000_000 + age))
    assert len(list(tmp_path.glob("*.json"))) == 10
    clock.now = NOW + timedelta(minutes=2)  # the short-lived copy has expired, the others are fresh
    assert verify(credential(issuer, status_entry(others[9], 10, "revocation")), check).verified
    names = {p.name for p in tmp_path.glob("*.json")}
    # over the bound, pruned to nine tenths of it: the expired file first, then the oldest
    assert names == {name(u) for u in others[1:10]}


def test_corrupt_or_foreign_cache_files_are_removed_never_trusted(server: ListServer, issuer: KeyPair,
                                                                  tmp_path: Path) -> None:
    import hashlib
    import os
    import time

    url = server.serve("/lists/1", status_list(issuer, server.url("/lists/1"), 10))
    other = server.serve("/lists/2", status_list(issuer, server.url("/lists/2")))
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    entry = tmp_path / (hashlib.sha256(url.encode()).hexdigest() + ".json")
    clock = Clock(NOW)
    # garbage at the list's entry name: removed, the list fetched and cached again
    entry.write_bytes(b"\x00not json")
    assert status_check(verify(doc, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock))).code \
        == "CREDENTIAL_REVOKED"
    assert json.loads(entry.read_text())["url"] == url
    # another URL's (all-clear, genuine) record under this URL's name: foreign, removed, never used
    verify(credential(issuer, status_entry(other, 10, "revocation")),
           StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock))
    entry.write_bytes((tmp_path / (hashlib.sha256(other.encode()).hexdigest() + ".json")).read_bytes())
    offline = status_check(verify(doc, StatusListCheck(None, cache_dir=tmp_path, clock=clock)))
    assert offline.code == "STATUS_RETRIEVAL_ERROR"
    assert not entry.exists()
    # a link at the entry name is removed, not followed; a corrupt mark file is removed too
    target = tmp_path / "elsewhere.txt"
    target.write_text("secret")
    entry.symlink_to(target)
    marks = tmp_path / "marks"
    url_mark = next(m for m in marks.glob("*.json") if json.loads(m.read_text())["url"] == url)
    url_mark.write_text("{broken")
    assert status_check(verify(doc, StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock))).code \
        == "CREDENTIAL_REVOKED"
    assert not entry.is_symlink() and target.read_text() == "secret"
    assert all(json.loads(m.read_text())["url"] in (url, other) for m in marks.glob("*.json"))
    # a temporary file left by a crashed write is removed once it is old; the check never crashes on any of it
    stale = tmp_path / f".{'a' * 64}.json.x1y2.tmp"
    stale.write_text("half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    clock.now = NOW + timedelta(minutes=6)  # refetched, so the folder is written and pruned
    check = StatusListCheck(FETCHER, cache_dir=tmp_path, clock=clock, disk_entries=1)
    assert status_check(verify(doc, check)).code == "CREDENTIAL_REVOKED"
    assert not stale.exists()
    assert [p.name for p in tmp_path.glob("*.json")] == [entry.name]


def test_rollback_marks_are_bounded_in_memory_and_on_disk(issuer: KeyPair, tmp_path: Path) -> None:
    urls = [f"https://status.example.ca/lists/{i}" for i in range(6)]
    check = StatusListCheck(None, documents={u: status_list(issuer, u) for u in urls}, cache_dir=tmp_path,
                            max_marks=3)
    for url in urls:
        assert verify(credential(issuer, status_entry(url, 10, "revocation")), check).verified
        assert len(check._marks) <= 3
        assert len(list((tmp_path / "marks").glob("*.json"))) <= 3
    assert [key[0] for key in check._marks] == urls[-3:]
    with pytest.raises(StatusError) as bad:
        StatusListCheck(None, max_marks=0)
    assert bad.value.code == "CONFIG_ERROR"


# --- the list is verified under the caller's policy (DESIGN decision 13) -------------------------------

WEB_ISSUER = "did:web:registrar.policy-college.example.ca"


@pytest.fixture(scope="module")
def two_suites() -> tuple[KeyPair, KeyPair, DidResolver]:
    """One did:web issuer with an Ed25519 key (eddsa-rdfc-2022) and a P-256 key (ecdsa-rdfc-2019)."""
    ed = KeyPair.generate("ed25519").with_id(f"{WEB_ISSUER}#key-1", WEB_ISSUER)
    p256 = KeyPair.generate("p256").with_id(f"{WEB_ISSUER}#key-2", WEB_ISSUER)
    resolver = DidResolver(documents={WEB_ISSUER: did_web_document(WEB_ISSUER, [ed.public_key, p256.public_key],
                                                                   fragments=["key-1", "key-2"])})
    return ed, p256, resolver


def _p256_listed(two_suites: tuple[KeyPair, KeyPair, DidResolver]) -> tuple[dict[str, Any], StatusListCheck]:
    """An Ed25519-signed credential whose status list its issuer signed with its P-256 key."""
    ed, p256, _ = two_suites
    url = "https://status.example.ca/lists/p256"
    listed = status_list(p256, url)
    assert listed["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    doc = credential(ed, status_entry(url, 10, "revocation"))
    assert doc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    return doc, StatusListCheck(None, documents={url: listed})


def test_refused_suite_is_refused_in_a_status_list(two_suites: tuple[KeyPair, KeyPair, DidResolver]) -> None:
    # the caller accepts eddsa-rdfc-2022 only: a list signed with ecdsa-rdfc-2019 cannot vouch for the credential
    resolver = two_suites[2]
    doc, check = _p256_listed(two_suites)
    narrow = Verifier(resolver=resolver, extra_checks=[check], accepted_suites=("eddsa-rdfc-2022",))
    result = narrow.verify(doc, now=NOW)
    found = status_check(result)
    assert not result.verified and found.status == "failed" and found.code == "STATUS_VERIFICATION_ERROR"
    assert "ecdsa-rdfc-2019" in found.detail
    # the same list under the default suites (both accepted) passes: the refusal is the caller's policy
    doc, check = _p256_listed(two_suites)
    assert Verifier(resolver=resolver, extra_checks=[check]).verify(doc, now=NOW).verified


def test_a_list_accepted_under_wider_suites_is_not_reused_under_narrower_ones(
        two_suites: tuple[KeyPair, KeyPair, DidResolver]) -> None:
    # one check shared by two verifiers (as a service shares it): the memo of the wide verification must not
    # carry the refused suite into the narrow one
    resolver = two_suites[2]
    doc, check = _p256_listed(two_suites)
    assert Verifier(resolver=resolver, extra_checks=[check]).verify(doc, now=NOW).verified
    narrow = Verifier(resolver=resolver, extra_checks=[check], accepted_suites=("eddsa-rdfc-2022",))
    found = status_check(narrow.verify(doc, now=NOW))
    assert found.status == "failed" and "ecdsa-rdfc-2019" in found.detail


def test_a_nested_status_list_is_judged_at_the_parents_now(issuer: KeyPair) -> None:
    # the list is valid for two days around NOW; the credential itself has no end date
    url = "https://status.example.ca/lists/window"
    listed = status_list(issuer, url, valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=1))
    doc = credential(issuer, status_entry(url, 10, "revocation"))
    later = NOW + timedelta(days=3)
    for moment, verified in ((NOW, True), (later, False)):
        # the time of interest given to verify() ...
        result = Verifier(extra_checks=[StatusListCheck(None, documents={url: listed})]).verify(doc, now=moment)
        assert result.verified is verified, result.to_json()
        # ... or the Verifier's own clock when none is given: the list is judged at that same moment
        clocked = Verifier(extra_checks=[StatusListCheck(None, documents={url: listed})], clock=lambda m=moment: m)
        assert clocked.verify(doc).verified is verified
    found = status_check(Verifier(extra_checks=[StatusListCheck(None, documents={url: listed})]).verify(doc, now=later))
    assert found.code == "STATUS_VERIFICATION_ERROR" and "outside its validity period" in found.detail
