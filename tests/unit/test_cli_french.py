"""The CLI's own words in French (``LANG=fr_CA.UTF-8``, ``omc --lang fr``): error details, prompts and labels
follow the reader's locale, while the ``error: CODE:`` a script matches, the exit code and ``--json`` output are
the same in every language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from omc_vc.cli._common import handle_errors
from omc_vc.cli.main import cli

from omc_vc.errors import ConfigError
from omc_vc.i18n import Message
from tests.fixtures.omc.sample import make_institution
from tests.unit import test_wallet_cli
from tests.unit.test_wallet_cli import verify_args, wallet_args
from tests.unit.test_wallet_support import write_json

#: A French locale, with every variable that would take precedence over LANG emptied.
FRENCH = {"LANG": "fr_CA.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}
ENGLISH = {"LANG": "C", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}


def _run(args: list[str], env: dict[str, str], **extra: object) -> Result:
    return CliRunner().invoke(cli, args, env=env, prog_name="omc", **extra)  # type: ignore[arg-type]


def _error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("how", ["LANG", "--lang"])
def test_a_missing_input_file_in_french_keeps_its_code(how: str) -> None:
    args = ["verify", "/nonexistent/omc.json"]
    result = _run(["--lang", "fr", *args], ENGLISH) if how == "--lang" else _run(args, FRENCH)
    assert result.exit_code == 2
    assert _error_line(result) == "error: INPUT_NOT_FOUND: impossible de lire /nonexistent/omc.json\u00a0: " \
                                  "ce fichier n’existe pas"
    english = _run(args, ENGLISH)
    assert _error_line(english) == "error: INPUT_NOT_FOUND: cannot read /nonexistent/omc.json: no such file"


def test_a_usage_error_points_to_the_help_in_french() -> None:
    result = _run(["verify"], FRENCH)
    assert result.exit_code == 2
    line = _error_line(result)
    assert line.startswith("error: USAGE_ERROR: ") and line.endswith("(voir «\u00a0omc verify --help\u00a0»)")


def test_an_existing_out_file_is_refused_in_french(tmp_path: Path) -> None:
    out = tmp_path / "there.json"
    out.write_text("{}")
    result = _run(["did", "web", "college.example.ca", "--key", "keys/demo-ministry.key", "--out", str(out)], FRENCH)
    assert result.exit_code == 2
    assert _error_line(result) == f"error: FILE_EXISTS: {out} existe déjà; rien n’a été écrit (--force le remplace)"
    assert out.read_text() == "{}"


def test_a_missing_passphrase_variable_in_french(tmp_path: Path) -> None:
    result = _run(["wallet", "list", "--wallet", str(tmp_path / "w"), "--passphrase-env", "OMC_NO_SUCH_VAR"],
                  {**FRENCH, "OMC_NO_SUCH_VAR": ""})
    assert result.exit_code == 2
    assert _error_line(result) == ("error: PASSPHRASE_MISSING: la variable d’environnement OMC_NO_SUCH_VAR "
                                   "n’est pas définie ou est vide")


# --- an error's detail: ours is translated, a document's or the system's text is kept ---------------------

@click.command()
@click.argument("which")
@handle_errors
def _raises(which: str) -> None:
    if which == "ours":
        raise ConfigError(Message("cannot read {path}: no such file", path="policy.yaml"), code="CONFIG_ERROR")
    if which == "theirs":
        raise ConfigError("the document's own words", code="CONFIG_ERROR")
    raise RuntimeError("a bug")


def test_an_errors_detail_is_shown_in_french_when_it_is_our_message() -> None:
    ours = CliRunner().invoke(_raises, ["ours"], env=FRENCH)
    assert ours.exit_code == 2
    assert _error_line(ours) == "error: CONFIG_ERROR: impossible de lire policy.yaml\u00a0: ce fichier n’existe pas"
    assert _error_line(CliRunner().invoke(_raises, ["ours"], env=ENGLISH)) == \
        "error: CONFIG_ERROR: cannot read policy.yaml: no such file"
    theirs = CliRunner().invoke(_raises, ["theirs"], env=FRENCH)
    assert _error_line(theirs) == "error: CONFIG_ERROR: the document's own words"


def test_an_internal_error_in_french_keeps_its_code_and_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMC_DEBUG", raising=False)
    result = CliRunner().invoke(_raises, ["bug"], env=FRENCH)
    assert result.exit_code == 3
    assert _error_line(result) == ("error: INTERNAL_ERROR: RuntimeError; définissez OMC_DEBUG=1 pour les détails "
                                   "et signalez-le, s’il vous plaît")


# --- the wallet's words ------------------------------------------------------------------------------------

#: The wallet tests' fixtures: a wallet, and a college whose status list is served on loopback.
status_server = test_wallet_cli.status_server
ready = test_wallet_cli.ready
WALLET_PASS = {"OMC_WALLET_PASS": "cli wallet passphrase"}


def _wallet(*args: str, env: dict[str, str] = FRENCH) -> Result:
    return _run(list(args), {**env, **WALLET_PASS})


def test_wallet_import_show_and_list_in_french(ready: dict[str, Any]) -> None:
    imported = _wallet("wallet", "import", str(ready["cred"]), *wallet_args(ready), *verify_args(ready))
    assert imported.exit_code == 0, imported.stderr
    assert imported.stdout.startswith("Importée\u00a0: ")
    item_id = imported.stdout.split()[2]
    shown = _wallet("wallet", "show", item_id, *wallet_args(ready))
    assert shown.exit_code == 0, shown.stderr
    details = next(line for line in shown.stdout.splitlines() if line.startswith("  détails"))
    assert details.endswith("42 heures; émise le 15 juin 2026")  # a date shown to a person, written the fr-CA way
    assert "  apprenant ou apprenante\u00a0: " + ready["holder"] in shown.stdout
    assert "(vérifiée le " in shown.stdout and " h " in shown.stdout and "(UTC))" in shown.stdout
    assert "  motif\u00a0: " in shown.stdout and "non confirmé par un registre" in shown.stdout
    assert "    proof: passed" in shown.stdout  # a check's name and status are codes: the same in every language
    listed = _wallet("wallet", "list", *wallet_args(ready))
    assert listed.stdout.startswith(f"Titulaire\u00a0: {ready['holder']}\n")
    assert "42 h; émise le 15 juin 2026" in listed.stdout
    english = _wallet("wallet", "list", *wallet_args(ready), env=ENGLISH)
    assert "42 h; issued 2026-06-15" in english.stdout and english.stdout.startswith("Holder: ")
    # --json is data: the same whatever the reader's language
    assert _wallet("wallet", "list", *wallet_args(ready), "--json").stdout == \
        _wallet("wallet", "list", *wallet_args(ready), "--json", env=ENGLISH).stdout


def test_someone_elses_credential_is_flagged_in_french(ready: dict[str, Any]) -> None:
    college = ready["college"]
    theirs = write_json(Path(str(ready["tmp"])) / "theirs.json", college.issue("did:example:another-learner"))
    result = _wallet("wallet", "import", str(theirs), *wallet_args(ready), *verify_args(ready))
    assert result.exit_code == 0, result.stderr
    warning = _error_line(result)
    assert warning.startswith("warning: SUBJECT_NOT_HOLDER: ") and "a été conservée SIGNALÉE\u00a0: " in warning
    assert "did:example:another-learner" in warning
    # the reason is ours too: in French while it still has its parameters, and the record keeps its French
    # rendering beside the English text, so a later `wallet show` (another process) is French too
    reason = f"délivrée à did:example:another-learner; le titulaire de ce portefeuille est {ready['holder']}"
    assert reason in warning
    assert "SIGNALÉE\u00a0: " in _wallet("wallet", "list", *wallet_args(ready)).stdout
    item_id = warning.split("SUBJECT_NOT_HOLDER: ", 1)[1].split()[0]
    shown = _wallet("wallet", "show", item_id, *wallet_args(ready))
    assert reason in shown.stdout and "issued to did:example:another-learner" not in shown.stdout
    english = _wallet("wallet", "show", item_id, *wallet_args(ready), env=ENGLISH)
    assert "issued to did:example:another-learner" in english.stdout


# --- the registrar's words ---------------------------------------------------------------------------------

@pytest.fixture
def college(tmp_path: Path) -> tuple[Path, Result]:
    """A college that issued the sample roster in French: its config file and the issue run's result."""
    config, _ = make_institution(tmp_path, suspension=True)
    issued = _run(["issue", "--config", str(config.path), "--roster", str(tmp_path / "roster.csv"),
                   "--out", str(tmp_path / "issued"), "--workers", "1"], FRENCH)
    return config.path, issued


def test_a_roster_run_summarizes_in_french(college: tuple[Path, Result]) -> None:
    _, issued = college
    assert issued.exit_code == 1  # the sample roster's bad rows, as in English
    assert "5 émise(s), 0 déjà émise(s) (ignorée(s)), 5 ligne(s) invalide(s); index\u00a0: " in issued.stdout
    assert "  ligne invalide\u00a0: " in issued.stderr
    assert "error: 5 ligne(s) de la liste n’ont pas été émises (voir ci-dessus)" in issued.stderr


def test_a_status_change_asks_and_answers_in_french(college: tuple[Path, Result],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = college
    monkeypatch.setattr("omc_vc.cli.omc.interactive", lambda: True)
    declined = _run(["status", "suspend", "--config", str(config), "Chloé Tremblay"], FRENCH, input="n\n")
    assert declined.exit_code == 1
    assert "Suspendre urn:uuid:" in declined.stderr and "Chloé Tremblay" in declined.stderr
    assert "Continuer? [o/N]" in declined.stderr
    unsure = _run(["status", "suspend", "--config", str(config), "Chloé Tremblay"], FRENCH, input="peut-être\noui\n")
    assert unsure.exit_code == 0, unsure.output
    assert "Répondez par oui ou par non." in unsure.stderr  # asked again, then "oui" goes ahead
    assert unsure.stdout.startswith("suspendue\u00a0: urn:uuid:")
    assert declined.stderr.strip().splitlines()[-1].startswith("error: CANCELLED: rien n’a changé pour urn:uuid:")
    revoked = _run(["status", "revoke", "--config", str(config), "Ben Okafor", "--reason", "academic misconduct",
                    "--yes"], FRENCH)
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stdout.startswith("révoquée\u00a0: urn:uuid:")
    assert "; motif\u00a0: academic misconduct" in revoked.stdout
    again = _run(["status", "suspend", "--config", str(config), "Ben Okafor", "--yes"], FRENCH)
    assert again.exit_code == 0 and again.stdout.startswith("rien n’a changé\u00a0: urn:uuid:")
    # a credential nobody has: the library's refusal is one of our messages, in French, with its code
    missing = _run(["status", "revoke", "--config", str(config), "Nobody Here", "--yes"], FRENCH)
    assert missing.exit_code == 2
    assert _error_line(missing) == ("error: NOT_FOUND: aucune attestation ne correspond à «\u00a0Nobody Here\u00a0» "
                                    "(par identifiant, fichier, nom, numéro d’étudiant ou courriel)")
    english = _run(["status", "revoke", "--config", str(config), "Nobody Here", "--yes"], ENGLISH)
    assert _error_line(english) == ("error: NOT_FOUND: no credential matches 'Nobody Here' "
                                    "(by id, file, name, student number or e-mail)")


def test_a_record_is_shown_in_french(college: tuple[Path, Result]) -> None:
    config, _ = college
    shown = _run(["records", "show", "--config", str(config), "Ana Silva"], FRENCH)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[1].startswith("  apprenant ou apprenante\u00a0:")
    assert lines[1].endswith(" Ana Silva (email:ana.silva@example.ca)")
    assert any(line.startswith("  état\u00a0:") and line.endswith(" active") for line in lines)
    facts = next(line for line in lines if line.startswith("  faits\u00a0:"))
    assert "terminée le 12 juin 2026" in facts and "résultat Pass" in facts
    english = _run(["records", "show", "--config", str(config), "Ana Silva"], ENGLISH).stdout.splitlines()
    assert english[1].startswith("  learner:      Ana Silva") and "  state:        active" in english
    assert "completed 2026-06-12" in next(line for line in english if line.startswith("  facts:"))


def test_a_wallet_usage_refusal_in_french(ready: dict[str, Any]) -> None:
    both = _wallet("wallet", "settings", *wallet_args(ready), "--verifier-url", "https://verify.example.ca",
                   "--clear-verifier-url")
    assert both.exit_code == 2
    assert _error_line(both) == "error: USAGE_ERROR: donnez --verifier-url ou --clear-verifier-url, pas les deux"
    empty = _wallet("wallet", "withdraw", "nothing-here", *wallet_args(ready))
    assert empty.exit_code == 2 and _error_line(empty).startswith("error: WALLET_")  # a library code, unchanged


def test_a_policy_check_counts_its_violations_in_french(tmp_path: Path) -> None:
    draft = tmp_path / "draft.json"
    draft.write_text("{}")
    french = _run(["policy", "check", str(draft)], FRENCH)
    english = _run(["policy", "check", str(draft)], ENGLISH)
    assert french.exit_code == english.exit_code == 1  # the same refusal in every language
    assert french.stdout.splitlines()[-1] == "3 manquement(s)" and english.stdout.splitlines()[-1] == "3 violation(s)"


def test_a_new_key_is_reported_in_french(tmp_path: Path) -> None:
    out = tmp_path / "demo.key"
    made = _run(["keys", "generate", "--out", str(out), "--insecure-plaintext"], FRENCH)
    assert made.exit_code == 0, made.output
    warning, wrote = made.stderr.strip().splitlines()
    assert warning.startswith("AVERTISSEMENT\u00a0: écriture d’une clé privée NON CHIFFRÉE (--insecure-plaintext)")
    assert wrote.startswith(f"{out} écrit\u00a0: did:key:z6Mk")


def test_a_records_listing_in_french(college: tuple[Path, Result]) -> None:
    config, _ = college
    assert _run(["status", "revoke", "--config", str(config), "Ben Okafor", "--yes"], ENGLISH).exit_code == 0
    listed = _run(["records", "list", "--config", str(config)], FRENCH)
    assert listed.exit_code == 0, listed.output
    # the day stays an ISO column; the state is said of the attestation (feminine), as docs/vocabulary.md says
    states = sorted(row[10:].split()[0] for row in listed.stdout.splitlines())
    assert states == ["active"] * 4 + ["révoquée"]
    assert listed.stderr.strip() == "5 enregistrement(s)"
    english = _run(["records", "list", "--config", str(config)], ENGLISH)
    assert sorted(row[10:].split()[0] for row in english.stdout.splitlines()) == ["active"] * 4 + ["revoked"]


def test_a_credential_received_from_an_offer_in_french(tmp_path: Path) -> None:
    from tests.web.offer_world import live_offer_world

    with live_offer_world(tmp_path) as (world, _):
        _, links = world.offer()
        received = _run(["wallet", "receive", links.deep_link, "--wallet", str(tmp_path / "w"), "--passphrase-env",
                         "OMC_WALLET_PASS", "--allow-http-loopback"], {**FRENCH, **WALLET_PASS})
    assert received.exit_code == 0, received.output
    assert received.stdout.startswith("Reçue\u00a0: ") and "(de " in received.stdout.splitlines()[0]
    assert "  apprenant ou apprenante\u00a0:" in received.stdout  # the record, shown as omc wallet show shows it


def test_an_offer_is_made_and_listed_in_french(tmp_path: Path) -> None:
    make_institution(tmp_path)
    config = tmp_path / "institution.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "offers:\n  public_url: https://college.example.ca\n",
                      encoding="utf-8")
    made = _run(["offer", "create", "--config", str(config), "--achievement", "weld-101", "--learner-name",
                 "Ana Silva"], FRENCH)
    assert made.exit_code == 0, made.output
    first, link = made.stdout.splitlines()[:2]
    assert first.startswith("offre ") and " pour Ana Silva (weld-101), ouverte jusqu’au " in first
    assert link.startswith("lien\u00a0: https://lcw.app/request.html?")  # the link itself is data: unchanged
    listed = _run(["offer", "list", "--config", str(config)], FRENCH)
    assert listed.exit_code == 0 and "  open      Ana Silva (weld-101)  jusqu’au " in listed.stdout


def test_the_registry_refuses_a_demo_key_in_french(tmp_path: Path) -> None:
    args = ["registry", "init", "--anchor-key", "keys/demo-ministry.key", "--out", str(tmp_path / "draft.json")]
    french, english = _run(args, FRENCH), _run(args, ENGLISH)
    assert french.exit_code == english.exit_code == 1
    assert _error_line(french) == ("error: DEMO_KEY_REFUSED: keys/demo-ministry.key est une clé de DÉMONSTRATION; "
                                   "elle est refusée hors du mode démonstration (ajoutez --demo)")
    assert _error_line(english).startswith("error: DEMO_KEY_REFUSED: keys/demo-ministry.key is a DEMO key")
    assert not (tmp_path / "draft.json").exists()


def test_a_catalogue_export_refusal_in_french(tmp_path: Path) -> None:
    config, _ = make_institution(tmp_path)
    args = ["catalogue", "export", "--config", str(config.path), "--format", "csv", "--out-dir", str(tmp_path / "d")]
    result = _run(args, FRENCH)
    assert result.exit_code == 2
    assert _error_line(result) == ("error: USAGE_ERROR: --out-dir écrit les documents json\u00a0: employez-le avec "
                                   "--format json")
    made = _run(["catalogue", "export", "--config", str(config.path), "--out", str(tmp_path / "c.json")], FRENCH)
    assert made.exit_code == 1  # the sample catalogue's two entries the policy refuses
    *left_out, summary, refused = made.stderr.strip().splitlines()
    assert len(left_out) == 2 and all(" laissée de côté\u00a0: " in line for line in left_out)
    assert summary == f"4 offre(s) de formation exportée(s) dans {tmp_path / 'c.json'}"
    assert refused == "error: REFUSED: 2 entrées du catalogue laissées de côté (voir ci-dessus)"


def test_the_policy_is_shown_in_french() -> None:
    french = _run(["policy", "show"], FRENCH)
    assert french.exit_code == 0
    lines = french.stdout.splitlines()
    assert lines[0].startswith("Politique OMC ") and lines[0].endswith(" - PROVISOIRE")
    assert "  heures d’enseignement\u00a0: de 7 à 400" in lines
    assert "  modes de prestation\u00a0: in-person, online, hybrid" in lines  # the policy's values are data
    assert _run(["policy", "show", "--json"], FRENCH).stdout == _run(["policy", "show", "--json"], ENGLISH).stdout


def test_a_store_migration_is_reported_in_french(college: tuple[Path, Result]) -> None:
    config, _ = college
    migrated = _run(["store", "migrate", "--config", str(config)], FRENCH)
    assert migrated.exit_code == 0, migrated.output
    assert "\u00a0: rien à appliquer; version du schéma " in migrated.stdout  # issued already: the store is current
