"""A small OMC world hosted by the web service itself: a ministry registry file, an institution's
status lists in a folder, and signed credentials whose status lists point at the service.

Everything is generated with fresh keys for each test; nothing here is a hard-coded result.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from omc_vc._internal.timeutil import utcnow
from omc_vc.bitstring import MIN_BITS, set_status
from omc_vc.issue.status_lists import build_status_list_credential, status_entry
from omc_vc.keys import KeyPair
from omc_vc.omc.builder import Learner, build_omc, issuer_profile, sign_omc
from omc_vc.proofs.data_integrity import add_proof
from omc_vc.proofs.jose import envelope
from omc_vc.registry import Anchors, QualityAssurance, RegistryDraft, sign_registry
from omc_vc.web.config import Hosted, Limits, SharesConfig, WebConfig
from tests.fixtures.registry import world as fixture_world

ACHIEVEMENT: dict[str, Any] = {**fixture_world.ACHIEVEMENT, "creditsAvailable": 3, "creditUnit": "credit"}
PLUS_TARGET = fixture_world.PLUS_TARGET
#: The achievement's French (Canada) edition (docs/adr/0017-english-and-french.md): its words and its own id; an OMC
#: issued with ``language="fr-CA"`` carries them, ``inLanguage: fr-CA`` and an OB 3.0 ``related`` entry naming the
#: English edition.
FRENCH_EDITION: dict[str, Any] = {
    "id": "https://college.example.ca/achievements/welding-safety-fr",
    "name": "Fondements de la sécurité en soudage",
    "description": "Pratiques sécuritaires en atelier de soudage : EPI, ventilation, surveillance des incendies et "
                   "permis de travail à chaud.",
    "criteria": {"narrative": "Réussir une évaluation pratique supervisée et un examen écrit."},
    "summativeAssessment": {"description": "Évaluation pratique supervisée en atelier."},
    "alignment": [{"targetName": "Soudeurs/soudeuses et opérateurs/opératrices de machines à souder et à braser"}],
}
FRENCH_TARGET = {"name": "Certificat en techniques de soudage", "awardingInstitution": "Collège Exemple",
                 "program": "Techniques de soudage"}
COLLEGE = "Example College of Applied Arts and Technology"
LEARNER = "Ada Lovelace-Learner"


@dataclass
class Issuer:
    name: str
    key: KeyPair
    slug: str
    bits: bytearray = field(default_factory=lambda: bytearray(MIN_BITS // 8))
    next_index: int = 0
    #: the suspension list's bits (published at list_url(slug) + "-suspension")
    suspended: bytearray = field(default_factory=lambda: bytearray(MIN_BITS // 8))


@dataclass
class WebWorld:
    folder: Path
    base_url: str
    ministry: KeyPair
    now: datetime
    draft: RegistryDraft
    issuers: dict[str, Issuer] = field(default_factory=dict)

    @property
    def status_dir(self) -> Path:
        return self.folder / "status"

    @property
    def registry_file(self) -> Path:
        return self.folder / "registry.json"

    @property
    def anchors_file(self) -> Path:
        return self.folder / "anchors.json"

    def add_issuer(self, name: str, slug: str, *, listed: bool = True, key_type: str = "ed25519") -> Issuer:
        issuer = Issuer(name, KeyPair.generate(key_type), slug)  # type: ignore[arg-type]
        self.issuers[slug] = issuer
        self.publish_status(slug)
        if listed:
            self.draft.add_institution(legal_name=name, kind="college", dids=[issuer.key.controller],
                                       consent_reference=f"MCU-OMC-{slug.upper()}", scope=("OMC", "OMC+"),
                                       granted=self.now - timedelta(days=365),
                                       quality_assurance=QualityAssurance(
                                           "Ontario College Quality Assurance Service",
                                           self.now - timedelta(days=700), "OCQAS-1"))
            self.publish_registry()
        return issuer

    def list_url(self, slug: str) -> str:
        return f"{self.base_url}/status/{slug}"

    def publish_status(self, slug: str) -> None:
        issuer = self.issuers[slug]
        self.status_dir.mkdir(parents=True, exist_ok=True)
        for name, purpose, bits in ((slug, "revocation", issuer.bits), (f"{slug}-suspension", "suspension",
                                                                         issuer.suspended)):
            doc = build_status_list_credential(list_url=f"{self.base_url}/status/{name}", key=issuer.key,
                                               issuer=issuer.key.controller, purpose=purpose, bitstring=bytes(bits),
                                               valid_from=self.now - timedelta(days=400))
            (self.status_dir / f"{name}.json").write_text(json.dumps(doc), encoding="utf-8")

    def publish_registry(self) -> None:
        signed = sign_registry(self.draft, [self.ministry], now=self.now - timedelta(minutes=1),
                               valid_for=timedelta(days=30), version=1)
        self.registry_file.write_text(json.dumps(signed), encoding="utf-8")
        self.anchors_file.write_text(json.dumps(self.draft.anchors.to_json()), encoding="utf-8")

    def credential(self, slug: str, *, plus: bool = False, holder: str | None = None, suspendable: bool = False,
                   completed: date | None = None, result: str | None = None,
                   valid_until: datetime | None = None, language: str | None = None) -> tuple[dict[str, Any], int]:
        """A signed OMC (OMC+ with ``plus``) and its status index; ``holder``: the learner's DID (subject id);
        ``suspendable``: a suspension entry too (same index); ``completed``, ``result``, ``valid_until``: the
        completion date, the result and the expiry it states; ``language``: the edition it is issued in (the
        achievement then has its English and French editions; ``fr-CA``: the French one)."""
        issuer = self.issuers[slug]
        definition = copy.deepcopy(ACHIEVEMENT)
        if plus:
            definition["stacksInto"] = [dict(PLUS_TARGET)]
        if language is not None:
            definition["editions"] = {"fr-CA": {**copy.deepcopy(FRENCH_EDITION),
                                                **({"stacksInto": [dict(FRENCH_TARGET)]} if plus else {})}}
        index = issuer.next_index
        issuer.next_index += 1
        profile = issuer_profile(issuer.key.controller, {"name": issuer.name, "url": "https://college.example.ca",
                                                         "omcConsentReference": f"MCU-OMC-{slug.upper()}"})
        moment = self.now - timedelta(days=10)
        status = [status_entry(self.list_url(slug), index, "revocation")]
        if suspendable:
            status.append(status_entry(self.list_url(slug) + "-suspension", index, "suspension"))
        unsigned = build_omc(issuer=profile, achievement=definition,
                             learner=Learner(name=LEARNER, email="ada@example.com", did=holder),
                             status=status, issued=moment, completed=completed, result=result,
                             valid_until=valid_until, language=language)
        unsigned.pop("credentialSchema", None)
        return sign_omc(unsigned, issuer.key, created=moment), index

    def revoke(self, slug: str, index: int) -> None:
        set_status(self.issuers[slug].bits, index, 1)
        self.publish_status(slug)

    def suspend(self, slug: str, index: int) -> None:
        set_status(self.issuers[slug].suspended, index, 1)
        self.publish_status(slug)

    def config(self, **changes: Any) -> WebConfig:
        base = WebConfig(public_url=self.base_url, registry=str(self.registry_file), anchors=self.anchors_file,
                         offline=True, cache_dir=self.folder / "cache",
                         hosted=Hosted(registry_file=self.registry_file, status_dir=self.status_dir),
                         shares=SharesConfig(), limits=Limits())
        return base.with_overrides(**changes)


def make_world(folder: Path, base_url: str = "https://verify.example.ca") -> WebWorld:
    ministry = KeyPair.generate("ed25519")
    draft = RegistryDraft.new("https://mcu.example.gov.on.ca/omc/registry", anchors=Anchors((ministry.public_key,), 1))
    world = WebWorld(folder, base_url.rstrip("/"), ministry, utcnow().replace(microsecond=0), draft)
    world.add_issuer(COLLEGE, "college")
    world.add_issuer("Nowhere Institute", "nowhere", listed=False)
    return world


def share_presentation(credential: dict[str, Any] | str, holder: KeyPair, challenge: str, domain: str,
                       *, holder_did: str | None = None) -> dict[str, Any]:
    """What a wallet sends to create a share: a presentation of ``credential`` signed by ``holder``
    (proofPurpose authentication, over the service's challenge and domain). ``holder_did`` names another
    holder than the signer (a forged holder field)."""
    embedded = envelope(credential) if isinstance(credential, str) else credential
    presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                    "holder": holder_did or holder.controller, "verifiableCredential": [embedded]}
    return add_proof(presentation, holder, purpose="authentication", challenge=challenge, domain=domain,
                     expires=utcnow() + timedelta(minutes=10))
