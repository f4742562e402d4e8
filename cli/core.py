"""``omc did``, ``omc sign`` and ``omc verify``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.timeutil import format_datetime, parse_user_time
from omc_vc.did import DidResolver, did_web, did_web_document
from omc_vc.errors import DidError
from omc_vc.i18n import N_, Message, translatable
from omc_vc.keys import PublicKey, read_key_file_header
from omc_vc.model import types
from omc_vc.proofs import data_integrity, jose
from omc_vc.verify import Verifier

if TYPE_CHECKING:
    from omc_vc.model import VerificationResult
    from omc_vc.verdict import Verdict

from ._common import (
    EXIT_FAILED,
    default_registry,
    emit_json,
    handle_errors,
    open_key,
    output_option,
    read_input,
    say,
    user_config_path,
    write_output,
)
from ._lang import OmcCommand, OmcSubGroup, words

F = TypeVar("F", bound=Callable[..., Any])


@click.group("did", cls=OmcSubGroup)
def did_group() -> None:
    """Build DID documents."""


@did_group.command("web")
@click.argument("target", metavar="DOMAIN[:PATH]")
@click.option("--key", "key_files", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="Key file(s) to list (public parts only; no passphrase needed). Repeatable.")
@output_option(N_("Write did.json here (default: stdout)."))
@handle_errors
def did_web_cmd(target: str, key_files: tuple[str, ...], out: str | None) -> None:
    """Build the did:web DID document for DOMAIN (and optional :PATH) listing the keys as Multikey
    verification methods in assertionMethod and authentication.

    \b
    Example:
      omc did web registrar.college.example.ca:omc --key issuer.key --out did.json
      # then host did.json at https://registrar.college.example.ca/omc/did.json
    """
    domain, _, path = target.partition(":")
    port = None
    if "%3A" in domain:
        domain, _, port_text = domain.partition("%3A")
        port = int(port_text)
    did = did_web(domain, path or None, port=port)
    keys = []
    fragments = []
    for index, key_file in enumerate(key_files):
        header = read_key_file_header(key_file)
        keys.append(PublicKey.from_multibase(header["publicKeyMultibase"]))
        vm = header["verificationMethod"]
        fragments.append(vm.split("#", 1)[1] if vm.startswith(did + "#") else f"key-{index + 1}")
        if not vm.startswith(did + "#"):
            say(words().tr("note: {file} is addressed as {vm}; to sign as {key} use omc sign --verification-method "
                           "{key}", file=key_file, vm=vm, key=did + "#" + fragments[-1]), err=True)
    document = did_web_document(did, keys, fragments=fragments)
    write_output(json.dumps(document, indent=2), out)


@click.command("sign", cls=OmcCommand)
@click.argument("input_file", metavar="IN", type=click.Path(allow_dash=True))
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False), help="Key file to sign with.")
@click.option("--format", "fmt", type=click.Choice(["di", "jwt"]), default="di", show_default=True,
              help="Data Integrity proof, or VC-JWT.")
@click.option("--cryptosuite", type=click.Choice(["eddsa-rdfc-2022", "ecdsa-rdfc-2019", "eddsa-jcs-2022"]),
              help="Default: eddsa-rdfc-2022 for Ed25519 keys, ecdsa-rdfc-2019 for P-256 keys.")
@click.option("--jwt-profile", type=click.Choice(["vc-jose-cose", "ob3"]), default="vc-jose-cose", show_default=True)
@click.option("--created", help="Proof creation time (ISO 8601, default now).")
@click.option("--expires", help="Proof expiry time (ISO 8601).")
@click.option("--purpose", default=None, help="Proof purpose (default assertionMethod; authentication for a VP).")
@click.option("--challenge", help="Challenge to bind the proof to.")
@click.option("--domain", help="Domain to bind the proof to.")
@click.option("--verification-method", help="Override the key's verification method id (e.g. did:web:...#key-1).")
@output_option(N_("Write here instead of stdout."))
@click.option("--passphrase-env", metavar="VAR", help="Read the key passphrase from environment variable VAR.")
@handle_errors
def sign_cmd(input_file: str, key_file: str, fmt: str, cryptosuite: str | None, jwt_profile: str,
             created: str | None, expires: str | None, purpose: str | None, challenge: str | None,
             domain: str | None, verification_method: str | None, out: str | None,
             passphrase_env: str | None) -> None:
    """Sign a credential or presentation (IN is a JSON file, or - for stdin).

    \b
    Example:
      omc sign credential.json --key issuer.key --created 2023-02-24T23:36:38Z --out signed.json
      omc sign credential.json --key issuer.key --format jwt > credential.jwt
    """
    document = loads_object(read_input(input_file), what=input_file)
    pair = open_key(key_file, passphrase_env)
    if verification_method:
        pair = pair.with_id(verification_method, verification_method.split("#", 1)[0])
    is_vp = "VerifiablePresentation" in types(document)
    if fmt == "jwt":
        token = jose.sign_jwt(document, pair, profile=jwt_profile)  # type: ignore[arg-type]
        write_output(token, out)
        return
    created_text = format_datetime(parse_user_time(created, field="--created")) if created else None
    expires_text = format_datetime(parse_user_time(expires, field="--expires")) if expires else None
    signed = data_integrity.add_proof(document, pair, cryptosuite=cryptosuite,
                                      purpose=purpose or ("authentication" if is_vp else "assertionMethod"),
                                      created=created_text, expires=expires_text, challenge=challenge, domain=domain)
    write_output(json.dumps(signed, indent=2, ensure_ascii=False), out)


def verifier_options(func):  # type: ignore[no-untyped-def]
    """Options shared by every command that verifies (``verify``, wallet import, ...)."""
    func = click.option("--allow-http-loopback", is_flag=True, hidden=True,
                        help="Allow plain http to loopback (tests and the local demo only).")(func)
    func = click.option("--offline", is_flag=True, help="Never use the network (did:web must be pinned).")(func)
    func = click.option("--did-document", "did_documents", multiple=True, type=click.Path(dir_okay=False),
                        help="Pin a DID document (JSON file) instead of fetching it. Repeatable.")(func)
    return func


# the same decorator, typed, for this module's commands (wallet.py calls the untyped name)
_typed_verifier_options: Callable[[F], F] = verifier_options


def registry_options(func: F) -> F:
    """The ministry registry options of ``omc verify`` (the OMC verdict)."""
    func = click.option("--demo", is_flag=True,
                        help="Trust the DEMO ministry anchor (keys/demo-ministry-anchor.json); demos only.")(func)
    func = click.option("--registry-cache", type=click.Path(file_okay=False),
                        help="Folder for the cached registry and status lists (default: the user cache).")(func)
    func = click.option("--anchors", type=click.Path(dir_okay=False),
                        help="The ministry's trust anchors file (default: env OMC_ANCHORS, the user config "
                             "file's anchors:, else keys/ministry-anchors.json).")(func)
    func = click.option("--registry", metavar="URL-or-PATH",
                        help="The ministry's signed registry: with it, print the OMC verdict (default: env "
                             "OMC_REGISTRY, else the user config file's registry:; none: no OMC verdict).")(func)
    return func


#: The first line of plain mode (no registry): what was not done, before anything that reads like a verdict.
NO_VERDICT = N_("No OMC verdict: the issuer was NOT checked against the ministry's registry "
                "(give --registry, set OMC_REGISTRY, or set registry: in the user config file).")


def build_verifier(did_documents: tuple[str, ...], offline: bool, allow_http_loopback: bool, *,
                   registry: str | None = None, anchors: str | None = None, registry_cache: str | None = None,
                   demo: bool = False) -> Verifier:
    """The CLI's verifier. With ``registry``: the OMC verifier (status, OMC profile, registry checks)."""
    pinned = {}
    for path in did_documents:
        doc = loads_object(read_input(path), what=path)
        if not isinstance(doc.get("id"), str):
            raise DidError(Message("{path} is not a DID document (no id)", path=path))
        pinned[doc["id"]] = doc
    fetcher = None if offline else Fetcher(allow_loopback=allow_http_loopback)
    resolver = DidResolver(fetcher=fetcher, documents=pinned)
    # Always the full verifier: status lists (revocation) and the OMC profile are checked even without a
    # registry; the registry adds issuer-authorized and partnership, and the OMC verdict.
    from omc_vc.verdict import make_verifier

    return make_verifier(registry=registry, anchors=Path(anchors) if anchors else None, fetcher=fetcher,
                         cache_dir=Path(registry_cache) if registry_cache else None, resolver=resolver,
                         offline=offline, demo=demo)


def _reader_verdict(result: VerificationResult) -> Verdict:
    """The result's verdict in the reader's language (``--lang`` / the locale)."""
    from omc_vc.verdict import localized, verdict_of

    return localized(verdict_of(result), words().language)


def print_verdict(result) -> None:  # type: ignore[no-untyped-def]
    """The verdict first, in plain words (``omc verify --registry``), in the reader's language. The first line
    is always one of our own headlines; what follows quotes documents and is printed inert (``say``)."""
    if not isinstance(result.details.get("verdict"), dict):
        return
    t = words()
    verdict = _reader_verdict(result)
    if verdict.is_presentation:
        # a presentation: the headline sums up its credentials' verdicts (omc_vc.verdict.presentation_headline)
        say(verdict.headline)
    else:
        click.echo(verdict.headline)
    if verdict.institution:
        say("  " + t.tr("Institution: {name}", name=verdict.institution))
    say(f"  {verdict.reason}")
    for warning in verdict.warnings:
        say("  " + t.tr("Warning: {warning}", warning=warning))
    click.echo("")


def _check_line(check) -> str:  # type: ignore[no-untyped-def]
    """One check as a line: its name and detail in the reader's language where they are our words (a check's
    other details are technical and shown as they are)."""
    from omc_vc.verdict import CHECK_NAMES

    t = words()
    # English keeps the checks' own names (scripts and the docs quote them); French names them in words
    name = t.gettext(CHECK_NAMES[check.name]) if t.language != "en" and check.name in CHECK_NAMES else check.name
    mark = t.gettext(_MARKS[check.status])
    detail = t.render(check.detail) if isinstance(check.detail, Message) else check.detail
    return f"  [{mark:>4}] " + t.gettext("{check}: {detail}").format(check=name, detail=detail)


def print_result(result, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    if as_json:
        emit_json(result.to_json())
    else:
        t = words()
        for check in result.checks:
            say(_check_line(check))
        total = len(result.credentials)
        for index, sub in enumerate(result.credentials, 1):
            state = t.gettext("verified") if sub.verified else t.tr("NOT verified: {why}", why=sub.reason)
            say("  " + t.tr("Credential {index} of {total}: {state}", index=index, total=total, state=state))
        for warning in result.warnings:
            say("  " + t.tr("warning: {warning}", warning=t.render(warning["detail"])))
        click.echo(t.gettext("VERIFIED") if result.verified else t.gettext("NOT VERIFIED"))
        profile = result.check("omc-profile")
        if result.verified and profile is not None and profile.status == "warning":
            # it claims the OMC term but breaks the OMC profile: a valid credential, and plainly not an OMC
            # (docs/vocabulary.md, "The OMC claim"); the reasons are on the omc-profile line above
            click.echo(t.gettext("NOT a valid Ontario Micro-Credential: it claims to be one but does not meet the "
                                 "OMC profile (see omc-profile above)"))
    if not result.verified:
        # the code is the same in every language; the reason is the verdict's, in the reader's words
        reason = _reader_verdict(result).reason if isinstance(result.details.get("verdict"), dict) else result.reason
        say(f"error: {result.errors[0]['code']}: {reason}" if result.errors else
            f"error: NOT_VERIFIED: {reason or 'the document did not verify'}",
            err=True)


def _print_checks(result) -> None:  # type: ignore[no-untyped-def]
    for check in result.checks:
        say(_check_line(check))
    _print_presentation(result)


_MARKS = {"passed": N_("ok"), "failed": N_("FAIL"), "warning": N_("warn"), "skipped": N_("skip")}


def _print_presentation(result) -> None:  # type: ignore[no-untyped-def]
    """A presentation's own checks (holder, challenge, domain) and each credential's verdict, in plain words."""
    if result.kind != "presentation" or not isinstance(result.details.get("verdict"), dict):
        return
    t = words()
    verdict = _reader_verdict(result)
    if verdict.presentation:
        click.echo("")
        click.echo(t.gettext("The presentation itself:"))
        for check in verdict.presentation:
            mark = t.gettext(_MARKS.get(check.status, "?"))
            say(f"  [{mark:>4}] " + t.gettext("{check}: {detail}").format(check=check.label, detail=check.detail))
    for index, item in enumerate(verdict.credentials, 1):
        click.echo("")
        say(t.tr("Credential {index} of {total}: {headline}", index=index,
                 total=len(verdict.credentials), headline=item.headline))
        if item.institution:
            say("  " + t.tr("Institution: {name}", name=item.institution))
        say(f"  {item.reason}")
        for warning in item.warnings:
            say("  " + t.tr("Warning: {warning}", warning=warning))


@click.command("verify", cls=OmcCommand)
@click.argument("input_file", metavar="FILE", type=click.Path(allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the VerificationResult as JSON.")
@click.option("--now", help="Verify as of this time (ISO 8601; default now).")
@click.option("--challenge", help="Expected challenge (presentations).")
@click.option("--domain", help="Expected domain (presentations).")
@click.option("--checks", "only_checks", metavar="NAMES",
              help="Run only these core checks, comma-separated (e.g. proof). Default: all.")
@click.option("--require-omc", is_flag=True,
              help="Exit 1 unless the verdict is a valid OMC or OMC+ (for scripts; needs a registry).")
@_typed_verifier_options
@registry_options
@handle_errors
def verify_cmd(input_file: str, as_json: bool, now: str | None, challenge: str | None, domain: str | None,
               only_checks: str | None, require_omc: bool, did_documents: tuple[str, ...], offline: bool,
               allow_http_loopback: bool, registry: str | None, anchors: str | None, registry_cache: str | None,
               demo: bool) -> None:
    """Verify a credential or presentation (JSON with a Data Integrity proof, or a VC-JWT).

    Exit 0 when verified, 1 when not (the reason on stderr), 2 on usage or unreadable input.

    With --registry, the ministry's signed registry is fetched (or read), verified against the pinned
    anchors, and the OMC verdict is printed first: valid OMC, valid OMC+, valid credential but NOT an
    OMC, or invalid. Exit 0 for the three "valid" verdicts (read the verdict: "not an OMC" is still a
    valid credential), 1 for invalid. With --require-omc, exit 1 for every verdict but valid OMC / OMC+
    (and when no registry is configured: no verdict).

    The registry is, in this order: --registry, env OMC_REGISTRY, the user config file's registry:
    (the anchors likewise: --anchors, OMC_ANCHORS, anchors:). Without any, no OMC verdict is given and
    the first line says so: the issuer was not checked.

    \b
    Example:
      omc verify signed.json
      omc verify credential.jwt --json
      cat signed.json | omc verify - --now 2030-01-01T00:00:00Z
      omc verify w3c-vector.json --checks proof
      omc verify omc.json --registry https://www.ontario.ca/omc/registry.json --anchors anchors.json
      omc verify omc.json --registry registry.json --demo --offline
      OMC_REGISTRY=https://www.ontario.ca/omc/registry.json omc verify omc.json --require-omc
    """
    registry, anchors = default_registry(registry, anchors, demo=demo)
    data = read_input(input_file)
    moment = parse_user_time(now, field="--now") if now else None
    verifier = build_verifier(did_documents, offline, allow_http_loopback, registry=registry, anchors=anchors,
                              registry_cache=registry_cache, demo=demo)
    checks = [c.strip() for c in only_checks.split(",") if c.strip()] if only_checks else None
    result = verifier.verify(data, now=moment, challenge=challenge, domain=domain, checks=checks)
    parse = result.check("parse")
    if parse is not None:
        detail = words().render(parse.detail) if translatable(parse.detail) else result.reason
        say(f"error: {result.errors[0]['code']}: {detail}", err=True)
        sys.exit(2)
    if registry is not None:
        # the verdict decides: "valid but not an OMC" exits 0 and says so plainly; the codes are the same in
        # every language, the words are the reader's
        verdict = result.details.get("verdict", {})
        shown = _reader_verdict(result)
        invalid = verdict.get("status", "invalid") == "invalid"
        if as_json:
            emit_json(result.to_json())
        else:
            print_verdict(result)
            _print_checks(result)
        if invalid:
            code = verdict.get("code") or (result.errors[0]["code"] if result.errors else "NOT_VERIFIED")
            say(f"error: {code}: {shown.reason}", err=True)
        if require_omc and not invalid and verdict.get("status") not in ("valid-omc", "valid-omc-plus"):
            say(f"error: OMC_REQUIRED: {shown.headline}: {shown.reason}", err=True)
            sys.exit(EXIT_FAILED)
        sys.exit(EXIT_FAILED if invalid else 0)
    # plain mode: the first line says no OMC verdict was given (on stderr with --json, which is data)
    click.echo(words().gettext(NO_VERDICT), err=as_json)
    print_result(result, as_json)
    if require_omc and result.verified:
        say("error: OMC_REQUIRED: " + words().gettext("no OMC verdict without a registry; the issuer was not checked "
                                                      "(see {path})").format(path=user_config_path()), err=True)
        sys.exit(EXIT_FAILED)
    sys.exit(0 if result.verified else EXIT_FAILED)
