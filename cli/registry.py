"""``omc registry``: the ministry keeps, signs and publishes the registry of consent-holding OMC issuers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from omc_vc._internal import atomic
from omc_vc._internal.fetch import Fetcher
from omc_vc._internal.inert import inert
from omc_vc._internal.jsonio import loads_object
from omc_vc._internal.timeutil import format_datetime, parse_user_time, utcnow
from omc_vc.errors import RegistryError
from omc_vc.i18n import N_, Message
from omc_vc.keys import KeyPair, PublicKey, read_key_file_header
from omc_vc.registry import (
    DRAFT_FORMAT,
    INSTITUTION_TYPES,
    MAX_REGISTRY_BYTES,
    ROTATIONS_FILE,
    SCOPES,
    Anchors,
    Federation,
    LoadedRegistry,
    QualityAssurance,
    RegistryClient,
    RegistryData,
    RegistryDraft,
    demo_anchors_path,
    institutions_table,
    iter_partners,
    jwk_thumbprint,
    load_anchors,
    make_rotation,
    sign_registry,
)
from omc_vc.registry_forms import LEGACY_FILE, build_forms, check_federation, dcc_registry_entries, write_forms

from ._common import (
    EXIT_FAILED,
    EXIT_USAGE,
    VERIFIER_URL_OPTION,
    AliasedOption,
    default_registry,
    diagnostics,
    emit_json,
    fail,
    handle_errors,
    open_key,
    plain_value,
    read_input,
    say,
)
from ._lang import OmcSubGroup, words

F = TypeVar("F", bound=Callable[..., Any])
# Registry errors that are bad input (exit 2); every other one is a refusal or a failed verification (exit 1).
_USAGE_CODES = frozenset({"REGISTRY_MALFORMED", "REGISTRY_UNKNOWN_ISSUER", "REGISTRY_ANCHORS_INVALID"})


def registry_errors(func: F) -> F:
    """Exit 1 when the registry refuses (rollback, expired, untrusted, edit refused...), 2 on bad input."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RegistryError as exc:
            fail(diagnostics(exc), EXIT_USAGE if exc.code in _USAGE_CODES else EXIT_FAILED)

    return wrapper  # type: ignore[return-value]

# --draft: the ministry's unsigned working file; --registry everywhere is a published, signed registry (a URL
# or its registry.json). --registry was this option's older spelling and is still accepted.
_REGISTRY_OPTION = click.option("--draft", "--registry", "registry_file", cls=AliasedOption, required=True,
                                type=click.Path(dir_okay=False), metavar="FILE",
                                help="The ministry's registry working file (from `omc registry init`).")


@click.group("registry", cls=OmcSubGroup)
def registry_group() -> None:
    """The ministry's signed registry of institutions authorized to issue OMCs.

    \b
    Example:
      omc registry init --anchor-key ministry.key --out registry-draft.json
      omc registry add-institution --draft registry-draft.json --name "Example College" \\
          --type college --did did:web:college.example.ca --eqaa OCQAS --iqap-ref OCQAS-2024-11 \\
          --consent-ref MCU-OMC-0042 --scope OMC,OMC+
      omc registry publish --draft registry-draft.json --key ministry.key --out public/
    """


def _time(value: str | None, name: str) -> datetime | None:
    return parse_user_time(value, field=name) if value else None


def _refuse_demo(path: str, demo: bool) -> None:
    if Path(path).name.startswith("demo-") and not demo:
        fail("DEMO_KEY_REFUSED: " + words().gettext("{path} is a DEMO key; it is refused outside demo mode (add "
                                                    "--demo)").format(path=path), 1)


def _public_key(path: str, demo: bool) -> PublicKey:
    _refuse_demo(path, demo)
    header = read_key_file_header(path)
    return PublicKey.from_multibase(header["publicKeyMultibase"])


def _load(path: str) -> RegistryDraft:
    return RegistryDraft.load(path)


def _echo_change(line: str) -> None:
    """One line on stderr saying what a command changed (in the reader's words: ``words().tr``)."""
    say(line, err=True)


@registry_group.command("init")
@click.option("--anchor-key", "anchor_keys", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="Ministry key file whose public key becomes a trust anchor (public part only). Repeatable.")
@click.option("--threshold", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many distinct anchor keys must sign each published registry (k of n).")
@click.option("--id", "registry_id", help="The registry's id (a URL or urn:uuid; default a new urn:uuid).")
@click.option("--issuer", help="The issuer URL/DID named in the registry (default: the first anchor's did:key).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The working file to create.")
@click.option("--anchors-out", type=click.Path(dir_okay=False),
              help="Also write the anchors file verifiers pin (format omc-vc-anchors/1).")
@click.option("--demo", is_flag=True, help="Allow the DEMO ministry key (keys/demo-ministry.key).")
@handle_errors
@registry_errors
def init_cmd(anchor_keys: tuple[str, ...], threshold: int, registry_id: str | None, issuer: str | None, out: str,
             anchors_out: str | None, demo: bool) -> None:
    """Start a registry working file with the ministry's anchor key(s).

    \b
    Example:
      omc registry init --anchor-key ministry-1.key --anchor-key ministry-2.key --threshold 2 \\
          --id https://www.ontario.ca/omc/registry --out registry-draft.json --anchors-out anchors.json
    """
    if Path(out).exists():
        fail("FILE_EXISTS: " + words().gettext("{path} already exists; refusing to overwrite a registry working "
                                               "file").format(path=out))
    keys = tuple(_public_key(path, demo) for path in anchor_keys)
    draft = RegistryDraft.new(registry_id, anchors=Anchors(keys, threshold, demo=demo and any(
        Path(p).name.startswith("demo-") for p in anchor_keys)), issuer=issuer)
    draft.save(out)
    if anchors_out:
        atomic.write_json(anchors_out, draft.anchors.to_json())
    _echo_change(words().tr("created {out}: registry {registry}, {keys} anchor key(s), threshold {threshold}", out=out,
                 registry=draft.data.id, keys=len(keys), threshold=threshold))


@registry_group.command("add-institution")
@_REGISTRY_OPTION
@click.option("--name", required=True, help="The institution's legal name.")
@click.option("--type", "kind", required=True, type=click.Choice(INSTITUTION_TYPES))
@click.option("--did", "dids", multiple=True, required=True, help="A DID the institution issues with. Repeatable.")
@click.option("--valid-from", help="When the DID(s) start to be valid (ISO 8601; default: the consent grant).")
@click.option("--eqaa", help="The external quality assurance agency (EQAA) that approved the institution's IQAP.")
@click.option("--iqap-ref", help="The reference of the IQAP approval.")
@click.option("--qa-date", help="The date of the quality assurance approval (ISO 8601).")
@click.option("--consent-ref", required=True, help="The ministry's consent reference.")
@click.option("--granted", help="When the consent was granted (ISO 8601; default now).")
@click.option("--scope", default="OMC", show_default=True, help="Comma-separated: OMC or OMC,OMC+.")
@click.option("--homepage", help="The institution's homepage (https URL), shown by DCC's verifiers.")
@click.option("--logo", help="The institution's logo (https URL or data:image/ URI), shown by DCC's verifiers.")
@click.option("--location", help="Where it is, e.g. \"Toronto, ON, Canada\" (DCC's legacy registry form).")
@click.option(VERIFIER_URL_OPTION, "--verifier", "verifier", cls=AliasedOption, metavar="URL",
              help="The institution's public verifier service (https): the page its learners' QR codes and "
                   "certificates open unless a learner sets their own.")
@handle_errors
@registry_errors
def add_institution_cmd(registry_file: str, name: str, kind: str, dids: tuple[str, ...], valid_from: str | None,
                        eqaa: str | None, iqap_ref: str | None, qa_date: str | None, consent_ref: str,
                        granted: str | None, scope: str, homepage: str | None, logo: str | None,
                        location: str | None, verifier: str | None) -> None:
    """Add an institution holding the ministry's consent to issue OMCs.

    \b
    Example:
      omc registry add-institution --draft registry-draft.json --name "Example College" \\
          --type college --did did:web:college.example.ca --eqaa OCQAS --iqap-ref OCQAS-2024-11 \\
          --qa-date 2024-05-01 --consent-ref MCU-OMC-0042 --scope OMC,OMC+ \\
          --homepage https://college.example.ca --location "Toronto, ON, Canada"
    """
    scopes = tuple(s.strip() for s in scope.split(",") if s.strip())
    if not scopes or any(s not in SCOPES for s in scopes):
        fail("USAGE_ERROR: " + words().gettext("--scope must list values from {scopes}").format(
            scopes=", ".join(SCOPES)))
    qa = None
    if eqaa or iqap_ref:
        if not (eqaa and iqap_ref):
            fail("USAGE_ERROR: " + words().gettext("--eqaa and --iqap-ref go together"))
        assert eqaa is not None and iqap_ref is not None
        qa = QualityAssurance(eqaa, _time(qa_date, "--qa-date") or utcnow().replace(microsecond=0), iqap_ref)
    draft = _load(registry_file)
    item = draft.add_institution(legal_name=name, kind=kind, dids=list(dids), consent_reference=consent_ref,
                                 scope=scopes, granted=_time(granted, "--granted"),
                                 did_valid_from=_time(valid_from, "--valid-from"), quality_assurance=qa,
                                 homepage=homepage, logo=logo, location=location, verifier=verifier)
    draft.save(registry_file)
    _echo_change(words().tr("added {name} ({kind}, {scopes}) as {id}; publish to take effect", name=item.legal_name,
                 kind=item.kind, scopes=", ".join(scopes), id=item.id))


#: What a consent command says it did, by the consent's new status.
_CONSENT_NOW = {"suspended": N_("{name}: consent now suspended; publish to take effect"),
                "active": N_("{name}: consent now active; publish to take effect"),
                "revoked": N_("{name}: consent now revoked; publish to take effect")}


def _consent_command(status: str) -> Any:
    @click.argument("did")
    @_REGISTRY_OPTION
    @click.option("--at", help="When it takes effect (ISO 8601; default now).")
    @click.option("--reason", help="A short reason, recorded in the registry.")
    @handle_errors
    @registry_errors
    def command(did: str, registry_file: str, at: str | None, reason: str | None) -> None:
        draft = _load(registry_file)
        item = draft.set_consent(did, status, at=_time(at, "--at"), reason=reason)  # type: ignore[arg-type]
        draft.save(registry_file)
        _echo_change(words().tr(_CONSENT_NOW[status], name=item.legal_name))

    return command


registry_group.command("suspend", help="""Suspend the consent of the institution that issues with DID.

    \b
    Example:
      omc registry suspend did:web:college.example.ca \\
          --draft registry-draft.json --reason "ministry decision 2025-17"
    """)(_consent_command("suspended"))
registry_group.command("reinstate", help="""Reinstate the consent of the institution that issues with DID.

    \b
    Example:
      omc registry reinstate did:web:college.example.ca \\
          --draft registry-draft.json --reason "ministry decision 2025-17"
    """)(_consent_command("active"))
registry_group.command("revoke", help="""Revoke the consent of the institution that issues with DID.

    \b
    Example:
      omc registry revoke did:web:college.example.ca \\
          --draft registry-draft.json --reason "ministry decision 2025-17"
    """)(_consent_command("revoked"))


@registry_group.command("add-partnership")
@_REGISTRY_OPTION
@click.option("--pcc", required=True, help="A DID of the private career college.")
@click.option("--partner", required=True, help="A DID of its consent-holding partner institution.")
@click.option("--since", help="Start of the partnership (ISO 8601; default now).")
@click.option("--reference", help="The partnership agreement's reference.")
@handle_errors
@registry_errors
def add_partnership_cmd(registry_file: str, pcc: str, partner: str, since: str | None,
                        reference: str | None) -> None:
    """Record that a private career college confers OMCs with a consent-holding partner.

    The college's OMCs must then carry an OB 3.0 EndorsementCredential signed by the partner.

    \b
    Example:
      omc registry add-partnership --draft registry-draft.json --pcc did:web:tradeskill.example.ca \\
          --partner did:web:college.example.ca --reference MCU-PCC-0007
    """
    draft = _load(registry_file)
    draft.add_partnership(pcc, partner, since=_time(since, "--since"), reference=reference)
    draft.save(registry_file)
    _echo_change(words().tr("partnership added; publish to take effect"))


@registry_group.command("add-did")
@click.argument("did")
@_REGISTRY_OPTION
@click.option("--new-did", required=True, help="The additional DID (e.g. after a key rotation).")
@click.option("--valid-from", help="When the new DID becomes valid (ISO 8601; default now).")
@handle_errors
@registry_errors
def add_did_cmd(did: str, registry_file: str, new_did: str, valid_from: str | None) -> None:
    """Let the institution that issues with DID also issue with a new DID.

    \b
    Example:
      omc registry add-did did:web:college.example.ca --new-did did:web:college.example.ca:2026 \\
          --draft registry-draft.json
    """
    draft = _load(registry_file)
    item = draft.add_did(did, new_did, valid_from=_time(valid_from, "--valid-from"))
    draft.save(registry_file)
    _echo_change(words().tr("{name} now issues with {did}; publish to take effect", name=item.legal_name, did=new_did))


@registry_group.command("retire-did")
@click.argument("did")
@_REGISTRY_OPTION
@click.option("--at", help="End of the DID's validity (ISO 8601; default now).")
@handle_errors
@registry_errors
def retire_did_cmd(did: str, registry_file: str, at: str | None) -> None:
    """End a DID's validity window: what it signs afterwards is not an OMC.

    \b
    Example:
      omc registry retire-did did:web:college.example.ca --draft registry-draft.json
    """
    draft = _load(registry_file)
    item = draft.retire_did(did, at=_time(at, "--at"))
    draft.save(registry_file)
    _echo_change(words().tr("{did} of {name} retired; publish to take effect", did=did, name=item.legal_name))


def _signing_keys(key_files: tuple[str, ...], passphrase_env: str | None, demo: bool) -> list[KeyPair]:
    keys = []
    for path in key_files:
        _refuse_demo(path, demo)
        keys.append(open_key(path, passphrase_env))
    return keys


@registry_group.command("set-federation")
@_REGISTRY_OPTION
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False),
              help="The federation's own P-256 key file (omc keys generate --type p256); public part only.")
@click.option("--entity-id", required=True,
              help="The trust anchor's entity identifier: the https URL its /.well-known/openid-federation is under.")
@click.option("--organization-name", required=True, help="The name DCC's verifiers show for the registry.")
@click.option("--homepage-uri", required=True, help="The ministry's homepage (https URL).")
@click.option("--policy-uri", required=True, help="The page stating the registry's policy (https URL).")
@click.option("--logo-uri", help="The ministry's logo (https URL or data:image/ URI).")
@click.option("--legal-name", help="The ministry's legal name.")
@click.option("--demo", is_flag=True, help="Allow a DEMO key file (demo-*).")
@handle_errors
@registry_errors
def set_federation_cmd(registry_file: str, key_file: str, entity_id: str, organization_name: str,
                       homepage_uri: str, policy_uri: str, logo_uri: str | None, legal_name: str | None,
                       demo: bool) -> None:
    """Name the OpenID Federation trust anchor that republishes the registry for DCC's verifiers.

    The federation's ES256 key and entity go into the signed registry, so anyone holding the registry
    can check that the federation says exactly what it says (omc registry check-federation).

    \b
    Example:
      omc keys generate --type p256 --out federation.key --passphrase-env MCU_PASS
      omc registry set-federation --draft registry-draft.json --key federation.key \\
          --entity-id https://mcu.example.ca/omc --organization-name "Ontario Ministry of Colleges and Universities" \\
          --homepage-uri https://www.ontario.ca/page/ministry-colleges-universities \\
          --policy-uri https://www.ontario.ca/page/micro-credentials-registry
    """
    key = _public_key(key_file, demo)
    if key.key_type != "p256":
        fail("KEY_TYPE_MISMATCH: " + words().gettext("{path} is a {type} key; the federation signs ES256, so it "
                                                     "needs a P-256 key (omc keys generate --type p256)").format(
            path=key_file, type=key.key_type))
    draft = _load(registry_file)
    draft.set_federation(Federation(entity_id.rstrip("/"), organization_name, homepage_uri, policy_uri, (key,),
                                    logo_uri, legal_name))
    draft.save(registry_file)
    _echo_change(words().tr("federation {entity} (key {thumbprint}) set; publish to take effect",
                            entity=entity_id.rstrip("/"), thumbprint=jwk_thumbprint(key)))


@registry_group.command("publish")
@_REGISTRY_OPTION
@click.option("--key", "key_files", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="A ministry anchor key file to sign with. Repeat for k-of-n.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write registry.json into.")
@click.option("--valid-days", type=click.IntRange(min=1, max=366), default=30, show_default=True,
              help="Days until the published registry expires (verifiers refuse it afterwards).")
@click.option("--federation-key", type=click.Path(dir_okay=False),
              help="The federation's P-256 key file (needed when the registry names a federation).")
@click.option("--federation-hours", type=click.IntRange(min=1, max=24 * 31), default=24, show_default=True,
              help="Hours the federation's statements are valid (never past the registry's expiry).")
@click.option("--passphrase-env", metavar="VAR", help="Read the key passphrase(s) from environment variable VAR.")
@click.option("--demo", is_flag=True, help="Allow the DEMO ministry key.")
@handle_errors
@registry_errors
def publish_cmd(registry_file: str, key_files: tuple[str, ...], out: str, valid_days: int,
                federation_key: str | None, federation_hours: int, passphrase_env: str | None, demo: bool) -> None:
    """Bump the version, sign with the anchor key(s) and write OUT/registry.json and its other forms.

    Beside it: anchor-rotations.json (any anchor rotations), dcc-legacy-registry.json (DCC's legacy
    form) and, when the registry names a federation, the OpenID Federation trust anchor's statements
    (.well-known/openid-federation, federation/fetch/*.jwt, federation/subordinate_listing.json) and
    dcc-known-registries.json (the entries for DCC's known-registries list). `omc serve
    --host-registry-forms OUT` hosts them. Only institutions authorized now are in the other forms.

    \b
    Example:
      omc registry publish --draft registry-draft.json --key ministry-1.key --key ministry-2.key \\
          --federation-key federation.key --passphrase-env MCU_PASS --out public/ --valid-days 30
    """
    draft = _load(registry_file)
    if draft.data.federation is not None and federation_key is None:
        fail("FEDERATION_KEY_REQUIRED: " + words().gettext("the registry names a federation: give its key with "
                                                           "--federation-key"))
    keys = _signing_keys(key_files, passphrase_env, demo)
    fed_key = _signing_keys((federation_key,), passphrase_env, demo)[0] if federation_key else None
    signed = sign_registry(draft, keys, valid_for=timedelta(days=valid_days))
    published = RegistryData.from_json(signed["credentialSubject"]["registry"])
    forms = build_forms(published, fed_key, now=parse_user_time(signed["validFrom"], field="validFrom"),
                        valid_for=timedelta(hours=federation_hours),
                        not_after=parse_user_time(signed["validUntil"], field="validUntil"))
    folder = Path(out)
    atomic.write_json(folder / "registry.json", signed)
    if draft.rotations:
        atomic.write_json(folder / ROTATIONS_FILE, draft.rotations)
    write_forms(forms, folder)
    if published.federation is not None:
        entity = published.federation.entity_id
        atomic.write_json(folder / "dcc-known-registries.json",
                          dcc_registry_entries(published, f"{entity}/{LEGACY_FILE}"))
    draft.mark_published(signed)
    draft.save(registry_file)
    shown = {"version": str(draft.data.version), "path": str(folder / "registry.json"), "until": signed["validUntil"],
             "signatures": len(keys), "dids": len(forms.legacy["registry"])}
    if forms.entity_configuration is None:
        _echo_change(words().tr("published version {version} to {path} (valid until {until}, {signatures} "
                                "signature(s)); other forms list {dids} DID(s) authorized now", **shown))
    else:
        _echo_change(words().tr("published version {version} to {path} (valid until {until}, {signatures} "
                                "signature(s)); other forms list {dids} DID(s) authorized now, the federation's "
                                "statements included", **shown))


@registry_group.command("rotate-anchors")
@_REGISTRY_OPTION
@click.option("--new-key", "new_keys", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="A key file whose public key is in the new anchor set (public part only). Repeatable.")
@click.option("--threshold", type=click.IntRange(min=1), default=1, show_default=True,
              help="Signatures the new anchor set will require.")
@click.option("--key", "key_files", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="Signing key files: at least the old threshold of old keys AND the new threshold of new keys.")
@click.option("--anchors-out", type=click.Path(dir_okay=False), help="Write the new anchors file here.")
@click.option("--passphrase-env", metavar="VAR", help="Read the key passphrase(s) from environment variable VAR.")
@click.option("--demo", is_flag=True, help="Allow DEMO keys.")
@handle_errors
@registry_errors
def rotate_anchors_cmd(registry_file: str, new_keys: tuple[str, ...], threshold: int, key_files: tuple[str, ...],
                       anchors_out: str | None, passphrase_env: str | None, demo: bool) -> None:
    """Replace the ministry's anchor keys with a rotation signed by the old AND the new keys.

    Verifiers that pin the old anchors follow the rotation (published as anchor-rotations.json by
    the next `omc registry publish`); a rotation signed by only one side is refused.

    \b
    Example:
      omc registry rotate-anchors --draft registry-draft.json --new-key ministry-2026.key \\
          --key ministry-2024.key --key ministry-2026.key --anchors-out anchors-2026.json
    """
    draft = _load(registry_file)
    successor_keys = [_public_key(path, demo) for path in new_keys]
    signers = _signing_keys(key_files, passphrase_env, demo)
    rotation, successor = make_rotation(draft.anchors, successor_keys, threshold, signers)
    draft.add_rotation(rotation, successor)
    draft.save(registry_file)
    if anchors_out:
        atomic.write_json(anchors_out, successor.to_json())
    _echo_change(words().tr("anchors rotated to sequence {sequence} ({keys} key(s), threshold {threshold}); publish "
                            "to make the rotation available to verifiers", sequence=str(successor.sequence),
                            keys=len(successor_keys), threshold=threshold))


#: The text view's label of each header field (the JSON keeps the field names).
_HEADER_LABELS = {"registry": N_("registry"), "state": N_("state"), "version": N_("version"),
                  "lastPublishedVersion": N_("last published version"), "anchors": N_("anchors"),
                  "validUntil": N_("valid until"), "signedBy": N_("signed by")}
#: A registry's state as the text view says it.
UNSIGNED = N_("UNSIGNED working file")
VERIFIED = N_("verified")
#: Consent statuses as the text view says them (the registry's codes stay in the JSON).
_CONSENT_WORDS = {"active": N_("consent active"), "suspended": N_("consent suspended"),
                  "revoked": N_("consent revoked")}


def _show_data(data: RegistryData, header: dict[str, Any], as_json: bool) -> None:
    now = utcnow()
    partnerships = [{"privateCareerCollege": pcc.legal_name, "partner": partner.legal_name,
                     "since": format_datetime(p.since), "reference": p.reference}
                    for pcc, partner, p in iter_partners(data)]
    if as_json:
        emit_json({**header, "institutions": institutions_table(data, now), "partnerships": partnerships})
        return
    # registry text (names, references, DIDs) is printed inert (say), each name bounded on its own (inert)
    t = words()
    for key, value in header.items():
        shown = t.gettext(value) if key == "state" else t.render(value) if isinstance(value, Message) \
            else plain_value(value)
        say(f"{t.gettext(_HEADER_LABELS.get(key, key))}: {shown}")
    click.echo(t.tr("institutions: {n}", n=len(data.institutions)))
    for row in institutions_table(data, now):
        dids = ", ".join(d["id"] + ("" if "validUntil" not in d else " " + t.tr("(until {when})", when=d["validUntil"]))
                         for d in row["dids"])
        consent = t.gettext(_CONSENT_WORDS[row["consent"]]) if row["consent"] in _CONSENT_WORDS \
            else t.tr("consent {status}", status=row["consent"])
        say(f"  {inert(row['legalName'])} [{row['type']}] {consent} ({inert(row['reference'])}, "
            f"{'/'.join(row['scope'])}): {dids}")
    for row in partnerships:
        say("  " + t.tr("partnership: {college} with {partner} since {since}",
                        college=inert(row["privateCareerCollege"]), partner=inert(row["partner"]), since=row["since"]))


@registry_group.command("show")
@click.option("--draft", "registry_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="A working file (from `omc registry init`), shown as it stands.")
@click.option("--registry", "--url", "url", cls=AliasedOption, metavar="URL-or-PATH",
              help="A published registry (its URL, or a registry.json) to verify and show.")
@click.option("--anchors", type=click.Path(dir_okay=False),
              help="Anchors file (default: OMC_ANCHORS, the user config file's anchors:, else the shipped "
                   "keys/ministry-anchors.json).")
@click.option("--registry-cache", type=click.Path(file_okay=False), help="Cache folder for fetched registries.")
@click.option("--demo", is_flag=True, help="Trust the DEMO ministry anchor.")
@click.option("--offline", is_flag=True, help="Use only a fresh cached copy of --registry.")
@click.option("--allow-http-loopback", is_flag=True, hidden=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
@registry_errors
def show_cmd(registry_file: str | None, url: str | None, anchors: str | None, registry_cache: str | None,
             demo: bool, offline: bool, allow_http_loopback: bool, as_json: bool) -> None:
    """Show a registry: a working file as it stands, or a published one after verifying it.

    \b
    Example:
      omc registry show --draft registry-draft.json
      omc registry show --registry https://www.ontario.ca/omc/registry.json --json
    """
    if bool(registry_file) == bool(url):
        fail("USAGE_ERROR: " + words().gettext("give exactly one of --draft FILE or --registry URL-or-PATH"))
    if url and "://" not in url and Path(url).is_file():
        registry_file, url = url, None  # a registry.json on disk: a working file is shown as such
    if registry_file:
        value = loads_object(read_input(registry_file), max_bytes=MAX_REGISTRY_BYTES, what=registry_file)
        if value.get("format") == DRAFT_FORMAT:
            draft = RegistryDraft.from_json(value)
            _show_data(draft.data, {"registry": draft.data.id, "state": UNSIGNED,
                                    "lastPublishedVersion": draft.data.version,
                                    "anchors": Message("{keys} key(s), threshold {threshold}",
                                                       keys=len(draft.anchors.keys),
                                                       threshold=draft.anchors.threshold)}, as_json)
            return
    loaded, _ = _verified(url or str(registry_file), anchors, demo=demo, offline=offline,
                          allow_loopback=allow_http_loopback, cache=registry_cache)
    for warning in loaded.warnings:
        say(words().tr("warning: {warning}", warning=warning), err=True)
    _show_data(loaded.data, {"registry": loaded.data.id, "state": VERIFIED, "version": loaded.data.version,
                             "validUntil": format_datetime(loaded.verified.valid_until),
                             "signedBy": list(loaded.verified.signers)}, as_json)



def _verified(source: str, anchors: str | None, *, demo: bool, offline: bool, allow_loopback: bool,
              cache: str | None) -> tuple[LoadedRegistry, Fetcher | None]:
    """The published registry at ``source`` (a URL or a registry.json), verified against the anchors as
    ``omc verify`` takes them: --anchors, else ``$OMC_ANCHORS`` or the user config file's ``anchors:``, else the
    DEMO anchor with --demo, else the shipped ministry anchors; and the fetcher it was read with (None offline)."""
    _, chosen = default_registry(source, anchors, demo=demo)
    anchor_set = load_anchors(chosen if chosen else (demo_anchors_path() if demo else None), demo=demo)
    fetcher = None if offline else Fetcher(allow_loopback=allow_loopback)
    client = RegistryClient(source, anchor_set, fetcher=fetcher, offline=offline,
                            cache_dir=Path(cache) if cache else None)
    return client.load(), fetcher


@registry_group.command("check-federation")
@click.argument("url")
@click.option("--registry", "registry_source", required=True,
              help="The signed registry (URL or registry.json) whose federation URL claims to republish.")
@click.option("--anchors", type=click.Path(dir_okay=False),
              help="Anchors file (default: OMC_ANCHORS, the user config file's anchors:, else the shipped "
                   "keys/ministry-anchors.json).")
@click.option("--registry-cache", type=click.Path(file_okay=False), help="Cache folder for fetched registries.")
@click.option("--demo", is_flag=True, help="Trust the DEMO ministry anchor.")
@click.option("--allow-http-loopback", is_flag=True, hidden=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
@registry_errors
def check_federation_cmd(url: str, registry_source: str, anchors: str | None, registry_cache: str | None,
                         demo: bool, allow_http_loopback: bool, as_json: bool) -> None:
    """Check that the OpenID Federation at URL says exactly what the signed registry says.

    The registry is verified against the anchors first; then the federation's entity configuration, its
    subordinate listing and a statement for every DID the registry knows are fetched and compared: the
    same DIDs (authorized now), the same names, signed by the federation key the registry names, not
    expired; a DID the registry does not authorize now must be 404. Each difference is one line; exit 1
    when there is any.

    \b
    Example:
      omc registry check-federation https://mcu.example.ca/omc \\
          --registry https://mcu.example.ca/omc/registry.json --anchors anchors.json
    """
    loaded, fetcher = _verified(registry_source, anchors, demo=demo, offline=False, allow_loopback=allow_http_loopback,
                                cache=registry_cache)
    assert fetcher is not None  # online: the federation is fetched with the same fetcher
    if loaded.data.federation is None:
        fail("NO_FEDERATION: " + words().gettext("the registry names no federation: there is nothing a federation "
                                                 "could be checked against"), 1)
    differences = check_federation(loaded.data, fetcher, url)
    if as_json:
        emit_json({"federation": url, "registry": loaded.data.id, "version": loaded.data.version,
                   "faithful": not differences, "differences": differences})
    else:
        t = words()
        for line in differences:
            say(t.tr("difference: {what}", what=line))
        if not differences:
            say(t.gettext("the federation at {url} says exactly what registry version {version} says").format(
                url=url, version=loaded.data.version))
    if differences:
        raise SystemExit(EXIT_FAILED)
