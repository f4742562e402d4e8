"""OMC+ stacking: progress of a set of OMCs toward each larger credential they stack into.

Each OMC+ names, in its achievement's ``stacksInto`` list, the larger credentials it counts toward and
for how much credit. :func:`stack_progress` groups a learner's OMCs by target and adds the credit
(an achievement counts once, however many copies of it are given). When a catalogue of achievement
definitions is given, the achievements that also stack into a target but are not held are reported
as missing.

>>> from omc_vc.omc.model import OMC_CONTEXT
>>> def omc(ach_id, value):
...     return {"@context": ["https://www.w3.org/ns/credentials/v2", OMC_CONTEXT], "id": f"urn:uuid:{ach_id}",
...             "type": ["VerifiableCredential", "OpenBadgeCredential"],
...             "credentialSubject": {"achievement": {
...                 "id": ach_id, "name": ach_id, "achievementType": "MicroCredential",
...                 "stacksInto": [{"id": "https://c.example/dip", "name": "Diploma", "creditValue": value,
...                             "creditRequired": 6, "creditUnit": "credit"}]}}}
>>> [p.line() for p in stack_progress([omc("https://c.example/a", 3), omc("https://c.example/b", 1.5)])]
['Diploma: 4.5 of 6 credits (2 OMCs count, 1.5 credits to go)']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from omc_vc.i18n import Message, Translator, translator
from omc_vc.model import as_list
from omc_vc.omc.model import achievement_of, claims_omc, is_omc_shaped, stacking_targets

__all__ = ["StackProgress", "stack_progress"]


@dataclass
class StackProgress:
    """Progress toward one larger credential (an OMC+ stacking target)."""

    target_id: str
    name: str | None = None
    awarding_institution: str | None = None
    program: str | None = None
    credit_required: float | None = None
    credit_earned: float = 0.0
    unit: str | None = None
    counted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    awarded_by_issuer: bool | None = None
    determined_by: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.credit_required is not None and self.credit_earned >= self.credit_required

    @property
    def credit_remaining(self) -> float | None:
        if self.credit_required is None:
            return None
        return max(0.0, self.credit_required - self.credit_earned)

    def line(self, words: Translator | None = None) -> str:
        """One line for a person, in ``words``' language (default English)."""
        t = words or translator()
        if self.credit_required is not None:
            progress = t.tr("{earned} of {required}", earned=t.amount(self.credit_earned),
                            required=t.quantity(self.credit_required, self.unit))
        else:
            progress = t.quantity(self.credit_earned, self.unit)
        count = t.ngettext("{n} OMC counts", "{n} OMCs count", len(self.counted)).format(n=len(self.counted))
        if self.complete:
            state = t.gettext("complete")
        elif self.credit_remaining is not None:
            state = t.tr("{remaining} to go", remaining=t.quantity(self.credit_remaining, self.unit))
        else:
            state = t.gettext("credit required unknown")
        return t.tr("{target}: {progress} ({count}, {state})", target=self.name or self.target_id,
                    progress=progress, count=count, state=state)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.target_id, "name": self.name, "awardingInstitution": self.awarding_institution,
            "program": self.program, "creditRequired": self.credit_required, "creditEarned": self.credit_earned,
            "creditRemaining": self.credit_remaining, "unit": self.unit, "complete": self.complete,
            "counted": list(self.counted), "missing": list(self.missing),
            "awardedByIssuer": self.awarded_by_issuer, "creditDeterminedBy": list(self.determined_by),
            "notes": list(self.notes),
        }


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value < 0:
        return None
    return float(value)


def _label(achievement: dict[str, Any]) -> str:
    name = achievement.get("name")
    ident = achievement.get("id")
    if isinstance(name, str) and isinstance(ident, str):
        return f"{name} ({ident})"
    return str(name if isinstance(name, str) else ident)


def stack_progress(credentials: list[dict[str, Any]], *,
                   catalogue: Iterable[dict[str, Any]] | None = None) -> list[StackProgress]:
    """Summarise ``credentials`` (a learner's OMCs) as progress toward each stacking target.

    Credentials that are not OMCs are ignored. ``catalogue`` (achievement definitions) lets the result
    name the achievements still missing for each target. Signatures are not checked here: verify first.
    """
    progress: dict[str, StackProgress] = {}
    seen: dict[str, set[str]] = {}
    for credential in credentials:
        if not (claims_omc(credential) and is_omc_shaped(credential)):  # docs/vocabulary.md, "The OMC claim"
            continue
        achievement = achievement_of(credential) or {}
        ach_id = str(achievement.get("id") or credential.get("id"))
        cred_id = str(credential.get("id") or ach_id)
        for target in stacking_targets(credential):
            target_id = target.get("id")
            if not isinstance(target_id, str):
                continue
            item = progress.get(target_id)
            if item is None:
                item = progress[target_id] = StackProgress(target_id=target_id)
                seen[target_id] = set()
            _merge(item, target)
            if ach_id in seen[target_id]:
                item.notes.append(Message("{credential} repeats achievement {achievement}; its credit is counted once",
                                          credential=cred_id, achievement=ach_id))
                continue
            value = _number(target.get("creditValue"))
            if value is None:
                item.notes.append(Message("{credential} gives no usable creditValue for this target",
                                          credential=cred_id))
                continue
            seen[target_id].add(ach_id)
            item.credit_earned += value
            item.counted.append(cred_id)
    for definition in catalogue or ():
        if not isinstance(definition, dict):
            continue
        for target in as_list(definition.get("stacksInto")):
            if isinstance(target, dict) and target.get("id") in progress:
                target_id = str(target["id"])
                if str(definition.get("id")) not in seen[target_id]:
                    progress[target_id].missing.append(_label(definition))
    return sorted(progress.values(), key=lambda p: (p.name or "", p.target_id))


def _merge(item: StackProgress, target: dict[str, Any]) -> None:
    for attr, key in (("name", "name"), ("awarding_institution", "awardingInstitution"), ("program", "program"),
                      ("unit", "creditUnit")):
        value = target.get(key)
        if isinstance(value, str) and getattr(item, attr) is None:
            setattr(item, attr, value)
    required = _number(target.get("creditRequired"))
    if required is not None:
        if item.credit_required is not None and item.credit_required != required:
            item.notes.append(f"OMCs disagree on the credit required ({item.credit_required:g} vs {required:g}); "
                              "the larger is used")
            required = max(required, item.credit_required)
        item.credit_required = required
    determined = target.get("creditDeterminedBy")
    if isinstance(determined, str) and determined not in item.determined_by:
        item.determined_by.append(determined)
    awarded = target.get("awardedByIssuer")
    if isinstance(awarded, bool) and item.awarded_by_issuer is None:
        item.awarded_by_issuer = awarded
