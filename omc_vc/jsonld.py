"""The offline JSON-LD layer: bundled contexts, RDFC-1.0 canonicalization, data-loss detection.

Everything in omc-vc that touches JSON-LD goes through this module (DESIGN decisions 1-5):

* :class:`BundledLoader` serves only the contexts listed in ``contexts/manifest.json`` (each file's
  SHA-256 is checked against the manifest the first time it is read) and refuses every other URL with
  :class:`~omc_vc.errors.ContextNotAllowedError`. Contexts are never fetched.
* :func:`canonicalize` is the one RDFC-1.0 entry point. It always runs PyLD with algorithm
  ``URDNA2015``, output ``application/n-quads``, base ``None`` and the bundled loader, checks for data
  loss (Data Integrity 1.0 §2.4.3), escapes literals the way RDFC-1.0 requires and bounds the work of
  the Hash N-Degree Quads step, so a "poison graph" ends with
  :class:`~omc_vc.errors.CanonicalizationLimitError` instead of hanging.
* :func:`check_data_loss` reports, by JSON path, the first property no context defines (PyLD drops it
  silently) and any relative IRI (dropped when converting to RDF with a null base).
* Processed active contexts are memoized (PyLD misses its own cache on every type-scoped context,
  which VC 2.0 and Open Badges 3.0 put on nearly every node). Output is byte-identical with the memo
  on or off; :func:`self_test` proves it after a PyLD upgrade.
* Documents in the common subset of JSON-LD (what credentials use) are converted to RDF by a direct
  converter (omc_vc/_fastrdf.py) that leaves every error, every data-loss question and every other
  feature to PyLD; its canonical output is byte-identical (tests/unit/test_fastrdf.py, self_test).

Both speed paths are always on in the public functions. The private functions below them
(:func:`_canonicalize`, :func:`_expand_document`, :func:`_to_records`) take ``memoize=`` and ``fast=``
so the tests and the benchmark can run PyLD's own pipeline beside them; there is no module switch.

Every exception from PyLD is translated into an :class:`~omc_vc.errors.OmcVcError` subclass.

>>> nquads = canonicalize({
...     "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
...     "id": "urn:uuid:0b2ee4b8-7e5f-4d8b-9d58-3a9b7c4c6f10",
...     "type": ["VerifiableCredential"],
...     "issuer": "did:example:issuer",
...     "credentialSubject": {"id": "did:example:learner", "alumniOf": "Example College"},
... })
>>> nquads.count("\\n")
4
>>> print(nquads.splitlines()[0])
<did:example:learner> <https://www.w3.org/ns/credentials/examples#alumniOf> "Example College" .
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, Final

from frozendict import frozendict
from pyld import jsonld as _pyld
from pyld.canon import URDNA2015 as _PyldURDNA2015
from pyld.context_resolver import ContextResolver as _ContextResolver
from pyld.identifier_issuer import IdentifierIssuer as _IdentifierIssuer

from omc_vc import _fastrdf
from omc_vc._internal import nquads
from omc_vc._internal.jsonio import copy_json
from omc_vc._internal.resources import contexts_dir
from omc_vc.errors import (
    CanonicalizationLimitError,
    ContextNotAllowedError,
    DataLossError,
    InputError,
    JsonLdError,
    OmcVcError,
)
from omc_vc.i18n import Message

__all__ = [
    "DEFAULT_MAX_BLANK_NODES",
    "DEFAULT_MAX_WORK",
    "BundledLoader",
    "DocumentLoader",
    "canonicalize",
    "canonicalize_dataset",
    "check_data_loss",
    "context_processor",
    "default_loader",
    "expand",
    "parse_nquads",
    "self_test",
    "work_ceiling",
]

#: A PyLD document loader: ``loader(url, options)`` returns ``{"contextUrl", "documentUrl", "document"}``.
DocumentLoader = Callable[[str, Any], dict[str, Any]]

# PyLD's _is_absolute_iri looks its pattern up in re's cache on every call, and it is called for
# nearly every key and value expanded. The same pattern, compiled once, gives identical answers for
# every input (the function is pure), and it is a measurable share of a canonicalization
# (docs/performance.md, levers). PyLD is pinned exactly (pyproject.toml), and self_test() plus the
# conformance suites run against this.
_ABSOLUTE_IRI: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")


def _is_absolute_iri(value: Any) -> Any:
    return isinstance(value, str) and _ABSOLUTE_IRI.match(value)


_pyld._is_absolute_iri = _is_absolute_iri

#: Default cap on distinct blank nodes in one canonicalization (RDFC-1.0 §4.4.3 step 2). Real
#: credentials have a few dozen; a cohort-sized document a few thousand.
DEFAULT_MAX_BLANK_NODES: Final = 10_000

#: Default work bound, in units roughly proportional to time (chosen so that either step stops within
#: a couple of seconds), applied separately to two steps whose cost grows faster than the input:
#:
#: * the Hash N-Degree Quads step of RDFC-1.0 (§4.8): per call, one unit per quad of the blank node,
#:   and per permutation it must try (§4.8.3 step 5.4) one per identifier its issuer copy holds plus
#:   one per node permuted. Credentials need well under a thousand units; the rdf-canon "poison -
#:   evil" tests that must pass need about 25,000; the 10-node clique (test074) is refused on its
#:   first call, which alone would try 9! = 362,880 permutations;
#: * PyLD's node map generation (JSON-LD 1.1 API §7.2), quadratic in the number of values of one
#:   property of one node: one unit per two comparisons, so about 1,400 such values fit.
DEFAULT_MAX_WORK: Final = 500_000

#: A tighter work bound for the current context only (see :func:`work_ceiling`): (units, what to raise).
_CEILING: ContextVar[tuple[int, Callable[[], BaseException]] | None] = ContextVar("omc_vc_jsonld_ceiling",
                                                                                  default=None)


@contextmanager
def work_ceiling(units: int, exceeded: Callable[[], BaseException]) -> Iterator[None]:
    """Within the block (this thread or task only), stop at ``units`` of work by raising ``exceeded()``.

    The same two steps and the same units as :data:`DEFAULT_MAX_WORK`, which still applies: this is
    for a caller that runs small jobs somewhere a long one must not run (the verifier service's event
    loop) and will run a job that needs more elsewhere. ``exceeded`` should build a BaseException that
    is not an Exception, so no check turns it into a result: the caller catches it and the job's
    partial outcome is thrown away.
    """
    token = _CEILING.set((units, exceeded))
    try:
        yield
    finally:
        _CEILING.reset(token)


def _over_ceiling(units: int) -> None:
    ceiling = _CEILING.get()
    if ceiling is not None and units > ceiling[0]:
        raise ceiling[1]()


#: Deepest JSON nesting accepted (PyLD recurses once per level; credentials nest about ten deep).
MAX_DEPTH: Final = 100

# DESIGN decision 2 / DI 1.0 §2.4.3: the only options RDFC-1.0 is ever run with. PyLD's defaults are
# URGNA2012, a networked loader and an example.org base; base None makes relative IRIs detectable.
_RDFC_OPTIONS: Final[Mapping[str, Any]] = frozendict(
    {"algorithm": "URDNA2015", "format": "application/n-quads", "base": None}
)

# JSON-LD 1.1 API §8.1 (rdfDirection): a base direction (@direction) becomes the literal's datatype
# https://www.w3.org/ns/i18n#{language}_{direction}, as Digital Bazaar's eddsa-rdfc-2022 and
# ecdsa-rdfc-2019 cryptosuites canonicalize (their canonize.js sets it), so a credential with a
# directed name signs and verifies the same in both; without it the direction would be dropped (data
# loss). The W3C vc-data-model-2.0 suite issues such credentials (w3c/vc-data-integrity#366).
RDF_DIRECTION: Final = "i18n-datatype"

_SHA256_HEX: Final = re.compile(r"[0-9a-f]{64}")
_PLAIN_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_REPORTED_PROBLEMS: Final = 50
#: what an input check calls the document it reads (built once: the check runs on every document)
_DOCUMENT: Final = Message("document")


# ---------------------------------------------------------------------------------------------------
# Bundled contexts
# ---------------------------------------------------------------------------------------------------


class BundledLoader:
    """A PyLD document loader that serves only the bundled contexts (DESIGN decision 1).

    The URL -> file map and each file's SHA-256 come from ``manifest.json`` in the contexts folder;
    adding a context is a manifest entry plus its file. A file is hashed the first time it is served
    and a mismatch raises :class:`JsonLdError` (code ``CONTEXT_INTEGRITY_ERROR``). Parsed documents are
    cached; every call returns a fresh copy because PyLD edits the contexts it loads (it resolves
    ``@context`` URLs in place and merges ``@import`` into the imported document).

    ``extra`` adds in-memory contexts (tests, a future registry); they may not shadow a bundled URL.
    Any other URL raises :class:`ContextNotAllowedError` naming it.

    >>> loader = BundledLoader()
    >>> loader("https://www.w3.org/ns/credentials/v2", {})["document"]["@context"]["@protected"]
    True
    >>> loader("https://example.com/context.jsonld", {})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omc_vc.errors.ContextNotAllowedError: context 'https://example.com/context.jsonld' is not one of ...
    """

    def __init__(
        self,
        *,
        directory: Path | str | None = None,
        extra: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._directory = contexts_dir() if directory is None else Path(directory)
        self._entries = _read_manifest(self._directory)
        self._extra: dict[str, Any] = {}
        for url, document in (extra or {}).items():
            if not isinstance(url, str) or not url:
                raise JsonLdError(Message("extra context URL {url} is not a non-empty string", url=repr(url)))
            if url in self._entries:
                raise JsonLdError(Message("extra context {url} would shadow a bundled context", url=repr(url)))
            if not isinstance(document, Mapping):
                raise JsonLdError(Message("extra context {url} is not a JSON object", url=repr(url)))
            _check_json(document, what=Message("extra context {url}", url=repr(url)))
            self._extra[url] = _json_copy(dict(document))
        self._parsed: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def urls(self) -> frozenset[str]:
        """Every URL this loader serves."""
        return frozenset(self._entries) | frozenset(self._extra)

    @property
    def manifest(self) -> dict[str, tuple[str, str]]:
        """The bundled entries: URL -> (file name, sha256 hex)."""
        return dict(self._entries)

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and (url in self._entries or url in self._extra)

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        return {"contextUrl": None, "documentUrl": url, "document": self.document(url)}

    def document(self, url: str) -> Any:
        """A fresh copy of the parsed document served for ``url``."""
        if not isinstance(url, str):
            raise ContextNotAllowedError(repr(url), _not_bundled(repr(url)))
        if url in self._extra:
            return _json_copy(self._extra[url])
        entry = self._entries.get(url)
        if entry is None:
            raise ContextNotAllowedError(url, _not_bundled(url))
        return _json_copy(self._load(*entry))

    def content(self, url: str) -> bytes | None:
        """The exact bytes of a bundled context (checked against the manifest's SHA-256), for a digest a
        document gives of it (VCDM 2.0 §5.3 relatedResource); None for a URL that is not a bundled file."""
        entry = self._entries.get(url) if isinstance(url, str) else None
        if entry is None:
            return None
        file, sha256 = entry
        try:
            raw = (self._directory / file).read_bytes()
        except OSError as exc:
            raise JsonLdError(Message("bundled context file {file} cannot be read ({why})", file=repr(file),
                                      why=str(exc.strerror)), code="CONTEXT_INTEGRITY_ERROR") from exc
        if hashlib.sha256(raw).hexdigest() != sha256:
            raise JsonLdError(Message("bundled context file {file} does not match the manifest", file=repr(file)),
                              code="CONTEXT_INTEGRITY_ERROR", file=file)
        return raw

    def _load(self, file: str, sha256: str) -> Any:
        with self._lock:
            parsed = self._parsed.get(file)
            if parsed is None:
                try:
                    raw = (self._directory / file).read_bytes()
                except OSError as exc:
                    raise JsonLdError(
                        Message("bundled context file {file} cannot be read ({why})", file=repr(file),
                                why=str(exc.strerror)),
                        code="CONTEXT_INTEGRITY_ERROR",
                    ) from exc
                actual = hashlib.sha256(raw).hexdigest()
                if actual != sha256:
                    raise JsonLdError(
                        Message("bundled context file {file} has sha256 {actual}, the manifest says {sha256}",
                                file=repr(file), actual=actual, sha256=sha256),
                        code="CONTEXT_INTEGRITY_ERROR",
                        file=file,
                    )
                try:
                    parsed = json.loads(raw)
                except ValueError as exc:
                    raise JsonLdError(
                        Message("bundled context file {file} is not JSON", file=repr(file)),
                        code="CONTEXT_INTEGRITY_ERROR",
                    ) from exc
                self._parsed[file] = parsed
        return parsed


def _read_manifest(directory: Path) -> dict[str, tuple[str, str]]:
    path = directory / "manifest.json"
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:  # by its name: the folder is the package's install path (and str(exc) names it)
        raise JsonLdError(Message("context manifest {name} cannot be read ({why})", name=path.name,
                                  why=str(exc.strerror))) from exc
    except ValueError as exc:
        raise JsonLdError(Message("context manifest {name} is not JSON", name=path.name)) from exc
    if not isinstance(data, list):
        raise JsonLdError(Message("context manifest {name} is not a JSON list", name=path.name))
    entries: dict[str, tuple[str, str]] = {}
    hashes: dict[str, str] = {}
    for index, item in enumerate(data):
        url = item.get("url") if isinstance(item, dict) else None
        file = item.get("file") if isinstance(item, dict) else None
        sha = item.get("sha256") if isinstance(item, dict) else None
        if not (isinstance(url, str) and isinstance(file, str) and isinstance(sha, str)):
            raise JsonLdError(Message("context manifest entry {index} needs string 'url', 'file' and 'sha256'",
                                      index=str(index)))
        # A plain file name inside the contexts folder: no separators, no "..", no hidden files.
        if not file or file.startswith(".") or "/" in file or "\\" in file:
            raise JsonLdError(Message("context manifest entry {index}: {file} is not a plain file name",
                                      index=str(index), file=repr(file)))
        if not _SHA256_HEX.fullmatch(sha):
            raise JsonLdError(Message("context manifest entry {index}: sha256 must be 64 lowercase hex digits",
                                      index=str(index)))
        if url in entries:
            raise JsonLdError(Message("context manifest lists {url} twice", url=repr(url)))
        if hashes.setdefault(file, sha) != sha:
            raise JsonLdError(Message("context manifest gives {file} two different hashes", file=repr(file)))
        entries[url] = (file, sha)
    return entries


@cache
def default_loader() -> BundledLoader:
    """The shared :class:`BundledLoader` over the bundled ``contexts/`` folder."""
    return BundledLoader()


# ---------------------------------------------------------------------------------------------------
# JSON input checks and small helpers
# ---------------------------------------------------------------------------------------------------


_json_copy = copy_json


def _step(key: str | int) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    if _PLAIN_KEY.fullmatch(key):
        return "." + key
    return "[" + json.dumps(key, ensure_ascii=False) + "]"


def _check_json(value: Any, *, what: str = _DOCUMENT) -> None:
    """Raise InputError unless ``value`` is plain JSON (str keys, finite numbers) at most MAX_DEPTH deep.

    PyLD stringifies values of other types (a tuple, a Decimal, a datetime) and emits NaN as a
    literal, so a signature would cover something other than the JSON a verifier reads.
    """
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 0, ())]
    while stack:
        item, depth, trail = stack.pop()
        if isinstance(item, dict):
            if depth >= MAX_DEPTH:
                raise InputError(Message("{what} nests deeper than {depth} levels at {path}", what=what,
                                         depth=MAX_DEPTH, path=_trail_path(trail)))
            for key, child in item.items():
                if not isinstance(key, str):
                    raise InputError(Message("{what}: key {key} at {path} is not a string", what=what,
                                             key=repr(key), path=_trail_path(trail)))
                if isinstance(child, (dict, list)) or not _is_json_scalar(child):
                    stack.append((child, depth + 1, (trail, key)))
        elif isinstance(item, list):
            if depth >= MAX_DEPTH:
                raise InputError(Message("{what} nests deeper than {depth} levels at {path}", what=what,
                                         depth=MAX_DEPTH, path=_trail_path(trail)))
            for index, child in enumerate(item):
                if isinstance(child, (dict, list)) or not _is_json_scalar(child):
                    stack.append((child, depth + 1, (trail, index)))
        else:
            kind = type(item).__name__
            raise InputError(Message("{what}: value at {path} is not JSON (a {kind})", what=what,
                                     path=_trail_path(trail), kind=kind))


def _is_json_scalar(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int)):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _trail_path(trail: tuple[Any, ...]) -> str:
    steps: list[str] = []
    while trail:
        trail, key = trail
        steps.append(_step(key))
    return "$" + "".join(reversed(steps))


def _index_paths(root: Any) -> dict[int, str]:
    """JSON path of every object and array under ``root``, keyed by id()."""
    paths: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(root, "$")]
    while stack:
        item, path = stack.pop()
        paths[id(item)] = path
        if isinstance(item, dict):
            stack.extend((child, path + _step(key)) for key, child in item.items() if isinstance(child, (dict, list)))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item) if isinstance(child, (dict, list)))
    return paths


# ---------------------------------------------------------------------------------------------------
# Memoized context processing
# ---------------------------------------------------------------------------------------------------


class _ContextMemo:
    """(active context, local context, options) -> processed active context, least recently used out.

    Keys hold id()s; each entry keeps the keyed objects alive so an id cannot be reused while its
    entry exists. Active contexts are PyLD frozendicts and local contexts come from the contexts PyLD
    loaded or from the document; neither is changed after it has been processed.
    """

    def __init__(self, size: int = 2048) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()
        #: node plans of the direct converter (omc_vc/_fastrdf.py) for this loader's contexts
        self.plans = _fastrdf.PlanCache()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple[Any, ...], pins: Any, value: Any) -> None:
        with self._lock:
            self._entries[key] = (pins, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


_memos: weakref.WeakKeyDictionary[Any, _ContextMemo] = weakref.WeakKeyDictionary()
_memos_lock = threading.Lock()


def _memo_for(loader: DocumentLoader) -> _ContextMemo:
    """The memo shared by every call with this loader (a context URL means what its loader serves)."""
    with _memos_lock:
        try:
            memo = _memos.get(loader)
            if memo is None:
                memo = _memos[loader] = _ContextMemo()
            return memo
        except TypeError:  # not weak-referenceable: memoize within this call only
            return _ContextMemo()


def _local_context_key(local_ctx: Any, pins: list[Any]) -> Any:
    """A hashable key for a local context: URLs by value, objects by identity (kept alive in pins)."""
    if isinstance(local_ctx, str):
        return local_ctx
    if isinstance(local_ctx, (dict, frozendict)):
        pins.append(local_ctx)
        return ("object", id(local_ctx))
    if isinstance(local_ctx, list):
        pins.append(local_ctx)
        return ("list", *(_local_context_key(item, pins) for item in local_ctx))
    return ("scalar", repr(local_ctx))


def _node_map_comparisons(expanded: Any) -> int:
    """Value comparisons PyLD's Node Map Generation will make for this expanded JSON-LD.

    Values are merged per (graph, subject, property); a subject with an @id (blank or not) merges
    every node object with that @id, one without is a node of its own. List items are appended
    without comparison.
    """
    counts: dict[tuple[Any, Any, str], int] = {}
    stack: list[tuple[Any, Any]] = [(item, "@default") for item in _pyld.JsonLdProcessor.arrayify(expanded)]
    while stack:
        element, graph = stack.pop()
        if not isinstance(element, dict) or "@value" in element:
            continue
        if "@list" in element:
            stack.extend((item, graph) for item in element["@list"])
            continue
        node_id = element.get("@id")
        subject = node_id if isinstance(node_id, str) else id(element)
        for prop, values in element.items():
            items = values if isinstance(values, list) else [values]
            if prop == "@graph":
                stack.extend((item, subject) for item in items)
            elif prop == "@included":
                stack.extend((item, graph) for item in items)
            elif prop == "@reverse" and isinstance(values, dict):
                for reverse_prop, reverse_items in values.items():
                    for item in reverse_items if isinstance(reverse_items, list) else [reverse_items]:
                        if isinstance(item, dict):
                            item_id = item.get("@id")
                            key = (graph, item_id if isinstance(item_id, str) else id(item), reverse_prop)
                            counts[key] = counts.get(key, 0) + 1
                            stack.append((item, graph))
            elif prop == "@type" or not prop.startswith("@"):
                key = (graph, subject, prop)
                counts[key] = counts.get(key, 0) + len(items)
                if prop != "@type":
                    stack.extend((item, graph) for item in items)
    return sum(n * (n - 1) // 2 for n in counts.values())


class _Processor(_pyld.JsonLdProcessor):  # type: ignore[misc]
    """PyLD's processor with memoized context processing (JSON-LD 1.1 API §4.1 Context Processing).

    PyLD caches a processed context per (resolved context, active context uuid), but a type-scoped
    context is applied with ``propagate=False``, which clones the active context and gives the clone
    a fresh uuid before the cache lookup, so the lookup always misses; it also JCS-serializes every
    inline context to find it. Context Processing is a pure function of the active context, the local
    context, the base IRI, the flags and what the loader serves, so its result can be reused as is.
    """

    def __init__(self, memo: _ContextMemo | None, max_work: int | None = None) -> None:
        super().__init__()
        self._memo = memo
        self._max_work = max_work
        self._in_node_map = False

    # JSON-LD 1.1 API §7.2 Node Map Generation: PyLD adds each value of a node's property with
    # "no duplicates", comparing it with every value already there, so n values cost n(n-1)/2
    # comparisons (3,000 results of one subject take seconds). Estimate that from the expanded
    # input before generating the map and refuse what exceeds the work bound (DESIGN decision 5).
    def _create_node_map(
        self,
        input_: Any,
        graph_map: Any,
        active_graph: Any,
        issuer: Any,
        active_subject: Any = None,
        active_property: Any = None,
        list_: Any = None,
    ) -> Any:
        if self._in_node_map or (self._max_work is None and _CEILING.get() is None):
            return super()._create_node_map(
                input_, graph_map, active_graph, issuer, active_subject, active_property, list_
            )
        comparisons = _node_map_comparisons(input_)
        _over_ceiling(comparisons // 2)
        if self._max_work is not None and comparisons // 2 > self._max_work:
            raise CanonicalizationLimitError(
                Message("converting to RDF needs more than {limit} units of work "
                        "({comparisons} value comparisons: too many values for one property)",
                        limit=self._max_work, comparisons=comparisons),
                max_work=self._max_work,
            )
        self._in_node_map = True
        try:
            return super()._create_node_map(
                input_, graph_map, active_graph, issuer, active_subject, active_property, list_
            )
        finally:
            self._in_node_map = False

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        memo = self._memo
        # Only finished (frozen) active contexts are stable enough to key on; the nested calls that
        # validate scoped contexts while a context is being built (cycles given) are not memoized.
        if memo is None or cycles is not None or local_ctx is None or not isinstance(active_ctx, frozendict):
            return self._process_context_fixed(
                active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
            )
        pins: list[Any] = [active_ctx]
        key = (
            id(active_ctx),
            _local_context_key(local_ctx, pins),
            options.get("base"),
            override_protected,
            propagate,
            validate_scoped,
        )
        result = memo.get(key)
        if result is None:
            result = self._process_context_fixed(
                active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
            )
            if isinstance(result, frozendict):
                memo.put(key, pins, result)
        return result

    def _process_context_fixed(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool,
        propagate: bool,
        validate_scoped: bool,
        cycles: Any,
    ) -> Any:
        """PyLD's Context Processing, with ``"@vocab": null`` allowed when no vocabulary mapping is set.

        JSON-LD 1.1 API §4.1.2 step 5.8.2: "If value is null, remove any vocabulary mapping from result",
        a no-op when there is none; PyLD 3.3.0 deletes the entry unconditionally and raises KeyError, so a
        valid context such as ``[credentials/v2, {"@vocab": null}]`` could not be processed at all. On that
        error the items are processed one by one (Context Processing of an array is that, step 5), and
        ``"@vocab": null`` is left out of an item whose incoming context has no vocabulary mapping.
        """
        try:
            return super()._process_context(
                active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
            )
        except KeyError as exc:
            items = local_ctx if isinstance(local_ctx, list) else [local_ctx]
            if exc.args != ("@vocab",) or any(isinstance(i, dict) and "@propagate" in i for i in items[1:]):
                raise
        ctx = active_ctx
        for item in items:
            if isinstance(item, dict) and "@vocab" in item and item["@vocab"] is None and "@vocab" not in ctx:
                item = {k: v for k, v in item.items() if k != "@vocab"}
            ctx = super()._process_context(ctx, [item], options, override_protected, propagate, validate_scoped,
                                           cycles)
        return ctx


# ---------------------------------------------------------------------------------------------------
# Data-loss detection (Data Integrity 1.0 §2.4.3)
# ---------------------------------------------------------------------------------------------------


class _CheckingProcessor(_Processor):
    """Records what expansion drops (with the JSON path) and what RDF conversion would drop.

    Phase 1, during expansion (JSON-LD 1.1 API §5.1.2 Expansion Algorithm): step 13.3 drops a key
    that expands to neither an IRI nor a keyword (PyLD's ``on_property_dropped`` hook fires; the
    node being expanded is on ``_frames``); steps 4.1 and 19 drop free-floating values (``_expand``
    returns None). Phase 2, on the expanded output (§8.1 Deserialize JSON-LD to RDF, step 1.3, and
    §8.2 Object to RDF): subjects, properties, objects and types that are not well-formed IRIs (with
    base None, every relative IRI) and blank-node properties produce no triple, nor do literals with
    an ill-formed language tag; without ``rdfDirection`` a base direction is not represented. These
    are the cases jsonld.js's "safe mode" refuses too.
    """

    def __init__(self, memo: _ContextMemo | None, max_work: int | None = None) -> None:
        super().__init__(memo, max_work)
        self.on_property_dropped = self._property_dropped
        self._reset()

    def _reset(self) -> None:
        self._root: Any = None
        self._frames: list[tuple[Any, Any]] = []
        self._provenance: dict[int, tuple[Any, Any, Any]] = {}
        self._reported: set[tuple[int, str]] = set()
        self._problems: list[tuple[str, str]] = []
        self._paths: dict[int, str] | None = None
        self._keeps_direction = False

    # -- PyLD entry point ---------------------------------------------------------------------------

    def expand(self, input_: Any, options: Any) -> Any:
        self._reset()
        self._keeps_direction = bool(options.get("rdfDirection")) if options else False
        expanded = super().expand(input_, options)
        for item in expanded:
            if isinstance(item, dict):
                self._check_node(item, ())
        if self._problems:
            path, reason = self._problems[0]
            more = len(self._problems) - 1
            detail = (Message("JSON-LD processing would drop data: {reason} at {path} (and {more} more)",
                              reason=reason, path=path, more=more) if more
                      else Message("JSON-LD processing would drop data: {reason} at {path}", reason=reason, path=path))
            raise DataLossError(
                detail,
                path=path,
                problems=[{"path": p, "reason": r} for p, r in self._problems],
            )
        self._reset()
        return expanded

    # -- phase 1: hooks into PyLD's expansion -------------------------------------------------------

    def _expand(
        self,
        active_ctx: Any,
        active_property: Any,
        element: Any,
        options: Any,
        inside_list: bool = False,
        inside_index: bool = False,
        type_scoped_ctx: Any = None,
    ) -> Any:
        if self._root is None:
            self._root = element  # PyLD's own copy of the document: paths are indexed on it
        result = super()._expand(
            active_ctx,
            active_property,
            element,
            options,
            inside_list=inside_list,
            inside_index=inside_index,
            type_scoped_ctx=type_scoped_ctx,
        )
        if result is None and element is not None:
            self._dropped_value(active_ctx, active_property, element)
        return result

    def _expand_object(
        self,
        active_ctx: Any,
        active_property: Any,
        expanded_active_property: Any,
        element: Any,
        expanded_parent: Any,
        options: Any,
        inside_list: bool = False,
        type_key: Any = None,
        type_scoped_ctx: Any = None,
    ) -> Any:
        self._provenance.setdefault(id(expanded_parent), (expanded_parent, element, active_ctx))
        self._frames.append((element, active_ctx))
        try:
            return super()._expand_object(
                active_ctx,
                active_property,
                expanded_active_property,
                element,
                expanded_parent,
                options,
                inside_list=inside_list,
                type_key=type_key,
                type_scoped_ctx=type_scoped_ctx,
            )
        finally:
            self._frames.pop()

    def _property_dropped(self, expanded_property: Any) -> None:
        if not self._frames:
            self._problem("$", Message("a property no context defines"))
            return
        element, active_ctx = self._frames[-1]
        for key in sorted(element):
            if key == "@context" or (id(element), key) in self._reported:
                continue
            if self._expand_iri(active_ctx, key, vocab=True) == expanded_property:
                self._reported.add((id(element), key))
                self._problem(self._path_of(element) + _step(key),
                              Message("property {key} is not defined by any context", key=repr(key)))
                return
        self._problem(self._path_of(element), Message("a property no context defines"))

    def _dropped_value(self, active_ctx: Any, active_property: Any, element: Any) -> None:
        # Expansion returns None for null values, {"@language": ...} alone and node objects with
        # nothing but an @id: none of those carry data. It also drops values that are not inside
        # any node (in @graph or at the top), which do.
        where = self._path_of(self._frames[-1][0]) if self._frames else "$"
        if isinstance(active_property, str):
            where += _step(active_property)
        if not isinstance(element, dict):
            self._problem(where, Message("a value that is not inside any node object is dropped"))
            return
        for key, value in element.items():
            keyword = key if key.startswith("@") else self._expand_iri(active_ctx, key, vocab=True)
            if (keyword == "@value" and value is not None) or (keyword == "@list" and value not in (None, [])):
                self._problem(self._path_of(element), Message("a value that is not inside any node object is dropped"))
                return

    # -- phase 2: what conversion to RDF would drop -------------------------------------------------

    def _check_node(self, node: dict[str, Any], trail: tuple[tuple[dict[str, Any], str], ...]) -> None:
        node_id = node.get("@id")
        if "@id" in node and not _is_rdf_node(node_id):
            reason = (Message("an @id in the reserved '@' form") if node_id is None
                      else Message("relative or invalid IRI {iri} (no base IRI is used)", iri=repr(node_id)))
            self._problem(self._locate(node, "@id", trail), reason)
        types = node.get("@type")
        if isinstance(types, list):
            for type_ in types:
                if not _is_rdf_node(type_):
                    where = self._locate(node, "@type", trail, type_)
                    self._problem(where, Message("type {type} is not an absolute IRI (no context defines it)",
                                                 type=repr(type_)))
        for prop, values in node.items():
            if prop in ("@graph", "@included"):
                for item in values if isinstance(values, list) else [values]:
                    if isinstance(item, dict):
                        self._check_node(item, (*trail, (node, prop)))
            elif prop == "@reverse" and isinstance(values, dict):
                for rprop, items in values.items():
                    self._check_predicate(rprop, node, "@reverse", trail)
                    for item in items if isinstance(items, list) else [items]:
                        if isinstance(item, dict):
                            self._check_node(item, (*trail, (node, "@reverse")))
            elif not prop.startswith("@"):
                self._check_predicate(prop, node, prop, trail)
                for value in values if isinstance(values, list) else [values]:
                    self._check_value(value, node, prop, trail)

    def _check_predicate(
        self, prop: str, node: dict[str, Any], key: str, trail: tuple[tuple[dict[str, Any], str], ...]
    ) -> None:
        if prop.startswith("_:"):
            self._problem(self._locate(node, key, trail), Message("a blank node used as a property"))
        elif not _is_rdf_iri(prop):
            self._problem(self._locate(node, key, trail),
                          Message("property IRI {iri} is not well-formed", iri=repr(prop)))

    def _check_value(
        self, value: Any, node: dict[str, Any], prop: str, trail: tuple[tuple[dict[str, Any], str], ...]
    ) -> None:
        if not isinstance(value, dict):
            return
        if "@value" in value:
            datatype = value.get("@type")
            if isinstance(datatype, str) and datatype != "@json" and not _is_rdf_iri(datatype):
                self._problem(self._locate(node, prop, trail),
                              Message("datatype IRI {iri} is not well-formed", iri=repr(datatype)))
            language = value.get("@language")
            if language is not None and not (isinstance(language, str) and _LANGUAGE_TAG.fullmatch(language)):
                self._problem(self._locate(node, prop, trail),
                              Message("language tag {tag} is not well-formed", tag=repr(language)))
            if "@direction" in value and not self._keeps_direction:
                self._problem(self._locate(node, prop, trail),
                              Message("a base direction (@direction) is not kept in RDF"))
        elif "@list" in value:
            for item in value["@list"]:
                self._check_value(item, node, prop, trail)
        else:
            self._check_node(value, (*trail, (node, prop)))

    # -- paths --------------------------------------------------------------------------------------

    def _problem(self, path: str, reason: str) -> None:
        if len(self._problems) < _MAX_REPORTED_PROBLEMS:
            self._problems.append((path, reason))

    def _path_of(self, element: Any) -> str:
        if self._paths is None:
            self._paths = _index_paths(self._root)
        return self._paths.get(id(element), "$")

    def _locate(
        self,
        node: dict[str, Any],
        iri: str,
        trail: tuple[tuple[dict[str, Any], str], ...],
        value: Any = None,
    ) -> str:
        """The JSON path of the input entry that produced ``node``'s entry ``iri`` (best effort).

        ``value`` is the offending string, used to find its index when the input entry is an array.
        """
        origin = self._provenance.get(id(node))
        if origin is None:
            # A node made from a string (an IRI-typed value): report where that string was.
            if trail:
                parent, prop = trail[-1]
                return self._locate(parent, prop, trail[:-1], node.get("@id"))
            return "$"
        _, element, active_ctx = origin
        key = self._compact_key(element, active_ctx, iri)
        path = self._path_of(element)
        if key is None:
            return path + _step(iri)
        path += _step(key)
        entry = element.get(key)
        if isinstance(value, str) and isinstance(entry, list) and value in entry:
            path += _step(entry.index(value))
        return path

    def _compact_key(self, element: Any, active_ctx: Any, iri: str) -> str | None:
        for key in element:
            if key == iri or (key != "@context" and self._expand_iri(active_ctx, key, vocab=True) == iri):
                return str(key)
        return None


# JSON-LD 1.1 API §8.1 (Deserialize JSON-LD to RDF): IRIs and language tags that are not well-formed
# produce no triple (the toRdf tests li12, wf01-wf07). PyLD's test is only "scheme: and no whitespace",
# so it drops some (those with whitespace) and keeps others; a kept one would break the N-Quads syntax
# (RDF 1.1 N-Quads IRIREF and LANGTAG). Both kinds are reported: what PyLD drops and what a conforming
# processor would drop.
_NOT_IN_IRIREF: Final = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANGUAGE_TAG: Final = re.compile(r"[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")


def _is_rdf_node(value: Any) -> bool:
    """An IRI or blank node identifier that becomes an RDF term (PyLD's test, plus IRIREF's)."""
    if not isinstance(value, str) or not _pyld._is_absolute_iri(value):
        return False
    return value.startswith("_:") or _NOT_IN_IRIREF.search(value) is None


def _is_rdf_iri(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith("_:") and _is_rdf_node(value)


# ---------------------------------------------------------------------------------------------------
# Bounded RDFC-1.0 canonicalization
# ---------------------------------------------------------------------------------------------------

# Quads are handled as text records (omc_vc/_internal/nquads.py): canonical N-Quads terms, blank node
# labels to be replaced, so hashing and output only join strings.
_escape_literal = nquads.escape_literal


def _term(component: Mapping[str, Any]) -> str:
    """One term of a PyLD dataset as canonical N-Quads text (a blank node: its label)."""
    kind = component["type"]
    value: str = component["value"]
    if kind == "IRI":
        return "<" + value + ">"
    if kind == "blank node":
        return value
    return nquads.literal(value, component.get("datatype"), component.get("language"))


def _records(dataset: Mapping[str, Any]) -> list[nquads.Record]:
    """The quads of a dataset in PyLD's form (graph name -> triples) as text records."""
    records: list[nquads.Record] = []
    try:
        for graph_name, triples in dataset.items():
            name = None
            if graph_name != "@default":
                name = graph_name if graph_name.startswith("_:") else "<" + graph_name + ">"
            for triple in triples:
                records.append((_term(triple["subject"]), _term(triple["predicate"]), _term(triple["object"]), name))
    except (TypeError, KeyError, AttributeError) as exc:  # e.g. PyLD's None object for a relative IRI in a list
        raise JsonLdError(Message("canonicalization failed: {kind}: {why}", kind=type(exc).__name__,
                                  why=str(exc))) from exc
    return records


#: A quad with at least one blank node: its record's four texts and a bit mask of the positions that
#: are blank node labels (1 subject, 2 object, 4 graph name).
_Prepared = tuple[str, str, str, "str | None", int]


def _line(prepared: _Prepared, blank: Callable[[str], str]) -> str:
    """The quad's canonical N-Quads line (RDFC-1.0 §4.4.3 step 7), ``blank`` naming its blank nodes."""
    subject, predicate, obj, name, mask = prepared
    if mask & 1:
        subject = blank(subject)
    if mask & 2:
        obj = blank(obj)
    if name is None:
        return subject + " " + predicate + " " + obj + " .\n"
    if mask & 4:
        name = blank(name)
    return subject + " " + predicate + " " + obj + " " + name + " .\n"


def _bounded_factorial(n: int, cap: int) -> int:
    """n!, or some value above ``cap`` as soon as the product exceeds it."""
    result = 1
    for factor in range(2, n + 1):
        result *= factor
        if result > cap:
            break
    return result


class _Canonicalizer(_PyldURDNA2015):  # type: ignore[misc]
    """PyLD's URDNA2015 (= RDFC-1.0) with bounded work, RDFC-1.0 literal escaping and set semantics.

    ``main`` follows the RDFC-1.0 Canonicalization Algorithm (§4.4.3) step by step and reuses PyLD's
    Hash Related Blank Node (§4.7) and Hash N-Degree Quads (§4.8) unchanged; only the serialization
    used for hashing and output is ours. Limits (DESIGN decision 5, RDFC-1.0 Security Considerations, "Dataset
    Poisoning"): at most ``max_blank_nodes`` blank nodes, and at most ``max_work`` units of work in
    the N-degree step (see :data:`DEFAULT_MAX_WORK`), charged before the work is done.
    """

    def __init__(self, *, max_blank_nodes: int, max_work: int, hash_algorithm: str = "sha256") -> None:
        super().__init__()
        self._max_blank_nodes = max_blank_nodes
        self._max_work = max_work
        self._hash_algorithm = hash_algorithm
        self._work = 0
        self._ceiling = _CEILING.get()
        self._records: list[_Prepared] = []

    # RDFC-1.0's hash algorithm is SHA-256 unless another is agreed (the suite's test075c uses SHA-384).
    def create_hash(self) -> Any:
        return hashlib.new(self._hash_algorithm)

    def main(self, dataset: Mapping[str, Any], options: Mapping[str, Any]) -> str:
        if options.get("format") != "application/n-quads":
            raise JsonLdError(Message("unsupported canonical output format {format}",
                                      format=repr(options.get("format"))))
        return self.canonicalize(_records(dataset))

    def canonicalize(self, records: Iterable[nquads.Record]) -> str:
        """RDFC-1.0 canonical N-Quads of the quads ``records`` (a set: repeated quads count once)."""
        # Step 1: the canonicalization state is self.blank_node_info (blank node to quads map, plus
        # cached first-degree hashes) and self.canonical_issuer (prefix "_:c14n").
        # Step 2: for every quad, reference it from each blank node it contains. The input is a set:
        # a repeated quad counts once, and a quad counts once per blank node.
        seen: set[nquads.Record] = set()
        lines: list[str] = []  # output lines of the quads without blank nodes: final already
        with_blanks = self._records  # the others, each with a bit mask of its blank node positions
        info_of = self.blank_node_info
        for record in records:
            if record in seen:
                continue
            seen.add(record)
            subject, predicate, obj, name = record
            mask = (subject[0] == "_") | (obj[0] == "_") << 1 | (name is not None and name[0] == "_") << 2
            if not mask:
                tail = " .\n" if name is None else " " + name + " .\n"
                lines.append(subject + " " + predicate + " " + obj + tail)
                continue
            prepared = (subject, predicate, obj, name, mask)
            with_blanks.append(prepared)
            for bit, label in ((1, subject), (2, obj), (4, name)):
                if not mask & bit:
                    continue
                assert label is not None
                info = info_of.get(label)
                if info is None:
                    if len(info_of) >= self._max_blank_nodes:
                        raise CanonicalizationLimitError(
                            Message("the dataset has more than {limit} blank nodes", limit=self._max_blank_nodes),
                            max_blank_nodes=self._max_blank_nodes,
                        )
                    info = info_of[label] = {"quads": []}
                if not info["quads"] or info["quads"][-1] is not prepared:
                    info["quads"].append(prepared)

        # Step 3: hash every blank node's first-degree quads; group identifiers by hash.
        hash_to_blank_nodes: dict[str, list[str]] = {}
        for identifier in info_of:
            hash_to_blank_nodes.setdefault(self.hash_first_degree_quads(identifier), []).append(identifier)

        # Step 4: in code point order of hash, a hash shared by no other blank node gets the next
        # canonical identifier at once.
        for hash_ in sorted(hash_to_blank_nodes):
            identifiers = hash_to_blank_nodes[hash_]
            if len(identifiers) == 1:
                self.canonical_issuer.get_id(identifiers[0])
                del hash_to_blank_nodes[hash_]

        # Step 5: the remaining groups, in code point order of hash.
        for hash_ in sorted(hash_to_blank_nodes):
            # 5.1-5.2: a Hash N-Degree Quads result for each not yet canonically named blank node,
            # with a temporary issuer ("_:b") that has already issued an identifier for it.
            hash_path_list = []
            for identifier in hash_to_blank_nodes[hash_]:
                if self.canonical_issuer.has_id(identifier):
                    continue
                issuer = _IdentifierIssuer("_:b")
                issuer.get_id(identifier)
                hash_path_list.append(self.hash_n_degree_quads(identifier, issuer))
            # 5.3: in code point order of the result hash, issue canonical identifiers in the order
            # the result's issuer issued temporary ones.
            for result in sorted(hash_path_list, key=lambda r: r["hash"]):
                for existing in result["issuer"].order:
                    self.canonical_issuer.get_id(existing)

        # Steps 6-7: replace every blank node identifier with its issued canonical identifier and
        # return the canonical N-Quads, lines in code point order.
        issued = self.canonical_issuer.existing.__getitem__
        lines.extend([_line(prepared, issued) for prepared in with_blanks])
        lines.sort()
        return "".join(lines)

    def issued_identifiers(self) -> dict[str, str]:
        """The issued identifiers map (RDFC-1.0 §4.4.3 step 6): input -> canonical blank node id."""
        return dict(self.canonical_issuer.existing)

    # §4.6.3 Hash First Degree Quads: serialize each quad of the blank node in canonical N-Quads
    # with the reference blank node as _:a and every other as _:z, sort, hash the concatenation.
    def hash_first_degree_quads(self, id_: str) -> str:
        info = self.blank_node_info[id_]
        cached: str | None = info.get("hash")
        if cached is not None:
            return cached

        def label(value: str) -> str:
            return "_:a" if value == id_ else "_:z"

        md = self.create_hash()
        for line in sorted(_line(record, label) for record in info["quads"]):
            md.update(line.encode("utf-8"))
        digest: str = md.hexdigest()
        info["hash"] = digest
        return digest

    # §4.8 Hash N-Degree Quads, counted ("Dataset Poisoning": bound the recursion a poison graph forces).
    def hash_n_degree_quads(self, id_: str, issuer: Any) -> Any:
        self._charge(1)
        return super().hash_n_degree_quads(id_, issuer)

    # §4.8.3 steps 1-3 build the hash to related blank nodes map (one Hash Related Blank Node per
    # quad); step 5.4 then tries every permutation of each list in it, copying the issuer (5.4.1)
    # and walking the permutation (5.4.4) each time. Charge all of it before any permutation is tried.
    def create_hash_to_related(self, id_: str, issuer: Any) -> Any:
        quads = self.blank_node_info[id_]["quads"]
        related: dict[str, list[str]] = {}
        # §4.8.3 steps 1-3: for each quad of id_, each blank node in subject, object or graph name
        # position other than id_ itself, its Hash Related Blank Node (§4.7) with position s, o or g
        for prepared in quads:
            subject, _, obj, name, mask = prepared
            for bit, position, label in ((1, "s", subject), (2, "o", obj), (4, "g", name)):
                if mask & bit and label != id_:
                    hash_ = self.hash_related_blank_node(label, prepared, issuer, position)
                    related.setdefault(hash_, []).append(str(label))
        self._charge(len(quads))
        copy_cost = len(issuer.order) + 1
        for blank_nodes in related.values():
            permutations = _bounded_factorial(len(blank_nodes), self._max_work)
            self._charge(permutations * (copy_cost + len(blank_nodes)))
        return related

    # §4.7 step 3: "<", the predicate, ">" (the record holds the predicate as that text already)
    def get_related_predicate(self, quad: Any) -> str:
        return str(quad[1])

    def _charge(self, units: int) -> None:
        self._work += units
        if self._ceiling is not None and self._work > self._ceiling[0]:
            raise self._ceiling[1]()
        if self._work > self._max_work:
            raise CanonicalizationLimitError(
                Message("canonicalization needs more than {limit} units of Hash N-Degree Quads work "
                        "(a poison graph?)", limit=self._max_work),
                max_work=self._max_work,
            )


def canonicalize_dataset(
    dataset: Mapping[str, Any],
    *,
    max_blank_nodes: int = DEFAULT_MAX_BLANK_NODES,
    max_work: int = DEFAULT_MAX_WORK,
    hash_algorithm: str = "sha256",
) -> str:
    """RDFC-1.0 canonical N-Quads of an RDF dataset in PyLD's form (graph name -> list of triples).

    The bounded canonicalizer behind :func:`canonicalize`, for datasets that do not come from JSON-LD
    (the rdf-canon suite). ``hash_algorithm`` is ``"sha256"`` (RDFC-1.0's default) or ``"sha384"``.
    The dataset is not modified.
    """
    return _canonicalize_records(_records(dataset), max_blank_nodes=max_blank_nodes, max_work=max_work,
                                 hash_algorithm=hash_algorithm)


def _canonicalize_records(
    records: Iterable[nquads.Record], *, max_blank_nodes: int, max_work: int, hash_algorithm: str
) -> str:
    """RDFC-1.0 canonical N-Quads of quads given as text records (omc_vc/_internal/nquads.py)."""
    if hash_algorithm not in ("sha256", "sha384"):
        raise JsonLdError(Message("unsupported RDFC-1.0 hash algorithm {algorithm}", algorithm=repr(hash_algorithm)))
    canonicalizer = _Canonicalizer(max_blank_nodes=max_blank_nodes, max_work=max_work, hash_algorithm=hash_algorithm)
    try:
        return canonicalizer.canonicalize(records)
    except OmcVcError:
        raise
    except RecursionError as exc:
        raise CanonicalizationLimitError(Message("canonicalization recursed too deeply (a poison graph?)")) from exc
    except Exception as exc:
        raise JsonLdError(Message("canonicalization failed: {kind}: {why}", kind=type(exc).__name__,
                                  why=str(exc))) from exc


# N-Quads input (RDF 1.1 N-Quads §7 grammar: ECHAR and UCHAR escapes). PyLD's parser unescapes only
# \" \t \n \r \\, one replace() after another (so "\\n" comes out as a backslash and a newline), and
# leaves UCHARs in IRIs and literals as they are. Rewrite every ECHAR as the equivalent UCHAR, which
# PyLD leaves alone, before parsing; decode the UCHARs in every IRI, literal and graph name after.
_NQ_ESCAPE: Final = re.compile(r"\\(?:([tbnrf\"'\\])|(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}))")
_NQ_ECHAR: Final[Mapping[str, str]] = {
    "t": "\t",
    "b": "\b",
    "n": "\n",
    "r": "\r",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}
_NQ_UCHAR: Final = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _nq_as_uchar(match: re.Match[str]) -> str:
    if match.group(1):
        return f"\\u{ord(_NQ_ECHAR[match.group(1)]):04X}"
    return match.group(0)


def _nq_decode(text: str) -> str:
    return _NQ_UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def parse_nquads(text: str) -> dict[str, list[dict[str, Any]]]:
    """An RDF dataset in PyLD's form from N-Quads text, escapes decoded (for :func:`canonicalize_dataset`)."""
    try:
        raw = _pyld.JsonLdProcessor.parse_nquads(_NQ_ESCAPE.sub(_nq_as_uchar, text))
        dataset: dict[str, list[dict[str, Any]]] = {}
        for graph_name, triples in raw.items():
            for triple in triples:
                for component in triple.values():
                    component["value"] = _nq_decode(component["value"])
                    if "datatype" in component:
                        component["datatype"] = _nq_decode(component["datatype"])
            # Two spellings of one graph name (escaped and not) are one graph.
            name = graph_name if graph_name == "@default" else _nq_decode(graph_name)
            dataset.setdefault(name, []).extend(triples)
    except (_pyld.JsonLdError, ValueError) as exc:  # PyLD's parse error; chr() of a too-large UCHAR
        message = exc.args[0] if exc.args else exc
        raise InputError(Message("not valid N-Quads: {why}", why=str(message))) from exc
    return dataset


# ---------------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------------


def _setup(
    loader: DocumentLoader, *, check: bool, memoize: bool = True, max_work: int | None = None
) -> tuple[_Processor, dict[str, Any]]:
    """A processor and the options for one call (DESIGN decision 2: base None, this loader).

    ``memoize=False`` leaves out the context memo (PyLD's own context processing, as it ships): only
    the tests and the benchmark ask for that, to compare.
    """
    memo = _memo_for(loader) if memoize else None
    processor = _CheckingProcessor(memo, max_work) if check else _Processor(memo, max_work)
    options: dict[str, Any] = {
        "base": _RDFC_OPTIONS["base"],
        "documentLoader": loader,
        "processingMode": "json-ld-1.1",
        "extractAllScripts": True,
        "rdfDirection": RDF_DIRECTION,
    }
    if memo is not None:
        # Memo misses go through a resolver private to this call. With the memo off, PyLD runs
        # exactly as it does by default (its module-global resolver cache included), which is
        # what the memo is compared against.
        options["contextResolver"] = _ContextResolver({}, loader)
    return processor, options


def context_processor(loader: DocumentLoader) -> tuple[Any, dict[str, Any]]:
    """The PyLD processor (with this loader's context memo) and options that canonicalization uses, for a
    walker in this layer that must make the same context and IRI decisions (omc_vc/jsonld_plain.py)."""
    return _setup(loader, check=False)


def _require_document(doc: Any) -> None:
    if not isinstance(doc, dict):
        raise InputError(Message("a JSON-LD document must be a JSON object, not {kind}", kind=type(doc).__name__))
    _check_json(doc)


def _translate(exc: BaseException) -> OmcVcError:
    """The OmcVcError for an exception from inside PyLD (DESIGN decision 9)."""
    chain = list(_causes(exc))
    for error in chain:
        if isinstance(error, OmcVcError):
            return error  # e.g. ContextNotAllowedError raised by the loader, wrapped by PyLD
    pyld_errors = [error for error in chain if isinstance(error, _pyld.JsonLdError)]
    coded = [error for error in pyld_errors if getattr(error, "code", None)]
    if coded:
        # PyLD wraps errors outward ("could not expand input" <- "invalid scoped context" <- "invalid
        # IRI mapping"): the outermost error with a code is the JSON-LD API error code; the innermost
        # one says what exactly was wrong.
        outer, inner = coded[0], coded[-1]
        code = str(outer.code)
        detail = (Message("JSON-LD processing failed: {why} [{code}]", why=_pyld_message(outer), code=code)
                  if inner is outer else
                  Message("JSON-LD processing failed: {why} ({cause} [{cause_code}]) [{code}]",
                          why=_pyld_message(outer), cause=_pyld_message(inner), cause_code=str(inner.code), code=code))
        # the JSON-LD API error code as ours, upper-cased (e.g. PROTECTED_TERM_REDEFINITION), so a caller
        # can tell an attack on a protected VC term from any other processing error
        ours = "".join(c if c.isalnum() else "_" for c in str(inner.code)).upper().strip("_") or "JSONLD_ERROR"
        return JsonLdError(detail, code=ours, jsonld_code=code)
    if pyld_errors:
        return JsonLdError(Message("JSON-LD processing failed: {why}", why=_pyld_message(pyld_errors[-1])))
    if any(isinstance(error, RecursionError) for error in chain):
        return InputError(Message("the document nests too deeply to process"))
    return JsonLdError(Message("JSON-LD processing failed: {kind}: {why}", kind=type(exc).__name__, why=str(exc)))


def _pyld_message(error: BaseException) -> str:
    """PyLD's message, plus the term it names (its str() would dump whole contexts)."""
    message = str(error.args[0]) if error.args else type(error).__name__
    details = getattr(error, "details", None)
    term = details.get("term") if isinstance(details, dict) else None
    return Message("{message} (term {term})", message=message, term=repr(term)) if isinstance(term, str) else message


def _raise_translated(exc: Exception) -> None:
    translated = _translate(exc)
    if translated is exc:
        raise translated
    if any(translated is error for error in _causes(exc)):
        raise translated from None
    raise translated from exc


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        yield current
        current = current.__cause__ or current.__context__


def _rdf_setup(
    loader: DocumentLoader | None, check: bool, memoize: bool, options: Mapping[str, Any] | None,
    max_work: int,
) -> tuple[_Processor, dict[str, Any]]:
    processor, opts = _setup(default_loader() if loader is None else loader, check=check, memoize=memoize,
                             max_work=max_work)
    opts["produceGeneralizedRdf"] = False
    if options:
        opts.update(options)  # conformance tests only (base, processingMode, ...)
    return processor, opts


def _pyld_to_rdf(processor: _Processor, doc: Any, opts: dict[str, Any]) -> dict[str, Any]:
    try:
        dataset: dict[str, Any] = processor.to_rdf(doc, opts)
    except OmcVcError:
        raise
    except Exception as exc:
        _raise_translated(exc)
        raise  # unreachable: _raise_translated always raises
    return dataset


def _to_rdf(
    doc: Any,
    loader: DocumentLoader | None,
    *,
    check: bool,
    memoize: bool = True,
    options: Mapping[str, Any] | None = None,
    max_work: int = DEFAULT_MAX_WORK,
) -> dict[str, Any]:
    """JSON-LD -> RDF dataset (JSON-LD 1.1 API §8.1) in PyLD's form, by PyLD's pipeline alone."""
    processor, opts = _rdf_setup(loader, check, memoize, options, max_work)
    return _pyld_to_rdf(processor, doc, opts)


def _to_records(
    doc: Any,
    loader: DocumentLoader | None,
    *,
    check: bool,
    memoize: bool = True,
    options: Mapping[str, Any] | None = None,
    max_work: int = DEFAULT_MAX_WORK,
    fast: bool = True,
) -> list[nquads.Record]:
    """JSON-LD -> the quads as text records. ``fast`` tries the direct converter (omc_vc/_fastrdf.py,
    which needs the context memo) first; it leaves everything outside the common subset, every error and
    every data-loss question to PyLD's pipeline. ``fast=False`` is PyLD's pipeline alone (tests, bench)."""
    processor, opts = _rdf_setup(loader, check, memoize, options, max_work)
    if fast and isinstance(doc, dict) and processor._memo is not None:
        try:
            return _fastrdf.to_records(doc, processor, opts, _is_rdf_iri, processor._memo.plans)
        except _fastrdf.Unsupported:
            pass
    return _records(_pyld_to_rdf(processor, doc, opts))


def _canonicalize(
    doc: Any,
    loader: DocumentLoader | None = None,
    *,
    check: bool = True,
    memoize: bool = True,
    fast: bool = True,
    max_blank_nodes: int = DEFAULT_MAX_BLANK_NODES,
    max_work: int = DEFAULT_MAX_WORK,
    hash_algorithm: str = "sha256",
) -> str:
    """:func:`canonicalize` with the two speed paths chosen: ``memoize`` (the context memo) and ``fast``
    (the direct converter, which needs the memo). The public function runs both; the tests and the
    benchmark turn them off to compare with PyLD's own pipeline, in the same process, without a switch."""
    _require_document(doc)
    records = _to_records(doc, loader, check=check, memoize=memoize, max_work=max_work, fast=fast)
    return _canonicalize_records(records, max_blank_nodes=max_blank_nodes, max_work=max_work,
                                 hash_algorithm=hash_algorithm)


def canonicalize(
    doc: dict[str, Any],
    *,
    loader: DocumentLoader | None = None,
    check_data_loss: bool = True,
    max_blank_nodes: int = DEFAULT_MAX_BLANK_NODES,
    max_work: int = DEFAULT_MAX_WORK,
    hash_algorithm: str = "sha256",
) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (one line per quad, each ending in "\\n").

    ``hash_algorithm`` is RDFC-1.0's hash (§4.2): SHA-256 by default, "sha384" for ecdsa-rdfc-2019 with
    P-384 keys (vc-di-ecdsa §3.3.3).

    Runs PyLD's toRdf with base ``None`` and ``loader`` (the bundled contexts by default), then
    URDNA2015 (= RDFC-1.0) with SHA-256 and the limits given (see :data:`DEFAULT_MAX_WORK`).

    Raises :class:`InputError` for a document that is not a plain JSON object,
    :class:`ContextNotAllowedError` for a context that is not bundled, :class:`DataLossError` (unless
    ``check_data_loss`` is false) when anything would be dropped, :class:`CanonicalizationLimitError`
    when a limit is hit and :class:`JsonLdError` for any other JSON-LD error. The document is not
    modified.
    """
    return _canonicalize(
        doc,
        loader,
        check=check_data_loss,
        max_blank_nodes=max_blank_nodes,
        max_work=max_work,
        hash_algorithm=hash_algorithm,
    )


def check_data_loss(doc: dict[str, Any], *, loader: DocumentLoader | None = None) -> None:
    """Raise :class:`DataLossError` if JSON-LD processing would drop anything from ``doc``.

    Data Integrity 1.0 §2.4.3: a property no context defines (also an ``@vocab``-less context's
    undefined type), a relative IRI in ``id``/``@id``, ``type`` or an IRI-typed value, a blank node
    used as a property, a value outside any node, an ill-formed language tag (a base direction is kept,
    see :data:`RDF_DIRECTION`). The error names the JSON path of
    the first problem (``.path``) and lists them all in ``.context["problems"]``.

    >>> check_data_loss({
    ...     "@context": "https://www.w3.org/ns/credentials/v2",
    ...     "type": "VerifiableCredential",
    ...     "credentialSubject": {"id": "learner/42"},
    ... })  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omc_vc.errors.DataLossError: JSON-LD processing would drop data: ...'learner/42'... at $.credentialSubject.id
    """
    _expand_document(doc, loader, check=True)


def expand(
    doc: dict[str, Any],
    loader: DocumentLoader | None = None,
    *,
    check_data_loss: bool = False,
) -> list[dict[str, Any]]:
    """JSON-LD 1.1 expansion of ``doc`` with the bundled loader and base ``None``, errors translated."""
    return _expand_document(doc, loader, check=check_data_loss)


def _expand_document(
    doc: dict[str, Any], loader: DocumentLoader | None, *, check: bool, memoize: bool = True
) -> list[dict[str, Any]]:
    """:func:`expand` (and :func:`check_data_loss`) with the context memo chosen (tests compare both)."""
    _require_document(doc)
    loader = default_loader() if loader is None else loader
    try:
        processor, options = _setup(loader, check=check, memoize=memoize)
        expanded: list[dict[str, Any]] = processor.expand(doc, options)
    except OmcVcError:
        raise
    except Exception as exc:
        _raise_translated(exc)
        raise  # unreachable
    return expanded


# ---------------------------------------------------------------------------------------------------
# Self-test (run after upgrading PyLD)
# ---------------------------------------------------------------------------------------------------

_SELF_TEST_DOCUMENT: Final[Mapping[str, Any]] = frozendict(
    {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:4f6c5b0e-2a9d-4a51-8c1e-7d3b9e0f1a22",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Self-test micro-credential",
        "issuer": {"id": "https://college.example.ca/issuer", "type": ["Profile"], "name": "Example College"},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": "learner@example.ca",
                    "identityType": "emailAddress",
                    "hashed": False,
                }
            ],
            "achievement": {
                "id": "https://college.example.ca/achievements/1",
                "type": ["Achievement"],
                "name": "Self-test\u0007achievement\u007f",
                "criteria": {"narrative": "Pass the final assessment."},
                "alignment": [
                    {"type": ["Alignment"], "targetName": "A", "targetUrl": "https://example.ca/a"},
                    {"type": ["Alignment"], "targetName": "A", "targetUrl": "https://example.ca/a"},
                ],
            },
            "result": [{"type": ["Result"], "value": "A"}],
        },
    }
)


def self_test(loader: DocumentLoader | None = None) -> str:
    """Check the assumptions this module makes about PyLD; run it after upgrading PyLD.

    Canonicalizes a bundled Open Badges 3.0 credential (type-scoped contexts, nested blank nodes, two
    identical blank nodes, control characters) with the context memo on and off, and through the
    direct converter (omc_vc/_fastrdf.py), and requires byte-identical output; checks that the literal
    escaping and the work bound are in effect.
    Returns the canonical N-Quads; raises :class:`JsonLdError` on any failure.

    >>> print(self_test().count("\\n"))
    30
    """
    document = _json_copy(dict(_SELF_TEST_DOCUMENT))
    runs = [
        _canonicalize(document, loader, memoize=memoize, fast=False)
        for memoize in (False, True, True)
    ]
    if len(set(runs)) != 1:
        raise JsonLdError(Message("self-test failed: memoized context processing changed the canonical output"))
    # The direct converter must take this document (it uses PyLD internals that an upgrade may change;
    # it would then fall back to PyLD silently, correct but slow) and give the same quads.
    processor, options = _setup(loader or default_loader(), check=True, memoize=True)
    plans = processor._memo.plans if processor._memo is not None else None
    try:
        records = _fastrdf.to_records(document, processor, options, _is_rdf_iri, plans)
    except _fastrdf.Unsupported as exc:
        raise JsonLdError(Message("self-test failed: the direct JSON-LD-to-RDF converter declined ({why})",
                                  why=str(exc))) from exc
    fast = _canonicalize_records(records, max_blank_nodes=DEFAULT_MAX_BLANK_NODES, max_work=DEFAULT_MAX_WORK,
                                 hash_algorithm="sha256")
    if fast != runs[0]:
        raise JsonLdError(Message("self-test failed: the direct JSON-LD-to-RDF converter changed the canonical output"))
    if '"Self-test\\u0007achievement\\u007F"' not in runs[0]:
        raise JsonLdError(Message("self-test failed: literals are not escaped as RDFC-1.0 requires"))
    ring = {
        "@default": [
            {
                "subject": {"type": "blank node", "value": f"_:n{i}"},
                "predicate": {"type": "IRI", "value": "urn:p"},
                "object": {"type": "blank node", "value": f"_:n{j}"},
            }
            for i in range(6)
            for j in range(6)
            if i != j
        ]
    }
    try:
        canonicalize_dataset(ring, max_work=1_000)
    except CanonicalizationLimitError:
        pass
    else:
        raise JsonLdError(Message("self-test failed: the Hash N-Degree Quads work bound is not enforced"))
    return runs[0]


def _not_bundled(url: str) -> Message:
    """A context omc-vc does not bundle, in the reader's words (the same English as the error's own)."""
    return Message("context {url} is not one of the bundled contexts; omc-vc never fetches contexts", url=repr(url))
