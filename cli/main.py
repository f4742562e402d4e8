"""The ``omc`` command: registers each area's commands. No logic of its own."""

from __future__ import annotations

import click

from omc_vc import __version__

from ._common import OmcGroup
from ._lang import set_language
from .core import did_group, sign_cmd, verify_cmd
from .keys import keys_group

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


@click.group(cls=OmcGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="omc")
@click.option("--lang", metavar="LANG", is_eager=True, expose_value=False, callback=set_language,
              help="Language of verdicts and messages: en or fr (default: the locale, LANG / LC_MESSAGES).")
def cli() -> None:
    """omc-vc: Ontario Micro-Credentials as W3C Verifiable Credentials.

    \b
    Example:
      omc keys generate --type ed25519 --out issuer.key --passphrase-env OMC_PASS
      omc sign credential.json --key issuer.key --passphrase-env OMC_PASS --out signed.json
      omc verify signed.json
      omc --lang fr verify signed.json --registry registry.json

    Exit codes: 0 ok / verified, 1 not verified or refused, 2 usage or unreadable input, 3 internal error,
    130 interrupted. Every error is one line on stderr: error: CODE: detail.
    """


cli.add_command(keys_group)
cli.add_command(did_group)
cli.add_command(sign_cmd)
cli.add_command(verify_cmd)

# Each area registers its commands below, on its own line.
from .omc import COMMANDS as _OMC_COMMANDS  # noqa: E402

for _command in _OMC_COMMANDS:
    cli.add_command(_command)
# [status] commands
from .records import records_group  # noqa: E402  ([registrar] records)
from .report import catalogue_group, report_cmd  # noqa: E402  ([registrar] ministry report, catalogue export)

for _command in (records_group, report_cmd, catalogue_group):
    cli.add_command(_command)
from .registry import registry_group  # noqa: E402  [registry] commands

cli.add_command(registry_group)
from .wallet import qr_group, wallet_group  # noqa: E402

cli.add_command(wallet_group)
cli.add_command(qr_group)
from .offer import offer_group  # noqa: E402  ([wallets] credential offers)

cli.add_command(offer_group)
from . import wallet_receive  # noqa: E402, F401  ([wallets] omc wallet receive joins the wallet group)
from .web import serve_cmd  # noqa: E402  ([web])

cli.add_command(serve_cmd)
from .store import store_group  # noqa: E402  ([scale] omc store migrate)

cli.add_command(store_group)


def main() -> None:
    cli(prog_name="omc")


if __name__ == "__main__":
    main()
