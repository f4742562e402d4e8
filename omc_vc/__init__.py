"""omc-vc: Ontario Micro-Credentials as W3C Verifiable Credentials.

The public API is small: keys, DIDs, signing (Data Integrity and VC-JWT) and one ``verify()``.

>>> from omc_vc import KeyPair, add_proof, verify
>>> key = KeyPair.generate("ed25519")
>>> credential = {
...     "@context": ["https://www.w3.org/ns/credentials/v2"],
...     "type": ["VerifiableCredential"],
...     "issuer": key.controller,
...     "credentialSubject": {"id": "did:example:learner", "name": "Ada"},
... }
>>> verify(add_proof(credential, key)).verified
True
"""

from __future__ import annotations

__version__ = "0.1.0"

from omc_vc.did import DidResolver, did_key_document, did_web, did_web_document
from omc_vc.errors import OmcVcError
from omc_vc.keys import KeyPair, PublicKey, load_key, save_key
from omc_vc.model import Check, VerificationResult
from omc_vc.proofs.data_integrity import add_proof
from omc_vc.proofs.jose import sign_jwt
from omc_vc.verify import Verifier, verify

__all__ = [
    "Check",
    "DidResolver",
    "KeyPair",
    "OmcVcError",
    "PublicKey",
    "VerificationResult",
    "Verifier",
    "__version__",
    "add_proof",
    "did_key_document",
    "did_web",
    "did_web_document",
    "load_key",
    "save_key",
    "sign_jwt",
    "verify",
]
