"""Interoperability.

1. An independent eddsa-rdfc-2022 verifier, written here from the specs with nothing of omc_vc's
   JSON-LD or proof code: plain PyLD (its own URDNA2015, no memo, no escaping fixes) fed ONLY the
   published context bytes in ../shared/reference/contexts plus our omc-v1 context, did:key decoded
   by hand, Ed25519 from ``cryptography``. It must accept the OMCs we issue and their endorsements.
2. The OB 3.0 AchievementCredential JSON schema (the json-ld variant in ../shared, see its INDEX.md
   note 4) where it applies.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld as pyld

from omc_vc._internal.resources import contexts_dir
from tests.fixtures.omc.sample import endorsement_of, make_institution, signed_omc
from tests.helpers import SHARED, require_shared

OMC_CONTEXT_URL = "https://omc-vc.ca/contexts/omc/v1"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + raw


def _published_loader() -> Any:
    index = (SHARED / "reference" / "contexts" / "INDEX.md").read_text(encoding="utf-8")
    files: dict[str, Path] = {}
    for line in index.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1].startswith("https://") and cells[2].endswith((".json", ".jsonld")):
            files.setdefault(cells[1].split(" ")[0], SHARED / "reference" / "contexts" / cells[2])
    files[OMC_CONTEXT_URL] = contexts_dir() / "omc-v1.jsonld"

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url not in files:
            raise pyld.JsonLdError(f"not a published context: {url}", "loading document failed")
        return {"contextUrl": None, "documentUrl": url, "document": json.loads(files[url].read_text("utf-8"))}

    return load


def _rdfc(document: dict[str, Any], loader: Any) -> bytes:
    text = pyld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                     "documentLoader": loader, "base": None})
    return text.encode("utf-8")


def independent_verify(document: dict[str, Any]) -> None:
    """vc-di-eddsa §3.2 verify (eddsa-rdfc-2022); raises on any failure."""
    loader = _published_loader()
    proof = dict(document["proof"])
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    signature = _b58decode(proof.pop("proofValue")[1:])  # multibase 'z' = base58btc
    config = {**proof, "@context": document["@context"]}  # §3.2.5 proof configuration
    hash_data = hashlib.sha256(_rdfc(config, loader)).digest() + hashlib.sha256(_rdfc(unsecured, loader)).digest()
    vm = proof["verificationMethod"]
    did, fragment = vm.split("#", 1)
    assert did.startswith("did:key:z") and fragment == did[len("did:key:"):]
    multikey = _b58decode(fragment[1:])
    assert multikey[:2] == b"\xed\x01"  # ed25519-pub multicodec
    issuer = document["issuer"]["id"] if isinstance(document["issuer"], dict) else document["issuer"]
    assert issuer == did, "the proof must be made by the issuer"
    Ed25519PublicKey.from_public_bytes(multikey[2:]).verify(signature, hash_data)


@pytest.fixture
def issued(tmp_path) -> dict[str, Any]:
    require_shared()
    config, key = make_institution(tmp_path, suspension=False)
    return signed_omc(config, key, endorsement=[endorsement_of(config.did)])


def test_issued_omc_verifies_in_an_independent_implementation(issued) -> None:
    independent_verify(issued)


def test_embedded_endorsement_verifies_in_an_independent_implementation(issued) -> None:
    independent_verify(issued["credentialSubject"]["achievement"]["endorsement"][0])


def test_independent_verifier_rejects_a_changed_omc_claim(issued) -> None:
    # the control: the independent verifier is not a rubber stamp
    changed = copy.deepcopy(issued)
    changed["credentialSubject"]["achievement"]["instructionalHours"] = 420
    with pytest.raises(InvalidSignature):
        independent_verify(changed)


def _schema_view(credential: dict[str, Any]) -> dict[str, Any]:
    # contexts/INDEX.md note 4: the only public copy of the schema (the json-ld variant) requires
    # arrays for ``proof`` (and type/credentialSchema), so every single-proof credential fails it,
    # the 1EdTech implementation guide's own vector included. VCDM 2.0 allows a single proof object,
    # so we validate a view with each proof wrapped in a one-element array and change nothing else.
    view = copy.deepcopy(credential)
    view["proof"] = [view["proof"]]
    for endorsement in view["credentialSubject"]["achievement"].get("endorsement", []):
        endorsement["proof"] = [endorsement["proof"]]
    return view


def test_issued_omc_validates_against_the_ob3_achievement_credential_schema(issued) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SHARED / "reference" / "contexts" /
                         "ob_v3p0_achievementcredential_schema.jsonld-variant.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft201909Validator(schema)
    errors = sorted(validator.iter_errors(_schema_view(issued)), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    # and the schema does bite: a learner identity typed with an unknown identityType fails it
    broken = _schema_view(issued)
    broken["credentialSubject"]["identifier"][0]["identityType"] = "shoeSize"
    assert list(validator.iter_errors(broken))
