"""The OMC policy: the numbers and lists the proposal leaves open, in one versioned file.

The bundled default is ``omc_vc/omc/policy-v1.json`` (documented in docs/policy.md, every value
PROVISIONAL until the ministry fixes it). A ministry or institution may pass its own file; every key
is checked and a bad file raises :class:`~omc_vc.errors.ConfigError` naming the key.

>>> policy = load_policy()
>>> policy.max_noc_codes, policy.delivery_modes
(3, ('in-person', 'online', 'hybrid'))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from omc_vc._internal.configfile import read_config_file
from omc_vc.errors import ConfigError
from omc_vc.i18n import Message

__all__ = ["DEFAULT_POLICY_FILE", "Policy", "load_policy"]

#: The bundled, versioned default policy.
DEFAULT_POLICY_FILE: Final = Path(__file__).resolve().parent / "policy-v1.json"
_MAX_POLICY_BYTES: Final = 256 * 1024
_KNOWN_ACHIEVEMENT_FIELDS: Final = frozenset({
    "name", "description", "criteria", "image", "inLanguage", "alignment", "creditsAvailable", "creditUnit",
    "instructionalHours", "durationWeeks", "qualificationCategory", "deliveryMode", "summativeAssessment",
    "cipCode", "nocCodes", "creditTransfer", "stacksInto", "endorsement", "tag", "humanCode", "fieldOfStudy",
    "version",
})
_KNOWN_ISSUER_FIELDS: Final = frozenset({"name", "url", "email", "address", "phone", "description",
                                         "omcConsentReference", "image"})


@dataclass(frozen=True)
class Policy:
    """The OMC policy in force (see docs/policy.md for what each value means)."""

    version: str
    provisional: bool
    min_hours: float
    max_hours: float
    min_weeks: float
    max_weeks: float
    max_noc_codes: int
    qualification_categories: tuple[str, ...]
    delivery_modes: tuple[str, ...]
    required_achievement_fields: tuple[str, ...]
    required_issuer_fields: tuple[str, ...]
    require_credential_status: bool
    suspended_issuer_past_credentials: Literal["valid", "invalid"]
    source: str = "bundled"

    def to_json(self) -> dict[str, Any]:
        """The policy in the file's own shape (plus where it came from)."""
        return {
            "policy_version": self.version,
            "provisional": self.provisional,
            "instructional_hours": {"min": self.min_hours, "max": self.max_hours},
            "duration_weeks": {"min": self.min_weeks, "max": self.max_weeks},
            "max_noc_codes": self.max_noc_codes,
            "qualification_categories": list(self.qualification_categories),
            "delivery_modes": list(self.delivery_modes),
            "required_achievement_fields": list(self.required_achievement_fields),
            "required_issuer_fields": list(self.required_issuer_fields),
            "require_credential_status": self.require_credential_status,
            "suspended_issuer_past_credentials": self.suspended_issuer_past_credentials,
            "source": self.source,
        }


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value < 0:
        raise ConfigError(Message("policy: {key} must be a non-negative number", key=key), field=key)
    return float(value)


def _range(data: dict[str, Any], key: str) -> tuple[float, float]:
    value = data.get(key)
    if not isinstance(value, dict) or set(value) != {"min", "max"}:
        raise ConfigError(Message("policy: {key} must be an object with exactly 'min' and 'max'", key=key), field=key)
    low, high = _number(value["min"], f"{key}.min"), _number(value["max"], f"{key}.max")
    if low > high:
        raise ConfigError(Message("policy: {key}.min is larger than {key}.max", key=key), field=key)
    return low, high


def _strings(data: dict[str, Any], key: str, *, allowed: frozenset[str] | None = None) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(Message("policy: {key} must be a non-empty list of strings", key=key), field=key)
    if len(set(value)) != len(value):
        raise ConfigError(Message("policy: {key} lists a value twice", key=key), field=key)
    if allowed is not None:
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ConfigError(Message("policy: {key} names unknown field {field}", key=key, field=repr(unknown[0])),
                              field=key)
    return tuple(value)


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise ConfigError(Message("policy: {key} must be true or false", key=key), field=key)
    return value


_KEYS: Final = frozenset({
    "policy_version", "provisional", "instructional_hours", "duration_weeks", "max_noc_codes",
    "qualification_categories", "delivery_modes", "required_achievement_fields", "required_issuer_fields",
    "require_credential_status", "suspended_issuer_past_credentials", "$comment",
})


def policy_from_json(data: Any, *, source: str = "bundled") -> Policy:
    """Check a parsed policy document and build the :class:`Policy` (ConfigError naming the key)."""
    if not isinstance(data, dict):
        raise ConfigError(Message("policy: the file must hold a JSON object"))
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        # a misspelt key would otherwise silently fall back to nothing: refuse it
        raise ConfigError(Message("policy: unknown key {key}", key=repr(unknown[0])), field=unknown[0])
    version = data.get("policy_version")
    if not isinstance(version, str) or not version:
        raise ConfigError(Message("policy: policy_version must be a non-empty string"), field="policy_version")
    min_hours, max_hours = _range(data, "instructional_hours")
    min_weeks, max_weeks = _range(data, "duration_weeks")
    noc = data.get("max_noc_codes")
    if isinstance(noc, bool) or not isinstance(noc, int) or not 0 <= noc <= 3:
        # the proposal fixes "up to three NOC codes": a policy may lower it, never raise it
        raise ConfigError(Message("policy: max_noc_codes must be an integer from 0 to 3"), field="max_noc_codes")
    past = data.get("suspended_issuer_past_credentials")
    if past not in ("valid", "invalid"):
        raise ConfigError(Message("policy: suspended_issuer_past_credentials must be 'valid' or 'invalid'"),
                          field="suspended_issuer_past_credentials")
    return Policy(
        version=version,
        provisional=_flag(data, "provisional"),
        min_hours=min_hours, max_hours=max_hours, min_weeks=min_weeks, max_weeks=max_weeks,
        max_noc_codes=noc,
        qualification_categories=_strings(data, "qualification_categories"),
        delivery_modes=_strings(data, "delivery_modes"),
        required_achievement_fields=_strings(data, "required_achievement_fields", allowed=_KNOWN_ACHIEVEMENT_FIELDS),
        required_issuer_fields=_strings(data, "required_issuer_fields", allowed=_KNOWN_ISSUER_FIELDS),
        require_credential_status=_flag(data, "require_credential_status"),
        suspended_issuer_past_credentials=past,
        source=source,
    )


def load_policy(path: Path | None = None) -> Policy:
    """Load a policy file; ``None`` loads the bundled default (``policy-v1.json``)."""
    target = DEFAULT_POLICY_FILE if path is None else Path(path)
    data = read_config_file(target, what="policy file", max_bytes=_MAX_POLICY_BYTES, json_only=True,
                            name=f"(bundled) {target.name}" if path is None else None)
    return policy_from_json(data, source="bundled" if path is None else str(target))
