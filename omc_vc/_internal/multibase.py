"""Multibase, multicodec and multihash encodings (CID 1.0 §2.4, Multikey §2.2.2).

Only what the specs use here: base58-btc (``z``) and base64url without padding (``u``), the key
multicodec headers of the Multikey table, and sha2-256 / sha2-384 multihashes.
"""

from __future__ import annotations

import base64
import hashlib

from omc_vc.errors import MalformedValueError
from omc_vc.i18n import Message

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}

# Multicodec varint headers (CID 1.0 §2.2.2 table).
ED25519_PUB = b"\xed\x01"
P256_PUB = b"\x80\x24"
P384_PUB = b"\x81\x24"
ED25519_PRIV = b"\x80\x26"
P256_PRIV = b"\x86\x26"
P384_PRIV = b"\x87\x26"

MAX_MULTIBASE_CHARS = 4096  # keys and signatures are far shorter; refuse absurd inputs early


def b58encode(data: bytes) -> str:
    """Base58-btc (Bitcoin alphabet); leading zero bytes become leading '1's."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    out = []
    while num:
        num, rem = divmod(num, 58)
        out.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    if len(text) > MAX_MULTIBASE_CHARS:
        raise MalformedValueError(Message("base58 value too long"))
    num = 0
    for ch in text:
        idx = _B58_INDEX.get(ch)
        if idx is None:
            raise MalformedValueError(Message("invalid base58btc character {ch}", ch=repr(ch)))
        num = num * 58 + idx
    zeros = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * zeros + body


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if any(c in text for c in "+/= \n\r\t"):
        raise MalformedValueError(Message("base64url value has characters outside the unpadded url-safe alphabet"))
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise MalformedValueError(Message("invalid base64url value")) from exc


def multibase_encode(data: bytes, base: str = "z") -> str:
    """Multibase-encode ``data``: ``z`` base58-btc or ``u`` base64url-nopad."""
    if base == "z":
        return "z" + b58encode(data)
    if base == "u":
        return "u" + b64url_encode(data)
    raise ValueError(f"unsupported multibase header {base!r}")


def multibase_decode(value: str, *, max_chars: int = MAX_MULTIBASE_CHARS) -> bytes:
    """Decode a multibase string with header ``z`` or ``u``; anything else is a MalformedValueError."""
    if not isinstance(value, str) or not value:
        raise MalformedValueError(Message("multibase value must be a non-empty string"))
    if len(value) > max_chars:
        raise MalformedValueError(Message("multibase value too long"))
    head, body = value[0], value[1:]
    if head == "z":
        return b58decode(body)
    if head == "u":
        return b64url_decode(body)
    raise MalformedValueError(Message("unsupported multibase header {head} (expected 'z' or 'u')", head=repr(head)))


def multihash(data: bytes, alg: str = "sha2-256") -> bytes:
    """A multihash (code, length, digest) of ``data``."""
    if alg == "sha2-256":
        return b"\x12\x20" + hashlib.sha256(data).digest()
    if alg == "sha2-384":
        return b"\x20\x30" + hashlib.sha384(data).digest()
    raise ValueError(f"unsupported multihash {alg!r}")


def digest_multibase(data: bytes, alg: str = "sha2-256") -> str:
    """``digestMultibase`` as VCDM 2.0 §5.3 / DI §2.3 (``u`` + base64url(multihash))."""
    return multibase_encode(multihash(data, alg), "u")
