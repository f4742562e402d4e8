"""The W3C JSON-LD 1.1 toRdf tests, run through omc_vc.jsonld's processor (memoized contexts).

The suite's files are served by a test loader under the suite's base URL (test inputs are resolved
against their own URL, as the suite requires; omc-vc itself always uses base None). Datasets are
compared after RDFC-1.0 canonicalization, so blank node labels do not matter. What is checked:

* positive evaluation tests: the dataset equals the expected one (PyLD's own known failures are
  strict xfails, so an upgrade that fixes one is noticed);
* negative evaluation tests: an omc-vc JsonLdError carrying the expected JSON-LD error code, never a
  raw exception;
* positive syntax tests: no error;
* every test: the context memo off and on give byte-identical output (or the identical error);
* every positive test: the data-loss check either changes nothing or raises DataLossError, and it
  raises exactly for the tests about data JSON-LD drops.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from omc_vc import jsonld
from omc_vc.errors import ContextNotAllowedError, DataLossError, JsonLdError, OmcVcError
from tests.conftest import SHARED

SUITE = SHARED / "conformance" / "json-ld-api-tests"
BASE = "https://w3c.github.io/json-ld-api/tests/"
if not (SUITE / "toRdf-manifest.jsonld").is_file():
    pytest.skip(f"the JSON-LD API toRdf tests are not at {SUITE} (../shared is absent)", allow_module_level=True)

MANIFEST = json.loads((SUITE / "toRdf-manifest.jsonld").read_text(encoding="utf-8"))
ENTRIES: list[dict[str, Any]] = MANIFEST["sequence"]

# PyLD 3.3.0 gets these wrong on its own (checked against plain pyld.jsonld.to_rdf); omc-vc does not
# patch JSON-LD expansion, only context caching.
PYLD_KNOWN_FAILURES = {
    "te111": "PyLD resolves a relative @vocab against the vocabulary incorrectly",
    "te112": "PyLD resolves a relative @vocab against the vocabulary incorrectly",
    "te122": "PyLD crashes (TypeError) on an @id in the reserved '@' form; omc-vc reports JsonLdError",
    "tli12": "PyLD keeps the IRI 'http://invalid/<>/test', which is not well-formed",
    "tli14": "PyLD crashes (TypeError) on a relative IRI in a list; omc-vc reports JsonLdError",
    "twf05": "PyLD keeps the language tag 'a b', which is not well-formed",
}

# Positive tests whose point is that JSON-LD drops something: the data-loss check must refuse them.
DATA_LOSS_TESTS = {
    "tc014": "type-scoped context nullification drops a term",
    "tc018": "type-scoped contexts do not apply to nested nodes",
    "tdi01": "@direction without rdfDirection",
    "tdi02": "@direction without rdfDirection",
    "tdi03": "@direction without rdfDirection",
    "tdi04": "@direction without rdfDirection",
    "tdi05": "@direction without rdfDirection",
    "tdi06": "@direction without rdfDirection",
    "te003": "drop null and unmapped properties",
    "te016": "context reset",
    "te032": "a term mapped to null",
    "te045": "top-level value objects are removed",
    "te046": "free-floating nodes are removed",
    "te047": "free-floating set values and lists are removed",
    "te059": "@vocab reset to null",
    "te060": "@base reset",
    "te065": "unmapped keys in a reverse map",
    "te068": "'_::suffix' is a blank node property",
    "te119": "a term in the reserved '@' form",
    "te122": "an @id in the reserved '@' form",
    "tin06": "a term mapped to null inside @nest",
    "tli12": "an IRI that is not well-formed in a list",
    "tli14": "a relative IRI in a list",
    "tpr06": "protected terms cleared by a nested context",
    "tpr19": "protected terms cleared by a nested context",
    "tpr34": "a term in the reserved '@' form",
    "tpr35": "a term in the reserved '@' form",
    "tpr36": "a term mapped to the reserved '@' form",
    "tpr38": "a term mapped to the reserved '@' form",
    "twf01": "a subject IRI with a space",
    "twf02": "a predicate IRI with a space",
    "twf03": "an object IRI with a space",
    "twf04": "a type IRI with a space",
    "twf05": "a language tag with a space",
    "twf07": "a graph name IRI with a space",
}


def _id(entry: dict[str, Any]) -> str:
    return str(entry["@id"]).lstrip("#")


def _skip_reason(entry: dict[str, Any]) -> str | None:
    option = entry.get("option", {})
    if option.get("specVersion") == "json-ld-1.0":
        return "a JSON-LD 1.0-only test; PyLD implements JSON-LD 1.1"
    if option.get("produceGeneralizedRdf"):
        return "generalized RDF (blank node predicates) is never produced by omc-vc"
    if not (SUITE / entry["input"]).is_file():
        return f"{entry['input']} is not in the shared copy of the suite"
    return None


def _cases(kind: str, known_failures: dict[str, str] | None = None) -> list[Any]:
    cases = []
    for entry in ENTRIES:
        if kind not in entry["@type"]:
            continue
        marks: list[Any] = []
        reason = _skip_reason(entry)
        if reason:
            marks.append(pytest.mark.skip(reason=reason))
        if known_failures and _id(entry) in known_failures:
            marks.append(pytest.mark.xfail(reason=known_failures[_id(entry)], strict=True))
        cases.append(pytest.param(entry, id=_id(entry), marks=marks))
    return cases


POSITIVE = _cases("jld:PositiveEvaluationTest")
POSITIVE_EXPECTING = _cases("jld:PositiveEvaluationTest", PYLD_KNOWN_FAILURES)
NEGATIVE = _cases("jld:NegativeEvaluationTest")
SYNTAX = _cases("jld:PositiveSyntaxTest")


def suite_loader(url: str, options: Any = None) -> dict[str, Any]:
    """Serve the suite's own files under its base URL; refuse everything else."""
    if not url.startswith(BASE):
        raise ContextNotAllowedError(url)
    path = (SUITE / url[len(BASE) :]).resolve()
    if not path.is_file() or SUITE.resolve() not in path.parents:
        raise ContextNotAllowedError(url)
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(path.read_text(encoding="utf-8"))}


def _options(entry: dict[str, Any]) -> dict[str, Any]:
    option = entry.get("option", {})
    # rdfDirection as the test says (omc-vc's own default, i18n-datatype, would change tdi01-tdi06)
    options: dict[str, Any] = {"base": option.get("base", BASE + entry["input"]),
                               "rdfDirection": option.get("rdfDirection")}
    if "processingMode" in option:
        options["processingMode"] = option["processingMode"]
    if "expandContext" in option:
        options["expandContext"] = json.loads((SUITE / option["expandContext"]).read_text(encoding="utf-8"))
    return options


def _run(entry: dict[str, Any], *, memoize: bool, check: bool = False) -> str:
    document = json.loads((SUITE / entry["input"]).read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyLD warns about terms in the reserved '@' form
        dataset = jsonld._to_rdf(document, suite_loader, check=check, memoize=memoize, options=_options(entry))
    return jsonld.canonicalize_dataset(dataset)


def _outcome(entry: dict[str, Any], *, memoize: bool) -> str:
    try:
        return _run(entry, memoize=memoize)
    except OmcVcError as exc:
        return f"{type(exc).__name__}: {exc.code}: {exc.detail}"


def _expected(entry: dict[str, Any]) -> str:
    text = (SUITE / entry["expect"]).read_text(encoding="utf-8")
    return jsonld.canonicalize_dataset(jsonld.parse_nquads(text))


@pytest.mark.parametrize("entry", POSITIVE_EXPECTING)
def test_positive(entry: dict[str, Any]) -> None:
    assert _run(entry, memoize=True) == _expected(entry)


@pytest.mark.parametrize("entry", NEGATIVE)
def test_negative(entry: dict[str, Any]) -> None:
    with pytest.raises(JsonLdError) as caught:
        _run(entry, memoize=True)
    expected = entry["expectErrorCode"]
    if isinstance(caught.value, ContextNotAllowedError):
        # The loader refused a context the test expects to be unloadable.
        assert expected in {"loading remote context failed", "loading document failed"}
    else:
        assert caught.value.context.get("jsonld_code") == expected


@pytest.mark.parametrize("entry", SYNTAX)
def test_positive_syntax(entry: dict[str, Any]) -> None:
    _run(entry, memoize=True)


@pytest.mark.parametrize("entry", POSITIVE + NEGATIVE + SYNTAX)
def test_memo_is_byte_identical(entry: dict[str, Any]) -> None:
    assert _outcome(entry, memoize=True) == _outcome(entry, memoize=False)


@pytest.mark.parametrize("entry", POSITIVE)
def test_data_loss_check(entry: dict[str, Any]) -> None:
    if _id(entry) in DATA_LOSS_TESTS:
        with pytest.raises(DataLossError):
            _run(entry, memoize=True, check=True)
        return
    if _id(entry) in PYLD_KNOWN_FAILURES:
        pytest.skip("PyLD fails this test on its own")
    assert _run(entry, memoize=True, check=True) == _run(entry, memoize=True)


def test_data_loss_list_names_real_tests() -> None:
    ids = {_id(e) for e in ENTRIES if "jld:PositiveEvaluationTest" in e["@type"]}
    assert ids >= set(DATA_LOSS_TESTS)
    assert set(PYLD_KNOWN_FAILURES) <= ids


def test_suite_loader_refuses_paths_outside_the_suite(tmp_path: Path) -> None:
    with pytest.raises(ContextNotAllowedError):
        suite_loader(BASE + "../../etc/passwd")
    with pytest.raises(ContextNotAllowedError):
        suite_loader("https://example.org/context.jsonld")
