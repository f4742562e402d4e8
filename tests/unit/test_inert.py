"""``omc_vc._internal.inert``: each class of character a document could use against a display, one row each."""

from __future__ import annotations

import unicodedata

import pytest

from omc_vc._internal.inert import DEFAULT_LIMIT, MAX_MARKS, REPLACEMENT, inert

R = REPLACEMENT


@pytest.mark.parametrize("text, shown", [
    # ECMA-48 §5.4 control sequences (CSI), 7-bit and 8-bit: replaced whole, one mark each
    ("Seneca\x1b[2J\x1b[1;32m College\x1b[0m", f"Seneca{R}{R} College{R}"),
    ("a\x9b31mb", f"a{R}b"),
    ("a\x1b[?1049h", f"a{R}"),                             # private parameter bytes, alternate screen
    ("a\x1b[", f"a{R}"),                                   # cut before its final byte
    # ECMA-48 §5.6 control strings through ST or BEL: OSC 8 hyperlink, OSC 52 clipboard, window title, DCS, APC
    ("\x1b]8;;https://evil.example\x07Seneca\x1b]8;;\x07", f"{R}Seneca{R}"),
    ("x\x1b]52;c;ZXZpbA==\x1b\\y", f"x{R}y"),
    ("x\x1b]0;VALID OMC\x9cy", f"x{R}y"),
    ("x\x1bPq#0;2;0;0;0\x1b\\y", f"x{R}y"),
    ("x\x9f payload \x9cy", f"x{R}y"),
    ("x\x1b]0;no terminator", f"x{R}0;no terminator"),      # only the introducer: the rest is shown, not hidden
    # ECMA-35 / ECMA-48 §5.3 other escape sequences
    ("a\x1b(Bb", f"a{R}b"),
    ("a\x1bcb", f"a{R}b"),                                 # RIS: reset the terminal
    ("a\x1b", f"a{R}"),
    # line breaks and tabs become a space: no second line
    ("Data Analytics\nVerdict: VALID OMC", "Data Analytics Verdict: VALID OMC"),
    ("a\r\nb", "a  b"),
    ("a\rb\vc\fd", "a b c d"),
    ("a\x85b\u2028c\u2029d", "a b c d"),                   # NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR
    ("a\x1cb\x1dc\x1ed\x1fe", "a b c d e"),                # information separators (bidi B and S)
    ("a\tb", "a b"),
    # other C0, DEL and C1 controls: a visible mark
    ("a\x00b\x07c\x08d", f"a{R}b{R}c{R}d"),
    ("a\x7fb", f"a{R}b"),
    ("a\x80b\x9cc", f"a{R}b{R}c"),
    # bidirectional controls (UAX #9 §2): removed
    ("abc\u202edcba\u202c", "abcdcba"),                    # RLO ... PDF
    ("\u202a\u202b\u202c\u202d\u202ex", "x"),
    ("\u2066\u2067\u2068x\u2069", "x"),                    # isolates
    ("a\u200eb\u200fc\u061cd", "abcd"),                    # LRM, RLM, ALM
    # other invisible format characters: removed
    ("Sen\u200beca", "Seneca"),
    ("Sen\u2060eca\ufeff", "Seneca"),
    ("Sen\u00adeca", "Seneca"),                            # soft hyphen
    ("a\u2061\u2062\u2063\u2064b", "ab"),
    ("a\ufff9hidden\ufffbb", "ahiddenb"),                  # annotation marks go, the text they hid stays
    ("a\U000e0001\U000e0056\U000e0041b", "ab"),            # tag characters (invisible ASCII)
    # kept: joiners that scripts and emoji need
    ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
    ("\U0001f469\u200d\U0001f4bb", "\U0001f469\u200d\U0001f4bb"),
    # surrogates, private use, unassigned, noncharacters: a visible mark
    ("a\ud800b", f"a{R}b"),
    ("a\ue000b", f"a{R}b"),
    ("a\u0378b", f"a{R}b"),
    ("a\uffffb", f"a{R}b"),
    # NFC (UAX #15)
    ("Montre\u0301al", "Montr\u00e9al"),
    ("e\u200b\u0301", "\u00e9"),                           # composed once the invisible character is gone
    # white space at the ends
    ("  \n Seneca College \t", "Seneca College"),
    # ordinary text is left alone
    ("Coll\u00e8ge Bor\u00e9al \u2014 \u05de\u05db\u05dc\u05dc\u05d4 \u4e2d\u6587 \u00a0x",
     "Coll\u00e8ge Bor\u00e9al \u2014 \u05de\u05db\u05dc\u05dc\u05d4 \u4e2d\u6587 \u00a0x"),
    (None, ""),
    (42, "42"),
])
def test_each_character_class_is_made_inert(text: object, shown: str) -> None:
    assert inert(text) == shown


def test_stacked_marks_are_bounded() -> None:
    zalgo = "Z" + "\u0336\u0337\u0338\u0334" * 10 + "algo"
    shown = inert(zalgo)
    assert shown == "Z" + ("\u0336\u0337\u0338\u0334" * 2)[:MAX_MARKS] + "algo"
    pointed = "\u05e9\u05c1\u05b8\u0591"  # shin, shin dot, qamats, a cantillation mark: kept
    assert inert(pointed) == unicodedata.normalize("NFC", pointed)


def test_length_is_bounded_with_an_ellipsis() -> None:
    assert inert("x" * 1000) == "x" * (DEFAULT_LIMIT - 1) + "\u2026"
    assert inert("x" * 1000, limit=10) == "x" * 9 + "\u2026"
    assert inert("x" * 1000, limit=None) == "x" * 1000
    assert inert("abc", limit=3) == "abc"
    assert inert("hello world", limit=7) == "hello\u2026"     # no space before the ellipsis
    with pytest.raises(ValueError):
        inert("abc", limit=0)


def test_a_long_run_of_invisible_characters_costs_a_bounded_prefix() -> None:
    # the work is bounded by the limit, not by the input: a megabyte of format characters is cut first
    assert inert("\u200b" * 1_000_000 + "shown") == ""
    assert inert("\u200b" * 10 + "shown") == "shown"


@pytest.mark.parametrize("text", [
    "Seneca\x1b[2J College\n\u202eAMO dilav", "x" * 500, "  a\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308 ",
    "\x1b]0;t\x07" * 3, "e\u200b\u0301" + "y" * 300, "\u0958" * 250,
])
def test_inert_is_idempotent(text: str) -> None:
    once = inert(text)
    assert inert(once) == once
    assert len(once) <= DEFAULT_LIMIT


def test_nothing_that_acts_on_a_display_survives_any_code_point() -> None:
    # every code point of the BMP and the tag block, alone and between letters
    for code in [*range(0x10000), *range(0xE0000, 0xE0080)]:
        shown = inert(f"a{chr(code)}b")
        for ch in shown:
            category = unicodedata.category(ch)
            assert category[0] != "C" or ch in "\u200c\u200d", (hex(code), shown)
            assert category not in ("Zl", "Zp"), hex(code)
