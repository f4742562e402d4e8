"""Checks read what was signed: no JSON-LD rewriting of a signed document can improve its verdict.

A Data Integrity proof signs a document's RDF graph; the checks read its JSON. Each test here takes a
signed document whose verdict is bad (revoked, expired, not yet valid, an expired proof, a stranger's
presentation, an expired status list), moves each field a check reads through each JSON-LD keyword,
alias and container form the bundled contexts allow, proves that the rewritten document has the same
signed graph as the original (so its signature still verifies), and shows the verdict never improves:
the rewrite is refused as NON_PLAIN_JSON_LD (omc_vc/jsonld_plain.py) or fails as before. The same
rewrites of a good credential never crash the verifier, and the plain forms (a one-element array) keep
it valid.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from omc_vc import jsonld
from omc_vc.bitstring import MIN_BITS, set_status
from omc_vc.checks.status import StatusListCheck
from omc_vc.did import DidResolver
from omc_vc.errors import NonPlainJsonLdError
from omc_vc.issue.status_lists import build_status_list_credential, status_entry
from omc_vc.jsonld_plain import require_plain
from omc_vc.keys import KeyPair
from omc_vc.model import VerificationResult
from omc_vc.proofs.data_integrity import add_proof
from omc_vc.verify import Verifier

NOW = datetime(2026, 6, 1, tzinfo=UTC)
V2 = "https://www.w3.org/ns/credentials/v2"
CRED = "https://www.w3.org/2018/credentials#"
STATUS = "https://www.w3.org/ns/credentials/status#"
SEC = "https://w3id.org/security#"
XSD = "http://www.w3.org/2001/XMLSchema#"
LIST_URL = "https://college.example.ca/status/1"
REVOKED_INDEX = 7
CHALLENGE = "c-123"
DOMAIN = "employer.example.ca"

#: every field a check reads: its IRI and how its term coerces a string value (None: plain literal)
FIELDS: dict[str, tuple[str, str | None]] = {
    "validFrom": (CRED + "validFrom", XSD + "dateTime"),
    "validUntil": (CRED + "validUntil", XSD + "dateTime"),
    "credentialStatus": (CRED + "credentialStatus", "@id"),
    "credentialSubject": (CRED + "credentialSubject", "@id"),
    "issuer": (CRED + "issuer", "@id"),
    "holder": (CRED + "holder", "@id"),
    "verifiableCredential": (CRED + "verifiableCredential", "@id"),
    "statusPurpose": (STATUS + "statusPurpose", None),
    "statusListIndex": (STATUS + "statusListIndex", None),
    "statusListCredential": (STATUS + "statusListCredential", "@id"),
    "encodedList": (STATUS + "encodedList", XSD + "base64Binary"),
    "created": ("http://purl.org/dc/terms/created", XSD + "dateTime"),
    "expires": (SEC + "expiration", XSD + "dateTime"),
    "challenge": (SEC + "challenge", None),
    "domain": (SEC + "domain", None),
}


# --- the world: an issuer, a revocation list, a holder and a stranger ---------------------------------

ISSUER = KeyPair.generate("ed25519")
HOLDER = KeyPair.generate("ed25519")
STRANGER = KeyPair.generate("ed25519")


def _list(*, revoked: bool = True, valid_until: datetime | None = None) -> dict[str, Any]:
    bits = bytearray(MIN_BITS // 8)
    if revoked:
        set_status(bits, REVOKED_INDEX, 1)
    return build_status_list_credential(list_url=LIST_URL, key=ISSUER, issuer=ISSUER.controller, purpose="revocation",
                                        bitstring=bytes(bits), valid_from=NOW - timedelta(days=30),
                                        valid_until=valid_until, created=NOW - timedelta(days=30))


def _credential(*, index: int = 1, valid_from: datetime | None = None, valid_until: datetime | None = None,
                expires: datetime | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [V2],
        "id": "urn:uuid:4f1c9a8e-9d2b-4d4e-8f7e-2a6b1c3d5e7f",
        "type": ["VerifiableCredential"],
        "issuer": ISSUER.controller,
        "validFrom": (valid_from or NOW - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialStatus": status_entry(LIST_URL, index, "revocation"),
        "credentialSubject": {"id": HOLDER.controller, "name": "Ana Silva"},
    }
    if valid_until is not None:
        document["validUntil"] = valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
    return add_proof(document, ISSUER, created=NOW - timedelta(days=10), expires=expires)


def _presentation(credential: dict[str, Any], signer: KeyPair) -> dict[str, Any]:
    document = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": signer.controller,
                "verifiableCredential": [credential]}
    return add_proof(document, signer, purpose="authentication", challenge=CHALLENGE, domain=DOMAIN,
                     created=NOW - timedelta(minutes=1))


def _verify(document: dict[str, Any], status_list: dict[str, Any] | None = None) -> VerificationResult:
    check = StatusListCheck(None, documents={LIST_URL: status_list or _list()}, clock=lambda: NOW)
    verifier = Verifier(resolver=DidResolver(), extra_checks=[check], clock=lambda: NOW)
    return verifier.verify(document, now=NOW, challenge=CHALLENGE, domain=DOMAIN)


def _graph(document: dict[str, Any]) -> str:
    return jsonld.canonicalize(document, check_data_loss=False)


# --- the rewrites: each keeps the RDF graph, moving one field out of the place a check reads it -------

Rewrite = Callable[[dict[str, Any], dict[str, Any], str], None]


def _add_context(doc: dict[str, Any], definition: dict[str, Any]) -> None:
    doc["@context"] = [*doc["@context"], definition]


def _nest(doc: dict[str, Any], node: dict[str, Any], key: str) -> None:
    node["@nest"] = {key: node.pop(key)}


def _iri(doc: dict[str, Any], node: dict[str, Any], key: str) -> None:
    iri, coerce = FIELDS[key]
    node[iri] = _typed(node.pop(key), coerce)


def _compact_iri(doc: dict[str, Any], node: dict[str, Any], key: str) -> None:
    iri, coerce = FIELDS[key]
    prefix, _, local = iri.rpartition("#") if "#" in iri else iri.rpartition("/")
    _add_context(doc, {"zz": prefix + ("#" if "#" in iri else "/")})
    node["zz:" + local] = _typed(node.pop(key), coerce)


def _alias(doc: dict[str, Any], node: dict[str, Any], key: str) -> None:
    iri, coerce = FIELDS[key]
    definition: dict[str, Any] = {"@id": iri}
    if coerce is not None:
        definition["@type"] = coerce
    _add_context(doc, {"zz" + key: definition})
    node["zz" + key] = node.pop(key)


def _set(doc: dict[str, Any], node: dict[str, Any], key: str) -> None:
    value = node[key]
    node[key] = {"@set": value if isinstance(value, list) else [value]}


def _value_object(doc: dict[str, Any], node: dict[str, Any], key: str) -> None:
    node[key] = _typed(node[key], FIELDS[key][1])


def _included(doc: dict[str, Any], node: dict[str, Any], key: str) -> None:
    # the triple (node, key, value) stated from the value's end: value @reverse key node
    if not isinstance(node.get("id"), str) or not isinstance(node[key], dict) or node[key].get("id") is None:
        pytest.skip("the reverse form needs named nodes at both ends")
    value = node.pop(key)
    doc.setdefault("@included", []).append({**value, "@reverse": {FIELDS[key][0]: {"@id": node["id"]}}})


def _second_place(doc: dict[str, Any], node: dict[str, Any], key: str) -> None:
    # the node described twice: the field moves to a second object with the same @id
    if node is not doc or not isinstance(doc.get("id"), str):
        pytest.skip("a second description needs the document's own @id")
    doc.setdefault("@included", []).append({"id": doc["id"], FIELDS[key][0]: _typed(node.pop(key), FIELDS[key][1])})


def _typed(value: Any, coerce: str | None) -> Any:
    if isinstance(value, list):
        return [_typed(item, coerce) for item in value]
    if not isinstance(value, str):
        return value
    if coerce == "@id":
        return {"@id": value}
    if coerce is None:
        return {"@value": value}
    return {"@value": value, "@type": coerce}


REWRITES: dict[str, Rewrite] = {
    "nest": _nest, "iri": _iri, "compact-iri": _compact_iri, "alias": _alias, "set": _set,
    "value-object": _value_object, "included-reverse": _included, "second-place": _second_place,
}


def _rewritten(document: dict[str, Any], path: tuple[str | int, ...], key: str, form: str) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    node: Any = doc
    for step in path:
        node = node[step]
    REWRITES[form](doc, node, key)
    return doc


# --- the bad documents, and where the fields their checks read live ----------------------------------

def _revoked() -> tuple[dict[str, Any], dict[str, Any] | None]:
    return _credential(index=REVOKED_INDEX), None


def _expired() -> tuple[dict[str, Any], dict[str, Any] | None]:
    return _credential(valid_until=NOW - timedelta(days=1)), None


def _not_yet_valid() -> tuple[dict[str, Any], dict[str, Any] | None]:
    return _credential(valid_from=NOW + timedelta(days=3)), None


def _proof_expired() -> tuple[dict[str, Any], dict[str, Any] | None]:
    return _credential(expires=NOW - timedelta(days=1)), None


def _stranger_presents() -> tuple[dict[str, Any], dict[str, Any] | None]:
    return _presentation(_credential(), STRANGER), None


def _list_expired() -> tuple[dict[str, Any], dict[str, Any] | None]:
    return _credential(), _list(revoked=False, valid_until=NOW - timedelta(days=1))


#: attack -> (build, the fields moved: (path to the node, key), the document the rewrite applies to)
ATTACKS: dict[str, tuple[Callable[[], tuple[dict[str, Any], dict[str, Any] | None]],
                         list[tuple[tuple[str | int, ...], str]], str]] = {
    "revoked-credential": (_revoked, [((), "credentialStatus"), (("credentialStatus",), "statusPurpose"),
                                      (("credentialStatus",), "statusListIndex"),
                                      (("credentialStatus",), "statusListCredential")], "credential"),
    "expired-credential": (_expired, [((), "validUntil")], "credential"),
    "not-yet-valid-credential": (_not_yet_valid, [((), "validFrom")], "credential"),
    "expired-proof": (_proof_expired, [(("proof",), "expires")], "credential"),
    "stranger-presents-anothers-credential": (
        _stranger_presents, [((), "holder"), (("verifiableCredential", 0, "credentialSubject"), "id")],
        "credential"),
    "expired-status-list": (_list_expired, [((), "validUntil")], "list"),
}

CASES = [(attack, path, key, form) for attack, (_, fields, _) in ATTACKS.items() for path, key in fields
         for form in REWRITES]


@pytest.mark.parametrize(("attack", "path", "key", "form"), CASES,
                         ids=[f"{a}-{'.'.join(map(str, (*p, k)))}-{f}" for a, p, k, f in CASES])
def test_rewriting_a_signed_field_never_improves_the_verdict(attack: str, path: tuple[str | int, ...], key: str,
                                                             form: str) -> None:
    build, _, target = ATTACKS[attack]
    credential, status_list = build()
    baseline = _verify(credential, status_list)
    assert not baseline.verified, f"{attack}: the unmodified document must already fail"
    if key == "id":
        if form not in ("nest", "set"):
            pytest.skip("an @id is moved by keyword forms only")
        form = "id-keyword"
    if target == "credential":
        original = credential
        document = _rewrite_id(credential, path) if form == "id-keyword" else _rewritten(credential, path, key, form)
        listed = status_list
    else:
        assert status_list is not None
        original = status_list
        document = _rewritten(status_list, path, key, form)
        listed = document
    if document == original:
        pytest.skip("this form does not apply to this field (the rewrite changes nothing)")
    try:
        same_graph = _graph(document) == _graph(original)
    except Exception:  # a form JSON-LD itself refuses changes nothing: it cannot verify
        same_graph = False
    result = _verify(credential if target == "list" else document, listed)
    assert not result.verified, f"{attack} via {form} of {key}: the verdict improved ({result.reason})"
    if same_graph:
        # the attack is real (the signature still covers this JSON): the class is refused as not plain
        with pytest.raises(NonPlainJsonLdError):
            require_plain(document)


def _rewrite_id(document: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    # "id" written as "@id": the same graph, but a check reading "id" finds nothing
    doc = copy.deepcopy(document)
    node: Any = doc
    for step in path:
        node = node[step]
    node["@id"] = node.pop("id")
    return doc


def _all_checks(result: VerificationResult) -> list[Any]:
    found = list(result.checks)
    for sub in result.credentials:
        found.extend(_all_checks(sub))
    return found


# --- a good credential: rewrites never crash, plain forms stay valid ----------------------------------

GOOD_FIELDS = [((), "validFrom"), ((), "credentialStatus"), ((), "issuer"), (("credentialStatus",), "statusPurpose"),
               (("proof",), "created")]


@pytest.mark.parametrize(("path", "key", "form"), [(p, k, f) for p, k in GOOD_FIELDS for f in REWRITES])
def test_rewrites_of_a_valid_credential_are_refused_with_a_path_never_a_crash(path: tuple[str, ...], key: str,
                                                                               form: str) -> None:
    credential = _credential()
    assert _verify(credential).verified
    document = _rewritten(credential, path, key, form)
    if document == credential:
        pytest.skip("this form does not apply to this field (the rewrite changes nothing)")
    result = _verify(document)
    assert not result.verified
    failed = [c for c in result.checks if c.failed]
    assert failed and all(c.code for c in failed), failed
    if _graph(document) == _graph(credential):
        assert failed[0].code == "NON_PLAIN_JSON_LD" or failed[0].name == "data-model", failed


def test_plain_forms_stay_valid() -> None:
    credential = _credential()
    document = copy.deepcopy(credential)
    document["type"] = "VerifiableCredential"  # a one-element array written as its element: the same graph
    document["credentialSubject"] = [document["credentialSubject"]]
    assert _graph(document) == _graph(credential)
    assert _verify(document).verified


def test_inline_context_with_terms_of_its_own_is_plain() -> None:
    document = {"@context": [V2, {"shoeSize": "https://shoes.example/size"}], "type": ["VerifiableCredential"],
                "issuer": ISSUER.controller, "credentialSubject": {"id": HOLDER.controller, "shoeSize": "9"}}
    require_plain(document)


def test_language_value_objects_are_plain() -> None:
    document = {"@context": [V2], "type": ["VerifiableCredential"], "issuer": ISSUER.controller,
                "name": [{"@value": "Welding", "@language": "en"}, {"@value": "Soudage", "@language": "fr"}],
                "credentialSubject": {"id": HOLDER.controller}}
    require_plain(document)


@pytest.mark.parametrize("keyword", ["@nest", "@included", "@reverse", "@graph", "@index"])
def test_every_graph_moving_keyword_is_refused_by_name(keyword: str) -> None:
    value: Any = {"https://shoes.example/size": "9"}
    if keyword == "@index":
        value = "x"
    document = {"@context": [V2], "type": ["VerifiableCredential"], "issuer": ISSUER.controller, keyword: value,
                "credentialSubject": {"id": HOLDER.controller}}
    with pytest.raises(NonPlainJsonLdError) as caught:
        require_plain(document)
    assert caught.value.code == "NON_PLAIN_JSON_LD"
    assert keyword in caught.value.detail


def test_blank_node_label_is_refused() -> None:
    # two objects labelled "_:b" are one node: a field could be moved from one to the other
    document = {"@context": [V2], "type": ["VerifiableCredential"], "issuer": ISSUER.controller,
                "credentialSubject": {"id": "_:b"}}
    with pytest.raises(NonPlainJsonLdError, match="blank node label"):
        require_plain(document)


def test_an_inline_context_cannot_give_a_checked_name_another_meaning() -> None:
    # rule 3 needs no reverse direction: where checks read a name, the bundled contexts' (protected,
    # type-scoped) definition is the one in force, so the appended definition changes nothing
    document = _credential(valid_until=NOW - timedelta(days=1))
    document["@context"] = [*document["@context"], {"validUntil": "https://evil.example/validUntil"}]
    assert _graph(document) == _graph(_credential(valid_until=NOW - timedelta(days=1)))
    result = _verify(document)
    failed = [c for c in result.checks if c.failed]
    assert not result.verified and failed[0].code == "CREDENTIAL_EXPIRED", failed


def test_an_own_term_with_a_standard_name_outside_the_standard_scope_is_plain() -> None:
    # a CLR's inline context defines its own "achievement" (another vocabulary's IRI) at its top level
    document = {"@context": [V2, {"achievement": {"@id": "https://clr.example/vocab#achievement", "@type": "@id"}}],
                "type": ["VerifiableCredential"], "issuer": ISSUER.controller,
                "credentialSubject": {"id": HOLDER.controller, "achievement": "urn:uuid:1"}}
    require_plain(document)
