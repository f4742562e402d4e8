"""Key pairs (Ed25519, P-256, P-384): generate, import, export, and encrypted key files.

Formats: Multikey (CID 1.0 §2.2.2: ``publicKeyMultibase`` / ``secretKeyMultibase``), JWK (RFC 7517/8037)
and PEM (PKCS#8 / SubjectPublicKeyInfo). Ed25519 secret Multikeys are imported in both the spec's
32-byte-seed form and Digital Bazaar's 64-byte seed-and-public form, and always exported in the 32-byte form.

Key files are JSON, encrypted at rest with a passphrase (scrypt + AES-256-GCM, the public part
authenticated as associated data) and written atomically with mode 0600. Plaintext key files exist
only for demos and tests and say so loudly inside the file.

Private key material never appears in ``repr()``, error texts or logs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from omc_vc._internal import atomic
from omc_vc._internal.multibase import (
    ED25519_PRIV,
    ED25519_PUB,
    P256_PRIV,
    P256_PUB,
    P384_PRIV,
    P384_PUB,
    b64url_decode,
    b64url_encode,
    multibase_decode,
    multibase_encode,
)
from omc_vc.errors import KeyError_, MalformedValueError, WrongPassphraseError
from omc_vc.i18n import Message

KeyType = Literal["ed25519", "p256", "p384"]
KEY_TYPES: tuple[KeyType, ...] = ("ed25519", "p256", "p384")


@dataclass(frozen=True)
class _Curve:
    """What differs between the NIST curves (CID 1.0 Multikey table; vc-di-ecdsa §3; RFC 7518 §3.4)."""

    key_type: KeyType
    curve: type[ec.EllipticCurve]
    jwk_crv: str
    size: int  # bytes of a coordinate / scalar; signatures are r‖s of 2 * size
    public_header: bytes
    secret_header: bytes
    hash: type[hashes.HashAlgorithm]
    jws_alg: str


_CURVES: dict[str, _Curve] = {
    "p256": _Curve("p256", ec.SECP256R1, "P-256", 32, P256_PUB, P256_PRIV, hashes.SHA256, "ES256"),
    "p384": _Curve("p384", ec.SECP384R1, "P-384", 48, P384_PUB, P384_PRIV, hashes.SHA384, "ES384"),
}


def _curve_of(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> _Curve:
    for info in _CURVES.values():
        if isinstance(key.curve, info.curve):
            return info
    raise KeyError_(Message("unsupported EC curve {name} (P-256 or P-384)", name=key.curve.name))


KEY_FILE_FORMAT = "omc-vc-key/1"
PLAINTEXT_WARNING = "INSECURE: this private key is stored in plaintext. For demos and tests only."
MAX_KEY_FILE_BYTES = 64 * 1024
_SCRYPT_N = 2**15
_SCRYPT_R = 8
_SCRYPT_P = 1


def _compress(public: ec.EllipticCurvePublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)


@dataclass(frozen=True)
class PublicKey:
    """A public key that can verify signatures; built from Multikey, JWK or PEM."""

    key_type: KeyType
    _key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey

    # --- import -------------------------------------------------------------------------------
    @classmethod
    def from_multibase(cls, value: str) -> PublicKey:
        """Import ``publicKeyMultibase`` (CID 1.0 §2.2.2); only public-key headers are accepted.

        The import is a pure function of the string and a PublicKey is immutable, so keys seen again
        (an issuer's key, on every credential it signed) come from a small LRU of imported keys instead
        of being base58-decoded and checked again. Only successful imports are remembered.
        """
        if cls is PublicKey and isinstance(value, str):
            return _imported_multibase(value)
        return cls._import_multibase(value)

    @classmethod
    def _import_multibase(cls, value: str) -> PublicKey:
        raw = multibase_decode(value)
        if not value.startswith("z"):
            raise MalformedValueError(Message("publicKeyMultibase must be base58-btc ('z' header)"))
        header, body = raw[:2], raw[2:]
        try:
            if header == ED25519_PUB:
                if len(body) != 32:
                    raise MalformedValueError(Message("Ed25519 public key must be 32 bytes, got {length}",
                                                      length=len(body)))
                return cls("ed25519", ed25519.Ed25519PublicKey.from_public_bytes(body))
            for info in _CURVES.values():
                if header == info.public_header:
                    if len(body) != info.size + 1:
                        raise MalformedValueError(
                            Message("{jwk_crv} public key must be {size} bytes (compressed), got {length}",
                                    jwk_crv=info.jwk_crv, size=info.size + 1, length=len(body))
                        )
                    return cls(info.key_type, ec.EllipticCurvePublicKey.from_encoded_point(info.curve(), body))
        except ValueError as exc:
            raise MalformedValueError(Message("publicKeyMultibase is not a valid point")) from exc
        if header in (ED25519_PRIV, P256_PRIV, P384_PRIV):
            raise MalformedValueError(
                Message("a secret key was given where a public key was expected; never publish secret keys")
            )
        raise MalformedValueError(
            Message("unsupported Multikey header 0x{header} (Ed25519, P-256 or P-384 public keys only)",
                    header=header.hex())
        )

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> PublicKey:
        if not isinstance(jwk, dict):
            raise MalformedValueError(Message("JWK must be an object"))
        kty, crv = jwk.get("kty"), jwk.get("crv")
        try:
            if kty == "OKP" and crv == "Ed25519":
                x = b64url_decode(str(jwk.get("x", "")))
                if len(x) != 32:
                    raise MalformedValueError(Message("Ed25519 JWK 'x' must be 32 bytes"))
                return cls("ed25519", ed25519.Ed25519PublicKey.from_public_bytes(x))
            info = next((c for c in _CURVES.values() if kty == "EC" and crv == c.jwk_crv), None)
            if info is not None:
                x = b64url_decode(str(jwk.get("x", "")))
                y = b64url_decode(str(jwk.get("y", "")))
                if len(x) != info.size or len(y) != info.size:
                    raise MalformedValueError(Message("{jwk_crv} JWK 'x' and 'y' must be {size} bytes",
                                                      jwk_crv=info.jwk_crv, size=info.size))
                nums = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), info.curve())
                return cls(info.key_type, nums.public_key())
        except ValueError as exc:
            raise MalformedValueError(Message("JWK is not a valid public key")) from exc
        raise MalformedValueError(Message("unsupported JWK kty/crv {kty}/{crv} (OKP/Ed25519, EC/P-256 or EC/P-384)",
                                          kty=str(kty), crv=str(crv)))

    @classmethod
    def from_pem(cls, data: bytes) -> PublicKey:
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise KeyError_(Message("not a PEM public key")) from exc
        return cls._wrap(key)

    @classmethod
    def _wrap(cls, key: object) -> PublicKey:
        if isinstance(key, ed25519.Ed25519PublicKey):
            return cls("ed25519", key)
        if isinstance(key, ec.EllipticCurvePublicKey):
            return cls(_curve_of(key).key_type, key)
        raise KeyError_(Message("unsupported key type (Ed25519, P-256 or P-384 only)"))

    # --- export -------------------------------------------------------------------------------
    @cached_property
    def multibase(self) -> str:
        """``publicKeyMultibase``: ``z`` + base58btc(multicodec header ‖ key bytes).

        Computed once per key (the key never changes); equality and hashing use it too.
        """
        if isinstance(self._key, ed25519.Ed25519PublicKey):
            raw = self._key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return multibase_encode(ED25519_PUB + raw)
        return multibase_encode(_curve_of(self._key).public_header + _compress(self._key))

    def jwk(self) -> dict[str, str]:
        if isinstance(self._key, ed25519.Ed25519PublicKey):
            raw = self._key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
        nums = self._key.public_numbers()
        return {
            "kty": "EC",
            "crv": _curve_of(self._key).jwk_crv,
            "x": b64url_encode(nums.x.to_bytes(_curve_of(self._key).size, "big")),
            "y": b64url_encode(nums.y.to_bytes(_curve_of(self._key).size, "big")),
        }

    def pem(self) -> str:
        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    @property
    def did_key(self) -> str:
        return "did:key:" + self.multibase

    @property
    def jws_alg(self) -> str:
        return "EdDSA" if self.key_type == "ed25519" else _CURVES[self.key_type].jws_alg

    @property
    def crypto_key(self) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
        return self._key

    # --- verify -------------------------------------------------------------------------------
    def verify(self, signature: bytes, data: bytes) -> bool:
        """Ed25519 (pure EdDSA), or ECDSA P-256/SHA-256 or P-384/SHA-384 with an IEEE P1363 ``r‖s``
        signature (vc-di-ecdsa §3.3.1: RFC 4754 §7 format, not DER)."""
        try:
            if isinstance(self._key, ed25519.Ed25519PublicKey):
                self._key.verify(signature, data)
            else:
                info = _curve_of(self._key)
                if len(signature) != 2 * info.size:
                    return False
                r = int.from_bytes(signature[: info.size], "big")
                s = int.from_bytes(signature[info.size :], "big")
                self._key.verify(encode_dss_signature(r, s), data, ec.ECDSA(info.hash()))
        except InvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and other.multibase == self.multibase

    def __hash__(self) -> int:
        return hash(self.multibase)

    def __repr__(self) -> str:
        return f"PublicKey({self.key_type}, {self.multibase})"


# Distinct public keys remembered by PublicKey.from_multibase. An entry is a valid Multikey (at most 70
# characters) and its imported key, so the bound keeps the memory small whatever the input.
MULTIBASE_CACHE_SIZE = 512


@lru_cache(maxsize=MULTIBASE_CACHE_SIZE)
def _imported_multibase(value: str) -> PublicKey:
    return PublicKey._import_multibase(value)


class KeyPair:
    """A private key and its public key. ``repr`` and ``str`` never show the secret."""

    def __init__(
        self,
        key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey,
        *,
        verification_method: str | None = None,
        controller: str | None = None,
    ) -> None:
        if isinstance(key, ec.EllipticCurvePrivateKey):
            _curve_of(key)  # P-256 or P-384 only
        self._key = key
        self.public_key = PublicKey._wrap(key.public_key())
        self.key_type: KeyType = self.public_key.key_type
        self.controller = controller or self.public_key.did_key
        self.verification_method = verification_method or f"{self.public_key.did_key}#{self.public_key.multibase}"

    def __repr__(self) -> str:
        return f"KeyPair({self.key_type}, {self.verification_method})"

    __str__ = __repr__

    def with_id(self, verification_method: str, controller: str) -> KeyPair:
        """The same key, addressed as ``verification_method`` of ``controller`` (e.g. did:web)."""
        return KeyPair(self._key, verification_method=verification_method, controller=controller)

    # --- generate / import ----------------------------------------------------------------------
    @classmethod
    def generate(cls, key_type: KeyType = "ed25519") -> KeyPair:
        if key_type == "ed25519":
            return cls(ed25519.Ed25519PrivateKey.generate())
        if key_type in _CURVES:
            return cls(ec.generate_private_key(_CURVES[key_type].curve()))
        raise KeyError_(Message("unknown key type {key_type} (ed25519, p256 or p384)", key_type=repr(key_type)))

    @classmethod
    def from_secret_multibase(cls, value: str) -> KeyPair:
        """Import ``secretKeyMultibase``: Ed25519 32-byte seed or 64-byte seed‖public, or P-256."""
        try:
            raw = multibase_decode(value.strip())
        except MalformedValueError as exc:
            raise KeyError_(Message("secretKeyMultibase is not valid multibase: {detail}", detail=exc.detail)) from exc
        header, body = raw[:2], raw[2:]
        try:
            if header == ED25519_PRIV:
                if len(body) == 64:
                    pair = cls(ed25519.Ed25519PrivateKey.from_private_bytes(body[:32]))
                    expected = pair.public_key.crypto_key.public_bytes(
                        serialization.Encoding.Raw, serialization.PublicFormat.Raw
                    )
                    if expected != body[32:]:
                        raise KeyError_(Message("64-byte Ed25519 secret key: its public half does not match its seed"))
                    return pair
                if len(body) != 32:
                    raise KeyError_(Message("Ed25519 secret key must be 32 or 64 bytes, got {length}",
                                            length=len(body)))
                return cls(ed25519.Ed25519PrivateKey.from_private_bytes(body))
            for info in _CURVES.values():
                if header == info.secret_header:
                    if len(body) != info.size:
                        raise KeyError_(Message("{jwk_crv} secret key must be {size} bytes, got {length}",
                                                jwk_crv=info.jwk_crv, size=info.size, length=len(body)))
                    return cls(ec.derive_private_key(int.from_bytes(body, "big"), info.curve()))
        except ValueError as exc:
            raise KeyError_(Message("secretKeyMultibase is not a valid secret key")) from exc
        raise KeyError_(Message("unsupported secret Multikey header 0x{header} (Ed25519, P-256 or P-384)",
                                header=header.hex()))

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> KeyPair:
        if not isinstance(jwk, dict) or "d" not in jwk:
            raise KeyError_(Message("JWK has no private part 'd'"))
        try:
            d = b64url_decode(str(jwk["d"]))
        except MalformedValueError as exc:
            raise KeyError_(Message("JWK 'd' is not base64url")) from exc
        try:
            public = PublicKey.from_jwk({k: v for k, v in jwk.items() if k != "d"})
        except MalformedValueError as exc:
            raise KeyError_(Message("JWK: {detail}", detail=exc.detail)) from exc
        try:
            if public.key_type == "ed25519":
                pair = cls(ed25519.Ed25519PrivateKey.from_private_bytes(d))
            else:
                pair = cls(ec.derive_private_key(int.from_bytes(d, "big"), _CURVES[public.key_type].curve()))
        except ValueError as exc:
            raise KeyError_(Message("JWK 'd' is not a valid private key")) from exc
        if pair.public_key != public:
            raise KeyError_(Message("JWK private part does not match its public part"))
        return pair

    @classmethod
    def from_pem(cls, data: bytes, password: bytes | None = None) -> KeyPair:
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except TypeError as exc:
            raise KeyError_(
                Message("PEM key is encrypted: a password is needed")
                if password is None
                else Message("PEM key is not encrypted but a password was given")
            ) from exc
        except ValueError as exc:
            raise KeyError_(Message("not a readable PEM private key (or wrong password)")) from exc
        if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
            raise KeyError_(Message("unsupported PEM key type (Ed25519, P-256 or P-384 only)"))
        return cls(key)

    # --- export (explicit: these return secrets) --------------------------------------------------
    def secret_multibase(self) -> str:
        """``secretKeyMultibase`` (32-byte Ed25519 seed form). Handle with care."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            raw = self._key.private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
            return multibase_encode(ED25519_PRIV + raw)
        info = _curve_of(self._key)
        d = self._key.private_numbers().private_value.to_bytes(info.size, "big")
        return multibase_encode(info.secret_header + d)

    def private_jwk(self) -> dict[str, str]:
        jwk = self.public_key.jwk()
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            raw = self._key.private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
        else:
            raw = self._key.private_numbers().private_value.to_bytes(_curve_of(self._key).size, "big")
        return {**jwk, "d": b64url_encode(raw)}

    def private_pem(self, password: bytes | None = None) -> str:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
        )
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        ).decode("ascii")

    # --- sign -------------------------------------------------------------------------------------
    def sign(self, data: bytes) -> bytes:
        """Ed25519 signature, or ECDSA P-256/SHA-256 (P-384/SHA-384) as IEEE P1363 ``r‖s`` (64/96 bytes)."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(data)
        info = _curve_of(self._key)
        der = self._key.sign(data, ec.ECDSA(info.hash()))
        r, s = decode_dss_signature(der)
        return r.to_bytes(info.size, "big") + s.to_bytes(info.size, "big")

    @property
    def crypto_key(self) -> ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey:
        return self._key


# --- key files --------------------------------------------------------------------------------------


def _kdf(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _header(pair_type: str, public: str, vm: str, controller: str) -> dict[str, str]:
    return {
        "format": KEY_FILE_FORMAT,
        "type": pair_type,
        "publicKeyMultibase": public,
        "verificationMethod": vm,
        "controller": controller,
    }


def key_file_document(pair: KeyPair, passphrase: str | None, *, insecure_plaintext: bool = False) -> dict[str, Any]:
    """The JSON content of a key file (encrypted unless ``insecure_plaintext``)."""
    header = _header(pair.key_type, pair.public_key.multibase, pair.verification_method, pair.controller)
    if passphrase is None:
        if not insecure_plaintext:
            raise KeyError_(Message("a passphrase is required to write a key file (or insecure_plaintext for "
                                    "demos/tests)"))
        return {
            **header,
            "encryption": "none",
            "WARNING": PLAINTEXT_WARNING,
            "secretKeyMultibase": pair.secret_multibase(),
        }
    if not passphrase:
        raise KeyError_(Message("the passphrase is empty"))
    salt = os.urandom(16)
    nonce = os.urandom(12)
    key = _kdf(passphrase, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    aad = json.dumps(header, sort_keys=True).encode("utf-8")
    ciphertext = AESGCM(key).encrypt(nonce, pair.secret_multibase().encode("ascii"), aad)
    return {
        **header,
        "encryption": {
            "kdf": "scrypt",
            "n": _SCRYPT_N,
            "r": _SCRYPT_R,
            "p": _SCRYPT_P,
            "salt": b64url_encode(salt),
            "cipher": "AES-256-GCM",
            "nonce": b64url_encode(nonce),
        },
        "ciphertext": b64url_encode(ciphertext),
    }


def save_key(
    path: str | os.PathLike[str],
    pair: KeyPair,
    passphrase: str | None,
    *,
    insecure_plaintext: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write a key file atomically with mode 0600."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise KeyError_(Message("{path} already exists; refusing to overwrite a key file", path=str(target)))
    doc = key_file_document(pair, passphrase, insecure_plaintext=insecure_plaintext)
    atomic.write_json(target, doc, mode=0o600)
    return target


def read_key_file_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The public part of a key file (no passphrase needed)."""
    doc = _read_key_doc(Path(path))
    return {k: doc[k] for k in ("type", "publicKeyMultibase", "verificationMethod", "controller")}


def _read_key_doc(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyError_(Message("key file {path} does not exist", path=str(path))) from exc
    except OSError as exc:
        raise KeyError_(Message("cannot read key file {path}: {why}", path=str(path), why=str(exc.strerror))) from exc
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise KeyError_(Message("key file {path} is too large to be a key file", path=str(path)),
                        code="KEY_FILE_CORRUPT")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise KeyError_(Message("key file {path} is corrupt (not JSON)", path=str(path)),
                        code="KEY_FILE_CORRUPT") from exc
    required = ("format", "type", "publicKeyMultibase", "verificationMethod", "controller", "encryption")
    if (
        not isinstance(doc, dict)
        or doc.get("format") != KEY_FILE_FORMAT
        or any(not isinstance(doc.get(k), str | dict) for k in required)
    ):
        raise KeyError_(Message("key file {path} is corrupt or not an omc-vc key file",
                                path=str(path)), code="KEY_FILE_CORRUPT")
    return doc


def load_key(path: str | os.PathLike[str], passphrase: str | None = None) -> KeyPair:
    """Read and decrypt a key file. Wrong passphrase and corruption give distinct errors."""
    target = Path(path)
    doc = _read_key_doc(target)
    header = _header(doc["type"], doc["publicKeyMultibase"], doc["verificationMethod"], doc["controller"])
    enc = doc["encryption"]
    if enc == "none":
        secret = doc.get("secretKeyMultibase")
        if not isinstance(secret, str):
            raise KeyError_(Message("key file {path} is corrupt (no secret)", path=str(target)),
                            code="KEY_FILE_CORRUPT")
    else:
        if passphrase is None:
            raise KeyError_(Message("key file {path} is encrypted: a passphrase is needed",
                                    path=str(target)), code="KEY_PASSPHRASE_REQUIRED")
        try:
            assert isinstance(enc, dict) and enc.get("kdf") == "scrypt" and enc.get("cipher") == "AES-256-GCM"
            n, r, p = int(enc["n"]), int(enc["r"]), int(enc["p"])
            if not (2**10 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
                raise ValueError("scrypt parameters out of range")
            salt = b64url_decode(enc["salt"])
            nonce = b64url_decode(enc["nonce"])
            ciphertext = b64url_decode(doc["ciphertext"])
        except (AssertionError, KeyError, TypeError, ValueError, MalformedValueError) as exc:
            raise KeyError_(Message("key file {path} is corrupt (bad encryption header)",
                                    path=str(target)), code="KEY_FILE_CORRUPT") from exc
        aad = json.dumps(header, sort_keys=True).encode("utf-8")
        try:
            secret = AESGCM(_kdf(passphrase, salt, n, r, p)).decrypt(nonce, ciphertext, aad).decode("ascii")
        except InvalidTag as exc:
            raise WrongPassphraseError(
                Message("wrong passphrase for key file {path} (or the file was tampered with)", path=str(target))
            ) from exc
        except ValueError as exc:
            raise KeyError_(Message("key file {path} is corrupt", path=str(target)), code="KEY_FILE_CORRUPT") from exc
    pair = KeyPair.from_secret_multibase(secret)
    if pair.public_key.multibase != doc["publicKeyMultibase"]:
        raise KeyError_(
            Message("key file {path} is corrupt: its public key does not match its secret",
                    path=str(target)), code="KEY_FILE_CORRUPT"
        )
    return pair.with_id(doc["verificationMethod"], doc["controller"])
