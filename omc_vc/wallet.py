"""The learner's wallet: an encrypted folder of credentials, a holder key, presentations, stacks and sharing.

Layout of a wallet folder (``default_wallet_dir()`` unless the caller names one)::

    wallet.json          header: format, KDF parameters, holder DID, the holder key (encrypted)
    items/<id>.json      one encrypted record per credential (the credential, its verdict, its shares)

Encryption: scrypt (N=2^15, r=8, p=1, 16-byte salt) derives a 256-bit key from the passphrase; every
secret is sealed with AES-256-GCM under a fresh 96-bit nonce, with associated data binding it to its
place (the header for the holder key; the wallet id and item id for a record), so a record moved,
swapped, truncated or edited fails authentication instead of decrypting to something else. A wrong
passphrase is told apart from damage by the holder key, which every open decrypts first.

Nothing is lost: every file is written atomically (temp file, fsync, rename), each credential lives
in its own file so a write never touches what is already stored, and a damaged record is reported
and left in place, never overwritten or deleted silently.

Every import is verified by the caller's :class:`~omc_vc.verify.Verifier` and the verdict is stored
with the credential; :meth:`Wallet.recheck` verifies everything again and reports what changed.
"""

from __future__ import annotations

import copy
import errno
import hashlib
import json
import os
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import requests
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from omc_vc import qr
from omc_vc._internal import atomic
from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.jsonio import dumps_canonical_json, loads, loads_object
from omc_vc._internal.multibase import b64url_decode, b64url_encode
from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.errors import FetchError, InputError, KeyError_, MalformedValueError, QrError, WalletError
from omc_vc.i18n import DEFAULT_LANGUAGE, LANGUAGES, Message, Translator, translatable, translator
from omc_vc.keys import KeyPair
from omc_vc.model import VC_V2_CONTEXT, VerificationResult, as_list, issuer_id, subject_ids, types
from omc_vc.omc.model import is_omc_plus, is_omc_shaped
from omc_vc.omc.stacks import StackProgress, stack_progress
from omc_vc.proofs import data_integrity, jose
from omc_vc.verdict import localized, verdict_of
from omc_vc.verify import Verifier

__all__ = [
    "CLR_INLINE_CONTEXT",
    "WALLET_FORMAT",
    "Change",
    "Share",
    "Wallet",
    "WalletCorruptError",
    "WalletItem",
    "WalletPassphraseError",
    "WalletSettings",
    "default_wallet_dir",
    "learner_name",
    "read_source",
    "verdict_record",
]

WALLET_FORMAT: Final = "omc-wallet/1"
ITEM_FORMAT: Final = "omc-wallet-item/1"
SETTINGS_FORMAT: Final = "omc-wallet-settings/1"
HEADER_FILE: Final = "wallet.json"
ITEMS_DIR: Final = "items"
MAX_WALLET_FILE_BYTES: Final = 2_000_000
MAX_SHARE_RESPONSE_BYTES: Final = 64 * 1024
_SCRYPT_N: Final = 2**15
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
# Checks whose failure means the document itself is not a genuine credential: never stored.
_REJECTING_CHECKS: Final = frozenset({"parse", "data-model", "data-loss", "proof", "issuer-key-binding"})
_ITEM_ID: Final = re.compile(r"[0-9a-f]{12}")
_IMAGE_SUFFIXES: Final = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".svg"})


class WalletPassphraseError(WalletError):
    """The passphrase does not open this wallet."""

    default_code = "WALLET_WRONG_PASSPHRASE"
    title = "Wrong wallet passphrase"


class WalletCorruptError(WalletError):
    """A wallet file fails authentication or cannot be parsed (tampered, truncated)."""

    default_code = "WALLET_CORRUPT"
    title = "Wallet file damaged"


def default_wallet_dir() -> Path:
    """The per-user wallet folder: the platform's user-data directory (platformdirs) + ``omc-vc/wallet``."""
    import platformdirs

    return Path(platformdirs.user_data_path("omc-vc")) / "wallet"


# --- small helpers ---------------------------------------------------------------------------------------

def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> dict[str, str]:
    nonce = os.urandom(12)
    return {"nonce": b64url_encode(nonce), "ciphertext": b64url_encode(AESGCM(key).encrypt(nonce, plaintext, aad))}


def _open_sealed(key: bytes, sealed: Any, aad: bytes) -> bytes:
    """Decrypt; raises InvalidTag on a wrong key or any change, MalformedValueError on a bad shape."""
    if not isinstance(sealed, dict):
        raise MalformedValueError(Message("sealed value is not an object"))
    nonce = b64url_decode(str(sealed.get("nonce", "")))
    ciphertext = b64url_decode(str(sealed.get("ciphertext", "")))
    if len(nonce) != 12 or len(ciphertext) < 16:
        raise MalformedValueError(Message("sealed value has a bad nonce or ciphertext length"))
    return AESGCM(key).decrypt(nonce, ciphertext, aad)


def _write(path: Path, data: bytes) -> None:
    """Atomic write (temp + fsync + rename); a failure leaves the previous file untouched."""
    try:
        atomic.write_bytes(path, data, mode=0o600)
    except OSError as exc:
        why = Message("the disk is full") if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise WalletError(Message("cannot write {name}: {why}; nothing already stored was changed",
                                  name=path.name, why=why), code="WALLET_WRITE_ERROR") from exc


def _read_json_file(path: Path, what: Message) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise WalletError(Message("{what} {path} does not exist", what=what, path=str(path)),
                          code="WALLET_NOT_FOUND") from exc
    except OSError as exc:
        raise WalletError(Message("cannot read {what} {path}: {why}", what=what, path=str(path), why=str(exc.strerror)),
                          code="WALLET_READ_ERROR") from exc
    try:
        return loads_object(raw, max_bytes=MAX_WALLET_FILE_BYTES, what=f"{what} {path.name}")
    except InputError as exc:
        raise WalletCorruptError(Message("{what} {path} is damaged (truncated or edited: {why}); it was left as it is",
                                         what=what, path=str(path), why=exc.detail)) from exc


def _payload_id(payload: dict[str, Any] | str) -> str:
    """A stable short id: the first 12 hex digits of SHA-256 of the JWT, or of the credential's sorted JSON."""
    text = payload if isinstance(payload, str) else dumps_canonical_json(payload)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _name_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("@value"), str):
        return str(value["@value"])
    if isinstance(value, list) and value:
        return _name_of(value[0])
    return None


def _subject(document: dict[str, Any]) -> dict[str, Any]:
    subjects = [s for s in as_list(document.get("credentialSubject")) if isinstance(s, dict)]
    return subjects[0] if subjects else {}


def _achievement(document: dict[str, Any]) -> dict[str, Any]:
    achievement = _subject(document).get("achievement")
    return achievement if isinstance(achievement, dict) else {}


def learner_name(document: dict[str, Any]) -> str | None:
    """The learner's name a credential states: ``credentialSubject.name``, else the subject's OB 3.0
    IdentityObject of identityType ``name`` written in clear (``hashed`` false; OB 3.0 §B.1.4)."""
    subject = _subject(document)
    named = _name_of(subject.get("name"))
    if named and named.strip():
        return named.strip()
    for identity in as_list(subject.get("identifier")):
        if (isinstance(identity, dict) and identity.get("identityType") == "name" and identity.get("hashed") is False
                and isinstance(identity.get("identityHash"), str) and identity["identityHash"].strip()):
            return str(identity["identityHash"]).strip()
    return None


def _same_name(a: str, b: str) -> bool:
    """Names compared as a person would: case, accents' encoding (NFKC) and spacing aside."""
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return norm(a) == norm(b)


def _result_text(document: dict[str, Any]) -> str | None:
    """The learner's result (OB 3.0 ``credentialSubject.result``: each Result's value, status or level)."""
    shown = []
    for result in as_list(_subject(document).get("result")):
        if isinstance(result, dict):
            value = next((result[k] for k in ("value", "status", "achievedLevel") if result.get(k) not in (None, "")),
                         None)
            if value is not None:
                shown.append(str(value))
        elif isinstance(result, str):
            shown.append(result)
    return "; ".join(shown) or None


def _day(value: Any) -> str | None:
    """The date part of an XML Schema dateTime (``2026-06-15T00:00:00Z`` -> ``2026-06-15``)."""
    if not isinstance(value, str) or not value.strip():
        return None
    match = re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip())
    return match.group(0) if match else value.strip()


# --- verdicts --------------------------------------------------------------------------------------------

def verdict_record(result: VerificationResult, *, now: datetime | None = None) -> dict[str, Any]:
    """What the wallet stores and shows about a verification: the verdict in words and the plain facts.

    The verdict (``valid-omc``, ``valid-omc-plus``, ``valid-not-omc``, ``invalid``, headline, reason and
    the institution's name as the registry records it) comes from :func:`omc_vc.verdict.verdict_of`;
    the flags say which of the checks failed, so the wallet can show "revoked" or "expired" plainly.
    ``translations`` holds the verdict's words in each other language omc-vc speaks (``{"fr": {headline, reason,
    warnings}}``), rendered while the verdict's sentences still carry their parameters, so a certificate in the
    credential's language can show them later.
    """
    codes = {c.code for c in result.checks if c.failed and c.code}
    document = result.document if isinstance(result.document, dict) else {}
    verdict = verdict_of(result)
    record: dict[str, Any] = verdict.to_json()
    record["translations"] = {language: {"headline": words.headline, "reason": words.reason,
                                         "warnings": list(words.warnings)}
                              for language in LANGUAGES if language != DEFAULT_LANGUAGE
                              for words in (localized(verdict, language),)}
    record.update({
        "verified": result.verified,
        "revoked": "CREDENTIAL_REVOKED" in codes,
        "suspended": "CREDENTIAL_SUSPENDED" in codes,
        "expired": "CREDENTIAL_EXPIRED" in codes,
        "notYetValid": "CREDENTIAL_NOT_YET_VALID" in codes,
        "omcShaped": is_omc_shaped(document),
        "omcPlusClaim": is_omc_plus(document),
        "checks": {c.name: c.status for c in result.checks},
        "checkedAt": format_datetime(now or utcnow()),
    })
    registry = result.details.get("registry")
    institution = registry.get("institution") if isinstance(registry, dict) else None
    if isinstance(institution, dict) and isinstance(institution.get("verifier"), str):
        record["institutionVerifier"] = institution["verifier"]
    return record


# --- records ----------------------------------------------------------------------------------------------

@dataclass
class Share:
    """A short-mode share: a copy hosted on a verifier service until it expires or is withdrawn."""

    id: str
    url: str
    service: str
    expires: str
    withdraw_token: str
    withdrawn: bool = False

    def to_json(self, *, include_secret: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "url": self.url, "service": self.service, "expires": self.expires,
                               "withdrawn": self.withdrawn}
        if include_secret:
            out["withdrawToken"] = self.withdraw_token
        return out

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Share:
        return cls(id=str(value["id"]), url=str(value["url"]), service=str(value["service"]),
                   expires=str(value["expires"]), withdraw_token=str(value["withdrawToken"]),
                   withdrawn=bool(value.get("withdrawn", False)))


@dataclass
class WalletItem:
    """One stored credential: as received (dict or JWT), its decoded document, its verdict and shares."""

    id: str
    credential: dict[str, Any] | str
    document: dict[str, Any]
    format: Literal["di", "jwt"]
    imported: str
    source: str
    verdict: dict[str, Any]
    shares: list[Share] = field(default_factory=list)
    #: Why the credential does not look like this wallet's learner's (None when it does): its subject is
    #: neither the holder DID nor the learner name the wallet was set up with.
    subject_flag: str | None = None
    #: The flag in each other language omc-vc speaks, rendered when it was stored (a stored flag is text).
    subject_flag_translations: dict[str, str] = field(default_factory=dict)

    def subject_flag_in(self, words: Translator) -> str | None:
        """:attr:`subject_flag` in ``words``' language: rendered while it is still our message, else as it was
        translated when stored, else as stored."""
        if self.subject_flag is None:
            return None
        if translatable(self.subject_flag):
            return words.render(self.subject_flag)
        return self.subject_flag_translations.get(words.language, self.subject_flag)

    @property
    def name(self) -> str:
        return (_name_of(_achievement(self.document).get("name")) or _name_of(self.document.get("name"))
                or "(unnamed credential)")

    @property
    def issuer_name(self) -> str:
        issuer = self.document.get("issuer")
        claimed = _name_of(issuer.get("name")) if isinstance(issuer, dict) else None
        return str(self.verdict.get("institution") or claimed or issuer_id(self.document) or "?")

    @property
    def learner(self) -> str | None:
        """The learner's name as the credential states it (:func:`learner_name`)."""
        return learner_name(self.document)

    def facts(self) -> dict[str, Any]:
        """The credential's facts as a person reads them (values as the document wrote them; not yet inert).

        ``institution`` is the name the registry records when a registry confirmed the issuer
        (``institutionConfirmed``), else the name the credential claims.
        """
        doc = self.document
        achievement = _achievement(doc)
        credits = " ".join(str(v) for v in (achievement.get("creditsAvailable"), achievement.get("creditUnit"))
                           if v is not None) or None
        assessment = achievement.get("summativeAssessment")
        targets = []
        for target in as_list(achievement.get("stacksInto")):
            if isinstance(target, dict):
                targets.append({k: target[k] for k in ("name", "id", "awardingInstitution", "program", "creditValue",
                                                       "creditRequired", "creditUnit") if target.get(k) is not None})
        return {
            "learner": self.learner, "subject": next(iter(subject_ids(doc)), None),
            "achievement": self.name, "description": _name_of(achievement.get("description")),
            "institution": self.issuer_name, "institutionConfirmed": bool(self.verdict.get("institution")),
            "achievementType": achievement.get("achievementType"), "humanCode": achievement.get("humanCode"),
            "hours": achievement.get("instructionalHours"), "weeks": achievement.get("durationWeeks"),
            "category": achievement.get("qualificationCategory"), "deliveryMode": achievement.get("deliveryMode"),
            "credits": credits, "result": _result_text(doc),
            "completed": _day(_subject(doc).get("activityEndDate")),
            "issued": _day(doc.get("validFrom") or doc.get("awardedDate") or doc.get("issuanceDate")),
            "validUntil": _day(doc.get("validUntil") or doc.get("expirationDate")),
            "cip": achievement.get("cipCode"),
            "noc": ", ".join(str(c) for c in as_list(achievement.get("nocCodes"))) or None,
            "assessment": assessment.get("description") if isinstance(assessment, dict) else None,
            "stacksInto": targets, "credentialId": doc.get("id") if isinstance(doc.get("id"), str) else None,
        }

    def to_record(self) -> dict[str, Any]:
        record = {"id": self.id, "credential": self.credential, "document": self.document, "format": self.format,
                  "imported": self.imported, "source": self.source, "verdict": self.verdict,
                  "shares": [s.to_json(include_secret=True) for s in self.shares]}
        if self.subject_flag is not None:
            record["subjectFlag"] = self.subject_flag
            record["subjectFlagTranslations"] = {
                language: self.subject_flag_in(translator(language)) for language in LANGUAGES
                if language != DEFAULT_LANGUAGE}
        return record

    def summary(self) -> dict[str, Any]:
        """What ``list --json`` shows: no credential body, no share secrets."""
        facts = self.facts()
        return {"id": self.id, "name": self.name, "issuer": issuer_id(self.document), "institution": self.issuer_name,
                "learner": facts["learner"], "hours": facts["hours"], "result": facts["result"],
                "completed": facts["completed"], "issued": facts["issued"], "validUntil": facts["validUntil"],
                "format": self.format, "imported": self.imported, "status": self.verdict.get("status"),
                "headline": self.verdict.get("headline"), "revoked": self.verdict.get("revoked", False),
                "suspended": self.verdict.get("suspended", False), "expired": self.verdict.get("expired", False),
                "checkedAt": self.verdict.get("checkedAt"), "flagged": self.subject_flag is not None,
                "subjectFlag": self.subject_flag}

    @classmethod
    def from_record(cls, value: dict[str, Any]) -> WalletItem:
        try:
            fmt = value["format"]
            if fmt not in ("di", "jwt") or not isinstance(value["document"], dict):
                raise ValueError("bad format or document")
            return cls(id=str(value["id"]), credential=value["credential"], document=value["document"], format=fmt,
                       imported=str(value["imported"]), source=str(value["source"]), verdict=dict(value["verdict"]),
                       shares=[Share.from_json(s) for s in value.get("shares", [])],
                       subject_flag=None if value.get("subjectFlag") is None else str(value["subjectFlag"]),
                       subject_flag_translations={str(k): str(v) for k, v in
                                                  dict(value.get("subjectFlagTranslations") or {}).items()})
        except (KeyError, TypeError, ValueError) as exc:
            raise WalletCorruptError(Message("a wallet record has an unexpected shape")) from exc


@dataclass(frozen=True)
class Change:
    """What ``recheck`` found different for one credential."""

    id: str
    name: str
    before: str
    after: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "before": self.before, "after": self.after}


def _state_words(verdict: dict[str, Any]) -> str:
    flags = [name for name in ("revoked", "suspended", "expired", "notYetValid") if verdict.get(name)]
    return str(verdict.get("status", "?")) + (f" ({', '.join(flags)})" if flags else "")


# --- reading what the learner gives ---------------------------------------------------------------------

def _payload_from_text(text: str, what: str) -> dict[str, Any] | str:
    stripped = text.strip()
    if jose.is_jwt(stripped):
        return stripped
    try:
        return loads_object(stripped, what=what)
    except InputError as exc:
        raise WalletError(Message("{what} is neither a credential (JSON) nor a VC-JWT: {why}", what=what,
                                  why=exc.detail), code="WALLET_BAD_INPUT") from exc


def read_source(source: str, *, fetcher: Fetcher | None = None, stdin: Callable[[], bytes] | None = None
                ) -> tuple[dict[str, Any] | str, str]:
    """Turn what the learner gives into a payload: a file, a QR image, a URL (link or short), a JWT, or '-'.

    Returns ``(credential dict or JWT string, description of the source)``. URLs are fetched only
    through ``fetcher``; a link-mode URL is decoded offline from its fragment.
    """
    if source == "-":
        if stdin is None:
            raise WalletError(Message("no standard input to read from"), code="WALLET_BAD_INPUT")
        return _payload_from_text(stdin().decode("utf-8", errors="replace"), Message("standard input")), "stdin"
    text = source.strip()
    if text.lower().startswith(("https://", "http://")):
        fragment = qr.link_fragment(text)
        if fragment:
            return qr.decode_fragment(fragment), "link"
        share = qr.short_link_share_url(text)
        target = share or text
        if fetcher is None:
            raise WalletError(Message("fetching {target} needs the network (not --offline)", target=target),
                              code="WALLET_OFFLINE")
        response = fetcher.get_ok(target, accept="application/vc, application/vc+jwt, application/json, text/plain")
        try:
            body = response.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WalletError(Message("{target} did not answer with text", target=target),
                              code="WALLET_BAD_INPUT") from exc
        if share:
            shared = _payload_from_text(body, target)
            # the share API answers the credential itself; accept a {"credential": ...} wrapper too
            if isinstance(shared, dict) and "credential" in shared and "@context" not in shared:
                inner = shared["credential"]
                if not isinstance(inner, dict | str):
                    raise WalletError(Message("{target} holds no credential", target=target), code="WALLET_BAD_INPUT")
                return inner, text
            return shared, text
        return _payload_from_text(body, target), text
    if jose.is_jwt(text):
        return text, "jwt"
    path = Path(source)
    if path.is_file():
        if path.suffix.lower() in _IMAGE_SUFFIXES:
            content = qr.read_qr_image(path)
            try:
                return qr.decode_payload(content), f"qr:{path.name}"
            except QrError as exc:
                if exc.code != "QR_SHORT_LINK":
                    raise
                return read_source(content, fetcher=fetcher)[0], content
        if path.stat().st_size > MAX_WALLET_FILE_BYTES:
            raise WalletError(Message("{path} is too large to be a credential", path=str(path)),
                              code="WALLET_BAD_INPUT")
        return _payload_from_text(path.read_bytes().decode("utf-8", errors="replace"), str(path)), f"file:{path.name}"
    if text.startswith("{"):
        return _payload_from_text(text, Message("the argument")), "text"
    raise WalletError(Message("{source} is not a file, a URL or a JWT", source=repr(source)), code="WALLET_BAD_INPUT")


# --- the wallet -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WalletSettings:
    """The learner's choices, set once (``omc wallet init``, ``omc wallet settings``), sealed in the header.

    ``verifier_url``: the verifier service the wallet's QR codes and certificates point at (a public https
    service; loopback and private addresses only in a ``demo`` wallet). ``learner_name``: the name the
    learner's credentials carry, so one issued to that name without the holder DID is not flagged.
    """

    verifier_url: str | None = None
    learner_name: str | None = None
    demo: bool = False

    def checked(self) -> WalletSettings:
        """The same settings with the verifier URL checked (:func:`omc_vc.qr.check_verifier_url`) and tidied."""
        url = qr.check_verifier_url(self.verifier_url, demo=self.demo) if self.verifier_url else None
        name = " ".join(self.learner_name.split()) if self.learner_name else None
        if name is not None and (len(name) > 200 or not name.isprintable()):
            raise WalletError(Message("the learner name must be printable text of at most {limit} characters",
                                      limit=200), code="WALLET_BAD_INPUT")
        return WalletSettings(url, name or None, self.demo)

    def to_json(self) -> dict[str, Any]:
        return {"verifierUrl": self.verifier_url, "learnerName": self.learner_name, "demo": self.demo}

    @classmethod
    def from_json(cls, value: Any) -> WalletSettings:
        if not isinstance(value, dict):
            raise WalletCorruptError(Message("the wallet settings are damaged"))
        url, name = value.get("verifierUrl"), value.get("learnerName")
        return cls(url if isinstance(url, str) else None, name if isinstance(name, str) else None,
                   value.get("demo") is True)


class Wallet:
    """An opened wallet. Build with :meth:`create`, :meth:`open` or :meth:`open_or_create`."""

    def __init__(self, directory: Path, header: dict[str, Any], key: bytes, holder: KeyPair) -> None:
        self.directory = directory
        self._header = header
        self._key = key
        self._holder = holder
        self._settings = self._read_settings()

    # --- opening -----------------------------------------------------------------------------------
    @staticmethod
    def exists(directory: Path) -> bool:
        return (Path(directory) / HEADER_FILE).is_file()

    @staticmethod
    def _aad_header(header: dict[str, Any]) -> bytes:
        public = {k: header[k] for k in ("format", "walletId", "created", "kdf", "cipher", "holder")}
        return dumps_canonical_json(public).encode("utf-8")

    @classmethod
    def create(cls, directory: Path, passphrase: str, *, now: datetime | None = None,
               holder: KeyPair | None = None, settings: WalletSettings | None = None) -> Wallet:
        """A new wallet with a fresh Ed25519 did:key holder key. Refuses to overwrite an existing one."""
        folder = Path(directory)
        if cls.exists(folder):
            raise WalletError(Message("a wallet already exists in {folder}", folder=str(folder)), code="WALLET_EXISTS")
        if not passphrase:
            raise WalletError(Message("the passphrase is empty"), code="WALLET_BAD_PASSPHRASE")
        chosen = (settings or WalletSettings()).checked()  # before anything is written
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            # never take over (or chmod) a folder that holds something else, e.g. --wallet ~
            raise WalletError(Message("{folder} is not an empty folder; choose a new folder for the wallet",
                                      folder=str(folder)), code="WALLET_EXISTS")
        pair = holder or KeyPair.generate("ed25519")
        salt = os.urandom(16)
        header: dict[str, Any] = {
            "format": WALLET_FORMAT, "walletId": uuid.uuid4().hex, "created": format_datetime(now or utcnow()),
            "kdf": {"name": "scrypt", "n": _SCRYPT_N, "r": _SCRYPT_R, "p": _SCRYPT_P, "salt": b64url_encode(salt)},
            "cipher": "AES-256-GCM",
            "holder": {"id": pair.controller, "verificationMethod": pair.verification_method},
        }
        key = _derive(passphrase, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
        header["holderKey"] = _seal(key, pair.secret_multibase().encode("ascii"), cls._aad_header(header))
        header["settings"] = _seal(key, dumps_canonical_json(chosen.to_json()).encode("utf-8"),
                                   cls._aad_settings(header))
        (folder / ITEMS_DIR).mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        _write(folder / HEADER_FILE, (json.dumps(header, indent=2) + "\n").encode("utf-8"))
        return cls(folder, header, key, pair)

    @staticmethod
    def _aad_settings(header: dict[str, Any]) -> bytes:
        return f"{SETTINGS_FORMAT}|{header['walletId']}".encode()

    def _read_settings(self) -> WalletSettings:
        sealed = self._header.get("settings")
        if sealed is None:  # a wallet made before settings existed
            return WalletSettings()
        try:
            plaintext = _open_sealed(self._key, sealed, self._aad_settings(self._header))
            return WalletSettings.from_json(loads_object(plaintext, max_bytes=64 * 1024, what="wallet settings"))
        except (InvalidTag, MalformedValueError, InputError) as exc:
            raise WalletCorruptError(Message("the wallet settings in {path} fail authentication (tampered or "
                                             "truncated); they were left as they are",
                                             path=str(self.directory / HEADER_FILE))) from exc

    # --- settings ----------------------------------------------------------------------------------
    @property
    def settings(self) -> WalletSettings:
        return self._settings

    def update_settings(self, settings: WalletSettings) -> WalletSettings:
        """Replace the settings (checked first; the header is rewritten atomically). Returns what is stored."""
        chosen = settings.checked()
        header = dict(self._header)
        header["settings"] = _seal(self._key, dumps_canonical_json(chosen.to_json()).encode("utf-8"),
                                   self._aad_settings(header))
        _write(self.directory / HEADER_FILE, (json.dumps(header, indent=2) + "\n").encode("utf-8"))
        self._header, self._settings = header, chosen
        return chosen

    def verifier_url_for(self, item: WalletItem, *, given: str | None = None, demo: bool = False) -> tuple[str, str]:
        """The verifier a QR code or certificate of ``item`` points at, and where that choice came from.

        In order: ``given`` (a flag), the wallet's settings, the issuing institution's public verifier as the
        registry records it (stored with the item's last verdict). Each is checked with
        :func:`omc_vc.qr.check_verifier_url` (``demo``, or a demo wallet, allows loopback); none set is
        ``WALLET_NO_VERIFIER_URL``.
        """
        allow_local = demo or self._settings.demo
        institution = item.verdict.get("institutionVerifier")
        for url, origin in ((given, Message("given")), (self._settings.verifier_url, Message("wallet settings")),
                            (institution if isinstance(institution, str) else None,
                             Message("the institution's public verifier (registry)"))):
            if url:
                return qr.check_verifier_url(url, demo=allow_local), origin
        raise WalletError(Message("no verifier URL is set for QR codes and certificates: set yours once with "
                                  "'omc wallet settings --verifier-url https://...' (or give --verifier-url)"),
                          code="WALLET_NO_VERIFIER_URL")

    def subject_flag(self, document: dict[str, Any]) -> str | None:
        """Why ``document`` does not look like this wallet's learner's, or None when it does.

        It does when its subject id is the holder DID, or when the name it states is the learner name the
        wallet was set up with (case, spacing and Unicode form aside).
        """
        ids = subject_ids(document)
        if self.holder_did in ids:
            return None
        stated = learner_name(document)
        mine = self._settings.learner_name
        if stated and mine and _same_name(stated, mine):
            return None
        # a Message: stored as its English text, shown in the reader's language while it keeps its parameters
        to: str = ", ".join(ids[:2]) if ids else Message("no DID")
        if mine:
            ours = Message("this wallet's holder is {holder} and its learner '{learner}'", holder=self.holder_did,
                           learner=mine)
        else:
            ours = Message("this wallet's holder is {holder} and it has no learner name set "
                           "(omc wallet settings --learner-name)", holder=self.holder_did)
        if stated:
            return Message("issued to {to} (named '{name}'); {ours}", to=to, name=stated, ours=ours)
        return Message("issued to {to}; {ours}", to=to, ours=ours)

    @classmethod
    def open(cls, directory: Path, passphrase: str) -> Wallet:
        """Open an existing wallet; a wrong passphrase and a damaged header give distinct errors."""
        folder = Path(directory)
        if not cls.exists(folder):
            raise WalletError(Message("no wallet in {folder}: create one with 'omc wallet init'", folder=str(folder)),
                              code="WALLET_NOT_FOUND")
        header = _read_json_file(folder / HEADER_FILE, Message("wallet header"))
        try:
            if header.get("format") != WALLET_FORMAT:
                raise ValueError(f"format {header.get('format')!r}")
            kdf = header["kdf"]
            n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
            if kdf.get("name") != "scrypt" or header.get("cipher") != "AES-256-GCM":
                raise ValueError("unknown KDF or cipher")
            if not (2**14 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
                raise ValueError("scrypt parameters out of range")
            salt = b64url_decode(str(kdf["salt"]))
            aad = cls._aad_header(header)
            holder_info = header["holder"]
        except (KeyError, TypeError, ValueError, OverflowError, MalformedValueError) as exc:  # int(1e308 * 10)
            raise WalletCorruptError(Message("wallet header {path} is damaged or not an omc-vc wallet ({why}); it was "
                                             "left as it is", path=str(folder / HEADER_FILE), why=str(exc))) from exc
        key = _derive(passphrase, salt, n, r, p)
        try:
            secret = _open_sealed(key, header.get("holderKey"), aad).decode("ascii")
        except InvalidTag as exc:
            raise WalletPassphraseError(Message("wrong passphrase for the wallet in {folder} (or its header was "
                                                "edited); nothing was changed", folder=str(folder))) from exc
        except (MalformedValueError, UnicodeDecodeError) as exc:
            raise WalletCorruptError(Message("wallet header {path} is damaged; it was left as it is",
                                             path=str(folder / HEADER_FILE))) from exc
        try:
            pair = KeyPair.from_secret_multibase(secret)
        except KeyError_ as exc:
            raise WalletCorruptError(Message("the wallet's holder key is damaged")) from exc
        if not isinstance(holder_info, dict) or holder_info.get("id") != pair.controller:
            raise WalletCorruptError(Message("the wallet header names a holder that does not match its key"))
        return cls(folder, header, key, pair)

    @classmethod
    def open_or_create(cls, directory: Path, passphrase: str) -> tuple[Wallet, bool]:
        """Open the wallet, creating it (and its holder key) on first use. Returns (wallet, created)."""
        if cls.exists(directory):
            return cls.open(directory, passphrase), False
        return cls.create(directory, passphrase), True

    # --- holder ------------------------------------------------------------------------------------
    @property
    def holder_did(self) -> str:
        return self._holder.controller

    @property
    def holder_key(self) -> KeyPair:
        return self._holder

    @property
    def wallet_id(self) -> str:
        return str(self._header["walletId"])

    # --- records -----------------------------------------------------------------------------------
    def _item_path(self, item_id: str) -> Path:
        if _ITEM_ID.fullmatch(item_id) is None:
            raise WalletError(Message("{item_id} is not a wallet item id", item_id=repr(item_id)), code="WALLET_BAD_ID")
        return self.directory / ITEMS_DIR / f"{item_id}.json"

    def _item_aad(self, item_id: str) -> bytes:
        return f"{ITEM_FORMAT}|{self.wallet_id}|{item_id}".encode()

    def _save(self, item: WalletItem) -> None:
        plaintext = json.dumps(item.to_record(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        sealed = _seal(self._key, plaintext, self._item_aad(item.id))
        document = {"format": ITEM_FORMAT, "id": item.id, **sealed}
        _write(self._item_path(item.id), (json.dumps(document) + "\n").encode("utf-8"))

    def _load(self, item_id: str) -> WalletItem:
        path = self._item_path(item_id)
        stored = _read_json_file(path, Message("wallet record"))
        if stored.get("format") != ITEM_FORMAT or stored.get("id") != item_id:
            raise WalletCorruptError(Message("wallet record {name} is damaged or misplaced; it was left as it is",
                                             name=path.name))
        try:
            plaintext = _open_sealed(self._key, stored, self._item_aad(item_id))
            record = loads_object(plaintext, max_bytes=MAX_WALLET_FILE_BYTES, what="wallet record")
        except (InvalidTag, MalformedValueError, InputError) as exc:
            raise WalletCorruptError(Message("wallet record {name} fails authentication (tampered or truncated); "
                                             "it was left as it is", name=path.name)) from exc
        return WalletItem.from_record(record)

    def ids(self) -> list[str]:
        folder = self.directory / ITEMS_DIR
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.json") if _ITEM_ID.fullmatch(p.stem))

    def items(self) -> tuple[list[WalletItem], list[tuple[str, WalletCorruptError]]]:
        """Every readable item (oldest import first) and every damaged one with its error."""
        good: list[WalletItem] = []
        damaged: list[tuple[str, WalletCorruptError]] = []
        for item_id in self.ids():
            try:
                good.append(self._load(item_id))
            except WalletCorruptError as exc:
                damaged.append((item_id, exc))
        good.sort(key=lambda i: (i.imported, i.id))
        return good, damaged

    def resolve_id(self, wanted: str) -> str:
        """An item id from a full id or a unique prefix (at least 4 characters)."""
        ids = self.ids()
        if wanted in ids:
            return wanted
        matches = [i for i in ids if len(wanted) >= 4 and i.startswith(wanted)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise WalletError(Message("{wanted} matches {n} credentials; give more of the id", wanted=repr(wanted),
                                      n=len(matches)), code="WALLET_AMBIGUOUS_ID")
        raise WalletError(Message("no credential {wanted} in the wallet", wanted=repr(wanted)),
                          code="WALLET_NO_SUCH_ITEM")

    def get(self, wanted: str) -> WalletItem:
        return self._load(self.resolve_id(wanted))

    # --- import / remove / check -------------------------------------------------------------------
    def add(self, payload: dict[str, Any] | str, *, verifier: Verifier, source: str = "",
            now: datetime | None = None) -> tuple[WalletItem, bool]:
        """Verify and store a credential. Returns (item, newly added). Refuses forgeries and presentations.

        Revoked, expired and not-OMC credentials are stored with a verdict that says so; a credential
        whose signature, data model or JSON-LD fails is refused (it is not what its issuer signed). One whose
        subject is neither the holder nor the wallet's learner name is stored flagged (:meth:`subject_flag`).
        """
        if isinstance(payload, dict) and "EnvelopedVerifiableCredential" in types(payload):
            payload = jose.unenvelope(payload)
        moment = now or utcnow()
        result = verifier.verify(payload, now=moment)
        if result.kind == "presentation":
            raise WalletError(Message("this is a presentation, not a credential: import the credentials it holds"),
                              code="WALLET_NOT_A_CREDENTIAL")
        rejected = [c for c in result.checks if c.failed and c.name in _REJECTING_CHECKS]
        if rejected or not isinstance(result.document, dict):
            reason = rejected[0].detail if rejected else Message("not a credential")
            raise WalletError(Message("refused: the credential does not verify ({reason})", reason=reason),
                              code="WALLET_REJECTED_INVALID", result=result)
        item_id = _payload_id(payload)
        if item_id in self.ids():
            return self._load(item_id), False
        item = WalletItem(id=item_id, credential=payload, document=result.document,
                          format="jwt" if isinstance(payload, str) else "di", imported=format_datetime(moment),
                          source=source, verdict=verdict_record(result, now=moment),
                          subject_flag=self.subject_flag(result.document))
        self._save(item)
        return item, True

    def remove(self, wanted: str) -> str:
        """Delete one credential (damaged ones too, by full id). Returns its id."""
        item_id = self.resolve_id(wanted)
        try:
            self._item_path(item_id).unlink()
        except OSError as exc:
            raise WalletError(Message("cannot remove {item_id}: {why}", item_id=item_id, why=str(exc.strerror)),
                              code="WALLET_WRITE_ERROR") from exc
        atomic.fsync_dir(self.directory / ITEMS_DIR)
        return item_id

    def recheck(self, *, verifier: Verifier, now: datetime | None = None,
                progress: Callable[[WalletItem], None] | None = None) -> tuple[list[WalletItem], list[Change]]:
        """Verify every credential again, store the new verdicts, and say what changed."""
        moment = now or utcnow()
        items, _ = self.items()
        changes: list[Change] = []
        for item in items:
            result = verifier.verify(item.credential, now=moment)
            new = verdict_record(result, now=moment)
            before, after = _state_words(item.verdict), _state_words(new)
            if before != after:
                changes.append(Change(item.id, item.name, before, after))
            item.verdict = new
            self._save(item)
            if progress is not None:
                progress(item)
        return items, changes

    def refresh(self, wanted: str, *, verifier: Verifier, now: datetime | None = None) -> WalletItem:
        """Verify one credential again and store its new verdict (a certificate shows the verdict of its export)."""
        item = self.get(wanted)
        moment = now or utcnow()
        item.verdict = verdict_record(verifier.verify(item.credential, now=moment), now=moment)
        self._save(item)
        return item

    # --- presentations -----------------------------------------------------------------------------
    def present(self, wanted: Sequence[str], *, challenge: str, domain: str | None = None,
                fmt: Literal["di", "jwt"] = "di", now: datetime | None = None,
                valid_for: timedelta = timedelta(minutes=15),
                allow_other_subject: bool = False) -> dict[str, Any] | str:
        """A Verifiable Presentation of the chosen credentials, signed by the holder key.

        VCDM 2.0 §4.13 with Data Integrity: proofPurpose ``authentication`` bound to ``challenge`` and
        ``domain`` (DI 1.0 §2.1), expiring after ``valid_for``. VC-JOSE-COSE: a ``vp+jwt`` whose
        credentials are enveloped (VCDM 2.0 §4.13.1) and whose ``nonce``/``aud`` claims carry the
        challenge and domain.
        """
        if not challenge:
            raise WalletError(Message("a presentation needs the verifier's challenge"), code="WALLET_NO_CHALLENGE")
        if not wanted:
            raise WalletError(Message("name at least one credential to present"), code="WALLET_BAD_ID")
        moment = now or utcnow()
        chosen = [self.get(w) for w in wanted]
        embedded: list[dict[str, Any]] = []
        for item in chosen:
            subjects = subject_ids(item.document)
            # VC-API presentations/verify: a verifier checks the holder is the subject when it has an id
            if subjects and self.holder_did not in subjects and not allow_other_subject:
                raise WalletError(Message("{item_id} ({name}) was issued to {subject}, not to this wallet's holder "
                                          "{holder}; a verifier would refuse it", item_id=item.id, name=item.name,
                                          subject=subjects[0], holder=self.holder_did), code="HOLDER_NOT_SUBJECT")
            embedded.append(jose.envelope(item.credential) if isinstance(item.credential, str)
                            else copy.deepcopy(item.credential))
        presentation: dict[str, Any] = {
            "@context": [VC_V2_CONTEXT], "id": f"urn:uuid:{uuid.uuid4()}", "type": ["VerifiablePresentation"],
            "holder": self.holder_did, "verifiableCredential": embedded,
        }
        if fmt == "jwt":
            # VC-JOSE-COSE §3.1.2 / RFC 7519: the challenge travels as nonce, the domain as aud
            presentation["nonce"] = challenge
            if domain:
                presentation["aud"] = domain
            return jose.sign_jwt(presentation, self._holder, now=moment, expires_in=valid_for)
        if fmt != "di":
            raise WalletError(Message("unknown presentation format {fmt} (di or jwt)", fmt=repr(fmt)),
                              code="WALLET_BAD_INPUT")
        return data_integrity.add_proof(presentation, self._holder, purpose="authentication", created=moment,
                                        expires=moment + valid_for, challenge=challenge, domain=domain)

    # --- stacks ------------------------------------------------------------------------------------
    def counted_items(self) -> list[WalletItem]:
        """Credentials that count toward stacks: those whose latest verdict is valid."""
        items, _ = self.items()
        return [i for i in items if i.verdict.get("verified")]

    def stacks(self) -> list[StackProgress]:
        """Progress toward each OMC+ target (``omc_vc.omc.stacks.stack_progress``) from valid credentials."""
        return stack_progress([i.document for i in self.counted_items()])

    def bundle(self, *, fmt: Literal["clr", "json"] = "clr", wanted: Sequence[str] | None = None,
               now: datetime | None = None) -> dict[str, Any]:
        """Export credentials (all valid ones by default) as a holder-signed ClrCredential-style VC, or plain JSON.

        ``clr``: type ``["VerifiableCredential", "ClrCredential"]`` issued and signed (eddsa-rdfc-2022,
        assertionMethod) by the holder, whose ``ClrSubject`` holds the full, individually signed
        credentials (CLR 2.0 shape, standards.md §10). The official CLR 2.0 context is not bundled, so the
        CLR terms are defined by :data:`CLR_INLINE_CONTEXT`, an inline context mapping them to the CLR 2.0
        vocabulary IRIs: the bundle verifies offline with no data loss, but it is *not* a conformant CLR
        2.0 document. ``json``: the credentials and stack progress, unsigned.
        """
        moment = now or utcnow()
        items = [self.get(w) for w in wanted] if wanted else self.counted_items()
        if not items:
            raise WalletError(Message("no credentials to bundle"), code="WALLET_EMPTY")
        embedded = [jose.envelope(i.credential) if isinstance(i.credential, str) else copy.deepcopy(i.credential)
                    for i in items]
        progress = [p.to_json() for p in self.stacks()]
        if fmt == "json":
            return {"type": "OmcWalletBundle", "holder": self.holder_did, "created": format_datetime(moment),
                    "stacks": progress, "credentials": embedded}
        if fmt != "clr":
            raise WalletError(Message("unknown bundle format {fmt} (clr or json)", fmt=repr(fmt)),
                              code="WALLET_BAD_INPUT")
        targets: dict[str, dict[str, Any]] = {}
        associations = []
        for item in items:
            achievement = _achievement(item.document)
            if not isinstance(achievement.get("id"), str):
                continue
            for target in as_list(achievement.get("stacksInto")):
                if isinstance(target, dict) and isinstance(target.get("id"), str):
                    entry: dict[str, Any] = {"id": target["id"], "type": ["Achievement"]}
                    if isinstance(target.get("name"), str):
                        entry["name"] = target["name"]
                    targets.setdefault(target["id"], entry)
                    associations.append({"type": "Association", "associationType": "isPartOf",
                                         "sourceId": achievement["id"], "targetId": target["id"]})
        subject: dict[str, Any] = {"id": self.holder_did, "type": ["ClrSubject"], "verifiableCredential": embedded}
        if targets:
            subject["achievement"] = list(targets.values())
        if associations:
            subject["association"] = associations
        clr = {"@context": [VC_V2_CONTEXT, CLR_INLINE_CONTEXT], "id": f"urn:uuid:{uuid.uuid4()}",
               "type": ["VerifiableCredential", "ClrCredential"], "name": "Micro-credential record",
               "issuer": self.holder_did, "validFrom": format_datetime(moment), "credentialSubject": subject}
        return data_integrity.add_proof(clr, self._holder, purpose="assertionMethod", created=moment)

    # --- short-mode sharing ------------------------------------------------------------------------
    def share(self, wanted: str, *, service: str, fetcher: Fetcher, ttl_seconds: int = 7 * 24 * 3600,
              now: datetime | None = None) -> Share:
        """Host a copy on a verifier service and remember how to withdraw it.

        Only the credential's holder may share it: the service's challenge (``POST {service}/shares/challenge``)
        is signed with the holder key in a presentation of this one credential (:meth:`present`, bound to the
        challenge and to the service as domain), sent as ``POST {service}/shares {presentation, ttlSeconds}``.
        """
        if not 60 <= ttl_seconds <= 366 * 24 * 3600:
            raise WalletError(Message("a share lasts between one minute and one year"), code="WALLET_BAD_INPUT")
        item = self.get(wanted)
        if not subject_ids(item.document):
            raise WalletError(Message("{item_id} ({name}) names no subject id (a bearer credential): no holder can "
                                      "prove it is theirs, so it cannot be shared in short mode; use link mode",
                                      item_id=item.id, name=item.name), code="WALLET_BEARER_CREDENTIAL")
        base = service.rstrip("/")
        offer = _send(fetcher, "POST", f"{base}/shares/challenge", expect=(200, 201))
        challenge, domain = offer.get("challenge"), offer.get("domain")
        if not isinstance(challenge, str) or not challenge or not isinstance(domain, str):
            raise WalletError(Message("{base} answered without a challenge and a domain", base=base),
                              code="WALLET_SHARE_FAILED")
        # the presentation is bound to the service we talk to: a service relaying another's challenge
        # (to plant a share there in our name) would get one that the other refuses
        if domain.rstrip("/") != base:
            raise WalletError(Message("{base} asked for a presentation to {domain}, not to itself; use --verifier-url "
                                      "with the address the service calls its own", base=base, domain=repr(domain)),
                              code="WALLET_SHARE_FAILED")
        presentation = self.present([item.id], challenge=challenge, domain=domain, now=now)
        answer = _send(fetcher, "POST", f"{base}/shares", body={"presentation": presentation,
                                                               "ttlSeconds": ttl_seconds}, expect=(201,))
        try:
            share = Share(id=str(answer["id"]), url=str(answer["url"]), service=base, expires=str(answer["expires"]),
                          withdraw_token=str(answer["withdrawToken"]))
        except (KeyError, TypeError) as exc:
            raise WalletError(Message("{base} answered without id, url, expires and withdrawToken", base=base),
                              code="WALLET_SHARE_FAILED") from exc
        # the QR code will point at this URL: it must be a short link ({service}/s/{id}) for this very share,
        # over https (plain http only on the service's own loopback host, for the local demo)
        if qr.short_link_share_url(share.url) is None:
            raise WalletError(Message("{base} answered an unexpected share URL {url}", base=base, url=repr(share.url)),
                              code="WALLET_SHARE_FAILED")
        link = urlsplit(share.url)
        if (not link.path.endswith(f"{qr.SHORT_PATH}{share.id}")
                or not (link.scheme == "https" or (link.scheme == "http"
                                                   and link.hostname == urlsplit(base).hostname))):
            raise WalletError(Message("{base} answered an unexpected share URL {url}", base=base, url=repr(share.url)),
                              code="WALLET_SHARE_FAILED")
        item.shares.append(share)
        self._save(item)
        return share

    def withdraw(self, wanted: str, *, fetcher: Fetcher, share_id: str | None = None) -> list[Share]:
        """Withdraw a credential's live shares (``DELETE {service}/shares/{id}``); returns those withdrawn."""
        item = self.get(wanted)
        done = []
        for share in item.shares:
            if share.withdrawn or (share_id is not None and share.id != share_id):
                continue
            _send(fetcher, "DELETE", f"{share.service}/shares/{share.id}", token=share.withdraw_token,
                  expect=(204, 404, 410))
            share.withdrawn = True
            done.append(share)
        if share_id is not None and not done:
            raise WalletError(Message("{item_id} has no live share {share_id}", item_id=item.id,
                                      share_id=repr(share_id)), code="WALLET_NO_SUCH_SHARE")
        self._save(item)
        return done


def _send(fetcher: Fetcher, method: str, url: str, *, body: Any = None, token: str | None = None,
          expect: Iterable[int] = (200,)) -> dict[str, Any]:
    """One request to a sharing service, with the fetcher's SSRF rules, timeout and a size cap, no redirects."""
    fetcher.check_url(url)
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = fetcher.session.request(method, url, json=body, headers=headers, timeout=fetcher.timeout,
                                           allow_redirects=False, stream=True)
    except requests.Timeout as exc:
        raise FetchError(Message("timed out after {seconds}s calling {url}", seconds=format(fetcher.timeout, "g"),
                                 url=url), code="FETCH_TIMEOUT") from exc
    except requests.RequestException as exc:
        raise FetchError(Message("cannot reach {url}: {why}", url=url, why=type(exc).__name__),
                         code="FETCH_CONNECTION_ERROR") from exc
    try:
        content = Fetcher._read_capped(response, url, MAX_SHARE_RESPONSE_BYTES)
        status = response.status_code
    finally:
        response.close()
    if status not in set(expect):
        answered = Message("{method} {url} answered HTTP {status}", method=method, url=url, status=str(status))
        try:
            problem = loads(content, max_bytes=MAX_SHARE_RESPONSE_BYTES, what="problem details")
            if isinstance(problem, dict) and isinstance(problem.get("detail"), str):
                answered = Message("{method} {url} answered HTTP {status}: {detail}", method=method, url=url,
                                   status=str(status), detail=problem["detail"][:300])
        except InputError:
            pass
        raise WalletError(answered, code="WALLET_SHARE_FAILED", status=status)
    if not content.strip():
        return {}
    try:
        value = loads(content, max_bytes=MAX_SHARE_RESPONSE_BYTES, what=f"answer of {url}")
    except InputError as exc:
        raise WalletError(Message("{url} answered something that is not JSON", url=url),
                          code="WALLET_SHARE_FAILED") from exc
    return value if isinstance(value, dict) else {}


#: Inline JSON-LD context of the wallet's ClrCredential-style bundle (the CLR 2.0 context is not bundled).
#: Terms map to the CLR 2.0 / OB 3.0 vocabulary IRIs; ``verifiableCredential`` is defined exactly as the
#: VCDM 2.0 context defines it for presentations (a graph container, reset context), so the nested
#: credentials keep their own contexts and signatures.
CLR_INLINE_CONTEXT: Final[dict[str, Any]] = {
    "ClrCredential": {"@id": "https://purl.imsglobal.org/spec/clr/v2p0/vocab.html#ClrCredential"},
    "ClrSubject": {
        "@id": "https://purl.imsglobal.org/spec/clr/v2p0/vocab.html#ClrSubject",
        "@context": {
            "verifiableCredential": {"@id": "https://www.w3.org/2018/credentials#verifiableCredential",
                                     "@type": "@id", "@container": "@graph", "@context": None},
            "achievement": {"@id": "https://purl.imsglobal.org/spec/clr/v2p0/vocab.html#achievement", "@type": "@id"},
            "association": {"@id": "https://purl.imsglobal.org/spec/clr/v2p0/vocab.html#association", "@type": "@id"},
        },
    },
    "Achievement": {"@id": "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement"},
    "Association": {
        "@id": "https://purl.imsglobal.org/spec/clr/v2p0/vocab.html#Association",
        "@context": {
            "associationType": {"@id": "https://purl.imsglobal.org/spec/clr/v2p0/vocab.html#associationType"},
            "sourceId": {"@id": "https://purl.imsglobal.org/spec/clr/v2p0/vocab.html#sourceId", "@type": "@id"},
            "targetId": {"@id": "https://purl.imsglobal.org/spec/clr/v2p0/vocab.html#targetId", "@type": "@id"},
        },
    },
}
