"""The one Issuer secures an OMC as a VC-JWT (Open Badges 3.0 §8.2) as well as with a Data Integrity proof.

OpenID4VCI's ``jwt_vc_json`` credentials come from :meth:`Issuer.issue` with ``secured="jwt"``: the same
OMC (policy, status entries, record in the store), a JWT instead of an embedded proof.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from omc_vc.did import DidResolver
from omc_vc.errors import IssuanceError
from omc_vc.issue.sqlite_store import SqliteStore
from omc_vc.keys import KeyPair
from omc_vc.omc.builder import Learner
from omc_vc.proofs import jose
from omc_vc.verify import Verifier
from tests.fixtures.omc.sample import make_institution, open_issuer


def _payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))  # type: ignore[no-any-return]


@pytest.fixture
def institution(tmp_path: Path) -> tuple[Any, KeyPair]:
    return make_institution(tmp_path / "college", suspension=False)


def test_jwt_omc_verifies_and_carries_the_ob3_registered_claims(institution: tuple[Any, KeyPair],
                                                                tmp_path: Path) -> None:
    config, key = institution
    holder = KeyPair.generate().public_key.did_key
    issuer = open_issuer(config, key)
    out = tmp_path / "ana.jwt"
    issued = issuer.issue(learner=Learner(name="Ana Silva", did=holder), achievement="weld-101", secured="jwt",
                          out_file=out)
    assert issued.token is not None and jose.is_jwt(issued.token)
    assert out.read_text(encoding="ascii") == issued.token + "\n"
    assert issued.record.content_hash == hashlib.sha256(out.read_bytes()).hexdigest()
    claims = _payload(issued.token)
    # OB 3.0 §8.2: iss = issuer.id, jti = id, sub = credentialSubject.id (the holder), nbf = validFrom
    assert claims["iss"] == key.controller and claims["sub"] == holder
    assert claims["jti"] == issued.record.id and claims["credentialSubject"]["id"] == holder
    assert "proof" not in claims and claims["credentialStatus"]["type"] == "BitstringStatusListEntry"
    result = Verifier(resolver=DidResolver()).verify(issued.token)
    assert result.verified, result.errors
    assert result.format == "jwt"


def test_jwt_omc_is_kept_in_the_store_as_its_enveloped_credential(institution: tuple[Any, KeyPair]) -> None:
    config, key = institution
    issued = open_issuer(config, key).issue(learner=Learner(name="Ben Okafor", email="ben@example.ca"),
                                            achievement="safety-100", secured="jwt")
    assert issued.token is not None
    with SqliteStore(config.state_path) as store:
        stored = store.document(issued.record.id)
    assert stored == issued.credential == jose.envelope(issued.token)
    assert jose.unenvelope(stored) == issued.token


def test_jwt_omc_is_one_credential_per_learner_and_achievement_like_any_other(
        institution: tuple[Any, KeyPair]) -> None:
    config, key = institution
    issuer = open_issuer(config, key)
    learner = Learner(name="Chloé Tremblay", email="chloe@example.ca")
    issuer.issue(learner=learner, achievement="weld-102")
    with pytest.raises(IssuanceError):
        issuer.issue(learner=learner, achievement="weld-102", secured="jwt")
