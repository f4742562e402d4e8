"""The world the attack corpus runs in: deterministic keys, signed base artifacts, and a loopback server.

Keys are derived from fixed labels (SHA-256 of the label is the Ed25519 seed), dates are fixed, so the
same case builds the same documents on every run; only the loopback port changes. Each case describes
what it needs declaratively (``setup``) and this module builds it. Nothing here is a hard-coded result:
every signature is computed here, every verdict by the library.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from omc_vc._internal.multibase import multibase_decode
from omc_vc._internal.timeutil import format_datetime
from omc_vc.bitstring import MIN_BITS, encode_bitstring
from omc_vc.issue.status_lists import build_status_list_credential, status_entry
from omc_vc.keys import KeyPair
from omc_vc.omc.builder import Learner, build_omc, issuer_profile, sign_omc
from omc_vc.proofs import data_integrity
from omc_vc.proofs.jose import sign_jwt
from omc_vc.registry import Anchors, QualityAssurance, RegistryDraft, sign_registry
from tests.fixtures.registry import world as fixture_world
from tests.helpers import RoutedHTTP

#: The moment every case is judged at, and the dates the world is built around.
NOW = datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)
ISSUED = NOW - timedelta(days=10)
REGISTRY_ID = "https://mcu.example.gov.on.ca/omc/registry"
CHALLENGE = "c-4f1d2a9e"
DOMAIN = "https://employer.example.ca"

ACHIEVEMENT = fixture_world.ACHIEVEMENT  # the one sample achievement the test worlds share

#: Institutions of the world: name, registry consent state.
INSTITUTIONS = {
    "college": ("Example College", "active"),
    "other": ("Other Polytechnic", "active"),
    "suspended": ("Suspended College", "suspended"),
    "rogue": ("Rogue Diploma Mill", None),  # not in the registry
}


def key_for(label: str) -> KeyPair:
    """The deterministic Ed25519 key of ``label`` (seed = SHA-256 of the label)."""
    seed = hashlib.sha256(f"omc-vc attack corpus key: {label}".encode()).digest()
    return KeyPair(ed25519.Ed25519PrivateKey.from_private_bytes(seed))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# --- JSON Pointer (RFC 6901) patches ------------------------------------------------------------------------

def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"bad JSON pointer {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _step(container: Any, token: str) -> Any:
    if isinstance(container, list):
        return container[int(token)]
    return container[token]


def resolve(document: Any, pointer: str) -> Any:
    value = document
    for token in _tokens(pointer):
        value = _step(value, token)
    return value


def apply_patch(document: Any, ops: list[dict[str, Any]], artifacts: dict[str, Any]) -> Any:
    """A subset of JSON Patch (RFC 6902): add, replace, remove, move; ``value_from`` copies from an artifact."""
    doc = copy.deepcopy(document)
    for op in ops:
        if op["op"] == "move":  # RFC 6902 §4.4: remove "from", then add its value at "path"
            value = copy.deepcopy(resolve(doc, op["from"]))
            doc = apply_patch(doc, [{"op": "remove", "path": op["from"]}, {"op": "add", "path": op["path"],
                                                                           "value": value}], artifacts)
            continue
        tokens = _tokens(op["path"])
        if "value_from" in op:
            source = op["value_from"]
            value = copy.deepcopy(resolve(artifacts[source["artifact"]], source.get("pointer", "")))
        else:
            value = copy.deepcopy(op.get("value"))
        if not tokens:
            doc = value
            continue
        parent = doc
        for token in tokens[:-1]:
            parent = _step(parent, token)
        last = tokens[-1]
        kind = op["op"]
        if kind == "remove":
            if isinstance(parent, list):
                del parent[int(last)]
            else:
                del parent[last]
        elif kind in ("add", "replace"):
            if isinstance(parent, list):
                if last == "-":
                    parent.append(value)
                elif kind == "add":
                    parent.insert(int(last), value)
                else:
                    parent[int(last)] = value
            else:
                if kind == "replace" and last not in parent:
                    raise KeyError(f"replace: {op['path']} does not exist")
                parent[last] = value
        else:
            raise ValueError(f"unknown patch op {kind!r}")
    return doc


# --- loopback HTTP ------------------------------------------------------------------------------------------

class Server(RoutedHTTP):
    """A loopback HTTP server with routes tests can set while it runs (bodies and redirects)."""

    def serve(self, path: str, value: Any) -> str:
        body = value if isinstance(value, bytes) else json.dumps(value).encode("utf-8")
        return self.route(path, body, headers={"Content-Type": "application/json"})

    def redirect(self, path: str, location: str) -> str:
        return self.route(path, b"", status=302, headers={"Location": location})

    def __enter__(self) -> Server:
        self.start()
        return self


# --- the world ----------------------------------------------------------------------------------------------

@dataclass
class World:
    server: Server
    keys: dict[str, KeyPair] = field(default_factory=dict)
    draft: RegistryDraft | None = None

    # keys and DIDs
    def key(self, label: str) -> KeyPair:
        if label not in self.keys:
            self.keys[label] = key_for(label)
        return self.keys[label]

    def did(self, label: str) -> str:
        return self.key(label).controller

    @property
    def anchors(self) -> Anchors:
        assert self.draft is not None
        return self.draft.anchors

    # status lists
    def list_url(self, slug: str) -> str:
        return f"{self.server.base}/status/{slug}"

    def status_list(self, label: str, *, slug: str | None = None, bits: bytes | None = None,
                    issuer: str | None = None, purpose: str = "revocation", signed_days_ago: int = 400,
                    ttl_ms: int | None = None) -> dict[str, Any]:
        """The signed revocation list of institution ``label`` (all zeros unless ``bits``), with validFrom and
        the proof's created ``signed_days_ago`` days before NOW."""
        signed_at = NOW - timedelta(days=signed_days_ago)
        return build_status_list_credential(list_url=self.list_url(slug or label), key=self.key(label),
                                            issuer=issuer or self.did(label), purpose=purpose,
                                            bitstring=bits if bits is not None else bytes(MIN_BITS // 8),
                                            valid_from=signed_at, created=signed_at, ttl_ms=ttl_ms)

    def raw_status_list(self, label: str, slug: str, encoded: str) -> dict[str, Any]:
        """A status list signed by ``label`` whose encodedList is given as is (bypasses the builder's checks)."""
        document: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": self.list_url(slug),
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.did(label),
            "validFrom": format_datetime(NOW - timedelta(days=400)),
            "credentialSubject": {"id": f"{self.list_url(slug)}#list", "type": "BitstringStatusList",
                                  "statusPurpose": "revocation", "encodedList": encoded},
        }
        return data_integrity.add_proof(document, self.key(label), created=NOW - timedelta(days=400))

    def publish_status(self, slug: str, document: dict[str, Any] | bytes) -> str:
        return self.server.serve(f"/status/{slug}", document)

    # credentials
    def unsigned_credential(self, label: str = "college", *, slug: str | None = None, index: int = 3,
                            holder: bool = False, issuer: str | None = None, subject_label: str = "holder",
                            credential_id: str | None = None) -> dict[str, Any]:
        name = INSTITUTIONS.get(label, (label, None))[0]
        profile = issuer_profile(issuer or self.did(label), {"name": name, "url": "https://college.example.ca",
                                                                   "omcConsentReference": f"MCU-OMC-{label.upper()}"})
        learner = Learner(name="Ada Learner", email="ada@example.ca", did=self.did(subject_label) if holder else None)
        return build_omc(issuer=profile, achievement=copy.deepcopy(ACHIEVEMENT), learner=learner,
                         status=[status_entry(self.list_url(slug or label), index, "revocation")], issued=ISSUED,
                         credential_id=credential_id or f"urn:uuid:{uuid_for(label, index, slug or '')}",
                         salt="0f" * 16)

    def sign(self, document: dict[str, Any], spec: dict[str, Any] | None, default_label: str) -> dict[str, Any]:
        """Sign with the key ``spec['key']`` (default: the issuer), addressed as ``spec['verification_method']``."""
        spec = spec or {}
        pair = self.key(spec.get("key", default_label))
        if "verification_method" in spec:
            vm = self.expand(spec["verification_method"])
            pair = pair.with_id(vm, vm.split("#", 1)[0])
        if "expires" in spec:  # a proof with an expiry (DI 1.0 §2.1 expires)
            return data_integrity.add_proof(document, pair, purpose=spec.get("purpose", "assertionMethod"),
                                            created=ISSUED, expires=spec["expires"])
        if spec.get("purpose", "assertionMethod") == "assertionMethod" and "challenge" not in spec:
            return sign_omc(document, pair, created=ISSUED) if document.get("type", [None])[-1] == \
                "OpenBadgeCredential" else data_integrity.add_proof(document, pair, created=ISSUED)
        return data_integrity.add_proof(document, pair, purpose=spec.get("purpose", "assertionMethod"),
                                        created=NOW - timedelta(minutes=5), challenge=spec.get("challenge"),
                                        domain=spec.get("domain"))

    def expand(self, text: str) -> str:
        """Replace ``{did:label}``, ``{mb:label}`` and ``{base}`` placeholders in case data."""
        out = text.replace("{base}", self.server.base)
        for label in [*INSTITUTIONS, "ministry", "ministry-2", "fake-ministry", "holder", "stranger"]:
            out = out.replace(f"{{did:{label}}}", self.did(label))
            out = out.replace(f"{{mb:{label}}}", self.key(label).public_key.multibase)
        return out

    def expand_all(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.expand(value)
        if isinstance(value, list):
            return [self.expand_all(v) for v in value]
        if isinstance(value, dict):
            return {self.expand(k): self.expand_all(v) for k, v in value.items()}
        return value

    def credential(self, label: str = "college", **kwargs: Any) -> dict[str, Any]:
        return self.sign(self.unsigned_credential(label, **kwargs), None, label)

    def presentation(self, credential: dict[str, Any] | str, *, key: str = "holder", challenge: str = CHALLENGE,
                     domain: str = DOMAIN, purpose: str = "authentication", holder: str = "holder") -> dict[str, Any]:
        unsigned = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                    "id": "urn:uuid:6a1f0c9e-0000-4000-8000-000000000001",
                    "holder": self.did(holder), "verifiableCredential": [credential]}
        return data_integrity.add_proof(unsigned, self.key(key), purpose=purpose, created=NOW - timedelta(minutes=5),
                                        challenge=challenge, domain=domain)

    def jwt_credential_claims(self) -> dict[str, Any]:
        return self.unsigned_credential("college", slug="college")

    def sign_jwt_default(self) -> str:
        return sign_jwt(self.jwt_credential_claims(), self.key("college"), now=NOW)

    def compact_jwt(self, header: dict[str, Any], claims: dict[str, Any], signature: str) -> str:
        """Build a compact JWS by hand: ``signature`` is a key label, ``none``, ``empty`` or ``hs256:<label>``."""
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        if signature in ("none", "empty"):
            return signing_input + "."
        if signature.startswith("hs256:"):
            # RFC 8725 §2.1: the classic confusion: an HMAC keyed with the issuer's published public key
            label, form = [*signature.split(":", 2)[1:], "raw"][:2]
            public = self.key(label).public_key
            secret = {"raw": multibase_decode(public.multibase)[2:], "multibase": public.multibase.encode(),
                      "pem": public.pem().encode(), "jwk": json.dumps(public.jwk()).encode()}[form]
            return signing_input + "." + b64url(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())
        return signing_input + "." + b64url(self.key(signature).sign(signing_input.encode()))

    # registry
    def registry(self, *, version: int = 2, keys: list[str] | None = None, signed_at: datetime | None = None,
                 valid_for: timedelta = timedelta(days=3650)) -> dict[str, Any]:
        assert self.draft is not None
        signers = [self.key(k) for k in (keys or ["ministry"])]
        if keys and any(not self.draft.anchors.contains(k.public_key) for k in signers):
            # an unknown key signs: build the same document and sign it outside sign_registry's own guard
            rogue_draft = RegistryDraft.new(REGISTRY_ID, anchors=Anchors(tuple(k.public_key for k in signers), 1))
            rogue_draft.data = self.draft.data
            return sign_registry(rogue_draft, signers, now=signed_at or NOW - timedelta(days=1),
                                 valid_for=valid_for, version=version)
        return sign_registry(self.draft, signers, now=signed_at or NOW - timedelta(days=1), valid_for=valid_for,
                             version=version)


def uuid_for(*parts: object) -> str:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"


@contextmanager
def world() -> Iterator[World]:
    with Server() as server:
        w = World(server)
        w.draft = RegistryDraft.new(REGISTRY_ID, anchors=Anchors((w.key("ministry").public_key,), 1))
        for label, (name, consent) in INSTITUTIONS.items():
            w.publish_status(label, w.status_list(label))
            if consent is None:
                continue
            w.draft.add_institution(legal_name=name, kind="college", dids=[w.did(label)],
                                    consent_reference=f"MCU-OMC-{label.upper()}", scope=("OMC", "OMC+"),
                                    granted=NOW - timedelta(days=700),
                                    quality_assurance=QualityAssurance("Ontario College Quality Assurance Service",
                                                                       NOW - timedelta(days=800), "OCQAS-1"))
            if consent == "suspended":
                w.draft.set_consent(w.did(label), "suspended", at=NOW - timedelta(days=100))
        yield w


# --- bombs ---------------------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def gzip_bomb(expanded_bytes: int) -> bytes:
    """A multi-member gzip stream (RFC 1952 §2.2) of ``expanded_bytes`` zero bytes, never held expanded.

    One 16 MiB member is compressed once and repeated: cheap to build, still a bomb to inflate.
    """
    member_size = min(expanded_bytes, 16 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = compressor.compress(bytes(member_size)) + compressor.flush()
    count, rest = divmod(expanded_bytes, member_size)
    tail = b""
    if rest:
        last = zlib.compressobj(9, zlib.DEFLATED, 31)
        tail = last.compress(bytes(rest)) + last.flush()
    return member * count + tail


@lru_cache(maxsize=4)
def deflate_bomb(expanded_bytes: int, zdict: bytes) -> bytes:
    """Raw DEFLATE (the QR link format) of '{' + ``expanded_bytes`` spaces, with the preset dictionary.

    After a full flush DEFLATE keeps no history, so the 1 MiB block that follows one is position
    independent and can be repeated as bytes: a gigabyte payload costs a megabyte of compression work.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
    head = compressor.compress(b"{") + compressor.flush(zlib.Z_FULL_FLUSH)
    unit = 1 << 20
    block = compressor.compress(b" " * unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(expanded_bytes, unit)
    tail = compressor.compress(b" " * rest) + compressor.flush()
    return head + block * count + tail


def encode_bomb_bitstring(expanded_bytes: int) -> str:
    return "u" + b64url(gzip_bomb(expanded_bytes))


__all__ = ["CHALLENGE", "DOMAIN", "NOW", "World", "apply_patch", "encode_bitstring", "key_for", "world"]
