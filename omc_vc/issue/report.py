"""The institution's report to the ministry: how many OMCs it issued, revoked and suspended in a period,
broken down by achievement, qualification category, CIP code, NOC code, delivery mode, hours band and
endorsing partner. Counts only: no learner, no credential id, no date finer than the period.

Each OMC is counted by the achievement **as it was issued** (the kept credential's
``credentialSubject.achievement``; the catalogue's definition only for a credential kept without its
document), so a catalogue changed since then does not rewrite past counts.

What is counted, for a period of days ``[from, to]`` (both included, UTC):

* ``issued``: OMCs issued in the period (corrections and reissues included);
* ``reissued``: of those, the ones issued in place of an earlier credential (a correction or a reissue);
* ``revoked``: revocations made in the period, corrections left out;
* ``superseded``: revocations made in the period because a correction replaced the credential;
* ``suspended``: credentials suspended in the period (each once, however often).

A credential counts once in every breakdown but the NOC codes (up to three per OMC, each counted) and the
endorsers (one row per organisation whose endorsement the OMC carries). A private career college's
partner endorses every OMC it confers (the verifier's partnership check), so the ``partner`` breakdown
(the DIDs given as ``partners``) counts the college's OMCs per partner, and its ``(none)`` row those that
carry no partner's endorsement. Credentials the VC-API signed (no catalogue achievement) are not OMCs and
are left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from omc_vc._internal.timeutil import format_datetime, utcnow
from omc_vc.errors import IssuanceError
from omc_vc.i18n import N_, Message
from omc_vc.issue.config import InstitutionConfig
from omc_vc.issue.records import RecordQuery, RecordStore, claims_of
from omc_vc.issue.store import CredentialRecord
from omc_vc.model import as_list
from omc_vc.omc.builder import prepare_achievement

__all__ = ["BREAKDOWNS", "COUNTS", "HOURS_BANDS", "NONE", "MinistryReport", "ministry_report"]

#: What each row counts.
COUNTS: Final = ("issued", "reissued", "revoked", "superseded", "suspended")
#: The breakdowns, in the order the report lists them.
BREAKDOWNS: Final = ("achievement", "qualificationCategory", "cipCode", "nocCode", "deliveryMode", "hoursBand",
                     "endorser", "partner")
#: Instructional hours bands: [low, high) and the band's label (the policy's range is 7 to 400 hours).
#: The labels are data (the CSV and the JSON write them so); the text report shows them in the reader's words.
HOURS_BANDS: Final = ((0.0, 15.0, N_("under 15")), (15.0, 30.0, "15-29"), (30.0, 60.0, "30-59"),
                      (60.0, 120.0, "60-119"), (120.0, float("inf"), N_("120 and over")))
#: The value of a breakdown an OMC has nothing for (no NOC code, no endorsement, ...).
NONE: Final = N_("(none)")


def hours_band(hours: Any) -> str:
    """The band of an ``instructionalHours`` value.

    >>> hours_band(42), hours_band(14.5), hours_band(None), hours_band(-1), hours_band(float("nan"))
    ('30-59', 'under 15', '(none)', '(none)', '(none)')
    """
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        return NONE
    # a negative or NaN value (a hand-edited document) falls in no band
    return next((label for low, high, label in HOURS_BANDS if low <= hours < high), NONE)


@dataclass
class MinistryReport:
    """The report: who, which period, the totals and each breakdown's rows (value, label, counts)."""

    institution: dict[str, Any]
    start: date
    end: date
    generated: str
    totals: dict[str, int]
    breakdowns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"institution": self.institution, "period": {"from": self.start.isoformat(), "to": self.end.isoformat()},
                "generated": self.generated, "counts": list(COUNTS), "totals": self.totals,
                "breakdowns": self.breakdowns}

    def csv_rows(self) -> list[list[Any]]:
        """A header and one row per (breakdown, value): the total first."""
        rows: list[list[Any]] = [["breakdown", "value", "label", *COUNTS],
                                 ["total", "", "", *(self.totals[c] for c in COUNTS)]]
        for name, entries in self.breakdowns.items():
            rows += [[name, e["value"], e["label"], *(e[c] for c in COUNTS)] for e in entries]
        return rows


def _text(value: Any) -> str:
    return value if isinstance(value, str) and value.strip() else NONE


def _values(achievement: dict[str, Any], catalogue_id: str,
            partners: frozenset[str] | None) -> dict[str, list[tuple[str, str]]]:
    """Each breakdown's (value, label) pairs for one OMC's achievement."""
    endorsers: dict[str, str] = {}
    for endorsement in as_list(achievement.get("endorsement")):
        issuer = endorsement.get("issuer") if isinstance(endorsement, dict) else None
        did = issuer.get("id") if isinstance(issuer, dict) else issuer
        if isinstance(did, str):
            name = issuer.get("name") if isinstance(issuer, dict) else None
            endorsers.setdefault(did, name if isinstance(name, str) else "")
    codes = [c for c in as_list(achievement.get("nocCodes")) if isinstance(c, str | int) and not isinstance(c, bool)]
    out = {
        "achievement": [(catalogue_id, _text(achievement.get("name")))],
        "qualificationCategory": [(_text(achievement.get("qualificationCategory")), "")],
        "cipCode": [(_text(achievement.get("cipCode")), "")],
        "nocCode": [(str(c), "") for c in codes] or [(NONE, "")],
        "deliveryMode": [(_text(achievement.get("deliveryMode")), "")],
        "hoursBand": [(hours_band(achievement.get("instructionalHours")), "")],
        "endorser": sorted(endorsers.items()) or [(NONE, "")],
    }
    if partners is not None:
        out["partner"] = sorted((d, n) for d, n in endorsers.items() if d in partners) or [(NONE, "")]
    return out


def ministry_report(store: RecordStore, config: InstitutionConfig, start: date, end: date, *,
                    partners: Iterable[str] = (), now: datetime | None = None) -> MinistryReport:
    """The report of ``[start, end]`` from the institution's records. ``partners``: the DIDs of the
    institution's partners (a private career college's), for the ``partner`` breakdown."""
    if start > end:
        raise IssuanceError(Message("the period starts ({start}) after it ends ({end})",
                                    start=start, end=end), field="from")
    low, high = start.isoformat(), (end + timedelta(days=1)).isoformat()
    chosen = frozenset(partners) or None
    issued = [r for r in store.search(RecordQuery(issued_from=start, issued_to=end)) if r.achievement]
    revoked = [r for r in store.search(RecordQuery(state="revoked")) + store.search(RecordQuery(state="superseded"))
               if r.achievement and r.revoked is not None and low <= r.revoked < high]
    superseded = store.superseded([r.id for r in revoked])
    suspended_ids = list(dict.fromkeys(e.credential_id for e in store.events_between(low, high)
                                       if e.action == "suspend"))
    suspended = [r for r in store.records(suspended_ids) if r.achievement]
    reissued = {link.new for link in store.links([r.id for r in issued])}
    counted: dict[str, list[CredentialRecord]] = {
        "issued": issued, "reissued": [r for r in issued if r.id in reissued],
        "revoked": [r for r in revoked if r.id not in superseded],
        "superseded": [r for r in revoked if r.id in superseded], "suspended": suspended}
    achievements: dict[str, dict[str, Any]] = {}

    def achievement_of(record: CredentialRecord) -> dict[str, Any]:
        if record.id not in achievements:
            subjects = [s for s in as_list((claims_of(store.document(record.id)) or {}).get("credentialSubject"))
                        if isinstance(s, dict)]
            found = subjects[0].get("achievement") if subjects else None
            if not isinstance(found, dict):  # kept without its document: the catalogue's definition
                definition = config.catalogue.get(record.achievement)
                found = prepare_achievement(definition) if definition is not None else {}
            achievements[record.id] = found
        return achievements[record.id]

    rows: dict[str, dict[tuple[str, str], Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for count, records in counted.items():
        for record in records:
            for breakdown, pairs in _values(achievement_of(record), record.achievement, chosen).items():
                for pair in dict.fromkeys(pairs):
                    rows[breakdown][pair][count] += 1
    breakdowns: dict[str, list[dict[str, Any]]] = {
        name: [{"value": value, "label": label, **{c: counter[c] for c in COUNTS}}
               for (value, label), counter in sorted(rows[name].items())]
        for name in BREAKDOWNS if name in rows}
    profile = config.profile
    institution = {"did": config.did, "name": profile.get("name"),
                   "omcConsentReference": profile.get("omcConsentReference")}
    return MinistryReport(institution=institution, start=start, end=end,
                          generated=format_datetime(now or utcnow()),
                          totals={c: len(records) for c, records in counted.items()}, breakdowns=breakdowns)
