"""What a question says in words rather than codes: both sides, modifiers asked about.

Kept to a few plain patterns, each bounded, read once per question: the
extractor reads codes; these read the two things a reply's findings need
that are not written onto a code.
"""

from __future__ import annotations

import re

# "bilateral", "both knees", "left and right", "RT and LT", "RT/LT", "-RT -LT".
_BOTH_SIDES = re.compile(
    r"\b(?:bilateral(?:ly)?|both\s+(?:sides|knees|shoulders|hips|ears|eyes|hands|feet|"
    r"wrists|ankles|elbows|legs|arms|breasts|lungs|kidneys)|"
    r"(?:left|right)\s+(?:and|&)\s+(?:right|left)|"
    r"(?:RT|LT)\s*(?:and|&|/|,)?\s*-?(?:LT|RT))\b",
    re.IGNORECASE,
)
# "modifier 25", "mod 59", "modifiers 59 and XS", "the 25 modifier", "a -59".
_MODIFIER_WORD = re.compile(
    r"\bmod(?:ifier)?s?\s*[-#:]?\s*(?P<after>[0-9A-Z]{2})\b(?:\s*(?:,|and|or|/|vs\.?|versus)\s*"
    r"(?P<second>[0-9A-Z]{2})\b)?|\b(?P<before>[0-9A-Z]{2})\s+modifiers?\b",
    re.IGNORECASE,
)


def asks_about_both_sides(text: str) -> bool:
    """Whether ``text`` asks about a service on both sides of the body."""
    return _BOTH_SIDES.search(text) is not None


def modifiers_asked_about(text: str) -> set[str]:
    """The modifiers ``text`` names in words ("modifier 25", "the XS modifier")."""
    found = set()
    for match in _MODIFIER_WORD.finditer(text):
        for name in ("after", "second", "before"):
            value = match.group(name)
            # A word such as "is" after "mod" is no modifier: a written one has a digit
            # or is in capitals (25, 59, XS).
            if value and (not value.isalpha() or value.isupper()):
                found.add(value.upper())
    return found
