"""Reading untrusted JSON: a size cap, a nesting cap, no duplicate keys, no NaN/Infinity."""

from __future__ import annotations

import json
from typing import Any

from omc_vc.errors import InputError

MAX_DOCUMENT_BYTES = 1_000_000  # 1 MB: an OMC is ~2-10 KB; a registry or status list stays far below
MAX_DEPTH = 64


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InputError(f"duplicate JSON key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise InputError(f"JSON value {name} is not allowed")


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


def loads(data: str | bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES, what: str = "document") -> Any:
    """Parse JSON from an untrusted source, raising InputError (PARSING_ERROR) on anything odd."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise InputError(f"{what} is {len(raw)} bytes, over the {max_bytes}-byte limit", code="SIZE_LIMIT_EXCEEDED")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not UTF-8 text") from exc
    # cheap pre-check so a deeply nested document never reaches the recursive parser
    if text.count("[") + text.count("{") > MAX_DEPTH and _max_bracket_depth(text) > MAX_DEPTH:
        raise InputError(f"{what} is nested more than {MAX_DEPTH} levels deep", code="DEPTH_LIMIT_EXCEEDED")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except InputError:
        raise
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{what} is not valid JSON: {exc}") from exc
    if _depth(value) > MAX_DEPTH:
        raise InputError(f"{what} is nested more than {MAX_DEPTH} levels deep", code="DEPTH_LIMIT_EXCEEDED")
    return value


def loads_object(data: str | bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES, what: str = "document") -> dict[str, Any]:
    value = loads(data, max_bytes=max_bytes, what=what)
    if not isinstance(value, dict):
        raise InputError(f"{what} must be a JSON object, not {type(value).__name__}")
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
