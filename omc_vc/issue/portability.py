"""Which OMCs travel: can the verifiers employers already use check an institution's signatures?

DCC's verifier-core (behind VerifierPlus and the Learner Credential Wallet) builds its suite list from two
suites only, ``Ed25519Signature2020`` and ``DataIntegrityProof`` with the ``eddsa-rdfc-2022`` cryptosuite
(verifier-core ``src/Verify.ts``), and its DID resolvers decode Ed25519 Multikeys only (``z6Mk``, in
``@digitalcredentials/security-document-loader``). An OMC signed with ecdsa-rdfc-2019 (a P-256 or P-384
key) or eddsa-jcs-2022 is valid everywhere else, but those tools report its signature as invalid.

The portable profile is the default: ``omc keys generate`` makes an Ed25519 key and
:data:`omc_vc.proofs.data_integrity.DEFAULT_SUITE` signs it with eddsa-rdfc-2022. This module only
answers the question; ``omc issue`` prints the warning.
"""

from __future__ import annotations

from typing import Final

from omc_vc.i18n import Message
from omc_vc.keys import KeyPair, KeyType, PublicKey
from omc_vc.proofs.data_integrity import DEFAULT_SUITE

__all__ = ["CODE", "DCC_VERIFIABLE_SUITES", "is_portable", "portability_warning"]

#: The code of the warning :func:`portability_warning` words.
CODE: Final = "NOT_PORTABLE"

#: The suites DCC's verifier-core verifies (its ``suite`` array in src/Verify.ts); nothing else is checked
#: there. Ed25519Signature2020 is listed for completeness: omc-vc verifies it but never signs with it.
DCC_VERIFIABLE_SUITES: Final = frozenset({"eddsa-rdfc-2022", "Ed25519Signature2020"})


def _key_type(key: KeyPair | PublicKey | KeyType) -> KeyType:
    return key if isinstance(key, str) else key.key_type


def is_portable(key: KeyPair | PublicKey | KeyType, cryptosuite: str | None = None) -> bool:
    """True when credentials signed with ``key`` (and ``cryptosuite``, default: the key type's suite in
    ``DEFAULT_SUITE``, as :func:`omc_vc.add_proof` picks it) verify in DCC's verifier-core: the suite is
    one it verifies and the key is an Ed25519 key its DID resolvers can decode."""
    key_type = _key_type(key)
    suite = cryptosuite or DEFAULT_SUITE[key_type]
    return key_type == "ed25519" and suite in DCC_VERIFIABLE_SUITES


def portability_warning(key: KeyPair | PublicKey | KeyType, cryptosuite: str | None = None) -> str | None:
    """One line saying why OMCs signed with ``key`` do not verify in DCC's tools (its code is :data:`CODE`), or
    None when they do."""
    if is_portable(key, cryptosuite):
        return None
    key_type = _key_type(key)
    suite = cryptosuite or DEFAULT_SUITE[key_type]
    return Message("this institution signs with a {key_type} key ({suite}), which DCC's verifier-core "
                   "(VerifierPlus, the Learner Credential Wallet) cannot verify: employers using those tools will see "
                   "an invalid signature. For OMCs that verify there, issue with an Ed25519 key "
                   "(omc keys generate --type ed25519; eddsa-rdfc-2022)", key_type=key_type, suite=suite)
