"""What is written onto a code right after it: modifiers, a unit count, a range's other end.

Forms read here: ``99214-25`` (any dash), ``27447-RT-GA``, ``63057 59``, ``20610 RT``,
``63057 x2``, ``x 2``, ``×2``, ``(x2)``, ``96366 3 units``, ``96372 times two``, a table
cell ``63047 | 1``, and ranges ``99202-99205`` / ``99202 through 99205`` / ``99202-05``. A
dash followed by a modifier is a modifier (``99214-25``); followed by a code of the
same kind it is a range (``99202-99205``). Unit counts written before the code
(``2 units of 96372``, ``x2 96372``, ``two units 97110``) are read by :func:`units_before`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from consultant.extraction.shapes import (
    CANDIDATE,
    DASH_CLASS,
    DASHES,
    SPACED_WORDLIKE_MODIFIERS,
    WORDLIKE_MODIFIERS,
    code_system,
    is_modifier,
)

_DASH_MODIFIER = re.compile(r"[ \t]*" + DASH_CLASS + r"[ \t]*([A-Za-z0-9]{2})(?![A-Za-z0-9])")
_SLASH_MODIFIER = re.compile(r"/([A-Z0-9]{2})(?![A-Za-z0-9])")
_SPACE_MODIFIER = re.compile(r"[ \t]+([A-Z0-9]{2})(?![A-Za-z0-9])")
_TABLE_MODIFIER = re.compile(r"[ \t]*\|[ \t]*([A-Z0-9]{2})[ \t]*(?=\||$|\n)")
# A number in a table cell is a modifier only when a units cell follows: "| 64483 | 50 | 1 |".
_UNITS_CELL_NEXT = re.compile(r"[ \t]*\|[ \t]*\d{1,3}[ \t]*(?:\||$|\n)")
_UNITS = re.compile(
    r"[ \t]*(?:[xX×*][ \t]*(\d{1,3})|\([ \t]*[xX×][ \t]*(\d{1,3})[ \t]*\))(?![\d.,]?\d)"
    r"(?:[ \t]*(?:units?|levels?|times|sessions?)\b)?"
)
# Possessive blanks: "[ \t]*[(,:=]?[ \t]*" could split one run of blanks a quadratic
# number of ways before failing on what follows ("99213", a million spaces, "x").
_UNITS_WORD = re.compile(r"[ \t]*+[(,:=]?+[ \t]*+(\d{1,3}+)[ \t]*+units?\b\)?", re.IGNORECASE)
#: Counts people spell out: "96372 times two", "two units of 96372".
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "once": 1, "twice": 2,
}  # fmt: skip
_COUNT_WORD = r"(one|two|three|four|five|six|seven|eight|nine|ten)"
# "96372 times two", "96372 x two", "96372 times 2", "96372 twice".
_UNITS_SPELLED = re.compile(
    r"[ \t]*+(?:(?:[xX×]|times)[ \t]*+" + _COUNT_WORD + r"|times[ \t]++(\d{1,3}+)(?![\d.,]?\d)"
    r"|(twice))\b",
    re.IGNORECASE,
)
# Before the code, up to the code: "2 units of 96372", "two units 97110", "x2 96372", "2x 96372".
# Searched only in the few characters before a code (``_BEFORE``), ending where it starts.
_UNITS_BEFORE = re.compile(
    r"(?:(?<![\w.,])(?:(\d{1,3})|" + _COUNT_WORD + r")[ \t]+units?(?:[ \t]+of)?"
    r"|(?<![\w.,])[xX×][ \t]?(\d{1,3})|(?<![\w.,])(\d{1,3})[xX×])"
    r"[ \t]+(?:(?:CPT|HCPCS|code)[ \t]+)?\Z",
    re.IGNORECASE,
)
_BEFORE = 32
#: How the words before a code end when a count stands there: "of", "unit(s)", "x2", "2x",
#: "CPT", "HCPCS", "code" (any case).
_COUNT_ENDINGS = tuple(
    {ending for word in ("of", "unit", "units", "x", "×", "cpt", "hcpcs", "code")
     for ending in (word, word.upper(), word.capitalize())}
)  # fmt: skip
#: What ends the text before the blank that precedes the code, when a count may stand there:
#: a digit ("2x"), an "x" ("x2" ends in a digit), a blank (more blanks), or the last two
#: letters of one of the words above.
COUNT_LAST_CHARACTERS = frozenset(" \t0123456789xX×")
COUNT_LAST_PAIRS = frozenset(end[-2:] for end in _COUNT_ENDINGS if len(end) > 1)
# A units cell, maybe after an empty modifier cell: "| 22612 | | 1 |".
_TABLE_UNITS = re.compile(r"[ \t]*\|(?:[ \t]*\|)?[ \t]*(\d{1,3})[ \t]*(?=\||$|\n)")
# After a numeric modifier: a word that makes the number a quantity ("99213 25 minutes").
_QUANTITY_AFTER = re.compile(
    r"[ \t]*(?:" + DASH_CLASS + r"[ \t]*\d|\.\d|%|(?:min|minutes?|mins|hours?|hrs?|mg|mcg|ml|"
    r"units?|sq|cm|mm|years?|yrs?|days?|weeks?|months?|patients?|times|visits?|claims?|"
    r"percent|y/?o|kg|lbs?|seconds?)\b)",
    re.IGNORECASE,
)
# The first characters any modifier or unit form can start with, after optional blanks. A
# capital other than X starts only a two-character modifier ("RT"), never a word ("Street").
_MAY_ATTACH = re.compile(
    r"[ \t]*(?:[0-9|(xX×*/]|[A-Z][A-Z0-9](?![A-Za-z0-9])|" + DASH_CLASS + "|times\\b|twice\\b)",
    re.ASCII,
)
_CAPITAL_WORD = re.compile(r"[ \t]+[A-Z]{2,}\b")
_RANGE_CONNECTOR = re.compile(r"[ \t]*(?:" + DASH_CLASS + r"|through|thru|to)[ \t]*", re.IGNORECASE)
#: What stands between the ends of a range, blanks aside (the words of _RANGE_CONNECTOR).
RANGE_CONNECTORS = frozenset(DASHES) | frozenset(("through", "thru", "to"))
_FROM_BEFORE = re.compile(r"\bfrom[ \t]+$", re.IGNORECASE)
# "99202-05": a range written with only the last two digits of its end.
_SHORT_RANGE_END = re.compile(r"[ \t]*" + DASH_CLASS + r"[ \t]*(\d{2})(?![\w.,:/]?\d)(?!\w)")


@dataclass(slots=True)
class Attachments:
    """Modifiers and units written onto one code mention, and where they end."""

    end: int
    modifiers: list[str] = field(default_factory=list)
    units: int | None = None


def _numeric_is_quantity(text: str, end: int) -> bool:
    return _QUANTITY_AFTER.match(text, end) is not None


def _next_modifier(text: str, pos: int, chained: bool) -> tuple[str, int] | None:
    """The modifier written at ``pos`` and where it ends, or ``None``."""
    match = _DASH_MODIFIER.match(text, pos)
    if match is not None:
        token = match.group(1).upper()
        written = match.group(1)
        # Lower-case letters only after a dash, and never an ordinary word ("99213-to").
        lowered_word = written != token and token in WORDLIKE_MODIFIERS
        quantity = token.isdigit() and _numeric_is_quantity(text, match.end())
        if is_modifier(token) and not lowered_word and not quantity:
            return token, match.end()
        return None
    if chained:
        match = _SLASH_MODIFIER.match(text, pos)
        if match is not None and is_modifier(match.group(1)):
            return match.group(1), match.end()
    match = _TABLE_MODIFIER.match(text, pos)
    if match is not None and is_modifier(match.group(1)):
        numeric = match.group(1).isdigit()
        if not numeric or _UNITS_CELL_NEXT.match(text, match.end()):
            return match.group(1), match.end()
    match = _SPACE_MODIFIER.match(text, pos)
    if match is not None:
        token = match.group(1)
        # "22845 X4" is four units, though X4 is also a modifier.
        if not is_modifier(token) or (token[0] == "X" and token[1].isdigit()):
            return None
        if token in WORDLIKE_MODIFIERS and not chained:
            shouting = _CAPITAL_WORD.match(text, match.end()) is not None
            if token not in SPACED_WORDLIKE_MODIFIERS or shouting:
                return None
        if token.isdigit() and _numeric_is_quantity(text, match.end()):
            return None
        return token, match.end()
    return None


def _count(written: str) -> int:
    return int(written) if written.isdigit() else NUMBER_WORDS[written.lower()]


def units_before(text: str, start: int, not_before: int = 0) -> int | None:
    """The unit count written just before a code at ``start`` ("2 units of 96372"), or None.

    ``not_before`` is where the previous code's own attachments end: in "97110 2 units
    97140" the count belongs to 97110.
    """
    written_before = text[max(not_before, start - 8) : start].rstrip(" \t")
    if not written_before.endswith(_COUNT_ENDINGS) and not written_before[-1:].isdigit():
        return None
    window_start = max(not_before, start - _BEFORE)
    match = _UNITS_BEFORE.search(text, window_start, start)
    if match is None:
        return None
    return _count(next(group for group in match.groups() if group is not None))


def _next_units(text: str, pos: int) -> tuple[int, int] | None:
    spelled = _UNITS_SPELLED.match(text, pos)
    if spelled is not None:
        written = next(group for group in spelled.groups() if group is not None)
        return _count(written), spelled.end()
    for pattern in (_UNITS, _UNITS_WORD, _TABLE_UNITS):
        match = pattern.match(text, pos)
        if match is not None:
            digits = next(group for group in match.groups() if group is not None)
            if pattern is _TABLE_UNITS and is_modifier(digits):
                continue
            return int(digits), match.end()
    return None


def read_attachments(text: str, end: int) -> Attachments:
    """Modifiers and units written right after a code that ends at ``end``."""
    found = Attachments(end)
    # Most codes are followed by a plain word or punctuation: look before trying the patterns.
    if not _MAY_ATTACH.match(text, end):
        return found
    pos = end
    while True:
        modifier = _next_modifier(text, pos, chained=bool(found.modifiers))
        if modifier is not None:
            if modifier[0] not in found.modifiers:
                found.modifiers.append(modifier[0])
            pos = modifier[1]
            continue
        if found.units is None:
            units = _next_units(text, pos)
            if units is not None:
                found.units, pos = units
                continue
        break
    found.end = pos
    return found


def short_range_end(text: str, end: int, code: str) -> tuple[str, int, int] | None:
    """The end of a range written short after a five-digit code (``99202-05`` is 99202 to 99205).

    Returns ``(end_code, digits_start, digits_end)``, or ``None`` when the two
    digits are a modifier (``99213-25``), a quantity (``99213-15 minutes``) or
    do not rise above the code's own last two digits.
    """
    if len(code) != 5 or not code.isdigit():
        return None
    match = _SHORT_RANGE_END.match(text, end)
    if match is None:
        return None
    digits = match.group(1)
    if is_modifier(digits) or digits <= code[3:] or _numeric_is_quantity(text, match.end()):
        return None
    return code[:3] + digits, match.start(1), match.end(1)


def range_end_after(text: str, start: int, end: int, code: str) -> tuple[str, int, int] | None:
    """The other end of a range written from the code at ``text[start:end]``.

    Returns ``(end_code, end_start, end_end)`` when a dash, "through" or "thru"
    (or "from ... to") joins the code to a later code of the same kind and shape;
    ``None`` otherwise. A pair written with a dash but in falling order
    ("29881-29880") is two codes, not a range.
    """
    connector = _RANGE_CONNECTOR.match(text, end)
    if connector is None:
        return None
    word = connector.group(0).strip().lower()
    if word == "to" and not _FROM_BEFORE.search(text, max(0, start - 12), start):
        return None
    other = CANDIDATE.match(text, connector.end())
    if other is None:
        return None
    other_code = other.group(0).upper()
    system = code_system(code)
    if system is None or code_system(other_code) != system:
        return None
    if code[0] != other_code[0] and code[0].isalpha():
        return None
    if other_code <= code:
        return None
    return other_code, other.start(), other.end()
