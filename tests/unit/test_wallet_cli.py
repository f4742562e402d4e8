"""``omc wallet ...`` and ``omc qr ...`` end to end through the click commands."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli  # type: ignore[import-not-found,unused-ignore]

from omc_vc import qr
from omc_vc.verify import Verifier
from tests.fixtures.registry.world import Server
from tests.unit.test_wallet_support import STATUS_INDEX, Institution, write_json

ENV = {"OMC_WALLET_PASS": "cli wallet passphrase", "WRONG_PASS": "not it"}


def run(*args: str, input_text: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=ENV, input=input_text)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def status_server() -> Iterator[Server]:
    """The college's status list, served on loopback (the CLI fetches it with --allow-http-loopback)."""
    with Server() as server:
        yield server


@pytest.fixture()
def ready(tmp_path: Path, status_server: Server) -> dict[str, Any]:
    folder = tmp_path / "wallet"
    code, out, err = run("wallet", "init", "--wallet", str(folder), "--passphrase-env", "OMC_WALLET_PASS", "--json")
    assert code == 0, err
    holder = json.loads(out)["holder"]
    college = Institution(list_url=f"{status_server.base}/status/3")
    status_server.serve_json("/status/3", college.status_list())
    did_doc = write_json(tmp_path / "did.json", college.did_document)
    cred = write_json(tmp_path / "omc.json", college.issue(holder))
    return {"wallet": str(folder), "holder": holder, "did": str(did_doc), "cred": str(cred), "tmp": tmp_path,
            "college": college, "server": status_server}


def verify_args(ready: dict[str, Any]) -> list[str]:
    """Pinned DID document, status list fetched from the loopback server."""
    return ["--did-document", str(ready["did"]), "--allow-http-loopback"]


def wallet_args(ready: dict[str, Any]) -> list[str]:
    return ["--wallet", str(ready["wallet"]), "--passphrase-env", "OMC_WALLET_PASS"]


def imported(ready: dict[str, Any]) -> str:
    code, out, err = run("wallet", "import", str(ready["cred"]), *wallet_args(ready), *verify_args(ready), "--json")
    assert code == 0, err
    return str(json.loads(out)[0]["id"])


def test_every_command_has_help_with_an_example() -> None:
    for command in (["wallet"], ["qr"], *[["wallet", c] for c in (
            "init", "did", "import", "list", "show", "remove", "export", "check", "present", "stacks", "qr",
            "withdraw", "settings")], ["qr", "encode"], ["qr", "decode"]):
        code, out, _ = run(*command, "--help")
        assert code == 0 and "Example" in out, command


def test_import_shows_verdict_then_list_and_show(ready: dict[str, Any]) -> None:
    code, out, err = run("wallet", "import", str(ready["cred"]), *wallet_args(ready), *verify_args(ready))
    assert code == 0, err
    assert "Imported" in out and "Lakeshore College" in out and "not an OMC" in out
    code, out, _ = run("wallet", "list", *wallet_args(ready), "--json")
    listing = json.loads(out)
    assert listing["holder"] == ready["holder"] and len(listing["credentials"]) == 1
    item_id = listing["credentials"][0]["id"]
    code, out, _ = run("wallet", "show", item_id[:6], *wallet_args(ready))
    assert code == 0 and "Applied Data Analytics" in out and "proof: passed" in out


def test_forged_credential_import_exits_1_with_one_line(ready: dict[str, Any]) -> None:
    forged = json.loads(Path(str(ready["cred"])).read_text())
    forged["credentialSubject"]["achievement"]["name"] = "Doctor of Medicine"
    path = write_json(Path(str(ready["tmp"])) / "forged.json", forged)
    code, _, err = run("wallet", "import", str(path), *wallet_args(ready), *verify_args(ready))
    assert code == 1
    assert "WALLET_REJECTED_INVALID" in err and "Traceback" not in err


def test_wrong_passphrase_is_one_clear_line(ready: dict[str, Any]) -> None:
    imported(ready)
    code, _, err = run("wallet", "list", "--wallet", str(ready["wallet"]), "--passphrase-env", "WRONG_PASS")
    assert code == 2
    assert err.strip().count("\n") == 0 and "WALLET_WRONG_PASSPHRASE" in err


def test_tampered_record_is_listed_as_damaged(ready: dict[str, Any]) -> None:
    item_id = imported(ready)
    path = Path(str(ready["wallet"])) / "items" / f"{item_id}.json"
    path.write_text(path.read_text()[:-40] + "\n")
    code, out, err = run("wallet", "list", *wallet_args(ready))
    assert code == 0 and "DAMAGED" in out and "damaged" in err
    code, _, err = run("wallet", "show", item_id, *wallet_args(ready))
    assert code == 2 and "WALLET_CORRUPT" in err and "Traceback" not in err


def test_present_then_verify_and_replay_fails(ready: dict[str, Any]) -> None:
    item_id = imported(ready)
    vp_file = Path(str(ready["tmp"])) / "vp.json"
    code, _, err = run("wallet", "present", item_id, *wallet_args(ready), "--challenge", "c-42",
                       "--domain", "hr.example.ca", "--out", str(vp_file))
    assert code == 0, err
    code, out, err = run("verify", str(vp_file), "--challenge", "c-42", "--domain", "hr.example.ca",
                         *verify_args(ready))
    assert code == 0, err + out
    code, _, err = run("verify", str(vp_file), "--challenge", "other", "--domain", "hr.example.ca",
                       *verify_args(ready))
    assert code == 1 and "INVALID_CHALLENGE_ERROR" in err


def test_jwt_presentation_from_the_cli_verifies(ready: dict[str, Any]) -> None:
    item_id = imported(ready)
    code, out, err = run("wallet", "present", item_id, *wallet_args(ready), "--challenge", "c-1",
                         "--domain", "hr.example.ca", "--format", "jwt")
    assert code == 0, err
    college = Institution()
    result = Verifier(resolver=college.resolver()).verify(out.strip(), challenge="c-1", domain="hr.example.ca")
    assert result.verified, result.errors


def test_wallet_qr_and_qr_decode_round_trip(ready: dict[str, Any]) -> None:
    item_id = imported(ready)
    image = Path(str(ready["tmp"])) / "omc.png"
    code, out, err = run("wallet", "qr", item_id, *wallet_args(ready), "--out", str(image),
                         "--base-url", "https://verify.example.ca")
    assert code == 0, err
    version = int(out.split("QR version ")[1].split(",")[0])
    assert version <= 25
    code, out, err = run("qr", "decode", str(image), "--json")
    assert code == 0, err
    decoded = json.loads(out)
    assert decoded["mode"] == "link" and decoded["content"].startswith("https://verify.example.ca/v#01")
    assert decoded["payload"] == json.loads(Path(str(ready["cred"])).read_text())


def test_qr_encode_refuses_a_too_small_maximum_and_suggests_short_mode(ready: dict[str, Any]) -> None:
    out_file = Path(str(ready["tmp"])) / "q.svg"
    code, _, err = run("qr", "encode", str(ready["cred"]), "--out", str(out_file), "--max-version", "5",
                       "--base-url", "https://verify.example.ca")
    assert code == 2 and "QR_TOO_LARGE" in err and "short" in err
    code, out, err = run("qr", "encode", str(ready["cred"]), "--out", str(out_file), "--json",
                         "--base-url", "https://verify.example.ca")
    assert code == 0, err
    assert json.loads(out)["version"] <= 25 and out_file.read_text().startswith("<svg")


def test_qr_decode_of_a_missing_or_bad_image_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"garbage")
    code, _, err = run("qr", "decode", str(bad))
    assert code == 2 and "QR_BAD_IMAGE" in err and "Traceback" not in err


def test_export_html_certificate_is_self_contained(ready: dict[str, Any]) -> None:
    item_id = imported(ready)
    page = Path(str(ready["tmp"])) / "cert.html"
    code, _, err = run("wallet", "export", item_id, *wallet_args(ready), *verify_args(ready), "--format", "html",
                       "--out", str(page), "--base-url", "https://verify.example.ca")
    assert code == 0, err
    text = page.read_text()
    assert "Applied Data Analytics with Python" in text and "<svg" in text
    assert "42" in text and "30.7001" in text and "Hybrid (online and in person)" in text
    # no external resources: nothing is loaded from anywhere
    for marker in ("src=\"http", "href=\"http", "<script", "<link", "url("):
        assert marker not in text


def test_export_pdf_certificate_is_one_page(ready: dict[str, Any]) -> None:
    item_id = imported(ready)
    pdf = Path(str(ready["tmp"])) / "cert.pdf"
    code, _, err = run("wallet", "export", item_id, *wallet_args(ready), *verify_args(ready), "--format", "pdf",
                       "--out", str(pdf), "--base-url", "https://verify.example.ca")
    assert code == 0, err
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert re.findall(rb"/Type\s*/Page\b", data) and len(re.findall(rb"/Type\s*/Page\b", data)) == 1


def _media_box(pdf: Path) -> tuple[float, float]:
    found = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]", pdf.read_bytes())
    assert found is not None
    return float(found.group(1)), float(found.group(2))


def test_export_pdf_on_a4_or_letter_paper(ready: dict[str, Any]) -> None:
    """--paper a4 prints on ISO A4 (210 x 297 mm = 595 x 842 pt); the default is US letter (612 x 792 pt)."""
    item_id = imported(ready)
    sizes = {}
    for paper in ("a4", None):
        pdf = Path(str(ready["tmp"])) / f"cert-{paper}.pdf"
        code, _, err = run("wallet", "export", item_id, *wallet_args(ready), *verify_args(ready), "--format", "pdf",
                           "--out", str(pdf), "--base-url", "https://verify.example.ca",
                           *(["--paper", paper] if paper else []))
        assert code == 0, err
        sizes[paper] = _media_box(pdf)
    assert sizes["a4"] == pytest.approx((595.28, 841.89), abs=0.5)
    assert sizes[None] == pytest.approx((612, 792), abs=0.5)


def test_export_verifies_again_unless_told_to_keep_the_last_verdict(ready: dict[str, Any]) -> None:
    """A certificate shows the verdict found when it is exported: a revocation published since the import shows,
    unless --last-verdict keeps the stored one (and then nothing is fetched)."""
    item_id = imported(ready)
    college, server = ready["college"], ready["server"]
    college.revoked.add(STATUS_INDEX)
    server.serve_json("/status/3", college.status_list())
    common = ["wallet", "export", item_id, *wallet_args(ready), *verify_args(ready), "--format", "html",
              "--base-url", "https://verify.example.ca"]
    kept = Path(str(ready["tmp"])) / "kept.html"
    code, _, err = run(*common, "--out", str(kept), "--last-verdict")
    assert code == 0, err
    assert "verdict: not an OMC: Valid credential" in err and "revoked" not in kept.read_text().lower()
    again = Path(str(ready["tmp"])) / "again.html"
    code, _, err = run(*common, "--out", str(again))
    assert code == 0, err
    assert "verdict: INVALID - REVOKED" in err and "revoked" in again.read_text().lower(), err


def test_export_as_issued_is_byte_identical_json(ready: dict[str, Any]) -> None:
    item_id = imported(ready)
    code, out, _ = run("wallet", "export", item_id, *wallet_args(ready), "--format", "json")
    assert code == 0 and json.loads(out) == json.loads(Path(str(ready["cred"])).read_text())


def test_check_reports_expiry_as_a_change(ready: dict[str, Any]) -> None:
    college = ready["college"]
    expiring = college.issue(str(ready["holder"]), index=STATUS_INDEX + 1,
                             changes={"validUntil": "2026-01-01T00:00:00Z", "validFrom": "2025-06-15T00:00:00Z"})
    path = write_json(Path(str(ready["tmp"])) / "expiring.json", expiring)
    code, _, err = run("wallet", "import", str(path), *wallet_args(ready), *verify_args(ready))
    assert code == 0, err  # expired credentials are kept, marked expired
    code, out, _ = run("wallet", "list", *wallet_args(ready))
    assert "EXPIRED" in out
    code, out, err = run("wallet", "check", *wallet_args(ready), *verify_args(ready), "--json")
    assert code == 0, err
    assert json.loads(out)["changes"] == []


def test_check_shows_a_revocation_published_after_import(ready: dict[str, Any]) -> None:
    item_id = imported(ready)
    college, server = ready["college"], ready["server"]
    college.revoked.add(STATUS_INDEX)
    server.serve_json("/status/3", college.status_list())
    code, out, err = run("wallet", "check", *wallet_args(ready), *verify_args(ready))
    assert code == 0, err
    assert "Changed since the last check" in out and item_id in out and "revoked" in out
    code, out, _ = run("wallet", "list", *wallet_args(ready))
    assert "REVOKED" in out


def test_offline_import_stores_but_says_status_was_not_checked(ready: dict[str, Any]) -> None:
    code, out, err = run("wallet", "import", str(ready["cred"]), *wallet_args(ready), "--offline",
                         "--did-document", str(ready["did"]), "--json")
    assert code == 0, err
    verdict = json.loads(out)[0]["verdict"]
    assert verdict["status"] == "invalid" and verdict["checks"]["status"] == "failed"  # fail closed
    assert "could not be checked" in verdict["reason"]


def test_stacks_and_clr_export(ready: dict[str, Any]) -> None:
    imported(ready)
    bundle = Path(str(ready["tmp"])) / "record.json"
    code, out, err = run("wallet", "stacks", *wallet_args(ready), "--json", "--export", str(bundle))
    assert code == 0, err
    progress = json.loads(out)
    assert progress[0]["creditEarned"] == 3 and progress[0]["creditRequired"] == 12
    clr = json.loads(bundle.read_text())
    assert "ClrCredential" in clr["type"]
    assert Verifier().verify(clr).verified  # signed now, by the holder's did:key


def test_remove_asks_then_removes(ready: dict[str, Any]) -> None:
    item_id = imported(ready)
    code, _, _ = run("wallet", "remove", item_id, *wallet_args(ready), input_text="n\n")
    assert code == 1
    code, out, _ = run("wallet", "remove", item_id, *wallet_args(ready), "--yes")
    assert code == 0 and item_id in out
    code, out, _ = run("wallet", "list", *wallet_args(ready), "--json")
    assert json.loads(out)["credentials"] == []


def test_list_of_a_missing_wallet_says_how_to_create_one(tmp_path: Path) -> None:
    code, _, err = run("wallet", "list", "--wallet", str(tmp_path / "none"), "--passphrase-env", "OMC_WALLET_PASS")
    assert code == 2 and "omc wallet init" in err


# --- the verifier set once, facts shown, credentials of others flagged ------------------------------------

def test_init_refuses_a_loopback_verifier_outside_demo_mode(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    code, _, err = run("wallet", "init", "--wallet", str(folder), "--passphrase-env", "OMC_WALLET_PASS",
                       "--verifier-url", "http://127.0.0.1:8800")
    assert code == 2 and err.startswith("error: VERIFIER_URL_NOT_PUBLIC: ") and err.count("\n") == 1
    assert not folder.exists()
    code, out, err = run("wallet", "init", "--wallet", str(folder), "--passphrase-env", "OMC_WALLET_PASS",
                         "--verifier-url", "http://127.0.0.1:8800", "--demo", "--name", "Ana Silva", "--json")
    assert code == 0, err
    assert json.loads(out)["settings"] == {"verifierUrl": "http://127.0.0.1:8800", "learnerName": "Ana Silva",
                                           "demo": True}


def test_qr_points_where_the_wallet_was_told_once_never_at_localhost_by_default(ready: dict[str, Any]) -> None:
    item_id = imported(ready)
    image = Path(str(ready["tmp"])) / "omc.png"
    code, _, err = run("wallet", "qr", item_id, *wallet_args(ready), "--out", str(image))
    assert code == 2 and "WALLET_NO_VERIFIER_URL" in err and "omc wallet settings --verifier-url" in err
    assert not image.exists()
    code, _, err = run("wallet", "qr", item_id, *wallet_args(ready), "--out", str(image),
                       "--base-url", "http://localhost:8800")
    assert code == 2 and "VERIFIER_URL_NOT_PUBLIC" in err
    code, out, err = run("wallet", "settings", *wallet_args(ready), "--verifier-url", "https://verify.omc.example.ca")
    assert code == 0 and "https://verify.omc.example.ca" in out, err
    code, out, err = run("wallet", "qr", item_id, *wallet_args(ready), "--out", str(image))
    assert code == 0 and "level L" in out and "mm wide" in out, err
    assert "Verifier: https://verify.omc.example.ca (wallet settings)" in err
    assert qr.read_qr_image(image).startswith("https://verify.omc.example.ca/v#01")


def test_show_and_list_give_hours_result_dates_and_the_last_verdict(ready: dict[str, Any]) -> None:
    item_id = imported(ready)
    code, out, err = run("wallet", "show", item_id, *wallet_args(ready))
    assert code == 0, err
    assert "42 hours" in out and "issued 2026-06-15" in out and "(checked " in out and "verdict:" in out
    code, out, err = run("wallet", "list", *wallet_args(ready))
    assert code == 0, err
    line = next(line for line in out.splitlines() if line.startswith(item_id))
    assert "42 h" in line and "issued 2026-06-15" in line and "(checked " in line
    code, out, err = run("wallet", "list", *wallet_args(ready), "--json")
    entry = json.loads(out)["credentials"][0]
    assert entry["hours"] == 42 and entry["issued"] == "2026-06-15" and entry["checkedAt"] and not entry["flagged"]


def test_import_of_someone_elses_credential_is_stored_flagged_and_says_so(ready: dict[str, Any]) -> None:
    college: Institution = ready["college"]
    theirs = write_json(Path(str(ready["tmp"])) / "theirs.json", college.issue("did:example:another-learner"))
    code, out, err = run("wallet", "import", str(theirs), *wallet_args(ready), *verify_args(ready))
    assert code == 0, err
    assert "warning: SUBJECT_NOT_HOLDER:" in err and "did:example:another-learner" in err
    assert "FLAGGED" in out
    code, out, _ = run("wallet", "list", *wallet_args(ready))
    assert "FLAGGED" in out
