"""``omc records``: the registrar's records of what was issued (list, search, show, export), and the helpers
``omc issue`` and ``omc status`` share with it (finding one credential, writing a file only with --force)."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import click

from omc_vc._internal import atomic
from omc_vc.errors import IssuanceError
from omc_vc.i18n import N_, Message
from omc_vc.issue.batch import csv_safe
from omc_vc.issue.config import InstitutionConfig, load_config
from omc_vc.issue.records import (
    CSV_COLUMNS,
    STATES,
    RecordQuery,
    RecordStore,
    as_jwt,
    csv_row,
    describe,
    original_learner_key,
    summaries,
)
from omc_vc.issue.status_ops import credential_ref
from omc_vc.issue.store import CredentialRecord
from omc_vc.issue.stores import IssuanceStore, open_store

from ._common import EXIT_USAGE, emit_json, fail, handle_errors, say
from ._lang import OmcSubGroup, words

__all__ = ["COMMANDS", "find_one", "interactive", "parse_day", "write_file"]


def interactive() -> bool:
    """Whether a person is at the terminal to answer a question (tests answer for one)."""
    return sys.stdin.isatty()


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail("USAGE_ERROR: " + words().tr("{option} '{value}' is not a date (YYYY-MM-DD)", option=option,
                                          value=value), EXIT_USAGE)


def write_file(out: str, text: str, *, force: bool) -> None:
    """Write ``out`` atomically, never over an existing file unless ``force``."""
    target = Path(out)
    if target.is_dir():
        fail("FILE_EXISTS: " + words().tr("{path} is a folder; name a file", path=out), EXIT_USAGE)
    if target.exists() and not force:
        fail("FILE_EXISTS: " + words().tr("{path} exists already; nothing was written (--force replaces it)",
                                          path=out), EXIT_USAGE)
    atomic.write_text(target, text if text.endswith("\n") else text + "\n")


def refuse_existing(out: str | None, *, force: bool) -> None:
    """Before any work: the same refusal as :func:`write_file` (nothing is issued for a file that cannot be
    written)."""
    if out is not None and Path(out).exists() and not force:
        fail("FILE_EXISTS: " + words().tr("{path} exists already; nothing was issued (--force replaces it)",
                                          path=out), EXIT_USAGE)


def _line(view: dict[str, Any]) -> str:
    """One record as a row of a listing: ISO day (a column), state in the reader's words, achievement, learner, id."""
    state = _state(view["state"])
    return (f"{view['issued'][:10]}  {state:<10}  {view['achievement'] or '-':<12}  {view['learner']}  "
            f"{view['id']}")


def _show_candidates(store: RecordStore, found: Sequence[CredentialRecord]) -> None:
    for view in summaries(store, found[:20]):
        say(f"  {_line(view)}", err=True)
    if len(found) > 20:
        say("  " + words().tr("... and {n} more", n=str(len(found) - 20)), err=True)


def find_one(store: RecordStore, ref: str, *, achievement: str | None = None,
             prefer: str | None = None) -> CredentialRecord:
    """The one credential ``ref`` names: its id, its file, or a record search (a name, a student number, an
    e-mail address), narrowed by ``achievement``. ``prefer`` ("live": not revoked; "suspended") picks the
    one such credential among several matches. Several left: each is listed and the command stops."""
    ident = credential_ref(ref)
    found = store.find(ident)
    searched = not found
    if searched:
        found = store.search(RecordQuery(text=ref))
    if achievement is not None:
        found = [r for r in found if r.achievement == achievement]
    if len(found) > 1 and prefer is not None:
        wanted = [r for r in found if r.revoked is None and (prefer != "suspended" or r.suspended)]
        if len(wanted) == 1:
            found = wanted
    if not found:
        # a Message: the CLI shows it in the reader's language (the code is the same in every language)
        how = Message(" (by id, file, name, student number or e-mail)") if searched else ""
        narrowed = Message(" for '{achievement}'", achievement=achievement) if achievement else ""
        raise IssuanceError(Message("no credential matches '{ref}'{narrowed}{how}", ref=ref, narrowed=narrowed,
                                    how=how), field="credential", code="NOT_FOUND")
    if len(found) > 1:
        _show_candidates(store, found)
        t = words()
        fail("AMBIGUOUS: " + t.gettext("{n} credentials match '{ref}': give one id (listed above)").format(
             n=len(found), ref=ref) + ("" if achievement else " " + t.gettext("or narrow with --achievement")),
             EXIT_USAGE)
    return found[0]


def _records_of(config_file: str) -> tuple[InstitutionConfig, IssuanceStore]:
    config = load_config(config_file)
    return config, open_store(config)


def _query(text: str | None, name: str | None, student_number: str | None, email: str | None,
           achievement: str | None, issued_from: str | None, issued_to: str | None, state: str | None,
           limit: int | None) -> RecordQuery:
    return RecordQuery(text=text, name=name, student_number=student_number, email=email, achievement=achievement,
                       issued_from=parse_day(issued_from, "--from"), issued_to=parse_day(issued_to, "--to"),
                       state=state, limit=limit)


def _filters(func: Any) -> Any:
    for option in reversed([
        click.option("--achievement", help="Only this catalogue achievement."),
        click.option("--from", "issued_from", metavar="YYYY-MM-DD", help="Issued on or after this day."),
        click.option("--to", "issued_to", metavar="YYYY-MM-DD", help="Issued on or before this day."),
        click.option("--state", type=click.Choice(STATES), help="Only credentials in this state."),
        click.option("--limit", type=click.IntRange(1), help="At most this many, oldest first."),
    ]):
        func = option(func)
    return func


_CONFIG = click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False),
                       help="Institution configuration (YAML or JSON).")


def _print_list(store: RecordStore, found: Sequence[CredentialRecord], as_json: bool) -> None:
    views = summaries(store, found)
    if as_json:
        emit_json({"count": len(views), "records": views})
        return
    for view in views:  # names come from the roster: printed inert
        say(_line(view))
    click.echo(words().tr("{n} record(s)", n=str(len(views))), err=True)


@click.group("records", cls=OmcSubGroup)
def records_group() -> None:
    """The registrar's records: what was issued, to whom, its state, history and corrections.

    Every subcommand reads the issuance store of the institution.yaml that omc issue reads (--config).
    A credential is named by its id, its file, or a search: a learner's name (any part, any case,
    with or without accents), student number or e-mail address.

    \b
    Example:
      omc records list --config institution.yaml --from 2026-09-01 --state active
      omc records search --config institution.yaml "Kiri Singh"
      omc records show --config institution.yaml S1002003
      omc records export --config institution.yaml --format csv --out records.csv
    """


@records_group.command("list")
@_CONFIG
@_filters
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@handle_errors
def list_cmd(config_file: str, achievement: str | None, issued_from: str | None, issued_to: str | None,
             state: str | None, limit: int | None, as_json: bool) -> None:
    """List the credentials issued, oldest first: day, state, achievement, learner, id.

    \b
    Example:
      omc records list --config institution.yaml
      omc records list --config institution.yaml --achievement weld-101 --from 2026-09-01 --to 2026-12-31
      omc records list --config institution.yaml --state revoked --json
    """
    _, store = _records_of(config_file)
    with store:
        query = _query(None, None, None, None, achievement, issued_from, issued_to, state, limit)
        _print_list(store, store.search(query), as_json)


@records_group.command("search")
@_CONFIG
@click.argument("text", required=False)
@click.option("--name", help="Every word of it appears in the learner's name (any case, accents or not).")
@click.option("--student-number", help="The learner's student number.")
@click.option("--email", help="The learner's e-mail address.")
@_filters
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@handle_errors
def search_cmd(config_file: str, text: str | None, name: str | None, student_number: str | None,
               email: str | None, achievement: str | None, issued_from: str | None, issued_to: str | None,
               state: str | None, limit: int | None, as_json: bool) -> None:
    """Find credentials by learner: TEXT is a name, a student number, an e-mail address or an id.

    \b
    Example:
      omc records search --config institution.yaml "kiri singh"
      omc records search --config institution.yaml --student-number S1002003
      omc records search --config institution.yaml --email ana@example.ca --json
    """
    if not any((text, name, student_number, email)):
        fail("USAGE_ERROR: " + words().gettext("give TEXT, --name, --student-number or --email (omc records list lists "
                                               "them all)"), EXIT_USAGE)
    _, store = _records_of(config_file)
    with store:
        query = _query(text, name, student_number, email, achievement, issued_from, issued_to, state, limit)
        _print_list(store, store.search(query), as_json)


@records_group.command("show")
@_CONFIG
@click.argument("ref", metavar="ID-FILE-OR-SEARCH")
@click.option("--achievement", help="Narrow a search to this achievement.")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@handle_errors
def show_cmd(config_file: str, ref: str, achievement: str | None, as_json: bool) -> None:
    """Show one credential: the learner, the achievement, its state, its status history with the reasons,
    and the credentials it replaces or that replaced it.

    \b
    Example:
      omc records show --config institution.yaml urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427
      omc records show --config institution.yaml "Kiri Singh" --achievement weld-101 --json
    """
    _, store = _records_of(config_file)
    with store:
        view = describe(store, find_one(store, ref, achievement=achievement))
    if as_json:
        emit_json(view)
        return
    t = words()
    labels = {key: t.gettext(label) for key, label in _SHOW_LABELS.items()}
    width = max(len(label) for label in labels.values()) + 1

    def line(key: str, value: str) -> None:  # the record's text is the registrar's: the line is made inert by say
        say(f"  {labels[key]:<{width}} {value}")

    say(view["id"])
    line("learner", f"{view['learner']} ({view['learnerKey']})")
    line("achievement", f"{view['achievement'] or '-'}" + (f" ({view['achievementName']})" if view["achievementName"]
                                                          else ""))
    line("state", _state(view["state"]))
    facts = [t.gettext("issued {day}").format(day=_day(view["issued"]))]
    if view.get("completed"):
        facts.append(t.gettext("completed {day}").format(day=_day(view["completed"])))
    if view.get("result"):
        facts.append(t.gettext("result {result}").format(result=view["result"]))
    if view.get("validUntil"):
        facts.append(t.gettext("valid until {day}").format(day=_day(str(view["validUntil"]))))
    line("facts", ", ".join(facts))
    for url in view["evidence"]:
        line("evidence", url)
    if view["file"]:
        line("file", view["file"])
    if view["statusList"]:
        line("status", t.gettext("{list} index {index}").format(list=view["statusList"], index=view["statusIndex"]))
    for key in ("replaces", "replacedBy", "reissueOf", "reissuedAs"):
        if view.get(key):
            line(key, view[key])
    say("  " + labels["history"])
    for event in view["history"]:  # an event's action is a code (issue, revoke, ...): the same in every language
        say(f"    {event['at']}  {event['action']}"
            + ("  " + t.gettext("(reason: {reason})").format(reason=event["reason"]) if event["reason"] else ""))


#: The labels of ``omc records show``, aligned in a column of the widest one's width.
_SHOW_LABELS = {"learner": N_("learner:"), "achievement": N_("achievement:"), "state": N_("state:"),
                "facts": N_("facts:"), "evidence": N_("evidence:"), "file": N_("file:"), "status": N_("status:"),
                "replaces": N_("replaces:"), "replacedBy": N_("replaced by:"), "reissueOf": N_("reissue of:"),
                "reissuedAs": N_("reissued as:"), "history": N_("history:")}


def _state(state: object) -> str:
    """A record's state as a person reads it (``--json`` keeps the state's code). Said of the credential (the
    attestation, feminine in French): its own message context, apart from the same English word said of a consent."""
    catalog = words().catalog
    shown = {"active": catalog.pgettext("credential state", "active"),
             "revoked": catalog.pgettext("credential state", "revoked"),
             "suspended": catalog.pgettext("credential state", "suspended"),
             "superseded": catalog.pgettext("credential state", "superseded")}
    return shown.get(str(state), str(state))


@records_group.command("export")
@_CONFIG
@click.argument("ref", metavar="[ID-FILE-OR-SEARCH]", required=False)
@click.option("--format", "fmt", type=click.Choice(["json", "jwt", "csv"]),
              help="With a credential: json (as issued, the default) or jwt (a VC-JWT, OB 3.0 §8.2). "
                   "Without one: csv (the default) or json, every record the filters select.")
@_filters
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--passphrase-env", metavar="VAR", help="--format jwt: read the key passphrase from VAR.")
@handle_errors
def export_cmd(config_file: str, ref: str | None, fmt: str | None, achievement: str | None,
               issued_from: str | None, issued_to: str | None, state: str | None, limit: int | None,
               out: str | None, force: bool, passphrase_env: str | None) -> None:
    """Export one issued credential again (as issued, or as a VC-JWT), or the records as CSV or JSON for a
    registrarial system (CSV cells are neutralised against spreadsheet formulas).

    \b
    Example:
      omc records export --config institution.yaml urn:uuid:1b4e28ba-... --out ana.json
      omc records export --config institution.yaml "Ana Silva" --format jwt --out ana.jwt
      omc records export --config institution.yaml --from 2026-09-01 --format csv --out records.csv
    """
    config, store = _records_of(config_file)
    with store:
        if ref is not None:
            record = find_one(store, ref, achievement=achievement)
            chosen = fmt or "json"
            if chosen == "csv":
                text = _csv(store, [record])
            else:
                document = store.document(record.id)
                if document is None:
                    raise IssuanceError(
                        Message("{id} was issued before the store kept the signed credentials; its file is {file}",
                                id=record.id, file=record.file or Message("not recorded")), code="NOT_FOUND")
                if chosen == "jwt":
                    from .omc import _key

                    text = as_jwt(document, _key(config, passphrase_env))
                else:
                    text = json.dumps(document, indent=2, ensure_ascii=False)
        else:
            if fmt == "jwt":
                fail("USAGE_ERROR: " + words().gettext("--format jwt exports one credential: name it (an id, a file "
                                                       "or a search)"), EXIT_USAGE)
            found = store.search(_query(None, None, None, None, achievement, issued_from, issued_to, state, limit))
            if fmt == "json":
                text = json.dumps({"count": len(found), "records": [describe(store, r) for r in found]},
                                  indent=2, ensure_ascii=False)
            else:
                text = _csv(store, found)
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_file(out, text, force=force)
        click.echo(words().tr("wrote {path}", path=out), err=True)


def _csv(store: RecordStore, records: Sequence[CredentialRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow([csv_safe(value) for value in csv_row(store, record)])
    return buffer.getvalue()


def record_line(record: CredentialRecord) -> str:
    """A credential as one line for a person: id (learner, achievement, issued day)."""
    return words().gettext("{id} ({learner}, {achievement}, issued {day}; {key})").format(
        id=record.id, learner=record.learner_name, achievement=record.achievement or "-",
        day=_day(record.issued[:10]), key=original_learner_key(record.learner_key))


def _day(text: str) -> str:
    """A day or timestamp the records keep: as stored in English, its day the fr-CA way in French."""
    return words().day(text)


COMMANDS = [records_group]
