"""The institution's OMC offerings for other platforms (a provincial catalogue such as eCampusOntario's, a
credit-transfer database such as ONCAT's): each catalogue entry as an Open Badges 3.0 ``Achievement``
document, and as CSV.

An exported document is the achievement exactly as the institution's OMCs carry it
(:func:`~omc_vc.omc.builder.prepare_achievement`: the OB 3.0 ``Achievement`` with every OMC term: hours,
duration, qualification category, delivery mode, CIP and NOC codes, credits and their unit,
credit-transfer pathways, OMC+ stacking targets, embedded endorsements), with:

* ``@context``: the OMC's own (VC 2.0, OB 3.0.3, the OMC context), so the document is JSON-LD with nothing
  dropped (DI 1.0 §2.4.3's data-loss check is run on it) and every term means what it means in the OMC;
* ``creator``: the institution's OB 3.0 ``Profile`` (OB 3.0 §B.1.1 Achievement.creator), as its OMCs name
  their issuer.

The ``id`` is the achievement's URL, where the institution may host the document. An entry whose OMC
the policy refuses (the gate ``omc issue`` applies) is not an offering and is left out, with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from omc_vc import jsonld
from omc_vc.errors import OmcVcError
from omc_vc.issue.config import InstitutionConfig
from omc_vc.issue.status_lists import status_entry
from omc_vc.model import as_list
from omc_vc.omc.builder import CONTEXTS, Learner, build_omc, prepare_achievement

__all__ = ["CSV_COLUMNS", "CatalogueExport", "achievement_document", "csv_rows", "export_catalogue"]

#: The CSV columns: one row per offering. Lists of codes are joined with "; "; lists of objects (pathways,
#: OMC+ targets, outcomes) are compact JSON, so a database reads every field of every item.
CSV_COLUMNS: Final = ("catalogue_id", "id", "name", "description", "achievement_type", "language",
                      "instructional_hours", "duration_weeks", "qualification_category", "delivery_mode", "cip_code",
                      "noc_codes", "credits_available", "credit_unit", "credit_transfer", "omc_plus", "stacks_into",
                      "summative_assessment", "criteria", "alignment", "endorsers", "issuer_did", "issuer_name")


def achievement_document(config: InstitutionConfig, catalogue_id: str) -> dict[str, Any]:
    """One catalogue entry as a standalone OB 3.0 Achievement JSON-LD document (see the module)."""
    prepared = prepare_achievement(config.achievement(catalogue_id))
    document: dict[str, Any] = {"@context": list(CONTEXTS), "id": prepared.get("id"), "type": prepared["type"]}
    document.update(prepared)
    document["creator"] = config.issuer()
    return document


@dataclass
class CatalogueExport:
    """The offerings (catalogue id -> Achievement document) and the entries left out (catalogue id -> why)."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def _refusal(config: InstitutionConfig, catalogue_id: str) -> str | None:
    """Why the policy refuses the entry's OMCs (the gate of omc issue: a sample OMC built under the policy),
    or None."""
    sample_status = [status_entry(config.status.list_url("revocation", 1), 0, "revocation")]
    try:
        build_omc(issuer=config.issuer(), achievement=config.achievement(catalogue_id),
                  learner=Learner(name="Sample Learner", email="sample@example.org"), status=sample_status,
                  policy=config.policy)
    except OmcVcError as exc:
        return exc.detail
    return None


def export_catalogue(config: InstitutionConfig) -> CatalogueExport:
    """Every catalogue entry the policy accepts, as an Achievement document checked for JSON-LD data loss."""
    config.require_omc()
    out = CatalogueExport()
    for catalogue_id in config.catalogue:
        why = _refusal(config, catalogue_id)
        if why is None:
            document = achievement_document(config, catalogue_id)
            try:
                jsonld.check_data_loss(document)  # DI 1.0 §2.4.3: a term no context defines would be lost
            except OmcVcError as exc:
                why = exc.detail
            else:
                out.documents[catalogue_id] = document
        if why is not None:
            out.refused[catalogue_id] = why
    return out


def _joined(values: Any) -> str:
    return "; ".join(str(v) for v in as_list(values) if v is not None and not isinstance(v, dict | list))


def _compact(values: Any) -> str:
    items = [v for v in as_list(values) if isinstance(v, dict)]
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"), sort_keys=True) if items else ""


def _text(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("narrative") or value.get("description") or ""
    return "" if value is None else value


def csv_rows(export: CatalogueExport) -> list[list[Any]]:
    """A header (:data:`CSV_COLUMNS`) and one row per offering (the caller neutralises each cell)."""
    rows: list[list[Any]] = [list(CSV_COLUMNS)]
    for catalogue_id, doc in export.documents.items():
        found = doc.get("creator")
        creator: dict[str, Any] = found if isinstance(found, dict) else {}
        endorsers = []
        for endorsement in as_list(doc.get("endorsement")):
            issuer = endorsement.get("issuer") if isinstance(endorsement, dict) else None
            if isinstance(issuer, dict):
                endorsers.append(f"{issuer.get('name') or ''} <{issuer.get('id') or ''}>".strip())
            elif isinstance(issuer, str):
                endorsers.append(issuer)
        rows.append([
            catalogue_id, doc.get("id"), doc.get("name"), doc.get("description"), doc.get("achievementType"),
            doc.get("inLanguage"), doc.get("instructionalHours"), doc.get("durationWeeks"),
            doc.get("qualificationCategory"), doc.get("deliveryMode"), doc.get("cipCode"), _joined(doc.get("nocCodes")),
            doc.get("creditsAvailable"), doc.get("creditUnit"), _compact(doc.get("creditTransfer")),
            "yes" if as_list(doc.get("stacksInto")) else "no", _compact(doc.get("stacksInto")),
            _text(doc.get("summativeAssessment")), _text(doc.get("criteria")), _compact(doc.get("alignment")),
            "; ".join(endorsers), creator.get("id"), creator.get("name")])
    return rows
