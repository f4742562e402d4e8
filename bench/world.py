"""The benchmark's world: one institution, its typical OMC, its status lists and a ministry registry.

The institution is the sample the tests use (``tests/fixtures/omc/institution.yaml`` and
``catalogue.yaml``) with a freshly generated did:key issuer, so the "typical OMC" here is the one the
test-suite signs: ``weld-101`` (an OB 3.0 OpenBadgeCredential with alignment, credit transfer, an OMC+
stacking claim, hashed learner identifiers and a BitstringStatusListEntry), built with the OMC
builder (``omc_vc.omc.builder``) and signed with eddsa-rdfc-2022.

Everything runs offline: did:key resolves locally, the status lists are pinned documents and the
registry is a local file verified against an in-memory trust anchor.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "tests" / "fixtures" / "omc"
ACHIEVEMENTS = ("weld-101", "weld-102", "weld-103", "safety-100")
TYPICAL_ACHIEVEMENT = "weld-101"
#: A fixed issuance moment keeps documents identical from run to run (only keys and salts differ).
ISSUED = datetime.fromisoformat("2026-06-15T09:00:00+00:00")


@dataclass
class Institution:
    """A loaded institution configuration (omc_vc.issue.config) and its signing key."""

    folder: Path
    config: Any  # omc_vc.issue.config.InstitutionConfig
    key: Any  # omc_vc.keys.KeyPair


def make_institution(folder: Path) -> Institution:
    """Copy the sample institution into ``folder`` with a new did:key issuer (a plaintext benchmark key)."""
    from omc_vc.issue.config import load_config
    from omc_vc.keys import KeyPair, save_key

    folder.mkdir(parents=True, exist_ok=True)
    pair = KeyPair.generate()
    save_key(folder / "issuer.key", pair, None, insecure_plaintext=True, overwrite=True)
    text = (SAMPLE / "institution.yaml").read_text(encoding="utf-8")
    # line edits rather than a YAML round trip, so every other value reaches load_config as written
    text = re.sub(r"(?m)^did: .*$", f"did: {pair.controller}", text)
    text = re.sub(r"(?m)^verification_method: .*\n", "", text)
    (folder / "institution.yaml").write_text(text, encoding="utf-8")
    shutil.copy(SAMPLE / "catalogue.yaml", folder / "catalogue.yaml")
    config = load_config(folder / "institution.yaml")
    return Institution(folder, config, config.load_key())


def typical_unsigned(inst: Institution, *, number: int = 0, index: int = 7) -> dict[str, Any]:
    """The typical OMC, unsigned: learner ``number`` of the sample cohort, revocation index ``index``."""
    from omc_vc.issue.status_lists import status_entry
    from omc_vc.omc.builder import Learner, build_omc, issuer_profile

    config = inst.config
    return build_omc(issuer=issuer_profile(config.did, config.profile),
                     achievement=config.achievement(TYPICAL_ACHIEVEMENT),
                     learner=Learner(name=f"Learner {number:06d}", email=f"learner{number:06d}@example.ca"),
                     status=[status_entry(config.status.list_url("revocation", 1), index, "revocation")],
                     issued=ISSUED, credential_id=f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
                     policy=config.policy)


def signed_pool(inst: Institution, count: int) -> list[dict[str, Any]]:
    """``count`` distinct signed typical OMCs; each proof has its own ``created``, so each has its own
    proof configuration (a verifier sees a different credential on every request)."""
    from omc_vc.omc.builder import sign_omc

    return [sign_omc(typical_unsigned(inst, number=n, index=n), inst.key, created=ISSUED + timedelta(seconds=n))
            for n in range(count)]


def status_documents(inst: Institution) -> dict[str, dict[str, Any]]:
    """Signed, all-clear revocation and suspension lists (list 1 of each), by URL."""
    from omc_vc.issue.status_lists import build_status_list_credential

    config = inst.config
    documents: dict[str, dict[str, Any]] = {}
    for purpose in ("revocation", "suspension"):
        url = config.status.list_url(purpose, 1)
        documents[url] = build_status_list_credential(
            list_url=url, key=inst.key, issuer=config.did, purpose=purpose,
            bitstring=bytes(config.status.list_bits // 8), valid_from=ISSUED - timedelta(days=30))
    return documents


@dataclass
class Registry:
    """A signed ministry registry file that lists the institution, and the anchors that verify it."""

    path: Path
    anchors: Any  # omc_vc.registry.Anchors


def make_registry(inst: Institution, folder: Path) -> Registry:
    """A registry signed by a fresh ministry key, listing the institution (OMC and OMC+ consent)."""
    from omc_vc._internal.timeutil import utcnow
    from omc_vc.keys import KeyPair
    from omc_vc.registry import Anchors, QualityAssurance, RegistryDraft, sign_registry

    ministry = KeyPair.generate("ed25519")
    draft = RegistryDraft.new("https://mcu.example.gov.on.ca/omc/registry", anchors=Anchors((ministry.public_key,), 1))
    draft.add_institution(legal_name=str(inst.config.profile.get("name", "Example College")), kind="college",
                          dids=[inst.config.did], consent_reference=str(inst.config.profile["omcConsentReference"]),
                          scope=("OMC", "OMC+"), granted=ISSUED - timedelta(days=365),
                          quality_assurance=QualityAssurance("Ontario College Quality Assurance Service",
                                                             ISSUED - timedelta(days=700), "OCQAS-1"))
    document = sign_registry(draft, [ministry], now=utcnow() - timedelta(minutes=1), valid_for=timedelta(days=30))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "registry.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return Registry(path, draft.anchors)


def roster_csv(rows: int) -> bytes:
    """A registrar's roster of ``rows`` distinct learners spread over the sample achievements."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "email", "student_number", "learner_did", "achievement", "completion_date", "result",
                     "evidence_url"])
    for n in range(rows):
        writer.writerow([f"Learner {n:06d}", f"learner{n:06d}@example.ca", f"S{n:08d}", "",
                         ACHIEVEMENTS[n % len(ACHIEVEMENTS)], "2026-06-12", "Pass", ""])
    return buffer.getvalue().encode("utf-8")
