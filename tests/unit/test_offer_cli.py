"""``omc offer``: create (one learner, a roster's mail-merge CSV), list and revoke, with their exit codes."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc.qr import read_qr_image
from tests.fixtures.omc.sample import make_institution

PUBLIC = "https://college.example.ca"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    make_institution(tmp_path)
    path = tmp_path / "institution.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"offers:\n  public_url: {PUBLIC}\n  expires_days: 10\n",
                    encoding="utf-8")
    return path


def _omc(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result


def test_create_one_offer_shows_its_link_and_writes_its_qr_code(config: Path, tmp_path: Path) -> None:
    qr = tmp_path / "ana.png"
    result = _omc("offer", "create", "--config", str(config), "--achievement", "weld-101", "--learner-name",
                  "Ana Silva", "--learner-email", "ana@example.ca", "--qr", str(qr), "--json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["state"] == "open" and made["learner"] == "Ana Silva" and made["achievement"] == "weld-101"
    link = made["link"]
    assert link.startswith("https://lcw.app/request.html?")
    query = parse_qs(urlsplit(link).query)
    assert query["vc_request_url"] == [f"{PUBLIC}/exchanges/{made['id']}/lcw"]
    assert made["interactionUrl"].startswith(f"{PUBLIC}/exchanges/{made['id']}/vcapi/")
    assert made["openidCredentialOffer"].startswith("openid-credential-offer://?credential_offer_uri=")
    # OpenID4VCI 1.0 §4.1: the same offer by value, naming this issuer and its pre-authorized grant
    by_value = parse_qs(urlsplit(made["openidCredentialOfferByValue"]).query)["credential_offer"]
    offer = json.loads(by_value[0])
    assert offer["credential_issuer"] == PUBLIC
    assert "urn:ietf:params:oauth:grant-type:pre-authorized_code" in offer["grants"]
    # the QR code holds the deep link, and only its owner can read the file
    assert read_qr_image(qr) == link
    assert qr.stat().st_mode & 0o077 == 0
    # ten days, from the configuration
    assert made["expires"] > made["created"]


def test_create_plain_output_and_expiry_flag(config: Path) -> None:
    result = _omc("offer", "create", "--config", str(config), "--achievement", "weld-101", "--learner-name",
                  "Ana Silva", "--learner-email", "ana@example.ca", "--expires-in-days", "3")
    assert result.exit_code == 0, result.output
    assert "link: https://lcw.app/request.html?" in result.stdout
    assert "interaction URL (VC-API):" in result.stdout


def test_roster_writes_a_mail_merge_csv_and_reports_bad_rows(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "offers.csv"
    qr_dir = tmp_path / "qr"
    result = _omc("offer", "create", "--config", str(config), "--roster", str(tmp_path / "roster.csv"), "--out",
                  str(out), "--qr", str(qr_dir))
    # the sample roster has bad rows on purpose: the good ones get offers, the command exits 1
    assert result.exit_code == 1, result.output
    assert "bad row: line" in result.stderr and "error: ROSTER_ROWS_REFUSED:" in result.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and rows[0]["name"] == "Ana Silva" and rows[0]["link"].startswith("https://lcw.app/request.html?")
    assert all(r["interaction_url"].startswith(f"{PUBLIC}/exchanges/") for r in rows)
    assert out.stat().st_mode & 0o077 == 0
    assert sorted(p.stem for p in qr_dir.iterdir()) == sorted(r["offer_id"] for r in rows)
    listed = json.loads(_omc("offer", "list", "--config", str(config), "--json").stdout)["offers"]
    assert len(listed) == len(rows)


def test_roster_strict_makes_no_offer(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "offers.csv"
    result = _omc("offer", "create", "--config", str(config), "--roster", str(tmp_path / "roster.csv"), "--out",
                  str(out), "--strict")
    assert result.exit_code == 1
    assert json.loads(_omc("offer", "list", "--config", str(config), "--json").stdout)["offers"] == []


def test_roster_csv_neutralises_formula_cells(config: Path, tmp_path: Path) -> None:
    """CSV injection: a learner named =HYPERLINK(...) must not become a formula in the registrar's spreadsheet."""
    roster = tmp_path / "evil.csv"
    roster.write_text("name,email,achievement,completion_date\n=HYPERLINK(\"http://x\"),e@example.ca,weld-101,"
                      "2026-01-05\n|calc,f@example.ca,weld-101,2026-01-05\n", encoding="utf-8")
    out = tmp_path / "offers.csv"
    assert _omc("offer", "create", "--config", str(config), "--roster", str(roster), "--out", str(out)).exit_code == 0
    with out.open(encoding="utf-8", newline="") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    assert names[0].startswith("'=")
    assert all(name.startswith("'") for name in names)  # every start the project neutralises (batch.csv_safe)


def test_list_and_revoke(config: Path) -> None:
    made = json.loads(_omc("offer", "create", "--config", str(config), "--achievement", "weld-101",
                           "--learner-name", "Ana Silva", "--learner-email", "ana@example.ca", "--json").stdout)
    listed = _omc("offer", "list", "--config", str(config))
    assert listed.exit_code == 0 and made["id"] in listed.stdout and "open" in listed.stdout
    assert made["link"] not in listed.stdout  # the secret is never shown again
    revoked = _omc("offer", "revoke", "--config", str(config), made["id"], "--json")
    assert revoked.exit_code == 0 and json.loads(revoked.stdout)["state"] == "revoked"
    assert "revoked" in _omc("offer", "list", "--config", str(config)).stdout


def test_revoke_unknown_offer_is_a_usage_error(config: Path) -> None:
    result = _omc("offer", "revoke", "--config", str(config), "nope")
    assert result.exit_code == 2 and result.stderr.startswith("error: OFFER_NOT_FOUND:")


def test_revoking_a_redeemed_offer_is_refused(config: Path) -> None:
    from omc_vc._internal.timeutil import utcnow
    from omc_vc.issue.config import load_config
    from omc_vc.issue.sqlite_store import SqliteStore

    made = json.loads(_omc("offer", "create", "--config", str(config), "--achievement", "weld-101",
                           "--learner-name", "Ana Silva", "--learner-email", "ana@example.ca", "--json").stdout)
    with SqliteStore(load_config(config).state_path) as store:
        store.redeem(made["id"], holder="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                     protocol="lcw", now=utcnow())
    result = _omc("offer", "revoke", "--config", str(config), made["id"])
    assert result.exit_code == 1 and result.stderr.startswith("error: OFFER_REDEEMED:")


def test_without_an_offers_section_create_says_what_is_missing(tmp_path: Path) -> None:
    make_institution(tmp_path)
    result = _omc("offer", "create", "--config", str(tmp_path / "institution.yaml"), "--achievement", "weld-101",
                  "--learner-name", "Ana Silva", "--learner-email", "ana@example.ca")
    assert result.exit_code == 2 and "error: CONFIG_ERROR: config: offers.public_url" in result.stderr


def test_unknown_achievement_names_the_catalogue(config: Path) -> None:
    result = _omc("offer", "create", "--config", str(config), "--achievement", "nope", "--learner-name", "Ana")
    assert result.exit_code == 2 and "not in the catalogue" in result.stderr


def test_plain_http_public_url_only_on_loopback(tmp_path: Path) -> None:
    make_institution(tmp_path)
    path = tmp_path / "institution.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "offers:\n  public_url: http://college.example.ca\n",
                    encoding="utf-8")
    result = _omc("offer", "list", "--config", str(path))
    assert result.exit_code == 2 and "offers.public_url must be an https URL" in result.stderr


@pytest.mark.parametrize(("offers", "why"), [
    ("  public_url: https://college.example.ca\n  expires_days: 400\n", "offers.expires_days must be at most"),
    ("  public_url: https://college.example.ca\n  expires_days: 0\n", "offers.expires_days must be an integer"),
    ("  public_url: https://college.example.ca\n  colour: blue\n", "unknown key offers.colour"),
    ("  public_url: https://college.example.ca/?x=1\n", "must not have a query"),
    ("  public_url: https://college.example.ca\n  tx_code: maybe\n", "offers.tx_code must be true or false"),
])
def test_offers_section_is_checked(tmp_path: Path, offers: str, why: str) -> None:
    make_institution(tmp_path)
    path = tmp_path / "institution.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "offers:\n" + offers, encoding="utf-8")
    result = _omc("offer", "list", "--config", str(path))
    assert result.exit_code == 2 and why in result.stderr, result.stderr


def test_a_roster_whose_csv_cannot_be_written_leaves_no_offer_open(config: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is lost: offers whose links were shown nowhere never stay open to be guessed or forgotten."""
    roster = tmp_path / "cohort.csv"
    roster.write_text("name,email,achievement,completion_date\nAna Silva,a@example.ca,weld-101,2026-01-05\n"
                      "Ben Okafor,b@example.ca,weld-101,2026-01-05\n", encoding="utf-8")
    # a folder that does not exist: refused before any offer is made
    missing = _omc("offer", "create", "--config", str(config), "--roster", str(roster), "--out",
                   str(tmp_path / "nowhere" / "offers.csv"))
    assert missing.exit_code == 2 and "cannot write the mail-merge CSV" in missing.stderr
    assert "open" not in _omc("offer", "list", "--config", str(config)).stdout
    # the disk fails while writing: the offers just made are revoked
    from omc_vc.issue import offer_ops

    def broken(*_: Any, **__: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(offer_ops.atomic, "write_bytes", broken)
    failed = _omc("offer", "create", "--config", str(config), "--roster", str(roster), "--out",
                  str(tmp_path / "offers.csv"))
    assert failed.exit_code == 2 and "No space left" in failed.stderr
    listed = json.loads(_omc("offer", "list", "--config", str(config), "--json").stdout)["offers"]
    assert len(listed) == 2 and {o["state"] for o in listed} == {"revoked"}


def test_an_offer_that_cannot_be_made_revokes_those_made_before_it(config: Path, tmp_path: Path) -> None:
    from omc_vc.errors import IssuanceError, OfferError
    from omc_vc.issue.config import load_config
    from omc_vc.issue.offer_ops import make_roster_offers
    from omc_vc.issue.sqlite_store import SqliteStore

    roster = tmp_path / "cohort.csv"
    roster.write_text("name,email,achievement,completion_date\nAna Silva,a@example.ca,weld-101,2026-01-05\n"
                      "Ben Okafor,b@example.ca,weld-101,2026-01-05\n", encoding="utf-8")
    institution = load_config(config)
    with SqliteStore(institution.state_path) as store:
        real = store.create_offer
        calls = []

        def second_fails(draft: Any, *, now: Any) -> Any:
            calls.append(draft)
            if len(calls) == 2:
                raise OfferError("the store is busy")
            return real(draft, now=now)

        store.create_offer = second_fails  # type: ignore[method-assign]
        with pytest.raises(IssuanceError, match=r"offer 2 of 2 could not be made.*1 made before it were revoked"):
            make_roster_offers(institution, store, roster, now=datetime.now(UTC))
        assert [o.state for o in store.offers()] == ["revoked"]
