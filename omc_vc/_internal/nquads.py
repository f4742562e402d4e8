"""Canonical N-Quads terms as text (RDFC-1.0 §4.4.3 step 7 and §4.6.3; RDF 1.2 N-Quads, "Canonical N-Quads").

A quad is handled as a *record*: a tuple ``(subject, predicate, object, graph)`` of term texts, the
graph ``None`` for the default graph. An IRI is ``<...>``, a blank node its label (``_:...``), a
literal its quoted, escaped form with ``^^<datatype>`` or ``@language``. The text form of a term is
injective, so records compare and hash as the quads do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

__all__ = ["LANGSTRING", "XSD_STRING", "Record", "escape_literal", "literal"]

XSD_STRING: Final = "http://www.w3.org/2001/XMLSchema#string"
LANGSTRING: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

#: (subject, predicate, object, graph name or None) as canonical N-Quads term texts.
Record = tuple[str, str, str, "str | None"]

# In a literal, `"`, `\`, LF and CR use ECHAR, so do BS, HT and FF (\b \t \f); the other C0 controls
# and DEL use UCHAR with four upper-case hex digits; every other character is written as itself.
# PyLD escapes only \ " HT LF CR and writes the rest of the controls raw, which changes both the
# output and the first-degree hashes computed from it (rdf-canon test060c).
_LITERAL_ESCAPES: Final[Mapping[str, str]] = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_NEEDS_ESCAPE: Final = re.compile(r'["\\\x00-\x1f\x7f]')


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _LITERAL_ESCAPES.get(char) or f"\\u{ord(char):04X}"


def escape_literal(value: str) -> str:
    """The lexical form of a literal as canonical N-Quads writes it between the quotes."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return _NEEDS_ESCAPE.sub(_escape_char, value)


def literal(value: str, datatype: str | None = None, language: str | None = None) -> str:
    """A literal term: xsd:string is implicit, rdf:langString is written as its language tag."""
    text = '"' + escape_literal(value) + '"'
    if datatype == LANGSTRING:
        return text + "@" + language if language else text
    if datatype and datatype != XSD_STRING:
        return text + "^^<" + datatype + ">"
    return text
