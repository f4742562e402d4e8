"""``omc report`` (the institution's counts for the ministry) and ``omc catalogue export`` (its OMC offerings
for other platforms)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import click

from omc_vc.i18n import N_, Translator, translatable
from omc_vc.issue.batch import csv_safe
from omc_vc.issue.catalogue import csv_rows, export_catalogue
from omc_vc.issue.config import load_config
from omc_vc.issue.report import COUNTS, HOURS_BANDS, NONE, ministry_report
from omc_vc.issue.stores import open_store

from ._common import EXIT_FAILED, EXIT_USAGE, emit_json, fail, handle_errors, say
from ._lang import OmcCommand, OmcSubGroup, words
from .records import parse_day, write_file

__all__ = ["COMMANDS", "catalogue_group", "report_cmd"]

_CONFIG = click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False),
                       help="Institution configuration (YAML or JSON).")


def _table(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[csv_safe(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def _emit(text: str, out: str | None, force: bool) -> None:
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_file(out, text, force=force)
        say(words().gettext("wrote {path}").format(path=out), err=True)


def _columns(t: Translator) -> dict[str, str]:
    """The text report's heading of each count column (the CSV and the JSON keep the names of COUNTS)."""
    catalog = t.catalog
    return {"issued": catalog.pgettext("report column", "issued"),
            "reissued": catalog.pgettext("report column", "reissued"),
            "revoked": catalog.pgettext("report column", "revoked"),
            "superseded": catalog.pgettext("report column", "superseded"),
            "suspended": catalog.pgettext("report column", "suspended")}


#: The text report's heading of each breakdown.
_BREAKDOWNS = {"achievement": N_("achievement"), "qualificationCategory": N_("qualification category"),
               "cipCode": N_("CIP code"), "nocCode": N_("NOC code"), "deliveryMode": N_("delivery mode"),
               "hoursBand": N_("instructional hours"), "endorser": N_("endorsed by"), "partner": N_("partner")}
#: Values of ours among a breakdown's values (the hours bands, "(none)"), shown in the reader's words.
_VALUES = frozenset({NONE, *(label for _low, _high, label in HOURS_BANDS)})


@click.command("report", cls=OmcCommand)
@_CONFIG
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="First day of the period.")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Last day of the period (included).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True,
              help="text for a person, csv or json for the ministry's systems.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--partner", "partners", multiple=True, metavar="DID",
              help="A partner institution's DID (a private career college's; repeatable): adds the partner "
                   "breakdown.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@handle_errors
def report_cmd(config_file: str, start: str, end: str, fmt: str, as_json: bool, partners: tuple[str, ...],
               out: str | None, force: bool) -> None:
    """Count the OMCs issued, revoked and suspended in a period, for the ministry: totals and per
    achievement, qualification category, CIP code, NOC code, delivery mode, hours band and endorsing
    partner. Counts only: no learner, no credential id.

    issued counts corrections and reissues too (reissued says how many); revoked leaves corrections out
    (superseded counts those); suspended counts each credential suspended in the period once.

    \b
    Example:
      omc report --config institution.yaml --from 2026-04-01 --to 2027-03-31
      omc report --config institution.yaml --from 2026-04-01 --to 2027-03-31 --format csv --out omc-2026.csv
      omc report --config institution.yaml --from 2026-04-01 --to 2027-03-31 --json \\
          --partner did:web:partner-college.example.ca
    """
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    assert first is not None and last is not None
    config = load_config(config_file)
    with open_store(config) as store:
        report = ministry_report(store, config, first, last, partners=partners)
    chosen = "json" if as_json else fmt
    if chosen == "json":
        text = json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    elif chosen == "csv":
        text = _table(report.csv_rows())
    else:
        t = words()
        columns = _columns(t)
        header = f"{'':44}" + "".join(f"{columns[c]:>11}" for c in COUNTS)
        lines = [t.tr("OMC report: {institution}, {start} to {end}",
                      institution=report.institution.get("name") or report.institution.get("did"),
                      start=report.start, end=report.end), header,
                 f"{t.gettext('total'):44}" + "".join(f"{t.amount(report.totals[c]):>11}" for c in COUNTS)]
        for name, entries in report.breakdowns.items():
            lines.append(t.gettext(_BREAKDOWNS.get(name, name)))
            for entry in entries:
                value = t.gettext(entry["value"]) if entry["value"] in _VALUES else f"{entry['value']}"
                label = value + (f" ({entry['label']})" if entry["label"] else "")
                lines.append(f"  {label[:42]:42}" + "".join(f"{t.amount(entry[c]):>11}" for c in COUNTS))
        if out is None:
            for line in lines:  # achievement names come from the catalogue: printed inert
                say(line)
            return
        text = "\n".join(lines) + "\n"
    _emit(text, out, force)


@click.group("catalogue", cls=OmcSubGroup)
def catalogue_group() -> None:
    """The institution's OMC offerings, for a provincial catalogue or a credit-transfer database.

    \b
    Example:
      omc catalogue export --config institution.yaml --out catalogue.json
      omc catalogue export --config institution.yaml --format csv --out catalogue.csv
    """


@catalogue_group.command("export")
@_CONFIG
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="json: a list of Open Badges 3.0 Achievement documents; csv: one row per offering.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--out-dir", type=click.Path(file_okay=False),
              help="json: also one file per offering, <catalogue id>.json, to host at each achievement's id.")
@click.option("--force", is_flag=True, help="Replace files that exist.")
@click.option("--json", "as_json", is_flag=True, help="Print what was exported and left out as JSON.")
@handle_errors
def catalogue_export_cmd(config_file: str, fmt: str, out: str | None, out_dir: str | None, force: bool,
                         as_json: bool) -> None:
    """Publish the catalogue's OMCs as Open Badges 3.0 Achievement documents (JSON-LD, valid against
    1EdTech's schema) or CSV, with every OMC field: hours, duration, category, delivery mode, CIP and
    NOC codes, credits, credit-transfer pathways, OMC+ targets, endorsements, the institution.

    An entry the OMC policy refuses is left out and named (exit 1 after the others are written).

    \b
    Example:
      omc catalogue export --config institution.yaml --out catalogue.json --out-dir public/achievements/
      omc catalogue export --config institution.yaml --format csv --out catalogue.csv
    """
    if out_dir and fmt != "json":
        fail("USAGE_ERROR: " + words().gettext("--out-dir writes the json documents: use it with --format json"),
             EXIT_USAGE)
    if as_json and out is None and out_dir is None:
        fail("USAGE_ERROR: " + words().gettext("--json prints a summary: write the export with --out or --out-dir"),
             EXIT_USAGE)
    export = export_catalogue(load_config(config_file))
    files: list[str] = []
    if out_dir is not None:
        folder = Path(out_dir)
        targets = {cid: folder / f"{cid}.json" for cid in export.documents}
        clashes = [str(p) for p in targets.values() if p.exists()]
        if clashes and not force:
            fail("FILE_EXISTS: " + words().gettext("{path} exists already; nothing was written (--force replaces it)")
                 .format(path=clashes[0]), EXIT_USAGE)
        for catalogue_id, path in targets.items():
            write_file(str(path), json.dumps(export.documents[catalogue_id], indent=2, ensure_ascii=False), force=True)
            files.append(str(path))
    if out is not None or out_dir is None:
        if fmt == "csv":
            text = _table(csv_rows(export))
        else:
            text = json.dumps(list(export.documents.values()), indent=2, ensure_ascii=False) + "\n"
        if out is None:
            click.echo(text, nl=False)
        else:
            write_file(out, text, force=force)
            files.append(out)
    if as_json:
        emit_json({"exported": list(export.documents), "refused": export.refused, "files": files})
    t = words()
    if not as_json:
        for catalogue_id, why in export.refused.items():
            shown = t.render(why) if translatable(why) else why
            say(t.gettext("left out {id}: {why}").format(id=catalogue_id, why=shown), err=True)
        exported = len(export.documents)
        say((t.gettext("{n} offering(s) exported to {files}").format(n=exported, files=", ".join(files)) if files
             else t.gettext("{n} offering(s) exported").format(n=exported)), err=True)
    if export.refused:
        left = len(export.refused)
        click.echo("error: REFUSED: " + t.ngettext("{n} catalogue entry left out (see above)",
                                                   "{n} catalogue entries left out (see above)", left).format(n=left),
                   err=True)
        sys.exit(EXIT_FAILED)


COMMANDS = [report_cmd, catalogue_group]
