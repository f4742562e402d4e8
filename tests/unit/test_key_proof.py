"""Proofs of possession (omc_vc.proofs.jose.verify_key_proof) and did:jwk (omc_vc.did).

A wallet proves it holds its key by signing a small typed JWT that names the key: by ``kid`` (a did:key or
did:jwk URL) or by a ``jwk`` header (OpenID4VCI 1.0 §F.1). Each forgery below is built by hand, so it reaches
the verifier exactly as an attacker would send it; where the attack is a header trick, the token is
correctly signed by the key it names, so only the policy check can stop it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from omc_vc.did import DidResolver, did_jwk, did_jwk_document, did_jwk_public_key, retrieve_verification_method
from omc_vc.errors import DidError, JwtError, VerificationMethodError
from omc_vc.keys import KeyPair
from omc_vc.proofs.jose import sign_key_proof, verify_key_proof

TYP = "openid4vci-proof+jwt"
CLAIMS = {"aud": "https://college.example.ca", "iat": 1_750_000_000, "nonce": "n-1"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _token(header: dict[str, Any], claims: dict[str, Any], key: KeyPair | None) -> str:
    """A compact JWS over ``header``/``claims``, signed by ``key`` (an empty signature when None)."""
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    # KeyPair.sign gives the JWS form already (Ed25519, or ECDSA r || s: RFC 7518 §3.4)
    signature = key.sign(f"{head}.{body}".encode("ascii")) if key is not None else b""
    return f"{head}.{body}.{_b64(signature)}"


def _holder(key_type: str = "ed25519") -> KeyPair:
    key = KeyPair.generate(key_type)  # type: ignore[arg-type]
    did = key.public_key.did_key
    return key.with_id(f"{did}#{did.rsplit(':', 1)[1]}", did)


# --- did:jwk ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key_type", ["ed25519", "p256", "p384"])
def test_did_jwk_round_trip_resolves_its_key_under_authentication(key_type: str) -> None:
    key = KeyPair.generate(key_type)  # type: ignore[arg-type]
    did = did_jwk(key.public_key)
    assert did.startswith("did:jwk:ey") and did == did_jwk(key.public_key)  # one key, one DID
    document = DidResolver().resolve(did)
    assert document["id"] == did
    assert document["verificationMethod"][0]["type"] == "JsonWebKey2020"
    _, public = retrieve_verification_method(f"{did}#0", "authentication", DidResolver())
    assert public == key.public_key


def test_did_jwk_with_use_enc_cannot_authenticate() -> None:
    """did:jwk §2.2: a key whose use is enc appears in keyAgreement only, never as a signing key."""
    jwk = {**KeyPair.generate().public_key.jwk(), "use": "enc"}
    did = "did:jwk:" + _b64(json.dumps(jwk).encode())
    assert set(did_jwk_document(did)) == {"@context", "id", "verificationMethod", "keyAgreement"}
    with pytest.raises(VerificationMethodError):
        retrieve_verification_method(f"{did}#0", "authentication", DidResolver())


def test_did_jwk_carrying_a_private_key_is_refused() -> None:
    did = "did:jwk:" + _b64(json.dumps(KeyPair.generate().private_jwk()).encode())
    with pytest.raises(DidError) as caught:
        did_jwk_public_key(did)
    assert caught.value.code == "invalidPublicKey"


@pytest.mark.parametrize("did", ["did:jwk:", "did:jwk:!!!", "did:jwk:" + _b64(b"[1]"), "did:jwk:" + "A" * 2000,
                                 "did:jwk:" + _b64(b'{"kty":"oct","k":"c2VjcmV0"}')])
def test_malformed_did_jwk_is_refused(did: str) -> None:
    with pytest.raises(DidError):
        DidResolver().resolve(did)


# --- proofs of possession -----------------------------------------------------------------------------------

@pytest.mark.parametrize("key_type", ["ed25519", "p256", "p384"])
def test_proof_by_did_key_kid_names_the_holder(key_type: str) -> None:
    holder = _holder(key_type)
    proof = verify_key_proof(sign_key_proof(CLAIMS, holder, typ=TYP), typ=TYP, resolver=DidResolver())
    assert proof.holder == holder.controller
    assert proof.verification_method == holder.verification_method
    assert proof.claims == CLAIMS and proof.public_key == holder.public_key


def test_proof_by_jwk_header_binds_to_the_did_jwk_of_that_key() -> None:
    key = KeyPair.generate("p256")
    token = _token({"typ": TYP, "alg": "ES256", "jwk": key.public_key.jwk()}, CLAIMS, key)
    proof = verify_key_proof(token, typ=TYP, resolver=DidResolver())
    assert proof.holder == did_jwk(key.public_key) and proof.verification_method == proof.holder + "#0"


def test_proof_by_did_jwk_kid_bare_or_with_fragment() -> None:
    key = KeyPair.generate()
    did = did_jwk(key.public_key)
    for kid in (did, f"{did}#0"):
        proof = verify_key_proof(_token({"typ": TYP, "alg": "EdDSA", "kid": kid}, CLAIMS, key), typ=TYP,
                                 resolver=DidResolver())
        assert proof.holder == did


def _refused(token: str, code: str) -> None:
    with pytest.raises(JwtError) as caught:
        verify_key_proof(token, typ=TYP, resolver=DidResolver())
    assert caught.value.code == code, caught.value.diagnostics()


def test_proof_signed_by_a_key_other_than_the_one_named_is_refused() -> None:
    """The kid names the victim's did:key; the attacker signs with their own key."""
    victim, attacker = _holder(), KeyPair.generate()
    _refused(_token({"typ": TYP, "alg": "EdDSA", "kid": victim.verification_method}, CLAIMS, attacker),
             "JWT_BAD_SIGNATURE")


def test_proof_whose_jwk_header_is_not_the_signing_key_is_refused() -> None:
    victim, attacker = KeyPair.generate(), KeyPair.generate()
    _refused(_token({"typ": TYP, "alg": "EdDSA", "jwk": victim.public_key.jwk()}, CLAIMS, attacker),
             "JWT_BAD_SIGNATURE")


def test_proof_with_a_private_key_in_its_jwk_header_is_refused() -> None:
    key = KeyPair.generate()
    _refused(_token({"typ": TYP, "alg": "EdDSA", "jwk": key.private_jwk()}, CLAIMS, key), "JWT_PRIVATE_KEY")


def test_proof_naming_two_keys_or_none_is_refused() -> None:
    holder = _holder()
    both = {"typ": TYP, "alg": "EdDSA", "kid": holder.verification_method, "jwk": holder.public_key.jwk()}
    _refused(_token(both, CLAIMS, holder), "JWT_KEY_NOT_FOUND")
    _refused(_token({"typ": TYP, "alg": "EdDSA"}, CLAIMS, holder), "JWT_KEY_NOT_FOUND")


@pytest.mark.parametrize("typ", [None, "JWT", "vc+jwt", "openid4vci-proof+jwt2"])
def test_proof_without_its_explicit_type_is_refused(typ: str | None) -> None:
    """RFC 8725 §3.11: a JWT made for something else (a credential, an ID token) is not a key proof."""
    holder = _holder()
    header: dict[str, Any] = {"alg": "EdDSA", "kid": holder.verification_method}
    if typ is not None:
        header["typ"] = typ
    _refused(_token(header, CLAIMS, holder), "JWT_TYP_UNSUPPORTED")


def test_unsigned_proof_is_refused() -> None:
    holder = _holder()
    _refused(_token({"typ": TYP, "alg": "none", "kid": holder.verification_method}, CLAIMS, None), "JWT_ALG_NONE")


def test_hmac_proof_keyed_with_the_public_key_is_refused() -> None:
    holder = _holder()
    header = {"typ": TYP, "alg": "HS256", "kid": holder.verification_method}
    head, body = _b64(json.dumps(header).encode()), _b64(json.dumps(CLAIMS).encode())
    mac = hmac.new(holder.public_key.multibase.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    _refused(f"{head}.{body}.{_b64(mac)}", "JWT_ALG_HMAC")


def test_proof_whose_alg_is_not_its_keys_is_refused() -> None:
    holder = _holder("p256")
    _refused(_token({"typ": TYP, "alg": "EdDSA", "kid": holder.verification_method}, CLAIMS, holder),
             "JWT_ALG_KEY_MISMATCH")


@pytest.mark.parametrize("header", [{"x5c": ["MIIB"]}, {"jku": "https://attacker.example/jwks"},
                                    {"crit": ["exp"]}])
def test_proof_with_unsupported_key_headers_is_refused(header: dict[str, Any]) -> None:
    holder = _holder()
    token = _token({"typ": TYP, "alg": "EdDSA", "kid": holder.verification_method, **header}, CLAIMS, holder)
    with pytest.raises(JwtError):
        verify_key_proof(token, typ=TYP, resolver=DidResolver())


def test_proof_naming_a_did_web_key_is_refused_without_any_fetch() -> None:
    """A kid the prover chose must never make the verifier fetch a URL: did:web is not a holder key here."""
    holder = _holder()
    token = _token({"typ": TYP, "alg": "EdDSA", "kid": "did:web:attacker.example#key-1"}, CLAIMS, holder)
    _refused(token, "JWT_KEY_UNSUPPORTED")


def test_oversized_proof_is_refused_before_decoding() -> None:
    holder = _holder()
    token = sign_key_proof({**CLAIMS, "pad": "x" * 20_000}, holder, typ=TYP)
    _refused(token, "JWT_MALFORMED")


def test_many_did_jwk_proofs_do_not_grow_the_resolver() -> None:
    """Proofs naming ever new did:jwk keys (signed or not) leave nothing behind in the resolver: a caller
    with one access token cannot fill the service's memory."""
    resolver = DidResolver()
    for _ in range(50):
        key = KeyPair.generate("p256")
        did = did_jwk(key.public_key)
        resolver.resolve(did)
    assert len(resolver._cache) == 0
