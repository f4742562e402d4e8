"""Secrets: private keys never appear in logs, error texts, ``--json`` output or
exception text; key and wallet files keep mode 0600 whatever the umask.

Every test collects the secret in all the forms it could leak in (secretKeyMultibase, the raw seed in
hex and base64url, the private JWK's ``d``, the PEM body) and searches for each of them.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from omc_vc._internal.multibase import b64url_encode, multibase_decode
from omc_vc.errors import OmcVcError
from omc_vc.keys import KeyPair, load_key, save_key
from omc_vc.omc.builder import Learner
from omc_vc.proofs import data_integrity
from omc_vc.proofs.jose import sign_jwt
from omc_vc.verify import Verifier
from tests.attacks.world import NOW, key_for
from tests.fixtures.omc.sample import make_institution, signed_omc

PASS = "correct horse battery staple"
ENV = {"OMC_TEST_PASS": PASS}


def secret_forms(pair: KeyPair) -> list[str]:
    """Every textual form of the private key a leak could take."""
    secret = pair.secret_multibase()
    raw = multibase_decode(secret)[2:]
    pem_body = "".join(pair.private_pem().splitlines()[1:-1])
    return [secret, secret[1:], raw.hex(), raw.hex().upper(), b64url_encode(raw), pair.private_jwk()["d"], pem_body,
            pem_body[10:60], repr(raw)]


def assert_no_secret(text: str, pair: KeyPair, where: str) -> None:
    for form in secret_forms(pair):
        assert form not in text, f"the private key leaks into {where}"


@contextmanager
def permissive_umask() -> Iterator[None]:
    old = os.umask(0)  # the worst case: a umask that would make new files world-readable
    try:
        yield
    finally:
        os.umask(old)


# --- logs, errors, reprs ------------------------------------------------------------------------------------

def test_key_never_in_debug_logs_while_signing_verifying_and_saving(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    pair = key_for("secrets-issuer")
    caplog.set_level(logging.DEBUG)
    path = save_key(tmp_path / "issuer.key", pair, PASS)
    loaded = load_key(path, PASS)
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "issuer": loaded.controller, "validFrom": "2026-01-01T00:00:00Z",
                "credentialSubject": {"id": "did:example:learner"}}
    signed = data_integrity.add_proof(document, loaded, created=NOW - timedelta(days=1))
    token = sign_jwt(document, loaded, now=NOW)
    Verifier().verify(signed, now=NOW)
    Verifier().verify(token, now=NOW)
    logging.getLogger("omc_vc").debug("key object: %r %s", loaded, loaded)
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert_no_secret(text, pair, "the logs")
    assert_no_secret(json.dumps(signed) + token, pair, "a signed document")


def test_repr_and_str_of_keys_hide_the_secret() -> None:
    pair = key_for("secrets-repr")
    assert_no_secret(repr(pair) + str(pair) + repr(pair.public_key) + repr([pair]) + repr({"k": pair}), pair,
                     "repr/str")


def test_wrong_passphrase_error_text_carries_no_key_material(tmp_path: Path) -> None:
    pair = key_for("secrets-wrong-pass")
    path = save_key(tmp_path / "k.key", pair, PASS)
    with pytest.raises(OmcVcError) as info:
        load_key(path, "not the passphrase")
    exc = info.value
    text = " ".join([str(exc), exc.detail, exc.diagnostics(), json.dumps(exc.problem()), repr(exc.context),
                     repr(exc.__cause__), repr(exc.__context__)])
    assert_no_secret(text, pair, "the wrong-passphrase error")
    assert PASS not in text


def test_import_errors_never_echo_the_secret_they_were_given() -> None:
    pair = key_for("secrets-import")
    secret = pair.secret_multibase()
    broken = [secret[:-3] + "0OI", secret + "zz", secret[:20]]  # invalid base58, wrong length, truncated
    for value in broken:
        with pytest.raises(OmcVcError) as info:
            KeyPair.from_secret_multibase(value)
        text = str(info.value) + info.value.diagnostics() + repr(info.value.context)
        assert value not in text and secret not in text


def test_signing_worker_setup_repr_hides_the_secret(tmp_path: Path) -> None:
    from tests.fixtures.omc.sample import open_issuer

    config, key = make_institution(tmp_path / "inst", key=key_for("secrets-batch"))
    issuer = open_issuer(config, key)
    try:
        # what a signing worker is sent (a traceback in a worker shows it)
        assert_no_secret(repr(issuer.setup()), key, "the signing worker setup repr")
    finally:
        issuer.store.close()


def test_an_exception_while_signing_does_not_carry_the_key(tmp_path: Path) -> None:
    pair = key_for("secrets-sign-error")
    with pytest.raises(OmcVcError) as info:
        # a term no context defines: signing refuses (DI §2.4.3) and must not dump its inputs
        data_integrity.add_proof({"@context": ["https://www.w3.org/ns/credentials/v2"],
                                  "type": ["VerifiableCredential"], "issuer": pair.controller,
                                  "credentialSubject": {"undefinedTerm": 1}}, pair)
    assert_no_secret(str(info.value) + repr(info.value.context), pair, "a signing error")


# --- CLI output ---------------------------------------------------------------------------------------------

def _omc(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "omc_vc.cli.main", *args], capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, **ENV, **(env or {})})


def test_cli_json_outputs_and_errors_never_show_the_private_key(tmp_path: Path) -> None:
    cli = importlib.import_module("omc_vc.cli.main").cli

    runner = CliRunner()
    key_file = tmp_path / "issuer.key"
    with permissive_umask():
        result = runner.invoke(cli, ["keys", "generate", "--out", str(key_file), "--passphrase-env", "OMC_TEST_PASS"],
                               env=ENV)
    assert result.exit_code == 0, result.output
    pair = load_key(key_file, PASS)
    outputs = []
    for args in (["keys", "show", str(key_file), "--json"], ["keys", "export", str(key_file), "--format", "jwk"],
                 ["keys", "export", str(key_file), "--format", "pem"],
                 ["keys", "export", str(key_file), "--private", "--passphrase-env", "WRONG_PASS"]):
        run = runner.invoke(cli, args, env={**ENV, "WRONG_PASS": "nope nope nope"})
        outputs.append(run.output)
        assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    assert_no_secret("\n".join(outputs), pair, "CLI output")


def test_cli_issue_json_report_and_stderr_never_show_the_private_key(tmp_path: Path) -> None:
    pair = key_for("secrets-cli-issue")
    config, _ = make_institution(tmp_path / "inst", key=pair)
    roster = tmp_path / "r.csv"
    roster.write_text("name,email,achievement,completion_date\nAna Silva,ana@example.ca,weld-101,2026-06-01\n"
                      "Bad Row,not-an-email,weld-101,2026-06-01\n", encoding="utf-8")
    run = _omc("issue", "--config", str(config.path), "--roster", str(roster), "--out", str(tmp_path / "out"),
               "--workers", "1", "--json", env={"OMC_DEBUG": ""})
    assert run.returncode == 1, run.stderr  # one bad row
    assert json.loads(run.stdout)["issued"] == 1
    assert_no_secret(run.stdout + run.stderr, pair, "omc issue --json")
    verify = _omc("verify", str(next((tmp_path / "out").glob("ana-*.json"))), "--offline", "--json")
    assert "checks" in json.loads(verify.stdout), verify.stderr
    assert_no_secret(verify.stdout + verify.stderr, pair, "omc verify --json")


# --- file modes ---------------------------------------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_files_are_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    pair = key_for("secrets-mode")
    with permissive_umask():
        encrypted = save_key(tmp_path / "enc.key", pair, PASS)
        plain = save_key(tmp_path / "plain.key", pair, None, insecure_plaintext=True)
        rewritten = save_key(tmp_path / "enc.key", pair, PASS + "!", overwrite=True)
    assert _mode(encrypted) == 0o600
    assert _mode(plain) == 0o600
    assert _mode(rewritten) == 0o600


def test_private_key_export_file_is_0600(tmp_path: Path) -> None:
    cli = importlib.import_module("omc_vc.cli.main").cli

    pair = key_for("secrets-export")
    key_file = save_key(tmp_path / "k.key", pair, PASS)
    with permissive_umask():
        run = CliRunner().invoke(cli, ["keys", "export", str(key_file), "--private", "--format", "jwk",
                                       "--passphrase-env", "OMC_TEST_PASS", "--out", str(tmp_path / "k.jwk")],
                                 env=ENV)
    assert run.exit_code == 0, run.output
    assert _mode(tmp_path / "k.jwk") == 0o600


def test_wallet_files_are_0600_and_the_folder_0700(tmp_path: Path) -> None:
    from omc_vc.wallet import Wallet

    pair = key_for("secrets-wallet-holder")
    config, issuer = make_institution(tmp_path / "inst", key=key_for("secrets-wallet-issuer"))
    credential = signed_omc(config, issuer, learner=Learner(name="Ana Silva", did=pair.controller))
    folder = tmp_path / "wallet"
    with permissive_umask():
        wallet = Wallet.create(folder, PASS, holder=pair)
        wallet.add(credential, verifier=Verifier())
    assert _mode(folder) == 0o700
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files, "the wallet wrote no files"
    for path in files:
        assert _mode(path) == 0o600, f"{path} has mode {oct(_mode(path))}"
        assert_no_secret(path.read_text(encoding="utf-8", errors="replace"), pair, f"wallet file {path.name}")
