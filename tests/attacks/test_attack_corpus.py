"""The attack corpus: every folder under tests/attacks/ is one attack, held as data.

``<attack-name>/case.json`` says what the attack is (``description``, ``stops``), what kind of input it
is (``kind``), the input itself (declarative: a base artifact of the world plus JSON patches, or a
generated blob), and the expected outcome: a typed error's ``error_code`` or a ``failed_check`` with its
``code``. The runner builds the world (:mod:`tests.attacks.world`), runs each case and asserts it ends in
exactly that error or failed check: never an unhandled exception, never "verified".

A case whose ``known_bug`` is set documents a library defect found by this corpus; it is expected to
fail (``xfail(strict=True)``) until the library is fixed, so the suite stays green while the bug stays
visible.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from omc_vc._internal.fetch import Fetcher
from omc_vc.bitstring import MIN_BITS, set_status
from omc_vc.did import DidResolver
from omc_vc.errors import OmcVcError
from omc_vc.model import VerificationResult
from omc_vc.proofs import data_integrity
from omc_vc.proofs.jose import envelope
from omc_vc.qr import DICTIONARY_V1, decode_payload
from omc_vc.registry import Anchors, RegistryClient
from omc_vc.verdict import make_verifier, verdict_of
from omc_vc.verify import Verifier
from tests.attacks.world import (
    CHALLENGE,
    DOMAIN,
    NOW,
    World,
    apply_patch,
    b64url,
    deflate_bomb,
    encode_bitstring,
    encode_bomb_bitstring,
    world,
)

HERE = Path(__file__).resolve().parent
CASES = sorted(p.parent for p in HERE.glob("*/case.json"))
KINDS = {"credential", "presentation", "jwt", "registry", "status-list", "qr", "fetch", "json", "roster"}

pytestmark = pytest.mark.network


def _load(folder: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    for key in ("description", "stops", "kind", "expect"):
        assert key in case, f"{folder.name}/case.json has no {key!r}"
    assert case["kind"] in KINDS, f"{folder.name}: unknown kind {case['kind']!r}"
    if "input_file" in case:
        case["input"] = json.loads((folder / case["input_file"]).read_text(encoding="utf-8"))
    return case


@pytest.fixture(scope="module")
def w() -> Iterator[World]:
    with world() as value:
        value.server.serve("/registry.json", value.registry())
        yield value


# --- building inputs ----------------------------------------------------------------------------------------

def _resolver(w: World, setup: dict[str, Any], fetcher: Fetcher | None) -> DidResolver:
    documents: dict[str, dict[str, Any]] = {}
    for did, spec in setup.get("did_documents", {}).items():
        did = w.expand(did)
        methods: list[dict[str, Any]] = []
        relationships: dict[str, list[str]] = {}
        for item in spec["keys"]:
            vm = f"{did}#{item['fragment']}"
            methods.append({"id": vm, "type": "Multikey", "controller": w.expand(item.get("controller", did)),
                            "publicKeyMultibase": w.key(item["key"]).public_key.multibase})
            for rel in item["relationships"]:
                relationships.setdefault(rel, []).append(vm)
        documents[did] = {"@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
                          "id": did, "verificationMethod": methods, **relationships}
    return DidResolver(fetcher=fetcher, documents=documents)


def _fetcher(w: World, setup: dict[str, Any], *, loopback: bool = True) -> Fetcher:
    dns = {host: [w.expand(ip)] for host, ip in setup.get("dns", {}).items()}

    def resolver(host: str, port: int) -> list[str]:
        # fake DNS: the case says which address a name points at (DNS rebinding to internal addresses)
        return dns.get(host, ["93.184.216.34"])

    return Fetcher(allow_loopback=setup.get("allow_loopback", loopback), timeout=5, resolver=resolver)


def _credential(w: World, spec: dict[str, Any], slug: str) -> dict[str, Any]:
    label = spec.get("issuer_label", "college")
    artifacts = _artifacts(w)
    if spec.get("base") == "poison-graph":
        return _poison_graph(w, spec)
    unsigned = w.unsigned_credential(
        label, slug=w.expand(spec.get("status_slug", label)),
        index=spec.get("index", 3), holder=bool(spec.get("holder")), subject_label=spec.get("subject_label", "holder"),
        issuer=w.expand(spec["issuer"]) if "issuer" in spec else None)
    if "status_url" in spec:
        unsigned["credentialStatus"]["statusListCredential"] = w.expand(spec["status_url"])
        unsigned["credentialStatus"]["id"] = w.expand(spec["status_url"]) + "#3"
    unsigned = apply_patch(unsigned, w.expand_all(spec.get("before_sign", [])), artifacts)
    signed = w.sign(unsigned, w.expand_all(spec.get("sign")), label)
    patched: dict[str, Any] = apply_patch(signed, w.expand_all(spec.get("after_sign", [])), artifacts)
    return patched


def _artifacts(w: World) -> dict[str, Any]:
    """Other signed documents a case may copy parts from (a proof, a subject...)."""
    return {
        "credential-2": w.credential("college", index=9),
        "other-credential": w.credential("other"),
        "presentation": w.presentation(w.credential("college", holder=True)),
        "clean-list": w.status_list("college"),
    }


def _poison_graph(w: World, spec: dict[str, Any]) -> dict[str, Any]:
    """A credential whose subjects are ``nodes`` blank nodes all linked to each other (a clique).

    Every blank node has the same first-degree hash, so RDFC-1.0 must run the N-degree hash over
    permutations of indistinguishable nodes: the rdf-canon "poison graph" (factorial work).
    """
    n = int(spec["nodes"])
    ids = [f"_:b{i}" for i in range(n)]
    nodes = [{"id": node, "knows": [{"id": other} for other in ids if other != node]} for node in ids]
    subjects = {"id": "did:example:poison", "knows": nodes}
    document = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                "id": "urn:uuid:0b0e0f00-0000-4000-8000-00000000b0b0", "type": ["VerifiableCredential"],
                "issuer": w.did("rogue"), "validFrom": "2026-01-01T00:00:00Z", "credentialSubject": subjects,
                "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                          "created": "2026-01-01T00:00:00Z",
                          "verificationMethod": f"{w.did('rogue')}#{w.key('rogue').public_key.multibase}",
                          "proofPurpose": "assertionMethod", "proofValue": "z" + "1" * 86}}
    return document


def _registry_client(w: World, source: str, tmp: Path, fetcher: Fetcher | None = None,
                     anchors: Anchors | None = None) -> RegistryClient:
    return RegistryClient(source, anchors or w.anchors, fetcher=fetcher or _fetcher(w, {}),
                          cache_dir=tmp / "registry-cache", state_file=tmp / "registry-state.json")


def _verifier(w: World, setup: dict[str, Any], tmp: Path, *, registry: bool = True,
              loopback: bool = True) -> Verifier:
    fetcher = _fetcher(w, setup, loopback=loopback)
    client = _registry_client(w, w.server.base + "/registry.json", tmp, fetcher) if registry else None
    return make_verifier(registry_client=client, fetcher=fetcher, resolver=_resolver(w, setup, fetcher),
                         cache_dir=tmp / "cache")


# --- running one case ---------------------------------------------------------------------------------------

Outcome = VerificationResult | OmcVcError | dict[str, Any]


def _run_credential(w: World, case: dict[str, Any], tmp: Path, slug: str) -> Outcome:
    document = _credential(w, case["input"], slug)
    options = case.get("verify", {})
    return _verifier(w, case.get("setup", {}), tmp).verify(document, now=NOW, **options)


def _run_presentation(w: World, case: dict[str, Any], tmp: Path, slug: str) -> Outcome:
    spec = case["input"]
    credential: dict[str, Any] | str = _credential(w, {"holder": True, **spec.get("credential", {})}, slug)
    if "envelope_jwt" in spec:
        # the credential travels as an EnvelopedVerifiableCredential (VC-JOSE-COSE §3.2) with a crafted JWT
        jwt_spec = w.expand_all(spec["envelope_jwt"])
        header = {"alg": "EdDSA", "typ": "vc+jwt",
                  "kid": f"{w.did('college')}#{w.key('college').public_key.multibase}", **jwt_spec.get("header", {})}
        claims = w.unsigned_credential("college", holder=True)
        credential = envelope(w.compact_jwt(header, claims, jwt_spec.get("signature", "college")))
    if "nest_presentation" in spec:
        # a genuine presentation by the learner, captured earlier (another verifier's challenge), wrapped as
        # the "credential" of a fresh presentation signed by someone else
        inner = spec["nest_presentation"]
        credential = w.presentation(credential, challenge=inner.get("challenge", "captured-challenge"),
                                    domain=inner.get("domain", "https://other-verifier.example"))
    present = w.expand_all(spec.get("present", {}))
    vp = w.presentation(credential, key=present.get("key", "holder"), challenge=present.get("challenge", CHALLENGE),
                        domain=present.get("domain", DOMAIN), purpose=present.get("purpose", "authentication"),
                        holder=present.get("holder", "holder"))
    vp = apply_patch(vp, w.expand_all(spec.get("after_sign", [])), _artifacts(w))
    options: dict[str, Any] = {"challenge": CHALLENGE, "domain": DOMAIN, **case.get("verify", {})}
    return _verifier(w, case.get("setup", {}), tmp).verify(vp, now=NOW, **options)


def _run_jwt(w: World, case: dict[str, Any], tmp: Path, slug: str) -> Outcome:
    spec = w.expand_all(case["input"])
    header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": f"{w.did('college')}#{w.key('college').public_key.multibase}"}
    header.update(spec.get("header", {}))
    for name in spec.get("header_remove", []):
        header.pop(name, None)
    claims = apply_patch(w.jwt_credential_claims(), spec.get("claims_patch", []), _artifacts(w))
    for name, days in spec.get("time_claims", {}).items():
        claims[name] = int((NOW + timedelta(days=days)).timestamp())
    token = w.compact_jwt(header, claims, spec.get("signature", "college"))
    if "header_raw" in spec:
        # a header that json.dumps cannot produce (duplicate keys), signed as sent
        head = b64url(spec["header_raw"].encode())
        payload = token.split(".")[1]
        token = f"{head}.{payload}.{b64url(w.key(spec.get('signature', 'college')).sign(f'{head}.{payload}'.encode()))}"
    if "claims_patch_after_sign" in spec:
        # keep the header and the signature, swap in an edited payload
        edited = apply_patch(claims, spec["claims_patch_after_sign"], {})
        head, _, signature = token.split(".")
        token = f"{head}.{b64url(json.dumps(edited).encode())}.{signature}"
    return _verifier(w, case.get("setup", {}), tmp).verify(token, now=NOW)


def _run_registry(w: World, case: dict[str, Any], tmp: Path, slug: str) -> Outcome:
    spec = case["input"]
    anchors = None
    if "anchors" in spec:
        # a k-of-n anchor set: the ministry requires `threshold` distinct anchor keys
        anchors = replace(w.anchors, keys=tuple(w.key(k).public_key for k in spec["anchors"]["keys"]),
                          threshold=spec["anchors"]["threshold"])
    client = _registry_client(w, f"{w.server.base}/registries/{slug}.json", tmp, anchors=anchors)
    if "previously_accepted" in spec:
        w.server.serve(f"/registries/{slug}.json", w.registry(version=spec["previously_accepted"]))
        client.load(now=NOW - timedelta(hours=2))
    signed_at = NOW - timedelta(days=spec.get("signed_days_ago", 1))
    document = w.registry(version=spec.get("version", 2), keys=spec.get("keys"), signed_at=signed_at,
                          valid_for=timedelta(days=spec.get("valid_for_days", 3650)))
    for extra, label in enumerate(spec.get("extra_proofs_by", [])):
        # another proof in the proof set (DI §4.5), e.g. the same anchor key again to fake a k-of-n threshold
        document = data_integrity.add_proof(document, w.key(label), created=signed_at + timedelta(seconds=extra + 1))
    document = apply_patch(document, w.expand_all(spec.get("after_sign", [])), _artifacts(w))
    w.server.serve(f"/registries/{slug}.json", document)
    try:
        client.load(now=NOW, refresh=True)
    except OmcVcError as exc:
        return exc
    return {"loaded": True}


def _run_status_list(w: World, case: dict[str, Any], tmp: Path, slug: str) -> Outcome:
    spec = case["input"]
    lst = spec.get("list", {})
    signer = lst.get("signer", "college")
    list_slug = f"attack-{slug}"
    credential = _credential(w, {**spec.get("credential", {}), "status_slug": list_slug}, slug)
    if "previously_accepted" in spec:
        # a list of the same URL that a verifier on the same cache folder accepted before (a rollback needs a
        # newer list already seen); its ttl is 0, so the attack's list below is fetched, not read from the cache
        prior = spec["previously_accepted"]
        prior_bits = bytearray(MIN_BITS // 8)
        for index in prior.get("set_indices", []):
            set_status(prior_bits, index, 1)
        w.publish_status(list_slug, w.status_list(signer, slug=list_slug, bits=bytes(prior_bits), ttl_ms=0,
                                                  signed_days_ago=prior.get("signed_days_ago", 400)))
        seen = _verifier(w, case.get("setup", {}), tmp).verify(credential, now=NOW).check("status")
        assert seen is not None and seen.code in (None, "CREDENTIAL_REVOKED"), f"the earlier list was refused: {seen}"
    if "encoded_bomb_bytes" in lst:
        document = w.raw_status_list(signer, list_slug, encode_bomb_bitstring(int(lst["encoded_bomb_bytes"])))
    elif "bits" in lst:
        document = w.raw_status_list(signer, list_slug, encode_bitstring(bytes(int(lst["bits"]) // 8)))
    else:
        bits = bytearray(MIN_BITS // 8)
        for index in lst.get("set_indices", []):
            set_status(bits, index, 1)
        document = w.status_list(signer, slug=lst.get("served_list_slug", list_slug), bits=bytes(bits),
                                 issuer=w.expand(lst["issuer"]) if "issuer" in lst else None,
                                 purpose=lst.get("purpose", "revocation"))
    document = apply_patch(document, w.expand_all(lst.get("after_sign", [])), _artifacts(w))
    if "jwt_signature" in lst:
        # the list served as a VC-JWT (Bitstring Status List §3.1 allows any securing mechanism)
        claims = {k: v for k, v in document.items() if k != "proof"}
        header = {"alg": lst.get("jwt_alg", "EdDSA"), "typ": "vc+jwt",
                  "kid": f"{w.did(signer)}#{w.key(signer).public_key.multibase}"}
        w.publish_status(list_slug, w.compact_jwt(header, claims, lst["jwt_signature"]).encode("ascii"))
    else:
        w.publish_status(list_slug, document)
    return _verifier(w, case.get("setup", {}), tmp).verify(credential, now=NOW)


def _run_qr(w: World, case: dict[str, Any], tmp: Path, slug: str) -> Outcome:
    spec = case["input"]
    if "deflate_bomb_bytes" in spec:
        compressed = deflate_bomb(int(spec["deflate_bomb_bytes"]), DICTIONARY_V1)
        from omc_vc.qr import _to_digits  # the format's own byte->digit grouping (docs/qr-format.md §2)

        text = spec.get("prefix", "") + "01" + _to_digits(compressed)
    else:
        text = spec["text"]
    try:
        value = decode_payload(text)
    except OmcVcError as exc:
        return exc
    if spec.get("then_verify"):
        return _verifier(w, {}, tmp).verify(value, now=NOW)
    return {"decoded": value}


def _run_fetch(w: World, case: dict[str, Any], tmp: Path, slug: str) -> Outcome:
    spec = case["input"]
    setup = case.get("setup", {})
    url = w.expand(spec.get("url", ""))
    if "redirect_to" in spec:
        url = w.server.redirect(f"/redirect/{slug}", w.expand(spec["redirect_to"]))
    fetcher = _fetcher(w, setup, loopback=setup.get("allow_loopback", False))
    via = spec.get("via", "fetcher")
    try:
        if via == "fetcher":
            return {"fetched": fetcher.get(url).status}
        if via == "did-web":
            return {"resolved": DidResolver(fetcher=fetcher).resolve(w.expand(spec["did"]))}
        if via == "registry":
            loaded = _registry_client(w, url, tmp, fetcher).load(now=NOW)
            return {"loaded": loaded.source}
    except OmcVcError as exc:
        return exc
    if via == "status-list":
        credential = _credential(w, {"status_url": url}, slug)
        verifier = make_verifier(fetcher=fetcher, resolver=DidResolver(fetcher=fetcher), cache_dir=tmp / "cache")
        return verifier.verify(credential, now=NOW)
    if via == "verify-did-web":
        did = w.expand(spec["did"])
        credential = _credential(w, {"issuer": did, "sign": {"verification_method": f"{did}#key-1"}}, slug)
        verifier = make_verifier(fetcher=fetcher, resolver=DidResolver(fetcher=fetcher), cache_dir=tmp / "cache")
        return verifier.verify(credential, now=NOW)
    raise AssertionError(f"unknown via {via!r}")


def _run_json(w: World, case: dict[str, Any], tmp: Path, slug: str) -> Outcome:
    spec = case["input"]
    generate = spec.get("generate", {})
    if generate.get("kind") == "nested":
        depth = int(generate["depth"])
        data = (generate["open"] * depth + generate["close"] * depth).encode()
    elif generate.get("kind") == "oversized":
        filler = "A" * int(generate["bytes"])
        data = json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                           "name": filler}).encode()
    elif generate.get("kind") == "repeat":
        data = (generate["head"] + generate["unit"] * int(generate["times"]) + generate["tail"]).encode()
    else:
        data = spec["text"].encode("utf-8")
    return _verifier(w, case.get("setup", {}), tmp).verify(data, now=NOW)


def _run_roster(w: World, case: dict[str, Any], tmp: Path, slug: str) -> Outcome:
    from omc_vc.issue.batch import issue_roster
    from tests.fixtures.omc.sample import make_institution, open_issuer

    config, key = make_institution(tmp / "institution", key=w.key("college"))
    rows = case["input"]["rows"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "email", "student_number", "achievement", "completion_date", "result"])
    for row in rows:
        writer.writerow([row.get(k, "") for k in ("name", "email", "student_number", "achievement",
                                                   "completion_date", "result")])
    roster = tmp / "roster.csv"
    roster.write_text(buffer.getvalue(), encoding="utf-8")
    out = tmp / "sandbox" / "out" / "issued"
    before = {p for p in tmp.rglob("*")}
    try:
        report = issue_roster(open_issuer(config, key, clock=lambda: NOW), roster, out, workers=1)
    except OmcVcError as exc:
        return exc
    written = {p for p in tmp.rglob("*") if p.is_file()} - before
    return {"report": report, "written": written, "out": out}


RUNNERS: dict[str, Callable[[World, dict[str, Any], Path, str], Outcome]] = {
    "credential": _run_credential, "presentation": _run_presentation, "jwt": _run_jwt, "registry": _run_registry,
    "status-list": _run_status_list, "qr": _run_qr, "fetch": _run_fetch, "json": _run_json, "roster": _run_roster,
}


# --- judging ------------------------------------------------------------------------------------------------

def _all_checks(result: VerificationResult) -> list[Any]:
    checks = list(result.checks)
    for sub in result.credentials:
        checks += _all_checks(sub)
    return checks


def _judge(case: dict[str, Any], outcome: Outcome) -> None:
    expect = case["expect"]
    if "safe_export" in expect:
        _judge_roster(outcome)
        return
    if isinstance(outcome, VerificationResult):
        summary = json.dumps(outcome.to_json(), default=str)[:3000]
        assert not outcome.verified, f"the attack VERIFIED: {summary}"
        if outcome.kind in ("credential", "presentation"):
            # what an employer sees: never "valid OMC"; a well-signed credential from an issuer without the
            # ministry's consent is at most "valid, but NOT an OMC" (DESIGN: "OMC" is a protected term)
            verdict = verdict_of(outcome).status
            assert verdict == expect.get("verdict", "invalid"), f"verdict {verdict}: {summary}"
        assert "failed_check" in expect, f"expected error {expect}, got a verification result: {summary}"
        failed = [c for c in _all_checks(outcome) if c.failed]
        matching = [c for c in failed if c.name == expect["failed_check"]]
        assert matching, f"no failed {expect['failed_check']!r} check; failed: " \
                         f"{[(c.name, c.code, c.detail) for c in failed]}"
        codes = [c.code for c in matching]
        assert expect["code"] in codes, f"{expect['failed_check']} failed with {codes}, expected {expect['code']}: " \
                                        f"{[c.detail for c in matching]}"
        if "detail_contains" in expect:
            assert any(expect["detail_contains"] in c.detail for c in matching), [c.detail for c in matching]
        return
    if isinstance(outcome, OmcVcError):
        assert "error_code" in expect, f"expected {expect}, got error {outcome.code}: {outcome.detail}"
        assert outcome.code == expect["error_code"], f"got {outcome.code} ({outcome.detail}), " \
                                                     f"expected {expect['error_code']}"
        if "detail_contains" in expect:
            assert expect["detail_contains"] in outcome.detail, outcome.detail
        return
    raise AssertionError(f"the attack was not refused: {str(outcome)[:2000]}")


_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\.(json|csv)")
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def _judge_roster(outcome: Outcome) -> None:
    assert isinstance(outcome, dict) and "written" in outcome, f"the roster was refused as a whole: {outcome}"
    out: Path = outcome["out"]
    report = outcome["report"]
    assert report.issued, f"nothing was issued: {[str(e) for e in report.errors]}"
    for path in outcome["written"]:
        # path traversal: every file the batch wrote is directly inside the output folder, safely named
        assert path.parent == out or path.name.endswith(".sqlite") or "state" in path.parts \
            or path.suffix in (".sqlite-wal", ".sqlite-shm") or path.parent.name == "status", path
        if path.parent == out:
            assert _SAFE_NAME.fullmatch(path.name), path.name
    assert not (out.parent / "etc").exists() and not (out.parent.parent / "etc").exists()
    rows = list(csv.reader(io.StringIO((out / "index.csv").read_text(encoding="utf-8"))))
    for row in rows:
        for cell in row:
            # CSV formula injection (OWASP): no exported cell may start a spreadsheet formula
            assert not cell.startswith(_FORMULA), f"cell {cell!r} would run as a formula"
    names = {record.learner_name for record in report.issued}
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json") if p.name != "index.json"]
    assert len(documents) == len(report.issued)
    assert names, "the learners' names are kept as data"


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_attack_case(folder: Path, w: World, tmp_path: Path) -> None:
    case = _load(folder)
    if case.get("known_bug"):
        try:
            outcome = RUNNERS[case["kind"]](w, case, tmp_path, folder.name)
            _judge(case, outcome)
        except AssertionError:
            pytest.xfail(f"known bug: {case['known_bug']}")
        except Exception as exc:  # the bug may be the unhandled exception itself
            pytest.xfail(f"known bug: {case['known_bug']} ({type(exc).__name__})")
        pytest.fail(f"{folder.name} is marked known_bug but now passes: remove the marker")
    outcome = RUNNERS[case["kind"]](w, case, tmp_path, folder.name)
    _judge(case, outcome)


def test_corpus_covers_every_required_attack_family() -> None:
    kinds = {json.loads((p / "case.json").read_text())["kind"] for p in CASES}
    assert kinds == KINDS, f"missing kinds: {KINDS - kinds}"
    assert len(CASES) >= 50


# --- controls: the untouched bases verify, so every failure above is the attack's doing -----------------------

def test_control_base_credential_verifies_as_an_omc(w: World, tmp_path: Path) -> None:
    result = _verifier(w, {}, tmp_path).verify(w.credential("college"), now=NOW)
    assert result.verified, result.to_json()
    assert verdict_of(result).status in ("valid-omc", "valid-omc-plus")


def test_control_base_presentation_verifies(w: World, tmp_path: Path) -> None:
    vp = w.presentation(w.credential("college", holder=True))
    result = _verifier(w, {}, tmp_path).verify(vp, now=NOW, challenge=CHALLENGE, domain=DOMAIN)
    assert result.verified, result.to_json()


def test_control_base_jwt_verifies(w: World, tmp_path: Path) -> None:
    header = {"alg": "EdDSA", "typ": "vc+jwt", "kid": f"{w.did('college')}#{w.key('college').public_key.multibase}"}
    token = w.compact_jwt(header, w.jwt_credential_claims(), "college")
    result = _verifier(w, {}, tmp_path).verify(token, now=NOW)
    assert result.verified, result.to_json()


def test_control_base_registry_loads(w: World, tmp_path: Path) -> None:
    w.server.serve("/registries/control.json", w.registry(version=2))
    loaded = _registry_client(w, w.server.base + "/registries/control.json", tmp_path).load(now=NOW)
    assert loaded.data.institution_for_did(w.did("college")) is not None


def test_control_hand_built_status_list_verifies(w: World, tmp_path: Path) -> None:
    case = {"input": {"list": {"bits": MIN_BITS}}, "expect": {}}
    result = _run_status_list(w, case, tmp_path, "control")
    assert isinstance(result, VerificationResult) and result.verified, result
