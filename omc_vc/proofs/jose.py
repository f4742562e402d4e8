"""VC-JWT: credentials and presentations secured as compact JWS (the enveloping proof beside Data Integrity).

Three shapes are read and two are written:

``vc-jose-cose``
    VC-JOSE-COSE 1.0 §3.1: the unsecured credential or presentation *is* the JWT claims set; protected
    header ``{"alg", "kid", "typ": "vc+jwt"|"vp+jwt", "cty": "vc"|"vp"}``; ``iat``/``exp`` describe the
    signature, not the credential.
``ob3``
    Open Badges 3.0 §8.2: the credential plus the registered claims ``iss`` = issuer.id, ``jti`` = id,
    ``nbf`` = validFrom, ``sub`` = credentialSubject.id, ``exp`` = validUntil; header ``typ: "JWT"``.
``vcdm1.1`` (read only)
    VCDM 1.1 §6.3.1: the credential in a ``vc`` claim (``vp`` for presentations); decoding rebuilds it from
    that claim and the registered claims.

Verification decides everything it can from the decoded header *before* any cryptography (RFC 8725
§3.1): no ``none``, no HMAC, no key carried by the token (keys come only from the issuer's DID document,
through CID 1.0 §3.3), no ``crit`` extension we do not implement, and the algorithm allow-list is
EdDSA, ES256 and ES384 only, each tied to its key type. The key named by ``kid`` must belong to the issuer (or
the presentation's holder). Every failure is a :class:`~omc_vc.errors.JwtError` with a ``JWT_*`` code;
nothing from jwcrypto, cryptography, json or base64 escapes.

jwcrypto remains the signer. The verifier uses the same primitives directly, for speed: once the header
policy has passed, RFC 7515 §5.2 step 8 is one signature check over ``ASCII(header "." payload)`` (the
segments exactly as received, already proven canonical base64url) with ``cryptography``, using the key
resolved from the DID document: Ed25519 for EdDSA, and for ES256 / ES384 the 64- / 96-byte ``r || s``
(RFC 7518 §3.4; any other length is refused) converted to DER for ECDSA P-256 with SHA-256 / P-384 with
SHA-384. No jwcrypto JWS or JWK object
is built per verification, and the allow-list of algorithms is unchanged. A protected header that passed
the header policy is remembered by its exact text (an issuer signs every credential under the same one),
and a did:key issuer's key by its exact DID URL (``omc_vc.did``); the payload, signature, claims and times
are checked in full every time.

>>> is_jwt("eyJhbGciOiJFZERTQSJ9.e30.c2ln")
True
>>> is_jwt("not a token")
False
"""

from __future__ import annotations

import binascii
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final, Literal, NoReturn

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jwcrypto.common import JWException
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS

from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.timeutil import format_datetime, parse_datetime, utcnow
from omc_vc.did import DidResolver, did_jwk, retrieve_verification_method
from omc_vc.errors import InputError, JwtError, MalformedValueError, VerificationMethodError
from omc_vc.i18n import N_, Message
from omc_vc.keys import KeyPair, PublicKey
from omc_vc.model import VC_V2_CONTEXT

__all__ = [
    "JwtVerification",
    "KeyProof",
    "Kind",
    "Profile",
    "SignProfile",
    "envelope",
    "is_jwt",
    "sign_jwt",
    "sign_key_proof",
    "sign_typed_jwt",
    "unenvelope",
    "verify_jwt",
    "verify_key_proof",
    "verify_typed_jwt",
]

Profile = Literal["vc-jose-cose", "ob3", "vcdm1.1"]
SignProfile = Literal["vc-jose-cose", "ob3"]
Kind = Literal["credential", "presentation"]

MAX_TOKEN_BYTES: Final = 1_000_000

# The only signature algorithms we accept, by key type (keys.PublicKey.jws_alg).
_ALG_FOR_KEY: Final[dict[str, str]] = {"ed25519": "EdDSA", "p256": "ES256", "p384": "ES384"}
# RFC 7518 §3.4: the ECDSA algorithms, their curve, hash and r / s size in octets
_ECDSA: Final[dict[str, tuple[type[ec.EllipticCurve], type[hashes.HashAlgorithm], int]]] = {
    "ES256": (ec.SECP256R1, hashes.SHA256, 32),
    "ES384": (ec.SECP384R1, hashes.SHA384, 48),
}
_SUPPORTED_ALGS: Final = frozenset(_ALG_FOR_KEY.values())
_HMAC_ALGS: Final = frozenset({"HS256", "HS384", "HS512"})
# RFC 7515 §4.1.2, §4.1.3, §4.1.5, §4.1.6: header parameters that carry or point at a key.
_EMBEDDED_KEY_HEADERS: Final = ("jwk", "jku", "x5u", "x5c")
# typ values (RFC 7515 §4.1.9, compared case-insensitively without "application/") -> the kind they imply.
_TYP_KIND: Final[dict[str, Kind | None]] = {
    "vc+jwt": "credential",
    "vp+jwt": "presentation",
    "vc+ld+json+jwt": "credential",
    "vp+ld+json+jwt": "presentation",
    "jwt": None,
}
# cty values (RFC 7515 §4.1.10; VC-JOSE-COSE §3.1.1-3.1.2 and the media types of earlier drafts).
_CTY_KIND: Final[dict[str, Kind]] = {
    "vc": "credential",
    "vp": "presentation",
    "vc+ld+json": "credential",
    "vp+ld+json": "presentation",
}
# RFC 7519 §4.1: registered claims. They describe the token and are kept out of the returned document.
_REGISTERED_CLAIMS: Final = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")
# Top-level credential/presentation properties that must not sit beside a VCDM 1.1 vc/vp claim.
_VC_TOP_LEVEL: Final = frozenset({
    "@context", "type", "issuer", "holder", "credentialSubject", "verifiableCredential", "validFrom",
    "validUntil", "issuanceDate", "expirationDate", "credentialStatus", "proof",
})
_ENVELOPES: Final[dict[Kind, tuple[str, str]]] = {
    "credential": ("EnvelopedVerifiableCredential", "data:application/vc+jwt,"),
    "presentation": ("EnvelopedVerifiablePresentation", "data:application/vp+jwt,"),
}
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_B64URL_ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_URL_TO_STANDARD: Final = bytes.maketrans(b"-_", b"+/")
# NumericDate values we accept: 1970 to the end of year 9999, so datetime conversions never overflow.
_MAX_NUMERIC_DATE: Final = 253_402_300_799
# Protected headers that passed the header policy, remembered by their exact base64url text (see
# _read_header): an issuer signs every credential under the same header. Entries are at most
# _MAX_REMEMBERED_HEADER characters, so the memory stays small whatever the input.
_HEADER_MEMO_SIZE: Final = 64
_MAX_REMEMBERED_HEADER: Final = 1024


@dataclass(frozen=True)
class JwtVerification:
    """A VC-JWT whose signature, key binding, claims and times all checked out.

    ``document`` is the credential or presentation (for VC-JOSE-COSE and OB3 the payload without the
    RFC 7519 registered claims, for VCDM 1.1 the one rebuilt from the ``vc``/``vp`` claim); ``claims`` is
    the whole payload as signed.
    """

    document: dict[str, Any]
    header: dict[str, Any]
    claims: dict[str, Any]
    verification_method: str
    controller: str
    public_key: PublicKey
    profile: Profile
    kind: Kind


# --- small helpers -----------------------------------------------------------------------------------

#: Our words that the errors name a part of a JWT, a signer's role or a document's kind with, by the name the code
#: passes (shown in the reader's language).
_WORDS: Final[dict[str, str]] = {word: Message(word) for word in (
    N_("header"), N_("payload"), N_("signature"), N_("claim"), N_("issuer"), N_("holder"), N_("credential"),
    N_("presentation"))}
#: What the JSON reader calls a JWT's header or payload.
_SEGMENTS: Final[dict[str, str]] = {part: Message("JWT {what}", what=_WORDS[part]) for part in ("header", "payload")}


def _word(name: str) -> str:
    """One of our words (:data:`_WORDS`) as a message, any other name as it is."""
    return _WORDS.get(name, name)


def _fail(code: str, detail: str, **context: Any) -> NoReturn:
    raise JwtError(detail, code=code, **context)


def _types(document: dict[str, Any]) -> list[str]:
    value = document.get("type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    return []


def _kind_of(document: dict[str, Any]) -> Kind | None:
    types = _types(document)
    is_vp = "VerifiablePresentation" in types
    is_vc = "VerifiableCredential" in types
    if is_vp == is_vc:
        return None
    return "presentation" if is_vp else "credential"


def _ref_id(value: Any) -> str | None:
    """The id of an ``issuer``/``holder`` value: a URL string or an object with an ``id``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _subject_ids(document: dict[str, Any]) -> list[str]:
    subjects = document.get("credentialSubject")
    items = subjects if isinstance(subjects, list) else [subjects]
    return [str(s["id"]) for s in items if isinstance(s, dict) and isinstance(s.get("id"), str)]


def _media_type(value: str) -> str:
    # RFC 7515 §4.1.9-4.1.10: media type names are case-insensitive and "application/" may be omitted.
    lowered = value.lower()
    return lowered[len("application/"):] if lowered.startswith("application/") else lowered


def _numeric_date(moment: datetime) -> int:
    # RFC 7519 §2 NumericDate: seconds since the epoch; we always emit whole seconds.
    return math.floor(moment.timestamp())


def _claim_numeric_date(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None and name not in claims:
        return None
    # RFC 7519 §4.1.4-4.1.6: exp, nbf and iat are NumericDate (a JSON number).
    # (math.isfinite only for floats: it converts an int to float, which overflows for 10**400)
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or (isinstance(value, float) and not math.isfinite(value)) or not 0 <= value <= _MAX_NUMERIC_DATE:
        _fail("JWT_MALFORMED", Message("the {name} claim must be a NumericDate (a number of seconds), not {value}",
                                       name=repr(name), value=repr(value)),
              claim=name)
    return float(value)


def _date_of(value: Any, field: str) -> datetime:
    try:
        return parse_datetime(value, field=field)
    except MalformedValueError as exc:
        raise JwtError(exc.detail, code="JWT_MALFORMED", claim=field) from exc


def _require_aware(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


# --- signing -----------------------------------------------------------------------------------------

def _bad_input(detail: str) -> NoReturn:
    _fail("JWT_SIGN_INPUT_INVALID", detail)


def _put_claim(claims: dict[str, Any], name: str, value: Any) -> None:
    """Add a registered claim, refusing a different value the document already carries."""
    if name in claims and claims[name] != value:
        _bad_input(Message("the document already has {name} = {claims}, which conflicts with {value}", name=repr(name),
                           claims=repr(claims[name]), value=repr(value)))
    claims[name] = value


def sign_jwt(document: dict[str, Any], key: KeyPair, *, profile: SignProfile = "vc-jose-cose",
             now: datetime | None = None, expires_in: timedelta | None = None) -> str:
    """Secure ``document`` (a credential or presentation) as a compact JWS.

    ``vc-jose-cose`` (default): the document is the payload as-is; ``iat``/``exp`` are added only when
    ``expires_in`` is given. ``ob3``: Open Badges 3.0 §8.2 registered claims are added from the
    credential (``id``, ``validFrom`` and ``issuer`` are required). EdDSA signatures are deterministic.
    The key's verification method must belong to the issuer (holder, for a presentation), because that
    is the only binding :func:`verify_jwt` accepts.
    """
    if not isinstance(document, dict):
        _bad_input(Message("the document to sign must be a JSON object"))
    kind = _kind_of(document)
    if kind is None:
        _bad_input(Message("the document's type must include exactly one of VerifiableCredential and "
                           "VerifiablePresentation"))
    # VC-JOSE-COSE §3.1.1 / §3.1.2: the JWT claim names vc and vp MUST NOT be present.
    for name in ("vc", "vp"):
        if name in document:
            _bad_input(Message("the document has a {name} property; VC-JOSE-COSE forbids the {name} claim (the "
                               "credential itself is the payload)", name=repr(name)))
    role = "issuer" if kind == "credential" else "holder"
    signer = _ref_id(document.get(role))
    if signer is None:
        _bad_input(Message("the {kind} has no {role} id to sign for", kind=_word(kind), role=_word(role)))
    kid = key.verification_method
    # VC-JOSE-COSE §4.1.1: kid is a DID URL of the signer's key; verify_jwt binds it to the issuer/holder.
    if kid.split("#", 1)[0] != signer:
        _fail("JWT_KID_NOT_ISSUER", Message("key {kid} does not belong to the {role} {signer}", kid=kid,
                                            role=_word(role), signer=signer))
    alg = key.public_key.jws_alg
    claims = dict(document)
    header: dict[str, Any]
    if profile == "vc-jose-cose":
        header = {"alg": alg, "kid": kid, "typ": "vc+jwt" if kind == "credential" else "vp+jwt",
                  "cty": "vc" if kind == "credential" else "vp"}
        # VC-JOSE-COSE §3.1.3 / §4.1.2: iss, when present, MUST match issuer (holder for a presentation);
        # jti and sub should not conflict with id and credentialSubject.id.
        if "iss" in claims:
            _put_claim(claims, "iss", signer)
        if "jti" in claims:
            _put_claim(claims, "jti", document.get("id"))
        if kind == "credential" and "sub" in claims and claims["sub"] not in _subject_ids(document):
            _bad_input(Message("the document's 'sub' {sub} is not a credentialSubject id", sub=repr(claims["sub"])))
        if expires_in is not None:
            if expires_in <= timedelta(0):
                _bad_input(Message("expires_in must be positive"))
            moment = now if now is not None else utcnow()
            _require_aware(moment, "now")
            for name in ("iat", "exp"):
                if name in claims:
                    _bad_input(Message("the document already has an {name} claim", name=repr(name)))
            # VC-JOSE-COSE §3.1.3: iat/exp describe the signature's validity, not validFrom/validUntil.
            claims["iat"] = _numeric_date(moment)
            claims["exp"] = _numeric_date(moment + expires_in)
    elif profile == "ob3":
        if kind != "credential":
            _bad_input(Message("the ob3 profile (Open Badges 3.0 §8.2) secures credentials only"))
        if expires_in is not None:
            _bad_input(Message("expires_in is not used with ob3: its exp is the credential's validUntil (OB 3.0 §8.2)"))
        credential_id = document.get("id")
        if not isinstance(credential_id, str) or not credential_id:
            _bad_input(Message("ob3 needs the credential's id for the jti claim (OB 3.0 §8.2)"))
        if "validFrom" not in document:
            _bad_input(Message("ob3 needs validFrom for the nbf claim (OB 3.0 §8.2)"))
        try:
            valid_from = parse_datetime(document["validFrom"], field="validFrom")
            valid_until = (parse_datetime(document["validUntil"], field="validUntil")
                           if "validUntil" in document else None)
        except MalformedValueError as exc:
            _bad_input(exc.detail)
        subject_ids = _subject_ids(document)
        subjects = document.get("credentialSubject")
        if isinstance(subjects, list) and len(subjects) != 1:
            _bad_input(Message("ob3 needs exactly one credentialSubject for the sub claim"))
        # OB 3.0 §8.2: iss = issuer.id, jti = id, nbf = validFrom, sub = credentialSubject.id, exp = validUntil.
        _put_claim(claims, "iss", signer)
        _put_claim(claims, "jti", credential_id)
        _put_claim(claims, "nbf", _numeric_date(valid_from))
        if subject_ids:
            _put_claim(claims, "sub", subject_ids[0])
        if valid_until is not None:
            _put_claim(claims, "exp", _numeric_date(valid_until))
        # OB 3.0 §8.2: typ, if present, MUST be "JWT"; no other JOSE headers beyond alg and kid.
        header = {"alg": alg, "kid": kid, "typ": "JWT"}
    else:
        _bad_input(Message("unknown JWT profile {profile} (vc-jose-cose or ob3)", profile=repr(profile)))
    return _compact_jws(claims, header, key)


def _compact_jws(claims: dict[str, Any], header: dict[str, Any], key: KeyPair) -> str:
    """RFC 7515 §7.1: ``claims`` signed under the protected ``header`` (whose alg is the key's) as compact JWS."""
    try:
        payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise JwtError(Message("the document is not plain JSON: {why}",
                               why=str(exc)), code="JWT_SIGN_INPUT_INVALID") from exc
    try:
        jws = JWS(payload)
        jws.allowed_algs = [header["alg"]]
        jws.add_signature(JWK.from_pyca(key.crypto_key), alg=None,
                          protected=json.dumps(header, separators=(",", ":")))
        # RFC 7515 §7.1: JWS Compact Serialization.
        return str(jws.serialize(compact=True))
    except (JWException, ValueError, TypeError) as exc:
        raise JwtError(Message("signing the JWT failed"), code="JWT_SIGNING_FAILED") from exc


def sign_typed_jwt(claims: dict[str, Any], key: KeyPair, *, typ: str, kid: str) -> str:
    """A JWT that is not a credential (e.g. an OpenID Federation entity statement): ``claims`` as they are,
    header ``{"alg": <the key's>, "typ": typ, "kid": kid}`` (RFC 8725 §3.11 explicit typing)."""
    if not isinstance(claims, dict):
        _bad_input(Message("the claims to sign must be a JSON object"))
    return _compact_jws(dict(claims), {"alg": key.public_key.jws_alg, "typ": typ, "kid": kid}, key)


def verify_typed_jwt(token: str, keys: dict[str, PublicKey], *, typ: str,
                     max_bytes: int = MAX_TOKEN_BYTES) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a JWT signed by one of ``keys`` (by kid) with exactly header ``typ``.

    The caller names the keys; nothing in the token chooses one (RFC 8725 §3.1): alg must be the named
    key's algorithm, no embedded key, no crit. The claims' times are the caller's to check.
    """
    _, parts = _split(token, max_bytes)
    header = _json_segment(parts[0], "header", max_bytes)
    if header.get("typ") != typ:
        _fail("JWT_TYP_UNSUPPORTED", Message("typ {found} is not {typ}", found=repr(header.get("typ")),
                                             typ=repr(typ)), typ=header.get("typ"))
    for name in (*_EMBEDDED_KEY_HEADERS, "crit", "b64"):
        if name in header:
            _fail("JWT_EMBEDDED_KEY" if name in _EMBEDDED_KEY_HEADERS else "JWT_CRIT_UNSUPPORTED",
                  Message("the JWT header carries {name}, which is not accepted here", name=repr(name)), header=name)
    kid = header.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        _fail("JWT_KID_UNKNOWN", Message("the JWT is signed by key {kid}, which is not one of the expected keys",
                                         kid=repr(kid)))
    if header.get("alg") != key.jws_alg:
        _fail("JWT_ALG_UNSUPPORTED", Message("alg {alg} is not {jws_alg}, the algorithm of key {kid}",
                                             alg=repr(header.get("alg")), jws_alg=key.jws_alg, kid=kid))
    # RFC 7515 §5.2 step 8: the signature over the segments exactly as received
    _verify_signature(f"{parts[0]}.{parts[1]}".encode("ascii"), _b64_segment(parts[2], "signature"), key,
                      key.jws_alg)
    return header, _json_segment(parts[1], "payload", max_bytes)


#: A proof of possession is a header and a few claims: far smaller than a credential.
MAX_KEY_PROOF_BYTES: Final = 16 * 1024
# DID methods a key proof's kid may name: both are pure functions of the DID, so checking a proof never
# reaches the network (did:web would make the verifier fetch a URL the prover chose)
_KEY_PROOF_DID_METHODS: Final = ("did:key:", "did:jwk:")


@dataclass(frozen=True)
class KeyProof:
    """A proof-of-possession JWT whose signature checked out with the key its header names.

    ``holder`` is the DID of that key (the kid's DID, or the did:jwk of a ``jwk`` header): the identifier a
    credential bound to the key names as its subject. ``claims`` are the caller's to check (audience,
    nonce, times).
    """

    header: dict[str, Any]
    claims: dict[str, Any]
    holder: str
    verification_method: str
    public_key: PublicKey


def sign_key_proof(claims: dict[str, Any], key: KeyPair, *, typ: str) -> str:
    """A proof of possession of ``key``: ``claims`` signed under ``{"alg", "typ", "kid"}`` with the key's
    verification method as kid (a DID URL: OpenID4VCI 1.0 §F.1 ``kid`` for a key bound to a DID)."""
    return sign_typed_jwt(claims, key, typ=typ, kid=key.verification_method)


def verify_key_proof(token: str, *, typ: str, resolver: DidResolver,
                     max_bytes: int = MAX_KEY_PROOF_BYTES) -> KeyProof:
    """Verify a JWT that proves possession of the key its own header names (OpenID4VCI 1.0 §F.1 and §F.4,
    the ``jwt`` proof type): the header is explicitly typed ``typ``; the key is named by exactly one of
    ``kid`` (a DID URL of a did:key or did:jwk, resolved through ``resolver`` under ``authentication``) or
    ``jwk`` (a public key, never a private one); ``x5c`` and the other key-carrying headers are refused; alg
    is EdDSA, ES256 or ES384 and must be the named key's; the signature must verify with that key.

    Raises :class:`JwtError` on every rejection; the claims (audience, nonce, iat) are the caller's to check.
    """
    _, (header_b64, payload_b64, signature_b64) = _split(token, max_bytes)
    header = _json_segment(header_b64, "header", max_bytes)
    # OpenID4VCI 1.0 §F.4: the key proof is explicitly typed (RFC 8725 §3.11)
    found_typ = header.get("typ")
    if not isinstance(found_typ, str) or _media_type(found_typ) != _media_type(typ):
        _fail("JWT_TYP_UNSUPPORTED", Message("typ {found} is not {typ}", found=repr(found_typ),
                                             typ=repr(typ)), typ=found_typ)
    # §F.4: a registered asymmetric algorithm, not none, acceptable per local policy
    alg = header.get("alg")
    if alg is None or (isinstance(alg, str) and alg.lower() == "none"):
        _fail("JWT_ALG_NONE", Message("the proof is unsecured (alg missing or 'none')"))
    if not isinstance(alg, str) or alg not in _SUPPORTED_ALGS:
        _fail("JWT_ALG_HMAC" if isinstance(alg, str) and alg.upper() in _HMAC_ALGS else "JWT_ALG_UNSUPPORTED",
              Message("alg {alg} is not supported (EdDSA, ES256 or ES384)", alg=repr(alg)), alg=alg)
    for name in ("crit", "b64"):
        if name in header:
            _fail("JWT_CRIT_UNSUPPORTED", Message("the proof's header has {name}; no critical extension is supported",
                                                  name=repr(name)))
    for name in ("x5c", "x5u", "jku", "trust_chain", "key_attestation"):
        if name in header:
            _fail("JWT_KEY_UNSUPPORTED", Message("the proof names its key with {name}; only kid (did:key, did:jwk) or "
                                                 "jwk are accepted", name=repr(name)), header=name)
    kid, jwk = header.get("kid"), header.get("jwk")
    # §F.1: kid MUST NOT be present if jwk is, and the other way round
    if (kid is None) == (jwk is None):
        _fail("JWT_KEY_NOT_FOUND", Message("the proof must name its key with exactly one of kid and jwk"))
    if jwk is not None:
        if not isinstance(jwk, dict):
            _fail("JWT_MALFORMED", Message("the proof's jwk header is not a JSON object"))
        # §F.4: the header parameter does not contain a private key
        if any(name in jwk for name in ("d", "p", "q", "dp", "dq", "qi", "k")):
            _fail("JWT_PRIVATE_KEY", Message("the proof's jwk header holds private key material"))
        try:
            public_key = PublicKey.from_jwk(jwk)
        except MalformedValueError as exc:
            raise JwtError(Message("the proof's jwk is not a usable public key: {detail}", detail=exc.detail),
                           code="JWT_KEY_NOT_FOUND") from exc
        holder = did_jwk(public_key)
        vm_url = f"{holder}#0"
    else:
        if not isinstance(kid, str) or not kid.startswith(_KEY_PROOF_DID_METHODS):
            _fail("JWT_KEY_UNSUPPORTED", Message("kid {kid} is not a did:key or did:jwk URL",
                                                 kid=repr(str(kid)[:100])), kid=str(kid)[:100])
        holder = kid.split("#", 1)[0]
        if kid == holder and kid.startswith("did:jwk:"):
            kid = f"{holder}#0"  # did:jwk §2.2: a did:jwk's one key is #0 (a bare did:key is read the same way)
        try:
            # CID 1.0 §3.3: the kid's method, under the authentication relationship (proof of possession)
            _, public_key = retrieve_verification_method(kid, "authentication", resolver)
        except VerificationMethodError as exc:
            raise JwtError(Message("kid {kid} does not resolve to a usable key: {detail}", kid=repr(kid[:100]),
                                   detail=exc.detail),
                           code="JWT_KEY_NOT_FOUND", cause=exc.code) from exc
        vm_url = kid if "#" in kid else f"{kid}#{kid.rsplit(':', 1)[1]}"
    # RFC 8725 §3.1: the algorithm must be the one the named key is for
    if _ALG_FOR_KEY.get(public_key.key_type) != alg:
        _fail("JWT_ALG_KEY_MISMATCH", Message("alg {alg} does not match the proof's {key_type} key", alg=alg,
                                              key_type=public_key.key_type))
    claims = _json_segment(payload_b64, "payload", max_bytes)
    # §F.4: the signature verifies with the public key named in the header (RFC 7515 §5.2 step 8)
    _verify_signature(f"{header_b64}.{payload_b64}".encode("ascii"), _b64_segment(signature_b64, "signature"),
                      public_key, alg)
    return KeyProof(header=header, claims=claims, holder=holder, verification_method=vm_url, public_key=public_key)


# --- decoding ----------------------------------------------------------------------------------------

def is_jwt(text: str) -> bool:
    """A cheap structural test: three base64url segments (header and payload non-empty)."""
    if not isinstance(text, str):
        return False
    parts = text.strip().split(".")
    return (len(parts) == 3 and bool(parts[0]) and bool(parts[1])
            and all(_B64URL.fullmatch(part) is not None for part in parts))


def _b64_segment(segment: str, what: str) -> bytes:
    # RFC 7515 §2 / §7.1: base64url without padding. We also require the canonical encoding, so exactly one
    # byte string decodes from each segment and the signing input is the segments as read.
    try:
        encoded = segment.encode("ascii")
    except UnicodeEncodeError:
        _fail("JWT_MALFORMED", Message("the JWT {what} is not unpadded base64url", what=_word(what)))
    # only the 64 base64url characters (deleting them leaves nothing), and no length of 4n + 1
    remainder = len(encoded) % 4
    if encoded.translate(None, _B64URL_ALPHABET) or remainder == 1:
        _fail("JWT_MALFORMED", Message("the JWT {what} is not unpadded base64url", what=_word(what)))
    try:
        raw = binascii.a2b_base64(encoded.translate(_URL_TO_STANDARD) + b"=" * (-remainder % 4), strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise JwtError(Message("the JWT {what} is not base64url", what=_word(what)), code="JWT_MALFORMED") from exc
    # RFC 4648 §3.5: canonical means the last character's bits beyond the decoded bytes are zero (4 bits when
    # it ends a 2-character group, 2 bits for a 3-character one); any other value re-encodes differently
    if remainder and _B64URL_ALPHABET.index(encoded[-1]) & (0x0F if remainder == 2 else 0x03):
        _fail("JWT_MALFORMED", Message("the JWT {what} is not canonical base64url", what=_word(what)))
    return raw


def _json_segment(segment: str, what: str, max_bytes: int) -> dict[str, Any]:
    raw = _b64_segment(segment, what)
    # RFC 8259 §8.1: a byte order mark MUST NOT be added; refuse it rather than let parsers disagree.
    if raw.startswith(b"\xef\xbb\xbf"):
        _fail("JWT_MALFORMED", Message("the JWT {what} starts with a byte order mark", what=_word(what)))
    try:
        # RFC 7515 §5.2 steps 2-4 / RFC 7519 §7.2 step 10: a JSON object, here with no duplicate names.
        return loads_object(raw, max_bytes=max_bytes, what=_SEGMENTS.get(what) or f"JWT {what}")
    except InputError as exc:
        raise JwtError(Message("the JWT {what} is not a JSON object: {detail}", what=_word(what),
                               detail=exc.detail), code="JWT_MALFORMED") from exc


def _split(token: Any, max_bytes: int) -> tuple[str, list[str]]:
    if not isinstance(token, str):
        _fail("JWT_MALFORMED", Message("a JWT must be a string"))
    if len(token) > max_bytes:
        _fail("JWT_MALFORMED", Message("the JWT is {length} characters, over the {limit} limit", length=len(token),
                                       limit=max_bytes),
              limit=max_bytes)
    compact = token.strip()
    parts = compact.split(".")
    # RFC 7515 §7.1: header.payload.signature (a JWE has five parts; JSON serialization is not accepted).
    if len(parts) != 3:
        _fail("JWT_MALFORMED", Message("a compact JWS has 3 dot-separated parts, this has {count}", count=len(parts)))
    return compact, parts


def _check_header(header: dict[str, Any]) -> tuple[str, Kind | None]:
    """Header policy, decided before any cryptography. Returns (alg, kind implied by typ/cty)."""
    alg = header.get("alg")
    # RFC 7515 §4.1.1 alg is required; RFC 7518 §3.6 "none" is an unsecured JWS; VC-JOSE-COSE §3.1.1 says
    # content secured with alg none must be ignored.
    if alg is None or (isinstance(alg, str) and alg.lower() == "none"):
        _fail("JWT_ALG_NONE", Message("the JWT is unsecured (alg missing or 'none')"))
    if not isinstance(alg, str):
        _fail("JWT_ALG_UNSUPPORTED", Message("alg must be a string, not {alg}", alg=repr(alg)))
    # RFC 8725 §2.1 / §3.1: an HMAC alg keyed with the issuer's *public* key is a forgery anyone can make.
    if alg.upper() in _HMAC_ALGS:
        _fail("JWT_ALG_HMAC", Message("alg {alg} is a shared-secret MAC: a credential must carry a public-key "
                                      "signature", alg=alg),
              alg=alg)
    if alg not in _SUPPORTED_ALGS:
        _fail("JWT_ALG_UNSUPPORTED", Message("alg {alg} is not supported (EdDSA, ES256 or ES384)",
                                             alg=repr(alg)), alg=alg)
    # VC-JOSE-COSE §4 / §7.2 and CID 1.0 §3.3: keys come from the issuer's DID document, never from the
    # token (RFC 7515 §4.1.2-4.1.6 jku, jwk, x5u, x5c).
    for name in _EMBEDDED_KEY_HEADERS:
        if name in header:
            _fail("JWT_EMBEDDED_KEY", Message("the JWT header carries {name}: keys are taken only from the issuer's "
                                              "DID document", name=repr(name)), header=name)
    # RFC 7515 §4.1.11: a recipient MUST reject a JWS whose crit lists extensions it does not understand; we
    # implement none (and an empty crit list is itself invalid).
    if "crit" in header:
        _fail("JWT_CRIT_UNSUPPORTED", Message("the JWT header has crit {crit}; no critical extension is supported",
                                              crit=repr(header["crit"])))
    # RFC 7797 §6: b64 must be critical; unencoded payloads are not used for JWTs.
    if "b64" in header:
        _fail("JWT_CRIT_UNSUPPORTED", Message("the JWT header has 'b64' (RFC 7797 unencoded payload); not supported"))
    implied: Kind | None = None
    typ = header.get("typ")
    if "typ" in header:
        # RFC 7515 §4.1.9 / RFC 8725 §3.11 explicit typing: VC-JOSE-COSE §3.1.1-3.1.2 (vc+jwt, vp+jwt and
        # earlier drafts' +ld+json+jwt), OB 3.0 §8.2 and VCDM 1.1 §6.3.1 (JWT).
        if not isinstance(typ, str) or _media_type(typ) not in _TYP_KIND:
            _fail("JWT_TYP_UNSUPPORTED", Message("typ {typ} is not one of vc+jwt, vp+jwt, JWT, vc+ld+json+jwt, "
                                                 "vp+ld+json+jwt", typ=repr(typ)), typ=typ)
        implied = _TYP_KIND[_media_type(typ)]
    cty = header.get("cty")
    if "cty" in header:
        # RFC 7515 §4.1.10; VC-JOSE-COSE §3.1.1-3.1.2: cty SHOULD be vc / vp. Anything else (e.g. a nested
        # JWT, RFC 7519 §5.2) is not a credential.
        if not isinstance(cty, str) or _media_type(cty) not in _CTY_KIND:
            _fail("JWT_TYP_UNSUPPORTED", Message("cty {cty} is not vc or vp", cty=repr(cty)), cty=cty)
        cty_kind = _CTY_KIND[_media_type(cty)]
        if implied is not None and implied != cty_kind:
            _fail("JWT_TYP_MISMATCH", Message("typ {typ} and cty {cty} disagree", typ=repr(typ), cty=repr(cty)))
        implied = cty_kind
    kid = header.get("kid")
    # VC-JOSE-COSE §4.1.1: kid MUST be present when the key is a DID URL, which is the only way we find keys.
    if not isinstance(kid, str) or not kid:
        _fail("JWT_KID_MISSING", Message("the JWT header has no kid naming the issuer's verification method"))
    return alg, implied


def _read_header(header_b64: str, max_bytes: int) -> tuple[dict[str, Any], str, Kind | None]:
    """Decode the protected header and apply the header policy (RFC 7515 §5.2 steps 2-4, RFC 8725 §3.1).

    Returns (header, alg, kind implied by typ/cty). Both are pure functions of the segment's text, so a
    header that passed, whose values are all strings (what every issuer sends), is remembered by that
    text; the caller gets its own copy. A header that fails is decoded and refused again every time.
    """
    if len(header_b64) <= _MAX_REMEMBERED_HEADER:
        remembered = _remembered_header(header_b64, max_bytes)
        if remembered is not None:
            header, alg, implied = remembered
            return dict(header), alg, implied
    header = _json_segment(header_b64, "header", max_bytes)
    alg, implied = _check_header(header)
    return header, alg, implied


@lru_cache(maxsize=_HEADER_MEMO_SIZE)
def _remembered_header(header_b64: str, max_bytes: int) -> tuple[dict[str, str], str, Kind | None] | None:
    header = _json_segment(header_b64, "header", max_bytes)
    alg, implied = _check_header(header)
    if not all(isinstance(value, str) for value in header.values()):
        return None  # a nested value would be shared between copies: not remembered
    return header, alg, implied


def _rebuild_vcdm11(claims: dict[str, Any], name: str) -> dict[str, Any]:
    """VCDM 1.1 §6.3.1 decoding: the vc/vp claim plus the registered claims it was split into."""
    inner = claims[name]
    if not isinstance(inner, dict):
        _fail("JWT_MALFORMED", Message("the {name} claim must be a JSON object", name=repr(name)))
    document = dict(inner)

    def merge(claim: str, prop: str, value: Any) -> None:
        if prop not in document:
            document[prop] = value
        elif document[prop] != value:
            _fail("JWT_CLAIM_MISMATCH", Message("the {claim} claim {value} differs from {prop} {document}",
                                                claim=repr(claim), value=repr(value), prop=prop,
                                                document=repr(document[prop])),
                  claim=claim)

    def merge_date(claim: str, prop: str) -> None:
        seconds = _claim_numeric_date(claims, claim)
        if seconds is None:
            return
        if prop not in document:
            document[prop] = format_datetime(datetime.fromtimestamp(seconds, UTC))
        elif math.floor(_date_of(document[prop], prop).timestamp()) != math.floor(seconds):
            _fail("JWT_CLAIM_MISMATCH", Message("the {claim} claim differs from {prop} {document}", claim=repr(claim),
                                                prop=prop, document=repr(document[prop])), claim=claim)

    iss = claims.get("iss")
    if "iss" in claims and not isinstance(iss, str):
        _fail("JWT_MALFORMED", Message("the 'iss' claim must be a string"), claim="iss")
    if "jti" in claims:
        merge("jti", "id", claims["jti"])
    if name == "vc":
        if isinstance(iss, str):
            current = document.get("issuer")
            if current is None:
                document["issuer"] = iss
            elif isinstance(current, dict) and "id" not in current:
                document["issuer"] = {**current, "id": iss}
            elif _ref_id(current) != iss:
                _fail("JWT_CLAIM_MISMATCH", Message("the 'iss' claim {iss} differs from the issuer",
                                                    iss=repr(iss)), claim="iss")
        if "sub" in claims:
            subject = document.get("credentialSubject")
            if isinstance(subject, dict) and "id" not in subject:
                document["credentialSubject"] = {**subject, "id": claims["sub"]}
            elif claims["sub"] not in _subject_ids(document):
                _fail("JWT_CLAIM_MISMATCH", Message("the 'sub' claim {sub} is not a credentialSubject id",
                                                    sub=repr(claims["sub"])),
                      claim="sub")
        merge_date("nbf", "issuanceDate")
        merge_date("exp", "expirationDate")
    elif isinstance(iss, str):
        current = document.get("holder")
        if current is None:
            document["holder"] = iss
        elif _ref_id(current) != iss:
            _fail("JWT_CLAIM_MISMATCH", Message("the 'iss' claim {iss} differs from the holder",
                                                iss=repr(iss)), claim="iss")
    return document


def _read_payload(claims: dict[str, Any], typ_kind: Kind | None, typ: Any) -> tuple[dict[str, Any], Profile, Kind]:
    legacy = [name for name in ("vc", "vp") if name in claims]
    if legacy:
        # VC-JOSE-COSE §3.1.1-3.1.2: vc/vp MUST NOT be present in a vc+jwt / vp+jwt; VCDM 1.1 §6.3.1 uses
        # typ JWT (or none).
        if typ is not None and _media_type(str(typ)) != "jwt":
            _fail("JWT_TYP_MISMATCH", Message("typ {typ} forbids the {legacy} claim (VC-JOSE-COSE §3.1.1)",
                                              typ=repr(typ), legacy=repr(legacy[0])))
        if len(legacy) == 2:
            _fail("JWT_MALFORMED", Message("the JWT has both a 'vc' and a 'vp' claim"))
        # A token that is both shapes at once is ambiguous about what was signed.
        clash = sorted(_VC_TOP_LEVEL.intersection(claims))
        if clash:
            _fail("JWT_MALFORMED", Message("the JWT has a {legacy} claim and top-level credential properties {clash}; "
                                           "it must be one or the other", legacy=repr(legacy[0]), clash=str(clash)))
        document = _rebuild_vcdm11(claims, legacy[0])
        profile: Profile = "vcdm1.1"
        expected: Kind = "credential" if legacy[0] == "vc" else "presentation"
        if _kind_of(document) != expected:
            _fail("JWT_MALFORMED", Message("the {legacy} claim's type does not include Verifiable{value}",
                                           legacy=repr(legacy[0]),
                                           value="Credential" if expected == "credential" else "Presentation"))
    else:
        document = dict(claims)
        for name in _REGISTERED_CLAIMS:
            document.pop(name, None)
        found = _kind_of(document)
        if found is None:
            _fail("JWT_MALFORMED", Message("the JWT payload's type includes neither VerifiableCredential nor "
                                           "VerifiablePresentation (or both)"))
        expected = found
        # OB 3.0 §8.2 (typ JWT or absent, nbf required) vs VC-JOSE-COSE (nbf NOT RECOMMENDED, §3.1.3).
        profile = "ob3" if typ_kind is None and expected == "credential" and "nbf" in claims else "vc-jose-cose"
    # RFC 8725 §3.11: the declared type must match the content.
    if typ_kind is not None and typ_kind != expected:
        _fail("JWT_TYP_MISMATCH", Message("the header declares a {declared} but the payload is a {expected}",
                                          declared=_word(typ_kind), expected=_word(expected)))
    return document, profile, expected


def _signer_id(document: dict[str, Any], claims: dict[str, Any], kind: Kind) -> str:
    if kind == "credential":
        issuer = _ref_id(document.get("issuer"))
        if issuer is None:
            # VCDM 2.0 §4.7: issuer MUST be a URL or an object with an id.
            _fail("JWT_MALFORMED", Message("the credential has no issuer id"))
        return issuer
    holder = _ref_id(document.get("holder"))
    if holder is None and isinstance(claims.get("iss"), str):
        holder = str(claims["iss"])
    if holder is None:
        _fail("JWT_KID_NOT_ISSUER", Message("the presentation names no holder (nor iss), so its key cannot be bound to "
                                            "anyone"))
    return holder


def _vm_url(kid: str, signer: str, role: str) -> str:
    """The absolute verification-method URL the kid names, which must belong to ``signer``."""
    if kid.startswith("#"):
        # A relative kid is resolved against the issuer's DID (CID 1.0 §3.3: relative references).
        if not signer.startswith("did:"):
            _fail("JWT_KID_NOT_ISSUER", Message("relative kid {kid} cannot be resolved: the {role} {signer} is not a "
                                                "DID", kid=repr(kid), role=_word(role), signer=repr(signer)))
        return signer + kid
    did, sep, _ = kid.partition("#")
    # VC-JOSE-COSE §4.1.1 / §4.3 and OB 3.0 §9 (1EdTech: key controller = issuer.id): the kid's DID must be
    # the issuer's (holder's) DID, or anyone could sign for anyone.
    if did != signer:
        _fail("JWT_KID_NOT_ISSUER", Message("kid {kid} is not a key of the {role} {signer}", kid=repr(kid),
                                            role=_word(role), signer=repr(signer)), kid=kid)
    if not sep and did.startswith("did:key:"):
        # standards digest §11.14: a bare did:key names its one key, did:key:z...#z... (did:key §3.1.1).
        return f"{did}#{did.rsplit(':', 1)[1]}"
    return kid


def _verify_signature(signing_input: bytes, signature: bytes, public_key: PublicKey, alg: str) -> None:
    """RFC 7515 §5.2 step 8: ``signature`` over ``signing_input`` with the resolved key, for ``alg`` only."""
    key = public_key.crypto_key
    try:
        # RFC 8725 §3.1: exactly the one algorithm the resolved key is for; anything else is refused here too.
        if alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
            # RFC 8037 §3.1: EdDSA with Ed25519 signs the JWS signing input itself (pure EdDSA).
            key.verify(signature, signing_input)
            return
        if alg in _ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            curve, digest, size = _ECDSA[alg]
            # RFC 7518 §3.4: the signature is r || s, `size` octets each; no other length or curve is valid.
            if isinstance(key.curve, curve) and len(signature) == 2 * size:
                der = encode_dss_signature(int.from_bytes(signature[:size], "big"),
                                           int.from_bytes(signature[size:], "big"))
                key.verify(der, signing_input, ec.ECDSA(digest()))
                return
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise JwtError(Message("the JWT signature does not verify with the issuer's key"),
                       code="JWT_BAD_SIGNATURE") from exc
    raise JwtError(Message("the JWT signature does not verify with the issuer's key"), code="JWT_BAD_SIGNATURE")


def _check_claims(document: dict[str, Any], claims: dict[str, Any], header: dict[str, Any], profile: Profile,
                  kind: Kind, signer: str) -> None:
    role = "issuer" if kind == "credential" else "holder"
    # VC-JOSE-COSE §3.1.3 / §4.1.2: iss (claim or header) if present MUST match issuer / issuer.id (holder
    # for a presentation); OB 3.0 §8.2 requires it.
    for where, source in (("claim", claims), ("header", header)):
        if "iss" in source and source["iss"] != signer:
            _fail("JWT_CLAIM_MISMATCH", Message("the 'iss' {where} {iss} does not match the {role} {signer}",
                                                where=_word(where), iss=repr(source["iss"]), role=_word(role),
                                                signer=repr(signer)),
                  claim="iss")
    # VC-JOSE-COSE §3.1.3: jti/id and sub/credentialSubject.id must not conflict; OB 3.0 §8.2: they are equal.
    if "jti" in claims and claims["jti"] != document.get("id"):
        _fail("JWT_CLAIM_MISMATCH", Message("the 'jti' claim {jti} does not match id {id}", jti=repr(claims["jti"]),
                                            id=repr(document.get("id"))),
              claim="jti")
    subject_ids = _subject_ids(document)
    if kind == "credential" and "sub" in claims and claims["sub"] not in subject_ids:
        _fail("JWT_CLAIM_MISMATCH", Message("the 'sub' claim {sub} is not a credentialSubject id",
                                            sub=repr(claims["sub"])), claim="sub")
    if profile != "ob3":
        return
    # OB 3.0 §8.2: iss, jti, nbf and sub are required and mirror the credential; exp mirrors validUntil.
    for name in ("iss", "jti"):
        if name not in claims:
            _fail("JWT_CLAIM_MISMATCH", Message("an Open Badges 3.0 JWT must have the {name} claim",
                                                name=repr(name)), claim=name)
    if subject_ids and "sub" not in claims:
        _fail("JWT_CLAIM_MISMATCH", Message("an Open Badges 3.0 JWT must have the 'sub' claim (credentialSubject.id)"),
              claim="sub")
    nbf = _claim_numeric_date(claims, "nbf")
    if "validFrom" not in document:
        _fail("JWT_CLAIM_MISMATCH", Message("the 'nbf' claim has no validFrom to match (OB 3.0 requires validFrom)"),
              claim="nbf")
    valid_from = _date_of(document["validFrom"], "validFrom")
    if nbf is None or math.floor(nbf) != math.floor(valid_from.timestamp()):
        _fail("JWT_CLAIM_MISMATCH", Message("the 'nbf' claim {nbf} does not match validFrom {valid_from}",
                                            nbf=repr(claims.get("nbf")),
                                            valid_from=repr(document["validFrom"])), claim="nbf")
    if "validUntil" in document:
        exp = _claim_numeric_date(claims, "exp")
        valid_until = _date_of(document["validUntil"], "validUntil")
        if exp is None or math.floor(exp) != math.floor(valid_until.timestamp()):
            _fail("JWT_CLAIM_MISMATCH", Message("the 'exp' claim {exp} does not match validUntil {valid_until}",
                                                exp=repr(claims.get("exp")),
                                                valid_until=repr(document["validUntil"])), claim="exp")


def _check_times(claims: dict[str, Any], now: datetime, leeway: timedelta) -> None:
    current = now.timestamp()
    slack = leeway.total_seconds()
    exp = _claim_numeric_date(claims, "exp")
    nbf = _claim_numeric_date(claims, "nbf")
    iat = _claim_numeric_date(claims, "iat")
    # RFC 7519 §4.1.4: the JWT MUST NOT be accepted on or after exp (allowing a small leeway).
    if exp is not None and current >= exp + slack:
        _fail("JWT_EXPIRED", Message("the JWT expired at {when}",
                                     when=format_datetime(datetime.fromtimestamp(exp, UTC))), claim="exp")
    # RFC 7519 §4.1.5: the JWT MUST NOT be accepted before nbf.
    if nbf is not None and current + slack < nbf:
        _fail("JWT_NOT_YET_VALID", Message("the JWT is not valid before {when}",
                                           when=format_datetime(datetime.fromtimestamp(nbf, UTC))),
              claim="nbf")
    # RFC 7519 §4.1.6: iat is when it was issued; one in the future (beyond clock skew) is not credible.
    if iat is not None and current + slack < iat:
        _fail("JWT_NOT_YET_VALID", Message("the JWT claims to be issued in the future ({when})",
                                           when=format_datetime(datetime.fromtimestamp(iat, UTC))), claim="iat")


def verify_jwt(token: str, *, resolver: DidResolver, now: datetime,
               expected_kind: Kind | None = None, purpose: str = "assertionMethod",
               leeway: timedelta = timedelta(seconds=60), max_bytes: int = MAX_TOKEN_BYTES) -> JwtVerification:
    """Verify a VC-JWT (VC-JOSE-COSE, Open Badges 3.0 or VCDM 1.1 shape) and return what it secures.

    The key comes only from resolving ``kid`` (which must be a key of the issuer, or of the holder for a
    presentation) through ``resolver`` under the verification relationship ``purpose`` (pass
    ``"authentication"`` for a holder's presentation). Raises :class:`JwtError` on every rejection.
    """
    _require_aware(now, "now")
    if leeway < timedelta(0):
        raise ValueError("leeway must not be negative")
    _, (header_b64, payload_b64, signature_b64) = _split(token, max_bytes)
    # VC-JOSE-COSE §5.1 / RFC 7515 §5.2: decode the header and apply the header policy first.
    header, alg, typ_kind = _read_header(header_b64, max_bytes)
    kid = str(header["kid"])
    claims = _json_segment(payload_b64, "payload", max_bytes)
    signature = _b64_segment(signature_b64, "signature")
    document, profile, kind = _read_payload(claims, typ_kind, header.get("typ"))
    if expected_kind is not None and kind != expected_kind:
        _fail("JWT_KIND_MISMATCH", Message("expected a {expected}, but the JWT secures a {kind}",
                                           expected=_word(expected_kind), kind=_word(kind)))
    signer = _signer_id(document, claims, kind)
    vm_url = _vm_url(kid, signer, "issuer" if kind == "credential" else "holder")
    try:
        # CID 1.0 §3.3 Retrieve Verification Method, with the verification-relationship check for purpose.
        method, public_key = retrieve_verification_method(vm_url, purpose, resolver)
    except VerificationMethodError as exc:
        raise JwtError(Message("kid {kid} does not resolve to a usable key: {detail}", kid=repr(kid),
                               detail=exc.detail), code="JWT_KEY_NOT_FOUND",
                       cause=exc.code) from exc
    # RFC 8725 §3.1: the algorithm must be the one the resolved key is for (no cross-algorithm use).
    if _ALG_FOR_KEY.get(public_key.key_type) != alg:
        _fail("JWT_ALG_KEY_MISMATCH", Message("alg {alg} does not match the {key_type} key {vm_url}", alg=alg,
                                              key_type=public_key.key_type, vm_url=vm_url))
    # RFC 7515 §5.2 step 8: validate the signature.
    _verify_signature(f"{header_b64}.{payload_b64}".encode("ascii"), signature, public_key, alg)
    # RFC 7519 §7.2 step 10: claims, then the times the JWT itself states.
    _check_claims(document, claims, header, profile, kind, signer)
    _check_times(claims, now, leeway)
    controller = method.get("controller")
    return JwtVerification(document=document, header=header, claims=claims, verification_method=vm_url,
                           controller=controller if isinstance(controller, str) else vm_url.split("#", 1)[0],
                           public_key=public_key, profile=profile, kind=kind)


# --- enveloping --------------------------------------------------------------------------------------

def envelope(token: str, kind: Kind = "credential") -> dict[str, Any]:
    """Wrap a VC-JWT for a presentation's ``verifiableCredential`` (VCDM 2.0 §4.13.1, VC-JOSE-COSE §3.1.2)."""
    if kind not in _ENVELOPES:
        raise ValueError(f"kind must be 'credential' or 'presentation', not {kind!r}")
    if not is_jwt(token):
        _fail("JWT_MALFORMED", Message("only a compact JWS can be enveloped"))
    type_name, prefix = _ENVELOPES[kind]
    return {"@context": VC_V2_CONTEXT, "id": prefix + token.strip(), "type": type_name}


def unenvelope(obj: Any) -> str:
    """The compact JWS inside an EnvelopedVerifiableCredential / EnvelopedVerifiablePresentation."""
    if not isinstance(obj, dict):
        _fail("JWT_ENVELOPE_INVALID", Message("an enveloped credential must be a JSON object"))
    # VCDM 2.0 §4.13.1: @context MUST be present and define the enveloping terms (the v2 base context).
    context = obj.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if VC_V2_CONTEXT not in contexts:
        _fail("JWT_ENVELOPE_INVALID", Message("an enveloped credential's @context must include {context}",
                                              context=VC_V2_CONTEXT))
    types = _types(obj)
    matches = [kind for kind, (type_name, _) in _ENVELOPES.items() if type_name in types]
    if len(matches) != 1:
        _fail("JWT_ENVELOPE_INVALID", Message("type must be EnvelopedVerifiableCredential or "
                                              "EnvelopedVerifiablePresentation"))
    _, prefix = _ENVELOPES[matches[0]]
    identifier = obj.get("id")
    # VCDM 2.0 §4.13.1 / VC-JOSE-COSE §3.1.2: the id MUST be a data: URL of the secured media type.
    if not isinstance(identifier, str) or not identifier.startswith(prefix):
        _fail("JWT_ENVELOPE_INVALID", Message("id must be a data: URL starting with {prefix}", prefix=repr(prefix)))
    token = identifier[len(prefix):]
    if not is_jwt(token) or token != token.strip():
        _fail("JWT_ENVELOPE_INVALID", Message("the data: URL does not hold a compact JWS"))
    return token
