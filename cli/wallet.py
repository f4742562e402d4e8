"""``omc wallet ...`` (the learner's wallet) and ``omc qr ...`` (QR codes). Thin: the logic is in the library."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import click

from omc_vc import qr
from omc_vc._internal import atomic
from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.inert import inert
from omc_vc._internal.timeutil import parse_datetime
from omc_vc.certificate import certificate_html, certificate_pdf
from omc_vc.errors import MalformedValueError, QrError, WalletError
from omc_vc.i18n import N_, Message, Translator, translatable
from omc_vc.verdict import make_verifier
from omc_vc.verify import Verifier
from omc_vc.wallet import (
    Wallet,
    WalletItem,
    WalletSettings,
    default_wallet_dir,
    read_source,
)

from ._common import (
    EXIT_FAILED,
    TERMINAL_HINT,
    VERIFIER_URL_ENV,
    VERIFIER_URL_OPTION,
    AliasedOption,
    confirm,
    default_registry,
    emit_json,
    fail,
    get_passphrase,
    handle_errors,
    output_option,
    read_input,
    say,
    write_output,
)
from ._lang import OmcSubGroup, words
from .core import build_verifier, registry_options, verifier_options

F = TypeVar("F", bound=Callable[..., Any])


def _wallet_options(func: F) -> F:
    func = click.option("--passphrase-env", metavar="VAR",
                        help="Read the wallet passphrase from environment variable VAR (otherwise prompt).")(func)
    func = click.option("--wallet", "wallet_dir", type=click.Path(file_okay=False), envvar="OMC_WALLET",
                        help="Wallet folder (default: your user-data folder; env OMC_WALLET).")(func)
    return func


def _base_url_option(func: F) -> F:
    # the one name of the verifier's address (README "One vocabulary"); --base-url and --service were its
    # older spellings here and are still accepted
    return click.option(VERIFIER_URL_OPTION, "--base-url", "--service", "base_url", cls=AliasedOption,
                        envvar=VERIFIER_URL_ENV, metavar="URL",
                        help="Verifier service the QR code opens and, in short mode, that hosts the copy (env "
                             "OMC_VERIFIER_URL); default: the wallet's "
                             "setting (omc wallet settings), else the issuing institution's public verifier as the "
                             "registry records it.")(func)


def _demo_option(func: F) -> F:
    return click.option("--demo", "demo_url", is_flag=True,
                        help="Allow a loopback or private verifier address (the local demo only; a printed code "
                             "pointing there opens on no employer's phone).")(func)


def _verifier_options(func: F) -> F:
    """The shared verifier options of ``omc verify`` (cli.core), typed for mypy."""
    return cast(F, verifier_options(func))  # type: ignore[no-untyped-call]


def _wallet_verifier(verifier_kwargs: dict[str, Any]) -> Verifier:
    """``build_verifier`` from the shared options; without a registry the wallet still checks status lists and
    the OMC profile (make_verifier), so a revoked credential is shown revoked even when no registry is given.
    The registry and anchors default as ``omc verify``'s do (--registry, OMC_REGISTRY, the user config file)."""
    registry, anchors = default_registry(verifier_kwargs.get("registry"), verifier_kwargs.get("anchors"),
                                         demo=bool(verifier_kwargs.get("demo")))
    verifier_kwargs = {**verifier_kwargs, "registry": registry, "anchors": anchors}
    verifier = build_verifier(**verifier_kwargs)
    if verifier.extra_checks:
        return verifier
    cache = verifier_kwargs.get("registry_cache")
    return make_verifier(resolver=verifier.resolver, fetcher=verifier.fetcher, offline=verifier.fetcher is None,
                         cache_dir=Path(cache) if cache else None)


def _folder(wallet_dir: str | None) -> Path:
    return Path(wallet_dir) if wallet_dir else default_wallet_dir()


def _passphrase(passphrase_env: str | None, *, confirm: bool = False) -> str:
    return get_passphrase(passphrase_env, confirm=confirm, what="Wallet", hint=TERMINAL_HINT)


def _open(wallet_dir: str | None, passphrase_env: str | None, *, create: bool = False) -> Wallet:
    folder = _folder(wallet_dir)
    if create and not Wallet.exists(folder):
        wallet = Wallet.create(folder, _passphrase(passphrase_env, confirm=True))
        click.echo(words().tr("Created a new wallet in {folder}; your holder DID is {did}", folder=str(folder),
                              did=wallet.holder_did), err=True)
        return wallet
    return Wallet.open(folder, _passphrase(passphrase_env))


_FLAGS = ((N_("REVOKED"), "revoked"), (N_("SUSPENDED"), "suspended"), (N_("EXPIRED"), "expired"),
          (N_("NOT YET VALID"), "notYetValid"))
_KINDS = {"valid-omc": "OMC", "valid-omc-plus": "OMC+", "valid-not-omc": N_("not an OMC"),
          "invalid": N_("INVALID")}


def _verdict_line(item: WalletItem) -> str:
    """The stored verdict in the reader's language (the record keeps its words in each language: the
    headline as it was rendered when the credential was checked)."""
    t = words()
    verdict = item.verdict
    flags = [t.gettext(word) for word, key in _FLAGS if verdict.get(key)]
    status = str(verdict.get("status"))
    kind = t.gettext(_KINDS[status]) if status in _KINDS else status
    headline = verdict.get("headline", "")
    translated = verdict.get("translations", {}).get(t.language) if isinstance(verdict.get("translations"), dict) \
        else None
    if isinstance(translated, dict) and isinstance(translated.get("headline"), str):
        headline = translated["headline"]
    return t.gettext("{kind}: {headline}").format(kind=kind + (" - " + ", ".join(flags) if flags else ""),
                                                  headline=inert(headline))


#: The labels of ``omc wallet show``, aligned in a column of the widest one's width.
_LABELS = {"learner": N_("learner:"), "issued by": N_("issued by:"), "details": N_("details:"),
           "verdict": N_("verdict:"), "reason": N_("reason:"), "flagged": N_("FLAGGED:")}


def _day(value: object, t: Translator) -> str:
    """A date a credential states, as the reader writes dates (ISO 8601 in English, ``15 juin 2026`` in French);
    any other text as the document wrote it (inert)."""
    return t.day(inert(value, limit=40))


def _checked(value: object, t: Translator) -> str:
    """When the verdict was found: the stored timestamp in English (as before), ``20 juin 2026 à 14 h 02 (UTC)``."""
    text = inert(value or "?", limit=40)
    if t.language == "en":
        return text
    try:
        return t.utc_moment(parse_datetime(text))
    except MalformedValueError:
        return text


def _hours(hours: object, t: Translator, *, short: bool = False) -> str:
    """Instructional hours: ``42 hours`` (``42 h`` in a list line); a value that is not a number as written."""
    if isinstance(hours, int | float) and not isinstance(hours, bool):
        return t.amount(hours) + " h" if short else t.quantity(hours, "hour")
    shown = inert(hours, limit=20)
    return shown + " h" if short else t.ngettext("{n} hour", "{n} hours", 2).format(n=shown)


def _facts_line(facts: dict[str, Any], t: Translator, *, short: bool) -> str:
    """Hours, result and dates, joined with ``; ``, in the reader's words."""
    bits = [_hours(facts["hours"], t, short=short) if facts["hours"] is not None else None,
            t.tr("result {result}", result=inert(facts["result"], limit=60 if short else 100))
            if facts["result"] else None,
            t.tr("completed {day}", day=_day(facts["completed"], t)) if facts["completed"] else None,
            t.tr("issued {day}", day=_day(facts["issued"], t)) if facts["issued"] else None]
    if not short:
        bits.append(t.tr("valid until {day}", day=_day(facts["validUntil"], t)) if facts["validUntil"] else None)
    return "; ".join(b for b in bits if b)


def _detail(detail: str, t: Translator) -> str:
    """An error's detail: ours in the reader's language, any other text as it is."""
    return t.render(detail) if translatable(detail) else detail


def _hosted(url: str, expires: str, item_id: str) -> str:
    """Where a short-mode share is hosted, until when, and how to withdraw it."""
    t = words()
    return t.gettext("Hosted at {url} until {when} (withdraw: omc wallet withdraw {id})").format(
        url=url, when=_checked(expires, t), id=item_id)


def _reason(item: WalletItem, t: Translator) -> str:
    """The stored verdict's reason in the reader's language (its ``translations``), else as stored."""
    translations = item.verdict.get("translations")
    translated = translations.get(t.language) if isinstance(translations, dict) else None
    if isinstance(translated, dict) and isinstance(translated.get("reason"), str) and translated["reason"]:
        return str(translated["reason"])
    return str(item.verdict.get("reason") or "")


def _show_item(item: WalletItem) -> None:
    # names from the credential are printed inert (say) and bounded one by one (inert), so none can add a line
    t = words()
    labels = {key: t.gettext(label) for key, label in _LABELS.items()}
    width = max(len(label) for label in labels.values()) + 1

    def line(key: str, value: str) -> None:
        say(f"  {labels[key]:<{width}}{value}")

    facts = item.facts()
    say(f"{item.id}  {inert(item.name)}")
    if facts["learner"] or facts["subject"]:
        line("learner", inert(facts["learner"] or facts["subject"]))
    confirmed = "" if item.verdict.get("institution") else \
        " " + t.gettext("(as the credential names it; not confirmed by a registry)")
    line("issued by", f"{inert(item.issuer_name)}{confirmed}")
    details = _facts_line(facts, t, short=False)
    if details:
        line("details", details)
    checked = t.tr("(checked {when})", when=_checked(item.verdict.get("checkedAt"), t))
    line("verdict", f"{_verdict_line(item)} {checked}")
    if item.verdict.get("reason"):
        line("reason", _reason(item, t))
    if item.subject_flag:
        line("flagged", t.gettext("not yours? {why}").format(why=item.subject_flag_in(t)))


def _list_line(item: WalletItem) -> str:
    """One line of ``omc wallet list``: name, institution, hours, result, dates, the last verdict and when."""
    t = words()
    shown = _facts_line(item.facts(), t, short=True)
    flag = "  " + t.gettext("FLAGGED: not issued to this wallet's holder or learner") if item.subject_flag else ""
    checked = t.tr("(checked {when})", when=_checked(item.verdict.get("checkedAt"), t))
    return f"{item.id}  {inert(item.name)}  [{inert(item.issuer_name)}]  {shown}  {_verdict_line(item)} {checked}{flag}"


def _fetcher(offline: bool, allow_http_loopback: bool) -> Fetcher | None:
    return None if offline else Fetcher(allow_loopback=allow_http_loopback)


# --- omc wallet -------------------------------------------------------------------------------------------

@click.group("wallet", cls=OmcSubGroup)
def wallet_group() -> None:
    """The learner's wallet: hold credentials, present them, track stacks, share them by QR code.

    The wallet is a folder (your user-data folder by default, --wallet DIR to choose) encrypted with a
    passphrase (scrypt + AES-256-GCM). It holds a did:key holder key, created on first use.

    \b
    Example:
      export OMC_WALLET_PASS='correct horse battery staple'
      omc wallet init --passphrase-env OMC_WALLET_PASS
      omc wallet import omc.json --passphrase-env OMC_WALLET_PASS
      omc wallet list --passphrase-env OMC_WALLET_PASS
    """


@wallet_group.command("init")
@_wallet_options
@click.option("--learner-name", "--name", "learner", cls=AliasedOption, metavar="NAME",
              help="Your name as your credentials carry it (a credential for neither this name nor your holder "
                   "DID is flagged on import).")
@click.option("--verifier-url", metavar="URL",
              help="The public verifier service your QR codes and certificates open (https). Without it, each "
                   "credential's institution's public verifier from the registry is used.")
@click.option("--demo", is_flag=True, help="A DEMO wallet: its verifier may be a loopback or private address.")
@click.option("--json", "as_json", is_flag=True, help="Print the wallet folder, holder DID and settings as JSON.")
@handle_errors
def init_cmd(wallet_dir: str | None, passphrase_env: str | None, learner: str | None, verifier_url: str | None,
             demo: bool, as_json: bool) -> None:
    """Create a wallet and its holder key (did:key, Ed25519). Give the holder DID to your institution.

    \b
    Example:
      omc wallet init --wallet ~/omc-wallet --passphrase-env OMC_WALLET_PASS \\
          --learner-name "Ana Silva" --verifier-url https://verify.example.ca
    """
    folder = _folder(wallet_dir)
    if Wallet.exists(folder):
        raise WalletError(Message("a wallet already exists in {folder}", folder=str(folder)), code="WALLET_EXISTS")
    settings = WalletSettings(verifier_url, learner, demo).checked()  # before the passphrase prompt
    wallet = Wallet.create(folder, _passphrase(passphrase_env, confirm=True), settings=settings)
    if as_json:
        emit_json({"wallet": str(folder), "holder": wallet.holder_did, "settings": wallet.settings.to_json()})
    else:
        t = words()
        click.echo(t.tr("Wallet created in {folder}", folder=str(folder)))
        click.echo(t.tr("Holder DID: {did}", did=wallet.holder_did))
        _echo_settings(wallet.settings)


def _echo_settings(settings: WalletSettings) -> None:
    t = words()
    say(t.tr("Learner name: {name}",
             name=settings.learner_name or t.gettext("(not set: omc wallet settings --learner-name NAME)")))
    unset = t.gettext("(not set: the issuing institution's public verifier from the registry, where it names one)")
    say(t.tr("Verifier URL: {url}", url=settings.verifier_url or unset)
        + (" " + t.gettext("[DEMO wallet]") if settings.demo else ""))


@wallet_group.command("settings")
@_wallet_options
@click.option("--learner-name", metavar="NAME", help="Set your name as your credentials carry it.")
@click.option("--verifier-url", metavar="URL", help="Set the public verifier your QR codes and certificates open.")
@click.option("--clear-verifier-url", is_flag=True, help="Forget the verifier URL (use each institution's).")
@click.option("--demo/--no-demo", default=None, help="Mark the wallet as a DEMO wallet (loopback verifier allowed).")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@handle_errors
def settings_cmd(wallet_dir: str | None, passphrase_env: str | None, learner_name: str | None,
                 verifier_url: str | None, clear_verifier_url: bool, demo: bool | None, as_json: bool) -> None:
    """Show or change the wallet's settings: your name and the verifier your QR codes point at.

    The verifier URL is set once here (or at init): every QR code and certificate then opens it. It must be a
    public https service; a loopback or private address is refused (VERIFIER_URL_NOT_PUBLIC) unless the
    wallet is a DEMO wallet.

    \b
    Example:
      omc wallet settings --verifier-url https://verify.example.ca --learner-name "Ana Silva"
      omc wallet settings --json
    """
    if verifier_url and clear_verifier_url:
        fail("USAGE_ERROR: " + words().gettext("give --verifier-url or --clear-verifier-url, not both"))
    wallet = _open(wallet_dir, passphrase_env)
    current = wallet.settings
    if learner_name is not None or verifier_url is not None or clear_verifier_url or demo is not None:
        current = wallet.update_settings(WalletSettings(
            None if clear_verifier_url else (verifier_url or current.verifier_url),
            current.learner_name if learner_name is None else learner_name,
            current.demo if demo is None else demo))
    if as_json:
        emit_json(current.to_json())
    else:
        _echo_settings(current)


@wallet_group.command("did")
@_wallet_options
@handle_errors
def did_cmd(wallet_dir: str | None, passphrase_env: str | None) -> None:
    """Print the wallet's holder DID (the id institutions should issue your credentials to).

    \b
    Example:
      omc wallet did --passphrase-env OMC_WALLET_PASS
    """
    click.echo(_open(wallet_dir, passphrase_env).holder_did)


@wallet_group.command("import")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@_wallet_options
@click.option("--json", "as_json", is_flag=True, help="Print what was imported, with verdicts, as JSON.")
@_verifier_options
@registry_options
@handle_errors
def import_cmd(sources: tuple[str, ...], wallet_dir: str | None, passphrase_env: str | None, as_json: bool,
               **verifier_kwargs: Any) -> None:
    """Verify and store credentials. SOURCE is a file (JSON or JWT), a URL, a JWT, a QR image, or -.

    Every credential is verified and its verdict stored and shown: the institution, OMC / OMC+ / not an
    OMC, revoked, expired. A credential whose signature does not verify is refused (exit 1). The wallet
    and its holder key are created on first use.

    \b
    Example:
      omc wallet import omc.json --passphrase-env OMC_WALLET_PASS
      omc wallet import omc.json --registry https://mcu.example.ca/omc/registry.json
      omc wallet import qr-code.png https://college.example.ca/omc/123.json
      omc wallet import "https://verify.example.ca/v#01234..." --offline
    """
    wallet = _open(wallet_dir, passphrase_env, create=True)
    verifier = _wallet_verifier(verifier_kwargs)
    fetcher = _fetcher(bool(verifier_kwargs.get("offline")), bool(verifier_kwargs.get("allow_http_loopback")))
    report: list[dict[str, Any]] = []
    refused = 0
    t = words()
    with click.progressbar(sources, label=t.gettext("Importing"), file=sys.stderr,
                           hidden=len(sources) < 2 or as_json) as bar:
        for source in bar:
            try:
                payload, origin = read_source(source, fetcher=fetcher, stdin=lambda: read_input("-"))
                item, new = wallet.add(payload, verifier=verifier, source=origin)
            except WalletError as exc:
                if exc.code != "WALLET_REJECTED_INVALID":
                    raise
                refused += 1
                say(f"error: {source}: {exc.code}: {_detail(exc.detail, t)}", err=True)
                report.append({"source": source, "imported": False, "error": exc.problem()})
                continue
            report.append({"source": source, "imported": new, **item.summary(), "verdict": item.verdict})
            if not as_json:
                click.echo(t.tr("Imported {id}", id=item.id) if new else
                           t.tr("Already in the wallet: {id}", id=item.id))
                _show_item(item)
            if item.subject_flag and new:
                # the whole line is made inert by say: a long reason is not cut short
                say("warning: SUBJECT_NOT_HOLDER: " + t.gettext("{id} was stored FLAGGED: {why}").format(
                    id=item.id, why=item.subject_flag_in(t)), err=True)
    if as_json:
        emit_json(report)
    if refused:
        sys.exit(EXIT_FAILED)


@wallet_group.command("list")
@_wallet_options
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@handle_errors
def list_cmd(wallet_dir: str | None, passphrase_env: str | None, as_json: bool) -> None:
    """List the credentials held: hours, result, dates and the last verdict. Damaged records are listed too.

    \b
    Example:
      omc wallet list --passphrase-env OMC_WALLET_PASS
      omc wallet list --json
    """
    t = words()
    wallet = _open(wallet_dir, passphrase_env)
    items, damaged = wallet.items()
    if as_json:
        emit_json({"holder": wallet.holder_did, "credentials": [i.summary() for i in items],
                   "damaged": [{"id": i, "error": e.problem()} for i, e in damaged]})
    else:
        click.echo(t.tr("Holder: {did}", did=wallet.holder_did))
        if not items and not damaged:
            click.echo(t.gettext("The wallet is empty."))
        for item in items:
            say(_list_line(item))
        for item_id, error in damaged:
            say(f"{item_id}  " + t.tr("DAMAGED: {detail}", detail=_detail(error.detail, t)))
    if damaged:
        click.echo("warning: " + t.tr("{n} record(s) are damaged; they were left as they are",
                                      n=t.amount(len(damaged))), err=True)


@wallet_group.command("show")
@click.argument("item_id", metavar="ID")
@_wallet_options
@click.option("--json", "as_json", is_flag=True, help="Print the record (credential, verdict, shares) as JSON.")
@handle_errors
def show_cmd(item_id: str, wallet_dir: str | None, passphrase_env: str | None, as_json: bool) -> None:
    """Show one credential: learner, institution, hours, result, dates, its last verdict and its shares.

    \b
    Example:
      omc wallet show 3fa2c1 --passphrase-env OMC_WALLET_PASS
    """
    item = _open(wallet_dir, passphrase_env).get(item_id)
    if as_json:
        record = item.to_record()
        record["shares"] = [s.to_json() for s in item.shares]
        emit_json(record)
        return
    _show_item(item)
    for check, status in item.verdict.get("checks", {}).items():
        click.echo(f"    {check}: {status}")  # a check's name and status are codes, the same in every language
    t = words()
    say("  " + t.tr("format: {format}; imported {imported} from {source}; last checked {checked}",
                    format=item.format, imported=_checked(item.imported, t), source=item.source or "?",
                    checked=_checked(item.verdict.get("checkedAt"), t)))
    for share in item.shares:
        state = t.gettext("withdrawn") if share.withdrawn else t.tr("expires {when}", when=_checked(share.expires, t))
        say("  " + t.tr("shared at {url} ({state})", url=share.url, state=state))


@wallet_group.command("remove")
@click.argument("item_id", metavar="ID")
@_wallet_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def remove_cmd(item_id: str, wallet_dir: str | None, passphrase_env: str | None, yes: bool) -> None:
    """Remove a credential from the wallet (a damaged record too, by its full id).

    \b
    Example:
      omc wallet remove 3fa2c1 --yes --passphrase-env OMC_WALLET_PASS
    """
    wallet = _open(wallet_dir, passphrase_env)
    full = wallet.resolve_id(item_id)
    t = words()
    if not yes and not confirm(t.tr("Remove {id} from the wallet?", id=full)):
        fail("REFUSED: " + t.gettext("not removed"), EXIT_FAILED)
    wallet.remove(full)
    click.echo(t.tr("Removed {id}", id=full))


@wallet_group.command("export")
@click.argument("item_id", metavar="ID")
@_wallet_options
@click.option("--format", "fmt", type=click.Choice(["json", "jwt", "html", "pdf"]), default="json", show_default=True,
              help="json/jwt: the credential as issued; html/pdf: a one-page certificate with its QR code.")
@output_option(N_("Output file (required for pdf; default stdout)."))
@click.option("--paper", type=click.Choice(["letter", "a4"]), default="letter", show_default=True,
              help="pdf: the page size (the html certificate prints on either).")
@click.option("--mode", type=click.Choice(["link", "short"]), default="link", show_default=True,
              help="The certificate's QR code: link (the whole credential, nothing hosted; a large code) or short "
                   "(a hosted copy on the verifier service; a small code).")
@click.option("--ttl-days", type=click.IntRange(1, 365), default=365, show_default=True,
              help="Short mode: days until the hosted copy expires.")
@click.option("--last-verdict", is_flag=True,
              help="Show the verdict of the last check instead of verifying again now.")
@_base_url_option
@_verifier_options
@registry_options
@handle_errors
def export_cmd(item_id: str, wallet_dir: str | None, passphrase_env: str | None, fmt: str, out: str | None,
               paper: str, mode: str, ttl_days: int, last_verdict: bool, base_url: str | None,
               **verifier_kwargs: Any) -> None:
    """Export a credential as issued (json, jwt) or as a one-page certificate for people (html, pdf).

    The certificate shows the learner, the achievement, the institution, hours, category, credits, result,
    dates, OMC+ targets, the verdict when exported (verified again now, unless --last-verdict) and a QR code
    that opens the verifier set once in the wallet's settings (or the institution's public verifier). html is
    self-contained (inline SVG, no external resources), readable on a phone and prints on Letter or A4; pdf
    has selectable text and a vector QR code. --demo also allows a loopback verifier (the local demo only).

    \b
    Example:
      omc wallet export 3fa2c1 --format html --out certificate.html
      omc wallet export 3fa2c1 --format pdf --out certificate.pdf --paper a4 --verifier-url https://verify.example.ca
    """
    wallet = _open(wallet_dir, passphrase_env)
    item = wallet.get(item_id)
    if fmt == "json":
        if isinstance(item.credential, str):
            raise WalletError(Message("{id} is a VC-JWT: export it with --format jwt", id=item.id),
                              code="WALLET_BAD_INPUT")
        write_output(json.dumps(item.credential, indent=2, ensure_ascii=False), out)
        return
    if fmt == "jwt":
        if not isinstance(item.credential, str):
            raise WalletError(Message("{id} has a Data Integrity proof: export it with --format json", id=item.id),
                              code="WALLET_BAD_INPUT")
        write_output(item.credential, out)
        return
    if fmt == "pdf" and not out:
        fail("USAGE_ERROR: " + words().gettext("--out FILE is required for --format pdf"))
    # --demo: the demo's registry anchor, and a loopback verifier allowed (the local demo only)
    base, origin = wallet.verifier_url_for(item, given=base_url, demo=bool(verifier_kwargs.get("demo")))
    if not last_verdict:
        item = wallet.refresh(item.id, verifier=_wallet_verifier(verifier_kwargs))
    if mode == "short":
        share = wallet.share(item.id, service=base, ttl_seconds=ttl_days * 86400,
                             fetcher=Fetcher(allow_loopback=bool(verifier_kwargs.get("allow_http_loopback"))))
        link = share.url
        say(_hosted(share.url, share.expires, item.id), err=True)
    else:
        link = qr.encode_link(item.credential, base)
    if fmt == "html":
        write_output(certificate_html(item, link), out)
    else:
        for note in certificate_pdf(item, link, Path(str(out)), paper="a4" if paper == "a4" else "letter"):
            say(words().tr("note: {note}", note=note), err=True)
    say(words().gettext("Certificate ({format}, {mode} mode) verifies at {url} ({origin}); verdict: {verdict}").format(
        format=fmt, mode=mode, url=base, origin=_detail(origin, words()), verdict=_verdict_line(item)), err=True)


@wallet_group.command("check")
@_wallet_options
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts and changes as JSON.")
@_verifier_options
@registry_options
@handle_errors
def check_cmd(wallet_dir: str | None, passphrase_env: str | None, as_json: bool, **verifier_kwargs: Any) -> None:
    """Verify every credential again (signatures, status, registry) and show what changed.

    \b
    Example:
      omc wallet check --passphrase-env OMC_WALLET_PASS
      omc wallet check --registry https://mcu.example.ca/omc/registry.json --json
    """
    wallet = _open(wallet_dir, passphrase_env)
    verifier = _wallet_verifier(verifier_kwargs)
    t = words()
    with click.progressbar(length=len(wallet.ids()), label=t.gettext("Checking"), file=sys.stderr,
                           hidden=as_json) as bar:
        items, changes = wallet.recheck(verifier=verifier, progress=lambda _item: bar.update(1))
    _, damaged = wallet.items()
    if as_json:
        emit_json({"credentials": [i.summary() for i in items], "changes": [c.to_json() for c in changes],
                   "damaged": [i for i, _ in damaged]})
        return
    for item in items:
        say(f"{item.id}  {inert(item.name)}  {_verdict_line(item)}")
    if changes:
        click.echo(t.gettext("Changed since the last check:"))
        for change in changes:
            say(f"  {change.id}  {inert(change.name)}: {change.before} -> {change.after}")
    else:
        click.echo(t.gettext("Nothing changed since the last check."))
    for item_id, error in damaged:
        say("warning: " + t.tr("{id} is damaged: {detail}", id=item_id, detail=_detail(error.detail, t)), err=True)


@wallet_group.command("present")
@click.argument("item_ids", nargs=-1, required=True, metavar="ID...")
@_wallet_options
@click.option("--challenge", required=True, help="The verifier's challenge (binds the presentation to one request).")
@click.option("--domain", help="The verifier's domain (who the presentation is for).")
@click.option("--format", "fmt", type=click.Choice(["di", "jwt"]), default="di", show_default=True,
              help="Data Integrity proof (eddsa-rdfc-2022) or a VP-JWT (VC-JOSE-COSE).")
@click.option("--valid-minutes", type=click.IntRange(1, 24 * 60), default=15, show_default=True,
              help="How long the presentation stays valid.")
@output_option(N_("Write here instead of stdout."))
@handle_errors
def present_cmd(item_ids: tuple[str, ...], wallet_dir: str | None, passphrase_env: str | None, challenge: str,
                domain: str | None, fmt: str, valid_minutes: int, out: str | None) -> None:
    """Build a Verifiable Presentation of credentials, signed by your holder key (purpose authentication).

    \b
    Example:
      omc wallet present 3fa2c1 --challenge 8c1f0e --domain hr.employer.example.ca --out vp.json
      omc verify vp.json --challenge 8c1f0e --domain hr.employer.example.ca
    """
    from datetime import timedelta

    wallet = _open(wallet_dir, passphrase_env)
    for wanted in item_ids:
        item = wallet.get(wanted)
        if not item.verdict.get("verified"):
            say("warning: " + words().gettext("{id} did not verify when last checked ({verdict}); a verifier will "
                                              "likely refuse it").format(id=item.id, verdict=_verdict_line(item)),
                err=True)
    fmt_value: Literal["di", "jwt"] = "jwt" if fmt == "jwt" else "di"
    vp = wallet.present(list(item_ids), challenge=challenge, domain=domain, fmt=fmt_value,
                        valid_for=timedelta(minutes=valid_minutes))
    write_output(vp if isinstance(vp, str) else json.dumps(vp, indent=2, ensure_ascii=False), out)


@wallet_group.command("stacks")
@_wallet_options
@click.option("--json", "as_json", is_flag=True, help="Print the progress as JSON.")
@output_option(N_("Also export the credentials as a bundle to this file."), name="--export",
               dest="export_file")
@click.option("--format", "fmt", type=click.Choice(["clr", "json"]), default="clr", show_default=True,
              help="clr: a ClrCredential-style VC signed by your holder key; json: plain JSON, unsigned.")
@handle_errors
def stacks_cmd(wallet_dir: str | None, passphrase_env: str | None, as_json: bool, export_file: str | None,
               fmt: str) -> None:
    """Show progress toward each larger credential (OMC+ stacking target) from the valid credentials held.

    Revoked, expired or otherwise invalid credentials do not count. --export writes a bundle: clr is a
    ClrCredential-style VC (type ClrCredential, a ClrSubject holding the full signed credentials and
    isPartOf associations) signed by your holder key; its CLR terms come from an inline JSON-LD context
    (the official CLR 2.0 context is not bundled), so it verifies offline but is not a certified CLR 2.0
    document. json is the same content unsigned, with the progress figures.

    \b
    Example:
      omc wallet stacks --passphrase-env OMC_WALLET_PASS
      omc wallet stacks --export my-record.json --format clr
    """
    wallet = _open(wallet_dir, passphrase_env)
    progress = wallet.stacks()
    if export_file:
        bundle = wallet.bundle(fmt="json" if fmt == "json" else "clr")
        atomic.write_json(export_file, bundle)
        say(words().gettext("Wrote the {format} bundle to {path}").format(format=fmt, path=export_file), err=True)
    if as_json:
        emit_json([p.to_json() for p in progress])
        return
    if not progress:
        click.echo(words().gettext("No OMC+ stacking targets among the valid credentials held."))
    for item in progress:
        say(item.line(words()))
        for missing in item.missing:
            say("    " + words().gettext("still needed: {what}").format(what=missing))


@wallet_group.command("qr")
@click.argument("item_id", metavar="ID")
@_wallet_options
@output_option(N_("Image file: .png or .svg."), required=True)
@click.option("--mode", type=click.Choice(["link", "short"]), default="link", show_default=True,
              help="link: the whole credential in the URL fragment (nothing hosted); short: a hosted copy.")
@_base_url_option
@click.option("--ttl-days", type=click.IntRange(1, 365), default=7, show_default=True,
              help="Short mode: days until the hosted copy expires.")
@click.option("--max-version", type=click.IntRange(1, 40), default=40, show_default=True,
              help="Link mode: refuse QR codes larger than this version.")
@_demo_option
@click.option("--allow-http-loopback", is_flag=True, hidden=True, help="Allow http to loopback (tests, demo).")
@handle_errors
def qr_cmd(item_id: str, wallet_dir: str | None, passphrase_env: str | None, out: str, mode: str,
           base_url: str | None, ttl_days: int, max_version: int, demo_url: bool,
           allow_http_loopback: bool) -> None:
    """Draw a QR code for a credential that an employer's phone camera opens on the verifier page.

    The verifier is the one set once in the wallet (omc wallet init/settings --verifier-url), else the
    issuing institution's public verifier as the registry records it; --verifier-url overrides it. A loopback
    or private address is refused (VERIFIER_URL_NOT_PUBLIC) outside a demo. The image prints at the mode's
    size (PNG at 300 dpi, SVG in mm; docs/qr-format.md). Prints the QR version. Link mode refuses (and
    suggests short mode) when the credential does not fit. Short mode hosts a copy on the service until it
    expires or you withdraw it (omc wallet withdraw).

    \b
    Example:
      omc wallet qr 3fa2c1 --out omc.png
      omc wallet qr 3fa2c1 --out omc.svg --mode short --verifier-url https://verify.example.ca
    """
    kind = _image_kind(out)
    wallet = _open(wallet_dir, passphrase_env)
    item = wallet.get(item_id)
    if mode == "link":
        base, origin = wallet.verifier_url_for(item, given=base_url, demo=demo_url)
        text = qr.encode_link(item.credential, base)
        version = qr.make_qr_image(text, Path(out), kind=kind, max_version=max_version, mode="link")
    else:
        base, origin = wallet.verifier_url_for(item, given=base_url, demo=demo_url)
        share = wallet.share(item.id, service=base, ttl_seconds=ttl_days * 86400,
                             fetcher=Fetcher(allow_loopback=allow_http_loopback))
        text = share.url
        version = qr.make_qr_image(text, Path(out), kind=kind, mode="short",
                                   max_version=qr.PROFILES["short"].max_version)
        say(_hosted(share.url, share.expires, item.id), err=True)
    drawn = qr.PROFILES["link" if mode == "link" else "short"]
    t = words()
    say(t.gettext("Verifier: {url} ({origin})").format(url=base, origin=_detail(origin, t)), err=True)
    wide = qr.symbol(text, mode="link" if mode == "link" else "short").printed_mm
    say(t.gettext("Wrote {path}: QR version {version}, {mode} mode, level {level}; print it {mm} mm wide").format(
        path=out, version=version, mode=mode, level=drawn.error_correction, mm=t.amount(wide)))


@wallet_group.command("withdraw")
@click.argument("item_id", metavar="ID")
@_wallet_options
@click.option("--share", "share_id", help="Withdraw only this share (default: every live share of ID).")
@click.option("--allow-http-loopback", is_flag=True, hidden=True, help="Allow http to loopback (tests, demo).")
@handle_errors
def withdraw_cmd(item_id: str, wallet_dir: str | None, passphrase_env: str | None, share_id: str | None,
                 allow_http_loopback: bool) -> None:
    """Withdraw short-mode shares of a credential: the hosted copies stop answering at once.

    \b
    Example:
      omc wallet withdraw 3fa2c1 --passphrase-env OMC_WALLET_PASS
    """
    wallet = _open(wallet_dir, passphrase_env)
    done = wallet.withdraw(item_id, fetcher=Fetcher(allow_loopback=allow_http_loopback), share_id=share_id)
    if not done:
        click.echo(words().gettext("No live shares to withdraw."))
    for share in done:
        say(words().gettext("Withdrew {url}").format(url=share.url))


def _image_kind(out: str) -> Literal["png", "svg"]:
    suffix = Path(out).suffix.lower()
    if suffix == ".png":
        return "png"
    if suffix == ".svg":
        return "svg"
    raise QrError(Message("{out}: the image file must end in .png or .svg", out=out), code="QR_BAD_IMAGE")


# --- omc qr ---------------------------------------------------------------------------------------------

@click.group("qr", cls=OmcSubGroup)
def qr_group() -> None:
    """Draw and read QR codes of credentials (link mode: the credential travels in the URL fragment).

    \b
    Example:
      omc qr encode signed.json --out omc.png
      omc qr decode omc.png --json
    """


@qr_group.command("encode")
@click.argument("input_file", metavar="FILE", type=click.Path(allow_dash=True))
@output_option(N_("Image file: .png or .svg."), required=True)
@click.option(VERIFIER_URL_OPTION, "--base-url", "base_url", cls=AliasedOption, envvar=VERIFIER_URL_ENV,
              metavar="URL", required=True,
              help="The public verifier service the QR code opens (https; env OMC_VERIFIER_URL).")
@_demo_option
@click.option("--max-version", type=click.IntRange(1, 40), default=40, show_default=True,
              help="Refuse QR codes larger than this version.")
@click.option("--json", "as_json", is_flag=True, help="Print the link and QR version as JSON.")
@handle_errors
def qr_encode_cmd(input_file: str, out: str, base_url: str, demo_url: bool, max_version: int, as_json: bool) -> None:
    """Draw a link-mode QR code for a credential or presentation (JSON file or VC-JWT; - for stdin).

    \b
    Example:
      omc qr encode signed.json --out omc.png --verifier-url https://verify.example.ca
    """
    kind = _image_kind(out)
    base = qr.check_verifier_url(base_url, demo=demo_url)
    text = read_input(input_file).decode("utf-8", errors="replace").strip()
    payload = qr.decode_payload(text)  # a JSON document or a compact JWS, checked and capped
    link = qr.encode_link(payload, base)
    version = qr.make_qr_image(link, Path(out), kind=kind, max_version=max_version)
    if as_json:
        emit_json({"out": out, "version": version, "link": link, "characters": len(link)})
    else:
        say(words().gettext("Wrote {path}: QR version {version} ({n} characters)").format(
            path=out, version=version, n=len(link)))


@qr_group.command("decode")
@click.argument("image", type=click.Path(dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the QR text and the decoded payload as JSON.")
@handle_errors
def qr_decode_cmd(image: str, as_json: bool) -> None:
    """Read a QR code image (PNG, JPEG, ... or an SVG written by omc) and print the credential it carries.

    Fully offline for link mode. A short-mode code prints its URL (use omc wallet import URL to fetch it).

    \b
    Example:
      omc qr decode omc.png > credential.json
      omc qr decode omc.png --json
    """
    text = qr.read_qr_image(Path(image))
    try:
        payload: Any = qr.decode_payload(text)
        kind = "link" if text.lower().startswith(("https://", "http://")) else "bare"
    except QrError as exc:
        if exc.code != "QR_SHORT_LINK":
            raise
        payload, kind = None, "short"
    if as_json:
        emit_json({"content": text, "mode": kind, "payload": payload})
    elif payload is None:
        say(text)  # a short-mode link, read from an image: printed inert
    else:
        click.echo(payload if isinstance(payload, str) else json.dumps(payload, indent=2, ensure_ascii=False))
