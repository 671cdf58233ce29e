"""Numbers that only look like codes: zip codes, street and suite numbers, phone extensions,
claim and account numbers, money, measurements and counts.

Each rule reads a short window around a code-shaped token and returns why the
token is not a code. A *strong* reason sets the token aside whatever else is
written around it; a *weak* one ("the number is followed by 'claims'") yields
to evidence that it is a code after all (a modifier written onto it, a code
label, a known code, a list of codes it belongs to).
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

from consultant.extraction.preceding import Preceding
from consultant.extraction.shapes import CANDIDATE, DASH_CLASS, DASHES

_AFTER = 48
_LONG_LINE = 2000
LABELLED = "identifier after a label"


class LookAlike(NamedTuple):
    """Why a token is not a code, and whether other evidence may overrule that."""

    reason: str
    strong: bool


# --- addresses -----------------------------------------------------------------------------

_STREET_SUFFIX = (
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|"
    r"Pkwy|Parkway|Hwy|Highway|Fwy|Freeway|Expy|Expressway|Ter|Terrace|Trl|Trail|Cir|Circle|"
    r"Sq|Square|Plaza|Pike|Loop|Row|Turnpike|Tpke|Broadway|ST|STREET|AVE|RD|BLVD|DR|LN|HWY|PKWY)\b"
)
# The address patterns run once per code-shaped number, often on the same line: their runs
# of letters, digits and blanks are possessive (``*+``, ``++``), so none is tried more than
# one way (a line of 160 capitals before a code once took 25 s; it takes microseconds).
# A street name word: capitalised or an ordinal ("5th"), never another code-shaped number.
_NAME_WORD = r"(?:(?!\d{5}\b)[A-Z0-9][A-Za-z0-9.'\-]*+|[NSEW]\.?)"
# What follows a street suffix in an address: a comma, the line end, a suite, a direction.
# "We are at 20610 Lakeview Blvd. Billed 29826": a sentence may end right after the suffix.
_AFTER_SUFFIX = (
    r"\.?(?=[ \t]*+(?:[,#\n.;:!?)]|$|Suite\b|Ste\b|Apt\b|Unit\b|Bldg\b|Fl\b|Floor\b|[NSEW]\b))"
)
_STREET_AFTER = re.compile(
    r"[ \t]++(?:" + _NAME_WORD + r"[ \t]++){1,3}" + _STREET_SUFFIX + _AFTER_SUFFIX
)
# A house number or "PO Box" starting a word. The class comes first, and the word start is
# checked looking back: the engine then skips to the digits and P's of a line, where a
# pattern starting with \b tried every position (a line is searched for every number in it
# that ends a clause, and this was a tenth of the extraction).
_STREET_IN_LINE = re.compile(
    r"[0-9Pp](?<![A-Za-z0-9_][0-9Pp])(?:(?<=[0-9])\d{0,5}+[ \t]++(?:"
    + _NAME_WORD
    + r"[ \t]++){1,3}"
    + _STREET_SUFFIX
    + _AFTER_SUFFIX
    + r"|(?<=[Pp])\.?[ \t]*+[Oo]\.?[ \t]*+[Bb][Oo][Xx][ \t]++\d++)",
    re.ASCII,
)
_ADDRESS_TAIL = re.compile(r"[\w .,#'\-]{0,60}$")
# A line before a number that is only one to three capitalised words and maybe a comma:
# "Springfield" on the line after "940 Birch Lane". Runs of letters, each starting with a
# capital; the line up to the number is a prefix of the longest match (see StreetLines).
_CITY_START = re.compile(r"[ \t]*+[A-Z]")
_CITY_REST = re.compile(r"[A-Za-z.'\-]*+(?:[ \t]++[A-Z][A-Za-z.'\-]*+){0,2}[ \t]*+,?[ \t]*+")
# A line that is only a house number, one to five capitalised words, a comma, and one to
# three more: "3001 N Broadway, Fresno 93701". Read the same way: the part up to the first
# capital after the comma, then the longest run of words the number may stand after.
_NUMBERED_START = re.compile(
    r"[ \t]*+\d{1,6}+[ \t]++[A-Z][\w.'\-]*+(?:[ \t]++[A-Z][\w.'\-]*+){0,4}[ \t]*+,[ \t]*+[A-Z]"
)
_NUMBERED_REST = re.compile(r"[\w.'\-]*+(?:[ \t]++[A-Z][\w.'\-]*+){0,2}[ \t]*+")
_ADDRESS_END = re.compile(r"[ \t]*(?:[\n,.;:)?!|]|$|USA\b|U\.S\.)")
_SENTENCE_BREAK = re.compile(r"[.!?][ \t]+[A-Z][a-z]")
_LINE_END = re.compile(r"[ \t]*(?:$|\n|,|" + DASH_CLASS + r"\d{4})")
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


class StreetLines:
    """Street addresses in the lines of one text, looked for once per line.

    A paragraph holding several codes is searched once instead of once per code;
    a line longer than ``_LONG_LINE`` (a pasted file) is searched near each number.
    Whether a line up to a number is an address line is also read once per line:
    both patterns take every prefix of their longest match, so a number qualifies
    when it stands between the first place such a prefix may end and the last.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._ends: dict[int, list[int]] = {}
        self._numbered: dict[int, tuple[int, int]] = {}
        self._city: dict[int, tuple[int, int]] = {}
        self._street_above: dict[int, bool] = {}

    def _street_ends(self, line_start: int, line_end: int) -> list[int]:
        ends = self._ends.get(line_start)
        if ends is None:
            found = _STREET_IN_LINE.finditer(self.text, line_start, line_end)
            ends = self._ends[line_start] = [street.end() for street in found]
        return ends

    def _prefixes(
        self,
        cache: dict[int, tuple[int, int]],
        first: re.Pattern[str],
        rest: re.Pattern[str],
        line_start: int,
    ) -> tuple[int, int]:
        """Where ``text[line_start:p]`` may end (``low <= p <= high``) to be a line ``first``
        then ``rest`` read whole; ``(1, 0)`` when no prefix of the line is one."""
        span = cache.get(line_start)
        if span is None:
            head = first.match(self.text, line_start)
            if head is None:
                span = (1, 0)
            else:
                tail = rest.match(self.text, head.end())
                span = (head.end(), tail.end() if tail is not None else head.end())
            cache[line_start] = span
        return span

    def _numbered_address(self, line_start: int, start: int) -> bool:
        """ "3001 N Broadway, Fresno " from the line start to ``start``."""
        low, high = self._prefixes(self._numbered, _NUMBERED_START, _NUMBERED_REST, line_start)
        return low <= start <= high

    def _city_line(self, line_start: int, start: int) -> bool:
        """ "Springfield " from the line start to ``start``."""
        low, high = self._prefixes(self._city, _CITY_START, _CITY_REST, line_start)
        return low <= start <= high

    def _street_on_line_above(self, line_start: int) -> bool:
        above = self._street_above.get(line_start)
        if above is None:
            text = self.text
            previous_start = text.rfind("\n", max(0, line_start - 160), line_start - 1) + 1
            found = _STREET_IN_LINE.search(text, previous_start, line_start - 1)
            above = self._street_above[line_start] = found is not None
        return above

    def after_street(self, start: int) -> bool:
        """Whether the number at ``start`` follows a street address on its line (a zip code)."""
        text = self.text
        # A zip code ends its line or clause; a code in a sentence is usually followed by words.
        if not _ADDRESS_END.match(text, start + 5):
            return False
        line_start = text.rfind("\n", max(0, start - _LONG_LINE), start) + 1
        line_end = text.find("\n", start, start + _LONG_LINE)
        if (line_end < 0 and len(text) - start >= _LONG_LINE) or line_start < start - _LONG_LINE:
            ends = [m.end() for m in _STREET_IN_LINE.finditer(text, max(0, start - 160), start)]
        else:
            ends = self._street_ends(line_start, len(text) if line_end < 0 else line_end)
        # Street ends from 60 characters before the number up to it, nearest last (most lines
        # that hold a number hold no street).
        if ends:
            first, last = bisect.bisect_left(ends, start - 60), bisect.bisect_right(ends, start)
            for end in ends[first:last]:
                tail = text[end:start]
                if _ADDRESS_TAIL.fullmatch(tail) and not _SENTENCE_BREAK.search(tail):
                    return True
        if self._numbered_address(line_start, start) and _LINE_END.match(text, start + 5):
            return True  # "3001 N Broadway, Fresno 93701": no suffix, but an address line
        if line_start and self._city_line(line_start, start):
            # "Springfield 62704" on the line after "940 Birch Lane".
            return self._street_on_line_above(line_start)
        return False


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
        if before.zip_after_state(number, _LINE_END.match(after) is not None):
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
    else:
        written_word = word = ""
        mark = after.lstrip(" \t")[:1]
        says, street_start = mark in _SAYS_MARKS, mark.isdigit()
    # Matched in the whole text, not the window: "$" must be the text's end, not the window's.
    if says and (_SAID_TO_BE_AN_IDENTIFIER.match(text, end) or _ZIP_WORD_AFTER.match(text, end)):
        return LookAlike("the writer says it is an identifier", strong=True)
    if street_start and _STREET_AFTER.match(after):
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
