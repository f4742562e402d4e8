"""Configuration of the verifier service: a YAML/JSON file, overridden by ``omc serve`` flags.

Example file (every key optional)::

    host: 127.0.0.1
    port: 8000
    workers: 1
    public_url: https://verify.example.ca      # base of share links and of hosted status-list URLs
    registry: https://mcu.example.ca/omc/registry.json
    anchors: /etc/omc/anchors.json
    offline: false
    cache_dir: /var/cache/omc
    hosted:
      registry_file: /srv/omc/registry.json    # served at /registry.json
      status_dir: /srv/omc/status              # NAME.json served at /status/NAME
      did_documents: {"/.well-known/did.json": /srv/omc/did.json}
      registry_forms: /srv/omc/public           # omc registry publish's --out: /.well-known/openid-federation,
                                               # /fetch?sub=DID, /subordinate_listing, /dcc-legacy-registry.json
    shares: {dir: /var/lib/omc/shares, max_ttl_seconds: 2592000, max_count: 10000, max_total_bytes: 268435456,
             max_per_holder: 20, challenge_ttl_seconds: 300, max_challenges: 10000,
             rate_per_minute: 30, rate_burst: 20}
    # or, for several `omc serve` hosts behind a load balancer, shares and challenges in PostgreSQL (instead
    # of dir; the same form as an institution's store setting, its tables created when the service starts):
    # shares: {store: {url_env: OMC_SHARES_URL, schema: omc_shares}}
    limits: {max_body_bytes: 262144, max_upload_bytes: 4194304, verify_timeout_seconds: 15,
             verify_threads: 4, max_pending: 32, lane_max_bytes: 16384}
    institution: /etc/omc/institution.yaml     # only when this service also issues: the institution.yaml
                                               # of omc issue (omc_vc/issue/config.py), or the same inline:
    # institution: {keys: [/etc/omc/issuer.key], passphrase_env: OMC_KEY_PASS, token_env: OMC_API_TOKEN,
    #               state_dir: /var/lib/omc/issuer, did_document: /srv/omc/did.json}
    # or several institutions in one service, by name (each its own keys, token_env, store and status lists,
    # hosted under /status/NAME/ unless its status.base_url says otherwise):
    # institutions: {college-a: /etc/omc/college-a.yaml, college-b: /etc/omc/college-b.yaml}

Relative paths are resolved against the configuration file's folder.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from omc_vc._internal.configfile import read_config_file
from omc_vc.errors import ConfigError
from omc_vc.i18n import Message
from omc_vc.issue.config import InstitutionConfig
from omc_vc.issue.config import load_config as load_institution_file
from omc_vc.issue.config import parse_config as parse_institution
from omc_vc.issue.store_setting import StoreSetting, parse_store

from .lane import LANE_MAX_BYTES_CEILING

MAX_CONFIG_BYTES = 256 * 1024
#: What the errors about the file's own settings call it.
_THE_CONFIGURATION = Message("the configuration")


@dataclass(frozen=True)
class Limits:
    """Caps that keep hostile input from taking the service down (DESIGN decision 5)."""

    max_body_bytes: int = 256 * 1024
    max_upload_bytes: int = 4 * 1024 * 1024
    verify_timeout_seconds: float = 15.0
    verify_threads: int = 4
    max_pending: int = 32
    #: VC-API verify requests up to this size try the fast lane first (omc_vc/web/lane.py); 0: never
    lane_max_bytes: int = 16 * 1024


@dataclass(frozen=True)
class SharesConfig:
    """Short-mode sharing: where shared copies live (None = memory), how long they may live, and the
    limits on who creates them (omc_vc/web/shares.py)."""

    dir: Path | None = None
    #: a PostgreSQL database holding them instead (omc_vc/web/pg_shares.py), shared by every process on it
    store: StoreSetting | None = None
    max_ttl_seconds: int = 30 * 24 * 3600
    default_ttl_seconds: int = 7 * 24 * 3600
    max_count: int = 10_000
    max_total_bytes: int = 256 * 1024 * 1024
    #: live shares one holder DID may have at once
    max_per_holder: int = 20
    #: how long a challenge from POST /shares/challenge may be used, and how many may be outstanding
    challenge_ttl_seconds: int = 300
    max_challenges: int = 10_000
    #: share requests (challenges and creations) per client address: a token bucket of rate_burst,
    #: refilled at rate_per_minute (per worker process)
    rate_per_minute: int = 30
    rate_burst: int = 20


@dataclass(frozen=True)
class Hosted:
    """Documents the service publishes as they are (registry, status lists, DID documents)."""

    registry_file: Path | None = None
    status_dir: Path | None = None
    did_documents: dict[str, Path] = field(default_factory=dict)
    #: the folder `omc registry publish` wrote: its OpenID Federation and DCC legacy forms are served
    registry_forms: Path | None = None


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    public_url: str | None = None
    registry: str | None = None
    anchors: Path | None = None
    offline: bool = False
    allow_http_loopback: bool = False
    demo: bool = False
    cache_dir: Path | None = None
    policy: Path | None = None
    limits: Limits = field(default_factory=Limits)
    shares: SharesConfig = field(default_factory=SharesConfig)
    hosted: Hosted = field(default_factory=Hosted)
    institution: InstitutionConfig | None = None
    #: several institutions issuing through one service, by name (instead of ``institution``)
    institutions: dict[str, InstitutionConfig] = field(default_factory=dict)

    def all_institutions(self) -> dict[str, InstitutionConfig]:
        """Every institution this service issues for, by name ("" for the one of ``institution``)."""
        if self.institution is not None and self.institutions:
            raise ConfigError(Message("give institution (one) or institutions (several, by name), not both"))
        if self.institution is not None:
            return {"": self.institution}
        return dict(self.institutions)

    def base_url(self) -> str:
        """The public base URL, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def with_overrides(self, **changes: Any) -> WebConfig:
        """A copy with the given (non-None) fields replaced: how CLI flags override the file."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _path(value: Any, base: Path, name: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(Message("{name} must be a path (string)", name=name))
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)


def _int(section: dict[str, Any], key: str, default: int, name: str, minimum: int = 1) -> int:
    value = section.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(Message("{name}.{key} must be an integer >= {minimum}", name=name, key=key, minimum=minimum))
    return value


def _share_store(shares: dict[str, Any]) -> StoreSetting | None:
    """``shares.store``: a PostgreSQL database for the shares, in the form of an institution's ``store``."""
    if shares.get("store") is None:
        return None
    if shares.get("dir") is not None:
        raise ConfigError(Message("shares needs at most one of shares.dir (a folder) and shares.store (a PostgreSQL "
                                  "database)"), field="shares.store")
    return parse_store(shares["store"], key="shares.store", labelled=False)


def _section(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(Message("{key} must be a mapping", key=key))
    return value


def _check_keys(section: dict[str, Any], allowed: set[str], name: str) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ConfigError(Message("unknown setting(s) in {name}: {keys}", name=name, keys=", ".join(unknown)))


def parse_config(raw: Any, base: Path) -> WebConfig:
    """Build a WebConfig from parsed YAML/JSON; every wrong value is a ConfigError naming it."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(Message("the configuration must be a mapping"))
    _check_keys(raw, {"host", "port", "workers", "public_url", "registry", "anchors", "offline",
                      "allow_http_loopback", "demo", "cache_dir", "policy", "limits", "shares", "hosted",
                      "institution", "institutions"}, _THE_CONFIGURATION)
    for key in ("host", "public_url", "registry"):
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            raise ConfigError(Message("{key} must be a string", key=key))
    for key in ("offline", "allow_http_loopback", "demo"):
        if key in raw and not isinstance(raw[key], bool):
            raise ConfigError(Message("{key} must be true or false", key=key))
    limits_raw = _section(raw, "limits")
    _check_keys(limits_raw, {"max_body_bytes", "max_upload_bytes", "verify_timeout_seconds", "verify_threads",
                             "max_pending", "lane_max_bytes"}, "limits")
    timeout = limits_raw.get("verify_timeout_seconds", Limits.verify_timeout_seconds)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 < timeout <= 600:
        raise ConfigError(Message("limits.verify_timeout_seconds must be a number in (0, 600]"))
    limits = Limits(
        max_body_bytes=_int(limits_raw, "max_body_bytes", Limits.max_body_bytes, "limits", 1024),
        max_upload_bytes=_int(limits_raw, "max_upload_bytes", Limits.max_upload_bytes, "limits", 1024),
        verify_timeout_seconds=float(timeout),
        verify_threads=_int(limits_raw, "verify_threads", Limits.verify_threads, "limits"),
        max_pending=_int(limits_raw, "max_pending", Limits.max_pending, "limits"),
        lane_max_bytes=_int(limits_raw, "lane_max_bytes", Limits.lane_max_bytes, "limits", 0))
    if limits.lane_max_bytes > LANE_MAX_BYTES_CEILING:
        raise ConfigError(Message("limits.lane_max_bytes must be at most {ceiling} (the fast lane is for small "
                                  "requests; larger ones are verified on the worker pool)",
                                  ceiling=LANE_MAX_BYTES_CEILING))
    shares_raw = _section(raw, "shares")
    _check_keys(shares_raw, {"dir", "store", "max_ttl_seconds", "default_ttl_seconds", "max_count", "max_total_bytes",
                             "max_per_holder", "challenge_ttl_seconds", "max_challenges", "rate_per_minute",
                             "rate_burst"}, "shares")
    shares = SharesConfig(
        dir=_path(shares_raw.get("dir"), base, "shares.dir"),
        store=_share_store(shares_raw),
        max_ttl_seconds=_int(shares_raw, "max_ttl_seconds", SharesConfig.max_ttl_seconds, "shares", 60),
        default_ttl_seconds=_int(shares_raw, "default_ttl_seconds", SharesConfig.default_ttl_seconds, "shares", 60),
        max_count=_int(shares_raw, "max_count", SharesConfig.max_count, "shares"),
        max_total_bytes=_int(shares_raw, "max_total_bytes", SharesConfig.max_total_bytes, "shares", 1024),
        max_per_holder=_int(shares_raw, "max_per_holder", SharesConfig.max_per_holder, "shares"),
        challenge_ttl_seconds=_int(shares_raw, "challenge_ttl_seconds", SharesConfig.challenge_ttl_seconds,
                                   "shares", 10),
        max_challenges=_int(shares_raw, "max_challenges", SharesConfig.max_challenges, "shares"),
        rate_per_minute=_int(shares_raw, "rate_per_minute", SharesConfig.rate_per_minute, "shares"),
        rate_burst=_int(shares_raw, "rate_burst", SharesConfig.rate_burst, "shares"))
    if shares.challenge_ttl_seconds > 3600:
        raise ConfigError(Message("shares.challenge_ttl_seconds must be at most 3600 (a challenge is short-lived)"))
    hosted_raw = _section(raw, "hosted")
    _check_keys(hosted_raw, {"registry_file", "status_dir", "did_documents", "registry_forms"}, "hosted")
    dids_raw = hosted_raw.get("did_documents") or {}
    if not isinstance(dids_raw, dict):
        raise ConfigError(Message("hosted.did_documents must map URL paths to files"))
    did_documents: dict[str, Path] = {}
    for url_path, file in dids_raw.items():
        if not isinstance(url_path, str) or not url_path.startswith("/") or not url_path.endswith("did.json"):
            raise ConfigError(Message("hosted.did_documents: {path} must be a path like /.well-known/did.json",
                                      path=repr(url_path)))
        did_documents[url_path] = _path(file, base, f"hosted.did_documents[{url_path}]")  # type: ignore[assignment]
    hosted = Hosted(registry_file=_path(hosted_raw.get("registry_file"), base, "hosted.registry_file"),
                    status_dir=_path(hosted_raw.get("status_dir"), base, "hosted.status_dir"),
                    did_documents=did_documents,
                    registry_forms=_path(hosted_raw.get("registry_forms"), base, "hosted.registry_forms"))
    institution = None
    if isinstance(raw.get("institution"), str):  # an institution.yaml, as omc issue reads it
        institution = load_institution(_path(raw["institution"], base, "institution") or base)
    elif raw.get("institution") is not None:  # the same keys inline
        inline = dict(_section(raw, "institution"))
        inline_base = Path(inline.pop(_BASE, base))  # set by config_to_raw: the folder its paths are relative to
        institution = parse_institution(inline, inline_base)
        institution.source = (inline, inline_base)
    institutions = _institutions(raw, base)
    if institution is not None and institutions:
        raise ConfigError(Message("give institution (one) or institutions (several, by name), not both"))
    port = raw.get("port", 8000)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ConfigError(Message("port must be an integer in 0..65535"))
    return WebConfig(
        host=raw.get("host", "127.0.0.1"), port=port, workers=_int(raw, "workers", 1, _THE_CONFIGURATION),
        public_url=raw.get("public_url"), registry=raw.get("registry"),
        anchors=_path(raw.get("anchors"), base, "anchors"), offline=bool(raw.get("offline", False)),
        allow_http_loopback=bool(raw.get("allow_http_loopback", False)), demo=bool(raw.get("demo", False)),
        cache_dir=_path(raw.get("cache_dir"), base, "cache_dir"), policy=_path(raw.get("policy"), base, "policy"),
        limits=limits, shares=shares, hosted=hosted, institution=institution, institutions=institutions)


#: An institution's name in ``institutions``: the folder of its status lists under /status/.
_INSTITUTION_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _one_institution(value: Any, base: Path, name: str) -> InstitutionConfig:
    if isinstance(value, str):  # an institution.yaml, as omc issue reads it
        return load_institution(_path(value, base, name) or base)
    if not isinstance(value, dict):
        raise ConfigError(Message("{name} must be an institution.yaml file name or the same keys inline", name=name))
    inline = dict(value)
    inline_base = Path(inline.pop(_BASE, base))  # set by config_to_raw: the folder its paths are relative to
    institution = parse_institution(inline, inline_base)
    institution.source = (inline, inline_base)
    return institution


def _institutions(raw: dict[str, Any], base: Path) -> dict[str, InstitutionConfig]:
    """``institutions``: name -> institution. Two institutions may not share a store (each keeps its own
    credentials and status lists) nor a token variable (a token names one institution)."""
    section = _section(raw, "institutions")
    found: dict[str, InstitutionConfig] = {}
    stores: dict[Any, str] = {}
    tokens: dict[str, str] = {}
    for name, value in section.items():
        if not isinstance(name, str) or not _INSTITUTION_NAME.match(name):
            raise ConfigError(Message("institutions: {name} must be a name of lower-case letters, digits and - "
                                      "(it names the folder of its status lists)", name=repr(name)))
        institution = _one_institution(value, base, f"institutions.{name}")
        setting = institution.store
        where: Any = (setting.url, setting.url_env, setting.schema) if setting is not None \
            else str(institution.state_path)
        if where in stores:
            raise ConfigError(Message("institutions: {first} and {second} name the same issuance store: each "
                                      "institution needs its own (state / state_dir, or store.schema)",
                                      first=stores[where], second=name))
        if institution.token_env in tokens:
            raise ConfigError(Message("institutions: {first} and {second} read their bearer token from the same "
                                      "variable {variable}: give each its own token_env",
                                      first=tokens[institution.token_env], second=name,
                                      variable=institution.token_env))
        stores[where] = name
        tokens[institution.token_env] = name
        found[name] = institution
    return found


def _read_mapping(path: Path) -> Any:
    return read_config_file(path, what="configuration", max_bytes=MAX_CONFIG_BYTES)


def load_config(path: Path | None) -> WebConfig:
    """Read a configuration file (YAML or JSON); None gives the defaults."""
    if path is None:
        return WebConfig()
    return parse_config(_read_mapping(path), path.resolve().parent)


def load_institution(path: Path) -> InstitutionConfig:
    """Read an institution configuration file (the one schema of :mod:`omc_vc.issue.config`)."""
    return load_institution_file(path)


#: The key of an inline institution, as config_to_raw passes it on, naming the folder its paths are relative to.
_BASE = "$base"


def config_to_raw(config: WebConfig) -> dict[str, Any]:
    """The configuration as file-shaped JSON (absolute paths): how worker processes receive it."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value.resolve())
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    def institution_raw(institution: InstitutionConfig) -> Any:
        if institution.source is not None:  # inline: the same mapping, read against the same folder
            inline, base = institution.source
            return {**inline, _BASE: str(base.resolve())}
        return str(institution.path)

    institution = config.institution
    raw: dict[str, Any] = plain(asdict(replace(config, institution=None, institutions={})))
    raw.pop("institution", None)
    raw.pop("institutions", None)
    if institution is not None:
        raw["institution"] = institution_raw(institution)
    if config.institutions:
        raw["institutions"] = {name: institution_raw(inst) for name, inst in config.institutions.items()}
    return raw
