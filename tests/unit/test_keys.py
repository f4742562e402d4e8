"""Keys: generate, import (Multikey 32/64-byte, JWK, PEM), export, and encrypted key files."""

from __future__ import annotations

import json
import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omc_vc._internal.multibase import ED25519_PRIV, multibase_decode, multibase_encode
from omc_vc.errors import KeyError_, MalformedValueError, WrongPassphraseError
from omc_vc.keys import KeyPair, PublicKey, load_key, read_key_file_header, save_key
from tests.helpers import vector


@pytest.mark.parametrize("key_type", ["ed25519", "p256", "p384"])
def test_generate_sign_verify(key_type: str) -> None:
    pair = KeyPair.generate(key_type)  # type: ignore[arg-type]
    sig = pair.sign(b"hello")
    assert pair.public_key.verify(sig, b"hello")
    assert not pair.public_key.verify(sig, b"hellp")
    assert pair.verification_method == f"{pair.public_key.did_key}#{pair.public_key.multibase}"
    prefix = {"ed25519": "z6Mk", "p256": "zDna", "p384": "z82L"}[key_type]
    assert pair.public_key.multibase.startswith(prefix)


def test_w3c_vector_key_imports_from_secret_multibase() -> None:
    v = vector("eddsa-rdfc-2022-alumni.json")["keyPair"]
    pair = KeyPair.from_secret_multibase(v["secretKeyMultibase"])
    assert pair.public_key.multibase == v["publicKeyMultibase"]
    assert pair.secret_multibase() == v["secretKeyMultibase"]


def test_p256_vector_key_imports() -> None:
    v = vector("ecdsa-rdfc-2019-p256.json")["keyPair"]
    pair = KeyPair.from_secret_multibase(v["secretKeyMultibase"])
    assert pair.public_key.multibase == v["publicKeyMultibase"]


def test_ed25519_64_byte_secret_form_digital_bazaar() -> None:
    pair = KeyPair.generate("ed25519")
    seed = multibase_decode(pair.secret_multibase())[2:]
    pub = multibase_decode(pair.public_key.multibase)[2:]
    long_form = multibase_encode(ED25519_PRIV + seed + pub)
    again = KeyPair.from_secret_multibase(long_form)
    assert again.public_key == pair.public_key
    assert again.secret_multibase() == pair.secret_multibase()  # exported in the 32-byte form


def test_64_byte_form_with_wrong_public_half_is_refused() -> None:
    a, b = KeyPair.generate(), KeyPair.generate()
    seed = multibase_decode(a.secret_multibase())[2:]
    pub_b = multibase_decode(b.public_key.multibase)[2:]
    with pytest.raises(KeyError_, match="does not match"):
        KeyPair.from_secret_multibase(multibase_encode(ED25519_PRIV + seed + pub_b))


@pytest.mark.parametrize("key_type", ["ed25519", "p256", "p384"])
def test_jwk_and_pem_round_trips(key_type: str) -> None:
    pair = KeyPair.generate(key_type)  # type: ignore[arg-type]
    assert KeyPair.from_jwk(pair.private_jwk()).public_key == pair.public_key
    assert PublicKey.from_jwk(pair.public_key.jwk()) == pair.public_key
    assert KeyPair.from_pem(pair.private_pem().encode()).public_key == pair.public_key
    assert KeyPair.from_pem(pair.private_pem(b"pw").encode(), b"pw").public_key == pair.public_key
    assert PublicKey.from_pem(pair.public_key.pem().encode()) == pair.public_key
    assert "d" not in pair.public_key.jwk()


def test_jwk_with_mismatched_private_part_is_refused() -> None:
    a, b = KeyPair.generate(), KeyPair.generate()
    jwk = {**a.public_key.jwk(), "d": b.private_jwk()["d"]}
    with pytest.raises(KeyError_, match="does not match"):
        KeyPair.from_jwk(jwk)


def test_secret_key_published_as_public_key_is_refused() -> None:
    pair = KeyPair.generate()
    with pytest.raises(MalformedValueError, match="secret key"):
        PublicKey.from_multibase(pair.secret_multibase())


def test_repr_never_shows_secret() -> None:
    pair = KeyPair.generate()
    secret = pair.secret_multibase()
    assert secret not in repr(pair) and secret not in str(pair)


def test_encrypted_key_file_mode_0600_and_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pair = KeyPair.generate("p256")
    path = save_key(tmp_path / "k.json", pair, "correct horse")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert pair.secret_multibase() not in text and pair.private_jwk()["d"] not in text
    assert load_key(path, "correct horse").public_key == pair.public_key
    assert read_key_file_header(path)["publicKeyMultibase"] == pair.public_key.multibase


def test_wrong_passphrase_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = save_key(tmp_path / "k.json", KeyPair.generate(), "right")
    with pytest.raises(WrongPassphraseError, match="wrong passphrase"):
        load_key(path, "wrong")


def test_missing_passphrase_for_encrypted_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = save_key(tmp_path / "k.json", KeyPair.generate(), "right")
    with pytest.raises(KeyError_) as info:
        load_key(path, None)
    assert info.value.code == "KEY_PASSPHRASE_REQUIRED"


@pytest.mark.parametrize("corruption", ["truncate", "garbage", "swap-public", "flip-ciphertext"])
def test_corrupt_key_file_is_a_clear_error(tmp_path, corruption: str) -> None:  # type: ignore[no-untyped-def]
    path = save_key(tmp_path / "k.json", KeyPair.generate(), "pw")
    doc = json.loads(path.read_text())
    if corruption == "truncate":
        path.write_text(path.read_text()[:50])
    elif corruption == "garbage":
        path.write_bytes(b"\x00\xff not a key")
    elif corruption == "swap-public":
        doc["publicKeyMultibase"] = KeyPair.generate().public_key.multibase  # header is authenticated data
        path.write_text(json.dumps(doc))
    else:
        ct = doc["ciphertext"]
        doc["ciphertext"] = ("A" if ct[0] != "A" else "B") + ct[1:]
        path.write_text(json.dumps(doc))
    with pytest.raises(KeyError_):
        load_key(path, "pw")


def test_plaintext_key_file_needs_explicit_flag_and_is_labelled(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pair = KeyPair.generate()
    with pytest.raises(KeyError_):
        save_key(tmp_path / "a.json", pair, None)
    path = save_key(tmp_path / "b.json", pair, None, insecure_plaintext=True)
    assert "INSECURE" in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key(path).public_key == pair.public_key


def test_refuses_to_overwrite_key_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = save_key(tmp_path / "k.json", KeyPair.generate(), "pw")
    with pytest.raises(KeyError_, match="already exists"):
        save_key(path, KeyPair.generate(), "pw")


@settings(max_examples=50)
@given(st.text(max_size=80))
def test_random_secret_multibase_only_raises_typed_errors(text: str) -> None:
    try:
        KeyPair.from_secret_multibase(text)
    except KeyError_:
        pass


@pytest.mark.parametrize("key_type", ["p256", "p384"])
def test_secret_multibase_round_trip(key_type: str) -> None:
    pair = KeyPair.generate(key_type)  # type: ignore[arg-type]
    again = KeyPair.from_secret_multibase(pair.secret_multibase())
    assert again.public_key == pair.public_key
    assert again.public_key.verify(pair.sign(b"x"), b"x")


# --- the import memo of PublicKey.from_multibase ------------------------------------------------------

@pytest.mark.parametrize("key_type", ["ed25519", "p256", "p384"])
def test_multibase_import_is_remembered_and_equal_to_a_fresh_import(key_type: str) -> None:
    from omc_vc.keys import _imported_multibase

    pair = KeyPair.generate(key_type)  # type: ignore[arg-type]
    text = pair.public_key.multibase
    first = PublicKey.from_multibase(text)
    again = PublicKey.from_multibase(text)
    assert again is first  # the second import is the remembered key
    fresh = PublicKey._import_multibase(text)  # what the memo saves: a full decode and import
    assert fresh is not first and fresh == first and fresh.multibase == text
    assert first.verify(pair.sign(b"data"), b"data")
    assert not first.verify(pair.sign(b"data"), b"other data")
    assert _imported_multibase.cache_info().maxsize is not None  # bounded


def test_multibase_import_failures_are_not_remembered() -> None:
    from omc_vc.keys import _imported_multibase

    pair = KeyPair.generate()
    bad = [pair.secret_multibase(), "z" + "1" * 40, "not multibase", "u" + pair.public_key.multibase[1:]]
    for _ in range(2):  # refused the second time too, by the same check
        for text in bad:
            with pytest.raises(MalformedValueError):
                PublicKey.from_multibase(text)
    with pytest.raises(MalformedValueError):
        PublicKey.from_multibase(None)  # type: ignore[arg-type]  # unhashable-safe: not a string
    cached = _imported_multibase.cache_info().currsize
    for text in bad:
        with pytest.raises(MalformedValueError):
            PublicKey.from_multibase(text)
    assert _imported_multibase.cache_info().currsize == cached


def test_public_key_stays_immutable_with_its_multibase_computed_once() -> None:
    import dataclasses

    key = PublicKey.from_multibase(KeyPair.generate().public_key.multibase)
    assert key.multibase is key.multibase  # computed once, then the same string
    with pytest.raises(dataclasses.FrozenInstanceError):
        key.key_type = "p256"  # type: ignore[misc]
    assert hash(key) == hash(PublicKey.from_jwk(key.jwk())) and key == PublicKey.from_jwk(key.jwk())
