"""The errors of keys, DIDs, status bitstrings and proofs in French: each detail is one of our messages, shown
in the reader's language, while its English text (``str(exc)``) and its error code stay what they always were."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc.bitstring import get_status
from omc_vc.did import DidResolver, did_key_public_key
from omc_vc.errors import DidError, JwtError, KeyError_, ProofError, StatusError, WrongPassphraseError
from omc_vc.i18n import translator
from omc_vc.keys import KeyPair, load_key, save_key
from omc_vc.proofs.data_integrity import verify_proofs
from omc_vc.proofs.jose import verify_jwt

#: A French locale, with every variable that would take precedence over LANG emptied.
FRENCH = {"LANG": "fr_CA.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}
#: An X25519 (key agreement) did:key: a Multikey header omc-vc does not sign or verify with.
X25519_DID = "did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc"


def french(exc: pytest.ExceptionInfo[Exception]) -> str:
    return translator("fr").render(exc.value.detail)  # type: ignore[attr-defined]


def test_a_wrong_passphrase_is_told_in_french(tmp_path: Path) -> None:
    """Without it, a French reader typing the wrong passphrase read "wrong passphrase for key file ..."."""
    path = tmp_path / "issuer.key"
    save_key(path, KeyPair.generate(), "the right one")
    with pytest.raises(WrongPassphraseError) as exc:
        load_key(path, "a wrong one")
    assert french(exc) == f"mauvaise phrase de passe pour le fichier de clé {path} (ou le fichier a été altéré)"
    assert str(exc.value) == f"wrong passphrase for key file {path} (or the file was tampered with)"
    assert exc.value.code == "KEY_DECRYPTION_ERROR"


def test_a_did_key_error_nests_the_key_error_in_french() -> None:
    """Without it, the reader saw "did:key:...: unsupported Multikey header 0xec01 (... public keys only)": the DID's
    sentence and the key's sentence inside it are both French now."""
    with pytest.raises(DidError) as exc:
        did_key_public_key(X25519_DID)
    assert french(exc) == (f"{X25519_DID}\u00a0: en-tête Multikey 0xec01 non pris en charge "
                           "(clés publiques Ed25519, P-256 ou P-384 seulement)")
    assert str(exc.value) == (f"{X25519_DID}: unsupported Multikey header 0xec01 "
                              "(Ed25519, P-256 or P-384 public keys only)")
    assert exc.value.code == "invalidPublicKey"
    with pytest.raises(DidError) as other:
        did_key_public_key("did:web:example.org")
    assert french(other) == "'did:web:example.org' n’est pas un did:key"


def test_a_status_index_is_an_identifier_and_the_list_size_a_quantity() -> None:
    """Without it, "status index 20000 (size 1) is outside the 16384-bit list": in French the size of the list is
    grouped as a number is (16 384) and the index, which names a position, is not."""
    with pytest.raises(StatusError) as exc:
        get_status(bytes(2048), 20000)
    assert french(exc) == "l’index d’état 20000 (taille 1) est hors de la liste de 16\u00a0384 bits"
    assert str(exc.value) == "status index 20000 (size 1) is outside the 16384-bit list"
    assert exc.value.code == "RANGE_ERROR"


def test_a_malformed_jwt_and_a_proofless_document_in_french() -> None:
    """Without it, "the JWT header is not unpadded base64url" and "the document has no proof"; the part of the JWT
    ("header") is one of our words too, so it is French as well."""
    with pytest.raises(JwtError) as exc:
        verify_jwt("not!base64.e30.c2ln", resolver=DidResolver(), now=datetime.now(UTC))
    assert french(exc) == "en-tête du JWT\u00a0: ce n’est pas du base64url sans remplissage"
    assert str(exc.value) == "the JWT header is not unpadded base64url"
    assert exc.value.code == "JWT_MALFORMED"
    with pytest.raises(ProofError) as proofless:
        verify_proofs({"id": "urn:uuid:0f0e7a4c-4a6f-4f3e-9d0a-0d3c4b5a6e7f"})
    assert french(proofless) == "le document n’a pas de preuve"
    assert proofless.value.code == "PROOF_VERIFICATION_ERROR"


def test_the_cli_shows_a_missing_key_file_in_french_with_its_code(tmp_path: Path) -> None:
    """Without it, ``omc keys show`` under a French locale printed "error: KEY_ERROR: key file ... does not exist"."""
    missing = tmp_path / "missing.key"
    result = CliRunner().invoke(cli, ["keys", "show", str(missing)], env=FRENCH, prog_name="omc")
    assert result.exit_code != 0
    assert result.stderr.strip().splitlines() == [f"error: KEY_ERROR: le fichier de clé {missing} n’existe pas"]
    with pytest.raises(KeyError_) as exc:
        load_key(missing)
    assert str(exc.value) == f"key file {missing} does not exist"
