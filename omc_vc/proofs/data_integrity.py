"""Data Integrity proofs (VC Data Integrity 1.0) with the eddsa-rdfc-2022, ecdsa-rdfc-2019 (P-256,
P-384) and eddsa-jcs-2022 cryptosuites, and the legacy Ed25519Signature2020 suite for verification only.

A cryptosuite is a plug-in object, as in Digital Bazaar's data-integrity libraries (:class:`Cryptosuite`):
it canonizes the document (the suite's transformation), creates the data to sign from the proof
options and the canonical document (proof configuration and hashing), and signs or verifies that data.
:func:`add_proof` implements DI §4.2 / §4.3 (proof sets and chains) and :func:`verify_proofs` DI §4.4 /
§4.5 around whatever suite the proof names; they hold nothing suite-specific. The three suites are in
:data:`SUITES` by name; a caller may pass its own suite object to either function instead of a name.

Ed25519Signature2020 (W3C CCG lds-ed25519-2020), which DCC's issuers, status lists and the Learner Credential
Wallet still emit, is a suite object too (:class:`Ed25519Signature2020Suite`, in :data:`LEGACY_SUITES`): its
proofs name it by ``type`` (no ``cryptosuite``), and :func:`verify_proofs` accepts it under the name
``"Ed25519Signature2020"``. :func:`add_proof` never signs with it: what omc-vc issues is Data Integrity.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from omc_vc import jsonld
from omc_vc._internal import jcs
from omc_vc._internal.jsonio import copy_json, dumps_canonical_json
from omc_vc._internal.multibase import multibase_decode, multibase_encode
from omc_vc._internal.timeutil import format_datetime, is_datetime_stamp, parse_datetime, shift, utcnow
from omc_vc.did import DidResolver, retrieve_verification_method
from omc_vc.errors import MalformedValueError, OmcVcError, ProofError, VerificationMethodError
from omc_vc.i18n import Message
from omc_vc.keys import KeyPair, PublicKey

PROOF_TYPE = "DataIntegrityProof"
DI_V2_CONTEXT = "https://w3id.org/security/data-integrity/v2"
#: lds-ed25519-2020: the proof type, and the context that defines it and its proof terms
ED25519_2020 = "Ed25519Signature2020"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
CLOCK_SKEW = timedelta(minutes=5)

#: The RDFC-1.0 canonicalizer an RDFC suite runs: :func:`omc_vc.jsonld.canonicalize` or one with its
#: keywords (``loader``, ``check_data_loss``, ``hash_algorithm``).
Canonicalizer = Callable[..., str]


class Cryptosuite(Protocol):
    """A Data Integrity cryptosuite (DI 1.0 §3): what :func:`add_proof` and :func:`verify_proofs` call.

    ``key_type`` is the signing or verification key's type ("ed25519", "p256", "p384"), which picks the
    hash where a suite has more than one (vc-di-ecdsa §3.3.4).
    """

    #: the ``cryptosuite`` value of the proofs it makes and verifies (a legacy suite: its proof ``type``)
    name: str
    #: the proof ``type`` it makes and verifies: ``DataIntegrityProof``, or a legacy suite's own type
    proof_type: str
    #: the key types it signs and verifies with
    key_types: tuple[str, ...]

    def check_method(self, method: Mapping[str, Any]) -> None:
        """Raise a ProofError unless the retrieved verification method is one this suite verifies with."""
        ...

    def prepare_options(self, options: dict[str, Any], document: Mapping[str, Any]) -> None:
        """Add what this suite puts in a new proof's options (DI §4.2 step 2), in place."""
        ...

    def verify_input(self, options: Mapping[str, Any], document: dict[str, Any]) -> dict[str, Any]:
        """The document a proof with these options covers, or a ProofError if they do not fit it."""
        ...

    def canonize(self, document: Mapping[str, Any], loader: jsonld.BundledLoader | None, key_type: str) -> bytes:
        """Transformation: the canonical form of the unsecured document."""
        ...

    def proof_config(self, options: Mapping[str, Any], document: Mapping[str, Any],
                     loader: jsonld.BundledLoader | None, key_type: str) -> bytes:
        """Proof Configuration: the canonical form of the proof options (``proofValue`` left out)."""
        ...

    def create_verify_data(self, options: Mapping[str, Any], document: Mapping[str, Any], canonical: bytes,
                           loader: jsonld.BundledLoader | None, key_type: str) -> bytes:
        """Hashing: the data to sign, from the proof options and the canonical document."""
        ...

    def sign(self, key: KeyPair, verify_data: bytes) -> bytes:
        """Proof Serialization: the signature (raw bytes; the caller encodes ``proofValue``)."""
        ...

    def verify(self, public_key: PublicKey, verify_data: bytes, signature: bytes) -> bool:
        """Proof Verification: whether ``signature`` is this key's over ``verify_data``."""
        ...


def _hash_name(key_type: str) -> str:
    """vc-di-ecdsa §3.3.4: SHA-256 for P-256, SHA-384 for P-384; the EdDSA suites use SHA-256."""
    return "sha384" if key_type == "p384" else "sha256"


@lru_cache(maxsize=256)
def _cached_config_hash(config_json: str, canonicalize: Canonicalizer, key_type: str) -> bytes:
    """Canonical proof-configuration hash, cached: a batch signs many documents with one configuration."""
    config = json.loads(config_json)
    algorithm = _hash_name(key_type)
    canonical = canonicalize(config, check_data_loss=True, hash_algorithm=algorithm)
    return hashlib.new(algorithm, canonical.encode("utf-8")).digest()


class _Signing:
    """Signing and verifying: the key's own algorithm (Ed25519 per RFC 8032; ECDSA over P-256 / P-384 with
    the signature as r ‖ s, vc-di-ecdsa §3.3.6). A Data Integrity suite by default."""

    proof_type: str = PROOF_TYPE

    # the DI suites take any verification method whose key is of one of their key types (checked by the caller)
    def check_method(self, method: Mapping[str, Any]) -> None:
        return None

    def sign(self, key: KeyPair, verify_data: bytes) -> bytes:
        return key.sign(verify_data)

    def verify(self, public_key: PublicKey, verify_data: bytes, signature: bytes) -> bool:
        return public_key.verify(signature, verify_data)


class RdfcSuite(_Signing):
    """eddsa-rdfc-2022 (vc-di-eddsa §3.2) and ecdsa-rdfc-2019 (vc-di-ecdsa §3.3) share this pipeline.

    ``canonicalize`` is the RDFC-1.0 function it runs (:func:`omc_vc.jsonld.canonicalize` by default).
    """

    def __init__(self, name: str, key_types: tuple[str, ...], *,
                 canonicalize: Canonicalizer = jsonld.canonicalize) -> None:
        self.name = name
        self.key_types = key_types
        self._canonicalize = canonicalize

    def __repr__(self) -> str:
        return f"RdfcSuite({self.name!r})"

    # the RDFC proof options carry no @context (the configuration takes the document's, §3.2.5 step 3)
    def prepare_options(self, options: dict[str, Any], document: Mapping[str, Any]) -> None:
        return None

    def verify_input(self, options: Mapping[str, Any], document: dict[str, Any]) -> dict[str, Any]:
        return document

    # Transformation (vc-di-eddsa §3.2.3, vc-di-ecdsa §3.3.3): RDFC-1.0 canonical N-Quads of the
    # unsecured document; RDFC-1.0's own hash matches the key's security level (SHA-384 for P-384)
    def canonize(self, document: Mapping[str, Any], loader: jsonld.BundledLoader | None, key_type: str) -> bytes:
        return self._canonicalize(document, loader=loader, check_data_loss=True,
                                  hash_algorithm=_hash_name(key_type)).encode("utf-8")

    # Proof Configuration (§3.2.5 / §3.3.5): options + the document's @context, canonicalized
    def proof_config(self, options: Mapping[str, Any], document: Mapping[str, Any],
                     loader: jsonld.BundledLoader | None, key_type: str) -> bytes:
        config = {k: v for k, v in options.items() if k not in ("proofValue", "@context")}
        config["@context"] = document.get("@context")
        return self._canonicalize(config, loader=loader, check_data_loss=True,
                                  hash_algorithm=_hash_name(key_type)).encode("utf-8")

    # Hashing (§3.2.4 / §3.3.4): H(proof config) ‖ H(canonical document), proof configuration FIRST
    def create_verify_data(self, options: Mapping[str, Any], document: Mapping[str, Any], canonical: bytes,
                           loader: jsonld.BundledLoader | None, key_type: str) -> bytes:
        algorithm = _hash_name(key_type)
        if loader is None or loader is jsonld.default_loader():
            # the bundled contexts: the configuration's hash is cached by its JSON (one per batch)
            config = {k: v for k, v in options.items() if k not in ("proofValue", "@context")}
            config["@context"] = document.get("@context")
            config_hash = _cached_config_hash(dumps_canonical_json(config), self._canonicalize, key_type)
        else:
            config_hash = hashlib.new(algorithm, self.proof_config(options, document, loader, key_type)).digest()
        return config_hash + hashlib.new(algorithm, canonical).digest()


class JcsSuite(_Signing):
    """eddsa-jcs-2022 (vc-di-eddsa §3.3): JCS instead of RDFC; the proof keeps the document's @context."""

    name: str = "eddsa-jcs-2022"
    key_types: tuple[str, ...] = ("ed25519",)

    def __repr__(self) -> str:
        return f"JcsSuite({self.name!r})"

    # vc-di-eddsa §3.3.1 step 2: the JCS proof carries the document's @context
    def prepare_options(self, options: dict[str, Any], document: Mapping[str, Any]) -> None:
        if "@context" in document:
            options["@context"] = copy_json(document["@context"])

    # vc-di-eddsa §3.3.2 steps 2-3: the document's @context must start with the proof's, and the proof's
    # is the one the signature covers
    def verify_input(self, options: Mapping[str, Any], document: dict[str, Any]) -> dict[str, Any]:
        if "@context" not in options:
            return document
        proof_ctx = _as_list(options["@context"])
        doc_ctx = _as_list(document.get("@context"))
        if doc_ctx[: len(proof_ctx)] != proof_ctx:
            raise ProofError(Message("the proof's @context does not match the document's"),
                             code="PROOF_VERIFICATION_ERROR")
        return {**document, "@context": options["@context"]}

    # Transformation (§3.3.3): JCS (RFC 8785) of the unsecured document
    def canonize(self, document: Mapping[str, Any], loader: jsonld.BundledLoader | None, key_type: str) -> bytes:
        return jcs.canonicalize(document).encode("utf-8")

    # Proof Configuration (§3.3.5): JCS of the options, @context included
    def proof_config(self, options: Mapping[str, Any], document: Mapping[str, Any],
                     loader: jsonld.BundledLoader | None, key_type: str) -> bytes:
        config = {k: v for k, v in options.items() if k != "proofValue"}
        return jcs.canonicalize(config).encode("utf-8")

    # Hashing (§3.3.4): SHA-256(proof config) ‖ SHA-256(canonical document)
    def create_verify_data(self, options: Mapping[str, Any], document: Mapping[str, Any], canonical: bytes,
                           loader: jsonld.BundledLoader | None, key_type: str) -> bytes:
        config = self.proof_config(options, document, loader, key_type)
        return hashlib.sha256(config).digest() + hashlib.sha256(canonical).digest()


class Ed25519Signature2020Suite(RdfcSuite):
    """Ed25519Signature2020 (W3C CCG lds-ed25519-2020), for verification only.

    Its algorithm is the RDFC one above with Ed25519 and SHA-256: URDNA2015 (= RDFC-1.0) of the document
    and of the proof options with the document's @context, SHA-256 of each, proof-options hash first
    (lds-ed25519-2020 "Create Verify Data", as in jsonld-signatures' LinkedDataSignature), ``proofValue``
    multibase base58-btc. What differs is the proof's shape: ``type`` names the suite, there is no
    ``cryptosuite``, the terms come from the suite's own context, and the key is an
    ``Ed25519VerificationKey2020`` (or a Multikey) with ``publicKeyMultibase``.
    """

    def __init__(self, *, canonicalize: Canonicalizer = jsonld.canonicalize) -> None:
        super().__init__(ED25519_2020, ("ed25519",), canonicalize=canonicalize)
        self.proof_type = ED25519_2020

    def __repr__(self) -> str:
        return "Ed25519Signature2020Suite()"

    # omc-vc issues Data Integrity proofs only (add_proof refuses this suite before it gets here)
    def prepare_options(self, options: dict[str, Any], document: Mapping[str, Any]) -> None:
        raise ProofError(Message("Ed25519Signature2020 is accepted for verification only; omc-vc signs with Data "
                                 "Integrity cryptosuites"), code="PROOF_GENERATION_ERROR")

    def verify_input(self, options: Mapping[str, Any], document: dict[str, Any]) -> dict[str, Any]:
        # lds-ed25519-2020 proofs have no cryptosuite: one that carries it is a Data Integrity proof relabelled
        if "cryptosuite" in options:
            raise ProofError(Message("an Ed25519Signature2020 proof has no cryptosuite: this is another proof "
                                     "relabelled"),
                             code="PROOF_VERIFICATION_ERROR")
        # the suite's terms (its proof type, proofValue, the key type) are defined by its context, which the
        # signer adds to the document (jsonld-signatures' ensureSuiteContext); without it the proof's type
        # would take whatever meaning the document's other contexts (a @vocab) give it
        if ED25519_2020_CONTEXT not in _as_list(document.get("@context")):
            raise ProofError(Message("an Ed25519Signature2020 proof needs the {context} context in the "
                                     "document's @context",
                                     context=ED25519_2020_CONTEXT), code="PROOF_VERIFICATION_ERROR")
        return document

    # lds-ed25519-2020 §2 (Ed25519VerificationKey2020) and the Multikey form later versions accept
    def check_method(self, method: Mapping[str, Any]) -> None:
        if method.get("type") not in ("Ed25519VerificationKey2020", "Multikey"):
            raise ProofError(Message("an Ed25519Signature2020 proof needs an Ed25519VerificationKey2020 or Multikey "
                                     "verification method, not {type}",
                                     type=repr(method.get("type"))), code="INVALID_VERIFICATION_METHOD")
        # a key its controller marked revoked signs nothing any more (as jsonld-signatures refuses it)
        if "revoked" in method:
            raise ProofError(Message("the verification method {id} is revoked", id=repr(method.get("id"))),
                             code="INVALID_VERIFICATION_METHOD")


#: The cryptosuites known by name (the ``cryptosuite`` value of a proof): they sign and verify.
SUITES: dict[str, Cryptosuite] = {
    "eddsa-rdfc-2022": RdfcSuite("eddsa-rdfc-2022", ("ed25519",)),
    "ecdsa-rdfc-2019": RdfcSuite("ecdsa-rdfc-2019", ("p256", "p384")),
    "eddsa-jcs-2022": JcsSuite(),
}
#: Legacy Linked Data Signature suites, by proof ``type``: verified, never used to sign.
LEGACY_SUITES: dict[str, Cryptosuite] = {ED25519_2020: Ed25519Signature2020Suite()}
#: What :func:`verify_proofs` accepts unless told otherwise: the Data Integrity suites and Ed25519Signature2020.
DEFAULT_ACCEPTED: tuple[str, ...] = (*SUITES, *LEGACY_SUITES)
DEFAULT_SUITE = {"ed25519": "eddsa-rdfc-2022", "p256": "ecdsa-rdfc-2019", "p384": "ecdsa-rdfc-2019"}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _time_text(value: str | datetime | None) -> str | None:
    if value is None or isinstance(value, str):
        if isinstance(value, str) and not is_datetime_stamp(value):
            raise ProofError(Message("created/expires {value} is not a dateTimeStamp",
                                     value=repr(value)), code="PROOF_GENERATION_ERROR")
        return value
    return format_datetime(value)


def add_proof(document: Mapping[str, Any], key: KeyPair, *, cryptosuite: str | Cryptosuite | None = None,
              purpose: str = "assertionMethod", created: str | datetime | None = None,
              include_created: bool = True, expires: str | datetime | None = None,
              challenge: str | None = None, domain: str | Sequence[str] | None = None,
              proof_id: str | None = None, previous_proof: str | Sequence[str] | None = None,
              loader: jsonld.BundledLoader | None = None) -> dict[str, Any]:
    """Return a copy of ``document`` with a DataIntegrityProof added (DI §4.2; a proof set if it had one).

    ``cryptosuite`` is a name in :data:`SUITES` or a :class:`Cryptosuite` object (default: the key
    type's suite in :data:`DEFAULT_SUITE`). ``created`` defaults to now (UTC, whole seconds); pass
    ``include_created=False`` to omit it.
    """
    if not isinstance(document, Mapping):
        raise ProofError(Message("the document to sign must be a JSON object"), code="PROOF_GENERATION_ERROR")
    chosen = cryptosuite or DEFAULT_SUITE[key.key_type]
    suite = SUITES.get(chosen) if isinstance(chosen, str) else chosen
    if suite is None:
        raise ProofError(Message("unknown cryptosuite {suite}", suite=repr(chosen)), code="PROOF_GENERATION_ERROR")
    suite_name = suite.name
    if suite.proof_type != PROOF_TYPE:
        raise ProofError(Message("{suite_name} is accepted for verification only; omc-vc signs with Data Integrity "
                                 "cryptosuites", suite_name=suite_name), code="PROOF_GENERATION_ERROR")
    if key.key_type not in suite.key_types:
        raise ProofError(Message("cryptosuite {suite_name} cannot be used with a {key_type} key", suite_name=suite_name,
                                 key_type=key.key_type),
                         code="PROOF_GENERATION_ERROR")
    # DI §4.3 step 1-3: existing proofs form a set; previousProof selects a chain
    existing = _as_list(document.get("proof"))
    # the transformations only read the document (jsonld.canonicalize, jcs); the result is one copy
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    if previous_proof is not None:
        wanted = [previous_proof] if isinstance(previous_proof, str) else list(previous_proof)
        matching = [p for p in existing if isinstance(p, dict) and p.get("id") in wanted]
        if len(matching) != len(wanted):
            raise ProofError(Message("previousProof names a proof that is not on the document"),
                             code="PROOF_GENERATION_ERROR")
        unsecured["proof"] = matching if len(matching) != 1 else matching[0]
    options: dict[str, Any] = {}
    if proof_id:
        options["id"] = proof_id
    options.update({"type": PROOF_TYPE, "cryptosuite": suite_name})
    if include_created:
        options["created"] = _time_text(created) or format_datetime(utcnow())
    if expires is not None:
        options["expires"] = _time_text(expires)
    options["verificationMethod"] = key.verification_method
    options["proofPurpose"] = purpose
    if domain is not None:
        options["domain"] = domain if isinstance(domain, str) else list(domain)
    if challenge is not None:
        options["challenge"] = challenge
    if previous_proof is not None:
        options["previousProof"] = previous_proof
    suite.prepare_options(options, unsecured)
    # DI §2.4.3: a dropped term or relative IRI raises DataLossError here, never a silently unsigned claim
    canonical = suite.canonize(unsecured, loader, key.key_type)
    verify_data = suite.create_verify_data(options, unsecured, canonical, loader, key.key_type)
    options["proofValue"] = multibase_encode(suite.sign(key, verify_data))
    secured = {k: copy_json(v) for k, v in document.items() if k != "proof"}
    all_proofs = [*(copy_json(p) for p in existing), options]
    secured["proof"] = all_proofs if len(all_proofs) > 1 else options
    return secured


@dataclass
class ProofResult:
    """The outcome of verifying one proof."""

    verified: bool
    proof: dict[str, Any]
    cryptosuite: str | None = None
    verification_method: str | None = None
    controller: str | None = None
    purpose: str | None = None
    public_key: PublicKey | None = None
    errors: list[OmcVcError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def verify_proofs(document: Mapping[str, Any], *, resolver: DidResolver | None = None,
                  expected_purpose: str | None = None, challenge: str | None = None,
                  domain: str | Sequence[str] | None = None, now: datetime | None = None,
                  accepted_suites: Iterable[str | Cryptosuite] = DEFAULT_ACCEPTED,
                  loader: jsonld.BundledLoader | None = None) -> list[ProofResult]:
    """Verify every proof on ``document`` (DI §4.4, and §4.5 for sets and chains).

    ``accepted_suites`` lists the suites a proof may use: names in :data:`SUITES` or :data:`LEGACY_SUITES`
    (``"Ed25519Signature2020"``) or :class:`Cryptosuite` objects (matched by their ``name`` and
    ``proof_type``); a proof naming any other suite fails. Returns one ProofResult
    per proof; the document is verified only if every one is. Raises ProofError (PARSING_ERROR) only
    when there is no proof object at all.
    """
    proofs = document.get("proof") if isinstance(document, Mapping) else None
    # DI §4.4 step 2: no proof map -> PARSING_ERROR
    if proofs is None or (not isinstance(proofs, dict | list)) or (isinstance(proofs, list) and not proofs):
        raise ProofError(Message("the document has no proof"), code="PROOF_VERIFICATION_ERROR")
    proof_list = _as_list(proofs)
    resolver = resolver or DidResolver()
    moment = now or utcnow()
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    accepted = _accepted(accepted_suites)
    results: list[ProofResult] = []
    transformed_cache: dict[str, bytes] = {}
    for proof in proof_list:
        result = ProofResult(verified=False, proof=proof if isinstance(proof, dict) else {})
        results.append(result)
        try:
            _verify_one(proof, proof_list, unsecured, result, resolver=resolver, expected_purpose=expected_purpose,
                        challenge=challenge, domain=domain, now=moment, accepted=accepted, loader=loader,
                        transformed_cache=transformed_cache)
        except OmcVcError as exc:
            result.verified = False
            result.errors.append(exc)
    return results


def _accepted(suites: Iterable[str | Cryptosuite]) -> dict[str, Cryptosuite]:
    """The accepted suites by name; a name that is not in SUITES or LEGACY_SUITES is accepted but matches no
    proof."""
    accepted: dict[str, Cryptosuite] = {}
    for suite in suites:
        if isinstance(suite, str):
            known = SUITES.get(suite) or LEGACY_SUITES.get(suite)
            if known is not None:
                accepted[suite] = known
        else:
            accepted[suite.name] = suite
    return accepted


def _verify_one(proof: Any, proof_list: list[Any], unsecured: dict[str, Any], result: ProofResult, *,
                resolver: DidResolver, expected_purpose: str | None, challenge: str | None,
                domain: str | Sequence[str] | None, now: datetime, accepted: dict[str, Cryptosuite],
                loader: jsonld.BundledLoader | None, transformed_cache: dict[str, bytes]) -> None:
    if not isinstance(proof, dict):
        raise ProofError(Message("proof is not a JSON object"), code="PARSING_ERROR")
    # DI §4.4 step 4: type, verificationMethod, proofPurpose are required
    for name in ("type", "verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(name), str) or not proof.get(name):
            raise ProofError(Message("proof.{name} is missing or not a string",
                                     name=name), code="PROOF_VERIFICATION_ERROR")
    # a Data Integrity proof names its suite by cryptosuite (DI §2.1); a legacy one by its type; each suite
    # verifies only proofs of its own type, so one kind of proof cannot be read as the other
    suite_name: Any = proof.get("cryptosuite") if proof["type"] == PROOF_TYPE else proof["type"]
    suite = accepted.get(suite_name) if isinstance(suite_name, str) else None
    if suite is None or suite.proof_type != proof["type"]:
        if proof["type"] == PROOF_TYPE:
            raise ProofError(Message("unsupported cryptosuite {suite_name}",
                                     suite_name=repr(suite_name)), code="PROOF_VERIFICATION_ERROR")
        raise ProofError(Message("unsupported proof type {type}",
                                 type=repr(proof["type"])), code="PROOF_VERIFICATION_ERROR")
    result.cryptosuite = suite_name
    result.verification_method = proof["verificationMethod"]
    result.purpose = proof["proofPurpose"]
    # step 5: expected proof purpose
    if expected_purpose is not None and proof["proofPurpose"] != expected_purpose:
        raise ProofError(Message("proof purpose is {purpose}, expected {expected}",
                                 purpose=repr(proof["proofPurpose"]), expected=repr(expected_purpose)),
                         code="PROOF_VERIFICATION_ERROR")
    # step 6: domain (same set of strings)
    if domain is not None:
        wanted = {domain} if isinstance(domain, str) else set(domain)
        got = proof.get("domain")
        got_set = {got} if isinstance(got, str) else set(got) if isinstance(got, list) else set()
        if wanted != got_set:
            raise ProofError(Message("proof domain {got} does not match the expected domain",
                                     got=repr(got)), code="INVALID_DOMAIN_ERROR")
    # step 7: challenge
    if challenge is not None and proof.get("challenge") != challenge:
        raise ProofError(Message("proof challenge does not match the expected challenge"),
                         code="INVALID_CHALLENGE_ERROR")
    # DI §2.6: the time of interest must fall in [created, expires]
    for name in ("created", "expires"):
        if name in proof:
            try:
                parse_datetime(proof[name], field=f"proof.{name}")
            except MalformedValueError as exc:
                raise ProofError(exc.detail, code="PROOF_VERIFICATION_ERROR") from exc
    if "expires" in proof and parse_datetime(proof["expires"]) < now:
        raise ProofError(Message("the proof expired at {expires}", expires=proof["expires"]), code="PROOF_EXPIRED")
    if "created" in proof and parse_datetime(proof["created"]) > shift(now, CLOCK_SKEW):
        raise ProofError(Message("the proof was created in the future ({created})",
                                 created=proof["created"]), code="PROOF_NOT_YET_VALID")
    # proofValue: multibase base58-btc only (vc-di-eddsa §2.2.1 / vc-di-ecdsa §2.2.1)
    value = proof["proofValue"]
    if not value.startswith("z"):
        raise ProofError(Message("proofValue must be multibase base58-btc ('z' header)"),
                         code="PROOF_VERIFICATION_ERROR")
    try:
        signature = multibase_decode(value)
    except MalformedValueError as exc:
        raise ProofError(Message("proofValue: {detail}", detail=exc.detail), code="PROOF_VERIFICATION_ERROR") from exc
    # CID §3.3: retrieve the verification method, authorized for the proof purpose
    try:
        method, public_key = retrieve_verification_method(proof["verificationMethod"], proof["proofPurpose"], resolver)
    except VerificationMethodError as exc:
        raise ProofError(exc.detail, code=exc.code) from exc
    result.controller = method.get("controller")
    result.public_key = public_key
    suite.check_method(method)
    if public_key.key_type not in suite.key_types:
        raise ProofError(Message("{suite_name} does not use {key_type} keys", suite_name=suite_name,
                                 key_type=public_key.key_type), code="PROOF_VERIFICATION_ERROR")
    # DI §4.5: chains: the input is the document plus the proofs this one names as previousProof
    input_doc = unsecured
    previous = proof.get("previousProof")
    if previous is not None:
        wanted_ids = [previous] if isinstance(previous, str) else previous
        if not isinstance(wanted_ids, list) or not all(isinstance(i, str) for i in wanted_ids):
            raise ProofError(Message("previousProof must be a string or a list of strings"),
                             code="PROOF_VERIFICATION_ERROR")
        matching = [p for p in proof_list if isinstance(p, dict) and p.get("id") in wanted_ids]
        if len(matching) != len(wanted_ids):
            raise ProofError(Message("previousProof names a proof that is not on the document"),
                             code="PROOF_VERIFICATION_ERROR")
        input_doc = {**unsecured, "proof": matching[0] if len(matching) == 1 else matching}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    input_doc = suite.verify_input(options, input_doc)
    key_type = public_key.key_type
    # the canonical document is the same for every proof of one suite, key type and chain position
    cache_key = f"{suite_name}:{key_type}:{previous!r}:{options.get('@context')!r}"
    canonical = transformed_cache.get(cache_key)
    try:
        if canonical is None:
            canonical = suite.canonize(input_doc, loader, key_type)
            transformed_cache[cache_key] = canonical
        verify_data = suite.create_verify_data(options, input_doc, canonical, loader, key_type)
    except UnicodeEncodeError as exc:
        # a string with an unpaired surrogate (a dict built in Python; JSON text is refused when read) has no
        # UTF-8 form, so it has no hash to verify (I-JSON, RFC 7493 §2.1)
        raise ProofError(Message("the document holds a string that is not Unicode text (an unpaired surrogate)"),
                         code="PARSING_ERROR") from exc
    if not suite.verify(public_key, verify_data, signature):
        raise ProofError(Message("the signature does not match the document"), code="CRYPTOGRAPHIC_SECURITY_ERROR")
    result.verified = True


def proof_hashes(document: Mapping[str, Any], proof: Mapping[str, Any],
                 loader: jsonld.BundledLoader | None = None, *,
                 key_type: str | None = None) -> tuple[str, str, bytes]:
    """(canonical document, canonical proof configuration, hashData) for a proof: for tests and debugging.

    ``key_type`` defaults to the type of a did:key verification method (else P-256 / Ed25519 hashing).
    """
    if proof.get("type") == PROOF_TYPE:
        suite = SUITES[str(proof.get("cryptosuite"))]
    else:
        suite = LEGACY_SUITES[str(proof.get("type"))]
    if key_type is None:
        vm = str(proof.get("verificationMethod", ""))
        key_type = "p384" if vm.startswith("did:key:z82L") else suite.key_types[0]
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    canonical = suite.canonize(unsecured, loader, key_type)
    config = suite.proof_config(options, unsecured, loader, key_type)
    return (canonical.decode("utf-8"), config.decode("utf-8"),
            suite.create_verify_data(options, unsecured, canonical, loader, key_type))
