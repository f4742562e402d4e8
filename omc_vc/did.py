"""DIDs: did:key and did:jwk (pure), did:web (through the injected fetcher), and CID 1.0 'Retrieve Verification
Method'.

did:key follows the W3C CCG did:key draft (§3.1.1 document creation) with Multikey verification
methods; did:jwk (a wallet's holder key, as OpenID4VCI wallets name it) the did:jwk specification (§2.2 read)
with one JsonWebKey2020 method ``#0``; did:web follows the W3C CCG did:web draft (§3.2 read).
Verification-method retrieval follows Controlled Identifiers 1.0 §3.3, for DID URLs and for https URLs (an
issuer identified by URL, as Open Badges 3.0 allows), whose controller documents come only through the
injected fetcher. A bare did:key (no fragment), as in the VCDM 2.0 Recommendation's examples, names that
DID's single key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote, unquote

from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.multibase import b64url_decode, b64url_encode
from omc_vc.errors import DidError, FetchError, InputError, MalformedValueError, VerificationMethodError
from omc_vc.i18n import Message
from omc_vc.keys import PublicKey

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
JWS_2020_CONTEXT = "https://w3id.org/security/suites/jws-2020/v1"
MAX_DID_DOCUMENT_BYTES = 256 * 1024
# Successful did:key verification-method retrievals remembered (see retrieve_verification_method). A valid
# did:key URL is short (under 200 characters), so the bound keeps the memory small whatever the input.
DID_KEY_CACHE_SIZE = 256
RELATIONSHIPS = ("authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation", "keyAgreement")
# What the JSON reader's errors call the documents read here (shown in the reader's language).
_JWK_OF_DID: Final = Message("the did:jwk's JWK")
_KEY_DOCUMENT: Final = Message("key document")
_DID_DOCUMENT: Final = Message("DID document")

_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")


# --- did:key ---------------------------------------------------------------------------------------


def did_key_public_key(did: str) -> PublicKey:
    """The public key a did:key encodes (did:key §3.1.3 decode)."""
    if not isinstance(did, str) or not did.startswith("did:key:"):
        raise DidError(Message("{did} is not a did:key", did=repr(did)), code="invalidDid")
    value = did[len("did:key:") :]
    if value.startswith("1:"):
        value = value[2:]
    if not value.startswith("z") or ":" in value or "#" in value:
        raise DidError(Message("{did} is not a valid did:key", did=repr(did)), code="invalidDid")
    try:
        return PublicKey.from_multibase(value)
    except MalformedValueError as exc:
        raise DidError(Message("{did}: {detail}", did=did, detail=exc.detail), code="invalidPublicKey") from exc


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of a did:key, with one Multikey verification method (did:key §3.1.1)."""
    key = did_key_public_key(did)
    mb = did.rsplit(":", 1)[1]
    vm_id = f"{did}#{mb}"
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [
            {"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": key.multibase}
        ],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityInvocation": [vm_id],
        "capabilityDelegation": [vm_id],
    }


# --- did:jwk ---------------------------------------------------------------------------------------

#: A did:jwk names one JWK; its document is bounded by the key, so a longer DID is refused before decoding.
MAX_DID_JWK_LENGTH = 1024
_JWK_PUBLIC_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}


def did_jwk(key: PublicKey) -> str:
    """The did:jwk of ``key`` (did:jwk §2.1 Create): ``did:jwk:`` + base64url(UTF-8(JSON of the public JWK)).

    Only the RFC 7638 members (``crv``, ``kty``, ``x`` and for EC ``y``), in that order and without
    whitespace, so one key always gives the same DID.

    >>> from omc_vc.keys import PublicKey
    >>> key = PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})
    >>> did_jwk(key)
    'did:jwk:eyJjcnYiOiJFZDI1NTE5Iiwia3R5IjoiT0tQIiwieCI6IjExcVlBWUt4Q3JmVlNfN1R5V1FIT2c3aGN2UGFwaU1scndJYWFQY0hVUm8ifQ'
    """
    jwk = key.jwk()
    members = _JWK_PUBLIC_MEMBERS[jwk["kty"]]
    text = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"))
    return "did:jwk:" + b64url_encode(text.encode("utf-8"))


def did_jwk_public_key(did: str) -> tuple[dict[str, Any], PublicKey]:
    """The JWK a did:jwk carries and its public key (did:jwk §2.2 Read, steps 1-3)."""
    if not isinstance(did, str) or not did.startswith("did:jwk:"):
        raise DidError(Message("{did} is not a did:jwk", did=repr(did)), code="invalidDid")
    value = did[len("did:jwk:"):]
    if not value or len(did) > MAX_DID_JWK_LENGTH or any(c in value for c in ":#?/"):
        raise DidError(Message("{did} is not a valid did:jwk", did=repr(did[:80])), code="invalidDid")
    try:
        jwk = loads_object(b64url_decode(value), max_bytes=MAX_DID_JWK_LENGTH, what=_JWK_OF_DID)
    except (MalformedValueError, InputError) as exc:
        raise DidError(Message("{did}: the method-specific id is not a base64url JSON object",
                               did=did[:80]), code="invalidDid") from exc
    if "d" in jwk:
        # a private key in an identifier would publish it
        raise DidError(Message("{did}: the JWK holds a private key", did=did[:80]), code="invalidPublicKey")
    try:
        return jwk, PublicKey.from_jwk(jwk)
    except MalformedValueError as exc:
        raise DidError(Message("{did}: {detail}", did=did[:80], detail=exc.detail), code="invalidPublicKey") from exc


def did_jwk_document(did: str) -> dict[str, Any]:
    """The DID document of a did:jwk (did:jwk §2.2 Read): one JsonWebKey2020 verification method ``#0`` in every
    relationship; none but keyAgreement for a key whose ``use`` is ``enc``, all but keyAgreement for ``sig``."""
    jwk, _ = did_jwk_public_key(did)
    vm_id = f"{did}#0"
    doc: dict[str, Any] = {
        "@context": [DID_CONTEXT, JWS_2020_CONTEXT],
        "id": did,
        "verificationMethod": [{"id": vm_id, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": jwk}],
    }
    relationships = ("keyAgreement",) if jwk.get("use") == "enc" else \
        ("assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation") + \
        (("keyAgreement",) if "use" not in jwk else ())
    for relationship in relationships:
        doc[relationship] = [vm_id]
    return doc


# --- did:web ---------------------------------------------------------------------------------------


def did_web(domain: str, path: str | None = None, *, port: int | None = None) -> str:
    """Build a did:web from a domain, optional port and optional ``a/b`` or ``a:b`` path."""
    if not _DOMAIN.match(domain) or re.fullmatch(r"[0-9.]+", domain):
        raise DidError(Message("{domain} is not a domain name (did:web must not be an IP address)",
                               domain=repr(domain)), code="invalidDid")
    host = domain.lower() + (quote(f":{port}", safe="") if port else "")
    segments = [s for s in re.split(r"[:/]", path or "") if s]
    for seg in segments:
        if not _PATH_SEGMENT.match(seg) or seg in (".", ".."):
            raise DidError(Message("path segment {seg} is not allowed in a did:web", seg=repr(seg)), code="invalidDid")
    return ":".join(["did", "web", host, *segments])


def did_web_url(did: str) -> str:
    """did:web §3.2 read: method-specific id to the https URL of did.json."""
    if not did.startswith("did:web:") or "#" in did or "?" in did:
        raise DidError(Message("{did} is not a did:web", did=repr(did)), code="invalidDid")
    parts = did[len("did:web:") :].split(":")
    host = unquote(parts[0])
    hostname, _, port = host.partition(":")
    if (not _DOMAIN.match(hostname) or re.fullmatch(r"[0-9.]+", hostname)
            or (port and not (port.isdigit() and 1 <= int(port) <= 65535))):
        raise DidError(Message("{did} does not name a valid host", did=repr(did)), code="invalidDid")
    path = [unquote(p) for p in parts[1:]]
    if any(not _PATH_SEGMENT.match(p) or p in (".", "..") for p in path):
        raise DidError(Message("{did} has an invalid path", did=repr(did)), code="invalidDid")
    return f"https://{host}/" + ("/".join(path) if path else ".well-known") + "/did.json"


def did_web_document(did: str, keys: Iterable[PublicKey], *, fragments: Iterable[str] | None = None) -> dict[str, Any]:
    """A did:web DID document listing each key as a Multikey in assertionMethod and authentication."""
    did_web_url(did)  # validates
    key_list = list(keys)
    frags = list(fragments) if fragments is not None else [f"key-{i + 1}" for i in range(len(key_list))]
    if len(frags) != len(key_list):
        raise DidError(Message("one fragment per key is needed"))
    methods = [
        {"id": f"{did}#{frag}", "type": "Multikey", "controller": did, "publicKeyMultibase": k.multibase}
        for frag, k in zip(frags, key_list, strict=True)
    ]
    ids = [m["id"] for m in methods]
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        "authentication": list(ids),
        "assertionMethod": list(ids),
    }


# --- resolution ------------------------------------------------------------------------------------


#: How many fetched did:web and https key documents one resolver keeps.
MAX_CACHED_DOCUMENTS: Final = 1024


@dataclass
class DidResolver:
    """Resolve did:key and did:jwk locally and did:web through the injected :class:`Fetcher`.

    ``documents`` pins DID documents (tests, offline use, an institution's own DID). ``fetcher=None``
    means did:web is not resolvable: verification of did:web credentials fails closed.
    """

    fetcher: Fetcher | None = None
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    _cache: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def _resolves_did_key_itself(self, did: str) -> bool:
        """True when :meth:`resolve` answers the did:key ``did`` with ``did_key_document(did)``: no document
        is pinned for it and ``resolve`` is this class's own (a subclass may resolve differently)."""
        return did.startswith("did:key:") and did not in self.documents and type(self).resolve is DidResolver.resolve

    def resolve(self, did: str) -> dict[str, Any]:
        if not isinstance(did, str) or not did.startswith("did:"):
            raise DidError(Message("{did} is not a DID", did=repr(did)), code="invalidDid")
        if did in self.documents:
            return self.documents[did]
        if did in self._cache:
            return self._cache[did]
        # did:key and did:jwk documents are made from the DID itself: cheap, and never kept (anyone may send
        # any number of them, so keeping each would let a caller fill this resolver's memory)
        if did.startswith("did:key:"):
            return did_key_document(did)
        if did.startswith("did:jwk:"):
            return did_jwk_document(did)
        if did.startswith("did:web:"):
            doc = self._resolve_web(did)
        else:
            raise DidError(Message("unsupported DID method in {did} (did:key, did:jwk and did:web only)",
                                   did=repr(did)),
                           code="methodNotSupported")
        self._keep(did, doc)
        return doc

    def _keep(self, key: str, doc: dict[str, Any]) -> None:
        """Keep a fetched document (bounded: the oldest goes first)."""
        if len(self._cache) >= MAX_CACHED_DOCUMENTS:
            del self._cache[next(iter(self._cache))]
        self._cache[key] = doc

    def dereference(self, url: str) -> dict[str, Any]:
        """An https controlled identifier document (CID 1.0 §3.3 step 3) or key document, by its URL.

        A document pinned in ``documents`` under ``url`` is used as is; anything else comes only through the
        injected fetcher (https, SSRF checks, timeout, at most MAX_DID_DOCUMENT_BYTES). ``fetcher=None``:
        an unpinned URL fails with ``notFound``.
        """
        if not isinstance(url, str) or not url.startswith("https://") or "#" in url:
            raise DidError(Message("{url} is not an https URL without a fragment", url=repr(url)), code="invalidDid")
        if url in self.documents:
            return self.documents[url]
        if url in self._cache:
            return self._cache[url]
        if self.fetcher is None:
            raise DidError(Message("{url} is not pinned and network retrieval of https key documents is not configured "
                                   "(offline)", url=url), code="notFound")
        try:
            response = self.fetcher.get_ok(url, max_bytes=MAX_DID_DOCUMENT_BYTES)
            doc = loads_object(response.content, max_bytes=MAX_DID_DOCUMENT_BYTES, what=_KEY_DOCUMENT)
        except (FetchError, InputError) as exc:
            raise DidError(Message("cannot retrieve {url}: {detail}", url=url,
                                   detail=exc.detail), code="notFound") from exc
        self._keep(url, doc)
        return doc

    def _controller_document(self, controller: str) -> dict[str, Any]:
        """A controller's document: a DID through :meth:`resolve`, an https URL through :meth:`dereference`."""
        return self.resolve(controller) if controller.startswith("did:") else self.dereference(controller)

    def _resolve_web(self, did: str) -> dict[str, Any]:
        url = did_web_url(did)
        if self.fetcher is None:
            raise DidError(Message("cannot resolve {did}: network resolution of did:web is not configured",
                                   did=did), code="notFound")
        try:
            response = self.fetcher.get_ok(url, max_bytes=MAX_DID_DOCUMENT_BYTES)
            doc = loads_object(response.content, max_bytes=MAX_DID_DOCUMENT_BYTES, what=_DID_DOCUMENT)
        except (FetchError, InputError) as exc:
            raise DidError(Message("cannot resolve {did} from {url}: {detail}", did=did, url=url,
                                   detail=exc.detail), code="notFound") from exc
        # did:web §3.2: the resolved document's id must equal the DID
        if doc.get("id") != did:
            raise DidError(
                Message("DID document at {url} has id {id}, not {did}", url=url, id=repr(doc.get("id")), did=did),
                code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID",
            )
        return doc


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def retrieve_verification_method(vm_url: str, purpose: str, resolver: DidResolver) -> tuple[dict[str, Any], PublicKey]:
    """CID 1.0 §3.3 Retrieve Verification Method, plus the relationship check for ``purpose``.

    A did:key is a pure function of its string (did:key §3.1.1), so when ``resolver`` would answer
    with the did:key document itself (a :class:`DidResolver` that pins no document for that DID), the
    outcome of a *successful* retrieval is remembered in a small LRU keyed by the exact DID URL and the
    purpose: an issuer's key is then decoded and checked once, not on every credential it signed. Every
    failure is computed again; did:web (and anything fetched or pinned) never goes through that cache.
    """
    if isinstance(vm_url, str) and vm_url.startswith("did:key:") and "#" not in vm_url:
        vm_url = _did_key_single_method(vm_url)
    if isinstance(vm_url, str) and vm_url.startswith("https://"):
        return _retrieve_https(vm_url, purpose, resolver)
    # step 1-2: the identifier must be a URL with a fragment
    if not isinstance(vm_url, str) or "#" not in vm_url or not vm_url.startswith("did:"):
        raise VerificationMethodError(
            Message("verificationMethod {vm_url} is not a DID URL with a fragment",
                    vm_url=repr(vm_url)), code="INVALID_VERIFICATION_METHOD_URL"
        )
    controller_url = vm_url.split("#", 1)[0]
    if (controller_url.startswith("did:key:") and isinstance(purpose, str)
            and isinstance(resolver, DidResolver) and resolver._resolves_did_key_itself(controller_url)):
        method, key = _did_key_method(vm_url, purpose)
        # a copy, so that no caller can change what the next retrieval returns
        return dict(method), key
    return _retrieve(vm_url, purpose, controller_url, resolver.resolve)


def _did_key_single_method(did: str) -> str:
    """A bare did:key used as a verification method (the VCDM 2.0 Recommendation's examples): the DID's one
    key, whose id is ``did#<multibase>`` (did:key §3.1.1 step 5); the key is decoded and checked as usual."""
    try:
        did_key_public_key(did)
    except DidError as exc:
        raise VerificationMethodError(Message("verificationMethod {did}: {detail}", did=repr(did), detail=exc.detail),
                                      code="INVALID_VERIFICATION_METHOD_URL") from exc
    return f"{did}#{did.rsplit(':', 1)[1]}"


def _retrieve_https(vm_url: str, purpose: str, resolver: DidResolver) -> tuple[dict[str, Any], PublicKey]:
    """CID 1.0 §3.3 for a verification method identified by an https URL, through ``resolver``'s fetcher.

    With a fragment (``https://issuer.example/id#key-1``, 1EdTech's OB 3.0 example): the controller document
    is the one at the URL without the fragment, its ``id`` must be that URL (step 4), and it must hold the
    method, controlled by it and listed for ``purpose`` (steps 5-6). Without a fragment
    (``https://issuer.example/keys/1``): the key document at the URL must have that URL as its ``id``, and
    its ``controller``'s own document must list it for ``purpose``, so that a key document cannot make
    itself an issuer's key by naming the issuer as its controller. The proof's issuer-key binding then
    compares that controller with the issuer.
    """
    try:
        if "#" in vm_url:
            return _retrieve(vm_url, purpose, vm_url.split("#", 1)[0], resolver.dereference)
        key_doc = resolver.dereference(vm_url)
    except DidError as exc:
        raise VerificationMethodError(Message("cannot retrieve {vm_url}: {detail}", vm_url=vm_url, detail=exc.detail),
                                      code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT") from exc
    # the key document fetched must be the one asked for (CID 1.0 §3.3 step 4, applied to the key document)
    if key_doc.get("id") != vm_url:
        raise VerificationMethodError(Message("the key document at {vm_url} has id {id}", vm_url=vm_url,
                                              id=repr(key_doc.get("id"))),
                                      code="INVALID_VERIFICATION_METHOD")
    controller = key_doc.get("controller")
    if not isinstance(controller, str) or not (controller.startswith("did:") or controller.startswith("https://")):
        raise VerificationMethodError(Message("{vm_url} names no DID or https controller",
                                              vm_url=vm_url), code="INVALID_VERIFICATION_METHOD")
    try:
        controller_doc = resolver._controller_document(controller)
    except DidError as exc:
        raise VerificationMethodError(Message("cannot retrieve {vm_url}'s controller {controller}: {detail}",
                                              vm_url=vm_url, controller=controller, detail=exc.detail),
                                      code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT") from exc
    if controller_doc.get("id") != controller:
        raise VerificationMethodError(Message("controller document id {id} is not {controller}",
                                              id=repr(controller_doc.get("id")), controller=controller),
                                      code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID")
    # the controller must list the key under the proof purpose's verification relationship, by reference or
    # embedded (CID 1.0 §3.3 step 6; jsonld-signatures' ControllerProofPurpose does the same)
    listed = [m if isinstance(m, str) else m.get("id") if isinstance(m, Mapping) else None
              for m in _as_list(controller_doc.get(purpose))]
    if purpose not in RELATIONSHIPS or vm_url not in [_absolute(controller, m) for m in listed if isinstance(m, str)]:
        raise VerificationMethodError(Message("{controller} does not list {vm_url} for {purpose}",
                                              controller=controller, vm_url=vm_url, purpose=repr(purpose)),
                                      code="INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD")
    return dict(key_doc), _method_key(key_doc, vm_url)


@lru_cache(maxsize=DID_KEY_CACHE_SIZE)
def _did_key_method(vm_url: str, purpose: str) -> tuple[dict[str, Any], PublicKey]:
    # exactly what DidResolver.resolve answers for a did:key it does not pin: did_key_document(did)
    return _retrieve(vm_url, purpose, vm_url.split("#", 1)[0], did_key_document)


def _retrieve(vm_url: str, purpose: str, controller_url: str,
              resolve: Callable[[str], dict[str, Any]]) -> tuple[dict[str, Any], PublicKey]:
    """CID 1.0 §3.3 from step 3 on, and the relationship check, for ``vm_url`` (steps 1-2 already checked)."""
    # step 3: dereference the controller document
    try:
        doc = resolve(controller_url)
    except DidError as exc:
        raise VerificationMethodError(
            Message("cannot retrieve {vm_url}: {detail}", vm_url=vm_url,
                    detail=exc.detail), code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"
        ) from exc
    # step 4: the document's id must be the controller document URL
    if doc.get("id") != controller_url:
        raise VerificationMethodError(
            Message("controller document id {id} is not {controller}", id=repr(doc.get("id")),
                    controller=controller_url),
            code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID",
        )
    # step 5-6: find the VM by id (embedded in a relationship or in verificationMethod)
    method = _find_method(doc, vm_url)
    if method is None:
        raise VerificationMethodError(
            Message("{vm_url} is not a verification method of {controller_url}", vm_url=vm_url,
                    controller_url=controller_url), code="INVALID_VERIFICATION_METHOD"
        )
    if method.get("controller") != controller_url:
        raise VerificationMethodError(
            Message("{vm_url} is controlled by {controller}, not {controller_url}", vm_url=vm_url,
                    controller=repr(method.get("controller")), controller_url=controller_url),
            code="INVALID_VERIFICATION_METHOD",
        )
    # the VM must be listed under the proof purpose's verification relationship
    listed = [
        m if isinstance(m, str) else m.get("id") if isinstance(m, Mapping) else None for m in _as_list(doc.get(purpose))
    ]
    listed = [_absolute(controller_url, m) for m in listed if isinstance(m, str)]
    if purpose not in RELATIONSHIPS or vm_url not in listed:
        raise VerificationMethodError(
            Message("{vm_url} is not authorized for {purpose}", vm_url=vm_url,
                    purpose=repr(purpose)), code="INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"
        )
    key = _method_key(method, vm_url)
    # did:key: the fragment must be the key's own multibase (did:key §3.1.1 step 5)
    if controller_url.startswith("did:key:") and vm_url.split("#", 1)[1] != key.multibase:
        raise VerificationMethodError(
            Message("did:key fragment of {vm_url} does not match its key",
                    vm_url=vm_url), code="INVALID_VERIFICATION_METHOD"
        )
    return method, key


def _absolute(controller: str, ref: str) -> str:
    return controller + ref if ref.startswith("#") else ref


def _find_method(doc: Mapping[str, Any], vm_url: str) -> dict[str, Any] | None:
    controller = str(doc.get("id"))
    for source in ("verificationMethod", *RELATIONSHIPS):
        for item in _as_list(doc.get(source)):
            if (
                isinstance(item, dict)
                and isinstance(item.get("id"), str)
                and _absolute(controller, item["id"]) == vm_url
            ):
                return {**item, "id": vm_url}
    return None


def _method_key(method: Mapping[str, Any], vm_url: str) -> PublicKey:
    try:
        if method.get("type") in ("Multikey", "Ed25519VerificationKey2020") and "publicKeyMultibase" in method:
            return PublicKey.from_multibase(str(method["publicKeyMultibase"]))
        if method.get("type") == "JsonWebKey" or method.get("type") == "JsonWebKey2020":
            jwk = method.get("publicKeyJwk")
            if not isinstance(jwk, dict) or "d" in jwk:
                raise MalformedValueError(Message("publicKeyJwk is missing or contains a private key"))
            return PublicKey.from_jwk(jwk)
    except MalformedValueError as exc:
        raise VerificationMethodError(Message("{vm_url}: {detail}", vm_url=vm_url,
                                              detail=exc.detail), code="INVALID_VERIFICATION_METHOD") from exc
    raise VerificationMethodError(
        Message("{vm_url} has unsupported type {type}", vm_url=vm_url,
                type=repr(method.get("type"))), code="INVALID_VERIFICATION_METHOD"
    )
