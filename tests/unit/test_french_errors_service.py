"""The issuing side's refusals in French: a roster, a status list entry, a share's lifetime, an offer's token.

Each error is raised for real by the library; its detail is one of our messages, so a French reader gets it in
French (``Translator.render``) while ``str(exc)`` (what scripts, logs and the English tests read) stays the English
text, and the error code does not change with the language.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc.errors import InputError, OfferError, StatusError
from omc_vc.i18n import translator
from omc_vc.issue.batch import read_roster
from omc_vc.issue.offers import MAX_TOKEN_LIFETIME, expiry
from omc_vc.issue.status_lists import status_entry
from omc_vc.web.shares import ShareError, check_ttl
from tests.fixtures.omc.sample import make_institution

FRENCH = {"LANG": "fr_CA.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}
ENGLISH = {"LANG": "C", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}


def test_a_roster_that_is_not_utf8_is_refused_in_french() -> None:
    """Otherwise a French registrar reads "the roster is not UTF-8 text (byte 0); export it as 'CSV UTF-8'"."""
    with pytest.raises(InputError) as caught:
        read_roster(b"\xff\xfe,,\n")
    assert caught.value.code == "PARSING_ERROR"
    assert str(caught.value) == "the roster is not UTF-8 text (byte 0); export it as 'CSV UTF-8'"
    assert translator("fr").render(caught.value.detail) == (
        "la liste d’apprenants n’est pas du texte UTF-8 (octet 0); exportez-la au format «\u00a0CSV UTF-8\u00a0»")


def test_a_rosters_bad_rows_are_explained_in_french() -> None:
    """Otherwise each bad row reads "line 2: name is empty" and "achievement 'nope' is not in the catalogue"."""
    roster = b"name,email,achievement,completion_date\n,a@college.example.ca,weld-101,2026-01-05\n" \
             b"Ana Silva,ana@college.example.ca,nope,2026-01-05\n"
    rows, errors = read_roster(roster, catalogue={"weld-101"}, today=date(2026, 6, 1))
    assert rows == []
    assert [str(e) for e in errors] == ["line 2: name is empty", "line 3: achievement 'nope' is not in the catalogue"]
    fr = translator("fr")
    assert [fr.render(str(e)) for e in errors] == [
        "ligne 2\u00a0: name est vide", "ligne 3\u00a0: la réalisation 'nope' n’est pas dans le catalogue"]


def test_a_status_entry_with_a_fragment_is_refused_in_french() -> None:
    """Otherwise: "status list URL '...#x' is not an absolute URL without a fragment"."""
    url = "https://college.example.ca/status/1#x"
    with pytest.raises(StatusError) as caught:
        status_entry(url, 0, "revocation")
    assert caught.value.code == "MALFORMED_VALUE_ERROR"
    assert str(caught.value) == f"status list URL {url!r} is not an absolute URL without a fragment"
    assert translator("fr").render(caught.value.detail) == (
        f"l’URL de liste d’états {url!r} n’est pas une URL absolue sans fragment")


def test_a_share_lifetime_and_a_token_lifetime_are_refused_in_french() -> None:
    """Otherwise: "ttlSeconds must be an integer from 60 to 2592000" and "a token lives more than no time and at
    most 1:00:00" (a quantity is grouped the French way; a word of ours in the sentence is translated too)."""
    fr = translator("fr")
    with pytest.raises(ShareError) as share:
        check_ttl(30, default=3600, most=2_592_000)
    assert share.value.code == "BAD_TTL"
    assert str(share.value) == "ttlSeconds must be an integer from 60 to 2592000"
    assert fr.render(share.value.detail) == "ttlSeconds doit être un entier de 60 à 2\u00a0592\u00a0000"
    with pytest.raises(OfferError) as token:
        expiry(datetime(2026, 6, 1, tzinfo=UTC), timedelta(0), MAX_TOKEN_LIFETIME, "token")
    assert str(token.value) == f"a token lives more than no time and at most {MAX_TOKEN_LIFETIME}"
    assert fr.render(token.value.detail) == f"un jeton doit durer plus de zéro et au plus {MAX_TOKEN_LIFETIME}"


def test_a_strict_roster_refusal_in_french_on_the_command_line(tmp_path: Path) -> None:
    """Otherwise ``omc issue --roster --strict`` under LANG=fr_CA prints "roster refused (--strict), nothing issued:
    line 2: name is empty; ..." in English: the refusal and each row's reason are French, the code is the same."""
    config, _ = make_institution(tmp_path)
    roster = tmp_path / "bad.csv"
    roster.write_text("name,email,achievement,completion_date\n,a@college.example.ca,weld-101,2026-01-05\n"
                      "Ana Silva,ana@college.example.ca,nope,2026-01-05\n", encoding="utf-8")
    args = ["issue", "--config", str(config.path), "--roster", str(roster), "--out", str(tmp_path / "out"), "--strict"]
    french = CliRunner().invoke(cli, args, env=FRENCH, prog_name="omc")
    english = CliRunner().invoke(cli, args, env=ENGLISH, prog_name="omc")
    assert french.exit_code == english.exit_code != 0
    assert french.stderr.strip().splitlines()[-1] == (
        "error: POLICY_VIOLATION: liste d’apprenants refusée (--strict), rien n’a été émis\u00a0: ligne 2\u00a0: "
        "name est vide; ligne 3\u00a0: la réalisation 'nope' n’est pas dans le catalogue")
    assert english.stderr.strip().splitlines()[-1] == (
        "error: POLICY_VIOLATION: roster refused (--strict), nothing issued: line 2: name is empty; "
        "line 3: achievement 'nope' is not in the catalogue")
