"""Plain JSON-LD: refuse every form in which a document's JSON can say something other than its signed graph.

A Data Integrity proof with an RDFC cryptosuite signs the RDF graph of a document, but the verifier's
checks (status, validity period, holder, proof times, the OMC profile, the registry) read JSON fields.
JSON-LD can state the same triple in many JSON shapes (DESIGN decision 11): under ``@nest``, from the
other end with ``@reverse`` (inside ``@included``), under an alias, an absolute or compact IRI, inside
``@set``, as a value object, in a second node object with the same ``@id``. An attacker who rewrites a
signed credential into such a shape keeps the signature valid and hides a field from a check: a revoked
credential whose ``credentialStatus`` sits under ``@nest`` has no status entry for a check that reads
``credentialStatus``.

:func:`require_plain` closes the class by allowing only the *plain* form, in which every triple of a
node is written exactly once, in that node's own JSON object, under the one key a check reads:

1. **Keywords.** A node object may use ``@context``, ``@id`` and ``@type``, each at most once, and
   where the contexts define the aliases ``id`` and ``type`` (every VC context does) only as those. ``@nest``,
   ``@included``, ``@reverse``, ``@graph``, ``@set``, ``@list``, ``@index`` and every other keyword are
   refused as keys, and a value object may hold only ``@value``, ``@type``, ``@language`` and
   ``@direction``, and only where a plain value could not say the same: a language, a direction or a
   datatype the term leaves open (JSON-LD 1.1 §4.5, §4.9, §9.4 say what each keyword does to the graph).
2. **Terms.** A key may not be a reverse property, and a term's container may only be ``@set``,
   ``@list`` or ``@graph`` (no index, language, id or type maps, whose keys vanish from the graph).
3. **One key per property, the standard one.** No two keys of a node expand to the same property. A
   property that a bundled (standard) context names is written with one of the names the bundled contexts
   give it, never with its IRI, a compact IRI or another alias. Type names follow the same rule. (The
   names checks read cannot mean anything else where checks read them: the bundled contexts protect
   them, JSON-LD 1.1 §4.1.11.)
4. **One place per node.** What a check reads of the document's own node (the credential,
   presentation, status list or registry) stands in the document's top-level object: a second object
   with its ``@id`` (the ministry's registry names its subject after itself) may carry none of the
   properties the VC contexts define for credentials and presentations, and the top-level object then
   carries nothing but those. Explicit blank node labels (``_:x``), which would let any two objects be one node, are
   refused, and so are arrays inside arrays.

What remains allowed is everything credentials in the wild use: embedded, property- and type-scoped
contexts, inline context objects that add terms of their own, language-tagged value objects, ``@set``,
``@list`` and ``@graph`` containers, ``@vocab`` terms. A document in the plain form reads the same
through its JSON as through its graph for every field a check reads; :func:`require_plain` runs on every
Data Integrity document before its proof is checked, and on the ministry's registry.

Context and IRI decisions are PyLD's own (the processor of :mod:`omc_vc.jsonld`, with its context memo),
made in the order JSON-LD 1.1 API §5.1.2 (Expansion) makes them; only the walk is ours. What a node's
contexts make of its keys is computed once per shape and kept (bounded), as the direct converter does.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from omc_vc import jsonld
from omc_vc.errors import NonPlainJsonLdError, OmcVcError
from omc_vc.i18n import Message

__all__ = ["NON_PLAIN_CODE", "require_plain"]

NON_PLAIN_CODE: Final = NonPlainJsonLdError.default_code

#: the contexts whose terms name the properties of credentials and presentations themselves
_VC_CONTEXTS: Final = ("https://www.w3.org/ns/credentials/v2", "https://www.w3.org/2018/credentials/v1")
#: keywords a node object may use as keys
_NODE_KEYWORDS: Final = frozenset({"@context", "@id", "@type"})
#: the aliases the VC contexts define for the keywords a node object may use
_ALIASES: Final = {"@id": "id", "@type": "type"}
#: keywords a value object may use as keys (JSON-LD 1.1 §9.5)
_VALUE_KEYWORDS: Final = frozenset({"@value", "@type", "@language", "@direction"})
#: containers whose JSON form is plain arrays of values (no map keys that vanish from the graph)
_PLAIN_CONTAINERS: Final = frozenset({"@set", "@list", "@graph"})
#: how deep the scoped contexts of the bundled contexts are followed to learn the standard names
_MAX_SCOPE_DEPTH: Final = 6
#: node shapes kept per loader (a full cache is emptied and refilled); documents choose their shapes
MAX_SHAPES: Final = 4096
#: nesting beyond this is refused (the JSON parser's own depth cap is lower; this guards direct callers)
_MAX_DEPTH: Final = 200


def _refuse(path: str, reason: str) -> NonPlainJsonLdError:
    return NonPlainJsonLdError(Message("{reason} at {path}: the signature covers the graph, and this JSON form would "
                                       "let what the checks read differ from it", reason=reason, path=path), path=path)


@dataclass
class _Standard:
    """What the bundled contexts call each property and type (IRI -> names)."""

    names: dict[str, frozenset[str]]
    #: the properties the VC contexts define for credentials and presentations themselves
    document_iris: frozenset[str] = frozenset()


@dataclass
class _Key:
    """One key of a node shape: what it expands to and how its values are walked."""

    key: str
    keyword: str | None  # "@id", "@type" or None for a property
    iri: str | None = None  # the property's IRI
    term_ctx: Any = None  # the context its values are expanded in (property-scoped applied)
    json_literal: bool = False  # @type @json: the value is a literal, not walked
    coerced: bool = False  # the term sets the type of its string values (@id, @vocab or a datatype)
    graph: bool = False  # @container @graph: each value is a node object in a graph of its own


@dataclass
class _Shape:
    """What the contexts make of a node object with given keys and types (values are not part of it)."""

    ctx: Any
    keys: list[_Key]
    problem: str | None = None  # why this shape is not plain (None: it is)
    id_key: str | None = None

    #: the keys whose values are walked: properties, except JSON literals
    walked: list[_Key] = field(default_factory=list)


@dataclass
class _First:
    """A node's context before its types are looked at, the keys that stand for @type, and its shapes
    by type values."""

    ctx: Any
    type_keys: tuple[str, ...]
    shapes: dict[Any, _Shape] = field(default_factory=dict)


@dataclass
class _Cache:
    """Per loader: the standard names and the node shapes, both bounded."""

    standard: _Standard | None = None
    shapes: dict[Any, tuple[Any, _First]] = field(default_factory=dict)
    expanded: dict[tuple[int, str], tuple[Any, Any]] = field(default_factory=dict)
    value_aliases: dict[int, tuple[Any, frozenset[str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_caches: weakref.WeakKeyDictionary[Any, _Cache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()
#: the last loader asked for and its cache (nearly every call uses the one default loader)
_last: tuple[Any, _Cache] | None = None


def _cache_for(loader: Any) -> _Cache:
    global _last
    last = _last
    if last is not None and last[0] is loader:
        return last[1]
    with _caches_lock:
        try:
            cache = _caches.get(loader)
            if cache is None:
                cache = _caches[loader] = _Cache()
            _last = (loader, cache)
            return cache
        except TypeError:  # not weak-referenceable: a cache for this call only
            return _Cache()


def _standard(loader: Any, processor: Any, options: dict[str, Any]) -> _Standard:
    """Walk every bundled context and the contexts scoped inside it, collecting each term's IRI."""
    names: dict[str, set[str]] = {}
    seen: set[int] = set()
    pins: list[Any] = []

    def collect(ctx: Any, depth: int) -> None:
        for term, mapping in ctx["mappings"].items():
            if not mapping:
                continue
            iri = mapping.get("@id")
            if isinstance(iri, str) and not iri.startswith("@") and not mapping.get("reverse"):
                names.setdefault(iri, set()).add(term)
            scoped = mapping.get("@context")
            if scoped is None or depth >= _MAX_SCOPE_DEPTH or id(scoped) in seen:
                continue
            seen.add(id(scoped))
            pins.append(scoped)
            # a scope the processor refuses defines no standard name
            inner = _processed(processor, ctx, scoped, options, override_protected=True)
            if inner is not None:
                collect(inner, depth + 1)

    urls: Iterable[str] = getattr(loader, "urls", None) or jsonld.default_loader().urls
    initial = processor._get_initial_context(options)
    for url in sorted(urls):
        ctx = _processed(processor, initial, url, options)
        if ctx is not None:  # None: a document that is not a JSON-LD context
            collect(ctx, 0)
    document: set[str] = set()
    for url in _VC_CONTEXTS:
        ctx = _processed(processor, initial, url, options)
        if ctx is None:  # a loader without the VC contexts: no document-level names
            continue
        scopes = [ctx]
        for kind in ("VerifiableCredential", "VerifiablePresentation"):
            mapping = ctx["mappings"].get(kind)
            if mapping and mapping.get("@context") is not None:
                scopes.append(processor._process_context(ctx, mapping["@context"], options, propagate=False))
        for scope in scopes:
            document.update(m["@id"] for m in scope["mappings"].values()
                            if m and isinstance(m.get("@id"), str) and not m["@id"].startswith("@"))
    return _Standard({k: frozenset(v) for k, v in names.items()}, frozenset(document))


def _processed(processor: Any, ctx: Any, local: Any, options: dict[str, Any], **flags: bool) -> Any:
    """PyLD Context Processing, or None where it refuses the context."""
    try:
        return processor._process_context(ctx, local, options, **flags)
    except Exception:  # any PyLD error: the caller treats the context as defining nothing
        return None


def _context_key(value: Any) -> Any:
    """An embedded @context as part of a shape key, or None when it holds an object (not cached)."""
    if value is _ABSENT or value is None or isinstance(value, str):
        return ("ctx", value if value is not _ABSENT else "-")
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ("ctx", tuple(value))
    return None


_ABSENT: Final = object()


class _Walk:
    """One document's walk: the processor, its options, the standard names and the per-loader cache."""

    def __init__(self, processor: Any, options: dict[str, Any], standard: _Standard, cache: _Cache) -> None:
        self.p = processor
        self.options = options
        self.standard = standard
        self.cache = cache
        self.top_id: str | None = None
        self.top_iris: set[str] = set()
        self.described_again = False

    # -- IRI expansion, cached per active context ---------------------------------------------
    def expand(self, ctx: Any, key: str) -> Any:
        """_expand_iri(ctx, key, vocab=True), cached (the entry keeps its context alive)."""
        cache_key = (id(ctx), key)
        found = self.cache.expanded.get(cache_key)
        if found is not None and found[0] is ctx:
            return found[1]
        value = self.p._expand_iri(ctx, key, vocab=True)
        with self.cache.lock:
            if len(self.cache.expanded) >= MAX_SHAPES * 8:
                self.cache.expanded.clear()
            self.cache.expanded[cache_key] = (ctx, value)
        return value

    # -- shapes ---------------------------------------------------------------------------------
    def shape(self, ctx: Any, active_property: str | None, element: dict[str, Any]) -> _Shape:
        keys = tuple(sorted(element))
        embedded = _context_key(element.get("@context", _ABSENT))
        first_key = None if embedded is None else (id(ctx), active_property, keys, embedded)
        first: _First | None = None
        if first_key is not None:
            found = self.cache.shapes.get(first_key)
            if found is not None and found[0] is ctx:
                first = found[1]
        if first is None:
            first = self._first(ctx, active_property, element, keys)
            if first_key is not None:
                with self.cache.lock:
                    if len(self.cache.shapes) >= MAX_SHAPES:
                        self.cache.shapes.clear()
                    self.cache.shapes[first_key] = (ctx, first)
        signature = tuple((key, tuple(v) if isinstance(v := element[key], list) else v) for key in first.type_keys)
        try:
            shape = first.shapes.get(signature)
        except TypeError:  # a type value that is not hashable (an object): not a type name
            return _Shape(first.ctx, [], "a type value is not a type name")
        if shape is None:
            shape = self._second(first, element, keys)
            if first_key is not None:
                with self.cache.lock:
                    if len(first.shapes) >= 64:
                        first.shapes.clear()
                    first.shapes[signature] = shape
        return shape

    def _first(self, ctx: Any, active_property: str | None, element: dict[str, Any],
               keys: tuple[str, ...]) -> _First:
        """Expansion up to the type-scoped contexts: revert, property-scoped and embedded contexts."""
        p = self.p
        options = self.options
        # JSON-LD 1.1 API §5.1.2 step 3: the active property's scoped context, looked up before reverting
        scoped = None
        if active_property is not None:
            mapping = ctx["mappings"].get(active_property)
            if mapping is not None:
                scoped = mapping.get("@context")
        # step 7: revert a non-propagated (type-scoped) context unless the element is a subject reference
        previous = ctx.get("previousContext")
        if previous is not None:
            reference = len(keys) == 1 and self.expand(ctx, keys[0]) == "@id"
            if not reference:
                ctx = previous
        if scoped is not None:
            ctx = p._process_context(ctx, scoped, options, override_protected=True)
        # step 9: the embedded context
        if "@context" in element:
            ctx = p._process_context(ctx, element["@context"], options)
        type_keys = tuple(k for k in keys if k != "@context" and self.expand(ctx, k) == "@type")
        return _First(ctx, type_keys)

    def _second(self, first: _First, element: dict[str, Any], keys: tuple[str, ...]) -> _Shape:
        """Step 11: the type-scoped contexts of the values of every key expanding to @type, in code point
        order, looked up in the context before any of them, applied without propagation; then the keys."""
        ctx = type_ctx = first.ctx
        for key in first.type_keys:
            value = element[key]
            names = value if isinstance(value, list) else [value]
            if not all(isinstance(name, str) for name in names):
                return _Shape(ctx, [], f"the value of {key!r} is not a type name or a list of type names")
            for name in sorted(names):
                mapping = type_ctx["mappings"].get(name)
                scoped_type = mapping.get("@context") if mapping else None
                if scoped_type is not None:
                    ctx = self.p._process_context(ctx, scoped_type, self.options, propagate=False)
        shape = self._keys(ctx, type_ctx, element, keys, first.type_keys)
        shape.walked = [k for k in shape.keys if k.keyword is None and not k.json_literal]
        return shape

    def _keys(self, ctx: Any, type_ctx: Any, element: dict[str, Any], keys: tuple[str, ...],
              type_keys: tuple[str, ...]) -> _Shape:
        shape = _Shape(ctx, [])
        seen_keywords: dict[str, str] = {}
        seen_iris: dict[str, str] = {}
        for key in keys:
            if key == "@context":
                continue
            expanded = self.expand(ctx, key)
            if isinstance(expanded, str) and expanded.startswith("@"):
                if expanded not in _NODE_KEYWORDS or expanded == "@context":
                    shape.problem = Message("the keyword {keyword} ({key}) is not allowed in a signed document",
                                            keyword=expanded, key=repr(key))
                    return shape
                if expanded in seen_keywords:
                    shape.problem = Message("{first} and {key} both stand for {keyword}",
                                            first=repr(seen_keywords[expanded]), key=repr(key), keyword=expanded)
                    return shape
                # checks read "id" and "type": where the contexts define those aliases, only they are used
                alias = _ALIASES[expanded]
                wanted = alias if self.expand(ctx, alias) == expanded else expanded
                if key != wanted:
                    shape.problem = Message("{key} stands for {keyword}; write it as {wanted}", key=repr(key),
                                            keyword=expanded, wanted=repr(wanted))
                    return shape
                seen_keywords[expanded] = key
                if expanded == "@id":
                    shape.id_key = key
                elif key not in type_keys:
                    shape.problem = Message("a type-scoped context made {key} stand for @type", key=repr(key))
                    return shape
                else:
                    problem = self._types(type_ctx, key, element[key])
                    if problem:
                        shape.problem = problem
                        return shape
                shape.keys.append(_Key(key, expanded))
                continue
            if not isinstance(expanded, str) or ":" not in expanded:
                continue  # dropped by JSON-LD (undefined term, relative IRI): the data-loss check names it
            mapping = ctx["mappings"].get(key)
            if mapping is not None and mapping.get("reverse"):
                shape.problem = Message("{key} is a reverse property", key=repr(key))
                return shape
            container = mapping.get("@container") if mapping is not None else None
            containers = set(container) if isinstance(container, list) else ({container} if container else set())
            if not containers <= _PLAIN_CONTAINERS or ("@graph" in containers and "@list" in containers):
                shape.problem = Message("{key} is a {containers} container", key=repr(key),
                                        containers="/".join(sorted(containers)))
                return shape
            problem = self._name(key, expanded, "property")
            if problem:
                shape.problem = problem
                return shape
            if expanded in seen_iris:
                shape.problem = Message("{first} and {key} both stand for the property <{iri}>",
                                        first=repr(seen_iris[expanded]), key=repr(key), iri=expanded)
                return shape
            seen_iris[expanded] = key
            term_ctx = ctx
            if mapping is not None and mapping.get("@context") is not None:
                term_ctx = self.p._process_context(ctx, mapping["@context"], self.options, propagate=True,
                                                   override_protected=True)
            coerce = mapping.get("@type") if mapping is not None else None
            shape.keys.append(_Key(key, None, expanded, term_ctx, json_literal=coerce == "@json",
                                   coerced=coerce not in (None, "@none"), graph="@graph" in containers))
        return shape

    def _name(self, name: str, iri: str, what: str) -> str | None:
        """Rule 3: a standard property or type is written with a standard name. (A standard name given
        another meaning needs no rule here: where a check reads a name, the bundled contexts protect it,
        and JSON-LD refuses the redefinition; elsewhere, such as a CLR's own ``achievement``, it is legal.)"""
        names = self.standard.names.get(iri)
        if names is not None and name not in names:
            wanted = _alternatives([repr(n) for n in sorted(names)[:3]])
            if what == "type":
                return Message("the type <{iri}> is written as {name}; write it as {wanted}", iri=iri, name=repr(name),
                               wanted=wanted)
            return Message("the property <{iri}> is written as {name}; write it as {wanted}", iri=iri,
                           name=repr(name), wanted=wanted)
        return None

    def _types(self, type_ctx: Any, key: str, value: Any) -> str | None:
        for name in value if isinstance(value, list) else [value]:
            if not isinstance(name, str):
                return Message("the value of {key} is not a type name or a list of type names", key=repr(key))
            iri = self.expand(type_ctx, name)
            if isinstance(iri, str) and ":" in iri:
                problem = self._name(name, iri, "type")
                if problem:
                    return problem
        return None

    # -- the walk -------------------------------------------------------------------------------
    def node(self, ctx: Any, active_property: str | None, element: dict[str, Any], trail: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise _refuse(_render(trail), Message("the document nests too deeply"))
        shape = self.shape(ctx, active_property, element)
        if shape.problem is not None:
            raise _refuse(_render(trail), shape.problem)
        if shape.id_key is not None:
            value = element[shape.id_key]
            if isinstance(value, str) and value.startswith("_:"):
                raise _refuse(_render((trail, shape.id_key)),
                              Message("the blank node label {label} lets two objects be one node", label=repr(value)))
            if depth == 0:
                self.top_id = value if isinstance(value, str) else None
                self.top_iris = {k.iri for k in shape.keys if k.iri is not None}
            elif value == self.top_id and self.top_id is not None:
                self._described_again(shape, _render(trail))
        for entry in shape.walked:
            value = element[entry.key]
            kind = type(value)
            if kind is dict:
                self.child(entry, value, (trail, entry.key), depth)
            elif kind is list:
                for index, item in enumerate(value):
                    kind = type(item)
                    if kind is dict:
                        self.child(entry, item, ((trail, entry.key), index), depth)
                    elif kind is list:
                        raise _refuse(_render(((trail, entry.key), index)), Message("an array inside an array"))

    def _described_again(self, shape: _Shape, path: str) -> None:
        """Rule 4: a second object for the document's own node (a registry's subject is the registry)
        may not carry what checks read at the top, and the top may then carry nothing else."""
        here = {k.iri for k in shape.keys if k.iri is not None}
        if not here:
            return
        document_iris = self.standard.document_iris
        moved = sorted(here & document_iris)
        if moved:
            raise _refuse(path, Message("the document's own node {node} is described a second time here, with <{iri}>",
                                        node=repr(self.top_id), iri=moved[0]))
        kept = sorted(self.top_iris - document_iris)
        if kept:
            raise _refuse(path, Message("the document's own node {node} is described a second time here, and <{iri}> "
                                        "stands at the top", node=repr(self.top_id), iri=kept[0]))

    def child(self, entry: _Key, value: dict[str, Any], trail: Any, depth: int) -> None:
        if not entry.graph:
            aliases = self._value_aliases(entry.term_ctx)
            if "@value" in value or (aliases and not aliases.isdisjoint(value)):
                self._value_object(entry, value, trail)
                return
        self.node(entry.term_ctx, entry.key, value, trail, depth + 1)

    def _value_aliases(self, ctx: Any) -> frozenset[str]:
        """The terms of ``ctx`` that stand for @value (none in any bundled context), cached per context."""
        found = self.cache.value_aliases.get(id(ctx))
        if found is not None and found[0] is ctx:
            return found[1]
        aliases = frozenset(term for term, mapping in ctx["mappings"].items()
                            if mapping and mapping.get("@id") == "@value")
        with self.cache.lock:
            if len(self.cache.value_aliases) >= MAX_SHAPES:
                self.cache.value_aliases.clear()
            self.cache.value_aliases[id(ctx)] = (ctx, aliases)
        return aliases

    def _value_object(self, entry: _Key, value: dict[str, Any], trail: Any) -> None:
        """A value object (a key expanding to @value) may only hold the value keywords, and only where a
        plain string could not say the same: a language or direction, or a datatype the term leaves open.
        A value object that a string would equal (``{"@value": ...}`` alone, or any value object of a term
        that types its values) only hides the value from a check reading a string."""
        for key in value:
            if self.expand(entry.term_ctx, key) not in _VALUE_KEYWORDS:
                raise _refuse(_render((trail, key)), Message("{key} is not allowed in a value object", key=repr(key)))
        if entry.coerced:
            raise _refuse(_render(trail), Message("a value object for {key}, whose values the contexts type already",
                                                  key=repr(entry.key)))
        if len(value) == 1:
            raise _refuse(_render(trail), Message("a value object for {key} that a plain value would equal",
                                                  key=repr(entry.key)))


def _alternatives(names: list[str]) -> str:
    """``'a'``, ``'a' or 'b'``, ``'a' or 'b' or 'c'``: the names a standard property or type is written with."""
    if len(names) < 2:
        return "".join(names)
    if len(names) == 2:
        return Message("{first} or {second}", first=names[0], second=names[1])
    return Message("{first} or {second} or {third}", first=names[0], second=names[1], third=names[2])


def _render(trail: Any) -> str:
    """A JSON path from a trail of (parent, key or index) pairs, built only when an error names it."""
    steps: list[str | int] = []
    while trail is not None:
        trail, step = trail
        steps.append(step)
    path = "$"
    for step in reversed(steps):
        path += f"[{step}]" if isinstance(step, int) else f".{step}"
    return path


def require_plain(document: dict[str, Any], *, loader: Any = None) -> None:
    """Raise :class:`~omc_vc.errors.NonPlainJsonLdError` (code ``NON_PLAIN_JSON_LD``, with the JSON path)
    unless ``document`` is in the plain form described in this module's docstring.

    Errors of JSON-LD processing itself (an unknown context, a protected term redefined) are left to the
    canonicalization, which reports them exactly: this function only judges documents PyLD can process.

    >>> require_plain({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
    ...                "@nest": {"validUntil": "2000-01-01T00:00:00Z"}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omc_vc.errors.NonPlainJsonLdError: the keyword @nest ('@nest') is not allowed in a signed document at $...
    """
    if not isinstance(document, dict):
        return
    loader = jsonld.default_loader() if loader is None else loader
    processor, options = jsonld.context_processor(loader)
    cache = _cache_for(loader)
    if cache.standard is None:
        standard = _standard(loader, processor, options)
        with cache.lock:
            cache.standard = standard
    walk = _Walk(processor, options, cache.standard, cache)
    try:
        walk.node(processor._get_initial_context(options), None, document, None, 0)
    except NonPlainJsonLdError:
        raise
    except RecursionError as exc:
        raise _refuse("$", Message("the document nests too deeply")) from exc
    except Exception as exc:  # judged below: never a pass by accident
        _unjudged(document, loader, exc)


def _unjudged(document: dict[str, Any], loader: Any, exc: Exception) -> None:
    """The walk stopped on an error. A document JSON-LD itself refuses (an unknown context, a protected
    term redefined) cannot verify: its canonicalization reports the exact error, so it is left to it.
    Anything else fails closed here."""
    try:
        jsonld.expand(document, loader)
    except OmcVcError:
        return
    raise NonPlainJsonLdError(Message("the document's JSON-LD form could not be judged ({kind})",
                                      kind=type(exc).__name__),
                              path="$") from exc
