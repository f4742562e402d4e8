"""Strings from documents made inert before a person sees them (DESIGN decision 16).

A credential, an endorsement, a status list or a registry entry is written by someone else. Its names,
descriptions and the reasons built from them reach a terminal, a web page, an HTML or PDF certificate.
:func:`inert` turns such a string into one line of plain text that can neither act on the renderer nor
pass for our own text:

1. ECMA-48 (5th ed.) escape sequences and control strings are replaced *whole* by U+FFFD, so they lose
   their effect and leave a visible mark: CSI ``ESC [`` / U+009B with its parameter, intermediate and
   final bytes (§5.4: colours, cursor moves, clearing the screen); the control strings OSC ``ESC ]`` /
   U+009D, DCS ``ESC P`` / U+0090, SOS ``ESC X`` / U+0098, PM ``ESC ^`` / U+009E and APC ``ESC _`` /
   U+009F up to their terminator ST (``ESC \\`` / U+009C) or BEL (xterm's OSC terminator) (§5.6, §8.3:
   window titles, hyperlinks, clipboard writes); and any other ``ESC`` sequence (intermediate bytes
   0x20-0x2F, then one final byte 0x30-0x7E; §5.3, ECMA-35 §13). A control string without a terminator
   loses only its introducer: the rest is shown, not hidden.
2. Line breaks become one space, so a string cannot start a line of its own (such as a forged verdict):
   LF, VT, FF, CR, NEL U+0085 (ECMA-48 §8.3), the information separators U+001C-U+001E (bidi class B,
   UAX #9 table 4), LINE SEPARATOR U+2028 and PARAGRAPH SEPARATOR U+2029 (Unicode §5.8, general
   categories Zl/Zp). TAB and U+001F (bidi class S) become a space too.
3. Every other control character (general category Cc: C0 U+0000-U+001F, DEL U+007F, C1 U+0080-U+009F)
   becomes U+FFFD.
4. Format characters (general category Cf) are removed. They are invisible and exist to change how text
   is laid out: the bidirectional controls ALM U+061C, LRM U+200E, RLM U+200F, the embeddings and
   overrides U+202A-U+202E and the isolates U+2066-U+2069 (UAX #9 §2, the "Trojan Source" reordering),
   the zero-width space U+200B, WORD JOINER U+2060 and the invisible operators U+2061-U+2064, the byte
   order mark U+FEFF, the soft hyphen U+00AD (visible only at a line break, so it can hide inside a
   word), the interlinear annotation characters U+FFF9-U+FFFB (which mark text as not to be shown), and
   the tag characters U+E0000-U+E007F (invisible copies of ASCII). Kept: ZERO WIDTH NON-JOINER U+200C
   and ZERO WIDTH JOINER U+200D, which Persian, the Indic scripts and emoji sequences need to be spelled
   correctly (Unicode §23.2); they change how neighbouring letters join, and they neither hide nor
   reorder text.
5. Surrogates (Cs), private-use (Co) and unassigned (Cn) code points become U+FFFD: they have no agreed
   glyph (a private-use glyph is whatever the font says), and an unassigned one may be a format
   character in a later Unicode version than this Python's.
6. The text is normalized to NFC (UAX #15), so the same name is the same characters wherever it is shown.
7. A run of more than :data:`MAX_MARKS` nonspacing or enclosing marks (Mn, Me) on one base keeps only the
   first ones: stacked marks ("Zalgo" text) draw over the lines above and below and can cover the
   verdict (compare UAX #15 §13, the Stream-Safe Text Format, which bounds such runs at 30).
8. Leading and trailing white space is stripped, and the result is bounded to ``limit`` characters (an
   ellipsis U+2026 marks a cut), so a long string cannot push our own words off the line or the page.

:func:`inert` is idempotent. Where it is applied (one place per output channel; stored documents, signed
data and ``--json`` values are data and are left as they are, JSON escaping the C0 controls itself):

* the verdict (:func:`omc_vc.verdict.verdict_of`): reason, institution and warnings quote documents and
  the registry; the headline is always one of our own constants;
* the CLI (``cli/_common.py``): every human line that can carry document text is printed through
  ``say()``, and each ``error: CODE: detail`` line through ``fail()``; names in list lines are bounded
  one by one so the verdict on the same line is never cut;
* the web page (``omc_vc/web/summary.py``): every string of the JSON the page renders (facts, verdict,
  check details, warnings); the page's script sets ``textContent``, never ``innerHTML``;
* the wallet's certificates (``omc_vc/wallet.py``): every text of the HTML certificate (then
  ``html.escape``) and of the PDF page. QR images carry no text of a document besides the link itself.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["DEFAULT_LIMIT", "MAX_MARKS", "REPLACEMENT", "inert"]

#: The bound of a one-line display string (a name, a title), in characters.
DEFAULT_LIMIT: Final = 200
#: Nonspacing/enclosing marks kept on one base character (pointed Hebrew with cantillation, Vietnamese
#: and the usual Tibetan and Indic stacks need fewer).
MAX_MARKS: Final = 6
#: What replaces a control character or a whole escape sequence (Unicode §23.8).
REPLACEMENT: Final = "\ufffd"
ELLIPSIS: Final = "\u2026"

_ESC = "\x1b"
# ECMA-48 §5.6 control strings: OSC, DCS, SOS, PM, APC (7-bit ESC form and 8-bit C1 form) through ST or BEL.
# The body excludes ESC, BEL and every C1 control, so each scan stops at the next introducer (linear time).
_CONTROL_STRING = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x80-\x9f]*(?:\x07|\x1b\\|\x9c)"
# ECMA-48 §5.4 control sequences: CSI, parameter bytes 0x30-0x3F, intermediate bytes 0x20-0x2F, a final byte
# 0x40-0x7E (missing at the end of a cut string: the sequence is replaced as far as it goes).
_CSI = r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
# ECMA-48 §5.3 / ECMA-35 §13: ESC, intermediate bytes, one final byte (Fe, Fp, Fs and nF sequences).
_ESC_SEQUENCE = r"\x1b[\x20-\x2f]*[\x30-\x7e]?"
_ESCAPES: Final = re.compile(f"{_CONTROL_STRING}|{_CSI}|{_ESC_SEQUENCE}")

_SPACES: Final = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_JOINERS: Final = frozenset("\u200c\u200d")
_MARKS: Final = frozenset({"Mn", "Me"})


def _char(ch: str) -> str:
    """Rules 2-5 for one character: itself, a space, U+FFFD, or nothing."""
    if ch in _SPACES:
        return " "
    category = unicodedata.category(ch)
    if category[0] != "C":
        return ch
    if category == "Cf":
        return ch if ch in _JOINERS else ""
    return REPLACEMENT  # Cc, Cs, Co, Cn


def _bound_marks(text: str) -> str:
    """Rule 7: at most MAX_MARKS nonspacing/enclosing marks in a row."""
    out: list[str] = []
    run = 0
    for ch in text:
        if unicodedata.category(ch) in _MARKS:
            run += 1
            if run > MAX_MARKS:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


def inert(text: object, *, limit: int | None = DEFAULT_LIMIT) -> str:
    """``text`` as one inert line for a person (the rules in this module's docstring); None gives "".

    ``limit`` bounds the result in characters (None: no bound). Idempotent: ``inert(inert(s)) == inert(s)``.

    >>> inert("Seneca\\x1b[2J\\x1b[32m College")
    'Seneca\\ufffd\\ufffd College'
    >>> inert("Data Analytics\\nVerdict: VALID OMC")
    'Data Analytics Verdict: VALID OMC'
    >>> inert("abc\\u202edcba")
    'abcdcba'
    >>> inert("x" * 10, limit=5)
    'xxxx\\u2026'
    """
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if limit is not None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        # Work on a bounded prefix: at most `limit` characters are shown, and every rule maps one character to
        # at most one (NFC can grow a few, rule 8 cuts again), so the slack only lets removed characters through.
        value = value[: limit * 8 + 64]
    if not (value.isascii() and value.isprintable()):
        value = _ESCAPES.sub(REPLACEMENT, value)
        value = "".join(_char(ch) for ch in value)
        value = unicodedata.normalize("NFC", value)
        value = _bound_marks(value)
    value = value.strip()
    if limit is not None and len(value) > limit:
        value = value[: limit - 1].rstrip() + ELLIPSIS
    return value
