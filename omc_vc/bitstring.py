"""W3C Bitstring Status List v1.0 (REC 2025-05-15): the bitstring and the status entry, shared by both sides.

The plain model that the issuer (:mod:`omc_vc.issue.status_lists`, which builds entries and signs lists) and
the verifier (:mod:`omc_vc.checks.status`, the ``status`` check) both need: :func:`encode_bitstring`
compresses (§3.3), :func:`decode_bitstring` expands with a hard output cap (§3.4), :func:`get_status` and
:func:`set_status` read and write entries, and :func:`parse_entry` applies the §2.1 rules to one
``BitstringStatusListEntry``. It imports only errors, ``_internal`` and the model: no keys, no proofs, no
network.

Bits are MSB-first: index 0 is the left-most bit, i.e. ``0x80`` of byte 0 (§2.2 encodedList, §7.1).

>>> bits = bytearray(MIN_BITS // 8)
>>> set_status(bits, 94567, 1)
>>> encoded = encode_bitstring(bytes(bits))
>>> encoded[0], get_status(decode_bitstring(encoded), 94567), get_status(decode_bitstring(encoded), 94566)
('u', 1, 0)
>>> parse_entry({"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "94567",
...              "statusListCredential": "https://ex.ca/status/1"}).position
94567
"""

from __future__ import annotations

import re
import zlib
from typing import Any, NamedTuple

from omc_vc._internal.multibase import multibase_decode, multibase_encode
from omc_vc.errors import MalformedValueError, StatusError
from omc_vc.i18n import Message
from omc_vc.model import is_url

__all__ = [
    "DEFAULT_MAX_BITSTRING_BYTES",
    "ENTRY_TYPE",
    "KNOWN_PURPOSES",
    "LIST_CREDENTIAL_TYPE",
    "LIST_TYPE",
    "MIN_BITS",
    "StatusEntry",
    "check_entry_shape",
    "decode_bitstring",
    "encode_bitstring",
    "get_status",
    "parse_entry",
    "set_status",
]

#: §3.2 step 2: minimumNumberOfEntries (16KB of one-bit entries).
MIN_BITS = 131072
#: Output cap of the Bitstring Expansion Algorithm (a gzip bomb stops here).
DEFAULT_MAX_BITSTRING_BYTES = 16 * 1024 * 1024

ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_TYPE = "BitstringStatusList"
KNOWN_PURPOSES = ("refresh", "revocation", "suspension", "message")

_INDEX = re.compile(r"[0-9]{1,20}")
_HEX_STATUS = re.compile(r"0x[0-9a-fA-F]{1,16}")
_MAX_STATUS_SIZE = 16  # 2**16 statusMessage entries already exceed any document size cap


def malformed(detail: str) -> StatusError:
    """A StatusError with the spec's MALFORMED_VALUE_ERROR code (§3 preamble)."""
    return StatusError(detail, code="MALFORMED_VALUE_ERROR")


# --- the bitstring ---------------------------------------------------------------------------------

def encode_bitstring(bits: bytes) -> str:
    """§3.3 step 3: GZIP (RFC 1952) the bitstring, then multibase base64url without padding (``u``).

    The gzip member is deterministic (mtime 0), so one bitstring always encodes to the same text.
    """
    if not isinstance(bits, bytes | bytearray):
        raise StatusError(Message("a bitstring is bytes, not {kind}",
                                  kind=type(bits).__name__), code="MALFORMED_VALUE_ERROR")
    # wbits=31: a gzip header and trailer (16) around a 32K-window deflate stream (15)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = compressor.compress(bytes(bits)) + compressor.flush()
    return multibase_encode(data, "u")


def decode_bitstring(encoded: str, *, max_bytes: int = DEFAULT_MAX_BITSTRING_BYTES) -> bytes:
    """§3.4 Bitstring Expansion: multibase-decode (``u`` only) then gunzip, never past ``max_bytes``.

    Raises :class:`StatusError` with code ``MALFORMED_VALUE_ERROR`` for anything that is not
    base64url-nopad gzip, and for a bitstring that would expand beyond ``max_bytes`` (a gzip bomb):
    decompression stops at the cap instead of allocating the bomb's output.
    """
    if not isinstance(encoded, str) or not encoded:
        raise malformed(Message("encodedList must be a non-empty string"))
    # §2.2: "MUST be a Multibase-encoded base64url (with no padding)" -- base58 and others are refused
    if not encoded.startswith("u"):
        raise malformed(Message("encodedList must be multibase base64url (header 'u'), not header {encoded}",
                                encoded=repr(encoded[:1])))
    if max_bytes < 1:
        raise StatusError(Message("max_bytes must be positive"), code="CONFIG_ERROR")
    try:
        compressed = multibase_decode(encoded, max_chars=2 * max_bytes + 4096)
    except MalformedValueError as exc:
        raise malformed(Message("encodedList: {detail}", detail=exc.detail)) from exc
    if not compressed:
        raise malformed(Message("encodedList is empty"))
    out = bytearray()
    remaining = compressed
    # RFC 1952 §2.2: a gzip file is a series of members; each is decompressed in turn
    while remaining:
        inflater = zlib.decompressobj(31)  # gzip framing only: zlib or raw deflate are refused
        try:
            # ask for at most one byte past the cap: getting it proves the bomb without inflating it
            chunk = inflater.decompress(remaining, max_bytes - len(out) + 1)
        except zlib.error as exc:
            raise malformed(Message("encodedList is not GZIP data: {why}", why=str(exc))) from exc
        out += chunk
        if len(out) > max_bytes:
            raise malformed(Message("encodedList expands to more than {limit} bytes (a compression bomb)",
                                    limit=max_bytes))
        if not inflater.eof:
            raise malformed(Message("encodedList is a truncated GZIP stream"))
        remaining = inflater.unused_data
    if not out:
        raise malformed(Message("encodedList expands to an empty bitstring"))
    return bytes(out)


def _check_position(bitstring_bits: int, index: int, size: int) -> tuple[int, int]:
    if isinstance(index, bool) or not isinstance(index, int) or isinstance(size, bool) or not isinstance(size, int):
        raise malformed(Message("a status index and size must be integers"))
    if size < 1:
        raise malformed(Message("statusSize must be an integer greater than zero, not {size}", size=str(size)))
    if index < 0:
        raise StatusError(Message("status index {index} is negative", index=str(index)), code="RANGE_ERROR")
    # §3.2 step 10: the entry occupies bits [index*size, index*size + size)
    start = index * size
    end = start + size
    if end > bitstring_bits:
        raise StatusError(Message("status index {index} (size {size}) is outside the {bits}-bit list",
                                  index=str(index), size=size, bits=bitstring_bits),
                          code="RANGE_ERROR")
    return start, end


def get_status(bitstring: bytes, index: int, size: int = 1) -> int:
    """The value of entry ``index`` (``size`` bits, MSB-first, first bit most significant).

    >>> get_status(bytes([0b00100000]), 2), get_status(bytes([0b00100000]), 1, size=2)
    (1, 2)
    """
    start, end = _check_position(len(bitstring) * 8, index, size)
    value = 0
    for position in range(start, end):
        # §2.2 encodedList: index 0 is the left-most bit, so bit i is 0x80 >> (i % 8) of byte i // 8
        value = (value << 1) | ((bitstring[position >> 3] >> (7 - (position & 7))) & 1)
    return value


def set_status(bitstring: bytearray, index: int, value: int, size: int = 1) -> None:
    """Set entry ``index`` (``size`` bits, MSB-first) to ``value`` in place.

    >>> bits = bytearray(2)
    >>> set_status(bits, 9, 1); bits.hex()
    '0040'
    """
    if not isinstance(bitstring, bytearray):
        raise StatusError(Message("set_status needs a bytearray (it edits the bitstring in place)"),
                          code="MALFORMED_VALUE_ERROR")
    start, end = _check_position(len(bitstring) * 8, index, size)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < (1 << size):
        raise StatusError(Message("status value {value} does not fit in {size} bit(s)", value=repr(value),
                                  size=size), code="RANGE_ERROR")
    for offset, position in enumerate(range(start, end)):
        bit = (value >> (size - 1 - offset)) & 1
        mask = 0x80 >> (position & 7)
        if bit:
            bitstring[position >> 3] |= mask
        else:
            bitstring[position >> 3] &= ~mask & 0xFF


# --- the status entry ------------------------------------------------------------------------------

class StatusEntry(NamedTuple):  # a tuple: built for every entry of every credential checked
    """One ``BitstringStatusListEntry`` as :func:`parse_entry` read it (§2.1)."""

    purpose: str
    position: int  # statusListIndex
    list_url: str
    size: int
    messages: dict[int, str] | None


def parse_entry(entry: Any) -> StatusEntry:
    """§2.1 constraints on one entry; every violation is a MALFORMED_VALUE_ERROR (§3 preamble)."""
    if not isinstance(entry, dict):
        raise malformed(Message("credentialStatus entries must be objects"))
    if entry.get("type") != ENTRY_TYPE:
        # another status mechanism (or none named): it cannot be checked here, so it fails closed
        raise StatusError(Message("status type {type} is not supported (only {entry_type}); the credential's status "
                                  "cannot be established", type=repr(entry.get("type")),
                                  entry_type=ENTRY_TYPE), code="STATUS_VERIFICATION_ERROR")
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise malformed(Message("statusPurpose must be a string"))
    raw_index = entry.get("statusListIndex")
    # "an arbitrary size integer greater than or equal to 0, expressed as a string in base 10"
    if not isinstance(raw_index, str) or not _INDEX.fullmatch(raw_index):
        raise malformed(Message("statusListIndex must be a base-10 string of digits, not {raw_index}",
                                raw_index=repr(raw_index)))
    list_url = entry.get("statusListCredential")
    if not is_url(list_url):
        raise malformed(Message("statusListCredential {list_url} is not a URL", list_url=repr(list_url)))
    assert isinstance(list_url, str)
    if "id" in entry and (not is_url(entry["id"]) or entry["id"] == list_url):
        raise malformed(Message("the entry's id must be a URL and MUST NOT be the status list URL"))
    size = entry.get("statusSize", 1)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise malformed(Message("statusSize must be an integer greater than zero, not {size}", size=repr(size)))
    if size > _MAX_STATUS_SIZE:
        raise malformed(Message("statusSize {size} would need {count}+ statusMessage entries", size=size,
                                count=2 ** _MAX_STATUS_SIZE))
    messages: dict[int, str] | None = None
    if "statusMessage" in entry:
        messages = _parse_messages(entry["statusMessage"], size)
    elif size > 1:
        raise malformed(Message("statusMessage MUST be present when statusSize is greater than 1"))
    return StatusEntry(purpose, int(raw_index), list_url, size, messages)


def check_entry_shape(entry: Any) -> None:
    """§2.1 shape of one entry, for issuers and the VC-API: raise StatusError (MALFORMED_VALUE_ERROR) if an entry typed
    BitstringStatusListEntry is malformed. Entries of other types are left to their own mechanism."""
    if isinstance(entry, dict) and entry.get("type") == ENTRY_TYPE:
        parse_entry(entry)


def _parse_messages(value: Any, size: int) -> dict[int, str]:
    # §2.1 statusMessage: an array with one element per possible value, each {status: "0x..", message}
    if not isinstance(value, list) or len(value) != 1 << size:
        raise malformed(Message("statusMessage must be an array of {count} entries for statusSize {size}",
                                count=1 << size, size=size))
    out: dict[int, str] = {}
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("status"), str) \
                or not isinstance(item.get("message"), str) or not _HEX_STATUS.fullmatch(item["status"]):
            raise malformed(Message("each statusMessage needs a 'status' like '0x1' and a 'message' string"))
        code = int(item["status"], 16)
        if code >= 1 << size or code in out:
            raise malformed(Message("statusMessage status {status} is out of range or repeated", status=item["status"]))
        out[code] = item["message"]
    return out
