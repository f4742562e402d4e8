"""A direct JSON-LD -> RDF converter for the common subset, byte-identical to PyLD's (private to jsonld).

PyLD turns a document into RDF in three passes (JSON-LD 1.1 API §5.1.2 Expansion, §7.2 Node Map
Generation, §8.1 Deserialize JSON-LD to RDF), each building Python structures the next walks again;
for a credential that is most of the cost of a signature (docs/performance.md). :func:`to_records` does the
same work in one walk over the compacted document and emits the quads at once, as canonical N-Quads
text records (omc_vc/_internal/nquads.py), for the subset of JSON-LD that credentials use:

* node objects whose keys expand to ``@context``, ``@id``, ``@type`` or an absolute IRI;
* values that are strings, numbers, booleans, ``null``, arrays and node objects; terms with no
  container, ``@set`` or ``@graph`` containers; type coercion to ``@id``, ``@vocab``, ``@json``, a
  datatype IRI or ``@none``;
* embedded, property-scoped and type-scoped contexts, with PyLD's own (memoized) Context Processing
  and IRI Expansion: only the walk is ours, every context and IRI decision is PyLD's.

Anything else (value objects, ``@list``, ``@reverse``, ``@nest``, ``@included``, language maps,
index maps, a default language or direction, ``@graph`` at node level), and anything that would be
dropped or is in error (an undefined term, a relative IRI, a non-string ``@id``, two ``@id`` entries,
a context PyLD refuses) raises :class:`Unsupported`, and the caller runs PyLD's full pipeline instead,
which gives the exact result or the exact error with its JSON path. So the converter never decides an
error or a data-loss question itself: it only succeeds where PyLD succeeds without dropping anything.

Blank node labels differ from PyLD's (``_:f0``, ``_:f1``, ... in walk order) and triples are not in
PyLD's order; RDFC-1.0's output depends on neither (RDFC-1.0 §4.4: the canonical form of isomorphic
datasets is identical), and the canonicalizer takes its input as a set. Property values are not
de-duplicated here (Node Map Generation does it in PyLD); the canonicalizer removes duplicate quads.
What the contexts make of a node object depends only on the active context, the active property, its
keys, its embedded context (a URL or URLs) and its types: that is computed once per such shape and kept
(a :class:`PlanCache` per loader, bounded), so a known shape costs dictionary lookups.

tests/unit/test_fastrdf.py compares the canonical output of both paths on every JSON-LD toRdf test,
the W3C vectors, every JSON-LD document in the tests, omc-vc's own documents and random edits of them.

Each step below names the PyLD step it mirrors (``pyld.jsonld.JsonLdProcessor`` 3.3.0, pinned).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from omc_vc._internal import nquads
from omc_vc._internal.nquads import Record

__all__ = ["MAX_PLANS", "PlanCache", "Unsupported", "to_records"]

RDF_TYPE: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_DOUBLE: Final = "http://www.w3.org/2001/XMLSchema#double"
XSD_BOOLEAN: Final = "http://www.w3.org/2001/XMLSchema#boolean"
XSD_INTEGER: Final = "http://www.w3.org/2001/XMLSchema#integer"
#: PyLD writes integers from 1e21 on as xsd:double (JSON-LD 1.1 API §8.6 step 10)
_DOUBLE_FROM: Final = 10**21
_KEYWORD_TYPE: Final = "@type"
_KEYWORD_ID: Final = "@id"

#: More values than this for one property of one node go to PyLD, whose node map generation carries
#: the work bound for many values (jsonld.DEFAULT_MAX_WORK); credentials have a handful.
MAX_VALUES_PER_PROPERTY: Final = 64

#: Node plans kept per loader (see :class:`_Plan`), all shapes and type combinations together; a full
#: cache is emptied and refilled. Documents choose their shapes, so this bounds what they can make a
#: long-running verifier keep (a credential has about a dozen node shapes).
MAX_PLANS: Final = 8192

#: Distinct active contexts whose term table is kept (each table holds its context alive), and the
#: entries one table's caches keep: documents choose their keys and type names, so every cache is
#: bounded (a full cache is emptied and refilled).
_MAX_TABLES: Final = 256
_MAX_ENTRIES: Final = 1024


class PlanCache:
    """The node plans of one loader's contexts (lives in jsonld's context memo), bounded by ``limit``."""

    __slots__ = ("count", "first", "limit")

    def __init__(self, limit: int = MAX_PLANS) -> None:
        self.first: dict[Any, _FirstStage] = {}
        self.count = 0
        self.limit = limit

    def clear(self) -> None:
        self.first = {}
        self.count = 0


class Unsupported(Exception):
    """The document uses something this converter leaves to PyLD; run PyLD's pipeline instead."""


class _Term:
    """What one key means in one active context (PyLD: _expand_iri + get_context_value lookups)."""

    __slots__ = ("coerce", "container_graph", "iri", "predicate", "scoped")

    def __init__(self, iri: str, scoped: Any, coerce: Any, container_graph: bool) -> None:
        self.iri = iri
        self.predicate = "<" + iri + ">"
        self.scoped = scoped
        self.coerce = coerce
        self.container_graph = container_graph


_TYPE_TERM: Final = _Term(RDF_TYPE, None, None, False)
_ABSENT: Final = object()  # no embedded @context
_UNCACHEABLE: Final = object()  # an embedded @context with an object in it


def _context_key(value: Any) -> Any:
    """An embedded @context as a plan-cache key (absent, null, a URL, a list of URLs), or _UNCACHEABLE
    when the context holds an object (such a node is planned afresh every time)."""
    if value is _ABSENT or value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return _UNCACHEABLE


class _FirstStage:
    """A node object's context before its types are looked at (PyLD _expand, up to type scoping)."""

    __slots__ = ("ctx", "given", "plans", "type_keys")

    def __init__(self, given: Any, ctx: Any, type_keys: tuple[str, ...]) -> None:
        self.given = given  # the active context it was computed from (kept alive: its id() is in the key)
        self.ctx = ctx
        self.type_keys = type_keys
        self.plans: dict[tuple[tuple[str, tuple[str, ...]], ...], _Plan] = {}


class _Plan:
    """What the contexts make of a node object with given keys and types: the final active context,
    the key holding @id, the type IRIs (as text) and, per property, its term, key, term-scoped context
    and the term its values are expanded with. Values are not part of a plan."""

    __slots__ = ("ctx", "id_key", "properties", "types")

    def __init__(self, ctx: Any, id_key: str | None, types: list[str],
                 properties: list[tuple[_Term, str, Any, _Term | None]]) -> None:
        self.ctx = ctx
        self.id_key = id_key
        self.types = types
        self.properties = properties


class _Table:
    """Per-active-context caches: key -> _Term or keyword, type name -> type IRI / scoped context."""

    __slots__ = ("ctx", "keys", "raw", "refs", "type_contexts", "types")

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx  # keeps the context alive while its id() keys the table
        self.keys: dict[str, Any] = {}
        self.raw: dict[str, Any] = {}
        self.refs: dict[tuple[str, bool], str] = {}
        self.types: dict[str, str] = {}
        self.type_contexts: dict[str, Any] = {}


_tables: dict[int, _Table] = {}


def _table(ctx: Any) -> _Table:
    table = _tables.get(id(ctx))
    if table is None or table.ctx is not ctx:
        if len(_tables) >= _MAX_TABLES:
            _tables.clear()
        table = _tables[id(ctx)] = _Table(ctx)
    return table


class _Walk:
    """One conversion: the processor, its options, the dataset being built, blank node labels."""

    def __init__(self, processor: Any, options: Mapping[str, Any], is_rdf_iri: Callable[[Any], bool],
                 plans: PlanCache | None) -> None:
        self.p = processor
        self.options = options
        self.base = options.get("base", "")
        # plans hold IRIs expanded against the base: kept only for the base omc-vc uses (None)
        self.plans = plans if self.base is None else None
        self.is_rdf_iri = is_rdf_iri
        self.records: list[Record] = []
        self.labels: dict[str, str] = {}
        self.counter = 0
        self.counts: dict[tuple[str | None, str, str], int] = {}

    # -- terms ----------------------------------------------------------------------------------

    def term(self, ctx: Any, key: str) -> Any:
        """_expand_iri(ctx, key, vocab=True) and the key's term definition, checked once per context."""
        table = _table(ctx)
        found = table.keys.get(key)
        if found is not None:
            return found
        if len(table.keys) >= _MAX_ENTRIES:
            table.keys.clear()
        expanded = self.expanded_key(ctx, key)
        if expanded in ("@id", "@type", "@context"):
            found = expanded
        elif not isinstance(expanded, str) or expanded.startswith("@"):
            raise Unsupported(f"key {key!r}")  # another keyword, or dropped (data loss): PyLD decides
        elif not self.is_rdf_iri(expanded):
            raise Unsupported(f"key {key!r} -> {expanded!r}")  # relative, blank or ill-formed predicate
        else:
            mapping = ctx["mappings"].get(key)
            scoped = coerce = None
            container: list[Any] = []
            if mapping is not None:
                if mapping.get("reverse"):
                    raise Unsupported("reverse property")
                scoped = mapping.get("@context")
                coerce = mapping.get("@type")
                raw = mapping.get("@container")
                container = raw if isinstance(raw, list) else ([] if raw is None else [raw])
                if "@language" in mapping or "@direction" in mapping or "@index" in mapping:
                    raise Unsupported("language, direction or index term")
            if not set(container) <= {"@set", "@graph"}:
                raise Unsupported(f"container {container!r}")
            if "@language" in ctx or "@direction" in ctx:
                raise Unsupported("default language or direction")
            if coerce is not None and coerce not in ("@id", "@vocab", "@json", "@none"):
                if not self.is_rdf_iri(coerce):
                    raise Unsupported(f"datatype {coerce!r}")
            found = _Term(expanded, scoped, coerce, "@graph" in container)
        table.keys[key] = found
        return found

    def expanded_key(self, ctx: Any, key: str) -> Any:
        """_expand_iri(ctx, key, vocab=True) as is (None, relative, keyword or IRI), cached."""
        raw = _table(ctx).raw
        try:
            return raw[key]
        except KeyError:
            if len(raw) >= _MAX_ENTRIES:
                raw.clear()
            found = raw[key] = self.p._expand_iri(ctx, key, vocab=True)
            return found

    def type_iri(self, ctx: Any, name: str) -> str:
        """An @type value: _expand_iri(ctx, name, vocab=True, base) as an IRI term (PyLD _expand_object)."""
        # a relative type name resolves against the base when there is no @vocab: cache only for the
        # base omc-vc always uses (None); the conformance tests use others
        table = _table(ctx)
        found = table.types.get(name) if self.base is None else None
        if found is None:
            iri = self.p._expand_iri(ctx, name, vocab=True, base=self.base)
            if not self.is_rdf_iri(iri):
                raise Unsupported(f"type {name!r}")  # blank, relative or ill-formed: PyLD decides
            found = "<" + str(iri) + ">"
            if self.base is None:
                if len(table.types) >= _MAX_ENTRIES:
                    table.types.clear()
                table.types[name] = found
        return found

    def type_context(self, ctx: Any, name: str) -> Any:
        """get_context_value(ctx, name, '@context') for a type name (type-scoped context, or None)."""
        table = _table(ctx)
        try:
            return table.type_contexts[name]
        except KeyError:
            if len(table.type_contexts) >= _MAX_ENTRIES:
                table.type_contexts.clear()
            mapping = ctx["mappings"].get(name)
            found = mapping.get("@context") if mapping else None
            table.type_contexts[name] = found
            return found

    def reference(self, ctx: Any, value: str, vocab: bool) -> str:
        """A string as a node reference (PyLD _expand_value for @id / @vocab coercion, or an @id)."""
        refs = _table(ctx).refs if self.base is None else None
        if refs is not None:
            found = refs.get((value, vocab))
            if found is not None:
                return found if found[0] == "<" else self.blank(found)
        iri = self.p._expand_iri(ctx, value, vocab=vocab, base=self.base)
        if isinstance(iri, str) and iri.startswith("_:"):
            text = iri  # a document's blank node label: renamed per conversion
        elif not self.is_rdf_iri(iri):
            raise Unsupported(f"IRI {value!r}")  # relative (data loss) or ill-formed: PyLD decides
        else:
            text = "<" + str(iri) + ">"
        if refs is not None:
            if len(refs) >= _MAX_ENTRIES:
                refs.clear()
            refs[(value, vocab)] = text
        return text if text[0] == "<" else self.blank(text)

    def blank(self, label: str | None = None) -> str:
        """A new blank node, or the one a document label (``_:x``) stands for in this conversion."""
        if label is not None:
            found = self.labels.get(label)
            if found is None:
                found = self.labels[label] = f"_:f{self.counter}"
                self.counter += 1
            return found
        name = f"_:f{self.counter}"
        self.counter += 1
        return name

    # -- the walk -------------------------------------------------------------------------------

    def node(self, ctx: Any, active_property: str | None, element: dict[str, Any], graph: str | None) -> str:
        """Expand a node object and emit its triples into ``graph``; return its subject term."""
        plan = self.plan(ctx, active_property, element)
        # _expand_object: @id against the final context (a non-string @id is PyLD's error)
        fresh = plan.id_key is None
        if plan.id_key is None:
            subject = f"_:f{self.counter}"
            self.counter += 1
        else:
            value = element[plan.id_key]
            if not isinstance(value, str):
                raise Unsupported("@id")
            subject = self.reference(plan.ctx, value, vocab=False)
        if plan.types:
            self.emit(graph, subject, fresh, _TYPE_TERM, plan.types)
        for term, key, term_ctx, value_term in plan.properties:
            value = element[key]
            if value_term is not None:
                # the common case: PyLD _expand(term_ctx, key, value), scalars expanded with the key's
                # definition in the term-scoped context
                if value is None:
                    continue
                objects: list[str] = []
                if isinstance(value, list):
                    for entry in value:
                        if entry is not None:
                            self.values(term_ctx, key, value_term, entry, graph, objects)
                else:
                    self.values(term_ctx, key, value_term, value, graph, objects)
            elif term.coerce == "@json":  # PyLD: {'@type': '@json', '@value': value}, null included
                objects = [self.literal({"@type": "@json", "@value": value})]
            elif term.container_graph:
                objects = []
                self.graphs(term_ctx, key, value, objects)
            elif value is None:
                continue
            else:
                raise Unsupported("term redefined by its own scoped context")
            if objects:
                self.emit(graph, subject, fresh, term, objects)
        return subject

    def plan(self, ctx: Any, active_property: str | None, element: dict[str, Any]) -> _Plan:
        """What the contexts make of a node object of this shape (cached; see :class:`_Plan`)."""
        keys = tuple(sorted(element))
        embedded = _context_key(element.get("@context", _ABSENT))
        plans = self.plans
        cacheable = plans is not None and embedded is not _UNCACHEABLE
        if plans is None or not cacheable:
            first = self.first_stage(ctx, active_property, element, keys)
        else:
            first_key = (id(ctx), active_property, keys, embedded)
            cached = plans.first.get(first_key)
            if cached is None or cached.given is not ctx:
                cached = self.first_stage(ctx, active_property, element, keys)
                if plans.count >= plans.limit:
                    plans.clear()
                plans.first[first_key] = cached
                plans.count += 1
            first = cached
        signature: list[tuple[str, tuple[str, ...]]] = []
        for key in first.type_keys:
            value = element[key]
            names = tuple(value) if isinstance(value, list) else (value,)
            if not all(isinstance(name, str) for name in names):
                raise Unsupported("non-string @type")  # PyLD: invalid type value
            signature.append((key, names))
        type_signature = tuple(signature)
        plan = first.plans.get(type_signature) if cacheable else None
        if plan is None:
            plan = self.second_stage(first, keys, type_signature)
            if plans is not None and cacheable:
                if plans.count >= plans.limit:
                    plans.clear()  # the first stage stays usable; it is simply no longer cached
                first.plans[type_signature] = plan
                plans.count += 1
        return plan

    def first_stage(self, ctx: Any, active_property: str | None, element: dict[str, Any],
                    keys: tuple[str, ...]) -> _FirstStage:
        """PyLD _expand up to the type-scoped contexts: revert, property-scoped and embedded contexts."""
        given = ctx
        p = self.p
        options = self.options
        # PyLD _expand: the property-scoped context of the active property, looked up before reverting
        scoped = None
        if active_property is not None:
            mapping = ctx["mappings"].get(active_property)
            if mapping is not None:
                scoped = mapping.get("@context")
        # _expand: revert a non-propagated (type-scoped) context, unless the element is a subject
        # reference (a single key expanding to @id); a value object (@value) is left to PyLD
        previous = ctx.get("previousContext")
        if previous is not None:
            must_revert = True
            if len(keys) <= 2 and "@context" not in keys:
                for key in keys:
                    expanded = self.expanded_key(ctx, key)
                    if expanded == "@value":
                        raise Unsupported("value object")
                    if expanded == "@id" and len(keys) == 1:
                        must_revert = False
                        break
            if must_revert:
                ctx = previous
        if scoped is not None:
            ctx = p._process_context(ctx, scoped, options, override_protected=True)
        # _prepare_nested_context: the embedded context first
        if "@context" in element:
            local = element["@context"]
            if isinstance(local, dict) and len(local) == 1 and "@context" in local:
                raise Unsupported("keyword redefinition")
            ctx = p._process_context(ctx, local, options)
        type_keys = tuple(k for k in keys if k != "@context" and self.expanded_key(ctx, k) == _KEYWORD_TYPE)
        return _FirstStage(given, ctx, type_keys)

    def second_stage(self, first: _FirstStage, keys: tuple[str, ...],
                     type_signature: tuple[tuple[str, tuple[str, ...]], ...]) -> _Plan:
        """The rest of _prepare_nested_context and _expand_object's key decisions, for these types."""
        p = self.p
        options = self.options
        type_ctx = ctx = first.ctx
        # for each key expanding to @type (in code point order, against the context as it is then),
        # the type-scoped contexts of its values in code point order, looked up in the context before
        # any of them, applied without propagation
        seen_type_keys: list[str] = []
        names_of = dict(type_signature)
        for key in keys:
            if key == "@context" or self.expanded_key(ctx, key) != _KEYWORD_TYPE:
                continue
            seen_type_keys.append(key)
            if key not in names_of:
                raise Unsupported("a type-scoped context made another key expand to @type")
            for name in sorted(names_of[key]):
                scoped_type = self.type_context(type_ctx, name)
                if scoped_type is not None and scoped_type is not False:
                    ctx = p._process_context(ctx, scoped_type, options, propagate=False)
        if tuple(seen_type_keys) != first.type_keys:
            raise Unsupported("a type-scoped context changed what expands to @type")
        # _expand_object: every key, in code point order, against the context now active; @type values
        # expand against the context before type scoping
        id_key: str | None = None
        properties: list[tuple[_Term, str, Any, _Term | None]] = []
        final_type_keys: list[str] = []
        for key in keys:
            if key == "@context":
                continue
            kind = self.term(ctx, key)
            if kind == _KEYWORD_ID:
                if id_key is not None:
                    raise Unsupported("colliding @id keys")  # PyLD: colliding keywords
                id_key = key
            elif kind == _KEYWORD_TYPE:
                final_type_keys.append(key)
            else:
                if kind.coerce == "@json":
                    if kind.container_graph:
                        raise Unsupported("@json in a @graph container")
                    properties.append((kind, key, ctx, None))
                    continue
                term_ctx = ctx
                if kind.scoped is not None:
                    term_ctx = p._process_context(ctx, kind.scoped, options, propagate=True, override_protected=True)
                # PyLD _expand(term_ctx, key, value): scalars are expanded with the key's definition
                # in the term-scoped context (checked when a value needs it)
                value_term: _Term | None = None
                if not kind.container_graph:
                    try:
                        found = self.term(term_ctx, key)
                    except Unsupported:
                        found = None
                    value_term = found if isinstance(found, _Term) else None
                properties.append((kind, key, term_ctx, value_term))
        if tuple(final_type_keys) != first.type_keys:
            raise Unsupported("a type-scoped context changed what expands to @type")
        types = [self.type_iri(type_ctx, name) for _, names in type_signature for name in names]
        return _Plan(ctx, id_key, types, properties)

    def emit(self, graph: str | None, subject: str, fresh: bool, term: _Term, objects: list[str]) -> None:
        # PyLD's node map generation merges the values of one property of one subject, comparing each
        # with all before it, under the work bound: many values (even across occurrences of the
        # subject) go to PyLD so the bound applies exactly as it does there. A new blank node is the
        # subject of one node object only, so its values need no running count.
        if fresh:
            if len(objects) > MAX_VALUES_PER_PROPERTY:
                raise Unsupported("many values")
        else:
            count_key = (graph, subject, term.iri)
            count = self.counts.get(count_key, 0) + len(objects)
            if count > MAX_VALUES_PER_PROPERTY:
                raise Unsupported("many values")
            self.counts[count_key] = count
        predicate = term.predicate
        self.records.extend([(subject, predicate, obj, graph) for obj in objects])

    def graphs(self, ctx: Any, key: str, value: Any, out: list[str]) -> None:
        """A @graph container (PyLD wraps each expanded value as {'@graph': [v]}): each node object in
        a named graph of its own, named by a new blank node, which is the property's value."""
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if not isinstance(item, dict):
                raise Unsupported("a value in a @graph container that is not a node object")
            name = self.blank()
            self.node(ctx, key, item, name)
            out.append(name)

    def values(self, ctx: Any, key: str, term: _Term, value: Any, graph: str | None, out: list[str]) -> None:
        """PyLD _expand for one property value (arrays flattened, null dropped) -> RDF objects."""
        coerce = term.coerce
        if isinstance(value, str):
            # _expand_value: coercion from the term definition in this (term-scoped) context
            if coerce is None or coerce == "@none":
                out.append(nquads.literal(value))
            elif coerce == "@id":
                out.append(self.reference(ctx, value, vocab=False))
            elif coerce == "@vocab":
                out.append(self.reference(ctx, value, vocab=True))
            elif coerce == "@json" or coerce == XSD_DOUBLE:
                out.append(self.literal({"@type": coerce, "@value": value}))
            else:
                out.append(nquads.literal(value, coerce))
        elif isinstance(value, dict):
            out.append(self.node(ctx, key, value, graph))
        elif isinstance(value, list):
            for entry in value:
                if entry is not None:
                    self.values(ctx, key, term, entry, graph, out)
        elif isinstance(value, bool):
            # PyLD _object_to_rdf: a boolean keeps a coerced datatype (other than @json)
            if coerce == "@json":
                raise Unsupported("@json")
            datatype = coerce if coerce not in (None, "@id", "@vocab", "@none") else XSD_BOOLEAN
            out.append(nquads.literal("true" if value else "false", datatype))
        elif type(value) is int and -_DOUBLE_FROM < value < _DOUBLE_FROM and coerce not in ("@json", XSD_DOUBLE):
            # PyLD _object_to_rdf: an integer below 1e21 is xsd:integer unless coerced
            datatype = coerce if coerce not in (None, "@id", "@vocab", "@none") else XSD_INTEGER
            out.append(nquads.literal(str(value), datatype))
        elif isinstance(value, (int, float)):
            item: dict[str, Any] = {"@value": value}
            if coerce is not None and coerce not in ("@id", "@vocab", "@none"):
                item["@type"] = coerce
            out.append(self.literal(item))
        else:
            raise Unsupported(f"value of type {type(value).__name__}")

    def literal(self, item: dict[str, Any]) -> str:
        """PyLD's own _object_to_rdf for a value object (numbers, booleans, @json, xsd:double), as text."""
        obj: dict[str, Any] | None = self.p._object_to_rdf(item, None, [], self.options)
        if obj is None or obj.get("type") != "literal":
            raise Unsupported("literal")
        return nquads.literal(obj["value"], obj.get("datatype"), obj.get("language"))


def to_records(document: dict[str, Any], processor: Any, options: Mapping[str, Any],
               is_rdf_iri: Callable[[Any], bool], plans: PlanCache | None = None) -> list[Record]:
    """The quads of ``document`` as text records (omc_vc/_internal/nquads.py), or :class:`Unsupported`.

    ``processor`` is the PyLD processor (with the context memo) that the slow path would use,
    ``options`` its options (base, documentLoader, processingMode, contextResolver), ``is_rdf_iri``
    the test for an IRI that becomes an RDF term unchanged (jsonld._is_rdf_iri) and ``plans`` a cache
    of node plans that lives as long as the processor's context memo (what a context URL means is the
    loader's, so plans must not be shared between loaders).
    """
    if options.get("processingMode", "json-ld-1.1") != "json-ld-1.1":
        raise Unsupported("processing mode")
    # rdfDirection only changes value objects with @direction, which this converter leaves to PyLD
    if options.get("rdfDirection") not in (None, "i18n-datatype") or options.get("produceGeneralizedRdf") \
            or "expandContext" in options:
        raise Unsupported("options")
    walk = _Walk(processor, {**options, "isFrame": False, "keepFreeFloatingNodes": False}, is_rdf_iri, plans)
    try:
        # PyLD expand(): _expand(initial context, None, document); a top-level node with nothing but
        # an @id, or nothing at all, is dropped, and produces no triple here either
        walk.node(processor._get_initial_context(walk.options), None, document, None)
    except Unsupported:
        raise
    except RecursionError as exc:
        raise Unsupported("nesting") from exc
    except Exception as exc:  # any PyLD error (a context refused, an invalid IRI mapping, ...)
        raise Unsupported(type(exc).__name__) from exc
    return walk.records
