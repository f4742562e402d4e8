"""``omc issue``, ``omc status``, ``omc stacks``, ``omc policy`` and ``omc endorse``: the institution's side."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from omc_vc._internal.jsonio import loads_object
from omc_vc.errors import ConfigError, InputError
from omc_vc.i18n import N_, Message, Translator, translatable
from omc_vc.issue.batch import RosterInterrupted, issue_roster
from omc_vc.issue.config import InstitutionConfig, load_config, read_catalogue
from omc_vc.issue.issuer import Issuer
from omc_vc.issue.portability import CODE as PORTABILITY_CODE
from omc_vc.issue.portability import portability_warning
from omc_vc.issue.records import Action
from omc_vc.issue.status_ops import credential_ref, publish_status_lists, set_record_status
from omc_vc.issue.stores import open_store
from omc_vc.keys import KeyPair
from omc_vc.omc.builder import Learner, build_endorsement
from omc_vc.omc.policy import load_policy
from omc_vc.omc.profile import validate_omc
from omc_vc.omc.stacks import StackProgress, stack_progress
from omc_vc.verify import CORE_CHECKS

from ._common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    confirm,
    emit_json,
    fail,
    get_passphrase,
    handle_errors,
    open_key,
    output_option,
    read_input,
    say,
    write_output,
)
from ._lang import OmcCommand, OmcSubGroup, words
from .core import build_verifier, verifier_options
from .records import find_one, interactive, record_line, refuse_existing


def _key(config: InstitutionConfig, passphrase_env: str | None) -> KeyPair:
    """The issuer key: passphrase from --passphrase-env, the config's passphrase_env, or a prompt."""
    if passphrase_env:
        return config.load_key(get_passphrase(passphrase_env))
    try:
        return config.load_key()
    except ConfigError as exc:
        if exc.context.get("field") != "passphrase_env" or not sys.stdin.isatty():
            raise
    return config.load_key(get_passphrase(None))


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(Message("{option} {value} is not a date (YYYY-MM-DD)", option=option,
                                 value=repr(value))) from None


# --- omc issue ---------------------------------------------------------------------------------------

@click.command("issue", cls=OmcCommand)
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False),
              help="Institution configuration (YAML or JSON).")
@click.option("--achievement", help="Catalogue id of the achievement (one credential).")
@click.option("--learner-name", help="Learner's full name (one credential).")
@click.option("--learner-email", help="Learner's e-mail (hashed with a salt in the credential).")
@click.option("--learner-student-number", help="Learner's student number (hashed with a salt).")
@click.option("--learner-did", help="Learner's DID (becomes credentialSubject.id).")
@click.option("--completed", help="Completion date YYYY-MM-DD (default today).")
@click.option("--result", help="Result or grade to record.")
@click.option("--evidence-url", help="https URL of the learner's assessment evidence.")
@click.option("--language", metavar="TAG",
              help="The achievement's language edition the learner gets (fr-CA, en; default: the configuration's "
                   "language, else the achievement's own). A roster's language column does this per row.")
@click.option("--roster", type=click.Path(dir_okay=False), help="Roster CSV: issue a whole cohort.")
@click.option("--out", help="Output file (one credential; default stdout) or folder (--roster, required).")
@click.option("--force", is_flag=True, help="Replace the --out file if it exists (one credential).")
@click.option("--replaces", metavar="ID-or-FILE",
              help="Correct an issued credential: issue this one in its place (the old one is revoked as "
                   "superseded and both are linked in the records).")
@click.option("--reason", help="--replaces: why (kept in the records, never published; default: superseded).")
@click.option("--strict", is_flag=True, help="--roster: refuse the whole roster if any row is bad.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="--roster: signing processes.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report (for programs).")
@click.option("--passphrase-env", metavar="VAR", help="Read the key passphrase from VAR (overrides the config).")
@verifier_options  # type: ignore[untyped-decorator]
@handle_errors
def issue_cmd(config_file: str, achievement: str | None, learner_name: str | None, learner_email: str | None,
              learner_student_number: str | None, learner_did: str | None, completed: str | None,
              result: str | None, evidence_url: str | None, language: str | None, roster: str | None,
              out: str | None, force: bool, replaces: str | None, reason: str | None, strict: bool, workers: int,
              as_json: bool, passphrase_env: str | None, did_documents: tuple[str, ...], offline: bool,
              allow_http_loopback: bool) -> None:
    """Issue Ontario Micro-Credentials: one learner, or a whole roster (resumable, exactly once).

    An OMC that breaks the policy is refused (exit 1) with a message naming the field. With --roster,
    bad rows are reported by line number and skipped (exit 1 after the good rows are issued) unless
    --strict refuses the roster first. Re-running a half-finished roster issues only what is missing.
    Endorsements in the catalogue are verified first (did:web endorsers are resolved over https unless
    --offline; pin their DID documents with --did-document). The institution.yaml is the one omc status
    and omc serve --institution-config read (its keys: README.md, "The institution").

    A learner holds one credential per achievement: to fix a mistake (a misspelled name), issue the
    corrected credential with --replaces OLD-ID; the old one is revoked (reason "superseded") and both
    are linked in the records (omc records show). A learner whose credential was revoked can be issued
    a new one. --out never replaces an existing file without --force. Ctrl-C stops a roster (exit 130)
    saying how many were issued; the same command resumes it.

    \b
    Example:
      omc issue --config institution.yaml --achievement weld-101 \\
          --learner-name "Ana Silva" --learner-email ana@example.ca --out ana.json
      omc issue --config institution.yaml --achievement weld-101 --language fr-CA \\
          --learner-name "Chloé Tremblay" --learner-email chloe@example.ca --out chloe.json
      omc issue --config institution.yaml --achievement weld-101 --learner-name "Kiri Singh" \\
          --learner-student-number S1002003 --replaces urn:uuid:1b4e28ba-... --out kiri.json
      omc issue --config institution.yaml --roster cohort.csv --out issued/ --workers 4
      omc issue --config institution.yaml --roster cohort.csv --out issued/ --strict --json
    """
    config = load_config(config_file)
    config.require_omc()
    resolver = build_verifier(did_documents, offline, allow_http_loopback).resolver
    if roster:
        if achievement or learner_name or language:
            raise click.UsageError(words().gettext("--roster issues a cohort: do not combine it with "
                                                   "--achievement/--learner-*/--language (the roster's language "
                                                   "column gives each learner's)"))
        if not out:
            raise click.UsageError(words().gettext("--roster needs --out DIR"))
        if replaces:
            raise click.UsageError(words().gettext("--replaces corrects one credential: do not combine it with "
                                                   "--roster"))
    elif not achievement or not learner_name:
        raise click.UsageError(words().gettext("give --achievement and --learner-name (one credential) or --roster "
                                               "(a cohort)"))
    if reason and not replaces:
        raise click.UsageError(words().gettext("--reason goes with --replaces (omc status revoke --reason for a "
                                               "revocation)"))
    if not roster:
        refuse_existing(out, force=force)
    key = _key(config, passphrase_env)
    portability = portability_warning(key)
    if portability is not None:  # a warning, not a refusal: the OMC is valid, DCC's tools cannot check it
        say(f"warning: {PORTABILITY_CODE}: {words().render(portability)}", err=True)
    with open_store(config) as store:
        issuer = Issuer(config=config, key=key, store=store, resolver=resolver)
        if roster:
            assert out is not None
            _issue_roster(issuer, roster, out, strict=strict, workers=workers, as_json=as_json)
            return
        assert achievement is not None and learner_name is not None
        learner = Learner(name=learner_name, email=learner_email, student_number=learner_student_number,
                          did=learner_did)
        issued = issuer.issue(learner=learner, achievement=achievement, completed=_date(completed, "--completed"),
                              result=result, evidence_url=evidence_url, out_file=out, language=language,
                              replaces=credential_ref(replaces) if replaces else None, reason=reason)
    t = words()
    notes = []
    # the learner's name and the ids are the registrar's text: each line is made inert by say, never cut short
    if issued.replaced is not None:
        old = issued.replaced.record
        notes.append((t.gettext("it replaces {id}, now revoked (superseded); run `omc status publish` to make the "
                                "revocation visible to verifiers") if issued.replaced.changed else
                      t.gettext("it replaces {id}, which was revoked already; run `omc status publish` to make the "
                                "revocation visible to verifiers")).format(id=old.id))
    if issued.previous is not None:
        notes.append(t.gettext("{learner}'s earlier credential {id} for {achievement} was revoked on {day} and stays "
                               "revoked").format(learner=learner_name, id=issued.previous.id, achievement=achievement,
                                                 day=_when(issued.previous.revoked, t)))
    if out is None:
        write_output(json.dumps(issued.credential, indent=2, ensure_ascii=False), None)
    elif as_json:
        emit_json({**issued.record.to_json(),
                   "replaces": issued.replaced.record.id if issued.replaced else None,
                   "reissueOf": issued.previous.id if issued.previous else None})
    else:
        say(t.gettext("issued {id} to {learner} ({achievement}) -> {out}").format(
            id=issued.record.id, learner=learner_name, achievement=achievement, out=out), err=True)
    for note in notes:  # the learner's name is the registrar's text: printed inert
        say(f"  {note}", err=True)


def _issue_roster(issuer: Issuer, roster: str, out: str, *, strict: bool, workers: int, as_json: bool) -> None:
    t = words()
    with click.progressbar(length=1, label=t.gettext("Issuing"), file=sys.stderr, show_pos=True) as progress:
        def update(done: int, total: int) -> None:
            progress.length = max(total, 1)
            progress.update(done - progress.pos)

        try:
            report = issue_roster(issuer, roster, out, strict=strict, workers=workers, progress=update)
        except RosterInterrupted as stopped:
            click.echo(err=True)  # past the progress bar
            fail(f"INTERRUPTED: {stopped}", EXIT_INTERRUPTED)
    if as_json:
        emit_json(report.to_json())
    else:
        for error in report.errors:
            # quotes roster text: printed inert
            say("  " + t.gettext("bad row: {error}").format(error=_ours(str(error), t)), err=True)
        parts = [t.tr("{n} issued", n=t.amount(len(report.issued))),
                 t.tr("{n} already issued (skipped)", n=t.amount(len(report.already))),
                 t.tr("{n} bad row(s)", n=t.amount(len(report.errors)))]
        if report.recovered:
            parts.append(t.tr("{n} recovered from an interrupted run", n=t.amount(report.recovered)))
        say(t.gettext("{summary}; index: {index}").format(summary=", ".join(parts), index=report.index_file))
    if report.errors:
        click.echo("error: " + t.tr("{n} roster row(s) were not issued (see above)", n=t.amount(len(report.errors))),
                   err=True)
        sys.exit(EXIT_FAILED)


def _ours(text: object, t: Translator) -> str:
    """A library's sentence: ours in the reader's language, any other text as it is."""
    return t.render(text) if isinstance(text, str) and translatable(text) else str(text)


def _when(value: object, t: Translator) -> str:
    """A day or timestamp the records keep: as stored in English, the date the fr-CA way otherwise."""
    return t.day(str(value))


# --- omc status ----------------------------------------------------------------------------------------

@click.group("status", cls=OmcSubGroup)
def status_group() -> None:
    """Revoke, suspend or unsuspend issued OMCs and publish the signed status lists.

    Every subcommand reads the institution.yaml that omc issue and omc serve read (--config).

    \b
    Example:
      omc status revoke --config institution.yaml urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427
      omc status publish --config institution.yaml --out public/status/
    """


#: How each status change reads: the question before it, the line after it, and which of several matches it
#: acts on.
_ACTIONS: dict[str, tuple[str, str, str]] = {
    "revoke": (N_("Revoke {record}"), N_("revoked: {record}"), "live"),
    "suspend": (N_("Suspend {record}"), N_("suspended: {record}"), "live"),
    "unsuspend": (N_("Lift the suspension of {record}"), N_("suspension lifted: {record}"), "suspended")}


def _status_change(action: Action, config_file: str, ref: str, achievement: str | None, reason: str | None,
                   yes: bool, as_json: bool) -> None:
    verb, past, prefer = _ACTIONS[action]
    t = words()
    # the learner's name and the reason are the registrar's text: each line is made inert by say

    def because(why: str | None) -> str:
        return t.gettext("; reason: {reason}").format(reason=why) if why else ""

    config = load_config(config_file)
    with open_store(config) as store:
        record = find_one(store, ref, achievement=achievement, prefer=prefer)
        if not yes and interactive():
            say(t.gettext(verb).format(record=record_line(record)) + because(reason), err=True)
            if not confirm(t.gettext("Go ahead?")):
                fail("CANCELLED: " + t.tr("nothing changed for {id}", id=record.id), EXIT_FAILED)
        change = set_record_status(store, record.id, action, reason=reason)
    after = change.record
    if as_json:
        emit_json({**after.to_json(), "changed": change.changed, "nothingChangedBecause": change.why,
                   "reason": change.event.reason if change.event else None})
    elif change.changed:
        say(t.gettext(past).format(record=f"{after.id} ({after.learner_name}, {after.achievement or '-'})")
            + because(change.event.reason if change.event else None))
        click.echo(t.gettext("Run `omc status publish` to make it visible to verifiers."))
    else:
        say(t.gettext("nothing changed: {id} ({learner}, {achievement}): {why}").format(
            id=after.id, learner=after.learner_name, achievement=after.achievement or "-",
            why=_ours(change.why, t)))


def _status_command(action: Action) -> Any:
    @click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False),
                  help="Institution configuration (YAML or JSON).")
    @click.argument("ref", metavar="ID-FILE-OR-SEARCH")
    @click.option("--achievement", help="Narrow a search to this achievement.")
    @click.option("--reason", help="Why (kept in the records, never published).")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @click.option("--json", "as_json", is_flag=True, help="Print the credential's state record as JSON.")
    @handle_errors
    def command(config_file: str, ref: str, achievement: str | None, reason: str | None, yes: bool,
                as_json: bool) -> None:
        _status_change(action, config_file, ref, achievement, reason, yes, as_json)

    return command


#: What every status command does beyond its own line (its epilog, after the options).
_STATUS_EPILOG = N_("The credential is named by its id, its file, or a search (a learner's name, student number or "
                    "e-mail; --achievement narrows it). On a terminal it is shown and you are asked to confirm (--yes "
                    "skips the question). --reason is kept in the records (omc records show), never published. When "
                    "nothing would change (it is in that state already, or revoked for good) it says so and changes "
                    "nothing (exit 0).")

status_group.command("revoke", help="""Revoke an OMC for good.

    \b
    Example:
      omc status revoke --config institution.yaml urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427
      omc status revoke --config institution.yaml "Kiri Singh" --achievement weld-101 \\
          --reason "academic integrity decision 2026-114" --yes
      omc status publish --config institution.yaml --out public/status/
    """, epilog=_STATUS_EPILOG)(_status_command("revoke"))
status_group.command("suspend", help="""Suspend an OMC (needs a suspension list: status.suspension: true).

    \b
    Example:
      omc status suspend --config institution.yaml urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427
      omc status suspend --config institution.yaml "Kiri Singh" --achievement weld-101 \\
          --reason "academic integrity decision 2026-114" --yes
      omc status publish --config institution.yaml --out public/status/
    """, epilog=_STATUS_EPILOG)(_status_command("suspend"))
status_group.command("unsuspend", help="""Lift a suspension.

    \b
    Example:
      omc status unsuspend --config institution.yaml urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427
      omc status unsuspend --config institution.yaml "Kiri Singh" --achievement weld-101 \\
          --reason "academic integrity decision 2026-114" --yes
      omc status publish --config institution.yaml --out public/status/
    """, epilog=_STATUS_EPILOG)(_status_command("unsuspend"))


@status_group.command("publish")
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False),
              help="Institution configuration (YAML or JSON).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the lists into.")
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
@click.option("--passphrase-env", metavar="VAR", help="Read the key passphrase from VAR (overrides the config).")
@handle_errors
def publish_cmd(config_file: str, out: str, as_json: bool, passphrase_env: str | None) -> None:
    """Write every signed BitstringStatusListCredential to a folder, ready for a static web server.

    Serve the folder at the configured status.base_url. Publish again after every revoke/suspend,
    and before the lists' validUntil (status.valid_days).

    \b
    Example:
      omc status publish --config institution.yaml --out public/status/
      rsync -a public/status/ www:/srv/college/status/
    """
    config = load_config(config_file)
    config.require_omc()
    key = _key(config, passphrase_env)
    with open_store(config) as store:
        paths = publish_status_lists(Issuer(config=config, key=key, store=store), out)
    if as_json:
        emit_json({"files": [str(p) for p in paths]})
    else:
        for path in paths:
            click.echo(str(path))
        click.echo(words().tr("{n} status list(s) written to {out}", n=str(len(paths)), out=out), err=True)


# --- omc stacks ------------------------------------------------------------------------------------------

@click.command("stacks", cls=OmcCommand)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--catalogue-config", type=click.Path(dir_okay=False),
              help="An institution configuration whose catalogue names the achievements still missing.")
@click.option("--no-verify", is_flag=True, help="Do not verify the credentials' proofs first (not recommended).")
@click.option("--json", "as_json", is_flag=True, help="Print the progress as JSON.")
@verifier_options  # type: ignore[untyped-decorator]
@handle_errors
def stacks_cmd(files: tuple[str, ...], catalogue_config: str | None, no_verify: bool, as_json: bool,
               did_documents: tuple[str, ...], offline: bool, allow_http_loopback: bool) -> None:
    """Summarise OMCs as progress toward the larger credentials they stack into (OMC+).

    Each credential's proof is verified first; one that does not verify is left out and named.

    \b
    Example:
      omc stacks wallet/weld-101.json wallet/weld-102.json
      omc stacks *.json --catalogue-config institution.yaml --json
    """
    verifier = None if no_verify else build_verifier(did_documents, offline, allow_http_loopback)
    credentials: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    progress: list[StackProgress]
    for name in files:
        document = loads_object(read_input(name), what=name)
        if verifier is not None:
            # offline, status lists cannot be fetched: count credentials whose core checks pass
            result = verifier.verify(document, checks=list(CORE_CHECKS) if offline else None)
            if not result.verified:
                skipped.append({"file": name, "reason": result.reason})
                continue
        credentials.append(document)
    catalogue = list(load_config(catalogue_config).catalogue.values()) if catalogue_config else None
    progress = stack_progress(credentials, catalogue=catalogue)
    if as_json:
        emit_json({"targets": [p.to_json() for p in progress], "skipped": skipped})
        return
    t = words()
    for entry in skipped:
        say(t.gettext("skipped {file}: {reason}").format(file=entry["file"], reason=_ours(entry["reason"], t)),
            err=True)
    if not progress:
        click.echo(t.gettext("no OMC+ stacking claims in these credentials"))
    for item in progress:  # names and programs come from the credentials: printed inert (say)
        say(item.line(t))
        if item.awarding_institution or item.program:
            say("    " + t.gettext("awarded by {institution}; program: {program}").format(
                institution=item.awarding_institution or "?", program=item.program or "?"))
        for counted in item.counted:
            say("    " + t.gettext("counts: {what}").format(what=counted))
        for missing in item.missing:
            say("    " + t.gettext("missing: {what}").format(what=missing))
        for note in item.notes:
            say("    " + t.gettext("note: {note}").format(note=_ours(note, t)))


# --- omc policy --------------------------------------------------------------------------------------------

@click.group("policy", cls=OmcSubGroup)
def policy_group() -> None:
    """Show the OMC policy, or check a credential against it."""


@policy_group.command("show")
@click.option("--policy", "policy_file", type=click.Path(dir_okay=False), help="A policy file (default: bundled).")
@click.option("--json", "as_json", is_flag=True, help="Print the policy as JSON.")
@handle_errors
def policy_show(policy_file: str | None, as_json: bool) -> None:
    """Show the policy in force (hours range, required metadata, NOC limit, categories, ...).

    \b
    Example:
      omc policy show
      omc policy show --json --policy ministry-policy-v2.json
    """
    policy = load_policy(Path(policy_file) if policy_file else None)
    if as_json:
        emit_json(policy.to_json())
        return
    t = words()
    # the policy's values (modes, categories, field names) are data: shown as the policy writes them
    say(t.gettext("OMC policy {version} ({source})").format(version=policy.version, source=policy.source)
        + (" - " + t.gettext("PROVISIONAL") if policy.provisional else ""))
    rows: list[tuple[str, dict[str, Any]]] = [
        (N_("instructional hours: {low} to {high}"), {"low": policy.min_hours, "high": policy.max_hours}),
        (N_("duration: {low} to {high} weeks"), {"low": policy.min_weeks, "high": policy.max_weeks}),
        (N_("NOC 2021 codes: at most {n}"), {"n": policy.max_noc_codes}),
        (N_("delivery modes: {values}"), {"values": ", ".join(policy.delivery_modes)}),
        (N_("qualification categories: {values}"), {"values": "; ".join(policy.qualification_categories)}),
        (N_("required achievement fields: {values}"), {"values": ", ".join(policy.required_achievement_fields)}),
        (N_("required issuer fields: {values}"), {"values": ", ".join(policy.required_issuer_fields)}),
        (N_("credentialStatus required: {answer}"),
         {"answer": t.gettext("yes") if policy.require_credential_status else t.gettext("no")}),
        (N_("past credentials of a suspended issuer: {rule}"), {"rule": policy.suspended_issuer_past_credentials})]
    for message, values in rows:
        shown = {k: t.amount(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
             for k, v in values.items()}
        say("  " + t.gettext(message).format(**shown))


@policy_group.command("check")
@click.argument("input_file", metavar="FILE", type=click.Path(allow_dash=True))
@click.option("--policy", "policy_file", type=click.Path(dir_okay=False), help="A policy file (default: bundled).")
@click.option("--json", "as_json", is_flag=True, help="Print the violations as JSON.")
@handle_errors
def policy_check(input_file: str, policy_file: str | None, as_json: bool) -> None:
    """Check a credential (signed or not) against the OMC policy; exit 1 naming each violating field.

    \b
    Example:
      omc policy check draft-omc.json
    """
    document = loads_object(read_input(input_file), what=input_file)
    problems = validate_omc(document, load_policy(Path(policy_file) if policy_file else None))
    if as_json:
        emit_json({"conforms": not problems, "violations": problems})
    else:
        t = words()
        for problem in problems:
            say(f"  {_ours(problem, t)}")
        click.echo(t.gettext("conforms to the OMC policy") if not problems else
                   t.tr("{n} violation(s)", n=t.amount(len(problems))))
    if problems:
        sys.exit(EXIT_FAILED)


# --- omc endorse ------------------------------------------------------------------------------------------

@click.command("endorse", cls=OmcCommand)
@click.option("--catalogue", "catalogue_file", required=True, type=click.Path(dir_okay=False),
              help="The institution's catalogue (YAML or JSON), or its institution configuration.")
@click.option("--achievement", required=True, help="Catalogue id of the achievement being endorsed.")
@click.option("--for-issuer", "for_issuer", required=True, metavar="DID",
              help="The DID of the institution whose OMCs will carry the endorsement (their issuer).")
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False), help="The endorser's key file.")
@click.option("--name", "endorser_name", required=True, help="The endorser's name (employer, industry body).")
@click.option("--url", "endorser_url", help="The endorser's web site.")
@click.option("--comment", required=True, help="The endorsement statement.")
@click.option("--language", metavar="TAG",
              help="Endorse the achievement's edition in this language (each edition is an achievement of its own).")
@output_option(N_("Write here instead of stdout."))
@click.option("--passphrase-env", metavar="VAR", help="Read the key passphrase from environment variable VAR.")
@handle_errors
def endorse_cmd(catalogue_file: str, achievement: str, for_issuer: str, key_file: str, endorser_name: str,
                endorser_url: str | None, comment: str, language: str | None, out: str | None,
                passphrase_env: str | None) -> None:
    """Sign an OB 3.0 EndorsementCredential of one institution's achievement (for its endorsementFiles).

    The endorsement is bound to the institution (--for-issuer) and to the achievement's defining
    fields as the catalogue defines them (name, hours, qualification category, credits, OMC+
    targets): verifiers refuse it on another institution's OMC, on another course, or once any of
    those fields changes. A name is shown as the ministry's registry records it when your DID is a
    registered institution's; otherwise it is shown marked "self-declared, not verified".

    \b
    Example:
      omc endorse --catalogue catalogue.yaml --achievement weld-101 \\
          --for-issuer did:web:registrar.college.example.ca \\
          --key employer.key --name "Ontario Welders Guild" --comment "Meets our entry standard" \\
          --out endorsements/guild.json
    """
    definitions = read_catalogue(catalogue_file)
    if achievement not in definitions:
        raise InputError(Message("achievement {achievement} is not in the catalogue {catalogue} (known: {known})",
                                 achievement=repr(achievement), catalogue=catalogue_file,
                                 known=", ".join(sorted(definitions))))
    pair = open_key(key_file, passphrase_env)
    profile: dict[str, Any] = {"id": pair.controller, "name": endorser_name}
    if endorser_url:
        profile["url"] = endorser_url
    document = build_endorsement(achievement=definitions[achievement], issuer=for_issuer, endorser=profile,
                                 comment=comment, key=pair, language=language)
    write_output(json.dumps(document, indent=2, ensure_ascii=False), out)


COMMANDS = [issue_cmd, status_group, stacks_cmd, policy_group, endorse_cmd]
