"""VC-JWT (omc_vc.proofs.jose): round trips, and one test per forgery the verifier must stop.

Forged tokens are built by hand (base64url JSON header + payload + signature) so each attack reaches the
verifier exactly as an attacker would send it. Where the attack is a header or claim trick, the forged
token is *correctly signed* by the key it names, so the rejection can only come from the policy check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS

from omc_vc.did import DidResolver, did_web, did_web_document
from omc_vc.errors import JwtError, OmcVcError, VerificationMethodError
from omc_vc.keys import KeyPair
from omc_vc.proofs.jose import (
    JwtVerification,
    envelope,
    is_jwt,
    sign_jwt,
    unenvelope,
    verify_jwt,
)

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
V2 = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
SUBJECT = "did:example:learner-ada"


# --- helpers -----------------------------------------------------------------------------------------

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def forge(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A token with any header and payload and the given (possibly meaningless) signature."""
    return f"{b64json(header)}.{b64json(payload)}.{b64(signature)}"


def forge_signed(header: dict[str, Any], payload: dict[str, Any], key: KeyPair) -> str:
    """A token with any header and payload, correctly signed by ``key`` (JWS signatures are raw / r||s)."""
    signing_input = f"{b64json(header)}.{b64json(payload)}"
    return f"{signing_input}.{b64(key.sign(signing_input.encode('ascii')))}"


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload)), signature


def ed_key(seed: int = 1) -> KeyPair:
    return KeyPair(ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def p256_key(secret: int = 7) -> KeyPair:
    return KeyPair(ec.derive_private_key(secret * 1_000_003, ec.SECP256R1()))


def credential(issuer: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [V2, OB3_CONTEXT],
        "id": "urn:uuid:9b2f3c1e-6f0a-4a9e-9a51-3d2c8f0e7b11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Example College"},
        "validFrom": "2025-01-15T00:00:00Z",
        "name": "Introduction to Data Analysis (OMC)",
        "credentialSubject": {"id": SUBJECT, "type": ["AchievementSubject"]},
    }
    doc.update(extra)
    return doc


def presentation(holder: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"@context": [V2], "type": ["VerifiablePresentation"], "holder": holder,
            "verifiableCredential": list(items)}


def reject(token: str, code: str, resolver: DidResolver | None = None, **kwargs: Any) -> JwtError:
    with pytest.raises(JwtError) as info:
        verify_jwt(token, resolver=resolver or DidResolver(), now=kwargs.pop("now", NOW), **kwargs)
    assert info.value.code == code, info.value.diagnostics()
    return info.value


def web_issuer(*keys: KeyPair) -> tuple[str, DidResolver, list[KeyPair]]:
    """A did:web issuer whose pinned DID document lists ``keys`` as #key-1, #key-2, ..."""
    did = did_web("college.example.ca")
    document = did_web_document(did, [k.public_key for k in keys])
    bound = [k.with_id(f"{did}#key-{i + 1}", did) for i, k in enumerate(keys)]
    return did, DidResolver(documents={did: document}), bound


# --- round trips ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("make_key", [ed_key, p256_key], ids=["ed25519", "p256"])
def test_round_trip_vc_jose_cose_did_key(make_key: Any) -> None:
    key = make_key()
    vc = credential(key.controller)
    token = sign_jwt(vc, key)
    header, payload, _ = parts(token)
    # VC-JOSE-COSE §3.1.1: the payload is the credential as-is, and only the header carries the securing.
    assert payload == vc
    assert header == {"alg": key.public_key.jws_alg, "kid": key.verification_method, "typ": "vc+jwt", "cty": "vc"}
    result = verify_jwt(token, resolver=DidResolver(), now=NOW)
    assert isinstance(result, JwtVerification)
    assert (result.profile, result.kind) == ("vc-jose-cose", "credential")
    assert result.document == vc
    assert result.verification_method == key.verification_method
    assert result.controller == key.controller
    assert result.public_key == key.public_key


@pytest.mark.parametrize("make_key", [ed_key, p256_key], ids=["ed25519", "p256"])
def test_round_trip_ob3_did_key(make_key: Any) -> None:
    key = make_key()
    vc = credential(key.controller, validUntil="2030-01-15T00:00:00Z")
    token = sign_jwt(vc, key, profile="ob3")
    header, payload, _ = parts(token)
    # OB 3.0 §8.2: typ JWT; iss/jti/nbf/sub/exp mirror the credential.
    assert header == {"alg": key.public_key.jws_alg, "kid": key.verification_method, "typ": "JWT"}
    assert payload["iss"] == key.controller
    assert payload["jti"] == vc["id"]
    assert payload["nbf"] == int(datetime(2025, 1, 15, tzinfo=UTC).timestamp())
    assert payload["exp"] == int(datetime(2030, 1, 15, tzinfo=UTC).timestamp())
    assert payload["sub"] == SUBJECT
    result = verify_jwt(token, resolver=DidResolver(), now=NOW, expected_kind="credential")
    assert result.profile == "ob3"
    assert result.document == vc  # the registered claims are not part of the credential
    assert result.claims["jti"] == vc["id"]


def test_eddsa_signing_is_deterministic() -> None:
    key = ed_key()
    vc = credential(key.controller)
    assert sign_jwt(vc, key) == sign_jwt(vc, key)
    assert sign_jwt(vc, key, profile="ob3") == sign_jwt(vc, key, profile="ob3")


def test_expires_in_adds_iat_and_exp_only_when_asked() -> None:
    key = ed_key()
    vc = credential(key.controller)
    assert "exp" not in parts(sign_jwt(vc, key))[1]
    token = sign_jwt(vc, key, now=NOW, expires_in=timedelta(hours=1))
    payload = parts(token)[1]
    assert payload["iat"] == int(NOW.timestamp())
    assert payload["exp"] == int((NOW + timedelta(hours=1)).timestamp())
    assert verify_jwt(token, resolver=DidResolver(), now=NOW + timedelta(minutes=59)).document == vc


def test_did_web_issuer_with_pinned_document() -> None:
    did, resolver, (key,) = web_issuer(p256_key())
    vc = credential(did)
    for profile in ("vc-jose-cose", "ob3"):
        result = verify_jwt(sign_jwt(vc, key, profile=profile), resolver=resolver, now=NOW)
        assert result.verification_method == f"{did}#key-1"
        assert result.controller == did


def test_relative_kid_resolves_against_the_issuer_did() -> None:
    did, resolver, (key,) = web_issuer(ed_key())
    token = forge_signed({"alg": "EdDSA", "kid": "#key-1", "typ": "vc+jwt"}, credential(did), key)
    assert verify_jwt(token, resolver=resolver, now=NOW).verification_method == f"{did}#key-1"


def test_bare_did_key_kid_names_its_only_key() -> None:
    key = ed_key()
    token = forge_signed({"alg": "EdDSA", "kid": key.controller}, credential(key.controller), key)
    assert verify_jwt(token, resolver=DidResolver(), now=NOW).verification_method == key.verification_method


def test_presentation_round_trip_with_enveloped_credential() -> None:
    issuer, holder = ed_key(1), p256_key(3)
    vc_token = sign_jwt(credential(issuer.controller), issuer)
    wrapped = envelope(vc_token)
    assert wrapped == {"@context": V2, "id": f"data:application/vc+jwt,{vc_token}",
                       "type": "EnvelopedVerifiableCredential"}
    vp = presentation(holder.controller, wrapped)
    vp_token = sign_jwt(vp, holder, now=NOW, expires_in=timedelta(minutes=5))
    header = parts(vp_token)[0]
    assert (header["typ"], header["cty"]) == ("vp+jwt", "vp")
    result = verify_jwt(vp_token, resolver=DidResolver(), now=NOW, expected_kind="presentation",
                        purpose="authentication")
    assert result.kind == "presentation"
    inner = unenvelope(result.document["verifiableCredential"][0])
    assert inner == vc_token
    assert verify_jwt(inner, resolver=DidResolver(), now=NOW).document["issuer"]["id"] == issuer.controller
    assert unenvelope(envelope(vp_token, "presentation")) == vp_token


def test_vcdm11_vc_claim_token_signed_with_jwcrypto_is_accepted() -> None:
    key = ed_key()
    nbf = int(datetime(2025, 1, 15, tzinfo=UTC).timestamp())
    claims = {
        "iss": key.controller, "jti": "http://college.example.ca/credentials/42", "sub": SUBJECT, "nbf": nbf,
        "exp": nbf + 365 * 86400,
        "vc": {"@context": ["https://www.w3.org/2018/credentials/v1"],
               "type": ["VerifiableCredential", "UniversityDegreeCredential"],
               "credentialSubject": {"degree": {"type": "BachelorDegree", "name": "BSc"}}},
    }
    jws = JWS(json.dumps(claims).encode("utf-8"))
    jws.add_signature(JWK.from_pyca(key.crypto_key), alg="EdDSA",
                      protected=json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": key.verification_method}))
    token = jws.serialize(compact=True)
    result = verify_jwt(token, resolver=DidResolver(), now=NOW)
    assert result.profile == "vcdm1.1"
    # VCDM 1.1 §6.3.1 decoding: the registered claims go back into the credential.
    assert result.document["issuer"] == key.controller
    assert result.document["id"] == claims["jti"]
    assert result.document["credentialSubject"]["id"] == SUBJECT
    assert result.document["issuanceDate"] == "2025-01-15T00:00:00Z"
    assert result.document["expirationDate"] == "2026-01-15T00:00:00Z"


# --- signing refusals ------------------------------------------------------------------------------------

def test_sign_refuses_vc_claim_in_document() -> None:
    key = ed_key()
    with pytest.raises(JwtError) as info:
        sign_jwt({**credential(key.controller), "vc": {}}, key)
    assert info.value.code == "JWT_SIGN_INPUT_INVALID"


def test_sign_refuses_iss_that_is_not_the_issuer() -> None:
    key = ed_key()
    with pytest.raises(JwtError):
        sign_jwt({**credential(key.controller), "iss": "did:example:someone-else"}, key)


def test_sign_refuses_key_of_another_issuer() -> None:
    with pytest.raises(JwtError) as info:
        sign_jwt(credential(ed_key(1).controller), ed_key(2))
    assert info.value.code == "JWT_KID_NOT_ISSUER"


@pytest.mark.parametrize("missing", ["id", "validFrom", "issuer"])
def test_sign_ob3_refuses_missing_required_inputs(missing: str) -> None:
    key = ed_key()
    vc = credential(key.controller)
    del vc[missing]
    with pytest.raises(JwtError) as info:
        sign_jwt(vc, key, profile="ob3")
    assert info.value.code == "JWT_SIGN_INPUT_INVALID"


# --- attacks: algorithm ------------------------------------------------------------------------------------

@pytest.mark.parametrize("header_alg", [{"alg": "none"}, {"alg": "None"}, {"alg": "NONE"}, {}])
def test_alg_none_attack(header_alg: dict[str, Any]) -> None:
    key = ed_key()
    reject(forge({**header_alg, "kid": key.verification_method}, credential(key.controller)), "JWT_ALG_NONE")


@pytest.mark.parametrize("secret_from", ["raw public key", "public jwk json", "multibase", "pem"])
def test_hs256_keyed_with_the_public_key_attack(secret_from: str) -> None:
    # The classic key-confusion forgery: everyone knows the public key, so an HMAC over it is forgeable.
    key = ed_key()
    public = key.public_key
    secret = {
        "raw public key": public.crypto_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        "public jwk json": json.dumps(public.jwk()).encode("utf-8"),
        "multibase": public.multibase.encode("ascii"),
        "pem": public.pem().encode("ascii"),
    }[secret_from]
    header = {"alg": "HS256", "kid": key.verification_method, "typ": "vc+jwt"}
    signing_input = f"{b64json(header)}.{b64json(credential(key.controller))}"
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    reject(f"{signing_input}.{b64(mac)}", "JWT_ALG_HMAC")


@pytest.mark.parametrize("alg", ["RS256", "ES512", "PS256", "ES256K", "Ed25519", "ML-DSA-44", "eddsa"])
def test_unsupported_alg_is_refused(alg: str) -> None:
    key = ed_key()
    reject(forge({"alg": alg, "kid": key.verification_method}, credential(key.controller), b"x" * 64),
           "JWT_ALG_UNSUPPORTED")


def test_alg_key_mismatch_es256_header_over_ed25519_key() -> None:
    key = ed_key()
    token = forge_signed({"alg": "ES256", "kid": key.verification_method}, credential(key.controller), key)
    reject(token, "JWT_ALG_KEY_MISMATCH")


def test_alg_key_mismatch_eddsa_header_over_p256_key() -> None:
    key = p256_key()
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method}, credential(key.controller), key)
    reject(token, "JWT_ALG_KEY_MISMATCH")


# --- attacks: where the key comes from -------------------------------------------------------------------

def test_embedded_jwk_header_with_attacker_key_attack() -> None:
    victim, attacker = ed_key(1), ed_key(2)
    header = {"alg": "EdDSA", "kid": victim.verification_method, "jwk": attacker.public_key.jwk()}
    reject(forge_signed(header, credential(victim.controller), attacker), "JWT_EMBEDDED_KEY")


@pytest.mark.parametrize("name,value", [
    ("jku", "https://attacker.example/jwks.json"),
    ("x5u", "https://attacker.example/cert.pem"),
    ("x5c", ["MIIBszCCAVmgAwIBAgIUQ=="]),
])
def test_key_url_header_attack(name: str, value: Any) -> None:
    victim, attacker = ed_key(1), ed_key(2)
    header = {"alg": "EdDSA", "kid": victim.verification_method, name: value}
    error = reject(forge_signed(header, credential(victim.controller), attacker), "JWT_EMBEDDED_KEY")
    assert name in error.detail


def test_kid_pointing_at_another_did_attack() -> None:
    # The attacker signs correctly with their own did:key, claiming the victim as issuer.
    victim, attacker = ed_key(1), ed_key(2)
    header = {"alg": "EdDSA", "kid": attacker.verification_method, "typ": "vc+jwt"}
    reject(forge_signed(header, credential(victim.controller), attacker), "JWT_KID_NOT_ISSUER")


def test_kid_pointing_at_another_did_web_attack() -> None:
    did, resolver, _ = web_issuer(ed_key(1))
    attacker = ed_key(2)
    attacker_did = did_web("attacker.example")
    resolver.documents[attacker_did] = did_web_document(attacker_did, [attacker.public_key])
    header = {"alg": "EdDSA", "kid": f"{attacker_did}#key-1"}
    reject(forge_signed(header, credential(did), attacker), "JWT_KID_NOT_ISSUER", resolver)


def test_kid_of_key_not_in_assertion_method_attack() -> None:
    did, resolver, (_, auth_only) = web_issuer(ed_key(1), ed_key(2))
    document = resolver.documents[did]
    document["assertionMethod"] = [f"{did}#key-1"]  # #key-2 may authenticate, not issue
    error = reject(sign_jwt(credential(did), auth_only), "JWT_KEY_NOT_FOUND", resolver)
    assert error.context["cause"] == "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"
    assert isinstance(error.__cause__, VerificationMethodError)


def test_kid_of_key_not_in_the_did_document_attack() -> None:
    did, resolver, (key,) = web_issuer(ed_key(1))
    token = forge_signed({"alg": "EdDSA", "kid": f"{did}#key-9"}, credential(did), key)
    reject(token, "JWT_KEY_NOT_FOUND", resolver)


def test_kid_missing() -> None:
    key = ed_key()
    reject(forge_signed({"alg": "EdDSA", "typ": "vc+jwt"}, credential(key.controller), key), "JWT_KID_MISSING")


def test_unresolvable_did_web_fails_closed() -> None:
    did, _, (key,) = web_issuer(ed_key())
    reject(sign_jwt(credential(did), key), "JWT_KEY_NOT_FOUND", DidResolver())


# --- attacks: header extensions and types ----------------------------------------------------------------

@pytest.mark.parametrize("extra", [
    {"crit": ["urn:example:policy"], "urn:example:policy": True},
    {"crit": []},
    {"crit": ["exp"]},
    {"b64": False, "crit": ["b64"]},
    {"b64": False},
])
def test_unknown_crit_attack(extra: dict[str, Any]) -> None:
    key = ed_key()
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method, **extra}, credential(key.controller), key)
    reject(token, "JWT_CRIT_UNSUPPORTED")


def test_typ_mismatch_vp_typ_on_a_credential() -> None:
    key = ed_key()
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": "vp+jwt"},
                         credential(key.controller), key)
    reject(token, "JWT_TYP_MISMATCH")


def test_typ_mismatch_vc_typ_on_a_presentation() -> None:
    key = ed_key()
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": "application/vc+jwt"},
                         presentation(key.controller), key)
    reject(token, "JWT_TYP_MISMATCH")


def test_typ_and_cty_disagree() -> None:
    key = ed_key()
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": "vc+jwt", "cty": "vp"},
                         credential(key.controller), key)
    reject(token, "JWT_TYP_MISMATCH")


@pytest.mark.parametrize("typ", ["at+jwt", "dpop+jwt", "vc+sd-jwt", "JOSE", 7, None])
def test_unsupported_typ(typ: Any) -> None:
    key = ed_key()
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": typ}, credential(key.controller), key)
    reject(token, "JWT_TYP_UNSUPPORTED")


def test_typ_is_case_insensitive_and_may_carry_application_prefix() -> None:
    key = ed_key()
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": "Application/VC+JWT"},
                         credential(key.controller), key)
    assert verify_jwt(token, resolver=DidResolver(), now=NOW).profile == "vc-jose-cose"


def test_presentation_where_a_credential_was_expected() -> None:
    key = ed_key()
    reject(sign_jwt(presentation(key.controller), key), "JWT_KIND_MISMATCH", expected_kind="credential")


# --- attacks: signature ------------------------------------------------------------------------------------

@pytest.mark.parametrize("make_key", [ed_key, p256_key], ids=["ed25519", "p256"])
def test_tampered_payload_attack(make_key: Any) -> None:
    key = make_key()
    header, payload, signature = sign_jwt(credential(key.controller), key).split(".")
    claims = json.loads(unb64(payload))
    claims["name"] = "Doctor of Medicine"
    reject(f"{header}.{b64json(claims)}.{signature}", "JWT_BAD_SIGNATURE")


@pytest.mark.parametrize("make_key", [ed_key, p256_key], ids=["ed25519", "p256"])
def test_swapped_signature_attack(make_key: Any) -> None:
    # A genuine signature by the same issuer over a different credential.
    key = make_key()
    genuine = sign_jwt(credential(key.controller, name="First aid (4 hours)"), key)
    wanted = sign_jwt(credential(key.controller, name="Registered Nurse"), key)
    forged = wanted.rsplit(".", 1)[0] + "." + genuine.rsplit(".", 1)[1]
    reject(forged, "JWT_BAD_SIGNATURE")


def test_signature_of_wrong_length_is_a_bad_signature() -> None:
    key = p256_key()
    header, payload, signature = sign_jwt(credential(key.controller), key).split(".")
    reject(f"{header}.{payload}.{b64(unb64(signature)[:-1])}", "JWT_BAD_SIGNATURE")
    reject(f"{header}.{payload}.", "JWT_BAD_SIGNATURE")


# --- attacks: time ---------------------------------------------------------------------------------------

def test_expired_token() -> None:
    key = ed_key()
    token = sign_jwt(credential(key.controller), key, now=NOW, expires_in=timedelta(hours=1))
    assert verify_jwt(token, resolver=DidResolver(), now=NOW + timedelta(hours=1, seconds=30)).kind == "credential"
    reject(token, "JWT_EXPIRED", now=NOW + timedelta(hours=2))
    reject(token, "JWT_EXPIRED", now=NOW + timedelta(hours=1, seconds=1), leeway=timedelta(0))


def test_ob3_expired_by_valid_until() -> None:
    key = ed_key()
    token = sign_jwt(credential(key.controller, validUntil="2025-03-01T00:00:00Z"), key, profile="ob3")
    reject(token, "JWT_EXPIRED")


def test_not_yet_valid_token() -> None:
    key = ed_key()
    token = sign_jwt(credential(key.controller, validFrom="2026-01-01T00:00:00Z"), key, profile="ob3")
    error = reject(token, "JWT_NOT_YET_VALID")
    assert error.context["claim"] == "nbf"


def test_issued_in_the_future_token() -> None:
    key = ed_key()
    payload = {**credential(key.controller), "iat": int((NOW + timedelta(days=30)).timestamp())}
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": "vc+jwt"}, payload, key)
    error = reject(token, "JWT_NOT_YET_VALID")
    assert error.context["claim"] == "iat"


@pytest.mark.parametrize("exp", ["2030-01-01", True, None, 1e400, 10**30, -(10**11), float("nan")])
def test_non_numeric_date_claims_are_malformed(exp: Any) -> None:
    key = ed_key()
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method},
                         {**credential(key.controller), "exp": exp}, key)
    reject(token, "JWT_MALFORMED")


# --- attacks: claims --------------------------------------------------------------------------------------

def test_ob3_jti_differs_from_id() -> None:
    key = ed_key()
    payload = parts(sign_jwt(credential(key.controller), key, profile="ob3"))[1]
    payload["jti"] = "urn:uuid:00000000-0000-0000-0000-000000000000"
    error = reject(forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": "JWT"}, payload, key),
                   "JWT_CLAIM_MISMATCH")
    assert error.context["claim"] == "jti"
    assert "jti" in error.detail


@pytest.mark.parametrize("claim,value", [
    ("sub", "did:example:mallory"),
    ("nbf", int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())),
    ("iss", "did:example:registrar"),
])
def test_ob3_claim_mismatch(claim: str, value: Any) -> None:
    key = ed_key()
    payload = parts(sign_jwt(credential(key.controller), key, profile="ob3"))[1]
    payload[claim] = value
    error = reject(forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": "JWT"}, payload, key),
                   "JWT_CLAIM_MISMATCH")
    assert error.context["claim"] == claim


@pytest.mark.parametrize("claim", ["iss", "jti"])
def test_ob3_required_claim_missing(claim: str) -> None:
    key = ed_key()
    payload = parts(sign_jwt(credential(key.controller), key, profile="ob3"))[1]
    del payload[claim]
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": "JWT"}, payload, key)
    assert reject(token, "JWT_CLAIM_MISMATCH").context["claim"] == claim


def test_vc_jose_cose_iss_that_is_not_the_issuer() -> None:
    key = ed_key()
    payload = {**credential(key.controller), "iss": "did:example:ministry"}
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": "vc+jwt"}, payload, key)
    assert reject(token, "JWT_CLAIM_MISMATCH").context["claim"] == "iss"


def test_vc_claim_beside_top_level_credential_fields_is_malformed() -> None:
    key = ed_key()
    vc = credential(key.controller)
    payload = {**vc, "vc": {**vc, "name": "something else"}}
    reject(forge_signed({"alg": "EdDSA", "kid": key.verification_method}, payload, key), "JWT_MALFORMED")


def test_vc_claim_in_a_vc_jwt_typed_token() -> None:
    key = ed_key()
    payload = {"iss": key.controller, "vc": credential(key.controller)}
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": "vc+jwt"}, payload, key)
    reject(token, "JWT_TYP_MISMATCH")


def test_vcdm11_iss_that_differs_from_vc_issuer() -> None:
    key = ed_key()
    payload = {"iss": "did:example:ministry", "vc": credential(key.controller)}
    token = forge_signed({"alg": "EdDSA", "kid": key.verification_method, "typ": "JWT"}, payload, key)
    reject(token, "JWT_CLAIM_MISMATCH")


def test_payload_that_is_neither_credential_nor_presentation() -> None:
    key = ed_key()
    payload = {"iss": key.controller, "type": ["Something"], "issuer": key.controller}
    reject(forge_signed({"alg": "EdDSA", "kid": key.verification_method}, payload, key), "JWT_MALFORMED")


# --- malformed input --------------------------------------------------------------------------------------

def _good_token() -> str:
    key = ed_key()
    return sign_jwt(credential(key.controller), key)


@pytest.mark.parametrize("mangle", [
    lambda t: t.rsplit(".", 1)[0],                        # two parts
    lambda t: t + ".extra.parts",                         # five parts (a JWE shape)
    lambda t: "!!!." + t.split(".", 1)[1],                # header not base64url
    lambda t: b64(b"not json") + "." + t.split(".", 1)[1],
    lambda t: b64(b"[1,2,3]") + "." + t.split(".", 1)[1],  # header not an object
    lambda t: t.split(".")[0] + "." + b64(b'"a string"') + "." + t.split(".")[2],
    lambda t: t.split(".")[0] + "=." + t.split(".", 1)[1],  # padding
    lambda t: t.split(".")[0] + ".a" + t.split(".", 1)[1],  # impossible base64 length
    lambda t: "",
])
def test_malformed_tokens(mangle: Any) -> None:
    reject(mangle(_good_token()), "JWT_MALFORMED")


def test_duplicate_alg_in_header_is_malformed() -> None:
    # A JSON parser that keeps the last key would see EdDSA where another sees none.
    key = ed_key()
    header = b64(b'{"alg":"none","kid":"%s","alg":"EdDSA"}' % key.verification_method.encode("ascii"))
    payload = b64json(credential(key.controller))
    reject(f"{header}.{payload}.{b64(key.sign(f'{header}.{payload}'.encode()))}", "JWT_MALFORMED")


def test_byte_order_mark_before_header_is_malformed() -> None:
    key = ed_key()
    header = b64(b"\xef\xbb\xbf" + json.dumps({"alg": "EdDSA", "kid": key.verification_method}).encode())
    payload = b64json(credential(key.controller))
    reject(f"{header}.{payload}.{b64(key.sign(f'{header}.{payload}'.encode()))}", "JWT_MALFORMED")


def test_non_canonical_base64_is_malformed() -> None:
    header, payload, signature = _good_token().split(".")
    # Same bytes, different trailing bits: the last character of the signature segment changes.
    last = signature[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    other = alphabet[alphabet.index(last) ^ 1]
    reject(f"{header}.{payload}.{signature[:-1]}{other}", "JWT_MALFORMED")


def test_oversized_token_is_malformed() -> None:
    reject(_good_token(), "JWT_MALFORMED", max_bytes=100)


def test_surrounding_whitespace_is_tolerated() -> None:
    assert verify_jwt(f"  {_good_token()}\n", resolver=DidResolver(), now=NOW).kind == "credential"


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        verify_jwt(_good_token(), resolver=DidResolver(), now=datetime(2025, 1, 1))


# --- is_jwt and enveloping -------------------------------------------------------------------------------

def test_is_jwt() -> None:
    assert is_jwt(_good_token())
    assert is_jwt(_good_token() + "\n")
    assert not is_jwt('{"@context": []}')
    assert not is_jwt("a.b")
    assert not is_jwt("a.b.c.d")
    assert not is_jwt("a b.c.d")
    assert not is_jwt(".b.c")


@pytest.mark.parametrize("obj", [
    "data:application/vc+jwt,a.b.c",
    {"@context": V2, "type": "EnvelopedVerifiableCredential", "id": "https://attacker.example/vc.jwt"},
    {"@context": V2, "type": "EnvelopedVerifiableCredential", "id": "data:application/vp+jwt,a.b.c"},
    {"@context": V2, "type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,not-a-jws"},
    {"@context": V2, "type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt;base64,a.b.c"},
    {"@context": V2, "type": "VerifiableCredential", "id": "data:application/vc+jwt,a.b.c"},
    {"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,a.b.c"},
])
def test_unenvelope_rejects_what_is_not_an_enveloped_jwt(obj: Any) -> None:
    with pytest.raises(JwtError) as info:
        unenvelope(obj)
    assert info.value.code == "JWT_ENVELOPE_INVALID"


def test_envelope_refuses_what_is_not_a_jws() -> None:
    with pytest.raises(JwtError):
        envelope('{"not": "a jws"}')


# --- garbage never escapes as anything but JwtError ---------------------------------------------------------

_segment = st.one_of(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=40),
    st.binary(max_size=60).map(b64),
    st.dictionaries(st.sampled_from(["alg", "kid", "typ", "cty", "crit", "jwk", "vc", "type", "issuer", "exp"]),
                    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                              st.sampled_from(["EdDSA", "ES256", "none", "HS256", "vc+jwt", "JWT",
                                               "VerifiableCredential", "#key-1"])),
                    max_size=5).map(b64json),
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_raises_only_jwt_error(text: str) -> None:
    with pytest.raises(JwtError):
        verify_jwt(text, resolver=DidResolver(), now=NOW)


@settings(max_examples=300, deadline=None)
@given(_segment, _segment, _segment)
def test_random_three_part_tokens_raise_only_jwt_error(header: str, payload: str, signature: str) -> None:
    try:
        verify_jwt(f"{header}.{payload}.{signature}", resolver=DidResolver(), now=NOW)
    except JwtError:
        pass
    except OmcVcError as exc:  # pragma: no cover - reported with its type to make a failure obvious
        pytest.fail(f"{type(exc).__name__} escaped: {exc}")


_FUZZ_KEY = ed_key(9)
_json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=10))
_json_value = st.recursive(_json_scalar, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["typ", "cty", "iss", "crit", "b64", "zip", "x5t"]), _json_value, max_size=3),
       st.dictionaries(st.sampled_from(["iss", "sub", "jti", "nbf", "exp", "iat", "vc", "vp", "id", "validFrom",
                                        "validUntil", "credentialSubject", "issuer", "type", "holder"]),
                       _json_value, max_size=5))
def test_correctly_signed_odd_headers_and_claims_raise_only_jwt_error(extra_header: dict[str, Any],
                                                                         extra_claims: dict[str, Any]) -> None:
    # Signed by the key the kid names, so every check after the signature is reached too.
    header = {"alg": "EdDSA", "kid": _FUZZ_KEY.verification_method, **extra_header}
    payload = {**credential(_FUZZ_KEY.controller), **extra_claims}
    try:
        verify_jwt(forge_signed(header, payload, _FUZZ_KEY), resolver=DidResolver(), now=NOW)
    except JwtError:
        pass


# --- the signature check: cryptography directly, on the segments as received --------------------------

def _jwcrypto_accepts(token: str, key: KeyPair, alg: str) -> bool:
    jws = JWS()
    jws.allowed_algs = [alg]
    try:
        jws.deserialize(token)
        jws.verify(JWK.from_pyca(key.public_key.crypto_key), alg=alg)
    except Exception:  # any refusal by jwcrypto is what is compared
        return False
    return True


@pytest.mark.parametrize("make_key", [ed_key, p256_key], ids=["ed25519", "p256"])
def test_verifier_agrees_with_jwcrypto_on_signatures(make_key: Any) -> None:
    key = make_key()
    alg = key.public_key.jws_alg
    token = sign_jwt(credential(key.controller), key)
    header, payload, signature = token.split(".")
    raw = bytearray(unb64(signature))
    raw[5] ^= 0x01
    other = sign_jwt(credential(key.controller, name="Another course"), key)
    cases = {
        "honest": (token, True),
        "bit flipped in the signature": (f"{header}.{payload}.{b64(bytes(raw))}", False),
        "signature of another payload": (f"{header}.{payload}.{other.split('.')[2]}", False),
        "payload of another token": (f"{header}.{other.split('.')[1]}.{signature}", False),
    }
    for why, (candidate, valid) in cases.items():
        assert _jwcrypto_accepts(candidate, key, alg) is valid, why
        if valid:
            assert verify_jwt(candidate, resolver=DidResolver(), now=NOW).document["name"] == credential("x")["name"]
        else:
            reject(candidate, "JWT_BAD_SIGNATURE")


def test_signature_is_over_the_header_segment_as_received() -> None:
    # the same header JSON written differently (key order) is another signing input: the signature no longer fits
    key = ed_key()
    token = sign_jwt(credential(key.controller), key)
    header, payload, signature = token.split(".")
    fields = json.loads(unb64(header))
    reordered = b64(json.dumps(dict(reversed(list(fields.items()))), separators=(",", ":")).encode("utf-8"))
    assert reordered != header
    reject(f"{reordered}.{payload}.{signature}", "JWT_BAD_SIGNATURE")


def test_es256_signature_must_be_64_bytes_r_s() -> None:
    key = p256_key()
    token = sign_jwt(credential(key.controller), key)
    header, payload, signature = token.split(".")
    raw = unb64(signature)
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    der = encode_dss_signature(r, s)  # the same signature in DER (RFC 7518 §3.4 says r || s only)
    for bad in (der, raw[:63], raw + b"\x00", b"\x00" + raw, bytes(64), b""):
        reject(f"{header}.{payload}.{b64(bad)}", "JWT_BAD_SIGNATURE")
    assert verify_jwt(token, resolver=DidResolver(), now=NOW).kind == "credential"


def test_ed25519_signature_of_any_other_length_is_refused() -> None:
    key = ed_key()
    token = sign_jwt(credential(key.controller), key)
    header, payload, signature = token.split(".")
    raw = unb64(signature)
    for bad in (raw[:63], raw + b"\x00", bytes(64), b""):
        reject(f"{header}.{payload}.{b64(bad)}", "JWT_BAD_SIGNATURE")


def test_signature_check_refuses_an_algorithm_the_key_is_not_for() -> None:
    # defence in depth below the header policy: the primitive is chosen by alg and key type together
    from omc_vc.proofs.jose import _verify_signature

    ed, p256 = ed_key(), p256_key()
    data = b"header.payload"
    for key, alg in ((ed, "ES256"), (p256, "EdDSA"), (ed, "ES384"), (p256, "ES384"), (ed, "none")):
        with pytest.raises(JwtError) as info:
            _verify_signature(data, key.sign(data), key.public_key, alg)
        assert info.value.code == "JWT_BAD_SIGNATURE"
    _verify_signature(data, ed.sign(data), ed.public_key, "EdDSA")
    _verify_signature(data, p256.sign(data), p256.public_key, "ES256")


@pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])
def test_non_canonical_base64url_is_refused_in_every_segment(segment: int) -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    key = ed_key()
    # lengths whose last character carries spare bits (4n + 2 or 4n + 3 characters); a 64-byte signature has them
    header = next(h for h in ({"alg": "EdDSA", "kid": key.verification_method, "typ": "vc+jwt", "x": "a" * n}
                              for n in range(4)) if len(b64json(h)) % 4 in (2, 3))
    payload = next(p for p in (credential(key.controller, name="x" * n) for n in range(4))
                   if len(b64json(p)) % 4 in (2, 3))
    pieces = forge_signed(header, payload, key).split(".")
    assert verify_jwt(".".join(pieces), resolver=DidResolver(), now=NOW).kind == "credential"
    target = pieces[segment]
    pieces[segment] = target[:-1] + alphabet[alphabet.index(target[-1]) | 1]  # set the last spare bit
    assert unb64(pieces[segment]) == unb64(target)  # the same bytes, spelt another way
    error = reject(".".join(pieces), "JWT_MALFORMED")
    assert "canonical" in error.detail


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_base64url_segments_decode_exactly_as_the_standard_library(data: bytes) -> None:
    from omc_vc.proofs.jose import _b64_segment

    encoded = b64(data)
    assert _b64_segment(encoded, "payload") == data
    bad_length = encoded + "A" if len(encoded) % 4 == 0 else encoded + "=" * (-len(encoded) % 4)
    for bad in (encoded + "=", encoded + "+", "/" + encoded, encoded + ".", encoded + "é", " " + encoded, bad_length):
        with pytest.raises(JwtError) as info:
            _b64_segment(bad, "payload")
        assert info.value.code == "JWT_MALFORMED"


# --- the JSON reader under the decoder: nesting limit counted as before ------------------------------

def _nested(containers: int, leaf: str) -> str:
    return "[" * containers + leaf + "]" * containers


@pytest.mark.parametrize("containers, leaf, accepted", [
    (63, "1", True),    # 63 containers and a value: 64 levels
    (64, "", True),     # 64 empty containers: 64 levels
    (64, "1", False),   # 64 containers and a value: 65 levels
    (65, "", False),    # refused before parsing
    (40, '"' + "[" * 100 + '"', True),  # brackets inside a string are not nesting
])
def test_json_nesting_limit_is_unchanged(containers: int, leaf: str, accepted: bool) -> None:
    from omc_vc._internal.jsonio import loads
    from omc_vc.errors import InputError

    text = _nested(containers, leaf)
    if accepted:
        assert loads(text) is not None
    else:
        with pytest.raises(InputError) as info:
            loads(text)
        assert info.value.code == "DEPTH_LIMIT_EXCEEDED"


def test_json_reader_refuses_duplicate_names_and_boms_as_before() -> None:
    from omc_vc._internal.jsonio import loads
    from omc_vc.errors import InputError

    with pytest.raises(InputError, match="duplicate JSON key 'b'"):
        loads('{"a": 1, "n": {"b": 1, "c": 2, "b": 3}}')
    assert loads(b"\xef\xbb\xbf{}") == {}  # one byte order mark is dropped, as the utf-8-sig codec does
    with pytest.raises(InputError, match="Unexpected UTF-8 BOM"):
        loads(b"\xef\xbb\xbf\xef\xbb\xbf{}")


def test_es384_round_trip_and_alg_bound_to_curve() -> None:
    """ES384 with a P-384 did:key verifies; the same token relabelled ES256 is refused."""
    import base64
    import json as _json
    from datetime import UTC, datetime

    from omc_vc.did import DidResolver
    from omc_vc.errors import JwtError
    from omc_vc.keys import KeyPair
    from omc_vc.proofs.jose import sign_jwt, verify_jwt

    key = KeyPair.generate("p384")
    token = sign_jwt({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                      "issuer": key.controller, "credentialSubject": {"id": "did:example:learner"}}, key)
    now = datetime.now(UTC)
    assert verify_jwt(token, resolver=DidResolver(), now=now).header["alg"] == "ES384"
    head, payload, sig = token.split(".")
    header = _json.loads(base64.urlsafe_b64decode(head + "=="))
    forged_head = base64.urlsafe_b64encode(_json.dumps({**header, "alg": "ES256"}).encode()).rstrip(b"=").decode()
    try:
        verify_jwt(f"{forged_head}.{payload}.{sig}", resolver=DidResolver(), now=now)
    except JwtError as exc:
        assert exc.code == "JWT_ALG_KEY_MISMATCH"
    else:
        raise AssertionError("an ES256 header over a P-384 key verified")


# --- the header memo: a protected header that passed is remembered by its exact text ---------------------

def test_remembered_header_is_a_fresh_copy_for_every_verification() -> None:
    from omc_vc.proofs.jose import _remembered_header

    key = ed_key(11)
    token = sign_jwt(credential(key.controller), key)
    first = verify_jwt(token, resolver=DidResolver(), now=NOW)
    hits = _remembered_header.cache_info().hits
    first.header["kid"] = "did:key:zAttacker#zAttacker"  # a caller changing its result changes nothing else
    first.header["jwk"] = {"kty": "OKP"}
    second = verify_jwt(token, resolver=DidResolver(), now=NOW)
    assert _remembered_header.cache_info().hits == hits + 1
    assert second.header == {"alg": "EdDSA", "kid": key.verification_method, "typ": "vc+jwt", "cty": "vc"}
    assert second.header is not first.header
    assert _remembered_header.cache_info().maxsize is not None  # bounded


@pytest.mark.parametrize(("header", "code"), [
    ({"alg": "none"}, "JWT_ALG_NONE"),
    ({"alg": "HS256"}, "JWT_ALG_HMAC"),
    ({"alg": "EdDSA", "jku": "https://attacker.example/keys"}, "JWT_EMBEDDED_KEY"),
    ({"alg": "EdDSA", "crit": ["exp"]}, "JWT_CRIT_UNSUPPORTED"),
    ({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vp"}, "JWT_TYP_MISMATCH"),
])
def test_refused_headers_are_refused_every_time_and_not_remembered(header: dict[str, Any], code: str) -> None:
    from omc_vc.proofs.jose import _remembered_header

    key = ed_key(12)
    token = forge_signed({**header, "kid": key.verification_method}, credential(key.controller), key)
    reject(token, code)
    size = _remembered_header.cache_info().currsize
    reject(token, code)
    assert _remembered_header.cache_info().currsize == size


def test_header_with_a_nested_value_is_checked_in_full_each_time() -> None:
    from omc_vc.proofs.jose import _remembered_header

    key = ed_key(13)
    header = {"alg": "EdDSA", "kid": key.verification_method, "typ": "vc+jwt", "x-note": {"n": [1]}}
    token = forge_signed(header, credential(key.controller), key)
    first = verify_jwt(token, resolver=DidResolver(), now=NOW)
    first.header["x-note"]["n"].append(2)
    assert verify_jwt(token, resolver=DidResolver(), now=NOW).header == header  # not shared with the first
    assert _remembered_header(token.split(".")[0], 1_000_000) is None  # the memo keeps no such header


def test_a_remembered_header_does_not_vouch_for_the_rest_of_the_token() -> None:
    # the same (remembered) header over another issuer's credential, or with a wrong signature, still fails
    key, other = ed_key(14), ed_key(15)
    token = sign_jwt(credential(key.controller), key)
    verify_jwt(token, resolver=DidResolver(), now=NOW)
    header, payload, _ = token.split(".")
    foreign = b64json(credential(other.controller))
    reject(f"{header}.{foreign}.{b64(key.sign(f'{header}.{foreign}'.encode()))}", "JWT_KID_NOT_ISSUER")
    reject(f"{header}.{payload}.{b64(bytes(64))}", "JWT_BAD_SIGNATURE")
    # a header that passed the header policy but declares a presentation: the payload check runs every time
    vp_header = {"alg": "EdDSA", "kid": key.verification_method, "typ": "vp+jwt"}
    for _ in range(2):
        reject(forge_signed(vp_header, credential(key.controller), key), "JWT_TYP_MISMATCH")
