"""The direct JSON-LD -> RDF converter (omc_vc/_fastrdf.py) against PyLD's pipeline: every speed path
is proven byte-identical to the plain one.

Every comparison runs both paths with the context memo on and compares the *outcome*: the canonical
N-Quads (RDFC-1.0, so blank node labels and triple order do not matter), or the error class and code.
The fast path may decline a document (Unsupported) and leave it to PyLD; it must never give another
answer. Compared here: every JSON-LD toRdf test, every JSON-LD document in the tests and the shared
vectors, the documents omc-vc itself makes, and thousands of random edits of them (hypothesis).
"""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omc_vc import _fastrdf, jsonld
from omc_vc.errors import OmcVcError
from tests.conftest import SHARED
from tests.property.test_mutations import CREDENTIAL, PRESENTATION, REGISTRY, STATUS_LIST

ROOT = Path(__file__).resolve().parents[2]


def _outcome(doc: Any, *, fast: bool, check: bool = True, loader: Any = None,
             options: dict[str, Any] | None = None) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyLD warns about terms in the reserved '@' form
            records = jsonld._to_records(doc, loader, check=check, memoize=True, options=options, fast=fast)
        return jsonld._canonicalize_records(records, max_blank_nodes=jsonld.DEFAULT_MAX_BLANK_NODES,
                                            max_work=jsonld.DEFAULT_MAX_WORK, hash_algorithm="sha256")
    except OmcVcError as exc:
        return f"{type(exc).__name__}: {exc.code}"


def _fast_handles(doc: dict[str, Any], loader: Any = None, options: dict[str, Any] | None = None) -> bool:
    processor, opts = jsonld._setup(loader or jsonld.default_loader(), check=True, memoize=True)
    opts["produceGeneralizedRdf"] = False
    opts.update(options or {})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _fastrdf.to_records(doc, processor, opts, jsonld._is_rdf_iri)
    except _fastrdf.Unsupported:
        return False
    return True


def _unsecured(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


def _proof_config(document: dict[str, Any]) -> dict[str, Any]:
    proof = document["proof"][0] if isinstance(document["proof"], list) else document["proof"]
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = document["@context"]
    return config


OWN_DOCUMENTS = {
    "omc": CREDENTIAL,
    "omc-unsecured": _unsecured(CREDENTIAL),
    "omc-proof-configuration": _proof_config(CREDENTIAL),
    "presentation": PRESENTATION,
    "presentation-unsecured": _unsecured(PRESENTATION),
    "registry": REGISTRY,
    "registry-unsecured": _unsecured(REGISTRY),
    "status-list": STATUS_LIST,
    "status-list-unsecured": _unsecured(STATUS_LIST),
}


# --- what the fast path is for: the documents omc-vc signs and verifies --------------------------------

@pytest.mark.parametrize("name", sorted(OWN_DOCUMENTS))
def test_own_documents_take_the_fast_path_and_match(name: str) -> None:
    document = OWN_DOCUMENTS[name]
    assert _fast_handles(document), f"{name} fell back to PyLD: the speed figures would not hold"
    fast = _outcome(document, fast=True)
    assert fast == _outcome(document, fast=False)
    assert fast.count("\n") >= 5 and "Error" not in fast  # real output, not an error


def test_embedded_proof_graph_is_a_named_graph() -> None:
    # VC 2.0: "proof" has "@container": "@graph"; the proof node sits in a graph named by a blank node
    out = _outcome(CREDENTIAL, fast=True)
    proof_lines = [line for line in out.splitlines() if "<https://w3id.org/security#proof>" in line]
    assert len(proof_lines) == 1 and proof_lines[0].split()[2].startswith("_:c14n")
    graph = proof_lines[0].split()[2]
    assert any(line.endswith(f"{graph} .") for line in out.splitlines())


# --- the JSON-LD toRdf tests -------------------------------------------------------------------------

def _torddf_entries() -> list[Any]:
    manifest = SHARED / "conformance" / "json-ld-api-tests" / "toRdf-manifest.jsonld"
    if not manifest.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"the toRdf tests are not at {manifest.parent}"))]
    from tests.conformance.test_jsonld_torddf import ENTRIES, _id, _skip_reason

    return [pytest.param(e, id=_id(e)) for e in ENTRIES if _skip_reason(e) is None]


TORDF = _torddf_entries()


def _torddf_input(entry: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    from tests.conformance.test_jsonld_torddf import SUITE, _options, suite_loader

    return json.loads((SUITE / entry["input"]).read_text(encoding="utf-8")), suite_loader, _options(entry)


@pytest.mark.parametrize("entry", TORDF)
@pytest.mark.parametrize("check", [True, False], ids=["check", "no-check"])
def test_torddf_suite_fast_equals_pyld(entry: dict[str, Any], check: bool) -> None:
    document, loader, options = _torddf_input(entry)
    fast = _outcome(document, fast=True, check=check, loader=loader, options=options)
    assert fast == _outcome(document, fast=False, check=check, loader=loader, options=options)


def test_torddf_suite_exercises_the_fast_path() -> None:
    if TORDF and TORDF[0].values[0] is None:
        pytest.skip("the toRdf tests are not available (../shared is absent)")
    handled = 0
    for param in TORDF:
        document, loader, options = _torddf_input(param.values[0])
        if isinstance(document, dict) and _fast_handles(document, loader, options):
            handled += 1
    # 144 of the 454 tests run are in the subset the fast path takes (PyLD 3.3.0, this suite copy); the
    # comparison above means something only while many of them do
    assert handled >= 120, handled


# --- every JSON-LD document in the repository's tests and the shared vectors -----------------------

def _corpus() -> list[Any]:
    roots = [ROOT / "tests", SHARED / "reference" / "vectors"]
    params = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.json")):
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(document, dict) and "@context" in document:
                params.append(pytest.param(document, id=str(path.relative_to(root.parent))))
    return params


CORPUS = _corpus()


@pytest.mark.parametrize("document", CORPUS)
def test_corpus_fast_equals_pyld(document: dict[str, Any]) -> None:
    assert _outcome(document, fast=True) == _outcome(document, fast=False)
    assert _outcome(document, fast=True, check=False) == _outcome(document, fast=False, check=False)


# --- random edits of omc-vc's documents ----------------------------------------------------------------

TERMS = ["id", "type", "name", "description", "issuer", "credentialSubject", "achievement", "validFrom",
         "proof", "verifiableCredential", "alignment", "creditsAvailable", "endorsement", "image", "url",
         "credentialStatus", "statusListIndex", "encodedList", "identifier", "result", "undefinedTerm",
         "@id", "@type", "@value", "@list", "@graph", "@context", "@language", "@reverse", "@included"]
TYPES = ["VerifiableCredential", "OpenBadgeCredential", "Achievement", "AchievementSubject", "Profile",
         "EndorsementCredential", "BitstringStatusListEntry", "DataIntegrityProof", "Alignment", "Result",
         "UndefinedType", "https://example.org/T", "_:b1", "relative/type"]
STRINGS = ["", "urn:uuid:1", "did:key:z6Mk", "https://example.org/x", "relative/iri", "_:b1", "_:b2",
           "2026-01-01T00:00:00Z", "en", "with space: iri", "a\u0007b", "@id", "VerifiableCredential"]
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-10**22, 10**22),
                   st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(STRINGS),
                   st.sampled_from(TYPES), st.text(max_size=12))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(TERMS), inner, max_size=3),
    st.fixed_dictionaries({"@context": st.sampled_from([{"@vocab": "urn:v:"}, {"x": "urn:x"}, None,
                                                       {"name": {"@id": "urn:n", "@type": "@id"}},
                                                       "https://www.w3.org/ns/credentials/v2"])},
                          optional={"name": inner, "type": st.sampled_from(TYPES)}),
), max_leaves=5)


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        out.append((*path, key))
        out += _places(item, (*path, key))
    return out


@st.composite
def edited(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(OWN_DOCUMENTS[draw(st.sampled_from(sorted(OWN_DOCUMENTS)))])
    for _ in range(draw(st.integers(1, 3))):
        places = _places(doc)
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent: Any = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add", "type"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = copy.deepcopy(draw(VALUES))
        elif action == "type" and isinstance(parent, dict):
            parent["type"] = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3))
        else:
            target = parent[path[-1]]
            if isinstance(target, dict):
                target[draw(st.sampled_from(TERMS))] = copy.deepcopy(draw(VALUES))
            elif isinstance(target, list):
                target.append(copy.deepcopy(draw(VALUES)))
    return doc


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(edited())
def test_random_edits_fast_equals_pyld(document: dict[str, Any]) -> None:
    assert _outcome(document, fast=True) == _outcome(document, fast=False)
    assert _outcome(document, fast=True, check=False) == _outcome(document, fast=False, check=False)


# --- what it leaves to PyLD, and its own bounds --------------------------------------------------------

V2 = "https://www.w3.org/ns/credentials/v2"


@pytest.mark.parametrize("document", [
    {"@context": [V2], "type": ["VerifiableCredential"], "credentialSubject": {"undefinedTerm": "x"}},
    {"@context": [V2], "id": "relative/id", "type": ["VerifiableCredential"]},
    {"@context": [V2, {"@vocab": "urn:v:"}], "p": {"@value": "x", "@language": "en"}},
    {"@context": [V2, {"@vocab": "urn:v:", "l": {"@container": "@list"}}], "l": ["a", "b"]},
    {"@context": [V2, {"@vocab": "urn:v:", "@language": "fr"}], "p": "x"},
    {"@context": [V2, {"@vocab": "urn:v:", "r": {"@reverse": "urn:r"}}], "r": {"id": "urn:x"}},
    {"@context": [V2], "@graph": [{"id": "urn:x", "type": "VerifiableCredential"}]},
    {"@context": [V2], "id": ["urn:a"], "type": "VerifiableCredential"},
    {"@context": [V2], "id": "urn:a", "@id": "urn:b", "type": "VerifiableCredential"},
    {"@context": "https://example.org/not-bundled", "name": "x"},
], ids=["undefined-term", "relative-id", "value-object", "list", "default-language", "reverse", "graph",
        "non-string-id", "colliding-ids", "unbundled-context"])
def test_declines_and_pyld_decides(document: dict[str, Any]) -> None:
    assert not _fast_handles(document)
    assert _outcome(document, fast=True) == _outcome(document, fast=False)


def test_many_values_of_one_property_go_to_pyld() -> None:
    # PyLD's node map generation carries the work bound for many values of one property
    many = list(range(_fastrdf.MAX_VALUES_PER_PROPERTY + 1))
    document = {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "p": many}
    assert not _fast_handles(document)
    document["p"] = document["p"][:-1]
    assert _fast_handles(document)


def test_term_caches_are_bounded() -> None:
    # documents choose their keys: a flood of distinct keys must not grow a context's cache without end
    document = {"@context": [V2], "type": ["VerifiableCredential"]}
    for i in range(3 * _fastrdf._MAX_ENTRIES):
        document[f"k{i}"] = "x"
    assert not _fast_handles(document)
    assert all(len(t.raw) <= _fastrdf._MAX_ENTRIES and len(t.keys) <= _fastrdf._MAX_ENTRIES
               for t in _fastrdf._tables.values())


def test_direct_converter_off_gives_the_same_bytes() -> None:
    document = _unsecured(CREDENTIAL)
    assert _fast_handles(document)
    public = jsonld.canonicalize(document)
    assert jsonld._canonicalize(document, fast=False) == public
    assert jsonld._canonicalize(document, memoize=False, fast=False) == public


def test_plan_cache_is_bounded() -> None:
    # documents choose their shapes and types: a flood of distinct ones must not grow the plans without end
    loader = jsonld.BundledLoader()
    plans = jsonld._memo_for(loader).plans
    assert plans.limit == _fastrdf.MAX_PLANS
    plans.limit = 40  # this loader's cache only
    for i in range(200):
        document = {"@context": [V2], "type": ["VerifiableCredential", f"https://example.org/T{i}"],
                    "issuer": "did:example:i", f"https://example.org/p{i % 7}": "x",
                    "credentialSubject": {"id": "did:example:s", "type": f"https://example.org/S{i}"}}
        assert _outcome(document, fast=True, loader=loader) == _outcome(document, fast=False, loader=loader)
        assert plans.count <= 40
    assert 0 < plans.count


# --- random edits of the toRdf tests' inputs (inline, scoped and nested contexts; node plans in use) ---

_EDIT_KEYS = st.sampled_from(["@id", "@type", "@context", "p", "q", "term", "ex:foo", "http://example.org/p",
                              "name", "@value", "nested"])
_EDIT_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10**22), st.floats(allow_nan=False, allow_infinity=False),
              st.sampled_from(["", "x", "_:b0", "http://example.org/o", "rel", "ex:bar", "term"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_EDIT_KEYS, inner, max_size=3)),
    max_leaves=5)


def _torddf_fast_inputs() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    if TORDF and TORDF[0].values[0] is None:
        return []
    found = []
    for param in TORDF:
        document, loader, options = _torddf_input(param.values[0])
        options = {**options, "base": None}  # omc-vc's own base: the node plans are kept
        if isinstance(document, dict) and _fast_handles(document, loader, options):
            found.append((document, options))
    return found


TORDF_FAST = _torddf_fast_inputs()


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_edits_of_torddf_inputs_fast_equals_pyld(data: st.DataObject) -> None:
    if not TORDF_FAST:
        pytest.skip("the toRdf tests are not available (../shared is absent)")
    from tests.conformance.test_jsonld_torddf import suite_loader

    document, options = copy.deepcopy(data.draw(st.sampled_from(TORDF_FAST)))
    for _ in range(data.draw(st.integers(1, 3))):
        places = _places(document)
        if not places:
            break
        path = data.draw(st.sampled_from(places))
        parent: Any = document
        for step in path[:-1]:
            parent = parent[step]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = copy.deepcopy(data.draw(_EDIT_VALUES))
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]][data.draw(_EDIT_KEYS)] = copy.deepcopy(data.draw(_EDIT_VALUES))
        elif isinstance(parent[path[-1]], list):
            parent[path[-1]].append(copy.deepcopy(data.draw(_EDIT_VALUES)))
    for check in (True, False):
        fast = _outcome(document, fast=True, check=check, loader=suite_loader, options=options)
        assert fast == _outcome(document, fast=False, check=check, loader=suite_loader, options=options)
