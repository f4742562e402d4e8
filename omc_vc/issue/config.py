"""The institution configuration (YAML or JSON): who issues, with which keys, what, and where state lives.

One file configures every issuing command: ``omc issue``, ``omc status`` and ``omc serve``
(``--institution-config``, or the ``institution:`` key of the service's configuration, as a file name
or the same mapping inline). One loader reads it, with one schema and one error style: a ConfigError
naming the key, and the line of a YAML syntax error.

Example (``institution.yaml``; relative paths are relative to the file)::

    did: did:web:registrar.college.example.ca
    verification_method: did:web:registrar.college.example.ca#key-1   # optional for did:key issuers
    key: keys/issuer.key
    passphrase_env: OMC_ISSUER_PASSPHRASE
    profile:
      name: Example College
      url: https://college.example.ca
      email: registrar@college.example.ca
      address: {addressLocality: Toronto, addressRegion: ON, addressCountry: CA}
      omcConsentReference: MCU-OMC-2026-0042
    catalogue: catalogue.yaml          # or an inline list/mapping of achievement definitions
    status:
      base_url: https://college.example.ca/status/
      suspension: false                # true adds a suspension entry, which OB 3.0's schema refuses (ADR 0013)
      list_bits: 131072                # >= 131072 (BSL §2.2: at least 16 KB)
      ttl_minutes: 60                  # the lists' ttl: how long verifiers may cache them
      valid_days: 7                    # validUntil of each published list: publish again before then
      fill_ratio: 0.5                  # a list takes new credentials until half its indices are used
    state: state/issuance.sqlite       # or state_dir: state/ (the database is issuance.sqlite in it)
    # store: postgresql://omc@db.internal/omc   # instead of state: the shared PostgreSQL store (store_setting.py)
    policy: null                       # null = the bundled default policy
    valid_years: null                  # optional validUntil of each credential, in years
    language: fr-CA                    # optional: the edition OMCs are issued in unless the learner's row says
    # omc serve only:
    keys: [keys/p256.key]              # further keys the VC-API issues with (each as its key's did:key)
    token_env: OMC_API_TOKEN           # the variable holding the bearer token of POST /credentials/issue
    did_document: did.json             # the institution's did:web document, hosted and pinned by the service
    # credential offers (omc offer; hosted by omc serve):
    offers:
      public_url: https://verify.college.example.ca   # the omc serve that hosts the offers: every link's base
      expires_days: 14                 # how long an offer stays open
      tx_code: false                   # OpenID4VCI: require a transaction code sent to the learner separately

``omc issue`` needs ``did``, ``key``, ``profile``, ``catalogue`` and ``status.base_url``. The VC-API
needs only keys (``key`` and/or ``keys``; without ``did`` it issues as each key's did:key); its status
lists default to ``{public_url}/status/``.

The catalogue maps an achievement id (the roster's ``achievement`` column) to its OB 3.0 Achievement
definition with the OMC terms (docs/vocabulary.md). A definition may list ``endorsementFiles``:
signed EndorsementCredential JSON files embedded in the achievement's ``endorsement`` list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from omc_vc._internal.configfile import read_config_file, yaml_position
from omc_vc.bitstring import MIN_BITS
from omc_vc.errors import ConfigError, KeyError_
from omc_vc.i18n import Message
from omc_vc.issue.offers import DEFAULT_OFFER_DAYS, MAX_OFFER_DAYS
from omc_vc.issue.store_setting import StoreSetting, parse_store
from omc_vc.keys import KeyPair, load_key
from omc_vc.omc.builder import issuer_profile
from omc_vc.omc.editions import edition_problems, is_language_tag
from omc_vc.omc.policy import Policy, load_policy

__all__ = ["InstitutionConfig", "OffersConfig", "StatusConfig", "load_config", "parse_config", "read_catalogue"]

MAX_CONFIG_BYTES: Final = 4 * 1024 * 1024
_TOP_KEYS: Final = frozenset({"did", "verification_method", "key", "keys", "passphrase_env", "profile", "catalogue",
                              "status", "state", "state_dir", "policy", "valid_years", "token_env", "did_document",
                              "offers", "language", "store", "$comment"})
#: The state database's name in ``state_dir``.
STATE_FILE: Final = "issuance.sqlite"
_STATUS_KEYS: Final = frozenset({"base_url", "suspension", "list_bits", "ttl_minutes", "valid_days", "fill_ratio"})
_OFFER_KEYS: Final = frozenset({"public_url", "expires_days", "tx_code"})


@dataclass(frozen=True)
class StatusConfig:
    """Where the institution publishes its Bitstring Status Lists and how they are sized."""

    base_url: str
    suspension: bool = False
    list_bits: int = MIN_BITS
    ttl_minutes: int = 60
    valid_days: int = 7
    # a list is closed to new credentials once this share of its indices is used, so a random index
    # stays cheap to find and every list keeps a large crowd of unused indices (BSL §6.1 herd privacy)
    fill_ratio: float = 0.5

    def list_url(self, purpose: str, number: int) -> str:
        return f"{self.base_url}{purpose}-{number}.json"


@dataclass(frozen=True)
class OffersConfig:
    """Credential offers: the public base URL of the ``omc serve`` that hosts them (the base of every
    offer link, https; plain http only on a loopback host), their default life, and whether OpenID4VCI
    asks for a transaction code."""

    public_url: str
    expires_days: int = DEFAULT_OFFER_DAYS
    tx_code: bool = False


@dataclass
class InstitutionConfig:
    """A loaded, checked institution configuration. Paths are absolute.

    ``did``, ``profile``, ``catalogue`` and ``status.base_url`` may be empty in a configuration that only
    issues through the VC-API; :meth:`require_omc` says what ``omc issue`` still needs.
    """

    path: Path
    did: str | None
    key_file: Path | None
    passphrase_env: str | None
    verification_method: str | None
    profile: dict[str, Any]
    catalogue: dict[str, dict[str, Any]]
    status: StatusConfig
    state_path: Path
    policy: Policy
    valid_years: float | None = None
    #: further signing keys (omc serve's VC-API issues as each key's DID)
    extra_key_files: tuple[Path, ...] = ()
    #: the variable holding the VC-API's bearer token
    token_env: str = "OMC_API_TOKEN"  # noqa: S105  (the name of a variable, not a secret)
    #: the institution's did:web document, hosted and pinned by omc serve
    did_document: Path | None = None
    #: credential offers (None: this institution makes none)
    offers: OffersConfig | None = None
    #: the language OMCs are issued in unless a learner's own is given (None: each achievement's own language)
    language: str | None = None
    #: the shared PostgreSQL store (None: the SQLite database at ``state_path``; omc_vc.issue.stores opens it)
    store: StoreSetting | None = None
    #: an inline configuration's mapping and the folder its paths are relative to (None: read from ``path``)
    source: tuple[Mapping[str, Any], Path] | None = field(default=None, repr=False)
    _key: KeyPair | None = field(default=None, repr=False)

    def key_files(self) -> tuple[Path, ...]:
        """Every key file, the institution's own first."""
        return ((self.key_file,) if self.key_file is not None else ()) + self.extra_key_files

    def require_omc(self) -> None:
        """ConfigError naming the first key missing for issuing OMCs (``omc issue``, ``omc status``)."""
        if self.did is None:
            raise ConfigError(Message("config: did is needed to issue OMCs (did:web or did:key)"), field="did")
        if self.key_file is None:
            raise ConfigError(Message("config: key is needed to issue OMCs (the issuer's key file)"), field="key")
        if not self.profile.get("name"):
            raise ConfigError(Message("config: profile is needed to issue OMCs (a mapping with at least a name)"),
                              field="profile")
        if not self.catalogue:
            raise ConfigError(Message("config: catalogue is needed to issue OMCs"), field="catalogue")
        if not self.status.base_url:
            raise ConfigError(Message("config: status.base_url is needed to issue OMCs"), field="status.base_url")

    def with_status_base(self, base_url: str) -> InstitutionConfig:
        """A copy whose status lists live under ``base_url`` when the file names no status.base_url."""
        if self.status.base_url:
            return self
        base = base_url if base_url.endswith("/") else base_url + "/"
        return replace(self, status=replace(self.status, base_url=base), _key=None)

    def issuer(self) -> dict[str, Any]:
        """The issuer Profile every OMC carries."""
        self.require_omc()
        assert self.did is not None
        return issuer_profile(self.did, self.profile)

    def achievement(self, achievement_id: str) -> dict[str, Any]:
        try:
            return self.catalogue[achievement_id]
        except KeyError:
            if not self.catalogue:
                raise ConfigError(Message("achievement {id} is not in the catalogue (known: none)",
                                          id=repr(achievement_id)), field="achievement") from None
            raise ConfigError(Message("achievement {id} is not in the catalogue (known: {known})",
                                      id=repr(achievement_id), known=", ".join(sorted(self.catalogue))),
                              field="achievement") from None

    def load_key(self, passphrase: str | None = None) -> KeyPair:
        """The issuer's signing key, addressed as a verification method of ``did``.

        The passphrase comes from the argument, else from the environment variable named by
        ``passphrase_env``. A plaintext (demo) key file needs none.
        """
        if self._key is not None:
            return self._key
        if self.key_file is None:
            raise ConfigError(Message("config: key is needed (the issuer's key file)"), field="key")
        pair = self.open_key(self.key_file, passphrase)
        did = self.did or pair.controller
        if pair.controller == did:
            chosen = pair if not self.verification_method else pair.with_id(self.verification_method, did)
        elif self.verification_method:
            chosen = pair.with_id(self.verification_method, did)
        else:
            raise ConfigError(Message("the key file belongs to {controller}, not {did}: set verification_method "
                                      "to the key's id in {did}'s DID document", controller=pair.controller, did=did),
                              field="verification_method")
        self._key = chosen
        return chosen

    def open_key(self, path: Path, passphrase: str | None = None) -> KeyPair:
        """One key file, decrypted with ``passphrase`` or the variable named by ``passphrase_env``."""
        secret = passphrase
        if secret is None and self.passphrase_env:
            secret = os.environ.get(self.passphrase_env) or None
        try:
            return load_key(path, secret)
        except KeyError_ as exc:
            if exc.code == "KEY_PASSPHRASE_REQUIRED":
                if not self.passphrase_env:
                    raise ConfigError(Message("the key file {path} is encrypted: set the environment variable "
                                              "(passphrase_env is not configured)", path=str(path)),
                                      field="passphrase_env") from exc
                raise ConfigError(Message("the key file {path} is encrypted: set the environment variable "
                                          "{variable}", path=str(path), variable=self.passphrase_env),
                                  field="passphrase_env") from exc
            raise


def _read_structured(path: Path, what: str) -> Any:
    return read_config_file(path, what=what, max_bytes=MAX_CONFIG_BYTES)


def _url(value: Any, key: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("https", "http") or not urlsplit(value).netloc:
        raise ConfigError(Message("config: {key} must be an absolute https URL", key=key), field=key)
    return value


def _int(value: Any, key: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(Message("config: {key} must be an integer >= {low}", key=key, low=low), field=key)
    return value


def _status(data: Any) -> StatusConfig:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(Message("config: status must be a mapping with base_url"), field="status")
    unknown = sorted(set(data) - _STATUS_KEYS)
    if unknown:
        name = f"status.{unknown[0]}"
        raise ConfigError(Message("config: unknown key {key}", key=name), field=name)
    base = ""  # empty: omc serve puts the lists under its public URL; omc issue needs one (require_omc)
    if data.get("base_url") is not None:
        base = _url(data.get("base_url"), "status.base_url")
        if "#" in base or "?" in base:
            raise ConfigError(Message("config: status.base_url must not have a query or fragment"),
                              field="status.base_url")
        if not base.endswith("/"):
            base += "/"
    bits = _int(data.get("list_bits", MIN_BITS), "status.list_bits", MIN_BITS)
    if bits % 8:
        raise ConfigError(Message("config: status.list_bits must be a multiple of 8"), field="status.list_bits")
    suspension = data.get("suspension", False)
    if not isinstance(suspension, bool):
        raise ConfigError(Message("config: status.suspension must be true or false"), field="status.suspension")
    ratio = data.get("fill_ratio", 0.5)
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 0.9:
        raise ConfigError(Message("config: status.fill_ratio must be a number in (0, 0.9]"), field="status.fill_ratio")
    return StatusConfig(base_url=base, suspension=suspension, list_bits=bits,
                        ttl_minutes=_int(data.get("ttl_minutes", 60), "status.ttl_minutes", 0),
                        valid_days=_int(data.get("valid_days", 7), "status.valid_days", 1),
                        fill_ratio=float(ratio))


def _offers(data: Any) -> OffersConfig | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise ConfigError(Message("config: offers must be a mapping with public_url"), field="offers")
    unknown = sorted(set(data) - _OFFER_KEYS)
    if unknown:
        name = f"offers.{unknown[0]}"
        raise ConfigError(Message("config: unknown key {key}", key=name), field=name)
    url = _url(data.get("public_url"), "offers.public_url")
    parts = urlsplit(url)
    # an offer link is opened on a learner's phone: plain http only where it cannot leave this machine
    if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        raise ConfigError(Message("config: offers.public_url must be an https URL (plain http only on a loopback "
                                  "host)"), field="offers.public_url")
    if parts.query or parts.fragment:
        raise ConfigError(Message("config: offers.public_url must not have a query or fragment"),
                          field="offers.public_url")
    days = _int(data.get("expires_days", DEFAULT_OFFER_DAYS), "offers.expires_days", 1)
    if days > MAX_OFFER_DAYS:
        raise ConfigError(Message("config: offers.expires_days must be at most {days}", days=MAX_OFFER_DAYS),
                          field="offers.expires_days")
    tx_code = data.get("tx_code", False)
    if not isinstance(tx_code, bool):
        raise ConfigError(Message("config: offers.tx_code must be true or false"), field="offers.tx_code")
    return OffersConfig(public_url=url.rstrip("/"), expires_days=days, tx_code=tx_code)


def _catalogue(data: Any, base: Path, *, embed: bool = True) -> dict[str, dict[str, Any]]:
    """The catalogue's definitions by catalogue id; ``embed`` reads each one's ``endorsementFiles`` into
    its ``endorsement`` list (without it the key is only dropped)."""
    if isinstance(data, str):
        path = (base / data).resolve()
        loaded = _read_structured(path, "catalogue")
        return _catalogue(loaded.get("achievements", loaded) if isinstance(loaded, dict) else loaded, path.parent,
                          embed=embed)
    entries: dict[str, dict[str, Any]] = {}
    items: list[tuple[str, Any]]
    if isinstance(data, Mapping):
        items = [(str(k), v) for k, v in data.items()]
    elif isinstance(data, list):
        items = [(str(v.get("catalogueId") or v.get("id")) if isinstance(v, Mapping) else "?", v) for v in data]
    else:
        raise ConfigError(Message("config: catalogue must be a file name, a mapping or a list of achievements"),
                          field="catalogue")
    for key, definition in items:
        if not isinstance(definition, Mapping):
            raise ConfigError(Message("catalogue: {key} is not a mapping", key=repr(key)), field=f"catalogue.{key}")
        if not isinstance(definition.get("id"), str) or not urlsplit(definition["id"]).scheme:
            raise ConfigError(Message("catalogue: {key} needs an absolute URL id", key=repr(key)),
                              field=f"catalogue.{key}.id")
        if key in entries:
            raise ConfigError(Message("catalogue: {key} is defined twice", key=repr(key)), field=f"catalogue.{key}")
        entry = dict(definition)
        files = entry.get("endorsementFiles", [])
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ConfigError(Message("catalogue: {key}.endorsementFiles must be a list of file names", key=key),
                              field=f"catalogue.{key}.endorsementFiles")
        endorsements = list(entry.get("endorsement", []))
        for name in files if embed else []:
            loaded = _read_structured((base / name).resolve(), "endorsement")
            if not isinstance(loaded, dict):
                raise ConfigError(Message("endorsement file {name} does not hold a JSON object", name=name),
                                  field=f"catalogue.{key}.endorsementFiles")
            endorsements.append(loaded)
        entry.pop("endorsementFiles", None)
        if endorsements:
            entry["endorsement"] = endorsements
        problems = edition_problems(entry)
        if problems:
            where, why = problems[0]
            raise ConfigError(Message("catalogue: {key}.{where} {why}", key=key, where=where, why=why),
                              field=f"catalogue.{key}.{where}")
        if isinstance(entry.get("editions"), Mapping):
            entry["editions"] = {tag: _edition(dict(words), base, f"catalogue.{key}.editions.{tag}", embed)
                                 for tag, words in entry["editions"].items()}
        entries[key] = entry
    if not entries:
        raise ConfigError(Message("config: the catalogue is empty"), field="catalogue")
    return entries


def _edition(words: dict[str, Any], base: Path, where: str, embed: bool) -> dict[str, Any]:
    """One language edition of a definition, its ``endorsementFiles`` read into its ``endorsement`` list."""
    files = words.pop("endorsementFiles", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ConfigError(Message("{where}.endorsementFiles must be a list of file names", where=where),
                          field=f"{where}.endorsementFiles")
    endorsements = list(words.get("endorsement", []))
    for name in files if embed else []:
        loaded = _read_structured((base / name).resolve(), "endorsement")
        if not isinstance(loaded, dict):
            raise ConfigError(Message("endorsement file {name} does not hold a JSON object", name=name),
                              field=f"{where}.endorsementFiles")
        endorsements.append(loaded)
    if endorsements:
        words["endorsement"] = endorsements
    return words


def read_catalogue(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The achievement definitions of a catalogue file, or of an institution configuration's ``catalogue``.

    For an endorser (``omc endorse --catalogue``): the definitions as the institution issues them,
    without reading their ``endorsementFiles`` (an endorsement does not cover them, and the file of the
    endorsement being made may not exist yet). A file holding a mapping with both ``did`` and
    ``catalogue`` is read as an institution configuration.
    """
    target = Path(path).resolve()
    data = _read_structured(target, "catalogue")
    if isinstance(data, Mapping) and "did" in data and "catalogue" in data:
        data = data["catalogue"]
    elif isinstance(data, Mapping) and "achievements" in data:
        data = data["achievements"]
    return _catalogue(data, target.parent, embed=False)


def load_config(path: str | os.PathLike[str]) -> InstitutionConfig:
    """Read and check an institution configuration file (ConfigError naming the key on any problem, and in
    a YAML file the line and column where it is written)."""
    target = Path(path).resolve()
    data = _read_structured(target, "configuration")
    try:
        return parse_config(data, target.parent, path=target)
    except ConfigError as exc:
        where = _where(exc, target, data)
        if where is None:
            raise
        raise ConfigError(Message("{detail} ({where})", detail=exc.detail, where=where), code=exc.code,
                          **exc.context) from exc


def _where(exc: ConfigError, target: Path, data: Any) -> str | None:
    """"<file> line L, column C" of the key a ConfigError names (``field``), in the configuration or, for a
    catalogue entry, in the catalogue file it names."""
    field = exc.context.get("field")
    if not isinstance(field, str) or not field:
        return None
    keys = field.split(".")
    # (file, key path, how many of its keys are a wrapper, not the field's own)
    candidates = [(target, keys, 0)]
    catalogue = data.get("catalogue") if isinstance(data, Mapping) else None
    if keys[0] == "catalogue" and len(keys) > 1 and isinstance(catalogue, str):
        inner = (target.parent / catalogue).resolve()
        candidates = [(inner, ["achievements", *keys[1:]], 1), (inner, keys[1:], 0), *candidates]
    best: tuple[int, Path, int, int] | None = None
    for path, wanted, wrapper in candidates:
        found = yaml_position(path, wanted, max_bytes=MAX_CONFIG_BYTES)
        if found is not None and (best is None or found[2] - wrapper > best[0]):
            best = (found[2] - wrapper, path, found[0], found[1])
    if best is None:
        return None
    _, path, line, column = best
    return Message("{file} line {line}, column {column}", file=path.name, line=str(line), column=str(column))


def _file(value: Any, base: Path, key: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(Message("config: {key} must be a file name", key=key), field=key)
    return (base / Path(value).expanduser()).resolve()


def parse_config(data: Any, base: Path, *, path: Path | None = None) -> InstitutionConfig:
    """Check an institution configuration already read (the ``institution:`` mapping of a service
    configuration, or a whole file); relative paths are relative to ``base``."""
    if not isinstance(data, Mapping):
        if not path:
            raise ConfigError(Message("configuration institution must be a mapping"))
        raise ConfigError(Message("configuration {path} must be a mapping", path=str(path)))
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(Message("config: unknown key {key}", key=repr(unknown[0])), field=unknown[0])
    did = data.get("did")
    if did is not None and (not isinstance(did, str) or not did.startswith(("did:web:", "did:key:"))):
        raise ConfigError(Message("config: did must be a did:web or did:key DID"), field="did")
    vm = data.get("verification_method")
    if vm is not None and (did is None or not isinstance(vm, str) or not vm.startswith(did + "#")):
        if not did:
            raise ConfigError(Message("config: verification_method must be the did#<fragment>"),
                              field="verification_method")
        raise ConfigError(Message("config: verification_method must be {did}#<fragment>", did=did),
                          field="verification_method")
    key = _file(data["key"], base, "key") if data.get("key") is not None else None
    extra = data.get("keys") or []
    if isinstance(extra, str):
        extra = [extra]
    if not isinstance(extra, list):
        raise ConfigError(Message("config: keys must list key files"), field="keys")
    extra_files = tuple(_file(item, base, "keys") for item in extra)
    if key is None and not extra_files:
        raise ConfigError(Message("config: key must name the issuer's key file"), field="key")
    env = data.get("passphrase_env")
    if env is not None and (not isinstance(env, str) or not env):
        raise ConfigError(Message("config: passphrase_env must be an environment variable name"),
                          field="passphrase_env")
    profile = data.get("profile", {})
    if not isinstance(profile, Mapping) or ("profile" in data and not isinstance(profile.get("name"), str)):
        raise ConfigError(Message("config: profile must be a mapping with at least a name"), field="profile")
    if "state" in data and "state_dir" in data:
        raise ConfigError(Message("config: give state (the database file) or state_dir (its folder), not both"),
                          field="state")
    store = parse_store(data.get("store"))
    if store is not None and ("state" in data or "state_dir" in data):
        raise ConfigError(Message("config: give store (PostgreSQL) or state / state_dir (SQLite), not both"),
                          field="store")
    if data.get("state_dir") is not None:
        state_path = _file(data["state_dir"], base, "state_dir") / STATE_FILE
    else:
        state_path = _file(data.get("state", STATE_FILE), base, "state")
    policy_path = data.get("policy")
    if policy_path is not None and not isinstance(policy_path, str):
        raise ConfigError(Message("config: policy must be a file name or null"), field="policy")
    language = data.get("language")
    if language is not None and not is_language_tag(language):
        raise ConfigError(Message("config: language must be a BCP 47 language tag such as fr-CA"), field="language")
    years = data.get("valid_years")
    if years is not None and (isinstance(years, bool) or not isinstance(years, int | float) or years <= 0):
        raise ConfigError(Message("config: valid_years must be a positive number"), field="valid_years")
    token_env = data.get("token_env", "OMC_API_TOKEN")
    if not isinstance(token_env, str) or not token_env:
        raise ConfigError(Message("config: token_env must name an environment variable"), field="token_env")
    did_document = _file(data["did_document"], base, "did_document") if data.get("did_document") else None
    catalogue = _catalogue(data["catalogue"], base) if data.get("catalogue") is not None else {}
    return InstitutionConfig(
        path=path or base, did=did, key_file=key, passphrase_env=env, verification_method=vm,
        profile=dict(profile), catalogue=catalogue, status=_status(data.get("status")), state_path=state_path,
        policy=load_policy((base / policy_path).resolve() if policy_path else None),
        valid_years=float(years) if years is not None else None, extra_key_files=extra_files,
        token_env=token_env, did_document=did_document, offers=_offers(data.get("offers")), store=store,
        language=language,
    )
