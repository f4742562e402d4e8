"""Property tests: no mutation of a signed document verifies, and nothing but the
project's typed errors ever escapes.

Each base document is signed once with a deterministic key; hypothesis then picks a place in it (any
object member or list item, proofs included) and changes, deletes or adds something there. The
verifier must say "not verified" with named failed checks, and must not raise. Mutations that are no
change at all in JSON-LD (a value vs a one-element list of it) are excluded, since they are not edits.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from omc_vc import jsonld
from omc_vc.bitstring import MIN_BITS
from omc_vc.errors import OmcVcError, RegistryError
from omc_vc.issue.status_lists import build_status_list_credential, status_entry
from omc_vc.omc.builder import Learner, build_omc, issuer_profile, sign_omc
from omc_vc.proofs import data_integrity
from omc_vc.proofs.jose import sign_jwt
from omc_vc.registry import Anchors, RegistryDraft, sign_registry, verify_registry
from omc_vc.verify import Verifier
from tests.attacks.world import ACHIEVEMENT, ISSUED, NOW, REGISTRY_ID, key_for

ISSUER = key_for("college")
HOLDER = key_for("holder")
MINISTRY = key_for("ministry")
VERIFIER = Verifier()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _credential(holder: bool = False) -> dict[str, Any]:
    unsigned = build_omc(issuer=issuer_profile(ISSUER.controller, {"name": "Example College", "url": "https://college.example.ca",
                                                                 "omcConsentReference": "MCU-OMC-1"}),
                         achievement=copy.deepcopy(ACHIEVEMENT),
                         learner=Learner(name="Ada Learner", email="ada@example.ca",
                                         did=HOLDER.controller if holder else None),
                         status=[status_entry("https://college.example.ca/status/1", 7, "revocation")],
                         issued=ISSUED, credential_id="urn:uuid:2f0b7d1e-5c1a-4e0e-9d55-6b1f4f2a9c01",
                         salt="ab" * 16)
    return sign_omc(unsigned, ISSUER, created=ISSUED)


CREDENTIAL = _credential()
PRESENTATION = data_integrity.add_proof(
    {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
     "holder": HOLDER.controller, "verifiableCredential": [_credential(holder=True)]},
    HOLDER, purpose="authentication", challenge="c-1", domain="https://employer.example.ca",
    created=NOW - timedelta(minutes=1))
_DRAFT = RegistryDraft.new(REGISTRY_ID, anchors=Anchors((MINISTRY.public_key,), 1))
_DRAFT.add_institution(legal_name="Example College", kind="college", dids=[ISSUER.controller],
                       consent_reference="MCU-OMC-1", scope=("OMC",), granted=NOW - timedelta(days=400))
REGISTRY = sign_registry(_DRAFT, [MINISTRY], now=NOW - timedelta(days=1), valid_for=timedelta(days=3650), version=4)
STATUS_LIST = build_status_list_credential(list_url="https://college.example.ca/status/1", key=ISSUER,
                                           issuer=ISSUER.controller, purpose="revocation",
                                           bitstring=bytes(MIN_BITS // 8), valid_from=NOW - timedelta(days=30),
                                           created=NOW - timedelta(days=30))


# --- mutation strategy ------------------------------------------------------------------------------------

def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every JSON location below the root: object members and list items."""
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*path, key))
            out += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.append((*path, index))
            out += _places(item, (*path, index))
    return out


JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=40),
                        st.sampled_from(["", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                                         "https://evil.example/", "urn:uuid:00000000-0000-4000-8000-000000000000",
                                         "2099-01-01T00:00:00Z", "assertionMethod", "eddsa-jcs-2022", "0"]))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                st.dictionaries(st.text(max_size=8), inner,
                                                                                max_size=3)), max_leaves=6)


def _same_in_json_ld(old: Any, new: Any) -> bool:
    return bool(old == new or new == [old] or [new] == old)


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    places = _places(doc)
    path = draw(st.sampled_from(places))
    parent: Any = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "delete":
        if isinstance(parent, list) and len(parent) == 1:
            # deleting the only item of a list is like deleting the key (still an edit)
            pass
        del parent[last]
    elif action == "replace":
        new = draw(JSON_VALUES)
        assume(not _same_in_json_ld(parent[last], new))
        parent[last] = new
    else:
        target = parent[last] if isinstance(parent[last], dict | list) else parent
        if isinstance(target, dict):
            name = draw(st.text(min_size=1, max_size=12))
            assume(name not in target)
            target[name] = draw(JSON_VALUES)
        else:
            target.append(draw(JSON_VALUES))
    assume(doc != base)
    return doc


def _canonical(document: dict[str, Any]) -> tuple[str, str]:
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = {k: v for k, v in document["proof"].items() if k != "proofValue"}
    proof["@context"] = document.get("@context")
    return jsonld.canonicalize(unsecured), jsonld.canonicalize(proof)


def _same_signed_content(base: dict[str, Any], document: Any) -> bool:
    """True when the edit left exactly the signed content: the same canonical N-Quads (RDFC-1.0) of the
    document and of the proof options, and the same proofValue. Such an edit (an empty or unused inline
    @context, say) is JSON-only: the eddsa-rdfc-2022 signature covers the RDF graph, not the JSON text."""
    try:
        return bool(isinstance(document, dict) and isinstance(document.get("proof"), dict)
                    and document["proof"].get("proofValue") == base["proof"]["proofValue"]
                    and _canonical(document) == _canonical(base))
    except OmcVcError:
        return False


def _verify_never_passes(document: Any, base: dict[str, Any] | None = None, **options: Any) -> None:
    try:
        result = VERIFIER.verify(document, now=NOW, **options)
    except OmcVcError:
        return  # a typed error is an acceptable refusal (bad arguments raise)
    if result.verified and base is not None and _same_signed_content(base, document):
        return
    assert not result.verified, json.dumps(document)[:2000]
    assert any(c.failed for c in result.checks) or any(not c.verified for c in result.credentials)


# --- the properties ---------------------------------------------------------------------------------------

def test_bases_verify() -> None:
    assert VERIFIER.verify(CREDENTIAL, now=NOW).verified
    assert VERIFIER.verify(PRESENTATION, now=NOW, challenge="c-1", domain="https://employer.example.ca").verified
    assert VERIFIER.verify(STATUS_LIST, now=NOW).verified
    assert verify_registry(REGISTRY, _DRAFT.anchors, now=NOW).data.version == 4


@SETTINGS
@given(mutated(CREDENTIAL))
def test_any_mutation_of_a_signed_credential_never_verifies(document: dict[str, Any]) -> None:
    _verify_never_passes(document, CREDENTIAL)


@SETTINGS
@given(mutated(PRESENTATION))
def test_any_mutation_of_a_signed_presentation_never_verifies(document: dict[str, Any]) -> None:
    _verify_never_passes(document, PRESENTATION, challenge="c-1", domain="https://employer.example.ca")


@SETTINGS
@given(mutated(STATUS_LIST))
def test_any_mutation_of_a_signed_status_list_never_verifies(document: dict[str, Any]) -> None:
    _verify_never_passes(document, STATUS_LIST)


@SETTINGS
@given(mutated(REGISTRY))
def test_any_mutation_of_a_signed_registry_is_refused_with_a_registry_error(document: dict[str, Any]) -> None:
    try:
        verify_registry(document, _DRAFT.anchors, now=NOW)
    except RegistryError:
        return
    assert _same_signed_content(REGISTRY, document), json.dumps(document)[:2000]


JWT = sign_jwt(_credential(), ISSUER, now=NOW)


B64URL_AND_DOT = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


@SETTINGS
@given(st.integers(0, len(JWT) - 1), st.sampled_from(B64URL_AND_DOT))
def test_any_character_change_in_a_vc_jwt_never_verifies(position: int, char: str) -> None:
    assume(JWT[position] != char)
    _verify_never_passes(JWT[:position] + char + JWT[position + 1:])


@SETTINGS
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_verify_and_never_crash(data: bytes) -> None:
    _verify_never_passes(data)
