"""Multibase / multihash encodings (CID 1.0 §2.4) and RFC 8785 JCS numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omc_vc._internal import jcs
from omc_vc._internal.multibase import b58decode, b58encode, digest_multibase, multibase_decode, multibase_encode
from omc_vc.errors import MalformedValueError


@given(st.binary(max_size=200))
def test_base58_round_trip_exact(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data


@given(st.binary(max_size=200), st.sampled_from(["z", "u"]))
def test_multibase_round_trip_exact(data: bytes, base: str) -> None:
    assert multibase_decode(multibase_encode(data, base)) == data


def test_unknown_multibase_header_rejected() -> None:
    with pytest.raises(MalformedValueError):
        multibase_decode("mAAAA")


def test_invalid_base58_character_rejected() -> None:
    with pytest.raises(MalformedValueError):
        multibase_decode("z0OIl")


def test_digest_multibase_of_v2_context_matches_vcdm_example_26() -> None:
    from omc_vc._internal.resources import contexts_dir

    data = (contexts_dir() / "credentials-v2.jsonld").read_bytes()
    assert digest_multibase(data) == "uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA"


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (-0.0, "0"), (1, "1"), (100.0, "100"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
    (1e-6, "0.000001"), (1e-7, "1e-7"), (123.456, "123.456"), (4.5, "4.5"), (-1.5e-10, "-1.5e-10"),
    (333333333.33333329, "333333333.3333333"), (1.7976931348623157e308, "1.7976931348623157e+308"),
])
def test_jcs_numbers_follow_ecmascript(value: float, text: str) -> None:
    assert jcs.canonicalize(value) == text


def test_jcs_sorts_by_utf16_and_escapes() -> None:
    value = {"b": 1, "a": "\u000f\n\"", "\u20ac": True, "\U0001f600": None, "\ufb01": 2}
    # UTF-16 code units: a < b < U+20AC < U+D83D (surrogate of U+1F600) < U+FB01
    assert jcs.canonicalize(value) == '{"a":"\\u000f\\n\\"","b":1,"\u20ac":true,"\U0001f600":null,"\ufb01":2}'
