"""Numbers that only look like codes: zip codes, street and suite numbers, phone extensions,
claim and account numbers, money, measurements and counts.

Each rule reads a short window around a code-shaped token and returns why the
token is not a code. A *strong* reason sets the token aside whatever else is
written around it; a *weak* one ("the number is followed by 'claims'") yields
to evidence that it is a code after all (a modifier written onto it, a code
label, a known code, a list of codes it belongs to).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from consultant.extraction.addresses import LINE_END, STREET_AFTER, StreetLines
from consultant.extraction.preceding import Preceding
from consultant.extraction.shapes import CANDIDATE, DASH_CLASS, DASHES

_AFTER = 48
LABELLED = "identifier after a label"


class LookAlike(NamedTuple):
    """Why a token is not a code, and whether other evidence may overrule that."""

    reason: str
    strong: bool


_GLUE = frozenset(DASHES + "/")
_CODE_PREFIXES = frozenset(("cpt", "hcpcs", "hcpc", "code", "em", "pla"))
_CHAINED_NUMBER_AFTER = re.compile(r"(?:" + DASH_CLASS + r"|/)([A-Za-z0-9]+)", re.ASCII)
_CHAINED_NUMBER_BEFORE = re.compile(r"([A-Za-z0-9]+)(?:" + DASH_CLASS + r"|/)$", re.ASCII)

# --- words after the number --------------------------------------------------------------

_NEXT_WORD = re.compile(r"[ \t]*([A-Za-zµ%]+)")
# Words after a number that make it a dose, a size, an amount of money.
_STRONG_MEASURES_WRITTEN = """mg mcg µg ug gm gram grams kg lb lbs pound pounds oz ml cc liter
    liters litre litres iu meq mmol sq cm2 cm mm inch inches ft feet foot meter meters km mile
    miles % percent kcal calories dollars bucks usd"""
_STRONG_MEASURES = frozenset(_STRONG_MEASURES_WRITTEN.split())
# Units and spans of time after a number make it a quantity unless it is shown to be a code.
# Plural only: "97110 unit" names the code's unit, "30000 minutes" is a quantity.
_TIME_AND_UNITS_WRITTEN = """units u minutes min mins hours hr hrs seconds sec secs days weeks
    months years yr yrs rvus times"""
_TIME_AND_UNITS = frozenset(_TIME_AND_UNITS_WRITTEN.split())
# Things counted: "15000 patients" is a count, but "our 99214 visits are denied" names a code.
_COUNTED_WRITTEN = """claims patients pts visits encounters charts providers physicians doctors
    members lives employees people persons calls cases reviews procedures lines accounts records
    emails questions steps beds"""
_COUNTED = frozenset(_COUNTED_WRITTEN.split())
_UNITS_OF = re.compile(r"[ \t]*units?[ \t]+of\b", re.IGNORECASE)
_RATE_RIGHT_AFTER = re.compile(
    r"[ \t]+(?:per|a|each|every)[ \t]+(?:year|month|week|quarter)\b", re.IGNORECASE
)
_RATE_WORDS = frozenset(("per", "a", "each", "every"))
_RATE_AFTER = re.compile(
    r"[ \t]*\w+[ \t]+(?:a|per|each|every)[ \t]+(?:year|month|week|day|quarter)\b|"
    r"[ \t]*\w+[ \t]+(?:annually|monthly|weekly|daily|yearly)\b",
    re.IGNORECASE,
)


# --- what the writer says the number is ---------------------------------------------------

_IDENTIFIER_NOUN = (
    r"(?:ticket|case|claim|reference|ref|account|acct|record|chart|mrn|id|invoice|order|"
    r"confirmation|tracking|member|policy|consultation|consult|zip|zip[ \t]*code|phone|"
    r"extension|npi|tin|ein|tax[ \t]*id|clinic|location|suite|office|batch|control)"
)
# "12345, that's our ticket", "45380 is just our internal reference", "20610 (the patient's
# account)": the writer says what the number is. The noun must end the phrase ("99214 was
# the claim line that was denied" names a code). Every run is bounded: constant work a number.
_SAID_TO_BE_AN_IDENTIFIER = re.compile(
    r"[ \t]{0,3}(?:[,;:\-\u2013\u2014][ \t]{0,3})?"
    r"(?:(?:that's|that[ \t]+is|it's|it[ \t]+is|is|was|=)[ \t]+|\([ \t]{0,3})"
    r"(?:just[ \t]+|only[ \t]+|simply[ \t]+)?"
    r"(?:our|the|a|an|my|his|her|their|your|patient's|pt's|pt|patient)[ \t]+"
    r"(?:[A-Za-z'-]{1,20}[ \t]+){0,2}?" + _IDENTIFIER_NOUN + r"(?:[ \t]+(?:number|no\.?|#|id))?"
    r"[ \t]{0,3}(?:[,.;:)!\n]|$|(?:not|and|but)\b)",
    re.IGNORECASE,
)
# "patients in the 30309 zip code".
_ZIP_WORD_AFTER = re.compile(r"[ \t]+(?:zip|zipcode|postal)\b", re.IGNORECASE)
_SAYS_WORDS = frozenset(("that", "it", "is", "was", "zip", "zipcode", "postal"))
_SAYS_MARKS = frozenset(",;:-\u2013\u2014(=")
#: Every word after the number that one of the rules below reads.
_WORDS_READ_AFTER = _SAYS_WORDS | _STRONG_MEASURES | _TIME_AND_UNITS | _COUNTED | _RATE_WORDS


def _chained(text: str, start: int, end: int) -> LookAlike | None:
    """A number glued to others by a dash or slash: TIN 74-12345, NDC 12345-678-90, ZIP+4."""
    after = _CHAINED_NUMBER_AFTER.match(text, end)
    if after is not None:
        neighbour = after.group(1)
        if neighbour.isdigit() and len(neighbour) == 4:
            return LookAlike("ZIP+4 code", strong=True)
        glued = any(c.isdigit() for c in neighbour) and len(neighbour) not in (1, 2)
        if glued and not CANDIDATE.fullmatch(neighbour):
            return LookAlike("part of a longer number", strong=True)
    before = _CHAINED_NUMBER_BEFORE.search(text, max(0, start - 24), start)
    if before is not None:
        neighbour = before.group(1)
        if any(c.isdigit() for c in neighbour) and not CANDIDATE.fullmatch(neighbour):
            return LookAlike("part of a longer number", strong=True)
        # "CLM-48213", "PO-20610": capitals and a dash make an identifier ("CPT-" does not).
        prefix = neighbour.lower()
        dashed = text[start - 1] != "/" and neighbour.isalpha() and neighbour.isupper()
        if dashed and 2 <= len(neighbour) <= 5 and prefix not in _CODE_PREFIXES:
            return LookAlike(LABELLED, strong=True)
    return None


def look_alike(
    text: str, start: int, end: int, before: Preceding, streets: StreetLines
) -> LookAlike | None:
    """Why the code-shaped token at ``text[start:end]`` is something else, or ``None``."""
    after = text[end : end + _AFTER]
    following, preceding = after[:1], text[start - 1 : start]
    decimal = following == "." and after[1:2].isdigit()
    decimal = decimal or (preceding == "." and text[start - 2 : start - 1].isdigit())
    labels = before.may_label  # most codes follow an ordinary word: no label check applies
    if (labels and before.money()) or decimal:
        return LookAlike("money or a decimal number", strong=True)
    glued = following in _GLUE or preceding in _GLUE
    chained = _chained(text, start, end) if glued else None
    if chained is not None:
        return chained
    if labels:
        number = text[start:end]
        if before.zip_after_state(number, LINE_END.match(after) is not None):
            return LookAlike("zip code after a state", strong=True)
        if before.phone_extension():
            return LookAlike("phone extension", strong=True)
        if before.identifier_label(number):
            return LookAlike(LABELLED, strong=True)
    next_word = _NEXT_WORD.match(after)
    if next_word is not None:
        written_word = next_word.group(1)
        word = written_word.lower()
        # Only a clause mark or one of a few words can start what the writer says the
        # number is; only a capitalised word, a number or a direction a street name.
        says, street_start = word in _SAYS_WORDS, written_word[0].isupper()
        # Most codes are followed by a lower-case word that no rule below reads ("63030
        # with"): then none applies. ("u" starts "units of", matched in any case.)
        if not (labels or street_start or word[0] == "u" or word in _WORDS_READ_AFTER):
            return None
    else:
        written_word = word = ""
        mark = after.lstrip(" \t")[:1]
        says, street_start = mark in _SAYS_MARKS, mark.isdigit()
    # Matched in the whole text, not the window: "$" must be the text's end, not the window's.
    if says and (_SAID_TO_BE_AN_IDENTIFIER.match(text, end) or _ZIP_WORD_AFTER.match(text, end)):
        return LookAlike("the writer says it is an identifier", strong=True)
    if street_start and STREET_AFTER.match(after):
        return LookAlike("street number", strong=True)
    # A zip code ends its line or clause: a word right after rules one out (but "USA").
    if (not written_word or written_word[0] == "U") and streets.after_street(start):
        return LookAlike("zip code in an address", strong=True)
    # "units of" and "per year" are checked only after the word that must start them.
    if word in _STRONG_MEASURES or (word[:1] == "u" and _UNITS_OF.match(after)):
        return LookAlike("a measurement", strong=True)
    if word in _TIME_AND_UNITS or word in _COUNTED:
        if before.quantifier() or _RATE_AFTER.match(after):
            return LookAlike("a count", strong=True)
        if word in _COUNTED:
            # A round number is a count; any other number qualifies the noun as a code.
            return LookAlike("a count", strong=False) if text.endswith("00", start, end) else None
        if before.determiner():
            return None  # "the 99292 units": the code qualifies the noun
        return LookAlike("a count or a measurement", strong=False)
    if labels and before.bare_claim_label():
        return LookAlike("may be a claim or case number", strong=False)
    if labels and before.bare_place_label():
        return LookAlike("may be a clinic, site or department number", strong=False)
    if (labels and before.money_word()) or (word in _RATE_WORDS and _RATE_RIGHT_AFTER.match(after)):
        return LookAlike("may be an amount or a rate", strong=False)
    return None
