"""JSON Canonicalization Scheme (RFC 8785), for eddsa-jcs-2022.

Written here because no maintained, typed Python package covers RFC 8785 number serialization
(ECMAScript Number::toString) exactly; the function is short and tested against the W3C jcs vector.
"""

from __future__ import annotations

import math
from typing import Any

from omc_vc.errors import MalformedValueError
from omc_vc.i18n import Message


def _number(value: float | int) -> str:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise MalformedValueError(Message("JCS: integer outside the IEEE-754 double-exact range"))
        return str(value)
    if not math.isfinite(value):
        raise MalformedValueError(Message("JCS: NaN and Infinity are not allowed"))
    if value == 0:
        return "0"
    # RFC 8785 §3.2.2.3 = ECMAScript Number::toString: shortest round-trip digits, then layout.
    sign = "-" if value < 0 else ""
    rep = repr(abs(value))
    mantissa, _, exponent = rep.partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    frac_part = frac_part.rstrip("0")
    all_digits = (int_part + frac_part).lstrip("0")
    point = len(int_part.lstrip("0")) if int_part.strip("0") else -(len(frac_part) - len(frac_part.lstrip("0")))
    n = point + (int(exponent) if exponent else 0)
    k = len(all_digits.rstrip("0")) or 1
    s = all_digits.rstrip("0") or "0"
    if k <= n <= 21:
        return sign + s + "0" * (n - k)
    if 0 < n <= 21:
        return sign + s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + s
    e = n - 1
    exp_str = ("+" if e >= 0 else "-") + str(abs(e))
    return sign + (s[0] + ("." + s[1:] if k > 1 else "")) + "e" + exp_str


def _string(value: str) -> str:
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canonicalize(value: Any) -> str:
    """RFC 8785 canonical JSON text (members sorted by UTF-16 code units)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonicalize(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(_string(k) + ":" + canonicalize(value[k]) for k in keys) + "}"
    raise MalformedValueError(Message("JCS: unsupported value type {kind}", kind=type(value).__name__))
