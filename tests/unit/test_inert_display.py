"""What is shown cannot be spoofed: strings from documents reach the CLI, the verifier page and the wallet's
certificates inert (DESIGN decision 16, ``omc_vc._internal.inert``), and the verdict line is always ours.

Each test signs a credential whose text carries an attack (ANSI escape sequences, bidirectional overrides,
newlines, HTML) with the test institution's key, and looks at what a person would see.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from omc_vc.cli._common import handle_errors  # type: ignore[import-not-found,unused-ignore]
from omc_vc.cli.main import cli  # type: ignore[import-not-found,unused-ignore]

from omc_vc import qr
from omc_vc._internal.inert import REPLACEMENT
from omc_vc._internal.resources import keys_dir
from omc_vc.certificate import certificate_html
from omc_vc.errors import InputError
from omc_vc.keys import load_key
from omc_vc.registry import RegistryDraft, demo_anchors_path, load_anchors, sign_registry
from omc_vc.verdict import HEADLINES
from omc_vc.wallet import Wallet
from omc_vc.web.summary import page_result
from tests.fixtures.registry.world import Server
from tests.unit.test_wallet_support import NOW, Institution, template, write_json

ENV = {"OMC_WALLET_PASS": "display test passphrase"}
HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
ANSI = "\x1b[2J\x1b[H\x1b[1;32mValid Ontario Micro-Credential\x1b[0m\x1b]8;;https://evil.example\x07link\x1b]8;;\x07"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=ENV)
    return result.exit_code, result.stdout, result.stderr


def acts_on_a_display(text: str) -> list[str]:
    """The characters of ``text`` that a terminal or a layout engine would act on."""
    return [hex(ord(ch)) for ch in text
            if (unicodedata.category(ch)[0] == "C" and ch not in "\u200c\u200d\n")
            or unicodedata.category(ch) in ("Zl", "Zp")]


@pytest.fixture()
def college() -> Iterator[Institution]:
    """The test institution, its status list served on loopback."""
    with Server() as server:
        institution = Institution(list_url=f"{server.base}/status/3")
        server.serve_json("/status/3", institution.status_list())
        yield institution


def issue(college: Institution, *, issuer_name: str | None = None, achievement_name: str | None = None,
          description: str | None = None, learner: str | None = None) -> dict[str, Any]:
    doc = template()
    subject, issuer = doc["credentialSubject"], doc["issuer"]
    subject["id"] = HOLDER
    if achievement_name is not None:
        subject["achievement"]["name"] = achievement_name
    if description is not None:
        subject["achievement"]["description"] = description
    if learner is not None:
        subject["name"] = learner
    if issuer_name is not None:
        issuer["name"] = issuer_name
    return college.issue(HOLDER, changes={"issuer": issuer, "credentialSubject": subject})


def wallet_import(college: Institution, tmp: Path, credential: dict[str, Any]) -> tuple[list[str], str, str]:
    """Import ``credential`` with the CLI; the wallet arguments, and the import's stdout and stderr."""
    args = ["--wallet", str(tmp / "wallet"), "--passphrase-env", "OMC_WALLET_PASS"]
    did = write_json(tmp / "did.json", college.did_document)
    path = write_json(tmp / "credential.json", credential)
    code, out, err = run("wallet", "import", str(path), *args, "--did-document", str(did), "--allow-http-loopback")
    assert code == 0, err
    return args, out, err


# --- the terminal ------------------------------------------------------------------------------------------

def test_ansi_escape_in_issuer_name_is_inert(college: Institution, tmp_path: Path) -> None:
    credential = issue(college, issuer_name="Lakeshore College" + ANSI)
    args, out, err = wallet_import(college, tmp_path, credential)
    shown = [out + err]
    for command in (["wallet", "list"], ["wallet", "show", json.loads(run("wallet", "list", *args, "--json")[1])
                                         ["credentials"][0]["id"]], ["wallet", "check"]):
        code, out, err = run(*command, *args)
        assert code == 0, err
        shown.append(out + err)
    for text in shown:
        assert "\x1b" not in text and "\x07" not in text
        assert acts_on_a_display(text) == []
    # the name is still shown, with a visible mark where each sequence was
    assert f"Lakeshore College{REPLACEMENT}{REPLACEMENT}{REPLACEMENT}Valid Ontario" in shown[1]
    # --json is data: the name as the credential has it (json.dumps escapes the controls)
    listing = run("wallet", "list", *args, "--json")[1]
    assert "\x1b" not in listing and json.loads(listing)["credentials"][0]["institution"].endswith(ANSI)


def test_ansi_escape_in_proof_key_id_is_inert_in_verify_output(tmp_path: Path) -> None:
    # a forged document: its proof names a key whose id carries escape sequences, which the error quotes
    forged = template()
    forged["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                       "proofPurpose": "assertionMethod", "created": "2026-06-15T00:00:00Z", "proofValue": "z1111",
                       "verificationMethod": f"did:key:z6Mk{ANSI}#key-1"}
    path = write_json(tmp_path / "forged.json", forged)
    code, out, err = run("verify", str(path), "--offline")
    assert code == 1
    assert "\x1b" not in out + err and acts_on_a_display(out + err) == []
    assert f"did:key:z6Mk{REPLACEMENT}{REPLACEMENT}" in err  # the error line quoted it, inert
    assert out.splitlines()[-1] == "NOT VERIFIED" and err.count("\n") == 1


def test_ansi_escape_in_stacking_target_is_inert_in_omc_stacks(college: Institution, tmp_path: Path) -> None:
    doc = template()
    doc["credentialSubject"]["id"] = HOLDER
    target = doc["credentialSubject"]["achievement"]["stacksInto"][0]
    target["name"] = "Data Analytics Certificate" + ANSI
    target["program"] = "DAC1\nmissing: nothing, complete"
    credential = college.issue(HOLDER, changes={"credentialSubject": doc["credentialSubject"]})
    path = write_json(tmp_path / "credential.json", credential)
    did = write_json(tmp_path / "did.json", college.did_document)
    code, out, err = run("stacks", str(path), "--did-document", str(did), "--allow-http-loopback")
    assert code == 0, err
    assert "\x1b" not in out + err and acts_on_a_display(out + err) == []
    assert out.startswith(f"Data Analytics Certificate{REPLACEMENT}{REPLACEMENT}{REPLACEMENT}Valid Ontario")
    assert "program: DAC1 missing: nothing, complete" in out


def test_error_line_quoting_a_document_is_one_inert_line() -> None:
    @click.command()
    @handle_errors
    def refuse() -> None:
        raise InputError("the document says \x1b]0;title\x07\u202eKO\nerror: none, VERIFIED")

    result = CliRunner().invoke(refuse, [])
    assert result.exit_code == 2
    assert result.stderr == f"error: PARSING_ERROR: the document says {REPLACEMENT}KO error: none, VERIFIED\n"


def test_bidi_override_in_achievement_name_is_inert(college: Institution, tmp_path: Path) -> None:
    # "Data Analytics " then an override that would show the next letters reversed ("valid OMA" -> "AMO dilav")
    name = f"Data Analytics {BIDI[4]}AMO dilav{BIDI[2]} {BIDI}done"
    credential = issue(college, achievement_name=name)
    args, out, err = wallet_import(college, tmp_path, credential)
    shown = [out + err]
    for command in (["wallet", "list"], ["wallet", "check"]):
        code, out, err = run(*command, *args)
        assert code == 0, err
        shown.append(out + err)
    for text in shown:
        assert not set(BIDI) & set(text)
        assert "Data Analytics AMO dilav done" in text  # in logical order, as written
    # the page and the certificate too
    summary = page_result(college.verifier().verify(credential, now=NOW))["summary"]
    assert summary["achievement"] == "Data Analytics AMO dilav done"
    wallet = Wallet.open(tmp_path / "wallet", ENV["OMC_WALLET_PASS"])
    item = wallet.items()[0][0]
    page = certificate_html(item, qr.encode_link(item.credential, "https://verify.example.ca"))
    assert not set(BIDI) & set(page) and "Data Analytics AMO dilav done" in page


def _demo_registry(tmp: Path) -> Path:
    """An empty registry signed with the DEMO ministry key (``--demo``): the CLI prints the OMC verdict."""
    anchors = load_anchors(demo_anchors_path(), demo=True)
    draft = RegistryDraft.new("urn:uuid:6b1f0d2e-93a4-4c55-8e0b-1f2a3b4c5d6e", anchors=anchors)
    path = tmp / "registry.json"
    path.write_text(json.dumps(sign_registry(draft, [load_key(keys_dir() / "demo-ministry.key")])), encoding="utf-8")
    return path


def test_newline_in_name_cannot_forge_verdict_line(college: Institution, tmp_path: Path) -> None:
    # 1. omc verify --registry: the first line is our headline; a key id with newlines quoted in the reason and
    #    in the check's detail cannot add a line that reads like another verdict
    forged = template()
    forged["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                       "proofPurpose": "assertionMethod", "created": "2026-06-15T00:00:00Z", "proofValue": "z1111",
                       "verificationMethod": f"did:key:z6Mk\n{HEADLINES['valid-omc']}\nVERIFIED\n#key-1"}
    path = write_json(tmp_path / "forged.json", forged)
    code, out, err = run("verify", str(path), "--registry", str(_demo_registry(tmp_path)), "--demo", "--offline",
                         "--registry-cache", str(tmp_path / "cache"))
    assert code == 1, out + err
    lines = out.splitlines()
    assert lines[0] == HEADLINES["invalid"]
    assert [line for line in lines if line.strip() in HEADLINES.values()] == [HEADLINES["invalid"]]
    assert "VERIFIED" not in [line.strip() for line in lines + err.splitlines()]
    assert f"{HEADLINES['valid-omc']} VERIFIED" in out  # quoted, on the line that quotes it
    assert err.count("\n") == 1 and err.startswith("error: ")
    # 2. omc wallet show: a name with newlines cannot add a "verdict:" line of its own
    name = "Applied Data Analytics\n  verdict:   OMC: Valid Ontario Micro-Credential\n  reason:    Confirmed."
    args, out, err = wallet_import(college, tmp_path, issue(college, achievement_name=name))
    item_id = out.split("Imported ")[1].split()[0]
    code, out, err = run("wallet", "show", item_id, *args)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"{item_id}  Applied Data Analytics ")
    verdicts = [line for line in lines if line.lstrip().startswith("verdict:")]
    assert len(verdicts) == 1 and "not an OMC" in verdicts[0]
    assert len([line for line in lines if line.lstrip().startswith("reason:")]) <= 1


# --- HTML and the page ---------------------------------------------------------------------------------------

def test_html_in_name_is_escaped_in_certificate(college: Institution, tmp_path: Path) -> None:
    credential = issue(college, achievement_name="<script>alert(1)</script>\u202e<img src=x onerror=alert(2)>",
                       issuer_name="<b>Seneca College</b>\x1b[31m", description="</p><iframe src=//evil>\nx",
                       learner="Ada <a href=//evil>Learner</a>")
    wallet = Wallet.create(tmp_path / "w", "certificate test passphrase")
    item, _ = wallet.add(credential, verifier=college.verifier())
    page = certificate_html(item, qr.encode_link(item.credential, "https://verify.example.ca"))
    for raw in ("<script", "<img", "<b>", "<iframe", "<a href", "\u202e", "\x1b"):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;b&gt;Seneca College&lt;/b&gt;" in page and "Ada &lt;a href=//evil&gt;Learner&lt;/a&gt;" in page
    # the claimed name is not passed off as confirmed: no registry said so
    assert "&lt;b&gt;Seneca College&lt;/b&gt;\ufffd (as the credential names it; not confirmed by a registry)" in page


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_page_summary_carries_inert_strings(college: Institution) -> None:
    doc = template()
    doc["credentialSubject"]["id"] = HOLDER
    achievement = doc["credentialSubject"]["achievement"]
    achievement["name"] = "Data\x1b[2J\nAnalytics\u202e"
    achievement["stacksInto"][0]["name"] = "Certificate\u2066\x9b31m"
    achievement["stacksInto"][0]["awardingInstitution"] = "Lakeshore\u2028College"
    doc["issuer"]["name"] = "Lakeshore" + ANSI
    doc["credentialSubject"]["name"] = "Ada\u200fLearner\x00"
    credential = college.issue(HOLDER, changes={"issuer": doc["issuer"], "credentialSubject": doc["credentialSubject"]})
    data = page_result(college.verifier().verify(credential, now=NOW))
    assert data["verified"] is True, data["checks"]
    for text in _strings(data):
        assert acts_on_a_display(text) == [] and "\n" not in text, text
    summary = data["summary"]
    assert summary["achievement"] == f"Data{REPLACEMENT} Analytics"
    assert summary["learner"] == f"AdaLearner{REPLACEMENT}"
    assert summary["issuerName"].startswith(f"Lakeshore{REPLACEMENT}{REPLACEMENT}{REPLACEMENT}Valid Ontario")
    assert summary["stacksInto"][0]["name"] == f"Certificate{REPLACEMENT}"
    assert summary["stacksInto"][0]["awardingInstitution"] == "Lakeshore College"
    assert data["verdict"]["headline"] in HEADLINES.values()


def test_page_script_renders_document_text_as_text_only() -> None:
    script = (Path(__file__).resolve().parents[2] / "omc_vc" / "web" / "static" / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script.split("\n", 1)[1], sink  # (the first line's comment names innerHTML)
    assert 'setAttribute("dir", "auto")' in script and 'createElement("bdi")' in script
