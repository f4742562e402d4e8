"""Reading untrusted JSON: a size cap, a nesting cap, no duplicate keys, no NaN/Infinity."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from omc_vc.errors import InputError
from omc_vc.i18n import Message

MAX_DOCUMENT_BYTES = 1_000_000  # 1 MB: an OMC is ~2-10 KB; a registry or status list stays far below
MAX_DEPTH = 64
#: What the errors call a document when the caller does not say (shown in the reader's language).
_DOCUMENT: Final = Message("document")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    # a name repeated: report the first one seen twice
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise InputError(Message("duplicate JSON key {key}", key=repr(key)))
        seen.add(key)
    raise InputError(Message("duplicate JSON key"))  # not reached: fewer names than pairs means one repeats


def _reject_constant(name: str) -> Any:
    raise InputError(Message("JSON value {name} is not allowed", name=name))


def _finite_float(text: str) -> float:
    # 1e309 is valid JSON that no IEEE 754 double holds: Python reads it as inf, which later comparisons
    # and conversions (int(), timedelta) cannot take. I-JSON (RFC 7493 §2.2): not beyond double range.
    value = float(text)
    if math.isinf(value):
        raise InputError(Message("JSON number {text} is out of range", text=text[:40]))
    return value


# json.loads(text, object_pairs_hook=..., parse_constant=...) builds this same decoder on every call; like
# json's own default decoder it keeps no state between calls, so one instance serves every caller
_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_reject_constant,
                            parse_float=_finite_float)
_UTF8_BOM = b"\xef\xbb\xbf"


# a \uXXXX escape of a UTF-16 surrogate: JSON decodes a lone one into a str that has no UTF-8 form
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(value: Any) -> bool:
    """Whether a JSON value holds a string (or a member name) with an unpaired UTF-16 surrogate.

    RFC 8259 §8.2 leaves such strings' behaviour unpredictable and I-JSON (RFC 7493 §2.1) forbids them:
    they cannot be written as UTF-8, so hashing, canonicalizing or printing them would fail later.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _depth(value: Any) -> int:
    # iterative, so hostile nesting cannot exhaust the Python stack
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest > MAX_DEPTH:
                return deepest
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def loads(data: str | bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES, what: str = _DOCUMENT) -> Any:
    """Parse JSON from an untrusted source, raising InputError (PARSING_ERROR) on anything odd."""
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else data
    except UnicodeEncodeError as exc:  # a str holding a lone surrogate has no UTF-8 form
        raise InputError(Message("{what} is not Unicode text (an unpaired surrogate)", what=what)) from exc
    if len(raw) > max_bytes:
        raise InputError(Message("{what} is {size} bytes, over the {limit}-byte limit", what=what, size=len(raw),
                                 limit=max_bytes), code="SIZE_LIMIT_EXCEEDED")
    try:
        # what the utf-8-sig codec does (one leading byte order mark dropped), without its Python-level wrapper
        text = (raw[3:] if raw.startswith(_UTF8_BOM) else raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(Message("{what} is not UTF-8 text", what=what)) from exc
    # The limit counts levels the way _depth does: a container is one level and a value inside it one more,
    # so a parsed value is at most (containers nested in the text) + 1 levels deep. The number of opening
    # brackets bounds the nesting from above, and the string-aware scan measures it exactly for valid JSON;
    # the walk on the parsed value is needed only when the nesting is exactly MAX_DEPTH containers.
    needs_walk = False
    if text.count("[") + text.count("{") >= MAX_DEPTH:
        containers = _max_bracket_depth(text)
        # cheap pre-check so a deeply nested document never reaches the recursive parser
        if containers > MAX_DEPTH:
            raise InputError(Message("{what} is nested more than {limit} levels deep", what=what,
                                     limit=MAX_DEPTH), code="DEPTH_LIMIT_EXCEEDED")
        needs_walk = containers == MAX_DEPTH
    try:
        if text.startswith("\ufeff"):  # what json.loads says before decoding
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = _DECODER.decode(text)
    except InputError:
        raise
    except (ValueError, RecursionError) as exc:
        raise InputError(Message("{what} is not valid JSON: {why}", what=what, why=str(exc))) from exc
    if needs_walk and _depth(value) > MAX_DEPTH:
        raise InputError(Message("{what} is nested more than {limit} levels deep", what=what,
                                 limit=MAX_DEPTH), code="DEPTH_LIMIT_EXCEEDED")
    # I-JSON (RFC 7493 §2.1): no unpaired surrogates; only an escape can make one (UTF-8 text cannot)
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and has_lone_surrogate(value):
        raise InputError(Message("{what} holds a string with an unpaired UTF-16 surrogate (RFC 7493 §2.1)", what=what))
    return value


def loads_object(data: str | bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES, what: str = _DOCUMENT) -> dict[str, Any]:
    value = loads(data, max_bytes=max_bytes, what=what)
    if not isinstance(value, dict):
        raise InputError(Message("{what} must be a JSON object, not {kind}", what=what, kind=type(value).__name__))
    return value


def _max_bracket_depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def dumps_canonical_json(value: Any) -> str:
    """Stable compact JSON (sorted keys) for hashing our own records; not JCS."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars), cheaper than copy.deepcopy (no memo, no dispatch)."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value
