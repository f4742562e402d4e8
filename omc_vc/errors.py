"""The error hierarchy of omc-vc.

Every error the toolkit raises on purpose derives from :class:`OmcVcError`. Each carries a ``code``
(the spec's error code where one exists, e.g. ``DATA_LOSS_DETECTION_ERROR`` from Data Integrity 1.0
§2.4.3, or one of ours in the same style), a human ``detail``, and renders itself as an RFC 9457
problem-details object with :meth:`OmcVcError.problem`.

Errors coming from pyld, jwcrypto, cryptography or requests are translated at the boundary
(``raise ProofError(...) from exc``) so callers only ever need ``except OmcVcError``.

Error texts never contain key material: constructors take descriptions, not keys.
"""

from __future__ import annotations

from typing import Any

# RFC 9457 "type" URL prefixes, by specification.
VCDM = "https://www.w3.org/TR/vc-data-model#"
SECURITY = "https://w3id.org/security#"
STATUS = "https://www.w3.org/ns/credentials/status-list#"
OMC = "https://omc-vc.ca/errors#"

_TYPE_BASE: dict[str, str] = {
    "PARSING_ERROR": VCDM,
    "CRYPTOGRAPHIC_SECURITY_ERROR": VCDM,
    "MALFORMED_VALUE_ERROR": VCDM,
    "RANGE_ERROR": VCDM,
    "PROOF_GENERATION_ERROR": SECURITY,
    "PROOF_VERIFICATION_ERROR": SECURITY,
    "PROOF_TRANSFORMATION_ERROR": SECURITY,
    "INVALID_DOMAIN_ERROR": SECURITY,
    "INVALID_CHALLENGE_ERROR": SECURITY,
    "DATA_LOSS_DETECTION_ERROR": SECURITY,
    "INVALID_VERIFICATION_METHOD_URL": SECURITY,
    "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID": SECURITY,
    "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT": SECURITY,
    "INVALID_VERIFICATION_METHOD": SECURITY,
    "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD": SECURITY,
    "STATUS_RETRIEVAL_ERROR": STATUS,
    "STATUS_VERIFICATION_ERROR": STATUS,
    "STATUS_LIST_LENGTH_ERROR": STATUS,
}


def problem_type(code: str) -> str:
    """The RFC 9457 ``type`` URL for an error code."""
    return _TYPE_BASE.get(code, OMC) + code


class OmcVcError(Exception):
    """Root of every error omc-vc raises on purpose."""

    default_code = "OMC_ERROR"
    title = "omc-vc error"

    def __init__(self, detail: str, *, code: str | None = None, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.context = context

    def problem(self) -> dict[str, Any]:
        """RFC 9457 problem details for this error."""
        return {"type": problem_type(self.code), "code": self.code, "title": self.title, "detail": self.detail}

    def diagnostics(self) -> str:
        """One line for a person, as the CLI prints it on stderr."""
        return f"{self.code}: {self.detail}"

    def __str__(self) -> str:
        return self.detail


class InputError(OmcVcError):
    """Input that cannot be read: not JSON, not an object, too large, too deep."""

    default_code = "PARSING_ERROR"
    title = "Unreadable input"


class MalformedValueError(OmcVcError):
    """A value that is present but not of the form a spec requires."""

    default_code = "MALFORMED_VALUE_ERROR"
    title = "Malformed value"


class JsonLdError(OmcVcError):
    """JSON-LD processing failed (unknown context, invalid term definition, ...)."""

    default_code = "JSONLD_ERROR"
    title = "JSON-LD processing error"


class ContextNotAllowedError(JsonLdError):
    """A context URL that is not bundled with omc-vc. Contexts are never fetched."""

    default_code = "CONTEXT_NOT_ALLOWED"
    title = "Context not bundled"

    def __init__(self, url: str, detail: str | None = None) -> None:
        # ``detail`` is the caller's sentence (a message, shown in the reader's language); this layer has no words
        super().__init__(detail or f"context {url!r} is not one of the bundled contexts; omc-vc never fetches "
                                   "contexts", url=url)
        self.url = url


class DataLossError(JsonLdError):
    """A property that no context defines, or a relative IRI (Data Integrity 1.0 §2.4.3)."""

    default_code = "DATA_LOSS_DETECTION_ERROR"
    title = "Data loss detected"


class NonPlainJsonLdError(JsonLdError):
    """A signed document uses a JSON-LD form whose JSON reading could differ from its signed graph
    (``@nest``, ``@reverse``, ``@included``, an alias or IRI for a standard property, ...): see
    omc_vc/jsonld_plain.py."""

    default_code = "NON_PLAIN_JSON_LD"


class CanonicalizationLimitError(JsonLdError):
    """Canonicalization of untrusted input exceeded its work bound (e.g. a poison graph)."""

    default_code = "CANONICALIZATION_LIMIT_ERROR"
    title = "Canonicalization limit exceeded"


class KeyError_(OmcVcError):
    """A key cannot be generated, imported, decrypted or used."""

    default_code = "KEY_ERROR"
    title = "Key error"


class WrongPassphraseError(KeyError_):
    default_code = "KEY_DECRYPTION_ERROR"
    title = "Wrong passphrase"


class DidError(OmcVcError):
    """A DID cannot be parsed or resolved, or its document is not acceptable."""

    default_code = "DID_RESOLUTION_ERROR"
    title = "DID resolution error"


class VerificationMethodError(OmcVcError):
    """CID 1.0 'Retrieve Verification Method' failed."""

    default_code = "INVALID_VERIFICATION_METHOD"
    title = "Invalid verification method"


class FetchError(OmcVcError):
    """A network fetch was refused or failed (scheme, address, size, timeout, redirect, status)."""

    default_code = "FETCH_ERROR"
    title = "Fetch failed"


class ProofError(OmcVcError):
    """Creating or verifying a proof failed for a reason other than a wrong signature."""

    default_code = "PROOF_VERIFICATION_ERROR"
    title = "Proof error"


class JwtError(ProofError):
    """A VC-JWT is malformed or forbidden (alg none, HMAC, embedded keys, ...)."""

    default_code = "JWT_ERROR"
    title = "JWT error"


class StatusError(OmcVcError):
    """Bitstring Status List processing failed.

    Codes: the spec's STATUS_RETRIEVAL_ERROR (also a list document over its size cap),
    STATUS_VERIFICATION_ERROR, STATUS_LIST_LENGTH_ERROR, MALFORMED_VALUE_ERROR (also an encodedList or
    expanded bitstring over its cap) and RANGE_ERROR; and ours, STATUS_LIST_ROLLBACK: a list older than the
    newest one already accepted for its URL, or of the same age but saying something else (docs/security.md,
    "Validity and status").
    """

    default_code = "STATUS_VERIFICATION_ERROR"
    title = "Status list error"


class RegistryError(OmcVcError):
    """The ministry's issuer registry is unsigned, rolled back, expired, tampered or unreadable."""

    default_code = "REGISTRY_ERROR"
    title = "Registry error"


class PolicyError(OmcVcError):
    """An OMC breaks the policy file (names the field)."""

    default_code = "POLICY_VIOLATION"
    title = "OMC policy violation"


class IssuanceError(OmcVcError):
    """Issuing failed (configuration, roster, state database)."""

    default_code = "ISSUANCE_ERROR"
    title = "Issuance error"


class WalletError(OmcVcError):
    """The learner's wallet cannot be opened, read or written."""

    default_code = "WALLET_ERROR"
    title = "Wallet error"


class QrError(OmcVcError):
    """A QR payload cannot be encoded or decoded."""

    default_code = "QR_ERROR"
    title = "QR code error"


class ConfigError(OmcVcError):
    """A configuration file is missing, unreadable or invalid."""

    default_code = "CONFIG_ERROR"
    title = "Configuration error"


class OfferError(OmcVcError):
    """A credential offer cannot be made or redeemed: unknown (OFFER_NOT_FOUND), expired (OFFER_EXPIRED),
    revoked (OFFER_REVOKED), or a wallet exchange refused (its own code: a wrong challenge, holder or
    domain)."""

    default_code = "OFFER_ERROR"
    title = "Credential offer refused"


class OfferRedeemedError(OfferError):
    """The offer was redeemed already: an offer gives one credential, once."""

    default_code = "OFFER_REDEEMED"
    title = "Credential offer already redeemed"


class Oid4vciError(OmcVcError):
    """An OpenID4VCI request refused, with the OAuth 2.0 / OpenID4VCI error code as its code (``invalid_grant``,
    ``invalid_proof``, ``invalid_nonce``, ``invalid_token``, ...) and the HTTP status it is answered with."""

    default_code = "invalid_request"
    title = "OpenID4VCI request refused"

    def __init__(self, detail: str, *, code: str | None = None, status: int = 400, **context: Any) -> None:
        super().__init__(detail, code=code, **context)
        self.status = status
