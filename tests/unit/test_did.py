"""did:key (W3C CCG vectors), did:web (build, URL mapping, resolution via the fetcher), VM retrieval."""

from __future__ import annotations

from typing import Any

import pytest

from omc_vc._internal.fetch import FetchResponse
from omc_vc.did import (
    DidResolver,
    did_key_document,
    did_key_public_key,
    did_web,
    did_web_document,
    did_web_url,
    retrieve_verification_method,
)
from omc_vc.errors import DidError, FetchError, VerificationMethodError
from omc_vc.keys import KeyPair, PublicKey
from tests.helpers import vector


def _ed25519_cases() -> list[tuple[str, dict[str, Any]]]:
    try:
        data = vector("did-key.json")
    except pytest.skip.Exception:
        return []
    return list(data["ed25519-x25519.json"].items())


def test_did_key_ed25519_vectors_from_seed() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    cases = vector("did-key.json")["ed25519-x25519.json"]
    assert cases
    for did, case in cases.items():
        seed = bytes.fromhex(case["seed"])
        pair = KeyPair(ed25519.Ed25519PrivateKey.from_private_bytes(seed))
        assert pair.public_key.did_key == did
        doc = did_key_document(did)
        assert doc["id"] == did
        vm = doc["verificationMethod"][0]
        assert vm["id"] == f"{did}#{did.split(':')[2]}"
        assert vm["publicKeyMultibase"] == did.split(":")[2]
        for rel in ("authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation"):
            assert doc[rel] == [vm["id"]]


@pytest.mark.parametrize(("prefix", "curve"), [("did:key:zDna", "P-256"), ("did:key:z82L", "P-384")])
def test_did_key_nist_vectors_from_jwk(prefix: str, curve: str) -> None:
    cases = vector("did-key.json")["nist-curves.json"]
    selected = {did: case for did, case in cases.items() if did.startswith(prefix)}
    assert selected
    checked = 0
    for did, case in selected.items():
        method = case["verificationMethod"]
        if "publicKeyJwk" not in method:  # one entry uses the old publicKeyBase58 form
            continue
        jwk = method["publicKeyJwk"]
        assert jwk["crv"] == curve
        assert PublicKey.from_jwk(jwk).did_key == did
        assert did_key_public_key(did).jwk() == {k: jwk[k] for k in ("kty", "crv", "x", "y")}
        assert KeyPair.from_jwk(method["privateKeyJwk"]).public_key.did_key == did
        checked += 1
    assert checked >= 2


def test_did_key_unsupported_curve_is_a_clear_error() -> None:
    cases = vector("did-key.json")["nist-curves.json"]
    p521 = next(did for did in cases if did.startswith("did:key:z2J9"))
    with pytest.raises(DidError, match="unsupported Multikey header"):
        did_key_public_key(p521)


def test_w3c_eddsa_vector_key_did() -> None:
    v = vector("did-key.json")["w3cEddsaVectorKey"]
    assert did_key_public_key(v["did"]).multibase == v["did"].split(":")[2]


@pytest.mark.parametrize(("did", "url"), [
    ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
    ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
    ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
])
def test_did_web_url_mapping(did: str, url: str) -> None:
    assert did_web_url(did) == url


@pytest.mark.parametrize("bad", ["did:web:127.0.0.1", "did:web:exa mple.com", "did:web:example.com:..",
                                 "did:web:example.com#frag", "did:key:z6Mk"])
def test_did_web_url_rejects_bad_dids(bad: str) -> None:
    with pytest.raises(DidError):
        did_web_url(bad)


def test_did_web_build_document() -> None:
    key = KeyPair.generate()
    did = did_web("registrar.college.example.ca", "omc")
    assert did == "did:web:registrar.college.example.ca:omc"
    doc = did_web_document(did, [key.public_key])
    assert doc["assertionMethod"] == [f"{did}#key-1"] == doc["authentication"]
    assert doc["verificationMethod"][0]["type"] == "Multikey"


class FakeFetcher:
    """Stands in for omc_vc._internal.fetch.Fetcher: serves a dict of URL -> bytes."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages
        self.calls: list[str] = []

    def get_ok(self, url: str, **_: Any) -> FetchResponse:
        self.calls.append(url)
        if url not in self.pages:
            raise FetchError(f"{url} answered HTTP 404", code="FETCH_HTTP_ERROR")
        return FetchResponse(url, 200, {}, self.pages[url])


def test_did_web_resolves_through_injected_fetcher() -> None:
    import json

    key = KeyPair.generate()
    did = did_web("college.example.ca")
    doc = did_web_document(did, [key.public_key])
    fetcher = FakeFetcher({"https://college.example.ca/.well-known/did.json": json.dumps(doc).encode()})
    resolver = DidResolver(fetcher=fetcher)  # type: ignore[arg-type]
    _, public = retrieve_verification_method(f"{did}#key-1", "assertionMethod", resolver)
    assert public == key.public_key
    resolver.resolve(did)
    assert len(fetcher.calls) == 1  # cached


def test_did_web_document_with_other_id_is_rejected() -> None:
    import json

    did = did_web("college.example.ca")
    doc = did_web_document("did:web:evil.example", [KeyPair.generate().public_key])
    fetcher = FakeFetcher({"https://college.example.ca/.well-known/did.json": json.dumps(doc).encode()})
    with pytest.raises(DidError, match="not did:web:college"):
        DidResolver(fetcher=fetcher).resolve(did)  # type: ignore[arg-type]


def test_did_web_unreachable_fails_closed() -> None:
    with pytest.raises(DidError):
        DidResolver(fetcher=FakeFetcher({})).resolve("did:web:college.example.ca")  # type: ignore[arg-type]
    with pytest.raises(DidError, match="not configured"):
        DidResolver().resolve("did:web:college.example.ca")


def test_did_web_not_json_is_a_clear_error() -> None:
    fetcher = FakeFetcher({"https://college.example.ca/.well-known/did.json": b"<html>"})
    with pytest.raises(DidError, match="not valid JSON"):
        DidResolver(fetcher=fetcher).resolve("did:web:college.example.ca")  # type: ignore[arg-type]


def test_vm_not_authorized_for_purpose_is_rejected() -> None:
    key = KeyPair.generate()
    did = did_web("college.example.ca")
    doc = did_web_document(did, [key.public_key])
    doc["assertionMethod"] = []
    resolver = DidResolver(documents={did: doc})
    with pytest.raises(VerificationMethodError) as info:
        retrieve_verification_method(f"{did}#key-1", "assertionMethod", resolver)
    assert info.value.code == "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"


def test_did_key_fragment_must_match_key() -> None:
    a, b = KeyPair.generate(), KeyPair.generate()
    with pytest.raises(VerificationMethodError):
        retrieve_verification_method(f"{a.public_key.did_key}#{b.public_key.multibase}", "assertionMethod",
                                     DidResolver())


def test_vm_without_fragment_is_rejected() -> None:
    # a bare did:key names its single key (the VCDM 2.0 Recommendation's examples); any other DID needs a fragment
    key = KeyPair.generate()
    _, public = retrieve_verification_method(key.public_key.did_key, "assertionMethod", DidResolver())
    assert public == key.public_key
    with pytest.raises(VerificationMethodError) as info:
        retrieve_verification_method(did_web("college.example.ca"), "assertionMethod", DidResolver())
    assert info.value.code == "INVALID_VERIFICATION_METHOD_URL"


def test_vm_with_foreign_controller_is_rejected() -> None:
    key = KeyPair.generate()
    did = did_web("college.example.ca")
    doc = did_web_document(did, [key.public_key])
    doc["verificationMethod"][0]["controller"] = "did:web:evil.example"
    with pytest.raises(VerificationMethodError, match="controlled by"):
        retrieve_verification_method(f"{did}#key-1", "assertionMethod", DidResolver(documents={did: doc}))


# --- the did:key retrieval memo (retrieve_verification_method) ------------------------------------------

def _did_key_memo_size() -> int:
    from omc_vc.did import _did_key_method

    return _did_key_method.cache_info().currsize


def test_did_key_retrieval_is_remembered_and_returns_a_fresh_method_each_time() -> None:
    from omc_vc.did import _did_key_method

    key = KeyPair.generate("p256")
    vm = key.verification_method
    method, public = retrieve_verification_method(vm, "assertionMethod", DidResolver())
    hits = _did_key_method.cache_info().hits
    method["controller"] = "did:web:evil.example"  # a caller changing its copy changes nothing else
    again, public_again = retrieve_verification_method(vm, "assertionMethod", DidResolver())
    assert _did_key_method.cache_info().hits == hits + 1
    assert again == {"id": vm, "type": "Multikey", "controller": key.controller,
                     "publicKeyMultibase": key.public_key.multibase}
    assert public_again is public and public == key.public_key
    assert _did_key_method.cache_info().maxsize is not None  # bounded


def test_did_key_memo_is_keyed_by_purpose_and_failures_are_not_remembered() -> None:
    key = KeyPair.generate()
    retrieve_verification_method(key.verification_method, "assertionMethod", DidResolver())
    size = _did_key_memo_size()
    for _ in range(2):  # keyAgreement is not a relationship of a signing did:key, every time
        with pytest.raises(VerificationMethodError) as info:
            retrieve_verification_method(key.verification_method, "keyAgreement", DidResolver())
        assert info.value.code == "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"
    other = KeyPair.generate()
    for _ in range(2):
        with pytest.raises(VerificationMethodError):
            retrieve_verification_method(f"{key.controller}#{other.public_key.multibase}", "assertionMethod",
                                         DidResolver())
    assert _did_key_memo_size() == size


def test_pinned_did_key_document_wins_over_the_memo() -> None:
    key = KeyPair.generate()
    vm = key.verification_method
    retrieve_verification_method(vm, "assertionMethod", DidResolver())  # remembered
    pinned = did_key_document(key.controller)
    pinned["assertionMethod"] = []
    with pytest.raises(VerificationMethodError) as info:
        retrieve_verification_method(vm, "assertionMethod", DidResolver(documents={key.controller: pinned}))
    assert info.value.code == "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"


def test_a_resolver_that_resolves_differently_is_asked_every_time() -> None:
    key, impostor = KeyPair.generate(), KeyPair.generate()
    vm = key.verification_method
    retrieve_verification_method(vm, "assertionMethod", DidResolver())  # remembered

    class Revoking(DidResolver):
        def resolve(self, did: str) -> dict[str, Any]:
            raise DidError(f"{did} is deactivated", code="notFound")

    class Substituting(DidResolver):
        def resolve(self, did: str) -> dict[str, Any]:
            doc = did_key_document(did)
            doc["verificationMethod"][0]["publicKeyMultibase"] = impostor.public_key.multibase
            return doc

    with pytest.raises(VerificationMethodError) as info:
        retrieve_verification_method(vm, "assertionMethod", Revoking())
    assert info.value.code == "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"
    with pytest.raises(VerificationMethodError, match="fragment"):
        retrieve_verification_method(vm, "assertionMethod", Substituting())


def test_did_web_is_never_remembered_across_resolvers() -> None:
    import json

    key = KeyPair.generate()
    did = did_web("college.example.ca")
    url = "https://college.example.ca/.well-known/did.json"
    fetcher = FakeFetcher({url: json.dumps(did_web_document(did, [key.public_key])).encode()})
    size = _did_key_memo_size()
    for _ in range(2):
        retrieve_verification_method(f"{did}#key-1", "assertionMethod", DidResolver(fetcher=fetcher))  # type: ignore[arg-type]
    assert fetcher.calls == [url, url]  # each new resolver fetched the document itself
    assert _did_key_memo_size() == size
    # a key rotation is seen by the next resolver: the old key is gone from the new document
    fetcher.pages[url] = json.dumps(did_web_document(did, [KeyPair.generate().public_key])).encode()
    _, rotated = retrieve_verification_method(f"{did}#key-1", "assertionMethod", DidResolver(fetcher=fetcher))  # type: ignore[arg-type]
    assert rotated != key.public_key
