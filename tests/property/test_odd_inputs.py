"""No input crashes anything: odd dates, numbers and Unicode through every verification path.

A table of mutated documents (a signed OMC, a VC-JWT, a presentation, the ministry's registry, a status
list) goes through the library verifier, the OMC verdict, ``omc verify`` with and without
``--registry``, ``omc wallet import`` / ``check``, ``omc qr decode``, the verifier page's JSON endpoints
and the VC-API. Each mutation is re-signed where it can be (so the odd value reaches the checks behind
the proof: validity, status, OMC profile, registry); where signing itself refuses the value (a lone
surrogate has no UTF-8 form to hash) the old proof stays and the proof check must refuse it.

What every path must do: answer with a result or one of the project's typed errors. The CLI exits 0, 1
or 2 with at most one ``error: CODE: detail`` line per refused input and never a traceback or exit 3;
the web service answers below 500 and never names a server path.
"""

from __future__ import annotations

import copy
import json
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli  # type: ignore[import-not-found,unused-ignore]

from omc_vc import qr
from omc_vc._internal.timeutil import EARLIEST, LATEST, format_datetime, parse_datetime
from omc_vc.errors import MalformedValueError
from omc_vc.omc.builder import sign_omc
from omc_vc.proofs import data_integrity
from omc_vc.registry import _sign_all
from omc_vc.verdict import make_verifier
from omc_vc.verify import Verifier
from tests.web.world import WebWorld, make_world

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from omc_vc.web.app import create_app

REPO = Path(__file__).resolve().parents[2]
ENV = {"OMC_ODD_PASS": "odd inputs wallet passphrase"}
#: XSD dateTimeStamps whose UTC instant is outside Python's years 1-9999, and other odd dates
ODD_DATES: dict[str, Any] = {
    "year0": "0001-01-01T00:00:00+14:00", "year10000": "9999-12-31T23:59:59-14:00", "year1": "0001-01-01T00:00:00Z",
    "year9999": "9999-12-31T23:59:59Z", "year20426": "20426-01-01T00:00:00Z", "negative-year": "-0001-01-01T00:00:00Z",
    "hour24": "2025-01-01T24:00:00Z", "long-fraction": "2025-01-01T00:00:00." + "1" * 40 + "Z",
    "leap-second": "2025-06-30T23:59:60Z", "number": 12345, "bool": True,
}


@dataclass(frozen=True)
class Raw:
    """A JSON text that no Python value dumps to (1e309 reads as inf)."""

    text: str


#: Numbers for every numeric field a check reads
ODD_NUMBERS: dict[str, Any] = {
    "huge": 10**400, "negative": -1, "huge-negative": -(10**400), "fraction": 1.5, "negative-zero": -0.0,
    "bool": True, "max-double": 1.7976931348623157e308, "overflow": Raw("1e309"), "string": "7",
}
#: Unicode and odd strings for ids, names, types, DIDs and URLs
ODD_STRINGS: dict[str, Any] = {
    "lone-surrogate": "\ud800", "nul": "a\u0000b", "long": "x" * 200_000, "non-nfc": "e\u0301cole",
    "bidi": "\u202egnp.exe", "did-web-unicode-host": "did:web:\u00e9cole.example",
    "did-web-surrogate": "did:web:\udc00",
    "did-web-empty-label": "did:web:a..b", "did-web-long-label": "did:web:" + "a" * 300,
    "did-web-port": "did:web:example.com%3A99999", "url-bad-ipv6": "https://[::1/x",
    "url-unicode-host": "https://\u00e9cole.example/status/1", "url-empty-label": "https://a..b/x",
    "url-bad-port": "https://example.com:99999/x", "url-punycode": "https://xn--/x",
}


def _raw_dumps(value: Any) -> str:
    """JSON text of ``value``, with each Raw placeholder replaced by its text (ASCII escapes keep lone
    surrogates as legal JSON escapes, which is how an attacker would send them)."""
    raws: list[str] = []

    def encode(item: Any) -> Any:
        if isinstance(item, Raw):
            raws.append(item.text)
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(item, dict):
            return {k: encode(v) for k, v in item.items()}
        if isinstance(item, list):
            return [encode(v) for v in item]
        return item

    text = json.dumps(encode(value))
    for index, raw in enumerate(raws):
        text = text.replace(f'"@@raw{index}@@"', raw)
    return text


def _has_raw(value: Any) -> bool:
    if isinstance(value, Raw):
        return True
    if isinstance(value, dict):
        return any(_has_raw(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_raw(v) for v in value)
    return False


def _has_surrogate(value: Any) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in json.dumps(value, ensure_ascii=False))


def _set(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    node: Any = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


# --- the table -------------------------------------------------------------------------------------------

ACH = ("credentialSubject", "achievement")
#: (field path in the OMC, the table of values it gets)
CREDENTIAL_FIELDS: list[tuple[tuple[str | int, ...], dict[str, Any]]] = [
    (("validFrom",), ODD_DATES),
    (("validUntil",), ODD_DATES),
    ((*ACH, "instructionalHours"), ODD_NUMBERS),
    ((*ACH, "durationWeeks"), {k: ODD_NUMBERS[k] for k in ("huge", "negative", "overflow")}),
    ((*ACH, "creditsAvailable"), ODD_NUMBERS),
    ((*ACH, "stacksInto", 0, "creditValue"), ODD_NUMBERS),
    ((*ACH, "stacksInto", 0, "creditRequired"), {k: ODD_NUMBERS[k] for k in ("huge", "negative", "fraction")}),
    (("credentialStatus", "statusListIndex"), {**{k: ODD_NUMBERS[k] for k in ("huge", "negative", "overflow")},
                                               "huge-text": "1" + "0" * 400, "arabic-digit": "\u0663",
                                               "negative-text": "-1"}),
    (("credentialStatus", "statusSize"), {k: ODD_NUMBERS[k] for k in ("huge", "negative", "fraction")}),
    (("credentialStatus", "statusListCredential"), ODD_STRINGS),
    (("issuer", "id"), ODD_STRINGS),
    (("name",), {k: ODD_STRINGS[k] for k in ("lone-surrogate", "nul", "long", "non-nfc", "bidi")}),
    (("id",), {k: ODD_STRINGS[k] for k in ("lone-surrogate", "url-bad-ipv6", "did-web-unicode-host")}),
    (("type",), {"surrogate": ["VerifiableCredential", "\ud800"], "number": ["VerifiableCredential", 10**400]}),
    ((*ACH, "name"), {k: ODD_STRINGS[k] for k in ("lone-surrogate", "long")}),
]
PROOF_FIELDS = {"created": ODD_DATES, "expires": ODD_DATES}
JWT_CLAIMS = {
    name: {**{k: ODD_NUMBERS[k] for k in ("huge", "negative", "huge-negative", "fraction", "bool", "max-double",
                                          "overflow", "string")},
           "year10000": 253_402_300_800, "year1": -62_135_596_800}
    for name in ("exp", "nbf", "iat")
}
REGISTRY_FIELDS: list[tuple[tuple[str | int, ...], dict[str, Any]]] = [
    (("validFrom",), ODD_DATES),
    (("validUntil",), ODD_DATES),
    (("credentialSubject", "registry", "version"), ODD_NUMBERS),
    (("credentialSubject", "registry", "institutions", 0, "consent", "granted"), ODD_DATES),
    (("credentialSubject", "registry", "institutions", 0, "consent", "history", 0, "since"),
     {k: ODD_DATES[k] for k in ("year0", "year10000", "year1", "year9999")}),
    (("credentialSubject", "registry", "institutions", 0, "dids", 0, "validFrom"),
     {k: ODD_DATES[k] for k in ("year0", "year10000", "year1", "year9999")}),
    (("credentialSubject", "registry", "institutions", 0, "dids", 0, "id"), ODD_STRINGS),
]
STATUS_FIELDS: list[tuple[tuple[str | int, ...], dict[str, Any]]] = [
    (("validUntil",), ODD_DATES),
    (("validFrom",), ODD_DATES),
    (("credentialSubject", "ttl"), ODD_NUMBERS),
]


@dataclass
class Case:
    name: str
    text: str  # JSON text or a compact JWT
    kind: str  # credential, jwt, presentation

    @property
    def document(self) -> dict[str, Any] | str:
        return self.text if self.kind == "jwt" else json.loads(self.text)


@dataclass
class Odd:
    world: WebWorld
    base: dict[str, Any]
    cases: list[Case]
    registries: dict[str, Path]  # case name -> a registry file with that mutation (signed by the ministry)
    status_lists: dict[str, dict[str, Any]]  # case name -> the college's list with that mutation


def _resign(world: WebWorld, document: dict[str, Any]) -> dict[str, Any]:
    """The OMC signed again by its issuer; when the value cannot be signed, the old proof stays."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    if _has_raw(unsigned):
        return document
    try:
        return sign_omc(unsigned, world.issuers["college"].key, created=world.now - timedelta(days=10))
    except Exception:  # the value has no canonical form (a lone surrogate): keep the old proof
        return document


def _jwt(world: WebWorld, claims: dict[str, Any]) -> str:
    import base64

    key = world.issuers["college"].key

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    header = {"alg": "EdDSA", "kid": key.verification_method, "typ": "vc+jwt"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(_raw_dumps(claims).encode())}"
    return f"{signing_input}.{b64(key.sign(signing_input.encode('ascii')))}"


def _presentation(world: WebWorld, credential: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    key = world.issuers["college"].key
    unsigned = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                "holder": key.controller, "verifiableCredential": [credential]}
    signed = data_integrity.add_proof(unsigned, key, purpose="authentication", challenge="c-odd",
                                      domain="https://employer.example.ca", created=world.now - timedelta(minutes=1))
    signed["proof"][field] = value
    return signed


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Odd:
    world = make_world(tmp_path_factory.mktemp("odd-world"))
    base, _ = world.credential("college", plus=True)
    cases: list[Case] = []
    for path, values in CREDENTIAL_FIELDS:
        for label, value in values.items():
            mutated = _resign(world, _set(base, path, value))
            cases.append(Case(f"{'.'.join(map(str, path))}={label}", _raw_dumps(mutated), "credential"))
    for field, values in PROOF_FIELDS.items():
        for label, value in values.items():
            cases.append(Case(f"proof.{field}={label}", _raw_dumps(_set(base, ("proof", field), value)), "credential"))
            cases.append(Case(f"presentation.proof.{field}={label}",
                              _raw_dumps(_presentation(world, base, field, value)), "presentation"))
    claims = {k: v for k, v in base.items() if k != "proof"}
    for claim, values in JWT_CLAIMS.items():
        for label, value in values.items():
            cases.append(Case(f"jwt.{claim}={label}", _jwt(world, {**claims, claim: value}), "jwt"))
    for label in ("year0", "year10000", "year20426"):
        cases.append(Case(f"jwt.validUntil={label}", _jwt(world, {**claims, "validUntil": ODD_DATES[label]}), "jwt"))

    signed_registry = json.loads(world.registry_file.read_text(encoding="utf-8"))
    registries: dict[str, Path] = {}
    folder = world.folder / "odd-registries"
    folder.mkdir()
    for path, values in REGISTRY_FIELDS:
        for label, value in values.items():
            name = f"registry.{'.'.join(map(str, path))}={label}"
            mutated = _set({k: v for k, v in signed_registry.items() if k != "proof"}, path, value)
            try:
                document = _sign_all(mutated, [world.ministry], world.now - timedelta(minutes=1))
            except Exception:  # no canonical form (10**400 is no xsd:double): the old proof stays
                document = {**mutated, "proof": signed_registry["proof"]}
            target = folder / f"registry-{len(registries)}.json"
            target.write_text(_raw_dumps(document), encoding="utf-8")
            registries[name] = target

    status_list = json.loads((world.status_dir / "college.json").read_text(encoding="utf-8"))
    status_lists: dict[str, dict[str, Any]] = {}
    for path, values in STATUS_FIELDS:
        for label, value in values.items():
            mutated = _set({k: v for k, v in status_list.items() if k != "proof"}, path, value)
            if _has_raw(mutated):
                continue  # a pinned list is a Python dict: 1e309 is covered where documents are read as text
            try:
                signed = data_integrity.add_proof(mutated, world.issuers["college"].key,
                                                  created=world.now - timedelta(days=400))
            except Exception:  # no canonical form: the old proof stays
                signed = {**mutated, "proof": status_list["proof"]}
            status_lists[f"status.{'.'.join(map(str, path))}={label}"] = signed
    return Odd(world, base, cases, registries, status_lists)


# --- what every answer must look like -------------------------------------------------------------------

def _server_paths(world: WebWorld) -> list[str]:
    return [str(world.folder), str(REPO), str(Path(qr.__file__).resolve().parent)]


def _check_all(cases: list[Case], run: Callable[[Case], str | None]) -> None:
    """Run every case; collect the ones whose answer breaks the rules (run returns why, or raises)."""
    failures = []
    for case in cases:
        try:
            why = run(case)
        except Exception as exc:  # anything escaping is a crash
            why = f"raised {type(exc).__name__}: {str(exc)[:200]}"
        if why:
            failures.append(f"{case.name}: {why}")
    assert not failures, "\n".join(failures)


def _result_ok(result: Any, *, from_text: bool = True) -> str | None:
    rendered = json.dumps(result.to_json(), ensure_ascii=not from_text)
    if from_text:
        rendered.encode("utf-8")  # what the CLI and the service print must be writable as UTF-8
    if result.verified and result.check("proof") is None:
        return "verified without a proof check"
    return None


def _cli(args: list[str]) -> tuple[int, str, str, BaseException | None]:
    result = CliRunner().invoke(cli, args, env=ENV)
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.stdout, result.stderr, exception


def _cli_ok(code: int, out: str, err: str, exception: BaseException | None, *, max_errors: int = 1) -> str | None:
    if exception is not None:
        return f"raised {type(exception).__name__}: {exception}"
    if code not in (0, 1, 2):
        return f"exit {code}: {err.strip()[:300]}"
    if "Traceback" in out + err:
        return "printed a traceback"
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    if len(errors) > max_errors:
        return f"{len(errors)} error lines"
    if code != 0 and not errors:
        return f"exit {code} without an error line: {err.strip()[:300]}"
    if any(not re.match(r"error: (\S+: )?[A-Z][A-Z0-9_]+: ", line) for line in errors):
        return f"error line without a CODE: {errors}"
    return None


def _write(folder: Path, case: Case) -> Path:
    target = folder / ("case.jwt" if case.kind == "jwt" else "case.json")
    target.write_text(case.text, encoding="utf-8")
    return target


# --- the library ------------------------------------------------------------------------------------------

def test_odd_values_end_in_a_typed_failure_in_the_library_verifier(odd: Odd) -> None:
    verifier = Verifier()

    def run(case: Case) -> str | None:
        why = _result_ok(verifier.verify(case.text, challenge="c-odd" if case.kind == "presentation" else None))
        if why or case.kind == "jwt":
            return why
        try:  # the same document handed over as a dict (a library caller that parsed it with json.loads)
            document = json.loads(case.text)
        except ValueError:
            return None
        result = verifier.verify(document)
        if "\\u" in case.text and _has_surrogate(document) and result.verified:
            return "a document with a lone surrogate verified"
        # the result may echo the caller's own strings (lone surrogates included): rendered ASCII-escaped
        return _result_ok(result, from_text=False)

    _check_all(odd.cases, run)


def test_odd_values_end_in_a_typed_failure_in_the_omc_verdict(odd: Odd) -> None:
    world = odd.world
    statuses = {world.list_url(slug): json.loads((world.status_dir / f"{slug}.json").read_text(encoding="utf-8"))
                for slug in world.issuers}
    verifier = make_verifier(registry=str(world.registry_file), anchors=world.anchors_file, offline=True,
                             status_documents=statuses, cache_dir=world.folder / "cache-verdict")

    def run(case: Case) -> str | None:
        result = verifier.verify(case.text)
        why = _result_ok(result)
        if why is None and not result.details.get("verdict"):
            why = "no verdict"
        return why

    _check_all(odd.cases, run)


def test_odd_registry_values_end_in_a_typed_failure(odd: Odd) -> None:
    world = odd.world
    statuses = {world.list_url("college"): json.loads((world.status_dir / "college.json").read_text(encoding="utf-8"))}
    failures = []
    for name, path in odd.registries.items():
        verifier = make_verifier(registry=str(path), anchors=world.anchors_file, offline=True,
                                 status_documents=statuses)
        try:
            result = verifier.verify(odd.base)
            why = _result_ok(result)
            check = result.check("issuer-authorized")
            if why is None and check is not None and check.status == "passed" and \
                    not isinstance(json.loads(path.read_text(encoding="utf-8"))["validUntil"], str):
                why = "a registry without a dateTimeStamp validUntil was accepted"
        except Exception as exc:
            why = f"raised {type(exc).__name__}: {exc}"
        if why:
            failures.append(f"{name}: {why}")
    assert not failures, "\n".join(failures)


def test_odd_status_list_values_end_in_a_typed_failure(odd: Odd) -> None:
    world = odd.world
    failures = []
    for name, document in odd.status_lists.items():
        verifier = make_verifier(offline=True, status_documents={world.list_url("college"): document})
        try:
            result = verifier.verify(odd.base)
            why = _result_ok(result)
        except Exception as exc:
            why = f"raised {type(exc).__name__}: {exc}"
        if why:
            failures.append(f"{name}: {why}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("moment", [EARLIEST, LATEST], ids=["year1", "year9999"])
def test_verification_at_the_ends_of_time_does_not_overflow(odd: Odd, moment: Any) -> None:
    # a clock-skew allowance added to 9999-12-31T23:59:59 (or taken from 0001-01-01) used to overflow
    for case in odd.cases[:20]:
        assert _result_ok(Verifier().verify(case.text, now=moment)) is None


def test_out_of_range_dates_are_malformed_values() -> None:
    for label in ("year0", "year10000", "year20426", "negative-year", "hour24"):
        with pytest.raises(MalformedValueError):
            parse_datetime(ODD_DATES[label], field="validFrom")
    # the ends of the range still parse, and format back to what was written
    assert format_datetime(parse_datetime(ODD_DATES["year9999"])) == ODD_DATES["year9999"]
    assert format_datetime(parse_datetime(ODD_DATES["year1"])) == ODD_DATES["year1"]


# --- the CLI ----------------------------------------------------------------------------------------------

def test_odd_values_end_in_one_error_line_in_omc_verify(odd: Odd, tmp_path: Path) -> None:
    def run(case: Case) -> str | None:
        path = _write(tmp_path, case)
        return _cli_ok(*_cli(["verify", str(path), "--offline"]))

    _check_all(odd.cases, run)


def test_odd_values_end_in_one_error_line_in_omc_verify_with_a_registry(odd: Odd, tmp_path: Path) -> None:
    world = odd.world

    def run(case: Case) -> str | None:
        path = _write(tmp_path, case)
        return _cli_ok(*_cli(["verify", str(path), "--offline", "--registry", str(world.registry_file),
                              "--anchors", str(world.anchors_file), "--registry-cache", str(tmp_path / "cache")]))

    _check_all(odd.cases, run)


def test_odd_registries_end_in_one_error_line_in_omc_verify(odd: Odd, tmp_path: Path) -> None:
    world = odd.world
    credential = tmp_path / "omc.json"
    credential.write_text(json.dumps(odd.base), encoding="utf-8")
    failures = []
    for name, registry in odd.registries.items():
        why = _cli_ok(*_cli(["verify", str(credential), "--offline", "--registry", str(registry),
                             "--anchors", str(world.anchors_file)]))
        if why:
            failures.append(f"{name}: {why}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("now", [ODD_DATES["year0"], ODD_DATES["year10000"], ODD_DATES["year20426"],
                                 "9999-12-31T23:59:59", "0001-01-01T00:00:00", "+275760-01-01"])
def test_odd_now_option_is_a_usage_error_or_a_verdict(odd: Odd, tmp_path: Path, now: str) -> None:
    credential = tmp_path / "omc.json"
    credential.write_text(json.dumps(odd.base), encoding="utf-8")
    assert _cli_ok(*_cli(["verify", str(credential), "--offline", "--now", now])) is None


def test_odd_values_are_refused_by_wallet_import_and_check(odd: Odd, tmp_path: Path) -> None:
    wallet = tmp_path / "wallet"
    options = ["--wallet", str(wallet), "--passphrase-env", "OMC_ODD_PASS", "--offline"]
    code, _, err, exception = _cli(["wallet", "init", "--wallet", str(wallet), "--passphrase-env", "OMC_ODD_PASS"])
    assert code == 0 and exception is None, err
    # one wallet open per import costs a passphrase derivation: the cases go in batches of sources, and a
    # source that is refused outright (not a credential at all) is tried alone
    files = []
    for index, case in enumerate(odd.cases):
        path = tmp_path / f"case-{index}.{'jwt' if case.kind == 'jwt' else 'json'}"
        path.write_text(case.text, encoding="utf-8")
        files.append((case, path))
    failures = []
    for start in range(0, len(files), 16):
        batch = files[start:start + 16]
        code, out, err, exception = _cli(["wallet", "import", *[str(p) for _, p in batch], *options])
        why = _cli_ok(code, out, err, exception, max_errors=len(batch))
        if why is None and code == 2:  # one source stopped the batch: try each alone
            for case, path in batch:
                alone = _cli_ok(*_cli(["wallet", "import", str(path), *options]))
                if alone:
                    failures.append(f"{case.name}: {alone}")
        elif why:
            failures.append(f"batch {start}: {why}")
    for registry in (None, str(odd.world.registry_file)):
        extra = ["--registry", registry, "--anchors", str(odd.world.anchors_file)] if registry else []
        why = _cli_ok(*_cli(["wallet", "check", *options, *extra]))
        if why:
            failures.append(f"wallet check {extra}: {why}")
    assert not failures, "\n".join(failures)


def test_odd_link_payloads_end_in_one_error_line_in_qr_decode(odd: Odd, tmp_path: Path) -> None:
    texts = {
        "surrogate-json": '{"a":"\\ud800"}', "overflow-json": '{"a":1e309}', "huge-json": '{"a":' + "9" * 5000 + "}",
        "bad-digits": "https://verify.example.ca/v#01" + "9" * 60, "version-99": "https://verify.example.ca/v#99123",
        "unicode-digits": "https://verify.example.ca/v#01\u0663\u0663\u0663",
        "bad-port": "https://verify.example.ca:99999/s/AAAAAAAAAAAAAAAAAAAA",
        "bad-ipv6": "https://[::1/s/AAAAAAAAAAAAAAAAAAAA",
    }
    for case in odd.cases:
        if case.name in ("validFrom=year0", "validUntil=year10000", "credentialStatus.statusListIndex=huge",
                         "jwt.exp=huge", "issuer.id=did-web-unicode-host"):
            try:
                texts[case.name] = qr.encode_link(case.document, "https://verify.example.ca")
            except Exception as exc:  # the table's own documents are encodable: a refusal here is a finding
                pytest.fail(f"{case.name}: encode_link raised {type(exc).__name__}: {exc}")
    failures = []
    for name, text in texts.items():
        image = tmp_path / "code.png"
        try:
            qr.make_qr_image(text, image)
        except Exception as exc:  # a text too long for a QR code is a typed refusal, nothing else
            assert type(exc).__name__ == "QrError", f"{name}: make_qr_image raised {type(exc).__name__}"
            continue
        why = _cli_ok(*_cli(["qr", "decode", str(image), "--json"]))
        if why:
            failures.append(f"{name}: {why}")
        else:  # what qr decode printed must be what the library decodes
            try:
                qr.decode_payload(text)
            except Exception as exc:
                if type(exc).__module__ != "omc_vc.errors":
                    failures.append(f"{name}: decode_payload raised {type(exc).__name__}")
    assert not failures, "\n".join(failures)


# --- the web service ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(odd: Odd) -> Iterator[TestClient]:
    with TestClient(create_app(odd.world.config())) as test_client:
        yield test_client


def _web_ok(odd: Odd, response: Any) -> str | None:
    if response.status_code >= 500:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    for path in _server_paths(odd.world):
        if path in response.text:
            return f"HTTP {response.status_code} names the server path {path}"
    return None


def test_odd_values_never_answer_500_on_the_verifier_page(odd: Odd, client: TestClient) -> None:
    def run(case: Case) -> str | None:
        answers = [client.post("/verify/text", content=case.text.encode("utf-8")),
                   client.post("/verify/upload", files={"file": ("case.json", case.text.encode("utf-8"))})]
        try:
            answers.append(client.post("/verify/fragment", content=qr.encode_fragment(case.document)))
        except Exception as exc:  # too large for a link is a typed refusal, nothing else
            if type(exc).__name__ != "QrError":
                raise
        for response in answers:
            why = _web_ok(odd, response)
            if why:
                return why
        return None

    _check_all(odd.cases, run)


def test_odd_values_never_answer_500_on_the_vc_api(odd: Odd, client: TestClient) -> None:
    headers = {"Content-Type": "application/json"}

    def run(case: Case) -> str | None:
        body = case.text if case.kind != "jwt" else json.dumps(
            {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "EnvelopedVerifiableCredential",
             "id": f"data:application/vc+jwt,{case.text}"})
        member = "verifiablePresentation" if case.kind == "presentation" else "verifiableCredential"
        path = "/presentations/verify" if case.kind == "presentation" else "/credentials/verify"
        answers = [client.post(path, content=f'{{"{member}": {body}}}'.encode(), headers=headers)]
        if case.kind == "credential":  # the same credential inside an (unsigned) presentation
            answers.append(client.post("/presentations/verify", headers=headers, content=(
                '{"verifiablePresentation": {"@context": ["https://www.w3.org/ns/credentials/v2"], '
                f'"type": ["VerifiablePresentation"], "verifiableCredential": [{body}]}}}}').encode()))
        for response in answers:
            why = _web_ok(odd, response)
            if why:
                return why
        return None

    _check_all(odd.cases, run)


@pytest.mark.parametrize("options", [
    {"challenge": "\ud800"}, {"domain": 10**400}, {"challenge": ["a"]}, {"domain": ["\udc00"]},
    {"checks": ["proof", 10**400]}, {"expectedProofPurpose": "\ud800"}, {"challenge": "x" * 100_000},
], ids=["challenge-surrogate", "domain-huge", "challenge-list", "domain-surrogate", "checks-huge",
        "purpose-surrogate", "challenge-long"])
def test_odd_vc_api_options_never_answer_500(odd: Odd, client: TestClient, options: dict[str, Any]) -> None:
    for path, member in (("/credentials/verify", "verifiableCredential"),
                         ("/presentations/verify", "verifiablePresentation")):
        body = f'{{"{member}": {json.dumps(odd.base)}, "options": {json.dumps(options)}}}'
        response = client.post(path, content=body.encode(), headers={"Content-Type": "application/json"})
        assert _web_ok(odd, response) is None


@pytest.mark.parametrize("body", [
    '{"credential": {"type": ["VerifiableCredential"]}, "ttlSeconds": 1e309}',
    '{"credential": {"type": ["VerifiableCredential"]}, "ttlSeconds": ' + "9" * 400 + "}",
    '{"credential": {"type": ["VerifiableCredential"]}, "ttlSeconds": -1}',
    '{"credential": {"type": ["VerifiableCredential"]}, "ttlSeconds": 1.5}',
    '{"credential": {"type": ["VerifiableCredential"]}, "ttlSeconds": true}',
    '{"credential": "\\ud800.a.b", "ttlSeconds": 60}',
    '{"presentation": {"type": ["VerifiablePresentation", "\\ud800"]}, "ttlSeconds": 99999999999999999999}',
], ids=["ttl-overflow", "ttl-huge", "ttl-negative", "ttl-fraction", "ttl-bool", "jwt-surrogate", "vp-surrogate"])
def test_odd_share_requests_never_answer_500(odd: Odd, client: TestClient, body: str) -> None:
    response = client.post("/shares", content=body.encode(), headers={"Content-Type": "application/json",
                                                                       "Origin": odd.world.base_url})
    assert _web_ok(odd, response) is None
