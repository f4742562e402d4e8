"""The link-mode payload format (docs/qr-format.md): versioning, alphabet, compression, bomb safety."""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omc_vc import qr
from omc_vc._internal.multibase import b64url_encode
from omc_vc.errors import QrError
from tests.unit.test_wallet_support import Institution

JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=40)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=30)


def _raw_fragment(raw: bytes) -> str:
    """A format-01 fragment around arbitrary decompressed bytes (to craft hostile payloads)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=qr.DICTIONARY_V1)
    return qr.FORMAT_V1 + qr._to_digits(compressor.compress(raw) + compressor.flush())


def test_dictionary_v1_is_frozen() -> None:
    # changing the dictionary silently would make every issued "01" link decode to garbage
    assert hashlib.sha256(qr.DICTIONARY_V1).hexdigest() == qr.DICTIONARY_V1_SHA256
    assert qr.DICTIONARY_V1_SHA256 == "bc6bf36c5da119ef16d17d381ae01d8a0b203069e3a7d616153338a6177b3e05"
    assert len(qr.DICTIONARY_V1) <= 32 * 1024


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=8))
def test_any_json_object_round_trips_exactly(doc: dict[str, Any]) -> None:
    fragment = qr.encode_fragment(doc)
    assert fragment.startswith("01") and fragment.isdigit()
    decoded = qr.decode_fragment(fragment)
    assert decoded == doc
    assert list(decoded) == list(doc)  # key order kept, so the JSON text is the same


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_digit_groups_round_trip_every_length(data: bytes) -> None:
    assert qr._from_digits(qr._to_digits(data)) == data


def test_link_fragment_alphabet_survives_camera_apps() -> None:
    link = qr.encode_link(Institution().issue("did:example:learner"), "https://verify.example.ca")
    fragment = link.split("#", 1)[1]
    # only digits: no space, no %, nothing a camera app or browser rewrites
    assert fragment.isdigit() and fragment.isascii()


def test_jwt_is_stored_in_binary_and_decodes_to_the_same_string() -> None:
    token = Institution().issue_jwt("did:example:learner")
    fragment = qr.encode_fragment(token)
    assert qr.decode_fragment(fragment) == token
    # the binary form (segments base64url-decoded) is smaller than compressing the token text
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=qr.DICTIONARY_V1)
    text_size = len(compressor.compress(token.encode()) + compressor.flush())
    assert (len(fragment) - 2) * 7 // 17 < text_size


def test_non_canonical_base64_jwt_is_kept_as_text() -> None:
    # a last base64url character with stray low bits would re-encode differently: keep the token as text
    token = "eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.abcdff"
    assert qr._b64url_strict("abcdff") is None
    assert qr.decode_fragment(qr.encode_fragment(token)) == token


def test_unknown_format_version_is_refused() -> None:
    fragment = "02" + qr.encode_fragment({"a": 1})[2:]
    with pytest.raises(QrError) as info:
        qr.decode_fragment(fragment)
    assert info.value.code == "QR_UNKNOWN_FORMAT"


@pytest.mark.parametrize("bad", ["01abc123", "01 1234567", "01%2012", "01١٢٣٤٥"])
def test_characters_outside_the_alphabet_are_refused(bad: str) -> None:
    with pytest.raises(QrError) as info:
        qr.decode_fragment(bad)
    assert info.value.code == "QR_BAD_ALPHABET"


def test_impossible_digit_count_is_refused() -> None:
    with pytest.raises(QrError) as info:
        qr.decode_fragment("01" + "1" * 18)  # 17 + 1: no byte group is written with one digit
    assert info.value.code == "QR_BAD_ALPHABET"


def test_out_of_range_digit_group_is_refused() -> None:
    with pytest.raises(QrError) as info:
        qr.decode_fragment("01999")  # one byte is written as 000-255
    assert info.value.code == "QR_BAD_ALPHABET"


def test_decompression_bomb_is_stopped_at_the_cap() -> None:
    bomb = _raw_fragment(b"{" + b" " * (qr.MAX_PAYLOAD_BYTES * 4))
    assert len(bomb) < 5000  # a few KB of digits that would expand to 1 MB
    with pytest.raises(QrError) as info:
        qr.decode_fragment(bomb)
    assert info.value.code == "QR_TOO_LARGE"


def test_oversized_fragment_is_refused_before_decoding() -> None:
    with pytest.raises(QrError) as info:
        qr.decode_fragment("01" + "0" * qr.MAX_FRAGMENT_CHARS)
    assert info.value.code == "QR_TOO_LARGE"


def test_truncated_fragment_is_refused() -> None:
    fragment = qr.encode_fragment(Institution().issue("did:example:learner"))
    cut = fragment[: 2 + 17 * 20]
    with pytest.raises(QrError) as info:
        qr.decode_fragment(cut)
    assert info.value.code == "QR_PAYLOAD_INVALID"


def test_trailing_garbage_after_the_stream_is_refused() -> None:
    fragment = qr.encode_fragment({"a": 1}) + "00000000000000017"
    with pytest.raises(QrError):
        qr.decode_fragment(fragment)


def test_duplicate_json_keys_smuggled_in_a_payload_are_refused() -> None:
    with pytest.raises(QrError) as info:
        qr.decode_fragment(_raw_fragment(b'{"issuer":"did:a","issuer":"did:b"}'))
    assert info.value.code == "QR_PAYLOAD_INVALID"


def test_decode_payload_accepts_link_fragment_and_bare_payload() -> None:
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}
    link = qr.encode_link(doc, "https://verify.example.ca/")
    assert link.startswith("https://verify.example.ca/v#01")
    fragment = link.split("#", 1)[1]
    assert qr.decode_payload(link) == doc
    assert qr.decode_payload("#" + fragment) == doc
    assert qr.decode_payload(fragment) == doc
    assert qr.decode_payload('{"type": ["VerifiableCredential"]}') == {"type": ["VerifiableCredential"]}


def test_short_link_is_recognised_not_decoded() -> None:
    with pytest.raises(QrError) as info:
        qr.decode_payload("https://verify.example.ca/s/AbC123xyz")
    assert info.value.code == "QR_SHORT_LINK"
    assert qr.short_link_share_url("https://verify.example.ca/s/AbC123xyz") == \
        "https://verify.example.ca/shares/AbC123xyz"
    assert qr.short_link_share_url("https://verify.example.ca/s/../x") is None


@pytest.mark.parametrize("base", ["ftp://verify.example.ca", "http://verify.example.ca", "https://x.ca/?q=1",
                                  "https://x.ca/#frag", "verify.example.ca"])
def test_link_to_a_non_https_or_odd_base_url_is_refused(base: str) -> None:
    with pytest.raises(QrError) as info:
        qr.encode_link({"a": 1}, base)
    assert info.value.code == "QR_BAD_BASE_URL"


def test_local_demo_base_url_is_allowed() -> None:
    assert qr.encode_link({"a": 1}, "http://127.0.0.1:8800").startswith("http://127.0.0.1:8800/v#01")


def test_non_json_payload_is_refused() -> None:
    with pytest.raises(QrError):
        qr.encode_fragment({"a": float("nan")})
    with pytest.raises(QrError):
        qr.encode_fragment("not a jwt")


B64_SEGMENT = st.binary(min_size=1, max_size=120).map(lambda b: b64url_encode(b))


@settings(max_examples=60, deadline=None)
@given(B64_SEGMENT, B64_SEGMENT, st.binary(max_size=96).map(lambda b: b64url_encode(b)))
def test_any_compact_jws_round_trips_to_the_same_string(header: str, payload: str, signature: str) -> None:
    token = f"{header}.{payload}.{signature}"
    assert qr.decode_fragment(qr.encode_fragment(token)) == token


@pytest.mark.parametrize(("content", "message"), [
    ('{"type": ', "the QR content is not valid JSON"),
    ('{"a": 1} [', "the QR content is not valid JSON"),
])
def test_pasted_json_that_is_not_an_object_is_refused_by_name(content: str, message: str) -> None:
    with pytest.raises(QrError, match=message) as info:
        qr.decode_payload(content)
    assert info.value.code == "QR_PAYLOAD_INVALID"


@pytest.mark.parametrize(("raw", "message"), [(b"{nope", "the payload is not valid JSON"),
                                              (b"[1, 2]", "unknown payload tag")])
def test_fragment_payload_that_is_not_a_json_object_is_refused_by_name(raw: bytes, message: str) -> None:
    with pytest.raises(QrError, match=message) as info:
        qr.decode_fragment(_raw_fragment(raw))
    assert info.value.code == "QR_PAYLOAD_INVALID"
