"""QR codes for credentials: the versioned link-mode payload, drawing QR images and reading them back.

Two sharing modes (``docs/qr-format.md`` is the normative description):

link mode (default)
    ``{base_url}/v#01<digits>``: the whole signed credential (or presentation) travels in the URL
    *fragment*, which browsers never send to a server. ``01`` is the format version; the digits are
    the document compressed with raw DEFLATE (RFC 1951) and a preset dictionary of common VC, Open
    Badges and OMC strings (:data:`DICTIONARY_V1`), written as decimal digits, seven bytes per
    seventeen digits. Digits survive every camera app and browser unchanged (no space, no ``%``) and
    QR codes store them in numeric mode at 3.33 bits a digit, about 8.1 bits per payload byte,
    against 10.7 for base64url in byte mode.
short mode
    ``{service}/s/{id}``: a short https URL to a copy the learner chose to host on a verifier
    service (see :mod:`omc_vc.wallet`); only the URL is in the QR code.

:func:`decode_payload` is bomb-safe: the fragment length is capped before anything is decoded and
decompression stops at :data:`MAX_PAYLOAD_BYTES`.

>>> doc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}
>>> link = encode_link(doc, "https://verify.example.ca")
>>> link.startswith("https://verify.example.ca/v#01")
True
>>> decode_payload(link) == doc
True
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from omc_vc._internal import atomic
from omc_vc._internal.jsonio import loads
from omc_vc._internal.multibase import b64url_encode
from omc_vc.errors import InputError, QrError
from omc_vc.i18n import Message
from omc_vc.proofs.jose import is_jwt

__all__ = [
    "CAPTURE_PX_PER_MM",
    "DICTIONARY_V1",
    "DICTIONARY_V1_SHA256",
    "FORMAT_V1",
    "MAX_FRAGMENT_CHARS",
    "MAX_PAYLOAD_BYTES",
    "PROFILES",
    "ErrorCorrection",
    "ImageKind",
    "QrMode",
    "QrProfile",
    "QrSymbol",
    "check_verifier_url",
    "decode_fragment",
    "decode_payload",
    "encode_fragment",
    "encode_link",
    "link_fragment",
    "make_qr_image",
    "mode_of",
    "qr_version_for",
    "read_qr_image",
    "short_link_share_url",
    "symbol",
]

ImageKind = Literal["png", "svg"]

#: The format-version prefix of a link-mode fragment (docs/qr-format.md §2).
FORMAT_V1: Final = "01"
#: Decompressed payloads larger than this are refused (a credential is 2-10 KB).
MAX_PAYLOAD_BYTES: Final = 256 * 1024
#: Longest fragment accepted before decoding (a version-40 QR code holds 7,089 digits).
MAX_FRAGMENT_CHARS: Final = 64_000
#: Link mode path on the verifier service ([web]).
LINK_PATH: Final = "/v"
#: Short mode path on the verifier service ([web]).
SHORT_PATH: Final = "/s/"

# Payload tags: the first byte of the decompressed data (docs/qr-format.md §3).
_TAG_JSON: Final = 0x7B  # '{': the JSON text of a credential or presentation, UTF-8
_TAG_JWS_BINARY: Final = 0x00  # a compact JWS with its three segments base64url-decoded
_TAG_JWS_TEXT: Final = 0x65  # 'e' (every compact JWS starts "ey"): the token as text

# Decimal grouping: a group of k bytes (k = 1..7) is written as DIGITS[k] digits, zero-padded.
_GROUP_BYTES: Final = 7
_DIGITS_FOR: Final[dict[int, int]] = {k: len(str(256**k - 1)) for k in range(1, _GROUP_BYTES + 1)}
_BYTES_FOR: Final[dict[int, int]] = {d: k for k, d in _DIGITS_FOR.items()}
_FULL_GROUP_DIGITS: Final = _DIGITS_FOR[_GROUP_BYTES]  # 17

# The preset dictionary, version 1. FROZEN: changing one byte changes what every "01" link decodes to;
# a new dictionary needs a new format version. DEFLATE finds matches anywhere in the last 32 KiB, and
# the nearest strings code shortest, so the most frequent strings come last.
DICTIONARY_V1: Final[bytes] = "".join((
    "BitstringStatusListCredential", "revocationsuspension", '"type":"IdentityObject","hashed":false,',
    '"identityType":"emailAddress","identityHash":"', '"alignment":[{"type":["Alignment"],',
    '"targetType":"ceterms:Credential","targetFramework":"', '"targetCode":"', '"targetName":"',
    '"targetUrl":"https://', '"resultDescription":', '"endorsement":[', '"evidence":[{"type":["Evidence"],',
    '"creditTransfer":[{"type":"CreditTransferPathway","receivingInstitution":"', '","program":"',
    '","creditGranted":', ',"agreementReference":"', '"stacksInto":[{"id":"https://',
    '","type":"StackingTarget","name":"', '","awardingInstitution":"', '"creditValue":', '"creditRequired":',
    '"creditDeterminedBy":"', '"awardedByIssuer":true', '"awardedByIssuer":false',
    '"summativeAssessment":{"type":"SummativeAssessment","description":"', '"evidenceUrl":"https://', '"cipCode":"',
    '"nocCodes":["', '"creditUnit":"', '"creditsAvailable":', '"instructionalHours":', '"durationWeeks":',
    '"qualificationCategory":"', '"deliveryMode":"online"', '"deliveryMode":"hybrid"', '"deliveryMode":"in-person"',
    '"inLanguage":"en"', '"inLanguage":"fr"', '"omcConsentReference":"', '"image":{"id":"https://',
    '","type":"Image"}', '"url":"https://', '"email":"', '"awardedDate":"', '"description":"',
    '"criteria":{"narrative":"', '"criteria":{"id":"https://', '"achievementType":"MicroCredential"',
    '"humanCode":"', '"fieldOfStudy":"', '"type":["VerifiablePresentation"],"holder":"did:key:z6Mk',
    '"verifiableCredential":[', '"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt,eyJ',
    '{"@context":["https://www.w3.org/ns/credentials/v2","https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"',
    ',"https://omc-vc.ca/contexts/omc/v1"],', '"id":"urn:uuid:',
    '"type":["VerifiableCredential","OpenBadgeCredential"]', ',"name":"', '"issuer":{"id":"did:web:',
    '","type":["Profile"],"name":"', '"validFrom":"20', '"validUntil":"20', 'T00:00:00Z"',
    '"credentialSubject":{"id":"did:key:z6Mk', '","type":["AchievementSubject"],"achievement":{"id":"https://',
    '","type":["Achievement"],', '"credentialStatus":{"id":"https://',
    '","type":"BitstringStatusListEntry","statusPurpose":"revocation",', '"statusListIndex":"',
    '","statusListCredential":"https://', "/status/", '"proof":{"type":"DataIntegrityProof",',
    '"cryptosuite":"eddsa-rdfc-2022",', '"cryptosuite":"ecdsa-rdfc-2019",', '"created":"20',
    '"verificationMethod":"did:web:', '#key-1",', '"verificationMethod":"did:key:z6Mk',
    '"proofPurpose":"authentication","challenge":"', '"domain":"',
    '"proofPurpose":"assertionMethod","proofValue":"z',
)).encode("utf-8")
#: SHA-256 of :data:`DICTIONARY_V1`, pinned by the tests and documented in docs/qr-format.md.
DICTIONARY_V1_SHA256: Final = "bc6bf36c5da119ef16d17d381ae01d8a0b203069e3a7d616153338a6177b3e05"

_DIGITS_RE: Final = re.compile(r"[0-9]*")
_SHORT_ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{4,128}")


# --- payload <-> bytes --------------------------------------------------------------------------------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 28:
            raise QrError(Message("the payload's length field is truncated"), code="QR_PAYLOAD_INVALID")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _b64url_strict(segment: str) -> bytes | None:
    """Decode a base64url segment only when re-encoding gives back exactly the same text."""
    import base64

    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        return None
    return raw if b64url_encode(raw) == segment else None


def _payload_bytes(payload: dict[str, Any] | str) -> bytes:
    if isinstance(payload, dict):
        try:
            # compact, key order kept: the decoded document is the same JSON value (docs/qr-format.md §3)
            text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            return text.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate: no UTF-8 form (I-JSON, RFC 7493 §2.1)
            raise QrError(Message("the document holds a string that is not Unicode text (an unpaired surrogate)"),
                          code="QR_PAYLOAD_INVALID") from exc
        except (TypeError, ValueError) as exc:
            raise QrError(Message("the document is not plain JSON: {why}", why=str(exc)),
                          code="QR_PAYLOAD_INVALID") from exc
    if isinstance(payload, str):
        token = payload.strip()
        if not is_jwt(token):
            raise QrError(Message("a string payload must be a compact JWS (a VC-JWT or VP-JWT)"),
                          code="QR_PAYLOAD_INVALID")
        parts = [_b64url_strict(p) for p in token.split(".")]
        if all(p is not None for p in parts):
            header, body, signature = (p or b"" for p in parts)
            return bytes([_TAG_JWS_BINARY]) + _varint(len(header)) + header + _varint(len(body)) + body + signature
        return token.encode("ascii")
    raise QrError(Message("cannot encode a {kind}: give a credential dict or a JWT", kind=type(payload).__name__),
                  code="QR_PAYLOAD_INVALID")


def _json_object(data: str | bytes, what: Message) -> dict[str, Any]:
    """A JSON object carried in a QR code (size and nesting capped), or QR_PAYLOAD_INVALID naming ``what``."""
    try:
        value = loads(data, max_bytes=MAX_PAYLOAD_BYTES, what=what)
    except InputError as exc:
        raise QrError(Message("{what} is not valid JSON: {why}", what=what, why=exc.detail),
                      code="QR_PAYLOAD_INVALID") from exc
    if not isinstance(value, dict):
        raise QrError(Message("{what} is not a JSON object", what=what), code="QR_PAYLOAD_INVALID")
    return value


def _payload_from_bytes(data: bytes) -> dict[str, Any] | str:
    if not data:
        raise QrError(Message("the payload is empty"), code="QR_PAYLOAD_INVALID")
    tag = data[0]
    if tag == _TAG_JSON:
        return _json_object(data, Message("the payload"))
    if tag == _TAG_JWS_BINARY:
        header_len, pos = _read_varint(data, 1)
        header = data[pos:pos + header_len]
        pos += header_len
        body_len, pos = _read_varint(data, pos)
        body = data[pos:pos + body_len]
        signature = data[pos + body_len:]
        if len(header) != header_len or len(body) != body_len or not header or not body:
            raise QrError(Message("the JWS payload is truncated"), code="QR_PAYLOAD_INVALID")
        return ".".join(b64url_encode(part) for part in (header, body, signature))
    if tag == _TAG_JWS_TEXT:
        try:
            token = data.decode("ascii")
        except UnicodeDecodeError as exc:
            raise QrError(Message("the JWT payload is not ASCII"), code="QR_PAYLOAD_INVALID") from exc
        if not is_jwt(token):
            raise QrError(Message("the payload is not a compact JWS"), code="QR_PAYLOAD_INVALID")
        return token
    raise QrError(Message("unknown payload tag {tag}", tag="0x" + format(tag, "02x")), code="QR_PAYLOAD_INVALID")


# --- bytes <-> digits ----------------------------------------------------------------------------------

def _to_digits(data: bytes) -> str:
    out = []
    for start in range(0, len(data), _GROUP_BYTES):
        chunk = data[start:start + _GROUP_BYTES]
        out.append(str(int.from_bytes(chunk, "big")).zfill(_DIGITS_FOR[len(chunk)]))
    return "".join(out)


def _from_digits(digits: str) -> bytes:
    full, rest = divmod(len(digits), _FULL_GROUP_DIGITS)
    if rest and rest not in _BYTES_FOR:
        raise QrError(Message("a fragment of {n} digits cannot be a whole number of byte groups", n=len(digits)),
                      code="QR_BAD_ALPHABET")
    out = bytearray()
    spans = [(i * _FULL_GROUP_DIGITS, _FULL_GROUP_DIGITS) for i in range(full)]
    if rest:
        spans.append((full * _FULL_GROUP_DIGITS, rest))
    for start, width in spans:
        size = _BYTES_FOR[width]
        value = int(digits[start:start + width])
        if value >= 256**size:
            raise QrError(Message("a digit group is out of range"), code="QR_BAD_ALPHABET")
        out += value.to_bytes(size, "big")
    return bytes(out)


# --- fragments and links -------------------------------------------------------------------------------

def encode_fragment(payload: dict[str, Any] | str) -> str:
    """The link-mode fragment (without ``#``) for a credential/presentation dict or a compact JWS."""
    raw = _payload_bytes(payload)
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise QrError(Message("the document is {size} bytes, over the {limit}-byte limit", size=len(raw),
                              limit=MAX_PAYLOAD_BYTES), code="QR_TOO_LARGE")
    # RFC 1951 raw DEFLATE (no zlib header or checksum: the signature protects the content), level 9,
    # preset dictionary version 1.
    compressor = zlib.compressobj(level=9, method=zlib.DEFLATED, wbits=-15, memLevel=9, zdict=DICTIONARY_V1)
    compressed = compressor.compress(raw) + compressor.flush()
    return FORMAT_V1 + _to_digits(compressed)


def decode_fragment(fragment: str) -> dict[str, Any] | str:
    """Decode a link-mode fragment (with or without the leading ``#``); raises QrError."""
    if not isinstance(fragment, str):
        raise QrError(Message("the fragment must be text"), code="QR_PAYLOAD_INVALID")
    text = fragment.strip().removeprefix("#")
    if len(text) > MAX_FRAGMENT_CHARS:
        raise QrError(Message("the fragment is {size} characters, over the {limit} limit", size=len(text),
                              limit=MAX_FRAGMENT_CHARS), code="QR_TOO_LARGE")
    if len(text) < 2 or not text[:2].isascii() or not text[:2].isdigit():
        raise QrError(Message("the fragment does not start with a two-digit format version"),
                      code="QR_UNKNOWN_FORMAT")
    version, body = text[:2], text[2:]
    if version != FORMAT_V1:
        raise QrError(Message("unknown link format version {version} (this omc-vc reads {known})",
                              version=repr(version), known=repr(FORMAT_V1)), code="QR_UNKNOWN_FORMAT")
    if not body or _DIGITS_RE.fullmatch(body) is None or not body.isascii():
        raise QrError(Message("a format-01 fragment holds only the digits 0-9"), code="QR_BAD_ALPHABET")
    compressed = _from_digits(body)
    decompressor = zlib.decompressobj(wbits=-15, zdict=DICTIONARY_V1)
    try:
        # bounded: never produce more than the cap, whatever the compression ratio (zip-bomb safety)
        raw = decompressor.decompress(compressed, MAX_PAYLOAD_BYTES + 1)
    except zlib.error as exc:
        raise QrError(Message("the fragment is not valid compressed data"), code="QR_PAYLOAD_INVALID") from exc
    if len(raw) > MAX_PAYLOAD_BYTES or decompressor.unconsumed_tail:
        raise QrError(Message("the payload expands to more than {limit} bytes", limit=MAX_PAYLOAD_BYTES),
                      code="QR_TOO_LARGE")
    if not decompressor.eof:
        raise QrError(Message("the compressed data is truncated"), code="QR_PAYLOAD_INVALID")
    if decompressor.unused_data:
        raise QrError(Message("the fragment has data after the end of the compressed stream"),
                      code="QR_PAYLOAD_INVALID")
    return _payload_from_bytes(raw)


def _check_base_url(base_url: str) -> str:
    try:
        parts = urlsplit(base_url)
        _ = parts.port
    except ValueError as exc:
        raise QrError(Message("base URL {url} is malformed", url=repr(base_url)), code="QR_BAD_BASE_URL") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.fragment or parts.query:
        raise QrError(Message("base URL {url} must be an http(s) URL without query or fragment", url=repr(base_url)),
                      code="QR_BAD_BASE_URL")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise QrError(Message("base URL {url}: plain http is allowed only for the local demo (127.0.0.1)",
                              url=repr(base_url)), code="QR_BAD_BASE_URL")
    return base_url.rstrip("/")


def encode_link(payload: dict[str, Any] | str, base_url: str) -> str:
    """The link-mode URL ``{base_url}/v#01...`` carrying the whole credential in its fragment."""
    return f"{_check_base_url(base_url)}{LINK_PATH}#{encode_fragment(payload)}"


def link_fragment(text: str) -> str | None:
    """The fragment of a URL (None when there is none)."""
    _, sep, fragment = text.partition("#")
    return fragment if sep else None


def short_link_share_url(url: str) -> str | None:
    """For a short-mode URL ``{service}/s/{id}``, the URL of the shared JSON (``{service}/shares/{id}``)."""
    try:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment or parts.query:
            return None
        _ = parts.port  # raises on a port out of range
    except ValueError:  # a malformed host or port is not a short link
        return None
    head, sep, share_id = parts.path.rpartition(SHORT_PATH)
    if not sep or _SHORT_ID_RE.fullmatch(share_id) is None:
        return None
    return f"{parts.scheme}://{parts.netloc}{head}/shares/{share_id}"


def decode_payload(text: str) -> dict[str, Any] | str:
    """Decode what a QR code or link holds: a whole link URL, its fragment, or the bare payload.

    Returns a credential/presentation dict or a compact JWS string. Raises QrError (a short-mode URL
    gives code ``QR_SHORT_LINK``: its content must be fetched).
    """
    if not isinstance(text, str):
        raise QrError(Message("the QR content must be text"), code="QR_PAYLOAD_INVALID")
    if len(text) > MAX_FRAGMENT_CHARS + 2048:
        raise QrError(Message("the QR content is too long"), code="QR_TOO_LARGE")
    stripped = text.strip()
    if stripped.startswith("{"):
        return _json_object(stripped, Message("the QR content"))
    if is_jwt(stripped):
        return stripped
    if stripped.lower().startswith(("https://", "http://")):
        fragment = link_fragment(stripped)
        if fragment:
            return decode_fragment(fragment)
        if short_link_share_url(stripped):
            raise QrError(Message("{url} is a short link: its credential is hosted and must be fetched", url=stripped),
                          code="QR_SHORT_LINK")
        raise QrError(Message("the URL carries no credential in its fragment"), code="QR_UNKNOWN_FORMAT")
    return decode_fragment(stripped)


# --- images --------------------------------------------------------------------------------------------
# The symbol each mode prints (docs/qr-format.md §4). A phone's camera app scans a printed code through a
# preview stream of about 1080 pixels across; held 25-30 cm away it sees about CAPTURE_PX_PER_MM pixels per
# printed millimetre, and blur, JPEG artefacts and a few degrees of rotation come with it. zxing-cpp reads
# codes so degraded from about 2.6 captured pixels per module; a 1 mm module gives 3 at that capture,
# and the measured smallest sizes are in docs/qr-format.md (tests/unit/test_qr_scan.py measures them).

QrMode = Literal["link", "short"]
ErrorCorrection = Literal["L", "M", "Q", "H"]

#: Captured pixels per printed millimetre the print sizes are chosen for (a phone ~30 cm from the page).
CAPTURE_PX_PER_MM: Final = 3.0
#: Resolution of the PNG files written: their pHYs chunk says so, so printing at 100 % gives the module size.
PNG_DPI: Final = 300
#: Modules of white around every symbol (ISO/IEC 18004 §6.3.8).
QUIET_ZONE: Final = 4


@dataclass(frozen=True)
class QrProfile:
    """How one mode's codes are drawn: error-correction level, printed module size, largest version."""

    mode: QrMode
    error_correction: ErrorCorrection
    module_mm: float
    max_version: int


#: link: level L. A link-mode code carries the whole credential (versions 20-25 for an OMC), so at a given
#: printed size each step up in level makes every module smaller; L's larger modules survive blur, JPEG and
#: rotation better than M's at the same size (measured: docs/qr-format.md §4). short: level Q. A short link
#: is a version 4-5 code either way, so the extra recovery for scuffed or folded paper costs little room.
PROFILES: Final[dict[QrMode, QrProfile]] = {
    "link": QrProfile("link", "L", 1.0, 40),
    "short": QrProfile("short", "Q", 1.0, 10),
}

_LINK_DIGITS_RE: Final = re.compile(r"#[0-9]{24,}$")


def mode_of(data: str) -> QrMode:
    """``link`` for a link-mode URL (the credential in its fragment), ``short`` for any other text."""
    return "link" if _LINK_DIGITS_RE.search(data.strip()) else "short"


@dataclass(frozen=True)
class QrSymbol:
    """A drawn QR code: its text, version, profile and module matrix (quiet zone included, True is dark)."""

    text: str
    version: int
    profile: QrProfile
    matrix: tuple[tuple[bool, ...], ...]

    @property
    def modules(self) -> int:
        """Modules across, quiet zone included."""
        return len(self.matrix)

    @property
    def printed_mm(self) -> float:
        """Printed width in millimetres, quiet zone included, at the profile's module size."""
        return round(self.modules * self.profile.module_mm, 1)

    def dark_runs(self) -> list[tuple[int, int, int]]:
        """Horizontal runs of dark modules as (x, y, length): the rectangles a vector drawing needs."""
        runs: list[tuple[int, int, int]] = []
        for y, row in enumerate(self.matrix):
            x = 0
            while x < len(row):
                if row[x]:
                    start = x
                    while x < len(row) and row[x]:
                        x += 1
                    runs.append((start, y, x - start))
                else:
                    x += 1
        return runs

    def svg(self, *, width: str | None = None, title: str | None = None) -> str:
        """A self-contained SVG (one path of unit squares, quiet zone included), ``width`` wide (CSS length;
        default: the printed size in mm). ``title`` is its accessible name (escaped here)."""
        from html import escape

        size = self.modules
        cells = "".join(f"M{x} {y}h{n}v1h-{n}z" if n > 1 else f"M{x} {y}h1v1h-1z" for x, y, n in self.dark_runs())
        shown = width or f"{self.printed_mm:g}mm"
        label = (f' role="img" aria-label="{escape(title, quote=True)}"><title>{escape(title)}</title'
                 if title else "")
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{shown}" '
                f'height="{shown}" shape-rendering="crispEdges"{label}>'
                f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{cells}"/></svg>')

    def image(self, box_px: int) -> Any:
        """A PIL image, ``box_px`` pixels per module."""
        from PIL import Image

        size = self.modules
        small = Image.new("L", (size, size), 255)
        small.putdata([0 if dark else 255 for row in self.matrix for dark in row])
        return small.resize((size * box_px, size * box_px), Image.Resampling.NEAREST)

    def png(self) -> bytes:
        """The PNG: PNG_DPI dots per inch, so printing at 100 % gives the profile's module size."""
        box = max(1, round(self.profile.module_mm * PNG_DPI / 25.4))
        dpi = box * 25.4 / self.profile.module_mm
        buffer = io.BytesIO()
        self.image(box).save(buffer, format="PNG", dpi=(dpi, dpi))
        return buffer.getvalue()


def _segments(data: str) -> list[Any]:
    from qrcode.util import MODE_8BIT_BYTE, MODE_NUMBER, QRData

    # A link's digits go in a numeric-mode segment (ISO/IEC 18004 §7.4.3), the URL before them in byte mode.
    match = re.search(r"[0-9]{24,}$", data)
    if match is None:
        return [QRData(data.encode("utf-8"), mode=MODE_8BIT_BYTE)]
    head, digits = data[:match.start()], match.group(0)
    segments = [QRData(head.encode("utf-8"), mode=MODE_8BIT_BYTE)] if head else []
    segments.append(QRData(digits.encode("ascii"), mode=MODE_NUMBER))
    return segments


def symbol(data: str, *, mode: QrMode | None = None, max_version: int = 40) -> QrSymbol:
    """Build the QR code of ``data`` with its mode's profile (``mode_of(data)`` unless given).

    Raises QR_TOO_LARGE when it does not fit in ``max_version`` (suggesting short mode for a link). A short-mode
    share's code keeps to its profile's ``max_version`` (the wallet passes it); other short links (an offer's deep
    link) may need more.
    """
    import qrcode
    from qrcode.exceptions import DataOverflowError

    if not 1 <= max_version <= 40:
        raise QrError(Message("max_version must be between 1 and 40"), code="QR_TOO_LARGE")
    profile = PROFILES[mode or mode_of(data)]
    levels = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
    code = qrcode.QRCode(version=None, error_correction=levels[profile.error_correction], box_size=1,
                         border=QUIET_ZONE)
    for segment in _segments(data):
        code.add_data(segment)
    short = profile.mode == "link"  # a link too large for a QR code fits as a short link
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError) as exc:
        overflow = (Message("{n} characters do not fit in any QR code (version 40, level {level}); use short mode "
                            "(--mode short)", n=len(data), level=profile.error_correction) if short
                    else Message("{n} characters do not fit in any QR code (version 40, level {level})", n=len(data),
                                 level=profile.error_correction))
        raise QrError(overflow, code="QR_TOO_LARGE") from exc
    if code.version > max_version:
        params = {"version": str(code.version), "max_version": str(max_version)}
        too_large = (Message("the QR code would be version {version}, over the maximum {max_version}; use short mode "
                             "(--mode short)", **params) if short
                     else Message("the QR code would be version {version}, over the maximum {max_version}", **params))
        raise QrError(too_large, code="QR_TOO_LARGE", version=code.version)
    matrix = tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())
    return QrSymbol(data, int(code.version), profile, matrix)


def qr_version_for(data: str) -> int:
    """The QR version (1-40) ``data`` needs with its mode's profile, without drawing it."""
    return symbol(data).version


def make_qr_image(data: str, out: Path, *, kind: ImageKind = "png", max_version: int = 40,
                  mode: QrMode | None = None) -> int:
    """Draw ``data`` as a QR code into ``out`` (PNG or SVG, at the mode's printed size), atomically.

    Returns the version. The mode is ``mode_of(data)`` unless given (docs/qr-format.md §4).
    """
    if kind not in ("png", "svg"):
        raise QrError(Message("unknown image kind {kind} (png or svg)", kind=repr(kind)), code="QR_BAD_IMAGE")
    drawn = symbol(data, mode=mode, max_version=max_version)
    content = drawn.png() if kind == "png" else drawn.svg().encode("utf-8")
    atomic.write_bytes(out, content)
    return drawn.version


# --- the verifier a printed code opens -------------------------------------------------------------------

_LOCAL_SUFFIXES: Final = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".localdomain", ".intranet")


def check_verifier_url(url: str, *, demo: bool = False) -> str:
    """The verifier service a QR code or certificate may point at, without a trailing slash.

    A printed code goes to employers' phones anywhere, so its verifier must be a public https service: a
    loopback, private, link-local or otherwise non-public address, or a name only a local network knows
    (``localhost``, ``*.local``, a name without a dot), is refused with ``VERIFIER_URL_NOT_PUBLIC``; anything
    but https with ``VERIFIER_URL_INVALID``. ``demo`` (the local demo) allows loopback and private addresses,
    over plain http too.

    >>> check_verifier_url("https://verify.example.ca/")
    'https://verify.example.ca'
    >>> check_verifier_url("http://127.0.0.1:8800", demo=True)
    'http://127.0.0.1:8800'
    """
    import ipaddress

    if not isinstance(url, str) or not url.strip():
        raise QrError(Message("no verifier URL given"), code="VERIFIER_URL_INVALID")
    text = url.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port
    except ValueError as exc:
        raise QrError(Message("verifier URL {url} is malformed", url=repr(text)), code="VERIFIER_URL_INVALID") from exc
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("https", "http") or not host or parts.query or parts.fragment or parts.username \
            or parts.password:
        raise QrError(Message("verifier URL {url} must be an https URL of a verifier service, without user, query "
                              "or fragment", url=repr(text)), code="VERIFIER_URL_INVALID")
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        local = not address.is_global
    else:
        local = host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "." not in host
    if local and not demo:
        raise QrError(Message("verifier URL {url} is a loopback, private or local-network address: an employer's "
                              "phone cannot open it. Set the public verifier (omc wallet settings --verifier-url "
                              "https://...), or use --demo for the local demo", url=repr(text)),
                      code="VERIFIER_URL_NOT_PUBLIC")
    if parts.scheme == "http" and not local:
        raise QrError(Message("verifier URL {url} must use https (plain http only for a local demo)", url=repr(text)),
                      code="VERIFIER_URL_INVALID")
    return text.rstrip("/")


# ASCII digits, a few of them: \d+ also takes other scripts' digits and numbers too long for int()
_SVG_CELL_RE: Final = re.compile(r"M([0-9]{1,6}) ([0-9]{1,6})h([0-9]{1,6})v1h-\3z")
_SVG_VIEWBOX_RE: Final = re.compile(r'viewBox="0 0 ([0-9]{1,6}) ([0-9]{1,6})"')
MAX_IMAGE_BYTES: Final = 20_000_000
MAX_IMAGE_PIXELS: Final = 40_000_000


def _rasterize_own_svg(text: str) -> Any:
    """Rasterize an SVG written by :meth:`QrSymbol.svg` (the only SVG shape we read)."""
    from PIL import Image, ImageDraw

    box = _SVG_VIEWBOX_RE.search(text)
    if box is None or box.group(1) != box.group(2) or not 21 <= int(box.group(1)) <= 400:
        raise QrError(Message("this SVG was not written by omc-vc; convert it to PNG to read it"), code="QR_BAD_IMAGE")
    size = int(box.group(1))
    scale = 6
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for match in _SVG_CELL_RE.finditer(text):
        x, y, n = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if x + n > size or y >= size or n < 1:
            raise QrError(Message("the SVG draws outside its viewBox"), code="QR_BAD_IMAGE")
        draw.rectangle((x * scale, y * scale, (x + n) * scale - 1, y * scale + scale - 1), fill=0)
    return image


def read_qr_image(path: Path, *, name: str | None = None) -> str:
    """Read the text of the one QR code in an image file (PNG, JPEG, ..., or an SVG we wrote), with zxing-cpp.

    ``name`` is what error messages call the file (default: its path); a service passes a neutral name so
    that its own temporary paths never reach the person who uploaded the image.
    """
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    target: Path | str = path if name is None else name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise QrError(Message("cannot read {target}: {why}", target=str(target), why=str(exc.strerror)),
                      code="QR_BAD_IMAGE") from exc
    if size > MAX_IMAGE_BYTES:
        raise QrError(Message("{target} is larger than {limit} bytes", target=str(target), limit=MAX_IMAGE_BYTES),
                      code="QR_BAD_IMAGE")
    raw = path.read_bytes()
    if path.suffix.lower() == ".svg" or raw.lstrip()[:5] in (b"<svg ", b"<?xml"):
        try:
            image = _rasterize_own_svg(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise QrError(Message("{target} is not a UTF-8 SVG file", target=str(target)), code="QR_BAD_IMAGE") from exc
    else:
        try:
            image = Image.open(io.BytesIO(raw))  # reads the header only
            # decompression-bomb guard: refuse huge pixel counts before decoding any pixel
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise QrError(Message("{target} is {size} pixels, too large to scan", target=str(target),
                                      size="x".join((str(image.width), str(image.height)))), code="QR_BAD_IMAGE")
            image.load()
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
            raise QrError(Message("{target} is not a readable image", target=str(target)), code="QR_BAD_IMAGE") from exc
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
    found = [b for b in zxingcpp.read_barcodes(image, formats=zxingcpp.barcode_formats_from_str("QRCode")) if b.valid]
    if not found:
        raise QrError(Message("no QR code found in {target}", target=str(target)), code="QR_NOT_FOUND")
    if len(found) > 1:
        raise QrError(Message("{target} holds {n} QR codes; crop it to one", target=str(target), n=len(found)),
                      code="QR_NOT_FOUND")
    return str(found[0].text)


def dictionary_sha256() -> str:
    """The SHA-256 of the version-1 preset dictionary (pinned in docs/qr-format.md and the tests)."""
    return hashlib.sha256(DICTIONARY_V1).hexdigest()
