"""``omc keys``: generate, import, show and export Ed25519, P-256 and P-384 keys."""

from __future__ import annotations

import click

from omc_vc.errors import KeyError_
from omc_vc.i18n import N_, Message
from omc_vc.keys import KeyPair, PublicKey, read_key_file_header, save_key

from ._common import (
    emit_json,
    handle_errors,
    new_key_passphrase,
    open_key,
    output_option,
    passphrase_options,
    plain_value,
    read_input,
    say,
    write_output,
)
from ._lang import OmcSubGroup, words


@click.group("keys", cls=OmcSubGroup)
def keys_group() -> None:
    """Manage signing keys (Ed25519, P-256, P-384), encrypted at rest."""


def _address(pair: KeyPair, controller: str | None, fragment: str | None) -> KeyPair:
    if controller:
        return pair.with_id(f"{controller}#{fragment or 'key-1'}", controller)
    return pair


@keys_group.command("generate")
@click.option("--type", "key_type", type=click.Choice(["ed25519", "p256", "p384"]), default="ed25519",
              show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Key file to create (mode 0600).")
@click.option("--controller", help="DID that controls the key (default: its did:key), e.g. did:web:example.ca")
@click.option("--fragment", help="Verification method fragment when --controller is given (default key-1).")
@passphrase_options
@handle_errors
def generate(key_type: str, out: str, controller: str | None, fragment: str | None,
             passphrase_env: str | None, insecure_plaintext: bool) -> None:
    """Generate a key pair and write it to an encrypted key file.

    \b
    Example:
      OMC_PASS=... omc keys generate --type ed25519 --out issuer.key --passphrase-env OMC_PASS
    """
    pair = _address(KeyPair.generate(key_type), controller, fragment)  # type: ignore[arg-type]
    save_key(out, pair, new_key_passphrase(passphrase_env, insecure_plaintext), insecure_plaintext=insecure_plaintext)
    say(words().gettext("wrote {path}: {method}").format(path=out, method=pair.verification_method), err=True)


@keys_group.command("import")
@click.option("--secret-multibase", help="A Multikey secretKeyMultibase (z...); Ed25519 32- or 64-byte forms.")
@click.option("--jwk", "jwk_file", type=click.Path(dir_okay=False), help="A private JWK file.")
@click.option("--pem", "pem_file", type=click.Path(dir_okay=False), help="A PKCS#8 PEM private key file.")
@click.option("--pem-password-env", metavar="VAR", help="Environment variable holding the PEM file's password.")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--controller", help="DID that controls the key (default: its did:key).")
@click.option("--fragment", help="Verification method fragment when --controller is given (default key-1).")
@passphrase_options
@handle_errors
def import_(secret_multibase: str | None, jwk_file: str | None, pem_file: str | None,
            pem_password_env: str | None, out: str, controller: str | None, fragment: str | None,
            passphrase_env: str | None, insecure_plaintext: bool) -> None:
    """Import a private key from Multikey, JWK or PEM into an encrypted key file.

    \b
    Example:
      omc keys import --secret-multibase z3u2en7t5LR2... --out vector.key --insecure-plaintext
    """
    import json
    import os

    given = [x for x in (secret_multibase, jwk_file, pem_file) if x]
    if len(given) != 1:
        raise click.UsageError(words().gettext("give exactly one of --secret-multibase, --jwk, --pem"))
    if secret_multibase:
        pair = KeyPair.from_secret_multibase(secret_multibase)
    elif jwk_file:
        try:
            jwk = json.loads(read_input(jwk_file))
        except ValueError as exc:
            raise KeyError_(Message("{file} is not a JSON JWK", file=jwk_file)) from exc
        pair = KeyPair.from_jwk(jwk)
    else:
        assert pem_file is not None
        password = os.environ.get(pem_password_env, "").encode() if pem_password_env else None
        pair = KeyPair.from_pem(read_input(pem_file), password or None)
    pair = _address(pair, controller, fragment)
    save_key(out, pair, new_key_passphrase(passphrase_env, insecure_plaintext), insecure_plaintext=insecure_plaintext)
    say(words().gettext("wrote {path}: {method}").format(path=out, method=pair.verification_method), err=True)


@keys_group.command("show")
@click.argument("key_file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def show(key_file: str, as_json: bool) -> None:
    """Show a key file's public part: did:key, publicKeyMultibase, public JWK. No passphrase needed.

    \b
    Example:
      omc keys show issuer.key --json
    """
    header = read_key_file_header(key_file)
    public = PublicKey.from_multibase(header["publicKeyMultibase"])
    info = {"type": header["type"], "didKey": public.did_key, "verificationMethod": header["verificationMethod"],
            "controller": header["controller"], "publicKeyMultibase": public.multibase, "publicKeyJwk": public.jwk()}
    if as_json:
        emit_json(info)
        return
    for label, value in info.items():
        click.echo(f"{label}: {plain_value(value)}")


@keys_group.command("export")
@click.argument("key_file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["multikey", "jwk", "pem"]), default="multikey", show_default=True)
@click.option("--private", is_flag=True, help="Export the PRIVATE key too (asks for the passphrase).")
@output_option(N_("Write here (mode 0600 for private keys)."))
@click.option("--passphrase-env", metavar="VAR", help="Read the key passphrase from environment variable VAR.")
@handle_errors
def export(key_file: str, fmt: str, private: bool, out: str | None, passphrase_env: str | None) -> None:
    """Export a key as Multikey, JWK or PEM (public by default).

    \b
    Example:
      omc keys export issuer.key --format jwk
    """
    import json

    from omc_vc._internal import atomic

    if private:
        pair = open_key(key_file, passphrase_env)
        public = pair.public_key
        if fmt == "multikey":
            text = json.dumps({"type": "Multikey", "publicKeyMultibase": public.multibase,
                               "secretKeyMultibase": pair.secret_multibase()}, indent=2)
        elif fmt == "jwk":
            text = json.dumps(pair.private_jwk(), indent=2)
        else:
            text = pair.private_pem()
        if out:
            atomic.write_text(out, text if text.endswith("\n") else text + "\n", mode=0o600)
        else:
            click.echo(text)
        return
    public = PublicKey.from_multibase(read_key_file_header(key_file)["publicKeyMultibase"])
    if fmt == "multikey":
        write_output(json.dumps({"type": "Multikey", "publicKeyMultibase": public.multibase}, indent=2), out)
    elif fmt == "jwk":
        write_output(json.dumps(public.jwk(), indent=2), out)
    else:
        write_output(public.pem(), out)


__all__ = ["keys_group", "open_key"]
