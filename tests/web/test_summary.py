"""What the verifier page shows of endorsements: the endorsers the verifier checked, never a document's own words."""

from __future__ import annotations

import copy
from pathlib import Path

from omc_vc.omc.profile import OmcProfileCheck
from omc_vc.proofs import data_integrity
from omc_vc.verify import Verifier
from omc_vc.web.summary import page_result
from tests.fixtures.omc.sample import endorsement_of, make_institution, signed_omc


def _page(credential: dict) -> dict:
    return page_result(Verifier(extra_checks=[OmcProfileCheck()]).verify(credential))


def test_page_lists_a_bound_endorsement_with_its_name_marked_self_declared(tmp_path: Path) -> None:
    config, key = make_institution(tmp_path)
    out = _page(signed_omc(config, key, endorsement=[endorsement_of(config.did)]))
    assert out["summary"]["endorsements"] == ['"Ontario Welders Guild" (self-declared, not verified)']


def test_endorsement_copied_from_another_college_is_not_shown(tmp_path: Path) -> None:
    # the page once listed every endorser name a document wrote; a copied endorsement must not appear
    config_a, key_a = make_institution(tmp_path / "a")
    genuine = signed_omc(config_a, key_a, endorsement=[endorsement_of(config_a.did, name="Famous Employer")])
    config_b, key_b = make_institution(tmp_path / "b")
    unsigned = {k: v for k, v in signed_omc(config_b, key_b).items() if k != "proof"}
    unsigned["credentialSubject"]["achievement"] = copy.deepcopy(genuine["credentialSubject"]["achievement"])
    out = _page(data_integrity.add_proof(unsigned, key_b))
    assert out["summary"]["endorsements"] == []
    assert "Famous Employer" not in str(out["summary"])
    check = next(c for c in out["checks"] if c["name"] == "omc-endorsements")
    assert check["status"] == "failed" and check["code"] == "ENDORSEMENT_NOT_BOUND"
