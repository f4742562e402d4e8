"""Property tests: encode/decode round trips are exact, and decoders refuse garbage
with the project's typed errors only (multibase, QR link payloads, status-list bitstrings)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omc_vc._internal.multibase import b58decode, b58encode, multibase_decode, multibase_encode
from omc_vc.bitstring import decode_bitstring, encode_bitstring, get_status, set_status
from omc_vc.errors import MalformedValueError, OmcVcError, QrError, StatusError
from omc_vc.qr import decode_fragment, decode_payload, encode_fragment, encode_link

FAST = settings(max_examples=200, deadline=None)


@FAST
@given(st.binary(max_size=300), st.sampled_from(["z", "u"]))
def test_multibase_round_trip_is_exact(data: bytes, base: str) -> None:
    assert multibase_decode(multibase_encode(data, base)) == data


@FAST
@given(st.integers(0, 8), st.binary(max_size=64))
def test_base58_keeps_leading_zero_bytes(zeros: int, data: bytes) -> None:
    raw = b"\x00" * zeros + data
    assert b58decode(b58encode(raw)) == raw


@FAST
@given(st.text(max_size=80))
def test_multibase_decode_refuses_garbage_with_a_typed_error(text: str) -> None:
    try:
        multibase_decode(text)
    except MalformedValueError:
        pass


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=30))
JSON_OBJECTS = st.dictionaries(st.text(max_size=10), st.recursive(
    JSON_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner,
                                                                                          max_size=4)),
    max_leaves=20), max_size=8)


@FAST
@given(JSON_OBJECTS)
def test_qr_fragment_round_trip_is_exact(payload: dict[str, Any]) -> None:
    assert decode_fragment(encode_fragment(payload)) == payload


@FAST
@given(JSON_OBJECTS)
def test_qr_link_round_trip_is_exact(payload: dict[str, Any]) -> None:
    link = encode_link(payload, "https://verify.example.ca/v")
    assert decode_payload(link) == payload


@FAST
@given(st.text(max_size=200))
def test_qr_decoder_refuses_garbage_with_qr_errors_only(text: str) -> None:
    try:
        decode_payload(text)
    except QrError:
        pass


@FAST
@given(st.from_regex(r"01[0-9]{1,400}", fullmatch=True))
def test_qr_decoder_on_random_digit_fragments_raises_only_qr_errors(text: str) -> None:
    try:
        decode_payload(text)
    except QrError:
        pass


@FAST
@given(st.binary(min_size=1, max_size=2048))
def test_status_bitstring_round_trip_is_exact(bits: bytes) -> None:
    assert decode_bitstring(encode_bitstring(bits)) == bits


@FAST
@given(st.binary(min_size=1, max_size=256), st.data())
def test_set_then_get_status_is_exact_and_touches_nothing_else(bits: bytes, data: st.DataObject) -> None:
    size = data.draw(st.sampled_from([1, 2, 4, 8]))
    positions = len(bits) * 8 // size
    index = data.draw(st.integers(0, positions - 1))
    value = data.draw(st.integers(0, 2**size - 1))
    buffer = bytearray(bits)
    set_status(buffer, index, value, size)
    assert get_status(bytes(buffer), index, size) == value
    for other in range(positions):
        if other != index:
            assert get_status(bytes(buffer), other, size) == get_status(bits, other, size)


@FAST
@given(st.text(max_size=120))
def test_status_decoder_refuses_garbage_with_status_errors_only(text: str) -> None:
    try:
        decode_bitstring("u" + text)
    except StatusError:
        pass


def test_status_index_past_the_end_is_a_range_error() -> None:
    with pytest.raises(StatusError) as info:
        get_status(bytes(16), 16 * 8)
    assert info.value.code == "RANGE_ERROR"
    assert isinstance(info.value, OmcVcError)
