"""omc_vc.jsonld: the bundled loader, canonicalize(), data-loss detection, bounds, escaping, the memo."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld
from pyld.canon import URDNA2015 as PyldURDNA2015

from omc_vc import jsonld
from omc_vc._internal.resources import contexts_dir
from omc_vc.errors import (
    CanonicalizationLimitError,
    ContextNotAllowedError,
    DataLossError,
    InputError,
    JsonLdError,
    OmcVcError,
)
from tests.conftest import SHARED

V1 = "https://www.w3.org/2018/credentials/v1"
V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
VECTORS = SHARED / "reference" / "vectors"

# A ~2.5 KB Open Badges 3.0 credential with nested objects: issuer profile with an address,
# achievement subject, achievement with criteria, image, two alignments, and a result.
OB_CREDENTIAL: dict[str, Any] = {
    "@context": [V2, OB],
    "id": "urn:uuid:a63a60be-f4af-491c-87fc-2c8fd3007a58",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Introduction to Data Analytics (Micro-credential)",
    "issuer": {
        "id": "https://college.example.ca/issuers/1",
        "type": ["Profile"],
        "name": "Example College of Applied Arts and Technology",
        "url": "https://college.example.ca",
        "email": "registrar@college.example.ca",
        "address": {
            "type": ["Address"],
            "addressCountry": "Canada",
            "addressRegion": "ON",
            "addressLocality": "Toronto",
            "postalCode": "M5V 2T6",
        },
    },
    "validFrom": "2025-06-01T00:00:00Z",
    "validUntil": "2030-06-01T00:00:00Z",
    "credentialSubject": {
        "id": "did:example:learner-4711",
        "type": ["AchievementSubject"],
        "activityStartDate": "2025-01-06",
        "activityEndDate": "2025-04-25",
        "creditsEarned": 3.0,
        "achievement": {
            "id": "https://college.example.ca/achievements/data-analytics-101",
            "type": ["Achievement"],
            "achievementType": "MicroCredential",
            "name": "Introduction to Data Analytics",
            "description": "Learners clean, explore and visualise data sets and communicate findings.",
            "criteria": {"narrative": "Complete four graded projects with at least 70% and pass the final assessment."},
            "creditsAvailable": 3.0,
            "fieldOfStudy": "Business Analytics",
            "humanCode": "DA-101",
            "image": {
                "id": "https://college.example.ca/badges/da101.png",
                "type": "Image",
                "caption": "Data Analytics badge",
            },
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetName": "Data analysts",
                    "targetUrl": "https://noc.esdc.gc.ca/Structure/NocProfile?objectid=21223",
                    "targetCode": "21223",
                    "targetFramework": "NOC 2021",
                    "targetType": "ext:NOC",
                },
                {
                    "type": ["Alignment"],
                    "targetName": "Business administration, management and operations",
                    "targetUrl": "https://www150.statcan.gc.ca/n1/pub/12-599-x/2021001/52.02",
                    "targetCode": "52.02",
                    "targetFramework": "CIP 2021",
                    "targetType": "CFItem",
                },
            ],
            "tag": ["data", "analytics", "micro-credential"],
        },
        "result": [{"type": ["Result"], "value": "A", "status": "Completed"}],
    },
}

EXAMPLE_VC: dict[str, Any] = {
    "@context": [V2, EXAMPLES],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}


def ob(**changes: Any) -> dict[str, Any]:
    """A deep copy of OB_CREDENTIAL."""
    document = copy.deepcopy(OB_CREDENTIAL)
    document.update(changes)
    return document


def vector(name: str) -> Any:
    path = VECTORS / name
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared is absent)")
    return json.loads(path.read_text(encoding="utf-8"))


class Paths:
    """canonicalize() and check_data_loss() with the context memo (and the direct converter, which needs
    it) on or off, through the private entry points that take the choice as an argument."""

    def __init__(self, memoize: bool) -> None:
        self.memoize = memoize

    def canonicalize(self, document: dict[str, Any], *, check_data_loss: bool = True) -> str:
        return jsonld._canonicalize(document, check=check_data_loss, memoize=self.memoize)

    def check_data_loss(self, document: dict[str, Any]) -> None:
        jsonld._expand_document(document, None, check=True, memoize=self.memoize)


@pytest.fixture(params=[False, True], ids=["memo-off", "memo-on"])
def paths(request: pytest.FixtureRequest) -> Paths:
    """Run the test with the context memo off and on."""
    return Paths(bool(request.param))


def _copy_contexts(tmp_path: Path) -> Path:
    target = tmp_path / "contexts"
    shutil.copytree(contexts_dir(), target)
    return target


def _manifest(directory: Path) -> list[dict[str, str]]:
    return list(json.loads((directory / "manifest.json").read_text(encoding="utf-8")))


def _write_manifest(directory: Path, entries: Any) -> None:
    (directory / "manifest.json").write_text(json.dumps(entries), encoding="utf-8")


# ---------------------------------------------------------------------------------------------------
# BundledLoader
# ---------------------------------------------------------------------------------------------------


def test_loader_serves_a_bundled_context() -> None:
    remote = jsonld.BundledLoader()(V2, {})
    assert remote == {"contextUrl": None, "documentUrl": V2, "document": remote["document"]}
    assert remote["document"]["@context"]["@protected"] is True
    assert V2 in jsonld.BundledLoader() and "https://example.org/x" not in jsonld.BundledLoader()
    assert V2 in jsonld.BundledLoader().urls


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/evil-context.jsonld",
        "http://www.w3.org/ns/credentials/v2",  # not https: a different URL
        V2 + "/",
        V2 + "#",
        "",
    ],
)
def test_loader_refuses_any_other_url(url: str) -> None:
    with pytest.raises(ContextNotAllowedError) as caught:
        jsonld.BundledLoader()(url, {})
    assert caught.value.url == url
    assert repr(url) in str(caught.value)
    assert caught.value.code == "CONTEXT_NOT_ALLOWED"


def test_default_loader_is_one_shared_instance() -> None:
    assert jsonld.default_loader() is jsonld.default_loader()
    assert isinstance(jsonld.default_loader(), jsonld.BundledLoader)


def test_loader_returns_a_fresh_copy_each_time() -> None:
    # PyLD edits loaded contexts (@import merging, URL resolution): a shared object would be poisoned.
    loader = jsonld.BundledLoader()
    first = loader(V2, {})["document"]
    first["@context"]["name"] = "https://evil.example/name"
    assert loader(V2, {})["document"]["@context"]["name"] == "https://schema.org/name"


def test_tampered_context_file_is_refused(tmp_path: Path) -> None:
    directory = _copy_contexts(tmp_path)
    path = directory / "credentials-v2.jsonld"
    path.write_bytes(path.read_bytes().replace(b"https://schema.org/name", b"https://schema.org/nome"))
    loader = jsonld.BundledLoader(directory=directory)
    with pytest.raises(JsonLdError) as caught:
        loader(V2, {})
    assert caught.value.code == "CONTEXT_INTEGRITY_ERROR"
    assert "credentials-v2.jsonld" in str(caught.value)
    # ... and canonicalize() surfaces that error, not PyLD's wrapper.
    with pytest.raises(JsonLdError) as caught:
        jsonld.canonicalize(EXAMPLE_VC, loader=loader)
    assert caught.value.code == "CONTEXT_INTEGRITY_ERROR"
    # Other contexts are unaffected.
    assert loader(EXAMPLES, {})["document"]["@context"]["@vocab"]


def test_missing_context_file_is_an_error(tmp_path: Path) -> None:
    directory = _copy_contexts(tmp_path)
    (directory / "jwk-v1.jsonld").unlink()
    with pytest.raises(JsonLdError, match="cannot be read"):
        jsonld.BundledLoader(directory=directory)("https://w3id.org/security/jwk/v1", {})


def test_adding_a_context_is_a_manifest_entry_and_a_file(tmp_path: Path) -> None:
    directory = _copy_contexts(tmp_path)
    body = b'{"@context": {"@protected": true, "hoursOfLearning": "https://omc.example/vocab#hours"}}\n'
    (directory / "test-ctx-v1.jsonld").write_bytes(body)
    entries = _manifest(directory)
    url = "https://omc.example/contexts/test/v1"
    entries.append({"url": url, "file": "test-ctx-v1.jsonld", "sha256": hashlib.sha256(body).hexdigest()})
    _write_manifest(directory, entries)
    loader = jsonld.BundledLoader(directory=directory)
    document = {"@context": [V2, url], "id": "urn:x:1", "type": "VerifiableCredential", "hoursOfLearning": 40}
    assert '<https://omc.example/vocab#hours> "40"^^' in jsonld.canonicalize(document, loader=loader)
    with pytest.raises(ContextNotAllowedError):
        jsonld.canonicalize(document)  # the default loader does not know it


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"url": V2}, "not a JSON list"),
        ([{"url": V2, "file": "credentials-v2.jsonld"}], "needs string"),
        ([{"url": V2, "file": "../credentials-v2.jsonld", "sha256": "0" * 64}], "plain file name"),
        ([{"url": V2, "file": "sub/credentials-v2.jsonld", "sha256": "0" * 64}], "plain file name"),
        ([{"url": V2, "file": ".hidden", "sha256": "0" * 64}], "plain file name"),
        ([{"url": V2, "file": "credentials-v2.jsonld", "sha256": "ABC"}], "64 lowercase hex"),
        (
            [{"url": V2, "file": "a.jsonld", "sha256": "0" * 64}, {"url": V2, "file": "b.jsonld", "sha256": "1" * 64}],
            "twice",
        ),
        (
            [{"url": V1, "file": "a.jsonld", "sha256": "0" * 64}, {"url": V2, "file": "a.jsonld", "sha256": "1" * 64}],
            "two different hashes",
        ),
        ([42], "needs string"),
    ],
)
def test_malformed_manifest_is_refused(tmp_path: Path, manifest: Any, message: str) -> None:
    _write_manifest(tmp_path, manifest)
    with pytest.raises(JsonLdError, match=message):
        jsonld.BundledLoader(directory=tmp_path)


def test_unreadable_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(JsonLdError, match="cannot be read"):
        jsonld.BundledLoader(directory=tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(JsonLdError, match=r"manifest\.json is not JSON"):
        jsonld.BundledLoader(directory=tmp_path)


def test_extra_contexts() -> None:
    extra = {"urn:test:ctx": {"@context": {"p": "urn:test:p"}}}
    loader = jsonld.BundledLoader(extra=extra)
    extra["urn:test:ctx"]["@context"]["p"] = "urn:changed"  # a snapshot was taken
    assert loader("urn:test:ctx", {})["document"] == {"@context": {"p": "urn:test:p"}}
    assert "urn:test:ctx" in loader.urls and V2 in loader.urls
    out = jsonld.canonicalize({"@context": "urn:test:ctx", "@id": "urn:s", "p": "v"}, loader=loader)
    assert out == '<urn:s> <urn:test:p> "v" .\n'


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({V2: {"@context": {}}}, "shadow"),
        ({"urn:x": ["not", "an", "object"]}, "not a JSON object"),
        ({"urn:x": {"@context": {"p": float("nan")}}}, "not JSON"),
        ({"": {"@context": {}}}, "non-empty string"),
    ],
)
def test_bad_extra_contexts_are_refused(extra: Any, message: str) -> None:
    with pytest.raises(OmcVcError, match=message):
        jsonld.BundledLoader(extra=extra)


# ---------------------------------------------------------------------------------------------------
# canonicalize(): vectors and output form
# ---------------------------------------------------------------------------------------------------


def test_w3c_eddsa_rdfc_2022_vector(paths: Paths) -> None:
    data = vector("eddsa-rdfc-2022-alumni.json")
    assert paths.canonicalize(data["unsignedCredential"]) == data["canonicalDocument"]
    assert paths.canonicalize(data["proofConfig"]) == data["canonicalProofConfig"]
    digest = hashlib.sha256(paths.canonicalize(data["unsignedCredential"]).encode("utf-8")).hexdigest()
    assert digest == data["docHashHex"]
    config_digest = hashlib.sha256(paths.canonicalize(data["proofConfig"]).encode("utf-8")).hexdigest()
    assert config_digest == data["proofConfigHashHex"]


def test_w3c_eddsa_vector_original_files() -> None:
    folder = VECTORS / "vc-di-eddsa-files"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found (../shared is absent)")
    unsigned = json.loads((folder / "unsigned.json").read_text(encoding="utf-8"))
    config = json.loads((folder / "eddsa-rdfc-2022" / "proofConfigDataInt.json").read_text(encoding="utf-8"))
    assert jsonld.canonicalize(unsigned) == (folder / "eddsa-rdfc-2022" / "canonDocDataInt.txt").read_text("utf-8")
    assert jsonld.canonicalize(config) == (folder / "eddsa-rdfc-2022" / "proofCanonDataInt.txt").read_text("utf-8")


@pytest.mark.parametrize("example", ["basic", "employment"])
def test_w3c_ecdsa_rdfc_2019_vectors(example: str, paths: Paths) -> None:
    data = vector("ecdsa-rdfc-2019-p256.json")[example]
    assert paths.canonicalize(data["unsignedCredential"]) == data["canonicalDocument"]
    assert paths.canonicalize(data["proofConfig"]) == data["canonicalProofConfig"]


def test_output_form() -> None:
    out = jsonld.canonicalize(OB_CREDENTIAL)
    assert isinstance(out, str) and out.endswith(" .\n")
    lines = out.splitlines(keepends=True)
    assert all(line.endswith(" .\n") and "\n" not in line[:-1] for line in lines)
    assert lines == sorted(lines)
    assert len(lines) == len(set(lines)) == 55
    assert "_:c14n" in out  # the blank nodes got canonical labels


def test_input_document_is_not_modified() -> None:
    document = ob()
    jsonld.canonicalize(document)
    jsonld.check_data_loss(document)
    jsonld.expand(document)
    assert document == OB_CREDENTIAL


def test_non_ascii_text_is_kept_as_utf8() -> None:
    document = {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "name": "Université de l’Ontario – 日本 😀"}
    assert jsonld.canonicalize(document) == '<urn:s> <urn:v:name> "Université de l’Ontario – 日本 😀" .\n'


# ---------------------------------------------------------------------------------------------------
# Literal escaping (RDFC-1.0 canonical N-Quads)
# ---------------------------------------------------------------------------------------------------

ESCAPES = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}


@pytest.mark.parametrize("code_point", [*range(0x20), 0x22, 0x5C, 0x7F, 0x20, 0x41, 0x80, 0xA0, 0x2028, 0x1F600])
def test_literal_escaping_per_code_point(code_point: int) -> None:
    char = chr(code_point)
    if code_point in ESCAPES:
        expected = ESCAPES[code_point]
    elif code_point < 0x20 or code_point == 0x7F:
        expected = f"\\u{code_point:04X}"
    else:
        expected = char
    assert jsonld._escape_literal(char) == expected
    assert jsonld._escape_literal(f"a{char}b") == f"a{expected}b"


def test_control_characters_in_json_ld_are_escaped() -> None:
    document = {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "p": "bell\u0007 tab\t del\u007f nul\u0000"}
    expected = '<urn:s> <urn:v:p> "bell\\u0007 tab\\t del\\u007F nul\\u0000" .\n'
    assert jsonld.canonicalize(document) == expected
    # PyLD alone writes the control characters raw (the gap this module closes).
    raw = pyld.normalize(
        document, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": jsonld.default_loader()}
    )
    assert "\u0007" in raw and raw != expected


def test_escaping_changes_blank_node_hashes_like_the_spec() -> None:
    # Two blank nodes told apart only by a control character: the first-degree hashes (hence the
    # labels) must come from the escaped form (RDFC-1.0 §4.6.3).
    def bnode(label: str, value: str) -> dict[str, Any]:
        return {
            "subject": {"type": "blank node", "value": label},
            "predicate": {"type": "IRI", "value": "urn:p"},
            "object": {"type": "literal", "value": value, "datatype": "http://www.w3.org/2001/XMLSchema#string"},
        }

    dataset = {"@default": [bnode("_:x", "\u0001"), bnode("_:y", "\\u0001")]}
    out = jsonld.canonicalize_dataset(copy.deepcopy(dataset))
    hashes = {
        label: hashlib.sha256(f'_:a <urn:p> "{escaped}" .\n'.encode()).hexdigest()
        for label, escaped in (("x", "\\u0001"), ("y", "\\\\u0001"))
    }
    first = "x" if hashes["x"] < hashes["y"] else "y"
    expected_first_line = '_:c14n0 <urn:p> "' + ("\\u0001" if first == "x" else "\\\\u0001") + '" .\n'
    assert expected_first_line in out


# ---------------------------------------------------------------------------------------------------
# Unknown contexts and JSON-LD errors
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        {"@context": [V2, "https://evil.example/ctx"], "id": "urn:x:1", "type": "VerifiableCredential"},
        {"@context": "https://evil.example/ctx", "@id": "urn:x:1"},
        {
            "@context": V2,
            "id": "urn:x:1",
            "type": "VerifiableCredential",
            "credentialSubject": {"@context": "https://evil.example/ctx", "id": "did:example:1"},
        },
        {"@context": [V2, {"@import": "https://evil.example/ctx"}], "id": "urn:x:1"},
        {"@context": [V2, {"Thing": {"@id": "urn:T", "@context": "https://evil.example/ctx"}}], "@type": "Thing"},
    ],
    ids=["top-level", "only", "nested", "import", "scoped"],
)
def test_unknown_context_url_names_the_url(document: dict[str, Any], paths: Paths) -> None:
    for _ in range(2):  # a refusal is never memoized
        with pytest.raises(ContextNotAllowedError) as caught:
            paths.canonicalize(document)
        assert caught.value.url == "https://evil.example/ctx"
        assert "https://evil.example/ctx" in str(caught.value)


def test_protected_term_redefinition_is_a_json_ld_error(paths: Paths) -> None:
    document = ob()
    document["@context"] = [V2, OB, {"name": "https://evil.example/name"}]
    with pytest.raises(JsonLdError) as caught:
        paths.canonicalize(document)
    assert type(caught.value) is JsonLdError
    assert caught.value.context["jsonld_code"] == "protected term redefinition"
    assert "protected term redefinition" in caught.value.detail
    assert caught.value.problem()["code"] == "PROTECTED_TERM_REDEFINITION"


def test_protected_term_redefinition_in_a_node_context() -> None:
    document = ob()
    document["credentialSubject"]["@context"] = {"id": "https://evil.example/id"}
    with pytest.raises(JsonLdError) as caught:
        jsonld.canonicalize(document)
    assert caught.value.context["jsonld_code"] in {"protected term redefinition", "invalid scoped context"}


@pytest.mark.parametrize(
    ("context", "code"),
    [
        ({"p": {"@type": "@id"}}, "invalid IRI mapping"),
        ({"p": 42}, "invalid term definition"),
        ({"@vocab": 42}, "invalid vocab mapping"),
        (42, "invalid local context"),
        ({"@version": 2.0}, "invalid @version value"),
        ({"p": {"@id": "urn:p", "@container": "@nonsense"}}, "invalid container mapping"),
    ],
)
def test_invalid_context_is_a_json_ld_error_with_pyld_code(context: Any, code: str) -> None:
    with pytest.raises(JsonLdError) as caught:
        jsonld.canonicalize({"@context": context, "@id": "urn:s", "urn:p": "v"})
    assert caught.value.context["jsonld_code"] == code
    assert code in str(caught.value)


@pytest.mark.parametrize(
    "document",
    [
        {"@context": {"@vocab": "urn:v:"}, "@id": 42},
        {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "p": {"@value": "x", "@language": "en", "@type": "urn:t"}},
        {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "p": {"@value": {"nested": True}}},
        {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "@type": 42},
        {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "p": {"@list": [], "@id": "urn:x"}},
    ],
)
def test_malformed_json_ld_is_a_json_ld_error(document: dict[str, Any]) -> None:
    with pytest.raises(JsonLdError):
        jsonld.canonicalize(document)


@pytest.mark.parametrize(
    "document",
    [
        [{"@id": "urn:s"}],
        "not an object",
        None,
        {"@context": {"@vocab": "urn:v:"}, "p": float("nan")},
        {"@context": {"@vocab": "urn:v:"}, "p": float("inf")},
        {"@context": {"@vocab": "urn:v:"}, "p": (1, 2)},
        {"@context": {"@vocab": "urn:v:"}, "p": {1, 2}},
        {"@context": {"@vocab": "urn:v:"}, "p": b"bytes"},
        {"@context": {"@vocab": "urn:v:"}, 1: "non-string key"},
        {"@context": {"@vocab": "urn:v:"}, "p": {"q": object()}},
    ],
)
def test_non_json_input_is_an_input_error(document: Any) -> None:
    with pytest.raises(InputError):
        jsonld.canonicalize(document)
    with pytest.raises(InputError):
        jsonld.check_data_loss(document)


def test_too_deep_input_is_an_input_error() -> None:
    document: dict[str, Any] = {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s"}
    node = document
    for _ in range(jsonld.MAX_DEPTH + 5):
        node["p"] = {}
        node = node["p"]
    with pytest.raises(InputError, match="nests deeper"):
        jsonld.canonicalize(document)


def test_raw_pyld_crash_is_translated() -> None:
    # PyLD 3.3.0 raises TypeError on a relative IRI inside a list (JSON-LD toRdf test li14).
    document = {
        "@context": {"list": {"@id": "urn:list", "@container": "@list", "@type": "@id"}},
        "@id": "urn:s",
        "list": ["relative"],
    }
    with pytest.raises(JsonLdError, match="TypeError"):
        jsonld.canonicalize(document, check_data_loss=False)
    with pytest.raises(DataLossError, match=r"relative or invalid IRI 'relative'.* at \$\.list\[0\]"):
        jsonld.canonicalize(document)


# ---------------------------------------------------------------------------------------------------
# Data-loss detection (DI 1.0 §2.4.3)
# ---------------------------------------------------------------------------------------------------


def _data_loss(document: dict[str, Any], paths: Paths | None = None) -> DataLossError:
    with pytest.raises(DataLossError) as caught:
        jsonld.check_data_loss(document) if paths is None else paths.check_data_loss(document)
    error = caught.value
    with pytest.raises(DataLossError) as again:
        jsonld.canonicalize(document) if paths is None else paths.canonicalize(document)
    assert again.value.detail == error.detail
    assert error.code == "DATA_LOSS_DETECTION_ERROR"
    assert error.problem()["type"] == "https://w3id.org/security#DATA_LOSS_DETECTION_ERROR"
    return error


@pytest.mark.parametrize(
    "document",
    [OB_CREDENTIAL, EXAMPLE_VC, {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "p": 1}],
    ids=["ob", "examples", "vocab"],
)
def test_clean_documents_pass(document: dict[str, Any], paths: Paths) -> None:
    assert paths.check_data_loss(document) is None
    assert paths.canonicalize(document) == paths.canonicalize(document, check_data_loss=False)


@pytest.mark.parametrize(
    ("mutate", "path", "reason"),
    [
        (lambda d: d.update(undefinedTopLevel=1), "$.undefinedTopLevel", "'undefinedTopLevel' is not defined"),
        (lambda d: d["issuer"]["address"].update(gps="x"), "$.issuer.address.gps", "'gps' is not defined"),
        (
            lambda d: d["credentialSubject"]["achievement"]["alignment"][1].update(weight=2),
            "$.credentialSubject.achievement.alignment[1].weight",
            "'weight' is not defined",
        ),
        (
            lambda d: d["credentialSubject"]["result"][0].update(score=99),
            "$.credentialSubject.result[0].score",
            "'score' is not defined",
        ),
        # Defined only in Achievement's type-scoped context, used on the AchievementSubject node.
        (lambda d: d["credentialSubject"].update(humanCode="X"), "$.credentialSubject.humanCode", "'humanCode'"),
        # A term in the reserved '@' form is ignored by JSON-LD.
        (lambda d: d["credentialSubject"].update({"@note": "x"}), '$.credentialSubject["@note"]', "'@note'"),
        (
            lambda d: d["credentialSubject"].update({"odd key": "x"}),
            '$.credentialSubject["odd key"]',
            "'odd key'",
        ),
    ],
    ids=["top-level", "nested", "array-item", "result", "type-scoped", "reserved", "quoted-key"],
)
def test_undefined_property_names_its_path(mutate: Any, path: str, reason: str, paths: Paths) -> None:
    document = ob()
    mutate(document)
    error = _data_loss(document, paths)
    assert error.context["path"] == path
    assert reason in error.detail and path in error.detail
    # Without the check PyLD silently drops it: the output equals the clean credential's.
    assert paths.canonicalize(document, check_data_loss=False) == paths.canonicalize(OB_CREDENTIAL)


@pytest.mark.parametrize(
    ("mutate", "path", "value"),
    [
        (lambda d: d.update(id="credentials/1"), "$.id", "credentials/1"),
        (lambda d: d["credentialSubject"].update(id="learner/4711"), "$.credentialSubject.id", "learner/4711"),
        (lambda d: d.update(issuer="issuers/1"), "$.issuer", "issuers/1"),  # IRI-typed string value
        (lambda d: d["issuer"].update(id="#me"), "$.issuer.id", "#me"),
        (
            lambda d: d["credentialSubject"]["achievement"].update(image="badge.png"),
            "$.credentialSubject.achievement.image",
            "badge.png",
        ),
        (
            lambda d: d["credentialSubject"]["achievement"]["image"].update(id="../badge.png"),
            "$.credentialSubject.achievement.image.id",
            "../badge.png",
        ),
        (lambda d: d.update({"@id": "rel"}) or d.pop("id"), '$["@id"]', "rel"),  # the keyword itself
        (lambda d: d.update(id="urn:uuid:has space"), "$.id", "urn:uuid:has space"),
        (lambda d: d.update(id="https://x.example/<>"), "$.id", "https://x.example/<>"),
    ],
    ids=["vc-id", "subject-id", "issuer-string", "fragment", "image-string", "image-id", "@id", "space", "iriref"],
)
def test_relative_iri_is_data_loss(mutate: Any, path: str, value: str, paths: Paths) -> None:
    document = ob()
    mutate(document)
    error = _data_loss(document, paths)
    assert error.context["path"] == path
    assert f"IRI {value!r}" in error.detail


def test_relative_iri_in_an_array_names_the_index() -> None:
    document: dict[str, Any] = {
        "@context": [V2, {"see": {"@id": "urn:see", "@type": "@id"}}],
        "id": "urn:x:1",
        "type": "VerifiableCredential",
        "see": ["https://ok.example/", "relative/one"],
    }
    assert _data_loss(document).context["path"] == "$.see[1]"


def test_undefined_type_without_vocab_is_data_loss() -> None:
    document = {
        "@context": [V1],
        "id": "urn:x:1",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": "did:example:1",
        "issuanceDate": "2020-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:2"},
    }
    error = _data_loss(document)
    assert error.context["path"] == "$.type[1]"
    assert "'AlumniCredential'" in error.detail


def test_vocab_context_defines_everything() -> None:
    # The W3C examples context maps every term with @vocab: nothing is dropped.
    document = copy.deepcopy(EXAMPLE_VC)
    document["credentialSubject"]["anything"] = {"nested": [1, {"deeper": True}], "type": "SomeType"}
    jsonld.check_data_loss(document)
    assert "<https://www.w3.org/ns/credentials/examples#deeper>" in jsonld.canonicalize(document)


def test_json_literals_are_not_inspected() -> None:
    document = {
        "@context": [V2, {"payload": {"@id": "urn:payload", "@type": "@json"}}],
        "id": "urn:x:1",
        "type": "VerifiableCredential",
        "payload": {"undefined": [1, {"id": "relative"}], "z": None, "a": "\u0007"},
    }
    jsonld.check_data_loss(document)
    out = jsonld.canonicalize(document)
    # JCS (RFC 8785) writes U+0007 as \u0007; N-Quads then escapes that backslash.
    assert '<urn:x:1> <urn:payload> "{\\"a\\":\\"\\\\u0007\\",\\"undefined\\":[1,{\\"id\\":\\"relative\\"}],' in out


def test_keyword_aliases_and_keywords_both_work() -> None:
    aliased = {"@context": V2, "id": "urn:x:1", "type": "VerifiableCredential", "name": "n"}
    keywords = {"@context": V2, "@id": "urn:x:1", "@type": "VerifiableCredential", "name": "n"}
    assert jsonld.canonicalize(aliased) == jsonld.canonicalize(keywords)
    custom = {"@context": [V2, {"ident": "@id"}], "ident": "rel", "type": "VerifiableCredential"}
    assert _data_loss(custom).context["path"] == "$.ident"


def test_proof_graph_container_is_checked() -> None:
    document = copy.deepcopy(EXAMPLE_VC)
    document["@context"] = [V2]  # no @vocab
    document["type"] = ["VerifiableCredential"]
    del document["credentialSubject"]["alumniOf"]
    document["proof"] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "verificationMethod": "keys/1",
        "proofPurpose": "assertionMethod",
        "proofValue": "z1111",
    }
    assert _data_loss(document).context["path"] == "$.proof.verificationMethod"
    document["proof"]["verificationMethod"] = "did:example:1#key-1"
    document["proof"]["unknownProofField"] = "x"
    assert _data_loss(document).context["path"] == "$.proof.unknownProofField"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"@context": {"@vocab": "_:"}, "@id": "urn:s", "p": 1}, "a blank node used as a property"),
        ({"@context": {"@vocab": "urn:v:"}, "@graph": ["free", {"@id": "urn:s", "p": 1}]}, "not inside any node"),
        ({"@context": {"@vocab": "urn:v:"}, "@graph": [{"@value": "x"}, {"@id": "urn:s", "p": 1}]}, "not inside"),
        ({"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "p": {"@value": "x", "@language": "en US"}}, "language"),
        ({"@context": {"@vocab": "urn:v:", "q": None}, "@id": "urn:s", "q": 1, "p": 1}, "'q' is not defined"),
        ({"@context": {"@vocab": "urn:v:", "r": {"@reverse": "urn:r"}}, "@id": "urn:s", "r": {"@id": "x"}}, "'x'"),
        (
            {"@context": {"m": {"@id": "urn:m", "@container": "@type"}}, "@id": "urn:s", "m": {"T": {"@id": "urn:o"}}},
            "type 'T'",
        ),
        (
            {"@context": {"@vocab": "urn:v:", "n": "@nest"}, "@id": "urn:s", "n": {"@bad": 1}},
            "'@bad' is not defined",
        ),
    ],
    ids=[
        "bnode-predicate",
        "free-scalar",
        "free-value",
        "language",
        "null-term",
        "reverse",
        "type-map",
        "nest",
    ],
)
def test_other_losses(document: dict[str, Any], reason: str) -> None:
    assert reason in _data_loss(document).detail


def test_every_problem_is_listed() -> None:
    document = ob(extraOne=1, extraTwo=2)
    document["credentialSubject"]["id"] = "relative"
    error = _data_loss(document)
    paths = [problem["path"] for problem in error.context["problems"]]
    assert set(paths) == {"$.extraOne", "$.extraTwo", "$.credentialSubject.id"}
    assert "(and 2 more)" in error.detail


def test_null_and_empty_values_are_not_data() -> None:
    document = {
        "@context": {"@vocab": "urn:v:"},
        "@id": "urn:s",
        "p": None,
        "q": {"@value": None},
        "r": [],
        "s": {"@language": "en"},
    }
    jsonld.check_data_loss(document)


# ---------------------------------------------------------------------------------------------------
# Bounds (DESIGN decision 5)
# ---------------------------------------------------------------------------------------------------


def _clique_document(size: int) -> dict[str, Any]:
    """A JSON-LD document whose blank nodes all point at each other (an rdf-canon poison graph)."""
    return {
        "@context": {"p": {"@id": "urn:p", "@type": "@id"}},
        "@graph": [{"@id": f"_:n{i}", "p": [f"_:n{j}" for j in range(size) if j != i]} for i in range(size)],
    }


def test_poison_graph_in_json_ld_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(CanonicalizationLimitError) as caught:
        jsonld.canonicalize(_clique_document(10))
    assert time.monotonic() - started < 2.0
    assert caught.value.code == "CANONICALIZATION_LIMIT_ERROR"
    assert caught.value.context["max_work"] == jsonld.DEFAULT_MAX_WORK


def test_work_bound_is_configurable() -> None:
    small = _clique_document(4)
    assert jsonld.canonicalize(small).count("\n") == 12
    with pytest.raises(CanonicalizationLimitError):
        jsonld.canonicalize(small, max_work=100)


def test_blank_node_bound() -> None:
    document = {
        "@context": {"@vocab": "urn:v:"},
        "@id": "urn:s",
        "item": [{"n": i} for i in range(50)],
    }
    out = jsonld.canonicalize(document, max_blank_nodes=50)
    assert "_:c14n49 " in out and "_:c14n50" not in out
    with pytest.raises(CanonicalizationLimitError, match="more than 49 blank nodes"):
        jsonld.canonicalize(document, max_blank_nodes=49)


def test_default_limits_fit_realistic_credentials() -> None:
    # A thousand blank nodes on one property, and many identical ones (which need the N-degree step).
    document = ob()
    achievement = document["credentialSubject"]["achievement"]
    achievement["alignment"] = [dict(achievement["alignment"][0]) for _ in range(40)]
    document["credentialSubject"]["result"] = [
        {"type": ["Result"], "value": f"R{i}", "status": "Completed"} for i in range(1000)
    ]
    started = time.monotonic()
    out = jsonld.canonicalize(document)
    assert out.count("<https://purl.imsglobal.org/spec/vc/ob/vocab.html#alignment>") == 40
    assert out.count("<https://purl.imsglobal.org/spec/vc/ob/vocab.html#result>") == 1000
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    "document",
    [
        {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "p": list(range(20_000))},
        # The same subject repeated: its values merge.
        {
            "@context": {"@vocab": "urn:v:"},
            "@graph": [{"@id": "urn:s", "p": list(range(i, 20_000, 10))} for i in range(10)],
        },
        {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "@type": [f"urn:T{i}" for i in range(20_000)]},
    ],
    ids=["one-array", "merged", "types"],
)
def test_quadratic_node_map_is_refused_quickly(document: dict[str, Any]) -> None:
    # PyLD's node map compares each new value with every value of the property (JSON-LD 1.1 API
    # §7.2); 20,000 values would take minutes.
    started = time.monotonic()
    with pytest.raises(CanonicalizationLimitError, match="value comparisons"):
        jsonld.canonicalize(document)
    assert time.monotonic() - started < 5


def test_work_ceiling_stops_the_node_map_before_it_runs() -> None:
    """jsonld.work_ceiling (the verifier service's fast lane) also bounds PyLD's quadratic node map: 300
    values of one property (45,000 comparisons) are fine under the usual bound and refused under 1,000."""
    class Stop(BaseException):
        pass

    document = {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "p": list(range(300))}
    expected = jsonld._to_rdf(document, None, check=False)
    with jsonld.work_ceiling(1_000, Stop), pytest.raises(Stop):
        jsonld._to_rdf(document, None, check=False)
    with jsonld.work_ceiling(1_000_000, Stop):
        assert jsonld._to_rdf(document, None, check=False) == expected


# ---------------------------------------------------------------------------------------------------
# canonicalize_dataset / parse_nquads
# ---------------------------------------------------------------------------------------------------


def _quad(s: str, o: str, g: str | None = None) -> dict[str, Any]:
    def term(value: str) -> dict[str, str]:
        return {"type": "blank node" if value.startswith("_:") else "IRI", "value": value}

    return {"subject": term(s), "predicate": {"type": "IRI", "value": "urn:p"}, "object": term(o)}


def test_canonicalize_dataset_does_not_modify_its_input() -> None:
    dataset = {"@default": [_quad("_:a", "_:b"), _quad("_:b", "urn:o")], "urn:g": [_quad("_:a", "urn:o")]}
    before = copy.deepcopy(dataset)
    out = jsonld.canonicalize_dataset(dataset)
    assert dataset == before
    assert out == jsonld.canonicalize_dataset(dataset)


def test_input_labels_that_look_canonical_are_relabelled() -> None:
    # PyLD's own URDNA2015 leaves input labels starting with "_:c14n" alone (a collision risk).
    plain = {"@default": [_quad("_:x", "_:y"), _quad("_:y", "urn:o")]}
    tricky = {"@default": [_quad("_:c14n0", "_:c14n7"), _quad("_:c14n7", "urn:o")]}
    assert jsonld.canonicalize_dataset(tricky) == jsonld.canonicalize_dataset(plain)
    assert PyldURDNA2015().main(copy.deepcopy(tricky), {"format": "application/n-quads"}) != (
        jsonld.canonicalize_dataset(plain)
    )


def test_duplicate_quads_count_once() -> None:
    once = {"@default": [_quad("_:x", "urn:o")]}
    twice = {"@default": [_quad("_:x", "urn:o"), _quad("_:x", "urn:o")]}
    assert jsonld.canonicalize_dataset(twice) == jsonld.canonicalize_dataset(once) == "_:c14n0 <urn:p> <urn:o> .\n"


def test_canonicalize_dataset_hash_algorithms() -> None:
    dataset = {"@default": [_quad("_:x", "_:y"), _quad("_:y", "_:x")]}
    assert jsonld.canonicalize_dataset(dataset, hash_algorithm="sha384")
    with pytest.raises(JsonLdError, match="hash algorithm"):
        jsonld.canonicalize_dataset(dataset, hash_algorithm="md5")


def test_canonicalize_dataset_translates_malformed_datasets() -> None:
    with pytest.raises(JsonLdError):
        jsonld.canonicalize_dataset({"@default": [{"subject": None}]})


def test_parse_nquads() -> None:
    dataset = jsonld.parse_nquads('<urn:s> <urn:p> "a\\\\n\\u00e9\\t" <urn:\\u0067> .\n')
    assert dataset["urn:g"][0]["object"]["value"] == "a\\n\u00e9\t"
    assert jsonld.canonicalize_dataset(dataset) == '<urn:s> <urn:p> "a\\\\né\\t" <urn:g> .\n'
    with pytest.raises(InputError):
        jsonld.parse_nquads("this is not n-quads\n")


# ---------------------------------------------------------------------------------------------------
# expand()
# ---------------------------------------------------------------------------------------------------


def test_expand() -> None:
    expanded = jsonld.expand(EXAMPLE_VC)
    assert expanded[0]["@id"] == EXAMPLE_VC["id"]
    assert expanded[0]["https://www.w3.org/2018/credentials#issuer"] == [{"@id": "https://vc.example/issuers/5678"}]
    with pytest.raises(ContextNotAllowedError):
        jsonld.expand({"@context": "https://evil.example/ctx"})
    loose = ob(extra=1)
    assert jsonld.expand(loose) == jsonld.expand(OB_CREDENTIAL)
    with pytest.raises(DataLossError):
        jsonld.expand(loose, check_data_loss=True)


# ---------------------------------------------------------------------------------------------------
# The context memo
# ---------------------------------------------------------------------------------------------------

DOCUMENTS = [OB_CREDENTIAL, EXAMPLE_VC, dict(jsonld._SELF_TEST_DOCUMENT)]


@pytest.mark.parametrize("document", DOCUMENTS, ids=["ob", "examples", "self-test"])
def test_memo_output_is_byte_identical(document: dict[str, Any]) -> None:
    # (The self-test document has control characters, where PyLD alone differs: compare without them.)
    outputs = {
        jsonld._canonicalize(
            copy.deepcopy(document),
            None,
            check=check,
            memoize=memo,
            max_blank_nodes=jsonld.DEFAULT_MAX_BLANK_NODES,
            max_work=jsonld.DEFAULT_MAX_WORK,
        )
        for memo in (False, True, True)
        for check in (False, True)
    }
    assert len(outputs) == 1
    plain_pyld = pyld.normalize(
        copy.deepcopy(document), {**jsonld._RDFC_OPTIONS, "documentLoader": jsonld.default_loader()}
    )
    if not any((char < " " and char != "\n") or char == "\x7f" for char in plain_pyld):
        assert outputs == {plain_pyld}


def test_memo_is_used_and_keyed_by_loader() -> None:
    document = {"@context": "urn:test:ctx", "@id": "urn:s", "p": "v"}
    loader_a = jsonld.BundledLoader(extra={"urn:test:ctx": {"@context": {"p": "urn:A#p"}}})
    loader_b = jsonld.BundledLoader(extra={"urn:test:ctx": {"@context": {"p": "urn:B#p"}}})
    for _ in range(2):
        assert jsonld.canonicalize(document, loader=loader_a) == '<urn:s> <urn:A#p> "v" .\n'
        assert jsonld.canonicalize(document, loader=loader_b) == '<urn:s> <urn:B#p> "v" .\n'
    assert len(jsonld._memo_for(loader_a)) > 0
    assert jsonld._memo_for(loader_a) is not jsonld._memo_for(loader_b)


def test_memo_skips_the_loader_once_warm() -> None:
    calls: list[str] = []
    bundled = jsonld.BundledLoader()

    def counting_loader(url: str, options: Any = None) -> dict[str, Any]:
        calls.append(url)
        return bundled(url, options)

    jsonld.canonicalize(OB_CREDENTIAL, loader=counting_loader)
    assert calls
    calls.clear()
    jsonld.canonicalize(OB_CREDENTIAL, loader=counting_loader)
    assert calls == []


def test_memo_is_bounded() -> None:
    memo = jsonld._ContextMemo(size=3)
    for i in range(5):
        memo.put((i,), [], f"value{i}")
    assert len(memo) == 3
    assert memo.get((0,)) is None and memo.get((4,)) == "value4"


def test_concurrent_canonicalization_is_consistent() -> None:
    expected = jsonld.canonicalize(OB_CREDENTIAL)
    loader = jsonld.BundledLoader()  # a cold memo shared by all threads
    results: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                results.append(jsonld.canonicalize(OB_CREDENTIAL, loader=loader))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results == [expected] * 40


def test_memo_speedup() -> None:
    # Lenient on purpose (shared CI machines): the memo must be clearly faster, not by a set figure.
    def best(memoize: bool) -> float:
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(5):
                jsonld._canonicalize(
                    OB_CREDENTIAL,
                    None,
                    check=True,
                    memoize=memoize,
                    max_blank_nodes=jsonld.DEFAULT_MAX_BLANK_NODES,
                    max_work=jsonld.DEFAULT_MAX_WORK,
                )
            timings.append(time.perf_counter() - started)
        return min(timings)

    best(True)
    assert best(False) / best(True) > 1.5


def test_self_test() -> None:
    out = jsonld.self_test()
    assert out.count("\n") == 30
    assert '"Self-test\\u0007achievement\\u007F"' in out
    assert jsonld.self_test(jsonld.BundledLoader()) == out


# ---------------------------------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------------------------------

OB_TERMS = [
    "id", "type", "name", "description", "achievement", "alignment", "targetName", "targetUrl", "result",
    "value", "status", "image", "criteria", "narrative", "creditsAvailable", "tag", "humanCode", "issuer",
    "undefinedTerm", "@id", "@type", "@value", "@language", "@list", "@set", "@graph",
]  # fmt: skip
OB_TYPES = ["Achievement", "AchievementSubject", "Alignment", "Result", "Profile", "Image", "Criteria", "Undefined"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
    st.sampled_from(["urn:x:1", "https://example.ca/a", "relative/x", "_:b1", "en", "@json"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(OB_TERMS), children, max_size=4),
        st.fixed_dictionaries({"type": st.sampled_from(OB_TYPES)}, optional={"name": st.text(max_size=5)}),
    ),
    max_leaves=12,
)
documents = st.fixed_dictionaries(
    {
        "@context": st.sampled_from([[V2, OB], [V2, EXAMPLES], [V1, OB], V2]),
        "type": st.sampled_from([["VerifiableCredential", "OpenBadgeCredential"], "VerifiableCredential"]),
        "credentialSubject": json_values,
    },
    optional={"id": st.sampled_from(["urn:x:1", "rel"]), "issuer": json_values},
)


def _outcome(document: dict[str, Any], memoize: bool, check: bool) -> str:
    try:
        return jsonld._canonicalize(
            document,
            None,
            check=check,
            memoize=memoize,
            max_blank_nodes=jsonld.DEFAULT_MAX_BLANK_NODES,
            max_work=jsonld.DEFAULT_MAX_WORK,
        )
    except OmcVcError as exc:
        return f"{type(exc).__name__}: {exc.detail}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_property_memo_never_changes_the_outcome(document: dict[str, Any]) -> None:
    for check in (False, True):
        assert _outcome(document, True, check) == _outcome(document, False, check)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_property_only_typed_errors_and_check_is_consistent(document: dict[str, Any]) -> None:
    try:
        checked = jsonld.canonicalize(document)
    except DataLossError:
        return
    except OmcVcError:
        with pytest.raises(OmcVcError):
            jsonld.canonicalize(document, check_data_loss=False)
        return
    assert checked == jsonld.canonicalize(document, check_data_loss=False)


contexts = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from([V2, OB, "urn:x", "@id", "@type", "@vocab"])),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["@vocab", "@id", "@type", "@container", "@protected", "p", "name"]), children),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contexts, json_values)
def test_property_malformed_contexts_raise_only_typed_errors(context: Any, body: Any) -> None:
    document = {"@context": context, "p": body, "name": body}
    try:
        jsonld.canonicalize(document)
    except OmcVcError:
        pass


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ({"@value": "x", "@language": "EN", "@direction": "rtl"}, '"x"^^<https://www.w3.org/ns/i18n#en_rtl>'),
        ({"@value": "x", "@direction": "ltr"}, '"x"^^<https://www.w3.org/ns/i18n#_ltr>'),
    ],
    ids=["language-and-direction", "direction-only"],
)
def test_base_direction_is_kept_as_an_i18n_datatype(value: dict[str, Any], literal: str) -> None:
    # JSON-LD 1.1 API §8.1 rdfDirection "i18n-datatype", as Digital Bazaar's rdfc cryptosuites canonicalize:
    # the direction is signed (not dropped, so not data loss), and a changed direction changes the quads
    document = {"@context": {"@vocab": "urn:v:"}, "@id": "urn:s", "p": value}
    assert jsonld.canonicalize(document) == f"<urn:s> <urn:v:p> {literal} .\n"
    jsonld.check_data_loss(document)
    flipped = {**document, "p": {**value, "@direction": "ltr" if value["@direction"] == "rtl" else "rtl"}}
    assert jsonld.canonicalize(flipped) != jsonld.canonicalize(document)


def test_vocab_null_without_a_vocabulary_is_a_no_op() -> None:
    # JSON-LD 1.1 API §4.1.2 step 5.8.2; PyLD 3.3.0 raised KeyError on it, refusing a valid credential
    v2 = "https://www.w3.org/ns/credentials/v2"
    body = {"type": ["VerifiableCredential"], "issuer": "did:example:i", "credentialSubject": {"id": "did:example:s"}}
    plain = jsonld.canonicalize({"@context": [v2], **body})
    assert jsonld.canonicalize({"@context": [v2, {"@vocab": None}], **body}) == plain
    # after a vocabulary mapping it still removes it: the undefined term is data loss again
    assert jsonld.canonicalize({"@context": [v2, {"@vocab": "urn:v:"}, {"@vocab": None}], **body}) == plain
    with pytest.raises(DataLossError, match="ExampleTestCredential"):
        jsonld.canonicalize({"@context": [v2, {"@vocab": None}], **body,
                             "type": ["VerifiableCredential", "ExampleTestCredential"]})
