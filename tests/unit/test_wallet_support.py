"""Shared set-up for the wallet and QR tests: an institution, its status list, a typical signed OMC.

The helpers live here (not in a conftest) so every wallet/QR test file imports exactly what it uses.
The tests in this file check the set-up itself, so a broken fixture fails loudly in one place.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from omc_vc import bitstring
from omc_vc.did import DidResolver, did_web_document
from omc_vc.issue import status_lists
from omc_vc.keys import KeyPair
from omc_vc.proofs import data_integrity, jose
from omc_vc.verdict import make_verifier
from omc_vc.verify import Verifier
from tests.helpers import FIXTURES

ISSUER_DID = "did:web:registrar.lakeshore-college.example.ca"
LIST_URL = "https://registrar.lakeshore-college.example.ca/status/3"
STATUS_INDEX = 94567
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
ISSUED = datetime(2026, 6, 15, tzinfo=UTC)
# a fixed Ed25519 seed for the institution, so failures reproduce (never a real key)
ISSUER_SEED = "z3u2RDpgFe6Voz19gxWsBkueKj6XiuC9w1bSBT4FTowsWk6A"


def template() -> dict[str, Any]:
    """The typical OMC of tests/fixtures/wallet/typical-omc.json (unsigned; the subject id is a placeholder)."""
    value: dict[str, Any] = json.loads((FIXTURES / "wallet" / "typical-omc.json").read_text(encoding="utf-8"))
    return value


@dataclass
class Institution:
    """A college with a did:web key (pinned, no network) and a revocation status list."""

    key: KeyPair = field(default_factory=lambda: KeyPair.from_secret_multibase(ISSUER_SEED).with_id(
        f"{ISSUER_DID}#key-1", ISSUER_DID))
    revoked: set[int] = field(default_factory=set)
    list_url: str = LIST_URL

    @property
    def did_document(self) -> dict[str, Any]:
        return did_web_document(ISSUER_DID, [self.key.public_key], fragments=["key-1"])

    def resolver(self) -> DidResolver:
        return DidResolver(documents={ISSUER_DID: self.did_document})

    def status_list(self) -> dict[str, Any]:
        bits = bytearray(bitstring.MIN_BITS // 8)
        for index in self.revoked:
            bitstring.set_status(bits, index, 1)
        return status_lists.build_status_list_credential(list_url=self.list_url, key=self.key, issuer=ISSUER_DID,
                                                   purpose="revocation", bitstring=bytes(bits), valid_from=ISSUED,
                                                   created=ISSUED)

    def verifier(self) -> Verifier:
        """The full offline verifier (status list pinned, OMC profile; no registry)."""
        return make_verifier(offline=True, resolver=self.resolver(),
                             status_documents={self.list_url: self.status_list()})

    def core_verifier(self) -> Verifier:
        return Verifier(resolver=self.resolver())

    def issue(self, subject: str, *, changes: dict[str, Any] | None = None, index: int = STATUS_INDEX,
              achievement_id: str | None = None, credit: float | None = None) -> dict[str, Any]:
        """A signed typical OMC (eddsa-rdfc-2022) for ``subject``."""
        doc = template()
        doc["credentialSubject"]["id"] = subject
        doc["credentialStatus"]["statusListIndex"] = str(index)
        doc["credentialStatus"]["id"] = f"{self.list_url}#{index}"
        doc["credentialStatus"]["statusListCredential"] = self.list_url
        achievement = doc["credentialSubject"]["achievement"]
        if achievement_id:
            achievement["id"] = achievement_id
            doc["id"] = f"urn:uuid:00000000-0000-4000-8000-{hashlib.sha256(achievement_id.encode()).hexdigest()[:12]}"
        if credit is not None:
            achievement["stacksInto"][0]["creditValue"] = credit
        doc.update(copy.deepcopy(changes or {}))
        return data_integrity.add_proof(doc, self.key, created=ISSUED)

    def issue_jwt(self, subject: str) -> str:
        doc = template()
        doc["credentialSubject"]["id"] = subject
        return jose.sign_jwt(doc, self.key)


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


# --- the set-up checks itself ------------------------------------------------------------------------------

def test_typical_omc_fixture_verifies_with_status_and_profile() -> None:
    college = Institution()
    result = college.verifier().verify(college.issue("did:example:learner"), now=NOW)
    assert result.verified, result.errors
    assert {c.name for c in result.checks} >= {"proof", "status", "omc-profile"}


def test_revoked_index_is_reported_revoked() -> None:
    college = Institution(revoked={STATUS_INDEX})
    result = college.verifier().verify(college.issue("did:example:learner"), now=NOW)
    assert not result.verified
    assert any(c.code == "CREDENTIAL_REVOKED" for c in result.checks)
