"""The wallet's, the QR codes' and the offers' errors in French: each is raised for real by the library, its
detail is one of our messages (its ``str`` still the English text scripts and logs match), and the French reader
sees it in French with the error code unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from omc_vc.cli.main import cli

from omc_vc import qr, wallet_receive
from omc_vc._internal.fetch import Fetcher
from omc_vc.errors import InputError, Oid4vciError, QrError, WalletError
from omc_vc.i18n import Message, translator
from omc_vc.keys import KeyPair
from omc_vc.wallet import Wallet
from omc_vc.wallet_oid4vci import receive_offer

FRENCH = {"LANG": "fr_CA.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": "", "OMC_WALLET_PASS": "pass"}
fr = translator("fr")


def test_an_unknown_link_format_is_explained_in_french() -> None:
    """Without the message a French reader scanning a link of a newer omc-vc read
    "unknown link format version '99' (this omc-vc reads '01')"."""
    with pytest.raises(QrError) as caught:
        qr.decode_fragment("99123")
    assert caught.value.code == "QR_UNKNOWN_FORMAT"
    assert str(caught.value) == "unknown link format version '99' (this omc-vc reads '01')"
    assert fr.render(caught.value.detail) == "version de format de lien inconnue '99' (cet omc-vc lit '01')"


def test_a_private_verifier_url_is_refused_in_french() -> None:
    """Without the message a learner setting up a QR code with a home-network verifier read the English advice
    "... an employer's phone cannot open it. Set the public verifier ..."."""
    with pytest.raises(QrError) as caught:
        qr.check_verifier_url("https://192.168.1.5/verify")
    assert caught.value.code == "VERIFIER_URL_NOT_PUBLIC"
    assert str(caught.value).startswith("verifier URL 'https://192.168.1.5/verify' is a loopback, private or "
                                        "local-network address: an employer's phone cannot open it.")
    assert fr.render(caught.value.detail) == (
        "l’URL de vérificateur 'https://192.168.1.5/verify' est une adresse de bouclage, privée ou du réseau "
        "local\u00a0: le téléphone d’un employeur ne peut pas l’ouvrir. Définissez le vérificateur public (omc wallet "
        "settings --verifier-url https://...), ou utilisez --demo pour la démonstration locale")


def test_sizes_are_grouped_as_french_writes_them() -> None:
    """Without the message a French reader read "the document is 300008 bytes, over the 262144-byte limit"
    and "the link is longer than 8192 characters": English words, digits ungrouped."""
    with pytest.raises(QrError) as too_large:
        qr.encode_fragment({"a": "x" * 300_000})
    assert str(too_large.value) == "the document is 300008 bytes, over the 262144-byte limit"
    assert fr.render(too_large.value.detail) == \
        "le document fait 300\u00a0008 octets, au-delà de la limite de 262\u00a0144 octets"
    with pytest.raises(InputError) as too_long:
        wallet_receive.receive(None, "x" * (wallet_receive.MAX_LINK_CHARS + 1),  # type: ignore[arg-type]
                               fetcher=Fetcher(), verifier=None)  # type: ignore[arg-type]
    assert str(too_long.value) == "the link is longer than 8192 characters"
    assert fr.render(too_long.value.detail) == "le lien dépasse 8\u00a0192 caractères"


def test_an_unreachable_offer_names_what_failed_in_french() -> None:
    """Without the message, and without the offer's noun phrase being one too, a learner redeeming an offer read
    "cannot get the credential offer: FETCH_ADDRESS_REFUSED"."""
    link = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2F127.0.0.1%2Foffer%2Fabc"
    with pytest.raises(Oid4vciError) as caught:
        receive_offer(link, holder=KeyPair.generate("ed25519"), fetcher=Fetcher())
    assert caught.value.code == "issuer_unreachable"
    assert str(caught.value) == "cannot get the credential offer: FETCH_ADDRESS_REFUSED"
    assert fr.render(caught.value.detail) == "impossible d’obtenir l’offre d’attestation\u00a0: FETCH_ADDRESS_REFUSED"


def test_a_secret_taken_out_of_a_message_keeps_it_french() -> None:
    """Without keeping the message, hiding a VC-API link's secret from an error turned it back into the English
    "https://college.example.ca/x/<secret> answered HTTP 500"."""
    secret = "s3cr3t-0123456789abcdef"
    hidden = wallet_receive._hidden(Message("{url} answered HTTP {status}", url=f"https://college.example.ca/x/{secret}",
                                            status="500"), secret)
    assert str(hidden) == "https://college.example.ca/x/… answered HTTP 500"
    assert fr.render(hidden) == "https://college.example.ca/x/… a répondu HTTP 500"


def test_the_cli_says_there_is_no_wallet_in_french(tmp_path: Path) -> None:
    """Without the message ``omc wallet list`` under a French locale printed
    "error: WALLET_NOT_FOUND: no wallet in ...: create one with 'omc wallet init'"."""
    folder = tmp_path / "nowallet"
    result = CliRunner().invoke(cli, ["wallet", "list", "--wallet", str(folder), "--passphrase-env", "OMC_WALLET_PASS"],
                                env=FRENCH, prog_name="omc")
    assert result.exit_code == 2
    assert result.stderr == (f"error: WALLET_NOT_FOUND: aucun portefeuille dans {folder}\u00a0: créez-en un avec "
                             "«\u00a0omc wallet init\u00a0»\n")
    with pytest.raises(WalletError) as caught:
        Wallet.open(folder, "pass")
    assert str(caught.value) == f"no wallet in {folder}: create one with 'omc wallet init'"
