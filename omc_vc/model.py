"""Plain data: the VerificationResult and its named checks, and credential accessors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from omc_vc.errors import OmcVcError, problem_type

CheckStatus = Literal["passed", "failed", "warning", "skipped"]

#: The VCDM 2.0 base context (VCDM 2.0 §4.3: it comes first) and the VCDM 1.1 one.
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")


@dataclass(slots=True)
class Check:
    """One named check of a verification (``proof``, ``validity-period``, ``status``, ...)."""

    name: str
    status: CheckStatus
    detail: str = ""
    code: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status, "detail": self.detail}
        if self.code:
            out["code"] = self.code
        return out

    @classmethod
    def from_error(cls, name: str, exc: OmcVcError) -> Check:
        return cls(name, "failed", exc.detail, exc.code)


@dataclass
class VerificationResult:
    """What :func:`omc_vc.verify` returns: never raises for a bad document, says why here instead.

    ``verified`` is true only when no check failed. ``errors`` and ``warnings`` are RFC 9457 problem
    details (VCDM 2.0 §7.2). ``credentials`` holds the results of a presentation's embedded credentials.
    ``details`` carries facts later layers add (the OMC verdict, the institution's name, ...).
    """

    kind: Literal["credential", "presentation", "unknown"] = "unknown"
    format: Literal["di", "jwt", "unknown"] = "unknown"
    checks: list[Check] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    document: dict[str, Any] | None = None
    issuer: str | None = None
    credentials: list[VerificationResult] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return bool(self.checks) and not any(c.failed for c in self.checks) and all(
            c.verified for c in self.credentials)

    @property
    def errors(self) -> list[dict[str, Any]]:
        out = [_problem(c) for c in self.checks if c.failed]
        for index, sub in enumerate(self.credentials):
            for problem in sub.errors:
                out.append({**problem, "detail": f"verifiableCredential[{index}]: {problem['detail']}"})
        return out

    def check(self, name: str) -> Check | None:
        for item in self.checks:
            if item.name == name:
                return item
        return None

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check

    def warn(self, code: str, detail: str) -> None:
        self.warnings.append({"type": problem_type(code), "code": code, "title": "Warning", "detail": detail})

    @property
    def reason(self) -> str:
        """The first failure in words, or '' when verified."""
        for problem in self.errors:
            return str(problem["detail"])
        return ""

    def to_json(self, *, include_document: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verified": self.verified,
            "kind": self.kind,
            "format": self.format,
            "issuer": self.issuer,
            "checks": [c.to_json() for c in self.checks],
            "errors": self.errors,
            "warnings": list(self.warnings),
        }
        if self.details:
            out["details"] = self.details
        if self.credentials:
            out["credentials"] = [c.to_json(include_document=include_document) for c in self.credentials]
        if include_document and self.document is not None:
            out["document"] = self.document
        return out


def _problem(check: Check) -> dict[str, Any]:
    code = check.code or "VERIFICATION_ERROR"
    return {"type": problem_type(code), "code": code, "title": f"{check.name} check failed", "detail": check.detail}


def is_url(value: Any) -> bool:
    """An absolute URL/IRI (scheme ':' rest, no whitespace), as VCDM 2.0 requires for ids."""
    return isinstance(value, str) and bool(_URL.match(value))


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def issuer_id(credential: dict[str, Any]) -> str | None:
    """``issuer`` as a string, whether given as a URL or as an object with ``id`` (VCDM 2.0 §4.7)."""
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def holder_id(presentation: dict[str, Any]) -> str | None:
    holder = presentation.get("holder")
    if isinstance(holder, str):
        return holder
    if isinstance(holder, dict) and isinstance(holder.get("id"), str):
        return str(holder["id"])
    return None


def subject_ids(credential: dict[str, Any]) -> list[str]:
    return [s["id"] for s in as_list(credential.get("credentialSubject"))
            if isinstance(s, dict) and isinstance(s.get("id"), str)]


def types(document: dict[str, Any]) -> list[str]:
    return [t for t in as_list(document.get("type")) if isinstance(t, str)]
