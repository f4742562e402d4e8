"""A redeem cut off before its credential was recorded (the ``omc serve`` process running it was killed) is
finished by the holder's retry: the credential issued then, or issued now, and never a second one; anyone
else is still refused. (The real kill, across two processes on PostgreSQL: tests/web/test_serve_processes.py.)"""

from __future__ import annotations

from pathlib import Path

from omc_vc.issue.offers import LCW
from omc_vc.keys import KeyPair
from omc_vc.model import subject_ids
from omc_vc.omc.builder import Learner

from .offer_world import didauth, lcw_target, make_offer_world


def test_a_retry_after_a_cut_off_redeem_gets_the_credential_issued_then(tmp_path: Path) -> None:
    world = make_offer_world(tmp_path)
    new, links = world.offer()
    holder = KeyPair.generate()
    path, challenge = lcw_target(links.deep_link)
    with world.client() as client:
        issuer = client.app.state.service.issuer  # type: ignore[attr-defined]
        # what the killed process did: the redeem, then the credential signed and recorded, and nothing more
        issuer.store.redeem(new.offer.id, holder=holder.controller, protocol=LCW, now=issuer.clock())
        before = issuer.issue(learner=Learner(new.offer.learner_name, new.offer.learner_email, None,
                                              holder.controller), achievement=new.offer.achievement)
        answer = client.post(path, json=didauth(holder, challenge=challenge))
        assert answer.status_code == 200, answer.text
        assert answer.json()["id"] == before.record.id  # the same credential, not a second one
        again = client.post(path, json=didauth(holder, challenge=challenge))
        assert again.status_code == 409  # done now: the offer names its credential
        assert [r.id for r in issuer.store.all()] == [before.record.id]
        assert issuer.store.offer(new.offer.id).credential_id == before.record.id


def test_a_retry_after_a_redeem_cut_off_before_signing_issues_it_once(tmp_path: Path) -> None:
    world = make_offer_world(tmp_path)
    new, links = world.offer()
    holder, thief = KeyPair.generate(), KeyPair.generate()
    path, challenge = lcw_target(links.deep_link)
    with world.client() as client:
        issuer = client.app.state.service.issuer  # type: ignore[attr-defined]
        issuer.store.redeem(new.offer.id, holder=holder.controller, protocol=LCW, now=issuer.clock())
        # someone holding the link but not the redeeming holder's key gets nothing from the cut-off redeem
        refused = client.post(path, json=didauth(thief, challenge=challenge))
        assert refused.status_code == 409 and refused.json()["code"] == "OFFER_REDEEMED"
        answer = client.post(path, json=didauth(holder, challenge=challenge))
        assert answer.status_code == 200, answer.text
        assert subject_ids(answer.json()) == [holder.controller]
        assert [r.id for r in issuer.store.all()] == [answer.json()["id"]]


def test_a_retry_never_hands_back_an_earlier_revoked_credential(tmp_path: Path) -> None:
    """The learner's earlier credential for the achievement was revoked; the offer reissues it. A redeem cut
    off before signing gets a new credential on retry, not the revoked one the store still holds."""
    world = make_offer_world(tmp_path)
    new, links = world.offer()
    holder = KeyPair.generate()
    path, challenge = lcw_target(links.deep_link)
    with world.client() as client:
        issuer = client.app.state.service.issuer  # type: ignore[attr-defined]
        earlier = issuer.issue(learner=Learner(new.offer.learner_name, new.offer.learner_email, None,
                                               holder.controller), achievement=new.offer.achievement)
        issuer.store.set_revoked(earlier.record.id, issuer.clock().strftime("%Y-%m-%dT%H:%M:%SZ"))
        issuer.store.redeem(new.offer.id, holder=holder.controller, protocol=LCW, now=issuer.clock())
        answer = client.post(path, json=didauth(holder, challenge=challenge))
        assert answer.status_code == 200, answer.text
        assert answer.json()["id"] != earlier.record.id
        assert issuer.store.offer(new.offer.id).credential_id == answer.json()["id"]
